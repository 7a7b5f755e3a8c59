//! Presence: login (or taking over an existing session), dropped connections held for
//! the app's hold time, reconnects, and the end of a session.


use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, SessionId};
use crate::input::Reply;
use crate::model::{QueuingInfo, Role, Roles};
use crate::output::{
    AgentStatus, CancelReason, EndReason, EventSource, Notice, Output, QueueChangeKind, ServiceEnd,
    SessionEnd,
};
use crate::state::Session;
use crate::stats::WaitEnd;
use crate::time::Time;
use crate::timers::Timer;

impl Engine {
    pub(crate) fn login(
        &mut self,
        app: &str,
        user_id: Name,
        name: Name,
        roles: Roles,
    ) -> Result<Reply, AcdError> {
        let ix = self.app_index(app)?;
        check_text("UID", &user_id, 1, 128)?;
        check_text("nickName", &name, 0, 128)?;
        let user_id_key = user_id.clone();
        if let Some(&sid) = self.apps[ix as usize].users.get(&user_id) {
            let session = self.sessions.get_mut(&sid).expect("users index is consistent");
            session.name = name;
            session.roles = roles;
            let (app, was_online) = (session.app, session.online);
            // What the new roles no longer allow stops.
            if !roles.has(Role::Supervisor) {
                self.unsubscribe_wallboard(sid, app);
            }
            if !roles.has(Role::Supervisor) && !roles.has(Role::Agent) {
                self.unwatch_user_status(sid, app);
            }
            if !was_online {
                self.reconnect(sid)?;
            } else {
                self.send_standing(sid);
                // The new page learns the agent's state (no change tells it otherwise).
                if let Some(view) = self.agent_state_view(sid) {
                    self.notify(sid, crate::output::Notice::AgentStatusChanged(Box::new(view)));
                }
            }
            return Ok(Reply::LoggedIn { session: sid, resumed: true });
        }
        let sid = self.sessions.insert(Session {
                app: ix,
                user_id,
                name,
                roles,
                online: true,
                hold_until: None,
                watch_all: false,
                agent: None,
                queuing: None,
                served_in: None,
                sent_position: None,
                call: None,
                info_sent_at: None,
        });
        self.apps[ix as usize].users.insert(user_id_key, sid);
        self.touch_user(sid);
        Ok(Reply::LoggedIn { session: sid, resumed: false })
    }

    /// The connection dropped: hold the session; withdraw what it cannot answer now.
    pub(crate) fn disconnect(&mut self, sid: SessionId) -> Result<(), AcdError> {
        self.disconnect_held_from(sid, self.now)
    }

    /// The server restarted: every online session dropped when it stopped, held from `now`.
    pub(crate) fn restart(&mut self, now: Time) {
        let online: Vec<SessionId> = self.sessions.iter().filter(|(_, s)| s.online).map(|(id, _)| *id).collect();
        let from = now.max(self.now);
        for sid in online {
            let _ = self.disconnect_held_from(sid, from);
        }
    }

    /// Holds the session offline for the hold time counted from `from`.
    fn disconnect_held_from(&mut self, sid: SessionId, from: Time) -> Result<(), AcdError> {
        let session = self.sessions.get_mut(&sid).ok_or(AcdError::NoSession)?;
        if !session.online {
            return Ok(());
        }
        let hold_s = self.apps[session.app as usize].settings.hold_s;
        let until = self.held_until(sid, from, hold_s);
        let callback = self.offered_offline(sid);
        self.touch_user(sid);
        let session = self.sessions.get_mut(&sid).expect("present");
        session.online = false;
        session.hold_until = Some(until);
        self.timers.insert(until, Timer::Hold(sid));

        // A held customer keeps its place but is not offered (unless it waits for a
        // callback: then it is, offline).
        if let Some((queue, seq, offer)) = session.queuing.as_ref().map(|q| (q.queue, q.seq, q.offer)).filter(|_| !callback) {
            if let Some(offer) = offer {
                let (agent, _) = self.withdraw_offer(offer, Some(CancelReason::CustomerOffline), false);
                self.dispatch_agent(agent);
            }
            self.queues.get_mut(&queue).expect("queued in a live queue").ready.remove(&seq);
        }
        // A held agent gets no new offers; pending ones go back to the head at once.
        if let Some(agent) = self.sessions[&sid].agent.as_ref() {
            let offers = agent.offers.clone();
            let mut queues = Vec::new();
            for offer in offers {
                let (_, queue) = self.withdraw_offer(offer, Some(CancelReason::AgentOffline), false);
                queues.push(queue);
            }
            self.reindex_agent(sid, |_| {});
            for queue in queues {
                self.dispatch_queue(queue);
            }
        }
        if until == from {
            self.timers.remove(until, Timer::Hold(sid));
            self.end_session(sid, SessionEnd::HoldExpired);
        }
        Ok(())
    }

    /// The connection is back within the hold time.
    pub(crate) fn reconnect(&mut self, sid: SessionId) -> Result<(), AcdError> {
        let session = self.sessions.get_mut(&sid).ok_or(AcdError::NoSession)?;
        if session.online {
            self.send_standing(sid);
            return Ok(());
        }
        session.online = true;
        self.touch_user(sid);
        let session = self.sessions.get_mut(&sid).expect("present");
        if let Some(until) = session.hold_until.take() {
            self.timers.remove(until, Timer::Hold(sid));
        }
        if let Some((queue, seq, offered)) = session.queuing.as_ref().map(|q| (q.queue, q.seq, q.offer.is_some())) {
            // A customer waiting for a callback may be offered while it was away.
            if !offered {
                self.queues.get_mut(&queue).expect("queued in a live queue").ready.insert(seq);
            }
            self.send_standing(sid);
            self.dispatch_queue(queue);
        } else {
            self.send_standing(sid);
        }
        if self.sessions[&sid].agent.is_some() {
            self.reindex_agent(sid, |_| {});
            self.dispatch_agent(sid);
        }
        Ok(())
    }

    /// Tells a (re)connected session where it stands: its queuing info and the status
    /// of the queues it waits in, serves or watches.
    pub(crate) fn send_standing(&mut self, sid: SessionId) {
        let info = self.queuing_info(sid).unwrap_or(QueuingInfo::NotQueuing);
        self.send_queuing_info(sid, info);
        let session = &self.sessions[&sid];
        let mut queues: Vec<_> = if session.watch_all {
            self.apps[session.app as usize].queues.iter().copied().collect()
        } else {
            let mut v: Vec<_> = session.agent.iter().flat_map(|a| a.serving.iter().map(|(q, _)| *q)).collect();
            v.extend(session.queuing.as_ref().map(|q| q.queue));
            v
        };
        queues.sort();
        queues.dedup();
        for queue in queues {
            if let Some(status) = self.queue_status(queue) {
                self.notify(sid, Notice::QueueStatusChanged(status));
            }
        }
    }

    /// Ends a session for good: it leaves its queue, its services end, it stops serving.
    pub(crate) fn end_session(&mut self, sid: SessionId, reason: SessionEnd) {
        let (change, end) = match reason {
            SessionEnd::Logout => (QueueChangeKind::LeftByChoice, EndReason::Cancel),
            SessionEnd::HoldExpired => (QueueChangeKind::Dropped, EndReason::Hangup),
        };
        let source = match reason {
            SessionEnd::Logout => EventSource::Sdk,
            SessionEnd::HoldExpired => EventSource::System,
        };
        // Offline first, so that nothing is offered to a leaving agent.
        self.sessions.get_mut(&sid).expect("present").online = false;
        self.reindex_agent(sid, |_| {});
        if self.sessions[&sid].queuing.is_some() {
            self.leave_queue(sid, change, end, WaitEnd::Abandoned);
        }
        if let Some(service) = self.sessions[&sid].served_in {
            self.end_service(service, ServiceEnd::CustomerLeft);
        }
        if let Some(agent) = self.sessions[&sid].agent.as_ref() {
            let services = agent.services.clone();
            let queues: Vec<_> = agent.serving.iter().map(|(q, _)| *q).collect();
            for service in services {
                self.end_service(service, ServiceEnd::AgentLeft);
            }
            for &queue in &queues {
                self.drop_service_of_queue(sid, queue, CancelReason::ServiceStopped);
            }
            if !queues.is_empty() {
                self.agent_status_event(sid, AgentStatus::LoggedOut, source, queues);
            }
            if let Some(until) = self.sessions[&sid].agent.as_ref().and_then(|a| a.wrapup_until) {
                self.timers.remove(until, Timer::WrapUp(sid));
            }
        }
        // Services first (the leaving party decides how its tasks end), then calls.
        self.leave_calls_and_rooms(sid);
        self.agent_leaves(sid);
        self.touch_user(sid);
        let session = self.sessions.remove(&sid).expect("present");
        self.unwatch_user_status(sid, session.app);
        self.unsubscribe_wallboard(sid, session.app);
        if let Some(until) = session.hold_until {
            self.timers.remove(until, Timer::Hold(sid));
        }
        let app = &mut self.apps[session.app as usize];
        app.users.remove(&session.user_id);
        app.watchers.remove(&sid);
        self.outputs.push_back(Output::SessionEnded { session: sid, reason });
    }
}

fn check_text(field: &'static str, v: &str, min: usize, max: usize) -> Result<(), AcdError> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(AcdError::invalid(field, format!("{n} characters, must be {min} to {max}")));
    }
    if v.chars().any(char::is_control) {
        return Err(AcdError::invalid(field, "must not contain control characters"));
    }
    Ok(())
}
