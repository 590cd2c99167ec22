//! Checks: pure functions from (observations, config) to typed assessments. No I/O, no clock but
//! `obs.now`, nothing serialisable.
//!
//! Each check module exposes `assess(&Observations, &Config) -> <Its>Assessment`: the typed
//! result (states, reasons, numbers, per-kind prerequisites) plus a [`Judgement`], the human part
//! (status, summary, why-unknown, evidence, remediation). [`diagnose`] runs them all in report
//! order, builds the readiness verdict from the typed results, and derives the states heal acts
//! on and the Addigy keys. Only `report` turns assessments into findings and JSON.

pub(crate) mod battery;
pub(crate) mod bootstrap;
pub mod catalog;
pub(crate) mod channel;
pub mod client_liveness;
pub mod daemon_liveness;
pub(crate) mod ddm;
pub(crate) mod disk;
pub(crate) mod enrollment;
pub(crate) mod identity;
pub mod liveness;
pub(crate) mod os_version;
pub(crate) mod push;
pub(crate) mod readiness;
pub(crate) mod su_pending;
pub(crate) mod su_settings;

use crate::config::Config;
use crate::observe::Observations;
use liveness::{ClientState, Condition, DaemonState, DdmBlock, FailureCause, Ground};

pub(crate) const ENROLLMENT: &str = "mdm.enrollment";
pub(crate) const IDENTITY: &str = "mdm.identity";
pub(crate) const CLIENT_LIVENESS: &str = "mdm.client_liveness";
pub(crate) const DAEMON_LIVENESS: &str = "softwareupdate.daemon_liveness";
pub(crate) const PUSH: &str = "mdm.push";
pub(crate) const OS_VERSION: &str = "os.version";
pub(crate) const SU_PENDING: &str = "softwareupdate.pending";
pub(crate) const SU_SETTINGS: &str = "softwareupdate.settings";
pub const DDM: &str = "softwareupdate.ddm";
pub(crate) const BATTERY: &str = "power.battery";
pub(crate) const DISK: &str = "disk.free_space";
pub(crate) const BOOTSTRAP: &str = "bootstrap_token";
pub(crate) const READINESS: &str = "readiness";
/// The MDM channel verdict over days (connected, degraded, disconnected).
pub(crate) const CHANNEL: &str = "mdm.channel";

/// Checks that judge the MDM relationship and so do not apply to a Mac that is not enrolled
/// (the report marks them `not_applicable` there): identity, mdmclient's exchanges, push, DDM
/// declarations (delivered only by an MDM), the bootstrap token (escrowed to an MDM) and the
/// channel verdict.
pub(crate) const ENROLLMENT_DEPENDENT: &[&str] =
    &[IDENTITY, CLIENT_LIVENESS, PUSH, DDM, BOOTSTRAP, CHANNEL];

/// A check's overall status. The report prints it in snake_case (`ok`, `not_applicable`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    NotApplicable,
    Unknown,
    Warning,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotApplicable => "not_applicable",
            Status::Unknown => "unknown",
            Status::Warning => "warning",
            Status::Failed => "failed",
        }
    }
}

/// One line of evidence: where it came from, when (log entries), and the text itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Probe id the text came from.
    pub source: String,
    /// Timestamp of a log entry, as the log printed it.
    pub timestamp: Option<String>,
    pub text: String,
}

/// Longest evidence text kept: evidence quotes probe output, which a capture's author controls.
pub(crate) const EVIDENCE_MAX: usize = 2000;

impl Evidence {
    pub fn line(source: &str, text: impl Into<String>) -> Evidence {
        Evidence {
            source: source.to_string(),
            timestamp: None,
            text: crate::parse::clip_marked(&text.into(), EVIDENCE_MAX),
        }
    }

    pub fn log(source: &str, timestamp: impl Into<String>, text: impl Into<String>) -> Evidence {
        Evidence {
            source: source.to_string(),
            timestamp: Some(crate::parse::clip_marked(&timestamp.into(), 100)),
            text: crate::parse::clip_marked(&text.into(), EVIDENCE_MAX),
        }
    }
}

/// The human part of an assessment: what a person reads in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: Status,
    pub summary: String,
    /// For `unknown`: why (probe missing, timed out, unparseable).
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
    pub remediation: Option<String>,
}

impl Judgement {
    pub fn new(status: Status, summary: impl Into<String>) -> Judgement {
        Judgement {
            status,
            summary: summary.into(),
            reason: None,
            evidence: Vec::new(),
            remediation: None,
        }
    }

    /// An `unknown` judgement; the reason is also the summary's tail.
    pub fn unknown(reason: impl Into<String>) -> Judgement {
        let reason = reason.into();
        let mut j = Judgement::new(Status::Unknown, format!("unknown: {reason}"));
        j.reason = Some(reason);
        j
    }

    pub fn evidence(mut self, e: Evidence) -> Judgement {
        self.evidence.push(e);
        self
    }

    pub fn remediation(mut self, text: impl Into<String>) -> Judgement {
        self.remediation = Some(text.into());
        self
    }
}

/// Whether one prerequisite (battery, disk) allows one kind of update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prerequisite {
    Meets,
    Blocks,
    Unknown,
}

impl Prerequisite {
    pub fn as_str(self) -> &'static str {
        match self {
            Prerequisite::Meets => "meets",
            Prerequisite::Blocks => "blocks",
            Prerequisite::Unknown => "unknown",
        }
    }
}

/// The kinds of macOS update Apple's guide distinguishes: a minor update, a major upgrade, a
/// Rapid Security Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UpdateKind {
    Update,
    Upgrade,
    Rsr,
}

impl UpdateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateKind::Update => "update",
            UpdateKind::Upgrade => "upgrade",
            UpdateKind::Rsr => "rsr",
        }
    }
}

/// Whether a software update is being installed right now.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallActivity {
    Installing(Evidence),
    Idle,
    Unknown(String),
}

impl InstallActivity {
    /// Installing if either source says so; idle if either knows it is idle; else unknown.
    pub(crate) fn combine(a: InstallActivity, b: InstallActivity) -> InstallActivity {
        match (a, b) {
            (i @ InstallActivity::Installing(_), _) | (_, i @ InstallActivity::Installing(_)) => i,
            (InstallActivity::Idle, _) | (_, InstallActivity::Idle) => InstallActivity::Idle,
            (InstallActivity::Unknown(x), InstallActivity::Unknown(y)) => {
                InstallActivity::Unknown(format!("{x}; {y}"))
            }
        }
    }
}

/// One check's typed result, in the order the report lists them.
#[derive(Debug, Clone)]
pub enum Assessment {
    Enrollment(enrollment::EnrollmentAssessment),
    Identity(identity::IdentityAssessment),
    ClientLiveness(client_liveness::ClientLivenessAssessment),
    Push(push::PushAssessment),
    DaemonLiveness(daemon_liveness::DaemonLivenessAssessment),
    OsVersion(os_version::OsVersionAssessment),
    Pending(su_pending::PendingAssessment),
    Settings(su_settings::SettingsAssessment),
    Ddm(ddm::DdmAssessment),
    Battery(battery::BatteryAssessment),
    Disk(disk::DiskAssessment),
    Bootstrap(bootstrap::BootstrapAssessment),
    Readiness(readiness::ReadinessAssessment),
    Catalog(crate::checks::catalog::CatalogAssessment),
    Compliance(crate::checks::catalog::ComplianceAssessment),
    Channel(channel::ChannelAssessment),
}

impl Assessment {
    /// The check id (the key of the report's `checks` map).
    pub fn id(&self) -> &'static str {
        match self {
            Assessment::Enrollment(_) => ENROLLMENT,
            Assessment::Identity(_) => IDENTITY,
            Assessment::ClientLiveness(_) => CLIENT_LIVENESS,
            Assessment::Push(_) => PUSH,
            Assessment::DaemonLiveness(_) => DAEMON_LIVENESS,
            Assessment::OsVersion(_) => OS_VERSION,
            Assessment::Pending(_) => SU_PENDING,
            Assessment::Settings(_) => SU_SETTINGS,
            Assessment::Ddm(_) => DDM,
            Assessment::Battery(_) => BATTERY,
            Assessment::Disk(_) => DISK,
            Assessment::Bootstrap(_) => BOOTSTRAP,
            Assessment::Readiness(_) => READINESS,
            Assessment::Catalog(_) => crate::checks::catalog::CATALOG,
            Assessment::Compliance(_) => crate::checks::catalog::COMPLIANCE,
            Assessment::Channel(_) => CHANNEL,
        }
    }

    pub fn judgement(&self) -> &Judgement {
        match self {
            Assessment::Enrollment(a) => &a.judgement,
            Assessment::Identity(a) => &a.judgement,
            Assessment::ClientLiveness(a) => &a.judgement,
            Assessment::Push(a) => &a.judgement,
            Assessment::DaemonLiveness(a) => &a.judgement,
            Assessment::OsVersion(a) => &a.judgement,
            Assessment::Pending(a) => &a.judgement,
            Assessment::Settings(a) => &a.judgement,
            Assessment::Ddm(a) => &a.judgement,
            Assessment::Battery(a) => &a.judgement,
            Assessment::Disk(a) => &a.judgement,
            Assessment::Bootstrap(a) => &a.judgement,
            Assessment::Readiness(a) => &a.judgement,
            Assessment::Catalog(a) => &a.judgement,
            Assessment::Compliance(a) => &a.judgement,
            Assessment::Channel(a) => &a.judgement,
        }
    }
}

/// Every assessment plus the derived states heal and the Addigy keys need.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// In report order; `report::findings` turns them into the published findings.
    pub assessments: Vec<Assessment>,
    /// What heal may do about each service (see `liveness::Condition`).
    pub mdmclient: Condition,
    pub softwareupdated: Condition,
    pub install: InstallActivity,
    /// Addigy's `MDMClientStuck` and `MDMSoftwareUpdatesStuck` (`None`: unknown).
    pub mdm_client_stuck: Option<bool>,
    pub mdm_software_updates_stuck: Option<bool>,
    pub enrolled: Option<bool>,
    pub identity_error: Option<bool>,
}

impl Diagnosis {
    /// The MDM channel verdict, when assessed.
    pub fn channel(&self) -> Option<&channel::ChannelAssessment> {
        self.assessments.iter().find_map(|a| match a {
            Assessment::Channel(c) => Some(c),
            _ => None,
        })
    }

    /// The per-update-kind verdicts, when readiness was assessed.
    pub fn readiness(&self) -> Option<&readiness::ReadinessAssessment> {
        self.assessments.iter().find_map(|a| match a {
            Assessment::Readiness(r) => Some(r),
            _ => None,
        })
    }
}

impl Diagnosis {
    /// A diagnosis with only what heal reads: the two services' conditions and the install
    /// activity; no assessments, enrolled, no identity error, the Addigy stuck keys unknown.
    /// Heal's tests (unit and integration) build theirs with it.
    pub fn for_heal(
        mdmclient: Condition,
        softwareupdated: Condition,
        install: InstallActivity,
    ) -> Diagnosis {
        Diagnosis {
            assessments: Vec::new(),
            mdmclient,
            softwareupdated,
            install,
            mdm_client_stuck: None,
            mdm_software_updates_stuck: None,
            enrolled: Some(true),
            identity_error: Some(false),
        }
    }
}

pub fn diagnose(obs: &Observations, cfg: &Config) -> Diagnosis {
    let enrollment = enrollment::assess(obs, cfg);
    let enrolled = match enrollment.judgement.status {
        Status::Unknown => None,
        _ => enrollment.facts.as_ref().map(|f| f.enrolled),
    };
    let identity = identity::assess(obs, cfg);
    let identity_error = match identity.judgement.status {
        Status::Unknown => None,
        Status::Failed => Some(true),
        _ => Some(false),
    };
    let push = push::assess(obs, cfg);
    let client = client_liveness::assess(obs, cfg, push.state);
    let channel = channel::assess(obs, cfg, enrolled, &identity, &client, &push);
    let daemon = daemon_liveness::assess(obs, cfg, &client);
    // A stall seen in softwareupdated's own progress lines outranks a DDM status block that
    // still says "installing" (an unverified shape): otherwise a stalled install could never be
    // healed.
    let install = if matches!(daemon.state, DaemonState::Stalled(_)) {
        daemon_liveness::install_activity(obs, &daemon)
    } else {
        InstallActivity::combine(
            daemon_liveness::install_activity(obs, &daemon),
            ddm::install_activity(obs),
        )
    };
    // Update readiness: the device facts first, then the verdict built from them and from the
    // MDM path (the update an MDM wants arrives through mdmclient and is installed by
    // softwareupdated).
    let os = os_version::assess(obs, cfg);
    let pending = su_pending::assess(obs, cfg);
    let settings = su_settings::assess(obs, cfg);
    let battery = battery::assess(obs, cfg);
    let disk = disk::assess(obs, cfg);
    let bootstrap = bootstrap::assess(obs, cfg);
    // The DDM stuck rule names prerequisites as the other checks decided them.
    let ddm = ddm::assess(
        obs,
        cfg,
        &ddm::Context {
            daemon: &daemon,
            battery: &battery,
            disk: &disk,
            bootstrap: &bootstrap,
            enrolled,
        },
    );
    let readiness = readiness::assess(&readiness::Inputs {
        enrollment: &enrollment,
        identity: &identity,
        client: &client,
        daemon: &daemon,
        push: &push,
        pending: &pending,
        settings: &settings,
        ddm: &ddm,
        battery: &battery,
        disk: &disk,
        bootstrap: &bootstrap,
        channel: Some(&channel),
        os: &os,
    });
    let mdmclient = channel_condition(client_condition(&client), &channel);
    // An update prepared on disk, waiting for its restart, and (when a declaration names one)
    // the declared update.
    let staged_waiting = ddm.staged_for_target;
    let softwareupdated = channel_condition(
        ddm_condition(
            daemon_condition(&daemon, &client, cfg),
            &ddm,
            staged_waiting,
        ),
        &channel,
    );
    let mdm_client_stuck = client.addigy_stuck();
    let mdm_software_updates_stuck = match ddm.situation.stuck() {
        // The DDM rule (macOS 14-27): an enforced update stuck past its deadline and grace.
        Some(_) => Some(true),
        // A staged update waiting for its restart is progress no log line can fake: a silent
        // log is not a stall then (Addigy's command rule still applies).
        None if staged_waiting && matches!(daemon.state, DaemonState::Stalled(_)) => Some(false),
        None => daemon.addigy_stuck(),
    };
    let catalog = catalog::assessments(obs, cfg);
    Diagnosis {
        // The channel verdict leads: it answers "is this Mac reachable" before the details.
        assessments: [
            Assessment::Channel(channel),
            Assessment::Enrollment(enrollment),
            Assessment::Identity(identity),
            Assessment::ClientLiveness(client),
            Assessment::Push(push),
            Assessment::DaemonLiveness(daemon),
            Assessment::OsVersion(os),
            Assessment::Pending(pending),
            Assessment::Settings(settings),
            Assessment::Ddm(ddm),
            Assessment::Battery(battery),
            Assessment::Disk(disk),
            Assessment::Bootstrap(bootstrap),
            Assessment::Readiness(readiness),
        ]
        .into_iter()
        .chain(catalog)
        .collect(),
        mdmclient,
        softwareupdated,
        mdm_client_stuck,
        mdm_software_updates_stuck,
        install,
        enrolled,
        identity_error,
    }
}

/// What heal may do about mdmclient: only verified evidence of a wedged client (or the strict
/// Addigy rule the admin chose) is something a restart can fix.
pub(crate) fn client_condition(c: &client_liveness::ClientLivenessAssessment) -> Condition {
    match c.state {
        ClientState::Failing(_) if !c.verified => Condition::Unverified,
        ClientState::Failing(FailureCause::ClientWedged) => {
            Condition::Fixable(Ground::ClientWedged)
        }
        ClientState::Failing(FailureCause::StrictNo200) => Condition::Fixable(Ground::StrictAddigy),
        ClientState::Failing(cause) => Condition::NotFixable(cause),
        ClientState::Alive => Condition::Alive,
        ClientState::Quiet => Condition::Quiet,
        ClientState::Unknown => Condition::Unknown,
    }
}

/// The DDM rule's part in what heal may do about softwareupdated (macOS 14-27): an update staged
/// on disk for the target (or, with no declaration, any staged update not yet applied) means
/// installing, so heal never restarts softwareupdated while it waits for its restart; an overdue
/// declaration stalled on verified evidence (the declaration store, a readable softwareupdated
/// log with nothing in flight, nothing blocking) is the `stalled` ground. Every other DDM cause
/// (failure reason, prerequisites, a missing or invalid declaration, not offered) has its own
/// remediation and never restarts anything, whatever the log rules say: a restart cannot fix it.
pub(crate) fn ddm_condition(
    daemon: Condition,
    ddm: &ddm::DdmAssessment,
    staged_waiting: bool,
) -> Condition {
    use ddm::{DdmSituation, Overdue, StuckCause};
    // A staged update for the target, or the device's own status saying the enforced install
    // runs: heal's reason is the install, whatever softwareupdated's log shows.
    let installing = matches!(
        ddm.situation,
        DdmSituation::Overdue {
            state: Overdue::Installing,
            ..
        }
    );
    // A status block is an unverified shape: it never outranks softwareupdated's own stall.
    if staged_waiting || (installing && daemon != Condition::Fixable(Ground::Stalled)) {
        return Condition::Installing;
    }
    let block = |b: DdmBlock| match daemon {
        Condition::Installing => Condition::Installing,
        _ => Condition::NotFixable(FailureCause::Ddm(b)),
    };
    let c = match (ddm.situation.stuck(), daemon) {
        (Some(StuckCause::Stalled { verified: true }), Condition::Quiet | Condition::Alive) => {
            Condition::Fixable(Ground::Stalled)
        }
        (Some(StuckCause::DownloadFailing), _) => block(DdmBlock::DownloadFailing),
        (Some(StuckCause::PrerequisitesBlocking(_)), _) => block(DdmBlock::PrerequisitesBlocking),
        (Some(StuckCause::DeclarationInvalid(_)), _) => block(DdmBlock::DeclarationInvalid),
        (Some(StuckCause::NotOffered), _) => block(DdmBlock::NotOffered),
        _ => daemon,
    };
    // A prepared update's snapshot without a version file: possibly the target waiting for its
    // restart. It withholds a restart (the safe side), never grounds one.
    match c {
        Condition::Fixable(_) if ddm.prepare_snapshot == Some(true) => {
            Condition::NotFixable(FailureCause::Ddm(DdmBlock::UpdatePrepared))
        }
        c => c,
    }
}

/// Heal stands down on a channel cause a restart cannot fix (not enrolled, identity unusable or
/// refused, no push, topic not registered, server errors), even where the log alone would show
/// a wedged client: restarting mdmclient cannot bring such a channel back. The same holds for
/// every ground that rests on mdmclient's state, so it applies to both services: Addigy's
/// software-update rule restarts softwareupdated because mdmclient never answered, which a dead
/// channel explains. Only softwareupdated's own stall stands apart.
pub(crate) fn channel_condition(c: Condition, ch: &channel::ChannelAssessment) -> Condition {
    match (
        c,
        ch.situation.cause.as_ref().and_then(|x| x.blocks_restart()),
    ) {
        (Condition::Fixable(g), Some(cause)) if g != Ground::Stalled => {
            Condition::NotFixable(cause)
        }
        (c, _) => c,
    }
}

/// What heal may do about softwareupdated: a stalled install, or Addigy's rule when mdmclient
/// never answered the software-update command (or the admin chose the strict rule); never while
/// it installs.
pub(crate) fn daemon_condition(
    d: &daemon_liveness::DaemonLivenessAssessment,
    c: &client_liveness::ClientLivenessAssessment,
    cfg: &Config,
) -> Condition {
    match d.state {
        DaemonState::Stalled(_) => Condition::Fixable(Ground::Stalled),
        DaemonState::Installing => Condition::Installing,
        _ if d.su_command.is_some() && d.judgement.status == Status::Failed => {
            if d.su_command_unanswered || cfg.strict_addigy {
                Condition::Fixable(Ground::AddigySuCommand)
            } else {
                match c.state.cause() {
                    Some(cause) => Condition::NotFixable(cause),
                    None => Condition::Unknown,
                }
            }
        }
        DaemonState::Alive => Condition::Alive,
        DaemonState::Quiet => Condition::Quiet,
        DaemonState::Unknown => Condition::Unknown,
    }
}

#[cfg(test)]
mod tests {
    //! What heal may act on, derived from the liveness assessments: only verified evidence of a
    //! state a restart can fix is a ground; server-side failures, a refused identity, network
    //! failures and anything resting on unverified text never are.
    use super::*;
    use crate::checks::client_liveness::ClientLivenessAssessment;
    use crate::checks::daemon_liveness::DaemonLivenessAssessment;
    use crate::checks::liveness::StallSign;

    fn client(state: ClientState, verified: bool) -> ClientLivenessAssessment {
        ClientLivenessAssessment {
            judgement: Judgement::new(Status::Ok, "x"),
            state,
            verified,
            window_minutes: 90,
            strict_addigy: false,
            ordinary: None,
            log: None,
        }
    }

    fn daemon(state: DaemonState, su: Option<&str>, unanswered: bool) -> DaemonLivenessAssessment {
        let failed = su.is_some() || matches!(state, DaemonState::Stalled(_));
        DaemonLivenessAssessment {
            judgement: Judgement::new(if failed { Status::Failed } else { Status::Ok }, "x"),
            state,
            window_minutes: 90,
            stall_minutes: 60,
            mdmclient_state: ClientState::Alive,
            su_command: su.map(|c| (c.to_string(), "t".to_string())),
            su_command_unanswered: unanswered,
            log: None,
            legacy: None,
        }
    }

    #[test]
    fn client_conditions() {
        use FailureCause::*;
        let f = ClientState::Failing;
        let cases = [
            (
                f(ClientWedged),
                true,
                Condition::Fixable(Ground::ClientWedged),
            ),
            (
                f(StrictNo200),
                true,
                Condition::Fixable(Ground::StrictAddigy),
            ),
            (f(ServerError), true, Condition::NotFixable(ServerError)),
            (f(AuthRejected), true, Condition::NotFixable(AuthRejected)),
            (
                f(TransportFailure),
                true,
                Condition::NotFixable(TransportFailure),
            ),
            // Unverified evidence never acts, whatever the cause it suggests.
            (f(ClientWedged), false, Condition::Unverified),
            (f(TransportFailure), false, Condition::Unverified),
            (ClientState::Alive, true, Condition::Alive),
            (ClientState::Quiet, true, Condition::Quiet),
            (ClientState::Unknown, true, Condition::Unknown),
        ];
        for (state, verified, want) in cases {
            assert_eq!(
                client_condition(&client(state, verified)),
                want,
                "{state:?} {verified}"
            );
        }
    }

    /// Heal stands down on a channel cause a restart cannot fix, whatever the log alone says.
    #[test]
    fn channel_causes_a_restart_cannot_fix_turn_a_ground_into_not_fixable() {
        use channel::{Cause, IdentityFault};
        use liveness::ChannelBlock;
        let ch = |cause: Option<Cause>| {
            let mut a = channel::ChannelAssessment {
                judgement: Judgement::new(Status::Ok, "x"),
                situation: channel::decide(&channel::Inputs {
                    now: chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00-05:00").unwrap(),
                    enrolled: Some(true),
                    identity: None,
                    client: ClientState::Alive,
                    client_verified: true,
                    push: liveness::PushState::Unknown,
                    push_verified: true,
                    topic: None,
                    apsctl: None,
                    history: None,
                    run_exchange: None,
                    lookback: None,
                    no_exchange_days: 3,
                }),
                next_history: Default::default(),
            };
            a.situation.cause = cause;
            a
        };
        let wedged = Condition::Fixable(Ground::ClientWedged);
        let strict = Condition::Fixable(Ground::StrictAddigy);
        let cases = [
            (
                Some(Cause::NotEnrolled),
                wedged,
                Condition::NotFixable(FailureCause::Channel(ChannelBlock::NotEnrolled)),
            ),
            (
                Some(Cause::IdentityUnusable(IdentityFault::NoPrivateKey)),
                strict,
                Condition::NotFixable(FailureCause::Channel(ChannelBlock::IdentityUnusable)),
            ),
            (
                Some(Cause::PushNotConnected),
                wedged,
                Condition::NotFixable(FailureCause::Channel(ChannelBlock::PushNotConnected)),
            ),
            (
                Some(Cause::TopicNotRegistered {
                    topic: "t".into(),
                    listed: vec![],
                }),
                wedged,
                Condition::NotFixable(FailureCause::Channel(ChannelBlock::TopicNotRegistered)),
            ),
            (
                Some(Cause::ServerErrors),
                strict,
                Condition::NotFixable(FailureCause::ServerError),
            ),
            (
                Some(Cause::IdentityRefused),
                strict,
                Condition::NotFixable(FailureCause::AuthRejected),
            ),
            // A wedged client is what a restart fixes; no exchange for days may be one too.
            (Some(Cause::ClientWedged), wedged, wedged),
            (
                Some(Cause::NoExchange {
                    days: 4,
                    at_least: false,
                }),
                strict,
                strict,
            ),
            (None, wedged, wedged),
            // softwareupdated: Addigy's rule rests on mdmclient never answering, which a dead
            // channel explains; its own stall does not depend on the channel.
            (
                Some(Cause::PushNotConnected),
                Condition::Fixable(Ground::AddigySuCommand),
                Condition::NotFixable(FailureCause::Channel(ChannelBlock::PushNotConnected)),
            ),
            (
                Some(Cause::IdentityUnusable(IdentityFault::NoPrivateKey)),
                Condition::Fixable(Ground::AddigySuCommand),
                Condition::NotFixable(FailureCause::Channel(ChannelBlock::IdentityUnusable)),
            ),
            (
                Some(Cause::PushNotConnected),
                Condition::Fixable(Ground::Stalled),
                Condition::Fixable(Ground::Stalled),
            ),
            // Non-grounds pass through.
            (Some(Cause::NotEnrolled), Condition::Quiet, Condition::Quiet),
        ];
        for (cause, cond, want) in cases {
            assert_eq!(
                channel_condition(cond, &ch(cause.clone())),
                want,
                "{cause:?}"
            );
        }
    }

    #[test]
    fn daemon_conditions() {
        let cfg = Config::default();
        let wedged = client(ClientState::Failing(FailureCause::ClientWedged), true);
        let server = client(ClientState::Failing(FailureCause::ServerError), true);
        let stalled = DaemonState::Stalled(StallSign::Explicit);
        let cases = [
            (
                daemon(stalled, None, false),
                &wedged,
                Condition::Fixable(Ground::Stalled),
            ),
            (
                daemon(DaemonState::Installing, Some("ScheduleOSUpdate"), true),
                &wedged,
                Condition::Installing,
            ),
            (
                daemon(DaemonState::Quiet, Some("ScheduleOSUpdate"), true),
                &wedged,
                Condition::Fixable(Ground::AddigySuCommand),
            ),
            // Addigy's rule with a server failing: reported, but a restart cannot fix the server.
            (
                daemon(DaemonState::Quiet, Some("ScheduleOSUpdate"), false),
                &server,
                Condition::NotFixable(FailureCause::ServerError),
            ),
            (
                daemon(DaemonState::Alive, None, false),
                &wedged,
                Condition::Alive,
            ),
            (
                daemon(DaemonState::Quiet, None, false),
                &wedged,
                Condition::Quiet,
            ),
            (
                daemon(DaemonState::Unknown, None, false),
                &wedged,
                Condition::Unknown,
            ),
        ];
        for (d, c, want) in cases {
            assert_eq!(daemon_condition(&d, c, &cfg), want, "{:?}", d.state);
        }
    }

    /// The DDM rule's part in heal (macOS 14-27): a staged update means installing; only a
    /// verified stall of an overdue declaration is a ground, and only over a quiet or alive
    /// softwareupdated; every other cause leaves the daemon's own condition.
    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "one table of cases: each DDM situation beside the heal condition it gives"
    )]
    fn ddm_conditions() {
        use ddm::{DdmSituation, InvalidDeclaration, Overdue, StuckCause};
        let with = |situation: DdmSituation| ddm::DdmAssessment {
            judgement: Judgement::new(Status::Failed, "x"),
            install_state: None,
            failure: None,
            pending_version: None,
            status_unknown: None,
            declarations: None,
            situation,
            staged: None,
            staged_waiting: false,
            staged_for_target: false,
            prepare_snapshot: None,
            unconfirmed: vec![],
        };
        let stuck = |c: StuckCause| DdmSituation::Overdue {
            minutes_over: 600,
            state: Overdue::Stuck(c),
        };
        let fixable = Condition::Fixable(Ground::Stalled);
        let cases = [
            (
                stuck(StuckCause::Stalled { verified: true }),
                Condition::Quiet,
                false,
                fixable,
            ),
            (
                stuck(StuckCause::Stalled { verified: true }),
                Condition::Alive,
                false,
                fixable,
            ),
            // A staged update wins over everything, a stall seen in the log included.
            (
                stuck(StuckCause::Stalled { verified: true }),
                Condition::Quiet,
                true,
                Condition::Installing,
            ),
            (
                DdmSituation::NoDeclarations,
                fixable,
                true,
                Condition::Installing,
            ),
            (
                stuck(StuckCause::Stalled { verified: false }),
                Condition::Unknown,
                false,
                Condition::Unknown,
            ),
            (
                stuck(StuckCause::Stalled { verified: true }),
                Condition::Installing,
                false,
                Condition::Installing,
            ),
            // Every other cause stands heal down with its own remedy, even over a stall the
            // progress lines show or Addigy's command rule: a restart cannot fix it.
            (
                stuck(StuckCause::DownloadFailing),
                Condition::Quiet,
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::DownloadFailing)),
            ),
            (
                stuck(StuckCause::DownloadFailing),
                fixable,
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::DownloadFailing)),
            ),
            (
                stuck(StuckCause::NotOffered),
                Condition::Alive,
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::NotOffered)),
            ),
            (
                stuck(StuckCause::PrerequisitesBlocking(vec![
                    readiness::BlockedBy {
                        check: BATTERY,
                        detail: "5% on battery, 50% needed".into(),
                    },
                ])),
                Condition::Fixable(Ground::AddigySuCommand),
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::PrerequisitesBlocking)),
            ),
            (
                stuck(StuckCause::DeclarationInvalid(InvalidDeclaration::Conflict)),
                Condition::Quiet,
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::DeclarationInvalid)),
            ),
            (
                DdmSituation::Missing {
                    logged: crate::parse::install_log::LoggedDeclaration {
                        version: Some("27.1".into()),
                        build: None,
                        enforced_install_date: None,
                    },
                },
                Condition::Quiet,
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::DeclarationInvalid)),
            ),
            // Installing (the log shows it) stays installing whatever the cause.
            (
                stuck(StuckCause::NotOffered),
                Condition::Installing,
                false,
                Condition::Installing,
            ),
            // Not stuck: the log rules decide.
            (
                DdmSituation::Due { minutes_left: 60 },
                fixable,
                false,
                fixable,
            ),
        ];
        for (situation, daemon, staged, want) in cases {
            let d = with(situation.clone());
            assert_eq!(
                ddm_condition(daemon, &d, staged),
                want,
                "{situation:?} {daemon:?} {staged}"
            );
        }
        // A prepared update's snapshot no version file names withholds every restart ground
        // (a DDM stall, the daemon's own stall, Addigy's rule) and grounds none; a versioned
        // staged update for the target still reads as installing.
        let prepared = |situation: DdmSituation| ddm::DdmAssessment {
            prepare_snapshot: Some(true),
            ..with(situation)
        };
        // The device's status saying installing: heal's reason is the install, except over
        // softwareupdated's own verified stall (a status block is an unverified shape).
        let installing = with(DdmSituation::Overdue {
            minutes_over: 600,
            state: Overdue::Installing,
        });
        assert_eq!(
            ddm_condition(Condition::Quiet, &installing, false),
            Condition::Installing
        );
        assert_eq!(
            ddm_condition(Condition::Fixable(Ground::Stalled), &installing, false),
            Condition::Fixable(Ground::Stalled)
        );
        let withheld = Condition::NotFixable(FailureCause::Ddm(DdmBlock::UpdatePrepared));
        for (situation, daemon, staged, want) in [
            (
                stuck(StuckCause::Stalled { verified: true }),
                Condition::Quiet,
                false,
                withheld,
            ),
            (DdmSituation::NoDeclarations, fixable, false, withheld),
            (
                DdmSituation::NoDeclarations,
                Condition::Fixable(Ground::AddigySuCommand),
                false,
                withheld,
            ),
            (
                DdmSituation::NoDeclarations,
                Condition::Quiet,
                false,
                Condition::Quiet,
            ),
            (
                stuck(StuckCause::Stalled { verified: true }),
                Condition::Quiet,
                true,
                Condition::Installing,
            ),
            (
                stuck(StuckCause::NotOffered),
                Condition::Quiet,
                false,
                Condition::NotFixable(FailureCause::Ddm(DdmBlock::NotOffered)),
            ),
        ] {
            assert_eq!(
                ddm_condition(daemon, &prepared(situation.clone()), staged),
                want,
                "prepared: {situation:?} {daemon:?} {staged}"
            );
        }
    }
}
