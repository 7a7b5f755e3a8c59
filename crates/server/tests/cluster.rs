//! The cluster's storage on a throwaway PostgreSQL: migrations, nodes, app leases with their
//! fencing epochs on the database clock, and the journal per app: an app moved to a
//! new owner continues in exactly the state the old one left, and an owner that lost
//! its lease cannot write (no gap, no fork).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::pg::ThrowawayPg;
use lineup_engine::{AppSettings, Engine, Input, QueueDef, QueueId, Reply, Request, Roles, SessionId, Time};
use lineup_server::cluster::lease::{self, LeaseKeeper};
use lineup_server::cluster::{schema, Lease, LeaseTerms, Pg, PgError, PgJournal};
use lineup_server::journal::{self, Journal, JournalError, ReportRow, StepRef, StoredSnapshot};

const APP: &str = "acme";

fn connect(pg: &ThrowawayPg) -> Pg {
    let conn = Pg::connect(&pg.url()).expect("connect to the throwaway PostgreSQL");
    schema::migrate(&conn).expect("migrations");
    conn
}

/// An app's owner: its engine and its journal, stepping on a virtual clock.
struct Owner {
    engine: Engine,
    journal: PgJournal,
    seq: u64,
    now: Time,
}

impl Owner {
    fn new(pg: Arc<Pg>, lease: Lease) -> Owner {
        Owner {
            engine: Engine::new(),
            journal: PgJournal::new(pg, lease),
            seq: 0,
            now: Time::from_millis(1_750_000_000_000),
        }
    }

    /// Takes the app over: the snapshot restored, the journal after it replayed.
    fn take_over(pg: Arc<Pg>, lease: Lease) -> Owner {
        let mut journal = PgJournal::new(pg, lease);
        let recovery = journal.recover().expect("recover");
        let seq = recovery.last_seq();
        let engine = journal::replay(&recovery).expect("replay");
        let now = engine.now().plus_millis(1);
        Owner { engine, journal, seq, now }
    }

    fn step(&mut self, input: Input) -> Reply {
        self.now = self.now.plus_millis(1);
        self.seq += 1;
        self.journal.append(self.seq, self.now, &StepRef::Input(&input).encode()).unwrap();
        let reply = self.engine.handle(self.now, input).expect("engine step");
        while self.engine.poll_output().is_some() {}
        reply
    }

    fn request(&mut self, session: SessionId, request: Request) {
        self.step(Input::Session { session, request });
    }

    fn login(&mut self, user: &str) -> SessionId {
        match self.step(Input::Login { app: APP.into(), user_id: user.into(), name: user.into(), roles: Roles::ALL }) {
            Reply::LoggedIn { session, .. } => session,
            other => panic!("login: {other:?}"),
        }
    }

    /// A customer logs in and queues.
    fn queue_up(&mut self, user: &str, queue: QueueId) -> SessionId {
        let c = self.login(user);
        self.request(c, Request::StartQueuing { queue, usr_ext_dat: "".into() });
        c
    }

    /// One turn: `f`'s steps, then the commit.
    fn turn<R>(&mut self, f: impl FnOnce(&mut Owner) -> R) -> Result<R, JournalError> {
        self.journal.begin()?;
        let r = f(self);
        self.journal.commit()?;
        Ok(r)
    }

    fn snapshot(&mut self) {
        let s = StoredSnapshot { seq: self.seq, at: self.engine.now(), bytes: self.engine.snapshot() };
        self.turn(|o| o.journal.save_snapshot(&s).unwrap()).unwrap();
    }

    /// The app with one queue, an agent in do-not-disturb and `customers` waiting.
    fn set_up(&mut self, customers: u32) -> QueueId {
        self.turn(|o| {
            o.step(Input::PutApp { app: APP.into(), settings: AppSettings::default() });
            let queue = match o.step(Input::CreateQueue { app: APP.into(), id: None, def: QueueDef::named("support") })
            {
                Reply::Queue(q) => q.queue,
                other => panic!("{other:?}"),
            };
            let agent = o.login("agent");
            o.request(agent, Request::SetDndStatus { on: true });
            o.request(agent, Request::StartService { queue, priority: 0 });
            for i in 0..customers {
                o.queue_up(&format!("c{i}"), queue);
            }
            queue
        })
        .unwrap()
    }

    fn waiting(&self, queue: QueueId) -> u32 {
        self.engine.queue_status(queue).expect("queue").wait_num
    }
}

fn acquire(pg: &Pg, node: &str, terms: LeaseTerms) -> Option<Lease> {
    lease::acquire(pg, APP, node, terms).unwrap()
}

#[test]
fn migrations_apply_once_even_from_nodes_starting_together_and_a_newer_schema_is_refused() {
    let pg = ThrowawayPg::start();
    let url = pg.url();
    let nodes: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || schema::migrate(&Pg::connect(&url).unwrap()).map_err(|e| e.to_string()))
        })
        .collect();
    let found: Vec<i32> = nodes.into_iter().map(|t| t.join().unwrap().unwrap()).collect();
    assert_eq!(found.iter().filter(|v| **v == 0).count(), 1, "exactly one node applied the migrations: {found:?}");
    let conn = Pg::connect(&url).unwrap();
    let applied: i64 = conn.query(|c| c.query_one("SELECT count(*) FROM lineup_migrations", &[])).unwrap().get(0);
    assert_eq!(applied, schema::MIGRATIONS.len() as i64);
    conn.query(|c| c.execute("INSERT INTO lineup_migrations (version) VALUES (9999)", &[])).unwrap();
    match schema::migrate(&conn) {
        Err(PgError::Schema { found: 9999, known }) => assert_eq!(known, schema::current_version()),
        other => panic!("a newer schema must be refused: {other:?}"),
    }
    assert!(matches!(Pg::connect("postgres://lineup@127.0.0.1:1/x"), Err(PgError::Connect(_))));
    assert!(matches!(Pg::connect("postgres://[bad"), Err(PgError::Url(_))));
}

#[test]
fn a_lease_has_one_holder_its_epoch_rises_with_each_owner_and_it_runs_out_on_the_database_clock() {
    let pg = ThrowawayPg::start();
    let conn = connect(&pg);
    let terms = LeaseTerms { renew_every: Duration::from_millis(100), expire_after: Duration::from_millis(600) };
    let a = acquire(&conn, "node-a", terms).expect("a free lease");
    assert_eq!(a.epoch, 1);
    assert_eq!(acquire(&conn, "node-b", terms), None, "held by a");
    assert!(lease::renew(&conn, &a, terms).unwrap());
    assert!(lease::release(&conn, &a).unwrap());
    assert!(!lease::renew(&conn, &a, terms).unwrap(), "released: no renewal");
    let b = acquire(&conn, "node-b", terms).expect("released: free at once");
    assert_eq!(b.epoch, 2);
    assert!(!lease::renew(&conn, &a, terms).unwrap(), "a's epoch is over");
    // Unrenewed, b's lease runs out after its expiry and not before.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(acquire(&conn, "node-c", terms), None);
    std::thread::sleep(Duration::from_millis(400));
    let holder = lease::holder(&conn, APP).unwrap().unwrap();
    assert_eq!((holder.owner.as_str(), holder.epoch, holder.live), ("node-b", 2, false));
    let c = acquire(&conn, "node-c", terms).expect("run out: free");
    assert_eq!(c.epoch, 3);
    assert!(!lease::renew(&conn, &b, terms).unwrap());
}

#[test]
fn a_kept_lease_stays_held_and_a_stopped_keeper_lets_another_node_take_over() {
    let pg = ThrowawayPg::start();
    let conn = connect(&pg);
    let terms = LeaseTerms { renew_every: Duration::from_millis(100), expire_after: Duration::from_millis(500) };
    let a = acquire(&conn, "node-a", terms).unwrap();
    let keeper = LeaseKeeper::start(Pg::connect(&pg.url()).unwrap(), "node-a", terms);
    keeper.keep(&a, Instant::now());
    let other = lease::acquire(&conn, "other", "node-a", terms).unwrap().unwrap();
    keeper.keep(&other, Instant::now());
    std::thread::sleep(Duration::from_millis(1200));
    assert!(keeper.is_held(APP) && keeper.is_held("other"), "renewed past their first expiry");
    keeper.forget("other");
    assert_eq!(keeper.kept().keys().collect::<Vec<_>>(), [APP]);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(lease::holder(&conn, "other").unwrap().map(|h| h.live), Some(false), "a forgotten lease runs out");
    assert!(keeper.is_held(APP));
    assert_eq!(acquire(&conn, "node-b", terms), None);
    // The keeper stops (as a node that died): the lease runs out and b takes it.
    keeper.stop();
    let stopped = Instant::now();
    let b = loop {
        if let Some(b) = acquire(&conn, "node-b", terms) {
            break b;
        }
        assert!(stopped.elapsed() < Duration::from_secs(3), "the lease never ran out");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(b.epoch, 2);
    assert!(stopped.elapsed() >= Duration::from_millis(300), "taken before a's lease ran out");
    // A keeper whose lease was taken over says so at its next renewal.
    let stale = LeaseKeeper::start(Pg::connect(&pg.url()).unwrap(), "node-a", terms);
    stale.keep(&a, Instant::now());
    std::thread::sleep(Duration::from_millis(300));
    assert!(!stale.is_held(APP));
    assert_eq!(stale.kept()[APP], (1, false));
}

#[test]
fn a_new_owner_continues_in_exactly_the_state_the_old_owner_committed() {
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let terms = LeaseTerms::default();
    let lease_a = acquire(&conn, "node-a", terms).unwrap();
    let mut a = Owner::new(conn.clone(), lease_a.clone());
    let queue = a.set_up(40);
    a.snapshot();
    // After the snapshot: the agent takes the head by hand, three more customers queue.
    a.turn(|o| {
        let agent = o.login("agent");
        o.request(agent, Request::ReqAssignUser);
        for i in 40..43 {
            o.queue_up(&format!("c{i}"), queue);
        }
    })
    .unwrap();
    // A turn that never commits (the node died in it) is not part of the app.
    a.journal.begin().unwrap();
    a.queue_up("ghost", queue);
    let committed = {
        let recovery = PgJournal::new(conn.clone(), lease_a.clone()).recover().unwrap();
        journal::replay(&recovery).unwrap()
    };
    assert_eq!(committed.queue_status(queue).unwrap().wait_num, 42);
    drop(a);

    assert!(lease::release(&conn, &lease_a).unwrap());
    let lease_b = acquire(&conn, "node-b", terms).unwrap();
    let mut b = Owner::take_over(conn.clone(), lease_b);
    assert_eq!(b.engine.digest(), committed.digest(), "the new owner's engine is the committed state, to the byte");
    assert_eq!(b.seq, 1 + 1 + 1 + 2 + 40 * 2 + 1 + 1 + 3 * 2, "every committed step, none of the open turn");
    assert_eq!(b.waiting(queue), 42);
    // The new owner goes on where the old one stopped: its steps follow on.
    b.turn(|o| {
        o.queue_up("c99", queue);
    })
    .unwrap();
    assert_eq!(b.waiting(queue), 43);
    let history = b.journal.history().unwrap();
    let seqs: Vec<u64> = history.iter().map(|h| h.0).collect();
    let first = seqs[0];
    assert_eq!(seqs, (first..first + seqs.len() as u64).collect::<Vec<_>>(), "no gap");
    assert!(history.windows(2).all(|w| w[0].1 <= w[1].1), "epochs never go back");
    assert_eq!(history.last().unwrap().1, 2);
}

#[test]
fn an_owner_that_lost_its_lease_writes_nothing_more_and_the_journal_has_no_gap_and_no_fork() {
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let terms = LeaseTerms { renew_every: Duration::from_millis(100), expire_after: Duration::from_millis(500) };
    let mut a = Owner::new(conn.clone(), acquire(&conn, "node-a", terms).unwrap());
    let queue = a.set_up(5);
    let a_steps = a.seq;
    // a is paused (no renewal) past its expiry; b takes the app over.
    std::thread::sleep(Duration::from_millis(600));
    let mut b = Owner::take_over(conn.clone(), acquire(&conn, "node-b", terms).unwrap());
    assert_eq!(b.seq, a_steps);
    // a runs again and tries to write its next turn: refused, nothing of it stored.
    let fenced = a.turn(|o| {
        o.queue_up("late", queue);
    });
    match fenced {
        Err(JournalError::Fenced { app, epoch: 1 }) => assert_eq!(app, APP),
        other => panic!("the old owner's commit must be fenced: {other:?}"),
    }
    // Both would have written the same step numbers; only b's are there.
    b.turn(|o| {
        o.queue_up("next", queue);
    })
    .unwrap();
    let history = b.journal.history().unwrap();
    assert_eq!(history.len() as u64, a_steps + 2);
    assert!(history.iter().enumerate().all(|(i, h)| h.0 == i as u64 + 1), "no gap");
    assert!(
        history[..a_steps as usize].iter().all(|h| h.1 == 1) && history[a_steps as usize..].iter().all(|h| h.1 == 2)
    );
    let mut check = PgJournal::new(conn.clone(), b.journal.lease().clone());
    let rebuilt = journal::replay(&check.recover().unwrap()).unwrap();
    assert_eq!(rebuilt.digest(), b.engine.digest(), "the journal is b's history, with nothing of a's late turn");
    assert_eq!(rebuilt.queue_status(queue).unwrap().wait_num, 6);
}

/// The report rows an ended interval leaves: `n` queues' rows starting at `start_ms`.
fn report_rows(start_ms: u64, n: u32, body: &str) -> Vec<ReportRow> {
    (1..=n)
        .map(|q| ReportRow { kind: "queue".into(), subject: q.to_string(), start_ms, body: format!("{{\"v\":\"{body}\"}}") })
        .collect()
}

#[test]
fn report_rows_commit_with_their_turn_are_fenced_with_it_and_are_pruned_per_app() {
    const M: u64 = 15 * 60 * 1000;
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let terms = LeaseTerms { renew_every: Duration::from_millis(100), expire_after: Duration::from_millis(500) };
    let mut a = Owner::new(conn.clone(), acquire(&conn, "node-a", terms).unwrap());
    a.set_up(1);
    a.turn(|o| o.journal.put_report_rows(APP, &report_rows(10 * M, 2, "first"), 0).unwrap()).unwrap();
    // The same interval again (a replayed close): replaced, not doubled.
    a.turn(|o| o.journal.put_report_rows(APP, &report_rows(10 * M, 2, "again"), 0).unwrap()).unwrap();
    let rows = a.journal.report_rows(APP, "queue", 0, 100 * M).unwrap();
    assert_eq!(rows, report_rows(10 * M, 2, "again"));
    assert!(a.journal.report_rows(APP, "agent", 0, 100 * M).unwrap().is_empty());
    assert!(a.journal.report_rows(APP, "queue", 11 * M, 100 * M).unwrap().is_empty(), "by start");
    // a loses the app: its late rows are refused with its turn.
    std::thread::sleep(Duration::from_millis(600));
    let mut b = Owner::take_over(conn.clone(), acquire(&conn, "node-b", terms).unwrap());
    let late = a.turn(|o| o.journal.put_report_rows(APP, &report_rows(11 * M, 1, "late"), 0).unwrap());
    assert!(matches!(late, Err(JournalError::Fenced { .. })), "{late:?}");
    assert_eq!(b.journal.report_rows(APP, "queue", 0, 100 * M).unwrap(), report_rows(10 * M, 2, "again"), "the new owner reads them");
    // The retention: rows starting before the kept start go, other apps' stay.
    let other = lease::acquire(&conn, "other", "node-b", LeaseTerms::default()).unwrap().unwrap();
    let mut other = PgJournal::new(conn.clone(), other);
    other.begin().unwrap();
    other.put_report_rows("other", &report_rows(10 * M, 1, "other"), 0).unwrap();
    other.commit().unwrap();
    b.turn(|o| o.journal.put_report_rows(APP, &report_rows(12 * M, 1, "kept"), 11 * M).unwrap()).unwrap();
    assert_eq!(b.journal.report_rows(APP, "queue", 0, 100 * M).unwrap(), report_rows(12 * M, 1, "kept"));
    assert_eq!(other.report_rows("other", "queue", 0, 100 * M).unwrap(), report_rows(10 * M, 1, "other"));
}

#[test]
fn a_commit_racing_a_takeover_either_lands_before_it_or_is_fenced() {
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let terms = LeaseTerms { renew_every: Duration::from_millis(50), expire_after: Duration::from_millis(300) };
    let mut a = Owner::new(conn.clone(), acquire(&conn, "node-a", terms).unwrap());
    let queue = a.set_up(0);
    // a commits turn after turn on its own connection while b waits for the lease
    // (a does not renew): every turn of a is either in b's recovery or refused.
    let url = pg.url();
    let taker = std::thread::spawn(move || {
        let conn = Arc::new(Pg::connect(&url).unwrap());
        let started = Instant::now();
        loop {
            if let Some(lease) = lease::acquire(&conn, APP, "node-b", terms).unwrap() {
                return Owner::take_over(conn, lease).engine.digest();
            }
            assert!(started.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let mut landed = 0u32;
    let racing = Instant::now();
    let fenced = loop {
        assert!(racing.elapsed() < Duration::from_secs(10), "a was never fenced");
        let before = a.seq;
        let r = a.turn(|o| {
            o.queue_up(&format!("r{before}"), queue);
        });
        match r {
            Ok(()) => landed += 1,
            Err(JournalError::Fenced { .. }) => break before,
            Err(e) => panic!("{e}"),
        }
    };
    let b_digest = taker.join().unwrap();
    // b's state is a's state as of its last landed turn: rebuild that from the journal.
    let history = PgJournal::new(conn.clone(), a.journal.lease().clone()).history().unwrap();
    assert_eq!(history.last().unwrap().0, fenced, "the journal ends at a's last landed turn");
    assert!(landed > 0, "a committed while it held the lease");
    let rebuilt = journal::replay(&PgJournal::new(conn, a.journal.lease().clone()).recover().unwrap()).unwrap();
    assert_eq!(rebuilt.digest(), b_digest);
    assert_eq!(rebuilt.queue_status(queue).unwrap().wait_num, landed);
}

#[test]
fn a_job_rolled_back_leaves_nothing_and_tokens_and_tickets_persist_per_app() {
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let lease_a = acquire(&conn, "node-a", LeaseTerms::default()).unwrap();
    let mut a = Owner::new(conn.clone(), lease_a.clone());
    let queue = a.set_up(1);
    a.journal.begin().unwrap();
    a.journal.savepoint().unwrap();
    let kept = a.queue_up("kept", queue);
    a.journal.put_resume_token("hash-kept", kept.0).unwrap();
    assert!(a.journal.use_ticket("t1", 2_000, 1_000).unwrap());
    a.journal.release_savepoint().unwrap();
    a.journal.savepoint().unwrap();
    let seq_before = a.seq;
    a.login("dropped");
    a.journal.put_resume_token("hash-dropped", 999).unwrap();
    assert!(!a.journal.use_ticket("t1", 2_000, 1_000).unwrap(), "used earlier in the same turn");
    a.journal.rollback_to_savepoint().unwrap();
    a.seq = seq_before;
    // The open turn as recovery sees it: the kept job, not the dropped one.
    let open = journal::replay(&a.journal.recover().unwrap()).unwrap();
    assert_eq!(open.queue_status(queue).unwrap().wait_num, 2);
    assert!(open.session_view(kept).is_some());
    a.engine = open; // as the hub does after a roll-back
    a.journal.commit().unwrap();
    let mut fresh = PgJournal::new(conn.clone(), lease_a.clone());
    assert_eq!(fresh.resume_tokens().unwrap(), vec![("hash-kept".to_string(), kept.0)]);
    assert!(!fresh.use_ticket("t1", 2_000, 1_500).unwrap(), "a used ticket stays used until it expires");
    assert!(fresh.use_ticket("t1", 3_000, 2_000).unwrap(), "expired: usable again");
    // Another app's journal, tokens and tickets are its own.
    let other = lease::acquire(&conn, "other", "node-a", LeaseTerms::default()).unwrap().unwrap();
    let mut other = PgJournal::new(conn.clone(), other);
    assert!(other.recover().unwrap().is_empty());
    assert!(other.resume_tokens().unwrap().is_empty());
    assert!(other.use_ticket("t1", 2_000, 1_000).unwrap());
    // A snapshot trims what it covers.
    a.snapshot();
    let recovery = PgJournal::new(conn.clone(), lease_a).recover().unwrap();
    assert_eq!(recovery.snapshot.as_ref().map(|s| s.seq), Some(a.seq));
    assert!(recovery.tail.is_empty());
    assert_eq!(a.journal.history().unwrap(), vec![], "the journal up to the snapshot is trimmed");
}

#[test]
fn live_nodes_are_the_recent_heartbeats_not_leaving_and_placement_follows_them() {
    use lineup_server::cluster::nodes;
    use lineup_server::cluster::placement::preferred_owner;
    let pg = ThrowawayPg::start();
    let conn = connect(&pg);
    for (id, addr) in [("n1", "127.0.0.1:7001"), ("n2", "127.0.0.1:7002"), ("n3", "127.0.0.1:7003")] {
        nodes::heartbeat(&conn, id, addr).unwrap();
    }
    let within = Duration::from_millis(400);
    let ids = |live: Vec<nodes::Node>| live.into_iter().map(|n| n.id).collect::<Vec<_>>();
    let all = ids(nodes::live(&conn, within).unwrap());
    assert_eq!(all, ["n1", "n2", "n3"]);
    let owners: Vec<_> = (0..40).map(|i| preferred_owner(&format!("app{i}"), &all).unwrap().to_string()).collect();
    assert!(["n1", "n2", "n3"].iter().all(|n| owners.iter().any(|o| o == n)), "40 apps use every node: {owners:?}");
    // n2 leaves gracefully: gone at once. n3 stops beating: gone after `within`.
    nodes::leave(&conn, "n2").unwrap();
    assert_eq!(ids(nodes::live(&conn, within).unwrap()), ["n1", "n3"]);
    std::thread::sleep(Duration::from_millis(250));
    nodes::heartbeat(&conn, "n1", "127.0.0.1:7001").unwrap();
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(ids(nodes::live(&conn, within).unwrap()), ["n1"]);
    // n2 starts again: live again, at its new address.
    nodes::heartbeat(&conn, "n2", "127.0.0.1:7012").unwrap();
    assert_eq!(nodes::live(&conn, within).unwrap()[1], nodes::Node { id: "n2".into(), addr: "127.0.0.1:7012".into() });
}

/// The child of the pause test: owns the app with the default terms (renew every
/// 300 ms, expire after 1.5 s), commits a turn every 20 ms while its keeper says the
/// lease is held, and exits when it is not (3), when a commit is fenced (4) or when its
/// connection was ended (5). Run only by that test, as a process of its own.
#[test]
#[ignore = "the child process of the SIGSTOP test; it runs only as that"]
fn owner_process() {
    let url = std::env::var("LINEUP_TEST_PG_URL").expect("run by the SIGSTOP test");
    let conn = Arc::new(Pg::connect(&url).unwrap());
    let terms = LeaseTerms::default();
    let lease = acquire(&conn, "node-a", terms).expect("the lease is free");
    let keeper = LeaseKeeper::start(Pg::connect(&url).unwrap(), "node-a", terms);
    keeper.keep(&lease, Instant::now());
    let mut a = Owner::new(conn, lease);
    let queue = a.set_up(0);
    println!("child: committed {}", a.seq);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if !keeper.is_held(APP) {
            println!("child: stepped down after {}", a.seq);
            std::process::exit(3);
        }
        let n = a.seq;
        match a.turn(|o| {
            o.queue_up(&format!("p{n}"), queue);
        }) {
            Ok(()) => println!("child: committed {}", a.seq),
            Err(JournalError::Fenced { .. }) => {
                println!("child: fenced after {n}");
                std::process::exit(4);
            }
            Err(e) => {
                println!("child: store error after {n}: {e}");
                std::process::exit(5);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::exit(1);
}

#[test]
fn an_owner_process_paused_for_5_s_is_taken_over_and_writes_nothing_when_it_runs_again() {
    use std::io::BufRead;
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "owner_process", "--ignored", "--nocapture", "--test-threads=1"])
        .env("LINEUP_TEST_PG_URL", pg.url())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(l) = line.strip_prefix("child: ") {
                let _ = tx.send(l.to_string());
            }
        }
    });
    let signal = |sig: &str| {
        assert!(std::process::Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success());
    };
    // The child owns the app and commits turns.
    let mut committed = 0;
    while committed < 10 {
        let line = lines.recv_timeout(Duration::from_secs(10)).expect("the child commits");
        committed += line.starts_with("committed").then_some(1).unwrap_or(0);
    }
    signal("-STOP");
    let paused = Instant::now();
    // Another node takes the app over once the lease ran out.
    let lease_b = loop {
        if let Some(l) = acquire(&conn, "node-b", LeaseTerms::default()) {
            break l;
        }
        assert!(paused.elapsed() < Duration::from_secs(4), "no takeover while the owner is paused");
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = paused.elapsed();
    println!("taken over {} ms after the owner was paused", took.as_millis());
    assert!(took >= Duration::from_millis(1000), "taken over before the lease could run out: {took:?}");
    let mut b = Owner::take_over(conn.clone(), lease_b);
    let queue = b.engine.queues(APP)[0].queue;
    let taken_at = b.seq;
    for i in 0..3 {
        b.turn(|o| {
            o.queue_up(&format!("b{i}"), queue);
        })
        .unwrap();
    }
    std::thread::sleep(Duration::from_secs(5).saturating_sub(paused.elapsed()));
    signal("-CONT");
    // The old owner steps down at once and writes nothing more.
    let resumed = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(resumed.elapsed() < Duration::from_secs(3), "the old owner did not step down");
        std::thread::sleep(Duration::from_millis(10));
    };
    let last: Vec<String> = lines.try_iter().collect();
    assert!(matches!(status.code(), Some(3..=5)), "the old owner must step down: {status:?}, said {last:?}");
    println!("the old owner, run again: {}", last.last().map_or("", |l| l.as_str()));
    let history = b.journal.history().unwrap();
    assert!(history.iter().enumerate().all(|(i, h)| h.0 == i as u64 + 1), "no gap");
    let epochs: Vec<u64> = history.iter().map(|h| h.1).collect();
    assert_eq!(
        epochs.iter().filter(|e| **e == 1).count() as u64,
        taken_at,
        "the old owner wrote nothing after the takeover"
    );
    assert!(epochs[taken_at as usize..].iter().all(|e| *e == 2), "no fork: {epochs:?}");
    assert_eq!(history.len() as u64, taken_at + 6);
    let rebuilt = journal::replay(&PgJournal::new(conn, b.journal.lease().clone()).recover().unwrap()).unwrap();
    assert_eq!(rebuilt.digest(), b.engine.digest());
}

#[test]
fn an_owner_paused_inside_its_commit_does_not_hold_the_lease_row_past_its_lease() {
    let pg = ThrowawayPg::start();
    let conn = Arc::new(connect(&pg));
    let terms = LeaseTerms::default();
    let lease_a = acquire(&conn, "node-a", terms).unwrap();
    // a stops in the middle of a commit: its transaction holds the share lock on the
    // lease row, and nothing more comes from it.
    let paused = Pg::connect(&pg.url()).unwrap();
    paused.query(|c| c.batch_execute("BEGIN; SELECT 1 FROM app_leases WHERE app = 'acme' FOR SHARE")).unwrap();
    let started = Instant::now();
    let url = pg.url();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let conn = Pg::connect(&url).unwrap();
        loop {
            match lease::acquire(&conn, APP, "node-b", LeaseTerms::default()) {
                Ok(Some(lease)) => return tx.send(lease).unwrap(),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("{e}"),
            }
        }
    });
    let lease_b =
        rx.recv_timeout(Duration::from_secs(5)).expect("the takeover is not blocked by the paused transaction");
    assert_eq!(lease_b.epoch, lease_a.epoch + 1);
    println!("taken over {} ms after the owner paused in its commit", started.elapsed().as_millis());
    // The paused connection was ended by the server: a, run again, cannot write.
    let ended = paused.query(|c| c.batch_execute("COMMIT"));
    assert!(ended.is_err() || paused.query(|c| c.batch_execute("SELECT 1")).is_err(), "the paused session was ended");
}

#[test]
fn the_plan_reads_every_lease_with_how_long_a_free_one_has_been_free() {
    let pg = ThrowawayPg::start();
    let conn = connect(&pg);
    let terms = LeaseTerms { renew_every: Duration::from_millis(100), expire_after: Duration::from_millis(300) };
    let a = lease::acquire(&conn, "held", "node-a", terms).unwrap().unwrap();
    let b = lease::acquire(&conn, "released", "node-b", terms).unwrap().unwrap();
    assert!(lease::release(&conn, &b).unwrap());
    std::thread::sleep(Duration::from_millis(200));
    assert!(lease::renew(&conn, &a, terms).unwrap());
    let all = lease::all(&conn).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all["held"].owner.as_str(), all["held"].epoch, all["held"].free_for), ("node-a", 1, None));
    let freed = all["released"].free_for.expect("released: free");
    assert!(freed >= Duration::from_millis(150) && freed < Duration::from_secs(2), "free for {freed:?}");
    // Run out, not released: free since its expiry.
    std::thread::sleep(Duration::from_millis(400));
    let ran_out = lease::all(&conn).unwrap()["held"].free_for.expect("run out");
    assert!(ran_out >= Duration::from_millis(50) && ran_out < Duration::from_millis(400), "{ran_out:?}");
}

mod ownership {
    use super::*;
    use lineup_server::cluster::apps;
    use lineup_server::cluster::ownership::{AppRunner, NodeSettings, Ownership, Placement};
    use std::sync::Mutex;

    /// What the runners did, in order: (when, node, app, Some(epoch) for a start or
    /// None for a stop, graceful).
    type Timeline = Arc<Mutex<Vec<(Instant, String, String, Option<u64>, bool)>>>;

    struct Recorder {
        node: String,
        timeline: Timeline,
    }

    impl AppRunner for Recorder {
        fn start(&mut self, lease: &Lease) -> Result<(), String> {
            self.timeline.lock().unwrap().push((
                Instant::now(),
                self.node.clone(),
                lease.app.clone(),
                Some(lease.epoch),
                false,
            ));
            Ok(())
        }
        fn stop(&mut self, app: &str, graceful: bool) {
            self.timeline.lock().unwrap().push((Instant::now(), self.node.clone(), app.into(), None, graceful));
        }
    }

    fn node(pg: &ThrowawayPg, id: &str, timeline: &Timeline) -> Ownership {
        let settings = NodeSettings::new(id, &format!("127.0.0.1:{}", 7000 + id.len()));
        Ownership::start(&pg.url(), settings, Recorder { node: id.into(), timeline: timeline.clone() }).unwrap()
    }

    /// Where each app runs now, from the timeline (node → apps), the dead nodes left out.
    fn running(timeline: &Timeline, dead: &[&str]) -> BTreeMap<String, Vec<String>> {
        let mut at: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, node, app, start, _) in timeline.lock().unwrap().iter() {
            let owners = at.entry(app.clone()).or_default();
            match start {
                Some(_) => owners.push(node.clone()),
                None => owners.retain(|n| n != node),
            }
        }
        for owners in at.values_mut() {
            owners.retain(|n| !dead.contains(&n.as_str()));
        }
        at
    }

    use std::collections::BTreeMap;

    /// Waits until every app runs on exactly one live node and `done` holds.
    fn settle(
        timeline: &Timeline,
        dead: &[&str],
        apps: usize,
        done: impl Fn(&BTreeMap<String, Vec<String>>) -> bool,
    ) -> Duration {
        let started = Instant::now();
        loop {
            let now = running(timeline, dead);
            if now.len() == apps && now.values().all(|o| o.len() == 1) && done(&now) {
                return started.elapsed();
            }
            assert!(started.elapsed() < Duration::from_secs(8), "never settled: {now:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// No app ever ran on two nodes at once: each start comes after the previous
    /// owner's stop, or after it died.
    fn never_two_owners(timeline: &Timeline, died: &[(&str, Instant)]) {
        let mut owner: BTreeMap<String, (String, u64)> = BTreeMap::new();
        for (at, node, app, start, _) in timeline.lock().unwrap().iter() {
            match start {
                Some(epoch) => {
                    if let Some((prev, prev_epoch)) = owner.get(app) {
                        let dead_before = died.iter().any(|(n, t)| n == prev && t <= at);
                        assert!(dead_before, "{app} started on {node} while {prev} ran it");
                        assert!(epoch > prev_epoch, "{app}: epoch {epoch} after {prev_epoch}");
                    }
                    owner.insert(app.clone(), (node.clone(), *epoch));
                }
                None => {
                    if owner.get(app).is_some_and(|(n, _)| n == node) {
                        owner.remove(app);
                    }
                }
            }
        }
    }

    #[test]
    fn apps_spread_over_three_nodes_move_off_a_dead_one_and_are_handed_over_on_join_and_leave() {
        let pg = ThrowawayPg::start();
        let conn = connect(&pg);
        let app_ids: Vec<String> = (1..=4).map(|i| format!("tenant{i}")).collect();
        for app in &app_ids {
            apps::put(&conn, app, "secret").unwrap();
        }
        let timeline: Timeline = Arc::default();
        let mut nodes: BTreeMap<&str, Ownership> =
            ["n1", "n2", "n3"].into_iter().map(|id| (id, node(&pg, id, &timeline))).collect();
        let preferred = |r: &BTreeMap<String, Vec<String>>, live: &[&str]| {
            let live: Vec<String> = live.iter().map(|n| n.to_string()).collect();
            r.iter()
                .all(|(app, o)| Some(o[0].as_str()) == lineup_server::cluster::placement::preferred_owner(app, &live))
        };
        let took = settle(&timeline, &[], 4, |r| preferred(r, &["n1", "n2", "n3"]));
        println!("4 apps placed on 3 nodes in {} ms: {:?}", took.as_millis(), running(&timeline, &[]));
        // Every node routes every app to the same owner (once each has polled again).
        std::thread::sleep(Duration::from_millis(250));
        let owners = running(&timeline, &[]);
        for (id, n) in &nodes {
            for (app, owner) in &owners {
                let expected = if owner[0] == *id {
                    n.placement(app).filter(|p| matches!(p, Placement::Here(_)))
                } else {
                    Some(Placement::Node(owner[0].clone()))
                };
                assert_eq!(n.placement(app), expected, "{id} on {app}");
            }
        }
        // kill -9 the owner of the most apps: its apps move within the lease's expiry.
        let victim =
            ["n1", "n2", "n3"].into_iter().max_by_key(|n| owners.values().filter(|o| o[0] == *n).count()).unwrap();
        let moved: Vec<String> = owners.iter().filter(|(_, o)| o[0] == victim).map(|(a, _)| a.clone()).collect();
        let killed = Instant::now();
        nodes.remove(victim).unwrap().abandon();
        let took = settle(&timeline, &[victim], 4, |r| moved.iter().all(|a| r[a][0] != victim));
        println!("{} apps of the dead node {victim} served again {} ms after it died", moved.len(), took.as_millis());
        assert!(took < Duration::from_secs(5), "failover took {took:?}");
        // A fourth node joins: it gets its share by hand-over, each stopped gracefully first.
        let before = timeline.lock().unwrap().len();
        nodes.insert("n4", node(&pg, "n4", &timeline));
        let live: Vec<&str> = nodes.keys().copied().collect();
        settle(&timeline, &[victim], 4, |r| preferred(r, &live));
        let events = timeline.lock().unwrap()[before..].to_vec();
        for (_, node, app, start, graceful) in &events {
            if start.is_none() {
                assert!(graceful, "{node} stopped {app} abruptly on a join");
            }
        }
        // A node leaves (SIGTERM): its apps are handed over, gracefully.
        let leaver = *nodes.keys().find(|n| running(&timeline, &[victim]).values().any(|o| o[0] == **n)).unwrap();
        let its: Vec<String> =
            running(&timeline, &[victim]).iter().filter(|(_, o)| o[0] == leaver).map(|(a, _)| a.clone()).collect();
        let before = timeline.lock().unwrap().len();
        let asked = Instant::now();
        nodes.remove(leaver).unwrap().leave(Duration::from_secs(5));
        settle(&timeline, &[victim], 4, |r| its.iter().all(|a| r[a][0] != leaver));
        println!(
            "{} apps of the leaving node {leaver} served again {} ms after it was asked to leave",
            its.len(),
            asked.elapsed().as_millis()
        );
        let events = timeline.lock().unwrap()[before..].to_vec();
        assert!(events.iter().filter(|e| e.3.is_none()).all(|e| e.4), "hand-overs are graceful: {events:?}");
        never_two_owners(&timeline, &[(victim, killed)]);
    }
}
