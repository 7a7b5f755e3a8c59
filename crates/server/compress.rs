// How the server's static files are compressed: included by build.rs (which embeds them
// compressed) and by `cargo xtask size` (which reports a bundler's output the same way).

/// Gzip by zopfli, 5 iterations (about 0.7 s for the SDK's wasm, 5% smaller than
/// `gzip -9`; more iterations gain nothing).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let options = zopfli::Options { iteration_count: std::num::NonZeroU64::new(5).expect("5 > 0"), ..Default::default() };
    zopfli::compress(options, zopfli::Format::Gzip, bytes, &mut out).expect("gzip into memory");
    out
}

/// Brotli at its best quality and a 4 MB window.
fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli into memory");
    out
}
