//! End to end: the binary diagnoses the readiness captures (`tests/fixtures/captures/readiness-*`,
//! CONSTRUCTED from real sample shapes by `tests/fixtures/readiness/make_captures.py`) and the
//! JSON report carries the verdicts. Probes the captures do not hold (enrollment, logs of
//! mdmclient, launchctl) are reported unknown, which must not disturb readiness.

// Running the built binary is the point of an end-to-end test; the boundary rule is for src/.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/captures")
        .join(name)
}

fn diagnose(name: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mdmwatch"))
        .args(["diagnose", "--json", "--replay"])
        .arg(capture(name))
        .output()
        .expect("run mdmwatch");
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{name}: exit {:?}, stderr {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn human(name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mdmwatch"))
        .args(["diagnose", "--replay"])
        .arg(capture(name))
        .output()
        .expect("run mdmwatch");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The human report from the eight Addigy keys on (the verdict line and the problems come first).
fn after_verdict_and_problems(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("MDMEnrolled:"))
        .unwrap_or(0);
    lines[at..].to_vec()
}

fn verdict<'a>(r: &'a Value, kind: &str) -> &'a str {
    r["readiness"][kind]["verdict"].as_str().unwrap_or("absent")
}

fn blockers(r: &Value, kind: &str) -> Vec<String> {
    r["readiness"][kind]["blocked_by"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| b["check"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn check<'a>(r: &'a Value, id: &str) -> &'a Value {
    &r["checks"][id]
}

#[test]
fn apple_silicon_on_battery_at_15_percent() {
    let r = diagnose("readiness-as-battery-15");
    let b = check(&r, "power.battery");
    assert_eq!(b["status"], "warning");
    assert_eq!(b["facts"]["percent"], 15);
    assert_eq!(b["facts"]["on_ac"], false);
    assert_eq!(b["facts"]["user_initiated"], "blocks");
    assert_eq!(b["facts"]["automatic"], "blocks");
    assert_eq!(b["facts"]["rsr"], "meets");
    assert_eq!(b["facts"]["automatic_download"], "blocks");
    assert_eq!(b["facts"]["needed_percent"]["user_initiated"], 20);
    assert_eq!(verdict(&r, "update"), "blocked");
    assert_eq!(blockers(&r, "update"), vec!["power.battery"]);
    assert_eq!(verdict(&r, "upgrade"), "blocked");
    assert_eq!(verdict(&r, "rsr"), "ready");
    assert_eq!(check(&r, "readiness")["status"], "warning");
    assert_eq!(r["readiness"]["update"]["target"], "15.2");
}

#[test]
fn intel_on_battery_at_45_percent() {
    let r = diagnose("readiness-intel-battery-45");
    assert_eq!(r["host"]["architecture"], "x86_64");
    let b = check(&r, "power.battery");
    assert_eq!(b["facts"]["architecture"], "x86_64");
    assert_eq!(b["facts"]["user_initiated"], "blocks");
    assert_eq!(b["facts"]["needed_percent"]["user_initiated"], 50);
    assert_eq!(b["facts"]["rsr"], "meets");
    assert_eq!(verdict(&r, "update"), "blocked");
    assert_eq!(verdict(&r, "rsr"), "ready");
    assert_eq!(check(&r, "bootstrap_token")["status"], "not_applicable");
}

#[test]
fn desktop_without_battery() {
    let r = diagnose("readiness-desktop");
    let b = check(&r, "power.battery");
    assert_eq!(b["status"], "not_applicable");
    assert_eq!(b["facts"]["internal_battery"], false);
    assert_eq!(check(&r, "os.version")["facts"]["portable"], false);
    for k in ["update", "upgrade", "rsr"] {
        assert_eq!(verdict(&r, k), "ready", "{k}");
    }
    assert_eq!(check(&r, "readiness")["status"], "ok");
    assert!(r["readiness"].get("ddm_target").is_none());
}

#[test]
fn ac_attached_at_5_percent_never_blocks() {
    let r = diagnose("readiness-ac-5pct");
    let b = check(&r, "power.battery");
    assert_eq!(b["status"], "ok");
    assert_eq!(b["facts"]["percent"], 5);
    assert_eq!(b["facts"]["on_ac"], true);
    assert_eq!(b["facts"]["automatic"], "meets");
    assert_eq!(verdict(&r, "update"), "ready");
}

#[test]
fn disk_below_upgrade_headroom() {
    let r = diagnose("readiness-disk-low");
    let d = check(&r, "disk.free_space");
    assert_eq!(d["status"], "warning");
    assert_eq!(
        d["facts"]["free_source"],
        "mdmclient AvailableDeviceCapacity"
    );
    assert_eq!(d["facts"]["free_bytes"], 20_400_000_000u64);
    assert_eq!(d["facts"]["container_free_bytes"], 18_200_000_000u64);
    assert_eq!(d["facts"]["update"], "meets");
    assert_eq!(d["facts"]["upgrade"], "blocks");
    assert_eq!(verdict(&r, "update"), "ready");
    // No upgrade pending: not offered, not "blocked" by the headroom the disk finding reports.
    assert_eq!(verdict(&r, "upgrade"), "not_offered");
    assert_eq!(
        r["readiness"]["upgrade"]["blocked_by"],
        serde_json::json!([])
    );
    let p = check(&r, "softwareupdate.pending");
    assert_eq!(p["status"], "warning");
    assert_eq!(p["facts"]["skipped_download_lacking_disk_space"], true);
}

#[test]
fn disk_9gb_from_diskutil_blocks_both() {
    let r = diagnose("readiness-disk-9gb");
    let d = check(&r, "disk.free_space");
    assert_eq!(d["status"], "failed");
    assert_eq!(d["facts"]["free_source"], "diskutil APFSContainerFree");
    assert_eq!(verdict(&r, "update"), "blocked");
    assert_eq!(verdict(&r, "upgrade"), "blocked");
    assert_eq!(verdict(&r, "rsr"), "ready");
    let text = human("readiness-disk-9gb");
    let lines: Vec<&str> = after_verdict_and_problems(&text);
    // First line after the eight Addigy keys.
    // The kinds differ: one line per group, each reason once per group.
    assert_eq!(
        lines[8..12],
        [
            "Readiness:",
            "  update 15.2, MDM-initiated 15.2 blocked (disk.free_space: 9.1 GB free, 15 GB needed)",
            "  upgrade 26.1 blocked (disk.free_space: 9.1 GB free, 25 GB needed)",
            "  rsr ready",
        ]
    );
}

#[test]
fn token_not_escrowed_blocks_the_enforced_target() {
    let r = diagnose("readiness-token-not-escrowed");
    let t = check(&r, "bootstrap_token");
    assert_eq!(t["status"], "warning");
    assert_eq!(t["facts"]["escrowed"], false);
    assert!(t["summary"]
        .as_str()
        .unwrap()
        .contains("user's credentials"));
    assert_eq!(verdict(&r, "ddm_target"), "blocked");
    assert_eq!(blockers(&r, "ddm_target"), vec!["bootstrap_token"]);
    assert_eq!(r["readiness"]["ddm_target"]["target"], "15.2 (24C101)");
    let ddm = check(&r, "softwareupdate.ddm");
    assert_eq!(ddm["status"], "ok");
    assert_eq!(ddm["facts"]["target"]["kind"], "update");
    // 2026-11-25T17:00 local minus 2026-11-20T10:00-05:00 = 5 d 7 h.
    assert_eq!(ddm["facts"]["target"]["minutes_left"], (5 * 24 + 7) * 60);
}

#[test]
fn eacs_preflight_failure() {
    let r = diagnose("readiness-eacs-failure");
    let t = check(&r, "bootstrap_token");
    assert_eq!(t["status"], "warning");
    assert_eq!(t["facts"]["escrowed"], true);
    assert_eq!(
        t["facts"]["eacs_preflight"],
        "Unable to get Bootstrap Token"
    );
    assert_eq!(
        t["facts"]["eacs_preflight_state"],
        "unable_to_get_bootstrap_token"
    );
    assert!(t["remediation"]
        .as_str()
        .unwrap()
        .contains("could not fetch its bootstrap token"));
    // The token problem blocks what the MDM installs, not what a user installs by hand.
    assert_eq!(verdict(&r, "update"), "ready");
    assert_eq!(verdict(&r, "mdm_initiated"), "blocked");
    assert_eq!(blockers(&r, "mdm_initiated"), vec!["bootstrap_token"]);
    assert!(r["readiness"]["mdm_initiated"]["blocked_by"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("can still install it by hand"));
}

#[test]
fn each_eacs_preflight_failure_value_has_its_remedy() {
    for (capture, state, remedy) in [
        (
            "readiness-eacs-not-full-security",
            "not_full_security",
            "Startup Security Utility",
        ),
        (
            "readiness-eacs-invalid-disk-layout",
            "invalid_disk_layout",
            "erasing and reinstalling",
        ),
        (
            "readiness-eacs-not-supported",
            "not_supported",
            "cannot use the bootstrap token",
        ),
    ] {
        let r = diagnose(capture);
        let t = check(&r, "bootstrap_token");
        assert_eq!(t["status"], "warning", "{capture}");
        assert_eq!(t["facts"]["eacs_preflight_state"], state, "{capture}");
        assert!(
            t["remediation"].as_str().unwrap().contains(remedy),
            "{capture}: {}",
            t["remediation"]
        );
        assert_eq!(verdict(&r, "mdm_initiated"), "blocked", "{capture}");
        assert_eq!(verdict(&r, "update"), "ready", "{capture}");
    }
}

#[test]
fn missing_eacs_preflight_on_macos_14_is_unknown() {
    let r = diagnose("readiness-eacs-missing-14");
    let t = check(&r, "bootstrap_token");
    assert_eq!(t["status"], "unknown");
    assert!(t["reason"]
        .as_str()
        .unwrap()
        .contains("printed no EACSPreflight"));
    assert_eq!(t["facts"]["eacs_preflight"], Value::Null);
    assert_eq!(verdict(&r, "mdm_initiated"), "unknown");
    // On 14.7.1 the pending 15.2 is an upgrade, and no minor update is pending.
    assert_eq!(verdict(&r, "upgrade"), "ready");
    assert_eq!(verdict(&r, "update"), "not_offered");
}

#[test]
fn readiness_never_contradicts_itself() {
    // A reason every kind shares is said once.
    let text = human("identity-no-private-key");
    // Too long for one line: the heading, then the one group of kinds.
    // The blocker is a problem printed above the keys: the readiness line names it only.
    let lines = after_verdict_and_problems(&text);
    let line = lines[8];
    // The channel verdict leads, then the check that explains it; both are printed above.
    assert_eq!(
        line, "Readiness: every kind blocked (mdm.channel, above; mdm.identity, above)",
        "{text}"
    );
    assert!(
        text.contains("[failed] mdm.identity: stale enrollment"),
        "{text}"
    );
    assert_eq!(line.matches("mdm.identity").count(), 1, "{line}");
    // A kind with nothing pending is not offered, not ready.
    let r = diagnose("readiness-ddm-deadline-failed");
    assert_eq!(verdict(&r, "upgrade"), "not_offered");
    // The declared 15.2 failed to install: the pending 15.2 is blocked by the same failure,
    // not ready beside it.
    assert_eq!(verdict(&r, "ddm_target"), "blocked");
    assert_eq!(verdict(&r, "update"), "blocked");
    assert_eq!(blockers(&r, "update"), vec!["softwareupdate.ddm"]);
    // With a declaration active the declared target is what the MDM installs: no second kind.
    assert_eq!(verdict(&r, "mdm_initiated"), "absent");
    // A token problem stops only the MDM's install of 15.2: the by-hand verdict says so.
    let r = diagnose("readiness-token-not-escrowed");
    assert_eq!(verdict(&r, "update"), "ready");
    assert_eq!(verdict(&r, "ddm_target"), "blocked");
    let text = human("readiness-token-not-escrowed");
    assert!(
        text.contains("\n  update 15.2 (by hand), upgrade 26.1, rsr ready\n"),
        "{text}"
    );
}

#[test]
fn enforcement_deadline_passed_and_failed() {
    let r = diagnose("readiness-ddm-deadline-failed");
    let ddm = check(&r, "softwareupdate.ddm");
    assert_eq!(ddm["status"], "failed");
    assert_eq!(ddm["facts"]["target"]["deadline_passed"], true);
    assert_eq!(ddm["facts"]["target"]["minutes_left"], -41 * 60);
    let summary = ddm["summary"].as_str().unwrap();
    // The failure reason comes from the newest DDM status report when the softwareupdated log is
    // readable, else from the persisted DDMPersistedErrorKey in the SoftwareUpdate preferences.
    if ddm["facts"]["install_state"] == "failed" {
        assert!(summary.contains("install failed"), "{summary}");
        assert!(summary.contains("not enough free space"), "{summary}");
        assert_eq!(ddm["facts"]["failure_reason"]["count"], 2);
    } else {
        assert!(summary.contains("Software update failed."), "{summary}");
        assert_eq!(
            ddm["facts"]["failure_reason"]["source"],
            "DDMPersistedErrorKey"
        );
    }
    assert_eq!(verdict(&r, "ddm_target"), "blocked");
    assert!(blockers(&r, "ddm_target").contains(&"softwareupdate.ddm".to_string()));
}

#[test]
fn rapid_security_response_installed() {
    let r = diagnose("readiness-rsr-installed");
    let os = check(&r, "os.version");
    assert_eq!(os["facts"]["rsr_installed"], true);
    assert_eq!(os["facts"]["product_version_extra"], "(a)");
    assert_eq!(os["facts"]["build_version"], "22E772610a");
    assert_eq!(os["facts"]["full_version"], "13.3.1 (a)");
    assert_eq!(r["host"]["os_version_extra"], "(a)");
    assert_eq!(r["host"]["architecture"], "x86_64");
}

#[test]
fn declaration_already_satisfied() {
    let r = diagnose("readiness-ddm-satisfied");
    let ddm = check(&r, "softwareupdate.ddm");
    assert_eq!(ddm["status"], "ok");
    assert_eq!(ddm["facts"]["declarations"][0]["state"], "satisfied");
    assert!(ddm["facts"]["target"].is_null());
    assert!(r["readiness"].get("ddm_target").is_none());
}

#[test]
fn every_capture_has_all_readiness_findings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captures");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with("readiness-") {
            continue;
        }
        n += 1;
        let r = diagnose(&name);
        for id in [
            "os.version",
            "softwareupdate.pending",
            "softwareupdate.ddm",
            "power.battery",
            "disk.free_space",
            "bootstrap_token",
            "readiness",
        ] {
            // Without an EACSPreflight value (none recorded, or none printed) on macOS 13.3+
            // the token's usability is unknown by design.
            let no_eacs = name == "readiness-eacs-missing-14"
                || !capture(&name).join("mdmclient_qdi.stdout").exists();
            if no_eacs && matches!(id, "bootstrap_token" | "readiness") {
                continue;
            }
            assert_ne!(
                check(&r, id)["status"],
                "unknown",
                "{name}: {id} {}",
                check(&r, id)
            );
        }
        assert!(r["readiness"]["summary"].is_string(), "{name}");
    }
    assert!(n >= 10);
}

#[test]
fn catalog_lists_newer_releases_offline() {
    let gdmf = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples/gdmf_pmv__sofa_cached_wrapper_with_etag__2026-08.json");
    let out = Command::new(env!("CARGO_BIN_EXE_mdmwatch"))
        .args(["diagnose", "--json", "--replay"])
        .arg(capture("readiness-desktop"))
        .arg("--catalog")
        .arg(&gdmf)
        .output()
        .expect("run mdmwatch");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &r["checks"]["softwareupdate.catalog"];
    assert_eq!(c["status"], "ok");
    assert_eq!(c["facts"]["format"], "gdmf");
    // Mac14,3 (J473AP) on 15.1: the newest is 26.6.2, and 15.7.9 is the newest 15.x.
    assert_eq!(c["facts"]["newer"][0]["version"], "26.6.2");
    let versions: Vec<&str> = c["facts"]["newer"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert!(versions.contains(&"15.7.9"));
}

#[test]
fn mdmclient_capacity_zero_with_a_healthy_container() {
    let r = diagnose("readiness-qdi-capacity-zero");
    let d = check(&r, "disk.free_space");
    assert_eq!(d["status"], "ok");
    assert_eq!(d["facts"]["free_source"], "diskutil APFSContainerFree");
    assert_eq!(d["facts"]["free_bytes"], 198_572_486_656u64);
    assert_eq!(
        d["facts"]["rejected_sources"][0]["source"],
        "mdmclient AvailableDeviceCapacity"
    );
    assert_eq!(verdict(&r, "update"), "ready");
    assert_eq!(verdict(&r, "upgrade"), "ready");
}

#[test]
fn an_update_larger_than_free_space_minus_headroom_is_blocked() {
    let r = diagnose("readiness-download-too-big");
    let d = check(&r, "disk.free_space");
    assert_eq!(d["status"], "failed");
    assert_eq!(d["facts"]["download_size_known"], true);
    assert_eq!(d["facts"]["download_update_bytes"], 7_300_295u64 * 1024);
    assert_eq!(
        d["facts"]["needed_update_bytes"],
        7_300_295u64 * 1024 + 15_000_000_000
    );
    assert_eq!(
        d["facts"]["download_source"],
        "softwareupdate --list --no-scan"
    );
    assert_eq!(verdict(&r, "update"), "blocked");
    let detail = r["readiness"]["update"]["blocked_by"][0]["detail"]
        .as_str()
        .unwrap();
    assert_eq!(
        detail,
        "20.0 GB free, 22.5 GB needed (7.5 GB download + 15 GB)"
    );
}

#[test]
fn a_90_day_deferral_hiding_the_declared_target() {
    let r = diagnose("readiness-deferral-hides-target");
    let s = check(&r, "softwareupdate.settings");
    assert_eq!(s["status"], "warning");
    assert_eq!(s["facts"]["update_deferral_days"], 90);
    assert_eq!(s["facts"]["upgrade_deferral_days"], Value::Null);
    // Users cannot install 15.2 by hand yet; the enforced install at the deadline still runs.
    assert_eq!(verdict(&r, "update"), "blocked");
    assert_eq!(blockers(&r, "update"), vec!["softwareupdate.settings"]);
    assert_eq!(r["readiness"]["update"]["target"], "15.2");
    assert_eq!(verdict(&r, "ddm_target"), "ready");
}

#[test]
fn a_beta_catalog_is_reported() {
    let r = diagnose("readiness-beta-catalog");
    let s = check(&r, "softwareupdate.settings");
    assert_eq!(s["status"], "warning");
    assert_eq!(s["facts"]["beta_catalog"], true);
    assert!(s["facts"]["catalog_url"]
        .as_str()
        .unwrap()
        .contains("10.14seed"));
    assert!(s["summary"].as_str().unwrap().contains("beta/seed catalog"));
    // The healthy MDM scenario: managed automatic settings on, no deferral.
    let h = diagnose("../captures/healthy");
    let s = check(&h, "softwareupdate.settings");
    assert_eq!(s["status"], "ok");
    assert_eq!(
        s["facts"]["automatic"]["AutomaticCheckEnabled"]["source"],
        "managed"
    );
}

fn with_catalog(capture_name: &str, feed: &str) -> Value {
    let feed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples")
        .join(feed);
    let out = Command::new(env!("CARGO_BIN_EXE_mdmwatch"))
        .args(["diagnose", "--json", "--replay"])
        .arg(capture(capture_name))
        .arg("--catalog")
        .arg(&feed)
        .output()
        .expect("run mdmwatch");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_mac_far_behind_a_sofa_feed_with_an_actively_exploited_cve_is_out_of_compliance() {
    // macOS 15.1 on Mac14,3, captured 2026-11-20, against SOFA's feed of 2026-08-22.
    let r = with_catalog(
        "readiness-desktop",
        "sofa_macos_data_feed__v2__2026-08-22.json",
    );
    let c = &r["checks"]["softwareupdate.compliance"];
    assert_eq!(c["status"], "failed", "{c}");
    assert_eq!(c["facts"]["newest_for_major"], "15.7.9");
    assert_eq!(c["facts"]["newest_major"], "26.6.2");
    assert!(c["facts"]["releases_behind"].as_u64().unwrap() >= 15, "{c}");
    assert!(c["facts"]["missing_exploited_cves"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "CVE-2026-65400"));
    // The oldest missing fix of an actively exploited CVE is 15.1.1 (2024-11-19, CVE-2024-44308):
    // 731 days before the capture.
    assert_eq!(c["facts"]["exploited_days"], 731);
    // SOFA v2 LastCheck 2026-08-22T18:45Z: the feed is 89 days old at the capture.
    assert_eq!(c["facts"]["feed_age_days"], 89);
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.contains("out of compliance"), "{summary}");
    assert!(summary.contains("feed is 89 days old"), "{summary}");
    let sofa_behind = c["facts"]["releases_behind"].as_u64().unwrap();
    // The two feeds count differently for the same Mac, and each report says why.
    assert!(
        summary.contains("SOFA counts every release published; GDMF only those Apple offers now"),
        "{summary}"
    );
    // GDMF carries no CVEs: still behind and past the 21-day deadline; its age is unknown.
    let r = with_catalog(
        "readiness-desktop",
        "gdmf_pmv__sofa_cached_wrapper_with_etag__2026-08.json",
    );
    let c = &r["checks"]["softwareupdate.compliance"];
    assert_eq!(c["status"], "failed", "{c}");
    assert!(c["summary"].as_str().unwrap().contains("feed age unknown"));
    assert_eq!(c["facts"]["missing_cves"], serde_json::json!([]));
    let gdmf_behind = c["facts"]["releases_behind"].as_u64().unwrap();
    assert!(gdmf_behind < sofa_behind, "{gdmf_behind} {sofa_behind}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("GDMF counts only the releases Apple offers now; SOFA counts every release"),
        "{c}"
    );
}
