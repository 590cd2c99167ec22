//! Heal through the `FakeSystem`: which commands run, in which order, what is recorded. The fake
//! panics on any command nobody scripted, so "executes nothing" is checked by scripting nothing.

use super::*;
use crate::report::Evidence;
use crate::system::fake::{Answer, FakeSystem};
use crate::test_support::{heal_diag as diag, Liveness};

/// An empty report for the one conversion of heal's outcome (`report::apply_heal`).
fn report_for() -> crate::report::Report {
    crate::report::Report {
        schema_version: crate::report::SCHEMA_VERSION,
        mdmwatch_version: "test".into(),
        generated_at: "2026-11-23T12:00:00+01:00".into(),
        mode: "heal".into(),
        source: "fake".into(),
        host: Default::default(),
        watchdog: crate::report::Watchdog::default(),
        readiness: None,
        checks: Default::default(),
        config: Default::default(),
        heal: None,
        probes: Vec::new(),
        errors: Vec::new(),
        order: Vec::new(),
        root: true,
    }
}

const NIX_PRINT: &str = include_str!(
    "../../tests/fixtures/samples/launchctl_print_system__running_daemon__nix-daemon__macos26.6.2.txt"
);
const REFUSED: &str =
    include_str!("../../tests/fixtures/heal/launchctl_kickstart_refused__stderr__macos14.4.txt");

/// The real print format (nix-daemon fixture) for another label and pid.
fn print_of(label: &str, pid: u32) -> String {
    NIX_PRINT
        .replace("org.nixos.nix-daemon", label)
        .replace("pid = 383", &format!("pid = {pid}"))
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00+01:00").unwrap()
}

struct Env {
    _dir: tempfile::TempDir,
    cfg: Config,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        state_path: Some(dir.path().join("state.json")),
        verify_wait_secs: 0,
        ..Config::default()
    };
    Env { _dir: dir, cfg }
}

fn opts() -> HealOptions {
    HealOptions {
        dry_run: false,
        lock_wait: Duration::from_millis(200),
        ..HealOptions::default()
    }
}

fn run(sys: &FakeSystem, cfg: &Config, d: &Diagnosis, o: &HealOptions) -> HealOutcome {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(heal(sys, cfg, d, o))
}

fn saved(cfg: &Config) -> State {
    match state::load(&cfg.state_path()) {
        Loaded::Found(s) => s,
        other => panic!("state not readable: {other:?}"),
    }
}

/// The report's entry for a service, through the one conversion.
fn service(o: &HealOutcome, key: &str) -> crate::report::ServiceHeal {
    section(o)
        .services
        .into_iter()
        .find(|s| s.service == key)
        .unwrap()
}

fn section(o: &HealOutcome) -> crate::report::HealSection {
    crate::report::heal_section(o)
}

#[test]
fn stuck_mdmclient_is_kickstarted_recorded_and_verified() {
    let e = env();
    let sys = FakeSystem::new(now());
    sys.answer(
        "heal_print_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 512)),
    );
    sys.answer("heal_kickstart_mdmclient", Answer::ok(""));
    sys.answer(
        "heal_verify_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 777)),
    );
    let d = diag(Liveness::Stuck, Liveness::Alive, InstallActivity::Idle);
    let o = run(&sys, &e.cfg, &d, &opts());
    assert_eq!(
        sys.command_lines(),
        vec![
            "/bin/launchctl print system/com.apple.mdmclient.daemon",
            "/bin/launchctl kickstart -k system/com.apple.mdmclient.daemon",
            "/bin/launchctl print system/com.apple.mdmclient.daemon",
        ]
    );
    assert!(o.mdmclient_restarted);
    assert!(!o.softwareupdated_restarted);
    assert!(section(&o).executed);
    let m = service(&o, "mdmclient");
    assert_eq!(m.action, "restarted");
    assert_eq!(m.reason, "client_wedged");
    assert_eq!(m.cause.as_deref(), Some("client_wedged"));
    let v = m.verification.as_ref().unwrap();
    assert!(v.came_back);
    assert_eq!((v.old_pid, v.new_pid), (Some(512), Some(777)));
    let s = service(&o, "softwareupdated");
    assert_eq!(
        (s.action.as_str(), s.reason.as_str()),
        ("none", "not_stuck")
    );

    let st = saved(&e.cfg);
    assert_eq!(st.last_mdm_kickstart, Some(now()));
    assert_eq!(st.last_software_update_kickstart, None);
    let r = st.record(Service::Mdmclient).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Restarted));
    assert_eq!(r.method.as_deref(), Some("kickstart"));
    assert_eq!(o.last_mdm_kickstart, Some(now()));

    let mut r = report_for();
    crate::report::apply_heal(&mut r, &o);
    let w = r.watchdog;
    assert!(w.mdm_client_restarted);
    assert_eq!(
        w.last_mdm_kickstart.as_deref(),
        Some("2026-11-23T12:00:00+01:00")
    );

    // A second run in the same hour does nothing (the fake would panic on an unscripted probe;
    // the scripted ones are still there, so count calls instead).
    let sys2 = FakeSystem::new(now() + chrono::Duration::hours(1));
    let o2 = run(&sys2, &e.cfg, &d, &opts());
    assert!(sys2.calls().is_empty());
    let m2 = service(&o2, "mdmclient");
    assert_eq!(
        (m2.action.as_str(), m2.reason.as_str()),
        ("none", "rate_limited")
    );
    assert_eq!(m2.until.as_deref(), Some("2026-11-24T12:00:00+01:00"));
    assert!(!o2.mdmclient_restarted);
    assert_eq!(
        o2.last_mdm_kickstart,
        Some(now()),
        "still reported from the state"
    );
}

#[test]
fn refused_kickstart_falls_back_to_sigterm_of_launchds_pid() {
    let e = env();
    let sys = FakeSystem::new(now());
    for id in [HEAL_FLUSH_DNS, HEAL_HUP_MDNSRESPONDER] {
        sys.answer(id, Answer::ok(""));
    }
    sys.answer(
        HEAL_STOP_UPDATE_BRAIN,
        Answer {
            available: true,
            stdout: b"Bad request.\nCould not find service \"com.apple.MobileSoftwareUpdate.UpdateBrainService\" in domain for system\n".to_vec(),
            exit_status: Some(113),
            ..Answer::default()
        },
    );
    sys.answer(
        "heal_print_softwareupdated",
        Answer::ok(print_of("com.apple.softwareupdated", 4242)),
    );
    sys.answer("heal_kickstart_softwareupdated", Answer::fail(1, REFUSED));
    sys.answer("heal_signal_softwareupdated", Answer::ok(""));
    sys.answer(
        "heal_verify_softwareupdated",
        Answer::ok(print_of("com.apple.softwareupdated", 4300)),
    );
    let d = diag(Liveness::Alive, Liveness::Stuck, InstallActivity::Idle);
    let o = run(&sys, &e.cfg, &d, &opts());
    assert_eq!(
        sys.command_lines(),
        vec![
            "/usr/bin/dscacheutil -flushcache",
            "/bin/launchctl kill SIGHUP system/com.apple.mDNSResponder",
            "/bin/launchctl kill SIGTERM system/com.apple.MobileSoftwareUpdate.UpdateBrainService",
            "/bin/launchctl print system/com.apple.softwareupdated",
            "/bin/launchctl kickstart -k system/com.apple.softwareupdated",
            "/bin/kill -TERM 4242",
            "/bin/launchctl print system/com.apple.softwareupdated",
        ]
    );
    let s = service(&o, "softwareupdated");
    assert_eq!(s.action, "fallback_signal");
    assert!(s.refused_by_os);
    assert!(
        s.steps[2].detail.starts_with("skipped:"),
        "{:?}",
        s.steps[2]
    );
    assert!(s.verification.as_ref().unwrap().came_back);
    assert!(o.softwareupdated_restarted);
    let r = saved(&e.cfg);
    let r = r.record(Service::Softwareupdated).unwrap();
    assert_eq!(r.outcome, Some(Outcome::FallbackSignal));
    assert_eq!(r.method.as_deref(), Some("signal"));
}

fn script_swu_prep(sys: &FakeSystem) {
    for id in [
        HEAL_FLUSH_DNS,
        HEAL_HUP_MDNSRESPONDER,
        HEAL_STOP_UPDATE_BRAIN,
    ] {
        sys.answer(id, Answer::ok(""));
    }
}

#[test]
fn refusal_without_a_pid_signals_nothing() {
    let e = env();
    let sys = FakeSystem::new(now());
    script_swu_prep(&sys);
    sys.answer(
        "heal_print_softwareupdated",
        Answer::ok("system/com.apple.softwareupdated = {\n\tstate = not running\n\truns = 3\n}\n"),
    );
    sys.answer("heal_kickstart_softwareupdated", Answer::fail(1, REFUSED));
    let d = diag(Liveness::Alive, Liveness::Stuck, InstallActivity::Idle);
    let o = run(&sys, &e.cfg, &d, &opts());
    assert!(!sys
        .command_lines()
        .iter()
        .any(|c| c.starts_with("/bin/kill")));
    let s = service(&o, "softwareupdated");
    assert_eq!(s.action, "refused_by_os");
    assert!(s.refused_by_os);
    assert!(s.message.contains("no pid"), "{}", s.message);
    assert!(!o.softwareupdated_restarted);
    assert_eq!(
        saved(&e.cfg)
            .record(Service::Softwareupdated)
            .unwrap()
            .outcome,
        Some(Outcome::RefusedByOs)
    );
}

#[test]
fn refusal_never_signals_a_pid_printed_for_another_label_or_pid_1() {
    // 4294967295 is what `/bin/kill` would read as -1 (every process); 99999 is past XNU's range.
    for text in [
        print_of("com.example.other", 999),
        print_of("com.apple.softwareupdated", 1),
        print_of("com.apple.softwareupdated", u32::MAX),
        print_of("com.apple.softwareupdated", 99_999),
    ] {
        let e = env();
        let sys = FakeSystem::new(now());
        script_swu_prep(&sys);
        sys.answer("heal_print_softwareupdated", Answer::ok(text));
        sys.answer("heal_kickstart_softwareupdated", Answer::fail(1, REFUSED));
        let d = diag(Liveness::Alive, Liveness::Stuck, InstallActivity::Idle);
        let o = run(&sys, &e.cfg, &d, &opts());
        assert!(!sys
            .command_lines()
            .iter()
            .any(|c| c.starts_with("/bin/kill")));
        assert_eq!(service(&o, "softwareupdated").action, "refused_by_os");
    }
}

#[test]
fn other_kickstart_failures_are_failed_without_fallback() {
    let e = env();
    let sys = FakeSystem::new(now());
    sys.answer(
        "heal_print_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 512)),
    );
    sys.answer(
        "heal_kickstart_mdmclient",
        Answer::fail(
            113,
            "Could not find service \"com.apple.mdmclient.daemon\" in domain for system",
        ),
    );
    let d = diag(Liveness::Stuck, Liveness::Quiet, InstallActivity::Idle);
    let o = run(&sys, &e.cfg, &d, &opts());
    let m = service(&o, "mdmclient");
    assert_eq!(m.action, "failed");
    assert!(!m.refused_by_os);
    assert!(m.verification.is_none());
    assert_eq!(sys.calls().len(), 2);
    // A failed attempt is still an attempt.
    let st = saved(&e.cfg);
    assert_eq!(st.last_mdm_kickstart, Some(now()));
    assert_eq!(
        st.record(Service::Mdmclient).unwrap().outcome,
        Some(Outcome::Failed)
    );
}

#[test]
fn dry_run_and_replay_execute_nothing_and_write_nothing() {
    let d = diag(Liveness::Stuck, Liveness::Stuck, InstallActivity::Idle);
    for (sys, o) in [
        (
            FakeSystem::new(now()),
            HealOptions {
                dry_run: true,
                ..opts()
            },
        ),
        (FakeSystem::new(now()).not_live(), opts()),
        // Not root does not matter to a dry run.
        (
            FakeSystem::new(now()).root(false),
            HealOptions {
                dry_run: true,
                ..opts()
            },
        ),
    ] {
        let e = env();
        let out = run(&sys, &e.cfg, &d, &o);
        assert!(sys.calls().is_empty());
        assert!(section(&out).dry_run);
        assert!(!section(&out).executed);
        for s in &section(&out).services {
            assert_eq!(
                (s.action.as_str(), s.reason.as_str()),
                ("would_restart", "dry_run")
            );
        }
        assert!(!out.mdmclient_restarted && !out.softwareupdated_restarted);
        let dir = e.cfg.state_path().parent().unwrap().to_path_buf();
        assert_eq!(
            std::fs::read_dir(dir).unwrap().count(),
            0,
            "no state, no lock file"
        );
    }
}

#[test]
fn dry_run_reads_the_state_for_its_decision() {
    let e = env();
    let mut st = State::default();
    st.record_intent(
        Service::Mdmclient,
        now() - chrono::Duration::hours(2),
        "kickstart",
    );
    state::save(&e.cfg.state_path(), &st).unwrap();
    let sys = FakeSystem::new(now()).not_live();
    let d = diag(Liveness::Stuck, Liveness::Alive, InstallActivity::Idle);
    let o = run(&sys, &e.cfg, &d, &opts());
    assert_eq!(service(&o, "mdmclient").reason, "rate_limited");
    assert_eq!(
        o.last_mdm_kickstart,
        Some(now() - chrono::Duration::hours(2))
    );
}

#[test]
fn not_root_acts_on_nothing_and_says_so() {
    let e = env();
    let sys = FakeSystem::new(now()).root(false);
    let d = diag(Liveness::Stuck, Liveness::Alive, InstallActivity::Idle);
    let o = run(&sys, &e.cfg, &d, &opts());
    assert!(o.not_root);
    assert!(sys.calls().is_empty());
    assert_eq!(service(&o, "mdmclient").reason, "not_root");
    assert!(!e.cfg.state_path().exists());
}

#[test]
fn install_in_progress_blocks_both_and_unknown_blocks_softwareupdated_only() {
    let e = env();
    let sys = FakeSystem::new(now());
    let installing = InstallActivity::Installing(Evidence::line(
        "log_softwareupdate",
        "install-state = installing",
    ));
    let o = run(
        &sys,
        &e.cfg,
        &diag(Liveness::Stuck, Liveness::Stuck, installing),
        &opts(),
    );
    assert!(sys.calls().is_empty());
    for s in &section(&o).services {
        assert_eq!(s.reason, "install_in_progress");
    }

    sys.answer(
        "heal_print_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 5)),
    );
    sys.answer("heal_kickstart_mdmclient", Answer::ok(""));
    sys.answer(
        "heal_verify_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 6)),
    );
    let o = run(
        &sys,
        &e.cfg,
        &diag(
            Liveness::Stuck,
            Liveness::Stuck,
            InstallActivity::Unknown("log unreadable".into()),
        ),
        &opts(),
    );
    assert_eq!(service(&o, "mdmclient").action, "restarted");
    assert_eq!(
        service(&o, "softwareupdated").reason,
        "install_state_unknown"
    );
    assert!(!sys
        .command_lines()
        .iter()
        .any(|c| c.contains("softwareupdated")));
}

#[test]
fn disabled_by_config() {
    let mut e = env();
    e.cfg.heal_mdmclient = false;
    e.cfg.heal_softwareupdated = false;
    let sys = FakeSystem::new(now());
    let o = run(
        &sys,
        &e.cfg,
        &diag(Liveness::Stuck, Liveness::Stuck, InstallActivity::Idle),
        &opts(),
    );
    assert!(sys.calls().is_empty());
    for s in &section(&o).services {
        assert_eq!(s.reason, "disabled");
    }
}

#[test]
fn unwritable_state_means_no_restart() {
    let dir = tempfile::tempdir().unwrap();
    // The state's directory is a regular file: neither lock nor state can be created.
    let blocker = dir.path().join("notadir");
    std::fs::write(&blocker, b"x").unwrap();
    let cfg = Config {
        state_path: Some(blocker.join("state.json")),
        verify_wait_secs: 0,
        ..Config::default()
    };
    let sys = FakeSystem::new(now());
    let o = run(
        &sys,
        &cfg,
        &diag(Liveness::Stuck, Liveness::Alive, InstallActivity::Idle),
        &opts(),
    );
    assert!(sys.calls().is_empty());
    assert_eq!(service(&o, "mdmclient").reason, "state_not_writable");
    // The typed outcome says the same as its presentation.
    assert_eq!(o.decisions[0].reason, Reason::StateNotWritable);
    assert_eq!(o.decisions[0].action, Action::Skip);
    assert!(!section(&o).executed);
    assert_eq!(section(&o).state, "unwritable");
    assert!(!o.errors.is_empty());
}

#[test]
fn future_time_is_just_now_and_the_guard_is_recorded() {
    let e = env();
    let st = State {
        last_mdm_kickstart: Some(now() + chrono::Duration::days(2)),
        ..State::default()
    };
    state::save(&e.cfg.state_path(), &st).unwrap();
    let d = diag(Liveness::Stuck, Liveness::Alive, InstallActivity::Idle);
    let sys = FakeSystem::new(now());
    let o = run(&sys, &e.cfg, &d, &opts());
    assert!(sys.calls().is_empty());
    let m = service(&o, "mdmclient");
    assert_eq!(m.reason, "rate_limited");
    assert_eq!(m.until.as_deref(), Some("2026-11-24T12:00:00+01:00"));
    let st = saved(&e.cfg);
    assert_eq!(
        st.record(Service::Mdmclient).unwrap().future_seen_at,
        Some(now())
    );
    assert_eq!(
        st.last_mdm_kickstart,
        Some(now() + chrono::Duration::days(2)),
        "kept"
    );
    // 23 h later (record still in the future): still limited. 24 h later: allowed.
    let sys = FakeSystem::new(now() + chrono::Duration::hours(23));
    let o = run(&sys, &e.cfg, &d, &opts());
    assert_eq!(service(&o, "mdmclient").reason, "rate_limited");
    let later = now() + chrono::Duration::hours(24);
    let sys = FakeSystem::new(later);
    sys.answer(
        "heal_print_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 5)),
    );
    sys.answer("heal_kickstart_mdmclient", Answer::ok(""));
    sys.answer(
        "heal_verify_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 6)),
    );
    let o = run(&sys, &e.cfg, &d, &opts());
    assert_eq!(service(&o, "mdmclient").action, "restarted");
    let st = saved(&e.cfg);
    assert_eq!(st.last_mdm_kickstart, Some(later));
    assert_eq!(st.record(Service::Mdmclient).unwrap().future_seen_at, None);
}

#[test]
fn diagnose_reads_the_kickstart_times_read_only() {
    let e = env();
    let mut w = crate::report::Watchdog::default();
    assert_eq!(
        crate::report::watchdog_from_state(&e.cfg.state_path(), &mut w),
        None
    );
    assert_eq!(w.last_mdm_kickstart, None);
    std::fs::write(
        e.cfg.state_path(),
        br#"{"last_mdm_kickstart":"2023-06-19T19:43:13.938293-04:00","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let before = std::fs::read(e.cfg.state_path()).unwrap();
    assert_eq!(
        crate::report::watchdog_from_state(&e.cfg.state_path(), &mut w),
        None
    );
    assert_eq!(
        w.last_mdm_kickstart.as_deref(),
        Some("2023-06-19T19:43:13-04:00")
    );
    assert_eq!(w.last_software_update_daemon_kickstart, None);
    assert_eq!(std::fs::read(e.cfg.state_path()).unwrap(), before);
    std::fs::write(e.cfg.state_path(), b"garbage").unwrap();
    assert!(crate::report::watchdog_from_state(&e.cfg.state_path(), &mut w).is_some());
    assert_eq!(
        std::fs::read(e.cfg.state_path()).unwrap(),
        b"garbage",
        "left alone"
    );
}

#[test]
fn report_carries_the_heal_section_and_the_restart_keys() {
    let e = env();
    let sys = FakeSystem::new(now());
    sys.answer(
        "heal_print_mdmclient",
        Answer::ok(print_of("com.apple.mdmclient.daemon", 512)),
    );
    sys.answer(
        "heal_kickstart_mdmclient",
        Answer::fail(
            1,
            REFUSED.replace("com.apple.softwareupdated", "com.apple.mdmclient.daemon"),
        ),
    );
    sys.answer("heal_signal_mdmclient", Answer::ok(""));
    sys.answer(
        "heal_verify_mdmclient",
        Answer::ok("system/com.apple.mdmclient.daemon = {\n\tstate = not running\n}\n"),
    );
    let o = run(
        &sys,
        &e.cfg,
        &diag(Liveness::Stuck, Liveness::Unknown, InstallActivity::Idle),
        &opts(),
    );
    let mut report = report_for();
    crate::report::apply_heal(&mut report, &o);
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(v["watchdog"]["MDMClientRestarted"], true);
    assert_eq!(v["watchdog"]["SoftwareUpdateDaemonRestarted"], false);
    assert_eq!(
        v["watchdog"]["LastMDMKickstart"],
        "2026-11-23T12:00:00+01:00"
    );
    assert!(v["watchdog"]["LastSoftwareUpdateDaemonKickstart"].is_null());
    let m = &v["heal"]["services"][0];
    assert_eq!(m["action"], "fallback_signal");
    assert_eq!(m["refused_by_os"], true);
    assert_eq!(m["steps"][2]["command"], "/bin/kill -TERM 512");
    assert_eq!(m["verification"]["came_back"], false);
    assert_eq!(m["verification"]["state"], "not running");
    assert_eq!(v["heal"]["services"][1]["reason"], "unknown");
    let text = crate::report::render_human(&report, false);
    assert!(text.contains("MDMClientRestarted: true"), "{text}");
    assert!(
        text.contains("LastMDMKickstart: 2026-11-23 11:00:00 +0000 UTC"),
        "{text}"
    );
    assert!(
        text.contains(
            "mdmclient: restarted by signal (launchctl was refused): mdmclient received a command"
        ),
        "{text}"
    );
    assert!(text.contains("launchd starts it again on demand"), "{text}");
}

#[test]
fn refusal_is_exit_status_plus_eperm_text_only() {
    let r = |exit: Option<i32>, stderr: &str, stdout: &str, timed_out: bool| ProbeResult {
        id: "x".into(),
        available: true,
        exit_status: exit,
        timed_out,
        stderr: stderr.as_bytes().to_vec(),
        stdout: if stdout.is_empty() {
            crate::system::Payload::Empty
        } else {
            crate::system::Payload::Memory(stdout.as_bytes().to_vec())
        },
        ..ProbeResult::default()
    };
    assert!(is_refusal(&r(Some(1), REFUSED, "", false)));
    assert!(is_refusal(&r(Some(1), "", REFUSED, false)), "on stdout too");
    assert!(
        !is_refusal(&r(Some(0), REFUSED, "", false)),
        "exit 0 is success"
    );
    assert!(
        !is_refusal(&r(None, REFUSED, "", true)),
        "a timeout is a failure"
    );
    assert!(!is_refusal(&r(
        Some(113),
        "Could not find service \"com.apple.mdmclient.daemon\" in domain for system",
        "",
        false
    )));
    assert!(!is_refusal(&ProbeResult::unavailable("x", "missing")));
}
