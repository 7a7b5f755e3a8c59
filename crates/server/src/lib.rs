//! Lineup's queue server: a thin driver around the ACD engine.
//!
//! It moves bytes and time in and out of [`lineup_engine::Engine`]: WebSocket sessions
//! and REST requests become engine inputs on one hub thread, the engine's outputs become
//! frames on sockets, every input is journaled before anything it causes leaves, and
//! apps, queues and the journal persist in SQLite.
//!
//! # Layout
//!
//! Leaves first: a module imports only modules listed above it (`tests/modules.rs`
//! fails on an import cycle).
//!
//! - [`clock`]: the wall clock as the engine sees it, dates as the wire writes them.
//! - [`admin_error`], [`ws_error`]: why a REST request or an op is refused, with its
//!   wire code, `RspCode` and HTTP status (one place each).
//! - [`http_replies`]: refusals in both envelopes (429, 503).
//! - [`auth`]: app-secret MD5, HMAC-signed tokens and login tickets.
//! - [`pg`]: a PostgreSQL connection on a thread of its own (cluster mode).
//! - [`journal`]: the durable journal of engine steps and its snapshots: the storage
//!   traits, the step encoding, replay; start-up recovery is [`prepare`].
//! - [`store`]: the SQLite database: apps, queues, the journal on SQLite, the
//!   recordings table, the mirror of a cluster app hub's own tables.
//! - [`convert`]: engine types ↔ wire types.
//! - [`webhooks`]: business-system webhooks: subscriptions, the durable outbox, formats,
//!   allowed addresses.
//! - [`config`]: flags, environment and defaults.
//! - [`limits`]: per-address counts and the throttle of failed credential checks.
//! - [`logging`]: text or JSON log lines, levels.
//! - [`metrics`]: `/metrics` (Prometheus / OpenMetrics text): queues, sessions, hub,
//!   journal, webhooks, memory.
//! - [`tokens`]: resume tokens, stored by hash.
//! - [`recording`]: recordings as the hub and the API list them, the `recording`
//!   webhook.
//! - [`reports`]: history reports: the engine's 15-minute intervals as stored rows, the
//!   open interval beside them, JSON and CSV (`rest::reports` serves them).
//! - [`conn`]: a connection's bounded send queue and the cut of a client that does not read.
//! - [`hub`]: the thread that owns the engine, the store and the connections; turns,
//!   group commit, output fan-out, snapshots.
//! - [`admin`]: app and queue administration (engine + store together).
//! - [`session_ops`]: a session's WebSocket operations mapped onto the engine.
//! - [`webhook_delivery`]: the worker that sends the outbox's deliveries.
//! - [`recorder`]: the thread that writes recorded calls as WebM files and keeps them.
//! - [`media_tcp`]: ICE-TCP for browsers whose UDP is blocked.
//! - [`media`]: the calls' audio and video: lineup-media's SFU on one UDP socket.
//! - [`cluster`]: cluster mode on PostgreSQL: migrations, app leases with fencing
//!   epochs, the journal per app, placement, the app hubs of a node, and the
//!   node-to-node link that carries requests and sockets to an app's owner.
//! - [`placement`]: where an app is served (a single node: here; a cluster: its owner).
//! - [`assets`]: the demo apps and the SDK built into the binary.
//! - [`ws`]: the `/ws` endpoint: framing, heartbeat, malformed input.
//! - [`rest`]: `/api/v1`: login, tokens, queue administration, statistics; CORS; static
//!   files; the OpenAPI document (`rest::openapi`).
//! - [`listen`]: accepting connections (header deadline, per-address limits, graceful stop).
//! - [`cluster_serve`]: a cluster node's start and serving (this file's [`run`] serves
//!   a single node).
//!
//! # Running
//!
//! `run(listener, config, shutdown)`: tests bind `127.0.0.1:0` and talk to the real
//! thing; `main.rs` parses flags and binds.

pub mod admin;
pub mod admin_error;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod cluster;
pub mod cluster_serve;
pub mod config;
pub mod conn;
pub mod convert;
pub mod http_replies;
pub mod hub;
pub mod journal;
pub mod limits;
pub mod listen;
pub mod logging;
pub mod media;
pub mod media_tcp;
pub mod metrics;
pub mod pg;
pub mod placement;
pub mod recorder;
pub mod recording;
pub mod reports;
pub mod rest;
pub mod session_ops;
pub mod store;
pub mod tokens;
pub mod webhook_delivery;
pub mod webhooks;
pub mod ws;
pub mod ws_error;

use std::future::Future;
use std::sync::Arc;

use lineup_engine::Input;
use lineup_protocol::rest::{AgentReasonBody, AgentReasonsBody, AppSettingsBody, QueueFields};
use rustc_hash::FxHashMap;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

pub use config::{Cli, Config};
use hub::{AppRecord, Hub, HubHandle};
use store::Store;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Where each app is served.
    pub placement: placement::Placement,
    pub config: Arc<Config>,
    /// Flips to true when the server shuts down (open sockets close).
    pub shutdown: watch::Receiver<bool>,
    /// Per-address limits.
    pub limits: Arc<limits::Limits>,
    /// Figures counted as they happen (`/metrics`).
    pub metrics: metrics::SharedMetrics,
    /// The media server (None with `--no-media`).
    pub media: Option<media::MediaHandle>,
}

impl AppState {
    /// The hub that serves `app` here (in cluster mode: `Moving` when another node or
    /// none serves it).
    pub fn hub_for(&self, app: &str) -> Result<HubHandle, hub::HubError> {
        self.placement.hub(app)
    }

    /// Runs `f` on the hub that serves `app`.
    pub async fn call<R: Send + 'static>(
        &self,
        app: &str,
        f: impl FnOnce(&mut Hub) -> R + Send + 'static,
    ) -> Result<R, hub::HubError> {
        self.hub_for(app)?.call(f).await
    }

    /// The cluster node, in cluster mode.
    pub fn cluster(&self) -> Option<&Arc<cluster::node::ClusterNode>> {
        self.placement.node()
    }
}

/// A server ready to serve: store opened, state recovered.
pub struct Prepared {
    hub: Hub,
    /// The apps it knows, by id.
    pub apps: Vec<String>,
    /// Whether this start created the demo app.
    pub seeded_demo: bool,
    /// What start-up recovered from the journal.
    pub recovered: Recovered,
}

/// What start-up found in the data directory.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    /// Journal steps replayed after the snapshot.
    pub replayed: u64,
    /// The journal step the snapshot covered (0: none).
    pub snapshot_seq: u64,
    /// Sessions alive after the restart (held until their clients resume).
    pub sessions: usize,
    /// Customers queuing after the restart.
    pub waiting: u32,
    /// Milliseconds from opening the store to serving.
    pub millis: u64,
}

/// The demo app created on first start.
pub const DEMO_APP: &str = "demo";
pub const DEMO_SECRET: &str = "demo";

/// Opens the store and recovers the live state: the latest snapshot, then the journal
/// after it replayed through the engine; every session that was live is then held for
/// the hold time (`ServerRestarted`). A data directory without a journal (new, or from
/// before the journal) loads its apps and queues instead, and on first start gets the
/// demo app with three sample queues.
pub fn prepare(config: Config) -> Result<Prepared, ServeError> {
    let started = std::time::Instant::now();
    let config = Arc::new(config);
    let mut store = Store::open(&config.data_dir)?;
    let bad = |e: journal::JournalError| format!("cannot recover from {}: {e}", config.data_dir.display());
    let journal::Restored { engine, last_seq, snapshot_seq, replayed, fresh } =
        journal::restore(&mut store).map_err(bad)?;
    let mut apps = FxHashMap::default();
    let cannot = |e| format!("cannot read apps: {e}");
    let every_call = store.recording_apps(store::Recording::EveryCall).map_err(cannot)?;
    let on_demand = store.recording_apps(store::Recording::OnDemand).map_err(cannot)?;
    for app in store.apps().map_err(cannot)? {
        let record = AppRecord {
            md5_secret: auth::md5_hex(&app.secret),
            record_calls: every_call.contains(&app.id),
            record_on_demand: on_demand.contains(&app.id),
            secret: app.secret,
        };
        apps.insert(app.id.clone(), record);
    }
    let mut hub = Hub::new(engine, store, config.clone(), apps, last_seq, snapshot_seq);
    hub.webhooks = webhooks::Webhooks::load(hub.store.conn())?;
    hub.tokens = tokens::ResumeTokens::load(&mut hub.store).map_err(bad)?;
    hub.begin();
    if fresh {
        load_stored_apps(&mut hub)?;
    } else {
        let _ = hub.input(Input::ServerRestarted);
    }
    hub.retain_live_tokens().map_err(bad)?;
    let seeded_demo = config.seed_demo && hub.apps.is_empty();
    if seeded_demo {
        seed_demo(&mut hub).map_err(|e| format!("cannot create the demo app: {e}"))?;
        hub.store.mark_demo_created().map_err(|e| format!("cannot write the store: {e}"))?;
    }
    // Demo tokens only for a demo app this server made: marked when made (or, in a data
    // directory from before the mark, the demo app still on its published secret).
    let made_here = hub.store.demo_created().map_err(|e| format!("cannot read the store: {e}"))?;
    hub.demo_tokens = hub.apps.get(DEMO_APP).is_some_and(|a| made_here || a.secret == DEMO_SECRET);
    hub.end_restore().map_err(|e| ServeError::Journal(e.to_string()))?;
    let mut apps: Vec<String> = hub.apps.keys().cloned().collect();
    apps.sort();
    let recovered = Recovered {
        replayed,
        snapshot_seq,
        sessions: hub.engine.session_count(),
        waiting: apps
            .iter()
            .flat_map(|a| hub.engine.queues(a))
            .filter_map(|q| hub.engine.queue_status(q.queue))
            .map(|s| s.wait_num)
            .sum(),
        millis: started.elapsed().as_millis() as u64,
    };
    Ok(Prepared { hub, apps, seeded_demo, recovered })
}

/// Apps and queues of a data directory that has no journal yet, into the engine
/// (journaled from here on).
fn load_stored_apps(hub: &mut Hub) -> Result<(), String> {
    for app in hub.store.apps().map_err(|e| format!("cannot read apps: {e}"))? {
        hub.input(Input::PutApp { app: app.id.as_str().into(), settings: app.settings.clone() })
            .map_err(|e| format!("stored app {}: {e}", app.id))?;
    }
    for q in hub.store.queues().map_err(|e| format!("cannot read queues: {e}"))? {
        hub.input(Input::CreateQueue { app: q.app.as_str().into(), id: Some(q.id), def: q.def })
            .map_err(|e| format!("stored queue {}: {e}", q.id))?;
    }
    Ok(())
}

fn seed_demo(hub: &mut Hub) -> Result<(), admin::AdminError> {
    admin::create_app(hub, DEMO_APP, DEMO_SECRET)?;
    // A call's agent may record it (CloudRoom's cloud recording button); agents miss at
    // most three offers in a row before they are paused.
    let settings = AppSettingsBody { record_on_demand: Some(true), max_missed_offers: Some(3), ..Default::default() };
    admin::put_settings(hub, DEMO_APP, settings)?;
    // Reasons the demo's agents can choose.
    let reason =
        |code: u32, label: &str, manual_pulls| AgentReasonBody { dnd_type: code, label: label.into(), manual_pulls };
    let reasons = vec![reason(2, "Break", false), reason(3, "Lunch", false), reason(4, "Training", true)];
    admin::put_reasons(hub, DEMO_APP, AgentReasonsBody { reasons })?;
    seed_demo_queues(hub)
}

/// The demo app's three sample queues.
pub(crate) fn seed_demo_queues(hub: &mut Hub) -> Result<(), admin::AdminError> {
    let queues = [
        ("VIP customers", 1, "Priority line for VIP members"),
        ("Technical support", 5, "Problems with products and accounts"),
        ("General enquiries", 10, "Questions about products, orders and billing"),
    ];
    for (name, prio, desc) in queues {
        let fields = QueueFields {
            queue_name: Some(name.into()),
            priority: Some(prio),
            que_desc: Some(desc.into()),
            ..Default::default()
        };
        admin::create_queue(hub, DEMO_APP, fields)?;
    }
    hub.flush();
    Ok(())
}

/// Why [`serve`] stopped serving before it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The server could not start (a socket, the outbox, the recorder).
    #[error("{0}")]
    Start(String),
    /// The journal could not be written: the server stopped without acknowledging
    /// anything more (a restart recovers every committed turn). `main` exits with
    /// [`hub::EXIT_JOURNAL_FAILED`].
    #[error("cannot write the journal: {0}")]
    Journal(String),
    /// The hub stopped for another reason (a panic outside a request): the server
    /// cannot serve without it.
    #[error("{0}")]
    Hub(String),
}

impl From<hub::HubFailure> for ServeError {
    fn from(e: hub::HubFailure) -> Self {
        match e {
            hub::HubFailure::Journal(e) => ServeError::Journal(e),
            other => ServeError::Hub(other.to_string()),
        }
    }
}

impl From<String> for ServeError {
    fn from(e: String) -> Self {
        ServeError::Start(e)
    }
}

/// Serves until `shutdown` completes, or the journal cannot be written.
pub async fn serve(
    listener: TcpListener,
    prepared: Prepared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let config = prepared.hub.config.clone();
    let wake = prepared.hub.webhook_wake.clone();
    let recorder_wake = wake.clone();
    let (stop_hub, hub_stopped) = oneshot::channel();
    let metrics = prepared.hub.metrics.clone();
    let (hub, mut hub_task) = prepared.hub.spawn("lineup-hub", hub_stopped)?;
    let hub_failure = Arc::new(std::sync::Mutex::new(None::<hub::HubFailure>));
    let (stop_tx, stop_rx) = watch::channel(false);
    let outbox = webhook_delivery::Outbox::open(&config)?;
    let deliveries = tokio::spawn(webhook_delivery::run(hub.clone(), outbox, wake, config.clone(), stop_rx.clone()));
    let limits = limits::Limits::new(&config);
    let header_timeout = std::time::Duration::from_secs(config.header_timeout_s.into());
    let media = match config.media {
        true => {
            let listen_ip = listener.local_addr().map_err(|e| format!("listener: {e}"))?.ip();
            let recorder = recorder::Recorder::spawn(&config.data_dir, recorder_wake)?;
            Some(
                media::start(&config, listen_ip, media::MediaHubs::Single(hub.clone(), recorder), stop_rx.clone())
                    .await?,
            )
        }
        false => None,
    };
    let (media, media_task) = media.unzip();
    let state = AppState {
        placement: placement::Placement::Single(hub),
        config,
        shutdown: stop_rx,
        limits: limits.clone(),
        metrics,
        media,
    };
    let router = rest::router(state);
    let failure = hub_failure.clone();
    let stopping = async move {
        let ended = tokio::select! {
            () = shutdown => {
                // The hub finishes its turn, flushes the journal and closes every socket
                // with 1001 before anything else stops; drops after this are not journaled.
                let _ = stop_hub.send(());
                (&mut hub_task).await
            }
            // The hub ended on its own: its journal could not be written.
            ended = &mut hub_task => ended,
        };
        if let Err(e) = ended {
            *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
        }
        let _ = stop_tx.send(true);
    };
    listen::serve(listener, router, limits, header_timeout, stopping).await;
    // The media task finishes the recordings in progress (bounded: a stuck disk does
    // not keep the process up).
    if let Some(t) = media_task {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), t).await;
    }
    deliveries.abort();
    let _ = deliveries.await;
    let failure = hub_failure.lock().unwrap_or_else(|e| e.into_inner()).take();
    failure.map_or(Ok(()), |e| Err(e.into()))
}

/// Prepares and serves: the whole server (a cluster node with `--database`).
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if config.cluster.is_some() {
        let runtime = tokio::runtime::Handle::current();
        let prepared = tokio::task::spawn_blocking(move || cluster_serve::prepare(config, runtime))
            .await
            .map_err(|e| format!("cannot join the cluster: {e}"))??;
        return Ok(cluster_serve::serve(listener, prepared, shutdown).await?);
    }
    serve(listener, prepare(config)?, shutdown).await
}
