//! Queue flows over real sockets: auto assignment, manual assignment, reject and
//! timeout back to the head, one queue at a time, drop and resume.

mod common;

use common::*;
use serde_json::json;

const VIP: u32 = 1;
const TECH: u32 = 2;
const GENERAL: u32 = 3;

#[tokio::test]
async fn auto_flow_offer_accept_finish() {
    let server = Server::start().await;
    let mut agent = server.client("agent1").await;
    let init = agent.request(json!({"op": "InitQueueDat"})).await;
    assert_eq!(init["err"], 0);
    assert_eq!(init["data"]["queues"].as_array().unwrap().len(), 3);
    assert_eq!(
        init["data"]["queues"][0],
        json!({"queID": 1, "name": "VIP customers", "desc": "Priority line for VIP members", "prio": 1})
    );
    assert_eq!(agent.request(json!({"op": "StartService", "queID": GENERAL})).await["err"], 0);
    assert_eq!(agent.request(json!({"op": "GetServingQueues"})).await["data"]["queues"], json!([GENERAL]));
    let status = agent.notice_where("QueueStatusChanged", |s| s["queID"] == GENERAL && s["agent_num"] == 1).await;
    assert_eq!(status, json!({"queID": GENERAL, "agent_num": 1, "wait_num": 0, "srv_num": 0}));

    let mut customer = server.client("cust1").await;
    let r = customer.request(json!({"op": "StartQueuing", "queID": GENERAL, "usrExtDat": "order 42"})).await;
    assert_eq!(r["err"], 0, "{r}");
    let info = customer.notice("QueuingInfoChanged").await;
    assert_eq!(info, json!({"queID": GENERAL, "position": 0, "queuingTime": 0, "estimatedWaitTime": -1}), "no service has ended: not known yet");

    let offer = agent.notice("AutoAssignUser").await;
    assert_eq!(
        offer,
        json!({"queID": GENERAL, "usrID": "cust1", "name": "cust1", "queuingTime": 0, "usrExtDat": "order 42"})
    );
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": GENERAL, "usrID": "cust1"})).await["err"], 0);
    let info = customer.notice_where("QueuingInfoChanged", |i| i["queID"] != GENERAL).await;
    assert_eq!(info["queID"], -2, "in service");
    assert_eq!(customer.request(json!({"op": "GetQueuingInfo"})).await["data"]["queID"], -2);
    let leave = agent.notice("UserLeave").await;
    assert_eq!(leave, json!({"queID": GENERAL, "usrID": "cust1", "inService": 1}));

    assert_eq!(agent.request(json!({"op": "FinishService", "queID": GENERAL, "usrID": "cust1"})).await["err"], 0);
    let done = customer.notice("ServiceFinished").await;
    assert_eq!(done["reason"], "finished");
    assert_eq!(customer.notice_where("QueuingInfoChanged", |i| i["queID"] == -1).await["queID"], -1);
    let stats = agent.request(json!({"op": "GetQueueStatistics", "queID": GENERAL})).await;
    assert_eq!(stats["data"]["entered"], 1);
    assert_eq!(stats["data"]["served"], 1);
    server.stop().await;
}

#[tokio::test]
async fn agent_serving_two_queues_gets_the_higher_priority_first() {
    let server = Server::start().await;
    let mut c1 = server.client("general-first").await;
    let mut c2 = server.client("vip-later").await;
    assert_eq!(c1.request(json!({"op": "StartQueuing", "queID": GENERAL})).await["err"], 0);
    assert_eq!(c2.request(json!({"op": "StartQueuing", "queID": VIP})).await["err"], 0);
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await;
    agent.request(json!({"op": "StartService", "queID": GENERAL})).await;
    agent.request(json!({"op": "StartService", "queID": VIP, "priority": 3})).await;
    agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 0})).await;
    let offer = agent.notice("AutoAssignUser").await;
    assert_eq!(offer["usrID"], "vip-later", "VIP (prio 1) beats General (prio 10) despite waiting less");
    server.stop().await;
}

#[tokio::test]
async fn manual_flow_dnd_and_req_assign() {
    let server = Server::start().await;
    let mut agent = server.client("agent").await;
    let r = agent.request(json!({"op": "ReqAssignUser"})).await;
    assert_eq!(r["err"], 403, "no served queue: {r}");
    assert_eq!(agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await["err"], 0);
    agent.request(json!({"op": "StartService", "queID": TECH})).await;
    assert_eq!(agent.request(json!({"op": "ReqAssignUser"})).await["err"], 401, "nobody waiting");

    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    a.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    b.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    agent.no_notice_before_pong("AutoAssignUser").await;

    let r = agent.request(json!({"op": "ReqAssignUser"})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(r["data"]["usrID"], "a", "head of the queue");
    assert_eq!(a.notice_where("QueuingInfoChanged", |i| i["queID"] == -2).await["queID"], -2);
    // b moves up to the head.
    assert_eq!(b.notice_where("QueuingInfoChanged", |i| i["position"] == 0).await["queID"], TECH);

    let r = agent.request(json!({"op": "ReqAssignUser2", "queID": TECH, "usrID": "b"})).await;
    assert_eq!(r["err"], 406, "capacity 1 is used: {r}");
    agent.request(json!({"op": "SetAgentCapacity", "capacity": 2})).await;
    let r = agent.request(json!({"op": "ReqAssignUser2", "queID": TECH, "usrID": "b"})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(r["data"]["usrID"], "b");
    server.stop().await;
}

#[tokio::test]
async fn reject_returns_the_customer_to_the_head_and_to_another_agent() {
    let server = Server::start().await;
    let mut agent1 = server.client("agent1").await;
    agent1.request(json!({"op": "StartService", "queID": TECH})).await;
    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    a.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    assert_eq!(agent1.notice("AutoAssignUser").await["usrID"], "a");
    b.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    assert_eq!(b.notice("QueuingInfoChanged").await["position"], 1);

    let r = agent1.request(json!({"op": "RejectAssignUser", "queID": TECH, "usrID": "a"})).await;
    assert_eq!(r["err"], 0);
    // agent1 is free again and gets b (it just declined a); a stays at the head.
    assert_eq!(agent1.notice("AutoAssignUser").await["usrID"], "b");
    let pos = a.request(json!({"op": "GetQueuingInfo"})).await;
    assert_eq!(pos["data"]["position"], 0, "a is back at the head: {pos}");

    let mut agent2 = server.client("agent2").await;
    agent2.request(json!({"op": "StartService", "queID": TECH})).await;
    assert_eq!(agent2.notice("AutoAssignUser").await["usrID"], "a", "offered to another free agent");
    // Accepting a customer offered to someone else fails.
    let r = agent1.request(json!({"op": "AcceptAssignUser", "queID": TECH, "usrID": "a"})).await;
    assert_eq!(r["err"], 402);
    server.stop().await;
}

#[tokio::test]
async fn offer_timeout_cancels_and_returns_to_the_head() {
    let server = Server::start().await;
    server.demo_settings(json!({"offerTimeoutSeconds": 1})).await;
    let mut agent1 = server.client("agent1").await;
    agent1.request(json!({"op": "StartService", "queID": TECH})).await;
    let mut a = server.client("a").await;
    a.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    assert_eq!(agent1.notice("AutoAssignUser").await["usrID"], "a");
    let cancel = agent1.notice("CancelAssignUser").await;
    assert_eq!(cancel, json!({"queID": TECH, "usrID": "a", "reason": "timeout"}));
    assert_eq!(a.request(json!({"op": "GetQueuingInfo"})).await["data"]["position"], 0);
    let mut agent2 = server.client("agent2").await;
    agent2.request(json!({"op": "StartService", "queID": TECH})).await;
    assert_eq!(agent2.notice("AutoAssignUser").await["usrID"], "a");
    let r = agent1.request(json!({"op": "AcceptAssignUser", "queID": TECH, "usrID": "a"})).await;
    assert_eq!(r["err"], 402, "the timed-out offer cannot be accepted");
    server.stop().await;
}

#[tokio::test]
async fn customer_stopping_while_offered_cancels_the_offer() {
    let server = Server::start().await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "StartService", "queID": VIP})).await;
    let mut a = server.client("a").await;
    a.request(json!({"op": "StartQueuing", "queID": VIP})).await;
    agent.notice("AutoAssignUser").await;
    assert_eq!(a.request(json!({"op": "StopQueuing"})).await["err"], 0);
    assert_eq!(agent.notice("CancelAssignUser").await["reason"], "customer_left");
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": VIP, "usrID": "a"})).await["err"], 402);
    assert_eq!(a.request(json!({"op": "StopQueuing"})).await["err"], 401, "not queuing any more");
    server.stop().await;
}

#[tokio::test]
async fn one_queue_at_a_time() {
    let server = Server::start().await;
    let mut c = server.client("c").await;
    assert_eq!(c.request(json!({"op": "StartQueuing", "queID": VIP})).await["err"], 0);
    let r = c.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    assert_eq!(r["err"], 404, "{r}");
    assert_eq!(c.request(json!({"op": "StopQueuing"})).await["err"], 0);
    assert_eq!(c.request(json!({"op": "StartQueuing", "queID": TECH})).await["err"], 0);
    server.stop().await;
}

#[tokio::test]
async fn dropped_customer_resumes_within_hold_time_and_keeps_its_place() {
    let server = Server::start().await;
    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    a.request(json!({"op": "StartQueuing", "queID": GENERAL})).await;
    b.request(json!({"op": "StartQueuing", "queID": GENERAL})).await;
    assert_eq!(b.notice("QueuingInfoChanged").await["position"], 1);
    let token = b.session.clone();
    b.drop_connection();
    server.wait_held("customer", 1).await;

    let mut b2 = Client::connect(&server.ws_url).await;
    let r = b2.request(json!({"op": "Resume", "session": token})).await;
    assert_eq!(r["err"], 0, "{r}");
    assert_eq!(r["data"]["resumed"], true);
    assert_eq!(r["data"]["UID"], "b");
    let info = b2.notice("QueuingInfoChanged").await;
    assert_eq!((info["queID"].as_u64(), info["position"].as_u64()), (Some(GENERAL as u64), Some(1)), "kept its place");

    // While b was away, nothing was offered to it; now an agent takes a then b.
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "StartService", "queID": GENERAL})).await;
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], "a");
    server.stop().await;
}

#[tokio::test]
async fn dropped_customer_leaves_after_the_hold_time() {
    let server = Server::start().await;
    server.demo_settings(json!({"holdSeconds": 1})).await;
    let mut watcher = server.client("supervisor").await;
    watcher.request(json!({"op": "InitQueueDat"})).await;
    let mut a = server.client("a").await;
    a.request(json!({"op": "StartQueuing", "queID": GENERAL})).await;
    watcher.notice_where("QueueStatusChanged", |s| s["queID"] == GENERAL && s["wait_num"] == 1).await;
    let token = a.session.clone();
    a.drop_connection();
    watcher.notice_where("QueueStatusChanged", |s| s["queID"] == GENERAL && s["wait_num"] == 0).await;

    let mut again = Client::connect(&server.ws_url).await;
    let r = again.request(json!({"op": "Resume", "session": token})).await;
    assert_eq!(r["err"], 12, "the session is gone: {r}");
    server.stop().await;
}

#[tokio::test]
async fn held_agent_offer_goes_back_to_the_head_and_to_another_agent() {
    let server = Server::start().await;
    let mut agent1 = server.client("agent1").await;
    agent1.request(json!({"op": "StartService", "queID": VIP})).await;
    let mut a = server.client("a").await;
    a.request(json!({"op": "StartQueuing", "queID": VIP})).await;
    agent1.notice("AutoAssignUser").await;
    let mut agent2 = server.client("agent2").await;
    agent2.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await;
    agent2.request(json!({"op": "StartService", "queID": VIP})).await;
    agent2.request(json!({"op": "SetDNDStatus", "DNDStatus": 0})).await;
    agent1.drop_connection();
    assert_eq!(agent2.notice("AutoAssignUser").await["usrID"], "a");
    server.stop().await;
}

#[tokio::test]
async fn a_second_login_takes_over_the_session() {
    let server = Server::start().await;
    let mut first = server.client("same-user").await;
    first.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    let mut second = server.client("same-user").await;
    assert_eq!(first.notice("LineOff").await["sdkErr"], 10);
    assert_eq!(first.closed().await.0, 4001);
    let info = second.request(json!({"op": "GetQueuingInfo"})).await;
    assert_eq!(info["data"]["queID"], TECH, "the queue place follows the user: {info}");
    server.stop().await;
}

#[tokio::test]
async fn queue_users_and_user_enter_leave_for_agents() {
    let server = Server::start().await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await;
    agent.request(json!({"op": "StartService", "queID": TECH})).await;
    let mut a = server.client("a").await;
    a.request(json!({"op": "StartQueuing", "queID": TECH, "usrExtDat": "{\"topic\":\"wifi\"}"})).await;
    let enter = agent.notice("UserEnter").await;
    assert_eq!(enter["queID"], TECH);
    assert_eq!(enter["user"]["usrID"], "a");
    assert_eq!(enter["user"]["usrExtDat"], "{\"topic\":\"wifi\"}");
    let mut b = server.client("b").await;
    b.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    let users = agent.request(json!({"op": "GetQueueUsers", "queID": TECH})).await;
    assert_eq!(users["data"]["total"], 2);
    let ids: Vec<_> = users["data"]["users"].as_array().unwrap().iter().map(|u| u["usrID"].clone()).collect();
    assert_eq!(ids, vec![json!("a"), json!("b")]);
    a.request(json!({"op": "StopQueuing"})).await;
    assert_eq!(agent.notice("UserLeave").await, json!({"queID": TECH, "usrID": "a", "inService": 0}));
    server.stop().await;
}

#[tokio::test]
async fn a_reply_always_comes_before_the_notices_it_causes() {
    let server = Server::start().await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "StartService", "queID": TECH})).await;
    let mut c = server.client("c").await;
    // Read raw frames: the StartQueuing reply must be the very next frame.
    c.send_text(&json!({"seq": 100, "op": "StartQueuing", "queID": TECH}).to_string()).await;
    let first = c.next_frame().await.unwrap();
    assert_eq!((first["type"].as_str(), first["seq"].as_u64()), (Some("reply"), Some(100)), "{first}");
    let next = c.next_frame().await.unwrap();
    assert_eq!(next["name"], "QueuingInfoChanged", "{next}");
    // RefreshAllQueueStatus: the reply, then one QueueStatusChanged per queue.
    c.send_text(&json!({"seq": 101, "op": "RefreshAllQueueStatus"}).to_string()).await;
    let mut frames = Vec::new();
    while frames.len() < 4 {
        let f = c.next_frame().await.unwrap();
        if f["name"] == "QueueStatusChanged" || f["type"] == "reply" {
            frames.push(f);
        }
    }
    assert_eq!(frames[0]["seq"], 101, "{frames:?}");
    assert_eq!(frames[0]["data"]["statuses"].as_array().unwrap().len(), 3);
    let ids: Vec<_> = frames[1..].iter().map(|f| f["data"]["queID"].as_u64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    server.stop().await;
}

/// PROTOCOL §3.3: every notice addressed to a held session is delivered on `Resume`,
/// in order, before the reply: position changes too, then the snapshot after it.
#[tokio::test]
async fn position_changes_while_held_arrive_before_the_resume_reply_in_order() {
    let server = Server::start().await;
    server.demo_settings(json!({"noticeIntervalMs": 0})).await;
    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    let mut c = server.client("c").await;
    for x in [&mut a, &mut b, &mut c] {
        assert_eq!(x.request(json!({"op": "StartQueuing", "queID": GENERAL})).await["err"], 0);
    }
    assert_eq!(c.notice("QueuingInfoChanged").await["position"], 2);
    let token = c.session.clone();
    c.drop_connection();
    server.wait_held("customer", 1).await;
    // Two moves while held: 2 → 1 → 0 (each told at once: no coalescing interval).
    assert_eq!(a.request(json!({"op": "StopQueuing"})).await["err"], 0);
    assert_eq!(b.request(json!({"op": "StopQueuing"})).await["err"], 0);

    let mut back = Client::connect(&server.ws_url).await;
    let r = back.request(json!({"op": "Resume", "session": token})).await;
    assert_eq!(r["err"], 0, "{r}");
    let before: Vec<u64> = back
        .notices
        .iter()
        .filter(|n| n["name"] == "QueuingInfoChanged")
        .map(|n| n["data"]["position"].as_u64().unwrap())
        .collect();
    assert_eq!(before, [1, 0], "the held customer's position changes, in order, before the reply: {:?}", back.notices);
    back.notices.clear();
    // Then the snapshot: where it stands now.
    assert_eq!(back.notice("QueuingInfoChanged").await["position"], 0);
    server.stop().await;
}
