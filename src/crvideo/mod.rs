//! CloudRoom's surface, exported from Rust: every `CRVideo_*` function is a
//! `#[wasm_bindgen(js_name = …)]` export with CloudRoom's parameter order, and every
//! result and notice is fired from here into the page's `CRVideo_Xxx.callback` with
//! CloudRoom's argument list. The classic script (`js/src/crvideo.js`) is only the
//! loader: it defines the callback proxies and error constants synchronously, installs
//! these exports as globals and queues calls made before the module has loaded.
//!
//! One page has one CRVideo session: a core made at the first call, whose events go to
//! `events::on_event`. Parameters are read as CloudRoom's own script reads them (`args`:
//! a number where a string is expected is converted, a missing cookie is "").
//!
//! - this file: the session, firing callbacks, login and server addresses.
//! - `queue`: queue information, agents and customers.
//! - `meeting`: rooms and calls.
//! - `media`: microphone, camera, statuses and video objects.
//! - `events`: notices and connection events → callbacks.
//! - `members`: the members of the room entered (GetAllMembers, GetMemberInfo…).
//! - `user_status`: StartUserStatusNotify, GetUserStatus and their callbacks.
//! - `mixer`: the cloud mixer (recording the room's call) and its callbacks.
//! - `unsupported`: CloudRoom functions Lineup defines but does not implement.

mod events;
mod media;
mod meeting;
mod members;
mod mixer;
mod queue;
pub mod unsupported;
mod user_status;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function};
use lineup_protocol::codes;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;

use crate::args::{cookie, text};
use crate::core::{self, Core};
use crate::interop::{get, object};
use crate::small_map::SmallMap;

/// The callback proxies the loader defines (`CRVideo_` + name), in its order. Every name
/// this module fires is here; a native test checks the loader's list against it.
pub const CALLBACKS: &[&str] = &[
    "LoginSuccess",
    "LoginFail",
    "LineOff",
    "NotifyTokenWillExpire",
    "InitQueueDatRslt",
    "QueueStatusChanged",
    "QueuingInfoChanged",
    "GetQueueStatusRslt",
    "StartQueuingRslt",
    "StopQueuingRslt",
    "StartServiceRslt",
    "StopServiceRslt",
    "AutoAssignUser",
    "CancelAssignUser",
    "AgentStatusChanged",
    "Wallboard",
    "RequirementRelaxed",
    "ResponseAssignUserRslt",
    "ReqAssignUserRslt",
    "SetDNDStatusSuccess",
    "SetDNDStatusFail",
    "UserEnter",
    "UserLeave",
    "CreateMeetingSuccess",
    "CreateMeetingFail",
    "EnterMeetingRslt",
    "UserEnterMeeting",
    "UserLeftMeeting",
    "CallSuccess",
    "CallFail",
    "NotifyCallIn",
    "NotifyCallAccepted",
    "NotifyCallRejected",
    "NotifyCallHungup",
    "NotifyCallHangup",
    "AcceptCallSuccess",
    "AcceptCallFail",
    "RejectCallSuccess",
    "RejectCallFail",
    "HangupCallSuccess",
    "HangupCallFail",
    "NotifyCallEvent",
    "MeetingDropped",
    "MeetingStopped",
    "StopMeetingRslt",
    "AudioStatusChanged",
    "VideoStatusChanged",
    "MicEnergyUpdate",
    "AudioDevChanged",
    "VideoDevChanged",
    "NotifyIMmsg",
    "SendIMmsgRlst",
    "NotifyCallHold",
    "NotifyCallResume",
    "HoldCallRslt",
    "ResumeCallRslt",
    "ForwardUserRslt",
    "RequestCallbackRslt",
    "FinishServiceRslt",
    "ServiceFinished",
    "QueuingEnded",
    "ServiceStopped",
    "QueueInfoChanged",
    "QueueRemoved",
    "SetAgentCapacityRslt",
    "GetQueueStatisticsRslt",
    "GetAgentsRslt",
    "Reconnecting",
    "Reconnected",
    // RTCSDKV2's callbacks and notices (and WebIE's RecordErr / RecordStateChanged).
    "AcceptInviteFail",
    "AcceptInviteSuccess",
    "AddOrUpdateMeetingAttrsRslt",
    "AddOrUpdateUserAttrsRslt",
    "CancelInviteFail",
    "CancelInviteSuccess",
    "CancelSendRslt",
    "ClearAllUserAttrsRslt",
    "ClearMeetingAttrsRslt",
    "ClearUserAttrsRslt",
    "CloudMixerInfoChanged",
    "CloudMixerOutputInfoChanged",
    "CloudMixerStateChanged",
    "CreateCloudMixerFailed",
    "DefVideoChanged",
    "DelMeetingAttrsRslt",
    "DelUserAttrsRslt",
    "DestroyMeetingRslt",
    "GetMeetingAllAttrsFail",
    "GetMeetingAllAttrsSuccess",
    "GetMeetingAttrsFail",
    "GetMeetingAttrsSuccess",
    "GetQueueUsersRslt",
    "GetUserAttrsFail",
    "GetUserAttrsSuccess",
    "GetUserStatusFail",
    "GetUserStatusSuccess",
    "InviteFail",
    "InviteSuccess",
    "KickoutRslt",
    "LogoutFail",
    "LogoutSuccess",
    "MicDeviceChanged",
    "NetStateChanged",
    "NotifyAddBoardElement",
    "NotifyAudioPCMDat",
    "NotifyAudioPlayFailed",
    "NotifyAudioPlaying",
    "NotifyAudioStream",
    "NotifyAutoPlayFailed",
    "NotifyBoardBkImage",
    "NotifyBoardCurPageNo",
    "NotifyBufferData",
    "NotifyCameraStream",
    "NotifyCancelSend",
    "NotifyCaptions",
    "NotifyCatchScreen",
    "NotifyCloseBoard",
    "NotifyCmdData",
    "NotifyCreateBoard",
    "NotifyDelBoardElement",
    "NotifyFileData",
    "NotifyGiveCtrlRight",
    "NotifyIMMsg",
    "NotifyInitBoardPageDat",
    "NotifyInitBoards",
    "NotifyInviteAccepted",
    "NotifyInviteCanceled",
    "NotifyInviteIn",
    "NotifyInviteRejected",
    "NotifyMainVideoChanged",
    "NotifyMainVideoModeChanged",
    "NotifyMediaOpened",
    "NotifyMediaPause",
    "NotifyMediaStart",
    "NotifyMediaStop",
    "NotifyMeetEnded",
    "NotifyMeetingAttrsChanged",
    "NotifyMeetingCustomMsg",
    "NotifyMemberMediaData",
    "NotifyModifyBoardElement",
    "NotifyMouseHotSpot",
    "NotifyNetworkDelay",
    "NotifyNickNameChanged",
    "NotifyOpenVideo",
    "NotifyPacketsDownloadLostRate",
    "NotifyPacketsUploadLostRate",
    "NotifyPlayPosSetted",
    "NotifyReleaseCtrlRight",
    "NotifyScreenMarkStarted",
    "NotifyScreenMarkStopped",
    "NotifyScreenShareData",
    "NotifyScreenShareStarted",
    "NotifyScreenShareStopped",
    "NotifySetVoiceChange",
    "NotifyShareRectChanged",
    "NotifySvrRecordFileState",
    "NotifySwitchToPage",
    "NotifyUserAttrsChanged",
    "NotifyUserEnter",
    "NotifyUserLeave",
    "NotifyUserStatus",
    "NotifyVideoStream",
    "OpenMicFailed",
    "OpenVideoFailed",
    "OpenVideoTimeout",
    "PeerConnectionError",
    "RecordErr",
    "RecordStateChanged",
    "RejectInviteFail",
    "RejectInviteSuccess",
    "SendBufferRslt",
    "SendCmdRslt",
    "SendFileRslt",
    "SendIMMsgRslt",
    "SendMeetingCustomMsgRslt",
    "SendProgress",
    "SetMeetingAttrsRslt",
    "SetUserAttrsRslt",
    "SetVideoCfgRslt",
    "SpkDeviceChanged",
    "SpkStatusChanged",
    "StartScreenMarkRslt",
    "StartScreenShareRslt",
    "StartUserStatusNotifyRslt",
    "StopScreenMarkRslt",
    "StopScreenShareRslt",
    "StopUserStatusNotifyRslt",
    "SvrMixerCfgChanged",
    "SvrMixerOutputInfo",
    "SvrMixerStateChanged",
    "SvrRecVideosChanged",
    "SvrRecordStateChanged",
    "UpdateTokenRslt",
    "VideoEncodeException",
];

/// What the classic surface keeps beside the core.
#[derive(Default)]
struct Classic {
    /// queID → the customers (QueUser objects) of each queue this agent serves.
    queue_users: SmallMap<u32, Vec<JsValue>>,
    /// The room this session entered (0: none).
    meeting: u32,
    /// This session's user and nickname (from the login).
    me: (String, String),
    /// The members of the room entered: (UID, nickname), this session first.
    members: Vec<(String, String)>,
    /// The cookie given to StartUserStatusNotify (NotifyUserStatus carries it).
    status_cookie: JsValue,
    /// The cloud mixers (recordings) this page started or was told about.
    mixers: Vec<mixer::Mixer>,
}

thread_local! {
    static CORE: RefCell<Option<Core>> = const { RefCell::new(None) };
    static CLASSIC: RefCell<Classic> = RefCell::new(Classic::default());
}

/// The page's CRVideo core, made at the first call (on the page's own origin until
/// `CRVideo_SetServerAddr`).
pub(crate) fn core() -> Core {
    CORE.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
                core::new_core(&origin, Rc::new(events::on_event))
            })
            .clone()
    })
}

fn with_classic<T>(f: impl FnOnce(&mut Classic) -> T) -> T {
    CLASSIC.with(|c| f(&mut c.borrow_mut()))
}

/// Calls the page's `CRVideo_<name>.callback(...args)`, if it set one. A callback that
/// throws is reported on the console and stops nothing.
pub fn fire(name: &str, args: &[JsValue]) {
    let proxy = get(&js_sys::global(), &["CRVideo_", name].concat());
    let callback = get(&proxy, "callback");
    if let Some(f) = callback.dyn_ref::<Function>() {
        let args: Array = args.iter().collect();
        if let Err(e) = f.apply(&JsValue::NULL, &args) {
            web_sys::console::error_2(&["lineup: CRVideo_", name, ".callback threw"].concat().into(), &e);
        }
    }
}

fn err(code: u32) -> JsValue {
    JsValue::from(code)
}

/// Sends `op`; `done` gets the reply's data or the error code.
fn run(op: Op, done: impl FnOnce(Result<JsValue, u32>) + 'static) {
    core::send(&core(), &op, Box::new(move |r| done(r.map_err(|(c, _)| c))));
}

/// Sends `op`, answered through `name` as `([lead,] sdkErr, cookie)`.
fn rslt(op: Op, name: &'static str, ck: &JsValue, lead: Option<JsValue>) {
    let ck = cookie(ck);
    run(op, move |r| {
        let code = err(r.err().unwrap_or(codes::NOERR));
        match lead {
            Some(lead) => fire(name, &[lead, code, ck]),
            None => fire(name, &[code, ck]),
        }
    });
}

/// Sends `op`, answered through `name` as `(sdkErr, data or null, cookie)`; `pick`
/// names the field of the data handed over, if not all of it.
fn data_rslt(op: Op, name: &'static str, ck: &JsValue, pick: Option<&'static str>) {
    let ck = cookie(ck);
    run(op, move |r| match r {
        Ok(d) => fire(name, &[err(codes::NOERR), pick.map_or(d.clone(), |f| get(&d, f)), ck]),
        Err(c) => fire(name, &[err(c), JsValue::NULL, ck]),
    });
}

// ---- init, servers, login ----

/// A Promise of 0 that also compares equal to 0: RTCSDKV2 pages write
/// `CRVideo_Init().then(…)`, WebIE pages `if (CRVideo_Init() == 0)`.
fn init_answer() -> JsValue {
    let zero = JsValue::from(codes::NOERR);
    let promise: JsValue = js_sys::Promise::resolve(&zero).into();
    // valueOf is `Number.bind(null, 0)`: `promise == 0`.
    if let Some(number) = get(&js_sys::global(), "Number").dyn_ref::<Function>() {
        let _ = js_sys::Reflect::set(&promise, &"valueOf".into(), &number.bind1(&JsValue::NULL, &zero));
    }
    promise
}

#[wasm_bindgen(js_name = CRVideo_Init)]
pub fn init() -> JsValue {
    init_answer()
}

#[wasm_bindgen(js_name = CRVideo_Init2)]
pub fn init2() -> JsValue {
    init_answer()
}

/// CloudRoom `GetSDKVersion()`: Lineup's version.
#[wasm_bindgen(js_name = CRVideo_GetSDKVersion)]
pub fn get_sdk_version() -> String {
    ["lineup-", env!("CARGO_PKG_VERSION")].concat()
}

/// CloudRoom `SetSDKParams(params)`: its transport settings (isHttp, MSProtocol,
/// svrTimeout…) are CloudRoom's servers' own; Lineup has none of them to set. → 0.
#[wasm_bindgen(js_name = CRVideo_SetSDKParams)]
pub fn set_sdk_params(_params: JsValue) -> u32 {
    codes::NOERR
}

/// CloudRoom `WriteLog(text)`: to the console.
#[wasm_bindgen(js_name = CRVideo_WriteLog)]
pub fn write_log(msg: JsValue) {
    web_sys::console::log_1(&["[APP] ", &text(&msg)].concat().into());
}

/// Logs out (and forgets the queue users).
#[wasm_bindgen(js_name = CRVideo_Uninit)]
pub fn uninit() {
    logout();
}

/// CloudRoom `SetServerAddr("host1:port;host2:port")`: several addresses are nodes of one
/// cluster; the SDK logs in on the first that answers and resumes on any of them. A bare
/// `host:port` takes the page's scheme.
#[wasm_bindgen(js_name = CRVideo_SetServerAddr)]
pub fn set_server_addr(addr: JsValue) -> u32 {
    core::set_servers(&core(), &text(&addr));
    codes::NOERR
}

/// CloudRoom `Login(appID, md5_appSecret, nickName, UID, userAuthCode, cookie)` →
/// LoginSuccess(UID, cookie) or LoginFail(sdkErr, cookie).
#[wasm_bindgen(js_name = CRVideo_Login)]
pub fn login(app_id: JsValue, md5_app_secret: JsValue, nick_name: JsValue, uid: JsValue, _auth: JsValue, ck: JsValue) {
    let uid = text(&uid);
    let nick = text(&nick_name);
    let body = object(&[("appID", &text(&app_id)), ("md5_appSecret", &text(&md5_app_secret)), ("UID", &uid), ("nickName", &nick)]);
    logged_in(body, Some(uid), nick, cookie(&ck));
}

/// CloudRoom `LoginByToken(token, nickName, UID, userAuthCode, cookie)`; UID may be empty
/// (the token's).
#[wasm_bindgen(js_name = CRVideo_LoginByToken)]
pub fn login_by_token(token: JsValue, nick_name: JsValue, uid: JsValue, _auth: JsValue, ck: JsValue) {
    let nick = text(&nick_name);
    let body = object(&[("token", &text(&token)), ("UID", &text(&uid)), ("nickName", &nick)]);
    logged_in(body, None, nick, cookie(&ck));
}

/// CloudRoom `UpdateToken(token, cookie)` → UpdateTokenRslt(sdkErr, cookie). Lineup
/// checks a token only at login, and an open session (and its resume after a drop)
/// does not depend on it (PROTOCOL §3.2): there is nothing to renew, so a token of
/// Lineup's shape is accepted (0); anything else is refused with 22 (not a token).
#[wasm_bindgen(js_name = CRVideo_UpdateToken)]
pub fn update_token(token: JsValue, ck: JsValue) {
    let token = text(&token);
    let parts: Vec<&str> = token.split('.').collect();
    let shaped = parts.len() == 3 && parts[0] == "lu1" && parts.iter().all(|p| !p.is_empty());
    let err = if shaped { codes::NOERR } else { codes::TOKEN_NOTTOKENTYPE };
    let ck = cookie(&ck);
    // After the call returns, as a server's answer would.
    wasm_bindgen_futures::spawn_local(async move { fire("UpdateTokenRslt", &[err.into(), ck]) });
}

fn logged_in(body: JsValue, uid: Option<String>, nick: String, ck: JsValue) {
    core::login(
        &core(),
        body,
        Box::new(move |r| match r {
            Ok(d) => {
                let uid = uid.unwrap_or_else(|| text(&get(&d, "UID")));
                with_classic(|c| c.me = (uid.clone(), nick));
                fire("LoginSuccess", &[uid.into(), ck]);
            }
            Err((c, _)) => fire("LoginFail", &[err(c), ck]),
        }),
    );
}

#[wasm_bindgen(js_name = CRVideo_Logout)]
pub fn logout() {
    with_classic(|c| *c = Classic::default());
    // RTCSDKV2 answers LogoutSuccess once the session is closed.
    core::logout(&core(), Box::new(|_| fire("LogoutSuccess", &[])));
}
