//! Three `lineup-server` processes on one throwaway PostgreSQL, as an operator runs
//! them (CLUSTER.md): clients reach any node; the owner of the busiest app is killed
//! (`kill -9`), paused (`SIGSTOP`), or stopped (`SIGTERM`), and the app goes on on
//! another node with every customer in its place.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::cluster::{app_key, assert_linear, resume_elsewhere, Cluster, Node, APPS, BUSY};
use common::Client;
use serde_json::{json, Value};

/// 500 customers and 20 agents of the busy app across the nodes; the owner is killed
/// (`kill -9`): another node serves the app within about 2 s, every customer keeps its
/// place, the agents' sockets through the surviving nodes stay open, and each customer
/// is served once, in order. Then the new owner stops with SIGTERM: it hands the app
/// over and the sockets through the other nodes stay open again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_busy_app_survives_its_owner_being_killed_and_stopped() {
    let mut cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    let owner = placed[BUSY];
    let survivors: Vec<usize> = (0..3).filter(|i| *i != owner).collect();
    let key = app_key(BUSY);
    // Created through a node that does not own the app: forwarded to the owner.
    let (status, v) = cluster
        .call(
            &cluster.nodes[survivors[0]],
            "POST",
            &format!("/api/v1/apps/{BUSY}/queues"),
            Some(&key),
            json!({"QueueName": "support", "Priority": 5}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let queue = v["Data"]["QueueID"].as_u64().unwrap();
    // The business system hears of every queue change (set through another node). It is
    // down until after the failover: its deliveries wait in the owner's outbox.
    let receiver_addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let hook = json!({"url": format!("http://{receiver_addr}/queue"), "events": ["queue_change"]});
    let (status, v) = cluster
        .call(&cluster.nodes[survivors[1]], "PUT", &format!("/api/v1/apps/{BUSY}/webhook"), Some(&key), hook)
        .await;
    assert_eq!(status, 200, "{v}");

    // The agents reach the app through the two other nodes, in do-not-disturb: nobody is
    // offered anything until an agent asks.
    let mut agents = Vec::new();
    for j in 0..20 {
        let mut a = cluster.client(&cluster.nodes[survivors[j % 2]], BUSY, &format!("agent{j}")).await;
        assert_eq!(a.request(json!({"op": "SetDNDStatus", "DNDStatus": 1})).await["err"], 0);
        assert_eq!(a.request(json!({"op": "StartService", "queID": queue})).await["err"], 0);
        agents.push(a);
    }
    // The customers through every node, the owner's too, queuing in order.
    let mut customers = Vec::new();
    for i in 0..500 {
        let mut c = cluster.client(&cluster.nodes[i % 3], BUSY, &format!("cust{i:03}")).await;
        let r = c.request(json!({"op": "StartQueuing", "queID": queue})).await;
        assert_eq!(r["err"], 0, "{r}");
        customers.push((i % 3, c));
    }
    // The other apps are busy too, a little.
    for app in &APPS[1..] {
        let node = &cluster.nodes[placed[*app]];
        let (status, v) = cluster
            .call(node, "POST", &format!("/api/v1/apps/{app}/queues"), Some(&app_key(app)), json!({"QueueName": "q"}))
            .await;
        assert_eq!(status, 200, "{v}");
    }

    // kill -9 the owner.
    cluster.nodes[owner].signal("-KILL");
    let killed = Instant::now();
    let alive: Vec<&Node> = survivors.iter().map(|i| &cluster.nodes[*i]).collect();
    let served = async {
        // The first agent asks until the app answers again (its socket is kept: the node
        // it reached carries it to the new owner).
        loop {
            let r =
                agents[0].try_request(json!({"op": "GetQueueStatus", "queID": queue}), Duration::from_secs(5)).await;
            let r = r.expect("the agent's socket stays open through the failover");
            if r["err"] == 0 {
                assert_eq!(r["data"]["wait_num"], 500, "every customer is still queuing: {r}");
                return killed.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let resumed = async {
        for (at, c) in customers.iter_mut() {
            if *at == owner {
                resume_elsewhere(c, &alive).await;
            }
        }
        killed.elapsed()
    };
    let (served, resumed) = tokio::join!(served, resumed);
    println!("kill -9 of the owner: the app served again after {} ms; its customers on the killed node resumed on the others after {} ms", served.as_millis(), resumed.as_millis());
    assert!(served < Duration::from_secs(10), "the app was not served again: {served:?}");

    // Every agent's socket was carried over; the customers are served in the order they
    // queued, each once.
    for (j, a) in agents.iter_mut().enumerate() {
        let r = a.try_request(json!({"op": "GetServingQueues"}), Duration::from_secs(5)).await;
        let r = r.unwrap_or_else(|| match &a.closed {
            Some((code, reason)) => panic!("agent{j}'s socket was closed: {code} {reason}"),
            None => panic!("agent{j}'s socket is open but no reply came within 5 s"),
        });
        assert_eq!(r["err"], 0, "agent{j}: {r}");
    }
    // Every customer is online again at the new owner before anyone is served: those
    // connected through the surviving nodes are resumed by those nodes, each in its own
    // time (PROTOCOL §3.7), and ReqAssignUser skips a held customer. A reply through the
    // customer's own socket comes after that Resume (a connection's frames are handled
    // in order); it is also the first frame the customer sends in a while, so the
    // heartbeat (2 × 15 s of silence from a socket the test never reads) does not drop
    // it before its turn.
    for (i, (_, c)) in customers.iter_mut().enumerate() {
        let started = Instant::now();
        loop {
            let r = c.try_request(json!({"op": "GetQueuingInfo"}), Duration::from_secs(20)).await;
            let r = r.unwrap_or_else(|| panic!("cust{i:03}'s socket after the failover: {:?}", c.closed));
            if r["err"] == 0 {
                assert_eq!(r["data"]["queID"], queue, "cust{i:03} still queuing: {r}");
                assert_eq!(r["data"]["position"], i, "cust{i:03} kept its place: {r}");
                break;
            }
            // 3: caught in flight by the failover (applied or not); ask again.
            assert_eq!(r["err"], 3, "cust{i:03}: {r}");
            assert!(started.elapsed() < Duration::from_secs(20), "cust{i:03} was never resumed");
        }
    }
    let order = serve_all(&mut agents, queue, 250).await;
    let expected: Vec<String> = (0..250).map(|i| format!("cust{i:03}")).collect();
    assert_eq!(order, expected, "served in the order they queued");
    // No webhook event lost across the failover: every customer's queuing and each
    // service's start, each event at least once, first seen in order.
    let receiver = common::receiver::Receiver::start_on(receiver_addr, Default::default()).await;
    let events = delivered(&receiver, 500 + 250).await;
    let customers: std::collections::BTreeSet<&str> =
        events.iter().map(|(_, e)| e["userid"].as_str().unwrap()).collect();
    assert_eq!(customers.len(), 500, "every customer's events arrived");
    println!("webhooks: {} deliveries for {} events across the failover", receiver.accepted().len(), events.len());

    // SIGTERM the new owner: it hands the app over; the agents' sockets stay open (those
    // through the stopped node are carried by ... the stopped node, so they reconnect).
    let placed = cluster.settled(&survivors).await;
    let owner2 = placed[BUSY];
    let remaining: Vec<usize> = survivors.iter().copied().filter(|i| *i != owner2).collect();
    cluster.nodes[owner2].signal("-TERM");
    let stopped = Instant::now();
    let exit = tokio::task::spawn_blocking({
        let mut child = std::mem::replace(&mut cluster.nodes[owner2].child, Command::new("true").spawn().unwrap());
        move || child.wait().unwrap()
    })
    .await
    .unwrap();
    assert!(exit.success(), "SIGTERM is a clean stop: {exit:?}");
    let via_remaining: Vec<usize> = (0..20).filter(|j| survivors[j % 2] == remaining[0]).collect();
    for j in &via_remaining {
        let r = agents[*j].try_request(json!({"op": "GetQueueStatus", "queID": queue}), Duration::from_secs(10)).await;
        let r = r.unwrap_or_else(|| panic!("agent{j}'s socket through the remaining node closed at the hand-over"));
        assert_eq!(r["err"], 0, "{r}");
        assert_eq!(r["data"]["wait_num"], 250, "{r}");
    }
    println!("SIGTERM of the next owner: the app served again {} ms after the signal", stopped.elapsed().as_millis());
    assert_linear(&cluster.journal(BUSY));
    assert!(cluster.epoch(BUSY) >= 3, "three owners in turn: {}", cluster.epoch(BUSY));
}

/// The webhook events received, each once (by event id), in the order first received,
/// once there are at least `n`: asserts they are in order and without a gap.
async fn delivered(receiver: &common::receiver::Receiver, n: usize) -> Vec<(u64, Value)> {
    let started = Instant::now();
    loop {
        let mut seen = std::collections::BTreeSet::new();
        let mut events = Vec::new();
        for r in receiver.accepted() {
            let id: u64 = r.headers["x-lineup-event-id"].to_str().unwrap().trim_start_matches("evt-").parse().unwrap();
            if seen.insert(id) {
                events.push((id, serde_json::from_str::<Value>(&r.body).unwrap()));
            }
        }
        if events.len() >= n {
            let ids: Vec<u64> = events.iter().map(|e| e.0).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "first received in order");
            assert_eq!(ids.last().unwrap() - ids[0] + 1, ids.len() as u64, "no event missing");
            return events;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{} of {n} webhook events arrived", events.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Agents take turns: each asks for the head of the queue and finishes it at once.
/// Returns the customers in the order they were served.
async fn serve_all(agents: &mut [Client], queue: u64, n: usize) -> Vec<String> {
    let mut order = Vec::new();
    for k in 0..n {
        let a = &mut agents[k % agents.len()];
        let r = a.request(json!({"op": "ReqAssignUser"})).await;
        assert_eq!(r["err"], 0, "{r}");
        let uid = r["data"]["usrID"].as_str().unwrap().to_string();
        let r = a.request(json!({"op": "FinishService", "queID": queue, "usrID": uid})).await;
        assert_eq!(r["err"], 0, "{r}");
        order.push(uid);
    }
    order
}

/// The owner paused (`SIGSTOP`) for 5 s: another node takes the app over; when the old
/// owner runs again (`SIGCONT`) it writes nothing more and steps down; the journal has
/// neither a gap nor a fork.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_owner_steps_down_and_writes_nothing_more() {
    let cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    let owner = placed[BUSY];
    let other = (owner + 1) % 3;
    let key = app_key(BUSY);
    let (status, v) = cluster
        .call(
            &cluster.nodes[other],
            "POST",
            &format!("/api/v1/apps/{BUSY}/queues"),
            Some(&key),
            json!({"QueueName": "support"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let queue = v["Data"]["QueueID"].as_u64().unwrap();
    // A customer straight on the owner, and one through another node.
    let mut direct = cluster.client(&cluster.nodes[owner], BUSY, "direct").await;
    let mut carried = cluster.client(&cluster.nodes[other], BUSY, "carried").await;
    assert_eq!(carried.request(json!({"op": "StartQueuing", "queID": queue})).await["err"], 0);
    let before = cluster.journal(BUSY);

    cluster.nodes[owner].signal("-STOP");
    // While it is paused, the direct customer asks for something the paused owner would
    // journal when it runs again.
    direct.send_text(&json!({"seq": 99, "op": "StartQueuing", "queID": queue}).to_string()).await;
    let paused = Instant::now();
    let taken = loop {
        let r = carried.try_request(json!({"op": "GetQueuingInfo"}), Duration::from_secs(8)).await;
        let r = r.expect("the carried customer's socket stays open");
        if r["err"] == 0 {
            assert_eq!(r["data"]["queID"], queue, "still queuing: {r}");
            break paused.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("SIGSTOP of the owner: another node served the app after {} ms", taken.as_millis());
    let wait = Duration::from_secs(5).saturating_sub(paused.elapsed());
    tokio::time::sleep(wait).await;
    let during = cluster.journal(BUSY);
    cluster.nodes[owner].signal("-CONT");

    // The old owner runs again: it gives the app up without writing.
    let started = Instant::now();
    loop {
        let apps = cluster.health(&cluster.nodes[owner]).await.map(|h| h["apps"].clone());
        if apps.as_ref().is_some_and(|a| !a.as_array().unwrap().iter().any(|x| x == BUSY)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the old owner did not step down: {apps:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = direct.try_request(json!({"op": "GetQueuingInfo"}), Duration::from_secs(3)).await;
    assert!(
        r.is_none_or(|r| r["err"] != 0 || r["data"]["queID"] != queue),
        "the request made while paused was not applied by the old owner"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = cluster.journal(BUSY);
    assert_linear(&after);
    let old_epoch = before.last().unwrap().1;
    let new_epoch = during.last().unwrap().1;
    assert!(new_epoch > old_epoch, "another node took over: {old_epoch} → {new_epoch}");
    let paused_at = before.last().unwrap().0;
    let late: Vec<_> = after.iter().filter(|s| s.1 == old_epoch && s.0 > paused_at).collect();
    assert!(late.is_empty(), "the old owner wrote nothing after it was paused: {late:?}");
    assert!(after.last().unwrap().1 > old_epoch);
}

/// A fourth node joins: it takes its share of the apps by graceful hand-over. Clients
/// carried by other nodes keep their sockets and every request they make meanwhile is
/// answered without an error; clients straight on an owner that handed its app over are
/// closed with 1001 and resume elsewhere (the SDK's Reconnecting/Reconnected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joining_node_takes_its_share_and_carried_clients_see_no_error() {
    use lineup_server::cluster::placement::preferred_owner;
    let mut cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    // A name for the new node that some app prefers once it is live.
    let ids: Vec<String> = cluster.nodes.iter().map(|n| n.id.clone()).collect();
    let joining = (0..)
        .map(|n| format!("node-{n}"))
        .find(|id| {
            let mut live = ids.clone();
            live.push(id.clone());
            live.sort();
            APPS.iter().any(|a| preferred_owner(a, &live) == Some(id.as_str()))
        })
        .unwrap();
    // Each app: a queue, and a customer queuing through every node.
    let mut clients: Vec<(String, usize, Client)> = Vec::new();
    for app in APPS {
        let owner = &cluster.nodes[placed[app]];
        let (status, v) = cluster
            .call(owner, "POST", &format!("/api/v1/apps/{app}/queues"), Some(&app_key(app)), json!({"QueueName": "q"}))
            .await;
        assert_eq!(status, 200, "{v}");
        let queue = v["Data"]["QueueID"].as_u64().unwrap();
        for n in 0..3 {
            let mut c = cluster.client(&cluster.nodes[n], app, &format!("{app}-via-{n}")).await;
            assert_eq!(c.request(json!({"op": "StartQueuing", "queID": queue})).await["err"], 0);
            clients.push((app.to_string(), n, c));
        }
    }

    cluster.nodes.push(Node::start(&cluster.pg.url(), &joining));
    let started = Instant::now();
    while cluster.health(&cluster.nodes[3]).await.is_none() {
        assert!(started.elapsed() < Duration::from_secs(20), "the new node never became healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let settled = std::sync::atomic::AtomicBool::new(false);
    let (after, asked) = tokio::join!(
        async {
            let after = cluster.settled(&[0, 1, 2, 3]).await;
            settled.store(true, std::sync::atomic::Ordering::Release);
            after
        },
        async {
            // The carried clients keep asking while the apps move.
            let mut asked = 0;
            while !settled.load(std::sync::atomic::Ordering::Acquire) {
                for (app, via, c) in clients.iter_mut().filter(|(app, via, _)| placed[app.as_str()] != *via) {
                    let r = c.try_request(json!({"op": "GetQueuingInfo"}), Duration::from_secs(10)).await;
                    let r = r.unwrap_or_else(|| panic!("{app} through node {via}: the socket closed"));
                    assert_eq!(r["err"], 0, "{app} through node {via}: {r}");
                    asked += 1;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            asked
        }
    );
    let moved: Vec<&str> = APPS.iter().copied().filter(|a| after[*a] != placed[*a]).collect();
    assert!(
        !moved.is_empty() && moved.iter().all(|a| after[*a] == 3),
        "apps move only to the new node: {placed:?} → {after:?}"
    );
    println!(
        "{joining} joined: {moved:?} handed over to it; {asked} requests of carried clients meanwhile, none failed"
    );
    // Every customer is still queuing: the carried ones on their sockets, the ones
    // straight on a node that handed its app over after resuming elsewhere.
    let all: Vec<&Node> = cluster.nodes.iter().collect();
    for (app, via, c) in clients.iter_mut() {
        let r = match c.try_request(json!({"op": "GetQueuingInfo"}), Duration::from_secs(5)).await {
            Some(r) => r,
            None => {
                assert!(
                    moved.contains(&app.as_str()) && placed[app.as_str()] == *via,
                    "{app} through node {via} was closed"
                );
                assert_eq!(c.closed.as_ref().map(|c| c.0), Some(1001), "closed as a restart");
                resume_elsewhere(c, &all).await;
                c.request(json!({"op": "GetQueuingInfo"})).await
            }
        };
        assert_eq!(r["err"], 0, "{r}");
        assert!(r["data"]["queID"].as_i64().unwrap() > 0, "{app} through node {via} still queuing: {r}");
    }
}

/// The automatic flow on a cluster, through a node that does not own the app: an
/// agent serving the queue is offered the customer, accepts, finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_flow_through_a_node_that_does_not_own_the_app() {
    let cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    let via = &cluster.nodes[(placed[BUSY] + 1) % 3];
    let (status, v) = cluster
        .call(via, "POST", &format!("/api/v1/apps/{BUSY}/queues"), Some(&app_key(BUSY)), json!({"QueueName": "q"}))
        .await;
    assert_eq!(status, 200, "{v}");
    let queue = v["Data"]["QueueID"].as_u64().unwrap();
    let mut agent = cluster.client(via, BUSY, "agent").await;
    assert_eq!(agent.request(json!({"op": "StartService", "queID": queue})).await["err"], 0);
    let mut customer = cluster.client(via, BUSY, "customer").await;
    assert_eq!(customer.request(json!({"op": "StartQueuing", "queID": queue})).await["err"], 0);
    let offer = agent.notice("AutoAssignUser").await;
    assert_eq!(offer["usrID"], "customer");
    assert_eq!(agent.request(json!({"op": "AcceptAssignUser", "queID": queue, "usrID": "customer"})).await["err"], 0);
    assert_eq!(agent.request(json!({"op": "FinishService", "queID": queue, "usrID": "customer"})).await["err"], 0);
    customer.notice("ServiceFinished").await;
}

/// What a user controls reaches the routing of a cluster node: markup and huge app
/// ids, wrong types, a forged node header, a made-up resume token. Each gets a clear
/// answer; nothing is forwarded as if it came from a node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_to_a_cluster_node_gets_clear_answers() {
    let cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    let via = &cluster.nodes[(placed[BUSY] + 1) % 3];
    let huge = "<script>".repeat(1000);
    let (status, v) = cluster.call(via, "GET", &format!("/api/v1/apps/{huge}/queues"), Some("x"), json!(null)).await;
    assert_eq!(status, 404, "{v}");
    assert!(v["RspDesc"].as_str().unwrap().len() < 200, "the name is clipped: {v}");
    let (status, v) = cluster.call(via, "POST", "/api/v1/login", None, json!({"appID": 5, "UID": "<b>x</b>"})).await;
    assert_eq!(status, 400, "a wrong type is a bad request: {v}");
    let (status, v) = cluster
        .call(via, "POST", "/api/v1/login", None, json!({"appID": huge, "md5_appSecret": "x", "UID": "u"}))
        .await;
    assert_eq!(status, 401, "{v}");
    // A forged node header is not a node's: the request is forwarded to the owner as
    // any client's and answered there.
    let url = format!("http://{}/api/v1/apps/{BUSY}/queues", via.addr);
    let resp = cluster
        .http
        .get(&url)
        .bearer_auth(app_key(BUSY))
        .header("x-lineup-node", "node-a 1 deadbeef")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut c = Client::connect(&via.ws()).await;
    let r = c.request(json!({"op": "Resume", "session": format!("abc.{huge}")})).await;
    assert_eq!(r["err"], lineup_protocol::codes::TOKEN_APPIDNOTEXIST, "{r}");
    assert!(r["msg"].as_str().unwrap().len() < 200, "clipped: {r}");
    let r = c.request(json!({"op": "Resume", "session": 7})).await;
    assert_ne!(r["err"], 0, "{r}");
    let health = cluster.health(via).await.expect("the node serves on");
    assert!(common::documented_shapes("GET /healthz").contains(&common::keys(&health)), "PROTOCOL.md §15.15 documents {health}");
}
