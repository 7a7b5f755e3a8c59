//! A node's ownership loop: every `poll_every` it beats its heartbeat, reads the live
//! nodes, the apps and the leases, and carries out [`plan`]'s actions through an
//! [`AppRunner`] (which starts and stops an app's engine); its [`LeaseKeeper`] renews
//! the leases of what runs here on a thread of its own.
//!
//! Failover: a node that dies stops beating and renewing; once its leases run out
//! (1.5 s after their last renewal at most), each app's preferred live node takes it at
//! its next poll. Hand-over: a node that joins is preferred for its share; their owners
//! stop them gracefully and release them, and it takes them at its next poll. A node
//! leaving (SIGTERM) marks itself leaving and hands over everything the same way.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::lease::{self, LeaseKeeper};
use super::plan::{plan, Action, View};
use super::worker::Worker;
use super::{apps, nodes, schema, Lease, LeaseTerms};
use crate::pg::{Pg, PgError};

/// Starts and stops the engines of the apps this node owns.
pub trait AppRunner: Send + 'static {
    /// Starts `lease.app`'s engine under `lease` (restoring it from its journal).
    fn start(&mut self, lease: &Lease) -> Result<(), String>;
    /// Stops the app's engine: `graceful` finishes its turn, commits and tells its
    /// clients to reconnect; otherwise it stops at once, writing nothing more.
    fn stop(&mut self, app: &str, graceful: bool);
    /// Whether the app's engine still runs (false once it ended by itself: its journal
    /// failed); the node then gives the app up.
    fn alive(&self, _app: &str) -> bool {
        true
    }
}

/// A node's identity and timing.
#[derive(Clone, Debug)]
pub struct NodeSettings {
    pub id: String,
    /// Where the other nodes reach this one (`host:port`).
    pub addr: String,
    pub terms: LeaseTerms,
    pub poll_every: Duration,
    /// A node is live while its last heartbeat is at most this old.
    pub live_within: Duration,
}

impl NodeSettings {
    pub fn new(id: &str, addr: &str) -> NodeSettings {
        NodeSettings {
            id: id.into(),
            addr: addr.into(),
            terms: LeaseTerms::default(),
            poll_every: Duration::from_millis(100),
            live_within: Duration::from_millis(1000),
        }
    }
}

/// Where an app runs, as this node last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Here, under this epoch.
    Here(u64),
    /// On another node.
    Node(String),
    /// Nowhere right now (between owners).
    Nowhere,
}

#[derive(Default)]
struct Shared {
    leaving: AtomicBool,
    /// Leaving, and nothing runs here any more: the loop only watches the placements
    /// (so that the node still finds other apps' owners until its process ends).
    handed_over: AtomicBool,
    /// Stop as if the process died: no hand-over, no release.
    abandon: AtomicBool,
    placements: Mutex<BTreeMap<String, Placement>>,
    /// Polls done.
    polls: std::sync::atomic::AtomicU64,
    /// The live nodes' addresses, by id, as last seen.
    addrs: Mutex<BTreeMap<String, String>>,
}

/// The running loop of one node.
pub struct Ownership {
    shared: Arc<Shared>,
    worker: Worker,
}

impl Ownership {
    /// Connects (two connections: the loop's and the lease keeper's), brings the schema
    /// up to date, beats once and starts the loop.
    pub fn start(url: &str, settings: NodeSettings, runner: impl AppRunner) -> Result<Ownership, PgError> {
        let pg = Pg::connect(url)?;
        schema::migrate(&pg)?;
        nodes::heartbeat(&pg, &settings.id, &settings.addr)?;
        let keeper = LeaseKeeper::start(Pg::connect(url)?, &settings.id, settings.terms);
        let shared = Arc::new(Shared::default());
        let loop_shared = shared.clone();
        let worker = Worker::spawn(format!("lineup-node-{}", settings.id), move |stop| {
            run(pg, keeper, settings, runner, &loop_shared, stop)
        })
        .map_err(|e| PgError::Connect(format!("cannot start the node's thread: {e}")))?;
        Ok(Ownership { shared, worker })
    }

    /// Where `app` runs, as last seen (None: an app this node has not seen yet).
    pub fn placement(&self, app: &str) -> Option<Placement> {
        self.shared.placements.lock().unwrap_or_else(|e| e.into_inner()).get(app).cloned()
    }

    /// Where the live node `node` is reached (None: not live as last seen).
    pub fn addr_of(&self, node: &str) -> Option<String> {
        self.shared.addrs.lock().unwrap_or_else(|e| e.into_inner()).get(node).cloned()
    }

    /// The live nodes' addresses, as last seen.
    pub fn addrs(&self) -> Vec<String> {
        self.shared.addrs.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    /// Polls done so far (0: the node has not looked at the cluster yet).
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::Acquire)
    }

    /// Every app's placement, as last seen.
    pub fn placements(&self) -> BTreeMap<String, Placement> {
        self.shared.placements.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Starts leaving the cluster: the loop hands every app over (stopped gracefully,
    /// then released) and ends once nothing runs here. The placements stay readable
    /// meanwhile, so requests for other apps still find their owners.
    pub fn start_leaving(&self) {
        self.shared.leaving.store(true, Ordering::Release);
    }

    /// Whether every app was handed over (after [`start_leaving`](Self::start_leaving)).
    pub fn has_left(&self) -> bool {
        self.shared.handed_over.load(Ordering::Acquire) || self.worker.is_finished()
    }

    /// Leaves the cluster gracefully: [`start_leaving`](Self::start_leaving), and
    /// returns once nothing runs here, or after `within`.
    pub fn leave(mut self, within: Duration) {
        self.start_leaving();
        let started = Instant::now();
        while !self.has_left() && started.elapsed() < within {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.worker.halt();
    }

    /// Stops the loop at once, as if the process died (what `kill -9` does): no
    /// hand-over, no release, no goodbye; the leases run out by themselves.
    pub fn abandon(mut self) {
        self.shared.abandon.store(true, Ordering::Release);
        self.worker.halt();
    }
}

/// The loop: one poll after another until stopped, abandoned, or left.
fn run(
    pg: Pg,
    keeper: LeaseKeeper,
    settings: NodeSettings,
    mut runner: impl AppRunner,
    shared: &Shared,
    stop: &AtomicBool,
) {
    let mut left = false;
    loop {
        if shared.abandon.load(Ordering::Acquire) {
            return; // the keeper stops renewing as it drops; nothing is released
        }
        let leaving = shared.leaving.load(Ordering::Acquire);
        match poll(&pg, &keeper, &settings, &mut runner, leaving, &mut left) {
            Ok((placements, running, addrs)) => {
                *shared.placements.lock().unwrap_or_else(|e| e.into_inner()) = placements;
                *shared.addrs.lock().unwrap_or_else(|e| e.into_inner()) = addrs;
                shared.polls.fetch_add(1, Ordering::Release);
                if leaving && running == 0 {
                    // Handed over: from now on the loop only watches, until stopped.
                    shared.handed_over.store(true, Ordering::Release);
                }
            }
            Err(e) => {
                tracing::warn!(node = %settings.id, error = %e, "cluster poll failed; retrying")
            }
        }
        if shared.abandon.load(Ordering::Acquire) {
            return;
        }
        if stop.load(Ordering::Acquire) && leaving {
            return; // what still runs here (if the hand-over ran out of time) is left to expire
        }
        if stop.load(Ordering::Acquire) && !leaving {
            // Stopped without leaving: what runs here stops at once, leases released.
            for (app, (epoch, _)) in keeper.kept() {
                runner.stop(&app, true);
                keeper.forget(&app);
                let _ = lease::release(&pg, &Lease { app, owner: settings.id.clone(), epoch });
            }
            return;
        }
        std::thread::sleep(settings.poll_every);
    }
}

/// What one poll saw: the placements, how many apps run here after it, and the live
/// nodes' addresses.
type Seen = (BTreeMap<String, Placement>, usize, BTreeMap<String, String>);

/// One poll.
fn poll(
    pg: &Pg,
    keeper: &LeaseKeeper,
    settings: &NodeSettings,
    runner: &mut impl AppRunner,
    leaving: bool,
    left: &mut bool,
) -> Result<Seen, PgError> {
    let me = settings.id.as_str();
    if leaving && !*left {
        nodes::leave(pg, me)?;
        *left = true;
    } else if !leaving {
        nodes::heartbeat(pg, me, &settings.addr)?;
    }
    // Leases lost (refused or run out) stop at once, before anything else; an app
    // whose engine ended by itself is given up (released, so another node takes it).
    for (app, (epoch, held)) in keeper.kept() {
        if !held {
            tracing::warn!(node = me, app = %app, "lease lost; stepping down");
            runner.stop(&app, false);
            keeper.forget(&app);
        } else if !runner.alive(&app) {
            tracing::warn!(node = me, app = %app, "the app's engine ended; giving the app up");
            runner.stop(&app, false);
            keeper.forget(&app);
            lease::release(pg, &Lease { app, owner: me.into(), epoch })?;
        }
    }
    let addrs: BTreeMap<String, String> =
        nodes::live(pg, settings.live_within)?.into_iter().map(|n| (n.id, n.addr)).collect();
    let live: Vec<String> = addrs.keys().cloned().collect();
    let ages = apps::ages(pg)?;
    let apps: Vec<String> = ages.iter().map(|(a, _)| a.clone()).collect();
    let mut leases = lease::all(pg)?;
    // An app never owned counts as free since it was created: a new app waits the
    // grace for its preferred node (instead of going to whichever node looks first and
    // being handed over at once).
    for (app, age) in ages {
        leases.entry(app).or_insert(super::plan::LeaseRow { owner: String::new(), epoch: 0, free_for: Some(age) });
    }
    let mut running: BTreeMap<String, u64> = keeper.kept().into_iter().map(|(a, (epoch, _))| (a, epoch)).collect();
    let actions = plan(&View { me, leaving, live: &live, apps: &apps, leases: &leases, running: &running });
    let mut placements: BTreeMap<String, Placement> =
        running.iter().map(|(a, e)| (a.clone(), Placement::Here(*e))).collect();
    for action in actions {
        match action {
            Action::Acquire { app } => {
                let asked = Instant::now();
                let Some(lease) = lease::acquire(pg, &app, me, settings.terms)? else {
                    placements.insert(app, Placement::Nowhere);
                    continue;
                };
                keeper.keep(&lease, asked);
                match runner.start(&lease) {
                    Ok(()) => {
                        tracing::info!(node = me, app = %app, epoch = lease.epoch, "app taken");
                        running.insert(app.clone(), lease.epoch);
                        placements.insert(app, Placement::Here(lease.epoch));
                    }
                    Err(e) => {
                        tracing::error!(node = me, app = %app, error = %e, "cannot start the app; giving it up");
                        keeper.forget(&app);
                        lease::release(pg, &lease)?;
                        placements.insert(app, Placement::Nowhere);
                    }
                }
            }
            Action::HandOver { app } => {
                let epoch = running.remove(&app).expect("handed over: it runs here");
                runner.stop(&app, true);
                keeper.forget(&app);
                lease::release(pg, &Lease { app: app.clone(), owner: me.into(), epoch })?;
                tracing::info!(node = me, app = %app, epoch, "app handed over");
                placements.insert(app, Placement::Nowhere);
            }
            Action::StepDown { app } => {
                running.remove(&app);
                runner.stop(&app, false);
                keeper.forget(&app);
                placements.insert(app, Placement::Nowhere);
            }
            Action::Route { app, owner } => {
                placements.insert(app, owner.map_or(Placement::Nowhere, Placement::Node));
            }
        }
    }
    Ok((placements, running.len(), addrs))
}
