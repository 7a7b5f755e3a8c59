//! What a node does about each app, decided from what it sees: the live nodes, the
//! apps, the leases as the database has them, and the apps whose engine runs here.
//! A pure function, so that the rules of placement and hand-over are tested on their
//! own (and the same inputs give the same actions on every node):
//!
//! - an app runs where rendezvous placement prefers it, among the live nodes;
//! - a free lease (never held, run out, released) is taken by the preferred node, or by
//!   any live node once it has stayed free past a grace (the preferred node may be
//!   slow to see it);
//! - a node that runs an app another live node is preferred for, or that is leaving,
//!   hands it over: it stops the app's engine (finishing its turn, committing, telling
//!   its clients to reconnect) and then releases the lease, so the new owner can take
//!   it at once instead of waiting for the lease to run out;
//! - a node whose lease the database no longer shows as its own stops the app at once,
//!   writing nothing (its commits would be fenced anyway).

use std::collections::BTreeMap;
use std::time::Duration;

use super::placement::preferred_owner;

/// An app's lease as the database has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRow {
    pub owner: String,
    pub epoch: u64,
    /// None while live; how long ago it ran out (or was released) otherwise.
    pub free_for: Option<Duration>,
}

/// What a node sees.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub me: &'a str,
    /// This node is shutting down (SIGTERM): it hands over everything it runs.
    pub leaving: bool,
    /// The live nodes (this one included while it is not leaving).
    pub live: &'a [String],
    /// Every app.
    pub apps: &'a [String],
    /// The leases, by app (an app never owned has none).
    pub leases: &'a BTreeMap<String, LeaseRow>,
    /// The apps whose engine runs here, with the epoch they run under.
    pub running: &'a BTreeMap<String, u64>,
}

/// One thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Try to take the app's lease, then start its engine from its journal.
    Acquire { app: String },
    /// Stop the app's engine gracefully, then release its lease.
    HandOver { app: String },
    /// Stop the app's engine now: its lease is not this node's any more.
    StepDown { app: String },
    /// The app runs on `owner` (requests for it go there); None: nowhere right now.
    Route { app: String, owner: Option<String> },
}

/// How long a free lease waits for its preferred node before any live node takes it.
pub const TAKEOVER_GRACE: Duration = Duration::from_millis(500);

/// The actions for every app, in app order.
pub fn plan(view: &View<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    for app in view.apps {
        let lease = view.leases.get(app);
        let preferred = preferred_owner(app, view.live);
        let app_ = || app.clone();
        if let Some(&epoch) = view.running.get(app) {
            let still_mine = lease.is_some_and(|l| l.owner == view.me && l.epoch == epoch && l.free_for.is_none());
            if !still_mine {
                actions.push(Action::StepDown { app: app_() });
            } else if view.leaving || preferred.is_some_and(|p| p != view.me) {
                actions.push(Action::HandOver { app: app_() });
            }
            continue;
        }
        match lease.filter(|l| l.free_for.is_none()) {
            Some(held) => actions.push(Action::Route { app: app_(), owner: Some(held.owner.clone()) }),
            None => {
                let waited = lease.and_then(|l| l.free_for).unwrap_or(Duration::MAX);
                let take =
                    !view.leaving && (preferred == Some(view.me) || (waited >= TAKEOVER_GRACE && preferred.is_some()));
                if take {
                    actions.push(Action::Acquire { app: app_() });
                } else {
                    actions.push(Action::Route { app: app_(), owner: None });
                }
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn held(owner: &str, epoch: u64) -> LeaseRow {
        LeaseRow { owner: owner.into(), epoch, free_for: None }
    }

    fn free(owner: &str, epoch: u64, ms: u64) -> LeaseRow {
        LeaseRow { owner: owner.into(), epoch, free_for: Some(Duration::from_millis(ms)) }
    }

    /// An app that `node` is preferred for among `live`.
    fn app_for(node: &str, live: &[String]) -> String {
        (0..).map(|i| format!("app{i}")).find(|a| preferred_owner(a, live) == Some(node)).unwrap()
    }

    fn plan_for(
        me: &str,
        leaving: bool,
        live: &[String],
        apps: &[String],
        leases: &BTreeMap<String, LeaseRow>,
        running: &BTreeMap<String, u64>,
    ) -> Vec<Action> {
        plan(&View { me, leaving, live, apps, leases, running })
    }

    #[test]
    fn a_free_app_is_taken_by_its_preferred_node_and_by_another_only_after_the_grace() {
        let live = names(&["a", "b", "c"]);
        let app = app_for("b", &live);
        let apps = vec![app.clone()];
        let none = BTreeMap::new();
        let never: BTreeMap<String, LeaseRow> = BTreeMap::new();
        assert_eq!(plan_for("b", false, &live, &apps, &never, &none), [Action::Acquire { app: app.clone() }]);
        // Never held counts as free for ever: anyone may take it (a new cluster).
        assert_eq!(plan_for("a", false, &live, &apps, &never, &none), [Action::Acquire { app: app.clone() }]);
        let just_freed = BTreeMap::from([(app.clone(), free("c", 3, 100))]);
        assert_eq!(
            plan_for("a", false, &live, &apps, &just_freed, &none),
            [Action::Route { app: app.clone(), owner: None }]
        );
        assert_eq!(plan_for("b", false, &live, &apps, &just_freed, &none), [Action::Acquire { app: app.clone() }]);
        let long_free = BTreeMap::from([(app.clone(), free("c", 3, 600))]);
        assert_eq!(plan_for("a", false, &live, &apps, &long_free, &none), [Action::Acquire { app: app.clone() }]);
        // A leaving node takes nothing.
        assert_eq!(plan_for("b", true, &live, &apps, &never, &none), [Action::Route { app, owner: None }]);
    }

    #[test]
    fn a_held_app_is_routed_to_its_owner_and_run_on_where_it_belongs() {
        let live = names(&["a", "b"]);
        let app = app_for("a", &live);
        let apps = vec![app.clone()];
        let leases = BTreeMap::from([(app.clone(), held("a", 7))]);
        let running = BTreeMap::from([(app.clone(), 7)]);
        assert_eq!(plan_for("a", false, &live, &apps, &leases, &running), []);
        assert_eq!(
            plan_for("b", false, &live, &apps, &leases, &BTreeMap::new()),
            [Action::Route { app, owner: Some("a".into()) }]
        );
    }

    #[test]
    fn a_node_joining_gets_its_apps_by_hand_over_and_a_leaving_node_hands_over_everything() {
        let before = names(&["a", "b"]);
        let after = names(&["a", "b", "c"]);
        // An app a runs that now prefers the new node c.
        let app = (0..)
            .map(|i| format!("app{i}"))
            .find(|x| preferred_owner(x, &before) == Some("a") && preferred_owner(x, &after) == Some("c"))
            .unwrap();
        let apps = vec![app.clone()];
        let leases = BTreeMap::from([(app.clone(), held("a", 2))]);
        let running = BTreeMap::from([(app.clone(), 2)]);
        assert_eq!(plan_for("a", false, &after, &apps, &leases, &running), [Action::HandOver { app: app.clone() }]);
        // c waits for the release (the lease is still live), then takes it at once.
        assert_eq!(
            plan_for("c", false, &after, &apps, &leases, &BTreeMap::new()),
            [Action::Route { app: app.clone(), owner: Some("a".into()) }]
        );
        let released = BTreeMap::from([(app.clone(), free("a", 2, 0))]);
        assert_eq!(
            plan_for("c", false, &after, &apps, &released, &BTreeMap::new()),
            [Action::Acquire { app: app.clone() }]
        );
        // a, leaving, hands over even what it is preferred for.
        let mine = app_for("a", &before);
        let apps = vec![mine.clone()];
        let leases = BTreeMap::from([(mine.clone(), held("a", 1))]);
        let running = BTreeMap::from([(mine.clone(), 1)]);
        assert_eq!(plan_for("a", true, &names(&["b"]), &apps, &leases, &running), [Action::HandOver { app: mine }]);
    }

    #[test]
    fn a_node_whose_lease_is_gone_steps_down_at_once() {
        let live = names(&["a", "b"]);
        let app = app_for("a", &live);
        let apps = vec![app.clone()];
        let running = BTreeMap::from([(app.clone(), 4)]);
        for leases in [
            BTreeMap::from([(app.clone(), held("b", 5))]),
            BTreeMap::from([(app.clone(), free("a", 4, 10))]),
            BTreeMap::from([(app.clone(), held("a", 5))]),
            BTreeMap::new(),
        ] {
            assert_eq!(
                plan_for("a", false, &live, &apps, &leases, &running),
                [Action::StepDown { app: app.clone() }],
                "{leases:?}"
            );
        }
    }
}
