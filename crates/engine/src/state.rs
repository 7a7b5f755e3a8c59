//! The engine's records of apps, sessions, agents, customers, queues, offers and
//! services. Plain data; the rules that change them live in the sibling modules.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ids::{Name, OfferId, QueueId, ServiceId, SessionId, TaskId};
use crate::model::{AppSettings, QueueDef, Roles};
use crate::stats::Counters;
use crate::time::Time;

/// A tenant: its settings, queues and users.
#[derive(Serialize, Deserialize)]
pub(crate) struct App {
    pub name: Arc<str>,
    pub settings: AppSettings,
    #[serde(serialize_with = "crate::snapshot::sorted")]
    pub queue_names: FxHashMap<Arc<str>, QueueId>,
    pub queues: BTreeSet<QueueId>,
    #[serde(serialize_with = "crate::snapshot::sorted")]
    pub users: FxHashMap<Name, SessionId>,
    /// Sessions that asked for the status of every queue (InitQueueDat).
    pub watchers: BTreeSet<SessionId>,
    /// The last call event id given out (strictly increasing per app).
    pub last_event_id: u64,
}

/// A logged-in user; agent and customer parts are present when used.
#[derive(Serialize, Deserialize)]
pub(crate) struct Session {
    pub app: u32,
    pub user_id: Name,
    pub name: Name,
    pub roles: Roles,
    pub online: bool,
    /// Set while the session is held offline.
    pub hold_until: Option<Time>,
    pub watch_all: bool,
    pub agent: Option<Box<Agent>>,
    pub queuing: Option<Queuing>,
    /// The service this session receives as a customer.
    pub served_in: Option<ServiceId>,
    /// The queue and position last told to the customer.
    pub sent_position: Option<(QueueId, u32)>,
    /// The call this session is in (ringing or answered), by call key.
    pub call: Option<u64>,
    pub info_sent_at: Option<Time>,
}

/// The agent side of a session.
#[derive(Serialize, Deserialize)]
pub(crate) struct Agent {
    /// Served queues with the agent's priority in each (0 is highest).
    pub serving: Vec<(QueueId, u16)>,
    pub dnd: bool,
    pub capacity: u16,
    pub offers: Vec<OfferId>,
    pub services: Vec<ServiceId>,
    pub wrapup_until: Option<Time>,
    /// When the agent last became free.
    pub idle_since: Time,
    /// The (load, idle_since) under which it sits in its queues' free sets, if free.
    pub free_key: Option<(u16, Time)>,
    pub served_total: u64,
    pub service_ms_total: u64,
}

impl Agent {
    pub fn new(now: Time) -> Self {
        Agent {
            serving: Vec::new(),
            dnd: false,
            capacity: 1,
            offers: Vec::new(),
            services: Vec::new(),
            wrapup_until: None,
            idle_since: now,
            free_key: None,
            served_total: 0,
            service_ms_total: 0,
        }
    }

    pub fn load(&self) -> u16 {
        (self.offers.len() + self.services.len()) as u16
    }

    pub fn priority_in(&self, queue: QueueId) -> Option<u16> {
        self.serving.iter().find(|(q, _)| *q == queue).map(|(_, p)| *p)
    }
}

/// The customer side of a session while it queues.
#[derive(Serialize, Deserialize)]
pub(crate) struct Queuing {
    pub queue: QueueId,
    /// Order key: smaller waited longer. Kept when the customer returns to the head.
    pub seq: u64,
    pub task: TaskId,
    pub enqueued_at: Time,
    pub ext: Arc<str>,
    pub offer: Option<OfferId>,
    /// Agents that rejected or missed this customer, each until a time.
    pub declined: Vec<(SessionId, Time)>,
    /// When the customer times out (queue max_wait_s).
    pub deadline: Option<Time>,
    pub agent_id: Option<Name>,
    pub call_time: Option<Time>,
}

impl Queuing {
    pub fn declined_by(&self, agent: SessionId, now: Time) -> bool {
        self.declined.iter().any(|(a, until)| *a == agent && *until > now)
    }
}

/// A queue and everyone in it.
#[derive(Serialize, Deserialize)]
pub(crate) struct Queue {
    pub app: u32,
    pub def: QueueDef,
    /// Every customer queuing, offered or not, in queue order.
    pub waiting: BTreeMap<u64, SessionId>,
    /// Customers that can be offered now: online and not offered.
    pub ready: BTreeSet<u64>,
    /// Agents serving the queue, with their priority.
    pub agents: BTreeMap<SessionId, u16>,
    /// Free agents, best first: (priority, load, idle since, session).
    pub free_agents: BTreeSet<(u16, u16, Time, SessionId)>,
    pub in_service: u32,
    /// Set while the queue is being deleted: nothing is offered from it.
    pub closing: bool,
    pub counters: Counters,
    pub notices: NoticeState,
}

/// Coalescing of a queue's status and position notices.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct NoticeState {
    pub status_dirty: bool,
    pub positions_dirty: bool,
    pub status_sent_at: Option<Time>,
    pub positions_sent_at: Option<Time>,
    pub timer: Option<Time>,
    pub listed: bool,
}

/// A customer offered to an agent.
#[derive(Serialize, Deserialize)]
pub(crate) struct Offer {
    pub agent: SessionId,
    pub customer: SessionId,
    pub queue: QueueId,
    pub deadline: Time,
}

/// An agent serving a customer.
#[derive(Serialize, Deserialize)]
pub(crate) struct Service {
    pub agent: SessionId,
    pub customer: SessionId,
    pub queue: QueueId,
    pub started_at: Time,
    /// The customer's queuing task, until its ACD life cycle completes (the call is
    /// answered, fails, or the service ends).
    pub task: Option<Queuing>,
}

/// A room (CloudRoom meeting) two or more parties meet in.
#[derive(Serialize, Deserialize)]
pub(crate) struct Room {
    pub app: u32,
    pub pswd: Arc<str>,
    pub subject: Arc<str>,
    pub creator: SessionId,
    pub creator_id: Name,
    pub members: Vec<SessionId>,
    pub start_time: Time,
}

/// A call from one session to another, inviting it into a room.
#[derive(Serialize, Deserialize)]
pub(crate) struct Call {
    pub app: u32,
    pub id: Name,
    pub caller: SessionId,
    pub callee: SessionId,
    pub room: u32,
    /// Set once answered.
    pub answered_at: Option<Time>,
    /// While ringing: when it ends with no answer.
    pub deadline: Option<Time>,
    /// The service this call is the conversation of (an agent calling its customer).
    pub service: Option<ServiceId>,
    /// The agent side of the call, if one of the parties is the agent.
    pub agent: Option<SessionId>,
    /// The queue of the service, kept for the call's events after the service ends.
    pub queue: Option<QueueId>,
    /// The party placed on hold, while the call is held.
    pub held: Option<SessionId>,
}
