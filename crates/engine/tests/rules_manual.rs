//! Rules 6–8: manual assignment (DND, ReqAssignUser, ReqAssignUser2), capacity,
//! finishing services and wrap-up.

mod common;

use common::*;
use lineup_engine::{AppSettings, Notice, QueUser, QueueChangeKind, QueueDef, QueuingInfo, Reply, Request, ServiceEnd};

// ---- rule 6: manual assignment ----

#[test]
fn rule06_dnd_stops_offers_and_req_assign_takes_the_head() {
    let mut sim = Sim::new();
    let low = sim.queue("low", 5);
    let high = sim.queue("high", 2);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, low, 0);
    sim.start_service(a, high, 0);
    let (c1, c2, c3) = (sim.customer("c1"), sim.customer("c2"), sim.customer("c3"));
    sim.start_queuing_with(c1, low, "one");
    sim.advance(3);
    sim.start_queuing(c2, low);
    sim.start_queuing(c3, high);
    sim.advance(2);
    assert!(all_offers(&sim.drain()).is_empty(), "no offers in DND");
    assert_eq!(sim.engine.queue_stats(low).unwrap().agents_available, 0);

    // Same order as the automatic offers: higher-priority queue first, then earliest.
    assert_eq!(&*sim.req_assign(a).user_id, "c3");
    sim.finish(a, high, c3);
    let user = sim.req_assign(a);
    assert_eq!(
        user,
        QueUser {
            queue: low,
            user_id: "c1".into(),
            name: "c1".into(),
            queuing_time_s: 5,
            usr_ext_dat: "one".into(),
            callback: None,
            attributes: None,
        }
    );
    assert_eq!(sim.queuing_info(c1), QueuingInfo::InService);
    assert!(queuing_infos(&sim.drain(), c1).contains(&QueuingInfo::InService));
    assert_eq!(sim.position(c2), (low, 0));
}

#[test]
fn rule06_req_assign_user_errors() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let other = sim.queue("other", 5);
    let a = sim.agent("a");
    assert_eq!(sim.fail(a, Request::ReqAssignUser).code(), 403, "serves no queue");
    sim.dnd(a, true);
    sim.start_service(a, q, 0);
    assert_eq!(sim.fail(a, Request::ReqAssignUser).code(), 401, "nobody waiting");
    let c = sim.customer("c");
    sim.start_queuing(c, other);
    assert_eq!(sim.fail(a, Request::ReqAssignUser).code(), 401, "only in a queue it does not serve");
    let req2 = |queue, user: &str| Request::ReqAssignUser2 { queue, user_id: user.into() };
    assert_eq!(sim.fail(a, req2(other, "c")).code(), 403);
    assert_eq!(sim.fail(a, req2(q, "c")).code(), 401, "not queuing in this queue");
    assert_eq!(sim.fail(a, req2(q, "ghost")).code(), 401);
    // A held (offline) customer cannot be taken by hand either.
    let held = sim.customer("held");
    sim.start_queuing(held, q);
    sim.disconnect(held);
    assert_eq!(sim.fail(a, req2(q, "held")).code(), 401);
    assert_eq!(sim.fail(a, Request::ReqAssignUser).code(), 401);
    assert_eq!(sim.position(held), (q, 0));
}

#[test]
fn rule06_req_assign_user2_takes_that_customer() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, q, 0);
    let cs = sim.queuing(q, &["c1", "c2", "c3"]);
    sim.drain();
    let reply = sim.ok(a, Request::ReqAssignUser2 { queue: q, user_id: "c3".into() });
    assert!(matches!(&reply, Reply::Assigned(u) if &*u.user_id == "c3"), "{reply:?}");
    let out = sim.drain();
    assert_eq!(queue_changes(&out), vec![(q, "c3".to_string(), QueueChangeKind::TakenByAgent)]);
    assert_eq!(sim.queuing_info(cs[2]), QueuingInfo::InService);
    assert_eq!(sim.position(cs[0]), (q, 0));
    assert_eq!(sim.position(cs[1]), (q, 1));
    // At capacity now.
    assert_eq!(sim.fail(a, Request::ReqAssignUser2 { queue: q, user_id: "c1".into() }).code(), 406);
}

#[test]
fn rule06_req_assign_user2_of_a_customer_offered_elsewhere_is_refused() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (auto, manual) = (sim.agent("auto"), sim.agent("manual"));
    sim.start_service(auto, q, 0);
    sim.dnd(manual, true);
    sim.start_service(manual, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    assert_eq!(sim.fail(manual, Request::ReqAssignUser2 { queue: q, user_id: "c".into() }).code(), 401);
    // The agent it is offered to may take it this way too.
    sim.ok(auto, Request::ReqAssignUser2 { queue: q, user_id: "c".into() });
    assert_eq!(sim.queuing_info(c), QueuingInfo::InService);
}

#[test]
fn rule06_dnd_off_resumes_offers_at_once() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(60);
    assert!(all_offers(&sim.drain()).is_empty());
    sim.dnd(a, false);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c"]);
}

#[test]
fn rule06_dnd_on_keeps_pending_offers() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings::default());
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.dnd(a, true);
    sim.accept(a, q, c);
    assert_eq!(sim.queuing_info(c), QueuingInfo::InService);
}

// ---- rule 7: capacity ----

#[test]
fn rule07_capacity_two_means_two_customers_at_once() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings::default());
    let cs: Vec<_> = ["c1", "c2", "c3"].iter().map(|u| sim.customer(u)).collect();
    sim.start_queuing(cs[0], q);
    sim.start_queuing(cs[1], q);
    sim.start_queuing(cs[2], q);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c1"]);
    sim.capacity(a, 2);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c2"], "the second slot is filled at once");
    // Offers and services together never exceed the capacity.
    sim.accept(a, q, cs[0]);
    assert!(offered_ids(&sim.drain(), a).is_empty());
    assert_eq!(sim.fail(a, Request::ReqAssignUser).code(), 406);
    sim.finish(a, q, cs[0]);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c3"]);
    let view = &sim.engine.agents(APP)[0];
    assert_eq!((view.capacity, view.pending_offers), (2, 2));
}

#[test]
fn rule07_capacity_set_before_serving_offers_several_at_once() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let _cs = sim.queuing(q, &["c1", "c2", "c3"]);
    let a = sim.agent("a");
    sim.capacity(a, 2);
    sim.drain();
    sim.start_service(a, q, 0);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c1", "c2"]);
}

#[test]
fn rule07_capacity_between_1_and_50() {
    let mut sim = Sim::new();
    let a = sim.agent("a");
    for capacity in [0u16, 51] {
        let err = sim.fail(a, Request::SetCapacity { capacity });
        assert_eq!(err.code(), 5, "capacity {capacity}");
        assert!(err.to_string().contains("capacity"), "{err}");
    }
    sim.capacity(a, 50);
    assert_eq!(sim.engine.agents(APP)[0].capacity, 50);
    sim.capacity(a, 1);
    assert_eq!(sim.engine.agents(APP)[0].capacity, 1);
}

#[test]
fn rule07_lowering_capacity_never_leaves_agent_over_capacity() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings::default());
    sim.capacity(a, 2);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c1", "c2"]);
    // The newest surplus offer is withdrawn and its customer goes back to the head.
    sim.ok(a, Request::SetCapacity { capacity: 1 });
    let out = sim.drain();
    assert!(notices_for(&out, a).contains(&Notice::CancelAssignUser {
        queue: q,
        user_id: "c2".into(),
        reason: lineup_engine::CancelReason::CapacityLowered
    }));
    let view = &sim.engine.agents(APP)[0];
    assert_eq!((view.pending_offers, view.capacity), (1, 1), "{view:?}");
    assert_eq!(sim.position(c2), (q, 1));
    // Below the customers already being served it is refused, naming the field.
    sim.accept(a, q, c1);
    sim.capacity(a, 2);
    sim.accept(a, q, c2);
    let err = sim.fail(a, Request::SetCapacity { capacity: 1 });
    assert_eq!(err.code(), 5);
    assert!(err.to_string().contains("capacity"), "{err}");
    assert_eq!(sim.engine.agents(APP)[0].capacity, 2);
}

// ---- rule 8: finishing and wrap-up ----

#[test]
fn rule08_finish_service_tells_both_sides() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings::default());
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.accept(a, q, c);
    sim.advance(42);
    sim.drain();
    sim.finish(a, q, c);
    let out = sim.drain();
    let finished = Notice::ServiceFinished {
        queue: q,
        agent_id: "a".into(),
        customer_id: "c".into(),
        reason: ServiceEnd::Finished,
    };
    assert_eq!(notices_for(&out, a).first(), Some(&finished));
    assert_eq!(&notices_for(&out, c)[..2], &[finished, Notice::QueuingInfoChanged(QueuingInfo::NotQueuing)]);
    assert_eq!(sim.queuing_info(c), QueuingInfo::NotQueuing);
    assert_eq!(sim.engine.queue_status(q).unwrap().srv_num, 0);
    let view = &sim.engine.agents(APP)[0];
    assert_eq!((view.served_total, view.service_ms_total), (1, 42_000));
    assert!(view.serving_customers.is_empty());
    assert_eq!(sim.fail(a, Request::FinishService { queue: q, user_id: "c".into() }).code(), 401);
}

#[test]
fn rule08_wrap_up_delays_the_next_offer() {
    let mut sim = Sim::new();
    let q = sim.queue_def(QueueDef { wrapup_s: 15, prio: 5, ..QueueDef::named("q") });
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.accept(a, q, c1);
    sim.advance(3);
    sim.drain();
    sim.finish(a, q, c1);
    let finish_time = sim.now;
    assert!(offered_ids(&sim.drain(), a).is_empty(), "no offer during wrap-up");
    assert_eq!(sim.engine.agents(APP)[0].wrapup_until_ms, Some(finish_time.plus_secs(15).as_millis()));
    assert_eq!(sim.engine.queue_stats(q).unwrap().agents_available, 0);
    sim.advance_ms(14_999);
    assert!(offered_ids(&sim.drain(), a).is_empty(), "still wrapping up");
    sim.advance_ms(1);
    let timed = sim.drain_timed();
    let offers: Vec<_> = timed
        .iter()
        .filter(|(_, o)| matches!(o, lineup_engine::Output::Notify { session, notice: Notice::AutoAssignUser(_) } if *session == a))
        .collect();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].0, finish_time.plus_secs(15), "offered in the wrap-up's own deadline step");
    assert_eq!(sim.engine.agents(APP)[0].wrapup_until_ms, None);
}

#[test]
fn rule08_manual_take_is_allowed_during_wrap_up() {
    let mut sim = Sim::new();
    let q = sim.queue_def(QueueDef { wrapup_s: 15, prio: 5, ..QueueDef::named("q") });
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.accept(a, q, c1);
    sim.finish(a, q, c1);
    sim.drain();
    sim.start_queuing(c2, q);
    assert!(offered_ids(&sim.drain(), a).is_empty());
    assert_eq!(&*sim.req_assign(a).user_id, "c2");
}
