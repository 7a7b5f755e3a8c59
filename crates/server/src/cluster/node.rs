//! A running cluster node as the request handlers see it: which node owns an app, the
//! hubs of the apps owned here, the database, and the node-to-node credentials.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::app_hubs::AppHubRegistry;
use super::ownership::{Ownership, Placement};
use crate::config::ClusterConfig;
use crate::hub::HubHandle;
use crate::pg::Pg;

/// Where an app is served from, as this node sees it now.
#[derive(Clone)]
pub enum Owner {
    /// By this node: its hub.
    Here(HubHandle),
    /// By the node at this address.
    There(String),
    /// By no node right now (between owners).
    Nowhere,
    /// Not an app of the cluster (as last seen).
    Unknown,
}

/// How long an app the node has not seen is waited for before it counts as unknown
/// (a few of the ownership loop's polls).
const UNKNOWN_FOR: Duration = Duration::from_millis(300);

/// The node.
pub struct ClusterNode {
    pub settings: ClusterConfig,
    pub registry: AppHubRegistry,
    /// The node's own connection (administration, health).
    pub pg: Arc<Pg>,
    ownership: Mutex<Option<Ownership>>,
    /// The client that forwards requests to other nodes.
    pub http: reqwest::Client,
    /// The client that forwards REST requests to an app's owner and fetches recordings'
    /// files from the node that keeps them: 30 s on each read, no limit on the whole
    /// answer (a long file to a slow client).
    pub forwarder: reqwest::Client,
    /// Set once the node starts leaving the cluster (a graceful stop).
    leaving: tokio::sync::watch::Sender<bool>,
}

impl ClusterNode {
    pub fn new(settings: ClusterConfig, registry: AppHubRegistry, pg: Arc<Pg>, ownership: Ownership) -> ClusterNode {
        // To another node: 1 s to connect, no redirects; 30 s for the whole answer, or
        // (forwarded answers, files among them) for each read.
        let client = |limit: fn(reqwest::ClientBuilder, Duration) -> reqwest::ClientBuilder| {
            let builder = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(1))
                .redirect(reqwest::redirect::Policy::none());
            limit(builder, Duration::from_secs(30)).build().expect("a client without TLS settings builds")
        };
        let http = client(reqwest::ClientBuilder::timeout);
        let forwarder = client(reqwest::ClientBuilder::read_timeout);
        ClusterNode {
            settings,
            registry,
            pg,
            ownership: Mutex::new(Some(ownership)),
            http,
            forwarder,
            leaving: tokio::sync::watch::Sender::new(false),
        }
    }

    fn with_ownership<T>(&self, f: impl FnOnce(&Ownership) -> T) -> Option<T> {
        self.ownership.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(f)
    }

    /// Who serves `app` now.
    pub fn owner(&self, app: &str) -> Owner {
        if let Some(hub) = self.registry.hub(app) {
            return Owner::Here(hub);
        }
        let placed = self.with_ownership(|o| match o.placement(app) {
            Some(Placement::Node(node)) => o.addr_of(&node).map_or(Owner::Nowhere, Owner::There),
            Some(_) => Owner::Nowhere,
            None => Owner::Unknown,
        });
        placed.unwrap_or(Owner::Nowhere)
    }

    /// Whether the node has looked at the cluster at least once since it started.
    pub fn has_polled(&self) -> bool {
        self.with_ownership(|o| o.polls() > 0).unwrap_or(true)
    }

    /// Who serves `app`, waiting up to `within` while nobody does (an app between owners,
    /// or one just created that no node has taken yet), and a moment for an app this
    /// node has not seen yet.
    pub async fn owner_within(&self, app: &str, within: Duration) -> Owner {
        let started = Instant::now();
        loop {
            let owner = self.owner(app);
            let waited = started.elapsed();
            let wait = match owner {
                Owner::Nowhere => waited < within,
                // An app created a moment ago through another node: this one sees it at
                // its next poll.
                Owner::Unknown => waited < within.min(UNKNOWN_FOR),
                _ => false,
            };
            if !wait {
                return owner;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The live nodes' addresses (`host:port`), as last seen.
    pub fn node_addrs(&self) -> Vec<String> {
        self.with_ownership(|o| o.addrs()).unwrap_or_default()
    }

    /// The apps whose hubs run here.
    pub fn apps_here(&self) -> Vec<String> {
        self.registry.apps()
    }

    /// Completes once the node starts leaving the cluster.
    pub async fn until_leaving(&self) {
        let mut rx = self.leaving.subscribe();
        let _ = rx.wait_for(|leaving| *leaving).await;
    }

    /// Leaves the cluster: every app here handed over (stopped, flushed, released), for
    /// `within` at most. Blocks. While it goes on, the node still sees where the other
    /// apps are (a request for one of them is carried as before, not left waiting).
    pub fn leave(&self, within: Duration) {
        self.leaving.send_replace(true);
        if self.with_ownership(|o| o.start_leaving()).is_none() {
            return;
        }
        let started = Instant::now();
        while self.with_ownership(|o| !o.has_left()).unwrap_or(false) && started.elapsed() < within {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.with_ownership(|o| o.has_left()) == Some(false) {
            // Not done in time: the loop is halted as it is (its leases run out).
            let ownership = self.ownership.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(o) = ownership {
                o.leave(Duration::ZERO);
            }
        }
        // Else the loop ended by itself, and its last placements stay readable until
        // the process ends.
    }
}
