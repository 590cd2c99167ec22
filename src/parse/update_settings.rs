//! Software-update settings from preference plists (binary or XML): the automatic-update keys of
//! `com.apple.SoftwareUpdate` (local `/Library/Preferences/...` or managed
//! `/Library/Managed Preferences/...`) and the deferral keys of the restrictions payload
//! (`com.apple.applicationaccess`, managed). Key names are Apple's (Device Management
//! `com.apple.SoftwareUpdate` and `com.apple.applicationaccess` payload schemas).
//! The local file is the `su_prefs` probe, which `su_prefs` also parses (for the scan state and
//! the pending updates): two parsers of one probe, each reading its own keys.

use std::collections::BTreeMap;

/// The scalars of one preferences dictionary that matter for updates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrefValues {
    pub bools: BTreeMap<String, bool>,
    pub ints: BTreeMap<String, i64>,
    pub strings: BTreeMap<String, String>,
}

impl PrefValues {
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.bools.get(key).copied()
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        self.ints.get(key).copied()
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        self.strings.get(key).map(String::as_str)
    }
}

/// The automatic-update keys of `com.apple.SoftwareUpdate`.
pub(crate) const AUTOMATIC_KEYS: &[&str] = &[
    "AutomaticCheckEnabled",
    "AutomaticDownload",
    "AutomaticallyInstallMacOSUpdates",
    "CriticalUpdateInstall",
];

/// Top-level scalars of a plist dictionary (booleans also as 0/1 integers, as `defaults` may
/// write them).
pub fn parse(bytes: &[u8]) -> Result<PrefValues, String> {
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a property list: {e}"))?;
    let d = v
        .as_dictionary()
        .ok_or("the property list is not a dictionary")?;
    let mut out = PrefValues::default();
    for (k, v) in d {
        match v {
            plist::Value::Boolean(b) => {
                out.bools.insert(k.clone(), *b);
            }
            plist::Value::Integer(i) => {
                if let Some(n) = i.as_signed() {
                    out.ints.insert(k.clone(), n);
                    if n == 0 || n == 1 {
                        out.bools.insert(k.clone(), n == 1);
                    }
                }
            }
            plist::Value::String(s) => {
                out.strings.insert(k.clone(), s.clone());
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_and_binary_scalars() {
        // Constructed with the keys of Apple's restrictions payload schema.
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>forceDelayedSoftwareUpdates</key><true/>
<key>enforcedSoftwareUpdateDelay</key><integer>90</integer>
<key>AutomaticCheckEnabled</key><integer>0</integer>
<key>CatalogURL</key><string>https://swscan.apple.com/x-seed.sucatalog.gz</string>
<key>nested</key><dict/>
</dict></plist>"#;
        let p = parse(xml).unwrap();
        assert_eq!(p.bool("forceDelayedSoftwareUpdates"), Some(true));
        assert_eq!(p.int("enforcedSoftwareUpdateDelay"), Some(90));
        assert_eq!(p.bool("AutomaticCheckEnabled"), Some(false));
        assert!(p.string("CatalogURL").unwrap().contains("seed"));
        let mut bin = Vec::new();
        plist::Value::from_reader(std::io::Cursor::new(&xml[..]))
            .unwrap()
            .to_writer_binary(&mut bin)
            .unwrap();
        assert_eq!(parse(&bin).unwrap(), p);
        assert!(parse(b"garbage").is_err());
        assert!(parse(b"<plist version=\"1.0\"><array/></plist>").is_err());
    }
}
