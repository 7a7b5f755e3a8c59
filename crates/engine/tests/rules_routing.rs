//! Routing beyond first come, first served: overflow (a customer moves on after a time,
//! keeping its place in time; loops and long chains refused; an offered customer moves
//! only if its offer ends unanswered; a full target keeps it) and aging (waiting raises a
//! customer's effective priority across queues).

mod common;

use common::*;
use lineup_engine::{
    AppSettings, EventKind, Input, Notice, Output, QueueChangeKind, QueueDef, QueueId, QueueRouting, QueuingInfo,
};

fn route(sim: &mut Sim, queue: QueueId, routing: QueueRouting) -> Result<(), lineup_engine::AcdError> {
    sim.input(Input::PutQueueRouting { app: APP.into(), queue, routing }).map(|_| ())
}

fn overflow(after_s: u32, to: QueueId) -> QueueRouting {
    QueueRouting { overflow_after_s: after_s, overflow_to: Some(to), aging_s: 0 }
}

fn queue_of(sim: &Sim, sid: lineup_engine::SessionId) -> Option<QueueId> {
    match sim.engine.queuing_info(sid).ok()? {
        QueuingInfo::Queuing { queue, .. } => Some(queue),
        _ => None,
    }
}

#[test]
fn a_customer_overflows_after_the_time_keeping_its_place_in_time() {
    let mut sim = Sim::new();
    let sales = sim.queue("sales", 1);
    let backup = sim.queue("backup", 1);
    route(&mut sim, sales, overflow(60, backup)).unwrap();
    // Two customers already wait in the backup queue; one joined before ours.
    let early = sim.customer("early");
    sim.start_queuing(early, backup);
    sim.advance(10);
    let c = sim.customer("c");
    sim.start_queuing(c, sales);
    sim.advance(10);
    let late = sim.customer("late");
    sim.start_queuing(late, backup);
    sim.drain();
    sim.advance(49);
    assert_eq!(queue_of(&sim, c), Some(sales), "not yet");
    sim.advance(1);
    assert_eq!(queue_of(&sim, c), Some(backup), "moved after 60 s");
    let out = sim.drain();
    // Told with the new queue; ahead of the customer who joined the backup queue later.
    assert!(out.iter().any(|o| matches!(o, Output::Notify { session, notice: Notice::QueuingInfoChanged(QueuingInfo::Queuing { queue, position: 1, .. }) } if *session == c && *queue == backup)), "{out:?}");
    let changes: Vec<(QueueId, QueueChangeKind)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(e) => match &e.kind {
                EventKind::QueueChange { queue, change, .. } => Some((*queue, *change)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(sales, QueueChangeKind::Overflowed), (backup, QueueChangeKind::Entered)]);
    assert_eq!(QueueChangeKind::Overflowed.codes(), (504, 104));
    // No further overflow from the backup queue (it has none): no deadline left for it.
    sim.advance(600);
    assert_eq!(queue_of(&sim, c), Some(backup));
}

#[test]
fn an_offered_customer_moves_only_when_its_offer_ends_unanswered_and_a_full_target_keeps_it() {
    let mut sim =
        Sim::with_settings(AppSettings { offer_timeout_s: 20, reoffer_delay_s: 600, ..AppSettings::default() });
    let sales = sim.queue("sales", 1);
    let backup = sim.queue_def(QueueDef { max_len: Some(1), ..QueueDef::named("backup") });
    route(&mut sim, sales, overflow(30, backup)).unwrap();
    let agent = sim.agent("a");
    let c = sim.customer("c");
    sim.start_queuing(c, sales);
    sim.advance(15);
    sim.start_service(agent, sales, 0); // offered at 15 s, its offer runs out at 35 s
    sim.advance(19);
    assert_eq!(queue_of(&sim, c), Some(sales), "offered at the overflow time (30 s): stays");
    sim.advance(1);
    assert_eq!(queue_of(&sim, c), Some(backup), "moved when the offer timed out (35 s)");
    // The backup queue is now full: the next customer stays and is tried again later.
    let d = sim.customer("d");
    sim.start_queuing(d, sales);
    sim.advance(30);
    assert_eq!(queue_of(&sim, d), Some(sales), "target full");
    sim.stop_queuing(c);
    sim.advance(30);
    assert_eq!(queue_of(&sim, d), Some(backup), "room again: moved at the next try");
}

#[test]
fn loops_long_chains_and_bad_settings_are_refused_by_field() {
    let mut sim = Sim::new();
    let q: Vec<QueueId> = (0..7).map(|i| sim.queue(&format!("q{i}"), 1)).collect();
    route(&mut sim, q[0], overflow(10, q[1])).unwrap();
    let e = route(&mut sim, q[1], overflow(10, q[0])).unwrap_err();
    assert_eq!(e.to_string(), format!("invalid OverflowQueueID: overflow loop: {} → {} → {}", q[1].0, q[0].0, q[1].0));
    for i in 1..4 {
        route(&mut sim, q[i], overflow(10, q[i + 1])).unwrap();
    }
    // q0 → q1 → q2 → q3 → q4 is five queues: one more is refused, from either end.
    let e = route(&mut sim, q[4], overflow(10, q[5])).unwrap_err();
    assert!(e.to_string().contains("spans at most 5 queues"), "{e}");
    let e = route(&mut sim, q[6], overflow(10, q[0])).unwrap_err();
    assert!(e.to_string().contains("spans at most 5 queues"), "{e}");
    let e = route(&mut sim, q[5], overflow(10, q[5])).unwrap_err();
    assert_eq!(e.to_string(), "invalid OverflowQueueID: is the queue itself");
    let e = route(&mut sim, q[5], overflow(0, q[6])).unwrap_err();
    assert!(e.to_string().starts_with("invalid OverflowSeconds: 0 is outside"), "{e}");
    let e = route(&mut sim, q[5], QueueRouting { overflow_after_s: 5, ..QueueRouting::default() }).unwrap_err();
    assert!(e.to_string().starts_with("invalid OverflowQueueID"), "{e}");
    let e = route(&mut sim, q[5], overflow(10, QueueId(9999))).unwrap_err();
    assert_eq!(e.to_string(), "invalid OverflowQueueID: no queue 9999 in this app");
    let e = route(&mut sim, q[5], QueueRouting { aging_s: 100_000, ..QueueRouting::default() }).unwrap_err();
    assert!(e.to_string().starts_with("invalid AgingSeconds"), "{e}");
    // Deleting a queue takes the overflows to it away (q0 → q1 is left).
    sim.delete_queue(q[2]).unwrap();
    assert_eq!(sim.engine.queue_routing(q[1]).overflow_to, None);
    assert_eq!(sim.engine.queue_routing(q[0]).overflow_to, Some(q[1]));
}

/// Whom a free agent serving both queues is offered: a customer who waited 100 s in the
/// normal queue (priority 3) or one who just joined the VIP queue (priority 1).
fn first_offer(aging_s: u32, waited_s: u64) -> String {
    let mut sim = Sim::new();
    let vip = sim.queue("vip", 1);
    let normal = sim.queue("normal", 3);
    route(&mut sim, normal, QueueRouting { aging_s, ..QueueRouting::default() }).unwrap();
    let agent = sim.agent("a");
    sim.dnd(agent, true);
    sim.start_service(agent, vip, 0);
    sim.start_service(agent, normal, 0);
    let old = sim.customer("old");
    sim.start_queuing(old, normal);
    sim.advance(waited_s);
    let fresh = sim.customer("fresh");
    sim.start_queuing(fresh, vip);
    sim.drain();
    sim.dnd(agent, false);
    sim.drain()
        .into_iter()
        .find_map(|o| match o {
            Output::Notify { session, notice: Notice::AutoAssignUser(u) } if session == agent => {
                Some(u.user_id.to_string())
            }
            _ => None,
        })
        .expect("an offer")
}

#[test]
fn aging_lets_a_long_wait_beat_a_higher_priority_queue() {
    assert_eq!(first_offer(0, 100), "fresh", "no aging: CloudRoom's order");
    // 40 s a level: after 100 s the normal customer's priority is 3 - 2 = 1, as good as
    // VIP's, and it waited longer.
    assert_eq!(first_offer(40, 100), "old");
    // After 79 s it is 3 - 1 = 2: still behind.
    assert_eq!(first_offer(40, 79), "fresh");
}
