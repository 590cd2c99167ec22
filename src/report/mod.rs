//! The report: the only serialised types, i.e. the JSON contract (`schema/report.schema.json`),
//! and the human rendering. Additive changes keep `schema_version`; anything else bumps it.
//! [`findings`](mod@findings) alone turns the checks' typed assessments into findings with their `facts` JSON
//! and into the `readiness` section; nothing below this module is serialisable.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

pub const SCHEMA_VERSION: u32 = 2;

/// Exit status when no check could be determined (see [`Report::exit_code`]).
pub const EXIT_UNDETERMINED: i32 = 3;

pub mod findings;

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

impl crate::config::Loaded {
    /// The report's `config` section: every leaf key with its value and source.
    pub fn section(&self) -> ConfigSection {
        let mut settings = Vec::new();
        for (key, value) in crate::config::leaf_values(&self.config) {
            settings.push(ConfigSetting {
                source: self.source_of(&key).as_str().to_string(),
                key,
                value,
            });
        }
        settings.push(ConfigSetting {
            key: "StatePath".to_string(),
            value: serde_json::json!(self.config.state_path().display().to_string()),
            source: self.source_of("StatePath").as_str().to_string(),
        });
        ConfigSection {
            settings,
            sources: self
                .sources
                .iter()
                .map(|s| ConfigSourceState {
                    source: s.source.clone(),
                    path: s.path.clone(),
                    state: s.state.clone(),
                })
                .collect(),
            warnings: self.warnings.clone(),
            errors: self.errors.clone(),
        }
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
        } else if self.checks.values().all(|f| f.status == Status::Unknown) {
            EXIT_UNDETERMINED
        } else {
            0
        }
    }

    /// Why nothing could be determined (exit status 3), for the first line of the report.
    pub fn undetermined_reason(&self) -> Option<String> {
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

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).expect("report serialises")
    }

    pub fn findings_in_order(&self) -> impl Iterator<Item = &Finding> {
        self.order.iter().filter_map(|id| self.checks.get(id))
    }
}

/// Go's time format as Addigy prints it: `0001-01-01 00:00:00 +0000 UTC` for never.
pub fn addigy_time(rfc3339: Option<&str>) -> String {
    match rfc3339.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S +0000 UTC")
            .to_string(),
        None => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    }
}

fn tri(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    }
}

/// The eight Addigy keys, one per line, exactly as MDM Watchdog prints them.
pub fn watchdog_lines(w: &Watchdog) -> Vec<String> {
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
pub fn watchdog_summary_line(w: &Watchdog) -> String {
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
        out.push_str(&format!("  {}\n", k.trim()));
    }
    out
}

/// Human report: the Addigy keys, then one line per finding; evidence with `verbose`.
pub fn render_human(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    // Before the Addigy keys: an admin (or a Jamf policy log) must not read a column of
    // "unknown" as a verdict.
    if let Some(why) = report.undetermined_reason() {
        out.push_str(&format!("mdmwatch {why}\n"));
    }
    for line in watchdog_lines(&report.watchdog) {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(r) = &report.readiness {
        if r.lines.len() > 1 {
            out.push_str("Readiness:\n");
            for l in &r.lines {
                out.push_str(&format!("  {}\n", printable(l, "    ")));
            }
        } else {
            out.push_str(&readiness_lines(&r.summary));
        }
    }
    out.push('\n');
    for f in report.findings_in_order() {
        out.push_str(&format!(
            "[{}] {}: {}\n",
            f.status.as_str(),
            f.id,
            printable(&f.summary, "    ")
        ));
        if verbose {
            for e in &f.evidence {
                let text = printable(&e.text, EVIDENCE_INDENT);
                match &e.timestamp {
                    Some(t) => out.push_str(&format!(
                        "      {} {}: {text}\n",
                        printable(t, EVIDENCE_INDENT),
                        e.source
                    )),
                    None => out.push_str(&format!("      {}: {text}\n", e.source)),
                }
            }
            if let Some(r) = &f.remediation {
                if f.status != Status::Ok {
                    out.push_str(&format!("      fix: {}\n", printable(r, EVIDENCE_INDENT)));
                }
            }
        }
    }
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
            out.push_str(l);
            out.push('\n');
        }
    }
    for e in &report.errors {
        out.push_str(&format!("error: {e}\n"));
    }
    if !verbose {
        out.push_str("\n(--verbose shows the evidence and remediation of each finding)\n");
    }
    out
}
