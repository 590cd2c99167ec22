//! `mdm.identity`: the MDM identity certificate exists and is valid; issuer, expiry, days left;
//! identity errors in the mdmclient log.
//!
//! Addigy's MDM Watchdog check #2 ("Checks to see if the device has a valid identity
//! certificate in place"); a `failed` finding is its `MDMIdentityError: true`. The certificate
//! is looked up in the System keychain by the subject CN that the MDM payload's identity
//! (SCEP/ACME) payload requests (observe's second phase). Without a valid identity the Mac cannot
//! authenticate to the MDM server, so nothing the MDM sends (updates included) arrives.
//! Days are counted against `obs.now`, never the wall clock, so replays give the same answer.

use chrono::{Duration, Utc};

use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::cert::CertInfo;
use crate::parse::Fault;
use crate::probes;

const RENEW_FIX: &str = "The identity is issued to the Mac by the MDM (SCEP/ACME during enrolment, renewed by the MDM before expiry). Check the MDM's identity-renewal settings; if it has already expired or is missing, the Mac can no longer reach the MDM by itself: re-enroll it (`sudo profiles renew -type enrollment` for ADE Macs, or reinstall the enrollment profile).";

const STALE_FIX: &str = "The Mac holds the MDM identity certificate without a usable private key, so it cannot authenticate to the MDM server and every check-in fails. This is a stale enrollment, as seen after Migration Assistant or a restore from a backup (fleetdm/fleet issues). Re-enroll the Mac: remove the MDM profile (or `sudo profiles remove`) and run `sudo profiles renew -type enrollment` for ADE Macs, or reinstall the enrollment profile.";

const LOG_FIX: &str = "mdmclient could not create or use its MDM identity. Check that the SCEP/ACME server in the enrollment profile is reachable from the Mac and accepts its challenge, then re-enroll if the errors persist (`sudo profiles renew -type enrollment` for ADE Macs, or reinstall the enrollment profile).";

/// The identity the MDM payload names, its certificate and the log's identity errors.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAssessment {
    pub judgement: Judgement,
    pub situation: IdentitySituation,
    /// `None` when no identity is expected (not enrolled, no payload): not applicable.
    pub details: Option<IdentityDetails>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityDetails {
    /// The subject CN the identity payload requests.
    pub common_name: Option<String>,
    pub certificate: CertificateReading,
    /// `Unable to create MDM identity` lines in the window; `None` when the log is unknown.
    pub identity_errors: Option<usize>,
    /// Whether the chosen certificate is a valid SSL-client identity with its private key;
    /// `None` when no certificate was found or read.
    pub private_key: Option<PrivateKey>,
}

/// The chosen certificate against `security find-identity -v -p ssl-client`.
#[derive(Debug, Clone, PartialEq)]
pub enum PrivateKey {
    Present,
    /// Not listed as a valid SSL-client identity: no private key, or not usable for TLS.
    Missing,
    /// The identity listing could not be read: why.
    Unknown(String),
}

impl PrivateKey {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PrivateKey::Present => Some(true),
            PrivateKey::Missing => Some(false),
            PrivateKey::Unknown(_) => None,
        }
    }
}

/// What the System keychain lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum CertificateReading {
    /// The lookup did not answer (not run, not root, failed): no certificate facts.
    Unknown,
    NotFound,
    Found {
        /// The certificate judged (see `pick`).
        chosen: CertInfo,
        days_left: i64,
        /// Certificates the lookup returned, the chosen one included.
        found: usize,
    },
}

/// The chosen certificate's validity at `obs.now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Validity {
    Expired {
        days_ago: i64,
    },
    /// Valid only in the future: TLS client authentication fails just the same (or the clock is
    /// wrong, which breaks the MDM connection too).
    NotYetValid {
        from: chrono::DateTime<Utc>,
    },
    /// Valid, but fewer days left than `IdentityWarningDays`.
    Expiring {
        days: i64,
    },
    Valid {
        days: i64,
    },
}

/// What the System keychain holds for the identity.
#[derive(Debug, Clone, PartialEq)]
pub enum CertSituation {
    /// The lookup did not answer (why; `not_root`: it needs root).
    Unknown { why: String, not_root: bool },
    /// No certificate (named `cn`, when the payload names one).
    NotFound { cn: Option<String> },
    Found {
        issuer: String,
        not_after: chrono::DateTime<Utc>,
        validity: Validity,
        /// Other matching certificates beside the chosen one.
        others: usize,
        /// `security find-identity` does not list it: its private key is missing or unusable
        /// (a stale enrollment).
        key_missing: bool,
    },
}

/// The situations of `mdm.identity`: what `decide` found, before any wording.
#[derive(Debug, Clone, PartialEq)]
pub enum IdentitySituation {
    /// Not enrolled and no payload: no identity expected.
    NotEnrolled,
    /// Enrollment status unknown and no payload installed: no identity expected.
    NoPayload,
    /// `Unable to create MDM identity` lines in the window, with the certificate's situation.
    LogErrors { count: usize, cert: CertSituation },
    /// No identity errors in the log (or the log unknown): the certificate decides.
    Cert(CertSituation),
}

pub(crate) fn assess(obs: &Observations, cfg: &Config) -> IdentityAssessment {
    let situation = decide(obs, cfg);
    let mut judgement = judge(&situation);
    let details = match situation {
        IdentitySituation::NotEnrolled | IdentitySituation::NoPayload => None,
        _ => {
            judgement.evidence = evidence(obs, cfg);
            Some(details(obs, cfg))
        }
    };
    IdentityAssessment {
        judgement,
        situation,
        details,
    }
}

/// The subject CN the MDM payload's identity payload requests.
fn wanted_cn(obs: &Observations) -> Option<String> {
    obs.mdm_profile
        .as_ref()
        .ok()
        .and_then(|p| p.as_ref())
        .and_then(|p| p.identity_common_name.clone())
}

/// Identity errors from the mdmclient log, restricted to the liveness window (the probe asks
/// for that window already; this keeps a replayed capture with a longer log honest).
fn log_errors<'a>(
    obs: &'a Observations,
    cfg: &Config,
) -> Option<Vec<&'a crate::parse::mdm_log::LogLine>> {
    let now = obs.now.with_timezone(&Utc);
    let window_start = now - Duration::minutes(i64::from(cfg.liveness_window_minutes));
    let m = obs.mdm_log.as_ref().ok()?;
    Some(
        m.identity_errors()
            .filter(|l| match l.time {
                Some(t) => t.with_timezone(&Utc) >= window_start,
                // No parsed time: the probe's own --last window already bounded it.
                None => true,
            })
            .collect(),
    )
}

/// The certificate judged, when the lookup found any.
fn chosen(obs: &Observations) -> Option<&CertInfo> {
    match &obs.identity_cert {
        Ok(certs) if !certs.is_empty() => Some(pick(certs, wanted_cn(obs).as_deref()).0),
        _ => None,
    }
}

/// The certificate alone is not the identity: its private key must be in the System keychain
/// (Fleet's users saw Macs restored or migrated keep the certificate without its key).
fn private_key(obs: &Observations) -> Option<PrivateKey> {
    chosen(obs).map(|c| match &obs.identity_keys {
        Ok(ids) if ids.has(&c.sha1) => PrivateKey::Present,
        Ok(_) => PrivateKey::Missing,
        Err(u) => PrivateKey::Unknown(u.to_string()),
    })
}

/// The situation; no wording.
pub(crate) fn decide(obs: &Observations, cfg: &Config) -> IdentitySituation {
    let enrolled_by_status = obs.enrollment.as_ref().ok().map(|e| e.mdm_enrolled);
    let payload_installed = match &obs.mdm_profile {
        Ok(p) => Some(p.is_some()),
        Err(_) => None,
    };
    // Not applicable only when nothing says there is an MDM identity to have: a payload that the
    // status disowns still carries an identity worth checking (the enrollment check warns).
    match (enrolled_by_status, payload_installed) {
        (Some(false), Some(true)) => {}
        (Some(false), _) => return IdentitySituation::NotEnrolled,
        (None, Some(false)) => return IdentitySituation::NoPayload,
        _ => {}
    }
    let now = obs.now.with_timezone(&Utc);
    let cert = match (&obs.identity_cert, chosen(obs)) {
        (Err(u), _) => CertSituation::Unknown {
            why: u.to_string(),
            not_root: u.fault == Fault::NotRoot,
        },
        (Ok(_), None) => CertSituation::NotFound { cn: wanted_cn(obs) },
        (Ok(certs), Some(c)) => {
            let days = days_left(c, now);
            CertSituation::Found {
                issuer: c
                    .issuer_common_name
                    .clone()
                    .unwrap_or_else(|| c.issuer.clone()),
                not_after: c.not_after,
                validity: if c.not_after <= now {
                    Validity::Expired { days_ago: -days }
                } else if c.not_before > now {
                    Validity::NotYetValid { from: c.not_before }
                } else if days < i64::from(cfg.identity_warning_days) {
                    Validity::Expiring { days }
                } else {
                    Validity::Valid { days }
                },
                others: certs.len() - 1,
                key_missing: private_key(obs) == Some(PrivateKey::Missing),
            }
        }
    };
    match log_errors(obs, cfg).map(|l| l.len()) {
        Some(count) if count > 0 => IdentitySituation::LogErrors { count, cert },
        _ => IdentitySituation::Cert(cert),
    }
}

/// The certificate's own verdict (status and summary), or why it is unknown.
fn cert_verdict(c: &CertSituation) -> Result<(Status, String), String> {
    let (issuer, not_after, validity, others, key_missing) = match c {
        CertSituation::Unknown { why, not_root } => {
            return Err(if *not_root {
                format!("needs root: {why}")
            } else {
                why.clone()
            })
        }
        CertSituation::NotFound { cn } => {
            return Ok((
                Status::Failed,
                format!(
                    "no identity certificate{} in the System keychain",
                    cn.as_ref()
                        .map(|c| format!(" named {c:?}"))
                        .unwrap_or_default()
                ),
            ))
        }
        CertSituation::Found {
            issuer,
            not_after,
            validity,
            others,
            key_missing,
        } => (issuer, not_after, validity, *others, *key_missing),
    };
    let also = if others > 0 {
        format!(
            " ({others} other matching certificate{})",
            if others == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let date = not_after.format("%Y-%m-%d");
    let (status, summary) = match validity {
        Validity::Expired { days_ago } => (
            Status::Failed,
            format!(
                "identity certificate from {issuer} expired on {date} ({days_ago} days ago){also}"
            ),
        ),
        Validity::NotYetValid { from } => (
            Status::Failed,
            format!(
                "identity certificate from {issuer} is not valid before {}{also}",
                from.format("%Y-%m-%d")
            ),
        ),
        Validity::Expiring { days } => (
            Status::Warning,
            format!("identity certificate from {issuer} expires on {date}, in {days} days{also}"),
        ),
        Validity::Valid { days } => (
            Status::Ok,
            format!("identity certificate from {issuer} valid until {date} ({days} days){also}"),
        ),
    };
    // An expired or not-yet-valid certificate keeps its own, more specific failure.
    if key_missing && status != Status::Failed {
        return Ok((
            Status::Failed,
            format!(
                "stale enrollment (for example after Migration Assistant or a restore): the identity certificate has no usable private key in the System keychain ({summary})"
            ),
        ));
    }
    Ok((status, summary))
}

/// Every sentence of `mdm.identity`.
pub(crate) fn judge(s: &IdentitySituation) -> Judgement {
    match s {
        IdentitySituation::NotEnrolled => Judgement::new(
            Status::NotApplicable,
            "not enrolled in MDM: no identity certificate expected",
        ),
        IdentitySituation::NoPayload => Judgement::new(
            Status::NotApplicable,
            "no MDM payload installed: no identity certificate expected",
        ),
        IdentitySituation::LogErrors { count, cert } => {
            let tail = match cert_verdict(cert) {
                Ok((_, s)) => format!("; certificate: {s}"),
                Err(r) => format!("; certificate unknown: {r}"),
            };
            Judgement::new(
                Status::Failed,
                format!(
                    "{count} MDM identity error{} in the mdmclient log{tail}",
                    if *count == 1 { "" } else { "s" }
                ),
            )
            .remediation(LOG_FIX)
        }
        IdentitySituation::Cert(cert) => match cert_verdict(cert) {
            Err(reason) => Judgement::unknown(reason),
            Ok((status, summary)) => {
                let j = Judgement::new(status, summary);
                if matches!(
                    cert,
                    CertSituation::Found {
                        key_missing: true,
                        ..
                    }
                ) {
                    j.remediation(STALE_FIX)
                } else if status != Status::Ok {
                    j.remediation(RENEW_FIX)
                } else {
                    j
                }
            }
        },
    }
}

/// What was seen: the log's identity errors, every certificate found, the private key.
fn evidence(obs: &Observations, cfg: &Config) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    match log_errors(obs, cfg) {
        Some(lines) => {
            for l in lines {
                evidence.push(Evidence::log(
                    probes::LOG_MDMCLIENT,
                    l.timestamp.clone(),
                    l.message.clone(),
                ));
            }
        }
        None => {
            if let Err(u) = &obs.mdm_log {
                evidence.push(Evidence::line(
                    probes::LOG_MDMCLIENT,
                    format!("identity errors in the log unknown: {u}"),
                ));
            }
        }
    }
    if let Ok(certs) = &obs.identity_cert {
        if !certs.is_empty() {
            let (chosen, others) = pick(certs, wanted_cn(obs).as_deref());
            for c in std::iter::once(chosen).chain(others.iter().copied()) {
                evidence.push(Evidence::line(
                    probes::IDENTITY_CERT,
                    format!(
                        "{}subject {}, issuer {}, valid {} to {}, serial {}",
                        if std::ptr::eq(c, chosen) {
                            ""
                        } else {
                            "also found: "
                        },
                        c.subject,
                        c.issuer,
                        crate::state::format_time_in(&c.not_before, obs.now.offset()),
                        crate::state::format_time_in(&c.not_after, obs.now.offset()),
                        c.serial
                    ),
                ));
            }
        }
    }
    match (private_key(obs), chosen(obs)) {
        (Some(PrivateKey::Present), Some(c)) => evidence.push(Evidence::line(
            probes::IDENTITY_KEYS,
            format!("identity {} (SHA-1) with its private key, valid for SSL client", c.sha1),
        )),
        (Some(PrivateKey::Missing), Some(c)) => evidence.push(Evidence::line(
            probes::IDENTITY_KEYS,
            format!(
                "no valid SSL-client identity with SHA-1 {} (the certificate's private key is missing or unusable)",
                c.sha1
            ),
        )),
        (Some(PrivateKey::Unknown(u)), _) => evidence.push(Evidence::line(
            probes::IDENTITY_KEYS,
            format!("private key unknown: {u}"),
        )),
        _ => {}
    }
    evidence
}

/// The facts: the CN, the certificate read, the log's error count, the private key.
fn details(obs: &Observations, cfg: &Config) -> IdentityDetails {
    let now = obs.now.with_timezone(&Utc);
    let certificate = match &obs.identity_cert {
        Ok(certs) if !certs.is_empty() => {
            let (c, _) = pick(certs, wanted_cn(obs).as_deref());
            CertificateReading::Found {
                chosen: c.clone(),
                days_left: days_left(c, now),
                found: certs.len(),
            }
        }
        Ok(_) => CertificateReading::NotFound,
        Err(_) => CertificateReading::Unknown,
    };
    IdentityDetails {
        common_name: wanted_cn(obs),
        certificate,
        identity_errors: log_errors(obs, cfg).map(|l| l.len()),
        private_key: private_key(obs),
    }
}

/// The certificate to judge: among exact CN matches if any (`security -c` matches substrings),
/// the one with the latest notAfter (a renewed identity sits beside the old one until cleaned).
fn pick<'a>(certs: &'a [CertInfo], cn: Option<&str>) -> (&'a CertInfo, Vec<&'a CertInfo>) {
    let exact: Vec<&CertInfo> = certs
        .iter()
        .filter(|c| cn.is_some() && c.subject_common_name.as_deref() == cn)
        .collect();
    let pool: Vec<&CertInfo> = if exact.is_empty() {
        certs.iter().collect()
    } else {
        exact
    };
    // `certs` is non-empty here (callers check), so the pool is too; fall back to the first.
    let chosen = pool
        .iter()
        .copied()
        .max_by_key(|c| c.not_after)
        .unwrap_or(&certs[0]);
    let others = certs.iter().filter(|c| !std::ptr::eq(*c, chosen)).collect();
    (chosen, others)
}

fn days_left(c: &CertInfo, now: chrono::DateTime<Utc>) -> i64 {
    (c.not_after - now).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::mdm_log::{LogLine, MdmLog};
    use crate::parse::Unknown;
    use crate::system::ProbeResult;
    use crate::test_support::{now, obs_only as obs, ok_out};
    use expect_test::expect;

    const DEP: &str =
        "profiles_status_enrollment__dep_yes__user_approved__mdm_server_line__chromium_comment.txt";
    const NOT_ENROLLED: &str =
        "profiles_status_enrollment__not_enrolled__github_runner_macos26_and_15.txt";

    /// `tests/fixtures/<dir>/<name>` given as one relative path.
    fn file(rel: &str) -> Vec<u8> {
        let (dir, name) = rel.split_once('/').expect("dir/name");
        crate::test_support::fixture(dir, name)
    }

    fn enrolled() -> Vec<ProbeResult> {
        vec![
            ok_out(probes::PROFILES_ENROLLMENT, file(&format!("samples/{DEP}"))),
            // Constructed sample (tests/fixtures/profiles/README.md): SCEP identity whose CN is
            // the one the test certificates carry.
            ok_out(
                probes::PROFILES_MDM,
                file("profiles/enrolled_scep_identity.xml"),
            ),
        ]
    }

    /// The assessment flattened for assertions: the judgement plus typed accessors.
    struct Checked {
        j: Judgement,
        d: Option<IdentityDetails>,
        s: IdentitySituation,
    }

    impl std::ops::Deref for Checked {
        type Target = Judgement;
        fn deref(&self) -> &Judgement {
            &self.j
        }
    }

    impl Checked {
        fn cert(&self) -> (&CertInfo, i64, usize) {
            match &self.d.as_ref().expect("applicable").certificate {
                CertificateReading::Found {
                    chosen,
                    days_left,
                    found,
                } => (chosen, *days_left, *found),
                other => panic!("no certificate: {other:?}"),
            }
        }

        /// The certificate's situation (under log errors too).
        fn cert_situation(&self) -> &CertSituation {
            match &self.s {
                IdentitySituation::Cert(c) | IdentitySituation::LogErrors { cert: c, .. } => c,
                other => panic!("not applicable: {other:?}"),
            }
        }

        fn validity(&self) -> &Validity {
            match self.cert_situation() {
                CertSituation::Found { validity, .. } => validity,
                other => panic!("no certificate: {other:?}"),
            }
        }

        fn errors(&self) -> Option<usize> {
            self.d.as_ref().expect("applicable").identity_errors
        }
    }

    fn check(o: &Observations, cfg: &Config) -> Checked {
        let a = assess(o, cfg);
        Checked {
            j: a.judgement,
            d: a.details,
            s: a.situation,
        }
    }

    fn with_cert(pem: &str) -> Checked {
        let mut r = enrolled();
        r.push(ok_out(probes::IDENTITY_CERT, file(&format!("certs/{pem}"))));
        check(&obs(r, true), &Config::default())
    }

    #[test]
    fn valid_certificate_is_ok_with_facts() {
        let f = with_cert("identity_valid.pem");
        assert_eq!(f.status, Status::Ok, "{}", f.summary);
        assert_eq!(
            f.cert().0.subject,
            "O=Example Corp,CN=mdm-identity-C02ZK1ABMD6M"
        );
        assert_eq!(f.cert().0.issuer, "O=Example Corp,CN=Example MDM CA");
        assert_eq!(
            f.cert().0.not_after.to_rfc3339(),
            "2028-01-15T12:00:00+00:00"
        );
        // 2028-01-15T12:00Z - 2026-11-20T15:00Z = 421 days less 3 hours.
        assert_eq!(f.cert().1, 420);
        assert_eq!(f.cert().2, 1);
        assert_eq!(
            f.d.as_ref().unwrap().common_name.as_deref(),
            Some("mdm-identity-C02ZK1ABMD6M")
        );
        assert!(matches!(
            f.cert_situation(),
            CertSituation::Found { issuer, validity: Validity::Valid { days: 420 }, others: 0, key_missing: false, .. }
                if issuer == "Example MDM CA"
        ));
        assert!(f.remediation.is_none());
    }

    #[test]
    fn expiring_in_ten_days_warns() {
        let f = with_cert("identity_expiring.pem");
        assert_eq!(f.status, Status::Warning);
        assert_eq!(f.cert().1, 10);
        assert_eq!(f.validity(), &Validity::Expiring { days: 10 });
        assert!(f.remediation.is_some());
    }

    #[test]
    fn warning_threshold_comes_from_config() {
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_expiring.pem"),
        ));
        let cfg = Config {
            identity_warning_days: 7,
            ..Config::default()
        };
        assert_eq!(check(&obs(r, true), &cfg).status, Status::Ok);
    }

    #[test]
    fn expired_fails() {
        let f = with_cert("identity_expired.pem");
        assert_eq!(f.status, Status::Failed);
        assert_eq!(f.cert().1, -50);
        assert_eq!(f.validity(), &Validity::Expired { days_ago: 50 });
    }

    #[test]
    fn several_matches_pick_latest_not_after_and_mention_the_rest() {
        let f = with_cert("bundle_two_matches.pem");
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.cert().0.serial, "1001");
        assert_eq!(f.cert().2, 2);
        assert!(matches!(
            f.cert_situation(),
            CertSituation::Found { others: 1, .. }
        ));
        assert!(f
            .evidence
            .iter()
            .any(|e| e.text.starts_with("also found:") && e.text.contains("1004")));
    }

    #[test]
    fn expired_beside_a_valid_one_is_ok() {
        // bundle_with_garbage: expired 1003, a broken block, valid 1001.
        let f = with_cert("bundle_with_garbage.pem");
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.cert().0.serial, "1001");
    }

    #[test]
    fn certificate_not_found_fails() {
        let mut r = enrolled();
        let mut nf = ok_out(probes::IDENTITY_CERT, "");
        nf.exit_status = Some(44);
        nf.stderr = b"security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n".to_vec();
        r.push(nf);
        let f = check(&obs(r, true), &Config::default());
        assert_eq!(f.status, Status::Failed);
        assert_eq!(
            f.cert_situation(),
            &CertSituation::NotFound {
                cn: Some("mdm-identity-C02ZK1ABMD6M".into())
            }
        );
        assert_eq!(
            f.d.as_ref().unwrap().certificate,
            CertificateReading::NotFound
        );
    }

    #[test]
    fn not_enrolled_is_not_applicable() {
        let r = vec![
            ok_out(
                probes::PROFILES_ENROLLMENT,
                file(&format!("samples/{NOT_ENROLLED}")),
            ),
            ok_out(
                probes::PROFILES_MDM,
                "<plist version=\"1.0\"><dict/></plist>",
            ),
        ];
        assert_eq!(
            check(&obs(r, true), &Config::default()).status,
            Status::NotApplicable
        );
    }

    #[test]
    fn not_root_is_unknown_needs_root() {
        // Without root the listing has no _computerlevel; observe turns that into NotRoot and
        // the identity lookup is never run.
        let r = vec![
            ok_out(probes::PROFILES_ENROLLMENT, file(&format!("samples/{DEP}"))),
            ok_out(
                probes::PROFILES_MDM,
                "<plist version=\"1.0\"><dict/></plist>",
            ),
        ];
        let o = obs(r, false);
        assert_eq!(o.identity_cert.as_ref().unwrap_err().fault, Fault::NotRoot);
        let f = check(&o, &Config::default());
        assert_eq!(f.status, Status::Unknown);
        assert!(f.reason.clone().unwrap().starts_with("needs root"));

        // The probe itself refused.
        let mut r = enrolled();
        let mut nr = ok_out(probes::IDENTITY_CERT, "");
        nr.exit_status = Some(1);
        nr.stderr = b"security: Operation not permitted\n".to_vec();
        r.push(nr);
        let f = check(&obs(r, true), &Config::default());
        assert_eq!(f.status, Status::Unknown);
        assert!(f.reason.clone().unwrap().starts_with("needs root"));
    }

    #[test]
    fn unknown_by_fault() {
        let reason = |r: ProbeResult| {
            let mut all = enrolled();
            all.push(r);
            let f = check(&obs(all, true), &Config::default());
            assert_eq!(f.status, Status::Unknown, "{}", f.summary);
            f.reason.clone().unwrap()
        };
        let mut t = ok_out(probes::IDENTITY_CERT, "");
        t.timed_out = true;
        t.exit_status = None;
        assert!(reason(t).contains("identity_cert timeout"));
        assert!(reason(ProbeResult::unavailable(
            probes::IDENTITY_CERT,
            "no security binary"
        ))
        .contains("identity_cert missing"));
        assert!(reason(ok_out(
            probes::IDENTITY_CERT,
            file("certs/only_broken_block.pem")
        ))
        .contains("identity_cert unparseable"));
        // Not run: the probe result is absent although the profile names a CN.
        let f = check(&obs(enrolled(), true), &Config::default());
        assert_eq!(f.status, Status::Unknown);
    }

    #[test]
    fn pkcs12_identity_is_unknown_with_the_reason() {
        let r = vec![
            ok_out(probes::PROFILES_ENROLLMENT, file(&format!("samples/{DEP}"))),
            ok_out(
                probes::PROFILES_MDM,
                file("profiles/enrolled_pkcs12_identity.xml"),
            ),
        ];
        let f = check(&obs(r, true), &Config::default());
        assert_eq!(f.status, Status::Unknown);
        assert!(f.reason.clone().unwrap().contains("PKCS#12"));
    }

    fn with_log(cert: Option<&str>, lines: Vec<LogLine>) -> Checked {
        let mut r = enrolled();
        if let Some(c) = cert {
            r.push(ok_out(probes::IDENTITY_CERT, file(&format!("certs/{c}"))));
        }
        let mut o = obs(r, true);
        o.mdm_log = Ok(MdmLog {
            events: lines
                .into_iter()
                .map(|line| crate::parse::log_summary::Event {
                    line,
                    kind: crate::parse::mdm_log::MdmEventKind::IdentityError,
                    pattern: crate::parse::log_patterns::pattern("mdm.identity_error"),
                })
                .collect(),
            ..MdmLog::default()
        });
        check(&o, &Config::default())
    }

    fn line(minutes_ago: i64) -> LogLine {
        let t = now() - Duration::minutes(minutes_ago);
        LogLine {
            timestamp: t.format("%Y-%m-%d %H:%M:%S%.6f%z").to_string(),
            time: Some(t),
            message: "Unable to create MDM identity".into(),
            ..LogLine::default()
        }
    }

    #[test]
    fn log_identity_errors_fail_even_with_a_valid_certificate() {
        let f = with_log(Some("identity_valid.pem"), vec![line(10), line(5)]);
        assert_eq!(f.status, Status::Failed);
        assert_eq!(f.errors(), Some(2));
        assert_eq!(f.cert().1, 420);
        let logs: Vec<_> = f
            .evidence
            .iter()
            .filter(|e| e.source == probes::LOG_MDMCLIENT)
            .collect();
        assert_eq!(logs.len(), 2);
        assert!(logs[0].timestamp.is_some());
        assert!(matches!(f.s, IdentitySituation::LogErrors { count: 2, .. }));
    }

    #[test]
    fn log_errors_outside_the_window_are_ignored() {
        let f = with_log(Some("identity_valid.pem"), vec![line(600)]);
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.errors(), Some(0));
    }

    #[test]
    fn log_errors_decide_even_when_the_certificate_is_unknown() {
        let f = with_log(None, vec![line(1)]);
        assert_eq!(f.status, Status::Failed);
        assert!(matches!(
            f.s,
            IdentitySituation::LogErrors {
                count: 1,
                cert: CertSituation::Unknown { .. }
            }
        ));
    }

    #[test]
    fn unknown_log_is_noted_not_fatal() {
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_valid.pem"),
        ));
        let mut o = obs(r, true);
        o.mdm_log = Err(Unknown::new(probes::LOG_MDMCLIENT, Fault::Timeout, "60 s"));
        let f = check(&o, &Config::default());
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.errors(), None);
        assert!(f.evidence.iter().any(|e| e.text.contains("timeout")));
    }

    #[test]
    fn diagnose_maps_to_addigy_keys() {
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_expired.pem"),
        ));
        let d = crate::checks::diagnose(&obs(r, true), &Config::default());
        assert_eq!(d.enrolled, Some(true));
        assert_eq!(d.identity_error, Some(true));
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_valid.pem"),
        ));
        let d = crate::checks::diagnose(&obs(r, true), &Config::default());
        assert_eq!(d.identity_error, Some(false));
    }

    #[test]
    fn not_enrolled_mac_reads_like_addigys_sample() {
        // Seed 004's VM prints "MDMEnrolled: false MDMIdentityError: false".
        let r = vec![
            ok_out(
                probes::PROFILES_ENROLLMENT,
                file(&format!("samples/{NOT_ENROLLED}")),
            ),
            ok_out(
                probes::PROFILES_MDM,
                "<plist version=\"1.0\"><dict/></plist>",
            ),
        ];
        let d = crate::checks::diagnose(&obs(r, true), &Config::default());
        assert_eq!(d.enrolled, Some(false));
        assert_eq!(d.identity_error, Some(false));
    }

    #[test]
    fn end_to_end_second_phase_looks_up_the_profiles_cn() {
        use crate::system::fake::{Answer, FakeSystem};
        let cfg = Config::default();
        let sys = FakeSystem::new(now()).not_live();
        // Answers queue per id: script "missing" only for probes this test does not answer.
        for p in probes::independent(&cfg) {
            if p.id != probes::PROFILES_ENROLLMENT && p.id != probes::PROFILES_MDM {
                sys.answer(&p.id, Answer::missing());
            }
        }
        sys.answer(
            probes::PROFILES_ENROLLMENT,
            Answer::ok(file(&format!("samples/{DEP}"))),
        );
        sys.answer(
            probes::PROFILES_MDM,
            Answer::ok(file("profiles/enrolled_scep_identity.xml")),
        );
        sys.answer(
            probes::IDENTITY_CERT,
            Answer::ok(file("certs/identity_expiring.pem")),
        );
        let o = futures::executor::block_on(crate::observe::observe(&sys, &cfg));
        let lookup = sys
            .command_lines()
            .into_iter()
            .find(|l| l.contains("find-certificate"))
            .expect("identity lookup ran in the second phase");
        assert_eq!(
            lookup,
            "/usr/bin/security find-certificate -a -p -c mdm-identity-C02ZK1ABMD6M /Library/Keychains/System.keychain"
        );
        let f = check(&o, &cfg);
        assert_eq!(f.status, Status::Warning, "{}", f.summary);
        assert_eq!(f.cert().1, 10);
    }

    /// `security find-identity -v -p ssl-client` output, constructed in security(1)'s line shape
    /// (no public capture of the System keychain exists), listing the given hashes.
    fn identities(hashes: &[&str]) -> ProbeResult {
        let mut out = String::new();
        for (i, h) in hashes.iter().enumerate() {
            out.push_str(&format!("  {}) {h} \"mdm-identity-C02ZK1ABMD6M\"\n", i + 1));
        }
        out.push_str(&format!("     {} valid identities found\n", hashes.len()));
        ok_out(probes::IDENTITY_KEYS, &out)
    }

    const VALID_SHA1: &str = "C5C24BD24B3B70071604AEEFC997E8E580A20818";

    fn with_keys(keys: ProbeResult) -> Checked {
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_valid.pem"),
        ));
        r.push(keys);
        check(&obs(r, true), &Config::default())
    }

    #[test]
    fn a_certificate_without_its_private_key_is_a_stale_enrollment() {
        let f = with_keys(identities(&["0123456789ABCDEF0123456789ABCDEF01234567"]));
        assert_eq!(f.status, Status::Failed);
        assert!(matches!(
            f.cert_situation(),
            CertSituation::Found {
                key_missing: true,
                ..
            }
        ));
        assert!(f.remediation.as_deref().unwrap().contains("Re-enroll"));
        assert_eq!(f.d.as_ref().unwrap().private_key, Some(PrivateKey::Missing));
        // No identity at all is the same answer.
        let f = with_keys(identities(&[]));
        assert_eq!(f.status, Status::Failed);
        // Addigy's key follows.
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_valid.pem"),
        ));
        r.push(identities(&[]));
        let d = crate::checks::diagnose(&obs(r, true), &Config::default());
        assert_eq!(d.identity_error, Some(true));
    }

    #[test]
    fn the_identity_with_its_key_is_ok_and_an_unreadable_listing_does_not_fail() {
        let f = with_keys(identities(&[VALID_SHA1]));
        assert_eq!(f.status, Status::Ok, "{}", f.summary);
        assert_eq!(f.d.as_ref().unwrap().private_key, Some(PrivateKey::Present));
        let mut nr = ok_out(probes::IDENTITY_KEYS, "");
        nr.exit_status = Some(1);
        nr.stderr = b"security: Operation not permitted\n".to_vec();
        let f = with_keys(nr);
        assert_eq!(f.status, Status::Ok);
        assert!(matches!(
            f.d.as_ref().unwrap().private_key,
            Some(PrivateKey::Unknown(_))
        ));
        assert!(f
            .evidence
            .iter()
            .any(|e| e.source == probes::IDENTITY_KEYS && e.text.contains("unknown")));
        // An expired certificate keeps its own failure even without its key.
        let mut r = enrolled();
        r.push(ok_out(
            probes::IDENTITY_CERT,
            file("certs/identity_expired.pem"),
        ));
        r.push(identities(&[]));
        let f = check(&obs(r, true), &Config::default());
        assert_eq!(f.validity(), &Validity::Expired { days_ago: 50 });
        assert_eq!(f.status, Status::Failed);
    }

    /// `decide` on each test certificate (tests/fixtures/certs/README.md) of the enrolled Mac.
    #[test]
    fn decide_situations() {
        let text: Vec<String> = [
            "identity_valid.pem",
            "identity_expiring.pem",
            "identity_expired.pem",
            "bundle_two_matches.pem",
            "bundle_with_garbage.pem",
        ]
        .iter()
        .map(|pem| {
            let mut r = enrolled();
            r.push(ok_out(probes::IDENTITY_CERT, file(&format!("certs/{pem}"))));
            match decide(&obs(r, true), &Config::default()) {
                IdentitySituation::Cert(CertSituation::Found {
                    validity,
                    others,
                    key_missing,
                    ..
                }) => format!("{pem}: {validity:?}, {others} others, key missing {key_missing}"),
                other => format!("{pem}: {other:?}"),
            }
        })
        .collect();
        expect![[r#"
            identity_valid.pem: Valid { days: 420 }, 0 others, key missing false
            identity_expiring.pem: Expiring { days: 10 }, 0 others, key missing false
            identity_expired.pem: Expired { days_ago: 50 }, 0 others, key missing false
            bundle_two_matches.pem: Valid { days: 420 }, 1 others, key missing false
            bundle_with_garbage.pem: Valid { days: 420 }, 1 others, key missing false"#]]
        .assert_eq(&text.join("\n"));
    }

    /// The wording, apart from the decisions: one sentence per situation.
    #[test]
    fn judge_wording() {
        let found = |validity, others, key_missing| {
            IdentitySituation::Cert(CertSituation::Found {
                issuer: "Example MDM CA".into(),
                not_after: chrono::DateTime::parse_from_rfc3339("2026-10-01T12:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
                validity,
                others,
                key_missing,
            })
        };
        let cases = [
            found(Validity::Valid { days: 420 }, 0, false),
            found(Validity::Expiring { days: 10 }, 1, false),
            found(Validity::Expired { days_ago: 50 }, 2, false),
            found(Validity::Valid { days: 420 }, 0, true),
            IdentitySituation::Cert(CertSituation::NotFound {
                cn: Some("mdm-identity-X".into()),
            }),
            IdentitySituation::LogErrors {
                count: 1,
                cert: CertSituation::Unknown {
                    why: "probe identity_cert not_root".into(),
                    not_root: true,
                },
            },
            IdentitySituation::NotEnrolled,
        ];
        let text: Vec<String> = cases
            .iter()
            .map(|c| {
                let j = judge(c);
                format!("{:?}: {}", j.status, j.summary)
            })
            .collect();
        expect![[r#"
            Ok: identity certificate from Example MDM CA valid until 2026-10-01 (420 days)
            Warning: identity certificate from Example MDM CA expires on 2026-10-01, in 10 days (1 other matching certificate)
            Failed: identity certificate from Example MDM CA expired on 2026-10-01 (50 days ago) (2 other matching certificates)
            Failed: stale enrollment (for example after Migration Assistant or a restore): the identity certificate has no usable private key in the System keychain (identity certificate from Example MDM CA valid until 2026-10-01 (420 days))
            Failed: no identity certificate named "mdm-identity-X" in the System keychain
            Failed: 1 MDM identity error in the mdmclient log; certificate unknown: needs root: probe identity_cert not_root
            NotApplicable: not enrolled in MDM: no identity certificate expected"#]].assert_eq(&text.join("\n"));
        assert!(judge(&cases[3])
            .remediation
            .unwrap()
            .contains("stale enrollment"));
        assert!(judge(&cases[2]).remediation.unwrap().contains("renew"));
    }
}
