//! The media task: lineup-media's SFU driven on one UDP socket (and, for browsers that
//! cannot send UDP, on ICE-TCP connections: `media_tcp`). It owns the sockets, the
//! clock and the SFU; WebSocket connections hand it the members' signalling
//! (`MediaJoin`, `MediaAnswer`, `MediaLeave`) and it answers on their connections
//! (`MediaOffer`, `MediaTrack`, `MediaLost`). The hub is asked only who is in which
//! room: at a join, and every 500 ms for the members it holds (the ACD engine admits
//! and removes room members; media state stays here). A room whose call is recorded
//! (every call of the app, or on a party's request: CloudRoom's cloud mixer) has its
//! frames handed to the recorder thread (`recording`) until the call ends or the
//! recording is stopped; the room is told each step (`CloudMixerStateChanged`,
//! `CloudMixerOutputInfoChanged`) through the hub.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use lineup_engine::SessionId;
use lineup_media::{Kind, MediaError, MediaOutput, Role, Sfu, Transport};
use lineup_protocol::fields::clip;
use lineup_protocol::types::TrackState;
use lineup_protocol::{Notice, ServerFrame};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot, watch};

use crate::conn::{ConnTx, Outgoing};
use crate::hub::HubHandle;
use crate::media_tcp::{next_connection, TcpConnections, TcpEvent};
use crate::recording::{CallRecording, Finished, Recorder};

/// The media socket's send and receive buffers asked of the kernel (it caps them).
const SOCKET_BUFFER: usize = 4 << 20;

/// How often the members are checked against the engine's rooms.
const RECONCILE: Duration = Duration::from_millis(500);

/// A signalling step refused, with its wire code.
pub use crate::ws_error::WsError;

/// How a session's media is in a room: as a member of it, or as its app's supervisor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seat {
    Member,
    Monitor,
    /// Heard by the agent with this UID only.
    Whisper(String),
    Barge,
}

/// A session's media joining a room (checked with the engine first by the caller).
pub struct Joining {
    pub member: SessionId,
    pub room: u32,
    pub uid: String,
    pub seat: Seat,
    pub sdp: String,
    pub conn: ConnTx,
    /// The room's call, when its app records calls.
    pub record: Option<CallRecording>,
}

/// A member's screen share starting (StartScreenShare, checked with the engine first).
pub struct Sharing {
    pub member: SessionId,
    pub room: u32,
    pub uid: String,
    /// The video line that carries the screen, and the offer with it.
    pub mid: String,
    pub sdp: String,
    pub conn: ConnTx,
    pub record: Option<CallRecording>,
}

enum Command {
    Join(Joining, oneshot::Sender<Result<String, WsError>>),
    Answer { member: SessionId, sdp: String, conn: ConnTx, done: oneshot::Sender<Result<(), WsError>> },
    Leave { member: SessionId },
    Mute { member: SessionId, kind: Kind, muted: bool, done: oneshot::Sender<Result<(), WsError>> },
    Share(Sharing, oneshot::Sender<Result<String, WsError>>),
    Unshare { member: SessionId, room: u32, done: Reply },
    StartRecording { room: u32, call: CallRecording, mixer: String, by: (SessionId, String), done: Reply },
    StopRecording { mixer: String, app: String, by: String, done: Reply },
}

type Reply = oneshot::Sender<Result<(), WsError>>;

/// The connections' way to the media task.
#[derive(Clone)]
pub struct MediaHandle {
    tx: mpsc::Sender<Command>,
}

fn refused(e: MediaError) -> WsError {
    match e {
        MediaError::Sdp(_) | MediaError::NoOffer => WsError::BadData(e.to_string()),
        MediaError::NotMember => WsError::NoRoom(e.to_string()),
    }
}

fn stopped() -> WsError {
    WsError::Internal("the media server has stopped".into())
}

impl MediaHandle {
    /// Joins the session's media to its room: the server's answer (SDP).
    pub async fn join(&self, joining: Joining) -> Result<String, WsError> {
        let (answer, rx) = oneshot::channel();
        self.tx.send(Command::Join(joining, answer)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    pub async fn answer(&self, member: SessionId, sdp: String, conn: ConnTx) -> Result<(), WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Command::Answer { member, sdp, conn, done }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    pub async fn mute(&self, member: SessionId, kind: Kind, muted: bool) -> Result<(), WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Command::Mute { member, kind, muted, done }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// StartScreenShare: the member's line `mid` carries its screen (one sharer per
    /// room); the server's answer to `sdp`.
    pub async fn share(&self, sharing: Sharing) -> Result<String, WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Command::Share(sharing, done)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// StopScreenShare: the member's share in `room` ends (nothing to do when it has none).
    pub async fn unshare(&self, member: SessionId, room: u32) -> Result<(), WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Command::Unshare { member, room, done }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    pub async fn leave(&self, member: SessionId) {
        let _ = self.tx.send(Command::Leave { member }).await;
    }

    /// CreateCloudMixer: records `room`'s `call` from now on, under the page's `mixer`
    /// id; `by` (session, UID) asked.
    pub async fn start_recording(
        &self,
        room: u32,
        call: CallRecording,
        mixer: String,
        by: (SessionId, String),
    ) -> Result<(), WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Command::StartRecording { room, call, mixer, by, done }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// DestroyCloudMixer: stops the recording `mixer` of an app; `by` is the UID asking.
    pub async fn stop_recording(&self, mixer: String, app: String, by: String) -> Result<(), WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Command::StopRecording { mixer, app, by, done }).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

/// Binds the media socket: `config.media_udp`, else the listen IP on a free port. The
/// announced address is `media_public_ip` (or the bound IP; loopback for a 0.0.0.0 bind).
pub async fn bind(config: &crate::config::Config, listen_ip: IpAddr) -> Result<(UdpSocket, SocketAddr), String> {
    let addr = config.media_udp.unwrap_or(SocketAddr::new(listen_ip, 0));
    let socket = UdpSocket::bind(addr).await.map_err(|e| format!("cannot bind the media socket {addr}: {e}"))?;
    let bound = socket.local_addr().map_err(|e| format!("media socket: {e}"))?;
    // One socket carries every call's packets, in bursts (a video frame is several
    // packets, and many calls' frames come at once): the kernel's default buffers
    // (about 200 KB) overflow from a few dozen 720p calls on, and a datagram that does
    // not fit is lost. Asked for SOCKET_BUFFER; the kernel caps it at net.core.wmem_max /
    // rmem_max (README: raise them on a busy server).
    let sock = socket2::SockRef::from(&socket);
    let _ = sock.set_send_buffer_size(SOCKET_BUFFER);
    let _ = sock.set_recv_buffer_size(SOCKET_BUFFER);
    let (send, recv) = (sock.send_buffer_size().unwrap_or(0), sock.recv_buffer_size().unwrap_or(0));
    if send < SOCKET_BUFFER || recv < SOCKET_BUFFER {
        tracing::info!(
            "the media socket's buffers are {send} B to send and {recv} B to receive (asked {SOCKET_BUFFER} B): raise net.core.wmem_max and rmem_max for many calls"
        );
    }
    let ip = match config.media_public_ip {
        Some(ip) => ip,
        None if bound.ip().is_unspecified() => {
            tracing::warn!("the media socket is bound to {bound}: browsers are told 127.0.0.1; set --media-public-ip");
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        None => bound.ip(),
    };
    Ok((socket, SocketAddr::new(ip, bound.port())))
}

/// Binds the ICE-TCP listener (`media_tcp_off`: none): `config.media_tcp`, else the UDP
/// socket's IP and port number. Announced at the UDP address's IP. A port that cannot be
/// bound leaves calls on UDP only (logged).
pub async fn bind_tcp(
    config: &crate::config::Config,
    udp: &UdpSocket,
    public: SocketAddr,
) -> Option<(TcpListener, SocketAddr)> {
    if config.media_tcp_off {
        return None;
    }
    let addr = match config.media_tcp {
        Some(a) => a,
        None => udp.local_addr().ok()?,
    };
    match TcpListener::bind(addr).await {
        Ok(l) => {
            let port = l.local_addr().map(|a| a.port()).unwrap_or(addr.port());
            Some((l, SocketAddr::new(public.ip(), port)))
        }
        Err(e) => {
            tracing::warn!("cannot bind the media TCP port {addr}: {e}; calls need UDP");
            None
        }
    }
}

/// Starts the media task on `socket` (and `tcp`, the ICE-TCP listener and its announced
/// address); the task ends after `stop`, once the recordings in progress are finished.
pub fn spawn(
    socket: UdpSocket,
    public: SocketAddr,
    tcp: Option<(TcpListener, SocketAddr)>,
    hub: HubHandle,
    recorder: Option<Recorder>,
    stop: watch::Receiver<bool>,
) -> (MediaHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(1024);
    let task = tokio::spawn(run(socket, public, tcp, hub, recorder, rx, stop));
    (MediaHandle { tx }, task)
}

/// What the task keeps of a member besides the SFU's state.
struct Member {
    room: u32,
    uid: String,
    /// Member of the room, or its app's supervisor (checked differently).
    seat: Seat,
    role: Role,
    conn: ConnTx,
    /// Its tracks open at the server.
    open: Vec<Kind>,
    /// Its tracks it stopped sending (MediaMute).
    muted: Vec<Kind>,
    /// Our offer it has not answered yet (sent again on its next connection).
    unanswered: Option<String>,
}

impl Member {
    /// What the room is told of its track `kind`.
    fn state(&self, kind: Kind) -> TrackState {
        if self.muted.contains(&kind) {
            TrackState::Closed
        } else {
            TrackState::Open
        }
    }
}

struct Task {
    sfu: Sfu,
    /// The ICE-TCP connections (`media_tcp`).
    tcp: TcpConnections,
    members: HashMap<SessionId, Member>,
    public: SocketAddr,
    recorder: Option<Recorder>,
    /// The rooms being recorded.
    recorded: HashMap<u32, Recorded>,
    /// Recordings stopped, by id, until the recorder says what became of them.
    finishing: HashMap<String, (u32, Recorded)>,
    /// Notices for a room's members (and a recording's starter), in order.
    tell: mpsc::UnboundedSender<(u32, Option<SessionId>, Notice)>,
    /// Who shares its screen in each room (one sharer per room).
    sharing: HashMap<u32, SessionId>,
}

/// A room's recording.
#[derive(Clone)]
struct Recorded {
    call: CallRecording,
    id: String,
    /// CloudRoom's mixer id: the page's (CreateCloudMixer), else the recording's id.
    mixer: String,
    /// Who started it (CreateCloudMixer); none when the app records every call.
    by: Option<(SessionId, String)>,
}

impl Recorded {
    fn state(&self, room: u32, state: u8, oper: &str) -> Notice {
        Notice::CloudMixerStateChanged {
            meet_id: room,
            mixer_id: self.mixer.clone(),
            recording_id: self.id.clone(),
            state,
            oper_user_id: oper.into(),
        }
    }
}

/// CloudRoom's mixer states.
const MIXER_RUNNING: u8 = 2;
const MIXER_STOPPING: u8 = 4;
const MIXER_NONE: u8 = 0;
/// CloudRoom's output states.
const OUTPUT_CLOSED: u8 = 2;
const OUTPUT_ERR: u8 = 3;

/// The stream id of a session's tracks as the others receive them (a UID may hold any
/// character; an msid may not); its shared screen's is `<that>-screen` (lineup-media's).
fn stream_id(sid: SessionId) -> String {
    format!("m{}", sid.0)
}

/// The stream id of the session's track `kind`.
fn stream_of(sid: SessionId, kind: Kind) -> String {
    match kind {
        Kind::Screen => format!("m{}-screen", sid.0),
        Kind::Audio | Kind::Video => stream_id(sid),
    }
}

/// The state of member `m`'s track `kind`, as `MediaTrack`.
fn track_notice(room: u32, sid: SessionId, m: &Member, kind: Kind) -> Notice {
    Notice::MediaTrack { meet_id: room, uid: m.uid.clone(), kind, state: m.state(kind), stream: stream_of(sid, kind) }
}

fn send(conn: &ConnTx, notice: Notice) {
    conn.send(Outgoing::frame(&ServerFrame::Notice(notice)));
}

impl Task {
    /// The state of `uid`'s track to the room: to whoever its role reaches, and itself
    /// (a whisper is told to its agent only).
    fn track(&self, room: u32, uid: &str, kind: Kind, state: TrackState) {
        if let Some((sid, publisher)) = self.members.iter().find(|(_, m)| m.room == room && m.uid == uid) {
            self.tell_track(*sid, publisher.role, room, uid, kind, state);
        }
    }

    fn tell_track(&self, sid: SessionId, role: Role, room: u32, uid: &str, kind: Kind, state: TrackState) {
        let n = Notice::MediaTrack { meet_id: room, uid: uid.into(), kind, state, stream: stream_of(sid, kind) };
        for (other, m) in self.members.iter().filter(|(_, m)| m.room == room) {
            if *other == sid || role.reaches(other.0) {
                send(&m.conn, n.clone());
            }
        }
    }

    /// A notice to every session with media in `room` (supervisors' too), in order with
    /// its `MediaTrack` notices.
    fn tell_media(&self, room: u32, notice: &Notice) {
        for m in self.members.values().filter(|m| m.room == room) {
            send(&m.conn, notice.clone());
        }
    }

    /// StartScreenShare: checked (its media is in the room, nobody else shares), the
    /// offer taken, the room told; a recorded call records the share too.
    fn share(&mut self, now: Instant, s: Sharing) -> Result<String, WsError> {
        let Sharing { member, room, uid, mid, sdp, conn, record } = s;
        match self.members.get_mut(&member) {
            Some(m) if m.room == room && m.seat == Seat::Member => m.conn = conn,
            _ => {
                return Err(WsError::Media(format!(
                    "this session's media is not in room {room}: join it first (MediaJoin)"
                )))
            }
        }
        if let Some(other) = self.sharing.get(&room).filter(|s| **s != member) {
            let who = self.members.get(other).map_or("", |m| m.uid.as_str());
            return Err(WsError::ScreenShared(format!("{} is sharing its screen in room {room}", clip(who))));
        }
        if let Some(call) = record {
            self.record(room, call, None, None);
        }
        let answer = self.sfu.share(now, member.0, &mid, &sdp).map_err(refused)?;
        if self.sharing.insert(room, member).is_none() {
            self.tell_media(room, &Notice::NotifyScreenShareStarted { meet_id: room, uid: uid.clone() });
            if let (Some(rec), Some(r)) = (&self.recorder, self.recorded.get(&room)) {
                rec.start_share(room, r.call.clone(), crate::auth::random_id(), member.0, uid);
            }
        }
        Ok(answer)
    }

    /// The share in `room` ends (its sharer stopped or left): its track closes, the room
    /// is told, its recording is finished.
    fn stop_share(&mut self, room: u32) {
        let Some(sharer) = self.sharing.remove(&room) else { return };
        self.sfu.unshare(Instant::now(), sharer.0);
        if let Some(rec) = &self.recorder {
            rec.finish_share(room);
        }
        let Some(m) = self.members.get_mut(&sharer) else { return };
        let was_open = m.open.contains(&Kind::Screen);
        m.open.retain(|k| *k != Kind::Screen);
        let (role, uid) = (m.role, m.uid.clone());
        if was_open {
            self.tell_track(sharer, role, room, &uid, Kind::Screen, TrackState::Closed);
        }
        self.tell_media(room, &Notice::NotifyScreenShareStopped { meet_id: room, uid });
    }

    /// The member's media is gone: the others see its tracks close.
    fn forget(&mut self, member: SessionId, lost: bool) {
        if let Some(room) = self.members.get(&member).map(|m| m.room).filter(|r| self.sharing.get(r) == Some(&member)) {
            self.stop_share(room);
        }
        self.sfu.leave(member.0);
        if let Some(m) = self.members.remove(&member) {
            for kind in &m.open {
                self.tell_track(member, m.role, m.room, &m.uid, *kind, TrackState::Closed);
            }
            if lost {
                send(&m.conn, Notice::MediaLost { meet_id: m.room });
            }
        }
    }

    fn command(&mut self, c: Command) {
        let now = Instant::now();
        match c {
            Command::Join(Joining { member, room, uid, seat, sdp, conn, record }, answer) => {
                // A recording this join starts is told to the room (this page included).
                let recorded_before = self.recorded.contains_key(&room);
                if let Some(call) = record {
                    self.record(room, call, None, None);
                }
                // The same room again: a renegotiation of the same connection.
                if let Some(m) = self.members.get_mut(&member).filter(|m| m.room == room && m.seat == seat) {
                    m.conn = conn;
                    let _ = answer.send(self.sfu.offer(now, member.0, &sdp).map_err(refused));
                    return;
                }
                let role = match &seat {
                    Seat::Member | Seat::Barge => Role::Full,
                    Seat::Monitor => Role::Monitor,
                    Seat::Whisper(agent) => {
                        match self.members.iter().find(|(_, m)| m.room == room && m.uid == *agent) {
                            Some((to, _)) => Role::Whisper { to: to.0 },
                            None => {
                                let _ = answer
                                    .send(Err(WsError::UserNotFound(format!("{agent} has no media in room {room}"))));
                                return;
                            }
                        }
                    }
                };
                if self.members.contains_key(&member) {
                    self.forget(member, false);
                }
                let result = self.sfu.join(now, member.0, &stream_id(member), room, role, &sdp).map_err(refused);
                if result.is_ok() {
                    // A share in progress is told to the newcomer (before its track).
                    if let Some(sharer) = self.sharing.get(&room).and_then(|s| self.members.get(s)) {
                        send(&conn, Notice::NotifyScreenShareStarted { meet_id: room, uid: sharer.uid.clone() });
                    }
                    // The tracks already open in the room that reach the newcomer.
                    for (sid, m) in self.members.iter().filter(|(_, m)| m.room == room && m.role.reaches(member.0)) {
                        for kind in &m.open {
                            send(&conn, track_notice(room, *sid, m, *kind));
                        }
                    }
                    if let (Some(rec), true) = (&self.recorder, role == Role::Full && self.recorded.contains_key(&room))
                    {
                        rec.party(room, member.0, uid.clone());
                    }
                    // A page joining a room recorded already learns it (CloudRoom tells it
                    // at entry).
                    if let Some(r) = self.recorded.get(&room).filter(|_| recorded_before) {
                        let oper = r.by.as_ref().map_or("", |(_, uid)| uid.as_str());
                        send(&conn, r.state(room, MIXER_RUNNING, oper));
                    }
                    self.members.insert(
                        member,
                        Member { room, uid, seat, role, conn, open: Vec::new(), muted: Vec::new(), unanswered: None },
                    );
                }
                let _ = answer.send(result);
            }
            Command::Answer { member, sdp, conn, done } => {
                if let Some(m) = self.members.get_mut(&member) {
                    m.conn = conn;
                    m.unanswered = None;
                }
                let _ = done.send(self.sfu.accept_answer(now, member.0, &sdp).map_err(refused));
            }
            Command::Leave { member } => self.forget(member, false),
            Command::Share(sharing, done) => {
                let _ = done.send(self.share(now, sharing));
            }
            Command::Unshare { member, room, done } => {
                if self.sharing.get(&room) == Some(&member) {
                    self.stop_share(room);
                }
                let _ = done.send(Ok(()));
            }
            Command::Mute { member, kind, muted, done } => {
                let Some(m) = self.members.get_mut(&member) else {
                    let _ = done.send(Err(refused(MediaError::NotMember)));
                    return;
                };
                m.muted.retain(|k| *k != kind);
                if muted {
                    m.muted.push(kind);
                }
                let (room, uid, open, state) = (m.room, m.uid.clone(), m.open.contains(&kind), m.state(kind));
                if open {
                    self.track(room, &uid, kind, state);
                }
                let _ = done.send(Ok(()));
            }
            Command::StartRecording { room, call, mixer, by, done } => {
                let result = match self.recorded.get(&room) {
                    _ if self.recorder.is_none() => {
                        Err(WsError::NotEnabled("recording is not available on this server".to_string()))
                    }
                    // The same request again (sent again after a reconnect).
                    Some(r) if r.mixer == mixer && r.call == call => Ok(()),
                    Some(_) => Err(WsError::RecordingStarted(format!("room {room} is already being recorded"))),
                    None => {
                        self.record(room, call, Some(mixer), Some(by));
                        Ok(())
                    }
                };
                let _ = done.send(result);
            }
            Command::StopRecording { mixer, app, by, done } => {
                let found = self
                    .recorded
                    .iter()
                    .find(|(_, r)| r.mixer == mixer && r.call.app == app)
                    .map(|(room, r)| (*room, r.by.is_some()));
                let result = match found {
                    Some((room, true)) => {
                        self.stop_recording(room, &by);
                        Ok(())
                    }
                    Some((_, false)) => Err(WsError::NoPermission(
                        "this app records every call: its recording ends with the call".to_string(),
                    )),
                    // Already stopping (sent again after a reconnect).
                    None if self.finishing.values().any(|(_, r)| r.mixer == mixer && r.call.app == app) => Ok(()),
                    None => {
                        Err(WsError::BadParam(format!("invalid mixerID: no recording '{}' is running", clip(&mixer))))
                    }
                };
                let _ = done.send(result);
            }
        }
    }

    /// Records `room` for `call` (a new call in the room starts a new recording), under
    /// CloudRoom's `mixer` id when a party asked (`by`).
    fn record(&mut self, room: u32, call: CallRecording, mixer: Option<String>, by: Option<(SessionId, String)>) {
        if self.recorder.is_none() || self.recorded.get(&room).is_some_and(|r| r.call == call) {
            return;
        }
        self.stop_recording(room, "");
        let Some(rec) = &self.recorder else { return };
        let id = crate::auth::random_id();
        rec.start(room, call.clone(), id.clone());
        for (sid, m) in self.members.iter().filter(|(_, m)| m.room == room && m.role == Role::Full) {
            rec.party(room, sid.0, m.uid.clone());
        }
        // A share already running is recorded from now on, as its own recording.
        if let Some((sharer, m)) = self.sharing.get(&room).and_then(|s| self.members.get(s).map(|m| (*s, m))) {
            rec.start_share(room, call.clone(), crate::auth::random_id(), sharer.0, m.uid.clone());
        }
        self.sfu.record(room, true);
        // The video of a recording started mid-call begins at a keyframe: ask for one.
        self.sfu.request_keyframes(Instant::now(), room);
        let r = Recorded { call, mixer: mixer.unwrap_or_else(|| id.clone()), id, by };
        let oper = r.by.as_ref().map_or(String::new(), |(_, uid)| uid.clone());
        self.tell(room, &r, r.state(room, MIXER_RUNNING, &oper));
        self.recorded.insert(room, r);
    }

    /// The recording of `room` ends (its call ended, or `by` stopped it): the file is
    /// finished by the recorder, which says what became of it ([`Task::finished`]).
    fn stop_recording(&mut self, room: u32, by: &str) {
        if let Some(r) = self.recorded.remove(&room) {
            self.sfu.record(room, false);
            if let Some(rec) = &self.recorder {
                rec.finish(room);
            }
            self.tell(room, &r, r.state(room, MIXER_STOPPING, by));
            self.finishing.insert(r.id.clone(), (room, r));
        }
    }

    /// The recorder finished a recording (or could not start it): the room is told
    /// where its file is, or why there is none, and that the recording is over.
    fn finished(&mut self, f: Finished) {
        let found = match self.finishing.remove(&f.id) {
            Some(found) => Some(found),
            // Its file could not even be created: it ends here.
            None => match self.recorded.iter().find(|(_, r)| r.id == f.id).map(|(room, _)| *room) {
                Some(room) => {
                    self.sfu.record(room, false);
                    self.recorded.remove(&room).map(|r| (room, r))
                }
                None => None,
            },
        };
        let Some((room, r)) = found else { return };
        let output = match &f.kept {
            Ok(row) => Notice::CloudMixerOutputInfoChanged {
                meet_id: room,
                mixer_id: r.mixer.clone(),
                recording_id: r.id.clone(),
                state: OUTPUT_CLOSED,
                svr_file_path_name: Some(crate::recording::file_path(&row.app, &row.id)),
                start_time: Some(row.started_ms),
                duration: Some(row.duration_ms),
                file_size: Some(row.bytes),
                err_desc: None,
            },
            Err(why) => Notice::CloudMixerOutputInfoChanged {
                meet_id: room,
                mixer_id: r.mixer.clone(),
                recording_id: r.id.clone(),
                state: OUTPUT_ERR,
                svr_file_path_name: None,
                start_time: None,
                duration: None,
                file_size: None,
                err_desc: Some(why.clone()),
            },
        };
        self.tell(room, &r, output);
        self.tell(room, &r, r.state(room, MIXER_NONE, ""));
    }

    /// A notice to the room's members and the recording's starter.
    fn tell(&self, room: u32, r: &Recorded, notice: Notice) {
        let _ = self.tell.send((room, r.by.as_ref().map(|(sid, _)| *sid), notice));
    }

    /// The member's live connection as the hub has it: a new one gets the offer it has
    /// not answered yet.
    fn reconnected(&mut self, member: SessionId, conn: Option<ConnTx>) {
        let (Some(m), Some(conn)) = (self.members.get_mut(&member), conn) else { return };
        if m.conn.id() == conn.id() {
            return;
        }
        m.conn = conn;
        if let Some(sdp) = m.unanswered.clone() {
            send(&m.conn, Notice::MediaOffer { meet_id: m.room, sdp });
        }
    }

    /// Carries out the SFU's outputs.
    async fn outputs(&mut self, socket: &UdpSocket) {
        while let Some(o) = self.sfu.poll_output() {
            match o {
                // A packet that cannot go out now is as good as lost on the way.
                MediaOutput::Transmit { transport: Transport::Udp, destination, contents } => {
                    let _ = socket.try_send_to(&contents, destination);
                }
                MediaOutput::Transmit { transport: Transport::Tcp, destination, contents } => {
                    self.tcp.send(destination, contents);
                }
                MediaOutput::Offer { member, sdp } => {
                    if let Some(m) = self.members.get_mut(&SessionId(member)) {
                        send(&m.conn, Notice::MediaOffer { meet_id: m.room, sdp: sdp.clone() });
                        m.unanswered = Some(sdp);
                    }
                }
                MediaOutput::TrackOpen { member, kind } => {
                    if let Some(m) = self.members.get_mut(&SessionId(member)) {
                        m.open.push(kind);
                        let (room, uid, state) = (m.room, m.uid.clone(), m.state(kind));
                        self.track(room, &uid, kind, state);
                    }
                }
                MediaOutput::Lost { member } => self.forget(SessionId(member), true),
                MediaOutput::Bitrate { member, bps } => {
                    if let Some(m) = self.members.get(&SessionId(member)) {
                        send(&m.conn, Notice::MediaBitrate { meet_id: m.room, max_bitrate: bps });
                    }
                }
                MediaOutput::Frame { room, frame } => {
                    if let Some(rec) = &self.recorder {
                        rec.frame(room, Instant::now(), frame);
                    }
                }
            }
        }
    }
}

async fn run(
    socket: UdpSocket,
    public: SocketAddr,
    tcp: Option<(TcpListener, SocketAddr)>,
    hub: HubHandle,
    recorder: Option<Recorder>,
    mut rx: mpsc::Receiver<Command>,
    mut stop: watch::Receiver<bool>,
) {
    let (tell, told) = mpsc::unbounded_channel();
    let notifier = tokio::spawn(tell_rooms(hub.clone(), told));
    let mut recorder = recorder;
    let mut finished = recorder.as_mut().and_then(Recorder::take_finished);
    let (listener, public_tcp) = tcp.unzip();
    let sfu = match public_tcp {
        Some(t) => Sfu::new(public).with_tcp(t),
        None => Sfu::new(public),
    };
    let (tcp_events, mut tcp_rx) = mpsc::channel(4096);
    let mut task = Task {
        sfu,
        tcp: TcpConnections::default(),
        members: HashMap::new(),
        public,
        recorder,
        recorded: HashMap::new(),
        finishing: HashMap::new(),
        tell,
        sharing: HashMap::new(),
    };
    let mut buf = vec![0u8; 2048];
    let mut reconcile = tokio::time::interval(RECONCILE);
    loop {
        let deadline = task.sfu.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            c = rx.recv() => match c {
                Some(c) => task.command(c),
                None => break,
            },
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = r {
                    task.sfu.handle_receive(Instant::now(), source, task.public, &buf[..n]);
                }
            }
            Some((stream, source)) = next_connection(listener.as_ref()) => task.tcp.accept(stream, source, &tcp_events),
            Some(event) = tcp_rx.recv() => match (event, public_tcp) {
                (TcpEvent::Packet { source, contents }, Some(local)) => {
                    task.sfu.receive(Instant::now(), Transport::Tcp, source, local, &contents);
                }
                (TcpEvent::Closed { source, id }, _) => task.tcp.closed(source, id),
                _ => {}
            },
            _ = sleep_until(deadline) => task.sfu.handle_timeout(Instant::now()),
            Some(f) = next_finished(&mut finished) => task.finished(f),
            _ = reconcile.tick() => {
                let held: Vec<(SessionId, u32, bool)> = task.members.iter().map(|(s, m)| (*s, m.room, m.seat == Seat::Member)).collect();
                let recorded: Vec<(u32, CallRecording)> = task.recorded.iter().map(|(r, c)| (*r, c.call.clone())).collect();
                if held.is_empty() && recorded.is_empty() {
                    continue;
                }
                // Who may stay, and each one's live connection (a page that reconnected
                // has a new one: an unanswered offer is sent again there); which
                // recorded calls ended.
                let checked = hub
                    .call(move |hub| {
                        let stays = held.into_iter().map(|(s, room, member)| (s, may_stay(hub, s, room, member), hub.conn_tx(s))).collect::<Vec<_>>();
                        // One pass over the calls for all the recorded rooms.
                        let live: std::collections::HashSet<(u32, &str, &str)> = if recorded.is_empty() {
                            Default::default()
                        } else {
                            hub.engine.answered_calls().collect()
                        };
                        let ended = recorded
                            .into_iter()
                            .filter(|(room, call)| !live.contains(&(*room, &*call.app, &*call.session_id)))
                            .map(|(room, _)| room)
                            .collect::<Vec<_>>();
                        (stays, ended)
                    })
                    .await;
                let (checked, ended) = checked.unwrap_or_default();
                for room in ended {
                    task.stop_recording(room, "");
                }
                for (member, stays, conn) in checked {
                    if !stays {
                        task.forget(member, false);
                        continue;
                    }
                    task.reconnected(member, conn);
                }
            }
            _ = stop.changed() => break,
        }
        task.outputs(&socket).await;
    }
    // The recordings in progress are finished and kept (the recorder waits for its
    // thread when dropped); the rooms are told.
    if let Some(rec) = task.recorder.take() {
        let _ = tokio::task::spawn_blocking(move || drop(rec)).await;
    }
    if let Some(mut finished) = finished {
        while let Ok(f) = finished.try_recv() {
            task.finished(f);
        }
    }
    drop(task);
    let _ = notifier.await;
}

/// What the recorder says next, if it is there.
async fn next_finished(rx: &mut Option<mpsc::UnboundedReceiver<Finished>>) -> Option<Finished> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Hands recording notices to the hub, one after another: to every member of the room
/// (held sessions get them when they resume) and to the recording's starter.
async fn tell_rooms(hub: HubHandle, mut told: mpsc::UnboundedReceiver<(u32, Option<SessionId>, Notice)>) {
    while let Some((room, also, notice)) = told.recv().await {
        let sent = hub
            .call(move |hub| {
                let frame = ServerFrame::Notice(notice);
                let mut to: Vec<SessionId> = hub.engine.room_members(room).to_vec();
                to.extend(also.filter(|s| !to.contains(s)));
                for sid in to {
                    if hub.engine.session_view(sid).is_some() {
                        hub.send(sid, &frame);
                    }
                }
            })
            .await;
        if sent.is_err() {
            break;
        }
    }
}

/// Whether a session's media may stay in `room`: a member while the engine has it in
/// the room; a supervisor while the room exists in its app and it has the role.
pub fn may_stay(hub: &crate::hub::Hub, sid: SessionId, room: u32, member: bool) -> bool {
    if member {
        return hub.engine.in_room(room, sid);
    }
    let Some(view) = hub.engine.session_view(sid) else { return false };
    view.roles.has(lineup_engine::Role::Supervisor) && hub.engine.room_app(room) == Some(&*view.app)
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
