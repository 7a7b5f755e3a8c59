//! Devices and levels: the cameras of this browser (CloudRoom GetAllVideoInfo,
//! Get/SetDefaultVideo), the camera's configuration (SetVideoCfg / GetVideoCfg: size,
//! fps, maxbps), and the members' microphone energy (MicEnergyUpdate, GetMicEnergy:
//! 0–10), read from the connection's statistics every [`ENERGY_MS`] while it is up.

use std::rc::Rc;

use js_sys::{Array, Function, Map, Object};
use lineup_client::Failure;
use lineup_protocol::codes;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{MediaDeviceInfo, MediaStreamTrack, RtcRtpSender};

use super::MediaRef;
use super::{deliver, Device, Events, OPEN};
use crate::interop::{get, object, set};

/// How often the microphone energy is read.
pub const ENERGY_MS: i32 = 300;

/// A camera of this browser: CloudRoom's videoID is its place in the list, from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Camera {
    pub device_id: String,
    pub label: String,
}

/// The camera's configuration; 0: the browser's choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoCfg {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Bits per second the camera is sent with at most.
    pub maxbps: u32,
}

/// A repeating browser timer, cleared when dropped.
pub struct Interval {
    id: i32,
    _tick: Closure<dyn FnMut()>,
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}

#[derive(Default)]
pub struct Devices {
    pub cameras: Vec<Camera>,
    /// The camera OpenVideo opens (videoID; 0: the browser's default).
    pub default_video: u32,
    pub video_cfg: VideoCfg,
    /// The last energy of each member heard (UID, 0–10).
    pub energy: Vec<(String, u32)>,
    /// The energy reading while a connection is up.
    pub poll: Option<Interval>,
    /// Received tracks (track id) and the stream id they came in (`MediaTrack.stream`).
    pub track_streams: Vec<(String, String)>,
    /// Microphones and speakers.
    pub audio: super::audio_devices::AudioDevices,
    /// The server's cap on our video (`MediaBitrate`), bits per second; 0: none.
    pub server_cap_bps: u32,
}

impl Devices {
    /// The video bitrate to send at most: the page's `maxbps` or the server's cap,
    /// whichever is lower (0: no limit).
    pub fn max_video_bps(&self) -> u32 {
        match (self.video_cfg.maxbps, self.server_cap_bps) {
            (0, cap) | (cap, 0) => cap,
            (a, b) => a.min(b),
        }
    }

    /// The size and frame rate asked of the camera (an empty object: the browser's).
    pub fn cfg_constraints(&self) -> Object {
        let cfg = self.video_cfg;
        let c = Object::new();
        let ideal = |v: u32| {
            let o = Object::new();
            set(&o, "ideal", v);
            o
        };
        if cfg.width > 0 {
            set(&c, "width", ideal(cfg.width));
            set(&c, "height", ideal(cfg.height));
        }
        if cfg.fps > 0 {
            set(&c, "frameRate", ideal(cfg.fps));
        }
        c
    }

    /// What getUserMedia is asked for the camera: the configuration and the default
    /// camera (`true`: anything).
    pub fn video_constraints(&self) -> JsValue {
        let camera = self
            .default_video
            .checked_sub(1)
            .and_then(|i| self.cameras.get(i as usize))
            .filter(|c| !c.device_id.is_empty());
        if self.video_cfg == VideoCfg::default() && camera.is_none() {
            return JsValue::TRUE;
        }
        let c = self.cfg_constraints();
        if let Some(cam) = camera {
            let exact = Object::new();
            set(&exact, "exact", cam.device_id.as_str());
            set(&c, "deviceId", exact);
        }
        c.into()
    }

    /// CloudRoom UsrVideoInfo `{userId, videoID, videoName}` of this browser's cameras.
    pub fn video_info(&self, uid: &str) -> Array {
        self.cameras
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let o = object(&[("userId", uid), ("videoName", &c.label)]);
                set(&o, "videoID", i as u32 + 1);
                o
            })
            .collect()
    }

    /// `{size: {width, height}, fps, maxbps}` (0: the browser's choice).
    pub fn cfg_object(&self) -> JsValue {
        let c = self.video_cfg;
        let size = Object::new();
        set(&size, "width", c.width);
        set(&size, "height", c.height);
        let o = Object::new();
        set(&o, "size", size);
        set(&o, "fps", c.fps);
        set(&o, "maxbps", c.maxbps);
        o.into()
    }

    pub fn energy_of(&self, uid: &str) -> u32 {
        self.energy.iter().find(|(u, _)| u == uid).map_or(0, |(_, l)| *l)
    }
}

pub(super) fn bad(field: &str, rule: &str) -> Failure {
    (codes::MEETPARAM_ERR, format!("invalid {field}: {rule}"))
}

pub(super) fn number_in(v: &JsValue, field: &str, lo: u32, hi: u32) -> Result<Option<u32>, Failure> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let rule = format!("an integer from {lo} to {hi}");
    let n = v.as_f64().ok_or_else(|| bad(field, &rule))?;
    if n.fract() != 0.0 || n < f64::from(lo) || n > f64::from(hi) {
        return Err(bad(field, &rule));
    }
    Ok(Some(n as u32))
}

/// RTCSDKV2's size presets (`size` 1: 360 lines, 2: 480, 3: 720, 4: 1080; absent: 1)
/// and aspect ratios (`ratio` 1: 16:9, 2: 4:3, 3: 1:1, 4: 3:4, 5: 9:16; absent: 1), as
/// `(width, height)`: the width a multiple of 8, as CloudRoom rounds it.
fn preset(size: &JsValue, ratio: &JsValue) -> Result<(u32, u32), Failure> {
    let height = match number_in(size, "size", 1, 4)?.unwrap_or(1) {
        1 => 360.0,
        2 => 480.0,
        3 => 720.0,
        _ => 1080.0,
    };
    let ratio = match number_in(ratio, "ratio", 1, 5)?.unwrap_or(1) {
        1 => 16.0 / 9.0,
        2 => 4.0 / 3.0,
        3 => 1.0,
        4 => 3.0 / 4.0,
        _ => 9.0 / 16.0,
    };
    Ok(((height * ratio / 8.0_f64).round() as u32 * 8, height as u32))
}

/// Reads CloudRoom's VideoCfg: `size` as `{width, height}`, `"640*360"` or RTCSDKV2's
/// preset number (with `ratio`), `fps`, `maxbps`; absent fields keep their value.
pub fn parse_cfg(old: VideoCfg, cfg: &JsValue) -> Result<VideoCfg, Failure> {
    if !cfg.is_object() {
        return Err(bad("cfg", "an object {size, fps, maxbps}"));
    }
    let mut c = old;
    let size = get(cfg, "size");
    if let Some(s) = size.as_string() {
        let (w, h) = s.split_once(['*', 'x', 'X']).ok_or_else(|| bad("size", "\"W*H\" or {width, height}"))?;
        let dim = |t: &str, f: &str| {
            t.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (16..=4096).contains(n))
                .ok_or_else(|| bad(f, "an integer from 16 to 4096"))
        };
        c.width = dim(w, "size.width")?;
        c.height = dim(h, "size.height")?;
    } else if size.is_object() {
        let w = number_in(&get(&size, "width"), "size.width", 16, 4096)?
            .ok_or_else(|| bad("size.width", "an integer from 16 to 4096"))?;
        let h = number_in(&get(&size, "height"), "size.height", 16, 4096)?
            .ok_or_else(|| bad("size.height", "an integer from 16 to 4096"))?;
        (c.width, c.height) = (w, h);
    } else if size.as_f64().is_some() || !get(cfg, "ratio").is_undefined() {
        (c.width, c.height) = preset(&size, &get(cfg, "ratio"))?;
    } else if !size.is_undefined() {
        return Err(bad("size", "\"W*H\", {width, height} or a size preset 1 to 4"));
    }
    if let Some(fps) = number_in(&get(cfg, "fps"), "fps", 1, 60)? {
        c.fps = fps;
    }
    if let Some(bps) = number_in(&get(cfg, "maxbps"), "maxbps", 10_000, 20_000_000)? {
        c.maxbps = bps;
    }
    Ok(c)
}

/// CloudRoom SetVideoCfg: kept for the next camera opened, and applied to the one being
/// sent (its size and frame rate, the sender's bitrate limit).
pub fn set_video_cfg(part: &MediaRef, cfg: &JsValue) -> Result<(), Failure> {
    {
        let mut inner = part.state.borrow_mut();
        let devices = &mut inner.devices;
        devices.video_cfg = parse_cfg(devices.video_cfg, cfg)?;
    }
    let part = part.clone();
    spawn_local(async move { apply_current(&part).await });
    Ok(())
}

/// Applies the configuration to the camera being sent.
pub async fn apply_current(part: &MediaRef) {
    let (constraints, maxbps, track, sender) = {
        let media = part.state.borrow();
        let cam = media.cam.as_ref();
        let sender = cam.and_then(|c| c.transceiver.as_ref().map(|t| t.sender()));
        (media.devices.cfg_constraints(), media.devices.max_video_bps(), cam.and_then(|c| c.track.clone()), sender)
    };
    apply_cfg(track, sender, constraints, maxbps).await;
}

async fn apply_cfg(track: Option<MediaStreamTrack>, sender: Option<RtcRtpSender>, constraints: Object, maxbps: u32) {
    if let Some(t) = track {
        if let Ok(p) = t.apply_constraints_with_constraints(constraints.unchecked_ref()) {
            if let Err(e) = JsFuture::from(p).await {
                web_sys::console::warn_1(
                    &["lineup: the camera took not all of SetVideoCfg: ", &crate::interop::error_message(&e)]
                        .concat()
                        .into(),
                );
            }
        }
    }
    if let Some(sender) = sender {
        set_max_bitrate(&sender, maxbps).await;
    }
}

/// The server's cap on our video changed (`MediaBitrate`): the camera's sender takes it.
pub async fn cap_video(part: &MediaRef, bps: u32) {
    let sender = {
        let mut inner = part.state.borrow_mut();
        inner.devices.server_cap_bps = bps;
        inner.cam.as_ref().and_then(|c| c.transceiver.as_ref().map(|t| t.sender()))
    };
    let max = part.state.borrow().devices.max_video_bps();
    if let Some(sender) = sender {
        set_max_bitrate(&sender, max).await;
    }
}

pub(super) async fn set_max_bitrate(sender: &RtcRtpSender, maxbps: u32) {
    if maxbps == 0 {
        return;
    }
    let params = sender.get_parameters();
    let encodings = get(&params, "encodings");
    if let Some(first) = Array::from(&encodings).iter().next() {
        set(&first, "maxBitrate", maxbps);
        let _ = JsFuture::from(sender.set_parameters_with_parameters(&params)).await;
    }
}

/// Lists the cameras, microphones and speakers again (labels are known once a device
/// was opened).
pub fn refresh_cameras(part: &MediaRef) {
    let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else { return };
    let Ok(p) = devices.enumerate_devices() else { return };
    let part = part.clone();
    spawn_local(async move {
        let Ok(list) = JsFuture::from(p).await else { return };
        let all: Vec<MediaDeviceInfo> =
            Array::from(&list).iter().filter_map(|d| d.dyn_into::<MediaDeviceInfo>().ok()).collect();
        let of = |kind: web_sys::MediaDeviceKind| -> Vec<Camera> {
            all.iter()
                .filter(|d| d.kind() == kind)
                .map(|d| Camera { device_id: d.device_id(), label: d.label() })
                .collect()
        };
        let mut inner = part.state.borrow_mut();
        let devices = &mut inner.devices;
        devices.cameras = of(web_sys::MediaDeviceKind::Videoinput);
        devices.audio.mics = of(web_sys::MediaDeviceKind::Audioinput);
        devices.audio.speakers = of(web_sys::MediaDeviceKind::Audiooutput);
    });
}

/// Reads the energy every [`ENERGY_MS`] while the connection is up.
pub fn start_energy(part: &MediaRef) -> Option<Interval> {
    let weak = Rc::downgrade(part);
    let tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(part) = weak.upgrade() {
            spawn_local(read_energy(part));
        }
    });
    let f: &Function = tick.as_ref().unchecked_ref();
    let id = web_sys::window()?.set_interval_with_callback_and_timeout_and_arguments_0(f, ENERGY_MS).ok()?;
    Some(Interval { id, _tick: tick })
}

/// One reading: this session's microphone (`media-source`) and each member's received
/// audio (`inbound-rtp`, found by its track), as 0–10; MicEnergyUpdate where it changed.
async fn read_energy(part: MediaRef) {
    let Some(pc) = part.state.borrow().pc.clone() else { return };
    let Ok(report) = JsFuture::from(pc.get_stats()).await else { return };
    let mut levels: Vec<(String, u32)> = Vec::new();
    let receivers: Vec<(String, String)> = pc
        .get_transceivers()
        .iter()
        .filter_map(|t| t.dyn_into::<web_sys::RtcRtpTransceiver>().ok())
        .filter_map(|t| Some((t.mid()?, t.receiver().track().id())))
        .collect();
    {
        let media = part.state.borrow();
        let mic_open = media.status(&media.me, Device::Audio) == OPEN;
        let map: Map = report.unchecked_into();
        map.for_each(&mut |s, _| {
            let level = || get(&s, "audioLevel").as_f64().map(|l| (l * 10.0).round().clamp(0.0, 10.0) as u32);
            if get(&s, "kind").as_string().as_deref() != Some("audio") {
                return;
            }
            match get(&s, "type").as_string().as_deref() {
                Some("media-source") => {
                    levels.push((media.me.clone(), if mic_open { level().unwrap_or(0) } else { 0 }))
                }
                // An inbound stream of SSRC 0 is a bandwidth probe (padding), nobody's audio.
                Some("inbound-rtp") if get(&s, "ssrc").as_f64() == Some(0.0) => {}
                Some("inbound-rtp") => {
                    // The stats name the line (mid); its receiver's track came in the
                    // stream of the member who sends it.
                    let mid = get(&s, "mid").as_string();
                    let track =
                        receivers.iter().find(|(m, _)| mid.as_deref() == Some(m.as_str())).map(|(_, t)| t.as_str());
                    let stream =
                        media.devices.track_streams.iter().find(|(t, _)| Some(t.as_str()) == track).map(|(_, s)| s);
                    let owner = media.members.iter().find(|m| Some(&m.stream_id) == stream);
                    if let (Some(m), Some(l)) = (owner, level()) {
                        if !m.uid.is_empty() {
                            levels.push((m.uid.clone(), l));
                        }
                    }
                }
                _ => {}
            }
        });
    }
    let mut events = Events::new();
    {
        let mut inner = part.state.borrow_mut();
        let energy = &mut inner.devices.energy;
        for (uid, new) in levels {
            let old = match energy.iter_mut().find(|(u, _)| *u == uid) {
                Some((_, l)) => std::mem::replace(l, new),
                None => {
                    energy.push((uid.clone(), new));
                    0
                }
            };
            if old != new {
                let o = object(&[("UID", &uid)]);
                set(&o, "oldLevel", old);
                set(&o, "newLevel", new);
                events.push(("MicEnergyUpdate", o));
            }
        }
    }
    let sink = part.link.events.clone();
    deliver(&sink, events);
}
