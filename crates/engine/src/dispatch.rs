//! Who gets whom: the free-agent index, choosing the next customer for an agent and the
//! best agent for a customer, and the life of offers and services.
//!
//! The rule (CloudRoom's): a free agent is offered the earliest-waiting customer of the
//! highest-priority queue it serves (with aging, `routing`: the best effective priority,
//! then the earliest); among free agents of a queue, the best agent priority wins, then
//! the least loaded, then the one idle longest. Every step that can make a match calls
//! the dispatcher at once; nothing polls.

use crate::engine::Engine;
use crate::ids::{OfferId, QueueId, ServiceId, SessionId, TaskId};
use crate::model::{QueUser, QueuingInfo};
use crate::output::{AcdPhase, AcdTransition, CancelReason, EndReason, EventKind, Notice, QueueChangeKind, ServiceEnd};
use crate::state::{Agent, Offer, Service};
use crate::stats::WaitEnd;
use crate::timers::Timer;

/// A customer chosen for an agent: its queue, order key and session.
pub(crate) type Candidate = (QueueId, u64, SessionId);

impl Engine {
    /// Applies `change` to the agent and moves it into or out of its queues' free sets.
    pub(crate) fn reindex_agent(&mut self, sid: SessionId, change: impl FnOnce(&mut Agent)) {
        self.touch_user(sid);
        self.touch_agent(sid);
        let now = self.now;
        let Engine { sessions, queues, .. } = self;
        let Some(session) = sessions.get_mut(&sid) else { return };
        let online = session.online;
        let Some(agent) = session.agent.as_mut() else { return };
        let old = agent.free_key.take();
        if let Some((load, idle)) = old {
            for (q, prio) in &agent.serving {
                if let Some(queue) = queues.get_mut(q) {
                    queue.free_agents.remove(&(*prio, load, idle, sid));
                }
            }
        }
        change(agent);
        let free = online
            && !agent.dnd
            && agent.wrapup_until.is_none()
            && agent.load() < agent.capacity
            && !agent.serving.is_empty();
        if free {
            let idle = old.map(|(_, t)| t).unwrap_or(now);
            agent.idle_since = idle;
            let load = agent.load();
            agent.free_key = Some((load, idle));
            for (q, prio) in &agent.serving {
                if let Some(queue) = queues.get_mut(q) {
                    queue.free_agents.insert((*prio, load, idle, sid));
                }
            }
        }
    }

    pub(crate) fn is_free(&self, sid: SessionId) -> bool {
        self.sessions.get(&sid).and_then(|s| s.agent.as_ref()).is_some_and(|a| a.free_key.is_some())
    }

    /// The customer this agent should get next, by queue priority then waiting order,
    /// skipping customers it declined recently.
    pub(crate) fn best_candidate(&self, agent_sid: SessionId) -> Option<Candidate> {
        let agent = self.sessions.get(&agent_sid)?.agent.as_ref()?;
        let aging = self.any_aging();
        let skilled = self.any_requirement();
        let levels = self.skill_levels(agent_sid);
        // (effective priority, order key): lower is better (`routing` for aging).
        let mut best: Option<(i64, u64, QueueId, SessionId)> = None;
        for (q, _) in &agent.serving {
            let Some(queue) = self.queues.get(q).filter(|q| !q.closing) else { continue };
            let prio = i64::from(queue.def.prio);
            for &seq in &queue.ready {
                // Without aging the queue's priority decides before the customer is looked at.
                if !aging && best.is_some_and(|b| (prio, seq) >= (b.0, b.1)) {
                    break;
                }
                let customer = queue.waiting[&seq];
                if customer == agent_sid {
                    continue; // a session with both roles is never offered to itself
                }
                let queuing = self.sessions[&customer].queuing.as_ref();
                // Within a queue the first is the oldest, so the best: later ones are not.
                let effective = match (aging, queuing) {
                    (true, Some(qu)) => self.effective_priority(*q, queue.def.prio, qu.enqueued_at),
                    _ => prio,
                };
                if best.is_some_and(|b| (effective, seq) >= (b.0, b.1)) {
                    break;
                }
                if !queuing.is_some_and(|qu| qu.declined_by(agent_sid, self.now))
                    && (!skilled || self.meets(customer, levels))
                {
                    best = Some((effective, seq, *q, customer));
                    break;
                }
            }
        }
        best.map(|(_, seq, q, c)| (q, seq, c))
    }

    /// Offers customers to this agent while it is free and someone suits it.
    pub(crate) fn dispatch_agent(&mut self, sid: SessionId) {
        while self.is_free(sid) {
            match self.best_candidate(sid) {
                Some(candidate) => self.make_offer(sid, candidate),
                None => break,
            }
        }
    }

    /// Offers this queue's ready customers to its free agents, best agent first.
    pub(crate) fn dispatch_queue(&mut self, queue: QueueId) {
        loop {
            let Some(q) = self.queues.get(&queue) else { return };
            if q.ready.is_empty() || q.free_agents.is_empty() {
                return;
            }
            let found =
                q.free_agents.iter().find_map(|&(_, _, _, agent)| self.best_candidate(agent).map(|c| (agent, c)));
            match found {
                Some((agent, candidate)) => self.make_offer(agent, candidate),
                None => return,
            }
        }
    }

    fn make_offer(&mut self, agent_sid: SessionId, (queue, seq, customer): Candidate) {
        let now = self.now;
        let app = self.queues[&queue].app;
        let deadline = now.plus_secs(self.settings_of_app(app).offer_timeout_s.into());
        let offer = OfferId(self.fresh_id());
        let q = self.queues.get_mut(&queue).expect("live queue");
        q.ready.remove(&seq);
        q.counters.live.offers_made += 1;
        let agent_id = self.sessions[&agent_sid].user_id.clone();
        let queuing = self.sessions.get_mut(&customer).and_then(|s| s.queuing.as_mut()).expect("queuing");
        queuing.offer = Some(offer);
        queuing.agent_id = Some(agent_id);
        self.touch_user(customer);
        let queuing = self.sessions.get_mut(&customer).and_then(|s| s.queuing.as_mut()).expect("queuing");
        queuing.call_time = Some(now);
        self.offers.insert(offer, Offer { agent: agent_sid, customer, queue, deadline });
        // The next customer of this queue is likely the next one offered: fetch its
        // record now, while this offer is being handled.
        if let Some(next) = self.queues[&queue].ready.first().map(|seq| self.queues[&queue].waiting[seq]) {
            self.sessions.prefetch(next);
        }
        self.reindex_agent(agent_sid, |a| a.offers.push(offer));
        self.agent_interval(agent_sid).offers += 1;
        self.timers.insert(deadline, Timer::Offer(offer));
        let user = self.que_user(customer);
        self.notify(agent_sid, Notice::AutoAssignUser(user));
        self.acd_transition(customer, AcdPhase::Waiting, AcdPhase::Calling, None);
    }

    /// Removes an offer's record: its timer, the agent's load; tells the agent why when
    /// `reason` is given.
    pub(crate) fn drop_offer(&mut self, offer: OfferId, reason: Option<CancelReason>) -> Offer {
        let o = self.offers.remove(&offer).expect("live offer");
        self.timers.remove(o.deadline, Timer::Offer(offer));
        self.reindex_agent(o.agent, |a| a.offers.retain(|x| *x != offer));
        if let Some(queuing) = self.sessions.get_mut(&o.customer).and_then(|s| s.queuing.as_mut()) {
            queuing.offer = None;
        }
        self.touch_user(o.customer);
        if let Some(q) = self.queues.get_mut(&o.queue) {
            match reason {
                Some(CancelReason::Timeout) => q.counters.live.offers_timed_out += 1,
                Some(_) => q.counters.live.offers_withdrawn += 1,
                // Accepted or rejected: counted by the caller.
                None => {}
            }
        }
        if let Some(reason) = reason {
            let user_id = self.sessions[&o.customer].user_id.clone();
            self.notify(o.agent, Notice::CancelAssignUser { queue: o.queue, user_id, reason });
        }
        o
    }

    /// Removes an offer; the customer is queuing again at its old place. Tells the agent
    /// why when `reason` is given; `decline` keeps the customer from this agent for the
    /// app's re-offer delay. Returns (agent, queue) for the caller to re-dispatch.
    pub(crate) fn withdraw_offer(
        &mut self,
        offer: OfferId,
        reason: Option<CancelReason>,
        decline: bool,
    ) -> (SessionId, QueueId) {
        let o = self.drop_offer(offer, reason);
        let customer = &self.sessions[&o.customer];
        let online = customer.online || self.offered_offline(o.customer);
        let delay = self.settings_of_app(customer.app).reoffer_delay_s;
        let until = self.now.plus_secs(delay.into());
        let queuing = self.sessions.get_mut(&o.customer).and_then(|s| s.queuing.as_mut()).expect("queuing");
        let seq = queuing.seq;
        if decline && delay > 0 {
            queuing.declined.push((o.agent, until));
            self.timers.insert(until, Timer::Declined(o.customer));
        }
        if online {
            self.queues.get_mut(&o.queue).expect("live queue").ready.insert(seq);
        }
        self.acd_transition(o.customer, AcdPhase::Calling, AcdPhase::Waiting, None);
        (o.agent, o.queue)
    }

    /// The agent takes the customer: through its offer, or directly (ReqAssignUser).
    pub(crate) fn take_customer(
        &mut self,
        agent_sid: SessionId,
        customer: SessionId,
        offer: Option<OfferId>,
    ) -> QueUser {
        let now = self.now;
        let user = self.que_user(customer);
        match offer {
            Some(offer) => {
                let o = self.drop_offer(offer, None);
                if let Some(q) = self.queues.get_mut(&o.queue) {
                    q.counters.live.offers_accepted += 1;
                }
                let offered_at = self.sessions[&customer].queuing.as_ref().and_then(|q| q.call_time);
                if let Some(at) = offered_at {
                    self.observe_answer_time(o.queue, now.millis_since(at));
                }
            }
            None => {
                let agent_id = self.sessions[&agent_sid].user_id.clone();
                let queuing = self.sessions.get_mut(&customer).and_then(|s| s.queuing.as_mut()).expect("queuing");
                queuing.agent_id = Some(agent_id);
                queuing.call_time = Some(now);
                self.acd_transition(customer, AcdPhase::Waiting, AcdPhase::Calling, None);
            }
        }
        self.offer_answered(agent_sid);
        self.report_answer(agent_sid);
        let taken_from = self.sessions[&customer].queuing.as_ref().expect("queuing").queue;
        self.callback_taken(customer, agent_sid, taken_from);
        let service = ServiceId(self.fresh_id());
        let (queuing, app, user_id) = self.unqueue(customer, WaitEnd::Served).expect("queuing");
        self.sessions.get_mut(&customer).expect("customer").served_in = Some(service);
        self.touch_user(customer);
        self.queues.get_mut(&queuing.queue).expect("live queue").in_service += 1;
        let queue = queuing.queue;
        self.reindex_agent(agent_sid, |a| a.services.push(service));
        self.notify(customer, Notice::QueuingInfoChanged(QueuingInfo::InService));
        self.tell_queue_agents(
            queuing.queue,
            Notice::UserLeave { queue: queuing.queue, user_id: user_id.clone(), in_service: true },
        );
        self.emit(
            app,
            EventKind::QueueChange {
                queue: queuing.queue,
                user_id,
                change: QueueChangeKind::TakenByAgent,
                usr_ext_dat: queuing.ext.clone(),
            },
        );
        self.touch_status(queue);
        self.touch_positions(queue);
        // The ACD task stays "calling" until the agent's call is answered (or fails).
        self.services
            .insert(service, Service { agent: agent_sid, customer, queue, started_at: now, task: Some(queuing) });
        user
    }

    /// Completes the ACD task of a service's customer, if still open.
    pub(crate) fn complete_task(
        &mut self,
        service: ServiceId,
        reason: EndReason,
        talk_time: Option<crate::time::Time>,
    ) {
        let Some(s) = self.services.get_mut(&service) else { return };
        let customer = s.customer;
        if let Some(task) = s.task.take() {
            self.end_task(&task, customer, reason, talk_time);
        }
    }

    fn end_task(
        &mut self,
        task: &crate::state::Queuing,
        customer: SessionId,
        reason: EndReason,
        talk_time: Option<crate::time::Time>,
    ) {
        if self.sessions.get(&customer).is_some() {
            self.acd_end(task, customer, AcdPhase::Calling, reason, talk_time);
        }
    }

    /// Ends a service; the agent wraps up (queue's wrap-up time) and is offered again.
    pub(crate) fn end_service(&mut self, service: ServiceId, reason: ServiceEnd) {
        let now = self.now;
        let Some(mut s) = self.services.remove(&service) else { return };
        // A service that ends with its task open: taken without a call (success), or
        // its customer or agent went away.
        if let Some(task) = s.task.take() {
            let (end, talk_time) = match reason {
                ServiceEnd::Finished => (EndReason::Success, Some(s.started_at)),
                ServiceEnd::CustomerLeft => (EndReason::Hangup, None),
                ServiceEnd::AgentLeft => (EndReason::Cancel, None),
                ServiceEnd::CallEnded => (EndReason::CallFail, None),
            };
            self.end_task(&task, s.customer, end, talk_time);
        }
        let wrapup_s = self.queues.get(&s.queue).map(|q| q.def.wrapup_s).unwrap_or(0);
        if let Some(q) = self.queues.get_mut(&s.queue) {
            q.in_service -= 1;
            q.counters.live.service_lasted(now.millis_since(s.started_at));
        }
        self.report_service_end(s.queue, s.agent, now.millis_since(s.started_at));
        // How long serving takes, for the estimated waits (an agent leaving is no measure).
        if reason != ServiceEnd::AgentLeft && self.queues.contains_key(&s.queue) {
            self.observe_handle_time(s.queue, now.millis_since(s.started_at));
        }
        let agent_id = self.sessions[&s.agent].user_id.clone();
        let customer_id = self.sessions[&s.customer].user_id.clone();
        let wrapup_until = (wrapup_s > 0 && reason != ServiceEnd::AgentLeft).then(|| now.plus_secs(wrapup_s.into()));
        let mut old_wrapup = None;
        self.reindex_agent(s.agent, |a| {
            a.services.retain(|x| *x != service);
            a.served_total += 1;
            a.service_ms_total += now.millis_since(s.started_at);
            if let Some(until) = wrapup_until {
                old_wrapup = a.wrapup_until;
                a.wrapup_until = Some(old_wrapup.map_or(until, |o| o.max(until)));
            }
        });
        if let Some(until) = wrapup_until {
            if let Some(old) = old_wrapup {
                self.timers.remove(old, Timer::WrapUp(s.agent));
            }
            self.timers.insert(old_wrapup.map_or(until, |o| o.max(until)), Timer::WrapUp(s.agent));
        }
        let notice = Notice::ServiceFinished { queue: s.queue, agent_id, customer_id, reason };
        self.notify(s.agent, notice.clone());
        self.notify(s.customer, notice);
        self.sessions.get_mut(&s.customer).expect("customer").served_in = None;
        self.touch_user(s.customer);
        self.send_queuing_info(s.customer, QueuingInfo::NotQueuing);
        self.touch_status(s.queue);
        self.dispatch_agent(s.agent);
    }

    /// An agent's re-offer delay for a customer ended: it may be offered there again.
    pub(crate) fn decline_expired(&mut self, customer: SessionId) {
        let now = self.now;
        let Some(queuing) = self.sessions.get_mut(&customer).and_then(|s| s.queuing.as_mut()) else { return };
        queuing.declined.retain(|(_, until)| *until > now);
        let queue = queuing.queue;
        self.dispatch_queue(queue);
    }

    /// The customer as shown to agents.
    pub(crate) fn que_user(&self, customer: SessionId) -> QueUser {
        let s = &self.sessions[&customer];
        let q = s.queuing.as_ref().expect("queuing");
        QueUser {
            queue: q.queue,
            user_id: s.user_id.clone(),
            name: s.name.clone(),
            queuing_time_s: self.now.secs_since(q.enqueued_at),
            usr_ext_dat: q.ext.clone(),
            callback: self.callback_book.callbacks.get(&customer).map(|c| c.number.clone()),
            attributes: self.attributes_of(customer),
        }
    }

    /// Sends a notice to every online agent serving `queue`.
    /// UserEnter / UserLeave to the queue's online agents, unless the app turned them off.
    pub(crate) fn tell_queue_agents(&mut self, queue: QueueId, notice: Notice) {
        let Engine { queues, sessions, outputs, apps, .. } = self;
        let Some(q) = queues.get(&queue) else { return };
        if !apps[q.app as usize].settings.queue_user_notices {
            return;
        }
        for sid in q.agents.keys() {
            if sessions.get(sid).is_some_and(|s| s.online) {
                outputs.push_back(crate::output::Output::Notify { session: *sid, notice: notice.clone() });
            }
        }
    }

    /// Emits one ACD life-cycle step of the customer's current queuing task.
    pub(crate) fn acd_transition(
        &mut self,
        customer: SessionId,
        previous: AcdPhase,
        latest: AcdPhase,
        end: Option<EndReason>,
    ) {
        self.acd_step(customer, previous, latest, end, None);
    }

    fn acd_step(
        &mut self,
        customer: SessionId,
        previous: AcdPhase,
        latest: AcdPhase,
        end: Option<EndReason>,
        requirement_step: Option<u8>,
    ) {
        let s = &self.sessions[&customer];
        let q = s.queuing.as_ref().expect("queuing");
        let t = AcdTransition {
            task: q.task,
            queue: q.queue,
            user_id: s.user_id.clone(),
            previous,
            latest,
            agent_id: q.agent_id.clone(),
            begin_time: q.enqueued_at,
            call_time: q.call_time,
            talk_time: None,
            end_time: end.map(|_| self.now),
            end_reason: end,
            data: q.ext.clone(),
            requirement_step,
        };
        let app = s.app;
        self.emit(app, EventKind::AcdState(Box::new(t)));
    }

    /// The customer's requirement stepped down (`skills`): an ACD state event that
    /// stays in `phase` and says the step.
    pub(crate) fn acd_relaxed(&mut self, customer: SessionId, phase: AcdPhase, step: u8) {
        self.acd_step(customer, phase, phase, None, Some(step));
    }

    /// Emits the final step of a queuing task already taken off the session.
    pub(crate) fn acd_end(
        &mut self,
        q: &crate::state::Queuing,
        customer: SessionId,
        previous: AcdPhase,
        reason: EndReason,
        talk_time: Option<crate::time::Time>,
    ) {
        let s = &self.sessions[&customer];
        let t = AcdTransition {
            task: q.task,
            queue: q.queue,
            user_id: s.user_id.clone(),
            previous,
            latest: AcdPhase::Completed,
            agent_id: q.agent_id.clone(),
            begin_time: q.enqueued_at,
            call_time: q.call_time,
            talk_time,
            end_time: Some(self.now),
            end_reason: Some(reason),
            data: q.ext.clone(),
            requirement_step: None,
        };
        let app = s.app;
        self.emit(app, EventKind::AcdState(Box::new(t)));
    }

    pub(crate) fn next_task(&mut self) -> TaskId {
        TaskId(self.fresh_id())
    }
}
