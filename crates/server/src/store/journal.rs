//! The journal in the embedded SQLite file (the single-node default): tables `journal`,
//! `snapshots`, `resume_tokens`, `used_tickets`, `report_rows` and `journal_meta`, on the store's own
//! connection, so a turn's journal records, webhook deliveries and administration
//! writes commit together. `synchronous=FULL`: a commit is on disk when it returns.

use lineup_engine::Time;
use rusqlite::{params, Connection, OptionalExtension};

use super::Store;
use crate::journal::{Journal, JournalError, Record, Recovery, ReportRow, StoredSnapshot, STEP_FORMAT};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    step BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS resume_tokens (
    hash TEXT PRIMARY KEY,
    session INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS used_tickets (
    id TEXT PRIMARY KEY,
    exp_s INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS report_rows (
    app TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (app, kind, start_ms, subject)
);
CREATE TABLE IF NOT EXISTS journal_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

fn store_err(e: rusqlite::Error) -> JournalError {
    JournalError::Store(e.to_string())
}

/// Creates the journal tables and checks the format version.
pub fn prepare(conn: &Connection) -> Result<(), JournalError> {
    conn.execute_batch(SCHEMA).map_err(store_err)?;
    let found: Option<u32> = conn
        .query_row("SELECT value FROM journal_meta WHERE key = 'step_format'", [], |r| r.get(0))
        .optional()
        .map_err(store_err)?;
    match found {
        Some(v) if v > STEP_FORMAT => Err(JournalError::Format { found: v }),
        Some(v) if v == STEP_FORMAT => Ok(()),
        // An older format: its records stay readable; from now on the store holds the
        // new one too, and an older server refuses it instead of misreading it.
        _ => conn
            .execute("INSERT OR REPLACE INTO journal_meta (key, value) VALUES ('step_format', ?1)", [STEP_FORMAT])
            .map(|_| ())
            .map_err(store_err),
    }
}

impl Journal for Store {
    fn begin(&mut self) -> Result<(), JournalError> {
        if self.conn().is_autocommit() {
            // IMMEDIATE: the turn holds the write lock from its start, so it can never
            // fail to upgrade a read into a write halfway through.
            self.conn().execute_batch("BEGIN IMMEDIATE").map_err(store_err)?;
        }
        Ok(())
    }

    fn append(&mut self, seq: u64, at: Time, step: &[u8]) -> Result<(), JournalError> {
        let mut stmt = self
            .conn()
            .prepare_cached("INSERT INTO journal (seq, at_ms, step) VALUES (?1, ?2, ?3)")
            .map_err(store_err)?;
        stmt.execute(params![seq as i64, at.as_millis() as i64, step]).map_err(store_err)?;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), JournalError> {
        if !self.conn().is_autocommit() {
            self.conn().execute_batch("COMMIT").map_err(store_err)?;
        }
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), JournalError> {
        // SQLite may have rolled the transaction back itself (a full disk, an I/O error).
        if !self.conn().is_autocommit() {
            self.conn().execute_batch("ROLLBACK").map_err(store_err)?;
        }
        Ok(())
    }

    fn savepoint(&mut self) -> Result<(), JournalError> {
        self.conn().execute_batch("SAVEPOINT job").map_err(store_err)
    }

    fn release_savepoint(&mut self) -> Result<(), JournalError> {
        self.conn().execute_batch("RELEASE job").map_err(store_err)
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), JournalError> {
        self.conn().execute_batch("ROLLBACK TO job; RELEASE job").map_err(store_err)
    }

    fn recover(&mut self) -> Result<Recovery, JournalError> {
        let conn = self.conn();
        let snapshot = conn
            .query_row("SELECT seq, at_ms, state FROM snapshots ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok(StoredSnapshot {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: Time::from_millis(r.get::<_, i64>(1)? as u64),
                    bytes: r.get(2)?,
                })
            })
            .optional()
            .map_err(store_err)?;
        let after = snapshot.as_ref().map_or(0, |s| s.seq);
        let mut stmt =
            conn.prepare("SELECT seq, at_ms, step FROM journal WHERE seq > ?1 ORDER BY seq").map_err(store_err)?;
        let tail = stmt
            .query_map([after as i64], |r| {
                Ok(Record {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: Time::from_millis(r.get::<_, i64>(1)? as u64),
                    step: r.get(2)?,
                })
            })
            .map_err(store_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(store_err)?;
        let mut expected = after + 1;
        for record in &tail {
            if record.seq != expected {
                return Err(JournalError::Damaged(format!("record {expected} is missing (next is {})", record.seq)));
            }
            expected += 1;
        }
        Ok(Recovery { snapshot, tail })
    }

    fn save_snapshot(&mut self, s: &StoredSnapshot) -> Result<(), JournalError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO snapshots (seq, at_ms, state) VALUES (?1, ?2, ?3)",
            params![s.seq as i64, s.at.as_millis() as i64, s.bytes],
        )
        .map_err(store_err)?;
        conn.execute("DELETE FROM snapshots WHERE seq < ?1", [s.seq as i64]).map_err(store_err)?;
        conn.execute("DELETE FROM journal WHERE seq <= ?1", [s.seq as i64]).map_err(store_err)?;
        conn.execute("DELETE FROM used_tickets WHERE exp_s <= ?1", [(s.at.as_millis() / 1000) as i64])
            .map_err(store_err)?;
        Ok(())
    }

    fn put_resume_token(&mut self, hash: &str, session: u64) -> Result<(), JournalError> {
        self.conn()
            .prepare_cached("INSERT OR REPLACE INTO resume_tokens (hash, session) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![hash, session as i64]))
            .map(|_| ())
            .map_err(store_err)
    }

    fn drop_resume_token(&mut self, hash: &str) -> Result<(), JournalError> {
        self.conn()
            .prepare_cached("DELETE FROM resume_tokens WHERE hash = ?1")
            .and_then(|mut s| s.execute([hash]))
            .map(|_| ())
            .map_err(store_err)
    }

    fn resume_tokens(&mut self) -> Result<Vec<(String, u64)>, JournalError> {
        let mut stmt = self.conn().prepare("SELECT hash, session FROM resume_tokens").map_err(store_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(store_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(store_err)?;
        Ok(rows)
    }

    fn use_ticket(&mut self, id: &str, exp_s: u64, now_s: u64) -> Result<bool, JournalError> {
        let conn = self.conn();
        let used: Option<i64> = conn
            .prepare_cached("SELECT exp_s FROM used_tickets WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(store_err)?;
        if used.is_some_and(|exp| exp as u64 > now_s) {
            return Ok(false);
        }
        conn.prepare_cached("INSERT OR REPLACE INTO used_tickets (id, exp_s) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![id, exp_s as i64]))
            .map_err(store_err)?;
        Ok(true)
    }

    fn put_report_rows(&mut self, app: &str, rows: &[ReportRow], keep_from_ms: u64) -> Result<(), JournalError> {
        let conn = self.conn();
        let mut put = conn
            .prepare_cached(
                "INSERT OR REPLACE INTO report_rows (app, kind, subject, start_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(store_err)?;
        for r in rows {
            put.execute(params![app, r.kind, r.subject, r.start_ms as i64, r.body]).map_err(store_err)?;
        }
        conn.prepare_cached("DELETE FROM report_rows WHERE app = ?1 AND start_ms < ?2")
            .and_then(|mut s| s.execute(params![app, keep_from_ms as i64]))
            .map_err(store_err)?;
        Ok(())
    }

    fn report_rows(&mut self, app: &str, kind: &str, from_ms: u64, to_ms: u64) -> Result<Vec<ReportRow>, JournalError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT kind, subject, start_ms, body FROM report_rows
                 WHERE app = ?1 AND kind = ?2 AND start_ms >= ?3 AND start_ms < ?4 ORDER BY start_ms, subject",
            )
            .map_err(store_err)?;
        let rows = stmt
            .query_map(params![app, kind, from_ms as i64, to_ms as i64], |r| {
                Ok(ReportRow {
                    kind: r.get(0)?,
                    subject: r.get(1)?,
                    start_ms: r.get::<_, i64>(2)? as u64,
                    body: r.get(3)?,
                })
            })
            .map_err(store_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(store_err)?;
        Ok(rows)
    }
}
