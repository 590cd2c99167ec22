//! `bootstrap_token`: can an enforced install on Apple silicon authorise itself.
//!
//! Apple (Apple, *Managing software updates for IT*): at the deadline a Mac with Apple silicon fetches the bootstrap token from
//! the MDM to authorise the update; without one the Mac prompts for a user's credentials. Intel
//! Macs do not need it (`not_applicable`). Evidence: `profiles status -type bootstraptoken` (both
//! lines YES, as Macjutsu/super reads them; only the first line when the server lacks support, fixture) and, on
//! macOS 13.3+, `EACSPreflight` from `mdmclient QueryDeviceInformation`, read as SUPER does:
//! `success` is good and `EFI password exists` is accepted; anything else (e.g. "Unable to get
//! Bootstrap Token", "System is not on full security") means the token cannot be used.

use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::sw_vers::compare_versions;
use crate::parse::sysctl::Arch;
use crate::probes;

const NEEDS_USER: &str = "enforced installs on this Mac will need a user's credentials";

pub fn eacs_ok(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    v == "success" || v == "efi password exists"
}

/// Whether an enforced install can authorise itself with the bootstrap token.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapAssessment {
    pub judgement: Judgement,
    /// `Some(false)` on Intel; `None` when the architecture is unknown.
    pub applicable: Option<bool>,
    /// `None` when not applicable or the token status is unknown.
    pub token: Option<TokenFacts>,
    /// What stops the token from authorising an enforced install.
    pub problem: Option<TokenProblem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenFacts {
    pub supported_on_server: Option<bool>,
    pub escrowed: Option<bool>,
    /// `None` when the token status already decided (not supported, not escrowed).
    pub eacs_preflight: Option<EacsPreflight>,
}

/// `EACSPreflight` from `mdmclient QueryDeviceInformation`.
#[derive(Debug, Clone, PartialEq)]
pub enum EacsPreflight {
    /// macOS before 13.3 does not report it.
    NotReported,
    Value(String),
    /// mdmclient answered without the key.
    Absent,
    /// mdmclient could not be read: why.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenProblem {
    NotSupportedOnServer,
    NotEscrowed,
    /// An EACSPreflight value other than success.
    EacsPreflight(String),
}

impl TokenProblem {
    /// One line for people, without the consequence.
    pub fn describe(&self) -> String {
        match self {
            TokenProblem::NotSupportedOnServer => {
                "the MDM server does not support bootstrap tokens".into()
            }
            TokenProblem::NotEscrowed => "no bootstrap token escrowed to the MDM server".into(),
            TokenProblem::EacsPreflight(v) => {
                format!("bootstrap token escrowed but EACSPreflight says {v:?}")
            }
        }
    }
}

pub fn assess(obs: &Observations, _cfg: &Config) -> BootstrapAssessment {
    let out = |judgement: Judgement, applicable: Option<bool>| BootstrapAssessment {
        judgement,
        applicable,
        token: None,
        problem: None,
    };
    match &obs.arch {
        Err(u) => {
            return out(
                Judgement::unknown(format!("architecture unknown ({u})")),
                None,
            )
        }
        Ok(Arch::Intel) => {
            return out(
                Judgement::new(
                    Status::NotApplicable,
                    "Intel Mac: enforced updates do not use a bootstrap token",
                ),
                Some(false),
            )
        }
        Ok(Arch::AppleSilicon) => {}
    }
    let t = match &obs.bootstrap_token {
        Ok(t) => t,
        Err(u) => return out(Judgement::unknown(u.to_string()), Some(true)),
    };
    let mut j = Judgement::new(Status::Ok, "")
        .remediation("escrow a bootstrap token: have a Secure Token administrator log in (or run `sudo profiles install -type bootstraptoken`) on a Mac whose MDM profile lists com.apple.mdm.bootstraptoken in ServerCapabilities");
    for l in &t.lines {
        j = j.evidence(Evidence::line(probes::PROFILES_BOOTSTRAPTOKEN, l.clone()));
    }
    let mut a = BootstrapAssessment {
        judgement: j,
        applicable: Some(true),
        token: Some(TokenFacts {
            supported_on_server: t.supported_on_server,
            escrowed: t.escrowed,
            eacs_preflight: None,
        }),
        problem: None,
    };
    let early = if t.supported_on_server != Some(true) {
        Some(TokenProblem::NotSupportedOnServer)
    } else if t.escrowed != Some(true) {
        Some(TokenProblem::NotEscrowed)
    } else {
        None
    };
    if let Some(p) = early {
        a.judgement.status = Status::Warning;
        a.judgement.summary = format!("{}: {NEEDS_USER}", p.describe());
        a.problem = Some(p);
        return a;
    }
    let needs_eacs = obs
        .sw_vers
        .as_ref()
        .ok()
        .map(|v| compare_versions(&v.product_version, "13.3").is_ge());
    let j = &mut a.judgement;
    let eacs = match needs_eacs {
        Some(false) => {
            j.summary =
                "bootstrap token escrowed (EACSPreflight is only reported from macOS 13.3)".into();
            EacsPreflight::NotReported
        }
        _ => match &obs.device_info {
            Ok(d) => match d.eacs_preflight() {
                Some(v) => {
                    if eacs_ok(v) {
                        j.summary = format!("bootstrap token escrowed; EACSPreflight: {v}");
                    } else {
                        let p = TokenProblem::EacsPreflight(v.to_string());
                        j.status = Status::Warning;
                        j.summary = format!("{}: {NEEDS_USER}", p.describe());
                        a.problem = Some(p);
                    }
                    j.evidence.push(Evidence::line(
                        probes::MDMCLIENT_QDI,
                        format!("EACSPreflight = {v}"),
                    ));
                    EacsPreflight::Value(v.to_string())
                }
                None => {
                    j.summary =
                        "bootstrap token escrowed; mdmclient printed no EACSPreflight".into();
                    EacsPreflight::Absent
                }
            },
            Err(u) => {
                j.summary = format!("bootstrap token escrowed; EACSPreflight unknown ({u})");
                EacsPreflight::Unknown(u.to_string())
            }
        },
    };
    if let Some(t) = a.token.as_mut() {
        t.eacs_preflight = Some(eacs);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    #[test]
    fn escrowed_with_eacs_success_or_efi_password() {
        let a = assess(&obs(base()), &Config::default());
        assert_eq!(a.judgement.status, Status::Ok);
        assert_eq!(
            a.token.unwrap().eacs_preflight,
            Some(EacsPreflight::Value("success".into()))
        );
        assert_eq!(a.problem, None);
        let b = with(
            base(),
            ok(
                "mdmclient_qdi",
                b"{ EACSPreflight = \"EFI password exists\"; }",
            ),
        );
        assert_eq!(
            assess(&obs(b), &Config::default()).judgement.status,
            Status::Ok
        );
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
        let a = assess(&obs(b), &Config::default());
        let f = &a.judgement;
        assert_eq!(f.status, Status::Warning);
        assert!(f.summary.contains("does not support"));
        assert!(f.summary.contains("user's credentials"));
        assert_eq!(a.problem, Some(TokenProblem::NotSupportedOnServer));
    }

    #[test]
    fn intel_is_not_applicable_and_old_macos_skips_eacs() {
        let b = with(
            base(),
            failed("hw_arm64", 1, "sysctl: unknown oid 'hw.optional.arm64'"),
        );
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::NotApplicable);
        assert_eq!(a.applicable, Some(false));
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
        let a = assess(&obs(b), &Config::default());
        assert_eq!(
            a.judgement.status,
            Status::Ok,
            "EACSPreflight is only read from 13.3"
        );
        assert_eq!(
            a.token.unwrap().eacs_preflight,
            Some(EacsPreflight::NotReported)
        );
        assert!(eacs_ok(" Success "));
    }
}
