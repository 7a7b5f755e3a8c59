//! What the pushed wallboard costs: 500 agents cycling through customers (offer,
//! accept, talk, wrap-up, now and then a break) in 10 queues, watched by 50 supervisors
//! subscribed to the wallboard, for 5 minutes of the engine's virtual clock. Prints, for
//! what reaches the supervisors (Wallboard frames and AgentStatusChanged notices, as the
//! JSON text the server sends), frames and bytes per second per supervisor and in
//! total, and the engine's CPU time per second of traffic.
//!
//! Deterministic (seeded; the engine on its virtual clock; frames rendered by the
//! server's own conversion). `cargo bench -p lineup-server --bench wallboard` (or
//! `cargo xtask bench`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use lineup_engine::{
    AppSettings, Engine, Input, Notice, Output, QueueDef, QueueId, Reply, Request, Role, Roles, SessionId, Time,
};
use lineup_protocol::ServerFrame;

#[path = "../../engine/benches/support/rng.rs"]
mod rng;
use rng::Rng;

const APP: &str = "wb";
const QUEUES: usize = 10;
const AGENTS: usize = 500;
const SUPERVISORS: usize = 50;
const MINUTES: u64 = 5;
const HANDLE_MS: f64 = 20_000.0;
const WRAP_UP_S: u32 = 3;
const LOAD: f64 = 0.8;
const ACCEPT_AFTER_MS: u64 = 1_000;
/// An idle agent takes a break of [`BREAK_MS`] with this chance per minute.
const BREAKS_PER_MINUTE: f64 = 0.05;
const BREAK_MS: u64 = 60_000;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Accept { agent: SessionId, queue: QueueId, customer: String },
    Finish { agent: SessionId, queue: QueueId, customer: String, session: SessionId },
    BreakEnds { agent: SessionId },
}

#[derive(Default)]
struct Cost {
    frames: u64,
    bytes: u64,
}

fn main() {
    let mut rng = Rng(20261207);
    let mut e = Engine::new();
    let mut now = Time::from_millis(1_765_000_000_000);
    let settings = AppSettings { offer_timeout_s: 30, notice_interval_ms: 1000, ..AppSettings::default() };
    e.handle(now, Input::PutApp { app: APP.into(), settings }).unwrap();
    let queues: Vec<QueueId> = (0..QUEUES)
        .map(|i| {
            let def = QueueDef { wrapup_s: WRAP_UP_S, ..QueueDef::named(&format!("q{i}")) };
            match e.handle(now, Input::CreateQueue { app: APP.into(), id: None, def }).unwrap() {
                Reply::Queue(q) => q.queue,
                _ => unreachable!(),
            }
        })
        .collect();
    let login = |e: &mut Engine, now: Time, uid: &str, role: Role| match e
        .handle(
            now,
            Input::Login {
                app: APP.into(),
                user_id: uid.into(),
                name: uid.into(),
                roles: [role].into_iter().collect::<Roles>(),
            },
        )
        .unwrap()
    {
        Reply::LoggedIn { session, .. } => session,
        _ => unreachable!(),
    };
    let mut agent_queue = HashMap::new();
    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let a = login(&mut e, now, &format!("agent{i:03}"), Role::Agent);
        let q = queues[i % QUEUES];
        e.handle(now, Input::Session { session: a, request: Request::StartService { queue: q, priority: 0 } }).unwrap();
        agent_queue.insert(a, q);
        agents.push(a);
    }
    let mut supervisors = HashSet::new();
    for i in 0..SUPERVISORS {
        let s = login(&mut e, now, &format!("boss{i:02}"), Role::Supervisor);
        e.handle(now, Input::Session { session: s, request: Request::SubscribeWallboard }).unwrap();
        supervisors.insert(s);
    }
    while e.poll_output().is_some() {}

    // Arrivals keep the agents LOAD busy: per second, AGENTS · LOAD / (handle + wrap-up).
    let per_ms = AGENTS as f64 * LOAD / (HANDLE_MS + f64::from(WRAP_UP_S) * 1000.0);
    let start_ms = now.as_millis();
    let end_ms = start_ms + MINUTES * 60_000;
    let mut next_arrival = start_ms + (-rng.unit().ln() / per_ms) as u64;
    let mut next_break_check = start_ms + 1000;
    let mut steps: BTreeMap<(u64, u64), Step> = BTreeMap::new();
    let mut seq = 0u64;
    let mut ids = 0u64;
    let (mut board, mut states, mut other) = (Cost::default(), Cost::default(), 0u64);
    let (mut served, mut breaks) = (0u64, 0u64);
    let mut on_break = HashSet::new();
    let mut customers: HashMap<String, SessionId> = HashMap::new();
    let started = Instant::now();
    let mut engine_time = std::time::Duration::ZERO;
    loop {
        let mut t = next_arrival.min(next_break_check);
        if let Some(((at, _), _)) = steps.first_key_value() {
            t = t.min(*at);
        }
        if let Some(d) = e.poll_timeout() {
            t = t.min(d.as_millis());
        }
        if t > end_ms {
            break;
        }
        now = Time::from_millis(t.max(now.as_millis()));
        let step_started = Instant::now();
        if t == next_arrival {
            next_arrival = t + (-rng.unit().ln() / per_ms).max(1.0) as u64;
            ids += 1;
            let uid = format!("c{ids}");
            let c = login(&mut e, now, &uid, Role::Customer);
            customers.insert(uid, c);
            let queue = queues[rng.below(QUEUES as u64) as usize];
            e.handle(
                now,
                Input::Session { session: c, request: Request::StartQueuing { queue, usr_ext_dat: "".into() } },
            )
            .unwrap();
        } else if t == next_break_check {
            // Once a second: a few idle agents go on a break (reason 2).
            next_break_check = t + 1000;
            let chance = BREAKS_PER_MINUTE / 60.0;
            for &agent in &agents {
                if !on_break.contains(&agent) && rng.unit() < chance {
                    let _ =
                        e.handle(now, Input::Session { session: agent, request: Request::SetDndType { dnd_type: 2 } });
                    on_break.insert(agent);
                    breaks += 1;
                    seq += 1;
                    steps.insert((t + BREAK_MS, seq), Step::BreakEnds { agent });
                }
            }
        } else if steps.first_key_value().is_some_and(|((at, _), _)| *at == t) {
            let (_, step) = steps.pop_first().unwrap();
            match step {
                Step::Accept { agent, queue, customer } => {
                    let r = e.handle(
                        now,
                        Input::Session {
                            session: agent,
                            request: Request::AcceptAssignUser { queue, user_id: customer.as_str().into() },
                        },
                    );
                    if r.is_ok() {
                        let handle = (-rng.unit().ln() * HANDLE_MS) as u64;
                        let session = customers.remove(&customer).expect("customer");
                        seq += 1;
                        steps.insert((t + handle.max(1000), seq), Step::Finish { agent, queue, customer, session });
                    }
                }
                Step::Finish { agent, queue, customer, session } => {
                    let _ = e.handle(
                        now,
                        Input::Session {
                            session: agent,
                            request: Request::FinishService { queue, user_id: customer.as_str().into() },
                        },
                    );
                    let _ = e.handle(now, Input::Logout { session });
                    served += 1;
                }
                Step::BreakEnds { agent } => {
                    let _ =
                        e.handle(now, Input::Session { session: agent, request: Request::SetDndType { dnd_type: 0 } });
                    on_break.remove(&agent);
                }
            }
        } else {
            e.handle_timeout(now);
        }
        engine_time += step_started.elapsed();
        while let Some(o) = e.poll_output() {
            let Output::Notify { session, notice } = o else { continue };
            if let Notice::AutoAssignUser(u) = &notice {
                seq += 1;
                let queue = agent_queue[&session];
                steps.insert(
                    (t + ACCEPT_AFTER_MS, seq),
                    Step::Accept { agent: session, queue, customer: u.user_id.to_string() },
                );
            }
            if !supervisors.contains(&session) {
                continue;
            }
            let cost = match &notice {
                Notice::Wallboard(_) => &mut board,
                Notice::AgentStatusChanged(_) => &mut states,
                _ => {
                    other += 1;
                    continue;
                }
            };
            let text = serde_json::to_string(&ServerFrame::Notice(lineup_server::convert::notice(&notice))).unwrap();
            cost.frames += 1;
            cost.bytes += text.len() as u64;
        }
    }
    let secs = (end_ms - start_ms) as f64 / 1000.0;
    let per = |c: &Cost| {
        let (f, b) = (c.frames as f64 / secs, c.bytes as f64 / secs);
        format!(
            "{:>8.2} frames/s {:>10.0} B/s per supervisor; {:>8.1} frames/s {:>8.2} MB/s to all {SUPERVISORS}; {:>7.0} B a frame",
            f / SUPERVISORS as f64,
            b / SUPERVISORS as f64,
            f,
            b / 1e6,
            if c.frames == 0 { 0.0 } else { c.bytes as f64 / c.frames as f64 }
        )
    };
    println!("wallboard cost: {AGENTS} agents in {QUEUES} queues cycling ({served} customers served, {breaks} breaks), {SUPERVISORS} supervisors subscribed, {MINUTES} virtual minutes");
    println!("  Wallboard          {}", per(&board));
    println!("  AgentStatusChanged {}", per(&states));
    let all = Cost { frames: board.frames + states.frames, bytes: board.bytes + states.bytes };
    println!("  together           {}", per(&all));
    println!("  other notices to supervisors: {other}");
    println!(
        "  engine time {:.2} s for {secs:.0} s of traffic ({:.1} % of one core); run {:.2} s",
        engine_time.as_secs_f64(),
        engine_time.as_secs_f64() / secs * 100.0,
        started.elapsed().as_secs_f64()
    );
}
