//! The liveness rules, as pure functions from a log summary and a time window to a typed reading:
//! what state mdmclient's channel, softwareupdated and the push connection are in, why, and which
//! log events prove it. The checks (`client_liveness`, `daemon_liveness`, `push`) wrap these
//! readings into assessments; heal acts on the states and causes.
//!
//! Every rule names the meaning of real text (see `parse::log_patterns`):
//! - mdmclient: a (200) response or a command receipt is an exchange (the channel works). Only
//!   non-200 responses and transport errors are failures, counted per cause: the cause that
//!   dominates names the failure (one 401 among 5xx is a failing server). The `[ERROR]` tag is
//!   context. A receipt that is never answered is evidence the client itself stopped, but only
//!   when the window holds HTTP lines or the query is known to return them (mdmwatch's own
//!   predicate, recorded with a capture); otherwise those lines may not have been collected.
//!   macOS 15, 26 and 27 alike (the published lines come from 12-15; no format change is known).
//! - softwareupdated: progress lines carry the phase and an explicit `stalled:YES|NO`; an install
//!   phase in progress means nothing may be restarted; `stalled:YES`, or an install phase with no
//!   progress for [`Config::stall_minutes`](crate::config::Config::stall_minutes), is a stall. Real prepare phases went 12 minutes
//!   without a progress line, all `stalled:NO`, so the default is well above that (60 min).

use chrono::{DateTime, Duration, FixedOffset};

use crate::parse::apsd_log::{ApsdEvent, ApsdEventKind, ApsdLog};
use crate::parse::mdm_log::{MdmEvent, MdmEventKind, MdmLog};
use crate::parse::su_log::{phase_class, PhaseClass, SuEvent, SuEventKind, SuLog};

/// A command younger than this may still be in progress (InstallApplication, a DDM sync): only
/// older unanswered receipts are evidence.
pub(crate) const UNANSWERED_GRACE_MINUTES: i64 = 15;
/// Failed exchanges in a row since the last exchange that make "communication failing".
pub(crate) const FAILURES_IN_A_ROW: usize = 3;

/// `[now - window, now]`, with entries after `now` admitted but counted.
#[derive(Debug, Clone, Copy)]
pub struct Window {
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
    /// and are left out (and counted).
    pub(crate) fn admits(&self, t: Option<DateTime<FixedOffset>>) -> bool {
        t.is_some_and(|t| t >= self.start)
    }

    pub(crate) fn is_future(&self, t: Option<DateTime<FixedOffset>>) -> bool {
        t.is_some_and(|t| t > self.now)
    }

    /// Whole minutes from `t` to now (negative in the future).
    pub(crate) fn age_minutes(&self, t: Option<DateTime<FixedOffset>>) -> Option<i64> {
        t.map(|t| (self.now - t).num_minutes())
    }
}

// ---------------------------------------------------------------------------------------------
// mdmclient

/// Why communication with the MDM server is failing. The cause decides the remedy: only a
/// wedged client is helped by a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCause {
    /// The server answers 5xx (or another non-200 that is not an authentication refusal).
    ServerError,
    /// 401/403: the server refuses the Mac's identity or enrollment. Re-enroll.
    AuthRejected,
    /// Network errors on the way to the server.
    TransportFailure,
    /// The client stopped: a command it received was never answered.
    ClientWedged,
    /// Addigy's literal rule, chosen by the admin (`StrictAddigyLiveness`): no (200) in the window.
    StrictNo200,
    /// The channel cannot work for a reason outside mdmclient (`mdm.channel`): not enrolled, the
    /// identity unusable, no push connection, the push topic not registered. Heal stands down.
    Channel(ChannelBlock),
    /// An enforced update stuck for a cause `softwareupdate.ddm` named that no restart of
    /// softwareupdated can fix (macOS 14-27). Heal restarts softwareupdated only for `stalled`.
    Ddm(DdmBlock),
}

/// The DDM stuck causes other than `stalled`: each has its own remediation, never a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DdmBlock {
    DownloadFailing,
    PrerequisitesBlocking,
    DeclarationInvalid,
    NotOffered,
    /// A prepared update's APFS snapshot is listed but no version file names the update: it may
    /// be the target waiting for its restart, so softwareupdated is not restarted under it.
    UpdatePrepared,
}

impl DdmBlock {
    /// The same codes as `softwareupdate.ddm`'s `stuck_cause`.
    pub fn code(self) -> &'static str {
        match self {
            DdmBlock::DownloadFailing => "download_or_prepare_failing",
            DdmBlock::PrerequisitesBlocking => "prerequisites_blocking",
            DdmBlock::DeclarationInvalid => "declaration_missing_or_invalid",
            DdmBlock::NotOffered => "not_offered_yet",
            DdmBlock::UpdatePrepared => "update_prepared",
        }
    }

    pub fn remedy(self) -> &'static str {
        match self {
            DdmBlock::DownloadFailing => "the device reports the enforced update's download or prepare failing (see softwareupdate.ddm's failure reason): fix that cause (network path to Apple's update servers, free space, power); a restart of softwareupdated does not",
            DdmBlock::PrerequisitesBlocking => "a prerequisite blocks the enforced update (see readiness: battery, free space, bootstrap token): fix it and macOS retries on its own",
            DdmBlock::DeclarationInvalid => "the enforcement declaration is missing, invalid or conflicting (see softwareupdate.ddm): fix or re-send it from the MDM",
            DdmBlock::NotOffered => "Apple does not offer the declared version to this Mac yet (staged roll-out or not for this model): wait, or declare a version Apple offers it",
            DdmBlock::UpdatePrepared => "macOS lists a prepared update's snapshot (com.apple.os.update-MSUPrepareUpdate) that no version file names as the target: restart the Mac to apply it",
        }
    }
}

/// A cause `mdm.channel` found that no restart of mdmclient can fix (heal stands down on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelBlock {
    NotEnrolled,
    IdentityUnusable,
    PushNotConnected,
    TopicNotRegistered,
}

impl ChannelBlock {
    pub fn code(self) -> &'static str {
        match self {
            ChannelBlock::NotEnrolled => "not_enrolled",
            ChannelBlock::IdentityUnusable => "identity_unusable",
            ChannelBlock::PushNotConnected => "push_not_connected",
            ChannelBlock::TopicNotRegistered => "push_topic_not_registered",
        }
    }
}

impl FailureCause {
    pub fn code(self) -> &'static str {
        match self {
            FailureCause::ServerError => "server_error",
            FailureCause::AuthRejected => "auth_rejected",
            FailureCause::TransportFailure => "transport_failure",
            FailureCause::ClientWedged => "client_wedged",
            FailureCause::StrictNo200 => "strict_addigy_no_200",
            FailureCause::Channel(b) => b.code(),
            FailureCause::Ddm(b) => b.code(),
        }
    }

    /// What the admin should do.
    pub fn remedy(self) -> &'static str {
        match self {
            FailureCause::ServerError => "the MDM server is failing (HTTP 5xx): a restart of mdmclient cannot fix it; check the MDM service's status and its logs",
            FailureCause::AuthRejected => "the MDM server refuses this Mac's identity or enrollment (HTTP 401/403): a restart cannot fix it; re-enroll the Mac (check mdm.identity)",
            FailureCause::TransportFailure => "mdmclient cannot reach the MDM server: check DNS, proxy and firewall from the Mac to the server (HTTPS 443); a restart cannot fix the network",
            FailureCause::ClientWedged => "mdmclient received a command and never answered it: restarting mdmclient (mdmwatch -heal, at most once per 24 h) is the remedy",
            FailureCause::StrictNo200 => "no successful exchange in the window (Addigy's rule, chosen by StrictAddigyLiveness): check the network path to the MDM server and APNs; heal restarts mdmclient under this rule",
            FailureCause::Channel(_) => "the MDM channel cannot work for a reason outside mdmclient (see mdm.channel): a restart cannot fix it",
            FailureCause::Ddm(b) => b.remedy(),
        }
    }
}

/// mdmclient's channel, as the log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// An exchange (a (200) response or a command receipt) in the window.
    Alive,
    /// Nothing happened: the server did not contact this Mac. Not a fault.
    Quiet,
    /// Communication is failing, for this cause.
    Failing(FailureCause),
    /// The evidence could not be read.
    Unknown,
}

impl ClientState {
    pub fn code(self) -> &'static str {
        match self {
            ClientState::Alive => "alive",
            ClientState::Quiet => "quiet",
            ClientState::Failing(_) => "failing",
            ClientState::Unknown => "unknown",
        }
    }

    pub fn cause(self) -> Option<FailureCause> {
        match self {
            ClientState::Failing(c) => Some(c),
            _ => None,
        }
    }
}

/// The window's reading of the mdmclient log.
#[derive(Debug, Clone)]
pub struct ClientReading<'a> {
    pub state: ClientState,
    /// The deciding evidence rests on verified patterns only. Unverified evidence may warn; it
    /// never fails the finding, sets an Addigy key or restarts anything.
    pub verified: bool,
    pub events: Vec<&'a MdmEvent>,
    pub future: usize,
    pub untimed: usize,
    /// The newest exchange (a (200) response or a receipt).
    pub last_exchange: Option<&'a MdmEvent>,
    pub last_success: Option<&'a MdmEvent>,
    pub last_command: Option<&'a MdmEvent>,
    /// Failures (non-200, transport) after the last exchange, oldest first.
    pub failures_since_exchange: Vec<&'a MdmEvent>,
    pub last_failure: Option<&'a MdmEvent>,
    /// A receipt older than the grace period with no HTTP line after it, in a window that holds
    /// HTTP lines: the client stopped.
    pub unanswered: Option<&'a MdmEvent>,
    /// A receipt with no HTTP line after it in a window that holds no HTTP line at all: cannot be
    /// judged (those lines may be at a level the query did not collect).
    pub unjudgeable_receipt: Option<&'a MdmEvent>,
    pub last_error_tag: Option<&'a MdmEvent>,
    pub successes: usize,
    pub receipts: usize,
    pub failures: usize,
    pub http_lines: usize,
    pub error_tags: usize,
    /// Failures since the last exchange, counted per cause (most first): the dominant cause
    /// names the failure, the others stay evidence.
    pub failure_counts: Vec<(FailureCause, usize)>,
    /// The query returned HTTP lines when there were any (mdmwatch's own predicate): their
    /// absence after a receipt is evidence.
    pub http_queried: bool,
}

fn failure_cause(e: &MdmEvent) -> Option<FailureCause> {
    match e.kind {
        MdmEventKind::Response { status, .. } if status == 401 || status == 403 => {
            Some(FailureCause::AuthRejected)
        }
        MdmEventKind::Response { status, .. } if status != 200 => Some(FailureCause::ServerError),
        MdmEventKind::TransportError => Some(FailureCause::TransportFailure),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) fn read_client<'a>(log: &'a MdmLog, w: &Window, strict: bool) -> ClientReading<'a> {
    read_client_with(log, w, strict, false)
}

/// Failures counted per cause, most frequent first; on a tie the server outranks a refusal, so
/// re-enrolment is advised only when refusals dominate (one 401 among 5xx is a failing server).
pub(crate) fn count_causes(failures: &[&MdmEvent]) -> Vec<(FailureCause, usize)> {
    let mut counts: Vec<(FailureCause, usize)> = Vec::new();
    for c in failures.iter().filter_map(|e| failure_cause(e)) {
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    let rank = |c: FailureCause| match c {
        FailureCause::ServerError => 0,
        FailureCause::TransportFailure => 1,
        _ => 2,
    };
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(rank(a.0).cmp(&rank(b.0))));
    counts
}

/// `http_queried`: the log came from mdmwatch's own predicate (which returns the HTTP lines), so
/// a receipt with nothing after it is unanswered even in a window without HTTP lines. With a
/// foreign or unrecorded predicate that absence cannot be told.
pub(crate) fn read_client_with<'a>(
    log: &'a MdmLog,
    w: &Window,
    strict: bool,
    http_queried: bool,
) -> ClientReading<'a> {
    let events: Vec<&MdmEvent> = log
        .events
        .iter()
        .filter(|e| w.admits(e.line.time))
        .collect();
    let last_exchange_idx = events.iter().rposition(|e| e.is_exchange());
    let failures_since_exchange: Vec<&MdmEvent> = events[last_exchange_idx.map_or(0, |i| i + 1)..]
        .iter()
        .copied()
        .filter(|e| failure_cause(e).is_some())
        .collect();
    let http_lines = events.iter().filter(|e| e.is_http()).count();
    // The newest receipt with no HTTP line after it (its answer would be a `Sending HTTP
    // request … [Acknowledged(X)…]` and a response). A later receipt answers for an earlier one
    // (the server delivered it over a working exchange), so only the newest can be open.
    let open_receipt = events
        .iter()
        .rposition(|e| e.command().is_some())
        .filter(|&i| !events[i + 1..].iter().any(|later| later.is_http()))
        .map(|i| events[i])
        .filter(|e| {
            w.age_minutes(e.line.time)
                .is_some_and(|age| age >= UNANSWERED_GRACE_MINUTES)
        });
    let (unanswered, unjudgeable_receipt) = match open_receipt {
        Some(r) if http_lines > 0 || http_queried => (Some(r), None),
        Some(r) => (None, Some(r)),
        None => (None, None),
    };
    let mut r = ClientReading {
        state: ClientState::Quiet,
        verified: true,
        future: events.iter().filter(|e| w.is_future(e.line.time)).count(),
        untimed: log.events.iter().filter(|e| e.line.time.is_none()).count(),
        last_exchange: last_exchange_idx.map(|i| events[i]),
        last_success: events.iter().rev().copied().find(|e| e.is_success()),
        last_command: events.iter().rev().copied().find(|e| e.command().is_some()),
        last_failure: events
            .iter()
            .rev()
            .copied()
            .find(|e| failure_cause(e).is_some()),
        unanswered,
        unjudgeable_receipt,
        last_error_tag: events
            .iter()
            .rev()
            .copied()
            .find(|e| e.kind == MdmEventKind::ErrorTag),
        successes: events.iter().filter(|e| e.is_success()).count(),
        receipts: events.iter().filter(|e| e.command().is_some()).count(),
        failures: events.iter().filter(|e| failure_cause(e).is_some()).count(),
        error_tags: events
            .iter()
            .filter(|e| e.kind == MdmEventKind::ErrorTag)
            .count(),
        http_lines,
        failure_counts: count_causes(&failures_since_exchange),
        http_queried,
        failures_since_exchange,
        events,
    };
    (r.state, r.verified) = decide_client(&r, strict);
    r
}

fn decide_client(r: &ClientReading<'_>, strict: bool) -> (ClientState, bool) {
    if strict {
        // Addigy's rule, literally: any HTTP 200 in the window, or stuck.
        return if r.successes > 0 {
            (ClientState::Alive, true)
        } else {
            (ClientState::Failing(FailureCause::StrictNo200), true)
        };
    }
    if let Some(receipt) = r.unanswered {
        if r.last_exchange.is_some_and(|e| std::ptr::eq(e, receipt)) {
            return (ClientState::Failing(FailureCause::ClientWedged), true);
        }
    }
    let failing = r.failures_since_exchange.len() >= FAILURES_IN_A_ROW
        || (r.last_exchange.is_none() && !r.failures_since_exchange.is_empty());
    if failing {
        // The cause that dominates the failures, not the newest one.
        let cause = r
            .failure_counts
            .first()
            .map_or(FailureCause::ServerError, |(c, _)| *c);
        let verified = r.failures_since_exchange.iter().all(|e| e.verified());
        return (ClientState::Failing(cause), verified);
    }
    if r.last_exchange.is_some() {
        return (ClientState::Alive, true);
    }
    // Requests sent and never answered, with no response line at all: perhaps the network, but
    // no public line shows what that looks like, so it can only warn.
    let requests = r
        .events
        .iter()
        .any(|e| matches!(e.kind, MdmEventKind::Request { .. }));
    if requests {
        return (ClientState::Failing(FailureCause::TransportFailure), false);
    }
    (ClientState::Quiet, true)
}

// ---------------------------------------------------------------------------------------------
// What heal acts on

/// Why a restart can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// mdmclient received a command and never answered it.
    ClientWedged,
    /// `StrictAddigyLiveness`: no (200) in the window, and the admin chose Addigy's rule.
    StrictAddigy,
    /// softwareupdated's install stopped progressing.
    Stalled,
    /// Addigy's rule: mdmclient is wedged on a software-update command.
    AddigySuCommand,
}

impl Ground {
    pub fn code(self) -> &'static str {
        match self {
            Ground::ClientWedged => "client_wedged",
            Ground::StrictAddigy => "strict_addigy",
            Ground::Stalled => "stalled",
            Ground::AddigySuCommand => "addigy_su_command_unanswered",
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Ground::ClientWedged => "mdmclient received a command and never answered it",
            Ground::StrictAddigy => {
                "no successful exchange in the window under Addigy's strict rule (StrictAddigyLiveness)"
            }
            Ground::Stalled => "the software-update install stopped progressing",
            Ground::AddigySuCommand => {
                "mdmclient never answered a software-update command (Addigy's rule)"
            }
        }
    }
}

/// What the checks established about one service, reduced to what heal needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Verified evidence of a state a restart can fix.
    Fixable(Ground),
    /// Communication with the MDM server is failing for a cause a restart cannot fix.
    NotFixable(FailureCause),
    /// Signs of trouble that rest on unverified log text only.
    Unverified,
    Alive,
    /// softwareupdated is installing (or an update is prepared): it is the installer.
    Installing,
    Quiet,
    Unknown,
}

impl Condition {
    /// The state word for the report (`liveness` of a service's heal entry).
    pub fn state(self) -> &'static str {
        match self {
            Condition::Fixable(Ground::Stalled) => "stalled",
            Condition::Fixable(_) | Condition::NotFixable(_) | Condition::Unverified => "failing",
            Condition::Alive => "alive",
            Condition::Installing => "installing",
            Condition::Quiet => "quiet",
            Condition::Unknown => "unknown",
        }
    }

    /// The cause, when there is one (`client_wedged`, `server_error`, `stalled`, ...).
    pub fn cause(self) -> Option<&'static str> {
        match self {
            Condition::Fixable(g) => Some(g.code()),
            Condition::NotFixable(c) => Some(c.code()),
            Condition::Unverified => Some("unverified_evidence"),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// softwareupdated

/// How a stall was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StallSign {
    /// The newest progress line says `stalled:YES`.
    Explicit,
    /// An install phase with no progress for this many minutes.
    NoProgressFor(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonState {
    /// Progress, a completed scan or other work in the window.
    Alive,
    /// A download/prepare/apply phase is in progress (or an update is prepared and waiting):
    /// heal touches nothing.
    Installing,
    /// An install phase stopped progressing.
    Stalled(StallSign),
    /// Nothing to do in the window. Not a fault.
    Quiet,
    Unknown,
}

impl DaemonState {
    pub fn code(self) -> &'static str {
        match self {
            DaemonState::Alive => "alive",
            DaemonState::Installing => "installing",
            DaemonState::Stalled(_) => "stalled",
            DaemonState::Quiet => "quiet",
            DaemonState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DaemonReading<'a> {
    pub state: DaemonState,
    /// An update was prepared and is waiting for its apply job (or a restart, or a deadline).
    pub prepared_waiting: bool,
    pub events: Vec<&'a SuEvent>,
    pub future: usize,
    /// The newest install-phase progress line (download/prepare/apply/prepared).
    pub last_install_progress: Option<&'a SuEvent>,
    /// The newest event that shows softwareupdated working.
    pub last_work: Option<&'a SuEvent>,
    pub last_scan_complete: Option<&'a SuEvent>,
    pub last_status_report: Option<&'a SuEvent>,
    /// A DDM status report or enforcement line in the window (DDM drives an update).
    pub ddm_involved: bool,
}

fn install_class(e: &SuEvent) -> Option<PhaseClass> {
    match &e.kind {
        SuEventKind::Progress(p) => match phase_class(&p.phase) {
            PhaseClass::Other => None,
            // `(end)` of an install phase: the job reported the phase over; what follows, if
            // anything, is a new job (14-27: same line shape).
            PhaseClass::Installing if p.end => Some(PhaseClass::Terminal),
            c => Some(c),
        },
        SuEventKind::PrepareProgress { .. } => Some(PhaseClass::Installing),
        _ => None,
    }
}

fn is_work(e: &SuEvent) -> bool {
    !matches!(e.kind, SuEventKind::StatusReport { .. })
}

pub(crate) fn report_state(e: &SuEvent) -> Option<&str> {
    match &e.kind {
        SuEventKind::StatusReport { install_state } => install_state.as_deref(),
        _ => None,
    }
}

pub(crate) fn read_daemon<'a>(log: &'a SuLog, w: &Window, stall_minutes: u32) -> DaemonReading<'a> {
    let events: Vec<&SuEvent> = log
        .events()
        .iter()
        .filter(|e| w.admits(e.line.time))
        .collect();
    let last_install_progress = events
        .iter()
        .rev()
        .copied()
        .find(|e| install_class(e).is_some());
    let last_work = events.iter().rev().copied().find(|e| is_work(e));
    // The newest line that is not the end of a job: after `PREPARED` an update job logs
    // `COMPLETED`, and the apply job starts minutes later (real update logs), so a prepared
    // update followed by COMPLETED is still waiting to be applied.
    let last_open = events.iter().rev().copied().find(|e| {
        matches!(
            install_class(e),
            Some(PhaseClass::Installing | PhaseClass::Prepared)
        )
    });
    let prepared_waiting =
        last_open.is_some_and(|e| install_class(e) == Some(PhaseClass::Prepared));
    let state = match last_install_progress.and_then(install_class) {
        Some(PhaseClass::Installing) => {
            let e = last_install_progress.expect("class of a line");
            let explicit = matches!(&e.kind, SuEventKind::Progress(p) if p.stalled == Some(true));
            let age = w.age_minutes(e.line.time).unwrap_or(0);
            if explicit {
                DaemonState::Stalled(StallSign::Explicit)
            } else if age >= i64::from(stall_minutes) {
                DaemonState::Stalled(StallSign::NoProgressFor(age))
            } else {
                DaemonState::Installing
            }
        }
        // Prepared and waiting for the apply job, a restart or a deadline: nothing to stall,
        // nothing to disturb.
        Some(PhaseClass::Prepared) => DaemonState::Installing,
        // APPLYING, READY, DOWNLOADED_UPDATE or an `(end)` line: the job does not report past
        // it (after APPLYING the Mac restarts into the installer), so silence is expected and is
        // never a stall: an hour after the reboot heal must not restart softwareupdated.
        Some(PhaseClass::Terminal) => DaemonState::Installing,
        Some(PhaseClass::Complete) if prepared_waiting => DaemonState::Installing,
        _ if last_work.is_some() => DaemonState::Alive,
        _ => DaemonState::Quiet,
    };
    DaemonReading {
        state,
        prepared_waiting,
        future: events.iter().filter(|e| w.is_future(e.line.time)).count(),
        last_install_progress,
        last_work,
        last_scan_complete: events.iter().rev().copied().find(|e| {
            matches!(&e.kind, SuEventKind::ScanProgress(p) if phase_class(&p.phase) == PhaseClass::Complete)
        }),
        last_status_report: events
            .iter()
            .rev()
            .copied()
            .find(|e| report_state(e).is_some()),
        ddm_involved: events.iter().any(|e| {
            matches!(
                e.kind,
                SuEventKind::StatusReport { .. } | SuEventKind::Enforcement
            )
        }),
        events,
    }
}

// ---------------------------------------------------------------------------------------------
// apsd

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushState {
    /// The newest courier line is a connection.
    Connected,
    /// The newest courier line is a disconnection.
    Disconnected,
    /// No courier line in the window: a connection can be hours old, so nothing is known.
    Unknown,
}

impl PushState {
    pub fn code(self) -> &'static str {
        match self {
            PushState::Connected => "connected",
            PushState::Disconnected => "disconnected",
            PushState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PushReading<'a> {
    pub state: PushState,
    /// The newest courier line: the one that decided the state.
    pub newest: Option<&'a ApsdEvent>,
    pub verified: bool,
    pub last_connected: Option<&'a ApsdEvent>,
    pub last_disconnected: Option<&'a ApsdEvent>,
    pub last_identity_failure: Option<&'a ApsdEvent>,
}

pub(crate) fn read_push<'a>(log: &'a ApsdLog, w: &Window) -> PushReading<'a> {
    let events: Vec<&ApsdEvent> = log
        .events
        .iter()
        .filter(|e| w.admits(e.line.time))
        .collect();
    let newest = events.last().copied();
    let find = |k: ApsdEventKind| events.iter().rev().copied().find(|e| e.kind == k);
    PushReading {
        state: match newest.map(|e| e.kind) {
            Some(ApsdEventKind::Connected) => PushState::Connected,
            Some(ApsdEventKind::Disconnected | ApsdEventKind::IdentityFailure) => {
                PushState::Disconnected
            }
            None => PushState::Unknown,
        },
        verified: newest.is_none_or(|e| e.verified()),
        newest,
        last_connected: find(ApsdEventKind::Connected),
        last_disconnected: find(ApsdEventKind::Disconnected),
        last_identity_failure: find(ApsdEventKind::IdentityFailure),
    }
}

#[cfg(test)]
mod tests {
    //! The rules against real log text: every fixture in tests/fixtures/logs-real is verbatim
    //! macOS lines in a constructed ndjson wrapper (its README says which parts are constructed).
    //! "Now" is 2026-11-20 10:00 -0500 and the window 90 minutes for all of them.
    use super::*;
    use crate::parse::{apsd_log, mdm_log, su_log};

    const NOW: &str = "2026-11-20T10:00:00-05:00";

    fn window() -> Window {
        Window::new(DateTime::parse_from_rfc3339(NOW).unwrap(), 90)
    }

    fn real(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/logs-real/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// (fixture, state, cause, verified)
    #[test]
    fn mdmclient_on_real_text() {
        use ClientState::*;
        use FailureCause::*;
        let cases: &[(&str, ClientState, bool)] = &[
            // Receipt, 200 [Idle], Acknowledged, 200: alive; three pids in 40 minutes are normal.
            ("mdmclient_real_healthy_exchange.ndjson", Alive, true),
            // A generic [ERROR] (app install refused) after good exchanges is not a failure.
            ("mdmclient_real_app_install_error.ndjson", Alive, true),
            // Receipts with no HTTP line in the window: alive (a receipt is an exchange).
            ("mdmclient_real_receipts_no_http.ndjson", Alive, true),
            // The user agent's lines are not the device channel; the device exchanged fine.
            ("mdmclient_real_user_channel.ndjson", Alive, true),
            // Forged 503s and identity errors from /Users/... are ignored.
            ("mdmclient_real_healthy_with_forged.ndjson", Alive, true),
            // A receipt at 09:00 with no HTTP line after it for an hour, in a window holding
            // HTTP lines: the client stopped.
            (
                "mdmclient_real_receipt_unanswered.ndjson",
                Failing(ClientWedged),
                true,
            ),
        ];
        for (name, want, verified) in cases {
            let log = mdm_log::summarize(&real(name)[..]).expect(name);
            let r = read_client(&log, &window(), false);
            assert_eq!((r.state, r.verified), (*want, *verified), "{name}");
        }
    }

    #[test]
    fn receipts_without_http_lines_cannot_be_judged_unanswered() {
        let log = mdm_log::summarize(&real("mdmclient_real_receipts_no_http.ndjson")[..]).unwrap();
        let r = read_client(&log, &window(), false);
        assert_eq!(r.http_lines, 0);
        assert!(r.unanswered.is_none());
        // The 08:40 receipt is past the grace period; the 09:54 one is not.
        assert!(
            r.unjudgeable_receipt.is_none(),
            "newest receipt is within grace"
        );
        assert_eq!(r.receipts, 2);
    }

    #[test]
    fn error_tags_and_forgeries_are_counted_not_judged() {
        let log = mdm_log::summarize(&real("mdmclient_real_app_install_error.ndjson")[..]).unwrap();
        let r = read_client(&log, &window(), false);
        assert_eq!(r.error_tags, 1);
        assert_eq!(r.failures, 0);
        assert_eq!(
            r.last_error_tag.map(|e| e.line.level.as_str()),
            Some("Error")
        );
        let forged =
            mdm_log::summarize(&real("mdmclient_real_healthy_with_forged.ndjson")[..]).unwrap();
        assert_eq!(forged.rejected.count, 5);
        assert_eq!(forged.count("mdm.identity_error"), 0);
        // The agent's `[501:MDMAgent…]` line never becomes device-channel evidence.
        let user = mdm_log::summarize(&real("mdmclient_real_user_channel.ndjson")[..]).unwrap();
        assert!(user
            .events
            .iter()
            .all(|e| !e.line.message.contains("[501:MDMAgent")));
    }

    #[test]
    fn strict_addigy_follows_the_literal_rule() {
        let log = mdm_log::summarize(&real("mdmclient_real_receipts_no_http.ndjson")[..]).unwrap();
        assert_eq!(
            read_client(&log, &window(), true).state,
            ClientState::Failing(FailureCause::StrictNo200)
        );
        let log = mdm_log::summarize(&real("mdmclient_real_healthy_exchange.ndjson")[..]).unwrap();
        assert_eq!(read_client(&log, &window(), true).state, ClientState::Alive);
    }

    /// Constructed lines in the real formats: HTTP statuses other than 200 are verified in form
    /// (no public line shows one), network errors are unverified.
    fn entry(minute: u32, msg: &str) -> String {
        format!(
            "{{\"timestamp\":\"2026-11-20 09:{minute:02}:00.000000-0500\",\"eventMessage\":{},\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"userID\":0,\"messageType\":\"Default\"}}\n",
            serde_json::to_string(msg).unwrap()
        )
    }

    fn client_of(lines: &[(u32, &str)]) -> (ClientState, bool) {
        let text: String = std::iter::once("Filtering the log data using \"x\"\n".to_string())
            .chain(lines.iter().map(|(m, s)| entry(*m, s)))
            .collect();
        let log = mdm_log::summarize(text.as_bytes()).unwrap();
        let r = read_client(&log, &window(), false);
        (r.state, r.verified)
    }

    #[test]
    fn failure_causes() {
        use FailureCause::*;
        const OK: &str =
            "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (200) [Idle] <<<<<";
        const REQ: &str =
            "[0:MDMDaemon:HTTPUtil:<0x6c0d>] >>>>> Sending HTTP request (PUT) [Idle] >>>>>";
        let r503 =
            "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (503) [Idle] <<<<<";
        let r401 =
            "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (401) [Idle] <<<<<";
        let net = "[ERROR] [0:MDMDaemon:<0x3>] [NSURLErrorDomain:-1009] The Internet connection appears to be offline.";
        let fail = ClientState::Failing;
        // Three 503s after the last success: the server is failing.
        assert_eq!(
            client_of(&[(1, OK), (10, r503), (20, r503), (30, r503)]),
            (fail(ServerError), true)
        );
        // One failure after a success is not enough.
        assert_eq!(
            client_of(&[(1, OK), (10, r503)]),
            (ClientState::Alive, true)
        );
        // 401 without any success: the identity or enrollment is refused.
        assert_eq!(
            client_of(&[(10, REQ), (10, r401)]),
            (fail(AuthRejected), true)
        );
        // Network errors only: a warning at most (unverified).
        assert_eq!(
            client_of(&[(10, REQ), (10, net)]),
            (fail(TransportFailure), false)
        );
        // Requests never answered, no response at all: unverified.
        assert_eq!(
            client_of(&[(10, REQ), (40, REQ)]),
            (fail(TransportFailure), false)
        );
        // A success after failures: alive again.
        assert_eq!(
            client_of(&[(10, r503), (20, r503), (30, r503), (40, OK)]),
            (ClientState::Alive, true)
        );
        // Nothing: quiet.
        assert_eq!(client_of(&[]), (ClientState::Quiet, true));
    }

    /// The receipt rules with the predicate the log was taken with: a (200) 150 min ago (outside
    /// the window) and a ScheduleOSUpdate receipt 80 min ago with nothing after it is unanswered
    /// when the query returns HTTP lines (mdmwatch's own), and cannot be told otherwise; two
    /// receipts 74 min apart with nothing else are not stuck either way.
    #[test]
    fn receipts_judged_by_the_predicate_the_log_was_taken_with() {
        const RECEIPT: &str = "[*] [0:MDMDaemon:<0x4d0d>] Processing server request: ScheduleOSUpdate for: <Device> (3fb48527-9aaa-492d-94fc-efd999d812a3) PowerNap: no";
        const OK: &str =
            "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (200) [Idle] <<<<<";
        let text = |lines: &[(&str, &str)]| -> String {
            lines
                .iter()
                .map(|(ts, m)| {
                    format!(
                        "{{\"timestamp\":\"2026-11-20 {ts}.000000-0500\",\"eventMessage\":{},\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"userID\":0}}\n",
                        serde_json::to_string(m).unwrap()
                    )
                })
                .collect()
        };
        let one = text(&[("07:30:00", OK), ("08:40:00", RECEIPT)]);
        let log = mdm_log::summarize(one.as_bytes()).unwrap();
        let own = read_client_with(&log, &window(), false, true);
        assert_eq!(own.state, ClientState::Failing(FailureCause::ClientWedged));
        assert_eq!(
            own.unanswered.and_then(|e| e.command()),
            Some("ScheduleOSUpdate")
        );
        let foreign = read_client_with(&log, &window(), false, false);
        assert_eq!(foreign.state, ClientState::Alive);
        assert!(foreign.unanswered.is_none() && foreign.unjudgeable_receipt.is_some());
        let two = text(&[("08:40:00", RECEIPT), ("09:54:00", RECEIPT)]);
        let log = mdm_log::summarize(two.as_bytes()).unwrap();
        for queried in [true, false] {
            let r = read_client_with(&log, &window(), false, queried);
            assert_eq!(r.state, ClientState::Alive, "queried {queried}");
            assert!(r.unanswered.is_none());
        }
    }

    #[test]
    fn the_dominant_cause_names_the_failure() {
        use FailureCause::*;
        let r = |s: u16| {
            format!(
                "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response ({s}) [Idle] <<<<<"
            )
        };
        let (r503, r502, r401, r403) = (r(503), r(502), r(401), r(403));
        // One 401 among 5xx: the server fails (the 401 stays evidence).
        assert_eq!(
            client_of(&[(10, &r503), (20, &r503), (30, &r502), (40, &r401)]),
            (ClientState::Failing(ServerError), true)
        );
        // Refusals persist: re-enrol.
        assert_eq!(
            client_of(&[(10, &r503), (20, &r401), (30, &r403), (40, &r401)]),
            (ClientState::Failing(AuthRejected), true)
        );
        // A tie is the server's (no re-enrol advice on half the evidence).
        assert_eq!(
            client_of(&[(10, &r401), (20, &r503), (30, &r401), (40, &r503)]),
            (ClientState::Failing(ServerError), true)
        );
    }

    /// (fixture, state)
    #[test]
    fn softwareupdated_on_real_text() {
        let cases: &[(&str, DaemonState)] = &[
            // PREPARING_UPDATE at 09:48, stalled:NO, with 12-minute silences: installing.
            (
                "softwareupdate_real_installing_prepare.ndjson",
                DaemonState::Installing,
            ),
            // APPLYING at 09:57: installing.
            (
                "softwareupdate_real_installing_apply.ndjson",
                DaemonState::Installing,
            ),
            // PREPARED then COMPLETED (end of the job) at 09:30: prepared, waiting to be applied.
            (
                "softwareupdate_real_prepared.ndjson",
                DaemonState::Installing,
            ),
            // One scan cycle ending phase:COMPLETE: alive.
            (
                "softwareupdate_real_scan_complete.ndjson",
                DaemonState::Alive,
            ),
            // The genuine scan counts; the forged "installing" blocks and stalled:YES do not.
            (
                "softwareupdate_real_scan_with_forged.ndjson",
                DaemonState::Alive,
            ),
            ("softwareupdate_forged_only.ndjson", DaemonState::Quiet),
        ];
        for (name, want) in cases {
            let log = su_log::summarize(&real(name)[..]).expect(name);
            let r = read_daemon(&log, &window(), 60);
            assert_eq!(r.state, *want, "{name}");
        }
        let log = su_log::summarize(&real("softwareupdate_real_prepared.ndjson")[..]).unwrap();
        assert!(read_daemon(&log, &window(), 60).prepared_waiting);
        let forged = su_log::summarize(&real("softwareupdate_forged_only.ndjson")[..]).unwrap();
        assert_eq!(forged.summary.rejected.count, 11);
        assert!(forged.status_reports.is_empty());
    }

    #[test]
    fn a_real_install_becomes_stalled_only_after_the_stall_time() {
        // The same real prepare log read later: at 10:47 the last progress (09:48) is 59 min old,
        // at 10:48 it is 60.
        let log =
            su_log::summarize(&real("softwareupdate_real_installing_prepare.ndjson")[..]).unwrap();
        let at = |t: &str| Window::new(DateTime::parse_from_rfc3339(t).unwrap(), 120);
        assert_eq!(
            read_daemon(&log, &at("2026-11-20T10:47:00-05:00"), 60).state,
            DaemonState::Installing
        );
        assert_eq!(
            read_daemon(&log, &at("2026-11-20T10:48:00-05:00"), 60).state,
            DaemonState::Stalled(StallSign::NoProgressFor(60))
        );
        // The real 12-minute silences never trip a stall time above them.
        assert_eq!(
            read_daemon(&log, &window(), 20).state,
            DaemonState::Installing
        );
    }

    /// softwareupdated's 14-era text published from install.log (verbatim messages of
    /// tests/fixtures/logs-real/verbatim/install-log-softwareupdated-lines.log, in a constructed
    /// ndjson wrapper at 09:40-09:46) reads as work, not quiet: a client scan, the catalog, the
    /// DDM scheduling line, a scan's deferral evaluation.
    #[test]
    fn install_log_text_of_14_reads_as_activity() {
        let verbatim =
            String::from_utf8(real("verbatim/install-log-softwareupdated-lines.log")).unwrap();
        let mut text = String::new();
        for (i, line) in verbatim.lines().enumerate() {
            let Some((_, msg)) = line.split_once("]: ") else {
                continue;
            };
            let entry = serde_json::json!({
                "timestamp": format!("2026-11-20 09:4{i}:00.000000-0500"),
                "eventMessage": msg,
                "processImagePath": "/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated",
                "userID": 200,
            });
            text.push_str(&entry.to_string());
            text.push('\n');
        }
        let log = su_log::summarize(text.as_bytes()).unwrap();
        let patterns: Vec<&str> = log.events().iter().map(|e| e.pattern.id).collect();
        assert_eq!(
            patterns,
            [
                "su.scan_catalog",
                "su.client_added",
                "su.ddm_scheduled",
                "su.client_added",
                "su.product_deferred"
            ]
        );
        let r = read_daemon(&log, &window(), 60);
        assert_eq!(r.state, DaemonState::Alive);
        assert!(r.ddm_involved);
    }

    #[test]
    fn applying_and_end_markers_are_terminal_not_stalls() {
        // The real APPLYING job read an hour later (the Mac restarted into the installer): still
        // installing, never stalled, whatever the stall time.
        let log =
            su_log::summarize(&real("softwareupdate_real_installing_apply.ndjson")[..]).unwrap();
        let at = |t: &str| Window::new(DateTime::parse_from_rfc3339(t).unwrap(), 120);
        for now in ["2026-11-20T10:58:00-05:00", "2026-11-20T11:30:00-05:00"] {
            assert_eq!(
                read_daemon(&log, &at(now), 60).state,
                DaemonState::Installing,
                "{now}"
            );
        }
        // A job that ends mid-phase with an `(end)` line, then silence: not a stall either.
        let line = |t: &str, kind: &str, phase: &str| {
            format!(
            "{{\"timestamp\":\"2026-11-20 {t}.000000-0500\",\"eventMessage\":\"[SUMacControllerProgressManager] Reported progress ({kind}): phase:{phase} stalled:NO portionComplete:0.549000 estimatedTimeRemaining:-1.000000\",\"processImagePath\":\"\\/System\\/Library\\/CoreServices\\/Software Update.app\\/Contents\\/Resources\\/softwareupdated\",\"userID\":200}}\n"
        )
        };
        let ended = line("08:40:00", "inter", "DOWNLOADING_UPDATE")
            + &line("08:41:00", "end", "DOWNLOADING_UPDATE");
        let log = su_log::summarize(ended.as_bytes()).unwrap();
        assert_eq!(
            read_daemon(&log, &window(), 60).state,
            DaemonState::Installing
        );
        // The same job whose last line is an `(inter)` line does stall after the stall time.
        let open = line("08:40:00", "inter", "DOWNLOADING_UPDATE");
        let log = su_log::summarize(open.as_bytes()).unwrap();
        assert!(matches!(
            read_daemon(&log, &window(), 60).state,
            DaemonState::Stalled(StallSign::NoProgressFor(_))
        ));
    }

    #[test]
    fn explicit_stalled_yes_from_the_system_binary() {
        // stalled:YES is the field's other value (never seen in a published line): same format.
        let line = |t: &str, stalled: &str| {
            format!(
            "{{\"timestamp\":\"2026-11-20 {t}.000000-0500\",\"eventMessage\":\"[SUMacControllerProgressManager] Reported progress (inter): phase:DOWNLOADING_UPDATE stalled:{stalled} portionComplete:0.302391 estimatedTimeRemaining:45.146050\",\"processImagePath\":\"\\/System\\/Library\\/CoreServices\\/Software Update.app\\/Contents\\/Resources\\/softwareupdated\",\"userID\":200}}\n"
        )
        };
        let text = line("09:50:00", "NO") + &line("09:55:00", "YES");
        let log = su_log::summarize(text.as_bytes()).unwrap();
        assert_eq!(
            read_daemon(&log, &window(), 60).state,
            DaemonState::Stalled(StallSign::Explicit)
        );
        // Progress after a stalled:YES clears it.
        let text = line("09:50:00", "YES") + &line("09:55:00", "NO");
        let log = su_log::summarize(text.as_bytes()).unwrap();
        assert_eq!(
            read_daemon(&log, &window(), 60).state,
            DaemonState::Installing
        );
    }

    #[test]
    fn push_on_real_text() {
        let log = apsd_log::summarize(&real("apsd_real_connected.ndjson")[..]).unwrap();
        let r = read_push(&log, &window());
        assert_eq!((r.state, r.verified), (PushState::Connected, true));
        let log = apsd_log::summarize(&real("apsd_real_no_courier.ndjson")[..]).unwrap();
        let r = read_push(&log, &window());
        assert_eq!((r.state, r.verified), (PushState::Disconnected, true));
        assert!(r.last_connected.is_none());
        let empty = apsd_log::summarize(&b"{\"count\":0,\"finished\":1}\n"[..]).unwrap();
        assert_eq!(read_push(&empty, &window()).state, PushState::Unknown);
    }
}
