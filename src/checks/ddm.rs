//! `softwareupdate.ddm`: the MDM's enforcement declarations and the device's own DDM status.
//!
//! Declarations come from the state file (`parse::ddm_state`); their `TargetLocalDateTime` has no
//! zone and is the device's local time (Apple's enforcement schema), so the time left is taken
//! against `obs.now`'s wall clock in the device's UTC offset. A declaration whose target is not
//! newer than the running version is `satisfied`: Apple ignores it (seed 001). The device's status
//! is the newest `Reporting status` block in the softwareupdated log (`parse::ddm_status`):
//! `installing` there is what [`install_activity`] reports to heal; a passed deadline with
//! install-state `failed` is a failure carrying the failure reason (seed 000, phase 5).

use std::cmp::Ordering;

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use super::su_pending::kind_of;
use super::{InstallActivity, DDM};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::ddm_state::Declaration;
use crate::parse::ddm_status::{self, DdmStatus, InstallState};
use crate::parse::su_log::StatusReport;
use crate::parse::sw_vers::{compare_versions, SwVers};
use crate::probes;
use crate::report::{Evidence, Finding, Status};

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

/// "update", "upgrade" or "rsr" for an active declaration.
pub fn target_kind(d: &Declaration, running: &SwVers) -> &'static str {
    let target = d.target_os_version.as_deref().unwrap_or("");
    if compare_versions(target, &running.product_version) == Ordering::Equal {
        "rsr"
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

pub fn check(obs: &Observations, _cfg: &Config) -> Finding {
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
        Some(f) => (Some(f), "softwareupdate.failure-reason"),
        None => (
            obs.su_prefs
                .as_ref()
                .ok()
                .and_then(|p| p.ddm_error.clone())
                .filter(|f| f.count > 0),
            "DDMPersistedErrorKey",
        ),
    };
    let failure_text = failure.as_ref().map(|f| {
        format!(
            "{} (failed {} time(s){}; {failure_source})",
            f.reason.as_deref().unwrap_or("no reason given"),
            f.count,
            f.timestamp
                .as_deref()
                .map(|t| format!(", last {t}"))
                .unwrap_or_default()
        )
    });
    let now_local: NaiveDateTime = obs.now.naive_local();

    let mut f = Finding::new(DDM, Status::Ok, "");
    f = f
        .fact("install_state", json!(install_state.as_ref().map(|s| s.as_str().to_string())))
        .fact(
            "failure_reason",
            json!(failure.as_ref().map(|fr| json!({"count": fr.count, "reason": fr.reason, "timestamp": fr.timestamp, "source": failure_source}))),
        )
        .fact(
            "pending_version",
            json!(status.as_ref().and_then(|(_, s)| s.pending_version.as_ref()).map(|p| json!({"os_version": p.os_version, "build_version": p.build_version, "target_local_date_time": p.target_local_date_time}))),
        );
    if let Some((r, _)) = &status {
        let block = ddm_status::block(&r.text).unwrap_or(&r.text);
        let flat: String = block.split_whitespace().collect::<Vec<_>>().join(" ");
        f = f.evidence(Evidence::log(
            probes::LOG_SOFTWAREUPDATE,
            r.timestamp.clone(),
            format!(
                "{}: Reporting status {}",
                r.process,
                flat.chars().take(600).collect::<String>()
            ),
        ));
    }
    if let Err(u) = &obs.su_log {
        f = f.fact("status_unknown_reason", u.to_string());
    }

    let state = match &obs.ddm_state {
        Ok(s) => s,
        Err(u) => {
            // Without the declarations only the device's status can be told.
            let mut out = Finding::unknown(DDM, format!("declarations unknown ({u})"));
            out.evidence = f.evidence;
            out.facts = f.facts;
            if install_state == Some(InstallState::Failed) {
                out.status = Status::Warning;
                out.summary = format!(
                    "the device reports a failed install: {}; declarations unknown ({u})",
                    failure_text
                        .clone()
                        .unwrap_or_else(|| "no reason given".into())
                );
            }
            return out;
        }
    };

    let mut decls = Vec::new();
    let mut active: Vec<(&Declaration, DeclState)> = Vec::new();
    for d in &state.declarations {
        let st = classify(d, running);
        let minutes = d
            .target_local_date_time
            .map(|t| (t - now_local).num_minutes());
        decls.push(json!({
            "key": d.key,
            "target_os_version": d.target_os_version,
            "target_build_version": d.target_build_version,
            "target_local_date_time": d.target_local_date_time_raw,
            "details_url": d.details_url,
            "state": st.as_str(),
            "minutes_left": minutes,
        }));
        f = f.evidence(Evidence::line(
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
    f = f.fact("declarations", Value::Array(decls)).fact(
        "global_settings",
        json!(state
            .global_settings
            .iter()
            .cloned()
            .collect::<std::collections::BTreeMap<_, _>>()),
    );
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
        f = f.fact("target", Value::Null);
        if install_state == Some(InstallState::Failed) {
            f.status = Status::Warning;
            f.summary.push_str(&format!(
                "; the device reports a failed install: {}",
                failure_text
                    .clone()
                    .unwrap_or_else(|| "no reason given".into())
            ));
        }
        return f;
    };
    let target = format!(
        "{}{}",
        d.target_os_version.as_deref().unwrap_or("?"),
        d.target_build_version
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default()
    );
    let kind = running.map(|r| target_kind(d, r));
    let minutes = d
        .target_local_date_time
        .map(|t| (t - now_local).num_minutes());
    let passed = minutes.map(|m| m <= 0);
    f = f.fact(
        "target",
        json!({
            "key": d.key,
            "os_version": d.target_os_version,
            "build_version": d.target_build_version,
            "deadline_local": d.target_local_date_time_raw,
            "kind": kind,
            "state": st.as_str(),
            "minutes_left": minutes,
            "deadline_passed": passed,
        }),
    );
    f = f.remediation(
        "check the device's softwareupdate.failure-reason; install the target version before the deadline (System Settings > General > Software Update) or fix what blocks it (power, disk, bootstrap token)",
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
            f.facts.insert(
                "blocker".into(),
                format!(
                    "deadline passed {} ago, install failed: {}",
                    human_span(minutes.unwrap_or(0)),
                    failure
                        .as_ref()
                        .and_then(|x| x.reason.clone())
                        .unwrap_or_else(|| "no reason reported".into())
                )
                .into(),
            );
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
            f.facts.insert(
                "blocker".into(),
                format!(
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
                )
                .into(),
            );
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
    f
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
        let f = check(&o, &Config::default());
        assert_eq!(f.status, Status::Failed);
        assert!(
            f.summary.contains("install failed: Not enough {space}"),
            "{}",
            f.summary
        );
        assert_eq!(f.facts["install_state"], "failed");
        assert_eq!(f.facts["failure_reason"]["count"], 2);
        assert_eq!(f.facts["target"]["deadline_passed"], true);
        // 2026-11-18T17:00 local vs 2026-11-20T10:00 local.
        assert_eq!(f.facts["target"]["minutes_left"], -41 * 60);
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
        let f = check(
            &obs(with(base(), ok("ddm_state", DECL_FUTURE))),
            &Config::default(),
        );
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.facts["target"]["minutes_left"], (5 * 24 + 7) * 60);
        assert_eq!(f.facts["target"]["kind"], "update");
        let f = check(
            &obs(with(base(), ok("ddm_state", DECL_OLD))),
            &Config::default(),
        );
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.facts["declarations"][0]["state"], "satisfied");
        assert!(f.facts["target"].is_null());
        let mut b = base();
        b.retain(|r| r.id != "ddm_state");
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Unknown);
        assert!(f.reason.unwrap().contains("ddm_state"));
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
            "rsr"
        );
        assert_eq!(target_kind(&d("14.0", None), &running), "upgrade");
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
