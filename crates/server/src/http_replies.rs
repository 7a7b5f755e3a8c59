//! Refusals in both envelopes (the Web API's `RspCode`/`RspDesc` and the login API's
//! `err`/`msg`), for any route and for the WebSocket upgrade (a leaf: it imports
//! nothing of the server).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// 429 with `Retry-After`, in both envelopes (Web API `RspCode` and login `err`).
pub fn too_many(retry_after_s: u64, why: &str) -> Response {
    let msg = format!("{why}; retry after {retry_after_s} s");
    let body = serde_json::json!({
        "RspCode": lineup_protocol::rest::rsp::TOO_MANY_REQUESTS, "RspDesc": msg,
        "err": lineup_protocol::codes::TOO_MANY_REQUESTS, "msg": msg,
    });
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    resp
}

/// 503 with `Retry-After: 1`, in both envelopes (Web API `RspCode` and login `err`).
pub fn unavailable(why: &str) -> Response {
    let body = serde_json::json!({
        "RspCode": lineup_protocol::rest::rsp::UNKNOWN, "RspDesc": why,
        "err": lineup_protocol::codes::INNER_ERR, "msg": why,
    });
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}
