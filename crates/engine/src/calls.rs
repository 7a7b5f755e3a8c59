//! Rooms and calls: an agent who took a customer creates a room and calls the customer
//! into it (CloudRoom's call flow), and every step produces a call event with asterCC's
//! fields for both parties' pages and for business systems.
//!
//! A call to the customer of the caller's service is that service's conversation: its
//! answer completes the customer's ACD task (success), a reject or no answer fails it
//! (call_fail), and its end ends the service (wrap-up, then the next offer).

use std::sync::Arc;

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, ServiceId, SessionId};
use crate::model::{CustomerCalls, MeetInfo, Role, SessionInfo};
use crate::output::{CallEvent, CallEventKind, CallSource, EndReason, EventKind, Notice, ServiceEnd};
use crate::state::{Call, Room};
use crate::timers::Timer;

/// How a call ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum CallEnd {
    /// A party hung up (or its session ended).
    HungUp(SessionId),
    /// The callee refused.
    Rejected,
    /// Nobody answered in time.
    NoAnswer,
}

fn ext_dat(v: &str) -> Result<(), AcdError> {
    let max = crate::customer::MAX_USR_EXT_DAT;
    if v.len() > max {
        return Err(AcdError::invalid("usrExtDat", format!("{} bytes, at most {max}", v.len())));
    }
    Ok(())
}

fn text(field: &'static str, v: &str, max: usize) -> Result<(), AcdError> {
    let n = v.chars().count();
    if n > max || v.chars().any(char::is_control) {
        return Err(AcdError::invalid(field, format!("at most {max} printable characters (got {n})")));
    }
    Ok(())
}

impl Engine {
    fn meet_info(&self, id: u32) -> MeetInfo {
        let r = &self.rooms[&id];
        MeetInfo {
            id,
            pswd: r.pswd.clone(),
            subject: r.subject.clone(),
            creator: r.creator_id.clone(),
            member_count: r.members.len() as u32,
            start_time: r.start_time,
            members: r
                .members
                .iter()
                .map(|m| (self.sessions[m].user_id.clone(), self.sessions[m].name.clone()))
                .collect(),
        }
    }

    fn room_for(&self, sid: SessionId, id: u32) -> Result<&Room, AcdError> {
        let app = self.session(sid)?.app;
        self.rooms.get(&id).filter(|r| r.app == app).ok_or(AcdError::MeetingNotFound(id))
    }

    pub(crate) fn create_meeting(
        &mut self,
        sid: SessionId,
        subject: Arc<str>,
        pswd: Arc<str>,
    ) -> Result<MeetInfo, AcdError> {
        text("subject", &subject, 128)?;
        text("pswd", &pswd, 64)?;
        let id = self.next_room;
        self.next_room += 1;
        let s = &self.sessions[&sid];
        let room = Room {
            app: s.app,
            pswd,
            subject,
            creator: sid,
            creator_id: s.user_id.clone(),
            members: Vec::new(),
            start_time: self.now,
        };
        self.rooms.insert(id, room);
        Ok(self.meet_info(id))
    }

    pub(crate) fn enter_meeting(&mut self, sid: SessionId, id: u32, pswd: &str) -> Result<MeetInfo, AcdError> {
        let room = self.room_for(sid, id)?;
        if *room.pswd != *pswd {
            return Err(AcdError::MeetingAuth(id));
        }
        if !room.members.contains(&sid) {
            let others = room.members.clone();
            self.rooms.get_mut(&id).expect("checked").members.push(sid);
            self.count_room(sid, true);
            let s = &self.sessions[&sid];
            let notice =
                Notice::MeetingMember { meeting: id, user_id: s.user_id.clone(), name: s.name.clone(), entered: true };
            for other in others {
                self.notify(other, notice.clone());
            }
            if let Some(key) = self.sessions[&sid].call.filter(|k| self.calls[k].room == id) {
                self.call_event(key, Some(sid), CallEventKind::Join);
            }
        }
        Ok(self.meet_info(id))
    }

    pub(crate) fn exit_meeting(&mut self, sid: SessionId, id: u32) -> Result<(), AcdError> {
        let room = self.room_for(sid, id)?;
        if !room.members.contains(&sid) {
            return Err(AcdError::MeetingNotFound(id));
        }
        self.leave_room(sid, id);
        Ok(())
    }

    /// CloudRoom DestroyMeeting: the creator ends the room for everyone. Calls into it
    /// are hung up (by the creator when it is a party, else by their caller); every
    /// other member is told MeetingStopped; the room id is not used again.
    pub(crate) fn destroy_meeting(&mut self, sid: SessionId, id: u32) -> Result<(), AcdError> {
        let room = self.room_for(sid, id)?;
        if room.creator != sid {
            return Err(AcdError::NotMeetingCreator(id));
        }
        let members = room.members.clone();
        let mut keys: Vec<u64> = self.calls.iter().filter(|(_, c)| c.room == id).map(|(k, _)| *k).collect();
        keys.sort_unstable();
        for key in keys {
            let c = &self.calls[&key];
            let (caller, callee, call_id) = (c.caller, c.callee, c.id.clone());
            let by = if callee == sid { callee } else { caller };
            let empty = self.empty_text.clone();
            for party in [caller, callee].into_iter().filter(|p| *p != sid) {
                self.notify(party, Notice::NotifyCallHungup { call: call_id.clone(), usr_ext_dat: empty.clone() });
            }
            self.end_call(key, CallEnd::HungUp(by));
        }
        self.rooms.remove(&id);
        for &m in &members {
            self.count_room(m, false);
        }
        for m in members.into_iter().filter(|m| *m != sid) {
            self.notify(m, Notice::MeetingStopped { meeting: id });
        }
        Ok(())
    }

    fn leave_room(&mut self, sid: SessionId, id: u32) {
        let Some(room) = self.rooms.get_mut(&id) else { return };
        room.members.retain(|m| *m != sid);
        let others = room.members.clone();
        self.count_room(sid, false);
        let s = &self.sessions[&sid];
        let notice =
            Notice::MeetingMember { meeting: id, user_id: s.user_id.clone(), name: s.name.clone(), entered: false };
        for other in others {
            self.notify(other, notice.clone());
        }
        self.forget_room_if_unused(id, false);
    }

    /// A room goes when nobody is in it, no call invites into it, and its creator's
    /// session has ended (`creator_leaving` while it ends).
    fn forget_room_if_unused(&mut self, id: u32, creator_leaving: bool) {
        let unused = self
            .rooms
            .get(&id)
            .is_some_and(|r| r.members.is_empty() && (creator_leaving || self.sessions.get(&r.creator).is_none()))
            && !self.calls.values().any(|c| c.room == id);
        if unused {
            self.rooms.remove(&id);
        }
    }

    /// The session's service whose customer is `customer`, if it is that customer's agent.
    fn service_between(&self, agent: SessionId, customer: SessionId) -> Option<ServiceId> {
        let a = self.sessions.get(&agent)?.agent.as_ref()?;
        a.services.iter().copied().find(|s| self.services[s].customer == customer)
    }

    fn serves_queues(&self, sid: SessionId) -> bool {
        self.sessions.get(&sid).and_then(|s| s.agent.as_ref()).is_some_and(|a| !a.serving.is_empty())
    }

    pub(crate) fn call(
        &mut self,
        sid: SessionId,
        callee_id: &str,
        room: u32,
        ext: Arc<str>,
        chosen_id: Option<Name>,
    ) -> Result<Name, AcdError> {
        ext_dat(&ext)?;
        self.may_call(sid, callee_id)?;
        if self.sessions[&sid].call.is_some() {
            return Err(AcdError::CallExists);
        }
        let app = self.sessions[&sid].app;
        if let Some(id) = &chosen_id {
            let ok =
                (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(AcdError::invalid("callID", "8 to 64 characters of A-Z a-z 0-9 - _"));
            }
            if self.calls.values().any(|c| c.app == app && c.id == *id) {
                return Err(AcdError::invalid("callID", "is the id of a call in progress"));
            }
        }
        self.room_for(sid, room)?;
        let callee = self.user_session(sid, callee_id).ok_or(AcdError::UserNotFound(callee_id.into()))?;
        if callee == sid {
            return Err(AcdError::invalid("UID", "a session cannot call itself"));
        }
        if !self.sessions[&callee].online {
            return Err(AcdError::UserOffline(callee_id.into()));
        }
        if self.sessions[&callee].call.is_some() {
            return Err(AcdError::UserBusy(callee_id.into()));
        }
        let (service, agent) = match (self.service_between(sid, callee), self.service_between(callee, sid)) {
            (Some(s), _) => (Some(s), Some(sid)),
            (None, Some(s)) => (Some(s), Some(callee)),
            (None, None) if self.serves_queues(sid) => (None, Some(sid)),
            (None, None) if self.serves_queues(callee) => (None, Some(callee)),
            (None, None) => (None, None),
        };
        let mut key = self.fresh_id();
        let id: Name = match chosen_id {
            Some(id) => id,
            None => loop {
                let id = compact_str::format_compact!("call-{key}");
                if !self.calls.values().any(|c| c.app == app && c.id == id) {
                    break id;
                }
                key = self.fresh_id();
            },
        };
        let deadline = self.now.plus_secs(self.settings_of_app(app).call_timeout_s.into());
        self.calls.insert(
            key,
            Call {
                app,
                id: id.clone(),
                caller: sid,
                callee,
                room,
                answered_at: None,
                deadline: Some(deadline),
                service,
                agent,
                queue: service.map(|s| self.services[&s].queue),
                held: None,
            },
        );
        self.sessions.get_mut(&sid).expect("caller").call = Some(key);
        self.sessions.get_mut(&callee).expect("callee").call = Some(key);
        self.touch_user(sid);
        self.touch_user(callee);
        self.timers.insert(deadline, Timer::Call(key));
        let notice = Notice::NotifyCallIn {
            call: id.clone(),
            meeting: Box::new(self.meet_info(room)),
            caller_id: self.sessions[&sid].user_id.clone(),
            usr_ext_dat: ext,
        };
        self.notify(callee, notice);
        if self.source(key, sid) == CallSource::Caller {
            self.call_event(key, Some(sid), CallEventKind::Incoming);
        }
        self.call_event(key, Some(callee), CallEventKind::Ringing);
        Ok(id)
    }

    /// The call `id` that `sid` is a party of.
    /// Whom a session may call: a session that is only a customer calls only the agent
    /// serving it, unless the app lets customers call anyone (checked before anything
    /// about the callee is looked at, so the answer says nothing of who is online).
    fn may_call(&self, sid: SessionId, callee_id: &str) -> Result<(), AcdError> {
        let session = &self.sessions[&sid];
        let only_customer = !session.roles.has(Role::Agent) && !session.roles.has(Role::Supervisor);
        if !only_customer || self.settings_of_app(session.app).customer_calls == CustomerCalls::Anyone {
            return Ok(());
        }
        let serving = session.served_in.map(|s| self.services[&s].agent);
        match serving {
            Some(agent) if self.sessions.get(&agent).is_some_and(|a| a.user_id == callee_id) => Ok(()),
            _ => Err(AcdError::CallNotPermitted),
        }
    }

    fn call_of(&self, sid: SessionId, id: &str) -> Result<u64, AcdError> {
        self.sessions[&sid].call.filter(|k| self.calls[k].id == id).ok_or_else(|| AcdError::InvalidCall(id.into()))
    }

    pub(crate) fn accept_call(&mut self, sid: SessionId, id: &str, ext: Arc<str>) -> Result<(), AcdError> {
        ext_dat(&ext)?;
        let key = self.call_of(sid, id)?;
        let call = &self.calls[&key];
        if call.callee != sid || call.answered_at.is_some() {
            return Err(AcdError::InvalidCall(id.into()));
        }
        let (caller, room, service) = (call.caller, call.room, call.service);
        if let Some(at) = call.deadline {
            self.timers.remove(at, Timer::Call(key));
        }
        let now = self.now;
        let call = self.calls.get_mut(&key).expect("checked");
        call.answered_at = Some(now);
        call.deadline = None;
        let notice =
            Notice::NotifyCallAccepted { call: id.into(), meeting: Box::new(self.meet_info(room)), usr_ext_dat: ext };
        self.notify(caller, notice);
        self.call_event(key, Some(sid), CallEventKind::Answer);
        if let Some(service) = service {
            self.complete_task(service, EndReason::Success, Some(now));
        }
        Ok(())
    }

    pub(crate) fn reject_call(&mut self, sid: SessionId, id: &str, ext: Arc<str>) -> Result<(), AcdError> {
        ext_dat(&ext)?;
        let key = self.call_of(sid, id)?;
        let call = &self.calls[&key];
        if call.callee != sid || call.answered_at.is_some() {
            return Err(AcdError::InvalidCall(id.into()));
        }
        let notice = Notice::NotifyCallRejected { call: id.into(), err: AcdError::CALL_REFUSED, usr_ext_dat: ext };
        self.notify(call.caller, notice);
        self.end_call(key, CallEnd::Rejected);
        Ok(())
    }

    pub(crate) fn hangup_call(&mut self, sid: SessionId, id: &str, ext: Arc<str>) -> Result<(), AcdError> {
        ext_dat(&ext)?;
        let key = self.call_of(sid, id)?;
        let peer = self.peer(key, sid);
        self.notify(peer, Notice::NotifyCallHungup { call: id.into(), usr_ext_dat: ext });
        self.end_call(key, CallEnd::HungUp(sid));
        Ok(())
    }

    pub(crate) fn hold_call(&mut self, sid: SessionId, id: &str, hold: bool) -> Result<(), AcdError> {
        let key = self.call_of(sid, id)?;
        let call = self.calls.get_mut(&key).expect("checked");
        if call.answered_at.is_none() {
            return Err(AcdError::InvalidCall(id.into()));
        }
        if call.held.is_some() == hold {
            return Ok(());
        }
        let peer = self.peer(key, sid);
        // Both events name the held party, whoever resumes.
        let held = if hold { peer } else { self.calls[&key].held.expect("held") };
        self.calls.get_mut(&key).expect("checked").held = hold.then_some(peer);
        self.notify(peer, Notice::NotifyCallHold { call: id.into(), hold });
        let kind = if hold { CallEventKind::OnHold } else { CallEventKind::Resume };
        self.call_event(key, Some(held), kind);
        Ok(())
    }

    pub(crate) fn call_timed_out(&mut self, key: u64) {
        let Some(call) = self.calls.get(&key) else { return };
        if call.answered_at.is_some() {
            return;
        }
        let (caller, callee, id) = (call.caller, call.callee, call.id.clone());
        let empty = self.empty_text.clone();
        self.notify(
            caller,
            Notice::NotifyCallRejected { call: id.clone(), err: AcdError::CALL_NO_ANSWER, usr_ext_dat: empty.clone() },
        );
        self.notify(callee, Notice::NotifyCallHungup { call: id, usr_ext_dat: empty });
        self.end_call(key, CallEnd::NoAnswer);
    }

    /// A party's session ends: it hangs up its call and leaves its rooms.
    pub(crate) fn leave_calls_and_rooms(&mut self, sid: SessionId) {
        if let Some(key) = self.sessions[&sid].call {
            let peer = self.peer(key, sid);
            let id = self.calls[&key].id.clone();
            let empty = self.empty_text.clone();
            self.notify(peer, Notice::NotifyCallHungup { call: id, usr_ext_dat: empty });
            self.end_call(key, CallEnd::HungUp(sid));
        }
        for id in self.rooms_of(sid) {
            self.leave_room(sid, id);
        }
        let mut created: Vec<u32> = self.rooms.iter().filter(|(_, r)| r.creator == sid).map(|(id, _)| *id).collect();
        created.sort_unstable();
        for id in created {
            self.forget_room_if_unused(id, true);
        }
    }

    fn peer(&self, key: u64, sid: SessionId) -> SessionId {
        let c = &self.calls[&key];
        if c.caller == sid {
            c.callee
        } else {
            c.caller
        }
    }

    fn end_call(&mut self, key: u64, how: CallEnd) {
        let call = self.calls.get(&key).expect("live call");
        let (caller, callee, room, service, answered) =
            (call.caller, call.callee, call.room, call.service, call.answered_at.is_some());
        if let Some(at) = call.deadline {
            self.timers.remove(at, Timer::Call(key));
        }
        let first = match how {
            CallEnd::HungUp(sid) => sid,
            CallEnd::Rejected | CallEnd::NoAnswer => callee,
        };
        let second = if first == caller { callee } else { caller };
        self.call_event(key, Some(first), CallEventKind::Hangup);
        self.call_event(key, Some(second), CallEventKind::Hangup);
        self.call_event(key, None, CallEventKind::Hangup);
        self.calls.remove(&key);
        for party in [caller, callee] {
            if let Some(s) = self.sessions.get_mut(&party) {
                s.call = None;
            }
            self.touch_user(party);
        }
        self.forget_room_if_unused(room, false);
        if let Some(service) = service.filter(|s| self.services.contains_key(s)) {
            if !answered {
                let customer = self.services[&service].customer;
                let reason = if how == CallEnd::HungUp(customer) { EndReason::Hangup } else { EndReason::CallFail };
                self.complete_task(service, reason, None);
            }
            self.end_service(service, ServiceEnd::CallEnded);
        }
    }

    /// Where a party stands in a call (asterCC's source).
    fn source(&self, key: u64, party: SessionId) -> CallSource {
        let c = &self.calls[&key];
        if c.agent == Some(party) {
            CallSource::Agent
        } else if party == c.caller {
            CallSource::Caller
        } else {
            CallSource::Callee
        }
    }

    /// Emits one call event (to both parties and as a business event); `party` None is
    /// the whole conversation.
    fn call_event(&mut self, key: u64, party: Option<SessionId>, kind: CallEventKind) {
        let c = &self.calls[&key];
        let (caller, callee, agent, queue, app) = (c.caller, c.callee, c.agent, c.queue, c.app);
        let customer = match agent {
            Some(a) if a == caller => callee,
            _ => caller,
        };
        let source = party.map_or(CallSource::Conversation, |p| self.source(key, p));
        let active = party.or(agent).unwrap_or(caller);
        let id_of = |s: SessionId| self.sessions.get(&s).map(|s| s.user_id.clone()).unwrap_or_default();
        let event = CallEvent {
            source,
            event: kind,
            session_id: c.id.clone(),
            event_id: {
                let a = &mut self.apps[app as usize];
                a.last_event_id += 1;
                a.last_event_id
            },
            event_time: self.now,
            caller_id_num: id_of(customer),
            active_num: id_of(active),
            dialout: agent == Some(caller),
            queue,
            agent_id: agent.map(id_of),
        };
        let event = Box::new(event);
        for p in [caller, callee] {
            self.notify(p, Notice::CallEvent(event.clone()));
        }
        self.emit(app, EventKind::Call(event));
    }

    /// CloudRoom GetSessionInfo: the call this session is in.
    pub fn session_info(&self, sid: SessionId) -> Result<SessionInfo, AcdError> {
        let s = self.session(sid)?;
        let Some(key) = s.call else { return Ok(SessionInfo::default()) };
        let c = &self.calls[&key];
        let peer = self.peer(key, sid);
        let p = &self.sessions[&peer];
        Ok(SessionInfo {
            call_id: c.id.clone(),
            peer_id: p.user_id.clone(),
            peer_name: p.name.clone(),
            accepted: c.answered_at.is_some(),
            meeting_id: c.room,
            meeting_pswd: self.rooms.get(&c.room).map(|r| r.pswd.clone()).unwrap_or_else(|| self.empty_text.clone()),
            duration_s: c.answered_at.map_or(0, |t| self.now.secs_since(t)),
        })
    }
}
