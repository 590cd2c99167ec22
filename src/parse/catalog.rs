//! `--catalog FILE`: the admin's downloaded Apple GDMF (`PublicAssetSets`, `AssetSets`,
//! `PublicRapidSecurityResponses`, `PublicBackgroundSecurityImprovements`) or SOFA feed
//! (`OSVersions[].SecurityReleases`, v2 `BackgroundSecurityImprovements`, `Models`), parsed into
//! releases. Pure: app reads the bytes through the boundary's bounded reader.

use std::collections::BTreeMap;

use serde_json::Value;

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
    /// SOFA: the CVEs this release fixes, and those Apple says were actively exploited.
    pub cves: Vec<String>,
    pub exploited: Vec<String>,
    /// A Background Security Improvement / RSR: the base build it installs on (SOFA v2
    /// `PrerequisiteBuild`; a device-scoped fork names its forked base build).
    pub prerequisite_build: Option<String>,
    /// SOFA v2 `SupersededBy.ProductVersion` of a BSI: the full release that replaces it (empty
    /// or absent: not superseded).
    pub superseded_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// "gdmf" or "sofa".
    pub format: String,
    pub releases: Vec<Release>,
    /// SOFA: model identifier -> supported major versions.
    pub model_majors: BTreeMap<String, Vec<u32>>,
    /// SOFA v2 `LastCheck`: when the feed was built (RFC 3339).
    pub last_check: Option<String>,
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
        return Ok(gdmf(&v));
    }
    if let Some(osv) = v.get("OSVersions").and_then(Value::as_array) {
        return Ok(sofa(&v, osv));
    }
    Err("neither a GDMF response (PublicAssetSets) nor a SOFA feed (OSVersions)".into())
}

/// Apple's GDMF response: the releases of each asset list for macOS.
fn gdmf(v: &Value) -> Catalog {
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
                cves: Vec::new(),
                exploited: Vec::new(),
                prerequisite_build: s(i, "PrerequisiteBuild"),
                superseded_by: None,
            });
        }
    }
    c
}

/// A SOFA feed: security releases with their CVEs, Background Security Improvements, and the
/// majors each model supports.
fn sofa(v: &Value, osv: &[Value]) -> Catalog {
    let mut c = Catalog {
        format: "sofa".into(),
        last_check: s(v, "LastCheck"),
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
            // v1: {"CVE-...": true when exploited}; v2: {"CVE-...": {}}; both also list
            // ActivelyExploitedCVEs.
            let cves = r
                .get("CVEs")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let exploited = r
                .get("ActivelyExploitedCVEs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            c.releases.push(Release {
                version,
                build: s(r, "Build").unwrap_or_default(),
                extra: None,
                posting_date: s(r, "ReleaseDate"),
                devices: Vec::new(),
                list: "SecurityReleases".into(),
                cves,
                exploited,
                prerequisite_build: None,
                superseded_by: None,
            });
        }
    }
    // SOFA v2 lists Background Security Improvements (macOS 26.1+, the first 2026-03-17)
    // by major: {"26": [{Version, VersionExtra "(a)", Build, PrerequisiteBuild, CVEs[],
    // DeviceScope, SupersededBy}]} (shared fixture sofa_macos_data_feed__v2__2026-08-22).
    if let Some(bsis) = v
        .get("BackgroundSecurityImprovements")
        .and_then(Value::as_object)
    {
        for r in bsis.values().filter_map(Value::as_array).flatten() {
            let (Some(version), Some(build)) = (s(r, "Version"), s(r, "Build")) else {
                continue;
            };
            let strings = |k: &str| -> Vec<String> {
                r.get(k)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            c.releases.push(Release {
                version,
                build,
                extra: s(r, "VersionExtra").or_else(|| Some("(a)".into())),
                posting_date: s(r, "PostingDate"),
                // Board IDs: a device-scoped (forked) BSI names only its devices.
                devices: strings("SupportedDevices"),
                list: "BackgroundSecurityImprovements".into(),
                cves: strings("CVEs"),
                exploited: strings("ActivelyExploitedCVEs"),
                prerequisite_build: s(r, "PrerequisiteBuild"),
                superseded_by: r
                    .get("SupersededBy")
                    .and_then(|x| s(x, "ProductVersion"))
                    .filter(|v| !v.trim().is_empty()),
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
    c
}
