//! Rules 4 and 5: who gets whom, and automatic offers (accept, reject, timeout,
//! cancel).

mod common;

use common::*;
use lineup_engine::{
    AcdPhase, AppSettings, CancelReason, Notice, QueUser, QueueChangeKind, QueuingInfo, Reply, Request,
};

// ---- rule 4: the matching rule ----

#[test]
fn rule04_highest_priority_queue_first() {
    let mut sim = Sim::new();
    let low = sim.queue("low", 5);
    let high = sim.queue("high", 1);
    let (c_low, c_high) = (sim.customer("c-low"), sim.customer("c-high"));
    sim.start_queuing(c_low, low);
    sim.advance(10);
    sim.start_queuing(c_high, high); // waited less, but in the higher-priority queue
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, low, 0);
    sim.start_service(a, high, 0);
    sim.drain();
    sim.dnd(a, false);
    let out = sim.drain();
    assert_eq!(offered_ids(&out, a), vec!["c-high"]);
    sim.accept(a, high, c_high);
    sim.finish(a, high, c_high);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c-low"]);
}

#[test]
fn rule04_earliest_customer_of_the_queue_first() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let cs: Vec<_> = ["c1", "c2", "c3"].iter().map(|u| sim.customer(u)).collect();
    for &c in &cs {
        sim.start_queuing(c, q);
        sim.advance(1);
    }
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c1"]);
    sim.accept(a, q, cs[0]);
    sim.finish(a, q, cs[0]);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c2"]);
}

#[test]
fn rule04_equal_priority_queues_earliest_waiter_across_them() {
    let mut sim = Sim::new();
    let qa = sim.queue("qa", 5);
    let qb = sim.queue("qb", 5);
    let (c1, c2, c3) = (sim.customer("c1"), sim.customer("c2"), sim.customer("c3"));
    sim.start_queuing(c1, qb);
    sim.advance(1);
    sim.start_queuing(c2, qa);
    sim.advance(1);
    sim.start_queuing(c3, qb);
    let a = sim.agent("a");
    sim.dnd(a, true);
    sim.start_service(a, qa, 0);
    sim.start_service(a, qb, 0);
    sim.drain();
    sim.dnd(a, false);
    let offers = offers_to(&sim.drain(), a);
    assert_eq!(offers.len(), 1);
    assert_eq!((&*offers[0].user_id, offers[0].queue), ("c1", qb));
    sim.accept(a, qb, c1);
    sim.finish(a, qb, c1);
    let offers = offers_to(&sim.drain(), a);
    assert_eq!((&*offers[0].user_id, offers[0].queue), ("c2", qa));
}

#[test]
fn rule04_new_customer_goes_to_best_agent_priority_at_once() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (a5, a0, a10) = (sim.agent("a5"), sim.agent("a0"), sim.agent("a10"));
    sim.start_service(a5, q, 5);
    sim.start_service(a0, q, 0);
    sim.start_service(a10, q, 10);
    sim.drain();
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    // Offered within the same handle call: no deadline is needed.
    let out = sim.drain();
    assert_eq!(all_offers(&out), vec![(a0, "c".to_string())]);
    // The next one goes to the next best.
    let c2 = sim.customer("c2");
    sim.start_queuing(c2, q);
    assert_eq!(all_offers(&sim.drain()), vec![(a5, "c2".to_string())]);
}

#[test]
fn rule04_equal_agent_priority_goes_to_agent_idle_longest() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    // b becomes free first although it logs in second (so session order cannot decide).
    let (a, b) = (sim.agent("a"), sim.agent("b"));
    let elsewhere = sim.queue("elsewhere", 5);
    sim.start_service(b, q, 3);
    sim.advance(5);
    sim.start_service(a, q, 3);
    sim.advance(5);
    // Serving one more queue (or re-affirming DND off) does not make b any less idle.
    sim.start_service(b, elsewhere, 0);
    sim.dnd(b, false);
    sim.capacity(b, 1);
    let cs: Vec<_> = ["c1", "c2", "c3"].iter().map(|u| sim.customer(u)).collect();
    sim.drain();

    sim.start_queuing(cs[0], q);
    assert_eq!(all_offers(&sim.drain()), vec![(b, "c1".to_string())]);
    sim.accept(b, q, cs[0]);
    sim.advance(5);
    sim.finish(b, q, cs[0]); // b is free again, but a has been idle longer now
    sim.advance(5);
    sim.start_queuing(cs[1], q);
    assert_eq!(all_offers(&sim.drain()), vec![(a, "c2".to_string())]);
    sim.accept(a, q, cs[1]);
    sim.finish(a, q, cs[1]);
    sim.start_queuing(cs[2], q);
    assert_eq!(all_offers(&sim.drain()), vec![(b, "c3".to_string())]);
}

#[test]
fn rule04_free_agent_is_offered_at_start_service() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    let a = sim.agent("a");
    sim.drain();
    sim.start_service(a, q, 0);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c"]);
}

// ---- rule 5: automatic offers ----

#[test]
fn rule05_auto_assign_user_carries_the_customer() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let c = sim.login_named("bob", "Bob B.", customer_roles());
    sim.start_queuing_with(c, q, r#"{"topic":"billing"}"#);
    sim.advance(7);
    let a = sim.agent("a");
    sim.drain();
    sim.start_service(a, q, 0);
    let offers = offers_to(&sim.drain(), a);
    assert_eq!(
        offers,
        vec![QueUser {
            queue: q,
            user_id: "bob".into(),
            name: "Bob B.".into(),
            queuing_time_s: 7,
            usr_ext_dat: r#"{"topic":"billing"}"#.into(),
            callback: None,
            attributes: None,
        }]
    );
    assert_eq!(sim.engine.agents(APP)[0].pending_offers, 1);
}

#[test]
fn rule05_accept_starts_the_service() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings::default());
    let c = sim.customer("c");
    sim.start_queuing_with(c, q, "x");
    sim.drain();
    assert_eq!(sim.ok(a, Request::AcceptAssignUser { queue: q, user_id: "c".into() }), Reply::Done);
    let out = sim.drain();
    assert_eq!(queuing_infos(&out, c), vec![QueuingInfo::InService]);
    let changes = queue_changes(&out);
    assert_eq!(changes, vec![(q, "c".to_string(), QueueChangeKind::TakenByAgent)]);
    assert_eq!(QueueChangeKind::TakenByAgent.codes(), (506, 0));
    assert_eq!(sim.queuing_info(c), QueuingInfo::InService);
    let view = &sim.engine.agents(APP)[0];
    assert_eq!(view.serving_customers, vec![(q, "c".into(), None)], "no call yet: no room");
    assert_eq!(view.pending_offers, 0);
    let status = sim.engine.queue_status(q).unwrap();
    assert_eq!((status.wait_num, status.srv_num), (0, 1));
    // The offer is gone: a second answer is refused.
    assert_eq!(sim.fail(a, Request::AcceptAssignUser { queue: q, user_id: "c".into() }).code(), 402);
    assert_eq!(sim.fail(a, Request::RejectAssignUser { queue: q, user_id: "c".into() }).code(), 402);
}

#[test]
fn rule05_reject_offers_the_customer_to_another_free_agent() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (a1, a2) = (sim.agent("a1"), sim.agent("a2"));
    sim.start_service(a1, q, 0);
    sim.start_service(a2, q, 1);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    assert_eq!(all_offers(&sim.drain()), vec![(a1, "c".to_string())]);
    sim.reject(a1, q, c);
    let out = sim.drain();
    assert_eq!(all_offers(&out), vec![(a2, "c".to_string())], "offered on, in the same call");
    assert!(notices_for(&out, a1).is_empty(), "the rejecting agent hears nothing more: {out:?}");
    let acd = acd_states(&out);
    let phases: Vec<_> = acd.iter().map(|t| (t.previous, t.latest)).collect();
    assert_eq!(phases, vec![(AcdPhase::Calling, AcdPhase::Waiting), (AcdPhase::Waiting, AcdPhase::Calling)]);
    assert_eq!(acd[1].agent_id.as_deref(), Some("a2"));
}

#[test]
fn rule05_rejected_customer_keeps_its_place_at_the_head() {
    let (mut sim, q, a1) = one_agent_one_queue(AppSettings::default());
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.advance(1);
    sim.start_queuing(c2, q);
    sim.drain();
    sim.reject(a1, q, c1);
    assert_eq!(sim.position(c1), (q, 0));
    assert_eq!(sim.position(c2), (q, 1));
    // a1 declined c1, so it gets the next one meanwhile.
    assert_eq!(offered_ids(&sim.drain(), a1), vec!["c2"]);
    // A new free agent gets the head: c1, not the later c3.
    let c3 = sim.customer("c3");
    sim.start_queuing(c3, q);
    let a2 = sim.agent("a2");
    sim.drain();
    sim.start_service(a2, q, 0);
    assert_eq!(offered_ids(&sim.drain(), a2), vec!["c1"]);
    let users = sim.engine.queue_users(a2, q, 0, 10).unwrap();
    let ids: Vec<_> = users.users.iter().map(|u| u.user_id.to_string()).collect();
    assert_eq!(ids, vec!["c1", "c2", "c3"]);
}

#[test]
fn rule05_rejecting_agent_gets_the_customer_again_only_after_reoffer_delay() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings { reoffer_delay_s: 10, ..AppSettings::default() });
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(2);
    sim.drain();
    sim.reject(a, q, c);
    assert!(offered_ids(&sim.drain(), a).is_empty());
    sim.advance_ms(9_999);
    assert!(offered_ids(&sim.drain(), a).is_empty(), "not within the delay");
    assert_eq!(sim.engine.queue_stats(q).unwrap().agents_available, 1, "the agent is free meanwhile");
    sim.advance_ms(1);
    let offers = offers_to(&sim.drain(), a);
    assert_eq!(offers.len(), 1, "offered again once the delay is over");
    assert_eq!(offers[0].queuing_time_s, 12);
}

#[test]
fn rule05_zero_reoffer_delay_offers_again_at_once() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings { reoffer_delay_s: 0, ..AppSettings::default() });
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.drain();
    sim.reject(a, q, c);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c"]);
}

#[test]
fn rule05_offer_timeout_cancels_and_offers_elsewhere() {
    let mut sim = Sim::new(); // offer_timeout_s 30
    let q = sim.queue("q", 5);
    let a1 = sim.agent("a1");
    sim.start_service(a1, q, 0);
    let c1 = sim.customer("c1");
    sim.start_queuing(c1, q); // offered to a1 at t=0
    let a2 = sim.agent("a2");
    sim.start_service(a2, q, 5); // free, nothing to offer
    sim.advance(10);
    let c2 = sim.customer("c2");
    sim.start_queuing(c2, q); // offered to a2
    assert_eq!(all_offers(&sim.drain()), vec![(a1, "c1".to_string()), (a2, "c2".to_string())]);
    sim.accept(a2, q, c2);
    sim.finish(a2, q, c2);
    sim.drain();

    sim.advance_ms(19_999);
    assert!(sim
        .drain()
        .iter()
        .all(|o| !matches!(o, lineup_engine::Output::Notify { notice: Notice::CancelAssignUser { .. }, .. })));
    sim.advance_ms(1);
    let out = sim.drain();
    assert_eq!(
        notices_for(&out, a1),
        vec![Notice::CancelAssignUser { queue: q, user_id: "c1".into(), reason: CancelReason::Timeout }]
    );
    let offers = offers_to(&out, a2);
    assert_eq!(offers.len(), 1);
    assert_eq!((&*offers[0].user_id, offers[0].queuing_time_s), ("c1", 30));
    assert_eq!(sim.position(c1), (q, 0));
}

#[test]
fn rule05_offer_timeout_follows_app_settings_and_returns_customer_to_head() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings { offer_timeout_s: 5, ..AppSettings::default() });
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.drain();
    sim.advance(5);
    let out = sim.drain();
    let cancels: Vec<_> =
        notices_for(&out, a).into_iter().filter(|n| matches!(n, Notice::CancelAssignUser { .. })).collect();
    assert_eq!(
        cancels,
        vec![Notice::CancelAssignUser { queue: q, user_id: "c1".into(), reason: CancelReason::Timeout }]
    );
    // The missed customer is declined for a while like a rejected one: the agent gets c2.
    assert_eq!(offered_ids(&out, a), vec!["c2"]);
    assert_eq!(sim.position(c1), (q, 0));
    let acd: Vec<_> = acd_states(&out).into_iter().map(|t| (t.user_id.to_string(), t.previous, t.latest)).collect();
    assert_eq!(
        acd,
        vec![("c1".into(), AcdPhase::Calling, AcdPhase::Waiting), ("c2".into(), AcdPhase::Waiting, AcdPhase::Calling),]
    );
}

#[test]
fn rule05_customer_leaving_while_offered_cancels_the_offer() {
    let (mut sim, q, a) = one_agent_one_queue(AppSettings::default());
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.drain();
    sim.stop_queuing(c);
    let out = sim.drain();
    assert_eq!(
        notices_for(&out, a)[0],
        Notice::CancelAssignUser { queue: q, user_id: "c".into(), reason: CancelReason::CustomerLeft }
    );
    let acd = acd_states(&out);
    assert_eq!((acd[0].previous, acd[0].latest), (AcdPhase::Calling, AcdPhase::Completed));
    let err = sim.fail(a, Request::AcceptAssignUser { queue: q, user_id: "c".into() });
    assert_eq!(err.code(), 402);
    assert_eq!(sim.engine.agents(APP)[0].pending_offers, 0);
    assert_eq!(sim.engine.queue_stats(q).unwrap().agents_available, 1);
}

#[test]
fn rule05_answering_an_offer_made_to_another_agent_is_402() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (a1, a2) = (sim.agent("a1"), sim.agent("a2"));
    sim.start_service(a1, q, 0);
    sim.start_service(a2, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    let offered = all_offers(&sim.drain());
    assert_eq!(offered.len(), 1);
    let other = if offered[0].0 == a1 { a2 } else { a1 };
    assert_eq!(sim.fail(other, Request::AcceptAssignUser { queue: q, user_id: "c".into() }).code(), 402);
    assert_eq!(sim.fail(other, Request::AcceptAssignUser { queue: q, user_id: "nobody".into() }).code(), 402);
    sim.accept(offered[0].0, q, c);
}

#[test]
fn rule04_a_session_with_both_roles_is_never_offered_to_itself() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let both = sim.login("both", lineup_engine::Roles::ALL);
    sim.start_service(both, q, 0);
    sim.start_queuing(both, q);
    let out = sim.drain();
    assert!(offered_ids(&out, both).is_empty(), "offered to itself: {out:?}");
    assert_eq!(sim.fail(both, Request::ReqAssignUser).code(), 401);
    let err = sim.fail(both, Request::ReqAssignUser2 { queue: q, user_id: "both".into() });
    assert_eq!(err.code(), 401);
    // Another agent gets it.
    let other = sim.agent("other");
    sim.start_service(other, q, 0);
    assert_eq!(offered_ids(&sim.drain(), other), vec!["both"]);
}

// ---- monitoring: offer outcomes, wait and talk times ----

#[test]
fn offer_outcomes_and_wait_and_talk_times_are_counted() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let cs = sim.queuing(q, &["c1", "c2", "c3"]);
    let a = sim.agent("a");
    sim.advance(7);
    sim.start_service(a, q, 0);
    let mut offers = offered_ids(&sim.drain(), a);
    assert_eq!(offers, vec!["c1"]);
    sim.accept(a, q, cs[0]); // waited 7 s
    sim.advance(45);
    sim.finish(a, q, cs[0]); // served 45 s
    offers.extend(offered_ids(&sim.drain(), a));
    assert_eq!(offers.last().map(String::as_str), Some("c2"));
    sim.reject(a, q, cs[1]);
    offers.extend(offered_ids(&sim.drain(), a));
    assert_eq!(offers.last().map(String::as_str), Some("c3"));
    sim.advance(31); // c3's offer times out
    offers.extend(offered_ids(&sim.drain(), a));
    let pending = offers.last().cloned().expect("an offer");
    let leaving = cs[["c1", "c2", "c3"].iter().position(|u| *u == pending).expect("known customer")];
    sim.stop_queuing(leaving); // the pending offer is withdrawn
    offers.extend(offered_ids(&sim.drain(), a));

    let m = sim.engine.queue_monitor(q).expect("queue");
    assert_eq!(m.live.offers_made, offers.len() as u64, "{offers:?}");
    assert_eq!(m.live.offers_accepted, 1);
    assert_eq!(m.live.offers_rejected, 1);
    assert_eq!(m.live.offers_timed_out, 1);
    assert_eq!(m.live.offers_withdrawn, 1);
    assert_eq!(m.live.wait.count, 1);
    assert_eq!(m.live.wait.sum_s, 7.0);
    assert_eq!(m.live.wait.counts[1], 1, "7 s falls in the (5, 10] bucket");
    assert_eq!(m.live.talk.count, 1);
    assert_eq!(m.live.talk.sum_s, 45.0);
    assert_eq!(m.live.talk.counts[2], 1, "45 s falls in the (30, 60] bucket");
    assert_eq!(m.stats.served, 1);
    assert_eq!(m.agents_dnd, 0);
    let s = sim.engine.session_activity();
    assert_eq!(s.agents, [1, 0]);
}
