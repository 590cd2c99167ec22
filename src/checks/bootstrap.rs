//! `bootstrap_token`: can an enforced install on Apple silicon authorise itself.
//!
//! Apple (*Managing software updates for IT*): a Mac with Apple silicon fetches the bootstrap
//! token from the MDM to authorise an MDM-initiated or enforced update; without one the Mac
//! prompts for a user's credentials. Intel Macs do not need it (`not_applicable`). Evidence:
//! `profiles status -type bootstraptoken` (both lines YES, as Macjutsu/super reads them; only the
//! first line when the server lacks support, fixture) and, on macOS 13.3+, `EACSPreflight` from
//! `mdmclient QueryDeviceInformation` (kolide/launcher `ee/tables/mdmclient/testdata`), read as
//! SUPER does: `success` is good. From 13.3 a missing or unreadable value is `unknown`, not `ok`:
//! the token's usability is then simply not known. The failure values admins' scripts match
//! (Macjutsu/super) each get their own remedy ([`EacsValue`]).

use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::sw_vers::compare_versions;
use crate::parse::sysctl::Arch;
use crate::probes;

const NEEDS_USER: &str = "enforced installs on this Mac will need a user's credentials";

/// The `EACSPreflight` values seen in the field (Macjutsu/super and admins' extension
/// attributes match these texts), each with what it means for an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EacsValue {
    Success,
    /// A firmware (EFI) password is set. It stops Erase All Content and Settings, which the
    /// preflight is named after, not the bootstrap token: SUPER accepts it as a usable token, and
    /// so does this check (with the value shown).
    EfiPasswordExists,
    /// Apple silicon in Reduced or Permissive Security.
    NotFullSecurity,
    InvalidDiskLayout,
    NotSupported,
    /// `Unable to get Bootstrap Token ...`: the Mac could not fetch the token from the MDM.
    UnableToGetToken,
    Other,
}

impl EacsValue {
    pub fn of(v: &str) -> EacsValue {
        let l = v.trim().to_ascii_lowercase();
        match l.as_str() {
            "success" => EacsValue::Success,
            "efi password exists" => EacsValue::EfiPasswordExists,
            _ if l.contains("not on full security") => EacsValue::NotFullSecurity,
            _ if l.contains("invalid disk layout") => EacsValue::InvalidDiskLayout,
            _ if l.contains("unable to get bootstrap token") => EacsValue::UnableToGetToken,
            _ if l.contains("not supported") => EacsValue::NotSupported,
            _ => EacsValue::Other,
        }
    }

    pub fn usable(&self) -> bool {
        matches!(self, EacsValue::Success | EacsValue::EfiPasswordExists)
    }

    /// The code in the `eacs_preflight_state` fact.
    pub fn as_str(&self) -> &'static str {
        match self {
            EacsValue::Success => "success",
            EacsValue::EfiPasswordExists => "efi_password_exists",
            EacsValue::NotFullSecurity => "not_full_security",
            EacsValue::InvalidDiskLayout => "invalid_disk_layout",
            EacsValue::NotSupported => "not_supported",
            EacsValue::UnableToGetToken => "unable_to_get_bootstrap_token",
            EacsValue::Other => "other",
        }
    }

    /// What to do about a failing value.
    pub fn remedy(&self) -> &'static str {
        match self {
            EacsValue::Success | EacsValue::EfiPasswordExists => TOKEN_FIX,
            EacsValue::NotFullSecurity => "start up in macOS Recovery, open Startup Security Utility and choose Full Security for the startup disk (Reduced Security stops the Mac from authorising updates with the bootstrap token), then check `sudo mdmclient QueryDeviceInformation` again",
            EacsValue::InvalidDiskLayout => "the startup disk's layout is not the one macOS installs (extra or altered APFS containers, e.g. from another OS): restore the standard layout, which usually means erasing and reinstalling macOS",
            EacsValue::NotSupported => "this Mac or macOS version cannot use the bootstrap token for updates: enforced and MDM-initiated installs will ask a user for credentials",
            EacsValue::UnableToGetToken => "the Mac could not fetch its bootstrap token from the MDM: check that the MDM still holds an escrowed token for this Mac, and escrow a new one (`sudo profiles install -type bootstraptoken` as a Secure Token administrator)",
            EacsValue::Other => TOKEN_FIX,
        }
    }
}

const TOKEN_FIX: &str = "escrow a bootstrap token: have a Secure Token administrator log in (or run `sudo profiles install -type bootstraptoken`) on a Mac whose MDM profile lists com.apple.mdm.bootstraptoken in ServerCapabilities";

/// Whether an enforced install can authorise itself with the bootstrap token.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapAssessment {
    pub judgement: Judgement,
    pub situation: BootstrapSituation,
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

/// The situations of `bootstrap_token`: what `decide` found, before any wording.
#[derive(Debug, Clone, PartialEq)]
pub enum BootstrapSituation {
    /// The architecture is unknown (why).
    ArchUnknown { why: String },
    /// Intel: enforced updates do not use a bootstrap token.
    Intel,
    /// Apple silicon, but `profiles status -type bootstraptoken` gave no reading (why).
    TokenUnknown { why: String },
    /// The server does not support tokens, or none is escrowed.
    Unusable(TokenProblem),
    /// Escrowed; macOS before 13.3 does not report EACSPreflight.
    EscrowedBefore13_3,
    /// Escrowed and EACSPreflight says it can be used (`success`, or a firmware password).
    Usable { eacs: String },
    /// Escrowed, but EACSPreflight says it cannot be used.
    EacsFails { eacs: String, value: EacsValue },
    /// Escrowed on 13.3+, but mdmclient printed no EACSPreflight (`truncated`: its output was cut).
    EacsAbsent { truncated: bool },
    /// Escrowed; mdmclient could not be read (why).
    EacsUnknown { why: String },
}

impl BootstrapSituation {
    /// What stops the token from authorising an enforced install.
    pub fn problem(&self) -> Option<TokenProblem> {
        match self {
            BootstrapSituation::Unusable(p) => Some(p.clone()),
            BootstrapSituation::EacsFails { eacs, .. } => {
                Some(TokenProblem::EacsPreflight(eacs.clone()))
            }
            _ => None,
        }
    }

    /// The EACSPreflight reading, once the token status left it to decide.
    fn eacs_preflight(&self) -> Option<EacsPreflight> {
        match self {
            BootstrapSituation::EscrowedBefore13_3 => Some(EacsPreflight::NotReported),
            BootstrapSituation::Usable { eacs } | BootstrapSituation::EacsFails { eacs, .. } => {
                Some(EacsPreflight::Value(eacs.clone()))
            }
            BootstrapSituation::EacsAbsent { .. } => Some(EacsPreflight::Absent),
            BootstrapSituation::EacsUnknown { why } => Some(EacsPreflight::Unknown(why.clone())),
            _ => None,
        }
    }
}

pub(crate) fn assess(obs: &Observations, _cfg: &Config) -> BootstrapAssessment {
    let situation = decide(obs);
    let mut judgement = judge(&situation);
    let token = match (&situation, &obs.bootstrap_token) {
        (
            BootstrapSituation::ArchUnknown { .. }
            | BootstrapSituation::Intel
            | BootstrapSituation::TokenUnknown { .. },
            _,
        )
        | (_, Err(_)) => None,
        (_, Ok(t)) => {
            for l in &t.lines {
                judgement =
                    judgement.evidence(Evidence::line(probes::PROFILES_BOOTSTRAPTOKEN, l.clone()));
            }
            Some(TokenFacts {
                supported_on_server: t.supported_on_server,
                escrowed: t.escrowed,
                eacs_preflight: situation.eacs_preflight(),
            })
        }
    };
    if let BootstrapSituation::Usable { eacs } | BootstrapSituation::EacsFails { eacs, .. } =
        &situation
    {
        judgement = judgement.evidence(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("EACSPreflight = {eacs}"),
        ));
    }
    BootstrapAssessment {
        judgement,
        applicable: match situation {
            BootstrapSituation::ArchUnknown { .. } => None,
            BootstrapSituation::Intel => Some(false),
            _ => Some(true),
        },
        token,
        problem: situation.problem(),
        situation,
    }
}

/// The situation from the architecture, the token status, the macOS version and mdmclient's
/// EACSPreflight; no wording.
pub(crate) fn decide(obs: &Observations) -> BootstrapSituation {
    match &obs.arch {
        Err(u) => return BootstrapSituation::ArchUnknown { why: u.to_string() },
        Ok(Arch::Intel) => return BootstrapSituation::Intel,
        Ok(Arch::AppleSilicon) => {}
    }
    let t = match &obs.bootstrap_token {
        Ok(t) => t,
        Err(u) => return BootstrapSituation::TokenUnknown { why: u.to_string() },
    };
    if t.supported_on_server != Some(true) {
        return BootstrapSituation::Unusable(TokenProblem::NotSupportedOnServer);
    }
    if t.escrowed != Some(true) {
        return BootstrapSituation::Unusable(TokenProblem::NotEscrowed);
    }
    let reports_eacs = obs
        .sw_vers
        .as_ref()
        .ok()
        .map(|v| compare_versions(&v.product_version, "13.3").is_ge());
    if reports_eacs == Some(false) {
        return BootstrapSituation::EscrowedBefore13_3;
    }
    match &obs.device_info {
        Ok(d) => match d.eacs_preflight() {
            Some(v) => {
                let value = EacsValue::of(v);
                if value.usable() {
                    BootstrapSituation::Usable {
                        eacs: v.to_string(),
                    }
                } else {
                    BootstrapSituation::EacsFails {
                        eacs: v.to_string(),
                        value,
                    }
                }
            }
            // From 13.3 mdmclient reports the value; without it the token's usability is not
            // known.
            None => BootstrapSituation::EacsAbsent {
                truncated: obs
                    .probes
                    .iter()
                    .any(|p| p.id == probes::MDMCLIENT_QDI && p.truncated),
            },
        },
        Err(u) => BootstrapSituation::EacsUnknown { why: u.to_string() },
    }
}

/// Every sentence of `bootstrap_token`.
pub(crate) fn judge(s: &BootstrapSituation) -> Judgement {
    let escrowed = |status, summary: String| Judgement::new(status, summary).remediation(TOKEN_FIX);
    match s {
        BootstrapSituation::ArchUnknown { why } => {
            Judgement::unknown(format!("architecture unknown ({why})"))
        }
        BootstrapSituation::Intel => Judgement::new(
            Status::NotApplicable,
            "Intel Mac: enforced updates do not use a bootstrap token",
        ),
        BootstrapSituation::TokenUnknown { why } => Judgement::unknown(why.clone()),
        BootstrapSituation::Unusable(p) => {
            escrowed(Status::Warning, format!("{}: {NEEDS_USER}", p.describe()))
        }
        BootstrapSituation::EscrowedBefore13_3 => escrowed(
            Status::Ok,
            "bootstrap token escrowed (EACSPreflight is only reported from macOS 13.3)".into(),
        ),
        BootstrapSituation::Usable { eacs } => escrowed(
            Status::Ok,
            format!("bootstrap token escrowed; EACSPreflight: {eacs}"),
        ),
        BootstrapSituation::EacsFails { eacs, value } => Judgement::new(
            Status::Warning,
            format!(
                "{}: {NEEDS_USER}",
                TokenProblem::EacsPreflight(eacs.clone()).describe()
            ),
        )
        .remediation(value.remedy()),
        BootstrapSituation::EacsAbsent { truncated } => {
            let why = format!(
                "macOS 13.3 or later, but probe {} printed no EACSPreflight{}",
                probes::MDMCLIENT_QDI,
                if *truncated {
                    " (its output was truncated)"
                } else {
                    ""
                }
            );
            let mut j = escrowed(
                Status::Unknown,
                format!("bootstrap token escrowed; unknown: {why}"),
            );
            j.reason = Some(why);
            j
        }
        BootstrapSituation::EacsUnknown { why } => {
            let mut j = escrowed(
                Status::Unknown,
                format!("bootstrap token escrowed; EACSPreflight unknown ({why})"),
            );
            j.reason = Some(format!("EACSPreflight unknown: {why}"));
            j
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::ProbeResult;
    use crate::test_support::*;
    use expect_test::{expect, Expect};

    /// `decide` on the base Mac (Apple silicon, macOS 15.1, token escrowed, EACSPreflight
    /// success) with these probe results replaced.
    fn check(replace: Vec<ProbeResult>, expected: Expect) {
        let b = replace.into_iter().fold(base(), with);
        expected.assert_eq(&format!("{:?}", decide(&obs(b))));
    }

    fn qdi(eacs: &str) -> ProbeResult {
        ok(
            "mdmclient_qdi",
            format!("{{\n    EACSPreflight = {eacs};\n}}\n").as_bytes(),
        )
    }

    #[test]
    fn decide_situations() {
        check(vec![], expect![[r#"Usable { eacs: "success" }"#]]);
        check(
            vec![qdi("\"EFI password exists\"")],
            expect![[r#"Usable { eacs: "EFI password exists" }"#]],
        );
        check(
            vec![qdi("\"System is not on full security\"")],
            expect![[
                r#"EacsFails { eacs: "System is not on full security", value: NotFullSecurity }"#
            ]],
        );
        check(
            vec![failed(
                "hw_arm64",
                1,
                "sysctl: unknown oid 'hw.optional.arm64'",
            )],
            expect![[r#"Intel"#]],
        );
        check(
            vec![failed("hw_arm64", 1, "sysctl: permission denied")],
            expect![[
                r#"ArchUnknown { why: "probe hw_arm64 not_root: exit status 1: sysctl: permission denied" }"#
            ]],
        );
        check(
            vec![ok(
                "profiles_bootstraptoken",
                b"profiles: Bootstrap Token supported on server: YES\nprofiles: Bootstrap Token escrowed to server: NO\n",
            )],
            expect![[r#"Unusable(NotEscrowed)"#]],
        );
        check(
            vec![failed("profiles_bootstraptoken", 1, "profiles: error")],
            expect![[
                r#"TokenUnknown { why: "probe profiles_bootstraptoken failed: exit status 1: profiles: error" }"#
            ]],
        );
        check(
            vec![ok(
                "sw_vers",
                b"ProductName:\tmacOS\nProductVersion:\t13.2.1\nBuildVersion:\t22D68\n",
            )],
            expect![[r#"EscrowedBefore13_3"#]],
        );
        check(
            vec![ok("mdmclient_qdi", b"{\n    IsSupervised = 1;\n}\n")],
            expect![[r#"EacsAbsent { truncated: false }"#]],
        );
        check(
            vec![failed("mdmclient_qdi", 1, "must be root")],
            expect![[
                r#"EacsUnknown { why: "probe mdmclient_qdi failed: exit status 1: must be root" }"#
            ]],
        );
    }

    #[test]
    fn judge_wording() {
        let j = judge(&BootstrapSituation::Unusable(
            TokenProblem::NotSupportedOnServer,
        ));
        assert_eq!(j.status, Status::Warning);
        expect!["the MDM server does not support bootstrap tokens: enforced installs on this Mac will need a user's credentials"].assert_eq(&j.summary);
        let j = judge(&BootstrapSituation::EacsAbsent { truncated: true });
        assert_eq!(j.status, Status::Unknown);
        expect!["macOS 13.3 or later, but probe mdmclient_qdi printed no EACSPreflight (its output was truncated)"].assert_eq(j.reason.as_deref().unwrap());
        let j = judge(&BootstrapSituation::EacsFails {
            eacs: "Invalid disk layout".into(),
            value: EacsValue::InvalidDiskLayout,
        });
        expect![[r#"bootstrap token escrowed but EACSPreflight says "Invalid disk layout": enforced installs on this Mac will need a user's credentials"#]].assert_eq(&j.summary);
        assert!(j.remediation.unwrap().contains("layout"));
    }

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
        assert_eq!(a.judgement.status, Status::Warning);
        assert_eq!(
            a.situation,
            BootstrapSituation::Unusable(TokenProblem::NotSupportedOnServer)
        );
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
        assert!(EacsValue::of(" Success ").usable());
    }

    #[test]
    fn eacs_values_seen_in_the_field_each_with_its_remedy() {
        // (value as mdmclient prints it, usable, state code, a word of the remedy)
        let cases = [
            ("success", true, "success", "escrow"),
            (
                "\"EFI password exists\"",
                true,
                "efi_password_exists",
                "escrow",
            ),
            (
                "\"System is not on full security\"",
                false,
                "not_full_security",
                "Startup Security Utility",
            ),
            (
                "\"Invalid disk layout\"",
                false,
                "invalid_disk_layout",
                "layout",
            ),
            ("\"not supported\"", false, "not_supported", "credentials"),
            (
                "\"Unable to get Bootstrap Token: timed out\"",
                false,
                "unable_to_get_bootstrap_token",
                "escrow a new one",
            ),
            ("\"something new\"", false, "other", "escrow"),
        ];
        for (printed, usable, code, remedy) in cases {
            let qdi = format!("{{\n    EACSPreflight = {printed};\n}}\n");
            let a = assess(
                &obs(with(base(), ok("mdmclient_qdi", qdi.as_bytes()))),
                &Config::default(),
            );
            let Some(EacsPreflight::Value(v)) = a.token.as_ref().unwrap().eacs_preflight.clone()
            else {
                panic!("{printed}: {a:?}")
            };
            assert_eq!(EacsValue::of(&v).as_str(), code, "{printed}");
            assert_eq!(a.judgement.status == Status::Ok, usable, "{printed}");
            assert_eq!(a.problem.is_none(), usable, "{printed}");
            assert!(
                a.judgement.remediation.as_deref().unwrap().contains(remedy),
                "{printed}: {:?}",
                a.judgement.remediation
            );
        }
    }

    #[test]
    fn missing_eacs_on_13_3_or_later_is_unknown_not_ok() {
        // macOS 15.1 (base) and an mdmclient answer without the key.
        let b = with(
            base(),
            ok("mdmclient_qdi", b"{\n    IsSupervised = 1;\n}\n"),
        );
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Unknown);
        assert_eq!(
            a.situation,
            BootstrapSituation::EacsAbsent { truncated: false }
        );
        assert_eq!(a.token.unwrap().eacs_preflight, Some(EacsPreflight::Absent));
        // mdmclient not readable (not root): unknown with the probe's reason.
        let b = with(base(), failed("mdmclient_qdi", 1, "must be root"));
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Unknown);
        assert!(a
            .judgement
            .reason
            .as_deref()
            .unwrap()
            .contains("mdmclient_qdi"));
    }
}
