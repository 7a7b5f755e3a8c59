//! Embeds the demo apps (`www/`) and the built SDK (`js/dist/`) into the server, so
//! `lineup-server` serves them from any directory, each file also brotli- and
//! gzip-compressed here, once (the server picks what a client accepts). A missing
//! directory embeds nothing (a warning says so): `cargo xtask sdk` builds `js/dist` first.

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
fn tag(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

include!("compress.rs");

/// `bytes` compressed by `how` into OUT_DIR, as an `include_bytes!` expression; `&[]`
/// when compression does not pay (the file is then always sent as it is).
fn compressed(out_dir: &Path, key: &str, bytes: &[u8], how: fn(&[u8]) -> Vec<u8>) -> String {
    let z = how(bytes);
    if z.len() + 64 >= bytes.len() {
        return "&[]".into();
    }
    let file = out_dir.join(key);
    if std::fs::read(&file).ok().as_deref() != Some(z.as_slice()) {
        std::fs::write(&file, &z).expect("write a compressed asset");
    }
    format!("include_bytes!({:?})", file.display().to_string())
}

fn table(name: &str, dir: &Path, out_dir: &Path, code: &mut String) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut list = Vec::new();
    files(dir, dir, &mut list);
    list.sort();
    if list.is_empty() {
        println!("cargo:warning=nothing to embed from {} (run `cargo xtask sdk` for js/dist)", dir.display());
    }
    let _ = writeln!(code, "pub static {name}: &[Asset] = &[");
    for (i, (rel, path)) in list.into_iter().enumerate() {
        let abs = path.canonicalize().unwrap_or(path);
        let bytes = std::fs::read(&abs).unwrap_or_default();
        let key = format!("{name}-{i}");
        let (br, gz) = (compressed(out_dir, &format!("{key}.br"), &bytes, brotli), compressed(out_dir, &format!("{key}.gz"), &bytes, gzip));
        let _ = writeln!(
            code,
            "    Asset {{ path: {rel:?}, bytes: include_bytes!({:?}), br: {br}, gzip: {gz}, tag: \"{:016x}\" }},",
            abs.display().to_string(),
            tag(&bytes)
        );
    }
    let _ = writeln!(code, "];");
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let repo = manifest.join("../..");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = String::new();
    table("WWW", &repo.join("www"), &out_dir, &mut code);
    table("SDK", &repo.join("js/dist"), &out_dir, &mut code);
    std::fs::write(out_dir.join("assets.rs"), code).expect("write assets.rs");
}
