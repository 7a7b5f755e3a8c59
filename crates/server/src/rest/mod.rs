//! The REST API under `/api/v1`, plus `/healthz`, `/ws` and the static apps.

mod cluster;
mod login;
pub mod openapi;
mod queues;
mod recordings;
mod reports;
mod skills;
mod webhooks;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lineup_protocol::rest::AdminResponse;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::admin_error::AdminError;
use crate::assets;
use crate::limits::Peer;
use crate::{ws, AppState};

/// The Content-Security-Policy of every response (the demo apps load scripts, styles
/// and the wasm only from the server itself; nothing may frame them).
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// CORS as configured: no cross-origin access unless origins are listed (`*`: any).
fn cors(origins: &[String]) -> CorsLayer {
    let methods = [Method::GET, Method::POST, Method::PUT, Method::DELETE];
    let headers = [header::AUTHORIZATION, header::CONTENT_TYPE];
    if origins.iter().any(|o| o == "*") {
        return CorsLayer::new().allow_origin(Any).allow_methods(methods).allow_headers(headers);
    }
    let list: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    CorsLayer::new().allow_origin(AllowOrigin::list(list)).allow_methods(methods).allow_headers(headers)
}

/// Throttles an address that keeps presenting wrong credentials: every 401 counts.
async fn throttle(
    State(state): State<AppState>,
    Peer(peer): Peer,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    // A node forwarding a request applied the limits to its client itself.
    let ip = peer.map(|a| a.ip()).filter(|_| !state.placement.from_node(req.headers()));
    if let Some(wait) = ip.and_then(|ip| state.limits.throttled(ip)) {
        // The body is read first (bounded, like any body): a response sent while the
        // client is still sending can be lost to the reset of a connection closed with
        // unread data, and the client would see no answer at all.
        let unread = axum::body::to_bytes(req.into_body(), crate::cluster::link::MAX_BODY).await.is_err();
        let mut resp = crate::http_replies::too_many(wait, "too many failed attempts from this address");
        if unread {
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        return resp;
    }
    let resp = next.run(req).await;
    if resp.status() == StatusCode::UNAUTHORIZED {
        if let Some(ip) = ip {
            state.limits.failed(ip);
        }
    }
    resp
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let cors = cors(&state.config.cors_origins);
    let body_timeout = std::time::Duration::from_secs(state.config.body_timeout_s.into());
    let api = Router::new()
        .route("/login", post(login::login))
        .route("/apps", post(queues::create_app))
        .route("/apps/{app}/tokens", post(login::mint_token))
        .route("/demo/token", post(login::demo_token))
        .route("/apps/{app}/settings", get(queues::get_settings).put(queues::put_settings))
        .route("/apps/{app}/reasons", get(queues::get_reasons).put(queues::put_reasons))
        .route("/apps/{app}/skills", get(skills::get_catalog).put(skills::put_catalog))
        .route("/apps/{app}/agents/{agent}/skills", get(skills::get_agent).put(skills::put_agent))
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
        .route(
            "/apps/{app}/webhook",
            get(webhooks::get_business).put(webhooks::put_business).delete(webhooks::delete_business),
        )
        .route("/apps/{app}/limits", get(webhooks::limits))
        .route("/apps/{app}/deliveries", get(webhooks::deliveries))
        .route("/apps/{app}/deliveries/{id}/resend", post(webhooks::resend))
        .route("/apps/{app}/reports/queues", get(reports::queues))
        .route("/apps/{app}/reports/agents", get(reports::agents))
        .route("/apps/{app}/recordings", get(recordings::list))
        .route("/apps/{app}/recordings/{id}", get(recordings::get_one).delete(recordings::delete))
        .route("/apps/{app}/recordings/{id}/file", get(recordings::file))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { admin_error(AdminError::NoEndpoint) })
        .layer(axum::middleware::from_fn_with_state(state.clone(), cluster::route))
        .layer(axum::middleware::from_fn_with_state(state.clone(), throttle))
        .layer(axum::middleware::from_fn(log_request))
        .layer(RequestBodyTimeoutLayer::new(body_timeout));
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/ws", get(ws::upgrade))
        .route(
            "/cluster/recordings/{app}/{id}",
            get(recordings::keeper).delete(recordings::keeper).post(recordings::told),
        )
        .nest("/api/v1", api);
    router = match &state.config.sdk_dir {
        Some(dir) => router.nest_service("/sdk", static_dir(dir)),
        None => router.nest_service(
            "/sdk",
            axum::routing::get(|uri: Uri, h: HeaderMap| async move { assets::serve(assets::SDK, &uri, &h) }),
        ),
    };
    router = match &state.config.www_dir {
        Some(dir) => router.fallback_service(static_dir(dir)),
        None => router.fallback(|uri: Uri, h: HeaderMap| async move { assets::serve(assets::WWW, &uri, &h) }),
    };
    let headers = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), HeaderValue::from_static(value))
    };
    router
        .layer(cors)
        .layer(headers("content-security-policy", CSP))
        .layer(headers("x-content-type-options", "nosniff"))
        .layer(headers("x-frame-options", "DENY"))
        .layer(headers("referrer-policy", "no-referrer"))
        .with_state(state)
}

/// A directory's files (`--www`, `--sdk`), read at each request so edits show on reload:
/// a `name.br` / `name.gz` beside a file is sent instead when the client accepts it
/// (compress a deployed build once, e.g. `brotli -k` / `gzip -k`), revalidated by
/// `Last-Modified` and cached like the embedded files ([`assets::cache_control`]).
fn static_dir(dir: &std::path::Path) -> axum::routing::MethodRouter {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    axum::routing::get_service(files).layer(axum::middleware::from_fn(
        |req: axum::extract::Request, next: Next| async move {
            let cache = assets::cache_control(req.uri().path());
            let mut resp = next.run(req).await;
            if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
                resp.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(cache));
                // Whether a .br/.gz file is beside it or not: a cache must ask again for
                // another Accept-Encoding.
                resp.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
            resp
        },
    ))
}

/// Parses a JSON body; the error names the field or says what is wrong.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    lineup_protocol::rest::parse_body(body)
}

/// Parses a JSON body into a Web API 400 error.
pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
    parse(bytes).map_err(AdminError::bad)
}

/// A list's `limit` query parameter: 1 to 1000, 100 when absent.
pub fn limit_param(params: &std::collections::HashMap<String, String>) -> Result<u32, Response> {
    match params.get("limit").map(|l| l.parse::<u32>()) {
        None => Ok(100),
        Some(Ok(l)) if (1..=1000).contains(&l) => Ok(l),
        Some(_) => Err(admin_error(AdminError::bad("invalid limit: a number from 1 to 1000"))),
    }
}

/// Runs `f` on the hub after checking the app secret (`Authorization: Bearer`): its
/// result as it is.
pub async fn app_call<T: Send + 'static>(
    state: &AppState,
    app: String,
    headers: &HeaderMap,
    f: impl FnOnce(&mut crate::hub::Hub, &str) -> Result<T, AdminError> + Send + 'static,
) -> Result<Result<T, AdminError>, crate::hub::HubError> {
    let key = bearer(headers);
    let owner = app.clone();
    state
        .call(&owner, move |hub| {
            crate::admin::check_secret(hub, &app, key.as_deref())?;
            f(hub, &app)
        })
        .await
}

/// [`app_call`], answered in the Web API envelope.
pub async fn with_app<T: Serialize + Send + 'static>(
    state: &AppState,
    app: String,
    headers: &HeaderMap,
    f: impl FnOnce(&mut crate::hub::Hub, &str) -> Result<T, AdminError> + Send + 'static,
) -> Response {
    admin_reply(app_call(state, app, headers, f).await)
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
    let body: AdminResponse<()> = AdminResponse { rsp_code: e.rsp_code(), rsp_desc: e.to_string(), data: None };
    (status(e.status()), Json(body)).into_response()
}

/// A Web API success response.
pub fn admin_ok<T: Serialize>(data: T) -> Response {
    Json(AdminResponse { rsp_code: 0, rsp_desc: "ok".into(), data: Some(data) }).into_response()
}

/// Turns a hub result into a response.
pub fn admin_reply<T: Serialize>(r: Result<Result<T, AdminError>, crate::hub::HubError>) -> Response {
    match r {
        Ok(Ok(data)) => admin_ok(data),
        Ok(Err(e)) => admin_error(e),
        Err(e) => hub_refused(e, admin_error(AdminError::from(e))),
    }
}

/// A response to a request that its app's hub did not run: it had stopped, or the app
/// had moved away. Nothing of it was applied, so (on a cluster) the routing sends the
/// request again to the app's next owner instead of answering it.
#[derive(Clone, Copy, Debug)]
pub struct NotApplied;

/// `resp`, marked [`NotApplied`] when the hub error says the request was not run.
pub fn hub_refused(e: crate::hub::HubError, mut resp: Response) -> Response {
    if matches!(e, crate::hub::HubError::Stopped | crate::hub::HubError::Moving) {
        resp.extensions_mut().insert(NotApplied);
    }
    resp
}

/// `GET /healthz`: a round trip through the hub, which checks the store. 200 with the
/// journal step and live sessions, or 503 when the hub or the store does not answer.
async fn healthz(State(state): State<AppState>) -> Response {
    let (ok, body) = state.placement.health().await;
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus / OpenMetrics text; `Authorization: Bearer` the
/// `--metrics-token` when one is set.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        if bearer(&headers).as_deref() != Some(token.as_str()) {
            let mut resp =
                (StatusCode::UNAUTHORIZED, "metrics need Authorization: Bearer <metrics token>\n").into_response();
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
            return resp;
        }
    }
    let Some((monitor, depth)) = state.placement.monitor().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the hub did not answer\n").into_response();
    };
    let text = crate::metrics::render(&state.metrics, monitor, depth);
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

/// The id of a REST request: the caller's `X-Request-Id` (up to 64 of A-Z a-z 0-9 and
/// `-_.:`), or one made here; echoed in the response.
fn request_id(headers: &HeaderMap) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| format!("r{:x}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// An error the framework answered itself (wrong method, unreadable path or query,
/// body too large or too slow) in the API's envelope, with its text as `RspDesc`.
async fn as_envelope(resp: Response) -> Response {
    let status = resp.status();
    let json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let mut desc = String::from_utf8_lossy(&text).trim().to_string();
    if desc.is_empty() {
        desc = status.canonical_reason().unwrap_or("error").to_string();
    }
    let mut out = admin_error(AdminError::Framework { status: status.as_u16(), desc });
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Logs each API request at DEBUG (request id, method, path, app, status, latency).
async fn log_request(req: axum::extract::Request, next: Next) -> Response {
    let id = request_id(req.headers());
    let method = req.method().clone();
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().path().to_string(), |u| u.path().to_string());
    let app = path.strip_prefix("/api/v1/apps/").and_then(|r| r.split('/').next()).map(str::to_string);
    let started = std::time::Instant::now();
    let mut resp = as_envelope(next.run(req).await).await;
    let latency_us = started.elapsed().as_micros() as u64;
    tracing::debug!(request_id = %id, %method, path = %path, app = app.as_deref().unwrap_or(""), status = resp.status().as_u16(), latency_us, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
    }
    resp
}
