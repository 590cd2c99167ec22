//! `disk.free_space`: is there room to download, prepare and install.
//!
//! Free space, from the first plausible of three sources: mdmclient's `AvailableDeviceCapacity`
//! (GB; counts purgeable space like the "available for important usage" figure SUPER and
//! erase-install read, Macjutsu/super, grahampugh/erase-install), `diskutil info -plist /`
//! `APFSContainerFree` (the volume's `FreeSpace` can be 0 on APFS, Catalina fixture), then the
//! in-process "available for important usage" figure. A reading of 0, or one larger than its
//! disk, is implausible: it is reported and the next source is used (SUPER's users saw
//! `AvailableDeviceCapacity = 0` block every update, Macjutsu/super issues). Two plausible
//! figures further apart than `Config::disk_source_max_ratio` are both reported and the smaller
//! decides. Needed: the pending update's download size from `softwareupdate --list --no-scan`
//! when it lists one (0 otherwise, and the finding says so) plus headroom: 15 GB for an update,
//! 25 GB for an upgrade (`Config::disk_headroom_*`, defaults from SUPER's prerequisite checks;
//! Apple's guide only says "sufficient space", Apple, *Managing software updates for IT*).
//! GB are decimal (10^9 bytes), as diskutil prints them; download sizes are KiB as printed.

use super::su_pending::kind_of;
use super::{Evidence, Judgement, Prerequisite, Status, UpdateKind};
use crate::config::Config;
use crate::observe::Observations;
use crate::probes;

pub(crate) const GB: u64 = 1_000_000_000;

pub(crate) fn gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / GB as f64)
}

/// Free space against what each kind of update needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskAssessment {
    pub judgement: Judgement,
    pub situation: DiskSituation,
    /// `None` when no source gave a plausible free-space figure.
    pub space: Option<DiskSpace>,
}

/// Where a free-space figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeSource {
    /// mdmclient QueryDeviceInformation `AvailableDeviceCapacity`.
    DeviceCapacity,
    /// `diskutil info -plist /` `APFSContainerFree`.
    ContainerFree,
    /// `diskutil info -plist /` `FreeSpace`.
    VolumeFree,
    /// The OS's "available for important usage" (in-process probe).
    ImportantUsage,
}

impl FreeSource {
    pub fn label(self) -> &'static str {
        match self {
            FreeSource::DeviceCapacity => "mdmclient AvailableDeviceCapacity",
            FreeSource::ContainerFree => "diskutil APFSContainerFree",
            FreeSource::VolumeFree => "diskutil FreeSpace",
            FreeSource::ImportantUsage => "available for important usage",
        }
    }
}

/// A figure that was not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub source: FreeSource,
    pub bytes: u64,
    pub why: String,
}

/// A pending macOS download and its size, from `softwareupdate --list --no-scan`.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    pub label: String,
    pub bytes: u64,
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
    /// Figures not used because they were implausible.
    pub rejected: Vec<Rejected>,
    /// Another plausible figure further off than the allowed factor: the smaller decided.
    pub disagreeing: Option<(FreeSource, u64)>,
    /// The pending macOS update's and upgrade's downloads, when listed.
    pub download_update: Option<Download>,
    pub download_upgrade: Option<Download>,
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

    pub fn needed_bytes(&self, kind: UpdateKind) -> u64 {
        match kind {
            UpdateKind::Upgrade => self.needed_upgrade_bytes,
            _ => self.needed_update_bytes,
        }
    }

    pub fn download(&self, kind: UpdateKind) -> Option<&Download> {
        match kind {
            UpdateKind::Upgrade => self.download_upgrade.as_ref(),
            _ => self.download_update.as_ref(),
        }
    }
}

/// The largest listed macOS download of each kind, against the running version.
fn downloads(obs: &Observations) -> (Option<Download>, Option<Download>) {
    let (Ok(list), Ok(v)) = (&obs.su_list, &obs.sw_vers) else {
        return (None, None);
    };
    let mut update: Option<Download> = None;
    let mut upgrade: Option<Download> = None;
    for i in list.items.iter().filter(|i| i.is_macos()) {
        let (Some(ver), Some(bytes)) = (i.version.as_deref(), i.size_bytes) else {
            continue;
        };
        let slot = match kind_of(ver, &v.product_version) {
            UpdateKind::Upgrade => &mut upgrade,
            _ => &mut update,
        };
        if slot.as_ref().is_none_or(|d| d.bytes < bytes) {
            *slot = Some(Download {
                label: i.title.clone().unwrap_or_else(|| i.label.clone()),
                bytes,
            });
        }
    }
    (update, upgrade)
}

/// Which kinds of update the free space allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fits {
    Neither,
    UpdateOnly,
    Both,
}

/// The situations of `disk.free_space`: what `decide` found, before any wording.
#[derive(Debug, Clone, PartialEq)]
pub enum DiskSituation {
    /// No plausible free-space figure: why diskutil and mdmclient gave none (`None`: they
    /// answered without a usable figure), and the figures rejected as implausible.
    Unknown {
        disk: Option<String>,
        device_info: Option<String>,
        rejected: Vec<Rejected>,
    },
    /// A figure decided: what fits, the figures, and the ratio past which two sources disagree.
    Measured {
        fits: Fits,
        space: DiskSpace,
        max_ratio: u32,
    },
}

pub(crate) fn assess(obs: &Observations, cfg: &Config) -> DiskAssessment {
    let situation = decide(obs, cfg);
    let mut judgement = judge(&situation);
    let space = match &situation {
        DiskSituation::Measured { space, .. } => {
            judgement.evidence = evidence(obs, space);
            Some(space.clone())
        }
        DiskSituation::Unknown { .. } => None,
    };
    DiskAssessment {
        judgement,
        situation,
        space,
    }
}

/// The free-space candidates in order of preference, each checked against its own disk's size:
/// (source, bytes, why it is implausible).
fn candidates(obs: &Observations) -> Vec<(FreeSource, u64, Option<String>)> {
    let qdi_info = obs.device_info.as_ref().ok();
    let disk = obs.disk.as_ref().ok();
    let mut candidates = Vec::new();
    if let Some(g) = qdi_info.and_then(|d| d.available_device_capacity_gb()) {
        let bytes = (g * GB as f64) as u64;
        let cap = qdi_info.and_then(|d| d.device_capacity_gb());
        let why = if bytes == 0 {
            Some("AvailableDeviceCapacity = 0".to_string())
        } else {
            cap.filter(|c| g > *c)
                .map(|c| format!("AvailableDeviceCapacity {g} GB exceeds DeviceCapacity {c} GB"))
        };
        candidates.push((FreeSource::DeviceCapacity, bytes, why));
    }
    if let Some((b, key)) = disk.and_then(|d| d.free_bytes()) {
        let source = if key == "FreeSpace" {
            FreeSource::VolumeFree
        } else {
            FreeSource::ContainerFree
        };
        let size = disk.and_then(|d| d.container_size);
        let why = if b == 0 {
            Some(format!("{key} = 0"))
        } else {
            size.filter(|s| b > *s)
                .map(|s| format!("{key} {b} exceeds the container size {s}"))
        };
        candidates.push((source, b, why));
    }
    // The in-process volume query answers on any OS; only on a Mac (sw_vers answered) is it
    // the "available for important usage" figure updates use. Elsewhere (running live on Linux
    // by mistake) it would be this machine's disk, not the Mac's: never a verdict from that.
    if let (Ok(b), Ok(_)) = (&obs.available_space, &obs.sw_vers) {
        let why = (*b == 0).then(|| "available for important usage = 0".to_string());
        candidates.push((FreeSource::ImportantUsage, *b, why));
    }
    candidates
}

/// The situation: the first plausible figure (the smaller of the first two when they are
/// further apart than the allowed factor) against the download plus headroom; no wording.
pub(crate) fn decide(obs: &Observations, cfg: &Config) -> DiskSituation {
    let candidates = candidates(obs);
    let rejected: Vec<Rejected> = candidates
        .iter()
        .filter_map(|(s, b, why)| {
            why.as_ref().map(|w| Rejected {
                source: *s,
                bytes: *b,
                why: format!("{w}: implausible, not used"),
            })
        })
        .collect();
    let plausible: Vec<(FreeSource, u64)> = candidates
        .iter()
        .filter(|(_, _, why)| why.is_none())
        .map(|(s, b, _)| (*s, *b))
        .collect();
    let Some(&(first_source, first)) = plausible.first() else {
        return DiskSituation::Unknown {
            disk: obs.disk.as_ref().err().map(|u| u.to_string()),
            device_info: obs.device_info.as_ref().err().map(|u| u.to_string()),
            rejected,
        };
    };
    // Both plausible but far apart: the smaller decides, and both are shown.
    let (free, source, disagreeing) = match plausible.get(1) {
        Some(&(s2, b2))
            if first.max(b2) as f64
                > first.min(b2) as f64 * f64::from(cfg.disk_source_max_ratio) =>
        {
            if b2 < first {
                (b2, s2, Some((first_source, first)))
            } else {
                (first, first_source, Some((s2, b2)))
            }
        }
        _ => (first, first_source, None),
    };
    let (download_update, download_upgrade) = downloads(obs);
    let size = |d: &Option<Download>| d.as_ref().map_or(0, |d| d.bytes);
    let need_update = size(&download_update) + cfg.disk_headroom_update_gb * GB;
    let need_upgrade = size(&download_upgrade) + cfg.disk_headroom_upgrade_gb * GB;
    let verdict = |need: u64| {
        if free >= need {
            Prerequisite::Meets
        } else {
            Prerequisite::Blocks
        }
    };
    let fits = if free < need_update {
        Fits::Neither
    } else if free < need_upgrade {
        Fits::UpdateOnly
    } else {
        Fits::Both
    };
    let disk = obs.disk.as_ref().ok();
    DiskSituation::Measured {
        fits,
        max_ratio: cfg.disk_source_max_ratio,
        space: DiskSpace {
            free_bytes: free,
            free_source: source,
            needed_update_bytes: need_update,
            needed_upgrade_bytes: need_upgrade,
            headroom_update_gb: cfg.disk_headroom_update_gb,
            headroom_upgrade_gb: cfg.disk_headroom_upgrade_gb,
            update: verdict(need_update),
            upgrade: verdict(need_upgrade),
            diskutil: disk.map(|d| (d.container_free, d.free_space)),
            device_capacity_gb: obs
                .device_info
                .as_ref()
                .ok()
                .and_then(|d| d.available_device_capacity_gb()),
            available_for_important_usage: obs.available_space.as_ref().ok().copied(),
            rejected,
            disagreeing,
            download_update,
            download_upgrade,
        },
    }
}

/// Every sentence of `disk.free_space`.
pub(crate) fn judge(s: &DiskSituation) -> Judgement {
    let (fits, sp, max_ratio) = match s {
        DiskSituation::Unknown {
            disk,
            device_info,
            rejected,
        } => {
            let mut reason = format!(
                "{}; {}",
                disk.as_deref()
                    .unwrap_or("diskutil printed no usable free-space figure"),
                device_info
                    .as_deref()
                    .unwrap_or("no AvailableDeviceCapacity")
            );
            for r in rejected {
                reason.push_str(&format!("; {}", r.why));
            }
            return Judgement::unknown(reason);
        }
        DiskSituation::Measured {
            fits,
            space,
            max_ratio,
        } => (fits, space, max_ratio),
    };
    let need_text = |d: Option<&Download>, headroom: u64| match d {
        Some(d) => format!(
            "{} ({} download + {headroom} GB)",
            gb(d.bytes + headroom * GB),
            gb(d.bytes)
        ),
        None => format!("{headroom} GB"),
    };
    let nu = need_text(sp.download_update.as_ref(), sp.headroom_update_gb);
    let nup = need_text(sp.download_upgrade.as_ref(), sp.headroom_upgrade_gb);
    let free = gb(sp.free_bytes);
    let (status, mut summary) = match fits {
        Fits::Neither => (
            Status::Failed,
            format!("{free} free, {nu} needed for an update and {nup} for an upgrade"),
        ),
        Fits::UpdateOnly => (
            Status::Warning,
            format!("{free} free: enough for an update ({nu}), not an upgrade ({nup})"),
        ),
        Fits::Both => (
            Status::Ok,
            format!("{free} free: enough for an update or an upgrade"),
        ),
    };
    for r in &sp.rejected {
        summary.push_str(&format!("; {}", r.why));
    }
    if let Some((s, b)) = sp.disagreeing {
        summary.push_str(&format!(
            "; {} says {}, more than {max_ratio}x apart: the smaller figure decides",
            s.label(),
            gb(b),
        ));
    }
    if sp.download_update.is_none() && sp.download_upgrade.is_none() {
        summary.push_str(" (download size unknown: headroom only)");
    }
    Judgement::new(status, summary)
        .remediation("free space on the startup disk (empty the Trash, remove large caches or old installers); updates need the download size plus 15 GB, upgrades plus 25 GB")
}

/// What was seen: each source's figure (or why it is unknown) and the listed downloads.
fn evidence(obs: &Observations, sp: &DiskSpace) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if let Ok(d) = &obs.disk {
        ev.push(Evidence::line(
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
    if let Some(g) = sp.device_capacity_gb {
        ev.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("AvailableDeviceCapacity = {g}"),
        ));
    }
    // Recorded beside the figure the verdict uses, labelled: on macOS this is CoreFoundation's
    // "available for important usage" (counts purgeable space), which SUPER and erase-install read.
    ev.push(match &obs.available_space {
        Ok(b) => Evidence::line(
            probes::AVAILABLE_SPACE_ROOT,
            format!("available for important usage (sysinfo): {b} bytes"),
        ),
        Err(u) => Evidence::line(probes::AVAILABLE_SPACE_ROOT, format!("unknown: {u}")),
    });
    // One source may fail while the other answers: say which, so the figure's basis is clear.
    if let Err(u) = &obs.disk {
        ev.push(Evidence::line(
            probes::DISKUTIL_ROOT,
            format!("unknown: {u}"),
        ));
    }
    if let Err(u) = &obs.device_info {
        ev.push(Evidence::line(
            probes::MDMCLIENT_QDI,
            format!("unknown: {u}"),
        ));
    }
    if let Err(u) = &obs.su_list {
        ev.push(Evidence::line(
            probes::SOFTWAREUPDATE_LIST,
            format!("download size unknown: {u}"),
        ));
    }
    for d in [&sp.download_update, &sp.download_upgrade]
        .into_iter()
        .flatten()
    {
        ev.push(Evidence::line(
            probes::SOFTWAREUPDATE_LIST,
            format!("{}: download {}", d.label, gb(d.bytes)),
        ));
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use expect_test::{expect, Expect};

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

    /// The real Sonoma listing (tests/fixtures/samples) offers macOS 15.2 at 7,300,295 KiB.
    const SONOMA_LIST: &[u8] = include_bytes!(
        "../../tests/fixtures/samples/softwareupdate_list__sonoma_host_with_sequoia_offer__4space_indent.txt"
    );

    fn qdi(capacity: &str, device: &str) -> crate::system::ProbeResult {
        let text = format!(
            "{{\n AvailableDeviceCapacity = \"{capacity}\";\n DeviceCapacity = \"{device}\";\n EACSPreflight = success;\n}}\n"
        );
        ok("mdmclient_qdi", text.as_bytes())
    }

    #[test]
    fn a_zero_or_oversized_mdmclient_figure_falls_back_to_the_container() {
        for (cap, why) in [("0", "= 0"), ("900.5", "exceeds DeviceCapacity")] {
            let a = assess(&obs(with(base(), qdi(cap, "494.38"))), &Config::default());
            let s = a.space.unwrap();
            assert_eq!(s.free_source, FreeSource::ContainerFree, "{cap}");
            assert_eq!(s.free_bytes, 198_572_486_656, "{cap}");
            assert_eq!(s.rejected.len(), 1, "{cap}");
            assert_eq!(s.rejected[0].source, FreeSource::DeviceCapacity);
            assert!(s.rejected[0].why.contains(why), "{cap}: {:?}", s.rejected);
            assert_eq!(a.judgement.status, Status::Ok, "{cap}");
        }
    }

    #[test]
    fn far_apart_plausible_figures_decide_on_the_smaller_and_show_both() {
        // mdmclient 30 GB, container 198.6 GB: more than 4x apart.
        let a = assess(
            &obs(with(base(), qdi("30.0", "494.38"))),
            &Config::default(),
        );
        let s = a.space.unwrap();
        assert_eq!(s.free_bytes, 30_000_000_000);
        assert_eq!(
            s.disagreeing,
            Some((FreeSource::ContainerFree, 198_572_486_656))
        );
        // Within the factor the preferred source decides alone.
        let cfg = Config {
            disk_source_max_ratio: 10,
            ..Config::default()
        };
        let s = assess(&obs(with(base(), qdi("30.0", "494.38"))), &cfg)
            .space
            .unwrap();
        assert_eq!(s.free_source, FreeSource::DeviceCapacity);
        assert_eq!(s.disagreeing, None);
    }

    #[test]
    fn the_listed_download_size_adds_to_the_headroom() {
        // Running 14.7.1: 14.7.2 is an update (1,727,102 KiB), 15.2 an upgrade (7,300,295 KiB).
        let b = with(
            base(),
            ok(
                "sw_vers",
                b"ProductName:\tmacOS\nProductVersion:\t14.7.1\nBuildVersion:\t23H222\n",
            ),
        );
        let b = with(b, ok("softwareupdate_list", SONOMA_LIST));
        let b = with(b, qdi("40.0", "494.38"));
        let cfg = Config {
            disk_source_max_ratio: 10,
            ..Config::default()
        };
        let a = assess(&obs(b), &cfg);
        let s = a.space.unwrap();
        let up = s.download_update.as_ref().unwrap();
        assert_eq!(up.bytes, 1_727_102 * 1024);
        assert_eq!(s.download_upgrade.as_ref().unwrap().bytes, 7_300_295 * 1024);
        assert_eq!(s.needed_update_bytes, 1_727_102 * 1024 + 15 * GB);
        assert_eq!(s.needed_upgrade_bytes, 7_300_295 * 1024 + 25 * GB);
        // 40 GB free: 16.8 GB for the update fits, 32.5 GB for the upgrade fits.
        assert_eq!(
            (s.update, s.upgrade),
            (Prerequisite::Meets, Prerequisite::Meets)
        );
        // 30 GB free: the upgrade (7.5 GB download + 25 GB) no longer fits.
        let b = with(
            with(
                with(
                    base(),
                    ok(
                        "sw_vers",
                        b"ProductName:\tmacOS\nProductVersion:\t14.7.1\nBuildVersion:\t23H222\n",
                    ),
                ),
                ok("softwareupdate_list", SONOMA_LIST),
            ),
            qdi("30.0", "494.38"),
        );
        let a = assess(&obs(b), &cfg);
        assert_eq!(a.space.unwrap().upgrade, Prerequisite::Blocks);
        assert!(matches!(
            a.situation,
            DiskSituation::Measured {
                fits: Fits::UpdateOnly,
                ..
            }
        ));
    }

    /// `decide` on the base Mac with these probe results replaced: what fits, the deciding
    /// figure, the rejected and disagreeing ones.
    fn check(replace: Vec<crate::system::ProbeResult>, expected: Expect) {
        let b = replace.into_iter().fold(base(), with);
        let line = match decide(&obs(b), &Config::default()) {
            DiskSituation::Measured { fits, space: s, .. } => format!(
                "{fits:?}: {} from {:?}; rejected {:?}; disagreeing {:?}; downloads {:?} {:?}",
                s.free_bytes,
                s.free_source,
                s.rejected.iter().map(|r| r.source).collect::<Vec<_>>(),
                s.disagreeing,
                s.download_update.map(|d| d.bytes),
                s.download_upgrade.map(|d| d.bytes),
            ),
            unknown => format!("{unknown:?}"),
        };
        expected.assert_eq(&line);
    }

    #[test]
    fn decide_situations() {
        check(vec![], expect!["Both: 198572486656 from ContainerFree; rejected []; disagreeing None; downloads None None"]);
        check(vec![qdi("22.5", "494.38")], expect!["UpdateOnly: 22500000000 from DeviceCapacity; rejected []; disagreeing Some((ContainerFree, 198572486656)); downloads None None"]);
        check(vec![qdi("10.0", "494.38")], expect!["Neither: 10000000000 from DeviceCapacity; rejected []; disagreeing Some((ContainerFree, 198572486656)); downloads None None"]);
        check(vec![qdi("0", "494.38")], expect!["Both: 198572486656 from ContainerFree; rejected [DeviceCapacity]; disagreeing None; downloads None None"]);
        check(vec![qdi("30.0", "494.38")], expect!["Both: 30000000000 from DeviceCapacity; rejected []; disagreeing Some((ContainerFree, 198572486656)); downloads None None"]);
        check(
            vec![
                failed("diskutil_root", 1, "diskutil: error"),
                failed("mdmclient_qdi", 1, "must be root"),
            ],
            expect![[
                r#"Unknown { disk: Some("probe diskutil_root failed: exit status 1: diskutil: error"), device_info: Some("probe mdmclient_qdi failed: exit status 1: must be root"), rejected: [] }"#
            ]],
        );
    }

    #[test]
    fn judge_wording() {
        let sp = |download: Option<u64>| DiskSpace {
            free_bytes: 30 * GB,
            free_source: FreeSource::DeviceCapacity,
            needed_update_bytes: 15 * GB,
            needed_upgrade_bytes: 25 * GB + download.unwrap_or(0),
            headroom_update_gb: 15,
            headroom_upgrade_gb: 25,
            update: Prerequisite::Meets,
            upgrade: Prerequisite::Blocks,
            diskutil: None,
            device_capacity_gb: Some(30.0),
            available_for_important_usage: None,
            rejected: vec![Rejected {
                source: FreeSource::VolumeFree,
                bytes: 0,
                why: "FreeSpace = 0: implausible, not used".into(),
            }],
            disagreeing: Some((FreeSource::ContainerFree, 198 * GB)),
            download_update: None,
            download_upgrade: download.map(|bytes| Download {
                label: "macOS Sequoia 15.2".into(),
                bytes,
            }),
        };
        let j = judge(&DiskSituation::Measured {
            fits: Fits::UpdateOnly,
            space: sp(Some(7_475_502_080)),
            max_ratio: 4,
        });
        assert_eq!(j.status, Status::Warning);
        expect!["30.0 GB free: enough for an update (15 GB), not an upgrade (32.5 GB (7.5 GB download + 25 GB)); FreeSpace = 0: implausible, not used; diskutil APFSContainerFree says 198.0 GB, more than 4x apart: the smaller figure decides"].assert_eq(&j.summary);
        let j = judge(&DiskSituation::Measured {
            fits: Fits::Neither,
            space: DiskSpace {
                free_bytes: 10 * GB,
                ..sp(None)
            },
            max_ratio: 4,
        });
        assert_eq!(j.status, Status::Failed);
        expect!["10.0 GB free, 15 GB needed for an update and 25 GB for an upgrade; FreeSpace = 0: implausible, not used; diskutil APFSContainerFree says 198.0 GB, more than 4x apart: the smaller figure decides (download size unknown: headroom only)"].assert_eq(&j.summary);
        let j = judge(&DiskSituation::Unknown {
            disk: None,
            device_info: Some("probe mdmclient_qdi not_root".into()),
            rejected: Vec::new(),
        });
        assert_eq!(j.status, Status::Unknown);
        expect!["diskutil printed no usable free-space figure; probe mdmclient_qdi not_root"]
            .assert_eq(j.reason.as_deref().unwrap());
    }
}
