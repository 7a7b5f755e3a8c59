//! CRVideo audio and video: OpenMic / CloseMic / OpenVideo / CloseVideo of this
//! session, the statuses, video objects and the room's members with media. Opening
//! reports through AudioStatusChanged / VideoStatusChanged (AOPENING, then AOPEN when
//! the server has the track; ANULL when the device cannot be opened).

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::core;
use crate::args::text;
use crate::interop::error;
use crate::media::{self, Device};

/// The session's media part.
fn part() -> media::MediaRef {
    core().borrow().media.clone()
}

fn own(uid: &JsValue, what: &str) -> bool {
    let uid = text(uid);
    let me = part().state.borrow().me.clone();
    if uid.is_empty() || uid == me {
        return true;
    }
    web_sys::console::warn_1(
        &["lineup: ", what, " opens and closes this session's own devices only, not ", &uid, "'s"].concat().into(),
    );
    false
}

fn open(uid: &JsValue, kind: Device, what: &'static str) {
    if own(uid, what) {
        wasm_bindgen_futures::spawn_local(async move {
            if let Err((code, msg)) = media::open(part(), kind).await {
                web_sys::console::warn_1(
                    &["lineup: ", what, " failed (", &code.to_string(), "): ", &msg].concat().into(),
                );
                // RTCSDKV2: OpenMicFailed / OpenVideoFailed(errCode, errDesc).
                let failed = if kind == Device::Audio { "OpenMicFailed" } else { "OpenVideoFailed" };
                super::fire(failed, &[code.into(), msg.into()]);
            }
        });
    }
}

/// CloudRoom `OpenMic(UID)`: this session's microphone, AOPENING then AOPEN.
#[wasm_bindgen(js_name = CRVideo_OpenMic)]
pub fn open_mic(uid: JsValue) {
    open(&uid, Device::Audio, "OpenMic");
}

/// CloudRoom `CloseMic(UID)`: at once.
#[wasm_bindgen(js_name = CRVideo_CloseMic)]
pub fn close_mic(uid: JsValue) {
    if own(&uid, "CloseMic") {
        media::close(&part(), Device::Audio);
    }
}

/// CloudRoom `OpenVideo(UID)`: this session's camera.
#[wasm_bindgen(js_name = CRVideo_OpenVideo)]
pub fn open_video(uid: JsValue) {
    open(&uid, Device::Video, "OpenVideo");
}

#[wasm_bindgen(js_name = CRVideo_CloseVideo)]
pub fn close_video(uid: JsValue) {
    if own(&uid, "CloseVideo") {
        media::close(&part(), Device::Video);
    }
}

/// CloudRoom ASTATUS of a member: 0 unknown, 1 no device, 2 closed, 3 open, 4 opening.
#[wasm_bindgen(js_name = CRVideo_GetAudioStatus)]
pub fn get_audio_status(uid: JsValue) -> u32 {
    part().state.borrow().status_of(&uid, Device::Audio)
}

/// CloudRoom VSTATUS of a member (as ASTATUS).
#[wasm_bindgen(js_name = CRVideo_GetVideoStatus)]
pub fn get_video_status(uid: JsValue) -> u32 {
    part().state.borrow().status_of(&uid, Device::Video)
}

/// Logs a refused call: its code and the message naming the parameter.
fn refused(what: &str, r: Result<(), lineup_client::Failure>) -> u32 {
    match r {
        Ok(()) => 0,
        Err((code, msg)) => {
            web_sys::console::warn_1(&["lineup: ", what, " refused (", &code.to_string(), "): ", &msg].concat().into());
            code
        }
    }
}

/// CloudRoom `GetAllVideoInfo(UID)`: UsrVideoInfo `{userId, videoID, videoName}` of this
/// session's cameras (videoID from 1), or another member's camera.
#[wasm_bindgen(js_name = CRVideo_GetAllVideoInfo)]
pub fn get_all_video_info(uid: JsValue) -> Array {
    part().state.borrow().video_info_of(&uid)
}

/// CloudRoom `GetDefaultVideo(UID)`: the camera OpenVideo opens.
#[wasm_bindgen(js_name = CRVideo_GetDefaultVideo)]
pub fn get_default_video(uid: JsValue) -> u32 {
    part().state.borrow().default_video_of(&uid)
}

/// CloudRoom `SetDefaultVideo(UID, videoID)`: this session's camera for the next
/// OpenVideo. Lineup: returns 0, or the error code (the console says why).
#[wasm_bindgen(js_name = CRVideo_SetDefaultVideo)]
pub fn set_default_video(uid: JsValue, video_id: JsValue) -> u32 {
    let r = part().state.borrow_mut().set_default_video(&uid, &video_id);
    refused("SetDefaultVideo", r)
}

/// CloudRoom `SetVideoCfg(cfg)`: `{size: {width, height} or "W*H", fps, maxbps}` for the
/// camera (the open one at once). Lineup: returns 0, or 5 naming the wrong field.
#[wasm_bindgen(js_name = CRVideo_SetVideoCfg)]
pub fn set_video_cfg(cfg: JsValue) -> u32 {
    refused("SetVideoCfg", media::devices::set_video_cfg(&part(), &cfg))
}

/// CloudRoom `GetVideoCfg()`: `{size: {width, height}, fps, maxbps}` (0: the browser's).
#[wasm_bindgen(js_name = CRVideo_GetVideoCfg)]
pub fn get_video_cfg() -> JsValue {
    part().state.borrow().devices.cfg_object()
}

/// CloudRoom `GetAudioMicNames()`: this browser's microphones `{micID, micName}` (micID
/// from 1; names are known once a device was opened).
#[wasm_bindgen(js_name = CRVideo_GetAudioMicNames)]
pub fn get_audio_mic_names() -> Array {
    part().state.borrow().devices.audio.mic_names()
}

/// CloudRoom `GetAudioSpkNames()`: this browser's speakers `{speakerID, speakerName}`.
#[wasm_bindgen(js_name = CRVideo_GetAudioSpkNames)]
pub fn get_audio_spk_names() -> Array {
    part().state.borrow().devices.audio.speaker_names()
}

/// CloudRoom `GetAudioCfg()`: `{micID, speakerID}` (0: the browser's default).
#[wasm_bindgen(js_name = CRVideo_GetAudioCfg)]
pub fn get_audio_cfg() -> JsValue {
    part().state.borrow().devices.audio.cfg_object()
}

/// CloudRoom `SetAudioCfg({micID, speakerID})`: the microphone for the next OpenMic, the
/// speaker for the members' audio at once. Lineup: returns 0, or 5 naming the wrong field.
#[wasm_bindgen(js_name = CRVideo_SetAudioCfg)]
pub fn set_audio_cfg(cfg: JsValue) -> u32 {
    let r = part().state.borrow_mut().devices.audio.set_cfg(&cfg);
    if r.is_ok() {
        media::reroute(&part());
    }
    refused("SetAudioCfg", r)
}

/// CloudRoom `GetMicEnergy(UID)`: the member's microphone energy, 0–10.
#[wasm_bindgen(js_name = CRVideo_GetMicEnergy)]
pub fn get_mic_energy(uid: JsValue) -> u32 {
    part().state.borrow().energy_of(&uid)
}

/// CloudRoom `CreatVideoObj(opts)`: a video object (`opts`: `{poster, style}`). It is a
/// `<video>` element (place it directly, as WebIE pages do) with CloudRoom's methods:
/// `setVideo(UID, videoID)` shows that member's camera (this session's own: the
/// preview), `handler()` is the element to place (the video with its nickname label),
/// `id()`, `width()`, `height()`, `clear()`, `setNickNameStyle(css)`,
/// `setNickNameContent(text)` (text, never markup; until it is called the label is the
/// member's nickname), `setVisibleNickName(bool)`, `savePic()` (a PNG data URL).
#[wasm_bindgen(js_name = CRVideo_CreatVideoObj)]
pub fn creat_video_obj(opts: JsValue) -> JsValue {
    media::video_object(&part(), &opts, super::members::nickname_of, false)
}

/// CloudRoom `StartScreenShare()`: this session shares its screen (the browser asks the
/// user which); `StartScreenShareRslt(sdkErr)`: 0, 700 when another member shares,
/// 8002 when the user refused, 8004 when the browser cannot share a screen. The room,
/// this session too, is told `NotifyScreenShareStarted(sharerUID)`.
#[wasm_bindgen(js_name = CRVideo_StartScreenShare)]
pub fn start_screen_share() {
    wasm_bindgen_futures::spawn_local(async {
        let code = match media::screen::start(part()).await {
            Ok(()) => 0,
            Err((code, msg)) => {
                web_sys::console::warn_1(
                    &["lineup: StartScreenShare failed (", &code.to_string(), "): ", &msg].concat().into(),
                );
                code
            }
        };
        super::fire("StartScreenShareRslt", &[code.into()]);
    });
}

/// CloudRoom `StopScreenShare()`: the share ends; `StopScreenShareRslt(sdkErr)`, and the
/// room is told `NotifyScreenShareStopped(sharerUID)`.
#[wasm_bindgen(js_name = CRVideo_StopScreenShare)]
pub fn stop_screen_share() {
    wasm_bindgen_futures::spawn_local(async {
        let code = media::screen::stop(part()).await.map_or_else(|(code, _)| code, |_| 0);
        super::fire("StopScreenShareRslt", &[code.into()]);
    });
}

/// CloudRoom `SetScreenShareCfg({maxFPS, maxKbps})`: for the next share. Lineup: returns
/// 0, or 5 naming the wrong field.
#[wasm_bindgen(js_name = CRVideo_SetScreenShareCfg)]
pub fn set_screen_share_cfg(cfg: JsValue) -> u32 {
    let r = part().state.borrow_mut().screen.set_cfg(&cfg);
    refused("SetScreenShareCfg", r)
}

/// CloudRoom `GetScreenShareCfg()`: `{maxFPS, maxKbps}` (0: the browser's choice).
#[wasm_bindgen(js_name = CRVideo_GetScreenShareCfg)]
pub fn get_screen_share_cfg() -> JsValue {
    part().state.borrow().screen.cfg_object()
}

/// CloudRoom `CreatScreenShareObj(opts)`: a screen-share object with CreatVideoObj's
/// methods (`handler()` to place, `setVideo(sharerUID)`, `destroy()`, the nickname label
/// as text, `dblClickFullScreen(1)`) showing the member's shared screen (the sharer's
/// own: its capture).
#[wasm_bindgen(js_name = CRVideo_CreatScreenShareObj)]
pub fn creat_screen_share_obj(opts: JsValue) -> JsValue {
    media::video_object(&part(), &opts, super::members::nickname_of, true)
}

/// Lineup: the media connection's statistics (a promise of an `RTCStatsReport`).
#[wasm_bindgen(js_name = CRVideo_GetMediaStats)]
pub fn get_media_stats() -> Promise {
    future_to_promise(async { media::get_stats(part()).await.map_err(|(c, m)| error(c, &m)) })
}
