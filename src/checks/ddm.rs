//! `softwareupdate.ddm`: the MDM's enforcement declarations and the device's own DDM status.
//!
//! Declarations come from the state file (`parse::ddm_state`); their `TargetLocalDateTime` has no
//! zone and is the device's local time (Apple's enforcement schema), so the time left is taken
//! against `obs.now`'s wall clock in the device's UTC offset. A declaration whose target is not
//! newer than the running version is `satisfied`: Apple ignores it (Apple, *Managing software updates for IT*). The device's status
//! is the newest `Reporting status` block in the softwareupdated log (`parse::ddm_status`):
//! `installing` there is what [`install_activity`] reports to heal; a passed deadline with
//! install-state `failed` is a failure carrying the failure reason (Apple Platform Deployment, *Knowing the phases of Apple software update enforcement*, phase 5).

use std::cmp::Ordering;

use chrono::NaiveDateTime;

use super::battery::BatteryAssessment;
use super::bootstrap::BootstrapAssessment;
use super::daemon_liveness::DaemonLivenessAssessment;
use super::disk::DiskAssessment;
use super::liveness::DaemonState;
use super::readiness::BlockedBy;
use super::su_pending::kind_of;
use super::{Evidence, InstallActivity, Judgement, Status, UpdateKind};
use crate::config::Config;
use crate::observe::{Observations, StagedSource, StagedUpdate};
use crate::parse::ddm_state::Declaration;
use crate::parse::ddm_status::{self, DdmStatus, FailureReason, InstallState, PendingVersion};
use crate::parse::install_log::{self, LoggedDeclaration};
use crate::parse::log_patterns;
use crate::parse::su_log::StatusReport;
use crate::parse::sw_vers::{compare_versions, SwVers};
use crate::parse::Fault;
use crate::probes;

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
pub(crate) fn classify(d: &Declaration, running: Option<&SwVers>) -> DeclState {
    let (Some(target), Some(r)) = (d.target_os_version.as_deref(), running) else {
        return DeclState::Unknown;
    };
    match compare_versions(target, &r.product_version) {
        Ordering::Greater => DeclState::Pending,
        Ordering::Less => DeclState::Satisfied,
        // Same version: pending while the target build is a later build of the train (a BSI or
        // RSR `(a)`/`(b)`, a device-scoped build); builds of no known shape fall back to "longer
        // and not a prefix of the running one".
        Ordering::Equal => match d.target_build_version.as_deref() {
            Some(b) => match crate::parse::sw_vers::compare_builds(b, &r.build_version) {
                Some(Ordering::Greater) => DeclState::Pending,
                Some(_) => DeclState::Satisfied,
                None if !r.build_version.starts_with(b) && b.len() > r.build_version.len() => {
                    DeclState::Pending
                }
                None => DeclState::Satisfied,
            },
            None => DeclState::Satisfied,
        },
    }
}

/// The update kind of an active declaration.
pub(crate) fn target_kind(d: &Declaration, running: &SwVers) -> UpdateKind {
    let target = d.target_os_version.as_deref().unwrap_or("");
    if compare_versions(target, &running.product_version) == Ordering::Equal {
        UpdateKind::Rsr
    } else {
        kind_of(target, &running.product_version)
    }
}

/// The newest status report that parses, with its source entry.
pub(crate) fn latest_status(obs: &Observations) -> Option<(&StatusReport, DdmStatus)> {
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
pub(crate) fn install_activity(obs: &Observations) -> InstallActivity {
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

/// The declarations, the device's DDM status and what they add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct DdmAssessment {
    pub judgement: Judgement,
    /// The newest install state the device reported.
    pub install_state: Option<InstallState>,
    pub failure: Option<DdmFailure>,
    /// The newest status report's pending version.
    pub pending_version: Option<PendingVersion>,
    /// Why the device's status is unknown (the softwareupdate log could not be read).
    pub status_unknown: Option<String>,
    /// `None` when the declarations could not be read.
    pub declarations: Option<Declarations>,
    /// The typed situation (what readiness, heal and the Addigy keys read).
    pub situation: DdmSituation,
    /// An update prepared on disk (`None`: nothing staged, or unknown): the one for the target
    /// that waits for its restart when there is one.
    pub staged: Option<StagedUpdate>,
    /// `staged` waits for its restart (newer than the running build).
    pub staged_waiting: bool,
    /// `staged` waits for its restart and is the declared target (or no declaration names
    /// one): heal never restarts softwareupdated under it.
    pub staged_for_target: bool,
    /// A prepared update's APFS snapshot is listed (`None`: the listing is unknown). A sign
    /// only: it names no version, never makes an update staged, and only withholds a restart.
    pub prepare_snapshot: Option<bool>,
    /// What only forgeable or unverified text says: named in the finding, never deciding it.
    pub unconfirmed: Vec<Unconfirmed>,
}

/// A cause that only install.log (written by syslogd from messages any local process can send
/// under any name), softwareupdated wording no real line was seen for or matched anywhere in a
/// message (`Format::Anywhere`: a daemon may echo a user's text), or a DDM status that cannot be
/// placed against the store's last write, names. It is worded in the finding so the admin can confirm it, but it never fails the
/// finding, sets `MDMSoftwareUpdatesStuck`, or changes what heal may do.
#[derive(Debug, Clone, PartialEq)]
pub enum Unconfirmed {
    /// softwareupdated's text shows a declaration in force, newer than the running version, that
    /// a managed Mac's declaration store does not list.
    DeclarationLogged(LoggedDeclaration),
    /// The device's DDM status reports an enforced pending version the store does not list,
    /// but the store's last write time is unknown, so the report may predate a change.
    ReportedStoreTimeUnknown(LoggedDeclaration),
    /// `Removed N invalid declarations` (an unverified wording; seen only as a quote).
    RemovedInvalid(u32),
    /// `No updates found for DDM to enforce` (its needle is matched anywhere in a message).
    NothingToEnforce,
}

impl Unconfirmed {
    pub fn code(&self) -> &'static str {
        match self {
            Unconfirmed::DeclarationLogged(_) => "declaration_logged_not_stored",
            Unconfirmed::ReportedStoreTimeUnknown(_) => "declaration_reported_store_time_unknown",
            Unconfirmed::RemovedInvalid(_) => "invalid_declarations_removed",
            Unconfirmed::NothingToEnforce => "nothing_to_enforce",
        }
    }

    /// What the text says, and how to confirm it.
    pub fn text(&self) -> String {
        match self {
            Unconfirmed::DeclarationLogged(d) => format!(
                "softwareupdated's text shows a declaration for macOS {} (deadline {}) that the declaration store does not hold; if the MDM has one in scope, re-send it",
                d.version.as_deref().unwrap_or("?"),
                d.enforced_install_date.as_deref().unwrap_or("unknown")
            ),
            Unconfirmed::ReportedStoreTimeUnknown(d) => format!(
                "the device's DDM status reports a pending macOS {} (deadline {}) that the declaration store does not list, but when the store last changed (probe ddm_state_mtime) or when the report was logged is unknown, so the report may predate a change; if the MDM has a declaration in scope, re-send it",
                d.version.as_deref().unwrap_or("?"),
                d.enforced_install_date.as_deref().unwrap_or("unknown")
            ),
            Unconfirmed::RemovedInvalid(n) => format!(
                "softwareupdated may have removed {n} invalid declaration(s) (wording not seen in a published line); check the declaration's TargetOSVersion/TargetBuildVersion against what Apple offers this model"
            ),
            Unconfirmed::NothingToEnforce => "softwareupdated's text says it found no update to enforce (Apple's staged roll-out, or a version this model does not get); `softwareupdate --list` confirms".to_string(),
        }
    }
}

/// A failed enforced install, and where the record came from.
#[derive(Debug, Clone, PartialEq)]
pub struct DdmFailure {
    pub reason: FailureReason,
    pub source: FailureSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureSource {
    /// `softwareupdate.failure-reason` of a status report.
    StatusReport,
    /// `DDMPersistedErrorKey` of the SoftwareUpdate preferences.
    PersistedError,
}

impl FailureSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureSource::StatusReport => "softwareupdate.failure-reason",
            FailureSource::PersistedError => "DDMPersistedErrorKey",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Declarations {
    pub items: Vec<DeclarationState>,
    pub global_settings: Vec<(String, String)>,
    /// The active declaration that binds first; `None` when all are satisfied or none exist.
    pub target: Option<Target>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeclarationState {
    pub declaration: Declaration,
    pub state: DeclState,
    /// Minutes from now to the deadline (negative once passed).
    pub minutes_left: Option<i64>,
}

/// The declared target that binds first.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub key: String,
    pub os_version: Option<String>,
    pub build_version: Option<String>,
    pub deadline_local: Option<String>,
    /// `None` when the running version is unknown.
    pub kind: Option<UpdateKind>,
    pub state: DeclState,
    pub minutes_left: Option<i64>,
    pub deadline_passed: Option<bool>,
}

impl Target {
    /// `15.2 (24C101)`, `?` for a missing version.
    pub fn label(&self) -> String {
        format!(
            "{}{}",
            self.os_version.as_deref().unwrap_or("?"),
            self.build_version
                .as_deref()
                .map(|b| format!(" ({b})"))
                .unwrap_or_default()
        )
    }
}

/// What the declarations, the device's status and softwareupdated's activity add up to: the
/// output of [`decide`], read by readiness, heal and the Addigy keys; [`judge`] words it.
/// Covers macOS 14-27: declarations and status items date from 14.0; on 27 they are the only
/// software-update surface (the legacy commands are removed).
#[derive(Debug, Clone, PartialEq)]
pub enum DdmSituation {
    /// The declaration store could not be read.
    DeclarationsUnknown { why: String },
    /// The store holds no declaration.
    NoDeclarations,
    /// A managed Mac whose store holds no declaration in force (none, or all satisfied), while
    /// the device's own DDM status (SoftwareUpdateSubscriber's `Reporting status`, its exact
    /// image path and uid) reports a pending version newer than the running one that the store
    /// does not list (dan-snelson/DDM-OS-Reminder#120: Macs checking in fine but without their
    /// declaration). softwareupdated's wording alone names it as
    /// [`Unconfirmed::DeclarationLogged`].
    Missing { logged: LoggedDeclaration },
    /// Every declaration is satisfied by the running OS (Apple ignores them).
    AllSatisfied { count: usize },
    /// The binding declaration's deadline cannot be read.
    DeadlineUnreadable,
    /// The deadline is ahead.
    Due { minutes_left: i64 },
    /// The deadline (or softwareupdated's padded retry date) passed.
    Overdue { minutes_over: i64, state: Overdue },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overdue {
    /// The device reports the install running.
    Installing,
    /// The update is prepared on disk and waits for its restart.
    Staged,
    /// Within the grace period after the deadline, no failure reported: macOS enforces at or
    /// after the declared time and retries on its own.
    EnforcementPending { grace_minutes_left: i64 },
    /// Past the grace period, or failed: stuck, for one named cause.
    Stuck(StuckCause),
}

/// Why an enforced update is stuck: one cause, the first that applies in this order.
#[derive(Debug, Clone, PartialEq)]
pub enum StuckCause {
    /// The device reported the download or prepare failing (install-state `failed` or a
    /// failure reason).
    DownloadFailing,
    /// A prerequisite check blocks the target (battery, disk, bootstrap token), as those checks
    /// decided it.
    PrerequisitesBlocking(Vec<BlockedBy>),
    /// The declaration is missing or invalid.
    DeclarationInvalid(InvalidDeclaration),
    /// softwareupdated found no update matching the declaration: Apple's staged roll-out, or a
    /// version not offered to this Mac.
    NotOffered,
    /// Nothing blocks it and nothing progresses. `verified`: softwareupdated's log was read
    /// and shows no install in flight (the only cause heal may restart softwareupdated for).
    Stalled { verified: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub enum InvalidDeclaration {
    /// A managed Mac whose store holds none (see [`DdmSituation::Missing`]).
    Missing,
    /// Two declarations in force name different targets.
    Conflict,
    /// The device's own DDM status reports a pending version newer than the running one that the
    /// store no longer lists (the declaration the store holds is not what the device enforces).
    Stale(LoggedDeclaration),
}

impl StuckCause {
    pub fn code(&self) -> &'static str {
        match self {
            StuckCause::DownloadFailing => "download_or_prepare_failing",
            StuckCause::PrerequisitesBlocking(_) => "prerequisites_blocking",
            StuckCause::DeclarationInvalid(_) => "declaration_missing_or_invalid",
            StuckCause::NotOffered => "not_offered_yet",
            StuckCause::Stalled { .. } => "stalled",
        }
    }
}

impl DdmSituation {
    pub fn code(&self) -> &'static str {
        match self {
            DdmSituation::DeclarationsUnknown { .. } => "unknown",
            DdmSituation::NoDeclarations => "no_declarations",
            DdmSituation::Missing { .. } => "declaration_missing",
            DdmSituation::AllSatisfied { .. } => "satisfied",
            DdmSituation::DeadlineUnreadable => "deadline_unreadable",
            DdmSituation::Due { .. } => "due",
            DdmSituation::Overdue { state, .. } => match state {
                Overdue::Installing => "overdue_installing",
                Overdue::Staged => "overdue_staged",
                Overdue::EnforcementPending { .. } => "due_enforcement_pending",
                Overdue::Stuck(_) => "stuck",
            },
        }
    }

    /// Why the enforced update is stuck, when it is (`MDMSoftwareUpdatesStuck`).
    pub fn stuck(&self) -> Option<StuckCause> {
        match self {
            DdmSituation::Missing { .. } => {
                Some(StuckCause::DeclarationInvalid(InvalidDeclaration::Missing))
            }
            DdmSituation::Overdue {
                state: Overdue::Stuck(c),
                ..
            } => Some(c.clone()),
            _ => None,
        }
    }

    /// Whether the declared target is blocked for readiness (stuck past its deadline).
    pub fn blocks_target(&self) -> bool {
        matches!(
            self,
            DdmSituation::Overdue {
                state: Overdue::Stuck(_),
                ..
            }
        )
    }
}

/// What the other checks established, for the stuck rule (never re-derived here).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub daemon: &'a DaemonLivenessAssessment,
    pub battery: &'a BatteryAssessment,
    pub disk: &'a DiskAssessment,
    pub bootstrap: &'a BootstrapAssessment,
    pub enrolled: Option<bool>,
}

/// The prerequisite checks that block an update of this kind, as readiness counts them (the
/// enforced install has the requirements of a user-initiated update of its kind, Apple,
/// *Managing software updates for IT*; the MDM's install also needs the bootstrap token on Apple
/// silicon): one rule, [`super::readiness::device_blockers`], never re-derived here.
fn blocking(ctx: &Context<'_>, kind: UpdateKind) -> Vec<BlockedBy> {
    super::readiness::device_blockers(ctx.battery, ctx.disk, ctx.bootstrap, kind)
}

/// Where a softwareupdated line was read, which is how far it may be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineSource {
    /// The unified log: the entry passed the evidence rule (the daemon's exact image path and
    /// uid, its category and format); may decide a cause when its pattern is seen in real text
    /// and anchored (not `Anywhere`).
    UnifiedLog,
    /// `/var/log/install.log`: any local process can write a line there under any name; names a
    /// cause ([`Unconfirmed`]) or delays a verdict by a bounded time, never decides one.
    InstallLog,
}

/// One softwareupdated line of a DDM pattern.
#[derive(Debug, Clone)]
struct Logged {
    timestamp: String,
    /// The line's own time, at its printed offset (the device's local wall clock).
    time: Option<chrono::DateTime<chrono::FixedOffset>>,
    process: String,
    message: String,
    source: LineSource,
    /// Its pattern was seen in real text (seen, or seen in form), not `unverified`.
    pattern_seen: bool,
    /// Its pattern is matched where the daemon's own format puts it (`Leading`/`Within`), not
    /// anywhere in a message (a daemon may echo text a user chose: a label argument).
    anchored: bool,
}

impl Logged {
    /// May decide a cause: the daemon's own unified-log entry of a pattern seen in real text,
    /// matched in the daemon's own format.
    fn trusted(&self) -> bool {
        self.source == LineSource::UnifiedLog && self.pattern_seen && self.anchored
    }

    fn evidence(&self) -> Evidence {
        let text = format!("{}: {}", self.process, self.message);
        match self.source {
            LineSource::UnifiedLog if self.trusted() => {
                Evidence::log(probes::LOG_SOFTWAREUPDATE, self.timestamp.clone(), text)
            }
            LineSource::UnifiedLog => Evidence::log(
                probes::LOG_SOFTWAREUPDATE,
                self.timestamp.clone(),
                format!("{text} (wording not seen in a published line, or matched anywhere in the message: names a cause, never decides one)"),
            ),
            LineSource::InstallLog => Evidence::line(
                probes::INSTALL_LOG,
                format!(
                    "{} {text} (install.log: any process can write here; names a cause, never decides one)",
                    self.timestamp
                ),
            ),
        }
    }
}

/// The newest line of this pattern in each source: the unified log's, then install.log's.
fn logged_all(obs: &Observations, id: &str) -> Vec<Logged> {
    let p = log_patterns::pattern(id);
    let (seen, anchored) = (
        p.provenance.is_verified(),
        p.format != log_patterns::Format::Anywhere,
    );
    let mut out = Vec::new();
    if let Some(e) = obs
        .su_log
        .as_ref()
        .ok()
        .and_then(|l| l.events().iter().rev().find(|e| e.pattern.id == id))
    {
        out.push(Logged {
            timestamp: e.line.timestamp.clone(),
            time: e.line.time,
            process: e.line.process.clone(),
            message: e.line.message.clone(),
            source: LineSource::UnifiedLog,
            pattern_seen: seen,
            anchored,
        });
    }
    if let Some(e) = obs.install_log.as_ref().ok().and_then(|l| l.last(id)) {
        out.push(Logged {
            timestamp: e.timestamp.clone(),
            time: Some(e.time),
            process: e.process.clone(),
            message: e.message.clone(),
            source: LineSource::InstallLog,
            pattern_seen: seen,
            anchored,
        });
    }
    out
}

/// Whether a DDM status report can be placed after the declaration store's last write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// Not older than the store's last write: the device's word on the store as it is.
    Current,
    /// Older: it speaks of the store before it changed (an admin removed the declaration).
    History,
    /// The store's write time (probe `ddm_state_mtime`) or the report's time is unknown.
    Unknown,
}

/// The declaration the device itself reports in force: the newest DDM status report that states
/// `softwareupdate.pending-version`, when it carries a `target-local-date-time`
/// (SoftwareUpdateSubscriber's own `Reporting status` block, the status item the MDM receives),
/// and where it stands against the store's last write. Only a `Current` one may decide `Missing`
/// and `Stale`; softwareupdated's wording is matched anywhere in a message, so it only names them
/// (`Unconfirmed`).
fn reported(obs: &Observations) -> Option<(LoggedDeclaration, Placement)> {
    let log = obs.su_log.as_ref().ok()?;
    // The newest report that states a pending version is the device's current word on it (an
    // older one naming a deadline is history once a newer one drops it).
    let (r, p) = log
        .status_reports
        .iter()
        .rev()
        .find_map(|r| Some((r, ddm_status::parse(&r.text).ok()?.pending_version?)))?;
    // Only an enforced target carries its deadline: a pending version without one is an update
    // merely offered (a healthy Mac reports its available upgrade so).
    p.target_local_date_time.as_ref()?;
    let placement = match (r.time, obs.ddm_state_since) {
        (Some(at), Some(store)) if at < store => Placement::History,
        (Some(_), Some(_)) => Placement::Current,
        _ => Placement::Unknown,
    };
    Some((
        LoggedDeclaration {
            version: Some(p.os_version).filter(|v| !v.is_empty()),
            build: Some(p.build_version).filter(|b| !b.is_empty()),
            enforced_install_date: p.target_local_date_time,
        },
        placement,
    ))
}

/// The declaration the device reports, when it may decide (see [`reported`]).
fn reported_declaration(obs: &Observations) -> Option<LoggedDeclaration> {
    reported(obs)
        .filter(|(_, p)| *p == Placement::Current)
        .map(|(d, _)| d)
}

/// The declaration softwareupdated's wording shows, in install.log or its unified log (names
/// [`Unconfirmed::DeclarationLogged`]).
fn logged_declaration_untrusted(obs: &Observations) -> Option<LoggedDeclaration> {
    // A line older than the store's last write speaks of the store before it changed.
    let current = |l: &Logged| match (l.time, obs.ddm_state_since) {
        (Some(at), Some(store)) => at >= store,
        _ => true,
    };
    ["su.ddm_applicable", "su.ddm_declaration"]
        .into_iter()
        .flat_map(|id| logged_all(obs, id))
        .filter(|l| !l.trusted() && current(l))
        .find_map(|l| install_log::declaration(&l.message))
}

/// The longest a padded retry date may lie after the line that set it. softwareupdated pads a
/// missed deadline to shortly after it notices (the padding itself is not published; a day is
/// generous).
const MAX_PADDING_HOURS: i64 = 24;

/// The latest a padded retry date may lie after the declared deadline: a Mac off over a long
/// weekend still gets its retry honoured, but the text (install.log, or a needle matched
/// anywhere) cannot hold a stuck update back beyond this, however often it is written.
const MAX_PAST_DEADLINE_HOURS: i64 = 72;

/// softwareupdated's own retry after a missed deadline (`setPastDuePaddedEnforcementDate is
/// set: <date>`), when it is plausible: logged after the deadline, at most
/// [`MAX_PADDING_HOURS`] after the line itself and [`MAX_PAST_DEADLINE_HOURS`] after the
/// deadline.
fn padded_date(obs: &Observations, deadline: NaiveDateTime) -> Option<NaiveDateTime> {
    logged_all(obs, "su.ddm_padded")
        .into_iter()
        .filter_map(|l| {
            let padded = install_log::padded_date_of(&l.message)?;
            let at = l.time?.naive_local();
            (at >= deadline
                && padded > deadline
                && padded - at <= chrono::Duration::hours(MAX_PADDING_HOURS)
                && padded - deadline <= chrono::Duration::hours(MAX_PAST_DEADLINE_HOURS))
            .then_some(padded)
        })
        .max()
}

/// Whether the staged update is the declared target (or cannot be told apart from it): a
/// staged build equal to the target's, else a staged version equal to the target's; a staged
/// update with no readable version counts (withholding a restart is the safe side).
pub(crate) fn staged_matches(staged: &StagedUpdate, target: &Target) -> bool {
    let v = &staged.version;
    if let (Some(a), Some(b)) = (&v.build_version, &target.build_version) {
        return a.eq_ignore_ascii_case(b);
    }
    match (&v.product_version, &target.os_version) {
        (Some(a), Some(b)) => compare_versions(a, b) == Ordering::Equal,
        _ => true,
    }
}

/// Whether the staged update is newer than the running OS (not yet applied).
pub(crate) fn staged_waiting(staged: &StagedUpdate, running: Option<&SwVers>) -> bool {
    let (Some(r), Some(v)) = (running, staged.version.product_version.as_deref()) else {
        return true;
    };
    match compare_versions(v, &r.product_version) {
        Ordering::Greater => true,
        Ordering::Less => false,
        // Same version: a later build of the train (a BSI/RSR or forked build) is still to
        // apply; an earlier one is a record left from before it (an unordered pair: different
        // counts, the safe side).
        Ordering::Equal => staged.version.build_version.as_deref().is_some_and(|b| {
            match crate::parse::sw_vers::compare_builds(b, &r.build_version) {
                Some(o) => o == Ordering::Greater,
                None => !b.eq_ignore_ascii_case(&r.build_version),
            }
        }),
    }
}

/// The prepared updates the version files name: the Preboot volume's proposed cryptex, then the
/// Update volume's record.
fn staged_candidates(obs: &Observations) -> impl Iterator<Item = &StagedUpdate> {
    [&obs.staged_update, &obs.update_volume]
        .into_iter()
        .filter_map(|f| f.as_ref().ok())
}

/// A prepared update still to apply that is the target (or any, with no target): heal never
/// restarts softwareupdated under it, and an overdue target is staged, not stuck.
fn staged_for(s: &StagedUpdate, running: Option<&SwVers>, target: Option<&Target>) -> bool {
    staged_waiting(s, running) && target.is_none_or(|t| staged_matches(s, t))
}

/// The prepared update to report: one for the target that waits for its restart, else any that
/// waits, else any named (a stale record, reported as such by its version).
fn pick_staged(
    obs: &Observations,
    running: Option<&SwVers>,
    target: Option<&Target>,
) -> Option<StagedUpdate> {
    staged_candidates(obs)
        .find(|s| staged_for(s, running, target))
        .or_else(|| staged_candidates(obs).find(|s| staged_waiting(s, running)))
        .or_else(|| staged_candidates(obs).next())
        .cloned()
}

/// Whether the target version is offered to this Mac: `None` when nothing tells.
fn offered(obs: &Observations, t: &Target) -> Option<bool> {
    if logged_all(obs, "su.ddm_nothing_to_enforce")
        .iter()
        .any(Logged::trusted)
    {
        return Some(false);
    }
    let target = t.os_version.as_deref()?;
    let list = obs.su_list.as_ref().ok()?;
    Some(list.items.iter().any(|i| {
        i.version
            .as_deref()
            .is_some_and(|v| compare_versions(v, target) == Ordering::Equal)
    }))
}

/// The decision: situation of the declarations, from observations and the other checks.
pub(crate) fn decide(
    obs: &Observations,
    cfg: &Config,
    ctx: &Context<'_>,
) -> (DdmSituation, Option<Target>, Vec<DeclarationState>) {
    let running = obs.sw_vers.as_ref().ok();
    let install_state = latest_install_state(obs).map(|(_, s)| s);
    let failed = install_state == Some(InstallState::Failed) || current_failure(obs).is_some();
    let now_local: NaiveDateTime = obs.now.naive_local();
    let state = match &obs.ddm_state {
        Ok(s) => s,
        Err(u) => {
            return (
                DdmSituation::DeclarationsUnknown { why: u.to_string() },
                None,
                Vec::new(),
            )
        }
    };
    let items: Vec<DeclarationState> = state
        .declarations
        .iter()
        .map(|d| DeclarationState {
            declaration: d.clone(),
            state: classify(d, running),
            minutes_left: d
                .target_local_date_time
                .map(|t| (t - now_local).num_minutes()),
        })
        .collect();
    let mut active: Vec<&DeclarationState> = items
        .iter()
        .filter(|i| i.state != DeclState::Satisfied)
        .collect();
    // The declaration that binds first: earliest deadline (unreadable deadlines last).
    active.sort_by_key(|i| {
        i.declaration
            .target_local_date_time
            .unwrap_or(NaiveDateTime::MAX)
    });
    let Some(first) = active.first() else {
        return (
            none_active(obs, ctx, state, running, items.len()),
            None,
            items,
        );
    };
    let d = &first.declaration;
    let mut t = Target {
        key: d.key.clone(),
        os_version: d.target_os_version.clone(),
        build_version: d.target_build_version.clone(),
        deadline_local: d.target_local_date_time_raw.clone(),
        kind: running.map(|r| target_kind(d, r)),
        state: first.state,
        minutes_left: first.minutes_left,
        deadline_passed: first.minutes_left.map(|m| m <= 0),
    };
    let Some(deadline) = d.target_local_date_time else {
        return (DdmSituation::DeadlineUnreadable, Some(t), items);
    };
    // softwareupdated's own retry after a missed deadline moves the effective deadline.
    let padded = padded_date(obs, deadline);
    let effective = padded.unwrap_or(deadline);
    let minutes_left = (effective - now_local).num_minutes();
    if minutes_left > 0 && padded.is_none() {
        return (DdmSituation::Due { minutes_left }, Some(t), items);
    }
    let minutes_over = -(deadline - now_local).num_minutes();
    t.deadline_passed = Some(true);
    // A stall in softwareupdated's own progress lines outranks a status block (an unverified
    // shape) that still says installing, as in `checks::diagnose`.
    let daemon_stalled = matches!(ctx.daemon.state, DaemonState::Stalled(_));
    let installing = (!daemon_stalled
        && matches!(
            install_state,
            Some(InstallState::Installing | InstallState::Downloading)
        ))
        || ctx.daemon.state == DaemonState::Installing;
    let grace = i64::from(cfg.ddm_grace_hours) * 60;
    let state = if failed {
        Overdue::Stuck(StuckCause::DownloadFailing)
    } else if staged_candidates(obs).any(|s| staged_for(s, running, Some(&t))) {
        Overdue::Staged
    } else if installing {
        Overdue::Installing
    } else if minutes_left > 0 || -minutes_left < grace {
        Overdue::EnforcementPending {
            grace_minutes_left: (grace + minutes_left).max(0),
        }
    } else {
        Overdue::Stuck(stuck_cause(obs, ctx, &t, &active))
    };
    (
        DdmSituation::Overdue {
            minutes_over: minutes_over.max(0),
            state,
        },
        Some(t),
        items,
    )
}

/// No declaration is waiting: none at all (or one softwareupdated logs but the store lost), or
/// every one satisfied.
fn none_active(
    obs: &Observations,
    ctx: &Context<'_>,
    state: &crate::parse::ddm_state::DdmState,
    running: Option<&crate::parse::sw_vers::SwVers>,
    count: usize,
) -> DdmSituation {
    // A managed Mac whose store holds nothing in force while the device's own DDM status reports
    // an enforced pending version, newer than the running one, that the store does not list.
    if ctx.enrolled == Some(true) {
        if let Some(d) = reported_declaration(obs).filter(|d| lost_by_store(d, state, running)) {
            return DdmSituation::Missing { logged: d };
        }
    }
    if !state.declarations.is_empty() {
        return DdmSituation::AllSatisfied { count };
    }
    DdmSituation::NoDeclarations
}

/// A declaration the device reports (or softwareupdated's text shows) for a version newer than
/// the running one that no declaration of the store names: the store lost it, or the device
/// follows a stale one. A stored declaration names it when its `TargetOSVersion` is the same
/// version (Apple: a declaration whose version matches no available update stays active and
/// cannot update; it never moves to another version on its own), or the same release
/// (major.minor) with the same deadline (its own `TargetLocalDateTime`: a patch the MDM re-issued
/// under the declaration). An unreadable version names nothing.
fn lost_by_store(
    d: &LoggedDeclaration,
    state: &crate::parse::ddm_state::DdmState,
    running: Option<&SwVers>,
) -> bool {
    let (Some(v), Some(r)) = (d.version.as_deref(), running) else {
        return false;
    };
    let pending = crate::parse::sw_vers::version_parts(v);
    if pending.is_empty() {
        return false;
    }
    let names = |s: &Declaration| {
        let Some(t) = s.target_os_version.as_deref() else {
            return false;
        };
        let target = crate::parse::sw_vers::version_parts(t);
        if target.is_empty() {
            return false;
        }
        let same_release = target.len() >= 2 && pending.len() >= 2 && target[..2] == pending[..2];
        let same_deadline = matches!(
            (&s.target_local_date_time_raw, &d.enforced_install_date),
            (Some(a), Some(b)) if a.trim() == b.trim()
        );
        compare_versions(t, v) == Ordering::Equal || (same_release && same_deadline)
    };
    compare_versions(v, &r.product_version) == Ordering::Greater
        && !state.declarations.iter().any(names)
}

/// Why an overdue declaration is stuck, once nothing is in progress and the grace is over: what
/// blocks the update, then a declaration the Mac cannot follow, then an update not offered.
fn stuck_cause(
    obs: &Observations,
    ctx: &Context<'_>,
    t: &Target,
    active: &[&DeclarationState],
) -> StuckCause {
    let d = &active[0].declaration;
    let blockers = blocking(ctx, t.kind.unwrap_or(UpdateKind::Update));
    let conflict = active.iter().skip(1).any(|o| {
        o.declaration.target_os_version != d.target_os_version
            || o.declaration.target_build_version != d.target_build_version
    });
    let stale = obs.ddm_state.as_ref().ok().and_then(|state| {
        reported_declaration(obs).filter(|l| lost_by_store(l, state, obs.sw_vers.as_ref().ok()))
    });
    if !blockers.is_empty() {
        StuckCause::PrerequisitesBlocking(blockers)
    } else if conflict {
        StuckCause::DeclarationInvalid(InvalidDeclaration::Conflict)
    } else if let Some(l) = stale {
        StuckCause::DeclarationInvalid(InvalidDeclaration::Stale(l))
    } else if offered(obs, t) == Some(false) {
        StuckCause::NotOffered
    } else {
        // Verified: softwareupdated's log was read (quiet, alive, or its own stall), and the
        // device does not report a declaration the store may have lost (a status that cannot be
        // placed against the store's last write withholds the ground, as it decides nothing).
        let unplaced = obs.ddm_state.as_ref().ok().is_some_and(|state| {
            matches!(reported(obs), Some((d, Placement::Unknown)) if lost_by_store(&d, state, obs.sw_vers.as_ref().ok()))
        });
        StuckCause::Stalled {
            verified: !matches!(ctx.daemon.state, DaemonState::Unknown) && !unplaced,
        }
    }
}

/// The failure the device recorded, and where: the newest status report's failure reason, else
/// the persisted DDM error of the SoftwareUpdate preferences (same {count; reason; timestamp}).
fn current_failure(obs: &Observations) -> Option<DdmFailure> {
    let status = latest_status(obs);
    if let Some(f) = status
        .as_ref()
        .and_then(|(_, s)| s.failure_reason.clone())
        .filter(|f| f.count > 0)
    {
        return Some(DdmFailure {
            reason: f,
            source: FailureSource::StatusReport,
        });
    }
    obs.su_prefs
        .as_ref()
        .ok()
        .and_then(|p| p.ddm_error.clone())
        .filter(|f| f.count > 0)
        .map(|reason| DdmFailure {
            reason,
            source: FailureSource::PersistedError,
        })
}

pub(crate) fn assess(obs: &Observations, cfg: &Config, ctx: &Context<'_>) -> DdmAssessment {
    let (situation, target, items) = decide(obs, cfg, ctx);
    let status = latest_status(obs);
    let failure = current_failure(obs);
    let mut evidence = Vec::new();
    if let Some((r, _)) = &status {
        let block = ddm_status::block(&r.text).unwrap_or(&r.text);
        let flat: String = block.split_whitespace().collect::<Vec<_>>().join(" ");
        evidence.push(Evidence::log(
            probes::LOG_SOFTWAREUPDATE,
            r.timestamp.clone(),
            format!(
                "{}: Reporting status {}",
                r.process,
                flat.chars().take(600).collect::<String>()
            ),
        ));
    }
    for i in &items {
        let d = &i.declaration;
        evidence.push(Evidence::line(
            probes::DDM_STATE,
            format!(
                "Declarations.{}: TargetOSVersion {} TargetBuildVersion {} TargetLocalDateTime {}",
                d.key,
                d.target_os_version.as_deref().unwrap_or("absent"),
                d.target_build_version.as_deref().unwrap_or("absent"),
                d.target_local_date_time_raw.as_deref().unwrap_or("absent")
            ),
        ));
    }
    for id in [
        "su.ddm_applicable",
        "su.ddm_declaration",
        "su.ddm_padded",
        "su.ddm_invalid_removed",
        "su.ddm_nothing_to_enforce",
    ] {
        evidence.extend(logged_all(obs, id).iter().map(Logged::evidence));
    }
    if let Err(u) = &obs.install_log {
        evidence.push(Evidence::line(
            probes::INSTALL_LOG,
            format!("install.log unknown ({u}): softwareupdated's DDM lines seen only there were not read"),
        ));
    }
    let running = obs.sw_vers.as_ref().ok();
    let staged = pick_staged(obs, running, target.as_ref());
    evidence.extend(staged_evidence(obs, running));
    let is_waiting = staged.as_ref().is_some_and(|s| staged_waiting(s, running));
    let staged_for_target = staged
        .as_ref()
        .is_some_and(|s| staged_for(s, running, target.as_ref()));
    let prepare_snapshot = obs.update_snapshots.as_ref().ok().map(|s| s.prepare > 0);
    if prepare_snapshot == Some(true) {
        evidence.push(Evidence::line(
            probes::UPDATE_SNAPSHOTS,
            format!(
                "tmutil listlocalsnapshots /: {} (macOS prepared an update; the snapshot names no version, a sign only)",
                crate::parse::staged_update::PREPARE_SNAPSHOT
            ),
        ));
    }
    let global_settings = obs
        .ddm_state
        .as_ref()
        .map(|s| s.global_settings.clone())
        .unwrap_or_default();
    let unconfirmed = unconfirmed(obs, ctx, &situation);
    let facts = Facts {
        running: obs.sw_vers.as_ref().ok().map(|r| r.full_version()),
        install_state: latest_install_state(obs).map(|(_, s)| s),
        failure: failure.clone(),
        grace_hours: cfg.ddm_grace_hours,
        unconfirmed: unconfirmed.clone(),
        unversioned_prepare: prepare_snapshot == Some(true) && !staged_for_target,
        also_stale: also_stale(obs, &situation),
    };
    let mut judgement = judge(&situation, target.as_ref(), &facts);
    judgement.evidence = evidence;
    DdmAssessment {
        judgement,
        install_state: facts.install_state,
        failure,
        pending_version: status.as_ref().and_then(|(_, s)| s.pending_version.clone()),
        status_unknown: obs.su_log.as_ref().err().map(|u| u.to_string()),
        declarations: (!matches!(situation, DdmSituation::DeclarationsUnknown { .. })).then_some(
            Declarations {
                items,
                global_settings,
                target,
            },
        ),
        situation,
        staged,
        staged_waiting: is_waiting,
        staged_for_target,
        prepare_snapshot,
        unconfirmed,
    }
}

/// What each prepared-update source shows: the version files (and whether they are stale), and
/// the sources that failed.
fn staged_evidence(obs: &Observations, running: Option<&SwVers>) -> Vec<Evidence> {
    let mut out = Vec::new();
    for s in staged_candidates(obs) {
        let (probe, keys) = match s.source {
            StagedSource::ProposedCryptex => (
                probes::STAGED_UPDATE,
                "cryptex1/proposed/SystemVersion.plist: ProductVersion {v} ProductBuildVersion {b}",
            ),
            StagedSource::UpdateVolume => (
                probes::UPDATE_VOLUME,
                "Update.plist update-asset-attributes: OSVersion {v} Build {b}",
            ),
        };
        out.push(Evidence::line(
            probe,
            format!(
                "{}{}{}",
                keys.replace(
                    "{v}",
                    s.version.product_version.as_deref().unwrap_or("absent")
                )
                .replace(
                    "{b}",
                    s.version.build_version.as_deref().unwrap_or("absent")
                ),
                s.since
                    .map(|t| format!(", written {}", t.to_rfc3339()))
                    .unwrap_or_default(),
                if staged_waiting(s, running) {
                    ""
                } else {
                    " (not newer than the running build: already applied or stale)"
                }
            ),
        ));
    }
    // A source that failed (not merely absent: no file means nothing prepared there).
    for (fact, what) in [
        (
            obs.staged_update.as_ref().err(),
            "the Preboot volume's proposed cryptex",
        ),
        (
            obs.update_volume.as_ref().err(),
            "the Update volume's record",
        ),
        (
            obs.update_snapshots.as_ref().err(),
            "the APFS snapshot listing",
        ),
    ] {
        if let Some(u) = fact.filter(|u| !matches!(u.fault, Fault::Missing | Fault::NotRun)) {
            out.push(Evidence::line(
                &u.probe,
                format!("{what} unknown ({u}): an update prepared there cannot be seen"),
            ));
        }
    }
    out
}

/// A stale declaration the device reports (decidable), when the stuck cause named first is
/// another (prerequisites, a conflict).
fn also_stale(obs: &Observations, s: &DdmSituation) -> Option<LoggedDeclaration> {
    if !matches!(
        s.stuck(),
        Some(
            StuckCause::PrerequisitesBlocking(_)
                | StuckCause::DeclarationInvalid(InvalidDeclaration::Conflict)
        )
    ) {
        return None;
    }
    let state = obs.ddm_state.as_ref().ok()?;
    reported_declaration(obs).filter(|d| lost_by_store(d, state, obs.sw_vers.as_ref().ok()))
}

/// What only install.log or unverified wording says, where the decided situation does not
/// already say it: named, never deciding (see [`Unconfirmed`]).
fn unconfirmed(obs: &Observations, ctx: &Context<'_>, s: &DdmSituation) -> Vec<Unconfirmed> {
    let mut out = Vec::new();
    let running = obs.sw_vers.as_ref().ok();
    // What the situation already says from the device's own status is not repeated.
    let said = matches!(s, DdmSituation::Missing { .. })
        || matches!(
            s.stuck(),
            Some(StuckCause::DeclarationInvalid(InvalidDeclaration::Stale(_)))
        );
    if !said && ctx.enrolled == Some(true) {
        if let Ok(state) = &obs.ddm_state {
            let lost = |d: &LoggedDeclaration| lost_by_store(d, state, running);
            match reported(obs) {
                Some((d, Placement::Unknown)) if lost(&d) => {
                    out.push(Unconfirmed::ReportedStoreTimeUnknown(d));
                }
                _ => {
                    if let Some(d) = logged_declaration_untrusted(obs).filter(|d| lost(d)) {
                        out.push(Unconfirmed::DeclarationLogged(d));
                    }
                }
            }
        }
    }
    // Every line of this pattern is unverified wording: named wherever it is read.
    if let Some(n) = logged_all(obs, "su.ddm_invalid_removed")
        .iter()
        .find_map(|l| install_log::removed_invalid_of(&l.message))
    {
        out.push(Unconfirmed::RemovedInvalid(n));
    }
    let overdue = matches!(s, DdmSituation::Overdue { .. });
    if overdue && s.stuck() != Some(StuckCause::NotOffered) && {
        let lines = logged_all(obs, "su.ddm_nothing_to_enforce");
        !lines.is_empty() && !lines.iter().any(Logged::trusted)
    } {
        out.push(Unconfirmed::NothingToEnforce);
    }
    out
}

/// What [`judge`] words besides the situation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Facts {
    pub running: Option<String>,
    pub install_state: Option<InstallState>,
    pub failure: Option<DdmFailure>,
    pub grace_hours: u32,
    pub unconfirmed: Vec<Unconfirmed>,
    /// A prepared update's snapshot is listed while no version file names a waiting update.
    pub unversioned_prepare: bool,
    /// The device enforces a version the store no longer lists, while another cause (a
    /// prerequisite, a conflict) was named first: said too, so fixing the first is not the end.
    pub also_stale: Option<LoggedDeclaration>,
}

fn failure_text(f: &DdmFailure) -> String {
    format!(
        "{} (failed {}{}; {})",
        f.reason.reason.as_deref().unwrap_or("no reason given"),
        if f.reason.count == 1 {
            "once".to_string()
        } else {
            format!("{} times", f.reason.count)
        },
        f.reason
            .timestamp
            .as_deref()
            .map(|t| format!(", last {t}"))
            .unwrap_or_default(),
        f.source.as_str()
    )
}

const REMEDIATION: &str = "check the device's softwareupdate.failure-reason; install the target version before the deadline (System Settings > General > Software Update) or fix what blocks it (power, disk, bootstrap token)";

/// Why an enforced update is stuck, and its remediation, for one cause (`failed_text`: the
/// device's failure reason as worded).
fn stuck_why_fix(cause: &StuckCause, failed_text: &str) -> (String, String) {
    match cause {
        StuckCause::DownloadFailing => (
            format!("the install failed: {failed_text}"),
            "fix the failure reason the device reports (network path to Apple's update servers, free space, power); restarting softwareupdated does not fix it".to_string(),
        ),
        StuckCause::PrerequisitesBlocking(checks) => (
            format!(
                "prerequisites block it ({})",
                checks
                    .iter()
                    .map(|b| format!("{}: {}", b.check, b.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            "fix what the named checks report (power, free space, bootstrap token escrow); macOS retries the enforced install on its own afterwards".to_string(),
        ),
        StuckCause::DeclarationInvalid(InvalidDeclaration::Conflict) => (
            "two declarations in force name different targets".to_string(),
            "keep one software-update enforcement declaration per Mac in the MDM".to_string(),
        ),
        StuckCause::DeclarationInvalid(InvalidDeclaration::Stale(l)) => (
            format!(
                "the device's DDM status reports a pending macOS {} (deadline {}) that the declaration store no longer lists",
                l.version.as_deref().unwrap_or("?"),
                l.enforced_install_date.as_deref().unwrap_or("unknown")
            ),
            "re-send the current software-update enforcement declaration from the MDM and remove stale ones from the Mac's scope; check that the next declarative sync succeeds".to_string(),
        ),
        StuckCause::DeclarationInvalid(InvalidDeclaration::Missing) => (
            "the declaration is missing".to_string(),
            "re-send the declaration from the MDM".to_string(),
        ),
        StuckCause::NotOffered => (
            "the target is not offered to this Mac yet (Apple's staged roll-out, or a version this model does not get)".to_string(),
            "wait for Apple to offer it, or declare a version Apple offers this model (softwareupdate --list); a restart does not change what Apple offers".to_string(),
        ),
        StuckCause::Stalled { verified: true } => (
            "nothing blocks it and softwareupdated shows no progress on it".to_string(),
            "mdmwatch -heal restarts softwareupdated for this (at most once per 24 h); if it stays stuck, run `softwareupdate --list` and check the network path to Apple's update servers".to_string(),
        ),
        StuckCause::Stalled { verified: false } => (
            "nothing blocks it and nothing shows progress, but the evidence is incomplete (the softwareupdated log is unknown, or the device reports a declaration the store may have lost), so heal does not act".to_string(),
            "run `softwareupdate --list` and check softwareupdated's log and the declaration in the MDM; heal needs complete evidence before it restarts anything".to_string(),
        ),
    }
}

/// The readiness blocker's words for a stuck declared target: the cause's code and why.
pub(crate) fn stuck_reason(cause: &StuckCause, failure: Option<&DdmFailure>) -> String {
    let failed_text = failure
        .map(failure_text)
        .unwrap_or_else(|| "no failure reason reported".into());
    format!(
        "stuck ({}): {}",
        cause.code(),
        stuck_why_fix(cause, &failed_text).0
    )
}

/// The phrases several situations share.
struct Words {
    failed_text: String,
    reported_failed: bool,
    state_text: String,
    running: String,
    target: String,
    deadline: String,
}

impl Words {
    fn of(t: Option<&Target>, f: &Facts) -> Words {
        let failed_text = f
            .failure
            .as_ref()
            .map(failure_text)
            .unwrap_or_else(|| "no failure reason reported".into());
        let reported_failed = f.install_state == Some(InstallState::Failed) || f.failure.is_some();
        let state_text = f
            .install_state
            .as_ref()
            .map(|s| format!("install-state {}", s.as_str()))
            .unwrap_or_else(|| "no install-state reported".into());
        let running = f
            .running
            .clone()
            .unwrap_or_else(|| "an unknown version".into());
        let target = t.map(Target::label).unwrap_or_default();
        let deadline = t
            .and_then(|t| t.deadline_local.clone())
            .unwrap_or_else(|| "unreadable".into());
        Words {
            failed_text,
            reported_failed,
            state_text,
            running,
            target,
            deadline,
        }
    }
}

/// An overdue declaration that is not stuck: installing, staged, or within the grace.
fn judge_overdue(w: &Words, minutes_over: i64, state: &Overdue, grace_hours: u32) -> Judgement {
    let Words {
        state_text,
        running,
        target,
        deadline,
        ..
    } = w;
    let was = format!(
        "macOS {target} was due {deadline} ({} ago)",
        human_span(minutes_over)
    );
    match state {
        Overdue::Installing => Judgement::new(
            Status::Warning,
            format!("macOS {target} was due {deadline}; installing now"),
        ),
        Overdue::Staged => Judgement::new(
            Status::Warning,
            format!("{was}: the update is prepared on disk and waits for its restart (this Mac still runs {running}); heal restarts nothing"),
        )
        .remediation("restart the Mac to apply the prepared update (macOS restarts it on its own when it enforces the deadline); heal does not restart softwareupdated under a prepared update"),
        Overdue::EnforcementPending { grace_minutes_left } => Judgement::new(
            Status::Warning,
            format!(
                "{was}: due, enforcement pending (macOS enforces at or after the deadline and retries on its own; counted as stuck after {} h with no progress, {} left); {state_text}",
                grace_hours,
                human_span(*grace_minutes_left)
            ),
        ),
        Overdue::Stuck(_) => unreachable!("matched above"),
    }
}

/// Every sentence of `softwareupdate.ddm`: the wording of a situation, then what only
/// install.log or unverified wording says (never changing the status, except that a managed
/// Mac with no declaration while install.log shows one in force is worth a warning).
pub(crate) fn judge(s: &DdmSituation, t: Option<&Target>, f: &Facts) -> Judgement {
    let mut j = judge_situation(s, t, f);
    if let Some(d) = &f.also_stale {
        j.summary.push_str(&format!(
            "; the device's DDM status also reports a pending macOS {} (deadline {}) that the declaration store no longer lists: re-send the current declaration once that is fixed",
            d.version.as_deref().unwrap_or("?"),
            d.enforced_install_date.as_deref().unwrap_or("unknown")
        ));
    }
    if f.unversioned_prepare && s.stuck().is_some() {
        j.summary.push_str(&format!(
            "; an update snapshot ({}) says macOS prepared an update that no version file names as the target: not counted as staged, but heal does not restart softwareupdated while it is listed",
            crate::parse::staged_update::PREPARE_SNAPSHOT
        ));
        if matches!(s.stuck(), Some(StuckCause::Stalled { .. })) {
            j.remediation = Some("restart the Mac to apply the prepared update; if the enforced update is still not installed afterwards, run `softwareupdate --list` and check softwareupdated's log".into());
        }
    }
    if f.unconfirmed.is_empty() {
        return j;
    }
    let texts: Vec<String> = f.unconfirmed.iter().map(Unconfirmed::text).collect();
    j.summary.push_str(&format!(
        "; unconfirmed, not counted (install.log, softwareupdated wording matched anywhere in a message or never seen in a published line, or a device status that cannot be placed against the store's last write): {}",
        texts.join("; ")
    ));
    let logged_not_stored = f.unconfirmed.iter().any(|u| {
        matches!(
            u,
            Unconfirmed::DeclarationLogged(_) | Unconfirmed::ReportedStoreTimeUnknown(_)
        )
    });
    if logged_not_stored && j.status == Status::Ok {
        j.status = Status::Warning;
        j.remediation.get_or_insert_with(|| {
            "confirm with `log show --predicate 'process == \"softwareupdated\"' --last 1d | grep -i declaration`; if the MDM has an enforcement declaration in scope for this Mac, re-send it".to_string()
        });
    }
    j
}

fn judge_situation(s: &DdmSituation, t: Option<&Target>, f: &Facts) -> Judgement {
    let w = Words::of(t, f);
    let Words {
        failed_text,
        state_text,
        running,
        target,
        deadline,
        ..
    } = &w;
    let reported_failed = w.reported_failed;
    let mut j = match s {
        DdmSituation::DeclarationsUnknown { why } => {
            let mut j = Judgement::unknown(format!("declarations unknown ({why})"));
            if reported_failed {
                j.status = Status::Warning;
                j.summary = format!(
                    "the device reports a failed install: {failed_text}; declarations unknown ({why})"
                );
            }
            return j.remediation(REMEDIATION);
        }
        DdmSituation::NoDeclarations => {
            Judgement::new(Status::Ok, "no software-update enforcement declared")
        }
        DdmSituation::Missing { logged } => Judgement::new(
            Status::Failed,
            format!(
                "stuck (declaration_missing_or_invalid): the declaration is missing: the device's DDM status reports a pending macOS {} (deadline {}) but the declaration store holds none in force, and this Mac runs {running}",
                logged.version.as_deref().unwrap_or("?"),
                logged.enforced_install_date.as_deref().unwrap_or("unknown")
            ),
        )
        .remediation(
            "re-send the software-update enforcement declaration from the MDM (or remove and re-add the Mac to its scope) and check that the next declarative sync succeeds; restarting softwareupdated does not bring a declaration back",
        ),
        DdmSituation::AllSatisfied { count } => Judgement::new(
            Status::Ok,
            format!("{count} declaration(s), all already satisfied by macOS {running} (Apple ignores them)"),
        ),
        DdmSituation::DeadlineUnreadable => Judgement::new(
            Status::Warning,
            format!("macOS {target} enforced, deadline {deadline:?} unreadable; {state_text}"),
        ),
        DdmSituation::Due { minutes_left } if reported_failed => Judgement::new(
            Status::Warning,
            format!(
                "macOS {target} due {deadline} ({} left); the last attempt failed: {failed_text}",
                human_span(*minutes_left)
            ),
        ),
        DdmSituation::Due { minutes_left } => Judgement::new(
            Status::Ok,
            format!(
                "macOS {target} due {deadline} ({} left); {state_text}",
                human_span(*minutes_left)
            ),
        ),
        DdmSituation::Overdue {
            minutes_over,
            state: Overdue::Stuck(cause),
        } => {
            let was = format!(
                "macOS {target} was due {deadline} ({} ago)",
                human_span(*minutes_over)
            );
            let (why, fix) = stuck_why_fix(cause, failed_text);
            let mut j = Judgement::new(
                Status::Failed,
                format!("stuck ({}): {was} and this Mac still runs {running}; {why}", cause.code()),
            );
            j.remediation = Some(fix);
            return j;
        }
        DdmSituation::Overdue { minutes_over, state } => {
            judge_overdue(&w, *minutes_over, state, f.grace_hours)
        }
    };
    if reported_failed
        && matches!(
            s,
            DdmSituation::NoDeclarations | DdmSituation::AllSatisfied { .. }
        )
    {
        j.status = Status::Warning;
        j.summary.push_str(&format!(
            "; the device reports a failed install: {failed_text}"
        ));
    }
    if t.is_some_and(|t| t.state == DeclState::Unknown) {
        j.summary
            .push_str(" (running version unknown: cannot tell whether it is satisfied)");
    }
    if j.remediation.is_none() && t.is_some() {
        j.remediation = Some(REMEDIATION.into());
    }
    j
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

    /// The DDM assessment as `diagnose` makes it (with the other checks as context).
    fn ddm_of(o: &Observations) -> DdmAssessment {
        ddm_with(o, &Config::default())
    }

    fn ddm_with(o: &Observations, cfg: &Config) -> DdmAssessment {
        crate::checks::diagnose(o, cfg)
            .assessments
            .into_iter()
            .find_map(|a| match a {
                crate::checks::Assessment::Ddm(d) => Some(d),
                _ => None,
            })
            .expect("diagnose assesses softwareupdate.ddm")
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
        let a = ddm_of(&o);
        let f = &a.judgement;
        assert_eq!(f.status, Status::Failed);
        assert!(
            f.summary.contains("install failed: Not enough {space}"),
            "{}",
            f.summary
        );
        assert_eq!(a.install_state, Some(InstallState::Failed));
        assert_eq!(a.failure.as_ref().unwrap().reason.count, 2);
        assert_eq!(
            a.failure.as_ref().unwrap().source,
            FailureSource::StatusReport
        );
        let target = a.declarations.unwrap().target.unwrap();
        assert_eq!(target.deadline_passed, Some(true));
        let cause = a.situation.stuck().unwrap();
        assert_eq!(cause, StuckCause::DownloadFailing);
        assert!(stuck_reason(&cause, a.failure.as_ref()).contains("install failed"));
        // 2026-11-18T17:00 local vs 2026-11-20T10:00 local.
        assert_eq!(target.minutes_left, Some(-41 * 60));
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
        let a = ddm_of(&obs(with(base(), ok("ddm_state", DECL_FUTURE))));
        assert_eq!(a.judgement.status, Status::Ok);
        let t = a.declarations.unwrap().target.unwrap();
        assert_eq!(t.minutes_left, Some((5 * 24 + 7) * 60));
        assert_eq!(t.kind, Some(UpdateKind::Update));
        assert_eq!(t.label(), "15.2 (24C101)");
        let a = ddm_of(&obs(with(base(), ok("ddm_state", DECL_OLD))));
        assert_eq!(a.judgement.status, Status::Ok);
        let d = a.declarations.unwrap();
        assert_eq!(d.items[0].state, DeclState::Satisfied);
        assert!(d.target.is_none());
        let mut b = base();
        b.retain(|r| r.id != "ddm_state");
        let a = ddm_of(&obs(b));
        assert_eq!(a.judgement.status, Status::Unknown);
        assert!(a.declarations.is_none());
        assert!(a.judgement.reason.unwrap().contains("ddm_state"));
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
            UpdateKind::Rsr
        );
        assert_eq!(target_kind(&d("14.0", None), &running), UpdateKind::Upgrade);
        let rsr = SwVers {
            build_version: "22E772610a".into(),
            ..running.clone()
        };
        assert_eq!(
            classify(&d("13.3.1", Some("22E772610a")), Some(&rsr)),
            DeclState::Satisfied
        );
        assert_eq!(classify(&d("13.3.1", None), None), DeclState::Unknown);
        // A later RSR of the same release is pending on the earlier one (the length rule called
        // `(b)` satisfied on `(a)`); the base build is satisfied on a BSI; a device-scoped build
        // of the train is pending on the base one.
        assert_eq!(
            classify(&d("13.3.1", Some("22E772610b")), Some(&rsr)),
            DeclState::Pending
        );
        let bsi = SwVers {
            product_version: "26.3.1".into(),
            build_version: "25D771280a".into(),
            ..SwVers::default()
        };
        assert_eq!(
            classify(&d("26.3.1", Some("25D2128")), Some(&bsi)),
            DeclState::Satisfied
        );
        let base = SwVers {
            product_version: "15.1".into(),
            build_version: "24B83".into(),
            ..SwVers::default()
        };
        assert_eq!(
            classify(&d("15.1", Some("24B2091")), Some(&base)),
            DeclState::Pending
        );
    }

    fn decl_state(decls: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut d = String::new();
        for (version, build, when) in decls {
            d.push_str(&format!(
                "<key>com.example.{version}</key><dict><key>TargetOSVersion</key><string>{version}</string><key>TargetBuildVersion</key><string>{build}</string><key>TargetLocalDateTime</key><string>{when}</string></dict>"
            ));
        }
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>SUCorePersistedStatePolicyFields</key><dict><key>Declarations</key><dict>{d}</dict></dict></dict></plist>").into_bytes()
    }

    const SW27: &[u8] =
        b"ProductName:\t\tmacOS\nProductVersion:\t\t27.0.1\nBuildVersion:\t\t26A8412\n";
    const INSTALL_LOG_PADDED: &[u8] = concat!(
        "2026-11-20 09:00:00-05 mac softwareupdated[557]: setPastDuePaddedEnforcementDate is set",
        ": Fri Nov 20 11:00:00 2026\n"
    )
    .as_bytes();
    const INSTALL_LOG_REMOVED: &[u8] =
        b"2026-11-20 09:00:00-05 mac softwareupdated[557]: Removed 2 invalid declarations\n";
    const INSTALL_LOG_APPLICABLE: &[u8] = b"2026-11-20 09:30:12-05 mac softwareupdated[557]: declarationFromKeys]: Found currently applicable declaration |EnforcedInstallDate:2026-11-18T17:00:00|VersionString:27.1|BuildVersionString:(null)|\n";
    /// softwareupdated's unified-log entry of `message` (its exact image path, uid 200), one
    /// window line; constructed in `log show --style ndjson`'s real layout.
    fn su_unified(message: &str) -> Vec<u8> {
        format!(
            "Filtering the log data using \"x\"\n{{\"timestamp\":\"2026-11-20 09:30:12.000000-0500\",\"eventMessage\":{},\"processImagePath\":\"\\/System\\/Library\\/CoreServices\\/Software Update.app\\/Contents\\/Resources\\/softwareupdated\",\"userID\":200,\"messageType\":\"Default\",\"subsystem\":\"com.apple.SoftwareUpdate\",\"category\":\"SU\"}}\n",
            serde_json::to_string(message).unwrap()
        )
        .into_bytes()
    }
    /// SoftwareUpdateSubscriber's `Reporting status` block (its exact image path, `_rmd` 277)
    /// naming a pending version, in the status items' keys (Apple's DDM schema); constructed.
    fn su_status_pending(version: &str, build: &str) -> Vec<u8> {
        su_status_log(&[(
            "2026-11-20 09:31:00.000000-0500",
            pending_block(version, build, Some("2026-11-18T17:00:00")),
        )])
    }

    fn pending_block(version: &str, build: &str, deadline: Option<&str>) -> String {
        let target = deadline
            .map(|d| format!("        \"target-local-date-time\" = \"{d}\";\n"))
            .unwrap_or_default();
        format!("Reporting status {{\n    \"softwareupdate.pending-version\" =     {{\n        \"build-version\" = {build};\n        \"os-version\" = \"{version}\";\n{target}    }};\n}}")
    }

    /// SoftwareUpdateSubscriber's entries (its exact image path, `_rmd` 277) with these messages.
    fn su_status_log(entries: &[(&str, String)]) -> Vec<u8> {
        let mut out = String::from("Filtering the log data using \"x\"\n");
        for (ts, text) in entries {
            out.push_str(&format!(
                "{{\"timestamp\":\"{ts}\",\"eventMessage\":{},\"processImagePath\":\"\\/System\\/Library\\/PrivateFrameworks\\/RemoteManagement.framework\\/XPCServices\\/SoftwareUpdateSubscriber.xpc\\/Contents\\/MacOS\\/SoftwareUpdateSubscriber\",\"userID\":277,\"messageType\":\"Default\",\"subsystem\":\"com.apple.SoftwareUpdate\",\"category\":\"DDM\"}}\n",
                serde_json::to_string(text).unwrap()
            ));
        }
        out.into_bytes()
    }

    /// `stat -f %m` of the declaration store: written 2026-11-20T14:00:00Z, before the status
    /// reports of these tests (09:31 -05:00 = 14:31Z).
    const STORE_WRITTEN: &[u8] = b"1795183200\n";
    const APPLICABLE_MSG: &str = "declarationFromKeys]: Found currently applicable declaration |EnforcedInstallDate:2026-11-18T17:00:00|VersionString:27.1|BuildVersionString:(null)|";
    const INSTALL_LOG_PADDED_FAR: &[u8] = concat!(
        "2026-11-20 09:00:00-05 mac softwareupdated[557]: setPastDuePaddedEnforcementDate is set",
        ": Thu Dec 31 11:00:00 2099\n"
    )
    .as_bytes();
    const INSTALL_LOG_NOTHING: &[u8] =
        b"2026-11-20 09:00:00-05 mac softwareupdated[557]: No updates found for DDM to enforce\n";
    const INSTALL_LOG_APPLICABLE_27_2: &[u8] = b"2026-11-20 09:30:12-05 mac softwareupdated[557]: declarationFromKeys]: Found currently applicable declaration |EnforcedInstallDate:2026-11-18T17:00:00|VersionString:27.2|BuildVersionString:(null)|\n";
    const STAGED_27_1: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>ProductVersion</key><string>27.1</string><key>ProductBuildVersion</key><string>26B84</string></dict></plist>";
    /// The Update volume's record in the layout super and OpenCore-Legacy-Patcher read
    /// (constructed values).
    const UPDATE_PLIST_27_1: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>update-asset-attributes</key><dict><key>Build</key><string>26B84</string><key>OSVersion</key><string>27.1</string></dict></dict></plist>";
    const UPDATE_PLIST_RUNNING: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>update-asset-attributes</key><dict><key>Build</key><string>26A8412</string><key>OSVersion</key><string>27.0.1</string></dict></dict></plist>";
    const PREPARE_SNAPSHOT_LISTING: &[u8] = b"Snapshots for volume group containing disk /:\ncom.apple.os.update-779BDF1556C6F688504E24FB29C75AFFABFCB91E701806FFFF35235E19914F1E\ncom.apple.os.update-MSUPrepareUpdate\n";
    const STAGED_27_2: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>ProductVersion</key><string>27.2</string><key>ProductBuildVersion</key><string>26C50</string></dict></plist>";

    /// `decide`, data-driven: one line per situation (macOS 27 unless the case says otherwise;
    /// now 2026-11-20 10:00 -0500, grace 4 h).
    #[test]
    fn decide_situations() {
        use crate::system::ProbeResult;
        let one = |when: &str| decl_state(&[("27.1", "26B84", when)]);
        let mac27 = |extra: Vec<ProbeResult>| {
            let mut b = with(base(), ok("sw_vers", SW27));
            for r in extra {
                b = with(b, r);
            }
            obs(b)
        };
        let cases: Vec<(&str, Observations)> = vec![
            ("due tomorrow", mac27(vec![ok("ddm_state", &one("2026-11-21T09:00:00"))])),
            ("30 min over", mac27(vec![ok("ddm_state", &one("2026-11-20T09:30:00"))])),
            ("5 h over, nothing blocks", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00"))])),
            ("5 h over, padded retry at 11:00", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("install_log", INSTALL_LOG_PADDED)])),
            ("4 d over, retry padded 20 h after a line of today", mac27(vec![ok("ddm_state", &one("2026-11-16T05:00:00")), ok_out("install_log", String::from_utf8_lossy(INSTALL_LOG_PADDED).replace("Fri Nov 20 11:00:00 2026", "Sat Nov 21 05:00:00 2026"))])),
            ("5 h over, install.log pads to 2099", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("install_log", INSTALL_LOG_PADDED_FAR)])),
            ("5 h over, two targets", mac27(vec![ok("ddm_state", &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00"), ("27.2", "26C50", "2026-12-20T05:00:00")]))])),
            ("5 h over, invalid removed", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("install_log", INSTALL_LOG_REMOVED)])),
            ("5 h over, nothing to enforce (install.log only)", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("install_log", INSTALL_LOG_NOTHING)])),
            ("5 h over, nothing to enforce (softwareupdated's log)", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_unified("No updates found for DDM to enforce"))])),
            ("5 h over, not listed", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("softwareupdate_list", b"Software Update Tool\n\nSoftware Update found the following new or updated software:\n* Label: macOS 27.0.2-26A9000\n\tTitle: macOS 27.0.2, Version: 27.0.2, Size: 100KiB, Recommended: YES, Action: restart,\n")])),
            ("5 h over, battery 5%", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("pmset_batt", b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t5%; discharging; 0:20 remaining present: true\n")])),
            ("5 h over, 27.1 staged", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("staged_update", STAGED_27_1)])),
            ("5 h over, 27.2 staged", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("staged_update", STAGED_27_2)])),
            ("5 h over, Update.plist names 27.1", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("update_volume", UPDATE_PLIST_27_1)])),
            ("5 h over, Update.plist names the running build", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("update_volume", UPDATE_PLIST_RUNNING)])),
            ("5 h over, Update.plist names 27.0.1's earlier build", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("update_volume", String::from_utf8_lossy(UPDATE_PLIST_RUNNING).replace("26A8412", "26A400"))])),
            ("5 h over, cryptex 27.2 and Update.plist 27.1", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("staged_update", STAGED_27_2), ok("update_volume", UPDATE_PLIST_27_1)])),
            ("5 h over, prepare snapshot only", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok("update_snapshots", PREPARE_SNAPSHOT_LISTING)])),
            ("5 h over, softwareupdated log unknown", { let mut b = with(base(), ok("sw_vers", SW27)); b = with(b, ok("ddm_state", &one("2026-11-20T05:00:00"))); b.retain(|r| r.id != "log_softwareupdate"); obs(b) }),
            ("empty store, declaration in install.log only", mac27(vec![ok("ddm_state", &decl_state(&[])), ok("install_log", INSTALL_LOG_APPLICABLE)])),
            ("empty store, declaration in softwareupdated's log", mac27(vec![ok("ddm_state", &decl_state(&[])), ok_out("log_softwareupdate", su_unified(APPLICABLE_MSG))])),
            ("satisfied store, softwareupdated's log names 27.1", mac27(vec![ok("ddm_state", &decl_state(&[("27.0.1", "26A8412", "2026-11-01T05:00:00")])), ok_out("log_softwareupdate", su_unified(APPLICABLE_MSG))])),
            ("5 h over on 27.1, softwareupdated's log names 27.2", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_unified(&APPLICABLE_MSG.replace("27.1", "27.2")))])),
            ("5 h over on 27.1, softwareupdated's log names 27.1", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_unified(APPLICABLE_MSG))])),
            ("5 h over on 27.1, install.log names 27.2", mac27(vec![ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("install_log", String::from_utf8_lossy(INSTALL_LOG_APPLICABLE).replace("27.1", "27.2"))])),
            ("empty store, the device reports pending 27.1", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &decl_state(&[])), ok_out("log_softwareupdate", su_status_pending("27.1", "26B84"))])),
            ("satisfied store, the device reports pending 27.1", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &decl_state(&[("27.0.1", "26A8412", "2026-11-01T05:00:00")])), ok_out("log_softwareupdate", su_status_pending("27.1", "26B84"))])),
            ("5 h over on 27.1, the device reports pending 27.2", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_status_pending("27.2", "26C50"))])),
            ("5 h over on 27.1, the device reports pending 27.1.1 under the same deadline", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_status_log(&[("2026-11-20 09:31:00.000000-0500", pending_block("27.1.1", "26B90", Some("2026-11-20T05:00:00")))]))])),
            ("5 h over on 27.1, the device reports pending 27.1.1 under another deadline", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_status_log(&[("2026-11-20 09:31:00.000000-0500", pending_block("27.1.1", "26B90", Some("2026-11-21T05:00:00")))]))])),
            ("5 h over on 27.1, the device reports pending 27.2 with the same deadline", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_status_log(&[("2026-11-20 09:31:00.000000-0500", pending_block("27.2", "26C50", Some("2026-11-20T05:00:00")))]))])),
            ("satisfied 27.0 store, the device reports pending 27.0.2", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &decl_state(&[("27.0", "", "2026-11-01T05:00:00")])), ok_out("log_softwareupdate", su_status_log(&[("2026-11-20 09:31:00.000000-0500", pending_block("27.0.2", "26A9000", Some("2026-11-25T05:00:00")))]))])),
            ("5 h over on 27.1, the device reports pending 27.1", mac27(vec![ok("ddm_state_mtime", STORE_WRITTEN), ok("ddm_state", &one("2026-11-20T05:00:00")), ok_out("log_softwareupdate", su_status_pending("27.1", "26B84"))])),
            ("empty store, not enrolled", mac27(vec![ok("ddm_state", &decl_state(&[])), ok("install_log", INSTALL_LOG_APPLICABLE), ok("profiles_enrollment", b"Enrolled via DEP: No\nMDM enrollment: No\n")])),
            ("satisfied", mac27(vec![ok("ddm_state", &decl_state(&[("27.0.1", "26A8412", "2026-11-01T05:00:00")]))])),
        ];
        let got: Vec<String> = cases
            .iter()
            .map(|(name, o)| format!("{name}: {:?}", ddm_of(o).situation))
            .collect();
        expect_test::expect![[r#"
            [
                "due tomorrow: Due { minutes_left: 1380 }",
                "30 min over: Overdue { minutes_over: 30, state: EnforcementPending { grace_minutes_left: 210 } }",
                "5 h over, nothing blocks: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, padded retry at 11:00: Overdue { minutes_over: 300, state: EnforcementPending { grace_minutes_left: 300 } }",
                "4 d over, retry padded 20 h after a line of today: Overdue { minutes_over: 6060, state: Stuck(Stalled { verified: true }) }",
                "5 h over, install.log pads to 2099: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, two targets: Overdue { minutes_over: 300, state: Stuck(DeclarationInvalid(Conflict)) }",
                "5 h over, invalid removed: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, nothing to enforce (install.log only): Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, nothing to enforce (softwareupdated's log): Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, not listed: Overdue { minutes_over: 300, state: Stuck(NotOffered) }",
                "5 h over, battery 5%: Overdue { minutes_over: 300, state: Stuck(PrerequisitesBlocking([BlockedBy { check: \"power.battery\", detail: \"5% on battery, 20% needed\" }])) }",
                "5 h over, 27.1 staged: Overdue { minutes_over: 300, state: Staged }",
                "5 h over, 27.2 staged: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, Update.plist names 27.1: Overdue { minutes_over: 300, state: Staged }",
                "5 h over, Update.plist names the running build: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, Update.plist names 27.0.1's earlier build: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, cryptex 27.2 and Update.plist 27.1: Overdue { minutes_over: 300, state: Staged }",
                "5 h over, prepare snapshot only: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over, softwareupdated log unknown: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: false }) }",
                "empty store, declaration in install.log only: NoDeclarations",
                "empty store, declaration in softwareupdated's log: NoDeclarations",
                "satisfied store, softwareupdated's log names 27.1: AllSatisfied { count: 1 }",
                "5 h over on 27.1, softwareupdated's log names 27.2: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over on 27.1, softwareupdated's log names 27.1: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over on 27.1, install.log names 27.2: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "empty store, the device reports pending 27.1: Missing { logged: LoggedDeclaration { version: Some(\"27.1\"), build: Some(\"26B84\"), enforced_install_date: Some(\"2026-11-18T17:00:00\") } }",
                "satisfied store, the device reports pending 27.1: Missing { logged: LoggedDeclaration { version: Some(\"27.1\"), build: Some(\"26B84\"), enforced_install_date: Some(\"2026-11-18T17:00:00\") } }",
                "5 h over on 27.1, the device reports pending 27.2: Overdue { minutes_over: 300, state: Stuck(DeclarationInvalid(Stale(LoggedDeclaration { version: Some(\"27.2\"), build: Some(\"26C50\"), enforced_install_date: Some(\"2026-11-18T17:00:00\") }))) }",
                "5 h over on 27.1, the device reports pending 27.1.1 under the same deadline: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "5 h over on 27.1, the device reports pending 27.1.1 under another deadline: Overdue { minutes_over: 300, state: Stuck(DeclarationInvalid(Stale(LoggedDeclaration { version: Some(\"27.1.1\"), build: Some(\"26B90\"), enforced_install_date: Some(\"2026-11-21T05:00:00\") }))) }",
                "5 h over on 27.1, the device reports pending 27.2 with the same deadline: Overdue { minutes_over: 300, state: Stuck(DeclarationInvalid(Stale(LoggedDeclaration { version: Some(\"27.2\"), build: Some(\"26C50\"), enforced_install_date: Some(\"2026-11-20T05:00:00\") }))) }",
                "satisfied 27.0 store, the device reports pending 27.0.2: Missing { logged: LoggedDeclaration { version: Some(\"27.0.2\"), build: Some(\"26A9000\"), enforced_install_date: Some(\"2026-11-25T05:00:00\") } }",
                "5 h over on 27.1, the device reports pending 27.1: Overdue { minutes_over: 300, state: Stuck(Stalled { verified: true }) }",
                "empty store, not enrolled: NoDeclarations",
                "satisfied: AllSatisfied { count: 1 }",
            ]
        "#]]
        .assert_debug_eq(&got);
    }

    /// A failure reason and an install in progress, past the deadline (status blocks).
    #[test]
    fn decide_failed_and_installing() {
        let o = with_reports(
            obs(with(
                with(base(), ok("sw_vers", SW27)),
                ok(
                    "ddm_state",
                    &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00")]),
                ),
            )),
            vec![report(
                "2026-11-20 09:00:00.000000-0500",
                "failed",
                Some(("No network", 2)),
            )],
        );
        let a = ddm_of(&o);
        assert_eq!(a.situation.stuck(), Some(StuckCause::DownloadFailing));
        assert!(
            a.judgement.summary.contains("No network"),
            "{}",
            a.judgement.summary
        );
        let o = with_reports(
            obs(with(
                with(base(), ok("sw_vers", SW27)),
                ok(
                    "ddm_state",
                    &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00")]),
                ),
            )),
            vec![report(
                "2026-11-20 09:00:00.000000-0500",
                "installing",
                None,
            )],
        );
        assert_eq!(
            ddm_of(&o).situation,
            DdmSituation::Overdue {
                minutes_over: 300,
                state: Overdue::Installing
            }
        );
        // The grace period is the admin's: with 6 h, 5 h over is still pending.
        let o = obs(with(
            with(base(), ok("sw_vers", SW27)),
            ok(
                "ddm_state",
                &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00")]),
            ),
        ));
        let cfg = Config {
            ddm_grace_hours: 6,
            ..Config::default()
        };
        assert_eq!(
            ddm_with(&o, &cfg).situation,
            DdmSituation::Overdue {
                minutes_over: 300,
                state: Overdue::EnforcementPending {
                    grace_minutes_left: 60
                }
            }
        );
    }

    /// A macOS 27 Mac with these probe results: heal's condition for softwareupdated,
    /// `MDMSoftwareUpdatesStuck` and the DDM assessment, through the whole diagnosis.
    fn diagnose27(
        extra: Vec<crate::system::ProbeResult>,
    ) -> (
        crate::checks::liveness::Condition,
        Option<bool>,
        DdmAssessment,
    ) {
        use crate::checks::{diagnose, Assessment};
        let mut b = with(base(), ok("sw_vers", SW27));
        for r in extra {
            b = with(b, r);
        }
        let d = diagnose(&obs(b), &Config::default());
        let a = d
            .assessments
            .iter()
            .find_map(|a| match a {
                Assessment::Ddm(a) => Some(a.clone()),
                _ => None,
            })
            .unwrap();
        (d.softwareupdated, d.mdm_software_updates_stuck, a)
    }

    /// install.log (any process can write it) and unverified wording name a cause but never
    /// decide one: the situation, `MDMSoftwareUpdatesStuck` and heal's condition for
    /// softwareupdated are what they are without the line; the finding names it as
    /// unconfirmed. Each case failed before: the line made the declaration missing (failed,
    /// stuck key set) or turned a verified stall into a cause heal stands down for.
    #[test]
    fn install_log_names_causes_but_never_decides() {
        let run = diagnose27;
        let overdue = || {
            ok(
                "ddm_state",
                &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00")]),
            )
        };
        let empty = || ok("ddm_state", &decl_state(&[]));
        type Probe = dyn Fn() -> crate::system::ProbeResult;
        let cases: [(&str, &Probe, &[u8], &str); 4] = [
            (
                "removed invalid",
                &overdue,
                INSTALL_LOG_REMOVED,
                "invalid_declarations_removed",
            ),
            (
                "nothing to enforce",
                &overdue,
                INSTALL_LOG_NOTHING,
                "nothing_to_enforce",
            ),
            (
                "declaration logged",
                &empty,
                INSTALL_LOG_APPLICABLE,
                "declaration_logged_not_stored",
            ),
            (
                "stale declaration",
                &overdue,
                INSTALL_LOG_APPLICABLE_27_2,
                "declaration_logged_not_stored",
            ),
        ];
        for (name, store, line, code) in cases {
            let (cond0, stuck0, a0) = run(vec![store()]);
            let (cond, stuck, a) = run(vec![store(), ok("install_log", line)]);
            assert_eq!(cond, cond0, "{name}: heal's condition changed");
            assert_eq!(stuck, stuck0, "{name}: MDMSoftwareUpdatesStuck changed");
            assert_eq!(a.situation, a0.situation, "{name}: situation changed");
            assert_eq!(
                a.unconfirmed
                    .iter()
                    .map(Unconfirmed::code)
                    .collect::<Vec<_>>(),
                [code],
                "{name}"
            );
            assert!(
                a.judgement.summary.contains("unconfirmed, not counted"),
                "{name}: {}",
                a.judgement.summary
            );
            // Never failed by the line; a declaration the store lacks is worth a warning (when
            // nothing else is wrong).
            let expected = if name == "declaration logged" {
                Status::Warning
            } else {
                a0.judgement.status
            };
            assert_eq!(a.judgement.status, expected, "{name}");
            assert!(
                a.judgement
                    .evidence
                    .iter()
                    .any(|e| e.text.contains("any process can write here")),
                "{name}: {:?}",
                a.judgement.evidence
            );
        }
    }

    /// A stale declaration the device reports is said even when a prerequisite is the cause
    /// named first (fixing the battery alone would not be the end).
    #[test]
    fn a_stale_declaration_behind_another_cause_is_said() {
        let (_, stuck, a) = diagnose27(vec![
            ok(
                "ddm_state",
                &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00")]),
            ),
            ok("ddm_state_mtime", STORE_WRITTEN),
            ok_out("log_softwareupdate", su_status_pending("27.2", "26C50")),
            ok("pmset_batt", b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t5%; discharging; 0:20 remaining present: true\n"),
        ]);
        assert!(matches!(
            a.situation.stuck(),
            Some(StuckCause::PrerequisitesBlocking(_))
        ));
        assert_eq!(stuck, Some(true));
        assert!(
            a.judgement
                .summary
                .contains("also reports a pending macOS 27.2"),
            "{}",
            a.judgement.summary
        );
    }

    /// A device status that cannot be placed against the store's last write (its stat failed
    /// or was not captured) is named, never counted, and withholds the stall ground it would
    /// otherwise leave; softwareupdated's wording older than the store's write is history.
    #[test]
    fn a_status_the_store_time_cannot_place_is_named_and_withholds() {
        use crate::checks::liveness::Condition;
        let run = diagnose27;
        let empty = || ok("ddm_state", &decl_state(&[]));
        // When the store last changed is unknown (its stat failed or was not captured), the
        // report may predate a change: named, not counted.
        for stat in [
            None,
            Some(crate::test_support::failed(
                "ddm_state_mtime",
                1,
                "stat: timed out",
            )),
        ] {
            let mut probes = vec![
                empty(),
                ok_out("log_softwareupdate", su_status_pending("27.1", "26B84")),
            ];
            probes.extend(stat);
            let (_, stuck, a) = run(probes);
            assert_eq!(a.situation.code(), "no_declarations");
            assert_eq!(stuck, Some(false));
            assert_eq!(
                a.unconfirmed
                    .iter()
                    .map(Unconfirmed::code)
                    .collect::<Vec<_>>(),
                ["declaration_reported_store_time_unknown"]
            );
            assert!(
                a.judgement.summary.contains("ddm_state_mtime"),
                "{}",
                a.judgement.summary
            );
            assert_eq!(a.judgement.status, Status::Warning);
        }
        // Overdue, and the device reports a version the store lacks while the store's write time
        // is unknown: named, and the stall ground is withheld (it would have been a restart).
        let (cond, stuck, a) = run(vec![
            ok(
                "ddm_state",
                &decl_state(&[("27.1", "26B84", "2026-11-20T05:00:00")]),
            ),
            ok_out("log_softwareupdate", su_status_pending("27.2", "26C50")),
        ]);
        assert_eq!(
            a.situation.stuck(),
            Some(StuckCause::Stalled { verified: false })
        );
        assert_eq!(stuck, Some(true));
        assert!(!matches!(cond, Condition::Fixable(_)), "{cond:?}");
        assert_eq!(
            a.unconfirmed
                .iter()
                .map(Unconfirmed::code)
                .collect::<Vec<_>>(),
            ["declaration_reported_store_time_unknown"]
        );
        // softwareupdated's wording older than the store's last write is history: not named.
        let (_, _, a) = run(vec![
            empty(),
            ok("ddm_state_mtime", b"1795185600\n"),
            ok("install_log", INSTALL_LOG_APPLICABLE),
        ]);
        assert!(a.unconfirmed.is_empty(), "{:?}", a.unconfirmed);
    }

    /// The store lost the declaration the device itself reports in force (its DDM status's
    /// pending version with a deadline): that decides it, and heal stands down with that cause.
    /// softwareupdated's own declaration wording (matched anywhere in a message: the daemon may
    /// echo a user's label) and install.log only name it: a warning, not counted as stuck. The
    /// unified-log case failed on 7301a54 (it decided Missing).
    #[test]
    fn the_devices_status_decides_a_missing_declaration_its_wording_only_names_it() {
        use crate::checks::liveness::{Condition, DdmBlock, FailureCause};
        let run = diagnose27;
        let empty = || ok("ddm_state", &decl_state(&[]));
        let (cond, stuck, a) = run(vec![
            empty(),
            ok("ddm_state_mtime", STORE_WRITTEN),
            ok_out("log_softwareupdate", su_status_pending("27.1", "26B84")),
        ]);
        assert_eq!(a.situation.code(), "declaration_missing");
        assert_eq!(a.judgement.status, Status::Failed);
        assert_eq!(stuck, Some(true));
        assert_eq!(
            cond,
            Condition::NotFixable(FailureCause::Ddm(DdmBlock::DeclarationInvalid))
        );
        // A newer report whose pending version has no deadline any more (the declaration was
        // removed): the older deadline is history, nothing is missing.
        let (_, stuck, a) = run(vec![
            empty(),
            ok_out(
                "log_softwareupdate",
                su_status_log(&[
                    (
                        "2026-11-20 09:01:00.000000-0500",
                        pending_block("27.1", "26B84", Some("2026-11-18T17:00:00")),
                    ),
                    (
                        "2026-11-20 09:31:00.000000-0500",
                        pending_block("27.1", "26B84", None),
                    ),
                ]),
            ),
        ]);
        assert_eq!(a.situation.code(), "no_declarations");
        assert_eq!(stuck, Some(false));
        // The store was written after the report (09:31 -05:00 = 14:31Z; written 14:40Z): the
        // report is history; written before it (14:00Z), the report decides.
        for (written, want) in [
            (b"1795185600\n", "no_declarations"),
            (b"1795183200\n", "declaration_missing"),
        ] {
            let (_, _, a) = run(vec![
                empty(),
                ok("ddm_state_mtime", written),
                ok_out("log_softwareupdate", su_status_pending("27.1", "26B84")),
            ]);
            assert_eq!(a.situation.code(), want);
        }
        for wording in [
            ok_out("log_softwareupdate", su_unified(APPLICABLE_MSG)),
            ok("install_log", INSTALL_LOG_APPLICABLE),
        ] {
            let (_, stuck, a) = run(vec![empty(), wording]);
            assert_eq!(a.situation.code(), "no_declarations");
            assert_eq!(
                a.judgement.status,
                Status::Warning,
                "{}",
                a.judgement.summary
            );
            assert_eq!(stuck, Some(false));
            assert_eq!(
                a.unconfirmed
                    .iter()
                    .map(Unconfirmed::code)
                    .collect::<Vec<_>>(),
                ["declaration_logged_not_stored"]
            );
        }
    }

    /// A version file names an update still to apply only when it is newer than the running
    /// system: at an equal version, a later build of the train (a BSI) waits; the base build
    /// left over after the BSI was applied does not (it read as waiting for ever before).
    #[test]
    fn a_version_file_waits_only_for_a_later_build() {
        let sw = |v: &str, b: &str| SwVers {
            product_version: v.into(),
            build_version: b.into(),
            ..SwVers::default()
        };
        let staged = |v: &str, b: &str| StagedUpdate {
            version: crate::parse::staged_update::StagedVersion {
                product_version: Some(v.into()),
                build_version: Some(b.into()),
            },
            since: None,
            source: StagedSource::UpdateVolume,
        };
        let base = sw("26.3.1", "25D2128");
        let bsi = sw("26.3.1", "25D771280a");
        assert!(staged_waiting(&staged("26.3.1", "25D771280a"), Some(&base)));
        assert!(!staged_waiting(&staged("26.3.1", "25D2128"), Some(&bsi)));
        assert!(!staged_waiting(&staged("26.3.1", "25D2128"), Some(&base)));
        assert!(staged_waiting(&staged("26.4", "25E246"), Some(&bsi)));
        assert!(!staged_waiting(&staged("26.3", "25D125"), Some(&base)));
        // Builds of no known shape: different counts (the safe side).
        assert!(staged_waiting(&staged("26.3.1", "X1"), Some(&base)));
    }

    /// `judge` words a situation; the decision is not read back from the words.
    #[test]
    fn judge_wording() {
        let t = Target {
            key: "k".into(),
            os_version: Some("27.1".into()),
            build_version: Some("26B84".into()),
            deadline_local: Some("2026-11-18T17:00:00".into()),
            kind: Some(UpdateKind::Update),
            state: DeclState::Pending,
            minutes_left: Some(-60),
            deadline_passed: Some(true),
        };
        let f = Facts {
            running: Some("27.0.1".into()),
            install_state: None,
            failure: None,
            grace_hours: 4,
            unconfirmed: vec![],
            unversioned_prepare: false,
            also_stale: None,
        };
        let j = judge(
            &DdmSituation::Overdue {
                minutes_over: 60,
                state: Overdue::EnforcementPending {
                    grace_minutes_left: 180,
                },
            },
            Some(&t),
            &f,
        );
        assert_eq!(j.status, Status::Warning);
        assert!(
            j.summary.contains("due, enforcement pending"),
            "{}",
            j.summary
        );
        let j = judge(
            &DdmSituation::Overdue {
                minutes_over: 600,
                state: Overdue::Stuck(StuckCause::NotOffered),
            },
            Some(&t),
            &f,
        );
        assert_eq!(j.status, Status::Failed);
        assert!(
            j.summary.starts_with("stuck (not_offered_yet)"),
            "{}",
            j.summary
        );
        assert!(j
            .remediation
            .unwrap()
            .contains("does not change what Apple offers"));
    }
}
