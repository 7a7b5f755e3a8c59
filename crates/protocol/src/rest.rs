//! REST bodies under `/api/v1`.
//!
//! Login and tokens answer with `err`/`msg` (the SDK's error codes); queue
//! administration mirrors CloudRoom's Web API (`RspCode`, `RspDesc`, `Data`, PascalCase
//! fields).

use serde::{Deserialize, Serialize};

/// `POST /api/v1/login`: CloudRoom `Login` (appID + md5_appSecret) or `LoginByToken`
/// (token).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[serde(rename = "appID", default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Lower-case hex MD5 of the app secret.
    #[serde(rename = "md5_appSecret", default, skip_serializing_if = "Option::is_none")]
    pub md5_app_secret: Option<String>,
    /// A token minted by `POST /api/v1/apps/{app}/tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The user id; with a token it may be omitted (else it must match the token's).
    #[serde(rename = "UID", default)]
    pub uid: String,
    #[serde(rename = "nickName", default)]
    pub nick_name: String,
    /// Accepted for CloudRoom compatibility; not used.
    #[serde(rename = "userAuthCode", default, skip_serializing_if = "Option::is_none")]
    pub user_auth_code: Option<String>,
}

/// The answer to a login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub err: u32,
    pub msg: String,
    /// Present on success: send it as `{"op":"Login","ticket":...}` on `/ws` within
    /// `ticketSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_seconds: Option<u32>,
    #[serde(rename = "UID", default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(rename = "appID", default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The WebSocket path on this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_path: Option<String>,
    /// For token logins: when the token expires (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expire_at: Option<u64>,
}

impl LoginResponse {
    /// A refused login: only `err` and `msg`.
    pub fn error(err: u32, msg: impl Into<String>) -> Self {
        LoginResponse {
            err,
            msg: msg.into(),
            ticket: None,
            ticket_seconds: None,
            uid: None,
            nick_name: None,
            app_id: None,
            roles: Vec::new(),
            ws_path: None,
            token_expire_at: None,
        }
    }
}

impl TokenResponse {
    /// A refused token request: only `err` and `msg`.
    pub fn error(err: u32, msg: impl Into<String>) -> Self {
        TokenResponse { err, msg: msg.into(), token: None, expire_at: None }
    }
}

/// `POST /api/v1/apps/{app}/tokens`: a business backend mints a token for a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    #[serde(rename = "UID")]
    pub uid: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    #[serde(default)]
    pub nick_name: String,
    /// Any of "agent", "customer", "supervisor".
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub roles: Vec<String>,
    /// Lifetime in seconds (1 – 2,592,000); default 3600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 2592000))]
    pub expire_seconds: Option<u64>,
}

/// The minted token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub err: u32,
    pub msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<u64>,
}

/// CloudRoom Web API envelope: `RspCode` 0 ok, 1 not permitted, 2 no such app,
/// 3 wrong secret, 4 bad parameter (`RspDesc` names it), 5 unknown, 6 name exists or
/// no such queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminResponse<T> {
    #[serde(rename = "RspCode")]
    pub rsp_code: u32,
    #[serde(rename = "RspDesc")]
    pub rsp_desc: String,
    #[serde(rename = "Data", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// RspCode values.
pub mod rsp {
    pub const OK: u32 = 0;
    pub const NO_PERMISSION: u32 = 1;
    pub const NO_ACCOUNT: u32 = 2;
    pub const WRONG_SECRET: u32 = 3;
    pub const BAD_PARAMETER: u32 = 4;
    pub const UNKNOWN: u32 = 5;
    pub const NAME_EXISTS_OR_NOT_FOUND: u32 = 6;
    /// Lineup: too many failed credential checks from this address (HTTP 429).
    pub const TOO_MANY_REQUESTS: u32 = 7;
}

/// `POST /api/v1/apps/{app}/queues` (CloudRoom queue/add) and the fields of
/// `PUT .../queues/{id}` (queue/modify; every field optional there).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueFields {
    /// add: required, at most 64 characters.
    #[serde(rename = "QueueName", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub queue_name: Option<String>,
    /// modify: the new name.
    #[serde(rename = "NewQueueName", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub new_queue_name: Option<String>,
    /// 1–10, smaller is higher; default 10.
    #[serde(rename = "Priority", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    pub priority: Option<u8>,
    /// At most 200 characters.
    #[serde(rename = "QueDesc", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub que_desc: Option<String>,
    /// Lineup: a customer waiting longer leaves (timeout); 0 = no limit.
    #[serde(rename = "MaxWaitSeconds", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 604800))]
    pub max_wait_seconds: Option<u32>,
    /// Lineup: StartQueuing is refused when this many queue; 0 = no limit.
    #[serde(rename = "MaxLength", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100000000))]
    pub max_length: Option<u32>,
    /// Lineup: an agent's wrap-up after a service of this queue, seconds.
    #[serde(rename = "WrapUpSeconds", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3600))]
    pub wrap_up_seconds: Option<u32>,
    /// Lineup: after this many seconds in the queue a customer moves to
    /// `OverflowQueueID`, keeping its place in time; 0 turns the overflow off.
    #[serde(rename = "OverflowSeconds", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 86400))]
    pub overflow_seconds: Option<u32>,
    /// Lineup: the queue a customer overflows to (0: none).
    #[serde(rename = "OverflowQueueID", default, skip_serializing_if = "Option::is_none")]
    pub overflow_queue_id: Option<u32>,
    /// Lineup: a waiting customer's priority rises by one level for every this many
    /// seconds waited (0: no aging, CloudRoom's order).
    #[serde(rename = "AgingSeconds", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 86400))]
    pub aging_seconds: Option<u32>,
    /// Lineup: which agents may take this queue's customers, an expression over the
    /// app's skills and the customer's attributes (PROTOCOL.md §12.2); "" removes it.
    #[serde(rename = "Requirement", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub requirement: Option<String>,
    /// Lineup: the requirement steps down after every this many seconds a customer
    /// waits (step 1 lower levels, step 2 any agent); 0 never.
    #[serde(rename = "RelaxSeconds", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 86400))]
    pub relax_seconds: Option<u32>,
}

/// A queue as administration sees it (CloudRoom queue/query `queueList` entries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueRecord {
    #[serde(rename = "QueueID")]
    pub queue_id: u32,
    #[serde(rename = "QueueName")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub queue_name: String,
    #[serde(rename = "Priority")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    pub priority: u8,
    #[serde(rename = "QueDesc")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub que_desc: String,
    #[serde(rename = "MaxWaitSeconds")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 604800))]
    pub max_wait_seconds: u32,
    #[serde(rename = "MaxLength")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100000000))]
    pub max_length: u32,
    #[serde(rename = "WrapUpSeconds")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3600))]
    pub wrap_up_seconds: u32,
    /// "YYYY-MM-DD HH:MM:SS" UTC.
    #[serde(rename = "CreateTime")]
    pub create_time: String,
    #[serde(rename = "UpdateTime")]
    pub update_time: String,
    #[serde(rename = "AgentNum")]
    pub agent_num: u32,
    #[serde(rename = "SrvNum")]
    pub srv_num: u32,
    #[serde(rename = "WaitNum")]
    pub wait_num: u32,
    /// Lineup: the overflow (absent when the queue has none).
    #[serde(rename = "OverflowSeconds", default, skip_serializing_if = "Option::is_none")]
    pub overflow_seconds: Option<u32>,
    #[serde(rename = "OverflowQueueID", default, skip_serializing_if = "Option::is_none")]
    pub overflow_queue_id: Option<u32>,
    /// Lineup: aging (absent when off).
    #[serde(rename = "AgingSeconds", default, skip_serializing_if = "Option::is_none")]
    pub aging_seconds: Option<u32>,
    /// Lineup: the requirement and its relaxation (absent when the queue has none).
    #[serde(rename = "Requirement", default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    #[serde(rename = "RelaxSeconds", default, skip_serializing_if = "Option::is_none")]
    pub relax_seconds: Option<u32>,
}

/// `GET/PUT /api/v1/apps/{app}/skills`: the app's skills (skills-based routing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillCatalogBody {
    /// At most 100 names: one or two parts joined by '.', each a letter then letters,
    /// digits, `_` or `-` (e.g. `language.cantonese`, `vip`).
    #[serde(rename = "Skills")]
    pub skills: Vec<String>,
}

/// `GET/PUT /api/v1/apps/{app}/agents/{agent}/skills`: an agent's skills with levels
/// 0–10 (by user id); PUT replaces them all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSkillsBody {
    #[serde(rename = "Skills")]
    pub skills: std::collections::BTreeMap<String, u8>,
}

/// `GET /api/v1/apps/{app}/queues` (queue/query) result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueQueryData {
    #[serde(rename = "queueCount")]
    pub queue_count: u32,
    #[serde(rename = "queueList")]
    pub queue_list: Vec<QueueRecord>,
}

/// `GET/PUT /api/v1/apps/{app}/settings`: the app's timing (PUT: any subset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppSettingsBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 86400))]
    pub hold_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3600))]
    pub offer_timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 60000))]
    pub notice_interval_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 86400))]
    pub service_level_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3600))]
    pub reoffer_delay_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3600))]
    pub call_timeout_seconds: Option<u32>,
    /// Whom a customer-only session may call: `serving_agent` (default) or `anyone`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(serving_agent|anyone)$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_calls: Option<String>,
    /// Whether agents get UserEnter / UserLeave for the queues they serve (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_user_notices: Option<bool>,
    /// Lineup: whether the server records each service call's audio and video (WebM,
    /// `GET .../recordings`; default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_calls: Option<bool>,
    /// Lineup: whether a call's agent may start and stop its recording (CloudRoom's
    /// CreateCloudMixer / DestroyCloudMixer; default false). Has no effect while
    /// `recordCalls` records every call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_on_demand: Option<bool>,
    /// Lineup: offers in a row that time out before an agent is paused (reason 1000,
    /// "no answer"; 0: never, the default; at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_missed_offers: Option<u16>,
    /// Lineup: the service level the wallboard's "agents needed" (Erlang C) is for: this
    /// percentage answered within `serviceLevelSeconds` (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 99))]
    pub service_level_target: Option<u8>,
    /// Lineup: the app's local time minus UTC in minutes, a multiple of 15 (default 0):
    /// where the wallboard's "today" starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -720, maximum = 840, multiple_of = 15))]
    pub utc_offset_minutes: Option<i16>,
    /// Lineup: how long a waiting customer's callback (RequestCallback) keeps its place,
    /// seconds (default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 604800))]
    pub callback_expiry_seconds: Option<u32>,
}

/// `GET/PUT /api/v1/apps/{app}/reasons`: the app's table of agent reasons (also the
/// `data` of the WebSocket's GetAgentReasons reply).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AgentReasonsBody {
    /// At most 64; an empty list removes the table (any DNDStatus is then accepted).
    pub reasons: Vec<AgentReasonBody>,
}

/// One agent reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AgentReasonBody {
    /// The code agents give to SetDNDStatus: 1 to 9999, not 1000.
    #[serde(rename = "DNDType")]
    pub dnd_type: u32,
    /// 1 to 32 characters of plain text.
    pub label: String,
    /// Whether an agent in this state may still take customers with ReqAssignUser
    /// (default false; always true for 1, CloudRoom's manual mode).
    #[serde(rename = "manualPulls", default)]
    #[cfg_attr(feature = "typescript", ts(optional, as = "Option<bool>"))]
    pub manual_pulls: bool,
}

/// `POST /api/v1/apps/{app}/queues/{id}/forward`: moves a waiting customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForwardRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    #[serde(rename = "usrID")]
    pub usr_id: String,
    #[serde(rename = "toQueID")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub to_que_id: u32,
}

/// `POST /api/v1/apps/{app}/queues/{id}/forward` result: who moved, from where, to where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForwardData {
    #[serde(rename = "usrID")]
    pub usr_id: String,
    #[serde(rename = "fromQueID")]
    pub from_que_id: u32,
    #[serde(rename = "toQueID")]
    pub to_que_id: u32,
}

/// `POST /api/v1/apps` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppCreated {
    #[serde(rename = "appID")]
    pub app_id: String,
}

/// `POST /api/v1/apps` (server admin key): create an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppCreateRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$"))]
    #[serde(rename = "appID")]
    pub app_id: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
    #[serde(rename = "appSecret")]
    pub app_secret: String,
}

/// Parses a REST body into `T`; the error names the wrong field and its rule
/// (`bad JSON body: MaxLength: must be …, not -1`), echoing little of the input.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.is_empty() {
        return Err("the request body is empty: send a JSON object".into());
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))?;
    serde_json::from_value::<T>(value.clone()).map_err(|e| {
        let what = crate::fields::field_error(&value, &e, |v| serde_json::from_value::<T>(v.clone()).map(|_| ()));
        format!("bad JSON body: {what}")
    })
}
