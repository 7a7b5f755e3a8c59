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
//!
//! A cluster node runs one media task for the apps it owns: each app's hub has its own
//! rooms and SFU ([`rooms`]), all on the node's socket; an app that moves away takes its
//! rooms' media with it (its members join again at the new owner).

mod rooms;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lineup_engine::SessionId;
use lineup_media::{Kind, MediaError, Transport};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot, watch};

use crate::conn::ConnTx;
use crate::hub::HubHandle;
use crate::media_tcp::{next_connection, TcpConnections, TcpEvent};
use crate::recorder::{CallRecording, Finished, Recorder};
pub use rooms::may_stay;
use rooms::Rooms;

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

pub(crate) enum Command {
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
    tx: mpsc::Sender<(HubHandle, Command)>,
}

pub(crate) fn refused(e: MediaError) -> WsError {
    match e {
        MediaError::Sdp(_) | MediaError::NoOffer => WsError::BadData(e.to_string()),
        MediaError::NotMember => WsError::NoRoom(e.to_string()),
    }
}

fn stopped() -> WsError {
    WsError::Internal("the media server has stopped".into())
}

/// The media ops of one hub's sessions (a cluster node's media serves each app's hub).
impl MediaHandle {
    /// Sends `hub`'s command made with its answer's sender; the answer.
    async fn ask<T>(
        &self,
        hub: &HubHandle,
        command: impl FnOnce(oneshot::Sender<Result<T, WsError>>) -> Command,
    ) -> Result<T, WsError> {
        let (done, rx) = oneshot::channel();
        self.tx.send((hub.clone(), command(done))).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Joins the session's media to its room: the server's answer (SDP).
    pub async fn join(&self, hub: &HubHandle, joining: Joining) -> Result<String, WsError> {
        self.ask(hub, |done| Command::Join(joining, done)).await
    }

    pub async fn answer(&self, hub: &HubHandle, member: SessionId, sdp: String, conn: ConnTx) -> Result<(), WsError> {
        self.ask(hub, |done| Command::Answer { member, sdp, conn, done }).await
    }

    pub async fn mute(&self, hub: &HubHandle, member: SessionId, kind: Kind, muted: bool) -> Result<(), WsError> {
        self.ask(hub, |done| Command::Mute { member, kind, muted, done }).await
    }

    /// StartScreenShare: the member's line `mid` carries its screen (one sharer per
    /// room); the server's answer to `sdp`.
    pub async fn share(&self, hub: &HubHandle, sharing: Sharing) -> Result<String, WsError> {
        self.ask(hub, |done| Command::Share(sharing, done)).await
    }

    /// StopScreenShare: the member's share in `room` ends (nothing to do when it has none).
    pub async fn unshare(&self, hub: &HubHandle, member: SessionId, room: u32) -> Result<(), WsError> {
        self.ask(hub, |done| Command::Unshare { member, room, done }).await
    }

    pub async fn leave(&self, hub: &HubHandle, member: SessionId) {
        let _ = self.tx.send((hub.clone(), Command::Leave { member })).await;
    }

    /// CreateCloudMixer: records `room`'s `call` from now on, under the page's `mixer`
    /// id; `by` (session, UID) asked.
    pub async fn start_recording(
        &self,
        hub: &HubHandle,
        room: u32,
        call: CallRecording,
        mixer: String,
        by: (SessionId, String),
    ) -> Result<(), WsError> {
        self.ask(hub, |done| Command::StartRecording { room, call, mixer, by, done }).await
    }

    /// DestroyCloudMixer: stops the recording `mixer` of an app; `by` is the UID asking.
    pub async fn stop_recording(&self, hub: &HubHandle, mixer: String, app: String, by: String) -> Result<(), WsError> {
        self.ask(hub, |done| Command::StopRecording { mixer, app, by, done }).await
    }
}

/// Binds the media socket: `config.media_udp`, else the listen IP on a free port. The
/// announced address is `media_public_ip` (or the bound IP; loopback for a 0.0.0.0 bind).
async fn bind(config: &crate::config::Config, listen_ip: IpAddr) -> Result<(UdpSocket, SocketAddr), String> {
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
async fn bind_tcp(
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

/// Binds the media sockets (UDP; TCP unless turned off) as `config` says, on
/// `listen_ip` by default, says where, and starts the task (see [`spawn`]).
pub async fn start(
    config: &crate::config::Config,
    listen_ip: IpAddr,
    hubs: MediaHubs,
    stop: watch::Receiver<bool>,
) -> Result<(MediaHandle, tokio::task::JoinHandle<()>), String> {
    let (socket, public) = bind(config, listen_ip).await?;
    let tcp = bind_tcp(config, &socket, public).await;
    match &tcp {
        Some((_, tcp)) => tracing::info!("media (audio and video of calls) on udp {public} and tcp {tcp}"),
        None => tracing::info!("media (audio and video of calls) on udp {public}"),
    }
    Ok(spawn(socket, public, tcp, hubs, stop))
}

/// Makes the recorder of one app hub's rooms on a cluster node (what became of each
/// recording goes to the sender).
pub type RecorderFactory =
    Box<dyn Fn(&HubHandle, mpsc::UnboundedSender<Finished>) -> Result<Recorder, String> + Send + Sync>;

/// Whose rooms the media task serves.
pub enum MediaHubs {
    /// A single node's hub, and its recorder.
    Single(HubHandle, Recorder),
    /// A cluster node's app hubs, each from its first media op; the recorders they get.
    Cluster(RecorderFactory),
}

/// Starts the media task on `socket` (and `tcp`, the ICE-TCP listener and its announced
/// address); the task ends after `stop`, once the recordings in progress are finished.
fn spawn(
    socket: UdpSocket,
    public: SocketAddr,
    tcp: Option<(TcpListener, SocketAddr)>,
    hubs: MediaHubs,
    stop: watch::Receiver<bool>,
) -> (MediaHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(1024);
    let task = tokio::spawn(run(socket, public, tcp, hubs, rx, stop));
    (MediaHandle { tx }, task)
}

/// The media task: the node's sockets, and the rooms of each hub that has media here.
async fn run(
    socket: UdpSocket,
    public: SocketAddr,
    tcp: Option<(TcpListener, SocketAddr)>,
    media_hubs: MediaHubs,
    mut rx: mpsc::Receiver<(HubHandle, Command)>,
    mut stop: watch::Receiver<bool>,
) {
    let (listener, public_tcp) = tcp.unzip();
    // Each hub's rooms, by the hub's id.
    let mut hubs: HashMap<u64, Rooms> = HashMap::new();
    // What became of each recording (every recorder's).
    let (done, mut finished) = mpsc::unbounded_channel();
    let factory = match media_hubs {
        MediaHubs::Single(hub, mut recorder) => {
            finished = recorder.take_finished().unwrap_or(finished);
            hubs.insert(hub.id(), Rooms::new(hub, public, public_tcp, Some(recorder), None));
            None
        }
        MediaHubs::Cluster(factory) => Some(Arc::new(factory)),
    };
    // A cluster app hub's recorder is made at its first recording.
    let recorder_for = |hub: &HubHandle| -> Option<rooms::MakeRecorder> {
        let (factory, hub, done) = (factory.clone()?, hub.clone(), done.clone());
        Some(Box::new(move || {
            factory(&hub, done.clone()).map_err(|e| tracing::warn!("calls of this app are not recorded here: {e}")).ok()
        }))
    };
    // Recorders of hubs that went away, finishing their files.
    let mut dropping = Vec::new();
    // Which hub's SFU took a source address's datagrams last.
    let mut by_source: HashMap<SocketAddr, u64> = HashMap::new();
    let mut tcp_conns = TcpConnections::default();
    let (tcp_events, mut tcp_rx) = mpsc::channel(4096);
    let mut buf = vec![0u8; 2048];
    let mut reconcile = tokio::time::interval(RECONCILE);
    loop {
        let deadline = hubs.values().filter_map(|r| r.sfu.poll_timeout()).min().map(tokio::time::Instant::from_std);
        tokio::select! {
            c = rx.recv() => match c {
                Some((hub, c)) => hubs
                    .entry(hub.id())
                    .or_insert_with(|| {
                        let make = recorder_for(&hub);
                        Rooms::new(hub, public, public_tcp, None, make)
                    })
                    .command(c),
                None => break,
            },
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = r {
                    receive(&mut hubs, &mut by_source, Transport::Udp, source, public, &buf[..n]);
                }
            }
            Some((stream, source)) = next_connection(listener.as_ref()) => tcp_conns.accept(stream, source, &tcp_events),
            Some(event) = tcp_rx.recv() => match (event, public_tcp) {
                (TcpEvent::Packet { source, contents }, Some(local)) => {
                    receive(&mut hubs, &mut by_source, Transport::Tcp, source, local, &contents);
                }
                (TcpEvent::Closed { source, id }, _) => tcp_conns.closed(source, id),
                _ => {}
            },
            _ = sleep_until(deadline) => {
                let now = Instant::now();
                for rooms in hubs.values_mut().filter(|r| r.sfu.poll_timeout().is_some_and(|t| t <= now)) {
                    rooms.sfu.handle_timeout(now);
                }
            }
            Some(f) = finished.recv() => {
                if let Some(rooms) = hubs.values_mut().find(|r| r.has_recording(&f.id)) {
                    rooms.finished(f);
                }
            }
            _ = reconcile.tick() => {
                // Every hub is asked at once (a slow one holds the others up for its
                // wait at most); the rooms of a hub that stopped (its app moved away) are
                // gone from here.
                let checks = hubs.iter_mut().map(|(id, rooms)| async move {
                    let stays = !rooms.hub.is_stopped() && (rooms.is_idle() || rooms.reconcile().await);
                    (*id, stays)
                });
                let gone: Vec<u64> = futures_util::future::join_all(checks)
                    .await
                    .into_iter()
                    .filter_map(|(id, stays)| (!stays).then_some(id))
                    .collect();
                for id in gone {
                    if let Some(rec) = hubs.remove(&id).and_then(|mut rooms| rooms.recorder.take()) {
                        // Its recordings are finished and kept (their rooms are elsewhere now).
                        dropping.push(tokio::task::spawn_blocking(move || drop(rec)));
                    }
                    by_source.retain(|_, h| *h != id);
                }
                dropping.retain(|d: &tokio::task::JoinHandle<()>| !d.is_finished());
                // Addresses seen come and go with the members: the map is started over
                // once it holds many more than the members now.
                let members: usize = hubs.values().map(|r| r.sfu.stats().members).sum();
                if by_source.len() > 2 * members + 64 {
                    by_source.clear();
                }
            }
            _ = stop.changed() => break,
        }
        for rooms in hubs.values_mut() {
            rooms.outputs(&socket, &mut tcp_conns);
        }
    }
    // The recordings in progress are finished and kept (a recorder waits for its
    // thread when dropped); the rooms are told.
    let recorders: Vec<Recorder> = hubs.values_mut().filter_map(|r| r.recorder.take()).collect();
    let _ = tokio::task::spawn_blocking(move || drop(recorders)).await;
    for d in dropping {
        let _ = d.await;
    }
    drop(done);
    while let Ok(f) = finished.try_recv() {
        if let Some(rooms) = hubs.values_mut().find(|r| r.has_recording(&f.id)) {
            rooms.finished(f);
        }
    }
    for (_, rooms) in hubs.drain() {
        let notifier = rooms.into_notifier();
        let _ = notifier.await;
    }
}

/// A packet from `source`: to the SFU that took that address's packets last, else to
/// the first that takes it.
fn receive(
    hubs: &mut HashMap<u64, Rooms>,
    by_source: &mut HashMap<SocketAddr, u64>,
    transport: Transport,
    source: SocketAddr,
    local: SocketAddr,
    contents: &[u8],
) {
    let now = Instant::now();
    if let Some(rooms) = by_source.get(&source).and_then(|id| hubs.get_mut(id)) {
        if rooms.sfu.receive(now, transport, source, local, contents) {
            return;
        }
    }
    let several = hubs.len() > 1;
    for (id, rooms) in hubs.iter_mut() {
        if rooms.sfu.receive(now, transport, source, local, contents) {
            if several {
                by_source.insert(source, *id);
            }
            return;
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
