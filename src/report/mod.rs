//! The report: the only serialised types, i.e. the JSON contract (`schema/report.schema.json`),
//! and the human rendering. Additive changes keep `schema_version`; anything else bumps it.
//! `findings`(mod@findings) alone turns the checks' typed assessments into findings with their `facts` JSON
//! and into the `readiness` section; nothing below this module is serialisable.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Exit status when no check could be determined (see [`Report::exit_code`]).
pub(crate) const EXIT_UNDETERMINED: i32 = 3;

pub(crate) mod findings;

pub use findings::{finding, findings, readiness_section, watchdog};
// A finding's status and evidence lines are the checks' own types, printed here.
pub use crate::checks::{Evidence, Status};

fn status_str<S: serde::Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

/// The published form of one evidence line.
#[derive(Serialize)]
struct EvidenceLine<'a> {
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    text: &'a str,
}

fn evidence_lines<S: serde::Serializer>(ev: &[Evidence], ser: S) -> Result<S::Ok, S::Error> {
    ser.collect_seq(ev.iter().map(|e| EvidenceLine {
        source: &e.source,
        timestamp: e.timestamp.as_deref(),
        text: &e.text,
    }))
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(skip)]
    pub id: String,
    #[serde(serialize_with = "status_str")]
    pub status: Status,
    pub summary: String,
    /// For `unknown`: why (probe missing, timed out, unparseable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(serialize_with = "evidence_lines")]
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Structured facts for MDMs and osquery (days_left, state, ...).
    pub facts: Map<String, Value>,
}

impl Finding {
    pub fn new(id: &str, status: Status, summary: impl Into<String>) -> Finding {
        Finding {
            id: id.to_string(),
            status,
            summary: summary.into(),
            reason: None,
            evidence: Vec::new(),
            remediation: None,
            facts: Map::new(),
        }
    }

    /// An `unknown` finding; the reason is also the summary's tail.
    pub fn unknown(id: &str, reason: impl Into<String>) -> Finding {
        let reason = reason.into();
        let mut f = Finding::new(id, Status::Unknown, format!("unknown: {reason}"));
        f.reason = Some(reason);
        f
    }

    pub fn evidence(mut self, e: Evidence) -> Finding {
        self.evidence.push(e);
        self
    }

    pub fn remediation(mut self, text: impl Into<String>) -> Finding {
        self.remediation = Some(text.into());
        self
    }

    pub fn fact(mut self, key: &str, value: impl Into<Value>) -> Finding {
        self.facts.insert(key.to_string(), value.into());
        self
    }
}

/// The eight keys Addigy's MDM Watchdog prints, with its exact names. `null` means unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Watchdog {
    #[serde(rename = "MDMEnrolled")]
    pub mdm_enrolled: Option<bool>,
    #[serde(rename = "MDMIdentityError")]
    pub mdm_identity_error: Option<bool>,
    #[serde(rename = "MDMClientStuck")]
    pub mdm_client_stuck: Option<bool>,
    #[serde(rename = "MDMSoftwareUpdatesStuck")]
    pub mdm_software_updates_stuck: Option<bool>,
    #[serde(rename = "MDMClientRestarted")]
    pub mdm_client_restarted: bool,
    #[serde(rename = "SoftwareUpdateDaemonRestarted")]
    pub software_update_daemon_restarted: bool,
    /// RFC 3339, or null for never.
    #[serde(rename = "LastMDMKickstart")]
    pub last_mdm_kickstart: Option<String>,
    #[serde(rename = "LastSoftwareUpdateDaemonKickstart")]
    pub last_software_update_daemon_kickstart: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Host {
    pub os_version: Option<String>,
    pub os_build: Option<String>,
    pub os_version_extra: Option<String>,
    pub model: Option<String>,
    /// "arm64" (Apple silicon) or "x86_64" (Intel).
    pub architecture: Option<String>,
}

/// The `heal` section: what heal decided for each service, what it ran, and what it found after.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HealSection {
    /// True when commands could be executed (live, root, not a dry run, the lock held).
    pub executed: bool,
    /// `--dry-run`, or a replay: decided and reported, nothing executed, no state written.
    pub dry_run: bool,
    pub state_path: String,
    /// The state file as found: ok, missing, unreadable, moved_aside, unwritable, or not_read (a
    /// replay without `--state`).
    pub state: String,
    /// One entry per service, mdmclient first.
    pub services: Vec<ServiceHeal>,
    /// One human line per service, for the text report.
    pub summary_lines: Vec<String>,
    /// Why heal could not act at all (lock not obtainable, state file unreadable or unwritable);
    /// the run then exits 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Heal's decision and its execution for one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceHeal {
    /// mdmclient or softwareupdated.
    pub service: String,
    /// launchd label.
    pub label: String,
    /// The check whose liveness drove the decision, and what it said.
    pub check: String,
    pub liveness: String,
    /// The cause behind that state, when it has one (`client_wedged`, `server_error`,
    /// `stalled`, `unverified_evidence`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// none, would_restart, restarted, refused_by_os, fallback_signal, failed.
    pub action: String,
    /// Machine code of the reason: stuck, not_stuck, quiet, unknown, disabled, install_in_progress,
    /// install_state_unknown, rate_limited, state_unreadable, state_not_writable, not_root,
    /// dry_run, another_run.
    pub reason: String,
    /// The reason for people ("rate-limited until 2026-11-24T10:00:00Z ...").
    pub message: String,
    /// When a rate limit ends (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The OS refused `launchctl kickstart -k` (macOS 14.4+ for critical system processes).
    pub refused_by_os: bool,
    /// Every command heal ran for this service, in order.
    pub steps: Vec<HealStep>,
    /// Re-probe after the restart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// One command heal ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HealStep {
    /// Probe id (public: heal_kickstart_mdmclient, heal_signal_softwareupdated, ...).
    pub id: String,
    pub command: String,
    pub exit_status: Option<i32>,
    pub ok: bool,
    pub detail: String,
}

/// Whether a restarted service came back.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verification {
    pub old_pid: Option<u32>,
    pub new_pid: Option<u32>,
    /// launchd's `state` line after the wait (running, not running, ...).
    pub state: Option<String>,
    /// A new pid (or a pid where there was none) after the wait.
    pub came_back: bool,
    pub detail: String,
}

/// Heal's typed outcome as the report's `heal` section: the one conversion (heal knows nothing
/// of the report).
pub fn heal_section(o: &crate::heal::HealOutcome) -> HealSection {
    use crate::heal::plan::{check_id, Action};
    let services: Vec<ServiceHeal> = o
        .services
        .iter()
        .map(|s| {
            let d = &s.decision;
            ServiceHeal {
                service: d.service.key().into(),
                label: d.service.label().into(),
                check: check_id(d.service).into(),
                liveness: d.condition.state().into(),
                cause: d.condition.cause().map(str::to_string),
                action: match (s.outcome, d.action) {
                    (Some(done), _) => done.as_str().into(),
                    (None, Action::WouldRestart) => "would_restart".into(),
                    (None, _) => "none".into(),
                },
                reason: d.reason.code().into(),
                message: s.message.clone(),
                until: d.until().map(crate::state::format_time),
                refused_by_os: s.refused_by_os,
                steps: s
                    .steps
                    .iter()
                    .map(|x| HealStep {
                        id: x.id.clone(),
                        command: x.command.clone(),
                        exit_status: x.exit_status,
                        ok: x.ok,
                        detail: x.detail.clone(),
                    })
                    .collect(),
                verification: s.verification.as_ref().map(|v| Verification {
                    old_pid: v.old_pid,
                    new_pid: v.new_pid,
                    state: v.state.clone(),
                    came_back: v.came_back,
                    detail: v.detail.clone(),
                }),
            }
        })
        .collect();
    let summary_lines = services
        .iter()
        .map(|s| {
            let mut line = format!("{}: {}: {}", s.service, action_words(&s.action), s.message);
            if let Some(v) = &s.verification {
                line.push_str(&format!("; after the restart: {}", v.detail));
            }
            line
        })
        .collect();
    HealSection {
        executed: o.executed,
        dry_run: o.dry_run,
        state_path: o.state_path.clone(),
        state: o.state.clone(),
        services,
        summary_lines,
        error: o.stopped.clone(),
    }
}

/// A heal action code (`ServiceHeal::action`) in an admin's words, for the lines people read.
fn action_words(action: &str) -> &str {
    match action {
        "none" => "no restart",
        "would_restart" => "would restart",
        "restarted" => "restarted",
        "refused_by_os" => "restart refused by macOS",
        "fallback_signal" => "restarted by signal (launchctl was refused)",
        "failed" => "restart failed",
        other => other,
    }
}

/// Heal's outcome into the report: the restart keys, the `heal` section and heal's errors, with
/// `heal.error` set when heal stopped or its named state file could not be read.
pub(crate) fn apply_heal(report: &mut Report, o: &crate::heal::HealOutcome) {
    let w = &mut report.watchdog;
    w.mdm_client_restarted = o.mdmclient_restarted;
    w.software_update_daemon_restarted = o.softwareupdated_restarted;
    w.last_mdm_kickstart = o.last_mdm_kickstart.map(crate::state::format_time);
    w.last_software_update_daemon_kickstart = o
        .last_software_update_kickstart
        .map(crate::state::format_time);
    let mut section = heal_section(o);
    if let Some(e) = heal_error(o) {
        section.error.get_or_insert(e);
    }
    report.heal = Some(section);
    report.errors.extend(o.errors.iter().cloned());
}

/// What stopped heal, or a state file it could not read (under `--replay` or `--dry-run` heal
/// decides without writing, so it does not stop; the admin named a state file that cannot be
/// read all the same): said on stderr, in `heal.error`, exit status 2 (README, "Heal").
pub(crate) fn heal_error(o: &crate::heal::HealOutcome) -> Option<String> {
    if let Some(e) = &o.stopped {
        return Some(e.clone());
    }
    (o.state == "unreadable").then(|| {
        o.errors
            .iter()
            .find(|e| e.starts_with("state file unreadable"))
            .cloned()
            .unwrap_or_else(|| format!("state file unreadable: {}", o.state_path))
    })
}

/// What happened to one probe (for the `probes` section).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeSummary {
    pub id: String,
    pub command: String,
    pub available: bool,
    pub exit_status: Option<i32>,
    pub duration_ms: u64,
    pub timed_out: bool,
    pub truncated: bool,
    pub stdout_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&crate::observe::ProbeRun> for ProbeSummary {
    fn from(p: &crate::observe::ProbeRun) -> ProbeSummary {
        ProbeSummary {
            id: p.id.clone(),
            command: p.command.clone(),
            available: p.available,
            exit_status: p.exit_status,
            duration_ms: p.duration_ms,
            timed_out: p.timed_out,
            truncated: p.truncated,
            stdout_bytes: p.stdout_bytes,
            error: p.error.clone(),
        }
    }
}

/// The Addigy "last kickstart" keys from heal's state file, read only (any user may diagnose).
/// Returns a problem worth reporting, if any; a missing file is not one.
pub(crate) fn watchdog_from_state(
    state_path: &std::path::Path,
    w: &mut Watchdog,
) -> Option<String> {
    use crate::state::{self, Loaded};
    match state::load(state_path) {
        Loaded::Missing => None,
        Loaded::Found(s) => {
            w.last_mdm_kickstart = s.last_mdm_kickstart.map(state::format_time);
            w.last_software_update_daemon_kickstart =
                s.last_software_update_kickstart.map(state::format_time);
            None
        }
        Loaded::Bad { reason, .. } => Some(format!("state file unreadable: {reason}")),
    }
}

/// The report's `config` section from the loaded settings: every leaf key with its value and
/// source, the sources consulted, warnings and refused values. A report function (not a method
/// of `config::Loaded`): settings know nothing of the report.
pub fn config_section(loaded: &crate::config::Loaded) -> ConfigSection {
    let mut settings = Vec::new();
    for (key, value) in crate::config::leaf_values(&loaded.config) {
        settings.push(ConfigSetting {
            source: loaded.source_of(&key).as_str().to_string(),
            key,
            value,
        });
    }
    settings.push(ConfigSetting {
        key: "StatePath".to_string(),
        value: serde_json::json!(loaded.config.state_path().display().to_string()),
        source: loaded.source_of("StatePath").as_str().to_string(),
    });
    ConfigSection {
        settings,
        sources: loaded
            .sources
            .iter()
            .map(|s| ConfigSourceState {
                source: s.source.clone(),
                path: s.path.clone(),
                state: s.state.clone(),
            })
            .collect(),
        warnings: loaded.warnings.clone(),
        errors: loaded.errors.clone(),
    }
}

/// Why an update kind is blocked: the finding and its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocker {
    pub check: String,
    pub detail: String,
}

/// One update kind's verdict: `ready`, `blocked` (with the blocking findings) or `unknown`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindVerdict {
    /// ready, not_offered, blocked, unknown or not_applicable (an MDM-initiated install on 27
    /// without a declaration).
    pub verdict: String,
    /// The version this verdict is about, when known (pending update, declared target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub blocked_by: Vec<Blocker>,
    /// Why parts of the verdict are unknown (probe and fault).
    pub unknown: Vec<String>,
    /// The `rsr` kind: which security patch this macOS gets (`rapid_security_response` up to
    /// 26.0, `background_security_improvement` from 26.1; the key stays `rsr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_patch: Option<String>,
}

/// Readiness per update kind: `update`, `upgrade`, `rsr`, and `ddm_target` when an enforcement
/// declaration is active.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// The human line: `update ready; upgrade blocked (...); rsr ready`.
    pub summary: String,
    /// The same, one group of kinds per line (the text report prints them one per line when
    /// the kinds differ).
    #[serde(skip)]
    pub lines: Vec<String>,
    #[serde(flatten)]
    pub kinds: BTreeMap<String, KindVerdict>,
}

/// One effective setting and the source that set it (`config.settings`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigSetting {
    /// The preference key (`RestartSpacingHours`); nested keys are dotted
    /// (`BatteryThresholds.AppleSilicon.User`).
    pub key: String,
    pub value: Value,
    /// default, config_file, local_preferences, managed_preferences or command_line.
    pub source: String,
}

/// One settings source that was consulted (`config.sources`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigSourceState {
    /// config_file, local_preferences or managed_preferences.
    pub source: String,
    pub path: String,
    /// read, absent, unreadable or invalid.
    pub state: String,
}

/// Where each setting came from, and what was refused (`config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigSection {
    pub settings: Vec<ConfigSetting>,
    pub sources: Vec<ConfigSourceState>,
    /// Unknown keys, unreadable or corrupt sources: the run continued with other values.
    pub warnings: Vec<String>,
    /// Values refused (wrong type, out of bounds): ignored, the next source's value applies.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub mdmwatch_version: String,
    /// RFC 3339 with the device's UTC offset ("now": captured_at under replay).
    pub generated_at: String,
    /// diagnose, heal or run.
    pub mode: String,
    /// "live" or "replay of DIR".
    pub source: String,
    pub host: Host,
    /// Effective settings with their sources.
    pub config: ConfigSection,
    pub watchdog: Watchdog,
    /// Can this Mac take each kind of update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
    /// Findings keyed by check id.
    pub checks: BTreeMap<String, Finding>,
    /// Heal decisions (heal and run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heal: Option<HealSection>,
    pub probes: Vec<ProbeSummary>,
    /// Non-fatal problems of the run itself (state file unreadable, status not written).
    pub errors: Vec<String>,
    /// Order in which checks were produced (for the human report).
    #[serde(skip)]
    pub order: Vec<String>,
    /// The run had root. Without it device profiles, the System keychain and mdmclient's device
    /// queries are out of reach, so `Healthy` is never true (not serialized: the verdict says it).
    #[serde(skip)]
    pub root: bool,
}

impl Report {
    /// Exit code: 1 a check failed or warned; 3 nothing could be determined (every check
    /// `unknown`: not macOS, or every probe failed), so an MDM never reads that as healthy;
    /// else 0. Some `unknown` findings beside determined ones do not change it.
    pub fn exit_code(&self) -> i32 {
        if self
            .checks
            .values()
            .any(|f| matches!(f.status, Status::Failed | Status::Warning))
        {
            1
        } else if self
            .checks
            .values()
            .filter(|f| f.status != Status::NotApplicable)
            .all(|f| f.status == Status::Unknown)
        {
            EXIT_UNDETERMINED
        } else {
            0
        }
    }

    /// Why nothing could be determined (exit status 3), for the first line of the report.
    pub(crate) fn undetermined_reason(&self) -> Option<String> {
        if self.exit_code() != EXIT_UNDETERMINED {
            return None;
        }
        if self.source == "live" && !cfg!(target_os = "macos") {
            return Some(format!(
                "could not determine anything: not macOS (this is {}): mdmwatch reads a Mac's own \
                 tools; use --replay DIR to diagnose a capture taken on a Mac",
                std::env::consts::OS
            ));
        }
        let failed: Vec<String> = self
            .probes
            .iter()
            .filter_map(|p| {
                let why = if !p.available {
                    "not available".to_string()
                } else if p.timed_out {
                    "timed out".to_string()
                } else if p.exit_status != Some(0) {
                    match p.exit_status {
                        Some(n) => format!("exit status {n}"),
                        None => "no exit status".to_string(),
                    }
                } else {
                    return None;
                };
                Some(format!("{} ({why})", p.id))
            })
            .collect();
        let shown = failed.len().min(8);
        let more = if failed.len() > shown {
            format!(" and {} more", failed.len() - shown)
        } else {
            String::new()
        };
        Some(if failed.is_empty() {
            "could not determine anything: every check is unknown (see each finding's reason)"
                .to_string()
        } else {
            format!(
                "could not determine anything: {} of {} probes failed: {}{more}",
                failed.len(),
                self.probes.len(),
                failed[..shown].join(", ")
            )
        })
    }

    /// The JSON document: the report and its `overall` block (computed from the findings, so
    /// `--json`, status.json and status.plist can never disagree about it).
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        let mut v = serde_json::to_value(self).expect("report serialises");
        if let Value::Object(m) = &mut v {
            m.insert(
                "overall".to_string(),
                serde_json::to_value(self.overall()).expect("overall serialises"),
            );
        }
        serde_json::to_string_pretty(&v).expect("report serialises")
    }

    /// Problems, unknowns and not-applicable checks in report order, and the verdict.
    pub fn overall(&self) -> Overall {
        let mut ids: Vec<&str> = Vec::new();
        for id in self.order.iter().chain(self.checks.keys()) {
            if self.checks.contains_key(id) && !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        let with = |pred: &dyn Fn(Status) -> bool| -> Vec<String> {
            ids.iter()
                .filter(|id| pred(self.checks[**id].status))
                .map(|id| id.to_string())
                .collect()
        };
        let problems = with(&|s| matches!(s, Status::Failed | Status::Warning));
        let unknowns = with(&|s| s == Status::Unknown);
        let not_applicable = with(&|s| s == Status::NotApplicable);
        let exit_code = self.exit_code();
        // Healthy only when every applicable check was determined and none failed or warned:
        // a Mac whose checks could not run is not counted as fine by a smart group.
        let healthy = if !problems.is_empty() {
            Some(false)
        } else if !unknowns.is_empty() || exit_code == EXIT_UNDETERMINED || !self.root {
            None
        } else {
            Some(true)
        };
        Overall {
            healthy,
            exit_code,
            problem_count: problems.len(),
            unknown_count: unknowns.len(),
            verdict: self.verdict(healthy, &problems, &unknowns, &not_applicable),
            root: self.root,
            problems,
            unknowns,
            not_applicable,
        }
    }

    /// The first line of the human report: the MDM channel's verdict when that check exists and
    /// was determined, then problems and incomplete checks counted.
    fn verdict(
        &self,
        healthy: Option<bool>,
        problems: &[String],
        unknowns: &[String],
        na: &[String],
    ) -> String {
        if let Some(why) = self.undetermined_reason() {
            return why;
        }
        let ok = self
            .checks
            .values()
            .filter(|f| f.status == Status::Ok)
            .count();
        let mut counts = if healthy == Some(true) {
            format!("healthy: {}", plural(ok, "check", "checks") + " ok")
        } else if problems.is_empty() && unknowns.is_empty() {
            // Every check answered, but from what a user may read: not called healthy.
            format!(
                "no problem found, {} (not root: run with sudo to read everything)",
                plural(ok, "check", "checks") + " ok"
            )
        } else {
            let mut parts = Vec::new();
            if !problems.is_empty() {
                parts.push(plural(problems.len(), "problem", "problems"));
            } else {
                parts.push("no problem found".to_string());
            }
            if !unknowns.is_empty() {
                let needs_root = unknowns.iter().any(|id| {
                    self.checks[id]
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.contains("not_root") || r.contains("needs root"))
                });
                parts.push(format!(
                    "{} incomplete{}",
                    plural(unknowns.len(), "check", "checks"),
                    if needs_root {
                        " (some need root: run with sudo)"
                    } else {
                        ""
                    }
                ));
            }
            parts.join(", ")
        };
        if !na.is_empty() {
            counts.push_str(&format!("; {} not applicable", na.len()));
        }
        match self.checks.get(CHANNEL) {
            Some(f) if f.status != Status::Unknown && f.status != Status::NotApplicable => {
                format!("MDM channel: {}; {counts}", humanize(&f.summary))
            }
            _ => counts,
        }
    }

    pub(crate) fn findings_in_order(&self) -> impl Iterator<Item = &Finding> {
        self.order.iter().filter_map(|id| self.checks.get(id))
    }
}

/// The MDM channel verdict (one finding summing up whether this Mac and its server talk); the
/// report leads with it when present and falls back to counting problems otherwise.
pub(crate) const CHANNEL: &str = "mdm.channel";

/// The `overall` block of the JSON report and status.json (status.plist carries the same keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overall {
    /// true: every applicable check ran and none failed or warned; false: a problem; null: no
    /// problem found but some applicable check could not be determined.
    #[serde(rename = "Healthy")]
    pub healthy: Option<bool>,
    #[serde(rename = "ExitCode")]
    pub exit_code: i32,
    #[serde(rename = "ProblemCount")]
    pub problem_count: usize,
    /// Failed or warning check ids, in report order.
    #[serde(rename = "Problems")]
    pub problems: Vec<String>,
    #[serde(rename = "UnknownCount")]
    pub unknown_count: usize,
    /// Check ids that could not be determined (not counted as healthy).
    #[serde(rename = "Unknowns")]
    pub unknowns: Vec<String>,
    /// Check ids that do not apply to this Mac (enrollment-dependent checks on an unenrolled
    /// Mac): neither problems nor unknowns.
    #[serde(rename = "NotApplicable")]
    pub not_applicable: Vec<String>,
    /// The human report's first line.
    #[serde(rename = "Verdict")]
    pub verdict: String,
    /// Whether the run could read everything (as root). A run that was not is never `Healthy:
    /// true`, even when every check answered from what a user may read: this says why.
    #[serde(rename = "Root")]
    pub root: bool,
}

/// `1 check`, `2 checks`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checks that judge the MDM relationship: on a Mac that is not enrolled there is none, so an
/// `ok` or `unknown` from them is neither reassurance nor a gap. They become `not_applicable`
/// (a failure is kept: it is evidence of its own, e.g. a Mac still talking to an old server).
/// Applies to macOS 15, 26 and 27 alike (enrollment is read the same way on each).
pub(crate) fn mark_not_applicable(report: &mut Report) {
    let unenrolled = report
        .checks
        .get(crate::checks::ENROLLMENT)
        .is_some_and(|f| f.facts.get("enrolled") == Some(&Value::Bool(false)));
    if !unenrolled {
        return;
    }
    for id in crate::checks::ENROLLMENT_DEPENDENT {
        if let Some(f) = report.checks.get_mut(*id) {
            if matches!(f.status, Status::Ok | Status::Unknown) {
                f.status = Status::NotApplicable;
                f.summary = format!(
                    "not applicable: the Mac is not enrolled in MDM ({})",
                    f.summary
                );
                f.reason = None;
                f.remediation = None;
            }
        }
    }
}

/// Internal words out of human text (the JSON keeps them): probe fault codes, setting names in
/// their Rust spelling, heal's cause codes. Applied when rendering only.
pub(crate) fn humanize(text: &str) -> String {
    let mut t = fix_plurals(text);
    for (from, to) in [
        (" not_root: ", " needs root: "),
        (" timeout: ", " timed out: "),
        (" unparseable: ", " unreadable output: "),
        (" not_available: ", " not available: "),
        ("heal_mdmclient", "HealMDMClient"),
        ("heal_softwareupdated", "HealSoftwareUpdated"),
        ("client_wedged", "client wedged"),
        ("(server_error)", "(server errors)"),
        ("(auth_rejected)", "(refused)"),
        ("(transport_failure, ", "(network failure, "),
        (" not_offered", " not offered"),
        (
            "(download_or_prepare_failing)",
            "(download or prepare failing)",
        ),
        (
            "(declaration_missing_or_invalid)",
            "(declaration missing or invalid)",
        ),
        ("(prerequisites_blocking)", "(prerequisites blocking)"),
        ("(not_offered_yet)", "(not offered yet)"),
        ("(update_prepared)", "(an update is prepared)"),
        (" (fleetdm/fleet issues)", ""),
    ] {
        t = t.replace(from, to);
    }
    // A fault said twice by two layers ("timed out: timed out") is said once.
    let mut t = probe_words(&t);
    for twice in ["timed out: timed out", "needs root: needs root"] {
        let once = &twice[..twice.find(':').unwrap_or(twice.len())];
        while t.contains(twice) {
            t = t.replace(twice, once);
        }
    }
    rfc3339_times(&t)
}

/// Probe ids in admin words, longest first ("log_mdmclient_lookback" before "log_mdmclient").
const PROBE_WORDS: &[(&str, &str)] = &[
    ("log_mdmclient_lookback", "mdmclient's 7-day log look-back"),
    (
        "launchctl_softwareupdated",
        "launchctl print of softwareupdated",
    ),
    ("launchctl_mdmclient", "launchctl print of mdmclient"),
    (
        "profiles_bootstraptoken",
        "profiles status -type bootstraptoken",
    ),
    ("profiles_enrollment", "profiles status -type enrollment"),
    ("managed_restrictions", "the managed restrictions"),
    ("available_space_root", "the startup volume's free space"),
    ("softwareupdate_list", "softwareupdate --list"),
    ("log_softwareupdate", "softwareupdated's log"),
    ("managed_su_prefs", "the managed Software Update settings"),
    ("log_mdmclient", "mdmclient's log"),
    ("mdmclient_qdi", "mdmclient QueryDeviceInformation"),
    ("mdmclient_qsi", "mdmclient QuerySecurityInfo"),
    ("identity_cert", "the identity certificate lookup"),
    ("identity_keys", "the identity key lookup"),
    ("apsctl_status", "apsctl status"),
    ("diskutil_root", "diskutil info /"),
    ("profiles_mdm", "the device profile list"),
    ("pmset_batt", "pmset -g batt"),
    ("ddm_state", "the DDM update state file"),
    ("hw_arm64", "sysctl hw.optional.arm64"),
    ("hw_model", "sysctl hw.model"),
    ("su_prefs", "the Software Update preferences"),
    ("log_apsd", "apsd's log"),
];

/// "probe log_mdmclient timed out" -> "mdmclient's log timed out": a probe id standing as a
/// word (not part of a file name such as `mdmclient_qdi.stdout`) said in admin words.
fn probe_words(text: &str) -> String {
    let mut t = text.to_string();
    for (id, words) in PROBE_WORDS {
        let mut out = String::with_capacity(t.len());
        let mut rest = t.as_str();
        while let Some(at) = rest.find(id) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + id.len()..].chars().next();
            let word = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                && after.is_none_or(|c| matches!(c, ' ' | ':' | ',' | ';' | ')'));
            if word {
                let head = &rest[..at];
                out.push_str(head.strip_suffix("probe ").unwrap_or(head));
                out.push_str(words);
            } else {
                out.push_str(&rest[..at + id.len()]);
            }
            rest = &rest[at + id.len()..];
        }
        out.push_str(rest);
        t = out;
    }
    t
}

/// Counts said right in text the checks wrote with a fixed plural: "1 command receipts" ->
/// "1 command receipt", "1 day(s)" -> "1 day", "3 day(s)" -> "3 days".
pub(crate) fn fix_plurals(text: &str) -> String {
    const PLURALS: &[(&str, &str)] = &[
        ("command receipts", "command receipt"),
        ("successful exchanges", "successful exchange"),
        ("[ERROR] lines", "[ERROR] line"),
        ("entries", "entry"),
        ("exchanges", "exchange"),
        ("receipts", "receipt"),
        ("failures", "failure"),
        ("events", "event"),
        ("lines", "line"),
        ("releases", "release"),
        ("declarations", "declaration"),
        ("checks", "check"),
    ];
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        out.push(w.to_string());
        let n = w.trim_start_matches(['(', '[']);
        let count = (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse::<u64>().ok())
            .flatten();
        if let (Some(count), Some(next)) = (count, words.get(i + 1)) {
            // "day(s)", "declaration(s)": the count decides.
            if let Some(stem) = next.find("(s)").map(|at| (&next[..at], &next[at + 3..])) {
                let (word, tail) = stem;
                out.push(format!("{word}{}{tail}", if count == 1 { "" } else { "s" }));
                i += 2;
                continue;
            }
            if count == 1 {
                let rest = words[i + 1..].join(" ");
                if let Some((plural, single)) = PLURALS.iter().find(|(p, _)| {
                    rest.starts_with(p)
                        && rest[p.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !c.is_alphanumeric())
                }) {
                    let n_words = plural.split(' ').count();
                    let last = words[i + n_words];
                    let tail = &last[plural.rsplit(' ').next().unwrap_or(plural).len()..];
                    out.push(format!("{single}{tail}"));
                    i += 1 + n_words;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.join(" ")
}

/// One time format in the JSON and status files too: every time in summaries, reasons, fixes,
/// facts and readiness details (the log's `2026-11-20 09:12:39.340000-0500`, a tool's UTC `…Z`)
/// rewritten to RFC 3339 at the Mac's local offset (that of `generated_at`, the run's clock) in
/// whole seconds; evidence keeps the quoted line as it was logged. A wall-clock time without an
/// offset (a DDM declaration's `TargetLocalDateTime`) is left as declared. Applied once, by the
/// one report path.
pub(crate) fn normalize_times(report: &mut Report) {
    let local = chrono::DateTime::parse_from_rfc3339(&report.generated_at)
        .ok()
        .map(|t| *t.offset());
    fn value(v: &mut Value, local: Option<chrono::FixedOffset>) {
        match v {
            Value::String(s) => *s = times_at(s, local),
            Value::Array(a) => a.iter_mut().for_each(|x| value(x, local)),
            Value::Object(o) => o.values_mut().for_each(|x| value(x, local)),
            _ => {}
        }
    }
    let text = |s: &mut String| *s = times_at(s, local);
    for f in report.checks.values_mut() {
        text(&mut f.summary);
        f.reason.as_mut().map(text);
        f.remediation.as_mut().map(text);
        f.facts.values_mut().for_each(|v| value(v, local));
    }
    if let Some(r) = report.readiness.as_mut() {
        text(&mut r.summary);
        r.lines.iter_mut().for_each(text);
        for k in r.kinds.values_mut() {
            k.blocked_by.iter_mut().for_each(|b| text(&mut b.detail));
            k.unknown.iter_mut().for_each(text);
        }
    }
}

/// Log timestamps as the log prints them (`2026-11-20 09:12:39.340000-0500`) rewritten to RFC 3339
/// with the same offset (`2026-11-20T09:12:39-05:00`): one time format in the human report.
pub(crate) fn rfc3339_times(text: &str) -> String {
    times_at(text, None)
}

/// Every time in `text` (the log's form, or RFC 3339 with a fraction, `Z` or an offset) in RFC
/// 3339 with whole seconds, at `local` when given, else at its own offset.
fn times_at(text: &str, local: Option<chrono::FixedOffset>) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        // A time starts a token: not the middle of a longer number.
        let starts = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if let Some((len, t)) = starts.then(|| time_at(&text[i..])).flatten() {
            let t = local.map_or(t, |l| t.with_timezone(&l));
            out.push_str(&crate::state::format_time(t));
            i += len;
            continue;
        }
        let c = text[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A time at the start of `s`: `YYYY-MM-DD`, a space (the log) or `T` (RFC 3339), `HH:MM:SS`, an
/// optional fraction, then `Z`, `+HHMM`, `+HH:MM` or `+HH` (install.log). Its length and value.
fn time_at(s: &str) -> Option<(usize, chrono::DateTime<chrono::FixedOffset>)> {
    let b = s.as_bytes();
    if b.len() < 20 || !b[0].is_ascii_digit() {
        return None;
    }
    let shape = b"dddd-dd-dd?dd:dd:dd";
    for (i, want) in shape.iter().enumerate() {
        let ok = match want {
            b'd' => b[i].is_ascii_digit(),
            b'?' => b[i] == b' ' || b[i] == b'T',
            c => b[i] == *c,
        };
        if !ok {
            return None;
        }
    }
    let mut end = 19;
    if b.get(end) == Some(&b'.') {
        end += 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let len = match b.get(end) {
        Some(b'Z') => end + 1,
        Some(b'+' | b'-')
            if digits(end + 1..end + 3)
                && b.get(end + 3) == Some(&b':')
                && digits(end + 4..end + 6) =>
        {
            end + 6
        }
        Some(b'+' | b'-') if digits(end + 1..end + 5) => end + 5,
        // install.log's `2026-11-20 09:41:24-05`: hours only.
        Some(b'+' | b'-')
            if digits(end + 1..end + 3) && !b.get(end + 3).is_some_and(u8::is_ascii_digit) =>
        {
            end + 3
        }
        _ => return None,
    };
    // The log's form and RFC 3339 differ only in the separator and the offset's colon.
    let mut norm = s[..len].replacen(' ', "T", 1);
    if norm.ends_with('Z') {
        norm.truncate(norm.len() - 1);
        norm.push_str("+00:00");
    } else if len == end + 3 {
        norm.push_str(":00");
    } else if norm.as_bytes()[norm.len() - 3] != b':' {
        norm.insert(norm.len() - 2, ':');
    }
    let t = chrono::DateTime::parse_from_rfc3339(&norm).ok()?;
    // Go's zero time means never: not a time to move to another offset.
    (chrono::Datelike::year(&t) > 1).then_some((len, t))
}

/// Go's time format as Addigy prints it: `0001-01-01 00:00:00 +0000 UTC` for never.
pub(crate) fn addigy_time(rfc3339: Option<&str>) -> String {
    match rfc3339.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S +0000 UTC")
            .to_string(),
        None => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    }
}

pub(crate) fn tri(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    }
}

/// The eight Addigy keys, one per line, exactly as MDM Watchdog prints them.
pub(crate) fn watchdog_lines(w: &Watchdog) -> Vec<String> {
    vec![
        format!("MDMEnrolled: {}", tri(w.mdm_enrolled)),
        format!("MDMIdentityError: {}", tri(w.mdm_identity_error)),
        format!("MDMClientStuck: {}", tri(w.mdm_client_stuck)),
        format!(
            "MDMSoftwareUpdatesStuck: {}",
            tri(w.mdm_software_updates_stuck)
        ),
        format!("MDMClientRestarted: {}", w.mdm_client_restarted),
        format!(
            "SoftwareUpdateDaemonRestarted: {}",
            w.software_update_daemon_restarted
        ),
        format!(
            "LastMDMKickstart: {}",
            addigy_time(w.last_mdm_kickstart.as_deref())
        ),
        format!(
            "LastSoftwareUpdateDaemonKickstart: {}",
            addigy_time(w.last_software_update_daemon_kickstart.as_deref())
        ),
    ]
}

/// The one-line summary Addigy logs to the unified log (Jamf EAs parse it).
pub(crate) fn watchdog_summary_line(w: &Watchdog) -> String {
    watchdog_lines(w).join(" ")
}

/// Continuation lines of a multi-line evidence text (a `Reporting status {…}` block) are indented
/// under it, so the text never breaks the report's layout.
const EVIDENCE_INDENT: &str = "          ";

/// Longest readiness line printed as one; longer ones get one line per update kind.
const READINESS_WIDTH: usize = 100;

/// Text quoted from probe output, made safe for a terminal and a log: line breaks are indented
/// continuation lines, other control characters (an escape sequence in a capture) are shown
/// escaped, never interpreted.
fn printable(text: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let lines: Vec<&str> = text.trim_end_matches(['\n', '\r']).split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        for c in line.trim_end_matches('\r').chars() {
            if c.is_control() && c != '\t' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// `Readiness: update ready; upgrade blocked (...); rsr ready`, or, when that is too long to
/// read, one indented line per kind (split at the top-level `; `, never inside parentheses).
fn readiness_lines(summary: &str) -> String {
    let summary = printable(summary, "  ");
    if summary.chars().count() + "Readiness: ".len() <= READINESS_WIDTH {
        return format!("Readiness: {summary}\n");
    }
    let mut kinds = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    let bytes = summary.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b';' if depth <= 0 && bytes.get(i + 1) == Some(&b' ') => {
                kinds.push(&summary[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    kinds.push(&summary[start..]);
    let mut out = String::from("Readiness:\n");
    for k in kinds {
        out.push_str(&format!("  {}\n", wrap(k.trim(), 2, "    ")));
    }
    out
}

/// Longest line the human report prints for its own text (summaries, fixes, readiness, heal);
/// quoted evidence keeps its lines.
const WIDTH: usize = 100;

/// Greedy word wrap: `text` continues a line already `used` characters long; continuation lines
/// start with `indent`. Words longer than a line are never split.
pub fn wrap(text: &str, used: usize, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut col = used;
    for (i, word) in text.split(' ').enumerate() {
        let len = word.chars().count();
        if i > 0 {
            if col + 1 + len > WIDTH && col > indent.len() {
                out.push('\n');
                out.push_str(indent);
                col = indent.len();
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(word);
        col += len;
    }
    out
}

/// An update kind as the readiness line names it.
fn kind_name(kind: &str) -> &str {
    match kind {
        "ddm_target" => "declared target",
        "mdm_initiated" => "MDM-initiated",
        other => other,
    }
}

/// One finding's line, and with `verbose` its evidence; `fix` adds its remediation.
fn finding_lines(out: &mut String, f: &Finding, ctx: &Context, verbose: bool, fix: bool) {
    let readiness = ctx.readiness;
    // The readiness summary repeats its blockers, which the Readiness block below lists per
    // kind: here only its head (every reason said once).
    let summary = match (f.id == crate::checks::READINESS, readiness) {
        (true, Some(r)) if f.status != Status::Ok => {
            let rank = |k: &str| {
                ["update", "upgrade", "rsr", "mdm_initiated", "ddm_target"]
                    .iter()
                    .position(|x| *x == k)
                    .unwrap_or(usize::MAX)
            };
            let mut kinds: Vec<(&String, &KindVerdict)> = r.kinds.iter().collect();
            kinds.sort_by_key(|(k, _)| rank(k));
            let not_ready: Vec<String> = kinds
                .iter()
                .filter(|(_, v)| v.verdict != "ready")
                .map(|(k, v)| format!("{} {}", kind_name(k), v.verdict))
                .collect();
            if not_ready.is_empty() {
                f.summary.clone()
            } else {
                format!("{} (see Readiness below)", not_ready.join(", "))
            }
        }
        _ => f.summary.clone(),
    };
    let head = format!("[{}] {}: ", f.status.as_str(), f.id);
    let body = printable(&humanize(&summary), "    ");
    out.push_str(&format!(
        "{head}{}\n",
        wrap(&body, head.chars().count(), "    ")
    ));
    if verbose {
        for e in &f.evidence {
            let text = printable(&e.text, EVIDENCE_INDENT);
            match &e.timestamp {
                Some(t) => out.push_str(&format!(
                    "      {} {}: {text}\n",
                    printable(&rfc3339_times(t), EVIDENCE_INDENT),
                    e.source
                )),
                None => out.push_str(&format!("      {}: {text}\n", e.source)),
            }
        }
    }
    if !fix || f.status == Status::Ok {
        return;
    }
    let Some(r) = &f.remediation else { return };
    // The readiness summary repeats the blockers listed above it: its generic fix says nothing.
    if f.id == crate::checks::READINESS && r.starts_with("fix the blocking findings") {
        return;
    }
    // A fix that asks for what the summary reports done (a token escrowed, yet "escrow a
    // bootstrap token") is not said: the problem is elsewhere in the summary.
    if r.starts_with("escrow a bootstrap token")
        && f.facts.get("escrowed") == Some(&Value::Bool(true))
    {
        return;
    }
    let mut r = r.clone();
    // A fix that names a restart, where heal decided not to restart now (an install in progress,
    // the rate limit, disabled by HealMDMClient): heal's reason follows, so the two never
    // disagree unseen.
    if let Some(s) = ctx
        .heal
        .and_then(|h| h.services.iter().find(|s| s.check == f.id))
    {
        let restarts = matches!(
            s.action.as_str(),
            "would_restart" | "restarted" | "fallback_signal"
        );
        if !restarts && r.contains("restart") && !r.contains("cannot fix") {
            r.push_str(&format!(
                "; heal will not restart {} now: {}",
                s.service,
                preview_reason(&s.message)
            ));
        }
    }
    out.push_str(&format!(
        "      fix: {}\n",
        wrap(
            &printable(&humanize(&r), EVIDENCE_INDENT),
            11,
            EVIDENCE_INDENT
        )
    ));
}

/// What the renderer needs besides the finding: the readiness section, and heal's decisions
/// (this run's, or what heal would do, for `diagnose`).
struct Context<'a> {
    readiness: Option<&'a Readiness>,
    heal: Option<&'a HealSection>,
}

/// Heal's message without the dry-run frame.
fn preview_reason(message: &str) -> String {
    humanize(
        message
            .trim_start_matches("dry run: ")
            .trim_end_matches("; nothing executed"),
    )
}

/// One line per service: what heal would do and why, in admin words (`diagnose`).
pub(crate) fn heal_preview_lines(h: &HealSection) -> Vec<String> {
    h.services
        .iter()
        .map(|s| {
            let action = match s.action.as_str() {
                "would_restart" => "restart",
                "none" => "leave alone",
                other => other,
            };
            format!("{}: {action}: {}", s.service, preview_reason(&s.message))
        })
        .collect()
}

/// [`render_human_layout`] in the plain layout (the tests' shorthand).
#[cfg(test)]
pub(crate) fn render_human(report: &Report, verbose: bool) -> String {
    render_human_layout(report, verbose, false)
}

/// Human report, answer first: the verdict line, the problems (each with its fix), the checks
/// that could not be determined, then the Addigy keys and readiness, then the `ok` and
/// not-applicable checks (one line unless `verbose`), heal and the run's errors.
/// With `keys_first`, the layout of Addigy's tool for scripts that read its output by line
/// number (run through the `mdm-watchdog` link): the eight keys, then the rest.
pub(crate) fn render_human_layout(report: &Report, verbose: bool, keys_first: bool) -> String {
    render_human_full(report, verbose, keys_first, None)
}

/// What heal did (a heal run), or what it would do now (a `diagnose` run's preview).
fn heal_lines(out: &mut String, report: &Report, preview: Option<&HealSection>) {
    if let Some(heal) = &report.heal {
        out.push('\n');
        out.push_str(if heal.dry_run {
            "Heal (dry run: nothing executed, no state written):\n"
        } else {
            "Heal:\n"
        });
        if let Some(e) = &heal.error {
            out.push_str(&format!("  {e}\n"));
        }
        for l in &heal.summary_lines {
            out.push_str("  ");
            // Not wrapped: heal's own lines are matched whole by its tests (src/heal/tests.rs).
            out.push_str(l);
            out.push('\n');
        }
    }
    if let Some(p) = preview.filter(|_| report.heal.is_none()) {
        let lines = heal_preview_lines(p);
        if !lines.is_empty() {
            out.push_str("\nHeal would (mdmwatch -heal now):\n");
            for l in lines {
                out.push_str(&format!("  {}\n", wrap(&l, 2, "    ")));
            }
        }
    }
}

/// [`render_human_layout`] with what heal would do now (`preview`, a dry run's section: the
/// `diagnose` report, which has no heal section of its own): one line per service, and fixes
/// that name a restart say when heal would not restart now.
pub(crate) fn render_human_full(
    report: &Report,
    verbose: bool,
    keys_first: bool,
    preview: Option<&HealSection>,
) -> String {
    let ctx = Context {
        readiness: report.readiness.as_ref(),
        heal: report.heal.as_ref().or(preview),
    };
    let mut out = String::new();
    if keys_first {
        for line in watchdog_lines(&report.watchdog) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    let overall = report.overall();
    // When nothing was determined the verdict is the reason (an admin or a Jamf policy log
    // must not read a column of "unknown" as a verdict).
    if report.undetermined_reason().is_some() {
        out.push_str(&format!("mdmwatch {}\n", overall.verdict));
    } else {
        out.push_str(&format!(
            "mdmwatch: {}\n",
            printable(&overall.verdict, "  ")
        ));
    }
    let in_order: Vec<&Finding> = report.findings_in_order().collect();
    let problems: Vec<&&Finding> = in_order
        .iter()
        .filter(|f| matches!(f.status, Status::Failed | Status::Warning))
        .collect();
    let unknowns: Vec<&&Finding> = in_order
        .iter()
        .filter(|f| f.status == Status::Unknown)
        .collect();
    if !problems.is_empty() || !unknowns.is_empty() {
        out.push('\n');
    }
    for f in &problems {
        finding_lines(&mut out, f, &ctx, verbose, true);
    }
    for f in &unknowns {
        finding_lines(&mut out, f, &ctx, verbose, verbose);
    }
    out.push('\n');
    if !keys_first {
        for line in watchdog_lines(&report.watchdog) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    // A blocker quoted whole in a readiness line is a problem printed above: named, not repeated.
    let said_once = |line: &str| -> String {
        let mut l = line.to_string();
        for f in &problems {
            if f.id != crate::checks::READINESS {
                l = l.replace(
                    &format!("{}: {}", f.id, f.summary),
                    &format!("{}, above", f.id),
                );
            }
        }
        l
    };
    if let Some(r) = &report.readiness {
        if r.lines.len() > 1 {
            out.push_str("Readiness:\n");
            for l in &r.lines {
                let l = printable(&humanize(&said_once(l)), "    ");
                out.push_str(&format!("  {}\n", wrap(&l, 2, "    ")));
            }
        } else {
            out.push_str(&readiness_lines(&humanize(&said_once(&r.summary))));
        }
    }
    let rest: Vec<&&Finding> = in_order
        .iter()
        .filter(|f| matches!(f.status, Status::Ok | Status::NotApplicable))
        .collect();
    if !rest.is_empty() {
        out.push('\n');
    }
    if verbose {
        for f in &rest {
            finding_lines(&mut out, f, &ctx, verbose, false);
        }
    } else if !rest.is_empty() {
        let ok = rest.iter().filter(|f| f.status == Status::Ok).count();
        let na = rest.len() - ok;
        let mut line = format!("[ok] {}", plural(ok, "check", "checks"));
        if na > 0 {
            line.push_str(&format!(", {na} not applicable"));
        }
        line.push_str(" (--verbose lists them)\n");
        out.push_str(&line);
    }
    heal_lines(&mut out, report, preview);
    for e in &report.errors {
        // The undetermined reason is already the first line.
        if report.undetermined_reason().as_deref() == Some(e.as_str()) {
            continue;
        }
        out.push_str(&format!("error: {e}\n"));
    }
    if !verbose {
        out.push_str("\n(--verbose shows the evidence of each finding)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            mdmwatch_version: "0".into(),
            generated_at: "2026-11-20T10:00:00-05:00".into(),
            mode: "diagnose".into(),
            source: "replay of x".into(),
            host: Host::default(),
            config: ConfigSection::default(),
            watchdog: Watchdog::default(),
            readiness: None,
            order: findings.iter().map(|f| f.id.clone()).collect(),
            checks: findings.into_iter().map(|f| (f.id.clone(), f)).collect(),
            heal: None,
            probes: Vec::new(),
            errors: Vec::new(),
            root: true,
        }
    }

    fn enrolled(yes: bool) -> Finding {
        Finding::new("mdm.enrollment", Status::Ok, "enrolled").fact("enrolled", yes)
    }

    #[test]
    fn unknown_is_not_healthy_and_not_applicable_is_not_counted() {
        let r = report(vec![
            enrolled(true),
            Finding::unknown("mdm.identity", "probe identity_cert not_root: needs root"),
            Finding::new("disk.free_space", Status::NotApplicable, "n/a"),
        ]);
        let o = r.overall();
        assert_eq!(o.healthy, None);
        assert_eq!(o.exit_code, 0);
        assert_eq!(o.unknowns, vec!["mdm.identity"]);
        assert_eq!(o.not_applicable, vec!["disk.free_space"]);
        assert_eq!(o.problem_count, 0);
        assert_eq!(
            o.verdict,
            "no problem found, 1 check incomplete (some need root: run with sudo); 1 not applicable"
        );
        let r = report(vec![enrolled(true)]);
        assert_eq!(r.overall().healthy, Some(true));
        assert_eq!(r.overall().verdict, "healthy: 1 check ok");
        let r = report(vec![
            enrolled(true),
            Finding::new("power.battery", Status::Warning, "low"),
            Finding::new("disk.free_space", Status::Failed, "full"),
        ]);
        let o = r.overall();
        assert_eq!(o.healthy, Some(false));
        assert_eq!(o.verdict, "2 problems");
        // Only not-applicable and unknown checks: nothing determined, exit 3.
        let r = report(vec![
            Finding::unknown("mdm.identity", "x"),
            Finding::new("disk.free_space", Status::NotApplicable, "n/a"),
        ]);
        assert_eq!(r.exit_code(), EXIT_UNDETERMINED);
        assert_eq!(r.overall().healthy, None);
    }

    #[test]
    fn verdict_leads_with_the_channel_when_determined() {
        let channel = Finding::new(
            CHANNEL,
            Status::Failed,
            "the server answers with errors (HTTP 5xx) since 09:10",
        )
        .fact("verdict", "server_errors")
        .fact("cause", "server_error");
        let r = report(vec![enrolled(true), channel]);
        assert_eq!(
            r.overall().verdict,
            "MDM channel: the server answers with errors (HTTP 5xx) since 09:10; 1 problem"
        );
        assert!(render_human(&r, false).starts_with("mdmwatch: MDM channel: the server"));
        // Unknown channel: the counts alone (the channel is one of the incomplete checks).
        let r = report(vec![
            enrolled(true),
            Finding::unknown(CHANNEL, "log timed out"),
        ]);
        assert_eq!(r.overall().verdict, "no problem found, 1 check incomplete");
        // Without the finding: the counts.
        let r = report(vec![enrolled(true)]);
        assert!(!r.overall().verdict.contains("channel"));
    }

    #[test]
    fn enrollment_dependent_checks_do_not_apply_to_an_unenrolled_mac() {
        let findings = || {
            vec![
                Finding::new(crate::checks::CLIENT_LIVENESS, Status::Ok, "quiet"),
                Finding::unknown(crate::checks::BOOTSTRAP, "needs root"),
                Finding::new(crate::checks::PUSH, Status::Failed, "identity refused"),
                Finding::new(crate::checks::DISK, Status::Ok, "enough"),
            ]
        };
        let mut r = report([vec![enrolled(false)], findings()].concat());
        mark_not_applicable(&mut r);
        let st = |r: &Report, id: &str| r.checks[id].status;
        assert_eq!(
            st(&r, crate::checks::CLIENT_LIVENESS),
            Status::NotApplicable
        );
        assert_eq!(st(&r, crate::checks::BOOTSTRAP), Status::NotApplicable);
        // A failure is evidence of its own; checks that do not need MDM are kept.
        assert_eq!(st(&r, crate::checks::PUSH), Status::Failed);
        assert_eq!(st(&r, crate::checks::DISK), Status::Ok);
        let mut r = report([vec![enrolled(true)], findings()].concat());
        mark_not_applicable(&mut r);
        assert_eq!(st(&r, crate::checks::CLIENT_LIVENESS), Status::Ok);
    }

    #[test]
    fn human_text_has_one_time_format_and_no_internal_names() {
        assert_eq!(
            rfc3339_times("connected at 2026-11-20 09:12:39.340000-0500, then"),
            "connected at 2026-11-20T09:12:39-05:00, then"
        );
        assert_eq!(
            rfc3339_times("2026-11-20 09:12:39+0000"),
            "2026-11-20T09:12:39+00:00"
        );
        // Not a log time: left alone.
        for s in [
            "2026-11-20",
            "2026-11-20 09:12",
            "x 2026-11-20 09:12:39 UTC",
            "é",
        ] {
            assert_eq!(rfc3339_times(s), s);
        }
        assert_eq!(
            humanize("probe identity_cert not_root: needs root; heal_mdmclient is false"),
            "the identity certificate lookup needs root; HealMDMClient is false"
        );
        // install.log's hours-only offset.
        assert_eq!(
            rfc3339_times("at 2026-11-20 09:41:24-05, then"),
            "at 2026-11-20T09:41:24-05:00, then"
        );
        // A probe id as a word is said in admin words; a capture's file name is left alone.
        assert_eq!(
            humanize("probe log_mdmclient timeout: timed out; no mdmclient_qdi.* files"),
            "mdmclient's log timed out; no mdmclient_qdi.* files"
        );
        assert_eq!(
            humanize("mdmclient_qdi printed no EACSPreflight"),
            "mdmclient QueryDeviceInformation printed no EACSPreflight"
        );
    }

    #[test]
    fn counts_in_check_text_are_said_right() {
        for (from, to) in [
            (
                "alive: 7 successful exchanges and 1 command receipts in the last 90 min",
                "alive: 7 successful exchanges and 1 command receipt in the last 90 min",
            ),
            (
                "1 successful exchanges, 2 receipts",
                "1 successful exchange, 2 receipts",
            ),
            (
                "last successful scan 1 day(s) ago",
                "last successful scan 1 day ago",
            ),
            (
                "last successful scan 3 day(s) ago",
                "last successful scan 3 days ago",
            ),
            ("(1 [ERROR] lines: tag)", "(1 [ERROR] line: tag)"),
            (
                "1 declaration(s), all satisfied",
                "1 declaration, all satisfied",
            ),
            ("5 entries from", "5 entries from"),
            ("(1 entries from", "(1 entry from"),
            ("11 lines", "11 lines"),
            ("15.1 lines", "15.1 lines"),
        ] {
            assert_eq!(fix_plurals(from), to, "{from}");
        }
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "check", "checks"), "1 check");
        assert_eq!(plural(0, "check", "checks"), "0 checks");
        assert_eq!(plural(3, "receipt", "receipts"), "3 receipts");
    }

    #[test]
    fn a_run_without_root_is_never_healthy() {
        let mut r = report(vec![enrolled(true)]);
        assert_eq!(r.overall().healthy, Some(true));
        r.root = false;
        let o = r.overall();
        assert_eq!(o.healthy, None);
        assert_eq!(o.unknown_count, 0);
        assert!(o.verdict.contains("not root"), "{}", o.verdict);
        assert!(!o.verdict.contains("healthy"), "{}", o.verdict);
    }

    #[test]
    fn overall_block_is_in_the_json() {
        let r = report(vec![enrolled(true), Finding::unknown("mdm.identity", "x")]);
        let v: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["overall"]["Healthy"], Value::Null);
        assert_eq!(v["overall"]["UnknownCount"], 1);
        assert_eq!(v["overall"]["Unknowns"][0], "mdm.identity");
    }
}
