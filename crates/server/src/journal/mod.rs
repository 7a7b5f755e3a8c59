//! The journal: the engine's inputs, durable, so that live state survives a restart
//! or a crash.
//!
//! Every step the engine takes (an input, or time passing: a tick) is appended with its
//! time before anything it causes leaves the server. The steps of one hub turn, and
//! everything else the turn writes (webhook deliveries, resume tokens, used tickets,
//! apps and queues), commit in one transaction: a group commit, so durability costs
//! one commit per turn, not per request. Snapshots of the whole engine state bound the
//! replay: start-up restores the latest snapshot and replays the journal after it
//! through the same engine, which is deterministic, so it reaches the same state.
//!
//! - [`Journal`]: the storage interface (on SQLite in `store::journal`; the cluster mode
//!   implements it on PostgreSQL, with its fencing epoch checked in `commit`).
//! - [`Step`]: what one journal record holds, and its encoding.

use lineup_engine::{Engine, Input, SnapshotError, Time};
use serde::{Deserialize, Serialize};

/// The journal's own format version (of [`Step`]'s encoding), kept in the store: a
/// store written by a newer format is refused by an older server, with the reason.
///
/// - Format 2 (written now): a record is the byte [`STEP_V2`], then the step in
///   MessagePack with field and variant names, so that fields added later (with
///   `#[serde(default)]`) leave older records readable.
/// - Format 1 (written until 2026-12): bincode, fields by position; its first byte is
///   0 (an input) or 1 (a tick). Read with today's types, as version-1 snapshots are
///   (see `lineup_engine::snapshot`).
///
/// A store of format 1 is carried on in format 2: its old records stay as they are and
/// are read as such; new ones are written in format 2.
pub const STEP_FORMAT: u32 = 2;

/// The first byte of a format-2 record.
pub const STEP_V2: u8 = 2;

/// One engine step as journaled.
#[derive(Debug, Deserialize)]
pub enum Step {
    /// `Engine::handle(at, input)`.
    Input(Input),
    /// `Engine::handle_timeout(at)`.
    Tick,
}

/// A step to write (borrowed; encodes exactly as [`Step`]).
#[derive(Serialize)]
pub enum StepRef<'a> {
    Input(&'a Input),
    Tick,
}

impl StepRef<'_> {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![STEP_V2];
        rmp_serde::encode::write_named(&mut out, self).expect("engine inputs serialize into memory");
        out
    }
}

impl Step {
    /// Reads a record of any format this server knows.
    pub fn decode(seq: u64, bytes: &[u8]) -> Result<Step, JournalError> {
        let damaged = |e: String| JournalError::Damaged(format!("journal record {seq}: {e}"));
        match bytes.first() {
            Some(&STEP_V2) => rmp_serde::from_slice(&bytes[1..]).map_err(|e| damaged(e.to_string())),
            Some(0 | 1) => bincode::deserialize(bytes).map_err(|e| damaged(format!("format 1: {e}"))),
            Some(&tag) => Err(JournalError::Format { found: u32::from(tag) }),
            None => Err(damaged("empty".into())),
        }
    }
}

/// One stored report row: an app's queue or agent over one interval, as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// `queue` or `agent`.
    pub kind: String,
    /// The queue id or the agent's user id.
    pub subject: String,
    pub start_ms: u64,
    pub body: String,
}

/// A journal record read back.
#[derive(Debug)]
pub struct Record {
    pub seq: u64,
    pub at: Time,
    pub step: Vec<u8>,
}

/// A stored snapshot: the engine state after journal record `seq`.
#[derive(Debug)]
pub struct StoredSnapshot {
    pub seq: u64,
    pub at: Time,
    pub bytes: Vec<u8>,
}

/// What start-up needs: the latest snapshot and every record after it, in order.
#[derive(Debug, Default)]
pub struct Recovery {
    pub snapshot: Option<StoredSnapshot>,
    pub tail: Vec<Record>,
}

impl Recovery {
    /// The sequence number of the last durable step (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.tail.last().map(|r| r.seq).or(self.snapshot.as_ref().map(|s| s.seq)).unwrap_or(0)
    }

    /// Nothing was ever journaled (a new data directory, or one from before the journal).
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_none() && self.tail.is_empty()
    }
}

/// Why the journal cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal store: {0}")]
    Store(String),
    #[error("journal damaged: {0}")]
    Damaged(String),
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    #[error("journal format {found} is newer than this server understands ({STEP_FORMAT})")]
    Format { found: u32 },
    /// The app's lease was taken over (or ran out): this node must stop writing for it.
    #[error("app {app}: the lease of epoch {epoch} is no longer held; another node owns the app")]
    Fenced { app: String, epoch: u64 },
}

/// The storage behind the journal and the session tokens. Calls run on the hub's thread,
/// in turns: `begin`, appends and other writes, `commit`.
pub trait Journal {
    /// Opens the turn's transaction.
    fn begin(&mut self) -> Result<(), JournalError>;
    /// Appends step `seq` (consecutive, from 1) inside the open transaction.
    fn append(&mut self, seq: u64, at: Time, step: &[u8]) -> Result<(), JournalError>;
    /// Makes the turn durable: once it returns, nothing of the turn can be lost.
    fn commit(&mut self) -> Result<(), JournalError>;
    /// Drops the open turn: nothing of it becomes durable (a write of it failed).
    fn rollback(&mut self) -> Result<(), JournalError>;
    /// Marks the start of one job inside the turn ...
    fn savepoint(&mut self) -> Result<(), JournalError>;
    /// ... keeps what the job wrote ...
    fn release_savepoint(&mut self) -> Result<(), JournalError>;
    /// ... or undoes it (the job panicked), keeping the rest of the turn.
    fn rollback_to_savepoint(&mut self) -> Result<(), JournalError>;
    /// The latest snapshot and the records after it.
    fn recover(&mut self) -> Result<Recovery, JournalError>;
    /// Stores a snapshot taken after record `seq` and trims everything it covers
    /// (older snapshots, records up to `seq`), inside the open transaction.
    fn save_snapshot(&mut self, snapshot: &StoredSnapshot) -> Result<(), JournalError>;

    /// Remembers a session's resume token (by its hash).
    fn put_resume_token(&mut self, hash: &str, session: u64) -> Result<(), JournalError>;
    /// Forgets a resume token.
    fn drop_resume_token(&mut self, hash: &str) -> Result<(), JournalError>;
    /// Every stored resume token hash with its session.
    fn resume_tokens(&mut self) -> Result<Vec<(String, u64)>, JournalError>;
    /// Marks a login ticket used until it expires; false when it was used before.
    fn use_ticket(&mut self, id: &str, exp_s: u64, now_s: u64) -> Result<bool, JournalError>;

    /// Stores an ended interval's report rows of `app` inside the open transaction
    /// (replacing rows of the same key), and drops its rows that start before
    /// `keep_from_ms`.
    fn put_report_rows(&mut self, app: &str, rows: &[ReportRow], keep_from_ms: u64) -> Result<(), JournalError>;
    /// The stored rows of `app` of `kind` starting in `from_ms..to_ms`, by start then
    /// subject.
    fn report_rows(&mut self, app: &str, kind: &str, from_ms: u64, to_ms: u64) -> Result<Vec<ReportRow>, JournalError>;
}

/// One row of a hub's own SQLite tables that a turn changed: its table, its id, and
/// its columns as JSON (None: deleted). See `crate::store::mirror`.
#[derive(Clone, Debug, PartialEq)]
pub struct RowChange {
    pub table: String,
    pub id: i64,
    pub data: Option<String>,
}

/// A journal kept apart from the hub's SQLite store (a cluster app's, in PostgreSQL):
/// the rows of the store's own tables that a turn changed go into the same turn, and
/// the recordings are listed on its database.
pub trait AppJournal: Journal + Send {
    /// The rows the turn changed, written with its commit.
    fn stage_rows(&mut self, rows: Vec<RowChange>);
    /// The database it writes to (the recordings index is there too).
    fn pg(&self) -> &crate::pg::Pg;
}

/// The engine in the state the records describe: the snapshot restored, then every
/// record after it replayed (what each step caused was delivered when it ran, so the
/// outputs are dropped).
pub fn replay(recovery: &Recovery) -> Result<Engine, JournalError> {
    let mut engine = match &recovery.snapshot {
        Some(s) => Engine::restore(&s.bytes)?,
        None => Engine::new(),
    };
    for record in &recovery.tail {
        match Step::decode(record.seq, &record.step)? {
            Step::Input(input) => {
                let _ = engine.handle(record.at, input);
            }
            Step::Tick => engine.handle_timeout(record.at),
        }
        while engine.poll_output().is_some() {}
    }
    Ok(engine)
}

/// An engine restored from a journal, and where the journal stands.
pub struct Restored {
    pub engine: Engine,
    /// The last durable step, and the step its snapshot covers (0: none).
    pub last_seq: u64,
    pub snapshot_seq: u64,
    /// Steps replayed after the snapshot.
    pub replayed: u64,
    /// Nothing was ever journaled (a new data directory or app).
    pub fresh: bool,
}

/// Restores the engine from `journal`: its latest snapshot, then every step after it
/// (one start-up for a single node and for a cluster node's app).
pub fn restore(journal: &mut dyn Journal) -> Result<Restored, JournalError> {
    let recovery = journal.recover()?;
    Ok(Restored {
        engine: replay(&recovery)?,
        last_seq: recovery.last_seq(),
        snapshot_seq: recovery.snapshot.as_ref().map_or(0, |s| s.seq),
        replayed: recovery.tail.len() as u64,
        fresh: recovery.is_empty(),
    })
}

/// The engine rebuilt from what the journal holds now (its open turn included).
pub fn rebuild(journal: &mut dyn Journal) -> Result<Engine, JournalError> {
    replay(&journal.recover()?)
}
