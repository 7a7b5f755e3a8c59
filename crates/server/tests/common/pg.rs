//! A throwaway PostgreSQL for the cluster tests: `initdb` into a temporary directory,
//! `pg_ctl start` on a free loopback port (its socket in that directory too), stopped
//! and removed on drop. Never a server that happens to run. As root (CI), the cluster
//! runs as the `postgres` user, since PostgreSQL refuses to run as root. Shared by the
//! tests (`common::pg`) and the journal benchmark (`#[path]`-included).

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct ThrowawayPg {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

/// Where `initdb` and `pg_ctl` are: on PATH, or Debian's `/usr/lib/postgresql/N/bin`.
fn pg_bin_dir() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
                return dir;
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| d.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect(
        "PostgreSQL's initdb and pg_ctl are needed for the cluster tests: apt-get install postgresql (cargo xtask test installs it)",
    )
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl ThrowawayPg {
    pub fn start() -> ThrowawayPg {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("lineup-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap().success();
            assert!(ok, "chown of {} to postgres", dir.display());
        }
        let mut pg = ThrowawayPg { dir, bin: pg_bin_dir(), as_postgres, port: 0 };
        let data = pg.dir.join("data");
        pg.tool("initdb", |c| {
            c.arg("-D").arg(&data).args(["-A", "trust", "-U", "lineup", "-E", "UTF8", "--no-sync"]);
        });
        // A port found free can be taken before the server binds it: try a few.
        for _ in 0..5 {
            pg.port = free_port();
            let opts =
                format!("-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200", pg.port, pg.dir.display());
            let log = pg.dir.join("log");
            if pg.try_tool("pg_ctl", |c| {
                c.arg("-D").arg(&data).arg("-l").arg(&log).args(["-w", "-t", "30", "-o", &opts, "start"]);
            }) {
                return pg;
            }
        }
        let log = std::fs::read_to_string(pg.dir.join("log")).unwrap_or_default();
        panic!("the throwaway PostgreSQL did not start:\n{log}");
    }

    /// `postgres://lineup@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://lineup@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn try_tool(&self, tool: &str, args: impl FnOnce(&mut Command)) -> bool {
        let mut c = self.command(tool);
        args(&mut c);
        c.stdout(Stdio::null()).stderr(Stdio::null()).current_dir(&self.dir);
        c.status().is_ok_and(|s| s.success())
    }

    /// A client program: beside `initdb`, else on PATH.
    fn client_tool(&self, name: &str) -> PathBuf {
        let beside = self.bin.join(name);
        if beside.exists() {
            beside
        } else {
            PathBuf::from(name)
        }
    }

    /// The whole database as SQL (`pg_dump`), to keep as a fixture.
    #[allow(dead_code)]
    pub fn dump(&self) -> String {
        let port = self.port.to_string();
        let out = Command::new(self.client_tool("pg_dump"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "lineup", "--no-owner", "--no-privileges", "postgres"])
            .output()
            .expect("pg_dump runs");
        assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("SQL is text")
    }

    /// Runs a SQL file (`psql`, stopping at the first error).
    #[allow(dead_code)]
    pub fn load(&self, sql: &std::path::Path) {
        let port = self.port.to_string();
        let out = Command::new(self.client_tool("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "lineup",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                "postgres",
                "-f",
            ])
            .arg(sql)
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "psql {}: {}", sql.display(), String::from_utf8_lossy(&out.stderr));
    }

    fn tool(&self, tool: &str, args: impl FnOnce(&mut Command)) {
        let mut c = self.command(tool);
        args(&mut c);
        let out = c.current_dir(&self.dir).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for ThrowawayPg {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.try_tool("pg_ctl", |c| {
            c.arg("-D").arg(&data).args(["-m", "immediate", "-w", "stop"]);
        });
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
