//! The objects pages receive, with exactly CloudRoom's field names, plus Lineup's own
//! (camelCase).

use serde::{Deserialize, Serialize};

/// CloudRoom `QueueInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct QueueInfo {
    #[serde(rename = "queID")]
    pub que_id: u32,
    pub name: String,
    pub desc: String,
    /// 1–10, smaller is higher.
    pub prio: u8,
}

/// CloudRoom `QueStatus`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct QueStatus {
    #[serde(rename = "queID")]
    pub que_id: u32,
    pub agent_num: u32,
    pub wait_num: u32,
    pub srv_num: u32,
}

/// CloudRoom `QueuingInfo`: `queID` is -1 when not queuing, -2 when being served;
/// `position` counts the customers ahead (0 = next); `queuingTime` in seconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct QueuingInfo {
    #[serde(rename = "queID")]
    pub que_id: i64,
    pub position: u32,
    #[serde(rename = "queuingTime")]
    pub queuing_time: u64,
    /// Lineup: how much longer the customer will likely wait, in seconds (-1: not
    /// known yet); present while queuing. See PROTOCOL.md, estimated wait.
    #[serde(rename = "estimatedWaitTime", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub estimated_wait_time: Option<i64>,
}

impl QueuingInfo {
    /// `queID` when not queuing.
    pub const NOT_QUEUING: i64 = -1;
    /// `queID` when being served.
    pub const IN_SERVICE: i64 = -2;
}

/// CloudRoom `QueUser`: a customer as agents see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct QueUser {
    #[serde(rename = "queID")]
    pub que_id: u32,
    #[serde(rename = "usrID")]
    pub usr_id: String,
    pub name: String,
    /// Seconds waited.
    #[serde(rename = "queuingTime")]
    pub queuing_time: u64,
    #[serde(rename = "usrExtDat")]
    pub usr_ext_dat: String,
    /// Lineup: the customer asked to be called back at this number ("": in its page);
    /// absent when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub callback: Option<String>,
    /// Lineup: the attributes the customer brought when it queued (skills-based
    /// routing); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub attributes: Option<Attributes>,
}

/// Lineup: a customer's attributes (`StartQueuing`'s `attributes`): names to text,
/// integers or true/false.
pub type Attributes = std::collections::BTreeMap<String, AttrValue>;

/// One attribute's value: text, an integer or true/false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum AttrValue {
    Flag(bool),
    Number(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for AttrValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AttrValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text, an integer or true/false")
            }
            fn visit_bool<E>(self, v: bool) -> Result<AttrValue, E> {
                Ok(AttrValue::Flag(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<AttrValue, E> {
                Ok(AttrValue::Number(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AttrValue, E> {
                i64::try_from(v).map(AttrValue::Number).map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_str<E>(self, v: &str) -> Result<AttrValue, E> {
                Ok(AttrValue::Text(v.to_owned()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Lineup: statistics of one queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct QueueStatistics {
    #[serde(rename = "queID")]
    pub que_id: u32,
    pub entered: u64,
    pub served: u64,
    pub abandoned: u64,
    pub timed_out: u64,
    pub forwarded: u64,
    pub avg_wait_seconds: f64,
    pub max_wait_seconds: u64,
    pub longest_waiting_seconds: u64,
    /// Share of served customers taken within `serviceLevelSeconds` (0–1).
    pub service_level: f64,
    pub service_level_seconds: u32,
    pub waiting: u32,
    pub in_service: u32,
    pub agents_logged_in: u32,
    pub agents_available: u32,
    pub agents_busy: u32,
}

/// Lineup: an agent as a supervisor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AgentInfo {
    #[serde(rename = "UID")]
    pub uid: String,
    pub nick_name: String,
    pub online: bool,
    /// 0 automatic offers, 1 do-not-disturb (manual).
    #[serde(rename = "DNDStatus")]
    pub dnd_status: u8,
    pub capacity: u16,
    pub serving: Vec<ServedQueue>,
    /// Customers being served now.
    pub customers: Vec<ServedCustomer>,
    pub pending_offers: u32,
    /// Unix milliseconds at which wrap-up ends, if wrapping up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_until: Option<u64>,
    pub served_total: u64,
    pub service_seconds_total: u64,
    /// Lineup: `idle`, `busy`, `wrap_up`, `not_ready`, `offline` or `logged_out`
    /// (serves no queue).
    pub state: String,
    /// Lineup: the agent's reason (`SetDNDStatus`): 0 available, 1 CloudRoom's manual
    /// mode, 1000 paused after missed offers, else the app's reason.
    #[serde(rename = "DNDType")]
    pub dnd_type: u32,
    /// The reason's label ("" for none).
    pub reason_label: String,
    /// Unix milliseconds since which the agent is in this state.
    pub state_since: u64,
    /// Offers in a row that timed out.
    pub missed_offers: u16,
    /// Seconds in each state since login, the current one included.
    pub state_seconds: StateSeconds,
    /// Seconds not ready, per reason.
    pub reason_seconds: Vec<ReasonSeconds>,
}

/// Seconds an agent spent in each state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct StateSeconds {
    pub idle: u64,
    pub busy: u64,
    pub wrap_up: u64,
    pub not_ready: u64,
    pub offline: u64,
}

/// Seconds an agent spent not ready for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ReasonSeconds {
    #[serde(rename = "DNDType")]
    pub dnd_type: u32,
    pub seconds: u64,
}

/// Lineup `Wallboard`: an app's queues and agents as a supervisor's wallboard shows
/// them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct WallboardFrame {
    /// Unix milliseconds at which the figures were taken.
    pub time: u64,
    /// The first frame after SubscribeWallboard: `agents` lists every agent. Later frames
    /// list none (each agent's change comes as AgentStatusChanged).
    pub full: bool,
    pub queues: Vec<WallboardQueue>,
    pub agents: Vec<AgentStatusChange>,
}

/// One queue on the wallboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct WallboardQueue {
    #[serde(rename = "queID")]
    pub que_id: u32,
    pub waiting: u32,
    pub longest_wait_seconds: u64,
    /// Agents serving the queue, by state.
    pub agents: WallboardAgents,
    pub service_level: f64,
    pub served: u64,
    pub abandoned: u64,
    pub avg_wait_seconds: f64,
    /// Answer + handle + wrap-up time, seconds (absent until a service of the queue ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub avg_handle_seconds: Option<f64>,
    /// Today's services' average duration, answer to end (absent until one ended today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub avg_handle_seconds_today: Option<f64>,
    /// Customers joining per hour (absent until two have joined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub arrivals_per_hour: Option<f64>,
    /// Agents the load needs for 80 % answered within the app's serviceLevelSeconds
    /// (Erlang C; absent until the arrival rate and the handle time are known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub agents_needed: Option<u32>,
    pub agents_available: u32,
    /// What a customer joining now would be told, seconds (-1: not known yet).
    #[serde(rename = "estimatedWaitTime")]
    pub estimated_wait_time: i64,
}

/// Agents of a queue by state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct WallboardAgents {
    pub idle: u32,
    pub busy: u32,
    pub wrap_up: u32,
    pub not_ready: u32,
    pub offline: u32,
}

/// Lineup `AgentStatusChanged`: an agent's state or reason changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AgentStatusChange {
    #[serde(rename = "UID")]
    pub uid: String,
    /// `idle`, `busy`, `wrap_up`, `not_ready`, `offline` or `logged_out`.
    pub state: String,
    /// 0 available, else the reason (`SetDNDStatus`; 1000: paused after missed offers).
    #[serde(rename = "DNDType")]
    pub dnd_type: u32,
    /// The reason's label ("" for none).
    pub label: String,
    /// Unix milliseconds since which the agent is in this state.
    pub since: u64,
    /// Offers in a row that timed out.
    #[serde(rename = "missedOffers")]
    pub missed_offers: u16,
    /// Customers it took today (the app's local day, `utcOffsetMinutes`).
    #[serde(rename = "servedToday")]
    pub served_today: u64,
}

/// CloudRoom `CRVideo_UserStatus`: a user of the app and its status, in the
/// `NotifyUserStatus` notice and the `GetUserStatus` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct UserStatus {
    #[serde(rename = "userID")]
    pub user_id: String,
    /// 0 offline (no session, or its connection dropped), 1 online and idle, 2 busy
    /// (serving or being served, in wrap-up, or a ringing call), 3 in a room.
    #[serde(rename = "userStatus")]
    pub user_status: u8,
    /// 0 when do-not-disturb is off, else the value given to `SetDNDStatus`.
    #[serde(rename = "DNDType")]
    pub dnd_type: u32,
}

/// A queue an agent serves, with its priority there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ServedQueue {
    #[serde(rename = "queID")]
    pub que_id: u32,
    pub priority: u16,
}

/// A customer an agent is serving.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ServedCustomer {
    #[serde(rename = "queID")]
    pub que_id: u32,
    #[serde(rename = "usrID")]
    pub usr_id: String,
    /// Lineup: the room of the call with this customer, once answered (a supervisor
    /// monitors it with `MediaMonitor`).
    #[serde(rename = "meetID", default, skip_serializing_if = "Option::is_none")]
    pub meet_id: Option<u32>,
}

/// CloudRoom `MeetInfoObj`: a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MeetInfo {
    #[serde(rename = "ID")]
    pub id: u32,
    pub pswd: String,
    pub subject: String,
    /// The creator's user id.
    pub creator: String,
    #[serde(rename = "memberCount")]
    pub member_count: u32,
    /// Unix seconds.
    #[serde(rename = "startTime")]
    pub start_time: u64,
    /// Lineup, in the EnterMeeting reply only: every member now, this session included,
    /// in the order they entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub members: Option<Vec<RoomMember>>,
}

/// A member of a room (the EnterMeeting reply's `members`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct RoomMember {
    #[serde(rename = "UID")]
    pub uid: String,
    #[serde(rename = "nickName")]
    pub nick_name: String,
}

/// CloudRoom `SessionInfo`: the call this session is in (empty strings and zeros when none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct SessionInfo {
    #[serde(rename = "callID")]
    pub call_id: String,
    #[serde(rename = "peerID")]
    pub peer_id: String,
    #[serde(rename = "peerName")]
    pub peer_name: String,
    /// 1 once the call was answered.
    #[serde(rename = "bCallAccepted")]
    pub b_call_accepted: u8,
    #[serde(rename = "meetingID")]
    pub meeting_id: u32,
    #[serde(rename = "meetingPswd")]
    pub meeting_pswd: String,
    /// Seconds since the call was answered.
    pub duration: u64,
}

/// A call event with asterCC's field names (seed 004).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct CallEvent {
    /// AGENT, CALLER, CALLEE or CONVERSATION.
    pub source: String,
    /// incoming, ringing, answer, hangup, onhold, resume or join.
    pub event: String,
    /// The conversation (the call id), unique in the system.
    pub sessionid: String,
    /// Strictly increasing per app: drop events older than the newest seen.
    pub eventid: u64,
    /// "YYYY-MM-DD HH:MM:SS" UTC.
    #[serde(rename = "eventTime")]
    pub event_time: String,
    /// The customer's user id.
    pub calleridnum: String,
    /// The user id of the party the event is about.
    pub activenum: String,
    /// "dialout" (the agent called) or "dialin" (the customer called).
    pub from: String,
    #[serde(rename = "queID", default, skip_serializing_if = "Option::is_none")]
    pub que_id: Option<u32>,
    #[serde(rename = "agentID", default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The same event as asterCC's urlencoded `message` string.
    pub message: String,
}

/// What an in-room message is to the CloudRoom surface: a text (`SendIMmsg`, the
/// default), a command to one member (`SendCmd` → `NotifyCmdData`) or a custom message
/// to the room (`SendMeetingCustomMsg` → `NotifyMeetingCustomMsg`). The server passes it on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum MsgKind {
    #[default]
    Text,
    Cmd,
    Custom,
}

impl MsgKind {
    /// A plain text (left out of frames).
    pub fn is_text(&self) -> bool {
        *self == MsgKind::Text
    }
}

/// Lineup media: what a track carries (`MediaMute.kind`, `MediaTrack.kind`): a member's
/// microphone, camera, or shared screen. The one definition: the SFU, the server and the
/// SDK use this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TrackKind {
    Audio,
    Video,
    Screen,
}

impl TrackKind {
    /// The wire name: `audio`, `video` or `screen`.
    pub fn name(self) -> &'static str {
        match self {
            TrackKind::Audio => "audio",
            TrackKind::Video => "video",
            TrackKind::Screen => "screen",
        }
    }
}

/// Lineup media: a track open at the server or closed (`MediaTrack.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TrackState {
    Open,
    Closed,
}

/// Lineup (supervisor): how `MediaMonitor` joins a call. A mode not listed reads as
/// `Unknown`, which the server refuses with 5 naming the modes (as a page's typo
/// deserves, rather than a malformed frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum MonitorMode {
    /// Hears and sees both parties, sends nothing.
    Monitor,
    /// Hears both; speaks to the agent `UID` only.
    Whisper,
    /// Takes part fully.
    Barge,
    #[serde(other)]
    #[cfg_attr(feature = "typescript", ts(skip))]
    Unknown,
}
