//! The cluster's nodes as the database knows them: each node's id, the address the
//! other nodes reach it at, and its last heartbeat on the database clock. A node is
//! live while its heartbeat is recent and it has not marked itself leaving.

use std::time::Duration;

use crate::pg::{Pg, PgError};

/// A live node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub addr: String,
}

/// Records that `node` (reachable at `addr`) is alive now; a node that marked itself
/// leaving and beats again (started anew with the same id) is live again.
pub fn heartbeat(pg: &Pg, node: &str, addr: &str) -> Result<(), PgError> {
    let (node, addr) = (node.to_owned(), addr.to_owned());
    pg.query(move |c| {
        c.execute(
            "INSERT INTO nodes (id, addr, seen_at) VALUES ($1, $2, clock_timestamp())
             ON CONFLICT (id) DO UPDATE SET addr = EXCLUDED.addr, seen_at = EXCLUDED.seen_at, leaving = false",
            &[&node, &addr],
        )
    })
    .map(|_| ())
}

/// Marks `node` leaving (a graceful shutdown): the others stop counting it at once.
pub fn leave(pg: &Pg, node: &str) -> Result<(), PgError> {
    let node = node.to_owned();
    pg.query(move |c| c.execute("UPDATE nodes SET leaving = true WHERE id = $1", &[&node])).map(|_| ())
}

/// The nodes whose last heartbeat is at most `within` old and that are not leaving,
/// by id.
pub fn live(pg: &Pg, within: Duration) -> Result<Vec<Node>, PgError> {
    let secs = within.as_secs_f64();
    let rows = pg.query(move |c| {
        c.query(
            "SELECT id, addr FROM nodes
             WHERE NOT leaving AND seen_at > clock_timestamp() - make_interval(secs => $1)
             ORDER BY id",
            &[&secs],
        )
    })?;
    Ok(rows.iter().map(|r| Node { id: r.get(0), addr: r.get(1) }).collect())
}
