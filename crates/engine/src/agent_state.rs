//! Agent states with reasons: what a supervisor sees of each agent and reports on.
//!
//! - **Reasons.** CloudRoom's `SetDNDStatus(DNDStatus)` takes any non-zero value as
//!   "on"; its value is the agent's reason (`DNDType`). An app may have a table of
//!   reasons (`code → label`, and whether the reason allows manual pulls); with a table,
//!   only its codes, 0 (available) and 1 (CloudRoom's manual mode) are accepted.
//!   [`NO_ANSWER`] is reserved: the server puts an agent there (auto-pause).
//! - **Manual pulls.** Code 1 always allows `ReqAssignUser` (CloudRoom's manual mode);
//!   a table reason allows it when its `manual_pulls` says so; without a table every
//!   reason does (CloudRoom); the no-answer pause never does.
//! - **Auto-pause.** With the app's `max_missed_offers` > 0, that many offers in a row
//!   that timed out put an available agent in [`NO_ANSWER`] until it sets itself free.
//!   An accept, a reject, a manual take or a SetDNDStatus ends the run.
//! - **States**, by precedence: logged out (serves no queue), offline (held), busy
//!   (serving), wrap-up, not ready (a reason), idle. Each change is told once per step
//!   to the agent and to the supervisors watching the app's wallboard
//!   (`AgentStatusChanged`; not to every session with the role: a CloudRoom login has
//!   every role, customers' included), and the time
//!   spent in each state, and in each reason, is counted.
//!
//! Kept beside the sessions (the snapshot's trailing part, so that snapshots written
//! before it still read): [`AgentBook`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, SessionId};
use crate::output::{EventKind, EventSource, Notice};
use crate::time::Time;

/// The reason the server gives an agent it paused after missed offers.
pub const NO_ANSWER: u32 = 1000;
/// CloudRoom's manual mode (DND on): always allows manual pulls.
pub const MANUAL: u32 = 1;
/// Most reasons an app may have.
pub const MAX_REASONS: usize = 64;
/// Longest reason label, in characters.
pub const MAX_LABEL: usize = 32;

/// One reason of an app's table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentReason {
    pub code: u32,
    pub label: Arc<str>,
    /// Whether an agent in this state may still take customers by hand.
    pub manual_pulls: bool,
}

/// An app's rules for supervising its agents: the reasons, auto-pause, and what its
/// wallboard measures against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPolicy {
    /// Sorted by code.
    pub reasons: Vec<AgentReason>,
    /// Offers in a row that time out before the agent is paused (0: never).
    pub max_missed_offers: u16,
    /// The service level the wallboard's "agents needed" is for: this percentage answered
    /// within the app's `service_level_s` (1–99; 80 by default).
    #[serde(default = "default_target")]
    pub service_level_target_pct: u8,
    /// The app's local time minus UTC, in minutes (−720..=840, a multiple of 15): where
    /// its "today" starts.
    #[serde(default)]
    pub utc_offset_min: i16,
    /// How long a waiting customer's callback keeps its place (seconds, 60 to a week).
    #[serde(default = "default_callback_expiry")]
    pub callback_expiry_s: u32,
}

/// A callback keeps its place this long unless the app says otherwise (an hour).
pub const DEFAULT_CALLBACK_EXPIRY_S: u32 = 3600;

fn default_callback_expiry() -> u32 {
    DEFAULT_CALLBACK_EXPIRY_S
}

fn default_target() -> u8 {
    80
}

impl AgentPolicy {
    /// Checks the numbers (the reasons: [`check_reasons`]).
    pub fn check_limits(&self) -> Result<(), AcdError> {
        if self.max_missed_offers > 100 {
            return Err(AcdError::invalid("maxMissedOffers", format!("{} is outside 0..=100", self.max_missed_offers)));
        }
        if !(1..=99).contains(&self.service_level_target_pct) {
            let why = format!("{} is outside 1..=99 (percent)", self.service_level_target_pct);
            return Err(AcdError::invalid("serviceLevelTarget", why));
        }
        if !(-720..=840).contains(&self.utc_offset_min) || self.utc_offset_min % 15 != 0 {
            let why = format!("{} must be a multiple of 15 in -720..=840 (minutes east of UTC)", self.utc_offset_min);
            return Err(AcdError::invalid("utcOffsetMinutes", why));
        }
        if !(60..=7 * 86_400).contains(&self.callback_expiry_s) {
            return Err(AcdError::invalid("callbackExpirySeconds", format!("{} is outside 60..=604800", self.callback_expiry_s)));
        }
        Ok(())
    }
}

impl Default for AgentPolicy {
    fn default() -> Self {
        AgentPolicy {
            reasons: Vec::new(),
            max_missed_offers: 0,
            service_level_target_pct: default_target(),
            utc_offset_min: 0,
            callback_expiry_s: DEFAULT_CALLBACK_EXPIRY_S,
        }
    }
}

/// An agent's state, by precedence.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgentState {
    LoggedOut,
    Offline,
    Busy,
    WrapUp,
    NotReady,
    Idle,
}

impl AgentState {
    pub const ALL: [AgentState; 6] = [
        AgentState::LoggedOut,
        AgentState::Offline,
        AgentState::Busy,
        AgentState::WrapUp,
        AgentState::NotReady,
        AgentState::Idle,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::Offline => "offline",
            AgentState::Busy => "busy",
            AgentState::WrapUp => "wrap_up",
            AgentState::NotReady => "not_ready",
            AgentState::Idle => "idle",
        }
    }
}

/// What an agent's state is now, with its reason and how long it has spent in each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentStateView {
    pub user_id: Name,
    pub state: AgentState,
    /// 0 available, else the reason (`DNDType`).
    pub reason: u32,
    /// The reason's label ("" when it has none).
    pub label: Arc<str>,
    pub since: Time,
    /// Offers in a row that timed out.
    pub missed: u16,
    /// Customers it took today (the app's local day; all its sessions).
    pub served_today: u64,
    /// Milliseconds in each state ([`AgentState::ALL`] order), the current one included.
    pub state_ms: [u64; 6],
    /// Milliseconds not ready, per reason (sorted by code), the current one included.
    pub reason_ms: Vec<(u32, u64)>,
}

/// One agent's record.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AgentRecord {
    pub reason: u32,
    /// The reason in force since `since` (what was last told): a change of `reason`
    /// within a step is counted and told at the step's end.
    #[serde(default)]
    pub told_reason: u32,
    pub missed: u16,
    pub state: AgentState,
    pub since: Time,
    pub state_ms: [u64; 6],
    pub reason_ms: BTreeMap<u32, u64>,
}

/// Agent states and the apps' rules for them.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct AgentBook {
    pub policies: BTreeMap<u32, AgentPolicy>,
    pub agents: BTreeMap<SessionId, AgentRecord>,
    /// Not in the snapshot: agents whose state may have changed in this step.
    #[serde(skip)]
    pub touched: Vec<SessionId>,
}

/// Checks an app's table of reasons (sorted on the way).
pub fn check_reasons(reasons: &mut [AgentReason]) -> Result<(), AcdError> {
    if reasons.len() > MAX_REASONS {
        return Err(AcdError::invalid("reasons", format!("{} entries, at most {MAX_REASONS}", reasons.len())));
    }
    reasons.sort_by_key(|r| r.code);
    for (i, r) in reasons.iter().enumerate() {
        if r.code == 0 || r.code == NO_ANSWER || r.code > 9999 {
            return Err(AcdError::invalid(
                "DNDType",
                format!(
                    "{} is not a reason code: reasons use 1 to 9999, but 1000 (the no-answer pause the server sets)",
                    r.code
                ),
            ));
        }
        if i > 0 && reasons[i - 1].code == r.code {
            return Err(AcdError::invalid("DNDType", format!("{} appears twice", r.code)));
        }
        let n = r.label.chars().count();
        if r.label.trim().is_empty() || n > MAX_LABEL {
            let why = format!("reason {}: {n} characters, must be 1 to {MAX_LABEL} (not only spaces)", r.code);
            return Err(AcdError::invalid("label", why));
        }
        if r.label.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            return Err(AcdError::invalid(
                "label",
                format!("reason {}: must be plain text (no control characters, '<' or '>')", r.code),
            ));
        }
        if let Some(other) = reasons[..i].iter().find(|o| o.label == r.label) {
            let why = format!("reason {}: '{}' is already the label of reason {}", r.code, r.label, other.code);
            return Err(AcdError::invalid("label", why));
        }
        if r.code == MANUAL && !r.manual_pulls {
            return Err(AcdError::invalid(
                "manualPulls",
                "reason 1 is CloudRoom's manual mode: it always allows ReqAssignUser",
            ));
        }
    }
    Ok(())
}

impl Engine {
    fn policy(&self, app: u32) -> Option<&AgentPolicy> {
        self.agent_book.policies.get(&app)
    }

    /// The label of `reason` in `app` ("" when it has none).
    pub(crate) fn reason_label(&self, app: u32, reason: u32) -> Arc<str> {
        let listed =
            self.policy(app).and_then(|p| p.reasons.iter().find(|r| r.code == reason)).map(|r| r.label.clone());
        listed.unwrap_or_else(|| match reason {
            MANUAL => Arc::from("Manual"),
            NO_ANSWER => Arc::from("No answer"),
            _ => Arc::from(""),
        })
    }

    /// An agent's reason now (0: available).
    pub(crate) fn reason_of(&self, sid: SessionId) -> u32 {
        self.agent_book.agents.get(&sid).map_or(0, |r| r.reason)
    }

    /// Sets an app's rules: its table of reasons and the auto-pause limit.
    pub(crate) fn put_agent_policy(&mut self, app: &str, mut policy: AgentPolicy) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        check_reasons(&mut policy.reasons)?;
        policy.check_limits()?;
        self.agent_book.policies.insert(ix, policy);
        // Labels on the boards.
        self.touch_wallboard(ix);
        Ok(())
    }

    /// The app's rules (the default: no table, no auto-pause).
    pub fn agent_policy(&self, app: &str) -> Option<AgentPolicy> {
        let ix = *self.app_ix.get(app)?;
        Some(self.policy(ix).cloned().unwrap_or_default())
    }

    /// Whether `code` may be chosen by an agent of `app` (SetDNDStatus).
    pub(crate) fn check_reason_choice(&self, app: u32, code: u32) -> Result<(), AcdError> {
        if code == NO_ANSWER {
            return Err(AcdError::invalid("DNDStatus", "1000 is reserved for the no-answer pause the server sets"));
        }
        let Some(policy) = self.policy(app).filter(|p| !p.reasons.is_empty()) else { return Ok(()) };
        if code == 0 || code == MANUAL || policy.reasons.iter().any(|r| r.code == code) {
            return Ok(());
        }
        let mut known = vec!["0 available".to_string(), format!("1 {}", self.reason_label(app, MANUAL))];
        known.extend(policy.reasons.iter().filter(|r| r.code != MANUAL).map(|r| format!("{} {}", r.code, r.label)));
        Err(AcdError::invalid("DNDStatus", format!("{code} is not a reason of this app ({})", known.join(", "))))
    }

    /// Whether the agent may take a customer by hand in its present reason.
    pub(crate) fn check_manual_pull(&self, sid: SessionId) -> Result<(), AcdError> {
        let reason = self.reason_of(sid);
        let app = self.sessions[&sid].app;
        let allowed = match reason {
            0 | MANUAL => true,
            NO_ANSWER => false,
            code => match self.policy(app).filter(|p| !p.reasons.is_empty()) {
                Some(p) => p.reasons.iter().any(|r| r.code == code && r.manual_pulls),
                None => true,
            },
        };
        if allowed {
            Ok(())
        } else {
            Err(AcdError::NotReady { code: reason, label: self.reason_label(app, reason).to_string() })
        }
    }

    fn record(&mut self, sid: SessionId) -> &mut AgentRecord {
        let now = self.now;
        if !self.agent_book.agents.contains_key(&sid) {
            // Its time in each state is reported from now.
            self.open_report();
        }
        self.agent_book.agents.entry(sid).or_insert_with(|| AgentRecord {
            reason: 0,
            told_reason: 0,
            missed: 0,
            state: AgentState::LoggedOut,
            since: now,
            state_ms: [0; 6],
            reason_ms: BTreeMap::new(),
        })
    }

    /// The agent's state may have changed: looked at when the step ends.
    pub(crate) fn touch_agent(&mut self, sid: SessionId) {
        self.agent_book.touched.push(sid);
    }

    /// Sets the agent's reason (0: available); a change is an event of the seed-001
    /// family. The missed-offer run ends.
    pub(crate) fn set_reason(&mut self, sid: SessionId, code: u32, source: EventSource) {
        let rec = self.record(sid);
        rec.missed = 0;
        if rec.reason == code {
            return;
        }
        rec.reason = code;
        self.touch_agent(sid);
        self.touch_user(sid);
        let app = self.sessions[&sid].app;
        self.touch_wallboard(app);
        let s = &self.sessions[&sid];
        let (app, user_id) = (s.app, s.user_id.clone());
        let label = self.reason_label(app, code);
        self.emit(app, EventKind::AgentReason { user_id, reason: code, label, source });
    }

    /// An offer to the agent was accepted, rejected, or it took a customer: the run of
    /// missed offers ends.
    pub(crate) fn offer_answered(&mut self, sid: SessionId) {
        if let Some(r) = self.agent_book.agents.get_mut(&sid) {
            r.missed = 0;
        }
    }

    /// An offer to the agent timed out: one more missed; at the app's limit an
    /// available agent is paused ([`NO_ANSWER`]).
    pub(crate) fn offer_missed(&mut self, sid: SessionId) {
        if !self.sessions.get(&sid).is_some_and(|s| s.agent.is_some()) {
            return;
        }
        let app = self.sessions[&sid].app;
        let limit = self.policy(app).map_or(0, |p| p.max_missed_offers);
        let rec = self.record(sid);
        rec.missed = rec.missed.saturating_add(1);
        let (missed, reason) = (rec.missed, rec.reason);
        self.touch_agent(sid);
        if limit > 0 && missed >= limit && reason == 0 {
            self.reindex_agent(sid, |a| a.dnd = true);
            self.set_reason(sid, NO_ANSWER, EventSource::System);
            // The run is what put it there: kept for the notice.
            self.record(sid).missed = missed;
        }
    }

    /// The state an agent is in now (for the invariants).
    pub(crate) fn derived_state_of(&self, sid: SessionId) -> Option<AgentState> {
        self.derived_state(sid)
    }

    /// The state an agent is in now.
    fn derived_state(&self, sid: SessionId) -> Option<AgentState> {
        let s = self.sessions.get(&sid)?;
        let a = s.agent.as_deref()?;
        Some(if a.serving.is_empty() {
            AgentState::LoggedOut
        } else if !s.online {
            AgentState::Offline
        } else if !a.services.is_empty() {
            AgentState::Busy
        } else if a.wrapup_until.is_some() {
            AgentState::WrapUp
        } else if self.reason_of(sid) != 0 {
            AgentState::NotReady
        } else {
            AgentState::Idle
        })
    }

    /// Adds the time from the record's last change to `now` to its state (and to the
    /// reason it was told, when not ready), in its totals and in the open report
    /// interval.
    pub(crate) fn count_agent_time(&mut self, sid: SessionId, now: Time) {
        let Some(rec) = self.agent_book.agents.get_mut(&sid) else { return };
        let ms = now.millis_since(rec.since);
        rec.state_ms[rec.state as usize] += ms;
        if rec.state == AgentState::NotReady {
            *rec.reason_ms.entry(rec.told_reason).or_default() += ms;
        }
        rec.since = now;
        let (state, reason) = (rec.state, rec.told_reason);
        if ms > 0 {
            self.agent_interval(sid).add_time(state, reason, ms);
        }
    }

    /// The end of a step: each touched agent whose state or reason changed is told,
    /// with the supervisors watching the app's wallboard.
    pub(crate) fn flush_agent_states(&mut self) {
        if self.agent_book.touched.is_empty() {
            return;
        }
        let mut touched = std::mem::take(&mut self.agent_book.touched);
        touched.sort_unstable();
        touched.dedup();
        let now = self.now;
        for sid in touched {
            let Some(state) = self.derived_state(sid) else { continue };
            let rec = self.record(sid);
            if (rec.state, rec.told_reason) == (state, rec.reason) {
                continue;
            }
            // A change of reason while busy is told too (the board shows what comes next).
            self.count_agent_time(sid, now);
            let rec = self.record(sid);
            rec.state = state;
            rec.told_reason = rec.reason;
            // Whether it can take customers changed: its queues' estimated waits too.
            self.touch_served_positions(sid);
            let app = self.sessions[&sid].app;
            self.touch_wallboard(app);
            let view = self.agent_state_view(sid).expect("an agent");
            let supervisors: Vec<SessionId> =
                self.wall_book.subscribers.get(&app).into_iter().flatten().copied().collect();
            // A held agent learns its state when it is back (that is a change too).
            if self.sessions[&sid].online {
                self.notify(sid, Notice::AgentStatusChanged(Box::new(view.clone())));
            }
            for s in supervisors.into_iter().filter(|s| *s != sid) {
                if self.sessions.get(&s).is_some_and(|x| x.online) {
                    self.notify(s, Notice::AgentStatusChanged(Box::new(view.clone())));
                }
            }
        }
    }

    /// The agent's session ends: the wallboard's supervisors are told it is logged out (if it
    /// was not already), and its record goes.
    pub(crate) fn agent_leaves(&mut self, sid: SessionId) {
        let Some(mut view) = self.agent_state_view(sid) else { return };
        self.count_agent_time(sid, self.now);
        self.agent_book.agents.remove(&sid);
        if view.state == AgentState::LoggedOut {
            return;
        }
        view.state = AgentState::LoggedOut;
        view.since = self.now;
        let app = self.sessions[&sid].app;
        let supervisors: Vec<SessionId> = self.wall_book.subscribers.get(&app).into_iter().flatten().copied().collect();
        for s in supervisors.into_iter().filter(|s| *s != sid) {
            if self.sessions.get(&s).is_some_and(|x| x.online) {
                self.notify(s, Notice::AgentStatusChanged(Box::new(view.clone())));
            }
        }
    }

    /// After restoring a snapshot written before agent states: an agent in DND has
    /// reason 1 (CloudRoom's manual mode), its state as it is now.
    pub(crate) fn adopt_dnd_without_reason(&mut self) {
        let dnd: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(sid, s)| s.agent.as_ref().is_some_and(|a| a.dnd) && !self.agent_book.agents.contains_key(sid))
            .map(|(sid, _)| *sid)
            .collect();
        for sid in dnd {
            let state = self.derived_state(sid).expect("an agent");
            let rec = self.record(sid);
            rec.reason = MANUAL;
            rec.told_reason = MANUAL;
            rec.state = state;
        }
    }

    /// An agent's state now, with the time counted up to now.
    pub fn agent_state_view(&self, sid: SessionId) -> Option<AgentStateView> {
        let s = self.sessions.get(&sid)?;
        s.agent.as_ref()?;
        let now = self.now;
        let (reason, told_reason, missed, state, since, mut state_ms, reason_ms) =
            match self.agent_book.agents.get(&sid) {
                Some(r) => (r.reason, r.told_reason, r.missed, r.state, r.since, r.state_ms, r.reason_ms.clone()),
                None => (0, 0, 0, self.derived_state(sid)?, now, [0; 6], BTreeMap::new()),
            };
        let open = now.millis_since(since);
        state_ms[state as usize] += open;
        let mut reason_ms = reason_ms;
        if state == AgentState::NotReady {
            *reason_ms.entry(told_reason).or_default() += open;
        }
        Some(AgentStateView {
            user_id: s.user_id.clone(),
            state,
            reason,
            label: if reason == 0 { Arc::from("") } else { self.reason_label(s.app, reason) },
            since,
            missed,
            served_today: self.served_today(s.app, &s.user_id),
            state_ms,
            reason_ms: reason_ms.into_iter().collect(),
        })
    }
}
