//! One member of a room, as the SFU sees it: its own `Rtc` (ICE-lite, DTLS-SRTP), the
//! tracks it publishes (`tracks_in`) and the other members' tracks it receives
//! (`tracks_out`, each an m-line the server added by renegotiation). Shaped after
//! str0m's `chat` example; the offers go over Lineup's WebSocket instead of a data
//! channel.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use str0m::bwe::Bitrate;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequest, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::{Event, IceConnectionState, Input, Output, Rtc};

use crate::{Kind, MediaError, MemberId, Role};

/// A track a member publishes.
#[derive(Debug)]
pub struct TrackIn {
    pub origin: MemberId,
    /// The origin's label (the stream id subscribers see).
    pub label: String,
    pub mid: Mid,
    pub kind: MediaKind,
    /// What the driver and the others are told it is (a video track may be the screen).
    pub source: Kind,
}

#[derive(Debug)]
struct TrackInEntry {
    id: Arc<TrackIn>,
    last_keyframe_request: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    /// Waiting for the next renegotiation.
    ToOpen,
    Negotiating(Mid),
    Open(Mid),
    ToStop(Mid),
    NegotiatingStop(Mid),
}

/// Another member's track this member receives.
#[derive(Debug)]
struct TrackOut {
    track_in: Weak<TrackIn>,
    state: OutState,
}

impl TrackOut {
    fn mid(&self) -> Option<Mid> {
        match self.state {
            OutState::ToOpen => None,
            OutState::Negotiating(m) | OutState::Open(m) | OutState::ToStop(m) | OutState::NegotiatingStop(m) => {
                Some(m)
            }
        }
    }
}

/// What a member's `Rtc` produced that concerns the SFU.
#[derive(Debug)]
pub enum Happened {
    Nothing,
    Timeout(Instant),
    Transmit(str0m::net::Transmit),
    /// The member publishes a new track.
    TrackOpen(Weak<TrackIn>),
    Media(MediaData),
    /// A new estimate of the link to this member ([`Member::downlink_bps`]).
    Downlink,
    /// A keyframe request for the origin of one of this member's received tracks.
    KeyframeRequest {
        req: KeyframeRequest,
        origin: MemberId,
        mid_in: Mid,
    },
    /// A renegotiation offer for the member (its SDP text).
    Offer(String),
    /// ICE and DTLS are up.
    Connected,
    /// The media connection is gone.
    Lost,
}

pub struct Member {
    pub id: MemberId,
    pub label: String,
    pub room: u32,
    pub role: Role,
    pub rtc: Rtc,
    /// When its `Rtc` wants the time next (None: poll it at the next timeout).
    pub next: Option<Instant>,
    connected: bool,
    pending: Option<SdpPendingOffer>,
    tracks_in: Vec<TrackInEntry>,
    tracks_out: Vec<TrackOut>,
    /// Received tracks that opened (negotiation done): their origins get a keyframe
    /// request, so the new subscriber sees a picture at once.
    opened: Vec<Weak<TrackIn>>,
    /// The latest estimate of what the link to this member carries (str0m's TWCC
    /// bandwidth estimation on what the SFU sends it), bits per second.
    pub downlink_bps: Option<u64>,
    /// The line of its shared screen, while it shares.
    screen: Option<Mid>,
    /// Whether its `Rtc` probes the link (to [`crate::DESIRED_KBPS`]): from the first
    /// video packet forwarded to it until its last video line stops (a camera closed
    /// with its line kept still counts). Probing a link that carries audio only would be
    /// padding bursts for nothing, on SSRC 0 (str0m pads there when no line has RTX),
    /// which a browser lists as a receive stream of its own.
    probing: bool,
}

impl Member {
    pub fn new(id: MemberId, label: &str, room: u32, role: Role, rtc: Rtc) -> Member {
        Member {
            id,
            label: label.to_string(),
            room,
            role,
            rtc,
            next: None,
            connected: false,
            pending: None,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            opened: Vec::new(),
            downlink_bps: None,
            screen: None,
            probing: false,
        }
    }

    /// Its video line `mid` is its shared screen (said before the offer that adds it is
    /// taken): the track to hand the others when the line is there already (a share
    /// started again); else it opens when that offer is taken.
    pub fn share(&mut self, mid: Mid) -> Option<Weak<TrackIn>> {
        self.screen = Some(mid);
        if self.tracks_in.iter().any(|t| t.id.mid == mid) {
            return None;
        }
        let media = self.rtc.media(mid)?;
        if media.kind() != MediaKind::Video || !media.direction().is_receiving() {
            return None;
        }
        Some(self.track_in(mid, MediaKind::Video))
    }

    /// Its screen share ends: the track goes (the others' lines for it stop). False when
    /// it shared none.
    pub fn unshare(&mut self) -> bool {
        let Some(mid) = self.screen.take() else { return false };
        let before = self.tracks_in.len();
        self.tracks_in.retain(|t| t.id.mid != mid);
        before != self.tracks_in.len()
    }

    /// What its line `mid` carries.
    pub fn source(&self, mid: Mid) -> Kind {
        match self.tracks_in.iter().find(|t| t.id.mid == mid) {
            Some(t) => t.id.source,
            None if self.screen == Some(mid) => Kind::Screen,
            None => Kind::Video,
        }
    }

    /// A track it publishes on line `mid`, kept while it publishes it.
    fn track_in(&mut self, mid: Mid, kind: MediaKind) -> Weak<TrackIn> {
        let screen = self.screen == Some(mid) && kind == MediaKind::Video;
        let (source, label) = match screen {
            true => (Kind::Screen, format!("{}-screen", self.label)),
            false => (crate::kind_of(kind), self.label.clone()),
        };
        let id = Arc::new(TrackIn { origin: self.id, label, mid, kind, source });
        let weak = Arc::downgrade(&id);
        self.tracks_in.push(TrackInEntry { id, last_keyframe_request: None });
        weak
    }

    /// The tracks this member publishes.
    pub fn published(&self) -> impl Iterator<Item = Weak<TrackIn>> + '_ {
        self.tracks_in.iter().map(|t| Arc::downgrade(&t.id))
    }

    pub fn accepts(&self, input: &Input) -> bool {
        self.rtc.accepts(input)
    }

    pub fn handle_input(&mut self, input: Input) {
        if self.rtc.is_alive() && self.rtc.handle_input(input).is_err() {
            self.rtc.disconnect();
        }
    }

    /// The member's own offer (a new track, an ICE restart): its answer. A renegotiation
    /// of ours still in flight is dropped and redone after it.
    pub fn accept_offer(&mut self, offer: &str) -> Result<String, MediaError> {
        let offer = SdpOffer::from_sdp_string(offer)
            .map_err(|e| MediaError::Sdp(crate::sdp::problem(offer, &e.to_string())))?;
        let answer = self.rtc.sdp_api().accept_offer(offer).map_err(|e| MediaError::Sdp(one_line(&e.to_string())))?;
        self.pending = None;
        for t in &mut self.tracks_out {
            t.state = match t.state {
                OutState::Negotiating(_) => OutState::ToOpen,
                OutState::NegotiatingStop(m) => OutState::ToStop(m),
                s => s,
            };
        }
        Ok(answer.to_sdp_string())
    }

    /// The member's answer to our renegotiation offer.
    pub fn accept_answer(&mut self, answer: &str) -> Result<(), MediaError> {
        let answer = SdpAnswer::from_sdp_string(answer)
            .map_err(|e| MediaError::Sdp(crate::sdp::problem(answer, &e.to_string())))?;
        let pending = self.pending.take().ok_or(MediaError::NoOffer)?;
        self.rtc.sdp_api().accept_answer(pending, answer).map_err(|e| MediaError::Sdp(one_line(&e.to_string())))?;
        for t in &mut self.tracks_out {
            if let OutState::Negotiating(m) = t.state {
                t.state = OutState::Open(m);
                self.opened.push(t.track_in.clone());
            }
        }
        self.tracks_out.retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        let video = self.tracks_out.iter().any(|t| t.track_in.upgrade().is_some_and(|i| i.kind == MediaKind::Video));
        if self.probing && !video {
            self.probing = false;
            self.rtc.bwe().set_desired_bitrate(Bitrate::ZERO);
        }
        Ok(())
    }

    /// Another member's track: received after the next renegotiation.
    pub fn subscribe(&mut self, track: Weak<TrackIn>) {
        self.tracks_out.push(TrackOut { track_in: track, state: OutState::ToOpen });
    }

    /// Received tracks that opened since the last call.
    pub fn take_opened(&mut self) -> Vec<Weak<TrackIn>> {
        std::mem::take(&mut self.opened)
    }

    /// The next thing the member's `Rtc` produced.
    pub fn poll(&mut self) -> Happened {
        if !self.rtc.is_alive() {
            return Happened::Lost;
        }
        if let Some(offer) = self.renegotiate() {
            return Happened::Offer(offer);
        }
        match self.rtc.poll_output() {
            Ok(Output::Transmit(t)) => Happened::Transmit(t),
            Ok(Output::Timeout(t)) => Happened::Timeout(t),
            Ok(Output::Event(e)) => self.on_event(e),
            Err(_) => {
                self.rtc.disconnect();
                Happened::Lost
            }
        }
    }

    fn on_event(&mut self, e: Event) -> Happened {
        match e {
            Event::Connected => {
                self.connected = true;
                Happened::Connected
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.rtc.disconnect();
                Happened::Lost
            }
            Event::MediaAdded(m) if m.direction.is_receiving() => Happened::TrackOpen(self.track_in(m.mid, m.kind)),
            Event::MediaData(data) => {
                if !data.contiguous {
                    self.request_keyframe(data.mid, KeyframeRequestKind::Fir, data.network_time);
                }
                Happened::Media(data)
            }
            Event::EgressBitrateEstimate(str0m::bwe::BweKind::Twcc { estimate, .. }) => {
                self.downlink_bps = Some(estimate.as_u64());
                Happened::Downlink
            }
            Event::KeyframeRequest(req) => {
                let track =
                    self.tracks_out.iter().find(|t| t.mid() == Some(req.mid)).and_then(|t| t.track_in.upgrade());
                match track {
                    Some(t) => Happened::KeyframeRequest { req, origin: t.origin, mid_in: t.mid },
                    None => Happened::Nothing,
                }
            }
            _ => Happened::Nothing,
        }
    }

    /// Asks this member for a keyframe on each of its video tracks.
    pub fn request_keyframes(&mut self, now: Instant) {
        let mids: Vec<Mid> = self.tracks_in.iter().map(|t| t.id.mid).collect();
        for mid in mids {
            self.request_keyframe(mid, KeyframeRequestKind::Pli, now);
        }
    }

    /// Asks this member for a keyframe on its track `mid` (at most once a second).
    pub fn request_keyframe(&mut self, mid: Mid, kind: KeyframeRequestKind, now: Instant) {
        let Some(entry) = self.tracks_in.iter_mut().find(|t| t.id.mid == mid) else { return };
        if entry.id.kind != MediaKind::Video
            || entry.last_keyframe_request.is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        entry.last_keyframe_request = Some(now);
        if let Some(mut writer) = self.rtc.writer(mid) {
            let _ = writer.request_keyframe(None, kind);
        }
    }

    /// A new offer for the member when tracks were added or their origins left.
    fn renegotiate(&mut self) -> Option<String> {
        if !self.connected || self.pending.is_some() {
            return None;
        }
        for t in &mut self.tracks_out {
            if let OutState::Open(m) = t.state {
                if t.track_in.upgrade().is_none() {
                    t.state = OutState::ToStop(m);
                }
            }
        }
        let mut change = self.rtc.sdp_api();
        for t in &mut self.tracks_out {
            match t.state {
                OutState::ToOpen => {
                    if let Some(track) = t.track_in.upgrade() {
                        let stream = track.label.clone();
                        let mid = change.add_media(track.kind, Direction::SendOnly, Some(stream), None, None);
                        t.state = OutState::Negotiating(mid);
                    }
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    t.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !change.has_changes() {
            return None;
        }
        let (offer, pending) = change.apply()?;
        self.pending = Some(pending);
        Some(offer.to_sdp_string())
    }

    /// Forwards another member's media on the matching received track.
    pub fn forward(&mut self, origin: MemberId, data: &MediaData) -> bool {
        let mid = self
            .tracks_out
            .iter()
            .find(|o| o.track_in.upgrade().is_some_and(|i| i.origin == origin && i.mid == data.mid))
            .and_then(|o| match o.state {
                OutState::Open(m) => Some(m),
                _ => None,
            });
        let Some(mid) = mid else { return false };
        let Some(writer) = self.rtc.writer(mid) else { return false };
        let Some(pt) = writer.match_params(data.params) else { return false };
        if writer.write(pt, data.network_time, data.time, data.data.clone()).is_err() {
            self.rtc.disconnect();
            return false;
        }
        // Probing starts with the first video packet: then a video line pads (its RTX).
        if !self.probing && data.params.spec().codec.is_video() {
            self.probing = true;
            self.rtc.bwe().set_desired_bitrate(Bitrate::kbps(crate::DESIRED_KBPS));
        }
        true
    }
}

/// An error of the `Rtc` about an SDP it parsed (the offer's content does not fit), as
/// one line.
fn one_line(e: &str) -> String {
    e.lines().next().unwrap_or_default().chars().take(120).collect()
}
