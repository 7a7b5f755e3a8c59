//! Cluster test helpers: `lineup-server --database …` processes on a throwaway
//! PostgreSQL, their health and placement, logged-in clients, the journal as stored.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lineup_server::cluster::Pg;
use serde_json::{json, Value};

use super::pg::ThrowawayPg;
use super::{Client, ADMIN_KEY};

pub const SECRET: &str = "the cluster secret of the tests";
pub const BUSY: &str = "tenant1";
pub const APPS: [&str; 4] = ["tenant1", "tenant2", "tenant3", "tenant4"];

pub fn md5(s: &str) -> String {
    lineup_server::auth::md5_hex(s)
}

pub fn app_key(app: &str) -> String {
    md5(&format!("secret of {app}"))
}

/// One `lineup-server --database …` process.
pub struct Node {
    pub id: String,
    pub addr: String,
    pub child: Child,
    /// Its `--data` directory (call recordings' files).
    pub data: std::path::PathBuf,
}

impl Node {
    pub fn start(url: &str, id: &str) -> Node {
        Node::start_in(url, id, super::temp_dir())
    }

    /// A node on the data directory `data` (a node restarted keeps its recordings).
    pub fn start_in(url: &str, id: &str, data: std::path::PathBuf) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_lineup-server"))
            .args(["--listen", &addr, "--database", url, "--cluster-secret", SECRET, "--node-id", id])
            .arg("--data")
            .arg(&data)
            .args(["--admin-key", ADMIN_KEY, "--no-demo", "--webhook-allow", "127.0.0.1/32"])
            .env("LINEUP_WEBHOOK_BACKOFF_MS", "100")
            .env("LINEUP_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Node { id: id.into(), addr, child, data }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok, "kill {sig}");
    }

    pub fn ws(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub struct Cluster {
    pub pg: ThrowawayPg,
    pub nodes: Vec<Node>,
    pub http: reqwest::Client,
}

impl Cluster {
    pub async fn start() -> Cluster {
        let pg = ThrowawayPg::start();
        let nodes: Vec<Node> = ["node-a", "node-b", "node-c"].iter().map(|id| Node::start(&pg.url(), id)).collect();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        let cluster = Cluster { pg, nodes, http };
        for n in &cluster.nodes {
            let started = Instant::now();
            while cluster.health(n).await.is_none() {
                assert!(started.elapsed() < Duration::from_secs(20), "{} never became healthy", n.id);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        for app in APPS {
            let (status, v) = cluster
                .call(
                    &cluster.nodes[0],
                    "POST",
                    "/api/v1/apps",
                    Some(ADMIN_KEY),
                    json!({"appID": app, "appSecret": format!("secret of {app}")}),
                )
                .await;
            assert_eq!(status, 200, "{v}");
        }
        cluster
    }

    pub async fn call(&self, node: &Node, method: &str, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("http://{}{path}", node.addr)).json(&body);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `/healthz` of a node (None: not answering, or not healthy).
    pub async fn health(&self, node: &Node) -> Option<Value> {
        let resp =
            self.http.get(format!("http://{}/healthz", node.addr)).timeout(Duration::from_secs(1)).send().await.ok()?;
        if resp.status() != 200 {
            return None;
        }
        resp.json().await.ok()
    }

    /// Which node (index) runs each app, once every app runs on exactly one of `live`
    /// and the placement has held still for a few polls.
    pub async fn settled(&self, live: &[usize]) -> BTreeMap<String, usize> {
        let started = Instant::now();
        let mut last = BTreeMap::new();
        let mut same = 0;
        loop {
            let mut at: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for &i in live {
                if let Some(h) = self.health(&self.nodes[i]).await {
                    for app in h["apps"].as_array().unwrap() {
                        at.entry(app.as_str().unwrap().to_string()).or_default().push(i);
                    }
                }
            }
            let placed: BTreeMap<String, usize> =
                at.iter().filter(|(_, n)| n.len() == 1).map(|(a, n)| (a.clone(), n[0])).collect();
            if placed.len() == APPS.len() && placed == last {
                same += 1;
                if same == 5 {
                    return placed;
                }
            } else {
                same = 0;
            }
            last = placed;
            assert!(started.elapsed() < Duration::from_secs(20), "apps never settled: {at:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A logged-in client of `app` through `node`: (client, resume token).
    pub async fn client(&self, node: &Node, app: &str, uid: &str) -> Client {
        let body = json!({"appID": app, "md5_appSecret": app_key(app), "UID": uid, "nickName": uid});
        let (status, v) = self.call(node, "POST", "/api/v1/login", None, body).await;
        assert_eq!(status, 200, "{v}");
        let mut c = Client::connect(&node.ws()).await;
        let r = c.request(json!({"op": "Login", "ticket": v["ticket"]})).await;
        assert_eq!(r["err"], 0, "{r}");
        c.session = r["data"]["session"].as_str().unwrap().to_string();
        c
    }

    /// The epoch of `app`'s lease (one more with every owner).
    pub fn epoch(&self, app: &str) -> i64 {
        let pg = Pg::connect(&self.pg.url()).unwrap();
        let app = app.to_string();
        pg.query(move |c| c.query_one("SELECT epoch FROM app_leases WHERE app = $1", &[&app])).unwrap().get(0)
    }

    /// The durable history of `app` as (seq, epoch), in order: its latest snapshot
    /// first (it stands for the steps it covers, which the journal no longer has; every
    /// new owner takes one when it starts), then the journal's steps after it.
    pub fn journal(&self, app: &str) -> Vec<(i64, i64)> {
        let pg = Pg::connect(&self.pg.url()).unwrap();
        let app = app.to_string();
        let rows = pg
            .query(move |c| {
                let mut rows =
                    c.query("SELECT seq, epoch FROM snapshots WHERE app = $1 ORDER BY seq DESC LIMIT 1", &[&app])?;
                rows.extend(c.query("SELECT seq, epoch FROM journal WHERE app = $1 ORDER BY seq", &[&app])?);
                Ok::<_, postgres::Error>(rows)
            })
            .unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }
}

/// A history ([`Cluster::journal`]) without a gap or a fork: consecutive steps after
/// the snapshot, epochs that only rise.
pub fn assert_linear(journal: &[(i64, i64)]) {
    assert!(!journal.is_empty());
    for w in journal.windows(2) {
        assert_eq!(w[1].0, w[0].0 + 1, "a gap in the journal at {:?}", w);
        assert!(w[1].1 >= w[0].1, "a step of an older owner after a newer one's (a fork): {:?}", w);
    }
}

/// Resumes a client whose node went away on another node; returns when resumed.
pub async fn resume_elsewhere(c: &mut Client, nodes: &[&Node]) {
    let started = Instant::now();
    for attempt in 0.. {
        assert!(started.elapsed() < Duration::from_secs(20), "no node resumed the session");
        let node = nodes[attempt % nodes.len()];
        let Ok(Ok((ws, _))) =
            tokio::time::timeout(Duration::from_secs(2), tokio_tungstenite::connect_async(node.ws())).await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let session = c.session.clone();
        c.replace_socket(ws);
        if let Some(r) = c.try_request(json!({"op": "Resume", "session": session}), Duration::from_secs(5)).await {
            assert_eq!(r["err"], 0, "the session was kept: {r}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
