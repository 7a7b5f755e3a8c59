//! `/metrics`: Prometheus (OpenMetrics text) figures of the queues and of the server.
//!
//! Two kinds of figures:
//! - counted as they happen, outside the engine ([`Metrics`]): WebSocket frames and
//!   bytes, hub turn time, journal commit latency, webhook delivery lag and outcomes;
//! - read at scrape time from the hub ([`Monitor`]): per app and queue the waiting
//!   customers, agents by state, the engine's queue counters, offer outcomes and the
//!   wait and talk time distributions; sessions by activity; the webhook backlog.
//!
//! Labels are bounded: `app` and `queue` (ids the operator created), and fixed sets
//! (`direction`, `state`, `outcome`, `activity`, `result`). No user ids.

use std::fmt::Write as _;
use std::sync::Arc;

use lineup_engine::{Distribution, QueueMonitor, SessionActivity, TALK_BUCKETS_S, WAIT_BUCKETS_S};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

type Label = [(&'static str, &'static str); 1];

/// The figures counted as they happen. Cheap to update from any task.
#[derive(Debug)]
pub struct Metrics {
    ws_frames: Family<Label, Counter>,
    ws_bytes: Family<Label, Counter>,
    pub frames_in: Counter,
    pub frames_out: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    /// One hub turn: from taking its first job to its frames released.
    pub turn_seconds: Histogram,
    /// One journal commit (`COMMIT` with `synchronous=FULL`).
    pub commit_seconds: Histogram,
    /// From an event's delivery row being written to its receiver answering 2xx.
    pub webhook_lag_seconds: Histogram,
    webhook_attempts: Family<Label, Counter>,
    pub webhooks_delivered: Counter,
    pub webhooks_failed: Counter,
    pub webhooks_dead: Counter,
    pub started: std::time::Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        let ws_frames = Family::<Label, Counter>::default();
        let ws_bytes = Family::<Label, Counter>::default();
        let webhook_attempts = Family::<Label, Counter>::default();
        let one = |f: &Family<Label, Counter>, label: Label| -> Counter { f.get_or_create(&label).clone() };
        Metrics {
            frames_in: one(&ws_frames, [("direction", "in")]),
            frames_out: one(&ws_frames, [("direction", "out")]),
            bytes_in: one(&ws_bytes, [("direction", "in")]),
            bytes_out: one(&ws_bytes, [("direction", "out")]),
            webhooks_delivered: one(&webhook_attempts, [("result", "delivered")]),
            webhooks_failed: one(&webhook_attempts, [("result", "failed")]),
            webhooks_dead: one(&webhook_attempts, [("result", "dead")]),
            ws_frames,
            ws_bytes,
            // 50 µs … ~1.6 s
            turn_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            commit_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            // 1 ms … ~65 s
            webhook_lag_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 17)),
            webhook_attempts,
            started: std::time::Instant::now(),
        }
    }
}

/// What the hub reports at scrape time.
#[derive(Debug, Default)]
pub struct Monitor {
    /// (app, queue figures), by app then queue id.
    pub queues: Vec<(String, QueueMonitor)>,
    pub apps: usize,
    pub sessions: SessionActivity,
    pub journal_step: u64,
    /// Webhook deliveries by status: pending, dead.
    pub webhooks_pending: u64,
    pub webhooks_dead: u64,
}

impl Monitor {
    /// Adds another hub's figures (a cluster node's app hubs; the journal step is the
    /// sum of the apps' steps).
    pub fn merge(&mut self, other: Monitor) {
        self.queues.extend(other.queues);
        self.apps += other.apps;
        for (mine, theirs) in [
            (&mut self.sessions.agents, other.sessions.agents),
            (&mut self.sessions.customers, other.sessions.customers),
            (&mut self.sessions.others, other.sessions.others),
        ] {
            mine[0] += theirs[0];
            mine[1] += theirs[1];
        }
        self.journal_step += other.journal_step;
        self.webhooks_pending += other.webhooks_pending;
        self.webhooks_dead += other.webhooks_dead;
    }
}

/// The scrape-time figures plus the hub's queue depth, as a collector.
#[derive(Debug)]
struct Scrape {
    monitor: Monitor,
    hub_queue: u64,
    rss_bytes: Option<u64>,
}

fn counter(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl IntoIterator<Item = (Vec<(&'static str, String)>, u64)>,
) -> std::fmt::Result {
    let mut m = e.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in rows {
        ConstCounter::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

/// A gauge without labels.
fn single(e: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> std::fmt::Result {
    ConstGauge::new(v).encode(e.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

fn gauge(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl IntoIterator<Item = (Vec<(&'static str, String)>, f64)>,
) -> std::fmt::Result {
    let mut m = e.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, v) in rows {
        ConstGauge::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn histogram(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    bounds: &[f64; 10],
    rows: impl IntoIterator<Item = (Vec<(&'static str, String)>, Distribution)>,
) -> std::fmt::Result {
    let mut m = e.encode_descriptor(name, help, None, MetricType::Histogram)?;
    for (labels, d) in rows {
        let buckets: Vec<(f64, u64)> = bounds.iter().copied().chain([f64::MAX]).zip(d.counts).collect();
        m.encode_family(&labels)?
            .encode_histogram::<prometheus_client::encoding::NoLabelSet>(d.sum_s, d.count, &buckets, None)?;
    }
    Ok(())
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> std::fmt::Result {
        let m = &self.monitor;
        let q = |app: &str, qm: &QueueMonitor| vec![("app", app.to_string()), ("queue", qm.stats.queue.0.to_string())];
        let per_queue = |f: fn(&QueueMonitor) -> u64| m.queues.iter().map(move |(app, qm)| (q(app, qm), f(qm)));
        let per_queue_f = |f: fn(&QueueMonitor) -> f64| m.queues.iter().map(move |(app, qm)| (q(app, qm), f(qm)));

        gauge(
            &mut e,
            "lineup_queue_waiting_customers",
            "Customers queuing (waiting or being offered)",
            per_queue_f(|x| x.stats.waiting.into()),
        )?;
        gauge(
            &mut e,
            "lineup_queue_in_service_customers",
            "Customers of the queue being served",
            per_queue_f(|x| x.stats.in_service.into()),
        )?;
        gauge(
            &mut e,
            "lineup_queue_longest_wait_seconds",
            "Wait of the customer queuing longest now",
            per_queue_f(|x| x.stats.longest_waiting_s as f64),
        )?;
        gauge(
            &mut e,
            "lineup_queue_service_level_ratio",
            "Share of served customers taken within the service-level threshold",
            per_queue_f(|x| x.stats.service_level),
        )?;
        let agents = m.queues.iter().flat_map(|(app, qm)| {
            let s = &qm.stats;
            let other = s.agents_logged_in.saturating_sub(s.agents_available + s.agents_busy + qm.agents_dnd);
            [("available", s.agents_available), ("busy", s.agents_busy), ("dnd", qm.agents_dnd), ("other", other)].map(
                |(state, n)| {
                    let mut l = q(app, qm);
                    l.push(("state", state.to_string()));
                    (l, f64::from(n))
                },
            )
        });
        gauge(&mut e, "lineup_queue_agents", "Agents serving the queue by state: available (would get an offer now), busy (serving), dnd (manual mode), other (offline and held, answering an offer, or wrapping up)", agents)?;
        counter(
            &mut e,
            "lineup_queue_customers_entered",
            "Customers who started queuing",
            per_queue(|x| x.stats.entered),
        )?;
        counter(&mut e, "lineup_queue_customers_served", "Customers taken by an agent", per_queue(|x| x.stats.served))?;
        counter(
            &mut e,
            "lineup_queue_customers_abandoned",
            "Customers who left before being served",
            per_queue(|x| x.stats.abandoned),
        )?;
        counter(
            &mut e,
            "lineup_queue_customers_timed_out",
            "Customers who left after the queue's maximum wait",
            per_queue(|x| x.stats.timed_out),
        )?;
        counter(
            &mut e,
            "lineup_queue_customers_forwarded",
            "Customers moved to another queue",
            per_queue(|x| x.stats.forwarded),
        )?;
        counter(
            &mut e,
            "lineup_queue_offers_made",
            "Offers made to agents (AutoAssignUser)",
            per_queue(|x| x.live.offers_made),
        )?;
        let offers = m.queues.iter().flat_map(|(app, qm)| {
            let l = &qm.live;
            [
                ("accepted", l.offers_accepted),
                ("rejected", l.offers_rejected),
                ("timed_out", l.offers_timed_out),
                ("withdrawn", l.offers_withdrawn),
            ]
            .map(|(outcome, n)| {
                let mut labels = q(app, qm);
                labels.push(("outcome", outcome.to_string()));
                (labels, n)
            })
        });
        counter(&mut e, "lineup_queue_offers_ended", "Offers ended by outcome", offers)?;
        histogram(
            &mut e,
            "lineup_queue_wait_seconds",
            "Waits of served customers",
            &WAIT_BUCKETS_S,
            m.queues.iter().map(|(app, qm)| (q(app, qm), qm.live.wait.clone())),
        )?;
        histogram(
            &mut e,
            "lineup_queue_talk_seconds",
            "Durations of ended services (taken to finished)",
            &TALK_BUCKETS_S,
            m.queues.iter().map(|(app, qm)| (q(app, qm), qm.live.talk.clone())),
        )?;

        let s = &m.sessions;
        let sessions = [("agent", s.agents), ("customer", s.customers), ("other", s.others)].into_iter().flat_map(
            |(activity, n)| {
                [("online", n[0]), ("held", n[1])].map(|(state, v)| {
                    (vec![("activity", activity.to_string()), ("state", state.to_string())], v as f64)
                })
            },
        );
        gauge(&mut e, "lineup_sessions", "Live sessions by activity (agent: serves queues; customer: queuing or served; other) and state (online, or held offline for resume)", sessions)?;
        single(&mut e, "lineup_apps", "Apps on this server", m.apps as f64)?;
        single(&mut e, "lineup_journal_step", "The last journaled engine step", m.journal_step as f64)?;
        single(&mut e, "lineup_hub_queue_depth", "Jobs waiting for the hub", self.hub_queue as f64)?;
        single(
            &mut e,
            "lineup_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered",
            m.webhooks_pending as f64,
        )?;
        single(
            &mut e,
            "lineup_webhook_deliveries_dead",
            "Webhook deliveries given up (re-sendable over REST)",
            m.webhooks_dead as f64,
        )?;
        if let Some(rss) = self.rss_bytes {
            single(&mut e, "process_resident_memory_bytes", "Resident memory of the server process", rss as f64)?;
        }
        Ok(())
    }
}

/// Resident memory from /proc (Linux); None elsewhere.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The whole `/metrics` text.
pub fn render(metrics: &Metrics, monitor: Monitor, hub_queue: u64) -> String {
    let mut registry = Registry::default();
    registry.register("lineup_ws_frames", "WebSocket text frames by direction", metrics.ws_frames.clone());
    registry.register("lineup_ws_bytes", "WebSocket text payload bytes by direction", metrics.ws_bytes.clone());
    registry.register(
        "lineup_hub_turn_seconds",
        "One hub turn: its jobs, the journal commit and the release of its frames",
        metrics.turn_seconds.clone(),
    );
    registry.register("lineup_journal_commit_seconds", "One journal commit", metrics.commit_seconds.clone());
    registry.register(
        "lineup_webhook_delivery_lag_seconds",
        "From an event being stored to its receiver answering 2xx",
        metrics.webhook_lag_seconds.clone(),
    );
    registry.register(
        "lineup_webhook_attempts",
        "Webhook delivery attempts by result (delivered, failed and retried, dead)",
        metrics.webhook_attempts.clone(),
    );
    registry.register_collector(Box::new(Scrape { monitor, hub_queue, rss_bytes: rss_bytes() }));
    let mut out = String::new();
    let _ = writeln!(out, "# HELP lineup_build_info Version of the running server.");
    let _ = writeln!(out, "# TYPE lineup_build_info gauge");
    let _ = writeln!(out, "lineup_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "# HELP lineup_uptime_seconds Seconds since the server started.");
    let _ = writeln!(out, "# TYPE lineup_uptime_seconds gauge");
    let _ = writeln!(out, "lineup_uptime_seconds {}", metrics.started.elapsed().as_secs());
    if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
        out.push_str("# EOF\n");
    }
    out
}

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Shared handle.
pub type SharedMetrics = Arc<Metrics>;
