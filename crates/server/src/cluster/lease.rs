//! An app's lease: which node owns the app's engine, under which fencing epoch, until
//! when. Every time is the database's (`clock_timestamp()`), so the nodes' own clocks
//! never decide who owns what.
//!
//! - [`acquire`]: takes a free or run-out lease, raising its epoch.
//! - [`renew`]: extends a lease its holder still holds.
//! - [`release`]: gives it up at once (a graceful hand-over).
//! - [`all`]: every app's lease, as the placement plan reads them.
//! - [`LeaseKeeper`]: a thread that renews a lease and tells when it is lost; its own
//!   monotonic deadline makes a node that was paused step down the moment it runs again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::pg::{Pg, PgError};

/// How often a lease is renewed and when it runs out unrenewed.
#[derive(Clone, Copy, Debug)]
pub struct LeaseTerms {
    pub renew_every: Duration,
    pub expire_after: Duration,
}

impl Default for LeaseTerms {
    fn default() -> Self {
        LeaseTerms { renew_every: Duration::from_millis(300), expire_after: Duration::from_millis(1500) }
    }
}

/// A lease held: `owner` (a node id) owns `app` under `epoch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub app: String,
    pub owner: String,
    pub epoch: u64,
}

/// Who holds an app's lease, as the database sees it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub owner: String,
    pub epoch: u64,
    /// False once it ran out or was released.
    pub live: bool,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Takes `app`'s lease for `node` when nobody holds it (never held, run out, released);
/// `None` while another node holds it. Each acquisition raises the epoch by one.
pub fn acquire(pg: &Pg, app: &str, node: &str, terms: LeaseTerms) -> Result<Option<Lease>, PgError> {
    let (app, node) = (app.to_owned(), node.to_owned());
    pg.query(move |c| {
        let row = c.query_opt(
            "INSERT INTO app_leases AS l (app, owner, epoch, expires_at)
             VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3))
             ON CONFLICT (app) DO UPDATE
                SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
                WHERE l.expires_at <= clock_timestamp()
             RETURNING epoch",
            &[&app, &node, &secs(terms.expire_after)],
        )?;
        Ok(row.map(|r| Lease { app, owner: node, epoch: r.get::<_, i64>(0) as u64 }))
    })
}

/// Extends `lease` by the terms' expiry from now; false when it was lost (run out, or
/// taken over: another epoch).
pub fn renew(pg: &Pg, lease: &Lease, terms: LeaseTerms) -> Result<bool, PgError> {
    let lease = lease.clone();
    pg.query(move |c| {
        let n = c.execute(
            "UPDATE app_leases SET expires_at = clock_timestamp() + make_interval(secs => $4)
             WHERE app = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
            &[&lease.app, &lease.owner, &(lease.epoch as i64), &secs(terms.expire_after)],
        )?;
        Ok(n == 1)
    })
}

/// Gives `lease` up now, so another node can take it without waiting for it to run
/// out; false when it was no longer held.
pub fn release(pg: &Pg, lease: &Lease) -> Result<bool, PgError> {
    let lease = lease.clone();
    pg.query(move |c| {
        let n = c.execute(
            "UPDATE app_leases SET expires_at = clock_timestamp()
             WHERE app = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
            &[&lease.app, &lease.owner, &(lease.epoch as i64)],
        )?;
        Ok(n == 1)
    })
}

/// The lease of `app` as it stands (None: never held).
pub fn holder(pg: &Pg, app: &str) -> Result<Option<Holder>, PgError> {
    let app = app.to_owned();
    pg.query(move |c| {
        let row = c.query_opt(
            "SELECT owner, epoch, expires_at > clock_timestamp() FROM app_leases WHERE app = $1",
            &[&app],
        )?;
        Ok(row.map(|r| Holder { owner: r.get(0), epoch: r.get::<_, i64>(1) as u64, live: r.get(2) }))
    })
}

/// Every app's lease as it stands, for [`super::plan`]: a free one says how long ago it
/// ran out or was released.
pub fn all(pg: &Pg) -> Result<std::collections::BTreeMap<String, super::plan::LeaseRow>, PgError> {
    let rows = pg.query(|c| {
        c.query(
            "SELECT app, owner, epoch,
                    CASE WHEN expires_at > clock_timestamp() THEN NULL
                         ELSE extract(epoch FROM clock_timestamp() - expires_at)::float8 END
             FROM app_leases",
            &[],
        )
    })?;
    Ok(rows
        .iter()
        .map(|r| {
            let free_for: Option<f64> = r.get(3);
            let row = super::plan::LeaseRow {
                owner: r.get(1),
                epoch: r.get::<_, i64>(2) as u64,
                free_for: free_for.map(|s| Duration::from_secs_f64(s.max(0.0))),
            };
            (r.get::<_, String>(0), row)
        })
        .collect())
}

/// Keeps a lease renewed on a connection of its own, until it is lost or dropped.
///
/// [`LeaseKeeper::is_held`] is false once a renewal was refused, or once the lease's
/// expiry has passed on this node's monotonic clock since the last renewal that
/// succeeded (measured from when that renewal was sent, so never later than the
/// database's own expiry). A node paused past its expiry therefore stops at once when
/// it runs again, before it could try to write: and if it tried, the journal's epoch
/// check would refuse it.
pub struct LeaseKeeper {
    lease: Lease,
    state: Arc<KeeperState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct KeeperState {
    lost: AtomicBool,
    stop: AtomicBool,
    valid_until: Mutex<Instant>,
}

impl KeeperState {
    fn held(&self) -> bool {
        !self.lost.load(Ordering::Acquire) && Instant::now() < *self.valid_until.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LeaseKeeper {
    /// Starts renewing `lease` (just acquired, at `acquired`) over `pg`.
    pub fn start(pg: Pg, lease: Lease, terms: LeaseTerms, acquired: Instant) -> LeaseKeeper {
        let state = Arc::new(KeeperState {
            lost: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            valid_until: Mutex::new(acquired + terms.expire_after),
        });
        let (st, renewing) = (state.clone(), lease.clone());
        let thread = std::thread::Builder::new()
            .name(format!("lineup-lease-{}", lease.app))
            .spawn(move || {
                while !st.stop.load(Ordering::Acquire) {
                    std::thread::sleep(terms.renew_every);
                    if st.stop.load(Ordering::Acquire) {
                        break;
                    }
                    if !st.held() {
                        st.lost.store(true, Ordering::Release);
                        break;
                    }
                    let sent = Instant::now();
                    match renew(&pg, &renewing, terms) {
                        Ok(true) => *st.valid_until.lock().unwrap_or_else(|e| e.into_inner()) = sent + terms.expire_after,
                        Ok(false) => {
                            tracing::warn!(app = %renewing.app, epoch = renewing.epoch, "lease lost: another node owns the app now");
                            st.lost.store(true, Ordering::Release);
                            break;
                        }
                        // A failed renewal is retried until the lease would run out.
                        Err(e) => tracing::warn!(app = %renewing.app, error = %e, "lease renewal failed"),
                    }
                }
            })
            .expect("a thread for the lease");
        LeaseKeeper { lease, state, thread: Some(thread) }
    }

    /// The lease kept.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Whether the lease is still this node's (see the type's documentation).
    pub fn is_held(&self) -> bool {
        self.state.held()
    }

    /// Stops renewing (the lease runs out by itself unless released).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.state.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.halt();
    }
}
