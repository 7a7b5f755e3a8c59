//! REST for webhooks: the app's business service (AnyChat's callback URL and checked
//! event types), agent event subscriptions (seed 001's resource), limits, the delivery
//! log and resending dead deliveries. Authenticated by the app secret.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lineup_engine::Input;
use serde::{Deserialize, Serialize};

use super::{admin_error, body, with_app};
use crate::admin_error::AdminError;
use crate::clock::now;
use crate::hub::Hub;
use crate::webhooks::store::{self, Hook};
use crate::webhooks::{check_url, AGENT_EVENT_TYPES, BUSINESS_KINDS};
use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BusinessBody {
    /// http(s) URL of the receiver.
    #[schema(pattern = "^https?://")]
    url: String,
    /// Any of queue_change, acd_state, call_event, recording, callback.
    #[schema(min_items = 1)]
    events: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct BusinessData {
    url: Option<String>,
    events: Vec<String>,
}

/// Seed 001's agent event: `{url, event_type, method}` (all optional on PUT).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AgentEventBody {
    /// http(s) URL of the receiver.
    #[schema(pattern = "^https?://")]
    url: Option<String>,
    /// agent-login, agent-logout, agent-ready, agent-not-ready or agent-no-answer.
    #[schema(pattern = "^(agent-login|agent-logout|agent-ready|agent-not-ready|agent-no-answer)$")]
    event_type: Option<String>,
    /// GET or POST.
    #[schema(pattern = "^(GET|POST)$")]
    method: Option<String>,
}

/// The reply echoes `{id, url, method, event_type}` (seed 001).
#[derive(Serialize, utoipa::ToSchema)]
struct AgentEventData {
    id: i64,
    url: String,
    method: String,
    event_type: String,
}

impl From<&Hook> for AgentEventData {
    fn from(h: &Hook) -> Self {
        AgentEventData { id: h.id, url: h.url.clone(), method: h.method.clone(), event_type: h.event_type.clone() }
    }
}

fn business(hub: &Hub, app: &str) -> BusinessData {
    match hub.webhooks.hooks.iter().find(|h| h.app == app && h.family == "business") {
        Some(h) => {
            BusinessData { url: Some(h.url.clone()), events: h.event_type.split(',').map(String::from).collect() }
        }
        None => BusinessData { url: None, events: Vec::new() },
    }
}

/// `GET /api/v1/apps/{app}/webhook`.
#[utoipa::path(get, path = "/apps/{app}/webhook", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "The business service: URL and checked event kinds", body = lineup_protocol::rest::AdminResponse<BusinessData>), super::openapi::ApiErrors))]
pub async fn get_business(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, |hub, app| Ok(business(hub, app))).await
}

/// `PUT /api/v1/apps/{app}/webhook` with `{url, events}`: the business service.
#[utoipa::path(put, path = "/apps/{app}/webhook", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)")), request_body = BusinessBody, security(("appSecret" = [])), responses((status = 200, description = "The business service as set", body = lineup_protocol::rest::AdminResponse<BusinessData>), super::openapi::ApiErrors))]
pub async fn put_business(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        let b: BusinessBody = body(&bytes)?;
        check_url(&b.url).map_err(AdminError::bad)?;
        hub.webhook_policy().check_url_host(&b.url).map_err(AdminError::bad)?;
        if b.events.is_empty() {
            return Err(AdminError::bad(format!("events: check at least one of {}", BUSINESS_KINDS.join(", "))));
        }
        if let Some(bad) = b.events.iter().find(|e| !BUSINESS_KINDS.contains(&e.as_str())) {
            return Err(AdminError::bad(format!("events: unknown event type '{bad}' ({})", BUSINESS_KINDS.join(", "))));
        }
        let mut events = b.events.clone();
        events.sort();
        events.dedup();
        let conn = hub.store.conn();
        let existing = hub.webhooks.hooks.iter().find(|h| h.app == app && h.family == "business").cloned();
        let hook = Hook {
            id: existing.as_ref().map_or(0, |h| h.id),
            app: app.into(),
            family: "business".into(),
            agent_id: None,
            event_type: events.join(","),
            url: b.url,
            method: "POST".into(),
        };
        match existing {
            Some(_) => store::update_hook(conn, &hook).map_err(AdminError::store)?,
            None => {
                let id = store::insert_hook(conn, &hook, now().as_millis()).map_err(AdminError::store)?;
                hub.webhooks.hooks.push(Hook { id, ..hook.clone() });
            }
        }
        if let Some(h) = hub.webhooks.hooks.iter_mut().find(|h| h.id == hook.id && hook.id != 0) {
            *h = hook;
        }
        Ok(business(hub, app))
    })
    .await
}

/// `DELETE /api/v1/apps/{app}/webhook`: back to the default (nothing sent).
#[utoipa::path(delete, path = "/apps/{app}/webhook", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "No business service any more", body = lineup_protocol::rest::AdminResponse<BusinessData>), super::openapi::ApiErrors))]
pub async fn delete_business(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, |hub, app| {
        if let Some(id) = hub.webhooks.hooks.iter().find(|h| h.app == app && h.family == "business").map(|h| h.id) {
            store::delete_hook(hub.store.conn(), id, now().as_millis()).map_err(AdminError::store)?;
            hub.webhooks.hooks.retain(|h| h.id != id);
        }
        Ok(business(hub, app))
    })
    .await
}

fn check_agent_event(
    b: &AgentEventBody,
    creating: bool,
    policy: &crate::webhooks::addr::Policy,
) -> Result<(), AdminError> {
    let need = |field: &str| AdminError::bad(format!("{field} is required"));
    if creating && (b.url.is_none() || b.event_type.is_none() || b.method.is_none()) {
        return Err(need(if b.url.is_none() {
            "url"
        } else if b.event_type.is_none() {
            "event_type"
        } else {
            "method"
        }));
    }
    if let Some(u) = &b.url {
        check_url(u).map_err(AdminError::bad)?;
        policy.check_url_host(u).map_err(AdminError::bad)?;
    }
    if let Some(t) = &b.event_type {
        if !AGENT_EVENT_TYPES.contains(&t.as_str()) {
            return Err(AdminError::bad(format!("invalid event_type: '{t}' ({})", AGENT_EVENT_TYPES.join(", "))));
        }
    }
    if let Some(m) = &b.method {
        if m != "GET" && m != "POST" {
            return Err(AdminError::bad(format!("invalid method: '{m}' (GET or POST)")));
        }
    }
    Ok(())
}

fn agent_hook<'a>(hub: &'a Hub, app: &str, agent: &str, id: &str) -> Result<&'a Hook, AdminError> {
    let id: i64 = id.parse().map_err(|_| AdminError::bad(format!("invalid event_id '{id}': not a number")))?;
    hub.webhooks
        .hooks
        .iter()
        .find(|h| h.id == id && h.app == app && h.family == "agent" && h.agent_id.as_deref() == Some(agent))
        .ok_or_else(|| AdminError::NotFound(format!("no agent event {id} for agent '{agent}'")))
}

/// `POST /api/v1/apps/{app}/agents/{agent_id}/events`.
#[utoipa::path(post, path = "/apps/{app}/agents/{agent}/events", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID")), request_body = AgentEventBody, security(("appSecret" = [])), responses((status = 200, description = "The subscription (seed 001)", body = lineup_protocol::rest::AdminResponse<AgentEventData>), super::openapi::ApiErrors))]
pub async fn create_agent_event(
    State(state): State<AppState>,
    Path((app, agent)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let max = state.config.max_agent_hooks;
    with_app(&state, app, &headers, move |hub, app| {
        let b: AgentEventBody = body(&bytes)?;
        check_agent_event(&b, true, &hub.webhook_policy())?;
        let used = hub.webhooks.hooks.iter().filter(|h| h.app == app && h.family == "agent").count();
        if used >= max as usize {
            return Err(AdminError::Conflict(format!(
                "limit reached: {max} agent event subscriptions per app (GET /api/v1/apps/{app}/limits)"
            )));
        }
        let mut hook = Hook {
            id: 0,
            app: app.into(),
            family: "agent".into(),
            agent_id: Some(agent),
            event_type: b.event_type.expect("checked"),
            url: b.url.expect("checked"),
            method: b.method.expect("checked"),
        };
        hook.id = store::insert_hook(hub.store.conn(), &hook, now().as_millis()).map_err(AdminError::store)?;
        let data = AgentEventData::from(&hook);
        hub.webhooks.hooks.push(hook);
        Ok(data)
    })
    .await
}

/// `GET /api/v1/apps/{app}/agents/{agent_id}/events`.
#[utoipa::path(get, path = "/apps/{app}/agents/{agent}/events", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID")), security(("appSecret" = [])), responses((status = 200, description = "The agent's subscriptions", body = lineup_protocol::rest::AdminResponse<Vec<AgentEventData>>), super::openapi::ApiErrors))]
pub async fn list_agent_events(
    State(state): State<AppState>,
    Path((app, agent)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        Ok(hub
            .webhooks
            .hooks
            .iter()
            .filter(|h| h.app == app && h.family == "agent" && h.agent_id.as_deref() == Some(agent.as_str()))
            .map(AgentEventData::from)
            .collect::<Vec<_>>())
    })
    .await
}

/// `GET /api/v1/apps/{app}/agents/{agent_id}/events/{event_id}`.
#[utoipa::path(get, path = "/apps/{app}/agents/{agent}/events/{id}", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID"), ("id" = i64, Path, description = "The subscription id")), security(("appSecret" = [])), responses((status = 200, description = "One subscription", body = lineup_protocol::rest::AdminResponse<AgentEventData>), super::openapi::ApiErrors))]
pub async fn get_agent_event(
    State(state): State<AppState>,
    Path((app, agent, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| agent_hook(hub, app, &agent, &id).map(AgentEventData::from)).await
}

/// `PUT /api/v1/apps/{app}/agents/{agent_id}/events/{event_id}`: any subset.
#[utoipa::path(put, path = "/apps/{app}/agents/{agent}/events/{id}", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID"), ("id" = i64, Path, description = "The subscription id")), request_body = AgentEventBody, security(("appSecret" = [])), responses((status = 200, description = "The subscription as changed", body = lineup_protocol::rest::AdminResponse<AgentEventData>), super::openapi::ApiErrors))]
pub async fn update_agent_event(
    State(state): State<AppState>,
    Path((app, agent, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        let b: AgentEventBody = body(&bytes)?;
        check_agent_event(&b, false, &hub.webhook_policy())?;
        let mut hook = agent_hook(hub, app, &agent, &id)?.clone();
        hook.url = b.url.unwrap_or(hook.url);
        hook.event_type = b.event_type.unwrap_or(hook.event_type);
        hook.method = b.method.unwrap_or(hook.method);
        store::update_hook(hub.store.conn(), &hook).map_err(AdminError::store)?;
        let data = AgentEventData::from(&hook);
        if let Some(h) = hub.webhooks.hooks.iter_mut().find(|h| h.id == hook.id) {
            *h = hook;
        }
        Ok(data)
    })
    .await
}

/// `DELETE /api/v1/apps/{app}/agents/{agent_id}/events/{event_id}`.
#[utoipa::path(delete, path = "/apps/{app}/agents/{agent}/events/{id}", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID"), ("id" = i64, Path, description = "The subscription id")), security(("appSecret" = [])), responses((status = 200, description = "The subscription deleted", body = lineup_protocol::rest::AdminResponse<AgentEventData>), super::openapi::ApiErrors))]
pub async fn delete_agent_event(
    State(state): State<AppState>,
    Path((app, agent, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        let hook = agent_hook(hub, app, &agent, &id)?.clone();
        store::delete_hook(hub.store.conn(), hook.id, now().as_millis()).map_err(AdminError::store)?;
        hub.webhooks.hooks.retain(|h| h.id != hook.id);
        Ok(AgentEventData::from(&hook))
    })
    .await
}

/// `GET /api/v1/apps/{app}/limits`.
#[utoipa::path(get, path = "/apps/{app}/limits", tag = "apps", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "Per-app limits and their use", body = lineup_protocol::rest::AdminResponse<super::openapi::Limits>), super::openapi::ApiErrors))]
pub async fn limits(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    let max = state.config.max_agent_hooks;
    with_app(&state, app, &headers, move |hub, app| {
        let used = hub.webhooks.hooks.iter().filter(|h| h.app == app && h.family == "agent").count();
        Ok(serde_json::json!({"agentEventSubscriptions": {"used": used, "max": max}}))
    })
    .await
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct DeliveryData {
    id: i64,
    event_id: String,
    kind: String,
    method: String,
    url: String,
    status: String,
    attempts: u32,
    last_error: Option<String>,
    created_at: String,
    done_at: Option<String>,
    body: String,
}

/// `GET .../deliveries` result.
#[derive(Serialize, utoipa::ToSchema)]
struct DeliveryList {
    deliveries: Vec<DeliveryData>,
}

impl From<store::Delivery> for DeliveryData {
    fn from(d: store::Delivery) -> Self {
        DeliveryData {
            event_id: format!("evt-{}", d.id),
            id: d.id,
            kind: d.kind,
            method: d.method,
            url: d.url,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            created_at: crate::clock::datetime(d.created_ms),
            done_at: d.done_ms.map(crate::clock::datetime),
            body: d.body,
        }
    }
}

/// `GET /api/v1/apps/{app}/deliveries?status=&limit=`: the delivery log, newest first.
#[utoipa::path(get, path = "/apps/{app}/deliveries", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("status" = Option<String>, Query, pattern = "^(pending|delivered|dead)$", description = "pending, delivered or dead"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many, newest first (default 100)")), security(("appSecret" = [])), responses((status = 200, description = "The delivery log", body = lineup_protocol::rest::AdminResponse<DeliveryList>), super::openapi::ApiErrors))]
pub async fn deliveries(
    State(state): State<AppState>,
    Path(app): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let status = params.get("status").cloned();
    if let Some(s) = &status {
        if !["pending", "delivered", "dead"].contains(&s.as_str()) {
            return admin_error(AdminError::bad(format!("invalid status: '{s}' (pending, delivered or dead)")));
        }
    }
    let limit = match super::limit_param(&params) {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    with_app(&state, app, &headers, move |hub, app| {
        let rows = store::deliveries(hub.store.conn(), app, status.as_deref(), limit).map_err(AdminError::store)?;
        Ok(DeliveryList { deliveries: rows.into_iter().map(DeliveryData::from).collect() })
    })
    .await
}

/// `POST /api/v1/apps/{app}/deliveries/{id}/resend`: a dead delivery goes again.
#[utoipa::path(post, path = "/apps/{app}/deliveries/{id}/resend", tag = "webhooks", params(("app" = String, Path, description = "The app id (appID)"), ("id" = i64, Path, description = "The delivery id")), security(("appSecret" = [])), responses((status = 200, description = "The dead delivery is pending again", body = lineup_protocol::rest::AdminResponse<super::openapi::Resent>), super::openapi::ApiErrors))]
pub async fn resend(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        let id: i64 = id.parse().map_err(|_| AdminError::bad(format!("invalid delivery id '{id}'")))?;
        let conn = hub.store.conn();
        let Some(d) = store::delivery_by_id(conn, app, id).map_err(AdminError::store)? else {
            return Err(AdminError::NotFound(format!("no delivery {id}")));
        };
        if d.status != "dead" {
            return Err(AdminError::Conflict(format!("delivery {id} is {}, only dead ones are resent", d.status)));
        }
        store::resend(conn, app, id, now().as_millis()).map_err(AdminError::store)?;
        hub.wake_webhooks = true;
        Ok(serde_json::json!({"id": id, "status": "pending"}))
    })
    .await
}

/// `DELETE /api/v1/apps/{app}/agents/{agent_id}/queues`: the agent stops serving every
/// queue (its agent-logout event says `api`).
#[utoipa::path(delete, path = "/apps/{app}/agents/{agent}/queues", tag = "agents", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID")), security(("appSecret" = [])), responses((status = 200, description = "The agent stopped serving every queue (its agent-logout event says api)", body = lineup_protocol::rest::AdminResponse<super::openapi::AgentLoggedOut>), super::openapi::ApiErrors))]
pub async fn agent_logout(
    State(state): State<AppState>,
    Path((app, agent)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        hub.input(Input::AgentLogout { app: app.into(), user_id: agent.as_str().into() })?;
        Ok(serde_json::json!({"UID": agent}))
    })
    .await
}
