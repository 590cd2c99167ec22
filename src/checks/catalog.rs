//! `--catalog FILE`: newer macOS releases for this Mac from a catalog the admin downloaded, never
//! from the network. Two formats (fixtures in SOURCES.md section 9):
//! - Apple's Software Lookup Service (GDMF, `https://gdmf.apple.com/v2/pmv`, Apple, *Managing software updates for IT*), raw or as
//!   SOFA caches it (`{"etag", "data": {...}}`): `PublicAssetSets.macOS[]`, `AssetSets.macOS[]`,
//!   `PublicRapidSecurityResponses.macOS[]` / `PublicBackgroundSecurityImprovements.macOS[]`, each
//!   `{ProductVersion, Build, PostingDate, ExpirationDate, SupportedDevices[]}` where devices are
//!   board IDs (`J413AP`). The model identifier is mapped to its board IDs with SOFA's table
//!   (`src/checks/catalog_board_ids.json`, a copy of the `sofa_board_id_mapping` fixture), or with the
//!   `Devices` map of a SOFA feed.
//! - SOFA's macOS data feed (v1 or v2): `OSVersions[].SecurityReleases[]` for releases and
//!   `Models.<model>.OSVersions` (major versions) for applicability.
//!
//! Pure: bytes in, values out; the file is read by `app`.

use serde_json::Value;

use crate::checks::{Evidence, Judgement, Status};
use crate::observe::Observations;
use crate::parse::sw_vers::compare_versions;

pub(crate) const CATALOG: &str = "softwareupdate.catalog";
pub(crate) const COMPLIANCE: &str = "softwareupdate.compliance";

const BOARD_IDS: &str = include_str!("catalog_board_ids.json");

pub use crate::parse::catalog::{parse, Catalog, Release};

/// The board IDs of a model identifier, from SOFA's mapping.
pub(crate) fn board_ids(model: &str) -> Vec<String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(BOARD_IDS) else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, v)| v.get("device_id").and_then(Value::as_str) == Some(model))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Releases newer than the running version that apply to this model, newest first.
/// Whether an RSR/BSI entry is still to install on a Mac running `running_build` (macOS 13-27):
/// not when that build is already the entry's build (`25D771280a`: the `(a)` is installed), nor
/// when the entry names another base build (a device-scoped fork, or a base this Mac is not on).
/// Builds compare case-insensitively; `None` (build unknown) keeps the entry.
pub(crate) fn bsi_applies(r: &Release, running_build: Option<&str>) -> bool {
    let Some(b) = running_build else {
        return true;
    };
    if r.build.eq_ignore_ascii_case(b) {
        return false;
    }
    match &r.prerequisite_build {
        Some(p) => p.eq_ignore_ascii_case(b),
        None => true,
    }
}

/// A BSI the full release that supersedes it replaces in `list` (SOFA v2 `SupersededBy`): it is
/// not a release of its own to install, the superseding one is (its fixes included).
pub(crate) fn superseded_within(r: &Release, list: &[&Release]) -> bool {
    r.superseded_by.as_deref().is_some_and(|v| {
        list.iter()
            .any(|o| o.extra.is_none() && compare_versions(&o.version, v).is_ge())
    })
}

/// The RSR/BSI entries this Mac already runs (its build is theirs).
pub(crate) fn installed_bsis<'a>(c: &'a Catalog, running_build: &str) -> Vec<&'a Release> {
    c.releases
        .iter()
        .filter(|r| r.extra.is_some() && r.build.eq_ignore_ascii_case(running_build))
        .collect()
}

pub fn newer_for(c: &Catalog, model: &str, running: &str) -> Result<Vec<Release>, String> {
    newer_for_build(c, model, running, None)
}

/// [`newer_for`] knowing the running build, so installed or foreign RSR/BSI builds are left out.
pub(crate) fn newer_for_build(
    c: &Catalog,
    model: &str,
    running: &str,
    running_build: Option<&str>,
) -> Result<Vec<Release>, String> {
    let boards = board_ids(model);
    let majors = c.model_majors.get(model);
    if c.format == "gdmf" && boards.is_empty() {
        return Err(format!("model {model} is not in the board-ID table"));
    }
    if c.format == "sofa" && majors.is_none() {
        return Err(format!("model {model} is not in the SOFA feed's Models"));
    }
    let mut out: Vec<Release> = c
        .releases
        .iter()
        // An RSR / Background Security Improvement applies only on top of its own base version.
        .filter(|r| match r.extra {
            Some(_) => compare_versions(&r.version, running).is_eq(),
            None => compare_versions(&r.version, running).is_gt(),
        })
        .filter(|r| r.extra.is_none() || bsi_applies(r, running_build))
        .filter(|r| match c.format.as_str() {
            "gdmf" => r.devices.iter().any(|d| boards.contains(d)),
            // A SOFA v2 BSI lists its board IDs: a device-scoped one is for those models only
            // (when this model's board IDs are known).
            _ if !r.devices.is_empty()
                && !boards.is_empty()
                && !r.devices.iter().any(|d| boards.contains(d)) =>
            {
                false
            }
            _ => {
                let major = crate::parse::sw_vers::version_parts(&r.version)
                    .first()
                    .copied();
                major.is_some_and(|m| majors.is_some_and(|ms| ms.contains(&m)))
            }
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| compare_versions(&b.version, &a.version));
    out.dedup_by(|a, b| a.version == b.version && a.build == b.build);
    Ok(out)
}

/// "1 newer release", "9 newer releases".
fn releases(n: usize, adjective: &str) -> String {
    let word = if n == 1 { "release" } else { "releases" };
    if adjective.is_empty() {
        format!("{n} {word}")
    } else {
        format!("{n} {adjective} {word}")
    }
}

/// Why two feeds count differently: GDMF (Apple's pmv) lists the releases Apple offers devices
/// now, SOFA every release it published, so "releases behind" differs between them for the
/// same Mac (3 against 19 is usual) and neither is wrong.
fn feed_scope(format: &str) -> &'static str {
    match format {
        "gdmf" => "GDMF counts only the releases Apple offers now; SOFA counts every release",
        "sofa" => "SOFA counts every release published; GDMF only those Apple offers now",
        _ => "counts depend on the feed",
    }
}

/// The `softwareupdate.catalog` assessment: newer releases for this Mac.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogAssessment {
    pub judgement: Judgement,
    /// `None` when the catalog or this Mac's version or model is unknown.
    pub found: Option<CatalogFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFacts {
    /// "gdmf" or "sofa".
    pub format: String,
    pub model: String,
    pub board_ids: Vec<String>,
    /// Newer releases for this model, newest first.
    pub newer: Vec<Release>,
}

impl CatalogAssessment {
    /// The catalog could not be used: why.
    pub fn unknown(reason: impl Into<String>) -> CatalogAssessment {
        CatalogAssessment {
            judgement: Judgement::unknown(reason),
            found: None,
        }
    }
}

pub fn assess(obs: &Observations, c: &Catalog, source: &str) -> CatalogAssessment {
    let (v, model) = match (&obs.sw_vers, &obs.hw_model) {
        (Ok(v), Ok(m)) => (v, m),
        (Err(u), _) | (_, Err(u)) => return CatalogAssessment::unknown(u.to_string()),
    };
    let newer = match newer_for_build(c, model, &v.product_version, Some(&v.build_version)) {
        Ok(n) => n,
        Err(e) => return CatalogAssessment::unknown(format!("{source}: {e}")),
    };
    let summary = if newer.is_empty() {
        format!(
            "macOS {} is the newest release for {model} in the {} catalog",
            v.product_version, c.format
        )
    } else {
        // The newest release of each major version (newest first); the full list is in facts.
        let mut seen = Vec::new();
        let mut heads = Vec::new();
        for r in &newer {
            let major = crate::parse::sw_vers::version_parts(&r.version)
                .first()
                .copied();
            if seen.contains(&major) {
                continue;
            }
            seen.push(major);
            let build = if r.build.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.build)
            };
            heads.push(format!(
                "{}{}{build}",
                r.version,
                r.extra
                    .as_deref()
                    .map(|x| format!(" {x}"))
                    .unwrap_or_default()
            ));
        }
        format!(
            "newest for {model} in the {} catalog: {} ({} in all; {})",
            c.format,
            heads.join(", "),
            releases(newer.len(), "newer"),
            feed_scope(&c.format)
        )
    };
    CatalogAssessment {
        judgement: Judgement::new(Status::Ok, summary).evidence(Evidence::line(
            "catalog",
            format!(
                "{source} ({} format, {} macOS releases)",
                c.format,
                c.releases.len()
            ),
        )),
        found: Some(CatalogFacts {
            format: c.format.clone(),
            model: model.clone(),
            board_ids: board_ids(model),
            newer,
        }),
    }
}

/// How far this Mac is behind the feed, and whether that breaks the deadlines.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceAssessment {
    pub judgement: Judgement,
    /// `None` when the feed or this Mac's version or model is unknown.
    pub found: Option<Compliance>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    pub running: String,
    /// Newest release of the running major version (the running one when up to date).
    pub newest_for_major: String,
    /// Newest release of the newest major this model supports, when newer than the running one.
    pub newest_major: Option<String>,
    /// Security releases of the running major newer than the running version.
    pub releases_behind: usize,
    /// Days since the oldest missing release was published.
    pub days_behind: Option<i64>,
    pub missing_cves: Vec<String>,
    pub missing_exploited_cves: Vec<String>,
    /// Days since the oldest missing release that fixes an actively exploited CVE.
    pub exploited_days: Option<i64>,
    /// The feed's own age in days (SOFA v2 `LastCheck`), when it says.
    pub feed_age_days: Option<i64>,
    pub exploited_deadline_days: u32,
    pub deadline_days: u32,
}

fn posted(r: &Release) -> Option<chrono::DateTime<chrono::Utc>> {
    let p = r.posting_date.as_deref()?;
    chrono::DateTime::parse_from_rfc3339(p)
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(p, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// `softwareupdate.compliance`: the running version against the feed. Deadlines are
/// `Config::compliance_exploited_days` (14) for releases fixing actively exploited CVEs and
/// `Config::compliance_days` (21) for other security releases, Nudge's defaults
/// (macadmins/nudge, `requiredInstallationDate` guidance); SOFA lists the CVEs per release and
/// which were actively exploited. A Mac behind within the deadlines is a warning, past them
/// failed; never ok while a security release of its major is missing.
pub(crate) fn assess_compliance(
    obs: &Observations,
    c: &Catalog,
    source: &str,
    cfg: &crate::config::Config,
) -> ComplianceAssessment {
    let unknown = |why: String| ComplianceAssessment {
        judgement: Judgement::unknown(why),
        found: None,
    };
    let (v, model) = match (&obs.sw_vers, &obs.hw_model) {
        (Ok(v), Ok(m)) => (v, m),
        (Err(u), _) | (_, Err(u)) => return unknown(u.to_string()),
    };
    let newer = match newer_for_build(c, model, &v.product_version, Some(&v.build_version)) {
        Ok(n) => n,
        Err(e) => return unknown(format!("{source}: {e}")),
    };
    // CVEs an installed Background Security Improvement already fixes are not missing, though
    // the next full release lists them again (SOFA v2: BSI 26.3.1 (a) fixes CVE-2026-20643,
    // which 26.4 also lists).
    let fixed: Vec<String> = installed_bsis(c, &v.build_version)
        .iter()
        .flat_map(|r| r.cves.clone())
        .collect();
    let now = obs.now.with_timezone(&chrono::Utc);
    let major_of = |ver: &str| crate::parse::sw_vers::version_parts(ver).first().copied();
    let running_major = major_of(&v.product_version);
    // Same major, newest first; RSR-style entries with an extra are counted with their base.
    let missing: Vec<&Release> = newer
        .iter()
        .filter(|r| major_of(&r.version) == running_major)
        .collect();
    let newest_major = newer
        .first()
        .filter(|r| major_of(&r.version) > running_major)
        .map(|r| r.version.clone());
    let days_since = |r: &Release| posted(r).map(|d| (now - d).num_days());
    let days_behind = missing.iter().filter_map(|r| days_since(r)).max();
    let mut cves: Vec<String> = missing
        .iter()
        .flat_map(|r| r.cves.clone())
        .filter(|c| !fixed.contains(c))
        .collect();
    cves.sort();
    cves.dedup();
    let mut exploited: Vec<String> = missing
        .iter()
        .flat_map(|r| r.exploited.clone())
        .filter(|c| !fixed.contains(c))
        .collect();
    exploited.sort();
    exploited.dedup();
    let exploited_days = missing
        .iter()
        .filter(|r| !r.exploited.is_empty())
        .filter_map(|r| days_since(r))
        .max();
    let feed_age_days = c
        .last_check
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| (now - t.with_timezone(&chrono::Utc)).num_days());
    let found = Compliance {
        running: v.full_version(),
        newest_for_major: missing
            .first()
            .map(|r| r.version.clone())
            .unwrap_or_else(|| v.product_version.clone()),
        newest_major,
        // A superseded BSI is counted in its superseding release (its date still counts).
        releases_behind: missing
            .iter()
            .filter(|r| !superseded_within(r, &missing))
            .count(),
        days_behind,
        missing_cves: cves,
        missing_exploited_cves: exploited,
        exploited_days,
        feed_age_days,
        exploited_deadline_days: cfg.compliance_exploited_days,
        deadline_days: cfg.compliance_days,
    };
    let j = judge_compliance(&found, &missing, running_major, c, source, cfg);
    ComplianceAssessment {
        judgement: j,
        found: Some(found),
    }
}

/// The words for a compliance reading: how far behind, against which deadline, from which feed.
fn judge_compliance(
    found: &Compliance,
    missing: &[&Release],
    running_major: Option<u32>,
    c: &Catalog,
    source: &str,
    cfg: &crate::config::Config,
) -> Judgement {
    let age = match found.feed_age_days {
        Some(d) => format!("feed is {d} days old"),
        None => "feed age unknown".to_string(),
    };
    let past_exploited = found
        .exploited_days
        .filter(|d| *d > i64::from(cfg.compliance_exploited_days));
    let past = found
        .days_behind
        .filter(|d| *d > i64::from(cfg.compliance_days));
    let behind = if found.releases_behind == 0 {
        format!(
            "macOS {} is the newest {} release in the {} feed",
            found.running,
            running_major.map_or("?".to_string(), |m| m.to_string()),
            c.format
        )
    } else {
        format!(
            "macOS {} is {} behind {} ({}; first missing release {} days old){}",
            found.running,
            releases(found.releases_behind, ""),
            found.newest_for_major,
            feed_scope(&c.format),
            found.days_behind.map_or("?".to_string(), |d| d.to_string()),
            if found.missing_cves.is_empty() {
                String::new()
            } else {
                format!(
                    "; missing fixes for {} CVE(s), {} actively exploited",
                    found.missing_cves.len(),
                    found.missing_exploited_cves.len()
                )
            }
        )
    };
    let upgrade = found
        .newest_major
        .as_deref()
        .map(|n| format!("; {n} is available as an upgrade"))
        .unwrap_or_default();
    let (status, verdict) = match (found.releases_behind, past_exploited, past) {
        (0, _, _) => (Status::Ok, String::new()),
        (_, Some(d), _) => (
            Status::Failed,
            format!(
                ": out of compliance, an actively exploited CVE has had a fix for {d} days (deadline {})",
                cfg.compliance_exploited_days
            ),
        ),
        (_, None, Some(d)) => (
            Status::Failed,
            format!(
                ": out of compliance, a security release has been missing for {d} days (deadline {})",
                cfg.compliance_days
            ),
        ),
        _ => (Status::Warning, ": within the deadlines".to_string()),
    };
    let mut j = Judgement::new(status, format!("{behind}{verdict}{upgrade} ({age})")).evidence(
        Evidence::line(
            "catalog",
            format!(
                "{source} ({} format, {} macOS releases)",
                c.format,
                c.releases.len()
            ),
        ),
    );
    for r in missing.iter().take(5) {
        j = j.evidence(Evidence::line(
            "catalog",
            format!(
                "missing {} released {}{}",
                r.version,
                r.posting_date.as_deref().unwrap_or("?"),
                if r.exploited.is_empty() {
                    String::new()
                } else {
                    format!(", fixes actively exploited {}", r.exploited.join(", "))
                }
            ),
        ));
    }
    if status != Status::Ok {
        j = j.remediation(format!(
            "install macOS {} (System Settings > General > Software Update), or have the MDM enforce it with a deadline",
            found.newest_for_major
        ));
    }
    j
}

/// `softwareupdate.catalog` and `softwareupdate.compliance` of the `--catalog` feed, when one was
/// given (`checks::diagnose` appends them; readiness is built from the same diagnosis).
pub(crate) fn assessments(
    obs: &Observations,
    cfg: &crate::config::Config,
) -> Vec<super::Assessment> {
    use super::Assessment;
    let Some(input) = &obs.catalog else {
        return Vec::new();
    };
    match &input.parsed {
        Ok(c) => vec![
            Assessment::Catalog(assess(obs, c, &input.shown)),
            Assessment::Compliance(assess_compliance(obs, c, &input.shown, cfg)),
        ],
        Err(why) => vec![
            Assessment::Catalog(CatalogAssessment::unknown(why.clone())),
            Assessment::Compliance(ComplianceAssessment {
                judgement: Judgement::unknown(why.clone()),
                found: None,
            }),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::sample;

    #[test]
    fn gdmf_raw_and_sofa_wrapped() {
        let raw = parse(&sample(
            "gdmf_pmv__response_body__extracted_from_sofa_cache__2026-08.json",
        ))
        .unwrap();
        let wrapped = parse(&sample(
            "gdmf_pmv__sofa_cached_wrapper_with_etag__2026-08.json",
        ))
        .unwrap();
        assert_eq!(raw, wrapped);
        assert_eq!(raw.format, "gdmf");
        // Mac15,3 is J504AP; on 15.7.2 the newer releases include 15.7.9 and 26.6.2.
        assert_eq!(board_ids("Mac15,3"), vec!["J504AP"]);
        let n = newer_for(&raw, "Mac15,3", "15.7.2").unwrap();
        let versions: Vec<&str> = n.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(versions.first(), Some(&"26.6.2"));
        assert!(versions.contains(&"15.7.9"));
        assert!(!versions
            .iter()
            .any(|v| compare_versions(v, "15.7.2").is_le()));
        assert!(newer_for(&raw, "NoSuchModel1,1", "15.0").is_err());
        let old = parse(&sample("gdmf_pmv__response_body__extracted_from_sofa_cache__older_with_PublicRapidSecurityResponses.json")).unwrap();
        assert!(!old.releases.is_empty());
    }

    #[test]
    fn sofa_feeds() {
        for f in [
            "sofa_macos_data_feed__v2__2026-08-22.json",
            "sofa_macos_data_feed__v1__2026-08-22.json",
        ] {
            let c = parse(&sample(f)).unwrap();
            assert_eq!(c.format, "sofa", "{f}");
            let n = newer_for(&c, "Mac14,2", "26.6.1").unwrap();
            assert_eq!(n.first().map(|r| r.version.as_str()), Some("26.6.2"), "{f}");
        }
        assert!(parse(b"{}").is_err());
        assert!(parse(b"not json").is_err());
    }

    #[test]
    fn compliance_ok_when_current_warning_within_deadlines_failed_past_them() {
        use crate::checks::readiness::support::{base, obs, ok, with};
        use crate::checks::Status;
        let feed = parse(&sample("sofa_macos_data_feed__v2__2026-08-22.json")).unwrap();
        let cfg = crate::config::Config::default();
        let on = |ver: &str, build: &str| {
            let text =
                format!("ProductName:\tmacOS\nProductVersion:\t{ver}\nBuildVersion:\t{build}\n");
            obs(with(base(), ok("sw_vers", text.as_bytes())))
        };
        // Up to date for its major (26 is offered as an upgrade): ok, never "behind".
        let a = assess_compliance(&on("15.7.9", "24G700"), &feed, "feed", &cfg);
        assert_eq!(a.judgement.status, Status::Ok, "{}", a.judgement.summary);
        let f = a.found.unwrap();
        assert_eq!(f.releases_behind, 0);
        assert_eq!(f.newest_major.as_deref(), Some("26.6.2"));
        // One release behind, with generous deadlines: a warning, not ok.
        let lenient = crate::config::Config {
            compliance_exploited_days: 365,
            compliance_days: 365,
            ..cfg.clone()
        };
        let a = assess_compliance(&on("15.7.8", "24G600"), &feed, "feed", &lenient);
        assert_eq!(a.judgement.status, Status::Warning);
        assert_eq!(a.found.unwrap().releases_behind, 1);
        // The same Mac with Nudge's 14 days: the exploited CVE fixed in 15.7.9 fails it.
        let a = assess_compliance(&on("15.7.8", "24G600"), &feed, "feed", &cfg);
        assert_eq!(a.judgement.status, Status::Failed);
        assert!(a.judgement.summary.contains("actively exploited"));
    }

    #[test]
    fn background_security_improvements_compare_by_build() {
        // SOFA v2: BSI 26.3.1 (a) 25D771280a on base 25D2128 (universal), 26.3.2 (a) on the
        // device-specific base 25D2140 (a forked build for one board), both fixing CVE-2026-20643.
        let feed = parse(&sample("sofa_macos_data_feed__v2__2026-08-22.json")).unwrap();
        let bsi: Vec<&Release> = feed
            .releases
            .iter()
            .filter(|r| r.list == "BackgroundSecurityImprovements")
            .collect();
        assert_eq!(bsi.len(), 2);
        let a = bsi.iter().find(|r| r.version == "26.3.1").unwrap();
        assert_eq!(a.extra.as_deref(), Some("(a)"));
        assert_eq!(a.prerequisite_build.as_deref(), Some("25D2128"));
        // On its base build the BSI is still to install; once installed (the (a) build runs) it is
        // not; on another base (a fork) it does not apply.
        assert!(bsi_applies(a, Some("25D2128")));
        assert!(!bsi_applies(a, Some("25D771280A")));
        assert!(!bsi_applies(a, Some("25D2140")));
        let n = newer_for_build(&feed, "Mac15,3", "26.3.1", Some("25D2128")).unwrap();
        assert!(n.iter().any(|r| r.build == "25D771280a"));
        let n = newer_for_build(&feed, "Mac15,3", "26.3.1", Some("25D771280a")).unwrap();
        assert!(!n.iter().any(|r| r.extra.is_some()), "{n:?}");
        // Compliance: the installed BSI's CVE is not missing although 26.4 lists it too.
        use crate::checks::readiness::support::{base, obs, ok, with};
        let on = |extra: &str, build: &str| {
            let text = format!(
                "ProductName:\tmacOS\nProductVersion:\t26.3.1\n{extra}BuildVersion:\t{build}\n"
            );
            obs(with(base(), ok("sw_vers", text.as_bytes())))
        };
        let cfg = crate::config::Config::default();
        let patched = assess_compliance(
            &on("ProductVersionExtra:\t(a)\n", "25D771280a"),
            &feed,
            "feed",
            &cfg,
        );
        let missing = patched.found.unwrap().missing_cves;
        assert!(!missing.contains(&"CVE-2026-20643".to_string()));
        let unpatched = assess_compliance(&on("", "25D2128"), &feed, "feed", &cfg);
        assert!(unpatched
            .found
            .unwrap()
            .missing_cves
            .contains(&"CVE-2026-20643".to_string()));
        // SupersededBy 26.4: the unpatched Mac is behind by the full releases, the superseded BSI
        // counted in 26.4 (which carries its fix), not as a release of its own.
        let behind = assess_compliance(&on("", "25D2128"), &feed, "feed", &cfg)
            .found
            .unwrap();
        let full = newer_for_build(&feed, "Mac15,3", "26.3.1", Some("25D2128"))
            .unwrap()
            .iter()
            .filter(|r| r.extra.is_none() && r.version.starts_with("26."))
            .count();
        assert_eq!(behind.releases_behind, full);
        assert_eq!(a.superseded_by.as_deref(), Some("26.4"));
        // The device-scoped 26.3.2 (a) names board J700AP (Mac17,5) only: a Mac15,3 (J504AP) on
        // that same base build is not offered it; a Mac17,5 is.
        let forked = |model: &str| {
            newer_for_build(&feed, model, "26.3.2", Some("25D2140"))
                .unwrap()
                .iter()
                .any(|r| r.build == "25D771400a")
        };
        assert!(!forked("Mac15,3"));
        assert!(forked("Mac17,5"));
    }
}
