//! Lineup's media server: a selective forwarding unit (SFU) on str0m, sans-IO like the
//! ACD engine. The driver (lineup-server's media task, or a test) owns one UDP socket
//! and the clock; it hands the SFU what arrives ([`Sfu::handle_receive`]), the time
//! ([`Sfu::handle_timeout`]) and the members' signalling (a join with the browser's
//! SDP offer, answers to our renegotiation offers), and carries out what comes back
//! ([`Sfu::poll_output`]: datagrams to send, offers to pass to a member, tracks that
//! opened, members whose media is gone; [`Sfu::poll_timeout`]: when to call again).
//!
//! Each member has its own `Rtc`: ICE-lite with a UDP host candidate (the server's
//! announced address) and, when the driver also listens on TCP ([`Sfu::with_tcp`]), a
//! passive TCP host candidate for browsers whose network lets no UDP out (ICE-TCP,
//! RFC 6544: the driver frames the packets on each connection, RFC 4571), DTLS-SRTP,
//! Opus and VP8 (str0m's defaults also allow H.264).
//! A member publishes its microphone and camera; the SFU adds a send-only m-line for
//! each track of every other member of the room (a renegotiation offer), forwards the
//! packets as they come, and asks the publisher for a keyframe when a subscriber's
//! track opens or a subscriber reports loss. The link to a member is probed and
//! estimated (str0m's TWCC bandwidth estimation) only while it has video lines: a member
//! who receives audio only (most calls of a contact center) gets audio and nothing else.
//! Who may be in which room is the ACD engine's business: the SFU only holds the members
//! it is given.
//!
//! - this file: [`Sfu`], its inputs and outputs.
//! - [`member`]: one member's `Rtc` and tracks.
//! - [`record`]: a recorded room's frames written to a WebM file.
//! - [`sdp`]: what is wrong with a member's SDP, in one line.
//! - [`sim`]: str0m peers on an in-memory network around an SFU (tests, benchmark).
//!
//! A room being recorded ([`Sfu::record`]) also hands the driver each Opus and VP8
//! frame its full members publish ([`MediaOutput::Frame`]), for a [`record::Recording`].

pub mod member;
pub mod record;
pub mod sdp;
pub mod sim;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use str0m::bwe::Bitrate;
use str0m::media::{KeyframeRequestKind, MediaKind, Mid};
use str0m::net::{Protocol, Receive, TcpType};
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
    /// Receives everything; its tracks reach one member only (a supervisor whispering
    /// to the agent).
    Whisper { to: MemberId },
}

impl Role {
    /// Whether the member's own tracks are forwarded (to someone).
    pub fn publishes(self) -> bool {
        self != Role::Monitor
    }

    /// Whether the tracks of a member with this role reach `member`.
    pub fn reaches(self, member: MemberId) -> bool {
        match self {
            Role::Full => true,
            Role::Monitor => false,
            Role::Whisper { to } => to == member,
        }
    }
}

/// What a track carries: a member's microphone, camera, or shared screen (a video
/// track the member said is its screen: [`Sfu::share`]). The wire's type, defined once.
pub use lineup_protocol::types::TrackKind as Kind;

/// The kind of a str0m media line (a screen is told apart by [`Sfu::share`]).
fn kind_of(k: MediaKind) -> Kind {
    match k {
        MediaKind::Audio => Kind::Audio,
        MediaKind::Video => Kind::Video,
    }
}

/// How a packet travels between a browser and the SFU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A datagram on the SFU's UDP socket.
    Udp,
    /// A frame on the TCP connection the browser opened to the SFU's TCP port.
    Tcp,
}

/// What the driver must do or pass on.
#[derive(Debug, PartialEq, Eq)]
pub enum MediaOutput {
    /// Send a packet: a datagram from the SFU's UDP socket, or a frame on the TCP
    /// connection from `destination`.
    Transmit { transport: Transport, destination: SocketAddr, contents: Vec<u8> },
    /// Pass this renegotiation offer (SDP) to the member; its answer goes to
    /// [`Sfu::accept_answer`].
    Offer { member: MemberId, sdp: String },
    /// The server receives the member's track (CloudRoom: AOPENING → AOPEN).
    TrackOpen { member: MemberId, kind: Kind },
    /// The member's media connection is gone (it was removed).
    Lost { member: MemberId },
    /// A frame published in a room being recorded.
    Frame { room: u32, frame: record::Frame },
    /// The member should send its video at no more than `bps`: the narrowest link to
    /// the members receiving it, as the SFU estimates them (an SFU forwards, it cannot
    /// send less than it gets; the publisher can).
    Bitrate { member: MemberId, bps: u64 },
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

/// The bandwidth estimate a member's link starts at, and the most it probes for while it
/// receives video ([`member::Member::forward`]: a member that receives audio only is not
/// probed at all).
const INITIAL_KBPS: u64 = 1_000;
pub(crate) const DESIRED_KBPS: u64 = 2_500;
/// How long an incomplete video frame from a publisher waits for its missing packets
/// (a retransmission answering the SFU's NACK) before it is dropped and a keyframe asked
/// for; and how many packets it may wait behind. str0m's defaults (2 s, 30 packets) froze
/// a lossy customer's video for 2 s at each loss.
const REORDER_WAIT: std::time::Duration = std::time::Duration::from_millis(600);
const REORDER_PACKETS: usize = 200;
/// What a publisher's cap leaves for audio, and the least video it is asked for.
const AUDIO_BPS: u64 = 64_000;
const MIN_VIDEO_BPS: u64 = 50_000;

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
    /// The announced TCP address, when the driver listens on TCP.
    tcp: Option<SocketAddr>,
    members: Vec<Member>,
    out: VecDeque<MediaOutput>,
    /// Which member a source address belongs to (learned at its first datagram).
    by_source: HashMap<SocketAddr, MemberId>,
    /// The time of the latest input (for steps that come without one).
    last_now: Instant,
    stats: SfuStats,
    /// The rooms being recorded.
    recorded: Vec<u32>,
    /// The bitrate each publisher was last told ([`MediaOutput::Bitrate`]), and when.
    told_bitrate: HashMap<MemberId, (u64, Instant)>,
}

impl Sfu {
    /// An SFU whose socket is announced to browsers as `local` (the host candidate).
    pub fn new(local: SocketAddr) -> Sfu {
        install_crypto();
        Sfu {
            local,
            tcp: None,
            members: Vec::new(),
            out: VecDeque::new(),
            by_source: HashMap::new(),
            last_now: Instant::now(),
            stats: SfuStats::default(),
            recorded: Vec::new(),
            told_bitrate: HashMap::new(),
        }
    }

    /// Also offers a passive TCP host candidate at `tcp` (announced address) to every
    /// member that joins from now on.
    pub fn with_tcp(mut self, tcp: SocketAddr) -> Sfu {
        self.tcp = Some(tcp);
        self
    }

    fn member(&mut self, id: MemberId) -> Result<&mut Member, MediaError> {
        self.members.iter_mut().find(|m| m.id == id).ok_or(MediaError::NotMember)
    }

    /// A session's media joins `room` with the browser's `offer`: the answer (SDP). A
    /// session already in is replaced (a reload, an ICE restart from scratch). `label`
    /// is the stream id of its tracks as the others receive them (msid token characters).
    pub fn join(
        &mut self,
        now: Instant,
        member: MemberId,
        label: &str,
        room: u32,
        role: Role,
        offer: &str,
    ) -> Result<String, MediaError> {
        self.leave(member);
        // Bandwidth estimation (TWCC) on what the SFU sends the member: the narrowest of
        // its subscribers' links is what a publisher is asked to send at most.
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .enable_bwe(Some(Bitrate::kbps(INITIAL_KBPS)))
            .set_reordering_size_video(REORDER_PACKETS)
            .set_reordering_timeout_video(Some(REORDER_WAIT))
            .build(now);
        if let Ok(c) = Candidate::host(self.local, "udp") {
            rtc.add_local_candidate(c);
        }
        if let Some(tcp) = self.tcp {
            if let Ok(c) = Candidate::builder().tcp().host(tcp).tcptype(TcpType::Passive).build() {
                rtc.add_local_candidate(c);
            }
        }
        let mut joined = Member::new(member, label, room, role, rtc);
        let answer = joined.accept_offer(offer)?;
        // The room's tracks so far, received after the first renegotiation.
        for other in self.members.iter().filter(|m| m.room == room && m.role.reaches(member)) {
            for track in other.published() {
                joined.subscribe(track);
            }
        }
        self.members.push(joined);
        self.drive(now, [member]);
        Ok(answer)
    }

    /// The member's own new offer (it added a track, or restarts ICE): the answer.
    pub fn offer(&mut self, now: Instant, member: MemberId, offer: &str) -> Result<String, MediaError> {
        let answer = self.member(member)?.accept_offer(offer)?;
        self.drive(now, [member]);
        Ok(answer)
    }

    /// The member's answer to our last offer.
    pub fn accept_answer(&mut self, now: Instant, member: MemberId, answer: &str) -> Result<(), MediaError> {
        self.member(member)?.accept_answer(answer)?;
        self.drive(now, [member]);
        Ok(())
    }

    /// The member's video line `mid` is its shared screen (CloudRoom StartScreenShare),
    /// with the member's `offer` that adds the line or keeps it (a share started again
    /// reuses it): the answer. The others receive the screen as a track of its own, under
    /// the stream id `<label>-screen`, and the driver is told `TrackOpen` with
    /// [`Kind::Screen`].
    pub fn share(&mut self, now: Instant, member: MemberId, mid: &str, offer: &str) -> Result<String, MediaError> {
        let m = self.member(member)?;
        let room = m.room;
        let reopened = m.share(Mid::from(mid));
        let answer = m.accept_offer(offer)?;
        if let Some(track) = reopened {
            self.track_opened(member, room, track);
        }
        let ids = self.room_ids(room);
        self.drive(now, ids);
        Ok(answer)
    }

    /// The member's screen share ends: the others' lines for it stop at the next offer.
    /// False when it was sharing none.
    pub fn unshare(&mut self, now: Instant, member: MemberId) -> bool {
        let Ok(m) = self.member(member) else { return false };
        let room = m.room;
        let stopped = m.unshare();
        let ids = self.room_ids(room);
        self.drive(now, ids);
        stopped
    }

    /// The session's media leaves (its tracks stop for the others at the next offer).
    pub fn leave(&mut self, member: MemberId) {
        let Some(room) = self.members.iter().find(|m| m.id == member).map(|m| m.room) else { return };
        self.members.retain(|m| m.id != member);
        self.by_source.retain(|_, m| *m != member);
        self.told_bitrate.remove(&member);
        // The others stop its tracks: a renegotiation now.
        let others = self.room_ids(room);
        self.drive(self.last_now, others);
    }

    /// Starts or stops handing out `room`'s frames ([`MediaOutput::Frame`]): the
    /// microphones and cameras of its full members (not a monitor's or a whisper's).
    pub fn record(&mut self, room: u32, on: bool) {
        self.recorded.retain(|r| *r != room);
        if on {
            self.recorded.push(room);
        }
    }

    /// Asks the members of `room` for a keyframe on each video track: a recording that
    /// starts during a call has its video from the next keyframe on.
    pub fn request_keyframes(&mut self, now: Instant, room: u32) {
        for m in self.members.iter_mut().filter(|m| m.room == room) {
            m.request_keyframes(now);
        }
        let ids = self.room_ids(room);
        self.drive(now, ids);
    }

    /// The members of `room`.
    pub fn room_members(&self, room: u32) -> Vec<MemberId> {
        self.members.iter().filter(|m| m.room == room).map(|m| m.id).collect()
    }

    /// A datagram that arrived on the SFU's UDP socket; false when no member takes it.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        self.receive(now, Transport::Udp, source, destination, contents)
    }

    /// A packet that arrived by `transport` (a TCP frame, without its length); false when
    /// no member takes it.
    pub fn receive(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        let Ok(contents) = contents.try_into() else { return false };
        let proto = match transport {
            Transport::Udp => Protocol::Udp,
            Transport::Tcp => Protocol::Tcp,
        };
        let input = Input::Receive(now, Receive { proto, source, destination, contents });
        // The member this address spoke for last, else the one whose ICE takes it.
        let known = self.by_source.get(&source).and_then(|id| self.members.iter().position(|m| m.id == *id));
        let i = match known.filter(|i| self.members[*i].accepts(&input)) {
            Some(i) => i,
            None => match self.members.iter().position(|m| m.accepts(&input)) {
                Some(i) => {
                    self.by_source.insert(source, self.members[i].id);
                    i
                }
                None => return false,
            },
        };
        self.members[i].handle_input(input);
        let id = self.members[i].id;
        self.drive(now, [id]);
        true
    }

    /// Time passed: the members whose deadline came.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        for m in &mut self.members {
            if m.next.is_none_or(|t| t <= now) {
                m.handle_input(Input::Timeout(now));
                due.push(m.id);
            }
        }
        self.drive(now, due);
    }

    /// When to call [`Sfu::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.members.iter().filter_map(|m| m.next).min()
    }

    pub fn poll_output(&mut self) -> Option<MediaOutput> {
        self.out.pop_front()
    }

    pub fn stats(&self) -> SfuStats {
        SfuStats { members: self.members.len(), ..self.stats }
    }

    /// The members of `room`, to poll (their tracks changed).
    fn room_ids(&self, room: u32) -> Vec<MemberId> {
        self.members.iter().filter(|m| m.room == room).map(|m| m.id).collect()
    }

    /// Polls the `dirty` members until each has nothing more but a timeout; what one
    /// produces for others (media, keyframe requests, new tracks) makes them dirty too.
    fn drive(&mut self, now: Instant, dirty: impl IntoIterator<Item = MemberId>) {
        self.last_now = self.last_now.max(now);
        let mut work: VecDeque<MemberId> = dirty.into_iter().collect();
        let mut rounds = 0;
        while let Some(id) = work.pop_front() {
            rounds += 1;
            if rounds > 100_000 {
                break; // a bound, never reached in practice
            }
            let Some(i) = self.members.iter().position(|m| m.id == id) else { continue };
            loop {
                let happened = self.members[i].poll();
                let room = self.members[i].room;
                match happened {
                    Happened::Timeout(t) => {
                        self.members[i].next = Some(t);
                        break;
                    }
                    Happened::Nothing | Happened::Connected => {}
                    Happened::Downlink => self.tell_bitrates(now, room),
                    Happened::Transmit(t) => {
                        let transport = if t.proto == Protocol::Udp { Transport::Udp } else { Transport::Tcp };
                        let (destination, contents) = (t.destination, t.contents.to_vec());
                        self.out.push_back(MediaOutput::Transmit { transport, destination, contents })
                    }
                    Happened::Offer(sdp) => self.out.push_back(MediaOutput::Offer { member: id, sdp }),
                    Happened::TrackOpen(track) => {
                        self.track_opened(id, room, track);
                        work.extend(self.room_ids(room).into_iter().filter(|m| *m != id));
                    }
                    Happened::Media(data) => {
                        let role = self.members[i].role;
                        if role == Role::Full && self.recorded.contains(&room) {
                            let source = self.members[i].source(data.mid);
                            if let Some(frame) = recorded_frame(id, source, &data) {
                                self.out.push_back(MediaOutput::Frame { room, frame });
                            }
                        }
                        if role.publishes() {
                            self.stats.received += 1;
                            for m in
                                self.members.iter_mut().filter(|m| m.room == room && m.id != id && role.reaches(m.id))
                            {
                                if m.forward(id, &data) {
                                    self.stats.forwarded += 1;
                                    if !work.contains(&m.id) {
                                        work.push_back(m.id);
                                    }
                                }
                            }
                        }
                    }
                    Happened::KeyframeRequest { req, origin, mid_in } => {
                        if let Some(m) = self.members.iter_mut().find(|m| m.id == origin) {
                            m.request_keyframe(mid_in, req.kind, now);
                            work.push_back(origin);
                        }
                    }
                    Happened::Lost => {
                        self.members.remove(i);
                        self.by_source.retain(|_, m| *m != id);
                        self.told_bitrate.remove(&id);
                        self.out.push_back(MediaOutput::Lost { member: id });
                        work.extend(self.room_ids(room));
                        break;
                    }
                }
                // A subscriber's track that just opened: a keyframe from its publisher.
                let opened = self.members[i].take_opened();
                for track in opened.iter().filter_map(|t| t.upgrade()) {
                    if let Some(p) = self.members.iter_mut().find(|p| p.id == track.origin) {
                        p.request_keyframe(track.mid, KeyframeRequestKind::Pli, now);
                        work.push_back(track.origin);
                    }
                }
            }
        }
    }

    /// After a new downlink estimate in `room`: each publisher's cap, the narrowest
    /// estimate of the members its tracks reach (less room for audio), told when it
    /// moved by a fifth or more (at most once a second).
    fn tell_bitrates(&mut self, now: Instant, room: u32) {
        let publishers: Vec<(MemberId, Role)> =
            self.members.iter().filter(|m| m.room == room && m.role.publishes()).map(|m| (m.id, m.role)).collect();
        for (publisher, role) in publishers {
            let narrowest = self
                .members
                .iter()
                .filter(|m| m.room == room && m.id != publisher && role.reaches(m.id))
                .filter_map(|m| m.downlink_bps)
                .min();
            let Some(narrowest) = narrowest else { continue };
            let bps = narrowest.saturating_sub(AUDIO_BPS).max(MIN_VIDEO_BPS);
            let due = match self.told_bitrate.get(&publisher) {
                None => true,
                Some((told, at)) => {
                    now.saturating_duration_since(*at) >= std::time::Duration::from_secs(1)
                        && (bps.abs_diff(*told) * 5 >= *told)
                }
            };
            if due {
                self.told_bitrate.insert(publisher, (bps, now));
                self.out.push_back(MediaOutput::Bitrate { member: publisher, bps });
            }
        }
    }

    fn track_opened(&mut self, member: MemberId, room: u32, track: std::sync::Weak<TrackIn>) {
        let Some(kind) = track.upgrade().map(|t| t.source) else { return };
        self.out.push_back(MediaOutput::TrackOpen { member, kind });
        let Some(role) = self.members.iter().find(|m| m.id == member).map(|m| m.role) else { return };
        for m in self.members.iter_mut().filter(|m| m.room == room && m.id != member && role.reaches(m.id)) {
            m.subscribe(track.clone());
        }
    }
}

/// A received frame as a recording takes it (`source`: the track it came on): Opus or
/// VP8 only.
fn recorded_frame(member: MemberId, source: Kind, data: &str0m::media::MediaData) -> Option<record::Frame> {
    let kind = match (data.params.spec().codec, source) {
        (str0m::format::Codec::Opus, _) => Kind::Audio,
        (str0m::format::Codec::Vp8, Kind::Screen) => Kind::Screen,
        (str0m::format::Codec::Vp8, _) => Kind::Video,
        _ => return None,
    };
    Some(record::Frame { member, kind, keyframe: kind != Kind::Audio && data.is_keyframe(), data: data.data.clone() })
}
