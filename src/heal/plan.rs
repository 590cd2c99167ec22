//! The decision table: pure, no I/O. Given the evidence (liveness, install activity), the
//! settings, the recorded restart history, the clock and whether this run may act, decide for
//! each service whether to restart it and why not.
//!
//! Order of the rules (the first that applies gives the reason, so the report names the most
//! fundamental one): disabled by config; evidence not "stuck" (alive, quiet, unknown: restarts
//! only on evidence, fleetdm/fleet#11777); an install in progress (both services) or, for
//! softwareupdated only, an install state that is unknown; an unreadable state file; the 24 h
//! rate limit; then who is running (not root, another run holds the lock, dry run).

use chrono::{DateTime, Duration, FixedOffset};

use crate::checks::{Liveness, CLIENT_LIVENESS, DAEMON_LIVENESS};
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
    pub liveness: Liveness,
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
pub enum Verdict {
    Skip,
    WouldRestart,
    Restart,
}

/// Why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Stuck,
    NotStuck,
    Quiet,
    Unknown,
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
    DryRun,
    AnotherRun,
}

impl Reason {
    /// Stable machine code (report contract).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Stuck => "stuck",
            Reason::NotStuck => "not_stuck",
            Reason::Quiet => "quiet",
            Reason::Unknown => "unknown",
            Reason::Disabled => "disabled",
            Reason::InstallInProgress => "install_in_progress",
            Reason::InstallStateUnknown(_) => "install_state_unknown",
            Reason::RateLimited { .. } => "rate_limited",
            Reason::StateUnreadable => "state_unreadable",
            Reason::StateNotWritable => "state_not_writable",
            Reason::NotRoot => "not_root",
            Reason::DryRun => "dry_run",
            Reason::AnotherRun => "another_run",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub service: Service,
    pub liveness: Liveness,
    pub verdict: Verdict,
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
            Reason::Stuck => format!("stuck: {check} found evidence of a stuck state"),
            Reason::NotStuck => format!("not stuck: {check} says alive"),
            Reason::Quiet => format!(
                "quiet: {check} saw no activity, which is not evidence of a stuck state"
            ),
            Reason::Unknown => format!(
                "unknown: {check} could not establish liveness; no restart without evidence"
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
            Reason::DryRun => "dry run: would restart (stuck); nothing executed".into(),
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
        liveness: s.liveness,
        verdict: Verdict::Skip,
        reason,
    };
    if !s.enabled {
        return skip(Reason::Disabled);
    }
    match s.liveness {
        Liveness::Stuck => {}
        Liveness::Alive => return skip(Reason::NotStuck),
        Liveness::Quiet => return skip(Reason::Quiet),
        Liveness::Unknown => return skip(Reason::Unknown),
    }
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
            verdict: Verdict::WouldRestart,
            ..skip(Reason::DryRun)
        },
        Gate::Act => Decision {
            verdict: Verdict::Restart,
            ..skip(Reason::Stuck)
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

    fn input(service: Service, liveness: Liveness) -> ServiceInput {
        ServiceInput {
            service,
            liveness,
            enabled: true,
            last_attempt: None,
            future_seen_at: None,
        }
    }

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
    #[test]
    fn exhaustive_decision_table() {
        let livenesses = [
            Liveness::Alive,
            Liveness::Quiet,
            Liveness::Stuck,
            Liveness::Unknown,
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
            for liveness in livenesses {
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
                                                ..input(service, liveness)
                                            }],
                                        )
                                    };
                                    let d = one(inp.clone());
                                    let install_blocks = match install {
                                        Install::Installing => true,
                                        Install::Unknown(_) => service == Service::Softwareupdated,
                                        Install::Idle => false,
                                    };
                                    let eligible = enabled
                                        && liveness == Liveness::Stuck
                                        && !install_blocks
                                        && view == StateView::Usable
                                        && !limited;
                                    let expected_verdict = match (eligible, gate) {
                                        (true, Gate::Act) => Verdict::Restart,
                                        (true, Gate::DryRun) => Verdict::WouldRestart,
                                        _ => Verdict::Skip,
                                    };
                                    assert_eq!(d.verdict, expected_verdict, "{inp:?} -> {d:?}");
                                    let expected_code = if !enabled {
                                        "disabled"
                                    } else if liveness != Liveness::Stuck {
                                        match liveness {
                                            Liveness::Alive => "not_stuck",
                                            Liveness::Quiet => "quiet",
                                            _ => "unknown",
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
                                            Gate::Act => "stuck",
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
                                    assert!(!d.message(inp.spacing).is_empty());
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(count, 2 * 4 * 2 * 3 * 3 * 4 * 5);
    }

    #[test]
    fn services_are_decided_independently() {
        let mut inp = inputs(
            Gate::Act,
            vec![
                input(Service::Mdmclient, Liveness::Stuck),
                ServiceInput {
                    last_attempt: Some(t("2026-11-23T06:00:00Z")),
                    ..input(Service::Softwareupdated, Liveness::Stuck)
                },
            ],
        );
        inp.install = Install::Unknown("no log".into());
        let d = plan(&inp);
        assert_eq!(d[0].verdict, Verdict::Restart);
        assert_eq!(d[1].verdict, Verdict::Skip);
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
