//! Lineup's media server: a selective forwarding unit (SFU) on str0m, sans-IO like the
//! ACD engine. The driver (lineup-server's media task, or a test) owns one UDP socket
//! and the clock; it hands the SFU what arrives ([`Sfu::handle_receive`]), the time
//! ([`Sfu::handle_timeout`]) and the members' signalling (a join with the browser's
//! SDP offer, answers to our renegotiation offers), and carries out what comes back
//! ([`Sfu::poll_output`]: datagrams to send, offers to pass to a member, tracks that
//! opened, members whose media is gone; [`Sfu::poll_timeout`]: when to call again).
//!
//! Each member has its own `Rtc`: ICE-lite with one host candidate (the server's
//! announced address), DTLS-SRTP, Opus and VP8 (str0m's defaults also allow H.264).
//! A member publishes its microphone and camera; the SFU adds a send-only m-line for
//! each track of every other member of the room (a renegotiation offer), forwards the
//! packets as they come, and asks the publisher for a keyframe when a subscriber's
//! track opens or a subscriber reports loss. Who may be in which room is the ACD
//! engine's business: the SFU only holds the members it is given.
//!
//! - this file: [`Sfu`], its inputs and outputs.
//! - [`member`]: one member's `Rtc` and tracks.

pub mod member;

use std::net::SocketAddr;
use std::collections::VecDeque;
use std::time::Instant;

use str0m::media::{KeyframeRequestKind, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Input, Rtc};

use member::{Happened, Member, TrackIn};

/// A member: the session id of its Lineup session.
pub type MemberId = u64;

/// How a member takes part in its room.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Publishes and receives (agents, customers, a supervisor who barges in).
    Full,
    /// Receives everything and publishes nothing (a supervisor's monitor).
    Monitor,
}

impl Role {
    /// Whether the member's own tracks are forwarded.
    pub fn publishes(self) -> bool {
        self == Role::Full
    }

    pub fn receives(self) -> bool {
        true
    }
}

/// What a track carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Audio,
    Video,
}

impl From<MediaKind> for Kind {
    fn from(k: MediaKind) -> Kind {
        match k {
            MediaKind::Audio => Kind::Audio,
            MediaKind::Video => Kind::Video,
        }
    }
}

/// What the driver must do or pass on.
#[derive(Debug, PartialEq, Eq)]
pub enum MediaOutput {
    /// Send a datagram from the SFU's socket.
    Transmit { destination: SocketAddr, contents: Vec<u8> },
    /// Pass this renegotiation offer (SDP) to the member; its answer goes to
    /// [`Sfu::accept_answer`].
    Offer { member: MemberId, sdp: String },
    /// The server receives the member's track (CloudRoom: AOPENING → AOPEN).
    TrackOpen { member: MemberId, kind: Kind },
    /// The member's media connection is gone (it was removed).
    Lost { member: MemberId },
}

/// A refused signalling step.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("bad SDP: {0}")]
    Sdp(String),
    #[error("this session has no media in the room")]
    NotMember,
    #[error("no offer of ours is waiting for an answer")]
    NoOffer,
}

/// Counters of the forwarding.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SfuStats {
    pub members: usize,
    /// Media frames received from publishers and written to subscribers.
    pub received: u64,
    pub forwarded: u64,
}

/// Installs str0m's pure-Rust crypto as the process default (once; later calls do
/// nothing). `Sfu::new` calls it; so may a process's own str0m peers (tests, benches).
pub fn install_crypto() {
    str0m::crypto::from_feature_flags().install_process_default();
}

/// The SFU.
pub struct Sfu {
    local: SocketAddr,
    members: Vec<Member>,
    out: VecDeque<MediaOutput>,
    next_timeout: Option<Instant>,
    stats: SfuStats,
}

impl Sfu {
    /// An SFU whose socket is announced to browsers as `local` (the host candidate).
    pub fn new(local: SocketAddr) -> Sfu {
        install_crypto();
        Sfu { local, members: Vec::new(), out: VecDeque::new(), next_timeout: None, stats: SfuStats::default() }
    }

    fn member(&mut self, id: MemberId) -> Result<&mut Member, MediaError> {
        self.members.iter_mut().find(|m| m.id == id).ok_or(MediaError::NotMember)
    }

    /// A session's media joins `room` with the browser's `offer`: the answer (SDP). A
    /// session already in is replaced (a reload, an ICE restart from scratch). `label`
    /// names the member's streams to the others (the stream id of its tracks: its UID).
    pub fn join(&mut self, now: Instant, member: MemberId, label: &str, room: u32, role: Role, offer: &str) -> Result<String, MediaError> {
        self.leave(member);
        let mut rtc = Rtc::builder().set_ice_lite(true).build(now);
        if let Ok(c) = Candidate::host(self.local, "udp") {
            rtc.add_local_candidate(c);
        }
        let mut joined = Member::new(member, label, room, role, rtc);
        let answer = joined.accept_offer(offer)?;
        // The room's tracks so far, received after the first renegotiation.
        for other in self.members.iter().filter(|m| m.room == room && m.role.publishes()) {
            for track in other.published() {
                joined.subscribe(track);
            }
        }
        self.members.push(joined);
        self.drive(now);
        Ok(answer)
    }

    /// The member's own new offer (it added a track, or restarts ICE): the answer.
    pub fn offer(&mut self, now: Instant, member: MemberId, offer: &str) -> Result<String, MediaError> {
        let answer = self.member(member)?.accept_offer(offer)?;
        self.drive(now);
        Ok(answer)
    }

    /// The member's answer to our last offer.
    pub fn accept_answer(&mut self, now: Instant, member: MemberId, answer: &str) -> Result<(), MediaError> {
        self.member(member)?.accept_answer(answer)?;
        self.drive(now);
        Ok(())
    }

    /// The session's media leaves (its tracks stop for the others at the next offer).
    pub fn leave(&mut self, member: MemberId) {
        self.members.retain(|m| m.id != member);
    }

    /// Every member of `room` leaves (the room was destroyed).
    pub fn close_room(&mut self, room: u32) {
        self.members.retain(|m| m.room != room);
    }

    /// Whether `member` has media in the SFU.
    pub fn has_member(&self, member: MemberId) -> bool {
        self.members.iter().any(|m| m.id == member)
    }

    /// The members of `room`.
    pub fn room_members(&self, room: u32) -> Vec<MemberId> {
        self.members.iter().filter(|m| m.room == room).map(|m| m.id).collect()
    }

    /// A datagram that arrived on the SFU's socket; false when no member takes it.
    pub fn handle_receive(&mut self, now: Instant, source: SocketAddr, destination: SocketAddr, contents: &[u8]) -> bool {
        let Ok(contents) = contents.try_into() else { return false };
        let input = Input::Receive(now, Receive { proto: Protocol::Udp, source, destination, contents });
        let Some(m) = self.members.iter_mut().find(|m| m.accepts(&input)) else { return false };
        m.handle_input(input);
        self.drive(now);
        true
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        for m in &mut self.members {
            m.handle_input(Input::Timeout(now));
        }
        self.drive(now);
    }

    /// When to call [`Sfu::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timeout
    }

    pub fn poll_output(&mut self) -> Option<MediaOutput> {
        self.out.pop_front()
    }

    pub fn stats(&self) -> SfuStats {
        SfuStats { members: self.members.len(), ..self.stats }
    }

    /// Polls every member until it has nothing more but a timeout, carrying what one
    /// member produced to the others of its room.
    fn drive(&mut self, now: Instant) {
        let mut next: Option<Instant> = None;
        let mut i = 0;
        while i < self.members.len() {
            let happened = self.members[i].poll();
            let (id, room) = (self.members[i].id, self.members[i].room);
            match happened {
                Happened::Timeout(t) => {
                    next = Some(next.map_or(t, |n| n.min(t)));
                    i += 1;
                }
                Happened::Nothing | Happened::Connected => {}
                Happened::Transmit(t) => {
                    self.out.push_back(MediaOutput::Transmit { destination: t.destination, contents: t.contents.to_vec() })
                }
                Happened::Offer(sdp) => self.out.push_back(MediaOutput::Offer { member: id, sdp }),
                Happened::TrackOpen(track) => self.track_opened(id, room, track),
                Happened::Media(data) => {
                    if self.members[i].role.publishes() {
                        self.stats.received += 1;
                        for m in self.members.iter_mut().filter(|m| m.room == room && m.id != id) {
                            if m.forward(id, &data) {
                                self.stats.forwarded += 1;
                            }
                        }
                    }
                }
                Happened::KeyframeRequest { req, origin, mid_in } => {
                    if let Some(m) = self.members.iter_mut().find(|m| m.id == origin) {
                        m.request_keyframe(mid_in, req.kind, now);
                    }
                }
                Happened::Lost => {
                    self.members.remove(i);
                    self.out.push_back(MediaOutput::Lost { member: id });
                    continue;
                }
            }
            // A subscriber's track that just opened: a keyframe from its publisher.
            if let Some(m) = self.members.get_mut(i) {
                let opened = m.take_opened();
                for track in opened.iter().filter_map(|t| t.upgrade()) {
                    if let Some(p) = self.members.iter_mut().find(|p| p.id == track.origin) {
                        p.request_keyframe(track.mid, KeyframeRequestKind::Pli, now);
                    }
                }
            }
        }
        self.next_timeout = next;
    }

    fn track_opened(&mut self, member: MemberId, room: u32, track: std::sync::Weak<TrackIn>) {
        let Some(kind) = track.upgrade().map(|t| Kind::from(t.kind)) else { return };
        self.out.push_back(MediaOutput::TrackOpen { member, kind });
        if !self.members.iter().any(|m| m.id == member && m.role.publishes()) {
            return;
        }
        for m in self.members.iter_mut().filter(|m| m.room == room && m.id != member) {
            m.subscribe(track.clone());
        }
    }
}
