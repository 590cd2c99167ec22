//! The answers of `/usr/libexec/mdmclient QueryDeviceInformation` and `QuerySecurityInfo`
//! (root; probes `mdmclient_qdi` and `mdmclient_qsi`), read by one parser: an old-style
//! dictionary of device facts, printed after a `Daemon response:` line (and sometimes header
//! lines and an `Agent response:` line), as kolide/launcher's recorded outputs show
//! (<https://github.com/kolide/launcher/tree/main/ee/tables/mdmclient/testdata>). The block from
//! the first `{` to its matching `}` is read as an old-style plist and every scalar
//! `key = value` at any depth is collected, first occurrence wins; when it does not parse, the
//! same pairs are scraped line by line. SUPER (<https://github.com/Macjutsu/super>) reads
//! `EACSPreflight = success;` (quoted when it has spaces, e.g. `"EFI password exists"`),
//! `AvailableDeviceCapacity` (GB, a quoted decimal) and `IsDefaultCatalog` from it.

use std::collections::BTreeMap;

use super::nextstep;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceInformation {
    /// Every scalar `key = value` found, first occurrence wins.
    pub values: BTreeMap<String, String>,
}

impl DeviceInformation {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// `success`, `EFI password exists`, or a failure text.
    pub fn eacs_preflight(&self) -> Option<&str> {
        self.get("EACSPreflight")
    }

    /// Free space in (decimal) GB as mdmclient reports it.
    pub fn available_device_capacity_gb(&self) -> Option<f64> {
        self.get("AvailableDeviceCapacity")?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    }

    pub fn device_capacity_gb(&self) -> Option<f64> {
        self.get("DeviceCapacity")?.trim().parse::<f64>().ok()
    }
}

pub fn parse(text: &str) -> Result<DeviceInformation, String> {
    let mut info = DeviceInformation::default();
    // The output may have a heading line before the dictionary: start at the first `{`.
    if let Some(open) = text.find('{') {
        if let Some(end) = nextstep::block_end(text, open) {
            if let Ok(v) = nextstep::parse(&text[open..end]) {
                for (k, val) in nextstep::leaves(&v) {
                    info.values.entry(k).or_insert(val);
                }
            }
        }
    }
    if info.values.is_empty() {
        for line in text.lines() {
            let Some((k, v)) = line.split_once(" = ") else {
                continue;
            };
            let v = v.trim();
            if v.starts_with('{') || v.starts_with('(') {
                continue;
            }
            let key = nextstep::unquote(k);
            if key.is_empty() {
                continue;
            }
            info.values
                .entry(key)
                .or_insert_with(|| nextstep::unquote(v));
        }
    }
    if info.values.is_empty() {
        return Err(format!(
            "no 'key = value;' pairs: {:?}",
            super::first_line(text, 120)
        ));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Constructed: the line shapes Macjutsu/super greps for (`EACSPreflight`), inside an
    // old-style dictionary with a nested item, since no full public capture exists.
    const QDI: &str = r#"Device information:
{
    QueryResponses =     {
        AvailableDeviceCapacity = "41.27";
        DeviceCapacity = "494.38";
        EACSPreflight = "EFI password exists";
        IsDefaultCatalog = 1;
        OSUpdateSettings =         {
            CatalogURL = "https://swscan.apple.com/x.sucatalog";
        };
    };
}
"#;

    #[test]
    fn nested_dictionary() {
        let d = parse(QDI).unwrap();
        assert_eq!(d.eacs_preflight(), Some("EFI password exists"));
        assert_eq!(d.available_device_capacity_gb(), Some(41.27));
        assert_eq!(d.get("IsDefaultCatalog"), Some("1"));
        assert_eq!(
            d.get("CatalogURL"),
            Some("https://swscan.apple.com/x.sucatalog")
        );
    }

    /// Constructed in the shape of kolide/launcher's recorded output
    /// (https://github.com/kolide/launcher/blob/main/ee/tables/mdmclient/testdata/QueryDeviceInformation_NullAgentResponse.output):
    /// header lines, the `Daemon response:` wrapper, tabs, NSData's `{length = N, bytes = 0x...}`
    /// description and a trailing `Agent response: (null)`.
    const QDI_DAEMON_RESPONSE: &str = "=== CPF_GetInstalledProfiles === (<Device>)\nNumber of <Device> profiles found: 6 (Filtered: 0)\nDaemon response: {\n\tQueryResponses =\t {\n\t\tActiveManagedUsers =\t\t (\n\t\t\t\"DD1C35B7-F8DD-441F-ABE1-DEADBEEFCAFE\"\n\t\t);\n\t\tAvailableDeviceCapacity = 1761;\n\t\tBuildVersion = 22E261;\n\t\tEACSPreflight = success;\n\t\tMDMOptions =\t\t {\n\t\t\tBootstrapTokenAllowed = 1;\n\t\t};\n\t\tPushToken = {length = 32, bytes = 0x068b4535 172f7bd3 851facee abcdabcd ... 38625271 61731ac3};\n\t\tSupplementalOSVersionExtra = \"(a)\";\n\t};\n}\nAgent response: (null)\n";

    #[test]
    fn daemon_response_wrapper_and_data_description() {
        let d = parse(QDI_DAEMON_RESPONSE).unwrap();
        assert_eq!(d.eacs_preflight(), Some("success"));
        assert_eq!(d.available_device_capacity_gb(), Some(1761.0));
        assert_eq!(d.get("BootstrapTokenAllowed"), Some("1"));
        assert_eq!(d.get("SupplementalOSVersionExtra"), Some("(a)"));
        assert_eq!(
            d.get("PushToken"),
            Some("{length = 32, bytes = 0x068b4535 172f7bd3 851facee abcdabcd ... 38625271 61731ac3}")
        );
    }

    #[test]
    fn line_fallback_when_not_a_clean_plist() {
        let d = parse("junk {\n        EACSPreflight = success;\n   Weird line = ( ;\n").unwrap();
        assert_eq!(d.eacs_preflight(), Some("success"));
        assert!(parse("").is_err());
        assert!(parse("mdmclient: must be root").is_err());
    }
}
