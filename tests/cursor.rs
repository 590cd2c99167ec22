//! Incremental log queries (`cursor`): a run that reads only what is new since its cursor, with
//! the carried evidence merged in, reaches the same findings as a run reading the whole window.
//!
//! Each case is a log over 07:30..10:00 (-05:00). The first run happens at 09:20 (full window,
//! no cursor); the second at 10:00 asks `log show --start` from the cursor, and the FakeSystem
//! answers with exactly the entries at or after that start. The reference is one full-window run
//! at 10:00 over the whole log.

use chrono::{DateTime, Duration, FixedOffset};
use mdmwatch::checks::{self, CLIENT_LIVENESS, DAEMON_LIVENESS};
use mdmwatch::config::Config;
use mdmwatch::cursor::{self, LogCursor, Query};
use mdmwatch::observe::{self, Observations};
use mdmwatch::probes;
use mdmwatch::report::Finding;
use mdmwatch::system::fake::{Answer, FakeSystem};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// `(HH:MM, message)` entries; the log show output for those at or after `from`, up to `to`.
type Entries<'a> = &'a [(&'a str, &'a str)];

fn ts(hhmm: &str) -> DateTime<FixedOffset> {
    at(&format!("2026-11-20T{hhmm}:00-05:00"))
}

fn ndjson(
    entries: Entries,
    process: &str,
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
) -> Vec<u8> {
    let mut out = String::from("Filtering the log data using \"x\"\n");
    let mut n = 0;
    for (i, (hhmm, msg)) in entries.iter().enumerate() {
        let t = ts(hhmm) + Duration::microseconds(i as i64);
        if t < from || t > to {
            continue;
        }
        n += 1;
        let msg = serde_json::to_string(msg).unwrap();
        out.push_str(&format!(
            "{{\"timestamp\":\"{}\",\"eventMessage\":{msg},\"processImagePath\":\"\\/usr\\/libexec\\/{process}\",\"subsystem\":\"com.apple.ManagedClient\",\"messageType\":\"Default\",\"processID\":7,\"userID\":0,\"backtrace\":{{\"frames\":[{{\"imageOffset\":1,\"imageUUID\":\"{}\"}}]}}}}\n",
            t.format("%Y-%m-%d %H:%M:%S%.6f%z"),
            "5B2A8E0C-2F2E-3B8A-9C44-7A1E6F0B2D11".repeat(4),
        ));
    }
    out.push_str(&format!("{{\"count\":{n},\"finished\":1}}\n"));
    out.into_bytes()
}

fn fake(now: DateTime<FixedOffset>, mdm: Vec<u8>, su: Vec<u8>, cfg: &Config) -> FakeSystem {
    let f = FakeSystem::new(now);
    for p in probes::independent(cfg) {
        let answer = match p.id.as_str() {
            probes::LOG_MDMCLIENT => Answer::ok(mdm.clone()),
            probes::LOG_SOFTWAREUPDATE => Answer::ok(su.clone()),
            _ => Answer::missing(),
        };
        f.answer(&p.id, answer);
    }
    f
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn window_start(now: DateTime<FixedOffset>, cfg: &Config) -> DateTime<FixedOffset> {
    now - Duration::minutes(i64::from(cfg.liveness_window_minutes))
}

struct Runs {
    full: Observations,
    incremental: Observations,
    cursor: LogCursor,
    second_commands: Vec<String>,
}

/// Full run at 10:00 vs run at 09:20 then incremental run at 10:00.
fn runs(mdm: Entries, su: Entries) -> Runs {
    let cfg = Config::default();
    let (t1, t2) = (ts("09:20"), ts("10:00"));
    let full_sys = fake(
        t2,
        ndjson(mdm, "mdmclient", window_start(t2, &cfg), t2),
        ndjson(su, "softwareupdated", window_start(t2, &cfg), t2),
        &cfg,
    );
    let full = block_on(observe::observe(&full_sys, &cfg));

    let first = fake(
        t1,
        ndjson(mdm, "mdmclient", window_start(t1, &cfg), t1),
        ndjson(su, "softwareupdated", window_start(t1, &cfg), t1),
        &cfg,
    );
    let (_, c1) = block_on(observe::observe_incremental(
        &first,
        &cfg,
        &LogCursor::default(),
    ));
    assert!(
        first.command_lines().iter().all(|c| !c.contains("--start")),
        "no cursor: full window"
    );
    // Round-trip through the state file's JSON, as a real run would.
    let c1 = LogCursor::from_extra(
        &serde_json::json!({ cursor::STATE_KEY: c1.to_value() })
            .as_object()
            .unwrap()
            .clone(),
    )
    .expect("cursor reads back");
    let q = c1.plan(t2, cfg.liveness_window_minutes);
    let (Query::Since(s_mdm), Query::Since(s_su)) = (q.mdmclient, q.softwareupdate) else {
        panic!("a fresh cursor gives an incremental query: {q:?}");
    };
    let second = fake(
        t2,
        ndjson(mdm, "mdmclient", s_mdm, t2),
        ndjson(su, "softwareupdated", s_su, t2),
        &cfg,
    );
    let (incremental, cursor) = block_on(observe::observe_incremental(&second, &cfg, &c1));
    Runs {
        full,
        incremental,
        cursor,
        second_commands: second.command_lines(),
    }
}

fn finding(o: &Observations, id: &str) -> Finding {
    mdmwatch::report::findings(&checks::diagnose(o, &Config::default()))
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

const CLIENT_FACTS: &[&str] = &[
    "state",
    "stuck_reason",
    "last_success",
    "last_error",
    "last_error_text",
    "last_command",
    "last_command_at",
    "unanswered_command",
    "successes",
    "errors",
    "commands",
];
const DAEMON_FACTS: &[&str] = &[
    "state",
    "stuck_reason",
    "last_progress",
    "failures",
    "last_install_state",
    "status_reports",
    "mdmclient_state",
    "addigy_rule",
    "su_command",
];

/// The same status, summary, evidence and key facts.
fn same(r: &Runs, id: &str, facts: &[&str]) -> Finding {
    let (a, b) = (finding(&r.full, id), finding(&r.incremental, id));
    assert_eq!(a.status, b.status, "{id}: {} vs {}", a.summary, b.summary);
    assert_eq!(a.summary, b.summary, "{id}");
    assert_eq!(a.evidence, b.evidence, "{id}");
    for k in facts {
        assert_eq!(a.facts.get(*k), b.facts.get(*k), "{id} fact {k}");
    }
    b
}

fn assert_incremental(r: &Runs) {
    let starts: Vec<&String> = r
        .second_commands
        .iter()
        .filter(|c| c.contains("/usr/bin/log show"))
        .collect();
    assert_eq!(starts.len(), 2);
    assert!(
        starts
            .iter()
            .all(|c| c.contains("--start '2026-11-20 09:15:00-05:00'")),
        "{starts:?}"
    );
}

fn healthy_mdm() -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    for hhmm in [
        "07:40", "08:05", "08:35", "08:50", "09:05", "09:12", "09:18", "09:30", "09:45", "09:58",
    ] {
        v.push((hhmm, "Received HTTP response (200) [Idle]"));
        v.push((hhmm, "Checking for MDM configuration profile"));
    }
    v.push((
        "09:10",
        "Processing server request: InstallProfile for: <Device> (x)",
    ));
    v.push((
        "09:11",
        "Received HTTP response (200) [Acknowledged(InstallProfile):0]",
    ));
    v.sort();
    v
}

const SU_WORKING: &[(&str, &str)] = &[
    ("08:40", "[scan]startCatalogDownload... (su)"),
    (
        "09:00",
        "Reporting status {\n    \"softwareupdate.install-state\" = downloading;\n}",
    ),
    ("09:50", "6d41b000 : Cryptex patch progress: 80%"),
];

#[test]
fn healthy_is_the_same_incrementally() {
    let mdm = healthy_mdm();
    let r = runs(&mdm, SU_WORKING);
    assert_incremental(&r);
    let f = same(&r, CLIENT_LIVENESS, CLIENT_FACTS);
    assert_eq!(f.facts["state"], "alive");
    same(&r, DAEMON_LIVENESS, DAEMON_FACTS);
    assert_eq!(
        r.incremental.mdm_log.as_ref().unwrap().events,
        r.full.mdm_log.as_ref().unwrap().events
    );
}

#[test]
fn stuck_with_the_unanswered_command_before_the_split() {
    let mdm: &[(&str, &str)] = &[
        ("08:00", "Received HTTP response (200) [Idle]"),
        ("08:45", "Received HTTP response (200) [Idle]"),
        // Received before the first run; the answer never comes (spans the split).
        (
            "09:05",
            "Processing server request: ScheduleOSUpdate for: <Device> (x)",
        ),
        ("09:06", "Checking for MDM configuration profile"),
        ("09:25", ">>>>> Sending HTTP request (PUT) [Idle] >>>>>"),
        ("09:25", "Received HTTP response (503) [Idle]"),
        ("09:40", "Received HTTP response (503) [Idle]"),
        ("09:55", "Received HTTP response (503) [Idle]"),
    ];
    let su: &[(&str, &str)] = &[
        // Progress part-way before the split, nothing after: stalled in both readings.
        ("08:50", "6d41b000 : Cryptex patch progress: 40%"),
        (
            "08:55",
            "Reporting status {\n    \"softwareupdate.install-state\" = downloading;\n}",
        ),
    ];
    let r = runs(mdm, su);
    assert_incremental(&r);
    let f = same(&r, CLIENT_LIVENESS, CLIENT_FACTS);
    assert_eq!(f.facts["state"], "stuck");
    assert_eq!(f.facts["stuck_reason"], "unanswered_command");
    assert_eq!(f.facts["unanswered_command"], "ScheduleOSUpdate");
    let d = same(&r, DAEMON_LIVENESS, DAEMON_FACTS);
    assert_eq!(d.facts["state"], "stuck");
    assert_eq!(
        checks::diagnose(&r.incremental, &Config::default()).install,
        checks::diagnose(&r.full, &Config::default()).install
    );
}

#[test]
fn quiet_stays_quiet() {
    let mdm: &[(&str, &str)] = &[
        ("08:00", "Checking for MDM configuration profile"),
        ("09:30", "Looking up APNs topic for <private>"),
    ];
    let r = runs(mdm, &[]);
    assert_incremental(&r);
    let f = same(&r, CLIENT_LIVENESS, CLIENT_FACTS);
    assert_eq!(f.facts["state"], "quiet");
    same(&r, DAEMON_LIVENESS, DAEMON_FACTS);
    // A complete read moves the cursor to the read's time even with no relevant entry.
    let c = r.cursor.log_mdmclient.as_ref().unwrap();
    assert_eq!(c.until, "2026-11-20T10:00:00.000000-05:00");
    assert!(c.events.is_empty());
}

#[test]
fn identity_errors_before_the_split_are_kept() {
    let mdm: &[(&str, &str)] = &[
        ("07:45", "Unable to create MDM identity"),
        ("08:40", "Unable to create MDM identity"),
        ("09:05", "Unable to create MDM identity"),
        ("09:17", "Unable to create MDM identity"),
        ("09:30", ">>>>> Sending HTTP request (PUT) [Idle] >>>>>"),
        ("09:50", "Unable to create MDM identity"),
    ];
    let r = runs(mdm, &[]);
    assert_incremental(&r);
    let f = same(&r, CLIENT_LIVENESS, CLIENT_FACTS);
    assert_eq!(f.facts["state"], "stuck");
    let ids = |o: &Observations| {
        o.mdm_log
            .as_ref()
            .unwrap()
            .identity_errors
            .iter()
            .filter(|l| l.time.is_some_and(|t| t >= ts("08:30")))
            .map(|l| l.timestamp.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&r.incremental), ids(&r.full));
    assert_eq!(ids(&r.full).len(), 4);
    same(&r, checks::IDENTITY, &["identity_errors"]);
}

#[test]
fn a_rejected_start_falls_back_to_the_full_window() {
    let cfg = Config::default();
    let now = ts("10:00");
    let mdm = healthy_mdm();
    let whole = ndjson(&mdm, "mdmclient", window_start(now, &cfg), now);
    let sys = fake(
        now,
        whole.clone(),
        ndjson(&[], "softwareupdated", now, now),
        &cfg,
    );
    // The --start query fails (as `log` does on a date it cannot read), then the full one runs.
    let sys = {
        let f = FakeSystem::new(now);
        for p in probes::independent(&cfg) {
            if p.id == probes::LOG_MDMCLIENT {
                f.answer(&p.id, Answer::fail(64, "log: invalid date"));
                f.answer(&p.id, Answer::ok(whole.clone()));
            } else if p.id == probes::LOG_SOFTWAREUPDATE {
                f.answer(&p.id, Answer::ok(ndjson(&[], "softwareupdated", now, now)));
            } else {
                f.answer(&p.id, Answer::missing());
            }
        }
        drop(sys);
        f
    };
    let c = LogCursor {
        version: cursor::VERSION,
        log_mdmclient: Some(cursor::ProbeCursor {
            until: "2026-11-20T09:20:00-05:00".into(),
            window_minutes: cfg.liveness_window_minutes,
            ..Default::default()
        }),
        log_softwareupdate: None,
    };
    let (obs, next) = block_on(observe::observe_incremental(&sys, &cfg, &c));
    let logs: Vec<String> = sys
        .command_lines()
        .into_iter()
        .filter(|c| c.contains("log show"))
        .collect();
    assert_eq!(logs.len(), 3, "{logs:?}");
    assert!(logs[0].contains("--start") || logs[1].contains("--start"));
    assert!(logs[2].contains("--last 90m"));
    let f = finding(&obs, CLIENT_LIVENESS);
    assert_eq!(f.facts["state"], "alive");
    assert_eq!(
        f.facts["successes"],
        finding(&runs(&mdm, &[]).full, CLIENT_LIVENESS).facts["successes"]
    );
    assert!(next.log_mdmclient.is_some());
}

#[test]
fn the_cursor_is_written_under_the_lock_and_keeps_heal_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        state_path: Some(dir.path().join("state.json")),
        ..Config::default()
    };
    let path = cfg.state_path();
    let mut st = mdmwatch::state::State::default();
    st.record_intent(
        mdmwatch::state::Service::Mdmclient,
        ts("09:00"),
        "kickstart",
    );
    mdmwatch::state::save(&path, &st).unwrap();
    let c = LogCursor {
        version: cursor::VERSION,
        log_mdmclient: Some(cursor::ProbeCursor {
            until: "2026-11-20T09:20:00.000000-05:00".into(),
            window_minutes: 90,
            ..Default::default()
        }),
        log_softwareupdate: None,
    };
    block_on(mdmwatch::heal::store_state_key(
        &cfg,
        cursor::STATE_KEY,
        c.to_value(),
        std::time::Duration::from_secs(1),
    ))
    .unwrap();
    let mdmwatch::state::Loaded::Found(back) = mdmwatch::state::load(&path) else {
        panic!("state reads back");
    };
    assert_eq!(back.last_mdm_kickstart, st.last_mdm_kickstart);
    assert_eq!(back.services, st.services);
    assert_eq!(LogCursor::from_extra(&back.extra), Some(c));
    // A bad state file is left for heal: the cursor is not written over it.
    std::fs::write(&path, b"{not json").unwrap();
    assert!(block_on(mdmwatch::heal::store_state_key(
        &cfg,
        cursor::STATE_KEY,
        serde_json::Value::Null,
        std::time::Duration::from_secs(1),
    ))
    .is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"{not json");
}
