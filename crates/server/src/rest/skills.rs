//! Skills-based routing's administration: the app's skills and each agent's levels
//! (a queue's requirement is a queue field: `queues`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lineup_protocol::rest::{AgentSkillsBody, SkillCatalogBody};

use super::{body, with_app};
use crate::admin;
use crate::AppState;

#[utoipa::path(get, path = "/apps/{app}/skills", tag = "agents", params(("app" = String, Path, description = "The app id (appID)")), security(("appSecret" = [])), responses((status = 200, description = "The app's skills, in order", body = lineup_protocol::rest::AdminResponse<SkillCatalogBody>), super::openapi::ApiErrors))]
pub async fn get_catalog(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> Response {
    with_app(&state, app, &headers, move |hub, app| admin::skill_catalog(hub, app)).await
}

#[utoipa::path(put, path = "/apps/{app}/skills", tag = "agents", params(("app" = String, Path, description = "The app id (appID)")), request_body = SkillCatalogBody, security(("appSecret" = [])), responses((status = 200, description = "The skills as set; refused when a queue's requirement names one that would go", body = lineup_protocol::rest::AdminResponse<SkillCatalogBody>), super::openapi::ApiErrors))]
pub async fn put_catalog(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| admin::put_skill_catalog(hub, app, body(&bytes)?)).await
}

#[utoipa::path(get, path = "/apps/{app}/agents/{agent}/skills", tag = "agents", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID")), security(("appSecret" = [])), responses((status = 200, description = "The agent's skills with levels 0–10 (none: empty)", body = lineup_protocol::rest::AdminResponse<AgentSkillsBody>), super::openapi::ApiErrors))]
pub async fn get_agent(
    State(state): State<AppState>,
    Path((app, agent)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| admin::agent_skills(hub, app, &agent)).await
}

#[utoipa::path(put, path = "/apps/{app}/agents/{agent}/skills", tag = "agents", params(("app" = String, Path, description = "The app id (appID)"), ("agent" = String, Path, description = "The agent's UID")), request_body = AgentSkillsBody, security(("appSecret" = [])), responses((status = 200, description = "The agent's skills as set (replacing all; they take effect at once)", body = lineup_protocol::rest::AdminResponse<AgentSkillsBody>), super::openapi::ApiErrors))]
pub async fn put_agent(
    State(state): State<AppState>,
    Path((app, agent)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    with_app(&state, app, &headers, move |hub, app| admin::put_agent_skills(hub, app, &agent, body(&bytes)?)).await
}
