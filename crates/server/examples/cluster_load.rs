//! The cluster benchmark: release `lineup-server` processes on loopback and a throwaway
//! PostgreSQL, driven over the real protocol.
//!
//! 1. **Cycles/s, multi-app:** 6 apps, each with 30 agents taking every offer (accept,
//!    finish at once) and 60 customers queuing again after each service; clients spread
//!    over the nodes round-robin, as a load balancer would spread them (so with N nodes,
//!    N−1 of N sockets are carried to their app's owner by another node). Run on one node
//!    on SQLite, then 1, 2 and 3 nodes on PostgreSQL.
//! 2. **A busy node:** one PostgreSQL node with 16 busy apps (more than its runtime has
//!    workers) and a quiet one: the quiet app's Ping round trip idle and meanwhile.
//! 3. **Failover over 20 owner kills:** 3 nodes, the busy app with 500 customers and 20
//!    agents (in do-not-disturb). Each round `kill -9`s the owner and measures from the
//!    kill to the first customer an agent (carried by a surviving node) is served by the
//!    new owner (`ReqAssignUser`); then the killed node starts again and the dropped
//!    clients resume, as the SDK does.
//!
//! `cargo xtask cluster-load` builds the release server and runs this. Every loop is
//! bounded in count and time; only 127.0.0.1 is contacted.

#[allow(dead_code)]
#[path = "shared/loadkit.rs"]
mod loadkit;
#[path = "../tests/common/pg.rs"]
mod pg;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use loadkit::{md5_hex, serve_offers, Client, Ws};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const ADMIN: &str = "cluster-load-admin-key";
const SECRET: &str = "cluster-load-secret";
const CLUSTER_SECRET: &str = "the cluster secret of the benchmark";

struct Node {
    child: Child,
    id: String,
    addr: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("127.0.0.1:{port}")
}

/// A node: on `database` (cluster mode), or on SQLite in a fresh data directory.
fn start_node(bin: &str, database: Option<&str>, id: &str) -> Node {
    let addr = free_addr();
    let mut cmd = Command::new(bin);
    cmd.args(["--listen", &addr, "--www", "/nonexistent", "--sdk", "/nonexistent", "--no-demo", "--no-media"])
        .args(["--admin-key", ADMIN])
        .env("LINEUP_LOG", "error")
        .env("LINEUP_MAX_PRE_LOGIN_PER_IP", "100000")
        .env("LINEUP_MAX_CONNECTIONS_PER_IP", "100000")
        .stdout(Stdio::null());
    match database {
        Some(url) => cmd.args(["--database", url, "--cluster-secret", CLUSTER_SECRET, "--node-id", id]),
        None => {
            cmd.arg("--data").arg(std::env::temp_dir().join(format!("lineup-cluster-load-{}-{id}", std::process::id())))
        }
    };
    Node { child: cmd.spawn().expect("the server starts"), id: id.into(), addr }
}

struct Bench {
    http: reqwest::Client,
    md5: String,
}

impl Bench {
    async fn health(&self, node: &Node) -> Option<Value> {
        let r =
            self.http.get(format!("http://{}/healthz", node.addr)).timeout(Duration::from_secs(1)).send().await.ok()?;
        if r.status() != 200 {
            return None;
        }
        r.json().await.ok()
    }

    async fn healthy(&self, node: &Node) {
        for _ in 0..400 {
            if self.health(node).await.is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node {} never became healthy", node.id);
    }

    /// A REST call; a 503 (an app between owners) is retried after its Retry-After, as a
    /// client should.
    async fn rest(&self, node: &Node, method: reqwest::Method, path: &str, key: &str, body: Value) -> Value {
        for _ in 0..10 {
            let req =
                self.http.request(method.clone(), format!("http://{}{path}", node.addr)).bearer_auth(key).json(&body);
            let r = req.send().await.unwrap();
            if r.status() == 503 {
                eprintln!("  503 for {path}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            return r.json().await.unwrap();
        }
        panic!("{path}: 503 ten times");
    }

    /// A new app (created through `node`) with one queue; its id.
    async fn app(&self, node: &Node, app: &str, settings: Value) -> u64 {
        let v = self
            .rest(node, reqwest::Method::POST, "/api/v1/apps", ADMIN, json!({"appID": app, "appSecret": SECRET}))
            .await;
        assert_eq!(v["RspCode"], 0, "{v}");
        let v =
            self.rest(node, reqwest::Method::PUT, &format!("/api/v1/apps/{app}/settings"), &self.md5, settings).await;
        assert_eq!(v["RspCode"], 0, "{v}");
        let v = self
            .rest(
                node,
                reqwest::Method::POST,
                &format!("/api/v1/apps/{app}/queues"),
                &self.md5,
                json!({"QueueName": "q"}),
            )
            .await;
        v["Data"]["QueueID"].as_u64().unwrap_or_else(|| panic!("{v}"))
    }

    /// A logged-in socket through `node`, and its resume token.
    async fn login(&self, node: &Node, app: &str, uid: &str) -> (Ws, String) {
        let body = json!({"appID": app, "md5_appSecret": self.md5, "UID": uid, "nickName": uid});
        let v: Value = self
            .http
            .post(format!("http://{}/api/v1/login", node.addr))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", node.addr)).await.unwrap();
        ws.send(Message::Text(json!({"seq": 0, "op": "Login", "ticket": v["ticket"]}).to_string().into()))
            .await
            .unwrap();
        let token = first_reply(&mut ws, uid).await["data"]["session"].as_str().unwrap().to_string();
        (ws, token)
    }

    /// Waits until each app runs on exactly one of `nodes` and it holds still.
    async fn placed(&self, nodes: &[&Node], apps: &[String]) -> Vec<usize> {
        let started = Instant::now();
        let (mut last, mut same) = (Vec::new(), 0);
        loop {
            let mut at = vec![Vec::new(); apps.len()];
            for (i, n) in nodes.iter().enumerate() {
                if let Some(h) = self.health(n).await {
                    for a in h["apps"].as_array().cloned().unwrap_or_default() {
                        if let Some(k) = apps.iter().position(|x| a == x.as_str()) {
                            at[k].push(i);
                        }
                    }
                }
            }
            let now: Vec<usize> = at.iter().filter(|o| o.len() == 1).map(|o| o[0]).collect();
            if now.len() == apps.len() && now == last {
                same += 1;
                if same == 5 {
                    return now;
                }
            } else {
                same = 0;
            }
            last = now;
            assert!(started.elapsed() < Duration::from_secs(30), "apps never settled: {at:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn first_reply(ws: &mut Ws, who: &str) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let f: Value = serde_json::from_str(&t).unwrap();
                if f["type"] == "reply" {
                    assert_eq!(f["err"], 0, "{who}: {f}");
                    return f;
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("{who}: {other:?}"),
        }
    }
}

/// Sustained cycles on `nodes` nodes (None: one node on SQLite): cycles per second.
async fn cycles(bench: &Bench, bin: &str, database: Option<&str>, nodes: usize) -> f64 {
    const APPS: usize = 6;
    let nodes: Vec<Node> = (0..nodes).map(|i| start_node(bin, database, &format!("node-{i}"))).collect();
    for n in &nodes {
        bench.healthy(n).await;
    }
    let apps: Vec<String> = (0..APPS).map(|i| format!("app{i}")).collect();
    let mut queues = Vec::new();
    for app in &apps {
        queues.push(bench.app(&nodes[0], app, json!({"queueUserNotices": false, "reofferDelaySeconds": 0})).await);
    }
    if database.is_some() {
        bench.placed(&nodes.iter().collect::<Vec<_>>(), &apps).await;
    }
    let done = Arc::new(AtomicU64::new(0));
    // The clients end when their sockets close (the nodes stop), or at this bound.
    let stop = Instant::now() + Duration::from_secs(300);
    let logins = Instant::now();
    let mut k = 0;
    for (app, q) in apps.iter().zip(&queues) {
        cycle_app(bench, &nodes, app, *q, (30, 60, Duration::ZERO), &mut k, stop, &done).await;
    }
    let logins = logins.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await; // warm up
    let before = done.load(Ordering::Relaxed);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rate = (done.load(Ordering::Relaxed) - before) as f64 / t.elapsed().as_secs_f64();
    eprintln!("  ({} clients logged in in {} ms)", k, logins.as_millis());
    drop(nodes);
    tokio::time::sleep(Duration::from_millis(500)).await;
    rate
}

/// Starts the cycling clients of `app` (queue `q`): `agents` taking every offer and
/// `customers` queuing again after each service, logged in round-robin over `nodes`
/// (`k` counts the logins), each customer pausing `pause` before it queues again. They
/// end when their sockets close or at `stop`.
#[allow(clippy::too_many_arguments)]
async fn cycle_app(
    bench: &Bench,
    nodes: &[Node],
    app: &str,
    q: u64,
    (agents, customers, pause): (usize, usize, Duration),
    k: &mut usize,
    stop: Instant,
    done: &Arc<AtomicU64>,
) {
    for a in 0..agents {
        *k += 1;
        let (ws, _) = bench.login(&nodes[*k % nodes.len()], app, &format!("a{a}")).await;
        tokio::spawn(serve_offers(Client::new(ws), q, stop, done.clone(), u64::MAX));
    }
    for c in 0..customers {
        *k += 1;
        let (ws, _) = bench.login(&nodes[*k % nodes.len()], app, &format!("c{c}")).await;
        let mut c = Client::new(ws);
        tokio::spawn(async move {
            c.send(json!({"op": "StartQueuing", "queID": q})).await;
            while Instant::now() < stop {
                let f = match tokio::time::timeout(Duration::from_secs(1), c.rx.recv()).await {
                    Ok(Some((_, f))) => f,
                    Ok(None) => break,
                    Err(_) => continue,
                };
                if f["name"] == "ServiceFinished" {
                    tokio::time::sleep(pause).await;
                    // The run ends by stopping its node: a closed socket ends the client.
                    if c.try_send(json!({"op": "StartQueuing", "queID": q})).await.is_none() {
                        break;
                    }
                }
            }
        });
    }
}

/// `n` Ping round trips in sequence on `c`, 5 ms apart: sorted ms.
async fn pings(c: &mut Client, n: usize) -> Vec<f64> {
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(10), c.request(json!({"op": "Ping"}))).await.expect("a pong");
        assert_eq!(r["err"], 0, "{r}");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ms
}

/// One PostgreSQL node with more busy apps than its runtime has workers, and a quiet app
/// beside them: the quiet app's Ping round trip idle (the floor) and while the others
/// cycle (each customer pausing `pause` between services), and the cycles/s they make.
async fn busy_node(
    bench: &Bench,
    bin: &str,
    database: &str,
    busy: usize,
    pause: Duration,
) -> ((f64, f64), (f64, f64), f64) {
    let nodes = vec![start_node(bin, Some(database), "busy-node")];
    bench.healthy(&nodes[0]).await;
    let mut apps: Vec<String> = vec!["quiet".into()];
    apps.extend((0..busy).map(|i| format!("busy{i}")));
    let mut queues = Vec::new();
    for app in &apps {
        queues.push(bench.app(&nodes[0], app, json!({"queueUserNotices": false, "reofferDelaySeconds": 0})).await);
    }
    bench.placed(&nodes.iter().collect::<Vec<_>>(), &apps).await;
    let (ws, _) = bench.login(&nodes[0], "quiet", "prober").await;
    let mut prober = Client::new(ws);
    pings(&mut prober, 50).await; // warm up
    let idle = pings(&mut prober, 500).await;
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(300);
    let mut k = 0;
    for (app, q) in apps.iter().zip(&queues).skip(1) {
        cycle_app(bench, &nodes, app, *q, (5, 10, pause), &mut k, stop, &done).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // warm up
    let before = done.load(Ordering::Relaxed);
    let t = Instant::now();
    let loaded = pings(&mut prober, 500).await;
    let rate = (done.load(Ordering::Relaxed) - before) as f64 / t.elapsed().as_secs_f64();
    drop(nodes);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let p = |ms: &[f64]| (loadkit::percentile(ms, 0.5), loadkit::percentile(ms, 0.99));
    (p(&idle), p(&loaded), rate)
}

/// A client of the failover rounds: its socket (None: dropped), its node, its token.
struct Held {
    client: Option<Client>,
    node: usize,
    token: String,
}

/// Resumes a dropped client on node `node`.
async fn resume(addr: &str, token: &str) -> Option<Client> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.ok()?;
    ws.send(Message::Text(json!({"seq": 0, "op": "Resume", "session": token}).to_string().into())).await.ok()?;
    let reply = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let f: Value = serde_json::from_str(&t).ok()?;
                    if f["type"] == "reply" {
                        return Some(f);
                    }
                }
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .ok()??;
    (reply["err"] == 0).then(|| Client::new(ws))
}

/// Kill → first customer served by the new owner, over `rounds` kills: sorted ms.
async fn failover(bench: &Bench, bin: &str, database: &str, rounds: usize) -> Vec<f64> {
    let mut nodes: Vec<Node> = (0..3).map(|i| start_node(bin, Some(database), &format!("f-node-{i}"))).collect();
    for n in &nodes {
        bench.healthy(n).await;
    }
    let apps: Vec<String> = ["busy", "other1", "other2", "other3"].iter().map(|s| s.to_string()).collect();
    let mut queue = 0;
    for app in &apps {
        let q = bench.app(&nodes[0], app, json!({})).await;
        if app == "busy" {
            queue = q;
        }
    }
    bench.placed(&nodes.iter().collect::<Vec<_>>(), &apps).await;
    let mut agents = Vec::new();
    for a in 0..20 {
        let node = a % 3;
        let (ws, token) = bench.login(&nodes[node], "busy", &format!("agent{a}")).await;
        let mut c = Client::new(ws);
        c.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await;
        c.request(json!({"op": "StartService", "queID": queue})).await;
        agents.push(Held { client: Some(c), node, token });
    }
    let mut customers = Vec::new();
    for i in 0..500 {
        let node = i % 3;
        let (ws, token) = bench.login(&nodes[node], "busy", &format!("cust{i:03}")).await;
        let mut c = Client::new(ws);
        let r = c.request(json!({"op": "StartQueuing", "queID": queue})).await;
        assert_eq!(r["err"], 0, "{r}");
        customers.push(Held { client: Some(c), node, token });
    }
    let mut ms = Vec::new();
    for round in 0..rounds {
        let owner = bench.placed(&nodes.iter().collect::<Vec<_>>(), &apps).await[0];
        // Clients straight on a node that handed an app back (1001) resume there.
        for h in
            agents.iter_mut().chain(customers.iter_mut()).filter(|h| h.client.as_ref().is_some_and(Client::is_closed))
        {
            h.client = resume(&nodes[h.node].addr, &h.token).await;
            assert!(h.client.is_some(), "round {round}: a client closed by a hand-over could not resume");
        }
        let _ = Command::new("kill").args(["-9", &nodes[owner].child.id().to_string()]).status();
        let killed = Instant::now();
        for h in agents.iter_mut().chain(customers.iter_mut()).filter(|h| h.node == owner) {
            h.client = None;
        }
        // An agent on a surviving node asks until the new owner serves it the head.
        let agent =
            agents.iter_mut().find(|h| h.node != owner && h.client.is_some()).expect("an agent on a surviving node");
        let c = agent.client.as_mut().unwrap();
        let served = loop {
            let r = tokio::time::timeout(Duration::from_secs(10), c.request(json!({"op": "ReqAssignUser"})))
                .await
                .expect("answered");
            if r["err"] == 0 {
                break r["data"]["usrID"].clone();
            }
            assert!(killed.elapsed() < Duration::from_secs(30), "round {round}: not served: {r}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        ms.push(killed.elapsed().as_secs_f64() * 1000.0);
        c.request(json!({"op": "FinishService", "queID": queue, "usrID": served})).await;
        // The killed node starts again (a new address, the same id); the dropped clients
        // resume on the next node.
        nodes[owner] = start_node(bin, Some(database), &nodes[owner].id.clone());
        bench.healthy(&nodes[owner]).await;
        for h in agents.iter_mut().chain(customers.iter_mut()).filter(|h| h.client.is_none()) {
            h.node = (owner + 1) % 3;
            let started = Instant::now();
            while h.client.is_none() {
                h.client = resume(&nodes[h.node].addr, &h.token).await;
                assert!(started.elapsed() < Duration::from_secs(30), "a client could not resume");
                if h.client.is_none() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ms
}

fn create_database(pg: &pg::ThrowawayPg, name: &str) -> String {
    let admin = lineup_server::cluster::Pg::connect(&pg.url()).unwrap();
    let sql = format!("CREATE DATABASE {name}");
    admin.query(move |c| c.batch_execute(&sql)).unwrap();
    pg.url().replace("/postgres", &format!("/{name}"))
}

#[tokio::main]
async fn main() {
    let bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/lineup-server".into());
    let only: Vec<String> = std::env::args().skip(2).collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let bench = Bench { http: reqwest::Client::new(), md5: md5_hex(SECRET) };
    let pg = pg::ThrowawayPg::start();
    if want("cycles") {
        println!("| 6 apps × (30 agents, 60 customers), clients spread over the nodes | cycles/s |");
        println!("|---|---|");
        let rate = cycles(&bench, &bin, None, 1).await;
        println!("| 1 node, SQLite (the single-node default) | {rate:.0} |");
        for n in 1..=3 {
            let url = create_database(&pg, &format!("cycles{n}"));
            let rate = cycles(&bench, &bin, Some(&url), n).await;
            println!("| {n} node{}, PostgreSQL | {rate:.0} |", if n == 1 { "" } else { "s" });
        }
    }
    if want("busy") {
        let busy = 16;
        println!(
            "\n| one PostgreSQL node, {busy} busy apps (5 agents, 10 customers each) and a quiet one | quiet app's Ping p50 | p99 |\n|---|---|---|"
        );
        for (i, pause) in [0u64, 200].into_iter().enumerate() {
            let url = create_database(&pg, &format!("busy{i}"));
            let (idle, loaded, rate) = busy_node(&bench, &bin, &url, busy, Duration::from_millis(pause)).await;
            let how = match pause {
                0 => "flat out".to_string(),
                ms => format!("each customer pausing {ms} ms between services"),
            };
            println!("| idle (the floor) | {:.2} ms | {:.2} ms |", idle.0, idle.1);
            println!("| the {busy} apps cycling {how}: {rate:.0} cycles/s | {:.2} ms | {:.2} ms |", loaded.0, loaded.1);
        }
    }
    if want("failover") {
        let url = create_database(&pg, "failover");
        let ms = failover(&bench, &bin, &url, 20).await;
        let median = ms[ms.len() / 2];
        println!(
            "\nfailover over {} kills (kill -9 of the owner → the first customer served by the new owner, through a surviving node): min {:.0} ms, median {median:.0} ms, max {:.0} ms",
            ms.len(),
            ms[0],
            ms[ms.len() - 1]
        );
    }
}
