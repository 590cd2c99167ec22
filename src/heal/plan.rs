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

use chrono::{DateTime, Duration, FixedOffset};

use crate::checks::liveness::{Condition, FailureCause, Ground};
use crate::checks::{CLIENT_LIVENESS, DAEMON_LIVENESS};
use crate::state::{format_time, Service};

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
pub struct ServiceInput {
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
pub struct PlanInputs {
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
pub fn check_id(s: Service) -> &'static str {
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
            Reason::Restart(g) => format!("{}: {} ({check})", g.code(), g.text()),
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
            Reason::NotFixable(c) => format!(
                "{}: {check} shows communication failing for a cause a restart cannot fix; {}",
                c.code(),
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
            Reason::DryRun(g) => format!(
                "dry run: would restart ({}: {}); nothing executed",
                g.code(),
                g.text()
            ),
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
pub fn spacing(hours: u32) -> Duration {
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
pub fn rate_limited_until(
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
pub fn plan(inp: &PlanInputs) -> Vec<Decision> {
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
                                    // A dry run names the rule that would allow the restart.
                                    if expected_code == "dry_run" {
                                        assert!(
                                            message.contains(ground.expect("ground").code()),
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
            .starts_with("rate-limited until 2026-11-24T06:00:00Z"));
    }
}
