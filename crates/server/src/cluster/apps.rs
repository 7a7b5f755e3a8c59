//! The cluster's apps as the database has them (each placed on one node).

use super::pg::{Pg, PgError};

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

/// Every app's id, in order.
pub fn ids(pg: &Pg) -> Result<Vec<String>, PgError> {
    Ok(pg.query(|c| c.query("SELECT id FROM apps ORDER BY id", &[]))?.iter().map(|r| r.get(0)).collect())
}

/// An app's secret (None: no such app).
pub fn secret(pg: &Pg, id: &str) -> Result<Option<String>, PgError> {
    let id = id.to_owned();
    Ok(pg.query(move |c| c.query_opt("SELECT secret FROM apps WHERE id = $1", &[&id]))?.map(|r| r.get(0)))
}
