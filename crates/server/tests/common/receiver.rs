//! A real HTTP receiver for webhook tests on 127.0.0.1: records every request, and can
//! answer 500 to the first N requests or hang.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::Router;

/// One received request.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
    /// The status the receiver answered; 0 while it hangs (never answers).
    pub status: u16,
}

#[derive(Clone, Default)]
pub struct Behaviour {
    /// Answer 500 to this many requests first.
    pub fail_first: Arc<AtomicUsize>,
    /// Never answer (the server must time out without delaying anything else).
    pub hang: bool,
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Received>>>,
    behaviour: Behaviour,
}

async fn record(State(s): State<Shared>, method: Method, OriginalUri(uri): OriginalUri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let fail = !s.behaviour.hang && s.behaviour.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    let status = if fail { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT };
    s.log.lock().unwrap().push(Received {
        method: method.to_string(),
        uri: uri.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status: if s.behaviour.hang { 0 } else { status.as_u16() },
    });
    if s.behaviour.hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    status
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Receiver {
        Self::start_on("127.0.0.1:0".parse().unwrap(), behaviour).await
    }

    pub async fn start_on(addr: SocketAddr, behaviour: Behaviour) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let app = Router::new().fallback(record).with_state(Shared { log: log.clone(), behaviour });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, log, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The requests answered 2xx so far.
    pub fn accepted(&self) -> Vec<Received> {
        self.log.lock().unwrap().iter().filter(|r| (200..300).contains(&r.status)).cloned().collect()
    }

    /// Every request that arrived so far, answered or not.
    pub fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` requests were answered 2xx.
    pub async fn wait_accepted(&self, n: usize) -> Vec<Received> {
        self.wait_for(n, "accepted webhook requests", Self::accepted).await
    }

    /// Waits (up to 10 s) until `n` requests arrived, answered or not.
    pub async fn wait_requests(&self, n: usize) -> Vec<Received> {
        self.wait_for(n, "webhook requests (answered or not)", Self::requests).await
    }

    async fn wait_for(&self, n: usize, what: &str, seen: fn(&Self) -> Vec<Received>) -> Vec<Received> {
        for _ in 0..500 {
            let got = seen(self);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} {what}, got {:?}", self.log.lock().unwrap());
    }

    /// Stops listening: once this returns, connections to its address are refused.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
