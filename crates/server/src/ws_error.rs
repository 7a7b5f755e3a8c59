//! Why a WebSocket op (or a login token) is refused: each kind has its wire `err` code
//! here, in one place; the text is the reply's `msg` (a leaf module).

use lineup_engine::AcdError;
use lineup_protocol::codes;

/// Why a `Resume` fails.
pub const SESSION_ENDED: &str = "the session has ended (hold time passed or logged out); log in again";

/// A refused op, as its reply tells it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// The engine refused it: its own code ([`AcdError::code`]).
    #[error("{0}")]
    Acd(#[from] AcdError),
    /// A field is invalid (MEETPARAM_ERR).
    #[error("{0}")]
    BadParam(String),
    /// The frame or its SDP cannot be read (ERR_DATA).
    #[error("{0}")]
    BadData(String),
    /// The frame is larger than the server takes (FRAME_TOO_LARGE).
    #[error("{0}")]
    FrameTooLarge(String),
    /// No session: not logged in, ended, or the connection was replaced (NOT_LOGIN).
    #[error("{0}")]
    NotLoggedIn(String),
    /// This connection already has a session (LOGINSTATE_ERROR).
    #[error("{0}")]
    AlreadyLoggedIn(String),
    /// The session's roles do not allow it (NO_PERMISSION).
    #[error("{0}")]
    NoPermission(String),
    /// No such room, or the session is not in it (MEETNOTEXIST).
    #[error("{0}")]
    NoRoom(String),
    /// The room has no answered call (INVALID_CALLID).
    #[error("{0}")]
    NoCall(String),
    /// No such member (ERR_USER_NOT_FOUND).
    #[error("{0}")]
    UserNotFound(String),
    /// Another member shares its screen (SCREENSHARE_EXIST).
    #[error("{0}")]
    ScreenShared(String),
    /// The media server could not do it (MEDIA_ERR).
    #[error("{0}")]
    Media(String),
    /// The app or server does not offer it (SEVICE_NOTENABLED).
    #[error("{0}")]
    NotEnabled(String),
    /// The call is recorded already (SDK_RECORDSTARTED).
    #[error("{0}")]
    RecordingStarted(String),
    /// Not a Lineup token, or a token of the wrong kind (TOKEN_NOTTOKENTYPE).
    #[error("{0}")]
    NotToken(String),
    /// The token's signature is wrong (TOKEN_AUTH_FAILED).
    #[error("{0}")]
    BadSignature(String),
    /// The token expired, or the ticket was used (TOKEN_TIMEOUT).
    #[error("{0}")]
    TokenExpired(String),
    /// The token's app does not exist (TOKEN_APPIDNOTEXIST).
    #[error("{0}")]
    NoApp(String),
    /// The UID is not the token's user (TOKEN_AUTHINFOERR).
    #[error("{0}")]
    WrongUser(String),
    /// The appID or app secret is wrong (ANCTPSWD_ERR).
    #[error("{0}")]
    WrongCredentials(String),
    /// The server failed, or the part that answers is not running (INNER_ERR).
    #[error("{0}")]
    Internal(String),
}

impl WsError {
    /// The reply's `err`.
    pub fn code(&self) -> u32 {
        match self {
            WsError::Acd(e) => e.code(),
            WsError::BadParam(_) => codes::MEETPARAM_ERR,
            WsError::BadData(_) => codes::ERR_DATA,
            WsError::FrameTooLarge(_) => codes::FRAME_TOO_LARGE,
            WsError::NotLoggedIn(_) => codes::NOT_LOGIN,
            WsError::AlreadyLoggedIn(_) => codes::LOGINSTATE_ERROR,
            WsError::NoPermission(_) => codes::NO_PERMISSION,
            WsError::NoRoom(_) => codes::MEETNOTEXIST,
            WsError::NoCall(_) => codes::INVALID_CALLID,
            WsError::UserNotFound(_) => codes::ERR_USER_NOT_FOUND,
            WsError::ScreenShared(_) => codes::SCREENSHARE_EXIST,
            WsError::Media(_) => codes::MEDIA_ERR,
            WsError::NotEnabled(_) => codes::SEVICE_NOTENABLED,
            WsError::RecordingStarted(_) => codes::SDK_RECORDSTARTED,
            WsError::NotToken(_) => codes::TOKEN_NOTTOKENTYPE,
            WsError::BadSignature(_) => codes::TOKEN_AUTH_FAILED,
            WsError::TokenExpired(_) => codes::TOKEN_TIMEOUT,
            WsError::NoApp(_) => codes::TOKEN_APPIDNOTEXIST,
            WsError::WrongUser(_) => codes::TOKEN_AUTHINFOERR,
            WsError::WrongCredentials(_) => codes::ANCTPSWD_ERR,
            WsError::Internal(_) => codes::INNER_ERR,
        }
    }

    /// The HTTP status of a REST login refused for this reason: 400 for bad input, 503
    /// when the server failed, 401 otherwise.
    pub fn login_status(&self) -> u16 {
        match self.code() {
            codes::MEETPARAM_ERR | codes::ERR_DATA => 400,
            codes::INNER_ERR => 503,
            _ => 401,
        }
    }

    /// The reply to request `seq`.
    pub fn reply(&self, seq: u64) -> lineup_protocol::ws::Reply {
        lineup_protocol::ws::Reply::error(seq, self.code(), self.to_string())
    }
}
