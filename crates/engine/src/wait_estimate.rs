//! Estimated wait, told to every waiting customer (`QueuingInfo`'s estimate).
//!
//! For a customer with `p` customers ahead in queue `q`, rounded to the second:
//!
//! `estimate = P × (ASA + AHT + wrap-up) ÷ N + ASA`, with `P = p + 1 − F − O`
//!
//! - P: the agents that must free up before its turn (0 when P ≤ 0, and once offered);
//! - F: the places free now (the available agents' unused capacity, wrap-up aside);
//! - O: the customers ahead that are offered to an agent already;
//! - AHT, ASA: the queue's average handle time and time from an offer to its accept
//!   (the mean of the first 64, then a moving average of weight 1/64);
//! - N: the customers its agents can serve at once now: the capacity of every agent
//!   serving `q` that is online and available (busy ones count; agents with a reason do
//!   not); an agent serving several queues counts fully in each.
//!
//! Unknown (`None`) while the queue has no finished service or no such agent.
//!
//! A customer is told a new estimate with its position (StartQueuing, a move in the
//! queue), and also when the estimate moved by at least [`STEP_S`] seconds and a fifth
//! of what it was told, or became known or unknown: still at most one position notice
//! per interval (`notify`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::ids::{QueueId, SessionId};

/// Smallest change of an estimate that is told on its own (seconds).
pub const STEP_S: u32 = 15;
/// Services after which the average becomes a moving one (weight 1/this).
const WINDOW: u64 = 64;
/// Longest service counted (4 h): one forgotten service does not skew the average.
const MAX_SERVICE_MS: u64 = 4 * 3600 * 1000;

/// A queue's average handle time, and how long its agents take to accept an offer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HandleTime {
    pub avg_ms: u64,
    pub samples: u64,
    #[serde(default)]
    pub answer_ms: u64,
    #[serde(default)]
    pub answers: u64,
}

/// `avg` moved towards `sample`: a running mean for the first [`WINDOW`] samples, then
/// a moving average of weight 1/[`WINDOW`].
fn moving(avg: u64, sample: u64, samples: u64) -> u64 {
    let n = samples.min(WINDOW);
    if sample >= avg {
        avg + (sample - avg) / n
    } else {
        avg - (avg - sample) / n
    }
}

/// The queues' handle times and what each waiting customer was told. Kept in the
/// snapshot's trailing part.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct WaitBook {
    pub handle: BTreeMap<QueueId, HandleTime>,
    /// Per waiting customer: the estimate last told (None: unknown).
    pub told: BTreeMap<SessionId, Option<u32>>,
}

/// What a queue's estimates rest on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WaitBasis {
    pub per_place_ms: u64,
    pub free: u64,
    /// Customers of the queue offered to an agent now (they are at its head).
    pub offered: u64,
    pub answer_ms: u64,
}

/// Whether an estimate moved enough to be told on its own.
pub(crate) fn moved(told: Option<u32>, now: Option<u32>) -> bool {
    match (told, now) {
        (Some(a), Some(b)) => a.abs_diff(b) >= STEP_S.max(a / 5),
        (None, None) => false,
        _ => true,
    }
}

impl Engine {
    /// A service of `queue` lasted `ms`: the queue's average handle time moves.
    pub(crate) fn observe_handle_time(&mut self, queue: QueueId, ms: u64) {
        let h = self.wait_book.handle.entry(queue).or_default();
        h.samples += 1;
        h.avg_ms = moving(h.avg_ms, ms.min(MAX_SERVICE_MS), h.samples);
        self.touch_positions(queue);
    }

    /// An agent accepted an offer of `queue` after `ms`: the customer is taken that much
    /// after an agent becomes free, and the agent is occupied that much longer.
    pub(crate) fn observe_answer_time(&mut self, queue: QueueId, ms: u64) {
        let h = self.wait_book.handle.entry(queue).or_default();
        h.answers += 1;
        h.answer_ms = moving(h.answer_ms, ms.min(MAX_SERVICE_MS), h.answers);
    }

    /// The agent's capacity or availability changed: the estimated waits of its queues.
    pub(crate) fn touch_served_positions(&mut self, sid: SessionId) {
        let queues: Vec<QueueId> =
            self.sessions.get(&sid).and_then(|s| s.agent.as_deref()).map(|a| a.serving.iter().map(|(q, _)| *q).collect()).unwrap_or_default();
        for q in queues {
            self.touch_positions(q);
        }
    }

    /// What the estimates of `queue` rest on now, if they can be known: the time one
    /// place takes (ms) and the places free at once (available agents' free capacity).
    pub(crate) fn wait_basis(&self, queue: QueueId) -> Option<WaitBasis> {
        let q = self.queues.get(&queue)?;
        let h = self.wait_book.handle.get(&queue).filter(|h| h.samples > 0)?;
        let (mut ready, mut free, mut offered) = (0u64, 0u64, 0u64);
        let agents = q.agents.keys().filter_map(|sid| self.sessions.get(sid)).filter_map(|s| Some((s.online, s.agent.as_deref()?)));
        for (online, a) in agents {
            // Customers of this queue offered to an agent already have theirs.
            offered += a.offers.iter().filter(|o| self.offers.get(o).is_some_and(|o| o.queue == queue)).count() as u64;
            if !online || a.dnd {
                continue;
            }
            ready += u64::from(a.capacity);
            if a.wrapup_until.is_none() {
                free += u64::from(a.capacity.saturating_sub(a.load()));
            }
        }
        let cycle = h.answer_ms + h.avg_ms + 1000 * u64::from(q.def.wrapup_s);
        (ready > 0).then(|| WaitBasis { per_place_ms: cycle / ready, free, offered, answer_ms: h.answer_ms })
    }

    /// The estimate for `position` customers ahead (0 once offered, or while a place is
    /// free for it).
    pub(crate) fn estimate_for(basis: Option<WaitBasis>, position: u32, offered: bool) -> Option<u32> {
        let b = basis?;
        // The offered customers ahead (at the head) need no agent to free up.
        let ahead = u64::from(position);
        let places = (ahead + 1).saturating_sub(b.free + b.offered.min(ahead));
        if offered || places == 0 {
            return Some(0);
        }
        Some(((places * b.per_place_ms + b.answer_ms + 500) / 1000).min(u64::from(u32::MAX)) as u32)
    }
}
