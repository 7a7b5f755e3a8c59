//! The cluster's schema in PostgreSQL: versioned migrations kept in `migrations/`,
//! applied in order inside one transaction under an advisory lock, so nodes that start
//! together apply each migration once; a database newer than this server is refused.

use crate::pg::{Pg, PgError};

/// The migrations, in order: (version, SQL).
pub const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/0001_journal_and_leases.sql")),
    (2, include_str!("migrations/0002_demo_app.sql")),
    (3, include_str!("migrations/0003_app_rows.sql")),
    (4, include_str!("migrations/0004_report_rows.sql")),
    (5, include_str!("migrations/0005_recordings.sql")),
];

/// The schema version this server writes.
pub fn current_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The advisory lock the migrations run under (any fixed number; "LNUP").
const MIGRATION_LOCK: i64 = 0x4c4e_5550;

/// Brings the database to [`current_version`]; returns the version it found.
pub fn migrate(pg: &Pg) -> Result<i32, PgError> {
    let known = current_version();
    let found = pg.query(move |c| {
        let mut tx = c.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS lineup_migrations (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )?;
        let found: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM lineup_migrations", &[])?.get(0);
        if found > known {
            return Ok(found);
        }
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            tx.batch_execute(sql)?;
            tx.execute("INSERT INTO lineup_migrations (version) VALUES ($1)", &[version])?;
        }
        tx.commit()?;
        Ok(found)
    })?;
    if found > known {
        return Err(PgError::Schema { found, known });
    }
    Ok(found)
}
