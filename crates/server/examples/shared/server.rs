//! A release `lineup-server` for the load benchmarks: started on a free loopback port
//! with a fresh data directory, its apps made over REST, its users logged in over the
//! real protocol (REST login, then the WebSocket's `Login` with the ticket).
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use super::loadkit::{md5_hex, Ws};

pub const ADMIN: &str = "load-admin-key";
pub const SECRET: &str = "load-secret";

pub struct Server {
    child: Child,
    /// Its data directory, removed with it.
    data: std::path::PathBuf,
    pub base: String,
    pub ws: String,
    pub http: reqwest::Client,
    pub md5: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

impl Server {
    /// Starts `bin` on a free loopback port, on a fresh data directory, with `extra`
    /// arguments; waits for `/healthz`.
    pub async fn start(bin: &str, extra: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data = std::env::temp_dir().join(format!("lineup-load-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let mut cmd = Command::new(bin);
        cmd.args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--www",
            "/nonexistent",
            "--sdk",
            "/nonexistent",
            "--no-demo",
        ])
        .args(["--admin-key", ADMIN, "--data"])
        .arg(&data)
        .env("LINEUP_LOG", "error")
        .env("LINEUP_MAX_PRE_LOGIN_PER_IP", "100000")
        .env("LINEUP_MAX_CONNECTIONS_PER_IP", "100000")
        .stdout(Stdio::null());
        cmd.args(extra);
        let child = cmd.spawn().expect("the server starts");
        let s = Server {
            child,
            data,
            base: format!("http://127.0.0.1:{port}"),
            ws: format!("ws://127.0.0.1:{port}/ws"),
            http: reqwest::Client::new(),
            md5: md5_hex(SECRET),
        };
        for _ in 0..200 {
            if s.http.get(format!("{}/healthz", s.base)).send().await.is_ok_and(|r| r.status() == 200) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn rest(&self, method: reqwest::Method, path: &str, key: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// A new app with these settings and queues (names); their ids.
    pub async fn app(&self, app: &str, settings: Value, queues: &[&str]) -> Vec<u64> {
        let v =
            self.rest(reqwest::Method::POST, "/api/v1/apps", ADMIN, json!({"appID": app, "appSecret": SECRET})).await;
        assert_eq!(v["RspCode"], 0, "{v}");
        let v = self.rest(reqwest::Method::PUT, &format!("/api/v1/apps/{app}/settings"), &self.md5, settings).await;
        assert_eq!(v["RspCode"], 0, "{v}");
        let mut ids = Vec::new();
        for q in queues {
            let v = self
                .rest(reqwest::Method::POST, &format!("/api/v1/apps/{app}/queues"), &self.md5, json!({"QueueName": q}))
                .await;
            ids.push(v["Data"]["QueueID"].as_u64().unwrap());
        }
        ids
    }

    pub async fn login(&self, app: &str, uid: &str) -> Ws {
        let body = json!({"appID": app, "md5_appSecret": self.md5, "UID": uid, "nickName": uid});
        let v: Value = self
            .http
            .post(format!("{}/api/v1/login", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (mut ws, _) = tokio_tungstenite::connect_async(&self.ws).await.unwrap();
        ws.send(Message::Text(json!({"seq": 0, "op": "Login", "ticket": v["ticket"]}).to_string().into()))
            .await
            .unwrap();
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let f: Value = serde_json::from_str(&t).unwrap();
                    if f["type"] == "reply" {
                        assert_eq!(f["err"], 0, "login of {uid}: {f}");
                        return ws;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("login of {uid}: {other:?}"),
            }
        }
    }

    /// Many logins, `parallel` at a time.
    pub async fn logins(&self, app: &str, uids: Vec<String>, parallel: usize) -> Vec<Ws> {
        let mut out = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(parallel) {
            out.extend(futures_util::future::join_all(chunk.iter().map(|u| self.login(app, u))).await);
        }
        out
    }
}
