//! What the load benchmarks share: a client whose frames a task of its own reads, an
//! agent that takes every offer, percentiles. (Each tool uses what it needs.)
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A client whose frames are read by a task of its own and handed over with their
/// arrival time; requests go out through `send`.
pub struct Client {
    sink: SplitSink<Ws, Message>,
    pub rx: mpsc::UnboundedReceiver<(Instant, Value)>,
    seq: u64,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort(); // the socket closes with its last half
    }
}

/// Broadcast notices the scenarios never look at: counted as read, not parsed (so the
/// load client spends its CPU on what it measures).
pub fn ignored(t: &str) -> bool {
    t.contains(r#""name":"UserEnter""#)
        || t.contains(r#""name":"UserLeave""#)
        || t.contains(r#""name":"QueueStatusChanged""#)
        || t.contains(r#""name":"QueuingInfoChanged""#)
}

pub fn spawn_reader(
    mut stream: SplitStream<Ws>,
) -> (mpsc::UnboundedReceiver<(Instant, Value)>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        while let Some(Ok(m)) = stream.next().await {
            if let Message::Text(t) = m {
                if ignored(&t) {
                    continue;
                }
                if let Ok(v) = serde_json::from_str::<Value>(&t) {
                    if tx.send((Instant::now(), v)).is_err() {
                        break;
                    }
                }
            }
        }
    });
    (rx, task)
}

impl Client {
    pub fn new(ws: Ws) -> Client {
        let (sink, stream) = ws.split();
        let (rx, reader) = spawn_reader(stream);
        Client { sink, rx, seq: 0, reader }
    }

    /// Whether the socket has closed (its reader ended).
    pub fn is_closed(&self) -> bool {
        self.reader.is_finished()
    }

    pub async fn send(&mut self, op: Value) -> u64 {
        self.try_send(op).await.expect("the socket is open")
    }

    /// Sends `op` with the next `seq`; None when the socket has closed.
    pub async fn try_send(&mut self, mut op: Value) -> Option<u64> {
        self.seq += 1;
        op["seq"] = json!(self.seq);
        self.sink.send(Message::Text(op.to_string().into())).await.ok()?;
        Some(self.seq)
    }

    /// Waits (10 s at most) for a frame matching `pred`; frames before it are dropped.
    pub async fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> (Instant, Value) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("a frame within 10 s")
                .expect("socket open");
            if pred(&got.1) {
                return got;
            }
        }
    }

    pub async fn request(&mut self, op: Value) -> Value {
        let seq = self.send(op).await;
        self.wait(|f| f["type"] == "reply" && f["seq"] == seq).await.1
    }
}

/// An agent that takes every offer: accept, finish at once, count it; until `stop` or
/// until `done` reaches `limit`.
pub async fn serve_offers(mut c: Client, q: u64, stop: Instant, done: Arc<AtomicU64>, limit: u64) {
    c.send(json!({"op": "StartService", "queID": q})).await;
    while Instant::now() < stop && done.load(Ordering::Relaxed) < limit {
        let f = match tokio::time::timeout(Duration::from_millis(500), c.rx.recv()).await {
            Ok(Some((_, f))) => f,
            Ok(None) => break, // the socket closed
            Err(_) => continue,
        };
        if f["name"] == "AutoAssignUser" {
            let uid = f["data"]["usrID"].clone();
            c.send(json!({"op": "AcceptAssignUser", "queID": q, "usrID": uid})).await;
            c.send(json!({"op": "FinishService", "queID": q, "usrID": uid})).await;
            done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub fn notice(name: &'static str) -> impl Fn(&Value) -> bool {
    move |f| f["type"] == "notice" && f["name"] == name
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn summary(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (percentile(&ms, 0.5), percentile(&ms, 0.99), *ms.last().unwrap_or(&f64::NAN))
}
