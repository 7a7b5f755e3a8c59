//! Calls and rooms over real sockets: an agent takes a customer, creates a room, calls
//! the customer into it; call events reach both pages in order; hang-up ends the
//! service; reject, no answer, errors, rejoin after a reload, and forwarding.

mod common;

use common::*;
use serde_json::{json, Value};

const TECH: u32 = 2;
const GENERAL: u32 = 3;

/// An agent serving `queue` that has accepted customer `cust` (logged in and queuing).
async fn served_pair(server: &Server, queue: u32, agent_id: &str, cust_id: &str) -> (Client, Client) {
    let mut agent = server.client(agent_id).await;
    agent.request(json!({"op": "StartService", "queID": queue})).await;
    let mut cust = server.client(cust_id).await;
    assert_eq!(cust.request(json!({"op": "StartQueuing", "queID": queue})).await["err"], 0);
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], cust_id);
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": queue, "usrID": cust_id})).await["err"], 0);
    (agent, cust)
}

async fn events(c: &mut Client, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(c.notice("NotifyCallEvent").await);
    }
    out
}

fn kinds(evts: &[Value]) -> Vec<(String, String)> {
    evts.iter().map(|e| (e["source"].as_str().unwrap().to_string(), e["event"].as_str().unwrap().to_string())).collect()
}

#[tokio::test]
async fn full_flow_room_call_events_hangup_wrapup_next_offer() {
    let server = Server::start().await;
    let (_, v) = server.put(&format!("/api/v1/apps/demo/queues/{TECH}"), Some(DEMO_KEY), json!({"WrapUpSeconds": 1})).await;
    assert_eq!(v["RspCode"], 0, "{v}");
    let (mut agent, mut cust) = served_pair(&server, TECH, "agent", "cust").await;
    let mut next = server.client("next").await;
    next.request(json!({"op": "StartQueuing", "queID": TECH})).await;

    let room = agent.request(json!({"op": "CreateMeeting", "subject": "Support for cust", "pswd": "123"})).await;
    assert_eq!(room["err"], 0, "{room}");
    let meet = room["data"].clone();
    assert_eq!((meet["subject"].as_str(), meet["creator"].as_str(), meet["memberCount"].as_u64()), (Some("Support for cust"), Some("agent"), Some(0)));
    let meet_id = meet["ID"].as_u64().unwrap();
    assert_eq!(agent.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": "123"})).await["err"], 0);

    let call = agent.request(json!({"op": "Call", "UID": "cust", "meetID": meet_id, "usrExtDat": "hello"})).await;
    assert_eq!(call["err"], 0, "{call}");
    let call_id = call["data"]["callID"].as_str().unwrap().to_string();
    let call_in = cust.notice("NotifyCallIn").await;
    assert_eq!((call_in["callID"].as_str(), call_in["callerID"].as_str(), call_in["usrExtDat"].as_str()), (Some(call_id.as_str()), Some("agent"), Some("hello")));
    assert_eq!(call_in["meetObj"]["ID"], meet_id);
    assert_eq!(call_in["meetObj"]["pswd"], "123");
    let info = cust.request(json!({"op": "GetSessionInfo"})).await;
    assert_eq!((info["data"]["peerID"].as_str(), info["data"]["bCallAccepted"].as_u64()), (Some("agent"), Some(0)));

    assert_eq!(cust.request(json!({"op": "AcceptCall", "callID": call_id, "usrExtDat": "hi"})).await["err"], 0);
    let accepted = agent.notice("NotifyCallAccepted").await;
    assert_eq!((accepted["callID"].as_str(), accepted["usrExtDat"].as_str()), (Some(call_id.as_str()), Some("hi")));
    let entered = cust.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": "123"})).await;
    assert_eq!(entered["err"], 0, "{entered}");
    assert_eq!(
        entered["data"]["members"],
        json!([{"UID": "agent", "nickName": "agent"}, {"UID": "cust", "nickName": "cust"}]),
        "every member, from the moment of entering"
    );
    let entered = agent.notice("UserEnterMeeting").await;
    assert_eq!(entered["UID"], "cust");

    assert_eq!(agent.request(json!({"op": "HoldCall", "callID": call_id})).await["err"], 0);
    assert_eq!(cust.notice("NotifyCallHold").await["callID"], call_id.as_str());
    assert_eq!(agent.request(json!({"op": "ResumeCall", "callID": call_id})).await["err"], 0);
    assert_eq!(cust.notice("NotifyCallResume").await["callID"], call_id.as_str());

    assert_eq!(cust.request(json!({"op": "HungupCall", "callID": call_id, "usrExtDat": "bye"})).await["err"], 0);
    assert_eq!(agent.notice("NotifyCallHungup").await["usrExtDat"], "bye");
    assert_eq!(agent.notice("ServiceFinished").await["reason"], "call_ended");

    // Both pages saw the same events, in order, with strictly increasing ids.
    let agent_events = events(&mut agent, 8).await;
    let cust_events = events(&mut cust, 8).await;
    assert_eq!(agent_events, cust_events);
    let expected = [
        ("CALLEE", "ringing"), ("CALLEE", "answer"), ("CALLEE", "join"), ("CALLEE", "onhold"),
        ("CALLEE", "resume"), ("CALLEE", "hangup"), ("AGENT", "hangup"), ("CONVERSATION", "hangup"),
    ];
    assert_eq!(kinds(&agent_events), expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
    let ids: Vec<u64> = agent_events.iter().map(|e| e["eventid"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let first = &agent_events[0];
    assert_eq!((first["sessionid"].as_str(), first["calleridnum"].as_str(), first["from"].as_str()), (Some(call_id.as_str()), Some("cust"), Some("dialout")));
    assert_eq!((first["queID"].as_u64(), first["agentID"].as_str()), (Some(TECH as u64), Some("agent")));
    let message = first["message"].as_str().unwrap();
    assert!(message.starts_with("calleridnum=cust&activenum=cust&source=CALLEE&event=ringing&sessionid=call-"), "{message}");
    assert!(message.contains("&from=dialout&") && message.contains(&format!("queID={TECH}&")), "{message}");

    // After the wrap-up (1 s) the next customer is offered.
    assert_eq!(agent.notice("AutoAssignUser").await["usrID"], "next");
    server.stop().await;
}

#[tokio::test]
async fn rejected_and_unanswered_calls() {
    let server = Server::start().await;
    server.demo_settings(json!({"callTimeoutSeconds": 1})).await;
    let (mut agent, mut cust) = served_pair(&server, GENERAL, "agent", "cust").await;
    let meet_id = agent.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].as_u64().unwrap();
    let call_id = agent.request(json!({"op": "Call", "UID": "cust", "meetID": meet_id})).await["data"]["callID"].clone();
    cust.notice("NotifyCallIn").await;
    assert_eq!(cust.request(json!({"op": "RejectCall", "callID": call_id, "usrExtDat": "busy now"})).await["err"], 0);
    let rejected = agent.notice("NotifyCallRejected").await;
    assert_eq!((rejected["sdkErr"].as_u64(), rejected["usrExtDat"].as_str()), (Some(606), Some("busy now")));
    assert_eq!(agent.notice("ServiceFinished").await["reason"], "call_ended");

    // No answer: 604 after the call timeout.
    let mut other = server.client("other").await;
    let meet2 = agent.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].clone();
    let call2 = agent.request(json!({"op": "Call", "UID": "other", "meetID": meet2})).await;
    assert_eq!(call2["err"], 0, "{call2}");
    other.notice("NotifyCallIn").await;
    let no_answer = agent.notice("NotifyCallRejected").await;
    assert_eq!(no_answer["sdkErr"], 604);
    assert_eq!(other.notice("NotifyCallHungup").await["callID"], call2["data"]["callID"]);
    server.stop().await;
}

#[tokio::test]
async fn call_and_room_errors_use_cloudroom_codes() {
    let server = Server::start().await;
    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    let meet = a.request(json!({"op": "CreateMeeting", "pswd": "pw"})).await["data"]["ID"].as_u64().unwrap();
    assert_eq!(b.request(json!({"op": "EnterMeeting", "meetID": meet, "pswd": "nope"})).await["err"], 801);
    assert_eq!(b.request(json!({"op": "EnterMeeting", "meetID": 999_999})).await["err"], 800);
    assert_eq!(a.request(json!({"op": "Call", "UID": "b", "meetID": 999_999})).await["err"], 800);
    assert_eq!(a.request(json!({"op": "Call", "UID": "nobody", "meetID": meet})).await["err"], 605);
    assert_eq!(a.request(json!({"op": "AcceptCall", "callID": "call-1"})).await["err"], 600);
    let call = a.request(json!({"op": "Call", "UID": "b", "meetID": meet})).await;
    assert_eq!(call["err"], 0);
    assert_eq!(a.request(json!({"op": "Call", "UID": "b", "meetID": meet})).await["err"], 601, "already in a call");
    let mut c = server.client("c").await;
    let meet_c = c.request(json!({"op": "CreateMeeting"})).await["data"]["ID"].clone();
    assert_eq!(c.request(json!({"op": "Call", "UID": "b", "meetID": meet_c})).await["err"], 602, "b is busy");
    assert_eq!(a.request(json!({"op": "AcceptCall", "callID": call["data"]["callID"]})).await["err"], 600, "only the callee accepts");
    let d = server.client("d").await;
    d.drop_connection();
    server.wait_held("other", 1).await;
    assert_eq!(c.request(json!({"op": "Call", "UID": "d", "meetID": meet_c})).await["err"], 603, "d is offline (held)");
    server.stop().await;
}

#[tokio::test]
async fn a_reloaded_page_rejoins_its_call_within_the_hold_time() {
    let server = Server::start().await;
    let (mut agent, mut cust) = served_pair(&server, TECH, "agent", "cust").await;
    let meet = agent.request(json!({"op": "CreateMeeting", "pswd": "p"})).await["data"]["ID"].as_u64().unwrap();
    let call_id = agent.request(json!({"op": "Call", "UID": "cust", "meetID": meet})).await["data"]["callID"].clone();
    cust.notice("NotifyCallIn").await;
    cust.request(json!({"op": "AcceptCall", "callID": call_id})).await;
    cust.drop_connection();
    // The page reloads and logs in again: the call is still there.
    let mut again = server.client("cust").await;
    let info = again.request(json!({"op": "GetSessionInfo"})).await["data"].clone();
    assert_eq!(info["callID"], call_id);
    assert_eq!((info["peerID"].as_str(), info["bCallAccepted"].as_u64(), info["meetingID"].as_u64(), info["meetingPswd"].as_str()), (Some("agent"), Some(1), Some(meet), Some("p")));
    assert_eq!(again.request(json!({"op": "EnterMeeting", "meetID": meet, "pswd": "p"})).await["err"], 0);
    assert_eq!(again.request(json!({"op": "HungupCall", "callID": call_id})).await["err"], 0);
    agent.notice("NotifyCallHungup").await;
    server.stop().await;
}

#[tokio::test]
async fn forwarding_keeps_the_waiting_time() {
    let server = Server::start().await;
    let mut early = server.client("early").await;
    early.request(json!({"op": "StartQueuing", "queID": GENERAL})).await;
    let mut late = server.client("late").await;
    late.request(json!({"op": "StartQueuing", "queID": TECH})).await;
    let mut agent = server.client("agent").await;
    agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await;
    agent.request(json!({"op": "StartService", "queID": GENERAL})).await;
    let r = agent.request(json!({"op": "ForwardUser", "queID": GENERAL, "usrID": "early", "toQueID": TECH})).await;
    assert_eq!(r["err"], 0, "{r}");
    let info = early.notice_where("QueuingInfoChanged", |i| i["queID"] == TECH).await;
    assert_eq!(info["position"], 0, "earlier than 'late', so ahead of it");
    assert_eq!(late.notice_where("QueuingInfoChanged", |i| i["position"] == 1).await["queID"], TECH);
    let r = agent.request(json!({"op": "ForwardUser", "queID": GENERAL, "usrID": "early", "toQueID": TECH})).await;
    assert_eq!(r["err"], 401, "no longer in GENERAL: {r}");
    // The same through REST.
    let (status, v) = server.post(&format!("/api/v1/apps/demo/queues/{TECH}/forward"), Some(DEMO_KEY), json!({"usrID": "late", "toQueID": GENERAL})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(late.notice_where("QueuingInfoChanged", |i| i["queID"] == GENERAL).await["position"], 0);
    let (status, v) = server.post(&format!("/api/v1/apps/demo/queues/{TECH}/forward"), Some(DEMO_KEY), json!({"usrID": "late", "toQueID": 99})).await;
    assert_eq!(status, 404, "{v}");
    let (_, v) = server.get(&format!("/api/v1/apps/demo/queues/{GENERAL}/statistics"), Some(DEMO_KEY)).await;
    assert_eq!(v["Data"]["forwarded"], 1);
    server.stop().await;
}

#[tokio::test]
async fn in_meeting_texts_reach_the_room_or_the_one_named() {
    let server = Server::start().await;
    let mut a = server.client("im-a").await;
    let mut b = server.client("im-b").await;
    let mut c = server.client("im-c").await;
    let mut outsider = server.client("im-out").await;
    let meet = a.request(json!({"op": "CreateMeeting", "subject": "im", "pswd": ""})).await["data"]["ID"].as_u64().unwrap();
    for p in [&mut a, &mut b, &mut c] {
        assert_eq!(p.request(json!({"op": "EnterMeeting", "meetID": meet, "pswd": ""})).await["err"], 0);
    }
    // To everyone else in the room.
    let r = a.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "hello 你好 <b>"})).await;
    assert_eq!(r["err"], 0, "{r}");
    for p in [&mut b, &mut c] {
        let n = p.notice("NotifyIMmsg").await;
        assert_eq!((n["meetID"].as_u64(), n["fromUserID"].as_str(), n["text"].as_str()), (Some(meet), Some("im-a"), Some("hello 你好 <b>")));
        assert!(n["sendTime"].as_u64().unwrap() > 1_700_000_000, "Unix seconds: {n}");
    }
    a.no_notice_before_pong("NotifyIMmsg").await;
    // To one member only.
    assert_eq!(b.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "psst", "UID": "im-c"})).await["err"], 0);
    let n = c.notice("NotifyIMmsg").await;
    assert_eq!((n["text"].as_str(), n.get("kind")), (Some("psst"), None), "a text carries no kind: {n}");
    a.no_notice_before_pong("NotifyIMmsg").await;
    // A command (the SDK's SendCmd) keeps its kind on the way.
    assert_eq!(b.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "{}", "UID": "im-c", "kind": "cmd"})).await["err"], 0);
    assert_eq!(c.notice("NotifyIMmsg").await["kind"], "cmd");
    let r = b.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "{}", "kind": "file"})).await;
    assert_eq!(r["err"], 6, "an unknown kind is refused: {r}");
    // Refusals name the problem.
    let r = outsider.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "hi"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(800), Some(format!("this session is not in room {meet}").as_str())), "{r}");
    let r = a.request(json!({"op": "SendIMmsg", "meetID": meet, "text": ""})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(5), Some("invalid text: 1 to 4096 characters (0 given)")), "{r}");
    let r = a.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "x".repeat(4097)})).await;
    assert_eq!(r["err"], 5, "{r}");
    let r = a.request(json!({"op": "SendIMmsg", "meetID": meet, "text": "hi", "UID": "im-out"})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(605), Some(format!("im-out is not in room {meet}").as_str())), "{r}");
    let r = a.request(json!({"op": "SendIMmsg", "meetID": meet})).await;
    assert_eq!(r["err"], 6, "the text is required: {r}");
    server.stop().await;
}

/// User status (CloudRoom's StartUserStatusNotify / NotifyUserStatus / GetUserStatus)
/// follows what the server knows: login, DND with its type, an offer, a service, a
/// room, a dropped connection, a logout; each change once.
#[tokio::test]
async fn user_status_follows_presence_offers_services_and_rooms() {
    let server = Server::start().await;
    let mut watcher = server.client("us-watch").await;
    assert_eq!(watcher.request(json!({"op": "StartUserStatusNotify"})).await["err"], 0);
    let status = |uid: &str, state: u64, dnd: u64| json!({"userID": uid, "userStatus": state, "DNDType": dnd});
    let mut agent = server.client("us-agent").await;
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-agent", 1, 0));
    assert_eq!(agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 3})).await["err"], 0);
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-agent", 1, 3));
    let r = agent.request(json!({"op": "SetDNDStatus", "DNDStatus": -3})).await;
    assert_eq!((r["err"].as_u64(), r["msg"].as_str()), (Some(5), Some("invalid DNDStatus: -3 is neither 0 (off) nor a DND type 1 to 4294967295")));
    assert_eq!(agent.request(json!({"op": "SetDNDStatus", "DNDStatus": 0})).await["err"], 0);
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-agent", 1, 0));

    assert_eq!(agent.request(json!({"op": "StartService", "queID": TECH})).await["err"], 0);
    let mut cust = server.client("us-cust").await;
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-cust", 1, 0));
    assert_eq!(cust.request(json!({"op": "StartQueuing", "queID": TECH})).await["err"], 0);
    // An offer is not busy yet (the agent may decline it): nothing to tell.
    agent.notice("AutoAssignUser").await;
    watcher.no_notice_before_pong("NotifyUserStatus").await;
    // The accept makes both busy (one request: each told once).
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": TECH, "usrID": "us-cust"})).await["err"], 0);
    let mut told = vec![watcher.notice("NotifyUserStatus").await, watcher.notice("NotifyUserStatus").await];
    told.sort_by_key(|v| v["userID"].as_str().unwrap().to_string());
    assert_eq!(told, vec![status("us-agent", 2, 0), status("us-cust", 2, 0)]);
    let room = agent.request(json!({"op": "CreateMeeting", "subject": "s", "pswd": ""})).await;
    let meet_id = room["data"]["ID"].as_u64().unwrap();
    assert_eq!(agent.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": ""})).await["err"], 0);
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-agent", 3, 0), "the room");

    let all = watcher.request(json!({"op": "GetUserStatus"})).await;
    assert_eq!(
        all["data"]["users"],
        json!([status("us-agent", 3, 0), status("us-cust", 2, 0), status("us-watch", 1, 0)]),
        "{all}"
    );
    let one = agent.request(json!({"op": "GetUserStatus", "UID": "nobody"})).await;
    assert_eq!(one["data"]["users"], json!([status("nobody", 0, 0)]), "{one}");

    // A dropped connection is offline; the end of the session too, once.
    cust.drop_connection();
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-cust", 0, 0));
    assert_eq!(agent.request(json!({"op": "ExitMeeting", "meetID": meet_id})).await["err"], 0);
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-agent", 2, 0), "still serving the held customer");
    assert_eq!(agent.request(json!({"op": "Logout"})).await["err"], 0);
    assert_eq!(watcher.notice("NotifyUserStatus").await, status("us-agent", 0, 0));
    // Stopped: nothing more.
    assert_eq!(watcher.request(json!({"op": "StopUserStatusNotify"})).await["err"], 0);
    let _again = server.client("us-agent").await;
    watcher.no_notice_before_pong("NotifyUserStatus").await;
    server.stop().await;
}

