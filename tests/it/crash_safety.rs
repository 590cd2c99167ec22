//! Crash safety: SIGKILL at every step of a heal and at random moments of state and status
//! writes, then rerun. Whatever the moment:
//! - the state file parses (or is absent), never half written;
//! - a service is never restarted twice within 24 h (the rerun after any crash acts on nothing);
//! - `status.json` / `status.plist` are each either the previous or the new complete document.
//!
//! The heal runs are this test binary re-run as a child (`common::sandbox::child_heal`, ignored
//! unless the environment names a sandbox) with real subprocesses in the fake-launchd sandbox
//! (`common::sandbox`), the fake `launchctl` SIGKILLing its parent (the heal) at the step the
//! sandbox names. Nothing of this exists in the production code.

use crate::common;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{diag, heal_in, now, spawn_heal_child, Liveness, Sandbox};
use mdmwatch::heal;
use mdmwatch::state::{self, Loaded, Outcome, Service, State};

const MDMCLIENT: &str = "com.apple.mdmclient.daemon";

/// The common sandbox with mdmclient running (pid 512); `crash_at` names where the fake
/// `launchctl` SIGKILLs the heal.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.service(MDMCLIENT, 512);
    sb
}

/// The state parses or is absent; never anything else.
fn state_of(sb: &Sandbox) -> Option<State> {
    match state::load(&sb.state_path()) {
        Loaded::Missing => None,
        Loaded::Found(s) => Some(s),
        Loaded::Bad { reason, .. } => panic!("state file unreadable after a crash: {reason}"),
    }
}

fn heal_once(root: &Path) -> heal::HealOutcome {
    heal_in(
        root,
        &diag(Liveness::Stuck, Liveness::Alive),
        Duration::from_secs(20),
    )
}

/// SIGKILL at each named step of a heal, then a clean rerun: exactly the restarts that the
/// crashed run performed, none more; the state parses; the rate limit holds.
#[test]
fn sigkill_at_each_heal_step_then_rerun() {
    // (crash point, restarts done by the crashed run, outcome left on disk)
    let cases = [
        ("print", 0, Outcome::Pending),
        ("kickstart", 1, Outcome::Pending),
        ("verify", 1, Outcome::Restarted),
    ];
    for (step, done, outcome) in cases {
        let sb = sandbox();
        sb.crash_at(Some(step));
        let out = spawn_heal_child(sb.root()).wait_with_output().unwrap();
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{step}: the heal was SIGKILLed"
        );
        assert_eq!(sb.restarts(), done, "{step}");
        let st = state_of(&sb).expect("the intent is on disk before any command");
        let r = st.record(Service::Mdmclient).unwrap();
        assert_eq!(r.outcome, Some(outcome), "{step}");
        assert!(st.last_mdm_kickstart.is_some());
        // The crash released the lock with the process; the rerun does nothing, twice.
        sb.crash_at(None);
        for _ in 0..2 {
            let o = heal_once(sb.root());
            let section = mdmwatch::report::heal_section(&o);
            let m = &section.services[0];
            assert_eq!(
                (m.action.as_str(), m.reason.as_str()),
                ("none", "rate_limited")
            );
        }
        assert_eq!(sb.restarts(), done, "{step}: no second restart");
        state_of(&sb);
    }
}

/// Killed at random moments (before the intent, during its write, during the commands, during
/// the outcome's write): the last restart was 25 h ago, so the first run may restart; after
/// 30 kills and two clean runs there was at most one restart and an attempt is recorded.
#[test]
fn sigkill_at_random_moments_of_heal_runs() {
    let sb = sandbox();
    let mut st = State::default();
    st.record_intent(
        Service::Mdmclient,
        now() - chrono::Duration::hours(25),
        "kickstart",
    );
    state::save(&sb.state_path(), &st).unwrap();
    let mut rng = Rng::new();
    // Measure one run's length to spread kills over it (the heal itself: a few ms to 100 ms).
    let probe = sandbox();
    let t = Instant::now();
    let out = spawn_heal_child(probe.root()).wait_with_output().unwrap();
    assert!(out.status.success());
    let span = t.elapsed().as_micros() as u64;
    for _ in 0..30 {
        let mut c = spawn_heal_child(sb.root());
        std::thread::sleep(Duration::from_micros(rng.below(span * 3 / 2)));
        let _ = c.kill();
        let _ = c.wait();
        state_of(&sb);
        assert!(sb.restarts() <= 1, "two restarts within 24 h");
    }
    // Whatever the kills did, clean runs now: either a killed run got past its intent (recorded,
    // so nothing more for 24 h, restarted or not), or one of them restarts, once.
    heal_once(sb.root());
    heal_once(sb.root());
    assert!(sb.restarts() <= 1, "two restarts within 24 h");
    let last = state_of(&sb)
        .unwrap()
        .last_attempt(Service::Mdmclient)
        .unwrap();
    assert!(
        last > now() - chrono::Duration::hours(1),
        "an attempt was recorded now"
    );
    eprintln!(
        "{} restart(s) performed over 30 killed runs and 2 clean ones",
        sb.restarts()
    );
}

/// xorshift64*, seeded from the clock; the seed is printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("CRASH_SAFETY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("CRASH_SAFETY_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

#[allow(clippy::disallowed_methods)] // tests run the built binary
fn run_status(capture: &Path, status_dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mdmwatch"))
        .args(["run", "--replay"])
        .arg(capture)
        .arg("--status-dir")
        .arg(status_dir)
        .env_remove("MDMWATCH_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// `mdmwatch run` SIGKILLed at random moments, alternating two captures whose reports differ:
/// after every kill each status file is absent (never written yet) or byte-for-byte one of the
/// two complete documents, and the JSON validates against the schema.
#[test]
fn sigkill_during_status_writes_leaves_old_or_new_complete_documents() {
    let caps = common::captures_dir();
    let a = caps.join("healthy");
    let b = caps.join("mdmclient-stuck");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("status");
    // The two complete documents, written to the same directory (the path is in the report).
    let mut refs = Vec::new();
    let t = Instant::now();
    for cap in [&a, &b] {
        let st = run_status(cap, &dir).wait().unwrap();
        assert!(st.code().is_some());
        refs.push((
            fs::read(dir.join("status.json")).unwrap(),
            fs::read(dir.join("status.plist")).unwrap(),
        ));
    }
    let span = (t.elapsed().as_micros() / 2) as u64;
    assert_ne!(
        refs[0].0, refs[1].0,
        "the two captures must give different reports"
    );
    for (json, plist) in &refs {
        common::assert_valid(&serde_json::from_slice(json).unwrap());
        plist::Value::from_reader(std::io::Cursor::new(plist)).unwrap();
    }
    fs::remove_dir_all(&dir).unwrap();
    let mut rng = Rng::new();
    let mut completed = 0;
    for i in 0..50 {
        let cap = if i % 2 == 0 { &a } else { &b };
        let mut c = run_status(cap, &dir);
        std::thread::sleep(Duration::from_micros(rng.below(span * 3 / 2)));
        let _ = c.kill();
        if c.wait().unwrap().code().is_some() {
            completed += 1;
        }
        for (k, name) in ["status.json", "status.plist"].iter().enumerate() {
            match fs::read(dir.join(name)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("{name}: {e}"),
                Ok(bytes) => {
                    let known = refs
                        .iter()
                        .any(|r| if k == 0 { r.0 == bytes } else { r.1 == bytes });
                    assert!(
                        known,
                        "iteration {i}: {name} is neither complete document ({} bytes)",
                        bytes.len()
                    );
                }
            }
        }
    }
    // The kills landed at different moments: some runs finished, some did not. A kill between
    // creating the temp file and the rename leaves that temp file (`.status.json.XXXXXX.tmp`):
    // never read as a status, and bounded (one per killed write).
    let temps = fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    eprintln!("{completed} of 50 runs completed before the kill; {temps} temp files left");
    assert!(temps <= 100);
}

/// Regression (fuzz target `state`, crash-71eac66e): a number in a key kept for another module
/// drifted by one unit in the last place on every write (serde_json's fast float parsing), so
/// the state file was not kept "as it was". Fixed with serde_json's `float_roundtrip`.
#[test]
fn state_float_in_other_keys_round_trips_exactly() {
    let input =
        br#"{"":888888006890346701660068903467016822624,"x":{"y":0.1,"z":8.888880068903466e38}}"#;
    let s = State::from_bytes(input).unwrap();
    let once = s.to_bytes().unwrap();
    let twice = State::from_bytes(&once).unwrap().to_bytes().unwrap();
    assert_eq!(once, twice);
    let v: serde_json::Value = serde_json::from_slice(&once).unwrap();
    assert_eq!(v["x"]["z"].as_f64(), Some(8.888880068903466e38));
}

/// Regression (found while fuzzing `state` for round trips): a time that is in year 9999 with a
/// negative offset (or in year 0000 with a positive one) was accepted, then written back in UTC
/// as `+10000-...` (or `-0001-...`), which is not RFC 3339: heal wrote a state file it could not
/// read. Past 9999 is now refused on reading; year 1 and before are "never", like Go's zero time.
#[test]
fn state_time_outside_years_2_to_9999_never_writes_an_unreadable_state() {
    assert!(State::from_bytes(br#"{"last_mdm_kickstart":"9999-12-31T23:59:59-01:00"}"#).is_err());
    assert!(State::from_bytes(
        br#"{"services":{"mdmclient":{"attempted_at":"9999-12-31T23:00:00-05:00"}}}"#
    )
    .is_err());
    let s = State::from_bytes(br#"{"last_mdm_kickstart":"0000-01-01T00:30:00+01:00","last_software_update_kickstart":"0001-01-01T00:00:00+00:01"}"#).unwrap();
    assert_eq!(s.last_attempt(Service::Mdmclient), None);
    assert_eq!(s.last_attempt(Service::Softwareupdated), None);
    State::from_bytes(&s.to_bytes().unwrap()).unwrap();
    let s = State::from_bytes(br#"{"last_mdm_kickstart":"9999-12-31T23:59:59+01:00"}"#).unwrap();
    State::from_bytes(&s.to_bytes().unwrap())
        .expect("a time up to 9999 UTC is written back readable");
}
