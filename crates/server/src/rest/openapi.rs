//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' annotations and
//! the body types (utoipa), served at `GET /api/v1/openapi.json`.

use axum::response::{IntoResponse, Response};
use axum::Json;
use lineup_protocol::codes;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// A Web API error: CloudRoom's envelope without `Data`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ApiError {
    /// 1 not permitted, 2 no such app, 3 wrong secret, 4 bad parameter (`RspDesc` names
    /// the field and its rule), 5 unknown / internal, 6 name exists or not found,
    /// 7 too many failed attempts (HTTP 429, see `Retry-After`).
    #[schema(rename = "RspCode", minimum = 1, maximum = 7)]
    rsp_code: u32,
    #[schema(rename = "RspDesc")]
    rsp_desc: String,
}

/// `DELETE .../queues/{id}` result.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct QueueDeleted {
    #[schema(rename = "QueueID")]
    queue_id: u32,
}

/// `DELETE .../agents/{agent}/queues` result.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AgentLoggedOut {
    #[schema(rename = "UID")]
    uid: String,
}

/// Used and allowed count of a per-app resource.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Usage {
    used: u32,
    max: u32,
}

/// `GET .../limits` result.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Limits {
    #[schema(rename = "agentEventSubscriptions")]
    agent_event_subscriptions: Usage,
}

/// `POST .../deliveries/{id}/resend` result.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Resent {
    id: i64,
    /// Always `pending`.
    status: String,
}

/// The error responses every app endpoint may give, all in the `RspCode` envelope.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ApiErrors {
    /// A parameter or the body is wrong (RspCode 4; RspDesc names the field and rule).
    #[response(status = 400)]
    Bad(ApiError),
    /// Missing or wrong app secret (RspCode 3) or admin key (RspCode 1).
    #[response(status = 401)]
    Unauthorized(ApiError),
    /// Not permitted here (RspCode 1).
    #[response(status = 403)]
    Forbidden(ApiError),
    /// No such app (RspCode 2), queue, subscription or delivery (RspCode 6).
    #[response(status = 404)]
    NotFound(ApiError),
    /// A name that exists already, or a state that does not allow it (RspCode 6 or 4).
    #[response(status = 409)]
    Conflict(ApiError),
    /// Too many failed credential checks from this address (RspCode 7); see Retry-After.
    #[response(status = 429)]
    TooMany(ApiError),
    /// The server is stopping or its store failed (RspCode 5).
    #[response(status = 503)]
    Unavailable(ApiError),
}

/// The error responses of login and token endpoints, in the `err`/`msg` envelope.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum LoginErrors {
    /// Malformed body (err 6) or a missing / out-of-range field (err 5).
    #[response(status = 400)]
    Bad(lineup_protocol::rest::LoginResponse),
    /// Wrong credentials, an expired / forged token (err 7, 18–22).
    #[response(status = 401)]
    Unauthorized(lineup_protocol::rest::LoginResponse),
    /// No demo on this server (demo token only).
    #[response(status = 404)]
    NotFound(lineup_protocol::rest::LoginResponse),
    /// Too many failed attempts from this address (err 33); see Retry-After.
    #[response(status = 429)]
    TooMany(lineup_protocol::rest::LoginResponse),
    /// The server is stopping (err 3).
    #[response(status = 503)]
    Unavailable(lineup_protocol::rest::LoginResponse),
}

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let mut secret = Http::new(HttpAuthScheme::Bearer);
        secret.description = Some("The app's md5_appSecret (lower-case hex MD5 of the app secret), or the secret itself.".into());
        components.add_security_scheme("appSecret", SecurityScheme::Http(secret));
        let mut admin = Http::new(HttpAuthScheme::Bearer);
        admin.description = Some("The server's admin key (--admin-key).".into());
        components.add_security_scheme("adminKey", SecurityScheme::Http(admin));
        let mut table = String::from(
            "\n\n## Error codes\n\nLogin and token endpoints answer `{err, msg}` with these codes (the same as on the WebSocket):\n\n| err | name | meaning |\n|---|---|---|\n",
        );
        for c in codes::ALL {
            table.push_str(&format!("| {} | {} | {} |\n", c.code, c.name, c.meaning));
        }
        table.push_str(
            "\nEvery other endpoint answers CloudRoom's Web API envelope `{RspCode, RspDesc, Data}`: RspCode 0 ok, \
             1 not permitted, 2 no such app, 3 wrong secret, 4 bad parameter, 5 unknown or internal, \
             6 name exists or not found, 7 too many failed attempts.\n",
        );
        let info = &mut api.info;
        info.description = Some(format!("{}{table}", info.description.clone().unwrap_or_default()));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lineup queue server API",
        description = "Login, tokens, queue administration (CloudRoom Web API style), app settings, statistics, \
                       agents, webhooks and the delivery log, history reports. The live session (queuing, offers, calls) runs on the \
                       WebSocket at `/ws`: see PROTOCOL.md.",
        license(name = "MIT OR Apache-2.0")
    ),
    servers((url = "/api/v1")),
    paths(
        super::login::login,
        super::login::mint_token,
        super::login::demo_token,
        super::queues::create_app,
        super::queues::get_settings,
        super::queues::put_settings,
        super::queues::get_reasons,
        super::queues::put_reasons,
        super::skills::get_catalog,
        super::skills::put_catalog,
        super::skills::get_agent,
        super::skills::put_agent,
        super::queues::query,
        super::queues::add,
        super::queues::get_one,
        super::queues::modify,
        super::queues::delete,
        super::queues::status,
        super::queues::statistics,
        super::queues::forward,
        super::queues::all_statistics,
        super::queues::agents,
        super::webhooks::agent_logout,
        super::webhooks::list_agent_events,
        super::webhooks::create_agent_event,
        super::webhooks::get_agent_event,
        super::webhooks::update_agent_event,
        super::webhooks::delete_agent_event,
        super::webhooks::get_business,
        super::webhooks::put_business,
        super::webhooks::delete_business,
        super::webhooks::limits,
        super::webhooks::deliveries,
        super::webhooks::resend,
        super::recordings::list,
        super::recordings::get_one,
        super::recordings::file,
        super::recordings::delete,
        super::reports::queues,
        super::reports::agents,
        document,
    ),
    components(schemas(ApiError, lineup_protocol::rest::LoginResponse)),
    modifiers(&Security),
    tags(
        (name = "login", description = "CloudRoom Login / LoginByToken, and tokens minted by a business backend"),
        (name = "queues", description = "CloudRoom Web API: queue add, modify, delete, query; status and statistics"),
        (name = "apps", description = "Apps and their settings"),
        (name = "agents", description = "Agents as supervisors see them; logging an agent out"),
        (name = "webhooks", description = "The business service (AnyChat callbacks), agent event subscriptions, the delivery log"),
        (name = "recordings", description = "Recorded service calls (app setting recordCalls): list, download, delete"),
        (name = "reports", description = "History: each queue and each agent over 15-minute intervals, as JSON or CSV"),
    )
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "apps", responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn document() -> Response {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(DOC.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()).clone()).into_response()
}
