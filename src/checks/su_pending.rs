//! `softwareupdate.pending`: what Software Update last found and whether it is still scanning.
//!
//! From `/Library/Preferences/com.apple.SoftwareUpdate.plist` (keys seen in the macadmins osquery extension's `pending_apple_updates` table and the
//! macOS 26.6 PARTIAL fixture): `RecommendedUpdates`, `LastSuccessfulDate` (days since, a warning
//! past `Config::su_scan_stale_days`), `LastSessionSuccessful`, `LastResultCode`,
//! `DidSkipBackgroundDownloadLackingDiskSpace` and `DDMPersistedErrorKey` `{count; reason;
//! timestamp}`. Pending OS items are classified as update or upgrade against the running version
//! (a different major version is an upgrade, Apple, *Managing software updates for IT*'s definitions).

use chrono::{DateTime, Utc};

use super::{Evidence, Judgement, Status, UpdateKind};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::ddm_status::FailureReason;
use crate::parse::sw_vers::version_parts;
use crate::probes;

/// Update or upgrade for a target version against the running one.
pub(crate) fn kind_of(target: &str, running: &str) -> UpdateKind {
    match (
        version_parts(target).first(),
        version_parts(running).first(),
    ) {
        (Some(t), Some(r)) if t > r => UpdateKind::Upgrade,
        _ => UpdateKind::Update,
    }
}

/// What Software Update last found.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAssessment {
    pub judgement: Judgement,
    /// `None` when the preferences are unknown.
    pub prefs: Option<PendingFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PendingFacts {
    pub pending: Vec<PendingItem>,
    /// The first pending OS update / upgrade's display version.
    pub os_update_version: Option<String>,
    pub os_upgrade_version: Option<String>,
    pub last_successful_scan: Option<DateTime<Utc>>,
    pub days_since_last_successful_scan: Option<i64>,
    pub last_session_successful: Option<bool>,
    pub last_result_code: Option<i64>,
    pub skipped_download_lacking_disk_space: Option<bool>,
    pub auto_install_product_keys: Vec<String>,
    pub ddm_error: Option<FailureReason>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PendingItem {
    pub product_key: String,
    pub display_name: Option<String>,
    pub display_version: Option<String>,
    pub os: bool,
    /// For OS items with a version, against the running version.
    pub kind: Option<UpdateKind>,
}

pub(crate) fn assess(obs: &Observations, cfg: &Config) -> PendingAssessment {
    let p = match &obs.su_prefs {
        Ok(p) => p,
        Err(u) => {
            return PendingAssessment {
                judgement: Judgement::unknown(u.to_string()),
                prefs: None,
            }
        }
    };
    let running = obs.sw_vers.as_ref().ok().map(|v| v.product_version.clone());
    let pending: Vec<PendingItem> = p
        .recommended_updates
        .iter()
        .map(|u| {
            let kind = match (&u.display_version, &running, u.is_os()) {
                (Some(v), Some(r), true) => Some(kind_of(v, r)),
                _ => None,
            };
            PendingItem {
                product_key: u.product_key.clone(),
                display_name: u.display_name.clone(),
                display_version: u.display_version.clone(),
                os: u.is_os(),
                kind,
            }
        })
        .collect();
    let first_of = |kind: UpdateKind| {
        pending
            .iter()
            .find(|v| v.kind == Some(kind))
            .and_then(|v| v.display_version.clone())
    };
    let os_update = first_of(UpdateKind::Update);
    let os_upgrade = first_of(UpdateKind::Upgrade);
    let days = p
        .last_successful_date
        .map(|d| (obs.now.with_timezone(&chrono::Utc) - d).num_days());
    // A scan time after "now" is impossible (a clock set back, a forged file): said as such,
    // never printed as a negative age.
    let future = p.last_successful_date.filter(|t| *t > obs.now);
    let days = days.filter(|_| future.is_none());
    let problems = problems(p, obs, cfg, days, future);
    let listing = if p.recommended_updates.is_empty() {
        "no update pending".to_string()
    } else {
        let names: Vec<String> = p
            .recommended_updates
            .iter()
            .map(|u| {
                u.display_name
                    .clone()
                    .unwrap_or_else(|| u.product_key.clone())
            })
            .collect();
        format!("{} pending: {}", names.len(), names.join(", "))
    };
    let status = if problems.is_empty() {
        Status::Ok
    } else {
        Status::Warning
    };
    let summary = if problems.is_empty() {
        format!(
            "{listing}; last successful scan {}",
            days.map(|d| format!("{d} day(s) ago"))
                .unwrap_or_else(|| "unknown".into())
        )
    } else {
        format!("{listing}; {}", problems.join("; "))
    };
    let mut j = Judgement::new(status, summary)
        .remediation("run `softwareupdate --list` as root to force a scan; if scans keep failing check network access to Apple's update hosts and free disk space");
    for u in &p.recommended_updates {
        j = j.evidence(Evidence::line(
            probes::SU_PREFS,
            format!(
                "RecommendedUpdates: {} ({}){}",
                u.display_name.as_deref().unwrap_or("?"),
                u.product_key,
                u.display_version
                    .as_deref()
                    .map(|v| format!(" version {v}"))
                    .unwrap_or_default()
            ),
        ));
    }
    PendingAssessment {
        judgement: j,
        prefs: Some(PendingFacts {
            pending,
            os_update_version: os_update,
            os_upgrade_version: os_upgrade,
            last_successful_scan: p.last_successful_date,
            days_since_last_successful_scan: days,
            last_session_successful: p.last_session_successful,
            last_result_code: p.last_result_code,
            skipped_download_lacking_disk_space: p.skipped_download_lacking_disk_space,
            auto_install_product_keys: p.auto_install_product_keys.clone(),
            ddm_error: p.ddm_error.clone(),
        }),
    }
}

/// What is wrong with the scans: a scan time in the future, stale or absent scans, a failed
/// session, a skipped download, a DDM error.
fn problems(
    p: &crate::parse::su_prefs::SoftwareUpdatePrefs,
    obs: &Observations,
    cfg: &Config,
    days: Option<i64>,
    future: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    if let Some(at) = future {
        problems.push(format!(
            "last successful scan recorded in the future ({}): the clock or the file time is wrong",
            crate::state::format_time_in(&at, obs.now.offset())
        ));
    }
    match days {
        Some(d) if d > i64::from(cfg.su_scan_stale_days) => problems.push(format!(
            "no successful scan for {d} days (more than {})",
            cfg.su_scan_stale_days
        )),
        None if future.is_some() => {}
        None => problems.push("no successful scan recorded (LastSuccessfulDate absent)".into()),
        _ => {}
    }
    if p.last_session_successful == Some(false) {
        problems.push(format!(
            "the last session failed (LastResultCode {})",
            p.last_result_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "absent".into())
        ));
    }
    if p.skipped_download_lacking_disk_space == Some(true) {
        problems.push("a background download was skipped for lack of disk space".into());
    }
    if let Some(e) = p.ddm_error.as_ref().filter(|e| e.count > 0) {
        problems.push(format!(
            "DDM error x{}: {}{}",
            e.count,
            e.reason.as_deref().unwrap_or("no reason given"),
            e.timestamp
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default()
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;
    use crate::parse::su_prefs::build_binary;
    use plist::{Dictionary, Value};

    /// Constructed binary plist (keys from the 26.6 PARTIAL fixture).
    fn prefs(last: &str, extra: &[(&str, Value)]) -> Vec<u8> {
        let mut d = Dictionary::new();
        let t = chrono::DateTime::parse_from_rfc3339(last).unwrap();
        let st = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(t.timestamp() as u64);
        d.insert("LastSuccessfulDate".into(), Value::Date(st.into()));
        let mut item = Dictionary::new();
        item.insert(
            "Product Key".into(),
            "MSU_UPDATE_25B78_patch_26.1_major".into(),
        );
        item.insert("Display Name".into(), "macOS Tahoe 26.1".into());
        item.insert("Display Version".into(), "26.1".into());
        item.insert("MobileSoftwareUpdate".into(), true.into());
        d.insert(
            "RecommendedUpdates".into(),
            Value::Array(vec![Value::Dictionary(item)]),
        );
        for (k, v) in extra {
            d.insert((*k).into(), v.clone());
        }
        build_binary(d)
    }

    #[test]
    fn fresh_scan_lists_pending_and_classifies_upgrade() {
        let b = with(base(), ok("su_prefs", &prefs("2026-11-19T12:00:00Z", &[])));
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Ok);
        let p = a.prefs.unwrap();
        assert_eq!(p.pending.len(), 1);
        assert_eq!(p.pending[0].kind, Some(UpdateKind::Upgrade));
        assert_eq!(p.os_upgrade_version.as_deref(), Some("26.1"));
        assert_eq!(p.os_update_version, None);
        assert_eq!(p.days_since_last_successful_scan, Some(1));
    }

    #[test]
    fn stale_scan_and_ddm_error_warn() {
        let mut e = Dictionary::new();
        e.insert("count".into(), 299.into());
        e.insert("reason".into(), "Software update failed.".into());
        let b = with(
            base(),
            ok(
                "su_prefs",
                &prefs(
                    "2026-11-01T12:00:00Z",
                    &[("DDMPersistedErrorKey", Value::Dictionary(e))],
                ),
            ),
        );
        let a = assess(&obs(b), &Config::default());
        let f = &a.judgement;
        assert_eq!(f.status, Status::Warning);
        assert!(
            f.summary.contains("no successful scan for 19 days"),
            "{}",
            f.summary
        );
        assert!(f
            .summary
            .contains("DDM error x299: Software update failed."));
        assert_eq!(a.prefs.unwrap().ddm_error.unwrap().count, 299);
        assert_eq!(kind_of("15.2", "15.1"), UpdateKind::Update);
    }
}
