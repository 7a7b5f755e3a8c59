//! The hub: one thread that owns the engine, the store and the live connections.
//!
//! Everything that touches ACD state runs as a closure on this thread, in order; after
//! each closure (and each deadline) the engine's outputs are fanned out: notices to the
//! session's socket (or buffered while the session is held offline), business events
//! to subscribers, ended sessions forgotten.
//!
//! The hub works in turns: it takes the jobs that are ready (up to [`TURN_JOBS`]) or
//! a deadline, journals every engine step of them, and commits the turn in one
//! transaction (journal, webhook deliveries, tokens) before any reply or notice of the
//! turn leaves: frames for sockets and job results wait in the turn until the commit.
//!
//! - `turn`: the turn's transaction, journal steps, snapshots, roll-back of a panicked job.
//! - `fanout`: outputs as frames, held buffers, attach/detach, release order.
//! - `thread`: the hub's own thread (its commits never block the async workers).
//! - `monitor`: the figures a `/metrics` scrape takes from the hub.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use lineup_engine::{AcdError, Engine, Event, Input, Output, Reply, SessionId, Time};
use lineup_protocol::{Notice, ServerFrame};
use rustc_hash::FxHashMap;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::admin_error::AdminError;
use crate::clock::now;
use crate::config::Config;
pub use crate::conn::{next_conn_id, Conn, ConnTx, Outgoing};
use crate::journal::{AppJournal, Journal, JournalError, StepRef};
use crate::store::Store;
use crate::tokens::ResumeTokens;

mod fanout;
pub use fanout::Fanout;
mod monitor;
mod thread;
mod turn;

pub use thread::{HubFailure, HubTask};
use turn::panic_text;
pub use turn::Health;

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
/// (`main` decides it: the hub ends with the error, `serve` returns it.)
pub const EXIT_JOURNAL_FAILED: i32 = 70;

/// An app as the server knows it (the engine knows its settings).
#[derive(Clone, Debug)]
pub struct AppRecord {
    pub secret: String,
    pub md5_secret: String,
    /// Whether its service calls are recorded (`recordCalls`).
    pub record_calls: bool,
    /// Whether a call's party may start and stop its recording (`recordOnDemand`).
    pub record_on_demand: bool,
}

/// The state owned by the hub (on its own thread).
pub struct Hub {
    pub engine: Engine,
    /// The SQLite store: apps, queues, webhooks, and (single-node) the journal. A
    /// cluster node's app hub keeps its journal in PostgreSQL instead (`cluster_journal`)
    /// and this store holds only what stays on the node.
    pub store: Store,
    /// The app's journal in PostgreSQL, fenced by its lease (cluster mode).
    cluster_journal: Option<Box<dyn AppJournal>>,
    pub config: Arc<Config>,
    pub apps: FxHashMap<String, AppRecord>,
    /// Connections, held buffers, and the frames of the turn in their release order.
    fanout: Fanout,
    pub(crate) tokens: ResumeTokens,
    events: broadcast::Sender<Event>,
    /// Frames to send after the current job's reply (flushed with the engine outputs).
    after_reply: Vec<(SessionId, ServerFrame)>,
    /// Room members restored from the journal (a restart, or an app that moved here):
    /// their media, if they had any, was on the server before, so their resume tells
    /// them `MediaLost` (they join again here at once).
    media_elsewhere: std::collections::HashSet<SessionId>,
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
    /// The journal could not be written: the turn is not committed, nothing of it is
    /// sent or answered, and the hub ends with this error.
    broken: Option<JournalError>,
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
    /// Turn, commit and webhook figures (`/metrics`).
    pub metrics: crate::metrics::SharedMetrics,
}

/// What a job hands back to run once its turn is committed (sending its result).
type Deliver = Box<dyn FnOnce() + Send>;
type Job = Box<dyn FnOnce(&mut Hub) -> Deliver + Send>;

/// A handle to the hub.
#[derive(Clone)]
pub struct HubHandle {
    /// Unique in the process (a cluster node makes a hub each time it takes an app).
    id: u64,
    tx: mpsc::Sender<Job>,
    events: broadcast::Sender<Event>,
}

/// Why the hub did not answer a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// The hub has stopped: the server is shutting down, or the hub ended (its
    /// journal could not be written).
    #[error("server is shutting down")]
    Stopped,
    /// The job panicked: it was refused and rolled back; the hub serves on.
    #[error("internal error: the server could not handle this request, and nothing of it was applied")]
    Failed,
    /// Cluster mode: the app runs on no node right now (between owners), or has just
    /// moved away from this one.
    #[error("the app is moving between nodes: retry in a moment")]
    Moving,
}

impl HubError {
    /// The HTTP status a REST caller gets.
    pub fn status(self) -> u16 {
        match self {
            HubError::Stopped | HubError::Moving => 503,
            HubError::Failed => 500,
        }
    }
}

impl From<HubError> for AdminError {
    /// The hub did not answer: stopped or moving (503), or the job failed (500).
    fn from(e: HubError) -> Self {
        match e.status() {
            503 => AdminError::Unavailable(e.to_string()),
            _ => AdminError::Internal(e.to_string()),
        }
    }
}

impl HubHandle {
    /// The hub's id, unique in the process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the hub has stopped (it takes no more jobs).
    pub fn is_stopped(&self) -> bool {
        self.tx.is_closed()
    }

    /// Jobs waiting for the hub now.
    pub fn queue_depth(&self) -> u64 {
        (self.tx.max_capacity() - self.tx.capacity()) as u64
    }

    /// Completes when the hub has ended (in cluster mode an app hub ends when its
    /// app moves to another node).
    pub async fn stopped(&self) {
        self.tx.closed().await
    }

    /// Runs `f` on the hub and returns its result.
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
            cluster_journal: None,
            config,
            apps,
            fanout: Fanout::default(),
            tokens: ResumeTokens::default(),
            events,
            after_reply: Vec::new(),
            media_elsewhere: Default::default(),
            seq,
            snapshot_seq,
            snapshot_at,
            stopping: false,
            failed: None,
            broken: None,
            panics: 0,
            demo_tokens: false,
            wake_webhooks: false,
            webhooks: Default::default(),
            taken: VecDeque::new(),
            webhook_wake: Arc::default(),
            metrics: Arc::default(),
        }
    }

    /// Starts the hub on a thread of its own, named `name`; it ends when `stop` fires
    /// (or every handle is dropped): it finishes its turn, snapshots, and closes every
    /// socket with 1001. It ends early, with the error, when the journal cannot be
    /// written.
    pub fn spawn(self, name: &str, stop: oneshot::Receiver<()>) -> Result<(HubHandle, HubTask), String> {
        let (tx, rx) = mpsc::channel::<Job>(1024);
        static HUBS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = HUBS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let handle = HubHandle { id, tx, events: self.events.clone() };
        let task = HubTask::start(name.into(), self.run(rx, stop)).map_err(|e| format!("cannot start the hub: {e}"))?;
        Ok((handle, task))
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Job>, mut stop: oneshot::Receiver<()>) -> Result<(), JournalError> {
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
                _ = async { tokio::time::sleep_until(self.fanout.deferred_at().expect("guarded")).await }, if self.fanout.deferred_at().is_some() => Wake::Fanout,
                _ = &mut stop => Wake::Stop,
            };
            if let Wake::Fanout = wake {
                self.fanout.flush_deferred();
                continue;
            }
            let turn_started = std::time::Instant::now();
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
                    while let Some(next) = job.take().or_else(|| {
                        (delivers.len() < TURN_JOBS && self.broken.is_none()).then(|| rx.try_recv().ok()).flatten()
                    }) {
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
            if let Some(e) = self.broken.take() {
                // Nothing of the turn is answered: its callers hear "stopped".
                return Err(e);
            }
            for deliver in delivers {
                deliver();
            }
            self.metrics.turn_seconds.observe(turn_started.elapsed().as_secs_f64());
            self.maybe_snapshot();
            if let Some(e) = self.broken.take() {
                return Err(e);
            }
        }
        self.stopping = true;
        self.flush();
        self.end_turn();
        if let Some(e) = self.broken.take() {
            return Err(e);
        }
        self.fanout.flush_deferred();
        self.snapshot();
        if let Some(e) = self.broken.take() {
            return Err(e);
        }
        tracing::info!(step = self.seq, sessions = self.engine.session_count(), "journal flushed; server stopped");
        self.fanout.close_all(1001, "server restarting");
        Ok(())
    }

    /// The last journaled step.
    pub fn journal_step(&self) -> u64 {
        self.seq
    }

    /// Where webhooks may be delivered (the operator's allowed networks).
    pub fn webhook_policy(&self) -> crate::webhooks::addr::Policy {
        crate::webhooks::addr::Policy { allow: Arc::new(self.config.webhook_allow.clone()) }
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

    /// Writes a business event's webhook deliveries to the outbox; an ended report
    /// interval's rows to the journal's store (in this turn: durable with the step that
    /// closed it).
    fn store_event(&mut self, event: &Event) {
        if let lineup_engine::EventKind::Interval(report) = &event.kind {
            let keep_from = event.time.as_millis().saturating_sub(u64::from(self.config.report_days) * 86_400_000);
            let rows = crate::reports::stored_rows(report);
            if let Err(e) = self.journal_store().put_report_rows(&event.app, &rows, keep_from) {
                self.journal_failed(e);
            }
            return;
        }
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

    /// A restored room member resumes: told `MediaLost` for each room it is in (its
    /// media was on the server before this one), after the resume's reply. Once.
    pub fn media_moved(&mut self, session: SessionId) {
        if self.media_elsewhere.remove(&session) {
            for room in self.engine.rooms_of(session) {
                self.send_after_reply(session, ServerFrame::Notice(Notice::MediaLost { meet_id: room }));
            }
        }
    }

    /// Marks a ticket used (durably, until it expires); false if it was used before.
    pub fn use_ticket(&mut self, id: &str, exp: u64, now_s: u64) -> bool {
        let used = self.journal_store().use_ticket(id, exp, now_s);
        used.unwrap_or_else(|e| {
            self.journal_failed(e);
            false
        })
    }

    /// The resume token of a session (made, and stored by its hash, on first use).
    pub fn resume_token(&mut self, session: SessionId, app: &str) -> String {
        let (journal, tokens) = self.journal_and_tokens();
        let token = tokens.token_for(journal, session, app);
        token.unwrap_or_else(|e| {
            self.journal_failed(e);
            String::new()
        })
    }

    /// Makes this hub an app hub of a cluster node: its journal is `journal`.
    pub fn use_cluster_journal(&mut self, journal: Box<dyn AppJournal>) {
        self.cluster_journal = Some(journal);
    }

    /// Where the hub's recordings are listed: the store, or the cluster's PostgreSQL.
    pub fn recordings(&self) -> crate::recording::index::RecordingIndex<'_> {
        use crate::recording::index::RecordingIndex;
        match &self.cluster_journal {
            Some(j) => RecordingIndex::Pg(j.pg()),
            None => RecordingIndex::Sqlite(self.store.conn()),
        }
    }

    /// Where the engine's steps, tokens and tickets are journaled.
    pub(crate) fn journal_store(&mut self) -> &mut dyn Journal {
        self.journal_parts().0
    }

    /// The journal and the resume tokens, borrowed apart.
    pub(crate) fn journal_and_tokens(&mut self) -> (&mut dyn Journal, &mut ResumeTokens) {
        let (journal, tokens, _) = self.journal_parts();
        (journal, tokens)
    }

    /// The journal (the app's PostgreSQL one, or the SQLite store), the resume tokens
    /// and the engine, borrowed apart.
    fn journal_parts(&mut self) -> (&mut dyn Journal, &mut ResumeTokens, &Engine) {
        let journal: &mut dyn Journal = match &mut self.cluster_journal {
            Some(j) => j.as_mut(),
            None => &mut self.store,
        };
        (journal, &mut self.tokens, &self.engine)
    }

    /// Forgets the resume tokens of sessions the engine no longer has.
    pub(crate) fn retain_live_tokens(&mut self) -> Result<(), JournalError> {
        let (journal, tokens, engine) = self.journal_parts();
        tokens.retain(journal, |s| engine.session_view(s).is_some())
    }

    /// The journal cannot be written: the hub ends after this job, with nothing of its
    /// turn committed, sent or answered (the first error is kept). A single node's `main`
    /// then exits with [`EXIT_JOURNAL_FAILED`]; a cluster node gives the app up (its
    /// lease lost or its database gone).
    pub(crate) fn journal_failed(&mut self, e: JournalError) {
        if self.broken.is_none() {
            match self.cluster_journal {
                Some(_) => tracing::error!(error = %e, "cannot write the app's journal; the app stops on this node"),
                None => {
                    tracing::error!(error = %e, "cannot write the journal; stopping (a restart recovers every committed turn)")
                }
            }
            self.broken = Some(e);
        }
    }

    /// Ends the turn a hub was restored and prepared in: its outputs fanned out, the
    /// turn committed, a fresh snapshot taken. `Err` if the journal could not be written.
    pub fn end_restore(&mut self) -> Result<(), JournalError> {
        if self.config.media {
            self.media_elsewhere = self.engine.room_members_all().into_iter().collect();
        }
        self.flush();
        self.end_turn();
        if let Some(e) = self.broken.take() {
            return Err(e);
        }
        self.snapshot();
        self.broken.take().map_or(Ok(()), Err)
    }

    /// The session a resume token belongs to, if it is still alive.
    pub fn session_for_token(&mut self, token: &str) -> Option<SessionId> {
        self.tokens.session_for(token)
    }

    /// Whether the session currently has this connection.
    pub fn is_current(&self, session: SessionId, conn_id: u64) -> bool {
        self.fanout.is_current(session, conn_id)
    }

    /// The sending side of the session's live connection, if it has one.
    pub fn conn_tx(&self, session: SessionId) -> Option<ConnTx> {
        self.fanout.conn_tx(session)
    }
}
