//! The SDK's session core (`lineup-client`, the same state machine the browser SDK
//! runs) on real sockets against three cluster nodes, given every node's address as
//! `CRVideo_SetServerAddr("host1:port;host2:port;host3:port")` would: when the node it
//! is connected to dies, or stops with SIGTERM, the page sees `Reconnecting` then
//! `Reconnected`, and every request it makes meanwhile is answered without an error.

mod common;

use std::time::{Duration, Instant};

use common::cluster::{app_key, Cluster, BUSY};
use futures_util::{SinkExt, StreamExt};
use lineup_client::{Event, Frame, Incoming, OpHead, Payload, Phase, Session, SessionOp, Transmit};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone, Debug, PartialEq)]
struct J(Value);

impl Payload for J {
    fn str_field(&self, key: &str) -> Option<String> {
        self.0.get(key)?.as_str().map(String::from)
    }
    fn u32_field(&self, key: &str) -> Option<u32> {
        self.0.get(key)?.as_u64().and_then(|n| u32::try_from(n).ok())
    }
}

/// A driver as the wasm SDK is one: one socket, one timer, the session decides.
struct Sdk {
    session: Session<J>,
    servers: Vec<String>,
    ws: Option<Ws>,
    events: Vec<Event<J>>,
    started: Instant,
}

impl Sdk {
    fn new(servers: Vec<String>) -> Sdk {
        let mut session = Session::new();
        session.set_servers(servers.len());
        Sdk { session, servers, ws: None, events: Vec::new(), started: Instant::now() }
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// Carries out what the session asked for.
    async fn pump(&mut self) {
        while let Some(t) = self.session.poll_transmit() {
            match t {
                Transmit::Connect { server } => {
                    let url = self.servers[server].clone();
                    self.ws = match tokio::time::timeout(Duration::from_secs(2), tokio_tungstenite::connect_async(url))
                        .await
                    {
                        Ok(Ok((ws, _))) => Some(ws),
                        _ => None,
                    };
                    if self.ws.is_none() {
                        let now = self.now();
                        self.session.handle_closed(now, 1006);
                    }
                }
                Transmit::Send { seq, frame } => {
                    let mut v = match frame {
                        Frame::Op(SessionOp::Login { ticket }) => {
                            json!({"op": "Login", "ticket": ticket})
                        }
                        Frame::Op(SessionOp::Resume { session }) => {
                            json!({"op": "Resume", "session": session})
                        }
                        Frame::Op(op) => json!({"op": op.name()}),
                        Frame::Page(J(v)) => v,
                    };
                    v["seq"] = json!(seq);
                    if let Some(ws) = &mut self.ws {
                        if ws.send(Message::Text(v.to_string().into())).await.is_err() {
                            self.ws = None;
                            let now = self.now();
                            self.session.handle_closed(now, 1006);
                        }
                    }
                }
                Transmit::Close => self.ws = None,
            }
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push(e);
        }
    }

    /// Reads and times out until `done` says so; false when `within` passed first.
    async fn run(&mut self, within: Duration, done: impl Fn(&Sdk) -> bool) -> bool {
        let until = tokio::time::Instant::now() + within;
        while !done(self) {
            if tokio::time::Instant::now() >= until {
                return false;
            }
            let wake = self.session.poll_timeout().map(|t| Duration::from_secs_f64((t - self.now()).max(0.0) / 1000.0));
            let wake =
                tokio::time::Instant::now() + wake.unwrap_or(Duration::from_millis(20)).min(Duration::from_millis(20));
            let msg = match &mut self.ws {
                Some(ws) => tokio::time::timeout_at(wake.min(until), ws.next()).await.ok(),
                None => {
                    tokio::time::sleep_until(wake.min(until)).await;
                    None
                }
            };
            let now = self.now();
            match msg {
                Some(Some(Ok(Message::Text(t)))) => {
                    let f: Value = serde_json::from_str(&t).unwrap();
                    let frame = if f["type"] == "reply" {
                        let (seq, err) = (f["seq"].as_u64().unwrap(), f["err"].as_u64().unwrap() as u32);
                        Incoming::Reply {
                            seq,
                            err,
                            msg: f["msg"].as_str().unwrap_or("").into(),
                            data: J(f["data"].clone()),
                        }
                    } else {
                        Incoming::Notice { name: f["name"].as_str().unwrap().into(), data: J(f["data"].clone()) }
                    };
                    self.session.handle_frame(now, frame);
                }
                Some(Some(Ok(Message::Close(frame)))) => {
                    self.ws = None;
                    self.session.handle_closed(now, frame.map_or(1005, |f| u16::from(f.code)));
                }
                Some(Some(Ok(_))) => {}
                Some(Some(Err(_)) | None) => {
                    self.ws = None;
                    self.session.handle_closed(now, 1006);
                }
                None => {}
            }
            self.session.handle_timeout(self.now());
            self.pump().await;
        }
        true
    }

    async fn run_until(&mut self, within: Duration, done: impl Fn(&Sdk) -> bool) {
        assert!(self.run(within, done).await, "not done in {within:?}; events: {:?}", self.events);
    }

    fn request(&mut self, op: Value) -> u64 {
        let head = OpHead { op: op["op"].as_str().unwrap().into(), que_id: op["queID"].as_u64().map(|q| q as u32) };
        self.session.request(head, J(op))
    }

    /// The result of request `id`, once answered.
    fn result(&self, id: u64) -> Option<Result<Value, (u32, String)>> {
        self.events.iter().find_map(|e| match e {
            Event::Reply { id: i, result, .. } if *i == id => Some(result.clone().map(|j| j.0)),
            _ => None,
        })
    }

    fn saw(&self, pred: impl Fn(&Event<J>) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }
}

/// Logs an SDK user in through node `via` (the ticket from that node's REST login).
async fn login(cluster: &Cluster, via: usize, uid: &str) -> Sdk {
    let servers: Vec<String> = cluster.nodes.iter().map(|n| n.ws()).collect();
    let mut sdk = Sdk::new(servers);
    let body = json!({"appID": BUSY, "md5_appSecret": app_key(BUSY), "UID": uid, "nickName": uid});
    let (status, v) = cluster.call(&cluster.nodes[via], "POST", "/api/v1/login", None, body).await;
    assert_eq!(status, 200, "{v}");
    let now = sdk.now();
    sdk.session.login(now, via, v["ticket"].as_str().unwrap().into(), None);
    sdk.pump().await;
    sdk.run_until(Duration::from_secs(10), |s| s.session.phase() == Phase::Online).await;
    sdk
}

/// Makes a request and returns its id (answered later, in `events`).
async fn ask(sdk: &mut Sdk, op: Value) -> u64 {
    let id = sdk.request(op);
    sdk.pump().await;
    id
}

/// Waits for the answer to `id`; it must be a success.
async fn answered(sdk: &mut Sdk, id: u64) -> Value {
    sdk.run_until(Duration::from_secs(20), |s| s.result(id).is_some()).await;
    sdk.result(id).unwrap().unwrap_or_else(|e| panic!("request {id} failed: {e:?}; events: {:?}", sdk.events))
}

fn reconnects(sdk: &Sdk) -> (usize, usize) {
    (sdk.saw(|e| matches!(e, Event::Reconnecting { .. })), sdk.saw(|e| matches!(e, Event::Reconnected)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_rides_out_a_kill_and_a_sigterm_with_reconnecting_and_reconnected_only() {
    let cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    let owner = placed[BUSY];
    let other = (owner + 1) % 3;
    let (status, v) = cluster
        .call(
            &cluster.nodes[other],
            "POST",
            &format!("/api/v1/apps/{BUSY}/queues"),
            Some(&app_key(BUSY)),
            json!({"QueueName": "q"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let queue = v["Data"]["QueueID"].as_u64().unwrap();
    // One customer straight on the owner, one through another node.
    let mut direct = login(&cluster, owner, "direct").await;
    let mut carried = login(&cluster, other, "carried").await;
    for sdk in [&mut direct, &mut carried] {
        let id = ask(sdk, json!({"op": "StartQueuing", "queID": queue})).await;
        answered(sdk, id).await;
    }

    // kill -9 the owner: the direct customer reconnects to another address and resumes;
    // the carried one notices nothing.
    cluster.nodes[owner].signal("-KILL");
    let killed = Instant::now();
    direct.run_until(Duration::from_secs(20), |s| reconnects(s).1 == 1).await;
    let resumed = killed.elapsed();
    let id = ask(&mut direct, json!({"op": "GetQueuingInfo"})).await;
    assert_eq!(answered(&mut direct, id).await["queID"], queue, "in its place");
    let id = ask(&mut carried, json!({"op": "GetQueuingInfo"})).await;
    assert_eq!(answered(&mut carried, id).await["queID"], queue);
    assert_eq!(reconnects(&carried), (0, 0), "the carried customer kept its socket: {:?}", carried.events);
    println!("kill -9: the SDK on the killed node was Reconnected after {} ms", resumed.as_millis());

    // SIGTERM the new owner while both keep asking: no request fails.
    let live: Vec<usize> = (0..3).filter(|i| *i != owner).collect();
    let owner2 = cluster.settled(&live).await[BUSY];
    // And one straight on that owner: it is closed with 1001 and resumes elsewhere.
    let mut third = login(&cluster, owner2, "third").await;
    let id = ask(&mut third, json!({"op": "StartQueuing", "queID": queue})).await;
    answered(&mut third, id).await;
    let before = (reconnects(&direct), reconnects(&carried));
    // REST through every live node meanwhile (the stopping one too, until it stops
    // listening): every answer is a 200 (never a 503 or an error 3).
    let rest = {
        let (http, key) = (cluster.http.clone(), app_key(BUSY));
        let addrs: Vec<String> = live.iter().map(|i| cluster.nodes[*i].addr.clone()).collect();
        let path = format!("/api/v1/apps/{BUSY}/queues/{queue}/status");
        tokio::spawn(async move {
            let (mut ok, mut refused, mut failed) = (0, 0, Vec::new());
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(3) {
                for addr in &addrs {
                    let sent = http.get(format!("http://{addr}{path}")).bearer_auth(&key).send().await;
                    match sent {
                        Ok(r) if r.status() == 200 => ok += 1,
                        Ok(r) => failed.push(format!("{addr}: {} {}", r.status(), r.text().await.unwrap_or_default())),
                        // No answer: the stopped node no longer listens (or dropped a
                        // connection it had not accepted yet); a client goes to another.
                        Err(e) => {
                            refused += 1;
                            if !e.is_connect() {
                                println!("SIGTERM: {addr}: no answer: {e:?}");
                            }
                        }
                    }
                }
            }
            (ok, refused, failed)
        })
    };
    cluster.nodes[owner2].signal("-TERM");
    let stopped = Instant::now();
    // Every request made meanwhile, by client: each must be answered, and with success.
    let mut asked: [Vec<u64>; 3] = Default::default();
    while stopped.elapsed() < Duration::from_secs(3) {
        for (i, sdk) in [&mut direct, &mut carried, &mut third].into_iter().enumerate() {
            asked[i].push(ask(sdk, json!({"op": "GetQueuingInfo"})).await);
            sdk.run(Duration::from_millis(10), |_| false).await;
        }
    }
    let mut failed = Vec::new();
    for (i, sdk) in [&mut direct, &mut carried, &mut third].into_iter().enumerate() {
        // Until every one of them has its answer (a reply, or an error the session gave).
        let ids = asked[i].clone();
        sdk.run_until(Duration::from_secs(20), |s| {
            s.session.pending() == 0 && ids.iter().all(|id| s.result(*id).is_some())
        })
        .await;
        for id in &ids {
            match sdk.result(*id).expect("answered") {
                Ok(v) => assert_eq!(v["queID"], queue, "request {id} of client {i}: {v}"),
                Err(e) => failed.push((i, *id, e)),
            }
        }
    }
    let total: usize = asked.iter().map(Vec::len).sum();
    assert!(failed.is_empty(), "{} of {total} requests failed at the hand-over: {failed:?}", failed.len());
    let (rest_ok, rest_refused, rest_failed) = rest.await.unwrap();
    println!("SIGTERM: REST through every node: {rest_ok} answered 200, {rest_refused} not answered (node gone)");
    assert!(rest_failed.is_empty(), "REST requests failed at the hand-over: {rest_failed:?}");
    assert!(rest_ok > 0);
    let after = (reconnects(&direct), reconnects(&carried));
    println!(
        "SIGTERM: {total} requests during the hand-over, all answered, none failed; reconnects (direct, carried) {before:?} → {after:?}, on the stopped node {:?}",
        reconnects(&third)
    );
    for (sdk, (b, a)) in [(&direct, (before.0, after.0)), (&carried, (before.1, after.1))] {
        assert_eq!(a.0 - b.0, a.1 - b.1, "every Reconnecting ended Reconnected: {:?}", sdk.events);
    }
    assert_eq!(
        reconnects(&third),
        (1, 1),
        "the customer on the stopped node: Reconnecting, Reconnected: {:?}",
        third.events
    );
}
