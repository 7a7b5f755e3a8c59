//! The wallboard: supervisors only; a frame at once, then at most one per interval and
//! only after a change; queue figures with the agents the load needs (Erlang C).

mod common;

use common::*;
use lineup_engine::{AgentPolicy, AgentState, AppSettings, Input, Notice, Output, Request, Time, Wallboard};

fn frames(out: &[Output], sid: lineup_engine::SessionId) -> Vec<Wallboard> {
    out.iter()
        .filter_map(|o| match o {
            Output::Notify { session, notice: Notice::Wallboard(w) } if *session == sid => Some((**w).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn supervisors_get_a_frame_at_once_then_at_most_one_per_interval_after_changes() {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 30, ..AppSettings::default() });
    let q = sim.queue("q", 1);
    let agent = sim.agent("a");
    assert_eq!(sim.fail(agent, Request::SubscribeWallboard).code(), 30, "supervisors only");
    let boss = sim.login("boss", supervisor_roles());
    sim.ok(boss, Request::SubscribeWallboard);
    let first = frames(&sim.drain(), boss);
    assert_eq!(first.len(), 1, "a frame at once");
    assert_eq!(first[0].queues[0].queue, q);
    assert!(first[0].full, "the first frame is whole");
    // Three changes in one instant: one frame (the first change of a quiet board goes out).
    sim.advance(5);
    sim.start_service(agent, q, 0);
    let c1 = sim.customer("c1");
    sim.start_queuing(c1, q);
    let c2 = sim.customer("c2");
    sim.start_queuing(c2, q);
    let out = frames(&sim.drain(), boss);
    assert_eq!(out.len(), 1, "{out:?}");
    // The rest comes when the interval has passed, as one frame with the latest figures.
    sim.advance(1);
    let out = frames(&sim.drain(), boss);
    assert_eq!(out.len(), 1);
    let w = &out[0];
    assert_eq!((w.queues[0].waiting, w.queues[0].agents), (2, [1, 0, 0, 0, 0]), "{w:?}");
    // Later frames carry no agents: their changes came as AgentStatusChanged.
    assert!(!w.full && w.agents.is_empty(), "{w:?}");
    assert_eq!(
        sim.engine
            .wallboard_of(APP)
            .unwrap()
            .agents
            .iter()
            .map(|a| (a.user_id.to_string(), a.state))
            .collect::<Vec<_>>(),
        [("a".to_string(), AgentState::Idle)]
    );
    // Nothing changes: nothing is sent.
    sim.advance(10);
    assert!(frames(&sim.drain(), boss).is_empty());
    sim.ok(boss, Request::UnsubscribeWallboard);
    sim.stop_queuing(c2);
    sim.advance(2);
    assert!(frames(&sim.drain(), boss).is_empty(), "unsubscribed");
}

#[test]
fn the_figures_include_the_agents_the_load_needs() {
    let mut sim = Sim::with_settings(AppSettings { service_level_s: 20, ..AppSettings::default() });
    let q = sim.queue("q", 1);
    let agent = sim.agent("a");
    sim.start_service(agent, q, 0);
    // Customers every 18 s, each served for 180 s by the one agent: 10 erlangs.
    for i in 0..20 {
        let c = sim.customer(&format!("c{i}"));
        sim.start_queuing(c, q);
        sim.accept(agent, q, c);
        sim.advance(18);
        sim.finish(agent, q, c);
    }
    let w = sim.engine.wallboard_of(APP).expect("the app");
    let qf = &w.queues[0];
    let per_hour = qf.arrivals_per_hour.unwrap();
    assert!((per_hour - 200.0).abs() < 1.0, "{per_hour}");
    assert!((qf.avg_handle_s.unwrap() - 18.0).abs() < 0.5, "{qf:?}");
    // 200 an hour × 18 s = 1 erlang: 80 % within 20 s needs 2 agents.
    assert_eq!(qf.agents_needed, lineup_engine::agents_needed(per_hour, qf.avg_handle_s.unwrap(), 0.8, 20.0));
    assert_eq!(qf.agents_needed, Some(2));
    // The app's own target: 99 % within 20 s needs more.
    let policy = AgentPolicy { service_level_target_pct: 99, ..AgentPolicy::default() };
    sim.input(Input::PutAgentPolicy { app: APP.into(), policy }).unwrap();
    let qf = sim.engine.wallboard_of(APP).unwrap().queues[0].clone();
    assert_eq!(qf.agents_needed, lineup_engine::agents_needed(per_hour, qf.avg_handle_s.unwrap(), 0.99, 20.0));
    assert!(qf.agents_needed.unwrap() > 2, "{qf:?}");
    let bad = AgentPolicy { service_level_target_pct: 100, ..AgentPolicy::default() };
    assert_eq!(sim.input(Input::PutAgentPolicy { app: APP.into(), policy: bad }).unwrap_err().code(), 5);
}

#[test]
fn the_figures_are_today_s_and_start_again_at_the_app_s_midnight() {
    let mut sim = Sim::new();
    // UTC+8: the app's day ends at 16:00 UTC.
    let policy = AgentPolicy { utc_offset_min: 480, ..AgentPolicy::default() };
    sim.input(Input::PutAgentPolicy { app: APP.into(), policy }).unwrap();
    let off = AgentPolicy { utc_offset_min: 7, ..AgentPolicy::default() };
    assert_eq!(
        sim.input(Input::PutAgentPolicy { app: APP.into(), policy: off }).unwrap_err().code(),
        5,
        "not a multiple of 15"
    );
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(4);
    sim.accept(a, q, c);
    let d = sim.customer("d");
    sim.start_queuing(d, q);
    sim.stop_queuing(d);
    sim.advance(30);
    sim.finish(a, q, c);
    let w = sim.engine.wallboard_of(APP).unwrap();
    assert_eq!((w.queues[0].served, w.queues[0].abandoned, w.queues[0].avg_wait_s), (1, 1, 4.0));
    assert_eq!(w.queues[0].avg_handle_s_today, Some(30.0));
    assert_eq!(w.agents[0].served_today, 1);
    // To the next local midnight (16:00 UTC): a new day, nothing yet.
    let day = 86_400_000u64;
    let local = sim.now.as_millis() + 8 * 3_600_000;
    let midnight = (local / day + 1) * day - 8 * 3_600_000;
    sim.advance_to(Time::from_millis(midnight - 1));
    assert_eq!(sim.engine.wallboard_of(APP).unwrap().queues[0].served, 1, "still the same day");
    sim.advance_to(Time::from_millis(midnight));
    let w = sim.engine.wallboard_of(APP).unwrap();
    assert_eq!((w.queues[0].served, w.queues[0].abandoned, w.queues[0].service_level), (0, 0, 1.0));
    assert_eq!(w.queues[0].avg_handle_s_today, None);
    assert_eq!(w.agents[0].served_today, 0);
    // The queue's totals since it was made are still in its statistics.
    assert_eq!(sim.engine.queue_stats(q).unwrap().served, 1);
}
