//! `softwareupdate.ddm`: the MDM's enforcement declarations and the device's own DDM status.
//!
//! Declarations come from the state file (`parse::ddm_state`); their `TargetLocalDateTime` has no
//! zone and is the device's local time (Apple's enforcement schema), so the time left is taken
//! against `obs.now`'s wall clock in the device's UTC offset. A declaration whose target is not
//! newer than the running version is `satisfied`: Apple ignores it (Apple, *Managing software updates for IT*). The device's status
//! is the newest `Reporting status` block in the softwareupdated log (`parse::ddm_status`):
//! `installing` there is what [`install_activity`] reports to heal; a passed deadline with
//! install-state `failed` is a failure carrying the failure reason (Apple Platform Deployment, *Knowing the phases of Apple software update enforcement*, phase 5).

use std::cmp::Ordering;

use chrono::NaiveDateTime;

use super::su_pending::kind_of;
use super::{Evidence, InstallActivity, Judgement, Status, UpdateKind};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::ddm_state::Declaration;
use crate::parse::ddm_status::{self, DdmStatus, FailureReason, InstallState, PendingVersion};
use crate::parse::su_log::StatusReport;
use crate::parse::sw_vers::{compare_versions, SwVers};
use crate::probes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclState {
    Satisfied,
    Pending,
    Unknown,
}

impl DeclState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclState::Satisfied => "satisfied",
            DeclState::Pending => "pending",
            DeclState::Unknown => "unknown",
        }
    }
}

/// Whether the running OS already satisfies a declaration. Versions compare numerically; at an
/// equal version a TargetBuildVersion (e.g. an RSR build `22E772610a`) is pending unless the
/// running build equals it or extends it.
pub fn classify(d: &Declaration, running: Option<&SwVers>) -> DeclState {
    let (Some(target), Some(r)) = (d.target_os_version.as_deref(), running) else {
        return DeclState::Unknown;
    };
    match compare_versions(target, &r.product_version) {
        Ordering::Greater => DeclState::Pending,
        Ordering::Less => DeclState::Satisfied,
        Ordering::Equal => match d.target_build_version.as_deref() {
            Some(b) if !r.build_version.starts_with(b) && b.len() > r.build_version.len() => {
                DeclState::Pending
            }
            _ => DeclState::Satisfied,
        },
    }
}

/// The update kind of an active declaration.
pub fn target_kind(d: &Declaration, running: &SwVers) -> UpdateKind {
    let target = d.target_os_version.as_deref().unwrap_or("");
    if compare_versions(target, &running.product_version) == Ordering::Equal {
        UpdateKind::Rsr
    } else {
        kind_of(target, &running.product_version)
    }
}

/// The newest status report that parses, with its source entry.
pub fn latest_status(obs: &Observations) -> Option<(&StatusReport, DdmStatus)> {
    let log = obs.su_log.as_ref().ok()?;
    log.status_reports
        .iter()
        .rev()
        .find_map(|r| ddm_status::parse(&r.text).ok().map(|s| (r, s)))
}

/// The newest report that carries an install state.
fn latest_install_state(obs: &Observations) -> Option<(&StatusReport, InstallState)> {
    let log = obs.su_log.as_ref().ok()?;
    log.status_reports.iter().rev().find_map(|r| {
        ddm_status::parse(&r.text)
            .ok()
            .and_then(|s| s.install_state)
            .map(|st| (r, st))
    })
}

/// Installing per the newest DDM status report that states an install state.
pub fn install_activity(obs: &Observations) -> InstallActivity {
    if let Err(u) = &obs.su_log {
        return InstallActivity::Unknown(format!("DDM status: {u}"));
    }
    match latest_install_state(obs) {
        Some((r, InstallState::Installing)) => InstallActivity::Installing(Evidence::log(
            probes::LOG_SOFTWAREUPDATE,
            r.timestamp.clone(),
            "DDM status: softwareupdate.install-state = installing",
        )),
        Some(_) => InstallActivity::Idle,
        None => InstallActivity::Unknown(
            "no DDM status report with an install state in the log window".into(),
        ),
    }
}

fn human_span(minutes: i64) -> String {
    let m = minutes.abs();
    if m >= 48 * 60 {
        format!("{} d {} h", m / (24 * 60), (m % (24 * 60)) / 60)
    } else if m >= 60 {
        format!("{} h {} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

/// The declarations, the device's DDM status and what they add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct DdmAssessment {
    pub judgement: Judgement,
    /// The newest install state the device reported.
    pub install_state: Option<InstallState>,
    pub failure: Option<DdmFailure>,
    /// The newest status report's pending version.
    pub pending_version: Option<PendingVersion>,
    /// Why the device's status is unknown (the softwareupdate log could not be read).
    pub status_unknown: Option<String>,
    /// `None` when the declarations could not be read.
    pub declarations: Option<Declarations>,
    /// Why the declared target cannot be installed (a passed deadline), for readiness.
    pub blocker: Option<String>,
}

/// A failed enforced install, and where the record came from.
#[derive(Debug, Clone, PartialEq)]
pub struct DdmFailure {
    pub reason: FailureReason,
    pub source: FailureSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureSource {
    /// `softwareupdate.failure-reason` of a status report.
    StatusReport,
    /// `DDMPersistedErrorKey` of the SoftwareUpdate preferences.
    PersistedError,
}

impl FailureSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureSource::StatusReport => "softwareupdate.failure-reason",
            FailureSource::PersistedError => "DDMPersistedErrorKey",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Declarations {
    pub items: Vec<DeclarationState>,
    pub global_settings: Vec<(String, String)>,
    /// The active declaration that binds first; `None` when all are satisfied or none exist.
    pub target: Option<Target>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeclarationState {
    pub declaration: Declaration,
    pub state: DeclState,
    /// Minutes from now to the deadline (negative once passed).
    pub minutes_left: Option<i64>,
}

/// The declared target that binds first.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub key: String,
    pub os_version: Option<String>,
    pub build_version: Option<String>,
    pub deadline_local: Option<String>,
    /// `None` when the running version is unknown.
    pub kind: Option<UpdateKind>,
    pub state: DeclState,
    pub minutes_left: Option<i64>,
    pub deadline_passed: Option<bool>,
}

impl Target {
    /// `15.2 (24C101)`, `?` for a missing version.
    pub fn label(&self) -> String {
        format!(
            "{}{}",
            self.os_version.as_deref().unwrap_or("?"),
            self.build_version
                .as_deref()
                .map(|b| format!(" ({b})"))
                .unwrap_or_default()
        )
    }
}

pub fn assess(obs: &Observations, _cfg: &Config) -> DdmAssessment {
    let running = obs.sw_vers.as_ref().ok();
    let status = latest_status(obs);
    let install_state = latest_install_state(obs).map(|(_, s)| s);
    let failure = status
        .as_ref()
        .and_then(|(_, s)| s.failure_reason.clone())
        .filter(|f| f.count > 0);
    // Without a status report, the device's persisted DDM error in the SoftwareUpdate
    // preferences (DDMPersistedErrorKey, same {count; reason; timestamp} shape) is the next best
    // record of why the enforced install failed.
    let (failure, failure_source) = match failure {
        Some(f) => (Some(f), FailureSource::StatusReport),
        None => (
            obs.su_prefs
                .as_ref()
                .ok()
                .and_then(|p| p.ddm_error.clone())
                .filter(|f| f.count > 0),
            FailureSource::PersistedError,
        ),
    };
    let failure_text = failure.as_ref().map(|f| {
        format!(
            "{} (failed {}{}; {})",
            f.reason.as_deref().unwrap_or("no reason given"),
            if f.count == 1 {
                "once".to_string()
            } else {
                format!("{} times", f.count)
            },
            f.timestamp
                .as_deref()
                .map(|t| format!(
                    ", last {}",
                    crate::state::reformat_time(t, obs.now.offset())
                ))
                .unwrap_or_default(),
            failure_source.as_str()
        )
    });
    let now_local: NaiveDateTime = obs.now.naive_local();

    let mut out = DdmAssessment {
        judgement: Judgement::new(Status::Ok, ""),
        install_state: install_state.clone(),
        failure: failure.clone().map(|reason| DdmFailure {
            reason,
            source: failure_source,
        }),
        pending_version: status.as_ref().and_then(|(_, s)| s.pending_version.clone()),
        status_unknown: obs.su_log.as_ref().err().map(|u| u.to_string()),
        declarations: None,
        blocker: None,
    };
    let f = &mut out.judgement;
    if let Some((r, _)) = &status {
        let block = ddm_status::block(&r.text).unwrap_or(&r.text);
        let flat: String = block.split_whitespace().collect::<Vec<_>>().join(" ");
        f.evidence.push(Evidence::log(
            probes::LOG_SOFTWAREUPDATE,
            r.timestamp.clone(),
            format!(
                "{}: Reporting status {}",
                r.process,
                flat.chars().take(600).collect::<String>()
            ),
        ));
    }

    let state = match &obs.ddm_state {
        Ok(s) => s,
        Err(u) => {
            // Without the declarations only the device's status can be told.
            let mut j = Judgement::unknown(format!("declarations unknown ({u})"));
            j.evidence = std::mem::take(&mut f.evidence);
            if install_state == Some(InstallState::Failed) {
                j.status = Status::Warning;
                j.summary = format!(
                    "the device reports a failed install: {}; declarations unknown ({u})",
                    failure_text
                        .clone()
                        .unwrap_or_else(|| "no reason given".into())
                );
            }
            out.judgement = j;
            return out;
        }
    };

    let mut items = Vec::new();
    let mut active: Vec<(&Declaration, DeclState)> = Vec::new();
    for d in &state.declarations {
        let st = classify(d, running);
        let minutes = d
            .target_local_date_time
            .map(|t| (t - now_local).num_minutes());
        items.push(DeclarationState {
            declaration: d.clone(),
            state: st,
            minutes_left: minutes,
        });
        f.evidence.push(Evidence::line(
            probes::DDM_STATE,
            format!(
                "Declarations.{}: TargetOSVersion {} TargetBuildVersion {} TargetLocalDateTime {}",
                d.key,
                d.target_os_version.as_deref().unwrap_or("absent"),
                d.target_build_version.as_deref().unwrap_or("absent"),
                d.target_local_date_time_raw.as_deref().unwrap_or("absent")
            ),
        ));
        if st != DeclState::Satisfied {
            active.push((d, st));
        }
    }
    let mut declarations = Declarations {
        items,
        global_settings: state.global_settings.clone(),
        target: None,
    };
    // The declaration that binds first: earliest deadline (unreadable deadlines last).
    active.sort_by_key(|(d, _)| d.target_local_date_time.unwrap_or(NaiveDateTime::MAX));
    let Some((d, st)) = active.first().copied() else {
        f.summary = if state.declarations.is_empty() {
            "no software-update enforcement declared".into()
        } else {
            format!(
                "{} declaration(s), all already satisfied by macOS {} (Apple ignores them)",
                state.declarations.len(),
                running.map(|r| r.full_version()).unwrap_or_default()
            )
        };
        if install_state == Some(InstallState::Failed) {
            f.status = Status::Warning;
            f.summary.push_str(&format!(
                "; the device reports a failed install: {}",
                failure_text
                    .clone()
                    .unwrap_or_else(|| "no reason given".into())
            ));
        }
        out.declarations = Some(declarations);
        return out;
    };
    let minutes = d
        .target_local_date_time
        .map(|t| (t - now_local).num_minutes());
    let passed = minutes.map(|m| m <= 0);
    let t = Target {
        key: d.key.clone(),
        os_version: d.target_os_version.clone(),
        build_version: d.target_build_version.clone(),
        deadline_local: d.target_local_date_time_raw.clone(),
        kind: running.map(|r| target_kind(d, r)),
        state: st,
        minutes_left: minutes,
        deadline_passed: passed,
    };
    let target = t.label();
    declarations.target = Some(t);
    out.declarations = Some(declarations);
    f.remediation = Some(
        "check the device's softwareupdate.failure-reason; install the target version before the deadline (System Settings > General > Software Update) or fix what blocks it (power, disk, bootstrap token)".into(),
    );
    let state_text = install_state
        .as_ref()
        .map(|s| format!("install-state {}", s.as_str()))
        .unwrap_or_else(|| "no install-state reported".into());
    let deadline = d
        .target_local_date_time_raw
        .as_deref()
        .unwrap_or("unreadable");
    match (passed, &install_state) {
        (None, _) => {
            f.status = Status::Warning;
            f.summary =
                format!("macOS {target} enforced, deadline {deadline:?} unreadable; {state_text}");
        }
        (Some(true), Some(InstallState::Failed)) => {
            f.status = Status::Failed;
            out.blocker = Some(format!(
                "deadline passed {} ago, install failed: {}",
                human_span(minutes.unwrap_or(0)),
                failure
                    .as_ref()
                    .and_then(|x| x.reason.clone())
                    .unwrap_or_else(|| "no reason reported".into())
            ));
            f.summary = format!(
                "macOS {target} was due {deadline} ({} ago) and the install failed: {}",
                human_span(minutes.unwrap_or(0)),
                failure_text
                    .clone()
                    .unwrap_or_else(|| "no failure reason reported".into())
            );
        }
        (Some(true), Some(InstallState::Installing)) => {
            f.status = Status::Warning;
            f.summary = format!("macOS {target} was due {deadline}; installing now");
        }
        (Some(true), _) => {
            f.status = Status::Failed;
            out.blocker = Some(format!(
                "deadline passed {} ago, still on {}{}",
                human_span(minutes.unwrap_or(0)),
                running
                    .map(|r| r.full_version())
                    .unwrap_or_else(|| "an unknown version".into()),
                failure
                    .as_ref()
                    .and_then(|x| x.reason.clone())
                    .map(|r| format!(", last failure: {r}"))
                    .unwrap_or_default()
            ));
            f.summary = format!(
                "macOS {target} was due {deadline} ({} ago) and this Mac still runs {}; {state_text}{}",
                human_span(minutes.unwrap_or(0)),
                running.map(|r| r.full_version()).unwrap_or_else(|| "an unknown version".into()),
                failure_text
                    .as_deref()
                    .map(|t| format!("; last failure: {t}"))
                    .unwrap_or_default()
            );
        }
        (Some(false), Some(InstallState::Failed)) => {
            f.status = Status::Warning;
            f.summary = format!(
                "macOS {target} due {deadline} ({} left); the last attempt failed: {}",
                human_span(minutes.unwrap_or(0)),
                failure_text
                    .clone()
                    .unwrap_or_else(|| "no failure reason reported".into())
            );
        }
        (Some(false), _) => {
            f.summary = format!(
                "macOS {target} due {deadline} ({} left); {state_text}",
                human_span(minutes.unwrap_or(0))
            );
        }
    }
    if st == DeclState::Unknown {
        f.summary
            .push_str(" (running version unknown: cannot tell whether it is satisfied)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;
    use crate::parse::su_log::{StatusReport, SuLog};

    const DECL_PASSED: &[u8] =
        include_bytes!("../../tests/fixtures/readiness/ddm_state_declaration_15.2.plist");
    const DECL_FUTURE: &[u8] =
        include_bytes!("../../tests/fixtures/readiness/ddm_state_declaration_15.2_future.plist");
    const DECL_OLD: &[u8] =
        include_bytes!("../../tests/fixtures/readiness/ddm_state_declaration_14.1_satisfied.plist");

    fn report(ts: &str, state: &str, failure: Option<(&str, i64)>) -> StatusReport {
        let fr = failure
            .map(|(r, n)| {
                format!("\"softwareupdate.failure-reason\" = {{ count = {n}; reason = \"{r}\"; timestamp = \"2026-11-19T22:00:12Z\"; }};")
            })
            .unwrap_or_default();
        StatusReport {
            timestamp: ts.into(),
            time: None,
            process: "SoftwareUpdateSubscriber".into(),
            text: format!(
                "Reporting status {{ {fr} \"softwareupdate.install-state\" = {state}; }}"
            ),
        }
    }

    fn with_reports(mut o: Observations, reports: Vec<StatusReport>) -> Observations {
        o.su_log = Ok(SuLog {
            status_reports: reports,
            ..SuLog::default()
        });
        o
    }

    #[test]
    fn deadline_passed_and_failed_carries_the_reason() {
        let o = obs(with(base(), ok("ddm_state", DECL_PASSED)));
        let o = with_reports(
            o,
            vec![
                report("2026-11-20 08:00:00.000000-0500", "downloading", None),
                report(
                    "2026-11-20 09:00:00.000000-0500",
                    "failed",
                    Some(("Not enough {space}", 2)),
                ),
            ],
        );
        let a = assess(&o, &Config::default());
        let f = &a.judgement;
        assert_eq!(f.status, Status::Failed);
        assert!(
            f.summary.contains("install failed: Not enough {space}"),
            "{}",
            f.summary
        );
        assert_eq!(a.install_state, Some(InstallState::Failed));
        assert_eq!(a.failure.as_ref().unwrap().reason.count, 2);
        assert_eq!(
            a.failure.as_ref().unwrap().source,
            FailureSource::StatusReport
        );
        let target = a.declarations.unwrap().target.unwrap();
        assert_eq!(target.deadline_passed, Some(true));
        assert!(a.blocker.unwrap().contains("install failed"));
        // 2026-11-18T17:00 local vs 2026-11-20T10:00 local.
        assert_eq!(target.minutes_left, Some(-41 * 60));
    }

    #[test]
    fn installing_is_reported_to_heal() {
        // Without a softwareupdate log there is no DDM status: unknown.
        let mut b = base();
        b.retain(|x| x.id != "log_softwareupdate");
        let o = obs(b);
        assert!(matches!(install_activity(&o), InstallActivity::Unknown(_)));
        let o = with_reports(
            o,
            vec![
                report("2026-11-20 09:00:00.000000-0500", "installing", None),
                StatusReport {
                    text: "Reporting status { \"softwareupdate.pending-version\" = { \"os-version\" = \"15.2\"; \"build-version\" = 24C101; }; }".into(),
                    ..StatusReport::default()
                },
            ],
        );
        // The newest report has no install state: the newest one that does counts.
        match install_activity(&o) {
            InstallActivity::Installing(e) => assert_eq!(
                e.timestamp.as_deref(),
                Some("2026-11-20 09:00:00.000000-0500")
            ),
            other => panic!("{other:?}"),
        }
        let o = with_reports(obs(base()), vec![report("t", "prepared", None)]);
        assert_eq!(install_activity(&o), InstallActivity::Idle);
        // Combined with the log-based source, installing wins.
        assert!(matches!(
            InstallActivity::combine(
                InstallActivity::Unknown("x".into()),
                install_activity(&with_reports(
                    obs(base()),
                    vec![report("t", "installing", None)]
                ))
            ),
            InstallActivity::Installing(_)
        ));
    }

    #[test]
    fn future_deadline_and_satisfied_and_unknown() {
        let a = assess(
            &obs(with(base(), ok("ddm_state", DECL_FUTURE))),
            &Config::default(),
        );
        assert_eq!(a.judgement.status, Status::Ok);
        let t = a.declarations.unwrap().target.unwrap();
        assert_eq!(t.minutes_left, Some((5 * 24 + 7) * 60));
        assert_eq!(t.kind, Some(UpdateKind::Update));
        assert_eq!(t.label(), "15.2 (24C101)");
        let a = assess(
            &obs(with(base(), ok("ddm_state", DECL_OLD))),
            &Config::default(),
        );
        assert_eq!(a.judgement.status, Status::Ok);
        let d = a.declarations.unwrap();
        assert_eq!(d.items[0].state, DeclState::Satisfied);
        assert!(d.target.is_none());
        let mut b = base();
        b.retain(|r| r.id != "ddm_state");
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Unknown);
        assert!(a.declarations.is_none());
        assert!(a.judgement.reason.unwrap().contains("ddm_state"));
    }

    #[test]
    fn classify_versions_and_rsr_builds() {
        let running = SwVers {
            product_version: "13.3.1".into(),
            build_version: "22E261".into(),
            ..SwVers::default()
        };
        let d = |v: &str, b: Option<&str>| Declaration {
            target_os_version: Some(v.into()),
            target_build_version: b.map(str::to_string),
            ..Declaration::default()
        };
        assert_eq!(
            classify(&d("13.4", None), Some(&running)),
            DeclState::Pending
        );
        assert_eq!(
            classify(&d("13.3", None), Some(&running)),
            DeclState::Satisfied
        );
        assert_eq!(
            classify(&d("13.3.1", None), Some(&running)),
            DeclState::Satisfied
        );
        // The RSR build of the same version is pending until installed.
        assert_eq!(
            classify(&d("13.3.1", Some("22E772610a")), Some(&running)),
            DeclState::Pending
        );
        assert_eq!(
            target_kind(&d("13.3.1", Some("22E772610a")), &running),
            UpdateKind::Rsr
        );
        assert_eq!(target_kind(&d("14.0", None), &running), UpdateKind::Upgrade);
        let rsr = SwVers {
            build_version: "22E772610a".into(),
            ..running.clone()
        };
        assert_eq!(
            classify(&d("13.3.1", Some("22E772610a")), Some(&rsr)),
            DeclState::Satisfied
        );
        assert_eq!(classify(&d("13.3.1", None), None), DeclState::Unknown);
    }
}
