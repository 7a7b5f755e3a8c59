//! Lineup's ACD engine: who waits, who serves, and who gets whom.
//!
//! A pure, deterministic state machine (sans-IO). Inputs go in with the current time;
//! outputs (notices for sessions, business events, ended sessions) and the next
//! deadline come out. It never reads a clock, opens a socket or spawns a task, so a
//! recorded sequence of `(time, input)` replays to the same state, and tests run on a
//! virtual clock.
//!
//! # Layout
//!
//! - `engine`: the [`Engine`] value; `handle`, `handle_timeout`, `poll_*`.
//! - `input`: [`Input`], [`Request`], [`Reply`]: what goes in.
//! - `output`: [`Output`], [`Notice`], [`Event`]: what comes out.
//! - `model`: queues, settings, roles and the views (QueueInfo, QueStatus, ...).
//! - `error`: [`AcdError`] and its CloudRoom error numbers.
//! - `admin`: apps and queues: create, modify, delete.
//! - `presence`: login, dropped connections held for the hold time, logout.
//! - `customer`: joining and leaving queues.
//! - `agent`: serving queues, DND, capacity, answering offers, manual assignment.
//! - `agent_state`: agent states with reasons (the app's table), auto-pause after missed
//!   offers, time in each state; AgentStatusChanged to the agent and the wallboard's
//!   supervisors.
//! - `dispatch`: the matching rule, offers and services.
//! - `callback`: a waiting customer's callback: its place kept without a live session.
//! - `calls`: rooms, calls between agent and customer, asterCC call events.
//! - `notify`: coalesced status and position notices.
//! - `user_status`: CloudRoom user status (offline, idle, busy, in a room; DND type) and
//!   its watchers.
//! - `wait_estimate`: each waiting customer's estimated wait (handle time, ready agents).
//! - `wallboard`: the supervisors' pushed wallboard; `erlang`: Erlang C for it.
//! - `reports`: per queue and per agent figures over 15-minute intervals (history).
//! - `skills`: skills-based routing: the app's skills, agents' levels, customers'
//!   attributes, queues' requirements (`skills::expr`) and their relaxation.
//! - `routing`: queues' overflow (a customer moves on after a time) and aging (waiting
//!   raises its effective priority).
//! - `stats`, `views`: statistics and read-only views.
//! - `sessions`: the session table (by index, with prefetch of the next customer).
//! - `snapshot`: the whole state as versioned, canonical bytes; restore; digest.
//! - `timers`, `state`, `ids`, `time`, `invariants`: the plumbing.
//!
//! # Driving it
//!
//! ```
//! use lineup_engine::{Engine, Input, Request, Time, QueueDef, Roles, AppSettings, Reply};
//!
//! let mut engine = Engine::new();
//! let t = Time::from_millis(1_000);
//! engine.handle(t, Input::PutApp { app: "demo".into(), settings: AppSettings::default() }).unwrap();
//! let Reply::Queue(q) = engine.handle(t, Input::CreateQueue {
//!     app: "demo".into(), id: None, def: QueueDef::named("Sales") }).unwrap() else { unreachable!() };
//! let login = |e: &mut Engine, who: &str| match e.handle(t, Input::Login {
//!     app: "demo".into(), user_id: who.into(), name: who.into(), roles: Roles::ALL }).unwrap() {
//!     Reply::LoggedIn { session, .. } => session, _ => unreachable!() };
//! let agent = login(&mut engine, "alice");
//! let customer = login(&mut engine, "bob");
//! engine.handle(t, Input::Session { session: agent,
//!     request: Request::StartService { queue: q.queue, priority: 0 } }).unwrap();
//! engine.handle(t, Input::Session { session: customer,
//!     request: Request::StartQueuing { queue: q.queue, usr_ext_dat: "".into() } }).unwrap();
//!
//! // The driver's loop: deliver outputs, sleep until the next deadline, repeat.
//! while let Some(output) = engine.poll_output() {
//!     // send notices to sockets, events to webhooks ...
//!     let _ = output;
//! }
//! if let Some(deadline) = engine.poll_timeout() {
//!     engine.handle_timeout(deadline); // when the clock reaches it
//! }
//! ```

mod admin;
mod agent;
mod agent_state;
mod callback;
mod calls;
mod customer;
mod dispatch;
mod engine;
mod erlang;
mod error;
mod ids;
mod input;
mod invariants;
mod model;
mod notify;
mod output;
mod presence;
mod reports;
mod routing;
mod sessions;
pub mod skills;
mod snapshot;
mod state;
mod stats;
mod time;
mod timers;
mod user_status;
mod views;
mod wait_estimate;
mod wallboard;

pub use agent_state::{
    check_reasons, AgentPolicy, AgentReason, AgentState, AgentStateView, DEFAULT_CALLBACK_EXPIRY_S, NO_ANSWER,
};
pub use callback::{Callback, CallbackState, MAX_NUMBER as MAX_CALLBACK_NUMBER};
pub use customer::MAX_USR_EXT_DAT;
pub use engine::Engine;
pub use error::AcdError;
pub use ids::{Name, OfferId, QueueId, ServiceId, SessionId, TaskId};
pub use input::{Input, Reply, Request};
pub use model::{
    AgentView, AppSettings, CustomerCalls, MeetInfo, QueUser, SessionInfo, QueueChange, QueueDef, QueueInfo, QueueStats, QueueStatus, QueueUsers,
    QueuingInfo, Role, Roles,
};
pub use output::{
    AcdPhase, AcdTransition, AgentStatus, CallEvent, CallEventKind, CallSource, CancelReason, EndReason, Event, EventKind, EventSource, Notice, Output,
    QueueChangeKind, ServiceEnd, SessionEnd,
};
pub use reports::{interval_start, AgentInterval, IntervalReport, QueueInterval, REPORT_INTERVAL_MS};
pub use routing::{QueueRouting, MAX_CHAIN as MAX_OVERFLOW_CHAIN};
pub use skills::expr::{AttrValue, Attributes};
pub use skills::QueueRequirement;
pub use snapshot::{SnapshotError, SNAPSHOT_MAGIC, SNAPSHOT_VERSION};
pub use time::Time;
pub use wallboard::{Wallboard, WallboardQueue, INTERVAL_MS as WALLBOARD_INTERVAL_MS};
pub use erlang::{agents_needed, erlang_c, service_level};
pub use user_status::{UserState, UserStatus};
pub use stats::{Distribution, LiveCounters, TALK_BUCKETS_S, WAIT_BUCKETS_S};
pub use views::{QueueMonitor, SessionActivity, SessionView};
