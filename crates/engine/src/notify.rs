//! Coalesced queue notices: QueueStatusChanged to everyone who serves, waits in or
//! watches a queue, and position updates (QueuingInfoChanged) to waiting customers.
//!
//! A queue's status and positions go out at most once per the app's notice interval
//! (the first change of a quiet queue goes out at once), and each customer gets at most
//! one position update per interval, always ending with the latest value. So an
//! assignment in a queue of 10,000 costs O(1) at the time; the fan-out happens once per
//! interval, not once per change.

use crate::engine::Engine;
use crate::ids::{QueueId, SessionId};
use crate::model::QueuingInfo;
use crate::output::{Notice, Output};
use crate::time::Time;
use crate::timers::Timer;

impl Engine {
    /// The queue's counts changed.
    pub(crate) fn touch_status(&mut self, queue: QueueId) {
        if let Some(q) = self.queues.get_mut(&queue) {
            q.notices.status_dirty = true;
            let app = q.app;
            self.list_dirty(queue);
            self.touch_wallboard(app);
        }
    }

    /// Sends a customer its queuing info at once, remembering what it was told (so the
    /// coalesced position updates skip it until it changes).
    pub(crate) fn send_queuing_info(&mut self, sid: SessionId, info: QueuingInfo) {
        let session = self.sessions.get_mut(&sid).expect("present");
        session.sent_position = match info {
            QueuingInfo::Queuing { queue, position, .. } => Some((queue, position)),
            _ => None,
        };
        session.info_sent_at = Some(self.now);
        match info {
            QueuingInfo::Queuing { estimated_wait_s, .. } => self.wait_book.told.insert(sid, estimated_wait_s),
            _ => self.wait_book.told.remove(&sid),
        };
        self.notify(sid, Notice::QueuingInfoChanged(info));
    }

    /// Customers in the queue may have moved.
    pub(crate) fn touch_positions(&mut self, queue: QueueId) {
        if let Some(q) = self.queues.get_mut(&queue) {
            q.notices.positions_dirty = true;
            self.list_dirty(queue);
        }
    }

    pub(crate) fn list_dirty(&mut self, queue: QueueId) {
        if let Some(q) = self.queues.get_mut(&queue) {
            if !q.notices.listed {
                q.notices.listed = true;
                self.dirty.push(queue);
            }
        }
    }

    /// After each input or timeout: send what is due, schedule the rest.
    pub(crate) fn end_step(&mut self) {
        self.flush_agent_states();
        self.flush_user_status();
        let now = self.now;
        for queue in std::mem::take(&mut self.dirty) {
            let Some(q) = self.queues.get_mut(&queue) else {
                continue;
            };
            q.notices.listed = false;
            let interval = u64::from(self.apps[q.app as usize].settings.notice_interval_ms);
            let due = |sent: Option<Time>| sent.map_or(now, |t| t.plus_millis(interval));
            let mut next: Option<Time> = None;
            if q.notices.status_dirty {
                let at = due(q.notices.status_sent_at);
                if at <= now {
                    q.notices.status_dirty = false;
                    q.notices.status_sent_at = Some(now);
                    self.send_status(queue);
                } else {
                    next = Some(at);
                }
            }
            let q = self.queues.get_mut(&queue).expect("present");
            if q.notices.positions_dirty {
                let at = due(q.notices.positions_sent_at);
                if at <= now {
                    q.notices.positions_sent_at = Some(now);
                    let deferred = self.send_positions(queue, interval);
                    self.queues.get_mut(&queue).expect("present").notices.positions_dirty = deferred;
                    if deferred {
                        let at = now.plus_millis(interval.max(1));
                        next = Some(next.map_or(at, |n| n.min(at)));
                    }
                } else {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
            let q = self.queues.get_mut(&queue).expect("present");
            if let Some(at) = next {
                if q.notices.timer != Some(at) {
                    if let Some(old) = q.notices.timer.replace(at) {
                        self.timers.remove(old, Timer::Flush(queue));
                    }
                    self.timers.insert(at, Timer::Flush(queue));
                }
            }
        }
        self.flush_wallboards();
    }

    /// QueueStatusChanged to watchers of all queues, agents serving it and customers
    /// waiting in it; each online session once.
    fn send_status(&mut self, queue: QueueId) {
        let Some(status) = self.queue_status(queue) else {
            return;
        };
        let Engine { queues, sessions, apps, outputs, .. } = self;
        let q = &queues[&queue];
        let notice = Notice::QueueStatusChanged(status);
        let mut send = |sid: &SessionId, skip_watchers: bool| {
            if let Some(s) = sessions.get(sid) {
                if s.online && !(skip_watchers && s.watch_all) {
                    outputs.push_back(Output::Notify { session: *sid, notice: notice.clone() });
                }
            }
        };
        for sid in &apps[q.app as usize].watchers {
            send(sid, false);
        }
        for sid in q.agents.keys() {
            send(sid, true);
        }
        for sid in q.waiting.values() {
            send(sid, true);
        }
    }

    /// Position updates to customers whose position changed, online or held (a held
    /// customer's are buffered for its `Resume`, like every notice addressed to it).
    /// Returns whether some customer had to be deferred (it got one less than an
    /// interval ago).
    fn send_positions(&mut self, queue: QueueId, interval: u64) -> bool {
        let now = self.now;
        let basis = self.wait_basis(queue);
        let Engine { queues, sessions, outputs, wait_book, .. } = self;
        let q = &queues[&queue];
        let mut deferred = false;
        for (position, sid) in q.waiting.values().enumerate() {
            let position = position as u32;
            let Some(s) = sessions.get_mut(sid) else {
                continue;
            };
            let offered = s.queuing.as_ref().is_some_and(|q| q.offer.is_some());
            let estimated_wait_s = Engine::estimate_for(basis, position, offered);
            let told = wait_book.told.get(sid).copied().flatten();
            if s.sent_position == Some((queue, position)) && !crate::wait_estimate::moved(told, estimated_wait_s) {
                continue;
            }
            if s.info_sent_at.is_some_and(|t| now < t.plus_millis(interval)) {
                deferred = true;
                continue;
            }
            let queuing_time_s = s.queuing.as_ref().map_or(0, |qu| now.secs_since(qu.enqueued_at));
            s.sent_position = Some((queue, position));
            s.info_sent_at = Some(now);
            wait_book.told.insert(*sid, estimated_wait_s);
            outputs.push_back(Output::Notify {
                session: *sid,
                notice: Notice::QueuingInfoChanged(QueuingInfo::Queuing { queue, position, queuing_time_s, estimated_wait_s }),
            });
        }
        deferred
    }
}
