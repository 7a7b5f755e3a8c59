//! The demo apps and the SDK built into the binary (see `build.rs`), served when no
//! `--www` / `--sdk` directory is given: brotli or gzip as the client accepts (each
//! compressed once, when the server is built), revalidated by ETag, and cached for a
//! year when the name carries a content hash.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    /// Path below its root, `/`-separated.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Brotli-compressed; empty when compressing did not pay.
    pub br: &'static [u8],
    /// Gzip-compressed; empty when compressing did not pay.
    pub gzip: &'static [u8],
    /// FNV-1a of the contents (hex), for the ETags.
    pub tag: &'static str,
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

/// Whether a file name carries a content hash, as bundlers name what they emit
/// (`index-BxT3k9aQ.js`, `main.3f9a1c0e7b2d4a6f8e1c.js`): 8 or more letters, digits, `_`
/// or `-` between a `-` or `.` and the extension, not all lower-case letters (so
/// `my-component.js` is not taken for one).
pub fn hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((stem, _ext)) = name.rsplit_once('.') else { return false };
    let Some(cut) = stem.rfind(['-', '.']) else { return false };
    let hash = &stem[cut + 1..];
    hash.len() >= 8
        && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !hash.bytes().all(|b| b.is_ascii_lowercase())
}

/// `Cache-Control` for a static file: a year, immutable, when its name carries a content
/// hash (a new build is a new name); otherwise cached only after revalidation.
pub fn cache_control(path: &str) -> &'static str {
    if hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// A content coding the server can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Br,
}

/// The coding to send of those available (`br`, `gzip`: a compressed copy exists), by
/// the request's `Accept-Encoding`: the highest q-value, brotli before gzip on a tie;
/// identity when neither is accepted (or there is no header).
pub fn negotiate(headers: &HeaderMap, br: bool, gzip: bool) -> Coding {
    let Some(accept) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return Coding::Identity };
    let (mut q_br, mut q_gzip, mut q_any) = (None, None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=").map(|v| v.trim().parse::<f32>().unwrap_or(0.0)))
            .unwrap_or(1.0);
        match name.as_str() {
            "br" => q_br = Some(q),
            "gzip" | "x-gzip" => q_gzip = Some(q),
            "*" => q_any = Some(q),
            _ => {}
        }
    }
    let q_br = if br { q_br.or(q_any).unwrap_or(0.0) } else { 0.0 };
    let q_gzip = if gzip { q_gzip.or(q_any).unwrap_or(0.0) } else { 0.0 };
    match (q_br > 0.0, q_gzip > 0.0) {
        (true, _) if q_br >= q_gzip => Coding::Br,
        (_, true) => Coding::Gzip,
        _ => Coding::Identity,
    }
}

/// Whether `If-None-Match` lists `etag` (weakly compared) or is `*`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let Some(list) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else { return false };
    list.split(',').map(|t| t.trim()).any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// Serves `uri`'s path from `table`: 200 in the best coding the client accepts (or 304
/// for a matching `If-None-Match`), or 404 when there is no such file. Each coding has
/// its own ETag (`"<hash>"`, `"<hash>-br"`, `"<hash>-gz"`).
pub fn serve(table: &'static [Asset], uri: &Uri, headers: &HeaderMap) -> Response {
    let Some(asset) = find(table, uri.path()) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found").into_response();
    };
    let coding = negotiate(headers, !asset.br.is_empty(), !asset.gzip.is_empty());
    let (body, encoding, suffix) = match coding {
        Coding::Br => (asset.br, Some("br"), "-br"),
        Coding::Gzip => (asset.gzip, Some("gzip"), "-gz"),
        Coding::Identity => (asset.bytes, None, ""),
    };
    let etag = format!("\"{}{suffix}\"", asset.tag);
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, HeaderValue::from_str(&etag).expect("a hex ETag"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(asset.path)));
    if !asset.br.is_empty() || !asset.gzip.is_empty() {
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if not_modified(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(asset.path)));
    if let Some(encoding) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    (out, body).into_response()
}

/// Whether the binary carries the apps and the SDK.
pub fn embedded() -> (usize, usize) {
    (WWW.len(), SDK.len())
}
