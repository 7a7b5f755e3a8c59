#![allow(dead_code)]
//! Browser test harness: a fresh app per test on the lineup-server that `cargo xtask
//! test` started (its address is compiled in), REST helpers, and a recorder for the
//! SDK's events. Every wait is bounded.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Reflect};
use lineup_sdk::LineupCore;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub const SECRET: &str = "s3cret";
pub const SECRET_MD5: &str = "33e1b232a4e6fa0028a6670753749a17";

pub fn server() -> String {
    option_env!("LINEUP_TEST_SERVER").expect("LINEUP_TEST_SERVER is set by `cargo xtask test`").to_string()
}

fn admin_key() -> &'static str {
    option_env!("LINEUP_TEST_ADMIN_KEY").expect("LINEUP_TEST_ADMIN_KEY is set by `cargo xtask test`")
}

pub async fn sleep(ms: u32) {
    TimeoutFuture::new(ms).await;
}

/// Waits (up to 5 s) until `done` holds.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..250 {
        if done() {
            return;
        }
        sleep(20).await;
    }
    panic!("{what}: not within 5 s");
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

pub fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap_or_else(|| panic!("{key} is not a number in {v:?}"))
}

pub fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_else(|| panic!("{key} is not a string in {v:?}"))
}

pub fn json(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).map(String::from).unwrap_or_default()
}

pub fn obj(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("valid JSON in the test")
}

/// One REST call; returns (status, JSON body).
pub async fn rest(method: &str, path: &str, key: Option<&str>, body: Option<&str>) -> (u16, JsValue) {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().unwrap();
    headers.set("Content-Type", "application/json").unwrap();
    if let Some(k) = key {
        headers.set("Authorization", &format!("Bearer {k}")).unwrap();
    }
    init.set_headers(&headers);
    if let Some(b) = body {
        init.set_body(&JsValue::from_str(b));
    }
    let window = web_sys::window().unwrap();
    let resp: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(&format!("{}{path}", server()), &init)).await.unwrap().unchecked_into();
    let status = resp.status();
    let body = JsFuture::from(resp.json().unwrap()).await.unwrap_or(JsValue::NULL);
    (status, body)
}

/// A new app with `settings` (JSON of app settings) and queues of the given priorities.
pub async fn app(settings: &str, prios: &[u8]) -> (String, Vec<u32>) {
    let id = format!("t{}", (js_sys::Math::random() * 1e12) as u64);
    let (status, v) =
        rest("POST", "/api/v1/apps", Some(admin_key()), Some(&format!(r#"{{"appID":"{id}","appSecret":"{SECRET}"}}"#))).await;
    assert_eq!(status, 200, "create app: {}", json(&v));
    let (status, v) = rest("PUT", &format!("/api/v1/apps/{id}/settings"), Some(SECRET_MD5), Some(settings)).await;
    assert_eq!(status, 200, "settings: {}", json(&v));
    let mut queues = Vec::new();
    for (i, prio) in prios.iter().enumerate() {
        let body = format!(r#"{{"QueueName":"q{i}","Priority":{prio},"QueDesc":"queue {i}"}}"#);
        let (status, v) = rest("POST", &format!("/api/v1/apps/{id}/queues"), Some(SECRET_MD5), Some(&body)).await;
        assert_eq!(status, 200, "queue: {}", json(&v));
        queues.push(num(&get(&v, "Data"), "QueueID") as u32);
    }
    (id, queues)
}

/// Everything the SDK told the page, in order.
#[derive(Clone)]
pub struct Recorder {
    pub events: Rc<RefCell<Vec<(String, JsValue)>>>,
    seen: Rc<RefCell<usize>>,
}

impl Recorder {
    pub fn new() -> (Recorder, Function) {
        let events: Rc<RefCell<Vec<(String, JsValue)>>> = Rc::default();
        let sink = events.clone();
        let f = Closure::<dyn FnMut(String, JsValue)>::new(move |name: String, data: JsValue| {
            sink.borrow_mut().push((name, data));
        });
        let function: Function = f.into_js_value().unchecked_into();
        (Recorder { events, seen: Rc::default() }, function)
    }

    /// The next event named `name` after the last one taken (waits up to 5 s).
    pub async fn next(&self, name: &str) -> JsValue {
        for _ in 0..250 {
            let found = {
                let events = self.events.borrow();
                let from = *self.seen.borrow();
                events[from..].iter().position(|(n, _)| n == name).map(|i| (from + i, events[from + i].1.clone()))
            };
            if let Some((i, data)) = found {
                *self.seen.borrow_mut() = i + 1;
                return data;
            }
            sleep(20).await;
        }
        let names: Vec<String> = self.events.borrow().iter().map(|(n, d)| format!("{n} {}", json(d))).collect();
        panic!("no {name} event within 5 s; events so far: {names:?}");
    }

    /// Waits for an event named `name` whose data satisfies `pred`.
    pub async fn next_where(&self, name: &str, pred: impl Fn(&JsValue) -> bool) -> JsValue {
        loop {
            let d = self.next(name).await;
            if pred(&d) {
                return d;
            }
        }
    }

    /// Every event named `name` so far, whatever was taken.
    pub fn all(&self, name: &str) -> Vec<JsValue> {
        self.events.borrow().iter().filter(|(n, _)| n == name).map(|(_, d)| d.clone()).collect()
    }

    /// Whether an event named `name` came after the last one taken.
    pub fn has_new(&self, name: &str) -> bool {
        let from = *self.seen.borrow();
        self.events.borrow()[from..].iter().any(|(n, _)| n == name)
    }
}

/// A logged-in SDK core for `uid` in `app`, with its event recorder.
pub async fn user(app: &str, uid: &str) -> (LineupCore, Recorder) {
    let (rec, f) = Recorder::new();
    let core = LineupCore::new(server(), f);
    let info = JsFuture::from(core.login(app.into(), SECRET_MD5.into(), format!("Nick {uid}"), uid.into()))
        .await
        .unwrap_or_else(|e| panic!("login {uid}: {e:?}"));
    assert_eq!(text(&info, "UID"), uid);
    (core, rec)
}

/// Sends one op (JSON) and returns its data, or the error's sdkErr.
pub async fn call(core: &LineupCore, op: &str) -> Result<JsValue, u32> {
    JsFuture::from(core.request(obj(op))).await.map_err(|e| {
        assert!(e.is_instance_of::<js_sys::Error>(), "rejections are Error objects: {e:?}");
        num(&e, "sdkErr") as u32
    })
}

pub async fn ok(core: &LineupCore, op: &str) -> JsValue {
    call(core, op).await.unwrap_or_else(|code| panic!("{op} failed with {code}"))
}
