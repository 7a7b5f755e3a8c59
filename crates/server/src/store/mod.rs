//! The embedded store: apps and queues in a SQLite file, so they survive restarts; the
//! journal of live state ([`journal`]) and the webhook tables share its file.
//!
//! - [`journal`]: the journal in the same file (the single-node default).
//! - [`mirror`]: a cluster app hub's own tables (webhook subscriptions, outbox) noted
//!   as they change, to go into PostgreSQL with its journal turns.
//! - [`recordings`]: the recordings table (a single node's finished recordings).

pub mod journal;
pub mod mirror;
pub mod recordings;

use std::path::Path;
use std::sync::Arc;

use lineup_engine::{AppSettings, CustomerCalls, QueueDef, QueueId};
use rusqlite::{params, Connection, OptionalExtension};

/// A stored app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRow {
    pub id: String,
    pub secret: String,
    pub settings: AppSettings,
}

/// A stored queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    pub id: QueueId,
    pub app: String,
    pub def: QueueDef,
    pub created_ms: u64,
    pub updated_ms: u64,
}

/// How an app's calls may be recorded: each setting is a column of `apps`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Recording {
    /// `recordCalls`: every answered call.
    EveryCall,
    /// `recordOnDemand`: when a party asks (CreateCloudMixer).
    OnDemand,
}

impl Recording {
    fn column(self) -> &'static str {
        match self {
            Recording::EveryCall => "record_calls",
            Recording::OnDemand => "record_on_demand",
        }
    }
}

/// The SQLite database.
pub struct Store {
    conn: Connection,
}

pub type StoreResult<T> = Result<T, rusqlite::Error>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS apps (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    hold_s INTEGER NOT NULL,
    offer_timeout_s INTEGER NOT NULL,
    notice_interval_ms INTEGER NOT NULL,
    service_level_s INTEGER NOT NULL,
    reoffer_delay_s INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    call_timeout_s INTEGER NOT NULL DEFAULT 30,
    customer_calls TEXT NOT NULL DEFAULT 'serving_agent',
    queue_user_notices INTEGER NOT NULL DEFAULT 1,
    record_calls INTEGER NOT NULL DEFAULT 0,
    record_on_demand INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS queues (
    id INTEGER PRIMARY KEY,
    app TEXT NOT NULL REFERENCES apps(id),
    name TEXT NOT NULL,
    descr TEXT NOT NULL,
    prio INTEGER NOT NULL,
    max_wait_s INTEGER,
    max_len INTEGER,
    wrapup_s INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (app, name)
);
CREATE TABLE IF NOT EXISTS hooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app TEXT NOT NULL REFERENCES apps(id),
    family TEXT NOT NULL,
    agent_id TEXT,
    event_type TEXT NOT NULL,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hook INTEGER NOT NULL,
    app TEXT NOT NULL,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    done_ms INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, hook, id);
";

/// Brings a data file of an earlier version up to the current schema.
fn migrate(conn: &Connection) -> StoreResult<()> {
    let has_call_timeout: bool =
        conn.query_row("SELECT COUNT(*) FROM pragma_table_info('apps') WHERE name = 'call_timeout_s'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_call_timeout {
        conn.execute_batch("ALTER TABLE apps ADD COLUMN call_timeout_s INTEGER NOT NULL DEFAULT 30")?;
    }
    let has_customer_calls: bool =
        conn.query_row("SELECT COUNT(*) FROM pragma_table_info('apps') WHERE name = 'customer_calls'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_customer_calls {
        conn.execute_batch("ALTER TABLE apps ADD COLUMN customer_calls TEXT NOT NULL DEFAULT 'serving_agent'")?;
    }
    let has_queue_user_notices: bool =
        conn.query_row("SELECT COUNT(*) FROM pragma_table_info('apps') WHERE name = 'queue_user_notices'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_queue_user_notices {
        conn.execute_batch("ALTER TABLE apps ADD COLUMN queue_user_notices INTEGER NOT NULL DEFAULT 1")?;
    }
    let has_record_calls: bool =
        conn.query_row("SELECT COUNT(*) FROM pragma_table_info('apps') WHERE name = 'record_calls'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_record_calls {
        conn.execute_batch("ALTER TABLE apps ADD COLUMN record_calls INTEGER NOT NULL DEFAULT 0")?;
    }
    let has_record_on_demand: bool =
        conn.query_row("SELECT COUNT(*) FROM pragma_table_info('apps') WHERE name = 'record_on_demand'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_record_on_demand {
        conn.execute_batch("ALTER TABLE apps ADD COLUMN record_on_demand INTEGER NOT NULL DEFAULT 0")?;
    }
    Ok(())
}

impl Store {
    /// The connection, for the webhook tables (`webhooks::store`).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Opens (creating if needed) `lineup.sqlite3` in `dir`.
    pub fn open(dir: &Path) -> Result<Store, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
        let path = dir.join("lineup.sqlite3");
        let conn = Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // Another connection to the file (the webhook worker's reads, an operator's
        // sqlite3 shell) may hold a lock for a moment: wait rather than fail a turn.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(|e| format!("cannot prepare {}: {e}", path.display()))?;
        Store::prepare(conn, &path.display().to_string())
    }

    /// A store in memory: a cluster node's app hub keeps its journal in PostgreSQL,
    /// and nothing of this store outlives it.
    pub fn open_memory() -> Result<Store, String> {
        let conn = Connection::open_in_memory().map_err(|e| format!("cannot open a store in memory: {e}"))?;
        Store::prepare(conn, "the store in memory")
    }

    fn prepare(conn: Connection, name: &str) -> Result<Store, String> {
        conn.execute_batch(SCHEMA).and_then(|_| migrate(&conn)).map_err(|e| format!("cannot prepare {name}: {e}"))?;
        recordings::prepare(&conn).map_err(|e| format!("cannot prepare {name}: {e}"))?;
        journal::prepare(&conn).map_err(|e| format!("cannot prepare {name}: {e}"))?;
        Ok(Store { conn })
    }

    /// Whether this data directory's server created the demo app itself.
    pub fn demo_created(&self) -> StoreResult<bool> {
        let n: i64 =
            self.conn.query_row("SELECT COUNT(*) FROM journal_meta WHERE key = 'demo_created'", [], |r| r.get(0))?;
        Ok(n > 0)
    }

    pub fn mark_demo_created(&self) -> StoreResult<()> {
        self.conn.execute("INSERT OR REPLACE INTO journal_meta (key, value) VALUES ('demo_created', 1)", [])?;
        Ok(())
    }

    pub fn apps(&self) -> StoreResult<Vec<AppRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, secret, hold_s, offer_timeout_s, notice_interval_ms, service_level_s, reoffer_delay_s,
                    call_timeout_s, customer_calls, queue_user_notices
             FROM apps ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AppRow {
                id: r.get(0)?,
                secret: r.get(1)?,
                settings: AppSettings {
                    hold_s: r.get(2)?,
                    offer_timeout_s: r.get(3)?,
                    notice_interval_ms: r.get(4)?,
                    service_level_s: r.get(5)?,
                    reoffer_delay_s: r.get(6)?,
                    call_timeout_s: r.get(7)?,
                    customer_calls: CustomerCalls::parse(&r.get::<_, String>(8)?).unwrap_or_default(),
                    queue_user_notices: r.get::<_, i64>(9)? != 0,
                },
            })
        })?;
        rows.collect()
    }

    pub fn insert_app(&self, app: &AppRow, now_ms: u64) -> StoreResult<()> {
        let s = &app.settings;
        self.conn.execute(
            "INSERT INTO apps (id, secret, hold_s, offer_timeout_s, notice_interval_ms, service_level_s,
                               reoffer_delay_s, created_ms, call_timeout_s, customer_calls, queue_user_notices)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                app.id,
                app.secret,
                s.hold_s,
                s.offer_timeout_s,
                s.notice_interval_ms,
                s.service_level_s,
                s.reoffer_delay_s,
                now_ms as i64,
                s.call_timeout_s,
                s.customer_calls.name(),
                s.queue_user_notices
            ],
        )?;
        Ok(())
    }

    pub fn update_app_settings(&self, app: &str, s: &AppSettings) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE apps SET hold_s = ?2, offer_timeout_s = ?3, notice_interval_ms = ?4, service_level_s = ?5,
                             reoffer_delay_s = ?6, call_timeout_s = ?7, customer_calls = ?8, queue_user_notices = ?9
             WHERE id = ?1",
            params![
                app,
                s.hold_s,
                s.offer_timeout_s,
                s.notice_interval_ms,
                s.service_level_s,
                s.reoffer_delay_s,
                s.call_timeout_s,
                s.customer_calls.name(),
                s.queue_user_notices
            ],
        )?;
        Ok(())
    }

    /// The apps whose calls are recorded in this way (a server setting, not the
    /// engine's).
    pub fn recording_apps(&self, how: Recording) -> StoreResult<Vec<String>> {
        let mut stmt = self.conn.prepare(&format!("SELECT id FROM apps WHERE {} != 0 ORDER BY id", how.column()))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    pub fn set_recording(&self, app: &str, how: Recording, on: bool) -> StoreResult<()> {
        self.conn.execute(&format!("UPDATE apps SET {} = ?2 WHERE id = ?1", how.column()), params![app, on])?;
        Ok(())
    }

    pub fn queues(&self) -> StoreResult<Vec<QueueRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, app, name, descr, prio, max_wait_s, max_len, wrapup_s, created_ms, updated_ms
             FROM queues ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QueueRow {
                id: QueueId(r.get(0)?),
                app: r.get(1)?,
                def: QueueDef {
                    name: Arc::from(r.get::<_, String>(2)?),
                    desc: Arc::from(r.get::<_, String>(3)?),
                    prio: r.get(4)?,
                    max_wait_s: r.get(5)?,
                    max_len: r.get(6)?,
                    wrapup_s: r.get(7)?,
                },
                created_ms: r.get::<_, i64>(8)? as u64,
                updated_ms: r.get::<_, i64>(9)? as u64,
            })
        })?;
        rows.collect()
    }

    pub fn queue_times(&self, id: QueueId) -> StoreResult<Option<(u64, u64)>> {
        self.conn
            .query_row("SELECT created_ms, updated_ms FROM queues WHERE id = ?1", [id.0], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .optional()
    }

    pub fn insert_queue(&self, app: &str, id: QueueId, def: &QueueDef, now_ms: u64) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO queues (id, app, name, descr, prio, max_wait_s, max_len, wrapup_s, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                id.0,
                app,
                &*def.name,
                &*def.desc,
                def.prio,
                def.max_wait_s,
                def.max_len,
                def.wrapup_s,
                now_ms as i64
            ],
        )?;
        Ok(())
    }

    pub fn update_queue(&self, id: QueueId, def: &QueueDef, now_ms: u64) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE queues SET name = ?2, descr = ?3, prio = ?4, max_wait_s = ?5, max_len = ?6, wrapup_s = ?7,
                               updated_ms = ?8 WHERE id = ?1",
            params![id.0, &*def.name, &*def.desc, def.prio, def.max_wait_s, def.max_len, def.wrapup_s, now_ms as i64],
        )?;
        Ok(())
    }

    pub fn delete_queue(&self, id: QueueId) -> StoreResult<()> {
        self.conn.execute("DELETE FROM queues WHERE id = ?1", [id.0])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_file_without_call_timeout_is_migrated() {
        let dir = std::env::temp_dir().join(format!("lineup-store-migrate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join("lineup.sqlite3")).unwrap();
            conn.execute_batch(
                "CREATE TABLE apps (id TEXT PRIMARY KEY, secret TEXT NOT NULL, hold_s INTEGER NOT NULL,
                   offer_timeout_s INTEGER NOT NULL, notice_interval_ms INTEGER NOT NULL,
                   service_level_s INTEGER NOT NULL, reoffer_delay_s INTEGER NOT NULL, created_ms INTEGER NOT NULL);
                 INSERT INTO apps VALUES ('old', 's', 45, 20, 500, 15, 5, 1);",
            )
            .unwrap();
        }
        let store = Store::open(&dir).unwrap();
        let apps = store.apps().unwrap();
        assert_eq!(apps.len(), 1);
        assert_eq!((apps[0].settings.hold_s, apps[0].settings.call_timeout_s), (45, 30));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn apps_and_queues_survive_reopen() {
        let dir = std::env::temp_dir().join(format!("lineup-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let store = Store::open(&dir).unwrap();
            let app = AppRow { id: "a".into(), secret: "s".into(), settings: AppSettings::default() };
            store.insert_app(&app, 1).unwrap();
            let mut def = QueueDef::named("Sales");
            def.max_wait_s = Some(30);
            store.insert_queue("a", QueueId(3), &def, 5).unwrap();
            def.prio = 2;
            store.update_queue(QueueId(3), &def, 9).unwrap();
            store.insert_queue("a", QueueId(4), &QueueDef::named("Gone"), 5).unwrap();
            store.delete_queue(QueueId(4)).unwrap();
        }
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.apps().unwrap().len(), 1);
        let queues = store.queues().unwrap();
        assert_eq!(queues.len(), 1);
        assert_eq!(queues[0].id, QueueId(3));
        assert_eq!(queues[0].def.prio, 2);
        assert_eq!(queues[0].def.max_wait_s, Some(30));
        assert_eq!((queues[0].created_ms, queues[0].updated_ms), (5, 9));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
