//! A hub turn: its transaction, the journal of its engine steps, snapshots, and the
//! roll-back of a job that panicked.

use lineup_engine::Time;

use super::Hub;
use crate::clock::now;
use crate::journal::{StepRef, StoredSnapshot};

impl Hub {
    /// Runs one job (or deadline) of the turn so that a panic in it cannot take the hub
    /// down: the job is refused (its caller gets [`HubError::Failed`]), everything it
    /// journaled or queued is rolled back, and the engine is rebuilt from the journal,
    /// which holds the turn's other jobs but not this one. `None` when it panicked
    /// outside the job's own guard, or the journal cannot be written (the caller then
    /// hears nothing but "stopped").
    pub(super) fn guarded<R>(&mut self, f: impl FnOnce(&mut Hub) -> R) -> Option<R> {
        let mark = (self.seq, self.fanout.mark(), self.after_reply.len());
        if let Err(e) = self.journal_store().savepoint() {
            self.journal_failed(e);
        }
        if self.broken.is_some() {
            return None;
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        let failed = match &result {
            Ok(_) => self.failed.take(),
            Err(panic) => Some(panic_text(panic)),
        };
        match failed {
            None => {
                if let Err(e) = self.journal_store().release_savepoint() {
                    self.journal_failed(e);
                }
            }
            Some(why) => self.roll_back(mark, &why),
        }
        result.ok()
    }

    /// Undoes a job that panicked: its journal steps and store writes, its frames, and
    /// whatever it did to the engine (rebuilt from the snapshot and the journal).
    pub(super) fn roll_back(&mut self, (seq, outbound, after_reply): (u64, usize, usize), why: &str) {
        self.panics += 1;
        tracing::error!(panic = %why, step = seq + 1, "a request panicked; it is refused and rolled back, and the engine is rebuilt from the journal");
        if let Err(e) = self.journal_store().rollback_to_savepoint() {
            self.journal_failed(e);
        }
        self.seq = seq;
        self.fanout.truncate(outbound);
        self.after_reply.truncate(after_reply);
        self.taken.clear();
        match crate::journal::rebuild(self.journal_store()) {
            Ok(engine) => self.engine = engine,
            Err(e) => self.journal_failed(e),
        }
    }

    /// Answers a health check from the hub itself: the store must answer too.
    pub fn health(&self) -> Result<Health, String> {
        self.store.conn().query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map_err(|e| format!("store: {e}"))?;
        Ok(Health { journal_step: self.seq, sessions: self.engine.session_count() as u64, refused_panics: self.panics })
    }

    /// Opens the turn's transaction.
    pub fn begin(&mut self) {
        if let Err(e) = self.journal_store().begin() {
            self.journal_failed(e);
        }
    }

    /// Commits the turn, then lets its frames go out. A turn in which a journal write
    /// failed is rolled back instead, and nothing of it goes out (the hub then ends).
    pub fn end_turn(&mut self) {
        let started = std::time::Instant::now();
        if self.broken.is_some() {
            return self.drop_turn();
        }
        if let Some(journal) = &mut self.cluster_journal {
            // The app hub's own rows changed in this turn go with it.
            match crate::store::mirror::take_changes(self.store.conn()) {
                Ok(rows) => journal.stage_rows(rows),
                Err(e) => {
                    self.journal_failed(crate::journal::JournalError::Store(format!("the app's own tables: {e}")))
                }
            }
        }
        if self.broken.is_none() {
            if let Err(e) = self.journal_store().commit() {
                self.journal_failed(e);
            }
        }
        if self.broken.is_some() {
            return self.drop_turn();
        }
        self.metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
        self.fanout.release();
        if std::mem::take(&mut self.wake_webhooks) {
            self.webhook_wake.notify_one();
        }
    }

    /// Not durable: the turn's writes are rolled back and its frames dropped.
    fn drop_turn(&mut self) {
        if let Err(e) = self.journal_store().rollback() {
            tracing::error!(error = %e, "cannot roll the failed turn back either");
        }
        self.fanout.discard();
    }

    /// Journals one engine step of this turn (none once a write of the turn failed:
    /// the turn is rolled back).
    pub(super) fn journal(&mut self, at: Time, step: StepRef<'_>) {
        if self.broken.is_some() {
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        if let Err(e) = self.journal_store().append(seq, at, &step.encode()) {
            self.journal_failed(e);
        }
    }

    /// Deadlines up to now.
    pub fn tick(&mut self) {
        let t = now();
        if self.engine.poll_timeout().map_or(true, |deadline| deadline > t) {
            return; // woke a little early: nothing is due yet
        }
        self.journal(t, StepRef::Tick);
        self.engine.handle_timeout(t);
    }

    /// Snapshots when enough was journaled since the last one (or it is old).
    pub(super) fn maybe_snapshot(&mut self) {
        let steps = self.seq - self.snapshot_seq;
        let age_ms = now().millis_since(self.snapshot_at);
        if steps >= self.config.snapshot_steps || (steps > 0 && age_ms >= self.config.snapshot_interval_s * 1000) {
            self.snapshot();
        }
    }

    /// Stores the engine's state as of the last journaled step and trims the journal.
    pub fn snapshot(&mut self) {
        if self.seq == self.snapshot_seq && self.snapshot_seq != 0 {
            return;
        }
        let started = std::time::Instant::now();
        let snapshot = StoredSnapshot { seq: self.seq, at: self.engine.now(), bytes: self.engine.snapshot() };
        let size = snapshot.bytes.len();
        self.begin();
        if let Err(e) = self.journal_store().save_snapshot(&snapshot) {
            self.journal_failed(e);
        }
        self.end_turn();
        self.snapshot_seq = self.seq;
        self.snapshot_at = now();
        tracing::debug!(step = self.seq, bytes = size, ms = started.elapsed().as_millis() as u64, "snapshot");
    }
}

/// What `/healthz` reports.
#[derive(Clone, Copy, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub journal_step: u64,
    pub sessions: u64,
    pub refused_panics: u64,
}

/// A panic's message.
pub(super) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lineup_engine::{AppSettings, Engine, Input};

    use crate::config::Config;
    use crate::hub::Hub;
    use crate::journal::{Journal, JournalError};
    use crate::store::Store;

    fn hub(dir: &std::path::Path) -> Hub {
        let store = Store::open(dir).unwrap();
        Hub::new(Engine::new(), store, Arc::new(Config::default()), Default::default(), 0, 0)
    }

    /// A turn in which one write failed commits none of its writes (those before the
    /// failure included) and journals nothing after it: a restart finds the journal as
    /// the last good turn left it, with no step missing.
    #[test]
    fn a_turn_with_a_failed_write_commits_nothing_of_it() {
        let dir = std::env::temp_dir().join(format!("lineup-turn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut h = hub(&dir);
        h.begin();
        h.input(Input::PutApp { app: "a".into(), settings: AppSettings::default() }).unwrap();
        h.end_turn();
        assert_eq!(h.store.recover().unwrap().last_seq(), 1, "the good turn is durable");

        h.begin();
        h.input(Input::PutApp { app: "b".into(), settings: AppSettings::default() }).unwrap();
        h.journal_failed(JournalError::Store("injected: the disk is full".into()));
        h.input(Input::PutApp { app: "c".into(), settings: AppSettings::default() }).unwrap();
        h.end_turn();
        assert!(h.broken.is_some(), "the hub ends with the error");
        assert_eq!(h.store.recover().unwrap().last_seq(), 1, "nothing of the failed turn was committed");
        drop(h);

        let mut again = Store::open(&dir).unwrap();
        let recovery = again.recover().unwrap();
        assert_eq!(recovery.tail.len(), 1);
        let engine = crate::journal::replay(&recovery).unwrap();
        assert!(engine.app_settings("a").is_some() && engine.app_settings("b").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
