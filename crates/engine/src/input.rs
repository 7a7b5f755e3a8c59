//! What goes into the engine: administration, presence and session requests.
//!
//! Inputs are plain data so that a recorded sequence of `(Time, Input)` can be replayed
//! to rebuild the engine's state.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::agent_state::AgentPolicy;
use crate::ids::{Name, QueueId, SessionId};
use crate::model::{AppSettings, MeetInfo, QueUser, QueueChange, QueueDef, QueueInfo, Roles};
use crate::routing::QueueRouting;
use crate::skills::expr::Attributes;
use crate::skills::QueueRequirement;

/// One input to [`Engine::handle`](crate::Engine::handle).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// Creates an app or replaces its settings.
    PutApp { app: Arc<str>, settings: AppSettings },
    /// Creates a queue; `id` is given when restoring a stored queue, else allocated.
    CreateQueue { app: Arc<str>, id: Option<QueueId>, def: QueueDef },
    /// Changes some fields of a queue.
    ModifyQueue { app: Arc<str>, queue: QueueId, change: QueueChange },
    /// Deletes a queue: its customers leave, its agents stop serving it.
    DeleteQueue { app: Arc<str>, queue: QueueId },
    /// Stops an agent serving every queue (administration; its agent event says `api`).
    AgentLogout { app: Arc<str>, user_id: Name },
    /// Moves a waiting customer to another queue (administration), keeping its place
    /// in time.
    ForwardUser { app: Arc<str>, queue: QueueId, user_id: Name, to_queue: QueueId },
    /// A user logs in. If the user already has a session (online elsewhere or held
    /// offline), that session is taken over and keeps its state.
    Login { app: Arc<str>, user_id: Name, name: Name, roles: Roles },
    /// The session's connection dropped: it is held for the app's hold time.
    Disconnect { session: SessionId },
    /// The session's connection is back within the hold time.
    Reconnect { session: SessionId },
    /// The session ends now.
    Logout { session: SessionId },
    /// A request of a logged-in session.
    Session { session: SessionId, request: Request },
    /// The server started again on its journal: every session that was online is
    /// treated as dropped when the server stopped (its pending offers go back to the
    /// head) and held for the hold time counted from now, so its client can resume.
    ServerRestarted,
    // New variants go last: journals of older versions name variants by position.
    /// The app's rules for agent states: its reasons and the auto-pause limit.
    PutAgentPolicy { app: Arc<str>, policy: AgentPolicy },
    /// A queue's overflow and aging (`routing`).
    PutQueueRouting { app: Arc<str>, queue: QueueId, routing: QueueRouting },
    /// The app's skills, in order (`skills`).
    PutSkillCatalog { app: Arc<str>, skills: Vec<Name> },
    /// An agent's skills with levels 0–10, by user id (empty: none).
    PutAgentSkills { app: Arc<str>, user_id: Name, skills: Vec<(Name, u8)> },
    /// A queue's requirement and relaxation ("": none).
    PutQueueRequirement { app: Arc<str>, queue: QueueId, requirement: QueueRequirement },
}

/// A request of one session; names follow CloudRoom's functions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// `InitQueueDat`: from now on, get QueueStatusChanged for every queue of the app.
    InitQueueDat,
    /// `StartService(queID)` / `StartService2(queID, priority)`; priority 0–1000, 0 is
    /// highest. Calling it again for a served queue changes the priority.
    StartService { queue: QueueId, priority: u16 },
    /// `StopService(queID)`.
    StopService { queue: QueueId },
    /// `StartQueuing(queID)` / `StartQueuing2(queID, usrExtDat)`.
    StartQueuing { queue: QueueId, usr_ext_dat: Arc<str> },
    /// `StopQueuing()`.
    StopQueuing,
    /// `AcceptAssignUser(queID, usrID)`.
    AcceptAssignUser { queue: QueueId, user_id: Name },
    /// `RejectAssignUser(queID, usrID)`.
    RejectAssignUser { queue: QueueId, user_id: Name },
    /// `SetDNDStatus(status)`: on stops automatic offers. (Journals of older versions;
    /// new requests are [`Request::SetDndType`].)
    SetDndStatus { on: bool },
    /// `ReqAssignUser()`: take the next customer by the usual order, at once.
    ReqAssignUser,
    /// `ReqAssignUser2(queID, usrID)`: take this waiting customer, at once.
    ReqAssignUser2 { queue: QueueId, user_id: Name },
    /// Lineup `FinishService(queID, usrID)`: the agent is done with this customer.
    FinishService { queue: QueueId, user_id: Name },
    /// Lineup `SetAgentCapacity(n)`: how many customers the agent serves at once (1–50).
    SetCapacity { capacity: u16 },
    /// Lineup `ForwardUser(queID, usrID, toQueID)`: moves a waiting customer to another
    /// queue, keeping its waiting time.
    ForwardUser { queue: QueueId, user_id: Name, to_queue: QueueId },
    /// `CreateMeeting(subject, pswd)`.
    CreateMeeting { subject: Arc<str>, pswd: Arc<str> },
    /// `EnterMeeting(meetID, pswd)`.
    EnterMeeting { meeting: u32, pswd: Arc<str> },
    /// `ExitMeeting(meetID)`.
    ExitMeeting { meeting: u32 },
    /// `DestroyMeeting(meetID)`: the creator ends the room for everyone.
    DestroyMeeting { meeting: u32 },
    /// `Call(UID, meetObj, usrExtDat)`.
    Call { callee: Name, meeting: u32, usr_ext_dat: Arc<str>, call_id: Option<Name> },
    /// `AcceptCall(callID, meetObj, usrExtDat)`.
    AcceptCall { call: Name, usr_ext_dat: Arc<str> },
    /// `RejectCall(callID, usrExtDat)`.
    RejectCall { call: Name, usr_ext_dat: Arc<str> },
    /// `HungupCall(callID, usrExtDat)`.
    HangupCall { call: Name, usr_ext_dat: Arc<str> },
    /// Lineup `HoldCall(callID)` / `ResumeCall(callID)`.
    HoldCall { call: Name, hold: bool },
    // New variants go last: journals of older versions name variants by position.
    /// `SetDNDStatus(status)`: 0 off, any other value on; the value is the DND type
    /// user status reports.
    SetDndType { dnd_type: u32 },
    /// `StartUserStatusNotify()`: tell this session every user status change of its app.
    StartUserStatusNotify,
    /// `StopUserStatusNotify()`.
    StopUserStatusNotify,
    /// Lineup: the wallboard (supervisors): a frame now and after each change.
    SubscribeWallboard,
    /// Lineup: no more wallboard frames.
    UnsubscribeWallboard,
    /// Lineup: the waiting customer asks to be called back at `number` ("": in its
    /// page) and keeps its place without a live session (`callback`).
    RequestCallback { number: Arc<str> },
    /// `StartQueuing2` with attributes the queue's requirement may test (`skills`).
    StartQueuingWith { queue: QueueId, usr_ext_dat: Arc<str>, attributes: Attributes },
    /// `StartService2` that also sets the agent's skills (replacing them).
    StartServiceWith { queue: QueueId, priority: u16, skills: Vec<(Name, u8)> },
}

/// What a successful input returns.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Done; nothing to return.
    Done,
    /// Login: the session, and whether an existing one was taken over.
    LoggedIn { session: SessionId, resumed: bool },
    /// A queue was created or modified.
    Queue(QueueInfo),
    /// ReqAssignUser / ReqAssignUser2: the customer now served.
    Assigned(QueUser),
    /// CreateMeeting / EnterMeeting: the room.
    Meeting(MeetInfo),
    /// Call: the new call's id.
    Call(Name),
}
