//! Crash safety: SIGKILL at every step of a heal and at random moments of state and status
//! writes, then rerun. Whatever the moment:
//! - the state file parses (or is absent), never half written;
//! - a service is never restarted twice within 24 h (the rerun after any crash acts on nothing);
//! - `status.json` / `status.plist` are each either the previous or the new complete document.
//!
//! The heal runs are this test binary re-run as a child (`child_heal`, ignored unless the
//! environment names a sandbox) with real subprocesses: fake `launchctl`, `kill` and `dscacheutil`
//! scripts under a sysroot, the fake `launchctl` SIGKILLing its parent (the heal) at the step the
//! sandbox names. Nothing of this exists in the production code.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use common::write_exec;
use mdmwatch::checks::{Diagnosis, InstallActivity, Liveness};
use mdmwatch::config::Config;
use mdmwatch::heal::{self, HealOptions};
use mdmwatch::state::{self, Loaded, Outcome, Service, State};
use mdmwatch::system::live::LiveSystem;

const NIX_PRINT: &str = include_str!(
    "fixtures/samples/launchctl_print_system__running_daemon__nix-daemon__macos26.6.2.txt"
);
const MDMCLIENT: &str = "com.apple.mdmclient.daemon";
const CHILD_ENV: &str = "MDMWATCH_CRASH_SAFETY_SANDBOX";

/// Fake launchctl: logs argv; `crash_at` in the sandbox names where it SIGKILLs the heal:
/// `print` (after the intent, before any action), `kickstart` (the action done, no outcome yet),
/// `verify` (the outcome recorded, during verification).
const LAUNCHCTL: &str = r#"#!/bin/sh
root=$(cd "$(dirname "$0")/.." && pwd -P)
echo "launchctl $*" >> "$root/calls.log"
crash=$(cat "$root/crash_at" 2>/dev/null || true)
case "$1" in
print)
  label=${2#system/}
  n=$(cat "$root/prints" 2>/dev/null || echo 0)
  echo $((n + 1)) > "$root/prints"
  if [ "$crash" = print ] && [ "$n" = 0 ]; then kill -9 $PPID; sleep 1; fi
  if [ "$crash" = verify ] && [ "$n" = 1 ]; then kill -9 $PPID; sleep 1; fi
  if [ -f "$root/svc/$label.pid" ]; then
    pid=$(cat "$root/svc/$label.pid")
    sed -e "s/@LABEL@/$label/g" -e "s/@PID@/$pid/" "$root/print.template"
    exit 0
  fi
  echo "Could not find service \"$label\" in domain for system"
  exit 113
  ;;
kickstart)
  label=${3#system/}
  pid=$(cat "$root/svc/$label.pid")
  echo $((pid + 1)) > "$root/svc/$label.pid"
  echo "kickstarted $label" >> "$root/done.log"
  if [ "$crash" = kickstart ]; then kill -9 $PPID; sleep 1; fi
  exit 0
  ;;
kill)
  exit 0
  ;;
esac
exit 64
"#;

const TRUE: &str = "#!/bin/sh\nexit 0\n";

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let sb = Sandbox { dir };
        write_exec(&sb.root().join("bin/launchctl"), LAUNCHCTL);
        write_exec(&sb.root().join("bin/kill"), TRUE);
        write_exec(&sb.root().join("usr/bin/dscacheutil"), TRUE);
        fs::write(
            sb.root().join("print.template"),
            NIX_PRINT
                .replace("org.nixos.nix-daemon", "@LABEL@")
                .replace("pid = 383", "pid = @PID@"),
        )
        .unwrap();
        fs::create_dir_all(sb.root().join("svc")).unwrap();
        fs::write(sb.root().join(format!("svc/{MDMCLIENT}.pid")), "512").unwrap();
        sb
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn crash_at(&self, step: Option<&str>) {
        let p = self.root().join("crash_at");
        match step {
            Some(s) => fs::write(p, s).unwrap(),
            None => {
                let _ = fs::remove_file(p);
            }
        }
        let _ = fs::remove_file(self.root().join("prints"));
    }

    /// Kickstarts actually performed.
    fn restarts(&self) -> usize {
        fs::read_to_string(self.root().join("done.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    fn state_path(&self) -> PathBuf {
        self.root().join("state/state.json")
    }

    /// The state parses or is absent; never anything else.
    fn state(&self) -> Option<State> {
        match state::load(&self.state_path()) {
            Loaded::Missing => None,
            Loaded::Found(s) => Some(s),
            Loaded::Bad { reason, .. } => panic!("state file unreadable after a crash: {reason}"),
        }
    }
}

fn diag_stuck() -> Diagnosis {
    Diagnosis {
        assessments: Vec::new(),
        mdmclient: Liveness::Stuck,
        softwareupdated: Liveness::Alive,
        install: InstallActivity::Idle,
        enrolled: Some(true),
        identity_error: Some(false),
    }
}

fn heal_in(root: &Path) -> heal::HealOutcome {
    let sys = LiveSystem::with_sysroot(root);
    let cfg = Config {
        state_path: Some(root.join("state/state.json")),
        verify_wait_secs: 0,
        ..Config::default()
    };
    let opts = HealOptions {
        dry_run: false,
        lock_wait: Duration::from_secs(20),
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(heal::heal(&sys, &cfg, &diag_stuck(), &opts))
}

#[test]
#[ignore = "child process of other tests"]
fn child_heal() {
    let Some(root) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let o = heal_in(Path::new(&root));
    let m = o
        .section
        .services
        .iter()
        .find(|s| s.service == "mdmclient")
        .unwrap();
    println!("RESULT {} {}", m.action, m.reason);
}

#[allow(clippy::disallowed_methods)] // a test spawning itself; production code never does this
fn spawn_child(root: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_heal",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
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
        let sb = Sandbox::new();
        sb.crash_at(Some(step));
        let out = spawn_child(sb.root()).wait_with_output().unwrap();
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{step}: the heal was SIGKILLed"
        );
        assert_eq!(sb.restarts(), done, "{step}");
        let st = sb
            .state()
            .expect("the intent is on disk before any command");
        let r = st.record(Service::Mdmclient).unwrap();
        assert_eq!(r.outcome, Some(outcome), "{step}");
        assert!(st.last_mdm_kickstart.is_some());
        // The crash released the lock with the process; the rerun does nothing, twice.
        sb.crash_at(None);
        for _ in 0..2 {
            let o = heal_in(sb.root());
            let m = &o.section.services[0];
            assert_eq!(
                (m.action.as_str(), m.reason.as_str()),
                ("none", "rate_limited")
            );
        }
        assert_eq!(sb.restarts(), done, "{step}: no second restart");
        sb.state();
    }
}

/// Killed at random moments (before the intent, during its write, during the commands, during
/// the outcome's write): the last restart was 25 h ago, so the first run may restart; after
/// 30 kills and two clean runs there was at most one restart and an attempt is recorded.
#[test]
fn sigkill_at_random_moments_of_heal_runs() {
    let sb = Sandbox::new();
    let mut st = State::default();
    st.record_intent(
        Service::Mdmclient,
        now() - chrono::Duration::hours(25),
        "kickstart",
    );
    state::save(&sb.state_path(), &st).unwrap();
    let mut rng = Rng::new();
    // Measure one run's length to spread kills over it (the heal itself: a few ms to 100 ms).
    let probe = Sandbox::new();
    let t = Instant::now();
    let out = spawn_child(probe.root()).wait_with_output().unwrap();
    assert!(out.status.success());
    let span = t.elapsed().as_micros() as u64;
    for _ in 0..30 {
        let mut c = spawn_child(sb.root());
        std::thread::sleep(Duration::from_micros(rng.below(span * 3 / 2)));
        let _ = c.kill();
        let _ = c.wait();
        sb.state();
        assert!(sb.restarts() <= 1, "two restarts within 24 h");
    }
    // Whatever the kills did, clean runs now: either a killed run got past its intent (recorded,
    // so nothing more for 24 h, restarted or not), or one of them restarts, once.
    heal_in(sb.root());
    heal_in(sb.root());
    assert!(sb.restarts() <= 1, "two restarts within 24 h");
    let last = sb
        .state()
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
    let once = s.to_bytes();
    let twice = State::from_bytes(&once).unwrap().to_bytes();
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
    State::from_bytes(&s.to_bytes()).unwrap();
    let s = State::from_bytes(br#"{"last_mdm_kickstart":"9999-12-31T23:59:59+01:00"}"#).unwrap();
    State::from_bytes(&s.to_bytes()).expect("a time up to 9999 UTC is written back readable");
}
