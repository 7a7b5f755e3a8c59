//! `cargo xtask`: Lineup's build, test and demo automation.
//!
//! - `cargo xtask demo`  — runs lineup-server (release) with the demo apps from `www/`
//!   on the embedded SQLite default (`./lineup-data`), at http://127.0.0.1:8080.
//! - `cargo xtask test`  — every test of the workspace (the SDK is built first: the
//!   server embeds it), the API contract, the browser and package tests, then a summary.
//! - `cargo xtask types [--check]` — writes (or checks) js/src/protocol.d.ts, the
//!   TypeScript declarations generated from lineup-protocol's wire types.
//! - `cargo xtask browser` — only the SDK's wasm tests in headless Chromium.
//! - `cargo xtask contract` — schemathesis against a live server through its OpenAPI
//!   document (also part of `test`).
//! - `cargo xtask fuzz [--seconds N]` — each fuzz target N seconds (default 60) from the
//!   committed corpus; fails on a crash.
//! - `cargo xtask load [scenario...]` — the load benchmark: a release server on loopback
//!   driven over the real protocol; prints the table of the performance goals.
//! - `cargo xtask cluster-load [cycles|busy|failover]` — release nodes on a throwaway
//!   PostgreSQL: cycles/s of a multi-app load on one SQLite node and on 1, 2 and 3
//!   PostgreSQL nodes; a quiet app's Ping through a node with 16 busy apps; the
//!   failover time over 20 owner kills.
//! - `cargo xtask media-load` — a release server's media socket against str0m peers on
//!   loopback in 1:1 calls with 720p-sized video, in steps: server CPU per forwarded
//!   stream and the calls one core carries before frames are late.
//! - `cargo xtask soak` — a release server against slow-reader, flood, never-logs-in and
//!   malformed-input clients; prints its RSS over time and whether each was cut off.
//! - `cargo xtask bench` — the engine benchmarks (criterion), the SFU's forwarding cost
//!   (`lineup-media`'s `forwarding` bench), then the journal's cost and
//!   the start-up time with 100,000 customers waiting (`lineup-server`'s `journal` bench).
//! - `cargo xtask sdk`   — builds the npm package in `js/dist` and packs it as
//!   `target/lineup-sdk-<version>.tgz` (wasm, wasm-bindgen of
//!   the locked version, wasm-opt from the npm `binaryen` package, the JS entry points).
//! - `cargo xtask size`  — builds the SDK and prints what a page downloads: the SDK and
//!   demo pages as lineup-server sends them (uncompressed, gzip, brotli), the example
//!   app as Vite emits it, and the npm tarball.

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
        Some("bench") => {
            if !cargo().args(["bench", "-p", "lineup-engine"]).args(&args[1..]).status().is_ok_and(|s| s.success()) {
                eprintln!("xtask: the engine benchmarks failed");
                return ExitCode::FAILURE;
            }
            if !cargo().args(["bench", "-p", "lineup-media"]).status().is_ok_and(|s| s.success()) {
                eprintln!("xtask: the media benchmark failed");
                return ExitCode::FAILURE;
            }
            // The server's benchmarks start a throwaway PostgreSQL.
            if let Err(e) = tools::postgresql() {
                eprintln!("xtask: {e}");
                return ExitCode::FAILURE;
            }
            if !cargo().args(["bench", "-p", "lineup-server", "--bench", "journal"]).status().is_ok_and(|s| s.success()) {
                eprintln!("xtask: the journal benchmark failed");
                return ExitCode::FAILURE;
            }
            if !cargo().args(["bench", "-p", "lineup-server", "--bench", "wallboard"]).status().is_ok_and(|s| s.success()) {
                eprintln!("xtask: the wallboard benchmark failed");
                return ExitCode::FAILURE;
            }
            run(cargo().args(["bench", "-p", "lineup-server", "--bench", "failover"]))
        }
        Some("sdk") => result(sdk::build().map(|_| ())),
        Some("types") => result(types::run(args.get(1).is_some_and(|a| a == "--check"))),
        Some("browser") => {
            let mut totals = (0, 0, 0);
            let ok = tools::sdk().and_then(|_| tools::debian_packages()).and_then(|_| browser::run(|args, env| cargo_test_env(args, env, &mut totals)));
            println!("\nxtask: {} passed, {} failed", totals.0, totals.1);
            match ok {
                Ok(true) if totals.1 == 0 => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("xtask: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("contract") => match contract::run() {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("xtask: {e}");
                ExitCode::FAILURE
            }
        },
        Some("fuzz") => result(fuzz::run(&args[1..])),
        Some("load") => match run(cargo().args(["build", "--release", "-p", "lineup-server"])) {
            ExitCode::SUCCESS => run(cargo().args(["run", "--release", "-p", "lineup-server", "--example", "load", "--", "target/release/lineup-server"]).args(&args[1..])),
            failed => failed,
        },
        Some("cluster-load") => match tools::postgresql().map_err(|e| eprintln!("xtask: {e}")) {
            Err(()) => ExitCode::FAILURE,
            Ok(()) => match run(cargo().args(["build", "--release", "-p", "lineup-server", "--bin", "lineup-server", "--example", "cluster_load"])) {
                ExitCode::SUCCESS => run(cargo()
                    .args(["run", "--release", "-p", "lineup-server", "--example", "cluster_load", "--", "target/release/lineup-server"])
                    .args(&args[1..])),
                failed => failed,
            },
        },
        Some("media-load") => match run(cargo().args(["build", "--release", "-p", "lineup-server", "--bin", "lineup-server", "--example", "media_load"])) {
            ExitCode::SUCCESS => run(cargo().args(["run", "--release", "-p", "lineup-server", "--example", "media_load", "--", "target/release/lineup-server"])),
            failed => failed,
        },
        Some("soak") => match run(cargo().args(["build", "--release", "-p", "lineup-server"])) {
            ExitCode::SUCCESS => run(cargo().args(["run", "--release", "-p", "lineup-server", "--example", "soak", "--", "target/release/lineup-server"])),
            failed => failed,
        },
        Some("size") => result(sdk::build().and_then(|_| size::run())),
        _ => {
            eprintln!("usage: cargo xtask <demo [server flags...] | test | contract | browser | types [--check] | bench | sdk | size | fuzz [--seconds N] | soak | load | media-load | cluster-load>");
            ExitCode::from(2)
        }
    }
}

mod browser;
mod contract;
mod fuzz;
mod sdk;
mod server;
mod size;
mod tools;
mod types;

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

/// Passed, failed, skipped.
type Totals = (u64, u64, u64);

/// Runs `cmd`, echoing its output; `count` adds up the figures of each line.
fn run_counting(cmd: &mut Command, totals: &mut Totals, count: impl Fn(&str, &mut Totals)) -> bool {
    let mut child = match cmd.stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot run {cmd:?}: {e}");
            return false;
        }
    };
    for line in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        println!("{line}");
        count(&line, totals);
    }
    child.wait().map(|s| s.success()).unwrap_or(false)
}

/// `cargo test` with extra environment; adds up its `test result:` lines.
fn cargo_test_env(args: &[&str], env: &[(&str, String)], totals: &mut Totals) -> bool {
    let mut cmd = cargo();
    cmd.arg("test").args(args).envs(env.iter().map(|(k, v)| (*k, v)));
    run_counting(&mut cmd, totals, |line, totals| {
        let Some(rest) = line.strip_prefix("test result: ") else { return };
        let count = |word: &str| {
            rest.split(';')
                .find_map(|part| part.trim().strip_suffix(word).and_then(|n| n.trim().rsplit(' ').next()?.parse().ok()))
                .unwrap_or(0)
        };
        totals.0 += count(" passed");
        totals.1 += count(" failed");
        totals.2 += count(" ignored");
    })
}

/// `npm test` in js/ (node's test runner); adds up its `# pass` / `# fail` lines.
fn npm_test(totals: &mut Totals) -> bool {
    run_counting(Command::new("npm").args(["test", "--silent"]).current_dir("js"), totals, |line, totals| {
        let count = |prefix: &str| line.strip_prefix(prefix).and_then(|n| n.trim().parse::<u64>().ok()).unwrap_or(0);
        totals.0 += count("# pass ");
        totals.1 += count("# fail ");
        totals.2 += count("# skipped ");
    })
}

fn test() -> ExitCode {
    let mut totals = (0, 0, 0);
    // The system packages first: libwebm's C++ build, ffprobe and Chromium.
    if let Err(e) = tools::debian_packages() {
        eprintln!("xtask: {e}");
        return ExitCode::FAILURE;
    }
    // The shipped TypeScript wire types must be what the protocol crate generates.
    if let Err(e) = types::run(true) {
        eprintln!("xtask: {e}");
        return ExitCode::FAILURE;
    }
    totals.0 += 1;
    // The SDK first: lineup-server embeds js/dist, and its tests check that it does.
    if let Err(e) = sdk::build() {
        eprintln!("xtask: the SDK did not build: {e}");
        return ExitCode::FAILURE;
    }
    let mut ok = cargo_test_env(&["--workspace"], &[("LINEUP_REQUIRE_EMBEDDED_SDK", "1".into())], &mut totals);
    // The REST API against its own OpenAPI document.
    match contract::run() {
        Ok(true) => totals.0 += 1,
        Ok(false) => {
            eprintln!("xtask: the API contract (schemathesis) failed");
            totals.1 += 1;
            ok = false;
        }
        Err(e) => {
            eprintln!("xtask: the API contract could not run: {e}");
            totals.1 += 1;
            ok = false;
        }
    }
    // The benchmarks must keep compiling even though CI does not run them.
    ok &= cargo().args(["check", "-p", "lineup-engine", "-p", "lineup-server", "-p", "lineup-media", "--benches", "--quiet"]).status().is_ok_and(|s| s.success());
    // The SDK in headless Chromium against a real server.
    if let Err(e) = tools::sdk() {
        eprintln!("xtask: {e}");
        return ExitCode::FAILURE;
    }
    match browser::run(|args, env| cargo_test_env(args, env, &mut totals)) {
        Ok(passed) => ok &= passed,
        Err(e) => {
            eprintln!("xtask: browser tests could not run: {e}");
            ok = false;
        }
    }
    // The npm package: packed, installed in scratch projects, loaded by a plain page,
    // the example app under Vite 7 and 6 (build and dev server) and a webpack build in
    // Chromium; cross-origin failures; the READMEs' examples run; its types checked
    // with tsc under three module resolutions; npm publish --dry-run.
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
