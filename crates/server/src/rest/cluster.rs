//! The REST API in cluster mode: a request for an app that another node owns goes to
//! that node (the node-to-node link of [`crate::cluster::link`]); app creation writes
//! the cluster's app table; health and metrics cover the apps owned here.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lineup_protocol::rest::{LoginRequest, LoginResponse};

use super::{admin_error, admin_ok};
use crate::admin_error::AdminError;
use crate::cluster::link;
use crate::cluster::node::{ClusterNode, Owner};
use crate::limits::Peer;
use crate::AppState;

/// How long a request waits for an app between owners (a failover takes under 2 s).
const MOVE_WAIT: Duration = Duration::from_secs(3);

/// Which app a request under `/api/v1` is for (None: the server's own, e.g. app
/// creation, or the OpenAPI document).
fn app_of(path: &str, body: &Bytes) -> Option<String> {
    if let Some(rest) = path.strip_prefix("/apps/") {
        return rest.split('/').next().filter(|a| !a.is_empty()).map(str::to_string);
    }
    match path {
        "/login" => super::parse::<LoginRequest>(body).ok().as_ref().and_then(super::login::login_app),
        "/demo/token" => Some(crate::DEMO_APP.into()),
        _ => None,
    }
}

/// Serves a request here when this node owns its app, else forwards it to the owner;
/// waits (bounded) for an app between owners.
pub async fn route(
    State(state): State<AppState>,
    Peer(peer): Peer,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    let Some(node) = state.cluster().cloned() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, link::MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return admin_error(AdminError::TooLarge(format!("request body: {e}"))),
    };
    let path = parts.uri.path().to_string();
    let Some(app) = app_of(&path, &body) else {
        return next.run(axum::extract::Request::from_parts(parts, body.into())).await;
    };
    let from_node = link::from_node(&node.settings.secret, &parts.headers);
    let started = std::time::Instant::now();
    loop {
        let wait = MOVE_WAIT.saturating_sub(started.elapsed());
        match node.owner_within(&app, wait).await {
            Owner::Here(_) => {
                let req = axum::extract::Request::from_parts(parts.clone(), body.clone().into());
                let resp = next.clone().run(req).await;
                if resp.extensions().get::<super::NotApplied>().is_none() {
                    return resp;
                }
                // The app's hub here stopped (it is being handed over) before it ran
                // the request: the node that carried it here sends it to the next
                // owner; a client's own request waits for that owner here.
                if from_node {
                    return link::not_applied(resp);
                }
                if started.elapsed() >= MOVE_WAIT {
                    return crate::http_replies::unavailable(&format!(
                        "app {app} is moving between nodes; retry in a moment"
                    ));
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Owner::Unknown => return unknown_app(&path, &app),
            Owner::There(addr) if !from_node => {
                let path_and_query =
                    format!("/api/v1{}", parts.uri.path_and_query().map_or(path.as_str(), |p| p.as_str()));
                let credential = link::credential(&node.settings.secret, &node.settings.node_id);
                // The address this node saw (a client's own X-Forwarded-For is not trusted).
                let client = peer.map(|p| p.ip());
                let sent = link::forward(
                    &node.forwarder,
                    credential,
                    &addr,
                    &parts.method,
                    &path_and_query,
                    &parts.headers,
                    client,
                    body.clone(),
                )
                .await;
                if let Some(resp) = sent {
                    return resp;
                }
                // The owner is gone: wait for the next one.
                if started.elapsed() >= MOVE_WAIT {
                    return crate::http_replies::unavailable(&format!(
                        "app {app} is moving between nodes; retry in a moment"
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // A node forwarded it here, but the app is elsewhere or between owners (one
            // of the two saw the placement late): not run here, so the forwarding node
            // sends it to the owner it finds.
            _ if from_node => {
                return link::not_applied(crate::http_replies::unavailable(&format!(
                    "app {app} is not served by this node"
                )))
            }
            _ => {
                return crate::http_replies::unavailable(&format!(
                    "app {app} is moving between nodes; retry in a moment"
                ))
            }
        }
    }
}

/// What a single node answers for an app it does not have.
fn unknown_app(path: &str, app: &str) -> Response {
    let app = lineup_protocol::fields::clip(app);
    match path {
        "/login" => {
            let err = lineup_protocol::codes::ANCTPSWD_ERR;
            (StatusCode::UNAUTHORIZED, Json(LoginResponse::error(err, "wrong appID or app secret"))).into_response()
        }
        "/demo/token" => {
            let body = LoginResponse::error(
                lineup_protocol::codes::ERR_DATA,
                "no demo here: this cluster did not create the demo app",
            );
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
        _ => admin_error(AdminError::NoApp(format!("no app '{app}'"))),
    }
}

/// `POST /api/v1/apps` in cluster mode: the app is added to the cluster's app table,
/// and answered once this node sees it placed (a node takes it within a poll).
pub async fn create_app(node: &ClusterNode, id: String, secret: String) -> Response {
    if let Err(e) = crate::admin::check_new_app(&id, &secret) {
        return admin_error(e);
    }
    let pg = node.pg.clone();
    let (app, key) = (id.clone(), secret);
    let added = tokio::task::spawn_blocking(move || crate::cluster::apps::create(&pg, &app, &key, false)).await;
    match added {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return admin_error(crate::admin::app_exists(&id)),
        Ok(Err(e)) => return admin_error(AdminError::Unavailable(format!("the cluster database: {e}"))),
        Err(e) => return admin_error(AdminError::Internal(e.to_string())),
    }
    // Answered once some node serves the app (its next requests find it).
    let started = std::time::Instant::now();
    while !matches!(node.owner(&id), Owner::Here(_) | Owner::There(_)) && started.elapsed() < MOVE_WAIT {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    admin_ok(serde_json::json!({"appID": id}))
}
