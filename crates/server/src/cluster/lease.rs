//! An app's lease: which node owns the app's engine, under which fencing epoch, until
//! when. Every time is the database's (`clock_timestamp()`), so the nodes' own clocks
//! never decide who owns what.
//!
//! - [`acquire`]: takes a free or run-out lease, raising its epoch.
//! - [`renew`]: extends a lease its holder still holds.
//! - [`release`]: gives it up at once (a graceful hand-over).
//! - [`all`]: every app's lease, as the placement plan reads them.
//! - [`LeaseKeeper`]: a thread that renews a node's leases and tells which are lost; its
//!   own monotonic deadlines make a node that was paused step down the moment it runs
//!   again.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::worker::Worker;
use crate::pg::{Pg, PgError};

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
        let row =
            c.query_opt("SELECT owner, epoch, expires_at > clock_timestamp() FROM app_leases WHERE app = $1", &[&app])?;
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

/// Keeps a node's leases renewed, all in one statement every `renew_every`, on a
/// connection and a thread of its own (so a slow start or stop of an app never delays
/// the renewals), and tells which are still held.
///
/// A lease is held while it is kept, no renewal was refused, and this node's monotonic
/// clock has not passed its expiry counted from when its last successful renewal was
/// sent (so never later than the database's own expiry). A node paused past its expiry
/// therefore finds its leases gone the moment it runs again, before it could try to
/// write: and if it tried, the journal's epoch check would refuse it.
pub struct LeaseKeeper {
    state: Arc<KeeperState>,
    worker: Worker,
}

struct Kept {
    epoch: u64,
    valid_until: Instant,
    lost: bool,
}

impl Kept {
    fn held(&self) -> bool {
        !self.lost && Instant::now() < self.valid_until
    }
}

struct KeeperState {
    node: String,
    terms: LeaseTerms,
    leases: Mutex<BTreeMap<String, Kept>>,
}

impl KeeperState {
    fn leases(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Kept>> {
        self.leases.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Renews every (app, epoch) of `keep` held by `node`; returns the apps renewed.
fn renew_all(pg: &Pg, node: &str, keep: Vec<(String, u64)>, terms: LeaseTerms) -> Result<Vec<String>, PgError> {
    let node = node.to_owned();
    let (apps, epochs): (Vec<String>, Vec<i64>) = keep.into_iter().map(|(a, e)| (a, e as i64)).unzip();
    let rows = pg.query(move |c| {
        c.query(
            "UPDATE app_leases AS l SET expires_at = clock_timestamp() + make_interval(secs => $2)
             FROM unnest($3::text[], $4::int8[]) AS k(app, epoch)
             WHERE l.app = k.app AND l.epoch = k.epoch AND l.owner = $1 AND l.expires_at > clock_timestamp()
             RETURNING l.app",
            &[&node, &secs(terms.expire_after), &apps, &epochs],
        )
    })?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

impl LeaseKeeper {
    /// Starts renewing the leases `node` will keep, over `pg`.
    pub fn start(pg: Pg, node: &str, terms: LeaseTerms) -> LeaseKeeper {
        let state = Arc::new(KeeperState { node: node.to_owned(), terms, leases: Mutex::default() });
        let st = state.clone();
        let worker = Worker::spawn("lineup-leases".into(), move |stop| {
            while !stop.load(Ordering::Acquire) {
                std::thread::sleep(terms.renew_every);
                let keep: Vec<(String, u64)> =
                    st.leases().iter().filter(|(_, k)| k.held()).map(|(a, k)| (a.clone(), k.epoch)).collect();
                for (app, kept) in st.leases().iter_mut() {
                    if !kept.held() && !kept.lost {
                        tracing::warn!(app = %app, epoch = kept.epoch, "lease ran out before it could be renewed");
                        kept.lost = true;
                    }
                }
                if keep.is_empty() || stop.load(Ordering::Acquire) {
                    continue;
                }
                let sent = Instant::now();
                match renew_all(&pg, &st.node, keep.clone(), terms) {
                    Ok(renewed) => {
                        let mut leases = st.leases();
                        for (app, epoch) in keep {
                            let Some(kept) = leases.get_mut(&app).filter(|k| k.epoch == epoch) else { continue };
                            if renewed.contains(&app) {
                                kept.valid_until = sent + terms.expire_after;
                            } else if !kept.lost {
                                tracing::warn!(app = %app, epoch, "lease lost: another node owns the app now");
                                kept.lost = true;
                            }
                        }
                    }
                    // A failed renewal is retried until the leases would run out.
                    Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
                }
            }
        })
        .expect("a thread for the leases");
        LeaseKeeper { state, worker }
    }

    /// Keeps `lease` (just acquired, at `acquired`) renewed from now on.
    pub fn keep(&self, lease: &Lease, acquired: Instant) {
        let kept = Kept { epoch: lease.epoch, valid_until: acquired + self.state.terms.expire_after, lost: false };
        self.state.leases().insert(lease.app.clone(), kept);
    }

    /// Stops keeping `app`'s lease (handed over or stepped down).
    pub fn forget(&self, app: &str) {
        self.state.leases().remove(app);
    }

    /// Whether `app`'s lease is still this node's (see the type's documentation).
    pub fn is_held(&self, app: &str) -> bool {
        self.state.leases().get(app).is_some_and(Kept::held)
    }

    /// The apps kept, with their epochs and whether each is still held.
    pub fn kept(&self) -> BTreeMap<String, (u64, bool)> {
        self.state.leases().iter().map(|(a, k)| (a.clone(), (k.epoch, k.held()))).collect()
    }

    /// Stops renewing (the leases run out by themselves unless released).
    pub fn stop(mut self) {
        self.worker.halt();
    }
}
