//! Callbacks: a waiting customer asks to be called back and keeps its place without a
//! live session: offered while offline (agents see the number), `taken` when an agent
//! takes it, `expired` (504/105) when nobody did in time; kept across a forward and a
//! restart; refused when not queuing or with a bad number.

mod common;

use common::*;
use lineup_engine::{
    AgentPolicy, CallbackState, Engine, EventKind, Input, Notice, Output, QueueChangeKind, Request, SessionId,
};

fn callback(sim: &mut Sim, sid: SessionId, number: &str) -> Result<(), lineup_engine::AcdError> {
    sim.req(sid, Request::RequestCallback { number: number.into() }).map(|_| ())
}

/// The callback events and queue changes of the outputs.
fn events(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => match &e.kind {
                EventKind::Callback { user_id, number, agent, state, .. } => {
                    Some(format!("callback {} {user_id} {number} {}", state.name(), agent.as_deref().unwrap_or("-")))
                }
                EventKind::QueueChange { user_id, change, .. } => {
                    Some(format!("{:?} {user_id} {change:?}", change.codes()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn a_callback_customer_is_offered_while_offline_and_the_agent_sees_the_number() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 1);
    let c = sim.customer("carl");
    sim.start_queuing(c, q);
    callback(&mut sim, c, "+86 138 0000 0000").unwrap();
    assert_eq!(events(&sim.drain()).last().unwrap(), "callback requested carl +86 138 0000 0000 -");
    // The page closes: the place is kept past the hold time (60 s).
    sim.disconnect(c);
    sim.advance(600);
    assert!(sim.engine.callback_of(c).is_some(), "still waiting for its callback");
    // An agent comes: it is offered the customer, with the number.
    let a = sim.agent("anna");
    sim.start_service(a, q, 0);
    let offered = sim.drain().into_iter().find_map(|o| match o {
        Output::Notify { session, notice: Notice::AutoAssignUser(u) } if session == a => Some(u),
        _ => None,
    });
    assert_eq!(offered.expect("offered while offline").callback.as_deref(), Some("+86 138 0000 0000"));
    sim.accept(a, q, c);
    let ev = events(&sim.drain());
    assert!(ev.contains(&"callback taken carl +86 138 0000 0000 anna".to_string()), "{ev:?}");
    assert!(sim.engine.callback_of(c).is_none());
}

#[test]
fn an_unanswered_callback_expires_with_504_105_and_its_session_ends() {
    let mut sim = Sim::new();
    let policy = AgentPolicy { callback_expiry_s: 120, ..AgentPolicy::default() };
    sim.input(Input::PutAgentPolicy { app: APP.into(), policy }).unwrap();
    let q = sim.queue("q", 1);
    let c = sim.customer("carl");
    sim.start_queuing(c, q);
    callback(&mut sim, c, "").unwrap();
    sim.disconnect(c);
    sim.drain();
    sim.advance(119);
    assert!(sim.engine.callback_of(c).is_some());
    sim.advance(1);
    let ev = events(&sim.drain());
    assert_eq!(ev, ["callback expired carl  -", "(504, 105) carl CallbackExpired"]);
    assert_eq!(QueueChangeKind::CallbackExpired.codes(), (504, 105));
    sim.advance(1);
    assert!(sim.engine.session_view(c).is_none(), "held until just past the expiry, then ended");
}

#[test]
fn a_callback_survives_a_forward_and_a_restart() {
    let mut sim = Sim::new();
    let q1 = sim.queue("q1", 1);
    let q2 = sim.queue("q2", 1);
    let c = sim.customer("carl");
    sim.start_queuing(c, q1);
    callback(&mut sim, c, "555-0100").unwrap();
    sim.disconnect(c);
    sim.input(Input::ForwardUser { app: APP.into(), queue: q1, user_id: "carl".into(), to_queue: q2 }).unwrap();
    assert_eq!(sim.engine.callback_of(c).map(|cb| cb.number.to_string()), Some("555-0100".into()), "kept by the move");
    let mut restored = Engine::restore(&sim.engine.snapshot()).expect("restores");
    restored.check_invariants().unwrap();
    assert_eq!(restored.callback_of(c), sim.engine.callback_of(c));
    let t = sim.now.plus_secs(30);
    restored.handle(t, Input::ServerRestarted).unwrap();
    restored.check_invariants().unwrap();
    assert!(restored.callback_of(c).is_some(), "held across the restart past the hold time");
}

#[test]
fn a_callback_is_refused_when_not_queuing_or_with_a_bad_number_and_ends_with_the_wait() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 1);
    let c = sim.customer("carl");
    assert_eq!(callback(&mut sim, c, "123").unwrap_err().code(), 401, "not queuing (as StopQueuing)");
    sim.start_queuing(c, q);
    for bad in ["call me", "<script>", "12345678901234567890123456789012345", "+-()"] {
        let e = callback(&mut sim, c, bad).unwrap_err();
        assert!(e.to_string().starts_with("invalid number: "), "{bad}: {e}");
    }
    let agent_only = sim.agent("anna");
    assert_eq!(callback(&mut sim, agent_only, "123").unwrap_err().code(), 30, "customers only");
    callback(&mut sim, c, "123").unwrap();
    // Leaving the queue ends the callback without an event of its own.
    sim.drain();
    sim.stop_queuing(c);
    assert_eq!(events(&sim.drain()), ["(504, 0) carl LeftByChoice"]);
    assert!(sim.engine.callback_of(c).is_none());
    let _ = CallbackState::Requested;
}

#[test]
fn a_callback_customer_coming_back_while_offered_keeps_that_one_offer() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 1);
    let c = sim.customer("carl");
    sim.start_queuing(c, q);
    callback(&mut sim, c, "555-0100").unwrap();
    sim.disconnect(c);
    let a = sim.agent("anna");
    let b = sim.agent("bert");
    sim.start_service(a, q, 0);
    sim.drain();
    // Offered to anna while away; the page comes back: no second offer (to bert).
    sim.start_service(b, q, 0);
    sim.reconnect(c);
    let offers: Vec<SessionId> = sim
        .drain()
        .into_iter()
        .filter_map(|o| match o {
            Output::Notify { session, notice: Notice::AutoAssignUser(_) } => Some(session),
            _ => None,
        })
        .collect();
    assert!(offers.is_empty(), "{offers:?}");
    sim.accept(a, q, c);
}
