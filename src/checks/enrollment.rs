//! `mdm.enrollment`: enrolled or not, via ADE (DEP) or not, user approved or not, server URL,
//! push topic, whether the server escrows bootstrap tokens.
//!
//! Addigy's MDM Watchdog check #1 ("Checks to see if the device is enrolled into an
//! MDM server"); its `MDMEnrolled` key is this finding's `enrolled` fact. The answer comes from
//! `profiles status -type enrollment` (never the rate-limited `profiles show`); the MDM payload
//! from `profiles -L -o stdout-xml` adds the server, topic and capabilities and is cross-checked:
//! a status and a payload that disagree are reported, since either means MDM is half-broken.

use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::profiles::MdmProfile;
use crate::probes;

const ENROLL_FIX: &str = "Enroll the Mac in your MDM. If it is assigned to your MDM in Apple Business/School Manager, run `sudo profiles renew -type enrollment` (or re-run Setup Assistant); otherwise install the enrollment profile from your MDM's enrollment page and approve it in System Settings > General > Device Management.";

const APPROVE_FIX: &str = "Have the user approve the MDM profile in System Settings > General > Device Management (Profiles on older macOS). Approval has to be a local click: it cannot be given by a script or remote screen control. Enrolling through Automated Device Enrollment (ADE) makes approval implicit and the Mac supervised.";

const MISMATCH_FIX: &str = "Re-run `sudo profiles status -type enrollment` and `sudo profiles -L`; if they still disagree, the MDM profile is half-installed or half-removed: remove it from the MDM console (or `sudo profiles remove`) and re-enroll.";

/// What the enrollment status and the MDM payload say.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentAssessment {
    pub judgement: Judgement,
    pub situation: EnrollmentSituation,
    /// `None` when the enrollment status is unknown.
    pub facts: Option<EnrollmentFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentFacts {
    /// `profiles status`: "MDM enrollment: Yes". Addigy's `MDMEnrolled`.
    pub enrolled: bool,
    /// Enrolled via ADE (DEP); `None` when the status did not say.
    pub dep: Option<bool>,
    pub user_approved: bool,
    /// The status line's server, else the payload's ServerURL.
    pub server_url: Option<String>,
    pub topic: Option<String>,
    /// The payload lists `com.apple.mdm.bootstraptoken`; `None` without a known payload.
    pub bootstrap_token_supported_by_server: Option<bool>,
    /// The installed MDM payload, when known to be there.
    pub profile: Option<ProfileFacts>,
    /// `IsSupervised` from mdmclient QueryDeviceInformation; `None` when not printed or unknown.
    pub supervised: Option<bool>,
    /// `SecurityInfo.ManagementStatus` from mdmclient QuerySecurityInfo, when read.
    pub management_status: Option<ManagementStatus>,
}

/// How mdmclient says the Mac was enrolled (kolide/launcher testdata QuerySecurityInfo.output).
#[derive(Debug, Clone, PartialEq)]
pub struct ManagementStatus {
    pub enrolled_via_dep: Option<bool>,
    pub user_approved_enrollment: Option<bool>,
}

fn flag(v: Option<&str>) -> Option<bool> {
    match v.map(str::trim) {
        Some("1") | Some("true") | Some("YES") => Some(true),
        Some("0") | Some("false") | Some("NO") => Some(false),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileFacts {
    pub profile_identifier: Option<String>,
    pub check_in_url: Option<String>,
}

/// The situations of `mdm.enrollment`: what `decide` found, before any wording.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrollmentSituation {
    /// `profiles status` gave no reading (why).
    Unknown {
        why: String,
    },
    /// Status says enrolled, no MDM payload installed: mdmclient has nothing to talk to the
    /// server with.
    StatusWithoutPayload,
    /// A payload installed but status says not enrolled: the enrolment or the removal did not
    /// complete; Addigy's key stays false (status is its source).
    PayloadWithoutStatus,
    NotEnrolled,
    /// Profile-based enrolment without approval ("MDM enrollment: Yes" without "(User
    /// Approved)"): the MDM cannot approve kernel extensions or privacy settings, and OS updates
    /// by MDM need a supervised Mac (Addigy lists "Device is Supervised" among its checks).
    NotApproved {
        server_url: Option<String>,
    },
    Enrolled {
        via_ade: bool,
        user_approved: bool,
        server_url: Option<String>,
    },
}

pub(crate) fn assess(obs: &Observations, _cfg: &Config) -> EnrollmentAssessment {
    let situation = decide(obs);
    let mut judgement = judge(&situation);
    judgement.evidence = evidence(obs);
    EnrollmentAssessment {
        judgement,
        facts: facts(obs),
        situation,
    }
}

/// The MDM payload: `Some(None)` known absent, `None` unknown.
fn payload(obs: &Observations) -> Option<Option<&MdmProfile>> {
    match &obs.mdm_profile {
        Ok(p) => Some(p.as_ref()),
        Err(_) => None,
    }
}

/// The status line's server, else the payload's ServerURL.
fn server_url(obs: &Observations) -> Option<String> {
    let e = obs.enrollment.as_ref().ok()?;
    e.server
        .clone()
        .or_else(|| payload(obs).flatten().and_then(|p| p.server_url.clone()))
}

/// The situation from the enrollment status cross-checked with the payload; no wording.
pub(crate) fn decide(obs: &Observations) -> EnrollmentSituation {
    let e = match &obs.enrollment {
        Ok(e) => e,
        Err(u) => return EnrollmentSituation::Unknown { why: u.to_string() },
    };
    match (e.mdm_enrolled, payload(obs)) {
        (true, Some(None)) => EnrollmentSituation::StatusWithoutPayload,
        (false, Some(Some(_))) => EnrollmentSituation::PayloadWithoutStatus,
        (false, _) => EnrollmentSituation::NotEnrolled,
        (true, _) if !e.user_approved && e.dep != Some(true) => EnrollmentSituation::NotApproved {
            server_url: server_url(obs),
        },
        (true, _) => EnrollmentSituation::Enrolled {
            via_ade: e.dep == Some(true),
            user_approved: e.user_approved,
            server_url: server_url(obs),
        },
    }
}

/// Every sentence of `mdm.enrollment`.
pub(crate) fn judge(s: &EnrollmentSituation) -> Judgement {
    let (status, summary, fix) = match s {
        EnrollmentSituation::Unknown { why } => return Judgement::unknown(why.clone()),
        EnrollmentSituation::StatusWithoutPayload => (
            Status::Warning,
            "profiles status says enrolled, but no MDM payload is installed".to_string(),
            Some(MISMATCH_FIX),
        ),
        EnrollmentSituation::PayloadWithoutStatus => (
            Status::Warning,
            "profiles status says not enrolled, but an MDM payload is installed".to_string(),
            Some(MISMATCH_FIX),
        ),
        EnrollmentSituation::NotEnrolled => (
            Status::Failed,
            "not enrolled in MDM".to_string(),
            Some(ENROLL_FIX),
        ),
        EnrollmentSituation::NotApproved { server_url } => (
            Status::Warning,
            format!(
                "enrolled{} but not user approved: the MDM cannot manage kernel extensions, privacy settings or (unsupervised) software updates",
                server_suffix(server_url)
            ),
            Some(APPROVE_FIX),
        ),
        EnrollmentSituation::Enrolled {
            via_ade,
            user_approved,
            server_url,
        } => (
            Status::Ok,
            format!(
                "enrolled{}{}{}",
                if *via_ade { " via ADE" } else { "" },
                if *user_approved { ", user approved" } else { "" },
                server_suffix(server_url)
            ),
            None,
        ),
    };
    let mut j = Judgement::new(status, summary);
    j.remediation = fix.map(str::to_string);
    j
}

/// What was seen: the status lines, the payload (or its absence), supervision and
/// ManagementStatus. With the status unknown only the payload is shown: it does not decide
/// enrolment alone (a stale payload is exactly the mismatch case) but is worth showing.
fn evidence(obs: &Observations) -> Vec<Evidence> {
    let Ok(e) = &obs.enrollment else {
        return match &obs.mdm_profile {
            Ok(Some(p)) => vec![profile_evidence(p, obs.now.offset())],
            _ => Vec::new(),
        };
    };
    let mut evidence: Vec<Evidence> = e
        .lines
        .iter()
        .map(|l| Evidence::line(probes::PROFILES_ENROLLMENT, l.clone()))
        .collect();
    match &obs.mdm_profile {
        Ok(Some(p)) => evidence.push(profile_evidence(p, obs.now.offset())),
        Ok(None) => evidence.push(Evidence::line(
            probes::PROFILES_MDM,
            "no com.apple.mdm payload among the device profiles",
        )),
        Err(u) => evidence.push(Evidence::line(
            probes::PROFILES_MDM,
            format!("MDM payload unknown: {u}"),
        )),
    }
    if let Some(v) = supervised(obs) {
        evidence.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("IsSupervised = {}", u8::from(v)),
        ));
    }
    evidence.push(match management_status(obs) {
        Ok(m) => {
            let show =
                |v: Option<bool>| v.map_or("absent".to_string(), |b| u8::from(b).to_string());
            Evidence::line(
                probes::MDMCLIENT_QSI,
                format!(
                    "ManagementStatus: EnrolledViaDEP {}, UserApprovedEnrollment {}",
                    show(m.enrolled_via_dep),
                    show(m.user_approved_enrollment)
                ),
            )
        }
        Err(u) => Evidence::line(
            probes::MDMCLIENT_QSI,
            format!("ManagementStatus unknown: {u}"),
        ),
    });
    evidence
}

fn supervised(obs: &Observations) -> Option<bool> {
    obs.device_info
        .as_ref()
        .ok()
        .and_then(|d| flag(d.get("IsSupervised")))
}

fn management_status(obs: &Observations) -> Result<ManagementStatus, String> {
    match &obs.security_info {
        Ok(d) => Ok(ManagementStatus {
            enrolled_via_dep: flag(d.get("EnrolledViaDEP")),
            user_approved_enrollment: flag(d.get("UserApprovedEnrollment")),
        }),
        Err(u) => Err(u.to_string()),
    }
}

/// The facts, `None` when the status is unknown.
fn facts(obs: &Observations) -> Option<EnrollmentFacts> {
    let e = obs.enrollment.as_ref().ok()?;
    let profile = payload(obs).flatten();
    Some(EnrollmentFacts {
        enrolled: e.mdm_enrolled,
        dep: e.dep,
        user_approved: e.user_approved,
        server_url: server_url(obs),
        topic: profile.and_then(|p| p.topic.clone()),
        bootstrap_token_supported_by_server: profile.map(|p| p.bootstrap_token_supported()),
        profile: profile.map(|p| ProfileFacts {
            profile_identifier: p.profile_identifier.clone(),
            check_in_url: p.check_in_url.clone(),
        }),
        supervised: supervised(obs),
        management_status: management_status(obs).ok(),
    })
}

fn server_suffix(url: &Option<String>) -> String {
    url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default()
}

fn profile_evidence(p: &MdmProfile, local: &chrono::FixedOffset) -> Evidence {
    let mut parts = vec![format!(
        "com.apple.mdm payload in profile {}",
        p.profile_identifier.as_deref().unwrap_or("?")
    )];
    if let Some(u) = &p.server_url {
        parts.push(format!("ServerURL {u}"));
    }
    if let Some(t) = &p.topic {
        parts.push(format!("Topic {t}"));
    }
    if let Some(d) = &p.install_date {
        parts.push(format!(
            "installed {}",
            crate::state::reformat_time(d, local)
        ));
    }
    Evidence::line(probes::PROFILES_MDM, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Fault;
    use crate::system::ProbeResult;
    use crate::test_support::{fixture, obs_only as obs, ok_out, sample};
    use expect_test::{expect, Expect};

    fn profile(name: &str) -> Vec<u8> {
        fixture("profiles", name)
    }

    const NOT_ENROLLED: &str =
        "profiles_status_enrollment__not_enrolled__github_runner_macos26_and_15.txt";
    const UAMDM: &str =
        "profiles_status_enrollment__dep_no__mdm_yes_user_approved__macos10.13.4.txt";
    const DEP: &str =
        "profiles_status_enrollment__dep_yes__user_approved__mdm_server_line__chromium_comment.txt";

    /// `decide` on one enrollment status and one profile listing.
    fn check(status: ProbeResult, listing: ProbeResult, expected: Expect) {
        let s = decide(&obs(vec![status, listing], true));
        expected.assert_eq(&format!("{s:?}"));
    }

    #[test]
    fn decide_situations() {
        let scep = || ok_out(probes::PROFILES_MDM, profile("enrolled_scep_identity.xml"));
        check(
            ok_out(probes::PROFILES_ENROLLMENT, sample(DEP)),
            scep(),
            expect![[
                r#"Enrolled { via_ade: true, user_approved: true, server_url: Some("https://applemdm.example.com/some/path?foo=bar") }"#
            ]],
        );
        check(
            ok_out(probes::PROFILES_ENROLLMENT, sample(UAMDM)),
            ok_out(probes::PROFILES_MDM, profile("enrolled_acme_identity.xml")),
            expect![[
                r#"Enrolled { via_ade: false, user_approved: true, server_url: Some("https://acme-mdm.example.org/mdm") }"#
            ]],
        );
        check(
            ok_out(
                probes::PROFILES_ENROLLMENT,
                "Enrolled via DEP: No\nMDM enrollment: Yes\n",
            ),
            scep(),
            expect![[r#"NotApproved { server_url: Some("https://mdm.example.com/mdm/server") }"#]],
        );
        check(
            ok_out(probes::PROFILES_ENROLLMENT, sample(UAMDM)),
            ok_out(probes::PROFILES_MDM, profile("no_mdm_payload.xml")),
            expect!["StatusWithoutPayload"],
        );
        check(
            ok_out(probes::PROFILES_ENROLLMENT, sample(NOT_ENROLLED)),
            scep(),
            expect!["PayloadWithoutStatus"],
        );
        check(
            ok_out(probes::PROFILES_ENROLLMENT, sample(NOT_ENROLLED)),
            ok_out(probes::PROFILES_MDM, profile("no_mdm_payload.xml")),
            expect!["NotEnrolled"],
        );
        check(
            ok_out(probes::PROFILES_ENROLLMENT, "garbage"),
            scep(),
            expect![[
                r#"Unknown { why: "probe profiles_enrollment unparseable: no \"MDM enrollment:\" line in profiles status output (first line: \"garbage\")" }"#
            ]],
        );
    }

    #[test]
    fn judge_wording() {
        let j = judge(&EnrollmentSituation::Enrolled {
            via_ade: true,
            user_approved: true,
            server_url: Some("https://mdm.example.com".into()),
        });
        assert_eq!((j.status, j.remediation), (Status::Ok, None));
        expect!["enrolled via ADE, user approved (https://mdm.example.com)"].assert_eq(&j.summary);
        let j = judge(&EnrollmentSituation::StatusWithoutPayload);
        assert_eq!(j.status, Status::Warning);
        expect!["profiles status says enrolled, but no MDM payload is installed"]
            .assert_eq(&j.summary);
        assert!(j.remediation.unwrap().contains("re-enroll"));
        let j = judge(&EnrollmentSituation::NotEnrolled);
        assert_eq!(j.status, Status::Failed);
        assert!(j.remediation.unwrap().contains("profiles renew"));
    }

    fn run(status: ProbeResult, listing: ProbeResult) -> (Judgement, EnrollmentFacts) {
        let a = assess(&obs(vec![status, listing], true), &Config::default());
        (a.judgement, a.facts.expect("status known"))
    }

    #[test]
    fn not_enrolled_fails_with_remediation() {
        let (f, x) = run(
            ok_out(probes::PROFILES_ENROLLMENT, sample(NOT_ENROLLED)),
            ok_out(
                probes::PROFILES_MDM,
                "<plist version=\"1.0\"><dict/></plist>",
            ),
        );
        assert_eq!(f.status, Status::Failed);
        assert!(!x.enrolled);
        assert_eq!(x.dep, Some(false));
        assert_eq!(x.server_url, None);
        assert!(f.remediation.unwrap().contains("profiles renew"));
    }

    #[test]
    fn dep_enrolled_is_ok_with_server_from_status_and_topic_from_profile() {
        let (f, x) = run(
            ok_out(probes::PROFILES_ENROLLMENT, sample(DEP)),
            ok_out(probes::PROFILES_MDM, profile("enrolled_scep_identity.xml")),
        );
        assert_eq!(f.status, Status::Ok, "{}", f.summary);
        assert!(x.enrolled);
        assert_eq!(x.dep, Some(true));
        assert!(x.user_approved);
        // The status line wins over the payload's ServerURL when both exist.
        assert_eq!(
            x.server_url.as_deref(),
            Some("https://applemdm.example.com/some/path?foo=bar")
        );
        assert_eq!(
            x.topic.as_deref(),
            Some("com.apple.mgmt.External.3f1b8e2c-8d4a-4f7e-9c61-2a5b7d9e0c13")
        );
        assert_eq!(x.bootstrap_token_supported_by_server, Some(true));
        // Three status lines and the payload; mdmclient QuerySecurityInfo was not run here.
        let lines: Vec<_> = f
            .evidence
            .iter()
            .filter(|e| e.source != probes::MDMCLIENT_QSI)
            .collect();
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn server_url_falls_back_to_the_payload() {
        let (f, x) = run(
            ok_out(probes::PROFILES_ENROLLMENT, sample(UAMDM)),
            ok_out(probes::PROFILES_MDM, profile("enrolled_acme_identity.xml")),
        );
        assert_eq!(f.status, Status::Ok);
        assert_eq!(
            x.server_url.as_deref(),
            Some("https://acme-mdm.example.org/mdm")
        );
        assert_eq!(x.bootstrap_token_supported_by_server, Some(false));
    }

    #[test]
    fn enrolled_not_approved_not_dep_warns() {
        let (f, x) = run(
            ok_out(
                probes::PROFILES_ENROLLMENT,
                "Enrolled via DEP: No\nMDM enrollment: Yes\n",
            ),
            ok_out(probes::PROFILES_MDM, profile("enrolled_scep_identity.xml")),
        );
        assert_eq!(f.status, Status::Warning);
        assert!(x.enrolled);
        assert!(!x.user_approved);
        assert!(f.remediation.unwrap().contains("Device Management"));
    }

    #[test]
    fn status_enrolled_without_payload_warns_with_both_sides() {
        let (f, x) = run(
            ok_out(probes::PROFILES_ENROLLMENT, sample(UAMDM)),
            ok_out(probes::PROFILES_MDM, profile("no_mdm_payload.xml")),
        );
        assert_eq!(f.status, Status::Warning);
        assert!(x.enrolled);
        assert!(f
            .evidence
            .iter()
            .any(|e| e.source == probes::PROFILES_ENROLLMENT));
        assert!(f.evidence.iter().any(|e| e.source == probes::PROFILES_MDM));
        assert_eq!(x.bootstrap_token_supported_by_server, None);
    }

    #[test]
    fn payload_without_enrolment_warns_and_keeps_enrolled_false() {
        let (f, x) = run(
            ok_out(probes::PROFILES_ENROLLMENT, sample(NOT_ENROLLED)),
            ok_out(probes::PROFILES_MDM, profile("enrolled_scep_identity.xml")),
        );
        assert_eq!(f.status, Status::Warning);
        assert!(!x.enrolled);
        assert!(f.evidence.iter().any(|e| e.text.contains("ServerURL")));
    }

    #[test]
    fn unknown_profile_listing_does_not_block_the_answer() {
        let (f, x) = run(
            ok_out(probes::PROFILES_ENROLLMENT, sample(DEP)),
            ok_out(probes::PROFILES_MDM, "garbage"),
        );
        assert_eq!(f.status, Status::Ok);
        assert_eq!(x.topic, None);
        assert!(f.evidence.iter().any(|e| e.text.contains("unparseable")));
    }

    fn unknown_reason(status: ProbeResult) -> String {
        let a = assess(
            &obs(
                vec![
                    status,
                    ok_out(probes::PROFILES_MDM, "<plist><dict/></plist>"),
                ],
                true,
            ),
            &Config::default(),
        );
        assert_eq!(a.judgement.status, Status::Unknown);
        assert!(a.facts.is_none());
        a.judgement.reason.unwrap()
    }

    #[test]
    fn unknown_by_fault_names_probe_and_fault() {
        let r = unknown_reason(ProbeResult::unavailable(
            probes::PROFILES_ENROLLMENT,
            "No such file or directory",
        ));
        assert!(r.starts_with("probe profiles_enrollment missing"), "{r}");

        let mut t = ok_out(probes::PROFILES_ENROLLMENT, "");
        t.timed_out = true;
        t.exit_status = None;
        assert!(unknown_reason(t).contains(Fault::Timeout.as_str()));

        let mut nr = ok_out(probes::PROFILES_ENROLLMENT, "");
        nr.exit_status = Some(1);
        nr.stderr = b"Must be running as root\n".to_vec();
        assert!(unknown_reason(nr).contains("not_root"));

        let g = ok_out(
            probes::PROFILES_ENROLLMENT,
            "Request too soon. Try again later.\n",
        );
        assert!(unknown_reason(g).contains("unparseable"));

        let e = ok_out(probes::PROFILES_ENROLLMENT, "");
        assert!(unknown_reason(e).contains("empty"));
    }

    #[test]
    fn supervision_and_management_status_from_mdmclient() {
        let a = assess(
            &obs(
                vec![
                    ok_out(probes::PROFILES_ENROLLMENT, sample(DEP)),
                    ok_out(probes::PROFILES_MDM, profile("enrolled_scep_identity.xml")),
                    ok_out(
                        probes::MDMCLIENT_QDI,
                        sample("mdmclient_QueryDeviceInformation__with_header_agent_response__macos13.3.1__kolide.txt"),
                    ),
                    ok_out(
                        probes::MDMCLIENT_QSI,
                        sample("mdmclient_QuerySecurityInfo__ManagementStatus__kolide.txt"),
                    ),
                ],
                true,
            ),
            &Config::default(),
        );
        let x = a.facts.unwrap();
        assert_eq!(x.supervised, Some(true));
        assert_eq!(
            x.management_status,
            Some(ManagementStatus {
                enrolled_via_dep: Some(true),
                user_approved_enrollment: Some(true),
            })
        );
        assert!(a
            .judgement
            .evidence
            .iter()
            .any(|e| e.text == "ManagementStatus: EnrolledViaDEP 1, UserApprovedEnrollment 1"));
        // The 10.14 sample prints no IsSupervised: unknown, not false.
        let a = assess(
            &obs(
                vec![
                    ok_out(probes::PROFILES_ENROLLMENT, sample(DEP)),
                    ok_out(
                        probes::MDMCLIENT_QDI,
                        sample("mdmclient_QueryDeviceInformation__seed_catalog_IsDefaultCatalog0__macos10.14.6__kolide.txt"),
                    ),
                ],
                true,
            ),
            &Config::default(),
        );
        let x = a.facts.unwrap();
        assert_eq!(x.supervised, None);
        assert_eq!(x.management_status, None);
    }
}
