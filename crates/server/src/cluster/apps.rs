//! The cluster's apps as the database has them (each placed on one node).

use crate::pg::{Pg, PgError};

/// Adds an app (or changes its secret).
pub fn put(pg: &Pg, id: &str, secret: &str) -> Result<(), PgError> {
    let (id, secret) = (id.to_owned(), secret.to_owned());
    pg.query(move |c| {
        c.execute(
            "INSERT INTO apps (id, secret) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET secret = EXCLUDED.secret",
            &[&id, &secret],
        )
    })
    .map(|_| ())
}

/// Adds an app; false when one of this id exists. `demo`: the demo app a node seeded
/// (its pages may mint demo tokens).
pub fn create(pg: &Pg, id: &str, secret: &str, demo: bool) -> Result<bool, PgError> {
    let (id, secret) = (id.to_owned(), secret.to_owned());
    let added = pg.query(move |c| {
        c.execute(
            "INSERT INTO apps (id, secret, demo) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            &[&id, &secret, &demo],
        )
    })?;
    Ok(added == 1)
}

/// Whether the app is a demo app a node seeded.
pub fn is_seeded_demo(pg: &Pg, id: &str) -> Result<bool, PgError> {
    let id = id.to_owned();
    Ok(pg.query(move |c| c.query_opt("SELECT demo FROM apps WHERE id = $1", &[&id]))?.is_some_and(|r| r.get(0)))
}

/// Every app's id, in order.
pub fn ids(pg: &Pg) -> Result<Vec<String>, PgError> {
    Ok(pg.query(|c| c.query("SELECT id FROM apps ORDER BY id", &[]))?.iter().map(|r| r.get(0)).collect())
}

/// Every app's id and how long ago it was created (database clock), in order.
pub fn ages(pg: &Pg) -> Result<Vec<(String, std::time::Duration)>, PgError> {
    let rows = pg.query(|c| {
        c.query("SELECT id, extract(epoch FROM clock_timestamp() - created_at)::float8 FROM apps ORDER BY id", &[])
    })?;
    Ok(rows.iter().map(|r| (r.get(0), std::time::Duration::from_secs_f64(r.get::<_, f64>(1).max(0.0)))).collect())
}

/// An app's secret (None: no such app).
pub fn secret(pg: &Pg, id: &str) -> Result<Option<String>, PgError> {
    let id = id.to_owned();
    Ok(pg.query(move |c| c.query_opt("SELECT secret FROM apps WHERE id = $1", &[&id]))?.map(|r| r.get(0)))
}
