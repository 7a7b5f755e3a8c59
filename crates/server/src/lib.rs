//! Lineup's queue server: a thin driver around the ACD engine.
//!
//! It moves bytes and time in and out of [`lineup_engine::Engine`]: WebSocket sessions
//! and REST requests become engine inputs on one hub task, the engine's outputs become
//! frames on sockets, and apps and queues persist in SQLite.
//!
//! # Layout
//!
//! - [`config`]: flags, environment and defaults.
//! - [`hub`]: the task that owns the engine, the store and the connections; output fan-out.
//! - [`session_ops`]: a session's WebSocket operations mapped onto the engine.
//! - [`ws`]: the `/ws` endpoint: framing, heartbeat, malformed input.
//! - [`rest`]: `/api/v1`: login, tokens, queue administration, statistics; CORS; static files.
//! - [`admin`]: app and queue administration (engine + store together).
//! - [`auth`]: app-secret MD5, HMAC-signed tokens and login tickets.
//! - [`store`]: the SQLite database.
//! - [`convert`]: engine types ↔ wire types.
//! - [`webhooks`]: business-system webhooks: durable outbox, formats, delivery worker.
//!
//! # Running
//!
//! `run(listener, config, shutdown)`: tests bind `127.0.0.1:0` and talk to the real
//! thing; `main.rs` parses flags and binds.

pub mod admin;
pub mod auth;
pub mod config;
pub mod convert;
pub mod hub;
pub mod rest;
pub mod session_ops;
pub mod store;
pub mod webhooks;
pub mod ws;

use std::future::Future;
use std::sync::Arc;

use lineup_engine::{Engine, Input};
use lineup_protocol::rest::QueueFields;
use rustc_hash::FxHashMap;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{Cli, Config};
use hub::{now, AppRecord, Hub, HubHandle};
use store::Store;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub hub: HubHandle,
    pub config: Arc<Config>,
    /// Flips to true when the server shuts down (open sockets close).
    pub shutdown: watch::Receiver<bool>,
}

/// A server ready to serve: store opened, state loaded.
pub struct Prepared {
    hub: Hub,
    /// The apps it knows, by id.
    pub apps: Vec<String>,
    /// Whether this start created the demo app.
    pub seeded_demo: bool,
}

/// The demo app created on first start.
pub const DEMO_APP: &str = "demo";
pub const DEMO_SECRET: &str = "demo";

/// Opens the store, loads apps and queues into a fresh engine, and on first start
/// creates the demo app with three sample queues.
pub fn prepare(config: Config) -> Result<Prepared, String> {
    let config = Arc::new(config);
    let store = Store::open(&config.data_dir)?;
    let mut engine = Engine::new();
    let mut apps = FxHashMap::default();
    let t = now();
    for app in store.apps().map_err(|e| format!("cannot read apps: {e}"))? {
        engine
            .handle(t, Input::PutApp { app: app.id.as_str().into(), settings: app.settings.clone() })
            .map_err(|e| format!("stored app {}: {e}", app.id))?;
        apps.insert(app.id.clone(), AppRecord { md5_secret: auth::md5_hex(&app.secret), secret: app.secret });
    }
    for q in store.queues().map_err(|e| format!("cannot read queues: {e}"))? {
        engine
            .handle(t, Input::CreateQueue { app: q.app.as_str().into(), id: Some(q.id), def: q.def })
            .map_err(|e| format!("stored queue {}: {e}", q.id))?;
    }
    while engine.poll_output().is_some() {}
    let mut hub = Hub::new(engine, store, config.clone(), apps);
    hub.webhooks = webhooks::Webhooks::load(hub.store.conn())?;
    let seeded_demo = config.seed_demo && hub.apps.is_empty();
    if seeded_demo {
        seed_demo(&mut hub).map_err(|e| format!("cannot create the demo app: {}", e.desc))?;
    }
    let mut apps: Vec<String> = hub.apps.keys().cloned().collect();
    apps.sort();
    Ok(Prepared { hub, apps, seeded_demo })
}

fn seed_demo(hub: &mut Hub) -> Result<(), admin::AdminError> {
    admin::create_app(hub, DEMO_APP, DEMO_SECRET)?;
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

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    prepared: Prepared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let config = prepared.hub.config.clone();
    let wake = prepared.hub.webhook_wake.clone();
    let (hub, hub_task) = prepared.hub.spawn();
    let (stop_tx, stop_rx) = watch::channel(false);
    let deliveries = tokio::spawn(webhooks::deliver::run(hub.clone(), wake, config.clone(), stop_rx.clone()));
    let state = AppState { hub, config, shutdown: stop_rx };
    let router = rest::router(state);
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await
        .map_err(|e| format!("server error: {e}"));
    deliveries.abort();
    let _ = deliveries.await;
    hub_task.abort();
    let _ = hub_task.await;
    result
}

/// Prepares and serves: the whole server.
pub async fn run(listener: TcpListener, config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), String> {
    serve(listener, prepare(config)?, shutdown).await
}
