//! Skills-based routing: the app's skills, agents' levels, customers' attributes and
//! queues' requirements, with relaxation over time.
//!
//! - **Skills.** An app declares its skills (its catalog, at most [`MAX_CATALOG`]
//!   names such as `language.cantonese` or `vip`). Agents have a level 0–10 in some of
//!   them, by user id (set by the backend, or by the agent at StartService); a level
//!   not set is 0.
//! - **Attributes.** A customer may bring attributes when it queues (text, integer or
//!   true/false values, at most [`MAX_ATTRIBUTES`]); they go with it when it is moved.
//! - **Requirement.** A queue may have a requirement ([`expr`]) over skills and the
//!   customer's attributes. It is bound to each customer when the customer enters the
//!   queue: a free agent is offered a customer of this queue only if it meets the
//!   customer's bound requirement. Among the agents who meet it the usual order holds
//!   (agent priority in the queue, then load, then idle time): a skill level does not
//!   rank agents; to prefer the best, give them a better priority (`StartService2`).
//!   Picking a customer by hand (`ReqAssignUser2`) is not held to the requirement.
//! - **Relaxation.** With `relax_s` > 0, a customer not yet served steps down after
//!   every `relax_s` seconds in the queue: step 1 lowers each `>=`/`>` level by
//!   [`expr::RELAX_LEVELS`] (a `>=` to no less than 1: the skill is still needed);
//!   step 2 ([`RELAX_STEPS`]) drops the requirement: any agent of the queue. Each step
//!   is told to the customer (`RequirementRelaxed`) and in the ACD state events.
//!
//! Kept beside the queues and sessions (the snapshot's trailing part): [`SkillBook`].

pub mod expr;

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, QueueId, SessionId};
use crate::output::{AcdPhase, Notice};
use crate::time::Time;
use crate::timers::Timer;
use expr::{AttrValue, Attributes, Catalog, Expr, Need};

/// The most skills an app declares.
pub const MAX_CATALOG: usize = 100;
/// The longest skill name, bytes.
pub const MAX_SKILL_NAME: usize = 48;
/// The most attributes a customer brings.
pub const MAX_ATTRIBUTES: usize = 20;
/// The longest attribute name, bytes.
pub const MAX_ATTR_NAME: usize = 32;
/// The longest text value of an attribute, bytes.
pub const MAX_ATTR_TEXT: usize = 64;
/// The longest relaxation time, seconds (a day).
pub const MAX_RELAX_S: u32 = 86_400;
/// The last relaxation step: no requirement.
pub const RELAX_STEPS: u8 = 2;

/// A queue's requirement as set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRequirement {
    /// The expression ("": none).
    pub text: Arc<str>,
    /// Seconds per relaxation step (0: never relaxed).
    pub relax_s: u32,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct QueueNeed {
    pub req: QueueRequirement,
    pub expr: Expr,
}

/// One agent's skills (by user id).
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct AgentSkills {
    /// As set, sorted by name.
    pub skills: Vec<(Name, u8)>,
    /// The same in catalog order (0 where not set).
    pub levels: Vec<u8>,
}

/// An app's skills and its agents' levels.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct AppSkills {
    /// The catalog: a skill's position here is its index in agents' `levels`.
    pub catalog: Vec<Name>,
    #[serde(serialize_with = "crate::snapshot::sorted")]
    pub agents: FxHashMap<Name, AgentSkills>,
}

impl AppSkills {
    fn position(&self, name: &str) -> Option<u16> {
        self.catalog.iter().position(|s| s == name).map(|i| i as u16)
    }

    fn levels_of(&self, skills: &[(Name, u8)]) -> Vec<u8> {
        self.catalog.iter().map(|s| skills.iter().find(|(n, _)| n == s).map_or(0, |(_, l)| *l)).collect()
    }
}

impl Catalog for AppSkills {
    fn has_skill(&self, name: &str) -> bool {
        self.catalog.iter().any(|s| s == name)
    }

    fn has_group(&self, group: &str) -> bool {
        self.catalog.iter().any(|s| s.strip_prefix(group).is_some_and(|rest| rest.starts_with('.')))
    }
}

/// A queuing customer's attributes and, in a queue with a requirement, its bound need.
#[derive(Serialize, Deserialize)]
pub(crate) struct CustomerSkills {
    pub attrs: Arc<Attributes>,
    /// None: its queue has no requirement.
    pub need: Option<Need>,
    /// When its relaxation clock started (it entered the queue, or the requirement was
    /// set) and the seconds per step (0: never).
    pub since: Time,
    pub relax_s: u32,
    /// The last step told.
    pub told: u8,
    /// When it steps down next.
    pub relax_at: Option<Time>,
}

impl CustomerSkills {
    /// The relaxation step at `now`: a function of time, so that everything decided at
    /// the instant of a step (even before its timer is handled) sees it.
    fn step_at(&self, now: Time) -> u8 {
        if self.relax_s == 0 {
            return 0;
        }
        (now.millis_since(self.since) / (u64::from(self.relax_s) * 1000)).min(u64::from(RELAX_STEPS)) as u8
    }
}

/// Every app's skills, queues' requirements and queuing customers' attributes.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct SkillBook {
    pub apps: BTreeMap<u32, AppSkills>,
    pub queues: BTreeMap<QueueId, QueueNeed>,
    #[serde(serialize_with = "crate::snapshot::sorted")]
    pub customers: FxHashMap<SessionId, CustomerSkills>,
}

fn name_ok(name: &str) -> bool {
    let segment = |s: &str| {
        s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    };
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or("");
    let second = parts.next();
    parts.next().is_none() && segment(first) && second.is_none_or(segment) && first != "customer"
}

/// Checks a customer's attributes (sorted by name on return).
pub fn check_attributes(mut attrs: Attributes) -> Result<Attributes, AcdError> {
    if attrs.len() > MAX_ATTRIBUTES {
        return Err(AcdError::invalid("attributes", format!("{} attributes, at most {MAX_ATTRIBUTES}", attrs.len())));
    }
    for (name, value) in &attrs {
        let ok = name.len() <= MAX_ATTR_NAME
            && name.as_bytes().first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        if !ok {
            let why = format!("'{name}' is not a name (letters, digits, _ and -, at most {MAX_ATTR_NAME} bytes)");
            return Err(AcdError::invalid("attributes", why));
        }
        if let AttrValue::Text(t) = value {
            if t.len() > MAX_ATTR_TEXT || t.chars().any(char::is_control) {
                let why = format!("{name}: text of at most {MAX_ATTR_TEXT} bytes without control characters");
                return Err(AcdError::invalid("attributes", why));
            }
        }
    }
    attrs.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = attrs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(AcdError::invalid("attributes", format!("'{}' is given twice", w[0].0)));
    }
    Ok(attrs)
}

impl Engine {
    /// The app's skills, in catalog order.
    pub fn skill_catalog(&self, app: &str) -> Result<Vec<Name>, AcdError> {
        let ix = self.app_index(app)?;
        Ok(self.skill_book.apps.get(&ix).map(|a| a.catalog.clone()).unwrap_or_default())
    }

    /// An agent's skills as set (by user id), sorted by name.
    pub fn agent_skills(&self, app: &str, user_id: &str) -> Result<Vec<(Name, u8)>, AcdError> {
        let ix = self.app_index(app)?;
        let skills = self.skill_book.apps.get(&ix).and_then(|a| a.agents.get(user_id));
        Ok(skills.map(|s| s.skills.clone()).unwrap_or_default())
    }

    /// A queue's requirement (`None`: none).
    pub fn queue_requirement(&self, queue: QueueId) -> Option<QueueRequirement> {
        self.skill_book.queues.get(&queue).map(|q| q.req.clone())
    }

    /// Replaces the app's skills. A skill a queue's requirement names may not go;
    /// agents' levels in skills that go are dropped.
    pub(crate) fn put_skill_catalog(&mut self, app: &str, skills: Vec<Name>) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        if skills.len() > MAX_CATALOG {
            return Err(AcdError::invalid("Skills", format!("{} skills, at most {MAX_CATALOG}", skills.len())));
        }
        for (i, s) in skills.iter().enumerate() {
            if s.len() > MAX_SKILL_NAME || !name_ok(s) {
                let why = format!(
                    "'{s}' is not a skill name (one or two parts joined by '.', each a letter then letters, \
                     digits, _ or -; at most {MAX_SKILL_NAME} bytes; not customer.*)"
                );
                return Err(AcdError::invalid("Skills", why));
            }
            if skills[..i].contains(s) {
                return Err(AcdError::invalid("Skills", format!("'{s}' is given twice")));
            }
        }
        let next = AppSkills { catalog: skills, agents: FxHashMap::default() };
        for (q, need) in &self.skill_book.queues {
            if self.queues.get(q).is_some_and(|queue| queue.app == ix) {
                if let Err(e) = expr::parse(&need.req.text, &next) {
                    let why = format!("queue {}'s requirement needs it: {e}", q.0);
                    return Err(AcdError::invalid("Skills", why));
                }
            }
        }
        let mut old = self.skill_book.apps.remove(&ix).unwrap_or_default();
        let mut next = next;
        for (uid, mut agent) in old.agents.drain() {
            agent.skills.retain(|(n, _)| next.has_skill(n));
            agent.levels = next.levels_of(&agent.skills);
            next.agents.insert(uid, agent);
        }
        self.skill_book.apps.insert(ix, next);
        // Positions moved: bind every waiting customer of the app's queues again.
        let queues: Vec<QueueId> = self.apps[ix as usize].queues.iter().copied().collect();
        for q in queues {
            self.rebind_queue(q, false);
        }
        Ok(())
    }

    /// Sets an agent's skills (by user id; an empty list clears them).
    pub(crate) fn put_agent_skills(
        &mut self,
        app: u32,
        user_id: &str,
        skills: Vec<(Name, u8)>,
    ) -> Result<(), AcdError> {
        let book = self.skill_book.apps.entry(app).or_default();
        let mut skills = skills;
        for (name, level) in &skills {
            if !book.has_skill(name) {
                return Err(AcdError::invalid("skills", format!("'{name}' is not a skill of the app")));
            }
            if *level > expr::MAX_LEVEL {
                return Err(AcdError::invalid("skills", format!("{name}: level {level} is outside 0..=10")));
            }
        }
        skills.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = skills.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(AcdError::invalid("skills", format!("'{}' is given twice", w[0].0)));
        }
        if skills.is_empty() {
            book.agents.remove(user_id);
        } else {
            let levels = book.levels_of(&skills);
            book.agents.insert(user_id.into(), AgentSkills { skills, levels });
        }
        if let Some(&sid) = self.apps[app as usize].users.get(user_id) {
            self.dispatch_agent(sid);
        }
        Ok(())
    }

    /// Checks a requirement for the app ("" is none); returns it parsed.
    pub fn check_requirement(&self, app: &str, req: &QueueRequirement) -> Result<Option<Expr>, AcdError> {
        let ix = self.app_index(app)?;
        if req.relax_s > MAX_RELAX_S {
            return Err(AcdError::invalid("RelaxSeconds", format!("{} is outside 0..={MAX_RELAX_S}", req.relax_s)));
        }
        if req.text.trim().is_empty() {
            return Ok(None);
        }
        let empty = AppSkills::default();
        let book = self.skill_book.apps.get(&ix).unwrap_or(&empty);
        expr::parse(&req.text, book).map(Some).map_err(|e| AcdError::invalid("Requirement", e.to_string()))
    }

    /// Sets a queue's requirement: its waiting customers are bound to it again from
    /// step 0, their relaxation counted from now.
    pub(crate) fn put_queue_requirement(
        &mut self,
        app: &str,
        queue: QueueId,
        req: QueueRequirement,
    ) -> Result<(), AcdError> {
        let ix = self.app_index(app)?;
        if !self.queues.get(&queue).is_some_and(|q| q.app == ix) {
            return Err(AcdError::QueueInvalid(queue));
        }
        match self.check_requirement(app, &req)? {
            Some(expr) => self.skill_book.queues.insert(queue, QueueNeed { req, expr }),
            None => self.skill_book.queues.remove(&queue),
        };
        self.rebind_queue(queue, true);
        Ok(())
    }

    /// Binds the queue's waiting customers again (`restart`: from step 0, relaxation
    /// from now), then offers what now matches.
    fn rebind_queue(&mut self, queue: QueueId, restart: bool) {
        let Some(q) = self.queues.get(&queue) else { return };
        let waiting: Vec<SessionId> = q.waiting.values().copied().collect();
        for sid in waiting {
            let Some(c) = self.skill_book.customers.remove(&sid) else {
                self.bind_customer(sid, queue, None);
                continue;
            };
            if let Some(at) = c.relax_at {
                self.timers.remove(at, Timer::Relax(sid));
            }
            self.bind_customer(sid, queue, Some(c.attrs));
            if restart {
                continue;
            }
            // Only the skills' positions changed: its relaxation clock and deadline stay.
            let now = self.skill_book.customers.get_mut(&sid).expect("bound");
            if let Some(at) = std::mem::replace(&mut now.relax_at, c.relax_at) {
                self.timers.remove(at, Timer::Relax(sid));
            }
            (now.since, now.told) = (c.since, c.told);
            if let Some(at) = c.relax_at {
                self.timers.insert(at, Timer::Relax(sid));
            }
        }
        self.dispatch_queue(queue);
    }

    /// The customer entered `queue` with these attributes: its need there, and its
    /// first relaxation deadline.
    pub(crate) fn bind_customer(&mut self, sid: SessionId, queue: QueueId, attrs: Option<Arc<Attributes>>) {
        let need = self.skill_book.queues.get(&queue);
        if need.is_none() && attrs.is_none() {
            return;
        }
        let attrs = attrs.unwrap_or_default();
        let app = self.queues[&queue].app;
        let relax_s = need.map_or(0, |n| n.req.relax_s);
        let need = need.map(|n| {
            let book = self.skill_book.apps.get(&app);
            n.expr.bind(&attrs, &|name| book.and_then(|b| b.position(name)))
        });
        let relax_at = (need.is_some() && relax_s > 0).then(|| self.now.plus_secs(relax_s.into()));
        if let Some(at) = relax_at {
            self.timers.insert(at, Timer::Relax(sid));
        }
        let relax_s = if need.is_some() { relax_s } else { 0 };
        let since = self.now;
        self.skill_book.customers.insert(sid, CustomerSkills { attrs, need, since, relax_s, told: 0, relax_at });
    }

    /// The customer left its queue: its attributes (for a move) and no deadline.
    pub(crate) fn unbind_customer(&mut self, sid: SessionId) -> Option<Arc<Attributes>> {
        let c = self.skill_book.customers.remove(&sid)?;
        if let Some(at) = c.relax_at {
            self.timers.remove(at, Timer::Relax(sid));
        }
        (!c.attrs.is_empty()).then_some(c.attrs)
    }

    /// A customer's attributes while it queues (for agents' views).
    pub(crate) fn attributes_of(&self, sid: SessionId) -> Option<Arc<Attributes>> {
        self.skill_book.customers.get(&sid).map(|c| c.attrs.clone()).filter(|a| !a.is_empty())
    }

    /// A customer's relaxation deadline passed: one step down, told, and offered if an
    /// agent now matches.
    pub(crate) fn relax_due(&mut self, sid: SessionId, at: Time) {
        let Some(c) = self.skill_book.customers.get_mut(&sid).filter(|c| c.relax_at == Some(at)) else { return };
        c.told += 1;
        let step = c.told;
        let queue = self.sessions[&sid].queuing.as_ref().expect("a bound customer queues").queue;
        c.relax_at = (step < RELAX_STEPS).then(|| c.since.plus_secs(u64::from(c.relax_s) * u64::from(step + 1)));
        if let Some(next) = c.relax_at {
            self.timers.insert(next, Timer::Relax(sid));
        }
        self.notify(sid, Notice::RequirementRelaxed { queue, step });
        let phase = if self.sessions[&sid].queuing.as_ref().is_some_and(|q| q.offer.is_some()) {
            AcdPhase::Calling
        } else {
            AcdPhase::Waiting
        };
        self.acd_relaxed(sid, phase, step);
        self.dispatch_queue(queue);
    }

    /// The levels of an agent session (catalog order; empty: none).
    pub(crate) fn skill_levels(&self, agent: SessionId) -> &[u8] {
        if self.skill_book.queues.is_empty() {
            return &[];
        }
        let s = &self.sessions[&agent];
        let levels = self.skill_book.apps.get(&s.app).and_then(|a| a.agents.get(&s.user_id));
        levels.map_or(&[], |a| a.levels.as_slice())
    }

    /// Whether an agent with `levels` meets the customer's requirement now.
    pub(crate) fn meets(&self, customer: SessionId, levels: &[u8]) -> bool {
        match self.skill_book.customers.get(&customer) {
            Some(c @ CustomerSkills { need: Some(need), .. }) => {
                let step = c.step_at(self.now);
                step >= RELAX_STEPS || need.met_by(levels, step)
            }
            _ => true,
        }
    }

    /// Whether any queue has a requirement (the dispatcher's fast path when none does).
    pub(crate) fn any_requirement(&self) -> bool {
        !self.skill_book.queues.is_empty()
    }

    /// A queue is deleted: its requirement goes.
    pub(crate) fn forget_queue_requirement(&mut self, queue: QueueId) {
        self.skill_book.queues.remove(&queue);
    }

    /// Skills: every bound customer queues; a customer with a need and a step below the
    /// last has a relaxation timer exactly when its queue relaxes.
    pub(crate) fn check_skill_state(&self) -> Result<(), String> {
        for (sid, c) in &self.skill_book.customers {
            let queue = self.sessions.get(sid).and_then(|s| s.queuing.as_ref()).map(|q| q.queue);
            let Some(queue) = queue else { return Err(format!("skills kept for {sid}, which does not queue")) };
            let has_need = self.skill_book.queues.contains_key(&queue);
            if c.need.is_some() != has_need {
                return Err(format!("customer {sid}: bound need {} but queue has one {has_need}", c.need.is_some()));
            }
            let timers = self.timers.count(Timer::Relax(*sid));
            if timers != c.relax_at.into_iter().collect::<Vec<_>>() {
                return Err(format!("customer {sid}: relaxation at {:?} but timers {timers:?}", c.relax_at));
            }
        }
        Ok(())
    }
}
