//! Error numbers on the wire: CloudRoom's `sdkErr` values, and Lineup's additions in
//! ranges CloudRoom leaves unused.

/// A numeric error code with its CloudRoom-style constant name.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: u32,
    pub name: &'static str,
    pub meaning: &'static str,
}

macro_rules! codes {
    ($($konst:ident = $code:expr, $name:expr, $meaning:expr;)*) => {
        $(pub const $konst: u32 = $code;)*
        /// Every code, in numeric order.
        pub const ALL: &[ErrorCode] = &[$(ErrorCode { code: $code, name: $name, meaning: $meaning }),*];
    };
}

codes! {
    NOERR = 0, "NOERR", "success";
    UNKNOWERR = 1, "UNKNOWERR", "unknown error";
    INNER_ERR = 3, "INNER_ERR", "internal server error";
    MEETPARAM_ERR = 5, "MEETPARAM_ERR", "a parameter is missing or out of range (the message names it)";
    ERR_DATA = 6, "ERR_DATA", "malformed message: not JSON, unknown op, wrong field type";
    ANCTPSWD_ERR = 7, "ANCTPSWD_ERR", "wrong appID or app secret";
    LOGINSTATE_ERROR = 9, "LOGINSTATE_ERROR", "already logged in on this connection";
    USER_BEEN_KICKOUT = 10, "CRVideoSDK_USER_BEEN_KICKOUT", "the same user logged in elsewhere";
    NOT_LOGIN = 12, "NOT_LOGIN", "log in first, or the session has ended";
    TOKEN_TIMEOUT = 18, "TOKEN_TIMEOUT", "the token or ticket has expired";
    TOKEN_AUTHINFOERR = 19, "TOKEN_AUTHINFOERR", "the token's user does not match UID";
    TOKEN_APPIDNOTEXIST = 20, "TOKEN_APPIDNOTEXIST", "the token's app does not exist";
    TOKEN_AUTH_FAILED = 21, "TOKEN_AUTH_FAILED", "the token's signature is wrong";
    TOKEN_NOTTOKENTYPE = 22, "TOKEN_NOTTOKENTYPE", "not a Lineup token (or a ticket used as a token)";
    NO_PERMISSION = 30, "NO_PERMISSION", "Lineup: the session's roles do not allow this";
    FRAME_TOO_LARGE = 31, "FRAME_TOO_LARGE", "Lineup: the message is larger than the server accepts";
    SESSION_RECONNECTING = 32, "SESSION_RECONNECTING", "Lineup (SDK): the request could not be sent before the session was lost";
    TOO_MANY_REQUESTS = 33, "TOO_MANY_REQUESTS", "Lineup: too many failed attempts from this address; retry after Retry-After seconds";
    MEDIA_DEVICE_ERR = 34, "MEDIA_DEVICE_ERR", "Lineup (SDK): the microphone or camera could not be opened (no permission, or no device)";
    MEDIA_ERR = 35, "MEDIA_ERR", "Lineup: the media connection could not be set up (negotiation failed)";
    CREATE_CONN_FAILED = 203, "CREATE_CONN_FAILED", "could not connect to the server: it is down or unreachable, or it does not allow the page's origin (lineup-server --cors-origin)";
    CONNECTIONLOST = 207, "CONNECTIONLOST", "the connection to the server was lost";
    QUE_ID_INVALID = 400, "QUE_ID_INVALID", "no such queue in this app";
    QUE_NOUSER = 401, "QUE_NOUSER", "no customer to hand over / not queuing";
    QUE_USER_CANCELLED = 402, "QUE_USER_CANCELLED", "the customer is no longer offered to this agent";
    QUE_SERVICE_NOT_START = 403, "QUE_SERVICE_NOT_START", "the agent does not serve that queue";
    ALREADY_OTHERQUE = 404, "ALREADY_OTHERQUE", "already queuing (or being served); stop queuing first";
    QUE_FULL = 405, "QUE_FULL", "Lineup: the queue reached its maximum length";
    QUE_AGENT_BUSY = 406, "QUE_AGENT_BUSY", "Lineup: the agent is at its capacity";
    QUE_NAME_EXISTS = 407, "QUE_NAME_EXISTS", "Lineup: another queue of the app has this name";
    QUE_AGENT_NOT_READY = 408, "QUE_AGENT_NOT_READY", "Lineup: the agent's reason (DNDStatus) does not allow taking customers by hand";
    INVALID_CALLID = 600, "INVALID_CALLID", "no such call (or it cannot do that now)";
    ERR_CALL_EXIST = 601, "ERR_CALL_EXIST", "already in a call";
    ERR_BUSY = 602, "ERR_BUSY", "the called user is in another call";
    ERR_OFFLINE = 603, "ERR_OFFLINE", "the called user is offline";
    ERR_NOANSWER = 604, "ERR_NOANSWER", "the call was not answered in time";
    ERR_USER_NOT_FOUND = 605, "ERR_USER_NOT_FOUND", "the called user is not logged in";
    ERR_REFUSE = 606, "ERR_REFUSE", "the call was refused";
    SCREENSHARE_EXIST = 700, "SCREENSHARE_EXIST", "Lineup: another member of the room is sharing its screen (one sharer per room; CloudRoom's web demo reads 700 so)";
    MEETNOTEXIST = 800, "MEETNOTEXIST", "no such room";
    AUTHERROR = 801, "AUTHERROR", "wrong room password";
    SEVICE_NOTENABLED = 806, "SEVICE_NOTENABLED", "the function is not enabled: the app's settings or the server do not enable it, or the SDK defines it but does not implement it (js/README lists them)";
    SDK_RECORDSTARTED = 906, "SDK_RECORDSTARTED", "a recording of this room is already running";
    DEVICE_NOTALLOWED_ERR = 8002, "DEVICE_NOTALLOWED_ERR", "the user did not allow the device (the SDK's StartScreenShare: the screen) to be used";
    DEVICE_HAVENOTAPI_ERR = 8004, "DEVICE_HAVENOTAPI_ERR", "the browser has no API for the device (the SDK's StartScreenShare: no getDisplayMedia)";
}

/// The entry for `code`, if it is one of ours.
pub fn lookup(code: u32) -> Option<&'static ErrorCode> {
    ALL.iter().find(|c| c.code == code)
}
