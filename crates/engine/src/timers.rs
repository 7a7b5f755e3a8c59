//! The engine's deadlines: offers, waits, holds, wrap-ups, re-offer delays and notice
//! flushes, ordered by time.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::{OfferId, QueueId, SessionId};
use crate::time::Time;

/// What happens when a deadline passes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Timer {
    /// The agent did not answer the offer.
    Offer(OfferId),
    /// The customer waited its queue's max_wait_s.
    MaxWait(SessionId),
    /// The session stayed offline for the hold time.
    Hold(SessionId),
    /// The agent's wrap-up ends.
    WrapUp(SessionId),
    /// An agent's re-offer delay for this customer ends.
    Declined(SessionId),
    /// The queue's coalesced notices are due.
    Flush(QueueId),
    /// A ringing call was not answered.
    Call(u64),
    // New variants go last (snapshots of older versions name them by position).
    /// The app's wallboard may send again.
    Wallboard(u32),
    /// The open report interval ends.
    ReportInterval,
    /// The customer has waited its queue's overflow time.
    Overflow(SessionId),
    /// The customer's callback expires.
    CallbackExpiry(SessionId),
    /// The customer's requirement steps down (`skills`).
    Relax(SessionId),
}

/// Deadlines in time order; each can be cancelled exactly.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Timers {
    set: BTreeSet<(Time, Timer)>,
}

impl Timers {
    pub fn insert(&mut self, at: Time, timer: Timer) {
        self.set.insert((at, timer));
    }

    pub fn remove(&mut self, at: Time, timer: Timer) {
        self.set.remove(&(at, timer));
    }

    pub fn next(&self) -> Option<Time> {
        self.set.first().map(|(t, _)| *t)
    }

    /// Takes the earliest deadline if it is due at `now`.
    pub fn pop_due(&mut self, now: Time) -> Option<(Time, Timer)> {
        match self.set.first() {
            Some((t, _)) if *t <= now => self.set.pop_first(),
            _ => None,
        }
    }

    /// When `timer` is due (for the invariants).
    pub fn count(&self, timer: Timer) -> Vec<Time> {
        self.set.iter().filter(|(_, t)| *t == timer).map(|(at, _)| *at).collect()
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }
}
