//! Assessments → findings: the one place the checks' typed results become the published
//! `facts` JSON, the `readiness` section and the Addigy keys. The key names and values here are
//! the JSON contract (`schema/report.schema.json`): change them only additively.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{Blocker, Finding, KindVerdict, Readiness, Watchdog};
use crate::checks::battery::BatteryAssessment;
use crate::checks::bootstrap::{BootstrapAssessment, EacsPreflight};
use crate::checks::catalog::{CatalogAssessment, ComplianceAssessment};
use crate::checks::client_liveness::ClientLivenessAssessment;
use crate::checks::daemon_liveness::DaemonLivenessAssessment;
use crate::checks::ddm::DdmAssessment;
use crate::checks::disk::DiskAssessment;
use crate::checks::enrollment::EnrollmentAssessment;
use crate::checks::identity::{CertificateReading, IdentityAssessment};
use crate::checks::liveness::DaemonState;
use crate::checks::os_version::OsVersionAssessment;
use crate::checks::push::PushAssessment;
use crate::checks::readiness::ReadinessAssessment;
use crate::checks::su_pending::PendingAssessment;
use crate::checks::su_settings::SettingsAssessment;
use crate::checks::{Assessment, Diagnosis, Judgement};

/// Every finding of a diagnosis, in report order.
pub fn findings(diag: &Diagnosis) -> Vec<Finding> {
    diag.assessments.iter().map(finding).collect()
}

pub fn finding(a: &Assessment) -> Finding {
    let facts = match a {
        Assessment::Enrollment(a) => enrollment(a),
        Assessment::Identity(a) => identity(a),
        Assessment::ClientLiveness(a) => client_liveness(a),
        Assessment::Push(a) => push(a),
        Assessment::DaemonLiveness(a) => daemon_liveness(a),
        Assessment::OsVersion(a) => os_version(a),
        Assessment::Pending(a) => pending(a),
        Assessment::Settings(a) => settings(a),
        Assessment::Ddm(a) => ddm(a),
        Assessment::Battery(a) => battery(a),
        Assessment::Disk(a) => disk(a),
        Assessment::Bootstrap(a) => bootstrap(a),
        Assessment::Readiness(a) => readiness(a),
        Assessment::Catalog(a) => catalog(a),
        Assessment::Compliance(a) => compliance(a),
        Assessment::Channel(a) => channel(a),
    };
    with_facts(a.id(), a.judgement(), facts)
}

fn with_facts(id: &str, j: &Judgement, facts: Map<String, Value>) -> Finding {
    Finding {
        id: id.to_string(),
        status: j.status,
        summary: j.summary.clone(),
        reason: j.reason.clone(),
        evidence: j.evidence.clone(),
        remediation: j.remediation.clone(),
        facts,
    }
}

/// `mdm.channel`: the verdict, its cause, and each time with its source.
pub(crate) fn channel(a: &crate::checks::channel::ChannelAssessment) -> Map<String, Value> {
    let s = &a.situation;
    let time = |x: Option<&crate::checks::channel::Seen>| {
        x.map(|x| Value::from(crate::state::format_time(x.at)))
            .unwrap_or(Value::Null)
    };
    let source = |x: Option<&crate::checks::channel::Seen>| {
        x.map(|x| Value::from(x.source.text()))
            .unwrap_or(Value::Null)
    };
    let mut f = Facts::default();
    f.put("verdict", s.verdict.code())
        .put("cause", s.cause.as_ref().map(|c| c.code()))
        .put("days_since_last_exchange", s.days_since_last_exchange)
        .put(
            "days_since_last_exchange_at_least",
            s.last_exchange.is_none() && s.days_since_last_exchange.is_some(),
        )
        .put("last_exchange", time(s.last_exchange.as_ref()))
        .put("last_exchange_source", source(s.last_exchange.as_ref()))
        .put("last_mdm_push", time(s.last_mdm_push.as_ref()))
        .put("last_mdm_push_source", source(s.last_mdm_push.as_ref()))
        .put("push_topic", s.push_topic.clone())
        .put("push_topic_registered", s.topic_registered)
        .put("push", s.push.code())
        .put(
            "history_since",
            s.history_since.map(crate::state::format_time),
        );
    // The history as recorded after this run (this run's log merged with the earlier runs').
    let h = &a.next_history;
    let t = |x: Option<chrono::DateTime<chrono::FixedOffset>>| x.map(crate::state::format_time);
    f.put(
        "recorded",
        json!({
            "since": t(h.since),
            "last_exchange": t(h.last_exchange),
            "last_receipt": t(h.last_receipt),
            "last_push_connected": t(h.last_push_connected),
            "last_mdm_push": t(h.last_mdm_push),
            "last_identity_error": t(h.last_identity_error),
            "last_failure": h.last_failure,
        }),
    );
    f.0
}

/// Collects facts; `None` becomes `null`.
#[derive(Default)]
struct Facts(Map<String, Value>);

impl Facts {
    fn put(&mut self, key: &str, v: impl Into<Value>) -> &mut Facts {
        self.0.insert(key.to_string(), v.into());
        self
    }
}

fn ts_of(t: Option<&str>) -> Value {
    t.map(Value::from).unwrap_or(Value::Null)
}

pub(crate) fn enrollment(a: &EnrollmentAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    if let Some(e) = &a.facts {
        f.put("enrolled", e.enrolled)
            .put("dep", e.dep)
            .put("user_approved", e.user_approved)
            .put("server_url", e.server_url.clone())
            .put("topic", e.topic.clone())
            .put(
                "bootstrap_token_supported_by_server",
                e.bootstrap_token_supported_by_server,
            );
        if let Some(p) = &e.profile {
            f.put("profile_identifier", p.profile_identifier.clone())
                .put("check_in_url", p.check_in_url.clone());
        }
        f.put("supervised", e.supervised).put(
            "management_status",
            e.management_status.as_ref().map(|m| {
                json!({
                    "enrolled_via_dep": m.enrolled_via_dep,
                    "user_approved_enrollment": m.user_approved_enrollment,
                })
            }),
        );
    }
    f.0
}

pub(crate) fn identity(a: &IdentityAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let Some(d) = &a.details else {
        return f.0;
    };
    f.put("common_name", d.common_name.clone());
    match &d.certificate {
        CertificateReading::Found {
            chosen: c,
            days_left,
            found,
        } => {
            f.put("subject", c.subject.clone())
                .put("issuer", c.issuer.clone())
                .put("not_after", c.not_after.to_rfc3339())
                .put("days_left", *days_left)
                .put("serial", c.serial.clone())
                .put("certificates_found", *found as u64);
        }
        CertificateReading::NotFound => {
            f.put("certificates_found", 0u64);
        }
        CertificateReading::Unknown => {}
    }
    f.put("identity_errors", d.identity_errors.map(|n| n as u64));
    if let CertificateReading::Found { chosen, .. } = &d.certificate {
        f.put("sha1", chosen.sha1.clone()).put(
            "private_key",
            d.private_key.as_ref().and_then(|k| k.as_bool()),
        );
    }
    f.0
}

pub(crate) fn client_liveness(a: &ClientLivenessAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let cause = a.state.cause().map(|c| c.code());
    f.put("state", a.state.code())
        .put("cause", cause)
        // The 0.1 name of the cause, kept for existing readers.
        .put("stuck_reason", cause)
        .put("verified", a.verified)
        .put("window_minutes", a.window_minutes)
        .put("strict_addigy", a.strict_addigy);
    if let Some(r) = &a.log {
        f.put("last_exchange", ts_of(r.last_exchange.as_deref()))
            .put("last_success", ts_of(r.last_success.as_deref()))
            .put("last_failure", ts_of(r.last_failure.as_deref()))
            .put("last_failure_text", r.last_failure_text.clone())
            .put("last_failure_status", r.last_failure_status)
            .put("last_command", r.last_command.clone())
            .put("last_command_at", ts_of(r.last_command_at.as_deref()))
            .put("unanswered_command", r.unanswered_command.clone())
            .put(
                "unanswered_command_at",
                ts_of(r.unanswered_command_at.as_deref()),
            )
            .put("unjudged_command", r.unjudged_command.clone())
            .put("last_error_tag_text", r.last_error_tag_text.clone())
            .put("successes", r.successes as u64)
            .put("receipts", r.receipts as u64)
            .put("failures", r.failures as u64)
            .put("http_lines", r.http_lines as u64)
            .put("error_tags", r.error_tags as u64)
            .put("entries", r.entries)
            .put("skipped_lines", r.skipped_lines)
            .put("user_channel_lines", r.user_channel_lines)
            .put("rejected_entries", r.rejected_entries)
            .put("future_entries", r.future_entries as u64)
            .put("truncated", r.truncated);
    }
    f.0
}

pub(crate) fn daemon_liveness(a: &DaemonLivenessAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let addigy = a.su_command.is_some() && a.judgement.status == crate::checks::Status::Failed;
    let cause = match a.state {
        DaemonState::Stalled(_) => Some("stalled"),
        _ if addigy => Some("addigy_rule"),
        _ => None,
    };
    f.put("state", a.state.code())
        .put("cause", cause)
        .put("stuck_reason", cause)
        .put("window_minutes", a.window_minutes)
        .put("stall_minutes", a.stall_minutes)
        .put("mdmclient_state", a.mdmclient_state.code())
        .put("addigy_rule", addigy)
        .put("su_command", a.su_command.as_ref().map(|(c, _)| c.clone()))
        .put("su_command_unanswered", a.su_command_unanswered)
        // Addigy's command rule needs the legacy software-update commands: removed in 27.
        .put(
            "addigy_command_rule",
            a.legacy.map(|l| match l {
                crate::checks::os_version::LegacySurface::Removed => {
                    "not_applicable_removed_in_macos_27"
                }
                _ => "applies",
            }),
        );
    if let Some(r) = &a.log {
        f.put("last_progress", r.last_progress.clone())
            .put("last_phase", r.last_phase.clone())
            .put("last_portion_complete", r.last_portion)
            .put("stall_sign", r.stall_sign)
            .put("minutes_since_progress", r.minutes_since_progress)
            .put("prepared_waiting", r.prepared_waiting)
            .put("last_scan_complete", r.last_scan_complete.clone())
            .put("last_work", r.last_work.clone())
            .put("last_install_state", r.last_install_state.clone())
            .put("status_reports", r.status_reports)
            .put("rejected_entries", r.rejected_entries)
            .put("future_entries", r.future_entries as u64)
            .put("truncated", r.truncated)
            .put(
                "install_log_last_activity",
                r.install_log_last_activity
                    .as_ref()
                    .map(|(at, p)| json!({"timestamp": at, "pattern": p})),
            );
    }
    f.0
}

pub(crate) fn push(a: &PushAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    f.put("state", a.state.code())
        .put("verified", a.verified)
        .put("window_minutes", a.window_minutes);
    if let Some(r) = &a.log {
        f.put("last_connected", r.last_connected.clone())
            .put("last_connected_text", r.last_connected_text.clone())
            .put("last_disconnected", r.last_disconnected.clone())
            .put("identity_failures", r.identity_failures)
            .put("rejected_entries", r.rejected_entries);
    }
    f.0
}

pub(crate) fn os_version(a: &OsVersionAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let Some(o) = &a.os else {
        return f.0;
    };
    let v = &o.version;
    f.put("product_version", v.product_version.clone())
        .put("build_version", v.build_version.clone())
        .put("product_version_extra", v.product_version_extra.clone())
        .put("rsr_installed", o.rsr_installed)
        .put("security_patch", o.security_patch.map(|p| p.code()))
        .put("full_version", v.full_version())
        .put("architecture", o.architecture.map(|a| a.as_str()))
        .put("model", o.model.clone())
        .put("portable", o.portable);
    if let Some(u) = &o.architecture_unknown {
        f.put("architecture_unknown_reason", u.clone());
    }
    if let Some(u) = &o.model_unknown {
        f.put("model_unknown_reason", u.clone());
    }
    f.0
}

pub(crate) fn pending(a: &PendingAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let Some(p) = &a.prefs else {
        return f.0;
    };
    let items: Vec<Value> = p
        .pending
        .iter()
        .map(|u| {
            json!({
                "product_key": u.product_key,
                "display_name": u.display_name,
                "display_version": u.display_version,
                "os": u.os,
                "kind": u.kind.map(|k| k.as_str()),
            })
        })
        .collect();
    f.put("pending_count", p.pending.len())
        .put("pending_updates", Value::Array(items))
        .put("pending_os_update_version", p.os_update_version.clone())
        .put("pending_os_upgrade_version", p.os_upgrade_version.clone())
        .put(
            "last_successful_scan",
            p.last_successful_scan
                .map(|d| crate::state::format_time(d.fixed_offset())),
        )
        .put(
            "days_since_last_successful_scan",
            p.days_since_last_successful_scan,
        )
        .put("last_session_successful", p.last_session_successful)
        .put("last_result_code", p.last_result_code)
        .put(
            "skipped_download_lacking_disk_space",
            p.skipped_download_lacking_disk_space,
        )
        .put(
            "auto_install_product_keys",
            json!(p.auto_install_product_keys),
        )
        .put(
            "ddm_error",
            p.ddm_error
                .as_ref()
                .map(|e| json!({"count": e.count, "reason": e.reason, "timestamp": e.timestamp})),
        );
    f.0
}

pub(crate) fn settings(a: &SettingsAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let automatic: Map<String, Value> = a
        .automatic
        .iter()
        .map(|s| {
            (
                s.key.to_string(),
                match s.value {
                    Some((v, src)) => json!({"value": v, "source": src.as_str()}),
                    None => Value::Null,
                },
            )
        })
        .collect();
    f.put("default_catalog", a.default_catalog)
        .put("beta_catalog", a.default_catalog.map(|d| !d))
        .put("catalog_url", a.catalog_url.clone())
        .put("automatic", Value::Object(automatic))
        .put("deferrals_known", a.deferrals_known)
        .put("update_deferral_days", a.minor_deferral_days)
        .put("upgrade_deferral_days", a.major_deferral_days)
        .put("catalog_source", a.catalog_source.code())
        .put(
            "legacy_surface",
            a.legacy.map(|l| match l {
                crate::checks::os_version::LegacySurface::Supported => "supported",
                crate::checks::os_version::LegacySurface::Deprecated => "deprecated_in_26",
                crate::checks::os_version::LegacySurface::Removed => "removed_in_27",
            }),
        );
    f.0
}

/// A prepared update: its version, when its version file was written, and which file.
/// `waiting`: newer than the running system (false: a record of an update already applied).
fn staged_json(s: &crate::observe::StagedUpdate, waiting: bool) -> Value {
    json!({
        "version": s.version.product_version,
        "build": s.version.build_version,
        "since": s.since.map(|t| t.to_rfc3339()),
        "source": s.source.as_str(),
        "waiting": waiting,
    })
}

pub(crate) fn ddm(a: &DdmAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    f.put("situation", a.situation.code())
        .put("stuck_cause", a.situation.stuck().map(|c| c.code()))
        .put(
            "staged",
            a.staged.as_ref().map(|s| staged_json(s, a.staged_waiting)),
        )
        .put("prepare_snapshot", a.prepare_snapshot);
    f.put(
        "install_state",
        a.install_state.as_ref().map(|s| s.as_str().to_string()),
    )
    .put(
        "failure_reason",
        a.failure.as_ref().map(|fr| {
            json!({
                "count": fr.reason.count,
                "reason": fr.reason.reason,
                "timestamp": fr.reason.timestamp,
                "source": fr.source.as_str(),
            })
        }),
    )
    .put(
        "pending_version",
        a.pending_version.as_ref().map(|p| {
            json!({
                "os_version": p.os_version,
                "build_version": p.build_version,
                "target_local_date_time": p.target_local_date_time,
            })
        }),
    );
    if let Some(u) = &a.status_unknown {
        f.put("status_unknown_reason", u.clone());
    }
    f.put(
        "unconfirmed",
        Value::Array(
            a.unconfirmed
                .iter()
                .map(|u| json!({"code": u.code(), "text": u.text()}))
                .collect(),
        ),
    );
    if let Some(d) = &a.declarations {
        let decls: Vec<Value> = d
            .items
            .iter()
            .map(|s| {
                let d = &s.declaration;
                json!({
                    "key": d.key,
                    "target_os_version": d.target_os_version,
                    "target_build_version": d.target_build_version,
                    "target_local_date_time": d.target_local_date_time_raw,
                    "details_url": d.details_url,
                    "state": s.state.as_str(),
                    "minutes_left": s.minutes_left,
                })
            })
            .collect();
        f.put("declarations", Value::Array(decls))
            .put(
                "global_settings",
                json!(d
                    .global_settings
                    .iter()
                    .cloned()
                    .collect::<BTreeMap<_, _>>()),
            )
            .put(
                "target",
                d.target.as_ref().map(|t| {
                    json!({
                        "key": t.key,
                        "os_version": t.os_version,
                        "build_version": t.build_version,
                        "deadline_local": t.deadline_local,
                        "kind": t.kind.map(|k| k.as_str()),
                        "state": t.state.as_str(),
                        "minutes_left": t.minutes_left,
                        "deadline_passed": t.deadline_passed,
                    })
                }),
            );
    }
    // Why the declared target is blocked (stuck past its deadline), as the finding says it.
    if a.situation.blocks_target() {
        f.put("blocker", a.judgement.summary.clone());
    }
    f.0
}

pub(crate) fn battery(a: &BatteryAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let Some(r) = &a.reading else {
        return f.0;
    };
    f.put("internal_battery", r.internal.is_some())
        .put("on_ac", r.on_ac)
        .put("source", r.source.clone())
        .put("user_initiated", r.user_initiated.as_str())
        .put("automatic", r.automatic.as_str())
        .put("rsr", r.rsr.as_str())
        .put("automatic_download", r.automatic_download.as_str());
    if let Some(b) = &r.internal {
        f.put("percent", b.percent)
            .put("state", b.state.clone())
            .put("remaining", b.remaining.clone())
            .put("architecture", b.architecture.map(|a| a.as_str()))
            .put(
                "thresholds",
                b.thresholds.map(|t| {
                    json!({"user_initiated": t.user_initiated, "automatic": t.automatic, "rsr": t.rsr})
                }),
            )
            .put(
                "threshold_source",
                "Apple, Managing software updates for IT (power requirements table)",
            )
            .put(
                "needed_percent",
                json!({
                    "user_initiated": b.needed.user_initiated,
                    "automatic": b.needed.automatic,
                    "rsr": b.needed.rsr,
                }),
            );
    }
    f.0
}

pub(crate) fn disk(a: &DiskAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    let Some(s) = &a.space else {
        return f.0;
    };
    f.put("free_bytes", s.free_bytes)
        .put("free_gb", s.free_gb())
        .put("free_source", s.free_source.label())
        .put(
            "download_size_known",
            s.download_update.is_some() || s.download_upgrade.is_some(),
        )
        .put(
            "download_update_bytes",
            s.download_update.as_ref().map(|d| d.bytes),
        )
        .put(
            "download_upgrade_bytes",
            s.download_upgrade.as_ref().map(|d| d.bytes),
        )
        .put("needed_update_bytes", s.needed_update_bytes)
        .put("needed_upgrade_bytes", s.needed_upgrade_bytes)
        .put("headroom_update_gb", s.headroom_update_gb)
        .put("headroom_upgrade_gb", s.headroom_upgrade_gb)
        .put("headroom_source", "SUPER prerequisite checks (15 GB update, 25 GB upgrade, plus the download); Apple's guide only asks for sufficient space")
        .put("update", s.update.as_str())
        .put("upgrade", s.upgrade.as_str())
        .put(
            "available_for_important_usage_bytes",
            s.available_for_important_usage,
        );
    if s.download_update.is_some() || s.download_upgrade.is_some() {
        f.put("download_source", "softwareupdate --list --no-scan");
    }
    if !s.rejected.is_empty() {
        f.put(
            "rejected_sources",
            s.rejected
                .iter()
                .map(|r| json!({"source": r.source.label(), "bytes": r.bytes, "reason": r.why}))
                .collect::<Vec<_>>(),
        );
    }
    if let Some((source, bytes)) = s.disagreeing {
        f.put(
            "disagreeing_source",
            json!({"source": source.label(), "bytes": bytes}),
        );
    }
    if let Some((container, volume)) = s.diskutil {
        f.put("container_free_bytes", container)
            .put("volume_free_bytes", volume);
    }
    if let Some(g) = s.device_capacity_gb {
        f.put("available_device_capacity_gb", g);
    }
    f.0
}

pub(crate) fn bootstrap(a: &BootstrapAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    match (&a.token, a.applicable) {
        (Some(t), _) => {
            f.put("applicable", true)
                .put("supported_on_server", t.supported_on_server)
                .put("escrowed", t.escrowed);
            match &t.eacs_preflight {
                None => {}
                Some(EacsPreflight::Value(v)) => {
                    f.put("eacs_preflight", v.clone()).put(
                        "eacs_preflight_state",
                        crate::checks::bootstrap::EacsValue::of(v).as_str(),
                    );
                }
                Some(EacsPreflight::NotReported | EacsPreflight::Absent) => {
                    f.put("eacs_preflight", Value::Null);
                }
                Some(EacsPreflight::Unknown(why)) => {
                    f.put("eacs_preflight", Value::Null)
                        .put("eacs_preflight_unknown_reason", why.clone());
                }
            }
        }
        (None, Some(false)) => {
            f.put("applicable", false);
        }
        (None, _) => {}
    }
    f.0
}

pub(crate) fn readiness(a: &ReadinessAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    for v in &a.kinds {
        f.put(
            v.kind.as_str(),
            json!({
                "verdict": v.state.as_str(),
                "target": v.target,
                "blocked_by": v.blocked_by.iter().map(|b| json!({"check": b.check, "detail": b.detail})).collect::<Vec<_>>(),
                "unknown": v.unknown,
                "security_patch": v.security_patch.map(|p| p.code()),
            }),
        );
    }
    if let Some(s) = &a.staged {
        // Readiness shows only an update still to apply.
        f.put("staged", staged_json(s, true));
    }
    f.0
}

pub(crate) fn catalog(a: &CatalogAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    if let Some(c) = &a.found {
        let list: Vec<Value> = c
            .newer
            .iter()
            .map(|r| json!({"version": r.version, "build": r.build, "extra": r.extra, "posting_date": r.posting_date, "list": r.list}))
            .collect();
        f.put("format", c.format.clone())
            .put("model", c.model.clone())
            .put("board_ids", json!(c.board_ids))
            .put("newer", Value::Array(list));
    }
    f.0
}

pub(crate) fn compliance(a: &ComplianceAssessment) -> Map<String, Value> {
    let mut f = Facts::default();
    if let Some(c) = &a.found {
        f.put("running", c.running.clone())
            .put("newest_for_major", c.newest_for_major.clone())
            .put("newest_major", c.newest_major.clone())
            .put("releases_behind", c.releases_behind)
            .put("days_behind", c.days_behind)
            .put("missing_cves", json!(c.missing_cves))
            .put("missing_exploited_cves", json!(c.missing_exploited_cves))
            .put("exploited_days", c.exploited_days)
            .put("feed_age_days", c.feed_age_days)
            .put("exploited_deadline_days", c.exploited_deadline_days)
            .put("deadline_days", c.deadline_days);
    }
    f.0
}

/// The report's `readiness` section.
pub fn readiness_section(a: &ReadinessAssessment) -> Readiness {
    Readiness {
        summary: a.judgement.summary.clone(),
        lines: crate::checks::readiness::summary_lines(&a.kinds),
        kinds: a
            .kinds
            .iter()
            .map(|v| {
                (
                    v.kind.as_str().to_string(),
                    KindVerdict {
                        verdict: v.state.as_str().to_string(),
                        target: v.target.clone(),
                        blocked_by: v
                            .blocked_by
                            .iter()
                            .map(|b| Blocker {
                                check: b.check.to_string(),
                                detail: b.detail.clone(),
                            })
                            .collect(),
                        unknown: v.unknown.clone(),
                        security_patch: v.security_patch.map(|p| p.code().to_string()),
                    },
                )
            })
            .collect(),
    }
}

/// The four diagnostic Addigy keys; the restart keys are filled by heal from its state.
/// `MDMClientStuck` keeps Addigy's meaning: communication with the server is failing (on verified
/// evidence), whatever the cause; whether a restart follows is heal's separate decision.
pub fn watchdog(diag: &Diagnosis) -> Watchdog {
    Watchdog {
        mdm_enrolled: diag.enrolled,
        mdm_identity_error: diag.identity_error,
        mdm_client_stuck: diag.mdm_client_stuck,
        mdm_software_updates_stuck: diag.mdm_software_updates_stuck,
        ..Watchdog::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::{base, failed, obs, with};
    use crate::checks::{diagnose, Status};
    use crate::config::Config;

    fn keys(f: &Finding) -> Vec<&str> {
        f.facts.keys().map(String::as_str).collect()
    }

    #[test]
    fn every_finding_in_report_order_with_its_published_facts() {
        let d = diagnose(&obs(base()), &Config::default());
        let all = findings(&d);
        let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "mdm.channel",
                "mdm.enrollment",
                "mdm.identity",
                "mdm.client_liveness",
                "mdm.push",
                "softwareupdate.daemon_liveness",
                "os.version",
                "softwareupdate.pending",
                "softwareupdate.settings",
                "softwareupdate.ddm",
                "power.battery",
                "disk.free_space",
                "bootstrap_token",
                "readiness"
            ]
        );
        let battery = &all[10];
        assert_eq!(battery.facts["user_initiated"], "meets");
        assert_eq!(battery.facts["needed_percent"]["rsr"], 10);
        assert!(keys(battery).contains(&"threshold_source"));
        let disk = &all[11];
        assert_eq!(disk.facts["free_source"], "diskutil APFSContainerFree");
        assert_eq!(disk.facts["free_gb"], 198.6);
        let r = readiness_section(d.readiness().unwrap());
        assert_eq!(r.kinds["update"].verdict, "ready");
        assert_eq!(
            all[13].facts["rsr"]["verdict"], "ready",
            "the finding and the section agree"
        );
    }

    #[test]
    fn unknown_assessments_publish_no_facts_and_keep_the_reason() {
        let b = with(base(), failed("pmset_batt", 1, "pmset: error"));
        let b = with(b, failed("sw_vers", 1, "sw_vers: error"));
        let d = diagnose(&obs(b), &Config::default());
        let all = findings(&d);
        for id in ["power.battery", "os.version"] {
            let f = all.iter().find(|f| f.id == id).unwrap();
            assert_eq!(f.status, Status::Unknown, "{id}");
            assert!(f.facts.is_empty(), "{id}: {:?}", f.facts);
            assert!(f.summary.starts_with("unknown: "), "{id}");
            assert!(f.reason.as_deref().unwrap().contains("failed"), "{id}");
        }
    }
}
