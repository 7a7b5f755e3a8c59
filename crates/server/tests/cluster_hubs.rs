//! Real app hubs under the ownership loop, on a throwaway PostgreSQL: 3 nodes, 4 apps,
//! 500 customers and 20 agents in the busiest app. Its owner dies (its hubs and its
//! loop end at once, as with `kill -9`); another node takes the app, restores it from
//! the journal, and serves the same customers in the same order.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::pg::ThrowawayPg;
use lineup_engine::{Input, QueueId, Reply, Request, Roles, SessionId};
use lineup_protocol::rest::QueueFields;
use lineup_server::cluster::app_hubs::{AppHubRegistry, AppHubs};
use lineup_server::cluster::ownership::{NodeSettings, Ownership};
use lineup_server::cluster::placement::preferred_owner;
use lineup_server::cluster::{apps, schema, Pg};
use lineup_server::hub::HubHandle;
use lineup_server::{admin, Config};

const BUSY: &str = "tenant1";

struct Node {
    ownership: Ownership,
    hubs: AppHubRegistry,
}

fn start_node(url: &str, id: &str, rt: &tokio::runtime::Runtime) -> Node {
    let config = Arc::new(Config {
        data_dir: common::temp_dir(),
        www_dir: None,
        sdk_dir: None,
        seed_demo: false,
        ..Config::default()
    });
    let runner = AppHubs::new(url, config, rt.handle().clone());
    let hubs = runner.registry();
    let ownership = Ownership::start(url, NodeSettings::new(id, "127.0.0.1:0"), runner).unwrap();
    Node { ownership, hubs }
}

/// Waits until every app has a hub on exactly one node, on its preferred node.
fn settle(nodes: &BTreeMap<String, Node>, apps: &[String]) -> BTreeMap<String, String> {
    let live: Vec<String> = nodes.keys().cloned().collect();
    let started = Instant::now();
    loop {
        let mut at: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, n) in nodes {
            for app in n.hubs.apps() {
                if n.hubs.hub(&app).is_some() {
                    at.entry(app).or_default().push(id.clone());
                }
            }
        }
        let placed = apps
            .iter()
            .all(|a| at.get(a).is_some_and(|o| o.len() == 1 && Some(o[0].as_str()) == preferred_owner(a, &live)));
        if placed {
            return at.into_iter().map(|(a, o)| (a, o[0].clone())).collect();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "apps never settled: {at:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The busy app's queue, its agents (in do-not-disturb: nobody is offered anything
/// until an agent asks) and its customers, in the order they queued.
fn fill(rt: &tokio::runtime::Runtime, hub: &HubHandle) -> (QueueId, Vec<SessionId>, Vec<(SessionId, String)>) {
    rt.block_on(hub.call(|hub| {
        let fields = QueueFields { queue_name: Some("support".into()), priority: Some(5), ..Default::default() };
        let queue = QueueId(admin::create_queue(hub, BUSY, fields).unwrap().queue_id);
        let login = |hub: &mut lineup_server::hub::Hub, user: &str| match hub.input(Input::Login {
            app: BUSY.into(),
            user_id: user.into(),
            name: user.into(),
            roles: Roles::ALL,
        }) {
            Ok(Reply::LoggedIn { session, .. }) => session,
            other => panic!("{other:?}"),
        };
        let mut agents = Vec::new();
        for i in 0..20 {
            let agent = login(hub, &format!("agent{i}"));
            hub.input(Input::Session { session: agent, request: Request::SetDndStatus { on: true } }).unwrap();
            hub.input(Input::Session { session: agent, request: Request::StartService { queue, priority: 0 } })
                .unwrap();
            agents.push(agent);
        }
        let mut customers = Vec::new();
        for i in 0..500 {
            let user = format!("customer{i:03}");
            let c = login(hub, &user);
            hub.input(Input::Session { session: c, request: Request::StartQueuing { queue, usr_ext_dat: "".into() } })
                .unwrap();
            customers.push((c, user));
        }
        (queue, agents, customers)
    }))
    .unwrap()
}

/// The customers waiting in `queue`, in order, as `agent` sees them.
fn waiting(rt: &tokio::runtime::Runtime, hub: &HubHandle, agent: SessionId, queue: QueueId) -> Vec<String> {
    rt.block_on(hub.call(move |hub| hub.engine.queue_users(agent, queue, 0, 1000).unwrap().users))
        .unwrap()
        .into_iter()
        .map(|u| u.user_id.to_string())
        .collect()
}

#[test]
fn the_busiest_apps_owner_dies_and_another_node_serves_every_customer_in_order() {
    let pg = ThrowawayPg::start();
    let url = pg.url();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let conn = Pg::connect(&url).unwrap();
    schema::migrate(&conn).unwrap();
    let app_ids: Vec<String> = (1..=4).map(|i| format!("tenant{i}")).collect();
    for app in &app_ids {
        apps::put(&conn, app, "secret").unwrap();
    }
    let mut nodes: BTreeMap<String, Node> =
        ["n1", "n2", "n3"].iter().map(|id| (id.to_string(), start_node(&url, id, &rt))).collect();
    let placed = settle(&nodes, &app_ids);
    let owner = placed[BUSY].clone();
    let hub = nodes[&owner].hubs.hub(BUSY).unwrap();
    let (queue, agents, customer_sessions) = fill(&rt, &hub);
    let customers: Vec<String> = customer_sessions.iter().map(|c| c.1.clone()).collect();
    assert_eq!(waiting(&rt, &hub, agents[0], queue), customers);

    // kill -9 the owner: its hubs end mid-whatever, its loop stops, nothing released.
    let dead = nodes.remove(&owner).unwrap();
    let killed = Instant::now();
    dead.hubs.abort_all();
    dead.ownership.abandon();
    let (new_owner, hub) = loop {
        if let Some((id, hub)) = nodes.iter().find_map(|(id, n)| n.hubs.hub(BUSY).map(|h| (id.clone(), h))) {
            break (id, hub);
        }
        assert!(killed.elapsed() < Duration::from_secs(10), "nobody took {BUSY} over");
        std::thread::sleep(Duration::from_millis(5));
    };
    // Every session was held through the takeover; the clients resume (as their SDKs
    // do on Reconnected), and the first agent takes the head of the queue.
    let agent = agents[0];
    let sessions: Vec<SessionId> = agents.iter().copied().chain(customer_sessions.iter().map(|c| c.0)).collect();
    let served = rt
        .block_on(hub.call(move |hub| {
            for s in sessions {
                hub.input(Input::Reconnect { session: s }).unwrap();
            }
            hub.input(Input::Session { session: agent, request: Request::ReqAssignUser })
        }))
        .unwrap();
    let took = killed.elapsed();
    println!("{BUSY}: owner {owner} killed; {new_owner} served its first customer {} ms later", took.as_millis());
    match served {
        Ok(Reply::Assigned(user)) => assert_eq!(user.user_id.as_str(), customers[0], "the head of the queue first"),
        other => panic!("the new owner must serve the queue: {other:?}"),
    }
    // Nobody lost, the order kept, nobody else offered anyone (the others are in DND).
    assert_eq!(waiting(&rt, &hub, agents[1], queue), customers[1..]);
    // Every app runs again, each on one live node.
    settle(&nodes, &app_ids);

    // A fourth node joins: its share is handed over gracefully; the busy app, wherever
    // it runs now, still has its 499 customers in order.
    nodes.insert("n4".into(), start_node(&url, "n4", &rt));
    let placed = settle(&nodes, &app_ids);
    let hub = nodes[&placed[BUSY]].hubs.hub(BUSY).unwrap();
    assert_eq!(waiting(&rt, &hub, agents[1], queue), customers[1..], "after the hand-over to {}", placed[BUSY]);
    // And a node leaving (SIGTERM) hands its apps over the same way.
    let leaving = placed[BUSY].clone();
    nodes.remove(&leaving).unwrap().ownership.leave(Duration::from_secs(5));
    let placed = settle(&nodes, &app_ids);
    let hub = nodes[&placed[BUSY]].hubs.hub(BUSY).unwrap();
    assert_eq!(waiting(&rt, &hub, agents[1], queue), customers[1..], "after {leaving} left");
}
