//! `softwareupdate.settings`: settings that silently stop updates from reaching the user.
//!
//! - Catalog: `IsDefaultCatalog = 0` in mdmclient QueryDeviceInformation's `OSUpdateSettings`
//!   means a beta/seed catalog (kolide/launcher testdata: a `10.14seed` CatalogURL beside
//!   `IsDefaultCatalog = 0`): the Mac is offered betas.
//! - Automatic updates: `AutomaticCheckEnabled`, `AutomaticDownload`,
//!   `AutomaticallyInstallMacOSUpdates`, `CriticalUpdateInstall` of `com.apple.SoftwareUpdate`,
//!   managed (`/Library/Managed Preferences`) over local; with checking off nothing new is found.
//! - Deferrals (restrictions payload `com.apple.applicationaccess`, Apple's schema):
//!   `forceDelayedSoftwareUpdates` with `enforcedSoftwareUpdateMinorOSDeferredInstallDelay` (else
//!   `enforcedSoftwareUpdateDelay`, default 30 days) for updates, `forceDelayedMajorSoftwareUpdates`
//!   with `enforcedSoftwareUpdateMajorOSDeferredInstallDelay` (else the same) for upgrades. A
//!   deferral hides a release from users until it is that many days old; an enforced install at
//!   its deadline is not deferred (Apple, *Managing software updates for IT*: "regardless of
//!   configured deferrals").
//!
//! A managed file that does not exist means "not managed", not unknown.
//!
//! Versions: on macOS 15 and earlier the catalog is mdmclient's `IsDefaultCatalog`. On 26 that
//! query is deprecated and DDM is the source of record: a beta/seed setting softwareupdated
//! persisted with its DDM global settings (`SUCoreDDMDeclarationGlobalSettings`, fixture
//! `…global_settings__macos26.2.plist`; usnistgov/macos_security#715) wins over it. On 27 the
//! seeding enrollment (`seedutil current`, `parse::seedutil`) comes next: enrolled means betas
//! whatever the deprecated query says (on 15 too). On 27 the
//! OSUpdateSettings query, the `com.apple.SoftwareUpdate` profile and the deferral restriction
//! keys are removed: their absence is `not_applicable` ("removed in macOS 27"), never unknown,
//! and a leftover managed file or deferral key is reported as ignored, not applied.

use super::os_version::LegacySurface;
use super::{Evidence, Judgement, Status, UpdateKind};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::update_settings::{PrefValues, AUTOMATIC_KEYS};
use crate::parse::{Fact, Fault};
use crate::probes;

/// Apple's default deferral when the delay key is absent.
pub(crate) const DEFAULT_DEFERRAL_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingSource {
    Managed,
    Local,
}

impl SettingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SettingSource::Managed => "managed",
            SettingSource::Local => "local",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutomaticSetting {
    pub key: &'static str,
    /// `None`: set nowhere (macOS's default applies).
    pub value: Option<(bool, SettingSource)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SettingsAssessment {
    pub judgement: Judgement,
    /// `IsDefaultCatalog`; `None` when mdmclient did not say.
    pub default_catalog: Option<bool>,
    pub catalog_url: Option<String>,
    pub automatic: Vec<AutomaticSetting>,
    /// Days a minor update / a major upgrade is hidden after release; `None` when not deferred.
    pub minor_deferral_days: Option<i64>,
    pub major_deferral_days: Option<i64>,
    /// `false` when the restrictions could not be read (not merely absent).
    pub deferrals_known: bool,
    /// Where the catalog answer came from.
    pub catalog_source: CatalogSource,
    /// The legacy surface on the running OS (`None`: sw_vers unknown).
    pub legacy: Option<LegacySurface>,
}

/// Where the beta/seed catalog answer came from.
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogSource {
    /// mdmclient QueryDeviceInformation `IsDefaultCatalog` (macOS 15 and earlier; 26 deprecated).
    Mdmclient,
    /// A beta/seed key softwareupdated persisted from the MDM's DDM global settings (26+).
    DdmGlobalSettings(String),
    /// The seeding enrollment (`seedutil current`, 26+): the enrollment line as printed.
    SeedingEnrollment(String),
    /// The query is removed on this macOS and DDM recorded no beta setting: not applicable.
    RemovedIn27,
    /// Nothing said.
    None,
}

impl CatalogSource {
    pub fn code(&self) -> &'static str {
        match self {
            CatalogSource::Mdmclient => "mdmclient_qdi",
            CatalogSource::DdmGlobalSettings(_) => "ddm_global_settings",
            CatalogSource::SeedingEnrollment(_) => "seeding_enrollment",
            CatalogSource::RemovedIn27 => "not_applicable_removed_in_macos_27",
            CatalogSource::None => "none",
        }
    }
}

/// A beta/seed program key among the DDM global settings softwareupdated persisted, with its
/// value (Apple's settings declaration calls it `Beta`; the persisted key names are not
/// published, so any key naming beta or seed counts). `Some(true)`: a beta program is on.
fn ddm_beta(obs: &Observations) -> Option<(String, bool)> {
    let st = obs.ddm_state.as_ref().ok()?;
    st.global_settings.iter().find_map(|(k, v)| {
        let lk = k.to_ascii_lowercase();
        (lk.contains("beta") || lk.contains("seed")).then(|| {
            let lv = v.trim().to_ascii_lowercase();
            let on = !matches!(
                lv.as_str(),
                "0" | "false" | "no" | "" | "alwaysoff" | "none" | "disabled"
            );
            (format!("{k} = {v}"), on)
        })
    })
}

impl SettingsAssessment {
    /// The deferral that hides an update of `kind` from users. A security patch (an RSR, or a
    /// Background Security Improvement on 26.1+) has none: Apple's softwareupdate.settings schema
    /// says "Rapid Security Responses aren't considered in `Major`, `Minor`, or `System` deferral
    /// mechanism" (macOS 15) and the same of Background Security Improvements (26). That the legacy
    /// restriction keys behave alike is assumed, not seen.
    pub fn deferral_days(&self, kind: UpdateKind) -> Option<i64> {
        match kind {
            UpdateKind::Upgrade => self.major_deferral_days,
            UpdateKind::Rsr => None,
            UpdateKind::Update => self.minor_deferral_days,
        }
    }
}

/// `Ok(None)` for a file that does not exist.
fn optional(f: &Fact<PrefValues>) -> Result<Option<&PrefValues>, String> {
    match f {
        Ok(p) => Ok(Some(p)),
        Err(u) if u.fault == Fault::Missing => Ok(None),
        Err(u) => Err(u.to_string()),
    }
}

/// Where one preferences file stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FileState {
    Read,
    /// A managed file that does not exist: not managed.
    NotManaged,
    /// A managed `com.apple.SoftwareUpdate` file on macOS 27, where the profile is removed.
    IgnoredRemovedIn27,
    Unknown(String),
}

/// The managed deferrals.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Deferrals {
    /// No restrictions payload.
    NotManaged,
    /// The deferral keys are removed in macOS 27: nothing defers.
    RemovedIn27,
    /// Days an update / an upgrade is hidden after release (`None`: that kind is not deferred).
    Set {
        minor: Option<i64>,
        major: Option<i64>,
    },
    Unknown(String),
}

/// What the settings add up to: the output of [`decide`], worded by [`judge`]. Covers macOS 15
/// (mdmclient, managed preferences, restrictions), 26 (DDM's beta setting first) and 27 (the
/// legacy surface removed: not applicable, never unknown).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SettingsSituation {
    pub default_catalog: Option<bool>,
    pub catalog_source: CatalogSource,
    pub catalog_url: Option<String>,
    /// Why the catalog is unknown (mdmclient failed and nothing else said).
    pub catalog_unknown: Option<String>,
    pub managed_file: FileState,
    pub local_file: FileState,
    pub automatic: Vec<AutomaticSetting>,
    pub deferrals: Deferrals,
    pub legacy: Option<LegacySurface>,
    /// Neither mdmclient nor the local preferences answered, and nothing managed says anything.
    pub nothing_known: bool,
    /// Why the seeding enrollment (`seedutil current`) could not be read.
    pub seed_unknown: Option<String>,
}

fn file_state(f: Result<Option<&PrefValues>, String>) -> FileState {
    match f {
        Ok(Some(_)) => FileState::Read,
        Ok(None) => FileState::NotManaged,
        Err(e) => FileState::Unknown(e),
    }
}

/// The deferrals the restrictions payload sets.
fn deferrals(obs: &Observations, removed: bool) -> Deferrals {
    // 27 removed the deferral keys (enforcedSoftwareUpdate*Delay, forceDelayed*): whatever the
    // payload holds defers nothing.
    match optional(&obs.managed_restrictions) {
        _ if removed => Deferrals::RemovedIn27,
        Ok(Some(r)) => {
            let fallback = r.int("enforcedSoftwareUpdateDelay");
            let days = |force: &str, key: &str| {
                (r.bool(force) == Some(true))
                    .then(|| r.int(key).or(fallback).unwrap_or(DEFAULT_DEFERRAL_DAYS))
            };
            Deferrals::Set {
                minor: days(
                    "forceDelayedSoftwareUpdates",
                    "enforcedSoftwareUpdateMinorOSDeferredInstallDelay",
                ),
                major: days(
                    "forceDelayedMajorSoftwareUpdates",
                    "enforcedSoftwareUpdateMajorOSDeferredInstallDelay",
                ),
            }
        }
        Ok(None) => Deferrals::NotManaged,
        Err(e) => Deferrals::Unknown(e),
    }
}

pub(crate) fn decide(obs: &Observations) -> SettingsSituation {
    let legacy = LegacySurface::of_obs(obs);
    let removed = legacy == Some(LegacySurface::Removed);
    let qdi = obs.device_info.as_ref().ok();
    let mut default_catalog = qdi
        .and_then(|d| d.get("IsDefaultCatalog"))
        .map(|v| v.trim() != "0");
    let mut catalog_source = if default_catalog.is_some() {
        CatalogSource::Mdmclient
    } else {
        CatalogSource::None
    };
    // 26+: what softwareupdated recorded from DDM is the source of record; then the seeding
    // enrollment (on any version a Mac enrolled in a seed program is offered betas whatever the
    // MDM query says); then the query (deprecated on 26); a seeding "not enrolled" answers on
    // 26+ when the query does not (27: removed).
    let seed = obs.seed_enrollment.as_ref().ok();
    let modern = matches!(
        legacy,
        Some(LegacySurface::Deprecated | LegacySurface::Removed)
    );
    match (ddm_beta(obs), seed) {
        (Some((what, on)), _) if modern => {
            default_catalog = Some(!on);
            catalog_source = CatalogSource::DdmGlobalSettings(what);
        }
        (None, Some(e)) if e.enrolled() || (modern && (removed || default_catalog.is_none())) => {
            default_catalog = Some(!e.enrolled());
            catalog_source = CatalogSource::SeedingEnrollment(e.line.clone());
        }
        _ if removed => {
            default_catalog = None;
            catalog_source = CatalogSource::RemovedIn27;
        }
        _ => {}
    }
    let catalog_unknown = match (&default_catalog, &obs.device_info) {
        (None, Err(u)) if !removed => Some(u.to_string()),
        _ => None,
    };
    // 27 removed the com.apple.SoftwareUpdate profile: a leftover managed file applies nothing.
    let managed_raw = optional(&obs.managed_su_settings);
    let (managed, managed_file) = match managed_raw {
        Ok(Some(_)) if removed => (Ok(None), FileState::IgnoredRemovedIn27),
        Err(_) if removed => (Ok(None), FileState::NotManaged),
        other => (other.clone(), file_state(other)),
    };
    // The local preferences file exists on every Mac: absent is unknown, not "not set".
    let local: Result<Option<&PrefValues>, String> = match &obs.local_su_settings {
        Ok(p) => Ok(Some(p)),
        Err(u) => Err(u.to_string()),
    };
    let automatic: Vec<AutomaticSetting> = AUTOMATIC_KEYS
        .iter()
        .map(|key| {
            let m = managed.clone().ok().flatten().and_then(|p| p.bool(key));
            let l = local.clone().ok().flatten().and_then(|p| p.bool(key));
            let value = match (m, l) {
                (Some(v), _) => Some((v, SettingSource::Managed)),
                (None, Some(v)) => Some((v, SettingSource::Local)),
                _ => None,
            };
            AutomaticSetting { key, value }
        })
        .collect();
    let deferrals = deferrals(obs, removed);
    let (minor, major) = match &deferrals {
        Deferrals::Set { minor, major } => (*minor, *major),
        _ => (None, None),
    };
    let nothing_known = obs.device_info.is_err()
        && local.is_err()
        && automatic.iter().all(|a| a.value.is_none())
        && minor.is_none()
        && major.is_none();
    SettingsSituation {
        default_catalog,
        catalog_url: qdi.and_then(|d| d.get("CatalogURL")).map(str::to_string),
        catalog_source,
        catalog_unknown,
        managed_file,
        local_file: file_state(local),
        automatic,
        deferrals,
        legacy,
        nothing_known,
        seed_unknown: obs.seed_enrollment.as_ref().err().map(|u| u.to_string()),
    }
}

/// Every sentence and evidence line of `softwareupdate.settings`.
/// The beta catalog, with the source that told it (DDM, seedutil, the MDM query).
fn catalog_words(s: &SettingsSituation, evidence: &mut Vec<Evidence>, problems: &mut Vec<String>) {
    match (&s.catalog_source, s.default_catalog) {
        (CatalogSource::DdmGlobalSettings(what), on) => {
            evidence.push(Evidence::line(
                probes::DDM_STATE,
                format!("SUCoreDDMDeclarationGlobalSettings.{what}"),
            ));
            if on == Some(false) {
                problems.push(
                    "a beta program is on in the MDM's DDM settings: this Mac is offered beta releases"
                        .into(),
                );
            }
        }
        (CatalogSource::SeedingEnrollment(line), on) => {
            evidence
                .push(Evidence::line(probes::SEEDUTIL, format!("seedutil current: {line}")));
            if on == Some(false) {
                problems.push(
                    "enrolled in a beta/seed program (seedutil): this Mac is offered beta releases"
                        .into(),
                );
            }
        }
        (CatalogSource::RemovedIn27, _) => evidence.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            "OSUpdateSettings (IsDefaultCatalog) is removed in macOS 27 and DDM recorded no beta setting: catalog not applicable",
        )),
        (_, Some(false)) => {
            problems.push("a beta/seed catalog is configured (IsDefaultCatalog = 0): this Mac is offered beta releases".into());
            evidence.push(Evidence::line(
                probes::MDMCLIENT_QDI,
                format!(
                    "IsDefaultCatalog = 0{}",
                    s.catalog_url
                        .as_deref()
                        .map(|u| format!(", CatalogURL = {u}"))
                        .unwrap_or_default()
                ),
            ));
        }
        (_, Some(true)) => evidence.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            "IsDefaultCatalog = 1",
        )),
        (_, None) => {}
    }
}

/// The deferrals of the restrictions payload.
fn deferral_words(
    d: &Deferrals,
    evidence: &mut Vec<Evidence>,
    problems: &mut Vec<String>,
    unknowns: &mut Vec<String>,
) {
    match d {
        Deferrals::RemovedIn27 => evidence.push(Evidence::line(
            probes::MANAGED_RESTRICTIONS,
            "deferral restriction keys are removed in macOS 27: no deferral applies",
        )),
        Deferrals::Set { minor, major } => {
            for (what, days) in [("updates", minor), ("upgrades", major)] {
                if let Some(d) = days {
                    problems.push(format!("{what} are deferred {d} days after release"));
                }
            }
            evidence.push(Evidence::line(
                probes::MANAGED_RESTRICTIONS,
                format!(
                    "forceDelayedSoftwareUpdates {}, forceDelayedMajorSoftwareUpdates {}",
                    minor.map_or("off".to_string(), |d| format!("{d} days")),
                    major.map_or("off".to_string(), |d| format!("{d} days"))
                ),
            ));
        }
        Deferrals::NotManaged => evidence.push(Evidence::line(
            probes::MANAGED_RESTRICTIONS,
            "not managed (no restrictions payload): no deferral",
        )),
        Deferrals::Unknown(e) => {
            unknowns.push(format!("deferrals unknown: {e}"));
            evidence.push(Evidence::line(
                probes::MANAGED_RESTRICTIONS,
                format!("deferrals unknown: {e}"),
            ));
        }
    }
}

pub(crate) fn judge(s: &SettingsSituation) -> Judgement {
    let mut j = Judgement::new(Status::Ok, "");
    let mut problems: Vec<String> = Vec::new();
    let mut unknowns: Vec<String> = Vec::new();
    catalog_words(s, &mut j.evidence, &mut problems);
    if let Some(u) = &s.catalog_unknown {
        unknowns.push(format!("catalog unknown: {u}"));
    }
    if let Some(u) = &s.seed_unknown {
        j.evidence.push(Evidence::line(
            probes::SEEDUTIL,
            format!("seeding enrollment unknown ({u})"),
        ));
    }
    for (probe, f) in [
        (probes::MANAGED_SU_PREFS, &s.managed_file),
        (probes::SU_PREFS, &s.local_file),
    ] {
        match f {
            FileState::Unknown(e) => {
                unknowns.push(e.clone());
                j.evidence
                    .push(Evidence::line(probe, format!("settings unknown: {e}")));
            }
            FileState::NotManaged => j.evidence.push(Evidence::line(
                probe,
                "not managed (no managed SoftwareUpdate preferences)",
            )),
            FileState::IgnoredRemovedIn27 => j.evidence.push(Evidence::line(
                probe,
                "managed com.apple.SoftwareUpdate preferences present but ignored: the profile is removed in macOS 27",
            )),
            FileState::Read => {}
        }
    }
    for a in &s.automatic {
        if let Some((v, src)) = a.value {
            let probe = match src {
                SettingSource::Managed => probes::MANAGED_SU_PREFS,
                SettingSource::Local => probes::SU_PREFS,
            };
            j.evidence.push(Evidence::line(
                probe,
                format!("{} = {} ({})", a.key, u8::from(v), src.as_str()),
            ));
        }
    }
    if s.automatic
        .iter()
        .any(|a| a.key == "AutomaticCheckEnabled" && matches!(a.value, Some((false, _))))
    {
        problems.push(
            "automatic checking is off (AutomaticCheckEnabled = 0): new updates are not found by themselves".into(),
        );
    }
    deferral_words(&s.deferrals, &mut j.evidence, &mut problems, &mut unknowns);
    if s.nothing_known {
        let mut u = Judgement::unknown(unknowns.join("; "));
        u.evidence = j.evidence;
        return u;
    }
    if problems.is_empty() {
        j.summary = match s.catalog_source {
            CatalogSource::RemovedIn27 => "no beta program recorded in the DDM settings (the OSUpdateSettings query is removed in macOS 27), no deferral, automatic checking not turned off".into(),
            CatalogSource::SeedingEnrollment(_) if s.legacy == Some(LegacySurface::Removed) => "not enrolled in a beta program (seedutil; the OSUpdateSettings query is removed in macOS 27), no deferral, automatic checking not turned off".into(),
            _ => "default catalog, no deferral, automatic checking not turned off".into(),
        };
        if !unknowns.is_empty() {
            j.summary.push_str(&format!(" ({})", unknowns.join("; ")));
        }
    } else {
        j.status = Status::Warning;
        j.summary = problems.join("; ");
        j.remediation = Some("check the software-update settings your MDM sends: remove the beta/seed catalog (`sudo softwareupdate --clear-catalog`, or the beta enrollment in the MDM), shorten or remove the deferral in the restrictions payload, and turn automatic checking back on".into());
    }
    j
}

pub(crate) fn assess(obs: &Observations, _cfg: &Config) -> SettingsAssessment {
    let s = decide(obs);
    let judgement = judge(&s);
    let (minor, major) = match &s.deferrals {
        Deferrals::Set { minor, major } => (*minor, *major),
        _ => (None, None),
    };
    SettingsAssessment {
        judgement,
        default_catalog: s.default_catalog,
        catalog_url: s.catalog_url,
        automatic: s.automatic,
        minor_deferral_days: minor,
        major_deferral_days: major,
        deferrals_known: !matches!(s.deferrals, Deferrals::Unknown(_)),
        catalog_source: s.catalog_source,
        legacy: s.legacy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    const DEFER_90: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>forceDelayedSoftwareUpdates</key><true/>
<key>enforcedSoftwareUpdateMinorOSDeferredInstallDelay</key><integer>90</integer>
<key>forceDelayedMajorSoftwareUpdates</key><true/>
</dict></plist>"#;

    #[test]
    fn deferrals_from_the_restrictions_payload() {
        // Constructed with the restrictions payload's keys (Apple's schema).
        let a = assess(
            &obs(with(base(), ok("managed_restrictions", DEFER_90))),
            &Config::default(),
        );
        assert_eq!(a.minor_deferral_days, Some(90));
        assert_eq!(a.major_deferral_days, Some(DEFAULT_DEFERRAL_DAYS));
        // Which deferral hides which kind: a security patch (RSR, or BSI on 26.1+) none.
        assert_eq!(a.deferral_days(UpdateKind::Update), Some(90));
        assert_eq!(
            a.deferral_days(UpdateKind::Upgrade),
            Some(DEFAULT_DEFERRAL_DAYS)
        );
        assert_eq!(a.deferral_days(UpdateKind::Rsr), None);
        assert_eq!(a.judgement.status, Status::Warning);
        assert!(a.judgement.summary.contains("updates are deferred 90 days"));
        // Absent file: not managed, not unknown.
        let a = assess(&obs(base()), &Config::default());
        assert_eq!(a.minor_deferral_days, None);
        assert!(a.deferrals_known);
    }

    #[test]
    fn the_seed_catalog_of_the_real_mdmclient_sample_is_reported() {
        let a = assess(
            &obs(with(
                base(),
                ok(
                    "mdmclient_qdi",
                    include_bytes!("../../tests/fixtures/samples/mdmclient_QueryDeviceInformation__seed_catalog_IsDefaultCatalog0__macos10.14.6__kolide.txt"),
                ),
            )),
            &Config::default(),
        );
        assert_eq!(a.default_catalog, Some(false));
        assert!(a.catalog_url.unwrap().contains("10.14seed"));
        assert_eq!(a.judgement.status, Status::Warning);
        let a = assess(
            &obs(with(
                base(),
                ok(
                    "mdmclient_qdi",
                    include_bytes!("../../tests/fixtures/samples/mdmclient_QueryDeviceInformation__with_header_agent_response__macos13.3.1__kolide.txt"),
                ),
            )),
            &Config::default(),
        );
        assert_eq!(a.default_catalog, Some(true));
        assert_eq!(a.judgement.status, Status::Ok);
    }

    #[test]
    fn managed_automatic_settings_win_over_local() {
        let managed = br#"<plist version="1.0"><dict><key>AutomaticCheckEnabled</key><false/></dict></plist>"#;
        let a = assess(
            &obs(with(base(), ok("managed_su_prefs", managed))),
            &Config::default(),
        );
        let check = a
            .automatic
            .iter()
            .find(|s| s.key == "AutomaticCheckEnabled")
            .unwrap();
        assert_eq!(check.value, Some((false, SettingSource::Managed)));
        assert!(a.judgement.summary.contains("automatic checking is off"));
    }

    /// `decide` per macOS version, data-driven: the catalog source, the managed file and the
    /// deferrals (15: applied; 26: DDM's beta setting wins; 27: removed, not unknown).
    /// The persisted beta key name (`betaProgramEnrollment`) is constructed: no public file shows one.
    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "one table of cases, each row an input and the decision expected beside it"
    )]
    fn decide_by_macos_version() {
        let sw = |v: &str| {
            ok(
                "sw_vers",
                format!("ProductName:\tmacOS\nProductVersion:\t{v}\nBuildVersion:\t1A1\n")
                    .as_bytes(),
            )
        };
        const BETA: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>SUCorePersistedStatePolicyFields</key><dict><key>SUCoreDDMDeclarationGlobalSettings</key><dict><key>betaProgramEnrollment</key><string>AlwaysOn</string></dict></dict></dict></plist>"#;
        let qdi_default = || ok("mdmclient_qdi", b"{\n    IsDefaultCatalog = 1;\n}\n");
        const SEEDED: &[u8] = include_bytes!(
            "../../tests/fixtures/samples/seedutil_current__public_seed__macos10.14.txt"
        );
        // The form admins' extension attributes test for "not enrolled".
        const NOT_SEEDED: &[u8] =
            b"Currently enrolled in: (null)\n\nProgram: 0\nBuild is seed: NO\nCatalogURL: (null)\n";
        let cases = [
            (
                "15 defer",
                with(
                    with(with(base(), sw("15.7")), qdi_default()),
                    ok("managed_restrictions", DEFER_90),
                ),
            ),
            (
                "26 defer + DDM beta",
                with(
                    with(
                        with(with(base(), sw("26.3")), qdi_default()),
                        ok("managed_restrictions", DEFER_90),
                    ),
                    ok("ddm_state", BETA),
                ),
            ),
            (
                "27 defer",
                with(
                    with(with(base(), sw("27.0.1")), qdi_default()),
                    ok("managed_restrictions", DEFER_90),
                ),
            ),
            (
                "27 qdi fails",
                with(
                    with(base(), sw("27.0.1")),
                    crate::checks::readiness::support::failed("mdmclient_qdi", 1, "x"),
                ),
            ),
            (
                "26 seeded, query says default",
                with(
                    with(with(base(), sw("26.3")), qdi_default()),
                    ok("seedutil", SEEDED),
                ),
            ),
            (
                "26 not seeded, query says default",
                with(
                    with(with(base(), sw("26.3")), qdi_default()),
                    ok("seedutil", NOT_SEEDED),
                ),
            ),
            (
                "27 not seeded",
                with(with(base(), sw("27.0.1")), ok("seedutil", NOT_SEEDED)),
            ),
            (
                "27 seeded",
                with(with(base(), sw("27.0.1")), ok("seedutil", SEEDED)),
            ),
            (
                "15 seeded: enrolled wins over the query",
                with(
                    with(with(base(), sw("15.7")), qdi_default()),
                    ok("seedutil", SEEDED),
                ),
            ),
        ];
        let got: Vec<String> = cases
            .into_iter()
            .map(|(name, b)| {
                let s = decide(&obs(b));
                format!(
                    "{name}: catalog {:?} from {:?} unknown {:?}; managed {:?}; deferrals {:?}",
                    s.default_catalog,
                    s.catalog_source,
                    s.catalog_unknown,
                    s.managed_file,
                    s.deferrals
                )
            })
            .collect();
        expect_test::expect![[r#"
            [
                "15 defer: catalog Some(true) from Mdmclient unknown None; managed NotManaged; deferrals Set { minor: Some(90), major: Some(30) }",
                "26 defer + DDM beta: catalog Some(false) from DdmGlobalSettings(\"betaProgramEnrollment = AlwaysOn\") unknown None; managed NotManaged; deferrals Set { minor: Some(90), major: Some(30) }",
                "27 defer: catalog None from RemovedIn27 unknown None; managed NotManaged; deferrals RemovedIn27",
                "27 qdi fails: catalog None from RemovedIn27 unknown None; managed NotManaged; deferrals RemovedIn27",
                "26 seeded, query says default: catalog Some(false) from SeedingEnrollment(\"Currently enrolled in: PublicSeed\") unknown None; managed NotManaged; deferrals NotManaged",
                "26 not seeded, query says default: catalog Some(true) from Mdmclient unknown None; managed NotManaged; deferrals NotManaged",
                "27 not seeded: catalog Some(true) from SeedingEnrollment(\"Currently enrolled in: (null)\") unknown None; managed NotManaged; deferrals RemovedIn27",
                "27 seeded: catalog Some(false) from SeedingEnrollment(\"Currently enrolled in: PublicSeed\") unknown None; managed NotManaged; deferrals RemovedIn27",
                "15 seeded: enrolled wins over the query: catalog Some(false) from SeedingEnrollment(\"Currently enrolled in: PublicSeed\") unknown None; managed NotManaged; deferrals NotManaged",
            ]
        "#]]
        .assert_debug_eq(&got);
    }
}
