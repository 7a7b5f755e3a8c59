//! The SDK's browser tests: a real lineup-server on a free loopback port, then
//! `cargo test --target wasm32-unknown-unknown` (wasm-bindgen-test-runner drives
//! headless Chromium through chromedriver) with the server's address compiled in.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Stops the server when dropped, whatever happens to the tests.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(test: impl FnOnce(&[&str], &[(&str, String)]) -> bool) -> Result<bool, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo).args(["build", "--quiet", "-p", "lineup-server"]).status();
    if !status.is_ok_and(|s| s.success()) {
        return Err("lineup-server did not build".into());
    }
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let data = std::env::temp_dir().join(format!("lineup-browser-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let key = format!("browser-tests-{}", std::process::id());
    let child = Command::new("target/debug/lineup-server")
        .args(["--listen", &format!("127.0.0.1:{port}"), "--no-demo", "--admin-key", &key])
        .arg("--data")
        .arg(&data)
        // The test runner serves its pages from another port: they need CORS. Its
        // tests try wrong credentials on purpose, many times, from one address.
        .args(["--cors-origin", "*"])
        .env("LINEUP_FAILED_LOGINS_BURST", "100000")
        .env("LINEUP_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start lineup-server: {e}"))?;
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("lineup-server did not start listening within 15 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let env = [("LINEUP_TEST_SERVER", format!("http://127.0.0.1:{port}")), ("LINEUP_TEST_ADMIN_KEY", key)];
    let passed = test(&["-p", "lineup-sdk", "--target", "wasm32-unknown-unknown", "--tests"], &env);
    let _ = std::fs::remove_dir_all(&data);
    Ok(passed)
}
