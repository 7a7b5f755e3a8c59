//! Mapping between the engine's domain types and the wire types (the server is the only
//! place that knows both).

use lineup_engine as e;
use lineup_protocol as p;

pub fn queue_info(q: &e::QueueInfo) -> p::QueueInfo {
    p::QueueInfo { que_id: q.queue.0, name: q.def.name.to_string(), desc: q.def.desc.to_string(), prio: q.def.prio }
}

pub fn que_status(s: &e::QueueStatus) -> p::QueStatus {
    p::QueStatus { que_id: s.queue.0, agent_num: s.agent_num, wait_num: s.wait_num, srv_num: s.srv_num }
}

pub fn queuing_info(i: &e::QueuingInfo) -> p::QueuingInfo {
    match *i {
        e::QueuingInfo::NotQueuing => p::QueuingInfo {
            que_id: p::QueuingInfo::NOT_QUEUING,
            position: 0,
            queuing_time: 0,
            estimated_wait_time: None,
        },
        e::QueuingInfo::InService => p::QueuingInfo {
            que_id: p::QueuingInfo::IN_SERVICE,
            position: 0,
            queuing_time: 0,
            estimated_wait_time: None,
        },
        e::QueuingInfo::Queuing { queue, position, queuing_time_s, estimated_wait_s } => p::QueuingInfo {
            que_id: queue.0.into(),
            position,
            queuing_time: queuing_time_s,
            estimated_wait_time: Some(estimated_wait_s.map_or(-1, i64::from)),
        },
    }
}

pub fn que_user(u: &e::QueUser) -> p::QueUser {
    p::QueUser {
        que_id: u.queue.0,
        usr_id: u.user_id.to_string(),
        name: u.name.to_string(),
        queuing_time: u.queuing_time_s,
        usr_ext_dat: u.usr_ext_dat.to_string(),
        callback: u.callback.as_ref().map(|c| c.to_string()),
        attributes: u.attributes.as_deref().map(|a| attributes_out(a)),
    }
}

/// A customer's attributes from the wire (checked by the engine).
pub fn attributes_in(a: p::Attributes) -> e::Attributes {
    a.into_iter()
        .map(|(k, v)| {
            let v = match v {
                p::AttrValue::Flag(b) => e::AttrValue::Flag(b),
                p::AttrValue::Number(n) => e::AttrValue::Number(n),
                p::AttrValue::Text(t) => e::AttrValue::Text(t.into()),
            };
            (k.as_str().into(), v)
        })
        .collect()
}

/// A customer's attributes on the wire.
pub fn attributes_out(a: &[(e::Name, e::AttrValue)]) -> p::Attributes {
    a.iter()
        .map(|(k, v)| {
            let v = match v {
                e::AttrValue::Flag(b) => p::AttrValue::Flag(*b),
                e::AttrValue::Number(n) => p::AttrValue::Number(*n),
                e::AttrValue::Text(t) => p::AttrValue::Text(t.to_string()),
            };
            (k.to_string(), v)
        })
        .collect()
}

pub fn cancel_reason(r: e::CancelReason) -> &'static str {
    match r {
        e::CancelReason::Timeout => "timeout",
        e::CancelReason::CustomerLeft => "customer_left",
        e::CancelReason::CustomerOffline => "customer_offline",
        e::CancelReason::AgentOffline => "agent_offline",
        e::CancelReason::ServiceStopped => "service_stopped",
        e::CancelReason::CapacityLowered => "capacity_lowered",
        e::CancelReason::Forwarded => "forwarded",
    }
}

pub fn service_end(r: e::ServiceEnd) -> &'static str {
    match r {
        e::ServiceEnd::Finished => "finished",
        e::ServiceEnd::CustomerLeft => "customer_left",
        e::ServiceEnd::AgentLeft => "agent_left",
        e::ServiceEnd::CallEnded => "call_ended",
    }
}

pub fn notice(n: &e::Notice) -> p::Notice {
    match n {
        e::Notice::QueueStatusChanged(s) => p::Notice::QueueStatusChanged(que_status(s)),
        e::Notice::QueuingInfoChanged(i) => p::Notice::QueuingInfoChanged(queuing_info(i)),
        e::Notice::AutoAssignUser(u) => p::Notice::AutoAssignUser(que_user(u)),
        e::Notice::CancelAssignUser { queue, user_id, reason } => p::Notice::CancelAssignUser {
            que_id: queue.0,
            usr_id: user_id.to_string(),
            reason: cancel_reason(*reason).into(),
        },
        e::Notice::UserEnter(u) => p::Notice::UserEnter { que_id: u.queue.0, user: que_user(u) },
        e::Notice::UserLeave { queue, user_id, in_service } => {
            p::Notice::UserLeave { que_id: queue.0, usr_id: user_id.to_string(), in_service: u8::from(*in_service) }
        }
        e::Notice::ServiceFinished { queue, agent_id, customer_id, reason } => p::Notice::ServiceFinished {
            que_id: queue.0,
            agent_id: agent_id.to_string(),
            usr_id: customer_id.to_string(),
            reason: service_end(*reason).into(),
        },
        e::Notice::QueuingEnded { queue, reason } => {
            p::Notice::QueuingEnded { que_id: queue.0, reason: reason.name().into() }
        }
        e::Notice::ServiceStopped { queue } => p::Notice::ServiceStopped { que_id: queue.0 },
        e::Notice::QueueInfoChanged(q) => p::Notice::QueueInfoChanged(queue_info(q)),
        e::Notice::QueueRemoved { queue } => p::Notice::QueueRemoved { que_id: queue.0 },
        e::Notice::NotifyCallIn { call, meeting, caller_id, usr_ext_dat } => p::Notice::NotifyCallIn {
            call_id: call.to_string(),
            meet_obj: meet_info(meeting),
            caller_id: caller_id.to_string(),
            usr_ext_dat: usr_ext_dat.to_string(),
        },
        e::Notice::NotifyCallAccepted { call, meeting, usr_ext_dat } => p::Notice::NotifyCallAccepted {
            call_id: call.to_string(),
            meet_obj: meet_info(meeting),
            usr_ext_dat: usr_ext_dat.to_string(),
        },
        e::Notice::NotifyCallRejected { call, err, usr_ext_dat } => p::Notice::NotifyCallRejected {
            call_id: call.to_string(),
            sdk_err: *err,
            usr_ext_dat: usr_ext_dat.to_string(),
        },
        e::Notice::NotifyCallHungup { call, usr_ext_dat } => {
            p::Notice::NotifyCallHungup { call_id: call.to_string(), usr_ext_dat: usr_ext_dat.to_string() }
        }
        e::Notice::NotifyCallHold { call, hold: true } => p::Notice::NotifyCallHold { call_id: call.to_string() },
        e::Notice::NotifyCallHold { call, hold: false } => p::Notice::NotifyCallResume { call_id: call.to_string() },
        e::Notice::MeetingMember { meeting, user_id, name, entered } => {
            let (meet_id, uid, nick_name) = (*meeting, user_id.to_string(), name.to_string());
            if *entered {
                p::Notice::UserEnterMeeting { meet_id, uid, nick_name }
            } else {
                p::Notice::UserLeftMeeting { meet_id, uid, nick_name }
            }
        }
        e::Notice::MeetingStopped { meeting } => p::Notice::MeetingStopped { meet_id: *meeting },
        e::Notice::CallEvent(ev) => p::Notice::NotifyCallEvent(call_event(ev)),
        e::Notice::UserStatus(s) => p::Notice::NotifyUserStatus(user_status(s)),
        e::Notice::AgentStatusChanged(v) => p::Notice::AgentStatusChanged(agent_status_change(v)),
        e::Notice::Wallboard(w) => p::Notice::Wallboard(wallboard(w)),
        e::Notice::RequirementRelaxed { queue, step } => p::Notice::RequirementRelaxed { que_id: queue.0, step: *step },
    }
}

pub fn meet_info(m: &e::MeetInfo) -> p::MeetInfo {
    p::MeetInfo {
        id: m.id,
        pswd: m.pswd.to_string(),
        subject: m.subject.to_string(),
        creator: m.creator.to_string(),
        member_count: m.member_count,
        start_time: m.start_time.as_millis() / 1000,
        members: None,
    }
}

/// The EnterMeeting reply: the room with its members.
pub fn entered_meeting(m: &e::MeetInfo) -> p::MeetInfo {
    let members =
        m.members.iter().map(|(uid, nick)| p::RoomMember { uid: uid.to_string(), nick_name: nick.to_string() });
    p::MeetInfo { members: Some(members.collect()), ..meet_info(m) }
}

pub fn session_info(s: &e::SessionInfo) -> p::SessionInfo {
    p::SessionInfo {
        call_id: s.call_id.to_string(),
        peer_id: s.peer_id.to_string(),
        peer_name: s.peer_name.to_string(),
        b_call_accepted: u8::from(s.accepted),
        meeting_id: s.meeting_id,
        meeting_pswd: s.meeting_pswd.to_string(),
        duration: s.duration_s,
    }
}

/// Percent-encodes a value of asterCC's `message` string.
pub fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A call event with asterCC's fields, and its urlencoded `message` form.
pub fn call_event(ev: &e::CallEvent) -> p::CallEvent {
    let from = if ev.dialout { "dialout" } else { "dialin" };
    let event_time = crate::clock::datetime(ev.event_time.as_millis());
    let mut message = format!(
        "calleridnum={}&activenum={}&source={}&event={}&sessionid={}&eventid={}&eventTime={}&from={}&",
        urlencode(&ev.caller_id_num),
        urlencode(&ev.active_num),
        ev.source.name(),
        ev.event.name(),
        urlencode(&ev.session_id),
        ev.event_id,
        event_time,
        from,
    );
    if let Some(q) = ev.queue {
        message.push_str(&format!("queID={}&", q.0));
    }
    if let Some(a) = &ev.agent_id {
        message.push_str(&format!("agentID={}&", urlencode(a)));
    }
    p::CallEvent {
        source: ev.source.name().into(),
        event: ev.event.name().into(),
        sessionid: ev.session_id.to_string(),
        eventid: ev.event_id,
        event_time,
        calleridnum: ev.caller_id_num.to_string(),
        activenum: ev.active_num.to_string(),
        from: from.into(),
        que_id: ev.queue.map(|q| q.0),
        agent_id: ev.agent_id.as_ref().map(|a| a.to_string()),
        message,
    }
}

pub fn statistics(s: &e::QueueStats) -> p::QueueStatistics {
    p::QueueStatistics {
        que_id: s.queue.0,
        entered: s.entered,
        served: s.served,
        abandoned: s.abandoned,
        timed_out: s.timed_out,
        forwarded: s.forwarded,
        avg_wait_seconds: (s.avg_wait_s * 10.0).round() / 10.0,
        max_wait_seconds: s.max_wait_s,
        longest_waiting_seconds: s.longest_waiting_s,
        service_level: (s.service_level * 1000.0).round() / 1000.0,
        service_level_seconds: s.service_level_s,
        waiting: s.waiting,
        in_service: s.in_service,
        agents_logged_in: s.agents_logged_in,
        agents_available: s.agents_available,
        agents_busy: s.agents_busy,
    }
}

pub fn agent(a: &e::AgentView) -> p::AgentInfo {
    p::AgentInfo {
        uid: a.user_id.to_string(),
        nick_name: a.name.to_string(),
        online: a.online,
        dnd_status: u8::from(a.dnd),
        capacity: a.capacity,
        serving: a.serving.iter().map(|(q, prio)| p::ServedQueue { que_id: q.0, priority: *prio }).collect(),
        customers: a
            .serving_customers
            .iter()
            .map(|(q, u, room)| p::ServedCustomer { que_id: q.0, usr_id: u.to_string(), meet_id: *room })
            .collect(),
        pending_offers: a.pending_offers,
        wrap_up_until: a.wrapup_until_ms,
        served_total: a.served_total,
        service_seconds_total: a.service_ms_total / 1000,
        state: a.state.state.name().into(),
        dnd_type: a.state.reason,
        reason_label: a.state.label.to_string(),
        state_since: a.state.since.as_millis(),
        missed_offers: a.state.missed,
        state_seconds: state_seconds(&a.state.state_ms),
        reason_seconds: a
            .state
            .reason_ms
            .iter()
            .map(|(code, ms)| p::ReasonSeconds { dnd_type: *code, seconds: ms / 1000 })
            .collect(),
    }
}

pub fn roles(r: e::Roles) -> Vec<String> {
    r.iter().map(|r| r.name().to_string()).collect()
}

/// CloudRoom `CRVideo_UserStatus`.
pub fn user_status(s: &e::UserStatus) -> p::UserStatus {
    p::UserStatus { user_id: s.user_id.to_string(), user_status: s.state as u8, dnd_type: s.dnd_type }
}

/// Seconds in each state, from the engine's milliseconds (in `AgentState::ALL` order).
fn state_seconds(ms: &[u64; 6]) -> p::StateSeconds {
    let s = |state: e::AgentState| ms[state as usize] / 1000;
    p::StateSeconds {
        idle: s(e::AgentState::Idle),
        busy: s(e::AgentState::Busy),
        wrap_up: s(e::AgentState::WrapUp),
        not_ready: s(e::AgentState::NotReady),
        offline: s(e::AgentState::Offline),
    }
}

/// Lineup `AgentStatusChanged`.
pub fn agent_status_change(v: &e::AgentStateView) -> p::AgentStatusChange {
    p::AgentStatusChange {
        uid: v.user_id.to_string(),
        state: v.state.name().into(),
        dnd_type: v.reason,
        label: v.label.to_string(),
        since: v.since.as_millis(),
        missed_offers: v.missed,
        served_today: v.served_today,
    }
}

/// Lineup `Wallboard`.
pub fn wallboard(w: &e::Wallboard) -> p::WallboardFrame {
    let queues = w
        .queues
        .iter()
        .map(|q| {
            let [idle, busy, wrap_up, not_ready, offline] = q.agents;
            p::WallboardQueue {
                que_id: q.queue.0,
                waiting: q.waiting,
                longest_wait_seconds: q.longest_wait_s,
                agents: p::WallboardAgents { idle, busy, wrap_up, not_ready, offline },
                service_level: (q.service_level * 1000.0).round() / 1000.0,
                served: q.served,
                abandoned: q.abandoned,
                avg_wait_seconds: (q.avg_wait_s * 10.0).round() / 10.0,
                avg_handle_seconds: q.avg_handle_s.map(|s| (s * 10.0).round() / 10.0),
                avg_handle_seconds_today: q.avg_handle_s_today.map(|s| (s * 10.0).round() / 10.0),
                arrivals_per_hour: q.arrivals_per_hour.map(|r| (r * 10.0).round() / 10.0),
                agents_needed: q.agents_needed,
                agents_available: q.agents_available,
                estimated_wait_time: q.estimated_wait_s.map_or(-1, i64::from),
            }
        })
        .collect();
    let agents = w.agents.iter().map(agent_status_change).collect();
    p::WallboardFrame { time: w.time.as_millis(), full: w.full, queues, agents }
}
