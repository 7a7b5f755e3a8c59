//! Webhooks to a real HTTP receiver on 127.0.0.1: the formats of the seeds byte for
//! byte, signatures, retries after 500s in order, nothing lost across a restart, a
//! hanging receiver delays no offer, dead deliveries and resend, configuration errors.

mod common;

use common::receiver::{Behaviour, Receiver};
use common::*;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

const KEY: Option<&str> = Some(DEMO_KEY);

fn hmac_hex(secret: &str, data: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Waits (up to [`WAIT`]) until the oldest delivery satisfies `pred`; returns it.
async fn wait_delivery(server: &Server, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, v) = server.get("/api/v1/apps/demo/deliveries", KEY).await;
        let oldest = v["Data"]["deliveries"].as_array().and_then(|d| d.last()).cloned().unwrap_or_default();
        if pred(&oldest) {
            return oldest;
        }
        assert!(tokio::time::Instant::now() < deadline, "no such delivery in time: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn fast(tweak: impl FnOnce(&mut lineup_server::Config)) -> Server {
    Server::start_with(|c| {
        c.webhook_backoff_ms = 50;
        tweak(c);
    })
    .await
}

#[tokio::test]
async fn business_service_formats_and_signatures() {
    let rx = Receiver::start(Behaviour::default()).await;
    let server = fast(|_| {}).await;
    let (status, v) = server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/biz"), "events": ["queue_change", "acd_state"]})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Data"], json!({"url": rx.url("/biz"), "events": ["acd_state", "queue_change"]}));
    let mut c = server.client("bob").await;
    c.request(json!({"op": "StartQueuing", "queID": 3, "usrExtDat": "order 7"})).await;
    c.request(json!({"op": "StopQueuing"})).await;
    // enter: 503 + pending→waiting; leave: 504/0 + waiting→completed(cancel)
    let got = rx.wait_accepted(4).await;
    for r in &got {
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/biz"));
        assert_eq!(r.headers["content-type"], "application/json");
        let sig = r.headers["x-lineup-signature"].to_str().unwrap();
        assert_eq!(sig, format!("sha256={}", hmac_hex("demo", &r.body)), "HMAC-SHA256 of the body with the app secret");
        assert!(r.headers["x-lineup-event-id"].to_str().unwrap().starts_with("evt-"));
    }
    let kinds: Vec<&str> = got.iter().map(|r| r.headers["x-lineup-event"].to_str().unwrap()).collect();
    assert_eq!(kinds, ["queue_change", "acd_state", "queue_change", "acd_state"], "in order");
    let enter: Value = serde_json::from_str(&got[0].body).unwrap();
    let t = enter["time"].as_u64().unwrap();
    assert_eq!(
        got[0].body,
        format!(r#"{{"appid":"demo","eventtype":503,"errorcode":0,"queueid":3,"userid":"bob","time":{t},"userdata":"order 7"}}"#)
    );
    let leave: Value = serde_json::from_str(&got[2].body).unwrap();
    assert_eq!((leave["eventtype"].as_u64(), leave["errorcode"].as_u64()), (Some(504), Some(0)));
    let acd: Value = serde_json::from_str(&got[1].body).unwrap();
    let keys: Vec<&String> = acd.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["event", "appid", "id", "type", "channel_id", "previous_state", "latest_state", "condition_id", "agent_name", "begin_time",
         "call_time", "talk_time", "end_time", "end_reason", "origin_call_id", "agent_extension_id", "agent_call_id", "data"]
    );
    assert_eq!((acd["event"].as_str(), acd["previous_state"].as_str(), acd["latest_state"].as_str()), (Some("callcenter.queue.state_changed"), Some("pending"), Some("waiting")));
    let end: Value = serde_json::from_str(&got[3].body).unwrap();
    assert_eq!((end["latest_state"].as_str(), end["end_reason"].as_str(), end["data"].as_str()), (Some("completed"), Some("cancel"), Some("order 7")));
    server.stop().await;
}

#[tokio::test]
async fn agent_events_get_query_and_post_body_only_on_real_changes() {
    let rx = Receiver::start(Behaviour::default()).await;
    let server = fast(|_| {}).await;
    let (status, v) = server.post("/api/v1/apps/demo/agents/ann/events", KEY, json!({"event_type": "agent-login", "method": "GET", "url": rx.url("/show.php")})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["Data"]["event_type"].as_str(), v["Data"]["method"].as_str()), (Some("agent-login"), Some("GET")));
    let (_, v2) = server.post("/api/v1/apps/demo/agents/ann/events", KEY, json!({"event_type": "agent-logout", "method": "POST", "url": rx.url("/out")})).await;
    let logout_id = v2["Data"]["id"].as_i64().unwrap();
    let mut ann = server.client("ann").await;
    ann.request(json!({"op": "StartService", "queID": 1})).await;
    ann.request(json!({"op": "StartService", "queID": 2})).await; // already logged in: nothing
    let got = rx.wait_accepted(1).await;
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[0].uri, "/show.php?agent_id=ann&agent_status=available&agent_type=local&extension_name=ann&event_source=sdk");
    assert_eq!(got[0].body, "");
    // Logged out through REST: event_source api, in the POST body.
    let (status, v) = server.delete("/api/v1/apps/demo/agents/ann/queues", KEY).await;
    assert_eq!(status, 200, "{v}");
    let got = rx.wait_accepted(2).await;
    assert_eq!((got[1].method.as_str(), got[1].uri.as_str()), ("POST", "/out"));
    assert_eq!(got[1].headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(got[1].body, "agent_id=ann&agent_status=logged_out&agent_type=local&extension_name=ann&event_source=api");
    // An event is stored in the turn that caused it: the log holds all there will be.
    let (_, log) = server.get("/api/v1/apps/demo/deliveries", KEY).await;
    assert_eq!(log["Data"]["deliveries"].as_array().unwrap().len(), 2, "no event without a real change: {log}");
    assert_eq!(rx.accepted().len(), 2, "no event without a real change");
    // CRUD: list, get, update a subset, delete.
    let (_, list) = server.get("/api/v1/apps/demo/agents/ann/events", KEY).await;
    assert_eq!(list["Data"].as_array().unwrap().len(), 2);
    let (status, v) = server.put(&format!("/api/v1/apps/demo/agents/ann/events/{logout_id}"), KEY, json!({"method": "GET"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Data"], json!({"id": logout_id, "url": rx.url("/out"), "method": "GET", "event_type": "agent-logout"}));
    let (status, _) = server.delete(&format!("/api/v1/apps/demo/agents/ann/events/{logout_id}"), KEY).await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&format!("/api/v1/apps/demo/agents/ann/events/{logout_id}"), KEY).await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn call_events_reach_the_business_service() {
    let rx = Receiver::start(Behaviour::default()).await;
    let server = fast(|_| {}).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/calls"), "events": ["call_event"]})).await;
    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    let meet = a.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].clone();
    let call = a.request(json!({"op": "Call", "UID": "b", "meetID": meet})).await["data"]["callID"].clone();
    b.notice("NotifyCallIn").await;
    b.request(json!({"op": "RejectCall", "callID": call})).await;
    let got = rx.wait_accepted(5).await;
    let events: Vec<(String, String)> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .map(|v| (v["source"].as_str().unwrap().to_string(), v["event"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(events[0], ("CALLER".to_string(), "incoming".to_string()));
    assert_eq!(events.last().unwrap(), &("CONVERSATION".to_string(), "hangup".to_string()));
    let first: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!((first["appid"].as_str(), first["sessionid"].as_str()), (Some("demo"), call.as_str()));
    assert!(first["message"].as_str().unwrap().contains("&source=CALLER&event=incoming&"));
    server.stop().await;
}

#[tokio::test]
async fn a_callback_customer_is_offered_after_leaving_its_page_and_the_business_service_hears_each_step() {
    let rx = Receiver::start(Behaviour::default()).await;
    let server = fast(|_| {}).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/cb"), "events": ["callback"]})).await;
    let mut c = server.client("carl").await;
    assert_eq!(c.request(json!({"op": "RequestCallback", "number": "555-0100"})).await["err"], 401, "not queuing yet");
    c.request(json!({"op": "StartQueuing", "queID": 3})).await;
    let r = c.request(json!({"op": "RequestCallback", "number": "call me"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str().map(|m| m.starts_with("invalid number: "))), (Some(5), Some(true)), "{r}");
    assert_eq!(c.request(json!({"op": "RequestCallback", "number": "555-0100"})).await["err"], 0);
    // The page closes for good; an agent comes later and is offered the customer.
    c.drop_connection();
    let mut agent = server.client("anna").await;
    agent.request(json!({"op": "StartService", "queID": 3})).await;
    let offer = agent.notice("AutoAssignUser").await;
    assert_eq!((offer["usrID"].as_str(), offer["callback"].as_str()), (Some("carl"), Some("555-0100")), "{offer}");
    agent.request(json!({"op": "AcceptAssignUser", "queID": 3, "usrID": "carl"})).await;
    let got = rx.wait_accepted(2).await;
    let bodies: Vec<Value> = got.iter().map(|r| serde_json::from_str(&r.body).unwrap()).collect();
    assert_eq!(
        bodies.iter().map(|b| (b["event"].as_str().unwrap(), b["agentid"].as_str())).collect::<Vec<_>>(),
        [("callback.requested", None), ("callback.taken", Some("anna"))]
    );
    assert_eq!((bodies[1]["number"].as_str(), bodies[1]["userid"].as_str(), bodies[1]["queueid"].as_u64()), (Some("555-0100"), Some("carl"), Some(3)));
    assert_eq!(got[1].headers.get("x-lineup-event").and_then(|v| v.to_str().ok()), Some("callback"));
    server.stop().await;
}

#[tokio::test]
async fn failures_are_retried_in_order_until_delivered_once() {
    let behaviour = Behaviour::default();
    behaviour.fail_first.store(3, Ordering::SeqCst);
    let rx = Receiver::start(behaviour).await;
    let server = fast(|_| {}).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/q"), "events": ["queue_change"]})).await;
    let mut users = Vec::new();
    for i in 0..5 {
        let mut c = server.client(&format!("u{i}")).await;
        c.request(json!({"op": "StartQueuing", "queID": 2})).await;
        users.push(c);
    }
    let got = rx.wait_accepted(5).await;
    let ids: Vec<String> = got.iter().map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["userid"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["u0", "u1", "u2", "u3", "u4"], "in order, each once");
    let event_ids: Vec<&str> = got.iter().map(|r| r.headers["x-lineup-event-id"].to_str().unwrap()).collect();
    let mut unique = event_ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    let failed: Vec<_> = rx.log.lock().unwrap().iter().filter(|r| r.status == 500).map(|r| r.headers["x-lineup-event-id"].to_str().unwrap().to_string()).collect();
    assert_eq!(failed, vec![event_ids[0]; 3], "the first event was retried until it got through; nothing overtook it");
    let (_, log) = server.get("/api/v1/apps/demo/deliveries?status=delivered", KEY).await;
    let first = log["Data"]["deliveries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((first["attempts"].as_u64(), first["status"].as_str()), (Some(4), Some("delivered")));
    server.stop().await;
}

#[tokio::test]
async fn nothing_is_lost_when_the_receiver_is_down_across_a_restart() {
    let rx = Receiver::start(Behaviour::default()).await;
    let addr = rx.addr;
    rx.stop().await;
    let server = fast(|_| {}).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": format!("http://{addr}/hook"), "events": ["queue_change"]})).await;
    let mut c = server.client("kept").await;
    c.request(json!({"op": "StartQueuing", "queID": 1})).await;
    c.request(json!({"op": "StopQueuing"})).await;
    // The first attempt fails (the receiver is down); the later event waits behind it.
    let first = wait_delivery(&server, |d| d["attempts"].as_u64() >= Some(1)).await;
    assert_eq!(first["status"], "pending", "{first}");
    assert!(first["lastError"].as_str().unwrap().starts_with("cannot deliver"), "{first}");
    let dir = server.stop().await;
    let server = Server::start_in(dir, |c| c.webhook_backoff_ms = 50).await;
    let rx = Receiver::start_on(addr, Behaviour::default()).await;
    let got = rx.wait_accepted(2).await;
    let types: Vec<u64> = got.iter().map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["eventtype"].as_u64().unwrap()).collect();
    assert_eq!(types, [503, 504]);
    server.stop().await;
}

#[tokio::test]
async fn a_hanging_receiver_delays_no_offer() {
    let rx = Receiver::start(Behaviour { hang: true, ..Default::default() }).await;
    let server = fast(|_| {}).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/slow"), "events": ["queue_change", "acd_state"]})).await;
    server.post("/api/v1/apps/demo/agents/agent/events", KEY, json!({"event_type": "agent-login", "method": "POST", "url": rx.url("/slow2")})).await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "StartService", "queID": 2})).await; // agent-login: to /slow2
    let mut customers = vec![server.client("c0").await];
    customers[0].request(json!({"op": "StartQueuing", "queID": 2})).await; // queue_change: to /slow
    // Both deliveries were made, and the receiver holds them unanswered.
    let mut hanging: Vec<String> = rx.wait_requests(2).await.iter().map(|r| r.uri.clone()).collect();
    hanging.sort();
    assert_eq!(hanging, ["/slow", "/slow2"]);
    let started = std::time::Instant::now();
    for i in 0..3 {
        if i > 0 {
            let mut c = server.client(&format!("c{i}")).await;
            c.request(json!({"op": "StartQueuing", "queID": 2})).await;
            customers.push(c);
        }
        assert_eq!(agent.notice("AutoAssignUser").await["usrID"], format!("c{i}"));
        agent.request(json!({"op": "AcceptAssignUser", "queID": 2, "usrID": format!("c{i}")})).await;
        agent.request(json!({"op": "FinishService", "queID": 2, "usrID": format!("c{i}")})).await;
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "offers went on while the receiver hung");
    let requests = rx.requests();
    assert!(requests.iter().all(|r| r.status == 0), "none was answered: {requests:?}");
    assert_eq!(requests.len(), 2, "each subscription waits for its hanging delivery (in order): {requests:?}");
    server.stop().await;
}

#[tokio::test]
async fn dead_deliveries_are_visible_and_can_be_resent() {
    let behaviour = Behaviour::default();
    behaviour.fail_first.store(1_000, Ordering::SeqCst);
    let rx = Receiver::start(behaviour.clone()).await;
    let server = fast(|c| c.webhook_horizon_s = 1).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/x"), "events": ["queue_change"]})).await;
    let mut c = server.client("d").await;
    c.request(json!({"op": "StartQueuing", "queID": 3})).await;
    let mut dead = Value::Null;
    for _ in 0..100 {
        let (_, v) = server.get("/api/v1/apps/demo/deliveries?status=dead", KEY).await;
        if let Some(d) = v["Data"]["deliveries"].as_array().and_then(|a| a.first()) {
            dead = d.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!((dead["status"].as_str(), dead["lastError"].as_str()), (Some("dead"), Some("HTTP 500")), "{dead}");
    assert!(dead["attempts"].as_u64().unwrap() >= 2);
    behaviour.fail_first.store(0, Ordering::SeqCst);
    let (status, v) = server.post(&format!("/api/v1/apps/demo/deliveries/{}/resend", dead["id"]), KEY, json!({})).await;
    assert_eq!(status, 200, "{v}");
    let got = rx.wait_accepted(1).await;
    assert_eq!(serde_json::from_str::<Value>(&got[0].body).unwrap()["userid"], "d");
    let (status, _) = server.post(&format!("/api/v1/apps/demo/deliveries/{}/resend", dead["id"]), KEY, json!({})).await;
    assert_eq!(status, 409, "only dead deliveries are resent");
    server.stop().await;
}

#[tokio::test]
async fn configuration_errors_name_the_field() {
    let server = fast(|c| c.max_agent_hooks = 2).await;
    let cases = [
        (json!({"url": "ftp://x", "events": ["queue_change"]}), "url"),
        (json!({"url": "http://127.0.0.1:1/x", "events": []}), "events"),
        (json!({"url": "http://127.0.0.1:1/x", "events": ["everything"]}), "everything"),
        (json!({"url": "http://127.0.0.1:1/x", "evnts": ["queue_change"]}), "evnts"),
    ];
    for (body, field) in cases {
        let (status, v) = server.put("/api/v1/apps/demo/webhook", KEY, body).await;
        assert_eq!(status, 400, "{v}");
        assert!(v["RspDesc"].as_str().unwrap().contains(field), "{field}: {v}");
    }
    let agent_cases = [
        (json!({"url": "http://h/x", "event_type": "agent-dance", "method": "GET"}), "event_type"),
        (json!({"url": "http://h/x", "event_type": "agent-login", "method": "PUT"}), "method"),
        (json!({"url": "not a url", "event_type": "agent-login", "method": "GET"}), "url"),
        (json!({"event_type": "agent-login", "method": "GET"}), "url"),
    ];
    for (body, field) in agent_cases {
        let (status, v) = server.post("/api/v1/apps/demo/agents/ann/events", KEY, body).await;
        assert_eq!(status, 400, "{v}");
        assert!(v["RspDesc"].as_str().unwrap().contains(field), "{field}: {v}");
    }
    let ok = json!({"url": "http://h/x", "event_type": "agent-login", "method": "GET"});
    assert_eq!(server.post("/api/v1/apps/demo/agents/ann/events", KEY, ok.clone()).await.0, 200);
    assert_eq!(server.post("/api/v1/apps/demo/agents/bob/events", KEY, ok.clone()).await.0, 200);
    let (status, v) = server.post("/api/v1/apps/demo/agents/cid/events", KEY, ok).await;
    assert_eq!(status, 409, "{v}");
    assert!(v["RspDesc"].as_str().unwrap().contains("limit"), "{v}");
    let (_, v) = server.get("/api/v1/apps/demo/limits", KEY).await;
    assert_eq!(v["Data"], json!({"agentEventSubscriptions": {"used": 2, "max": 2}}));
    let (status, _) = server.get("/api/v1/apps/demo/deliveries?status=lost", KEY).await;
    assert_eq!(status, 400);
    let (status, _) = server.put("/api/v1/apps/demo/webhook", Some("wrong"), json!({})).await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test]
async fn dropped_is_sent_only_after_the_hold_time() {
    let rx = Receiver::start(Behaviour::default()).await;
    let server = fast(|_| {}).await;
    server.demo_settings(json!({"holdSeconds": 1})).await;
    server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": rx.url("/q"), "events": ["queue_change"]})).await;
    // Back within the hold time: nothing but the enter.
    let mut back = server.client("back").await;
    back.request(json!({"op": "StartQueuing", "queID": 1})).await;
    let token = back.session.clone();
    back.drop_connection();
    server.wait_held("customer", 1).await;
    let mut again = Client::connect(&server.ws_url).await;
    assert_eq!(again.request(json!({"op": "Resume", "session": token})).await["err"], 0);
    // Gone past the hold time: 504 with errorcode 100.
    let mut gone = server.client("gone").await;
    gone.request(json!({"op": "StartQueuing", "queID": 1})).await;
    gone.drop_connection();
    let got = rx.wait_accepted(3).await;
    let seen: Vec<(String, u64, u64)> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .map(|v| (v["userid"].as_str().unwrap().to_string(), v["eventtype"].as_u64().unwrap(), v["errorcode"].as_u64().unwrap()))
        .collect();
    assert_eq!(seen, vec![("back".into(), 503, 0), ("gone".into(), 503, 0), ("gone".into(), 504, 100)]);
    // Had "back" been dropped, its 504 (its hold ran out first) would be stored before
    // gone's: the log holds every event there is.
    let (_, log) = server.get("/api/v1/apps/demo/deliveries", KEY).await;
    assert_eq!(log["Data"]["deliveries"].as_array().unwrap().len(), 3, "nothing for the customer who came back in time: {log}");
    assert_eq!(rx.accepted().len(), 3, "nothing for the customer who came back in time");
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_subscription_stops_its_queued_deliveries() {
    let behaviour = Behaviour::default();
    behaviour.fail_first.store(1_000, Ordering::SeqCst);
    let rx = Receiver::start(behaviour).await;
    // A long backoff: the delivery is surely still queued (not yet dead) when deleted.
    let server = fast(|c| c.webhook_backoff_ms = 20_000).await;
    let (_, v) = server.post("/api/v1/apps/demo/agents/ann/events", KEY, json!({"event_type": "agent-login", "method": "POST", "url": rx.url("/a")})).await;
    let id = v["Data"]["id"].clone();
    let mut ann = server.client("ann").await;
    ann.request(json!({"op": "StartService", "queID": 1})).await;
    let failed = wait_delivery(&server, |d| d["attempts"].as_u64() >= Some(1)).await;
    assert_eq!((failed["status"].as_str(), failed["lastError"].as_str()), (Some("pending"), Some("HTTP 500")), "{failed}");
    server.delete(&format!("/api/v1/apps/demo/agents/ann/events/{id}"), KEY).await;
    let (_, v) = server.get("/api/v1/apps/demo/deliveries?status=dead", KEY).await;
    assert_eq!(v["Data"]["deliveries"][0]["lastError"], "subscription deleted", "{v}");
    let (_, v) = server.get("/api/v1/apps/demo/deliveries?status=pending", KEY).await;
    assert_eq!(v["Data"]["deliveries"].as_array().unwrap().len(), 0);
    let (status, v) = server.put("/api/v1/apps/demo/webhook", KEY, json!({"url": "http://h/x#frag", "events": ["queue_change"]})).await;
    assert_eq!(status, 400);
    assert!(v["RspDesc"].as_str().unwrap().contains("#fragment"), "{v}");
    server.stop().await;
}

/// Agent states with reasons, as an app uses them: a table of reasons over REST, an
/// agent on a break (refused an unknown code, refused manual pulls), the supervisor
/// told each change, auto-pause after missed offers, and the agent events of seed
/// 001's family with the reason.
#[tokio::test]
async fn agent_reasons_states_auto_pause_and_their_events() {
    let rx = Receiver::start(Behaviour::default()).await;
    let server = fast(|_| {}).await;
    // The table, checked entry by entry.
    let (status, v) = server.put("/api/v1/apps/demo/reasons", KEY, json!({"reasons": [{"DNDType": 2, "label": "<b>Break</b>"}]})).await;
    assert_eq!((status, v["RspDesc"].as_str()), (400, Some("invalid label: reason 2: must be plain text (no control characters, '<' or '>')")), "{v}");
    let table = json!({"reasons": [{"DNDType": 3, "label": "Lunch"}, {"DNDType": 2, "label": "Break", "manualPulls": true}]});
    let (status, v) = server.put("/api/v1/apps/demo/reasons", KEY, table).await;
    assert_eq!(status, 200, "{v}");
    let sorted = json!({"reasons": [{"DNDType": 2, "label": "Break", "manualPulls": true}, {"DNDType": 3, "label": "Lunch", "manualPulls": false}]});
    assert_eq!(v["Data"], sorted);
    assert_eq!(server.get("/api/v1/apps/demo/reasons", KEY).await.1["Data"], sorted);
    let (status, v) = server.put("/api/v1/apps/demo/settings", KEY, json!({"maxMissedOffers": 2, "offerTimeoutSeconds": 1, "reofferDelaySeconds": 0})).await;
    assert_eq!((status, &v["Data"]["maxMissedOffers"]), (200, &json!(2)), "{v}");
    let (status, v) = server.put("/api/v1/apps/demo/settings", KEY, json!({"maxMissedOffers": 101})).await;
    assert_eq!((status, v["RspDesc"].as_str()), (400, Some("invalid maxMissedOffers: 101 is outside 0..=100")), "{v}");
    for t in ["agent-not-ready", "agent-ready", "agent-no-answer"] {
        let (status, v) = server.post("/api/v1/apps/demo/agents/ann/events", KEY, json!({"event_type": t, "method": "POST", "url": rx.url(&format!("/{t}"))})).await;
        assert_eq!(status, 200, "{v}");
    }

    let (_, t) = server.post("/api/v1/apps/demo/tokens", KEY, json!({"UID": "boss", "roles": ["supervisor"]})).await;
    let (_, t) = server.post("/api/v1/login", None, json!({"token": t["token"]})).await;
    let mut boss = Client::connect(&server.ws_url).await;
    assert_eq!(boss.request(json!({"op": "Login", "ticket": t["ticket"]})).await["err"], 0);
    assert_eq!(boss.request(json!({"op": "SubscribeWallboard"})).await["err"], 0);
    let mut ann = server.client("ann").await;
    assert_eq!(ann.request(json!({"op": "StartService", "queID": 1})).await["err"], 0);
    let idle = boss.notice("AgentStatusChanged").await;
    assert_eq!((idle["UID"].as_str(), idle["state"].as_str(), idle["DNDType"].as_u64()), (Some("ann"), Some("idle"), Some(0)), "{idle}");
    // An unknown code is refused; Lunch does not allow manual pulls, Break does.
    let r = ann.request(json!({"op": "SetDNDStatus", "DNDStatus": 7})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(5), Some("invalid DNDStatus: 7 is not a reason of this app (0 available, 1 Manual, 2 Break, 3 Lunch)")));
    assert_eq!(ann.request(json!({"op": "SetDNDStatus", "DNDStatus": 3})).await["err"], 0);
    let lunch = boss.notice("AgentStatusChanged").await;
    assert_eq!((lunch["state"].as_str(), lunch["DNDType"].as_u64(), lunch["label"].as_str()), (Some("not_ready"), Some(3), Some("Lunch")), "{lunch}");
    assert_eq!(ann.notice_where("AgentStatusChanged", |d| d["state"] == "not_ready").await, lunch, "the agent is told too");
    let mut cust = server.client("cust").await;
    assert_eq!(cust.request(json!({"op": "StartQueuing", "queID": 1})).await["err"], 0);
    let r = ann.request(json!({"op": "ReqAssignUser"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(408), Some("not ready (3 Lunch): this reason does not allow taking customers; set DNDStatus 0 or a reason that allows it")));
    // GetAgents shows the reason and the time in it.
    let agents = boss.request(json!({"op": "GetAgents"})).await;
    let a = &agents["data"]["agents"][0];
    assert_eq!((a["state"].as_str(), a["DNDType"].as_u64(), a["reasonLabel"].as_str()), (Some("not_ready"), Some(3), Some("Lunch")), "{a}");
    // Back: offered the waiting customer, misses it twice (1 s each): paused, no answer.
    assert_eq!(ann.request(json!({"op": "SetDNDStatus", "DNDStatus": 0})).await["err"], 0);
    ann.notice("AutoAssignUser").await;
    ann.notice_where("CancelAssignUser", |d| d["reason"] == "timeout").await;
    ann.notice("AutoAssignUser").await;
    ann.notice_where("CancelAssignUser", |d| d["reason"] == "timeout").await;
    let paused = boss.notice_where("AgentStatusChanged", |d| d["DNDType"] == 1000).await;
    assert_eq!((paused["state"].as_str(), paused["label"].as_str(), paused["missedOffers"].as_u64()), (Some("not_ready"), Some("No answer"), Some(2)), "{paused}");
    ann.no_notice("AutoAssignUser", 1500).await;
    let r = ann.request(json!({"op": "ReqAssignUser"})).await;
    assert_eq!(r["err"], 408, "a paused agent does not pull either: {r}");

    // The agent events, in the seed-001 form with the reason.
    let got = rx.wait_accepted(3).await;
    let bodies: Vec<(&str, &str)> = got.iter().map(|g| (g.uri.as_str(), g.body.as_str())).collect();
    assert_eq!(
        bodies,
        [
            ("/agent-not-ready", "agent_id=ann&agent_status=not_ready&agent_type=local&extension_name=ann&event_source=sdk&reason_code=3&reason_label=Lunch"),
            ("/agent-ready", "agent_id=ann&agent_status=available&agent_type=local&extension_name=ann&event_source=sdk&reason_code=0&reason_label="),
            ("/agent-no-answer", "agent_id=ann&agent_status=no_answer&agent_type=local&extension_name=ann&event_source=system&reason_code=1000&reason_label=No%20answer"),
        ]
    );
    server.stop().await;
}
