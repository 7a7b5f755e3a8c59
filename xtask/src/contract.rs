//! The API contract: schemathesis (PyPI) drives a live `lineup-server` through its own
//! `/api/v1/openapi.json`, every operation with a bounded number of examples, and
//! fails on any server error or any response that contradicts the document (status
//! code, content type, headers, body schema).

use std::process::Command;
use std::time::{Duration, Instant};

/// md5("demo"): the demo app's credential, also given to the server as its admin key.
const DEMO_KEY: &str = "fe01ce2a7fbac8fafaed7c982a04e229";
/// Examples per operation and phase.
const EXAMPLES: &str = "100";
/// The whole run is stopped after this long.
const DEADLINE: Duration = Duration::from_secs(180);
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance";

/// Builds the server, starts it on a scratch data directory, runs schemathesis.
/// Ok(true) when it passed.
pub fn run() -> Result<bool, String> {
    let st = crate::tools::schemathesis()?;
    // Schemathesis sends many wrong credentials on purpose.
    let server = crate::server::TestServer::start(
        "contract",
        &["--admin-key", DEMO_KEY],
        &[("LINEUP_FAILED_LOGINS_BURST", "1000000")],
    )?;
    let base = server.base();
    let started = Instant::now();
    // Run in target/: schemathesis keeps a cache (.schemathesis/) in its directory.
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let work = root.join("target/schemathesis-run");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut child = Command::new(root.join(&st))
        .current_dir(&work)
        .arg("--config-file")
        .arg(root.join("tests/api/schemathesis.toml"))
        .args(["run", &format!("{base}/api/v1/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {DEMO_KEY}")])
        .args(["--checks", CHECKS, "--max-examples", EXAMPLES, "--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--seed", "20261201", "--request-timeout", "10", "--workers", "1"])
        .arg("--report-dir")
        .arg(work.join("report"))
        .spawn()
        .map_err(|e| format!("cannot run schemathesis: {e}"))?;
    loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break Ok(s.success());
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break Err(format!("schemathesis did not finish within {} s", DEADLINE.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
