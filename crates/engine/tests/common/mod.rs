//! A small simulation harness for the engine's integration tests.
//!
//! [`Sim`] owns an [`Engine`] and a virtual clock. Every step (an input or a deadline)
//! runs at the sim's current time, collects the outputs into a buffer and checks the
//! engine's invariants, panicking with the engine's message when one breaks. Time only
//! moves through [`Sim::advance`] / [`Sim::advance_ms`] / [`Sim::advance_to`], which fire
//! each passed deadline at its own time, one `handle_timeout` per deadline.
#![allow(dead_code)]

use lineup_engine::{
    AcdError, AcdTransition, AgentStatus, AppSettings, CallEvent, CallEventKind, CallSource, Engine, Event, EventKind,
    EventSource, Input, MeetInfo, Name, Notice, Output, QueUser, QueueChangeKind, QueueDef, QueueId, QueuingInfo,
    Reply, Request, Role, Roles, SessionEnd, SessionId, SessionInfo, Time,
};

/// The app every sim starts with.
pub const APP: &str = "demo";
/// The sim's clock at creation (ms since the epoch); any value far from zero will do.
pub const START_MS: u64 = 1_700_000_000_000;

pub fn agent_roles() -> Roles {
    Roles::NONE.with(Role::Agent)
}

pub fn customer_roles() -> Roles {
    Roles::NONE.with(Role::Customer)
}

pub fn supervisor_roles() -> Roles {
    Roles::NONE.with(Role::Supervisor)
}

/// Settings with every notice sent at once (no coalescing), for exact notice checks.
pub fn uncoalesced() -> AppSettings {
    AppSettings { notice_interval_ms: 0, ..AppSettings::default() }
}

pub struct Sim {
    pub engine: Engine,
    pub now: Time,
    /// Outputs not drained yet, with the time of the step that produced them.
    buffer: Vec<(Time, Output)>,
    /// Every input handed to the engine, with its time (for replay tests).
    pub script: Vec<(Time, Input)>,
    /// Every step in order, as a driver journals it: an input, or `None` for a
    /// `handle_timeout`, with its time.
    pub journal: Vec<(Time, Option<Input>)>,
    /// The reply to each input of `script`, rendered with Debug.
    pub replies: Vec<String>,
    /// Number of steps taken (inputs and deadlines).
    pub steps: u64,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// An engine with no app yet.
    pub fn bare() -> Sim {
        Sim {
            engine: Engine::new(),
            now: Time::from_millis(START_MS),
            buffer: Vec::new(),
            script: Vec::new(),
            journal: Vec::new(),
            replies: Vec::new(),
            steps: 0,
        }
    }

    /// An engine with app "demo" on default settings; outputs so far are drained.
    pub fn new() -> Sim {
        Sim::with_settings(AppSettings::default())
    }

    /// An engine with app "demo" on `settings`; outputs so far are drained.
    pub fn with_settings(settings: AppSettings) -> Sim {
        let mut sim = Sim::bare();
        sim.app(settings);
        sim.drain();
        sim
    }

    // ---- stepping ----

    /// Hands one input to the engine at the current time.
    pub fn input(&mut self, input: Input) -> Result<Reply, AcdError> {
        self.script.push((self.now, input.clone()));
        self.journal.push((self.now, Some(input.clone())));
        let what = format!("{input:?}");
        let result = self.engine.handle(self.now, input);
        self.replies.push(format!("{result:?}"));
        self.after_step(&what);
        result
    }

    fn after_step(&mut self, what: &str) {
        self.steps += 1;
        while let Some(output) = self.engine.poll_output() {
            self.buffer.push((self.now, output));
        }
        if let Err(broken) = self.engine.check_invariants() {
            panic!(
                "invariant broken after step {} ({what}) at t={}: {broken}",
                self.steps,
                self.now.as_millis() - START_MS
            );
        }
    }

    /// Moves the clock to `target`, calling `handle_timeout` at each deadline passed
    /// (in order, at its own time), then once at `target`.
    pub fn advance_to(&mut self, target: Time) {
        assert!(target >= self.now, "the sim's clock does not go back");
        while let Some(at) = self.engine.poll_timeout() {
            if at > target {
                break;
            }
            assert!(at >= self.now, "deadline {at:?} is in the past (now {:?})", self.now);
            self.now = at;
            self.journal.push((at, None));
            self.engine.handle_timeout(at);
            self.after_step("deadline");
        }
        self.now = target;
        self.journal.push((target, None));
        self.engine.handle_timeout(target);
        self.after_step("advance");
    }

    pub fn advance_ms(&mut self, ms: u64) {
        self.advance_to(self.now.plus_millis(ms));
    }

    pub fn advance(&mut self, secs: u64) {
        self.advance_ms(secs * 1000);
    }

    /// Milliseconds since the sim started.
    pub fn elapsed_ms(&self) -> u64 {
        self.now.as_millis() - START_MS
    }

    /// Time `ms` after the sim started.
    pub fn at(ms: u64) -> Time {
        Time::from_millis(START_MS + ms)
    }

    /// The outputs since the last drain.
    pub fn drain(&mut self) -> Vec<Output> {
        self.buffer.drain(..).map(|(_, o)| o).collect()
    }

    /// The outputs since the last drain, each with the time of its step.
    pub fn drain_timed(&mut self) -> Vec<(Time, Output)> {
        std::mem::take(&mut self.buffer)
    }

    // ---- administration ----

    /// PutApp "demo".
    pub fn app(&mut self, settings: AppSettings) {
        self.app_named(APP, settings);
    }

    pub fn app_named(&mut self, name: &str, settings: AppSettings) {
        self.input(Input::PutApp { app: name.into(), settings }).expect("PutApp");
    }

    pub fn try_queue_in(&mut self, app: &str, def: QueueDef) -> Result<QueueId, AcdError> {
        match self.input(Input::CreateQueue { app: app.into(), id: None, def })? {
            Reply::Queue(info) => Ok(info.queue),
            other => panic!("CreateQueue replied {other:?}"),
        }
    }

    pub fn try_queue(&mut self, def: QueueDef) -> Result<QueueId, AcdError> {
        self.try_queue_in(APP, def)
    }

    /// A queue of app "demo" with this name and priority and no limits.
    pub fn queue(&mut self, name: &str, prio: u8) -> QueueId {
        self.queue_def(QueueDef { prio, ..QueueDef::named(name) })
    }

    pub fn queue_def(&mut self, def: QueueDef) -> QueueId {
        self.try_queue(def).expect("CreateQueue")
    }

    pub fn queue_in(&mut self, app: &str, name: &str, prio: u8) -> QueueId {
        self.try_queue_in(app, QueueDef { prio, ..QueueDef::named(name) }).expect("CreateQueue")
    }

    pub fn delete_queue(&mut self, queue: QueueId) -> Result<Reply, AcdError> {
        self.input(Input::DeleteQueue { app: APP.into(), queue })
    }

    // ---- presence ----

    pub fn try_login_in(&mut self, app: &str, user: &str, name: &str, roles: Roles) -> Result<Reply, AcdError> {
        self.input(Input::Login { app: app.into(), user_id: user.into(), name: name.into(), roles })
    }

    /// Logs `user` into app "demo" (its name is the user id) and returns the session.
    pub fn login(&mut self, user: &str, roles: Roles) -> SessionId {
        self.login_in(APP, user, roles)
    }

    /// Logs `user` into app "demo" with a display name.
    pub fn login_named(&mut self, user: &str, name: &str, roles: Roles) -> SessionId {
        match self.try_login_in(APP, user, name, roles).expect("Login") {
            Reply::LoggedIn { session, .. } => session,
            other => panic!("Login replied {other:?}"),
        }
    }

    pub fn login_in(&mut self, app: &str, user: &str, roles: Roles) -> SessionId {
        match self.try_login_in(app, user, user, roles).expect("Login") {
            Reply::LoggedIn { session, .. } => session,
            other => panic!("Login replied {other:?}"),
        }
    }

    pub fn agent(&mut self, user: &str) -> SessionId {
        self.login(user, agent_roles())
    }

    pub fn customer(&mut self, user: &str) -> SessionId {
        self.login(user, customer_roles())
    }

    pub fn disconnect(&mut self, session: SessionId) {
        self.input(Input::Disconnect { session }).expect("Disconnect");
    }

    pub fn reconnect(&mut self, session: SessionId) {
        self.input(Input::Reconnect { session }).expect("Reconnect");
    }

    pub fn logout(&mut self, session: SessionId) {
        self.input(Input::Logout { session }).expect("Logout");
    }

    // ---- session requests ----

    pub fn req(&mut self, session: SessionId, request: Request) -> Result<Reply, AcdError> {
        self.input(Input::Session { session, request })
    }

    /// The request must succeed.
    pub fn ok(&mut self, session: SessionId, request: Request) -> Reply {
        let what = format!("{request:?}");
        self.req(session, request).unwrap_or_else(|e| panic!("{what} failed: {e} (code {})", e.code()))
    }

    /// The request must fail; returns the error.
    pub fn fail(&mut self, session: SessionId, request: Request) -> AcdError {
        let what = format!("{request:?}");
        match self.req(session, request) {
            Ok(reply) => panic!("{what} should fail but replied {reply:?}"),
            Err(e) => e,
        }
    }

    pub fn start_service(&mut self, agent: SessionId, queue: QueueId, priority: u16) {
        self.ok(agent, Request::StartService { queue, priority });
    }

    pub fn stop_service(&mut self, agent: SessionId, queue: QueueId) {
        self.ok(agent, Request::StopService { queue });
    }

    /// Logs these customers in, then each starts queuing in `queue`, in order.
    pub fn queuing(&mut self, queue: QueueId, users: &[&str]) -> Vec<SessionId> {
        let cs: Vec<SessionId> = users.iter().map(|u| self.customer(u)).collect();
        for &c in &cs {
            self.start_queuing(c, queue);
        }
        cs
    }

    pub fn start_queuing(&mut self, customer: SessionId, queue: QueueId) {
        self.start_queuing_with(customer, queue, "");
    }

    pub fn start_queuing_with(&mut self, customer: SessionId, queue: QueueId, ext: &str) {
        self.ok(customer, Request::StartQueuing { queue, usr_ext_dat: ext.into() });
    }

    pub fn stop_queuing(&mut self, customer: SessionId) {
        self.ok(customer, Request::StopQueuing);
    }

    pub fn accept(&mut self, agent: SessionId, queue: QueueId, customer: SessionId) {
        let user_id = self.uid(customer);
        self.ok(agent, Request::AcceptAssignUser { queue, user_id });
    }

    pub fn reject(&mut self, agent: SessionId, queue: QueueId, customer: SessionId) {
        let user_id = self.uid(customer);
        self.ok(agent, Request::RejectAssignUser { queue, user_id });
    }

    pub fn finish(&mut self, agent: SessionId, queue: QueueId, customer: SessionId) {
        let user_id = self.uid(customer);
        self.ok(agent, Request::FinishService { queue, user_id });
    }

    pub fn dnd(&mut self, agent: SessionId, on: bool) {
        self.ok(agent, Request::SetDndStatus { on });
    }

    pub fn capacity(&mut self, agent: SessionId, capacity: u16) {
        self.ok(agent, Request::SetCapacity { capacity });
    }

    /// ReqAssignUser; returns the customer assigned.
    pub fn req_assign(&mut self, agent: SessionId) -> QueUser {
        match self.ok(agent, Request::ReqAssignUser) {
            Reply::Assigned(user) => user,
            other => panic!("ReqAssignUser replied {other:?}"),
        }
    }

    /// Lineup ForwardUser (a session's request).
    pub fn forward(&mut self, session: SessionId, queue: QueueId, customer: SessionId, to_queue: QueueId) {
        let user_id = self.uid(customer);
        self.ok(session, Request::ForwardUser { queue, user_id, to_queue });
    }

    // ---- rooms and calls ----

    /// CreateMeeting; returns the room.
    pub fn create_meeting(&mut self, session: SessionId, subject: &str, pswd: &str) -> MeetInfo {
        match self.ok(session, Request::CreateMeeting { subject: subject.into(), pswd: pswd.into() }) {
            Reply::Meeting(m) => m,
            other => panic!("CreateMeeting replied {other:?}"),
        }
    }

    /// EnterMeeting; returns the room.
    pub fn enter_meeting(&mut self, session: SessionId, meeting: u32, pswd: &str) -> MeetInfo {
        match self.ok(session, Request::EnterMeeting { meeting, pswd: pswd.into() }) {
            Reply::Meeting(m) => m,
            other => panic!("EnterMeeting replied {other:?}"),
        }
    }

    pub fn exit_meeting(&mut self, session: SessionId, meeting: u32) {
        self.ok(session, Request::ExitMeeting { meeting });
    }

    /// Call `callee` into `meeting`; returns the call id.
    pub fn call(&mut self, caller: SessionId, callee: SessionId, meeting: u32, ext: &str) -> Name {
        let callee = self.uid(callee);
        match self.ok(caller, Request::Call { callee, meeting, usr_ext_dat: ext.into(), call_id: None }) {
            Reply::Call(id) => id,
            other => panic!("Call replied {other:?}"),
        }
    }

    /// A Call request (for failures and chosen ids).
    pub fn try_call(
        &mut self,
        caller: SessionId,
        callee: &str,
        meeting: u32,
        call_id: Option<&str>,
    ) -> Result<Reply, AcdError> {
        let request =
            Request::Call { callee: callee.into(), meeting, usr_ext_dat: "".into(), call_id: call_id.map(Into::into) };
        self.req(caller, request)
    }

    pub fn accept_call(&mut self, session: SessionId, call: &str, ext: &str) {
        self.ok(session, Request::AcceptCall { call: call.into(), usr_ext_dat: ext.into() });
    }

    pub fn reject_call(&mut self, session: SessionId, call: &str, ext: &str) {
        self.ok(session, Request::RejectCall { call: call.into(), usr_ext_dat: ext.into() });
    }

    pub fn hangup_call(&mut self, session: SessionId, call: &str, ext: &str) {
        self.ok(session, Request::HangupCall { call: call.into(), usr_ext_dat: ext.into() });
    }

    pub fn hold_call(&mut self, session: SessionId, call: &str, hold: bool) {
        self.ok(session, Request::HoldCall { call: call.into(), hold });
    }

    /// The session's call, as GetSessionInfo shows it.
    pub fn session_info(&self, session: SessionId) -> SessionInfo {
        self.engine.session_info(session).expect("live session")
    }

    // ---- lookups ----

    /// The user id of a live session.
    pub fn uid(&self, session: SessionId) -> lineup_engine::Name {
        self.engine.session_view(session).expect("live session").user_id
    }

    pub fn queuing_info(&self, session: SessionId) -> QueuingInfo {
        self.engine.queuing_info(session).expect("live session")
    }

    /// (queue, position) of a queuing customer; panics otherwise.
    pub fn position(&self, session: SessionId) -> (QueueId, u32) {
        match self.queuing_info(session) {
            QueuingInfo::Queuing { queue, position, .. } => (queue, position),
            other => panic!("session {session:?} is not queuing: {other:?}"),
        }
    }
}

/// A sim on `settings` with one queue (prio 5) and one agent "a" serving it at
/// priority 0; outputs so far are drained.
pub fn one_agent_one_queue(settings: AppSettings) -> (Sim, QueueId, SessionId) {
    let mut sim = Sim::with_settings(settings);
    let q = sim.queue("q", 5);
    let a = sim.agent("a");
    sim.start_service(a, q, 0);
    sim.drain();
    (sim, q, a)
}

// ---- filters over outputs ----

/// The notices sent to `session`, in order.
pub fn notices_for(outputs: &[Output], session: SessionId) -> Vec<Notice> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Notify { session: s, notice } if *s == session => Some(notice.clone()),
            _ => None,
        })
        .collect()
}

/// Every notice, with its recipient.
pub fn all_notices(outputs: &[Output]) -> Vec<(SessionId, Notice)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Notify { session, notice } => Some((*session, notice.clone())),
            _ => None,
        })
        .collect()
}

/// The business events, in order.
pub fn events(outputs: &[Output]) -> Vec<Event> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The kinds of the business events, in order.
pub fn event_kinds(outputs: &[Output]) -> Vec<EventKind> {
    events(outputs).into_iter().map(|e| e.kind).collect()
}

/// QueueChange events as (queue, user id, kind).
pub fn queue_changes(outputs: &[Output]) -> Vec<(QueueId, String, QueueChangeKind)> {
    event_kinds(outputs)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::QueueChange { queue, user_id, change, .. } => Some((queue, user_id.to_string(), change)),
            _ => None,
        })
        .collect()
}

/// AcdState events.
pub fn acd_states(outputs: &[Output]) -> Vec<AcdTransition> {
    event_kinds(outputs)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::AcdState(t) => Some(*t),
            _ => None,
        })
        .collect()
}

/// AgentStatus events as (user id, status, source, queues).
pub fn agent_statuses(outputs: &[Output]) -> Vec<(String, AgentStatus, EventSource, Vec<QueueId>)> {
    event_kinds(outputs)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::AgentStatus { user_id, status, source, queues } => {
                Some((user_id.to_string(), status, source, queues))
            }
            _ => None,
        })
        .collect()
}

/// SessionEnded outputs.
pub fn ended_sessions(outputs: &[Output]) -> Vec<(SessionId, SessionEnd)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::SessionEnded { session, reason } => Some((*session, *reason)),
            _ => None,
        })
        .collect()
}

/// The customers offered (AutoAssignUser) to `agent`, in order.
pub fn offers_to(outputs: &[Output], agent: SessionId) -> Vec<QueUser> {
    notices_for(outputs, agent)
        .into_iter()
        .filter_map(|n| match n {
            Notice::AutoAssignUser(user) => Some(user),
            _ => None,
        })
        .collect()
}

/// The user ids offered to `agent`, in order.
pub fn offered_ids(outputs: &[Output], agent: SessionId) -> Vec<String> {
    offers_to(outputs, agent).into_iter().map(|u| u.user_id.to_string()).collect()
}

/// Every AutoAssignUser as (agent, customer user id).
pub fn all_offers(outputs: &[Output]) -> Vec<(SessionId, String)> {
    all_notices(outputs)
        .into_iter()
        .filter_map(|(s, n)| match n {
            Notice::AutoAssignUser(user) => Some((s, user.user_id.to_string())),
            _ => None,
        })
        .collect()
}

/// The QueuingInfoChanged notices to `session`.
pub fn queuing_infos(outputs: &[Output], session: SessionId) -> Vec<QueuingInfo> {
    notices_for(outputs, session)
        .into_iter()
        .filter_map(|n| match n {
            Notice::QueuingInfoChanged(info) => Some(info),
            _ => None,
        })
        .collect()
}

/// The QueueStatusChanged notices to `session`, as (queue, agent_num, wait_num, srv_num).
pub fn statuses(outputs: &[Output], session: SessionId) -> Vec<(QueueId, u32, u32, u32)> {
    notices_for(outputs, session)
        .into_iter()
        .filter_map(|n| match n {
            Notice::QueueStatusChanged(s) => Some((s.queue, s.agent_num, s.wait_num, s.srv_num)),
            _ => None,
        })
        .collect()
}

/// Every output rendered with Debug, one per line (for determinism checks).
pub fn render(outputs: &[Output]) -> Vec<String> {
    outputs.iter().map(|o| format!("{o:?}")).collect()
}

/// The CallEvent notices to `session`, in order.
pub fn call_event_notices(outputs: &[Output], session: SessionId) -> Vec<CallEvent> {
    notices_for(outputs, session)
        .into_iter()
        .filter_map(|n| match n {
            Notice::CallEvent(e) => Some(*e),
            _ => None,
        })
        .collect()
}

/// The call business events, in order.
pub fn call_events(outputs: &[Output]) -> Vec<CallEvent> {
    event_kinds(outputs)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::Call(e) => Some(*e),
            _ => None,
        })
        .collect()
}

/// The call business events as (source, event).
pub fn call_steps(outputs: &[Output]) -> Vec<(CallSource, CallEventKind)> {
    call_events(outputs).into_iter().map(|e| (e.source, e.event)).collect()
}

/// The notices to `session` that are about calls and rooms (not CallEvent).
pub fn call_notices(outputs: &[Output], session: SessionId) -> Vec<Notice> {
    notices_for(outputs, session)
        .into_iter()
        .filter(|n| {
            matches!(
                n,
                Notice::NotifyCallIn { .. }
                    | Notice::NotifyCallAccepted { .. }
                    | Notice::NotifyCallRejected { .. }
                    | Notice::NotifyCallHungup { .. }
                    | Notice::NotifyCallHold { .. }
                    | Notice::MeetingMember { .. }
            )
        })
        .collect()
}

/// The ServiceFinished notices to `session`.
pub fn service_finished(outputs: &[Output], session: SessionId) -> Vec<Notice> {
    notices_for(outputs, session).into_iter().filter(|n| matches!(n, Notice::ServiceFinished { .. })).collect()
}
