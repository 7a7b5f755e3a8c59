//! The soak: a release `lineup-server` on loopback against the clients that used to
//! take it down, printing the server's RSS over time and whether each was cut off.
//!
//! - slow reader: an agent that never reads while 2,000 customers join and leave;
//! - flood: a socket that never logs in, sends 60 KB frames of an unknown op and never
//!   reads;
//! - never logs in: 5,000 sockets that open and say nothing;
//! - malformed: a logged-in client sending garbage of every kind.
//!
//! `cargo xtask soak` builds the release server and runs this; or
//! `cargo run --release -p lineup-server --example soak -- target/release/lineup-server`.
//! Every loop is bounded in count and time; only 127.0.0.1 is contacted.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "fe01ce2a7fbac8fafaed7c982a04e229"; // the demo app's md5(secret)

struct Server {
    child: Child,
    base: String,
    ws: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn start(bin: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data = std::env::temp_dir().join(format!("lineup-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let child = Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--www", "/nonexistent", "--sdk", "/nonexistent", "--data"])
        .arg(&data)
        .env("LINEUP_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("the server starts");
    let s = Server { child, base: format!("http://127.0.0.1:{port}"), ws: format!("ws://127.0.0.1:{port}/ws") };
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", s.base)).await.is_ok_and(|r| r.status() == 200) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn logged_in(s: &Server, uid: &str) -> Ws {
    let http = reqwest::Client::new();
    let v: Value = http
        .post(format!("{}/api/v1/login", s.base))
        .json(&json!({"appID": "demo", "md5_appSecret": KEY, "UID": uid, "nickName": uid}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws).await.unwrap();
    ws.send(Message::Text(json!({"seq": 1, "op": "Login", "ticket": v["ticket"]}).to_string().into())).await.unwrap();
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else { panic!("login of {uid} failed") };
        let f: Value = serde_json::from_str(&t).unwrap();
        if f["type"] == "reply" {
            assert_eq!(f["err"], 0, "{f}");
            return ws;
        }
    }
}

/// Request/reply on a socket that is read (ignoring notices).
async fn ask(ws: &mut Ws, seq: u64, mut op: Value) -> Value {
    op["seq"] = json!(seq);
    ws.send(Message::Text(op.to_string().into())).await.unwrap();
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let f: Value = serde_json::from_str(&t).unwrap();
                if f["type"] == "reply" && f["seq"] == seq {
                    return f;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    }
}

/// Whether the server has closed (or reset) this socket: polls it with a short read.
async fn is_closed(ws: &mut Ws) -> bool {
    // Reads the backlog the client refused to read; a closed socket shows up as a close
    // frame, an error or the end of the stream (within 15 s of the last frame).
    for _ in 0..1_000_000 {
        match tokio::time::timeout(Duration::from_secs(15), ws.next()).await {
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
            Err(_) => return false,
        }
    }
    false
}

struct Report {
    rows: Vec<String>,
    peak: f64,
}

impl Report {
    fn sample(&mut self, pid: u32, started: Instant, what: &str) {
        let mb = rss_mb(pid);
        self.peak = self.peak.max(mb);
        self.rows.push(format!("| {:>5.1} s | {what} | {mb:.0} MB |", started.elapsed().as_secs_f64()));
    }
}

#[tokio::main]
async fn main() {
    let bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/lineup-server".into());
    let s = start(&bin).await;
    let pid = s.child.id();
    let started = Instant::now();
    let mut report = Report { rows: Vec::new(), peak: 0.0 };
    let mut verdicts = Vec::new();
    report.sample(pid, started, "idle");

    // 1. Slow reader: an agent serving queue 3 that never reads, while customers churn.
    let mut slow = logged_in(&s, "slow-agent").await;
    let mut dnd = ask(&mut slow, 2, json!({"op": "SetDNDStatus", "DNDStatus": 1})).await;
    assert_eq!(dnd["err"], 0);
    dnd = ask(&mut slow, 3, json!({"op": "StartService", "queID": 3})).await;
    assert_eq!(dnd["err"], 0);
    // 40 customers wait with 8 KB of data each; the agent asks for the waiting list 300
    // times (~320 KB per reply) without reading, while another customer joins and
    // leaves 2,000 times (a UserEnter of 8 KB each time).
    let ext = "x".repeat(8000);
    let mut waiting = Vec::new();
    for i in 0..40 {
        let mut c = logged_in(&s, &format!("waiting{i}")).await;
        ask(&mut c, 2, json!({"op": "StartQueuing", "queID": 3, "usrExtDat": ext})).await;
        waiting.push(c);
    }
    for seq in 100..400u64 {
        slow.send(Message::Text(json!({"seq": seq, "op": "GetQueueUsers", "queID": 3, "limit": 1000}).to_string().into())).await.unwrap();
    }
    let mut churn = logged_in(&s, "churn").await;
    let t0 = Instant::now();
    for i in 0..2000u64 {
        ask(&mut churn, 10 + 2 * i, json!({"op": "StartQueuing", "queID": 3, "usrExtDat": ext})).await;
        ask(&mut churn, 11 + 2 * i, json!({"op": "StopQueuing"})).await;
        if i % 250 == 0 {
            report.sample(pid, started, &format!("slow reader: {i} churns"));
        }
        if t0.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(8)).await;
    report.sample(pid, started, "slow reader: after churn");
    verdicts.push(format!("slow reader: {}", if is_closed(&mut slow).await { "cut off" } else { "NOT cut off" }));
    drop(waiting);

    // 2. Flood: never logs in, sends 60 KB frames of an unknown op, never reads.
    let (mut flood, _) = tokio_tungstenite::connect_async(&s.ws).await.unwrap();
    let frame = json!({"seq": 1, "op": "X".repeat(60_000)}).to_string();
    let t0 = Instant::now();
    let mut sent = 0u64;
    while t0.elapsed() < Duration::from_secs(30) {
        match tokio::time::timeout(Duration::from_secs(2), flood.send(Message::Text(frame.clone().into()))).await {
            Ok(Ok(())) => sent += 1,
            _ => break,
        }
        if sent % 50_000 == 0 {
            report.sample(pid, started, &format!("flood: {sent} frames of 60 KB"));
        }
    }
    report.sample(pid, started, &format!("flood: stopped after {sent} frames, {:.1} s", t0.elapsed().as_secs_f64()));
    verdicts.push(format!("flood: {} after {sent} frames", if is_closed(&mut flood).await { "cut off" } else { "NOT cut off" }));

    // 3. 5,000 sockets that never log in.
    let mut idle = Vec::new();
    let mut refused = 0;
    for _ in 0..5000 {
        match tokio_tungstenite::connect_async(&s.ws).await {
            Ok((ws, _)) => idle.push(ws),
            Err(_) => refused += 1,
        }
    }
    report.sample(pid, started, &format!("never log in: {} open, {refused} refused (429)", idle.len()));
    tokio::time::sleep(Duration::from_secs(12)).await;
    let mut closed = 0;
    for ws in idle.iter_mut() {
        if is_closed(ws).await {
            closed += 1;
        }
    }
    report.sample(pid, started, "never log in: after the 10 s login deadline");
    verdicts.push(format!("never log in: {} accepted, {refused} refused with 429, {closed} of {} closed by the deadline", idle.len(), idle.len()));
    drop(idle);

    // 4. Malformed input from a logged-in client: every reply is an error, the server stays.
    let mut bad = logged_in(&s, "malformed").await;
    let garbage = ["", "{", "[]", "null", "{\"seq\":1}", "{\"op\":1}", "{\"seq\":-1,\"op\":\"Ping\"}", "{\"seq\":1,\"op\":\"StartQueuing\",\"queID\":\"x\"}"];
    let mut errors = 0;
    for i in 0..20_000u64 {
        let text = garbage[(i % garbage.len() as u64) as usize];
        bad.send(Message::Text(text.into())).await.unwrap();
        if let Some(Ok(Message::Text(t))) = bad.next().await {
            errors += u64::from(serde_json::from_str::<Value>(&t).is_ok_and(|f| f["err"] == 6));
        }
    }
    let health: Value = reqwest::get(format!("{}/healthz", s.base)).await.unwrap().json().await.unwrap();
    report.sample(pid, started, "malformed: 20,000 frames");
    verdicts.push(format!("malformed: {errors} of 20000 answered err 6; health {}", health["status"]));

    println!("| time | phase | server RSS |");
    println!("|---|---|---|");
    for row in &report.rows {
        println!("{row}");
    }
    println!();
    for v in &verdicts {
        println!("- {v}");
    }
    println!("- peak server RSS: {:.0} MB", report.peak);
}
