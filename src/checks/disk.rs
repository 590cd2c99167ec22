//! `disk.free_space`: is there room to download, prepare and install.
//!
//! Free space: mdmclient's `AvailableDeviceCapacity` (GB) when present, as it counts purgeable
//! space like the "available for important usage" figure SUPER and erase-install read
//! (FIELD-NOTES); else `diskutil info -plist /` `APFSContainerFree` (the volume's `FreeSpace`
//! can be 0 on APFS, Catalina fixture). Live "available for important usage" is not read: it
//! needs a Foundation call outside the probe boundary. Needed: the pending update's download
//! size when known (no probe here reports it, so it counts as 0 and the finding says so) plus
//! headroom: 15 GB for an update, 25 GB for an upgrade (`Config::disk_headroom_*`, defaults
//! from SUPER's prerequisite checks; Apple's guide only says "sufficient space", seed 001).
//! GB are decimal (10^9 bytes), as diskutil prints them.

use serde_json::{json, Value};

use super::DISK;
use crate::config::Config;
use crate::observe::Observations;
use crate::probes;
use crate::report::{Evidence, Finding, Status};

pub const GB: u64 = 1_000_000_000;

pub fn gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / GB as f64)
}

pub fn check(obs: &Observations, cfg: &Config) -> Finding {
    let qdi = obs
        .device_info
        .as_ref()
        .ok()
        .and_then(|d| d.available_device_capacity_gb());
    let diskutil = obs.disk.as_ref().ok().and_then(|d| d.free_bytes());
    let (free, source) = match (qdi, diskutil) {
        (Some(g), _) => ((g * GB as f64) as u64, "mdmclient AvailableDeviceCapacity"),
        (None, Some((b, key))) => (
            b,
            if key == "FreeSpace" {
                "diskutil FreeSpace"
            } else {
                "diskutil APFSContainerFree"
            },
        ),
        (None, None) => {
            let why = match &obs.disk {
                Err(u) => u.to_string(),
                Ok(_) => "diskutil printed no usable free-space figure".into(),
            };
            let qdi_why = match &obs.device_info {
                Err(u) => u.to_string(),
                Ok(_) => "no AvailableDeviceCapacity".into(),
            };
            return Finding::unknown(DISK, format!("{why}; {qdi_why}"));
        }
    };
    let download: u64 = 0;
    let need_update = download + cfg.disk_headroom_update_gb * GB;
    let need_upgrade = download + cfg.disk_headroom_upgrade_gb * GB;
    let verdict = |need: u64| if free >= need { "meets" } else { "blocks" };
    let (status, summary) = if free < need_update {
        (
            Status::Failed,
            format!(
                "{} free, {} GB needed for an update and {} GB for an upgrade",
                gb(free),
                cfg.disk_headroom_update_gb,
                cfg.disk_headroom_upgrade_gb
            ),
        )
    } else if free < need_upgrade {
        (
            Status::Warning,
            format!(
                "{} free: enough for an update ({} GB), not an upgrade ({} GB)",
                gb(free),
                cfg.disk_headroom_update_gb,
                cfg.disk_headroom_upgrade_gb
            ),
        )
    } else {
        (
            Status::Ok,
            format!("{} free: enough for an update or an upgrade", gb(free)),
        )
    };
    let mut f = Finding::new(DISK, status, summary)
        .remediation("free space on the startup disk (empty the Trash, remove large caches or old installers); updates need the download size plus 15 GB, upgrades plus 25 GB")
        .fact("free_bytes", free)
        .fact("free_gb", (free as f64 / GB as f64 * 10.0).round() / 10.0)
        .fact("free_source", source)
        .fact("download_size_known", false)
        .fact("needed_update_bytes", need_update)
        .fact("needed_upgrade_bytes", need_upgrade)
        .fact("headroom_update_gb", cfg.disk_headroom_update_gb)
        .fact("headroom_upgrade_gb", cfg.disk_headroom_upgrade_gb)
        .fact("headroom_source", "SUPER prerequisite checks (15 GB update, 25 GB upgrade, plus the download); Apple's guide only asks for sufficient space")
        .fact("update", verdict(need_update))
        .fact("upgrade", verdict(need_upgrade));
    if let Ok(d) = &obs.disk {
        f = f
            .fact("container_free_bytes", json!(d.container_free))
            .fact("volume_free_bytes", json!(d.free_space));
        f = f.evidence(Evidence::line(
            probes::DISKUTIL_ROOT,
            format!(
                "APFSContainerFree {} FreeSpace {}{}",
                d.container_free
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "absent".into()),
                d.free_space
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "absent".into()),
                d.device_identifier
                    .as_deref()
                    .map(|i| format!(" ({i})"))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(g) = qdi {
        f = f
            .fact("available_device_capacity_gb", g)
            .evidence(Evidence::line(
                probes::MDMCLIENT_QDI,
                format!("AvailableDeviceCapacity = {g}"),
            ));
    }
    // Recorded beside the figure the verdict uses, labelled: on macOS this is CoreFoundation's
    // "available for important usage" (counts purgeable space), which SUPER and erase-install read.
    match &obs.available_space {
        Ok(b) => {
            f = f
                .fact("available_for_important_usage_bytes", *b)
                .evidence(Evidence::line(
                    probes::AVAILABLE_SPACE_ROOT,
                    format!("available for important usage (sysinfo): {b} bytes"),
                ))
        }
        Err(u) => {
            f = f
                .fact("available_for_important_usage_bytes", Value::Null)
                .evidence(Evidence::line(
                    probes::AVAILABLE_SPACE_ROOT,
                    format!("unknown: {u}"),
                ))
        }
    }
    // One source may fail while the other answers: say which, so the figure's basis is clear.
    if let Err(u) = &obs.disk {
        f = f.evidence(Evidence::line(
            probes::DISKUTIL_ROOT,
            format!("unknown: {u}"),
        ));
    }
    if let Err(u) = &obs.device_info {
        f = f.evidence(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("unknown: {u}"),
        ));
    }
    f.summary
        .push_str(" (download size unknown: headroom only)");
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    #[test]
    fn catalina_free_space_zero_reads_the_container() {
        // base(): the real Catalina plist (FreeSpace 0, APFSContainerFree 198.6 GB), and a
        // mdmclient answer without AvailableDeviceCapacity.
        let f = check(&obs(base()), &Config::default());
        assert_eq!(f.status, Status::Ok);
        assert_eq!(f.facts["free_bytes"], 198_572_486_656u64);
        assert_eq!(f.facts["free_source"], "diskutil APFSContainerFree");
        assert_eq!(f.facts["volume_free_bytes"], 0);
    }

    #[test]
    fn mdmclient_capacity_preferred_and_headroom_from_config() {
        let b = || {
            with(
                base(),
                ok(
                    "mdmclient_qdi",
                    b"{\n AvailableDeviceCapacity = \"22.5\";\n}\n",
                ),
            )
        };
        let f = check(&obs(b()), &Config::default());
        assert_eq!(f.status, Status::Warning);
        assert_eq!(f.facts["free_bytes"], 22_500_000_000u64);
        assert_eq!(
            (f.facts["update"].as_str(), f.facts["upgrade"].as_str()),
            (Some("meets"), Some("blocks"))
        );
        let cfg = Config {
            disk_headroom_update_gb: 30,
            ..Config::default()
        };
        let f = check(&obs(b()), &cfg);
        assert_eq!(f.status, Status::Failed);
        assert_eq!(f.facts["needed_update_bytes"], 30_000_000_000u64);
    }

    #[test]
    fn both_sources_missing_is_unknown_naming_both() {
        let mut b = base();
        b.retain(|r| r.id != "diskutil_root" && r.id != "mdmclient_qdi");
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Unknown);
        let r = f.reason.unwrap();
        assert!(
            r.contains("diskutil_root") && r.contains("mdmclient_qdi"),
            "{r}"
        );
    }
}
