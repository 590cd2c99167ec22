//! The fake-launchd sandbox, once for every test that heals for real: a sysroot in a temp dir
//! with fake `launchctl`, `kill` and `dscacheutil` shell scripts that log their argv and behave
//! like the Mac's (the `launchctl print` output is the real nix-daemon capture with another label
//! and pid; a refused kickstart is macOS 14.4's text), driven by files in the sandbox:
//!
//! - `svc/<label>.pid`: the service exists with that pid; `kickstart` adds 1, `kill` 1000;
//! - `svc/<label>.refuse`: `kickstart` of that label is refused with the file's text;
//! - `crash_on_kickstart`: `kickstart` SIGKILLs its parent (the heal) before acting;
//! - `crash_at` (`print` | `kickstart` | `verify`): SIGKILL the heal at the first `print` (after
//!   the intent, before any action), after the kickstart (the action done, no outcome yet), or
//!   at the second `print` (the outcome recorded, during verification).
//!
//! Every call goes to `calls.log`, every kickstart performed to `done.log`. The heal runs through
//! `LiveSystem::with_sysroot`, so the state file, its lock and the subprocesses are real.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use mdmwatch::checks::{Diagnosis, InstallActivity};
use mdmwatch::config::Config;
use mdmwatch::heal::{self, HealOptions, HealOutcome};
use mdmwatch::state::{self, Loaded, State};
use mdmwatch::system::live::LiveSystem;

use super::write_exec;

const NIX_PRINT: &str = include_str!(
    "../../fixtures/samples/launchctl_print_system__running_daemon__nix-daemon__macos26.6.2.txt"
);
const REFUSED: &str =
    include_str!("../../fixtures/heal/launchctl_kickstart_refused__stderr__macos14.4.txt");

const LAUNCHCTL: &str = r#"#!/bin/sh
# Fake launchctl: logs argv, prints the real `launchctl print` format from a template.
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
  echo "Bad request."
  echo "Could not find service \"$label\" in domain for system"
  exit 113
  ;;
kickstart)
  label=${3#system/}
  if [ -f "$root/svc/$label.refuse" ]; then
    cat "$root/svc/$label.refuse" >&2
    exit 1
  fi
  if [ -f "$root/crash_on_kickstart" ]; then
    # Simulated crash of mdmwatch between intent and outcome: SIGKILL our parent (the heal).
    kill -9 $PPID
    sleep 1
  fi
  if [ -f "$root/svc/$label.pid" ]; then
    pid=$(cat "$root/svc/$label.pid")
    echo $((pid + 1)) > "$root/svc/$label.pid"
    echo "kickstarted $label" >> "$root/done.log"
    if [ "$crash" = kickstart ]; then kill -9 $PPID; sleep 1; fi
    exit 0
  fi
  echo "Could not find service \"$label\" in domain for system" >&2
  exit 113
  ;;
kill)
  label=${3#system/}
  if [ -f "$root/svc/$label.pid" ]; then
    exit 0
  fi
  echo "Bad request."
  echo "Could not find service \"$label\" in domain for system"
  exit 113
  ;;
esac
exit 64
"#;

const KILL: &str = r#"#!/bin/sh
# Fake kill: logs argv; a pid that belongs to a fake service is "restarted" by launchd.
root=$(cd "$(dirname "$0")/.." && pwd -P)
echo "kill $*" >> "$root/calls.log"
for f in "$root"/svc/*.pid; do
  if [ -f "$f" ] && [ "$(cat "$f")" = "$2" ]; then
    echo $(($2 + 1000)) > "$f"
    exit 0
  fi
done
echo "kill: $2: No such process" >&2
exit 1
"#;

const DSCACHEUTIL: &str = r#"#!/bin/sh
root=$(cd "$(dirname "$0")/../.." && pwd -P)
echo "dscacheutil $*" >> "$root/calls.log"
exit 0
"#;

/// A sysroot with fake launchd tools; mDNSResponder runs (pid 90), nothing else until
/// [`Sandbox::service`] says so.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let sb = Sandbox { dir };
        write_exec(&sb.root().join("bin/launchctl"), LAUNCHCTL);
        write_exec(&sb.root().join("bin/kill"), KILL);
        write_exec(&sb.root().join("usr/bin/dscacheutil"), DSCACHEUTIL);
        fs::write(
            sb.root().join("print.template"),
            NIX_PRINT
                .replace("org.nixos.nix-daemon", "@LABEL@")
                .replace("pid = 383", "pid = @PID@"),
        )
        .unwrap();
        fs::create_dir_all(sb.root().join("svc")).unwrap();
        sb.service("com.apple.mDNSResponder", 90);
        sb
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The service `label` runs with `pid`.
    pub fn service(&self, label: &str, pid: u32) {
        fs::write(
            self.root().join(format!("svc/{label}.pid")),
            pid.to_string(),
        )
        .unwrap();
    }

    pub fn pid(&self, label: &str) -> u32 {
        fs::read_to_string(self.root().join(format!("svc/{label}.pid")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// `kickstart -k` of `label` is refused with macOS 14.4's text (fixture).
    pub fn refuse(&self, label: &str) {
        fs::write(
            self.root().join(format!("svc/{label}.refuse")),
            REFUSED.replace("com.apple.softwareupdated", label),
        )
        .unwrap();
    }

    /// Where the fake `launchctl` SIGKILLs the heal (`print`, `kickstart`, `verify`), or nowhere.
    pub fn crash_at(&self, step: Option<&str>) {
        let p = self.root().join("crash_at");
        match step {
            Some(s) => fs::write(p, s).unwrap(),
            None => {
                let _ = fs::remove_file(p);
            }
        }
        let _ = fs::remove_file(self.root().join("prints"));
    }

    /// Every fake-tool call, in order (`launchctl print system/...`, `kill -TERM 512`, ...).
    pub fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.root().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Calls starting with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }

    /// Kickstarts actually performed.
    pub fn restarts(&self) -> usize {
        fs::read_to_string(self.root().join("done.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    pub fn state_path(&self) -> PathBuf {
        self.root().join("state/state.json")
    }

    pub fn write_state(&self, text: &str) {
        fs::create_dir_all(self.state_path().parent().unwrap()).unwrap();
        fs::write(self.state_path(), text).unwrap();
    }

    /// The state, which must exist and parse.
    pub fn state(&self) -> State {
        match state::load(&self.state_path()) {
            Loaded::Found(s) => s,
            other => panic!("state: {other:?}"),
        }
    }

    /// One real heal of `d` in this sandbox, waiting at most 2 s for the lock.
    pub fn heal(&self, d: &Diagnosis) -> HealOutcome {
        heal_in(self.root(), d, Duration::from_secs(2))
    }
}

/// The config a sandbox heal runs with: its state file, no wait before verifying.
pub fn config_for(root: &Path) -> Config {
    Config {
        state_path: Some(root.join("state/state.json")),
        verify_wait_secs: 0,
        ..Config::default()
    }
}

/// One real heal of `d` under the sysroot `root` (a [`Sandbox`] root, also from a child process).
pub fn heal_in(root: &Path, d: &Diagnosis, lock_wait: Duration) -> HealOutcome {
    let sys = LiveSystem::with_sysroot(root);
    let cfg = config_for(root);
    let opts = HealOptions {
        dry_run: false,
        lock_wait,
        ..HealOptions::default()
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(heal::heal(&sys, &cfg, d, &opts))
}

/// The libtest name of test `name` in the module whose `module_path!()` is `module`: the crate
/// name (`it`) is not part of it, so `it::heal` + `child_heal` is `heal::child_heal`.
pub fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}

/// Re-runs this test binary as a child running exactly the ignored test `test` (a full libtest
/// name, see [`test_name`]) with `env` set to the sandbox root; stdout piped, stderr dropped.
#[allow(clippy::disallowed_methods)] // a test spawning itself; production code never does this
pub fn spawn_child(test: &str, env: &str, root: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            test,
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env, root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

// ---- Heal's inputs and the one child-heal runner, shared by `heal` and `crash_safety`.

// The heal shorthand (`Liveness`) is the unit tests' own, from the crate's test kit.
pub use mdmwatch::test_support::Liveness;

/// A diagnosis for heal with mdmclient as `m` and softwareupdated as `s`, nothing installing.
pub fn diag(m: Liveness, s: Liveness) -> Diagnosis {
    mdmwatch::test_support::heal_diag(m, s, InstallActivity::Idle)
}

/// The wall clock, as heal reads it live (the sandbox runs `LiveSystem`).
pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Environment of a child heal process: the sandbox root (see [`child_heal`]).
pub const CHILD_ENV: &str = "MDMWATCH_HEAL_TEST_SANDBOX";

/// Runs only as a child of another test ([`spawn_heal_child`]): one heal of a wedged mdmclient
/// in the named sandbox, waiting up to 20 s for the lock, printing `RESULT <action> <reason>`.
#[test]
#[ignore = "child process of other tests"]
fn child_heal() {
    let Some(root) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let o = heal_in(
        Path::new(&root),
        &diag(Liveness::Stuck, Liveness::Alive),
        Duration::from_secs(20),
    );
    let section = mdmwatch::report::heal_section(&o);
    let m = section
        .services
        .iter()
        .find(|s| s.service == "mdmclient")
        .expect("mdmclient decided");
    println!("RESULT {} {}", m.action, m.reason);
}

/// This test binary again, running exactly [`child_heal`] in the sandbox at `root`.
pub fn spawn_heal_child(root: &Path) -> Child {
    spawn_child(&test_name(module_path!(), "child_heal"), CHILD_ENV, root)
}

/// The `RESULT <action> <reason>` line a child heal printed (libtest prints "test ... " on the
/// same line before it).
pub fn child_result(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find_map(|l| l.find("RESULT ").map(|i| l[i..].trim().to_string()))
        .unwrap_or_else(|| panic!("no result in {text:?}"))
}
