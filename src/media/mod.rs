//! Audio and video of the room this session is in: one `RTCPeerConnection` to
//! lineup-server's media server (PROTOCOL.md §10.8), the local microphone and camera,
//! the other members' streams and the elements that play them. Both surfaces use it:
//! CRVideo's OpenMic / CloseMic / OpenVideo / CloseVideo, GetAudioStatus /
//! GetVideoStatus, CreatVideoObj, and the modern API's methods of the same names.
//!
//! Statuses are CloudRoom's: 0 unknown, 1 no device, 2 closed, 3 open, 4 opening. A
//! microphone is OPENING from `open` until the server reports its track open
//! (`MediaTrack`), then OPEN; `close` takes effect at once. Changes reach the page as
//! `AudioStatusChanged` / `VideoStatusChanged` `{UID, oldStatus, newStatus}`.
//!
//! The media code sees nothing of the session but a [`Link`]: it sends ops (and hears
//! their replies) and hands the page its events. Its own state is a [`Part`]'s.
//!
//! - this file: the state, statuses and the notices that change them.
//! - `peer`: the peer connection and its negotiations (async steps, one at a time).
//! - `sinks`: video elements (CreatVideoObj, attachVideo) and remote audio players.
//! - `devices`: cameras, the camera's configuration, microphone energy.
//! - `audio_devices`: microphones and speakers (CloudRoom's AudioCfg).
//! - `screen`: screen sharing (StartScreenShare / StopScreenShare, ScreenShareCfg).

pub mod audio_devices;
pub mod devices;
mod peer;
pub mod screen;
mod sinks;
mod video_object;

use js_sys::Array;
use lineup_protocol::types::TrackKind;
use lineup_protocol::ws::NoticeName;
use wasm_bindgen::JsValue;
use web_sys::{MediaStream, MediaStreamTrack, RtcPeerConnection, RtcRtpTransceiver};

use crate::core::{Done, EventSink};
use crate::interop::{get, get_str, get_u32, object, set};

pub use peer::{close, get_stats, monitor, open};
pub use sinks::{attach, attach_screen, reroute};
pub use video_object::video_object;

pub const UNKNOWN: u32 = 0;
pub const NO_DEVICE: u32 = 1;
pub const CLOSED: u32 = 2;
pub const OPEN: u32 = 3;
pub const OPENING: u32 = 4;

/// A device of this page: the microphone or the camera (what it sends is a track of
/// the wire's `TrackKind`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Device {
    Audio,
    Video,
}

impl Device {
    /// The kind of track it sends.
    pub fn track(self) -> TrackKind {
        match self {
            Device::Audio => TrackKind::Audio,
            Device::Video => TrackKind::Video,
        }
    }

    fn event(self) -> &'static str {
        match self {
            Device::Audio => "AudioStatusChanged",
            Device::Video => "VideoStatusChanged",
        }
    }
}

/// What a member has open, as this session knows it.
pub struct MemberMedia {
    pub uid: String,
    pub audio: u32,
    pub video: u32,
    /// The stream id its tracks carry (`MediaTrack.stream`), and its stream from the
    /// server once a track arrived.
    pub stream_id: String,
    pub stream: Option<MediaStream>,
    /// Its shared screen's stream id (`MediaTrack` kind `screen`) and stream.
    pub screen_id: String,
    pub screen: Option<MediaStream>,
}

/// One local track: the device's track and the transceiver that sends it.
pub struct Local {
    pub track: Option<MediaStreamTrack>,
    pub transceiver: Option<RtcRtpTransceiver>,
}

/// What the media code sees of the session: a way to send an op (its reply comes to
/// `Done`, once, with no state borrowed) and the sink of the page's events.
pub struct Link {
    pub send: SendOp,
    pub events: EventSink,
}

/// Sends an op on the session; its reply (or failure) goes to the `Done`.
pub type SendOp = Box<dyn Fn(&lineup_protocol::ws::Op, Done)>;

/// The media part of a session: its state and its link to the session.
pub struct Part {
    pub state: std::cell::RefCell<Media>,
    pub link: Link,
}

/// The handle every media function takes (callbacks hold it weakly).
pub type MediaRef = std::rc::Rc<Part>;

impl Part {
    pub fn new(link: Link) -> MediaRef {
        std::rc::Rc::new(Part { state: Default::default(), link })
    }
}

/// The media state of a session.
#[derive(Default)]
pub struct Media {
    /// The room this session entered (0: none).
    pub meeting: u32,
    /// This session's UID.
    pub me: String,
    pub pc: Option<RtcPeerConnection>,
    /// Whether the server has our offer (MediaJoin was answered).
    pub joined: bool,
    pub mic: Option<Local>,
    pub cam: Option<Local>,
    pub members: Vec<MemberMedia>,
    pub sinks: sinks::Sinks,
    pub negotiation: peer::Queue,
    /// The peer connection's callbacks (owned; released with the connection).
    pub handles: Option<peer::Handles>,
    /// A supervisor's way into the room (`MediaMonitor` mode and whispered agent);
    /// None: as a member (`MediaJoin`).
    pub monitor: Option<(lineup_protocol::types::MonitorMode, Option<String>)>,
    /// A failed connection is being replaced (`peer::recover`).
    pub recovering: bool,
    /// Replacements in a row that did not connect yet.
    pub restarts: u32,
    /// Cameras, their configuration, microphone energy.
    pub devices: devices::Devices,
    /// This session's screen share, and who shares in the room.
    pub screen: screen::Screen,
}

impl Media {
    pub fn member(&mut self, uid: &str) -> &mut MemberMedia {
        if let Some(i) = self.members.iter().position(|m| m.uid == uid) {
            return &mut self.members[i];
        }
        self.members.push(MemberMedia {
            uid: uid.to_string(),
            audio: UNKNOWN,
            video: UNKNOWN,
            stream_id: String::new(),
            stream: None,
            screen_id: String::new(),
            screen: None,
        });
        self.members.last_mut().expect("just pushed")
    }

    /// Learns that `uid`'s tracks (or, `screen`, its shared screen) carry stream id
    /// `stream` (a stream that arrived before this was said joins its member).
    pub fn name_stream(&mut self, uid: &str, stream: &str, screen: bool) {
        let early = match self.members.iter().position(|m| m.uid.is_empty() && m.stream_id == stream) {
            Some(i) => self.members.remove(i).stream,
            None => None,
        };
        let m = self.member(uid);
        let (id, slot) = if screen { (&mut m.screen_id, &mut m.screen) } else { (&mut m.stream_id, &mut m.stream) };
        *id = stream.to_string();
        if early.is_some() {
            *slot = early;
        }
    }

    /// The member whose tracks carry stream id `stream` (one with no UID yet when the
    /// stream came before its `MediaTrack`).
    pub fn member_of_stream(&mut self, stream: &str) -> &mut MemberMedia {
        if let Some(i) = self.members.iter().position(|m| m.stream_id == stream) {
            return &mut self.members[i];
        }
        self.members.push(MemberMedia {
            uid: String::new(),
            audio: UNKNOWN,
            video: UNKNOWN,
            stream_id: stream.to_string(),
            stream: None,
            screen_id: String::new(),
            screen: None,
        });
        self.members.last_mut().expect("just pushed")
    }

    pub fn status(&self, uid: &str, kind: Device) -> u32 {
        let m = self.members.iter().find(|m| m.uid == uid);
        match (m, kind) {
            (Some(m), Device::Audio) => m.audio,
            (Some(m), Device::Video) => m.video,
            // A member in the room with nothing open yet is closed; anyone else unknown.
            (None, _) if uid == self.me && self.meeting != 0 => CLOSED,
            (None, _) => UNKNOWN,
        }
    }

    /// A page's status query: `uid` given (any value, as text), or this session's.
    pub fn status_of(&self, uid: &JsValue, kind: Device) -> u32 {
        self.status(&self.uid_of(uid), kind)
    }

    /// The uid a page's query names (given as any value, or this session's).
    fn uid_of(&self, uid: &JsValue) -> String {
        if uid.is_undefined() {
            self.me.clone()
        } else {
            crate::args::text(uid)
        }
    }

    /// CloudRoom GetAllVideoInfo(UID): this session's cameras `{userId, videoID,
    /// videoName}`; another member's camera (videoID 1) once it is known to have one.
    pub fn video_info_of(&self, uid: &JsValue) -> Array {
        let uid = self.uid_of(uid);
        if uid == self.me {
            return self.devices.video_info(&uid);
        }
        let list = Array::new();
        if matches!(self.status(&uid, Device::Video), OPEN | CLOSED | OPENING) {
            let o = object(&[("userId", &uid), ("videoName", "")]);
            set(&o, "videoID", 1u32);
            list.push(&o);
        }
        list
    }

    /// CloudRoom GetMicEnergy(UID): 0–10.
    pub fn energy_of(&self, uid: &JsValue) -> u32 {
        self.devices.energy_of(&self.uid_of(uid))
    }

    /// CloudRoom GetDefaultVideo(UID): the camera OpenVideo opens (1 when the browser
    /// chooses); 0 when the member has none known.
    pub fn default_video_of(&self, uid: &JsValue) -> u32 {
        let uid = self.uid_of(uid);
        let has = if uid == self.me {
            !self.devices.cameras.is_empty()
        } else {
            self.video_info_of(&JsValue::from(uid.as_str())).length() > 0
        };
        match (has, self.devices.default_video) {
            (false, _) => 0,
            (true, 0) => 1,
            (true, v) if uid == self.me => v,
            (true, _) => 1,
        }
    }

    /// CloudRoom SetDefaultVideo(UID, videoID) for this session: the camera the next
    /// OpenVideo opens (1 to the number of cameras).
    pub fn set_default_video(&mut self, uid: &JsValue, video_id: &JsValue) -> Result<(), lineup_client::Failure> {
        let who = self.uid_of(uid);
        if who != self.me {
            return Err((
                lineup_protocol::codes::MEETPARAM_ERR,
                format!("SetDefaultVideo chooses this session's own camera, not {who}'s"),
            ));
        }
        let n = self.devices.cameras.len() as u32;
        let id =
            video_id.as_f64().filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v <= f64::from(n.max(1))).map(|v| v as u32);
        let id = id.ok_or_else(|| {
            (lineup_protocol::codes::MEETPARAM_ERR, format!("invalid videoID: an integer from 1 to {}", n.max(1)))
        })?;
        self.devices.default_video = id;
        Ok(())
    }

    /// Sets a status; the page event when it changed.
    pub fn set_status(&mut self, uid: &str, kind: Device, new: u32) -> Option<(&'static str, JsValue)> {
        let old = self.status(uid, kind);
        let m = self.member(uid);
        match kind {
            Device::Audio => m.audio = new,
            Device::Video => m.video = new,
        }
        (old != new).then(|| {
            let o = object(&[("UID", uid)]);
            set(&o, "oldStatus", old);
            set(&o, "newStatus", new);
            (kind.event(), o)
        })
    }

    /// Every member with media: CloudRoom MemberInfo `{userId, audioStatus, videoStatus}`.
    pub fn members_info(&self) -> Array {
        self.members
            .iter()
            .filter(|m| !m.uid.is_empty())
            .map(|m| {
                let o = object(&[("userId", &m.uid)]);
                set(&o, "audioStatus", m.audio);
                set(&o, "videoStatus", m.video);
                JsValue::from(o)
            })
            .collect()
    }

    /// Leaves the room's media: the peer connection closes, devices are released.
    pub fn reset(&mut self) {
        if let Some(pc) = self.pc.take() {
            pc.close();
        }
        for local in [self.mic.take(), self.cam.take()].into_iter().flatten() {
            if let Some(t) = local.track {
                t.stop();
            }
        }
        // The screen's capture too; the line went with the connection.
        self.screen.release();
        self.screen.local = None;
        self.screen.sharer = None;
        self.handles = None;
        self.joined = false;
        self.members.clear();
        self.sinks.clear_streams();
        self.negotiation = peer::Queue::default();
        self.monitor = None;
        self.recovering = false;
        self.restarts = 0;
        self.devices.poll = None;
        self.devices.energy.clear();
        self.devices.track_streams.clear();
    }
}

/// The page events of a media change, delivered after the state is released.
pub type Events = Vec<(&'static str, JsValue)>;

pub fn deliver(sink: &EventSink, events: Events) {
    for (name, data) in events {
        sink(name, data);
    }
}

/// Learns from a reply: the room entered or left.
pub fn on_reply(media: &mut Media, op: &str, data: &JsValue) {
    match op {
        "EnterMeeting" => {
            let id = get_u32(data, "ID").unwrap_or(0);
            if id != media.meeting {
                media.reset();
                media.meeting = id;
            }
        }
        "ExitMeeting" | "DestroyMeeting" | "Logout" => {
            media.reset();
            media.meeting = 0;
        }
        _ => {}
    }
}

/// Handles a notice that concerns media; true when it is media's own (not for the page).
pub fn on_notice(part: &MediaRef, name: NoticeName, data: &JsValue) -> (bool, Events) {
    let mut events = Events::new();
    let own = match name {
        NoticeName::MediaOffer => {
            let sdp = get_str(data, "sdp").unwrap_or_default();
            peer::answer_offer(part, sdp);
            true
        }
        NoticeName::MediaTrack if get(data, "kind").as_string().as_deref() == Some("screen") => {
            // A shared screen: its stream is shown by screen objects (the sharer's own
            // preview is its capture).
            let uid = get_str(data, "UID").unwrap_or_default();
            let open = get(data, "state").as_string().as_deref() == Some("open");
            let stream = get_str(data, "stream").unwrap_or_default();
            let mut inner = part.state.borrow_mut();
            if uid != inner.me {
                inner.name_stream(&uid, &stream, true);
                if !open {
                    inner.member(&uid).screen = None;
                }
                sinks::show(&mut inner, &uid);
            }
            true
        }
        NoticeName::NotifyScreenShareStarted | NoticeName::NotifyScreenShareStopped => {
            let uid = get_str(data, "UID").unwrap_or_default();
            screen::on_share(part, uid, name == NoticeName::NotifyScreenShareStarted);
            false
        }
        NoticeName::MediaTrack => {
            let uid = get_str(data, "UID").unwrap_or_default();
            let kind =
                if get(data, "kind").as_string().as_deref() == Some("video") { Device::Video } else { Device::Audio };
            let open = get(data, "state").as_string().as_deref() == Some("open");
            let stream = get_str(data, "stream").unwrap_or_default();
            let mut media = part.state.borrow_mut();
            if uid != media.me {
                media.name_stream(&uid, &stream, false);
                sinks::show(&mut media, &uid);
            }
            let new = if uid == media.me {
                // Ours: OPENING becomes OPEN once the server has the track.
                match (open, media.status(&uid, kind)) {
                    (true, OPENING) => Some(OPEN),
                    _ => None,
                }
            } else {
                Some(if open { OPEN } else { CLOSED })
            };
            events.extend(new.and_then(|s| media.set_status(&uid, kind, s)));
            true
        }
        // The server lost our connection: a new one (or, after repeated failures, the
        // page is told MediaLost).
        NoticeName::MediaLost => {
            peer::recover(part.clone());
            true
        }
        // The server's cap on our video: the narrowest link of those receiving it.
        NoticeName::MediaBitrate => {
            let bps = get(data, "maxBitrate").as_f64().unwrap_or(0.0).clamp(0.0, f64::from(u32::MAX)) as u32;
            let part = part.clone();
            wasm_bindgen_futures::spawn_local(async move { devices::cap_video(&part, bps).await });
            true
        }
        NoticeName::MeetingStopped | NoticeName::LineOff => {
            let mut inner = part.state.borrow_mut();
            inner.reset();
            inner.meeting = 0;
            false
        }
        NoticeName::UserLeftMeeting => {
            let uid = get_str(data, "UID").unwrap_or_default();
            let mut inner = part.state.borrow_mut();
            inner.members.retain(|m| m.uid != uid);
            false
        }
        _ => false,
    };
    (own, events)
}
