//! The server's top-level modules import one another without a cycle: each can be read
//! (and tested) knowing only the modules below it. A module's `crate::x` paths (and
//! `crate::{x, y}` groups) are its imports; its `#[cfg(test)]` part is not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The modules each top-level module of `src` imports.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let top = |path: &Path| {
        let rel = path.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|p| top(p)).filter(|m| m != "lib" && m != "main").collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for path in &files {
        let module = top(path);
        if !modules.contains(&module) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        for name in crate_paths(&without_tests(&code)) {
            if name != module && modules.contains(&name) {
                graph.get_mut(&module).unwrap().insert(name);
            }
        }
    }
    graph
}

/// `code` without its `#[cfg(test)]` items (up to the end of each one's braces; braces
/// in string and char literals do not count).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let Some(open) = item.find('{') else { return out };
        let (mut depth, mut end) = (0usize, item.len());
        let mut chars = item[open..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => {
                                chars.next();
                            }
                            '"' => break,
                            _ => {}
                        }
                    }
                }
                '\'' if item[open + i..].starts_with("'{'") || item[open + i..].starts_with("'}'") => {
                    chars.next();
                    chars.next();
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The first segment of every `crate::…` path in `code`, groups included.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            out.push(ident(rest));
            continue;
        };
        // `crate::{a, b::{c, d}, e}`: the names at the group's first level.
        let (mut depth, mut start) = (0, true);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && !c.is_whitespace() => {
                    out.push(ident(&group[i..]));
                    start = false;
                }
                _ => {}
            }
        }
    }
    out
}

/// A cycle through `graph`, if there is one (its modules in import order).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(m.to_string(), Mark::Open);
        path.push(m.to_string());
        for next in &graph[m] {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let from = path.iter().position(|p| p == next).unwrap();
                    let mut found = path[from..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(found) = visit(next, graph, marks, path) {
                        return Some(found);
                    }
                }
            }
        }
        path.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in graph.keys() {
        if !marks.contains_key(m) {
            if let Some(found) = visit(m, graph, &mut marks, &mut Vec::new()) {
                return Some(found);
            }
        }
    }
    None
}

#[test]
fn the_server_modules_import_each_other_without_a_cycle() {
    let graph = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 20, "the modules were found: {:?}", graph.keys());
    assert!(graph["hub"].contains("journal"), "the imports were read: {graph:?}");
    if let Some(found) = cycle(&graph) {
        panic!("an import cycle: {}", found.join(" → "));
    }
}

#[test]
fn the_check_finds_paths_groups_and_cycles() {
    let paths = crate_paths("use crate::{ws, hub::{Hub, HubHandle}, AppState};\nlet x = crate::clock::now();");
    assert_eq!(paths, ["ws", "hub", "AppState", "clock"]);
    let code = "use crate::a;\n#[cfg(test)]\nmod tests {\n    fn f() { let _ = (\"}\", '{', crate::b); }\n}\nfn g() { crate::c::h() }";
    assert_eq!(crate_paths(&without_tests(code)), ["a", "c"]);
    let graph: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .iter()
        .map(|(m, i)| (m.to_string(), BTreeSet::from([i.to_string()])))
        .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let acyclic: BTreeMap<String, BTreeSet<String>> = [("a", vec!["b", "c"]), ("b", vec!["c"]), ("c", vec![])]
        .into_iter()
        .map(|(m, i)| (m.to_string(), i.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(cycle(&acyclic), None);
}
