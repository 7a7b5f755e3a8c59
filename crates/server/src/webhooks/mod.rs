//! Webhooks to business systems, delivered without loss.
//!
//! A business event becomes outbox rows in the same hub step that produced it (stored
//! before anything is acknowledged); the delivery worker sends them at least once, in
//! order per subscription, retrying with exponential backoff up to the horizon, then
//! parks them as dead (visible and re-sendable over REST). Delivery runs apart from the
//! hub, so a slow or dead receiver delays nothing else.
//!
//! - `store`: subscriptions and the outbox in SQLite.
//! - `format`: the payload of each family (seeds 000, 001, 003, 004).
//! - `deliver`: the worker: HTTP with event id and HMAC signature, backoff, dead letters.

pub mod deliver;
pub mod format;
pub mod store;

use lineup_engine::{AgentStatus, Event, EventKind};
use rusqlite::Connection;

use store::Hook;

/// The business-service kinds an app can check (AnyChat's "callback event types").
pub const BUSINESS_KINDS: &[&str] = &["queue_change", "acd_state", "call_event"];
/// Agent event types (seed 001).
pub const AGENT_EVENT_TYPES: &[&str] = &["agent-login", "agent-logout"];

/// The subscriptions, cached from the store.
#[derive(Default)]
pub struct Webhooks {
    pub hooks: Vec<Hook>,
}

impl Webhooks {
    pub fn load(conn: &Connection) -> Result<Webhooks, String> {
        Ok(Webhooks { hooks: store::hooks(conn).map_err(|e| format!("cannot read webhooks: {e}"))? })
    }

    /// Stores the deliveries an event calls for; returns how many.
    pub fn on_event(&self, conn: &Connection, event: &Event) -> rusqlite::Result<usize> {
        let app = &*event.app;
        let now = event.time.as_millis();
        let mut stored = 0;
        let business = |kind: &'static str| {
            self.hooks.iter().filter(move |h| {
                h.app == app && h.family == "business" && h.event_type.split(',').any(|k| k == kind)
            })
        };
        let json = "application/json";
        match &event.kind {
            EventKind::QueueChange { .. } => {
                if let Some(body) = format::queue_change(app, event.time, &event.kind) {
                    for h in business("queue_change") {
                        store::enqueue(conn, h, "queue_change", &h.url, json, &body, now)?;
                        stored += 1;
                    }
                }
            }
            EventKind::AcdState(t) => {
                let body = format::acd_state(app, t);
                for h in business("acd_state") {
                    store::enqueue(conn, h, "acd_state", &h.url, json, &body, now)?;
                    stored += 1;
                }
            }
            EventKind::Call(ev) => {
                let body = format::call_event(app, ev);
                for h in business("call_event") {
                    store::enqueue(conn, h, "call_event", &h.url, json, &body, now)?;
                    stored += 1;
                }
            }
            EventKind::AgentStatus { user_id, status, source, .. } => {
                let event_type = match status {
                    AgentStatus::Available => "agent-login",
                    AgentStatus::LoggedOut => "agent-logout",
                };
                let form = format::agent_event(user_id, *status, *source);
                for h in self.hooks.iter().filter(|h| {
                    h.app == app && h.family == "agent" && h.agent_id.as_deref() == Some(user_id.as_str()) && h.event_type == event_type
                }) {
                    let (url, body, ctype) = if h.method == "GET" {
                        let sep = if h.url.contains('?') { '&' } else { '?' };
                        (format!("{}{sep}{form}", h.url), String::new(), "")
                    } else {
                        (h.url.clone(), form.clone(), "application/x-www-form-urlencoded")
                    };
                    store::enqueue(conn, h, event_type, &url, ctype, &body, now)?;
                    stored += 1;
                }
            }
        }
        Ok(stored)
    }
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
