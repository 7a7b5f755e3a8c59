//! Rules 10 and 11: notices to sessions (status, positions, queue members) with their
//! coalescing, and business events.

mod common;

use std::collections::BTreeMap;

use common::*;
use lineup_engine::{
    AcdPhase, AgentStatus, AppSettings, EndReason, EventKind, EventSource, Input, Notice, Output, QueUser, QueueChange,
    QueueChangeKind, QueuingInfo, Request, Roles, SessionId, Time,
};

// ---- rule 10: notices ----

#[test]
fn rule10_queue_status_goes_to_serving_agents_waiting_customers_and_watchers() {
    let mut sim = Sim::with_settings(uncoalesced());
    sim.app_named("other", uncoalesced());
    let q = sim.queue("q", 5);
    let elsewhere = sim.queue("elsewhere", 5);
    let watcher = sim.login("w", supervisor_roles());
    sim.ok(watcher, Request::InitQueueDat);
    let foreign_watcher = sim.login_in("other", "w", supervisor_roles());
    sim.ok(foreign_watcher, Request::InitQueueDat);
    let bystander = sim.agent("b");
    sim.start_service(bystander, elsewhere, 0);
    let idle_customer = sim.customer("x");
    let a = sim.agent("a");
    let c = sim.customer("c");
    sim.drain();

    sim.start_service(a, q, 0);
    let out = sim.drain();
    assert_eq!(statuses(&out, watcher), vec![(q, 1, 0, 0)]);
    assert_eq!(statuses(&out, a), vec![(q, 1, 0, 0)]);

    sim.start_queuing(c, q); // offered to a at once
    let out = sim.drain();
    for s in [watcher, a, c] {
        assert_eq!(statuses(&out, s), vec![(q, 1, 1, 0)], "session {s:?}");
    }

    sim.accept(a, q, c);
    let out = sim.drain();
    assert_eq!(statuses(&out, watcher), vec![(q, 1, 0, 1)]);
    assert_eq!(statuses(&out, a), vec![(q, 1, 0, 1)]);
    assert_eq!(statuses(&out, c), vec![], "no longer waiting in the queue");

    sim.finish(a, q, c);
    let out = sim.drain();
    assert_eq!(statuses(&out, watcher), vec![(q, 1, 0, 0)]);
    // Those who neither serve, wait in nor watch the queue never hear of it.
    for s in [bystander, idle_customer, foreign_watcher] {
        assert!(statuses(&sim.drain(), s).iter().all(|st| st.0 != q));
    }
}

#[test]
fn rule10_watcher_that_also_serves_gets_each_status_once() {
    let mut sim = Sim::with_settings(uncoalesced());
    let q = sim.queue("q", 5);
    let both = sim.login("both", Roles::ALL);
    sim.ok(both, Request::InitQueueDat);
    sim.drain();
    sim.start_service(both, q, 0);
    assert_eq!(statuses(&sim.drain(), both), vec![(q, 1, 0, 0)]);
}

#[test]
fn rule10_watchers_hear_of_queue_changes() {
    let mut sim = Sim::with_settings(uncoalesced());
    let watcher = sim.login("w", supervisor_roles());
    sim.ok(watcher, Request::InitQueueDat);
    let q = sim.queue("q", 5);
    let out = sim.drain();
    let info = sim.engine.queue(APP, q).unwrap();
    assert_eq!(
        notices_for(&out, watcher),
        vec![Notice::QueueInfoChanged(info), Notice::QueueStatusChanged(sim.engine.queue_status(q).unwrap())]
    );
    sim.input(Input::ModifyQueue {
        app: APP.into(),
        queue: q,
        change: QueueChange { desc: Some("new".into()), ..Default::default() },
    })
    .unwrap();
    let n = notices_for(&sim.drain(), watcher);
    assert!(matches!(&n[0], Notice::QueueInfoChanged(i) if &*i.def.desc == "new"), "{n:?}");
}

#[test]
fn rule10_queuing_info_position_zero_is_next() {
    let mut sim = Sim::with_settings(uncoalesced());
    let q = sim.queue("q", 5);
    let cs: Vec<_> = ["c1", "c2", "c3"].iter().map(|u| sim.customer(u)).collect();
    for (i, &c) in cs.iter().enumerate() {
        sim.start_queuing(c, q);
        assert_eq!(
            queuing_infos(&sim.drain(), c),
            vec![QueuingInfo::Queuing { queue: q, position: i as u32, queuing_time_s: 0, estimated_wait_s: None }]
        );
    }
    sim.advance(4);
    sim.stop_queuing(cs[0]);
    let out = sim.drain();
    assert_eq!(
        queuing_infos(&out, cs[1]),
        vec![QueuingInfo::Queuing { queue: q, position: 0, queuing_time_s: 4, estimated_wait_s: None }]
    );
    assert_eq!(
        queuing_infos(&out, cs[2]),
        vec![QueuingInfo::Queuing { queue: q, position: 1, queuing_time_s: 4, estimated_wait_s: None }]
    );
    assert_eq!(sim.position(cs[1]), (q, 0));
    assert_eq!(sim.position(cs[2]), (q, 1));
    // Someone served from the head moves the rest up the same way.
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    sim.accept(a, q, cs[1]);
    let out = sim.drain();
    assert_eq!(
        queuing_infos(&out, cs[2]),
        vec![QueuingInfo::Queuing { queue: q, position: 0, queuing_time_s: 4, estimated_wait_s: None }]
    );
}

/// Collects (time, position) of QueuingInfoChanged(Queuing) per session.
fn position_notices(timed: &[(Time, Output)]) -> BTreeMap<SessionId, Vec<(Time, QueuingInfo)>> {
    let mut map: BTreeMap<SessionId, Vec<(Time, QueuingInfo)>> = BTreeMap::new();
    for (t, o) in timed {
        if let Output::Notify { session, notice: Notice::QueuingInfoChanged(info) } = o {
            map.entry(*session).or_default().push((*t, *info));
        }
    }
    map
}

#[test]
fn rule10_position_notices_are_coalesced_and_end_with_the_latest() {
    let mut sim = Sim::new(); // notice_interval_ms 1000
    assert_eq!(sim.engine.app_settings(APP).unwrap().notice_interval_ms, 1000);
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.capacity(a, 50);
    sim.start_service(a, q, 0);
    let mut cs: Vec<SessionId> = (0..12).map(|i| sim.customer(&format!("c{i:02}"))).collect();
    for &c in &cs {
        sim.start_queuing(c, q);
    }
    sim.advance_ms(4_600);
    let late = sim.customer("late"); // joins 400 ms before the burst
    sim.start_queuing(late, q);
    cs.push(late);
    sim.advance_ms(400);

    // Six assignments within one interval.
    let burst_start = sim.now;
    for _ in 0..6 {
        sim.req_assign(a);
        sim.advance_ms(100);
    }
    sim.advance(3);
    // Everything since the customers joined, their first notices included.
    let timed = sim.drain_timed();
    let per_customer = position_notices(&timed);
    let waiting: Vec<SessionId> = cs[6..].to_vec();
    for &c in &waiting {
        let got = per_customer.get(&c).cloned().unwrap_or_default();
        assert!(got.iter().any(|(t, _)| *t >= burst_start), "customer {c:?} got no update after the burst: {got:?}");
        for pair in got.windows(2) {
            assert!(
                pair[1].0.as_millis() - pair[0].0.as_millis() >= 1000,
                "customer {c:?} got two position notices within an interval: {got:?}"
            );
        }
        let last = got.last().unwrap().1;
        let QueuingInfo::Queuing { queue, position, .. } = last else { panic!("{last:?}") };
        assert_eq!((queue, position), sim.position(c), "customer {c:?} ends with its latest position");
    }
    // The first change of a quiet queue goes out at once.
    let first = per_customer[&cs[6]].iter().find(|(t, _)| *t >= burst_start).unwrap();
    assert_eq!(first.0, burst_start);
    assert_eq!(first.1, QueuingInfo::Queuing { queue: q, position: 5, queuing_time_s: 5, estimated_wait_s: None });
    // Queue status is coalesced the same way: at most one per interval to each session.
    let mut status_times: BTreeMap<SessionId, Vec<u64>> = BTreeMap::new();
    for (t, o) in &timed {
        if let Output::Notify { session, notice: Notice::QueueStatusChanged(_) } = o {
            status_times.entry(*session).or_default().push(t.as_millis());
        }
    }
    for (s, times) in &status_times {
        assert!(times.windows(2).all(|w| w[1] - w[0] >= 1000), "status to {s:?} at {times:?}");
    }
    let last_status = timed.iter().rev().find_map(|(_, o)| match o {
        Output::Notify { session, notice: Notice::QueueStatusChanged(st) } if *session == a => Some(*st),
        _ => None,
    });
    assert_eq!(last_status, sim.engine.queue_status(q), "the agent ends with the latest status");
}

#[test]
fn rule10_deferred_position_update_still_arrives() {
    let mut sim = Sim::new(); // notice_interval_ms 1000
    let q = sim.queue("q", 5);
    let (c1, c2, c3) = (sim.customer("c1"), sim.customer("c2"), sim.customer("c3"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.advance(10);
    sim.start_queuing(c3, q); // told "position 2" now
    sim.advance_ms(300);
    sim.drain();
    let entered = sim.now.plus_millis(0).as_millis() - 300;
    sim.stop_queuing(c1); // the only change: c2 hears at once, c3 heard 300 ms ago
    let stopped = sim.now.as_millis();
    let out = sim.drain();
    assert_eq!(
        queuing_infos(&out, c2),
        vec![QueuingInfo::Queuing { queue: q, position: 0, queuing_time_s: 10, estimated_wait_s: None }]
    );
    assert_eq!(queuing_infos(&out, c3), vec![], "c3 is deferred to the next interval");
    sim.advance_ms(699);
    assert_eq!(queuing_infos(&sim.drain(), c3), vec![]);
    sim.advance(2);
    let timed = sim.drain_timed();
    let got = position_notices(&timed).remove(&c3).unwrap_or_default();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, QueuingInfo::Queuing { queue: q, position: 1, queuing_time_s: 1, estimated_wait_s: None });
    let sent = got[0].0.as_millis();
    assert!(sent >= entered + 1000 && sent <= stopped + 1000, "sent at +{} ms after the change", sent - stopped);
}

#[test]
fn rule10_queue_users_lists_waiting_customers_in_order() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let cs: Vec<_> = ["c1", "c2", "c3", "c4"].iter().map(|u| sim.customer(u)).collect();
    for &c in &cs {
        sim.start_queuing_with(c, q, "d");
        sim.advance(1);
    }
    let users = sim.engine.queue_users(a, q, 0, 10).unwrap();
    assert_eq!(users.total, 4);
    let listed: Vec<_> = users.users.iter().map(|u| (u.user_id.to_string(), u.queuing_time_s)).collect();
    // c1 is offered to the agent but still queuing, so still listed.
    assert_eq!(listed, vec![("c1".into(), 4), ("c2".into(), 3), ("c3".into(), 2), ("c4".into(), 1)]);
    assert_eq!(
        users.users[1],
        QueUser {
            queue: q,
            user_id: "c2".into(),
            name: "c2".into(),
            queuing_time_s: 3,
            usr_ext_dat: "d".into(),
            callback: None,
            attributes: None,
        }
    );
    let page = sim.engine.queue_users(a, q, 1, 2).unwrap();
    let ids: Vec<_> = page.users.iter().map(|u| u.user_id.to_string()).collect();
    assert_eq!((page.total, ids), (4, vec!["c2".to_string(), "c3".to_string()]));
    let stranger = sim.agent("stranger");
    assert_eq!(sim.engine.queue_users(stranger, q, 0, 10).unwrap_err().code(), 403);
    let sup = sim.login("sup", supervisor_roles());
    assert_eq!(sim.engine.queue_users(sup, q, 0, 10).unwrap().total, 4);
    sim.accept(a, q, cs[0]);
    let ids: Vec<_> =
        sim.engine.queue_users(a, q, 0, 10).unwrap().users.iter().map(|u| u.user_id.to_string()).collect();
    assert_eq!(ids, vec!["c2", "c3", "c4"]);
}

#[test]
fn rule10_user_enter_and_leave_go_to_serving_agents() {
    let mut sim = Sim::new();
    let (q, other) = (sim.queue("q", 5), sim.queue("other", 5));
    let (a1, a2, held) = (sim.agent("a1"), sim.agent("a2"), sim.agent("held"));
    sim.dnd(a1, true);
    sim.start_service(a1, q, 0);
    sim.start_service(a2, other, 0);
    sim.dnd(held, true);
    sim.start_service(held, q, 0);
    sim.disconnect(held);
    let c = sim.customer("c");
    sim.drain();

    sim.start_queuing_with(c, q, "hi");
    let out = sim.drain();
    let enter = Notice::UserEnter(QueUser {
        queue: q,
        user_id: "c".into(),
        name: "c".into(),
        queuing_time_s: 0,
        usr_ext_dat: "hi".into(),
        callback: None,
        attributes: None,
    });
    assert!(notices_for(&out, a1).contains(&enter), "{out:?}");
    assert!(notices_for(&out, a2).is_empty());
    assert!(notices_for(&out, held).is_empty(), "offline agents get nothing");

    sim.stop_queuing(c);
    let out = sim.drain();
    let leave = |in_service| Notice::UserLeave { queue: q, user_id: "c".into(), in_service };
    assert!(notices_for(&out, a1).contains(&leave(false)));
    assert!(notices_for(&out, a2).is_empty());

    sim.start_queuing(c, q);
    sim.drain();
    sim.req_assign(a1);
    let out = sim.drain();
    assert!(notices_for(&out, a1).contains(&leave(true)));
    assert!(!notices_for(&out, a1).contains(&leave(false)));
}

#[test]
fn rule10_reconnect_gets_a_snapshot() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.disconnect(c2);
    sim.stop_queuing(c1); // c2 moves up while offline
    sim.advance(5);
    sim.drain();
    sim.reconnect(c2);
    let n = notices_for(&sim.drain(), c2);
    assert_eq!(
        n,
        vec![
            Notice::QueuingInfoChanged(QueuingInfo::Queuing {
                queue: q,
                position: 0,
                queuing_time_s: 5,
                estimated_wait_s: None
            }),
            Notice::QueueStatusChanged(sim.engine.queue_status(q).unwrap()),
        ]
    );
}

// ---- rule 11: events ----

#[test]
fn rule11_queue_change_events_and_codes() {
    let mut sim = Sim::with_settings(AppSettings { hold_s: 10, ..AppSettings::default() });
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, q, 0);
    let (c1, c2, c3) = (sim.customer("c1"), sim.customer("c2"), sim.customer("c3"));
    sim.drain();
    sim.start_queuing_with(c1, q, "e1");
    sim.start_queuing_with(c2, q, "e2");
    sim.start_queuing_with(c3, q, "e3");
    sim.stop_queuing(c1);
    sim.disconnect(c2);
    sim.advance(10);
    sim.req_assign(a);
    let evs = events(&sim.drain());
    let changes: Vec<_> = evs
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::QueueChange { queue, user_id, change, usr_ext_dat } => {
                assert_eq!(*queue, q);
                assert_eq!(&*e.app, APP);
                Some((user_id.to_string(), change.codes(), usr_ext_dat.to_string(), e.time.as_millis() - START_MS))
            }
            _ => None,
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        changes,
        vec![
            (s("c1"), (503, 0), s("e1"), 0),
            (s("c2"), (503, 0), s("e2"), 0),
            (s("c3"), (503, 0), s("e3"), 0),
            (s("c1"), (504, 0), s("e1"), 0),
            (s("c2"), (504, 100), s("e2"), 10_000),
            (s("c3"), (506, 0), s("e3"), 10_000),
        ]
    );
    assert_eq!(
        [QueueChangeKind::Entered, QueueChangeKind::LeftByChoice, QueueChangeKind::Dropped, QueueChangeKind::TimedOut]
            .map(QueueChangeKind::codes),
        [(503, 0), (504, 0), (504, 100), (504, 101)]
    );
}

#[test]
fn rule11_agent_status_only_on_real_changes() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let a = sim.agent("a");
    sim.drain();
    sim.start_service(a, q1, 0);
    assert_eq!(agent_statuses(&sim.drain()), vec![("a".into(), AgentStatus::Available, EventSource::Sdk, vec![q1])]);
    sim.start_service(a, q2, 0);
    sim.start_service(a, q1, 9); // a priority change only
    sim.dnd(a, true);
    sim.stop_service(a, q1);
    assert_eq!(agent_statuses(&sim.drain()), vec![], "still serving q2");
    sim.stop_service(a, q2);
    assert_eq!(agent_statuses(&sim.drain()), vec![("a".into(), AgentStatus::LoggedOut, EventSource::Sdk, vec![q2])]);
    assert_eq!(sim.fail(a, Request::StopService { queue: q2 }).code(), 403);
    sim.logout(a);
    assert_eq!(agent_statuses(&sim.drain()), vec![], "logging out when serving nothing changes nothing");
}

#[test]
fn rule11_acd_state_life_cycle_of_a_served_customer() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    let t0 = sim.now;
    sim.start_queuing_with(c, q, "payload");
    sim.advance(5);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let t_call = sim.now;
    sim.advance(3);
    let mut whole = sim.drain();
    sim.accept(a, q, c);
    // Accepting only takes the customer: its task stays "calling" until the agent's call
    // is answered.
    let at_accept = sim.drain();
    assert_eq!(queue_changes(&at_accept), vec![(q, "c".to_string(), QueueChangeKind::TakenByAgent)]);
    assert!(acd_states(&at_accept).is_empty(), "nothing completes at accept: {:?}", acd_states(&at_accept));
    let room = sim.create_meeting(a, "support", "");
    let call = sim.call(a, c, room.id, "");
    sim.advance(4);
    let ringing = sim.drain();
    assert!(acd_states(&ringing).is_empty(), "ringing completes nothing: {:?}", acd_states(&ringing));
    sim.accept_call(c, &call, "");
    let t_talk = sim.now;
    whole.extend(at_accept);
    whole.extend(sim.drain());
    let acd = acd_states(&whole);
    let phases: Vec<_> = acd.iter().map(|t| (t.previous, t.latest)).collect();
    assert_eq!(
        phases,
        vec![
            (AcdPhase::Pending, AcdPhase::Waiting),
            (AcdPhase::Waiting, AcdPhase::Calling),
            (AcdPhase::Calling, AcdPhase::Completed),
        ]
    );
    assert!(acd.iter().all(|t| t.task == acd[0].task && t.queue == q && &*t.user_id == "c" && &*t.data == "payload"));
    assert!(acd.iter().all(|t| t.begin_time == t0));
    let times: Vec<_> = acd.iter().map(|t| (t.call_time, t.talk_time, t.end_time)).collect();
    assert_eq!(times, vec![(None, None, None), (Some(t_call), None, None), (Some(t_call), Some(t_talk), Some(t_talk))]);
    let agents: Vec<_> = acd.iter().map(|t| t.agent_id.as_deref().map(str::to_string)).collect();
    assert_eq!(agents, vec![None, Some("a".into()), Some("a".into())]);
    let ends: Vec<_> = acd.iter().map(|t| t.end_reason).collect();
    assert_eq!(ends, vec![None, None, Some(EndReason::Success)]);
    assert_eq!(AcdPhase::Completed.name(), "completed");
    assert_eq!(EndReason::Success.name(), "success");
    // Each queuing attempt is a new task.
    sim.hangup_call(a, &call, "");
    assert!(acd_states(&sim.drain()).is_empty(), "the task completed once, at the answer");
    sim.start_queuing(c, q);
    let again = acd_states(&sim.drain());
    assert!(!again.is_empty());
    assert!(again.iter().all(|t| t.task != acd[0].task), "{again:?}");
}

#[test]
fn rule11_reject_gives_calling_to_waiting() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    let t_call = sim.now;
    sim.advance(2);
    sim.drain();
    sim.reject(a, q, c);
    let acd = acd_states(&sim.drain());
    assert_eq!(acd.len(), 1, "{acd:?}");
    assert_eq!((acd[0].previous, acd[0].latest), (AcdPhase::Calling, AcdPhase::Waiting));
    assert_eq!(acd[0].agent_id.as_deref(), Some("a"), "the agent chosen most recently");
    assert_eq!((acd[0].call_time, acd[0].end_time, acd[0].end_reason), (Some(t_call), None, None));
}

#[test]
fn rule11_manual_assignment_passes_through_calling() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(1);
    sim.drain();
    sim.req_assign(a);
    let t_take = sim.now;
    let acd = acd_states(&sim.drain());
    let phases: Vec<_> = acd.iter().map(|t| (t.previous, t.latest)).collect();
    assert_eq!(phases, vec![(AcdPhase::Waiting, AcdPhase::Calling)], "taken, not completed");
    assert_eq!(acd[0].call_time, Some(t_take));
    assert_eq!(acd[0].agent_id.as_deref(), Some("a"));
    // Finished without a call: success, talking since the take.
    sim.advance(7);
    sim.finish(a, q, c);
    let acd = acd_states(&sim.drain());
    let phases: Vec<_> = acd.iter().map(|t| (t.previous, t.latest, t.end_reason)).collect();
    assert_eq!(phases, vec![(AcdPhase::Calling, AcdPhase::Completed, Some(EndReason::Success))]);
    assert_eq!((acd[0].call_time, acd[0].talk_time, acd[0].end_time), (Some(t_take), Some(t_take), Some(sim.now)));
}
