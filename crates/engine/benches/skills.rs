//! Skills-based routing's cost: ACD cycles with 1k agents over 10 queues and 10k
//! customers waiting, plain (no requirement) and skilled (20 skills in the catalog,
//! agents with random levels in all of them, customers with a language and a product,
//! and on every queue `language[customer.language] >= 3 && product[customer.product] >= 2`),
//! in the same run.
//!
//! With the app's UserEnter/UserLeave notices on (CloudRoom's default: every join and
//! take is told to the ~200 agents of the queue, which dominates) and off (the
//! routing's own cost shows).
//!
//! A cycle: the next agent (round robin) finishes its customer → it is offered the best
//! customer it meets → it accepts → the finished customer queues again (with its
//! attributes). Every agent is busy between cycles, so each cycle's offer is one agent's
//! search of its two queues.

#[path = "support/cycle_driver.rs"]
mod cycle_driver;
#[path = "support/rng.rs"]
mod rng;

use std::collections::HashMap;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use cycle_driver::{login, req};
use lineup_engine::{
    AppSettings, AttrValue, Engine, Input, Name, Notice, Output, QueueDef, QueueId, QueueRequirement, Reply, Request,
    Roles, SessionId, Time,
};

const AGENTS: usize = 1_000;
const QUEUES: usize = 10;
const CUSTOMERS: usize = 10_000;
const LANGUAGES: [&str; 5] = ["zh", "yue", "en", "fr", "de"];
const PRODUCTS: [&str; 5] = ["mortgage", "cards", "loans", "savings", "insurance"];
const OTHERS: [&str; 10] = [
    "channel.video",
    "channel.voice",
    "channel.chat",
    "region.n",
    "region.s",
    "region.e",
    "region.w",
    "vip",
    "senior",
    "fraud",
];

struct Run {
    engine: Engine,
    now: Time,
    skilled: bool,
    agents: Vec<SessionId>,
    /// Each agent's customer in service: (queue, customer session, customer number).
    serving: Vec<Option<(QueueId, SessionId, usize)>>,
    customers: Vec<(SessionId, Name, QueueId, Vec<(Name, AttrValue)>)>,
    by_uid: HashMap<Name, usize>,
    next: usize,
    cycles: u64,
}

fn attrs(r: &mut rng::Rng) -> Vec<(Name, AttrValue)> {
    let lang = LANGUAGES[r.below(5) as usize];
    let product = PRODUCTS[r.below(5) as usize];
    vec![("language".into(), AttrValue::Text(lang.into())), ("product".into(), AttrValue::Text(product.into()))]
}

impl Run {
    fn new(skilled: bool, agent_notices: bool) -> Run {
        let mut engine = Engine::new();
        let now = Time::from_millis(1_700_000_000_000);
        let app = || "bench".into();
        let settings = AppSettings { queue_user_notices: agent_notices, ..AppSettings::default() };
        engine.handle(now, Input::PutApp { app: app(), settings }).unwrap();
        let mut r = rng::Rng(7);
        let catalog: Vec<Name> = LANGUAGES
            .iter()
            .map(|l| format!("language.{l}"))
            .chain(PRODUCTS.iter().map(|p| format!("product.{p}")))
            .chain(OTHERS.iter().map(|o| o.to_string()))
            .map(|s| s.as_str().into())
            .collect();
        assert_eq!(catalog.len(), 20);
        let mut queues = Vec::new();
        for i in 0..QUEUES {
            let def = QueueDef::named(&format!("q{i}"));
            let Ok(Reply::Queue(q)) = engine.handle(now, Input::CreateQueue { app: app(), id: None, def }) else {
                panic!("queue")
            };
            queues.push(q.queue);
        }
        if skilled {
            engine.handle(now, Input::PutSkillCatalog { app: app(), skills: catalog.clone() }).unwrap();
            for &queue in &queues {
                let text = "language[customer.language] >= 3 && product[customer.product] >= 2".into();
                let requirement = QueueRequirement { text, relax_s: 120 };
                engine.handle(now, Input::PutQueueRequirement { app: app(), queue, requirement }).unwrap();
            }
        }
        let mut agents = Vec::new();
        for i in 0..AGENTS {
            let uid = format!("a{i}");
            if skilled {
                // Random levels; at least one language and one product at 5 or more.
                let mut skills: Vec<(Name, u8)> = catalog.iter().map(|s| (s.clone(), r.below(11) as u8)).collect();
                let (lang, product) = (r.below(5) as usize, 5 + r.below(5) as usize);
                skills[lang].1 = skills[lang].1.max(5);
                skills[product].1 = skills[product].1.max(5);
                engine.handle(now, Input::PutAgentSkills { app: app(), user_id: uid.as_str().into(), skills }).unwrap();
            }
            let sid = login(&mut engine, now, &uid, Roles::ALL);
            req(&mut engine, now, sid, Request::SetDndStatus { on: true });
            for k in 0..2 {
                let queue = queues[(i + k * 3) % QUEUES];
                req(&mut engine, now, sid, Request::StartService { queue, priority: 0 });
            }
            agents.push(sid);
        }
        let mut customers = Vec::new();
        let mut by_uid = HashMap::new();
        for i in 0..CUSTOMERS {
            let uid: Name = format!("c{i}").as_str().into();
            let sid = login(&mut engine, now, &uid, Roles::ALL);
            let queue = queues[i % QUEUES];
            let a = if skilled { attrs(&mut r) } else { Vec::new() };
            by_uid.insert(uid.clone(), i);
            customers.push((sid, uid, queue, a));
        }
        let mut run =
            Run { engine, now, skilled, agents, serving: vec![None; AGENTS], customers, by_uid, next: 0, cycles: 0 };
        for i in 0..CUSTOMERS {
            run.queue(i);
        }
        while run.engine.poll_output().is_some() {}
        // Each agent becomes free in turn and takes its first customer.
        for i in 0..AGENTS {
            req(&mut run.engine, now, run.agents[i], Request::SetDndStatus { on: false });
            run.take_offer(i);
        }
        run
    }

    fn queue(&mut self, i: usize) {
        let (sid, _, queue, ref a) = self.customers[i];
        let request = if self.skilled {
            Request::StartQueuingWith { queue, usr_ext_dat: "".into(), attributes: a.clone() }
        } else {
            Request::StartQueuing { queue, usr_ext_dat: "".into() }
        };
        req(&mut self.engine, self.now, sid, request);
    }

    /// Reads the offer the agent just got and accepts it.
    fn take_offer(&mut self, i: usize) {
        let mut offered = None;
        while let Some(o) = self.engine.poll_output() {
            if let Output::Notify { session, notice: Notice::AutoAssignUser(u) } = o {
                if session == self.agents[i] {
                    offered = Some((u.queue, u.user_id));
                }
            }
        }
        let (queue, uid) = offered.expect("an offer: someone waiting suits every agent");
        let n = self.by_uid[&uid];
        req(&mut self.engine, self.now, self.agents[i], Request::AcceptAssignUser { queue, user_id: uid });
        self.serving[i] = Some((queue, self.customers[n].0, n));
        while self.engine.poll_output().is_some() {}
    }

    fn cycle(&mut self) {
        self.cycles += 1;
        let i = self.next;
        self.next = (self.next + 1) % AGENTS;
        let (queue, _, n) = self.serving[i].take().expect("serving");
        let user_id = self.customers[n].1.clone();
        req(&mut self.engine, self.now, self.agents[i], Request::FinishService { queue, user_id });
        self.take_offer(i);
        self.queue(n);
        while self.engine.poll_output().is_some() {}
    }
}

fn skills(c: &mut Criterion) {
    let mut group = c.benchmark_group("skills");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    for (label, skilled, notices) in [
        ("plain", false, true),
        ("skilled_20_skills_requirement_on_every_queue", true, true),
        ("plain_no_user_notices", false, false),
        ("skilled_no_user_notices", true, false),
    ] {
        let mut run = Run::new(skilled, notices);
        group.bench_function(format!("cycle/1k_agents_10k_waiting/{label}"), |b| b.iter(|| run.cycle()));
        run.engine.check_invariants().expect("invariants hold after the benchmark");
        eprintln!("{label}: {} cycles", run.cycles);
    }
    group.finish();
}

criterion_group!(benches, skills);
criterion_main!(benches);
