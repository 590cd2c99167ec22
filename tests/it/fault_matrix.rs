//! The fault matrix: for every probe, every fault a Mac can produce (binary or file missing,
//! timeout, non-zero exit with stderr, empty output, invalid UTF-8, random binary, output cut
//! mid-line / mid-document, 100 MB output, a single 10 MB line), starting from the healthy
//! capture. Every cell must give a complete report that validates against the schema, with the
//! checks that changed from the healthy baseline `unknown` and naming why, every other check
//! unaffected, an exit code of 0 or 1 as documented, and no panic.
//!
//! The matrix is generated, not hand-picked: adding a probe to `probes.rs` adds its row.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use mdmwatch::config::Config;
use mdmwatch::probes;
use mdmwatch::system::replay::ReplaySystem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Missing,
    Timeout,
    ExitNonZero,
    Empty,
    InvalidUtf8,
    RandomBinary,
    Truncated,
    Huge,
    HugeLine,
}

const FAULTS: &[Fault] = &[
    Fault::Missing,
    Fault::Timeout,
    Fault::ExitNonZero,
    Fault::Empty,
    Fault::InvalidUtf8,
    Fault::RandomBinary,
    Fault::Truncated,
    Fault::Huge,
    Fault::HugeLine,
];

/// Probes whose absence is the ordinary answer (no file: nothing prepared; no listing in an
/// older capture): the `Missing` fault must change nothing. The `healthy` base has none of them.
const ABSENT_IS_ORDINARY: &[&str] = &["update_volume", "update_volume_mtime", "update_snapshots"];

/// Read only when another probe found something (`update_volume_mtime`: when `update_volume`
/// names an update; `ddm_state_mtime`: when a DDM status names an enforced pending version the
/// store lacks; the `healthy` base has neither): their faults cannot change a finding here;
/// `observe::tests::a_failed_stat_loses_only_the_time` and
/// `checks::ddm::tests::the_devices_status_decides_a_missing_declaration_its_wording_only_names_it`
/// cover them.
const READ_ONLY_WITH_A_FIND: &[&str] = &["update_volume_mtime", "ddm_state_mtime"];

/// Probes no check reads (heal uses them): a fault there must change no finding.
const HEAL_ONLY: &[&str] = &[
    probes::LAUNCHCTL_MDMCLIENT,
    probes::LAUNCHCTL_SOFTWAREUPDATED,
];

fn all_probe_ids() -> Vec<String> {
    let mut ids: Vec<String> = probes::independent(&Config::default())
        .into_iter()
        .map(|p| p.id)
        .collect();
    ids.push(probes::IDENTITY_CERT.to_string());
    ids
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn copy_capture(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn remove_probe(dir: &Path, id: &str) {
    for ext in ["stdout", "stderr", "exit", "timeout", "truncated"] {
        let _ = std::fs::remove_file(dir.join(format!("{id}.{ext}")));
    }
}

fn apply(dir: &Path, id: &str, fault: Fault, huge: &Path, huge_line: &Path) {
    let healthy = std::fs::read(dir.join(format!("{id}.stdout"))).unwrap_or_default();
    remove_probe(dir, id);
    let out = dir.join(format!("{id}.stdout"));
    match fault {
        Fault::Missing => {}
        Fault::Timeout => std::fs::write(dir.join(format!("{id}.timeout")), b"").unwrap(),
        Fault::ExitNonZero => {
            std::fs::write(&out, b"").unwrap();
            std::fs::write(dir.join(format!("{id}.exit")), b"70\n").unwrap();
            std::fs::write(
                dir.join(format!("{id}.stderr")),
                b"fault matrix: simulated internal error\n",
            )
            .unwrap();
        }
        Fault::Empty => std::fs::write(&out, b"").unwrap(),
        Fault::InvalidUtf8 => {
            let mut bytes = b"\xff\xfe\xfd not utf-8 \xc3\x28 \xa0\xa1\n".repeat(20);
            bytes.extend_from_slice(b"\xed\xa0\x80\n");
            std::fs::write(&out, bytes).unwrap()
        }
        Fault::RandomBinary => {
            std::fs::write(&out, random_bytes(64 * 1024, id.len() as u64)).unwrap()
        }
        Fault::Truncated => {
            // Cut the healthy output in the middle of a line / document.
            let cut = if healthy.len() > 1 {
                healthy.len() / 2 + 1
            } else {
                0
            };
            std::fs::write(&out, &healthy[..cut.min(healthy.len())]).unwrap()
        }
        Fault::Huge => std::fs::hard_link(huge, &out).unwrap(),
        Fault::HugeLine => std::fs::hard_link(huge_line, &out).unwrap(),
    }
}

struct Outcome {
    code: i32,
    report: serde_json::Value,
}

fn diagnose(dir: &Path) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sys = ReplaySystem::open(dir).unwrap();
    let cfg = Config::default();
    let (obs, diag) = rt.block_on(mdmwatch::app::observe_and_diagnose(&sys, &cfg));
    let report = mdmwatch::app::build_report(&obs, &diag, "diagnose", "fault matrix".into());
    let text = report.to_json();
    let value: serde_json::Value = serde_json::from_str(&text).expect("complete JSON document");
    Outcome {
        code: report.exit_code(),
        report: value,
    }
}

fn statuses(report: &serde_json::Value) -> BTreeMap<String, (String, String)> {
    report["checks"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let reason = v["reason"].as_str().unwrap_or("").to_string();
            (
                k.clone(),
                (v["status"].as_str().unwrap().to_string(), reason),
            )
        })
        .collect()
}

#[test]
fn every_probe_times_every_fault_gives_a_complete_honest_report() {
    let base = common::captures_dir().join("healthy");
    let baseline = diagnose(&base);
    common::assert_valid(&baseline.report);
    let base_status = statuses(&baseline.report);
    assert!(
        base_status.values().all(|(s, _)| s != "unknown"),
        "the healthy capture must have no unknown finding: {base_status:?}"
    );

    let work = tempfile::tempdir().unwrap();
    let huge = work.path().join("huge");
    {
        // 100 MB of plausible text lines (not one line: parsers must stream through it).
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        let line = b"Received HTTP response (200) [Idle] lorem ipsum dolor sit amet consectetur adipiscing elit sed do\n";
        for _ in 0..(100 * 1024 * 1024 / line.len()) {
            f.write_all(line).unwrap();
        }
    }
    let huge_line = work.path().join("huge_line");
    std::fs::write(&huge_line, vec![b'{'; 10 * 1024 * 1024]).unwrap();

    let mut failures = Vec::new();
    let mut cells = 0;
    let ids = all_probe_ids();
    for id in ids.clone() {
        for &fault in FAULTS {
            cells += 1;
            let dir = work.path().join(format!("{id}-{fault:?}"));
            copy_capture(&base, &dir);
            apply(&dir, &id, fault, &huge, &huge_line);
            let out = std::panic::catch_unwind(|| diagnose(&dir));
            let Ok(out) = out else {
                failures.push(format!("{id} × {fault:?}: panicked"));
                continue;
            };
            let cell = format!("{id} × {fault:?}");
            let validator = jsonschema::validator_for(&common::schema()).unwrap();
            if !validator.is_valid(&out.report) {
                failures.push(format!(
                    "{cell}: report does not validate against the schema"
                ));
            }
            if !matches!(out.code, 0 | 1) {
                failures.push(format!("{cell}: exit code {}", out.code));
            }
            let now = statuses(&out.report);
            let changed: Vec<&String> = now
                .iter()
                .filter(|(k, v)| base_status.get(*k) != Some(v))
                .map(|(k, _)| k)
                .collect();
            for check in &changed {
                let (status, reason) = &now[*check];
                if status != "unknown" {
                    failures.push(format!("{cell}: {check} became {status}, not unknown"));
                } else if !reason.contains(id.as_str())
                    && !base_status.keys().any(|c| reason.contains(c.as_str()))
                {
                    failures.push(format!(
                        "{cell}: {check} unknown without naming the probe: {reason:?}"
                    ));
                }
            }
            let hard_fault = matches!(
                fault,
                Fault::Missing
                    | Fault::Timeout
                    | Fault::ExitNonZero
                    | Fault::Empty
                    | Fault::RandomBinary
                    | Fault::InvalidUtf8
            );
            let ordinary_absence =
                fault == Fault::Missing && ABSENT_IS_ORDINARY.contains(&id.as_str());
            if ordinary_absence || READ_ONLY_WITH_A_FIND.contains(&id.as_str()) {
                if !changed.is_empty() {
                    failures.push(format!("{cell}: changed findings {changed:?}"));
                }
            } else if HEAL_ONLY.contains(&id.as_str()) {
                if !changed.is_empty() {
                    failures.push(format!(
                        "{cell}: heal-only probe changed findings {changed:?}"
                    ));
                }
            } else if hard_fault {
                // Noticed = a check went unknown, or (where a check has a second source, e.g. disk
                // space from diskutil or mdmclient) a finding changed and names the failed probe.
                let mentions = out.report["checks"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .any(|(k, v)| {
                        baseline.report["checks"][k] != *v && v.to_string().contains(id.as_str())
                    });
                if changed.is_empty() && !mentions {
                    failures.push(format!("{cell}: no finding noticed the fault"));
                }
            }
            // The probe's own record says what happened.
            let rec = out.report["probes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == id.as_str())
                .cloned();
            match (fault, rec) {
                (Fault::Missing, Some(r)) if r["available"] != false => {
                    failures.push(format!("{cell}: probe recorded as available"))
                }
                (Fault::Timeout, Some(r)) if r["timed_out"] != true => {
                    failures.push(format!("{cell}: timeout not recorded"))
                }
                (Fault::ExitNonZero, Some(r)) if r["exit_status"] != 70 => {
                    failures.push(format!("{cell}: exit status not recorded"))
                }
                _ => {}
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    assert!(ids.len() >= 16, "probe table shrank: {ids:?}");
    assert_eq!(cells, ids.len() * FAULTS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A flood of forged lines before a real wedge, with the output cap scaled down: the log probe
/// keeps the newest entries, so the wedge (the unanswered receipt at the end) is still read and
/// the forged lines are neither kept nor able to hide it.
#[test]
fn a_flood_before_the_evidence_cannot_push_it_out_of_a_capped_log() {
    use mdmwatch::parse::mdm_log;
    use mdmwatch::system::live::LiveSystem;
    use mdmwatch::system::System;
    let root = tempfile::tempdir().unwrap();
    let real = std::fs::read_to_string(
        common::captures_dir().join("real-wedged-forged-installing/log_mdmclient.stdout"),
    )
    .unwrap();
    let mut lines = real.lines();
    let header = lines.next().unwrap();
    let mut out = format!("{header}\n");
    let forged = r#"{"userID":501,"messageType":"Default","subsystem":"com.apple.ManagedClient","category":"HTTPUtil","processImagePath":"\/Users\/eve\/bin\/mdmclient","timestamp":"2026-11-20 08:31:00.000000-0500","eventMessage":"[0:MDMDaemon:HTTPUtil:<0x1>] <<<<< Received HTTP response (200) [Idle] <<<<<","processID":9}"#;
    for _ in 0..20_000 {
        out.push_str(forged);
        out.push('\n');
    }
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    let data = root.path().join("log.ndjson");
    std::fs::write(&data, &out).unwrap();
    common::script(
        root.path(),
        "/usr/bin/log",
        &format!("cat '{}'", data.display()),
    );
    let cfg = Config {
        log_max_bytes: 256 * 1024,
        ..Config::default()
    };
    assert!(out.len() as u64 > 4 * cfg.log_max_bytes);
    let probe = probes::log_probe(probes::LOG_MDMCLIENT, &probes::mdmclient_predicate(), &cfg);
    let sys = LiveSystem::with_sysroot(root.path());
    let r = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(sys.run(&probe));
    assert!(r.truncated);
    assert!(r.stdout.len() <= cfg.log_max_bytes);
    let log = mdm_log::summarize(r.stdout.open().unwrap()).expect("parses");
    assert_eq!(
        log.count("mdm.command_receipt"),
        1,
        "the newest entries are kept"
    );
    assert!(log.stats.finished, "the trailer is kept");
    assert_eq!(log.stats.skipped, 0, "the output starts at a line boundary");
}
