//! Where the recordings are listed: a single node's SQLite store (`crate::store::recordings`), or a
//! cluster's PostgreSQL table `recordings`, whose rows also say which node keeps each
//! file (it stays in the `--data` directory of the node that recorded it).

use rusqlite::Connection;

use crate::pg::{Pg, PgError};
use crate::store::recordings::{self as store, RecordingRow};

/// A hub's recordings index.
pub enum RecordingIndex<'a> {
    Sqlite(&'a Connection),
    Pg(&'a Pg),
}

fn pg_err(e: PgError) -> String {
    e.to_string()
}

const COLS: &str = "id, app, node_id, session_id, meet_id, started_ms, ended_ms, duration_ms, bytes, tracks, file";

fn pg_row(r: &postgres::Row) -> RecordingRow {
    RecordingRow {
        id: r.get(0),
        app: r.get(1),
        node: r.get(2),
        session_id: r.get(3),
        meet_id: r.get::<_, i64>(4) as u32,
        started_ms: r.get::<_, i64>(5) as u64,
        ended_ms: r.get::<_, i64>(6) as u64,
        duration_ms: r.get::<_, i64>(7) as u64,
        bytes: r.get::<_, i64>(8) as u64,
        tracks: r.get(9),
        file: r.get(10),
    }
}

/// A finished recording into the cluster's index (by the node that keeps its file).
pub fn insert_pg(pg: &Pg, r: &RecordingRow) -> Result<(), String> {
    let r = r.clone();
    pg.query(move |c| {
        c.execute(
            &format!("INSERT INTO recordings ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
            &[
                &r.id,
                &r.app,
                &r.node,
                &r.session_id,
                &i64::from(r.meet_id),
                &(r.started_ms as i64),
                &(r.ended_ms as i64),
                &(r.duration_ms as i64),
                &(r.bytes as i64),
                &r.tracks,
                &r.file,
            ],
        )
    })
    .map(|_| ())
    .map_err(pg_err)
}

impl RecordingIndex<'_> {
    /// The app's recordings, newest first; only the call's when `session_id` is given.
    pub fn list(&self, app: &str, session_id: Option<&str>, limit: u32) -> Result<Vec<RecordingRow>, String> {
        match self {
            RecordingIndex::Sqlite(conn) => store::list(conn, app, session_id, limit).map_err(|e| e.to_string()),
            RecordingIndex::Pg(pg) => {
                let (app, session_id) = (app.to_string(), session_id.map(str::to_string));
                let rows = pg
                    .query(move |c| {
                        c.query(
                            &format!(
                                "SELECT {COLS} FROM recordings WHERE app = $1 AND ($2::TEXT IS NULL OR session_id = $2)
                                 ORDER BY started_ms DESC, id LIMIT $3"
                            ),
                            &[&app, &session_id, &i64::from(limit)],
                        )
                    })
                    .map_err(pg_err)?;
                Ok(rows.iter().map(pg_row).collect())
            }
        }
    }

    pub fn get(&self, app: &str, id: &str) -> Result<Option<RecordingRow>, String> {
        match self {
            RecordingIndex::Sqlite(conn) => store::get(conn, app, id).map_err(|e| e.to_string()),
            RecordingIndex::Pg(pg) => {
                let (app, id) = (app.to_string(), id.to_string());
                let row = pg
                    .query(move |c| {
                        c.query_opt(&format!("SELECT {COLS} FROM recordings WHERE app = $1 AND id = $2"), &[&app, &id])
                    })
                    .map_err(pg_err)?;
                Ok(row.as_ref().map(pg_row))
            }
        }
    }

    pub fn delete(&self, app: &str, id: &str) -> Result<bool, String> {
        match self {
            RecordingIndex::Sqlite(conn) => store::delete(conn, app, id).map_err(|e| e.to_string()),
            RecordingIndex::Pg(pg) => {
                let (app, id) = (app.to_string(), id.to_string());
                pg.query(move |c| c.execute("DELETE FROM recordings WHERE app = $1 AND id = $2", &[&app, &id]))
                    .map(|n| n > 0)
                    .map_err(pg_err)
            }
        }
    }
}
