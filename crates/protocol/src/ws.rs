//! WebSocket frames. Every frame is one JSON text message.
//!
//! Client → server: `{"seq": 7, "op": "StartQueuing", "queID": 1, "usrExtDat": ""}`.
//! Server → client: a reply echoing `seq` with `err` (0 = ok) and `msg`, or a notice:
//! `{"type": "reply", "seq": 7, "err": 0, "msg": "ok", "data": ...}` and
//! `{"type": "notice", "name": "QueuingInfoChanged", "data": {...}}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::{clip, field_error};
use crate::types::{
    AgentInfo, AgentStatusChange, Attributes, CallEvent, MeetInfo, MonitorMode, MsgKind, QueStatus, QueUser, QueueInfo,
    QueueStatistics, QueuingInfo, TrackKind, TrackState, UserStatus, WallboardFrame,
};

/// What the server reads first from any client frame, to answer even a malformed one.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RequestHead {
    #[serde(default)]
    pub seq: Option<Value>,
    #[serde(default)]
    pub op: Option<Value>,
}

impl RequestHead {
    /// The seq to echo: the request's when it is a number, else 0.
    pub fn seq(&self) -> u64 {
        self.seq.as_ref().and_then(Value::as_u64).unwrap_or(0)
    }

    /// Why the head itself is wrong, if it is.
    pub fn problem(&self) -> Option<String> {
        match (&self.seq, &self.op) {
            (_, None) => Some("missing \"op\"".into()),
            (_, Some(op)) if !op.is_string() => Some(format!("\"op\" must be a string, not {}", clip(&op.to_string()))),
            (None, _) => Some("missing \"seq\" (a number the reply echoes)".into()),
            (Some(seq), _) if seq.as_u64().is_none() => {
                Some(format!("\"seq\" must be a non-negative integer, not {}", clip(&seq.to_string())))
            }
            (_, Some(op)) if !Op::NAMES.contains(&op.as_str().unwrap_or_default()) => {
                Some(format!("unknown op {}", clip(&op.to_string())))
            }
            _ => None,
        }
    }
}

/// Parses one client text frame. A malformed one yields the error reply to send (err 6,
/// naming what is wrong), checked in this order: not a JSON object; the head (`op`
/// missing or not a string, `seq` missing or not a non-negative integer, unknown op);
/// then the op's own fields.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, Reply> {
    let bad = |seq: u64, msg: String| Reply::error(seq, crate::codes::ERR_DATA, msg);
    let value: Value = match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => {
            let kind = match other {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a literal",
            };
            return Err(bad(0, format!("not a JSON object: got {kind}")));
        }
        Err(e) => return Err(bad(0, format!("not a JSON object: {e}"))),
    };
    let head = RequestHead::deserialize(&value).unwrap_or_default();
    if let Some(problem) = head.problem() {
        return Err(bad(head.seq(), problem));
    }
    serde_json::from_str::<ClientFrame>(text).map_err(|e| {
        let name = head.op.as_ref().and_then(Value::as_str).unwrap_or_default();
        let what = field_error(&value, &e, |v| serde_json::from_value::<ClientFrame>(v.clone()).map(|_| ()));
        bad(head.seq(), format!("bad fields for {name}: {what}"))
    })
}

/// A client request: `seq` (echoed in the reply) plus the operation and its fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    pub seq: u64,
    #[serde(flatten)]
    pub op: Op,
}

/// The wire names of an enum's variants, declared once: `name()` (a missing variant
/// does not compile), `NAMES` in declaration order, and a fieldless enum of the names
/// (`OpName`, `NoticeName`) for code that dispatches on a name without the data (the
/// SDK: a renamed notice then fails to compile there too). The server, the SDK, the
/// golden tests and the docs check read them.
macro_rules! wire_names {
    ($ty:ident / $names:ident: $($variant:ident),* $(,)?) => {
        impl $ty {
            /// The wire name (`op` of a request, `name` of a notice).
            pub fn name(&self) -> &'static str {
                self.kind().name()
            }

            /// Which one this is.
            pub fn kind(&self) -> $names {
                match self {
                    $($ty::$variant { .. } => $names::$variant,)*
                }
            }

            /// Every wire name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($variant)),*];
        }

        #[doc = concat!("The names of [`", stringify!($ty), "`], without the data.")]
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $names {
            $($variant),*
        }

        impl $names {
            /// The wire name.
            pub fn name(self) -> &'static str {
                match self {
                    $($names::$variant => stringify!($variant),)*
                }
            }

            /// The variant a wire name names, if any.
            pub fn parse(name: &str) -> Option<$names> {
                match name {
                    $(stringify!($variant) => Some($names::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// An enum whose variants are wire names, declared once: the enum as written, and
/// [`wire_names!`] of its variants (a new variant is named everywhere with it).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident / $names:ident {
            $( $(#[$vmeta:meta])* $variant:ident $({ $($fields:tt)* })? $(( $($tuple:tt)* ))? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $ty {
            $( $(#[$vmeta])* $variant $({ $($fields)* })? $(( $($tuple)* ))? ),*
        }

        wire_names!($ty / $names: $($variant),*);
    };
}

wire_enum! {
/// The operations, named after CloudRoom's functions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", deny_unknown_fields)]
pub enum Op / OpName {
    /// First frame of a connection: the ticket from `POST /api/v1/login`.
    Login {
        ticket: String,
    },
    /// First frame after a reconnect: the `session` token from the Login reply.
    Resume {
        session: String,
    },
    /// Ends the session (the server closes the socket after replying).
    Logout,
    /// Keeps the connection alive; replies with the server time.
    Ping,
    /// Subscribes to every queue's status; replies with queues and statuses.
    InitQueueDat,
    /// Replies with every queue's status, then sends each as QueueStatusChanged.
    RefreshAllQueueStatus,
    GetQueueStatus {
        #[serde(rename = "queID")]
        que_id: u32,
    },
    GetQueuingInfo,
    GetServingQueues,
    GetQueueUsers {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    StartService {
        #[serde(rename = "queID")]
        que_id: u32,
        /// 0–1000, 0 is highest; default 0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u16>,
        /// Lineup: the agent's skills with levels 0–10, replacing those it had
        /// (skills-based routing); absent: unchanged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skills: Option<std::collections::BTreeMap<String, u8>>,
    },
    StopService {
        #[serde(rename = "queID")]
        que_id: u32,
    },
    StartQueuing {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrExtDat", default, skip_serializing_if = "Option::is_none")]
        usr_ext_dat: Option<String>,
        /// Lineup: attributes the queue's requirement may test (skills-based routing).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attributes: Option<Attributes>,
    },
    StopQueuing,
    AcceptAssignUser {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
    },
    RejectAssignUser {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
    },
    SetDNDStatus {
        /// 0 off (automatic offers), anything else on.
        #[serde(rename = "DNDStatus")]
        dnd_status: i64,
    },
    ReqAssignUser,
    ReqAssignUser2 {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
    },
    /// Lineup: the agent is done with a customer.
    FinishService {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
    },
    /// Lineup: customers served at once (1–50).
    SetAgentCapacity {
        capacity: u16,
    },
    /// Lineup: statistics of one queue.
    GetQueueStatistics {
        #[serde(rename = "queID")]
        que_id: u32,
    },
    /// Lineup (supervisor): every agent of the app.
    GetAgents,
    /// Lineup: moves a waiting customer of a served queue to another queue.
    ForwardUser {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
        #[serde(rename = "toQueID")]
        to_que_id: u32,
    },
    /// CloudRoom CreateMeeting(subject, pswd): a room to call the customer into.
    CreateMeeting {
        #[serde(default)]
        subject: String,
        #[serde(default)]
        pswd: String,
    },
    EnterMeeting {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(default)]
        pswd: String,
    },
    ExitMeeting {
        #[serde(rename = "meetID")]
        meet_id: u32,
    },
    /// CloudRoom DestroyMeeting(meetID): the creator ends the room for everyone.
    DestroyMeeting {
        #[serde(rename = "meetID")]
        meet_id: u32,
    },
    /// CloudRoom Call(UID, meetObj, usrExtDat): the room goes by its id. `callID` may be
    /// chosen by the client (8–64 of A-Z a-z 0-9 - _; CloudRoom returns it at once).
    Call {
        #[serde(rename = "callID", default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        #[serde(rename = "UID")]
        uid: String,
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "usrExtDat", default, skip_serializing_if = "Option::is_none")]
        usr_ext_dat: Option<String>,
    },
    AcceptCall {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "usrExtDat", default, skip_serializing_if = "Option::is_none")]
        usr_ext_dat: Option<String>,
    },
    RejectCall {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "usrExtDat", default, skip_serializing_if = "Option::is_none")]
        usr_ext_dat: Option<String>,
    },
    /// CloudRoom HungupCall (H5 spells it HangupCall).
    HungupCall {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "usrExtDat", default, skip_serializing_if = "Option::is_none")]
        usr_ext_dat: Option<String>,
    },
    /// Lineup: puts an answered call on hold.
    HoldCall {
        #[serde(rename = "callID")]
        call_id: String,
    },
    /// Lineup: takes a held call off hold.
    ResumeCall {
        #[serde(rename = "callID")]
        call_id: String,
    },
    /// CloudRoom GetSessionInfo: the call this session is in.
    GetSessionInfo,
    /// Lineup media: this session's audio and video join the room it is in, with the
    /// browser's SDP offer; the reply carries the server's answer (`MediaJoinData`).
    /// Sent again for the same room, it renegotiates (a track added, an ICE restart);
    /// for another room, it moves the session's media there.
    MediaJoin {
        #[serde(rename = "meetID")]
        meet_id: u32,
        sdp: String,
    },
    /// Lineup media: the browser's SDP answer to the server's `MediaOffer`.
    MediaAnswer {
        sdp: String,
    },
    /// Lineup media: the session's audio and video leave the room (the call goes on).
    MediaLeave,
    /// Lineup media: the session stopped (`muted`) or restarted sending one of its
    /// tracks (CloudRoom CloseMic / OpenMic on an open connection); the room is told by
    /// `MediaTrack` (`closed` / `open`).
    MediaMute {
        /// audio | video (a shared screen stops with `StopScreenShare`)
        kind: TrackKind,
        muted: bool,
    },
    /// Lineup (supervisor): the session's media joins the call in room `meetID` without
    /// being a member of it: `monitor` listens and sends nothing, `whisper` speaks to
    /// the agent `UID` only, `barge` joins fully. Reply: the answer, as `MediaJoin`.
    MediaMonitor {
        #[serde(rename = "meetID")]
        meet_id: u32,
        mode: MonitorMode,
        /// The agent a whisper is heard by.
        #[serde(rename = "UID", default, skip_serializing_if = "Option::is_none")]
        uid: Option<String>,
        sdp: String,
    },
    /// CloudRoom SendIMmsg: a text to the other members of room `meetID` (this session
    /// is in it), or to the one member `UID`; they get `NotifyIMmsg`.
    SendIMmsg {
        #[serde(rename = "meetID")]
        meet_id: u32,
        text: String,
        #[serde(rename = "UID", default, skip_serializing_if = "Option::is_none")]
        uid: Option<String>,
        /// `text` (absent), `cmd` or `custom`: passed on in the notice.
        #[serde(default, skip_serializing_if = "MsgKind::is_text")]
        kind: MsgKind,
    },
    /// CloudRoom StartUserStatusNotify: from now on, `NotifyUserStatus` for every status
    /// change of every user of the app (agent or supervisor role).
    StartUserStatusNotify,
    /// CloudRoom StopUserStatusNotify.
    StopUserStatusNotify,
    /// CloudRoom GetUserStatus / GetOneUserStatus: every user of the app with a session,
    /// or the one `UID` (agent or supervisor role).
    GetUserStatus {
        #[serde(rename = "UID", default, skip_serializing_if = "Option::is_none")]
        uid: Option<String>,
    },
    /// CloudRoom CreateCloudMixer: record the call in room `meetID` from now on, under
    /// the page's `mixerID` (the members get `CloudMixerStateChanged`).
    CreateCloudMixer {
        #[serde(rename = "meetID")]
        meet_id: u32,
        /// 1 to 64 characters of `A-Z a-z 0-9 - _`, made by the page.
        #[serde(rename = "mixerID")]
        mixer_id: String,
    },
    /// CloudRoom DestroyCloudMixer: stop that recording; its file is kept.
    DestroyCloudMixer {
        #[serde(rename = "mixerID")]
        mixer_id: String,
    },
    /// Lineup: the app's table of agent reasons (the codes for SetDNDStatus).
    GetAgentReasons,
    /// Lineup (supervisor): a `Wallboard` frame now, then one after each change (at
    /// most once a second) until `UnsubscribeWallboard`.
    SubscribeWallboard,
    UnsubscribeWallboard,
    /// Lineup (customer): call me back at `number` ("" or absent: in this page); the
    /// waiting customer keeps its place without a live session until the app's
    /// `callbackExpirySeconds`.
    RequestCallback {
        #[serde(default)]
        number: String,
    },
    /// CloudRoom StartScreenShare: this session's video line `mid` (of its media
    /// connection to room `meetID`, joined already) carries its screen, with the
    /// browser's `sdp` offer that adds the line (or keeps it: a share started again).
    /// One sharer per room. Reply: the answer, as `MediaJoin`; the room is told
    /// `NotifyScreenShareStarted`.
    StartScreenShare {
        #[serde(rename = "meetID")]
        meet_id: u32,
        mid: String,
        sdp: String,
    },
    /// CloudRoom StopScreenShare: this session's share in room `meetID` ends; the room
    /// is told `NotifyScreenShareStopped`.
    StopScreenShare {
        #[serde(rename = "meetID")]
        meet_id: u32,
    },
}
}

/// A server frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerFrame {
    Reply(Reply),
    Notice(Notice),
}

/// The answer to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The request's `seq` (0 when the request had none, e.g. unparsable JSON).
    pub seq: u64,
    /// 0 on success, else an error code (see `codes`).
    pub err: u32,
    /// "ok", or what went wrong in words (naming the field).
    pub msg: String,
    /// The op's result, absent when there is none.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

/// `data` of the Login and Resume replies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct LoginData {
    /// Token for `Resume` after a dropped connection (valid while the session is held).
    pub session: String,
    #[serde(rename = "UID")]
    pub uid: String,
    pub nick_name: String,
    #[serde(rename = "appID")]
    pub app_id: String,
    pub roles: Vec<String>,
    /// Whether an existing session (held, or open elsewhere) was taken over.
    pub resumed: bool,
    /// How long the session is kept after the connection drops.
    pub hold_seconds: u32,
    /// The server pings this often; a silent connection is closed after twice that.
    pub heartbeat_seconds: u32,
    /// How long an agent has to answer an offer (`AutoAssignUser`) before it is withdrawn.
    pub offer_timeout_seconds: u32,
}

/// `data` of the InitQueueDat reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct InitQueueData {
    pub queues: Vec<QueueInfo>,
    pub statuses: Vec<QueStatus>,
}

/// `data` of the RefreshAllQueueStatus reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct StatusesData {
    pub statuses: Vec<QueStatus>,
}

/// `data` of the GetServingQueues reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ServingQueuesData {
    pub queues: Vec<u32>,
}

/// `data` of the GetQueueUsers reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct QueueUsersData {
    #[serde(rename = "queID")]
    pub que_id: u32,
    /// Customers queuing in all.
    pub total: u32,
    pub users: Vec<QueUser>,
}

/// `data` of the GetAgents reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AgentsData {
    pub agents: Vec<AgentInfo>,
}

/// `data` of the GetUserStatus reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct UserStatusData {
    pub users: Vec<UserStatus>,
}

/// `data` of the Call reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct CallData {
    #[serde(rename = "callID")]
    pub call_id: String,
}

/// `data` of the MediaJoin reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MediaJoinData {
    /// The server's SDP answer.
    pub sdp: String,
}

/// `data` of the Ping reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct PongData {
    /// Server time, Unix milliseconds.
    pub time: u64,
}

wire_enum! {
/// A pushed notice; `name` is the CloudRoom callback it feeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "data")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Notice / NoticeName {
    QueueStatusChanged(QueStatus),
    QueuingInfoChanged(QueuingInfo),
    AutoAssignUser(QueUser),
    CancelAssignUser {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
        /// timeout | customer_left | customer_offline | agent_offline | service_stopped |
        /// capacity_lowered | forwarded
        reason: String,
    },
    UserEnter {
        #[serde(rename = "queID")]
        que_id: u32,
        user: QueUser,
    },
    UserLeave {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "usrID")]
        usr_id: String,
        /// 1 when the customer left because an agent took it, else 0.
        #[serde(rename = "inService")]
        in_service: u8,
    },
    /// Lineup: a service ended.
    ServiceFinished {
        #[serde(rename = "queID")]
        que_id: u32,
        #[serde(rename = "agentID")]
        agent_id: String,
        #[serde(rename = "usrID")]
        usr_id: String,
        /// finished | customer_left | agent_left | call_ended
        reason: String,
    },
    /// Lineup: the customer's queuing ended without it asking.
    QueuingEnded {
        #[serde(rename = "queID")]
        que_id: u32,
        /// timeout | cancel (queue deleted)
        reason: String,
    },
    /// Lineup: the agent no longer serves a queue (it was deleted).
    ServiceStopped {
        #[serde(rename = "queID")]
        que_id: u32,
    },
    /// Lineup: a queue was created or changed.
    QueueInfoChanged(QueueInfo),
    /// Lineup: a queue was deleted.
    QueueRemoved {
        #[serde(rename = "queID")]
        que_id: u32,
    },
    /// CloudRoom NotifyCallIn(callID, meetObj, callerID, usrExtDat).
    NotifyCallIn {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "meetObj")]
        meet_obj: MeetInfo,
        #[serde(rename = "callerID")]
        caller_id: String,
        #[serde(rename = "usrExtDat")]
        usr_ext_dat: String,
    },
    /// CloudRoom NotifyCallAccepted(callID, meetObj, usrExtDat).
    NotifyCallAccepted {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "meetObj")]
        meet_obj: MeetInfo,
        #[serde(rename = "usrExtDat")]
        usr_ext_dat: String,
    },
    /// CloudRoom NotifyCallRejected(callID, sdkErr, usrExtDat): 606 refused, 604 no answer.
    NotifyCallRejected {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "sdkErr")]
        sdk_err: u32,
        #[serde(rename = "usrExtDat")]
        usr_ext_dat: String,
    },
    /// CloudRoom NotifyCallHungup(callID, usrExtDat).
    NotifyCallHungup {
        #[serde(rename = "callID")]
        call_id: String,
        #[serde(rename = "usrExtDat")]
        usr_ext_dat: String,
    },
    /// Lineup: the peer put the call on hold.
    NotifyCallHold {
        #[serde(rename = "callID")]
        call_id: String,
    },
    /// Lineup: the peer resumed the call.
    NotifyCallResume {
        #[serde(rename = "callID")]
        call_id: String,
    },
    /// CloudRoom MeetingStopped: the room this session is in was destroyed by its creator.
    MeetingStopped {
        #[serde(rename = "meetID")]
        meet_id: u32,
    },
    /// CloudRoom UserEnterMeeting: someone entered a room this session is in.
    UserEnterMeeting {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "UID")]
        uid: String,
        #[serde(rename = "nickName")]
        nick_name: String,
    },
    /// CloudRoom UserLeftMeeting: someone left a room this session is in.
    UserLeftMeeting {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "UID")]
        uid: String,
        #[serde(rename = "nickName")]
        nick_name: String,
    },
    /// A call event with asterCC's fields (to both parties).
    NotifyCallEvent(CallEvent),
    /// The session is lost (`sdkErr` 10: the same user logged in elsewhere); the
    /// server closes the connection after it.
    LineOff {
        #[serde(rename = "sdkErr")]
        sdk_err: u32,
    },
    /// Lineup media: the server's SDP offer (another member's track to receive, or one
    /// to stop); answer with `MediaAnswer`.
    MediaOffer {
        #[serde(rename = "meetID")]
        meet_id: u32,
        sdp: String,
    },
    /// Lineup media: a member's track in the room opened at the server or closed
    /// (CloudRoom's AudioStatusChanged / VideoStatusChanged: AOPENING → AOPEN).
    MediaTrack {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "UID")]
        uid: String,
        /// audio | video | screen (a shared screen: its own stream id)
        kind: TrackKind,
        state: TrackState,
        /// The stream id this member's tracks carry for the others (`MediaStream.id` of
        /// the browser's track event): UIDs may hold any character, stream ids do not.
        stream: String,
    },
    /// Lineup media: this session's media connection is gone for good (ICE failed, or
    /// it was dropped); join again with `MediaJoin` (CloudRoom's MeetingDropped).
    MediaLost {
        #[serde(rename = "meetID")]
        meet_id: u32,
    },
    /// Lineup media: send your video at no more than `maxBitrate` bits per second: the
    /// narrowest link to the members receiving it, as the server estimates them (the
    /// SDK sets its video sender's `maxBitrate`, below the page's own `SetVideoCfg`).
    MediaBitrate {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "maxBitrate")]
        max_bitrate: u64,
    },
    /// CloudRoom NotifyScreenShareStarted: member `UID` of room `meetID` shares its
    /// screen (to every member with media in the room, the sharer too, and to one whose
    /// media joins while the share runs); its track comes as `MediaTrack` kind `screen`.
    NotifyScreenShareStarted {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "UID")]
        uid: String,
    },
    /// CloudRoom NotifyScreenShareStopped: `UID`'s share in room `meetID` ended (it
    /// stopped, or its media left).
    NotifyScreenShareStopped {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "UID")]
        uid: String,
    },
    /// CloudRoom NotifyIMmsg: a member of room `meetID` sent a text (`SendIMmsg`).
    NotifyIMmsg {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "fromUserID")]
        from_user_id: String,
        text: String,
        /// When the server took it: Unix seconds.
        #[serde(rename = "sendTime")]
        send_time: u64,
        /// The sender's kind (absent: a text).
        #[serde(default, skip_serializing_if = "MsgKind::is_text")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<MsgKind>", optional))]
        kind: MsgKind,
    },
    /// CloudRoom NotifyUserStatus: a user of the app changed status (to sessions that
    /// sent `StartUserStatusNotify`).
    NotifyUserStatus(UserStatus),
    /// CloudRoom CloudMixerStateChanged: a recording of room `meetID` changed state
    /// (2 running, 4 stopping, 0 ended), to the room's members and its starter.
    CloudMixerStateChanged {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "mixerID")]
        mixer_id: String,
        /// The recording's id in the REST API (`/recordings/{id}`).
        #[serde(rename = "recordingID")]
        recording_id: String,
        /// 0 none (ended), 2 running, 4 stopping.
        state: u8,
        /// Who made the change; "" when the server did (the call ended, or the app
        /// records every call).
        #[serde(rename = "operUserID")]
        oper_user_id: String,
    },
    /// CloudRoom CloudMixerOutputInfoChanged: the recording's file is finished (state 2)
    /// or could not be kept (state 3).
    CloudMixerOutputInfoChanged {
        #[serde(rename = "meetID")]
        meet_id: u32,
        #[serde(rename = "mixerID")]
        mixer_id: String,
        #[serde(rename = "recordingID")]
        recording_id: String,
        /// 2 finished, 3 failed.
        state: u8,
        /// The file's REST path (state 2).
        #[serde(rename = "svrFilePathName", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        svr_file_path_name: Option<String>,
        /// Unix milliseconds at which recording began (state 2).
        #[serde(rename = "startTime", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        start_time: Option<u64>,
        /// Milliseconds recorded (state 2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        duration: Option<u64>,
        /// Bytes (state 2).
        #[serde(rename = "fileSize", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        file_size: Option<u64>,
        /// Why no file was kept (state 3).
        #[serde(rename = "errDesc", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        err_desc: Option<String>,
    },
    /// Lineup: an agent's state or reason changed (to the agent and the app's
    /// supervisors).
    AgentStatusChanged(AgentStatusChange),
    /// Lineup: the app's wallboard (to supervisors that sent `SubscribeWallboard`).
    Wallboard(WallboardFrame),
    /// Lineup: the waiting customer's requirement stepped down (skills-based routing):
    /// step 1 lower levels, step 2 any agent of the queue.
    RequirementRelaxed {
        #[serde(rename = "queID")]
        que_id: u32,
        step: u8,
    },
}
}

/// Helper for typed reply data.
pub fn reply_ok<T: Serialize>(seq: u64, data: &T) -> Reply {
    Reply { seq, err: 0, msg: "ok".into(), data: serde_json::to_value(data).unwrap_or(Value::Null) }
}

impl Reply {
    /// A reply without data.
    pub fn ok(seq: u64) -> Reply {
        Reply { seq, err: 0, msg: "ok".into(), data: Value::Null }
    }

    /// An error reply.
    pub fn error(seq: u64, err: u32, msg: impl Into<String>) -> Reply {
        Reply { seq, err, msg: msg.into(), data: Value::Null }
    }
}

/// `QueueStatistics` are carried as the reply data of GetQueueStatistics.
pub type QueueStatisticsData = QueueStatistics;
