//! Embeds the demo apps (`www/`) and the built SDK (`js/dist/`) into the server, so
//! `lineup-server` serves them from any directory. A missing directory embeds nothing
//! (a warning says so): `cargo xtask sdk` builds `js/dist` first.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push((rel.join("/"), path));
        }
    }
}

/// FNV-1a of the file, for its ETag.
fn tag(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

fn table(name: &str, dir: &Path, code: &mut String) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut list = Vec::new();
    files(dir, dir, &mut list);
    list.sort();
    if list.is_empty() {
        println!("cargo:warning=nothing to embed from {} (run `cargo xtask sdk` for js/dist)", dir.display());
    }
    let _ = writeln!(code, "pub static {name}: &[Asset] = &[");
    for (rel, path) in list {
        let abs = path.canonicalize().unwrap_or(path);
        let _ = writeln!(code, "    Asset {{ path: {rel:?}, bytes: include_bytes!({:?}), etag: \"\\\"{:016x}\\\"\" }},", abs.display().to_string(), tag(&abs));
    }
    let _ = writeln!(code, "];");
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let repo = manifest.join("../..");
    let mut code = String::new();
    table("WWW", &repo.join("www"), &mut code);
    table("SDK", &repo.join("js/dist"), &mut code);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    std::fs::write(out, code).expect("write assets.rs");
}
