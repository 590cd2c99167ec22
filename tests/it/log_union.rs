//! One `log show` per run: the three log streams (`log_mdmclient`, `log_softwareupdate`,
//! `log_apsd`) are answered by one process whose predicate is the union of theirs, its output
//! sorted into the streams by image path (and subsystem, markers) as it is read. Tested on the
//! fake system (`--sysroot`, a fake `log` that records every call): a run starts exactly one
//! `log show`, and the streams it writes into a capture give the same log verdicts as the
//! per-stream files of the real-text captures they were merged from.

use std::path::Path;

use crate::common::{captures_dir, mdmwatch, script};

const STREAMS: [&str; 3] = ["log_mdmclient", "log_softwareupdate", "log_apsd"];
const LOG_CHECKS: [&str; 3] = [
    "mdm.client_liveness",
    "softwareupdate.daemon_liveness",
    "mdm.push",
];

/// The entries of the three stream files of `capture`, interleaved one line from each in turn
/// (`log show` prints one time-ordered stream), under one header and one trailer.
fn merged_output(capture: &Path) -> String {
    let streams: Vec<Vec<String>> = STREAMS
        .iter()
        .map(|id| {
            std::fs::read_to_string(capture.join(format!("{id}.stdout")))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with('{') && !l.contains("\"finished\""))
                .map(str::to_string)
                .collect()
        })
        .collect();
    let mut out = String::from("Filtering the log data using \"(union)\"\n");
    let mut n = 0;
    for k in 0..streams.iter().map(Vec::len).max().unwrap_or(0) {
        for s in &streams {
            if let Some(l) = s.get(k) {
                out.push_str(l);
                out.push('\n');
                n += 1;
            }
        }
    }
    out.push_str(&format!("{{\"count\":{n},\"finished\":1}}\n"));
    out
}

/// A sysroot whose only binary is a `log` printing `output` and recording its argv.
fn fake_log(root: &Path, output: &str) {
    std::fs::write(root.join("log.out"), output).unwrap();
    script(
        root,
        "/usr/bin/log",
        "root=$(cd \"$(dirname \"$0\")/../..\" && pwd -P)\n\
         printf 'log' >> \"$root/calls.log\"; printf ' [%s]' \"$@\" >> \"$root/calls.log\"; echo >> \"$root/calls.log\"\n\
         cat \"$root/log.out\"",
    );
}

fn log_calls(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn log_findings(report: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    LOG_CHECKS
        .iter()
        .map(|c| {
            let f = &report["checks"][c];
            let keep = serde_json::json!({
                "status": f["status"],
                "summary": f["summary"],
                "facts": f["facts"],
                "evidence": f["evidence"],
            });
            (c.to_string(), keep)
        })
        .collect()
}

fn replay(dir: &Path) -> serde_json::Value {
    let out = mdmwatch(&["diagnose", "--json", "--replay", dir.to_str().unwrap()]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_run_starts_exactly_one_log_show_with_the_union_of_the_predicates() {
    let root = tempfile::tempdir().unwrap();
    fake_log(
        root.path(),
        &merged_output(&captures_dir().join("real-healthy-exchange")),
    );
    let out = mdmwatch(&[
        "diagnose",
        "--json",
        "--sysroot",
        root.path().to_str().unwrap(),
    ]);
    let calls = log_calls(root.path());
    assert_eq!(calls.len(), 1, "one log process per run: {calls:#?}");
    let call = &calls[0];
    assert!(call.starts_with("log [show]"), "{call}");
    // The union names every stream's sources and markers.
    for needle in [
        "process == \"mdmclient\"",
        "process == \"softwareupdated\"",
        "process == \"apsd\"",
        "Received HTTP response",
    ] {
        assert!(call.contains(needle), "{needle} in {call}");
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let probes = report["probes"].as_array().unwrap();
    for id in STREAMS {
        let p = probes.iter().find(|p| p["id"] == id).unwrap();
        assert_eq!(p["available"], true, "{p}");
        assert!(p["stdout_bytes"].as_u64().unwrap() > 0, "{p}");
        // The report says which command answered the stream: the one union.
        assert!(
            p["command"].as_str().unwrap().contains(") OR ("),
            "{}",
            p["command"]
        );
    }
}

/// The split is what the per-stream queries returned: for every real-text capture, capturing
/// through the union (the three streams merged into one output) and replaying gives the same
/// log findings as replaying the original per-stream files. Forged entries (a `/tmp` binary
/// named mdmclient) land in their stream and are rejected there as before.
#[test]
fn the_union_split_into_streams_gives_the_verdicts_of_the_separate_queries() {
    let mut checked = 0;
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let original = entry.unwrap().path();
        let name = original.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("real-") || !original.is_dir() {
            continue;
        }
        let root = tempfile::tempdir().unwrap();
        fake_log(root.path(), &merged_output(&original));
        let cap = tempfile::tempdir().unwrap();
        let dir = cap.path().join("cap");
        mdmwatch(&[
            "capture",
            dir.to_str().unwrap(),
            "--sysroot",
            root.path().to_str().unwrap(),
        ])
        .assert_code(0);
        assert_eq!(log_calls(root.path()).len(), 1, "{name}: one log show");
        // Every other probe, and "now", from the original capture.
        for f in std::fs::read_dir(&original).unwrap() {
            let f = f.unwrap().path();
            let file = f.file_name().unwrap().to_str().unwrap().to_string();
            if !STREAMS.iter().any(|s| file.starts_with(s)) {
                std::fs::copy(&f, dir.join(&file)).unwrap();
            }
        }
        for s in STREAMS {
            let split = std::fs::read_to_string(dir.join(format!("{s}.stdout"))).unwrap();
            assert!(
                split.starts_with("Filtering the log data") && split.contains("\"finished\":1"),
                "{name}/{s}: header and trailer reach every stream"
            );
        }
        assert_eq!(
            log_findings(&replay(&dir)),
            log_findings(&replay(&original)),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "real captures checked: {checked}");
}
