//! What an attacker or a bad network tries, one test per finding, each failing before
//! its fix: a REST request that panicked the hub, a panic anywhere in a request, a
//! client that does not read, a peer that vanished, sockets and requests that never
//! finish, guessing secrets, webhooks aimed at internal addresses, leaks between
//! tenants, and errors that did not name the field.

mod common;

use std::time::{Duration, Instant};

use common::receiver::{Behaviour, Receiver};
use common::{Client, Server, ADMIN_KEY, DEMO_KEY};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn health(server: &Server) -> Value {
    server.http.get(format!("{}/healthz", server.base)).send().await.unwrap().json().await.unwrap()
}

/// Finding 1: `PageNumber=4294967295` overflowed `(page - 1) * size` on the hub.
#[tokio::test]
async fn a_huge_page_number_is_an_empty_page_and_every_app_keeps_working() {
    let server = Server::start().await;
    let (status, v) = server.get("/api/v1/apps/demo/queues?PageNumber=4294967295&PageSize=50", Some(DEMO_KEY)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["Data"]["queueCount"].as_u64(), v["Data"]["queueList"].as_array().map(Vec::len)), (Some(3), Some(0)));
    let (status, _) = server.get("/api/v1/apps/demo/queues?PageNumber=1&PageSize=50", Some(DEMO_KEY)).await;
    assert_eq!(status, 200);
    let mut c = server.client("after").await;
    assert_eq!(c.request(json!({"op": "StartQueuing", "queID": 3})).await["err"], 0);
    assert_eq!(health(&server).await["status"], "ok");
    server.stop().await;
}

/// Any panic while handling one request: that request is refused (500 / err 3), what
/// it did is rolled back, and everybody else goes on; `/healthz` answers from the hub.
#[tokio::test]
async fn a_panicking_request_is_refused_rolled_back_and_the_server_serves_on() {
    let dir = common::temp_dir();
    let server = Server::start_in(dir.clone(), |c| c.fault_queue_name = Some("boom".into())).await;
    let mut waiting = server.client("waiting").await;
    assert_eq!(waiting.request(json!({"op": "StartQueuing", "queID": 2})).await["err"], 0);
    let (status, v) = server.post("/api/v1/apps/demo/queues", Some(DEMO_KEY), json!({"QueueName": "boom"})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (500, Some(5)), "{v}");
    assert!(v["RspDesc"].as_str().unwrap().contains("nothing of it was applied"), "{v}");
    let (_, list) = server.get("/api/v1/apps/demo/queues?QueueName=boom", Some(DEMO_KEY)).await;
    assert_eq!(list["Data"]["queueCount"], 0, "the half-made queue is gone: {list}");
    // The rest goes on: the waiting customer, new requests, new queues.
    assert_eq!(waiting.request(json!({"op": "GetQueuingInfo"})).await["data"]["queID"], 2);
    let (status, v) = server.post("/api/v1/apps/demo/queues", Some(DEMO_KEY), json!({"QueueName": "fine"})).await;
    assert_eq!(status, 200, "{v}");
    let h = health(&server).await;
    assert_eq!((h["status"].as_str(), h["refusedPanics"].as_u64()), (Some("ok"), Some(1)), "{h}");
    // And nothing of it comes back after a restart.
    drop(waiting);
    let dir = server.stop().await;
    let server = Server::start_in(dir, |_| {}).await;
    let (_, list) = server.get("/api/v1/apps/demo/queues", Some(DEMO_KEY)).await;
    let names: Vec<&str> = list["Data"]["queueList"].as_array().unwrap().iter().map(|q| q["QueueName"].as_str().unwrap()).collect();
    assert!(names.contains(&"fine") && !names.contains(&"boom"), "{names:?}");
    server.stop().await;
}

/// Finding 2: an agent that never reads while customers churn; before, its queue grew
/// without bound. Now it is cut (4003, or the socket just ends when even the close
/// frame cannot be written) and its session is held.
#[tokio::test]
async fn a_client_that_does_not_read_is_cut_and_its_session_held() {
    let server = Server::start_with(|c| {
        c.send_queue_frames = 16;
        c.heartbeat_s = 1;
    })
    .await;
    let mut slow = server.client("slow-agent").await;
    assert_eq!(slow.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await["err"], 0);
    assert_eq!(slow.request(json!({"op": "StartService", "queID": 3})).await["err"], 0);
    // 40 customers with 4 KB of data each: every GetQueueUsers reply is ~160 KB. The
    // agent keeps asking and never reads.
    let big = "x".repeat(4_000);
    let mut customers = Vec::new();
    for i in 0..40 {
        let mut c = server.client(&format!("c{i}")).await;
        assert_eq!(c.request(json!({"op": "StartQueuing", "queID": 3, "usrExtDat": big})).await["err"], 0);
        customers.push(c);
    }
    for seq in 100..400 {
        slow.send_text(&json!({"seq": seq, "op": "GetQueueUsers", "queID": 3, "limit": 1000}).to_string()).await;
    }
    // Cut when its queue is full and the socket does not move for 2 s; closing takes
    // at most 5 s more; then the session is held.
    let started = Instant::now();
    loop {
        let (_, agents) = server.get("/api/v1/apps/demo/agents", Some(DEMO_KEY)).await;
        if agents["Data"].as_array().unwrap().iter().any(|a| a["UID"] == "slow-agent" && a["online"] == false) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the slow agent was not cut within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (code, _) = slow.closed().await;
    assert!(code == 4003 || code == 1006, "closed with {code}");
    let mut back = Client::connect(&server.ws_url).await;
    assert_eq!(back.request(json!({"op": "Resume", "session": slow.session})).await["err"], 0, "held, not gone");
    server.stop().await;
}

/// Finding 2b: replies never echo unbounded input.
#[tokio::test]
async fn replies_do_not_echo_large_input() {
    let server = Server::start().await;
    let mut c = Client::connect(&server.ws_url).await;
    let op = "A".repeat(60_000);
    let r = c.request(json!({"op": op})).await;
    assert_eq!(r["err"], 6);
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.len() < 200 && msg.starts_with("unknown op \"AAAA"), "{} bytes: {}", msg.len(), &msg[..80.min(msg.len())]);
    let field = "f".repeat(30_000);
    let r = c.request(json!({"op": "StartQueuing", "queID": 1, field: 1})).await;
    assert!(r["msg"].as_str().unwrap().len() < 300, "{}", r["msg"].as_str().unwrap().len());
    server.stop().await;
}

/// Finding 3: a peer that vanished (no reads, no pongs, no FIN) was never let go.
#[tokio::test]
async fn a_vanished_peer_is_let_go_and_its_hold_runs_out() {
    let server = Server::start_with(|c| c.heartbeat_s = 1).await;
    server.demo_settings(json!({"holdSeconds": 2})).await;
    let mut gone = server.client("gone").await;
    assert_eq!(gone.request(json!({"op": "StartQueuing", "queID": 3})).await["err"], 0);
    let mut agent = server.client("agent").await;
    assert_eq!(agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await["err"], 0);
    assert_eq!(agent.request(json!({"op": "StartService", "queID": 3})).await["err"], 0);
    // `gone` neither reads nor answers from now on. Heartbeat close at ~2 s, close
    // deadline 5 s, then held for 2 s: after ~10 s the session has ended.
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = agent.request(json!({"op": "GetQueueUsers", "queID": 3})).await;
        if r["data"]["total"] == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the vanished customer still waits after 15 s");
    }
    let mut back = Client::connect(&server.ws_url).await;
    assert_eq!(back.request(json!({"op": "Resume", "session": gone.session})).await["err"], 12, "its hold ran out");
    drop(gone);
    server.stop().await;
}

/// Finding 4: sockets that never log in, requests that never finish, secrets guessed
/// at full speed.
#[tokio::test]
async fn a_socket_must_log_in_in_time() {
    let server = Server::start_with(|c| c.login_timeout_s = 1).await;
    let mut idle = Client::connect(&server.ws_url).await;
    let started = Instant::now();
    let (code, reason) = idle.closed().await;
    assert_eq!(code, 4004, "{reason}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // One that logs in in time stays.
    let mut c = server.client("quick").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(c.request(json!({"op": "Ping"})).await["err"], 0);
    server.stop().await;
}

#[tokio::test]
async fn too_many_sockets_waiting_to_log_in_from_one_address_get_429() {
    let server = Server::start_with(|c| c.max_pre_login_per_ip = 3).await;
    let mut waiting = Vec::new();
    for _ in 0..3 {
        waiting.push(Client::connect(&server.ws_url).await);
    }
    match tokio_tungstenite::connect_async(&server.ws_url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 429);
            assert!(resp.headers().contains_key("retry-after"));
        }
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
    // Logging one in frees its place.
    let ticket = server.ticket("first").await;
    assert_eq!(waiting[0].request(json!({"op": "Login", "ticket": ticket})).await["err"], 0);
    let _another = Client::connect(&server.ws_url).await;
    server.stop().await;
}

#[tokio::test]
async fn a_half_sent_request_is_dropped_after_the_header_deadline() {
    let server = Server::start_with(|c| c.header_timeout_s = 1).await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap(); // never finished
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server did not drop the half-sent request within 5 s");
    assert!(started.elapsed() < Duration::from_secs(4));
    server.stop().await;
}

#[tokio::test]
async fn wrong_secrets_are_throttled_with_429_and_retry_after() {
    let server = Server::start_with(|c| {
        c.failed_logins_burst = 5;
        c.failed_logins_per_minute = 6;
    })
    .await;
    for _ in 0..5 {
        let (status, _) = server.get("/api/v1/apps/demo/queues", Some("0123456789abcdef0123456789abcdef")).await;
        assert_eq!(status, 401);
    }
    let resp = server.http.get(format!("{}/api/v1/apps/demo/queues", server.base)).bearer_auth("nope").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    let v: Value = resp.json().await.unwrap();
    assert_eq!((v["RspCode"].as_u64(), v["err"].as_u64()), (Some(7), Some(33)), "{v}");
    // Logins from the address are throttled too, until the bucket refills.
    let (status, v) = server.post("/api/v1/login", None, json!({"appID": "demo", "md5_appSecret": "x", "UID": "u"})).await;
    assert_eq!((status, v["err"].as_u64()), (429, Some(33)));
    server.stop().await;
}

/// Finding 7: webhooks aimed at the metadata service or loopback.
#[tokio::test]
async fn webhooks_to_internal_addresses_are_refused_when_saved_and_when_delivered() {
    // The test's own name for loopback, whatever this machine's hosts file says.
    let server = Server::start_with(|c| {
        c.webhook_allow.clear();
        c.webhook_hosts = vec![("receiver.lineup-test".into(), std::net::Ipv4Addr::LOCALHOST.into())];
    })
    .await;
    for url in ["http://169.254.169.254/latest/meta-data", "http://127.0.0.1:9/x", "http://[::1]/x", "http://localhost:8080/", "http://10.0.0.5/"] {
        let (status, v) = server.put("/api/v1/apps/demo/webhook", Some(DEMO_KEY), json!({"url": url, "events": ["queue_change"]})).await;
        assert_eq!(status, 400, "{url}: {v}");
        assert!(v["RspDesc"].as_str().unwrap().starts_with("refused: "), "{url}: {v}");
    }
    let (status, v) = server.post("/api/v1/apps/demo/agents/ann/events", Some(DEMO_KEY), json!({"event_type": "agent-login", "method": "GET", "url": "http://169.254.169.254/"})).await;
    assert_eq!(status, 400, "{v}");
    // A name is checked where it resolves, at delivery: "receiver.lineup-test" is
    // 127.0.0.1, where a receiver listens.
    let rx = Receiver::start(Behaviour::default()).await;
    let url = rx.url("/biz").replace("127.0.0.1", "receiver.lineup-test");
    let (status, v) = server.put("/api/v1/apps/demo/webhook", Some(DEMO_KEY), json!({"url": url, "events": ["queue_change"]})).await;
    assert_eq!(status, 200, "{v}");
    let mut c = server.client("c").await;
    c.request(json!({"op": "StartQueuing", "queID": 3})).await;
    let started = Instant::now();
    let error = loop {
        let (_, v) = server.get("/api/v1/apps/demo/deliveries", Some(DEMO_KEY)).await;
        if let Some(e) = v["Data"]["deliveries"].as_array().and_then(|d| d.first()).and_then(|d| d["lastError"].as_str()) {
            break e.to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no delivery attempt: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(error.starts_with("refused: 127.0.0.1 is a loopback address"), "{error}");
    assert!(rx.requests().is_empty(), "nothing reached the receiver: {:?}", rx.requests());
    server.stop().await;
}

/// Finding 8: call ids across apps, and what a customer may call.
#[tokio::test]
async fn call_ids_are_per_app_and_customers_call_only_their_agent() {
    let server = Server::start().await;
    let (status, v) = server.post("/api/v1/apps", Some(ADMIN_KEY), json!({"appID": "beta", "appSecret": "b"})).await;
    assert_eq!(status, 200, "{v}");
    let beta_key = "92eb5ffee6ae2fec3ad71c777531578f"; // md5("b")
    // App beta has call "shared-call-0001" in progress.
    let beta_login = |uid: &'static str| {
        let server = &server;
        async move {
            let (_, v) = server.post("/api/v1/login", None, json!({"appID": "beta", "md5_appSecret": beta_key, "UID": uid})).await;
            let mut c = Client::connect(&server.ws_url).await;
            let r = c.request(json!({"op": "Login", "ticket": v["ticket"]})).await;
            assert_eq!(r["err"], 0, "{r}");
            c
        }
    };
    let mut b1 = beta_login("b1").await;
    let mut b2 = beta_login("b2").await;
    let beta_room = b1.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].clone();
    let r = b1.request(json!({"op": "Call", "UID": "b2", "meetID": beta_room, "callID": "shared-call-0001"})).await;
    assert_eq!(r["err"], 0, "{r}");
    // App demo may use the same id: nothing of beta shows, and beta's call stays beta's.
    let mut d1 = server.client("d1").await;
    let mut d2 = server.client("d2").await;
    let room = d1.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].clone();
    let r = d1.request(json!({"op": "Call", "UID": "d2", "meetID": room, "callID": "shared-call-0001"})).await;
    assert_eq!((r["err"].as_u64(), r["data"]["callID"].as_str()), (Some(0), Some("shared-call-0001")), "{r}");
    let call_in = d2.notice("NotifyCallIn").await;
    assert_eq!((call_in["callerID"].as_str(), &call_in["meetObj"]["ID"]), (Some("d1"), &room), "{call_in}");
    assert_eq!(d2.request(json!({"op": "AcceptCall", "callID": "shared-call-0001"})).await["err"], 0);
    assert_eq!(d1.notice("NotifyCallAccepted").await["meetObj"]["ID"], room);
    // Each session sees its own app's call (asked after the accept, so anything the
    // accept sent a beta session arrives before its answer).
    for (c, peer, meeting, accepted) in [(&mut d1, "d2", &room, 1), (&mut d2, "d1", &room, 1), (&mut b1, "b2", &beta_room, 0), (&mut b2, "b1", &beta_room, 0)] {
        let info = c.request(json!({"op": "GetSessionInfo"})).await["data"].clone();
        assert_eq!(
            (info["callID"].as_str(), info["peerID"].as_str(), &info["meetingID"], info["bCallAccepted"].as_u64()),
            (Some("shared-call-0001"), Some(peer), meeting, Some(accepted)),
            "{info}"
        );
    }
    let calls_in: Vec<&Value> = b2.notices.iter().filter(|n| n["name"] == "NotifyCallIn").collect();
    assert_eq!(calls_in.len(), 1, "b2 was called once, by b1: {calls_in:?}");
    assert_eq!((calls_in[0]["data"]["callerID"].as_str(), &calls_in[0]["data"]["meetObj"]["ID"]), (Some("b1"), &beta_room));
    assert!(!b1.notices.iter().any(|n| n["name"] == "NotifyCallAccepted"), "demo's accept reached beta: {:?}", b1.notices);

    // A customer-only session: err 30 for anyone but its agent, online or not.
    let token = |uid: &'static str, role: &'static str| {
        let server = &server;
        async move {
            let (_, v) = server.post("/api/v1/apps/demo/tokens", Some(DEMO_KEY), json!({"UID": uid, "roles": [role]})).await;
            let (_, v) = server.post("/api/v1/login", None, json!({"token": v["token"], "UID": uid})).await;
            let mut c = Client::connect(&server.ws_url).await;
            assert_eq!(c.request(json!({"op": "Login", "ticket": v["ticket"]})).await["err"], 0);
            c
        }
    };
    let mut cust = token("cust", "customer").await;
    let mut agent = token("agent", "agent").await;
    let room = cust.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].clone();
    for callee in ["d2", "nobody-at-all", "agent"] {
        let r = cust.request(json!({"op": "Call", "UID": callee, "meetID": room})).await;
        assert_eq!(r["err"], 30, "{callee}: {r}");
    }
    assert_eq!(agent.request(json!({"op": "StartService", "queID": 3})).await["err"], 0);
    assert_eq!(cust.request(json!({"op": "StartQueuing", "queID": 3})).await["err"], 0);
    agent.notice("AutoAssignUser").await;
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": 3, "usrID": "cust"})).await["err"], 0);
    let r = cust.request(json!({"op": "Call", "UID": "agent", "meetID": room})).await;
    assert_eq!(r["err"], 0, "its own agent: {r}");
    // The app can let customers call anyone.
    let (status, v) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), json!({"customerCalls": "everyone"})).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("customerCalls"), "{v}");
    let (status, _) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), json!({"customerCalls": "anyone"})).await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// Finding 9: errors name the field and the rule; queue names refuse control characters.
#[tokio::test]
async fn errors_name_the_field_and_its_rule() {
    let server = Server::start().await;
    let (status, v) = server.put("/api/v1/apps/demo/queues/1", Some(DEMO_KEY), json!({"MaxLength": -1})).await;
    assert_eq!(status, 400);
    assert_eq!(v["RspDesc"], "bad JSON body: MaxLength: must be an integer from 0 to 100000000 (0: no limit), not -1");
    let (_, v) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), json!({"holdSeconds": "60"})).await;
    assert_eq!(v["RspDesc"], "bad JSON body: holdSeconds: must be an integer from 0 to 86400, not \"60\"");
    let (status, v) = server.post("/api/v1/apps/demo/queues", Some(DEMO_KEY), json!({"QueueName": "bad\u{7}name"})).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("QueueName") && v["RspDesc"].as_str().unwrap().contains("control"), "{v}");
    let mut c = server.client("c").await;
    let r = c.request(json!({"op": "StartService", "queID": -1})).await;
    assert_eq!(r["msg"], "bad fields for StartService: queID: must be an integer from 1 to 4294967295, not -1");
    let r = c.request(json!({"op": "SetAgentCapacity", "capacity": 1.5})).await;
    assert_eq!(r["msg"], "bad fields for SetAgentCapacity: capacity: must be an integer from 1 to 50, not 1.5");
    server.stop().await;
}

/// Finding 6: the demo pages carried the app's md5(secret). Now they get short-lived
/// tokens from `/api/v1/demo/token`, which only a server that created the demo app
/// offers, only for that app, one role at a time.
#[tokio::test]
async fn demo_tokens_only_where_the_server_made_the_demo_app() {
    let server = Server::start().await;
    let (status, v) = server.post("/api/v1/demo/token", None, json!({"UID": "visitor", "nickName": "V", "roles": ["customer"]})).await;
    assert_eq!(status, 200, "{v}");
    let (_, login) = server.post("/api/v1/login", None, json!({"token": v["token"], "UID": "visitor"})).await;
    let mut c = Client::connect(&server.ws_url).await;
    let r = c.request(json!({"op": "Login", "ticket": login["ticket"]})).await;
    assert_eq!(r["data"]["roles"], json!(["customer"]), "{r}");
    assert_eq!(c.request(json!({"op": "StartService", "queID": 1})).await["err"], 30, "a customer token cannot serve");
    // One role only, no custom lifetime, and the token opens nothing on REST.
    let (status, _) = server.post("/api/v1/demo/token", None, json!({"UID": "v", "roles": ["agent", "supervisor"]})).await;
    assert_eq!(status, 400);
    let (status, _) = server.post("/api/v1/demo/token", None, json!({"UID": "v", "roles": ["agent"], "expireSeconds": 2592000})).await;
    assert_eq!(status, 400);
    let (status, _) = server.put("/api/v1/apps/demo/settings", v["token"].as_str(), json!({"holdSeconds": 1})).await;
    assert_eq!(status, 401, "a token is no app credential");
    server.stop().await;

    // A server that did not create "demo" (someone made an app of that name) mints nothing.
    let server = Server::start_with(|c| c.seed_demo = false).await;
    let (status, _) = server.post("/api/v1/apps", Some(ADMIN_KEY), json!({"appID": "demo", "appSecret": "their-own-secret"})).await;
    assert_eq!(status, 200);
    let (status, v) = server.post("/api/v1/demo/token", None, json!({"UID": "visitor", "roles": ["supervisor"]})).await;
    assert_eq!(status, 404, "{v}");
    server.stop().await;
}
