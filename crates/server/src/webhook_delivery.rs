//! The delivery worker: sends stored deliveries over HTTP, one at a time per
//! subscription (so each receiver sees its events in order), with an event id and an
//! HMAC-SHA256 signature; any 2xx is success. Failures retry with exponential backoff
//! until the horizon, then the delivery is dead.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::Mac;
use tokio::sync::{watch, Notify};

use crate::clock::now;
use crate::config::Config;
use crate::hub::{Hub, HubHandle};
use crate::webhooks::store::{self, Delivery};
use rusqlite::Connection;

/// The signature header's value: `sha256=<hex HMAC of the body, or of the query for GET>`.
pub fn signature(secret: &str, signed: &str) -> String {
    let mut mac = crate::auth::hmac_sha256(secret);
    mac.update(signed.as_bytes());
    format!("sha256={}", crate::auth::hex(&mac.finalize().into_bytes()))
}

/// What the worker needs of one due delivery.
pub struct Due {
    pub delivery: Delivery,
    pub secret: String,
}

/// Where the worker reads the outbox: its own connection to the store, for reading
/// only, so that it never waits for the hub and the hub never waits for it (WAL); or,
/// for a cluster node's app hub (whose store is in memory), the hub's store, read in a
/// hub job. What happened to each delivery is written back through the hub, in
/// batches, inside the hub's own turns (group commit).
pub struct Outbox {
    conn: Option<Connection>,
    secrets: HashMap<String, String>,
}

/// Deliveries a lane sends in one go (one subscription, in order).
const LANE: u32 = 256;

impl Outbox {
    pub fn open(config: &Config) -> Result<Outbox, String> {
        let path = config.data_dir.join("lineup.sqlite3");
        let conn = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(Outbox { conn: Some(conn), secrets: HashMap::new() })
    }

    /// The outbox of an app hub's store, read through the hub.
    pub fn in_hub() -> Outbox {
        Outbox { conn: None, secrets: HashMap::new() }
    }

    /// [`lanes`] from the worker's own connection.
    pub fn lanes(&mut self, in_flight: &HashSet<i64>) -> (Vec<Vec<Due>>, Option<u64>) {
        match &self.conn {
            Some(conn) => lanes(conn, &mut self.secrets, in_flight),
            None => (Vec::new(), None),
        }
    }
}

/// For each subscription not in flight whose oldest pending delivery is due: that
/// delivery and the pending ones after it (a lane); and when the next one falls due.
pub fn lanes(
    conn: &Connection,
    secrets: &mut HashMap<String, String>,
    in_flight: &HashSet<i64>,
) -> (Vec<Vec<Due>>, Option<u64>) {
    {
        let now_ms = now().as_millis();
        let heads = store::heads(conn).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the webhook outbox");
            Vec::new()
        });
        let mut next = None::<u64>;
        let mut lanes = Vec::new();
        for head in heads.into_iter().filter(|d| !in_flight.contains(&d.hook)) {
            if head.next_attempt_ms > now_ms {
                next = Some(next.map_or(head.next_attempt_ms, |n| n.min(head.next_attempt_ms)));
                continue;
            }
            let batch = store::pending_of(conn, head.hook, head.id, LANE).unwrap_or_else(|_| vec![head.clone()]);
            let mut lane = Vec::with_capacity(batch.len());
            for d in batch.into_iter().take_while(|d| d.next_attempt_ms <= now_ms) {
                if !secrets.contains_key(&d.app) {
                    *secrets = store::secrets(conn).unwrap_or_default();
                }
                let secret = secrets.get(&d.app).cloned().unwrap_or_default();
                lane.push(Due { delivery: d, secret });
            }
            lanes.push(lane);
        }
        (lanes, next)
    }
}

impl Hub {
    /// Records what the delivery lanes did (in this turn's transaction).
    pub fn webhook_results(&mut self, results: Vec<(Delivery, Result<(), String>)>) {
        let now_ms = now().as_millis();
        for (d, result) in results {
            let c = self.store.conn();
            let written = match result {
                Ok(()) => {
                    self.metrics.webhooks_delivered.inc();
                    self.metrics.webhook_lag_seconds.observe(now_ms.saturating_sub(d.created_ms) as f64 / 1000.0);
                    store::mark_delivered(c, d.id, now_ms)
                }
                Err(e) => {
                    let cfg = &self.config;
                    let backoff = cfg.webhook_backoff_ms.saturating_mul(1u64 << d.attempts.min(20)).min(600_000);
                    let horizon = d.created_ms + cfg.webhook_horizon_s * 1000;
                    let next = (now_ms + backoff < horizon).then_some(now_ms + backoff);
                    if next.is_none() {
                        self.metrics.webhooks_dead.inc();
                        tracing::warn!(delivery = d.id, url = %d.url, error = %e, "webhook delivery is dead");
                    } else {
                        self.metrics.webhooks_failed.inc();
                    }
                    store::mark_failed(c, d.id, &e, next, now_ms)
                }
            };
            if let Err(e) = written {
                tracing::error!(error = %e, "cannot record a webhook delivery");
            }
        }
    }

    /// Forgets delivered rows older than the retention (a batch at a time).
    pub fn prune_webhooks(&mut self) {
        let before = now().as_millis().saturating_sub(self.config.webhook_retention_s.saturating_mul(1000));
        match store::prune_delivered(self.store.conn(), before, 10_000) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "pruned delivered webhooks"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the webhook outbox"),
        }
    }
}

/// Sends one delivery.
async fn send(client: &reqwest::Client, due: &Due, timeout: Duration) -> Result<(), String> {
    let d = &due.delivery;
    let signed = if d.method == "GET" { d.url.split_once('?').map_or("", |(_, q)| q) } else { d.body.as_str() };
    let mut req = match d.method.as_str() {
        "GET" => client.get(&d.url),
        _ => client.post(&d.url).body(d.body.clone()),
    };
    if !d.content_type.is_empty() {
        req = req.header("Content-Type", &d.content_type);
    }
    let resp = req
        .header("X-Lineup-Event-Id", format!("evt-{}", d.id))
        .header("X-Lineup-Event", &d.kind)
        .header("X-Lineup-Signature", signature(&due.secret, signed))
        .header("User-Agent", "lineup-webhooks/1")
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                return "timed out".to_string();
            }
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            match why.find("refused: ") {
                Some(at) => why[at..].to_string(),
                None => format!("cannot deliver: {why}"),
            }
        })?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", status.as_u16()))
    }
}

/// Runs until shutdown: picks due deliveries, sends each on its own task.
pub async fn run(
    hub: HubHandle,
    outbox: Outbox,
    wake: Arc<Notify>,
    config: Arc<Config>,
    mut shutdown: watch::Receiver<bool>,
) {
    let policy = crate::webhooks::addr::Policy { allow: Arc::new(config.webhook_allow.clone()) };
    let client = reqwest::Client::builder()
        .dns_resolver(Arc::new(crate::webhooks::addr::CheckedResolver {
            policy: policy.clone(),
            hosts: Arc::new(config.webhook_hosts.clone()),
        }))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let in_hub = outbox.conn.is_none();
    let outbox = Arc::new(Mutex::new(outbox));
    // Subscriptions with a lane out (or results not yet recorded): at most one each.
    let mut in_flight: HashSet<i64> = HashSet::new();
    // Lanes that finished: their subscription and what happened to each delivery.
    let finished: Arc<Mutex<Vec<(i64, Vec<(Delivery, Result<(), String>)>)>>> = Arc::default();
    let timeout = Duration::from_secs(config.webhook_timeout_s);
    let mut pruned_at = std::time::Instant::now();
    loop {
        // Record finished lanes through the hub; only then may their subscriptions go on
        // (so nothing already sent is read as pending again).
        let done = std::mem::take(&mut *finished.lock().expect("not poisoned"));
        if !done.is_empty() {
            let hooks: Vec<i64> = done.iter().map(|(h, _)| *h).collect();
            let results: Vec<_> = done.into_iter().flat_map(|(_, r)| r).collect();
            if hub.call(move |h| h.webhook_results(results)).await.is_err() {
                return;
            }
            for h in hooks {
                in_flight.remove(&h);
            }
        }
        if pruned_at.elapsed() > Duration::from_secs(60) {
            pruned_at = std::time::Instant::now();
            if hub.call(|h| h.prune_webhooks()).await.is_err() {
                return;
            }
        }
        let busy = in_flight.clone();
        let (lanes, next) = if in_hub {
            let Ok(found) = hub.call(move |h| lanes(h.store.conn(), &mut HashMap::new(), &busy)).await else { return };
            found
        } else {
            let ob = outbox.clone();
            let Ok(found) = tokio::task::spawn_blocking(move || ob.lock().expect("not poisoned").lanes(&busy)).await
            else {
                return;
            };
            found
        };
        for lane in lanes.into_iter().filter(|l| !l.is_empty()) {
            let hook = lane[0].delivery.hook;
            in_flight.insert(hook);
            let (client, wake, finished, policy) = (client.clone(), wake.clone(), finished.clone(), policy.clone());
            tokio::spawn(async move {
                let mut results = Vec::with_capacity(lane.len());
                for d in lane {
                    // An address in the URL is checked here; a name, by the resolver.
                    let result = match policy.check_url_host(&d.delivery.url) {
                        Ok(()) => send(&client, &d, timeout).await,
                        Err(refused) => Err(refused),
                    };
                    let failed = result.is_err();
                    results.push((d.delivery, result));
                    if failed {
                        break; // the rest wait for this one's retry: in order
                    }
                }
                finished.lock().expect("not poisoned").push((hook, results));
                wake.notify_one();
            });
        }
        let wait =
            next.map_or(Duration::from_secs(5), |n| Duration::from_millis(n.saturating_sub(now().as_millis()).max(1)));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {
                // Record what finished; a lane still out is sent again after the
                // restart (at least once).
                let results: Vec<_> = std::mem::take(&mut *finished.lock().expect("not poisoned")).into_iter().flat_map(|(_, r)| r).collect();
                let _ = hub.call(move |h| h.webhook_results(results)).await;
                return;
            }
        }
    }
}
