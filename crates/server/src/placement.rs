//! Where each app is served. A single node is a cluster of one: every app is here, on
//! its one hub, and never moves. A cluster node asks its leases: an app is here (its app
//! hub), on another node, between owners, or unknown. The WebSocket, REST and media ask
//! this, not which mode the server runs in.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;

use crate::cluster::node::ClusterNode;
pub use crate::cluster::node::Owner;
use crate::hub::{HubError, HubHandle};

/// How long a health or monitor round trip through a hub may take.
const HUB_ANSWER: Duration = Duration::from_secs(2);
const MONITOR_ANSWER: Duration = Duration::from_secs(5);

/// Where apps are served from.
#[derive(Clone)]
pub enum Placement {
    /// A single node: every app on this hub.
    Single(HubHandle),
    /// A cluster node: each app on the hub of the node holding its lease.
    Cluster(Arc<ClusterNode>),
}

impl Placement {
    /// The hub that serves `app` here (`Moving` when another node or none serves it).
    pub fn hub(&self, app: &str) -> Result<HubHandle, HubError> {
        match self {
            Placement::Single(hub) => Ok(hub.clone()),
            Placement::Cluster(node) => node.registry.hub(app).ok_or(HubError::Moving),
        }
    }

    /// The hub that serves every app, where one does (a single node).
    pub fn only_hub(&self) -> Option<HubHandle> {
        match self {
            Placement::Single(hub) => Some(hub.clone()),
            Placement::Cluster(_) => None,
        }
    }

    /// The cluster node, on a cluster.
    pub fn node(&self) -> Option<&Arc<ClusterNode>> {
        match self {
            Placement::Cluster(node) => Some(node),
            Placement::Single(_) => None,
        }
    }

    /// Whether a request with these headers comes from another node of the cluster
    /// (its credential checked; never on a single node).
    pub fn from_node(&self, headers: &HeaderMap) -> bool {
        self.node().is_some_and(|n| crate::cluster::link::from_node(&n.settings.secret, headers))
    }

    /// Whether an app's hub here may stop because the app moves to another node (its
    /// clients then resume at the next owner).
    pub fn apps_move(&self) -> bool {
        self.node().is_some()
    }

    /// Who serves `app`, waiting up to `within` for an app between owners.
    pub async fn owner_within(&self, app: &str, within: Duration) -> Owner {
        match self {
            Placement::Single(hub) => Owner::Here(hub.clone()),
            Placement::Cluster(node) => node.owner_within(app, within).await,
        }
    }

    /// Completes once this node starts leaving the cluster (never on a single node).
    pub async fn until_leaving(&self) {
        match self {
            Placement::Cluster(node) => node.until_leaving().await,
            Placement::Single(_) => std::future::pending().await,
        }
    }

    /// `GET /healthz`: whether the server is healthy, and what it says of itself.
    pub async fn health(&self) -> (bool, serde_json::Value) {
        let hub = match self {
            Placement::Single(hub) => hub,
            Placement::Cluster(node) => return crate::cluster::health::health(node).await,
        };
        let answer = tokio::time::timeout(HUB_ANSWER, hub.call(|hub| hub.health())).await;
        match answer {
            Ok(Ok(Ok(h))) => (
                true,
                serde_json::json!({"status": "ok", "store": "ok", "journalStep": h.journal_step, "sessions": h.sessions, "refusedPanics": h.refused_panics}),
            ),
            Ok(Ok(Err(store))) => (false, serde_json::json!({"status": "unavailable", "store": store})),
            Ok(Err(e)) => (false, serde_json::json!({"status": "unavailable", "hub": e.to_string()})),
            Err(_) => (false, serde_json::json!({"status": "unavailable", "hub": "no answer within 2 s"})),
        }
    }

    /// The scrape-time figures of the hubs here and their queued jobs (None: a single
    /// node's hub did not answer).
    pub async fn monitor(&self) -> Option<(crate::metrics::Monitor, u64)> {
        match self {
            Placement::Single(hub) => {
                let answer = tokio::time::timeout(MONITOR_ANSWER, hub.call(|hub| hub.monitor())).await;
                answer.ok()?.ok().map(|m| (m, hub.queue_depth()))
            }
            Placement::Cluster(node) => Some(crate::cluster::health::monitor(node).await),
        }
    }
}
