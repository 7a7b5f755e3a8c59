//! Logging in: `POST /api/v1/login` on the first server that answers (in order from
//! the one in use), then the Login frame with the ticket on the socket. The fetch is
//! driven by three callbacks made once per core and owned by it (released with it);
//! they read the attempt in progress from the core.

use std::rc::{Rc, Weak};

use js_sys::Promise;
use lineup_client::{Failure, Phase};
use lineup_protocol::codes;
use wasm_bindgen::prelude::*;

use crate::core::{answer, Core, Done, Inner};
use crate::interop::{error_message, get, get_str, get_u32, now_ms, parse, stringify};

/// A login in progress.
pub struct Attempt {
    /// The LoginRequest, as JSON text.
    body: String,
    /// The server tried first, and how many have been tried.
    first: usize,
    tried: usize,
    done: Done,
}

/// The fetch callbacks: the response, its text, a failure of either.
pub struct Fetch {
    on_response: Closure<dyn FnMut(JsValue)>,
    on_text: Closure<dyn FnMut(JsValue)>,
    on_error: Closure<dyn FnMut(JsValue)>,
}

impl Fetch {
    fn new(core: Weak<std::cell::RefCell<Inner>>) -> Fetch {
        let step = |core: &Weak<std::cell::RefCell<Inner>>, f: fn(&Core, JsValue)| {
            let core = core.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
                if let Some(core) = core.upgrade() {
                    f(&core, v);
                }
            })
        };
        Fetch { on_response: step(&core, on_response), on_text: step(&core, on_text), on_error: step(&core, on_error) }
    }
}

/// Logs in with `body` (a LoginRequest); `done` gets the Login reply's data.
pub fn login(core: &Core, body: &JsValue, done: Done) {
    let mut inner = core.borrow_mut();
    if inner.login.is_some() || inner.session.phase() != Phase::Idle {
        drop(inner);
        return done(Err((codes::LOGINSTATE_ERROR, "already logged in (or logging in): log out first".into())));
    }
    if inner.fetch.is_none() {
        inner.fetch = Some(Fetch::new(Rc::downgrade(core)));
    }
    let first = inner.session.server();
    inner.login = Some(Attempt { body: stringify(body).unwrap_or_default(), first, tried: 0, done });
    drop(inner);
    // The cameras, for GetAllVideoInfo before any is opened (names come with permission).
    let media = core.borrow().media.clone();
    crate::media::devices::refresh_cameras(&media);
    post(core);
}

/// The server of the attempt in progress.
fn server(inner: &Inner) -> Option<(usize, String)> {
    let a = inner.login.as_ref()?;
    let i = (a.first + a.tried) % inner.bases.len().max(1);
    Some((i, inner.bases.get(i).cloned().unwrap_or_default()))
}

fn url(base: &str) -> String {
    [base.trim_end_matches('/'), "/api/v1/login"].concat()
}

/// POSTs the attempt's body to its server.
fn post(core: &Core) {
    let inner = core.borrow();
    let (Some((_, base)), Some(fetch), Some(attempt)) = (server(&inner), &inner.fetch, &inner.login) else { return };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&attempt.body));
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("Content-Type", "application/json");
        init.set_headers(&headers);
    }
    let Some(window) = web_sys::window() else {
        drop(inner);
        return finish(core, Err((codes::INNER_ERR, "no window".into())));
    };
    let _ = window.fetch_with_str_and_init(&url(&base), &init).then2(&fetch.on_response, &fetch.on_error);
}

fn on_response(core: &Core, response: JsValue) {
    let text: Result<Promise, JsValue> = response.unchecked_into::<web_sys::Response>().text();
    match text {
        Ok(p) => {
            let inner = core.borrow();
            if let Some(f) = &inner.fetch {
                let _ = p.then2(&f.on_text, &f.on_error);
            }
        }
        Err(e) => on_error(core, e),
    }
}

fn on_text(core: &Core, text: JsValue) {
    let base = server(&core.borrow()).map(|(_, b)| b).unwrap_or_default();
    let answer = text
        .as_string()
        .and_then(|t| parse(&t))
        .ok_or_else(|| (codes::ERR_DATA, [&url(&base), " did not answer JSON"].concat()));
    finish(core, answer);
}

/// The server could not be reached: the next one, or the end.
fn on_error(core: &Core, e: JsValue) {
    let mut inner = core.borrow_mut();
    let n = inner.bases.len().max(1);
    let base = server(&inner).map(|(_, b)| b).unwrap_or_default();
    let Some(attempt) = inner.login.as_mut() else { return };
    attempt.tried += 1;
    let more = attempt.tried < n;
    drop(inner);
    if more {
        post(core);
    } else {
        finish(core, Err((codes::CREATE_CONN_FAILED, unreachable(&base, &error_message(&e)))));
    }
}

/// Why a login request got no answer, and what to check. The browser does not say
/// whether CORS blocked it or the network failed: a page of another origin is told both.
fn unreachable(base: &str, why: &str) -> String {
    let page = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let server = base.find("://").map_or(base, |i| base[i + 3..].find('/').map_or(base, |j| &base[..i + 3 + j]));
    if page.is_empty() || page == server.trim_end_matches('/') {
        return ["cannot reach ", &url(base), ": ", why, " (is lineup-server running there?)"].concat();
    }
    [
        "cannot reach ",
        &url(base),
        " from ",
        &page,
        ": ",
        why,
        " (the server is down, or it does not allow this page's origin: start lineup-server with --cors-origin ",
        &page,
        ")",
    ]
    .concat()
}

/// The server's answer: on success the session logs in with the ticket.
fn finish(core: &Core, answered: Result<JsValue, Failure>) {
    let mut inner = core.borrow_mut();
    let server = server(&inner).map_or(0, |(i, _)| i);
    let Some(attempt) = inner.login.take() else { return };
    drop(inner);
    let ticket = answered.and_then(|a| {
        let err = get_u32(&a, "err").unwrap_or(codes::ERR_DATA);
        if err != 0 {
            return Err((err, get_str(&a, "msg").unwrap_or_default()));
        }
        let ticket = get_str(&a, "ticket").ok_or((codes::INNER_ERR, "the server sent no ticket".to_string()))?;
        Ok((ticket, get(&a, "tokenExpireAt").as_f64()))
    });
    match ticket {
        Ok((ticket, expire_at)) => {
            let id = core.borrow_mut().session.login(now_ms(), server, ticket, expire_at);
            answer(core, id, attempt.done);
        }
        Err(e) => (attempt.done)(Err(e)),
    }
}
