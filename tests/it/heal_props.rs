//! Property tests of heal's rate limit over whole histories: the real `heal::heal` (decision table,
//! state file on disk, clock guard) driven through the `FakeSystem` for arbitrary sequences of
//! runs with a wall clock that jumps forwards and backwards, services stuck or not, installs, and
//! crashes at each step of a restart.
//!
//! A crash is a panic inside the run (the fake panics on an unscripted probe), caught here: the
//! process "dies" with the state file exactly as the real one would leave it. Crash points:
//! - at the action: `kickstart` is invoked and the run dies (counted as a restart: the command may
//!   have taken effect), leaving intent without outcome (same file as "after intent");
//! - after the outcome: the verification probe dies.
//!
//! Invariants:
//! - **spacing**: two restarts (kickstart invocations) of one service at real times r1 < r2 satisfy
//!   `(r2 - r1) + F >= 24 h`, where F is the sum of the forward clock jumps between them. Without
//!   forward jumps this is 24 h of real time; a forward jump is indistinguishable from time passing
//!   for any program without a persisted monotonic clock, and backward jumps never help.
//! - **liveness (monotone limit)**: once the clock is honest and the service stays stuck (no
//!   install, no crash), a restart happens within 24 h plus one run interval, whatever the clock
//!   did before: a limit that has been counted from the first sighting of a future time is never
//!   pushed back when the clock later reaches the recorded time.
//! - the state file always parses after every run, crashed or not.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, FixedOffset};
use mdmwatch::checks::liveness::{Condition, Ground};
use mdmwatch::checks::{Diagnosis, InstallActivity};
use mdmwatch::config::Config;
use mdmwatch::heal::{self, HealOptions};
use mdmwatch::state::{self, Loaded};
use mdmwatch::system::fake::{Answer, FakeSystem};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Enough cases to meet the rare histories (a restart, then the clock set back by less than a
/// day, then an honest clock) in every run; each case is about 15 ms with the state in tmpfs.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(512)
}

const NIX_PRINT: &str = include_str!(
    "../fixtures/samples/launchctl_print_system__running_daemon__nix-daemon__macos26.6.2.txt"
);
const LABELS: [(&str, &str); 2] = [
    ("mdmclient", "com.apple.mdmclient.daemon"),
    ("softwareupdated", "com.apple.softwareupdated"),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Crash {
    None,
    AtAction,
    AfterOutcome,
}

#[derive(Debug, Clone)]
struct Step {
    /// Real time since the previous run, minutes.
    advance_min: i64,
    /// Wall-clock jump applied before this run, minutes (negative: backwards).
    jump_min: i64,
    stuck: [bool; 2],
    installing: bool,
    crash: Crash,
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![
            3 => Just(95i64),
            2 => 1i64..240,
            1 => 240i64..3 * 24 * 60,
        ],
        prop_oneof![
            6 => Just(0i64),
            1 => -5 * 24 * 60i64..0,
            1 => 1i64..5 * 24 * 60,
            1 => -60i64..60,
        ],
        any::<[bool; 2]>(),
        prop::bool::weighted(0.1),
        prop_oneof![
            6 => Just(Crash::None),
            1 => Just(Crash::AtAction),
            1 => Just(Crash::AfterOutcome),
        ],
    )
        .prop_map(|(advance_min, jump_min, stuck, installing, crash)| Step {
            advance_min,
            jump_min,
            stuck,
            installing,
            crash,
        })
}

fn print_of(label: &str, pid: u32) -> String {
    NIX_PRINT
        .replace("org.nixos.nix-daemon", label)
        .replace("pid = 383", &format!("pid = {pid}"))
}

fn diag(stuck: [bool; 2], installing: bool) -> Diagnosis {
    let l = |s: bool, g: Ground| {
        if s {
            Condition::Fixable(g)
        } else {
            Condition::Alive
        }
    };
    let install = if installing {
        InstallActivity::Installing(mdmwatch::report::Evidence::line(
            "log_softwareupdate",
            "install-state = installing",
        ))
    } else {
        InstallActivity::Idle
    };
    Diagnosis {
        mdm_client_stuck: Some(stuck[0]),
        mdm_software_updates_stuck: Some(stuck[1]),
        ..Diagnosis::for_heal(
            l(stuck[0], Ground::ClientWedged),
            l(stuck[1], Ground::Stalled),
            install,
        )
    }
}

/// One run of heal at wall-clock `wall`; returns which services had `kickstart` invoked.
fn run_once(cfg: &Config, wall: DateTime<FixedOffset>, st: &Step) -> [bool; 2] {
    let sys = FakeSystem::new(wall);
    for id in [
        heal::HEAL_FLUSH_DNS,
        heal::HEAL_HUP_MDNSRESPONDER,
        heal::HEAL_STOP_UPDATE_BRAIN,
    ] {
        sys.answer(id, Answer::ok(""));
    }
    for (key, label) in LABELS {
        sys.answer(
            &format!("heal_print_{key}"),
            Answer::ok(print_of(label, 500)),
        );
        if st.crash != Crash::AtAction {
            sys.answer(&format!("heal_kickstart_{key}"), Answer::ok(""));
        }
        if st.crash != Crash::AfterOutcome {
            sys.answer(
                &format!("heal_verify_{key}"),
                Answer::ok(print_of(label, 501)),
            );
        }
    }
    let opts = HealOptions {
        dry_run: false,
        lock_wait: StdDuration::from_millis(50),
        ..HealOptions::default()
    };
    let d = diag(st.stuck, st.installing);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(heal::heal(&sys, cfg, &d, &opts))
    }));
    if st.crash == Crash::None {
        assert!(result.is_ok(), "a run without a crash point panicked");
    }
    let calls = sys.calls();
    let mut kicked = [false; 2];
    for (i, (key, _)) in LABELS.iter().enumerate() {
        let n = calls
            .iter()
            .filter(|p| p.id == format!("heal_kickstart_{key}"))
            .count();
        assert!(n <= 1, "one run kickstarted {key} {n} times");
        kicked[i] = n == 1;
    }
    // Whatever happened, the state file parses.
    match state::load(&cfg.state_path()) {
        Loaded::Missing | Loaded::Found(_) => {}
        Loaded::Bad { reason, .. } => panic!("state file unreadable after a run: {reason}"),
    }
    kicked
}

fn quiet_crash_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.to_string();
        if !msg.contains("FakeSystem: no answer scripted") {
            default(info);
        }
    }));
}

/// The state directory: in tmpfs when the machine has one, because each run fsyncs the state file
/// and its directory several times and on a disk that is most of the time of thousands of cases.
fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T08:00:00+01:00").unwrap()
}

struct Sim {
    _dir: tempfile::TempDir,
    cfg: Config,
    /// Real time (minutes since start) and wall-clock offset (minutes).
    real: i64,
    offset: i64,
    /// Per service: (real time, forward jumps total at that time) of every restart.
    restarts: [Vec<(i64, i64)>; 2],
    forward_total: i64,
}

impl Sim {
    fn new() -> Sim {
        let dir = scratch_dir();
        let cfg = Config {
            state_path: Some(dir.path().join("state.json")),
            verify_wait_secs: 0,
            ..Config::default()
        };
        Sim {
            _dir: dir,
            cfg,
            real: 0,
            offset: 0,
            restarts: [Vec::new(), Vec::new()],
            forward_total: 0,
        }
    }

    fn apply(&mut self, st: &Step) -> [bool; 2] {
        self.real += st.advance_min;
        self.offset += st.jump_min;
        self.forward_total += st.jump_min.max(0);
        let wall = start() + Duration::minutes(self.real + self.offset);
        let kicked = run_once(&self.cfg, wall, st);
        for (i, k) in kicked.iter().enumerate() {
            if *k {
                if let Some(&(r1, f1)) = self.restarts[i].last() {
                    let real_gap = self.real - r1;
                    let forward = self.forward_total - f1;
                    assert!(
                        real_gap + forward >= 24 * 60,
                        "{}: restarts {real_gap} min apart in real time with only {forward} min of forward clock jumps between them",
                        LABELS[i].0
                    );
                }
                self.restarts[i].push((self.real, self.forward_total));
            }
        }
        kicked
    }
}

proptest! {
    // Failures are persisted (tests/it/heal_props.proptest-regressions, committed, found next to
    // this file) and replayed first on every run. PROPTEST_CASES overrides the count for long local runs.
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_two_restarts_inside_24_hours_and_stuck_is_eventually_restarted(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        quiet_crash_panics();
        let mut sim = Sim::new();
        for st in &steps {
            sim.apply(st);
        }
        // Honest phase: the clock no longer jumps, mdmclient stays stuck, nothing crashes.
        let honest = Step {
            advance_min: 95,
            jump_min: 0,
            stuck: [true, false],
            installing: false,
            crash: Crash::None,
        };
        let began = sim.real;
        let bound = 24 * 60 + 95;
        let mut restarted_at = None;
        for _ in 0..(bound / 95 + 2) {
            if sim.apply(&honest)[0] {
                restarted_at = Some(sim.real);
                break;
            }
        }
        let at = restarted_at.expect("a stuck mdmclient was never restarted on an honest clock");
        prop_assert!(at - began <= bound, "restart came {} min into the honest phase (bound {bound})", at - began);
    }
}

/// The worst cases spelled out: a crash at the action, then the clock set back two days, then
/// many runs an hour apart: exactly one more restart, 24 h of real time after the first sighting.
#[test]
fn crash_then_clock_back_two_days_then_hourly_runs() {
    quiet_crash_panics();
    let mut sim = Sim::new();
    let stuck = |crash, jump_min, advance_min| Step {
        advance_min,
        jump_min,
        stuck: [true, true],
        installing: false,
        crash,
    };
    assert_eq!(sim.apply(&stuck(Crash::AtAction, 0, 0)), [true, false]);
    // The mdmclient crash ended the run before softwareupdated's turn; the next run does it.
    assert_eq!(sim.apply(&stuck(Crash::None, 0, 60)), [false, true]);
    assert_eq!(
        sim.apply(&stuck(Crash::None, -2 * 24 * 60, 60)),
        [false, false]
    );
    let mut kicks = 0;
    for _ in 0..30 {
        kicks += sim
            .apply(&stuck(Crash::None, 0, 60))
            .iter()
            .filter(|k| **k)
            .count();
    }
    // 24 h after the run that first saw the times in the future: both again, once each.
    assert_eq!(kicks, 2);
}

/// A restart, the clock set forward and then back by ten hours, an honest clock from then on:
/// the limit counts from the first sighting of the future time and is not pushed back when the
/// clock reaches the recorded restart again (found by the property test above).
#[test]
fn clock_back_below_the_recorded_restart_does_not_push_the_limit_back() {
    quiet_crash_panics();
    let mut sim = Sim::new();
    let step = |stuck0, jump_min, advance_min| Step {
        advance_min,
        jump_min,
        stuck: [stuck0, false],
        installing: false,
        crash: Crash::None,
    };
    assert_eq!(sim.apply(&step(true, 0, 95)), [true, false]);
    assert_eq!(sim.apply(&step(false, 276, 95)), [false, false]);
    // Back ten hours: the recorded restart now lies 81 minutes ahead of the clock.
    assert_eq!(sim.apply(&step(false, -600, 148)), [false, false]);
    let first_sighting = sim.real;
    let mut restarted = None;
    for _ in 0..40 {
        if sim.apply(&step(true, 0, 95))[0] {
            restarted = Some(sim.real - first_sighting);
            break;
        }
    }
    // 24 h after the first sighting, rounded up to the next 95-minute run.
    assert_eq!(restarted, Some(16 * 95));
}
