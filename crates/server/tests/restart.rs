//! Restarts of the real `lineup-server` binary on the same data directory, stopped with
//! SIGTERM and with SIGKILL: 1,000 customers waiting over 3 queues, 20 agents, offers
//! pending, 5 calls in progress, a customer just forwarded. After the restart every
//! client resumes with its token: nobody is lost, every queue keeps its order, the
//! calls are still connected, ids continue, and the webhook receiver sees no spurious
//! 504/100 and no event twice.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::receiver::{Behaviour, Receiver};
use common::{temp_dir, Client, DEMO_KEY};
use futures_util::future::join_all;
use serde_json::{json, Value};

const CUSTOMERS: usize = 1000;
const QUEUES: [u64; 3] = [1, 2, 3];

/// The server as a process of its own, on a fixed port and data directory.
struct Proc {
    child: Child,
    port: u16,
    http: reqwest::Client,
}

impl Proc {
    async fn start(port: u16, data: &Path) -> (Proc, Duration) {
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_lineup-server"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
            .args(["--www", "/nonexistent", "--sdk", "/nonexistent", "--webhook-allow", "127.0.0.1/32"])
            .env("LINEUP_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("lineup-server starts");
        let p = Proc { child, port, http: reqwest::Client::new() };
        for _ in 0..400 {
            if let Ok(r) = p.http.get(format!("{}/healthz", p.base())).send().await {
                if r.status() == 200 {
                    return (p, started.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server did not answer /healthz within 10 s");
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn ws(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base())).bearer_auth(DEMO_KEY);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    async fn ticket(&self, uid: &str) -> String {
        let body = json!({"appID": "demo", "md5_appSecret": DEMO_KEY, "UID": uid, "nickName": uid});
        let v: Value = self.http.post(format!("{}/api/v1/login", self.base())).json(&body).send().await.unwrap().json().await.unwrap();
        v["ticket"].as_str().unwrap_or_else(|| panic!("ticket for {uid}: {v}")).to_string()
    }

    async fn client(&self, uid: &str) -> Client {
        let ticket = self.ticket(uid).await;
        let mut c = Client::connect(&self.ws()).await;
        let r = c.request(json!({"op": "Login", "ticket": ticket})).await;
        assert_eq!(r["err"], 0, "{uid}: {r}");
        c.session = r["data"]["session"].as_str().unwrap().to_string();
        c
    }

    fn signal(&mut self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok, "kill {sig}");
    }

    /// Waits for the process to end; its exit status.
    async fn exited(&mut self) -> std::process::ExitStatus {
        for _ in 0..400 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server did not exit within 10 s");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Logs in many users at once (bounded batches).
async fn clients(p: &Proc, uids: &[String]) -> Vec<Client> {
    let mut out = Vec::new();
    for batch in uids.chunks(100) {
        out.extend(join_all(batch.iter().map(|u| p.client(u))).await);
    }
    out
}

/// Resumes each client's session on a new connection to `p`; the reply of each.
async fn resume_all(p: &Proc, old: Vec<Client>) -> Vec<(Client, Value)> {
    let mut out = Vec::new();
    let mut old = old.into_iter().peekable();
    while old.peek().is_some() {
        let batch: Vec<Client> = old.by_ref().take(100).collect();
        out.extend(
            join_all(batch.into_iter().map(|c| async move {
                let mut n = Client::connect(&p.ws()).await;
                let r = n.request(json!({"op": "Resume", "session": c.session})).await;
                n.session = c.session.clone();
                drop(c);
                (n, r)
            }))
            .await,
        );
    }
    out
}

/// Every queue's customers in order, as an agent serving all of them lists them.
async fn queue_orders(agent: &mut Client) -> BTreeMap<u64, Vec<String>> {
    let mut orders = BTreeMap::new();
    for q in QUEUES {
        let r = agent.request(json!({"op": "GetQueueUsers", "queID": q, "limit": 1000})).await;
        assert_eq!(r["err"], 0, "{r}");
        let users: Vec<String> = r["data"]["users"].as_array().unwrap().iter().map(|u| u["usrID"].as_str().unwrap().to_string()).collect();
        orders.insert(q, users);
    }
    orders
}

/// Waits until the receiver's count stops growing; what it has.
async fn settled(rx: &Receiver) -> Vec<common::receiver::Received> {
    let mut last = usize::MAX;
    for _ in 0..100 {
        let n = rx.accepted().len();
        if n == last {
            break;
        }
        last = n;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    rx.accepted()
}

fn number_of(call_id: &str) -> u64 {
    call_id.trim_start_matches("call-").parse().unwrap()
}

async fn restart_keeps_everyone(signal: &str) {
    let rx = Receiver::start(Behaviour::default()).await;
    let data = temp_dir();
    let port = free_port();
    let (mut p, _) = Proc::start(port, &data).await;
    let settings = json!({"holdSeconds": 300, "offerTimeoutSeconds": 300, "callTimeoutSeconds": 300, "reofferDelaySeconds": 0});
    assert_eq!(p.call(reqwest::Method::PUT, "/api/v1/apps/demo/settings", Some(settings)).await["RspCode"], 0);
    let hook = json!({"url": rx.url("/biz"), "events": ["queue_change", "acd_state", "call_event"]});
    assert_eq!(p.call(reqwest::Method::PUT, "/api/v1/apps/demo/webhook", Some(hook)).await["RspCode"], 0);

    // 20 agents: 0-4 serve queue 1 and will be in calls, 5-9 serve queue 2 and get
    // offers they leave pending, 10-19 serve every queue in manual mode (DND).
    let agent_ids: Vec<String> = (0..20).map(|i| format!("agent{i:02}")).collect();
    let mut agents = clients(&p, &agent_ids).await;
    for a in &mut agents[10..] {
        assert_eq!(a.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await["err"], 0);
        for q in QUEUES {
            assert_eq!(a.request(json!({"op": "StartService", "queID": q})).await["err"], 0);
        }
    }
    for a in &mut agents[..5] {
        assert_eq!(a.request(json!({"op": "StartService", "queID": 1})).await["err"], 0);
    }
    // Five customers in calls with agents 0-4.
    let vip_ids: Vec<String> = (0..5).map(|i| format!("vip{i}")).collect();
    let mut vips = clients(&p, &vip_ids).await;
    let mut calls = BTreeMap::new();
    for v in &mut vips {
        assert_eq!(v.request(json!({"op": "StartQueuing", "queID": 1})).await["err"], 0);
    }
    // Which customer each agent gets is the dispatcher's choice (agents free since the
    // same millisecond are taken in session order), so it is read, not assumed.
    let mut served = Vec::new();
    for a in &mut agents[..5] {
        let offer = a.notice("AutoAssignUser").await;
        let who = offer["usrID"].as_str().unwrap().to_string();
        served.push(who.clone());
        assert_eq!(a.request(json!({"op": "AcceptAssignUser", "queID": 1, "usrID": who})).await["err"], 0);
        let meet = a.request(json!({"op": "CreateMeeting", "subject": "help"})).await["data"]["ID"].as_u64().unwrap();
        let call = a.request(json!({"op": "Call", "UID": who, "meetID": meet})).await;
        calls.insert(who, call["data"]["callID"].as_str().unwrap().to_string());
    }
    for (v, uid) in vips.iter_mut().zip(&vip_ids) {
        let call_id = v.notice("NotifyCallIn").await["callID"].as_str().unwrap().to_string();
        assert_eq!(call_id, calls[uid]);
        assert_eq!(v.request(json!({"op": "AcceptCall", "callID": call_id})).await["err"], 0);
    }
    for a in &mut agents[5..10] {
        assert_eq!(a.request(json!({"op": "StartService", "queID": 2})).await["err"], 0);
    }
    // 1,000 customers over the three queues.
    let customer_ids: Vec<String> = (0..CUSTOMERS).map(|i| format!("cust{i:04}")).collect();
    let mut customers = clients(&p, &customer_ids).await;
    for (i, c) in customers.iter_mut().enumerate() {
        let r = c.request(json!({"op": "StartQueuing", "queID": QUEUES[i % 3], "usrExtDat": format!("order {i}")})).await;
        assert_eq!(r["err"], 0, "{r}");
    }
    // Agents 5-9 each hold an offer they have not answered.
    let mut pending = BTreeMap::new();
    for (i, a) in agents[5..10].iter_mut().enumerate() {
        pending.insert(i + 5, a.notice("AutoAssignUser").await["usrID"].as_str().unwrap().to_string());
    }
    // A customer of queue 3 moved to queue 1; a queue made and deleted; a ticket used.
    let moved = customer_ids[2].clone();
    let r = p.call(reqwest::Method::POST, "/api/v1/apps/demo/queues/3/forward", Some(json!({"usrID": moved, "toQueID": 1}))).await;
    assert_eq!(r["RspCode"], 0, "{r}");
    let r = p.call(reqwest::Method::POST, "/api/v1/apps/demo/queues", Some(json!({"QueueName": "temporary"}))).await;
    let temp_id = r["Data"]["QueueID"].as_u64().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(p.call(reqwest::Method::DELETE, &format!("/api/v1/apps/demo/queues/{temp_id}"), None).await["RspCode"], 0);
    let used_ticket = p.ticket("ticket-user").await;
    let mut ticket_user = Client::connect(&p.ws()).await;
    assert_eq!(ticket_user.request(json!({"op": "Login", "ticket": used_ticket})).await["err"], 0);

    let before = queue_orders(&mut agents[10]).await;
    assert_eq!(before.values().map(Vec::len).sum::<usize>(), CUSTOMERS);
    assert!(vip_ids.iter().all(|v| !before[&1].contains(v)), "the served customers are not queuing");
    assert!(before[&1].contains(&moved) && !before[&3].contains(&moved));
    let events_before = settled(&rx).await;
    let max_event_id = |calls_seen: &[common::receiver::Received]| -> u64 {
        calls_seen
            .iter()
            .filter(|r| r.headers["x-lineup-event"] == "call_event")
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["eventid"].as_u64().unwrap())
            .max()
            .unwrap_or(0)
    };
    let max_task = |seen: &[common::receiver::Received]| -> u64 {
        seen.iter()
            .filter(|r| r.headers["x-lineup-event"] == "acd_state")
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["id"].as_str().unwrap().parse::<u64>().unwrap())
            .max()
            .unwrap()
    };
    let (events_max, tasks_max) = (max_event_id(&events_before), max_task(&events_before));
    assert!(events_max > 0);

    // Stop it.
    p.signal(signal);
    let status = p.exited().await;
    if signal == "-TERM" {
        assert!(status.success(), "a graceful stop exits 0: {status:?}");
        assert_eq!(customers[0].closed().await, (1001, "server restarting".to_string()));
    } else {
        assert_eq!(customers[0].closed().await.0, 1006, "killed: no close frame");
    }
    drop(p);

    // Start again on the same data; every client resumes.
    let (p, took) = Proc::start(port, &data).await;
    println!("{signal}: serving again {} ms after start", took.as_millis());
    let mut all: Vec<Client> = Vec::new();
    all.extend(agents);
    all.extend(vips);
    all.extend(customers);
    let resumed = resume_all(&p, all).await;
    let failed: Vec<&Value> = resumed.iter().map(|(_, r)| r).filter(|r| r["err"] != 0).collect();
    assert!(failed.is_empty(), "{} of {} resumes failed, e.g. {:?}", failed.len(), resumed.len(), failed.first());
    let mut clients: Vec<Client> = resumed.into_iter().map(|(c, _)| c).collect();
    let mut customers = clients.split_off(25);
    let mut vips = clients.split_off(20);
    let mut agents = clients;

    // Nobody lost, the same order everywhere.
    let after = queue_orders(&mut agents[10]).await;
    assert_eq!(after, before, "every queue keeps its order");
    for (i, c) in customers.iter_mut().enumerate().step_by(97) {
        let info = c.request(json!({"op": "GetQueuingInfo"})).await;
        let q = info["data"]["queID"].as_u64().unwrap();
        let pos = info["data"]["position"].as_u64().unwrap() as usize;
        assert_eq!(after[&q][pos], customer_ids[i], "{info}");
    }
    // The calls are still connected.
    for (v, uid) in vips.iter_mut().zip(&vip_ids) {
        let info = v.request(json!({"op": "GetSessionInfo"})).await;
        assert_eq!((info["data"]["callID"].as_str(), info["data"]["bCallAccepted"].as_u64()), (Some(calls[uid].as_str()), Some(1)), "{info}");
    }
    // The pending offers went back to the head (in their order), and those agents get
    // offers again once customers are back.
    let heads: BTreeSet<&String> = after[&2][..5].iter().collect();
    assert_eq!(heads, pending.values().collect::<BTreeSet<_>>());
    for a in &mut agents[5..10] {
        assert_eq!(a.notice("AutoAssignUser").await["queID"], 2);
    }
    // Ids continue: call events, ACD tasks, call ids, queue ids; the ticket stays used.
    assert_eq!(agents[0].request(json!({"op": "HoldCall", "callID": calls[&served[0]]})).await["err"], 0);
    let held = agents[0].notice("NotifyCallEvent").await;
    assert!(held["eventid"].as_u64().unwrap() > events_max, "{held} after {events_max}");
    let mut late = p.client("late-customer").await;
    assert_eq!(late.request(json!({"op": "StartQueuing", "queID": 3})).await["err"], 0);
    let r = p.call(reqwest::Method::POST, "/api/v1/apps/demo/queues", Some(json!({"QueueName": "after restart"}))).await;
    assert!(r["Data"]["QueueID"].as_u64().unwrap() > temp_id, "a deleted queue's id is not handed out again: {r}");
    let meet = agents[10].request(json!({"op": "CreateMeeting"})).await["data"]["ID"].as_u64().unwrap();
    let call = agents[10].request(json!({"op": "Call", "UID": "late-customer", "meetID": meet})).await;
    let newest = calls.values().map(|c| number_of(c)).max().unwrap();
    assert!(number_of(call["data"]["callID"].as_str().unwrap()) > newest, "{call}");
    let mut again = Client::connect(&p.ws()).await;
    let r = again.request(json!({"op": "Login", "ticket": used_ticket})).await;
    assert_eq!(r["err"], 18, "a ticket used before the restart stays used: {r}");

    // Webhooks: nothing twice, no 504/100, and the ids go on.
    let events_after = settled(&rx).await;
    assert!(max_task(&events_after) > tasks_max);
    let mut bodies = BTreeSet::new();
    for r in &events_after {
        assert!(bodies.insert((r.headers["x-lineup-event"].to_str().unwrap().to_string(), r.body.clone())), "delivered twice: {}", r.body);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert!(!(v["eventtype"] == 504 && v["errorcode"] == 100), "spurious drop: {}", r.body);
    }
    let event_ids: BTreeSet<&str> = events_after.iter().map(|r| r.headers["x-lineup-event-id"].to_str().unwrap()).collect();
    assert_eq!(event_ids.len(), events_after.len(), "event ids are unique");
    let enters = events_after.iter().filter(|r| r.body.contains("\"eventtype\":503")).count();
    assert_eq!(enters, CUSTOMERS + 5 + 1 + 1, "one 503 per StartQueuing and per forward, none again");
    drop(p);
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_restart_keeps_every_customer_agent_and_call() {
    restart_keeps_everyone("-TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_restart_keeps_every_customer_agent_and_call() {
    restart_keeps_everyone("-KILL").await;
}

/// The journal cannot be written (another process holds SQLite's write lock past the
/// busy timeout): the server answers nothing of the turn that failed, exits with 70, and
/// after a restart the request is not there — nothing was acknowledged that is not durable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_journal_stops_the_server_with_70_and_acknowledges_nothing() {
    let data = temp_dir();
    let port = free_port();
    let (mut p, _) = Proc::start(port, &data).await;
    let mut carl = p.client("carl").await;
    // Committed: the login. Then the lock, held by another connection.
    let lock = rusqlite::Connection::open(data.join("lineup.sqlite3")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let reply = carl.try_request(json!({"op": "StartQueuing", "queID": QUEUES[0]}), Duration::from_secs(30)).await;
    assert!(!matches!(&reply, Some(r) if r["err"] == 0), "acknowledged without a journal: {reply:?}");
    let mut status = None;
    for _ in 0..300 {
        status = p.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status.expect("the server exits").code(), Some(70));
    drop(lock);
    drop(p);

    let (p, _) = Proc::start(port, &data).await;
    let mut anna = p.client("anna").await;
    let r = anna.request(json!({"op": "StartService", "queID": QUEUES[0]})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(queue_orders(&mut anna).await[&QUEUES[0]], Vec::<String>::new(), "carl's unacknowledged join was kept");
    drop(p);
    let _ = std::fs::remove_dir_all(&data);
}
