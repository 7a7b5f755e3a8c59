//! The engine value: takes inputs and time, keeps every app's ACD state, hands out
//! outputs and the next deadline. The rules themselves live in the sibling modules.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::agent_state::AgentBook;
use crate::callback::CallbackBook;
use crate::error::AcdError;
use crate::ids::{OfferId, QueueId, ServiceId, SessionId};
use crate::input::{Input, Reply, Request};
use crate::model::{AppSettings, Role};
use crate::output::{Event, EventKind, Notice, Output, SessionEnd};
use crate::reports::ReportBook;
use crate::routing::RoutingBook;
use crate::sessions::Sessions;
use crate::skills::SkillBook;
use crate::state::{App, Call, Offer, Queue, Room, Service, Session};
use crate::time::Time;
use crate::timers::{Timer, Timers};
use crate::user_status::UserStatusBook;
use crate::wait_estimate::WaitBook;
use crate::wallboard::WallBook;

/// Lineup's ACD state machine. See the crate docs for how to drive it.
pub struct Engine {
    pub(crate) now: Time,
    pub(crate) apps: Vec<App>,
    pub(crate) app_ix: FxHashMap<Arc<str>, u32>,
    pub(crate) sessions: Sessions,
    pub(crate) queues: FxHashMap<QueueId, Queue>,
    pub(crate) offers: FxHashMap<OfferId, Offer>,
    pub(crate) services: FxHashMap<ServiceId, Service>,
    pub(crate) rooms: FxHashMap<u32, Room>,
    pub(crate) calls: FxHashMap<u64, Call>,
    pub(crate) next_room: u32,
    pub(crate) timers: Timers,
    pub(crate) outputs: VecDeque<Output>,
    /// Queues whose coalesced notices need a look at the end of the step.
    pub(crate) dirty: Vec<QueueId>,
    pub(crate) next_id: u64,
    pub(crate) next_queue: u32,
    /// One shared empty usrExtDat, so customers without data share it.
    pub(crate) empty_text: Arc<str>,
    /// Who watches user status and what they were told (`user_status`).
    pub(crate) user_status: UserStatusBook,
    /// Agents' states and reasons, and the apps' rules for them (`agent_state`).
    pub(crate) agent_book: AgentBook,
    /// Queues' handle times and the estimated waits told (`wait_estimate`).
    pub(crate) wait_book: WaitBook,
    /// Wallboard subscribers and what is due (`wallboard`).
    pub(crate) wall_book: WallBook,
    /// The open report interval's figures (`reports`).
    pub(crate) report_book: ReportBook,
    /// Queues' overflow and aging, customers' overflow deadlines (`routing`).
    pub(crate) routing: RoutingBook,
    /// Waiting customers' callbacks (`callback`).
    pub(crate) callback_book: CallbackBook,
    /// Skills, requirements and customers' attributes (`skills`).
    pub(crate) skill_book: SkillBook,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// An engine with no apps, at time zero.
    pub fn new() -> Self {
        Engine {
            now: Time::default(),
            apps: Vec::new(),
            app_ix: FxHashMap::default(),
            sessions: Sessions::default(),
            queues: FxHashMap::default(),
            offers: FxHashMap::default(),
            services: FxHashMap::default(),
            rooms: FxHashMap::default(),
            calls: FxHashMap::default(),
            next_room: 1,
            timers: Timers::default(),
            outputs: VecDeque::new(),
            dirty: Vec::new(),
            next_id: 1,
            next_queue: 1,
            empty_text: Arc::from(""),
            user_status: UserStatusBook::default(),
            agent_book: AgentBook::default(),
            wait_book: WaitBook::default(),
            wall_book: WallBook::default(),
            report_book: ReportBook::default(),
            routing: RoutingBook::default(),
            callback_book: CallbackBook::default(),
            skill_book: SkillBook::default(),
        }
    }

    /// Applies one input at time `now` (deadlines up to `now` are handled first).
    pub fn handle(&mut self, now: Time, input: Input) -> Result<Reply, AcdError> {
        if let Input::ServerRestarted = input {
            // Dropped at the stop (before any deadline of the downtime fires), held
            // from now.
            self.restart(now);
            self.advance(now);
            self.end_step();
            return Ok(Reply::Done);
        }
        self.advance(now);
        let result = match input {
            Input::PutApp { app, settings } => self.put_app(app, settings).map(|_| Reply::Done),
            Input::CreateQueue { app, id, def } => self.create_queue(&app, id, def).map(Reply::Queue),
            Input::ModifyQueue { app, queue, change } => self.modify_queue(&app, queue, change).map(Reply::Queue),
            Input::DeleteQueue { app, queue } => self.delete_queue(&app, queue).map(|_| Reply::Done),
            Input::AgentLogout { app, user_id } => self.admin_agent_logout(&app, &user_id).map(|_| Reply::Done),
            Input::ForwardUser { app, queue, user_id, to_queue } => self
                .app_index(&app)
                .and_then(|ix| self.forward_user(ix, queue, &user_id, to_queue))
                .map(|_| Reply::Done),
            Input::Login { app, user_id, name, roles } => self.login(&app, user_id, name, roles),
            Input::Disconnect { session } => self.disconnect(session).map(|_| Reply::Done),
            Input::Reconnect { session } => self.reconnect(session).map(|_| Reply::Done),
            Input::Logout { session } => {
                self.session(session)?;
                self.end_session(session, SessionEnd::Logout);
                Ok(Reply::Done)
            }
            Input::Session { session, request } => self.request(session, request),
            Input::PutAgentPolicy { app, policy } => self.put_agent_policy(&app, policy).map(|_| Reply::Done),
            Input::PutQueueRouting { app, queue, routing } => {
                self.put_queue_routing(&app, queue, routing).map(|_| Reply::Done)
            }
            Input::PutSkillCatalog { app, skills } => self.put_skill_catalog(&app, skills).map(|_| Reply::Done),
            Input::PutAgentSkills { app, user_id, skills } => {
                self.app_index(&app).and_then(|ix| self.put_agent_skills(ix, &user_id, skills)).map(|_| Reply::Done)
            }
            Input::PutQueueRequirement { app, queue, requirement } => {
                self.put_queue_requirement(&app, queue, requirement).map(|_| Reply::Done)
            }
            Input::ServerRestarted => unreachable!("handled above"),
        };
        self.end_step();
        result
    }

    /// Handles every deadline up to `now`. Call it when [`poll_timeout`](Self::poll_timeout)
    /// has passed.
    pub fn handle_timeout(&mut self, now: Time) {
        self.advance(now);
        self.end_step();
    }

    /// The next time [`handle_timeout`](Self::handle_timeout) must be called, if any.
    pub fn poll_timeout(&self) -> Option<Time> {
        self.timers.next()
    }

    /// The next output, in the order produced.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The engine's current time (the latest time it was given).
    pub fn now(&self) -> Time {
        self.now
    }

    fn request(&mut self, sid: SessionId, request: Request) -> Result<Reply, AcdError> {
        let roles = self.session(sid)?.roles;
        let need = |role: Role| if roles.has(role) { Ok(()) } else { Err(AcdError::NoPermission(role)) };
        match request {
            Request::InitQueueDat => {
                self.watch_all_queues(sid);
                Ok(Reply::Done)
            }
            Request::StartService { queue, priority } => {
                need(Role::Agent)?;
                self.start_service(sid, queue, priority).map(|_| Reply::Done)
            }
            Request::StopService { queue } => {
                need(Role::Agent)?;
                self.stop_service(sid, queue).map(|_| Reply::Done)
            }
            Request::StartQueuing { queue, usr_ext_dat } => {
                need(Role::Customer)?;
                self.start_queuing(sid, queue, usr_ext_dat).map(|_| Reply::Done)
            }
            Request::StopQueuing => {
                need(Role::Customer)?;
                self.stop_queuing(sid).map(|_| Reply::Done)
            }
            Request::AcceptAssignUser { queue, user_id } => {
                need(Role::Agent)?;
                self.accept(sid, queue, &user_id).map(|_| Reply::Done)
            }
            Request::RejectAssignUser { queue, user_id } => {
                need(Role::Agent)?;
                self.reject(sid, queue, &user_id).map(|_| Reply::Done)
            }
            Request::SetDndStatus { on } => {
                need(Role::Agent)?;
                self.set_dnd(sid, u32::from(on)).map(|_| Reply::Done)
            }
            Request::SetDndType { dnd_type } => {
                need(Role::Agent)?;
                self.set_dnd(sid, dnd_type).map(|_| Reply::Done)
            }
            Request::StartUserStatusNotify => {
                if !roles.has(Role::Agent) && !roles.has(Role::Supervisor) {
                    return Err(AcdError::NoPermission(Role::Agent));
                }
                self.watch_user_status(sid);
                Ok(Reply::Done)
            }
            Request::SubscribeWallboard => {
                need(Role::Supervisor)?;
                self.subscribe_wallboard(sid);
                Ok(Reply::Done)
            }
            Request::StartQueuingWith { queue, usr_ext_dat, attributes } => {
                need(Role::Customer)?;
                let attributes = crate::skills::check_attributes(attributes)?;
                self.start_queuing_with(sid, queue, usr_ext_dat, attributes).map(|_| Reply::Done)
            }
            Request::StartServiceWith { queue, priority, skills } => {
                need(Role::Agent)?;
                self.queue_for(sid, queue)?;
                let (app, user_id) = (self.sessions[&sid].app, self.sessions[&sid].user_id.clone());
                self.put_agent_skills(app, &user_id, skills)?;
                self.start_service(sid, queue, priority).map(|_| Reply::Done)
            }
            Request::RequestCallback { number } => {
                need(Role::Customer)?;
                self.request_callback(sid, number).map(|_| Reply::Done)
            }
            Request::UnsubscribeWallboard => {
                let app = self.sessions[&sid].app;
                self.unsubscribe_wallboard(sid, app);
                Ok(Reply::Done)
            }
            Request::StopUserStatusNotify => {
                let app = self.sessions[&sid].app;
                self.unwatch_user_status(sid, app);
                Ok(Reply::Done)
            }
            Request::ReqAssignUser => {
                need(Role::Agent)?;
                self.req_assign(sid).map(Reply::Assigned)
            }
            Request::ReqAssignUser2 { queue, user_id } => {
                need(Role::Agent)?;
                self.req_assign_user(sid, queue, &user_id).map(Reply::Assigned)
            }
            Request::FinishService { queue, user_id } => {
                need(Role::Agent)?;
                self.finish_service(sid, queue, &user_id).map(|_| Reply::Done)
            }
            Request::SetCapacity { capacity } => {
                need(Role::Agent)?;
                self.set_capacity(sid, capacity).map(|_| Reply::Done)
            }
            Request::ForwardUser { queue, user_id, to_queue } => {
                if !roles.has(Role::Agent) && !roles.has(Role::Supervisor) {
                    return Err(AcdError::NoPermission(Role::Agent));
                }
                let app = self.session(sid)?.app;
                let serves = self.sessions[&sid].agent.as_ref().is_some_and(|a| a.priority_in(queue).is_some());
                if !serves && !roles.has(Role::Supervisor) {
                    self.queue_for(sid, queue)?;
                    return Err(AcdError::ServiceNotStarted("serve the queue to forward its customers"));
                }
                self.forward_user(app, queue, &user_id, to_queue).map(|_| Reply::Done)
            }
            Request::CreateMeeting { subject, pswd } => self.create_meeting(sid, subject, pswd).map(Reply::Meeting),
            Request::EnterMeeting { meeting, pswd } => self.enter_meeting(sid, meeting, &pswd).map(Reply::Meeting),
            Request::ExitMeeting { meeting } => self.exit_meeting(sid, meeting).map(|_| Reply::Done),
            Request::DestroyMeeting { meeting } => self.destroy_meeting(sid, meeting).map(|_| Reply::Done),
            Request::Call { callee, meeting, usr_ext_dat, call_id } => {
                self.call(sid, &callee, meeting, usr_ext_dat, call_id).map(Reply::Call)
            }
            Request::AcceptCall { call, usr_ext_dat } => self.accept_call(sid, &call, usr_ext_dat).map(|_| Reply::Done),
            Request::RejectCall { call, usr_ext_dat } => self.reject_call(sid, &call, usr_ext_dat).map(|_| Reply::Done),
            Request::HangupCall { call, usr_ext_dat } => self.hangup_call(sid, &call, usr_ext_dat).map(|_| Reply::Done),
            Request::HoldCall { call, hold } => self.hold_call(sid, &call, hold).map(|_| Reply::Done),
        }
    }

    /// Moves time to `now`, firing each due deadline at its own time, in order.
    fn advance(&mut self, now: Time) {
        while let Some((at, timer)) = self.timers.pop_due(now) {
            self.now = self.now.max(at);
            self.fire(at, timer);
            // Agents' time in each state is counted from each change, and a wallboard
            // frame says when it was made, so a deadline's changes are taken at its own
            // time (as when it is handled on its own).
            self.flush_agent_states();
            self.flush_wallboards();
        }
        self.now = self.now.max(now);
    }

    fn fire(&mut self, at: Time, timer: Timer) {
        match timer {
            Timer::Offer(offer) => self.offer_timed_out(offer),
            Timer::MaxWait(sid) => self.wait_timed_out(sid, at),
            Timer::Hold(sid) => self.hold_ended(sid, at),
            Timer::WrapUp(sid) => self.wrapup_ended(sid, at),
            Timer::Call(key) => self.call_timed_out(key),
            Timer::Wallboard(app) => self.wallboard_due(app),
            Timer::ReportInterval => self.close_report_interval(at),
            Timer::Overflow(sid) => self.overflow_due(sid, at),
            Timer::CallbackExpiry(sid) => self.callback_expired(sid, at),
            Timer::Relax(sid) => self.relax_due(sid, at),
            Timer::Declined(sid) => self.decline_expired(sid),
            Timer::Flush(queue) => {
                if let Some(q) = self.queues.get_mut(&queue) {
                    q.notices.timer = None;
                }
                self.list_dirty(queue);
            }
        }
    }

    // ---- lookups and output helpers shared by the rule modules ----

    pub(crate) fn session(&self, sid: SessionId) -> Result<&Session, AcdError> {
        self.sessions.get(&sid).ok_or(AcdError::NoSession)
    }

    pub(crate) fn app_of(&self, sid: SessionId) -> &App {
        &self.apps[self.sessions[&sid].app as usize]
    }

    pub(crate) fn settings_of_app(&self, app: u32) -> &AppSettings {
        &self.apps[app as usize].settings
    }

    /// The queue, if it exists and belongs to the session's app.
    pub(crate) fn queue_for(&self, sid: SessionId, queue: QueueId) -> Result<&Queue, AcdError> {
        let app = self.session(sid)?.app;
        match self.queues.get(&queue) {
            Some(q) if q.app == app => Ok(q),
            _ => Err(AcdError::QueueInvalid(queue)),
        }
    }

    pub(crate) fn app_index(&self, app: &str) -> Result<u32, AcdError> {
        self.app_ix.get(app).copied().ok_or_else(|| AcdError::UnknownApp(app.to_string()))
    }

    /// The session of `user_id` in the app of `sid`.
    pub(crate) fn user_session(&self, sid: SessionId, user_id: &str) -> Option<SessionId> {
        self.app_of(sid).users.get(user_id).copied()
    }

    pub(crate) fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn notify(&mut self, session: SessionId, notice: Notice) {
        self.outputs.push_back(Output::Notify { session, notice });
    }

    pub(crate) fn emit(&mut self, app: u32, kind: EventKind) {
        let app = self.apps[app as usize].name.clone();
        self.outputs.push_back(Output::Event(Event { app, time: self.now, kind }));
    }
}
