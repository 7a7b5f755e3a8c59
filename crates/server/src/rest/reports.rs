//! REST for history reports: per queue and per agent, 15-minute intervals, as JSON or
//! CSV (`crate::reports`). Authenticated by the app secret.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::{admin_ok, admin_reply, app_call};
use crate::admin_error::AdminError;
use crate::hub::Hub;
use crate::reports::{self, AgentReportRow, Kind, QueueReportRow, ReportQuery};
use crate::AppState;

/// The most rows one response holds.
pub const MAX_ROWS: usize = 50_000;

/// `GET .../reports/queues` result.
#[derive(Serialize, utoipa::ToSchema)]
struct QueueReport {
    /// Oldest first, then by queue; the open interval last (`complete: false`).
    rows: Vec<QueueReportRow>,
}

/// `GET .../reports/agents` result.
#[derive(Serialize, utoipa::ToSchema)]
struct AgentReport {
    /// Oldest first, then by agent; the open interval last (`complete: false`).
    rows: Vec<AgentReportRow>,
}

/// `GET /api/v1/apps/{app}/reports/queues?from=&to=&queue=&format=`.
#[utoipa::path(get, path = "/apps/{app}/reports/queues", tag = "reports", params(("app" = String, Path, description = "The app id (appID)"), ("from" = Option<String>, Query, description = "Intervals starting from this time: Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC; default: 24 hours before `to`); rounded down to an interval's start"), ("to" = Option<String>, Query, description = "... and before this time (default: now); at most 31 days after `from`"), ("queue" = Option<u32>, Query, description = "Only this queue (QueueID)"), ("format" = Option<String>, Query, description = "`json` (default) or `csv`")), security(("appSecret" = [])), responses((status = 200, description = "Each queue over each 15-minute interval with activity (CSV with format=csv)", content((lineup_protocol::rest::AdminResponse<QueueReport> = "application/json"), (String = "text/csv"))), super::openapi::ApiErrors))]
pub async fn queues(
    State(state): State<AppState>,
    Path(app): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    report(state, app, headers, params, Kind::Queue).await
}

/// `GET /api/v1/apps/{app}/reports/agents?from=&to=&agent=&format=`.
#[utoipa::path(get, path = "/apps/{app}/reports/agents", tag = "reports", params(("app" = String, Path, description = "The app id (appID)"), ("from" = Option<String>, Query, description = "Intervals starting from this time: Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC; default: 24 hours before `to`); rounded down to an interval's start"), ("to" = Option<String>, Query, description = "... and before this time (default: now); at most 31 days after `from`"), ("agent" = Option<String>, Query, description = "Only this agent (UID)"), ("format" = Option<String>, Query, description = "`json` (default) or `csv`")), security(("appSecret" = [])), responses((status = 200, description = "Each agent over each 15-minute interval with activity (CSV with format=csv)", content((lineup_protocol::rest::AdminResponse<AgentReport> = "application/json"), (String = "text/csv"))), super::openapi::ApiErrors))]
pub async fn agents(
    State(state): State<AppState>,
    Path(app): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    report(state, app, headers, params, Kind::Agent).await
}

async fn report(
    state: AppState,
    app: String,
    headers: HeaderMap,
    params: HashMap<String, String>,
    kind: Kind,
) -> Response {
    let found = app_call(&state, app, &headers, move |hub, app| {
        let query = ReportQuery::parse(kind, &params, crate::clock::now().as_millis())?;
        let rows = rows(hub, app, kind, &query)?;
        Ok((query.csv, rows))
    })
    .await;
    match found {
        Ok(Ok((false, rows))) => admin_ok(serde_json::json!({ "rows": rows })),
        Ok(Ok((true, rows))) => {
            let mut resp = reports::csv(kind, &rows).into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            let name = format!("attachment; filename=\"{}-report.csv\"", kind.name());
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).expect("ascii"));
            resp
        }
        other => admin_reply(other.map(|r| r.map(|_| ()))),
    }
}

/// The stored rows in range, then the open interval's.
fn rows(hub: &mut Hub, app: &str, kind: Kind, q: &ReportQuery) -> Result<Vec<Value>, AdminError> {
    let stored = hub
        .journal_store()
        .report_rows(app, kind.name(), q.range_start(), q.to_ms)
        .map_err(|e| AdminError::Internal(format!("cannot read reports: {e}")))?;
    let wanted = |subject: &str| q.subject.as_deref().is_none_or(|s| s == subject);
    let mut rows: Vec<Value> = Vec::new();
    for r in stored.into_iter().filter(|r| wanted(&r.subject)) {
        match serde_json::from_str(&r.body) {
            Ok(v) => rows.push(v),
            Err(e) => {
                tracing::error!(app, kind = r.kind, start_ms = r.start_ms, error = %e, "damaged report row skipped")
            }
        }
        if rows.len() > MAX_ROWS {
            return Err(AdminError::bad(format!(
                "more than {MAX_ROWS} rows: ask for a shorter from..to, or one queue or agent"
            )));
        }
    }
    if let Some(open) = hub.engine.open_interval(app).filter(|o| q.covers(o.start.as_millis())) {
        rows.extend(reports::open_rows(&open, kind).into_iter().filter(|(s, _)| wanted(s)).map(|(_, v)| v));
    }
    Ok(rows)
}
