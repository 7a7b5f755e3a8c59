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
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lineup_engine::{AcdError, Engine, Event, Input, Output, Reply, SessionEnd, SessionId, Time};
use lineup_protocol::{codes, Notice as WireNotice, ServerFrame};
use rustc_hash::FxHashMap;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::Config;
pub use crate::conn::{next_conn_id, Conn, ConnTx, Outgoing};
use crate::convert;
use crate::journal::{Journal, JournalError, StepRef, StoredSnapshot};
use crate::store::Store;
use crate::tokens::ResumeTokens;

/// Notices kept for a session while it is held offline; older ones are dropped (the
/// reconnect snapshot restores the state either way).
const HELD_BUFFER: usize = 4096;

/// Most jobs one turn takes (one commit for all of them).
pub const TURN_JOBS: usize = 256;

/// Broadcast frames for connections that got nothing else in a turn (UserEnter,
/// UserLeave, QueueStatusChanged to many) go out this much later, or with the next turn:
/// the turn's replies and offers reach their clients before the fan-out loads both
/// ends. Each connection's frames keep their order.
pub const FANOUT_DELAY: Duration = Duration::from_millis(2);

/// Exit code when the journal cannot be written: the process stops rather than
/// acknowledge what is not durable; a restart recovers the last committed turn.
pub const EXIT_JOURNAL_FAILED: i32 = 70;

/// The wall clock as the engine sees it.
pub fn now() -> Time {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    Time::from_millis(ms)
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
    /// Frames of this turn, sent once the turn is committed; `true` marks a broadcast
    /// (the same notice to many sessions).
    outbound: Vec<(ConnTx, Outgoing, bool)>,
    /// Broadcast frames of committed turns waiting for FANOUT_DELAY, and when they go.
    deferred: Vec<(ConnTx, Outgoing)>,
    deferred_at: Option<tokio::time::Instant>,
    /// The last journaled step.
    seq: u64,
    /// The step the latest snapshot covers, and when it was taken.
    snapshot_seq: u64,
    snapshot_at: Time,
    /// Set when the server stops: dropped connections are not journaled as drops (the
    /// restart holds every session).
    stopping: bool,
    /// Set by a job that panicked (its message); the run loop then rolls it back.
    failed: Option<String>,
    /// Jobs refused because they panicked, since start.
    pub panics: u64,
    /// Whether `/api/v1/demo/token` works: this server created the demo app.
    pub demo_tokens: bool,
    /// The turn stored webhook deliveries: wake the worker once they are committed.
    pub wake_webhooks: bool,
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

/// Why the hub did not answer a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// The hub task has stopped (the server is shutting down).
    #[error("server is shutting down")]
    Stopped,
    /// The job panicked: it was refused and rolled back; the hub serves on.
    #[error("internal error: the server could not handle this request, and nothing of it was applied")]
    Failed,
}

impl HubError {
    /// The HTTP status a REST caller gets.
    pub fn status(self) -> u16 {
        match self {
            HubError::Stopped => 503,
            HubError::Failed => 500,
        }
    }
}

impl HubHandle {
    /// Runs `f` on the hub task and returns its result.
    pub async fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut Hub) -> R + Send + 'static) -> Result<R, HubError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |hub| {
            let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(hub))) {
                Ok(result) => Ok(result),
                Err(panic) => {
                    hub.failed = Some(panic_text(&panic));
                    Err(HubError::Failed)
                }
            };
            Box::new(move || {
                let _ = tx.send(result);
            })
        });
        self.tx.send(job).await.map_err(|_| HubError::Stopped)?;
        rx.await.unwrap_or(Err(HubError::Stopped))
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
            deferred: Vec::new(),
            deferred_at: None,
            seq,
            snapshot_seq,
            snapshot_at,
            stopping: false,
            failed: None,
            panics: 0,
            demo_tokens: false,
            wake_webhooks: false,
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
            Fanout,
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
                _ = async { tokio::time::sleep_until(self.deferred_at.expect("guarded")).await }, if self.deferred_at.is_some() => Wake::Fanout,
                _ = &mut stop => Wake::Stop,
            };
            if let Wake::Fanout = wake {
                self.flush_deferred();
                continue;
            }
            self.begin();
            let mut delivers = Vec::new();
            match wake {
                Wake::Stop => break,
                Wake::Fanout => unreachable!("handled above"),
                Wake::Deadline => {
                    self.guarded(|hub| {
                        hub.tick();
                        hub.flush();
                    });
                }
                Wake::Job(job) => {
                    let mut job = Some(job);
                    while let Some(next) = job.take().or_else(|| (delivers.len() < TURN_JOBS).then(|| rx.try_recv().ok()).flatten()) {
                        if let Some(deliver) = self.guarded(|hub| {
                            let deliver = next(hub);
                            hub.flush();
                            deliver
                        }) {
                            delivers.push(deliver);
                        }
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
        self.flush_deferred();
        self.snapshot();
        tracing::info!(step = self.seq, sessions = self.engine.session_count(), "journal flushed; server stopped");
        for (_, conn) in self.conns.drain() {
            conn.tx.send(Outgoing::Close { code: 1001, reason: "server restarting".into() });
        }
    }

    /// Runs one job (or deadline) of the turn so that a panic in it cannot take the hub
    /// down: the job is refused (its caller gets [`HubError::Failed`]), everything it
    /// journaled or queued is rolled back, and the engine is rebuilt from the journal,
    /// which holds the turn's other jobs but not this one. `None` when it panicked
    /// outside the job's own guard (the caller then hears nothing but "stopped").
    fn guarded<R>(&mut self, f: impl FnOnce(&mut Hub) -> R) -> Option<R> {
        let mark = (self.seq, self.outbound.len(), self.after_reply.len());
        if let Err(e) = self.store.savepoint() {
            journal_failed(e);
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        let failed = match &result {
            Ok(_) => self.failed.take(),
            Err(panic) => Some(panic_text(panic)),
        };
        match failed {
            None => {
                if let Err(e) = self.store.release_savepoint() {
                    journal_failed(e);
                }
            }
            Some(why) => self.roll_back(mark, &why),
        }
        result.ok()
    }

    /// Undoes a job that panicked: its journal steps and store writes, its frames, and
    /// whatever it did to the engine (rebuilt from the snapshot and the journal).
    fn roll_back(&mut self, (seq, outbound, after_reply): (u64, usize, usize), why: &str) {
        self.panics += 1;
        tracing::error!(panic = %why, step = seq + 1, "a request panicked; it is refused and rolled back, and the engine is rebuilt from the journal");
        if let Err(e) = self.store.rollback_to_savepoint() {
            journal_failed(e);
        }
        self.seq = seq;
        self.outbound.truncate(outbound);
        self.after_reply.truncate(after_reply);
        self.taken.clear();
        match crate::journal::rebuild(&mut self.store) {
            Ok(engine) => self.engine = engine,
            Err(e) => journal_failed(e),
        }
    }

    /// Where webhooks may be delivered (the operator's allowed networks).
    pub fn webhook_policy(&self) -> crate::webhooks::addr::Policy {
        crate::webhooks::addr::Policy { allow: Arc::new(self.config.webhook_allow.clone()) }
    }

    /// Answers a health check from the hub itself: the store must answer too.
    pub fn health(&self) -> Result<Health, String> {
        self.store
            .conn()
            .query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
            .map_err(|e| format!("store: {e}"))?;
        Ok(Health { journal_step: self.seq, sessions: self.engine.session_count() as u64, refused_panics: self.panics })
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
        self.release();
        if std::mem::take(&mut self.wake_webhooks) {
            self.webhook_wake.notify_one();
        }
    }

    /// Lets the committed turn's frames go. Connections with a frame of their own (a
    /// reply, an offer) go before those that only get broadcasts (UserEnter, statuses to
    /// many), so an offer does not wait behind a fan-out; each connection's frames keep
    /// their order.
    fn release(&mut self) {
        // Frames deferred from earlier turns are older: they go first.
        self.flush_deferred();
        let frames = std::mem::take(&mut self.outbound);
        if frames.iter().all(|(_, _, broadcast)| !broadcast) {
            for (tx, out, _) in frames {
                tx.send(out);
            }
            return;
        }
        let first: rustc_hash::FxHashSet<usize> = frames.iter().filter(|(_, _, b)| !b).map(|(tx, _, _)| tx.id()).collect();
        for (tx, out, _) in frames {
            if first.contains(&tx.id()) {
                tx.send(out);
            } else {
                self.deferred.push((tx, out));
            }
        }
        if !self.deferred.is_empty() {
            self.deferred_at = Some(tokio::time::Instant::now() + FANOUT_DELAY);
        }
    }

    /// Sends the deferred broadcast frames.
    fn flush_deferred(&mut self) {
        for (tx, out) in self.deferred.drain(..) {
            tx.send(out);
        }
        self.deferred_at = None;
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
            Ok(_) => self.wake_webhooks = true,
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
    pub fn push(&mut self, tx: &ConnTx, out: Outgoing) {
        self.outbound.push((tx.clone(), out, false));
    }

    /// Fans the engine's outputs out.
    pub fn flush(&mut self) {
        for (session, frame) in std::mem::take(&mut self.after_reply) {
            self.send(session, &frame);
        }
        let mut last: Option<(lineup_engine::Notice, Arc<str>)> = None;
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
                    let broadcast = matches!(
                        notice,
                        lineup_engine::Notice::UserEnter(_) | lineup_engine::Notice::UserLeave { .. } | lineup_engine::Notice::QueueStatusChanged(_)
                    );
                    // A fan-out is one notice to many sessions: serialized once, shared.
                    let text = match &last {
                        Some((n, text)) if *n == notice => text.clone(),
                        _ => {
                            let text = frame_text(&ServerFrame::Notice(convert::notice(&notice)));
                            last = Some((notice, text.clone()));
                            text
                        }
                    };
                    self.send_text(session, text, broadcast);
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
                            self.outbound.push((conn.tx, close, false));
                        }
                    }
                }
            }
        }
    }

    /// Sends a frame to the session's socket, or buffers it while the session is held.
    pub fn send(&mut self, session: SessionId, frame: &ServerFrame) {
        self.send_text(session, frame_text(frame), false);
    }

    /// Sends serialized text to the session's socket, or buffers it while held.
    fn send_text(&mut self, session: SessionId, text: Arc<str>, broadcast: bool) {
        match self.conns.get(&session) {
            Some(conn) => {
                self.outbound.push((conn.tx.clone(), Outgoing::Text(text), broadcast));
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
                self.outbound.push((old.tx.clone(), Outgoing::Text(text), false));
                self.outbound.push((old.tx, Outgoing::Close { code: 4001, reason: "logged in elsewhere".into() }, false));
            }
        }
        for text in self.held.remove(&session).unwrap_or_default() {
            self.outbound.push((conn.tx.clone(), Outgoing::Text(text), false));
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

/// A frame as the text sent on the socket.
fn frame_text(frame: &ServerFrame) -> Arc<str> {
    serde_json::to_string(frame).expect("frames serialize").into()
}

/// What `/healthz` reports.
#[derive(Clone, Copy, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub journal_step: u64,
    pub sessions: u64,
    pub refused_panics: u64,
}

/// A panic's message.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The journal cannot be written: stop at once, acknowledging nothing more.
fn journal_failed(e: JournalError) -> ! {
    tracing::error!(error = %e, "cannot write the journal; stopping (a restart recovers every committed turn)");
    eprintln!("lineup-server: cannot write the journal: {e}");
    std::process::exit(EXIT_JOURNAL_FAILED)
}
