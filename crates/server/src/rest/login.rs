//! `POST /api/v1/login` (CloudRoom Login / LoginByToken) and token minting for business
//! backends.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lineup_engine::Role;
use lineup_protocol::codes;
use lineup_protocol::fields::clip;
use lineup_protocol::rest::{LoginRequest, LoginResponse, TokenRequest, TokenResponse};

use super::{bearer, parse, status};
use crate::admin::check_secret;
use crate::auth::{self, Claims};
use crate::clock::now;
use crate::hub::Hub;
use crate::ws_error::WsError;
use crate::AppState;

fn login_error(e: &WsError) -> Response {
    (status(e.login_status()), Json(LoginResponse::error(e.code(), e.to_string()))).into_response()
}

fn check_uid(uid: &str) -> Result<(), String> {
    auth::check_text("UID", uid, 1, 128)
}

fn check_nick(nick: &str) -> Result<(), String> {
    auth::check_text("nickName", nick, 0, 128)
}

/// The app a login is for: its token's, else its `appID`.
pub fn login_app(req: &LoginRequest) -> Option<String> {
    match &req.token {
        Some(token) => auth::peek(token).ok().map(|c| c.app),
        None => req.app_id.clone(),
    }
}

/// Checks credentials and hands out a ticket for `/ws`.
fn login_on_hub(hub: &Hub, req: LoginRequest) -> Result<LoginResponse, WsError> {
    let now_s = now().as_millis() / 1000;
    let (claims, token_expire_at) = if let Some(token) = &req.token {
        let peeked = auth::peek(token)?;
        let app = hub
            .apps
            .get(&peeked.app)
            .ok_or_else(|| WsError::NoApp(format!("the token's app '{}' does not exist", peeked.app)))?;
        let claims = auth::verify(&app.secret, token, "token", now_s)?;
        if !req.uid.is_empty() && req.uid != claims.uid {
            return Err(WsError::WrongUser(format!("UID '{}' does not match the token's user", req.uid)));
        }
        let exp = claims.exp;
        (claims, Some(exp))
    } else {
        let app_id = req.app_id.as_deref().ok_or_else(|| WsError::BadParam("appID is required (or a token)".into()))?;
        let md5 = req.md5_app_secret.as_deref().ok_or_else(|| WsError::BadParam("md5_appSecret is required".into()))?;
        let wrong = || WsError::WrongCredentials("wrong appID or app secret".into());
        let app = hub.apps.get(app_id).ok_or_else(wrong)?;
        if !auth::same(&md5.to_ascii_lowercase(), &app.md5_secret) {
            return Err(wrong());
        }
        check_uid(&req.uid).map_err(WsError::BadParam)?;
        let roles = [Role::Agent, Role::Customer, Role::Supervisor].iter().map(|r| r.name().to_string()).collect();
        let claims = Claims {
            app: app_id.into(),
            uid: req.uid.clone(),
            nick: String::new(),
            roles,
            exp: 0,
            kind: "token".into(),
            jti: String::new(),
        };
        (claims, None)
    };
    let nick = if req.nick_name.is_empty() { claims.nick.clone() } else { req.nick_name.clone() };
    check_nick(&nick).map_err(WsError::BadParam)?;
    let app = &hub.apps[&claims.app];
    let ticket_s = hub.config.ticket_s;
    let ticket = Claims {
        app: claims.app.clone(),
        uid: claims.uid.clone(),
        nick: nick.clone(),
        roles: claims.roles.clone(),
        exp: now_s + u64::from(ticket_s),
        kind: "ticket".into(),
        jti: auth::random_id(),
    };
    Ok(LoginResponse {
        err: 0,
        msg: "ok".into(),
        ticket: Some(auth::sign(&app.secret, &ticket)),
        ticket_seconds: Some(ticket_s),
        uid: Some(claims.uid),
        nick_name: Some(nick),
        app_id: Some(claims.app),
        roles: claims.roles,
        ws_path: Some("/ws".into()),
        token_expire_at,
    })
}

/// `POST /api/v1/login`.
#[utoipa::path(post, path = "/login", tag = "login", request_body = lineup_protocol::rest::LoginRequest, responses((status = 200, description = "A ticket for the WebSocket Login", body = lineup_protocol::rest::LoginResponse), super::openapi::LoginErrors))]
pub async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let req: LoginRequest = match parse(&body) {
        Ok(r) => r,
        Err(m) => return login_error(&WsError::BadData(m)),
    };
    let app = login_app(&req).unwrap_or_default();
    match state.call(&app, move |hub| login_on_hub(hub, req)).await {
        Ok(Ok(resp)) => Json(resp).into_response(),
        Ok(Err(e)) => login_error(&e),
        Err(e) => super::hub_refused(e, login_error(&WsError::Internal(e.to_string()))),
    }
}

/// Why a token was not made.
enum MintError {
    /// The body or a field is invalid (400).
    Bad(WsError),
    /// The app secret did not check out (the administration API's status: 401, or 404
    /// for no such app).
    Secret(crate::admin_error::AdminError),
    /// This server did not create the demo app (404).
    NoDemo,
}

impl MintError {
    fn status(&self) -> u16 {
        match self {
            MintError::Bad(_) => 400,
            MintError::Secret(e) => e.status(),
            MintError::NoDemo => 404,
        }
    }

    fn response(&self) -> TokenResponse {
        match self {
            MintError::Bad(e) => TokenResponse::error(e.code(), e.to_string()),
            MintError::Secret(e) => TokenResponse::error(codes::ANCTPSWD_ERR, e.to_string()),
            MintError::NoDemo => {
                TokenResponse::error(codes::ERR_DATA, "no demo here: this server did not create the demo app")
            }
        }
    }
}

/// Signs a `LoginByToken` token for `app` as the request asks.
fn mint(hub: &Hub, app: &str, body: &Bytes) -> Result<(String, u64), MintError> {
    let bad = |m: String| MintError::Bad(WsError::BadParam(m));
    let req: TokenRequest = parse(body).map_err(|m| MintError::Bad(WsError::BadData(m)))?;
    check_uid(&req.uid).map_err(bad)?;
    check_nick(&req.nick_name).map_err(bad)?;
    if req.roles.is_empty() {
        return Err(bad("roles: give at least one of agent, customer, supervisor".into()));
    }
    if let Some(r) = req.roles.iter().find(|r| Role::parse(r).is_none()) {
        return Err(bad(format!("roles: unknown role '{}' (agent, customer, supervisor)", clip(r))));
    }
    let ttl = req.expire_seconds.unwrap_or(3600);
    if !(1..=2_592_000).contains(&ttl) {
        return Err(bad(format!("expireSeconds: {ttl} is outside 1..=2592000")));
    }
    let exp = now().as_millis() / 1000 + ttl;
    let claims = Claims {
        app: app.to_string(),
        uid: req.uid,
        nick: req.nick_name,
        roles: req.roles,
        exp,
        kind: "token".into(),
        jti: String::new(),
    };
    Ok((auth::sign(&hub.apps[app].secret, &claims), exp))
}

/// `POST /api/v1/apps/{app}/tokens`, authenticated by the app secret: how a business
/// backend lets its users log in (`LoginByToken`) without the secret in any page.
#[utoipa::path(post, path = "/apps/{app}/tokens", tag = "login", params(("app" = String, Path, description = "The app id (appID)")), request_body = lineup_protocol::rest::TokenRequest, security(("appSecret" = [])), responses((status = 200, description = "A LoginByToken token", body = lineup_protocol::rest::TokenResponse), super::openapi::LoginErrors))]
pub async fn mint_token(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = bearer(&headers);
    let owner = app.clone();
    let result = state
        .call(&owner, move |hub| {
            check_secret(hub, &app, key.as_deref()).map_err(MintError::Secret)?;
            mint(hub, &app, &body)
        })
        .await;
    token_reply(result)
}

/// `POST /api/v1/demo/token` {UID, nickName, roles: [one role]}: the demo pages' stand-in
/// for a business backend. Only on a server that created the demo app itself, only for
/// that app, one role, one hour.
#[utoipa::path(post, path = "/demo/token", tag = "login", request_body = lineup_protocol::rest::TokenRequest, responses((status = 200, description = "A one-hour token of the demo app, one role (only on a server that created the demo app)", body = lineup_protocol::rest::TokenResponse), super::openapi::LoginErrors))]
pub async fn demo_token(State(state): State<AppState>, body: Bytes) -> Response {
    let result = state
        .call(crate::DEMO_APP, move |hub| {
            if !hub.demo_tokens {
                return Err(MintError::NoDemo);
            }
            let req: TokenRequest = parse(&body).map_err(|m| MintError::Bad(WsError::BadData(m)))?;
            if req.roles.len() != 1 || req.expire_seconds.is_some() {
                return Err(MintError::Bad(WsError::BadParam(
                    "roles: give exactly one role; demo tokens last one hour".into(),
                )));
            }
            mint(hub, crate::DEMO_APP, &body)
        })
        .await;
    token_reply(result)
}

fn token_reply(result: Result<Result<(String, u64), MintError>, crate::hub::HubError>) -> Response {
    let (http, body) = match result {
        Ok(Ok((token, exp))) => {
            (200, TokenResponse { err: 0, msg: "ok".into(), token: Some(token), expire_at: Some(exp) })
        }
        Ok(Err(e)) => (e.status(), e.response()),
        Err(e) => {
            let body = TokenResponse::error(codes::INNER_ERR, e.to_string());
            return super::hub_refused(e, (status(e.status()), Json(body)).into_response());
        }
    };
    (status(http), Json(body)).into_response()
}
