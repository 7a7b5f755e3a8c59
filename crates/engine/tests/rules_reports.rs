//! Reports: per queue and per agent figures over 15-minute intervals aligned to the
//! clock, one event per app when an interval ends; agents' time split exactly at the
//! edges; the open interval survives a restart; an idle engine keeps no deadline.

mod common;

use common::*;
use lineup_engine::{
    AgentState, AppSettings, Engine, EventKind, IntervalReport, Output, Request, Time, REPORT_INTERVAL_MS,
};

fn intervals(out: &[Output]) -> Vec<IntervalReport> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) if e.app.as_ref() == APP => match &e.kind {
                EventKind::Interval(r) => Some((**r).clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Moves the sim to the next interval edge.
fn to_edge(sim: &mut Sim) -> Time {
    let edge = Time::from_millis((sim.now.as_millis() / REPORT_INTERVAL_MS + 1) * REPORT_INTERVAL_MS);
    sim.advance_to(edge);
    edge
}

fn secs(state_ms: [u64; 6], state: AgentState) -> u64 {
    state_ms[state as usize] / 1000
}

#[test]
fn a_queue_interval_counts_its_customers_waits_and_services() {
    let mut sim =
        Sim::with_settings(AppSettings { service_level_s: 20, offer_timeout_s: 600, ..AppSettings::default() });
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let b0 = to_edge(&mut sim);
    sim.drain();
    let c1 = sim.customer("c1");
    sim.start_queuing(c1, q);
    sim.advance(10);
    sim.accept(a, q, c1); // waited 10 s: within the service level
    let c2 = sim.customer("c2");
    sim.start_queuing(c2, q);
    sim.advance(10);
    let c3 = sim.customer("c3");
    sim.start_queuing(c3, q);
    sim.advance(30);
    sim.stop_queuing(c3); // abandoned after 30 s
    sim.advance(20);
    sim.finish(a, q, c1); // served for 60 s; c2 is offered now
    sim.advance(30);
    sim.accept(a, q, c2); // waited 90 s
    sim.advance(300);
    sim.finish(a, q, c2); // served for 300 s
    assert!(intervals(&sim.drain()).is_empty(), "nothing before the edge");
    let edge = to_edge(&mut sim);
    assert_eq!(edge, b0.plus_millis(REPORT_INTERVAL_MS));
    let got = intervals(&sim.drain());
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!((r.start, r.end), (b0, edge));
    assert_eq!(r.queues.len(), 1);
    let qi = &r.queues[0];
    assert_eq!(qi.queue, q);
    assert_eq!(
        (qi.offered, qi.answered, qi.answered_within_sl, qi.abandoned, qi.timed_out, qi.forwarded),
        (3, 2, 1, 1, 0, 0)
    );
    assert_eq!((qi.wait_ms_answered, qi.longest_wait_ms), (100_000, 90_000));
    assert_eq!((qi.handled, qi.handle_ms), (2, 360_000));
    let ai = &r.agents[0];
    assert_eq!(ai.user_id.to_string(), "a");
    assert_eq!((ai.offers, ai.answered, ai.missed, ai.handled, ai.handle_ms), (2, 2, 0, 2, 360_000));
    assert_eq!(secs(ai.state_ms, AgentState::Busy), 360);
    assert_eq!(secs(ai.state_ms, AgentState::Idle), 540);
    assert_eq!(
        ai.state_ms.iter().sum::<u64>(),
        REPORT_INTERVAL_MS,
        "every millisecond of the interval is in one state"
    );
}

#[test]
fn agent_time_is_split_exactly_at_the_edges_and_by_reason() {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 5, ..AppSettings::default() });
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    let b0 = to_edge(&mut sim);
    sim.drain();
    sim.advance(300);
    sim.ok(a, Request::SetDndType { dnd_type: 2 });
    sim.advance(700); // 100 s into the next interval
    sim.ok(a, Request::SetDndType { dnd_type: 3 });
    sim.advance(200);
    sim.ok(a, Request::SetDndType { dnd_type: 0 });
    // A customer offered and not answered: a missed offer.
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(5);
    let b2 = b0.plus_millis(2 * REPORT_INTERVAL_MS);
    sim.advance_to(b2);
    let got = intervals(&sim.drain());
    assert_eq!(got.len(), 2, "{got:?}");
    let first = &got[0].agents[0];
    assert_eq!((secs(first.state_ms, AgentState::Idle), secs(first.state_ms, AgentState::NotReady)), (300, 600));
    assert_eq!(first.reason_ms.iter().map(|(k, v)| (*k, v / 1000)).collect::<Vec<_>>(), [(2, 600)]);
    let second = &got[1];
    assert_eq!(second.start, b0.plus_millis(REPORT_INTERVAL_MS));
    let a2 = &second.agents[0];
    assert_eq!(secs(a2.state_ms, AgentState::NotReady), 300);
    assert_eq!(a2.reason_ms.iter().map(|(k, v)| (*k, v / 1000)).collect::<Vec<_>>(), [(2, 100), (3, 200)]);
    assert_eq!(a2.state_ms.iter().sum::<u64>(), REPORT_INTERVAL_MS);
    assert!(a2.missed >= 1 && a2.offers >= 1, "{a2:?}");
    assert_eq!(second.queues[0].offered, 1);
}

#[test]
fn sessions_of_one_agent_add_up_and_an_idle_engine_keeps_no_deadline() {
    let mut sim = Sim::new();
    let q = sim.queue("q", 1);
    let b0 = to_edge(&mut sim);
    assert_eq!(sim.engine.poll_timeout(), None, "nothing to count: no deadline");
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    sim.advance(60);
    sim.logout(a);
    sim.advance(60);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    sim.advance(120);
    sim.logout(a);
    let open = sim.engine.open_interval(APP).expect("an open interval");
    assert_eq!(open.start, b0);
    assert_eq!(secs(open.agents[0].state_ms, AgentState::Idle), 180, "{open:?}");
    to_edge(&mut sim);
    let got = intervals(&sim.drain());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].agents.len(), 1, "one row per agent, not per session");
    assert_eq!(secs(got[0].agents[0].state_ms, AgentState::Idle), 180);
    assert_eq!(sim.engine.poll_timeout(), None, "no agent logged in, nothing open: no deadline");
    assert!(sim.engine.open_interval(APP).is_none());
}

#[test]
fn the_open_interval_survives_a_restart() {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 600, ..AppSettings::default() });
    let q = sim.queue("q", 1);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    to_edge(&mut sim);
    let c = sim.customer("c");
    sim.start_queuing(c, q);
    sim.advance(40);
    sim.accept(a, q, c);
    sim.advance(100);
    sim.ok(a, Request::SetDndType { dnd_type: 7 });
    sim.advance(50);
    let before = sim.engine.open_interval(APP);
    let mut restored = Engine::restore(&sim.engine.snapshot()).expect("restores");
    assert_eq!(restored.open_interval(APP), before);
    // Both reach the edge: the same report.
    let edge = Time::from_millis((sim.now.as_millis() / REPORT_INTERVAL_MS + 1) * REPORT_INTERVAL_MS);
    restored.handle_timeout(edge);
    let mut from_restored = Vec::new();
    while let Some(o) = restored.poll_output() {
        from_restored.push(o);
    }
    sim.drain();
    sim.advance_to(edge);
    assert_eq!(intervals(&from_restored), intervals(&sim.drain()));
    assert_eq!(intervals(&from_restored)[0].queues[0].answered, 1);
}
