//! The SDK's browser tests: a real lineup-server on a free loopback port, then
//! `cargo test --target wasm32-unknown-unknown` (wasm-bindgen-test-runner drives
//! headless Chromium through chromedriver) with the server's address compiled in.

use crate::server::TestServer;

pub fn run(test: impl FnOnce(&[&str], &[(&str, String)]) -> bool) -> Result<bool, String> {
    let key = format!("browser-tests-{}", std::process::id());
    // The test runner serves its pages from another port: they need CORS. Its tests try
    // wrong credentials on purpose, many times, from one address.
    let server = TestServer::start(
        "browser-tests",
        &["--no-demo", "--admin-key", &key, "--cors-origin", "*"],
        &[("LINEUP_FAILED_LOGINS_BURST", "100000")],
    )?;
    let env = [("LINEUP_TEST_SERVER", server.base()), ("LINEUP_TEST_ADMIN_KEY", key)];
    Ok(test(&["-p", "lineup-sdk", "--target", "wasm32-unknown-unknown", "--tests"], &env))
}
