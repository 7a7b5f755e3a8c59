//! The delivery worker: sends stored deliveries over HTTP, one at a time per
//! subscription (so each receiver sees its events in order), with an event id and an
//! HMAC-SHA256 signature; any 2xx is success. Failures retry with exponential backoff
//! until the horizon, then the delivery is dead.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::Mac;
use tokio::sync::{watch, Notify};

use super::store::{self, Delivery};
use crate::config::Config;
use crate::hub::now;
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

/// The worker's own connection to the store: it never waits for the hub, and the hub
/// never waits for it (WAL: readers do not block; its short writes queue behind the
/// hub's turn for at most `busy_timeout`).
pub struct Outbox {
    conn: Connection,
    config: Arc<Config>,
    secrets: HashMap<String, String>,
}

impl Outbox {
    pub fn open(config: Arc<Config>) -> Result<Outbox, String> {
        let path = config.data_dir.join("lineup.sqlite3");
        let conn = Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
        conn.execute_batch("PRAGMA synchronous=FULL;").map_err(|e| e.to_string())?;
        Ok(Outbox { conn, config, secrets: HashMap::new() })
    }

    /// Deliveries due now (the oldest pending of each subscription not in flight), and
    /// when the next one falls due.
    pub fn due(&mut self, in_flight: &HashSet<i64>) -> (Vec<Due>, Option<u64>) {
        let now_ms = now().as_millis();
        let heads = store::heads(&self.conn).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the webhook outbox");
            Vec::new()
        });
        let mut next = None::<u64>;
        let mut due = Vec::new();
        for d in heads.into_iter().filter(|d| !in_flight.contains(&d.hook)) {
            if d.next_attempt_ms <= now_ms {
                if !self.secrets.contains_key(&d.app) {
                    self.secrets = store::secrets(&self.conn).unwrap_or_default();
                }
                let secret = self.secrets.get(&d.app).cloned().unwrap_or_default();
                due.push(Due { delivery: d, secret });
            } else {
                next = Some(next.map_or(d.next_attempt_ms, |n| n.min(d.next_attempt_ms)));
            }
        }
        (due, next)
    }

    /// Records finished sends in one transaction.
    pub fn record(&mut self, results: Vec<(Delivery, Result<(), String>)>) {
        if results.is_empty() {
            return;
        }
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "cannot record webhook deliveries");
            return;
        }
        for (d, result) in results {
            self.result(&d, result);
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            tracing::error!(error = %e, "cannot record webhook deliveries");
        }
    }

    /// Records how a delivery went: delivered, retry later, or dead past the horizon.
    pub fn result(&self, d: &Delivery, result: Result<(), String>) {
        let c = &self.conn;
        let now_ms = now().as_millis();
        let written = match result {
            Ok(()) => store::mark_delivered(c, d.id, now_ms),
            Err(e) => {
                let cfg = &self.config;
                let backoff = cfg.webhook_backoff_ms.saturating_mul(1u64 << d.attempts.min(20)).min(600_000);
                let horizon = d.created_ms + cfg.webhook_horizon_s * 1000;
                let next = (now_ms + backoff < horizon).then_some(now_ms + backoff);
                if next.is_none() {
                    tracing::warn!(delivery = d.id, url = %d.url, error = %e, "webhook delivery is dead");
                }
                store::mark_failed(c, d.id, &e, next, now_ms)
            }
        };
        if let Err(e) = written {
            tracing::error!(error = %e, "cannot record a webhook delivery");
        }
    }

    /// Forgets delivered rows older than the retention (a batch at a time).
    pub fn prune(&self) {
        let before = now().as_millis().saturating_sub(self.config.webhook_retention_s.saturating_mul(1000));
        match store::prune_delivered(&self.conn, before, 10_000) {
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
pub async fn run(outbox: Outbox, wake: Arc<Notify>, config: Arc<Config>, mut shutdown: watch::Receiver<bool>) {
    let policy = super::addr::Policy { allow: Arc::new(config.webhook_allow.clone()) };
    let client = reqwest::Client::builder()
        .dns_resolver(Arc::new(super::addr::CheckedResolver(policy.clone())))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let outbox = Arc::new(Mutex::new(outbox));
    let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
    // Finished sends, recorded together (one transaction) on the next round.
    let finished: Arc<Mutex<Vec<(Delivery, Result<(), String>)>>> = Arc::default();
    let timeout = Duration::from_secs(config.webhook_timeout_s);
    let mut pruned_at = std::time::Instant::now();
    loop {
        let busy = in_flight.lock().expect("not poisoned").clone();
        let results = std::mem::take(&mut *finished.lock().expect("not poisoned"));
        let prune = pruned_at.elapsed() > Duration::from_secs(60);
        if prune {
            pruned_at = std::time::Instant::now();
        }
        let ob = outbox.clone();
        let round = tokio::task::spawn_blocking(move || {
            let mut ob = ob.lock().expect("not poisoned");
            ob.record(results);
            if prune {
                ob.prune();
            }
            ob.due(&busy)
        })
        .await;
        let Ok((due, next)) = round else { return };
        for d in due {
            in_flight.lock().expect("not poisoned").insert(d.delivery.hook);
            let (client, in_flight, wake, finished) = (client.clone(), in_flight.clone(), wake.clone(), finished.clone());
            let policy = policy.clone();
            tokio::spawn(async move {
                // An address in the URL is checked here; a name, by the resolver.
                let result = match policy.check_url_host(&d.delivery.url) {
                    Ok(()) => send(&client, &d, timeout).await,
                    Err(refused) => Err(refused),
                };
                let hook = d.delivery.hook;
                finished.lock().expect("not poisoned").push((d.delivery, result));
                in_flight.lock().expect("not poisoned").remove(&hook);
                wake.notify_one();
            });
        }
        let wait = next.map_or(Duration::from_secs(5), |n| Duration::from_millis(n.saturating_sub(now().as_millis()).max(1)));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {
                // Record what finished; what is still in flight is sent again after
                // the restart (at least once).
                let results = std::mem::take(&mut *finished.lock().expect("not poisoned"));
                let ob = outbox.clone();
                let _ = tokio::task::spawn_blocking(move || ob.lock().expect("not poisoned").record(results)).await;
                return;
            }
        }
    }
}
