//! Determinism and replay: the same (time, input) script gives the same outputs, and
//! replaying a recorded script through `handle` alone rebuilds the same state.

mod common;

use common::*;
use lineup_engine::{
    AgentPolicy, AgentReason, AppSettings, Engine, Input, Notice, Output, QueueDef, QueueRequirement, QueueRouting,
    QueuingInfo, Reply, Request, Time,
};

#[path = "../benches/support/rng.rs"]
mod rng;
use rng::Rng;

/// Drives a sim with a pseudo-random but fixed script of requests and time jumps;
/// returns the sim, a log of replies and outputs rendered as text, and the outputs.
fn busy_day(seed: u64) -> (Sim, Vec<String>, Vec<(Time, Output)>) {
    let mut sim = Sim::with_settings(AppSettings { offer_timeout_s: 20, hold_s: 30, ..AppSettings::default() });
    let queues = [
        sim.queue("gold", 1),
        sim.queue_def(QueueDef { prio: 5, wrapup_s: 3, ..QueueDef::named("silver") }),
        sim.queue_def(QueueDef { prio: 5, max_wait_s: Some(90), ..QueueDef::named("bronze") }),
    ];
    // Reasons (one without manual pulls) and auto-pause after four missed offers.
    let reason = |code: u32, label: &str, manual_pulls| AgentReason { code, label: label.into(), manual_pulls };
    let policy = AgentPolicy {
        reasons: vec![reason(2, "Break", false), reason(3, "Training", true)],
        max_missed_offers: 3,
        callback_expiry_s: 120,
        ..AgentPolicy::default()
    };
    sim.input(Input::PutAgentPolicy { app: APP.into(), policy }).expect("PutAgentPolicy");
    // Bronze overflows to gold after 40 s; silver's customers age a level every 20 s.
    let bronze = QueueRouting { overflow_after_s: 40, overflow_to: Some(queues[0]), aging_s: 0 };
    sim.input(Input::PutQueueRouting { app: APP.into(), queue: queues[2], routing: bronze }).expect("overflow");
    let silver = QueueRouting { aging_s: 20, ..QueueRouting::default() };
    sim.input(Input::PutQueueRouting { app: APP.into(), queue: queues[1], routing: silver }).expect("aging");
    // Gold needs the customer's language at level 4 (or a VIP agent), relaxed every 30 s.
    let skills = ["language.en", "language.fr", "vip"].map(lineup_engine::Name::from).to_vec();
    sim.input(Input::PutSkillCatalog { app: APP.into(), skills }).expect("catalog");
    let requirement = QueueRequirement { text: "language[customer.lang] >= 4 || vip".into(), relax_s: 30 };
    sim.input(Input::PutQueueRequirement { app: APP.into(), queue: queues[0], requirement }).expect("requirement");
    // A supervisor watches the wallboard all day.
    let boss = sim.login("boss", supervisor_roles());
    sim.input(Input::Session { session: boss, request: Request::SubscribeWallboard }).expect("SubscribeWallboard");
    let users: Vec<String> = (0..12).map(|i| format!("u{i}")).collect();
    let mut rng = Rng(seed);
    let mut log = Vec::new();
    let mut outputs = Vec::new();
    // The latest customer offered to each agent session, so that accepts often hit.
    let mut offered = std::collections::BTreeMap::new();
    for _ in 0..900 {
        let u = &users[rng.below(users.len() as u64) as usize];
        let is_agent = u.trim_start_matches('u').parse::<u32>().unwrap() < 4;
        let roles = if is_agent { agent_roles() } else { customer_roles() };
        let q = queues[rng.below(3) as usize];
        let reply = match rng.below(17) {
            0 => sim.try_login_in(APP, u, u, roles).map(|r| format!("{r:?}")),
            1 => {
                sim.advance_ms(rng.below(25_000));
                Ok("advanced".into())
            }
            kind => {
                let Some(session) = (match sim.try_login_in(APP, u, u, roles) {
                    Ok(Reply::LoggedIn { session, .. }) => Some(session),
                    _ => None,
                }) else {
                    continue;
                };
                let target = users[rng.below(users.len() as u64) as usize].as_str();
                let own_call = sim.engine.session_info(session).map(|i| i.call_id).unwrap_or_default();
                let input = match (is_agent, kind) {
                    (_, 12 | 13) => {
                        let create = Request::CreateMeeting { subject: u.as_str().into(), pswd: "".into() };
                        let Ok(Reply::Meeting(room)) = sim.input(Input::Session { session, request: create }) else {
                            continue;
                        };
                        let call = Request::Call {
                            callee: target.into(),
                            meeting: room.id,
                            usr_ext_dat: "".into(),
                            call_id: None,
                        };
                        Input::Session { session, request: call }
                    }
                    (_, 14) => Input::Session {
                        session,
                        request: Request::AcceptCall { call: own_call, usr_ext_dat: "".into() },
                    },
                    (_, 15) if rng.below(3) == 0 => Input::Session {
                        session,
                        request: Request::RejectCall { call: own_call, usr_ext_dat: "".into() },
                    },
                    (_, 15) => Input::Session {
                        session,
                        request: Request::HangupCall { call: own_call, usr_ext_dat: "".into() },
                    },
                    (_, 16) => {
                        let to_queue = queues[rng.below(3) as usize];
                        // An agent forwards the head of a queue it serves; otherwise the
                        // administration moves this user (refused unless it queues).
                        match sim.engine.queue_users(session, q, 0, 1).map(|u| u.users) {
                            Ok(users) if !users.is_empty() => Input::Session {
                                session,
                                request: Request::ForwardUser { queue: q, user_id: users[0].user_id.clone(), to_queue },
                            },
                            _ => match sim.queuing_info(session) {
                                // The administration moves this customer, if it queues.
                                QueuingInfo::Queuing { queue, .. } => {
                                    Input::ForwardUser { app: APP.into(), queue, user_id: u.as_str().into(), to_queue }
                                }
                                _ => Input::ForwardUser { app: APP.into(), queue: q, user_id: target.into(), to_queue },
                            },
                        }
                    }
                    (_, 2) => Input::Disconnect { session },
                    (_, 3) if rng.below(4) == 0 => Input::Logout { session },
                    (true, 4) => Input::Session {
                        session,
                        request: Request::StartService { queue: q, priority: rng.below(3) as u16 },
                    },
                    (true, 5) => Input::Session { session, request: Request::StopService { queue: q } },
                    (true, 6) => {
                        let (queue, user_id) = offered.get(&session).cloned().unwrap_or((q, target.into()));
                        Input::Session { session, request: Request::AcceptAssignUser { queue, user_id } }
                    }
                    (true, 7) => Input::Session {
                        session,
                        request: Request::RejectAssignUser { queue: q, user_id: target.into() },
                    },
                    (true, 8) => {
                        Input::Session { session, request: Request::FinishService { queue: q, user_id: target.into() } }
                    }
                    (true, 9) => match rng.below(3) {
                        0 => Input::Session { session, request: Request::SetDndStatus { on: rng.below(2) == 0 } },
                        _ => Input::Session {
                            session,
                            request: Request::SetDndType { dnd_type: [0, 0, 0, 0, 1, 2, 3, 7][rng.below(8) as usize] },
                        },
                    },
                    (true, 10) if rng.below(3) == 0 => {
                        let request = if rng.below(2) == 0 {
                            Request::StartUserStatusNotify
                        } else {
                            Request::StopUserStatusNotify
                        };
                        Input::Session { session, request }
                    }
                    (true, 10) => Input::Session { session, request: Request::ReqAssignUser },
                    (true, 11) if rng.below(2) == 0 => {
                        let lang = ["language.en", "language.fr"][rng.below(2) as usize];
                        let mut skills = vec![(lang.into(), rng.below(11) as u8)];
                        if rng.below(4) == 0 {
                            skills.push(("vip".into(), 1));
                        }
                        Input::PutAgentSkills { app: APP.into(), user_id: u.as_str().into(), skills }
                    }
                    (true, _) => Input::Session { session, request: Request::SetCapacity { capacity: 2 } },
                    (false, 4 | 5) => Input::Session {
                        session,
                        request: Request::StartQueuing { queue: q, usr_ext_dat: u.as_str().into() },
                    },
                    (false, 6 | 7) => {
                        let lang = ["en", "fr", "de"][rng.below(3) as usize];
                        let attributes = vec![("lang".into(), lineup_engine::AttrValue::Text(lang.into()))];
                        Input::Session {
                            session,
                            request: Request::StartQueuingWith { queue: q, usr_ext_dat: "".into(), attributes },
                        }
                    }
                    // Customers ask to be called back (and often drop right after).
                    (false, 8 | 9) => {
                        let number = if rng.below(2) == 0 { "" } else { "555-0100" };
                        Input::Session { session, request: Request::RequestCallback { number: number.into() } }
                    }
                    (false, _) => Input::Session { session, request: Request::StopQueuing },
                };
                sim.input(input).map(|r| format!("{r:?}"))
            }
        };
        log.push(format!("{} {reply:?}", sim.elapsed_ms()));
        for (t, o) in sim.drain_timed() {
            if let Output::Notify { session, notice: Notice::AutoAssignUser(user) } = &o {
                offered.insert(*session, (user.queue, user.user_id.clone()));
            }
            log.push(format!("{} {o:?}", t.as_millis()));
            outputs.push((t, o));
        }
    }
    (sim, log, outputs)
}

#[test]
fn determinism_same_script_gives_identical_outputs() {
    let mut all = Vec::new();
    for seed in [1, 0x5eed, 0xdead_beef] {
        let (_, first, _) = busy_day(seed);
        let (_, second, _) = busy_day(seed);
        assert!(first.len() > 500, "the script should do something: {} lines", first.len());
        assert_eq!(first, second, "seed {seed}");
        all.extend(first);
    }
    // Between them, the busy days go through every kind of step.
    for what in [
        "AutoAssignUser",
        "TakenByAgent",
        "NotifyCallIn",
        "NotifyCallAccepted",
        "CallEvent",
        "Forwarded",
        "AgentReason",
        "AgentStatusChanged",
        "Wallboard",
        "Overflowed",
        "state: Requested",
        "state: Taken",
        "CallbackExpired",
        "RequirementRelaxed",
        "requirement_step: Some(2)",
    ] {
        assert!(all.iter().any(|l| l.contains(what)), "no {what} in any busy day");
    }
    // Agents are paused after missed offers (the no-answer reason).
    assert!(busy_day(1).1.iter().any(|l| l.contains("reason: 1000")), "an auto-pause happens");
    // And different scripts give different runs (the comparison can fail).
    assert_ne!(busy_day(1).1, busy_day(2).1);
}

/// Outputs whose timing does not depend on how often deadlines were polled: everything
/// but the coalesced status and position notices.
fn uncoalesced_outputs(outputs: &[(Time, Output)]) -> Vec<String> {
    outputs
        .iter()
        .filter(|(_, o)| {
            !matches!(
                o,
                Output::Notify {
                    notice: Notice::QueueStatusChanged(_)
                        | Notice::QueuingInfoChanged(QueuingInfo::Queuing { .. })
                        // Told once per step: a deadline handled in its own step or
                        // inside the next input's step may tell a passing status or not.
                        | Notice::UserStatus(_),
                    ..
                }
            )
        })
        .map(|(t, o)| format!("{} {o:?}", t.as_millis()))
        .collect()
}

#[test]
fn replay_of_recorded_inputs_rebuilds_the_same_state() {
    for seed in [7, 0xfeed] {
        let (sim, _, original_outputs) = busy_day(seed);
        // Replay the recorded (time, input) pairs through `handle` alone: deadlines fire
        // inside it, at their own times, and no handle_timeout is called until the end.
        let mut replayed = Engine::new();
        let mut replies = Vec::new();
        let mut outputs = Vec::new();
        for (t, input) in &sim.script {
            replies.push(format!("{:?}", replayed.handle(*t, input.clone())));
            replayed.check_invariants().unwrap();
            while let Some(o) = replayed.poll_output() {
                outputs.push((*t, o));
            }
        }
        replayed.handle_timeout(sim.now);
        while let Some(o) = replayed.poll_output() {
            outputs.push((sim.now, o));
        }
        assert_eq!(replies, sim.replies, "seed {seed}: same replies");
        // Apart from coalesced notices, the same outputs in the same order. (Event
        // times are compared inside the Debug text; the step time is not, since a
        // deadline's outputs surface at the next input in the replay.)
        let strip = |v: Vec<String>| -> Vec<String> {
            v.into_iter().map(|l| l.split_once(' ').unwrap().1.to_string()).collect()
        };
        assert_eq!(strip(uncoalesced_outputs(&outputs)), strip(uncoalesced_outputs(&original_outputs)), "seed {seed}");
        compare_state(&sim, &replayed);
    }
}

fn compare_state(sim: &Sim, b: &Engine) {
    let a = &sim.engine;
    assert_eq!(a.session_count(), b.session_count());
    assert_eq!(format!("{:?}", a.agents(APP)), format!("{:?}", b.agents(APP)));
    assert_eq!(a.queues(APP), b.queues(APP));
    for info in a.queues(APP) {
        assert_eq!(a.queue_status(info.queue), b.queue_status(info.queue));
        assert_eq!(format!("{:?}", a.queue_stats(info.queue)), format!("{:?}", b.queue_stats(info.queue)));
    }
    let mut live = 0;
    for (_, input) in &sim.script {
        let sid = match input {
            Input::Session { session, .. }
            | Input::Disconnect { session }
            | Input::Reconnect { session }
            | Input::Logout { session } => *session,
            _ => continue,
        };
        assert_eq!(a.session_view(sid), b.session_view(sid));
        assert_eq!(a.queuing_info(sid), b.queuing_info(sid));
        assert_eq!(a.session_info(sid), b.session_info(sid));
        live += usize::from(a.session_view(sid).is_some());
    }
    assert!(live > 0, "the comparison looked at live sessions");
}

/// Replays journal steps `from..to` of a recorded run into `engine`.
fn replay_steps(engine: &mut Engine, journal: &[(Time, Option<Input>)]) {
    for (t, step) in journal {
        match step {
            Some(input) => {
                let _ = engine.handle(*t, input.clone());
            }
            None => engine.handle_timeout(*t),
        }
        while engine.poll_output().is_some() {}
    }
}

#[test]
fn snapshot_round_trips_to_the_same_digest_and_state() {
    let (sim, _, _) = busy_day(11);
    let bytes = sim.engine.snapshot();
    let restored = Engine::restore(&bytes).unwrap();
    assert_eq!(restored.digest(), sim.engine.digest());
    assert_eq!(restored.snapshot(), bytes, "the snapshot is canonical");
    restored.check_invariants().unwrap();
    compare_state(&sim, &restored);
    // The digest can tell states apart.
    let mut other = Engine::restore(&bytes).unwrap();
    other.handle_timeout(sim.now.plus_secs(3600));
    assert_ne!(other.digest(), sim.engine.digest());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Snapshot at random points of a random run, restore, replay the rest of the
    /// journal: the same digest as the engine that ran live, and it keeps behaving the
    /// same afterwards.
    #[test]
    fn snapshot_plus_replay_at_random_points_matches_the_live_engine(
        seed in 1u64..u64::MAX,
        cuts in proptest::collection::vec(0.0f64..1.0, 1..4),
    ) {
        let (sim, _, _) = busy_day(seed);
        let live = sim.engine.digest();
        let n = sim.journal.len();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| (c * n as f64) as usize).collect();
        cuts.sort_unstable();
        // One engine replays, snapshotting and restoring at every cut.
        let mut engine = Engine::new();
        let mut done = 0;
        for cut in cuts.into_iter().chain([n]) {
            replay_steps(&mut engine, &sim.journal[done..cut]);
            done = cut;
            engine = Engine::restore(&engine.snapshot()).unwrap();
            engine.check_invariants().unwrap();
        }
        proptest::prop_assert_eq!(engine.digest(), live);
        // And from here on both give the same outputs and digests.
        let mut live_engine = Engine::restore(&sim.engine.snapshot()).unwrap();
        let later = sim.now.plus_secs(120);
        engine.handle_timeout(later);
        live_engine.handle_timeout(later);
        let a: Vec<String> = std::iter::from_fn(|| engine.poll_output()).map(|o| format!("{o:?}")).collect();
        let b: Vec<String> = std::iter::from_fn(|| live_engine.poll_output()).map(|o| format!("{o:?}")).collect();
        proptest::prop_assert_eq!(a, b);
        proptest::prop_assert_eq!(engine.digest(), live_engine.digest());
    }
}
