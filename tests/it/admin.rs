//! What an admin sees: honest exit statuses and first lines, heal errors that stop heal, replay of
//! a capture nobody vouches for (symlinks, FIFOs, huge side files, forged values), and output fit
//! for people and for logs.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{captures_dir, copy_capture, diagnose_json, mdmwatch, run, Run};

/// Tests run the built binary with redirections and limits; outside the probe boundary.
#[allow(clippy::disallowed_methods)]
fn command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    std::process::Command::new(program)
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mdmwatch")
}

fn text(o: &Run) -> (String, String) {
    (o.stdout_text(), o.stderr_text())
}

/// A capture with only `meta.json`: every probe "not available".
fn empty_capture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cap");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("meta.json"),
        r#"{"captured_at":"2026-11-20T10:00:00-05:00","mdmwatch_version":"0.1.0"}"#,
    )
    .unwrap();
    (tmp, dir)
}

/// Runs the binary with a deadline: a hang is a test failure, not a stuck test run.
fn run_with_deadline(args: &[&str], secs: u64) -> Run {
    let mut cmd = command(bin());
    cmd.args(args)
        .env_remove("MDMWATCH_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Run::new(&cmd, child.wait_with_output().unwrap());
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mdmwatch {args:?} still running after {secs} s (blocked)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
}

// ---- honest results ----

#[test]
fn nothing_determined_exits_3_with_a_first_line_saying_why() {
    // Live on Linux: not macOS.
    if !cfg!(target_os = "macos") {
        let o = mdmwatch(&["diagnose"]);
        let (out, _) = text(&o);
        assert_eq!(o.status.code(), Some(3), "{out}");
        let first = out.lines().next().unwrap();
        assert!(
            first.contains("not macOS") && first.contains("--replay DIR"),
            "{first}"
        );
        assert!(
            out.contains("MDMEnrolled: unknown"),
            "the Addigy keys still follow"
        );
    }
    // A capture where every probe is missing: the first line names the failed probes.
    let (_t, cap) = empty_capture();
    let o = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.contains("could not determine anything"), "{first}");
    assert!(first.contains("sw_vers (not available)"), "{first}");
    // JSON: the same code, the reason first in `errors`, said on stderr too.
    let (code, report) = diagnose_json(&cap, &[]);
    assert_eq!(code, 3);
    assert!(report["errors"][0]
        .as_str()
        .unwrap()
        .contains("could not determine anything"));
    let o = mdmwatch(&["diagnose", "--json", "--replay", cap.to_str().unwrap()]);
    assert!(text(&o).1.contains("could not determine anything"));
    // Some determined facts among unknown ones: not exit 3.
    let (code, _) = diagnose_json(&captures_dir().join("probe-failures"), &[]);
    assert_ne!(code, 3);
}

#[test]
fn status_files_say_healthy_unknown_when_nothing_was_determined() {
    let (tmp, cap) = empty_capture();
    let status = tmp.path().join("status");
    let o = mdmwatch(&[
        "run",
        "--replay",
        cap.to_str().unwrap(),
        "--status-dir",
        status.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(text(&o).1.contains("could not determine anything"));
    let d = plist::Value::from_file(status.join("status.plist")).unwrap();
    let d = d.as_dictionary().unwrap();
    assert_eq!(d["Healthy"].as_string(), Some("unknown"));
    assert_eq!(d["ExitCode"].as_signed_integer(), Some(3));
    // And a healthy capture still says true.
    let status2 = tmp.path().join("status2");
    let healthy = captures_dir().join("healthy");
    let o = mdmwatch(&[
        "run",
        "--replay",
        healthy.to_str().unwrap(),
        "--status-dir",
        status2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let d = plist::Value::from_file(status2.join("status.plist")).unwrap();
    assert_eq!(
        d.as_dictionary().unwrap()["Healthy"].as_string(),
        Some("true")
    );
}

/// A capture taken without root whose mdmclient log timed out (`probe-failures`): no check failed,
/// but several could not be determined. Neither status file may call that Mac healthy.
#[test]
fn a_non_root_capture_is_never_healthy_true() {
    let cap = captures_dir().join("probe-failures");
    let meta = fs::read_to_string(cap.join("meta.json")).unwrap();
    assert!(meta.contains("\"root\": false"), "{meta}");
    let tmp = tempfile::tempdir().unwrap();
    let status = tmp.path().join("status");
    let o = mdmwatch(&[
        "run",
        "--replay",
        cap.to_str().unwrap(),
        "--status-dir",
        status.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let d = plist::Value::from_file(status.join("status.plist")).unwrap();
    let d = d.as_dictionary().unwrap();
    assert_eq!(d["Healthy"].as_string(), Some("unknown"));
    assert_eq!(d["ProblemCount"].as_signed_integer(), Some(0));
    let unknowns = d["Unknowns"].as_string().unwrap();
    assert!(unknowns.contains("mdm.client_liveness"), "{unknowns}");
    assert!(d["UnknownCount"].as_signed_integer().unwrap() >= 3);
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(status.join("status.json")).unwrap()).unwrap();
    common::assert_valid(&v);
    assert_eq!(v["overall"]["Healthy"], serde_json::Value::Null);
    assert_eq!(
        v["overall"]["UnknownCount"].as_i64(),
        d["UnknownCount"].as_signed_integer()
    );
    assert_eq!(v["overall"]["Verdict"], d["Verdict"].as_string().unwrap());
    // The human report says it first: incomplete, and why (root).
    let o = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]);
    let first = o.stdout_text().lines().next().unwrap().to_string();
    assert!(
        first.contains("checks incomplete") && first.contains("sudo"),
        "{first}"
    );
}

/// Every shipped capture, replayed as taken without root (`"root": false` in meta.json): neither
/// status file ever says Healthy true, whatever the outputs let the checks conclude (a run
/// without root cannot read device profiles, the System keychain or mdmclient's device queries).
#[test]
fn no_capture_taken_without_root_is_healthy_true() {
    let mut was_healthy = 0;
    for e in fs::read_dir(captures_dir()).unwrap() {
        let cap = e.unwrap().path();
        let Ok(meta) = fs::read_to_string(cap.join("meta.json")) else {
            continue;
        };
        let name = cap.file_name().unwrap().to_str().unwrap().to_string();
        let run_status = |cap: &Path, dir: &Path| {
            let o = mdmwatch(&[
                "run",
                "--replay",
                cap.to_str().unwrap(),
                "--status-dir",
                dir.to_str().unwrap(),
            ]);
            let d = plist::Value::from_file(dir.join("status.plist"))
                .unwrap_or_else(|e| panic!("{name}: {e}: {:?}", text(&o)));
            let v: serde_json::Value =
                serde_json::from_slice(&fs::read(dir.join("status.json")).unwrap()).unwrap();
            let plist_healthy = d.as_dictionary().unwrap()["Healthy"]
                .as_string()
                .unwrap()
                .to_string();
            // Why it is not healthy is machine-readable too: the run's root, in both files.
            let plist_root = d.as_dictionary().unwrap()["Root"].as_string().unwrap();
            assert_eq!(
                serde_json::Value::from(plist_root == "true"),
                v["overall"]["Root"],
                "{name}"
            );
            (
                plist_healthy,
                v["overall"]["Healthy"].clone(),
                plist_root.to_string(),
            )
        };
        let (tmp, copy) = copy_capture(&name);
        let as_root = run_status(&copy, &tmp.path().join("root"));
        if as_root.0 == "true" {
            was_healthy += 1;
        }
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        let mut meta = meta.as_object().unwrap().clone();
        meta.insert("root".into(), false.into());
        fs::write(copy.join("meta.json"), serde_json::to_vec(&meta).unwrap()).unwrap();
        let (plist_healthy, json_healthy, root) = run_status(&copy, &tmp.path().join("user"));
        assert_eq!(root, "false", "{name}");
        assert_ne!(plist_healthy, "true", "{name}");
        assert_ne!(json_healthy, serde_json::Value::Bool(true), "{name}");
    }
    // The rule is tested where it bites: captures that are healthy with root.
    assert!(was_healthy >= 3, "only {was_healthy} healthy captures");
}

/// Every time in `text` that carries a zone (`Z`, `+HHMM`, `+HH:MM`): as written, with its end.
fn zoned_times(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 19 <= b.len() {
        let shape = b"dddd-dd-dd?dd:dd:dd";
        let hit = (i == 0 || !b[i - 1].is_ascii_digit())
            && shape.iter().enumerate().all(|(k, w)| match w {
                b'd' => b[i + k].is_ascii_digit(),
                b'?' => b[i + k] == b'T' || b[i + k] == b' ',
                c => b[i + k] == *c,
            });
        if !hit {
            i += 1;
            continue;
        }
        let mut end = i + 19;
        while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
            end += 1;
        }
        let zoned = match b.get(end) {
            Some(b'Z') => Some(end + 1),
            Some(b'+' | b'-') => {
                let mut e = end + 1;
                while e < b.len() && (b[e].is_ascii_digit() || b[e] == b':') {
                    e += 1;
                }
                Some(e)
            }
            _ => None,
        };
        if let Some(e) = zoned {
            out.push(&text[i..e]);
            i = e;
        } else {
            i = end;
        }
    }
    out
}

/// One time format: in every shipped capture's JSON report (outside evidence, which quotes what
/// was logged) and human report, every time with a zone is RFC 3339 at the Mac's local offset
/// (that of `generated_at`) in whole seconds. The Addigy lines keep Go's never (no zone digits
/// follow the seconds there); a DDM declaration's wall-clock target has no zone and is left as
/// declared.
#[test]
fn one_time_format_in_every_report() {
    let mut seen = 0;
    for e in fs::read_dir(captures_dir()).unwrap() {
        let cap = e.unwrap().path();
        if !cap.join("meta.json").exists() {
            continue;
        }
        let name = cap.file_name().unwrap().to_str().unwrap().to_string();
        let (_, mut r) = diagnose_json(&cap, &[]);
        let generated = r["generated_at"].as_str().unwrap().to_string();
        let offset = &generated[19..];
        fn strip(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(o) => {
                    o.remove("evidence");
                    o.remove("probes");
                    o.values_mut().for_each(strip);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        strip(&mut r);
        let json = r.to_string();
        let human = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]).stdout_text();
        for (what, text) in [("json", json.as_str()), ("text", human.as_str())] {
            for t in zoned_times(text) {
                seen += 1;
                let ok = t.len() == 25
                    && t.as_bytes()[10] == b'T'
                    && &t[19..] == offset
                    && chrono::DateTime::parse_from_rfc3339(t).is_ok();
                assert!(ok, "{name} {what}: {t:?} is not RFC 3339 at {offset}");
            }
        }
    }
    assert!(seen > 100, "only {seen} times seen");
}

/// Admin words in the text report: no cause, state or setting code of the JSON appears in any
/// shipped capture's `-diagnose` text (heal's own section, which names its grounds, aside).
#[test]
fn the_text_report_speaks_admin_words() {
    for e in fs::read_dir(captures_dir()).unwrap() {
        let cap = e.unwrap().path();
        if !cap.join("meta.json").exists() {
            continue;
        }
        let out = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]).stdout_text();
        let text = out.split("\nHeal would").next().unwrap();
        for code in [
            "server_error",
            "auth_rejected",
            "transport_failure",
            "client_wedged",
            "not_offered",
            "not_root",
            "heal_mdmclient",
            "heal_softwareupdated",
            "probe log_",
            "probe identity_",
            "probe profiles_",
            "probe pmset_",
            "mdmclient_qdi printed",
            "timed out: timed out",
            "download_or_prepare_failing",
            "declaration_missing_or_invalid",
            "prerequisites_blocking",
            "not_offered_yet",
        ] {
            assert!(!text.contains(code), "{}: {code}\n{text}", cap.display());
        }
    }
}

/// An unenrolled Mac: the checks that need an MDM are marked not applicable and not counted.
#[test]
fn enrollment_dependent_checks_are_not_applicable_when_not_enrolled() {
    let (code, r) = diagnose_json(&captures_dir().join("not-enrolled"), &[]);
    assert_eq!(code, 1);
    for id in ["mdm.identity", "mdm.client_liveness", "bootstrap_token"] {
        assert_eq!(r["checks"][id]["status"], "not_applicable", "{id}");
    }
    let na = r["overall"]["NotApplicable"].as_array().unwrap();
    assert!(na.iter().any(|x| x == "mdm.client_liveness"), "{na:?}");
    assert!(!r["overall"]["Problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "mdm.client_liveness"));
}

/// Answer first: the verdict line, then the problems, `ok` lines collapsed unless --verbose.
#[test]
fn the_report_leads_with_the_verdict_then_the_problems() {
    let cap = captures_dir().join("readiness-token-not-escrowed");
    let o = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]);
    let out = o.stdout_text();
    let lines: Vec<&str> = out.lines().collect();
    // The channel verdict where there is one, then the problems counted.
    assert!(
        lines[0].starts_with("mdmwatch: MDM channel: connected: ")
            && lines[0].ends_with("; 2 problems"),
        "{out}"
    );
    assert!(lines[2].starts_with("[warning] bootstrap_token: "), "{out}");
    assert!(!out.contains("[ok] os.version"), "{out}");
    assert!(
        out.contains("[ok] 12 checks (--verbose lists them)"),
        "{out}"
    );
    // Every reason once: the readiness problem points at the Readiness block.
    assert_eq!(
        out.matches("no bootstrap token escrowed").count(),
        2,
        "{out}"
    );
    assert!(!out.contains("fix the blocking findings"), "{out}");
    let o = mdmwatch(&["-diagnose", "-verbose", "--replay", cap.to_str().unwrap()]);
    assert!(o.stdout_text().contains("[ok] os.version"));
    // No line is too long to read (evidence quotes excepted, which --verbose adds).
    let o = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]);
    for l in o.stdout_text().lines() {
        assert!(l.chars().count() <= 300, "{l}");
    }
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// heal as root against an empty sysroot (nothing is stuck, nothing would run), with the state
/// next to a lock path or state file the test spoils.
fn heal_with_state(state: &Path) -> Run {
    let empty = state.parent().unwrap().join("sysroot");
    fs::create_dir_all(&empty).unwrap();
    mdmwatch(&[
        "heal",
        "--json",
        "--sysroot",
        empty.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ])
}

#[test]
fn an_error_that_stops_heal_exits_2_and_is_in_the_heal_section() {
    if !is_root() {
        println!("not root: heal refuses before taking the lock; skipping");
        return;
    }
    // The lock path is a symlink.
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let target = tmp.path().join("elsewhere");
    fs::write(&target, b"").unwrap();
    std::os::unix::fs::symlink(&target, tmp.path().join("state.json.lock")).unwrap();
    let o = heal_with_state(&state);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("heal stopped") && err.contains("lock"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    common::assert_valid(&v);
    assert!(v["heal"]["error"].as_str().unwrap().contains("lock"), "{v}");

    // The state file is corrupt (a write cut short) and recent: set aside, heal does nothing
    // this run. (A file that is not recognisably a state file is refused before, see root_safety.)
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    fs::write(&state, b"{\"version\": 1, \"services\": {\"mdmcl").unwrap();
    let o = heal_with_state(&state);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("heal stopped"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["heal"]["error"].as_str().unwrap().contains("state file"));

    // A clean state: no error, no exit 2.
    let tmp = tempfile::tempdir().unwrap();
    let o = heal_with_state(&tmp.path().join("state.json"));
    assert_ne!(o.status.code(), Some(2), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["heal"].get("error").is_none());
}

#[test]
fn replay_timeouts_show_the_recorded_duration_or_say_it_was_not_recorded() {
    let (_t, cap) = copy_capture("healthy");
    fs::write(cap.join("log_mdmclient.timeout"), b"").unwrap();
    fs::write(cap.join("log_mdmclient.duration_ms"), b"60012\n").unwrap();
    let (_, r) = diagnose_json(&cap, &[]);
    let reason = r["checks"]["mdm.client_liveness"]["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("timed out after 60012 ms"), "{reason}");

    fs::remove_file(cap.join("log_mdmclient.duration_ms")).unwrap();
    let (_, r) = diagnose_json(&cap, &[]);
    let reason = r["checks"]["mdm.client_liveness"]["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("duration not recorded"), "{reason}");
    assert!(!reason.contains("0 ms"), "{reason}");
}

#[test]
fn capture_records_each_probe_duration() {
    let root = tempfile::tempdir().unwrap();
    common::script(
        root.path(),
        "/usr/bin/sw_vers",
        "printf 'ProductVersion:\\t15.1\\nBuildVersion:\\t24B83\\n'",
    );
    let dir = root.path().join("cap");
    let o = mdmwatch(&[
        "capture",
        dir.to_str().unwrap(),
        "--sysroot",
        root.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let ms = fs::read_to_string(dir.join("sw_vers.duration_ms")).unwrap();
    assert!(ms.trim().parse::<u64>().is_ok(), "{ms:?}");
    // Unavailable probes record nothing at all.
    assert!(!dir.join("pmset_batt.duration_ms").exists());
}

#[test]
fn a_garbage_exit_file_is_described_as_what_it_holds() {
    let (_t, cap) = copy_capture("healthy");
    fs::write(cap.join("pmset_batt.exit"), b"banana\n").unwrap();
    let o = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]);
    // Long summaries wrap onto indented continuation lines: join them back.
    let out = text(&o).0.replace("\n    ", " ");
    let line = out.lines().find(|l| l.contains("power.battery")).unwrap();
    assert!(
        line.contains("pmset_batt.exit") && line.contains("banana"),
        "{line}"
    );
    assert!(!line.contains("killed by a signal"), "{line}");
}

#[test]
fn impossible_capture_and_file_times_are_said_as_such() {
    // A capture dated year 1 (Go's zero time): refused, not "-739938 day(s) ago".
    let (_t, cap) = copy_capture("healthy");
    fs::write(
        cap.join("meta.json"),
        r#"{"captured_at":"0001-01-01T00:00:00Z","mdmwatch_version":"0.1.0"}"#,
    )
    .unwrap();
    let o = mdmwatch(&["-diagnose", "--replay", cap.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(err.contains("impossible"), "{err}");
    assert!(!out.contains("day(s) ago"));

    // A last scan after the capture time: in the future, never a negative age.
    let (_t, cap) = copy_capture("healthy");
    fs::write(
        cap.join("su_prefs.stdout"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>LastSuccessfulDate</key><date>2027-06-01T00:00:00Z</date>
<key>RecommendedUpdates</key><array/>
</dict></plist>"#,
    )
    .unwrap();
    let (_, r) = diagnose_json(&cap, &[]);
    let f = &r["checks"]["softwareupdate.pending"];
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains("in the future"), "{summary}");
    assert!(!summary.contains("day(s) ago"), "{summary}");
    assert!(f["facts"]["days_since_last_successful_scan"].is_null());
}

// ---- replay trusts nothing ----

#[test]
fn replay_refuses_a_symlinked_probe_file_and_never_quotes_its_target() {
    let (tmp, cap) = copy_capture("healthy");
    let secret = tmp.path().join("shadow");
    fs::write(&secret, "root:SECRET-HASH-1234:19000:0:99999:7:::\n").unwrap();
    fs::remove_file(cap.join("pmset_batt.stdout")).unwrap();
    std::os::unix::fs::symlink(&secret, cap.join("pmset_batt.stdout")).unwrap();
    for args in [&["--json"][..], &["--verbose"][..]] {
        let mut a = vec!["diagnose", "--replay", cap.to_str().unwrap()];
        a.extend_from_slice(args);
        let o = mdmwatch(&a);
        let (out, _) = text(&o);
        assert!(!out.contains("SECRET-HASH"), "{out}");
        assert!(out.contains("symbolic link"), "{out}");
    }
}

#[test]
fn replay_never_blocks_on_a_fifo() {
    // A FIFO as meta.json: refused at once.
    let tmp = tempfile::tempdir().unwrap();
    let cap = tmp.path().join("cap");
    fs::create_dir_all(&cap).unwrap();
    mkfifo(&cap.join("meta.json"));
    let o = run_with_deadline(&["diagnose", "--replay", cap.to_str().unwrap()], 20);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("FIFO"), "{:?}", text(&o));

    // A FIFO as a probe's side files and output: refused, the rest of the report is complete.
    let (_t, cap) = copy_capture("healthy");
    for f in [
        "hw_model.exit",
        "pmset_batt.stdout",
        "sw_vers.stderr",
        "ddm_state.duration_ms",
    ] {
        let _ = fs::remove_file(cap.join(f));
        mkfifo(&cap.join(f));
    }
    let o = run_with_deadline(
        &["diagnose", "--json", "--replay", cap.to_str().unwrap()],
        20,
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    common::assert_valid(&r);
    assert!(r["checks"]["power.battery"]["reason"]
        .as_str()
        .unwrap()
        .contains("FIFO"));
    assert_eq!(r["checks"]["mdm.enrollment"]["status"], "ok");
}

#[test]
fn every_capture_file_is_read_with_a_bound() {
    // 1.5 GB side files (sparse: no disk used) under a 1 GB address-space limit: reading any of
    // them whole would abort the run.
    let (_t, cap) = copy_capture("healthy");
    for f in ["pmset_batt.exit", "sw_vers.stderr", "hw_model.duration_ms"] {
        let file = fs::File::create(cap.join(f)).unwrap();
        file.set_len(1536 * 1024 * 1024).unwrap();
    }
    let script = format!(
        "ulimit -v 1048576 && exec '{}' diagnose --json --replay '{}'",
        bin(),
        cap.display()
    );
    let mut sh = command("sh");
    sh.arg("-c").arg(&script);
    let o = run(sh);
    let (out, err) = text(&o);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let reason = r["checks"]["power.battery"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("pmset_batt.exit") && reason.contains("and more"),
        "{reason}"
    );
    assert!(reason.len() < 400, "{reason}");
    // The same with meta.json: refused by size, not read.
    let meta = cap.join("meta.json");
    let text_before = fs::read(&meta).unwrap();
    let f = fs::OpenOptions::new().append(true).open(&meta).unwrap();
    f.set_len(text_before.len() as u64 + 200 * 1024 * 1024)
        .unwrap();
    let o = mdmwatch(&["diagnose", "--replay", cap.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("larger than"), "{:?}", text(&o).1);
}

#[test]
fn a_forged_product_version_is_not_printed_as_the_os_version() {
    let (_t, cap) = copy_capture("healthy");
    let huge = "15.".to_string() + &"9".repeat(4 * 1024 * 1024);
    fs::write(
        cap.join("sw_vers.stdout"),
        format!("ProductName:\tmacOS\nProductVersion:\t{huge}\nBuildVersion:\t24B83\n"),
    )
    .unwrap();
    let (_, r) = diagnose_json(&cap, &[]);
    assert!(r["host"]["os_version"].is_null());
    let o = mdmwatch(&["-diagnose", "--verbose", "--replay", cap.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert!(out.len() < 64 * 1024, "report is {} bytes", out.len());
    // Long summaries wrap onto indented continuation lines: join them back.
    let out = out.replace("\n    ", " ");
    let line = out.lines().find(|l| l.contains("os.version")).unwrap();
    assert!(line.contains("[clipped"), "{line}");
}

#[test]
fn evidence_quoted_from_unparseable_output_is_clipped_and_marked() {
    let (_t, cap) = copy_capture("healthy");
    fs::write(cap.join("pmset_batt.stdout"), "z".repeat(100_000)).unwrap();
    let (_, r) = diagnose_json(&cap, &[]);
    let reason = r["checks"]["power.battery"]["reason"].as_str().unwrap();
    assert!(reason.len() < 1000, "{} bytes", reason.len());
    assert!(reason.contains("[clipped"), "{reason}");
}

// ---- output fit for people and for logs ----

/// Words that name a setting: CamelCase with a settings suffix, or the word after "set".
fn setting_like(word: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "Minutes",
        "Hours",
        "Days",
        "Seconds",
        "GB",
        "MB",
        "Liveness",
        "Thresholds",
        "Directory",
    ];
    let camel = word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && word.chars().skip(1).any(|c| c.is_ascii_uppercase())
        && word.chars().any(|c| c.is_ascii_lowercase())
        && word.chars().all(|c| c.is_ascii_alphanumeric());
    camel && (SUFFIXES.iter().any(|s| word.ends_with(s)) || word.starts_with("Heal"))
}

/// The texts people read: string literals of the sources, the docs, the package's profiles.
fn texts() -> Vec<(String, String)> {
    let root = common::root();
    let mut files = Vec::new();
    let mut stack = vec![root.join("src")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for f in &files {
        let src = fs::read_to_string(f).unwrap();
        for (n, line) in src.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // Odd segments between double quotes are (roughly) string literals.
            for (i, seg) in line.split('"').enumerate() {
                if i % 2 == 1 {
                    out.push((format!("{}:{}", f.display(), n + 1), seg.to_string()));
                }
            }
        }
    }
    for doc in [
        "README.md",
        "docs/DEPLOY.md",
        "docs/INTEGRATIONS.md",
        "pkg/jamf/io.mdmwatch.json",
        "pkg/profiles/io.mdmwatch.mobileconfig",
    ] {
        let text = fs::read_to_string(root.join(doc)).unwrap();
        for (n, line) in text.lines().enumerate() {
            out.push((format!("{doc}:{}", n + 1), line.to_string()));
        }
    }
    out
}

#[test]
fn every_setting_named_in_a_text_exists() {
    let known: Vec<&str> = mdmwatch::config::KEYS.iter().map(|k| k.key).collect();
    let exists = |w: &str| known.contains(&w.split('.').next().unwrap_or(w));
    let mut bad = Vec::new();
    for (at, text) in texts() {
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .map(|w| w.trim_matches('.'))
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let after_set = i > 0 && matches!(words[i - 1], "set" | "Set" | "setting");
            let named = setting_like(w)
                || (after_set
                    && w.chars().any(|c| c.is_ascii_lowercase())
                    && (w.contains('_') || w.chars().any(|c| c.is_ascii_uppercase())));
            if named && !exists(w) {
                bad.push(format!("{at}: {w}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "settings named but not in config::KEYS:\n{}",
        bad.join("\n")
    );
}

/// A settings file with an unknown key: mdmwatch warns on stderr.
fn warning_config(dir: &Path) -> PathBuf {
    let p = dir.join("warn.plist");
    fs::write(
        &p,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>NoSuchKey</key><true/></dict></plist>"#,
    )
    .unwrap();
    p
}

#[test]
fn no_colour_codes_when_stderr_is_not_a_terminal_or_no_color_is_set() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = warning_config(tmp.path());
    let healthy = captures_dir().join("healthy");
    let args = [
        "diagnose",
        "--replay",
        healthy.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ];
    // Piped (a Jamf policy log, launchd): plain text.
    let o = mdmwatch(&args);
    let err = text(&o).1;
    assert!(err.contains("NoSuchKey"), "{err}");
    assert!(!err.contains('\u{1b}'), "ANSI codes in {err:?}");
    // At a terminal (util-linux `script` gives a pty): colour unless NO_COLOR is set.
    if command("script").arg("--version").output().is_err() {
        println!("no `script` for a pty: terminal half skipped");
        return;
    }
    let line = format!("'{}' {}", bin(), args.join(" "));
    let at_tty = |no_color: Option<&str>| {
        let mut c = command("script");
        c.args(["-qec", &line, "/dev/null"])
            .env_remove("MDMWATCH_LOG");
        match no_color {
            Some(v) => c.env("NO_COLOR", v),
            None => c.env_remove("NO_COLOR"),
        };
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    assert!(at_tty(None).contains('\u{1b}'), "a terminal gets colour");
    let plain = at_tty(Some("1"));
    assert!(
        plain.contains("NoSuchKey") && !plain.contains('\u{1b}'),
        "{plain:?}"
    );
}

#[test]
fn verbose_evidence_spanning_lines_is_indented_and_control_characters_escaped() {
    let cap = captures_dir().join("softwareupdate-installing");
    let o = mdmwatch(&["diagnose", "--verbose", "--replay", cap.to_str().unwrap()]);
    let (out, _) = text(&o);
    // Every line is a key, a finding, or indented under one: no evidence line starts at column 0.
    let mut in_findings = false;
    for line in out.lines() {
        if line.starts_with('[') {
            in_findings = true;
            continue;
        }
        // The Addigy keys and the readiness block follow the problems, at column 0.
        if line.starts_with("MDM")
            || line.starts_with("Last")
            || line.starts_with("SoftwareUpdateDaemonRestarted:")
            || line.starts_with("Readiness")
            || line.starts_with("Heal would")
        {
            in_findings = false;
            continue;
        }
        if in_findings && !line.is_empty() && !line.starts_with(' ') && !line.starts_with('(') {
            panic!("evidence breaks the layout at {line:?}\n{out}");
        }
    }
    assert!(out.contains("Reporting status {\n          "), "{out}");

    let (_t, cap) = copy_capture("healthy");
    let mut pmset = fs::read(cap.join("pmset_batt.stdout")).unwrap();
    pmset.extend_from_slice(
        b"\x1b[2J\x1b]0;owned\x07 -InternalBattery-9 (id=1)\t99%; discharging;\n",
    );
    fs::write(cap.join("pmset_batt.stdout"), pmset).unwrap();
    let o = mdmwatch(&["diagnose", "--verbose", "--replay", cap.to_str().unwrap()]);
    assert!(!o.stdout.contains(&0x1b), "{}", text(&o).0);
}

#[test]
fn long_readiness_lines_wrap_per_kind() {
    let cap = captures_dir().join("readiness-as-battery-15");
    let o = mdmwatch(&["diagnose", "--replay", cap.to_str().unwrap()]);
    let (out, _) = text(&o);
    let i = out.lines().position(|l| l == "Readiness:").expect(&out);
    let kinds: Vec<&str> = out
        .lines()
        .skip(i + 1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    // Kinds that share a reason share a line (readiness groups them), so two lines here.
    assert!(kinds.len() >= 2, "{out}");
    assert!(kinds[0].trim_start().starts_with("update"), "{out}");
    assert!(kinds.iter().all(|k| k.len() <= 100), "{kinds:?}");
    // A short one stays one line.
    let healthy = captures_dir().join("healthy");
    let o = mdmwatch(&["diagnose", "--replay", healthy.to_str().unwrap()]);
    assert!(text(&o)
        .0
        .lines()
        .any(|l| l.starts_with("Readiness: update")));
}

#[test]
fn help_subcommand_mistyped_legacy_flags_and_ignored_flags() {
    let help = mdmwatch(&["--help"]);
    let sub = mdmwatch(&["help"]);
    assert_eq!(sub.status.code(), Some(0), "{:?}", text(&sub));
    assert_eq!(sub.stdout, help.stdout);
    assert!(text(&sub).0.contains("Output Details"));

    let o = mdmwatch(&["-diagnos"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("did you mean -diagnose?"),
        "{:?}",
        text(&o)
    );

    let tmp = tempfile::tempdir().unwrap();
    let o = mdmwatch(&["capture", tmp.path().join("c").to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("--json has no effect on capture"),
        "{:?}",
        text(&o)
    );
    assert!(
        !tmp.path().join("c").exists(),
        "refused before doing anything"
    );

    // diagnose --status-dir is accepted (live, heal's state.json is read there); a replay is
    // another Mac, so only a state file named with --state is read, never one in the status dir.
    let status = tmp.path().join("status");
    fs::create_dir_all(&status).unwrap();
    fs::write(
        status.join("state.json"),
        r#"{"last_mdm_kickstart":"2026-11-19T08:30:00Z"}"#,
    )
    .unwrap();
    let healthy = captures_dir().join("healthy");
    let (_, r) = diagnose_json(&healthy, &["--status-dir", status.to_str().unwrap()]);
    assert!(r["watchdog"]["LastMDMKickstart"].is_null());
    let state = status.join("state.json");
    let (_, r) = diagnose_json(&healthy, &["--state", state.to_str().unwrap()]);
    assert_eq!(
        r["watchdog"]["LastMDMKickstart"],
        "2026-11-19T08:30:00+00:00"
    );
}

#[test]
fn readme_lists_every_global_flag() {
    let full = fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = full
        .find("Global flags:")
        .expect("README has a 'Global flags:' line");
    let readme = &full[start..start + full[start..].find("\n\n").unwrap()];
    let help = text(&mdmwatch(&["--help"])).0;
    for flag in help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches([',', '.']))
    {
        if ["--help", "--version"].contains(&flag) {
            continue;
        }
        assert!(readme.contains(&format!("`{flag}")), "README lacks {flag}");
    }
}

// ---- capture --redact, and live commands off macOS ----

/// Every shipped capture, re-captured with `--redact`: the server host names, UUIDs, serials and
/// tokens are gone, and the replay reaches the same verdicts (statuses, Addigy keys, exit).
#[test]
fn redacted_captures_hide_identifiers_and_replay_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = |cap: &Path| {
        let (code, r) = diagnose_json(cap, &[]);
        let statuses: Vec<(String, String)> = r["checks"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v["status"].as_str().unwrap().to_string()))
            .collect();
        (
            code,
            statuses,
            r["watchdog"].clone(),
            r["readiness"].clone(),
        )
    };
    let mut compared = 0;
    for e in fs::read_dir(captures_dir()).unwrap() {
        let cap = e.unwrap().path();
        if !cap.join("meta.json").exists() {
            continue;
        }
        let name = cap.file_name().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join(&name);
        let o = mdmwatch(&[
            "capture",
            out.to_str().unwrap(),
            "--replay",
            cap.to_str().unwrap(),
            "--redact",
        ]);
        assert_eq!(o.status.code(), Some(0), "{name}: {:?}", text(&o));
        assert!(o.stderr_text().contains("redacted"), "{name}");
        for f in fs::read_dir(&out).unwrap() {
            let p = f.unwrap().path();
            let body = String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned();
            for secret in [
                "mdm.example.com",
                "3fb48527-9aaa-492d-94fc-efd999d812a3",
                "1923527f-da96-4d94-8a69-1f10956ba6a7",
            ] {
                assert!(!body.contains(secret), "{}: {secret}", p.display());
            }
        }
        let (a, b) = (summary(&cap), summary(&out));
        // Readiness text may quote a masked value; the verdicts per kind must agree.
        assert_eq!((a.0, &a.1, &a.2), (b.0, &b.1, &b.2), "{name}");
        for kind in ["update", "upgrade", "rsr", "mdm_initiated", "ddm_target"] {
            assert_eq!(a.3[kind]["verdict"], b.3[kind]["verdict"], "{name}: {kind}");
        }
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} captures");
}

/// Serials, UDIDs and tokens, which the shipped captures do not hold, planted where macOS prints
/// them (QueryDeviceInformation's answer, the bootstrap token status): masked in every file, and
/// the redacted capture replays to the same report.
#[test]
fn redact_masks_planted_serials_udids_and_tokens_and_still_replays() {
    let (tmp, cap) = copy_capture("healthy");
    let serial = "C02XK0AAJGH5";
    let udid = "00008103-001A2B3C4D5E001E";
    let token = "9B2C7E1A4D3F4A8B77C1";
    let qdi = fs::read_to_string(cap.join("mdmclient_qdi.stdout")).unwrap();
    let planted = qdi.replacen(
        "QueryResponses =     {\n",
        &format!(
            "QueryResponses =     {{\n        SerialNumber = {serial};\n        UDID = \"{udid}\";\n        \
             UnlockToken = {token};\n"
        ),
        1,
    );
    assert_ne!(planted, qdi, "the answer's shape changed");
    fs::write(cap.join("mdmclient_qdi.stdout"), planted).unwrap();
    let out = tmp.path().join("redacted");
    let o = mdmwatch(&[
        "capture",
        out.to_str().unwrap(),
        "--replay",
        cap.to_str().unwrap(),
        "--redact",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    for f in fs::read_dir(&out).unwrap() {
        let p = f.unwrap().path();
        let body = String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned();
        for secret in [serial, udid, token] {
            assert!(!body.contains(secret), "{}: {secret}", p.display());
        }
    }
    let masked = fs::read_to_string(out.join("mdmclient_qdi.stdout")).unwrap();
    assert!(masked.contains("SerialNumber = REDACTED"), "{masked}");
    let (code_a, a) = diagnose_json(&cap, &[]);
    let (code_b, b) = diagnose_json(&out, &[]);
    assert_eq!(code_a, code_b);
    assert_eq!(a["overall"], b["overall"]);
    assert_eq!(a["watchdog"], b["watchdog"]);
    for (id, f) in a["checks"].as_object().unwrap() {
        assert_eq!(f["status"], b["checks"][id]["status"], "{id}");
    }
}

/// Live on Linux: `capture` refuses (nothing written) unless `--force`; `-heal` determines
/// nothing and creates no state or lock file under /Library; `run` writes no status files to the
/// default system directory.
#[test]
fn live_commands_off_macos_write_nothing_to_system_paths() {
    if cfg!(target_os = "macos") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cap");
    let o = mdmwatch(&["capture", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(o.stderr_text().contains("not macOS"), "{:?}", text(&o));
    assert!(!out.exists());
    let o = mdmwatch(&["capture", out.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(o.stderr_text().contains("warning: not macOS"));
    let lib = Path::new("/Library/Application Support/mdmwatch");
    // What is there (other processes on this machine may have made it): the names. That
    // nothing is rewritten there is tested on the function itself below.
    let snapshot = || -> Option<Vec<std::ffi::OsString>> {
        let mut v: Vec<_> = fs::read_dir(lib)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        v.sort();
        Some(v)
    };
    let before = snapshot();
    for args in [&["-heal"][..], &["-heal", "-dry-run"], &["run"]] {
        let o = mdmwatch(args);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {:?}", text(&o));
        assert!(
            o.stderr_text().contains("not macOS"),
            "{args:?}: {:?}",
            text(&o)
        );
    }
    // diagnose (as root too) records no channel history there.
    let o = mdmwatch(&["-diagnose"]);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(o.stdout_text().contains("not macOS"), "{:?}", text(&o));
    assert_eq!(
        snapshot(),
        before,
        "a live command wrote under {}",
        lib.display()
    );
}

/// The channel history is recorded only where the state file may be written: live as root on
/// macOS, never live on this machine elsewhere (the state path is a system path there); the same
/// call on a system playing a Mac does write.
#[test]
fn channel_history_is_not_recorded_live_off_macos() {
    if cfg!(target_os = "macos") {
        return;
    }
    use mdmwatch::system::fake::FakeSystem;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cap = captures_dir().join("healthy");
    let sys = mdmwatch::system::replay::ReplaySystem::open(&cap).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = mdmwatch::config::Config {
        state_path: Some(tmp.path().join("state.json")),
        ..Default::default()
    };
    let (obs, diag) = rt.block_on(mdmwatch::app::observe_and_diagnose(&sys, &cfg));
    assert!(diag.channel().is_some());
    let mut report = mdmwatch::app::build_report(&obs, &diag, "diagnose", "live".into());
    let cli =
        <mdmwatch::cli::Cli as clap::Parser>::try_parse_from(["mdmwatch", "diagnose"]).unwrap();
    let this_host = FakeSystem::new(obs.now).root(true).this_host();
    mdmwatch::app::record_channel_history(&cli, &this_host, &cfg, (&obs, &diag), true, &mut report);
    assert!(!cfg.state_path().exists(), "written live off macOS");
    let a_mac = FakeSystem::new(obs.now).root(true);
    mdmwatch::app::record_channel_history(&cli, &a_mac, &cfg, (&obs, &diag), true, &mut report);
    assert!(cfg.state_path().exists(), "{:?}", report.errors);
}

/// A state file named with `--state` that cannot be read: under `--replay` (nothing is written
/// there) heal still says so in `heal.error` and exits 2, as README's Heal section says.
#[test]
fn an_unreadable_state_under_replay_exits_2_with_heal_error() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    // A state file cut short (recognisably ours, so a root run does not refuse the path itself).
    let cut: &[u8] = br#"{"version": 1, "services": {"mdmclient": {"#;
    fs::write(&state, cut).unwrap();
    let cap = captures_dir().join("mdmclient-stuck-unanswered");
    for extra in [&[][..], &["--dry-run"]] {
        let mut args = vec![
            "heal",
            "--json",
            "--replay",
            cap.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = mdmwatch(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {:?}", text(&o));
        assert!(o.stderr_text().contains("state file unreadable"));
        let v: serde_json::Value = serde_json::from_str(&o.stdout_text()).unwrap();
        common::assert_valid(&v);
        assert!(
            v["heal"]["error"]
                .as_str()
                .unwrap()
                .contains("state file unreadable"),
            "{v}"
        );
    }
    // Nothing was moved aside or rewritten under replay.
    assert_eq!(fs::read(&state).unwrap(), cut);
}

/// `-diagnose` says what heal would do per service, one line each, and it agrees with the fix:
/// a wedged client is restarted, a refused identity is not.
#[test]
fn diagnose_shows_heal_s_decision_per_service() {
    let out = |c: &str| {
        mdmwatch(&[
            "-diagnose",
            "--replay",
            captures_dir().join(c).to_str().unwrap(),
        ])
        .stdout_text()
    };
    let wedged = out("mdmclient-stuck-unanswered");
    assert!(
        wedged.contains("Heal would (mdmwatch -heal now):"),
        "{wedged}"
    );
    assert!(wedged.contains("  mdmclient: restart: "), "{wedged}");
    assert!(wedged.contains("restarting mdmclient"), "{wedged}");
    let refused = out("mdmclient-stuck");
    assert!(refused.contains("  mdmclient: leave alone: "), "{refused}");
    assert!(!refused.contains("  mdmclient: restart"), "{refused}");
    // Internal names stay in the JSON.
    for text in [&wedged, &refused] {
        assert!(
            !text.contains("client_wedged") || text.contains("Heal (dry run"),
            "{text}"
        );
        assert!(!text.contains("heal_mdmclient"), "{text}");
    }
    // During an install the fix that names a restart says heal will not restart now, and why.
    let installing = out("softwareupdate-installing").replace("\n          ", " ");
    assert!(
        installing.contains("  mdmclient: leave alone: install in progress"),
        "{installing}"
    );
    assert!(
        installing.contains("heal will not restart mdmclient now: install in progress"),
        "{installing}"
    );
    // The JSON of diagnose has no heal section (heal did not run).
    let (_, r) = diagnose_json(&captures_dir().join("mdmclient-stuck-unanswered"), &[]);
    assert!(r.get("heal").is_none());
}

/// `run` prints one line at a terminal (exit 1 and 3 included) and nothing when stdout is not one
/// (launchd). The terminal comes from util-linux `script`; skipped where it is missing.
#[test]
fn run_prints_one_line_at_a_terminal() {
    let script = Path::new("/usr/bin/script");
    if !script.exists() || cfg!(target_os = "macos") {
        println!("skipped: no util-linux script");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (cap, code) in [("healthy", 0), ("mdmclient-stuck", 1)] {
        let status = tmp.path().join(cap);
        let args = format!(
            "{} run --replay {} --status-dir {}",
            bin(),
            captures_dir().join(cap).display(),
            status.display()
        );
        let o = command(script)
            .args(["-qec", &args, "/dev/null"])
            .env_remove("MDMWATCH_LOG")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout).replace('\r', "");
        let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1, "{cap}: {out:?}");
        assert!(lines[0].starts_with("mdmwatch: "), "{out}");
        assert!(lines[0].ends_with(&format!("(exit {code})")), "{out}");
        // Not a terminal: nothing on stdout.
        let o = mdmwatch(&[
            "run",
            "--replay",
            captures_dir().join(cap).to_str().unwrap(),
            "--status-dir",
            status.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(code));
        assert_eq!(o.stdout_text(), "");
    }
}

/// The README's first demo is real: the command it shows, run here, prints every line the README
/// quotes (in order; `...` stands for lines left out), heal would act, and the exit status is
/// the one the README states.
#[test]
fn readme_demo_is_what_the_command_prints() {
    let readme = fs::read_to_string(common::root().join("README.md")).unwrap();
    let cmd_line = "cargo run --release -- -heal --dry-run --replay tests/fixtures/captures/mdmclient-stuck-unanswered";
    let at = readme.find(cmd_line).expect("README demo command");
    let rest = &readme[at..];
    let block_start = rest.find("```text\n").unwrap() + "```text\n".len();
    let block = &rest[block_start..block_start + rest[block_start..].find("```").unwrap()];
    assert!(rest[..rest.find("```text").unwrap() + 2000].contains("Exit status **1**"));
    let cap = captures_dir().join("mdmclient-stuck-unanswered");
    let o = mdmwatch(&["-heal", "--dry-run", "--replay", cap.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = o.stdout_text();
    let mut from = 0;
    for line in block.lines().filter(|l| *l != "...") {
        let found = out[from..]
            .find(line)
            .unwrap_or_else(|| panic!("README line not printed (in order): {line:?}\n{out}"));
        from += found + line.len();
    }
    assert!(out.contains("mdmclient: would restart: "), "{out}");
}

/// A fix never asks for what the finding reports done: no "escrow a bootstrap token" under a
/// token reported escrowed; still said where none is.
#[test]
fn no_fix_contradicts_its_finding() {
    let verbose = |c: &str| {
        mdmwatch(&[
            "-diagnose",
            "--verbose",
            "--replay",
            captures_dir().join(c).to_str().unwrap(),
        ])
        .stdout_text()
        .replace("\n          ", " ")
    };
    for c in ["probe-failures", "readiness-eacs-missing-14"] {
        let out = verbose(c);
        let block: String = out
            .split("\n[")
            .filter(|b| b.contains("bootstrap_token: bootstrap token escrowed"))
            .collect();
        assert!(!block.is_empty(), "{c}: {out}");
        assert!(
            !block.contains("fix: escrow a bootstrap token"),
            "{c}: {block}"
        );
    }
    let out = verbose("readiness-token-not-escrowed");
    assert!(out.contains("fix: escrow a bootstrap token"), "{out}");
    // No generic "fix the blocking findings" under readiness.
    for c in ["readiness-disk-9gb", "not-enrolled"] {
        assert!(
            !verbose(c).contains("fix: fix the blocking findings"),
            "{c}"
        );
    }
}
