//! The hub: one task that owns the engine, the store and the live connections.
//!
//! Everything that touches ACD state runs as a closure on this task, in order; after
//! each closure (and each deadline) the engine's outputs are fanned out: notices to the
//! session's socket (or buffered while the session is held offline), business events
//! to subscribers, ended sessions forgotten.
//!
//! The hub works in turns: it takes the jobs that are ready (up to [`TURN_JOBS`]) or
//! a deadline, journals every engine step of them, and commits the turn in one
//! transaction (journal, webhook deliveries, tokens) before any reply or notice of the
//! turn leaves: frames for sockets and job results wait in the turn until the commit.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lineup_engine::{AcdError, Engine, Event, Input, Output, Reply, SessionEnd, SessionId, Time};
use lineup_protocol::{codes, Notice as WireNotice, ServerFrame};
use rustc_hash::FxHashMap;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::Config;
use crate::convert;
use crate::journal::{Journal, JournalError, StepRef, StoredSnapshot};
use crate::store::Store;
use crate::tokens::ResumeTokens;

/// Notices kept for a session while it is held offline; older ones are dropped (the
/// reconnect snapshot restores the state either way).
const HELD_BUFFER: usize = 4096;

/// Most jobs one turn takes (one commit for all of them).
pub const TURN_JOBS: usize = 256;

/// Exit code when the journal cannot be written: the process stops rather than
/// acknowledge what is not durable; a restart recovers the last committed turn.
pub const EXIT_JOURNAL_FAILED: i32 = 70;

/// The wall clock as the engine sees it.
pub fn now() -> Time {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    Time::from_millis(ms)
}

/// What a connection's writer sends.
#[derive(Clone, Debug)]
pub enum Outgoing {
    Text(Arc<str>),
    Close { code: u16, reason: String },
}

/// A live WebSocket connection bound to a session.
pub struct Conn {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<Outgoing>,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// A fresh connection id.
pub fn next_conn_id() -> u64 {
    NEXT_CONN.fetch_add(1, Ordering::Relaxed)
}

/// An app as the server knows it (the engine knows its settings).
#[derive(Clone, Debug)]
pub struct AppRecord {
    pub secret: String,
    pub md5_secret: String,
}

/// The state owned by the hub task.
pub struct Hub {
    pub engine: Engine,
    pub store: Store,
    pub config: Arc<Config>,
    pub apps: FxHashMap<String, AppRecord>,
    conns: FxHashMap<SessionId, Conn>,
    held: FxHashMap<SessionId, VecDeque<Arc<str>>>,
    pub(crate) tokens: ResumeTokens,
    events: broadcast::Sender<Event>,
    /// Frames to send after the current job's reply (flushed with the engine outputs).
    after_reply: Vec<(SessionId, ServerFrame)>,
    /// Frames of this turn, sent once the turn is committed.
    outbound: Vec<(mpsc::UnboundedSender<Outgoing>, Outgoing)>,
    /// The last journaled step.
    seq: u64,
    /// The step the latest snapshot covers, and when it was taken.
    snapshot_seq: u64,
    snapshot_at: Time,
    /// Set when the server stops: dropped connections are not journaled as drops (the
    /// restart holds every session).
    stopping: bool,
    pub webhooks: crate::webhooks::Webhooks,
    /// Outputs taken from the engine early (to store their events before the reply),
    /// still to be fanned out in order.
    taken: VecDeque<Output>,
    /// Wakes the webhook delivery worker.
    pub webhook_wake: Arc<tokio::sync::Notify>,
}

/// What a job hands back to run once its turn is committed (sending its result).
type Deliver = Box<dyn FnOnce() + Send>;
type Job = Box<dyn FnOnce(&mut Hub) -> Deliver + Send>;

/// A handle to the hub task.
#[derive(Clone)]
pub struct HubHandle {
    tx: mpsc::Sender<Job>,
    events: broadcast::Sender<Event>,
}

/// The hub task has stopped (the server is shutting down).
#[derive(Debug)]
pub struct HubGone;

impl HubHandle {
    /// Runs `f` on the hub task and returns its result.
    pub async fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut Hub) -> R + Send + 'static) -> Result<R, HubGone> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |hub| {
            let result = f(hub);
            Box::new(move || {
                let _ = tx.send(result);
            })
        });
        self.tx.send(job).await.map_err(|_| HubGone)?;
        rx.await.map_err(|_| HubGone)
    }

    /// Business events as they happen (for webhooks, statistics, tests).
    pub fn subscribe_events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

impl Hub {
    /// A hub around an engine restored up to journal step `seq` (the latest snapshot
    /// covering `snapshot_seq`).
    pub fn new(
        engine: Engine,
        store: Store,
        config: Arc<Config>,
        apps: FxHashMap<String, AppRecord>,
        seq: u64,
        snapshot_seq: u64,
    ) -> Self {
        let (events, _) = broadcast::channel(4096);
        let snapshot_at = engine.now();
        Hub {
            engine,
            store,
            config,
            apps,
            conns: FxHashMap::default(),
            held: FxHashMap::default(),
            tokens: ResumeTokens::default(),
            events,
            after_reply: Vec::new(),
            outbound: Vec::new(),
            seq,
            snapshot_seq,
            snapshot_at,
            stopping: false,
            webhooks: Default::default(),
            taken: VecDeque::new(),
            webhook_wake: Arc::default(),
        }
    }

    /// Starts the hub task; it ends when `stop` fires (or every handle is dropped):
    /// it finishes its turn, snapshots, and closes every socket with 1001.
    pub fn spawn(self, stop: oneshot::Receiver<()>) -> (HubHandle, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Job>(1024);
        let handle = HubHandle { tx, events: self.events.clone() };
        (handle, tokio::spawn(self.run(rx, stop)))
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Job>, mut stop: oneshot::Receiver<()>) {
        enum Wake {
            Job(Job),
            Deadline,
            Stop,
        }
        loop {
            let sleep = self.engine.poll_timeout().map(|deadline| {
                let wait = deadline.as_millis().saturating_sub(now().as_millis());
                tokio::time::Instant::now() + Duration::from_millis(wait)
            });
            let wake = tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => Wake::Job(job),
                    None => Wake::Stop,
                },
                _ = async { tokio::time::sleep_until(sleep.expect("guarded")).await }, if sleep.is_some() => Wake::Deadline,
                _ = &mut stop => Wake::Stop,
            };
            self.begin();
            let mut delivers = Vec::new();
            match wake {
                Wake::Stop => break,
                Wake::Deadline => self.tick(),
                Wake::Job(job) => {
                    delivers.push(job(&mut self));
                    self.flush();
                    while delivers.len() < TURN_JOBS {
                        let Ok(job) = rx.try_recv() else { break };
                        delivers.push(job(&mut self));
                        self.flush();
                    }
                }
            }
            self.flush();
            self.end_turn();
            for deliver in delivers {
                deliver();
            }
            self.maybe_snapshot();
        }
        self.stopping = true;
        self.flush();
        self.end_turn();
        self.snapshot();
        tracing::info!(step = self.seq, sessions = self.engine.session_count(), "journal flushed; server stopped");
        for (_, conn) in self.conns.drain() {
            let _ = conn.tx.send(Outgoing::Close { code: 1001, reason: "server restarting".into() });
        }
    }

    /// Opens the turn's transaction.
    pub fn begin(&mut self) {
        if let Err(e) = self.store.begin() {
            journal_failed(e);
        }
    }

    /// Commits the turn, then lets its frames go out.
    pub fn end_turn(&mut self) {
        if let Err(e) = self.store.commit() {
            journal_failed(e);
        }
        for (tx, out) in self.outbound.drain(..) {
            let _ = tx.send(out);
        }
    }

    /// Journals one engine step of this turn.
    fn journal(&mut self, at: Time, step: StepRef<'_>) {
        self.seq += 1;
        if let Err(e) = self.store.append(self.seq, at, &step.encode()) {
            journal_failed(e);
        }
    }

    /// Deadlines up to now.
    pub fn tick(&mut self) {
        let t = now();
        if self.engine.poll_timeout().map_or(true, |deadline| deadline > t) {
            return; // woke a little early: nothing is due yet
        }
        self.journal(t, StepRef::Tick);
        self.engine.handle_timeout(t);
    }

    /// Snapshots when enough was journaled since the last one (or it is old).
    fn maybe_snapshot(&mut self) {
        let steps = self.seq - self.snapshot_seq;
        let age_ms = now().millis_since(self.snapshot_at);
        if steps >= self.config.snapshot_steps || (steps > 0 && age_ms >= self.config.snapshot_interval_s * 1000) {
            self.snapshot();
        }
    }

    /// Stores the engine's state as of the last journaled step and trims the journal.
    pub fn snapshot(&mut self) {
        if self.seq == self.snapshot_seq && self.snapshot_seq != 0 {
            return;
        }
        let started = std::time::Instant::now();
        let snapshot = StoredSnapshot { seq: self.seq, at: self.engine.now(), bytes: self.engine.snapshot() };
        let size = snapshot.bytes.len();
        self.begin();
        if let Err(e) = self.store.save_snapshot(&snapshot) {
            journal_failed(e);
        }
        self.end_turn();
        self.snapshot_seq = self.seq;
        self.snapshot_at = now();
        tracing::debug!(step = self.seq, bytes = size, ms = started.elapsed().as_millis() as u64, "snapshot");
    }

    /// The last journaled step.
    pub fn journal_seq(&self) -> u64 {
        self.seq
    }

    /// Applies an input now, journaled. Its business events are stored (webhook
    /// outbox) in the same turn, so nothing is acknowledged before it is durable.
    pub fn input(&mut self, input: Input) -> Result<Reply, AcdError> {
        let t = now();
        self.journal(t, StepRef::Input(&input));
        let result = self.engine.handle(t, input);
        while let Some(output) = self.engine.poll_output() {
            if let Output::Event(event) = &output {
                self.store_event(event);
            }
            self.taken.push_back(output);
        }
        result
    }

    /// Writes a business event's webhook deliveries to the outbox.
    fn store_event(&mut self, event: &Event) {
        match self.webhooks.on_event(self.store.conn(), event) {
            Ok(0) => {}
            Ok(_) => self.webhook_wake.notify_one(),
            Err(e) => tracing::error!(error = %e, "cannot store a webhook delivery"),
        }
    }

    /// Queues a frame for `session` behind the reply being built.
    pub fn send_after_reply(&mut self, session: SessionId, frame: ServerFrame) {
        self.after_reply.push((session, frame));
    }

    /// Marks a ticket used (durably, until it expires); false if it was used before.
    pub fn use_ticket(&mut self, id: &str, exp: u64, now_s: u64) -> bool {
        self.store.use_ticket(id, exp, now_s).unwrap_or_else(|e| journal_failed(e))
    }

    /// Queues a frame for a connection; it leaves when the turn is committed.
    pub fn push(&mut self, tx: &mpsc::UnboundedSender<Outgoing>, out: Outgoing) {
        self.outbound.push((tx.clone(), out));
    }

    /// Fans the engine's outputs out.
    pub fn flush(&mut self) {
        for (session, frame) in std::mem::take(&mut self.after_reply) {
            self.send(session, &frame);
        }
        loop {
            let (output, stored) = match self.taken.pop_front() {
                Some(o) => (o, true),
                None => match self.engine.poll_output() {
                    Some(o) => (o, false),
                    None => break,
                },
            };
            match output {
                Output::Notify { session, notice } => {
                    self.send(session, &ServerFrame::Notice(convert::notice(&notice)));
                }
                Output::Event(event) => {
                    tracing::debug!(target: "lineup::event", ?event);
                    if !stored {
                        self.store_event(&event);
                    }
                    let _ = self.events.send(event);
                }
                Output::SessionEnded { session, reason } => {
                    tracing::info!(session = session.0, ?reason, "session ended");
                    if let Err(e) = self.tokens.forget(&mut self.store, session) {
                        journal_failed(e);
                    }
                    self.held.remove(&session);
                    if let Some(conn) = self.conns.remove(&session) {
                        if reason == SessionEnd::HoldExpired {
                            let close = Outgoing::Close { code: 4002, reason: "session expired".into() };
                            self.outbound.push((conn.tx, close));
                        }
                    }
                }
            }
        }
    }

    /// Sends a frame to the session's socket, or buffers it while the session is held.
    pub fn send(&mut self, session: SessionId, frame: &ServerFrame) {
        let text: Arc<str> = serde_json::to_string(frame).expect("frames serialize").into();
        match self.conns.get(&session) {
            Some(conn) => {
                self.outbound.push((conn.tx.clone(), Outgoing::Text(text)));
            }
            None => {
                let buffer = self.held.entry(session).or_default();
                if buffer.len() == HELD_BUFFER {
                    buffer.pop_front();
                }
                buffer.push_back(text);
            }
        }
    }

    /// Binds a connection to a session: an older connection of the session is told
    /// LineOff(10) and closed; notices buffered while held are delivered.
    pub fn attach(&mut self, session: SessionId, conn: Conn) {
        if let Some(old) = self.conns.remove(&session) {
            if old.id != conn.id {
                let frame = ServerFrame::Notice(WireNotice::LineOff { sdk_err: codes::USER_BEEN_KICKOUT });
                let text: Arc<str> = serde_json::to_string(&frame).expect("frames serialize").into();
                self.outbound.push((old.tx.clone(), Outgoing::Text(text)));
                self.outbound.push((old.tx, Outgoing::Close { code: 4001, reason: "logged in elsewhere".into() }));
            }
        }
        for text in self.held.remove(&session).unwrap_or_default() {
            self.outbound.push((conn.tx.clone(), Outgoing::Text(text)));
        }
        self.conns.insert(session, conn);
    }

    /// The connection closed: if it was the session's current one, the session is held.
    pub fn detach(&mut self, session: SessionId, conn_id: u64) {
        if self.stopping {
            return;
        }
        if self.conns.get(&session).is_some_and(|c| c.id == conn_id) {
            tracing::info!(session = session.0, conn = conn_id, "connection lost; session held");
            self.conns.remove(&session);
            if self.engine.session_view(session).is_some() {
                let _ = self.input(Input::Disconnect { session });
            }
        }
    }

    /// The resume token of a session (made, and stored by its hash, on first use).
    pub fn resume_token(&mut self, session: SessionId) -> String {
        self.tokens.token_for(&mut self.store, session).unwrap_or_else(|e| journal_failed(e))
    }

    /// The session a resume token belongs to, if it is still alive.
    pub fn session_for_token(&mut self, token: &str) -> Option<SessionId> {
        self.tokens.session_for(token)
    }

    /// Whether the session currently has this connection.
    pub fn is_current(&self, session: SessionId, conn_id: u64) -> bool {
        self.conns.get(&session).is_some_and(|c| c.id == conn_id)
    }
}

/// The journal cannot be written: stop at once, acknowledging nothing more.
fn journal_failed(e: JournalError) -> ! {
    tracing::error!(error = %e, "cannot write the journal; stopping (a restart recovers every committed turn)");
    eprintln!("lineup-server: cannot write the journal: {e}");
    std::process::exit(EXIT_JOURNAL_FAILED)
}
