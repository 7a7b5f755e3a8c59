//! `cargo xtask`: Lineup's build, test and demo automation.
//!
//! - `cargo xtask demo`  — runs lineup-server (release) with the demo apps from `www/`
//!   on the embedded SQLite default (`./lineup-data`), at http://127.0.0.1:8080.
//! - `cargo xtask test`  — every test of the workspace, then a summary line.
//! - `cargo xtask bench` — the engine benchmarks (criterion).
//! - `cargo xtask sdk`   — builds the npm package in `js/dist` (wasm, wasm-bindgen of
//!   the locked version, wasm-opt from the npm `binaryen` package, the JS entry points).
//! - `cargo xtask size`  — builds the SDK and prints what a page downloads, gzipped.

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
        Some("sdk") => result(sdk::build().map(|_| ())),
        Some("size") => result(sdk::build().and_then(|_| sdk::size())),
        _ => {
            eprintln!("usage: cargo xtask <demo [server flags...] | test | bench | sdk | size>");
            ExitCode::from(2)
        }
    }
}

mod browser;
mod sdk;
mod tools;

fn result(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
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
    if let Err(e) = sdk::build() {
        eprintln!("xtask: the SDK did not build ({e}); the demo pages need it");
        return ExitCode::FAILURE;
    }
    let mut cmd = cargo();
    cmd.args(["run", "--release", "-p", "lineup-server", "--", "--data", "lineup-data", "--www", "www", "--sdk", "js/dist"]);
    if !extra.iter().any(|a| a == "--listen") {
        cmd.args(["--listen", "127.0.0.1:8080"]);
    }
    run(cmd.args(extra))
}

/// Runs `cargo test` streaming its output, and adds up the `test result:` lines.
fn cargo_test(args: &[&str], totals: &mut (u64, u64, u64)) -> bool {
    cargo_test_env(args, &[], totals)
}

fn cargo_test_env(args: &[&str], env: &[(&str, String)], totals: &mut (u64, u64, u64)) -> bool {
    let mut cmd = cargo();
    cmd.arg("test").args(args).stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
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

/// `npm test` in js/ (node's test runner), streaming, adding up `# pass` / `# fail`.
fn npm_test(totals: &mut (u64, u64, u64)) -> bool {
    let mut child = match Command::new("npm").args(["test", "--silent"]).current_dir("js").stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot run npm test: {e}");
            return false;
        }
    };
    for line in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        println!("{line}");
        let count = |prefix: &str| line.strip_prefix(prefix).and_then(|n| n.trim().parse::<u64>().ok());
        if let Some(n) = count("# pass ") {
            totals.0 += n;
        }
        if let Some(n) = count("# fail ") {
            totals.1 += n;
        }
        if let Some(n) = count("# skipped ") {
            totals.2 += n;
        }
    }
    child.wait().map(|s| s.success()).unwrap_or(false)
}

fn test() -> ExitCode {
    let mut totals = (0, 0, 0);
    let mut ok = cargo_test(&["--workspace"], &mut totals);
    // The benchmarks must keep compiling even though CI does not run them.
    ok &= cargo().args(["check", "-p", "lineup-engine", "--benches", "--quiet"]).status().is_ok_and(|s| s.success());
    // The SDK in headless Chromium against a real server.
    if let Err(e) = tools::sdk().and_then(|_| tools::browser()) {
        eprintln!("xtask: {e}");
        return ExitCode::FAILURE;
    }
    match browser::run(|args, env| {
        let mut totals_here = (0, 0, 0);
        let passed = cargo_test_env(args, env, &mut totals_here);
        totals.0 += totals_here.0;
        totals.1 += totals_here.1;
        totals.2 += totals_here.2;
        passed
    }) {
        Ok(passed) => ok &= passed,
        Err(e) => {
            eprintln!("xtask: browser tests could not run: {e}");
            ok = false;
        }
    }
    // The npm package: packed, installed in a scratch project, loaded by a plain page
    // and a Vite build in Chromium; its types checked with tsc.
    match sdk::build() {
        Ok(()) => ok &= npm_test(&mut totals),
        Err(e) => {
            eprintln!("xtask: the SDK package did not build: {e}");
            ok = false;
        }
    }
    println!("\nxtask: {} passed, {} failed, {} skipped", totals.0, totals.1, totals.2);
    if ok && totals.1 == 0 && totals.0 > 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("xtask: tests failed");
        ExitCode::FAILURE
    }
}
