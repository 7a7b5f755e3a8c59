//! The classic script is a loader for the module's CRVideo exports: its lists (callback
//! proxies, functions, error constants) must be the module's. Native: reads the sources.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use lineup_protocol::codes;
use lineup_protocol::ws::Notice;

const LOADER: &str = include_str!("../js/src/crvideo.js");
#[path = "support/sdk_sources.rs"]
mod sdk_sources;
use sdk_sources::CRVIDEO;

/// The quoted names of the loader's `var NAME = [ ... ];`.
fn loader_list(var: &str) -> Vec<String> {
    let start = LOADER.find(&format!("var {var} = [")).unwrap_or_else(|| panic!("no {var} in the loader"));
    let body = &LOADER[start..];
    let body = &body[..body.find("];").unwrap()];
    body.split('\'').skip(1).step_by(2).map(String::from).collect()
}

/// What follows every `marker` in the module's sources, up to the next `end`.
fn after(marker: &str, end: char) -> BTreeSet<String> {
    CRVIDEO.iter().flat_map(|src| src.split(marker).skip(1).map(|s| s[..s.find(end).unwrap()].to_string())).collect()
}

#[test]
fn the_loader_defines_every_callback_the_module_fires() {
    let proxies = loader_list("CALLBACKS");
    assert_eq!(proxies, lineup_sdk::crvideo::CALLBACKS, "the loader's CALLBACKS are the module's");
    for fired in after("fire(\"", '"') {
        assert!(proxies.contains(&fired), "the module fires CRVideo_{fired}, which the loader does not define");
    }
    // Every notice fires the callback of its own name (events.rs matches them all),
    // but the media module's own, which become status callbacks or act inside the SDK.
    for name in
        Notice::NAMES.iter().filter(|n| !matches!(**n, "MediaOffer" | "MediaTrack" | "MediaLost" | "MediaBitrate"))
    {
        assert!(proxies.iter().any(|p| p == name), "notice {name} has no callback proxy");
    }
}

#[test]
fn the_loader_stands_in_for_exactly_the_module_functions() {
    let stand_ins: BTreeSet<String> = loader_list("FUNCTIONS").into_iter().collect();
    let exports = after("js_name = CRVideo_", ')');
    assert_eq!(stand_ins, exports, "the loader's FUNCTIONS are the module's CRVideo_* exports");
}

#[test]
fn the_loader_constants_are_the_protocol_codes() {
    let start = LOADER.find("var CODES = {").unwrap();
    let body = &LOADER[start + 14..];
    let body = &body[..body.find("};").unwrap()];
    let constants: Vec<(String, u32)> = body
        .split(',')
        .filter_map(|kv| kv.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().parse().unwrap()))
        .collect();
    let want: Vec<(String, u32)> = codes::ALL.iter().map(|c| (c.name.to_string(), c.code)).collect();
    assert_eq!(constants, want, "CRVideo_ constants: every protocol code, in order, by its CloudRoom name");
}

#[test]
fn the_loader_stands_in_for_exactly_the_functions_lineup_does_not_implement() {
    let names: Vec<&str> = lineup_sdk::crvideo::unsupported::NOT_SUPPORTED.iter().map(|f| f.name).collect();
    assert_eq!(loader_list("NOT_SUPPORTED"), names, "the loader's NOT_SUPPORTED are the module's, in order");
    let functions = loader_list("FUNCTIONS");
    let proxies = loader_list("CALLBACKS");
    for f in lineup_sdk::crvideo::unsupported::NOT_SUPPORTED {
        assert!(!functions.iter().any(|n| n == f.name), "CRVideo_{} is both implemented and not", f.name);
        if let Some((callback, _)) = f.fires {
            assert!(
                proxies.iter().any(|p| p == callback),
                "CRVideo_{} answers through CRVideo_{callback}, which the loader does not define",
                f.name
            );
        }
    }
}

/// The names of js/README's table of CloudRoom names: (name, status).
fn readme_table() -> Vec<(String, String)> {
    let readme = include_str!("../js/README.md");
    let start = readme.find("| CloudRoom name | kind | Lineup |").expect("js/README has the table of CloudRoom names");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[3].to_string())
        })
        .collect()
}

#[test]
fn the_readme_table_is_the_loader_s_names() {
    let table = readme_table();
    let supported: BTreeSet<String> = loader_list("FUNCTIONS").into_iter().chain(loader_list("CALLBACKS")).collect();
    let not: BTreeSet<String> = loader_list("NOT_SUPPORTED").into_iter().collect();
    for (name, status) in &table {
        let bare = name.trim_start_matches("CRVideo_");
        if status.starts_with("not supported") {
            assert!(not.contains(bare), "{name} is marked not supported but is not in NOT_SUPPORTED");
        } else if not.contains(bare) {
            panic!("{name} is in NOT_SUPPORTED but the table says {status:?}");
        }
    }
    let listed: BTreeSet<String> = table.iter().map(|(n, _)| n.trim_start_matches("CRVideo_").to_string()).collect();
    for name in supported.iter().chain(&not) {
        assert!(listed.contains(name), "CRVideo_{name} is not in js/README's table");
    }
}

#[test]
fn the_readme_table_says_which_callbacks_fire() {
    // The module's sources without its CALLBACKS list: a callback it fires is named there.
    let mod_rs = CRVIDEO[0];
    let start = mod_rs.find("pub const CALLBACKS").unwrap();
    let end = start + mod_rs[start..].find("];").unwrap();
    let sources: String = [&mod_rs[..start], &mod_rs[end..]].into_iter().chain(CRVIDEO[1..].iter().copied()).collect();
    // Events of the core the events module passes on by their own name.
    let core_events = [
        "AudioStatusChanged",
        "VideoStatusChanged",
        "MicEnergyUpdate",
        "NotifyTokenWillExpire",
        "Reconnecting",
        "Reconnected",
    ];
    for (name, status) in readme_table() {
        let bare = name.trim_start_matches("CRVideo_");
        if !loader_list("CALLBACKS").iter().any(|c| c == bare) {
            continue;
        }
        let fired =
            sources.contains(&format!("\"{bare}\"")) || Notice::NAMES.contains(&bare) || core_events.contains(&bare);
        assert_eq!(status.starts_with("defined, never fired"), !fired, "{name}: the table says {status:?}");
    }
}
