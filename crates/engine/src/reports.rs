//! History a supervisor reports on: per queue and per agent, fixed 15-minute intervals
//! aligned to the clock (:00, :15, :30, :45 UTC).
//!
//! The open interval's figures are counted as things happen (the engine's state: in the
//! snapshot and rebuilt by the journal's replay, so a restart or a failover loses
//! nothing). When the interval ends (a deadline at its end), each app with something
//! to report gets one [`EventKind::Interval`] event with every queue and agent that had
//! activity; the driver stores it (the server: in the journal's database, in the same
//! commit as the step that closed it) and answers report queries from what it stored
//! plus [`Engine::open_interval`].
//!
//! - **Queues:** customers offered (joined), answered, answered within the app's
//!   service-level time, abandoned (left or dropped while waiting), timed out,
//!   forwarded; the answered customers' total wait and the longest wait of any ending in
//!   the interval; services ended and their total duration (handle time, from the
//!   answer to the end of the service; the agents' wrap-up is in their state times).
//!   A wait or service is counted in the interval in which it ends.
//! - **Agents** (by user id, so sessions that come and go add up): offers made to it,
//!   customers it took (offered or by hand), offers it missed, services ended and their
//!   duration, and the milliseconds in each state and in each not-ready reason, split
//!   exactly at the interval's edges.
//!
//! The deadline is only kept while there is something to count (a queue's activity or
//! an agent logged in), so an idle engine has none.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agent_state::AgentState;
use crate::engine::Engine;
use crate::ids::{Name, QueueId, SessionId};
use crate::output::EventKind;
use crate::stats::{WaitEnd, WaitTally};
use crate::time::Time;
use crate::timers::Timer;

/// The length of a report interval: 15 minutes.
pub const REPORT_INTERVAL_MS: u64 = 15 * 60 * 1000;

/// One queue over one interval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueInterval {
    pub queue: QueueId,
    /// Customers who joined the queue.
    pub offered: u64,
    pub answered: u64,
    /// Answered within the app's `serviceLevelSeconds`.
    pub answered_within_sl: u64,
    /// Left by choice, or dropped, while waiting.
    pub abandoned: u64,
    /// Waited the queue's maximum wait.
    pub timed_out: u64,
    /// Moved to another queue.
    pub forwarded: u64,
    /// The answered customers' waits, summed.
    pub wait_ms_answered: u64,
    /// The longest wait that ended in the interval, however it ended.
    pub longest_wait_ms: u64,
    /// Services that ended.
    pub handled: u64,
    /// Their durations (answer to end), summed.
    pub handle_ms: u64,
}

impl QueueInterval {
    pub(crate) fn new(queue: QueueId) -> Self {
        QueueInterval {
            queue,
            offered: 0,
            answered: 0,
            answered_within_sl: 0,
            abandoned: 0,
            timed_out: 0,
            forwarded: 0,
            wait_ms_answered: 0,
            longest_wait_ms: 0,
            handled: 0,
            handle_ms: 0,
        }
    }

    pub(crate) fn wait_ended(&mut self, end: WaitEnd, waited_ms: u64, sl_s: u32) {
        WaitTally {
            served: &mut self.answered,
            served_within_sl: &mut self.answered_within_sl,
            abandoned: &mut self.abandoned,
            timed_out: &mut self.timed_out,
            forwarded: &mut self.forwarded,
            wait_ms_served: &mut self.wait_ms_answered,
            max_wait_ms: &mut self.longest_wait_ms,
        }
        .record(end, waited_ms, sl_s);
    }
}

/// One agent over one interval.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInterval {
    pub user_id: Name,
    /// Offers made to it.
    pub offers: u64,
    /// Customers it took: an offer accepted, or a customer taken by hand.
    pub answered: u64,
    /// Offers that timed out.
    pub missed: u64,
    /// Its services that ended, and their durations summed.
    pub handled: u64,
    pub handle_ms: u64,
    /// Milliseconds in each state ([`AgentState::ALL`] order).
    pub state_ms: [u64; 6],
    /// Milliseconds not ready, per reason code.
    pub reason_ms: BTreeMap<u32, u64>,
}

impl AgentInterval {
    fn is_empty(&self) -> bool {
        self.offers == 0
            && self.answered == 0
            && self.missed == 0
            && self.handled == 0
            && self.state_ms.iter().all(|m| *m == 0)
    }

    /// Adds `ms` in `state` (and, when not ready, in `reason`).
    pub(crate) fn add_time(&mut self, state: AgentState, reason: u32, ms: u64) {
        self.state_ms[state as usize] += ms;
        if state == AgentState::NotReady {
            *self.reason_ms.entry(reason).or_default() += ms;
        }
    }
}

/// An app's figures over one interval (`complete` once it has ended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntervalReport {
    pub start: Time,
    pub end: Time,
    pub queues: Vec<QueueInterval>,
    pub agents: Vec<AgentInterval>,
}

/// The open interval's figures.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct ReportBook {
    /// The open interval's start, while something is counted (its end has a deadline).
    pub start: Option<Time>,
    /// By queue: its app and figures.
    pub queues: BTreeMap<QueueId, (u32, QueueInterval)>,
    /// By app and user id.
    pub agents: BTreeMap<(u32, Name), AgentInterval>,
}

/// The start of the interval `t` falls in.
pub fn interval_start(t: Time) -> Time {
    Time::from_millis(t.as_millis() / REPORT_INTERVAL_MS * REPORT_INTERVAL_MS)
}

impl Engine {
    /// Something is counted: the open interval starts (with its deadline) if it has not.
    pub(crate) fn open_report(&mut self) {
        if self.report_book.start.is_none() {
            let start = interval_start(self.now);
            self.report_book.start = Some(start);
            self.timers.insert(start.plus_millis(REPORT_INTERVAL_MS), Timer::ReportInterval);
        }
    }

    /// The open interval's figures of `queue`.
    pub(crate) fn queue_interval(&mut self, queue: QueueId) -> &mut QueueInterval {
        self.open_report();
        let app = self.queues.get(&queue).map_or(0, |q| q.app);
        &mut self.report_book.queues.entry(queue).or_insert_with(|| (app, QueueInterval::new(queue))).1
    }

    /// The open interval's figures of the agent of session `sid`.
    pub(crate) fn agent_interval(&mut self, sid: SessionId) -> &mut AgentInterval {
        self.open_report();
        let s = &self.sessions[&sid];
        let key = (s.app, s.user_id.clone());
        self.report_book
            .agents
            .entry(key)
            .or_insert_with_key(|k| AgentInterval { user_id: k.1.clone(), ..Default::default() })
    }

    /// A customer's wait ended: counted in its queue's interval and day.
    pub(crate) fn report_wait_end(&mut self, queue: QueueId, end: WaitEnd, waited_ms: u64, sl_s: u32) {
        self.queue_interval(queue).wait_ended(end, waited_ms, sl_s);
        if self.queues.contains_key(&queue) {
            self.queue_today(queue).wait_ended(end, waited_ms, sl_s);
        }
    }

    /// The agent of `agent` took a customer (an offer, or by hand).
    pub(crate) fn report_answer(&mut self, agent: SessionId) {
        self.agent_interval(agent).answered += 1;
        self.count_served_today(agent);
    }

    /// A service ended after `ms`: counted for its queue (interval and day) and its agent.
    pub(crate) fn report_service_end(&mut self, queue: QueueId, agent: SessionId, ms: u64) {
        let q = self.queue_interval(queue);
        q.handled += 1;
        q.handle_ms += ms;
        if self.queues.contains_key(&queue) {
            let t = self.queue_today(queue);
            t.handled += 1;
            t.handle_ms += ms;
        }
        let a = self.agent_interval(agent);
        a.handled += 1;
        a.handle_ms += ms;
    }

    /// The interval ended at `at`: each agent's time is split there, every app with
    /// something to report gets its [`EventKind::Interval`], and the next interval opens
    /// while agents are logged in.
    pub(crate) fn close_report_interval(&mut self, at: Time) {
        let Some(start) = self.report_book.start.take() else { return };
        let agents: Vec<SessionId> = self.agent_book.agents.keys().copied().collect();
        for sid in agents {
            self.count_agent_time(sid, at);
        }
        let book = std::mem::take(&mut self.report_book);
        let mut by_app: BTreeMap<u32, IntervalReport> = BTreeMap::new();
        let empty = || IntervalReport { start, end: at, queues: Vec::new(), agents: Vec::new() };
        for (app, q) in book.queues.into_values() {
            by_app.entry(app).or_insert_with(empty).queues.push(q);
        }
        for ((app, _), a) in book.agents {
            if !a.is_empty() {
                by_app.entry(app).or_insert_with(empty).agents.push(a);
            }
        }
        for (app, report) in by_app {
            if (app as usize) < self.apps.len() {
                self.emit(app, EventKind::Interval(Box::new(report)));
            }
        }
        self.forget_past_days();
        if !self.agent_book.agents.is_empty() {
            self.report_book.start = Some(at);
            self.timers.insert(at.plus_millis(REPORT_INTERVAL_MS), Timer::ReportInterval);
        }
    }

    /// The open interval of `app` as it stands now (agents' time counted up to now),
    /// `None` when nothing is counted.
    pub fn open_interval(&self, app: &str) -> Option<IntervalReport> {
        let ix = *self.app_ix.get(app)?;
        let start = self.report_book.start?;
        let queues = self.report_book.queues.values().filter(|(a, _)| *a == ix).map(|(_, q)| q.clone()).collect();
        let mut agents: BTreeMap<Name, AgentInterval> = self
            .report_book
            .agents
            .iter()
            .filter(|((a, _), _)| *a == ix)
            .map(|((_, u), v)| (u.clone(), v.clone()))
            .collect();
        for (sid, rec) in &self.agent_book.agents {
            let Some(s) = self.sessions.get(sid).filter(|s| s.app == ix) else { continue };
            let a = agents
                .entry(s.user_id.clone())
                .or_insert_with(|| AgentInterval { user_id: s.user_id.clone(), ..Default::default() });
            a.add_time(rec.state, rec.told_reason, self.now.millis_since(rec.since.max(start)));
        }
        let agents = agents.into_values().filter(|a| !a.is_empty()).collect();
        Some(IntervalReport { start, end: self.now, queues, agents })
    }
}
