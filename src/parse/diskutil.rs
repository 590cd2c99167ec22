//! `diskutil info -plist /`: free space of the startup volume's container.
//!
//! On APFS the volume's own `FreeSpace` can be 0 (fixture
//! `diskutil_info_plist__root_system_volume_disk1s5__catalina_FreeSpace0.plist`: the sealed system
//! volume); the figure that matters is `APFSContainerFree`, shared by every volume of the
//! container. The probe asks for `-plist` because the text layout changed across versions and
//! follows the locale (`33,3 GB` in German, fixture `df_h_and_diskutil_container_free__german`),
//! but text output (`Container Free Space: 183.4 GB (183397150720 Bytes)`, fixtures
//! `diskutil_info__*`) is accepted too, reading only the exact `(N Bytes)` figures.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskInfo {
    pub device_identifier: Option<String>,
    pub mount_point: Option<String>,
    pub volume_name: Option<String>,
    pub filesystem: Option<String>,
    /// `APFSContainerFree` / `Container Free Space`.
    pub container_free: Option<u64>,
    /// `APFSContainerSize` / `Container Total Space`.
    pub container_size: Option<u64>,
    /// `FreeSpace` / `Volume Free Space` (0 on a sealed APFS system volume).
    pub free_space: Option<u64>,
    /// `TotalSize` / `Disk Size`.
    pub total_size: Option<u64>,
}

impl DiskInfo {
    /// The free bytes updates can use: the container's, else the volume's when non-zero.
    pub fn free_bytes(&self) -> Option<(u64, &'static str)> {
        match (self.container_free, self.free_space) {
            (Some(c), _) => Some((c, "APFSContainerFree")),
            (None, Some(f)) if f > 0 => Some((f, "FreeSpace")),
            _ => None,
        }
    }
}

pub fn parse(bytes: &[u8]) -> Result<DiskInfo, String> {
    let head: Vec<u8> = bytes
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(8)
        .collect();
    if head.starts_with(b"bplist") || head.starts_with(b"<?xml") || head.starts_with(b"<plist") {
        parse_plist(bytes)
    } else {
        parse_text(&String::from_utf8_lossy(bytes))
    }
}

fn parse_plist(bytes: &[u8]) -> Result<DiskInfo, String> {
    use super::nextstep::pv;
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let d = v.as_dictionary().ok_or("the plist is not a dictionary")?;
    let info = DiskInfo {
        device_identifier: pv::string(d.get("DeviceIdentifier")),
        mount_point: pv::string(d.get("MountPoint")),
        volume_name: pv::string(d.get("VolumeName")),
        filesystem: pv::string(d.get("FilesystemName")),
        container_free: pv::uint(d.get("APFSContainerFree")),
        container_size: pv::uint(d.get("APFSContainerSize")),
        free_space: pv::uint(d.get("FreeSpace")),
        total_size: pv::uint(d.get("TotalSize")).or_else(|| pv::uint(d.get("Size"))),
    };
    if info.container_free.is_none() && info.free_space.is_none() {
        return Err("neither APFSContainerFree nor FreeSpace in the plist".into());
    }
    Ok(info)
}

/// `Label:   33.3 GB (33333333 Bytes) ...` -> the exact byte count.
fn bytes_in(value: &str) -> Option<u64> {
    let open = value.find('(')?;
    let rest = &value[open + 1..];
    let close = rest.find(" Bytes)")?;
    rest[..close].trim().parse().ok()
}

fn parse_text(text: &str) -> Result<DiskInfo, String> {
    let mut info = DiskInfo::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "Device Identifier" => info.device_identifier = Some(v.to_string()),
            "Mount Point" => info.mount_point = Some(v.to_string()),
            "Volume Name" => info.volume_name = Some(v.to_string()),
            "File System Personality" => info.filesystem = Some(v.to_string()),
            "Container Free Space" => info.container_free = bytes_in(v),
            "Container Total Space" => info.container_size = bytes_in(v),
            "Volume Free Space" => info.free_space = bytes_in(v),
            "Disk Size" => info.total_size = bytes_in(v),
            _ => {}
        }
    }
    if info.container_free.is_none() && info.free_space.is_none() {
        return Err("no free-space figure with an exact byte count".into());
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::sample;

    #[test]
    fn catalina_plist_free_space_zero_uses_container() {
        let d = parse(&sample(
            "diskutil_info_plist__root_system_volume_disk1s5__catalina_FreeSpace0.plist",
        ))
        .unwrap();
        assert_eq!(d.free_space, Some(0));
        assert_eq!(d.container_free, Some(198_572_486_656));
        assert_eq!(d.container_size, Some(250_790_436_864));
        assert_eq!(d.mount_point.as_deref(), Some("/"));
        assert_eq!(d.free_bytes(), Some((198_572_486_656, "APFSContainerFree")));
    }

    #[test]
    fn binary_plist_form() {
        // The same real plist re-encoded as binary (what `-plist` piped to a file never is, but a
        // capture may hold): the reader must not care.
        let v = plist::Value::from_reader(std::io::Cursor::new(sample(
            "diskutil_info_plist__root_system_volume_disk1s5__catalina_FreeSpace0.plist",
        )))
        .unwrap();
        let mut bin = Vec::new();
        v.to_writer_binary(&mut bin).unwrap();
        assert_eq!(parse(&bin).unwrap().container_free, Some(198_572_486_656));
    }

    #[test]
    fn text_samples() {
        let cases: [(&str, Option<u64>, Option<u64>); 5] = [
            (
                "diskutil_info__disk3s1_system_volume__apple_silicon_macos11_asahi_docs.txt",
                Some(183_397_150_720),
                None,
            ),
            (
                "diskutil_info__disk1s4_recovery_unmounted__apple_silicon_macos11_asahi_docs.txt",
                Some(506_347_520),
                None,
            ),
            (
                "diskutil_info__apfs_data_volume_8TB__M3_Max__from_mock.txt",
                Some(4_490_433_454_080),
                None,
            ),
            (
                "diskutil_info_root__grep_Container__partial.txt",
                Some(57_048_616_960),
                None,
            ),
            (
                "diskutil_info_data_volume__grep_Volume_Used_Free__partial__2026.txt",
                None,
                Some(8_988_352_512),
            ),
        ];
        for (f, container, volume) in cases {
            let d = parse(&sample(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(d.container_free, container, "{f}");
            assert_eq!(d.free_space, volume, "{f}");
            assert!(d.free_bytes().is_some(), "{f}");
        }
    }

    #[test]
    fn german_locale_without_bytes_is_refused() {
        // `Container Free Space: 33,3 GB` has no exact byte count: refuse rather than guess.
        assert!(parse(&sample(
            "df_h_and_diskutil_container_free__german_locale__partial.txt"
        ))
        .is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<?xml garbage").is_err());
        assert!(parse(b"bplist00\xff\xff").is_err());
    }
}
