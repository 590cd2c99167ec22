//! Scenario tests of `mdm.client_liveness` and `softwareupdate.daemon_liveness` over the
//! constructed ndjson samples in `tests/fixtures/logs/` (see its README: constructed from the real
//! key format and public message shapes, not captures) and small inline logs for the edges. The
//! rules against real published text are in `src/checks/liveness.rs` (tests) and, end to end, in
//! `tests/it/scenarios.rs` (the `real-*` captures). Observations are built through
//! `observe::from_results`, i.e. the same parsing path as live.

use chrono::{DateTime, FixedOffset};
use mdmwatch::checks::liveness::{ClientState, DaemonState, PushState};
use mdmwatch::checks::{
    client_liveness, daemon_liveness, Assessment, InstallActivity, Status as S,
};
use mdmwatch::config::Config;
use mdmwatch::observe::{self, Observations};
use mdmwatch::probes;
use mdmwatch::report::{self, Finding, Status};
use mdmwatch::system::{Payload, ProbeResult};

const NOW: &str = "2026-11-20T10:00:00-05:00";

/// The tests' shorthand for both services: `Stuck` is "failing" (any cause) for mdmclient, and
/// "stalled" or Addigy's rule for softwareupdated; the causes are asserted through the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Liveness {
    Alive,
    Quiet,
    Stuck,
    Installing,
    Unknown,
}

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test time")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// How a log probe ended.
enum Log {
    Out(Vec<u8>),
    Truncated(Vec<u8>),
    Missing,
    Timeout,
}

fn result(id: &str, log: Log) -> ProbeResult {
    let ok = |bytes: Vec<u8>, truncated| ProbeResult {
        id: id.to_string(),
        available: true,
        exit_status: Some(0),
        truncated,
        stdout: Payload::Memory(bytes),
        ..ProbeResult::default()
    };
    match log {
        Log::Out(b) => ok(b, false),
        Log::Truncated(b) => ok(b, true),
        Log::Missing => ProbeResult::unavailable(id, "no such file: /usr/bin/log"),
        Log::Timeout => ProbeResult {
            id: id.to_string(),
            available: true,
            timed_out: true,
            ..ProbeResult::default()
        },
    }
}

fn observe_at(now: &str, mdm: Log, su: Log, cfg: &Config) -> Observations {
    let results = vec![
        result(probes::LOG_MDMCLIENT, mdm),
        result(probes::LOG_SOFTWAREUPDATE, su),
    ];
    observe::from_results(at(now), true, false, &[], results, cfg)
}

fn obs(mdm: Log, su: Log) -> Observations {
    observe_at(NOW, mdm, su, &Config::default())
}

fn strict() -> Config {
    Config {
        strict_addigy: true,
        ..Config::default()
    }
}

/// An ndjson log with header and trailer; each line is (time of day, process, message).
fn nd(lines: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut out = String::from("Filtering the log data using \"test\"\n");
    for (t, process, msg) in lines {
        let msg = serde_json::to_string(msg).expect("json string");
        // Each daemon's exact image path and the uid it runs as (parse::log_patterns::SOURCES).
        let (path, uid) = match *process {
            "softwareupdated" => ("\\/System\\/Library\\/CoreServices\\/Software Update.app\\/Contents\\/Resources\\/softwareupdated", 200),
            "SoftwareUpdateSubscriber" => ("\\/System\\/Library\\/PrivateFrameworks\\/RemoteManagement.framework\\/XPCServices\\/SoftwareUpdateSubscriber.xpc\\/Contents\\/MacOS\\/SoftwareUpdateSubscriber", 277),
            _ => ("\\/usr\\/libexec\\/mdmclient", 0),
        };
        // The category real lines of each shape carry (tests/fixtures/logs-real/LINES.md).
        let category = if msg.contains("Processing server request") {
            "MDMDaemon"
        } else if msg.contains("Scan reported progress") {
            "ScanManager"
        } else if msg.contains("Reported progress") {
            "SU"
        } else {
            "HTTPUtil"
        };
        out.push_str(&format!(
            "{{\"userID\":{uid},\"messageType\":\"Default\",\"subsystem\":\"com.apple.ManagedClient\",\"category\":\"{category}\",\"processImagePath\":\"{path}\",\"timestamp\":\"2026-11-20 {t}.000000-0500\",\"eventMessage\":{msg},\"processID\":1}}\n"
        ));
    }
    out.push_str(&format!("{{\"count\":{},\"finished\":1}}\n", lines.len()));
    out.into_bytes()
}

fn fact<'a>(f: &'a Finding, key: &str) -> &'a serde_json::Value {
    f.facts
        .get(key)
        .unwrap_or_else(|| panic!("fact {key} missing in {:?}", f.facts))
}

fn fact_str<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    fact(f, key).as_str()
}

fn client(o: &Observations, cfg: &Config) -> (Liveness, Finding) {
    let a = client_liveness::assess(o, cfg, PushState::Unknown);
    let state = a.state;
    let f = report::finding(&Assessment::ClientLiveness(a));
    assert_eq!(
        fact_str(&f, "state"),
        Some(state.code()),
        "state fact matches"
    );
    let l = match state {
        ClientState::Alive => Liveness::Alive,
        ClientState::Quiet => Liveness::Quiet,
        ClientState::Failing(_) => Liveness::Stuck,
        ClientState::Unknown => Liveness::Unknown,
    };
    (l, f)
}

fn quiet_su() -> Log {
    Log::Out(fixture("softwareupdate_quiet.ndjson"))
}

// ---------------------------------------------------------------- mdm.client_liveness

#[test]
fn client_healthy_is_alive() {
    let o = obs(Log::Out(fixture("mdmclient_healthy.ndjson")), quiet_su());
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Alive);
    assert_eq!(f.status, Status::Ok);
    assert_eq!(
        fact_str(&f, "last_success"),
        Some("2026-11-20 09:47:30.480000-0500")
    );
    assert_eq!(fact_str(&f, "last_command"), Some("DeclarativeManagement"));
    assert!(fact(&f, "unanswered_command").is_null());
    assert!(fact(&f, "last_failure").is_null());
    assert_eq!(fact(&f, "successes").as_u64(), Some(5));
    assert_eq!(fact(&f, "receipts").as_u64(), Some(2));
    assert_eq!(fact(&f, "window_minutes").as_u64(), Some(90));
    assert_eq!(fact(&f, "user_channel_lines").as_u64(), Some(0));
    assert!(!f.evidence.is_empty() && f.evidence.len() <= client_liveness::MAX_EVIDENCE);
    assert!(f
        .evidence
        .iter()
        .all(|e| e.source == probes::LOG_MDMCLIENT && e.timestamp.is_some()));
}

#[test]
fn client_quiet_is_ok_not_stuck() {
    let o = obs(Log::Out(fixture("mdmclient_quiet.ndjson")), quiet_su());
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Quiet);
    assert_eq!(f.status, Status::Ok);
    assert!(f.summary.contains("not a fault"), "{}", f.summary);
    assert!(f.evidence.is_empty());
}

#[test]
fn client_quiet_is_stuck_under_strict_addigy() {
    let o = observe_at(
        NOW,
        Log::Out(fixture("mdmclient_quiet.ndjson")),
        quiet_su(),
        &strict(),
    );
    let (state, f) = client(&o, &strict());
    assert_eq!(state, Liveness::Stuck);
    assert_eq!(f.status, Status::Failed);
    assert_eq!(fact_str(&f, "stuck_reason"), Some("strict_addigy_no_200"));
}

#[test]
fn client_failing_check_ins_without_success_is_stuck() {
    let o = obs(
        Log::Out(fixture("mdmclient_stuck_errors.ndjson")),
        quiet_su(),
    );
    for cfg in [Config::default(), strict()] {
        let (state, f) = client(&o, &cfg);
        assert_eq!(state, Liveness::Stuck);
        assert_eq!(f.status, Status::Failed);
        assert!(f.evidence.len() <= client_liveness::MAX_EVIDENCE);
    }
    let (_, f) = client(&o, &Config::default());
    // 503, 503, 502, then 401: the dominant cause names the failure (server errors); the 401 is
    // evidence, not grounds for re-enrolment.
    assert_eq!(fact_str(&f, "cause"), Some("server_error"));
    assert_eq!(fact(&f, "last_failure_status").as_u64(), Some(401));
    // Four non-200 responses; the [ERROR] chain is context, not a failure.
    assert_eq!(fact(&f, "failures").as_u64(), Some(4));
    assert_eq!(fact(&f, "error_tags").as_u64(), Some(1));
    assert_eq!(
        fact_str(&f, "last_failure"),
        Some("2026-11-20 09:45:10.480000-0500")
    );
    assert!(f.evidence.iter().any(|e| e.text.contains("(401)")));
    // One refusal among server errors: no re-enrolment advice.
    assert!(f
        .remediation
        .as_deref()
        .is_some_and(|r| !r.contains("re-enroll") && r.contains("5xx")));
}

#[test]
fn client_unanswered_command_is_stuck_under_either_rule() {
    let o = obs(
        Log::Out(fixture("mdmclient_stuck_unanswered.ndjson")),
        quiet_su(),
    );
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Stuck);
    assert_eq!(fact_str(&f, "cause"), Some("client_wedged"));
    assert_eq!(fact_str(&f, "stuck_reason"), Some("client_wedged"));
    assert!(f
        .remediation
        .as_deref()
        .is_some_and(|r| r.contains("-heal")));
    assert_eq!(
        fact_str(&f, "unanswered_command"),
        Some("InstallApplication")
    );
    assert!(f.summary.contains("InstallApplication"), "{}", f.summary);
    assert!(f.evidence.iter().any(|e| e
        .text
        .contains("Processing server request: InstallApplication")));
    // Addigy's rule only asks for a 200 in the window, and there is one at 08:50; the strict
    // rule adds Addigy's ground but never hides the ordinary one: still wedged.
    let (state, f) = client(&o, &strict());
    assert_eq!(state, Liveness::Stuck);
    assert_eq!(fact_str(&f, "cause"), Some("client_wedged"));
}

#[test]
fn client_unanswered_su_command_is_stuck() {
    let o = obs(
        Log::Out(fixture("mdmclient_stuck_su_command.ndjson")),
        quiet_su(),
    );
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Stuck);
    assert_eq!(fact_str(&f, "unanswered_command"), Some("ScheduleOSUpdate"));
    assert_eq!(fact_str(&f, "last_command"), Some("ScheduleOSUpdate"));
}

#[test]
fn client_identity_errors_are_collected_and_stuck() {
    let o = obs(
        Log::Out(fixture("mdmclient_identity_error.ndjson")),
        quiet_su(),
    );
    let log = o.mdm_log.as_ref().expect("parsed");
    let errors: Vec<_> = log.identity_errors().collect();
    assert_eq!(errors.len(), 3);
    assert!(errors[2].message.contains("Unable to create MDM identity"));
    assert_eq!(errors[2].timestamp, "2026-11-20 09:40:12.000000-0500");
    // Identity failures are mdm.identity's finding; with no exchange and no HTTP failure the
    // channel itself is quiet, not failing.
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Quiet);
    assert!(fact(&f, "cause").is_null());
}

#[test]
fn client_unknown_names_probe_and_fault() {
    let cases: Vec<(Log, &str)> = vec![
        (Log::Missing, "missing"),
        (Log::Timeout, "timeout"),
        (Log::Out(b"this is not ndjson\nat all\n".to_vec()), "unparseable"),
        (
            Log::Out(fixture(
                "../samples/log_show_default__mdmclient_DeclarativeManagement_single_line__macos15.txt",
            )),
            "unparseable",
        ),
    ];
    for (log, fault) in cases {
        let o = obs(log, quiet_su());
        let (state, f) = client(&o, &Config::default());
        assert_eq!(state, Liveness::Unknown, "{fault}");
        assert_eq!(f.status, Status::Unknown);
        let reason = f.reason.clone().unwrap_or_default();
        assert!(reason.contains(probes::LOG_MDMCLIENT), "{reason}");
        assert!(reason.contains(fault), "{reason}");
    }
}

#[test]
fn client_truncated_output_is_unknown_unless_it_already_shows_success() {
    // Cut in the middle of the unanswered scenario: would read stuck, but the answer could be
    // in the missing tail.
    let o = obs(
        Log::Truncated(fixture("mdmclient_stuck_unanswered.ndjson")),
        quiet_su(),
    );
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Unknown);
    assert!(f.reason.as_deref().is_some_and(|r| r.contains("truncated")));
    // Quiet on half the evidence is not quiet either.
    let o = obs(
        Log::Truncated(fixture("mdmclient_quiet.ndjson")),
        quiet_su(),
    );
    assert_eq!(client(&o, &Config::default()).0, Liveness::Unknown);
    // A success is a success even if later lines are missing.
    let o = obs(
        Log::Truncated(fixture("mdmclient_healthy.ndjson")),
        quiet_su(),
    );
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Alive);
    assert_eq!(fact(&f, "truncated").as_bool(), Some(true));
    // A last line cut mid-JSON means the same as the probe's flag.
    let mut cut = fixture("mdmclient_stuck_errors.ndjson");
    let tail = cut.len() - 40;
    cut.truncate(tail);
    let o = obs(Log::Out(cut), quiet_su());
    assert_eq!(client(&o, &Config::default()).0, Liveness::Unknown);
}

#[test]
fn client_window_edges() {
    // The last success is at 09:47:30.48; the window is 90 minutes.
    let cases = [
        ("2026-11-20T11:17:30-05:00", Liveness::Alive),
        ("2026-11-20T11:17:31-05:00", Liveness::Quiet),
        // Same instant written in UTC.
        ("2026-11-20T16:17:30+00:00", Liveness::Alive),
    ];
    for (now, want) in cases {
        let o = observe_at(
            now,
            Log::Out(fixture("mdmclient_healthy.ndjson")),
            quiet_su(),
            &Config::default(),
        );
        assert_eq!(client(&o, &Config::default()).0, want, "now {now}");
    }
    // A shorter window drops the 08:41 exchanges.
    let cfg = Config {
        liveness_window_minutes: 60,
        ..Config::default()
    };
    let o = observe_at(
        NOW,
        Log::Out(fixture("mdmclient_healthy.ndjson")),
        quiet_su(),
        &cfg,
    );
    let (_, f) = client(&o, &cfg);
    assert_eq!(fact(&f, "successes").as_u64(), Some(3));
    assert_eq!(fact(&f, "window_minutes").as_u64(), Some(60));
}

#[test]
fn client_unanswered_grace_period() {
    // InstallApplication arrived at 08:50:03.7.
    let cases = [
        ("2026-11-20T09:00:00-05:00", Liveness::Alive),
        ("2026-11-20T09:05:03-05:00", Liveness::Alive),
        ("2026-11-20T09:05:04-05:00", Liveness::Stuck),
    ];
    for (now, want) in cases {
        let o = observe_at(
            now,
            Log::Out(fixture("mdmclient_stuck_unanswered.ndjson")),
            quiet_su(),
            &Config::default(),
        );
        assert_eq!(client(&o, &Config::default()).0, want, "now {now}");
    }
}

#[test]
fn client_clock_before_entries() {
    // A replay whose "now" precedes every entry: entries are kept, counted and noted.
    let o = observe_at(
        "2026-11-20T08:00:00-05:00",
        Log::Out(fixture("mdmclient_healthy.ndjson")),
        quiet_su(),
        &Config::default(),
    );
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Alive);
    assert_eq!(fact(&f, "future_entries").as_u64(), Some(12));
    assert!(f.summary.contains("later than now"), "{}", f.summary);
    // A command "in the future" cannot be overdue.
    let o = observe_at(
        "2026-11-20T08:00:00-05:00",
        Log::Out(fixture("mdmclient_stuck_unanswered.ndjson")),
        quiet_su(),
        &Config::default(),
    );
    assert_eq!(client(&o, &Config::default()).0, Liveness::Alive);
}

#[test]
fn client_failures_since_last_success() {
    let ok = (
        "08:40:00",
        "mdmclient",
        "Received HTTP response (200) [Idle]",
    );
    let fail = |t| (t, "mdmclient", "Received HTTP response (503) [Idle]");
    let two = nd(&[ok, fail("09:00:00"), fail("09:20:00")]);
    let three = nd(&[ok, fail("09:00:00"), fail("09:20:00"), fail("09:40:00")]);
    let recovered = nd(&[
        ok,
        fail("09:00:00"),
        fail("09:20:00"),
        fail("09:40:00"),
        (
            "09:50:00",
            "mdmclient",
            "Received HTTP response (200) [Idle]",
        ),
    ]);
    let cases = [
        (two, Liveness::Alive, None),
        (three, Liveness::Stuck, Some("server_error")),
        (recovered, Liveness::Alive, None),
    ];
    for (log, want, reason) in cases {
        let o = obs(Log::Out(log), quiet_su());
        let (state, f) = client(&o, &Config::default());
        assert_eq!(state, want);
        assert_eq!(fact_str(&f, "cause"), reason);
    }
}

#[test]
fn client_other_shapes() {
    let cases: Vec<(Vec<u8>, Liveness)> = vec![
        // A command that just arrived: it came inside a server response, so the channel works.
        (
            nd(&[(
                "09:55:00",
                "mdmclient",
                "Processing server request: DeviceInformation for: <Device> (x) PowerNap: no",
            )]),
            Liveness::Alive,
        ),
        // Attempts only, never a response: failing (transport, unverified: a warning only).
        (
            nd(&[
                ("09:00:00", "mdmclient", "Sending HTTP request (PUT) [Idle]"),
                ("09:30:00", "mdmclient", "Sending HTTP request (PUT) [Idle]"),
            ]),
            Liveness::Stuck,
        ),
        // A push rejected and nothing else: context, not a failed exchange.
        (
            nd(&[(
                "09:00:00",
                "mdmclient",
                "Rejecting MDM push dictionary because it does not have the right magic string.",
            )]),
            Liveness::Quiet,
        ),
        // The generic [ERROR] tag alone: not a failed exchange.
        (
            nd(&[(
                "09:00:00",
                "mdmclient",
                "[ERROR] Aborting app install: Package signature cannot be verified <PKInstallErrorDomain:100>",
            )]),
            Liveness::Quiet,
        ),
        // NotNow is an answer.
        (
            nd(&[
                (
                    "09:00:00",
                    "mdmclient",
                    "Processing server request: ScheduleOSUpdate for: <Device> (x) PowerNap: no",
                ),
                (
                    "09:00:01",
                    "mdmclient",
                    "Received HTTP response (200) [NotNow]",
                ),
            ]),
            Liveness::Alive,
        ),
        // An Error report answers the command; the 200 before it is the success.
        (
            nd(&[
                (
                    "09:00:00",
                    "mdmclient",
                    "Received HTTP response (200) [Idle]",
                ),
                (
                    "09:00:01",
                    "mdmclient",
                    "Processing server request: InstallProfile for: <Device> (x) PowerNap: no",
                ),
                (
                    "09:00:02",
                    "mdmclient",
                    "Received HTTP response (200) [Error(InstallProfile):0]",
                ),
            ]),
            Liveness::Alive,
        ),
        // Unrelated mdmclient lines only.
        (
            nd(&[(
                "09:00:00",
                "mdmclient",
                "UCRTsmb5: DEP registered according to UCRT: UCRTDEPStateUnavailable",
            )]),
            Liveness::Quiet,
        ),
        // Older than the window only.
        (
            nd(&[(
                "08:00:00",
                "mdmclient",
                "Received HTTP response (503) [Idle]",
            )]),
            Liveness::Quiet,
        ),
    ];
    for (i, (log, want)) in cases.into_iter().enumerate() {
        let o = obs(Log::Out(log), quiet_su());
        assert_eq!(client(&o, &Config::default()).0, want, "case {i}");
    }
}

#[test]
fn client_user_channel_success_does_not_hide_a_stuck_device_channel() {
    // Device channel (userID 0) failing; `mdmclient agent` (userID 501) fine.
    let with_user = |log: Vec<u8>, uid: u32| {
        String::from_utf8(log)
            .expect("utf8")
            .replace("\"userID\":0,", &format!("\"userID\":{uid},"))
            .into_bytes()
    };
    let mut log = with_user(
        nd(&[(
            "09:00:00",
            "mdmclient",
            "Received HTTP response (503) [Idle]",
        )]),
        0,
    );
    log.extend(with_user(
        nd(&[(
            "09:10:00",
            "mdmclient",
            "Received HTTP response (200) [Idle]",
        )]),
        501,
    ));
    let o = obs(Log::Out(log), quiet_su());
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Stuck);
    assert_eq!(fact(&f, "user_channel_lines").as_u64(), Some(1));
}

#[test]
fn client_garbage_lines_do_not_hide_evidence() {
    let mut log = b"Filtering the log data using \"x\"\n\xff\xfe\n{\"truncated\":\n".to_vec();
    log.extend(fixture("mdmclient_healthy.ndjson"));
    let o = obs(Log::Out(log), quiet_su());
    let (state, f) = client(&o, &Config::default());
    assert_eq!(state, Liveness::Alive);
    assert_eq!(fact(&f, "skipped_lines").as_u64(), Some(2));
}

// ---------------------------------------------------------- softwareupdate.daemon_liveness

fn daemon(o: &Observations, cfg: &Config) -> (Liveness, Finding) {
    let c = client_liveness::assess(o, cfg, PushState::Unknown);
    let a = daemon_liveness::assess(o, cfg, &c);
    let state = a.state;
    let failed = a.judgement.status == S::Failed;
    let f = report::finding(&Assessment::DaemonLiveness(a));
    assert_eq!(fact_str(&f, "state"), Some(state.code()));
    let l = match state {
        _ if failed => Liveness::Stuck,
        DaemonState::Alive => Liveness::Alive,
        DaemonState::Installing => Liveness::Installing,
        DaemonState::Stalled(_) => Liveness::Stuck,
        DaemonState::Quiet => Liveness::Quiet,
        DaemonState::Unknown => Liveness::Unknown,
    };
    (l, f)
}

/// mdmclient received ScheduleOSUpdate at 09:00 and nothing answered it; no 200 at all.
fn su_no_200() -> Log {
    Log::Out(nd(&[
        (
            "09:00:00",
            "mdmclient",
            "Processing server request: ScheduleOSUpdate for: <Device> (x) PowerNap: no",
        ),
        (
            "09:20:00",
            "mdmclient",
            "Received HTTP response (503) [Idle]",
        ),
    ]))
}

fn healthy_mdm() -> Log {
    Log::Out(fixture("mdmclient_healthy.ndjson"))
}

#[test]
fn daemon_healthy_quiet_stuck_installing() {
    let cases = [
        (
            "softwareupdate_healthy.ndjson",
            Liveness::Alive,
            Status::Ok,
            None,
        ),
        (
            "softwareupdate_quiet.ndjson",
            Liveness::Quiet,
            Status::Ok,
            None,
        ),
        // Prepare progress last at 08:52, 68 min before now: stalled.
        (
            "softwareupdate_stuck.ndjson",
            Liveness::Stuck,
            Status::Failed,
            Some("stalled"),
        ),
        (
            "softwareupdate_installing.ndjson",
            Liveness::Installing,
            Status::Ok,
            None,
        ),
    ];
    for (file, state, status, reason) in cases {
        let o = obs(healthy_mdm(), Log::Out(fixture(file)));
        let (got, f) = daemon(&o, &Config::default());
        assert_eq!((got, f.status), (state, status), "{file}: {}", f.summary);
        assert_eq!(fact_str(&f, "cause"), reason, "{file}");
        assert!(f.evidence.len() <= client_liveness::MAX_EVIDENCE);
    }
}

#[test]
fn daemon_stalled_progress_names_the_last_progress() {
    let o = obs(
        healthy_mdm(),
        Log::Out(fixture("softwareupdate_stuck.ndjson")),
    );
    let (_, f) = daemon(&o, &Config::default());
    assert_eq!(
        fact_str(&f, "last_progress"),
        Some("2026-11-20 08:52:01.200000-0500")
    );
    assert_eq!(fact_str(&f, "last_install_state"), Some("downloading"));
    assert_eq!(fact_str(&f, "stall_sign"), Some("no_progress"));
    assert_eq!(fact(&f, "minutes_since_progress").as_i64(), Some(67));
    assert!(f.evidence.iter().any(|e| e.text.contains("PrepareUpdate")));
    // 20 minutes after the last progress it is not yet a stall: still installing.
    let o = observe_at(
        "2026-11-20T09:12:00-05:00",
        healthy_mdm(),
        Log::Out(fixture("softwareupdate_stuck.ndjson")),
        &Config::default(),
    );
    assert_eq!(daemon(&o, &Config::default()).0, Liveness::Installing);
    // A longer stall time (SoftwareUpdateStallMinutes) keeps it installing at 10:00 too.
    let cfg = Config {
        stall_minutes: 90,
        ..Config::default()
    };
    let o = observe_at(
        NOW,
        healthy_mdm(),
        Log::Out(fixture("softwareupdate_stuck.ndjson")),
        &cfg,
    );
    assert_eq!(daemon(&o, &cfg).0, Liveness::Installing);
}

#[test]
fn daemon_failure_words_are_not_evidence() {
    // Ordinary softwareupdated logs are full of "Failed"/"error" lines: none of them decides.
    let failed = |t| {
        (t, "softwareupdated", "[FSM(SUMacControllerScanManager)] >S> ScanningForSoftwareUpdates >E> ScanFailed >N> ScanReadyToBegin")
    };
    let su = nd(&[
        failed("09:00:00"),
        failed("09:20:00"),
        failed("09:40:00"),
        (
            "09:41:00",
            "softwareupdated",
            "Error Domain=SUErrorDomain Code=1",
        ),
    ]);
    let o = obs(healthy_mdm(), Log::Out(su));
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Quiet, "{}", f.summary);
}

#[test]
fn daemon_addigy_rule() {
    let su_cmd = || Log::Out(fixture("mdmclient_stuck_su_command.ndjson"));
    // mdmclient stuck on ScheduleOSUpdate, softwareupdated silent: Addigy's rule holds.
    let o = obs(su_cmd(), quiet_su());
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Stuck);
    assert_eq!(fact_str(&f, "cause"), Some("addigy_rule"));
    assert_eq!(fact_str(&f, "su_command"), Some("ScheduleOSUpdate"));
    assert_eq!(fact_str(&f, "mdmclient_state"), Some("failing"));
    assert_eq!(fact(&f, "su_command_unanswered").as_bool(), Some(true));
    // softwareupdated visibly working: not blamed (unless strict).
    let o = obs(su_cmd(), Log::Out(fixture("softwareupdate_healthy.ndjson")));
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Alive);
    assert!(f.summary.contains("not blamed"), "{}", f.summary);
    // ...nor while it installs.
    let o = obs(
        su_cmd(),
        Log::Out(fixture("softwareupdate_installing.ndjson")),
    );
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Installing);
    assert!(
        f.summary.contains("install is in progress"),
        "{}",
        f.summary
    );
    // Under strict_addigy mdmclient counts as alive here (it had 200s in the window), so
    // Addigy's rule does not fire at all.
    let o = observe_at(
        NOW,
        su_cmd(),
        Log::Out(fixture("softwareupdate_installing.ndjson")),
        &strict(),
    );
    assert_eq!(daemon(&o, &strict()).0, Liveness::Installing);
    // No 200 and a ScheduleOSUpdate last: strict follows Addigy even though softwareupdated works.
    let o = observe_at(
        NOW,
        su_no_200(),
        Log::Out(fixture("softwareupdate_healthy.ndjson")),
        &strict(),
    );
    let (state, f) = daemon(&o, &strict());
    assert_eq!(state, Liveness::Stuck, "{}", f.summary);
    assert_eq!(fact_str(&f, "cause"), Some("addigy_rule"));
    // mdmclient stuck on a non-software-update command: not softwareupdated's business.
    let o = obs(
        Log::Out(fixture("mdmclient_stuck_unanswered.ndjson")),
        quiet_su(),
    );
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Quiet);
    assert_eq!(fact(&f, "addigy_rule").as_bool(), Some(false));
}

#[test]
fn daemon_declarative_management_counts_only_with_ddm_software_update_evidence() {
    let ddm = || {
        Log::Out(nd(&[
            (
                "09:00:00",
                "mdmclient",
                "Received HTTP response (200) [Idle]",
            ),
            (
                "09:00:01",
                "mdmclient",
                "Processing server request: DeclarativeManagement for: <Device> (x) PowerNap: no",
            ),
        ]))
    };
    let o = obs(ddm(), quiet_su());
    assert_eq!(daemon(&o, &Config::default()).0, Liveness::Quiet);
    // The receipt at 09:00:01 has no HTTP line after it (mdmclient is wedged). Only a DDM
    // software-update status report in the window ties the declarative sync to Software Update;
    // with one, and no softwareupdated work, Addigy's rule holds.
    let status_only = Log::Out(nd(&[(
        "09:21:02",
        "SoftwareUpdateSubscriber",
        "Reporting status {\n    \"softwareupdate.install-state\" = none;\n}",
    )]));
    let o = obs(ddm(), status_only);
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Stuck, "{}", f.summary);
    assert_eq!(fact_str(&f, "su_command"), Some("DeclarativeManagement"));
}

#[test]
fn daemon_unknown_cases() {
    // Unknown softwareupdated log, no Addigy evidence.
    let o = obs(healthy_mdm(), Log::Missing);
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Unknown);
    assert!(f
        .reason
        .as_deref()
        .is_some_and(|r| r.contains(probes::LOG_SOFTWAREUPDATE)));
    // Addigy's rule holds but the log is unknown: no verdict by default, stuck when strict.
    let su_cmd = || Log::Out(fixture("mdmclient_stuck_su_command.ndjson"));
    let o = obs(su_cmd(), Log::Timeout);
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Unknown);
    assert!(f
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("ScheduleOSUpdate") && r.contains("timeout")));
    let o = observe_at(NOW, su_no_200(), Log::Timeout, &strict());
    assert_eq!(daemon(&o, &strict()).0, Liveness::Stuck);
    // mdmclient unknown and softwareupdated silent: quiet (Addigy's rule needs a failing client).
    let o = obs(Log::Missing, quiet_su());
    assert_eq!(daemon(&o, &Config::default()).0, Liveness::Quiet);
    // ...but a working softwareupdated is alive whatever mdmclient does.
    let o = obs(
        Log::Missing,
        Log::Out(fixture("softwareupdate_healthy.ndjson")),
    );
    assert_eq!(daemon(&o, &Config::default()).0, Liveness::Alive);
    // A truncated log never yields stuck.
    let o = obs(
        healthy_mdm(),
        Log::Truncated(fixture("softwareupdate_stuck.ndjson")),
    );
    let (state, f) = daemon(&o, &Config::default());
    assert_eq!(state, Liveness::Unknown);
    assert!(f.summary.contains("truncated"), "{}", f.summary);
}

#[test]
fn daemon_clock_before_entries() {
    let o = observe_at(
        "2026-11-20T08:00:00-05:00",
        healthy_mdm(),
        Log::Out(fixture("softwareupdate_stuck.ndjson")),
        &Config::default(),
    );
    let (state, f) = daemon(&o, &Config::default());
    // Progress "in the future" is not stalled.
    assert_eq!(state, Liveness::Installing);
    assert!(fact(&f, "future_entries").as_u64().is_some_and(|n| n > 0));
}

// ------------------------------------------------------------------------- install_activity

#[test]
fn install_activity_cases() {
    let cases: Vec<(Log, &str)> = vec![
        (
            Log::Out(fixture("softwareupdate_installing.ndjson")),
            "installing",
        ),
        (Log::Out(fixture("softwareupdate_healthy.ndjson")), "idle"),
        (Log::Out(fixture("softwareupdate_quiet.ndjson")), "idle"),
        // Stalled: the verified progress lines stopped 68 min ago, so the 09:20 "downloading"
        // status block (an unverified shape) does not keep heal away.
        (Log::Out(fixture("softwareupdate_stuck.ndjson")), "idle"),
        (Log::Missing, "unknown"),
        (
            Log::Out(nd(&[(
                "08:45:00",
                "SoftwareUpdateSubscriber",
                "Reporting status {\n    \"softwareupdate.install-state\" = installing;\n}",
            )])),
            "installing",
        ),
        (
            Log::Out(nd(&[
                (
                    "08:45:00",
                    "SoftwareUpdateSubscriber",
                    "Reporting status {\n    \"softwareupdate.install-state\" = installing;\n}",
                ),
                (
                    "09:45:00",
                    "SoftwareUpdateSubscriber",
                    "Reporting status {\n    \"softwareupdate.install-state\" = failed;\n}",
                ),
            ])),
            "idle",
        ),
        (
            Log::Out(nd(&[(
                "09:45:00",
                "SoftwareUpdateSubscriber",
                "Reporting status {\n    \"softwareupdate.install-state\" = downloading;\n}",
            )])),
            "installing",
        ),
    ];
    for (i, (su, want)) in cases.into_iter().enumerate() {
        let o = obs(healthy_mdm(), su);
        let c = client_liveness::assess(&o, &Config::default(), PushState::Unknown);
        let d = daemon_liveness::assess(&o, &Config::default(), &c);
        let got = match daemon_liveness::install_activity(&o, &d) {
            InstallActivity::Installing(e) => {
                assert_eq!(e.source, probes::LOG_SOFTWAREUPDATE);
                assert!(e.timestamp.is_some());
                "installing"
            }
            InstallActivity::Idle => "idle",
            InstallActivity::Unknown(r) => {
                assert!(r.contains(probes::LOG_SOFTWAREUPDATE), "{r}");
                "unknown"
            }
        };
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn status_reports_reach_the_observations_verbatim() {
    let o = obs(
        healthy_mdm(),
        Log::Out(fixture("softwareupdate_installing.ndjson")),
    );
    let su = o.su_log.as_ref().expect("parsed");
    assert_eq!(su.status_reports.len(), 2);
    let last = &su.status_reports[1];
    assert_eq!(last.timestamp, "2026-11-20 09:55:00.000000-0500");
    assert_eq!(last.process, "SoftwareUpdateSubscriber");
    assert!(last.text.starts_with("Reporting status {\n"));
    assert!(last
        .text
        .contains("\"softwareupdate.install-state\" = installing;"));
    assert!(last.text.ends_with('}'));
}
