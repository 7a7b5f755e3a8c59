//! The journal interface on PostgreSQL, for one app, fenced by its lease.
//!
//! A turn's writes (steps, resume tokens, used tickets, a snapshot) are kept in memory
//! until `commit`, which sends them in one transaction that first checks, under a share
//! lock on the lease row, that this node still holds the lease with its epoch on the
//! database clock (a turn of steps only, nearly every turn, is one statement doing
//! both: one round trip). A takeover (which updates that row) therefore either waits for the
//! commit, and then sees its steps, or comes first, and then the commit is refused with
//! [`JournalError::Fenced`]: an old owner cannot write after losing the app, and the
//! journal has neither a gap nor a fork (its key is the app and the step).
//!
//! Savepoints are marks in the turn's buffer, so a job that panicked is undone without
//! a round trip; `recover` returns what is committed plus the open turn, as the SQLite
//! journal does inside its transaction.

use std::sync::Arc;

use lineup_engine::Time;

use super::Lease;
use crate::journal::{Journal, JournalError, Record, Recovery, ReportRow, StoredSnapshot};
use crate::pg::{Pg, PgError};

/// One write of the open turn.
#[derive(Clone, Debug)]
enum Write {
    Step {
        seq: u64,
        at: Time,
        step: Vec<u8>,
    },
    PutToken {
        hash: String,
        session: u64,
    },
    DropToken {
        hash: String,
    },
    Ticket {
        id: String,
        exp_s: u64,
    },
    Snapshot {
        seq: u64,
        at: Time,
        state: Vec<u8>,
    },
    /// A row of the app hub's own tables ([`super::mirror`]); None: deleted.
    Row {
        table: String,
        id: i64,
        data: Option<String>,
    },
    /// An ended interval's report rows, and the oldest start kept.
    Report {
        rows: Vec<ReportRow>,
        keep_from_ms: u64,
    },
}

/// An app's journal in PostgreSQL, written under `lease`.
pub struct PgJournal {
    pg: Arc<Pg>,
    lease: Lease,
    turn: Vec<Write>,
    savepoints: Vec<usize>,
    /// [`APPEND_FENCED`], prepared on first use.
    append: Option<postgres::Statement>,
}

impl crate::journal::AppJournal for PgJournal {
    /// Rows of the app hub's own tables, changed in this turn: written with it.
    fn stage_rows(&mut self, rows: Vec<crate::journal::RowChange>) {
        self.turn.extend(rows.into_iter().map(|r| Write::Row { table: r.table, id: r.id, data: r.data }));
    }

    /// The app's connection (its recordings index is read with it).
    fn pg(&self) -> &Pg {
        &self.pg
    }
}

fn store_err(e: impl std::fmt::Display) -> JournalError {
    JournalError::Store(e.to_string())
}

impl From<PgError> for JournalError {
    fn from(e: PgError) -> Self {
        store_err(e)
    }
}

impl PgJournal {
    /// The journal of `lease.app`, written as `lease.owner` under `lease.epoch`.
    pub fn new(pg: Arc<Pg>, lease: Lease) -> PgJournal {
        PgJournal { pg, lease, turn: Vec::new(), savepoints: Vec::new(), append: None }
    }

    /// The lease it writes under.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// The app hub's own tables as kept: (table, row as JSON), by table then id.
    pub fn rows(&self) -> Result<Vec<(String, String)>, JournalError> {
        let app = self.lease.app.clone();
        let rows = self
            .pg
            .query(move |c| c.query("SELECT tbl, data FROM app_rows WHERE app = $1 ORDER BY tbl, id", &[&app]))?;
        let mut rows: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        // Subscriptions before the deliveries that refer to them.
        rows.sort_by_key(|(t, _)| crate::store::mirror::TABLES.iter().position(|m| m == t));
        Ok(rows)
    }

    /// Every record of the app's journal with the epoch it was written under, in order
    /// (for checks: no gap, no fork, epochs never going back).
    pub fn history(&self) -> Result<Vec<(u64, u64)>, JournalError> {
        let app = self.lease.app.clone();
        let rows =
            self.pg.query(move |c| c.query("SELECT seq, epoch FROM journal WHERE app = $1 ORDER BY seq", &[&app]))?;
        Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64)).collect())
    }
}

/// A turn of steps only (nearly every turn) in one statement, so one round trip: the
/// lease check (share-locking the row until the statement's own transaction ends) and
/// the insert, which writes nothing when the check finds no lease.
const APPEND_FENCED: &str = "
    WITH held AS (
        SELECT 1 FROM app_leases
        WHERE app = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()
        FOR SHARE
    )
    INSERT INTO journal (app, seq, epoch, at_ms, step)
    SELECT $1, s, $3, a, b FROM unnest($4::int8[], $5::int8[], $6::bytea[]) AS t(s, a, b)
    WHERE EXISTS (SELECT 1 FROM held)";

/// The steps of a turn as the arrays [`APPEND_FENCED`] takes.
fn step_arrays(turn: &[Write]) -> (Vec<i64>, Vec<i64>, Vec<&[u8]>) {
    let (mut seqs, mut ats, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    for w in turn {
        if let Write::Step { seq, at, step } = w {
            seqs.push(*seq as i64);
            ats.push(at.as_millis() as i64);
            steps.push(step.as_slice());
        }
    }
    (seqs, ats, steps)
}

/// A turn of steps only: true when they were written (the lease held).
fn append_steps(
    c: &mut postgres::Client,
    stmt: &postgres::Statement,
    lease: &Lease,
    turn: &[Write],
) -> Result<bool, postgres::Error> {
    let (seqs, ats, steps) = step_arrays(turn);
    let n = c.execute(stmt, &[&lease.app, &lease.owner, &(lease.epoch as i64), &seqs, &ats, &steps])?;
    Ok(n as usize == seqs.len())
}

/// The turn's writes in one transaction, after the lease check.
fn commit_turn(c: &mut postgres::Client, lease: &Lease, turn: &[Write]) -> Result<bool, postgres::Error> {
    let mut tx = c.transaction()?;
    let epoch = lease.epoch as i64;
    let held = tx.query_opt(
        "SELECT 1 FROM app_leases
         WHERE app = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()
         FOR SHARE",
        &[&lease.app, &lease.owner, &epoch],
    )?;
    if held.is_none() {
        tx.rollback()?;
        return Ok(false);
    }
    let (seqs, ats, steps) = step_arrays(turn);
    if !seqs.is_empty() {
        tx.execute(
            "INSERT INTO journal (app, seq, epoch, at_ms, step)
             SELECT $1, s, $2, a, b FROM unnest($3::int8[], $4::int8[], $5::bytea[]) AS t(s, a, b)",
            &[&lease.app, &epoch, &seqs, &ats, &steps],
        )?;
    }
    let app = &lease.app;
    for w in turn {
        match w {
            Write::Step { .. } => {}
            Write::PutToken { hash, session } => {
                tx.execute(
                    "INSERT INTO resume_tokens (app, hash, session) VALUES ($1, $2, $3)
                     ON CONFLICT (app, hash) DO UPDATE SET session = EXCLUDED.session",
                    &[app, hash, &(*session as i64)],
                )?;
            }
            Write::DropToken { hash } => {
                tx.execute("DELETE FROM resume_tokens WHERE app = $1 AND hash = $2", &[app, hash])?;
            }
            Write::Ticket { id, exp_s } => {
                tx.execute(
                    "INSERT INTO used_tickets (app, id, exp_s) VALUES ($1, $2, $3)
                     ON CONFLICT (app, id) DO UPDATE SET exp_s = EXCLUDED.exp_s",
                    &[app, id, &(*exp_s as i64)],
                )?;
            }
            Write::Row { .. } => {}
            Write::Report { rows, keep_from_ms } => {
                for r in rows {
                    tx.execute(
                        "INSERT INTO report_rows (app, kind, subject, start_ms, body) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (app, kind, start_ms, subject) DO UPDATE SET body = EXCLUDED.body",
                        &[app, &r.kind, &r.subject, &(r.start_ms as i64), &r.body],
                    )?;
                }
                tx.execute(
                    "DELETE FROM report_rows WHERE app = $1 AND start_ms < $2",
                    &[app, &(*keep_from_ms as i64)],
                )?;
            }
            Write::Snapshot { seq, at, state } => {
                let (seq, at_ms) = (*seq as i64, at.as_millis() as i64);
                tx.execute(
                    "INSERT INTO snapshots (app, seq, epoch, at_ms, state) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (app, seq) DO UPDATE SET epoch = EXCLUDED.epoch, at_ms = EXCLUDED.at_ms, state = EXCLUDED.state",
                    &[app, &seq, &epoch, &at_ms, state],
                )?;
                tx.execute("DELETE FROM snapshots WHERE app = $1 AND seq < $2", &[app, &seq])?;
                tx.execute("DELETE FROM journal WHERE app = $1 AND seq <= $2", &[app, &seq])?;
                tx.execute("DELETE FROM used_tickets WHERE app = $1 AND exp_s <= $2", &[app, &(at_ms / 1000)])?;
            }
        }
    }
    write_rows(&mut tx, app, turn)?;
    tx.commit()?;
    Ok(true)
}

/// The turn's rows of the app hub's own tables: one upsert and one delete statement
/// (each row is in a turn once: [`crate::store::mirror::take_changes`] gives it as it is now).
fn write_rows(tx: &mut postgres::Transaction<'_>, app: &String, turn: &[Write]) -> Result<(), postgres::Error> {
    let (mut put_t, mut put_i, mut put_d, mut del_t, mut del_i) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for w in turn {
        match w {
            Write::Row { table, id, data: Some(data) } => {
                put_t.push(table.as_str());
                put_i.push(*id);
                put_d.push(data.as_str());
            }
            Write::Row { table, id, data: None } => {
                del_t.push(table.as_str());
                del_i.push(*id);
            }
            _ => {}
        }
    }
    if !put_t.is_empty() {
        tx.execute(
            "INSERT INTO app_rows (app, tbl, id, data)
             SELECT $1, t, i, d FROM unnest($2::text[], $3::int8[], $4::text[]) AS x(t, i, d)
             ON CONFLICT (app, tbl, id) DO UPDATE SET data = EXCLUDED.data",
            &[app, &put_t, &put_i, &put_d],
        )?;
    }
    if !del_t.is_empty() {
        tx.execute(
            "DELETE FROM app_rows r USING unnest($2::text[], $3::int8[]) AS x(t, i)
             WHERE r.app = $1 AND r.tbl = x.t AND r.id = x.i",
            &[app, &del_t, &del_i],
        )?;
    }
    Ok(())
}

impl Journal for PgJournal {
    fn begin(&mut self) -> Result<(), JournalError> {
        Ok(())
    }

    fn append(&mut self, seq: u64, at: Time, step: &[u8]) -> Result<(), JournalError> {
        self.turn.push(Write::Step { seq, at, step: step.to_vec() });
        Ok(())
    }

    fn commit(&mut self) -> Result<(), JournalError> {
        self.savepoints.clear();
        if self.turn.is_empty() {
            return Ok(());
        }
        let turn = std::mem::take(&mut self.turn);
        let lease = self.lease.clone();
        let held = if turn.iter().all(|w| matches!(w, Write::Step { .. })) {
            let stmt = match &self.append {
                Some(stmt) => stmt.clone(),
                None => {
                    let stmt = self.pg.query(|c| c.prepare(APPEND_FENCED))?;
                    self.append.insert(stmt).clone()
                }
            };
            self.pg.query(move |c| append_steps(c, &stmt, &lease, &turn))?
        } else {
            self.pg.query(move |c| commit_turn(c, &lease, &turn))?
        };
        if held {
            Ok(())
        } else {
            Err(JournalError::Fenced { app: self.lease.app.clone(), epoch: self.lease.epoch })
        }
    }

    fn rollback(&mut self) -> Result<(), JournalError> {
        // Nothing of the turn was sent: a turn goes to PostgreSQL whole, at commit.
        self.turn.clear();
        self.savepoints.clear();
        Ok(())
    }

    fn savepoint(&mut self) -> Result<(), JournalError> {
        self.savepoints.push(self.turn.len());
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), JournalError> {
        self.savepoints.pop();
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), JournalError> {
        if let Some(mark) = self.savepoints.pop() {
            self.turn.truncate(mark);
        }
        Ok(())
    }

    fn recover(&mut self) -> Result<Recovery, JournalError> {
        let app = self.lease.app.clone();
        let (snapshot, rows) = self.pg.query(move |c| {
            let snapshot = c.query_opt(
                "SELECT seq, at_ms, state FROM snapshots WHERE app = $1 ORDER BY seq DESC LIMIT 1",
                &[&app],
            )?;
            let after = snapshot.as_ref().map_or(0i64, |r| r.get(0));
            let rows = c.query(
                "SELECT seq, at_ms, step FROM journal WHERE app = $1 AND seq > $2 ORDER BY seq",
                &[&app, &after],
            )?;
            Ok((snapshot, rows))
        })?;
        let mut snapshot = snapshot.map(|r| StoredSnapshot {
            seq: r.get::<_, i64>(0) as u64,
            at: Time::from_millis(r.get::<_, i64>(1) as u64),
            bytes: r.get(2),
        });
        let mut tail: Vec<Record> = rows
            .iter()
            .map(|r| Record {
                seq: r.get::<_, i64>(0) as u64,
                at: Time::from_millis(r.get::<_, i64>(1) as u64),
                step: r.get(2),
            })
            .collect();
        // The open turn, as if committed.
        for w in &self.turn {
            match w {
                Write::Step { seq, at, step } => tail.push(Record { seq: *seq, at: *at, step: step.clone() }),
                Write::Snapshot { seq, at, state } => {
                    tail.retain(|r| r.seq > *seq);
                    snapshot = Some(StoredSnapshot { seq: *seq, at: *at, bytes: state.clone() });
                }
                _ => {}
            }
        }
        let mut expected = snapshot.as_ref().map_or(0, |s| s.seq) + 1;
        for record in &tail {
            if record.seq != expected {
                return Err(JournalError::Damaged(format!(
                    "app {}: journal record {expected} is missing (next is {})",
                    self.lease.app, record.seq
                )));
            }
            expected += 1;
        }
        Ok(Recovery { snapshot, tail })
    }

    fn save_snapshot(&mut self, s: &StoredSnapshot) -> Result<(), JournalError> {
        self.turn.push(Write::Snapshot { seq: s.seq, at: s.at, state: s.bytes.clone() });
        Ok(())
    }

    fn put_resume_token(&mut self, hash: &str, session: u64) -> Result<(), JournalError> {
        self.turn.push(Write::PutToken { hash: hash.into(), session });
        Ok(())
    }

    fn drop_resume_token(&mut self, hash: &str) -> Result<(), JournalError> {
        self.turn.push(Write::DropToken { hash: hash.into() });
        Ok(())
    }

    fn resume_tokens(&mut self) -> Result<Vec<(String, u64)>, JournalError> {
        let app = self.lease.app.clone();
        let rows =
            self.pg.query(move |c| c.query("SELECT hash, session FROM resume_tokens WHERE app = $1", &[&app]))?;
        let mut tokens: std::collections::BTreeMap<String, u64> =
            rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64)).collect();
        for w in &self.turn {
            match w {
                Write::PutToken { hash, session } => {
                    tokens.insert(hash.clone(), *session);
                }
                Write::DropToken { hash } => {
                    tokens.remove(hash);
                }
                _ => {}
            }
        }
        Ok(tokens.into_iter().collect())
    }

    fn use_ticket(&mut self, id: &str, exp_s: u64, now_s: u64) -> Result<bool, JournalError> {
        let pending = self.turn.iter().rev().find_map(|w| match w {
            Write::Ticket { id: used, exp_s } if used == id => Some(*exp_s),
            _ => None,
        });
        let used = match pending {
            Some(exp) => Some(exp),
            None => {
                let (app, ticket) = (self.lease.app.clone(), id.to_owned());
                self.pg
                    .query(move |c| {
                        c.query_opt("SELECT exp_s FROM used_tickets WHERE app = $1 AND id = $2", &[&app, &ticket])
                    })?
                    .map(|r| r.get::<_, i64>(0) as u64)
            }
        };
        if used.is_some_and(|exp| exp > now_s) {
            return Ok(false);
        }
        self.turn.push(Write::Ticket { id: id.into(), exp_s });
        Ok(true)
    }

    fn put_report_rows(&mut self, _app: &str, rows: &[ReportRow], keep_from_ms: u64) -> Result<(), JournalError> {
        self.turn.push(Write::Report { rows: rows.to_vec(), keep_from_ms });
        Ok(())
    }

    fn report_rows(&mut self, app: &str, kind: &str, from_ms: u64, to_ms: u64) -> Result<Vec<ReportRow>, JournalError> {
        let (app, kind) = (app.to_string(), kind.to_string());
        let rows = self.pg.query(move |c| {
            c.query(
                "SELECT kind, subject, start_ms, body FROM report_rows
                 WHERE app = $1 AND kind = $2 AND start_ms >= $3 AND start_ms < $4 ORDER BY start_ms, subject",
                &[&app, &kind, &(from_ms as i64), &(to_ms as i64)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| ReportRow {
                kind: r.get(0),
                subject: r.get(1),
                start_ms: r.get::<_, i64>(2) as u64,
                body: r.get(3),
            })
            .collect())
    }
}
