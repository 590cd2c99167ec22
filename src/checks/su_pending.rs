//! `softwareupdate.pending`: what Software Update last found and whether it is still scanning.
//!
//! From `/Library/Preferences/com.apple.SoftwareUpdate.plist` (keys in FIELD-NOTES and the
//! macOS 26.6 PARTIAL fixture): `RecommendedUpdates`, `LastSuccessfulDate` (days since, a warning
//! past `Config::su_scan_stale_days`), `LastSessionSuccessful`, `LastResultCode`,
//! `DidSkipBackgroundDownloadLackingDiskSpace` and `DDMPersistedErrorKey` `{count; reason;
//! timestamp}`. Pending OS items are classified as update or upgrade against the running version
//! (a different major version is an upgrade, seed 001's definitions).

use serde_json::json;

use super::SU_PENDING;
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::sw_vers::version_parts;
use crate::probes;
use crate::report::{Evidence, Finding, Status};

/// "update" or "upgrade" for a target version against the running one.
pub fn kind_of(target: &str, running: &str) -> &'static str {
    match (
        version_parts(target).first(),
        version_parts(running).first(),
    ) {
        (Some(t), Some(r)) if t > r => "upgrade",
        _ => "update",
    }
}

pub fn check(obs: &Observations, cfg: &Config) -> Finding {
    let p = match &obs.su_prefs {
        Ok(p) => p,
        Err(u) => return Finding::unknown(SU_PENDING, u.to_string()),
    };
    let running = obs.sw_vers.as_ref().ok().map(|v| v.product_version.clone());
    let mut problems: Vec<String> = Vec::new();
    let pending: Vec<_> = p
        .recommended_updates
        .iter()
        .map(|u| {
            let kind = match (&u.display_version, &running, u.is_os()) {
                (Some(v), Some(r), true) => Some(kind_of(v, r)),
                _ => None,
            };
            json!({
                "product_key": u.product_key,
                "display_name": u.display_name,
                "display_version": u.display_version,
                "os": u.is_os(),
                "kind": kind,
            })
        })
        .collect();
    let first_of = |kind: &str| {
        pending
            .iter()
            .find(|v| v["kind"] == kind)
            .and_then(|v| v["display_version"].as_str().map(str::to_string))
    };
    let os_update = first_of("update");
    let os_upgrade = first_of("upgrade");
    let days = p
        .last_successful_date
        .map(|d| (obs.now.with_timezone(&chrono::Utc) - d).num_days());
    // A scan time after "now" is impossible (a clock set back, a forged file): said as such,
    // never printed as a negative age.
    let future = p.last_successful_date.filter(|t| *t > obs.now);
    let days = days.filter(|_| future.is_none());
    if let Some(at) = future {
        problems.push(format!(
            "last successful scan recorded in the future ({}): the clock or the file time is wrong",
            at.to_rfc3339()
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
    let mut f = Finding::new(SU_PENDING, status, summary)
        .remediation("run `softwareupdate --list` as root to force a scan; if scans keep failing check network access to Apple's update hosts and free disk space")
        .fact("pending_count", p.recommended_updates.len())
        .fact("pending_updates", json!(pending))
        .fact("pending_os_update_version", json!(os_update))
        .fact("pending_os_upgrade_version", json!(os_upgrade))
        .fact("last_successful_scan", json!(p.last_successful_date.map(|d| d.to_rfc3339())))
        .fact("days_since_last_successful_scan", json!(days))
        .fact("last_session_successful", json!(p.last_session_successful))
        .fact("last_result_code", json!(p.last_result_code))
        .fact("skipped_download_lacking_disk_space", json!(p.skipped_download_lacking_disk_space))
        .fact("auto_install_product_keys", json!(p.auto_install_product_keys))
        .fact(
            "ddm_error",
            json!(p.ddm_error.as_ref().map(|e| json!({"count": e.count, "reason": e.reason, "timestamp": e.timestamp}))),
        );
    for u in &p.recommended_updates {
        f = f.evidence(Evidence::line(
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
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;
    use crate::parse::su_prefs::build_binary;
    use plist::{Dictionary, Value};

    /// Constructed binary plist (keys from FIELD-NOTES and the 26.6 PARTIAL fixture).
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
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.facts["pending_count"], 1);
        assert_eq!(f.facts["pending_os_upgrade_version"], "26.1");
        assert_eq!(f.facts["days_since_last_successful_scan"], 1);
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
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Warning);
        assert!(
            f.summary.contains("no successful scan for 19 days"),
            "{}",
            f.summary
        );
        assert!(f
            .summary
            .contains("DDM error x299: Software update failed."));
        assert_eq!(f.facts["ddm_error"]["count"], 299);
        assert_eq!(kind_of("15.2", "15.1"), "update");
    }
}
