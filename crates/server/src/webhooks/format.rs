//! What each webhook family sends, in the formats of the seeds: AnyChat's queue change
//! (JSON), seed 001's agent events (application/x-www-form-urlencoded), seed 003's
//! `callcenter.queue.state_changed` (JSON), and seed 004's call events (JSON).

use lineup_engine::{AcdTransition, AgentStatus, EventKind, EventSource, Time};
use serde_json::{json, Value};

use crate::convert::{self, urlencode};

/// Unix seconds.
fn secs(t: Time) -> u64 {
    t.as_millis() / 1000
}

fn opt_secs(t: Option<Time>) -> Value {
    t.map_or(Value::Null, |t| json!(secs(t)))
}

/// AnyChat queue change: eventtype 503/504/506 with errorcode.
pub fn queue_change(app: &str, time: Time, kind: &EventKind) -> Option<String> {
    let EventKind::QueueChange { queue, user_id, change, usr_ext_dat } = kind else { return None };
    let (eventtype, errorcode) = change.codes();
    let body = json!({
        "appid": app,
        "eventtype": eventtype,
        "errorcode": errorcode,
        "queueid": queue.0,
        "userid": user_id.as_str(),
        "time": secs(time),
        "userdata": &**usr_ext_dat,
    });
    Some(body.to_string())
}

/// Lineup's callback family: a waiting customer's callback was requested, taken by an
/// agent (dial now) or expired.
pub fn callback(
    app: &str,
    time: Time,
    queue: lineup_engine::QueueId,
    user_id: &str,
    number: &str,
    agent: Option<&str>,
    state: lineup_engine::CallbackState,
) -> String {
    json!({
        "event": format!("callback.{}", state.name()),
        "appid": app,
        "queueid": queue.0,
        "userid": user_id,
        "number": number,
        "agentid": agent,
        "time": secs(time),
    })
    .to_string()
}

/// Seed 003: one step of a queuing task.
pub fn acd_state(app: &str, t: &AcdTransition) -> String {
    let agent = t.agent_id.as_ref().map(|a| a.as_str());
    let mut v = json!({
        "event": "callcenter.queue.state_changed",
        "appid": app,
        "id": t.task.0.to_string(),
        "type": "call_agent",
        "channel_id": t.queue.0.to_string(),
        "previous_state": t.previous.name(),
        "latest_state": t.latest.name(),
        "condition_id": t.queue.0.to_string(),
        "agent_name": agent,
        "begin_time": secs(t.begin_time),
        "call_time": opt_secs(t.call_time),
        "talk_time": opt_secs(t.talk_time),
        "end_time": opt_secs(t.end_time),
        "end_reason": t.end_reason.map(|r| r.name()),
        "origin_call_id": Value::Null,
        "agent_extension_id": agent,
        "agent_call_id": Value::Null,
        "data": &*t.data,
    });
    // Lineup: the step that tells the customer's requirement stepped down.
    if let Some(step) = t.requirement_step {
        v["requirement_step"] = json!(step);
    }
    v.to_string()
}

/// Seed 004: a call event with the fields the pages get, plus the app.
pub fn call_event(app: &str, ev: &lineup_engine::CallEvent) -> String {
    let mut v = serde_json::to_value(convert::call_event(ev)).unwrap_or(Value::Null);
    v["appid"] = json!(app);
    v.to_string()
}

/// Seed 001: agent_id, agent_status, agent_type, extension_name, event_source, as
/// application/x-www-form-urlencoded (the query for GET, the body for POST).
pub fn agent_event(user_id: &str, status: AgentStatus, source: EventSource) -> String {
    let status = match status {
        AgentStatus::Available => "available",
        AgentStatus::LoggedOut => "logged_out",
    };
    agent_form(user_id, status, source)
}

/// An agent's reason changed (agent-ready, agent-not-ready, agent-no-answer): seed
/// 001's fields, then `reason_code` and `reason_label`.
pub fn agent_reason_event(user_id: &str, reason: u32, label: &str, source: EventSource) -> String {
    let status = match reason {
        0 => "available",
        lineup_engine::NO_ANSWER => "no_answer",
        _ => "not_ready",
    };
    format!("{}&reason_code={reason}&reason_label={}", agent_form(user_id, status, source), urlencode(label))
}

fn agent_form(user_id: &str, status: &str, source: EventSource) -> String {
    let source = match source {
        EventSource::Sdk => "sdk",
        EventSource::Api => "api",
        EventSource::System => "system",
    };
    format!(
        "agent_id={}&agent_status={status}&agent_type=local&extension_name={}&event_source={source}",
        urlencode(user_id),
        urlencode(user_id)
    )
}
