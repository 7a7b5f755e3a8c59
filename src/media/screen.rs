//! Screen sharing, CloudRoom's way: `StartScreenShare` captures the screen
//! (`getDisplayMedia`) and sends it on one more send-only video line of the room's peer
//! connection (PROTOCOL.md `StartScreenShare`: the server forwards it as a track of its
//! own); `StopScreenShare` stops the capture and the line goes silent (a later share
//! reuses it). One sharer per room: the server refuses a second (700). The room learns
//! of a share by `NotifyScreenShareStarted` / `NotifyScreenShareStopped` (the sharer
//! too); the share's stream is shown by a screen-share object (`CreatScreenShareObj`) or
//! `attachScreen`. The browser's own "stop sharing" ends the share as StopScreenShare does.

use js_sys::{Array, Function, Object, Reflect};
use lineup_client::Failure;
use lineup_protocol::codes;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamTrack, RtcRtpTransceiverDirection, RtcRtpTransceiverInit};

use super::Local;
use super::MediaRef;
use crate::interop::{error_message, get, set};

/// CloudRoom's ScreenShareCfg: the most frames a second and kbit/s the share is sent at
/// (0: the browser's choice).
#[derive(Default)]
pub struct Screen {
    pub max_fps: u32,
    pub max_kbps: u32,
    /// The captured screen and the line that sends it (kept after a stop: reused).
    pub local: Option<Local>,
    /// Who shares in the room (`NotifyScreenShareStarted`), this session included.
    pub sharer: Option<String>,
    /// The capture's `ended` handler (the browser's "stop sharing"), while it runs.
    pub on_ended: Option<Closure<dyn FnMut()>>,
}

impl Screen {
    /// CloudRoom GetScreenShareCfg: `{maxFPS, maxKbps}`.
    pub fn cfg_object(&self) -> JsValue {
        let o = Object::new();
        set(&o, "maxFPS", self.max_fps);
        set(&o, "maxKbps", self.max_kbps);
        o.into()
    }

    /// CloudRoom SetScreenShareCfg(`{maxFPS, maxKbps}`): for the next share (other fields
    /// of CloudRoom's, such as `catchRect`, have no browser equivalent and are ignored).
    pub fn set_cfg(&mut self, cfg: &JsValue) -> Result<(), Failure> {
        if !cfg.is_object() {
            return Err((codes::MEETPARAM_ERR, "invalid cfg: an object {maxFPS, maxKbps}".into()));
        }
        let field = |name: &str, max: u32| -> Result<Option<u32>, Failure> {
            let v = get(cfg, name);
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            match v.as_f64() {
                Some(n) if n.fract() == 0.0 && (0.0..=f64::from(max)).contains(&n) => Ok(Some(n as u32)),
                _ => Err((codes::MEETPARAM_ERR, format!("invalid {name}: an integer from 0 to {max}"))),
            }
        };
        let (fps, kbps) = (field("maxFPS", 60)?, field("maxKbps", 100_000)?);
        self.max_fps = fps.unwrap_or(self.max_fps);
        self.max_kbps = kbps.unwrap_or(self.max_kbps);
        Ok(())
    }

    /// Whether this session's screen is being captured.
    pub fn capturing(&self) -> bool {
        self.local.as_ref().is_some_and(|l| l.track.is_some())
    }

    /// Stops the capture (the line stays); its sender, to silence.
    pub fn release(&mut self) -> Option<web_sys::RtcRtpSender> {
        self.on_ended = None;
        let local = self.local.as_mut()?;
        if let Some(t) = local.track.take() {
            t.set_onended(None);
            t.stop();
        }
        local.transceiver.as_ref().map(|t| t.sender())
    }
}

/// The screen, as the user picks it (at the configured frame rate).
async fn capture(part: &MediaRef) -> Result<MediaStreamTrack, Failure> {
    let unsupported =
        || (codes::DEVICE_HAVENOTAPI_ERR, "this browser cannot share a screen (no getDisplayMedia)".to_string());
    let devices = web_sys::window().ok_or_else(unsupported)?.navigator().media_devices().map_err(|_| unsupported())?;
    let gdm = Reflect::get(&devices, &"getDisplayMedia".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    let gdm = gdm.ok_or_else(unsupported)?;
    let video = Object::new();
    let fps = part.state.borrow().screen.max_fps;
    if fps > 0 {
        set(&video, "frameRate", fps);
    }
    let constraints = Object::new();
    set(&constraints, "video", video);
    set(&constraints, "audio", false);
    let denied = |e: JsValue| {
        let code = if get(&e, "name").as_string().as_deref() == Some("NotAllowedError") {
            codes::DEVICE_NOTALLOWED_ERR
        } else {
            codes::MEDIA_DEVICE_ERR
        };
        (code, ["the screen could not be shared: ", &error_message(&e)].concat())
    };
    let p = gdm.call1(&devices, &constraints).map_err(denied)?;
    let stream: MediaStream = JsFuture::from(js_sys::Promise::from(p)).await.map_err(denied)?.unchecked_into();
    stream.get_video_tracks().get(0).dyn_into::<MediaStreamTrack>().map_err(denied)
}

/// CloudRoom StartScreenShare for this session: resolves once the server forwards the
/// screen (the room is told `NotifyScreenShareStarted`).
pub async fn start(part: MediaRef) -> Result<(), Failure> {
    let (meeting, me, sharer, capturing) = {
        let m = part.state.borrow();
        (m.meeting, m.me.clone(), m.screen.sharer.clone(), m.screen.capturing())
    };
    if meeting == 0 {
        return Err((codes::MEETNOTEXIST, "enter a meeting first (EnterMeeting)".into()));
    }
    if capturing {
        return Ok(());
    }
    if let Some(other) = sharer.filter(|s| *s != me) {
        return Err((codes::SCREENSHARE_EXIST, format!("{other} is sharing its screen in room {meeting}")));
    }
    let track = capture(&part).await?;
    if part.state.borrow().meeting != meeting {
        track.stop();
        return Err((codes::MEETNOTEXIST, "the meeting was left while the screen was being chosen".into()));
    }
    // The media connection joins first (receive-only lines when nothing else is sent).
    let pc = super::peer::peer(&part)?;
    if !part.state.borrow().joined {
        if pc.get_transceivers().length() == 0 {
            for kind in ["audio", "video"] {
                let init = RtcRtpTransceiverInit::new();
                init.set_direction(RtcRtpTransceiverDirection::Recvonly);
                pc.add_transceiver_with_str_and_init(kind, &init);
            }
        }
        if let Err(e) = super::peer::negotiate(&part, false).await {
            track.stop();
            return Err(e);
        }
    }
    let line = part.state.borrow().screen.local.as_ref().and_then(|l| l.transceiver.clone());
    match &line {
        Some(t) => {
            if let Err(e) = JsFuture::from(t.sender().replace_track(Some(&track))).await {
                track.stop();
                return Err((codes::MEDIA_ERR, ["replaceTrack: ", &error_message(&e)].concat()));
            }
        }
        None => {
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Sendonly);
            let stream = MediaStream::new().map_err(|e| (codes::MEDIA_ERR, error_message(&e)))?;
            stream.add_track(&track);
            init.set_streams(&Array::of1(&stream));
            let t = pc.add_transceiver_with_media_stream_track_and_init(&track, &init);
            part.state.borrow_mut().screen.local = Some(Local { track: None, transceiver: Some(t) });
        }
    }
    // The same track, not `track.clone()` (JavaScript's clone(): a second capture).
    if let Some(l) = part.state.borrow_mut().screen.local.as_mut() {
        l.track = Some(Clone::clone(&track));
    }
    if let Err(e) = super::peer::negotiate(&part, true).await {
        let sender = part.state.borrow_mut().screen.release();
        if let Some(s) = sender {
            super::sinks::quietly(&part, s.replace_track(None));
        }
        return Err(e);
    }
    // The browser's own "stop sharing" ends the share.
    let weak = std::rc::Rc::downgrade(&part);
    let ended = Closure::<dyn FnMut()>::new(move || {
        if let Some(part) = weak.upgrade() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = stop(part).await;
            });
        }
    });
    track.set_onended(Some(ended.as_ref().unchecked_ref()));
    let (kbps, sender) = {
        let mut inner = part.state.borrow_mut();
        inner.screen.on_ended = Some(ended);
        let sender = inner.screen.local.as_ref().and_then(|l| l.transceiver.as_ref()).map(|t| t.sender());
        (inner.screen.max_kbps, sender)
    };
    if let (true, Some(sender)) = (kbps > 0, sender) {
        super::devices::set_max_bitrate(&sender, kbps.saturating_mul(1000)).await;
    }
    super::sinks::local_changed(&part);
    Ok(())
}

/// CloudRoom StopScreenShare for this session: the capture stops at once, the server is
/// told (the room gets `NotifyScreenShareStopped`).
pub async fn stop(part: MediaRef) -> Result<(), Failure> {
    let (sender, meeting, joined, was) = {
        let mut inner = part.state.borrow_mut();
        let was = inner.screen.capturing();
        let sender = inner.screen.release();
        (sender, inner.meeting, inner.joined, was)
    };
    if let Some(s) = sender {
        super::sinks::quietly(&part, s.replace_track(None));
    }
    super::sinks::local_changed(&part);
    if !was || meeting == 0 || !joined {
        return Ok(());
    }
    super::peer::send(&part, Op::StopScreenShare { meet_id: meeting }).await.map(|_| ())
}

/// `NotifyScreenShareStarted` / `Stopped`: who shares; a stop of this session's share the
/// server decided (its media left) releases the capture.
pub fn on_share(part: &MediaRef, uid: String, started: bool) {
    let mut inner = part.state.borrow_mut();
    let media = &mut *inner;
    if started {
        media.screen.sharer = Some(uid);
        return;
    }
    if media.screen.sharer.as_deref() == Some(uid.as_str()) {
        media.screen.sharer = None;
    }
    if uid == media.me && media.screen.capturing() {
        let sender = media.screen.release();
        drop(inner);
        if let Some(s) = sender {
            super::sinks::quietly(part, s.replace_track(None));
        }
        super::sinks::local_changed(part);
    }
}
