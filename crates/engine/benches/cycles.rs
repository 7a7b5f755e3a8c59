//! Full ACD cycles per second: finish a service → the agent is offered the head
//! customer → accept → the served customer queues again at the tail. With 1k and with
//! 1M customers waiting, so any O(n) step per assignment would show.
//!
//! Two clocks: `frozen` keeps time still (pure command cost); `realtime` moves the
//! clock 1 ms every 1,000 cycles (as if running at 1M cycles/s), so the coalesced
//! position fan-out (every waiting customer gets its new position once per second) is
//! included. `fanout` measures one such fan-out on its own.

use std::collections::VecDeque;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use lineup_engine::{AppSettings, Engine, Input, Name, QueueDef, QueueId, Reply, Request, Roles, SessionId, Time};

struct Bench {
    engine: Engine,
    now: Time,
    queue: QueueId,
    agent: SessionId,
    /// Customers in queue order (the engine's FIFO), each with its number.
    waiting: VecDeque<(SessionId, u32)>,
    serving: (SessionId, u32),
    cycles: u64,
    outputs: u64,
}

fn user_id(n: u32) -> Name {
    compact_str::format_compact!("c{n}")
}

fn login(e: &mut Engine, now: Time, user: &str, roles: Roles) -> SessionId {
    match e.handle(now, Input::Login { app: "bench".into(), user_id: user.into(), name: user.into(), roles }) {
        Ok(Reply::LoggedIn { session, .. }) => session,
        other => panic!("login: {other:?}"),
    }
}

fn req(e: &mut Engine, now: Time, session: SessionId, request: Request) {
    e.handle(now, Input::Session { session, request }).expect("bench request");
}

impl Bench {
    fn new(waiting: usize) -> Bench {
        let mut engine = Engine::new();
        let now = Time::from_millis(1_700_000_000_000);
        engine.handle(now, Input::PutApp { app: "bench".into(), settings: AppSettings::default() }).unwrap();
        let queue = match engine.handle(now, Input::CreateQueue { app: "bench".into(), id: None, def: QueueDef::named("q") }) {
            Ok(Reply::Queue(q)) => q.queue,
            other => panic!("{other:?}"),
        };
        let agent = login(&mut engine, now, "agent", Roles::ALL);
        req(&mut engine, now, agent, Request::SetDndStatus { on: true });
        req(&mut engine, now, agent, Request::StartService { queue, priority: 0 });
        let mut all = VecDeque::with_capacity(waiting + 1);
        for i in 0..=waiting {
            let sid = login(&mut engine, now, &user_id(i as u32), Roles::ALL);
            req(&mut engine, now, sid, Request::StartQueuing { queue, usr_ext_dat: "".into() });
            all.push_back((sid, i as u32));
            if i % 4096 == 0 {
                while engine.poll_output().is_some() {}
            }
        }
        // The agent takes the head by hand; the rest wait.
        req(&mut engine, now, agent, Request::ReqAssignUser);
        req(&mut engine, now, agent, Request::SetDndStatus { on: false });
        let serving = all.pop_front().unwrap();
        while engine.poll_output().is_some() {}
        Bench { engine, now, queue, agent, waiting: all, serving, cycles: 0, outputs: 0 }
    }

    /// finish → offer → accept → re-queue.
    fn cycle(&mut self, advance_every: u64) {
        self.cycles += 1;
        if advance_every > 0 && self.cycles % advance_every == 0 {
            self.now = self.now.plus_millis(1);
        }
        let (now, queue, agent) = (self.now, self.queue, self.agent);
        // Requests carry fresh strings, as a server builds them from the wire.
        let (served_sid, served_n) = self.serving;
        req(&mut self.engine, now, agent, Request::FinishService { queue, user_id: user_id(served_n) });
        let head = self.waiting.pop_front().expect("someone waits");
        req(&mut self.engine, now, agent, Request::AcceptAssignUser { queue, user_id: user_id(head.1) });
        req(&mut self.engine, now, served_sid, Request::StartQueuing { queue, usr_ext_dat: "".into() });
        self.waiting.push_back((served_sid, served_n));
        self.serving = head;
        while self.engine.poll_output().is_some() {
            self.outputs += 1;
        }
    }
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<f64>().ok()))
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}

fn cycles(c: &mut Criterion) {
    let mut group = c.benchmark_group("cycle");
    group.throughput(Throughput::Elements(1));
    for (label, waiting) in [("1k", 1_000usize), ("1M", 1_000_000)] {
        let before = rss_mb();
        let mut b = Bench::new(waiting);
        eprintln!("{label} waiting: setup done, process RSS {:.0} MB (+{:.0} MB)", rss_mb(), rss_mb() - before);
        group.sample_size(if waiting > 10_000 { 20 } else { 50 });
        group.bench_function(format!("frozen_clock/{label}_waiting"), |bench| bench.iter(|| b.cycle(0)));
        group.bench_function(format!("realtime_clock/{label}_waiting"), |bench| bench.iter(|| b.cycle(1000)));
        b.engine.check_invariants().expect("invariants hold after the benchmark");
        eprintln!("{label}: {} cycles run, {:.2} outputs per cycle", b.cycles, b.outputs as f64 / b.cycles as f64);
    }
    group.finish();
}

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    group.sample_size(10);
    let mut b = Bench::new(1_000_000);
    // Each iteration moves the clock past the notice interval, so the cycle's position
    // change reaches all 1M waiting customers.
    group.bench_function("one_cycle_with_position_fanout/1M_waiting", |bench| {
        bench.iter_batched(
            || (),
            |_| {
                b.now = b.now.plus_millis(1001);
                b.cycle(0)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, cycles, fanout);
criterion_main!(benches);
