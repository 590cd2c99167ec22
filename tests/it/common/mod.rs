//! Helpers shared by the end-to-end tests: run the built binary (a failed assertion on a run
//! prints its command line, exit status, stdout and stderr), validate JSON against the published
//! schema, write fake binaries, and the fake-launchd [`sandbox`].
#![allow(dead_code)]

mod run;
mod sandbox;

pub use run::*;
pub use sandbox::*;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn captures_dir() -> PathBuf {
    root().join("tests/fixtures/captures")
}

/// `diagnose --json --replay DIR`: (exit code, parsed report). Panics unless stdout is one valid
/// JSON document that validates against the schema.
/// A copy of a fixture capture to tamper with (the directory lives as long as the `TempDir`).
pub fn copy_capture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(name);
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(captures_dir().join(name)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
    }
    (tmp, dst)
}

pub fn diagnose_json(capture: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["diagnose", "--json", "--replay", capture.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = mdmwatch(&args);
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed, not exited{out}"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}){out}"));
    assert_valid(&report);
    (code, report)
}

pub fn schema() -> serde_json::Value {
    let text = std::fs::read(root().join("schema/report.schema.json")).unwrap();
    serde_json::from_slice(&text).unwrap()
}

pub fn assert_valid(report: &serde_json::Value) {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match schema/report.schema.json:\n{}",
        errors.join("\n")
    );
}

/// The status of a check in a report.
pub fn status<'a>(report: &'a serde_json::Value, check: &str) -> &'a str {
    report["checks"][check]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("no check {check} in report"))
}

/// Writes an executable file (parents created, mode 0755): fake binaries under a sysroot.
pub fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A fake binary at absolute path `abs` under `root`: a `/bin/sh` script running `body`.
pub fn script(root: &Path, abs: &str, body: &str) {
    write_exec(
        &root.join(abs.trim_start_matches('/')),
        &format!("#!/bin/sh\n{body}\n"),
    );
}
