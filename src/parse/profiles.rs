//! `profiles status -type enrollment` (text) and `profiles -L -o stdout-xml` (the MDM payload).
//!
//! The status command answers "enrolled? via DEP? user approved?" in two or three `Key: Value`
//! lines (fixtures `profiles_status_enrollment__*`). The XML listing, read as root, gives the
//! `com.apple.mdm` payload (server URL, push topic, capabilities) and, through
//! `IdentityCertificateUUID`, the SCEP/ACME payload whose subject common name is the name the
//! identity certificate carries in the System keychain (the macadmins osquery extension reads
//! the same listing: <https://github.com/macadmins/osquery-extension/blob/main/tables/mdm/mdm.go>;
//! key set from Apple's schema, `mdm_schema__com.apple.mdm__b6202ca.yaml`). The listing is
//! decoded into typed structs with serde; keys of an unexpected type read as absent. Never
//! `profiles show -type enrollment`: it is rate limited since macOS 12.3
//! (<https://github.com/fleetdm/fleet/issues/15929>).

use plist::Value;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrollment {
    /// "Enrolled via DEP: Yes|No"; `None` when the line is absent.
    pub dep: Option<bool>,
    pub mdm_enrolled: bool,
    pub user_approved: bool,
    /// "MDM server: `<url>`" (newer macOS).
    pub server: Option<String>,
    /// The recognised lines as printed (trimmed), for evidence.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdmProfile {
    pub profile_identifier: Option<String>,
    pub profile_display_name: Option<String>,
    pub install_date: Option<String>,
    pub server_url: Option<String>,
    pub check_in_url: Option<String>,
    pub topic: Option<String>,
    pub identity_certificate_uuid: Option<String>,
    /// PayloadType of the payload `IdentityCertificateUUID` points to (`com.apple.security.scep`,
    /// `.acme`, `.pkcs12`, ...); `None` when no listed payload has that UUID.
    pub identity_payload_type: Option<String>,
    /// Common name of the identity the IdentityCertificateUUID payload requests (SCEP/ACME subject CN).
    pub identity_common_name: Option<String>,
    pub server_capabilities: Vec<String>,
    pub access_rights: Option<u64>,
    pub sign_message: Option<bool>,
}

impl MdmProfile {
    /// The server advertises bootstrap-token escrow (schema: `com.apple.mdm.bootstraptoken`).
    pub(crate) fn bootstrap_token_supported(&self) -> bool {
        self.server_capabilities
            .iter()
            .any(|c| c == "com.apple.mdm.bootstraptoken")
    }
}

/// Parses `profiles status -type enrollment`.
///
/// The `MDM enrollment` line is required: `mdm_enrolled` is a plain bool, and defaulting it to
/// false from output that lacks it (truncated, localised, changed) would report a Mac as not
/// enrolled on no evidence. Unknown lines are ignored.
pub fn parse_enrollment(text: &str) -> Result<Enrollment, String> {
    let mut e = Enrollment::default();
    let mut saw_mdm = false;
    for raw in text.lines() {
        let line = raw.trim();
        // The bootstrap-token status prints a `profiles: ` prefix; tolerate it here.
        let body = line
            .strip_prefix("profiles:")
            .map(str::trim)
            .unwrap_or(line);
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        let value = value.trim();
        match key.as_str() {
            "enrolled via dep" => {
                e.dep = yes_no(value);
                if e.dep.is_none() {
                    return Err(format!("unexpected DEP value in {line:?}"));
                }
                e.lines.push(line.to_string());
            }
            "mdm enrollment" => {
                let lower = value.to_ascii_lowercase();
                if lower.starts_with("yes") {
                    e.mdm_enrolled = true;
                    // "Yes (User Approved)" (fixtures macOS 10.13.4 and chromium comment).
                    e.user_approved = lower.contains("user approved");
                } else if lower.starts_with("no") {
                    e.mdm_enrolled = false;
                    e.user_approved = false;
                } else {
                    return Err(format!("unexpected MDM enrollment value in {line:?}"));
                }
                saw_mdm = true;
                e.lines.push(line.to_string());
            }
            "mdm server" => {
                if !value.is_empty() {
                    e.server = Some(value.to_string());
                }
                e.lines.push(line.to_string());
            }
            _ => {}
        }
    }
    if !saw_mdm {
        return Err(format!(
            "no \"MDM enrollment:\" line in profiles status output (first line: {:?})",
            super::first_line(text, 120)
        ));
    }
    Ok(e)
}

fn yes_no(v: &str) -> Option<bool> {
    let v = v.trim().to_ascii_lowercase();
    if v.starts_with("yes") {
        Some(true)
    } else if v.starts_with("no") {
        Some(false)
    } else {
        None
    }
}

/// Payload types that can carry the device identity the MDM payload points to.
const IDENTITY_TYPES: [&str; 3] = [
    "com.apple.security.scep",
    "com.apple.security.acme",
    "com.apple.security.pkcs12",
];

/// serde decoding recurses once per nesting level and the plist crate sets no limit, so deeper
/// listings are refused before decoding (serde_json's default limit is the same 128:
/// <https://docs.rs/serde_json/latest/serde_json/struct.Deserializer.html#method.disable_recursion_limit>).
const MAX_DEPTH: usize = 128;

/// The listing: device-channel profiles under `_computerlevel` (user-level keys are ignored).
#[derive(Deserialize)]
struct Listing {
    #[serde(rename = "_computerlevel")]
    computer_level: Option<Vec<Loose<Profile>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Profile {
    profile_identifier: Loose<String>,
    profile_display_name: Loose<String>,
    /// Text in the listing; a plist `<date>` is accepted and kept in its XML form.
    profile_install_date: Loose<String>,
    profile_items: Loose<Vec<Loose<Item>>>,
}

/// One payload of a profile. A listing puts the payload's keys in `PayloadContent` (the osquery
/// extension's reading), a `.mobileconfig` beside `PayloadType` (ACME too): both are read, and
/// `PayloadContent` is the same shape.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Item {
    payload_type: Loose<String>,
    #[serde(rename = "PayloadUUID")]
    payload_uuid: Loose<String>,
    payload_content: Loose<Box<Item>>,
    #[serde(rename = "ServerURL")]
    server_url: Loose<String>,
    #[serde(rename = "CheckInURL")]
    check_in_url: Loose<String>,
    topic: Loose<String>,
    #[serde(rename = "IdentityCertificateUUID")]
    identity_certificate_uuid: Loose<String>,
    server_capabilities: Loose<Vec<Loose<String>>>,
    access_rights: Loose<u64>,
    sign_message: Loose<bool>,
    /// SCEP/ACME subject: RDNs, each an array of `[type, value]` pairs,
    /// e.g. `[[["CN","name"]],[["O","Acme"]]]`.
    subject: Loose<Vec<Loose<Rdn>>>,
}

/// One relative distinguished name: `[type, value]` pairs.
type Rdn = Vec<Loose<Vec<Loose<String>>>>;

/// A value that reads as `None` when absent or of another type, so one odd key does not make
/// the whole listing unreadable; only the top-level shape is strict.
#[derive(Debug)]
struct Loose<T>(Option<T>);

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose(None)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(Loose(plist::from_value(&v).ok()))
    }
}

impl<T> Loose<T> {
    fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl Item {
    /// `key` from `PayloadContent` when it is there (and of the right type), else beside it.
    fn key<T>(&self, key: impl Fn(&Item) -> &Loose<T>) -> Option<&T> {
        let content = self.payload_content.get().and_then(|c| key(c).get());
        content.or_else(|| key(self).get())
    }

    fn payload_type(&self) -> Option<&str> {
        self.payload_type.get().map(String::as_str)
    }
}

/// Parses the XML (or binary) plist of `profiles -L -o stdout-xml`.
///
/// `Ok(None)`: the plist parsed and holds no com.apple.mdm payload (including `<dict/>`, which is
/// what a Mac without profiles prints, and listings with only user-level profiles).
pub fn parse_mdm_profile(bytes: &[u8]) -> Result<Option<MdmProfile>, String> {
    let root = Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a property list: {e}"))?;
    if root.as_dictionary().is_none() {
        return Err("top level of the profiles listing is not a dictionary".into());
    }
    if !depth_at_most(&root, MAX_DEPTH) {
        return Err(format!("nested deeper than {MAX_DEPTH} levels"));
    }
    let listing: Listing =
        plist::from_value(&root).map_err(|_| "_computerlevel is not an array".to_string())?;
    // Device-channel profiles only: the MDM payload is never user-channel on macOS (schema:
    // macOS `userchannel: false`).
    let Some(profiles) = listing.computer_level else {
        return Ok(None);
    };
    let profiles: Vec<&Profile> = profiles.iter().filter_map(Loose::get).collect();
    // Every payload of every device profile, with the index of the profile it belongs to.
    let items: Vec<(usize, &Item)> = profiles
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.profile_items
                .get()
                .into_iter()
                .flatten()
                .filter_map(move |item| item.get().map(|item| (i, item)))
        })
        .collect();
    let Some(&(pi, mdm)) = items
        .iter()
        .find(|(_, d)| d.payload_type() == Some("com.apple.mdm"))
    else {
        return Ok(None);
    };
    let profile = profiles[pi];
    let text = |k: fn(&Item) -> &Loose<String>| mdm.key(k).cloned();

    let mut out = MdmProfile {
        profile_identifier: profile.profile_identifier.get().cloned(),
        profile_display_name: profile.profile_display_name.get().cloned(),
        install_date: profile.profile_install_date.get().cloned(),
        server_url: text(|i| &i.server_url),
        check_in_url: text(|i| &i.check_in_url),
        topic: text(|i| &i.topic),
        identity_certificate_uuid: text(|i| &i.identity_certificate_uuid),
        identity_payload_type: None,
        identity_common_name: None,
        server_capabilities: mdm
            .key(|i| &i.server_capabilities)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get().cloned())
            .collect(),
        access_rights: mdm.key(|i| &i.access_rights).copied(),
        sign_message: mdm.key(|i| &i.sign_message).copied(),
    };

    if let Some(uuid) = out.identity_certificate_uuid.clone() {
        // Same profile first (the usual layout), then any other device profile.
        let matches = |d: &Item| {
            d.payload_uuid
                .get()
                .is_some_and(|u| u.eq_ignore_ascii_case(&uuid))
        };
        let found = items
            .iter()
            .find(|(i, d)| *i == pi && matches(d))
            .or_else(|| items.iter().find(|(_, d)| matches(d)))
            .map(|&(_, d)| d);
        if let Some(id) = found {
            let ty = id.payload_type().unwrap_or("").to_string();
            if IDENTITY_TYPES.contains(&ty.as_str()) {
                out.identity_common_name = identity_cn(id);
            }
            // pkcs12: the certificate's name is inside the encrypted PKCS#12 blob, which the
            // listing does not decode. PayloadCertificateFileName is a file name and
            // PayloadDisplayName free text; neither is the subject, so no CN is guessed.
            out.identity_payload_type = Some(ty);
        }
    }
    Ok(Some(out))
}

/// Whether `v` nests at most `max` collections deep (iterative: it runs before any recursion).
fn depth_at_most(v: &Value, max: usize) -> bool {
    let mut stack = vec![(v, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Dictionary(d) => Box::new(d.values()),
            _ => continue,
        };
        if depth > max {
            return false;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    true
}

/// The CN of a SCEP/ACME payload's `Subject` (in `PayloadContent` for SCEP, beside PayloadType
/// for ACME). The type may be spelled as the OID 2.5.4.3.
fn identity_cn(item: &Item) -> Option<String> {
    let subject = item.key(|i| &i.subject)?;
    subject
        .iter()
        .filter_map(Loose::get)
        .flatten()
        .filter_map(Loose::get)
        .find_map(|pair| {
            let t = pair.first()?.get()?.trim();
            let v = pair.get(1)?.get()?.trim();
            ((t.eq_ignore_ascii_case("CN") || t == "2.5.4.3") && !v.is_empty())
                .then(|| v.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/samples");
    const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/profiles");

    fn read(dir: &str, name: &str) -> Vec<u8> {
        std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn status(name: &str) -> Result<Enrollment, String> {
        parse_enrollment(&String::from_utf8_lossy(&read(SAMPLES, name)))
    }

    #[test]
    fn every_real_status_fixture_parses() {
        // Data-driven: a new profiles_status_enrollment__* fixture must parse too.
        let mut n = 0;
        for entry in std::fs::read_dir(SAMPLES).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with("profiles_status_enrollment__") {
                status(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
                n += 1;
            }
        }
        assert!(n >= 3, "expected the three real fixtures, found {n}");
    }

    #[test]
    fn status_not_enrolled_github_runner() {
        let e =
            status("profiles_status_enrollment__not_enrolled__github_runner_macos26_and_15.txt")
                .unwrap();
        assert_eq!(e.dep, Some(false));
        assert!(!e.mdm_enrolled);
        assert!(!e.user_approved);
        assert_eq!(e.server, None);
        assert_eq!(e.lines, ["Enrolled via DEP: No", "MDM enrollment: No"]);
    }

    #[test]
    fn status_user_approved_not_dep() {
        let e =
            status("profiles_status_enrollment__dep_no__mdm_yes_user_approved__macos10.13.4.txt")
                .unwrap();
        assert_eq!(e.dep, Some(false));
        assert!(e.mdm_enrolled);
        assert!(e.user_approved);
    }

    #[test]
    fn status_dep_with_server_line() {
        let e = status(
            "profiles_status_enrollment__dep_yes__user_approved__mdm_server_line__chromium_comment.txt",
        )
        .unwrap();
        assert_eq!(e.dep, Some(true));
        assert!(e.mdm_enrolled && e.user_approved);
        // Split on the first colon only: the URL's own colon and query survive.
        assert_eq!(
            e.server.as_deref(),
            Some("https://applemdm.example.com/some/path?foo=bar")
        );
        assert_eq!(e.lines.len(), 3);
    }

    #[test]
    fn status_tabs_spaces_and_unknown_lines() {
        let e = parse_enrollment(
            "Some banner\n  Enrolled via DEP:\tYes\n\tMDM enrollment:   Yes\nFuture key: 1\n",
        )
        .unwrap();
        assert_eq!(e.dep, Some(true));
        assert!(e.mdm_enrolled);
        assert!(!e.user_approved, "plain Yes is not user approved");
        assert_eq!(e.lines.len(), 2);
    }

    #[test]
    fn status_without_mdm_line_is_an_error() {
        assert!(parse_enrollment("").is_err());
        assert!(parse_enrollment("Must be running as root\n").is_err());
        // A truncated output must not read as "not enrolled".
        assert!(parse_enrollment("Enrolled via DEP: No\n").is_err());
        assert!(parse_enrollment("MDM enrollment: Perhaps\n").is_err());
    }

    #[test]
    fn show_enrollment_outputs_are_not_status_outputs() {
        // Reference-only fixtures of the rate-limited command: none may pass as a status.
        for name in [
            "profiles_show_type_enrollment__assigned_activation_record__twocanoes.txt",
            "profiles_show_type_enrollment__error34006_cloud_config_unavailable.txt",
            "profiles_show_type_enrollment__without_sudo__stderr.txt",
        ] {
            assert!(status(name).is_err(), "{name}");
        }
    }

    #[test]
    fn real_listing_without_mdm_payload_is_none() {
        let bytes = read(
            SAMPLES,
            "profiles_list_output_stdout-xml__non_mdm_custom_payload__2025-10.plist",
        );
        assert_eq!(parse_mdm_profile(&bytes).unwrap(), None);
    }

    // The fixtures under tests/fixtures/profiles are CONSTRUCTED (no public capture of a
    // com.apple.mdm payload in `profiles -L -o stdout-xml` exists): the layout of the real
    // 2025-10 listing above with the key set of mdm_schema__com.apple.mdm__b6202ca.yaml.
    #[test]
    fn constructed_scep_enrolled() {
        let p = parse_mdm_profile(&read(PROFILES, "enrolled_scep_identity.xml"))
            .unwrap()
            .unwrap();
        assert_eq!(
            p.profile_identifier.as_deref(),
            Some("com.example.mdm.enrollment")
        );
        assert_eq!(p.install_date.as_deref(), Some("2026-03-02 14:05:11 +0000"));
        assert_eq!(
            p.server_url.as_deref(),
            Some("https://mdm.example.com/mdm/server")
        );
        assert_eq!(
            p.check_in_url.as_deref(),
            Some("https://mdm.example.com/mdm/checkin")
        );
        assert_eq!(
            p.topic.as_deref(),
            Some("com.apple.mgmt.External.3f1b8e2c-8d4a-4f7e-9c61-2a5b7d9e0c13")
        );
        assert_eq!(
            p.identity_certificate_uuid.as_deref(),
            Some("6C1E0A52-7B0E-4E3B-9D4F-0B8A3C2D1E5F")
        );
        assert_eq!(
            p.identity_payload_type.as_deref(),
            Some("com.apple.security.scep")
        );
        assert_eq!(
            p.identity_common_name.as_deref(),
            Some("mdm-identity-C02ZK1ABMD6M")
        );
        assert!(p.bootstrap_token_supported());
        assert_eq!(p.access_rights, Some(8191));
        assert_eq!(p.sign_message, Some(true));
    }

    #[test]
    fn constructed_acme_enrolled_item_level_keys() {
        let p = parse_mdm_profile(&read(PROFILES, "enrolled_acme_identity.xml"))
            .unwrap()
            .unwrap();
        // This sample puts the MDM keys at item level and the ACME payload in another profile.
        assert_eq!(
            p.server_url.as_deref(),
            Some("https://acme-mdm.example.org/mdm")
        );
        assert_eq!(p.check_in_url, None);
        assert_eq!(
            p.identity_payload_type.as_deref(),
            Some("com.apple.security.acme")
        );
        assert_eq!(
            p.identity_common_name.as_deref(),
            Some("7E4C1D9A-3B2F-4A61-8E0D-5C9B2A1F3E47")
        );
        assert!(!p.bootstrap_token_supported());
        assert_eq!(
            p.server_capabilities,
            ["com.apple.mdm.per-user-connections"]
        );
    }

    #[test]
    fn constructed_pkcs12_identity_has_no_cn() {
        let p = parse_mdm_profile(&read(PROFILES, "enrolled_pkcs12_identity.xml"))
            .unwrap()
            .unwrap();
        assert_eq!(
            p.identity_payload_type.as_deref(),
            Some("com.apple.security.pkcs12")
        );
        assert_eq!(p.identity_common_name, None);
    }

    #[test]
    fn constructed_no_mdm_and_empty() {
        assert_eq!(
            parse_mdm_profile(&read(PROFILES, "no_mdm_payload.xml")).unwrap(),
            None
        );
        assert_eq!(
            parse_mdm_profile(&read(PROFILES, "empty_dict.xml")).unwrap(),
            None
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_mdm_profile(&read(PROFILES, "garbage.txt")).is_err());
        assert!(parse_mdm_profile(b"").is_err());
        assert!(parse_mdm_profile(b"<plist version=\"1.0\"><array/></plist>").is_err());
        let bad = b"<plist version=\"1.0\"><dict><key>_computerlevel</key><string>x</string></dict></plist>";
        assert!(parse_mdm_profile(bad).is_err());
    }

    #[test]
    fn identity_uuid_pointing_nowhere_leaves_cn_empty() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>_computerlevel</key><array><dict>
<key>ProfileIdentifier</key><string>x</string>
<key>ProfileItems</key><array><dict>
<key>PayloadType</key><string>com.apple.mdm</string>
<key>PayloadUUID</key><string>A</string>
<key>PayloadContent</key><dict>
<key>ServerURL</key><string>https://m.example/</string>
<key>IdentityCertificateUUID</key><string>MISSING</string>
</dict></dict></array></dict></array></dict></plist>"#;
        let p = parse_mdm_profile(xml).unwrap().unwrap();
        assert_eq!(p.identity_payload_type, None);
        assert_eq!(p.identity_common_name, None);
        assert!(p.server_capabilities.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_enrollment(&String::from_utf8_lossy(&bytes));
            let _ = parse_mdm_profile(&bytes);
        }

        #[test]
        fn status_lines_in_any_spacing(dep in proptest::bool::ANY, mdm in 0u8..3, pad in "[ \t]{0,3}") {
            let mdm_text = ["No", "Yes", "Yes (User Approved)"][mdm as usize];
            let dep_text = if dep { "Yes" } else { "No" };
            let text = format!("{pad}Enrolled via DEP:{pad}{dep_text}\n{pad}MDM enrollment:{pad}{mdm_text}{pad}\n");
            let e = parse_enrollment(&text).unwrap();
            proptest::prop_assert_eq!(e.dep, Some(dep));
            proptest::prop_assert_eq!(e.mdm_enrolled, mdm > 0);
            proptest::prop_assert_eq!(e.user_approved, mdm == 2);
        }
    }
}
