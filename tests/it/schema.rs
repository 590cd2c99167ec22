//! The JSON contract: every report validates against schema/report.schema.json, and the schema
//! is strict enough to catch drift (a missing key or an unknown status fails).

use crate::common::*;

#[test]
fn every_bundled_capture_produces_a_valid_report() {
    let mut seen = 0;
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("meta.json").exists() {
            continue;
        }
        let (code, report) = diagnose_json(&dir, &[]);
        assert!(matches!(code, 0 | 1), "{}: exit {code}", dir.display());
        assert_eq!(report["schema_version"], 2);
        seen += 1;
    }
    assert!(seen >= 1, "no captures found");
}

#[test]
fn an_empty_capture_still_yields_a_complete_valid_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("meta.json"),
        br#"{"captured_at":"2026-11-20T10:00:00-05:00"}"#,
    )
    .unwrap();
    let (code, report) = diagnose_json(dir.path(), &[]);
    assert_eq!(code, 3, "nothing determined: exit 3, never 'healthy'");
    for (id, f) in report["checks"].as_object().unwrap() {
        assert_eq!(f["status"], "unknown", "{id}");
        assert!(
            !f["reason"].as_str().unwrap().is_empty(),
            "{id} unknown without a reason"
        );
    }
}

#[test]
fn the_schema_rejects_drift() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("meta.json"),
        br#"{"captured_at":"2026-11-20T10:00:00-05:00"}"#,
    )
    .unwrap();
    let (_, report) = diagnose_json(dir.path(), &[]);
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let mut missing = report.clone();
    missing["watchdog"]
        .as_object_mut()
        .unwrap()
        .remove("MDMClientStuck");
    assert!(!validator.is_valid(&missing));
    let mut bad_status = report.clone();
    let first = bad_status["checks"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    bad_status["checks"][&first]["status"] = "fine".into();
    assert!(!validator.is_valid(&bad_status));
    let mut unknown_without_reason = report.clone();
    unknown_without_reason["checks"][&first]
        .as_object_mut()
        .unwrap()
        .remove("reason");
    assert!(!validator.is_valid(&unknown_without_reason));
}
