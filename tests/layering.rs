//! The library's layering, read from its source: the modules under `src/` import each
//! other (`crate::` paths) without a circle, only the command line (`src/cli/`,
//! `src/bin/`) knows clap, and every function fits in [`MAX_FUNCTION_LINES`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The most lines a function under `src/` may take, signature to closing brace.
const MAX_FUNCTION_LINES: usize = 120;

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to (`src/report/table.rs` -> `report`).
fn module_of(file: &Path) -> String {
    let relative = file.strip_prefix(src()).expect("under src");
    let first = relative.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_owned()
}

/// The lines of `text` that are code (comments and doc comments left out).
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

/// The top-level modules a line names through `crate::` paths.
fn named_modules(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .filter(|(at, _)| {
            // `ecosystemd::crate::` never occurs; skip `$crate::` in macros.
            !line[..*at].ends_with('$')
        })
        .map(|(at, _)| {
            line[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// Which top-level module imports which others.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(&src()) {
        let module = module_of(&file);
        if module == "lib" || module == "bin" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read source");
        let uses = graph.entry(module.clone()).or_default();
        for line in code_lines(&text) {
            uses.extend(
                named_modules(line)
                    .into_iter()
                    .filter(|name| *name != module),
            );
        }
    }
    graph
}

/// A circle of imports, when there is one, as the modules along it.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_circle_between_modules() {
    let graph = imports();
    assert!(
        graph.len() > 5,
        "the modules were not found under {}",
        src().display()
    );
    if let Some(circle) = find_circle(&graph) {
        panic!(
            "modules import each other in a circle: {}",
            circle.join(" -> ")
        );
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("report", &["observed", "watchdog"][..]),
        ("watchdog", &["observed", "report"][..]),
        ("observed", &[][..]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.iter().map(|s| s.to_string()).collect()))
    .collect();
    let circle = find_circle(&graph).expect("a circle");
    assert_eq!(circle, ["report", "watchdog", "report"]);
    assert_eq!(
        named_modules("use crate::report::{a, b}; crate::x::y()"),
        ["report", "x"]
    );
}

#[test]
fn only_the_command_line_knows_clap() {
    let mut offenders = Vec::new();
    for file in sources(&src()) {
        let module = module_of(&file);
        if module == "cli" || module == "bin" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read source");
        let knows_clap = code_lines(&text).any(|line| {
            line.contains("clap::") || line.contains("use clap") || line.contains("#[arg(")
        });
        if knows_clap {
            offenders.push(file.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "clap outside src/cli and src/bin: {offenders:?}"
    );
}

/// The functions of `text` with their first line (1-based) and length in lines: from
/// the `fn` line to the first later line that closes at the same indentation
/// (rustfmt's layout). One-line functions and declarations without a body are left out.
fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(at) = trimmed.find("fn ") else {
            continue;
        };
        let before = &trimmed[..at];
        let is_definition = before.split_whitespace().all(|word| {
            ["pub", "const", "async", "unsafe"].contains(&word) || word.starts_with("pub(")
        });
        if !is_definition || trimmed.ends_with('}') || trimmed.ends_with(';') {
            continue;
        }
        let name: String = trimmed[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let closing = format!("{}}}", &line[..line.len() - trimmed.len()]);
        if let Some(end) = (start + 1..lines.len()).find(|&i| lines[i] == closing) {
            found.push((name, start + 1, end - start + 1));
        }
    }
    found
}

#[test]
fn functions_fit_on_a_screen() {
    let mut too_long = Vec::new();
    let mut counted = 0;
    for file in sources(&src()) {
        let text = fs::read_to_string(&file).expect("read source");
        for (name, line, length) in function_lengths(&text) {
            counted += 1;
            if length > MAX_FUNCTION_LINES {
                too_long.push(format!(
                    "{}:{line}: {name} ({length} lines)",
                    file.display()
                ));
            }
        }
    }
    assert!(counted > 500, "only {counted} functions found");
    assert!(
        too_long.is_empty(),
        "functions longer than {MAX_FUNCTION_LINES} lines: {too_long:#?}"
    );
}

#[test]
fn function_lengths_are_counted_to_the_closing_brace() {
    let text = "impl A {\n    pub fn a(&self) -> u8 {\n        1\n    }\n    fn b() {}\n}\nfn c(\n    x: u8,\n) {\n    if x > 0 {\n    }\n}\n";
    assert_eq!(
        function_lengths(text),
        [("a".to_owned(), 2, 3), ("c".to_owned(), 7, 6)]
    );
}

/// Fewer crates than this in what the binaries are built from.
const MAX_CRATES: usize = 94;

/// The crates the shipped binaries are built from (normal and build dependencies, the
/// package itself left out), as `name vX.Y.Z`, from `cargo tree`.
fn shipped_crates() -> BTreeSet<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--locked", "--offline", "--package", "ecosystemd"])
        .args([
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| line.split(" (").next().unwrap_or(line).trim().to_owned())
        .filter(|name| !name.is_empty() && !name.starts_with("ecosystemd "))
        .collect()
}

#[test]
fn the_shipped_tree_is_lean_with_one_syn() {
    let crates = shipped_crates();
    let syn: Vec<&String> = crates.iter().filter(|c| c.starts_with("syn v")).collect();
    assert_eq!(syn.len(), 1, "one major version of syn: {syn:?}");
    assert!(
        syn[0].starts_with("syn v3."),
        "syn 2 is the older major: {syn:?}"
    );
    assert!(
        crates.len() <= MAX_CRATES,
        "{} crates (at most {MAX_CRATES}): {crates:#?}",
        crates.len()
    );
}
