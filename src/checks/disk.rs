//! `disk.free_space`: is there room to download, prepare and install.
//!
//! Free space: mdmclient's `AvailableDeviceCapacity` (GB) when present, as it counts purgeable
//! space like the "available for important usage" figure SUPER and erase-install read
//! (Macjutsu/super, grahampugh/erase-install); else `diskutil info -plist /` `APFSContainerFree` (the volume's `FreeSpace`
//! can be 0 on APFS, Catalina fixture). Live "available for important usage" is not read: it
//! needs a Foundation call outside the probe boundary. Needed: the pending update's download
//! size when known (no probe here reports it, so it counts as 0 and the finding says so) plus
//! headroom: 15 GB for an update, 25 GB for an upgrade (`Config::disk_headroom_*`, defaults
//! from SUPER's prerequisite checks; Apple's guide only says "sufficient space", Apple, *Managing software updates for IT*).
//! GB are decimal (10^9 bytes), as diskutil prints them.

use super::{Evidence, Judgement, Prerequisite, Status, UpdateKind};
use crate::config::Config;
use crate::observe::Observations;
use crate::probes;

pub const GB: u64 = 1_000_000_000;

pub fn gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / GB as f64)
}

/// Free space against what each kind of update needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskAssessment {
    pub judgement: Judgement,
    /// `None` when no source gave a free-space figure.
    pub space: Option<DiskSpace>,
}

/// Where the free-space figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeSource {
    /// mdmclient QueryDeviceInformation `AvailableDeviceCapacity`.
    DeviceCapacity,
    /// `diskutil info -plist /` `APFSContainerFree`.
    ContainerFree,
    /// `diskutil info -plist /` `FreeSpace`.
    VolumeFree,
}

impl FreeSource {
    pub fn label(self) -> &'static str {
        match self {
            FreeSource::DeviceCapacity => "mdmclient AvailableDeviceCapacity",
            FreeSource::ContainerFree => "diskutil APFSContainerFree",
            FreeSource::VolumeFree => "diskutil FreeSpace",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiskSpace {
    pub free_bytes: u64,
    pub free_source: FreeSource,
    pub needed_update_bytes: u64,
    pub needed_upgrade_bytes: u64,
    pub headroom_update_gb: u64,
    pub headroom_upgrade_gb: u64,
    pub update: Prerequisite,
    pub upgrade: Prerequisite,
    /// `diskutil`'s figures when it answered: (APFSContainerFree, FreeSpace).
    pub diskutil: Option<(Option<u64>, Option<u64>)>,
    /// mdmclient's `AvailableDeviceCapacity` (GB) when printed.
    pub device_capacity_gb: Option<f64>,
    /// The "available for important usage" figure; `None` when unknown.
    pub available_for_important_usage: Option<u64>,
}

impl DiskSpace {
    /// Free GB rounded to one decimal, as the report prints it.
    pub fn free_gb(&self) -> f64 {
        (self.free_bytes as f64 / GB as f64 * 10.0).round() / 10.0
    }

    /// The prerequisite for one kind (RSRs have no published space figure: unknown).
    pub fn for_kind(&self, kind: UpdateKind) -> Prerequisite {
        match kind {
            UpdateKind::Update => self.update,
            UpdateKind::Upgrade => self.upgrade,
            UpdateKind::Rsr => Prerequisite::Unknown,
        }
    }

    pub fn headroom_gb(&self, kind: UpdateKind) -> u64 {
        match kind {
            UpdateKind::Upgrade => self.headroom_upgrade_gb,
            _ => self.headroom_update_gb,
        }
    }
}

pub fn assess(obs: &Observations, cfg: &Config) -> DiskAssessment {
    let qdi = obs
        .device_info
        .as_ref()
        .ok()
        .and_then(|d| d.available_device_capacity_gb());
    let diskutil = obs.disk.as_ref().ok().and_then(|d| d.free_bytes());
    let (free, source) = match (qdi, diskutil) {
        (Some(g), _) => ((g * GB as f64) as u64, FreeSource::DeviceCapacity),
        (None, Some((b, key))) => (
            b,
            if key == "FreeSpace" {
                FreeSource::VolumeFree
            } else {
                FreeSource::ContainerFree
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
            return DiskAssessment {
                judgement: Judgement::unknown(format!("{why}; {qdi_why}")),
                space: None,
            };
        }
    };
    let download: u64 = 0;
    let need_update = download + cfg.disk_headroom_update_gb * GB;
    let need_upgrade = download + cfg.disk_headroom_upgrade_gb * GB;
    let verdict = |need: u64| {
        if free >= need {
            Prerequisite::Meets
        } else {
            Prerequisite::Blocks
        }
    };
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
    let mut j = Judgement::new(status, summary)
        .remediation("free space on the startup disk (empty the Trash, remove large caches or old installers); updates need the download size plus 15 GB, upgrades plus 25 GB");
    if let Ok(d) = &obs.disk {
        j = j.evidence(Evidence::line(
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
        j = j.evidence(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("AvailableDeviceCapacity = {g}"),
        ));
    }
    // Recorded beside the figure the verdict uses, labelled: on macOS this is CoreFoundation's
    // "available for important usage" (counts purgeable space), which SUPER and erase-install read.
    match &obs.available_space {
        Ok(b) => {
            j = j.evidence(Evidence::line(
                probes::AVAILABLE_SPACE_ROOT,
                format!("available for important usage (sysinfo): {b} bytes"),
            ))
        }
        Err(u) => {
            j = j.evidence(Evidence::line(
                probes::AVAILABLE_SPACE_ROOT,
                format!("unknown: {u}"),
            ))
        }
    }
    // One source may fail while the other answers: say which, so the figure's basis is clear.
    if let Err(u) = &obs.disk {
        j = j.evidence(Evidence::line(
            probes::DISKUTIL_ROOT,
            format!("unknown: {u}"),
        ));
    }
    if let Err(u) = &obs.device_info {
        j = j.evidence(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("unknown: {u}"),
        ));
    }
    j.summary
        .push_str(" (download size unknown: headroom only)");
    DiskAssessment {
        judgement: j,
        space: Some(DiskSpace {
            free_bytes: free,
            free_source: source,
            needed_update_bytes: need_update,
            needed_upgrade_bytes: need_upgrade,
            headroom_update_gb: cfg.disk_headroom_update_gb,
            headroom_upgrade_gb: cfg.disk_headroom_upgrade_gb,
            update: verdict(need_update),
            upgrade: verdict(need_upgrade),
            diskutil: obs
                .disk
                .as_ref()
                .ok()
                .map(|d| (d.container_free, d.free_space)),
            device_capacity_gb: qdi,
            available_for_important_usage: obs.available_space.as_ref().ok().copied(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

    #[test]
    fn catalina_free_space_zero_reads_the_container() {
        // base(): the real Catalina plist (FreeSpace 0, APFSContainerFree 198.6 GB), and a
        // mdmclient answer without AvailableDeviceCapacity.
        let a = assess(&obs(base()), &Config::default());
        assert_eq!(a.judgement.status, Status::Ok);
        let s = a.space.unwrap();
        assert_eq!(s.free_bytes, 198_572_486_656u64);
        assert_eq!(s.free_source, FreeSource::ContainerFree);
        assert_eq!(s.diskutil.unwrap().1, Some(0));
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
        let a = assess(&obs(b()), &Config::default());
        assert_eq!(a.judgement.status, Status::Warning);
        let s = a.space.unwrap();
        assert_eq!(s.free_bytes, 22_500_000_000u64);
        assert_eq!(s.free_source, FreeSource::DeviceCapacity);
        assert_eq!(
            (s.update, s.upgrade),
            (Prerequisite::Meets, Prerequisite::Blocks)
        );
        let cfg = Config {
            disk_headroom_update_gb: 30,
            ..Config::default()
        };
        let a = assess(&obs(b()), &cfg);
        assert_eq!(a.judgement.status, Status::Failed);
        assert_eq!(a.space.unwrap().needed_update_bytes, 30_000_000_000u64);
    }

    #[test]
    fn both_sources_missing_is_unknown_naming_both() {
        let mut b = base();
        b.retain(|r| r.id != "diskutil_root" && r.id != "mdmclient_qdi");
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Unknown);
        let r = a.judgement.reason.unwrap();
        assert!(
            r.contains("diskutil_root") && r.contains("mdmclient_qdi"),
            "{r}"
        );
    }
}
