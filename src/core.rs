//! The driver of the client session ([`lineup_client::Session`], sans-IO): it owns the
//! WebSocket and one timer, feeds the session what they report, carries out what the
//! session asks, keeps the cache the synchronous getters read, and settles the page's
//! promises. Page events are delivered after the state is released, so a page handler
//! may call back into the SDK (accept an offer from inside AutoAssignUser, say).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use lineup_client::{Event, Frame, Payload, Phase, Session, SessionOp, Transmit};
use lineup_protocol::codes;
use lineup_protocol::ws::Op;
use wasm_bindgen::JsValue;

use crate::cache::Cache;
use crate::connection::Connection;
use crate::interop::{get_str, get_u32, now_ms, object, set};
use crate::small_map::SmallMap;
use crate::wire;

pub use lineup_client::Failure;

/// A page payload: a plain JS object, as the server sent it or the page gave it.
#[derive(Clone)]
pub struct Js(pub JsValue);

impl Payload for Js {
    fn str_field(&self, key: &str) -> Option<String> {
        get_str(&self.0, key)
    }
    fn u32_field(&self, key: &str) -> Option<u32> {
        get_u32(&self.0, key)
    }
}

/// The driver's state, shared by the API object and the socket and timer callbacks.
pub struct Inner {
    /// The server addresses (base URLs), as `SetServerAddr("host1:port;host2:port")`.
    pub bases: Vec<String>,
    pub on_event: EventSink,
    pub session: Session<Js>,
    conn: Option<Connection>,
    /// Bumped for every connection opened or dropped; stale socket events compare.
    gen: u32,
    /// The one timer and the deadline it is set for.
    timer: Option<(f64, Timeout)>,
    /// Requests the page waits for, by the session's request id.
    waiting: SmallMap<u64, Done>,
    /// The login whose REST call is in flight.
    pub login: Option<crate::login::Attempt>,
    /// The login's fetch callbacks (made at the first login).
    pub fetch: Option<crate::login::Fetch>,
    pub cache: Cache,
    /// The room's audio and video: their own state, and a link back to this session.
    pub media: crate::media::MediaRef,
}

pub type Core = Rc<RefCell<Inner>>;

impl Drop for Inner {
    /// Requests still waiting when the SDK object is released are answered.
    fn drop(&mut self) {
        for done in self.waiting.take_all() {
            done(Err((codes::CONNECTIONLOST, "the SDK was closed".into())));
        }
    }
}

/// Where a core's page events go: the modern API's handler, or the CRVideo callbacks.
pub type EventSink = Rc<dyn Fn(&str, JsValue)>;

/// A `;`-separated list of base URLs, each `http(s)://host:port` (a bare `host:port`
/// gets the page's scheme).
fn parse_bases(list: &str) -> Vec<String> {
    // ASCII trimming and prefix tests only: Unicode tables and substring search would
    // cost the wasm kilobytes. A bare host takes the page's scheme.
    let https = web_sys::window().and_then(|w| w.location().protocol().ok()).is_some_and(|p| p == "https:");
    let scheme = if https { "https://" } else { "http://" };
    let bases: Vec<String> =
        list.split(';')
            .map(|s| s.trim_matches(' ').trim_end_matches('/'))
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.starts_with("http://") || s.starts_with("https://") {
                    s.to_string()
                } else {
                    [scheme, s].concat()
                }
            })
            .collect();
    if bases.is_empty() {
        vec![String::new()]
    } else {
        bases
    }
}

/// Points the session at other servers (takes effect at the next connection).
pub fn set_servers(core: &Core, list: &str) {
    let mut inner = core.borrow_mut();
    inner.bases = parse_bases(list);
    let n = inner.bases.len();
    inner.session.set_servers(n);
}

pub fn new_core(base: &str, on_event: EventSink) -> Core {
    let bases = parse_bases(base);
    let mut session = Session::new();
    session.set_servers(bases.len());
    Rc::new_cyclic(|core: &Weak<RefCell<Inner>>| {
        let core = core.clone();
        let link = crate::media::Link {
            send: Box::new(move |op, done| match core.upgrade() {
                Some(core) => send(&core, op, done),
                None => done(Err((codes::CONNECTIONLOST, "the SDK was closed".into()))),
            }),
            events: on_event.clone(),
        };
        RefCell::new(Inner {
            bases,
            on_event,
            session,
            conn: None,
            gen: 0,
            timer: None,
            waiting: SmallMap::default(),
            login: None,
            fetch: None,
            cache: Cache::default(),
            media: crate::media::Part::new(link),
        })
    })
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

/// The text of a frame the session makes itself.
fn session_frame(seq: u64, op: &SessionOp) -> Option<String> {
    let o = match op {
        SessionOp::Login { ticket } => object(&[("op", "Login"), ("ticket", ticket)]),
        SessionOp::Resume { session } => object(&[("op", "Resume"), ("session", session)]),
        other => object(&[("op", other.name())]),
    };
    wire::frame(seq, &o)
}

/// What is left to do once the state is released.
#[derive(Default)]
struct After {
    answers: Vec<(Done, Result<JsValue, Failure>)>,
    events: Vec<(String, JsValue)>,
}

/// Carries out what the session asks, until it asks nothing more.
fn drive(core: &Core) {
    let after = {
        let mut guard = core.borrow_mut();
        let inner = &mut *guard;
        let mut after = After::default();
        loop {
            let mut busy = false;
            while let Some(t) = inner.session.poll_transmit() {
                busy = true;
                transmit(core, inner, t);
            }
            while let Some(e) = inner.session.poll_event() {
                busy = true;
                on_event(inner, e, &mut after);
            }
            if !busy {
                break;
            }
        }
        if inner.session.phase() == Phase::Idle {
            inner.cache = Cache::default();
            let mut media = inner.media.state.borrow_mut();
            media.reset();
            media.meeting = 0;
        }
        arm_timer(core, inner);
        after
    };
    for (done, result) in after.answers {
        done(result);
    }
    if !after.events.is_empty() {
        let (sink, media) = {
            let inner = core.borrow();
            (inner.on_event.clone(), inner.media.clone())
        };
        for (name, data) in after.events {
            // Media's own notices (offers, track states) become media events.
            if let Some(notice) = lineup_protocol::ws::NoticeName::parse(&name) {
                let (own, events) = crate::media::on_notice(&media, notice, &data);
                crate::media::deliver(&sink, events);
                if own {
                    continue;
                }
            }
            sink(&name, data);
        }
    }
}

fn transmit(core: &Core, inner: &mut Inner, t: Transmit<Js>) {
    match t {
        Transmit::Connect { server } => {
            inner.gen += 1;
            inner.conn = None;
            let base = inner.bases.get(server).or(inner.bases.first()).cloned().unwrap_or_default();
            match Connection::open(&ws_url(&base), Rc::downgrade(core), inner.gen) {
                Ok(c) => inner.conn = Some(c),
                Err(e) => {
                    web_sys::console::warn_1(&format!("lineup: {e}").into());
                    inner.session.handle_closed(now_ms(), 1006);
                }
            }
        }
        Transmit::Send { seq, frame } => {
            let text = match &frame {
                Frame::Op(op) => session_frame(seq, op),
                Frame::Page(op) => wire::frame(seq, &op.0),
            };
            // A frame that cannot go out is as good as lost with the connection, whose
            // close the session hears about.
            if let (Some(conn), Some(text)) = (&inner.conn, text) {
                conn.send(text);
            }
        }
        Transmit::Close => {
            inner.gen += 1;
            inner.conn = None;
        }
    }
}

fn on_event(inner: &mut Inner, e: Event<Js>, after: &mut After) {
    match e {
        Event::Reply { id, head, result } => {
            if let Ok(data) = &result {
                inner.cache.on_reply(&head.op, head.que_id, &data.0);
                crate::media::on_reply(&mut inner.media.state.borrow_mut(), &head.op, &data.0);
            }
            if let Some(tx) = inner.waiting.remove(id) {
                after.answers.push((tx, result.map(|d| d.0)));
            }
        }
        Event::LoggedIn { id, data } => {
            inner.cache.user = Some(data.0.clone());
            inner.media.state.borrow_mut().me = get_str(&data.0, "UID").unwrap_or_default();
            if let Some(tx) = inner.waiting.remove(id) {
                after.answers.push((tx, Ok(data.0)));
            }
        }
        Event::Notice { name, data } => {
            if let Some(known) = wire::notice_name(&name) {
                inner.cache.on_notice(known, &data.0);
            }
            after.events.push((name, data.0));
        }
        Event::Reconnecting { code } => after.events.push(("Reconnecting".into(), code_event("code", u32::from(code)))),
        Event::Reconnected => after.events.push(("Reconnected".into(), JsValue::UNDEFINED)),
        Event::LineOff { sdk_err } => after.events.push(("LineOff".into(), code_event("sdkErr", sdk_err))),
        Event::TokenWillExpire => after.events.push(("NotifyTokenWillExpire".into(), JsValue::UNDEFINED)),
    }
}

/// The one timer, set to the session's next deadline (dropping the old one cancels it).
/// Most frames leave the deadline as it was: the timer is then left alone.
fn arm_timer(core: &Core, inner: &mut Inner) {
    let next = inner.session.poll_timeout();
    if next.is_some() && next == inner.timer.as_ref().map(|(at, _)| *at) {
        return;
    }
    inner.timer = next.map(|at| {
        let weak = Rc::downgrade(core);
        let delay = (at - now_ms()).clamp(0.0, f64::from(i32::MAX)) as u32;
        let timeout = Timeout::new(delay, move || {
            if let Some(core) = weak.upgrade() {
                let mut inner = core.borrow_mut();
                // Spent: the next drive sets a new one even for the same deadline.
                if let Some((at, _)) = inner.timer.as_mut() {
                    *at = f64::NAN;
                }
                inner.session.handle_timeout(now_ms());
                drop(inner);
                drive(&core);
            }
        });
        (at, timeout)
    });
}

/// Where a request's answer goes (called once, after the state is released).
pub type Done = Box<dyn FnOnce(Result<JsValue, Failure>)>;

/// Hands `id`'s answer to `done` when it comes.
pub fn answer(core: &Core, id: u64, done: Done) {
    core.borrow_mut().waiting.insert(id, done);
    drive(core);
}

/// Logs in over REST (`body` is a LoginRequest), then on the socket with the ticket;
/// `done` gets the Login reply's data.
pub fn login(core: &Core, body: JsValue, done: Done) {
    crate::login::login(core, &body, done);
}

/// A typed request: the protocol's op, as the server reads it.
pub fn send(core: &Core, op: &Op, done: Done) {
    // Maps (a customer's attributes, an agent's skills) as plain objects, as JSON has them.
    let writer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    match serde::Serialize::serialize(op, &writer) {
        Ok(obj) => request(core, &obj, done),
        Err(_) => done(Err((codes::INNER_ERR, "the request could not be written".into()))),
    }
}

/// A page request (checked, then paired with its reply).
pub fn request(core: &Core, op: &JsValue, done: Done) {
    match wire::check(op) {
        Ok(head) => {
            let id = core.borrow_mut().session.request(head, Js(op.clone()));
            answer(core, id, done);
        }
        Err(m) => done(Err((codes::MEETPARAM_ERR, m))),
    }
}

/// Logs out: tells the server when online; the session ends either way.
pub fn logout(core: &Core, done: Done) {
    let id = core.borrow_mut().session.logout();
    answer(
        core,
        id,
        Box::new(move |r| {
            done(match r {
                Ok(_) | Err((codes::NOT_LOGIN, _)) => Ok(JsValue::UNDEFINED),
                Err(e) => Err(e),
            })
        }),
    );
}

/// A text frame of connection `gen`.
pub fn on_frame(core: &Weak<RefCell<Inner>>, gen: u32, text: &str) {
    let Some(core) = core.upgrade() else { return };
    {
        let mut inner = core.borrow_mut();
        if inner.gen != gen {
            return;
        }
        let now = now_ms();
        match wire::read(text) {
            Some(frame) => inner.session.handle_frame(now, frame),
            None => web_sys::console::warn_1(&"lineup: unreadable frame from the server".into()),
        }
    }
    drive(&core);
}

/// Connection `gen` closed.
pub fn on_closed(core: &Weak<RefCell<Inner>>, gen: u32, code: u16) {
    let Some(core) = core.upgrade() else { return };
    {
        let mut inner = core.borrow_mut();
        if inner.gen != gen {
            return;
        }
        inner.conn = None;
        inner.session.handle_closed(now_ms(), code);
    }
    drive(&core);
}

/// Test hook: drops the socket as a network failure would.
pub fn drop_connection(core: &Core) {
    core.borrow_mut().session.drop_connection(now_ms());
    drive(core);
}
