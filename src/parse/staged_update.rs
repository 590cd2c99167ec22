//! A macOS update prepared on disk and waiting for the restart that applies it.
//!
//! softwareupdated stages a prepared update in the Preboot volume of the booted volume group:
//! `/System/Volumes/Preboot/<APFSVolumeGroupID>/cryptex1/proposed/` holds the proposed cryptex
//! with its `SystemVersion.plist` (`ProductVersion`, `ProductBuildVersion`), and `restore-staged`
//! holds the rest (dan-snelson's DDM-OS-Reminder `readStagedMacOSVersion` and Mac-Health-Check
//! `checkStagedUpdate` read these paths; macOS 14-26, 27 assumed). The folder name is the volume
//! group UUID, which `diskutil info -plist /` prints as `APFSVolumeGroupID`. A file in a
//! root-only system volume cannot be faked by a log line: it is the evidence heal trusts.
//!
//! Only this version file is read. DDM-OS-Reminder's runtime decision tree ("Staged Update
//! Detection") treats the APFS update snapshot, `restore-staged` and the Preboot volume's size as
//! *signals* that send it to the proposed metadata, keeps "staged" only when that metadata's
//! version matches the DDM target, and falls back to "pending download" when it is missing or
//! mismatched: without the version file those signals cannot make an update staged, so they are
//! not probed here.

use plist::Value;

/// The version a staged update will install.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StagedVersion {
    pub product_version: Option<String>,
    pub build_version: Option<String>,
}

/// `APFSVolumeGroupID` of `diskutil info -plist /`, when it is a UUID (it names a folder).
pub fn volume_group(diskutil_plist: &[u8]) -> Option<String> {
    let v = Value::from_reader(std::io::Cursor::new(diskutil_plist)).ok()?;
    let id = v.as_dictionary()?.get("APFSVolumeGroupID")?.as_string()?;
    let uuid_like = id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    uuid_like.then(|| id.to_ascii_uppercase())
}

/// The proposed cryptex's `SystemVersion.plist`.
pub fn parse(bytes: &[u8]) -> Result<StagedVersion, String> {
    let v = Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let d = v.as_dictionary().ok_or("not a dictionary")?;
    let s = |k: &str| d.get(k).and_then(Value::as_string).map(str::to_string);
    let out = StagedVersion {
        product_version: s("ProductVersion"),
        build_version: s("ProductBuildVersion"),
    };
    if out.product_version.is_none() && out.build_version.is_none() {
        return Err("no ProductVersion or ProductBuildVersion".into());
    }
    Ok(out)
}

/// `stat -f %m <file>`: seconds since the epoch when the staged version file was written.
pub fn mtime(stdout: &[u8]) -> Option<i64> {
    std::str::from_utf8(stdout).ok()?.trim().parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM_VERSION: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>ProductBuildVersion</key>
	<string>27B84</string>
	<key>ProductName</key>
	<string>macOS</string>
	<key>ProductVersion</key>
	<string>27.1</string>
</dict>
</plist>
"#;

    #[test]
    fn version_group_and_mtime() {
        let v = parse(SYSTEM_VERSION).unwrap();
        assert_eq!(v.product_version.as_deref(), Some("27.1"));
        assert_eq!(v.build_version.as_deref(), Some("27B84"));
        assert!(parse(b"<plist version=\"1.0\"><dict/></plist>").is_err());
        assert!(parse(b"garbage").is_err());
        let du = br#"<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>APFSVolumeGroupID</key><string>0a1b2c3d-1111-2222-3333-444455556666</string></dict></plist>"#;
        assert_eq!(
            volume_group(du).as_deref(),
            Some("0A1B2C3D-1111-2222-3333-444455556666")
        );
        let bad = br#"<plist version="1.0"><dict><key>APFSVolumeGroupID</key><string>../../etc</string></dict></plist>"#;
        assert_eq!(volume_group(bad), None);
        assert_eq!(mtime(b"1763650800\n"), Some(1_763_650_800));
        assert_eq!(mtime(b"stat: x: No such file"), None);
    }
}
