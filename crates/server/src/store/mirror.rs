//! The tables of an app hub's store that must outlive the hub: the webhook
//! subscriptions (`hooks`) and the outbox (`outbox`).
//!
//! An app hub keeps them, as a single node does, in its SQLite store (in memory on a
//! cluster node), so the webhook code is the same on both. Triggers note every row a
//! turn inserts, changes or deletes; at the end of the turn those rows go into the
//! app's PostgreSQL journal turn (table `app_rows`, one JSON object per row), committed
//! in the same transaction as the turn's steps and under the same lease check. The
//! next owner loads them back before it serves: no subscription and no delivery is
//! lost across a failover, and the outbox keeps its ids (the `X-Lineup-Event-Id`) and
//! its order.

use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{Map, Value};

pub use crate::journal::RowChange;

/// The mirrored tables, in load order (a delivery refers to its subscription).
pub const TABLES: &[&str] = &["hooks", "outbox"];

/// Starts noting the changed rows of the mirrored tables.
pub fn track(conn: &Connection) -> rusqlite::Result<()> {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS mirror_changed (tbl TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID;",
    );
    for t in TABLES {
        for (op, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
            sql.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS mirror_{t}_{op} AFTER {op} ON {t}
                 BEGIN INSERT OR IGNORE INTO mirror_changed VALUES ('{t}', {row}.id); END;"
            ));
        }
    }
    conn.execute_batch(&sql)
}

fn to_json(v: Sql) -> Value {
    match v {
        Sql::Null => Value::Null,
        Sql::Integer(i) => Value::from(i),
        Sql::Real(f) => Value::from(f),
        Sql::Text(s) => Value::from(s),
        Sql::Blob(b) => Value::from(crate::auth::hex(&b)),
    }
}

fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => n.as_i64().map_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0)), Sql::Integer),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

/// The rows changed since the last call, as they are now; forgets them.
pub fn take_changes(conn: &Connection) -> rusqlite::Result<Vec<RowChange>> {
    let changed: Vec<(String, i64)> = conn
        .prepare_cached("SELECT tbl, id FROM mirror_changed")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(changed.len());
    for (table, id) in changed {
        let mut stmt = conn.prepare_cached(&format!("SELECT * FROM {table} WHERE id = ?1"))?;
        let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
        let data = stmt
            .query_row([id], |r| {
                let mut row = Map::new();
                for (i, name) in names.iter().enumerate() {
                    row.insert(name.clone(), to_json(r.get::<_, Sql>(i)?));
                }
                Ok(Value::Object(row).to_string())
            })
            .map(Some)
            .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
        out.push(RowChange { table, id, data });
    }
    conn.execute("DELETE FROM mirror_changed", [])?;
    Ok(out)
}

/// Puts rows kept in PostgreSQL back into the tables (before tracking starts).
pub fn load(conn: &Connection, rows: &[(String, String)]) -> rusqlite::Result<()> {
    for (table, data) in rows {
        if !TABLES.contains(&table.as_str()) {
            continue;
        }
        let Ok(Value::Object(row)) = serde_json::from_str::<Value>(data) else { continue };
        let cols: Vec<&String> = row.keys().collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT OR REPLACE INTO {table} ({}) VALUES ({})",
            cols.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            marks.join(", ")
        );
        let values: Vec<Sql> = row.values().map(to_sql).collect();
        conn.execute(&sql, rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_rows_go_out_and_come_back() {
        let app = crate::store::AppRow { id: "a".into(), secret: "s".into(), settings: Default::default() };
        let store = crate::store::Store::open_memory().unwrap();
        store.insert_app(&app, 1).unwrap();
        let c = store.conn();
        track(c).unwrap();
        c.execute("INSERT INTO hooks (app, family, event_type, url, method, created_ms) VALUES ('a', 'business', 'queue_change', 'http://x/', 'POST', 1)", []).unwrap();
        c.execute("INSERT INTO outbox (hook, app, kind, method, url, content_type, body, status, next_attempt_ms, created_ms) VALUES (1, 'a', 'queue_change', 'POST', 'http://x/', 'application/json', '{}', 'pending', 5, 5)", []).unwrap();
        c.execute("INSERT INTO outbox (hook, app, kind, method, url, content_type, body, status, next_attempt_ms, created_ms) VALUES (1, 'a', 'queue_change', 'POST', 'http://x/', 'application/json', '{\"n\":2}', 'pending', 6, 6)", []).unwrap();
        c.execute("DELETE FROM outbox WHERE id = 1", []).unwrap();
        let changes = take_changes(c).unwrap();
        assert_eq!(changes.len(), 3);
        assert!(changes.iter().any(|r| r.table == "outbox" && r.id == 1 && r.data.is_none()));
        assert!(take_changes(c).unwrap().is_empty(), "forgotten once taken");

        let next = crate::store::Store::open_memory().unwrap();
        next.insert_app(&app, 1).unwrap();
        let n = next.conn();
        let rows: Vec<(String, String)> =
            changes.iter().filter_map(|r| Some((r.table.clone(), r.data.clone()?))).collect();
        load(n, &rows).unwrap();
        let body: String = n.query_row("SELECT body FROM outbox WHERE id = 2", [], |r| r.get(0)).unwrap();
        assert_eq!(body, "{\"n\":2}");
        // New rows carry on after the loaded ids.
        n.execute("INSERT INTO outbox (hook, app, kind, method, url, content_type, body, status, next_attempt_ms, created_ms) VALUES (1, 'a', 'k', 'POST', 'u', 't', 'b', 'pending', 7, 7)", []).unwrap();
        assert_eq!(n.last_insert_rowid(), 3);
    }
}
