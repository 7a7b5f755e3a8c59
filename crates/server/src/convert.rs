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
        e::QueuingInfo::NotQueuing => {
            p::QueuingInfo { que_id: p::QueuingInfo::NOT_QUEUING, position: 0, queuing_time: 0 }
        }
        e::QueuingInfo::InService => p::QueuingInfo { que_id: p::QueuingInfo::IN_SERVICE, position: 0, queuing_time: 0 },
        e::QueuingInfo::Queuing { queue, position, queuing_time_s } => {
            p::QueuingInfo { que_id: queue.0.into(), position, queuing_time: queuing_time_s }
        }
    }
}

pub fn que_user(u: &e::QueUser) -> p::QueUser {
    p::QueUser {
        que_id: u.queue.0,
        usr_id: u.user_id.to_string(),
        name: u.name.to_string(),
        queuing_time: u.queuing_time_s,
        usr_ext_dat: u.usr_ext_dat.to_string(),
    }
}

pub fn cancel_reason(r: e::CancelReason) -> &'static str {
    match r {
        e::CancelReason::Timeout => "timeout",
        e::CancelReason::CustomerLeft => "customer_left",
        e::CancelReason::CustomerOffline => "customer_offline",
        e::CancelReason::AgentOffline => "agent_offline",
        e::CancelReason::ServiceStopped => "service_stopped",
        e::CancelReason::CapacityLowered => "capacity_lowered",
    }
}

pub fn service_end(r: e::ServiceEnd) -> &'static str {
    match r {
        e::ServiceEnd::Finished => "finished",
        e::ServiceEnd::CustomerLeft => "customer_left",
        e::ServiceEnd::AgentLeft => "agent_left",
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
        e::Notice::UserLeave { queue, user_id, in_service } => p::Notice::UserLeave {
            que_id: queue.0,
            usr_id: user_id.to_string(),
            in_service: u8::from(*in_service),
        },
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
    }
}

pub fn statistics(s: &e::QueueStats) -> p::QueueStatistics {
    p::QueueStatistics {
        que_id: s.queue.0,
        entered: s.entered,
        served: s.served,
        abandoned: s.abandoned,
        timed_out: s.timed_out,
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
            .map(|(q, u)| p::ServedCustomer { que_id: q.0, usr_id: u.to_string() })
            .collect(),
        pending_offers: a.pending_offers,
        wrap_up_until: a.wrapup_until_ms,
        served_total: a.served_total,
        service_seconds_total: a.service_ms_total / 1000,
    }
}

pub fn roles(r: e::Roles) -> Vec<String> {
    r.iter().map(|r| r.name().to_string()).collect()
}
