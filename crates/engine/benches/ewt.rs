//! How good the estimated wait is: a deterministic simulation of one queue on the
//! engine's virtual clock, printing the mean absolute error (MAE) of the estimate each
//! customer is told when it joins, against the wait it then has, for three loads:
//!
//! - steady: 10 agents, Poisson arrivals at 95 % load, for 8 hours;
//! - rising: the load grows from 70 % to 105 % over 6 hours;
//! - burst: 80 % load, and 40 customers more within one minute at the second hour.
//!
//! Handle times are lognormal (mean 180 s, coefficient of variation 0.5); agents
//! accept an offer 2 s after it comes. Customers served in the first 30 minutes are left
//! out (the queue has no history yet). The goal: MAE at most 25 % of the mean wait in
//! the steady case. `cargo bench -p lineup-engine --bench ewt` (or `cargo xtask bench`).

use std::collections::{BTreeMap, HashMap};

use lineup_engine::{AppSettings, Engine, Input, Notice, Output, QueueDef, QueuingInfo, Reply, Request, Role, Roles, SessionId, Time};

const APP: &str = "ewt";
const AGENTS: usize = 10;
const MEAN_HANDLE_S: f64 = 180.0;
const CV: f64 = 0.5;
const ACCEPT_AFTER_MS: u64 = 2_000;
const WARM_UP_MS: u64 = 30 * 60 * 1000;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

trait Draws {
    fn exp(&mut self, mean: f64) -> f64;
    fn lognormal(&mut self, mean: f64, cv: f64) -> f64;
}

impl Draws for Rng {
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.unit().ln()
    }
    fn lognormal(&mut self, mean: f64, cv: f64) -> f64 {
        let s2 = (1.0 + cv * cv).ln();
        let z = (-2.0 * self.unit().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.unit()).cos();
        mean * (s2.sqrt() * z - s2 / 2.0).exp()
    }
}

/// What happens next, besides the engine's own deadlines.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Accept { agent: SessionId, customer: String },
    Finish { agent: SessionId, customer: String },
}

struct Run {
    served: u64,
    mean_wait_s: f64,
    mae_s: f64,
    /// Mean of (told − waited): positive when the estimate runs high.
    bias_s: f64,
    unknown: u64,
}

fn simulate(seed: u64, hours: f64, load: impl Fn(f64) -> f64, burst: Option<(f64, usize)>) -> Run {
    let mut rng = Rng(seed);
    let mut e = Engine::new();
    let mut now = Time::from_millis(1_000);
    let settings = AppSettings { offer_timeout_s: 30, notice_interval_ms: 1000, ..AppSettings::default() };
    e.handle(now, Input::PutApp { app: APP.into(), settings }).unwrap();
    let Reply::Queue(q) = e.handle(now, Input::CreateQueue { app: APP.into(), id: None, def: QueueDef::named("q") }).unwrap() else { unreachable!() };
    let q = q.queue;
    let login = |e: &mut Engine, now: Time, uid: &str, role: Role| match e
        .handle(now, Input::Login { app: APP.into(), user_id: uid.into(), name: uid.into(), roles: [role].into_iter().collect::<Roles>() })
        .unwrap()
    {
        Reply::LoggedIn { session, .. } => session,
        _ => unreachable!(),
    };
    for i in 0..AGENTS {
        let a = login(&mut e, now, &format!("a{i}"), Role::Agent);
        e.handle(now, Input::Session { session: a, request: Request::StartService { queue: q, priority: 0 } }).unwrap();
    }
    let end_ms = now.as_millis() + (hours * 3600.0 * 1000.0) as u64;
    let start_ms = now.as_millis();
    let rate_at = |t_ms: u64| load((t_ms - start_ms) as f64 / 3600_000.0) * AGENTS as f64 / MEAN_HANDLE_S / 1000.0;
    let mut next_arrival = now.as_millis() + rng.exp(1.0 / rate_at(now.as_millis())) as u64;
    let mut burst_left = burst.map(|(h, n)| (start_ms + (h * 3600_000.0) as u64, n));
    let mut steps: BTreeMap<(u64, u64), Step> = BTreeMap::new();
    let mut step_seq = 0u64;
    let mut customers: HashMap<SessionId, (String, u64)> = HashMap::new(); // session -> (uid, joined ms)
    let mut told: HashMap<SessionId, Option<u32>> = HashMap::new();
    let (mut n, mut errors, mut waits, mut unknown, mut signed) = (0u64, 0f64, 0f64, 0u64, 0f64);
    let mut ids = 0u64;
    loop {
        // The next thing: an arrival, a burst arrival, an agent's step, or a deadline.
        let mut t = next_arrival;
        if let Some((at, left)) = burst_left {
            if left > 0 {
                t = t.min(at);
            }
        }
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
        let is_burst = burst_left.is_some_and(|(at, left)| left > 0 && at <= t);
        if t == next_arrival || is_burst {
            if is_burst {
                let (at, left) = burst_left.unwrap();
                burst_left = Some((at + 1500, left - 1));
            } else {
                next_arrival = t + rng.exp(1.0 / rate_at(t)).max(1.0) as u64;
            }
            ids += 1;
            let uid = format!("c{ids}");
            let c = login(&mut e, now, &uid, Role::Customer);
            customers.insert(c, (uid, t));
            e.handle(now, Input::Session { session: c, request: Request::StartQueuing { queue: q, usr_ext_dat: "".into() } }).unwrap();
        } else if steps.first_key_value().is_some_and(|((at, _), _)| *at == t) {
            let (_, step) = steps.pop_first().unwrap();
            match step {
                Step::Accept { agent, customer } => {
                    let r = e.handle(now, Input::Session { session: agent, request: Request::AcceptAssignUser { queue: q, user_id: customer.as_str().into() } });
                    if r.is_ok() {
                        let handle = rng.lognormal(MEAN_HANDLE_S, CV) * 1000.0;
                        step_seq += 1;
                        steps.insert((t + handle as u64, step_seq), Step::Finish { agent, customer });
                    }
                }
                Step::Finish { agent, customer } => {
                    let _ = e.handle(now, Input::Session { session: agent, request: Request::FinishService { queue: q, user_id: customer.as_str().into() } });
                }
            }
        } else {
            e.handle_timeout(now);
        }
        while let Some(o) = e.poll_output() {
            let Output::Notify { session, notice } = o else { continue };
            match notice {
                Notice::AutoAssignUser(u) => {
                    step_seq += 1;
                    steps.insert((now.as_millis() + ACCEPT_AFTER_MS, step_seq), Step::Accept { agent: session, customer: u.user_id.to_string() });
                }
                Notice::QueuingInfoChanged(QueuingInfo::Queuing { estimated_wait_s, .. }) => {
                    told.entry(session).or_insert(estimated_wait_s);
                }
                Notice::QueuingInfoChanged(QueuingInfo::InService) => {
                    if let (Some((_, joined)), Some(est)) = (customers.get(&session), told.get(&session)) {
                        if *joined >= start_ms + WARM_UP_MS {
                            let wait = (now.as_millis() - joined) as f64 / 1000.0;
                            n += 1;
                            waits += wait;
                            match est {
                                Some(s) => {
                                    errors += (f64::from(*s) - wait).abs();
                                    signed += f64::from(*s) - wait;
                                }
                                None => {
                                    unknown += 1;
                                    errors += wait;
                                }
                            }
                        }
                    }
                }
                Notice::ServiceFinished { customer_id, .. } => {
                    // The customer leaves once served.
                    if let Some((&c, _)) = customers.iter().find(|(_, (uid, _))| uid.as_str() == customer_id.as_str()) {
                        if c == session {
                            customers.remove(&c);
                            told.remove(&c);
                            let _ = e.handle(now, Input::Logout { session: c });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let per = n.max(1) as f64;
    Run { served: n, mean_wait_s: waits / per, mae_s: errors / per, bias_s: signed / per, unknown }
}

fn report(name: &str, r: &Run, goal: Option<f64>) {
    let share = r.mae_s / r.mean_wait_s.max(f64::EPSILON) * 100.0;
    let verdict = match goal {
        Some(g) if share <= g => format!(", goal <= {g:.0} %: met"),
        Some(g) => format!(", goal <= {g:.0} %: NOT met"),
        None => String::new(),
    };
    println!(
        "ewt {name}: {} served, mean wait {:.1} s, MAE {:.1} s ({share:.1} % of the mean wait{verdict}), bias {:+.1} s; {} told 'unknown'",
        r.served, r.mean_wait_s, r.mae_s, r.bias_s, r.unknown
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: a short smoke run then.
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full { 1.0 } else { 0.1 };
    let steady = simulate(7, 8.0 * scale, |_| 0.95, None);
    report("steady (95 % load, 8 h)", &steady, Some(25.0));
    let rising = simulate(11, 6.0 * scale, |h| 0.70 + 0.35 * (h / (6.0 * scale)).min(1.0), None);
    report("rising (70 % -> 105 % load, 6 h)", &rising, None);
    let burst = simulate(13, 4.0 * scale, |_| 0.80, Some((2.0 * scale, 40)));
    report("burst (80 % load + 40 in a minute at 2 h)", &burst, None);
}
