//! A macOS update prepared on disk and waiting for the restart that applies it.
//!
//! Two version sources, both root-only system files a log line cannot fake (the evidence heal
//! trusts), macOS 14-26 (27 assumed):
//! - the proposed cryptex in the Preboot volume of the booted volume group:
//!   `/System/Volumes/Preboot/<APFSVolumeGroupID>/cryptex1/proposed/SystemVersion.plist`
//!   (`ProductVersion`, `ProductBuildVersion`; dan-snelson's DDM-OS-Reminder
//!   `readStagedMacOSVersion` reads it and keeps "staged" only when its version equals the DDM
//!   target). The folder name is the volume group UUID, which `diskutil info -plist /` prints as
//!   `APFSVolumeGroupID` (safer than the scripts' `ls /System/Volumes/Preboot | head -1` on a disk
//!   with two systems);
//! - the Update volume's `/System/Volumes/Update/Update.plist`, whose `update-asset-attributes`
//!   dictionary names the prepared update (`OSVersion`, `Build`, `ProductVersionExtra`):
//!   Macjutsu/super reads it (`defaults read /System/Volumes/Update/Update
//!   update-asset-attributes`, since 2022) and OpenCore-Legacy-Patcher's `fetch_staged_update`
//!   (`plist["update-asset-attributes"]["OSVersion"]`/`["Build"]`). Whether macOS clears it after
//!   the install is not published, so a build equal to the running one is stale, never staged
//!   (the check compares it with `sw_vers`).
//!
//! The APFS update snapshot is read as a sign only: `tmutil listlocalsnapshots /` lists
//! `com.apple.os.update-<hash>` for the sealed system snapshot every Mac boots from (macOS 11+;
//! it means nothing), and `com.apple.os.update-MSUPrepareUpdate` while an update is prepared (a
//! published listing shows it, gone after the install). It carries no version and its lifecycle
//! after a failed prepare is not published, so it is reported (a fact and evidence) and never
//! makes an update staged; it only withholds a restart of softwareupdated (the safe side: it may
//! be the target waiting for its restart), and the report says so.
//!
//! `restore-staged` in the same Preboot folder is not read: public notes show it holding the
//! booted system's firmware and kernelcache (present on a Mac with nothing pending) and no
//! version file, so it cannot say that an update, let alone the target, waits. Mac-Health-Check
//! `checkStagedUpdate` only logs its size.

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
    versions(bytes, &[], "ProductVersion", "ProductBuildVersion")
}

/// `/System/Volumes/Update/Update.plist`: the `update-asset-attributes` of the prepared update.
pub fn parse_update_plist(bytes: &[u8]) -> Result<StagedVersion, String> {
    versions(bytes, &["update-asset-attributes"], "OSVersion", "Build")
}

/// The version and build under `at` of a plist; an error when it names neither.
fn versions(
    bytes: &[u8],
    at: &[&str],
    version: &str,
    build: &str,
) -> Result<StagedVersion, String> {
    use super::nextstep::pv;
    let v = Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let d = pv::path(&v, at)
        .filter(|d| d.as_dictionary().is_some())
        .ok_or_else(|| format!("no {} dictionary", at.first().unwrap_or(&"top-level")))?;
    let out = StagedVersion {
        product_version: pv::string(pv::path(d, &[version])),
        build_version: pv::string(pv::path(d, &[build])),
    };
    if out.product_version.is_none() && out.build_version.is_none() {
        return Err(format!("no {version} or {build}"));
    }
    Ok(out)
}

/// The snapshot name macOS gives a prepared, not yet applied update.
pub const PREPARE_SNAPSHOT: &str = "com.apple.os.update-MSUPrepareUpdate";

/// `tmutil listlocalsnapshots /`: the prepared-update snapshots listed (`PREPARE_SNAPSHOT`, a
/// whole line), and how many snapshots the listing names in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSnapshots {
    pub prepare: usize,
    pub listed: usize,
}

pub fn parse_snapshots(stdout: &[u8]) -> Result<UpdateSnapshots, String> {
    let text = std::str::from_utf8(stdout).map_err(|e| e.to_string())?;
    let mut out = UpdateSnapshots::default();
    // 11+ prints a `Snapshots for …:` header; 10.15 printed the names alone. A name is one token
    // of letters, digits and `.-_:+` (Apple's `com.apple.…`, or another tool's, e.g. a backup
    // app's): counted; anything else is a message (an error) or garbage, not a listing.
    for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if l.starts_with("Snapshots for") {
            continue;
        }
        let name_like = l
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '+'));
        if !name_like || l.len() > 255 {
            return Err(format!(
                "not a snapshot name: {:?}",
                l.chars().take(60).collect::<String>()
            ));
        }
        out.listed += 1;
        if l == PREPARE_SNAPSHOT {
            out.prepare += 1;
        }
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

    /// Constructed in the layout OpenCore-Legacy-Patcher and super read (a top-level
    /// `update-asset-attributes` dictionary with `OSVersion`, `Build`, `ProductVersionExtra`);
    /// the values follow a published recovery log (13.6.6, 22G630).
    #[test]
    fn update_volume_plist() {
        let p = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
	<key>update-asset-attributes</key>
	<dict>
		<key>Build</key>
		<string>22G630</string>
		<key>OSVersion</key>
		<string>13.6.6</string>
		<key>_UpdateType</key>
		<string>Minor</string>
	</dict>
</dict>
</plist>
"#;
        let v = parse_update_plist(p).unwrap();
        assert_eq!(v.product_version.as_deref(), Some("13.6.6"));
        assert_eq!(v.build_version.as_deref(), Some("22G630"));
        assert!(parse_update_plist(b"<plist version=\"1.0\"><dict/></plist>").is_err());
        assert!(parse_update_plist(
            b"<plist version=\"1.0\"><dict><key>update-asset-attributes</key><dict/></dict></plist>"
        )
        .is_err());
        assert!(parse_update_plist(b"garbage").is_err());
    }

    /// The listing's layout from a published `tmutil listlocalsnapshots /` (a blog post showing
    /// two hash-named snapshots and `com.apple.os.update-MSUPrepareUpdate`, gone after the
    /// install); the hashes are constructed.
    #[test]
    fn prepare_snapshot() {
        let listing = b"Snapshots for volume group containing disk /:\ncom.apple.os.update-779BDF1556C6F688504E24FB29C75AFFABFCB91E701806FFFF35235E19914F1E\ncom.apple.os.update-MSUPrepareUpdate\ncom.apple.TimeMachine.2026-11-20-090000.local\n";
        assert_eq!(
            parse_snapshots(listing).unwrap(),
            UpdateSnapshots {
                prepare: 1,
                listed: 3
            }
        );
        // The booted system's own sealed snapshot is not a prepared update.
        let booted = b"Snapshots for volume group containing disk /:\ncom.apple.os.update-779BDF1556C6F688504E24FB29C75AFFABFCB91E701806FFFF35235E19914F1E\n";
        assert_eq!(parse_snapshots(booted).unwrap().prepare, 0);
        // A name that merely starts with it is not it.
        let other = b"Snapshots for disk /:\ncom.apple.os.update-MSUPrepareUpdate-old\n";
        assert_eq!(parse_snapshots(other).unwrap().prepare, 0);
        assert_eq!(parse_snapshots(b"").unwrap(), UpdateSnapshots::default());
        // Another tool's snapshot beside Apple's is listed, not an error.
        let mixed = b"Snapshots for volume group containing disk /:\ncom.bombich.ccc.snapshot.2026-11-20\ncom.apple.os.update-MSUPrepareUpdate\n";
        assert_eq!(
            parse_snapshots(mixed).unwrap(),
            UpdateSnapshots {
                prepare: 1,
                listed: 2
            }
        );
        assert!(parse_snapshots(b"tmutil: must be run as root\n").is_err());
        // Garbage of no name's shape is not "no prepared snapshot".
        assert!(parse_snapshots(&[b'{'; 4096]).is_err());
    }
}
