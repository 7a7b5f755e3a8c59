//! A debug lineup-server for the test steps that talk to it from outside (the SDK's
//! browser tests, the API contract): built, started on a free loopback port with a
//! scratch data directory, stopped (and its data removed) when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestServer {
    child: Child,
    data: PathBuf,
    pub port: u16,
}

impl TestServer {
    /// Builds `lineup-server`, starts it with `args` (besides --listen and --data) and
    /// `env`, and waits until it listens (15 s at most).
    pub fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Result<TestServer, String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        if !Command::new(&cargo).args(["build", "--quiet", "-p", "lineup-server"]).status().is_ok_and(|s| s.success()) {
            return Err("lineup-server did not build".into());
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("no free port: {e}"))?.port();
        let data = std::env::temp_dir().join(format!("lineup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let child = Command::new("target/debug/lineup-server")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(&data)
            .args(args)
            .env("LINEUP_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start lineup-server: {e}"))?;
        let server = TestServer { child, data, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("lineup-server did not start listening within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
