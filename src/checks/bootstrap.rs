//! `bootstrap_token`: can an enforced install on Apple silicon authorise itself.
//!
//! Apple (seed 001): at the deadline a Mac with Apple silicon fetches the bootstrap token from
//! the MDM to authorise the update; without one the Mac prompts for a user's credentials. Intel
//! Macs do not need it (`not_applicable`). Evidence: `profiles status -type bootstraptoken` (both
//! lines YES, FIELD-NOTES; only the first line when the server lacks support, fixture) and, on
//! macOS 13.3+, `EACSPreflight` from `mdmclient QueryDeviceInformation`, read as SUPER does:
//! `success` is good and `EFI password exists` is accepted; anything else (e.g. "Unable to get
//! Bootstrap Token", "System is not on full security") means the token cannot be used.

use serde_json::json;

use super::BOOTSTRAP;
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::sw_vers::compare_versions;
use crate::parse::sysctl::Arch;
use crate::probes;
use crate::report::{Evidence, Finding, Status};

const NEEDS_USER: &str = "enforced installs on this Mac will need a user's credentials";

pub fn eacs_ok(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    v == "success" || v == "efi password exists"
}

pub fn check(obs: &Observations, _cfg: &Config) -> Finding {
    match &obs.arch {
        Err(u) => return Finding::unknown(BOOTSTRAP, format!("architecture unknown ({u})")),
        Ok(Arch::Intel) => {
            return Finding::new(
                BOOTSTRAP,
                Status::NotApplicable,
                "Intel Mac: enforced updates do not use a bootstrap token",
            )
            .fact("applicable", false)
        }
        Ok(Arch::AppleSilicon) => {}
    }
    let t = match &obs.bootstrap_token {
        Ok(t) => t,
        Err(u) => return Finding::unknown(BOOTSTRAP, u.to_string()),
    };
    let mut f = Finding::new(BOOTSTRAP, Status::Ok, "")
        .fact("applicable", true)
        .fact("supported_on_server", json!(t.supported_on_server))
        .fact("escrowed", json!(t.escrowed))
        .remediation("escrow a bootstrap token: have a Secure Token administrator log in (or run `sudo profiles install -type bootstraptoken`) on a Mac whose MDM profile lists com.apple.mdm.bootstraptoken in ServerCapabilities");
    for l in &t.lines {
        f = f.evidence(Evidence::line(probes::PROFILES_BOOTSTRAPTOKEN, l.clone()));
    }
    if t.supported_on_server != Some(true) {
        f.status = Status::Warning;
        f.summary = format!("the MDM server does not support bootstrap tokens: {NEEDS_USER}");
        return f;
    }
    if t.escrowed != Some(true) {
        f.status = Status::Warning;
        f.summary = format!("no bootstrap token escrowed to the MDM server: {NEEDS_USER}");
        return f;
    }
    let needs_eacs = obs
        .sw_vers
        .as_ref()
        .ok()
        .map(|v| compare_versions(&v.product_version, "13.3").is_ge());
    match needs_eacs {
        Some(false) => {
            f.summary =
                "bootstrap token escrowed (EACSPreflight is only reported from macOS 13.3)".into();
            f.facts.insert("eacs_preflight".into(), json!(null));
            f
        }
        _ => match &obs.device_info {
            Ok(d) => match d.eacs_preflight() {
                Some(v) if eacs_ok(v) => {
                    f.summary = format!("bootstrap token escrowed; EACSPreflight: {v}");
                    f.evidence(Evidence::line(
                        probes::MDMCLIENT_QDI,
                        format!("EACSPreflight = {v}"),
                    ))
                    .fact("eacs_preflight", v)
                }
                Some(v) => {
                    f.status = Status::Warning;
                    f.summary = format!(
                        "bootstrap token escrowed but EACSPreflight says {v:?}: {NEEDS_USER}"
                    );
                    f.evidence(Evidence::line(
                        probes::MDMCLIENT_QDI,
                        format!("EACSPreflight = {v}"),
                    ))
                    .fact("eacs_preflight", v)
                }
                None => {
                    f.summary =
                        "bootstrap token escrowed; mdmclient printed no EACSPreflight".into();
                    f.fact("eacs_preflight", json!(null))
                }
            },
            Err(u) => {
                f.summary = format!("bootstrap token escrowed; EACSPreflight unknown ({u})");
                f.fact("eacs_preflight", json!(null))
                    .fact("eacs_preflight_unknown_reason", u.to_string())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    #[test]
    fn escrowed_with_eacs_success_or_efi_password() {
        let f = check(&obs(base()), &Config::default());
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.facts["eacs_preflight"], "success");
        let b = with(
            base(),
            ok(
                "mdmclient_qdi",
                b"{ EACSPreflight = \"EFI password exists\"; }",
            ),
        );
        assert_eq!(check(&obs(b), &Config::default()).status, Status::Ok);
    }

    #[test]
    fn server_without_support_fixture() {
        let b = with(
            base(),
            ok(
                "profiles_bootstraptoken",
                include_bytes!("../../tests/fixtures/samples/profiles_status_bootstraptoken__server_not_supported__macos10.15.6.txt"),
            ),
        );
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Warning);
        assert!(f.summary.contains("does not support"));
        assert!(f.summary.contains("user's credentials"));
    }

    #[test]
    fn intel_is_not_applicable_and_old_macos_skips_eacs() {
        let b = with(
            base(),
            failed("hw_arm64", 1, "sysctl: unknown oid 'hw.optional.arm64'"),
        );
        assert_eq!(
            check(&obs(b), &Config::default()).status,
            Status::NotApplicable
        );
        let b = with(
            base(),
            ok(
                "sw_vers",
                b"ProductName:\tmacOS\nProductVersion:\t13.2.1\nBuildVersion:\t22D68\n",
            ),
        );
        let b = with(
            b,
            ok(
                "mdmclient_qdi",
                b"{ EACSPreflight = \"System is not on full security\"; }",
            ),
        );
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Ok, "EACSPreflight is only read from 13.3");
        assert!(eacs_ok(" Success "));
    }
}
