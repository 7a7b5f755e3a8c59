//! Bad input, permissions and isolation over real sockets: every refusal is an error
//! reply with a code and a message, never a silent drop.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn malformed_frames_get_error_replies_and_the_connection_stays_usable() {
    let server = Server::start().await;
    let mut c = Client::connect(&server.ws_url).await;
    c.send_text("this is not json").await;
    let r = c.next_frame().await.unwrap();
    assert_eq!((r["type"].as_str(), r["seq"].as_u64(), r["err"].as_u64()), (Some("reply"), Some(0), Some(6)), "{r}");

    let r = c.request(json!({"op": "Teleport"})).await;
    assert_eq!(r["err"], 6);
    assert!(r["msg"].as_str().unwrap().contains("unknown op \"Teleport\""), "{r}");

    let r = c.request(json!({"op": "StartQueuing", "queID": "seven"})).await;
    assert_eq!(r["err"], 6);
    assert!(r["msg"].as_str().unwrap().contains("StartQueuing"), "{r}");

    let r = c.request(json!({"op": "StartService", "queId": 1})).await;
    assert_eq!(r["err"], 6);
    assert!(r["msg"].as_str().unwrap().contains("queId"), "names the wrong field: {r}");

    c.send_text(r#"{"op":"Ping"}"#).await;
    let r = c.next_frame().await.unwrap();
    assert_eq!(r["err"], 6);
    assert!(r["msg"].as_str().unwrap().contains("seq"), "{r}");

    c.send_binary(vec![1, 2, 3]).await;
    let r = c.next_frame().await.unwrap();
    assert_eq!(r["err"], 6, "{r}");

    let r = c.request(json!({"op": "StartQueuing", "queID": 1})).await;
    assert_eq!(r["err"], 12, "needs a login first: {r}");
    let r = c.request(json!({"op": "Login", "ticket": "forged"})).await;
    assert_eq!(r["err"], 22, "{r}");
    let r = c.request(json!({"op": "Ping"})).await;
    assert_eq!(r["err"], 0, "still usable: {r}");
    assert!(r["data"]["time"].as_u64().unwrap() > 0);
    server.stop().await;
}

#[tokio::test]
async fn oversized_frame_is_answered_then_closed_with_1009() {
    let server = Server::start_with(|c| c.max_frame_bytes = 4096).await;
    let mut c = server.client("big").await;
    let huge = "x".repeat(10_000);
    c.send_text(&json!({"seq": 9, "op": "StartQueuing", "queID": 1, "usrExtDat": huge}).to_string()).await;
    let r = c.next_frame().await.expect("an error reply before the close");
    assert_eq!(r["err"], 31, "{r}");
    assert_eq!(c.closed().await.0, 1009);
    server.stop().await;
}

#[tokio::test]
async fn invalid_values_name_the_field() {
    let server = Server::start().await;
    let mut c = server.client("agent").await;
    let r = c.request(json!({"op": "StartService", "queID": 1, "priority": 1001})).await;
    assert_eq!(r["err"], 5);
    assert!(r["msg"].as_str().unwrap().contains("priority"), "{r}");
    let r = c.request(json!({"op": "SetAgentCapacity", "capacity": 0})).await;
    assert_eq!(r["err"], 5);
    assert!(r["msg"].as_str().unwrap().contains("capacity"), "{r}");
    let r = c.request(json!({"op": "StartService", "queID": 999})).await;
    assert_eq!(r["err"], 400, "{r}");
    let r = c.request(json!({"op": "GetQueueUsers", "queID": 1, "limit": 100000})).await;
    assert_eq!(r["err"], 5);
    assert!(r["msg"].as_str().unwrap().contains("limit"), "{r}");
    let r = c.request(json!({"op": "StartQueuing", "queID": 1, "usrExtDat": "x".repeat(9000)})).await;
    assert_eq!(r["err"], 5);
    assert!(r["msg"].as_str().unwrap().contains("usrExtDat"), "{r}");
    server.stop().await;
}

#[tokio::test]
async fn login_errors_use_cloudroom_codes() {
    let server = Server::start().await;
    let (status, v) = server.post("/api/v1/login", None, json!({"appID": "demo", "md5_appSecret": "0000", "UID": "u"})).await;
    assert_eq!((status, v["err"].as_u64()), (401, Some(7)), "{v}");
    let (status, v) = server.post("/api/v1/login", None, json!({"appID": "nope", "md5_appSecret": DEMO_KEY, "UID": "u"})).await;
    assert_eq!((status, v["err"].as_u64()), (401, Some(7)), "{v}");
    let (status, v) = server.post("/api/v1/login", None, json!({"appID": "demo", "md5_appSecret": DEMO_KEY, "UID": ""})).await;
    assert_eq!((status, v["err"].as_u64()), (400, Some(5)), "{v}");
    assert!(v["msg"].as_str().unwrap().contains("UID"));
    let (status, v) = server.post("/api/v1/login", None, json!({"token": "lu1.garbage.sig", "UID": "u"})).await;
    assert_eq!((status, v["err"].as_u64()), (401, Some(22)), "{v}");

    // An expired token (signed with the demo secret, expired a minute ago).
    let expired = lineup_server::auth::sign(
        "demo",
        &lineup_server::auth::Claims {
            app: "demo".into(),
            uid: "u".into(),
            nick: "U".into(),
            roles: vec!["customer".into()],
            exp: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 60,
            kind: "token".into(),
            jti: String::new(),
        },
    );
    let (status, v) = server.post("/api/v1/login", None, json!({"token": expired})).await;
    assert_eq!((status, v["err"].as_u64()), (401, Some(18)), "{v}");
    let forged = lineup_server::auth::sign(
        "not-the-secret",
        &lineup_server::auth::Claims {
            app: "demo".into(),
            uid: "u".into(),
            nick: "".into(),
            roles: vec!["agent".into()],
            exp: u64::MAX / 2,
            kind: "token".into(),
            jti: String::new(),
        },
    );
    let (_, v) = server.post("/api/v1/login", None, json!({"token": forged})).await;
    assert_eq!(v["err"], 21, "{v}");
    server.stop().await;
}

#[tokio::test]
async fn token_roles_limit_what_a_session_may_do() {
    let server = Server::start().await;
    let (status, v) = server
        .post("/api/v1/apps/demo/tokens", Some(DEMO_KEY), json!({"UID": "cust", "nickName": "Cust", "roles": ["customer"], "expireSeconds": 600}))
        .await;
    assert_eq!(status, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let (status, v) = server.post("/api/v1/apps/demo/tokens", Some("wrong"), json!({"UID": "x", "roles": ["agent"]})).await;
    assert_eq!(status, 401, "{v}");
    let (status, v) = server.post("/api/v1/apps/demo/tokens", Some(DEMO_KEY), json!({"UID": "x", "roles": ["boss"]})).await;
    assert_eq!(status, 400);
    assert!(v["msg"].as_str().unwrap().contains("boss"), "{v}");

    let (_, v) = server.post("/api/v1/login", None, json!({"token": token, "UID": "someone-else"})).await;
    assert_eq!(v["err"], 19, "UID must match the token: {v}");
    let (status, v) = server.post("/api/v1/login", None, json!({"token": token})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["roles"], json!(["customer"]));
    assert!(v["tokenExpireAt"].as_u64().is_some());
    let mut c = Client::connect(&server.ws_url).await;
    let r = c.request(json!({"op": "Login", "ticket": v["ticket"]})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(r["data"]["nickName"], "Cust");
    assert_eq!(c.request(json!({"op": "StartQueuing", "queID": 1})).await["err"], 0);
    let r = c.request(json!({"op": "StartService", "queID": 1})).await;
    assert_eq!(r["err"], 30, "a customer token cannot serve: {r}");
    let r = c.request(json!({"op": "GetAgents"})).await;
    assert_eq!(r["err"], 30, "{r}");
    let r = c.request(json!({"op": "GetQueueStatistics", "queID": 1})).await;
    assert_eq!(r["err"], 30, "{r}");
    // Other users' status is for agents and supervisors.
    for op in ["StartUserStatusNotify", "GetUserStatus"] {
        let r = c.request(json!({"op": op})).await;
        assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(30), Some("not permitted: this needs the agent or supervisor role")), "{op}: {r}");
    }
    assert_eq!(c.request(json!({"op": "StopUserStatusNotify"})).await["err"], 0);
    // An agent-only token may not list a queue it does not serve.
    let (_, v) = server.post("/api/v1/apps/demo/tokens", Some(DEMO_KEY), json!({"UID": "ag", "roles": ["agent"]})).await;
    let (_, v) = server.post("/api/v1/login", None, json!({"token": v["token"]})).await;
    let mut agent = Client::connect(&server.ws_url).await;
    agent.request(json!({"op": "Login", "ticket": v["ticket"]})).await;
    assert_eq!(agent.request(json!({"op": "GetQueueUsers", "queID": 1})).await["err"], 403);
    assert_eq!(agent.request(json!({"op": "StartQueuing", "queID": 1})).await["err"], 30);
    server.stop().await;
}

#[tokio::test]
async fn nothing_crosses_apps() {
    let server = Server::start().await;
    let (status, v) = server.post("/api/v1/apps", Some(ADMIN_KEY), json!({"appID": "acme", "appSecret": "acme-secret"})).await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = server.post("/api/v1/apps", Some("bad"), json!({"appID": "x", "appSecret": "y"})).await;
    assert_eq!(status, 401);
    let acme_key = lineup_server::auth::md5_hex("acme-secret");
    let (_, v) = server.post("/api/v1/apps/acme/queues", Some(&acme_key), json!({"QueueName": "Acme line"})).await;
    let acme_queue = v["Data"]["QueueID"].as_u64().unwrap();
    assert_eq!(v["Data"]["QueueName"], "Acme line", "{v}");

    // A demo user cannot touch acme's queue.
    let mut demo_user = server.client("mallory").await;
    let r = demo_user.request(json!({"op": "StartQueuing", "queID": acme_queue})).await;
    assert_eq!(r["err"], 400, "{r}");
    let r = demo_user.request(json!({"op": "StartService", "queID": acme_queue})).await;
    assert_eq!(r["err"], 400, "{r}");
    let r = demo_user.request(json!({"op": "GetQueueStatus", "queID": acme_queue})).await;
    assert_eq!(r["err"], 400, "{r}");
    let init = demo_user.request(json!({"op": "InitQueueDat"})).await;
    assert!(init["data"]["queues"].as_array().unwrap().iter().all(|q| q["queID"] != acme_queue));

    // An acme customer waits; a demo agent never sees or takes it.
    let (_, v) = server.post("/api/v1/login", None, json!({"appID": "acme", "md5_appSecret": acme_key, "UID": "alice"})).await;
    let mut acme_customer = Client::connect(&server.ws_url).await;
    acme_customer.request(json!({"op": "Login", "ticket": v["ticket"]})).await;
    assert_eq!(acme_customer.request(json!({"op": "StartQueuing", "queID": acme_queue})).await["err"], 0);
    let r = demo_user.request(json!({"op": "ReqAssignUser2", "queID": acme_queue, "usrID": "alice"})).await;
    assert_eq!(r["err"], 400, "{r}");
    let r = demo_user.request(json!({"op": "AcceptAssignUser", "queID": acme_queue, "usrID": "alice"})).await;
    assert_eq!(r["err"], 400, "{r}");

    // REST: the demo secret does not open acme, and vice versa.
    let (status, _) = server.get(&format!("/api/v1/apps/acme/queues/{acme_queue}"), Some(DEMO_KEY)).await;
    assert_eq!(status, 401);
    let (status, v) = server.get("/api/v1/apps/demo/queues/1", Some(&acme_key)).await;
    assert_eq!((status, v["RspCode"].as_u64()), (401, Some(3)));
    let (status, v) = server.get(&format!("/api/v1/apps/demo/queues/{acme_queue}"), Some(DEMO_KEY)).await;
    assert_eq!((status, v["RspCode"].as_u64()), (404, Some(6)), "acme's queue is not in demo: {v}");
    server.stop().await;
}

#[tokio::test]
async fn requests_on_a_replaced_connection_are_refused() {
    let server = Server::start().await;
    let mut old = server.client("u").await;
    let _new = server.client("u").await;
    // The old socket is told and closed; nothing it sends acts on the session.
    assert_eq!(old.notice("LineOff").await["sdkErr"], 10);
    let (code, reason) = old.closed().await;
    assert_eq!(code, 4001, "{reason}");
    server.stop().await;
}

#[tokio::test]
async fn heartbeat_keeps_live_clients_and_closes_silent_ones() {
    let server = Server::start_with(|c| c.heartbeat_s = 1).await;
    let mut silent = server.client("silent").await;
    silent.request(json!({"op": "StartQueuing", "queID": 3})).await;
    let mut live = server.client("live").await;
    // The live client keeps reading (answering pings); the silent one does not read.
    live.no_notice("LineOff", 3_500).await;
    assert_eq!(live.request(json!({"op": "Ping"})).await["err"], 0, "still connected");
    assert_eq!(silent.closed().await.0, 4000, "closed for silence");
    // The silent customer is held, not gone: it can resume and is still queuing.
    let mut back = Client::connect(&server.ws_url).await;
    let r = back.request(json!({"op": "Resume", "session": silent.session})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(back.request(json!({"op": "GetQueuingInfo"})).await["data"]["queID"], 3);
    server.stop().await;
}

#[tokio::test]
async fn wrong_typed_seq_and_op_are_named() {
    let server = Server::start().await;
    let mut c = Client::connect(&server.ws_url).await;
    c.send_text(r#"{"seq":"7","op":"Ping"}"#).await;
    let r = c.next_frame().await.unwrap();
    assert_eq!(r["err"], 6);
    assert!(r["msg"].as_str().unwrap().contains("\"seq\" must be a non-negative integer"), "{r}");
    c.send_text(r#"[5,"Ping"]"#).await;
    let r = c.next_frame().await.unwrap();
    assert_eq!((r["seq"].as_u64(), r["err"].as_u64()), (Some(0), Some(6)));
    assert!(r["msg"].as_str().unwrap().contains("not a JSON object: got an array"), "{r}");
    c.send_text(r#"{"seq":8,"op":5}"#).await;
    let r = c.next_frame().await.unwrap();
    assert_eq!((r["seq"].as_u64(), r["err"].as_u64()), (Some(8), Some(6)));
    assert!(r["msg"].as_str().unwrap().contains("\"op\" must be a string"), "{r}");
    server.stop().await;
}

#[tokio::test]
async fn a_ticket_works_once() {
    let server = Server::start().await;
    let ticket = server.ticket("once").await;
    let mut first = Client::connect(&server.ws_url).await;
    assert_eq!(first.request(json!({"op": "Login", "ticket": ticket})).await["err"], 0);
    let mut second = Client::connect(&server.ws_url).await;
    let r = second.request(json!({"op": "Login", "ticket": ticket})).await;
    assert_eq!(r["err"], 18, "{r}");
    assert!(r["msg"].as_str().unwrap().contains("already used"), "{r}");
    server.stop().await;
}

#[tokio::test]
async fn rest_checks_the_secret_before_the_body() {
    let server = Server::start().await;
    let resp = server
        .http
        .post(format!("{}/api/v1/apps/demo/queues", server.base))
        .bearer_auth("wrong")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let (status, v) = server.post("/api/v1/apps/demo/tokens", Some("wrong"), json!({"bogus": 1})).await;
    assert_eq!((status, v["err"].as_u64()), (401, Some(7)), "{v}");
    let (status, v) = server.post("/api/v1/login", None, json!({"appId": "demo"})).await;
    assert_eq!((status, v["err"].as_u64()), (400, Some(6)), "{v}");
    assert!(v["msg"].as_str().unwrap().contains("appId"), "names the unknown field: {v}");
    let (status, v) =
        server.post("/api/v1/login", None, json!({"appID": "demo", "md5_appSecret": DEMO_KEY, "UID": "u", "nickName": "a\u{7}b"})).await;
    assert_eq!((status, v["err"].as_u64()), (400, Some(5)), "{v}");
    assert!(v["msg"].as_str().unwrap().contains("nickName"), "{v}");
    server.stop().await;
}
