//! CloudRoom functions Lineup defines but does not implement (whiteboards, screen
//! sharing, attributes, invitations, file transfer…): each answers as
//! CloudRoom's would on failure, with `CRVideo_SEVICE_NOTENABLED` (806), never
//! undefined and never silently. A function with a result callback fires it (after
//! the call returns, as a server answer would); one without returns 806, or its empty
//! value if it is a getter; every call also says so on the console.

use js_sys::{Array, Promise};
use lineup_protocol::codes::SEVICE_NOTENABLED;
use wasm_bindgen::prelude::*;

use super::fire;
use crate::args::cookie;
use crate::interop::{object, set};

/// One argument of the result callback.
#[derive(Clone, Copy)]
pub enum A {
    /// The error code (806).
    Err,
    /// The call's own argument `n` (a cookie is "" when missing).
    Arg(usize),
    /// The id the call returned.
    Id,
    /// 0 (a state: none).
    Zero,
    Null,
}

/// What the call returns.
#[derive(Clone, Copy)]
pub enum R {
    /// Nothing (the callback answers).
    Undefined,
    /// The error code.
    Code,
    /// An id (CloudRoom's taskID, inviteID or mixerID), repeated to the callback.
    Id,
    /// A Promise rejected with CloudRoom's `{errCode, errDesc}` (the attribute functions).
    Rejected,
    /// A getter's empty value.
    List,
    /// `{}` (a configuration or information getter: reading a field gives undefined).
    Object,
    Null,
    False,
    Zero,
}

/// A function Lineup does not implement: its name, what it returns, and the callback
/// that answers it with its arguments.
pub struct NotSupported {
    pub name: &'static str,
    pub returns: R,
    pub fires: Option<(&'static str, &'static [A])>,
}

const fn ret(name: &'static str, returns: R) -> NotSupported {
    NotSupported { name, returns, fires: None }
}

const fn cb(name: &'static str, returns: R, callback: &'static str, args: &'static [A]) -> NotSupported {
    NotSupported { name, returns, fires: Some((callback, args)) }
}

use A::{Arg, Err, Id};

/// Every one, by name (the loader's NOT_SUPPORTED list is this one).
pub const NOT_SUPPORTED: &[NotSupported] = &[
    // Invitations.
    cb("Invite", R::Id, "InviteFail", &[Id, Err, Arg(2)]),
    cb("AcceptInvite", R::Undefined, "AcceptInviteFail", &[Arg(0), Err, Arg(2)]),
    cb("RejectInvite", R::Undefined, "RejectInviteFail", &[Arg(0), Err, Arg(2)]),
    cb("CancelInvite", R::Undefined, "CancelInviteFail", &[Arg(0), Err, Arg(2)]),
    // Room and user attributes.
    cb("SetMeetingAttrs", R::Rejected, "SetMeetingAttrsRslt", &[Err, Arg(2)]),
    cb("AddOrUpdateMeetingAttrs", R::Rejected, "AddOrUpdateMeetingAttrsRslt", &[Err, Arg(2)]),
    cb("DelMeetingAttrs", R::Rejected, "DelMeetingAttrsRslt", &[Err, Arg(2)]),
    cb("ClearMeetingAttrs", R::Rejected, "ClearMeetingAttrsRslt", &[Err, Arg(1)]),
    cb("GetMeetingAllAttrs", R::Rejected, "GetMeetingAllAttrsFail", &[Err, Arg(0)]),
    cb("GetMeetingAttrs", R::Rejected, "GetMeetingAttrsFail", &[Err, Arg(1)]),
    cb("SetUserAttrs", R::Rejected, "SetUserAttrsRslt", &[Err, Arg(3)]),
    cb("AddOrUpdateUserAttrs", R::Rejected, "AddOrUpdateUserAttrsRslt", &[Err, Arg(3)]),
    cb("DelUserAttrs", R::Rejected, "DelUserAttrsRslt", &[Err, Arg(3)]),
    cb("ClearUserAttrs", R::Rejected, "ClearUserAttrsRslt", &[Err, Arg(2)]),
    cb("ClearAllUserAttrs", R::Rejected, "ClearAllUserAttrsRslt", &[Err, Arg(1)]),
    cb("GetUserAttrs", R::Rejected, "GetUserAttrsFail", &[Err, Arg(2)]),
    // Messages and transfers outside Lineup's in-room text.
    cb("SendBuffer", R::Id, "SendBufferRslt", &[Id, Err, Arg(2)]),
    cb("SendFile", R::Id, "SendFileRslt", &[Id, Err, Arg(2)]),
    cb("CancelSend", R::Undefined, "CancelSendRslt", &[Err, Arg(0)]),
    // Members.
    cb("Kickout", R::Code, "KickoutRslt", &[Err, Arg(0)]),
    ret("SetNickName", R::Code),
    ret("GetAgentServiceStatus", R::Code),
    ret("GetUserServiceStatus", R::Code),
    // Marking on a shared screen.
    cb("StartScreenMark", R::Undefined, "StartScreenMarkRslt", &[Err]),
    cb("StopScreenMark", R::Undefined, "StopScreenMarkRslt", &[Err]),
    // Media file playback.
    ret("CreatMediaObj", R::Null),
    ret("StartPlayMedia", R::Code),
    ret("PausePlayMedia", R::Code),
    ret("StopPlayMedia", R::Code),
    ret("SetMediaplaypos", R::Code),
    ret("SetMediaVolume", R::Code),
    ret("GetMediaInfo", R::Object),
    ret("GetMediaImg", R::Null),
    ret("GetMediaCfg", R::Object),
    ret("SetMediaCfg", R::Code),
    // Whiteboards.
    ret("Creatboard", R::Code),
    ret("Closeboard", R::Code),
    ret("CreateBoardUIObj", R::Null),
    ret("GetBoardList", R::List),
    ret("SetBoardCurPageNo", R::Code),
    ret("SwitchToPage", R::Code),
    ret("GetCurrentMainPage", R::Null),
    ret("GetCurrentSubPage", R::Null),
    // Cameras beyond open/close, video layout.
    ret("AddCanvasVCam", R::Code),
    ret("RemoveCanvasVCam", R::Code),
    ret("AddStreamCam", R::Code),
    ret("RemoveStreamVideo", R::Code),
    ret("CreateVideoContainer", R::Null),
    ret("DisableCamera", R::Code),
    ret("DisableCameras", R::Code),
    ret("IsCameraDisabled", R::False),
    ret("GetOpenedVideoIDs", R::List),
    ret("GetEnableMutiVideo", R::False),
    ret("SetEnableMutiVideo", R::Code),
    ret("GetLocVideoAttributes", R::Object),
    ret("SetLocVideoAttributes", R::Code),
    ret("GetVideoTrackCapabilities", R::Object),
    ret("GetVideoTrackSettings", R::Object),
    ret("SetVideoPanTiltZoom", R::Code),
    ret("SetVirtualBackground", R::Code),
    ret("GetMainVideo", R::Null),
    ret("SetMainVideo", R::Code),
    ret("GetMainVideoMode", R::Zero),
    ret("SetMainVideoMode", R::Code),
    ret("GetWatchableVideos", R::List),
    ret("GiveCtrlRight", R::Code),
    ret("ReleaseCtrlRight", R::Code),
    // Audio beyond the microphone.
    ret("OpenSpk", R::Code),
    ret("CloseSpk", R::Code),
    ret("GetSpeakerMute", R::False),
    ret("SetSpeakerMute", R::Code),
    ret("PlaySpeaker", R::Code),
    ret("PauseSpeaker", R::Code),
    ret("SetAllAudioClose", R::Code),
    ret("GetAudioSubscribeMode", R::Zero),
    ret("SetAudioSubscribeMode", R::Code),
    ret("SetAudioSubscribeList", R::Code),
    ret("DisableVoiceInMeetingChannel", R::Code),
    ret("StartGetAudioPCM", R::Code),
    ret("StopGetAudioPCM", R::Code),
    ret("GetVoiceChangeType", R::Zero),
    ret("SetVoiceChange", R::Code),
    ret("GetCaptionsSupport", R::False),
    ret("SetMyCaptions", R::Code),
    ret("StopMyCaptions", R::Code),
    // CloudRoom's own logging service and adapter.
    ret("EnableLog2File", R::Code),
    ret("SetApisNoLog", R::Code),
    ret("StartLogReport", R::Code),
    ret("StopLogReport", R::Code),
    ret("UploadLog", R::Code),
    ret("UploadingLog", R::Code),
    ret("SetAdapter", R::Code),
];

/// The loader's `CRVideo_<name>(...)` for a function of [`NOT_SUPPORTED`].
#[wasm_bindgen(js_name = lineupNotSupported)]
pub fn not_supported(name: &str, args: Array) -> JsValue {
    let Some(f) = NOT_SUPPORTED.iter().find(|f| f.name == name) else {
        return JsValue::from(SEVICE_NOTENABLED);
    };
    let code = JsValue::from(SEVICE_NOTENABLED);
    web_sys::console::warn_1(
        &["lineup: CRVideo_", name, " is not supported (", &SEVICE_NOTENABLED.to_string(), "; see the SDK's README)"]
            .concat()
            .into(),
    );
    let id = JsValue::from(super::meeting::new_id('n'));
    if let Some((callback, shape)) = f.fires {
        let fired: Vec<JsValue> = shape
            .iter()
            .map(|a| match a {
                A::Err => code.clone(),
                A::Arg(i) => cookie(&args.get(*i as u32)),
                A::Id => id.clone(),
                A::Zero => JsValue::from(0),
                A::Null => JsValue::NULL,
            })
            .collect();
        // After the call returns, as an answer from the server would come.
        wasm_bindgen_futures::spawn_local(async move { fire(callback, &fired) });
    }
    match f.returns {
        R::Undefined => JsValue::UNDEFINED,
        R::Code => code,
        R::Id => id,
        R::Rejected => {
            let reason = object(&[("errDesc", &["CRVideo_", name, " is not supported"].concat())]);
            set(&reason, "errCode", SEVICE_NOTENABLED);
            Promise::reject(&reason).into()
        }
        R::List => Array::new().into(),
        R::Object => js_sys::Object::new().into(),
        R::Null => JsValue::NULL,
        R::False => JsValue::FALSE,
        R::Zero => JsValue::from(0),
    }
}
