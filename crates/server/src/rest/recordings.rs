//! REST for call recordings (the app setting `recordCalls`): list, describe, download
//! (`video/webm`, with byte ranges) and delete. Authenticated by the app secret; an
//! app sees its own recordings only.
//!
//! On a cluster the index is in PostgreSQL and a file stays on the node that recorded
//! it: any node lists them; a download or a delete of a file kept elsewhere goes to that
//! node (`/cluster/recordings/…`, node credential only), or answers 503 naming the node
//! when it does not answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower::ServiceExt;

use super::{admin_error, admin_reply, app_call, with_app};
use crate::admin_error::AdminError;
use crate::cluster::node::ClusterNode;
use crate::store::recordings::RecordingRow;
use crate::AppState;

/// One track of a recording.
#[derive(Serialize, serde::Deserialize, utoipa::ToSchema)]
struct TrackData {
    /// The Matroska track number (1-based).
    track: u64,
    /// The party whose microphone or camera it is.
    #[serde(rename = "usrID")]
    usr_id: String,
    /// `audio` (Opus) or `video` (VP8).
    kind: String,
}

/// A finished recording.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RecordingData {
    id: String,
    /// The call's `sessionid` (its call events' and the `recording.finished` webhook's).
    session_id: String,
    /// The call's room.
    #[serde(rename = "meetID")]
    meet_id: u32,
    started_at: String,
    ended_at: String,
    /// From the first recorded frame to the last.
    duration_ms: u64,
    bytes: u64,
    /// Always `webm` (Matroska with Opus and VP8).
    format: String,
    tracks: Vec<TrackData>,
    /// Where to download it (`GET`, same credential).
    url: String,
}

impl From<RecordingRow> for RecordingData {
    fn from(r: RecordingRow) -> Self {
        RecordingData {
            url: crate::recording::file_path(&r.app, &r.id),
            tracks: serde_json::from_str(&r.tracks).unwrap_or_default(),
            id: r.id,
            session_id: r.session_id,
            meet_id: r.meet_id,
            started_at: crate::clock::datetime(r.started_ms),
            ended_at: crate::clock::datetime(r.ended_ms),
            duration_ms: r.duration_ms,
            bytes: r.bytes,
            format: "webm".into(),
        }
    }
}

/// `GET .../recordings` result.
#[derive(Serialize, utoipa::ToSchema)]
struct RecordingList {
    recordings: Vec<RecordingData>,
}

fn index_error(e: String) -> AdminError {
    tracing::error!(error = %e, "the recordings index failed");
    AdminError::Internal(format!("storage error: {e}"))
}

/// The node that keeps `row`'s file when it is another node of the cluster: (this
/// node, the other's id).
fn elsewhere(state: &AppState, row: &RecordingRow) -> Option<(Arc<ClusterNode>, String)> {
    let node = state.cluster()?;
    (!row.node.is_empty() && row.node != node.settings.node_id).then(|| (node.clone(), row.node.clone()))
}

/// How recently a node must have beaten to be asked for a file.
const KEEPER_LIVE: Duration = Duration::from_secs(10);

/// Sends `method` for `row`'s file to the node `keeper` that keeps it; its answer, or
/// 503 naming that node.
async fn at_keeper(
    node: Arc<ClusterNode>,
    keeper: String,
    method: axum::http::Method,
    row: &RecordingRow,
    headers: &HeaderMap,
) -> Response {
    let down = || {
        admin_error(AdminError::Unavailable(format!(
            "recording {}: its file is kept on node {keeper}, which does not answer",
            row.id
        )))
    };
    let pg = node.pg.clone();
    let live = tokio::task::spawn_blocking(move || crate::cluster::nodes::live(&pg, KEEPER_LIVE)).await;
    let Ok(Ok(nodes)) = live else { return down() };
    let Some(addr) = nodes.into_iter().find(|n| n.id == keeper).map(|n| n.addr) else { return down() };
    let credential = crate::cluster::link::credential(&node.settings.secret, &node.settings.node_id);
    let path = format!("/cluster/recordings/{}/{}", row.app, row.id);
    let sent = crate::cluster::link::forward(
        &node.forwarder,
        credential,
        &addr,
        &method,
        &path,
        headers,
        None,
        Default::default(),
    )
    .await;
    sent.unwrap_or_else(down)
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(format!("no recording '{}'", lineup_protocol::fields::clip(id)))
}

/// Recording ids are 32 hex digits; anything else is not one (and never a path).
fn check_id(id: &str) -> Result<(), AdminError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// `GET /api/v1/apps/{app}/recordings?sessionid=&limit=`: newest first.
#[utoipa::path(get, path = "/apps/{app}/recordings", tag = "recordings", params(("app" = String, Path, description = "The app id (appID)"), ("sessionid" = Option<String>, Query, max_length = 128, description = "Only this call's recordings"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many, newest first (default 100)")), security(("appSecret" = [])), responses((status = 200, description = "The app's recordings", body = lineup_protocol::rest::AdminResponse<RecordingList>), super::openapi::ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    Path(app): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let session_id = params.get("sessionid").cloned();
    if session_id.as_ref().is_some_and(|s| s.len() > 128) {
        return admin_error(AdminError::bad("invalid sessionid: at most 128 characters"));
    }
    let limit = match super::limit_param(&params) {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    with_app(&state, app, &headers, move |hub, app| {
        let rows = hub.recordings().list(app, session_id.as_deref(), limit).map_err(index_error)?;
        Ok(RecordingList { recordings: rows.into_iter().map(RecordingData::from).collect() })
    })
    .await
}

/// The app's recording `id`, after the credential check.
async fn find(state: &AppState, app: String, id: String, headers: &HeaderMap) -> Result<RecordingRow, Response> {
    let found = app_call(state, app, headers, move |hub, app| {
        check_id(&id)?;
        hub.recordings().get(app, &id).map_err(index_error)?.ok_or_else(|| not_found(&id))
    })
    .await;
    match found {
        Ok(Ok(row)) => Ok(row),
        other => Err(admin_reply(other.map(|r| r.map(|_| ())))),
    }
}

/// `GET /api/v1/apps/{app}/recordings/{id}`: one recording's description.
#[utoipa::path(get, path = "/apps/{app}/recordings/{id}", tag = "recordings", params(("app" = String, Path, description = "The app id (appID)"), ("id" = String, Path, description = "The recording id")), security(("appSecret" = [])), responses((status = 200, description = "The recording", body = lineup_protocol::rest::AdminResponse<RecordingData>), super::openapi::ApiErrors))]
pub async fn get_one(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match find(&state, app, id, &headers).await {
        Ok(row) => super::admin_ok(RecordingData::from(row)),
        Err(resp) => resp,
    }
}

/// `GET /api/v1/apps/{app}/recordings/{id}/file`: the WebM file (byte ranges allowed).
#[utoipa::path(get, path = "/apps/{app}/recordings/{id}/file", tag = "recordings", params(("app" = String, Path, description = "The app id (appID)"), ("id" = String, Path, description = "The recording id")), security(("appSecret" = [])), responses((status = 200, description = "The recording (WebM: Opus and VP8)", content_type = "video/webm"), (status = 206, description = "The requested byte range", content_type = "video/webm"), super::openapi::ApiErrors))]
pub async fn file(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let row = match find(&state, app, id, &headers).await {
        Ok(row) => row,
        Err(resp) => return resp,
    };
    if let Some((node, keeper)) = elsewhere(&state, &row) {
        return at_keeper(node, keeper, axum::http::Method::GET, &row, &headers).await;
    }
    serve_file(&state, &row, &headers).await
}

/// `row`'s file from this node's data directory.
async fn serve_file(state: &AppState, row: &RecordingRow, headers: &HeaderMap) -> Response {
    let path = state.config.data_dir.join(&row.file);
    if !path.is_file() {
        return admin_error(AdminError::Unavailable(format!(
            "recording {}: its file is missing from the data directory",
            row.id
        )));
    }
    // ServeFile answers Range and conditional requests; only those headers are passed.
    let mut req = Request::new(axum::body::Body::empty());
    for h in [header::RANGE, header::IF_RANGE, header::IF_MODIFIED_SINCE, header::IF_NONE_MATCH] {
        if let Some(v) = headers.get(&h) {
            req.headers_mut().insert(h, v.clone());
        }
    }
    let served = tower_http::services::ServeFile::new(&path).oneshot(req).await;
    let mut resp = match served {
        Ok(r) => r.into_response(),
        Err(e) => return admin_error(AdminError::Unavailable(format!("recording {}: {e}", row.id))),
    };
    if !resp.status().is_success() {
        return resp;
    }
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("video/webm"));
    let disposition = format!("attachment; filename=\"{}.webm\"", row.id);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `DELETE /api/v1/apps/{app}/recordings/{id}`: the row and its file.
#[utoipa::path(delete, path = "/apps/{app}/recordings/{id}", tag = "recordings", params(("app" = String, Path, description = "The app id (appID)"), ("id" = String, Path, description = "The recording id")), security(("appSecret" = [])), responses((status = 200, description = "Deleted", body = lineup_protocol::rest::AdminResponse<RecordingData>), super::openapi::ApiErrors))]
pub async fn delete(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    // A file kept on another node is deleted there first; the row goes after it.
    let row = match find(&state, app.clone(), id.clone(), &headers).await {
        Ok(row) => row,
        Err(resp) => return resp,
    };
    if let Some((node, keeper)) = elsewhere(&state, &row) {
        let resp = at_keeper(node, keeper, axum::http::Method::DELETE, &row, &headers).await;
        if !resp.status().is_success() {
            return resp;
        }
    }
    let dir = state.config.data_dir.clone();
    let local = elsewhere(&state, &row).is_none();
    with_app(&state, app, &headers, move |hub, app| {
        check_id(&id)?;
        let index = hub.recordings();
        let row = index.get(app, &id).map_err(index_error)?.ok_or_else(|| not_found(&id))?;
        index.delete(app, &id).map_err(index_error)?;
        if local {
            remove_file(&dir, &row);
        }
        Ok(RecordingData::from(row))
    })
    .await
}

/// Removes `row`'s file from `dir` (a file already gone is fine).
fn remove_file(dir: &std::path::Path, row: &RecordingRow) {
    match std::fs::remove_file(dir.join(&row.file)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(recording = %row.id, "cannot delete its file: {e}")
        }
        _ => {}
    }
}

/// `GET|DELETE /cluster/recordings/{app}/{id}`: a recording file this node keeps, for
/// another node of the cluster (its credential only; the app's secret was checked
/// there).
pub async fn keeper(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    let Some(node) = state.cluster() else { return admin_error(AdminError::NoEndpoint) };
    if !crate::cluster::link::from_node(&node.settings.secret, &headers) {
        return admin_error(AdminError::NoEndpoint);
    }
    if let Err(e) = check_id(&id).and_then(|_| crate::admin::check_app_id(&app)) {
        return admin_error(e);
    }
    let row = RecordingRow {
        id: id.clone(),
        app: app.clone(),
        node: node.settings.node_id.clone(),
        session_id: String::new(),
        meet_id: 0,
        started_ms: 0,
        ended_ms: 0,
        duration_ms: 0,
        bytes: 0,
        tracks: String::new(),
        file: crate::recording::file_name(&app, &id),
    };
    if method == axum::http::Method::DELETE {
        remove_file(&state.config.data_dir, &row);
        return super::admin_ok(serde_json::json!({}));
    }
    serve_file(&state, &row, &headers).await
}

/// `POST /cluster/recordings/{app}/{id}`: recording `id` that the sending node finished
/// for an app served here now: its `recording` event, made from the row in the index
/// (which must name the sending node), into the app's outbox. Node credential only; the
/// request has no body.
pub async fn told(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(node) = state.cluster() else { return admin_error(AdminError::NoEndpoint) };
    let sender = headers
        .get(crate::cluster::link::NODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::cluster::link::verify(&node.settings.secret, v));
    let Some(sender) = sender else { return admin_error(AdminError::NoEndpoint) };
    if let Err(e) = check_id(&id).and_then(|_| crate::admin::check_app_id(&app)) {
        return admin_error(e);
    }
    let hub = match state.hub_for(&app) {
        Ok(hub) => hub,
        Err(e) => return admin_error(AdminError::Unavailable(format!("app {app} is not served here: {e}"))),
    };
    match crate::cluster::keeper::store_finished(&hub, &app, &id, &sender).await {
        Ok(()) => super::admin_ok(serde_json::json!({})),
        Err(e) => admin_error(AdminError::Unavailable(e)),
    }
}
