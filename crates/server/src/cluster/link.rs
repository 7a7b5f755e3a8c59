//! The node-to-node link: how one node proves to another that it is a node of the
//! cluster, and how it forwards a REST request to the owner of the request's app.
//!
//! A forwarded request (and a forwarded WebSocket) carries
//! `X-Lineup-Node: <node id> <unix ms> <hex HMAC-SHA256(cluster secret, "<node id> <unix ms>")>`.
//! The receiving node serves it itself or refuses it (503), never forwards it again;
//! it does not count it against the sending node's address (the sending node applied
//! the per-address limits to the real client, whose address it passes in
//! `X-Forwarded-For`).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::Mac;

use crate::auth;
use crate::http_replies::unavailable;

/// The header a node's requests to another node carry.
pub const NODE_HEADER: &str = "x-lineup-node";

/// A credential is accepted this long before or after its time (clock skew).
const SKEW_MS: u64 = 60_000;

/// The largest body a forwarded request may have.
pub const MAX_BODY: usize = 1 << 20;

fn mac(secret: &str, text: &str) -> String {
    let mut mac = auth::hmac_sha256(secret);
    mac.update(text.as_bytes());
    auth::hex(&mac.finalize().into_bytes())
}

/// This node's credential, now.
pub fn credential(secret: &str, node_id: &str) -> String {
    let text = format!("{node_id} {}", crate::clock::now().as_millis());
    let mac = mac(secret, &text);
    format!("{text} {mac}")
}

/// The node a credential names, when it is valid now.
pub fn verify(secret: &str, value: &str) -> Option<String> {
    let (text, given) = value.rsplit_once(' ')?;
    let (node, at) = text.split_once(' ')?;
    let at: u64 = at.parse().ok()?;
    if crate::clock::now().as_millis().abs_diff(at) > SKEW_MS || !auth::same(&mac(secret, text), given) {
        return None;
    }
    Some(node.to_string())
}

/// The header of a node's answer to a forwarded request that the app's hub there did
/// not run (it stopped, handing the app over): the forwarding node sends the request
/// to the app's next owner.
pub const NOT_APPLIED_HEADER: &str = "x-lineup-not-applied";

/// `resp` marked for the forwarding node as not run here ([`NOT_APPLIED_HEADER`]).
pub fn not_applied(mut resp: Response) -> Response {
    resp.headers_mut().insert(NOT_APPLIED_HEADER, HeaderValue::from_static("1"));
    resp
}

/// Whether a request comes from a node of the cluster.
pub fn from_node(secret: &str, headers: &HeaderMap) -> bool {
    headers.get(NODE_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| verify(secret, v)).is_some()
}

/// Headers a forwarded request keeps (the rest are the hop's own).
const KEPT: [&str; 6] = ["authorization", "content-type", "accept", "if-none-match", "range", "if-range"];

#[allow(clippy::too_many_arguments)]
/// Forwards a request to the node at `addr`; its answer, or `None` when that node
/// could not be reached or did not run it (the caller waits for the next owner).
pub async fn forward(
    http: &reqwest::Client,
    credential: String,
    addr: &str,
    method: &axum::http::Method,
    path_and_query: &str,
    headers: &HeaderMap,
    client: Option<std::net::IpAddr>,
    body: axum::body::Bytes,
) -> Option<Response> {
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).ok()?;
    let mut req =
        http.request(method, format!("http://{addr}{path_and_query}")).header(NODE_HEADER, credential).body(body);
    for name in KEPT {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            req = req.header(name, v);
        }
    }
    if let Some(ip) = client {
        req = req.header("x-forwarded-for", ip.to_string());
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() => return None,
        Err(e) => return Some(unavailable(&format!("the node serving this app did not answer: {e}"))),
    };
    if resp.headers().contains_key(NOT_APPLIED_HEADER) {
        return None; // handed over before it ran there: the next owner gets it
    }
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = HeaderMap::new();
    for (name, value) in resp.headers() {
        let keep = matches!(
            name.as_str(),
            "content-type"
                | "retry-after"
                | "etag"
                | "content-disposition"
                | "cache-control"
                | "content-range"
                | "accept-ranges"
                | "last-modified"
        );
        if let (true, Ok(n), Ok(v)) =
            (keep, HeaderName::from_bytes(name.as_str().as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
        {
            out.insert(n, v);
        }
    }
    // A file (a recording) goes through as it comes, not held whole; a JSON answer is
    // read first, so that one broken off is a clear 503.
    let json = resp.headers().get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    let body = if json {
        match resp.bytes().await {
            Ok(b) => Body::from(b),
            Err(e) => return Some(unavailable(&format!("the node serving this app broke off its answer: {e}"))),
        }
    } else {
        if let Some(n) = resp.content_length() {
            out.insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        Body::from_stream(resp.bytes_stream())
    };
    let mut response = (status, body).into_response();
    response.headers_mut().extend(out);
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_need_the_secret_and_a_recent_time() {
        let c = credential("a cluster secret!", "node-1");
        assert_eq!(verify("a cluster secret!", &c).as_deref(), Some("node-1"));
        assert_eq!(verify("another secret!!!", &c), None);
        let (text, mac) = c.rsplit_once(' ').unwrap();
        assert_eq!(verify("a cluster secret!", &format!("{text}0 {mac}")), None, "changed time");
        let old = format!("node-1 {}", crate::clock::now().as_millis() - 2 * SKEW_MS);
        let old = format!("{old} {}", super::mac("a cluster secret!", &old));
        assert_eq!(verify("a cluster secret!", &old), None, "too old");
        assert_eq!(verify("a cluster secret!", "garbage"), None);
    }
}
