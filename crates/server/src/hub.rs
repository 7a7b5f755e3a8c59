//! The hub: one task that owns the engine, the store and the live connections.
//!
//! Everything that touches ACD state runs as a closure on this task, in order; after
//! each closure (and each deadline) the engine's outputs are fanned out: notices to the
//! session's socket (or buffered while the session is held offline), business events
//! to subscribers, ended sessions forgotten.

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
use crate::store::Store;

/// Notices kept for a session while it is held offline; older ones are dropped (the
/// reconnect snapshot restores the state either way).
const HELD_BUFFER: usize = 4096;

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
    resume_tokens: FxHashMap<String, SessionId>,
    token_of: FxHashMap<SessionId, String>,
    events: broadcast::Sender<Event>,
    /// Frames to send after the current job's reply (flushed with the engine outputs).
    after_reply: Vec<(SessionId, ServerFrame)>,
    /// Tickets already used, with their expiry (Unix seconds), so each works once.
    used_tickets: FxHashMap<String, u64>,
    pub webhooks: crate::webhooks::Webhooks,
    /// Outputs taken from the engine early (to store their events before the reply),
    /// still to be fanned out in order.
    taken: VecDeque<Output>,
    /// Wakes the webhook delivery worker.
    pub webhook_wake: Arc<tokio::sync::Notify>,
}

type Job = Box<dyn FnOnce(&mut Hub) + Send>;

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
            let _ = tx.send(f(hub));
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
    pub fn new(engine: Engine, store: Store, config: Arc<Config>, apps: FxHashMap<String, AppRecord>) -> Self {
        let (events, _) = broadcast::channel(4096);
        Hub {
            engine,
            store,
            config,
            apps,
            conns: FxHashMap::default(),
            held: FxHashMap::default(),
            resume_tokens: FxHashMap::default(),
            token_of: FxHashMap::default(),
            events,
            after_reply: Vec::new(),
            used_tickets: FxHashMap::default(),
            webhooks: Default::default(),
            taken: VecDeque::new(),
            webhook_wake: Arc::default(),
        }
    }

    /// Starts the hub task; it ends when every handle is dropped.
    pub fn spawn(self) -> (HubHandle, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Job>(1024);
        let handle = HubHandle { tx, events: self.events.clone() };
        (handle, tokio::spawn(self.run(rx)))
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        loop {
            let sleep = self.engine.poll_timeout().map(|deadline| {
                let wait = deadline.as_millis().saturating_sub(now().as_millis());
                tokio::time::Instant::now() + Duration::from_millis(wait)
            });
            tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => job(&mut self),
                    None => break,
                },
                _ = async { tokio::time::sleep_until(sleep.expect("guarded")).await }, if sleep.is_some() => {
                    self.engine.handle_timeout(now());
                }
            }
            self.flush();
        }
        for (_, conn) in self.conns.drain() {
            let _ = conn.tx.send(Outgoing::Close { code: 1001, reason: "server shutting down".into() });
        }
    }

    /// Applies an input now. Its business events are stored (webhook outbox) before
    /// this returns, so nothing is acknowledged before its events are durable.
    pub fn input(&mut self, input: Input) -> Result<Reply, AcdError> {
        let result = self.engine.handle(now(), input);
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

    /// Marks a ticket used; false if it was used before.
    pub fn use_ticket(&mut self, id: &str, exp: u64, now_s: u64) -> bool {
        self.used_tickets.retain(|_, e| *e > now_s);
        self.used_tickets.insert(id.to_string(), exp).is_none()
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
                    if let Some(token) = self.token_of.remove(&session) {
                        self.resume_tokens.remove(&token);
                    }
                    self.held.remove(&session);
                    if let Some(conn) = self.conns.remove(&session) {
                        if reason == SessionEnd::HoldExpired {
                            let _ = conn.tx.send(Outgoing::Close { code: 4002, reason: "session expired".into() });
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
                let _ = conn.tx.send(Outgoing::Text(text));
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
                let _ = old.tx.send(Outgoing::Text(text));
                let _ = old.tx.send(Outgoing::Close { code: 4001, reason: "logged in elsewhere".into() });
            }
        }
        for text in self.held.remove(&session).unwrap_or_default() {
            let _ = conn.tx.send(Outgoing::Text(text));
        }
        self.conns.insert(session, conn);
    }

    /// The connection closed: if it was the session's current one, the session is held.
    pub fn detach(&mut self, session: SessionId, conn_id: u64) {
        if self.conns.get(&session).is_some_and(|c| c.id == conn_id) {
            tracing::info!(session = session.0, conn = conn_id, "connection lost; session held");
            self.conns.remove(&session);
            if self.engine.session_view(session).is_some() {
                let _ = self.input(Input::Disconnect { session });
            }
        }
    }

    /// The resume token of a session (made on first use).
    pub fn resume_token(&mut self, session: SessionId) -> String {
        if let Some(t) = self.token_of.get(&session) {
            return t.clone();
        }
        let token = crate::auth::random_id();
        self.resume_tokens.insert(token.clone(), session);
        self.token_of.insert(session, token.clone());
        token
    }

    /// The session a resume token belongs to, if it is still alive.
    pub fn session_for_token(&self, token: &str) -> Option<SessionId> {
        self.resume_tokens.get(token).copied()
    }

    /// Whether the session currently has this connection.
    pub fn is_current(&self, session: SessionId, conn_id: u64) -> bool {
        self.conns.get(&session).is_some_and(|c| c.id == conn_id)
    }
}
