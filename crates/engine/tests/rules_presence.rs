//! Rule 9: presence. Dropped sessions are held for the app's hold time; held customers
//! keep their place without being offered, held agents lose their pending offers, and a
//! session past its hold ends for good.

mod common;

use common::*;
use lineup_engine::{
    AcdPhase, AgentStatus, AppSettings, CancelReason, EndReason, EventSource, Notice, QueueChangeKind, QueuingInfo,
    Reply, Request, ServiceEnd, SessionEnd,
};

#[test]
fn rule09_disconnected_customer_keeps_its_place_and_is_not_offered() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.disconnect(c1);
    sim.start_queuing(c2, q);
    assert_eq!(sim.position(c1), (q, 0), "keeps its place while held");
    assert_eq!(sim.position(c2), (q, 1));
    sim.stop_queuing(c2);
    let a = sim.agent("a");
    sim.drain();
    sim.start_service(a, q, 0);
    assert!(all_offers(&sim.drain()).is_empty(), "an offline customer is not offered");
    assert_eq!(sim.engine.queue_stats(q).unwrap().agents_available, 1, "the agent stays free");
    sim.advance(30);

    sim.reconnect(c1);
    let out = sim.drain();
    assert_eq!(offered_ids(&out, a), vec!["c1"], "offered as soon as it is back");
    assert_eq!(
        queuing_infos(&out, c1).first(),
        Some(&QueuingInfo::Queuing { queue: q, position: 0, queuing_time_s: 30, estimated_wait_s: None }),
        "the reconnected customer is told where it stands"
    );
    assert!(queue_changes(&out).is_empty(), "no leave/enter events for a hold");
}

#[test]
fn rule09_disconnect_of_an_offered_customer_cancels_the_offer() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.drain();
    sim.disconnect(c1);
    let out = sim.drain();
    assert_eq!(
        notices_for(&out, a),
        vec![
            Notice::CancelAssignUser { queue: q, user_id: "c1".into(), reason: CancelReason::CustomerOffline },
            Notice::AutoAssignUser(sim.engine.queue_users(a, q, 1, 1).unwrap().users[0].clone()),
        ]
    );
    assert_eq!(offered_ids(&out, a), vec!["c2"]);
    assert_eq!(sim.position(c1), (q, 0));
    // Not a rejection: once back, c1 may go to the same agent right away.
    sim.reject(a, q, c2);
    sim.drain();
    sim.reconnect(c1);
    assert_eq!(offered_ids(&sim.drain(), a), vec!["c1"]);
}

#[test]
fn rule09_customer_past_hold_is_dropped() {
    let mut sim = Sim::with_settings(AppSettings { hold_s: 60, ..AppSettings::default() });
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    sim.start_queuing_with(c, q, "ext");
    let begin = sim.now;
    sim.disconnect(c);
    sim.advance_ms(59_999);
    assert_eq!(sim.position(c), (q, 0));
    sim.drain();
    sim.advance_ms(1);
    let out = sim.drain();
    assert_eq!(queue_changes(&out), vec![(q, "c".to_string(), QueueChangeKind::Dropped)]);
    assert_eq!(QueueChangeKind::Dropped.codes(), (504, 100));
    let acd = acd_states(&out);
    assert_eq!(acd.len(), 1);
    assert_eq!((acd[0].previous, acd[0].latest), (AcdPhase::Waiting, AcdPhase::Completed));
    assert_eq!(acd[0].end_reason, Some(EndReason::Hangup));
    assert_eq!(acd[0].end_time, Some(begin.plus_secs(60)));
    assert_eq!(ended_sessions(&out), vec![(c, SessionEnd::HoldExpired)]);
    assert!(matches!(out.last(), Some(lineup_engine::Output::SessionEnded { .. })), "ended last: {out:?}");
    assert_eq!(sim.engine.session_view(c), None);
    assert_eq!(sim.req(c, Request::StopQueuing).unwrap_err().code(), 12);
    assert_eq!(sim.engine.queue_stats(q).unwrap().abandoned, 1);
    assert_eq!(sim.engine.queue_status(q).unwrap().wait_num, 0);
}

#[test]
fn rule09_agent_disconnect_cancels_pending_offer_and_offers_elsewhere_at_once() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (a1, a2) = (sim.agent("a1"), sim.agent("a2"));
    sim.start_service(a1, q, 0);
    sim.start_service(a2, q, 5);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q); // a1
    sim.advance(1);
    sim.start_queuing(c2, q); // a2
    sim.accept(a2, q, c2);
    sim.finish(a2, q, c2);
    sim.drain();

    sim.disconnect(a1);
    let out = sim.drain();
    assert_eq!(
        notices_for(&out, a1),
        vec![Notice::CancelAssignUser { queue: q, user_id: "c1".into(), reason: CancelReason::AgentOffline }]
    );
    assert_eq!(offered_ids(&out, a2), vec!["c1"]);
    assert_eq!(sim.position(c1), (q, 0));
    // While held, the agent still serves its queues but gets nothing.
    assert_eq!(sim.engine.serving_queues(a1).unwrap(), vec![q]);
    let c3 = sim.customer("c3");
    sim.start_queuing(c3, q);
    assert!(offered_ids(&sim.drain(), a1).is_empty());
    sim.reconnect(a1);
    assert_eq!(offered_ids(&sim.drain(), a1), vec!["c3"]);
}

#[test]
fn rule09_agent_past_hold_is_logged_out() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let a = sim.agent("a");
    sim.start_service(a, q1, 0);
    sim.start_service(a, q2, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q1);
    sim.accept(a, q1, c);
    sim.disconnect(a);
    sim.advance_ms(59_999);
    assert_eq!(sim.queuing_info(c), QueuingInfo::InService, "the service outlives the drop while held");
    sim.drain();
    sim.advance_ms(1);
    let out = sim.drain();
    let statuses = agent_statuses(&out);
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(
        (statuses[0].0.as_str(), statuses[0].1, statuses[0].2),
        ("a", AgentStatus::LoggedOut, EventSource::System)
    );
    assert_eq!(ended_sessions(&out), vec![(a, SessionEnd::HoldExpired)]);
    assert!(notices_for(&out, c).contains(&Notice::ServiceFinished {
        queue: q1,
        agent_id: "a".into(),
        customer_id: "c".into(),
        reason: ServiceEnd::AgentLeft,
    }));
    assert_eq!(sim.queuing_info(c), QueuingInfo::NotQueuing);
    assert_eq!(sim.engine.queue_status(q1).unwrap().agent_num, 0);
    assert_eq!(sim.engine.queue_status(q2).unwrap().agent_num, 0);
    assert!(sim.engine.agents(APP).is_empty());
}

#[test]
fn rule09_login_while_held_resumes_the_same_session() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (c1, c2) = (sim.customer("c1"), sim.customer("c2"));
    sim.start_queuing(c1, q);
    sim.start_queuing(c2, q);
    sim.disconnect(c1);
    sim.advance(45);
    let reply = sim.try_login_in(APP, "c1", "c1", customer_roles()).unwrap();
    assert_eq!(reply, Reply::LoggedIn { session: c1, resumed: true });
    assert_eq!(sim.position(c1), (q, 0));
    assert!(sim.engine.session_view(c1).unwrap().online);
    // The hold is over: no drop later.
    sim.advance(120);
    assert_eq!(sim.position(c1), (q, 0));
    assert!(ended_sessions(&sim.drain()).is_empty());
    // A new user gets a new session.
    let reply = sim.try_login_in(APP, "c3", "c3", customer_roles()).unwrap();
    assert!(matches!(reply, Reply::LoggedIn { resumed: false, session } if session != c1 && session != c2));
}

#[test]
fn rule09_login_after_the_session_ended_starts_afresh() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.disconnect(c);
    sim.advance(61);
    let reply = sim.try_login_in(APP, "c", "c", customer_roles()).unwrap();
    match reply {
        Reply::LoggedIn { session, resumed } => {
            assert!(!resumed);
            assert_ne!(session, c);
            assert_eq!(sim.queuing_info(session), QueuingInfo::NotQueuing);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rule09_zero_hold_ends_the_session_at_once() {
    let mut sim = Sim::with_settings(AppSettings { hold_s: 0, ..AppSettings::default() });
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.drain();
    sim.disconnect(c);
    let out = sim.drain();
    assert_eq!(queue_changes(&out), vec![(q, "c".to_string(), QueueChangeKind::Dropped)]);
    assert_eq!(ended_sessions(&out), vec![(c, SessionEnd::HoldExpired)]);
    assert_eq!(sim.engine.session_count(), 0);
}

#[test]
fn rule09_customer_in_service_past_hold_ends_the_service() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (a, c) = (sim.agent("a"), sim.customer("c"));
    sim.start_service(a, q, 0);
    sim.start_queuing(c, q);
    sim.accept(a, q, c);
    sim.disconnect(c);
    sim.drain();
    sim.advance(60);
    let out = sim.drain();
    assert!(notices_for(&out, a).contains(&Notice::ServiceFinished {
        queue: q,
        agent_id: "a".into(),
        customer_id: "c".into(),
        reason: ServiceEnd::CustomerLeft,
    }));
    assert!(queue_changes(&out).is_empty(), "it was not queuing any more");
    assert_eq!(ended_sessions(&out), vec![(c, SessionEnd::HoldExpired)]);
    assert!(sim.engine.agents(APP)[0].serving_customers.is_empty());
}

#[test]
fn rule09_logout_of_an_agent_hands_its_offer_on() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let (a1, a2) = (sim.agent("a1"), sim.agent("a2"));
    sim.start_service(a1, q, 0);
    sim.start_service(a2, q, 1);
    let c = sim.customer("c");
    sim.start_queuing(c, q); // a1
    sim.drain();
    sim.logout(a1);
    let out = sim.drain();
    assert_eq!(offered_ids(&out, a2), vec!["c"]);
    assert_eq!(ended_sessions(&out), vec![(a1, SessionEnd::Logout)]);
    assert_eq!(agent_statuses(&out), vec![("a1".to_string(), AgentStatus::LoggedOut, EventSource::Sdk, vec![q])]);
    assert_eq!(sim.req(a1, Request::ReqAssignUser).unwrap_err().code(), 12);
}

#[test]
fn rule09_logout_of_a_waiting_customer_leaves_by_choice() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.drain();
    sim.logout(c);
    let out = sim.drain();
    assert_eq!(queue_changes(&out), vec![(q, "c".to_string(), QueueChangeKind::LeftByChoice)]);
    assert_eq!(acd_states(&out)[0].end_reason, Some(EndReason::Cancel));
    assert_eq!(ended_sessions(&out), vec![(c, SessionEnd::Logout)]);
}

#[test]
fn rule11_logout_reports_every_queue_the_agent_left() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("one", 5), sim.queue("two", 5));
    let a = sim.agent("a");
    sim.start_service(a, q1, 0);
    sim.start_service(a, q2, 0);
    sim.drain();
    sim.input(lineup_engine::Input::Logout { session: a }).unwrap();
    let out = sim.drain();
    assert_eq!(agent_statuses(&out), vec![("a".into(), AgentStatus::LoggedOut, EventSource::Sdk, vec![q1, q2])]);
}

/// A server restart (`ServerRestarted` after replaying the journal): everyone online is
/// dropped as of the stop, held from the restart, and resumes where it stood.
#[test]
fn rule09_server_restart_holds_everyone_from_the_restart_and_keeps_places() {
    let mut sim = Sim::new();
    let (q1, q2) = (sim.queue("q1", 5), sim.queue("q2", 5));
    let (a1, a2) = (sim.agent("a1"), sim.agent("a2"));
    sim.start_service(a1, q1, 3);
    sim.dnd(a2, true);
    sim.start_service(a2, q2, 7);
    sim.capacity(a2, 3);
    let cs: Vec<_> = (0..4).map(|i| sim.customer(&format!("c{i}"))).collect();
    for c in &cs[..3] {
        sim.start_queuing(*c, q1); // c0 is offered to a1
    }
    sim.start_queuing(cs[3], q2);
    let m = sim.create_meeting(a2, "room", "");
    let call = sim.call(a2, cs[3], m.id, "");
    sim.accept_call(cs[3], &call, "");
    sim.drain();
    let before: Vec<_> = cs.iter().map(|c| sim.queuing_info(*c)).collect();

    // Down for 50 s (longer than the 30 s offer timeout), then restarted.
    sim.advance_ms(0);
    let stop = sim.now;
    sim.now = stop.plus_secs(50);
    sim.input(lineup_engine::Input::ServerRestarted).unwrap();
    let out = sim.drain();
    assert_eq!(
        notices_for(&out, a1),
        vec![Notice::CancelAssignUser { queue: q1, user_id: "c0".into(), reason: CancelReason::AgentOffline }],
        "the pending offer went back to the head at the stop, not by timeout"
    );
    assert!(ended_sessions(&out).is_empty() && queue_changes(&out).is_empty(), "nobody left: {out:?}");
    for s in [a1, a2].iter().chain(&cs) {
        assert!(!sim.engine.session_view(*s).unwrap().online, "held");
    }
    // Held for the whole hold time counted from the restart.
    sim.advance(59);
    assert!(ended_sessions(&sim.drain()).is_empty());
    for s in [a1, a2].iter().chain(&cs) {
        sim.reconnect(*s);
    }
    let after: Vec<_> = cs.iter().map(|c| sim.queuing_info(*c)).collect();
    for (b, a) in before.iter().zip(&after) {
        match (b, a) {
            (QueuingInfo::Queuing { queue: q, position: p, .. }, QueuingInfo::Queuing { queue: q2, position: p2, .. }) => {
                assert_eq!((q, p), (q2, p2))
            }
            (b, a) => assert_eq!(b, a),
        }
    }
    let view = sim.engine.agents(APP).into_iter().find(|v| v.user_id == "a2").unwrap();
    assert!(view.dnd && view.capacity == 3 && view.serving == vec![(q2, 7)], "{view:?}");
    assert!(sim.session_info(cs[3]).accepted, "the call is still connected");
    assert_eq!(offered_ids(&sim.drain(), a1), vec!["c0"], "the head is offered again once the agent is back");
}

#[test]
fn rule09_a_session_not_back_within_the_hold_after_a_restart_ends() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 5);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.drain();
    sim.now = sim.now.plus_secs(5);
    sim.input(lineup_engine::Input::ServerRestarted).unwrap();
    sim.advance(60);
    let out = sim.drain();
    assert_eq!(ended_sessions(&out), vec![(c, SessionEnd::HoldExpired)]);
    assert_eq!(queue_changes(&out).len(), 1, "one 504/100 for the customer who did not come back");
}
