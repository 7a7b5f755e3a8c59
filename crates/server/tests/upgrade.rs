//! Upgrades: what the previous release wrote, this one reads. A data directory
//! (SQLite) and a cluster database (PostgreSQL), each with 200 customers waiting in one
//! queue mid-journal (a snapshot, then journal records after it), come back with every
//! customer waiting, in order, resuming with its old session token, and served head
//! first.
//!
//! The fixtures in `tests/fixtures/` were made once, by the previous release's binary,
//! with [`make_fixtures`] (ignored; its doc says how). Keep the old ones and add one
//! for every change of the snapshot or journal format (see `lineup_engine::snapshot`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::cluster::{app_key, Node, BUSY, SECRET};
use common::pg::ThrowawayPg;
use common::*;
use serde_json::{json, Value};

/// Customers waiting in each fixture.
const CUSTOMERS: usize = 200;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn uid(i: usize) -> String {
    format!("c{i:03}")
}

/// A fixture's notes: the queue, and each customer's session token, in queue order.
fn notes(name: &str) -> (u64, Vec<String>) {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap()).unwrap();
    let tokens = v["sessions"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
    (v["queue"].as_u64().unwrap(), tokens)
}

/// Every customer of `queue`, in queue order, as a supervisor of `app` sees them.
async fn waiting(base: &str, ws: &str, app: &str, key: &str, queue: u64) -> Vec<String> {
    let mut sup = login(base, ws, app, key, "supervisor").await;
    let r = sup.request(json!({"op": "GetQueueUsers", "queID": queue, "limit": 1000})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(r["data"]["total"], CUSTOMERS, "{r}");
    r["data"]["users"].as_array().unwrap().iter().map(|u| u["usrID"].as_str().unwrap().to_string()).collect()
}

/// A WebSocket client logged in to `app` as `uid` (REST login, then `Login`).
async fn login(base: &str, ws: &str, app: &str, key: &str, uid: &str) -> Client {
    let http = reqwest::Client::new();
    let body = json!({"appID": app, "md5_appSecret": key, "UID": uid, "nickName": uid});
    let v: Value = http.post(format!("{base}/api/v1/login")).json(&body).send().await.unwrap().json().await.unwrap();
    let ticket = v["ticket"].as_str().unwrap_or_else(|| panic!("login of {uid}: {v}"));
    let mut c = Client::connect(ws).await;
    let r = c.request(json!({"op": "Login", "ticket": ticket})).await;
    assert_eq!(r["err"], 0, "{r}");
    c.session = r["data"]["session"].as_str().unwrap().to_string();
    c
}

/// The head and the tail resume with their old tokens, in their places; an agent is
/// offered the head (the first customer back online).
async fn resume_and_serve(ws: &str, base: &str, app: &str, key: &str, queue: u64, tokens: &[String]) {
    let mut back = Vec::new();
    for i in [0, CUSTOMERS - 1] {
        let mut c = Client::connect(ws).await;
        let r = c.request(json!({"op": "Resume", "session": tokens[i]})).await;
        assert_eq!((r["err"].as_u64(), r["data"]["resumed"].as_bool()), (Some(0), Some(true)), "{}: {r}", uid(i));
        assert_eq!(r["data"]["UID"], uid(i));
        let info = c.notice("QueuingInfoChanged").await;
        assert_eq!((info["queID"].as_u64(), info["position"].as_u64()), (Some(queue), Some(i as u64)), "{}", uid(i));
        back.push(c); // online until the end
    }
    let mut agent = login(base, ws, app, key, "agent").await;
    assert_eq!(agent.request(json!({"op": "StartService", "queID": queue})).await["err"], 0);
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], uid(0), "the head is served first");
}

#[tokio::test]
async fn a_data_directory_of_the_previous_release_keeps_its_200_customers_in_order() {
    let (queue, tokens) = notes("v1-sqlite");
    let dir = temp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixtures().join("v1-sqlite")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    // Mid-journal: a snapshot of the old format, and old-format records after it.
    let config = lineup_server::Config { data_dir: dir.clone(), ..lineup_server::Config::default() };
    let recovered = lineup_server::prepare(config).unwrap().recovered;
    assert!(recovered.snapshot_seq > 0 && recovered.replayed > 0, "{recovered:?}");
    println!("upgrade (SQLite): snapshot at step {}, {} steps replayed", recovered.snapshot_seq, recovered.replayed);

    let server = Server::start_in(dir, |_| {}).await;
    let order = waiting(&server.base, &server.ws_url, "demo", DEMO_KEY, queue).await;
    assert_eq!(order, (0..CUSTOMERS).map(uid).collect::<Vec<_>>(), "all 200, in the order they queued");
    resume_and_serve(&server.ws_url, &server.base, "demo", DEMO_KEY, queue, &tokens).await;
    // Written in the new format from now on, and read back after another restart.
    let dir = server.stop().await;
    let server = Server::start_in(dir, |_| {}).await;
    let order = waiting(&server.base, &server.ws_url, "demo", DEMO_KEY, queue).await;
    assert_eq!(order.len(), CUSTOMERS);
    server.stop().await;
}

#[tokio::test]
async fn a_node_of_this_release_takes_over_an_app_journaled_by_the_previous_one() {
    let (queue, tokens) = notes("v1-postgres");
    let pg = ThrowawayPg::start();
    pg.load(&fixtures().join("v1-postgres.sql"));
    // The old node is gone (its lease ran out long ago): a new one takes the app.
    let node = Node::start(&pg.url(), "new-1");
    let (base, ws) = (format!("http://{}", node.addr), node.ws());
    let key = app_key(BUSY);
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let health = http.get(format!("{base}/healthz")).send().await.ok();
        let apps = match health {
            Some(r) => r.json::<Value>().await.unwrap_or(Value::Null)["apps"].clone(),
            None => Value::Null,
        };
        if apps.as_array().is_some_and(|a| a.iter().any(|x| x == BUSY)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the new node never took {BUSY}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let order = waiting(&base, &ws, BUSY, &key, queue).await;
    assert_eq!(order, (0..CUSTOMERS).map(uid).collect::<Vec<_>>(), "all 200, in the order they queued");
    resume_and_serve(&ws, &base, BUSY, &key, queue, &tokens).await;
}

/// A server process of another build.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("127.0.0.1:{port}")
}

/// Starts `bin` on `addr` with `args`, a snapshot every 250 journal steps, and waits
/// until it answers.
async fn start_process(bin: &str, addr: &str, args: &[&str]) -> Process {
    let child = Command::new(bin)
        .args(["--listen", addr, "--no-media", "--admin-key", ADMIN_KEY])
        .args(args)
        .env("LINEUP_SNAPSHOT_STEPS", "250")
        .env("LINEUP_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let p = Process(child);
    let started = Instant::now();
    while reqwest::get(format!("http://{addr}/healthz")).await.map_or(true, |r| r.status() != 200) {
        assert!(started.elapsed() < Duration::from_secs(20), "{bin} never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p
}

/// 200 customers queue in `queue` one after another; their clients (kept open) and
/// session tokens.
async fn queue_customers(base: &str, ws: &str, app: &str, key: &str, queue: u64) -> (Vec<Client>, Vec<String>) {
    let mut clients = Vec::new();
    for i in 0..CUSTOMERS {
        let mut c = login(base, ws, app, key, &uid(i)).await;
        let r = c.request(json!({"op": "StartQueuing", "queID": queue})).await;
        assert_eq!(r["err"], 0, "{r}");
        clients.push(c);
    }
    let tokens = clients.iter().map(|c| c.session.clone()).collect();
    (clients, tokens)
}

fn write_notes(name: &str, queue: u64, tokens: &[String]) {
    let v = json!({"queue": queue, "sessions": tokens});
    std::fs::write(fixtures().join(format!("{name}.json")), serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// Makes the fixtures with the previous release's `lineup-server`:
///
/// ```sh
/// git worktree add ../previous <the commit before the format change>
/// (cd ../previous && cargo build -p lineup-server)
/// LINEUP_PREVIOUS_SERVER=../previous/target/debug/lineup-server LINEUP_FIXTURE=v1 \
///   cargo test -p lineup-server --test upgrade -- --ignored --exact make_fixtures
/// ```
///
/// Each has 200 customers queued one after another and the server killed (-9) with
/// them waiting, a snapshot behind them (every 250 steps) and records after it.
#[tokio::test]
#[ignore = "makes the fixtures with a previous release's binary; run by hand"]
async fn make_fixtures() {
    let bin =
        std::env::var("LINEUP_PREVIOUS_SERVER").expect("LINEUP_PREVIOUS_SERVER: the previous release's lineup-server");
    let name = std::env::var("LINEUP_FIXTURE").expect("LINEUP_FIXTURE: the fixtures' name (v1, v2, …)");
    std::fs::create_dir_all(fixtures()).unwrap();

    // A single node on SQLite: the demo app's queue 3.
    let dir = temp_dir();
    let addr = free_addr();
    let server = start_process(&bin, &addr, &["--data", dir.to_str().unwrap()]).await;
    let (base, ws) = (format!("http://{addr}"), format!("ws://{addr}/ws"));
    let (clients, tokens) = queue_customers(&base, &ws, "demo", DEMO_KEY, 3).await;
    drop(server); // kill -9, the customers waiting
    drop(clients);
    let out = fixtures().join(format!("{name}-sqlite"));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_file() && !file.ends_with("-shm") {
            std::fs::copy(&path, out.join(file)).unwrap();
        }
    }
    // The write-ahead log folded into the database file (as SQLite does on the next
    // open), so that the fixture is one small file with the same rows.
    let db = rusqlite::Connection::open(out.join("lineup.sqlite3")).unwrap();
    db.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
    db.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(db);
    write_notes(&format!("{name}-sqlite"), 3, &tokens);

    // A cluster node on PostgreSQL: an app of its own with one queue.
    let pg = ThrowawayPg::start();
    let addr = free_addr();
    let args = ["--database", &pg.url(), "--cluster-secret", SECRET, "--node-id", "old-1", "--no-demo"];
    let node = start_process(&bin, &addr, &args).await;
    let (base, ws) = (format!("http://{addr}"), format!("ws://{addr}/ws"));
    let http = reqwest::Client::new();
    let body = json!({"appID": BUSY, "appSecret": format!("secret of {BUSY}")});
    let r = http.post(format!("{base}/api/v1/apps")).bearer_auth(ADMIN_KEY).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let key = app_key(BUSY);
    let started = Instant::now();
    let queue = loop {
        let r = http
            .post(format!("{base}/api/v1/apps/{BUSY}/queues"))
            .bearer_auth(&key)
            .json(&json!({"QueueName": "q"}))
            .send()
            .await;
        if let Ok(r) = r {
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if let Some(id) = v["Data"]["QueueID"].as_u64() {
                break id;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no queue");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (clients, tokens) = queue_customers(&base, &ws, BUSY, &key, queue).await;
    drop(node);
    drop(clients);
    std::fs::write(fixtures().join(format!("{name}-postgres.sql")), pg.dump()).unwrap();
    write_notes(&format!("{name}-postgres"), queue, &tokens);
}
