//! The engine's promises, checked against its whole state: used by the property tests
//! after every step, and cheap enough to call from any test.

use crate::engine::Engine;

impl Engine {
    /// Checks every invariant; the error says which one broke.
    ///
    /// - each offer is the one pending offer of its customer and counted by its agent;
    /// - no agent has more offers plus services than its capacity;
    /// - a customer is in its queue's order exactly while it queues, and ready (can be
    ///   offered) exactly while online and not offered;
    /// - an agent is in its queues' free sets exactly while it is free;
    /// - no free agent serves a queue holding a ready customer it has not declined (a
    ///   waiting customer is offered as soon as a free agent serves its queue).
    pub fn check_invariants(&self) -> Result<(), String> {
        for (id, o) in &self.offers {
            let c = self.sessions.get(&o.customer).ok_or(format!("offer {id}: customer gone"))?;
            if c.queuing.as_ref().and_then(|q| q.offer) != Some(*id) {
                return Err(format!("offer {id}: customer does not point back"));
            }
            let a =
                self.sessions.get(&o.agent).and_then(|s| s.agent.as_ref()).ok_or(format!("offer {id}: agent gone"))?;
            if !a.offers.contains(id) {
                return Err(format!("offer {id}: agent does not count it"));
            }
        }
        for (sid, s) in &self.sessions {
            if let Some(a) = &s.agent {
                if a.load() > a.capacity {
                    return Err(format!("agent {sid}: load {} over capacity {}", a.load(), a.capacity));
                }
                let free =
                    s.online && !a.dnd && a.wrapup_until.is_none() && a.load() < a.capacity && !a.serving.is_empty();
                if free != a.free_key.is_some() {
                    return Err(format!("agent {sid}: free={free} but index says {:?}", a.free_key));
                }
                for (q, prio) in &a.serving {
                    let queue = self.queues.get(q).ok_or(format!("agent {sid} serves missing queue {q}"))?;
                    if queue.agents.get(sid) != Some(prio) {
                        return Err(format!("agent {sid}: queue {q} does not list it"));
                    }
                    if let Some((load, idle)) = a.free_key {
                        if !queue.free_agents.contains(&(*prio, load, idle, *sid)) {
                            return Err(format!("agent {sid}: missing from free set of {q}"));
                        }
                        for &seq in &queue.ready {
                            let c = queue.waiting[&seq];
                            if c == *sid {
                                continue;
                            }
                            let declined =
                                self.sessions[&c].queuing.as_ref().is_some_and(|qu| qu.declined_by(*sid, self.now));
                            if !declined && self.meets(c, self.skill_levels(*sid)) {
                                return Err(format!("agent {sid} is free in queue {q} while customer {c} is ready"));
                            }
                        }
                    }
                }
            }
            if let Some(qu) = &s.queuing {
                let queue = self.queues.get(&qu.queue).ok_or(format!("customer {sid}: queue gone"))?;
                if queue.waiting.get(&qu.seq) != Some(sid) {
                    return Err(format!("customer {sid}: not in its queue's order"));
                }
                // Offline, it is offered only if it waits for a callback.
                let offerable = s.online || self.callback_book.callbacks.contains_key(sid);
                let should_be_ready = offerable && qu.offer.is_none();
                if self.skill_book.queues.contains_key(&qu.queue)
                    != self.skill_book.customers.get(sid).is_some_and(|c| c.need.is_some())
                {
                    return Err(format!("customer {sid}: not bound to its queue's requirement"));
                }
                if queue.ready.contains(&qu.seq) != should_be_ready {
                    return Err(format!("customer {sid}: ready set wrong (should be {should_be_ready})"));
                }
                if s.served_in.is_some() {
                    return Err(format!("customer {sid}: queuing while served"));
                }
            }
        }
        for (key, c) in &self.calls {
            for party in [c.caller, c.callee] {
                if self.sessions.get(&party).and_then(|s| s.call) != Some(*key) {
                    return Err(format!("call {}: party {party} does not point back", c.id));
                }
            }
            if c.answered_at.is_some() == c.deadline.is_some() {
                return Err(format!("call {}: a deadline exactly while ringing", c.id));
            }
        }
        for (sid, s) in &self.sessions {
            if let Some(key) = s.call {
                if !self.calls.contains_key(&key) {
                    return Err(format!("session {sid}: in a call that does not exist"));
                }
            }
        }
        for (id, q) in &self.queues {
            for (seq, sid) in &q.waiting {
                if self.sessions.get(sid).and_then(|s| s.queuing.as_ref()).map(|qu| (qu.queue, qu.seq))
                    != Some((*id, *seq))
                {
                    return Err(format!("queue {id}: stale customer {sid}"));
                }
            }
            if q.free_agents.len() > q.agents.len() {
                return Err(format!("queue {id}: more free agents than agents"));
            }
            let serving = self.services.values().filter(|s| s.queue == *id).count() as u32;
            if serving != q.in_service {
                return Err(format!("queue {id}: in_service {} but {serving} services", q.in_service));
            }
        }
        self.check_user_status()?;
        self.check_agent_states()?;
        if let Some(sid) =
            self.wait_book.told.keys().find(|sid| self.sessions.get(sid).is_none_or(|s| s.queuing.is_none()))
        {
            return Err(format!("estimated wait told to {sid}, which does not queue"));
        }
        for (app, subs) in &self.wall_book.subscribers {
            if let Some(sid) = subs.iter().find(|sid| self.sessions.get(sid).is_none_or(|s| s.app != *app)) {
                return Err(format!("wallboard subscriber {sid} of app {app} is not a session of it"));
            }
        }
        self.check_reports()?;
        self.check_routing_state()?;
        self.check_skill_state()?;
        self.check_callbacks()
    }

    /// Callbacks: only for waiting customers, each with its expiry timer; a held one is
    /// held past it.
    fn check_callbacks(&self) -> Result<(), String> {
        for (sid, cb) in &self.callback_book.callbacks {
            let Some(s) = self.sessions.get(sid).filter(|s| s.queuing.is_some()) else {
                return Err(format!("callback of {sid}, which does not queue"));
            };
            if self.timers.count(crate::timers::Timer::CallbackExpiry(*sid)) != [cb.until] {
                return Err(format!("callback of {sid} has no expiry timer at {:?}", cb.until));
            }
            if !s.online && s.hold_until.is_some_and(|h| h < cb.until) {
                return Err(format!("callback of {sid} is held only until {:?}, before its expiry", s.hold_until));
            }
        }
        Ok(())
    }

    /// Routing: an overflow deadline for a customer waiting in a queue with an overflow,
    /// and a timer for each; no loop or over-long chain of overflows.
    fn check_routing_state(&self) -> Result<(), String> {
        for (sid, at) in &self.routing.due {
            let queue = self.sessions.get(sid).and_then(|s| s.queuing.as_ref()).map(|q| q.queue);
            let Some(queue) = queue else { return Err(format!("overflow deadline for {sid}, which does not queue")) };
            if self.routing.queues.get(&queue).and_then(|r| r.overflow_to).is_none() {
                return Err(format!("overflow deadline for {sid} in queue {queue:?}, which has no overflow"));
            }
            if self.timers.count(crate::timers::Timer::Overflow(*sid)) != [*at] {
                return Err(format!("overflow deadline of {sid} at {at:?} has no timer"));
            }
        }
        for (q, r) in &self.routing.queues {
            let (mut at, mut hops) = (*q, 1);
            while let Some(next) = self.routing.queues.get(&at).and_then(|r| r.overflow_to) {
                hops += 1;
                if hops > crate::routing::MAX_CHAIN || !self.queues.contains_key(&next) {
                    return Err(format!("overflow chain from {q:?} ({r:?}) is too long or ends at a deleted queue"));
                }
                at = next;
            }
        }
        Ok(())
    }

    /// Reports: the open interval has its deadline at its end (and only then); an
    /// agent's time is always being counted in one.
    fn check_reports(&self) -> Result<(), String> {
        let book = &self.report_book;
        let deadlines = self.timers.count(crate::timers::Timer::ReportInterval);
        match book.start {
            Some(start) if deadlines != [start.plus_millis(crate::reports::REPORT_INTERVAL_MS)] => {
                Err(format!("report interval from {start:?} has deadlines {deadlines:?}"))
            }
            Some(start) if start > self.now || start.as_millis() % crate::reports::REPORT_INTERVAL_MS != 0 => {
                Err(format!("report interval starts at {start:?}, now {:?}", self.now))
            }
            None if !deadlines.is_empty() || !book.queues.is_empty() || !book.agents.is_empty() => {
                Err("figures or a deadline without an open report interval".into())
            }
            None if !self.agent_book.agents.is_empty() => Err("agents whose time is not reported".into()),
            _ => Ok(()),
        }
    }

    /// Agent states: DND exactly while the agent has a reason; a record for every agent
    /// and only for agents; between steps, each record's state is the agent's state now;
    /// the time per reason adds up to the time not ready.
    fn check_agent_states(&self) -> Result<(), String> {
        for (sid, s) in &self.sessions {
            let Some(a) = &s.agent else { continue };
            if a.dnd != (self.reason_of(*sid) != 0) {
                return Err(format!("agent {sid}: dnd {} but reason {}", a.dnd, self.reason_of(*sid)));
            }
            if self.agent_book.touched.is_empty() {
                let rec = self.agent_book.agents.get(sid).ok_or(format!("agent {sid}: no state record"))?;
                let view = self.agent_state_view(*sid).expect("an agent");
                let derived = self.derived_state_of(*sid);
                if Some(rec.state) != derived {
                    return Err(format!("agent {sid}: state {:?}, but it is {derived:?}", rec.state));
                }
                if rec.told_reason != rec.reason {
                    return Err(format!("agent {sid}: reason {} but told {}", rec.reason, rec.told_reason));
                }
                if view.reason_ms.iter().any(|(code, _)| *code == 0) {
                    return Err(format!("agent {sid}: time not ready counted under reason 0: {view:?}"));
                }
                let not_ready: u64 = view.reason_ms.iter().map(|(_, ms)| ms).sum();
                if not_ready != view.state_ms[crate::AgentState::NotReady as usize] {
                    return Err(format!("agent {sid}: {not_ready} ms by reason, {view:?}"));
                }
            }
        }
        if let Some(sid) =
            self.agent_book.agents.keys().find(|sid| self.sessions.get(sid).is_none_or(|s| s.agent.is_none()))
        {
            return Err(format!("agent state record {sid} without an agent"));
        }
        Ok(())
    }

    /// User status: room counts agree with the rooms; watchers are live sessions of
    /// their app; what was told is kept exactly for apps with watchers, and between
    /// steps it is each user's status now.
    fn check_user_status(&self) -> Result<(), String> {
        let mut rooms_in = rustc_hash::FxHashMap::<crate::ids::SessionId, u16>::default();
        for m in self.rooms.values().flat_map(|r| r.members.iter()) {
            *rooms_in.entry(*m).or_default() += 1;
        }
        if rooms_in != self.user_status.rooms_in {
            return Err(format!("user status: room counts {:?}, rooms say {rooms_in:?}", self.user_status.rooms_in));
        }
        for (app, watchers) in &self.user_status.watchers {
            if watchers.is_empty() || !self.user_status.told.contains_key(app) {
                return Err(format!("user status: app {app} has an empty watcher set or nothing told"));
            }
            if let Some(w) = watchers.iter().find(|w| self.sessions.get(w).is_none_or(|s| s.app != *app)) {
                return Err(format!("user status: watcher {w} of app {app} is not a session of it"));
            }
        }
        for (app, told) in &self.user_status.told {
            if !self.user_status.watchers.contains_key(app) {
                return Err(format!("user status: app {app} keeps what it told without watchers"));
            }
            if self.user_status.touched.is_empty() {
                for (uid, sid) in &self.apps[*app as usize].users {
                    let now = self.status_of(*sid);
                    let was = told.get(uid).copied().unwrap_or((crate::UserState::Offline, 0));
                    if now != was {
                        return Err(format!("user status: {uid} is {now:?}, its watchers were told {was:?}"));
                    }
                }
            }
        }
        Ok(())
    }
}
