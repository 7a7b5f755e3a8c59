//! Building the browser SDK package (`js/dist`) and measuring what a page downloads.

use std::path::Path;
use std::process::Command;

/// The wasm-bindgen version the lock file pins; the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string("Cargo.lock").map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn status(cmd: &mut Command) -> Result<(), String> {
    let s = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if s.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({s})"))
    }
}

/// cargo build (wasm32, size profile) → wasm-bindgen → wasm-opt → js/dist.
pub fn build() -> Result<(), String> {
    crate::tools::sdk()?;
    let want = locked_wasm_bindgen()?;
    let have = Command::new("wasm-bindgen").arg("--version").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if !have.as_deref().is_some_and(|v| v.trim() == format!("wasm-bindgen {want}")) {
        return Err(format!(
            "wasm-bindgen {want} is needed (found {}): cargo install wasm-bindgen-cli --version ={want}",
            have.as_deref().map(str::trim).unwrap_or("none")
        ));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    status(Command::new(&cargo).args([
        "build", "-p", "lineup-sdk", "--lib", "--target", "wasm32-unknown-unknown", "--profile", "wasm",
    ]))?;
    let dist = Path::new("js/dist");
    let _ = std::fs::remove_dir_all(dist);
    std::fs::create_dir_all(dist).map_err(|e| format!("js/dist: {e}"))?;
    status(Command::new("wasm-bindgen").args([
        "--target", "web", "--out-dir", "js/dist", "--out-name", "lineup_sdk", "--no-typescript",
        "--remove-name-section", "--remove-producers-section",
        "target/wasm32-unknown-unknown/wasm/lineup_sdk.wasm",
    ]))?;
    status(Command::new("js/node_modules/.bin/wasm-opt").args([
        "-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
        "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
        "js/dist/lineup_sdk_bg.wasm", "-o", "js/dist/lineup_sdk_bg.wasm",
    ]))?;
    for (from, to) in [("index.js", "index.js"), ("index.d.ts", "index.d.ts"), ("crvideo.js", "lineup-crvideo.js")] {
        std::fs::copy(Path::new("js/src").join(from), dist.join(to)).map_err(|e| format!("copy {from}: {e}"))?;
    }
    println!("xtask: SDK built in js/dist");
    Ok(())
}

fn gz(path: &str) -> Result<u64, String> {
    let out = Command::new("gzip").args(["-9", "-c", path]).output().map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout.len() as u64)
}

/// Prints what each kind of page downloads, raw and gzipped.
pub fn size() -> Result<(), String> {
    let files = |names: &[&str]| -> Result<(u64, u64), String> {
        let mut raw = 0;
        let mut zipped = 0;
        for n in names {
            let p = format!("js/dist/{n}");
            raw += std::fs::metadata(&p).map_err(|e| format!("{p}: {e}"))?.len();
            zipped += gz(&p)?;
        }
        Ok((raw, zipped))
    };
    let wasm = files(&["lineup_sdk_bg.wasm"])?;
    let modern = files(&["lineup_sdk_bg.wasm", "lineup_sdk.js", "index.js"])?;
    let classic = files(&["lineup_sdk_bg.wasm", "lineup_sdk.js", "lineup-crvideo.js"])?;
    let kb = |b: u64| b as f64 / 1024.0;
    println!("wasm alone:                      {:7.1} KB raw, {:6.1} KB gz", kb(wasm.0), kb(wasm.1));
    println!("modern API page (ESM + wasm):    {:7.1} KB raw, {:6.1} KB gz", kb(modern.0), kb(modern.1));
    println!("CRVideo page (classic + wasm):   {:7.1} KB raw, {:6.1} KB gz", kb(classic.0), kb(classic.1));
    println!("goal: <= 27 KB gz (twilio-taskrouter.js bundle); limit 60 KB gz");
    if classic.1.max(modern.1) > 60 * 1024 {
        return Err("the SDK is over the 60 KB gz limit".into());
    }
    Ok(())
}
