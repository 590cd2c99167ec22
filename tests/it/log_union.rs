//! One `log show` per run: the three log streams (`log_mdmclient`, `log_softwareupdate`,
//! `log_apsd`) are answered by one process whose predicate is the union of theirs, its output
//! sorted into the streams by image path (and markers) as it is read. Tested on the fake system
//! (`--sysroot`, a fake `log` that records every call): a normal run (channel history present)
//! starts exactly one `log show`; the first run adds the one look-back with its own narrow
//! predicate; and the streams it writes into a capture give the same log verdicts as the
//! per-stream files of the real-text captures they were merged from. Then a simulated day of
//! scheduled runs through the real planning and state file: the windows follow the schedule.

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

/// `diagnose --json` under `root` with its state file in `state_dir`, the report parsed.
fn diagnose_in(root: &Path, state_dir: &Path) -> serde_json::Value {
    let state = state_dir.join("state.json");
    let out = mdmwatch(&[
        "diagnose",
        "--json",
        "--sysroot",
        root.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_run_starts_exactly_one_log_show_with_the_union_of_the_predicates() {
    let root = tempfile::tempdir().unwrap();
    fake_log(
        root.path(),
        &merged_output(&captures_dir().join("real-healthy-exchange")),
    );
    let state = tempfile::tempdir().unwrap();
    // The first run (no channel history): the union, and the look-back once beside it.
    diagnose_in(root.path(), state.path());
    let first = log_calls(root.path());
    assert_eq!(first.len(), 2, "first run: union + look-back: {first:#?}");
    let lookback: Vec<&String> = first.iter().filter(|c| c.contains("[7d]")).collect();
    assert_eq!(lookback.len(), 1, "{first:#?}");
    let narrow = mdmwatch::probes::mdmclient_lookback_predicate();
    assert!(
        lookback[0].contains(&format!("[{narrow}]")),
        "the look-back's own narrow predicate: {}",
        lookback[0]
    );
    assert!(!lookback[0].contains(") OR ("), "{}", lookback[0]);
    // The normal run (history recorded by the first): exactly one log show, the union.
    std::fs::remove_file(root.path().join("calls.log")).unwrap();
    let report = diagnose_in(root.path(), state.path());
    let calls = log_calls(root.path());
    assert_eq!(calls.len(), 1, "one log process per run: {calls:#?}");
    let call = &calls[0];
    assert!(call.starts_with("log [show]"), "{call}");
    // The union is every stream's own predicate whole (exact image paths AND markers).
    for p in [
        mdmwatch::probes::mdmclient_predicate(),
        mdmwatch::probes::softwareupdate_predicate(),
        mdmwatch::probes::apsd_predicate(),
    ] {
        assert!(call.contains(&format!("({p})")), "{p} in {call}");
    }
    assert!(!call.contains("process =="), "image paths only: {call}");
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
    assert!(!probes.iter().any(|p| p["id"] == "log_mdmclient_lookback"));
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

/// A simulated day of scheduled runs (every 95 to 97 minutes, the Mac asleep for five hours once)
/// through the real planning, window and state file, on the fake system: every run starts one
/// `log show` (the first also the look-back), and the windows it asks for cover the day without a
/// gap and overlap by at most two minutes; after a sleep longer than the cap the window is the cap.
#[test]
fn a_day_of_scheduled_runs_reads_the_log_without_gaps_or_large_overlaps() {
    use chrono::{DateTime, Duration, FixedOffset};
    use clap::Parser;
    use mdmwatch::system::fake::{Answer, FakeSystem};
    use mdmwatch::system::{Source, System};
    use mdmwatch::{app, cli::Cli, config::Config, probes};

    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        state_path: Some(dir.path().join("state.json")),
        ..Config::default()
    };
    let (min, cap) = (cfg.liveness_window_minutes, cfg.log_window_max_minutes);
    let cli = Cli::try_parse_from(["mdmwatch", "run"]).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let empty_log = "Filtering the log data using \"...\"\n{\"count\":0,\"finished\":1}\n";
    let start: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-11-20T00:00:00-05:00").unwrap();
    let mut minute = 0i64;
    let mut previous: Option<DateTime<FixedOffset>> = None;
    let mut runs = 0;
    let mut slept = false;
    for k in 0..18i64 {
        minute += 95 + k % 3;
        if k == 9 {
            minute += 300;
        }
        let now = start + Duration::minutes(minute);
        let sys = FakeSystem::new(now);
        for p in probes::independent(&cfg) {
            let answer = if probes::LOG_STREAMS.contains(&p.id.as_str()) {
                Answer::ok(empty_log)
            } else {
                Answer::missing()
            };
            sys.answer(&p.id, answer);
        }
        sys.answer(probes::LOG_MDMCLIENT_LOOKBACK, Answer::ok(empty_log));
        let (obs, diag) = rt.block_on(app::observe_and_diagnose_with_history(&cli, &sys, &cfg));
        let mut report = app::build_report(&obs, &diag, "run", sys.describe());
        app::record_channel_history(&cli, &sys, &cfg, (&obs, &diag), false, &mut report);
        assert!(report.errors.is_empty(), "{:?}", report.errors);

        let logs: Vec<Vec<String>> = sys
            .calls()
            .into_iter()
            .filter_map(|p| match p.source {
                Source::Command { program, args } if program == "/usr/bin/log" => Some(args),
                _ => None,
            })
            .collect();
        let last = |args: &Vec<String>| {
            let at = args.iter().position(|a| a == "--last").unwrap();
            args[at + 1].clone()
        };
        let union: Vec<&Vec<String>> = logs.iter().filter(|a| last(a).ends_with('m')).collect();
        assert_eq!(
            union.len(),
            1,
            "run {k}: one log show for the streams: {logs:#?}"
        );
        if k == 0 {
            assert_eq!(
                logs.len(),
                2,
                "first run: the look-back beside it: {logs:#?}"
            );
            let lb = logs
                .iter()
                .find(|a| last(a) == "7d")
                .expect("look-back over 7 days");
            assert!(
                lb.contains(&probes::mdmclient_lookback_predicate()),
                "{lb:?}"
            );
        } else {
            assert_eq!(logs.len(), 1, "run {k}: exactly one log show: {logs:#?}");
        }
        let w: i64 = last(union[0]).trim_end_matches('m').parse().unwrap();
        assert!(
            (i64::from(min)..=i64::from(cap)).contains(&w),
            "run {k}: {w} min"
        );
        let window_start = now - Duration::minutes(w);
        match previous {
            None => assert_eq!(w, i64::from(min), "no history: the configured window"),
            Some(p) if (now - p).num_minutes() <= i64::from(cap) => {
                assert!(
                    window_start <= p,
                    "run {k}: gap after {p}: window {w} min at {now}"
                );
                let overlap = (p - window_start).num_minutes();
                assert!(overlap <= 2, "run {k}: overlap {overlap} min");
            }
            Some(_) => {
                assert_eq!(w, i64::from(cap), "run {k}: after a long sleep, the cap");
                slept = true;
            }
        }
        previous = Some(now);
        runs += 1;
    }
    assert_eq!(runs, 18);
    assert!(slept, "the day includes a sleep longer than the cap");
}
