//! Full ACD cycles per second: finish a service → the agent is offered the head
//! customer → accept → the served customer queues again at the tail. With 1k and with
//! 1M customers waiting, so any O(n) step per assignment would show.
//!
//! Two clocks: `frozen` keeps time still (pure command cost); `realtime` moves the
//! clock 1 ms every 1,000 cycles (as if running at 1M cycles/s), so the coalesced
//! position fan-out (every waiting customer gets its new position once per second) is
//! included. `fanout` measures one such fan-out on its own.

#[path = "support/cycle_driver.rs"]
mod cycle_driver;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use cycle_driver::Bench;

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
