//! `--catalog FILE`: newer macOS releases for this Mac from a catalog the admin downloaded, never
//! from the network. Two formats (fixtures in SOURCES.md section 9):
//! - Apple's Software Lookup Service (GDMF, `https://gdmf.apple.com/v2/pmv`, Apple, *Managing software updates for IT*), raw or as
//!   SOFA caches it (`{"etag", "data": {...}}`): `PublicAssetSets.macOS[]`, `AssetSets.macOS[]`,
//!   `PublicRapidSecurityResponses.macOS[]` / `PublicBackgroundSecurityImprovements.macOS[]`, each
//!   `{ProductVersion, Build, PostingDate, ExpirationDate, SupportedDevices[]}` where devices are
//!   board IDs (`J413AP`). The model identifier is mapped to its board IDs with SOFA's table
//!   (`src/catalog_board_ids.json`, a copy of the `sofa_board_id_mapping` fixture), or with the
//!   `Devices` map of a SOFA feed.
//! - SOFA's macOS data feed (v1 or v2): `OSVersions[].SecurityReleases[]` for releases and
//!   `Models.<model>.OSVersions` (major versions) for applicability.
//!
//! Pure: bytes in, values out; the file is read by `app`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::checks::{Evidence, Judgement, Status};
use crate::observe::Observations;
use crate::parse::sw_vers::compare_versions;

pub const CATALOG: &str = "softwareupdate.catalog";

const BOARD_IDS: &str = include_str!("catalog_board_ids.json");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    pub build: String,
    /// "(a)" for an RSR / Background Security Improvement.
    pub extra: Option<String>,
    pub posting_date: Option<String>,
    /// Board IDs (GDMF) that may install it; empty for SOFA, which lists by major version.
    pub devices: Vec<String>,
    /// The list it came from: PublicAssetSets, AssetSets, PublicRapidSecurityResponses, ...
    pub list: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// "gdmf" or "sofa".
    pub format: String,
    pub releases: Vec<Release>,
    /// SOFA: model identifier -> supported major versions.
    pub model_majors: BTreeMap<String, Vec<u32>>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

pub fn parse(bytes: &[u8]) -> Result<Catalog, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let v = if v.get("data").is_some() && v.get("PublicAssetSets").is_none() {
        v["data"].clone()
    } else {
        v
    };
    if v.get("PublicAssetSets").is_some() {
        let mut c = Catalog {
            format: "gdmf".into(),
            ..Catalog::default()
        };
        for list in [
            "PublicAssetSets",
            "AssetSets",
            "PublicRapidSecurityResponses",
            "PublicBackgroundSecurityImprovements",
        ] {
            let Some(items) = v
                .get(list)
                .and_then(|l| l.get("macOS"))
                .and_then(Value::as_array)
            else {
                continue;
            };
            for i in items {
                let (Some(version), Some(build)) = (s(i, "ProductVersion"), s(i, "Build")) else {
                    continue;
                };
                c.releases.push(Release {
                    version,
                    build,
                    extra: s(i, "ProductVersionExtra"),
                    posting_date: s(i, "PostingDate"),
                    devices: i
                        .get("SupportedDevices")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|d| d.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    list: list.into(),
                });
            }
        }
        return Ok(c);
    }
    if let Some(osv) = v.get("OSVersions").and_then(Value::as_array) {
        let mut c = Catalog {
            format: "sofa".into(),
            ..Catalog::default()
        };
        for os in osv {
            for r in os
                .get("SecurityReleases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                // SOFA v1 security releases may omit the build.
                let Some(version) = s(r, "ProductVersion") else {
                    continue;
                };
                c.releases.push(Release {
                    version,
                    build: s(r, "Build").unwrap_or_default(),
                    extra: None,
                    posting_date: s(r, "ReleaseDate"),
                    devices: Vec::new(),
                    list: "SecurityReleases".into(),
                });
            }
        }
        if let Some(models) = v.get("Models").and_then(Value::as_object) {
            for (model, m) in models {
                let majors = m
                    .get("OSVersions")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_u64().map(|n| n as u32))
                            .collect()
                    })
                    .unwrap_or_default();
                c.model_majors.insert(model.clone(), majors);
            }
        }
        return Ok(c);
    }
    Err("neither a GDMF response (PublicAssetSets) nor a SOFA feed (OSVersions)".into())
}

/// The board IDs of a model identifier, from SOFA's mapping.
pub fn board_ids(model: &str) -> Vec<String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(BOARD_IDS) else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, v)| v.get("device_id").and_then(Value::as_str) == Some(model))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Releases newer than the running version that apply to this model, newest first.
pub fn newer_for(c: &Catalog, model: &str, running: &str) -> Result<Vec<Release>, String> {
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
        .filter(|r| match c.format.as_str() {
            "gdmf" => r.devices.iter().any(|d| boards.contains(d)),
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
    let newer = match newer_for(c, model, &v.product_version) {
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
            "newest for {model} in the {} catalog: {} ({} newer release(s) in all)",
            c.format,
            heads.join(", "),
            newer.len()
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
}
