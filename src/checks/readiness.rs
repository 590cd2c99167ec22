//! `readiness`: one verdict per update kind (minor update, major upgrade, Rapid Security Response,
//! and the declared DDM target when one is active): `ready`, `blocked` with the blocking
//! checks, or `unknown` with why. Built from the other checks' typed assessments, so it adds no
//! rule of its own beyond which check matters for which kind:
//! - update: `power.battery` user-initiated, `disk.free_space` update headroom;
//! - upgrade: `power.battery` user-initiated, `disk.free_space` upgrade headroom;
//! - rsr: the security patch of the running macOS: a Rapid Security Response up to 26.0, a
//!   Background Security Improvement from 26.1 on (the report key stays `rsr` for the tools that
//!   read it; `security_patch` and the summary's label say which): `power.battery` RSR threshold
//!   (Apple's power table names RSRs only; BSIs are assumed alike) and no disk rule (no public
//!   space figure for either);
//! - mdm_initiated: an update the MDM installs (ScheduleOSUpdate, an enforcement declaration):
//!   the rules of the pending update's kind plus `bootstrap_token` on Apple silicon, since such
//!   installs authorise themselves with the bootstrap token (Apple, *Managing software updates
//!   for IT*); a user with a secure token can still install by hand, so the user-initiated kinds
//!   are not blocked by it;
//! - ddm_target: the rules of the target's kind (enforced installs have "the same requirements as
//!   a user-initiated update of the same type", Apple, *Managing software updates for IT*), plus `bootstrap_token` on Apple silicon
//!   (without it the install waits for a user's credentials) and a failed enforcement.

use super::battery::BatteryAssessment;
use super::bootstrap::BootstrapAssessment;
use super::client_liveness::ClientLivenessAssessment;
use super::daemon_liveness::DaemonLivenessAssessment;
use super::ddm::{DdmAssessment, StuckCause};
use super::disk::DiskAssessment;
use super::enrollment::EnrollmentAssessment;
use super::identity::IdentityAssessment;
use super::su_pending::PendingAssessment;
use super::su_settings::SettingsAssessment;
use super::{
    Judgement, Prerequisite, Status, UpdateKind, BATTERY, BOOTSTRAP, CLIENT_LIVENESS,
    DAEMON_LIVENESS, DDM, DISK, ENROLLMENT, IDENTITY, PUSH, SU_SETTINGS,
};

/// What readiness reads: the MDM path and the device's prerequisites, all typed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub enrollment: &'a EnrollmentAssessment,
    pub identity: &'a IdentityAssessment,
    pub client: &'a ClientLivenessAssessment,
    pub daemon: &'a DaemonLivenessAssessment,
    pub push: &'a super::push::PushAssessment,
    pub pending: &'a PendingAssessment,
    pub settings: &'a SettingsAssessment,
    pub ddm: &'a DdmAssessment,
    pub battery: &'a BatteryAssessment,
    pub disk: &'a DiskAssessment,
    pub bootstrap: &'a BootstrapAssessment,
    /// The MDM channel verdict: a disconnected channel blocks every kind first.
    pub channel: Option<&'a super::channel::ChannelAssessment>,
    /// The running macOS (which security patch the `rsr` kind is).
    pub os: &'a super::os_version::OsVersionAssessment,
}

/// The update kinds readiness answers for, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadinessKind {
    Update,
    Upgrade,
    Rsr,
    /// An update the MDM installs (ScheduleOSUpdate or an enforcement declaration).
    MdmInitiated,
    /// The declared DDM target, when a declaration is active.
    DdmTarget,
}

impl ReadinessKind {
    /// The key in the report's `readiness` section.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadinessKind::Update => "update",
            ReadinessKind::Upgrade => "upgrade",
            ReadinessKind::Rsr => "rsr",
            ReadinessKind::MdmInitiated => "mdm_initiated",
            ReadinessKind::DdmTarget => "ddm_target",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadinessState {
    Ready,
    /// Nothing of this kind is pending: the prerequisites would allow it, but there is nothing
    /// to install (never said of a kind that is blocked or unknown).
    NotOffered,
    Blocked,
    Unknown,
    /// The kind cannot happen on this macOS: an MDM-initiated install without a declaration
    /// on 27, where ScheduleOSUpdate is removed (the MDM installs only through a declaration).
    NotApplicable,
}

impl ReadinessState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadinessState::Ready => "ready",
            ReadinessState::NotOffered => "not_offered",
            ReadinessState::Blocked => "blocked",
            ReadinessState::Unknown => "unknown",
            ReadinessState::NotApplicable => "not_applicable",
        }
    }
}

/// A check that blocks a kind, and its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockedBy {
    pub check: &'static str,
    pub detail: String,
}

/// One update kind's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct KindReadiness {
    pub kind: ReadinessKind,
    pub state: ReadinessState,
    /// The version this verdict is about, when known (pending update, declared target).
    pub target: Option<String>,
    pub blocked_by: Vec<BlockedBy>,
    /// Why parts of the verdict are unknown (`check: probe and fault`).
    pub unknown: Vec<String>,
    /// The declared target is this same version and the MDM's own install is blocked: this
    /// verdict is about installing it by hand.
    pub by_hand: bool,
    /// The `rsr` kind only: which security patch the running macOS gets (BSI from 26.1 on);
    /// `None` for the other kinds or when the running version is unknown.
    pub security_patch: Option<super::os_version::SecurityPatch>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadinessAssessment {
    /// The summary is the human line: `update ready; upgrade blocked (...); rsr ready`.
    pub judgement: Judgement,
    /// In report order: update, upgrade, rsr, then the declared target when active.
    pub kinds: Vec<KindReadiness>,
    /// An update prepared on disk waiting for its restart (version, since), from the DDM check.
    pub staged: Option<crate::observe::StagedUpdate>,
}

impl ReadinessAssessment {
    pub fn kind(&self, k: ReadinessKind) -> Option<&KindReadiness> {
        self.kinds.iter().find(|v| v.kind == k)
    }
}

/// A kind with no target while the pending list is known is not offered, whatever would block
/// it: "upgrade blocked" with nothing to upgrade to reads as a problem that is not there (the
/// blockers stay on the kinds that are pending). An RSR's availability is not recorded where
/// mdmwatch reads, so it is never said. Same on macOS 15, 26 and 27.
fn offered(mut v: KindReadiness, pending_known: bool) -> KindReadiness {
    if pending_known && v.target.is_none() {
        v.state = ReadinessState::NotOffered;
        v.blocked_by.clear();
        v.unknown.clear();
    }
    v
}

#[derive(Default)]
struct Acc {
    blocked: Vec<BlockedBy>,
    unknown: Vec<String>,
}

impl Acc {
    fn unknown_of(&mut self, id: &str, j: &Judgement) {
        let why = j.reason.clone().unwrap_or_else(|| "not checked".into());
        self.unknown.push(format!("{id}: {why}"));
    }

    fn battery(&mut self, b: &BatteryAssessment, kind: UpdateKind) {
        let Some(r) = &b.reading else {
            return self.unknown_of(BATTERY, &b.judgement);
        };
        // Upgrades and updates share Apple's user-initiated threshold.
        let (state, need) = match kind {
            UpdateKind::Rsr => (r.rsr, r.internal.as_ref().map(|i| i.needed.rsr)),
            _ => (
                r.user_initiated,
                r.internal.as_ref().map(|i| i.needed.user_initiated),
            ),
        };
        match state {
            Prerequisite::Meets => {}
            Prerequisite::Blocks => self.blocked.push(BlockedBy {
                check: BATTERY,
                detail: match (r.internal.as_ref().map(|i| i.percent), need) {
                    (Some(p), Some(n)) => format!("{p}% on battery, {n}% needed"),
                    _ => b.judgement.summary.clone(),
                },
            }),
            Prerequisite::Unknown => self.unknown_of(BATTERY, &b.judgement),
        }
    }

    fn disk(&mut self, d: &DiskAssessment, kind: UpdateKind) {
        let Some(s) = &d.space else {
            return self.unknown_of(DISK, &d.judgement);
        };
        match s.for_kind(kind) {
            Prerequisite::Meets => {}
            Prerequisite::Blocks => self.blocked.push(BlockedBy {
                check: DISK,
                detail: match s.download(kind) {
                    Some(d) => format!(
                        "{:.1} GB free, {} needed ({} download + {} GB)",
                        s.free_gb(),
                        super::disk::gb(s.needed_bytes(kind)),
                        super::disk::gb(d.bytes),
                        s.headroom_gb(kind)
                    ),
                    None => format!(
                        "{:.1} GB free, {} GB needed",
                        s.free_gb(),
                        s.headroom_gb(kind)
                    ),
                },
            }),
            Prerequisite::Unknown => self.unknown_of(DISK, &d.judgement),
        }
    }

    fn verdict(self, kind: ReadinessKind, target: Option<String>) -> KindReadiness {
        let state = if !self.blocked.is_empty() {
            ReadinessState::Blocked
        } else if !self.unknown.is_empty() {
            ReadinessState::Unknown
        } else {
            ReadinessState::Ready
        };
        KindReadiness {
            kind,
            state,
            target,
            blocked_by: self.blocked,
            unknown: self.unknown,
            by_hand: false,
            security_patch: None,
        }
    }
}

/// The MDM path: an update the MDM wants reaches the Mac through an enrolled mdmclient with a
/// valid identity, and softwareupdated installs it. A failed MDM-health check blocks every
/// kind; an unknown one makes the verdict unknown unless something else already blocks it.
fn mdm_path(acc: &mut Acc, i: &Inputs<'_>) {
    // The channel verdict leads: a disconnected channel is the reason nothing the MDM wants
    // can arrive, whatever the details below say.
    if let Some(c) = i.channel {
        if c.situation.verdict == super::channel::Verdict::Disconnected {
            acc.blocked.push(BlockedBy {
                check: super::CHANNEL,
                detail: c.judgement.summary.clone(),
            });
        }
    }
    for (id, j) in [
        (ENROLLMENT, &i.enrollment.judgement),
        (IDENTITY, &i.identity.judgement),
        (CLIENT_LIVENESS, &i.client.judgement),
        (DAEMON_LIVENESS, &i.daemon.judgement),
    ] {
        match j.status {
            Status::Failed => acc.blocked.push(BlockedBy {
                check: id,
                detail: j.summary.clone(),
            }),
            Status::Unknown => acc.unknown_of(id, j),
            _ => {}
        }
    }
    // No push connection: the MDM cannot ask the Mac to check in, so the update it wants cannot
    // arrive. An unknown push state is common (a connection can be hours old) and unknown
    // readiness on every quiet Mac would say nothing, so only a failed one counts.
    if i.push.judgement.status == Status::Failed {
        acc.blocked.push(BlockedBy {
            check: PUSH,
            detail: i.push.judgement.summary.clone(),
        });
    }
}

/// The device prerequisites that block an install of this kind, exactly as the readiness verdict
/// counts them (battery and disk per kind, the bootstrap token for an MDM's own install): the
/// DDM stuck rule names its `prerequisites_blocking` cause from this, never from its own rule.
pub(crate) fn device_blockers(
    battery: &BatteryAssessment,
    disk: &DiskAssessment,
    bootstrap: &BootstrapAssessment,
    kind: UpdateKind,
) -> Vec<BlockedBy> {
    let mut acc = Acc::default();
    acc.battery(battery, kind);
    if kind != UpdateKind::Rsr {
        acc.disk(disk, kind);
    }
    token_rule(&mut acc, bootstrap);
    acc.blocked
}

fn kind_rules(acc: &mut Acc, i: &Inputs<'_>, kind: UpdateKind) {
    mdm_path(acc, i);
    acc.battery(i.battery, kind);
    // No public space figure for RSRs: disk is not assessed for them.
    if kind != UpdateKind::Rsr {
        acc.disk(i.disk, kind);
    }
}

/// Installs the MDM starts authorise themselves with the bootstrap token on Apple silicon: a
/// token problem blocks them (and only them).
fn token_rule(acc: &mut Acc, b: &BootstrapAssessment) {
    match b.judgement.status {
        Status::Warning | Status::Failed => acc.blocked.push(BlockedBy {
            check: BOOTSTRAP,
            detail: format!(
                "{}; a user with a secure token can still install it by hand",
                b.problem
                    .as_ref()
                    .map(|p| p.describe())
                    .unwrap_or_else(|| b.judgement.summary.clone())
            ),
        }),
        Status::Unknown => acc.unknown_of(BOOTSTRAP, &b.judgement),
        _ => {}
    }
}

/// The kind as admins say it: the security-patch kind by its name on this macOS (`bsi` from 26.1).
fn kind_label(v: &KindReadiness, k: ReadinessKind) -> &'static str {
    match (k, v.security_patch) {
        (ReadinessKind::Rsr, Some(p)) => p.short(),
        _ => k.as_str(),
    }
}

fn label(v: &KindReadiness) -> String {
    match (v.kind, &v.target) {
        (ReadinessKind::DdmTarget, Some(t)) => format!("declared target {t}"),
        (ReadinessKind::DdmTarget, None) => "declared target".into(),
        (ReadinessKind::MdmInitiated, Some(t)) => format!("MDM-initiated {t}"),
        (ReadinessKind::MdmInitiated, None) => "MDM-initiated".into(),
        (k, Some(t)) if v.by_hand => format!("{} {t} (by hand)", kind_label(v, k)),
        (k, Some(t)) => format!("{} {t}", kind_label(v, k)),
        (k, None) => kind_label(v, k).to_string(),
    }
}

fn listing(b: &[&BlockedBy]) -> String {
    b.iter()
        .map(|b| format!("{}: {}", b.check, b.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The human lines: each reason once. A blocker every kind shares is said once for all; kinds
/// with the same outcome share a line. One line per group, in report order.
pub(crate) fn summary_lines(kinds: &[KindReadiness]) -> Vec<String> {
    let common: Vec<&BlockedBy> = match kinds.first() {
        Some(first) if kinds.len() > 1 => first
            .blocked_by
            .iter()
            .filter(|b| kinds.iter().all(|k| k.blocked_by.contains(b)))
            .collect(),
        _ => Vec::new(),
    };
    let mut lines = Vec::new();
    if !common.is_empty() {
        lines.push(format!("every kind blocked ({})", listing(&common)));
    }
    // (labels, outcome text) in first-seen order.
    let mut groups: Vec<(Vec<String>, String)> = Vec::new();
    for v in kinds {
        let own: Vec<&BlockedBy> = v
            .blocked_by
            .iter()
            .filter(|b| !common.contains(b))
            .collect();
        if v.state == ReadinessState::Blocked && own.is_empty() {
            continue; // said by the common line
        }
        let outcome = match v.state {
            ReadinessState::Blocked if common.is_empty() => format!("blocked ({})", listing(&own)),
            ReadinessState::Blocked => format!("also blocked ({})", listing(&own)),
            ReadinessState::NotApplicable => {
                "not applicable (macOS 27 removed ScheduleOSUpdate: the MDM installs only through an enforcement declaration, and none is active)".into()
            }
            other => other.as_str().replace('_', " "),
        };
        match groups.iter_mut().find(|(_, o)| *o == outcome) {
            Some((labels, _)) => labels.push(label(v)),
            None => groups.push((vec![label(v)], outcome)),
        }
    }
    for (labels, outcome) in groups {
        lines.push(format!("{} {outcome}", labels.join(", ")));
    }
    lines
}

/// The verdicts, from the assessments already made.
pub(crate) fn assess(i: &Inputs<'_>) -> ReadinessAssessment {
    let kinds = decide(i);
    ReadinessAssessment {
        judgement: judge(&kinds),
        kinds,
        // Only an update still to apply: a record of one already applied is not staged.
        staged: i.ddm.staged.clone().filter(|_| i.ddm.staged_waiting),
    }
}

/// One verdict per kind, in report order; no wording beyond each blocker's numbers.
pub(crate) fn decide(i: &Inputs<'_>) -> Vec<KindReadiness> {
    let pending = i.pending.prefs.as_ref();
    let mut kinds = Vec::new();
    for (rk, uk) in [
        (ReadinessKind::Update, UpdateKind::Update),
        (ReadinessKind::Upgrade, UpdateKind::Upgrade),
        (ReadinessKind::Rsr, UpdateKind::Rsr),
    ] {
        let mut acc = Acc::default();
        kind_rules(&mut acc, i, uk);
        let target = match uk {
            UpdateKind::Update => pending.and_then(|p| p.os_update_version.clone()),
            UpdateKind::Upgrade => pending.and_then(|p| p.os_upgrade_version.clone()),
            UpdateKind::Rsr => None,
        };
        let mut v = offered(
            acc.verdict(rk, target),
            pending.is_some() && uk != UpdateKind::Rsr,
        );
        if uk == UpdateKind::Rsr {
            v.security_patch =
                i.os.os.as_ref().map(|o| {
                    super::os_version::SecurityPatch::for_version(&o.version.product_version)
                });
        }
        kinds.push(v);
    }
    let declared = i.ddm.declarations.as_ref().and_then(|d| d.target.as_ref());
    // What the MDM would install: the declared target, else the pending update, else the
    // pending upgrade.
    let (mdm_kind, mdm_target) = match declared {
        Some(t) => (t.kind.unwrap_or(UpdateKind::Update), Some(t.label())),
        None => match pending {
            Some(p) if p.os_update_version.is_some() => {
                (UpdateKind::Update, p.os_update_version.clone())
            }
            Some(p) if p.os_upgrade_version.is_some() => {
                (UpdateKind::Upgrade, p.os_upgrade_version.clone())
            }
            _ => (UpdateKind::Update, None),
        },
    };
    // With a declaration active, the declared target below is what the MDM installs. On 27
    // without one the MDM has no way to start an install (ScheduleOSUpdate is removed).
    let removed = i.settings.legacy == Some(super::os_version::LegacySurface::Removed);
    if declared.is_none() && removed {
        kinds.push(KindReadiness {
            kind: ReadinessKind::MdmInitiated,
            state: ReadinessState::NotApplicable,
            target: None,
            blocked_by: Vec::new(),
            unknown: Vec::new(),
            by_hand: false,
            security_patch: None,
        });
    } else if declared.is_none() {
        let mut acc = Acc::default();
        kind_rules(&mut acc, i, mdm_kind);
        token_rule(&mut acc, i.bootstrap);
        kinds.push(offered(
            acc.verdict(ReadinessKind::MdmInitiated, mdm_target),
            pending.is_some(),
        ));
    }
    if let Some(t) = declared {
        let target = declared_target(i, t, &mut kinds);
        kinds.push(target);
    }
    kinds
}

/// The readiness finding's words: the summary lines, the status and why parts are unknown.
pub(crate) fn judge(kinds: &[KindReadiness]) -> Judgement {
    let summary = summary_lines(kinds).join("; ");
    let status = if kinds.iter().any(|v| v.state == ReadinessState::Blocked) {
        Status::Warning
    } else if kinds.iter().any(|v| v.state == ReadinessState::Unknown) {
        Status::Unknown
    } else {
        Status::Ok
    };
    let mut judgement = Judgement::new(status, summary)
        .remediation("fix the blocking findings listed for each update kind");
    if status == Status::Unknown {
        let why: std::collections::BTreeSet<&String> =
            kinds.iter().flat_map(|v| v.unknown.iter()).collect();
        judgement.reason = Some(
            why.into_iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    judgement
}

/// The declared target, when a declaration is active: the rules of its kind (enforced installs
/// have "the same requirements as a user-initiated update of the same type"), plus the bootstrap
/// token and a failed enforcement. Also marks the by-hand kinds it affects.
fn declared_target(
    i: &Inputs<'_>,
    t: &super::ddm::Target,
    kinds: &mut [KindReadiness],
) -> KindReadiness {
    let pending = i.pending.prefs.as_ref();
    let mut acc = Acc::default();
    kind_rules(&mut acc, i, t.kind.unwrap_or(UpdateKind::Update));
    token_rule(&mut acc, i.bootstrap);
    // Stuck past its deadline: the typed cause, worded by the DDM check. Prerequisites are
    // already this verdict's own blockers (the same rule named them), so they are not repeated.
    match i.ddm.situation.stuck() {
        Some(StuckCause::PrerequisitesBlocking(_)) | None => {}
        Some(cause) if i.ddm.situation.blocks_target() => acc.blocked.push(BlockedBy {
            check: DDM,
            detail: super::ddm::stuck_reason(&cause, i.ddm.failure.as_ref()),
        }),
        Some(_) => {}
    }
    let failed = acc.blocked.iter().find(|b| b.check == DDM).cloned();
    let target = acc.verdict(ReadinessKind::DdmTarget, Some(t.label()));
    // The same version pending by hand must not read "ready" beside a blocked declared
    // target: a failed install of it fails by hand too; a token problem only stops the MDM's
    // own install, which the label then says.
    for v in kinds.iter_mut().filter(|v| {
        matches!(v.kind, ReadinessKind::Update | ReadinessKind::Upgrade)
            && v.target.is_some()
            && v.target == t.os_version
    }) {
        if let Some(f) = &failed {
            v.blocked_by.push(f.clone());
            v.state = ReadinessState::Blocked;
        }
        v.by_hand = target.state == ReadinessState::Blocked && v.state != target.state;
    }
    // A deferral hides the declared version from users until it is that many days old
    // (the enforced install at the deadline is not deferred, Apple, *Managing software
    // updates for IT*): while it is not pending, installing it by hand is blocked.
    let kind = t.kind.unwrap_or(UpdateKind::Update);
    let pending_versions: Vec<&str> = pending
        .map(|p| {
            p.pending
                .iter()
                .filter_map(|u| u.display_version.as_deref())
                .collect()
        })
        .unwrap_or_default();
    if let (Some(days), Some(version), Some(_)) = (
        i.settings.deferral_days(kind),
        t.os_version.as_deref(),
        pending,
    ) {
        let by_hand = match kind {
            UpdateKind::Upgrade => ReadinessKind::Upgrade,
            _ => ReadinessKind::Update,
        };
        if !pending_versions.contains(&version) {
            if let Some(v) = kinds.iter_mut().find(|v| v.kind == by_hand) {
                if v.target.is_none() {
                    v.target = Some(version.to_string());
                }
                v.blocked_by.push(BlockedBy {
                    check: SU_SETTINGS,
                    detail: format!(
                        "a managed deferral of {days} days hides {version} from users until {days} days after its release; the enforced install at the deadline is not deferred"
                    ),
                });
                v.state = ReadinessState::Blocked;
            }
        }
    }
    target
}

/// The check fixtures now live in the one test kit (`crate::test_support`); this path stays so
/// the checks that still import it keep compiling until they move.
#[cfg(test)]
pub(crate) mod support {
    pub use crate::test_support::*;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::diagnose;
    use crate::config::Config;
    use crate::system::ProbeResult;
    use crate::test_support::*;
    use expect_test::{expect, Expect};

    /// `decide` (through `diagnose`, which feeds it the other assessments) on the base Mac with
    /// these probe results replaced: one line per kind, with the blocking checks and the checks
    /// that left it unknown.
    fn check(replace: Vec<ProbeResult>, expected: Expect) {
        let b = replace.into_iter().fold(base(), with);
        let d = diagnose(&obs(b), &Config::default());
        let lines: Vec<String> = d
            .readiness()
            .unwrap()
            .kinds
            .iter()
            .map(|v| {
                let unknown: Vec<&str> = v
                    .unknown
                    .iter()
                    .map(|u| u.split(':').next().unwrap_or(""))
                    .collect();
                format!(
                    "{}: {} target {:?} blocked {:?} unknown {unknown:?}{}",
                    v.kind.as_str(),
                    v.state.as_str(),
                    v.target,
                    v.blocked_by.iter().map(|b| b.check).collect::<Vec<_>>(),
                    if v.by_hand { " by hand" } else { "" }
                )
            })
            .collect();
        expected.assert_eq(&lines.join("\n"));
    }

    #[test]
    fn decide_verdicts() {
        check(
            vec![],
            expect![[r#"
            update: ready target None blocked [] unknown []
            upgrade: ready target None blocked [] unknown []
            rsr: ready target None blocked [] unknown []
            mdm_initiated: ready target None blocked [] unknown []"#]],
        );
        check(
            vec![ok(
                "pmset_batt",
                b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t15%; discharging; 1:10 remaining present: true\n",
            )],
            expect![[r#"
                update: blocked target None blocked ["power.battery"] unknown []
                upgrade: blocked target None blocked ["power.battery"] unknown []
                rsr: ready target None blocked [] unknown []
                mdm_initiated: blocked target None blocked ["power.battery"] unknown []"#]],
        );
        check(
            vec![ok(
                "mdmclient_qdi",
                b"{ EACSPreflight = \"System is not on full security\"; }",
            )],
            expect![[r#"
                update: ready target None blocked [] unknown []
                upgrade: ready target None blocked [] unknown []
                rsr: ready target None blocked [] unknown []
                mdm_initiated: blocked target None blocked ["bootstrap_token"] unknown []"#]],
        );
        check(
            vec![failed("diskutil_root", 1, "diskutil: error")],
            expect![[r#"
                update: unknown target None blocked [] unknown ["disk.free_space"]
                upgrade: unknown target None blocked [] unknown ["disk.free_space"]
                rsr: ready target None blocked [] unknown []
                mdm_initiated: unknown target None blocked [] unknown ["disk.free_space"]"#]],
        );
        // 27 with no declaration: the MDM cannot start an install (ScheduleOSUpdate removed).
        check(
            vec![ok(
                "sw_vers",
                b"ProductName:\t\tmacOS\nProductVersion:\t\t27.0.1\nBuildVersion:\t\t26A8412\n",
            )],
            expect![[r#"
                update: ready target None blocked [] unknown []
                upgrade: ready target None blocked [] unknown []
                rsr: ready target None blocked [] unknown []
                mdm_initiated: not_applicable target None blocked [] unknown []"#]],
        );
    }

    /// The security-patch kind is named for the running macOS: an RSR up to 26.0, a BSI from
    /// 26.1 (in the verdict and the summary's label; the key stays `rsr`); unknown version: not
    /// named.
    #[test]
    fn the_security_patch_kind_follows_the_version() {
        use super::super::os_version::SecurityPatch;
        let on = |version: &str, build: &str| {
            let sw = format!(
                "ProductName:\t\tmacOS\nProductVersion:\t\t{version}\nBuildVersion:\t\t{build}\n"
            );
            let d = diagnose(
                &obs(with(base(), ok("sw_vers", sw.as_bytes()))),
                &Config::default(),
            );
            let r = d.readiness().unwrap().clone();
            let v = r.kind(ReadinessKind::Rsr).unwrap().clone();
            (v.security_patch, r.judgement.summary)
        };
        let (p, summary) = on("15.7.2", "24G325");
        assert_eq!(p, Some(SecurityPatch::RapidSecurityResponse));
        assert!(summary.contains("rsr"), "{summary}");
        let (p, summary) = on("26.0.1", "25A362");
        assert_eq!(p, Some(SecurityPatch::RapidSecurityResponse));
        assert!(summary.contains("rsr"), "{summary}");
        for (v, b) in [
            ("26.1", "25B78"),
            ("26.3.1", "25D2128"),
            ("27.0.1", "26A8412"),
        ] {
            let (p, summary) = on(v, b);
            assert_eq!(p, Some(SecurityPatch::BackgroundSecurityImprovement), "{v}");
            assert!(
                summary.contains("bsi") && !summary.contains("rsr"),
                "{v}: {summary}"
            );
        }
        let mut b = base();
        b.retain(|r| r.id != "sw_vers");
        let d = diagnose(&obs(b), &Config::default());
        let r = d.readiness().unwrap();
        assert_eq!(r.kind(ReadinessKind::Rsr).unwrap().security_patch, None);
    }

    #[test]
    fn judge_wording() {
        let d = diagnose(&obs(base()), &Config::default());
        let j = judge(&d.readiness().unwrap().kinds);
        assert_eq!(j.status, Status::Ok);
        expect!["update, upgrade, rsr, MDM-initiated ready"].assert_eq(&j.summary);
        let b = with(
            base(),
            ok(
                "mdmclient_qdi",
                b"{ EACSPreflight = \"System is not on full security\"; }",
            ),
        );
        let d = diagnose(&obs(b), &Config::default());
        let j = judge(&d.readiness().unwrap().kinds);
        assert_eq!(j.status, Status::Warning);
        expect![[r#"update, upgrade, rsr ready; MDM-initiated blocked (bootstrap_token: bootstrap token escrowed but EACSPreflight says "System is not on full security"; a user with a secure token can still install it by hand)"#]].assert_eq(&j.summary);
    }

    #[test]
    fn all_ready_then_unknown_when_probes_fail() {
        let d = diagnose(&obs(base()), &Config::default());
        let r = d.readiness().unwrap();
        assert!(r.kinds.iter().all(|v| v.state == ReadinessState::Ready));
        // pmset missing: battery unknown, so every kind is unknown with the probe named.
        let mut b = base();
        b.retain(|x| x.id != "pmset_batt");
        let d = diagnose(&obs(b), &Config::default());
        let r = d.readiness().unwrap();
        let update = r.kind(ReadinessKind::Update).unwrap();
        assert_eq!(update.state, ReadinessState::Unknown);
        assert!(update.unknown[0].contains("pmset_batt"), "{update:?}");
        assert_eq!(r.judgement.status, Status::Unknown);
        assert!(r
            .judgement
            .reason
            .as_deref()
            .unwrap()
            .contains("pmset_batt"));
    }

    #[test]
    fn a_stuck_or_absent_mdm_path_blocks_every_kind() {
        let stuck = with(
            base(),
            ok(
                "log_mdmclient",
                include_bytes!("../../tests/fixtures/logs/mdmclient_stuck_errors.ndjson"),
            ),
        );
        let d = diagnose(&obs(stuck), &Config::default());
        let r = d.readiness().unwrap();
        for v in &r.kinds {
            assert_eq!(v.state, ReadinessState::Blocked, "{:?}", v.kind);
            assert_eq!(v.blocked_by[0].check, CLIENT_LIVENESS);
        }
        let not_enrolled = with(
            with(
                base(),
                ok(
                    "profiles_enrollment",
                    b"Enrolled via DEP: No\nMDM enrollment: No\n",
                ),
            ),
            ok(
                "profiles_mdm",
                include_bytes!("../../tests/fixtures/profiles/no_mdm_payload.xml"),
            ),
        );
        let d = diagnose(&obs(not_enrolled), &Config::default());
        let r = d.readiness().unwrap();
        assert!(
            r.kind(ReadinessKind::Update)
                .unwrap()
                .blocked_by
                .iter()
                .any(|b| b.check == ENROLLMENT),
            "{r:?}"
        );
        let mut no_log = base();
        no_log.retain(|x| x.id != "log_mdmclient");
        let d = diagnose(&obs(no_log), &Config::default());
        let update = d.readiness().unwrap().kind(ReadinessKind::Update).unwrap();
        assert_eq!(update.state, ReadinessState::Unknown);
        assert!(
            update.unknown.iter().any(|u| u.contains("log_mdmclient")),
            "{update:?}"
        );
    }

    #[test]
    fn a_blocker_wins_over_unknowns() {
        let b = with(base(), ok("pmset_batt", b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t12%; discharging; (no estimate) present: true\n"));
        let mut b = b;
        b.retain(|x| x.id != "diskutil_root" && x.id != "mdmclient_qdi");
        let d = diagnose(&obs(b), &Config::default());
        let r = d.readiness().unwrap();
        let update = r.kind(ReadinessKind::Update).unwrap();
        assert_eq!(update.state, ReadinessState::Blocked);
        assert_eq!(update.unknown.len(), 1, "disk unknown is listed too");
        assert_eq!(
            r.kind(ReadinessKind::Rsr).unwrap().state,
            ReadinessState::Ready
        );
    }

    #[test]
    fn a_token_problem_blocks_mdm_initiated_installs_only() {
        let b = with(
            base(),
            ok(
                "mdmclient_qdi",
                b"{ EACSPreflight = \"System is not on full security\"; }",
            ),
        );
        let d = diagnose(&obs(b), &Config::default());
        let r = d.readiness().unwrap();
        for k in [
            ReadinessKind::Update,
            ReadinessKind::Upgrade,
            ReadinessKind::Rsr,
        ] {
            assert_eq!(r.kind(k).unwrap().state, ReadinessState::Ready, "{k:?}");
        }
        let m = r.kind(ReadinessKind::MdmInitiated).unwrap();
        assert_eq!(m.state, ReadinessState::Blocked);
        assert_eq!(m.blocked_by[0].check, BOOTSTRAP);
        assert!(m.blocked_by[0].detail.contains("by hand"), "{m:?}");
        // Unknown EACSPreflight on 13.3+: MDM-initiated installs are unknown, not ready.
        let b = with(base(), ok("mdmclient_qdi", b"{ IsSupervised = 1; }"));
        let d = diagnose(&obs(b), &Config::default());
        let m = d
            .readiness()
            .unwrap()
            .kind(ReadinessKind::MdmInitiated)
            .unwrap()
            .clone();
        assert_eq!(m.state, ReadinessState::Unknown);
        assert!(m.unknown[0].starts_with("bootstrap_token: "), "{m:?}");
    }
}
