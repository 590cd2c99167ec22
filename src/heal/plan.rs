//! The decision table: pure, no I/O. Given the evidence (liveness, install activity), the
//! settings, the recorded restart history, the clock and whether this run may act, decide for
//! each service whether to restart it and why not.
//!
//! Order of the rules (the first that applies gives the reason, so the report names the most
//! fundamental one): disabled by config; no verified evidence of a state a restart can fix (alive,
//! quiet, unknown, installing, a failure a restart cannot fix such as a server error or a refused
//! identity, or evidence resting on unverified log text: restarts only on evidence,
//! fleetdm/fleet#11777); an install in progress (both services) or, for softwareupdated only, an
//! install state that is unknown; an unreadable state file; the 24 h rate limit; then who is
//! running (not root, another run holds the lock, dry run).
//!
//! What a restart can fix: mdmclient that received a command and never answered it
//! (`client_wedged`), or any missing (200) when the admin chose Addigy's strict rule;
//! softwareupdated whose install stopped progressing (`stalled`), or Addigy's rule (mdmclient
//! wedged on a software-update command).
//!
//! The rest of heal's policy lives here too, as pure functions `heal/mod.rs` calls around its
//! I/O: [`recover`] (what to make of a bad state file, carrying the doubt forward), [`clock_guard`]
//! (the `future_seen_at` it records), [`stop`] (when heal does not act at all),
//! [`intent_not_recorded`] (a restart whose intent write failed) and [`signal_target`] (the only
//! pid the kickstart fallback may signal).

use chrono::{DateTime, Duration, FixedOffset};

use crate::checks::liveness::{Condition, DdmBlock, FailureCause, Ground};
use crate::checks::{CLIENT_LIVENESS, DAEMON_LIVENESS};
use crate::parse::launchctl::ServiceInfo;
use crate::state::{format_time, Outcome, Service, State};

/// Whether this run may execute, decided before planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Live, root, not a dry run, lock held.
    Act,
    /// `--dry-run` or a replay: decide and report only.
    DryRun,
    /// Live and not a dry run, but not root.
    NotRoot,
    /// Another heal holds the lock.
    Busy,
}

/// What is known about installs, reduced from `InstallActivity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    Installing,
    Idle,
    Unknown(String),
}

/// Whether the restart history can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateView {
    /// Read (or absent, or a bad file old enough not to hide a recent restart).
    Usable,
    /// Bad and recent: a restart inside the spacing cannot be ruled out.
    Unreadable,
    /// Cannot be written: a restart is never made without first recording the intent.
    Unwritable,
}

/// Per-service inputs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceInput {
    pub service: Service,
    pub condition: Condition,
    /// `heal_mdmclient` / `heal_softwareupdated`.
    pub enabled: bool,
    /// The latest recorded attempt (intent or outcome, ours or Addigy's).
    pub last_attempt: Option<DateTime<FixedOffset>>,
    /// Clock guard: first time a run saw `last_attempt` in the future.
    pub future_seen_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanInputs {
    pub now: DateTime<FixedOffset>,
    /// Minimum spacing between restarts of one service (never below 24 h: see [`spacing`]).
    pub spacing: Duration,
    pub install: Install,
    pub state: StateView,
    pub gate: Gate,
    pub services: Vec<ServiceInput>,
}

/// What the plan says to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Skip,
    WouldRestart,
    Restart,
}

/// Why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Every rule allows it: restart on this ground.
    Restart(Ground),
    NotStuck,
    Quiet,
    Unknown,
    /// softwareupdated is installing: the installer is never restarted.
    Installing,
    /// A failure a restart cannot fix.
    NotFixable(FailureCause),
    /// Trouble seen only in unverified log text.
    Unverified,
    Disabled,
    InstallInProgress,
    InstallStateUnknown(String),
    RateLimited {
        until: DateTime<FixedOffset>,
        last: DateTime<FixedOffset>,
    },
    StateUnreadable,
    StateNotWritable,
    NotRoot,
    /// Would restart on this ground; nothing executed.
    DryRun(Ground),
    AnotherRun,
}

impl Reason {
    /// Stable machine code (report contract).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Restart(g) => g.code(),
            Reason::NotStuck => "not_stuck",
            Reason::Quiet => "quiet",
            Reason::Unknown => "unknown",
            Reason::Installing => "installing",
            Reason::NotFixable(c) => c.code(),
            Reason::Unverified => "unverified_evidence",
            Reason::Disabled => "disabled",
            Reason::InstallInProgress => "install_in_progress",
            Reason::InstallStateUnknown(_) => "install_state_unknown",
            Reason::RateLimited { .. } => "rate_limited",
            Reason::StateUnreadable => "state_unreadable",
            Reason::StateNotWritable => "state_not_writable",
            Reason::NotRoot => "not_root",
            Reason::DryRun(_) => "dry_run",
            Reason::AnotherRun => "another_run",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub service: Service,
    pub condition: Condition,
    pub action: Action,
    pub reason: Reason,
}

/// The check whose liveness drives a service's restart.
pub(crate) fn check_id(s: Service) -> &'static str {
    match s {
        Service::Mdmclient => CLIENT_LIVENESS,
        Service::Softwareupdated => DAEMON_LIVENESS,
    }
}

impl Decision {
    /// The reason for people.
    pub fn message(&self, spacing: Duration) -> String {
        let check = check_id(self.service);
        match &self.reason {
            // Words only: the cause's code is the service's `cause` field in the JSON.
            Reason::Restart(g) => format!("{} ({check})", g.text()),
            Reason::NotStuck => format!("not stuck: {check} says alive"),
            Reason::Quiet => format!(
                "quiet: {check} saw no activity, which is not evidence of a stuck state"
            ),
            Reason::Unknown => format!(
                "unknown: {check} could not establish liveness; no restart without evidence"
            ),
            Reason::Installing => format!(
                "installing: {check} shows an update in progress; the installer is never restarted"
            ),
            // A prepared update withholds a restart that might help: said as such.
            Reason::NotFixable(c @ FailureCause::Ddm(DdmBlock::UpdatePrepared)) => {
                format!("withheld while an update may wait for its restart; {}", c.remedy())
            }
            Reason::NotFixable(c) => format!(
                "{check} shows a failure a restart cannot fix; {}",
                c.remedy()
            ),
            Reason::Unverified => format!(
                "unverified evidence: {check} saw signs of trouble only in log text no real Mac has been seen to print (docs/LOG-PATTERNS.md); no restart on that alone"
            ),
            Reason::Disabled => format!(
                "disabled by config (heal_{} is false)",
                self.service.key()
            ),
            Reason::InstallInProgress => {
                "install in progress: services are never restarted during an install".into()
            }
            Reason::InstallStateUnknown(why) => format!(
                "install state unknown ({why}): softwareupdated is restarted only when no install is known to be running"
            ),
            Reason::RateLimited { until, last } => format!(
                "rate-limited until {}: at most one restart per {} h (last attempt {})",
                format_time(*until),
                spacing.num_hours(),
                format_time(*last)
            ),
            Reason::StateUnreadable => {
                "state unreadable: a recent restart cannot be ruled out".into()
            }
            Reason::StateNotWritable => {
                "state not writable: a restart is never made without first recording it".into()
            }
            Reason::NotRoot => "not root: restarting a system service needs root".into(),
            Reason::DryRun(g) => {
                format!("{} (dry run: nothing executed)", g.text())
            }
            Reason::AnotherRun => {
                "another run in progress: it holds the lock, so this run does not act".into()
            }
        }
    }

    pub fn until(&self) -> Option<DateTime<FixedOffset>> {
        match self.reason {
            Reason::RateLimited { until, .. } => Some(until),
            _ => None,
        }
    }
}

/// The configured spacing, never below 24 hours (Addigy's rule and ours).
pub(crate) fn spacing(hours: u32) -> Duration {
    Duration::hours(i64::from(hours.max(24)))
}

/// When the rate limit on a service ends, if it is in force at `now`.
///
/// Clock safety: a last attempt in the future counts as "just now" (the clock went back, or a
/// bogus time was written), measured from the first run that saw it in the future
/// (`future_seen_at`) so a far-future time does not block forever; if that too lies in the future
/// the clock went back again and "now" is used.
///
/// Once a guard exists the limit counts from the earlier of the guard and the recorded attempt,
/// also after the clock has passed the recorded time again: the guard was taken after that
/// attempt, so 24 h from it are 24 h of real time after the attempt too (unless the clock jumped
/// forward), and the limit never moves later as the clock advances. Counting from the record
/// there would restart a stuck service up to another day late.
pub(crate) fn rate_limited_until(
    last: Option<DateTime<FixedOffset>>,
    future_seen_at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    spacing: Duration,
) -> Option<DateTime<FixedOffset>> {
    let last = last?;
    let effective = match future_seen_at.filter(|f| *f <= now) {
        Some(guard) => guard.min(last),
        None if last <= now => last,
        None => now,
    };
    let until = effective + spacing;
    (now < until).then_some(until)
}

/// The decision table (see the module comment for the order of rules).
pub(crate) fn plan(inp: &PlanInputs) -> Vec<Decision> {
    inp.services.iter().map(|s| decide(inp, s)).collect()
}

fn decide(inp: &PlanInputs, s: &ServiceInput) -> Decision {
    let skip = |reason| Decision {
        service: s.service,
        condition: s.condition,
        action: Action::Skip,
        reason,
    };
    if !s.enabled {
        return skip(Reason::Disabled);
    }
    let ground = match s.condition {
        Condition::Fixable(g) => g,
        Condition::NotFixable(c) => return skip(Reason::NotFixable(c)),
        Condition::Unverified => return skip(Reason::Unverified),
        Condition::Alive => return skip(Reason::NotStuck),
        Condition::Installing => return skip(Reason::Installing),
        Condition::Quiet => return skip(Reason::Quiet),
        Condition::Unknown => return skip(Reason::Unknown),
    };
    match (&inp.install, s.service) {
        (Install::Installing, _) => return skip(Reason::InstallInProgress),
        // softwareupdated is the installer: restarting it blind to an install could break one.
        // mdmclient only relays commands, so it may be restarted when the state is unknown.
        (Install::Unknown(why), Service::Softwareupdated) => {
            return skip(Reason::InstallStateUnknown(why.clone()))
        }
        _ => {}
    }
    match inp.state {
        StateView::Usable => {}
        StateView::Unreadable => return skip(Reason::StateUnreadable),
        StateView::Unwritable => return skip(Reason::StateNotWritable),
    }
    if let Some(until) = rate_limited_until(s.last_attempt, s.future_seen_at, inp.now, inp.spacing)
    {
        // rate_limited_until returns Some only with a last attempt.
        let last = s.last_attempt.unwrap_or(inp.now);
        return skip(Reason::RateLimited { until, last });
    }
    match inp.gate {
        Gate::NotRoot => skip(Reason::NotRoot),
        Gate::Busy => skip(Reason::AnotherRun),
        Gate::DryRun => Decision {
            action: Action::WouldRestart,
            ..skip(Reason::DryRun(ground))
        },
        Gate::Act => Decision {
            action: Action::Restart,
            ..skip(Reason::Restart(ground))
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The rest of heal's policy: what to make of the state file as read, the clock guard, when heal
// stops without acting, what a failed intent write turns a restart into, and which pid the
// signal fallback may target. `heal/mod.rs` performs the I/O these functions ask for and feeds
// each result back; it decides nothing itself.

/// The state file as read, reduced to what the policy needs (from `state::Loaded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateFile {
    /// Not read: a replay without `--state` (this machine's history is not the captured Mac's).
    NotRead,
    Missing,
    Found,
    /// Not this format (corrupt, truncated, a newer version): its modification time, if known.
    Bad {
        modified: Option<DateTime<FixedOffset>>,
    },
}

/// What the report's `heal.state` says of the state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StateNote {
    NotRead,
    Missing,
    Ok,
    Unreadable,
    /// The bad file was renamed to this path.
    MovedAside(std::path::PathBuf),
    /// The lock could not be taken, so nothing may be written.
    Unwritable,
}

impl StateNote {
    /// The report's `heal.state` value.
    pub(crate) fn text(&self) -> String {
        match self {
            StateNote::NotRead => "not_read".into(),
            StateNote::Missing => "missing".into(),
            StateNote::Ok => "ok".into(),
            StateNote::Unreadable => "unreadable".into(),
            StateNote::MovedAside(p) => format!("moved_aside to {}", p.display()),
            StateNote::Unwritable => "unwritable".into(),
        }
    }
}

/// Who may change files in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Access {
    /// Live, root, not a dry run, and the lock is held.
    pub may_write: bool,
    /// Taking the lock failed with an error (not "busy"): nothing may be written, so nothing may
    /// be done.
    pub lock_failed: bool,
}

/// What to do about the state file before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// How far the history may be trusted, if every write below succeeds (see [`after_failed`]).
    pub view: StateView,
    pub note: StateNote,
    /// Rename the bad file aside and write a fresh state (only a run that may write).
    pub set_aside: bool,
    /// With `set_aside`: the fresh state records this time as an attempt of every service, so
    /// moving a recent bad file aside does not open the rate limit ("carry the doubt forward").
    pub doubt_at: Option<DateTime<FixedOffset>>,
}

/// State recovery. A bad file modified within the spacing may hide a recent restart: the
/// history is `Unreadable` for this run, and the bad file's modification time (never later
/// than now; now when unknown) is carried into the fresh state as an attempt. A bad file older
/// than the spacing cannot hide one: the history is usable (empty).
pub(crate) fn recover(
    file: StateFile,
    now: DateTime<FixedOffset>,
    spacing: Duration,
    access: Access,
) -> Recovery {
    let plain = |view, note| Recovery {
        view,
        note,
        set_aside: false,
        doubt_at: None,
    };
    if access.lock_failed {
        return plain(StateView::Unwritable, StateNote::Unwritable);
    }
    match file {
        StateFile::NotRead => plain(StateView::Usable, StateNote::NotRead),
        StateFile::Missing => plain(StateView::Usable, StateNote::Missing),
        StateFile::Found => plain(StateView::Usable, StateNote::Ok),
        StateFile::Bad { modified } => {
            let old = modified.is_some_and(|m| m + spacing <= now);
            Recovery {
                view: if old {
                    StateView::Usable
                } else {
                    StateView::Unreadable
                },
                note: StateNote::Unreadable,
                set_aside: access.may_write,
                doubt_at: (access.may_write && !old)
                    .then(|| modified.map(|m| m.min(now)).unwrap_or(now)),
            }
        }
    }
}

/// A write heal needed before planning, which can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateWrite {
    /// Renaming the bad file aside.
    SetAside,
    /// Writing the fresh state after it.
    Save,
}

/// The history's view after a recovery write failed: a bad file that could not be moved aside
/// is still unreadable; a state that cannot be written forbids every restart (the intent is
/// always recorded first).
pub(crate) fn after_failed(step: StateWrite) -> StateView {
    match step {
        StateWrite::SetAside => StateView::Unreadable,
        StateWrite::Save => StateView::Unwritable,
    }
}

/// The fresh state that replaces a bad one: empty, or with the doubt carried forward as an
/// attempt of unknown outcome for every service (`aside` names the kept file).
pub(crate) fn fresh_state(
    doubt_at: Option<DateTime<FixedOffset>>,
    aside: &std::path::Path,
) -> State {
    let mut fresh = State::default();
    if let Some(at) = doubt_at {
        for s in Service::ALL {
            let r = fresh.record_mut(s);
            r.attempted_at = Some(at);
            r.method = Some("unknown".into());
            r.outcome = Some(Outcome::Unknown);
            r.detail = Some(format!(
                "state file was unreadable ({}); its modification time counts as the last attempt",
                aside.display()
            ));
        }
    }
    fresh
}

/// Clock guard: for every service whose last attempt lies in the future and that has no guard
/// at or before now, record now as `future_seen_at`. Returns the state to write, or `None` when
/// nothing changed. Only a run that may write and trusts the history applies it.
pub(crate) fn clock_guard(st: &State, now: DateTime<FixedOffset>) -> Option<State> {
    let mut next = st.clone();
    let mut dirty = false;
    for s in Service::ALL {
        if st.last_attempt(s).is_some_and(|l| l > now) {
            let r = next.record_mut(s);
            if r.future_seen_at.is_none_or(|f| f > now) {
                r.future_seen_at = Some(now);
                dirty = true;
            }
        }
    }
    dirty.then_some(next)
}

/// Why heal did not act at all: said on stderr, in the `heal` section and in the exit status (a
/// heal that could not run must not look like a healthy one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Another run holds the state lock.
    AnotherRun,
    /// The lock or the state file: the errors met, or the state note when there were none.
    State(String),
}

impl Stop {
    pub(crate) fn message(&self) -> String {
        match self {
            Stop::AnotherRun => {
                "heal stopped: another run holds the state lock; nothing was done".into()
            }
            Stop::State(why) => format!("heal stopped: {why}; no service was restarted"),
        }
    }
}

/// When heal stops: another run holds the lock, or a run that would act cannot trust or write
/// the history.
pub(crate) fn stop(
    gate: Gate,
    view: StateView,
    note: &StateNote,
    errors: &[String],
) -> Option<Stop> {
    match gate {
        Gate::Busy => Some(Stop::AnotherRun),
        Gate::Act if view != StateView::Usable => Some(Stop::State(if errors.is_empty() {
            format!("state file {}", note.text())
        } else {
            errors.join("; ")
        })),
        _ => None,
    }
}

/// A restart whose intent could not be recorded is not made (at-most-once: not recorded, not
/// done): it becomes a skip for `state_not_writable`.
pub(crate) fn intent_not_recorded(d: &Decision) -> Decision {
    Decision {
        action: Action::Skip,
        reason: Reason::StateNotWritable,
        ..d.clone()
    }
}

/// The largest pid XNU hands out: `PID_MAX` is 99999 and `forkproc` wraps before reaching it
/// (bsd/sys/proc_internal.h, bsd/kern/kern_fork.c in
/// <https://github.com/apple-oss-distributions/xnu>). A printed pid above it is not a process.
pub(crate) const PID_LIMIT: u32 = 99_998;

/// The pid the signal fallback may target: the one launchd printed for exactly this label, and a
/// real process: never 0 (`kill -TERM 0` signals our own process group), never 1 (launchd), and
/// never above [`PID_LIMIT`] (`/bin/kill` takes its argument as a signed `pid_t`, so 4294967295
/// would become -1, "every process"). macOS 15, 26 and 27 alike: the limit is XNU's.
pub(crate) fn signal_target(s: Service, info: Option<&ServiceInfo>) -> Result<u32, String> {
    let info = info.ok_or("launchctl print gave no service block")?;
    if info.label != s.label() {
        return Err(format!(
            "launchctl print named {:?}, not {}",
            info.label,
            s.label()
        ));
    }
    match info.pid {
        Some(p) if (2..=PID_LIMIT).contains(&p) => Ok(p),
        Some(p) => Err(format!("refusing to signal pid {p}")),
        None => Err(format!(
            "no pid (state {})",
            info.state.as_deref().unwrap_or("unknown")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    const NOW: &str = "2026-11-23T12:00:00Z";

    fn input(service: Service, condition: Condition) -> ServiceInput {
        ServiceInput {
            service,
            condition,
            enabled: true,
            last_attempt: None,
            future_seen_at: None,
        }
    }

    const WEDGED: Condition = Condition::Fixable(Ground::ClientWedged);

    fn inputs(gate: Gate, services: Vec<ServiceInput>) -> PlanInputs {
        PlanInputs {
            now: t(NOW),
            spacing: spacing(24),
            install: Install::Idle,
            state: StateView::Usable,
            gate,
            services,
        }
    }

    fn one(inp: PlanInputs) -> Decision {
        let d = plan(&inp);
        assert_eq!(d.len(), 1);
        d.into_iter().next().unwrap()
    }

    /// A prepared update withholds a restart that might help: heal says so once, with the
    /// remedy, instead of "a failure a restart cannot fix".
    #[test]
    fn a_withheld_restart_is_not_called_unfixable() {
        let d = Decision {
            service: Service::Softwareupdated,
            condition: Condition::NotFixable(FailureCause::Ddm(DdmBlock::UpdatePrepared)),
            action: Action::Skip,
            reason: Reason::NotFixable(FailureCause::Ddm(DdmBlock::UpdatePrepared)),
        };
        let m = d.message(spacing(24));
        assert!(
            m.starts_with("withheld while an update may wait for its restart; "),
            "{m}"
        );
        assert!(
            m.contains("com.apple.os.update-MSUPrepareUpdate") && m.contains("restart the Mac"),
            "{m}"
        );
        assert!(!m.contains("cannot fix"), "{m}");
        assert_eq!(m.matches("wait for its restart").count(), 1, "{m}");
        assert_eq!(d.reason.code(), "update_prepared");
    }

    #[test]
    fn spacing_never_below_24_hours() {
        assert_eq!(spacing(0), Duration::hours(24));
        assert_eq!(spacing(1), Duration::hours(24));
        assert_eq!(spacing(48), Duration::hours(48));
    }

    #[test]
    fn rate_limit_edges() {
        let now = t(NOW);
        let sp = spacing(24);
        assert_eq!(rate_limited_until(None, None, now, sp), None);
        // Exactly 24 h ago: allowed again.
        assert_eq!(
            rate_limited_until(Some(t("2026-11-22T12:00:00Z")), None, now, sp),
            None
        );
        // One second short of 24 h: limited until the 24 h mark.
        assert_eq!(
            rate_limited_until(Some(t("2026-11-22T12:00:01Z")), None, now, sp),
            Some(t("2026-11-23T12:00:01Z"))
        );
        // In the future (clock moved back 2 days): counts as just now.
        assert_eq!(
            rate_limited_until(Some(t("2026-11-25T12:00:00Z")), None, now, sp),
            Some(t("2026-11-24T12:00:00Z"))
        );
        // Far future seen 23 h ago: still limited; seen 24 h ago: allowed, not blocked forever.
        let far = Some(t("2099-01-01T00:00:00Z"));
        assert_eq!(
            rate_limited_until(far, Some(t("2026-11-22T13:00:00Z")), now, sp),
            Some(t("2026-11-23T13:00:00Z"))
        );
        assert_eq!(
            rate_limited_until(far, Some(t("2026-11-22T12:00:00Z")), now, sp),
            None
        );
        // The guard itself in the future (clock went back again): now.
        assert_eq!(
            rate_limited_until(far, Some(t("2030-01-01T00:00:00Z")), now, sp),
            Some(t("2026-11-24T12:00:00Z"))
        );
        // Once the clock passes the recorded time again, the earlier of record and guard rules:
        // the limit does not move later as the clock advances.
        assert_eq!(
            rate_limited_until(
                Some(t("2026-11-23T11:00:00Z")),
                Some(t("2026-11-22T13:00:00Z")),
                now,
                sp
            ),
            Some(t("2026-11-23T13:00:00Z"))
        );
        assert_eq!(
            rate_limited_until(
                Some(t("2026-11-23T11:00:00Z")),
                Some(t("2026-11-20T00:00:00Z")),
                now,
                sp
            ),
            None
        );
        // A guard later than the record (the record was in the past all along) changes nothing.
        assert_eq!(
            rate_limited_until(
                Some(t("2026-11-22T11:00:00Z")),
                Some(t("2026-11-22T13:00:00Z")),
                now,
                sp
            ),
            None
        );
    }

    /// Every combination of the table's inputs, for both services, against the rule written out
    /// independently: restart exactly when every condition holds, would_restart exactly when all
    /// but "may act" hold under a dry run, and the reason of a skip is the first rule that fails.
    /// Only verified evidence of a state a restart can fix is ever a ground: every failure cause a
    /// restart cannot fix, unverified evidence, installing, alive, quiet and unknown never are.
    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "the inputs, the independently written rule and the loop over every combination read as one table"
    )]
    fn exhaustive_decision_table() {
        let conditions = [
            Condition::Fixable(Ground::ClientWedged),
            Condition::Fixable(Ground::StrictAddigy),
            Condition::Fixable(Ground::Stalled),
            Condition::Fixable(Ground::AddigySuCommand),
            Condition::NotFixable(FailureCause::ServerError),
            Condition::NotFixable(FailureCause::AuthRejected),
            Condition::NotFixable(FailureCause::TransportFailure),
            Condition::NotFixable(FailureCause::ClientWedged),
            Condition::NotFixable(FailureCause::StrictNo200),
            Condition::Unverified,
            Condition::Alive,
            Condition::Installing,
            Condition::Quiet,
            Condition::Unknown,
        ];
        let installs = [
            Install::Installing,
            Install::Idle,
            Install::Unknown("log unreadable".into()),
        ];
        let views = [
            StateView::Usable,
            StateView::Unreadable,
            StateView::Unwritable,
        ];
        let gates = [Gate::Act, Gate::DryRun, Gate::NotRoot, Gate::Busy];
        // (last attempt, future guard, limited?)
        let histories = [
            (None, None, false),
            (Some(t("2026-11-23T00:00:00Z")), None, true),
            (Some(t("2026-11-20T00:00:00Z")), None, false),
            (Some(t("2026-11-25T12:00:00Z")), None, true),
            (
                Some(t("2099-01-01T00:00:00Z")),
                Some(t("2026-11-21T00:00:00Z")),
                false,
            ),
        ];
        let mut count = 0;
        for service in Service::ALL {
            for condition in conditions {
                for enabled in [true, false] {
                    for install in &installs {
                        for view in views {
                            for gate in gates {
                                for (last, guard, limited) in histories {
                                    count += 1;
                                    let inp = PlanInputs {
                                        install: install.clone(),
                                        state: view,
                                        ..inputs(
                                            gate,
                                            vec![ServiceInput {
                                                enabled,
                                                last_attempt: last,
                                                future_seen_at: guard,
                                                ..input(service, condition)
                                            }],
                                        )
                                    };
                                    let d = one(inp.clone());
                                    let install_blocks = match install {
                                        Install::Installing => true,
                                        Install::Unknown(_) => service == Service::Softwareupdated,
                                        Install::Idle => false,
                                    };
                                    let ground = match condition {
                                        Condition::Fixable(g) => Some(g),
                                        _ => None,
                                    };
                                    let eligible = enabled
                                        && ground.is_some()
                                        && !install_blocks
                                        && view == StateView::Usable
                                        && !limited;
                                    let expected_action = match (eligible, gate) {
                                        (true, Gate::Act) => Action::Restart,
                                        (true, Gate::DryRun) => Action::WouldRestart,
                                        _ => Action::Skip,
                                    };
                                    assert_eq!(d.action, expected_action, "{inp:?} -> {d:?}");
                                    let expected_code = if !enabled {
                                        "disabled"
                                    } else if ground.is_none() {
                                        match condition {
                                            Condition::Alive => "not_stuck",
                                            Condition::Quiet => "quiet",
                                            Condition::Unknown => "unknown",
                                            Condition::Installing => "installing",
                                            Condition::Unverified => "unverified_evidence",
                                            Condition::NotFixable(c) => c.code(),
                                            Condition::Fixable(_) => unreachable!(),
                                        }
                                    } else if install_blocks {
                                        if *install == Install::Installing {
                                            "install_in_progress"
                                        } else {
                                            "install_state_unknown"
                                        }
                                    } else if view == StateView::Unreadable {
                                        "state_unreadable"
                                    } else if view == StateView::Unwritable {
                                        "state_not_writable"
                                    } else if limited {
                                        "rate_limited"
                                    } else {
                                        match gate {
                                            Gate::Act => ground.map(Ground::code).unwrap_or(""),
                                            Gate::DryRun => "dry_run",
                                            Gate::NotRoot => "not_root",
                                            Gate::Busy => "another_run",
                                        }
                                    };
                                    assert_eq!(d.reason.code(), expected_code, "{inp:?}");
                                    assert_eq!(
                                        d.until().is_some(),
                                        expected_code == "rate_limited"
                                    );
                                    let message = d.message(inp.spacing);
                                    assert!(!message.is_empty());
                                    // A dry run names, in words, the rule that would allow
                                    // the restart (its code is the JSON's `cause`).
                                    if expected_code == "dry_run" {
                                        assert!(
                                            message.contains(ground.expect("ground").text()),
                                            "{message}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(count, 2 * 14 * 2 * 3 * 3 * 4 * 5);
    }

    #[test]
    fn services_are_decided_independently() {
        let mut inp = inputs(
            Gate::Act,
            vec![
                input(Service::Mdmclient, WEDGED),
                ServiceInput {
                    last_attempt: Some(t("2026-11-23T06:00:00Z")),
                    ..input(
                        Service::Softwareupdated,
                        Condition::Fixable(Ground::Stalled),
                    )
                },
            ],
        );
        inp.install = Install::Unknown("no log".into());
        let d = plan(&inp);
        assert_eq!(d[0].action, Action::Restart);
        assert_eq!(d[1].action, Action::Skip);
        assert_eq!(d[1].reason.code(), "install_state_unknown");
        inp.install = Install::Idle;
        let d = plan(&inp);
        assert_eq!(
            d[1].reason,
            Reason::RateLimited {
                until: t("2026-11-24T06:00:00Z"),
                last: t("2026-11-23T06:00:00Z")
            }
        );
        assert!(d[1]
            .message(inp.spacing)
            .starts_with("rate-limited until 2026-11-24T06:00:00+00:00"));
    }

    /// Every state file as read × its age × who may write, against the rule written out
    /// independently: a lock error makes everything unwritable; a bad file is set aside only by a
    /// run that may write; a bad file younger than the spacing (or of unknown age) makes the
    /// history unreadable for this run and carries its time (never later than now) forward.
    #[test]
    fn exhaustive_state_recovery_table() {
        let now = t(NOW);
        let sp = spacing(24);
        let ages = [
            None,
            Some(t("2026-11-23T11:00:00Z")),
            Some(t("2026-11-22T12:00:00Z")),
            Some(t("2026-11-22T12:00:01Z")),
            Some(t("2026-11-01T00:00:00Z")),
            Some(t("2027-01-01T00:00:00Z")),
        ];
        let mut files = vec![StateFile::NotRead, StateFile::Missing, StateFile::Found];
        files.extend(ages.iter().map(|&modified| StateFile::Bad { modified }));
        let mut count = 0;
        for file in files {
            for may_write in [true, false] {
                for lock_failed in [true, false] {
                    if may_write && lock_failed {
                        continue; // a run without the lock never may write
                    }
                    count += 1;
                    let access = Access {
                        may_write,
                        lock_failed,
                    };
                    let r = recover(file, now, sp, access);
                    let (view, note, aside, doubt) = match (lock_failed, file) {
                        (true, _) => (StateView::Unwritable, StateNote::Unwritable, false, None),
                        (_, StateFile::NotRead) => {
                            (StateView::Usable, StateNote::NotRead, false, None)
                        }
                        (_, StateFile::Missing) => {
                            (StateView::Usable, StateNote::Missing, false, None)
                        }
                        (_, StateFile::Found) => (StateView::Usable, StateNote::Ok, false, None),
                        (_, StateFile::Bad { modified }) => {
                            let recent = match modified {
                                None => true,
                                Some(m) => now - m < sp,
                            };
                            let carried = if modified.is_some_and(|m| m > now) {
                                now
                            } else {
                                modified.unwrap_or(now)
                            };
                            (
                                if recent {
                                    StateView::Unreadable
                                } else {
                                    StateView::Usable
                                },
                                StateNote::Unreadable,
                                may_write,
                                (may_write && recent).then_some(carried),
                            )
                        }
                    };
                    let expected = Recovery {
                        view,
                        note,
                        set_aside: aside,
                        doubt_at: doubt,
                    };
                    assert_eq!(r, expected, "{file:?} {access:?}");
                }
            }
        }
        assert_eq!(count, (3 + ages.len()) * 3);
        assert_eq!(after_failed(StateWrite::SetAside), StateView::Unreadable);
        assert_eq!(after_failed(StateWrite::Save), StateView::Unwritable);
    }

    #[test]
    fn fresh_state_carries_the_doubt_as_an_unknown_attempt_of_every_service() {
        let aside = std::path::Path::new("/var/db/mdmwatch/state.json.corrupt-x");
        assert_eq!(fresh_state(None, aside), State::default());
        let at = t("2026-11-23T11:00:00Z");
        let st = fresh_state(Some(at), aside);
        for s in Service::ALL {
            assert_eq!(st.last_attempt(s), Some(at));
            let r = st.record(s).unwrap();
            assert_eq!(r.outcome, Some(Outcome::Unknown));
            assert!(r
                .detail
                .as_deref()
                .unwrap()
                .contains("state.json.corrupt-x"));
        }
        // The carried attempt rate-limits both services for the rest of the spacing.
        let until = rate_limited_until(
            st.last_attempt(Service::Mdmclient),
            None,
            t(NOW),
            spacing(24),
        );
        assert_eq!(until, Some(t("2026-11-24T11:00:00Z")));
    }

    #[test]
    fn clock_guard_records_the_first_sighting_of_a_future_attempt_only() {
        let now = t(NOW);
        let mut st = State::default();
        assert_eq!(clock_guard(&st, now), None);
        // A past attempt needs no guard.
        st.record_intent(Service::Mdmclient, t("2026-11-23T00:00:00Z"), "kickstart");
        assert_eq!(clock_guard(&st, now), None);
        // A future one gets now, for that service only.
        st.record_intent(
            Service::Softwareupdated,
            t("2026-11-25T00:00:00Z"),
            "kickstart",
        );
        let g = clock_guard(&st, now).expect("guard written");
        assert_eq!(
            g.record(Service::Softwareupdated).unwrap().future_seen_at,
            Some(now)
        );
        assert_eq!(g.record(Service::Mdmclient).unwrap().future_seen_at, None);
        // Already guarded at or before now: nothing to write, the first sighting stays.
        assert_eq!(clock_guard(&g, t("2026-11-23T18:00:00Z")), None);
        // A guard in the future (the clock went back again) is replaced by now.
        let earlier = t("2026-11-23T06:00:00Z");
        let g2 = clock_guard(&g, earlier).expect("guard moved back");
        assert_eq!(
            g2.record(Service::Softwareupdated).unwrap().future_seen_at,
            Some(earlier)
        );
    }

    #[test]
    fn heal_stops_when_busy_or_acting_on_an_untrusted_history() {
        let errs = vec!["cannot lock /x/state.lock: denied".to_string()];
        assert_eq!(
            stop(Gate::Busy, StateView::Usable, &StateNote::Ok, &[]),
            Some(Stop::AnotherRun)
        );
        for gate in [Gate::Act, Gate::DryRun, Gate::NotRoot] {
            assert_eq!(stop(gate, StateView::Usable, &StateNote::Ok, &errs), None);
        }
        for view in [StateView::Unreadable, StateView::Unwritable] {
            assert_eq!(
                stop(Gate::DryRun, view, &StateNote::Unreadable, &errs),
                None
            );
            assert_eq!(
                stop(Gate::NotRoot, view, &StateNote::Unreadable, &errs),
                None
            );
            assert_eq!(
                stop(Gate::Act, view, &StateNote::Unreadable, &errs),
                Some(Stop::State(errs[0].clone()))
            );
        }
        let s = stop(
            Gate::Act,
            StateView::Unwritable,
            &StateNote::Unwritable,
            &[],
        )
        .unwrap();
        assert_eq!(
            s.message(),
            "heal stopped: state file unwritable; no service was restarted"
        );
        assert_eq!(
            Stop::AnotherRun.message(),
            "heal stopped: another run holds the state lock; nothing was done"
        );
    }

    #[test]
    fn a_restart_whose_intent_was_not_recorded_is_a_skip() {
        let d = one(inputs(Gate::Act, vec![input(Service::Mdmclient, WEDGED)]));
        assert_eq!(d.action, Action::Restart);
        let after = intent_not_recorded(&d);
        assert_eq!(after.action, Action::Skip);
        assert_eq!(after.reason, Reason::StateNotWritable);
        assert_eq!((after.service, after.condition), (d.service, d.condition));
    }

    /// The fallback signals only a real process launchd printed for this label: never 0 (our own
    /// group), 1 (launchd), nor a number past XNU's pid range such as 4294967295, which
    /// `/bin/kill` would read as -1 (every process).
    #[test]
    fn signal_target_is_bounded_to_real_pids_of_this_label() {
        let info = |label: &str, pid: Option<u32>| ServiceInfo {
            label: label.into(),
            pid,
            ..ServiceInfo::default()
        };
        let s = Service::Mdmclient;
        let label = s.label();
        assert_eq!(signal_target(s, Some(&info(label, Some(2)))), Ok(2));
        assert_eq!(signal_target(s, Some(&info(label, Some(512)))), Ok(512));
        assert_eq!(
            signal_target(s, Some(&info(label, Some(PID_LIMIT)))),
            Ok(99_998)
        );
        for bad in [
            0,
            1,
            99_999,
            100_000,
            i32::MAX as u32,
            2_147_483_648,
            u32::MAX,
        ] {
            let r = signal_target(s, Some(&info(label, Some(bad))));
            assert_eq!(r, Err(format!("refusing to signal pid {bad}")), "{bad}");
        }
        assert!(signal_target(s, Some(&info("com.apple.softwareupdated", Some(512)))).is_err());
        assert!(signal_target(s, Some(&info(label, None))).is_err());
        assert!(signal_target(s, None).is_err());
    }
}
