//! The SDK core in headless Chromium against a real lineup-server (started by
//! `cargo xtask test`): flows, errors, reconnect and LineOff.
#![cfg(target_arch = "wasm32")]

#[path = "browser/harness.rs"]
mod harness;

use harness::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn login_init_queue_dat_and_cached_getters() {
    let (app, qs) = app("{}", &[1, 10]).await;
    let (c, _) = user(&app, "alice").await;
    assert_eq!(c.state(), "online");
    assert_eq!(text(&c.user(), "appID"), app);
    assert_eq!(num(&c.queuing_info(), "queID"), -1.0, "not queuing until told otherwise");
    let init = ok(&c, r#"{"op":"InitQueueDat"}"#).await;
    assert_eq!(js_sys::Array::from(&get(&init, "queues")).length(), 2);
    let queues = c.queues();
    assert_eq!(queues.length(), 2);
    assert_eq!(json(&queues.get(0)), format!(r#"{{"queID":{},"name":"q0","desc":"queue 0","prio":1}}"#, qs[0]));
    assert_eq!(json(&c.queue_status(qs[1])), format!(r#"{{"queID":{},"agent_num":0,"wait_num":0,"srv_num":0}}"#, qs[1]));
    assert!(c.queue_status(999_999).is_undefined());
    let e = call(&c, r#"{"op":"Teleport"}"#).await.unwrap_err();
    assert_eq!(e, 5, "unknown ops are refused before sending");
}

#[wasm_bindgen_test]
async fn login_errors_reject_with_codes() {
    let (app, _) = app("{}", &[5]).await;
    let (rec, f) = Recorder::new();
    let c = lineup_sdk::LineupCore::new(server(), f);
    let e = wasm_bindgen_futures::JsFuture::from(c.login(app.clone(), "0000".into(), "x".into(), "u".into())).await.unwrap_err();
    assert!(e.is_instance_of::<js_sys::Error>());
    assert_eq!(num(&e, "sdkErr"), 7.0);
    assert_eq!(c.state(), "idle");
    let e = call(&c, r#"{"op":"InitQueueDat"}"#).await.unwrap_err();
    assert_eq!(e, 12, "requests need a login");
    assert!(rec.events.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn auto_flow_offer_accept_finish() {
    let (app, qs) = app("{}", &[5]).await;
    let q = qs[0];
    let (agent, agent_ev) = user(&app, "agent").await;
    ok(&agent, &format!(r#"{{"op":"StartService","queID":{q}}}"#)).await;
    assert_eq!(agent.serving_queues().length(), 1);
    let (cust, cust_ev) = user(&app, "cust").await;
    ok(&cust, &format!(r#"{{"op":"StartQueuing","queID":{q},"usrExtDat":"order 42"}}"#)).await;
    let info = cust_ev.next("QueuingInfoChanged").await;
    assert_eq!(json(&info), format!(r#"{{"queID":{q},"position":0,"queuingTime":0,"estimatedWaitTime":-1}}"#));
    assert_eq!(num(&cust.queuing_info(), "position"), 0.0);

    let offer = agent_ev.next("AutoAssignUser").await;
    assert_eq!(json(&offer), format!(r#"{{"queID":{q},"usrID":"cust","name":"Nick cust","queuingTime":0,"usrExtDat":"order 42"}}"#));
    ok(&agent, &format!(r#"{{"op":"AcceptAssignUser","queID":{q},"usrID":"cust"}}"#)).await;
    cust_ev.next_where("QueuingInfoChanged", |i| num(i, "queID") == -2.0).await;
    assert_eq!(num(&cust.queuing_info(), "queID"), -2.0);
    ok(&agent, &format!(r#"{{"op":"FinishService","queID":{q},"usrID":"cust"}}"#)).await;
    let done = cust_ev.next("ServiceFinished").await;
    assert_eq!(text(&done, "reason"), "finished");
}

#[wasm_bindgen_test]
async fn reject_puts_the_customer_back_at_the_head_for_another_agent() {
    let (app, qs) = app("{}", &[5]).await;
    let q = qs[0];
    let (a1, ev1) = user(&app, "a1").await;
    ok(&a1, &format!(r#"{{"op":"StartService","queID":{q}}}"#)).await;
    let (c1, c1_ev) = user(&app, "c1").await;
    ok(&c1, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    assert_eq!(text(&ev1.next("AutoAssignUser").await, "usrID"), "c1");
    let (c2, _) = user(&app, "c2").await;
    ok(&c2, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    ok(&a1, &format!(r#"{{"op":"RejectAssignUser","queID":{q},"usrID":"c1"}}"#)).await;
    assert_eq!(text(&ev1.next("AutoAssignUser").await, "usrID"), "c2", "the rejecting agent gets the next one");
    let pos = ok(&c1, r#"{"op":"GetQueuingInfo"}"#).await;
    assert_eq!(num(&pos, "position"), 0.0, "back at the head");
    let (a2, ev2) = user(&app, "a2").await;
    ok(&a2, &format!(r#"{{"op":"StartService","queID":{q}}}"#)).await;
    assert_eq!(text(&ev2.next("AutoAssignUser").await, "usrID"), "c1");
    assert_eq!(call(&a1, &format!(r#"{{"op":"AcceptAssignUser","queID":{q},"usrID":"c1"}}"#)).await.unwrap_err(), 402);
    let _ = c1_ev;
}

#[wasm_bindgen_test]
async fn offer_timeout_sends_cancel_assign_user() {
    let (app, qs) = app(r#"{"offerTimeoutSeconds":1}"#, &[5]).await;
    let q = qs[0];
    let (a, ev) = user(&app, "a").await;
    ok(&a, &format!(r#"{{"op":"StartService","queID":{q}}}"#)).await;
    let (c, _) = user(&app, "c").await;
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    ev.next("AutoAssignUser").await;
    let cancel = ev.next("CancelAssignUser").await;
    assert_eq!(json(&cancel), format!(r#"{{"queID":{q},"usrID":"c","reason":"timeout"}}"#));
    assert_eq!(num(&ok(&c, r#"{"op":"GetQueuingInfo"}"#).await, "position"), 0.0);
}

#[wasm_bindgen_test]
async fn manual_mode_dnd_and_req_assign_user() {
    let (app, qs) = app("{}", &[5]).await;
    let q = qs[0];
    let (a, ev) = user(&app, "a").await;
    assert_eq!(call(&a, r#"{"op":"ReqAssignUser"}"#).await.unwrap_err(), 403);
    ok(&a, r#"{"op":"SetDNDStatus","DNDStatus":1}"#).await;
    ok(&a, &format!(r#"{{"op":"StartService","queID":{q}}}"#)).await;
    assert_eq!(call(&a, r#"{"op":"ReqAssignUser"}"#).await.unwrap_err(), 401);
    let (c, _) = user(&app, "c").await;
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    // An offer made when c queued would reach the agent before the answer to its Ping.
    ok(&a, r#"{"op":"Ping"}"#).await;
    assert!(!ev.has_new("AutoAssignUser"), "no offers in DND");
    let user = ok(&a, r#"{"op":"ReqAssignUser"}"#).await;
    assert_eq!(text(&user, "usrID"), "c");
}

#[wasm_bindgen_test]
async fn one_queue_at_a_time() {
    let (app, qs) = app("{}", &[5, 6]).await;
    let (c, _) = user(&app, "c").await;
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{}}}"#, qs[0])).await;
    assert_eq!(call(&c, &format!(r#"{{"op":"StartQueuing","queID":{}}}"#, qs[1])).await.unwrap_err(), 404);
}

#[wasm_bindgen_test]
async fn a_dropped_socket_resumes_and_keeps_the_place() {
    let (app, qs) = app("{}", &[5]).await;
    let q = qs[0];
    let (first, _) = user(&app, "first").await;
    ok(&first, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    let (c, ev) = user(&app, "second").await;
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    assert_eq!(num(&ev.next("QueuingInfoChanged").await, "position"), 1.0);
    c.drop_connection();
    // A request made while the SDK reconnects is sent after, not lost.
    let pending = wasm_bindgen_futures::JsFuture::from(c.request(obj(r#"{"op":"GetQueuingInfo"}"#)));
    ev.next("Reconnecting").await;
    ev.next("Reconnected").await;
    let info = pending.await.expect("the queued request is answered after the resume");
    assert_eq!((num(&info, "queID") as u32, num(&info, "position")), (q, 1.0), "kept its place");
    assert_eq!(c.state(), "online");
    assert!(!ev.has_new("LineOff"));
}

#[wasm_bindgen_test]
async fn line_off_when_the_hold_time_has_passed() {
    let (app, qs) = app(r#"{"holdSeconds":0}"#, &[5]).await;
    let (c, ev) = user(&app, "c").await;
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{}}}"#, qs[0])).await;
    c.drop_connection();
    let off = ev.next("LineOff").await;
    assert_eq!(num(&off, "sdkErr"), 207.0);
    assert_eq!(c.state(), "idle");
    assert_eq!(call(&c, r#"{"op":"GetQueuingInfo"}"#).await.unwrap_err(), 12);
}

#[wasm_bindgen_test]
async fn line_off_when_the_same_user_logs_in_elsewhere() {
    let (app, _) = app("{}", &[5]).await;
    let (first, ev) = user(&app, "twice").await;
    let (_second, _) = user(&app, "twice").await;
    assert_eq!(num(&ev.next("LineOff").await, "sdkErr"), 10.0);
    assert_eq!(first.state(), "idle");
}

#[wasm_bindgen_test]
async fn the_server_closing_the_socket_is_survived_with_the_place_kept() {
    let (app, qs) = app("{}", &[5]).await;
    let q = qs[0];
    let (first, _) = user(&app, "first").await;
    ok(&first, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    let (c, ev) = user(&app, "second").await;
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    // A frame over the server's limit: the server answers 31 and closes the socket (1009).
    let huge = "x".repeat(70_000);
    let refused = call(&c, &format!(r#"{{"op":"Ping","pad":"{huge}"}}"#)).await.unwrap_err();
    assert_eq!(refused, 207, "the request in flight is reported lost, not dropped silently");
    let closed = ev.next("Reconnecting").await;
    // 1009 with the server's close frame; 1006 when the browser sees the TCP close first.
    assert!([1009.0, 1006.0].contains(&num(&closed, "code")), "{}", json(&closed));
    ev.next("Reconnected").await;
    let info = ok(&c, r#"{"op":"GetQueuingInfo"}"#).await;
    assert_eq!((num(&info, "queID") as u32, num(&info, "position")), (q, 1.0), "kept its place");
    assert!(!ev.has_new("LineOff"));
}

#[wasm_bindgen_test]
async fn call_flow_events_hangup_wrapup_next_offer() {
    let (app, qs) = app("{}", &[5]).await;
    let q = qs[0];
    let (_, v) = rest("PUT", &format!("/api/v1/apps/{app}/queues/{q}"), Some(SECRET_MD5), Some(r#"{"WrapUpSeconds":1}"#)).await;
    assert_eq!(num(&v, "RspCode"), 0.0);
    let (agent, aev) = user(&app, "agent").await;
    ok(&agent, &format!(r#"{{"op":"StartService","queID":{q}}}"#)).await;
    let (cust, cev) = user(&app, "cust").await;
    ok(&cust, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    let (next, _) = user(&app, "next").await;
    ok(&next, &format!(r#"{{"op":"StartQueuing","queID":{q}}}"#)).await;
    aev.next("AutoAssignUser").await;
    ok(&agent, &format!(r#"{{"op":"AcceptAssignUser","queID":{q},"usrID":"cust"}}"#)).await;
    let meet = ok(&agent, r#"{"op":"CreateMeeting","subject":"help","pswd":"pw"}"#).await;
    let meet_id = num(&meet, "ID") as u32;
    let call_id = text(&ok(&agent, &format!(r#"{{"op":"Call","UID":"cust","meetID":{meet_id}}}"#)).await, "callID");
    let call_in = cev.next("NotifyCallIn").await;
    assert_eq!(text(&call_in, "callID"), call_id);
    ok(&cust, &format!(r#"{{"op":"AcceptCall","callID":"{call_id}"}}"#)).await;
    aev.next("NotifyCallAccepted").await;
    // The SDK asked for the session info when the accept was answered; a Ping sent now
    // is answered after it.
    ok(&cust, r#"{"op":"Ping"}"#).await;
    let info = cust.session_info();
    assert_eq!((text(&info, "callID"), text(&info, "peerID"), num(&info, "bCallAccepted")), (call_id.clone(), "agent".into(), 1.0));
    ok(&cust, &format!(r#"{{"op":"HungupCall","callID":"{call_id}"}}"#)).await;
    aev.next("NotifyCallHungup").await;
    // Both pages got the same events, in order, with increasing ids: all of them came
    // before the answers to Pings sent after the hang-up.
    ok(&agent, r#"{"op":"Ping"}"#).await;
    ok(&cust, r#"{"op":"Ping"}"#).await;
    let (agent_events, cust_events) = (aev.all("NotifyCallEvent"), cev.all("NotifyCallEvent"));
    assert_eq!(agent_events.iter().map(json).collect::<Vec<_>>(), cust_events.iter().map(json).collect::<Vec<_>>());
    let seen: Vec<(String, String, f64)> =
        agent_events.iter().map(|a| (text(a, "source"), text(a, "event"), num(a, "eventid"))).collect();
    let names: Vec<(String, String)> = seen.iter().map(|(s, e, _)| (s.clone(), e.clone())).collect();
    let expected: Vec<(String, String)> = [("CALLEE", "ringing"), ("CALLEE", "answer"), ("CALLEE", "hangup"), ("AGENT", "hangup"), ("CONVERSATION", "hangup")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(names, expected);
    assert!(seen.windows(2).all(|w| w[0].2 < w[1].2));
    // After the 1 s wrap-up the next customer is offered.
    assert_eq!(text(&aev.next("AutoAssignUser").await, "usrID"), "next");
}

#[wasm_bindgen_test]
async fn reject_no_answer_and_hangup_while_ringing() {
    let (app, _) = app(r#"{"callTimeoutSeconds":1}"#, &[5]).await;
    let (a, aev) = user(&app, "a").await;
    let (b, bev) = user(&app, "b").await;
    let meet = num(&ok(&a, r#"{"op":"CreateMeeting"}"#).await, "ID") as u32;
    let c1 = text(&ok(&a, &format!(r#"{{"op":"Call","UID":"b","meetID":{meet}}}"#)).await, "callID");
    bev.next("NotifyCallIn").await;
    ok(&b, &format!(r#"{{"op":"RejectCall","callID":"{c1}"}}"#)).await;
    assert_eq!(num(&aev.next("NotifyCallRejected").await, "sdkErr"), 606.0);
    let c2 = text(&ok(&a, &format!(r#"{{"op":"Call","UID":"b","meetID":{meet}}}"#)).await, "callID");
    assert_eq!(text(&bev.next("NotifyCallIn").await, "callID"), c2);
    assert_eq!(num(&aev.next("NotifyCallRejected").await, "sdkErr"), 604.0, "no answer within the call timeout");
    let c3 = text(&ok(&a, &format!(r#"{{"op":"Call","UID":"b","meetID":{meet}}}"#)).await, "callID");
    bev.next("NotifyCallIn").await;
    ok(&a, &format!(r#"{{"op":"HungupCall","callID":"{c3}"}}"#)).await;
    assert_eq!(text(&bev.next("NotifyCallHungup").await, "callID"), c3, "hang-up while ringing");
    assert_eq!(call(&b, &format!(r#"{{"op":"AcceptCall","callID":"{c3}"}}"#)).await.unwrap_err(), 600);
}

#[wasm_bindgen_test]
async fn a_reloaded_page_rejoins_its_call() {
    let (app, _) = app("{}", &[5]).await;
    let (a, _) = user(&app, "a").await;
    let (b, bev) = user(&app, "b").await;
    let meet = num(&ok(&a, r#"{"op":"CreateMeeting","pswd":"pw"}"#).await, "ID") as u32;
    let call_id = text(&ok(&a, &format!(r#"{{"op":"Call","UID":"b","meetID":{meet}}}"#)).await, "callID");
    bev.next("NotifyCallIn").await;
    ok(&b, &format!(r#"{{"op":"AcceptCall","callID":"{call_id}"}}"#)).await;
    // The page reloads: a new SDK instance logs the same user in (within the hold time).
    drop(b);
    let (again, _) = user(&app, "b").await;
    let info = ok(&again, r#"{"op":"GetSessionInfo"}"#).await;
    assert_eq!((text(&info, "callID"), num(&info, "meetingID") as u32, text(&info, "meetingPswd")), (call_id, meet, "pw".into()));
    assert_eq!(num(&ok(&again, &format!(r#"{{"op":"EnterMeeting","meetID":{meet},"pswd":"pw"}}"#)).await, "ID") as u32, meet);
}

#[wasm_bindgen_test]
async fn several_server_addresses_login_on_the_first_that_answers_and_resume_there() {
    let (app, qs) = app("{}", &[5]).await;
    let (rec, f) = Recorder::new();
    // Nothing listens on port 9: the login falls through to the real server.
    let c = lineup_sdk::LineupCore::new(format!("127.0.0.1:9; {}", server()), f);
    let info = wasm_bindgen_futures::JsFuture::from(c.login(app.clone(), SECRET_MD5.into(), "Multi".into(), "multi".into()))
        .await
        .expect("login on the second address");
    assert_eq!(text(&info, "UID"), "multi");
    ok(&c, &format!(r#"{{"op":"StartQueuing","queID":{}}}"#, qs[0])).await;
    c.drop_connection();
    rec.next("Reconnecting").await;
    rec.next("Reconnected").await;
    assert_eq!(num(&ok(&c, r#"{"op":"GetQueuingInfo"}"#).await, "queID") as u32, qs[0], "resumed with its place");
}

#[wasm_bindgen_test]
async fn typed_methods_send_protocol_ops_and_refuse_wrong_parameters_by_name() {
    let (app, qs) = app("{}", &[3]).await;
    let q = qs[0];
    let (cust, cust_ev) = user(&app, "typed").await;
    // The typed method sends the protocol's StartQueuing; the reply resolves to undefined.
    let done = JsFuture::from(cust.start_queuing(q.into(), "from a typed call".into(), JsValue::UNDEFINED)).await.unwrap();
    assert!(done.is_undefined());
    let info = cust_ev.next("QueuingInfoChanged").await;
    assert_eq!(num(&info, "queID"), f64::from(q));
    // A wrong parameter is refused before anything is sent, naming it.
    let e = JsFuture::from(cust.start_queuing("3".into(), JsValue::UNDEFINED, JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(num(&e, "sdkErr"), 5.0);
    assert_eq!(text(&e, "message"), "queID must be a non-negative integer");
    // Attributes (skills-based routing) are text, integers or true/false, named when not.
    let bad = js_sys::JSON::parse(r#"{"language":"yue","age":1.5}"#).unwrap();
    let e = JsFuture::from(cust.start_queuing(q.into(), JsValue::UNDEFINED, bad)).await.unwrap_err();
    assert_eq!(text(&e, "message"), "attributes.age must be text, an integer or true/false");
    let e = JsFuture::from(cust.accept_assign_user(q.into(), 42.into())).await.unwrap_err();
    assert_eq!(text(&e, "message"), "usrID must be a string");
    // Nothing known yet: the getters hand CloudRoom's empty values, typed as the protocol's.
    let (fresh, _) = user(&app, "fresh").await;
    assert_eq!(json(&fresh.queuing_info()), r#"{"queID":-1,"position":0,"queuingTime":0}"#);
    assert_eq!(
        json(&fresh.session_info()),
        r#"{"callID":"","peerID":"","peerName":"","bCallAccepted":0,"meetingID":0,"meetingPswd":"","duration":0}"#
    );
    let stats = JsFuture::from(cust.get_queue_statistics(q.into())).await.unwrap();
    assert_eq!(num(&stats, "queID"), f64::from(q));
}
