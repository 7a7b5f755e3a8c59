//! Cluster mode on PostgreSQL: several nodes, one owner per app.
//!
//! Each app's engine runs on one node at a time, the holder of the app's lease; every
//! journal append checks the lease's fencing epoch in the same transaction, so an owner
//! that was paused or cut off cannot write after another node took the app over. The
//! new owner restores the app's snapshot and replays its journal, as a single node does
//! after a restart.
//!
//! - `crate::pg`: a PostgreSQL connection on a thread of its own, called from the
//!   hub's synchronous code (the `postgres` client cannot block inside a tokio task).
//! - [`schema`]: the versioned migrations (`migrations/*.sql`), applied under a lock so
//!   nodes starting together apply each once.
//! - [`lease`]: the lease row of an app: acquire, renew, release, on the database clock.
//! - [`journal`]: the [`crate::journal::Journal`] interface on PostgreSQL, per app,
//!   fenced by the lease's epoch.
//! - [`nodes`]: the node table: each node's address and heartbeat; the live nodes.
//! - [`placement`]: which live node should own an app (rendezvous hashing).
//! - [`plan`]: what a node does about each app (take it, hand it over, step down,
//!   route to its owner), a pure function of what it sees.
//! - [`ownership`]: the node's loop that carries the plan out (heartbeat, leases kept,
//!   apps started and stopped through an [`ownership::AppRunner`]).
//! - [`apps`]: the cluster's apps.
//! - [`app_hubs`]: the app hubs a node runs (each app's engine, journal in PostgreSQL),
//!   started and stopped by the ownership loop.
//! - `crate::store::mirror`: an app hub's own tables (webhook subscriptions, outbox)
//!   kept in PostgreSQL with its journal turns.
//! - [`node`]: the running node as request handlers see it: who owns an app.
//! - [`keeper`]: an app's recordings kept on a cluster: the index row, the event at the
//!   app's owner.
//! - [`link`]: node-to-node credentials and REST forwarding to an app's owner.
//! - [`ws_link`]: a client's WebSocket carried to its app's owner, re-attached to the
//!   next owner after a failover.
//! - `crate::cluster_serve`: a node's start (join, seed, ownership loop) and serving.

pub mod app_hubs;
pub mod apps;
pub mod health;
pub mod journal;
pub mod keeper;
pub mod lease;
pub mod link;
pub mod node;
pub mod nodes;
pub mod ownership;
pub mod placement;
pub mod plan;
pub mod schema;
mod worker;
pub mod ws_link;

pub use crate::pg::{Pg, PgError};
pub use journal::PgJournal;
pub use lease::{Lease, LeaseTerms};
