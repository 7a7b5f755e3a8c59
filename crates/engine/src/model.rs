//! What the engine shows of queues, customers and agents: definitions, settings and the
//! read-only views handed to sessions (CloudRoom's QueueInfo, QueStatus, QueuingInfo,
//! QueUser) and to statistics.

use std::fmt;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::error::AcdError;
use crate::ids::{Name, QueueId};
use crate::time::Time;

/// What a session may do. CloudRoom-style logins (app secret) get all roles; tokens
/// carry the roles the business backend granted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Roles(u8);

/// One role of a session.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Serves queues: StartService, accept/reject offers, ReqAssignUser, FinishService.
    Agent,
    /// Waits in queues: StartQueuing, StopQueuing.
    Customer,
    /// Watches every queue and its statistics.
    Supervisor,
}

impl Role {
    fn bit(self) -> u8 {
        match self {
            Role::Agent => 1,
            Role::Customer => 2,
            Role::Supervisor => 4,
        }
    }

    /// The role's wire name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Supervisor => "supervisor",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "agent" => Some(Role::Agent),
            "customer" => Some(Role::Customer),
            "supervisor" => Some(Role::Supervisor),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Roles {
    /// No role at all.
    pub const NONE: Roles = Roles(0);
    /// Agent, customer and supervisor.
    pub const ALL: Roles = Roles(7);

    /// These roles plus `role`.
    pub fn with(self, role: Role) -> Roles {
        Roles(self.0 | role.bit())
    }

    /// Whether `role` is among these.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The roles one by one.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        [Role::Agent, Role::Customer, Role::Supervisor].into_iter().filter(move |r| self.has(*r))
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().fold(Roles::NONE, Roles::with)
    }
}

/// Per-app timing settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSettings {
    /// How long a dropped session keeps its place (seconds). Default 60.
    pub hold_s: u32,
    /// How long an agent has to accept or reject an offer (seconds). Default 30.
    pub offer_timeout_s: u32,
    /// A customer gets at most one position update per this interval (ms). Default 1000.
    pub notice_interval_ms: u32,
    /// Service level threshold: served within this many seconds counts (default 20).
    pub service_level_s: u32,
    /// After an agent rejects (or lets time out) a customer, that customer is not offered
    /// to the same agent again for this many seconds. Default 10.
    pub reoffer_delay_s: u32,
    /// A call not answered within this many seconds ends with 604 ERR_NOANSWER.
    /// Default 30.
    pub call_timeout_s: u32,
    /// Whom a session with only the customer role may `Call`. Default: only the
    /// agent serving it.
    pub customer_calls: CustomerCalls,
    /// Whether agents get UserEnter / UserLeave for each customer of the queues they
    /// serve (CloudRoom's default). Off for apps whose agent pages do not show the
    /// waiting list: most of the notices of a busy queue.
    pub queue_user_notices: bool,
}

/// Whom a customer-only session may call (app setting).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerCalls {
    /// Only the agent serving it (otherwise err 30, whether the callee exists or not).
    #[default]
    ServingAgent,
    /// Any user of the app.
    Anyone,
}

impl CustomerCalls {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            CustomerCalls::ServingAgent => "serving_agent",
            CustomerCalls::Anyone => "anyone",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<CustomerCalls> {
        match name {
            "serving_agent" => Some(CustomerCalls::ServingAgent),
            "anyone" => Some(CustomerCalls::Anyone),
            _ => None,
        }
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            hold_s: 60,
            offer_timeout_s: 30,
            notice_interval_ms: 1000,
            service_level_s: 20,
            reoffer_delay_s: 10,
            call_timeout_s: 30,
            customer_calls: CustomerCalls::ServingAgent,
            queue_user_notices: true,
        }
    }
}

impl AppSettings {
    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), AcdError> {
        range("hold_s", self.hold_s, 0, 86_400)?;
        range("offer_timeout_s", self.offer_timeout_s, 1, 3_600)?;
        range("notice_interval_ms", self.notice_interval_ms, 0, 60_000)?;
        range("service_level_s", self.service_level_s, 1, 86_400)?;
        range("reoffer_delay_s", self.reoffer_delay_s, 0, 3_600)?;
        range("call_timeout_s", self.call_timeout_s, 1, 3_600)
    }
}

fn range(field: &'static str, v: u32, lo: u32, hi: u32) -> Result<(), AcdError> {
    if v < lo || v > hi {
        return Err(AcdError::invalid(field, format!("{v} is outside {lo}..={hi}")));
    }
    Ok(())
}

/// A queue's definition, as created and modified by administration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDef {
    /// At most 64 characters, unique in the app.
    pub name: Arc<str>,
    /// At most 200 characters.
    pub desc: Arc<str>,
    /// 1–10, smaller is higher priority. Default 10.
    pub prio: u8,
    /// A customer waiting longer leaves with reason timeout.
    pub max_wait_s: Option<u32>,
    /// StartQueuing is refused (405) when this many customers are queuing.
    pub max_len: Option<u32>,
    /// After a service of this queue ends, the agent gets no offer for this long.
    pub wrapup_s: u32,
}

impl QueueDef {
    /// A queue with default priority (10) and no limits.
    pub fn named(name: &str) -> Self {
        QueueDef {
            name: name.into(),
            desc: "".into(),
            prio: 10,
            max_wait_s: None,
            max_len: None,
            wrapup_s: 0,
        }
    }

    /// Checks every field; the error names the field.
    pub fn validate(&self) -> Result<(), AcdError> {
        let name_len = self.name.chars().count();
        if self.name.trim().is_empty() {
            return Err(AcdError::invalid("name", "must not be empty"));
        }
        if name_len > 64 {
            return Err(AcdError::invalid("name", format!("{name_len} characters, at most 64")));
        }
        let desc_len = self.desc.chars().count();
        if self.name.chars().any(char::is_control) {
            return Err(AcdError::invalid("name", "must not contain control characters"));
        }
        if self.desc.chars().any(|c| c.is_control() && c != '\n') {
            return Err(AcdError::invalid("desc", "must not contain control characters (other than line breaks)"));
        }
        if desc_len > 200 {
            return Err(AcdError::invalid("desc", format!("{desc_len} characters, at most 200")));
        }
        range("prio", self.prio.into(), 1, 10)?;
        if let Some(w) = self.max_wait_s {
            range("max_wait_s", w, 1, 86_400 * 7)?;
        }
        if let Some(l) = self.max_len {
            range("max_len", l, 1, 100_000_000)?;
        }
        range("wrapup_s", self.wrapup_s, 0, 3_600)
    }
}

/// A partial change of a queue's definition; `None` keeps the field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueChange {
    pub name: Option<Arc<str>>,
    pub desc: Option<Arc<str>>,
    pub prio: Option<u8>,
    /// `Some(None)` removes the limit.
    pub max_wait_s: Option<Option<u32>>,
    /// `Some(None)` removes the limit.
    pub max_len: Option<Option<u32>>,
    pub wrapup_s: Option<u32>,
}

impl QueueChange {
    pub(crate) fn apply_to(&self, def: &QueueDef) -> QueueDef {
        let mut d = def.clone();
        if let Some(v) = &self.name {
            d.name = v.clone();
        }
        if let Some(v) = &self.desc {
            d.desc = v.clone();
        }
        if let Some(v) = self.prio {
            d.prio = v;
        }
        if let Some(v) = self.max_wait_s {
            d.max_wait_s = v;
        }
        if let Some(v) = self.max_len {
            d.max_len = v;
        }
        if let Some(v) = self.wrapup_s {
            d.wrapup_s = v;
        }
        d
    }
}

/// CloudRoom `QueueInfo`: a queue as listed to sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueInfo {
    pub queue: QueueId,
    pub def: QueueDef,
}

/// CloudRoom `QueStatus`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct QueueStatus {
    pub queue: QueueId,
    /// Agents serving the queue.
    pub agent_num: u32,
    /// Customers queuing (waiting or being offered).
    pub wait_num: u32,
    /// Customers of this queue being served.
    pub srv_num: u32,
}

/// CloudRoom `QueuingInfo`: where a customer stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QueuingInfo {
    /// Not queuing (`queID` -1 on the wire).
    NotQueuing,
    /// Being served (`queID` -2 on the wire).
    InService,
    /// Queuing in `queue` with `position` customers ahead (0 = next), and how long it
    /// will likely wait still (seconds; None: not known yet, `wait_estimate`).
    Queuing { queue: QueueId, position: u32, queuing_time_s: u64, estimated_wait_s: Option<u32> },
}

/// CloudRoom `QueUser`: a customer as shown to agents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueUser {
    pub queue: QueueId,
    pub user_id: Name,
    pub name: Name,
    /// Seconds the customer has waited so far.
    pub queuing_time_s: u64,
    /// Opaque data the customer gave at StartQueuing.
    pub usr_ext_dat: Arc<str>,
    /// Lineup: the number it asked to be called back at ("": in its page), if it did.
    pub callback: Option<Arc<str>>,
    /// Lineup: the attributes it brought when it queued, if any (`skills`).
    pub attributes: Option<Arc<crate::skills::expr::Attributes>>,
}

/// A page of a queue's waiting customers, in queue order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueUsers {
    /// Customers queuing in total.
    pub total: u32,
    pub users: Vec<QueUser>,
}

/// Statistics of one queue: counters since the queue was created plus live figures.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueStats {
    pub queue: QueueId,
    /// Customers who started queuing (each attempt counts).
    pub entered: u64,
    /// Customers taken by an agent.
    pub served: u64,
    /// Customers who left before being served (by choice or dropped).
    pub abandoned: u64,
    /// Customers who left because they waited longer than `max_wait_s`.
    pub timed_out: u64,
    /// Customers moved to another queue.
    pub forwarded: u64,
    /// Mean wait of served customers, in seconds.
    pub avg_wait_s: f64,
    /// Longest wait of any customer whose wait ended (served, abandoned or timed out).
    pub max_wait_s: u64,
    /// Wait of the customer queuing longest right now.
    pub longest_waiting_s: u64,
    /// Share of served customers taken within the service-level threshold (0–1; 1 when
    /// nobody was served yet).
    pub service_level: f64,
    /// The threshold, seconds.
    pub service_level_s: u32,
    /// Customers queuing now.
    pub waiting: u32,
    /// Customers being served now.
    pub in_service: u32,
    /// Agents serving this queue.
    pub agents_logged_in: u32,
    /// Of those, agents that would get an offer right now.
    pub agents_available: u32,
    /// Of those, agents serving at least one customer.
    pub agents_busy: u32,
}

/// An agent as shown to supervisors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentView {
    pub user_id: Name,
    pub name: Name,
    pub online: bool,
    pub dnd: bool,
    pub capacity: u16,
    /// Queues served, with the agent's priority in each.
    pub serving: Vec<(QueueId, u16)>,
    /// Customers being served: (queue, customer user id).
    /// (queue, customer, the room of the service's answered call).
    pub serving_customers: Vec<(QueueId, Name, Option<u32>)>,
    /// Customers offered and not yet answered.
    pub pending_offers: u32,
    /// Wrap-up running until this time.
    pub wrapup_until_ms: Option<u64>,
    /// Customers served since login.
    pub served_total: u64,
    /// Time spent serving since login, ms.
    pub service_ms_total: u64,
    /// Its state and reason now, and the time in each.
    pub state: crate::agent_state::AgentStateView,
}

/// CloudRoom `MeetInfoObj`: a room two parties meet in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetInfo {
    /// The room's id (`ID`; 0 is never used).
    pub id: u32,
    pub pswd: Arc<str>,
    pub subject: Arc<str>,
    /// The creator's user id.
    pub creator: Name,
    pub member_count: u32,
    pub start_time: Time,
    /// The members now: (user id, nickname), in the order they entered.
    pub members: Vec<(Name, Name)>,
}

/// CloudRoom `SessionInfo`: the call this session is in, if any.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SessionInfo {
    /// Empty when not in a call.
    pub call_id: Name,
    pub peer_id: Name,
    pub peer_name: Name,
    pub accepted: bool,
    pub meeting_id: u32,
    pub meeting_pswd: Arc<str>,
    /// Seconds since the call was answered.
    pub duration_s: u64,
}
