//! The journal's cost and the start-up time it buys, printed as a table:
//!
//! - engine cycles/s (finish → offer → accept → re-queue) with the journal off and on,
//!   in the same run: on = every input encoded and appended to the SQLite journal
//!   (synchronous=FULL), committed once per hub turn of 3 inputs (one cycle per turn,
//!   an idle server) and of 256 inputs (a busy server's group commit); then the same on
//!   the cluster's PostgreSQL journal (a throwaway PostgreSQL on loopback, fsync on,
//!   each commit checking the app's lease and epoch);
//! - start-up to serving with 100,000 customers waiting: the real `prepare` (open the
//!   store, restore the snapshot, replay the journal tail, hold every session, write a
//!   fresh snapshot), with a tail of 40,000 journaled steps and 100,001 resume tokens.
//!
//! `cargo bench -p lineup-server --bench journal` (or `cargo xtask bench`).

#[path = "../../engine/benches/support/cycle_driver.rs"]
mod cycle_driver;
#[path = "../tests/common/pg.rs"]
mod pg;

use std::path::PathBuf;
use std::time::Instant;

use cycle_driver::Bench;
use lineup_engine::{Input, QueueDef, QueueId};
use lineup_server::cluster::{lease, schema, LeaseTerms, Pg, PgJournal};
use lineup_server::journal::{Journal, StepRef, StoredSnapshot};
use lineup_server::store::{AppRow, Store};
use lineup_server::Config;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lineup-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A journal hook that appends each input and commits every `turn` inputs.
fn journal_hook(mut store: impl Journal + 'static, first_seq: u64, turn: u64) -> Box<dyn FnMut(lineup_engine::Time, &Input)> {
    let mut seq = first_seq;
    Box::new(move |t, input| {
        if seq % turn == first_seq % turn {
            store.begin().unwrap();
        }
        seq += 1;
        store.append(seq, t, &StepRef::Input(input).encode()).unwrap();
        if seq % turn == first_seq % turn {
            store.commit().unwrap();
        }
    })
}

fn cycles_per_s(b: &mut Bench, n: u64) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        b.cycle(1000);
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn cycles_table() {
    println!("| journal | cycles/s (1k waiting) |");
    println!("|---|---|");
    let mut b = Bench::new(1_000);
    cycles_per_s(&mut b, 20_000); // warm up
    let off = cycles_per_s(&mut b, 300_000);
    println!("| off | {off:.0} |");
    for (label, turn, n) in [("on, commit per 256 inputs (busy hub)", 256, 300_000), ("on, commit per 3 inputs (one cycle a turn)", 3, 20_000)] {
        let dir = temp_dir(&format!("cycles-{turn}"));
        b.journal = Some(journal_hook(Store::open(&dir).unwrap(), 0, turn));
        let on = cycles_per_s(&mut b, n);
        b.journal = None;
        let bytes = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum::<u64>();
        println!("| {label} | {on:.0} ({:.0}% of off; {:.0} bytes per input on disk) |", on / off * 100.0, bytes as f64 / (n * 3) as f64);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let server = pg::ThrowawayPg::start();
    let conn = std::sync::Arc::new(Pg::connect(&server.url()).expect("the throwaway PostgreSQL"));
    schema::migrate(&conn).unwrap();
    for (i, (label, turn, n)) in [("PostgreSQL, commit per 256 inputs (busy hub)", 256, 300_000), ("PostgreSQL, commit per 3 inputs (one cycle a turn)", 3, 6_000)].into_iter().enumerate() {
        let app = format!("bench-{i}");
        let lease = lease::acquire(&conn, &app, "bench-node", LeaseTerms { expire_after: std::time::Duration::from_secs(3600), ..Default::default() }).unwrap().unwrap();
        b.journal = Some(journal_hook(PgJournal::new(conn.clone(), lease), 0, turn));
        let on = cycles_per_s(&mut b, n);
        b.journal = None;
        println!("| {label} | {on:.0} ({:.0}% of off) |", on / off * 100.0);
    }
}

fn startup_table() {
    const WAITING: usize = 100_000;
    const TAIL_CYCLES: u64 = 13_334; // 40,002 journaled inputs
    let dir = temp_dir("startup");
    let built = Instant::now();
    let mut b = Bench::new(WAITING);
    let mut store = Store::open(&dir).unwrap();
    let app = AppRow { id: "bench".into(), secret: "bench".into(), settings: Default::default() };
    store.insert_app(&app, 0).unwrap();
    store.insert_queue("bench", QueueId(1), &QueueDef::named("q"), 0).unwrap();
    store.begin().unwrap();
    let sessions: Vec<_> = (0..=WAITING as u32).map(|i| cycle_driver::user_id(i)).collect();
    for (i, _) in sessions.iter().enumerate() {
        store.put_resume_token(&format!("{i:064x}"), i as u64).unwrap();
    }
    let snapshot_seq = 1_000_000;
    store.save_snapshot(&StoredSnapshot { seq: snapshot_seq, at: b.now, bytes: b.engine.snapshot() }).unwrap();
    store.commit().unwrap();
    b.journal = Some(journal_hook(store, snapshot_seq, 256));
    for _ in 0..TAIL_CYCLES {
        b.cycle(1000);
    }
    b.journal = None; // drops the store: an unfinished turn is not committed, as in a crash
    println!("(data directory built in {:.1} s)", built.elapsed().as_secs_f64());
    let config = Config { data_dir: dir.clone(), seed_demo: false, www_dir: None, sdk_dir: None, ..Config::default() };
    let started = Instant::now();
    let prepared = lineup_server::prepare(config).expect("the server recovers");
    let took = started.elapsed();
    let r = &prepared.recovered;
    println!();
    println!("| start-up | figure |");
    println!("|---|---|");
    println!("| customers waiting after recovery | {} |", r.waiting);
    println!("| sessions held for resume | {} |", r.sessions);
    println!("| journal steps replayed after the snapshot | {} |", r.replayed);
    println!("| open + restore + replay + hold all + new snapshot | {:.0} ms |", took.as_secs_f64() * 1000.0);
    drop(prepared);
    let started = Instant::now();
    let again = lineup_server::prepare(Config { data_dir: dir.clone(), seed_demo: false, www_dir: None, sdk_dir: None, ..Config::default() }).unwrap();
    println!("| the same, right after a snapshot (no tail) | {:.0} ms ({} steps replayed) |", started.elapsed().as_secs_f64() * 1000.0, again.recovered.replayed);
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    cycles_table();
    println!();
    startup_table();
}
