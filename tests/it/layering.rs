//! The module graph, read from the sources (`crate::<module>` paths outside test code), against
//! the table of allowed imports below ([`ALLOWED`]: each top-level module of `src/` and the
//! modules it may use), and with no cycle. A new edge or a new module fails here rather than in
//! review: adding one is a design decision, made by editing the table (and ARCHITECTURE.md).

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
        // Test code may reach anywhere: the unit-test kit, a module's `tests.rs`, and everything
        // after the first `#[cfg(test)]` of a file.
        if top == "test_support" || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != top && name != "test_support" {
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

/// Each top-level module and the modules it may use (ARCHITECTURE.md, "Architecture
/// invariants"): the boundary (`system`) uses nothing; parsers only the boundary's types; checks
/// read observations and never the boundary; only `report` serialises, and heal, status_files and the
/// entry points sit above it. `lib` and `main` are the crate roots.
const ALLOWED: &[(&str, &[&str])] = &[
    ("system", &[]),
    ("cli", &[]),
    ("config", &["system"]),
    ("parse", &["system"]),
    ("probes", &["config", "parse", "system"]),
    ("state", &["probes", "system"]),
    // The channel history is an observation read from state.json; checks judge it as data.
    ("observe", &["config", "parse", "probes", "state", "system"]),
    ("checks", &["config", "observe", "parse", "probes", "state"]),
    // Heal returns a typed outcome and knows nothing of the report; report converts it.
    (
        "heal",
        &["checks", "config", "parse", "probes", "state", "system"],
    ),
    (
        "report",
        &[
            "checks", "config", "heal", "observe", "parse", "probes", "state",
        ],
    ),
    ("status_files", &["config", "report", "system"]),
    // `capture --redact`: a pure transform over probe results, before they are written.
    ("redact", &["system"]),
    (
        "app",
        &[
            "checks",
            "cli",
            "config",
            "heal",
            "observe",
            "parse",
            "probes",
            "redact",
            "report",
            "state",
            "status_files",
            "system",
        ],
    ),
    ("lib", &[]),
    ("main", &[]),
];

#[test]
fn every_import_is_in_the_table_of_allowed_imports() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    let mut wrong = Vec::new();
    for (module, deps) in graph() {
        let Some(ok) = allowed.get(module.as_str()) else {
            wrong.push(format!("{module}: a new top-level module, not in ALLOWED"));
            continue;
        };
        for d in deps {
            if !ok.contains(d.as_str()) {
                wrong.push(format!("{module} uses {d}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports outside tests/it/layering.rs ALLOWED:\n{}",
        wrong.join("\n")
    );
}

/// The table itself has no cycle and names only modules that exist.
#[test]
fn the_table_is_acyclic_and_names_real_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (m, deps) in ALLOWED {
        for name in std::iter::once(m).chain(deps.iter()) {
            assert!(
                src.join(format!("{name}.rs")).exists() || src.join(name).is_dir(),
                "{name}"
            );
        }
    }
    // Every module may use only modules listed before it: the table is in layer order.
    for (i, (m, deps)) in ALLOWED.iter().enumerate() {
        for d in *deps {
            let j = ALLOWED.iter().position(|(n, _)| n == d).unwrap();
            assert!(j < i, "{m} uses {d}, listed after it");
        }
    }
}
