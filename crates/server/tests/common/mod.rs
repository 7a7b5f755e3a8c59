//! Test harness: a real lineup-server on 127.0.0.1:0 with its own data directory, HTTP
//! helpers, and a WebSocket client that pairs replies with requests and keeps notices.
#![allow(dead_code)]

pub mod cluster;
pub mod pg;
pub mod receiver;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lineup_server::Config;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const DEMO_KEY: &str = "fe01ce2a7fbac8fafaed7c982a04e229"; // md5("demo")
pub const ADMIN_KEY: &str = "test-admin-key";
/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(5);

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// A fresh directory for a test's data, under `lineup-test-<pid>` in the system's temp
/// directory. A test process cannot clean up after itself (the harness exits without
/// running destructors of what outlives a test), so the first call of each process
/// removes the directories of test processes that have ended.
pub fn temp_dir() -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(remove_ended_processes_dirs);
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("lineup-test-{}", std::process::id())).join(format!("{n}-{nanos}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Removes `lineup-test-<pid>…` directories whose process no longer runs (where
/// `/proc` tells which do) and that nothing changed for an hour (a test process in
/// another pid namespace, sharing this temp directory, is not seen in `/proc`).
fn remove_ended_processes_dirs() {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("lineup-test-").and_then(|p| p.split('-').next()?.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        let idle = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        let ended = pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists();
        if ended && idle.is_some_and(|d| d > Duration::from_secs(3600)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A running server.
pub struct Server {
    pub base: String,
    pub ws_url: String,
    pub data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), lineup_server::ServeError>>>,
    pub http: reqwest::Client,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_in(temp_dir(), |_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Server {
        Self::start_in(temp_dir(), tweak).await
    }

    pub async fn start_in(data_dir: PathBuf, tweak: impl FnOnce(&mut Config)) -> Server {
        let mut config = Config {
            data_dir: data_dir.clone(),
            admin_key: Some(ADMIN_KEY.into()),
            www_dir: None,
            sdk_dir: None,
            // The tests' webhook receivers listen on loopback.
            webhook_allow: vec![lineup_server::webhooks::addr::Net::parse("127.0.0.0/8").unwrap()],
            ..Config::default()
        };
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(lineup_server::run(listener, config, async move {
            let _ = stopped.await;
        }));
        Server {
            base: format!("http://{addr}"),
            ws_url: format!("ws://{addr}/ws"),
            data_dir,
            stop: Some(stop),
            task: Some(task),
            http: reqwest::Client::new(),
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> PathBuf {
        let _ = self.stop.take().unwrap().send(());
        let task = self.task.take().unwrap();
        tokio::time::timeout(WAIT, task).await.expect("server stops in time").unwrap().unwrap();
        self.data_dir.clone()
    }

    /// One HTTP request with an optional `Authorization: Bearer` key and JSON body;
    /// returns the status and the JSON answer.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, key, Some(body)).await
    }

    pub async fn put(&self, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, key, Some(body)).await
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, key, None).await
    }

    pub async fn delete(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, key, None).await
    }

    /// Changes the demo app's timing.
    pub async fn demo_settings(&self, body: Value) {
        let (status, v) = self.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), body).await;
        assert_eq!(status, 200, "{v}");
    }

    /// Waits (up to [`WAIT`]) until the server holds `n` sessions of `activity` (agent,
    /// customer, other) offline for a resume, as its `lineup_sessions` gauge says: it has
    /// seen their connections end.
    pub async fn wait_held(&self, activity: &str, n: u64) {
        let key = format!("lineup_sessions{{activity=\"{activity}\",state=\"held\"}} ");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = self.http.get(format!("{}/metrics", self.base)).send().await.unwrap().text().await.unwrap();
            let held =
                text.lines().find_map(|l| l.strip_prefix(key.as_str())).map(|v| v.trim().parse::<f64>().unwrap());
            if held == Some(n as f64) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} held {activity} sessions expected, the server says {held:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A ticket for `uid` in the demo app (all roles).
    pub async fn ticket(&self, uid: &str) -> String {
        let (status, v) = self
            .post(
                "/api/v1/login",
                None,
                json!({"appID": "demo", "md5_appSecret": DEMO_KEY, "UID": uid, "nickName": uid}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        v["ticket"].as_str().unwrap().to_string()
    }

    /// A logged-in WebSocket client for `uid` in the demo app.
    pub async fn client(&self, uid: &str) -> Client {
        let ticket = self.ticket(uid).await;
        let mut c = Client::connect(&self.ws_url).await;
        let r = c.request(json!({"op": "Login", "ticket": ticket})).await;
        assert_eq!(r["err"], 0, "{r}");
        c.session = r["data"]["session"].as_str().unwrap().to_string();
        c
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client.
pub struct Client {
    ws: Ws,
    seq: u64,
    pub notices: VecDeque<Value>,
    pub session: String,
    pub closed: Option<(u16, String)>,
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await.unwrap().unwrap();
        Client { ws, seq: 0, notices: VecDeque::new(), session: String::new(), closed: None }
    }

    /// Goes on on another socket (after a reconnect), keeping seq and session.
    pub fn replace_socket(&mut self, ws: Ws) {
        self.ws = ws;
        self.closed = None;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn send_binary(&mut self, data: Vec<u8>) {
        self.ws.send(Message::Binary(data.into())).await.unwrap();
    }

    /// The next frame as JSON (notices included), or None when the socket closed.
    pub async fn next_frame(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a frame in time");
            match msg {
                Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
                Some(Ok(Message::Close(frame))) => {
                    self.closed =
                        Some(frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new())));
                    return None;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    self.closed.get_or_insert((1006, String::new()));
                    return None;
                }
            }
        }
    }

    /// Sends `op` with a fresh seq and returns the reply; notices met on the way are kept.
    pub async fn request(&mut self, mut op: Value) -> Value {
        self.seq += 1;
        let seq = self.seq;
        op["seq"] = json!(seq);
        self.send_text(&op.to_string()).await;
        self.reply_to(seq).await
    }

    /// [`Client::request`] that gives up: None when the socket closes or no reply comes
    /// within `within`.
    pub async fn try_request(&mut self, mut op: Value, within: Duration) -> Option<Value> {
        self.seq += 1;
        let seq = self.seq;
        op["seq"] = json!(seq);
        self.ws.send(Message::Text(op.to_string().into())).await.ok()?;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let frame: Value = serde_json::from_str(&t).unwrap();
                    if frame["type"] == "reply" && frame["seq"] == seq {
                        return Some(frame);
                    }
                    if frame["type"] == "notice" {
                        self.notices.push_back(frame);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    self.closed =
                        Some(frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new())));
                    return None;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    self.closed.get_or_insert((1006, String::new()));
                    return None;
                }
            }
        }
    }

    /// Every frame that arrives within `ms` (or until the socket closes), kept as notices.
    pub async fn drain(&mut self, ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(t) = msg {
                let frame: Value = serde_json::from_str(&t).unwrap();
                if frame["type"] == "notice" {
                    self.notices.push_back(frame);
                }
            }
        }
    }

    pub async fn reply_to(&mut self, seq: u64) -> Value {
        loop {
            let frame = self.next_frame().await.expect("socket open until the reply");
            if frame["type"] == "reply" && frame["seq"] == seq {
                return frame;
            }
            if frame["type"] == "notice" {
                self.notices.push_back(frame);
            }
        }
    }

    /// Waits for the next notice named `name` (earlier other notices stay kept).
    pub async fn notice(&mut self, name: &str) -> Value {
        if let Some(i) = self.notices.iter().position(|n| n["name"] == name) {
            return self.notices.remove(i).unwrap()["data"].clone();
        }
        loop {
            let frame = self.next_frame().await.unwrap_or_else(|| panic!("socket closed while waiting for {name}"));
            if frame["type"] == "notice" {
                if frame["name"] == name {
                    return frame["data"].clone();
                }
                self.notices.push_back(frame);
            }
        }
    }

    /// Waits for a notice named `name` whose data satisfies `pred`.
    pub async fn notice_where(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let data = self.notice(name).await;
            if pred(&data) {
                return data;
            }
        }
    }

    /// Asserts that no notice named `name` arrives within `ms`.
    pub async fn no_notice(&mut self, name: &str, ms: u64) {
        assert!(!self.notices.iter().any(|n| n["name"] == name), "unexpected {name}: {:?}", self.notices);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(msg) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Some(Ok(Message::Text(t))) = msg {
                let frame: Value = serde_json::from_str(&t).unwrap();
                assert!(frame["name"] != name, "unexpected {name}: {frame}");
                self.notices.push_back(frame);
            } else if msg.is_none() {
                break;
            }
        }
    }

    /// Asserts that no notice named `name` came before the answer to a `Ping` sent now:
    /// the ping is answered after everything already sent to this session (a reply
    /// leaves in the hub's turn, after all earlier turns' notices), so nothing caused by
    /// a request already answered can come later.
    pub async fn no_notice_before_pong(&mut self, name: &str) {
        let kept = self.notices.len();
        assert_eq!(self.request(json!({"op": "Ping"})).await["err"], 0);
        let unwanted: Vec<&Value> = self.notices.iter().filter(|n| n["name"] == name).collect();
        assert!(unwanted.is_empty(), "unexpected {name}: {unwanted:?} ({} notices were kept before)", kept);
    }

    /// Waits until the server closes the socket; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        while self.next_frame().await.is_some() {}
        self.closed.clone().unwrap()
    }

    /// Drops the TCP connection without a close handshake.
    pub fn drop_connection(self) {
        drop(self.ws);
    }
}

/// The shapes PROTOCOL.md documents in the table row of `path` (a row starting
/// ``| `path` |``): the keys of each `{…}` written there, so that a test can check that
/// what the server sends is one of them (the document and the server cannot drift).
#[allow(dead_code)]
pub fn documented_shapes(path: &str) -> Vec<std::collections::BTreeSet<String>> {
    const PROTOCOL_MD: &str = include_str!("../../../../PROTOCOL.md");
    let row = PROTOCOL_MD
        .lines()
        .find(|l| l.starts_with(&format!("| `{path}` |")))
        .unwrap_or_else(|| panic!("PROTOCOL.md has no table row for {path}"));
    let mut shapes = Vec::new();
    for object in row.split("`{").skip(1) {
        let object = object.split("}`").next().unwrap_or_default();
        // `"a":1,"b":[…]`: every piece but the last ends with a key.
        let pieces: Vec<&str> = object.split("\":").collect();
        let keys = pieces[..pieces.len().saturating_sub(1)].iter().filter_map(|k| k.rsplit('"').next());
        shapes.push(keys.filter(|k| !k.is_empty()).map(str::to_string).collect());
    }
    shapes
}

/// The keys of a JSON object.
#[allow(dead_code)]
pub fn keys(v: &Value) -> std::collections::BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}
