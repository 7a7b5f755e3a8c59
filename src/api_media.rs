//! The modern API's audio and video: the same media core as CRVideo's OpenMic & co.
//! Status events: `AudioStatusChanged` / `VideoStatusChanged` `{UID, oldStatus,
//! newStatus}` (CloudRoom's values), `MicEnergyUpdate` `{UID, oldLevel, newLevel}`
//! (0–10), `MediaLost` when the media connection is gone for good.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::HtmlMediaElement;

use crate::api::LineupCore;
use crate::args::text;
use crate::interop::error;
use crate::media::{self, Device};

impl LineupCore {
    /// The session's media part.
    fn part(&self) -> media::MediaRef {
        self.core.borrow().media.clone()
    }

    fn open_device(&self, kind: Device) -> Promise {
        let part = self.part();
        future_to_promise(async move {
            media::open(part, kind).await.map(|_| JsValue::UNDEFINED).map_err(|(c, m)| error(c, &m))
        })
    }
}

#[wasm_bindgen]
impl LineupCore {
    /// Opens and sends the microphone in the room this session entered; resolves once
    /// the server answered (the status goes OPENING, then OPEN). Rejects with 34 when
    /// the microphone cannot be opened (the call goes on), 800 outside a room.
    #[wasm_bindgen(js_name = openMic, unchecked_return_type = "Promise<void>")]
    pub fn open_mic(&self) -> Promise {
        self.open_device(Device::Audio)
    }

    /// Stops sending the microphone, at once.
    #[wasm_bindgen(js_name = closeMic)]
    pub fn close_mic(&self) {
        media::close(&self.part(), Device::Audio);
    }

    /// Opens and sends the camera (as `openMic`).
    #[wasm_bindgen(js_name = openVideo, unchecked_return_type = "Promise<void>")]
    pub fn open_video(&self) -> Promise {
        self.open_device(Device::Video)
    }

    #[wasm_bindgen(js_name = closeVideo)]
    pub fn close_video(&self) {
        media::close(&self.part(), Device::Video);
    }

    /// A member's microphone status (this session's when no UID): 0 unknown, 1 no
    /// device, 2 closed, 3 open, 4 opening.
    #[wasm_bindgen(js_name = audioStatus)]
    pub fn audio_status(
        &self,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string | undefined")] uid: JsValue,
    ) -> u32 {
        self.part().state.borrow().status_of(&uid, Device::Audio)
    }

    /// A member's camera status (as `audioStatus`).
    #[wasm_bindgen(js_name = videoStatus)]
    pub fn video_status(
        &self,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string | undefined")] uid: JsValue,
    ) -> u32 {
        self.part().state.borrow().status_of(&uid, Device::Video)
    }

    /// Shows a member's camera in a `<video>` element (this session's UID: the local
    /// preview; "" detaches).
    #[wasm_bindgen(js_name = attachVideo)]
    pub fn attach_video(&self, element: HtmlMediaElement, #[wasm_bindgen(js_name = UID)] uid: String) {
        media::attach(&self.part(), element, uid);
    }

    /// Shows a member's shared screen in a `<video>` element (the sharer's own UID: its
    /// capture; "" detaches). The share is told by `NotifyScreenShareStarted` `{UID}`.
    #[wasm_bindgen(js_name = attachScreen)]
    pub fn attach_screen(&self, element: HtmlMediaElement, #[wasm_bindgen(js_name = UID)] uid: String) {
        media::attach_screen(&self.part(), element, uid);
    }

    /// Shares this session's screen with the room (the browser asks which); resolves once
    /// the server forwards it (the room, this session too, gets `NotifyScreenShareStarted`).
    /// Rejects with 700 when another member shares, 8002 when the user refused, 8004
    /// when the browser cannot share a screen, 800 outside a room.
    #[wasm_bindgen(js_name = startScreenShare, unchecked_return_type = "Promise<void>")]
    pub fn start_screen_share(&self) -> Promise {
        let part = self.part();
        future_to_promise(async move {
            media::screen::start(part).await.map(|_| JsValue::UNDEFINED).map_err(|(c, m)| error(c, &m))
        })
    }

    /// Ends this session's screen share (the room gets `NotifyScreenShareStopped`).
    #[wasm_bindgen(js_name = stopScreenShare, unchecked_return_type = "Promise<void>")]
    pub fn stop_screen_share(&self) -> Promise {
        let part = self.part();
        future_to_promise(async move {
            media::screen::stop(part).await.map(|_| JsValue::UNDEFINED).map_err(|(c, m)| error(c, &m))
        })
    }

    /// The next screen share's limits: `{maxFPS, maxKbps}` (0: the browser's choice).
    /// Throws LineupError 5 naming a wrong field.
    #[wasm_bindgen(js_name = setScreenShareCfg)]
    pub fn set_screen_share_cfg(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ maxFPS?: number; maxKbps?: number }")] cfg: JsValue,
    ) -> Result<(), JsValue> {
        self.part().state.borrow_mut().screen.set_cfg(&cfg).map_err(|(c, m)| error(c, &m))
    }

    /// The screen share's limits (0: the browser's choice).
    #[wasm_bindgen(getter = screenShareCfg, unchecked_return_type = "{ maxFPS: number; maxKbps: number }")]
    pub fn screen_share_cfg(&self) -> JsValue {
        self.part().state.borrow().screen.cfg_object()
    }

    /// Who shares its screen in the room ("" when nobody does).
    #[wasm_bindgen(getter = screenSharer)]
    pub fn screen_sharer(&self) -> String {
        self.part().state.borrow().screen.sharer.clone().unwrap_or_default()
    }

    /// The room's members with media: `{userId, audioStatus, videoStatus}`.
    #[wasm_bindgen(getter = mediaMembers, unchecked_return_type = "Array<{ userId: string; audioStatus: number; videoStatus: number }>")]
    pub fn media_members(&self) -> Array {
        self.part().state.borrow().members_info()
    }

    /// Lineup (supervisor): joins the call in room `meetID` (`GetAgents` →
    /// `customers[].meetID`) as `monitor` (listen), `whisper` (speak to `agentUID` only)
    /// or `barge` (join fully). `closeMic()` / `leaveMedia()` as usual.
    #[wasm_bindgen(js_name = monitorCall, unchecked_return_type = "Promise<void>")]
    pub fn monitor_call(
        &self,
        #[wasm_bindgen(js_name = meetID)] meet_id: u32,
        #[wasm_bindgen(unchecked_param_type = "'monitor' | 'whisper' | 'barge'")] mode: JsValue,
        #[wasm_bindgen(js_name = agentUID, unchecked_param_type = "string | undefined")] agent: JsValue,
    ) -> Promise {
        let part = self.part();
        let agent = agent.as_string();
        let mode = text(&mode);
        future_to_promise(async move {
            media::monitor(part, meet_id, mode, agent).await.map(|_| JsValue::UNDEFINED).map_err(|(c, m)| error(c, &m))
        })
    }

    /// Leaves the room's media (the call, if any, goes on).
    #[wasm_bindgen(js_name = leaveMedia)]
    pub fn leave_media(&self) {
        let joined = {
            let part = self.part();
            let mut media = part.state.borrow_mut();
            let joined = media.joined;
            let meeting = if media.monitor.is_some() { 0 } else { media.meeting };
            media.reset();
            media.meeting = meeting;
            joined
        };
        if joined {
            let _ = crate::api_ops::send_quietly(&self.core, lineup_protocol::ws::Op::MediaLeave);
        }
    }

    /// This browser's cameras (a member's UID: its camera, once known):
    /// `{userId, videoID, videoName}`, videoID from 1.
    #[wasm_bindgen(js_name = videoDevices, unchecked_return_type = "Array<{ userId: string; videoID: number; videoName: string }>")]
    pub fn video_devices(
        &self,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string | undefined")] uid: JsValue,
    ) -> Array {
        self.part().state.borrow().video_info_of(&uid)
    }

    /// The camera `openVideo` opens (a `videoID` of `videoDevices()`).
    #[wasm_bindgen(js_name = setDefaultVideo)]
    pub fn set_default_video(
        &self,
        #[wasm_bindgen(js_name = videoID, unchecked_param_type = "number")] video_id: JsValue,
    ) -> Result<(), JsValue> {
        let r = self.part().state.borrow_mut().set_default_video(&JsValue::UNDEFINED, &video_id);
        r.map_err(|(c, m)| error(c, &m))
    }

    /// The camera's size, frame rate and bitrate limit: `{size: {width, height} or
    /// "W*H", fps, maxbps}`; the open camera takes it at once. Throws LineupError 5
    /// naming a wrong field.
    #[wasm_bindgen(js_name = setVideoCfg)]
    pub fn set_video_cfg(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ size?: { width: number; height: number } | string; fps?: number; maxbps?: number }"
        )]
        cfg: JsValue,
    ) -> Result<(), JsValue> {
        media::devices::set_video_cfg(&self.part(), &cfg).map_err(|(c, m)| error(c, &m))
    }

    /// The camera configuration (0: the browser's choice).
    #[wasm_bindgen(getter = videoCfg, unchecked_return_type = "{ size: { width: number; height: number }; fps: number; maxbps: number }")]
    pub fn video_cfg(&self) -> JsValue {
        self.part().state.borrow().devices.cfg_object()
    }

    /// A member's microphone energy, 0–10 (this session's when no UID).
    #[wasm_bindgen(js_name = micEnergy)]
    pub fn mic_energy(
        &self,
        #[wasm_bindgen(js_name = UID, unchecked_param_type = "string | undefined")] uid: JsValue,
    ) -> u32 {
        self.part().state.borrow().energy_of(&uid)
    }

    /// The media connection's `RTCStatsReport`.
    #[wasm_bindgen(js_name = getMediaStats, unchecked_return_type = "Promise<RTCStatsReport>")]
    pub fn get_media_stats(&self) -> Promise {
        let part = self.part();
        future_to_promise(async move { media::get_stats(part).await.map_err(|(c, m)| error(c, &m)) })
    }
}
