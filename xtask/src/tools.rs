//! Installs what the SDK build and the browser tests need, when it is missing: the
//! wasm32 target, wasm-bindgen-cli of the locked version, the npm packages of `js/`
//! (binaryen's wasm-opt, esbuild, TypeScript, Vite, playwright-core) and Debian's Chromium with
//! chromedriver. So `cargo xtask test` and `cargo xtask demo` work on a fresh machine.

use std::process::Command;

use crate::sdk::locked_wasm_bindgen;

fn status(cmd: &mut Command) -> Result<(), String> {
    println!("xtask: installing: {cmd:?}");
    let s = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if s.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({s})"))
    }
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    Command::new(cmd).args(args).output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn on_path(cmd: &str) -> bool {
    output("sh", &["-c", &format!("command -v {cmd}")]).is_some()
}

/// The wasm32 target, wasm-bindgen-cli and the npm packages (for building the SDK).
pub fn sdk() -> Result<(), String> {
    if !output("rustup", &["target", "list", "--installed"]).is_some_and(|t| t.lines().any(|l| l == "wasm32-unknown-unknown")) {
        status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let want = locked_wasm_bindgen()?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.trim() != format!("wasm-bindgen {want}") {
        // Not --locked: its lock file wants crates this registry lacks.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        status(Command::new(cargo).args(["install", "wasm-bindgen-cli", "--version", &format!("={want}")]))?;
    }
    // The packages the build and the tests use (axe-core: the pages' accessibility audits).
    let installed = ["wasm-opt", "esbuild"].iter().all(|b| std::path::Path::new("js/node_modules/.bin").join(b).exists())
        && std::path::Path::new("js/node_modules/axe-core/axe.min.js").exists();
    if !installed {
        if !on_path("npm") {
            return Err("npm is needed for the SDK package (Node.js 20 or later)".into());
        }
        // `npm install`, not `npm ci`: this npm rejects lock files that omit other
        // platforms' optional packages (rollup's), which is how it writes them.
        status(Command::new("npm").args(["install", "--no-audit", "--no-fund"]).current_dir("js"))?;
    }
    Ok(())
}

/// Whether PostgreSQL's server tools are here: on PATH, or in Debian's
/// `/usr/lib/postgresql/N/bin` (where the `postgresql` package puts them, off PATH).
fn has_postgresql() -> bool {
    let in_debian_dir = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().join("bin/initdb").exists() && e.path().join("bin/pg_ctl").exists());
    in_debian_dir || (on_path("initdb") && on_path("pg_ctl"))
}

/// Chromium and chromedriver (for the browser tests), ffprobe (Debian's `ffmpeg`, for
/// the recording test), a C++ compiler (libwebm, which the `webm` crate builds), curl
/// (README.md's shell session, run by the npm tests), nft (Debian's `nftables`: the
/// ICE-TCP test blocks UDP in a network namespace) and PostgreSQL (the cluster tests
/// start a throwaway one).
pub fn debian_packages() -> Result<(), String> {
    let wanted = [
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        ("ffprobe", "ffmpeg"),
        ("c++", "g++"),
        ("curl", "curl"),
        ("nft", "nftables"),
    ];
    let mut missing: Vec<&str> = wanted.iter().filter(|(bin, _)| !on_path(bin)).map(|(_, pkg)| *pkg).collect();
    if !has_postgresql() {
        missing.push("postgresql");
    }
    apt_install(&missing)
}

/// PostgreSQL alone (for the journal and failover benchmarks).
pub fn postgresql() -> Result<(), String> {
    apt_install(if has_postgresql() { &[] } else { &["postgresql"] })
}

fn apt_install(missing: &[&str]) -> Result<(), String> {
    if missing.is_empty() {
        return Ok(());
    }
    let root = output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    if !root || !on_path("apt-get") {
        return Err(format!("these Debian packages are needed: apt-get install {}", missing.join(" ")));
    }
    status(Command::new("apt-get").args(["update", "-qq"]))?;
    status(Command::new("apt-get").args(["install", "-y", "-qq"]).args(missing).env("DEBIAN_FRONTEND", "noninteractive"))
}

/// cargo-fuzz (for `cargo xtask fuzz`).
pub fn cargo_fuzz() -> Result<(), String> {
    if output("cargo", &["fuzz", "--version"]).is_some() {
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    status(Command::new(cargo).args(["install", "cargo-fuzz"]))
}

/// The schemathesis version the API contract run uses (from PyPI, in a venv of its own).
pub const SCHEMATHESIS: &str = "4.32.5";

/// `target/schemathesis/bin/st` of [`SCHEMATHESIS`]'s version, installed when missing.
pub fn schemathesis() -> Result<std::path::PathBuf, String> {
    let venv = std::path::Path::new("target/schemathesis");
    let st = venv.join("bin/st");
    let have = output(&st.to_string_lossy(), &["--version"]).unwrap_or_default();
    if !have.contains(SCHEMATHESIS) {
        let python = if on_path("python3") { "python3" } else { "python" };
        status(Command::new(python).args(["-m", "venv"]).arg(venv))?;
        status(Command::new(venv.join("bin/pip")).args(["install", "--quiet", &format!("schemathesis=={SCHEMATHESIS}")]))?;
    }
    Ok(st)
}
