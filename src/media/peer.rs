//! The peer connection to the media server and its negotiations. Our offers (a track
//! added) go out as `MediaJoin`; the server's offers (another member's track) come as
//! `MediaOffer` and are answered with `MediaAnswer`. One negotiation runs at a time;
//! the others wait in the queue.
//!
//! A connection that fails (ICE `failed`, or `disconnected` for [`GRACE_MS`], or the
//! server's `MediaLost`) is replaced ([`recover`]): the old one closes, the session's
//! media leaves and joins again with a new connection and the same devices (a restart
//! of ICE and DTLS from scratch). The page sees its statuses pass OPENING → OPEN again.
//! After [`MAX_RESTARTS`] attempts that did not connect, the media is given up:
//! `MediaLost` (CloudRoom's MeetingDropped); the call itself goes on.

use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use lineup_client::Failure;
use lineup_protocol::codes;
use lineup_protocol::types::MonitorMode;
use lineup_protocol::ws::Op;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    MediaStream, MediaStreamConstraints, MediaStreamTrack, RtcBundlePolicy, RtcConfiguration, RtcIceConnectionState,
    RtcPeerConnection, RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit,
    RtcTrackEvent,
};

use super::MediaRef;
use super::{deliver, Device, Events, Local, CLOSED, NO_DEVICE, OPEN, OPENING};
use crate::interop::{error, error_message, get_str};

/// A negotiation waiting its turn.
enum Job {
    /// Our offer (`share`: with the screen's line, as StartScreenShare); the resolver of
    /// the caller's promise.
    Offer { share: bool, resolver: Option<(Function, Function)> },
    /// The server's offer (SDP) to answer.
    Answer(String),
}

#[derive(Default)]
pub struct Queue {
    running: bool,
    jobs: VecDeque<Job>,
}

/// The peer connection's callbacks.
pub struct Handles {
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
    _on_ice: Closure<dyn FnMut()>,
}

/// How long ICE may stay `disconnected` before the connection is replaced (browsers
/// report `failed` only after about 30 s).
pub const GRACE_MS: i32 = 3_000;
/// Replacements in a row that did not connect, before the media is given up.
pub const MAX_RESTARTS: u32 = 3;

fn failed(code: u32, what: &str, e: &JsValue) -> Failure {
    (code, [what, ": ", &error_message(e)].concat())
}

/// Delivers page events with the state released (a handler may call back into the SDK).
fn tell(part: &MediaRef, events: Events) {
    let sink = part.link.events.clone();
    deliver(&sink, events);
}

/// Sends `op` on the session; the reply's data.
pub(super) async fn send(part: &MediaRef, op: Op) -> Result<JsValue, Failure> {
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        (part.link.send)(
            &op,
            Box::new(move |r| {
                let _ = match r {
                    Ok(v) => resolve.call1(&JsValue::NULL, &v),
                    Err((c, m)) => reject.call1(&JsValue::NULL, &error(c, &m)),
                };
            }),
        )
    });
    JsFuture::from(p).await.map_err(|e| {
        let code = crate::interop::get_u32(&e, "sdkErr").unwrap_or(codes::MEDIA_ERR);
        (code, error_message(&e))
    })
}

/// The peer connection, made at the first track.
pub(super) fn peer(part: &MediaRef) -> Result<RtcPeerConnection, Failure> {
    if let Some(pc) = part.state.borrow().pc.clone() {
        return Ok(pc);
    }
    let config = RtcConfiguration::new();
    config.set_bundle_policy(RtcBundlePolicy::MaxBundle);
    let pc = RtcPeerConnection::new_with_configuration(&config)
        .map_err(|e| failed(codes::MEDIA_ERR, "RTCPeerConnection", &e))?;
    let weak = Rc::downgrade(part);
    let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |e: RtcTrackEvent| {
        if let Some(part) = weak.upgrade() {
            super::sinks::on_track(&part, &e);
        }
    });
    pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
    let weak = Rc::downgrade(part);
    let on_ice = Closure::<dyn FnMut()>::new(move || {
        if let Some(part) = weak.upgrade() {
            on_ice_state(&part);
        }
    });
    pc.set_oniceconnectionstatechange(Some(on_ice.as_ref().unchecked_ref()));
    let poll = super::devices::start_energy(part);
    let mut inner = part.state.borrow_mut();
    inner.devices.poll = poll;
    inner.pc = Some(pc.clone());
    inner.handles = Some(Handles { _on_track: on_track, _on_ice: on_ice });
    Ok(pc)
}

/// The current connection's ICE state changed.
fn on_ice_state(part: &MediaRef) {
    let Some(pc) = part.state.borrow().pc.clone() else { return };
    match pc.ice_connection_state() {
        RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => part.state.borrow_mut().restarts = 0,
        RtcIceConnectionState::Failed => recover(part.clone()),
        RtcIceConnectionState::Disconnected => {
            // Often a moment's loss: replaced only if it lasts.
            let part = part.clone();
            spawn_local(async move {
                sleep(GRACE_MS).await;
                let same = part.state.borrow().pc.as_ref() == Some(&pc);
                let state = pc.ice_connection_state();
                if same && matches!(state, RtcIceConnectionState::Disconnected | RtcIceConnectionState::Failed) {
                    recover(part);
                }
            });
        }
        _ => {}
    }
}

/// Resolves after `ms` (the browser's timer; nothing is kept once it fired).
async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve: Function, _reject: Function| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// The media connection failed: replaced by a new one with the same devices (see the
/// module's head), or given up after [`MAX_RESTARTS`].
pub fn recover(part: MediaRef) {
    let plan = {
        let mut m = part.state.borrow_mut();
        if m.meeting == 0 || m.recovering || m.pc.is_none() {
            None
        } else {
            m.recovering = true;
            m.restarts += 1;
            let me = m.me.clone();
            let kinds: Vec<Device> = [Device::Audio, Device::Video]
                .into_iter()
                .filter(|k| matches!(m.status(&me, *k), OPEN | OPENING))
                .collect();
            Some((m.meeting, kinds, m.monitor.clone(), m.restarts))
        }
    };
    let Some((meeting, kinds, monitor_mode, attempt)) = plan else { return };
    let kinds_open = kinds.clone();
    spawn_local(async move {
        // The old connection closes and its devices are released; the page keeps its
        // room, its video objects and its count of attempts.
        {
            let mut inner = part.state.borrow_mut();
            if inner.meeting != meeting {
                // The page left the room before this ran: nothing to replace.
                inner.recovering = false;
                return;
            }
            let restarts = inner.restarts;
            inner.reset();
            inner.restarts = restarts;
            inner.recovering = true;
        }
        let result = if attempt > MAX_RESTARTS {
            Err((codes::MEDIA_ERR, format!("the media connection failed {MAX_RESTARTS} times")))
        } else {
            web_sys::console::warn_1(
                &format!("lineup: the media connection failed; reconnecting it (attempt {attempt})").into(),
            );
            rejoin(&part, meeting, kinds, monitor_mode).await
        };
        part.state.borrow_mut().recovering = false;
        if let Err((_, why)) = result {
            give_up(&part, meeting, &why, &kinds_open);
        }
    });
}

/// Leaves and joins the room's media again with a new connection.
async fn rejoin(
    part: &MediaRef,
    meeting: u32,
    kinds: Vec<Device>,
    monitor_mode: Option<(MonitorMode, Option<String>)>,
) -> Result<(), Failure> {
    send(part, Op::MediaLeave).await?;
    if let Some((mode, agent)) = monitor_mode {
        return join_as(part.clone(), meeting, mode, agent).await;
    }
    for kind in kinds {
        open(part.clone(), kind).await?;
    }
    Ok(())
}

/// The media is gone for good: statuses closed (the devices that were open before the
/// failure are told closed too), `MediaLost` to the page.
fn give_up(part: &MediaRef, meeting: u32, why: &str, were_open: &[Device]) {
    // The room ended or was left meanwhile (MeetingStopped, ExitMeeting): nothing to
    // give up.
    if part.state.borrow().meeting != meeting {
        return;
    }
    let mut events = Events::new();
    {
        let mut inner = part.state.borrow_mut();
        let me = inner.me.clone();
        for kind in [Device::Audio, Device::Video] {
            // Reset silently when the connection was replaced: the page last saw OPEN.
            if inner.status(&me, kind) == CLOSED && were_open.contains(&kind) {
                let m = inner.member(&me);
                match kind {
                    Device::Audio => m.audio = OPEN,
                    Device::Video => m.video = OPEN,
                }
            }
            if inner.status(&me, kind) != CLOSED {
                events.extend(inner.set_status(&me, kind, CLOSED));
            }
        }
        inner.reset();
    }
    web_sys::console::warn_1(&["lineup: the media connection is lost: ", why].concat().into());
    let o = crate::interop::object(&[("reason", why)]);
    crate::interop::set(&o, "meetID", meeting);
    events.push(("MediaLost", o));
    tell(part, events);
}

fn slot(media: &mut super::Media, kind: Device) -> &mut Option<Local> {
    match kind {
        Device::Audio => &mut media.mic,
        Device::Video => &mut media.cam,
    }
}

/// CloudRoom OpenMic / OpenVideo for this session: the device is opened and sent;
/// resolves once the server answered (the status becomes OPEN when it has the track).
pub async fn open(part: MediaRef, kind: Device) -> Result<(), Failure> {
    let (meeting, me, status) = {
        let i = part.state.borrow();
        (i.meeting, i.me.clone(), i.status(&i.me, kind))
    };
    if meeting == 0 {
        return Err((codes::MEETNOTEXIST, "enter a meeting first (EnterMeeting)".into()));
    }
    if status == OPEN || status == OPENING {
        return Ok(());
    }
    let events: Events = part.state.borrow_mut().set_status(&me, kind, OPENING).into_iter().collect();
    tell(&part, events);
    let track = match device(&part, kind).await {
        Ok(t) => t,
        Err(e) => {
            let events: Events = part.state.borrow_mut().set_status(&me, kind, NO_DEVICE).into_iter().collect();
            tell(&part, events);
            return Err(e);
        }
    };
    // Closed (or the room left) while the device was opening: release it.
    let still = {
        let i = part.state.borrow();
        i.meeting == meeting && i.status(&me, kind) == OPENING
    };
    if !still {
        track.stop();
        return Ok(());
    }
    let pc = peer(&part)?;
    let (replace, joined) = {
        let mut inner = part.state.borrow_mut();
        let joined = inner.joined;
        let local = slot(&mut inner, kind);
        match local.as_mut().and_then(|l| l.transceiver.clone()) {
            Some(t) => {
                // The same track, not `track.clone()`: on a web-sys handle that is
                // JavaScript's clone(), a second capture that CloseMic would stop instead.
                local.as_mut().expect("checked").track = Some(Clone::clone(&track));
                (Some(t), joined)
            }
            None => {
                let init = RtcRtpTransceiverInit::new();
                init.set_direction(RtcRtpTransceiverDirection::Sendonly);
                let stream = MediaStream::new().map_err(|e| failed(codes::MEDIA_ERR, "MediaStream", &e))?;
                stream.add_track(&track);
                init.set_streams(&Array::of1(&stream));
                let t = pc.add_transceiver_with_media_stream_track_and_init(&track, &init);
                *local = Some(Local { track: Some(Clone::clone(&track)), transceiver: Some(t) });
                (None, joined)
            }
        }
    };
    super::sinks::local_changed(&part);
    let sent = match replace {
        Some(t) => {
            // The transceiver is negotiated already: send the new track on it.
            JsFuture::from(t.sender().replace_track(Some(&track)))
                .await
                .map_err(|e| failed(codes::MEDIA_ERR, "replaceTrack", &e))?;
            if joined {
                send(&part, Op::MediaMute { kind: kind.track(), muted: false }).await?;
            }
            Ok(())
        }
        None => negotiate(&part, false).await,
    };
    // SetVideoCfg's bitrate limit holds for a camera opened later too.
    if sent.is_ok() && kind == Device::Video && part.state.borrow().devices.max_video_bps() > 0 {
        super::devices::apply_current(&part).await;
    }
    sent
}

/// Lineup (supervisor): joins a call's room `meet_id` as `mode` (monitor, whisper to
/// `agent`, barge); the parties' audio plays and their cameras can be attached. A
/// whisper or a barge opens the microphone too.
pub async fn monitor(part: MediaRef, meet_id: u32, mode: String, agent: Option<String>) -> Result<(), Failure> {
    let mode = match mode.as_str() {
        "monitor" => MonitorMode::Monitor,
        "whisper" => MonitorMode::Whisper,
        "barge" => MonitorMode::Barge,
        _ => return Err((codes::MEETPARAM_ERR, "mode must be monitor, whisper or barge".into())),
    };
    join_as(part, meet_id, mode, agent).await
}

/// Joins room `meet_id`'s call as `mode` (a known one).
async fn join_as(part: MediaRef, meet_id: u32, mode: MonitorMode, agent: Option<String>) -> Result<(), Failure> {
    {
        let mut inner = part.state.borrow_mut();
        inner.reset();
        inner.meeting = meet_id;
        inner.monitor = Some((mode, agent));
    }
    if mode != MonitorMode::Monitor {
        return open(part, Device::Audio).await;
    }
    // Listening only: receive-only lines give the offer its transport.
    let pc = peer(&part)?;
    for kind in ["audio", "video"] {
        let init = RtcRtpTransceiverInit::new();
        init.set_direction(RtcRtpTransceiverDirection::Recvonly);
        pc.add_transceiver_with_str_and_init(kind, &init);
    }
    negotiate(&part, false).await
}

/// Our offer, in turn with the other negotiations (`share`: as StartScreenShare, with
/// the screen's line); resolves once the server's answer is set.
pub async fn negotiate(part: &MediaRef, share: bool) -> Result<(), Failure> {
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        enqueue(part, Job::Offer { share, resolver: Some((resolve, reject)) });
    });
    JsFuture::from(p)
        .await
        .map(|_| ())
        .map_err(|e| (crate::interop::get_u32(&e, "sdkErr").unwrap_or(codes::MEDIA_ERR), error_message(&e)))
}

/// The microphone or the camera (as configured: SetVideoCfg, SetDefaultVideo).
async fn device(part: &MediaRef, kind: Device) -> Result<MediaStreamTrack, Failure> {
    let denied = |e: JsValue| {
        let what = match kind {
            Device::Audio => "the microphone could not be opened",
            Device::Video => "the camera could not be opened",
        };
        failed(codes::MEDIA_DEVICE_ERR, what, &e)
    };
    let devices = web_sys::window()
        .ok_or((codes::MEDIA_DEVICE_ERR, "no window".to_string()))?
        .navigator()
        .media_devices()
        .map_err(denied)?;
    let constraints = MediaStreamConstraints::new();
    match kind {
        Device::Audio => constraints.set_audio(&part.state.borrow().devices.audio.mic_constraints()),
        Device::Video => constraints.set_video(&part.state.borrow().devices.video_constraints()),
    }
    let stream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints).map_err(denied)?).await.map_err(denied)?;
    let stream: MediaStream = stream.unchecked_into();
    // With the permission given, the cameras have their names.
    super::devices::refresh_cameras(part);
    stream.get_tracks().get(0).dyn_into::<MediaStreamTrack>().map_err(denied)
}

/// CloudRoom CloseMic / CloseVideo for this session: sending stops at once.
pub fn close(part: &MediaRef, kind: Device) {
    let (events, sender, joined) = {
        let mut inner = part.state.borrow_mut();
        let me = inner.me.clone();
        let joined = inner.joined;
        let local = slot(&mut inner, kind);
        let sender = local.as_mut().and_then(|l| {
            if let Some(t) = l.track.take() {
                t.stop();
            }
            l.transceiver.as_ref().map(|t| t.sender())
        });
        let events: Events = inner.set_status(&me, kind, CLOSED).into_iter().collect();
        (events, sender, joined)
    };
    if let Some(sender) = sender {
        super::sinks::quietly(part, sender.replace_track(None));
    }
    super::sinks::local_changed(part);
    if joined {
        let core2 = part.clone();
        spawn_local(async move {
            let _ = send(&core2, Op::MediaMute { kind: kind.track(), muted: true }).await;
        });
    }
    tell(part, events);
}

/// The server's offer: answered in turn.
pub fn answer_offer(part: &MediaRef, sdp: String) {
    enqueue(part, Job::Answer(sdp));
}

fn enqueue(part: &MediaRef, job: Job) {
    let start = {
        let mut inner = part.state.borrow_mut();
        let q = &mut inner.negotiation;
        q.jobs.push_back(job);
        !std::mem::replace(&mut q.running, true)
    };
    if start {
        let part = part.clone();
        spawn_local(async move {
            loop {
                let job = part.state.borrow_mut().negotiation.jobs.pop_front();
                let Some(job) = job else { break };
                match job {
                    Job::Offer { share, resolver } => {
                        let r = offer(&part, share).await;
                        if let Some((resolve, reject)) = resolver {
                            let _ = match r {
                                Ok(()) => resolve.call0(&JsValue::NULL),
                                Err((c, m)) => reject.call1(&JsValue::NULL, &error(c, &m)),
                            };
                        }
                    }
                    Job::Answer(sdp) => {
                        if let Err((_, m)) = answer(&part, &sdp).await {
                            web_sys::console::warn_1(
                                &["lineup: the media server's offer could not be answered: ", &m].concat().into(),
                            );
                        }
                    }
                }
            }
            part.state.borrow_mut().negotiation.running = false;
        });
    }
}

fn description(kind: RtcSdpType, sdp: &str) -> RtcSessionDescriptionInit {
    let d = RtcSessionDescriptionInit::new(kind);
    d.set_sdp(sdp);
    d
}

fn local_sdp(pc: &RtcPeerConnection) -> String {
    pc.local_description().map(|d| d.sdp()).unwrap_or_default()
}

/// Our offer to the server (MediaJoin, or StartScreenShare naming the screen's line),
/// and its answer. An offer the server refused is rolled back.
async fn offer(part: &MediaRef, share: bool) -> Result<(), Failure> {
    let (pc, meeting) = {
        let i = part.state.borrow();
        (i.pc.clone(), i.meeting)
    };
    let pc = pc.ok_or((codes::MEDIA_ERR, "no media connection".to_string()))?;
    let neg = |e: JsValue| failed(codes::MEDIA_ERR, "negotiation", &e);
    let offer = JsFuture::from(pc.create_offer()).await.map_err(neg)?;
    JsFuture::from(pc.set_local_description(offer.unchecked_ref())).await.map_err(neg)?;
    let (monitor, screen_mid) = {
        let i = part.state.borrow();
        let screen = i.screen.local.as_ref().and_then(|l| l.transceiver.as_ref()).and_then(|t| t.mid());
        (i.monitor.clone(), screen)
    };
    let op = match (monitor, share) {
        (_, true) => {
            Op::StartScreenShare { meet_id: meeting, mid: screen_mid.unwrap_or_default(), sdp: local_sdp(&pc) }
        }
        (Some((mode, uid)), _) => Op::MediaMonitor { meet_id: meeting, mode, uid, sdp: local_sdp(&pc) },
        (None, _) => Op::MediaJoin { meet_id: meeting, sdp: local_sdp(&pc) },
    };
    let reply = match send(part, op).await {
        Ok(reply) => reply,
        Err(e) => {
            let rollback = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
            let _ = JsFuture::from(pc.set_local_description(&rollback)).await;
            return Err(e);
        }
    };
    let sdp = get_str(&reply, "sdp").unwrap_or_default();
    JsFuture::from(pc.set_remote_description(&description(RtcSdpType::Answer, &sdp))).await.map_err(neg)?;
    part.state.borrow_mut().joined = true;
    Ok(())
}

/// The server's offer, answered (MediaAnswer).
async fn answer(part: &MediaRef, sdp: &str) -> Result<(), Failure> {
    let pc = part.state.borrow().pc.clone().ok_or((codes::MEDIA_ERR, "no media connection".to_string()))?;
    let neg = |e: JsValue| failed(codes::MEDIA_ERR, "negotiation", &e);
    JsFuture::from(pc.set_remote_description(&description(RtcSdpType::Offer, sdp))).await.map_err(neg)?;
    let answer = JsFuture::from(pc.create_answer()).await.map_err(neg)?;
    JsFuture::from(pc.set_local_description(answer.unchecked_ref())).await.map_err(neg)?;
    send(part, Op::MediaAnswer { sdp: local_sdp(&pc) }).await.map(|_| ())
}

/// The peer connection's statistics (`RTCStatsReport`), for pages and tests.
pub async fn get_stats(part: MediaRef) -> Result<JsValue, Failure> {
    let pc = part.state.borrow().pc.clone().ok_or((codes::MEDIA_ERR, "no media connection".to_string()))?;
    JsFuture::from(pc.get_stats()).await.map_err(|e| failed(codes::MEDIA_ERR, "getStats", &e))
}
