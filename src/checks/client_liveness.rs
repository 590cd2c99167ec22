//! `mdm.client_liveness`: has mdmclient talked to its server in the window: alive, quiet or stuck.
//!
//! Pure: reads `obs.mdm_log` (the folded `log show` of mdmclient / com.apple.ManagedClient), the
//! probe summary (to know whether the output was cut) and `obs.now`; never the clock, never I/O.
//! The window is `[now - cfg.liveness_window_minutes, now]`; entries later than `now` (a capture
//! replayed with a skewed clock) are kept and noted. Addigy's published rule ("successfully
//! communicated with the MDM server in the last 90 minutes", its MDM Watchdog documentation) calls a Mac the server
//! simply did not contact *stuck*; this check calls it *quiet* and `ok` unless
//! `cfg.strict_addigy`, because a restart cannot make a silent server send anything, and heal
//! restarts only on `Stuck`. Stuck therefore needs positive evidence: a command never answered,
//! check-ins that keep failing, or attempts/errors without any success.

use chrono::{DateTime, Duration, FixedOffset};

use super::{Evidence, Judgement, Liveness, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::mdm_log::{MdmEvent, MdmEventKind, MdmLog};
use crate::probes;

/// A command younger than this may still be in progress (InstallApplication, a DDM sync):
/// only older unanswered commands are evidence.
pub const UNANSWERED_GRACE_MINUTES: i64 = 15;
/// Failed exchanges in a row since the last success that make "failing check-ins".
pub const FAILURES_SINCE_SUCCESS: usize = 3;
/// Evidence lines per finding: a handful, not hundreds.
pub const MAX_EVIDENCE: usize = 6;

const REMEDIATION: &str = "mdmwatch -heal restarts mdmclient (at most once per 24 h) when it is stuck; \
check the network path from the Mac to the MDM server (HTTPS 443) and to APNs (TCP 5223, fallback 443; the MDM server itself reaches APNs on 443 or 2197); \
if the MDM identity is invalid (see mdm.identity), re-enroll the Mac";

/// `[now - window, now]`, with entries after `now` admitted but counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub now: DateTime<FixedOffset>,
    pub start: DateTime<FixedOffset>,
    pub minutes: u32,
}

impl Window {
    pub fn new(now: DateTime<FixedOffset>, minutes: u32) -> Window {
        Window {
            now,
            start: now - Duration::minutes(i64::from(minutes)),
            minutes,
        }
    }

    /// Inside the window or in the future. Entries without a readable time cannot be placed
    /// and are left out (and counted by the caller).
    pub fn admits(&self, t: Option<DateTime<FixedOffset>>) -> bool {
        t.is_some_and(|t| t >= self.start)
    }

    pub fn is_future(&self, t: Option<DateTime<FixedOffset>>) -> bool {
        t.is_some_and(|t| t > self.now)
    }

    /// Minutes from `t` to now (negative in the future).
    pub fn age_minutes(&self, t: Option<DateTime<FixedOffset>>) -> Option<i64> {
        t.map(|t| (self.now - t).num_minutes())
    }
}

/// True when the probe's output was cut by its byte cap (the newest entries are missing,
/// since `log show` prints oldest first).
pub(crate) fn probe_truncated(obs: &Observations, id: &str) -> bool {
    obs.probes.iter().any(|p| p.id == id && p.truncated)
}

pub(crate) fn evidence_of(source: &str, e: &crate::parse::mdm_log::LogLine) -> Evidence {
    Evidence::log(source, e.timestamp.clone(), e.message.clone())
}

/// Why mdmclient is stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientStuckKind {
    /// `Processing server request: X` with no later (200) exchange.
    UnansweredCommand,
    /// The last exchanges since the last success all failed.
    FailingCheckIns,
    /// Attempts or errors in the window and no success at all.
    NoSuccess,
    /// `cfg.strict_addigy`: no (200) in the window.
    StrictNo200,
}

impl ClientStuckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStuckKind::UnansweredCommand => "unanswered_command",
            ClientStuckKind::FailingCheckIns => "failing_check_ins",
            ClientStuckKind::NoSuccess => "no_success",
            ClientStuckKind::StrictNo200 => "strict_addigy_no_200",
        }
    }
}

/// The window's reading of the mdmclient log, shared with `daemon_liveness` (Addigy's rule
/// needs the last command).
#[derive(Debug, Clone)]
pub struct ClientView<'a> {
    pub events: Vec<&'a MdmEvent>,
    pub future: usize,
    pub untimed: usize,
    pub last_success: Option<&'a MdmEvent>,
    pub last_error: Option<&'a MdmEvent>,
    pub last_command: Option<&'a MdmEvent>,
    /// The newest command older than the grace period with no (200) exchange after it.
    pub unanswered: Option<&'a MdmEvent>,
    /// Failures after the last success (all failures when there is none).
    pub failures_since_success: Vec<&'a MdmEvent>,
    pub successes: usize,
    pub errors: usize,
    pub commands: usize,
    pub any_200: bool,
}

pub(crate) fn view<'a>(log: &'a MdmLog, w: &Window) -> ClientView<'a> {
    let events: Vec<&MdmEvent> = log
        .events
        .iter()
        .filter(|e| w.admits(e.line.time))
        .collect();
    let future = events.iter().filter(|e| w.is_future(e.line.time)).count();
    let untimed = log.events.iter().filter(|e| e.line.time.is_none()).count();
    let last_success_idx = events.iter().rposition(|e| e.is_success());
    let failures_since_success = events[last_success_idx.map_or(0, |i| i + 1)..]
        .iter()
        .copied()
        .filter(|e| e.is_error())
        .collect();
    // A command arrives inside a server response, and its answer is the next exchange:
    // `[Acknowledged(X)`, `[Error(X)`, `[NotNow` (or, if those were logged `<private>`, any later
    // (200) exchange shows mdmclient moved on). Only a command followed by no (200) at all is
    // unanswered.
    let unanswered = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.command().is_some())
        .filter(|(i, _)| !events[i + 1..].iter().any(|later| later.is_http_200()))
        .map(|(_, e)| *e)
        .find(|e| {
            w.age_minutes(e.line.time)
                .is_some_and(|age| age >= UNANSWERED_GRACE_MINUTES)
        });
    ClientView {
        future,
        untimed,
        last_success: last_success_idx.map(|i| events[i]),
        last_error: events.iter().rev().copied().find(|e| e.is_error()),
        last_command: events.iter().rev().copied().find(|e| e.command().is_some()),
        unanswered,
        failures_since_success,
        successes: events.iter().filter(|e| e.is_success()).count(),
        errors: events.iter().filter(|e| e.is_error()).count(),
        commands: events.iter().filter(|e| e.command().is_some()).count(),
        any_200: events.iter().any(|e| e.is_http_200()),
        events,
    }
}

/// The state the evidence supports, before considering truncation.
fn decide(v: &ClientView<'_>, strict: bool) -> (Liveness, Option<ClientStuckKind>) {
    if strict {
        // Addigy's rule, literally: any HTTP 200 in the window, or stuck.
        return if v.any_200 {
            (Liveness::Alive, None)
        } else {
            (Liveness::Stuck, Some(ClientStuckKind::StrictNo200))
        };
    }
    if v.events.is_empty() {
        return (Liveness::Quiet, None);
    }
    if v.unanswered.is_some() {
        return (Liveness::Stuck, Some(ClientStuckKind::UnansweredCommand));
    }
    if v.last_success.is_none() {
        let tried = v.errors > 0
            || v.events
                .iter()
                .any(|e| matches!(e.kind, MdmEventKind::Request { .. }));
        return if tried {
            (Liveness::Stuck, Some(ClientStuckKind::NoSuccess))
        } else {
            // Only commands still inside the grace period: a command arrives inside a server
            // response, so the channel works and mdmclient is busy with it.
            (Liveness::Alive, None)
        };
    }
    if v.failures_since_success.len() >= FAILURES_SINCE_SUCCESS {
        return (Liveness::Stuck, Some(ClientStuckKind::FailingCheckIns));
    }
    (Liveness::Alive, None)
}

/// Adds `e` to the evidence unless already there or the handful is full.
fn pick<'a>(picked: &mut Vec<&'a MdmEvent>, e: Option<&'a MdmEvent>) {
    if let Some(e) = e {
        if !picked.iter().any(|p| std::ptr::eq(*p, e)) && picked.len() < MAX_EVIDENCE {
            picked.push(e);
        }
    }
}

fn ts(e: Option<&MdmEvent>) -> Option<String> {
    e.map(|e| e.line.timestamp.clone())
}

/// mdmclient's liveness in the window and the log figures behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientLivenessAssessment {
    pub judgement: Judgement,
    pub state: Liveness,
    pub window_minutes: u32,
    /// `None` when the log is unknown.
    pub log: Option<ClientLogReading>,
}

/// What the window of the mdmclient log showed. Timestamps are as the log printed them.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientLogReading {
    pub strict_addigy: bool,
    /// Set only when the state is `Stuck`.
    pub stuck_kind: Option<ClientStuckKind>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_error_text: Option<String>,
    pub last_command: Option<String>,
    pub last_command_at: Option<String>,
    pub unanswered_command: Option<String>,
    pub successes: usize,
    pub errors: usize,
    pub commands: usize,
    pub entries: u64,
    pub skipped_lines: u64,
    pub user_channel_lines: u64,
    pub future_entries: usize,
    pub truncated: bool,
}

pub fn assess(obs: &Observations, cfg: &Config) -> ClientLivenessAssessment {
    let source = probes::LOG_MDMCLIENT;
    let log = match &obs.mdm_log {
        Ok(l) => l,
        Err(u) => {
            return ClientLivenessAssessment {
                judgement: Judgement::unknown(format!("mdmclient log unknown: {u}")),
                state: Liveness::Unknown,
                window_minutes: cfg.liveness_window_minutes,
                log: None,
            }
        }
    };
    let w = Window::new(obs.now, cfg.liveness_window_minutes);
    let v = view(log, &w);
    let truncated = probe_truncated(obs, source) || log.stats.cut_last_line;
    let (mut state, kind) = decide(&v, cfg.strict_addigy);

    let mut notes: Vec<String> = Vec::new();
    if v.future > 0 {
        notes.push(format!(
            "{} entries are later than now ({}): clock skew or a replayed capture; they were counted as recent",
            v.future,
            obs.now.to_rfc3339()
        ));
    }
    if v.untimed > 0 {
        notes.push(format!(
            "{} entries had no readable timestamp and were ignored",
            v.untimed
        ));
    }
    if log.stats.skipped > 0 {
        notes.push(format!("{} unreadable lines skipped", log.stats.skipped));
    }
    let mut reason = None;
    if truncated {
        if state == Liveness::Alive {
            notes.push("the log output was cut, but it already shows a successful exchange".into());
        } else {
            // `log show` prints oldest first: a cut output lacks the newest entries, which could
            // hold the success or the answer. Never call it quiet or stuck on half the evidence.
            reason = Some(format!(
                "probe {source} output was truncated (the newest entries are missing), so the evidence is incomplete; without the cut it would read {}",
                state.as_str()
            ));
            state = Liveness::Unknown;
        }
    }

    let window_text = format!("the last {} min", w.minutes);
    let summary = match (state, kind) {
        (Liveness::Unknown, _) => String::new(),
        (Liveness::Quiet, _) => format!(
            "quiet: no MDM traffic in {window_text} (no push, command, check-in or error); the server did not contact this Mac, which is not a fault (Addigy's rule would call it stuck: set StrictAddigyLiveness to follow it)"
        ),
        (Liveness::Alive, _) => match v.last_success {
            Some(s) => format!(
                "alive: {} successful exchanges in {window_text}, last at {}",
                v.successes, s.line.timestamp
            ),
            None => format!("alive: a command arrived in {window_text} and is being processed"),
        },
        (Liveness::Stuck, Some(ClientStuckKind::UnansweredCommand)) => format!(
            "stuck: command {} received at {} was never answered (no HTTP 200 exchange after it)",
            v.unanswered.and_then(|e| e.command()).unwrap_or("?"),
            v.unanswered.map(|e| e.line.timestamp.as_str()).unwrap_or("?")
        ),
        (Liveness::Stuck, Some(ClientStuckKind::FailingCheckIns)) => format!(
            "stuck: the last {} exchanges failed since the last success at {}",
            v.failures_since_success.len(),
            v.last_success.map(|e| e.line.timestamp.as_str()).unwrap_or("?")
        ),
        (Liveness::Stuck, Some(ClientStuckKind::NoSuccess)) => format!(
            "stuck: {} errors and no successful exchange in {window_text}",
            v.errors
        ),
        (Liveness::Stuck, _) => format!(
            "stuck (strict Addigy rule): no HTTP 200 response from the MDM server in {window_text}"
        ),
    };
    let mut finding = match state {
        Liveness::Unknown => Judgement::unknown(reason.unwrap_or_else(|| "no verdict".into())),
        Liveness::Stuck => Judgement::new(Status::Failed, summary),
        Liveness::Alive | Liveness::Quiet => Judgement::new(Status::Ok, summary),
    };
    if !notes.is_empty() && state != Liveness::Unknown {
        finding.summary = format!("{} ({})", finding.summary, notes.join("; "));
    } else if !notes.is_empty() {
        finding.summary = format!("{}; {}", finding.summary, notes.join("; "));
    }

    // A handful of lines: the ones that decided, newest facts first.
    let mut picked: Vec<&MdmEvent> = Vec::new();
    pick(&mut picked, v.unanswered);
    pick(&mut picked, v.last_command);
    pick(&mut picked, v.last_success);
    for e in v.failures_since_success.iter().rev().take(3) {
        pick(&mut picked, Some(*e));
    }
    pick(&mut picked, v.last_error);
    picked.sort_by_key(|e| e.line.time);
    for e in picked {
        finding = finding.evidence(evidence_of(source, &e.line));
    }

    let reading = ClientLogReading {
        strict_addigy: cfg.strict_addigy,
        stuck_kind: kind.filter(|_| state == Liveness::Stuck),
        last_success: ts(v.last_success),
        last_error: ts(v.last_error),
        last_error_text: v.last_error.map(|e| e.line.message.clone()),
        last_command: v.last_command.and_then(|e| e.command()).map(str::to_string),
        last_command_at: ts(v.last_command),
        unanswered_command: v.unanswered.and_then(|e| e.command()).map(str::to_string),
        successes: v.successes,
        errors: v.errors,
        commands: v.commands,
        entries: log.stats.entries,
        skipped_lines: log.stats.skipped,
        user_channel_lines: log.counts.user_channel,
        future_entries: v.future,
        truncated,
    };
    ClientLivenessAssessment {
        judgement: finding.remediation(REMEDIATION),
        state,
        window_minutes: cfg.liveness_window_minutes,
        log: Some(reading),
    }
}
