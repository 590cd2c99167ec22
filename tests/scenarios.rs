//! End to end: the binary on each bundled capture (`diagnose --json --replay`), one row per
//! scenario, asserting the Addigy keys, the MDM-health statuses, the liveness state and the
//! readiness verdict; then heal decisions on the same captures, and the human report's shape.

mod common;

use common::*;

struct Case {
    capture: &'static str,
    exit: i32,
    /// MDMEnrolled, MDMIdentityError, MDMClientStuck, MDMSoftwareUpdatesStuck (None = null).
    keys: [Option<bool>; 4],
    /// mdm.enrollment, mdm.identity, mdm.client_liveness, softwareupdate.daemon_liveness.
    statuses: [&'static str; 4],
    client_state: &'static str,
    update_verdict: &'static str,
}

const CASES: &[Case] = &[
    Case {
        capture: "healthy",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        update_verdict: "ready",
    },
    Case {
        capture: "not-enrolled",
        exit: 1,
        keys: [Some(false), Some(false), Some(false), Some(false)],
        statuses: ["failed", "not_applicable", "ok", "ok"],
        client_state: "quiet",
        update_verdict: "blocked",
    },
    Case {
        capture: "identity-expired",
        exit: 1,
        keys: [Some(true), Some(true), Some(false), Some(false)],
        statuses: ["ok", "failed", "ok", "ok"],
        client_state: "alive",
        update_verdict: "blocked",
    },
    // The certificate is valid but has no private key: a stale enrollment, MDMIdentityError.
    Case {
        capture: "identity-no-private-key",
        exit: 1,
        keys: [Some(true), Some(true), Some(false), Some(false)],
        statuses: ["ok", "failed", "ok", "ok"],
        client_state: "alive",
        update_verdict: "blocked",
    },
    Case {
        capture: "identity-expiring",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "warning", "ok", "ok"],
        client_state: "alive",
        update_verdict: "ready",
    },
    Case {
        capture: "mdmclient-identity-error",
        exit: 1,
        keys: [Some(true), Some(true), Some(true), Some(false)],
        statuses: ["ok", "failed", "failed", "ok"],
        client_state: "stuck",
        update_verdict: "blocked",
    },
    Case {
        capture: "mdmclient-stuck",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "stuck",
        update_verdict: "blocked",
    },
    Case {
        capture: "mdmclient-stuck-unanswered",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "stuck",
        update_verdict: "blocked",
    },
    Case {
        capture: "mdmclient-quiet",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "quiet",
        update_verdict: "ready",
    },
    Case {
        capture: "softwareupdate-stuck",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(true)],
        statuses: ["ok", "ok", "failed", "failed"],
        client_state: "stuck",
        update_verdict: "blocked",
    },
    Case {
        capture: "softwareupdate-installing",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "stuck",
        update_verdict: "blocked",
    },
    Case {
        capture: "probe-failures",
        exit: 0,
        keys: [Some(true), None, None, None],
        statuses: ["ok", "unknown", "unknown", "unknown"],
        client_state: "unknown",
        update_verdict: "unknown",
    },
];

const CHECKS: [&str; 4] = [
    "mdm.enrollment",
    "mdm.identity",
    "mdm.client_liveness",
    "softwareupdate.daemon_liveness",
];
const KEYS: [&str; 4] = [
    "MDMEnrolled",
    "MDMIdentityError",
    "MDMClientStuck",
    "MDMSoftwareUpdatesStuck",
];

#[test]
fn each_scenario_capture_is_diagnosed_as_expected() {
    for case in CASES {
        let dir = captures_dir().join(case.capture);
        let (code, r) = diagnose_json(&dir, &[]);
        let c = case.capture;
        assert_eq!(code, case.exit, "{c}: exit");
        for (key, want) in KEYS.iter().zip(case.keys) {
            assert_eq!(r["watchdog"][key].as_bool(), want, "{c}: {key}");
        }
        for (check, want) in CHECKS.iter().zip(case.statuses) {
            assert_eq!(
                status(&r, check),
                want,
                "{c}: {check}: {}",
                r["checks"][check]["summary"]
            );
        }
        assert_eq!(
            r["checks"]["mdm.client_liveness"]["facts"]["state"]
                .as_str()
                .unwrap_or("unknown"),
            case.client_state,
            "{c}"
        );
        assert_eq!(
            r["readiness"]["update"]["verdict"], case.update_verdict,
            "{c}: {}",
            r["readiness"]["summary"]
        );
        // Every non-ok finding carries a remediation hint or a reason.
        for (id, f) in r["checks"].as_object().unwrap() {
            match f["status"].as_str().unwrap() {
                "failed" | "warning" => {
                    assert!(f["remediation"].is_string(), "{c}: {id} has no remediation")
                }
                "unknown" => assert!(f["reason"].is_string(), "{c}: {id} has no reason"),
                _ => {}
            }
        }
    }
}

#[test]
fn stuck_findings_carry_the_log_lines_as_evidence() {
    let (_, r) = diagnose_json(&captures_dir().join("mdmclient-stuck-unanswered"), &[]);
    let f = &r["checks"]["mdm.client_liveness"];
    assert_eq!(f["facts"]["unanswered_command"], "InstallApplication");
    let ev = f["evidence"].as_array().unwrap();
    assert!(
        ev.iter().any(|e| e["source"] == "log_mdmclient"
            && e["timestamp"].is_string()
            && e["text"]
                .as_str()
                .unwrap()
                .contains("Processing server request: InstallApplication")),
        "{ev:?}"
    );
    let (_, r) = diagnose_json(&captures_dir().join("identity-expired"), &[]);
    let f = &r["checks"]["mdm.identity"];
    assert!(f["facts"]["days_left"].as_i64().unwrap() < 0);
    assert!(f["summary"].as_str().unwrap().contains("expired"));
}

#[test]
fn a_stale_enrollment_names_the_missing_key_and_the_remedy() {
    let (_, r) = diagnose_json(&captures_dir().join("identity-no-private-key"), &[]);
    let f = &r["checks"]["mdm.identity"];
    assert_eq!(f["facts"]["private_key"], false);
    assert_eq!(
        f["facts"]["sha1"],
        "C5C24BD24B3B70071604AEEFC997E8E580A20818"
    );
    assert!(f["summary"]
        .as_str()
        .unwrap()
        .starts_with("stale enrollment (for example after Migration Assistant or a restore)"));
    assert!(f["remediation"].as_str().unwrap().contains("Re-enroll"));
    assert_eq!(r["watchdog"]["MDMIdentityError"], true);
    // The healthy capture lists the same certificate with its key, and reports how it enrolled.
    let (_, h) = diagnose_json(&captures_dir().join("healthy"), &[]);
    assert_eq!(h["checks"]["mdm.identity"]["facts"]["private_key"], true);
    let e = &h["checks"]["mdm.enrollment"]["facts"];
    assert_eq!(e["management_status"]["enrolled_via_dep"], true);
    assert_eq!(e["management_status"]["user_approved_enrollment"], true);
}

#[test]
fn strict_addigy_turns_quiet_into_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("strict.plist");
    std::fs::write(&cfg, br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>StrictAddigyLiveness</key><true/></dict></plist>
"#).unwrap();
    let (_, r) = diagnose_json(
        &captures_dir().join("mdmclient-quiet"),
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(r["watchdog"]["MDMClientStuck"], true);
    assert_eq!(
        r["checks"]["mdm.client_liveness"]["facts"]["state"],
        "stuck"
    );
    let src = r["config"]["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "StrictAddigyLiveness")
        .unwrap()
        .clone();
    assert_eq!(src["source"], "config_file");
}

/// `-heal` under replay decides but executes nothing.
fn heal_json(capture: &str) -> serde_json::Value {
    let out = mdmwatch(&[
        "-heal",
        "--json",
        "--replay",
        captures_dir().join(capture).to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{capture}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_valid(&r);
    assert_eq!(r["heal"]["executed"], false, "{capture}");
    r
}

fn decision<'a>(r: &'a serde_json::Value, service: &str) -> (&'a str, &'a str) {
    let s = r["heal"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == service)
        .unwrap();
    (s["action"].as_str().unwrap(), s["reason"].as_str().unwrap())
}

#[test]
fn heal_decisions_follow_the_evidence() {
    let r = heal_json("mdmclient-stuck");
    assert_eq!(decision(&r, "mdmclient").0, "would_restart");
    assert_eq!(decision(&r, "softwareupdated").0, "none");
    let r = heal_json("softwareupdate-stuck");
    assert_eq!(decision(&r, "mdmclient").0, "would_restart");
    assert_eq!(decision(&r, "softwareupdated").0, "would_restart");
    // Never during an install, even with mdmclient stuck.
    let r = heal_json("softwareupdate-installing");
    assert_eq!(decision(&r, "mdmclient"), ("none", "install_in_progress"));
    assert_eq!(decision(&r, "softwareupdated").0, "none");
    // Quiet is not stuck; unknown evidence never restarts.
    let r = heal_json("mdmclient-quiet");
    assert_eq!(decision(&r, "mdmclient"), ("none", "quiet"));
    let r = heal_json("probe-failures");
    assert_eq!(decision(&r, "mdmclient"), ("none", "unknown"));
    assert_eq!(decision(&r, "softwareupdated"), ("none", "unknown"));
}

#[test]
fn human_report_starts_with_the_addigy_keys_then_readiness() {
    let out = mdmwatch(&[
        "-diagnose",
        "--replay",
        captures_dir().join("mdmclient-stuck").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..8],
        [
            "MDMEnrolled: true",
            "MDMIdentityError: false",
            "MDMClientStuck: true",
            "MDMSoftwareUpdatesStuck: false",
            "MDMClientRestarted: false",
            "SoftwareUpdateDaemonRestarted: false",
            "LastMDMKickstart: 0001-01-01 00:00:00 +0000 UTC",
            "LastSoftwareUpdateDaemonKickstart: 0001-01-01 00:00:00 +0000 UTC",
        ]
    );
    let first_after = lines[8..].iter().find(|l| !l.is_empty()).unwrap();
    assert!(
        first_after.starts_with("Readiness: every kind blocked (mdm.client_liveness"),
        "{first_after}"
    );
    assert!(text.contains("[failed] mdm.client_liveness: stuck"));
    // --verbose adds evidence and remediation.
    let out = mdmwatch(&[
        "diagnose",
        "--verbose",
        "--replay",
        captures_dir().join("mdmclient-stuck").to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Received HTTP response"), "{text}");
    assert!(text.contains("fix: "), "{text}");
}

#[test]
fn help_documents_the_addigy_keys_and_exit_codes() {
    let out = mdmwatch(&["-help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for key in [
        "MDMEnrolled",
        "MDMClientStuck",
        "LastSoftwareUpdateDaemonKickstart",
        "Exit status",
    ] {
        assert!(text.contains(key), "{key}");
    }
    let out = mdmwatch(&["-version"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("mdmwatch {}", env!("CARGO_PKG_VERSION"))
    );
}
