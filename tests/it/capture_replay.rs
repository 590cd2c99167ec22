//! `mdmwatch capture DIR` against fake binaries, then `--replay DIR`: the capture format on disk,
//! refusal of non-empty directories, and that replay reproduces what the live run saw.

use std::path::Path;

use crate::common::{mdmwatch, script};

fn fake_mac(root: &Path) {
    script(
        root,
        "/usr/bin/sw_vers",
        "printf 'ProductName:\\t\\tmacOS\\nProductVersion:\\t\\t15.1\\nBuildVersion:\\t\\t24B83\\n'",
    );
    script(
        root,
        "/usr/sbin/sysctl",
        "case \"$2\" in hw.model) echo Mac14,2;; hw.optional.arm64) echo 1;; esac",
    );
    // Intentionally slow-free failure: launchctl exits 113 with the real not-found text.
    script(
        root,
        "/bin/launchctl",
        "echo 'Bad request.'; echo \"Could not find service \\\"${2#system/}\\\" in domain for system\" >&2; exit 113",
    );
}

#[test]
fn capture_writes_the_documented_format_and_replay_reads_it_back() {
    let root = tempfile::tempdir().unwrap();
    fake_mac(root.path());
    let cap = tempfile::tempdir().unwrap();
    let dir = cap.path().join("cap");
    let root_s = root.path().to_str().unwrap();
    let dir_s = dir.to_str().unwrap();
    mdmwatch(&["capture", dir_s, "--sysroot", root_s]).assert_code(0);

    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let at = meta["captured_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    assert_eq!(meta["mdmwatch_version"], env!("CARGO_PKG_VERSION"));

    assert!(std::fs::read_to_string(dir.join("sw_vers.stdout"))
        .unwrap()
        .contains("15.1"));
    assert!(
        !dir.join("sw_vers.exit").exists(),
        "exit 0 is recorded by absence"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("hw_model.stdout")).unwrap(),
        "Mac14,2\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("launchctl_mdmclient.exit"))
            .unwrap()
            .trim(),
        "113"
    );
    assert!(
        std::fs::read_to_string(dir.join("launchctl_mdmclient.stderr"))
            .unwrap()
            .contains("Could not find service \"com.apple.mdmclient.daemon\"")
    );
    // The command line of each recorded probe (a rule reading absence needs the predicate).
    let argv: Vec<String> =
        serde_json::from_slice(&std::fs::read(dir.join("hw_model.args")).unwrap()).unwrap();
    assert_eq!(argv, ["/usr/sbin/sysctl", "-n", "hw.model"]);
    // Binaries the fake Mac lacks leave no files: "not available".
    assert!(!dir.join("pmset_batt.stdout").exists());
    assert!(!dir.join("pmset_batt.exit").exists());
    assert!(!dir.join("pmset_batt.args").exists());

    // Replay sees the same host facts; "now" is captured_at.
    let out = mdmwatch(&["diagnose", "--json", "--replay", dir_s]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["host"]["os_version"], "15.1");
    assert_eq!(report["host"]["model"], "Mac14,2");
    assert_eq!(report["host"]["architecture"], "arm64");
    assert_eq!(report["generated_at"].as_str().unwrap()[..19], at[..19]);
    let probes = report["probes"].as_array().unwrap();
    let lc = probes
        .iter()
        .find(|p| p["id"] == "launchctl_mdmclient")
        .unwrap();
    assert_eq!(lc["exit_status"], 113);
    let pm = probes.iter().find(|p| p["id"] == "pmset_batt").unwrap();
    assert_eq!(pm["available"], false);
}

#[test]
fn capture_refuses_a_non_empty_directory() {
    let cap = tempfile::tempdir().unwrap();
    std::fs::write(cap.path().join("keep.txt"), b"mine").unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = mdmwatch(&[
        "capture",
        cap.path().to_str().unwrap(),
        "--sysroot",
        root.path().to_str().unwrap(),
    ]);
    out.assert_code(2)
        .assert_that(out.stderr_text().contains("not empty"), "stderr says why");
    assert_eq!(std::fs::read_dir(cap.path()).unwrap().count(), 1);
}

#[test]
fn replay_rejects_missing_or_bad_metadata_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = mdmwatch(&["diagnose", "--replay", dir.path().to_str().unwrap()]);
    out.assert_code(2).assert_that(
        out.stderr_text().contains("meta.json"),
        "stderr names meta.json",
    );
    std::fs::write(
        dir.path().join("meta.json"),
        br#"{"captured_at": "yesterday"}"#,
    )
    .unwrap();
    let out = mdmwatch(&["diagnose", "--replay", dir.path().to_str().unwrap()]);
    out.assert_code(2).assert_that(
        out.stderr_text().contains("RFC 3339"),
        "stderr names RFC 3339",
    );
}

#[test]
fn hand_written_capture_with_timeout_and_garbage_exit_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("meta.json"),
        br#"{"captured_at": "2026-11-20T10:00:00-05:00"}"#,
    )
    .unwrap();
    std::fs::write(d.join("log_mdmclient.timeout"), b"").unwrap();
    std::fs::write(
        d.join("sw_vers.stdout"),
        b"ProductVersion: 14.4\nBuildVersion: 23E214\n",
    )
    .unwrap();
    std::fs::write(d.join("hw_model.stdout"), b"Mac14,2\n").unwrap();
    std::fs::write(d.join("hw_model.exit"), b"banana\n").unwrap();
    let out = mdmwatch(&["diagnose", "--json", "--replay", d.to_str().unwrap()]);
    out.assert_that(
        matches!(out.status.code(), Some(0) | Some(1)),
        "exit 0 or 1",
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["generated_at"], "2026-11-20T10:00:00-05:00");
    assert_eq!(report["host"]["os_version"], "14.4");
    assert_eq!(report["host"]["model"], serde_json::Value::Null);
    let probes = report["probes"].as_array().unwrap();
    let log = probes.iter().find(|p| p["id"] == "log_mdmclient").unwrap();
    assert_eq!(log["timed_out"], true);
    let hw = probes.iter().find(|p| p["id"] == "hw_model").unwrap();
    assert!(hw["error"].as_str().unwrap().contains("banana"));
}
