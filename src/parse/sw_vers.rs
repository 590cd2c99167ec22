//! `sw_vers`: ProductName, ProductVersion, ProductVersionExtra (Rapid Security Response), BuildVersion.
//! STUB: owned by the readiness work (issue 4).

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwVers {
    pub product_name: Option<String>,
    pub product_version: String,
    /// "(a)" with a Rapid Security Response installed.
    pub product_version_extra: Option<String>,
    pub build_version: String,
}

pub fn parse(text: &str) -> Result<SwVers, String> {
    let mut v = SwVers::default();
    for line in text.lines() {
        let Some((k, val)) = line.split_once(':') else {
            continue;
        };
        let val = val.trim().to_string();
        match k.trim() {
            "ProductName" => v.product_name = Some(val),
            "ProductVersion" => v.product_version = val,
            "ProductVersionExtra" => v.product_version_extra = Some(val),
            "BuildVersion" => v.build_version = val,
            _ => {}
        }
    }
    if v.product_version.is_empty() {
        return Err("no ProductVersion line".into());
    }
    Ok(v)
}
