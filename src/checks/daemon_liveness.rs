//! `softwareupdate.daemon_liveness`: what softwareupdated is doing — working, installing,
//! stalled or quiet — plus Addigy's rule.
//!
//! Pure: reads `obs.su_log` (system-binary entries only), the mdmclient assessment (for Addigy's
//! rule) and `obs.now`. The rules live in `liveness::read_daemon`: real progress lines carry the
//! phase and an explicit `stalled:YES|NO`; an update job in flight is `installing` and heal touches
//! nothing; `stalled:YES`, or a job with no progress for `SoftwareUpdateStallMinutes` (default 60;
//! real prepare phases were silent for minutes, never near an hour), is `stalled`. Failure words
//! in ordinary softwareupdated lines are not evidence (they fill every normal log). Restarting
//! softwareupdated blindly breaks Software Update ("Couldn't communicate with helper
//! application", fleetdm/fleet#11777), so only a stall or Addigy's rule makes it failed.
//!
//! Addigy's rule (its talk "A Deep Dive Into Apple OS Updates via MDM"): "the MDM Client is stuck
//! and the last command received was related to software updates".

use super::client_liveness::{self, probe_truncated, ClientLivenessAssessment};
use super::liveness::{self, ClientState, DaemonState, StallSign, Window};
use super::{Evidence, InstallActivity, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::su_log::{SuEvent, SuEventKind};
use crate::probes;

/// Commands Addigy's rule treats as software-update commands (Apple's MDM command names).
pub(crate) const SOFTWARE_UPDATE_COMMANDS: &[&str] = &[
    "ScheduleOSUpdate",
    "ScheduleOSUpdateScan",
    "AvailableOSUpdates",
    "OSUpdateStatus",
];
/// Install states of a DDM status report that mean work is in flight (Apple's enum,
/// apple/device-management `softwareupdate.install-state`).
const IN_FLIGHT_STATES: &[&str] = &["downloading", "installing"];

const REMEDIATION: &str = "mdmwatch -heal restarts softwareupdated (at most once per 24 h, never during an install) only when an install stopped progressing or mdmclient never answered a software-update command; \
otherwise check the network path to Apple's update servers (swscan.apple.com, mesu.apple.com, updates.cdn-apple.com), free disk space and power, and run `softwareupdate --list` to see whether a scan completes";

/// softwareupdated in the window, and the figures behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonLivenessAssessment {
    pub judgement: Judgement,
    pub state: DaemonState,
    pub window_minutes: u32,
    pub stall_minutes: u32,
    pub mdmclient_state: ClientState,
    /// Addigy's rule applies: mdmclient is failing (verified) and its last command was this
    /// software-update command, received at this time.
    pub su_command: Option<(String, String)>,
    /// mdmclient never answered that command (the only form of Addigy's rule heal acts on).
    pub su_command_unanswered: bool,
    /// `None` when the log is unknown.
    pub log: Option<DaemonLogReading>,
    /// The software-update commands Addigy's rule looks for on the running macOS (`None`:
    /// version unknown). On 27 they are removed: the rule cannot fire, and
    /// `MDMSoftwareUpdatesStuck` comes from the DDM rule (`softwareupdate.ddm`).
    pub legacy: Option<super::os_version::LegacySurface>,
}

impl DaemonLivenessAssessment {
    /// Addigy's `MDMSoftwareUpdatesStuck`: a stalled install, or Addigy's rule.
    pub(crate) fn addigy_stuck(&self) -> Option<bool> {
        match self.state {
            DaemonState::Stalled(_) => Some(true),
            _ if self.su_command.is_some() && self.judgement.status == Status::Failed => Some(true),
            DaemonState::Unknown => None,
            _ => Some(false),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaemonLogReading {
    pub last_progress: Option<String>,
    pub last_phase: Option<String>,
    pub last_portion: Option<f64>,
    /// `explicit` (stalled:YES) or `no_progress` (silent past the stall time).
    pub stall_sign: Option<&'static str>,
    pub minutes_since_progress: Option<i64>,
    pub prepared_waiting: bool,
    pub last_scan_complete: Option<String>,
    pub last_work: Option<String>,
    pub last_install_state: Option<String>,
    pub status_reports: u64,
    pub rejected_entries: u64,
    pub future_entries: usize,
    pub truncated: bool,
    /// The newest softwareupdated line of install.log in the window (timestamp and pattern):
    /// softwareupdated's 14-26 DDM and client-scan wording was seen there (see `install_log`).
    pub install_log_last_activity: Option<(String, &'static str)>,
}

fn ev(e: &SuEvent) -> Evidence {
    Evidence::log(
        probes::LOG_SOFTWAREUPDATE,
        e.line.timestamp.clone(),
        e.line.message.clone(),
    )
}

/// Addigy's rule: mdmclient failing on verified evidence and its last command a software-update
/// one. `DeclarativeManagement` is a general declarative sync, so it counts only when the
/// softwareupdated log shows DDM driving an update in the same window.
fn addigy_rule(
    obs: &Observations,
    w: &Window,
    client: &ClientLivenessAssessment,
    ddm_involved: bool,
) -> Option<(String, String)> {
    if !matches!(client.state, ClientState::Failing(_)) || !client.verified {
        return None;
    }
    let e = client_liveness::last_command(obs, w)?;
    let cmd = e.command()?;
    let su =
        SOFTWARE_UPDATE_COMMANDS.contains(&cmd) || (cmd == "DeclarativeManagement" && ddm_involved);
    su.then(|| (cmd.to_string(), e.line.timestamp.clone()))
}

fn phase_of(e: &SuEvent) -> Option<(&str, Option<f64>)> {
    match &e.kind {
        SuEventKind::Progress(p) => Some((p.phase.as_str(), p.portion)),
        SuEventKind::PrepareProgress { percent } => {
            Some(("PREPARING_UPDATE", percent.map(|p| f64::from(p) / 100.0)))
        }
        _ => None,
    }
}

pub fn assess(
    obs: &Observations,
    cfg: &Config,
    client: &ClientLivenessAssessment,
) -> DaemonLivenessAssessment {
    let w = Window::new(obs.now, cfg.liveness_window_minutes);
    let base = |judgement, state, su_command: Option<(String, String)>, log| {
        let su_command_unanswered = su_command.is_some()
            && client.state == ClientState::Failing(liveness::FailureCause::ClientWedged);
        DaemonLivenessAssessment {
            judgement,
            state,
            window_minutes: cfg.liveness_window_minutes,
            stall_minutes: cfg.stall_minutes,
            mdmclient_state: client.state,
            su_command,
            su_command_unanswered,
            log,
            legacy: super::os_version::LegacySurface::of_obs(obs),
        }
    };
    let log = match &obs.su_log {
        Ok(l) => l,
        Err(u) => {
            let (j, addigy) = unknown_log(obs, cfg, &w, client, u);
            return base(j, DaemonState::Unknown, addigy, None);
        }
    };
    let r = liveness::read_daemon(log, &w, cfg.stall_minutes);
    let addigy = addigy_rule(obs, &w, client, r.ddm_involved);
    let truncated =
        probe_truncated(obs, probes::LOG_SOFTWAREUPDATE) || log.summary.stats.cut_last_line;
    let window_text = format!("the last {} min", w.minutes);
    let mut state = r.state;
    let (mut status, mut summary, mut evidence) = state_text(obs, cfg, &r, &window_text);
    // Addigy's rule: blamed unless softwareupdated is visibly working or installing (strict mode
    // follows the rule regardless, except during an install).
    if let Some((cmd, at)) = &addigy {
        let working = matches!(state, DaemonState::Alive);
        let installing = matches!(state, DaemonState::Installing);
        if installing {
            summary.push_str(&format!(
                "; mdmclient is failing on {cmd} (Addigy's rule), but an install is in progress, so nothing is blamed"
            ));
        } else if working && !cfg.strict_addigy {
            summary.push_str(&format!(
                "; mdmclient is failing on {cmd}, but softwareupdated is working, so it is not blamed"
            ));
        } else if !matches!(state, DaemonState::Stalled(_)) {
            status = Status::Failed;
            summary = format!(
                "stuck (Addigy's rule): mdmclient is failing ({}) and its last command was {cmd} at {at}; softwareupdated shows no progress",
                client.state.cause().map_or("?", |c| c.code())
            );
        }
    }
    if let Some(rep) = r.last_status_report {
        if !evidence.iter().any(|e| std::ptr::eq(*e, rep)) {
            evidence.push(rep);
        }
    }
    let mut notes = Vec::new();
    if log.summary.rejected.count > 0 {
        notes.push(format!(
            "{} entries not from the system's update daemons (another binary, or a uid, category or format they do not log with) were ignored (any process can log under softwareupdated's name)",
            log.summary.rejected.count
        ));
    }
    if r.future > 0 {
        notes.push(format!(
            "{} entries are later than now: clock skew or a replayed capture; counted as recent",
            r.future
        ));
    }
    let mut judgement = if truncated && status != Status::Ok {
        state = DaemonState::Unknown;
        Judgement::unknown(format!(
            "probe {} output was truncated (the newest entries are missing), so the evidence is incomplete; without the cut it would read {}",
            probes::LOG_SOFTWAREUPDATE,
            r.state.code()
        ))
    } else {
        Judgement::new(status, summary)
    };
    if !notes.is_empty() {
        judgement.summary = format!("{} ({})", judgement.summary, notes.join("; "));
    }
    evidence.sort_by_key(|e| e.line.time);
    for e in evidence.into_iter().take(client_liveness::MAX_EVIDENCE) {
        judgement = judgement.evidence(ev(e));
    }
    judgement = judgement.remediation(REMEDIATION);
    let reading = reading_of(obs, log, &r, &w, truncated);
    base(judgement, state, addigy, Some(reading))
}

/// The verdict and sentence for the state the log shows, and the lines that show it.
fn state_text<'a>(
    obs: &Observations,
    cfg: &Config,
    r: &liveness::DaemonReading<'a>,
    window_text: &str,
) -> (Status, String, Vec<&'a SuEvent>) {
    let mut evidence: Vec<&SuEvent> = Vec::new();
    let progress_text = |e: &SuEvent| {
        phase_of(e).map_or(String::new(), |(phase, portion)| match portion {
            Some(p) => format!(
                "phase {phase} at {:.0}%",
                if p <= 1.0 { p * 100.0 } else { p }
            ),
            None => format!("phase {phase}"),
        })
    };
    let (status, summary) = match r.state {
        DaemonState::Stalled(sign) => {
            let p = r
                .last_install_progress
                .expect("a stall has a progress line");
            evidence.push(p);
            let why = match sign {
                StallSign::Explicit => "softwareupdated reports stalled:YES".to_string(),
                StallSign::NoProgressFor(m) => format!(
                    "no progress for {m} min (the stall time is {} min; real prepare phases go minutes, not an hour, without a line)",
                    cfg.stall_minutes
                ),
            };
            (
                Status::Failed,
                format!(
                    "stalled: the update job stopped at {} ({}), last progress at {}",
                    progress_text(p),
                    why,
                    p.line.timestamp
                ),
            )
        }
        DaemonState::Installing => {
            let p = r
                .last_install_progress
                .expect("installing has a progress line");
            evidence.push(p);
            let what = if r.prepared_waiting {
                "an update is prepared and waiting to be applied".to_string()
            } else {
                format!("an update job is in progress ({})", progress_text(p))
            };
            (
                Status::Ok,
                format!(
                    "installing: {what}, last progress at {}; heal restarts nothing during an install",
                    p.line.timestamp
                ),
            )
        }
        DaemonState::Alive => {
            let last = r.last_work.expect("alive has work");
            evidence.push(last);
            let scan = r
                .last_scan_complete
                .map(|e| format!("; last completed scan at {}", e.line.timestamp))
                .unwrap_or_default();
            (
                Status::Ok,
                format!(
                    "alive: softwareupdated logged {} scan/progress events in {window_text}, last at {}{scan}",
                    r.events.iter().filter(|e| !matches!(e.kind, SuEventKind::StatusReport { .. })).count(),
                    last.line.timestamp
                ),
            )
        }
        DaemonState::Quiet | DaemonState::Unknown => (
            Status::Ok,
            match install_log_activity(obs) {
                // install.log is forgeable by any local process: a sign of life for the reader,
                // never a state heal acts on.
                Some((at, pattern)) => format!(
                    "quiet in the unified log in {window_text}; install.log shows softwareupdated working at {at} ({pattern})"
                ),
                None => format!("quiet: softwareupdated had nothing to do in {window_text}"),
            },
        ),
    };
    (status, summary, evidence)
}

/// The softwareupdated log is unknown: only strict mode, following Addigy's rule (which never
/// read this log), judges; otherwise a busy softwareupdated cannot be told from a hung one.
fn unknown_log(
    obs: &Observations,
    cfg: &Config,
    w: &Window,
    client: &ClientLivenessAssessment,
    u: &crate::parse::Unknown,
) -> (Judgement, Option<(String, String)>) {
    let addigy = addigy_rule(obs, w, client, false);
    if let (true, Some((cmd, at))) = (cfg.strict_addigy, &addigy) {
        let j = Judgement::new(
            Status::Failed,
            format!("stuck (strict Addigy rule): mdmclient is failing and its last command was {cmd} at {at}; the softwareupdated log is unknown ({u})"),
        )
        .remediation(REMEDIATION);
        return (j, addigy);
    }
    let reason = match &addigy {
        Some((cmd, _)) => format!("mdmclient is failing on {cmd} (Addigy's rule) but the softwareupdated log is unknown ({u}): not blaming softwareupdated without it"),
        None => format!("softwareupdated log unknown: {u}"),
    };
    (Judgement::unknown(reason).remediation(REMEDIATION), addigy)
}

/// What the softwareupdated log showed, for the report's facts.
fn reading_of(
    obs: &Observations,
    log: &crate::parse::su_log::SuLog,
    r: &liveness::DaemonReading<'_>,
    w: &Window,
    truncated: bool,
) -> DaemonLogReading {
    let (last_phase, last_portion) = r
        .last_install_progress
        .and_then(phase_of)
        .map_or((None, None), |(p, portion)| (Some(p.to_string()), portion));
    DaemonLogReading {
        last_progress: r.last_install_progress.map(|e| e.line.timestamp.clone()),
        last_phase,
        last_portion,
        stall_sign: match r.state {
            DaemonState::Stalled(StallSign::Explicit) => Some("explicit"),
            DaemonState::Stalled(StallSign::NoProgressFor(_)) => Some("no_progress"),
            _ => None,
        },
        minutes_since_progress: r
            .last_install_progress
            .and_then(|e| w.age_minutes(e.line.time)),
        prepared_waiting: r.prepared_waiting,
        last_scan_complete: r.last_scan_complete.map(|e| e.line.timestamp.clone()),
        last_work: r.last_work.map(|e| e.line.timestamp.clone()),
        last_install_state: r
            .last_status_report
            .and_then(liveness::report_state)
            .map(str::to_string),
        status_reports: log.summary.count("su.status_report"),
        rejected_entries: log.summary.rejected.count,
        future_entries: r.future,
        truncated,
        install_log_last_activity: install_log_activity(obs),
    }
}

/// The newest softwareupdated line install.log holds in the window.
fn install_log_activity(obs: &Observations) -> Option<(String, &'static str)> {
    let l = obs.install_log.as_ref().ok()?.last_activity()?;
    Some((l.timestamp.clone(), l.pattern))
}

/// Whether an install is in progress, for heal: softwareupdated's own progress (an update job in
/// flight or a prepared update), else the newest DDM status report saying `installing` (any age
/// in the log) or `downloading` (within the stall time). A stall seen in verified progress lines
/// outranks a status block (an unverified shape) that still claims the install is running.
pub fn install_activity(obs: &Observations, daemon: &DaemonLivenessAssessment) -> InstallActivity {
    let log = match &obs.su_log {
        Ok(l) => l,
        Err(u) => return InstallActivity::Unknown(format!("softwareupdated log unknown: {u}")),
    };
    let w = Window::new(obs.now, daemon.window_minutes);
    let r = liveness::read_daemon(log, &w, daemon.stall_minutes);
    match r.state {
        DaemonState::Installing => {
            if let Some(p) = r.last_install_progress {
                return InstallActivity::Installing(ev(p));
            }
        }
        DaemonState::Stalled(_) => return InstallActivity::Idle,
        _ => {}
    }
    let recent = |e: &SuEvent| {
        w.age_minutes(e.line.time)
            .is_some_and(|m| m < i64::from(daemon.stall_minutes))
    };
    if let Some(e) = r.last_status_report {
        match liveness::report_state(e) {
            Some("installing") => return InstallActivity::Installing(ev(e)),
            Some(s) if IN_FLIGHT_STATES.contains(&s) && recent(e) => {
                return InstallActivity::Installing(ev(e))
            }
            _ => {}
        }
    }
    InstallActivity::Idle
}
