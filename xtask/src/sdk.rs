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
    // Built in a staging directory, then copied into js/dist only where a file changed:
    // the server embeds js/dist, and an untouched file keeps its time (no rebuild).
    let stage = Path::new("target/sdk-stage");
    let _ = std::fs::remove_dir_all(stage);
    std::fs::create_dir_all(stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    status(Command::new("wasm-bindgen").args([
        "--target", "web", "--out-dir", "target/sdk-stage", "--out-name", "lineup_sdk", "--no-typescript",
        "--remove-name-section", "--remove-producers-section",
        "target/wasm32-unknown-unknown/wasm/lineup_sdk.wasm",
    ]))?;
    status(Command::new("js/node_modules/.bin/wasm-opt").args([
        "-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
        "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
        "target/sdk-stage/lineup_sdk_bg.wasm", "-o", "target/sdk-stage/lineup_sdk_bg.wasm",
    ]))?;
    for (from, to) in [("index.js", "index.js"), ("index.d.ts", "index.d.ts"), ("protocol.d.ts", "protocol.d.ts"), ("crvideo.js", "lineup-crvideo.js")] {
        std::fs::copy(Path::new("js/src").join(from), stage.join(to)).map_err(|e| format!("copy {from}: {e}"))?;
    }
    // What pages download is minified (esbuild, from js/'s devDependencies); the
    // sources in js/src stay as written.
    for f in ["index.js", "lineup-crvideo.js", "lineup_sdk.js"] {
        let p = stage.join(f);
        status(Command::new("js/node_modules/.bin/esbuild").arg(&p).arg(format!("--outfile={}", p.display())).args([
            "--minify", "--allow-overwrite", "--log-level=warning", "--legal-comments=none",
        ]))?;
    }
    sync(stage, Path::new("js/dist"))?;
    println!("xtask: SDK built in js/dist");
    Ok(())
}

/// Makes `to` hold exactly the files of `from`, writing only those that differ.
fn sync(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let names = |dir: &Path| -> Result<Vec<std::ffi::OsString>, String> {
        let mut v: Vec<_> = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten().map(|e| e.file_name()).collect();
        v.sort();
        Ok(v)
    };
    let want = names(from)?;
    for name in names(to)? {
        if !want.contains(&name) {
            let _ = std::fs::remove_file(to.join(&name));
        }
    }
    for name in want {
        let bytes = std::fs::read(from.join(&name)).map_err(|e| format!("{:?}: {e}", name))?;
        if std::fs::read(to.join(&name)).ok().as_deref() != Some(bytes.as_slice()) {
            std::fs::write(to.join(&name), bytes).map_err(|e| format!("{:?}: {e}", name))?;
        }
    }
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
    println!("budget: CRVideo page <= 49.6 KB gz until media lands, then the whole SDK <= 75 KB gz; limit 60 KB gz today");
    if classic.1.max(modern.1) > 60 * 1024 {
        return Err("the SDK is over the 60 KB gz limit".into());
    }
    Ok(())
}
