//! The demo apps and the SDK built into the binary (see `build.rs`), served when no
//! `--www` / `--sdk` directory is given.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    /// Path below its root, `/`-separated.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Quoted FNV-1a of the contents.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The file at `path` (sorted tables), or `path/index.html`.
fn find(table: &'static [Asset], path: &str) -> Option<&'static Asset> {
    let path = path.trim_start_matches('/');
    let get = |p: &str| table.binary_search_by(|a| a.path.cmp(p)).ok().map(|i| &table[i]);
    if path.is_empty() {
        return get("index.html");
    }
    get(path).or_else(|| get(&format!("{}/index.html", path.trim_end_matches('/'))))
}

/// The media type of a file name.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "ts" => "text/plain; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves `uri`'s path from `table`: 200 (or 304 for a matching `If-None-Match`), or
/// 404 when there is no such file.
pub fn serve(table: &'static [Asset], uri: &Uri, headers: &HeaderMap) -> Response {
    let Some(asset) = find(table, uri.path()) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found").into_response();
    };
    let etag = HeaderValue::from_static(asset.etag);
    let cache = HeaderValue::from_static("no-cache");
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == asset.etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)]).into_response();
    }
    let ty = HeaderValue::from_static(content_type(asset.path));
    ([(header::CONTENT_TYPE, ty), (header::ETAG, etag), (header::CACHE_CONTROL, cache)], asset.bytes).into_response()
}

/// Whether the binary carries the apps and the SDK.
pub fn embedded() -> (usize, usize) {
    (WWW.len(), SDK.len())
}
