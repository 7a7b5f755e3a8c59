//! The REST API under `/api/v1`, plus `/healthz`, `/ws` and the static apps.

mod login;
mod queues;
mod webhooks;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lineup_protocol::rest::AdminResponse;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;

use crate::admin::AdminError;
use crate::{ws, AppState};

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any);
    let api = Router::new()
        .route("/login", post(login::login))
        .route("/apps", post(queues::create_app))
        .route("/apps/{app}/tokens", post(login::mint_token))
        .route("/apps/{app}/settings", get(queues::get_settings).put(queues::put_settings))
        .route("/apps/{app}/queues", get(queues::query).post(queues::add))
        .route("/apps/{app}/queues/{id}", get(queues::get_one).put(queues::modify).delete(queues::delete))
        .route("/apps/{app}/queues/{id}/status", get(queues::status))
        .route("/apps/{app}/queues/{id}/statistics", get(queues::statistics))
        .route("/apps/{app}/queues/{id}/forward", post(queues::forward))
        .route("/apps/{app}/statistics", get(queues::all_statistics))
        .route("/apps/{app}/agents", get(queues::agents))
        .route("/apps/{app}/agents/{agent}/queues", axum::routing::delete(webhooks::agent_logout))
        .route("/apps/{app}/agents/{agent}/events", get(webhooks::list_agent_events).post(webhooks::create_agent_event))
        .route(
            "/apps/{app}/agents/{agent}/events/{id}",
            get(webhooks::get_agent_event).put(webhooks::update_agent_event).delete(webhooks::delete_agent_event),
        )
        .route("/apps/{app}/webhook", get(webhooks::get_business).put(webhooks::put_business).delete(webhooks::delete_business))
        .route("/apps/{app}/limits", get(webhooks::limits))
        .route("/apps/{app}/deliveries", get(webhooks::deliveries))
        .route("/apps/{app}/deliveries/{id}/resend", post(webhooks::resend))
        .fallback(|| async { admin_error(AdminError::new(5, 404, "no such API endpoint")) });
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/ws", get(ws::upgrade))
        .nest("/api/v1", api);
    if let Some(dir) = &state.config.sdk_dir {
        router = router.nest_service("/sdk", ServeDir::new(dir));
    }
    if let Some(dir) = &state.config.www_dir {
        router = router.fallback_service(ServeDir::new(dir));
    }
    router.layer(cors).with_state(state)
}

/// Parses a JSON body; the error names the field or says what is wrong.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    if body.is_empty() {
        return Err("the request body is empty: send a JSON object".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))
}

/// Parses a JSON body into a Web API 400 error.
pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
    parse(bytes).map_err(AdminError::bad)
}

/// Runs `f` on the hub after checking the app secret (`Authorization: Bearer`).
pub async fn with_app<T: Serialize + Send + 'static>(
    state: &AppState,
    app: String,
    headers: &HeaderMap,
    f: impl FnOnce(&mut crate::hub::Hub, &str) -> Result<T, AdminError> + Send + 'static,
) -> Response {
    let key = bearer(headers);
    admin_reply(
        state
            .hub
            .call(move |hub| {
                crate::admin::check_secret(hub, &app, key.as_deref())?;
                f(hub, &app)
            })
            .await,
    )
}

/// The `Authorization: Bearer` value, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|s| s.trim().to_string())
}

pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A Web API error response.
pub fn admin_error(e: AdminError) -> Response {
    let body: AdminResponse<()> = AdminResponse { rsp_code: e.rsp_code, rsp_desc: e.desc, data: None };
    (status(e.status), Json(body)).into_response()
}

/// A Web API success response.
pub fn admin_ok<T: Serialize>(data: T) -> Response {
    Json(AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(data) }).into_response()
}

/// Turns a hub result into a response.
pub fn admin_reply<T: Serialize>(r: Result<Result<T, AdminError>, crate::hub::HubGone>) -> Response {
    match r {
        Ok(Ok(data)) => admin_ok(data),
        Ok(Err(e)) => admin_error(e),
        Err(_) => admin_error(AdminError::new(5, 503, "server is shutting down")),
    }
}
