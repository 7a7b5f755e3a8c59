//! Calls' audio and video on a cluster (CLUSTER.md): each node runs the media of the
//! apps it owns on its own socket; two apps on one node keep their rooms apart (their
//! room numbers are the same); when the owner is killed (`kill -9`), the parties resume
//! on the app's next owner, are told `MediaLost`, and their media joins there. A
//! recorded call is written by its owner, listed by every node, and downloaded through
//! any node from the node that has the file (503 naming it once it is down). str0m peers stand in for the
//! browsers; every loop is bounded in time.

mod common;
#[path = "common/media_peer.rs"]
mod media_peer;

use std::time::{Duration, Instant};

use common::cluster::{app_key, resume_elsewhere, Cluster, Node, BUSY};
use common::Client;
use media_peer::{exchange, Peer};
use serde_json::{json, Value};

/// An agent and a customer of `app` in a room, both connected to `node`: (agent,
/// customer, room).
async fn room(cluster: &Cluster, node: &Node, app: &str) -> (Client, Client, u64) {
    let mut agent = cluster.client(node, app, &format!("{app}-agent")).await;
    let mut cust = cluster.client(node, app, &format!("{app}-cust")).await;
    let room = agent.request(json!({"op": "CreateMeeting", "subject": "media", "pswd": "9"})).await;
    assert_eq!(room["err"], 0, "{room}");
    let meet_id = room["data"]["ID"].as_u64().unwrap();
    assert_eq!(agent.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": "9"})).await["err"], 0);
    assert_eq!(cust.request(json!({"op": "EnterMeeting", "meetID": meet_id, "pswd": "9"})).await["err"], 0);
    (agent, cust, meet_id)
}

/// Each peer heard and saw the other party of its room, and was told of its own room's
/// members' tracks only.
fn assert_heard(peers: &[(&Peer, &str)]) {
    for (p, app) in peers {
        assert!(p.got_audio > 50, "a peer of {app} received {} audio frames", p.got_audio);
        assert!(p.got_video > 50, "a peer of {app} received {} video frames", p.got_video);
        assert!(!p.tracks.is_empty(), "a peer of {app} was told of no track");
        for t in &p.tracks {
            let uid = t["UID"].as_str().unwrap_or_default();
            assert!(uid.starts_with(&format!("{app}-")), "a peer of {app} was told of {uid}'s track: {t}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_on_a_cluster_carry_media_per_app_and_again_after_the_owner_is_killed() {
    let mut cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    // Four apps on three nodes: one node owns two of them.
    let (node, apps) = (0..3)
        .map(|n| (n, placed.iter().filter(|(_, at)| **at == n).map(|(a, _)| a.clone()).collect::<Vec<_>>()))
        .find(|(_, apps)| apps.len() >= 2)
        .unwrap();
    let (first, second) = (apps[0].clone(), apps[1].clone());
    let (agent1, cust1, meet1) = room(&cluster, &cluster.nodes[node], &first).await;
    let (agent2, cust2, meet2) = room(&cluster, &cluster.nodes[node], &second).await;
    assert_eq!(meet1, meet2, "each app numbers its rooms: the same number on one node's media socket");
    let mut a1 = Peer::join(agent1, meet1).await;
    let mut c1 = Peer::join(cust1, meet1).await;
    let mut a2 = Peer::join(agent2, meet2).await;
    let mut c2 = Peer::join(cust2, meet2).await;
    exchange(&mut [&mut a1, &mut c1, &mut a2, &mut c2], 4, 3).await;
    assert_heard(&[(&a1, first.as_str()), (&c1, &first), (&a2, &second), (&c2, &second)]);

    // The owner is killed: the parties of the first app resume on another node, which
    // now owns the app, and join the room's media there.
    let survivors: Vec<&Node> = (0..3).filter(|i| *i != node).map(|i| &cluster.nodes[i]).collect();
    let killed = Instant::now();
    cluster.nodes[node].signal("-KILL");
    let (mut agent1, mut cust1) = (a1.ws, c1.ws);
    resume_elsewhere(&mut agent1, &survivors).await;
    resume_elsewhere(&mut cust1, &survivors).await;
    let resumed = killed.elapsed();
    // The new owner tells each party its media is not there (the SDK joins again at once).
    for c in [&mut agent1, &mut cust1] {
        let lost = c.notice_where("MediaLost", |n| n["meetID"] == meet1).await;
        assert_eq!(lost["meetID"], meet1);
    }
    let mut a1 = Peer::join(agent1, meet1).await;
    let mut c1 = Peer::join(cust1, meet1).await;
    while a1.got_audio == 0 || a1.got_video == 0 || c1.got_audio == 0 || c1.got_video == 0 {
        assert!(killed.elapsed() < Duration::from_secs(20), "no media 20 s after the kill");
        for p in [&mut a1, &mut c1] {
            p.send_media();
            p.step(3).await;
        }
    }
    let flowing = killed.elapsed();
    println!(
        "cluster media after kill -9 of the owner: resumed in {:.2} s, audio and video flowing both ways in {:.2} s",
        resumed.as_secs_f64(),
        flowing.as_secs_f64()
    );
    exchange(&mut [&mut a1, &mut c1], 3, 3).await;
    assert_heard(&[(&a1, first.as_str()), (&c1, &first)]);
    drop(cluster.nodes.remove(node));
}

/// `GET path` on `node` with the app's key: (status, body bytes).
async fn get_bytes(cluster: &Cluster, node: &Node, path: &str, key: &str) -> (u16, Vec<u8>) {
    let resp = cluster.http.get(format!("http://{}{path}", node.addr)).bearer_auth(key).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_call_is_listed_by_every_node_and_fetched_from_the_node_that_has_it() {
    let rx = common::receiver::Receiver::start(Default::default()).await;
    let mut cluster = Cluster::start().await;
    let placed = cluster.settled(&[0, 1, 2]).await;
    let owner = placed[BUSY];
    let others: Vec<usize> = (0..3).filter(|i| *i != owner).collect();
    let key = app_key(BUSY);
    let path = format!("/api/v1/apps/{BUSY}/settings");
    let (status, v) =
        cluster.call(&cluster.nodes[others[0]], "PUT", &path, Some(&key), json!({"recordCalls": true})).await;
    assert_eq!(status, 200, "{v}");
    let hook = json!({"url": rx.url("/rec"), "events": ["recording"]});
    let path = format!("/api/v1/apps/{BUSY}/webhook");
    let (status, v) = cluster.call(&cluster.nodes[others[1]], "PUT", &path, Some(&key), hook).await;
    assert_eq!(status, 200, "{v}");
    // A call with media, through the owner.
    let (mut agent, mut cust, meet_id) = room(&cluster, &cluster.nodes[owner], BUSY).await;
    let call = agent.request(json!({"op": "Call", "UID": format!("{BUSY}-cust"), "meetID": meet_id})).await;
    let call_id = call["data"]["callID"].as_str().expect("a call id").to_string();
    assert_eq!(cust.request(json!({"op": "AcceptCall", "callID": call_id})).await["err"], 0);
    let mut a = Peer::join(agent, meet_id).await;
    let mut c = Peer::join(cust, meet_id).await;
    exchange(&mut [&mut a, &mut c], 3, 5).await;
    // A fourth node joins that the app prefers: the app moves there during the call. The
    // recording is finished on the node that recorded it, which keeps the file, and its
    // event reaches the business through the app's new owner.
    let ids: Vec<String> = cluster.nodes.iter().map(|n| n.id.clone()).collect();
    let newcomer = (0..)
        .map(|i| format!("node-d{i}"))
        .find(|d| {
            let live: Vec<String> = ids.iter().cloned().chain([d.clone()]).collect();
            lineup_server::cluster::placement::preferred_owner(BUSY, &live) == Some(d.as_str())
        })
        .unwrap();
    cluster.nodes.push(Node::start(&cluster.pg.url(), &newcomer));
    let placed = cluster.settled(&[0, 1, 2, 3]).await;
    assert_eq!(placed[BUSY], 3, "the app moved to the newcomer");
    let told = rx.wait_accepted(1).await;
    let event: Value = serde_json::from_str(&told[0].body).unwrap();
    assert_eq!(
        (event["event"].as_str(), event["sessionid"].as_str()),
        (Some("recording.finished"), Some(call_id.as_str())),
        "{event}"
    );
    // Listed by every node (the index is in PostgreSQL).
    let list = format!("/api/v1/apps/{BUSY}/recordings?sessionid={call_id}");
    let (status, v) = cluster.call(&cluster.nodes[others[1]], "GET", &list, Some(&key), Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let row = v["Data"]["recordings"][0].clone();
    assert_eq!(row["id"], event["recordingid"], "{v}");
    let kinds: Vec<&str> = row["tracks"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"audio") && kinds.contains(&"video"), "{row}");
    for n in &cluster.nodes {
        let (status, v) = cluster.call(n, "GET", &list, Some(&key), Value::Null).await;
        assert_eq!((status, v["Data"]["recordings"].as_array().map(Vec::len)), (200, Some(1)), "{}: {v}", n.id);
    }
    // Its file is on the node that recorded it; downloaded through another node (the
    // app's owner fetches it from there), it is the same WebM.
    let file = row["url"].as_str().unwrap().to_string();
    let kept = cluster.nodes[owner].data.join(format!("recordings/{BUSY}/{}.webm", row["id"].as_str().unwrap()));
    let bytes = std::fs::read(&kept).unwrap();
    assert_eq!(bytes.len() as u64, row["bytes"].as_u64().unwrap());
    assert_eq!(&bytes[..4], [0x1a, 0x45, 0xdf, 0xa3], "a Matroska/WebM file");
    let (status, got) = get_bytes(&cluster, &cluster.nodes[others[0]], &file, &key).await;
    assert_eq!((status, got.len()), (200, bytes.len()), "served from the node that recorded it");
    assert_eq!(got, bytes);
    // That node is killed: the list still answers, the file is 503 naming the node, and
    // a delete leaves the row.
    let keeper = cluster.nodes[owner].id.clone();
    cluster.nodes[owner].signal("-KILL");
    let _ = cluster.nodes[owner].child.wait();
    let (status, v) = cluster.call(&cluster.nodes[others[1]], "GET", &list, Some(&key), Value::Null).await;
    assert_eq!((status, v["Data"]["recordings"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    let (status, body) = get_bytes(&cluster, &cluster.nodes[others[0]], &file, &key).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 503, "{v}");
    assert!(v["RspDesc"].as_str().unwrap().contains(&keeper), "names the node: {v}");
    let one = format!("/api/v1/apps/{BUSY}/recordings/{}", row["id"].as_str().unwrap());
    let (status, v) = cluster.call(&cluster.nodes[others[0]], "DELETE", &one, Some(&key), Value::Null).await;
    assert_eq!(status, 503, "{v}");
    let (status, v) = cluster.call(&cluster.nodes[others[1]], "GET", &one, Some(&key), Value::Null).await;
    assert_eq!((status, &v["Data"]["id"]), (200, &row["id"]), "{v}");
    // It comes back with its data: a delete removes the row and, there, the file.
    let data = std::mem::take(&mut cluster.nodes[owner].data);
    cluster.nodes[owner] = Node::start_in(&cluster.pg.url(), &keeper, data);
    let started = Instant::now();
    loop {
        let (status, v) = cluster.call(&cluster.nodes[others[0]], "DELETE", &one, Some(&key), Value::Null).await;
        if status == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never deleted: {status} {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!kept.exists(), "the file is gone from the node that had it");
    let (status, v) = cluster.call(&cluster.nodes[others[1]], "GET", &list, Some(&key), Value::Null).await;
    assert_eq!((status, v["Data"]["recordings"].as_array().map(Vec::len)), (200, Some(0)), "{v}");
    // At least once (a retry after a lost answer may repeat it), and only this one.
    for r in rx.accepted() {
        let e: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(e["recordingid"], row["id"], "{e}");
    }
}
