//! One hub's rooms as the media task has them: their SFU, the members' media, screen
//! shares and recordings. A single node has one hub, so one `Rooms`; a cluster node
//! has one per app it owns (each app's hub numbers its rooms and sessions on its own),
//! all on the node's media socket ([`super::run`] hands each datagram to the SFU that
//! takes it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use lineup_engine::SessionId;
use lineup_media::{Kind, MediaError, MediaOutput, Role, Sfu, Transport};
use lineup_protocol::fields::clip;
use lineup_protocol::types::TrackState;
use lineup_protocol::{Notice, ServerFrame};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::{refused, Command, Joining, Seat, Sharing, WsError};

/// Makes a recorder (None: it could not be made, logged).
pub type MakeRecorder = Box<dyn Fn() -> Option<Recorder> + Send + Sync>;

/// How long a check of the members waits for its hub.
const RECONCILE_WAIT: std::time::Duration = std::time::Duration::from_millis(250);
use crate::conn::{ConnTx, Outgoing};
use crate::hub::HubHandle;
use crate::media_tcp::TcpConnections;
use crate::recorder::{CallRecording, Finished, Recorder};

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

/// One hub's rooms' media.
pub(super) struct Rooms {
    /// The hub whose engine says who is in which room.
    pub hub: HubHandle,
    pub sfu: Sfu,
    members: HashMap<SessionId, Member>,
    /// The recorder (made at the first recording on a cluster node).
    pub recorder: Option<Recorder>,
    /// Makes the recorder when a recording starts and there is none (a cluster node's).
    make_recorder: Option<MakeRecorder>,
    /// The rooms being recorded.
    recorded: HashMap<u32, Recorded>,
    /// Recordings stopped, by id, until the recorder says what became of them.
    finishing: HashMap<String, (u32, Recorded)>,
    /// Notices for a room's members (and a recording's starter), in order.
    tell: mpsc::UnboundedSender<(u32, Option<SessionId>, Notice)>,
    /// Who shares its screen in each room (one sharer per room).
    sharing: HashMap<u32, SessionId>,
    /// The task handing `tell`'s notices to the hub.
    pub notifier: tokio::task::JoinHandle<()>,
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

impl Rooms {
    /// The rooms of `hub`, on an SFU announced at `public` (and `tcp`).
    pub fn new(
        hub: HubHandle,
        public: SocketAddr,
        tcp: Option<SocketAddr>,
        recorder: Option<Recorder>,
        make_recorder: Option<MakeRecorder>,
    ) -> Rooms {
        let (tell, told) = mpsc::unbounded_channel();
        let notifier = tokio::spawn(tell_rooms(hub.clone(), told));
        let sfu = match tcp {
            Some(t) => Sfu::new(public).with_tcp(t),
            None => Sfu::new(public),
        };
        Rooms {
            hub,
            sfu,
            members: HashMap::new(),
            recorder,
            make_recorder,
            recorded: HashMap::new(),
            finishing: HashMap::new(),
            tell,
            sharing: HashMap::new(),
            notifier,
        }
    }

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

    pub fn command(&mut self, c: Command) {
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
                let can_record = self.can_record();
                let result = match self.recorded.get(&room) {
                    _ if !can_record => {
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
        if !self.can_record() || self.recorded.get(&room).is_some_and(|r| r.call == call) {
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
    /// finished by the recorder, which says what became of it ([`Rooms::finished`]).
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
    pub fn finished(&mut self, f: Finished) {
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
    pub fn outputs(&mut self, socket: &UdpSocket, tcp: &mut TcpConnections) {
        while let Some(o) = self.sfu.poll_output() {
            match o {
                // A packet that cannot go out now is as good as lost on the way.
                MediaOutput::Transmit { transport: Transport::Udp, destination, contents } => {
                    let _ = socket.try_send_to(&contents, destination);
                }
                MediaOutput::Transmit { transport: Transport::Tcp, destination, contents } => {
                    tcp.send(destination, contents);
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

    /// Whether these rooms can record: their recorder, made now if need be.
    fn can_record(&mut self) -> bool {
        if self.recorder.is_none() {
            self.recorder = self.make_recorder.as_ref().and_then(|make| make());
        }
        self.recorder.is_some()
    }

    /// The task telling the hub, to await once the rooms are dropped.
    pub fn into_notifier(self) -> tokio::task::JoinHandle<()> {
        self.notifier
    }

    /// Whether recording `id` is (or was just) one of these rooms'.
    pub fn has_recording(&self, id: &str) -> bool {
        self.finishing.contains_key(id) || self.recorded.values().any(|r| r.id == id)
    }

    /// Whether the rooms hold anything the hub must be asked about.
    pub fn is_idle(&self) -> bool {
        self.members.is_empty() && self.recorded.is_empty()
    }

    /// Checks the members against the engine: who may stay, each one's live connection
    /// (a page that reconnected has a new one: an unanswered offer is sent again there),
    /// which recorded calls ended. False when the hub has stopped (its app moved to
    /// another node, or the server is stopping): these rooms are then gone from here.
    pub async fn reconcile(&mut self) -> bool {
        let held: Vec<(SessionId, u32, bool)> =
            self.members.iter().map(|(s, m)| (*s, m.room, m.seat == Seat::Member)).collect();
        let recorded: Vec<(u32, CallRecording)> = self.recorded.iter().map(|(r, c)| (*r, c.call.clone())).collect();
        let asked = self.hub.call(move |hub| {
            let stays = held
                .into_iter()
                .map(|(s, room, member)| (s, may_stay(hub, s, room, member), hub.conn_tx(s)))
                .collect::<Vec<_>>();
            // One pass over the calls for all the recorded rooms.
            let live: std::collections::HashSet<(u32, &str, &str)> =
                if recorded.is_empty() { Default::default() } else { hub.engine.answered_calls().collect() };
            let ended = recorded
                .into_iter()
                .filter(|(room, call)| !live.contains(&(*room, &*call.app, &*call.session_id)))
                .map(|(room, _)| room)
                .collect::<Vec<_>>();
            (stays, ended)
        });
        // A hub that does not answer in time is asked again at the next check (the media
        // of the other hubs on the node waits at most this long for it).
        let (checked, ended) = match tokio::time::timeout(RECONCILE_WAIT, asked).await {
            Ok(Ok(c)) => c,
            Ok(Err(crate::hub::HubError::Stopped)) => return false,
            Ok(Err(_)) | Err(_) => return true,
        };
        for room in ended {
            self.stop_recording(room, "");
        }
        for (member, stays, conn) in checked {
            if !stays {
                self.forget(member, false);
                continue;
            }
            self.reconnected(member, conn);
        }
        true
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
