//! Read-only views: what a session, a supervisor or the REST API may look at.

use std::sync::Arc;

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, QueueId, SessionId};
use crate::model::{
    AgentView, AppSettings, QueUser, QueueInfo, QueueStats, QueueStatus, QueueUsers, QueuingInfo, Role, Roles,
};
use crate::stats::LiveCounters;

/// A queue's monitoring figures ([`Engine::queue_monitor`]).
#[derive(Clone, Debug, PartialEq)]
pub struct QueueMonitor {
    pub stats: QueueStats,
    /// Agents serving the queue that are in DND (manual) mode.
    pub agents_dnd: u32,
    /// Offer counters and distributions since the engine was built or restored.
    pub live: LiveCounters,
}

/// Sessions by what they do: `[online, held offline]` each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionActivity {
    /// Sessions that serve queues.
    pub agents: [u64; 2],
    /// Sessions queuing or being served.
    pub customers: [u64; 2],
    /// Logged in, neither (watching, or between queues).
    pub others: [u64; 2],
}

/// Who a session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    pub app: Arc<str>,
    pub user_id: Name,
    pub name: Name,
    pub roles: Roles,
    pub online: bool,
}

impl Engine {
    /// Whether the app exists.
    pub fn has_app(&self, app: &str) -> bool {
        self.app_ix.contains_key(app)
    }

    /// The app's settings.
    pub fn app_settings(&self, app: &str) -> Option<&AppSettings> {
        self.app_ix.get(app).map(|&ix| &self.apps[ix as usize].settings)
    }

    /// Who the session is, if it exists.
    pub fn session_view(&self, sid: SessionId) -> Option<SessionView> {
        let s = self.sessions.get(&sid)?;
        Some(SessionView {
            app: self.apps[s.app as usize].name.clone(),
            user_id: s.user_id.clone(),
            name: s.name.clone(),
            roles: s.roles,
            online: s.online,
        })
    }

    /// The app a room belongs to (a supervisor may monitor the rooms of its app).
    pub fn room_app(&self, meeting: u32) -> Option<&str> {
        self.rooms.get(&meeting).map(|r| &*self.apps[r.app as usize].name)
    }

    /// The answered call whose conversation room is `meeting`: its app and its id (the
    /// `sessionid` of its call events). None while it rings, and once it ended.
    pub fn room_call(&self, meeting: u32) -> Option<(&str, &str)> {
        self.answered_calls().find(|(room, _, _)| *room == meeting).map(|(_, app, id)| (app, id))
    }

    /// Every answered call: its room, its app and its id.
    pub fn answered_calls(&self) -> impl Iterator<Item = (u32, &str, &str)> + '_ {
        self.calls
            .values()
            .filter(|c| c.answered_at.is_some())
            .map(|c| (c.room, &*self.apps[c.app as usize].name, c.id.as_str()))
    }

    /// The sessions in room `meeting`, in the order they entered (none: no such room).
    pub fn room_members(&self, meeting: u32) -> &[SessionId] {
        self.rooms.get(&meeting).map_or(&[], |r| &r.members)
    }

    /// The rooms session `sid` is in, in ascending order.
    pub fn rooms_of(&self, sid: SessionId) -> Vec<u32> {
        let mut rooms: Vec<u32> =
            self.rooms.iter().filter(|(_, r)| r.members.contains(&sid)).map(|(id, _)| *id).collect();
        rooms.sort_unstable();
        rooms
    }

    /// Every session that is in some room (each once).
    pub fn room_members_all(&self) -> Vec<SessionId> {
        let mut all: Vec<SessionId> = self.rooms.values().flat_map(|r| r.members.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Whether session `sid` is in room `meeting` (the media server admits only members).
    pub fn in_room(&self, meeting: u32, sid: SessionId) -> bool {
        self.rooms.get(&meeting).is_some_and(|r| r.members.contains(&sid))
    }

    /// The app's queues, by id.
    pub fn queues(&self, app: &str) -> Vec<QueueInfo> {
        let Some(&ix) = self.app_ix.get(app) else { return Vec::new() };
        self.apps[ix as usize]
            .queues
            .iter()
            .map(|id| QueueInfo { queue: *id, def: self.queues[id].def.clone() })
            .collect()
    }

    /// One queue of the app.
    pub fn queue(&self, app: &str, queue: QueueId) -> Option<QueueInfo> {
        let ix = *self.app_ix.get(app)?;
        let q = self.queues.get(&queue).filter(|q| q.app == ix)?;
        Some(QueueInfo { queue, def: q.def.clone() })
    }

    /// The app that owns the queue.
    pub fn queue_app(&self, queue: QueueId) -> Option<&str> {
        self.queues.get(&queue).map(|q| &*self.apps[q.app as usize].name)
    }

    /// CloudRoom QueStatus of a queue.
    pub fn queue_status(&self, queue: QueueId) -> Option<QueueStatus> {
        let q = self.queues.get(&queue)?;
        Some(QueueStatus {
            queue,
            agent_num: q.agents.len() as u32,
            wait_num: q.waiting.len() as u32,
            srv_num: q.in_service,
        })
    }

    /// Statistics of a queue.
    pub fn queue_stats(&self, queue: QueueId) -> Option<QueueStats> {
        let q = self.queues.get(&queue)?;
        let settings = &self.apps[q.app as usize].settings;
        let c = &q.counters;
        let longest_waiting_s = q
            .waiting
            .values()
            .next()
            .and_then(|sid| self.sessions[sid].queuing.as_ref())
            .map_or(0, |qu| self.now.secs_since(qu.enqueued_at));
        let busy =
            q.agents.keys().filter(|a| self.sessions[a].agent.as_ref().is_some_and(|a| !a.services.is_empty())).count();
        Some(QueueStats {
            queue,
            entered: c.entered,
            served: c.served,
            abandoned: c.abandoned,
            timed_out: c.timed_out,
            forwarded: c.forwarded,
            avg_wait_s: c.avg_wait_s(),
            max_wait_s: c.max_wait_ms / 1000,
            longest_waiting_s,
            service_level: c.service_level(),
            service_level_s: settings.service_level_s,
            waiting: q.waiting.len() as u32,
            in_service: q.in_service,
            agents_logged_in: q.agents.len() as u32,
            agents_available: q.free_agents.len() as u32,
            agents_busy: busy as u32,
        })
    }

    /// CloudRoom GetQueuingInfo: where this session stands.
    pub fn queuing_info(&self, sid: SessionId) -> Result<QueuingInfo, AcdError> {
        let s = self.session(sid)?;
        if s.served_in.is_some() {
            return Ok(QueuingInfo::InService);
        }
        let Some(qu) = &s.queuing else { return Ok(QueuingInfo::NotQueuing) };
        let q = &self.queues[&qu.queue];
        let position = match q.waiting.last_key_value() {
            Some((last, _)) if *last == qu.seq => q.waiting.len() - 1,
            _ => q.waiting.range(..qu.seq).count(),
        };
        Ok(QueuingInfo::Queuing {
            queue: qu.queue,
            position: position as u32,
            queuing_time_s: self.now.secs_since(qu.enqueued_at),
            estimated_wait_s: Engine::estimate_for(self.wait_basis(qu.queue), position as u32, qu.offer.is_some()),
        })
    }

    /// CloudRoom GetServingQueues.
    pub fn serving_queues(&self, sid: SessionId) -> Result<Vec<QueueId>, AcdError> {
        let s = self.session(sid)?;
        Ok(s.agent.as_ref().map(|a| a.serving.iter().map(|(q, _)| *q).collect()).unwrap_or_default())
    }

    /// CloudRoom GetQueueUsers: the customers queuing in a queue the agent serves (any
    /// queue for a supervisor), in queue order, `limit` from `offset`.
    pub fn queue_users(
        &self,
        sid: SessionId,
        queue: QueueId,
        offset: usize,
        limit: usize,
    ) -> Result<QueueUsers, AcdError> {
        let q = self.queue_for(sid, queue)?;
        let s = self.session(sid)?;
        let serves = s.agent.as_ref().is_some_and(|a| a.priority_in(queue).is_some());
        if !serves && !s.roles.has(Role::Supervisor) {
            return Err(AcdError::ServiceNotStarted("serve this queue to list its customers"));
        }
        let users: Vec<QueUser> = q.waiting.values().skip(offset).take(limit).map(|c| self.que_user(*c)).collect();
        Ok(QueueUsers { total: q.waiting.len() as u32, users })
    }

    /// Every agent of the app, for supervisors.
    pub fn agents(&self, app: &str) -> Vec<AgentView> {
        let Some(&ix) = self.app_ix.get(app) else { return Vec::new() };
        let mut users: Vec<_> = self.apps[ix as usize].users.values().copied().collect();
        users.sort();
        users
            .into_iter()
            .filter_map(|sid| {
                let s = &self.sessions[&sid];
                let a = s.agent.as_ref()?;
                Some(AgentView {
                    user_id: s.user_id.clone(),
                    name: s.name.clone(),
                    online: s.online,
                    dnd: a.dnd,
                    capacity: a.capacity,
                    serving: a.serving.clone(),
                    serving_customers: a
                        .services
                        .iter()
                        .map(|sid| {
                            let sv = &self.services[sid];
                            // The room of the service's answered call, if it has one.
                            let room = self
                                .calls
                                .values()
                                .find(|c| c.service == Some(*sid) && c.answered_at.is_some())
                                .map(|c| c.room);
                            (sv.queue, self.sessions[&sv.customer].user_id.clone(), room)
                        })
                        .collect(),
                    pending_offers: a.offers.len() as u32,
                    wrapup_until_ms: a.wrapup_until.map(|t| t.as_millis()),
                    served_total: a.served_total,
                    service_ms_total: a.service_ms_total,
                    state: self.agent_state_view(sid).expect("an agent"),
                })
            })
            .collect()
    }

    /// A queue's figures for monitoring: its statistics, how many of its agents are in
    /// DND, and its offer counters and wait/talk distributions.
    pub fn queue_monitor(&self, queue: QueueId) -> Option<QueueMonitor> {
        let stats = self.queue_stats(queue)?;
        let q = &self.queues[&queue];
        let agents_dnd =
            q.agents.keys().filter(|a| self.sessions[a].agent.as_ref().is_some_and(|a| a.dnd)).count() as u32;
        Some(QueueMonitor { stats, agents_dnd, live: q.counters.live.clone() })
    }

    /// Sessions of every app by what they do, online and held offline.
    pub fn session_activity(&self) -> SessionActivity {
        let mut n = SessionActivity::default();
        for (_, s) in self.sessions.iter() {
            let slot = if s.agent.is_some() {
                &mut n.agents
            } else if s.queuing.is_some() || s.served_in.is_some() {
                &mut n.customers
            } else {
                &mut n.others
            };
            slot[usize::from(!s.online)] += 1;
        }
        n
    }

    /// Number of live sessions (all apps).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Number of pending deadlines (for tests and diagnostics).
    pub fn timer_count(&self) -> usize {
        self.timers.len()
    }
}
