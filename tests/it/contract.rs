//! The public contract pinned: each check id's `facts` keys are fixed in
//! schema/report.schema.json (`$defs` `facts.<id>`, `additionalProperties: false`), so a fact
//! added, renamed or removed in src/report/findings.rs fails here until the schema says so; the
//! README's probe table is the probe table of src/probes.rs.
//!
//! Adding a fact: put it in src/report/findings.rs, add its key under `$defs` → `facts.<id>` →
//! `properties` in the schema (`{}` or a type), and mention it in the README if readers use it.

use std::collections::BTreeSet;

use mdmwatch::config::Config;
use mdmwatch::probes;
use mdmwatch::system::Source;
use serde_json::Value;

use crate::common::*;

/// The `facts.<id>` definitions of the schema: id → pinned keys.
fn pinned() -> Vec<(String, BTreeSet<String>)> {
    let schema = schema();
    let defs = schema["$defs"].as_object().unwrap();
    defs.iter()
        .filter_map(|(name, def)| {
            let id = name.strip_prefix("facts.")?;
            assert_eq!(def["additionalProperties"], false, "{name}");
            let keys = def["properties"].as_object().unwrap().keys().cloned();
            Some((id.to_string(), keys.collect()))
        })
        .collect()
}

/// Every bundled capture's report, plus one with `--catalog` (the catalog and compliance checks).
fn reports() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("meta.json").exists() {
            out.push((dir.display().to_string(), diagnose_json(&dir, &[]).1));
        }
    }
    let gdmf =
        root().join("tests/fixtures/samples/gdmf_pmv__sofa_cached_wrapper_with_etag__2026-08.json");
    let dir = captures_dir().join("readiness-desktop");
    let (_, r) = diagnose_json(&dir, &["--catalog", gdmf.to_str().unwrap()]);
    out.push(("readiness-desktop --catalog".into(), r));
    out
}

/// Every check id a report carries has its facts pinned, and the schema pins no id the program
/// never reports; every report validates (`diagnose_json` checks it against the schema), so no
/// capture publishes a key the schema does not list.
#[test]
fn every_check_id_has_its_facts_pinned_by_the_schema() {
    let all = pinned();
    let total: usize = all.iter().map(|(_, k)| k.len()).sum();
    let pinned: BTreeSet<String> = all.into_iter().map(|(id, _)| id).collect();
    let schema = schema();
    let by_id = schema["properties"]["checks"]["properties"]
        .as_object()
        .unwrap();
    let mut seen_ids = BTreeSet::new();
    let mut seen_keys: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, r) in reports() {
        for (id, f) in r["checks"].as_object().unwrap() {
            assert!(
                pinned.contains(id),
                "{name}: check {id} has no facts.{id} in the schema"
            );
            assert_eq!(
                by_id[id]["properties"]["facts"]["$ref"],
                format!("#/$defs/facts.{id}"),
                "{id}"
            );
            seen_ids.insert(id.clone());
            for k in f["facts"].as_object().unwrap().keys() {
                seen_keys.insert((id.clone(), k.clone()));
            }
        }
    }
    assert_eq!(
        seen_ids, pinned,
        "ids pinned in the schema but never reported"
    );
    // The captures reach nearly every key: a sanity floor, so the captures keep exercising the
    // schema rather than an empty facts object passing it.
    assert!(
        seen_keys.len() * 10 >= total * 9,
        "{} of {total} keys seen",
        seen_keys.len()
    );
}

/// A key the schema does not list, or a pinned key renamed, makes the report invalid.
#[test]
fn an_unlisted_fact_key_fails_validation() {
    let (_, report) = diagnose_json(&captures_dir().join("healthy"), &[]);
    let validator = jsonschema::validator_for(&schema()).unwrap();
    assert!(validator.is_valid(&report));
    for (id, _) in pinned() {
        if report["checks"].get(&id).is_none() {
            continue;
        }
        let mut extra = report.clone();
        extra["checks"][&id]["facts"]
            .as_object_mut()
            .unwrap()
            .insert("invented_fact".into(), Value::Bool(true));
        assert!(
            !validator.is_valid(&extra),
            "{id}: an extra fact key passed"
        );
    }
    let mut renamed = report.clone();
    let facts = renamed["checks"]["power.battery"]["facts"]
        .as_object_mut()
        .unwrap();
    let v = facts
        .remove("percent")
        .expect("healthy capture has the battery percent");
    facts.insert("percentage".into(), v);
    assert!(!validator.is_valid(&renamed));
}

/// Each pinned key is still written by the code (a key removed from findings.rs must leave the
/// schema too): it appears as a string literal in the file that names fact keys (readiness's
/// keys are its kinds' names, plus the staged update findings.rs adds).
#[test]
fn every_pinned_fact_key_is_still_written_by_the_code() {
    let findings = std::fs::read_to_string(root().join("src/report/findings.rs")).unwrap();
    let readiness = std::fs::read_to_string(root().join("src/checks/readiness.rs")).unwrap();
    for (id, keys) in pinned() {
        let src = if id == "readiness" {
            &readiness
        } else {
            &findings
        };
        for k in keys {
            let lit = format!("\"{k}\"");
            assert!(
                src.contains(&lit) || (id == "readiness" && findings.contains(&lit)),
                "facts.{id} pins {k:?}, which the code no longer writes"
            );
        }
    }
}

/// The README's probe table lists exactly the probes of src/probes.rs (the independent ones, the
/// identity certificate, the first run's look-back and the staged update's two), with each command's program, each file's path, and its timeout
/// and cap.
#[test]
fn readme_probe_table_matches_the_probe_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table: Vec<(&str, &str, &str)> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| id | source | timeout / cap |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].trim_matches('`'), cells[1], cells[2])
        })
        .collect();
    let cfg = Config::default();
    let mut probes = probes::independent(&cfg);
    probes.push(probes::identity_cert("CN", &cfg));
    probes.push(probes::mdmclient_lookback(cfg.look_back_days, &cfg));
    probes.extend(probes::staged_update("<APFSVolumeGroupID>", &cfg));
    let readme_ids: BTreeSet<&str> = table.iter().map(|r| r.0).collect();
    let code_ids: BTreeSet<&str> = probes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        readme_ids, code_ids,
        "README probe table vs probes::independent"
    );
    assert_eq!(table.len(), probes.len(), "a probe listed twice");
    for p in &probes {
        let (_, source, limits) = table.iter().find(|r| r.0 == p.id).unwrap();
        match &p.source {
            // The log probes after the first say "the same for ..." of the first one's command.
            Source::Command { program, .. } => assert!(
                source.contains(program.as_str())
                    || (program == "/usr/bin/log" && source.starts_with("the same for")),
                "{}: {source}",
                p.id
            ),
            Source::File { path } => assert!(source.contains(path.as_str()), "{}: {source}", p.id),
            Source::AvailableSpace { .. } => {
                assert!(source.starts_with("in-process"), "{}", p.id);
                continue;
            }
        }
        let want = format!(
            "{} s / {} MiB",
            p.timeout.as_secs(),
            p.max_bytes / (1024 * 1024)
        );
        assert!(
            limits.starts_with(&want),
            "{}: README says {limits}, code {want}",
            p.id
        );
    }
}

/// The README's claim "a cargo-fuzz target for every probe's parser" stays true: each module of
/// `src/parse/` that parses a probe's output has a target of the same name in fuzz/Cargo.toml
/// (`profiles` is fuzzed as `profiles_enrollment` and `profiles_mdm`); the pattern table, the
/// summariser every log stream shares (fuzzed through `mdm_log`, `su_log` and `apsd_log`) and the
/// test-only reference readers are not parsers of a probe.
#[test]
fn every_parser_has_a_fuzz_target() {
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    // The names of the `[[bin]]` tables (the package's own name is not a target).
    let targets: BTreeSet<String> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|t| t.lines().find_map(|l| l.strip_prefix("name = \"")))
        .map(|n| n.trim_end_matches('"').to_string())
        .collect();
    let not_probe_parsers = ["mod", "log_patterns", "log_summary", "reference"];
    let mut missing = Vec::new();
    for e in std::fs::read_dir(root().join("src/parse")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if not_probe_parsers.contains(&module) {
            continue;
        }
        let fuzzed = targets.contains(module)
            || targets.iter().any(|t| t.starts_with(&format!("{module}_")));
        if !fuzzed {
            missing.push(module.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "parsers without a fuzz target: {missing:?}"
    );
    for t in &targets {
        assert!(
            root().join(format!("fuzz/fuzz_targets/{t}.rs")).exists(),
            "fuzz target {t} has no source"
        );
    }
}
