//! `/Library/Preferences/com.apple.SoftwareUpdate.plist` (binary plist, read raw by the `su_prefs`
//! file probe; XML and `defaults read` text are accepted too).
//!
//! Keys (tests/fixtures/samples/SOURCES.md section 5; the macadmins osquery extension reads
//! `RecommendedUpdates` the same way): `RecommendedUpdates` (array of dicts with `Product Key`,
//! `Display Name`, `Display Version`, `MobileSoftwareUpdate`), `LastSuccessfulDate`,
//! `LastFullSuccessfulDate`, `LastSessionSuccessful`, `LastResultCode`,
//! `LastAttemptSystemVersion`, `DidSkipBackgroundDownloadLackingDiskSpace`,
//! `AutoInstallProductKeys`, `DDMPersistedErrorKey` `{count; reason; timestamp}` (real shape in
//! the `...DDMPersistedErrorKey__macos26.6__PARTIAL` fixture). All are optional.

use chrono::{DateTime, Utc};

use super::ddm_status::FailureReason;
use super::nextstep::{self, pv};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecommendedUpdate {
    pub product_key: String,
    pub display_name: Option<String>,
    pub display_version: Option<String>,
    /// Delivered by MobileSoftwareUpdate (macOS itself rather than a package like CLT).
    pub mobile_software_update: bool,
}

impl RecommendedUpdate {
    /// A macOS update rather than an app/package: MobileSoftwareUpdate, or an `MSU_UPDATE_` key.
    pub fn is_os(&self) -> bool {
        self.mobile_software_update || self.product_key.starts_with("MSU_UPDATE_")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareUpdatePrefs {
    pub recommended_updates: Vec<RecommendedUpdate>,
    pub last_successful_date: Option<DateTime<Utc>>,
    pub last_full_successful_date: Option<DateTime<Utc>>,
    pub last_session_successful: Option<bool>,
    pub last_result_code: Option<i64>,
    pub last_attempt_system_version: Option<String>,
    pub skipped_download_lacking_disk_space: Option<bool>,
    pub auto_install_product_keys: Vec<String>,
    pub ddm_error: Option<FailureReason>,
}

pub fn parse(bytes: &[u8]) -> Result<SoftwareUpdatePrefs, String> {
    let v = nextstep::load_any_plist(bytes)?;
    let d = v.as_dictionary().ok_or("the plist is not a dictionary")?;
    let mut p = SoftwareUpdatePrefs {
        last_successful_date: pv::date(d.get("LastSuccessfulDate")),
        last_full_successful_date: pv::date(d.get("LastFullSuccessfulDate")),
        last_session_successful: pv::boolean(d.get("LastSessionSuccessful")),
        last_result_code: pv::int(d.get("LastResultCode")),
        last_attempt_system_version: pv::string(d.get("LastAttemptSystemVersion")),
        skipped_download_lacking_disk_space: pv::boolean(
            d.get("DidSkipBackgroundDownloadLackingDiskSpace"),
        ),
        ..SoftwareUpdatePrefs::default()
    };
    if let Some(items) = d.get("RecommendedUpdates").and_then(|v| v.as_array()) {
        for item in items {
            let Some(i) = item.as_dictionary() else {
                continue;
            };
            let Some(key) = pv::string(i.get("Product Key")) else {
                continue;
            };
            p.recommended_updates.push(RecommendedUpdate {
                product_key: key,
                display_name: pv::string(i.get("Display Name")),
                display_version: pv::string(i.get("Display Version")),
                mobile_software_update: pv::boolean(i.get("MobileSoftwareUpdate")).unwrap_or(false),
            });
        }
    }
    if let Some(keys) = d.get("AutoInstallProductKeys").and_then(|v| v.as_array()) {
        p.auto_install_product_keys = keys.iter().filter_map(|k| pv::string(Some(k))).collect();
    }
    if let Some(e) = d
        .get("DDMPersistedErrorKey")
        .and_then(|v| v.as_dictionary())
    {
        p.ddm_error = Some(FailureReason {
            count: pv::int(e.get("count")).unwrap_or(0),
            reason: pv::string(e.get("reason")),
            timestamp: pv::string(e.get("timestamp")),
        });
    }
    Ok(p)
}

/// Test and capture helper: a binary plist with the given keys, as the file probe reads it.
/// Used to build constructed samples from the key evidence (no full real file is public).
#[cfg(test)]
pub(crate) fn build_binary(dict: plist::Dictionary) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing a plain dictionary to memory cannot fail.
    let _ = plist::Value::Dictionary(dict).to_writer_binary(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use plist::{Dictionary, Value};

    fn rec(key: &str, name: &str, ver: &str, msu: bool) -> Value {
        let mut d = Dictionary::new();
        d.insert("Product Key".into(), key.into());
        d.insert("Display Name".into(), name.into());
        d.insert("Display Version".into(), ver.into());
        if msu {
            d.insert("MobileSoftwareUpdate".into(), true.into());
        }
        Value::Dictionary(d)
    }

    /// Constructed binary plist from the key evidence of the macOS 26.6 PARTIAL fixture
    /// (RecommendedUpdates and DDMPersistedErrorKey values copied from it).
    fn constructed() -> Vec<u8> {
        let mut d = Dictionary::new();
        d.insert(
            "RecommendedUpdates".into(),
            Value::Array(vec![
                rec(
                    "140-17812",
                    "Command Line Tools for Xcode 26.6",
                    "26.6",
                    false,
                ),
                rec(
                    "MSU_UPDATE_25G83_patch_26.6.2_minor",
                    "macOS Tahoe 26.6.2",
                    "26.6.2",
                    true,
                ),
            ]),
        );
        let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_788_000_000);
        d.insert("LastSuccessfulDate".into(), Value::Date(t.into()));
        d.insert("LastSessionSuccessful".into(), true.into());
        d.insert("LastResultCode".into(), 2.into());
        d.insert(
            "DidSkipBackgroundDownloadLackingDiskSpace".into(),
            true.into(),
        );
        d.insert(
            "AutoInstallProductKeys".into(),
            Value::Array(vec!["MSU_UPDATE_25F71_patch_26.5_major".into()]),
        );
        let mut e = Dictionary::new();
        e.insert("count".into(), 299.into());
        e.insert("reason".into(), "Software update failed.".into());
        e.insert("timestamp".into(), "2026-09-01T13:06:48-03:00".into());
        d.insert("DDMPersistedErrorKey".into(), Value::Dictionary(e));
        build_binary(d)
    }

    #[test]
    fn constructed_binary_plist() {
        let p = parse(&constructed()).unwrap();
        assert_eq!(p.recommended_updates.len(), 2);
        assert!(!p.recommended_updates[0].is_os());
        assert!(p.recommended_updates[1].is_os());
        assert_eq!(
            p.recommended_updates[1].display_version.as_deref(),
            Some("26.6.2")
        );
        assert_eq!(
            p.last_successful_date.map(|d| d.timestamp()),
            Some(1_788_000_000)
        );
        assert_eq!(p.last_session_successful, Some(true));
        assert_eq!(p.last_result_code, Some(2));
        assert_eq!(p.skipped_download_lacking_disk_space, Some(true));
        assert_eq!(p.auto_install_product_keys.len(), 1);
        let e = p.ddm_error.unwrap();
        assert_eq!(
            (e.count, e.reason.as_deref()),
            (299, Some("Software update failed."))
        );
    }

    #[test]
    fn defaults_read_text_form() {
        // The DDMPersistedErrorKey line of the real PARTIAL fixture, wrapped as a dictionary.
        let text = r#"{ AutoInstallProductKeys = ( "MSU_UPDATE_25F71_patch_26.5_major" ); DDMPersistedErrorKey = { count = 299; reason = "Software update failed."; timestamp = "2026-09-01T13:06:48-03:00"; }; LastSuccessfulDate = "2026-09-01 13:06:48 +0000"; }"#;
        let p = parse(text.as_bytes()).unwrap();
        assert_eq!(p.ddm_error.unwrap().count, 299);
        assert!(p.last_successful_date.is_some());
        assert!(parse(b"").is_err());
        assert!(parse(b"bplist00garbage").is_err());
        assert!(parse(b"( a, b )").is_err());
    }
}
