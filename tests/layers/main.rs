//! The server's layers point one way: the table in `docs/ARCHITECTURE.md` says which top-level
//! module of `src/` sits on which, and every `crate::…` path in `src/` must follow it.
//!
//! It reads the source as text (no build step, no dependency): each file's code with comments
//! and string literals removed, every `crate::x` path, every name inside `use crate::{…}`, and
//! every `super::` path that climbs to the crate root. A module may use the modules it sits on,
//! and everything those sit on; the table itself must have no cycle. Inside `session/` the same
//! holds between sibling files: no two of them may use each other, even through a third.

mod rust;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rust::{code_only, line_of, paths};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// One reference from a file to a module, for the error message.
#[derive(Debug, Clone)]
struct Use {
    file: PathBuf,
    line: usize,
    to: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, in name order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("a readable folder entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file under `src/`: `src/session/actor/devices.rs` is
/// `["session", "actor", "devices"]`, `src/store/mod.rs` is `["store"]`, `src/lib.rs` is `[]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// The top-level modules `lib.rs` declares.
fn declared_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    code_only(&lib)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(|m| m.trim().to_owned())
        })
        .collect()
}

/// Every reference from one top-level module to another, by source module.
fn actual_uses() -> BTreeMap<String, Vec<Use>> {
    let src = root().join("src");
    let modules = declared_modules();
    let mut uses: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).expect("under src/").to_path_buf();
        let path = module_path(&rel);
        let Some(top) = path.first().cloned() else {
            continue; // lib.rs and main.rs: the crate root may name every module
        };
        if !modules.contains(&top) {
            continue; // a binary under src/bin, not part of the library
        }
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        let code = code_only(&text);
        for (to, at) in paths(&code, &path)
            .into_iter()
            .filter_map(|(p, at)| Some((p.first()?.clone(), at)))
        {
            if to != top && modules.contains(&to) {
                uses.entry(top.clone()).or_default().push(Use {
                    file: rel.clone(),
                    line: line_of(&code, at),
                    to,
                });
            }
        }
    }
    uses
}

/// The table of `docs/ARCHITECTURE.md` under the `layers` marker: module → modules it sits on.
fn documented_layers() -> Graph {
    let doc =
        std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let start = doc
        .find("<!-- layers -->")
        .expect("docs/ARCHITECTURE.md has a `<!-- layers -->` marker before the layer table");
    let mut table = Graph::new();
    let names = |cell: &str| -> BTreeSet<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    for line in doc[start..].lines().skip(1) {
        let line = line.trim();
        if line.is_empty() && !table.is_empty() {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
        if !line.starts_with('|') || cells.len() < 2 {
            continue;
        }
        let module: Vec<String> = names(cells[0]).into_iter().collect();
        let [module] = &module[..] else {
            continue; // the header and the separator
        };
        let prev = table.insert(module.clone(), names(cells[1]));
        assert!(prev.is_none(), "`{module}` has two rows in the layer table");
    }
    table
}

/// Everything `from` may reach through `graph`, itself excluded.
fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = graph
        .get(from)
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default();
    while let Some(m) = todo.pop() {
        if seen.insert(m.to_owned()) {
            if let Some(next) = graph.get(m) {
                todo.extend(next.iter().map(String::as_str));
            }
        }
    }
    seen
}

/// A cycle of `graph`, if it has one, as `a → b → a`.
fn cycle(graph: &Graph) -> Option<String> {
    fn visit<'g>(
        graph: &'g Graph,
        at: &'g str,
        stack: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<String> {
        if let Some(pos) = stack.iter().position(|m| *m == at) {
            let mut path = stack[pos..].to_vec();
            path.push(at);
            return Some(path.join(" → "));
        }
        if !done.insert(at) {
            return None;
        }
        stack.push(at);
        for next in graph.get(at).into_iter().flatten() {
            if let Some(found) = visit(graph, next, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

#[test]
fn the_layer_table_covers_every_module_and_has_no_cycle() {
    let table = documented_layers();
    let declared = declared_modules();
    let listed: BTreeSet<String> = table.keys().cloned().collect();
    assert_eq!(
        listed, declared,
        "the layer table in docs/ARCHITECTURE.md and the modules of src/lib.rs differ"
    );
    for (module, below) in &table {
        for b in below {
            assert!(
                declared.contains(b),
                "`{module}` sits on `{b}`, which is not a module"
            );
        }
    }
    assert_eq!(cycle(&table), None, "the layer table has a cycle");
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let table = documented_layers();
    let mut wrong = Vec::new();
    for (module, uses) in actual_uses() {
        let allowed = reachable(&table, &module);
        for u in uses {
            if !allowed.contains(&u.to) {
                wrong.push(format!(
                    "src/{}:{}: `{module}` uses `{}`",
                    u.file.display(),
                    u.line,
                    u.to
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers of docs/ARCHITECTURE.md:\n{}",
        wrong.join("\n")
    );
}

/// The files declared `#[cfg(test)] mod x;` (and the files under them): test code, which may
/// look at its own layer from any side.
fn test_only_files(src: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for file in rust_files(src) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            let declared = pair[1]
                .strip_prefix("pub ")
                .unwrap_or(pair[1])
                .strip_prefix("mod ")
                .and_then(|m| m.strip_suffix(';'));
            let (true, Some(child)) = (pair[0] == "#[cfg(test)]", declared) else {
                continue;
            };
            let stem = file.file_stem().unwrap_or_default();
            let dir = file.parent().expect("a file has a folder");
            let dir = if matches!(stem.to_str(), Some("mod" | "lib" | "main")) {
                dir.to_path_buf()
            } else {
                dir.join(stem)
            };
            out.insert(dir.join(format!("{child}.rs")));
            let sub = dir.join(child);
            if sub.is_dir() {
                out.extend(rust_files(&sub));
            }
        }
    }
    out
}

/// The sibling files of `src/session/` that each one uses (`super::x`, `crate::session::x`),
/// test code left out.
fn session_siblings() -> Graph {
    let src = root().join("src");
    let tests = test_only_files(&src);
    let files: Vec<PathBuf> = rust_files(&src.join("session"))
        .into_iter()
        .filter(|f| !tests.contains(f))
        .collect();
    let modules: Vec<Vec<String>> = files
        .iter()
        .map(|f| module_path(f.strip_prefix(&src).expect("under src/")))
        .collect();
    let siblings: BTreeSet<String> = modules.iter().filter_map(|m| m.get(1).cloned()).collect();
    let reexported = reexports(&src.join("session/mod.rs"));
    let mut graph = Graph::new();
    for (file, path) in files.iter().zip(&modules) {
        let Some(own) = path.get(1).cloned() else {
            continue; // session/mod.rs declares and re-exports them all
        };
        let code = code_only(&std::fs::read_to_string(file).expect("a source file"));
        let used = paths(&code, path)
            .into_iter()
            .filter(|(p, _)| p.first().is_some_and(|m| m == "session"))
            .filter_map(|(p, _)| {
                let name = p.get(1)?;
                Some(reexported.get(name).unwrap_or(name).clone())
            })
            .filter(|m| *m != own && siblings.contains(m))
            .collect::<Vec<_>>();
        graph.entry(own).or_default().extend(used);
    }
    graph
}

/// What a `mod.rs` re-exports (`pub use handle::{Control, …};`): item name → the file it is in.
fn reexports(file: &Path) -> BTreeMap<String, String> {
    let code = code_only(&std::fs::read_to_string(file).expect("a source file"));
    let mut out = BTreeMap::new();
    for statement in code.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let words = items.split(|c: char| !(c.is_alphanumeric() || c == '_'));
        for word in words.filter(|w| !w.is_empty()) {
            out.insert(word.to_owned(), module.trim().to_owned());
        }
    }
    out
}

#[test]
fn the_files_of_the_session_layer_do_not_use_each_other_in_a_circle() {
    let graph = session_siblings();
    assert_eq!(
        cycle(&graph),
        None,
        "files of src/session/ use each other in a circle: {graph:?}"
    );
}

#[test]
fn paths_are_read_the_way_rust_resolves_them() {
    let code = code_only(
        r##"use crate::{app::AppState, http::{self, x}, session};
        use super::super::store::Store; // crate::ws in a comment
        let s = "crate::config"; let c = '"'; let r = r#"crate::net"#;
        fn f<'a>(x: &'a str) -> crate::guard::Guard { self::inner::g() }
        /* crate::logs */"##,
    );
    let module = [
        "session".to_owned(),
        "actor".to_owned(),
        "devices".to_owned(),
    ];
    let found: BTreeSet<Vec<String>> = paths(&code, &module).into_iter().map(|(p, _)| p).collect();
    let want = [
        "app/AppState",
        "http",
        "http/x",
        "session",
        "session/store/Store",
        "guard/Guard",
        "session/actor/devices/inner/g",
    ];
    let want: BTreeSet<Vec<String>> = want
        .iter()
        .map(|p| p.split('/').map(str::to_owned).collect())
        .collect();
    assert_eq!(found, want);
}
