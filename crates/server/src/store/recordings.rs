//! The recordings table: one row per finished recording, its file relative to the
//! data directory. Shares the store's SQLite file.

use rusqlite::{params, Connection, OptionalExtension};

/// A finished recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingRow {
    pub id: String,
    pub app: String,
    /// The node that keeps the file (a cluster's node id; empty on a single node).
    pub node: String,
    /// The call's `sessionid` (its call events').
    pub session_id: String,
    pub meet_id: u32,
    pub started_ms: u64,
    pub ended_ms: u64,
    pub duration_ms: u64,
    pub bytes: u64,
    /// The tracks, as JSON: `[{"track":1,"usrID":"…","kind":"audio"}, …]`.
    pub tracks: String,
    /// The file, relative to the data directory.
    pub file: String,
}

pub fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS recordings (
            id TEXT PRIMARY KEY,
            app TEXT NOT NULL,
            session_id TEXT NOT NULL,
            meet_id INTEGER NOT NULL,
            started_ms INTEGER NOT NULL,
            ended_ms INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            tracks TEXT NOT NULL,
            file TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS recordings_app ON recordings (app, started_ms);",
    )
}

const COLS: &str = "id, app, session_id, meet_id, started_ms, ended_ms, duration_ms, bytes, tracks, file";

fn row(r: &rusqlite::Row) -> rusqlite::Result<RecordingRow> {
    Ok(RecordingRow {
        id: r.get(0)?,
        app: r.get(1)?,
        node: String::new(),
        session_id: r.get(2)?,
        meet_id: r.get(3)?,
        started_ms: r.get::<_, i64>(4)? as u64,
        ended_ms: r.get::<_, i64>(5)? as u64,
        duration_ms: r.get::<_, i64>(6)? as u64,
        bytes: r.get::<_, i64>(7)? as u64,
        tracks: r.get(8)?,
        file: r.get(9)?,
    })
}

pub fn insert(conn: &Connection, r: &RecordingRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO recordings ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            r.id,
            r.app,
            r.session_id,
            r.meet_id,
            r.started_ms as i64,
            r.ended_ms as i64,
            r.duration_ms as i64,
            r.bytes as i64,
            r.tracks,
            r.file
        ],
    )?;
    Ok(())
}

/// The app's recordings, newest first; only the call's when `session_id` is given.
pub fn list(conn: &Connection, app: &str, session_id: Option<&str>, limit: u32) -> rusqlite::Result<Vec<RecordingRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLS} FROM recordings WHERE app = ?1 AND (?2 IS NULL OR session_id = ?2)
         ORDER BY started_ms DESC, id LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![app, session_id, limit], row)?;
    rows.collect()
}

pub fn get(conn: &Connection, app: &str, id: &str) -> rusqlite::Result<Option<RecordingRow>> {
    conn.query_row(&format!("SELECT {COLS} FROM recordings WHERE app = ?1 AND id = ?2"), params![app, id], row)
        .optional()
}

pub fn delete(conn: &Connection, app: &str, id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM recordings WHERE app = ?1 AND id = ?2", params![app, id])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_kept_per_app_and_found_by_call() {
        let conn = Connection::open_in_memory().unwrap();
        prepare(&conn).unwrap();
        let mut r = RecordingRow {
            id: "r1".into(),
            app: "a".into(),
            node: String::new(),
            session_id: "call-1".into(),
            meet_id: 7,
            started_ms: 1_000,
            ended_ms: 5_000,
            duration_ms: 4_000,
            bytes: 10,
            tracks: "[]".into(),
            file: "recordings/a/r1.webm".into(),
        };
        insert(&conn, &r).unwrap();
        r.id = "r2".into();
        r.session_id = "call-2".into();
        r.started_ms = 2_000;
        insert(&conn, &r).unwrap();
        assert_eq!(list(&conn, "a", None, 10).unwrap().iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["r2", "r1"]);
        assert_eq!(list(&conn, "a", Some("call-1"), 10).unwrap().len(), 1);
        assert!(list(&conn, "b", None, 10).unwrap().is_empty());
        assert!(get(&conn, "b", "r1").unwrap().is_none(), "another app's recording is not found");
        assert!(!delete(&conn, "b", "r1").unwrap());
        assert!(delete(&conn, "a", "r1").unwrap());
        assert!(get(&conn, "a", "r1").unwrap().is_none());
    }
}
