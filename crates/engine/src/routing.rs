//! Routing beyond first come, first served: each queue's overflow and aging settings,
//! kept beside the queues (the snapshot's trailing part).
//!
//! - **Overflow.** A queue with an overflow (`after_s`, `to`): a customer that has
//!   waited `after_s` seconds in it (from the moment it entered this queue) moves to
//!   queue `to`, keeping its place in time as `ForwardUser` does, so it is not last
//!   there. It is told by `QueuingInfoChanged` with the new queue; the queue-change
//!   event is 504 with errorcode 104 (overflowed). A customer being offered at that
//!   moment moves when its offer ends without an answer (at the offer's deadline); if
//!   the target queue is full it stays and is tried again after another `after_s`.
//!   Customers already waiting when an overflow is set get their `after_s` from then.
//!   A chain of overflows spans at most [`MAX_CHAIN`] queues and may not loop: both
//!   are refused when set. A deleted queue's overflows, and those to it, go.
//! - **Aging.** A queue with `aging_s`: a customer's effective priority is the queue's
//!   priority minus one for every `aging_s` seconds it has waited (from when it first
//!   queued: a moved customer keeps its age). A free agent takes the customer with the
//!   lowest effective priority among the queues it serves, then the one waiting
//!   longest. Without aging the effective priority is the queue's priority: CloudRoom's
//!   order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{QueueId, SessionId};
use crate::output::QueueChangeKind;
use crate::time::Time;
use crate::timers::Timer;

/// The most queues a chain of overflows may span (the first included).
pub const MAX_CHAIN: usize = 5;
/// The longest overflow or aging time, seconds (a day).
pub const MAX_ROUTING_S: u32 = 86_400;

/// A queue's routing settings (all off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRouting {
    /// Seconds in the queue before a customer moves to `overflow_to`.
    pub overflow_after_s: u32,
    /// Where it moves (`None`: no overflow).
    pub overflow_to: Option<QueueId>,
    /// Seconds per level of effective priority gained while waiting (0: no aging).
    pub aging_s: u32,
}

impl QueueRouting {
    fn is_off(&self) -> bool {
        self.overflow_to.is_none() && self.aging_s == 0
    }
}

/// Every queue's routing, and the customers' overflow deadlines.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct RoutingBook {
    pub queues: BTreeMap<QueueId, QueueRouting>,
    /// Customers waiting in a queue with an overflow, and when they move.
    pub due: BTreeMap<SessionId, Time>,
}

impl Engine {
    /// The routing of `queue` (off when never set).
    pub fn queue_routing(&self, queue: QueueId) -> QueueRouting {
        self.routing.queues.get(&queue).copied().unwrap_or_default()
    }

    /// Checks `routing` for `queue` of `app` (`None`: a queue not created yet, which
    /// nothing can point to).
    pub fn check_routing(&self, app: &str, queue: Option<QueueId>, routing: &QueueRouting) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        if routing.aging_s > MAX_ROUTING_S {
            return Err(AcdError::invalid(
                "AgingSeconds",
                format!("{} is outside 0..={MAX_ROUTING_S}", routing.aging_s),
            ));
        }
        let Some(to) = routing.overflow_to else {
            if routing.overflow_after_s != 0 {
                return Err(AcdError::invalid(
                    "OverflowQueueID",
                    "is needed with OverflowSeconds (0 turns the overflow off)",
                ));
            }
            return Ok(());
        };
        if !(1..=MAX_ROUTING_S).contains(&routing.overflow_after_s) {
            let why = format!("{} is outside 1..={MAX_ROUTING_S} (with OverflowQueueID)", routing.overflow_after_s);
            return Err(AcdError::invalid("OverflowSeconds", why));
        }
        if !self.queues.get(&to).is_some_and(|q| q.app == ix && !q.closing) {
            return Err(AcdError::invalid("OverflowQueueID", format!("no queue {} in this app", to.0)));
        }
        if Some(to) == queue {
            return Err(AcdError::invalid("OverflowQueueID", "is the queue itself"));
        }
        // The chains through this queue, with the new setting in place: no loop, and at
        // most MAX_CHAIN queues from the farthest queue that leads here to the end.
        let next = |at: QueueId| {
            if Some(at) == queue {
                Some(to)
            } else {
                self.routing.queues.get(&at).and_then(|r| r.overflow_to)
            }
        };
        let chain_from = |first: QueueId| {
            let mut path = vec![first];
            while let Some(n) = next(*path.last().expect("not empty")) {
                let looped = path.contains(&n);
                path.push(n);
                if looped || path.len() > MAX_CHAIN + 1 {
                    break;
                }
            }
            path
        };
        let show = |path: &[QueueId]| path.iter().map(|q| q.0.to_string()).collect::<Vec<_>>().join(" → ");
        let Some(queue) = queue else { return Ok(()) };
        let down = chain_from(queue);
        if down[1..].contains(&queue) {
            return Err(AcdError::invalid("OverflowQueueID", format!("overflow loop: {}", show(&down))));
        }
        // The longest chain that runs through this queue.
        let longest = self
            .routing
            .queues
            .keys()
            .map(|&first| chain_from(first))
            .filter(|path| path.contains(&queue))
            .chain(std::iter::once(down))
            .max_by_key(|path| path.len())
            .expect("one at least");
        if longest.len() > MAX_CHAIN {
            let why = format!("a chain of overflows spans at most {MAX_CHAIN} queues: {}", show(&longest));
            return Err(AcdError::invalid("OverflowQueueID", why));
        }
        Ok(())
    }

    /// Sets a queue's routing; customers waiting there get an overflow deadline from now
    /// (or lose theirs).
    pub(crate) fn put_queue_routing(
        &mut self,
        app: &str,
        queue: QueueId,
        routing: QueueRouting,
    ) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        if !self.queues.get(&queue).is_some_and(|q| q.app == ix) {
            return Err(AcdError::QueueInvalid(queue));
        }
        self.check_routing(app, Some(queue), &routing)?;
        if routing.is_off() {
            self.routing.queues.remove(&queue);
        } else {
            self.routing.queues.insert(queue, routing);
        }
        let waiting: Vec<SessionId> = self.queues[&queue].waiting.values().copied().collect();
        for sid in waiting {
            self.disarm_overflow(sid);
            self.arm_overflow(sid, queue);
        }
        // What a waiting customer is told does not change: nothing to notify.
        Ok(())
    }

    /// The customer entered `queue`: its overflow deadline, if the queue has one.
    pub(crate) fn arm_overflow(&mut self, sid: SessionId, queue: QueueId) {
        let Some(r) = self.routing.queues.get(&queue).filter(|r| r.overflow_to.is_some()) else { return };
        let at = self.now.plus_secs(r.overflow_after_s.into());
        self.routing.due.insert(sid, at);
        self.timers.insert(at, Timer::Overflow(sid));
    }

    /// The customer left its queue (or its deadline passed): no overflow deadline.
    pub(crate) fn disarm_overflow(&mut self, sid: SessionId) {
        if let Some(at) = self.routing.due.remove(&sid) {
            self.timers.remove(at, Timer::Overflow(sid));
        }
    }

    /// A customer's overflow deadline passed.
    pub(crate) fn overflow_due(&mut self, sid: SessionId, at: Time) {
        if self.routing.due.get(&sid) != Some(&at) {
            return;
        }
        self.routing.due.remove(&sid);
        let Some(queuing) = self.sessions.get(&sid).and_then(|s| s.queuing.as_ref()) else { return };
        let (queue, offer) = (queuing.queue, queuing.offer);
        let Some(r) = self.routing.queues.get(&queue).copied() else { return };
        let Some(to) = r.overflow_to else { return };
        // Being offered: it moves if the offer ends unanswered (at its deadline, after the
        // offer's own timer, which sorts first).
        let retry_at = match offer {
            Some(offer) => Some(self.offers[&offer].deadline),
            None if self.queues[&to]
                .def
                .max_len
                .is_some_and(|m| self.queues[&to].waiting.len() as u64 >= u64::from(m)) =>
            {
                Some(at.plus_secs(r.overflow_after_s.into()))
            }
            None => None,
        };
        if let Some(retry) = retry_at {
            self.routing.due.insert(sid, retry);
            self.timers.insert(retry, Timer::Overflow(sid));
            return;
        }
        self.move_customer(sid, to, QueueChangeKind::Overflowed);
    }

    /// A queue is deleted: its routing goes, and the overflows to it.
    pub(crate) fn forget_queue_routing(&mut self, queue: QueueId) {
        self.routing.queues.remove(&queue);
        let mut lost = Vec::new();
        for (q, r) in self.routing.queues.iter_mut() {
            if r.overflow_to == Some(queue) {
                r.overflow_to = None;
                r.overflow_after_s = 0;
                lost.push(*q);
            }
        }
        self.routing.queues.retain(|_, r| !r.is_off());
        for q in lost {
            let waiting: Vec<SessionId> =
                self.queues.get(&q).map(|q| q.waiting.values().copied().collect()).unwrap_or_default();
            for sid in waiting {
                self.disarm_overflow(sid);
            }
        }
    }

    /// The effective priority of a customer of `queue` (lower is better) that queued at
    /// `enqueued_at`: the queue's priority, less one per `aging_s` waited.
    pub(crate) fn effective_priority(&self, queue: QueueId, prio: u8, enqueued_at: Time) -> i64 {
        match self.routing.queues.get(&queue).map(|r| r.aging_s) {
            Some(aging_s) if aging_s > 0 => {
                i64::from(prio) - (self.now.millis_since(enqueued_at) / (u64::from(aging_s) * 1000)) as i64
            }
            _ => i64::from(prio),
        }
    }

    /// Whether any queue ages its customers (the dispatcher's fast path when none does).
    pub(crate) fn any_aging(&self) -> bool {
        !self.routing.queues.is_empty() && self.routing.queues.values().any(|r| r.aging_s > 0)
    }
}
