//! Failover of the cluster's ownership layer, over 20 owner kills: 3 nodes on a
//! throwaway PostgreSQL (loopback), 4 apps; each round kills (as `kill -9` would: no
//! hand-over, no release) the node that owns `tenant1`, measures the time until
//! another node has taken the lease and started the app, and starts a fresh node in its
//! place. Prints the median and the maximum.
//!
//! This is the ownership layer alone (lease expiry, polling, acquisition); the time a
//! real app's engine takes to restore and serve its first offer comes on top of it once
//! the node runtime drives the hubs.
//!
//! `cargo bench -p lineup-server --bench failover`.

#[path = "../tests/common/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lineup_server::cluster::ownership::{AppRunner, NodeSettings, Ownership};
use lineup_server::cluster::{apps, schema, Lease, Pg};

/// Which node runs each app, and since when.
type Running = Arc<Mutex<BTreeMap<String, (String, Instant)>>>;

struct Runner {
    node: String,
    running: Running,
}

impl AppRunner for Runner {
    fn start(&mut self, lease: &Lease) -> Result<(), String> {
        self.running.lock().unwrap().insert(lease.app.clone(), (self.node.clone(), Instant::now()));
        Ok(())
    }
    fn stop(&mut self, app: &str, _graceful: bool) {
        let mut running = self.running.lock().unwrap();
        if running.get(app).is_some_and(|(n, _)| *n == self.node) {
            running.remove(app);
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = pg::ThrowawayPg::start();
    let conn = Pg::connect(&server.url()).unwrap();
    schema::migrate(&conn).unwrap();
    for i in 1..=4 {
        apps::put(&conn, &format!("tenant{i}"), "secret").unwrap();
    }
    let running: Running = Arc::default();
    let start = |id: String| {
        let runner = Runner { node: id.clone(), running: running.clone() };
        Ownership::start(&server.url(), NodeSettings::new(&id, "127.0.0.1:0"), runner).unwrap()
    };
    let mut nodes: BTreeMap<String, Ownership> = (0..3).map(|i| (format!("n{i}"), start(format!("n{i}")))).collect();
    let mut next = 3;
    let mut times = Vec::new();
    for _ in 0..20 {
        // Settled: tenant1 runs on a live node that has run it for a moment.
        let owner = loop {
            let r = running.lock().unwrap().get("tenant1").cloned();
            match r {
                Some((n, since)) if nodes.contains_key(&n) && since.elapsed() > Duration::from_millis(300) => break n,
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        let killed = Instant::now();
        nodes.remove(&owner).unwrap().abandon();
        let took = loop {
            let r = running.lock().unwrap().get("tenant1").cloned();
            match r {
                Some((n, since)) if n != owner => break since.duration_since(killed),
                _ if killed.elapsed() > Duration::from_secs(10) => panic!("tenant1 was not taken over"),
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        times.push(took);
        let id = format!("n{next}");
        next += 1;
        nodes.insert(id.clone(), start(id));
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("| ownership failover, 20 kills (lease 1.5 s, renew 300 ms, poll 100 ms) | ms |");
    println!("|---|---|");
    println!("| min | {:.0} |", ms(times[0]));
    println!("| median | {:.0} |", ms(times[times.len() / 2]));
    println!("| max | {:.0} |", ms(times[times.len() - 1]));
}
