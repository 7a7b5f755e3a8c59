//! Lineup's client session, sans-IO: the part of the SDK that decides, with no socket,
//! no timer and no clock of its own.
//!
//! A driver (the wasm SDK, or a test on a virtual clock) owns one WebSocket and one
//! timer. It feeds the session what happens — [`Session::handle_frame`],
//! [`Session::handle_closed`], [`Session::handle_timeout`], each with the time — and
//! carries out what the session asks: [`Session::poll_transmit`] (open a connection,
//! send a frame, close), [`Session::poll_event`] (replies to hand back, notices and
//! connection events for the page) and [`Session::poll_timeout`] (when to call
//! `handle_timeout` next). The session pairs replies with requests, pings every
//! heartbeat interval and drops a silent connection, reconnects with backoff and
//! resumes within the server's hold time (requests made meanwhile wait and go out
//! after the resume), reports `LineOff` when the session is gone, and warns a minute
//! before a login token expires.
//!
//! Page payloads (request objects, reply and notice data) are the driver's own type
//! `D` ([`Payload`]): a `JsValue` in the browser, a JSON value in tests. The session
//! reads only the few fields it needs.
//!
//! # Layout
//!
//! - this file: [`Session`], its inputs and outputs.
//! - [`backoff`]: the reconnect delays.

pub mod backoff;

use lineup_protocol::codes;

pub use backoff::Backoff;

/// Milliseconds on the driver's clock (the browser's `Date.now()`).
pub type Millis = f64;

/// A refused request: the numeric code and the message.
pub type Failure = (u32, String);

/// What the session reads from a payload.
pub trait Payload: Clone {
    /// A string field.
    fn str_field(&self, key: &str) -> Option<String>;
    /// A non-negative integer field.
    fn u32_field(&self, key: &str) -> Option<u32>;
}

/// Where the session is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not logged in.
    Idle,
    /// The Login frame is on its way.
    Connecting,
    Online,
    /// The connection dropped; resuming within the hold time.
    Reconnecting,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Connecting => "connecting",
            Phase::Online => "online",
            Phase::Reconnecting => "reconnecting",
        }
    }
}

/// What a request is, for the reply's handling (the driver's cache reads it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpHead {
    pub op: String,
    pub que_id: Option<u32>,
}

/// The ops the session sends itself (named as in `lineup_protocol::Op`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionOp {
    /// `{"op":"Login","ticket":…}`
    Login { ticket: String },
    /// `{"op":"Resume","session":…}`
    Resume { session: String },
    Logout,
    Ping,
    GetSessionInfo,
}

impl SessionOp {
    /// The op's wire name.
    pub fn name(&self) -> &'static str {
        match self {
            SessionOp::Login { .. } => "Login",
            SessionOp::Resume { .. } => "Resume",
            SessionOp::Logout => "Logout",
            SessionOp::Ping => "Ping",
            SessionOp::GetSessionInfo => "GetSessionInfo",
        }
    }
}

/// A frame the driver sends, with its `seq`.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame<D> {
    /// An op the session makes itself.
    Op(SessionOp),
    /// The page's request object.
    Page(D),
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Transmit<D> {
    /// Open a new connection to the driver's server number `server` (of the addresses
    /// it was given, as CloudRoom's `SetServerAddr("host1:port;host2:port")`), dropping
    /// any other; frames that follow go on it.
    Connect { server: usize },
    /// Send a frame on the current connection.
    Send { seq: u64, frame: Frame<D> },
    /// Close the current connection; its close is not reported back.
    Close,
}

/// A server frame, as the driver read it.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming<D> {
    /// The answer to the request sent with `seq`.
    Reply { seq: u64, err: u32, msg: String, data: D },
    /// A pushed notice.
    Notice { name: String, data: D },
}

/// What the session tells the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<D> {
    /// The answer to the driver's request `id` (the id [`Session::request`] returned).
    Reply { id: u64, head: OpHead, result: Result<D, Failure> },
    /// The login (or a resume) succeeded: the Login reply's data.
    LoggedIn { id: u64, data: D },
    /// A notice for the page.
    Notice { name: String, data: D },
    /// The connection dropped (close code); the session is resuming.
    Reconnecting { code: u16 },
    /// Resumed: the session and its place are kept.
    Reconnected,
    /// The session is over (sdkErr: 10 logged in elsewhere, 207 lost past the hold time).
    LineOff { sdk_err: u32 },
    /// The login token expires within a minute.
    TokenWillExpire,
}

struct Pending<D> {
    head: OpHead,
    frame: Frame<D>,
    /// Sent on the current connection (else waiting for the resume).
    sent: bool,
    /// Answered to the driver (else internal: Login, Resume, Ping, GetSessionInfo).
    id: Option<u64>,
}

/// The session.
pub struct Session<D> {
    phase: Phase,
    token: Option<String>,
    hold_ms: Millis,
    heartbeat_ms: Millis,
    next_seq: u64,
    next_id: u64,
    /// By seq, in order (a handful at a time: a sorted vector is smallest in wasm).
    pending: Vec<(u64, Pending<D>)>,
    transmit: Vec<Transmit<D>>,
    events: Vec<Event<D>>,
    last_rx: Millis,
    next_ping: Option<Millis>,
    lost_at: Millis,
    retry_at: Option<Millis>,
    backoff: Backoff,
    /// The request id of the login in progress.
    login_id: Option<u64>,
    /// When to warn that the login token expires (Unix ms), until warned.
    token_warn_at: Option<Millis>,
    /// How many server addresses the driver has, and the one in use.
    servers: usize,
    server: usize,
}

impl<D> Default for Session<D> {
    fn default() -> Self {
        Session {
            phase: Phase::Idle,
            token: None,
            hold_ms: 0.0,
            heartbeat_ms: 15_000.0,
            next_seq: 1,
            next_id: 1,
            pending: Vec::new(),
            transmit: Vec::new(),
            events: Vec::new(),
            last_rx: 0.0,
            next_ping: None,
            lost_at: 0.0,
            retry_at: None,
            backoff: Backoff::default(),
            login_id: None,
            token_warn_at: None,
            servers: 1,
            server: 0,
        }
    }
}

/// Replies and notices after which the call's SessionInfo is fetched again.
pub fn changes_call(name: &str) -> bool {
    matches!(
        name,
        "Call" | "AcceptCall" | "RejectCall" | "HungupCall" | "NotifyCallIn" | "NotifyCallAccepted"
            | "NotifyCallRejected" | "NotifyCallHungup" | "Login" | "Resume"
    )
}

impl<D: Payload> Session<D> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The resume token of the session, once logged in.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The driver has `n` server addresses (at least one); reconnecting tries them in
    /// turn, starting with the one in use.
    pub fn set_servers(&mut self, n: usize) {
        self.servers = n.max(1);
        if self.server >= self.servers {
            self.server = 0;
        }
    }

    /// The server in use (an index into the driver's addresses).
    pub fn server(&self) -> usize {
        self.server
    }

    /// Requests sent or waiting for an answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Registers a frame under a new seq; sends it now when `send`.
    fn enqueue(&mut self, head: OpHead, frame: Frame<D>, id: Option<u64>, send: bool) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        if send {
            self.transmit.push(Transmit::Send { seq, frame: frame.clone() });
        }
        // Seqs only grow: pushing keeps the order.
        self.pending.push((seq, Pending { head, frame, sent: send, id }));
        seq
    }

    fn session_op(&mut self, op: SessionOp) -> u64 {
        let head = OpHead { op: op.name().to_string(), que_id: None };
        self.enqueue(head, Frame::Op(op), None, true)
    }

    /// Logs in with a ticket from `POST /api/v1/login` (`token_expire_at`: Unix seconds,
    /// for token logins). Returns the request id answered by [`Event::LoggedIn`] or a
    /// failed [`Event::Reply`].
    /// The ticket came from server `server`; the socket goes to the same one.
    pub fn login(&mut self, now: Millis, server: usize, ticket: String, token_expire_at: Option<f64>) -> u64 {
        let id = self.fresh_id();
        let head = OpHead { op: "Login".into(), que_id: None };
        if self.phase != Phase::Idle {
            let msg = "already logged in (or logging in): log out first".to_string();
            self.events.push(Event::Reply { id, head, result: Err((codes::LOGINSTATE_ERROR, msg)) });
            return id;
        }
        self.phase = Phase::Connecting;
        self.last_rx = now;
        self.login_id = Some(id);
        self.token_warn_at = token_expire_at.map(|exp| exp * 1000.0 - 60_000.0);
        self.server = if server < self.servers { server } else { 0 };
        self.transmit.push(Transmit::Connect { server: self.server });
        self.enqueue(head, Frame::Op(SessionOp::Login { ticket }), Some(id), true);
        id
    }

    /// A page request: sent now when online, after the resume when reconnecting,
    /// refused when not logged in. Returns the id its [`Event::Reply`] carries.
    pub fn request(&mut self, head: OpHead, op: D) -> u64 {
        let id = self.fresh_id();
        match self.phase {
            Phase::Idle | Phase::Connecting => {
                self.events.push(Event::Reply { id, head, result: Err((codes::NOT_LOGIN, "log in first".into())) });
            }
            Phase::Online => {
                self.enqueue(head, Frame::Page(op), Some(id), true);
            }
            Phase::Reconnecting => {
                self.enqueue(head, Frame::Page(op), Some(id), false);
            }
        }
        id
    }

    /// Logs out: tells the server when online; the session ends either way.
    pub fn logout(&mut self) -> u64 {
        let id = self.fresh_id();
        let head = OpHead { op: "Logout".into(), que_id: None };
        if self.phase == Phase::Online {
            self.enqueue(head, Frame::Op(SessionOp::Logout), Some(id), true);
        } else {
            self.forget(codes::NOT_LOGIN, "logged out");
            self.events.push(Event::Reply { id, head, result: Err((codes::NOT_LOGIN, "not logged in".into())) });
        }
        id
    }

    /// Ends the local session: closes, fails what is waiting.
    fn forget(&mut self, code: u32, why: &str) {
        if self.phase != Phase::Idle {
            self.transmit.push(Transmit::Close);
        }
        self.phase = Phase::Idle;
        self.token = None;
        self.next_ping = None;
        self.retry_at = None;
        self.token_warn_at = None;
        for (_, p) in std::mem::take(&mut self.pending) {
            if let Some(id) = p.id {
                self.events.push(Event::Reply { id, head: p.head, result: Err((code, why.to_string())) });
            }
        }
        if let Some(id) = self.login_id.take() {
            let head = OpHead { op: "Login".into(), que_id: None };
            if !self.events.iter().any(|e| matches!(e, Event::Reply { id: i, .. } if *i == id)) {
                self.events.push(Event::Reply { id, head, result: Err((code, why.to_string())) });
            }
        }
    }

    /// A reply frame.
    /// A frame from the server: [`Session::handle_reply`] or [`Session::handle_notice`].
    pub fn handle_frame(&mut self, now: Millis, frame: Incoming<D>) {
        match frame {
            Incoming::Reply { seq, err, msg, data } => self.handle_reply(now, seq, err, msg, data),
            Incoming::Notice { name, data } => self.handle_notice(now, name, data),
        }
    }

    pub fn handle_reply(&mut self, now: Millis, seq: u64, err: u32, msg: String, data: D) {
        self.last_rx = now;
        let Some(i) = self.pending.iter().position(|(s, _)| *s == seq) else { return };
        let p = self.pending.remove(i).1;
        let ok = err == 0;
        match p.head.op.as_str() {
            "Login" | "Resume" if ok => {
                let resumed = p.head.op == "Resume";
                self.token = data.str_field("session").or(self.token.take());
                self.hold_ms = f64::from(data.u32_field("holdSeconds").unwrap_or(0)) * 1000.0;
                self.heartbeat_ms = f64::from(data.u32_field("heartbeatSeconds").unwrap_or(15).max(1)) * 1000.0;
                self.phase = Phase::Online;
                self.next_ping = Some(now + self.heartbeat_ms);
                self.retry_at = None;
                self.backoff.reset();
                if resumed {
                    self.flush_queued();
                    self.events.push(Event::Reconnected);
                } else if let Some(id) = self.login_id.take() {
                    self.events.push(Event::LoggedIn { id, data });
                }
                self.session_op(SessionOp::GetSessionInfo);
                return;
            }
            "Login" => {
                self.login_id = None;
                self.transmit.push(Transmit::Close);
                self.phase = Phase::Idle;
                self.pending.clear();
            }
            "Resume" => {
                if err == codes::NOT_LOGIN {
                    self.lose();
                } else {
                    // Try again later on a new connection.
                    self.transmit.push(Transmit::Close);
                    self.connection_lost(now, 1006, false);
                }
                return;
            }
            "Logout" => {
                let id = p.id;
                self.forget(codes::NOT_LOGIN, "logged out");
                if let Some(id) = id {
                    let result = if ok { Ok(data) } else { Err((err, msg)) };
                    self.events.push(Event::Reply { id, head: p.head, result });
                }
                return;
            }
            _ => {}
        }
        if ok && changes_call(&p.head.op) {
            self.session_op(SessionOp::GetSessionInfo);
        }
        let result = if ok { Ok(data) } else { Err((err, msg)) };
        match p.id {
            Some(id) => self.events.push(Event::Reply { id, head: p.head, result }),
            // Internal requests (GetSessionInfo, Ping) reach the driver too, for its cache.
            None => {
                if let Ok(data) = result {
                    if p.head.op == "GetSessionInfo" {
                        self.events.push(Event::Reply { id: 0, head: p.head, result: Ok(data) });
                    }
                }
            }
        }
    }

    /// A notice frame.
    pub fn handle_notice(&mut self, now: Millis, name: String, data: D) {
        self.last_rx = now;
        if self.phase == Phase::Idle {
            return;
        }
        if name == "LineOff" {
            let sdk_err = data.u32_field("sdkErr").unwrap_or(codes::USER_BEEN_KICKOUT);
            self.forget(sdk_err, "the session was taken over by another login");
            self.events.push(Event::LineOff { sdk_err });
            return;
        }
        if changes_call(&name) {
            self.session_op(SessionOp::GetSessionInfo);
        }
        self.events.push(Event::Notice { name, data });
    }

    /// The current connection closed (by the server, the network, or the browser).
    pub fn handle_closed(&mut self, now: Millis, code: u16) {
        match self.phase {
            Phase::Online => self.connection_lost(now, code, true),
            Phase::Reconnecting => self.connection_lost(now, code, false),
            Phase::Connecting => {
                self.forget(codes::CONNECTIONLOST, &format!("the connection closed (code {code}) before the login completed"));
            }
            Phase::Idle => {}
        }
    }

    /// Drops the connection as a network failure would (test hook).
    pub fn drop_connection(&mut self, now: Millis) {
        if matches!(self.phase, Phase::Online | Phase::Reconnecting) {
            self.transmit.push(Transmit::Close);
            self.handle_closed(now, 1006);
        }
    }

    /// Online → Reconnecting (`first`), or one more failed attempt.
    fn connection_lost(&mut self, now: Millis, code: u16, first: bool) {
        // Replies that were on the lost connection never come. A server that closes with
        // 1001 (it stopped, or the app moved to another node) applied none of what it did
        // not answer: the page's requests then go out again after the resume.
        let again = code == 1001;
        let (lost, mut kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, p)| p.sent && !(again && p.id.is_some() && matches!(p.frame, Frame::Page(_))));
        for (_, p) in kept.iter_mut() {
            p.sent = false;
        }
        self.pending = kept;
        for (_, p) in lost {
            if let Some(id) = p.id {
                let msg = format!("the connection dropped (close {code}) before the reply to {}", p.head.op);
                self.events.push(Event::Reply { id, head: p.head, result: Err((codes::CONNECTIONLOST, msg)) });
            }
        }
        self.next_ping = None;
        if first {
            self.phase = Phase::Reconnecting;
            self.lost_at = now;
            self.backoff.reset();
            self.events.push(Event::Reconnecting { code });
        } else {
            // That attempt failed: the next one goes to the next address.
            self.server = if self.server + 1 < self.servers { self.server + 1 } else { 0 };
        }
        self.retry_at = Some(now + self.backoff.next_delay());
    }

    /// The session is gone for good.
    fn lose(&mut self) {
        self.forget(codes::CONNECTIONLOST, "the session was lost: the connection stayed down past the hold time");
        self.events.push(Event::LineOff { sdk_err: codes::CONNECTIONLOST });
    }

    /// Sends what waited for the resume, in order.
    fn flush_queued(&mut self) {
        for (seq, p) in self.pending.iter_mut().filter(|(_, p)| !p.sent) {
            p.sent = true;
            self.transmit.push(Transmit::Send { seq: *seq, frame: p.frame.clone() });
        }
    }

    /// Deadlines up to `now`: pings and the silence check, reconnect attempts, the
    /// token warning.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.token_warn_at.is_some_and(|t| t <= now) && self.phase != Phase::Idle {
            self.token_warn_at = None;
            self.events.push(Event::TokenWillExpire);
        }
        if self.phase == Phase::Online && self.next_ping.is_some_and(|t| t <= now) {
            if now - self.last_rx > 2.0 * self.heartbeat_ms {
                // Silent for two intervals: drop it and resume on a new connection.
                self.transmit.push(Transmit::Close);
                self.connection_lost(now, 4000, true);
            } else {
                self.session_op(SessionOp::Ping);
                self.next_ping = Some(now + self.heartbeat_ms);
            }
        }
        if self.phase == Phase::Reconnecting && self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            let expired = now - self.lost_at > self.hold_ms + 2_000.0;
            match self.token.clone().filter(|_| !expired) {
                None => self.lose(),
                Some(session) => {
                    self.last_rx = now;
                    self.transmit.push(Transmit::Connect { server: self.server });
                    self.session_op(SessionOp::Resume { session });
                }
            }
        }
    }

    /// When [`Session::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let mut next: Option<Millis> = None;
        let mut take = |t: Option<Millis>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if self.phase == Phase::Online {
            take(self.next_ping);
        }
        if self.phase == Phase::Reconnecting {
            take(self.retry_at);
        }
        if self.phase != Phase::Idle {
            take(self.token_warn_at);
        }
        next
    }

    /// The next thing to do on the network.
    pub fn poll_transmit(&mut self) -> Option<Transmit<D>> {
        (!self.transmit.is_empty()).then(|| self.transmit.remove(0))
    }

    /// The next thing to tell the driver.
    pub fn poll_event(&mut self) -> Option<Event<D>> {
        (!self.events.is_empty()).then(|| self.events.remove(0))
    }
}
