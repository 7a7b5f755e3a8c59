//! Agent states with reasons: the app's table of reasons, manual pulls per reason,
//! the auto-pause after missed offers, AgentStatusChanged to the agent and the
//! supervisors once per step, and the time counted in each state and reason.

mod common;

use common::*;
use lineup_engine::{
    AcdError, AgentPolicy, AgentReason, AgentState, AgentStateView, AppSettings, Engine, Input, Notice, Output, Request,
    NO_ANSWER,
};

fn reason(code: u32, label: &str, manual_pulls: bool) -> AgentReason {
    AgentReason { code, label: label.into(), manual_pulls }
}

fn policy(sim: &mut Sim, reasons: Vec<AgentReason>, max_missed_offers: u16) -> Result<(), AcdError> {
    sim.input(Input::PutAgentPolicy { app: APP.into(), policy: AgentPolicy { reasons, max_missed_offers, ..AgentPolicy::default() } }).map(|_| ())
}

fn set_reason(sim: &mut Sim, agent: lineup_engine::SessionId, code: u32) -> Result<(), AcdError> {
    sim.req(agent, Request::SetDndType { dnd_type: code }).map(|_| ())
}

/// The AgentStatusChanged notices of `session` in `out`.
fn told(out: &[Output], session: lineup_engine::SessionId) -> Vec<AgentStateView> {
    out.iter()
        .filter_map(|o| match o {
            Output::Notify { session: s, notice: Notice::AgentStatusChanged(v) } if *s == session => Some((**v).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn without_a_table_any_code_is_a_reason_and_allows_manual_pulls() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    set_reason(&mut sim, a, 42).unwrap();
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    assert!(sim.drain().iter().all(|o| !matches!(o, Output::Notify { notice: Notice::AutoAssignUser(_), .. })), "not offered");
    sim.req_assign(a);
    let e = set_reason(&mut sim, a, NO_ANSWER).unwrap_err();
    assert_eq!((e.code(), e.to_string().as_str()), (5, "invalid DNDStatus: 1000 is reserved for the no-answer pause the server sets"));
}

#[test]
fn with_a_table_only_its_codes_0_and_1_are_accepted() {
    let mut sim = Sim::new();
    policy(&mut sim, vec![reason(2, "Break", false), reason(3, "Lunch", false)], 0).unwrap();
    let a = sim.agent("a");
    for code in [0, 1, 2, 3, 0] {
        set_reason(&mut sim, a, code).unwrap();
    }
    let e = set_reason(&mut sim, a, 7).unwrap_err();
    assert_eq!(e.code(), 5);
    assert_eq!(e.to_string(), "invalid DNDStatus: 7 is not a reason of this app (0 available, 1 Manual, 2 Break, 3 Lunch)");
    assert_eq!(sim.engine.agent_state_view(a).unwrap().reason, 0, "unchanged");
}

#[test]
fn a_table_is_checked_entry_by_entry() {
    let mut sim = Sim::new();
    let cases: Vec<(Vec<AgentReason>, &str)> = vec![
        (vec![reason(1000, "Paused", false)], "invalid DNDType: 1000 is not a reason code: reasons use 1 to 9999, but 1000 (the no-answer pause the server sets)"),
        (vec![reason(0, "Ready", false)], "invalid DNDType: 0 is not a reason code: reasons use 1 to 9999, but 1000 (the no-answer pause the server sets)"),
        (vec![reason(2, "Break", false), reason(2, "Pause", false)], "invalid DNDType: 2 appears twice"),
        (vec![reason(2, "", false)], "invalid label: reason 2: 0 characters, must be 1 to 32 (not only spaces)"),
        (vec![reason(2, &"x".repeat(33), false)], "invalid label: reason 2: 33 characters, must be 1 to 32 (not only spaces)"),
        (vec![reason(2, "<b>Break</b>", false)], "invalid label: reason 2: must be plain text (no control characters, '<' or '>')"),
        (vec![reason(2, "Break", false), reason(3, "Break", true)], "invalid label: reason 3: 'Break' is already the label of reason 2"),
        (vec![reason(1, "Manual", false)], "invalid manualPulls: reason 1 is CloudRoom's manual mode: it always allows ReqAssignUser"),
    ];
    for (reasons, msg) in cases {
        let e = policy(&mut sim, reasons, 0).unwrap_err();
        assert_eq!((e.code(), e.to_string().as_str()), (5, msg));
    }
    let e = policy(&mut sim, vec![], 101).unwrap_err();
    assert_eq!(e.to_string(), "invalid maxMissedOffers: 101 is outside 0..=100");
    let many: Vec<AgentReason> = (2..=66).map(|c| reason(c, &format!("r{c}"), false)).collect();
    assert_eq!(policy(&mut sim, many, 0).unwrap_err().to_string(), "invalid reasons: 65 entries, at most 64");
}

#[test]
fn manual_pulls_follow_each_reason() {
    let mut sim = Sim::new();
    policy(&mut sim, vec![reason(2, "Lunch", false), reason(3, "Training", true)], 1).unwrap();
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    sim.capacity(a, 5);
    // Manual mode and a reason that allows pulls: ReqAssignUser works.
    set_reason(&mut sim, a, 1).unwrap();
    sim.queuing(q, &["c1", "c2", "c3"]);
    sim.req_assign(a);
    set_reason(&mut sim, a, 3).unwrap();
    sim.req_assign(a);
    // Lunch does not.
    set_reason(&mut sim, a, 2).unwrap();
    let e = sim.fail(a, Request::ReqAssignUser);
    assert_eq!((e.code(), e.to_string().as_str()), (408, "not ready (2 Lunch): this reason does not allow taking customers; set DNDStatus 0 or a reason that allows it"));
    let e = sim.fail(a, Request::ReqAssignUser2 { queue: q, user_id: "c3".into() });
    assert_eq!(e.code(), 408, "nor a chosen customer");
}

#[test]
fn auto_pause_counts_only_consecutive_time_outs() {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 10, reoffer_delay_s: 0, ..AppSettings::default() });
    policy(&mut sim, vec![], 3).unwrap();
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let cs = sim.queuing(q, &["c1", "c2"]);
    // Two time-outs, then an accept: the run ends.
    sim.advance(10);
    sim.advance(10);
    assert_eq!(sim.engine.agent_state_view(a).unwrap().missed, 2);
    let offered = sim.drain().iter().rev().find_map(|o| match o {
        Output::Notify { notice: Notice::AutoAssignUser(u), .. } => Some(u.user_id.clone()),
        _ => None,
    });
    let offered = offered.expect("offered again");
    let c = if offered == "c1" { cs[0] } else { cs[1] };
    sim.accept(a, q, c);
    assert_eq!(sim.engine.agent_state_view(a).unwrap().missed, 0, "an accept ends the run");
    sim.finish(a, q, c);
    // Three in a row: paused, told why, and not offered any more.
    sim.drain();
    for _ in 0..3 {
        sim.advance(10);
    }
    let out = sim.drain();
    let view = sim.engine.agent_state_view(a).unwrap();
    assert_eq!((view.state, view.reason, &*view.label, view.missed), (AgentState::NotReady, NO_ANSWER, "No answer", 3));
    let to_agent = told(&out, a);
    assert_eq!(to_agent.last().map(|v| (v.state, v.reason)), Some((AgentState::NotReady, NO_ANSWER)));
    assert!(out.iter().any(|o| matches!(o, Output::Event(e) if matches!(&e.kind, lineup_engine::EventKind::AgentReason { reason: NO_ANSWER, source: lineup_engine::EventSource::System, .. }))));
    sim.advance(60);
    assert!(sim.drain().iter().all(|o| !matches!(o, Output::Notify { notice: Notice::AutoAssignUser(_), .. })), "a paused agent is not offered");
    // It stays there across a reconnect, and cannot pull customers, until it sets itself free.
    sim.disconnect(a);
    sim.reconnect(a);
    assert_eq!(sim.engine.agent_state_view(a).unwrap().reason, NO_ANSWER);
    assert_eq!(sim.fail(a, Request::ReqAssignUser).code(), 408);
    set_reason(&mut sim, a, 0).unwrap();
    assert!(sim.drain().iter().any(|o| matches!(o, Output::Notify { notice: Notice::AutoAssignUser(_), .. })), "offered again");
    assert_eq!(sim.engine.agent_state_view(a).unwrap().missed, 0);
}

#[test]
fn time_outs_while_not_ready_keep_the_chosen_reason() {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 10, ..AppSettings::default() });
    policy(&mut sim, vec![reason(2, "Break", false)], 1).unwrap();
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    sim.queuing(q, &["c1"]);
    // Offered, then on a break: the offer stays and times out; the reason stays.
    set_reason(&mut sim, a, 2).unwrap();
    sim.advance(10);
    assert_eq!(sim.engine.agent_state_view(a).unwrap().reason, 2);
}

#[test]
fn agent_status_changed_goes_to_the_agent_and_online_supervisors_once_per_step() {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 10, ..AppSettings::default() });
    let sup = sim.login("sup", supervisor_roles());
    sim.ok(sup, Request::SubscribeWallboard);
    let away = sim.login("away", supervisor_roles());
    sim.ok(away, Request::SubscribeWallboard);
    sim.disconnect(away);
    // A supervisor that does not watch the wallboard is not told (a CloudRoom login
    // has every role, customers' too).
    let other = sim.login("other", supervisor_roles());
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.drain();
    sim.start_service(a, q, 0);
    let out = sim.drain();
    assert_eq!(told(&out, a).iter().map(|v| v.state).collect::<Vec<_>>(), [AgentState::Idle]);
    assert_eq!(told(&out, sup).len(), 1);
    assert!(told(&out, away).is_empty(), "a held supervisor is not told");
    assert!(told(&out, other).is_empty(), "only the wallboard's supervisors are told");
    // An offer and its accept in one step each: idle → busy once.
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.accept(a, q, c);
    let out = sim.drain();
    assert_eq!(told(&out, sup).iter().map(|v| v.state).collect::<Vec<_>>(), [AgentState::Busy]);
    sim.advance(5);
    sim.finish(a, q, c);
    let out = sim.drain();
    assert_eq!(told(&out, sup).iter().map(|v| v.state).collect::<Vec<_>>(), [AgentState::Idle]);
    // Its reason with the label; the time counted in each state adds up.
    policy(&mut sim, vec![reason(2, "Break", false)], 0).unwrap();
    sim.advance(2);
    set_reason(&mut sim, a, 2).unwrap();
    let out = sim.drain();
    let v = told(&out, sup).pop().unwrap();
    assert_eq!((v.state, v.reason, &*v.label, &*v.user_id), (AgentState::NotReady, 2, "Break", "a"));
    sim.advance(7);
    let v = sim.engine.agent_state_view(a).unwrap();
    assert_eq!(v.state_ms[AgentState::Busy as usize], 5_000);
    assert_eq!(v.state_ms[AgentState::NotReady as usize], 7_000);
    assert_eq!(v.reason_ms, [(2, 7_000)]);
    // The agent leaves: its supervisors see it logged out.
    sim.logout(a);
    let out = sim.drain();
    assert_eq!(told(&out, sup).iter().map(|v| v.state).collect::<Vec<_>>(), [AgentState::LoggedOut]);
}

#[test]
fn reasons_states_and_time_survive_a_restart() {
    let mut sim = Sim::new();
    policy(&mut sim, vec![reason(2, "Break", false)], 2).unwrap();
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    set_reason(&mut sim, a, 2).unwrap();
    sim.advance(3);
    let restored = Engine::restore(&sim.engine.snapshot()).unwrap();
    restored.check_invariants().unwrap();
    assert_eq!(restored.agent_state_view(a), sim.engine.agent_state_view(a));
    assert_eq!(restored.agent_policy(APP), sim.engine.agent_policy(APP));
    assert_eq!(restored.digest(), sim.engine.digest());
}

#[test]
fn a_change_from_one_reason_to_another_is_told_and_each_reason_gets_its_own_time() {
    let mut sim = Sim::new();
    policy(&mut sim, vec![reason(2, "Break", false), reason(3, "Lunch", false)], 0).unwrap();
    let sup = sim.login("sup", supervisor_roles());
    sim.ok(sup, Request::SubscribeWallboard);
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    set_reason(&mut sim, a, 2).unwrap();
    sim.advance(10);
    sim.drain();
    set_reason(&mut sim, a, 3).unwrap();
    let told_now = told(&sim.drain(), sup);
    assert_eq!(told_now.iter().map(|v| (v.state, v.reason)).collect::<Vec<_>>(), [(AgentState::NotReady, 3)]);
    sim.advance(5);
    set_reason(&mut sim, a, 0).unwrap();
    let v = sim.engine.agent_state_view(a).unwrap();
    assert_eq!(v.reason_ms, [(2, 10_000), (3, 5_000)]);
    assert_eq!(v.state_ms[AgentState::NotReady as usize], 15_000);
}

#[test]
fn a_takeover_tells_the_agent_its_state_and_drops_what_its_new_roles_do_not_allow() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    set_reason(&mut sim, a, 1).unwrap();
    sim.drain();
    // The same agent logs in again on another page while online: told where it stands.
    assert_eq!(sim.login("a", agent_roles()), a);
    let v = told(&sim.drain(), a);
    assert_eq!(v.iter().map(|v| (v.state, v.reason)).collect::<Vec<_>>(), [(AgentState::NotReady, 1)]);
    // A supervisor that logs in again as a customer only: no more wallboard frames.
    let s = sim.login("s", supervisor_roles());
    sim.ok(s, Request::SubscribeWallboard);
    assert_eq!(sim.login("s", customer_roles()), s);
    sim.drain();
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(2);
    assert!(
        sim.drain().iter().all(|o| !matches!(o, Output::Notify { session, notice: Notice::Wallboard(_) } if *session == s)),
        "a customer gets no wallboard"
    );
}
