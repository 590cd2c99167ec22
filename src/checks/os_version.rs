//! `os.version`: what this Mac runs and what it is. ProductVersion, BuildVersion, the Rapid
//! Security Response suffix (`ProductVersionExtra: (a)`, fixture `sw_vers__RSR_13.3.1_a`),
//! architecture (Apple silicon or Intel; `hw.optional.arm64` missing means Intel, fixture
//! `sysctl_hw.optional.arm64__intel__stderr_exit1.txt`), model identifier, and portable or
//! desktop (an internal battery in `pmset -g batt`, else the model name where it says so).

use serde_json::json;

use super::OS_VERSION;
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::sysctl;
use crate::probes;
use crate::report::{Evidence, Finding, Status};

/// Portable (has a built-in battery): pmset first, the model name second, else unknown.
pub fn portable(obs: &Observations) -> Option<bool> {
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

pub fn check(obs: &Observations, _cfg: &Config) -> Finding {
    let v = match &obs.sw_vers {
        Ok(v) => v,
        Err(u) => return Finding::unknown(OS_VERSION, u.to_string()),
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
    let mut f = Finding::new(OS_VERSION, Status::Ok, summary)
        .evidence(Evidence::line(
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
        ))
        .fact("product_version", v.product_version.clone())
        .fact("build_version", v.build_version.clone())
        .fact("product_version_extra", json!(v.product_version_extra))
        .fact("rsr_installed", v.rsr_letter().is_some())
        .fact("full_version", v.full_version())
        .fact("architecture", json!(arch.map(|a| a.as_str())))
        .fact("model", json!(model))
        .fact("portable", json!(portable));
    match &obs.arch {
        Ok(a) => f = f.evidence(Evidence::line(probes::HW_ARM64, a.label())),
        Err(u) => f = f.fact("architecture_unknown_reason", u.to_string()),
    }
    if let Err(u) = &obs.hw_model {
        f = f.fact("model_unknown_reason", u.to_string());
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    #[test]
    fn facts_and_unknowns() {
        let f = check(&obs(base()), &Config::default());
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.facts["architecture"], "arm64");
        assert_eq!(f.facts["portable"], true);
        assert_eq!(f.facts["rsr_installed"], false);
        let b = with(base(), failed("sw_vers", 127, "not found"));
        assert_eq!(check(&obs(b), &Config::default()).status, Status::Unknown);
        // No pmset: fall back to the model name.
        let mut b = with(base(), ok("hw_model", b"Macmini9,1\n"));
        b.retain(|r| r.id != "pmset_batt");
        assert_eq!(check(&obs(b), &Config::default()).facts["portable"], false);
    }
}
