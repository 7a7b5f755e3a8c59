//! The session: login, requests paired with replies, notices turned into page events,
//! heartbeat, and reconnect-and-resume within the server's hold time.
//!
//! Page events are collected while the state is borrowed and delivered after, so a
//! page handler may call back into the SDK (accept an offer from inside
//! AutoAssignUser, say).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use gloo_timers::future::TimeoutFuture;
use lineup_protocol::codes;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::cache::{changes_call, Cache};
use crate::connection::Connection;
use crate::small_map::SmallMap;
use crate::interop::{call_page, get, get_str, get_u32, now_ms, object, parse, set, stringify};
use crate::wire::{self, Frame, OpHead};

/// A refused request: the numeric code and the message.
pub type Failure = (u32, String);

/// Where the session is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not logged in.
    Idle,
    /// Logging in (fetch and first frame).
    Connecting,
    Online,
    /// The socket dropped; trying to resume within the hold time.
    Reconnecting,
}

struct Pending {
    op: OpHead,
    /// Sent on the current connection (else waiting in `queued` for a reconnect).
    sent: bool,
    tx: oneshot::Sender<Result<JsValue, Failure>>,
}

/// The session state shared by the API object and the background tasks.
pub struct Inner {
    pub base: String,
    on_event: js_sys::Function,
    conn: Option<Connection>,
    /// Bumped for every new connection; stale tasks compare and stop.
    gen: u32,
    pub phase: Phase,
    session: Option<String>,
    hold_ms: f64,
    heartbeat_ms: f64,
    next_seq: u64,
    pending: SmallMap<u64, Pending>,
    queued: Vec<(u64, String)>,
    pub cache: Cache,
    last_rx_ms: f64,
    lost_at_ms: f64,
    /// Unix seconds at which a login token expires.
    token_expire_at: Option<f64>,
}

pub type Core = Rc<RefCell<Inner>>;
type Events = Vec<(&'static str, JsValue)>;

pub fn new_core(base: String, on_event: js_sys::Function) -> Core {
    Rc::new(RefCell::new(Inner {
        base,
        on_event,
        conn: None,
        gen: 0,
        phase: Phase::Idle,
        session: None,
        hold_ms: 0.0,
        heartbeat_ms: 15_000.0,
        next_seq: 1,
        pending: SmallMap::default(),
        queued: Vec::new(),
        cache: Cache::default(),
        last_rx_ms: 0.0,
        lost_at_ms: 0.0,
        token_expire_at: None,
    }))
}

fn emit(core: &Core, events: Events) {
    if events.is_empty() {
        return;
    }
    let f = core.borrow().on_event.clone();
    for (name, data) in events {
        call_page(&f, name, &data);
    }
}

fn code_event(key: &str, code: u32) -> JsValue {
    let o = object(&[]);
    set(&o, key, code);
    o
}

fn ws_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let rest = base.strip_prefix("https://").map(|r| format!("wss://{r}"));
    let rest = rest.or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")));
    format!("{}/ws", rest.unwrap_or_else(|| base.to_string()))
}

/// `POST {base}/api/v1/login` with `body`; the server's JSON answer.
async fn post_login(base: &str, body: &JsValue) -> Result<JsValue, Failure> {
    let url = format!("{}/api/v1/login", base.trim_end_matches('/'));
    let lost = |e: JsValue| {
        let why = crate::interop::error_message(&e);
        (codes::CONNECTIONLOST, format!("cannot reach {url}: {why}"))
    };
    let window = web_sys::window().ok_or((codes::INNER_ERR, "no window".to_string()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&stringify(body).unwrap_or_default()));
    let headers = web_sys::Headers::new().map_err(lost)?;
    headers.set("Content-Type", "application/json").map_err(lost)?;
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await.map_err(lost)?;
    let response: web_sys::Response = response.unchecked_into();
    let text = JsFuture::from(response.text().map_err(lost)?).await.map_err(lost)?;
    text.as_string().and_then(|t| parse(&t)).ok_or((codes::ERR_DATA, format!("{url} did not answer JSON")))
}

/// Logs in over REST (`body` is a LoginRequest), opens the socket and sends the ticket.
pub async fn login(core: &Core, body: JsValue) -> Result<JsValue, Failure> {
    {
        let mut inner = core.borrow_mut();
        if inner.phase != Phase::Idle {
            return Err((codes::LOGINSTATE_ERROR, "already logged in (or logging in): log out first".into()));
        }
        inner.phase = Phase::Connecting;
    }
    let result = login_steps(core, body).await;
    if result.is_err() {
        let mut inner = core.borrow_mut();
        inner.phase = Phase::Idle;
        inner.conn = None;
    }
    result
}

async fn login_steps(core: &Core, body: JsValue) -> Result<JsValue, Failure> {
    let base = core.borrow().base.clone();
    let answer = post_login(&base, &body).await?;
    let err = get_u32(&answer, "err").unwrap_or(codes::ERR_DATA);
    if err != 0 {
        return Err((err, get_str(&answer, "msg").unwrap_or_default()));
    }
    let ticket = get_str(&answer, "ticket").ok_or((codes::INNER_ERR, "the server sent no ticket".to_string()))?;
    core.borrow_mut().token_expire_at = get(&answer, "tokenExpireAt").as_f64();
    connect(core)?;
    let data = send_now(core, &object(&[("op", "Login"), ("ticket", &ticket)])).await?;
    let gen = {
        let mut inner = core.borrow_mut();
        inner.phase = Phase::Online;
        inner.session = get_str(&data, "session");
        inner.hold_ms = f64::from(get_u32(&data, "holdSeconds").unwrap_or(0)) * 1000.0;
        inner.heartbeat_ms = f64::from(get_u32(&data, "heartbeatSeconds").unwrap_or(15).max(1)) * 1000.0;
        inner.cache.user = Some(data.clone());
        inner.gen
    };
    wasm_bindgen_futures::spawn_local(heartbeat(Rc::downgrade(core), gen));
    if let Some(exp) = core.borrow().token_expire_at {
        wasm_bindgen_futures::spawn_local(token_watch(Rc::downgrade(core), exp));
    }
    Ok(data)
}

/// Opens a new connection (a new generation).
fn connect(core: &Core) -> Result<(), Failure> {
    let mut inner = core.borrow_mut();
    inner.gen += 1;
    let url = ws_url(&inner.base);
    let conn = Connection::open(&url, Rc::downgrade(core), inner.gen).map_err(|e| (codes::CONNECTIONLOST, e))?;
    inner.conn = Some(conn);
    inner.last_rx_ms = now_ms();
    Ok(())
}

/// Registers a request and returns its seq, frame text and reply receiver.
type Registered = (u64, String, oneshot::Receiver<Result<JsValue, Failure>>);

fn register(inner: &mut Inner, op: &JsValue, sent: bool) -> Result<Registered, Failure> {
    let seq = inner.next_seq;
    let (head, text) = wire::request(seq, op).map_err(|m| (codes::MEETPARAM_ERR, m))?;
    inner.next_seq += 1;
    let (tx, rx) = oneshot::channel();
    inner.pending.insert(seq, Pending { op: head, sent, tx });
    Ok((seq, text, rx))
}

async fn answer(rx: oneshot::Receiver<Result<JsValue, Failure>>) -> Result<JsValue, Failure> {
    rx.await.unwrap_or(Err((codes::CONNECTIONLOST, "the SDK was closed".into())))
}

/// Sends `op` on the current connection now, whatever the phase (login, resume).
async fn send_now(core: &Core, op: &JsValue) -> Result<JsValue, Failure> {
    let rx = {
        let mut inner = core.borrow_mut();
        let (seq, text, rx) = register(&mut inner, op, true)?;
        if !inner.conn.as_ref().is_some_and(|c| c.send(text)) {
            inner.pending.remove(seq);
            return Err((codes::CONNECTIONLOST, "not connected".into()));
        }
        rx
    };
    answer(rx).await
}

/// A page request: sent now when online, after the reconnect when reconnecting.
pub async fn request(core: &Core, op: &JsValue) -> Result<JsValue, Failure> {
    let rx = {
        let mut inner = core.borrow_mut();
        let phase = inner.phase;
        if matches!(phase, Phase::Idle | Phase::Connecting) {
            return Err((codes::NOT_LOGIN, "log in first".into()));
        }
        let (seq, text, rx) = register(&mut inner, op, false)?;
        let sent = phase == Phase::Online && inner.conn.as_ref().is_some_and(|c| c.send(text.clone()));
        if sent {
            inner.pending.get_mut(seq).expect("just registered").sent = true;
        } else {
            inner.queued.push((seq, text));
        }
        rx
    };
    answer(rx).await
}

/// Logs out: tells the server, then forgets the session.
pub async fn logout(core: &Core) -> Result<(), Failure> {
    let online = core.borrow().phase == Phase::Online;
    let result = if online { request(core, &object(&[("op", "Logout")])).await.map(|_| ()) } else { Ok(()) };
    forget(core, codes::NOT_LOGIN, "logged out");
    result
}

/// Ends the local session: closes the socket, fails what is waiting.
fn forget(core: &Core, code: u32, why: &str) {
    let waiting: Vec<Pending> = {
        let mut inner = core.borrow_mut();
        inner.phase = Phase::Idle;
        inner.conn = None;
        inner.gen += 1;
        inner.session = None;
        inner.queued.clear();
        inner.cache = Cache::default();
        inner.pending.drain_values()
    };
    for p in waiting {
        let _ = p.tx.send(Err((code, why.to_string())));
    }
}

/// Sends a request whose reply only updates the cache (nobody waits for it).
fn send_and_forget(inner: &mut Inner, op: &str) {
    if inner.conn.is_none() {
        return;
    }
    if let Ok((seq, text, _)) = register(inner, &object(&[("op", op)]), true) {
        if !inner.conn.as_ref().is_some_and(|c| c.send(text)) {
            inner.pending.remove(seq);
        }
    }
}

/// Refreshes the cached SessionInfo (after anything that changes the call).
fn fetch_session_info(inner: &mut Inner) {
    send_and_forget(inner, "GetSessionInfo");
}

/// The page event name of a notice (unknown notices pass as "Notice").
fn notice_name(name: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "QueueStatusChanged", "QueuingInfoChanged", "AutoAssignUser", "CancelAssignUser", "UserEnter",
        "UserLeave", "ServiceFinished", "QueuingEnded", "ServiceStopped", "QueueInfoChanged", "QueueRemoved",
        "NotifyCallIn", "NotifyCallAccepted", "NotifyCallRejected", "NotifyCallHungup", "NotifyCallHold",
        "NotifyCallResume", "UserEnterMeeting", "UserLeftMeeting", "NotifyCallEvent",
    ];
    NAMES.iter().find(|n| **n == name).copied().unwrap_or("Notice")
}

/// Handles one text frame of connection `gen`.
pub fn on_frame(core: &Weak<RefCell<Inner>>, gen: u32, text: &str) {
    let Some(core) = core.upgrade() else { return };
    let Some(frame) = wire::read(text) else {
        web_sys::console::warn_1(&"lineup: unreadable frame from the server".into());
        return;
    };
    let mut events: Events = Vec::new();
    let mut line_off = None;
    {
        let mut inner = core.borrow_mut();
        if inner.gen != gen {
            return;
        }
        inner.last_rx_ms = now_ms();
        match frame {
            Frame::Reply { seq, err, msg, data } => {
                if let Some(p) = inner.pending.remove(seq) {
                    let result = if err == 0 {
                        inner.cache.on_reply(&p.op.op, p.op.que_id, &data);
                        if changes_call(&p.op.op) {
                            fetch_session_info(&mut inner);
                        }
                        Ok(data)
                    } else {
                        Err((err, msg))
                    };
                    let _ = p.tx.send(result);
                }
            }
            Frame::Notice { name, data } if name == "LineOff" => {
                line_off = Some(get_u32(&data, "sdkErr").unwrap_or(codes::USER_BEEN_KICKOUT));
            }
            Frame::Notice { name, data } => {
                inner.cache.on_notice(&name, &data);
                if changes_call(&name) {
                    fetch_session_info(&mut inner);
                }
                events.push((notice_name(&name), data));
            }
        }
    }
    if let Some(code) = line_off {
        forget(&core, code, "the session was taken over by another login");
        events.push(("LineOff", code_event("sdkErr", code)));
    }
    emit(&core, events);
}

/// Connection `gen` closed.
pub fn on_closed(core: &Weak<RefCell<Inner>>, gen: u32, code: u16) {
    let Some(core) = core.upgrade() else { return };
    let lost_replies: Vec<Pending> = {
        let mut inner = core.borrow_mut();
        if inner.gen != gen {
            return;
        }
        inner.conn = None;
        let sent: Vec<u64> = inner.pending.iter().filter(|(_, p)| p.sent).map(|(s, _)| s).collect();
        let lost = sent.into_iter().filter_map(|s| inner.pending.remove(s)).collect();
        if inner.phase == Phase::Online {
            inner.phase = Phase::Reconnecting;
            inner.lost_at_ms = now_ms();
            wasm_bindgen_futures::spawn_local(reconnect(Rc::downgrade(&core)));
        }
        lost
    };
    for p in lost_replies {
        let msg = format!("the connection dropped (close {code}) before the reply to {}", p.op.op);
        let _ = p.tx.send(Err((codes::CONNECTIONLOST, msg)));
    }
    if core.borrow().phase == Phase::Reconnecting {
        emit(&core, vec![("Reconnecting", code_event("code", u32::from(code)))]);
    }
}

/// Tries to resume the session with backoff until the hold time runs out.
async fn reconnect(weak: Weak<RefCell<Inner>>) {
    let mut delay = 200;
    loop {
        TimeoutFuture::new(delay).await;
        delay = (delay * 2).min(5_000);
        let Some(core) = weak.upgrade() else { return };
        let (session, expired) = {
            let inner = core.borrow();
            if inner.phase != Phase::Reconnecting {
                return;
            }
            (inner.session.clone(), now_ms() - inner.lost_at_ms > inner.hold_ms + 2_000.0)
        };
        let Some(session) = session.filter(|_| !expired) else {
            lose(&core);
            return;
        };
        if connect(&core).is_err() {
            continue;
        }
        match send_now(&core, &object(&[("op", "Resume"), ("session", &session)])).await {
            Ok(_) => {
                let gen = {
                    let mut inner = core.borrow_mut();
                    inner.phase = Phase::Online;
                    for (seq, text) in std::mem::take(&mut inner.queued) {
                        if inner.conn.as_ref().is_some_and(|c| c.send(text.clone())) {
                            if let Some(p) = inner.pending.get_mut(seq) {
                                p.sent = true;
                            }
                        } else {
                            inner.queued.push((seq, text));
                        }
                    }
                    inner.gen
                };
                wasm_bindgen_futures::spawn_local(heartbeat(weak.clone(), gen));
                emit(&core, vec![("Reconnected", JsValue::UNDEFINED)]);
                return;
            }
            Err((codes::NOT_LOGIN, _)) => {
                lose(&core);
                return;
            }
            Err(_) => core.borrow_mut().conn = None,
        }
    }
}

/// The session is gone for good (hold time passed): LineOff.
fn lose(core: &Core) {
    forget(core, codes::CONNECTIONLOST, "the session was lost: the connection stayed down past the hold time");
    emit(core, vec![("LineOff", code_event("sdkErr", codes::CONNECTIONLOST))]);
}

/// Pings every heartbeat interval; a connection silent for two intervals is dropped
/// (and resumed).
async fn heartbeat(weak: Weak<RefCell<Inner>>, gen: u32) {
    loop {
        let interval = match weak.upgrade() {
            Some(core) => core.borrow().heartbeat_ms,
            None => return,
        };
        TimeoutFuture::new(interval as u32).await;
        let Some(core) = weak.upgrade() else { return };
        let mut inner = core.borrow_mut();
        if inner.gen != gen || inner.phase != Phase::Online {
            return;
        }
        if now_ms() - inner.last_rx_ms > 2.0 * interval {
            // Dropping the connection closes the socket; on_closed starts the resume.
            let conn = inner.conn.take();
            drop(inner);
            drop(conn);
            return;
        }
        // The reply only refreshes `last_rx_ms`; nobody waits for it.
        send_and_forget(&mut inner, "Ping");
    }
}

/// Tells the page a minute before its login token expires.
async fn token_watch(weak: Weak<RefCell<Inner>>, expire_at: f64) {
    let wait = ((expire_at - 60.0) * 1000.0 - now_ms()).max(0.0);
    TimeoutFuture::new(wait.min(f64::from(u32::MAX)) as u32).await;
    let Some(core) = weak.upgrade() else { return };
    let still = core.borrow().token_expire_at == Some(expire_at) && core.borrow().phase != Phase::Idle;
    if still {
        emit(&core, vec![("NotifyTokenWillExpire", JsValue::UNDEFINED)]);
    }
}

/// Test hook: drops the socket as a network failure would.
pub fn drop_connection(core: &Core) {
    let conn = core.borrow_mut().conn.take();
    drop(conn);
}
