//! `os.version`: what this Mac runs and what it is. ProductVersion, BuildVersion, the Rapid
//! Security Response suffix (`ProductVersionExtra: (a)`, fixture `sw_vers__RSR_13.3.1_a`),
//! architecture (Apple silicon or Intel; `hw.optional.arm64` missing means Intel, fixture
//! `sysctl_hw.optional.arm64__intel__stderr_exit1.txt`), model identifier, and portable or
//! desktop (an internal battery in `pmset -g batt`, else the model name where it says so).

use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::sw_vers::SwVers;
use crate::parse::sysctl::{self, Arch};
use crate::probes;

/// What this Mac runs and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct OsVersionAssessment {
    pub judgement: Judgement,
    /// `None` when `sw_vers` is unknown.
    pub os: Option<OsFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OsFacts {
    pub version: SwVers,
    pub rsr_installed: bool,
    /// What the `(a)` build is: a Background Security Improvement on 26.1 and later (BSIs
    /// replaced RSRs; the first macOS BSI shipped 2026-03-17, SOFA v2), a Rapid Security
    /// Response before. `None` without one.
    pub security_patch: Option<SecurityPatch>,
    pub architecture: Option<Arch>,
    /// Why the architecture is unknown.
    pub architecture_unknown: Option<String>,
    pub model: Option<String>,
    pub model_unknown: Option<String>,
    pub portable: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityPatch {
    RapidSecurityResponse,
    BackgroundSecurityImprovement,
}

impl SecurityPatch {
    /// The kind of the installed `(a)` build, `None` without one.
    pub fn of(v: &SwVers) -> Option<SecurityPatch> {
        v.rsr_letter()?;
        Some(SecurityPatch::for_version(&v.product_version))
    }

    /// The kind of security patch this macOS version gets: a Background Security Improvement
    /// from 26.1 on (BSIs replaced RSRs), a Rapid Security Response before.
    pub fn for_version(product_version: &str) -> SecurityPatch {
        let parts = crate::parse::sw_vers::version_parts(product_version);
        let (major, minor) = (
            parts.first().copied().unwrap_or(0),
            parts.get(1).copied().unwrap_or(0),
        );
        if (major, minor) >= (26, 1) {
            SecurityPatch::BackgroundSecurityImprovement
        } else {
            SecurityPatch::RapidSecurityResponse
        }
    }

    /// The short label admins use: `bsi`, `rsr`.
    pub fn short(self) -> &'static str {
        match self {
            SecurityPatch::RapidSecurityResponse => "rsr",
            SecurityPatch::BackgroundSecurityImprovement => "bsi",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            SecurityPatch::RapidSecurityResponse => "rapid_security_response",
            SecurityPatch::BackgroundSecurityImprovement => "background_security_improvement",
        }
    }
}

/// Where the legacy MDM software-update surface stands on the running OS: deprecated in 26.0,
/// removed in 27.0 (apple/device-management: ScheduleOSUpdate, AvailableOSUpdates,
/// OSUpdateStatus, the OSUpdateSettings query with IsDefaultCatalog, the
/// `com.apple.SoftwareUpdate` profile and the deferral restriction keys say `deprecated: '26.0'`,
/// `removed: '27.0'`; Apple, "Removed commands and profiles"). `None` when sw_vers is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacySurface {
    /// macOS 15 and earlier.
    Supported,
    /// macOS 26: still answered, deprecated; DDM is the source of record.
    Deprecated,
    /// macOS 27 and later: gone; the same facts come from DDM or are not applicable.
    Removed,
}

impl LegacySurface {
    pub fn of(v: &SwVers) -> LegacySurface {
        let major = v
            .product_version
            .split('.')
            .next()
            .and_then(|m| m.trim().parse::<u32>().ok())
            .unwrap_or(0);
        match major {
            27.. => LegacySurface::Removed,
            26 => LegacySurface::Deprecated,
            _ => LegacySurface::Supported,
        }
    }

    pub fn of_obs(obs: &Observations) -> Option<LegacySurface> {
        obs.sw_vers.as_ref().ok().map(LegacySurface::of)
    }
}

/// Portable (has a built-in battery): pmset first, the model name second, else unknown.
pub(crate) fn portable(obs: &Observations) -> Option<bool> {
    if let Ok(p) = &obs.power {
        if p.internal().is_some() {
            return Some(true);
        }
        if p.source.is_some() {
            return Some(false);
        }
    }
    obs.hw_model
        .as_ref()
        .ok()
        .and_then(|m| sysctl::portable_from_model(m))
}

pub(crate) fn assess(obs: &Observations, _cfg: &Config) -> OsVersionAssessment {
    let v = match &obs.sw_vers {
        Ok(v) => v,
        Err(u) => {
            return OsVersionAssessment {
                judgement: Judgement::unknown(u.to_string()),
                os: None,
            }
        }
    };
    let arch = obs.arch.as_ref().ok().copied();
    let model = obs.hw_model.as_ref().ok().cloned();
    let portable = portable(obs);
    let mut summary = format!("macOS {} ({})", v.full_version(), v.build_version);
    if let Some(a) = arch {
        summary.push_str(&format!(", {}", a.label()));
    }
    if let Some(m) = &model {
        summary.push_str(&format!(", {m}"));
    }
    match portable {
        Some(true) => summary.push_str(", portable"),
        Some(false) => summary.push_str(", desktop"),
        None => {}
    }
    let mut j = Judgement::new(Status::Ok, summary).evidence(Evidence::line(
        probes::SW_VERS,
        format!(
            "ProductVersion: {}; BuildVersion: {}{}",
            v.product_version,
            v.build_version,
            v.product_version_extra
                .as_deref()
                .map(|x| format!("; ProductVersionExtra: {x}"))
                .unwrap_or_default()
        ),
    ));
    if let Ok(a) = &obs.arch {
        j = j.evidence(Evidence::line(probes::HW_ARM64, a.label()));
    }
    OsVersionAssessment {
        judgement: j,
        os: Some(OsFacts {
            version: v.clone(),
            rsr_installed: v.rsr_letter().is_some(),
            security_patch: SecurityPatch::of(v),
            architecture: arch,
            architecture_unknown: obs.arch.as_ref().err().map(|u| u.to_string()),
            model,
            model_unknown: obs.hw_model.as_ref().err().map(|u| u.to_string()),
            portable,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    #[test]
    fn facts_and_unknowns() {
        let a = assess(&obs(base()), &Config::default());
        assert_eq!(a.judgement.status, Status::Ok);
        let os = a.os.unwrap();
        assert_eq!(os.architecture, Some(Arch::AppleSilicon));
        assert_eq!(os.portable, Some(true));
        assert!(!os.rsr_installed);
        assert_eq!(os.security_patch, None);
        // The same `(a)` is an RSR on 13.3.1 and a BSI on 26.3.1 (SOFA v2's first BSI build).
        let on = |v: &str, b: &str| {
            let t = format!("ProductName:\tmacOS\nProductVersion:\t{v}\nProductVersionExtra:\t(a)\nBuildVersion:\t{b}\n");
            assess(
                &obs(with(base(), ok("sw_vers", t.as_bytes()))),
                &Config::default(),
            )
            .os
            .unwrap()
        };
        assert_eq!(
            on("13.3.1", "22E772610a").security_patch,
            Some(SecurityPatch::RapidSecurityResponse)
        );
        assert_eq!(
            on("26.3.1", "25D771280a").security_patch,
            Some(SecurityPatch::BackgroundSecurityImprovement)
        );
        let b = with(base(), failed("sw_vers", 127, "not found"));
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Unknown);
        assert!(a.os.is_none());
        // No pmset: fall back to the model name.
        let mut b = with(base(), ok("hw_model", b"Macmini9,1\n"));
        b.retain(|r| r.id != "pmset_batt");
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.os.unwrap().portable, Some(false));
    }
}
