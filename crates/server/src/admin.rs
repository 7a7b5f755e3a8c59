//! App and queue administration on the hub: the engine validates and applies, the store
//! persists; a failed write is rolled back in the engine.

use std::sync::Arc;

use lineup_engine::{
    AcdError, AgentPolicy, AgentReason, AppSettings, CustomerCalls, Input, QueueChange, QueueDef, QueueId,
    QueueRequirement, QueueRouting, Reply,
};
use lineup_protocol::fields::clip;
use lineup_protocol::rest::{
    AgentReasonBody, AgentReasonsBody, AgentSkillsBody, AppSettingsBody, QueueFields, QueueQueryData, QueueRecord,
    SkillCatalogBody,
};

pub use crate::admin_error::AdminError;
use crate::auth;
use crate::clock::now;
use crate::hub::{AppRecord, Hub};
use crate::store::{AppRow, Recording};

/// Web API names of the engine's queue fields.
fn web_field(field: &str) -> &str {
    match field {
        "name" => "QueueName",
        "desc" => "QueDesc",
        "prio" => "Priority",
        "max_wait_s" => "MaxWaitSeconds",
        "max_len" => "MaxLength",
        "wrapup_s" => "WrapUpSeconds",
        "hold_s" => "holdSeconds",
        "offer_timeout_s" => "offerTimeoutSeconds",
        "notice_interval_ms" => "noticeIntervalMs",
        "service_level_s" => "serviceLevelSeconds",
        "reoffer_delay_s" => "reofferDelaySeconds",
        "call_timeout_s" => "callTimeoutSeconds",
        other => other,
    }
}

impl From<AcdError> for AdminError {
    fn from(e: AcdError) -> Self {
        match e {
            AcdError::InvalidParam { field, reason } => Self::bad(format!("invalid {}: {reason}", web_field(field))),
            AcdError::QueueNameExists(name) => {
                AdminError::NameConflict(format!("a queue named '{name}' already exists"))
            }
            AcdError::QueueInvalid(id) => AdminError::NotFound(format!("no queue {id} in this app")),
            AcdError::UnknownApp(app) => AdminError::NoApp(format!("no app '{app}'")),
            AcdError::NoUser(why) => AdminError::NotFound(why.into()),
            AcdError::ServiceNotStarted(why) => AdminError::NameConflict(why.into()),
            AcdError::QueueFull(id) => AdminError::Conflict(format!("queue {id} is full")),
            other => AdminError::Internal(other.to_string()),
        }
    }
}

/// Checks `Authorization: Bearer <md5(appSecret)>` for the app.
pub fn check_secret(hub: &Hub, app: &str, bearer: Option<&str>) -> Result<(), AdminError> {
    let record = hub
        .apps
        .get(app)
        .ok_or_else(|| AdminError::NoApp(format!("no app '{}'", lineup_protocol::fields::clip(app))))?;
    let Some(key) = bearer else {
        return Err(AdminError::Unauthorized("missing Authorization: Bearer <md5 of the app secret>".into()));
    };
    if !auth::same(&key.to_ascii_lowercase(), &record.md5_secret) {
        return Err(AdminError::WrongSecret);
    }
    Ok(())
}

/// Registers an app (engine + store); used at first start and by `POST /api/v1/apps`.
/// Checks a new app's id and secret.
pub fn check_new_app(id: &str, secret: &str) -> Result<(), AdminError> {
    check_app_id(id)?;
    if secret.is_empty() || secret.len() > 256 {
        return Err(AdminError::bad("invalid appSecret: 1 to 256 characters"));
    }
    Ok(())
}

/// Checks an app id's form (1 to 64 of A-Z a-z 0-9 - _).
pub fn check_app_id(id: &str) -> Result<(), AdminError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AdminError::bad("invalid appID: 1 to 64 characters of A-Z a-z 0-9 - _"));
    }
    Ok(())
}

/// 409: an app of this id exists.
pub fn app_exists(id: &str) -> AdminError {
    AdminError::NameConflict(format!("app '{id}' already exists"))
}

pub fn create_app(hub: &mut Hub, id: &str, secret: &str) -> Result<(), AdminError> {
    check_new_app(id, secret)?;
    if hub.apps.contains_key(id) {
        return Err(app_exists(id));
    }
    let settings = AppSettings::default();
    hub.input(Input::PutApp { app: id.into(), settings: settings.clone() })?;
    let row = AppRow { id: id.into(), secret: secret.into(), settings };
    hub.store.insert_app(&row, now().as_millis()).map_err(AdminError::store)?;
    hub.apps.insert(
        id.into(),
        AppRecord {
            secret: secret.into(),
            md5_secret: auth::md5_hex(secret),
            record_calls: false,
            record_on_demand: false,
        },
    );
    Ok(())
}

fn record(hub: &Hub, id: QueueId) -> QueueRecord {
    let app = hub.engine.queue_app(id).expect("live queue").to_string();
    let info = hub.engine.queue(&app, id).expect("live queue");
    let status = hub.engine.queue_status(id).expect("live queue");
    let routing = hub.engine.queue_routing(id);
    let requirement = hub.engine.queue_requirement(id);
    let (created, updated) = hub.store.queue_times(id).ok().flatten().unwrap_or((0, 0));
    QueueRecord {
        queue_id: id.0,
        queue_name: info.def.name.to_string(),
        priority: info.def.prio,
        que_desc: info.def.desc.to_string(),
        max_wait_seconds: info.def.max_wait_s.unwrap_or(0),
        max_length: info.def.max_len.unwrap_or(0),
        wrap_up_seconds: info.def.wrapup_s,
        create_time: crate::clock::datetime(created),
        update_time: crate::clock::datetime(updated),
        agent_num: status.agent_num,
        srv_num: status.srv_num,
        wait_num: status.wait_num,
        overflow_seconds: routing.overflow_to.map(|_| routing.overflow_after_s),
        overflow_queue_id: routing.overflow_to.map(|q| q.0),
        aging_seconds: (routing.aging_s > 0).then_some(routing.aging_s),
        requirement: requirement.as_ref().map(|r| r.text.to_string()),
        relax_seconds: requirement.map(|r| r.relax_s),
    }
}

/// The queue's requirement with the fields' changes applied, if they touch it.
fn requirement_of(old: Option<QueueRequirement>, f: &QueueFields) -> Option<QueueRequirement> {
    if f.requirement.is_none() && f.relax_seconds.is_none() {
        return None;
    }
    let old = old.unwrap_or_default();
    Some(QueueRequirement {
        text: f.requirement.as_deref().map_or(old.text, Arc::from),
        relax_s: f.relax_seconds.unwrap_or(old.relax_s),
    })
}

/// The queue's routing with the fields' changes applied (0 turns a setting off).
fn routing_of(mut r: QueueRouting, f: &QueueFields) -> QueueRouting {
    if let Some(s) = f.overflow_seconds {
        r.overflow_after_s = s;
        if s == 0 {
            r.overflow_to = None;
        }
    }
    if let Some(q) = f.overflow_queue_id {
        r.overflow_to = (q > 0).then_some(QueueId(q));
        if q == 0 {
            r.overflow_after_s = 0;
        }
    }
    if let Some(a) = f.aging_seconds {
        r.aging_s = a;
    }
    r
}

fn touches_routing(f: &QueueFields) -> bool {
    f.overflow_seconds.is_some() || f.overflow_queue_id.is_some() || f.aging_seconds.is_some()
}

fn limit(v: Option<u32>) -> Option<u32> {
    v.filter(|v| *v > 0)
}

pub fn create_queue(hub: &mut Hub, app: &str, f: QueueFields) -> Result<QueueRecord, AdminError> {
    if f.new_queue_name.is_some() {
        return Err(AdminError::bad("NewQueueName is for modifying a queue; use QueueName"));
    }
    let routing = routing_of(QueueRouting::default(), &f);
    let set_routing = touches_routing(&f);
    let requirement = requirement_of(None, &f);
    let name = f.queue_name.ok_or_else(|| AdminError::bad("QueueName is required"))?;
    let def = QueueDef {
        name: name.into(),
        desc: f.que_desc.unwrap_or_default().into(),
        prio: f.priority.unwrap_or(10),
        max_wait_s: limit(f.max_wait_seconds),
        max_len: limit(f.max_length),
        wrapup_s: f.wrap_up_seconds.unwrap_or(0),
    };
    // Checked first: a queue is made with its routing and requirement or not at all.
    hub.engine.check_routing(app, None, &routing)?;
    if let Some(r) = &requirement {
        hub.engine.check_requirement(app, r)?;
    }
    let Reply::Queue(info) = hub.input(Input::CreateQueue { app: app.into(), id: None, def })? else {
        unreachable!("CreateQueue replies Queue")
    };
    if set_routing {
        hub.input(Input::PutQueueRouting { app: app.into(), queue: info.queue, routing })?;
    }
    if let Some(requirement) = requirement {
        hub.input(Input::PutQueueRequirement { app: app.into(), queue: info.queue, requirement })?;
    }
    if hub.config.fault_queue_name.as_deref() == Some(&*info.def.name) {
        panic!("injected fault: creating queue '{}'", info.def.name);
    }
    if let Err(e) = hub.store.insert_queue(app, info.queue, &info.def, now().as_millis()) {
        let _ = hub.input(Input::DeleteQueue { app: app.into(), queue: info.queue });
        return Err(AdminError::store(e));
    }
    Ok(record(hub, info.queue))
}

pub fn modify_queue(hub: &mut Hub, app: &str, id: QueueId, f: QueueFields) -> Result<QueueRecord, AdminError> {
    if f.queue_name.is_some() {
        return Err(AdminError::bad("QueueName identifies a queue; to rename it, send NewQueueName"));
    }
    let old = hub.engine.queue(app, id).ok_or(AcdError::QueueInvalid(id))?;
    let routing = routing_of(hub.engine.queue_routing(id), &f);
    let set_routing = touches_routing(&f);
    hub.engine.check_routing(app, Some(id), &routing)?;
    let requirement = requirement_of(hub.engine.queue_requirement(id), &f);
    if let Some(r) = &requirement {
        hub.engine.check_requirement(app, r)?;
    }
    let change = QueueChange {
        name: f.new_queue_name.map(Arc::from),
        desc: f.que_desc.map(Arc::from),
        prio: f.priority,
        max_wait_s: f.max_wait_seconds.map(|v| limit(Some(v))),
        max_len: f.max_length.map(|v| limit(Some(v))),
        wrapup_s: f.wrap_up_seconds,
    };
    let Reply::Queue(info) = hub.input(Input::ModifyQueue { app: app.into(), queue: id, change })? else {
        unreachable!("ModifyQueue replies Queue")
    };
    if let Err(e) = hub.store.update_queue(id, &info.def, now().as_millis()) {
        let undo = QueueChange {
            name: Some(old.def.name.clone()),
            desc: Some(old.def.desc.clone()),
            prio: Some(old.def.prio),
            max_wait_s: Some(old.def.max_wait_s),
            max_len: Some(old.def.max_len),
            wrapup_s: Some(old.def.wrapup_s),
        };
        let _ = hub.input(Input::ModifyQueue { app: app.into(), queue: id, change: undo });
        return Err(AdminError::store(e));
    }
    if set_routing {
        hub.input(Input::PutQueueRouting { app: app.into(), queue: id, routing })?;
    }
    if let Some(requirement) = requirement {
        hub.input(Input::PutQueueRequirement { app: app.into(), queue: id, requirement })?;
    }
    Ok(record(hub, id))
}

pub fn delete_queue(hub: &mut Hub, app: &str, id: QueueId) -> Result<(), AdminError> {
    hub.engine.queue(app, id).ok_or(AcdError::QueueInvalid(id))?;
    hub.store.delete_queue(id).map_err(AdminError::store)?;
    hub.input(Input::DeleteQueue { app: app.into(), queue: id })?;
    Ok(())
}

pub fn get_queue(hub: &Hub, app: &str, id: QueueId) -> Result<QueueRecord, AdminError> {
    hub.engine.queue(app, id).ok_or(AcdError::QueueInvalid(id))?;
    Ok(record(hub, id))
}

/// The filters of CloudRoom's queue/query.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// Exactly this queue.
    pub queue: Option<QueueId>,
    /// Name contains this (case-insensitive).
    pub name: Option<String>,
    /// Description contains this (case-insensitive).
    pub desc: Option<String>,
}

/// CloudRoom queue/query: filters, paging (PageSize 1–50).
pub fn query_queues(
    hub: &Hub,
    app: &str,
    filter: &QueueFilter,
    page: u32,
    size: u32,
) -> Result<QueueQueryData, AdminError> {
    if !(1..=50).contains(&size) {
        return Err(AdminError::bad(format!("invalid PageSize: {size}, must be 1 to 50")));
    }
    if page == 0 {
        return Err(AdminError::bad("invalid PageNumber: pages start at 1"));
    }
    let contains = |hay: &str, needle: &Option<String>| {
        needle.as_ref().is_none_or(|n| hay.to_lowercase().contains(&n.to_lowercase()))
    };
    let matching: Vec<_> = hub
        .engine
        .queues(app)
        .into_iter()
        .filter(|q| filter.queue.is_none_or(|id| id == q.queue))
        .filter(|q| contains(&q.def.name, &filter.name) && contains(&q.def.desc, &filter.desc))
        .collect();
    // Client numbers: no arithmetic that can overflow (a page past the end is empty).
    let skip = u64::from(page - 1).saturating_mul(u64::from(size));
    let queue_list = matching
        .iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(size as usize)
        .map(|q| record(hub, q.queue))
        .collect();
    Ok(QueueQueryData { queue_count: matching.len() as u32, queue_list })
}

/// The app's settings on the wire: the engine's, the agent-state rules' limit, and how
/// its calls are recorded.
pub fn settings_body(s: &AppSettings, policy: Option<AgentPolicy>, app: Option<&AppRecord>) -> AppSettingsBody {
    AppSettingsBody {
        hold_seconds: Some(s.hold_s),
        offer_timeout_seconds: Some(s.offer_timeout_s),
        notice_interval_ms: Some(s.notice_interval_ms),
        service_level_seconds: Some(s.service_level_s),
        reoffer_delay_seconds: Some(s.reoffer_delay_s),
        call_timeout_seconds: Some(s.call_timeout_s),
        customer_calls: Some(s.customer_calls.name().into()),
        queue_user_notices: Some(s.queue_user_notices),
        record_calls: Some(app.is_some_and(|a| a.record_calls)),
        record_on_demand: Some(app.is_some_and(|a| a.record_on_demand)),
        service_level_target: Some(policy.as_ref().map_or(80, |p| p.service_level_target_pct)),
        utc_offset_minutes: Some(policy.as_ref().map_or(0, |p| p.utc_offset_min)),
        callback_expiry_seconds: Some(
            policy.as_ref().map_or(lineup_engine::DEFAULT_CALLBACK_EXPIRY_S, |p| p.callback_expiry_s),
        ),
        max_missed_offers: Some(policy.map_or(0, |p| p.max_missed_offers)),
    }
}

pub fn put_settings(hub: &mut Hub, app: &str, b: AppSettingsBody) -> Result<AppSettingsBody, AdminError> {
    let mut s = hub.engine.app_settings(app).cloned().ok_or(AcdError::UnknownApp(app.into()))?;
    s.hold_s = b.hold_seconds.unwrap_or(s.hold_s);
    s.offer_timeout_s = b.offer_timeout_seconds.unwrap_or(s.offer_timeout_s);
    s.notice_interval_ms = b.notice_interval_ms.unwrap_or(s.notice_interval_ms);
    s.service_level_s = b.service_level_seconds.unwrap_or(s.service_level_s);
    s.reoffer_delay_s = b.reoffer_delay_seconds.unwrap_or(s.reoffer_delay_s);
    s.call_timeout_s = b.call_timeout_seconds.unwrap_or(s.call_timeout_s);
    if let Some(v) = &b.customer_calls {
        s.customer_calls = CustomerCalls::parse(v).ok_or_else(|| {
            AdminError::bad(format!("invalid customerCalls: \"{}\" must be \"serving_agent\" or \"anyone\"", clip(v)))
        })?;
    }
    s.queue_user_notices = b.queue_user_notices.unwrap_or(s.queue_user_notices);
    s.validate()?;
    let touched = [b.max_missed_offers.is_some(), b.service_level_target.is_some(), b.utc_offset_minutes.is_some()];
    let policy = (touched.contains(&true) || b.callback_expiry_seconds.is_some()).then(|| {
        let p = hub.engine.agent_policy(app).unwrap_or_default();
        AgentPolicy {
            max_missed_offers: b.max_missed_offers.unwrap_or(p.max_missed_offers),
            service_level_target_pct: b.service_level_target.unwrap_or(p.service_level_target_pct),
            utc_offset_min: b.utc_offset_minutes.unwrap_or(p.utc_offset_min),
            callback_expiry_s: b.callback_expiry_seconds.unwrap_or(p.callback_expiry_s),
            ..p
        }
    });
    if let Some(p) = &policy {
        // Checked before anything is stored.
        p.check_limits()?;
    }
    hub.store.update_app_settings(app, &s).map_err(AdminError::store)?;
    hub.input(Input::PutApp { app: app.into(), settings: s.clone() })?;
    if let Some(policy) = policy {
        hub.input(Input::PutAgentPolicy { app: app.into(), policy })?;
    }
    if let Some(on) = b.record_calls {
        hub.store.set_recording(app, Recording::EveryCall, on).map_err(AdminError::store)?;
        if let Some(a) = hub.apps.get_mut(app) {
            a.record_calls = on;
        }
    }
    if let Some(on) = b.record_on_demand {
        hub.store.set_recording(app, Recording::OnDemand, on).map_err(AdminError::store)?;
        if let Some(a) = hub.apps.get_mut(app) {
            a.record_on_demand = on;
        }
    }
    Ok(settings_body(&s, hub.engine.agent_policy(app), hub.apps.get(app)))
}

/// Moves a waiting customer of queue `id` to another queue (administration).
pub fn forward(
    hub: &mut Hub,
    app: &str,
    id: QueueId,
    f: lineup_protocol::rest::ForwardRequest,
) -> Result<lineup_protocol::rest::ForwardData, AdminError> {
    hub.input(Input::ForwardUser {
        app: app.into(),
        queue: id,
        user_id: f.usr_id.as_str().into(),
        to_queue: QueueId(f.to_que_id),
    })?;
    Ok(lineup_protocol::rest::ForwardData { usr_id: f.usr_id, from_que_id: id.0, to_que_id: f.to_que_id })
}

/// The app's table of agent reasons.
pub fn reasons(hub: &Hub, app: &str) -> Result<AgentReasonsBody, AdminError> {
    let policy = hub.engine.agent_policy(app).ok_or(AcdError::UnknownApp(app.into()))?;
    let reasons = policy
        .reasons
        .iter()
        .map(|r| AgentReasonBody { dnd_type: r.code, label: r.label.to_string(), manual_pulls: r.manual_pulls })
        .collect();
    Ok(AgentReasonsBody { reasons })
}

/// Replaces the app's table of agent reasons (the engine checks it, naming the entry).
pub fn put_reasons(hub: &mut Hub, app: &str, b: AgentReasonsBody) -> Result<AgentReasonsBody, AdminError> {
    let policy = hub.engine.agent_policy(app).ok_or(AcdError::UnknownApp(app.into()))?;
    let table = b
        .reasons
        .into_iter()
        .map(|r| AgentReason { code: r.dnd_type, label: r.label.as_str().into(), manual_pulls: r.manual_pulls })
        .collect();
    hub.input(Input::PutAgentPolicy { app: app.into(), policy: AgentPolicy { reasons: table, ..policy } })?;
    reasons(hub, app)
}

/// The app's skills (`GET/PUT .../skills`).
pub fn skill_catalog(hub: &Hub, app: &str) -> Result<SkillCatalogBody, AdminError> {
    let skills = hub.engine.skill_catalog(app)?;
    Ok(SkillCatalogBody { skills: skills.iter().map(|s| s.to_string()).collect() })
}

pub fn put_skill_catalog(hub: &mut Hub, app: &str, b: SkillCatalogBody) -> Result<SkillCatalogBody, AdminError> {
    let skills = b.skills.iter().map(|s| s.as_str().into()).collect();
    hub.input(Input::PutSkillCatalog { app: app.into(), skills })?;
    skill_catalog(hub, app)
}

/// An agent's skills (`GET/PUT .../agents/{agent}/skills`).
pub fn agent_skills(hub: &Hub, app: &str, agent: &str) -> Result<AgentSkillsBody, AdminError> {
    let skills = hub.engine.agent_skills(app, agent)?;
    Ok(AgentSkillsBody { skills: skills.into_iter().map(|(n, l)| (n.to_string(), l)).collect() })
}

pub fn put_agent_skills(
    hub: &mut Hub,
    app: &str,
    agent: &str,
    b: AgentSkillsBody,
) -> Result<AgentSkillsBody, AdminError> {
    if agent.is_empty() || agent.len() > 64 {
        return Err(AdminError::bad("invalid agent: a user id of 1 to 64 characters"));
    }
    let skills = b.skills.iter().map(|(n, l)| (n.as_str().into(), *l)).collect();
    hub.input(Input::PutAgentSkills { app: app.into(), user_id: agent.into(), skills })?;
    agent_skills(hub, app, agent)
}
