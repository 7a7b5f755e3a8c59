//! The customer's side: joining a queue, leaving it (by choice, dropped, timed out) and
//! the queue-change and ACD events that go with it.

use std::sync::Arc;

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, QueueId, SessionId};
use crate::model::QueuingInfo;
use crate::output::{AcdPhase, CancelReason, EndReason, EventKind, Notice, QueueChangeKind};
use crate::skills::expr::Attributes;
use crate::state::Queuing;
use crate::stats::WaitEnd;
use crate::time::Time;
use crate::timers::Timer;

/// The most a customer may attach as usrExtDat.
pub const MAX_USR_EXT_DAT: usize = 8 * 1024;

impl Engine {
    pub(crate) fn start_queuing(&mut self, sid: SessionId, queue: QueueId, ext: Arc<str>) -> Result<(), AcdError> {
        self.start_queuing_with(sid, queue, ext, Vec::new())
    }

    /// StartQueuing with attributes (checked) for the queue's requirement.
    pub(crate) fn start_queuing_with(
        &mut self,
        sid: SessionId,
        queue: QueueId,
        ext: Arc<str>,
        attrs: Attributes,
    ) -> Result<(), AcdError> {
        if ext.len() > MAX_USR_EXT_DAT {
            return Err(AcdError::invalid("usrExtDat", format!("{} bytes, at most {MAX_USR_EXT_DAT}", ext.len())));
        }
        let ext = if ext.is_empty() { self.empty_text.clone() } else { ext };
        let q = self.queue_for(sid, queue)?;
        let (max_len, max_wait) = (q.def.max_len, q.def.max_wait_s);
        let waiting = q.waiting.len();
        let session = &self.sessions[&sid];
        if let Some(current) = &session.queuing {
            return Err(AcdError::AlreadyOtherQueue(current.queue));
        }
        if let Some(service) = session.served_in {
            return Err(AcdError::AlreadyOtherQueue(self.services[&service].queue));
        }
        if max_len.is_some_and(|m| waiting as u64 >= u64::from(m)) {
            return Err(AcdError::QueueFull(queue));
        }
        let (seq, now) = (self.fresh_id(), self.now);
        let attrs = (!attrs.is_empty()).then(|| Arc::new(attrs));
        self.enqueue(sid, queue, seq, now, ext, max_wait.map(|w| now.plus_secs(w.into())), attrs);
        Ok(())
    }

    /// Puts the customer into `queue` at order key `seq` (enqueued at `enqueued_at`):
    /// a new queuing task, its events, its QueuingInfo, UserEnter to the agents, and an
    /// offer at once if a free agent suits it.
    fn enqueue(
        &mut self,
        sid: SessionId,
        queue: QueueId,
        seq: u64,
        enqueued_at: Time,
        ext: Arc<str>,
        deadline: Option<Time>,
        attrs: Option<Arc<Attributes>>,
    ) {
        let task = self.next_task();
        let session = self.sessions.get_mut(&sid).expect("present");
        let online = session.online || self.callback_book.callbacks.contains_key(&sid);
        let app = session.app;
        let user_id = session.user_id.clone();
        session.queuing = Some(Queuing {
            queue,
            seq,
            task,
            enqueued_at,
            ext: ext.clone(),
            offer: None,
            declined: Vec::new(),
            deadline,
            agent_id: None,
            call_time: None,
        });
        if let Some(at) = deadline {
            self.timers.insert(at, Timer::MaxWait(sid));
        }
        let q = self.queues.get_mut(&queue).expect("live queue");
        // A new customer goes to the tail; one forwarded by its old time may go ahead of others.
        let at_tail = q.waiting.last_key_value().is_none_or(|(last, _)| *last < seq);
        q.waiting.insert(seq, sid);
        if online {
            q.ready.insert(seq);
        }
        q.counters.entered += 1;
        self.queue_interval(queue).offered += 1;
        self.arm_overflow(sid, queue);
        self.bind_customer(sid, queue, attrs);
        self.count_arrival(queue);
        self.emit(app, EventKind::QueueChange { queue, user_id, change: QueueChangeKind::Entered, usr_ext_dat: ext });
        self.acd_transition(sid, AcdPhase::Pending, AcdPhase::Waiting, None);
        let info = if at_tail {
            let position = self.queues[&queue].waiting.len() as u32 - 1;
            let estimated_wait_s = Engine::estimate_for(self.wait_basis(queue), position, false);
            QueuingInfo::Queuing { queue, position, queuing_time_s: self.now.secs_since(enqueued_at), estimated_wait_s }
        } else {
            self.queuing_info(sid).unwrap_or(QueuingInfo::NotQueuing)
        };
        self.send_queuing_info(sid, info);
        let user = self.que_user(sid);
        self.tell_queue_agents(queue, Notice::UserEnter(user));
        self.touch_status(queue);
        if !at_tail {
            self.touch_positions(queue);
        }
        self.dispatch_queue(queue);
    }

    pub(crate) fn stop_queuing(&mut self, sid: SessionId) -> Result<(), AcdError> {
        if self.sessions[&sid].queuing.is_none() {
            return Err(AcdError::NoUser("you are not queuing"));
        }
        self.leave_queue(sid, QueueChangeKind::LeftByChoice, EndReason::Cancel, WaitEnd::Abandoned);
        Ok(())
    }

    /// The customer leaves its queue without being served.
    pub(crate) fn leave_queue(&mut self, sid: SessionId, change: QueueChangeKind, reason: EndReason, end: WaitEnd) {
        let mut dispatch_agent = None;
        let offered = self.sessions[&sid].queuing.as_ref().and_then(|q| q.offer);
        if let Some(offer) = offered {
            dispatch_agent = Some(self.drop_offer(offer, Some(CancelReason::CustomerLeft)).agent);
        }
        let Some((queuing, app, user_id)) = self.unqueue(sid, end) else { return };
        self.notify(sid, Notice::QueuingInfoChanged(QueuingInfo::NotQueuing));
        self.tell_queue_agents(
            queuing.queue,
            Notice::UserLeave { queue: queuing.queue, user_id: user_id.clone(), in_service: false },
        );
        self.emit(
            app,
            EventKind::QueueChange { queue: queuing.queue, user_id, change, usr_ext_dat: queuing.ext.clone() },
        );
        let previous = if offered.is_some() { AcdPhase::Calling } else { AcdPhase::Waiting };
        self.acd_end(&queuing, sid, previous, reason, None);
        self.touch_status(queuing.queue);
        self.touch_positions(queuing.queue);
        if let Some(agent) = dispatch_agent {
            self.dispatch_agent(agent);
        }
    }

    /// Takes the customer out of its queue's order and timers, counting how its wait
    /// ended. Returns its queuing record, app and user id.
    pub(crate) fn unqueue(&mut self, sid: SessionId, end: WaitEnd) -> Option<(Queuing, u32, Name)> {
        let now = self.now;
        let session = self.sessions.get_mut(&sid).expect("present");
        let queuing = session.queuing.take()?;
        session.sent_position = None;
        self.wait_book.told.remove(&sid);
        let session = self.sessions.get_mut(&sid).expect("present");
        session.info_sent_at = Some(now);
        let (app, user_id) = (session.app, session.user_id.clone());
        if let Some(deadline) = queuing.deadline {
            self.timers.remove(deadline, Timer::MaxWait(sid));
        }
        let sl = self.settings_of_app(app).service_level_s;
        self.disarm_overflow(sid);
        self.unbind_customer(sid);
        self.callback_left(sid, end);
        let q = self.queues.get_mut(&queuing.queue).expect("live queue");
        q.waiting.remove(&queuing.seq);
        q.ready.remove(&queuing.seq);
        q.counters.record(end, queuing.enqueued_at, now, sl);
        self.report_wait_end(queuing.queue, end, now.millis_since(queuing.enqueued_at), sl);
        Some((queuing, app, user_id))
    }

    /// The customer waited its queue's max_wait_s.
    pub(crate) fn wait_timed_out(&mut self, sid: SessionId, at: Time) {
        let Some(queuing) = self.sessions.get(&sid).and_then(|s| s.queuing.as_ref()) else { return };
        if queuing.deadline != Some(at) {
            return;
        }
        let queue = queuing.queue;
        self.leave_queue(sid, QueueChangeKind::TimedOut, EndReason::Timeout, WaitEnd::TimedOut);
        self.notify(sid, Notice::QueuingEnded { queue, reason: EndReason::Timeout });
    }
}

impl Engine {
    /// Moves a customer queuing in `queue` to `to_queue`, keeping its enqueue time (and
    /// so its place by waiting time). The old queue's task ends with `forward`; a new
    /// task starts in the new queue.
    pub(crate) fn forward_user(
        &mut self,
        app: u32,
        queue: QueueId,
        user_id: &str,
        to_queue: QueueId,
    ) -> Result<(), AcdError> {
        let in_app = |e: &Engine, q: QueueId| e.queues.get(&q).is_some_and(|q| q.app == app);
        if !in_app(self, queue) {
            return Err(AcdError::QueueInvalid(queue));
        }
        if !in_app(self, to_queue) {
            return Err(AcdError::QueueInvalid(to_queue));
        }
        if queue == to_queue {
            return Err(AcdError::invalid("toQueID", "is the queue the customer is in"));
        }
        let sid = self.apps[app as usize].users.get(user_id).copied();
        let sid = sid
            .filter(|s| self.sessions[s].queuing.as_ref().is_some_and(|q| q.queue == queue))
            .ok_or(AcdError::NoUser("the customer is not queuing in this queue"))?;
        let target = &self.queues[&to_queue];
        if target.def.max_len.is_some_and(|m| target.waiting.len() as u64 >= u64::from(m)) {
            return Err(AcdError::QueueFull(to_queue));
        }
        self.move_customer(sid, to_queue, QueueChangeKind::Forwarded);
        Ok(())
    }

    /// Moves a waiting customer to `to_queue` (checked: in its app, another queue, room
    /// there) at its old place in time; `change` says why (forwarded, overflowed).
    pub(crate) fn move_customer(&mut self, sid: SessionId, to_queue: QueueId, change: QueueChangeKind) {
        let queue = self.sessions[&sid].queuing.as_ref().expect("queuing").queue;
        let mut dispatch_agent = None;
        let offered = self.sessions[&sid].queuing.as_ref().and_then(|q| q.offer);
        if let Some(offer) = offered {
            dispatch_agent = Some(self.drop_offer(offer, Some(CancelReason::Forwarded)).agent);
        }
        let attrs = self.attributes_of(sid);
        let (old, app_ix, uid) = self.unqueue(sid, WaitEnd::Forwarded).expect("queuing");
        self.tell_queue_agents(queue, Notice::UserLeave { queue, user_id: uid.clone(), in_service: false });
        self.emit(app_ix, EventKind::QueueChange { queue, user_id: uid.clone(), change, usr_ext_dat: old.ext.clone() });
        let previous = if offered.is_some() { AcdPhase::Calling } else { AcdPhase::Waiting };
        self.acd_end(&old, sid, previous, EndReason::Forward, None);
        self.touch_status(queue);
        self.touch_positions(queue);

        // Into the new queue at its old place in time; max_wait_s runs from the start.
        let now = self.now;
        let deadline = self.queues[&to_queue].def.max_wait_s.map(|w| old.enqueued_at.plus_secs(w.into()).max(now));
        self.enqueue(sid, to_queue, old.seq, old.enqueued_at, old.ext, deadline, attrs);
        if let Some(agent) = dispatch_agent {
            self.dispatch_agent(agent);
        }
    }
}
