//! Heal end to end on Linux: real subprocesses through `LiveSystem::with_sysroot`, in the
//! fake-launchd sandbox (`common::sandbox`: fake `launchctl`, `kill` and `dscacheutil` shell
//! scripts that log their argv and behave like the Mac's; the `launchctl print` output is the real
//! nix-daemon capture with another label and pid, the refusal is macOS 14.4's text). The state
//! file, its lock and the crash cases are real.
//!
//! A few tests re-run this test binary as a child process (`common::sandbox::child_heal`, ignored
//! unless the environment names a sandbox) so that a heal can be SIGKILLed mid-flight or run as ten
//! processes at once; nothing of this exists in the production code.

use crate::common;

use std::fs;
use std::time::Duration;

use crate::common::{
    child_result, diag, heal_in, mdmwatch_command, now, run, spawn_heal_child, Liveness, Sandbox,
};
use chrono::{DateTime, FixedOffset};
use mdmwatch::heal::HealOutcome;
use mdmwatch::state::{self, Outcome, Service, State};

const MDMCLIENT: &str = "com.apple.mdmclient.daemon";
const SOFTWAREUPDATED: &str = "com.apple.softwareupdated";

/// A service's (action, reason) in the report's heal section, compared with string pairs.
#[derive(Debug)]
struct ActionReason(String, String);

impl PartialEq<(&str, &str)> for ActionReason {
    fn eq(&self, other: &(&str, &str)) -> bool {
        (self.0.as_str(), self.1.as_str()) == *other
    }
}

fn action(o: &HealOutcome, service: &str) -> ActionReason {
    let s = mdmwatch::report::heal_section(o)
        .services
        .into_iter()
        .find(|s| s.service == service)
        .unwrap();
    ActionReason(s.action, s.reason)
}

#[test]
fn kickstart_succeeds_and_the_service_comes_back() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient"), ("restarted", "client_wedged"));
    assert_eq!(
        sb.calls(),
        vec![
            format!("launchctl print system/{MDMCLIENT}"),
            format!("launchctl kickstart -k system/{MDMCLIENT}"),
            format!("launchctl print system/{MDMCLIENT}"),
        ]
    );
    let v = mdmwatch::report::heal_section(&o).services[0]
        .verification
        .clone()
        .unwrap();
    assert!(v.came_back, "{v:?}");
    assert_eq!((v.old_pid, v.new_pid), (Some(512), Some(513)));
    assert_eq!(v.state.as_deref(), Some("running"));
    let st = sb.state();
    assert_eq!(
        st.record(Service::Mdmclient).unwrap().outcome,
        Some(Outcome::Restarted)
    );
    assert!(st.last_mdm_kickstart.is_some());
    assert!(o.mdmclient_restarted);
}

#[test]
fn refused_kickstart_falls_back_to_sigterm_of_the_printed_pid() {
    let sb = Sandbox::new();
    sb.service(SOFTWAREUPDATED, 4242);
    sb.refuse(SOFTWAREUPDATED);
    let o = sb.heal(&diag(Liveness::Alive, Liveness::Stuck));
    assert_eq!(
        sb.calls(),
        vec![
            "dscacheutil -flushcache".to_string(),
            "launchctl kill SIGHUP system/com.apple.mDNSResponder".into(),
            "launchctl kill SIGTERM system/com.apple.MobileSoftwareUpdate.UpdateBrainService"
                .into(),
            format!("launchctl print system/{SOFTWAREUPDATED}"),
            format!("launchctl kickstart -k system/{SOFTWAREUPDATED}"),
            "kill -TERM 4242".into(),
            format!("launchctl print system/{SOFTWAREUPDATED}"),
        ]
    );
    let section = mdmwatch::report::heal_section(&o);
    let s = &section.services[1];
    assert_eq!(s.action, "fallback_signal");
    assert!(s.refused_by_os);
    let kick = s
        .steps
        .iter()
        .find(|st| st.id == "heal_kickstart_softwareupdated")
        .unwrap();
    assert_eq!(kick.exit_status, Some(1));
    assert!(kick.detail.contains("Operation not permitted"), "{kick:?}");
    let brain = s
        .steps
        .iter()
        .find(|st| st.id == "heal_stop_update_brain")
        .unwrap();
    assert!(brain.detail.starts_with("skipped"), "{brain:?}");
    let v = s.verification.clone().unwrap();
    assert!(v.came_back);
    assert_eq!(v.new_pid, Some(5242));
    assert_eq!(sb.pid(SOFTWAREUPDATED), 5242);
    assert!(o.softwareupdated_restarted);
    let st = sb.state();
    let r = st.record(Service::Softwareupdated).unwrap();
    assert_eq!(r.outcome, Some(Outcome::FallbackSignal));
    assert_eq!(r.method.as_deref(), Some("signal"));
}

#[test]
fn second_run_within_24_hours_does_nothing() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.service(SOFTWAREUPDATED, 700);
    let d = diag(Liveness::Stuck, Liveness::Stuck);
    let first = sb.heal(&d);
    assert_eq!(action(&first, "mdmclient").0, "restarted");
    assert_eq!(action(&first, "softwareupdated").0, "restarted");
    let before = sb.calls();
    let second = sb.heal(&d);
    assert_eq!(sb.calls(), before, "nothing ran");
    assert_eq!(action(&second, "mdmclient"), ("none", "rate_limited"));
    assert_eq!(action(&second, "softwareupdated"), ("none", "rate_limited"));
    assert!(!second.mdmclient_restarted && !second.softwareupdated_restarted);
    assert_eq!(second.last_mdm_kickstart, first.last_mdm_kickstart);
}

#[test]
fn ten_concurrent_heals_restart_exactly_once() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    let root = sb.root().to_path_buf();
    let outcomes: Vec<HealOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let root = root.clone();
                scope.spawn(move || {
                    heal_in(
                        &root,
                        &diag(Liveness::Stuck, Liveness::Alive),
                        Duration::from_secs(10),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sb.count("launchctl kickstart"), 1, "{:?}", sb.calls());
    let restarted = outcomes.iter().filter(|o| o.mdmclient_restarted).count();
    assert_eq!(restarted, 1);
    for o in &outcomes {
        let ActionReason(a, r) = action(o, "mdmclient");
        assert!(
            a == "restarted" || (a == "none" && (r == "rate_limited" || r == "another_run")),
            "{a} {r}"
        );
    }
}

#[test]
fn ten_concurrent_heal_processes_restart_exactly_once() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    let children: Vec<_> = (0..10).map(|_| spawn_heal_child(sb.root())).collect();
    let mut results = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        results.push(child_result(&out.stdout));
    }
    assert_eq!(sb.count("launchctl kickstart"), 1, "{:?}", sb.calls());
    assert_eq!(
        results
            .iter()
            .filter(|r| *r == "RESULT restarted client_wedged")
            .count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().all(|r| r == "RESULT restarted client_wedged"
        || r == "RESULT none rate_limited"
        || r == "RESULT none another_run"));
}

#[test]
fn killed_between_intent_and_outcome_then_rerun_restarts_nothing() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    fs::write(sb.root().join("crash_on_kickstart"), "").unwrap();
    let out = spawn_heal_child(sb.root()).wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(9),
        "the heal process was SIGKILLed"
    );
    assert_eq!(sb.count("launchctl kickstart"), 1);
    // The intent is on disk, the outcome is not.
    let st = sb.state();
    let r = st.record(Service::Mdmclient).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Pending));
    assert!(r.finished_at.is_none());
    assert!(st.last_mdm_kickstart.is_some());

    // The crash released the lock (flock dies with its process); the rerun acts on nothing.
    fs::remove_file(sb.root().join("crash_on_kickstart")).unwrap();
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient"), ("none", "rate_limited"));
    assert_eq!(sb.count("launchctl kickstart"), 1);
}

#[test]
fn intent_only_state_counts_as_an_attempt() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    let mut st = State::default();
    st.record_intent(
        Service::Mdmclient,
        now() - chrono::Duration::hours(3),
        "kickstart",
    );
    state::save(&sb.state_path(), &st).unwrap();
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient"), ("none", "rate_limited"));
    assert!(sb.calls().is_empty());
}

#[test]
fn clock_moved_back_two_days_restarts_nothing() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    // A restart recorded "now"; then the clock is set back two days: the record lies two days in
    // the future of the new clock.
    let mut st = State::default();
    st.record_intent(
        Service::Mdmclient,
        now() + chrono::Duration::days(2),
        "kickstart",
    );
    st.record_outcome(
        Service::Mdmclient,
        now() + chrono::Duration::days(2),
        "kickstart",
        Outcome::Restarted,
        None,
    );
    state::save(&sb.state_path(), &st).unwrap();
    let d = diag(Liveness::Stuck, Liveness::Alive);
    for _ in 0..2 {
        let o = sb.heal(&d);
        assert_eq!(action(&o, "mdmclient"), ("none", "rate_limited"));
        let until = mdmwatch::report::heal_section(&o).services[0]
            .until
            .clone()
            .unwrap();
        let until = DateTime::parse_from_rfc3339(&until).unwrap();
        // Counted as just now: limited for about 24 h from now, not 3 days.
        assert!(until > now() + chrono::Duration::hours(23));
        assert!(until <= now() + chrono::Duration::hours(24));
    }
    assert!(sb.calls().is_empty());
    // The guard is recorded once and the recorded restart time is kept.
    let after = sb.state();
    assert!(after
        .record(Service::Mdmclient)
        .unwrap()
        .future_seen_at
        .is_some());
    assert_eq!(
        after.last_mdm_kickstart.map(|t| t.timestamp()),
        st.last_mdm_kickstart.map(|t| t.timestamp())
    );
}

#[test]
fn far_future_timestamp_restarts_nothing_now() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.write_state(
        r#"{"last_mdm_kickstart":"2099-01-01T00:00:00Z","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#,
    );
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient"), ("none", "rate_limited"));
    assert!(sb.calls().is_empty());
}

#[test]
fn addigy_state_file_is_honoured_and_kept_compatible() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.service(SOFTWAREUPDATED, 700);
    // As MDM Watchdog writes it: Go's RFC 3339 with nanoseconds and a local offset; zero = never.
    let two_hours_ago = (now() - chrono::Duration::hours(2))
        .with_timezone(&FixedOffset::west_opt(4 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M:%S%.9f%:z")
        .to_string();
    sb.write_state(&format!(
        r#"{{"last_mdm_kickstart":"{two_hours_ago}","last_software_update_kickstart":"0001-01-01T00:00:00Z"}}"#
    ));
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Stuck));
    assert_eq!(action(&o, "mdmclient"), ("none", "rate_limited"));
    assert_eq!(action(&o, "softwareupdated"), ("restarted", "stalled"));
    assert_eq!(
        sb.count(&format!("launchctl kickstart -k system/{MDMCLIENT}")),
        0
    );
    assert_eq!(
        sb.count(&format!("launchctl kickstart -k system/{SOFTWAREUPDATED}")),
        1
    );
    // Still readable by munkireport and EAs: the two top-level keys, RFC 3339.
    let v: serde_json::Value = serde_json::from_slice(&fs::read(sb.state_path()).unwrap()).unwrap();
    let mdm = DateTime::parse_from_rfc3339(v["last_mdm_kickstart"].as_str().unwrap()).unwrap();
    assert_eq!(
        mdm.timestamp(),
        DateTime::parse_from_rfc3339(&two_hours_ago)
            .unwrap()
            .timestamp()
    );
    let su = DateTime::parse_from_rfc3339(v["last_software_update_kickstart"].as_str().unwrap())
        .unwrap();
    assert!((now() - su).num_seconds().abs() < 60);
    assert_eq!(v["version"], 1);
}

#[test]
fn corrupt_recent_state_is_kept_aside_and_blocks_restarts() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.write_state("{\"last_mdm_kickstart\": \"2026-11-2");
    let d = diag(Liveness::Stuck, Liveness::Alive);
    let o = sb.heal(&d);
    assert_eq!(action(&o, "mdmclient"), ("none", "state_unreadable"));
    assert!(
        mdmwatch::report::heal_section(&o)
            .state
            .starts_with("moved_aside"),
        "{}",
        mdmwatch::report::heal_section(&o).state
    );
    assert!(!o.errors.is_empty());
    assert!(sb.calls().is_empty());
    let aside: Vec<_> = fs::read_dir(sb.state_path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("state.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = fs::read_to_string(sb.state_path().with_file_name(&aside[0])).unwrap();
    assert_eq!(
        kept, "{\"last_mdm_kickstart\": \"2026-11-2",
        "kept verbatim"
    );
    // The next run still does not restart: the bad file's time counts as an attempt.
    let o = sb.heal(&d);
    assert_eq!(action(&o, "mdmclient"), ("none", "rate_limited"));
    assert!(sb.calls().is_empty());
}

#[test]
fn corrupt_old_state_does_not_block() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.write_state("\u{0}\u{1} not json");
    let f = fs::File::options()
        .write(true)
        .open(sb.state_path())
        .unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(49 * 3600))
        .unwrap();
    drop(f);
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient"), ("restarted", "client_wedged"));
    assert_eq!(sb.count("launchctl kickstart"), 1);
    assert!(mdmwatch::report::heal_section(&o)
        .state
        .starts_with("moved_aside"));
    assert_eq!(
        sb.state().record(Service::Mdmclient).unwrap().outcome,
        Some(Outcome::Restarted)
    );
}

#[test]
fn other_modules_keys_survive_a_heal() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.write_state(
        r#"{"version":1,"other_tool":{"log_mdmclient":"2026-11-23T10:00:00Z"},"last_mdm_kickstart":"0001-01-01T00:00:00Z"}"#,
    );
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient").0, "restarted");
    let v: serde_json::Value = serde_json::from_slice(&fs::read(sb.state_path()).unwrap()).unwrap();
    assert_eq!(v["other_tool"]["log_mdmclient"], "2026-11-23T10:00:00Z");
}

// ---- CLI level: these do not depend on what the checks conclude. ----

#[test]
fn cli_dry_run_executes_nothing_and_writes_no_state() {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb.service(SOFTWAREUPDATED, 700);
    let state = sb.state_path();
    let out = run(mdmwatch_command(&[
        "-heal",
        "--dry-run",
        "-json",
        "--sysroot",
        sb.root().to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]));
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "heal");
    assert_eq!(v["heal"]["dry_run"], true);
    assert_eq!(v["heal"]["executed"], false);
    assert_eq!(v["heal"]["services"].as_array().unwrap().len(), 2);
    assert!(!state.exists());
    assert!(!state.parent().unwrap().exists(), "no lock file either");
    assert_eq!(sb.count("launchctl kickstart"), 0);
    assert_eq!(sb.count("launchctl kill"), 0);
    assert_eq!(sb.count("kill "), 0);
}

#[test]
fn cli_replay_heal_is_a_dry_run() {
    let sb = Sandbox::new();
    let cap = sb.root().join("capture");
    fs::create_dir_all(&cap).unwrap();
    fs::write(
        cap.join("meta.json"),
        r#"{"captured_at":"2026-11-20T09:00:00-05:00","mdmwatch_version":"0.1.0"}"#,
    )
    .unwrap();
    let state = sb.state_path();
    let out = run(mdmwatch_command(&[
        "heal",
        "--json",
        "--replay",
        cap.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]));
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["heal"]["dry_run"], true);
    assert!(!state.exists());
    assert!(sb.calls().is_empty());
}

#[test]
fn cli_heal_as_non_root_refuses_with_exit_2_and_diagnose_still_works() {
    use std::os::unix::process::CommandExt;
    let sb = Sandbox::new();
    let state = sb.state_path();
    let as_user = |args: &[&str]| {
        let mut c = mdmwatch_command(args);
        if nix::unistd::geteuid().is_root() {
            c.uid(65534).gid(65534);
        }
        run(c)
    };
    let root = sb.root().to_str().unwrap().to_string();
    let out = as_user(&[
        "-heal",
        "--sysroot",
        &root,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must run as root"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(!state.exists());
    assert!(sb.calls().is_empty(), "nothing probed or run");

    let out = as_user(&[
        "-diagnose",
        "--sysroot",
        &root,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("LastMDMKickstart: "));

    // A dry run is allowed for any user.
    let out = as_user(&[
        "-heal",
        "--dry-run",
        "--sysroot",
        &root,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Heal (dry run"));
}

#[test]
fn cli_diagnose_reports_the_kickstart_times_from_the_state() {
    let sb = Sandbox::new();
    sb.write_state(
        r#"{"last_mdm_kickstart":"2026-11-20T08:30:00Z","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#,
    );
    let state = sb.state_path();
    let out = run(mdmwatch_command(&[
        "-diagnose",
        "-json",
        "--sysroot",
        sb.root().to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["watchdog"]["LastMDMKickstart"],
        "2026-11-20T08:30:00+00:00"
    );
    assert!(v["watchdog"]["LastSoftwareUpdateDaemonKickstart"].is_null());
    assert_eq!(v["watchdog"]["MDMClientRestarted"], false);
    assert!(v.get("heal").is_none());
}

#[test]
fn a_run_that_cannot_get_the_lock_reports_another_run_without_acting() {
    use mdmwatch::system::files::{self, TryLock};
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    let held = files::try_lock(&state::lock_path(&sb.state_path()), 0o600).unwrap();
    assert!(matches!(held, TryLock::Held(_)));
    let started = std::time::Instant::now();
    let o = heal_in(
        sb.root(),
        &diag(Liveness::Stuck, Liveness::Alive),
        Duration::from_millis(500),
    );
    assert!(started.elapsed() >= Duration::from_millis(500), "it waited");
    assert_eq!(action(&o, "mdmclient"), ("none", "another_run"));
    assert!(o.another_run);
    assert!(mdmwatch::report::heal_section(&o).services[0]
        .message
        .contains("another run in progress"));
    assert!(sb.calls().is_empty());
    assert!(!sb.state_path().exists());
    drop(held);
    let o = sb.heal(&diag(Liveness::Stuck, Liveness::Alive));
    assert_eq!(action(&o, "mdmclient"), ("restarted", "client_wedged"));
}

/// A replay is someone else's Mac: `heal --replay` reads no state file unless `--state` names one,
/// as `diagnose --replay` does (here the default state path, `<status dir>/state.json`, holds a
/// restart that must not leak into the replay's report).
#[test]
fn cli_replay_heal_reads_no_state_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    fs::write(
        &state,
        r#"{"version":1,"last_mdm_kickstart":"2026-11-20T08:30:00Z","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let cap = common::captures_dir().join("mdmclient-stuck");
    let heal = |extra: &[&str]| {
        let mut args = vec![
            "heal",
            "--json",
            "--replay",
            cap.to_str().unwrap(),
            "--status-dir",
            dir.path().to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = run(mdmwatch_command(&args));
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
        common::assert_valid(&v);
        v
    };
    let v = heal(&[]);
    assert_eq!(v["heal"]["state"], "not_read", "{}", v["heal"]);
    assert!(v["watchdog"]["LastMDMKickstart"].is_null());
    // Named, it is read (and still not written).
    let v = heal(&["--state", state.to_str().unwrap()]);
    assert_eq!(v["heal"]["state"], "ok");
    assert_eq!(
        v["watchdog"]["LastMDMKickstart"],
        "2026-11-20T08:30:00+00:00"
    );
    assert_eq!(
        fs::read_to_string(&state).unwrap(),
        r#"{"version":1,"last_mdm_kickstart":"2026-11-20T08:30:00Z","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#
    );
}
