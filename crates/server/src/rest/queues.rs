//! Queue administration in the spirit of CloudRoom's Web API (add, modify, delete,
//! query), app settings, status and statistics. Authenticated by the app secret.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lineup_engine::{AcdError, QueueId};
use lineup_protocol::rest::{AppCreateRequest, AppSettingsBody, QueueFields};

use super::{admin_error, admin_reply, bearer, body, with_app};
use crate::admin::{self, AdminError};
use crate::convert;
use crate::hub::Hub;
use crate::AppState;

/// Like [`with_app`] for a queue path: parses the id first.
async fn with_queue<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    (app, id): (String, String),
    headers: &HeaderMap,
    f: impl FnOnce(&mut Hub, &str, QueueId) -> Result<T, AdminError> + Send + 'static,
) -> Response {
    match queue_id(&id) {
        Ok(id) => with_app(state, app, headers, move |hub, app| f(hub, app, id)).await,
        Err(e) => admin_error(e),
    }
}

fn queue_id(raw: &str) -> Result<QueueId, AdminError> {
    raw.parse::<u32>()
        .map(QueueId)
        .map_err(|_| AdminError::bad(format!("invalid QueueID '{}': not a number", lineup_protocol::fields::clip(raw))))
}

/// Like [`with_app`] with a JSON body, parsed after the secret is checked.
async fn with_body<B, T>(
    state: &AppState,
    app: String,
    headers: &HeaderMap,
    bytes: Bytes,
    f: impl FnOnce(&mut Hub, &str, B) -> Result<T, AdminError> + Send + 'static,
) -> Response
where
    B: serde::de::DeserializeOwned,
    T: serde::Serialize + Send + 'static,
{
    with_app(state, app, headers, move |hub, app| f(hub, app, body(&bytes)?)).await
}

/// `POST /api/v1/apps` with `Authorization: Bearer <server admin key>`.
#[utoipa::path(post, path = "/apps", tag = "apps", request_body = lineup_protocol::rest::AppCreateRequest, security(("adminKey" = [])), responses((status = 200, description = "The app was created", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::AppCreated>), super::openapi::ApiErrors))]
pub async fn create_app(State(state): State<AppState>, headers: HeaderMap, bytes: Bytes) -> Response {
    let Some(expected) = state.config.admin_key.clone() else {
        return admin_error(AdminError::Forbidden("app creation is disabled (no admin key configured)".into()));
    };
    if !bearer(&headers).is_some_and(|k| crate::auth::same(&k, &expected)) {
        return admin_error(AdminError::Unauthorized("wrong or missing admin key".into()));
    }
    let req: AppCreateRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return admin_error(e),
    };
    if let Some(node) = state.cluster() {
        return super::cluster::create_app(node, req.app_id, req.app_secret).await;
    }
    admin_reply(
        state
            .call("", move |hub| {
                admin::create_app(hub, &req.app_id, &req.app_secret)
                    .map(|_| lineup_protocol::rest::AppCreated { app_id: req.app_id })
            })
            .await,
    )
}

#[utoipa::path(post, path = "/apps/{app}/queues", tag = "queues", params(("app" = String, Path, description = "The app id (appID)")), request_body = lineup_protocol::rest::QueueFields, security(("appSecret" = [])), responses((status = 200, description = "CloudRoom queue/add: the new queue", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::QueueRecord>), super::openapi::ApiErrors))]
pub async fn add(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap, bytes: Bytes) -> Response {
    with_body(&state, app, &headers, bytes, |hub, app, fields: QueueFields| admin::create_queue(hub, app, fields)).await
}

#[utoipa::path(put, path = "/apps/{app}/queues/{id}", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("id" = u32, Path, description = "The queue id (QueueID)")), request_body = lineup_protocol::rest::QueueFields, security(("appSecret" = [])), responses((status = 200, description = "CloudRoom queue/modify: the queue as changed", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::QueueRecord>), super::openapi::ApiErrors))]
pub async fn modify(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_queue(&state, path, &headers, move |hub, app, id| admin::modify_queue(hub, app, id, body(&bytes)?)).await
}

#[utoipa::path(delete, path = "/apps/{app}/queues/{id}", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("id" = u32, Path, description = "The queue id (QueueID)")), security(("appSecret" = [])), responses((status = 200, description = "CloudRoom queue/delete: its customers and agents are told", body = lineup_protocol::rest::AdminResponse<super::openapi::QueueDeleted>), super::openapi::ApiErrors))]
pub async fn delete(State(state): State<AppState>, Path(path): Path<(String, String)>, headers: HeaderMap) -> Response {
    with_queue(&state, path, &headers, |hub, app, id| {
        admin::delete_queue(hub, app, id).map(|_| serde_json::json!({"QueueID": id.0}))
    })
    .await
}

#[utoipa::path(get, path = "/apps/{app}/queues/{id}", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("id" = u32, Path, description = "The queue id (QueueID)")), security(("appSecret" = [])), responses((status = 200, description = "One queue", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::QueueRecord>), super::openapi::ApiErrors))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_queue(&state, path, &headers, |hub, app, id| admin::get_queue(hub, app, id)).await
}

/// `GET .../queues?QueueName=&PageNumber=&PageSize=`.
#[utoipa::path(get, path = "/apps/{app}/queues", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("QueueID" = Option<u32>, Query, description = "Only this queue"), ("QueueName" = Option<String>, Query, description = "Name contains"), ("QueDesc" = Option<String>, Query, description = "Description contains"), ("PageNumber" = Option<u32>, Query, minimum = 1, description = "Page, from 1 (default 1)"), ("PageSize" = Option<u32>, Query, minimum = 1, maximum = 50, description = "Queues per page, 1-50 (default 20)")), security(("appSecret" = [])), responses((status = 200, description = "CloudRoom queue/query", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::QueueQueryData>), super::openapi::ApiErrors))]
pub async fn query(
    State(state): State<AppState>,
    Path(app): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let number = |key: &str, default: u32| -> Result<u32, AdminError> {
        match params.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                let rule =
                    lineup_protocol::fields::FIELD_RULES.iter().find(|(f, _)| *f == key).map_or("a number", |(_, r)| r);
                AdminError::bad(format!("invalid {key}: must be {rule}, not '{}'", lineup_protocol::fields::clip(v)))
            }),
        }
    };
    let (page, size) = match number("PageNumber", 1).and_then(|p| Ok((p, number("PageSize", 20)?))) {
        Ok(v) => v,
        Err(e) => return admin_error(e),
    };
    let queue = match params.get("QueueID").map(|v| queue_id(v)).transpose() {
        Ok(q) => q,
        Err(e) => return admin_error(e),
    };
    let filter =
        admin::QueueFilter { queue, name: params.get("QueueName").cloned(), desc: params.get("QueDesc").cloned() };
    with_app(&state, app, &headers, move |hub, app| admin::query_queues(hub, app, &filter, page, size)).await
}

#[utoipa::path(get, path = "/apps/{app}/queues/{id}/status", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("id" = u32, Path, description = "The queue id (QueueID)")), security(("appSecret" = [])), responses((status = 200, description = "CloudRoom QueStatus", body = lineup_protocol::rest::AdminResponse<lineup_protocol::QueStatus>), super::openapi::ApiErrors))]
pub async fn status(State(state): State<AppState>, Path(path): Path<(String, String)>, headers: HeaderMap) -> Response {
    with_queue(&state, path, &headers, |hub, app, id| {
        hub.engine.queue(app, id).ok_or(AcdError::QueueInvalid(id))?;
        Ok(convert::que_status(&hub.engine.queue_status(id).expect("exists")))
    })
    .await
}

#[utoipa::path(get, path = "/apps/{app}/queues/{id}/statistics", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("id" = u32, Path, description = "The queue id (QueueID)")), security(("appSecret" = [])), responses((status = 200, description = "The queue's statistics", body = lineup_protocol::rest::AdminResponse<lineup_protocol::QueueStatistics>), super::openapi::ApiErrors))]
pub async fn statistics(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_queue(&state, path, &headers, |hub, app, id| {
        hub.engine.queue(app, id).ok_or(AcdError::QueueInvalid(id))?;
        Ok(convert::statistics(&hub.engine.queue_stats(id).expect("exists")))
    })
    .await
}

#[utoipa::path(get, path = "/apps/{app}/statistics", tag = "queues", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "Statistics of every queue", body = lineup_protocol::rest::AdminResponse<Vec<lineup_protocol::QueueStatistics>>), super::openapi::ApiErrors))]
pub async fn all_statistics(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        Ok(hub
            .engine
            .queues(app)
            .iter()
            .filter_map(|q| hub.engine.queue_stats(q.queue))
            .map(|s| convert::statistics(&s))
            .collect::<Vec<_>>())
    })
    .await
}

#[utoipa::path(get, path = "/apps/{app}/agents", tag = "agents", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "Every agent of the app", body = lineup_protocol::rest::AdminResponse<Vec<lineup_protocol::AgentInfo>>), super::openapi::ApiErrors))]
pub async fn agents(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        Ok(hub.engine.agents(app).iter().map(convert::agent).collect::<Vec<_>>())
    })
    .await
}

#[utoipa::path(get, path = "/apps/{app}/settings", tag = "apps", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "The app's settings", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::AppSettingsBody>), super::openapi::ApiErrors))]
pub async fn get_settings(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, move |hub, app| {
        let s = hub.engine.app_settings(app).ok_or(AcdError::UnknownApp(app.into()))?;
        Ok(admin::settings_body(s, hub.engine.agent_policy(app), hub.apps.get(app)))
    })
    .await
}

#[utoipa::path(get, path = "/apps/{app}/reasons", tag = "agents", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "The app's agent reasons (DNDStatus codes)", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::AgentReasonsBody>), super::openapi::ApiErrors))]
pub async fn get_reasons(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, move |hub, app| admin::reasons(hub, app)).await
}

#[utoipa::path(put, path = "/apps/{app}/reasons", tag = "agents", params(("app" = String, Path, description = "The app id (appID)")), request_body = lineup_protocol::rest::AgentReasonsBody, security(("appSecret" = [])), responses((status = 200, description = "The table as set (sorted by DNDType)", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::AgentReasonsBody>), super::openapi::ApiErrors))]
pub async fn put_reasons(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_body(&state, app, &headers, bytes, |hub, app, b: lineup_protocol::rest::AgentReasonsBody| {
        admin::put_reasons(hub, app, b)
    })
    .await
}

#[utoipa::path(put, path = "/apps/{app}/settings", tag = "apps", params(("app" = String, Path, description = "The app id (appID)")), request_body = lineup_protocol::rest::AppSettingsBody, security(("appSecret" = [])), responses((status = 200, description = "The settings as changed (any subset may be sent)", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::AppSettingsBody>), super::openapi::ApiErrors))]
pub async fn put_settings(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_body(&state, app, &headers, bytes, |hub, app, b: AppSettingsBody| admin::put_settings(hub, app, b)).await
}

/// `POST .../queues/{id}/forward` with `{usrID, toQueID}`.
#[utoipa::path(post, path = "/apps/{app}/queues/{id}/forward", tag = "queues", params(("app" = String, Path, description = "The app id (appID)"), ("id" = u32, Path, description = "The queue id (QueueID)")), request_body = lineup_protocol::rest::ForwardRequest, security(("appSecret" = [])), responses((status = 200, description = "The waiting customer moved to the other queue", body = lineup_protocol::rest::AdminResponse<lineup_protocol::rest::ForwardData>), super::openapi::ApiErrors))]
pub async fn forward(
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_queue(&state, path, &headers, move |hub, app, id| admin::forward(hub, app, id, body(&bytes)?)).await
}
