//! Golden tests of Lineup's wire format: every WebSocket op, reply and notice, every
//! reply data object and every REST body, as literal JSON.
//!
//! Each golden example is checked both ways: the literal JSON parses into the expected
//! Rust value, and the Rust value serializes back to the same JSON (compared as
//! `serde_json::Value`; server frames also as the exact text the server sends).
//!
//! The examples are the ones in `PROTOCOL.md`: every golden example must appear there
//! (as a ```json block, or inside one), and every ```json block there must be valid JSON
//! that parses as the message it looks like. So the document and the code cannot drift
//! apart silently.
//!
//! Note on key order: a reply's `data` is a `serde_json::Value`. The protocol crate
//! builds serde_json with `preserve_order`, so those keys keep the struct's declaration
//! order, like notices and REST bodies. The exact-text assertions below pin what the
//! server really sends. (Comparisons of `Value`s ignore key order.)

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::OnceLock;

use lineup_protocol::codes;
use lineup_protocol::rest::{
    rsp, AdminResponse, AppCreateRequest, AppSettingsBody, ForwardRequest, LoginRequest, LoginResponse, QueueFields,
    QueueQueryData, QueueRecord, TokenRequest, TokenResponse,
};
use lineup_protocol::types::{
    MonitorMode, MsgKind, TrackKind, TrackState,
    AgentInfo, CallEvent, MeetInfo, QueStatus, QueUser, QueueInfo, QueueStatistics, QueuingInfo, ServedCustomer,
    AgentStatusChange, AttrValue, ReasonSeconds, RoomMember, WallboardAgents, WallboardFrame, WallboardQueue, ServedQueue, SessionInfo, StateSeconds, UserStatus,
};
use lineup_protocol::ws::{
    reply_ok, AgentsData, CallData, UserStatusData, InitQueueData, LoginData, MediaJoinData, PongData, QueueUsersData, ServingQueuesData, StatusesData,
};
use lineup_protocol::{ClientFrame, Notice, Op, Reply, RequestHead, ServerFrame};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------

const PROTOCOL_MD: &str = include_str!("../../../PROTOCOL.md");

/// Every JSON value of every ```json block of PROTOCOL.md.
fn doc_values() -> &'static Vec<Value> {
    static VALUES: OnceLock<Vec<Value>> = OnceLock::new();
    VALUES.get_or_init(|| {
        let mut values = Vec::new();
        for block in json_blocks(PROTOCOL_MD) {
            for v in serde_json::Deserializer::from_str(&block).into_iter::<Value>() {
                values.push(v.unwrap_or_else(|e| panic!("PROTOCOL.md has invalid JSON ({e}) in:\n{block}")));
            }
        }
        values
    })
}

/// The bodies of the ```json fenced blocks of a Markdown text.
fn json_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        let trimmed = line.trim();
        match &mut current {
            None if trimmed == "```json" => current = Some(String::new()),
            None => {}
            Some(_) if trimmed == "```" => blocks.push(current.take().unwrap()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(current.is_none(), "PROTOCOL.md has an unterminated ```json block");
    blocks
}

/// Whether `needle` is `haystack` or any value nested in it.
fn contains(haystack: &Value, needle: &Value) -> bool {
    if haystack == needle {
        return true;
    }
    match haystack {
        Value::Array(items) => items.iter().any(|v| contains(v, needle)),
        Value::Object(map) => map.values().any(|v| contains(v, needle)),
        _ => false,
    }
}

/// Asserts that PROTOCOL.md shows this example (as a block or inside one).
fn documented(json: &str) {
    let needle: Value = serde_json::from_str(json).unwrap();
    assert!(
        doc_values().iter().any(|v| contains(v, &needle)),
        "PROTOCOL.md does not show this example:\n{}",
        serde_json::to_string_pretty(&needle).unwrap()
    );
}

/// The golden check: `json` parses to `expected`, and `expected` serializes to `json`
/// (compared as JSON values); the example is in PROTOCOL.md.
fn golden<T>(json: &str, expected: T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let parsed: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}\ndoes not parse: {e}"));
    assert_eq!(parsed, expected, "parsing {json}");
    let want: Value = serde_json::from_str(json).unwrap();
    let got = serde_json::to_value(&expected).unwrap();
    assert_eq!(got, want, "serializing {expected:?}");
    documented(json);
}

/// A server frame: golden, and serialized to exactly this text.
fn golden_frame(json: &str, expected: ServerFrame) {
    assert_eq!(serde_json::to_string(&expected).unwrap(), json, "exact text of {expected:?}");
    golden(json, expected);
}

/// A client frame: golden, and its `op` is the op's name.
fn golden_op(json: &str, expected: ClientFrame) {
    let op = serde_json::from_str::<Value>(json).unwrap()["op"].as_str().unwrap().to_string();
    assert_eq!(expected.op.name(), op);
    golden(json, expected);
}

/// One direction only: `json` parses to `expected` (for forms the serializer does not
/// produce, like omitted optional fields).
fn parses_as<T>(json: &str, expected: T)
where
    T: DeserializeOwned + PartialEq + Debug,
{
    let parsed: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}\ndoes not parse: {e}"));
    assert_eq!(parsed, expected, "parsing {json}");
}

/// A value serialized to exactly this text (key order included).
fn exact_text<T: Serialize + Debug>(json: &str, value: &T) {
    assert_eq!(serde_json::to_string(value).unwrap(), json, "exact text of {value:?}");
}

fn fails<T: DeserializeOwned + Debug>(json: &str) -> String {
    match serde_json::from_str::<T>(json) {
        Ok(v) => panic!("{json} should not parse, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn frame(seq: u64, op: Op) -> ClientFrame {
    ClientFrame { seq, op }
}

fn notice(n: Notice) -> ServerFrame {
    ServerFrame::Notice(n)
}

fn reply(r: Reply) -> ServerFrame {
    ServerFrame::Reply(r)
}

// ---------------------------------------------------------------------------------
// Example values (the same scenario as PROTOCOL.md)
// ---------------------------------------------------------------------------------

/// Ticket from `POST /api/v1/login` (demo app, secret "demo", UID cust1, all roles;
/// single use, its claims carry a `jti`).
const TICKET: &str = "lu1.eyJhcHAiOiJkZW1vIiwidWlkIjoiY3VzdDEiLCJuaWNrIjoiQ2FybCIsInJvbGVzIjpbImFnZW50IiwiY3VzdG9tZXIiLCJzdXBlcnZpc29yIl0sImV4cCI6MTc2NzIyNTY2MCwia2luZCI6InRpY2tldCIsImp0aSI6IjlmM2MyYTdlNWIxZDQ4YzZhMGU0ZjdiMmQ5YzgxZTM1In0.DtzAPBf__LvlzlwgW0p-laSmeRoHWyOG29drj6CwcW8";
/// Token minted by `POST /api/v1/apps/demo/tokens` (cust1, customer only).
const TOKEN: &str = "lu1.eyJhcHAiOiJkZW1vIiwidWlkIjoiY3VzdDEiLCJuaWNrIjoiQ2FybCIsInJvbGVzIjpbImN1c3RvbWVyIl0sImV4cCI6MTc2NzIyOTIwMCwia2luZCI6InRva2VuIn0.I53JtzrEsOWCe9bgUIZrVexClVsLAmpLh9-orWesp0c";
/// Ticket of a token login (customer only).
const TOKEN_TICKET: &str = "lu1.eyJhcHAiOiJkZW1vIiwidWlkIjoiY3VzdDEiLCJuaWNrIjoiQ2FybCIsInJvbGVzIjpbImN1c3RvbWVyIl0sImV4cCI6MTc2NzIyNTY2MCwia2luZCI6InRpY2tldCIsImp0aSI6IjRiN2UxZDlhMGMyZjQ2ZThiM2E1ZDFjN2U5ZjIwYTY0In0.ErPDWOJqC2q3l9YiIb-qdNqCGk-guo-b91JGzINQTvk";
/// Resume token from the Login reply (32 hex characters).
const SESSION: &str = "162d6e6edcc13d3f7bc76d5f62952295.demo";
/// md5("demo").
const DEMO_MD5: &str = "fe01ce2a7fbac8fafaed7c982a04e229";

fn all_roles() -> Vec<String> {
    vec!["agent".into(), "customer".into(), "supervisor".into()]
}

fn demo_queues() -> Vec<QueueInfo> {
    vec![
        QueueInfo { que_id: 1, name: "VIP customers".into(), desc: "Priority line for VIP members".into(), prio: 1 },
        QueueInfo {
            que_id: 2,
            name: "Technical support".into(),
            desc: "Problems with products and accounts".into(),
            prio: 5,
        },
        QueueInfo {
            que_id: 3,
            name: "General enquiries".into(),
            desc: "Questions about products, orders and billing".into(),
            prio: 10,
        },
    ]
}

fn statuses() -> Vec<QueStatus> {
    vec![
        QueStatus { que_id: 1, agent_num: 0, wait_num: 0, srv_num: 0 },
        QueStatus { que_id: 2, agent_num: 1, wait_num: 1, srv_num: 0 },
        QueStatus { que_id: 3, agent_num: 1, wait_num: 2, srv_num: 1 },
    ]
}

fn login_data(resumed: bool) -> LoginData {
    LoginData {
        session: SESSION.into(),
        uid: "cust1".into(),
        nick_name: "Carl".into(),
        app_id: "demo".into(),
        roles: all_roles(),
        resumed,
        hold_seconds: 60,
        heartbeat_seconds: 15,
        offer_timeout_seconds: 30,
    }
}

fn carl() -> QueUser {
    QueUser { que_id: 3, usr_id: "cust1".into(), name: "Carl".into(), queuing_time: 0, usr_ext_dat: "order 42".into(), callback: None, attributes: None }
}

fn dora() -> QueUser {
    QueUser {
        que_id: 2,
        usr_id: "cust2".into(),
        name: "Dora".into(),
        queuing_time: 17,
        usr_ext_dat: "{\"topic\":\"wifi\"}".into(),
        callback: None,
        attributes: None,
    }
}

fn statistics() -> QueueStatistics {
    QueueStatistics {
        que_id: 3,
        entered: 20,
        served: 16,
        abandoned: 2,
        timed_out: 1,
        forwarded: 1,
        avg_wait_seconds: 12.5,
        max_wait_seconds: 61,
        longest_waiting_seconds: 8,
        service_level: 0.875,
        service_level_seconds: 20,
        waiting: 1,
        in_service: 1,
        agents_logged_in: 2,
        agents_available: 1,
        agents_busy: 1,
    }
}

fn anna() -> AgentInfo {
    AgentInfo {
        uid: "agent1".into(),
        nick_name: "Anna".into(),
        online: true,
        dnd_status: 0,
        capacity: 2,
        serving: vec![ServedQueue { que_id: 2, priority: 0 }, ServedQueue { que_id: 3, priority: 5 }],
        customers: vec![ServedCustomer { que_id: 3, usr_id: "cust1".into(), meet_id: None }],
        pending_offers: 1,
        wrap_up_until: None,
        served_total: 12,
        service_seconds_total: 3540,
        state: "busy".into(),
        dnd_type: 0,
        reason_label: "".into(),
        state_since: 1767225600000,
        missed_offers: 0,
        state_seconds: StateSeconds { idle: 1200, busy: 3540, wrap_up: 300, not_ready: 0, offline: 0 },
        reason_seconds: vec![],
    }
}

fn bert() -> AgentInfo {
    AgentInfo {
        uid: "agent2".into(),
        nick_name: "Bert".into(),
        online: false,
        dnd_status: 1,
        capacity: 1,
        serving: vec![ServedQueue { que_id: 3, priority: 0 }],
        customers: vec![],
        pending_offers: 0,
        wrap_up_until: Some(1767225615000),
        served_total: 3,
        service_seconds_total: 610,
        state: "offline".into(),
        dnd_type: 2,
        reason_label: "Break".into(),
        state_since: 1767225615000,
        missed_offers: 0,
        state_seconds: StateSeconds { idle: 400, busy: 610, wrap_up: 60, not_ready: 900, offline: 15 },
        reason_seconds: vec![ReasonSeconds { dnd_type: 2, seconds: 900 }],
    }
}

fn billing() -> QueueRecord {
    QueueRecord {
        queue_id: 4,
        queue_name: "Billing".into(),
        priority: 3,
        que_desc: "Invoices".into(),
        max_wait_seconds: 600,
        max_length: 50,
        wrap_up_seconds: 15,
        create_time: "2026-01-01 00:00:00".into(),
        update_time: "2026-01-01 00:00:00".into(),
        agent_num: 0,
        srv_num: 0,
        wait_num: 0,
        overflow_seconds: None,
        overflow_queue_id: None,
        aging_seconds: None,
        requirement: None,
        relax_seconds: None,
    }
}

fn vip_record() -> QueueRecord {
    QueueRecord {
        queue_id: 1,
        queue_name: "VIP customers".into(),
        priority: 1,
        que_desc: "Priority line for VIP members".into(),
        max_wait_seconds: 0,
        max_length: 0,
        wrap_up_seconds: 0,
        create_time: "2025-12-31 09:00:00".into(),
        update_time: "2025-12-31 09:00:00".into(),
        agent_num: 2,
        srv_num: 1,
        wait_num: 3,
        overflow_seconds: None,
        overflow_queue_id: None,
        aging_seconds: None,
        requirement: None,
        relax_seconds: None,
    }
}

fn default_settings() -> AppSettingsBody {
    AppSettingsBody {
        hold_seconds: Some(60),
        offer_timeout_seconds: Some(30),
        notice_interval_ms: Some(1000),
        service_level_seconds: Some(20),
        reoffer_delay_seconds: Some(10),
        call_timeout_seconds: Some(30),
        customer_calls: Some("serving_agent".into()),
        queue_user_notices: Some(true),
        record_calls: Some(false),
        record_on_demand: Some(false),
        max_missed_offers: Some(0),
        service_level_target: Some(80),
        utc_offset_minutes: Some(0),
        callback_expiry_seconds: Some(3600),
    }
}

/// The call Anna (agent1) places to Carl (cust1), whom she serves from queue 3.
const CALL: &str = "call-57";

/// The room Anna created for the call (`memberCount` as given).
fn room(member_count: u32) -> MeetInfo {
    MeetInfo {
        id: 1,
        pswd: "1234".into(),
        subject: "Support for Carl".into(),
        creator: "agent1".into(),
        member_count,
        start_time: 1767225605,
        members: None,
    }
}

fn session_info_in_call() -> SessionInfo {
    SessionInfo {
        call_id: CALL.into(),
        peer_id: "agent1".into(),
        peer_name: "Anna".into(),
        b_call_accepted: 1,
        meeting_id: 1,
        meeting_pswd: "1234".into(),
        duration: 95,
    }
}

/// A call event of Anna's call to Carl (dialout, queue 3), with its `message` built the
/// way the server builds it.
fn call_event(source: &str, event: &str, eventid: u64, time: &str, active: &str) -> CallEvent {
    dialout_event(CALL, source, event, eventid, time, "cust1", active)
}

fn dialout_event(call: &str, source: &str, event: &str, eventid: u64, time: &str, caller: &str, active: &str) -> CallEvent {
    event_of(call, source, event, eventid, time, caller, active, "dialout", Some(3), Some("agent1"))
}

#[allow(clippy::too_many_arguments)]
fn event_of(
    call: &str,
    source: &str,
    event: &str,
    eventid: u64,
    time: &str,
    caller: &str,
    active: &str,
    from: &str,
    queue: Option<u32>,
    agent: Option<&str>,
) -> CallEvent {
    let enc = |v: &str| v.replace('@', "%40");
    let mut message = format!(
        "calleridnum={}&activenum={}&source={source}&event={event}&sessionid={call}&eventid={eventid}&eventTime={time}&from={from}&",
        enc(caller),
        enc(active)
    );
    if let Some(q) = queue {
        message.push_str(&format!("queID={q}&"));
    }
    if let Some(a) = agent {
        message.push_str(&format!("agentID={}&", enc(a)));
    }
    CallEvent {
        source: source.into(),
        event: event.into(),
        sessionid: call.into(),
        eventid,
        event_time: time.into(),
        calleridnum: caller.into(),
        activenum: active.into(),
        from: from.into(),
        que_id: queue,
        agent_id: agent.map(Into::into),
        message,
    }
}

// ---------------------------------------------------------------------------------
// Client frames: one golden per op
// ---------------------------------------------------------------------------------



/// A recording's id (the server makes it).
const RECORDING: &str = "5f0c3a9e2b7d41c8a6e19f3b0d2c4e7a";

/// A CloudRoom mixer id (the page makes it).
const MIXER: &str = "9f2c41d07e6b4a1c8d3e5f60718293a4";

/// The start of an SDP (the examples do not need whole ones).
const SDP: &str = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

/// One full example per op (every field given), as in PROTOCOL.md.
fn op_examples() -> Vec<(String, ClientFrame)> {
    vec![
        (
            format!(r#"{{"seq":1,"op":"Login","ticket":"{TICKET}"}}"#),
            frame(1, Op::Login { ticket: TICKET.into() }),
        ),
        (
            format!(r#"{{"seq":1,"op":"Resume","session":"{SESSION}"}}"#),
            frame(1, Op::Resume { session: SESSION.into() }),
        ),
        (r#"{"seq":30,"op":"Logout"}"#.into(), frame(30, Op::Logout)),
        (r#"{"seq":2,"op":"Ping"}"#.into(), frame(2, Op::Ping)),
        (r#"{"seq":3,"op":"InitQueueDat"}"#.into(), frame(3, Op::InitQueueDat)),
        (r#"{"seq":4,"op":"RefreshAllQueueStatus"}"#.into(), frame(4, Op::RefreshAllQueueStatus)),
        (r#"{"seq":5,"op":"GetQueueStatus","queID":3}"#.into(), frame(5, Op::GetQueueStatus { que_id: 3 })),
        (r#"{"seq":6,"op":"GetQueuingInfo"}"#.into(), frame(6, Op::GetQueuingInfo)),
        (r#"{"seq":7,"op":"GetServingQueues"}"#.into(), frame(7, Op::GetServingQueues)),
        (
            r#"{"seq":8,"op":"GetQueueUsers","queID":2,"offset":0,"limit":50}"#.into(),
            frame(8, Op::GetQueueUsers { que_id: 2, offset: Some(0), limit: Some(50) }),
        ),
        (
            r#"{"seq":9,"op":"StartService","queID":3,"priority":5}"#.into(),
            frame(9, Op::StartService { que_id: 3, priority: Some(5), skills: None }),
        ),
        (r#"{"seq":10,"op":"StopService","queID":3}"#.into(), frame(10, Op::StopService { que_id: 3 })),
        (
            r#"{"seq":11,"op":"StartQueuing","queID":3,"usrExtDat":"order 42"}"#.into(),
            frame(11, Op::StartQueuing { que_id: 3, usr_ext_dat: Some("order 42".into()), attributes: None }),
        ),
        (r#"{"seq":12,"op":"StopQueuing"}"#.into(), frame(12, Op::StopQueuing)),
        (
            r#"{"seq":13,"op":"AcceptAssignUser","queID":3,"usrID":"cust1"}"#.into(),
            frame(13, Op::AcceptAssignUser { que_id: 3, usr_id: "cust1".into() }),
        ),
        (
            r#"{"seq":14,"op":"RejectAssignUser","queID":3,"usrID":"cust1"}"#.into(),
            frame(14, Op::RejectAssignUser { que_id: 3, usr_id: "cust1".into() }),
        ),
        (r#"{"seq":15,"op":"SetDNDStatus","DNDStatus":1}"#.into(), frame(15, Op::SetDNDStatus { dnd_status: 1 })),
        (r#"{"seq":16,"op":"ReqAssignUser"}"#.into(), frame(16, Op::ReqAssignUser)),
        (
            r#"{"seq":17,"op":"ReqAssignUser2","queID":2,"usrID":"cust2"}"#.into(),
            frame(17, Op::ReqAssignUser2 { que_id: 2, usr_id: "cust2".into() }),
        ),
        (
            r#"{"seq":18,"op":"FinishService","queID":3,"usrID":"cust1"}"#.into(),
            frame(18, Op::FinishService { que_id: 3, usr_id: "cust1".into() }),
        ),
        (
            r#"{"seq":19,"op":"SetAgentCapacity","capacity":2}"#.into(),
            frame(19, Op::SetAgentCapacity { capacity: 2 }),
        ),
        (
            r#"{"seq":20,"op":"GetQueueStatistics","queID":3}"#.into(),
            frame(20, Op::GetQueueStatistics { que_id: 3 }),
        ),
        (r#"{"seq":21,"op":"GetAgents"}"#.into(), frame(21, Op::GetAgents)),
        (
            r#"{"seq":22,"op":"ForwardUser","queID":2,"usrID":"cust2","toQueID":3}"#.into(),
            frame(22, Op::ForwardUser { que_id: 2, usr_id: "cust2".into(), to_que_id: 3 }),
        ),
        (
            r#"{"seq":23,"op":"CreateMeeting","subject":"Support for Carl","pswd":"1234"}"#.into(),
            frame(23, Op::CreateMeeting { subject: "Support for Carl".into(), pswd: "1234".into() }),
        ),
        (
            r#"{"seq":24,"op":"EnterMeeting","meetID":1,"pswd":"1234"}"#.into(),
            frame(24, Op::EnterMeeting { meet_id: 1, pswd: "1234".into() }),
        ),
        (r#"{"seq":29,"op":"ExitMeeting","meetID":1}"#.into(), frame(29, Op::ExitMeeting { meet_id: 1 })),
        (r#"{"seq":31,"op":"DestroyMeeting","meetID":1}"#.into(), frame(31, Op::DestroyMeeting { meet_id: 1 })),
        (
            r#"{"seq":32,"op":"MediaJoin","meetID":1,"sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}"#.into(),
            frame(32, Op::MediaJoin { meet_id: 1, sdp: SDP.into() }),
        ),
        (
            r#"{"seq":33,"op":"MediaAnswer","sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}"#.into(),
            frame(33, Op::MediaAnswer { sdp: SDP.into() }),
        ),
        (r#"{"seq":34,"op":"MediaLeave"}"#.into(), frame(34, Op::MediaLeave)),
        (
            r#"{"seq":35,"op":"MediaMute","kind":"audio","muted":true}"#.into(),
            frame(35, Op::MediaMute { kind: TrackKind::Audio, muted: true }),
        ),
        (
            r#"{"seq":36,"op":"MediaMonitor","meetID":1,"mode":"whisper","UID":"agent1","sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}"#.into(),
            frame(36, Op::MediaMonitor { meet_id: 1, mode: MonitorMode::Whisper, uid: Some("agent1".into()), sdp: SDP.into() }),
        ),
        (
            r#"{"seq":37,"op":"SendIMmsg","meetID":1,"text":"Your order ships today","UID":"cust1"}"#.into(),
            frame(37, Op::SendIMmsg { meet_id: 1, text: "Your order ships today".into(), uid: Some("cust1".into()), kind: MsgKind::Text }),
        ),
        (r#"{"seq":41,"op":"StartUserStatusNotify"}"#.into(), frame(41, Op::StartUserStatusNotify)),
        (r#"{"seq":42,"op":"StopUserStatusNotify"}"#.into(), frame(42, Op::StopUserStatusNotify)),
        (
            r#"{"seq":43,"op":"GetUserStatus","UID":"agent1"}"#.into(),
            frame(43, Op::GetUserStatus { uid: Some("agent1".into()) }),
        ),
        (
            r#"{"seq":44,"op":"CreateCloudMixer","meetID":1,"mixerID":"9f2c41d07e6b4a1c8d3e5f60718293a4"}"#.into(),
            frame(44, Op::CreateCloudMixer { meet_id: 1, mixer_id: MIXER.into() }),
        ),
        (
            r#"{"seq":45,"op":"DestroyCloudMixer","mixerID":"9f2c41d07e6b4a1c8d3e5f60718293a4"}"#.into(),
            frame(45, Op::DestroyCloudMixer { mixer_id: MIXER.into() }),
        ),
        (r#"{"seq":46,"op":"GetAgentReasons"}"#.into(), frame(46, Op::GetAgentReasons)),
        (r#"{"seq":47,"op":"SubscribeWallboard"}"#.into(), frame(47, Op::SubscribeWallboard)),
        (r#"{"seq":48,"op":"UnsubscribeWallboard"}"#.into(), frame(48, Op::UnsubscribeWallboard)),
        (
            r#"{"seq":49,"op":"RequestCallback","number":"+86 138 0000 0000"}"#.into(),
            frame(49, Op::RequestCallback { number: "+86 138 0000 0000".into() }),
        ),
        (
            r#"{"seq":50,"op":"StartScreenShare","meetID":1,"mid":"2","sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}"#.into(),
            frame(50, Op::StartScreenShare { meet_id: 1, mid: "2".into(), sdp: SDP.into() }),
        ),
        (r#"{"seq":51,"op":"StopScreenShare","meetID":1}"#.into(), frame(51, Op::StopScreenShare { meet_id: 1 })),
        (
            r#"{"seq":25,"op":"Call","callID":"anna-carl-0001","UID":"cust1","meetID":1,"usrExtDat":"order 42"}"#.into(),
            frame(
                25,
                Op::Call {
                    call_id: Some("anna-carl-0001".into()),
                    uid: "cust1".into(),
                    meet_id: 1,
                    usr_ext_dat: Some("order 42".into()),
                },
            ),
        ),
        (
            r#"{"seq":40,"op":"AcceptCall","callID":"call-57","usrExtDat":"ready"}"#.into(),
            frame(40, Op::AcceptCall { call_id: CALL.into(), usr_ext_dat: Some("ready".into()) }),
        ),
        (
            r#"{"seq":40,"op":"RejectCall","callID":"call-57","usrExtDat":"busy now"}"#.into(),
            frame(40, Op::RejectCall { call_id: CALL.into(), usr_ext_dat: Some("busy now".into()) }),
        ),
        (
            r#"{"seq":28,"op":"HungupCall","callID":"call-57","usrExtDat":"thanks"}"#.into(),
            frame(28, Op::HungupCall { call_id: CALL.into(), usr_ext_dat: Some("thanks".into()) }),
        ),
        (r#"{"seq":26,"op":"HoldCall","callID":"call-57"}"#.into(), frame(26, Op::HoldCall { call_id: CALL.into() })),
        (r#"{"seq":27,"op":"ResumeCall","callID":"call-57"}"#.into(), frame(27, Op::ResumeCall { call_id: CALL.into() })),
        (r#"{"seq":41,"op":"GetSessionInfo"}"#.into(), frame(41, Op::GetSessionInfo)),
    ]
}

fn check_op(name: &str) {
    let (json, value) = op_examples().into_iter().find(|(_, f)| f.op.name() == name).expect("an example");
    golden_op(&json, value);
}

#[test]
fn op_login() {
    check_op("Login");
}

#[test]
fn op_resume() {
    check_op("Resume");
}

#[test]
fn op_logout() {
    check_op("Logout");
}

#[test]
fn op_ping() {
    check_op("Ping");
}

#[test]
fn op_init_queue_dat() {
    check_op("InitQueueDat");
}

#[test]
fn op_refresh_all_queue_status() {
    check_op("RefreshAllQueueStatus");
}

#[test]
fn op_get_queue_status() {
    check_op("GetQueueStatus");
}

#[test]
fn op_get_queuing_info() {
    check_op("GetQueuingInfo");
}

#[test]
fn op_get_serving_queues() {
    check_op("GetServingQueues");
}

#[test]
fn op_get_queue_users() {
    check_op("GetQueueUsers");
    // offset and limit are optional (defaults 0 and 100); omitted or null is None, and
    // the serializer omits None (it does not write null).
    let minimal = frame(8, Op::GetQueueUsers { que_id: 2, offset: None, limit: None });
    golden_op(r#"{"seq":8,"op":"GetQueueUsers","queID":2}"#, minimal.clone());
    exact_text(r#"{"seq":8,"op":"GetQueueUsers","queID":2}"#, &minimal);
    parses_as(r#"{"seq":8,"op":"GetQueueUsers","queID":2,"offset":null,"limit":null}"#, minimal);
    let page = frame(8, Op::GetQueueUsers { que_id: 2, offset: None, limit: Some(50) });
    exact_text(r#"{"seq":8,"op":"GetQueueUsers","queID":2,"limit":50}"#, &page);
}

#[test]
fn op_start_service() {
    check_op("StartService");
    // priority is optional (default 0); the serializer omits None.
    let minimal = frame(9, Op::StartService { que_id: 3, priority: None, skills: None });
    golden_op(r#"{"seq":9,"op":"StartService","queID":3}"#, minimal.clone());
    exact_text(r#"{"seq":9,"op":"StartService","queID":3}"#, &minimal);
    parses_as(r#"{"seq":9,"op":"StartService","queID":3,"priority":null}"#, minimal);
    // Lineup: the agent's skills (§12.3).
    let skills = [("language.cantonese".to_string(), 7u8), ("product.mortgage".to_string(), 4)].into_iter().collect();
    let skilled = frame(9, Op::StartService { que_id: 3, priority: None, skills: Some(skills) });
    golden_op(r#"{"seq":9,"op":"StartService","queID":3,"skills":{"language.cantonese":7,"product.mortgage":4}}"#, skilled);
    let err = lineup_protocol::ws::parse_client_frame(r#"{"seq":9,"op":"StartService","queID":3,"skills":{"vip":300}}"#).unwrap_err();
    assert_eq!(err.err, 6);
    assert!(err.msg.contains("skills"), "{}", err.msg);
}

#[test]
fn op_stop_service() {
    check_op("StopService");
}

#[test]
fn op_start_queuing() {
    check_op("StartQueuing");
    // usrExtDat is optional (default ""); the serializer omits None.
    let minimal = frame(11, Op::StartQueuing { que_id: 3, usr_ext_dat: None, attributes: None });
    golden_op(r#"{"seq":11,"op":"StartQueuing","queID":3}"#, minimal.clone());
    exact_text(r#"{"seq":11,"op":"StartQueuing","queID":3}"#, &minimal);
    parses_as(r#"{"seq":11,"op":"StartQueuing","queID":3,"usrExtDat":null}"#, minimal);
    // Lineup: attributes for the queue's requirement (§12.3): text, integers, true/false.
    let attributes = [
        ("language".to_string(), AttrValue::Text("cantonese".into())),
        ("product".to_string(), AttrValue::Text("mortgage".into())),
        ("vip".to_string(), AttrValue::Flag(true)),
    ]
    .into_iter()
    .collect();
    let with = frame(11, Op::StartQueuing { que_id: 3, usr_ext_dat: None, attributes: Some(attributes) });
    golden_op(
        r#"{"seq":11,"op":"StartQueuing","queID":3,"attributes":{"language":"cantonese","product":"mortgage","vip":true}}"#,
        with,
    );
    for bad in [r#"1.5"#, r#"null"#, r#"[1]"#, r#"{"a":1}"#] {
        let text = format!(r#"{{"seq":11,"op":"StartQueuing","queID":3,"attributes":{{"age":{bad}}}}}"#);
        let err = lineup_protocol::ws::parse_client_frame(&text).unwrap_err();
        assert_eq!(err.err, 6, "{bad}");
        let want = format!("bad fields for StartQueuing: attributes: must be text, an integer or true/false, not {{\"age\":{bad}}}");
        assert_eq!(err.msg, want);
    }
}

#[test]
fn op_stop_queuing() {
    check_op("StopQueuing");
}

#[test]
fn op_accept_assign_user() {
    check_op("AcceptAssignUser");
}

#[test]
fn op_reject_assign_user() {
    check_op("RejectAssignUser");
}

#[test]
fn op_set_dnd_status() {
    check_op("SetDNDStatus");
    // Any integer parses (0 is off, anything else on); the server refuses a DND type
    // outside 1..=u32::MAX (err 5).
    parses_as(r#"{"seq":15,"op":"SetDNDStatus","DNDStatus":0}"#, frame(15, Op::SetDNDStatus { dnd_status: 0 }));
    parses_as(r#"{"seq":15,"op":"SetDNDStatus","DNDStatus":-3}"#, frame(15, Op::SetDNDStatus { dnd_status: -3 }));
    fails::<ClientFrame>(r#"{"seq":15,"op":"SetDNDStatus","DNDStatus":true}"#);
}

#[test]
fn op_req_assign_user() {
    check_op("ReqAssignUser");
}

#[test]
fn op_req_assign_user2() {
    check_op("ReqAssignUser2");
}

#[test]
fn op_finish_service() {
    check_op("FinishService");
}

#[test]
fn op_set_agent_capacity() {
    check_op("SetAgentCapacity");
}

#[test]
fn op_get_queue_statistics() {
    check_op("GetQueueStatistics");
}

#[test]
fn op_get_agents() {
    check_op("GetAgents");
}

#[test]
fn op_forward_user() {
    check_op("ForwardUser");
}

#[test]
fn op_create_meeting() {
    check_op("CreateMeeting");
    // subject and pswd are optional (default ""); the serializer always writes them.
    let minimal = frame(23, Op::CreateMeeting { subject: "".into(), pswd: "".into() });
    parses_as(r#"{"seq":23,"op":"CreateMeeting"}"#, minimal.clone());
    documented(r#"{"seq":23,"op":"CreateMeeting"}"#);
    exact_text(r#"{"seq":23,"op":"CreateMeeting","subject":"","pswd":""}"#, &minimal);
    // Unlike the Option fields of other ops, these do not take null.
    fails::<ClientFrame>(r#"{"seq":23,"op":"CreateMeeting","pswd":null}"#);
}

#[test]
fn op_enter_meeting() {
    check_op("EnterMeeting");
    // A room without a password: pswd may be left out (it is then "").
    let open = frame(24, Op::EnterMeeting { meet_id: 1, pswd: "".into() });
    parses_as(r#"{"seq":24,"op":"EnterMeeting","meetID":1}"#, open.clone());
    documented(r#"{"seq":24,"op":"EnterMeeting","meetID":1}"#);
    exact_text(r#"{"seq":24,"op":"EnterMeeting","meetID":1,"pswd":""}"#, &open);
    let e = fails::<ClientFrame>(r#"{"seq":24,"op":"EnterMeeting","meetId":1}"#);
    assert!(e.contains("unknown field `meetId`"), "{e}");
    fails::<ClientFrame>(r#"{"seq":24,"op":"EnterMeeting","meetID":"1"}"#);
}

#[test]
fn op_exit_meeting() {
    check_op("ExitMeeting");
}

#[test]
fn op_destroy_meeting() {
    check_op("DestroyMeeting");
}

#[test]
fn op_media_join() {
    check_op("MediaJoin");
}

#[test]
fn op_media_answer() {
    check_op("MediaAnswer");
}

#[test]
fn op_media_leave() {
    check_op("MediaLeave");
}

#[test]
fn op_media_mute() {
    check_op("MediaMute");
}

#[test]
fn op_media_monitor() {
    check_op("MediaMonitor");
    // A mode not listed reads as Unknown (the server answers 5 naming the modes).
    parses_as(
        r#"{"seq":36,"op":"MediaMonitor","meetID":1,"mode":"listen","sdp":"v=0"}"#,
        frame(36, Op::MediaMonitor { meet_id: 1, mode: MonitorMode::Unknown, uid: None, sdp: "v=0".into() }),
    );
}

#[test]
fn op_send_im_msg() {
    check_op("SendIMmsg");
}

#[test]
fn op_user_status() {
    check_op("StartUserStatusNotify");
    check_op("StopUserStatusNotify");
    check_op("GetUserStatus");
    // Without UID: every user of the app.
    parses_as(r#"{"seq":43,"op":"GetUserStatus"}"#, frame(43, Op::GetUserStatus { uid: None }));
}

#[test]
fn op_get_agent_reasons() {
    check_op("GetAgentReasons");
    golden_frame(
        r#"{"type":"reply","seq":46,"err":0,"msg":"ok","data":{"reasons":[{"DNDType":2,"label":"Break","manualPulls":false},{"DNDType":4,"label":"Training","manualPulls":true}]}}"#,
        reply_data(
            46,
            &lineup_protocol::rest::AgentReasonsBody {
                reasons: vec![
                    lineup_protocol::rest::AgentReasonBody { dnd_type: 2, label: "Break".into(), manual_pulls: false },
                    lineup_protocol::rest::AgentReasonBody { dnd_type: 4, label: "Training".into(), manual_pulls: true },
                ],
            },
        ),
    );
}

#[test]
fn op_wallboard() {
    check_op("SubscribeWallboard");
    check_op("UnsubscribeWallboard");
}

#[test]
fn op_request_callback() {
    check_op("RequestCallback");
    // Without a number: call me in this page.
    parses_as(r#"{"seq":49,"op":"RequestCallback"}"#, frame(49, Op::RequestCallback { number: String::new() }));
}

#[test]
fn op_screen_share() {
    check_op("StartScreenShare");
    check_op("StopScreenShare");
}

#[test]
fn op_cloud_mixer() {
    check_op("CreateCloudMixer");
    check_op("DestroyCloudMixer");
}

#[test]
fn op_call() {
    check_op("Call");
    // callID and usrExtDat are optional: the server then makes the id ("call-<n>") and
    // usrExtDat is "". The serializer omits None.
    let minimal = frame(25, Op::Call { call_id: None, uid: "cust1".into(), meet_id: 1, usr_ext_dat: None });
    golden_op(r#"{"seq":25,"op":"Call","UID":"cust1","meetID":1}"#, minimal.clone());
    exact_text(r#"{"seq":25,"op":"Call","UID":"cust1","meetID":1}"#, &minimal);
    parses_as(r#"{"seq":25,"op":"Call","callID":null,"UID":"cust1","meetID":1,"usrExtDat":null}"#, minimal);
    let usual = frame(25, Op::Call { call_id: None, uid: "cust1".into(), meet_id: 1, usr_ext_dat: Some("order 42".into()) });
    golden_op(r#"{"seq":25,"op":"Call","UID":"cust1","meetID":1,"usrExtDat":"order 42"}"#, usual);
    // The callee is "UID" (CloudRoom's calledUserID), the room goes by its id.
    let e = fails::<ClientFrame>(r#"{"seq":25,"op":"Call","uid":"cust1","meetID":1}"#);
    assert!(e.contains("unknown field `uid`"), "{e}");
    fails::<ClientFrame>(r#"{"seq":25,"op":"Call","UID":"cust1","meetObj":{"ID":1}}"#);
    let e = fails::<ClientFrame>(r#"{"seq":25,"op":"Call","UID":"cust1"}"#);
    assert!(e.contains("missing field `meetID`"), "{e}");
}

#[test]
fn op_accept_call() {
    check_op("AcceptCall");
    let minimal = frame(40, Op::AcceptCall { call_id: CALL.into(), usr_ext_dat: None });
    golden_op(r#"{"seq":40,"op":"AcceptCall","callID":"call-57"}"#, minimal.clone());
    exact_text(r#"{"seq":40,"op":"AcceptCall","callID":"call-57"}"#, &minimal);
    let e = fails::<ClientFrame>(r#"{"seq":40,"op":"AcceptCall"}"#);
    assert!(e.contains("missing field `callID`"), "{e}");
    // CloudRoom's AcceptCall also takes the meetObj; Lineup does not.
    fails::<ClientFrame>(r#"{"seq":40,"op":"AcceptCall","callID":"call-57","meetObj":{"ID":1}}"#);
}

#[test]
fn op_reject_call() {
    check_op("RejectCall");
    parses_as(
        r#"{"seq":40,"op":"RejectCall","callID":"call-57"}"#,
        frame(40, Op::RejectCall { call_id: CALL.into(), usr_ext_dat: None }),
    );
}

#[test]
fn op_hungup_call() {
    check_op("HungupCall");
    let minimal = frame(28, Op::HungupCall { call_id: CALL.into(), usr_ext_dat: None });
    golden_op(r#"{"seq":28,"op":"HungupCall","callID":"call-57"}"#, minimal);
    // H5's spelling is not an op name.
    fails::<ClientFrame>(r#"{"seq":28,"op":"HangupCall","callID":"call-57"}"#);
    assert!(!Op::NAMES.contains(&"HangupCall"));
}

#[test]
fn op_hold_call() {
    check_op("HoldCall");
    fails::<ClientFrame>(r#"{"seq":26,"op":"HoldCall","callID":"call-57","usrExtDat":"x"}"#);
}

#[test]
fn op_resume_call() {
    check_op("ResumeCall");
}

#[test]
fn op_get_session_info() {
    check_op("GetSessionInfo");
}

#[test]
fn every_op_variant_has_an_example() {
    // Op::NAMES lists every variant (`wire_enum!` names each variant).
    let covered: BTreeSet<&str> = op_examples().iter().map(|(_, f)| f.op.name()).collect();
    let missing: Vec<&str> = Op::NAMES.iter().copied().filter(|n| !covered.contains(n)).collect();
    assert!(missing.is_empty(), "ops without an example in op_examples: {missing:?}");
}

/// The fields an op cannot do without.
fn required_fields(name: &str) -> Value {
    match name {
        "Login" => json!({"ticket": "t"}),
        "Resume" => json!({"session": "s"}),
        "GetQueueStatus" | "GetQueueUsers" | "StartService" | "StopService" | "StartQueuing"
        | "GetQueueStatistics" => json!({"queID": 1}),
        "AcceptAssignUser" | "RejectAssignUser" | "ReqAssignUser2" | "FinishService" => {
            json!({"queID": 1, "usrID": "u"})
        }
        "SetDNDStatus" => json!({"DNDStatus": 1}),
        "SetAgentCapacity" => json!({"capacity": 1}),
        "ForwardUser" => json!({"queID": 1, "usrID": "u", "toQueID": 2}),
        "EnterMeeting" | "ExitMeeting" | "DestroyMeeting" => json!({"meetID": 1}),
        "MediaJoin" => json!({"meetID": 1, "sdp": "v=0"}),
        "MediaAnswer" => json!({"sdp": "v=0"}),
        "MediaMute" => json!({"kind": "audio", "muted": true}),
        "MediaMonitor" => json!({"meetID": 1, "mode": "monitor", "sdp": "v=0"}),
        "StartScreenShare" => json!({"meetID": 1, "mid": "2", "sdp": "v=0"}),
        "StopScreenShare" => json!({"meetID": 1}),
        "SendIMmsg" => json!({"meetID": 1, "text": "hi"}),
        "CreateCloudMixer" => json!({"meetID": 1, "mixerID": "m"}),
        "DestroyCloudMixer" => json!({"mixerID": "m"}),
        "Call" => json!({"UID": "u", "meetID": 1}),
        "AcceptCall" | "RejectCall" | "HungupCall" | "HoldCall" | "ResumeCall" => json!({"callID": "c"}),
        _ => json!({}),
    }
}

#[test]
fn every_op_name_parses_as_that_op() {
    let unique: BTreeSet<&str> = Op::NAMES.iter().copied().collect();
    assert_eq!(unique.len(), Op::NAMES.len(), "Op::NAMES has duplicates");
    for &name in Op::NAMES {
        let mut v = required_fields(name);
        v["seq"] = json!(1);
        v["op"] = json!(name);
        let f: ClientFrame =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{name}: {v} does not parse: {e}"));
        assert_eq!(f.seq, 1);
        assert_eq!(f.op.name(), name);
        // And back: the serialized op carries the same name.
        assert_eq!(serde_json::to_value(&f).unwrap()["op"], json!(name));
    }
}

// ---------------------------------------------------------------------------------
// Client frames: what does not parse
// ---------------------------------------------------------------------------------

#[test]
fn unknown_op_fails() {
    let e = fails::<ClientFrame>(r#"{"seq":3,"op":"Teleport"}"#);
    assert!(e.contains("unknown variant `Teleport`"), "{e}");
    // Op names are case-sensitive.
    fails::<ClientFrame>(r#"{"seq":3,"op":"ping"}"#);
    fails::<ClientFrame>(r#"{"seq":3,"op":"CRVideo_StartQueuing","queID":1}"#);
}

#[test]
fn misspelled_field_fails() {
    let e = fails::<ClientFrame>(r#"{"seq":4,"op":"StartService","queId":1}"#);
    assert_eq!(e, "unknown field `queId`, expected one of `queID`, `priority`, `skills` at line 1 column 39");
    // Even next to the right one.
    fails::<ClientFrame>(r#"{"seq":4,"op":"StartService","queID":1,"queId":1}"#);
    fails::<ClientFrame>(r#"{"seq":4,"op":"AcceptAssignUser","queID":1,"userID":"u"}"#);
    fails::<ClientFrame>(r#"{"seq":4,"op":"SetDNDStatus","dndStatus":1}"#);
    fails::<ClientFrame>(r#"{"seq":4,"op":"StartQueuing","queID":1,"usrExtData":"x"}"#);
}

#[test]
fn missing_seq_fails() {
    let e = fails::<ClientFrame>(r#"{"op":"Ping"}"#);
    assert!(e.contains("missing field `seq`"), "{e}");
    fails::<ClientFrame>(r#"{"seq":null,"op":"Ping"}"#);
    fails::<ClientFrame>(r#"{"seq":"7","op":"Ping"}"#);
    fails::<ClientFrame>(r#"{"seq":-1,"op":"Ping"}"#);
    fails::<ClientFrame>(r#"{"seq":1.5,"op":"Ping"}"#);
}

#[test]
fn missing_op_or_required_field_fails() {
    fails::<ClientFrame>(r#"{"seq":1}"#);
    let e = fails::<ClientFrame>(r#"{"seq":6,"op":"Login"}"#);
    assert!(e.contains("missing field `ticket`"), "{e}");
    fails::<ClientFrame>(r#"{"seq":6,"op":"StartQueuing"}"#);
    fails::<ClientFrame>(r#"{"seq":6,"op":"AcceptAssignUser","queID":1}"#);
}

#[test]
fn wrong_field_types_fail() {
    let e = fails::<ClientFrame>(r#"{"seq":5,"op":"StartQueuing","queID":"seven"}"#);
    assert!(e.contains("expected u32"), "{e}");
    fails::<ClientFrame>(r#"{"seq":5,"op":"StartQueuing","queID":-1}"#);
    fails::<ClientFrame>(r#"{"seq":5,"op":"StartService","queID":1,"priority":70000}"#);
    fails::<ClientFrame>(r#"{"seq":5,"op":"SetAgentCapacity","capacity":"2"}"#);
    fails::<ClientFrame>("this is not json");
    fails::<ClientFrame>(r#"[5,"Ping"]"#);
}

/// Pins current behaviour (reported as an inconsistency): `deny_unknown_fields` only
/// bites on ops that have fields; ops without fields ignore extra ones.
#[test]
fn ops_without_fields_ignore_extra_fields() {
    parses_as(r#"{"seq":12,"op":"StopQueuing","queID":3}"#, frame(12, Op::StopQueuing));
    parses_as(r#"{"seq":2,"op":"Ping","cookie":"x"}"#, frame(2, Op::Ping));
    parses_as(r#"{"seq":41,"op":"GetSessionInfo","callID":"x"}"#, frame(41, Op::GetSessionInfo));
}

/// `RequestHead` reads `seq` and `op` as any JSON, so a wrong type is named instead of
/// failing the whole frame. The seq it echoes is the request's when that is a
/// non-negative integer, else 0. The checks run in this order: `op` missing, `op` not a
/// string, `seq` missing, `seq` not a non-negative integer, `op` unknown (printed as
/// JSON, with quotes).
#[test]
fn request_head_names_what_is_wrong() {
    const MISSING_SEQ: &str = r#"missing "seq" (a number the reply echoes)"#;
    let cases: &[(&str, u64, Option<&str>)] = &[
        (r#"{"seq":2,"op":"Ping"}"#, 2, None),
        (r#"{"seq":4,"op":"StartService","queId":1}"#, 4, None),
        (r#"{"seq":"7","op":"Ping"}"#, 0, Some(r#""seq" must be a non-negative integer, not "7""#)),
        (r#"{"seq":-1,"op":"Ping"}"#, 0, Some(r#""seq" must be a non-negative integer, not -1"#)),
        (r#"{"seq":1.5,"op":"Ping"}"#, 0, Some(r#""seq" must be a non-negative integer, not 1.5"#)),
        (r#"{"seq":8,"op":5}"#, 8, Some(r#""op" must be a string, not 5"#)),
        (r#"{"seq":9,"op":["Ping"]}"#, 9, Some(r#""op" must be a string, not ["Ping"]"#)),
        (r#"{"seq":5}"#, 5, Some(r#"missing "op""#)),
        (r#"{"seq":9,"op":null}"#, 9, Some(r#"missing "op""#)),
        (r#"{"op":"Ping"}"#, 0, Some(MISSING_SEQ)),
        (r#"{"seq":null,"op":"Ping"}"#, 0, Some(MISSING_SEQ)),
        (r#"{"seq":3,"op":"Teleport"}"#, 3, Some(r#"unknown op "Teleport""#)),
        (r#"{"seq":3,"op":"ping"}"#, 3, Some(r#"unknown op "ping""#)),
        // Order of the checks.
        (r#"{"seq":"x"}"#, 0, Some(r#"missing "op""#)),
        (r#"{"op":5}"#, 0, Some(r#""op" must be a string, not 5"#)),
        (r#"{"op":"Teleport"}"#, 0, Some(MISSING_SEQ)),
        (r#"{"seq":"x","op":"Teleport"}"#, 0, Some(r#""seq" must be a non-negative integer, not "x""#)),
    ];
    for &(json, seq, problem) in cases {
        let head: RequestHead = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!((head.seq(), head.problem().as_deref()), (seq, problem), "{json}");
    }
    // Not an object: no head at all (the server answers "not a JSON object: ...").
    assert_eq!(fails::<RequestHead>("this is not json"), "expected ident at line 1 column 2");
    fails::<RequestHead>(r#""hello""#);
    fails::<RequestHead>("42");
    // An array is read positionally as [seq, op].
    let head: RequestHead = serde_json::from_str(r#"[5,"Ping"]"#).unwrap();
    assert_eq!((head.seq(), head.problem()), (5, None));
}

// ---------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------

#[test]
fn reply_without_data() {
    golden_frame(r#"{"type":"reply","seq":9,"err":0,"msg":"ok"}"#, reply(Reply::ok(9)));
    // An explicit null data is the same as none.
    parses_as(r#"{"type":"reply","seq":9,"err":0,"msg":"ok","data":null}"#, reply(Reply::ok(9)));
}

#[test]
fn reply_with_data() {
    golden_frame(
        r#"{"type":"reply","seq":2,"err":0,"msg":"ok","data":{"time":1767225600123}}"#,
        reply(reply_ok(2, &PongData { time: 1767225600123 })),
    );
}

#[test]
fn reply_errors() {
    let cases = [
        (r#"{"type":"reply","seq":11,"err":404,"msg":"already queuing in queue 2; stop queuing first"}"#, Reply::error(11, 404, "already queuing in queue 2; stop queuing first")),
        (r#"{"type":"reply","seq":9,"err":400,"msg":"queue 999 does not exist"}"#, Reply::error(9, 400, "queue 999 does not exist")),
        (r#"{"type":"reply","seq":0,"err":6,"msg":"not a JSON object: expected ident at line 1 column 2"}"#, Reply::error(0, 6, "not a JSON object: expected ident at line 1 column 2")),
        (r#"{"type":"reply","seq":3,"err":6,"msg":"unknown op \"Teleport\""}"#, Reply::error(3, 6, "unknown op \"Teleport\"")),
        (r#"{"type":"reply","seq":4,"err":6,"msg":"bad fields for StartService: unknown field `queId`, expected one of `queID`, `priority`, `skills` at line 1 column 39"}"#, Reply::error(4, 6, "bad fields for StartService: unknown field `queId`, expected one of `queID`, `priority`, `skills` at line 1 column 39")),
        (r#"{"type":"reply","seq":0,"err":6,"msg":"missing \"seq\" (a number the reply echoes)"}"#, Reply::error(0, 6, "missing \"seq\" (a number the reply echoes)")),
        (r#"{"type":"reply","seq":0,"err":6,"msg":"binary frames are not supported: send JSON text"}"#, Reply::error(0, 6, "binary frames are not supported: send JSON text")),
        (r#"{"type":"reply","seq":0,"err":31,"msg":"message larger than 65536 bytes"}"#, Reply::error(0, 31, "message larger than 65536 bytes")),
        (r#"{"type":"reply","seq":1,"err":12,"msg":"StartQueuing needs a session: send Login or Resume first"}"#, Reply::error(1, 12, "StartQueuing needs a session: send Login or Resume first")),
        (r#"{"type":"reply","seq":1,"err":12,"msg":"the session has ended (hold time passed or logged out); log in again"}"#, Reply::error(1, 12, "the session has ended (hold time passed or logged out); log in again")),
        (r#"{"type":"reply","seq":1,"err":18,"msg":"the ticket expired"}"#, Reply::error(1, 18, "the ticket expired")),
        (r#"{"type":"reply","seq":1,"err":18,"msg":"this ticket was already used: log in again for a new one"}"#, Reply::error(1, 18, "this ticket was already used: log in again for a new one")),
        (r#"{"type":"reply","seq":19,"err":30,"msg":"not permitted: this needs the agent role"}"#, Reply::error(19, 30, "not permitted: this needs the agent role")),
        (r#"{"type":"reply","seq":20,"err":30,"msg":"not permitted: this needs the agent or supervisor role"}"#, Reply::error(20, 30, "not permitted: this needs the agent or supervisor role")),
        (r#"{"type":"reply","seq":19,"err":5,"msg":"invalid capacity: 2 customers are being served; finish some before lowering the capacity to 1"}"#, Reply::error(19, 5, "invalid capacity: 2 customers are being served; finish some before lowering the capacity to 1")),
    ];
    for (json, r) in cases {
        golden_frame(json, reply(r));
    }
}

/// The reply the server gives a malformed text frame (the server calls the same
/// function).
fn reply_to_malformed(text: &str) -> Reply {
    lineup_protocol::ws::parse_client_frame(text).expect_err("a malformed frame")
}

/// The rows of PROTOCOL.md's malformed-input table: what the client sends, what it gets.
#[test]
fn malformed_frames_and_their_replies() {
    let cases = [
        ("this is not json", r#"{"type":"reply","seq":0,"err":6,"msg":"not a JSON object: expected ident at line 1 column 2"}"#),
        (r#"{"seq":"7","op":"Ping"}"#, r#"{"type":"reply","seq":0,"err":6,"msg":"\"seq\" must be a non-negative integer, not \"7\""}"#),
        (r#"{"seq":8,"op":5}"#, r#"{"type":"reply","seq":8,"err":6,"msg":"\"op\" must be a string, not 5"}"#),
        (r#"{"seq":5}"#, r#"{"type":"reply","seq":5,"err":6,"msg":"missing \"op\""}"#),
        (r#"{"seq":3,"op":"Teleport"}"#, r#"{"type":"reply","seq":3,"err":6,"msg":"unknown op \"Teleport\""}"#),
        (r#"{"op":"Ping"}"#, r#"{"type":"reply","seq":0,"err":6,"msg":"missing \"seq\" (a number the reply echoes)"}"#),
        (
            r#"{"seq":4,"op":"StartService","queId":1}"#,
            r#"{"type":"reply","seq":4,"err":6,"msg":"bad fields for StartService: unknown field `queId`, expected one of `queID`, `priority`, `skills` at line 1 column 39"}"#,
        ),
        (r#"[5,"Ping"]"#, r#"{"type":"reply","seq":0,"err":6,"msg":"not a JSON object: got an array"}"#),
    ];
    for (text, want) in cases {
        golden_frame(want, reply(reply_to_malformed(text)));
    }
}

fn reply_data<T: Serialize>(seq: u64, data: &T) -> ServerFrame {
    reply(reply_ok(seq, data))
}

#[test]
fn reply_login() {
    golden_frame(
        &format!(
            r#"{{"type":"reply","seq":1,"err":0,"msg":"ok","data":{{"session":"{SESSION}","UID":"cust1","nickName":"Carl","appID":"demo","roles":["agent","customer","supervisor"],"resumed":false,"holdSeconds":60,"heartbeatSeconds":15,"offerTimeoutSeconds":30}}}}"#
        ),
        reply_data(1, &login_data(false)),
    );
}

#[test]
fn reply_resume() {
    golden_frame(
        &format!(
            r#"{{"type":"reply","seq":1,"err":0,"msg":"ok","data":{{"session":"{SESSION}","UID":"cust1","nickName":"Carl","appID":"demo","roles":["agent","customer","supervisor"],"resumed":true,"holdSeconds":60,"heartbeatSeconds":15,"offerTimeoutSeconds":30}}}}"#
        ),
        reply_data(1, &login_data(true)),
    );
}

#[test]
fn reply_init_queue_dat() {
    golden_frame(
        r#"{"type":"reply","seq":3,"err":0,"msg":"ok","data":{"queues":[{"queID":1,"name":"VIP customers","desc":"Priority line for VIP members","prio":1},{"queID":2,"name":"Technical support","desc":"Problems with products and accounts","prio":5},{"queID":3,"name":"General enquiries","desc":"Questions about products, orders and billing","prio":10}],"statuses":[{"queID":1,"agent_num":0,"wait_num":0,"srv_num":0},{"queID":2,"agent_num":1,"wait_num":1,"srv_num":0},{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}]}}"#,
        reply_data(3, &InitQueueData { queues: demo_queues(), statuses: statuses() }),
    );
}

#[test]
fn reply_refresh_all_queue_status() {
    golden_frame(
        r#"{"type":"reply","seq":4,"err":0,"msg":"ok","data":{"statuses":[{"queID":1,"agent_num":0,"wait_num":0,"srv_num":0},{"queID":2,"agent_num":1,"wait_num":1,"srv_num":0},{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}]}}"#,
        reply_data(4, &StatusesData { statuses: statuses() }),
    );
    // Then, after the reply, one QueueStatusChanged per queue to the caller: the same
    // statuses, in the same order.
    let notices = [
        r#"{"type":"notice","name":"QueueStatusChanged","data":{"queID":1,"agent_num":0,"wait_num":0,"srv_num":0}}"#,
        r#"{"type":"notice","name":"QueueStatusChanged","data":{"queID":2,"agent_num":1,"wait_num":1,"srv_num":0}}"#,
        r#"{"type":"notice","name":"QueueStatusChanged","data":{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}}"#,
    ];
    for (json, status) in notices.into_iter().zip(statuses()) {
        golden_frame(json, notice(Notice::QueueStatusChanged(status)));
    }
}

#[test]
fn reply_get_queue_status() {
    golden_frame(
        r#"{"type":"reply","seq":5,"err":0,"msg":"ok","data":{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}}"#,
        reply_data(5, &statuses()[2]),
    );
}

#[test]
fn reply_get_queuing_info() {
    golden_frame(
        r#"{"type":"reply","seq":6,"err":0,"msg":"ok","data":{"queID":3,"position":1,"queuingTime":42}}"#,
        reply_data(6, &QueuingInfo { que_id: 3, position: 1, queuing_time: 42, estimated_wait_time: None }),
    );
    golden_frame(
        r#"{"type":"reply","seq":6,"err":0,"msg":"ok","data":{"queID":-1,"position":0,"queuingTime":0}}"#,
        reply_data(6, &QueuingInfo { que_id: QueuingInfo::NOT_QUEUING, position: 0, queuing_time: 0, estimated_wait_time: None }),
    );
    golden_frame(
        r#"{"type":"reply","seq":6,"err":0,"msg":"ok","data":{"queID":-2,"position":0,"queuingTime":0}}"#,
        reply_data(6, &QueuingInfo { que_id: QueuingInfo::IN_SERVICE, position: 0, queuing_time: 0, estimated_wait_time: None }),
    );
}

#[test]
fn reply_get_serving_queues() {
    golden_frame(
        r#"{"type":"reply","seq":7,"err":0,"msg":"ok","data":{"queues":[2,3]}}"#,
        reply_data(7, &ServingQueuesData { queues: vec![2, 3] }),
    );
}

#[test]
fn reply_get_queue_users() {
    golden_frame(
        r#"{"type":"reply","seq":8,"err":0,"msg":"ok","data":{"queID":2,"total":1,"users":[{"queID":2,"usrID":"cust2","name":"Dora","queuingTime":17,"usrExtDat":"{\"topic\":\"wifi\"}"}]}}"#,
        reply_data(8, &QueueUsersData { que_id: 2, total: 1, users: vec![dora()] }),
    );
}

#[test]
fn reply_req_assign_user() {
    golden_frame(
        r#"{"type":"reply","seq":16,"err":0,"msg":"ok","data":{"queID":2,"usrID":"cust2","name":"Dora","queuingTime":17,"usrExtDat":"{\"topic\":\"wifi\"}"}}"#,
        reply_data(16, &dora()),
    );
}

#[test]
fn reply_get_queue_statistics() {
    golden_frame(
        r#"{"type":"reply","seq":20,"err":0,"msg":"ok","data":{"queID":3,"entered":20,"served":16,"abandoned":2,"timedOut":1,"forwarded":1,"avgWaitSeconds":12.5,"maxWaitSeconds":61,"longestWaitingSeconds":8,"serviceLevel":0.875,"serviceLevelSeconds":20,"waiting":1,"inService":1,"agentsLoggedIn":2,"agentsAvailable":1,"agentsBusy":1}}"#,
        reply_data(20, &statistics()),
    );
}

#[test]
fn reply_get_agents() {
    // Anna is not wrapping up: her wrapUpUntil is left out.
    golden_frame(
        r#"{"type":"reply","seq":21,"err":0,"msg":"ok","data":{"agents":[{"UID":"agent1","nickName":"Anna","online":true,"DNDStatus":0,"capacity":2,"serving":[{"queID":2,"priority":0},{"queID":3,"priority":5}],"customers":[{"queID":3,"usrID":"cust1"}],"pendingOffers":1,"servedTotal":12,"serviceSecondsTotal":3540,"state":"busy","DNDType":0,"reasonLabel":"","stateSince":1767225600000,"missedOffers":0,"stateSeconds":{"idle":1200,"busy":3540,"wrapUp":300,"notReady":0,"offline":0},"reasonSeconds":[]},{"UID":"agent2","nickName":"Bert","online":false,"DNDStatus":1,"capacity":1,"serving":[{"queID":3,"priority":0}],"customers":[],"pendingOffers":0,"wrapUpUntil":1767225615000,"servedTotal":3,"serviceSecondsTotal":610,"state":"offline","DNDType":2,"reasonLabel":"Break","stateSince":1767225615000,"missedOffers":0,"stateSeconds":{"idle":400,"busy":610,"wrapUp":60,"notReady":900,"offline":15},"reasonSeconds":[{"DNDType":2,"seconds":900}]}]}}"#,
        reply_data(21, &AgentsData { agents: vec![anna(), bert()] }),
    );
}

#[test]
fn reply_get_user_status() {
    golden_frame(
        r#"{"type":"reply","seq":43,"err":0,"msg":"ok","data":{"users":[{"userID":"agent1","userStatus":3,"DNDType":0},{"userID":"agent2","userStatus":1,"DNDType":2}]}}"#,
        reply_data(
            43,
            &UserStatusData {
                users: vec![
                    UserStatus { user_id: "agent1".into(), user_status: 3, dnd_type: 0 },
                    UserStatus { user_id: "agent2".into(), user_status: 1, dnd_type: 2 },
                ],
            },
        ),
    );
}

#[test]
fn reply_create_meeting() {
    // The creator is not in the room yet: memberCount 0.
    golden_frame(
        r#"{"type":"reply","seq":23,"err":0,"msg":"ok","data":{"ID":1,"pswd":"1234","subject":"Support for Carl","creator":"agent1","memberCount":0,"startTime":1767225605}}"#,
        reply_data(23, &room(0)),
    );
}

#[test]
fn reply_enter_meeting() {
    golden_frame(
        r#"{"type":"reply","seq":24,"err":0,"msg":"ok","data":{"ID":1,"pswd":"1234","subject":"Support for Carl","creator":"agent1","memberCount":1,"startTime":1767225605,"members":[{"UID":"agent1","nickName":"Anna"}]}}"#,
        reply_data(24, &MeetInfo { members: Some(vec![RoomMember { uid: "agent1".into(), nick_name: "Anna".into() }]), ..room(1) }),
    );
}

#[test]
fn reply_call() {
    golden_frame(
        r#"{"type":"reply","seq":25,"err":0,"msg":"ok","data":{"callID":"call-57"}}"#,
        reply_data(25, &CallData { call_id: CALL.into() }),
    );
    // With a callID chosen by the client, the reply repeats it.
    golden_frame(
        r#"{"type":"reply","seq":25,"err":0,"msg":"ok","data":{"callID":"anna-carl-0001"}}"#,
        reply_data(25, &CallData { call_id: "anna-carl-0001".into() }),
    );
}

#[test]
fn reply_media_join() {
    golden_frame(
        r#"{"type":"reply","seq":32,"err":0,"msg":"ok","data":{"sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}}"#,
        reply_data(32, &MediaJoinData { sdp: SDP.into() }),
    );
}

#[test]
fn reply_get_session_info() {
    golden_frame(
        r#"{"type":"reply","seq":41,"err":0,"msg":"ok","data":{"callID":"call-57","peerID":"agent1","peerName":"Anna","bCallAccepted":1,"meetingID":1,"meetingPswd":"1234","duration":95}}"#,
        reply_data(41, &session_info_in_call()),
    );
    // Not in a call: empty strings and zeros (never an error).
    golden_frame(
        r#"{"type":"reply","seq":41,"err":0,"msg":"ok","data":{"callID":"","peerID":"","peerName":"","bCallAccepted":0,"meetingID":0,"meetingPswd":"","duration":0}}"#,
        reply_data(41, &SessionInfo::default()),
    );
}

/// The error replies of the room, call and forwarding ops.
#[test]
fn reply_errors_of_calls_rooms_and_forwarding() {
    let cases = [
        (r#"{"type":"reply","seq":24,"err":800,"msg":"room 999 does not exist"}"#, Reply::error(24, 800, "room 999 does not exist")),
        (r#"{"type":"reply","seq":24,"err":801,"msg":"wrong password for room 1"}"#, Reply::error(24, 801, "wrong password for room 1")),
        (r#"{"type":"reply","seq":23,"err":5,"msg":"invalid subject: at most 128 printable characters (got 130)"}"#, Reply::error(23, 5, "invalid subject: at most 128 printable characters (got 130)")),
        (r#"{"type":"reply","seq":25,"err":601,"msg":"already in a call: hang up first"}"#, Reply::error(25, 601, "already in a call: hang up first")),
        (r#"{"type":"reply","seq":25,"err":602,"msg":"user 'cust1' is busy in another call"}"#, Reply::error(25, 602, "user 'cust1' is busy in another call")),
        (r#"{"type":"reply","seq":25,"err":603,"msg":"user 'cust1' is offline"}"#, Reply::error(25, 603, "user 'cust1' is offline")),
        (r#"{"type":"reply","seq":25,"err":605,"msg":"user 'nobody' is not logged in"}"#, Reply::error(25, 605, "user 'nobody' is not logged in")),
        (r#"{"type":"reply","seq":25,"err":5,"msg":"invalid UID: a session cannot call itself"}"#, Reply::error(25, 5, "invalid UID: a session cannot call itself")),
        (r#"{"type":"reply","seq":25,"err":5,"msg":"invalid callID: 8 to 64 characters of A-Z a-z 0-9 - _"}"#, Reply::error(25, 5, "invalid callID: 8 to 64 characters of A-Z a-z 0-9 - _")),
        (r#"{"type":"reply","seq":25,"err":5,"msg":"invalid callID: is the id of a call in progress"}"#, Reply::error(25, 5, "invalid callID: is the id of a call in progress")),
        (r#"{"type":"reply","seq":40,"err":600,"msg":"call 'call-57' does not exist here or cannot do that now"}"#, Reply::error(40, 600, "call 'call-57' does not exist here or cannot do that now")),
        (r#"{"type":"reply","seq":22,"err":403,"msg":"serve the queue to forward its customers"}"#, Reply::error(22, 403, "serve the queue to forward its customers")),
        (r#"{"type":"reply","seq":22,"err":401,"msg":"the customer is not queuing in this queue"}"#, Reply::error(22, 401, "the customer is not queuing in this queue")),
        (r#"{"type":"reply","seq":22,"err":405,"msg":"queue 3 is full"}"#, Reply::error(22, 405, "queue 3 is full")),
        (r#"{"type":"reply","seq":22,"err":5,"msg":"invalid toQueID: is the queue the customer is in"}"#, Reply::error(22, 5, "invalid toQueID: is the queue the customer is in")),
    ];
    for (json, r) in cases {
        golden_frame(json, reply(r));
    }
}

/// `data` keeps the declaration order: the text of a reply's `data` is the text of
/// the typed value (serde_json's `preserve_order`).
#[test]
fn reply_data_keeps_declaration_order() {
    fn same_text<T: Serialize>(data: &T) {
        let typed = serde_json::to_string(data).unwrap();
        let frame = serde_json::to_string(&reply_data(1, data)).unwrap();
        assert_eq!(frame, format!(r#"{{"type":"reply","seq":1,"err":0,"msg":"ok","data":{typed}}}"#));
    }
    same_text(&login_data(false));
    same_text(&InitQueueData { queues: demo_queues(), statuses: statuses() });
    same_text(&QueueUsersData { que_id: 2, total: 1, users: vec![dora()] });
    same_text(&statistics());
    same_text(&AgentsData { agents: vec![anna(), bert()] });
    same_text(&QueuingInfo { que_id: 3, position: 1, queuing_time: 42, estimated_wait_time: None });
    same_text(&room(0));
    same_text(&session_info_in_call());
    same_text(&CallData { call_id: CALL.into() });
    // Not alphabetical: "queID" comes before "agent_num".
    let text = serde_json::to_string(&reply_data(5, &statuses()[2])).unwrap();
    assert!(text.find("queID").unwrap() < text.find("agent_num").unwrap(), "{text}");
}

// ---------------------------------------------------------------------------------
// Reply data objects on their own (declaration order, as on the wire)
// ---------------------------------------------------------------------------------

#[test]
fn data_login() {
    golden(
        &format!(
            r#"{{"session":"{SESSION}","UID":"cust1","nickName":"Carl","appID":"demo","roles":["agent","customer","supervisor"],"resumed":false,"holdSeconds":60,"heartbeatSeconds":15,"offerTimeoutSeconds":30}}"#
        ),
        login_data(false),
    );
}

#[test]
fn data_init_queue() {
    golden(
        r#"{"queues":[{"queID":1,"name":"VIP customers","desc":"Priority line for VIP members","prio":1},{"queID":2,"name":"Technical support","desc":"Problems with products and accounts","prio":5},{"queID":3,"name":"General enquiries","desc":"Questions about products, orders and billing","prio":10}],"statuses":[{"queID":1,"agent_num":0,"wait_num":0,"srv_num":0},{"queID":2,"agent_num":1,"wait_num":1,"srv_num":0},{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}]}"#,
        InitQueueData { queues: demo_queues(), statuses: statuses() },
    );
    golden(r#"{"queues":[],"statuses":[]}"#, InitQueueData { queues: vec![], statuses: vec![] });
}

#[test]
fn data_statuses() {
    golden(
        r#"{"statuses":[{"queID":1,"agent_num":0,"wait_num":0,"srv_num":0},{"queID":2,"agent_num":1,"wait_num":1,"srv_num":0},{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}]}"#,
        StatusesData { statuses: statuses() },
    );
}

#[test]
fn data_serving_queues() {
    golden(r#"{"queues":[2,3]}"#, ServingQueuesData { queues: vec![2, 3] });
    golden(r#"{"queues":[]}"#, ServingQueuesData { queues: vec![] });
}

#[test]
fn data_queue_users() {
    golden(
        r#"{"queID":2,"total":1,"users":[{"queID":2,"usrID":"cust2","name":"Dora","queuingTime":17,"usrExtDat":"{\"topic\":\"wifi\"}"}]}"#,
        QueueUsersData { que_id: 2, total: 1, users: vec![dora()] },
    );
}

#[test]
fn data_agents() {
    golden(
        r#"{"agents":[{"UID":"agent1","nickName":"Anna","online":true,"DNDStatus":0,"capacity":2,"serving":[{"queID":2,"priority":0},{"queID":3,"priority":5}],"customers":[{"queID":3,"usrID":"cust1"}],"pendingOffers":1,"servedTotal":12,"serviceSecondsTotal":3540,"state":"busy","DNDType":0,"reasonLabel":"","stateSince":1767225600000,"missedOffers":0,"stateSeconds":{"idle":1200,"busy":3540,"wrapUp":300,"notReady":0,"offline":0},"reasonSeconds":[]}]}"#,
        AgentsData { agents: vec![anna()] },
    );
}

#[test]
fn data_agent_info_wrap_up() {
    golden(
        r#"{"UID":"agent2","nickName":"Bert","online":false,"DNDStatus":1,"capacity":1,"serving":[{"queID":3,"priority":0}],"customers":[],"pendingOffers":0,"wrapUpUntil":1767225615000,"servedTotal":3,"serviceSecondsTotal":610,"state":"offline","DNDType":2,"reasonLabel":"Break","stateSince":1767225615000,"missedOffers":0,"stateSeconds":{"idle":400,"busy":610,"wrapUp":60,"notReady":900,"offline":15},"reasonSeconds":[{"DNDType":2,"seconds":900}]}"#,
        bert(),
    );
    // Not wrapping up: wrapUpUntil is left out (an explicit null also parses).
    let anna_json = r#"{"UID":"agent1","nickName":"Anna","online":true,"DNDStatus":0,"capacity":2,"serving":[{"queID":2,"priority":0},{"queID":3,"priority":5}],"customers":[{"queID":3,"usrID":"cust1"}],"pendingOffers":1,"servedTotal":12,"serviceSecondsTotal":3540,"state":"busy","DNDType":0,"reasonLabel":"","stateSince":1767225600000,"missedOffers":0,"stateSeconds":{"idle":1200,"busy":3540,"wrapUp":300,"notReady":0,"offline":0},"reasonSeconds":[]}"#;
    golden(anna_json, anna());
    exact_text(anna_json, &anna());
    parses_as(
        r#"{"UID":"agent1","nickName":"Anna","online":true,"DNDStatus":0,"capacity":2,"serving":[{"queID":2,"priority":0},{"queID":3,"priority":5}],"customers":[{"queID":3,"usrID":"cust1"}],"pendingOffers":1,"wrapUpUntil":null,"servedTotal":12,"serviceSecondsTotal":3540,"state":"busy","DNDType":0,"reasonLabel":"","stateSince":1767225600000,"missedOffers":0,"stateSeconds":{"idle":1200,"busy":3540,"wrapUp":300,"notReady":0,"offline":0},"reasonSeconds":[]}"#,
        anna(),
    );
}

#[test]
fn data_pong() {
    golden(r#"{"time":1767225600123}"#, PongData { time: 1767225600123 });
}

#[test]
fn data_queue_statistics() {
    golden(
        r#"{"queID":3,"entered":20,"served":16,"abandoned":2,"timedOut":1,"forwarded":1,"avgWaitSeconds":12.5,"maxWaitSeconds":61,"longestWaitingSeconds":8,"serviceLevel":0.875,"serviceLevelSeconds":20,"waiting":1,"inService":1,"agentsLoggedIn":2,"agentsAvailable":1,"agentsBusy":1}"#,
        statistics(),
    );
}

#[test]
fn data_meet_info() {
    golden(
        r#"{"ID":1,"pswd":"1234","subject":"Support for Carl","creator":"agent1","memberCount":0,"startTime":1767225605}"#,
        room(0),
    );
    // CloudRoom's pubMeetUrl is not part of it.
    assert!(serde_json::to_value(room(0)).unwrap().get("pubMeetUrl").is_none());
    let e = fails::<MeetInfo>(r#"{"ID":1,"pswd":"","subject":"","creator":"agent1","memberCount":0}"#);
    assert!(e.contains("missing field `startTime`"), "{e}");
}

#[test]
fn data_call() {
    golden(r#"{"callID":"call-57"}"#, CallData { call_id: CALL.into() });
}

#[test]
fn data_session_info() {
    golden(
        r#"{"callID":"call-57","peerID":"agent1","peerName":"Anna","bCallAccepted":1,"meetingID":1,"meetingPswd":"1234","duration":95}"#,
        session_info_in_call(),
    );
    let empty = r#"{"callID":"","peerID":"","peerName":"","bCallAccepted":0,"meetingID":0,"meetingPswd":"","duration":0}"#;
    golden(empty, SessionInfo::default());
    exact_text(empty, &SessionInfo::default());
    // Ringing, as the callee sees it: not accepted, duration 0.
    golden(
        r#"{"callID":"call-57","peerID":"agent1","peerName":"Anna","bCallAccepted":0,"meetingID":1,"meetingPswd":"1234","duration":0}"#,
        SessionInfo { b_call_accepted: 0, duration: 0, ..session_info_in_call() },
    );
}

/// A call event on its own, exactly as written (key order included), with asterCC's
/// `message` form of the same fields.
#[test]
fn data_call_event() {
    let json = r#"{"source":"CALLEE","event":"ringing","sessionid":"call-57","eventid":101,"eventTime":"2026-01-01 00:00:06","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=ringing&sessionid=call-57&eventid=101&eventTime=2026-01-01 00:00:06&from=dialout&queID=3&agentID=agent1&"}"#;
    let ev = call_event("CALLEE", "ringing", 101, "2026-01-01 00:00:06", "cust1");
    golden(json, ev.clone());
    exact_text(json, &ev);
    // Without a queue or agent (a call between two users neither of whom is an agent
    // serving queues): queID and agentID are left out, of the fields and of message.
    let bare = event_of("call-58", "CALLER", "incoming", 7, "2026-01-01 00:00:00", "u1", "u1", "dialout", None, None);
    let bare_json = r#"{"source":"CALLER","event":"incoming","sessionid":"call-58","eventid":7,"eventTime":"2026-01-01 00:00:00","calleridnum":"u1","activenum":"u1","from":"dialout","message":"calleridnum=u1&activenum=u1&source=CALLER&event=incoming&sessionid=call-58&eventid=7&eventTime=2026-01-01 00:00:00&from=dialout&"}"#;
    golden(bare_json, bare.clone());
    exact_text(bare_json, &bare);
    // User ids are percent-encoded in message (here "@"); eventTime is written as is.
    golden(
        r#"{"source":"CALLEE","event":"ringing","sessionid":"call-59","eventid":120,"eventTime":"2026-01-01 00:10:00","calleridnum":"carl@example.com","activenum":"carl@example.com","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=carl%40example.com&activenum=carl%40example.com&source=CALLEE&event=ringing&sessionid=call-59&eventid=120&eventTime=2026-01-01 00:10:00&from=dialout&queID=3&agentID=agent1&"}"#,
        dialout_event("call-59", "CALLEE", "ringing", 120, "2026-01-01 00:10:00", "carl@example.com", "carl@example.com"),
    );
}

/// The call events both parties receive for a whole dialout call (Anna calls Carl,
/// Carl answers and enters the room, Anna holds and resumes, Anna hangs up), and for a
/// dialin call (Carl calls Anna), as in PROTOCOL.md.
#[test]
fn call_event_sequences() {
    let dialout = [
        (r#"{"source":"CALLEE","event":"ringing","sessionid":"call-57","eventid":101,"eventTime":"2026-01-01 00:00:06","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=ringing&sessionid=call-57&eventid=101&eventTime=2026-01-01 00:00:06&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CALLEE", "ringing", 101, "2026-01-01 00:00:06", "cust1")),
        (r#"{"source":"CALLEE","event":"answer","sessionid":"call-57","eventid":102,"eventTime":"2026-01-01 00:00:09","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=answer&sessionid=call-57&eventid=102&eventTime=2026-01-01 00:00:09&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CALLEE", "answer", 102, "2026-01-01 00:00:09", "cust1")),
        (r#"{"source":"CALLEE","event":"join","sessionid":"call-57","eventid":103,"eventTime":"2026-01-01 00:00:10","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=join&sessionid=call-57&eventid=103&eventTime=2026-01-01 00:00:10&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CALLEE", "join", 103, "2026-01-01 00:00:10", "cust1")),
        (r#"{"source":"CALLEE","event":"onhold","sessionid":"call-57","eventid":104,"eventTime":"2026-01-01 00:01:00","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=onhold&sessionid=call-57&eventid=104&eventTime=2026-01-01 00:01:00&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CALLEE", "onhold", 104, "2026-01-01 00:01:00", "cust1")),
        (r#"{"source":"CALLEE","event":"resume","sessionid":"call-57","eventid":105,"eventTime":"2026-01-01 00:01:30","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=resume&sessionid=call-57&eventid=105&eventTime=2026-01-01 00:01:30&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CALLEE", "resume", 105, "2026-01-01 00:01:30", "cust1")),
        (r#"{"source":"AGENT","event":"hangup","sessionid":"call-57","eventid":106,"eventTime":"2026-01-01 00:05:00","calleridnum":"cust1","activenum":"agent1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=agent1&source=AGENT&event=hangup&sessionid=call-57&eventid=106&eventTime=2026-01-01 00:05:00&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("AGENT", "hangup", 106, "2026-01-01 00:05:00", "agent1")),
        (r#"{"source":"CALLEE","event":"hangup","sessionid":"call-57","eventid":107,"eventTime":"2026-01-01 00:05:00","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=hangup&sessionid=call-57&eventid=107&eventTime=2026-01-01 00:05:00&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CALLEE", "hangup", 107, "2026-01-01 00:05:00", "cust1")),
        (r#"{"source":"CONVERSATION","event":"hangup","sessionid":"call-57","eventid":108,"eventTime":"2026-01-01 00:05:00","calleridnum":"cust1","activenum":"agent1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=agent1&source=CONVERSATION&event=hangup&sessionid=call-57&eventid=108&eventTime=2026-01-01 00:05:00&from=dialout&queID=3&agentID=agent1&"}"#,
         call_event("CONVERSATION", "hangup", 108, "2026-01-01 00:05:00", "agent1")),
    ];
    let dialin = |source: &str, event: &str, eventid: u64, active: &str| {
        event_of("call-63", source, event, eventid, "2026-01-01 00:20:00", "cust1", active, "dialin", Some(3), Some("agent1"))
    };
    let dialin_events = [
        (r#"{"source":"CALLER","event":"incoming","sessionid":"call-63","eventid":201,"eventTime":"2026-01-01 00:20:00","calleridnum":"cust1","activenum":"cust1","from":"dialin","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLER&event=incoming&sessionid=call-63&eventid=201&eventTime=2026-01-01 00:20:00&from=dialin&queID=3&agentID=agent1&"}"#,
         dialin("CALLER", "incoming", 201, "cust1")),
        (r#"{"source":"AGENT","event":"ringing","sessionid":"call-63","eventid":202,"eventTime":"2026-01-01 00:20:00","calleridnum":"cust1","activenum":"agent1","from":"dialin","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=agent1&source=AGENT&event=ringing&sessionid=call-63&eventid=202&eventTime=2026-01-01 00:20:00&from=dialin&queID=3&agentID=agent1&"}"#,
         dialin("AGENT", "ringing", 202, "agent1")),
    ];
    let mut last = 0;
    for (json, ev) in dialout.into_iter().chain(dialin_events) {
        assert!(ev.eventid > last, "eventid increases");
        last = ev.eventid;
        exact_text(json, &ev);
        golden(json, ev);
    }
}

#[test]
fn queue_statistics_of_a_fresh_queue() {
    // Nobody served yet: avgWaitSeconds 0.0 and serviceLevel 1.0, written as floats.
    let fresh = QueueStatistics {
        que_id: 1,
        entered: 0,
        served: 0,
        abandoned: 0,
        timed_out: 0,
        forwarded: 0,
        avg_wait_seconds: 0.0,
        max_wait_seconds: 0,
        longest_waiting_seconds: 0,
        service_level: 1.0,
        service_level_seconds: 20,
        waiting: 0,
        in_service: 0,
        agents_logged_in: 0,
        agents_available: 0,
        agents_busy: 0,
    };
    let json = r#"{"queID":1,"entered":0,"served":0,"abandoned":0,"timedOut":0,"forwarded":0,"avgWaitSeconds":0.0,"maxWaitSeconds":0,"longestWaitingSeconds":0,"serviceLevel":1.0,"serviceLevelSeconds":20,"waiting":0,"inService":0,"agentsLoggedIn":0,"agentsAvailable":0,"agentsBusy":0}"#;
    golden(json, fresh.clone());
    assert_eq!(serde_json::to_string(&fresh).unwrap(), json);
}

#[test]
fn objects_on_their_own() {
    golden(r#"{"queID":1,"name":"VIP customers","desc":"Priority line for VIP members","prio":1}"#, demo_queues()[0].clone());
    golden(r#"{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}"#, statuses()[2]);
    golden(r#"{"queID":3,"position":1,"queuingTime":42}"#, QueuingInfo { que_id: 3, position: 1, queuing_time: 42, estimated_wait_time: None });
    // Lineup's estimated wait, as the server sends it while queuing (-1: not known yet).
    golden(
        r#"{"queID":3,"position":1,"queuingTime":42,"estimatedWaitTime":95}"#,
        QueuingInfo { que_id: 3, position: 1, queuing_time: 42, estimated_wait_time: Some(95) },
    );
    golden(
        r#"{"queID":3,"position":0,"queuingTime":0,"estimatedWaitTime":-1}"#,
        QueuingInfo { que_id: 3, position: 0, queuing_time: 0, estimated_wait_time: Some(-1) },
    );
    golden(r#"{"queID":3,"usrID":"cust1","name":"Carl","queuingTime":0,"usrExtDat":"order 42"}"#, carl());
    golden(r#"{"queID":2,"priority":0}"#, ServedQueue { que_id: 2, priority: 0 });
    golden(r#"{"queID":3,"usrID":"cust1"}"#, ServedCustomer { que_id: 3, usr_id: "cust1".into(), meet_id: None });
}

// ---------------------------------------------------------------------------------
// Notices: one golden per variant
// ---------------------------------------------------------------------------------



fn notice_examples() -> Vec<(&'static str, Notice)> {
    vec![
        (
            r#"{"type":"notice","name":"QueueStatusChanged","data":{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}}"#,
            Notice::QueueStatusChanged(statuses()[2]),
        ),
        (
            r#"{"type":"notice","name":"QueuingInfoChanged","data":{"queID":3,"position":1,"queuingTime":42}}"#,
            Notice::QueuingInfoChanged(QueuingInfo { que_id: 3, position: 1, queuing_time: 42, estimated_wait_time: None }),
        ),
        (
            r#"{"type":"notice","name":"AutoAssignUser","data":{"queID":3,"usrID":"cust1","name":"Carl","queuingTime":0,"usrExtDat":"order 42"}}"#,
            Notice::AutoAssignUser(carl()),
        ),
        (
            r#"{"type":"notice","name":"CancelAssignUser","data":{"queID":3,"usrID":"cust1","reason":"timeout"}}"#,
            Notice::CancelAssignUser { que_id: 3, usr_id: "cust1".into(), reason: "timeout".into() },
        ),
        (
            r#"{"type":"notice","name":"UserEnter","data":{"queID":2,"user":{"queID":2,"usrID":"cust2","name":"Dora","queuingTime":0,"usrExtDat":"{\"topic\":\"wifi\"}"}}}"#,
            Notice::UserEnter { que_id: 2, user: QueUser { queuing_time: 0, ..dora() } },
        ),
        (
            r#"{"type":"notice","name":"UserLeave","data":{"queID":3,"usrID":"cust1","inService":1}}"#,
            Notice::UserLeave { que_id: 3, usr_id: "cust1".into(), in_service: 1 },
        ),
        (
            r#"{"type":"notice","name":"ServiceFinished","data":{"queID":3,"agentID":"agent1","usrID":"cust1","reason":"finished"}}"#,
            Notice::ServiceFinished {
                que_id: 3,
                agent_id: "agent1".into(),
                usr_id: "cust1".into(),
                reason: "finished".into(),
            },
        ),
        (
            r#"{"type":"notice","name":"QueuingEnded","data":{"queID":3,"reason":"timeout"}}"#,
            Notice::QueuingEnded { que_id: 3, reason: "timeout".into() },
        ),
        (r#"{"type":"notice","name":"ServiceStopped","data":{"queID":4}}"#, Notice::ServiceStopped { que_id: 4 }),
        (
            r#"{"type":"notice","name":"QueueInfoChanged","data":{"queID":4,"name":"Returns","desc":"","prio":4}}"#,
            Notice::QueueInfoChanged(QueueInfo { que_id: 4, name: "Returns".into(), desc: "".into(), prio: 4 }),
        ),
        (r#"{"type":"notice","name":"QueueRemoved","data":{"queID":4}}"#, Notice::QueueRemoved { que_id: 4 }),
        (r#"{"type":"notice","name":"LineOff","data":{"sdkErr":10}}"#, Notice::LineOff { sdk_err: 10 }),
        (
            r#"{"type":"notice","name":"NotifyCallIn","data":{"callID":"call-57","meetObj":{"ID":1,"pswd":"1234","subject":"Support for Carl","creator":"agent1","memberCount":1,"startTime":1767225605},"callerID":"agent1","usrExtDat":"order 42"}}"#,
            Notice::NotifyCallIn {
                call_id: CALL.into(),
                meet_obj: room(1),
                caller_id: "agent1".into(),
                usr_ext_dat: "order 42".into(),
            },
        ),
        (
            r#"{"type":"notice","name":"NotifyCallAccepted","data":{"callID":"call-57","meetObj":{"ID":1,"pswd":"1234","subject":"Support for Carl","creator":"agent1","memberCount":1,"startTime":1767225605},"usrExtDat":"ready"}}"#,
            Notice::NotifyCallAccepted { call_id: CALL.into(), meet_obj: room(1), usr_ext_dat: "ready".into() },
        ),
        (
            r#"{"type":"notice","name":"NotifyCallRejected","data":{"callID":"call-57","sdkErr":606,"usrExtDat":"busy now"}}"#,
            Notice::NotifyCallRejected { call_id: CALL.into(), sdk_err: 606, usr_ext_dat: "busy now".into() },
        ),
        (
            r#"{"type":"notice","name":"NotifyCallHungup","data":{"callID":"call-57","usrExtDat":"thanks"}}"#,
            Notice::NotifyCallHungup { call_id: CALL.into(), usr_ext_dat: "thanks".into() },
        ),
        (
            r#"{"type":"notice","name":"NotifyCallHold","data":{"callID":"call-57"}}"#,
            Notice::NotifyCallHold { call_id: CALL.into() },
        ),
        (
            r#"{"type":"notice","name":"NotifyCallResume","data":{"callID":"call-57"}}"#,
            Notice::NotifyCallResume { call_id: CALL.into() },
        ),
        (
            r#"{"type":"notice","name":"UserEnterMeeting","data":{"meetID":1,"UID":"cust1","nickName":"Carl"}}"#,
            Notice::UserEnterMeeting { meet_id: 1, uid: "cust1".into(), nick_name: "Carl".into() },
        ),
        (
            r#"{"type":"notice","name":"UserLeftMeeting","data":{"meetID":1,"UID":"cust1","nickName":"Carl"}}"#,
            Notice::UserLeftMeeting { meet_id: 1, uid: "cust1".into(), nick_name: "Carl".into() },
        ),
        (
            r#"{"type":"notice","name":"MeetingStopped","data":{"meetID":1}}"#,
            Notice::MeetingStopped { meet_id: 1 },
        ),
        (
            r#"{"type":"notice","name":"MediaOffer","data":{"meetID":1,"sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}}"#,
            Notice::MediaOffer { meet_id: 1, sdp: SDP.into() },
        ),
        (
            r#"{"type":"notice","name":"MediaTrack","data":{"meetID":1,"UID":"cust1","kind":"audio","state":"open","stream":"m7"}}"#,
            Notice::MediaTrack { meet_id: 1, uid: "cust1".into(), kind: TrackKind::Audio, state: TrackState::Open, stream: "m7".into() },
        ),
        (r#"{"type":"notice","name":"MediaLost","data":{"meetID":1}}"#, Notice::MediaLost { meet_id: 1 }),
        (
            r#"{"type":"notice","name":"NotifyIMmsg","data":{"meetID":1,"fromUserID":"agent1","text":"Your order ships today","sendTime":1767258000}}"#,
            Notice::NotifyIMmsg {
                meet_id: 1,
                from_user_id: "agent1".into(),
                text: "Your order ships today".into(),
                send_time: 1_767_258_000,
                kind: MsgKind::Text,
            },
        ),
        (
            r#"{"type":"notice","name":"NotifyUserStatus","data":{"userID":"agent1","userStatus":2,"DNDType":0}}"#,
            Notice::NotifyUserStatus(UserStatus { user_id: "agent1".into(), user_status: 2, dnd_type: 0 }),
        ),
        (
            r#"{"type":"notice","name":"CloudMixerStateChanged","data":{"meetID":1,"mixerID":"9f2c41d07e6b4a1c8d3e5f60718293a4","recordingID":"5f0c3a9e2b7d41c8a6e19f3b0d2c4e7a","state":2,"operUserID":"agent1"}}"#,
            Notice::CloudMixerStateChanged {
                meet_id: 1,
                mixer_id: MIXER.into(),
                recording_id: RECORDING.into(),
                state: 2,
                oper_user_id: "agent1".into(),
            },
        ),
        (
            r#"{"type":"notice","name":"CloudMixerOutputInfoChanged","data":{"meetID":1,"mixerID":"9f2c41d07e6b4a1c8d3e5f60718293a4","recordingID":"5f0c3a9e2b7d41c8a6e19f3b0d2c4e7a","state":2,"svrFilePathName":"/api/v1/apps/demo/recordings/5f0c3a9e2b7d41c8a6e19f3b0d2c4e7a/file","startTime":1767258000000,"duration":251840,"fileSize":30118272}}"#,
            Notice::CloudMixerOutputInfoChanged {
                meet_id: 1,
                mixer_id: MIXER.into(),
                recording_id: RECORDING.into(),
                state: 2,
                svr_file_path_name: Some(format!("/api/v1/apps/demo/recordings/{RECORDING}/file")),
                start_time: Some(1_767_258_000_000),
                duration: Some(251_840),
                file_size: Some(30_118_272),
                err_desc: None,
            },
        ),
        (
            r#"{"type":"notice","name":"AgentStatusChanged","data":{"UID":"agent1","state":"not_ready","DNDType":2,"label":"Break","since":1767225600000,"missedOffers":0,"servedToday":7}}"#,
            Notice::AgentStatusChanged(AgentStatusChange {
                uid: "agent1".into(),
                state: "not_ready".into(),
                dnd_type: 2,
                label: "Break".into(),
                since: 1_767_225_600_000,
                missed_offers: 0,
                served_today: 7,
            }),
        ),
        (
            r#"{"type":"notice","name":"Wallboard","data":{"time":1767225600000,"full":true,"queues":[{"queID":3,"waiting":4,"longestWaitSeconds":95,"agents":{"idle":0,"busy":5,"wrapUp":1,"notReady":2,"offline":0},"serviceLevel":0.82,"served":40,"abandoned":3,"avgWaitSeconds":41.5,"avgHandleSeconds":212.0,"avgHandleSecondsToday":198.4,"arrivalsPerHour":96.0,"agentsNeeded":8,"agentsAvailable":0,"estimatedWaitTime":120}],"agents":[{"UID":"agent1","state":"not_ready","DNDType":2,"label":"Break","since":1767225000000,"missedOffers":0,"servedToday":14}]}}"#,
            Notice::Wallboard(WallboardFrame {
                time: 1_767_225_600_000,
                full: true,
                queues: vec![WallboardQueue {
                    que_id: 3,
                    waiting: 4,
                    longest_wait_seconds: 95,
                    agents: WallboardAgents { idle: 0, busy: 5, wrap_up: 1, not_ready: 2, offline: 0 },
                    service_level: 0.82,
                    served: 40,
                    abandoned: 3,
                    avg_wait_seconds: 41.5,
                    avg_handle_seconds: Some(212.0),
                    avg_handle_seconds_today: Some(198.4),
                    arrivals_per_hour: Some(96.0),
                    agents_needed: Some(8),
                    agents_available: 0,
                    estimated_wait_time: 120,
                }],
                agents: vec![AgentStatusChange {
                    uid: "agent1".into(),
                    state: "not_ready".into(),
                    dnd_type: 2,
                    label: "Break".into(),
                    since: 1_767_225_000_000,
                    missed_offers: 0,
                    served_today: 14,
                }],
            }),
        ),
        (
            r#"{"type":"notice","name":"RequirementRelaxed","data":{"queID":3,"step":1}}"#,
            Notice::RequirementRelaxed { que_id: 3, step: 1 },
        ),
        (
            r#"{"type":"notice","name":"MediaBitrate","data":{"meetID":12,"maxBitrate":236000}}"#,
            Notice::MediaBitrate { meet_id: 12, max_bitrate: 236_000 },
        ),
        (
            r#"{"type":"notice","name":"NotifyScreenShareStarted","data":{"meetID":12,"UID":"agent1"}}"#,
            Notice::NotifyScreenShareStarted { meet_id: 12, uid: "agent1".into() },
        ),
        (
            r#"{"type":"notice","name":"NotifyScreenShareStopped","data":{"meetID":12,"UID":"agent1"}}"#,
            Notice::NotifyScreenShareStopped { meet_id: 12, uid: "agent1".into() },
        ),
        (
            r#"{"type":"notice","name":"NotifyCallEvent","data":{"source":"CALLEE","event":"ringing","sessionid":"call-57","eventid":101,"eventTime":"2026-01-01 00:00:06","calleridnum":"cust1","activenum":"cust1","from":"dialout","queID":3,"agentID":"agent1","message":"calleridnum=cust1&activenum=cust1&source=CALLEE&event=ringing&sessionid=call-57&eventid=101&eventTime=2026-01-01 00:00:06&from=dialout&queID=3&agentID=agent1&"}}"#,
            Notice::NotifyCallEvent(call_event("CALLEE", "ringing", 101, "2026-01-01 00:00:06", "cust1")),
        ),
    ]
}

fn check_notice(name: &str) {
    let (json, n) = notice_examples().into_iter().find(|(_, n)| n.name() == name).expect("an example");
    golden_frame(json, notice(n));
}

#[test]
fn notice_queue_status_changed() {
    check_notice("QueueStatusChanged");
}

#[test]
fn notice_queuing_info_changed() {
    check_notice("QueuingInfoChanged");
    golden_frame(
        r#"{"type":"notice","name":"QueuingInfoChanged","data":{"queID":3,"position":0,"queuingTime":0}}"#,
        notice(Notice::QueuingInfoChanged(QueuingInfo { que_id: 3, position: 0, queuing_time: 0, estimated_wait_time: None })),
    );
    golden_frame(
        r#"{"type":"notice","name":"QueuingInfoChanged","data":{"queID":-1,"position":0,"queuingTime":0}}"#,
        notice(Notice::QueuingInfoChanged(QueuingInfo { que_id: -1, position: 0, queuing_time: 0, estimated_wait_time: None })),
    );
    golden_frame(
        r#"{"type":"notice","name":"QueuingInfoChanged","data":{"queID":-2,"position":0,"queuingTime":0}}"#,
        notice(Notice::QueuingInfoChanged(QueuingInfo { que_id: -2, position: 0, queuing_time: 0, estimated_wait_time: None })),
    );
}

#[test]
fn notice_auto_assign_user() {
    check_notice("AutoAssignUser");
}

#[test]
fn notice_cancel_assign_user() {
    check_notice("CancelAssignUser");
    for reason in ["customer_left", "customer_offline", "agent_offline", "service_stopped", "capacity_lowered", "forwarded"] {
        let json = format!(
            r#"{{"type":"notice","name":"CancelAssignUser","data":{{"queID":3,"usrID":"cust1","reason":"{reason}"}}}}"#
        );
        assert_eq!(
            serde_json::to_string(&notice(Notice::CancelAssignUser {
                que_id: 3,
                usr_id: "cust1".into(),
                reason: reason.into()
            }))
            .unwrap(),
            json
        );
    }
}

/// What a queue deletion sends, per session, in this order. The agent offered a
/// customer of the queue: the offer is withdrawn first, then the service stops. Each
/// waiting customer (after the agents): QueuingInfoChanged -1, then QueuingEnded cancel.
#[test]
fn notices_of_a_queue_deletion() {
    let agent = [
        (
            r#"{"type":"notice","name":"CancelAssignUser","data":{"queID":4,"usrID":"cust2","reason":"service_stopped"}}"#,
            Notice::CancelAssignUser { que_id: 4, usr_id: "cust2".into(), reason: "service_stopped".into() },
        ),
        (r#"{"type":"notice","name":"ServiceStopped","data":{"queID":4}}"#, Notice::ServiceStopped { que_id: 4 }),
    ];
    let customer = [
        (
            r#"{"type":"notice","name":"QueuingInfoChanged","data":{"queID":-1,"position":0,"queuingTime":0}}"#,
            Notice::QueuingInfoChanged(QueuingInfo { que_id: QueuingInfo::NOT_QUEUING, position: 0, queuing_time: 0, estimated_wait_time: None }),
        ),
        (
            r#"{"type":"notice","name":"QueuingEnded","data":{"queID":4,"reason":"cancel"}}"#,
            Notice::QueuingEnded { que_id: 4, reason: "cancel".into() },
        ),
    ];
    for (json, n) in agent.into_iter().chain(customer) {
        golden_frame(json, notice(n));
    }
    golden_frame(
        r#"{"type":"notice","name":"CancelAssignUser","data":{"queID":3,"usrID":"cust2","reason":"capacity_lowered"}}"#,
        notice(Notice::CancelAssignUser { que_id: 3, usr_id: "cust2".into(), reason: "capacity_lowered".into() }),
    );
}

#[test]
fn notice_user_enter() {
    check_notice("UserEnter");
}

#[test]
fn notice_user_leave() {
    check_notice("UserLeave");
    golden_frame(
        r#"{"type":"notice","name":"UserLeave","data":{"queID":2,"usrID":"cust2","inService":0}}"#,
        notice(Notice::UserLeave { que_id: 2, usr_id: "cust2".into(), in_service: 0 }),
    );
}

#[test]
fn notice_service_finished() {
    check_notice("ServiceFinished");
    golden_frame(
        r#"{"type":"notice","name":"ServiceFinished","data":{"queID":3,"agentID":"agent1","usrID":"cust1","reason":"customer_left"}}"#,
        notice(Notice::ServiceFinished {
            que_id: 3,
            agent_id: "agent1".into(),
            usr_id: "cust1".into(),
            reason: "customer_left".into(),
        }),
    );
}

#[test]
fn notice_queuing_ended() {
    check_notice("QueuingEnded");
    golden_frame(
        r#"{"type":"notice","name":"QueuingEnded","data":{"queID":4,"reason":"cancel"}}"#,
        notice(Notice::QueuingEnded { que_id: 4, reason: "cancel".into() }),
    );
}

#[test]
fn notice_service_stopped() {
    check_notice("ServiceStopped");
}

#[test]
fn notice_queue_info_changed() {
    check_notice("QueueInfoChanged");
}

#[test]
fn notice_queue_removed() {
    check_notice("QueueRemoved");
}

#[test]
fn notice_line_off() {
    check_notice("LineOff");
}

#[test]
fn notice_notify_call_in() {
    check_notice("NotifyCallIn");
    // A call without usrExtDat carries "".
    golden_frame(
        r#"{"type":"notice","name":"NotifyCallIn","data":{"callID":"call-57","meetObj":{"ID":1,"pswd":"1234","subject":"Support for Carl","creator":"agent1","memberCount":1,"startTime":1767225605},"callerID":"agent1","usrExtDat":""}}"#,
        notice(Notice::NotifyCallIn { call_id: CALL.into(), meet_obj: room(1), caller_id: "agent1".into(), usr_ext_dat: "".into() }),
    );
}

#[test]
fn notice_notify_call_accepted() {
    check_notice("NotifyCallAccepted");
}

#[test]
fn notice_notify_call_rejected() {
    check_notice("NotifyCallRejected");
    // Nobody answered within callTimeoutSeconds: 604, usrExtDat "".
    golden_frame(
        r#"{"type":"notice","name":"NotifyCallRejected","data":{"callID":"call-57","sdkErr":604,"usrExtDat":""}}"#,
        notice(Notice::NotifyCallRejected { call_id: CALL.into(), sdk_err: codes::ERR_NOANSWER, usr_ext_dat: "".into() }),
    );
    assert_eq!((codes::ERR_REFUSE, codes::ERR_NOANSWER), (606, 604));
}

#[test]
fn notice_notify_call_hungup() {
    check_notice("NotifyCallHungup");
    // To the callee of an unanswered call, and to the peer of a session that ended.
    golden_frame(
        r#"{"type":"notice","name":"NotifyCallHungup","data":{"callID":"call-57","usrExtDat":""}}"#,
        notice(Notice::NotifyCallHungup { call_id: CALL.into(), usr_ext_dat: "".into() }),
    );
}

#[test]
fn notice_notify_call_hold() {
    check_notice("NotifyCallHold");
}

#[test]
fn notice_notify_call_resume() {
    check_notice("NotifyCallResume");
}

#[test]
fn notice_user_enter_meeting() {
    check_notice("UserEnterMeeting");
}

#[test]
fn notice_user_left_meeting() {
    check_notice("UserLeftMeeting");
}

#[test]
fn notice_notify_call_event() {
    check_notice("NotifyCallEvent");
}

#[test]
fn notice_meeting_stopped() {
    check_notice("MeetingStopped");
}

#[test]
fn notice_media_offer() {
    check_notice("MediaOffer");
}

#[test]
fn notice_media_track() {
    check_notice("MediaTrack");
}

#[test]
fn notice_screen_share() {
    check_notice("NotifyScreenShareStarted");
    check_notice("NotifyScreenShareStopped");
}

#[test]
fn notice_media_lost() {
    check_notice("MediaLost");
}

#[test]
fn notice_notify_im_msg() {
    check_notice("NotifyIMmsg");
}

#[test]
fn notice_notify_user_status() {
    check_notice("NotifyUserStatus");
}

#[test]
fn notice_agent_status_changed() {
    check_notice("AgentStatusChanged");
}

#[test]
fn notice_wallboard() {
    check_notice("Wallboard");
}

#[test]
fn notice_cloud_mixer_state_changed() {
    check_notice("CloudMixerStateChanged");
}

#[test]
fn notice_cloud_mixer_output_info_changed() {
    check_notice("CloudMixerOutputInfoChanged");
    // A recording that could not be kept: no file fields, a reason.
    let failed = Notice::CloudMixerOutputInfoChanged {
        meet_id: 1,
        mixer_id: MIXER.into(),
        recording_id: RECORDING.into(),
        state: 3,
        svr_file_path_name: None,
        start_time: None,
        duration: None,
        file_size: None,
        err_desc: Some("nothing was recorded".into()),
    };
    parses_as(
        r#"{"type":"notice","name":"CloudMixerOutputInfoChanged","data":{"meetID":1,"mixerID":"9f2c41d07e6b4a1c8d3e5f60718293a4","recordingID":"5f0c3a9e2b7d41c8a6e19f3b0d2c4e7a","state":3,"errDesc":"nothing was recorded"}}"#,
        notice(failed),
    );
}

/// A forwarded customer, as its old and new queues' agents and the customer see it
/// (Dora moves from queue 2 to queue 3 after 17 s, keeping her waiting time).
#[test]
fn notices_of_a_forward() {
    let cases = [
        (
            r#"{"type":"notice","name":"CancelAssignUser","data":{"queID":2,"usrID":"cust2","reason":"forwarded"}}"#,
            Notice::CancelAssignUser { que_id: 2, usr_id: "cust2".into(), reason: "forwarded".into() },
        ),
        (
            r#"{"type":"notice","name":"UserLeave","data":{"queID":2,"usrID":"cust2","inService":0}}"#,
            Notice::UserLeave { que_id: 2, usr_id: "cust2".into(), in_service: 0 },
        ),
        (
            r#"{"type":"notice","name":"QueuingInfoChanged","data":{"queID":3,"position":0,"queuingTime":17}}"#,
            Notice::QueuingInfoChanged(QueuingInfo { que_id: 3, position: 0, queuing_time: 17, estimated_wait_time: None }),
        ),
        (
            r#"{"type":"notice","name":"UserEnter","data":{"queID":3,"user":{"queID":3,"usrID":"cust2","name":"Dora","queuingTime":17,"usrExtDat":"{\"topic\":\"wifi\"}"}}}"#,
            Notice::UserEnter { que_id: 3, user: QueUser { que_id: 3, ..dora() } },
        ),
    ];
    for (json, n) in cases {
        golden_frame(json, notice(n));
    }
}

/// What an agent and its customer receive when the service's call ends: the service
/// ends with `call_ended`.
#[test]
fn notices_of_a_call_ending_its_service() {
    golden_frame(
        r#"{"type":"notice","name":"ServiceFinished","data":{"queID":3,"agentID":"agent1","usrID":"cust1","reason":"call_ended"}}"#,
        notice(Notice::ServiceFinished {
            que_id: 3,
            agent_id: "agent1".into(),
            usr_id: "cust1".into(),
            reason: "call_ended".into(),
        }),
    );
}

#[test]
fn every_notice_variant_has_an_example() {
    // Notice::NAMES lists every variant (`wire_enum!` names each variant).
    let covered: BTreeSet<&str> = notice_examples().iter().map(|(_, n)| n.name()).collect();
    let missing: Vec<&str> = Notice::NAMES.iter().copied().filter(|n| !covered.contains(n)).collect();
    assert!(missing.is_empty(), "notices without an example in notice_examples: {missing:?}");
}

#[test]
fn server_frames_that_do_not_parse() {
    fails::<ServerFrame>(r#"{"type":"event","name":"LineOff","data":{"sdkErr":10}}"#);
    fails::<ServerFrame>(r#"{"type":"notice","name":"Nope","data":{}}"#);
    fails::<ServerFrame>(r#"{"type":"notice","name":"LineOff"}"#);
    fails::<ServerFrame>(r#"{"seq":1,"err":0,"msg":"ok"}"#);
}

// ---------------------------------------------------------------------------------
// REST bodies
// ---------------------------------------------------------------------------------

#[test]
fn rest_login_request() {
    golden(
        &format!(r#"{{"appID":"demo","md5_appSecret":"{DEMO_MD5}","UID":"cust1","nickName":"Carl"}}"#),
        LoginRequest {
            app_id: Some("demo".into()),
            md5_app_secret: Some(DEMO_MD5.into()),
            token: None,
            uid: "cust1".into(),
            nick_name: "Carl".into(),
            user_auth_code: None,
        },
    );
    golden(
        &format!(r#"{{"token":"{TOKEN}","UID":"cust1","nickName":"Carl","userAuthCode":""}}"#),
        LoginRequest {
            token: Some(TOKEN.into()),
            uid: "cust1".into(),
            nick_name: "Carl".into(),
            user_auth_code: Some("".into()),
            ..Default::default()
        },
    );
    // With a token, UID and nickName may be left out (they serialize as "").
    let by_token = LoginRequest { token: Some(TOKEN.into()), ..Default::default() };
    parses_as(&format!(r#"{{"token":"{TOKEN}"}}"#), by_token.clone());
    assert_eq!(serde_json::to_value(&by_token).unwrap(), json!({"token": TOKEN, "UID": "", "nickName": ""}));
    documented(&format!(r#"{{"token":"{TOKEN}"}}"#));
    // Optional Option fields accept null; the defaulted strings do not.
    parses_as(r#"{"appID":null,"token":null,"UID":"u"}"#, LoginRequest { uid: "u".into(), ..Default::default() });
    fails::<LoginRequest>(r#"{"token":"t","UID":null}"#);
    fails::<LoginRequest>(r#"{"token":"t","nickName":null}"#);
}

#[test]
fn rest_login_response() {
    golden(
        &format!(
            r#"{{"err":0,"msg":"ok","ticket":"{TICKET}","ticketSeconds":60,"UID":"cust1","nickName":"Carl","appID":"demo","roles":["agent","customer","supervisor"],"wsPath":"/ws"}}"#
        ),
        LoginResponse {
            err: 0,
            msg: "ok".into(),
            ticket: Some(TICKET.into()),
            ticket_seconds: Some(60),
            uid: Some("cust1".into()),
            nick_name: Some("Carl".into()),
            app_id: Some("demo".into()),
            roles: all_roles(),
            ws_path: Some("/ws".into()),
            token_expire_at: None,
        },
    );
    golden(
        &format!(
            r#"{{"err":0,"msg":"ok","ticket":"{TOKEN_TICKET}","ticketSeconds":60,"UID":"cust1","nickName":"Carl","appID":"demo","roles":["customer"],"wsPath":"/ws","tokenExpireAt":1767229200}}"#
        ),
        LoginResponse {
            err: 0,
            msg: "ok".into(),
            ticket: Some(TOKEN_TICKET.into()),
            ticket_seconds: Some(60),
            uid: Some("cust1".into()),
            nick_name: Some("Carl".into()),
            app_id: Some("demo".into()),
            roles: vec!["customer".into()],
            ws_path: Some("/ws".into()),
            token_expire_at: Some(1767229200),
        },
    );
    let error = |err: u32, msg: &str| LoginResponse::error(err, msg);
    golden(r#"{"err":7,"msg":"wrong appID or app secret"}"#, error(7, "wrong appID or app secret"));
    golden(
        r#"{"err":5,"msg":"invalid UID: must be 1 to 128 printable characters (got 0)"}"#,
        error(5, "invalid UID: must be 1 to 128 printable characters (got 0)"),
    );
    golden(r#"{"err":18,"msg":"the token expired"}"#, error(18, "the token expired"));
    // nickName: 0-128 characters, no control characters (here "a\u0007b").
    golden(
        r#"{"err":5,"msg":"invalid nickName: must be 0 to 128 printable characters (got 3)"}"#,
        error(5, "invalid nickName: must be 0 to 128 printable characters (got 3)"),
    );
    // Unknown fields are refused: the message is "bad JSON body: " and serde's error.
    let unknown = format!("bad JSON body: {}", fails::<LoginRequest>(r#"{"appId":"demo","UID":"u"}"#));
    golden(
        r#"{"err":6,"msg":"bad JSON body: unknown field `appId`, expected one of `appID`, `md5_appSecret`, `token`, `UID`, `nickName`, `userAuthCode` at line 1 column 8"}"#,
        error(6, &unknown),
    );
}

#[test]
fn rest_token_request() {
    golden(
        r#"{"UID":"cust1","nickName":"Carl","roles":["customer"],"expireSeconds":3600}"#,
        TokenRequest { uid: "cust1".into(), nick_name: "Carl".into(), roles: vec!["customer".into()], expire_seconds: Some(3600) },
    );
    let minimal = TokenRequest { uid: "agent1".into(), nick_name: "".into(), roles: vec!["agent".into()], expire_seconds: None };
    parses_as(r#"{"UID":"agent1","roles":["agent"]}"#, minimal.clone());
    documented(r#"{"UID":"agent1","roles":["agent"]}"#);
    // The serializer omits expireSeconds when it is None (nickName is written as "").
    exact_text(r#"{"UID":"agent1","nickName":"","roles":["agent"]}"#, &minimal);
    parses_as(r#"{"UID":"agent1","roles":["agent"],"expireSeconds":null}"#, minimal);
    let e = fails::<TokenRequest>(r#"{"UID":"cust1"}"#);
    assert!(e.contains("missing field `roles`"), "{e}");
}

#[test]
fn rest_token_response() {
    golden(
        &format!(r#"{{"err":0,"msg":"ok","token":"{TOKEN}","expireAt":1767229200}}"#),
        TokenResponse { err: 0, msg: "ok".into(), token: Some(TOKEN.into()), expire_at: Some(1767229200) },
    );
    // The app secret is checked before the body: auth failures are err 7 with the
    // administration API's HTTP status (401, or 404 for an unknown app).
    let error = |err: u32, msg: &str| TokenResponse { err, msg: msg.into(), token: None, expire_at: None };
    golden(r#"{"err":7,"msg":"wrong app secret"}"#, error(7, "wrong app secret"));
    golden(
        r#"{"err":7,"msg":"missing Authorization: Bearer <md5 of the app secret>"}"#,
        error(7, "missing Authorization: Bearer <md5 of the app secret>"),
    );
    golden(r#"{"err":7,"msg":"no app 'ghost'"}"#, error(7, "no app 'ghost'"));
    golden(
        r#"{"err":5,"msg":"invalid nickName: must be 0 to 128 printable characters (got 3)"}"#,
        error(5, "invalid nickName: must be 0 to 128 printable characters (got 3)"),
    );
}

#[test]
fn rest_admin_response_error() {
    let e = |code: u32, desc: &str| AdminResponse::<()> { rsp_code: code, rsp_desc: desc.into(), data: None };
    golden(r#"{"RspCode":3,"RspDesc":"wrong app secret"}"#, e(rsp::WRONG_SECRET, "wrong app secret"));
    golden(
        r#"{"RspCode":1,"RspDesc":"missing Authorization: Bearer <md5 of the app secret>"}"#,
        e(rsp::NO_PERMISSION, "missing Authorization: Bearer <md5 of the app secret>"),
    );
    golden(r#"{"RspCode":2,"RspDesc":"no app 'ghost'"}"#, e(rsp::NO_ACCOUNT, "no app 'ghost'"));
    golden(
        r#"{"RspCode":4,"RspDesc":"invalid QueueName: 65 characters, at most 64"}"#,
        e(rsp::BAD_PARAMETER, "invalid QueueName: 65 characters, at most 64"),
    );
    golden(r#"{"RspCode":5,"RspDesc":"no such API endpoint"}"#, e(rsp::UNKNOWN, "no such API endpoint"));
    golden(
        r#"{"RspCode":6,"RspDesc":"a queue named 'Billing' already exists"}"#,
        e(rsp::NAME_EXISTS_OR_NOT_FOUND, "a queue named 'Billing' already exists"),
    );
    golden(r#"{"RspCode":6,"RspDesc":"no queue 999 in this app"}"#, e(rsp::NAME_EXISTS_OR_NOT_FOUND, "no queue 999 in this app"));
}

/// `AdminResponse<T>` parses for any `T: Deserialize` (no `Default` bound), so each
/// envelope is checked with its typed `Data`.
#[test]
fn rest_admin_response_with_data() {
    let ok = |data: Value| AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(data) };
    golden(r#"{"RspCode":0,"RspDesc":"ok","Data":{"appID":"acme"}}"#, ok(json!({"appID": "acme"})));
    golden(r#"{"RspCode":0,"RspDesc":"ok","Data":{"QueueID":4}}"#, ok(json!({"QueueID": 4})));
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":{"queID":3,"agent_num":1,"wait_num":2,"srv_num":1}}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(statuses()[2]) },
    );
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":{"QueueID":4,"QueueName":"Billing","Priority":3,"QueDesc":"Invoices","MaxWaitSeconds":600,"MaxLength":50,"WrapUpSeconds":15,"CreateTime":"2026-01-01 00:00:00","UpdateTime":"2026-01-01 00:00:00","AgentNum":0,"SrvNum":0,"WaitNum":0}}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(billing()) },
    );
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":{"holdSeconds":60,"offerTimeoutSeconds":30,"noticeIntervalMs":1000,"serviceLevelSeconds":20,"reofferDelaySeconds":10,"callTimeoutSeconds":30,"customerCalls":"serving_agent","queueUserNotices":true,"recordCalls":false,"recordOnDemand":false,"maxMissedOffers":0,"serviceLevelTarget":80,"utcOffsetMinutes":0,"callbackExpirySeconds":3600}}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(default_settings()) },
    );
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":[{"queID":3,"entered":20,"served":16,"abandoned":2,"timedOut":1,"forwarded":1,"avgWaitSeconds":12.5,"maxWaitSeconds":61,"longestWaitingSeconds":8,"serviceLevel":0.875,"serviceLevelSeconds":20,"waiting":1,"inService":1,"agentsLoggedIn":2,"agentsAvailable":1,"agentsBusy":1}]}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(vec![statistics()]) },
    );
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":[{"UID":"agent1","nickName":"Anna","online":true,"DNDStatus":0,"capacity":2,"serving":[{"queID":2,"priority":0},{"queID":3,"priority":5}],"customers":[{"queID":3,"usrID":"cust1"}],"pendingOffers":1,"servedTotal":12,"serviceSecondsTotal":3540,"state":"busy","DNDType":0,"reasonLabel":"","stateSince":1767225600000,"missedOffers":0,"stateSeconds":{"idle":1200,"busy":3540,"wrapUp":300,"notReady":0,"offline":0},"reasonSeconds":[]}]}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(vec![anna()]) },
    );
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":{"queueCount":0,"queueList":[]}}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(QueueQueryData { queue_count: 0, queue_list: vec![] }) },
    );
    // A typed envelope also parses without Data (an error), and refuses Data of the
    // wrong shape.
    parses_as(
        r#"{"RspCode":6,"RspDesc":"no queue 999 in this app"}"#,
        AdminResponse::<QueueRecord> { rsp_code: 6, rsp_desc: "no queue 999 in this app".into(), data: None },
    );
    fails::<AdminResponse<QueueRecord>>(r#"{"RspCode":0,"RspDesc":"ok","Data":{"QueueID":4}}"#);
}

#[test]
fn rest_queue_fields() {
    golden(
        r#"{"QueueName":"Billing","Priority":3,"QueDesc":"Invoices","MaxWaitSeconds":600,"MaxLength":50,"WrapUpSeconds":15}"#,
        QueueFields {
            queue_name: Some("Billing".into()),
            priority: Some(3),
            que_desc: Some("Invoices".into()),
            max_wait_seconds: Some(600),
            max_length: Some(50),
            wrap_up_seconds: Some(15),
            ..Default::default()
        },
    );
    golden(
        r#"{"NewQueueName":"Billing & refunds","Priority":2,"MaxWaitSeconds":0}"#,
        QueueFields {
            new_queue_name: Some("Billing & refunds".into()),
            priority: Some(2),
            max_wait_seconds: Some(0),
            ..Default::default()
        },
    );
    golden(r#"{"QueueName":"Returns","Priority":4}"#, QueueFields { queue_name: Some("Returns".into()), priority: Some(4), ..Default::default() });
    golden("{}", QueueFields::default());
    let e = fails::<QueueFields>(r#"{"Queuename":"x"}"#);
    assert!(e.contains("unknown field `Queuename`"), "{e}");
    fails::<QueueFields>(r#"{"QueueName":"x","Global":1}"#);
    fails::<QueueFields>(r#"{"QueueName":"x","Priority":300}"#);
}

#[test]
fn rest_queue_record() {
    golden(
        r#"{"QueueID":4,"QueueName":"Billing","Priority":3,"QueDesc":"Invoices","MaxWaitSeconds":600,"MaxLength":50,"WrapUpSeconds":15,"CreateTime":"2026-01-01 00:00:00","UpdateTime":"2026-01-01 00:00:00","AgentNum":0,"SrvNum":0,"WaitNum":0}"#,
        billing(),
    );
}

#[test]
fn rest_queue_query_data() {
    golden(
        r#"{"queueCount":4,"queueList":[{"QueueID":1,"QueueName":"VIP customers","Priority":1,"QueDesc":"Priority line for VIP members","MaxWaitSeconds":0,"MaxLength":0,"WrapUpSeconds":0,"CreateTime":"2025-12-31 09:00:00","UpdateTime":"2025-12-31 09:00:00","AgentNum":2,"SrvNum":1,"WaitNum":3}]}"#,
        QueueQueryData { queue_count: 4, queue_list: vec![vip_record()] },
    );
    golden(r#"{"queueCount":0,"queueList":[]}"#, QueueQueryData { queue_count: 0, queue_list: vec![] });
}

#[test]
fn rest_app_settings_body() {
    golden(
        r#"{"holdSeconds":60,"offerTimeoutSeconds":30,"noticeIntervalMs":1000,"serviceLevelSeconds":20,"reofferDelaySeconds":10,"callTimeoutSeconds":30,"customerCalls":"serving_agent","queueUserNotices":true,"recordCalls":false,"recordOnDemand":false,"maxMissedOffers":0,"serviceLevelTarget":80,"utcOffsetMinutes":0,"callbackExpirySeconds":3600}"#,
        default_settings(),
    );
    golden(r#"{"offerTimeoutSeconds":12}"#, AppSettingsBody { offer_timeout_seconds: Some(12), ..Default::default() });
    golden(r#"{"callTimeoutSeconds":45}"#, AppSettingsBody { call_timeout_seconds: Some(45), ..Default::default() });
    let e = fails::<AppSettingsBody>(r#"{"callTimeoutSecs":5}"#);
    assert!(e.contains("unknown field `callTimeoutSecs`"), "{e}");
    let e = fails::<AppSettingsBody>(r#"{"holdSecs":5}"#);
    assert!(e.contains("unknown field `holdSecs`"), "{e}");
}

#[test]
fn rest_forward_request() {
    golden(r#"{"usrID":"cust2","toQueID":3}"#, ForwardRequest { usr_id: "cust2".into(), to_que_id: 3 });
    let e = fails::<ForwardRequest>(r#"{"usrID":"cust2"}"#);
    assert!(e.contains("missing field `toQueID`"), "{e}");
    let e = fails::<ForwardRequest>(r#"{"usrID":"cust2","toQueId":3}"#);
    assert!(e.contains("unknown field `toQueId`"), "{e}");
    // The source queue is the one in the path, not a body field.
    fails::<ForwardRequest>(r#"{"queID":2,"usrID":"cust2","toQueID":3}"#);
}

#[test]
fn rest_forward_response() {
    golden(
        r#"{"RspCode":0,"RspDesc":"ok","Data":{"usrID":"cust2","fromQueID":2,"toQueID":3}}"#,
        AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(json!({"usrID": "cust2", "fromQueID": 2, "toQueID": 3})) },
    );
    let e = |code: u32, desc: &str| AdminResponse::<()> { rsp_code: code, rsp_desc: desc.into(), data: None };
    golden(
        r#"{"RspCode":6,"RspDesc":"the customer is not queuing in this queue"}"#,
        e(rsp::NAME_EXISTS_OR_NOT_FOUND, "the customer is not queuing in this queue"),
    );
    golden(r#"{"RspCode":4,"RspDesc":"queue 3 is full"}"#, e(rsp::BAD_PARAMETER, "queue 3 is full"));
    golden(r#"{"RspCode":6,"RspDesc":"no queue 99 in this app"}"#, e(rsp::NAME_EXISTS_OR_NOT_FOUND, "no queue 99 in this app"));
    golden(
        r#"{"RspCode":4,"RspDesc":"invalid toQueID: is the queue the customer is in"}"#,
        e(rsp::BAD_PARAMETER, "invalid toQueID: is the queue the customer is in"),
    );
}

#[test]
fn rest_app_create_request() {
    golden(
        r#"{"appID":"acme","appSecret":"acme-secret"}"#,
        AppCreateRequest { app_id: "acme".into(), app_secret: "acme-secret".into() },
    );
    fails::<AppCreateRequest>(r#"{"appID":"acme"}"#);
    fails::<AppCreateRequest>(r#"{"appID":"acme","appSecret":"s","md5_appSecret":"x"}"#);
}

/// Like the other REST bodies, the login and token requests refuse unknown fields, so a
/// misspelt field is named (REST login: err 6, HTTP 400, "bad JSON body: ...").
#[test]
fn login_and_token_requests_refuse_unknown_fields() {
    let e = fails::<LoginRequest>(r#"{"appId":"demo","UID":"u"}"#);
    assert_eq!(
        e,
        "unknown field `appId`, expected one of `appID`, `md5_appSecret`, `token`, `UID`, `nickName`, `userAuthCode` at line 1 column 8"
    );
    let e = fails::<TokenRequest>(r#"{"UID":"u","roles":["agent"],"nickname":"N"}"#);
    assert_eq!(e, "unknown field `nickname`, expected one of `UID`, `nickName`, `roles`, `expireSeconds` at line 1 column 39");
    fails::<LoginRequest>(&format!(r#"{{"appID":"demo","md5_appSecret":"{DEMO_MD5}","UID":"u","cookie":"x"}}"#));
    fails::<TokenRequest>(r#"{"UID":"u","roles":["agent"],"expireAt":5}"#);
}

// ---------------------------------------------------------------------------------
// Error codes
// ---------------------------------------------------------------------------------

#[test]
fn error_codes_are_unique_and_in_order() {
    let codes: Vec<u32> = codes::ALL.iter().map(|c| c.code).collect();
    let unique: BTreeSet<u32> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len(), "duplicate codes in {codes:?}");
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "ALL is not in numeric order: {codes:?}");
    let names: BTreeSet<&str> = codes::ALL.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), codes::ALL.len(), "duplicate names");
    for c in codes::ALL {
        assert_eq!(codes::lookup(c.code), Some(c));
        assert!(!c.meaning.is_empty());
    }
    assert_eq!(codes::lookup(2), None);
}

#[test]
fn error_codes_match_the_documented_table() {
    // (code, name, Lineup addition) as listed in PROTOCOL.md's error table.
    let table = [
        (0, "NOERR", false),
        (1, "UNKNOWERR", false),
        (3, "INNER_ERR", false),
        (5, "MEETPARAM_ERR", false),
        (6, "ERR_DATA", false),
        (7, "ANCTPSWD_ERR", false),
        (9, "LOGINSTATE_ERROR", false),
        (10, "CRVideoSDK_USER_BEEN_KICKOUT", false),
        (12, "NOT_LOGIN", false),
        (18, "TOKEN_TIMEOUT", false),
        (19, "TOKEN_AUTHINFOERR", false),
        (20, "TOKEN_APPIDNOTEXIST", false),
        (21, "TOKEN_AUTH_FAILED", false),
        (22, "TOKEN_NOTTOKENTYPE", false),
        (30, "NO_PERMISSION", true),
        (31, "FRAME_TOO_LARGE", true),
        (32, "SESSION_RECONNECTING", true),
        (33, "TOO_MANY_REQUESTS", true),
        (34, "MEDIA_DEVICE_ERR", true),
        (35, "MEDIA_ERR", true),
        (203, "CREATE_CONN_FAILED", false),
        (207, "CONNECTIONLOST", false),
        (400, "QUE_ID_INVALID", false),
        (401, "QUE_NOUSER", false),
        (402, "QUE_USER_CANCELLED", false),
        (403, "QUE_SERVICE_NOT_START", false),
        (404, "ALREADY_OTHERQUE", false),
        (405, "QUE_FULL", true),
        (406, "QUE_AGENT_BUSY", true),
        (407, "QUE_NAME_EXISTS", true),
        (408, "QUE_AGENT_NOT_READY", true),
        (600, "INVALID_CALLID", false),
        (601, "ERR_CALL_EXIST", false),
        (602, "ERR_BUSY", false),
        (603, "ERR_OFFLINE", false),
        (604, "ERR_NOANSWER", false),
        (605, "ERR_USER_NOT_FOUND", false),
        (606, "ERR_REFUSE", false),
        (700, "SCREENSHARE_EXIST", true),
        (800, "MEETNOTEXIST", false),
        (801, "AUTHERROR", false),
        (806, "SEVICE_NOTENABLED", false),
        (906, "SDK_RECORDSTARTED", false),
        (8002, "DEVICE_NOTALLOWED_ERR", false),
        (8004, "DEVICE_HAVENOTAPI_ERR", false),
    ];
    let all: Vec<(u32, &str, bool)> =
        codes::ALL.iter().map(|c| (c.code, c.name, c.meaning.starts_with("Lineup"))).collect();
    assert_eq!(all, table.to_vec());
    for (code, name, lineup) in table {
        let row = format!("| {code} | `{name}` |");
        let line = PROTOCOL_MD
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("PROTOCOL.md's error table has no row starting with {row}"));
        assert_eq!(line.contains("Lineup"), lineup, "row {code}: Lineup marking: {line}");
    }
}

// ---------------------------------------------------------------------------------
// PROTOCOL.md itself
// ---------------------------------------------------------------------------------

/// Every ```json block of PROTOCOL.md is valid JSON, and the ones that look like
/// frames or REST envelopes parse as such.
#[test]
fn protocol_md_examples_parse() {
    let values = doc_values();
    assert!(values.len() > 80, "only {} JSON examples in PROTOCOL.md", values.len());
    for v in values {
        let Some(obj) = v.as_object() else { continue };
        if obj.contains_key("op") {
            let f: ClientFrame = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(serde_json::to_value(&f).unwrap().as_object().unwrap()["op"], v["op"]);
        } else if obj.contains_key("type") {
            let f: ServerFrame = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
            // Nothing lost or added on the way back.
            assert_eq!(&serde_json::to_value(&f).unwrap(), v, "round trip of {v}");
        } else if obj.contains_key("RspCode") {
            let r: AdminResponse<Value> = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(&serde_json::to_value(&r).unwrap(), v, "round trip of {v}");
        }
    }
}

/// Every op and notice has its own section heading in PROTOCOL.md.
#[test]
fn protocol_md_has_a_section_per_op_and_notice() {
    for name in Op::NAMES {
        let heading = format!("### `{name}`");
        assert!(PROTOCOL_MD.lines().any(|l| l.trim() == heading), "PROTOCOL.md lacks {heading}");
    }
    for (json, _) in notice_examples() {
        let name = serde_json::from_str::<Value>(json).unwrap()["name"].as_str().unwrap().to_string();
        let heading = format!("### `{name}` (notice)");
        assert!(PROTOCOL_MD.lines().any(|l| l.trim() == heading), "PROTOCOL.md lacks {heading}");
    }
}

/// `Notice::NAMES` / `name()` (the one declaration the SDK reads) agree with serde's tags.
#[test]
fn every_notice_name_is_declared_once_and_is_its_wire_name() {
    let examples = notice_examples();
    let names: BTreeSet<&str> = examples.iter().map(|(_, n)| n.name()).collect();
    assert_eq!(names, Notice::NAMES.iter().copied().collect::<BTreeSet<_>>());
    for (json, n) in &examples {
        let v: Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["name"], n.name(), "{json}");
    }
}

#[test]
fn name_enums_round_trip_the_wire_names() {
    use lineup_protocol::ws::{NoticeName, OpName};
    for name in Op::NAMES {
        assert_eq!(OpName::parse(name).map(OpName::name), Some(*name));
    }
    for name in Notice::NAMES {
        assert_eq!(NoticeName::parse(name).map(NoticeName::name), Some(*name));
    }
    assert_eq!(OpName::parse("HangupCall"), None, "the wire spells it HungupCall");
    assert_eq!(NoticeName::parse("queueStatusChanged"), None, "names are case-sensitive");
    for (json, frame) in op_examples() {
        assert_eq!(OpName::parse(frame.op.name()), Some(frame.op.kind()), "{json}");
    }
}

#[test]
fn in_room_messages_carry_their_kind_unless_a_text() {
    let cmd = r#"{"seq":38,"op":"SendIMmsg","meetID":1,"text":"{}","UID":"cust1","kind":"cmd"}"#;
    let frame: ClientFrame = serde_json::from_str(cmd).unwrap();
    assert_eq!(frame.op, Op::SendIMmsg { meet_id: 1, text: "{}".into(), uid: Some("cust1".into()), kind: MsgKind::Cmd });
    assert_eq!(serde_json::to_string(&frame).unwrap(), cmd);
    let notice = Notice::NotifyIMmsg { meet_id: 1, from_user_id: "a".into(), text: "x".into(), send_time: 1, kind: MsgKind::Custom };
    assert_eq!(serde_json::to_value(&notice).unwrap()["data"]["kind"], "custom");
    assert!(serde_json::from_str::<ClientFrame>(r#"{"seq":1,"op":"SendIMmsg","meetID":1,"text":"x","kind":"file"}"#).is_err(), "an unknown kind is refused");
}
