//! What the hub tells of itself at a scrape: its queues, sessions, journal step and
//! webhook backlog ([`crate::metrics::Monitor`]).

use super::Hub;
use crate::metrics::Monitor;

impl Hub {
    /// The scrape-time figures (one pass over queues and sessions).
    pub fn monitor(&self) -> Monitor {
        let mut apps: Vec<&String> = self.apps.keys().collect();
        apps.sort();
        let mut queues = Vec::new();
        for app in &apps {
            for q in self.engine.queues(app) {
                if let Some(m) = self.engine.queue_monitor(q.queue) {
                    queues.push(((*app).clone(), m));
                }
            }
        }
        let (pending, dead) = crate::webhooks::store::backlog(self.store.conn()).unwrap_or_default();
        Monitor {
            queues,
            apps: apps.len(),
            sessions: self.engine.session_activity(),
            journal_step: self.journal_step(),
            webhooks_pending: pending,
            webhooks_dead: dead,
        }
    }
}
