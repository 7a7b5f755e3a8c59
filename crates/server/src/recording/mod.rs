//! Recordings as the hub and the REST API know them: where they are listed
//! ([`index`]: a single node's SQLite table, or a cluster's PostgreSQL), a file's name
//! and path, and the `recording` business event. The thread that writes the files is
//! `crate::recorder`.

pub mod index;

use rusqlite::Connection;
use serde_json::json;

use crate::store::recordings::RecordingRow;

/// The `recording` webhook deliveries of `row` into the outbox of `conn`: how many.
pub fn enqueue(conn: &Connection, row: &RecordingRow) -> rusqlite::Result<usize> {
    let hooks = crate::webhooks::store::hooks(conn)?;
    crate::webhooks::enqueue_business(conn, &hooks, &row.app, "recording", &finished_event(row), row.ended_ms)
}

/// A recording's file, relative to the data directory.
pub fn file_name(app: &str, id: &str) -> String {
    format!("recordings/{app}/{id}.webm")
}

/// The recording's REST path (under `/api/v1`).
pub fn file_path(app: &str, id: &str) -> String {
    format!("/api/v1/apps/{app}/recordings/{id}/file")
}

/// The `recording` business event: `recording.finished`.
pub fn finished_event(row: &RecordingRow) -> String {
    json!({
        "event": "recording.finished",
        "appid": row.app,
        "sessionid": row.session_id,
        "recordingid": row.id,
        "meetid": row.meet_id,
        "begin_time": row.started_ms / 1000,
        "end_time": row.ended_ms / 1000,
        "duration_ms": row.duration_ms,
        "size": row.bytes,
        "format": "webm",
        "tracks": serde_json::from_str::<serde_json::Value>(&row.tracks).unwrap_or_default(),
        "url": file_path(&row.app, &row.id),
    })
    .to_string()
}
