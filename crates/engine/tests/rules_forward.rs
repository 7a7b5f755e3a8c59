//! Forwarding: a waiting customer moves to another queue (Lineup `ForwardUser`, by an
//! agent serving its queue, a supervisor, or administration), keeping its enqueue time.

mod common;

use common::*;
use lineup_engine::{
    AcdError, AcdPhase, AppSettings, CancelReason, EndReason, Input, Notice, QueUser, QueueChangeKind, QueueDef,
    QueueId, QueuingInfo, Reply, Request, Roles,
};

fn admin_forward(sim: &mut Sim, queue: QueueId, user: &str, to_queue: QueueId) -> Result<Reply, AcdError> {
    sim.input(Input::ForwardUser { app: APP.into(), queue, user_id: user.into(), to_queue })
}

fn user_ids(users: &[QueUser]) -> Vec<String> {
    users.iter().map(|u| u.user_id.to_string()).collect()
}

#[test]
fn forward_keeps_the_enqueue_time_and_orders_by_it() {
    let mut sim = Sim::with_settings(uncoalesced());
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let sup = sim.login("sup", supervisor_roles());
    let (c1, c2, c3) = (sim.customer("c1"), sim.customer("c2"), sim.customer("c3"));
    sim.start_queuing(c2, q2); // t=0
    sim.advance(5);
    sim.start_queuing(c1, q1); // t=5
    sim.advance(5);
    sim.start_queuing(c3, q2); // t=10
    sim.advance(10);
    sim.drain();
    assert_eq!(admin_forward(&mut sim, q1, "c1", q2), Ok(Reply::Done));
    let out = sim.drain();
    assert_eq!(
        queuing_infos(&out, c1),
        vec![QueuingInfo::Queuing { queue: q2, position: 1, queuing_time_s: 15, estimated_wait_s: None }]
    );
    assert_eq!(
        queuing_infos(&out, c3),
        vec![QueuingInfo::Queuing { queue: q2, position: 2, queuing_time_s: 10, estimated_wait_s: None }]
    );
    assert_eq!(queuing_infos(&out, c2), vec![], "the head does not move");
    assert_eq!((sim.position(c2), sim.position(c1), sim.position(c3)), ((q2, 0), (q2, 1), (q2, 2)));
    let users = sim.engine.queue_users(sup, q2, 0, 10).unwrap();
    assert_eq!(user_ids(&users.users), vec!["c2", "c1", "c3"]);
    assert_eq!(users.users[1].queuing_time_s, 15, "waiting since it first queued");
    assert_eq!(sim.engine.queue_users(sup, q1, 0, 10).unwrap().total, 0);
    assert_eq!(sim.engine.queue_stats(q2).unwrap().longest_waiting_s, 20);
}

#[test]
fn forward_ends_the_old_task_and_starts_a_new_one() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let c = sim.customer("c");
    let t0 = sim.now;
    sim.start_queuing_with(c, q1, "data");
    sim.advance(7);
    let first = acd_states(&sim.drain());
    assert_eq!(admin_forward(&mut sim, q1, "c", q2), Ok(Reply::Done));
    let out = sim.drain();
    assert_eq!(
        queue_changes(&out),
        vec![(q1, "c".to_string(), QueueChangeKind::Forwarded), (q2, "c".to_string(), QueueChangeKind::Entered)]
    );
    assert_eq!(QueueChangeKind::Forwarded.codes(), (504, 103));
    let exts: Vec<_> = event_kinds(&out)
        .into_iter()
        .filter_map(|k| match k {
            lineup_engine::EventKind::QueueChange { usr_ext_dat, .. } => Some(usr_ext_dat.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(exts, vec!["data", "data"]);
    let acd = acd_states(&out);
    let steps: Vec<_> = acd.iter().map(|t| (t.queue, t.previous, t.latest, t.end_reason)).collect();
    assert_eq!(
        steps,
        vec![
            (q1, AcdPhase::Waiting, AcdPhase::Completed, Some(EndReason::Forward)),
            (q2, AcdPhase::Pending, AcdPhase::Waiting, None),
        ]
    );
    assert_eq!(acd[0].task, first[0].task, "the old task ends");
    assert_ne!(acd[1].task, acd[0].task, "a new task starts");
    assert_eq!(acd[0].end_time, Some(sim.now));
    assert_eq!((acd[1].begin_time, &*acd[1].data, acd[1].agent_id.clone()), (t0, "data", None));
    assert_eq!(EndReason::Forward.name(), "forward");
}

#[test]
fn forward_tells_the_agents_of_both_queues() {
    let mut sim = Sim::with_settings(uncoalesced());
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let (a1, a2) = (sim.agent("a1"), sim.agent("a2"));
    for (a, q) in [(a1, q1), (a2, q2)] {
        sim.dnd(a, true);
        sim.start_service(a, q, 0);
    }
    let c = sim.customer("c");
    sim.start_queuing_with(c, q1, "x");
    sim.advance(4);
    sim.drain();
    sim.forward(a1, q1, c, q2);
    let out = sim.drain();
    let leave = Notice::UserLeave { queue: q1, user_id: "c".into(), in_service: false };
    let enter = Notice::UserEnter(QueUser {
        queue: q2,
        user_id: "c".into(),
        name: "c".into(),
        queuing_time_s: 4,
        usr_ext_dat: "x".into(),
        callback: None,
        attributes: None,
    });
    assert!(notices_for(&out, a1).contains(&leave), "{out:?}");
    assert!(!notices_for(&out, a1).contains(&enter));
    assert!(notices_for(&out, a2).contains(&enter), "{out:?}");
    assert!(!notices_for(&out, a2).contains(&leave));
    assert_eq!(statuses(&out, a1), vec![(q1, 1, 0, 0)]);
    assert_eq!(statuses(&out, a2), vec![(q2, 1, 1, 0)]);
    assert_eq!(statuses(&out, c), vec![(q2, 1, 1, 0)], "the customer now watches its new queue");
}

#[test]
fn forwarding_an_offered_customer_withdraws_the_offer() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let a = sim.agent("a");
    sim.start_service(a, q1, 0);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q1);
    sim.start_queuing(c2, q1);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c1"]);
    sim.forward(a, q1, c1, q2);
    let out = sim.drain();
    let to_a: Vec<_> = notices_for(&out, a)
        .into_iter()
        .filter(|n| matches!(n, Notice::CancelAssignUser { .. } | Notice::AutoAssignUser(_)))
        .collect();
    assert_eq!(to_a.len(), 2, "{to_a:?}");
    assert_eq!(to_a[0], Notice::CancelAssignUser { queue: q1, user_id: "c1".into(), reason: CancelReason::Forwarded });
    assert!(matches!(&to_a[1], Notice::AutoAssignUser(u) if u.user_id == "c2"), "the agent gets the next one");
    assert_eq!(sim.fail(a, Request::AcceptAssignUser { queue: q1, user_id: "c1".into() }).code(), 402);
    assert_eq!(sim.position(c1), (q2, 0));
    assert_eq!(sim.engine.agents(APP)[0].pending_offers, 1);
}

#[test]
fn forwarding_an_offered_customer_ends_its_task_from_calling() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let a = sim.agent("a");
    sim.start_service(a, q1, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q1);
    let acd = acd_states(&sim.drain());
    assert_eq!(acd.last().map(|t| t.latest), Some(AcdPhase::Calling));
    sim.forward(a, q1, c, q2);
    let acd = acd_states(&sim.drain());
    assert_eq!(
        (acd[0].previous, acd[0].latest, acd[0].end_reason),
        (AcdPhase::Calling, AcdPhase::Completed, Some(EndReason::Forward))
    );
}

#[test]
fn a_forwarded_customer_is_offered_in_its_new_queue_by_its_waiting_time() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, q2, 0);
    let (early, late) = (sim.customer("early"), sim.customer("late"));
    sim.start_queuing(early, q1);
    sim.advance(3);
    sim.start_queuing(late, q2);
    sim.advance(3);
    assert_eq!(admin_forward(&mut sim, q1, "early", q2), Ok(Reply::Done));
    sim.drain();
    sim.dnd(a, false);
    let out = sim.drain();
    let offers = offers_to(&out, a);
    assert_eq!(user_ids(&offers), vec!["early"], "it waited longer than 'late'");
    assert_eq!((offers[0].queue, offers[0].queuing_time_s), (q2, 6));
    let calling: Vec<_> = acd_states(&out).into_iter().map(|t| (t.queue, t.previous, t.latest)).collect();
    assert_eq!(calling, vec![(q2, AcdPhase::Waiting, AcdPhase::Calling)]);
    // Straight to a free agent when there is one.
    let b = sim.agent("b");
    sim.start_service(b, q1, 0);
    let x = sim.customer("x");
    sim.start_queuing(x, q2);
    sim.drain();
    sim.forward(a, q2, x, q1);
    assert_eq!(offered_ids(&sim.drain(), b), vec!["x"]);
}

#[test]
fn forward_counts_in_the_statistics() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let c = sim.customer("c");
    sim.start_queuing(c, q1);
    sim.advance(9);
    admin_forward(&mut sim, q1, "c", q2).unwrap();
    let (s1, s2) = (sim.engine.queue_stats(q1).unwrap(), sim.engine.queue_stats(q2).unwrap());
    assert_eq!((s1.entered, s1.forwarded, s1.abandoned, s1.timed_out, s1.served, s1.waiting), (1, 1, 0, 0, 0, 0));
    assert_eq!((s2.entered, s2.forwarded, s2.abandoned, s2.waiting), (1, 0, 0, 1));
    assert_eq!(s2.longest_waiting_s, 9);
    admin_forward(&mut sim, q2, "c", q1).unwrap();
    assert_eq!(sim.engine.queue_stats(q2).unwrap().forwarded, 1);
    assert_eq!(sim.engine.queue_stats(q1).unwrap().entered, 2);
}

#[test]
fn forward_refusals() {
    let mut sim = Sim::new();
    sim.app_named("other", AppSettings::default());
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let full = sim.queue_def(QueueDef { max_len: Some(1), ..QueueDef::named("full") });
    let foreign = sim.queue_in("other", "theirs", 5);
    let (c, d, filler) = (sim.customer("c"), sim.customer("d"), sim.customer("filler"));
    sim.start_queuing(c, q1);
    sim.start_queuing(d, q2);
    sim.start_queuing(filler, full);
    sim.drain();
    let admin =
        |queue, user: &str, to_queue| Input::ForwardUser { app: APP.into(), queue, user_id: user.into(), to_queue };
    let code = |r: Result<Reply, AcdError>| r.map_err(|e| e.code());
    assert_eq!(
        code(sim.input(Input::ForwardUser { app: "nope".into(), queue: q1, user_id: "c".into(), to_queue: q2 })),
        Err(20)
    );
    assert_eq!(code(sim.input(admin(QueueId(999), "c", q2))), Err(400), "unknown queue");
    assert_eq!(code(sim.input(admin(q1, "c", QueueId(999)))), Err(400), "unknown target");
    assert_eq!(code(sim.input(admin(foreign, "c", q2))), Err(400), "a queue of another app");
    assert_eq!(code(sim.input(admin(q1, "c", foreign))), Err(400), "a target of another app");
    match sim.input(admin(q1, "c", q1)) {
        Err(AcdError::InvalidParam { field, .. }) => assert_eq!(field, "toQueID"),
        other => panic!("same queue: {other:?}"),
    }
    assert_eq!(code(sim.input(admin(q1, "d", q2))), Err(401), "queuing elsewhere");
    assert_eq!(code(sim.input(admin(q1, "nobody", q2))), Err(401), "not logged in");
    assert_eq!(code(sim.input(admin(q1, "c", full))), Err(405), "the target is full");
    // A customer being served is not queuing.
    let a = sim.agent("a");
    sim.start_service(a, q2, 0);
    sim.accept(a, q2, d);
    assert_eq!(code(sim.input(admin(q2, "d", q1))), Err(401), "being served");
    let out = sim.drain();
    assert!(queue_changes(&out).iter().all(|(_, u, _)| u == "d"), "refusals change nothing: {out:?}");
    assert_eq!(sim.position(c), (q1, 0));

    // Who may ask.
    let req = |to_queue| Request::ForwardUser { queue: q1, user_id: "c".into(), to_queue };
    let customer = sim.customer("someone");
    assert_eq!(sim.fail(customer, req(q2)).code(), 30);
    let idle_agent = sim.agent("idle");
    assert_eq!(sim.fail(idle_agent, req(q2)).code(), 403, "serves nothing");
    assert_eq!(sim.fail(a, req(q2)).code(), 403, "serves q2, not q1");
    assert_eq!(
        sim.fail(a, Request::ForwardUser { queue: QueueId(999), user_id: "c".into(), to_queue: q2 }).code(),
        400
    );
    let sup = sim.login("sup", supervisor_roles());
    assert_eq!(sim.ok(sup, req(q2)), Reply::Done, "a supervisor need not serve the queue");
    assert_eq!(sim.position(c), (q2, 0));
    let both = sim.login("both", Roles::ALL);
    sim.start_service(both, q2, 0);
    assert_eq!(sim.ok(both, Request::ForwardUser { queue: q2, user_id: "c".into(), to_queue: q1 }), Reply::Done);
    assert_eq!(sim.position(c), (q1, 0));
}

#[test]
fn forward_max_wait_counts_from_the_first_enqueue() {
    let mut sim = Sim::new();
    let q1 = sim.queue_def(QueueDef { max_wait_s: Some(25), ..QueueDef::named("q1") });
    let q2 = sim.queue_def(QueueDef { max_wait_s: Some(30), ..QueueDef::named("q2") });
    let (c, late) = (sim.customer("c"), sim.customer("late"));
    sim.start_queuing(c, q1);
    sim.advance(20);
    admin_forward(&mut sim, q1, "c", q2).unwrap();
    sim.advance(5);
    assert_eq!(sim.position(c), (q2, 0), "q1's limit no longer applies");
    sim.drain();
    sim.advance_ms(4_999);
    assert_eq!(sim.position(c), (q2, 0));
    sim.advance_ms(1);
    let out = sim.drain();
    assert_eq!(queue_changes(&out), vec![(q2, "c".to_string(), QueueChangeKind::TimedOut)]);
    assert!(notices_for(&out, c).contains(&Notice::QueuingEnded { queue: q2, reason: EndReason::Timeout }));
    // Already past the new queue's limit: it times out at once.
    let q3 = sim.queue("q3", 5);
    sim.start_queuing(late, q3);
    sim.advance(40);
    admin_forward(&mut sim, q3, "late", q2).unwrap();
    sim.advance_ms(0);
    assert_eq!(sim.queuing_info(late), QueuingInfo::NotQueuing);
    assert_eq!(queue_changes(&sim.drain()).last(), Some(&(q2, "late".to_string(), QueueChangeKind::TimedOut)));
}

#[test]
fn a_held_customer_can_be_forwarded_and_is_offered_when_back() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let a = sim.agent("a");
    sim.start_service(a, q2, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q1);
    sim.disconnect(c);
    sim.drain();
    admin_forward(&mut sim, q1, "c", q2).unwrap();
    assert!(offered_ids(&sim.drain(), a).is_empty(), "not offered while offline");
    assert_eq!(sim.position(c), (q2, 0));
    sim.reconnect(c);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c"]);
}

#[test]
fn a_forwarded_customer_served_in_its_new_queue_completes_the_new_task() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let c = sim.customer("c");
    sim.start_queuing(c, q1);
    admin_forward(&mut sim, q1, "c", q2).unwrap();
    let new_task = acd_states(&sim.drain()).last().unwrap().task;
    let a = sim.agent("a");
    sim.start_service(a, q2, 0);
    sim.accept(a, q2, c);
    let room = sim.create_meeting(a, "r", "");
    let call = sim.call(a, c, room.id, "");
    sim.accept_call(c, &call, "");
    let done: Vec<_> = acd_states(&sim.drain()).into_iter().filter(|t| t.latest == AcdPhase::Completed).collect();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].task, done[0].queue, done[0].end_reason), (new_task, q2, Some(EndReason::Success)));
}
