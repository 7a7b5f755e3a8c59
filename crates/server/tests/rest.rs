//! REST over real HTTP: queue administration, settings, statistics, CORS, health, and
//! persistence across a restart.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn queue_add_modify_query_delete() {
    let server = Server::start().await;
    let key = Some(DEMO_KEY);
    let (status, v) = server
        .post("/api/v1/apps/demo/queues", key, json!({"QueueName": "Billing", "Priority": 3, "QueDesc": "Invoices", "MaxWaitSeconds": 600, "MaxLength": 50, "WrapUpSeconds": 15}))
        .await;
    assert_eq!(status, 200, "{v}");
    let d = &v["Data"];
    assert_eq!(
        (d["QueueName"].as_str(), d["Priority"].as_u64(), d["QueDesc"].as_str()),
        (Some("Billing"), Some(3), Some("Invoices"))
    );
    assert_eq!(
        (d["MaxWaitSeconds"].as_u64(), d["MaxLength"].as_u64(), d["WrapUpSeconds"].as_u64()),
        (Some(600), Some(50), Some(15))
    );
    assert_eq!(d["CreateTime"].as_str().unwrap().len(), 19);
    let id = d["QueueID"].as_u64().unwrap();

    let (status, v) = server.post("/api/v1/apps/demo/queues", key, json!({"QueueName": "Billing"})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (409, Some(6)), "{v}");
    let (status, v) = server.post("/api/v1/apps/demo/queues", key, json!({"QueueName": "x".repeat(65)})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (400, Some(4)));
    assert!(v["RspDesc"].as_str().unwrap().contains("QueueName"), "{v}");
    let (_, v) =
        server.post("/api/v1/apps/demo/queues", key, json!({"QueueName": "ok", "QueDesc": "d".repeat(201)})).await;
    assert!(v["RspDesc"].as_str().unwrap().contains("QueDesc"), "{v}");
    let (_, v) = server.post("/api/v1/apps/demo/queues", key, json!({"QueueName": "ok", "Priority": 0})).await;
    assert!(v["RspDesc"].as_str().unwrap().contains("Priority"), "{v}");
    let (_, v) = server.post("/api/v1/apps/demo/queues", key, json!({"Priority": 2})).await;
    assert!(v["RspDesc"].as_str().unwrap().contains("QueueName is required"), "{v}");
    let (status, v) = server.post("/api/v1/apps/demo/queues", None, json!({"QueueName": "nokey"})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (401, Some(1)));
    let (status, v) = server.post("/api/v1/apps/ghost/queues", key, json!({"QueueName": "x"})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (404, Some(2)));

    let (status, v) = server
        .put(
            &format!("/api/v1/apps/demo/queues/{id}"),
            key,
            json!({"NewQueueName": "Billing & refunds", "Priority": 2, "MaxWaitSeconds": 0}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Data"]["QueueName"], "Billing & refunds");
    assert_eq!(v["Data"]["MaxWaitSeconds"], 0, "0 removes the limit");
    assert_eq!(v["Data"]["QueDesc"], "Invoices", "untouched fields stay");
    let (status, v) = server.put("/api/v1/apps/demo/queues/999", key, json!({"Priority": 2})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (404, Some(6)));
    let (status, v) =
        server.put(&format!("/api/v1/apps/demo/queues/{id}"), key, json!({"NewQueueName": "VIP customers"})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (409, Some(6)), "{v}");

    let (_, v) = server.get("/api/v1/apps/demo/queues?QueueName=BILL", key).await;
    assert_eq!(v["Data"]["queueCount"], 1, "fuzzy, case-insensitive: {v}");
    let (_, v) = server.get("/api/v1/apps/demo/queues?PageSize=2&PageNumber=2", key).await;
    assert_eq!(v["Data"]["queueCount"], 4);
    assert_eq!(v["Data"]["queueList"].as_array().unwrap().len(), 2);
    let (status, v) = server.get("/api/v1/apps/demo/queues?PageSize=51", key).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("PageSize"), "{v}");
    let (status, v) = server.get("/api/v1/apps/demo/queues?PageSize=abc", key).await;
    assert_eq!(status, 400, "{v}");

    let (status, _) = server.delete(&format!("/api/v1/apps/demo/queues/{id}"), key).await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&format!("/api/v1/apps/demo/queues/{id}"), key).await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn queue_changes_reach_watching_sessions() {
    let server = Server::start().await;
    let mut watcher = server.client("w").await;
    watcher.request(json!({"op": "InitQueueDat"})).await;
    let (_, v) =
        server.post("/api/v1/apps/demo/queues", Some(DEMO_KEY), json!({"QueueName": "Returns", "Priority": 4})).await;
    let id = v["Data"]["QueueID"].clone();
    let info = watcher.notice("QueueInfoChanged").await;
    assert_eq!(info, json!({"queID": id, "name": "Returns", "desc": "", "prio": 4}));
    let mut waiting = server.client("c").await;
    waiting.request(json!({"op": "StartQueuing", "queID": id})).await;
    server.delete(&format!("/api/v1/apps/demo/queues/{id}"), Some(DEMO_KEY)).await;
    assert_eq!(watcher.notice("QueueRemoved").await["queID"], id);
    assert_eq!(waiting.notice("QueuingEnded").await, json!({"queID": id, "reason": "cancel"}));
    server.stop().await;
}

#[tokio::test]
async fn restart_keeps_apps_queues_and_settings() {
    let server = Server::start().await;
    let (_, v) = server
        .post("/api/v1/apps/demo/queues", Some(DEMO_KEY), json!({"QueueName": "Night shift", "Priority": 7}))
        .await;
    let id = v["Data"]["QueueID"].as_u64().unwrap();
    server.post("/api/v1/apps", Some(ADMIN_KEY), json!({"appID": "second", "appSecret": "two"})).await;
    server.demo_settings(json!({"offerTimeoutSeconds": 12})).await;
    let dir = server.stop().await;

    let server = Server::start_in(dir, |_| {}).await;
    let (status, v) = server.get(&format!("/api/v1/apps/demo/queues/{id}"), Some(DEMO_KEY)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["Data"]["QueueName"].as_str(), v["Data"]["Priority"].as_u64()), (Some("Night shift"), Some(7)));
    let (_, v) = server.get("/api/v1/apps/demo/queues", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"]["queueCount"], 4, "demo seeded once, not again: {v}");
    let (_, v) = server.get("/api/v1/apps/demo/settings", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"]["offerTimeoutSeconds"], 12);
    let (status, _) = server.get("/api/v1/apps/second/queues", Some(&lineup_server::auth::md5_hex("two"))).await;
    assert_eq!(status, 200);
    // A new queue continues the id sequence.
    let (_, v) = server.post("/api/v1/apps/demo/queues", Some(DEMO_KEY), json!({"QueueName": "After restart"})).await;
    assert!(v["Data"]["QueueID"].as_u64().unwrap() > id);
    server.stop().await;
}

#[tokio::test]
async fn settings_are_validated_by_field() {
    let server = Server::start().await;
    let (status, v) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), json!({"offerTimeoutSeconds": 0})).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("offerTimeoutSeconds"), "{v}");
    let (status, v) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), json!({"holdSecs": 5})).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("holdSecs"), "{v}");
    let (_, v) = server.get("/api/v1/apps/demo/settings", Some(DEMO_KEY)).await;
    assert_eq!(
        v["Data"],
        json!({"holdSeconds": 60, "offerTimeoutSeconds": 30, "noticeIntervalMs": 1000, "serviceLevelSeconds": 20, "reofferDelaySeconds": 10, "callTimeoutSeconds": 30, "customerCalls": "serving_agent", "queueUserNotices": true, "recordCalls": false, "recordOnDemand": true, "maxMissedOffers": 3, "serviceLevelTarget": 80, "utcOffsetMinutes": 0, "callbackExpirySeconds": 3600})
    );
    for (body, field) in [
        (json!({"serviceLevelTarget": 100}), "serviceLevelTarget"),
        (json!({"utcOffsetMinutes": 50}), "utcOffsetMinutes"),
        (json!({"callbackExpirySeconds": 5}), "callbackExpirySeconds"),
    ] {
        let (status, v) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), body).await;
        assert_eq!((status, v["RspCode"].as_u64()), (400, Some(4)), "{v}");
        assert!(v["RspDesc"].as_str().unwrap().starts_with(&format!("invalid {field}: ")), "{v}");
    }
    let (status, v) = server.put("/api/v1/apps/demo/settings", Some(DEMO_KEY), json!({"serviceLevelTarget": 90, "utcOffsetMinutes": -300})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["Data"]["serviceLevelTarget"].as_u64(), v["Data"]["utcOffsetMinutes"].as_i64(), v["Data"]["maxMissedOffers"].as_u64()), (Some(90), Some(-300), Some(3)));
    server.stop().await;
}

#[tokio::test]
async fn status_and_statistics_over_rest() {
    let server = Server::start().await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "StartService", "queID": 2})).await;
    let mut c = server.client("c").await;
    c.request(json!({"op": "StartQueuing", "queID": 2})).await;
    agent.notice("AutoAssignUser").await;
    agent.request(json!({"op": "AcceptAssignUser", "queID": 2, "usrID": "c"})).await;
    let (_, v) = server.get("/api/v1/apps/demo/queues/2/status", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"], json!({"queID": 2, "agent_num": 1, "wait_num": 0, "srv_num": 1}));
    let (_, v) = server.get("/api/v1/apps/demo/queues/2/statistics", Some(DEMO_KEY)).await;
    let s = &v["Data"];
    assert_eq!(
        (s["entered"].as_u64(), s["served"].as_u64(), s["agentsBusy"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(s["serviceLevel"], 1.0);
    let (_, v) = server.get("/api/v1/apps/demo/statistics", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"].as_array().unwrap().len(), 3);
    let (_, v) = server.get("/api/v1/apps/demo/agents", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"][0]["UID"], "agent");
    assert_eq!(v["Data"][0]["customers"], json!([{"queID": 2, "usrID": "c"}]));
    server.stop().await;
}

#[tokio::test]
async fn health_cors_and_unknown_endpoints() {
    let server = Server::start_with(|c| c.cors_origins = vec!["http://127.0.0.1:9999".into()]).await;
    let resp = server.http.get(format!("{}/healthz", server.base)).send().await.unwrap();
    let health: serde_json::Value = resp.json().await.unwrap();
    assert_eq!((health["status"].as_str(), health["store"].as_str()), (Some("ok"), Some("ok")), "{health}");
    assert!(documented_shapes("GET /healthz").contains(&keys(&health)), "PROTOCOL.md §15.15 documents {health}");
    // A known path with another method: 405 in the RspCode envelope (§15.1).
    let resp = server.http.patch(format!("{}/api/v1/apps/demo/queues", server.base)).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let v: serde_json::Value = resp.json().await.expect("a JSON body");
    assert_eq!(v["RspCode"], 4, "{v}");
    let preflight = |origin: &'static str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, format!("{}/api/v1/login", server.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let resp = preflight("http://127.0.0.1:9999").await.unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "http://127.0.0.1:9999");
    let resp = preflight("http://evil.example").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none(), "an origin not listed gets no CORS grant");
    let (status, v) = server.get("/api/v1/nothing-here", None).await;
    assert_eq!(status, 404);
    assert!(v["RspDesc"].as_str().is_some());
    let (status, v) = server.post("/api/v1/login", None, json!("not an object")).await;
    assert_eq!((status, v["err"].as_u64()), (400, Some(6)));
    server.stop().await;
}

#[tokio::test]
async fn queue_query_filters_by_id_and_description() {
    let server = Server::start().await;
    let (_, v) = server.get("/api/v1/apps/demo/queues?QueueID=2", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"]["queueCount"], 1, "{v}");
    assert_eq!(v["Data"]["queueList"][0]["QueueName"], "Technical support");
    let (_, v) = server.get("/api/v1/apps/demo/queues?QueDesc=BILLING", Some(DEMO_KEY)).await;
    assert_eq!(v["Data"]["queueCount"], 1, "{v}");
    assert_eq!(v["Data"]["queueList"][0]["QueueID"], 3);
    let (status, v) = server.get("/api/v1/apps/demo/queues?QueueID=two", Some(DEMO_KEY)).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("QueueID"), "{v}");
    server.stop().await;
}

#[tokio::test]
async fn the_sdk_and_the_apps_are_served_as_static_files() {
    let sdk = temp_dir();
    let www = temp_dir();
    std::fs::create_dir_all(&sdk).unwrap();
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(sdk.join("lineup-crvideo.js"), "/* crvideo */").unwrap();
    std::fs::write(www.join("index.html"), "<h1>apps</h1>").unwrap();
    let (s, w) = (sdk.clone(), www.clone());
    let server = Server::start_with(move |c| {
        c.sdk_dir = Some(s);
        c.www_dir = Some(w);
    })
    .await;
    let body =
        server.http.get(format!("{}/sdk/lineup-crvideo.js", server.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, "/* crvideo */");
    let body = server.http.get(format!("{}/index.html", server.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, "<h1>apps</h1>");
    server.stop().await;
}

/// Every request from a throttled address gets its 429, whatever its size and however
/// many are sent at once: none is left without an answer (a 429 written while the
/// body was still coming in could be lost to the reset of the closed connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_address_gets_429_for_every_request_of_any_size_in_parallel() {
    let server = Server::start_with(|c| {
        c.failed_logins_burst = 1;
        c.failed_logins_per_minute = 1;
    })
    .await;
    let (status, _) = server.get("/api/v1/apps/demo/queues", Some("0123456789abcdef0123456789abcdef")).await;
    assert_eq!(status, 401);
    const CLIENTS: usize = 4;
    const EACH: usize = 300;
    let sizes = [0usize, 200, 16 * 1024, 256 * 1024];
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let url = format!("{}/api/v1/login", server.base);
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut got, mut lost) = (std::collections::BTreeMap::<u16, usize>::new(), Vec::new());
            for i in 0..EACH {
                let size = sizes[(c + i) % sizes.len()];
                let body = json!({"appID": "demo", "md5_appSecret": "x", "UID": "u", "nickName": "n".repeat(size)});
                match http.post(&url).json(&body).send().await {
                    Ok(r) => {
                        let retry = r.headers().get("retry-after").is_some();
                        *got.entry(if retry { r.status().as_u16() } else { 0 }).or_default() += 1;
                    }
                    Err(e) => lost.push(format!("{size} bytes: {e:?}")),
                }
            }
            (got, lost)
        }));
    }
    let (mut got, mut lost) = (std::collections::BTreeMap::<u16, usize>::new(), Vec::new());
    for t in tasks {
        let (g, l) = t.await.unwrap();
        for (k, v) in g {
            *got.entry(k).or_default() += v;
        }
        lost.extend(l);
    }
    println!("throttled: {got:?} of {} requests, {} without an answer", CLIENTS * EACH, lost.len());
    assert!(
        lost.is_empty(),
        "{} of {} requests got no answer: {:?}",
        lost.len(),
        CLIENTS * EACH,
        &lost[..lost.len().min(5)]
    );
    assert_eq!(got.get(&429), Some(&(CLIENTS * EACH)), "every answer a 429 with Retry-After: {got:?}");
    server.stop().await;
}

#[tokio::test]
async fn queue_overflow_and_aging_are_set_shown_and_checked_by_field() {
    let server = Server::start().await;
    let key = Some(DEMO_KEY);
    let (status, v) = server
        .post("/api/v1/apps/demo/queues", key, json!({"QueueName": "Mortgages", "OverflowSeconds": 120, "OverflowQueueID": 3, "AgingSeconds": 30}))
        .await;
    assert_eq!(status, 200, "{v}");
    let id = v["Data"]["QueueID"].as_u64().unwrap();
    assert_eq!((v["Data"]["OverflowSeconds"].as_u64(), v["Data"]["OverflowQueueID"].as_u64(), v["Data"]["AgingSeconds"].as_u64()), (Some(120), Some(3), Some(30)));
    // A loop is refused, naming the field and the loop; nothing changes.
    let (status, v) = server.put("/api/v1/apps/demo/queues/3", key, json!({"OverflowSeconds": 60, "OverflowQueueID": id})).await;
    assert_eq!((status, v["RspCode"].as_u64()), (400, Some(4)), "{v}");
    assert_eq!(v["RspDesc"], format!("invalid OverflowQueueID: overflow loop: 3 → {id} → 3"));
    let (_, v) = server.get("/api/v1/apps/demo/queues/3", key).await;
    assert!(v["Data"].get("OverflowQueueID").is_none(), "{v}");
    // Bad values, each named; a queue is not created half-way.
    for (body, field) in [
        (json!({"QueueName": "X1", "OverflowSeconds": 60}), "OverflowQueueID"),
        (json!({"QueueName": "X2", "OverflowSeconds": 60, "OverflowQueueID": 999}), "OverflowQueueID"),
        (json!({"QueueName": "X3", "OverflowSeconds": 100000, "OverflowQueueID": 3}), "OverflowSeconds"),
        (json!({"QueueName": "X4", "AgingSeconds": 100000}), "AgingSeconds"),
    ] {
        let (status, v) = server.post("/api/v1/apps/demo/queues", key, body).await;
        assert_eq!((status, v["RspCode"].as_u64()), (400, Some(4)), "{v}");
        assert!(v["RspDesc"].as_str().unwrap().starts_with(&format!("invalid {field}: ")), "{v}");
    }
    let (_, v) = server.get("/api/v1/apps/demo/queues", key).await;
    assert!(v["Data"]["queueList"].as_array().unwrap().iter().all(|q| !q["QueueName"].as_str().unwrap().starts_with('X')), "{v}");
    // 0 turns them off.
    let (status, v) = server.put(&format!("/api/v1/apps/demo/queues/{id}"), key, json!({"OverflowQueueID": 0, "AgingSeconds": 0})).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["Data"].get("OverflowSeconds").is_none() && v["Data"].get("AgingSeconds").is_none(), "{v}");
    server.stop().await;
}
