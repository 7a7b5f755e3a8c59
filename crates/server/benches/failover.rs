//! Failover over 20 owner kills, on a throwaway PostgreSQL (loopback): 3 nodes, 4 apps,
//! real app hubs. The busy app has 20 agents (in do-not-disturb) and 500 customers
//! waiting. Each round kills its owner as `kill -9` would (its hubs end mid-turn, its
//! loop stops, no hand-over, no release), then measures from the kill to the first
//! customer served by the new owner: the lease running out, the takeover, the app's
//! snapshot restored and its journal replayed, the sessions resuming (every agent and
//! customer, in one turn) and the first agent taking the head of the queue. A fresh
//! node then joins in the dead one's place. Prints the median and the maximum.
//!
//! The sockets, forwarding and SDK reconnects of a real deployment are not in it.
//!
//! `cargo bench -p lineup-server --bench failover`.

#[path = "../tests/common/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lineup_engine::{Input, QueueId, Reply, Request, Roles, SessionId};
use lineup_protocol::rest::QueueFields;
use lineup_server::cluster::app_hubs::{AppHubRegistry, AppHubs};
use lineup_server::cluster::ownership::{NodeSettings, Ownership};
use lineup_server::cluster::{apps, schema, Pg};
use lineup_server::hub::{Hub, HubHandle};
use lineup_server::{admin, Config};

const BUSY: &str = "tenant1";

fn start_node(url: &str, id: &str, rt: &tokio::runtime::Runtime) -> (Ownership, AppHubRegistry) {
    let dir = std::env::temp_dir().join(format!("lineup-failover-{}-{id}", std::process::id()));
    let config =
        Arc::new(Config { data_dir: dir, www_dir: None, sdk_dir: None, seed_demo: false, ..Config::default() });
    let runner = AppHubs::new(url, config, rt.handle().clone());
    let hubs = runner.registry();
    (Ownership::start(url, NodeSettings::new(id, "127.0.0.1:0"), runner).unwrap(), hubs)
}

fn login(hub: &mut Hub, user: &str) -> SessionId {
    match hub.input(Input::Login { app: BUSY.into(), user_id: user.into(), name: user.into(), roles: Roles::ALL }) {
        Ok(Reply::LoggedIn { session, .. }) => session,
        other => panic!("{other:?}"),
    }
}

/// The queue, 20 agents in do-not-disturb and 500 customers; every session's id.
fn fill(hub: &mut Hub) -> (QueueId, Vec<SessionId>) {
    let fields = QueueFields { queue_name: Some("support".into()), priority: Some(5), ..Default::default() };
    let queue = QueueId(admin::create_queue(hub, BUSY, fields).unwrap().queue_id);
    let mut sessions = Vec::new();
    for i in 0..20 {
        let agent = login(hub, &format!("agent{i}"));
        hub.input(Input::Session { session: agent, request: Request::SetDndStatus { on: true } }).unwrap();
        hub.input(Input::Session { session: agent, request: Request::StartService { queue, priority: 0 } }).unwrap();
        sessions.push(agent);
    }
    for i in 0..500 {
        let c = login(hub, &format!("customer{i:03}"));
        hub.input(Input::Session { session: c, request: Request::StartQueuing { queue, usr_ext_dat: "".into() } })
            .unwrap();
        sessions.push(c);
    }
    (queue, sessions)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = pg::ThrowawayPg::start();
    let url = server.url();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let conn = Pg::connect(&url).unwrap();
    schema::migrate(&conn).unwrap();
    for i in 1..=4 {
        apps::put(&conn, &format!("tenant{i}"), "secret").unwrap();
    }
    let mut nodes: BTreeMap<String, (Ownership, AppHubRegistry)> =
        (0..3).map(|i| (format!("n{i}"), start_node(&url, &format!("n{i}"), &rt))).collect();
    let hub_of = |nodes: &BTreeMap<String, (Ownership, AppHubRegistry)>| loop {
        if let Some(h) = nodes.values().find_map(|(_, hubs)| hubs.hub(BUSY)) {
            return h;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let owner_hub = |nodes: &BTreeMap<String, (Ownership, AppHubRegistry)>| -> Option<(String, HubHandle)> {
        nodes.iter().find_map(|(id, (_, hubs))| hubs.hub(BUSY).map(|h| (id.clone(), h)))
    };
    let wait_owner = |nodes: &BTreeMap<String, (Ownership, AppHubRegistry)>, not: &str| loop {
        match owner_hub(nodes) {
            Some((id, hub)) if id != not => return (id, hub),
            _ => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    std::thread::sleep(Duration::from_millis(800)); // the first placement settles
    let (_, hub) = wait_owner(&nodes, "");
    let (queue, sessions) = rt.block_on(hub.call(fill)).unwrap();
    let mut served_n = 0usize;
    let mut times = Vec::new();
    for round in 0..20 {
        std::thread::sleep(Duration::from_millis(600)); // settled, renewed
        let (owner, _) = wait_owner(&nodes, "");
        let (ownership, hubs) = nodes.remove(&owner).unwrap();
        let killed = Instant::now();
        hubs.abort_all();
        ownership.abandon();
        let (_, hub) = wait_owner(&nodes, &owner);
        let all = sessions.clone();
        let agent = sessions[round]; // each round's agent is free (the earlier ones are serving)
        let served = rt
            .block_on(hub.call(move |hub| {
                for s in all {
                    let _ = hub.input(Input::Reconnect { session: s });
                }
                hub.input(Input::Session { session: agent, request: Request::ReqAssignUser })
            }))
            .unwrap();
        let took = killed.elapsed();
        match served {
            Ok(Reply::Assigned(user)) => {
                assert_eq!(user.user_id.as_str(), format!("customer{served_n:03}"), "round {round}: the head first")
            }
            other => panic!("round {round}: {other:?}"),
        }
        served_n += 1;
        times.push(took);
        let id = format!("n{}", 3 + round);
        nodes.insert(id.clone(), start_node(&url, &id, &rt));
    }
    let waiting =
        rt.block_on(hub_of(&nodes).call(move |hub| hub.engine.queue_status(queue).unwrap().wait_num)).unwrap();
    assert_eq!(waiting, 480, "every customer not served is still waiting");
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("| failover, 20 owner kills, 500 customers + 20 agents (lease 1.5 s, renew 300 ms, poll 100 ms) | ms |");
    println!("|---|---|");
    println!("| min | {:.0} |", ms(times[0]));
    println!("| median | {:.0} |", ms(times[times.len() / 2]));
    println!("| max | {:.0} |", ms(times[times.len() - 1]));
}
