//! `softwareupdate.daemon_liveness`: Addigy's rule plus what the softwareupdated log shows.
//!
//! Pure: reads `obs.su_log`, `obs.mdm_log` (for the last command) and `obs.now`; no I/O.
//! Addigy's rule (its MDM Watchdog documentation): "the MDM Client is stuck and the last command received was related
//! to software updates". Restarting softwareupdated blindly breaks Software Update
//! ("Couldn't communicate with helper application", fleetdm/fleet#11777), so outside
//! `strict_addigy` this check is conservative: `Stuck` needs positive evidence (progress that
//! stopped part-way, repeated failures, or Addigy's rule with no sign of softwareupdated working),
//! and the *absence* of a completion line is never enough on its own, because no public capture
//! shows what a finished scan or prepare logs (see `parse::su_log`). A softwareupdated with
//! nothing to do is `Quiet`, not stuck. [`install_activity`] tells heal whether an install is
//! running, so that nothing is restarted under it.

use chrono::{DateTime, FixedOffset};

use super::client_liveness::{self, probe_truncated, Window};
use super::{Evidence, InstallActivity, Judgement, Liveness, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::su_log::{SuEvent, SuEventKind, SuLog};
use crate::probes;

/// Commands Addigy's rule treats as software-update commands (Apple's MDM command names).
pub const SOFTWARE_UPDATE_COMMANDS: &[&str] = &[
    "ScheduleOSUpdate",
    "ScheduleOSUpdateScan",
    "AvailableOSUpdates",
    "OSUpdateStatus",
];
/// Progress silent for this long, part-way, is a stall.
pub const STALL_MINUTES: i64 = 30;
/// Failures in the window, with nothing working after the last one, that make "repeated failures".
pub const REPEATED_FAILURES: usize = 3;
/// Progress (prepare/apply/patch) this recent means an install is running.
pub const INSTALL_RECENT_MINUTES: i64 = 30;
/// Install states of a DDM status report that mean work is in flight (Apple's enum, fixtures
/// `ddm_schema__softwareupdate.install-state__*.yaml`).
const IN_FLIGHT_STATES: &[&str] = &["downloading", "installing"];

const REMEDIATION: &str = "mdmwatch -heal restarts softwareupdated (at most once per 24 h, never during an install) only on positive evidence; \
otherwise check the network path to Apple's update servers (swscan.apple.com, mesu.apple.com, updates.cdn-apple.com), \
free disk space and power, and run `softwareupdate --list` to see whether a scan completes";

/// Why softwareupdated is stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonStuckKind {
    ProgressStalled,
    RepeatedFailures,
    AddigyRule,
}

impl DaemonStuckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DaemonStuckKind::ProgressStalled => "progress_stalled",
            DaemonStuckKind::RepeatedFailures => "repeated_failures",
            DaemonStuckKind::AddigyRule => "addigy_rule",
        }
    }
}

/// The window's reading of the softwareupdated log.
#[derive(Debug, Clone)]
struct SuView<'a> {
    events: Vec<&'a SuEvent>,
    future: usize,
    last_progress: Option<&'a SuEvent>,
    /// Progress that stopped part-way at least [`STALL_MINUTES`] ago, not followed by any
    /// completion, failure or other progress.
    stalled: Option<&'a SuEvent>,
    failures: Vec<&'a SuEvent>,
    /// Failures with no completion/progress/scan after the last one.
    failing_still: bool,
    /// Something that shows softwareupdated working within [`STALL_MINUTES`].
    recently_working: bool,
    /// The newest status report's install state, and the report.
    last_report: Option<&'a SuEvent>,
    /// A DDM software-update status report or enforced-update scheduling in the window.
    ddm_involved: bool,
}

fn is_working(e: &SuEvent) -> bool {
    matches!(
        e.kind,
        SuEventKind::ScanStarted
            | SuEventKind::Activity
            | SuEventKind::Progress { .. }
            | SuEventKind::Completed
            | SuEventKind::Enforcement
    )
}

fn report_state(e: &SuEvent) -> Option<&str> {
    match &e.kind {
        SuEventKind::StatusReport { install_state } => install_state.as_deref(),
        _ => None,
    }
}

fn view<'a>(log: &'a SuLog, w: &Window) -> SuView<'a> {
    let events: Vec<&SuEvent> = log
        .events
        .iter()
        .filter(|e| w.admits(e.line.time))
        .collect();
    let future = events.iter().filter(|e| w.is_future(e.line.time)).count();
    let progress_idx = events
        .iter()
        .rposition(|e| matches!(e.kind, SuEventKind::Progress { .. }));
    let last_progress = progress_idx.map(|i| events[i]);
    let last_report = events
        .iter()
        .rev()
        .copied()
        .find(|e| report_state(e).is_some());
    let stalled = progress_idx.and_then(|i| {
        let p = events[i];
        let later_end = events[i + 1..].iter().any(|e| {
            matches!(
                e.kind,
                SuEventKind::Completed | SuEventKind::Failed | SuEventKind::ScanStarted
            )
        });
        let old = w
            .age_minutes(p.line.time)
            .is_some_and(|age| age >= STALL_MINUTES);
        // Positive evidence it did not finish: the last percentage was below 100, or a status
        // report after it still says the work is in flight.
        let part_way = matches!(p.kind, SuEventKind::Progress { percent: Some(n) } if n < 100);
        let still_claimed = events[i + 1..]
            .iter()
            .rev()
            .find_map(|e| report_state(e))
            .is_some_and(|s| IN_FLIGHT_STATES.contains(&s));
        (old && !later_end && (part_way || still_claimed)).then_some(p)
    });
    let failures: Vec<&SuEvent> = events
        .iter()
        .copied()
        .filter(|e| e.kind == SuEventKind::Failed)
        .collect();
    let failing_still = events
        .iter()
        .rposition(|e| e.kind == SuEventKind::Failed)
        .is_some_and(|i| !events[i + 1..].iter().any(|e| is_working(e)));
    let recently_working = events.iter().any(|e| {
        is_working(e)
            && w.age_minutes(e.line.time)
                .is_some_and(|age| age < STALL_MINUTES)
    }) && stalled.is_none();
    let ddm_involved = events.iter().any(|e| {
        matches!(
            e.kind,
            SuEventKind::StatusReport { .. } | SuEventKind::Enforcement
        )
    });
    SuView {
        events,
        future,
        last_progress,
        stalled,
        failures,
        failing_still,
        recently_working,
        last_report,
        ddm_involved,
    }
}

/// The last command mdmclient received in the window, and whether Addigy's rule counts it as a
/// software-update command. `DeclarativeManagement` is a general declarative sync (accounts,
/// configurations and the software-update enforcement alike), so it counts only when the
/// softwareupdated log shows DDM driving an update in the same window (a status report or an
/// enforced-update scheduling line); otherwise a stuck DDM sync is mdmclient's problem alone.
fn last_command_is_su(
    obs: &Observations,
    w: &Window,
    ddm_involved: bool,
) -> Option<(String, String)> {
    let log = obs.mdm_log.as_ref().ok()?;
    let e = log
        .events
        .iter()
        .rev()
        .filter(|e| w.admits(e.line.time))
        .find_map(|e| e.command().map(|c| (c, e)))?;
    let (cmd, ev) = e;
    let su =
        SOFTWARE_UPDATE_COMMANDS.contains(&cmd) || (cmd == "DeclarativeManagement" && ddm_involved);
    su.then(|| (cmd.to_string(), ev.line.timestamp.clone()))
}

fn ev(e: &SuEvent) -> Evidence {
    Evidence::log(
        probes::LOG_SOFTWAREUPDATE,
        e.line.timestamp.clone(),
        e.line.message.clone(),
    )
}

/// softwareupdated's liveness in the window and the log figures behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonLivenessAssessment {
    pub judgement: Judgement,
    pub state: Liveness,
    pub window_minutes: u32,
    /// The mdmclient state Addigy's rule was applied with.
    pub mdmclient_state: Liveness,
    /// Addigy's rule matched: mdmclient is stuck and its last command was this software-update
    /// command.
    pub su_command: Option<String>,
    /// Why it is stuck (only when `Stuck`).
    pub stuck_kind: Option<DaemonStuckKind>,
    /// `None` when the softwareupdated log is unknown.
    pub log: Option<DaemonLogReading>,
}

/// What the window of the softwareupdated log showed.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonLogReading {
    /// The newest progress line's timestamp, as the log printed it.
    pub last_progress: Option<String>,
    pub failures: usize,
    pub last_install_state: Option<String>,
    pub status_reports: u64,
    pub future_entries: usize,
    pub truncated: bool,
}

/// The assessment every outcome builds.
fn finish(
    j: Judgement,
    state: Liveness,
    cfg: &Config,
    mdmclient: Liveness,
    addigy: &Option<(String, String)>,
    stuck_kind: Option<DaemonStuckKind>,
    log: Option<DaemonLogReading>,
) -> DaemonLivenessAssessment {
    DaemonLivenessAssessment {
        judgement: j.remediation(REMEDIATION),
        state,
        window_minutes: cfg.liveness_window_minutes,
        mdmclient_state: mdmclient,
        su_command: addigy.as_ref().map(|(c, _)| c.clone()),
        stuck_kind,
        log,
    }
}

pub fn assess(obs: &Observations, cfg: &Config, mdmclient: Liveness) -> DaemonLivenessAssessment {
    let w = Window::new(obs.now, cfg.liveness_window_minutes);
    let addigy_for = |ddm: bool| {
        if mdmclient == Liveness::Stuck {
            last_command_is_su(obs, &w, ddm)
        } else {
            None
        }
    };
    let log = match &obs.su_log {
        Ok(l) => l,
        Err(u) => {
            // Without the log nothing corroborates a DeclarativeManagement command.
            let addigy = addigy_for(false);
            // Addigy never read this log; strict mode follows it. Otherwise an unknown log means
            // we cannot tell a busy softwareupdated from a hung one, so no verdict.
            if let (true, Some((cmd, at))) = (cfg.strict_addigy, &addigy) {
                let j = Judgement::new(
                    Status::Failed,
                    format!("stuck (strict Addigy rule): mdmclient is stuck and its last command was {cmd} at {at}; the softwareupdated log is unknown ({u})"),
                );
                return finish(
                    j,
                    Liveness::Stuck,
                    cfg,
                    mdmclient,
                    &addigy,
                    Some(DaemonStuckKind::AddigyRule),
                    None,
                );
            }
            let reason = match &addigy {
                Some((cmd, _)) => format!("mdmclient is stuck on {cmd} (Addigy's rule) but the softwareupdated log is unknown ({u}): not calling softwareupdated stuck without it"),
                None => format!("softwareupdated log unknown: {u}"),
            };
            return finish(
                Judgement::unknown(reason),
                Liveness::Unknown,
                cfg,
                mdmclient,
                &addigy,
                None,
                None,
            );
        }
    };
    let v = view(log, &w);
    let addigy = addigy_for(v.ddm_involved);

    let truncated = probe_truncated(obs, probes::LOG_SOFTWAREUPDATE) || log.stats.cut_last_line;
    let window_text = format!("the last {} min", w.minutes);
    let mut evidence: Vec<&SuEvent> = Vec::new();
    let (mut state, kind, mut summary) = if let Some(p) = v.stalled {
        evidence.push(p);
        (
            Liveness::Stuck,
            Some(DaemonStuckKind::ProgressStalled),
            format!(
                "stuck: update progress stopped part-way at {} ({} min before now) with no completion or failure since",
                p.line.timestamp,
                w.age_minutes(p.line.time).unwrap_or(0)
            ),
        )
    } else if v.failures.len() >= REPEATED_FAILURES && v.failing_still {
        evidence.extend(v.failures.iter().rev().take(3));
        (
            Liveness::Stuck,
            Some(DaemonStuckKind::RepeatedFailures),
            format!(
                "stuck: {} software-update failures in {window_text} and nothing working since the last at {}",
                v.failures.len(),
                v.failures.last().map(|e| e.line.timestamp.as_str()).unwrap_or("?")
            ),
        )
    } else if let Some((cmd, at)) = addigy
        .as_ref()
        .filter(|_| cfg.strict_addigy || !v.recently_working)
    {
        (
            Liveness::Stuck,
            Some(DaemonStuckKind::AddigyRule),
            format!("stuck (Addigy's rule): mdmclient is stuck and its last command was {cmd} at {at}; softwareupdated logged no progress in the last {STALL_MINUTES} min"),
        )
    } else if v
        .events
        .iter()
        .any(|e| is_working(e) || report_state(e).is_some())
    {
        let last = v
            .events
            .iter()
            .rev()
            .copied()
            .find(|e| is_working(e) || report_state(e).is_some());
        if let Some(e) = last {
            evidence.push(e);
        }
        let mut s = format!(
            "alive: softwareupdated logged {} scan/progress/status events in {window_text}, last at {}",
            v.events.iter().filter(|e| is_working(e) || report_state(e).is_some()).count(),
            last.map(|e| e.line.timestamp.as_str()).unwrap_or("?")
        );
        if let Some((cmd, _)) = &addigy {
            s.push_str(&format!(
                "; mdmclient is stuck on {cmd}, but softwareupdated is working, so it is not blamed"
            ));
        }
        (Liveness::Alive, None, s)
    } else if mdmclient == Liveness::Unknown && v.failures.is_empty() {
        (
            Liveness::Unknown,
            None,
            "softwareupdated logged nothing in the window and mdmclient's state is unknown, so Addigy's rule cannot be applied".to_string(),
        )
    } else {
        evidence.extend(v.failures.iter().rev().take(2));
        (
            Liveness::Quiet,
            None,
            format!(
                "quiet: softwareupdated had nothing to do in {window_text}{}",
                if v.failures.is_empty() {
                    String::new()
                } else {
                    format!(" ({} isolated failures)", v.failures.len())
                }
            ),
        )
    };
    if let Some(p) = v.last_progress {
        if !evidence.iter().any(|e| std::ptr::eq(*e, p)) {
            evidence.push(p);
        }
    }
    if let Some(r) = v.last_report {
        if !evidence.iter().any(|e| std::ptr::eq(*e, r)) {
            evidence.push(r);
        }
    }
    if truncated && state != Liveness::Alive && state != Liveness::Unknown {
        summary = format!(
            "probe {} output was truncated (the newest entries are missing), so the evidence is incomplete; without the cut it would read {}",
            probes::LOG_SOFTWAREUPDATE,
            state.as_str()
        );
        state = Liveness::Unknown;
    }
    if v.future > 0 {
        summary.push_str(&format!(
            " ({} entries are later than now: clock skew or a replayed capture; counted as recent)",
            v.future
        ));
    }
    let mut finding = match state {
        Liveness::Unknown => Judgement::unknown(summary),
        Liveness::Stuck => Judgement::new(Status::Failed, summary),
        Liveness::Alive | Liveness::Quiet => Judgement::new(Status::Ok, summary),
    };
    evidence.sort_by_key(|e| e.line.time);
    for e in evidence.into_iter().take(client_liveness::MAX_EVIDENCE) {
        finding = finding.evidence(ev(e));
    }
    let reading = DaemonLogReading {
        last_progress: v.last_progress.map(|e| e.line.timestamp.clone()),
        failures: v.failures.len(),
        last_install_state: v.last_report.and_then(report_state).map(str::to_string),
        status_reports: log.counts.status_reports,
        future_entries: v.future,
        truncated,
    };
    finish(
        finding,
        state,
        cfg,
        mdmclient,
        &addigy,
        kind.filter(|_| state == Liveness::Stuck),
        Some(reading),
    )
}

/// Whether the softwareupdated log shows an install in progress: progress within the last
/// [`INSTALL_RECENT_MINUTES`], or a newest status report saying `installing` (any age in the
/// log: an install in flight blocks heal until a later report says otherwise) or `downloading`
/// (recent only).
pub fn install_activity(obs: &Observations) -> InstallActivity {
    let log = match &obs.su_log {
        Ok(l) => l,
        Err(u) => return InstallActivity::Unknown(format!("softwareupdated log unknown: {u}")),
    };
    let recent = |t: Option<DateTime<FixedOffset>>| {
        t.is_some_and(|t| (obs.now - t).num_minutes() < INSTALL_RECENT_MINUTES)
    };
    if let Some(e) = log
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, SuEventKind::Progress { .. }) && recent(e.line.time))
    {
        return InstallActivity::Installing(ev(e));
    }
    if let Some(e) = log.events.iter().rev().find(|e| report_state(e).is_some()) {
        match report_state(e) {
            Some("installing") => return InstallActivity::Installing(ev(e)),
            Some("downloading") if recent(e.line.time) => {
                return InstallActivity::Installing(ev(e))
            }
            _ => {}
        }
    }
    InstallActivity::Idle
}
