//! A cluster node's start and serving: the schema brought up to date, the demo app
//! seeded on the cluster's first start, the ownership loop started with the node's app
//! hubs under it, then the same routes as a single node, served through
//! [`crate::cluster::node::ClusterNode`].
//!
//! A graceful stop (SIGTERM) leaves the cluster first: every app owned here is handed
//! over (its hub stops and flushes, its lease is released, another node takes it), then
//! the sockets close with 1001.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cluster::app_hubs::AppHubs;
use crate::cluster::node::ClusterNode;
use crate::cluster::ownership::{NodeSettings, Ownership};
use crate::cluster::{apps, schema, Pg};
use crate::config::Config;
use crate::{limits, listen, metrics, rest, AppState, DEMO_APP, DEMO_SECRET};

/// How long a node that stops may take to hand its apps over.
const LEAVE_WITHIN: Duration = Duration::from_secs(10);

/// A node that has joined the cluster and is ready to serve.
pub struct PreparedNode {
    pub node: Arc<ClusterNode>,
    config: Arc<Config>,
    metrics: metrics::SharedMetrics,
    /// Whether this start created the demo app (the cluster had no app).
    pub seeded_demo: bool,
}

/// Joins the cluster: connects, migrates, seeds the demo app when the cluster has no
/// app, starts the ownership loop and waits for its first look at the cluster.
/// Blocks (run it off the async threads); `runtime` runs the app hubs.
pub fn prepare(config: Config, runtime: tokio::runtime::Handle) -> Result<PreparedNode, String> {
    let settings = config.cluster.clone().ok_or("cluster mode needs --database")?;
    let url = settings.database_url.clone();
    let db = |e: crate::cluster::PgError| format!("the cluster database: {e}");
    let pg = Arc::new(Pg::connect(&url).map_err(db)?);
    schema::migrate(&pg).map_err(db)?;
    let seeded_demo = config.seed_demo
        && apps::ids(&pg).map_err(db)?.is_empty()
        && apps::create(&pg, DEMO_APP, DEMO_SECRET, true).map_err(db)?;
    let config = Arc::new(config);
    let metrics = metrics::SharedMetrics::default();
    let runner = AppHubs::new(&url, config.clone(), runtime).with_metrics(metrics.clone());
    let registry = runner.registry();
    let ownership =
        Ownership::start(&url, NodeSettings::new(&settings.node_id, &settings.advertise), runner).map_err(db)?;
    let node = Arc::new(ClusterNode::new(settings, registry, pg, ownership));
    let started = Instant::now();
    while !node.has_polled() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(PreparedNode { node, config, metrics, seeded_demo })
}

/// Serves until `shutdown` completes, then leaves the cluster. Err: the media sockets
/// could not be bound (nothing was served).
pub async fn serve(
    listener: TcpListener,
    prepared: PreparedNode,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let PreparedNode { node, config, metrics, .. } = prepared;
    let (stop_tx, stop_rx) = watch::channel(false);
    // The calls' audio and video of the apps owned here (each app hub's rooms).
    let media = match config.media {
        true => {
            let listen_ip = listener.local_addr().map_err(|e| format!("listener: {e}"))?.ip();
            // Each app's calls are recorded here while it is owned here: files in this
            // node's --data directory, listed in the cluster's PostgreSQL.
            let (here, dir) = (node.clone(), config.data_dir.clone());
            let runtime = tokio::runtime::Handle::current();
            let recorders: crate::media::RecorderFactory = Box::new(move |hub, done| {
                let keeper = crate::cluster::keeper::ClusterKeeper {
                    node: here.clone(),
                    hub: hub.clone(),
                    runtime: runtime.clone(),
                };
                crate::recorder::Recorder::spawn_cluster(&dir, Box::new(keeper), done)
            });
            let hubs = crate::media::MediaHubs::Cluster(recorders);
            Some(crate::media::start(&config, listen_ip, hubs, stop_rx.clone()).await?)
        }
        false => None,
    };
    let (media, media_task) = media.unzip();
    let limits = limits::Limits::new(&config);
    let header_timeout = Duration::from_secs(config.header_timeout_s.into());
    let state = AppState {
        placement: crate::placement::Placement::Cluster(node.clone()),
        config,
        shutdown: stop_rx.clone(),
        limits: limits.clone(),
        metrics,
        media,
    };
    // The nodes' own connections (carried clients) are not limited per address.
    let node_ips = tokio::spawn(keep_node_ips(node.clone(), limits.clone(), stop_rx));
    let router = rest::router(state);
    let stopping = async move {
        shutdown.await;
        // The apps go to other nodes first (their sockets here close with 1001 as their
        // hubs stop); then every other socket closes.
        let leaving = node.clone();
        let _ = tokio::task::spawn_blocking(move || leaving.leave(LEAVE_WITHIN)).await;
        let _ = stop_tx.send(true);
    };
    listen::serve(listener, router, limits, header_timeout, stopping).await;
    node_ips.abort();
    if let Some(task) = media_task {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    Ok(())
}

/// Keeps the per-address limits told which addresses are the cluster's nodes.
async fn keep_node_ips(node: Arc<ClusterNode>, limits: Arc<limits::Limits>, mut stop: watch::Receiver<bool>) {
    loop {
        let mut ips = std::collections::HashSet::new();
        for addr in node.node_addrs() {
            if let Ok(found) = tokio::net::lookup_host(addr.as_str()).await {
                ips.extend(found.map(|a| a.ip()));
            }
        }
        limits.set_nodes(ips);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}
