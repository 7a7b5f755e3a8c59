//! The load benchmark: a release `lineup-server` on loopback, driven over the real
//! protocol, printing each figure of the performance issue's table, with the Ping
//! floor measured in the same run so the figures read as ratios to it.
//!
//! `cargo xtask load` builds the release server and runs this; or
//! `cargo run --release -p lineup-server --example load -- target/release/lineup-server`.
//! Each scenario uses its own app; every loop is bounded in count and time; only
//! 127.0.0.1 is contacted.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc;


#[path = "shared/loadkit.rs"]
mod loadkit;
#[path = "shared/server.rs"]
mod server;

use loadkit::{notice, serve_offers, summary, Client};
use server::{rss_mb, Server};

async fn ping_floor(s: &Server, app: &str, n: usize) -> (f64, f64) {
    let mut c = Client::new(s.login(app, "pinger").await);
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        c.request(json!({"op": "Ping"})).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99, _) = summary(ms);
    (p50, p99)
}

/// Join → offer, one at a time: 10k customers wait in another queue, 500 agents serve.
async fn join_to_offer(s: &Server, app: &str, queue_user_notices: bool) -> (f64, f64, f64) {
    let q = s.app(app, json!({"queueUserNotices": queue_user_notices}), &["other", "target"]).await;
    let waiting = s.logins(app, (0..10_000).map(|i| format!("w{i}")).collect(), 200).await;
    let mut waiting: Vec<Client> = waiting.into_iter().map(Client::new).collect();
    for c in waiting.iter_mut() {
        c.send(json!({"op": "StartQueuing", "queID": q[0]})).await;
    }
    let agents = s.logins(app, (0..500).map(|i| format!("a{i}")).collect(), 100).await;
    let (offers_tx, mut offers) = mpsc::unbounded_channel::<(Instant, usize)>();
    let mut agent_tasks = Vec::new();
    for (i, ws) in agents.into_iter().enumerate() {
        let mut c = Client::new(ws);
        c.send(json!({"op": "StartService", "queID": q[1]})).await;
        let tx = offers_tx.clone();
        agent_tasks.push(tokio::spawn(async move {
            while let Some((t, f)) = c.rx.recv().await {
                if f["name"] == "AutoAssignUser" && tx.send((t, i)).is_err() {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut joiner = Client::new(s.login(app, "joiner").await);
    let mut ms = Vec::new();
    for _ in 0..1000 {
        // One join at a time: the previous one's fan-out (UserLeave to 500 agents) is
        // out of the way first.
        tokio::time::sleep(Duration::from_millis(3)).await;
        while offers.try_recv().is_ok() {}
        let t0 = Instant::now();
        joiner.send(json!({"op": "StartQueuing", "queID": q[1]})).await;
        let (t1, _) = tokio::time::timeout(Duration::from_secs(10), offers.recv()).await.expect("an offer").unwrap();
        ms.push((t1 - t0).as_secs_f64() * 1000.0);
        joiner.request(json!({"op": "StopQueuing"})).await;
    }
    drop(waiting);
    for t in agent_tasks {
        t.abort();
    }
    summary(ms)
}

/// Finish → next offer, with a customer already waiting.
async fn finish_to_offer(s: &Server) -> (f64, f64, f64) {
    let q = s.app("finish", json!({}), &["q"]).await[0];
    let mut agent = Client::new(s.login("finish", "agent").await);
    let mut c = [Client::new(s.login("finish", "c0").await), Client::new(s.login("finish", "c1").await)];
    agent.request(json!({"op": "StartService", "queID": q})).await;
    c[0].request(json!({"op": "StartQueuing", "queID": q})).await;
    let offer = agent.wait(notice("AutoAssignUser")).await.1;
    agent.request(json!({"op": "AcceptAssignUser", "queID": q, "usrID": offer["data"]["usrID"]})).await;
    c[1].request(json!({"op": "StartQueuing", "queID": q})).await;
    let mut serving = 0;
    let mut ms = Vec::new();
    for _ in 0..1000 {
        let t0 = Instant::now();
        agent.send(json!({"op": "FinishService", "queID": q, "usrID": format!("c{serving}")})).await;
        let (t1, offer) = agent.wait(notice("AutoAssignUser")).await;
        ms.push((t1 - t0).as_secs_f64() * 1000.0);
        agent.request(json!({"op": "AcceptAssignUser", "queID": q, "usrID": offer["data"]["usrID"]})).await;
        c[serving].request(json!({"op": "StartQueuing", "queID": q})).await;
        serving = 1 - serving;
    }
    summary(ms)
}

/// Skills for [`sustained`]: 5 languages, 5 products and 10 others (20), a requirement
/// on the queue, every agent with random levels (one language and one product at 5 or
/// more), every customer with a random language and product.
const LANGUAGES: [&str; 5] = ["zh", "yue", "en", "fr", "de"];
const PRODUCTS: [&str; 5] = ["mortgage", "cards", "loans", "savings", "insurance"];

async fn set_up_skills(s: &Server, app: &str, q: u64, agents: usize) {
    let mut skills: Vec<String> = LANGUAGES.iter().map(|l| format!("language.{l}")).collect();
    skills.extend(PRODUCTS.iter().map(|p| format!("product.{p}")));
    skills.extend((0..10).map(|i| format!("other.s{i}")));
    let v =
        s.rest(reqwest::Method::PUT, &format!("/api/v1/apps/{app}/skills"), &s.md5, json!({"Skills": skills})).await;
    assert_eq!(v["RspCode"], 0, "{v}");
    let requirement = "language[customer.language] >= 3 && product[customer.product] >= 2";
    let body = json!({"Requirement": requirement, "RelaxSeconds": 30});
    let v = s.rest(reqwest::Method::PUT, &format!("/api/v1/apps/{app}/queues/{q}"), &s.md5, body).await;
    assert_eq!(v["RspCode"], 0, "{v}");
    let mut seed = 7u64;
    let mut below = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for i in 0..agents {
        let mut levels: serde_json::Map<String, Value> = skills.iter().map(|k| (k.clone(), json!(below(11)))).collect();
        levels.insert(format!("language.{}", LANGUAGES[below(5) as usize]), json!(5 + below(6)));
        levels.insert(format!("product.{}", PRODUCTS[below(5) as usize]), json!(5 + below(6)));
        let path = format!("/api/v1/apps/{app}/agents/a{i}/skills");
        let v = s.rest(reqwest::Method::PUT, &path, &s.md5, json!({"Skills": levels})).await;
        assert_eq!(v["RspCode"], 0, "{v}");
    }
}

/// Sustained offer → accept → finish → the customer queues again, across `agents`
/// agents, for `secs`; cycles per second. With `skills`, [`set_up_skills`].
async fn sustained(
    s: &Server,
    app: &str,
    agents: usize,
    customers: usize,
    queue_user_notices: bool,
    secs: u64,
    skills: bool,
) -> f64 {
    let q = s.app(app, json!({"queueUserNotices": queue_user_notices, "reofferDelaySeconds": 0}), &["q"]).await[0];
    if skills {
        set_up_skills(s, app, q, agents).await;
    }
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(secs + 3);
    let agent_ws = s.logins(app, (0..agents).map(|i| format!("a{i}")).collect(), 100).await;
    for ws in agent_ws {
        tokio::spawn(serve_offers(Client::new(ws), q, stop, done.clone(), u64::MAX));
    }
    let customer_ws = s.logins(app, (0..customers).map(|i| format!("c{i}")).collect(), 100).await;
    for (i, ws) in customer_ws.into_iter().enumerate() {
        let mut c = Client::new(ws);
        let join = match skills {
            false => json!({"op": "StartQueuing", "queID": q}),
            true => {
                let attributes = json!({"language": LANGUAGES[i % 5], "product": PRODUCTS[(i / 5) % 5]});
                json!({"op": "StartQueuing", "queID": q, "attributes": attributes})
            }
        };
        tokio::spawn(async move {
            c.send(join.clone()).await;
            while Instant::now() < stop {
                let Ok(Some((_, f))) = tokio::time::timeout(Duration::from_secs(1), c.rx.recv()).await else {
                    continue;
                };
                if f["name"] == "ServiceFinished" {
                    c.send(join.clone()).await;
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // warm up
    let before = done.load(Ordering::Relaxed);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let rate = (done.load(Ordering::Relaxed) - before) as f64 / t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await; // let the tasks end
    rate
}

/// 10k waiting in one queue, 20 agents, wrap-up 0: assignments per second.
async fn one_queue_storm(s: &Server) -> f64 {
    let q = s.app("storm", json!({"reofferDelaySeconds": 0}), &["q"]).await[0];
    let customers = s.logins("storm", (0..10_000).map(|i| format!("c{i}")).collect(), 200).await;
    let mut customers: Vec<Client> = customers.into_iter().map(Client::new).collect();
    for c in customers.iter_mut() {
        c.send(json!({"op": "StartQueuing", "queID": q})).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let done = Arc::new(AtomicU64::new(0));
    let agents = s.logins("storm", (0..20).map(|i| format!("a{i}")).collect(), 20).await;
    let started = Instant::now();
    let stop = started + Duration::from_secs(20);
    let mut tasks = Vec::new();
    for ws in agents {
        tasks.push(tokio::spawn(serve_offers(Client::new(ws), q, stop, done.clone(), 10_000)));
    }
    for t in tasks {
        let _ = t.await;
    }
    drop(customers);
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Idle logged-in sessions: the server's memory per session.
async fn idle_sessions(s: &Server, n: usize) -> (f64, f64) {
    s.app("idle", json!({}), &["q"]).await;
    let before = rss_mb(s.pid());
    let sessions = s.logins("idle", (0..n).map(|i| format!("i{i}")).collect(), 200).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_mb(s.pid());
    drop(sessions);
    (after, (after - before) * 1024.0 / n as f64)
}

/// Webhooks on, customers joining and leaving at `rate` cycles per second: delivery lag
/// (event sent → received), backlog, and the Ping p99 meanwhile.
async fn webhooks(s: &Server, rate: u64, secs: u64, subscribe: bool) -> (f64, f64, u64, u64, f64) {
    // The receiver: records when each body arrives, by (userid, eventtype).
    let arrivals: Arc<Mutex<HashMap<(String, u64), VecDeque<Instant>>>> = Arc::default();
    let count = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (a, n) = (arrivals.clone(), count.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let (a, n) = (a.clone(), n.clone());
            async move {
                if let Ok(v) = serde_json::from_str::<Value>(&body) {
                    if let (Some(u), Some(t)) = (v["userid"].as_str(), v["eventtype"].as_u64()) {
                        a.lock().unwrap().entry((u.to_string(), t)).or_default().push_back(Instant::now());
                    }
                }
                n.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let app_id = if subscribe { "hooks" } else { "nohooks" };
    let q = s.app(app_id, json!({}), &["q"]).await[0];
    if subscribe {
        let v = s
            .rest(
                reqwest::Method::PUT,
                "/api/v1/apps/hooks/webhook",
                &s.md5,
                json!({"url": url, "events": ["queue_change", "acd_state"]}),
            )
            .await;
        assert_eq!(v["RspCode"], 0, "{v}");
    }
    // 100 customers, each joining and leaving at rate/100 cycles per second.
    let per = 100u64;
    let customers = s.logins(app_id, (0..per).map(|i| format!("h{i}")).collect(), 100).await;
    let sent: Arc<Mutex<HashMap<(String, u64), VecDeque<Instant>>>> = Arc::default();
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (i, ws) in customers.into_iter().enumerate() {
        let sent = sent.clone();
        let mut c = Client::new(ws);
        let uid = format!("h{i}");
        let period = Duration::from_micros(1_000_000 * per / rate);
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            let mut cycles = 0u64;
            while Instant::now() < stop {
                tick.tick().await;
                sent.lock().unwrap().entry((uid.clone(), 503)).or_default().push_back(Instant::now());
                c.request(json!({"op": "StartQueuing", "queID": q})).await;
                sent.lock().unwrap().entry((uid.clone(), 504)).or_default().push_back(Instant::now());
                c.request(json!({"op": "StopQueuing"})).await;
                cycles += 1;
            }
            cycles
        }));
    }
    let mut ping = Client::new(s.login(app_id, "pinger").await);
    let mut ping_ms = Vec::new();
    while Instant::now() < stop {
        let t = Instant::now();
        ping.request(json!({"op": "Ping"})).await;
        ping_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut cycles = 0;
    for t in tasks {
        cycles += t.await.unwrap();
    }
    let expected = if subscribe { cycles * 4 } else { 0 }; // 503 + 504 + two acd_state steps per cycle
    let backlog_at_end = expected.saturating_sub(count.load(Ordering::Relaxed));
    // Wait for the tail to drain (bounded).
    let drained_by = Instant::now() + Duration::from_secs(30);
    while count.load(Ordering::Relaxed) < expected && Instant::now() < drained_by {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut lags = Vec::new();
    let sent = sent.lock().unwrap();
    let arrivals = arrivals.lock().unwrap();
    for (key, times) in sent.iter() {
        if let Some(got) = arrivals.get(key) {
            for (s, r) in times.iter().zip(got.iter()) {
                lags.push((*r - *s).as_secs_f64() * 1000.0);
            }
        }
    }
    let (lag50, lag99, _) = summary(lags);
    let (_, ping99, _) = summary(ping_ms);
    (lag50, lag99, cycles / secs, backlog_at_end, ping99)
}

#[tokio::main]
async fn main() {
    let bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/lineup-server".into());
    let only: Vec<String> = std::env::args().skip(2).collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    println!("| scenario | measured | goal |");
    println!("|---|---|---|");
    let s = Server::start(&bin, &["--webhook-allow", "127.0.0.1/32"]).await;
    s.app("floor", json!({}), &["q"]).await;
    let (p50, p99) = ping_floor(&s, "floor", 2000).await;
    println!("| floor: WebSocket Ping round trip | p50 {p50:.3} ms, p99 {p99:.3} ms | – |");
    if want("join") {
        let (p50, p99, max) = join_to_offer(&s, "joins", true).await;
        println!("| join → offer, one at a time, 10k waiting, 500 agents | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.1} ms | p50 ≤ 0.5 ms, p99 ≤ 5 ms |");
        let (p50, p99, max) = join_to_offer(&s, "joins-quiet", false).await;
        println!("| the same, queue-user notices off | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.1} ms | – |");
    }
    if want("finish") {
        let (p50, p99, _) = finish_to_offer(&s).await;
        println!("| finish → next offer | p50 {p50:.2} ms (p99 {p99:.2} ms) | p50 ≤ 0.5 ms |");
    }
    if want("sustained") {
        let rate = sustained(&s, "cycles", 500, 1000, true, 10, false).await;
        println!("| sustained cycles, 500 agents watching queue users | {rate:.0}/s | ≥ 2,000/s |");
        let rate = sustained(&s, "quiet", 500, 1000, false, 10, false).await;
        println!("| sustained cycles, queue-user notices off | {rate:.0}/s | ≥ 5,000/s |");
    }
    if want("skills") {
        let plain = sustained(&s, "plain", 500, 1000, false, 10, false).await;
        let skilled = sustained(&s, "skilled", 500, 1000, false, 10, true).await;
        println!(
            "| sustained cycles with skills (20 skills, a requirement on the queue, attributes on every customer), notices off | {skilled:.0}/s ({:.0} % of {plain:.0}/s without, same run) | ≥ 50 % |",
            100.0 * skilled / plain
        );
    }
    if want("storm") {
        let rate = one_queue_storm(&s).await;
        println!("| 10k waiting in one queue, 20 agents | {rate:.0} assignments/s | ≥ 3,000/s |");
    }
    if want("webhooks") {
        let (_, _, cycles_off, _, ping_off) = webhooks(&s, 1000, 20, false).await;
        let (lag50, lag99, cycles, backlog, ping99) = webhooks(&s, 1000, 20, true).await;
        println!(
            "| webhooks on at {cycles} cycles/s (4 deliveries each) | lag p50 {lag50:.1} ms, p99 {lag99:.1} ms; backlog at the end {backlog}; Ping p99 {ping99:.2} ms (same load without webhooks, {cycles_off} cycles/s: {ping_off:.2} ms) | p99 ≤ 1 s, backlog flat, Ping p99 unchanged |"
        );
    }
    drop(s);
    if want("idle") {
        // A server of its own; this process can hold 20,000 descriptors, so 19,000.
        let s = Server::start(&bin, &[]).await;
        let n = 19_000;
        let (total, per) = idle_sessions(&s, n).await;
        println!("| {n} idle logged-in sessions | {total:.0} MB RSS, {per:.1} KB per session (20,000: {:.0} MB) | 20,000 ≤ 400 MB |", total + per * 1000.0 / 1024.0);
    }
}
