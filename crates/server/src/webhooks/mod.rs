//! Webhooks to business systems, delivered without loss.
//!
//! A business event becomes outbox rows in the same hub step that produced it (stored
//! before anything is acknowledged); the delivery worker sends them at least once, in
//! order per subscription, retrying with exponential backoff up to the horizon, then
//! parks them as dead (visible and re-sendable over REST). Delivery runs apart from the
//! hub, so a slow or dead receiver delays nothing else (the worker is
//! `crate::webhook_delivery`).
//!
//! - `store`: subscriptions and the outbox in SQLite.
//! - `format`: the payload of each family (seeds 000, 001, 003, 004).
//! - `addr`: which receiver addresses are allowed (no loopback, private or metadata
//!   addresses unless allowed), checked on save and on every delivery.

pub mod addr;
pub mod format;
pub mod store;

use lineup_engine::{AgentStatus, Event, EventKind};
use rusqlite::Connection;

use store::Hook;

/// The business-service kinds an app can check (AnyChat's "callback event types").
pub const BUSINESS_KINDS: &[&str] = &["queue_change", "acd_state", "call_event", "recording", "callback"];
/// Agent event types (seed 001).
pub const AGENT_EVENT_TYPES: &[&str] =
    &["agent-login", "agent-logout", "agent-ready", "agent-not-ready", "agent-no-answer"];

/// The subscriptions, cached from the store.
#[derive(Default)]
pub struct Webhooks {
    pub hooks: Vec<Hook>,
}

impl Webhooks {
    pub fn load(conn: &Connection) -> Result<Webhooks, String> {
        Ok(Webhooks { hooks: store::hooks(conn).map_err(|e| format!("cannot read webhooks: {e}"))? })
    }

    /// Stores the deliveries an event calls for; returns how many. A payload is built
    /// only when some hook wants the event (most events have none).
    pub fn on_event(&self, conn: &Connection, event: &Event) -> rusqlite::Result<usize> {
        let app = &*event.app;
        let now = event.time.as_millis();
        let kind = match &event.kind {
            EventKind::AgentStatus { user_id, status, source, .. } => {
                let event_type = match status {
                    AgentStatus::Available => "agent-login",
                    AgentStatus::LoggedOut => "agent-logout",
                };
                let form = || format::agent_event(user_id, *status, *source);
                return self.on_agent_event(conn, app, now, user_id.as_str(), event_type, form);
            }
            EventKind::AgentReason { user_id, reason, label, source } => {
                let event_type = match *reason {
                    0 => "agent-ready",
                    lineup_engine::NO_ANSWER => "agent-no-answer",
                    _ => "agent-not-ready",
                };
                let form = || format::agent_reason_event(user_id, *reason, label, *source);
                return self.on_agent_event(conn, app, now, user_id.as_str(), event_type, form);
            }
            EventKind::QueueChange { .. } => "queue_change",
            EventKind::AcdState(_) => "acd_state",
            EventKind::Call(_) => "call_event",
            // Stored as report rows by the hub, not a webhook.
            EventKind::Interval(_) => return Ok(0),
            EventKind::Callback { .. } => "callback",
        };
        if business_hooks(&self.hooks, app, kind).next().is_none() {
            return Ok(0);
        }
        let body = match &event.kind {
            EventKind::AcdState(t) => format::acd_state(app, t),
            EventKind::Call(ev) => format::call_event(app, ev),
            EventKind::Callback { queue, user_id, number, agent, state } => {
                format::callback(app, event.time, *queue, user_id, number, agent.as_deref(), *state)
            }
            other => match format::queue_change(app, event.time, other) {
                Some(body) => body,
                None => return Ok(0),
            },
        };
        enqueue_business(conn, &self.hooks, app, kind, &body, now)
    }

    /// Seed 001's agent events: a form body (POST) or query string (GET) per subscription.
    fn on_agent_event(
        &self,
        conn: &Connection,
        app: &str,
        now: u64,
        user_id: &str,
        event_type: &str,
        form: impl FnOnce() -> String,
    ) -> rusqlite::Result<usize> {
        let mut hooks = self
            .hooks
            .iter()
            .filter(|h| {
                h.app == app
                    && h.family == "agent"
                    && h.agent_id.as_deref() == Some(user_id)
                    && h.event_type == event_type
            })
            .peekable();
        if hooks.peek().is_none() {
            return Ok(0);
        }
        let form = form();
        let mut stored = 0;
        for h in hooks {
            let (url, body, ctype) = if h.method == "GET" {
                let sep = if h.url.contains('?') { '&' } else { '?' };
                (format!("{}{sep}{form}", h.url), String::new(), "")
            } else {
                (h.url.clone(), form.clone(), "application/x-www-form-urlencoded")
            };
            store::enqueue(conn, h, event_type, &url, ctype, &body, now)?;
            stored += 1;
        }
        Ok(stored)
    }
}

/// The app's business subscriptions that checked `kind`.
fn business_hooks<'a>(hooks: &'a [Hook], app: &'a str, kind: &'a str) -> impl Iterator<Item = &'a Hook> + 'a {
    hooks.iter().filter(move |h| h.app == app && h.family == "business" && h.event_type.split(',').any(|k| k == kind))
}

/// Stores a business event's JSON `body` for each subscription of `app` that checked
/// `kind`; returns how many.
pub fn enqueue_business(
    conn: &Connection,
    hooks: &[Hook],
    app: &str,
    kind: &str,
    body: &str,
    now: u64,
) -> rusqlite::Result<usize> {
    let mut stored = 0;
    for h in business_hooks(hooks, app, kind) {
        store::enqueue(conn, h, kind, &h.url, "application/json", body, now)?;
        stored += 1;
    }
    Ok(stored)
}

/// Checks a webhook URL: http(s), a host, no spaces.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !url.contains(char::is_whitespace) && url.len() <= 2048 => {
            if url.contains('#') {
                return Err(format!("invalid url: '{url}' has a #fragment, which is never sent"));
            }
            Ok(())
        }
        _ => Err(format!("invalid url: '{url}' is not an http:// or https:// address")),
    }
}
