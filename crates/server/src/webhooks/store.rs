//! Webhook subscriptions and the durable outbox, in the server's SQLite file.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::store::StoreResult;

/// A subscription: the app's business service (`business`) or one agent's events
/// (`agent`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hook {
    pub id: i64,
    pub app: String,
    pub family: String,
    pub agent_id: Option<String>,
    /// business: comma-separated kinds (queue_change, acd_state, call_event, recording,
    /// callback);
    /// agent: agent-login or agent-logout.
    pub event_type: String,
    pub url: String,
    pub method: String,
}

/// One stored delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub hook: i64,
    pub app: String,
    pub kind: String,
    pub method: String,
    pub url: String,
    pub content_type: String,
    pub body: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_ms: u64,
    pub last_error: Option<String>,
    pub created_ms: u64,
    pub done_ms: Option<u64>,
}

fn hook(r: &Row) -> rusqlite::Result<Hook> {
    Ok(Hook {
        id: r.get(0)?,
        app: r.get(1)?,
        family: r.get(2)?,
        agent_id: r.get(3)?,
        event_type: r.get(4)?,
        url: r.get(5)?,
        method: r.get(6)?,
    })
}

const HOOK_COLS: &str = "id, app, family, agent_id, event_type, url, method";
const DELIVERY_COLS: &str =
    "id, hook, app, kind, method, url, content_type, body, status, attempts, next_attempt_ms, last_error, created_ms, done_ms";

fn delivery(r: &Row) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        hook: r.get(1)?,
        app: r.get(2)?,
        kind: r.get(3)?,
        method: r.get(4)?,
        url: r.get(5)?,
        content_type: r.get(6)?,
        body: r.get(7)?,
        status: r.get(8)?,
        attempts: r.get(9)?,
        next_attempt_ms: r.get::<_, i64>(10)? as u64,
        last_error: r.get(11)?,
        created_ms: r.get::<_, i64>(12)? as u64,
        done_ms: r.get::<_, Option<i64>>(13)?.map(|v| v as u64),
    })
}

pub fn hooks(c: &Connection) -> StoreResult<Vec<Hook>> {
    let mut stmt = c.prepare(&format!("SELECT {HOOK_COLS} FROM hooks ORDER BY id"))?;
    let rows = stmt.query_map([], hook)?;
    rows.collect()
}

pub fn insert_hook(c: &Connection, h: &Hook, now_ms: u64) -> StoreResult<i64> {
    c.execute(
        "INSERT INTO hooks (app, family, agent_id, event_type, url, method, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![h.app, h.family, h.agent_id, h.event_type, h.url, h.method, now_ms as i64],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn update_hook(c: &Connection, h: &Hook) -> StoreResult<()> {
    c.execute(
        "UPDATE hooks SET event_type = ?2, url = ?3, method = ?4 WHERE id = ?1",
        params![h.id, h.event_type, h.url, h.method],
    )?;
    Ok(())
}

/// Deletes a subscription; its deliveries still pending go dead ("subscription deleted").
pub fn delete_hook(c: &Connection, id: i64, now_ms: u64) -> StoreResult<()> {
    c.execute("DELETE FROM hooks WHERE id = ?1", [id])?;
    c.execute(
        "UPDATE outbox SET status = 'dead', last_error = 'subscription deleted', done_ms = ?2
         WHERE hook = ?1 AND status = 'pending'",
        params![id, now_ms as i64],
    )?;
    Ok(())
}

/// Stores a delivery to make; returns its id.
#[allow(clippy::too_many_arguments)]
pub fn enqueue(c: &Connection, hook: &Hook, kind: &str, url: &str, content_type: &str, body: &str, now_ms: u64) -> StoreResult<i64> {
    c.execute(
        "INSERT INTO outbox (hook, app, kind, method, url, content_type, body, status, next_attempt_ms, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8)",
        params![hook.id, hook.app, kind, hook.method, url, content_type, body, now_ms as i64],
    )?;
    Ok(c.last_insert_rowid())
}

/// For each subscription with pending deliveries, its oldest one (deliveries of one
/// subscription go out in order, one at a time): one index seek per subscription
/// (`outbox_pending` is on status, hook, id), whatever the backlog.
pub fn heads(c: &Connection) -> StoreResult<Vec<Delivery>> {
    let hooks: Vec<i64> = c.prepare_cached("SELECT id FROM hooks")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut head = c.prepare_cached(&format!(
        "SELECT {DELIVERY_COLS} FROM outbox WHERE status = 'pending' AND hook = ?1 ORDER BY id LIMIT 1"
    ))?;
    let mut out = Vec::new();
    for hook in hooks {
        if let Some(d) = head.query_row([hook], delivery).optional()? {
            out.push(d);
        }
    }
    out.sort_by_key(|d| d.id);
    Ok(out)
}

/// Up to `limit` pending deliveries of one subscription after its head, in order
/// (a lane sends them one after another).
pub fn pending_of(c: &Connection, hook: i64, from_id: i64, limit: u32) -> StoreResult<Vec<Delivery>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {DELIVERY_COLS} FROM outbox WHERE status = 'pending' AND hook = ?1 AND id >= ?2 ORDER BY id LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![hook, from_id, limit], delivery)?;
    rows.collect()
}

/// The app secrets (for signing), by app.
pub fn secrets(c: &Connection) -> StoreResult<std::collections::HashMap<String, String>> {
    c.prepare_cached("SELECT id, secret FROM apps")?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

/// Forgets delivered rows done before `before_ms`, at most `limit` at a time; how many.
pub fn prune_delivered(c: &Connection, before_ms: u64, limit: u32) -> StoreResult<usize> {
    c.execute(
        "DELETE FROM outbox WHERE id IN
           (SELECT id FROM outbox WHERE status = 'delivered' AND done_ms < ?1 ORDER BY id LIMIT ?2)",
        params![before_ms as i64, limit],
    )
}

pub fn mark_delivered(c: &Connection, id: i64, now_ms: u64) -> StoreResult<()> {
    c.execute(
        "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = NULL, done_ms = ?2 WHERE id = ?1",
        params![id, now_ms as i64],
    )?;
    Ok(())
}

pub fn mark_failed(c: &Connection, id: i64, error: &str, next_attempt_ms: Option<u64>, now_ms: u64) -> StoreResult<()> {
    match next_attempt_ms {
        Some(next) => c.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_ms = ?3 WHERE id = ?1",
            params![id, error, next as i64],
        )?,
        None => c.execute(
            "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?2, done_ms = ?3 WHERE id = ?1",
            params![id, error, now_ms as i64],
        )?,
    };
    Ok(())
}

/// A dead delivery goes back to pending (REST resend).
pub fn resend(c: &Connection, app: &str, id: i64, now_ms: u64) -> StoreResult<bool> {
    let n = c.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = ?3, created_ms = ?3, done_ms = NULL
         WHERE id = ?1 AND app = ?2 AND status = 'dead'",
        params![id, app, now_ms as i64],
    )?;
    Ok(n == 1)
}

pub fn delivery_by_id(c: &Connection, app: &str, id: i64) -> StoreResult<Option<Delivery>> {
    c.query_row(&format!("SELECT {DELIVERY_COLS} FROM outbox WHERE id = ?1 AND app = ?2"), params![id, app], delivery)
        .optional()
}

/// The app's deliveries, newest first, optionally of one status.
pub fn deliveries(c: &Connection, app: &str, status: Option<&str>, limit: u32) -> StoreResult<Vec<Delivery>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {DELIVERY_COLS} FROM outbox WHERE app = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![app, status, limit], delivery)?;
    rows.collect()
}

/// Deliveries still pending and those given up (dead), for monitoring.
pub fn backlog(c: &Connection) -> StoreResult<(u64, u64)> {
    let count = |status: &str| c.query_row("SELECT COUNT(*) FROM outbox WHERE status = ?1", [status], |r| r.get::<_, i64>(0));
    Ok((count("pending")? as u64, count("dead")? as u64))
}
