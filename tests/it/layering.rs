//! The module graph has no cycle: each top-level module of `src/` (`system`, `parse`, `probes`,
//! `observe`, `checks`, `report`, `heal`, ...) may use only modules that do not use it back,
//! directly or through others. Read from the sources (`crate::<module>` paths outside test
//! modules), so a new cycle fails here rather than in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        // Test modules may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                deps.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    deps
}

#[test]
fn no_import_cycle_among_top_level_modules() {
    let deps = graph();
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for d in deps.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, deps, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in deps.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(n, &deps, &mut stack, &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
    // The graph is read at all (a broken reader would pass vacuously).
    assert!(deps.get("checks").is_some_and(|d| d.contains("parse")));
    assert!(deps.get("app").is_some_and(|d| d.contains("heal")));
}
