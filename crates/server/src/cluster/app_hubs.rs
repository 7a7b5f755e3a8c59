//! A cluster node's app hubs: the [`AppRunner`] that starts an app's hub from its
//! journal in PostgreSQL when the node takes the app, and stops it when the node hands
//! the app over or steps down.
//!
//! Each app hub is the single-node hub with one app: its own engine, its journal (and
//! resume tokens and used tickets) in PostgreSQL under the app's lease, on a connection
//! of its own, and a store in memory for what does not outlive it. Taking an app over is
//! a restart of that app: the snapshot restored, the journal replayed, every session
//! that was live held for the hold time so that its client resumes (`ServerRestarted`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lineup_engine::{AppSettings, Input};
use rustc_hash::FxHashMap;
use tokio::sync::oneshot;

use super::ownership::AppRunner;
use super::{apps, Lease, PgJournal};
use crate::config::Config;
use crate::hub::{AppRecord, Hub, HubHandle, HubTask};
use crate::journal;
use crate::pg::Pg;
use crate::store::{AppRow, Store};
use crate::tokens::ResumeTokens;

/// How long a graceful stop may take (the turn finishes, the journal is flushed).
const STOP_WITHIN: Duration = Duration::from_secs(5);

struct Running {
    handle: HubHandle,
    stop: Option<oneshot::Sender<()>>,
    task: HubTask,
    /// The app's webhook deliveries: sent by this node while it owns the app.
    deliveries: tokio::task::JoinHandle<()>,
    stop_deliveries: tokio::sync::watch::Sender<bool>,
}

/// The app hubs that run on this node, by app (shared with the request handlers).
#[derive(Clone, Default)]
pub struct AppHubRegistry(Arc<Mutex<BTreeMap<String, Running>>>);

impl AppHubRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Running>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The hub of `app`, when it runs here.
    pub fn hub(&self, app: &str) -> Option<HubHandle> {
        self.lock().get(app).filter(|r| !r.task.is_finished()).map(|r| r.handle.clone())
    }

    /// The apps whose hubs run here.
    pub fn apps(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Ends every hub at once, as the process dying would (nothing flushed).
    pub fn abort_all(&self) {
        for (_, mut r) in std::mem::take(&mut *self.lock()) {
            r.deliveries.abort();
            r.task.abort();
        }
    }
}

/// Starts and stops app hubs on a tokio runtime.
pub struct AppHubs {
    url: String,
    config: Arc<Config>,
    runtime: tokio::runtime::Handle,
    registry: AppHubRegistry,
    /// The node's figures, shared by its app hubs (None: each hub its own).
    metrics: Option<crate::metrics::SharedMetrics>,
}

impl AppHubs {
    /// App hubs connecting to `url`, spawned on `runtime`.
    pub fn new(url: &str, config: Arc<Config>, runtime: tokio::runtime::Handle) -> AppHubs {
        AppHubs { url: url.into(), config, runtime, registry: AppHubRegistry::default(), metrics: None }
    }

    /// The app hubs count their turns, commits and webhooks in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::SharedMetrics) -> AppHubs {
        self.metrics = Some(metrics);
        self
    }

    /// The registry the request handlers look hubs up in.
    pub fn registry(&self) -> AppHubRegistry {
        self.registry.clone()
    }

    /// The app's hub, restored from its journal and ready to serve.
    fn prepare(&self, lease: &Lease) -> Result<Hub, String> {
        let app = lease.app.as_str();
        let pg = Arc::new(Pg::connect(&self.url).map_err(|e| e.to_string())?);
        let secret = apps::secret(&pg, app).map_err(|e| e.to_string())?.ok_or_else(|| format!("no app {app}"))?;
        let demo = app == crate::DEMO_APP && apps::is_seeded_demo(&pg, app).map_err(|e| e.to_string())?;
        let mut journal = PgJournal::new(pg, lease.clone());
        let bad = |e: journal::JournalError| format!("cannot recover app {app}: {e}");
        let journal::Restored { engine, last_seq, snapshot_seq, fresh, .. } =
            journal::restore(&mut journal).map_err(bad)?;
        let record = AppRecord {
            md5_secret: crate::auth::md5_hex(&secret),
            secret,
            record_calls: false,
            record_on_demand: false,
        };
        let apps = FxHashMap::from_iter([(app.to_owned(), record)]);
        // The node's own rows for the app and its queues (administration reads them);
        // the queues' creation times are not kept across owners.
        let store = Store::open_memory()?;
        let now = crate::clock::now().as_millis();
        let settings = engine.app_settings(app).cloned().unwrap_or_default();
        let row = AppRow { id: app.into(), secret: apps[app].secret.clone(), settings };
        let local = |e: rusqlite::Error| format!("cannot prepare app {app}: {e}");
        store.insert_app(&row, now).map_err(local)?;
        for q in engine.queues(app) {
            store.insert_queue(app, q.queue, &q.def, now).map_err(local)?;
        }
        // The webhook subscriptions and outbox as the last owner left them.
        crate::store::mirror::load(store.conn(), &journal.rows().map_err(bad)?).map_err(local)?;
        crate::store::mirror::track(store.conn()).map_err(local)?;
        let mut hub = Hub::new(engine, store, self.config.clone(), apps, last_seq, snapshot_seq);
        if let Some(metrics) = &self.metrics {
            hub.metrics = metrics.clone();
        }
        hub.demo_tokens = demo;
        hub.webhooks = crate::webhooks::Webhooks::load(hub.store.conn())?;
        hub.tokens = ResumeTokens::load(&mut journal).map_err(bad)?;
        hub.use_cluster_journal(Box::new(journal));
        hub.begin();
        let started = if fresh {
            hub.input(Input::PutApp { app: app.into(), settings: AppSettings::default() })
        } else {
            hub.input(Input::ServerRestarted)
        };
        started.map_err(|e| format!("cannot start app {app}: {e}"))?;
        if fresh && demo {
            crate::seed_demo_queues(&mut hub).map_err(|e| format!("cannot create the demo queues: {e}"))?;
        }
        // Tokens of sessions that did not survive (ended while the app was elsewhere).
        hub.retain_live_tokens().map_err(bad)?;
        hub.end_restore().map_err(bad)?;
        Ok(hub)
    }
}

impl AppRunner for AppHubs {
    fn start(&mut self, lease: &Lease) -> Result<(), String> {
        let hub = self.prepare(lease)?;
        let (stop, stopped) = oneshot::channel();
        let _runtime = self.runtime.enter();
        let wake = hub.webhook_wake.clone();
        // Thread names are at most 15 bytes on Linux: the app's name may be cut.
        let (handle, task) = hub.spawn(&format!("app-{}", lease.app), stopped)?;
        let (stop_deliveries, deliveries_stopped) = tokio::sync::watch::channel(false);
        let outbox = crate::webhook_delivery::Outbox::in_hub();
        let deliveries = tokio::spawn(crate::webhook_delivery::run(
            handle.clone(),
            outbox,
            wake,
            self.config.clone(),
            deliveries_stopped,
        ));
        let running = Running { handle, stop: Some(stop), task, deliveries, stop_deliveries };
        self.registry.lock().insert(lease.app.clone(), running);
        Ok(())
    }

    fn stop(&mut self, app: &str, graceful: bool) {
        let Some(mut running) = self.registry.lock().remove(app) else { return };
        if !graceful {
            running.deliveries.abort();
            running.task.abort();
            return;
        }
        // Deliveries first (what they finished is recorded through the hub), then the hub.
        let _ = running.stop_deliveries.send(true);
        let mut deliveries = running.deliveries;
        if self.runtime.block_on(async { tokio::time::timeout(STOP_WITHIN, &mut deliveries).await }).is_err() {
            deliveries.abort();
        }
        if let Some(stop) = running.stop.take() {
            let _ = stop.send(());
        }
        let task = running.task;
        let _ = self.runtime.block_on(async { tokio::time::timeout(STOP_WITHIN, task).await });
    }

    fn alive(&self, app: &str) -> bool {
        self.registry.lock().get(app).is_some_and(|r| !r.task.is_finished())
    }
}
