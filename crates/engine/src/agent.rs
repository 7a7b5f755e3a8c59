//! The agent's requests: serving queues, DND and capacity, answering offers, taking
//! customers by hand and finishing services.

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{OfferId, QueueId, SessionId};
use crate::model::QueUser;
use crate::output::{AgentStatus, CancelReason, EventSource, ServiceEnd};
use crate::state::Agent;
use crate::time::Time;

impl Engine {
    fn ensure_agent(&mut self, sid: SessionId) {
        let now = self.now;
        let session = self.sessions.get_mut(&sid).expect("checked by caller");
        session.agent.get_or_insert_with(|| Box::new(Agent::new(now)));
    }

    fn agent(&self, sid: SessionId) -> Option<&Agent> {
        self.sessions.get(&sid).and_then(|s| s.agent.as_deref())
    }

    pub(crate) fn start_service(&mut self, sid: SessionId, queue: QueueId, priority: u16) -> Result<(), AcdError> {
        if priority > 1000 {
            return Err(AcdError::invalid("priority", format!("{priority} is outside 0..=1000")));
        }
        self.queue_for(sid, queue)?;
        self.ensure_agent(sid);
        let agent = self.agent(sid).expect("ensured");
        match agent.priority_in(queue) {
            Some(p) if p == priority => return Ok(()),
            Some(_) => {
                self.reindex_agent(sid, |a| {
                    for entry in a.serving.iter_mut().filter(|(q, _)| *q == queue) {
                        entry.1 = priority;
                    }
                });
                self.queues.get_mut(&queue).expect("checked").agents.insert(sid, priority);
            }
            None => {
                let first = agent.serving.is_empty();
                self.reindex_agent(sid, |a| a.serving.push((queue, priority)));
                self.queues.get_mut(&queue).expect("checked").agents.insert(sid, priority);
                self.touch_status(queue);
                self.touch_positions(queue);
                if first {
                    self.agent_status_event(sid, AgentStatus::Available, EventSource::Sdk, vec![queue]);
                }
            }
        }
        self.dispatch_agent(sid);
        Ok(())
    }

    pub(crate) fn stop_service(&mut self, sid: SessionId, queue: QueueId) -> Result<(), AcdError> {
        self.queue_for(sid, queue)?;
        if self.agent(sid).and_then(|a| a.priority_in(queue)).is_none() {
            return Err(AcdError::ServiceNotStarted("you are not serving this queue"));
        }
        if self.drop_service_of_queue(sid, queue, CancelReason::ServiceStopped) {
            self.agent_status_event(sid, AgentStatus::LoggedOut, EventSource::Sdk, vec![queue]);
        }
        Ok(())
    }

    /// The agent stops serving `queue`: its offers from there go back to the head.
    /// Returns whether it now serves no queue (the caller reports the logout).
    pub(crate) fn drop_service_of_queue(&mut self, sid: SessionId, queue: QueueId, reason: CancelReason) -> bool {
        let Some(agent) = self.agent(sid) else { return false };
        let offers: Vec<OfferId> =
            agent.offers.iter().copied().filter(|o| self.offers[o].queue == queue).collect();
        for offer in offers {
            self.withdraw_offer(offer, Some(reason), false);
        }
        self.reindex_agent(sid, |a| a.serving.retain(|(q, _)| *q != queue));
        if let Some(q) = self.queues.get_mut(&queue) {
            q.agents.remove(&sid);
        }
        self.touch_status(queue);
        self.touch_positions(queue);
        self.dispatch_queue(queue);
        self.dispatch_agent(sid);
        self.agent(sid).is_some_and(|a| a.serving.is_empty())
    }

    /// `SetDNDStatus`: 0 off (available), any other value on: the agent's reason, which
    /// the app's table may limit (`agent_state`).
    pub(crate) fn set_dnd(&mut self, sid: SessionId, reason: u32) -> Result<(), AcdError> {
        self.check_reason_choice(self.sessions[&sid].app, reason)?;
        self.ensure_agent(sid);
        self.reindex_agent(sid, |a| a.dnd = reason != 0);
        self.set_reason(sid, reason, EventSource::Sdk);
        self.touch_served_positions(sid);
        self.dispatch_agent(sid);
        Ok(())
    }

    pub(crate) fn set_capacity(&mut self, sid: SessionId, capacity: u16) -> Result<(), AcdError> {
        if !(1..=50).contains(&capacity) {
            return Err(AcdError::invalid("capacity", format!("{capacity} is outside 1..=50")));
        }
        self.ensure_agent(sid);
        let agent = self.agent(sid).expect("ensured");
        if agent.services.len() > usize::from(capacity) {
            let n = agent.services.len();
            return Err(AcdError::invalid(
                "capacity",
                format!("{n} customers are being served; finish some before lowering the capacity to {capacity}"),
            ));
        }
        // Offers beyond the new capacity go back to the head, newest first.
        let excess = usize::from(agent.load().saturating_sub(capacity));
        let withdrawn: Vec<OfferId> = agent.offers.iter().rev().take(excess).copied().collect();
        self.reindex_agent(sid, |a| a.capacity = capacity);
        self.touch_served_positions(sid);
        let queues: Vec<QueueId> = withdrawn
            .into_iter()
            .map(|offer| self.withdraw_offer(offer, Some(CancelReason::CapacityLowered), false).1)
            .collect();
        for queue in queues {
            self.dispatch_queue(queue);
        }
        self.dispatch_agent(sid);
        Ok(())
    }

    /// The pending offer of `user_id` from `queue` to this agent (found among the
    /// agent's own few offers, not by a search of all users).
    fn offer_to(&self, sid: SessionId, queue: QueueId, user_id: &str) -> Result<(SessionId, OfferId), AcdError> {
        self.queue_for(sid, queue)?;
        let agent = self.agent(sid).ok_or(AcdError::UserCancelled)?;
        agent
            .offers
            .iter()
            .find_map(|id| {
                let o = &self.offers[id];
                (o.queue == queue && &*self.sessions[&o.customer].user_id == user_id).then_some((o.customer, *id))
            })
            .ok_or(AcdError::UserCancelled)
    }

    pub(crate) fn accept(&mut self, sid: SessionId, queue: QueueId, user_id: &str) -> Result<(), AcdError> {
        let (customer, offer) = self.offer_to(sid, queue, user_id)?;
        self.take_customer(sid, customer, Some(offer));
        Ok(())
    }

    pub(crate) fn reject(&mut self, sid: SessionId, queue: QueueId, user_id: &str) -> Result<(), AcdError> {
        let (_, offer) = self.offer_to(sid, queue, user_id)?;
        self.withdraw_offer(offer, None, true);
        self.offer_answered(sid);
        if let Some(q) = self.queues.get_mut(&queue) {
            q.counters.live.offers_rejected += 1;
        }
        self.dispatch_queue(queue);
        self.dispatch_agent(sid);
        Ok(())
    }

    pub(crate) fn offer_timed_out(&mut self, offer: OfferId) {
        if !self.offers.contains_key(&offer) {
            return;
        }
        let (agent, queue) = self.withdraw_offer(offer, Some(CancelReason::Timeout), true);
        self.offer_missed(agent);
        self.agent_interval(agent).missed += 1;
        self.dispatch_queue(queue);
        self.dispatch_agent(agent);
    }

    fn check_can_take(&self, sid: SessionId) -> Result<(), AcdError> {
        let agent = self
            .agent(sid)
            .filter(|a| !a.serving.is_empty())
            .ok_or(AcdError::ServiceNotStarted("you are not serving any queue"))?;
        if agent.load() >= agent.capacity {
            return Err(AcdError::AgentAtCapacity(agent.capacity));
        }
        Ok(())
    }

    /// ReqAssignUser: the next customer by the usual order, handed over at once.
    pub(crate) fn req_assign(&mut self, sid: SessionId) -> Result<QueUser, AcdError> {
        self.check_can_take(sid)?;
        self.check_manual_pull(sid)?;
        let (_, _, customer) = self
            .best_candidate(sid)
            .ok_or(AcdError::NoUser("no customer is waiting in the queues you serve"))?;
        Ok(self.take_customer(sid, customer, None))
    }

    /// ReqAssignUser2: this waiting customer, handed over at once.
    pub(crate) fn req_assign_user(&mut self, sid: SessionId, queue: QueueId, user_id: &str) -> Result<QueUser, AcdError> {
        self.queue_for(sid, queue)?;
        if self.agent(sid).and_then(|a| a.priority_in(queue)).is_none() {
            return Err(AcdError::ServiceNotStarted("you are not serving this queue"));
        }
        let customer = self.user_session(sid, user_id).ok_or(AcdError::NoUser("no such customer"))?;
        if customer == sid {
            return Err(AcdError::NoUser("an agent cannot take itself"));
        }
        let session = &self.sessions[&customer];
        let queuing = session
            .queuing
            .as_ref()
            .filter(|q| q.queue == queue)
            .ok_or(AcdError::NoUser("the customer is not queuing in this queue"))?;
        match queuing.offer {
            Some(offer) if self.offers[&offer].agent == sid => {
                return Ok(self.take_customer(sid, customer, Some(offer)));
            }
            Some(_) => return Err(AcdError::NoUser("the customer is being offered to another agent")),
            None => {}
        }
        if !session.online {
            return Err(AcdError::NoUser("the customer is offline"));
        }
        self.check_can_take(sid)?;
        self.check_manual_pull(sid)?;
        Ok(self.take_customer(sid, customer, None))
    }

    pub(crate) fn finish_service(&mut self, sid: SessionId, queue: QueueId, user_id: &str) -> Result<(), AcdError> {
        let service = self.agent(sid).and_then(|a| {
            a.services.iter().copied().find(|s| {
                let s = &self.services[s];
                s.queue == queue && &*self.sessions[&s.customer].user_id == user_id
            })
        });
        let service = service.ok_or(AcdError::NoUser("you are not serving this customer in this queue"))?;
        self.end_service(service, ServiceEnd::Finished);
        Ok(())
    }

    pub(crate) fn wrapup_ended(&mut self, sid: SessionId, at: Time) {
        if self.agent(sid).is_some_and(|a| a.wrapup_until == Some(at)) {
            self.reindex_agent(sid, |a| a.wrapup_until = None);
            self.dispatch_agent(sid);
        }
    }
}

impl Engine {
    /// Administration stops an agent serving every queue (source `api`).
    pub(crate) fn admin_agent_logout(&mut self, app: &str, user_id: &str) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        let sid = self.apps[ix as usize].users.get(user_id).copied().ok_or(AcdError::NoUser("no such logged-in agent"))?;
        let queues: Vec<QueueId> = self.agent(sid).map(|a| a.serving.iter().map(|(q, _)| *q).collect()).unwrap_or_default();
        if queues.is_empty() {
            return Err(AcdError::ServiceNotStarted("the agent serves no queue"));
        }
        for &queue in &queues {
            self.drop_service_of_queue(sid, queue, CancelReason::ServiceStopped);
            self.notify(sid, crate::output::Notice::ServiceStopped { queue });
        }
        self.agent_status_event(sid, AgentStatus::LoggedOut, EventSource::Api, queues);
        Ok(())
    }
}
