//! Why a request was refused, with the CloudRoom error number each reason maps to.

use crate::ids::{Name, QueueId};
use crate::model::Role;

/// A refused input. Each variant has a stable numeric [`code`](AcdError::code): the
/// CloudRoom `sdkErr` where CloudRoom has one, otherwise a documented Lineup addition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    /// 5: a parameter is out of range or malformed; the message names the field.
    #[error("invalid {field}: {reason}")]
    InvalidParam { field: &'static str, reason: String },
    /// 12: the session does not exist (logged out, or its hold time ran out).
    #[error("no such session (logged out or hold time expired)")]
    NoSession,
    /// 20: the app is not known to this server.
    #[error("unknown app '{0}'")]
    UnknownApp(String),
    /// 30 (Lineup): the session's roles do not allow this request.
    #[error("not permitted: this needs the {0} role")]
    NoPermission(Role),
    /// 30 (Lineup): only a room's creator may destroy it.
    #[error("not permitted: only the creator of room {0} may destroy it")]
    NotMeetingCreator(u32),
    /// 30 (Lineup): a customer-only session may call only the agent serving it (app
    /// setting `customer_calls`).
    #[error("not permitted: a customer may call only the agent serving it")]
    CallNotPermitted,
    /// 400: no queue with this id in the session's app.
    #[error("queue {0} does not exist")]
    QueueInvalid(QueueId),
    /// 401: nobody to hand over (no waiting customer, or not queuing).
    #[error("{0}")]
    NoUser(&'static str),
    /// 402: the customer stopped queuing, went away, or the offer was withdrawn.
    #[error("the customer is no longer offered to you (cancelled, taken or gone)")]
    UserCancelled,
    /// 403: the agent does not serve that queue (or any queue).
    #[error("{0}")]
    ServiceNotStarted(&'static str),
    /// 404: the customer already waits in a queue (or is being served).
    #[error("already queuing in queue {0}; stop queuing first")]
    AlreadyOtherQueue(QueueId),
    /// 405 (Lineup): the queue has reached its `max_len`.
    #[error("queue {0} is full")]
    QueueFull(QueueId),
    /// 406 (Lineup): the agent already has as much work as its capacity allows.
    #[error("the agent is at its capacity of {0} customers")]
    AgentAtCapacity(u16),
    /// 408 (Lineup): the agent's reason does not allow taking customers by hand.
    #[error("not ready ({code} {label}): this reason does not allow taking customers; set DNDStatus 0 or a reason that allows it")]
    NotReady { code: u32, label: String },
    /// 407 (Lineup): another queue of the app has this name.
    #[error("a queue named '{0}' already exists in this app")]
    QueueNameExists(String),
    /// 600: no such call for this session (or not in a state that allows this).
    #[error("call '{0}' does not exist here or cannot do that now")]
    InvalidCall(Name),
    /// 601: this session is already in a call.
    #[error("already in a call: hang up first")]
    CallExists,
    /// 602: the called user is in another call.
    #[error("user '{0}' is busy in another call")]
    UserBusy(Name),
    /// 603: the called user is offline (its connection dropped).
    #[error("user '{0}' is offline")]
    UserOffline(Name),
    /// 605: no logged-in user with this id in the app.
    #[error("user '{0}' is not logged in")]
    UserNotFound(Name),
    /// 800: no such room in the app.
    #[error("room {0} does not exist")]
    MeetingNotFound(u32),
    /// 801: wrong room password.
    #[error("wrong password for room {0}")]
    MeetingAuth(u32),
}

impl AcdError {
    /// The numeric error code sent on the wire.
    pub fn code(&self) -> u32 {
        match self {
            AcdError::InvalidParam { .. } => 5,
            AcdError::NoSession => 12,
            AcdError::UnknownApp(_) => 20,
            AcdError::NoPermission(_) | AcdError::CallNotPermitted | AcdError::NotMeetingCreator(_) => 30,
            AcdError::QueueInvalid(_) => 400,
            AcdError::NoUser(_) => 401,
            AcdError::UserCancelled => 402,
            AcdError::ServiceNotStarted(_) => 403,
            AcdError::AlreadyOtherQueue(_) => 404,
            AcdError::QueueFull(_) => 405,
            AcdError::AgentAtCapacity(_) => 406,
            AcdError::QueueNameExists(_) => 407,
            AcdError::NotReady { .. } => 408,
            AcdError::InvalidCall(_) => 600,
            AcdError::CallExists => 601,
            AcdError::UserBusy(_) => 602,
            AcdError::UserOffline(_) => 603,
            AcdError::UserNotFound(_) => 605,
            AcdError::MeetingNotFound(_) => 800,
            AcdError::MeetingAuth(_) => 801,
        }
    }

    /// 604: a call was not answered in time (NotifyCallRejected's sdkErr).
    pub const CALL_NO_ANSWER: u32 = 604;
    /// 606: a call was refused (NotifyCallRejected's sdkErr).
    pub const CALL_REFUSED: u32 = 606;

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        AcdError::InvalidParam { field, reason: reason.into() }
    }
}
