//! `cargo xtask size`: what a page really downloads. The SDK and the demo pages as a
//! debug lineup-server sends them (asked over HTTP without compression, with gzip and
//! with brotli: its embedded files, compressed when it was built), and what a bundler
//! emits for the example app (examples/web, Vite, installed from the packed tarball),
//! compressed as the server compresses.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use crate::server::TestServer;

/// Bytes of one page: sent as is, gzipped, brotli-compressed.
#[derive(Default)]
struct Weight {
    files: Vec<String>,
    raw: usize,
    gzip: usize,
    br: usize,
}

/// GET `path` with `Accept-Encoding: accept`: the body's bytes as sent, and its
/// `Content-Encoding`.
fn get(port: u16, path: &str, accept: &str) -> Result<(Vec<u8>, Option<String>), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: {accept}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).map_err(|e| format!("{path}: {e}"))?;
    let mut all = Vec::new();
    s.read_to_end(&mut all).map_err(|e| format!("{path}: {e}"))?;
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").ok_or(format!("{path}: no HTTP head"))?;
    let head = String::from_utf8_lossy(&all[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") || head.contains("transfer-encoding: chunked") {
        return Err(format!("{path}: {}", head.lines().next().unwrap_or("")));
    }
    let encoding = head.lines().find_map(|l| l.strip_prefix("content-encoding: ").map(str::to_string));
    Ok((all[split + 4..].to_vec(), encoding))
}

/// What `page` loads from the server: its scripts and stylesheets, the modules they
/// import, and the wasm of each SDK glue module.
fn page_files(port: u16, page: &str) -> Result<Vec<String>, String> {
    let mut todo = vec![page.to_string()];
    let mut seen: Vec<String> = Vec::new();
    while let Some(path) = todo.pop() {
        if seen.contains(&path) {
            continue;
        }
        let (body, _) = get(port, &path, "identity")?;
        let text = String::from_utf8_lossy(&body);
        let dir = &path[..=path.rfind('/').unwrap_or(0)];
        let mut refs = Vec::new();
        for marker in ["src=\"", "href=\"", "from\"", "from \"", "from'", "from '", "import(\"", "import('"] {
            for part in text.split(marker).skip(1) {
                let r: String = part.chars().take_while(|c| *c != '"' && *c != '\'').collect();
                if !r.contains("://") && !r.is_empty() && (r.ends_with(".js") || r.ends_with(".css")) {
                    refs.push(if r.starts_with('/') { r } else { format!("{dir}{}", r.trim_start_matches("./")) });
                }
            }
        }
        // The classic loader imports its module by a computed URL.
        if let Some(dir) = path.strip_suffix("lineup-crvideo.js") {
            refs.push(format!("{dir}lineup_crvideo.js"));
        }
        if let Some(glue) = path.strip_suffix(".js").filter(|p| p.ends_with("/lineup_sdk") || p.ends_with("/lineup_crvideo")) {
            refs.push(format!("{glue}_bg.wasm"));
        }
        if path.ends_with(".wasm") {
            refs.clear();
        }
        seen.push(path);
        todo.extend(refs);
    }
    Ok(seen)
}

/// What the server sends for `files`, without compression, with gzip, with brotli.
fn on_the_wire(port: u16, files: Vec<String>) -> Result<Weight, String> {
    let mut w = Weight::default();
    for f in &files {
        for (accept, want, total) in [("identity", None, &mut w.raw), ("gzip", Some("gzip"), &mut w.gzip), ("br", Some("br"), &mut w.br)] {
            let (body, encoding) = get(port, f, accept)?;
            if want.is_some() && encoding.as_deref() != want && body.len() > 1024 {
                return Err(format!("{f}: sent {encoding:?} to Accept-Encoding: {accept}"));
            }
            *total += body.len();
        }
    }
    w.files = files;
    Ok(w)
}

include!("../../crates/server/compress.rs");

/// examples/web built by Vite from the packed tarball: what each page's HTML names
/// (scripts, preloads, stylesheets) and the wasm it emits.
fn vite_pages() -> Result<Vec<(String, Weight)>, String> {
    let dir = Path::new("examples/web");
    let npm = |args: &[&str]| -> Result<(), String> {
        let s = Command::new("npm").args(args).current_dir(dir).status().map_err(|e| format!("npm: {e}"))?;
        if s.success() { Ok(()) } else { Err(format!("npm {args:?} in examples/web failed")) }
    };
    // npm keeps an installed `file:` tarball of the same version: the package is taken
    // out first, so the build bundles the SDK just packed (it measured a stale one).
    let _ = std::fs::remove_dir_all(dir.join("node_modules").join("lineup-sdk"));
    npm(&["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefer-offline", "--loglevel=error"])?;
    npm(&["run", "build", "--silent"])?;
    let dist = dir.join("dist");
    let wasm: Vec<_> = std::fs::read_dir(dist.join("assets")).map_err(|e| format!("examples/web/dist/assets: {e}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    let mut out = Vec::new();
    for page in ["agent.html", "customer.html"] {
        let html = std::fs::read_to_string(dist.join(page)).map_err(|e| format!("{page}: {e}"))?;
        let mut w = Weight::default();
        let mut files: Vec<std::path::PathBuf> = vec![dist.join(page)];
        for marker in ["src=\"/", "href=\"/"] {
            files.extend(html.split(marker).skip(1).map(|p| dist.join(&p[..p.find('"').unwrap_or(0)])));
        }
        files.extend(wasm.iter().cloned());
        for f in files {
            let bytes = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            w.raw += bytes.len();
            w.gzip += gzip(&bytes).len();
            w.br += brotli(&bytes).len();
            w.files.push(f.strip_prefix(&dist).unwrap_or(&f).display().to_string());
        }
        out.push((format!("examples/web {page}, Vite build"), w));
    }
    Ok(out)
}

/// Prints the table of what each kind of page downloads (KB: 1024 bytes).
pub fn run() -> Result<(), String> {
    let tarball = std::fs::read_dir("target").map_err(|e| format!("target: {e}"))?.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("lineup-sdk-") && e.file_name().to_string_lossy().ends_with(".tgz"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .max()
        .unwrap_or(0);
    let server = TestServer::start("size", &[], &[])?;
    let mut rows = Vec::new();
    for (name, files) in [
        ("CRVideo page (/sdk/lineup-crvideo.js)", page_files(server.port, "/sdk/lineup-crvideo.js")?),
        ("modern page (/sdk/index.js)", page_files(server.port, "/sdk/index.js")?),
        ("demo customer.html (CRVideo)", page_files(server.port, "/customer.html")?),
        ("demo agent.html (modern)", page_files(server.port, "/agent.html")?),
    ] {
        rows.push((name.to_string(), on_the_wire(server.port, files)?));
    }
    drop(server);
    rows.extend(vite_pages()?);
    let kb = |b: usize| format!("{:.1} KB", b as f64 / 1024.0);
    println!("| page | files | uncompressed | gzip | brotli |");
    println!("|---|---:|---:|---:|---:|");
    for (name, w) in &rows {
        println!("| {name} | {} | {} | {} | {} |", w.files.len(), kb(w.raw), kb(w.gzip), kb(w.br));
    }
    println!("\nnpm tarball (target/lineup-sdk-*.tgz): {}", kb(tarball as usize));
    for (name, w) in &rows {
        println!("{name}: {}", w.files.join(", "));
    }
    let sdk_gzip = rows.iter().take(2).map(|(_, w)| w.gzip).max().unwrap_or(0);
    println!("budget: with audio and video, what a page downloads of the SDK <= 75 KB gz (half of Twilio's taskrouter + video pair)");
    if sdk_gzip > 75 * 1024 {
        return Err("the SDK is over the 75 KB gz budget".into());
    }
    Ok(())
}
