//! The apps and the SDK as a browser downloads them: brotli or gzip as the request's
//! `Accept-Encoding` allows (`Content-Encoding`, `Vary`), ETags per coding and 304s,
//! revalidation for plain names and a year's caching for content-hashed ones; the
//! same from a `--www` directory (its `.br` / `.gz` files).

mod common;

use std::io::Read;

use common::*;
use reqwest::header::HeaderMap;

/// GET `path` with `Accept-Encoding: accept` (none when empty): status, headers, the
/// body decoded as its `Content-Encoding` says, and the bytes sent.
async fn get(server: &Server, path: &str, accept: &str, if_none_match: Option<&str>) -> (u16, HeaderMap, Vec<u8>, usize) {
    let mut req = server.http.get(format!("{}{path}", server.base));
    if !accept.is_empty() {
        req = req.header("accept-encoding", accept);
    }
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let sent = r.bytes().await.unwrap().to_vec();
    let mut body = Vec::new();
    match headers.get("content-encoding").map(|v| v.to_str().unwrap()) {
        Some("br") => brotli::Decompressor::new(&sent[..], 4096).read_to_end(&mut body).map(|_| ()).unwrap(),
        Some("gzip") => flate2::read::GzDecoder::new(&sent[..]).read_to_end(&mut body).map(|_| ()).unwrap(),
        None => body.clone_from(&sent),
        Some(other) => panic!("{path}: unexpected Content-Encoding {other}"),
    }
    (status, headers, body, sent.len())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)).unwrap()
}

#[tokio::test]
async fn embedded_files_go_out_in_the_best_coding_the_client_accepts() {
    let server = Server::start().await;
    let raw = repo_file("www/agent.js");
    for (accept, coding) in [
        ("gzip, deflate, br, zstd", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0, gzip", Some("gzip")),
        ("gzip;q=1, br;q=0.5", Some("gzip")),
        ("*", Some("br")),
        ("GZIP", Some("gzip")),
        ("identity", None),
        ("deflate", None),
        ("*;q=0", None),
        ("", None),
    ] {
        let (status, h, body, sent) = get(&server, "/agent.js", accept, None).await;
        assert_eq!(status, 200, "{accept:?}");
        assert_eq!(header(&h, "content-encoding"), coding, "Accept-Encoding {accept:?}");
        assert_eq!(body, raw, "{accept:?}: the file itself once decoded");
        assert_eq!(header(&h, "vary"), Some("accept-encoding"), "{accept:?}");
        assert_eq!(header(&h, "cache-control"), Some("no-cache"), "a plain name is revalidated");
        assert!(header(&h, "content-type").unwrap().starts_with("text/javascript"));
        if coding.is_some() {
            assert!(sent * 2 < raw.len(), "{accept:?}: {sent} bytes sent for {}", raw.len());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn each_coding_has_its_own_etag_and_revalidates_to_304() {
    let server = Server::start().await;
    let (_, plain, _, _) = get(&server, "/customer.html", "", None).await;
    let (_, br, _, _) = get(&server, "/customer.html", "br", None).await;
    let (_, gz, _, _) = get(&server, "/customer.html", "gzip", None).await;
    let tags: Vec<&str> = [&plain, &br, &gz].iter().map(|h| header(h, "etag").unwrap()).collect();
    assert!(tags[0].starts_with('"') && tags[1].ends_with("-br\"") && tags[2].ends_with("-gz\""), "{tags:?}");
    for (accept, tag) in [("", tags[0]), ("br", tags[1]), ("gzip", tags[2])] {
        let (status, h, body, _) = get(&server, "/customer.html", accept, Some(tag)).await;
        assert_eq!((status, body.len()), (304, 0), "{accept:?} {tag}");
        assert_eq!((header(&h, "etag"), header(&h, "cache-control")), (Some(tag), Some("no-cache")));
        assert_eq!(header(&h, "vary"), Some("accept-encoding"));
    }
    // Another coding's tag is another representation; a list and a weak tag match.
    assert_eq!(get(&server, "/customer.html", "br", Some(tags[0])).await.0, 200);
    assert_eq!(get(&server, "/customer.html", "br", Some(&format!("\"x\", W/{}", tags[1]))).await.0, 304);
    assert_eq!(get(&server, "/customer.html", "br", Some("*")).await.0, 304);
    server.stop().await;
}

#[tokio::test]
async fn the_embedded_sdk_is_sent_compressed() {
    let (_, sdk_files) = lineup_server::assets::embedded();
    if sdk_files == 0 && std::env::var("LINEUP_REQUIRE_EMBEDDED_SDK").is_err() {
        eprintln!("no SDK embedded (run `cargo xtask sdk` first): skipped");
        return;
    }
    let server = Server::start().await;
    for (path, ty) in [("/sdk/lineup_sdk_bg.wasm", "application/wasm"), ("/sdk/lineup_crvideo_bg.wasm", "application/wasm"), ("/sdk/lineup-crvideo.js", "text/javascript")] {
        let raw = repo_file(&format!("js/dist/{}", &path[5..]));
        let (status, h, body, sent) = get(&server, path, "gzip, deflate, br", None).await;
        assert_eq!((status, header(&h, "content-encoding")), (200, Some("br")), "{path}");
        assert!(header(&h, "content-type").unwrap().starts_with(ty), "{path}");
        assert_eq!(body, raw, "{path}");
        assert!(sent < raw.len() * 3 / 4, "{path}: {sent} bytes sent for {}", raw.len());
    }
    server.stop().await;
}

#[tokio::test]
async fn a_directory_sends_its_precompressed_files_and_caches_hashed_names() {
    let www = temp_dir();
    std::fs::create_dir_all(www.join("assets")).unwrap();
    let js = "console.log('lineup');\n".repeat(50);
    std::fs::write(www.join("index.html"), "<h1>app</h1>").unwrap();
    std::fs::write(www.join("assets/index-BxT3k9aQ.js"), &js).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, js.as_bytes()).unwrap();
    std::fs::write(www.join("assets/index-BxT3k9aQ.js.gz"), gz.finish().unwrap()).unwrap();
    let dir = www.clone();
    let server = Server::start_with(move |c| c.www_dir = Some(dir)).await;

    let (status, h, body, _) = get(&server, "/assets/index-BxT3k9aQ.js", "gzip, br", None).await;
    assert_eq!((status, header(&h, "content-encoding")), (200, Some("gzip")), "the .gz beside it");
    assert_eq!(body, js.as_bytes());
    assert_eq!(header(&h, "cache-control"), Some("public, max-age=31536000, immutable"), "a hashed name");
    let (status, h, body, _) = get(&server, "/assets/index-BxT3k9aQ.js", "", None).await;
    assert_eq!((status, header(&h, "content-encoding"), body), (200, None, js.as_bytes().to_vec()));
    let vary: Vec<&str> = h.get_all("vary").iter().map(|v| v.to_str().unwrap()).collect();
    assert!(vary.contains(&"accept-encoding"), "{vary:?}");

    let (status, h, _, _) = get(&server, "/index.html", "gzip, br", None).await;
    assert_eq!((status, header(&h, "cache-control")), (200, Some("no-cache")), "a plain name is revalidated");
    assert!(header(&h, "last-modified").is_some());
    server.stop().await;
}

#[test]
fn content_hashed_names_are_told_from_plain_ones() {
    use lineup_server::assets::hashed;
    for name in ["assets/index-BxT3k9aQ.js", "main.3f9a1c0e7b2d4a6f8e1c.js", "assets/lineup_sdk_bg-D2kq_9Zx.wasm", "chunk-Q1W2E3R4.css"] {
        assert!(hashed(name), "{name}");
    }
    for name in ["agent.js", "my-component.js", "lineup-crvideo.js", "lineup_sdk_bg.wasm", "index.html", "assets/", "README", "x-1234567.js"] {
        assert!(!hashed(name), "{name}");
    }
}
