//! Status files: status.plist carries the facts of status.json; writes are atomic, 0644, and
//! never go through a symlink; `mdmwatch run` writes them where it must and nowhere else.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::mdmwatch;
use mdmwatch::app;
use mdmwatch::config::{self, Flags};
use mdmwatch::report::{Finding, Report, Status};
use mdmwatch::status_files;
use mdmwatch::system::replay::ReplaySystem;
use serde_json::Value as J;

const SW_VERS: &str = "ProductName:\t\tmacOS\nProductVersion:\t\t14.4\nBuildVersion:\t\t23E214\n";

/// A minimal hand capture: meta.json and sw_vers; every other probe is "not available".
fn capture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("meta.json"),
        r#"{"captured_at":"2026-11-20T10:00:00-05:00","mdmwatch_version":"0.1.0"}"#,
    )
    .unwrap();
    fs::write(dir.path().join("sw_vers.stdout"), SW_VERS).unwrap();
    dir
}

fn report_from(capture: &Path) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sys = ReplaySystem::open(capture).unwrap();
    let cfg = config::Config::default();
    let (obs, diag) = rt.block_on(app::observe_and_diagnose(&sys, &cfg));
    let mut report = app::build_report(&obs, &diag, "run", "test".to_string());
    report.config =
        mdmwatch::report::config_section(&config::load(Some(capture), None, &Flags::default()));
    report
}

/// A report with every kind of value the plist must carry: true, false, unknown, a restart time,
/// failed and warning findings with facts.
fn rich_report() -> Report {
    let cap = capture();
    let mut r = report_from(cap.path());
    r.watchdog.mdm_enrolled = Some(true);
    r.watchdog.mdm_identity_error = Some(false);
    r.watchdog.mdm_client_stuck = None;
    r.watchdog.mdm_software_updates_stuck = Some(true);
    r.watchdog.mdm_client_restarted = true;
    r.watchdog.last_mdm_kickstart = Some("2026-11-20T09:00:00-05:00".to_string());
    let failed = Finding::new("mdm.identity", Status::Failed, "identity expired")
        .fact("days_left", -3)
        .fact("issuer", "Acme CA")
        .fact("nothing", J::Null)
        .remediation("re-enroll");
    r.checks.insert("mdm.identity".into(), failed);
    r.checks.insert(
        "mdm.client_liveness".into(),
        Finding::new("mdm.client_liveness", Status::Warning, "quiet for 3 days"),
    );
    r.errors.push("something went wrong".into());
    r
}

fn read_plist(p: &Path) -> plist::Dictionary {
    plist::Value::from_file(p)
        .unwrap()
        .into_dictionary()
        .expect("status.plist is a dictionary")
}

fn tri(v: &J) -> &'static str {
    match v {
        J::Bool(true) => "true",
        J::Bool(false) => "false",
        J::Null => "unknown",
        other => panic!("not a tri-state: {other}"),
    }
}

#[test]
fn status_plist_round_trips_and_matches_status_json() {
    let report = rich_report();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("status");
    let written = status_files::write(&dir, &report).unwrap();
    assert_eq!(written.json, dir.join("status.json"));
    assert_eq!(written.plist, dir.join("status.plist"));
    for p in [&written.json, &written.plist] {
        assert_eq!(fs::metadata(p).unwrap().permissions().mode() & 0o777, 0o644);
    }
    let json: J = serde_json::from_slice(&fs::read(&written.json).unwrap()).unwrap();
    assert_eq!(json, serde_json::from_str::<J>(&report.to_json()).unwrap());
    let pl = read_plist(&written.plist);
    let s = |k: &str| {
        pl.get(k)
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| panic!("{k} missing or not a string"))
            .to_string()
    };

    for key in [
        "MDMEnrolled",
        "MDMIdentityError",
        "MDMClientStuck",
        "MDMSoftwareUpdatesStuck",
        "MDMClientRestarted",
        "SoftwareUpdateDaemonRestarted",
    ] {
        assert_eq!(s(key), tri(&json["watchdog"][key]), "{key}");
    }
    assert_eq!(s("MDMEnrolled"), "true");
    assert_eq!(s("MDMClientStuck"), "unknown");
    assert_eq!(s("LastMDMKickstart"), json["watchdog"]["LastMDMKickstart"]);
    assert!(pl.get("LastSoftwareUpdateDaemonKickstart").is_none());
    assert_eq!(s("GeneratedAt"), json["generated_at"]);
    assert_eq!(s("GeneratedAt"), "2026-11-20T10:00:00-05:00");
    assert_eq!(s("MdmwatchVersion"), json["mdmwatch_version"]);
    assert_eq!(s("OSVersion"), "14.4");
    assert_eq!(s("OSBuild"), json["host"]["os_build"]);

    let checks = json["checks"].as_object().unwrap();
    let nested = pl.get("Checks").unwrap().as_dictionary().unwrap();
    assert_eq!(nested.len(), checks.len());
    for (id, f) in checks {
        assert_eq!(s(&format!("Check_{id}_Status")), f["status"], "{id}");
        assert_eq!(s(&format!("Check_{id}_Summary")), f["summary"], "{id}");
        let c = nested.get(id).unwrap().as_dictionary().unwrap();
        assert_eq!(c.get("Status").unwrap().as_string().unwrap(), f["status"]);
    }
    let facts = nested
        .get("mdm.identity")
        .unwrap()
        .as_dictionary()
        .unwrap()
        .get("Facts")
        .unwrap()
        .as_dictionary()
        .unwrap();
    assert_eq!(
        facts.get("days_left").unwrap().as_signed_integer(),
        Some(-3)
    );
    assert_eq!(facts.get("issuer").unwrap().as_string(), Some("Acme CA"));
    assert!(facts.get("nothing").is_none(), "nulls are dropped");

    assert_eq!(s("Healthy"), "false");
    assert_eq!(
        pl.get("ExitCode").unwrap().as_signed_integer(),
        Some(i64::from(report.exit_code()))
    );
    assert_eq!(
        pl.get("ProblemCount").unwrap().as_unsigned_integer(),
        Some(2)
    );
    let problems = s("Problems");
    assert!(problems.contains("mdm.identity") && problems.contains("mdm.client_liveness"));

    // Config: every setting's value and source.
    let cfg = pl.get("Config").unwrap().as_dictionary().unwrap();
    let sources = pl.get("ConfigSources").unwrap().as_dictionary().unwrap();
    for setting in json["config"]["settings"].as_array().unwrap() {
        let key = setting["key"].as_str().unwrap();
        let v = cfg.get(key).unwrap_or_else(|| panic!("Config.{key}"));
        match &setting["value"] {
            J::Bool(b) => assert_eq!(v.as_boolean(), Some(*b), "{key}"),
            J::Number(n) => assert_eq!(v.as_signed_integer(), n.as_i64(), "{key}"),
            J::String(t) => assert_eq!(v.as_string(), Some(t.as_str()), "{key}"),
            other => panic!("{key}: unexpected {other}"),
        }
        assert_eq!(
            sources.get(key).unwrap().as_string(),
            setting["source"].as_str()
        );
    }
    let errors = pl.get("Errors").unwrap().as_array().unwrap();
    assert_eq!(errors.len(), 1);
}

#[test]
fn symlink_at_status_path_is_refused_and_target_untouched() {
    let report = rich_report();
    let out = tempfile::tempdir().unwrap();
    let victim = out.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    for name in ["status.json", "status.plist"] {
        let dir = out.path().join(format!("dir-{name}"));
        fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(name)).unwrap();
        let err = status_files::write(&dir, &report).unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(dir.join(name))
            .unwrap()
            .file_type()
            .is_symlink());
    }
    // A symlinked status directory is refused too.
    let real = out.path().join("real");
    fs::create_dir(&real).unwrap();
    let link = out.path().join("linked");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert!(status_files::write(&link, &report).is_err());
    assert_eq!(fs::read_dir(&real).unwrap().count(), 0);
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn run_under_replay_writes_status_into_status_dir_only_and_stays_quiet() {
    let cap = capture();
    let before = files_under(cap.path());
    let out = tempfile::tempdir().unwrap();
    let status_dir = out.path().join("st");
    let o = mdmwatch(&[
        "run",
        "--replay",
        cap.path().to_str().unwrap(),
        "--status-dir",
        status_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {stderr}");
    assert!(o.stdout.is_empty(), "run is quiet on stdout without --json");
    assert_eq!(
        files_under(out.path()),
        vec![
            status_dir.join("status.json"),
            status_dir.join("status.plist")
        ]
    );
    assert_eq!(
        files_under(cap.path()),
        before,
        "the capture is never written"
    );
    let json: J =
        serde_json::from_slice(&fs::read(status_dir.join("status.json")).unwrap()).unwrap();
    assert_eq!(json["mode"], "run");
    assert_eq!(json["generated_at"], "2026-11-20T10:00:00-05:00");
    assert_eq!(json["host"]["os_version"], "14.4");
    let src = json["config"]["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "StatusDirectory")
        .unwrap()
        .clone();
    assert_eq!(src["source"], "command_line");
    let pl = read_plist(&status_dir.join("status.plist"));
    assert_eq!(pl.get("Mode").unwrap().as_string(), Some("run"));
    assert_eq!(pl.get("OSVersion").unwrap().as_string(), Some("14.4"));
}

#[test]
fn run_json_prints_the_same_document_it_writes() {
    let cap = capture();
    let out = tempfile::tempdir().unwrap();
    let o = mdmwatch(&[
        "run",
        "--json",
        "--replay",
        cap.path().to_str().unwrap(),
        "--status-dir",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let printed: J = serde_json::from_slice(&o.stdout).unwrap();
    let written: J =
        serde_json::from_slice(&fs::read(out.path().join("status.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
}

/// The summary line is logged only by a live run as root (a replay of a capture anyone can
/// write never logs it; root_safety::the_summary_log_line_is_not_logged_from_a_replay); a
/// replay run still says the same keys in its report.
#[test]
fn run_verbose_replay_does_not_log_the_addigy_summary_line() {
    let cap = capture();
    let out = tempfile::tempdir().unwrap();
    let o = mdmwatch(&[
        "run",
        "--verbose",
        "--replay",
        cap.path().to_str().unwrap(),
        "--status-dir",
        out.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("MDMIdentityError:"), "{stderr}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("MDMEnrolled: unknown") && stdout.contains("MDMClientStuck: unknown"),
        "{stdout}"
    );
}

#[test]
fn run_replay_without_status_dir_is_refused() {
    let cap = capture();
    let before = files_under(cap.path());
    let o = mdmwatch(&["run", "--replay", cap.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--status-dir"));
    assert_eq!(files_under(cap.path()), before);
}

#[test]
fn run_with_symlinked_status_file_fails_with_exit_2_and_leaves_target() {
    let cap = capture();
    let out = tempfile::tempdir().unwrap();
    let victim = out.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    let dir = out.path().join("st");
    fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("status.plist")).unwrap();
    let o = mdmwatch(&[
        "run",
        "--replay",
        cap.path().to_str().unwrap(),
        "--status-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("symbolic link"));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
}

#[test]
fn run_under_sysroot_uses_the_managed_status_directory() {
    let root = tempfile::tempdir().unwrap();
    let managed = config::resolve(Some(root.path()), config::MANAGED_PREFERENCES_PATH);
    fs::create_dir_all(managed.parent().unwrap()).unwrap();
    fs::write(
        &managed,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>StatusDirectory</key><string>/Library/Application Support/acme-watch</string>
<key>RestartSpacingHours</key><integer>1</integer>
</dict></plist>"#,
    )
    .unwrap();
    let o = mdmwatch(&["run", "--sysroot", root.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    // An empty sysroot has no tools: nothing can be determined (exit 3), status files still written.
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    // The refused value is reported on stderr (and in the unified log on a Mac).
    assert!(stderr.contains("RestartSpacingHours refused"), "{stderr}");
    let dir = root.path().join("Library/Application Support/acme-watch");
    let json: J = serde_json::from_slice(&fs::read(dir.join("status.json")).unwrap()).unwrap();
    let settings = json["config"]["settings"].as_array().unwrap();
    let get = |k: &str| settings.iter().find(|s| s["key"] == k).unwrap().clone();
    assert_eq!(get("StatusDirectory")["source"], "managed_preferences");
    assert_eq!(get("RestartSpacingHours")["value"], 24);
    assert_eq!(get("RestartSpacingHours")["source"], "default");
    assert_eq!(json["config"]["errors"].as_array().unwrap().len(), 1);
    assert!(dir.join("status.plist").exists());
}

/// status.plist carries the channel's answer flat (`MDMChannel`, `MDMChannelCause`,
/// `MDMLastExchange`), equal to the `mdm.channel` facts in status.json: a cut-off Mac with its
/// history, a healthy idle one, and a replay without history (unknown, nothing invented).
#[test]
fn status_plist_has_the_channel_verdict_flat() {
    let captures = crate::common::captures_dir();
    for (capture, with_history, verdict, cause) in [
        ("channel-cut-off", true, "disconnected", "no_exchange"),
        ("channel-idle-healthy", true, "connected", ""),
        ("channel-cut-off", false, "unknown", "unknown"),
    ] {
        let cap = captures.join(capture);
        let out = tempfile::tempdir().unwrap();
        let status_dir = out.path().join("st");
        let mut args = vec![
            "run".to_string(),
            "--replay".into(),
            cap.display().to_string(),
            "--status-dir".into(),
            status_dir.display().to_string(),
        ];
        if with_history {
            let state = out.path().join("state.json");
            fs::copy(cap.join("history.json"), &state).unwrap();
            args.extend(["--state".into(), state.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = mdmwatch(&args);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{capture}: {o:?}");
        let pl = read_plist(&status_dir.join("status.plist"));
        let json: J =
            serde_json::from_slice(&fs::read(status_dir.join("status.json")).unwrap()).unwrap();
        let facts = &json["checks"]["mdm.channel"]["facts"];
        let key = |k: &str| pl.get(k).and_then(|v| v.as_string()).map(str::to_string);
        assert_eq!(key("MDMChannel").as_deref(), Some(verdict), "{capture}");
        assert_eq!(facts["verdict"], verdict, "{capture}");
        assert_eq!(key("MDMChannelCause").as_deref(), Some(cause), "{capture}");
        assert_eq!(
            key("MDMLastExchange").unwrap(),
            facts["last_exchange"].as_str().unwrap_or(""),
            "{capture}"
        );
    }
}
