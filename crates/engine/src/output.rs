//! What comes out of the engine: notices to sessions, business events for webhooks and
//! statistics, and sessions that ended.

use std::sync::Arc;

use crate::ids::{Name, QueueId, SessionId, TaskId};
use crate::model::{MeetInfo, QueUser, QueueInfo, QueueStatus, QueuingInfo};
use crate::time::Time;
use crate::agent_state::AgentStateView;
use crate::wallboard::Wallboard;
use crate::user_status::UserStatus;

/// One output, taken with [`Engine::poll_output`](crate::Engine::poll_output).
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Deliver `notice` to `session` (buffer it if the session is held offline).
    Notify { session: SessionId, notice: Notice },
    /// A business event (webhooks, statistics, audit).
    Event(Event),
    /// The session is gone (logout or hold time ran out); forget its connection.
    SessionEnded { session: SessionId, reason: SessionEnd },
}

/// Why a session ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The user logged out.
    Logout,
    /// The session stayed offline past the app's hold time.
    HoldExpired,
}

/// A notice pushed to one session; the names are CloudRoom's callbacks.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// `CRVideo_QueueStatusChanged(queStatus)`.
    QueueStatusChanged(QueueStatus),
    /// `CRVideo_QueuingInfoChanged(queuingInfo)`.
    QueuingInfoChanged(QueuingInfo),
    /// `CRVideo_AutoAssignUser(queUser)`: accept or reject within the offer timeout.
    AutoAssignUser(QueUser),
    /// `CRVideo_CancelAssignUser(queID, usrID)`: the offer is withdrawn.
    CancelAssignUser { queue: QueueId, user_id: Name, reason: CancelReason },
    /// `CRVideo_UserEnter(queID, user)`: a customer joined a queue this agent serves.
    UserEnter(QueUser),
    /// `CRVideo_UserLeave(queID, usrID, inService)`: a customer left a served queue.
    UserLeave { queue: QueueId, user_id: Name, in_service: bool },
    /// Lineup: a service ended (to the agent and the customer).
    ServiceFinished { queue: QueueId, agent_id: Name, customer_id: Name, reason: ServiceEnd },
    /// Lineup: the customer's queuing ended without it asking (timeout, queue deleted).
    QueuingEnded { queue: QueueId, reason: EndReason },
    /// Lineup: the agent stopped serving a queue without asking (queue deleted).
    ServiceStopped { queue: QueueId },
    /// Lineup: a queue was created or changed (to sessions that watch all queues).
    QueueInfoChanged(QueueInfo),
    /// Lineup: a queue was deleted (to sessions that watch all queues).
    QueueRemoved { queue: QueueId },
    /// `CRVideo_NotifyCallIn(callID, meetObj, callerID, usrExtDat)`.
    NotifyCallIn { call: Name, meeting: Box<MeetInfo>, caller_id: Name, usr_ext_dat: Arc<str> },
    /// `CRVideo_NotifyCallAccepted(callID, meetObj, usrExtDat)`.
    NotifyCallAccepted { call: Name, meeting: Box<MeetInfo>, usr_ext_dat: Arc<str> },
    /// `CRVideo_NotifyCallRejected(callID, sdkErr, usrExtDat)`: 606 refused, 604 no answer.
    NotifyCallRejected { call: Name, err: u32, usr_ext_dat: Arc<str> },
    /// `CRVideo_NotifyCallHungup(callID, usrExtDat)`.
    NotifyCallHungup { call: Name, usr_ext_dat: Arc<str> },
    /// Lineup: the peer put the call on hold (`hold`) or resumed it.
    NotifyCallHold { call: Name, hold: bool },
    /// Lineup: someone entered or left a room this session is in.
    MeetingMember { meeting: u32, user_id: Name, name: Name, entered: bool },
    /// `CRVideo_MeetingStopped()`: the room this session is in was destroyed.
    MeetingStopped { meeting: u32 },
    /// A call event (asterCC fields), to both parties' pages.
    CallEvent(Box<CallEvent>),
    /// `CRVideo_NotifyUserStatus(userStatus)`: a user of the app changed status (to
    /// sessions that asked with StartUserStatusNotify).
    UserStatus(UserStatus),
    /// Lineup: an agent's state or reason changed (to the agent and the supervisors
    /// watching the app's wallboard).
    AgentStatusChanged(Box<AgentStateView>),
    /// Lineup: the app's wallboard (to supervisors that subscribed).
    Wallboard(Box<Wallboard>),
    /// Lineup: the customer's requirement stepped down (`skills`): 1 lower levels, 2
    /// any agent of the queue.
    RequirementRelaxed { queue: QueueId, step: u8 },
}

/// Who a call event is about (asterCC's `source`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CallSource {
    Agent,
    Caller,
    Callee,
    Conversation,
}

impl CallSource {
    /// The wire name (upper case, as asterCC).
    pub fn name(self) -> &'static str {
        match self {
            CallSource::Agent => "AGENT",
            CallSource::Caller => "CALLER",
            CallSource::Callee => "CALLEE",
            CallSource::Conversation => "CONVERSATION",
        }
    }
}

/// What happened (asterCC's `event`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CallEventKind {
    Incoming,
    Ringing,
    Answer,
    Hangup,
    OnHold,
    Resume,
    Join,
}

impl CallEventKind {
    /// The wire name (lower case, as asterCC).
    pub fn name(self) -> &'static str {
        match self {
            CallEventKind::Incoming => "incoming",
            CallEventKind::Ringing => "ringing",
            CallEventKind::Answer => "answer",
            CallEventKind::Hangup => "hangup",
            CallEventKind::OnHold => "onhold",
            CallEventKind::Resume => "resume",
            CallEventKind::Join => "join",
        }
    }
}

/// One call event with asterCC's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallEvent {
    pub source: CallSource,
    pub event: CallEventKind,
    /// The conversation (the call id): one per call, unique in the system.
    pub session_id: Name,
    /// Strictly increasing per app: a page drops events older than the newest it saw.
    pub event_id: u64,
    pub event_time: Time,
    /// The customer's (or other party's) user id.
    pub caller_id_num: Name,
    /// The user id of the party the event is about (the agent's for CONVERSATION).
    pub active_num: Name,
    /// "dialout" when an agent placed the call, else "dialin".
    pub dialout: bool,
    pub queue: Option<QueueId>,
    pub agent_id: Option<Name>,
}

/// Why an offer was withdrawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CancelReason {
    /// The agent did not answer within the offer timeout.
    Timeout,
    /// The customer stopped queuing, logged out or timed out.
    CustomerLeft,
    /// The customer's connection dropped (it keeps its place while held).
    CustomerOffline,
    /// The agent's connection dropped.
    AgentOffline,
    /// The agent stopped serving the queue (or the queue was deleted).
    ServiceStopped,
    /// The agent lowered its capacity below its pending offers.
    CapacityLowered,
    /// The customer was moved to another queue.
    Forwarded,
}

/// Why a service ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServiceEnd {
    /// The agent finished it.
    Finished,
    /// The customer logged out or was lost past the hold time.
    CustomerLeft,
    /// The agent logged out or was lost past the hold time.
    AgentLeft,
    /// The call with the customer ended (hung up, rejected or not answered).
    CallEnded,
}

/// A business event, stamped with its app and time.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub app: Arc<str>,
    pub time: Time,
    pub kind: EventKind,
}

/// The business events of seeds 000, 001 and 003.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// AnyChat queue change: 503 enter, 504 leave (errorcode 0 by choice, 100 dropped;
    /// Lineup additions: 101 timed out, 102 queue deleted), 506 taken by an agent.
    QueueChange {
        queue: QueueId,
        user_id: Name,
        change: QueueChangeKind,
        usr_ext_dat: Arc<str>,
    },
    /// An agent's login to / logout from queue service, only on a real change.
    AgentStatus {
        user_id: Name,
        status: AgentStatus,
        source: EventSource,
        queues: Vec<QueueId>,
    },
    /// `callcenter.queue.state_changed`: one step of a queuing task's life cycle.
    AcdState(Box<AcdTransition>),
    /// A call event (seed 004), the same the pages get.
    Call(Box<CallEvent>),
    /// An agent's reason changed (seed 001's family: ready, not ready, no answer).
    AgentReason {
        user_id: Name,
        /// 0 available, else the reason (`DNDType`).
        reason: u32,
        label: Arc<str>,
        source: EventSource,
    },
    /// A report interval ended: the app's figures over it (`reports`).
    Interval(Box<crate::reports::IntervalReport>),
    /// A waiting customer's callback was requested, taken by `agent`, or expired
    /// (`callback`).
    Callback {
        queue: QueueId,
        user_id: Name,
        number: Arc<str>,
        agent: Option<Name>,
        state: crate::callback::CallbackState,
    },
}

/// The kinds of AnyChat queue change.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QueueChangeKind {
    Entered,
    LeftByChoice,
    Dropped,
    TimedOut,
    /// Lineup: the queue was deleted by administration.
    Removed,
    /// Lineup: moved to another queue.
    Forwarded,
    /// Lineup: moved to the queue's overflow queue after its overflow time.
    Overflowed,
    /// Lineup: its callback expired before an agent took it.
    CallbackExpired,
    TakenByAgent,
}

impl QueueChangeKind {
    /// AnyChat's (eventtype, errorcode).
    pub fn codes(self) -> (u32, u32) {
        match self {
            QueueChangeKind::Entered => (503, 0),
            QueueChangeKind::LeftByChoice => (504, 0),
            QueueChangeKind::Dropped => (504, 100),
            QueueChangeKind::TimedOut => (504, 101),
            QueueChangeKind::Removed => (504, 102),
            QueueChangeKind::Forwarded => (504, 103),
            QueueChangeKind::Overflowed => (504, 104),
            QueueChangeKind::CallbackExpired => (504, 105),
            QueueChangeKind::TakenByAgent => (506, 0),
        }
    }
}

/// An agent's queue-service status (seed 001's agent_status).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AgentStatus {
    /// Serves at least one queue.
    Available,
    /// Serves none.
    LoggedOut,
}

/// What caused an agent status change.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventSource {
    /// The agent's own page.
    Sdk,
    /// The REST API.
    Api,
    /// The server itself (hold time ran out).
    System,
}

/// The states of a queuing task (seed 003).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AcdPhase {
    Pending,
    Waiting,
    Calling,
    Completed,
}

impl AcdPhase {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            AcdPhase::Pending => "pending",
            AcdPhase::Waiting => "waiting",
            AcdPhase::Calling => "calling",
            AcdPhase::Completed => "completed",
        }
    }
}

/// How a queuing task ended (seed 003's end_reason).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    Success,
    Timeout,
    Hangup,
    Cancel,
    CallFail,
    Forward,
}

impl EndReason {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Success => "success",
            EndReason::Timeout => "timeout",
            EndReason::Hangup => "hangup",
            EndReason::Cancel => "cancel",
            EndReason::CallFail => "call_fail",
            EndReason::Forward => "forward",
        }
    }
}

/// One transition of a queuing task.
#[derive(Clone, Debug, PartialEq)]
pub struct AcdTransition {
    pub task: TaskId,
    pub queue: QueueId,
    pub user_id: Name,
    pub previous: AcdPhase,
    pub latest: AcdPhase,
    /// The agent chosen most recently, if any.
    pub agent_id: Option<Name>,
    pub begin_time: Time,
    /// When an agent was last chosen (offered).
    pub call_time: Option<Time>,
    /// When an agent took the customer.
    pub talk_time: Option<Time>,
    pub end_time: Option<Time>,
    pub end_reason: Option<EndReason>,
    /// The customer's usrExtDat.
    pub data: Arc<str>,
    /// Set on the step that says the customer's requirement stepped down (`skills`):
    /// the new step (1 lower levels, 2 any agent); phase unchanged.
    pub requirement_step: Option<u8>,
}
