//! Heal: restart mdmclient or softwareupdated when, and only when, the evidence says stuck; at
//! most once per service per 24 hours; never during an install; recorded durably before acting.
//!
//! [`heal`] is the one entry point (`-heal` and `run` call it). It takes the lock next to the
//! state file, reads the state, asks the pure policy in `plan` what to make of it (recovery,
//! clock guard, stop) and what to do (`plan::plan`). This file only executes. For each
//! restart it records the intent (atomic write with fsync), runs the commands through the
//! [`System`] boundary, records the outcome, and finally re-probes `launchctl print` to see
//! whether the service came back. Dry runs and replays decide and report only: no lock, no
//! commands, no state written.
//!
//! Commands (Addigy MDM Watchdog's remediation, adapted; Addigy's talk "A Deep
//! Dive Into Apple OS Updates via MDM"):
//! - mdmclient: `launchctl kickstart -k system/com.apple.mdmclient.daemon`.
//! - softwareupdated: `dscacheutil -flushcache`; `launchctl kill SIGHUP system/com.apple.mDNSResponder`
//!   (Addigy used `killall -HUP mDNSResponder`; we never signal by process name, and launchd
//!   signals exactly its own job); `launchctl kill SIGTERM system/com.apple.MobileSoftwareUpdate.UpdateBrainService`
//!   (Addigy used `pkill BrainService`; the brain is an XPC service that normally has no job in
//!   the system domain, so this usually reports "not addressable" and the step is skipped, which
//!   the report says; restarting softwareupdated drops its connection to the brain anyway); then
//!   `launchctl kickstart -k system/com.apple.softwareupdated`.
//! - Since macOS 14.4 `kickstart -k` is refused for critical system processes
//!   (`Could not kickstart service "<label>": 1: Operation not permitted`; Apple's macOS 14.4
//!   release notes, quoted in Macjutsu/super#205; the text from kcrawford/dockutil#162). On that
//!   refusal heal sends SIGTERM to the pid launchd reported for that exact label just before
//!   (`/bin/kill -TERM <pid>`); launchd starts the daemon again on demand.

//!
//! Calling it (what `-heal` does in `app::heal_command`, and what `run` should do):
//! ```ignore
//! let opts = HealOptions { dry_run: cli.dry_run, read_state: app::reads_state(cli, sys), ..HealOptions::default() };
//! let outcome = heal::heal(sys, &cfg, &diag, &opts).await;
//! // The one report path converts it: heal section, the four restart keys, errors, heal.error.
//! let report = app::finish_report(cli, sys, &cfg, &loaded, &obs, &diag, "heal", Some(&outcome), cli.json);
//! if outcome.not_root { eprintln!("{}", app::HEAL_NEEDS_ROOT); /* exit 2 */ }
//! ```

pub(crate) mod plan;

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Timelike};

use crate::checks::{Diagnosis, InstallActivity};
use crate::config::Config;
use crate::parse::launchctl::{self, ServiceInfo};
use crate::state::{self, Loaded, Outcome, Service, State};
use crate::system::files::{self, TryLock};
use crate::system::{Probe, ProbeResult, System};

pub use plan::{Action, Decision, Gate, Install, Reason, StateView};

/// launchd label of mDNSResponder (DNS cache HUP without signalling by name).
pub(crate) const MDNSRESPONDER_LABEL: &str = "com.apple.mDNSResponder";
/// The update brain's XPC service name (Addigy's `pkill BrainService` target).
pub(crate) const UPDATE_BRAIN_LABEL: &str = "com.apple.MobileSoftwareUpdate.UpdateBrainService";

/// Probe ids of heal's commands (public contract, like every probe id).
pub const HEAL_FLUSH_DNS: &str = "heal_flush_dns";
pub const HEAL_HUP_MDNSRESPONDER: &str = "heal_hup_mdnsresponder";
pub const HEAL_STOP_UPDATE_BRAIN: &str = "heal_stop_update_brain";

/// `heal_<step>_<service>`: print (before), kickstart, signal (fallback), verify (after).
pub(crate) fn probe_id(step: &str, s: Service) -> String {
    format!("heal_{step}_{}", s.key())
}

/// How heal is run.
#[derive(Debug, Clone, PartialEq)]
pub struct HealOptions {
    /// Decide and report; execute nothing, write no state (also forced by a replay).
    pub dry_run: bool,
    /// How long a second concurrent heal waits for the lock before reporting "another run".
    pub lock_wait: Duration,
    /// Read the state file. False for a replay without `--state`: the file at the configured
    /// path is this machine's history, not the captured Mac's (the caller decides, as for
    /// `diagnose`). Not read, the history is empty and the section's `state` is `not_read`.
    pub read_state: bool,
}

impl Default for HealOptions {
    fn default() -> HealOptions {
        HealOptions {
            dry_run: false,
            lock_wait: Duration::from_secs(5),
            read_state: true,
        }
    }
}

/// One command heal ran for a service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealStep {
    /// Probe id (heal_kickstart_mdmclient, heal_signal_softwareupdated, ...).
    pub id: String,
    pub command: String,
    pub exit_status: Option<i32>,
    pub ok: bool,
    pub detail: String,
}

/// Whether a restarted service came back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verification {
    pub old_pid: Option<u32>,
    pub new_pid: Option<u32>,
    /// launchd's `state` line after the wait (running, not running, ...).
    pub state: Option<String>,
    /// A new pid (or a pid where there was none) after the wait.
    pub came_back: bool,
    pub detail: String,
}

/// One service's decision as carried out, with what a restart did.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRun {
    /// The decision as carried out (a restart whose intent could not be recorded is a skip).
    pub decision: Decision,
    /// The decision for people, then what the restart did.
    pub message: String,
    /// What the restart came to, when one ran.
    pub outcome: Option<Outcome>,
    /// The OS refused `launchctl kickstart -k` (macOS 14.4+ for critical system processes).
    pub refused_by_os: bool,
    /// Every command heal ran for this service, in order.
    pub steps: Vec<HealStep>,
    /// Re-probe after the restart.
    pub verification: Option<Verification>,
}

/// Everything the report needs from a heal, typed: `report::heal_section` turns it into the
/// report's `heal` section (heal knows nothing of the report).
#[derive(Debug, Clone, PartialEq)]
pub struct HealOutcome {
    /// True when commands could be executed (live, root, not a dry run, the lock held).
    pub executed: bool,
    /// `--dry-run`, or a replay: decided, nothing executed, no state written.
    pub dry_run: bool,
    pub state_path: String,
    /// The state file as found (ok, missing, unreadable, moved_aside..., unwritable, not_read).
    pub state: String,
    /// One per service, mdmclient first.
    pub services: Vec<ServiceRun>,
    /// The plan's decisions as carried out (the same as in `services`).
    pub decisions: Vec<Decision>,
    /// This run restarted the service (kickstart or fallback signal succeeded).
    pub mdmclient_restarted: bool,
    pub softwareupdated_restarted: bool,
    /// Addigy keys from the state (after this run).
    pub last_mdm_kickstart: Option<DateTime<FixedOffset>>,
    pub last_software_update_kickstart: Option<DateTime<FixedOffset>>,
    /// Live, not a dry run, not root: nothing was done. The caller says so on stderr and exits 2.
    pub not_root: bool,
    /// Another heal held the lock: nothing was done.
    pub another_run: bool,
    /// Why heal could not act at all (lock not taken, state unreadable or unwritable): the
    /// caller says it on stderr and exits non-zero.
    pub stopped: Option<String>,
    /// Non-fatal problems (state moved aside, state not written, lock not taken).
    pub errors: Vec<String>,
}

fn install_of(diag: &Diagnosis) -> Install {
    match &diag.install {
        InstallActivity::Installing(_) => Install::Installing,
        InstallActivity::Idle => Install::Idle,
        InstallActivity::Unknown(why) => Install::Unknown(why.clone()),
    }
}

fn condition_of(diag: &Diagnosis, s: Service) -> crate::checks::liveness::Condition {
    match s {
        Service::Mdmclient => diag.mdmclient,
        Service::Softwareupdated => diag.softwareupdated,
    }
}

fn enabled(cfg: &Config, s: Service) -> bool {
    match s {
        Service::Mdmclient => cfg.heal_mdmclient,
        Service::Softwareupdated => cfg.heal_softwareupdated,
    }
}

/// Waits up to `wait` for the exclusive lock, polling (flock has no timeout of its own).
async fn acquire_lock(
    path: &std::path::Path,
    wait: Duration,
) -> std::io::Result<Option<nix::fcntl::Flock<std::fs::File>>> {
    let started = std::time::Instant::now();
    loop {
        match files::try_lock(path, 0o600)? {
            TryLock::Held(l) => return Ok(Some(l)),
            TryLock::Busy if started.elapsed() >= wait => return Ok(None),
            TryLock::Busy => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The one entry point: decide, act (when allowed), record, verify. Never panics on input;
/// every problem ends up in the outcome.
pub async fn heal(
    sys: &dyn System,
    cfg: &Config,
    diag: &Diagnosis,
    opts: &HealOptions,
) -> HealOutcome {
    // Whole seconds: what the state file records, so this run's answers match what it wrote.
    let now = whole_seconds(sys.now());
    let path = cfg.state_path();
    let spacing = plan::spacing(cfg.restart_spacing_hours);
    let mut errors = Vec::new();
    let executing = sys.is_live() && !opts.dry_run;

    // Who may act. The lock is held (in `lock_guard`) until everything is recorded and verified.
    let mut lock_guard = None;
    let mut lock_failed = false;
    let gate = if !executing {
        Gate::DryRun
    } else if !sys.is_root() {
        Gate::NotRoot
    } else {
        let lock_path = state::lock_path(&path);
        match acquire_lock(&lock_path, opts.lock_wait).await {
            Ok(Some(l)) => {
                lock_guard = Some(l);
                Gate::Act
            }
            Ok(None) => Gate::Busy,
            Err(e) => {
                errors.push(format!("cannot lock {}: {e}", lock_path.display()));
                lock_failed = true;
                Gate::Act
            }
        }
    };
    // Only a run holding the lock changes files.
    let may_write = gate == Gate::Act && !lock_failed;

    let access = plan::Access {
        may_write,
        lock_failed,
    };
    let (mut st, view, note) = load_state(&path, opts, now, spacing, access, &mut errors);

    let stop = plan::stop(gate, view, &note, &errors);
    let stopped = stop.as_ref().map(plan::Stop::message);

    let inputs = plan::PlanInputs {
        now,
        spacing,
        install: install_of(diag),
        state: view,
        gate,
        services: Service::ALL
            .iter()
            .map(|&s| plan::ServiceInput {
                service: s,
                condition: condition_of(diag, s),
                enabled: enabled(cfg, s),
                last_attempt: st.last_attempt(s),
                future_seen_at: st.record(s).and_then(|r| r.future_seen_at),
            })
            .collect(),
    };
    let decisions = plan::plan(&inputs);

    let done = execute(
        sys,
        cfg,
        &path,
        &mut st,
        &decisions,
        now,
        spacing,
        &mut errors,
    )
    .await;
    let (services, restarted, after) = (done.services, done.restarted, done.decisions);

    drop(lock_guard);
    HealOutcome {
        executed: may_write,
        dry_run: gate == Gate::DryRun,
        state_path: path.display().to_string(),
        state: note.text(),
        services,
        decisions: after,
        mdmclient_restarted: restarted[Service::Mdmclient as usize],
        softwareupdated_restarted: restarted[Service::Softwareupdated as usize],
        last_mdm_kickstart: st.last_mdm_kickstart,
        last_software_update_kickstart: st.last_software_update_kickstart,
        not_root: gate == Gate::NotRoot,
        another_run: gate == Gate::Busy,
        stopped,
        errors,
    }
}

/// Reads the state and does what [`plan::recover`] and [`plan::clock_guard`] ask (set a bad
/// file aside, write the fresh or guarded state), feeding each write's failure back through
/// [`plan::after_failed`]: the history, how far it may be trusted, and the report's note.
fn load_state(
    path: &std::path::Path,
    opts: &HealOptions,
    now: DateTime<FixedOffset>,
    spacing: chrono::Duration,
    access: plan::Access,
    errors: &mut Vec<String>,
) -> (State, StateView, plan::StateNote) {
    // The state, and what can be trusted of it (the policy is `plan::recover`; this only does
    // the reads and writes it asks for).
    let loaded = if opts.read_state {
        state::load(path)
    } else {
        Loaded::Missing
    };
    let (file, mut st) = match loaded {
        Loaded::Missing if !opts.read_state => (plan::StateFile::NotRead, State::default()),
        Loaded::Missing => (plan::StateFile::Missing, State::default()),
        Loaded::Found(s) => (plan::StateFile::Found, s),
        Loaded::Bad { reason, modified } => {
            errors.push(format!("state file unreadable: {reason}"));
            (plan::StateFile::Bad { modified }, State::default())
        }
    };
    let recovery = plan::recover(file, now, spacing, access);
    let mut view = recovery.view;
    let mut note = recovery.note;
    if recovery.set_aside {
        let aside = state::corrupt_path(path, now);
        match files::rename_aside(path, &aside) {
            Ok(()) => {
                errors.push(format!(
                    "bad state file kept for inspection as {}",
                    aside.display()
                ));
                st = plan::fresh_state(recovery.doubt_at, &aside);
                note = plan::StateNote::MovedAside(aside);
                if let Err(e) = state::save(path, &st) {
                    errors.push(format!("cannot write {}: {e}", path.display()));
                    view = plan::after_failed(plan::StateWrite::Save);
                }
            }
            Err(e) => {
                errors.push(format!("cannot move the bad state file aside: {e}"));
                view = plan::after_failed(plan::StateWrite::SetAside);
            }
        }
    }

    // Clock guard: remember when a last attempt was first seen in the future.
    if access.may_write && view == StateView::Usable {
        if let Some(guarded) = plan::clock_guard(&st, now) {
            st = guarded;
            tracing::warn!("a recorded restart time lies in the future; the clock went back");
            if let Err(e) = state::save(path, &st) {
                errors.push(format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    (st, view, note)
}

/// What executing the decisions did.
struct Executed {
    services: Vec<ServiceRun>,
    /// Per service (`Service as usize`): restarted by this run.
    restarted: [bool; 2],
    /// The decisions as carried out.
    decisions: Vec<Decision>,
}

/// Carries out the decisions: for each restart, the durable intent, the commands, the outcome;
/// then one wait and a re-probe of every restarted service. No decision is made here (a failed
/// intent write is `plan::intent_not_recorded`).
#[allow(clippy::too_many_arguments)] // the run's context, passed as is rather than bundled for one call
async fn execute(
    sys: &dyn System,
    cfg: &Config,
    path: &std::path::Path,
    st: &mut State,
    decisions: &[Decision],
    now: DateTime<FixedOffset>,
    spacing: chrono::Duration,
    errors: &mut Vec<String>,
) -> Executed {
    let mut services = Vec::new();
    let mut restarted = [false, false];
    let mut olds: Vec<(usize, Service, Option<u32>)> = Vec::new();
    // The decisions as carried out: a restart whose intent could not be written became a skip.
    let mut after = Vec::with_capacity(decisions.len());
    for d in decisions {
        let mut entry = ServiceRun {
            decision: d.clone(),
            message: d.message(spacing),
            outcome: None,
            refused_by_os: false,
            steps: Vec::new(),
            verification: None,
        };
        if d.action == Action::Restart {
            // At-most-once: the intent is durable before any command runs. If it cannot be
            // written, nothing runs.
            let before_intent = st.clone();
            st.record_intent(d.service, now, "kickstart");
            if let Err(e) = state::save(path, st) {
                // Not recorded, not done: forget the intent so a later write cannot claim it.
                *st = before_intent;
                errors.push(format!("cannot write {}: {e}", path.display()));
                let skipped = plan::intent_not_recorded(d);
                entry.decision = skipped.clone();
                entry.message = skipped.message(spacing);
                after.push(skipped);
                services.push(entry);
                continue;
            }
            tracing::warn!("restarting {} ({})", d.service.label(), d.message(spacing));
            let done = restart(sys, cfg, d.service).await;
            let finished = whole_seconds(sys.now());
            st.record_outcome(
                d.service,
                finished,
                done.method,
                done.outcome,
                Some(done.detail.clone()),
            );
            if let Err(e) = state::save(path, st) {
                errors.push(format!(
                    "cannot record the outcome in {}: {e}",
                    path.display()
                ));
            }
            entry.outcome = Some(done.outcome);
            entry.refused_by_os = done.refused_by_os;
            entry.message = format!("{}; {}", d.message(spacing), done.detail);
            entry.steps = done.steps;
            if matches!(done.outcome, Outcome::Restarted | Outcome::FallbackSignal) {
                restarted[d.service as usize] = true;
                olds.push((services.len(), d.service, done.old_pid));
            }
        }
        after.push(d.clone());
        services.push(entry);
    }

    // Verify: one wait for all restarted services, then re-probe each.
    if !olds.is_empty() {
        if cfg.verify_wait_secs > 0 {
            tokio::time::sleep(Duration::from_secs(cfg.verify_wait_secs)).await;
        }
        for (i, s, old_pid) in olds {
            let (step, info) = print(sys, cfg, &probe_id("verify", s), s).await;
            let v = verification(old_pid, info.as_ref(), &step);
            services[i].steps.push(step);
            services[i].verification = Some(v);
        }
    }
    Executed {
        services,
        restarted,
        decisions: after,
    }
}

fn whole_seconds(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_nanosecond(0).unwrap_or(t)
}

/// What one restart did.
struct Restart {
    method: &'static str,
    outcome: Outcome,
    refused_by_os: bool,
    old_pid: Option<u32>,
    steps: Vec<HealStep>,
    detail: String,
}

fn action_probe(id: &str, program: &str, args: &[&str], cfg: &Config) -> Probe {
    Probe::command(id, program, args)
        .with_timeout(cfg.probe_timeout())
        .with_max_bytes(cfg.probe_max_bytes)
}

fn result_text(r: &ProbeResult) -> String {
    let out = r
        .stdout
        .read_capped(64 * 1024)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    format!("{}\n{}", r.stderr_text(), out.trim())
}

fn step_of(probe: &Probe, r: &ProbeResult) -> HealStep {
    let ok = r.available && !r.timed_out && r.exit_status == Some(0);
    let detail = if !r.available {
        r.error.clone().unwrap_or_else(|| "not available".into())
    } else if r.timed_out {
        format!("timed out after {} s", probe.timeout.as_secs())
    } else {
        crate::parse::first_line(result_text(r).trim(), 300)
    };
    HealStep {
        id: probe.id.clone(),
        command: probe.display(),
        exit_status: r.exit_status,
        ok,
        detail,
    }
}

async fn run_step(sys: &dyn System, probe: Probe) -> (HealStep, ProbeResult) {
    let r = sys.run(&probe).await;
    (step_of(&probe, &r), r)
}

/// `launchctl kickstart` refused by the OS (macOS 14.4+ for critical system processes):
/// non-zero exit and EPERM's text. Only this refusal triggers the signal fallback.
pub(crate) fn is_refusal(r: &ProbeResult) -> bool {
    r.available
        && !r.timed_out
        && r.exit_status.is_some_and(|c| c != 0)
        && result_text(r)
            .to_ascii_lowercase()
            .contains("operation not permitted")
}

/// `launchctl print system/<label>` as a heal step, parsed when it succeeded.
async fn print(
    sys: &dyn System,
    cfg: &Config,
    id: &str,
    s: Service,
) -> (HealStep, Option<ServiceInfo>) {
    let target = format!("system/{}", s.label());
    let (step, r) = run_step(
        sys,
        action_probe(id, "/bin/launchctl", &["print", &target], cfg),
    )
    .await;
    if !step.ok {
        return (step, None);
    }
    let text = r
        .stdout
        .read_capped(cfg.probe_max_bytes)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let info = launchctl::parse_print(&text).ok();
    let step = HealStep {
        detail: match &info {
            Some(i) => format!(
                "state {}, pid {}",
                i.state.as_deref().unwrap_or("?"),
                i.pid
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "none".into())
            ),
            None => "output not understood".into(),
        },
        ..step
    };
    (step, info)
}

/// Addigy's preparation before restarting softwareupdated: a stale DNS cache is a known cause
/// of catalog failures. These steps are best effort: their failure does not stop the restart.
async fn prepare_softwareupdated(sys: &dyn System, cfg: &Config) -> Vec<HealStep> {
    let mut steps = Vec::new();
    let (step, _) = run_step(
        sys,
        action_probe(
            HEAL_FLUSH_DNS,
            "/usr/bin/dscacheutil",
            &["-flushcache"],
            cfg,
        ),
    )
    .await;
    steps.push(step);
    let target = format!("system/{MDNSRESPONDER_LABEL}");
    let (step, _) = run_step(
        sys,
        action_probe(
            HEAL_HUP_MDNSRESPONDER,
            "/bin/launchctl",
            &["kill", "SIGHUP", &target],
            cfg,
        ),
    )
    .await;
    steps.push(step);
    let target = format!("system/{UPDATE_BRAIN_LABEL}");
    let (mut step, r) = run_step(
        sys,
        action_probe(
            HEAL_STOP_UPDATE_BRAIN,
            "/bin/launchctl",
            &["kill", "SIGTERM", &target],
            cfg,
        ),
    )
    .await;
    if !step.ok {
        let text = result_text(&r);
        step.detail = if launchctl::is_not_found(&text) || r.exit_status == Some(113) {
            format!("skipped: {UPDATE_BRAIN_LABEL} has no job in the system domain (not addressable by label; never killed by name)")
        } else {
            format!("skipped: {}", step.detail)
        };
    }
    steps.push(step);
    steps
}

async fn restart(sys: &dyn System, cfg: &Config, s: Service) -> Restart {
    let mut steps = Vec::new();
    if s == Service::Softwareupdated {
        steps = prepare_softwareupdated(sys, cfg).await;
    }

    let (step, before) = print(sys, cfg, &probe_id("print", s), s).await;
    steps.push(step);
    let old_pid = before.as_ref().and_then(|i| i.pid);

    let target = format!("system/{}", s.label());
    let (step, r) = run_step(
        sys,
        action_probe(
            &probe_id("kickstart", s),
            "/bin/launchctl",
            &["kickstart", "-k", &target],
            cfg,
        ),
    )
    .await;
    let kick_ok = step.ok;
    let kick_detail = step.detail.clone();
    steps.push(step);
    if kick_ok {
        return Restart {
            method: "kickstart",
            outcome: Outcome::Restarted,
            refused_by_os: false,
            old_pid,
            steps,
            detail: "launchctl kickstart -k succeeded".into(),
        };
    }
    if !is_refusal(&r) {
        return Restart {
            method: "kickstart",
            outcome: Outcome::Failed,
            refused_by_os: false,
            old_pid,
            steps,
            detail: format!("launchctl kickstart -k failed: {kick_detail}"),
        };
    }
    tracing::warn!(
        "{}: kickstart refused by the OS; falling back to SIGTERM",
        s.label()
    );
    let pid = match plan::signal_target(s, before.as_ref()) {
        Ok(p) => p,
        Err(why) => {
            return Restart {
                method: "kickstart",
                outcome: Outcome::RefusedByOs,
                refused_by_os: true,
                old_pid,
                steps,
                detail: format!("kickstart refused by the OS ({kick_detail}); no fallback: {why}"),
            }
        }
    };
    let pid_text = pid.to_string();
    let (step, _) = run_step(
        sys,
        action_probe(
            &probe_id("signal", s),
            "/bin/kill",
            &["-TERM", &pid_text],
            cfg,
        ),
    )
    .await;
    let sig_ok = step.ok;
    let sig_detail = step.detail.clone();
    steps.push(step);
    if sig_ok {
        Restart {
            method: "signal",
            outcome: Outcome::FallbackSignal,
            refused_by_os: true,
            old_pid,
            steps,
            detail: format!(
                "kickstart refused by the OS; sent SIGTERM to pid {pid}, launchd restarts it on demand"
            ),
        }
    } else {
        Restart {
            method: "signal",
            outcome: Outcome::RefusedByOs,
            refused_by_os: true,
            old_pid,
            steps,
            detail: format!(
                "kickstart refused by the OS; SIGTERM to pid {pid} failed too: {sig_detail}"
            ),
        }
    }
}

fn verification(old_pid: Option<u32>, info: Option<&ServiceInfo>, step: &HealStep) -> Verification {
    let Some(info) = info else {
        return Verification {
            old_pid,
            came_back: false,
            detail: format!("could not read launchctl print: {}", step.detail),
            ..Verification::default()
        };
    };
    let new_pid = info.pid;
    let state = info.state.clone();
    let (came_back, detail) = match (old_pid, new_pid) {
        (Some(o), Some(n)) if o != n => (true, format!("running again with pid {n} (was {o})")),
        (Some(o), Some(_)) => (
            false,
            format!("still pid {o}: the old process did not exit"),
        ),
        (None, Some(n)) => (true, format!("running with pid {n}")),
        (_, None) => (
            false,
            format!(
                "not running yet (state {}); launchd starts it again on demand",
                state.as_deref().unwrap_or("unknown")
            ),
        ),
    };
    Verification {
        old_pid,
        new_pid,
        state,
        came_back,
        detail,
    }
}

#[cfg(test)]
mod tests;
