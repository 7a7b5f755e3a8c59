//! `cargo xtask fuzz [--seconds N]`: runs each cargo-fuzz target of `fuzz/` for N seconds
//! (default 60) from the corpus kept in the repository, and fails on any crash. New
//! inputs go to a scratch directory, so the tree stays as it is. Installs cargo-fuzz
//! when it is missing; builds on the stable toolchain (RUSTC_BOOTSTRAP for the
//! sanitizer flags cargo-fuzz passes).

use std::process::Command;

/// The targets, each with its corpus under `fuzz/corpus/<name>`.
pub const TARGETS: &[&str] = &["client_frame", "rest_bodies"];

pub fn run(args: &[String]) -> Result<(), String> {
    let seconds: u64 = match args {
        [] => 60,
        [flag, n] if flag == "--seconds" => n.parse().map_err(|_| format!("--seconds {n}: a whole number of seconds"))?,
        _ => return Err("usage: cargo xtask fuzz [--seconds N]".into()),
    };
    crate::tools::cargo_fuzz()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for target in TARGETS {
        let scratch = std::env::temp_dir().join(format!("lineup-fuzz-{target}-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        println!("xtask: fuzzing {target} for {seconds} s");
        let status = Command::new(&cargo)
            .args(["fuzz", "run", target])
            .arg(&scratch)
            .arg(format!("corpus/{target}"))
            .args(["--", &format!("-max_total_time={seconds}"), "-print_final_stats=1"])
            .env("RUSTC_BOOTSTRAP", "1")
            .current_dir("fuzz")
            .status()
            .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
        let _ = std::fs::remove_dir_all(&scratch);
        if !status.success() {
            return Err(format!("fuzz target {target} found a crash (see fuzz/artifacts/{target}/)"));
        }
    }
    println!("xtask: fuzzing: {} targets, {seconds} s each, no crash", TARGETS.len());
    Ok(())
}
