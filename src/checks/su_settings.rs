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
pub const DEFAULT_DEFERRAL_DAYS: i64 = 30;

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
    pub fn deferral_days(&self, kind: UpdateKind) -> Option<i64> {
        match kind {
            UpdateKind::Upgrade => self.major_deferral_days,
            _ => self.minor_deferral_days,
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

pub fn assess(obs: &Observations, _cfg: &Config) -> SettingsAssessment {
    let mut j = Judgement::new(Status::Ok, "");
    let mut problems: Vec<String> = Vec::new();
    let mut unknowns: Vec<String> = Vec::new();

    let legacy = LegacySurface::of_obs(obs);
    let removed = legacy == Some(LegacySurface::Removed);
    let qdi = obs.device_info.as_ref().ok();
    let beta = ddm_beta(obs);
    let mut default_catalog = qdi
        .and_then(|d| d.get("IsDefaultCatalog"))
        .map(|v| v.trim() != "0");
    let mut catalog_source = if default_catalog.is_some() {
        CatalogSource::Mdmclient
    } else {
        CatalogSource::None
    };
    // 26+: what softwareupdated recorded from DDM is the source of record.
    if let (Some((what, on)), Some(LegacySurface::Deprecated | LegacySurface::Removed)) =
        (&beta, legacy)
    {
        default_catalog = Some(!on);
        catalog_source = CatalogSource::DdmGlobalSettings(what.clone());
        j.evidence.push(Evidence::line(
            probes::DDM_STATE,
            format!("SUCoreDDMDeclarationGlobalSettings.{what}"),
        ));
    } else if removed {
        default_catalog = None;
        catalog_source = CatalogSource::RemovedIn27;
        j.evidence.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            "OSUpdateSettings (IsDefaultCatalog) is removed in macOS 27 and DDM recorded no beta setting: catalog not applicable",
        ));
    }
    let catalog_url = qdi.and_then(|d| d.get("CatalogURL")).map(str::to_string);
    match (default_catalog, &obs.device_info) {
        (Some(false), _) if !matches!(catalog_source, CatalogSource::Mdmclient) => {
            problems.push(
                "a beta program is on in the MDM's DDM settings: this Mac is offered beta releases"
                    .into(),
            );
        }
        (Some(false), _) => {
            problems.push("a beta/seed catalog is configured (IsDefaultCatalog = 0): this Mac is offered beta releases".into());
            j.evidence.push(Evidence::line(
                probes::MDMCLIENT_QDI,
                format!(
                    "IsDefaultCatalog = 0{}",
                    catalog_url
                        .as_deref()
                        .map(|u| format!(", CatalogURL = {u}"))
                        .unwrap_or_default()
                ),
            ));
        }
        (Some(true), _) if !matches!(catalog_source, CatalogSource::Mdmclient) => {}
        (Some(true), _) => j.evidence.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            "IsDefaultCatalog = 1",
        )),
        (None, _) if removed => {}
        (None, Err(u)) => unknowns.push(format!("catalog unknown: {u}")),
        (None, Ok(_)) => {}
    }

    // 27 removed the com.apple.SoftwareUpdate profile: a leftover managed file applies nothing.
    let managed = match optional(&obs.managed_su_settings) {
        Ok(Some(_)) if removed => {
            j.evidence.push(Evidence::line(
                probes::MANAGED_SU_PREFS,
                "managed com.apple.SoftwareUpdate preferences present but ignored: the profile is removed in macOS 27",
            ));
            Ok(None)
        }
        Err(_) if removed => Ok(None),
        other => other,
    };
    // The local preferences file exists on every Mac: absent is unknown, not "not set".
    let local: Result<Option<&PrefValues>, String> = match &obs.local_su_settings {
        Ok(p) => Ok(Some(p)),
        Err(u) => Err(u.to_string()),
    };
    for (probe, r) in [
        (probes::MANAGED_SU_PREFS, &managed),
        (probes::SU_PREFS, &local),
    ] {
        match r {
            Err(e) => {
                unknowns.push(e.clone());
                j.evidence
                    .push(Evidence::line(probe, format!("settings unknown: {e}")));
            }
            Ok(None) if probe == probes::MANAGED_SU_PREFS => j.evidence.push(Evidence::line(
                probe,
                "not managed (no managed SoftwareUpdate preferences)",
            )),
            Ok(_) => {}
        }
    }
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
    for a in &automatic {
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
    if automatic
        .iter()
        .any(|a| a.key == "AutomaticCheckEnabled" && matches!(a.value, Some((false, _))))
    {
        problems.push(
            "automatic checking is off (AutomaticCheckEnabled = 0): new updates are not found by themselves".into(),
        );
    }

    let restrictions = optional(&obs.managed_restrictions);
    let (mut minor, mut major) = (None, None);
    match &restrictions {
        // 27 removed the deferral keys (enforcedSoftwareUpdate*Delay, forceDelayed*): whatever
        // the payload holds defers nothing.
        _ if removed => j.evidence.push(Evidence::line(
            probes::MANAGED_RESTRICTIONS,
            "deferral restriction keys are removed in macOS 27: no deferral applies",
        )),
        Ok(Some(r)) => {
            let fallback = r.int("enforcedSoftwareUpdateDelay");
            if r.bool("forceDelayedSoftwareUpdates") == Some(true) {
                minor = Some(
                    r.int("enforcedSoftwareUpdateMinorOSDeferredInstallDelay")
                        .or(fallback)
                        .unwrap_or(DEFAULT_DEFERRAL_DAYS),
                );
            }
            if r.bool("forceDelayedMajorSoftwareUpdates") == Some(true) {
                major = Some(
                    r.int("enforcedSoftwareUpdateMajorOSDeferredInstallDelay")
                        .or(fallback)
                        .unwrap_or(DEFAULT_DEFERRAL_DAYS),
                );
            }
            for (what, days) in [("updates", minor), ("upgrades", major)] {
                if let Some(d) = days {
                    problems.push(format!("{what} are deferred {d} days after release"));
                }
            }
            j.evidence.push(Evidence::line(
                probes::MANAGED_RESTRICTIONS,
                format!(
                    "forceDelayedSoftwareUpdates {}, forceDelayedMajorSoftwareUpdates {}",
                    minor.map_or("off".to_string(), |d| format!("{d} days")),
                    major.map_or("off".to_string(), |d| format!("{d} days"))
                ),
            ));
        }
        Ok(None) => j.evidence.push(Evidence::line(
            probes::MANAGED_RESTRICTIONS,
            "not managed (no restrictions payload): no deferral",
        )),
        Err(e) => {
            unknowns.push(format!("deferrals unknown: {e}"));
            j.evidence.push(Evidence::line(
                probes::MANAGED_RESTRICTIONS,
                format!("deferrals unknown: {e}"),
            ));
        }
    }

    // Neither mdmclient nor the local preferences answered, and nothing managed says anything.
    let nothing_known = obs.device_info.is_err()
        && local.is_err()
        && automatic.iter().all(|a| a.value.is_none())
        && minor.is_none()
        && major.is_none();
    if nothing_known {
        let mut u = Judgement::unknown(unknowns.join("; "));
        u.evidence = j.evidence;
        j = u;
    } else if problems.is_empty() {
        j.summary = match catalog_source {
            CatalogSource::RemovedIn27 => "no beta program recorded in the DDM settings (the OSUpdateSettings query is removed in macOS 27), no deferral, automatic checking not turned off".into(),
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
    SettingsAssessment {
        judgement: j,
        default_catalog,
        catalog_url,
        automatic,
        minor_deferral_days: minor,
        major_deferral_days: major,
        deferrals_known: restrictions.is_ok() || removed,
        catalog_source,
        legacy,
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
}
