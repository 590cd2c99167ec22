//! `/usr/libexec/mdmclient QueryDeviceInformation` (root): an old-style dictionary of device
//! facts. No full public capture exists (SOURCES.md section 6, FIELD-NOTES), so rather than
//! trusting a wrapper shape, every `key = value;` at any depth is collected: the whole output is
//! parsed as an old-style plist when it is one, else line by line. SUPER reads
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
                for (k, val) in v.leaves() {
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

    // Constructed: the line shapes SUPER greps for (FIELD-NOTES), inside an old-style dictionary
    // with a nested item, since no full public capture exists.
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

    #[test]
    fn line_fallback_when_not_a_clean_plist() {
        let d = parse("junk {\n        EACSPreflight = success;\n   Weird line = ( ;\n").unwrap();
        assert_eq!(d.eacs_preflight(), Some("success"));
        assert!(parse("").is_err());
        assert!(parse("mdmclient: must be root").is_err());
    }
}
