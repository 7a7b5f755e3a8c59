//! `cargo xtask`: Lineup's build, test and demo automation.
//!
//! - `cargo xtask demo`  — runs lineup-server (release) with the demo apps from `www/`
//!   on the embedded SQLite default (`./lineup-data`), at http://127.0.0.1:8080.
//! - `cargo xtask test`  — every test of the workspace, then a summary line.
//! - `cargo xtask bench` — the engine benchmarks (criterion).

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
    std::env::set_current_dir(&root).expect("cd to the workspace root");
    match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("bench") => run(cargo().args(["bench", "-p", "lineup-engine"]).args(&args[1..])),
        _ => {
            eprintln!("usage: cargo xtask <demo [server flags...] | test | bench>");
            ExitCode::from(2)
        }
    }
}

fn run(cmd: &mut Command) -> ExitCode {
    match cmd.status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask: {cmd:?} failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask: cannot run {cmd:?}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo(extra: &[String]) -> ExitCode {
    let mut cmd = cargo();
    cmd.args(["run", "--release", "-p", "lineup-server", "--", "--data", "lineup-data", "--www", "www"]);
    if !extra.iter().any(|a| a == "--listen") {
        cmd.args(["--listen", "127.0.0.1:8080"]);
    }
    run(cmd.args(extra))
}

/// Runs `cargo test` streaming its output, and adds up the `test result:` lines.
fn cargo_test(args: &[&str], totals: &mut (u64, u64, u64)) -> bool {
    let mut child = match cargo().arg("test").args(args).stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot run cargo test: {e}");
            return false;
        }
    };
    for line in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            let count = |word: &str| {
                rest.split(';')
                    .find_map(|part| part.trim().strip_suffix(word).map(|n| n.trim().rsplit(' ').next().unwrap_or("0").parse::<u64>().unwrap_or(0)))
                    .unwrap_or(0)
            };
            totals.0 += count(" passed");
            totals.1 += count(" failed");
            totals.2 += count(" ignored");
        }
    }
    child.wait().map(|s| s.success()).unwrap_or(false)
}

fn test() -> ExitCode {
    let mut totals = (0, 0, 0);
    let mut ok = cargo_test(&["--workspace"], &mut totals);
    // The benchmarks must keep compiling even though CI does not run them.
    ok &= cargo().args(["check", "-p", "lineup-engine", "--benches", "--quiet"]).status().is_ok_and(|s| s.success());
    println!("\nxtask: {} passed, {} failed, {} skipped", totals.0, totals.1, totals.2);
    if ok && totals.1 == 0 && totals.0 > 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("xtask: tests failed");
        ExitCode::FAILURE
    }
}
