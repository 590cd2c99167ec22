//! Settings: built-in defaults, overridden by configuration sources (see `load`).
//!
//! Every tunable threshold lives here with its default and where that default comes from, so
//! checks stay pure functions of (observations, config, now).

use std::path::PathBuf;
use std::time::Duration;

/// Default status directory; `status.json`, `status.plist` and `state.json` live here.
pub const DEFAULT_STATUS_DIR: &str = "/Library/Application Support/mdmwatch";

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Window of unified log the liveness checks read (Addigy: 90 minutes).
    pub liveness_window_minutes: u32,
    /// Addigy's rule: no `Received HTTP response (200)` in the window means stuck, even when quiet.
    pub strict_addigy: bool,
    /// Identity certificate expiring within this many days is a warning.
    pub identity_warning_days: u32,
    /// `log show` timeout (issue: default 60 s).
    pub log_timeout_secs: u64,
    /// Timeout for every other probe (default 15 s).
    pub probe_timeout_secs: u64,
    /// Cap on captured `log show` output (default 256 MiB).
    pub log_max_bytes: u64,
    /// Cap on every other probe's output (default 4 MiB).
    pub probe_max_bytes: u64,
    pub heal_mdmclient: bool,
    pub heal_softwareupdated: bool,
    /// Minimum spacing between restarts of one service; never below 24.
    pub restart_spacing_hours: u32,
    /// Seconds to wait after a restart before re-probing.
    pub verify_wait_secs: u64,
    /// Headroom on top of the download size (SUPER: 15 GB update, 25 GB upgrade).
    pub disk_headroom_update_gb: u64,
    pub disk_headroom_upgrade_gb: u64,
    /// Days without a successful Software Update scan before a warning.
    pub su_scan_stale_days: u32,
    /// Minimum battery % per update kind on Apple silicon (Apple's table, seed 001: 20/50/10).
    pub battery_apple_silicon: BatteryThresholds,
    /// Minimum battery % per update kind on Intel (Apple's table, seed 001: 50/50/20).
    pub battery_intel: BatteryThresholds,
    pub status_dir: PathBuf,
    /// State file; default `<status_dir>/state.json`.
    pub state_path: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            liveness_window_minutes: 90,
            strict_addigy: false,
            identity_warning_days: 30,
            log_timeout_secs: 60,
            probe_timeout_secs: 15,
            log_max_bytes: 256 * 1024 * 1024,
            probe_max_bytes: 4 * 1024 * 1024,
            heal_mdmclient: true,
            heal_softwareupdated: true,
            restart_spacing_hours: 24,
            verify_wait_secs: 20,
            disk_headroom_update_gb: 15,
            disk_headroom_upgrade_gb: 25,
            su_scan_stale_days: 7,
            battery_apple_silicon: BatteryThresholds::APPLE_SILICON,
            battery_intel: BatteryThresholds::INTEL,
            status_dir: PathBuf::from(DEFAULT_STATUS_DIR),
            state_path: None,
        }
    }
}

/// Minimum battery charge (percent) to download, prepare and install without power connected.
/// Source: Apple, "Managing software updates for IT" (seed 001), power requirements table. On
/// AC power the battery never blocks; automatic downloads need power connected whatever the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryThresholds {
    /// User-initiated updates and upgrades (also enforced installs: "the same requirements as
    /// for a user-initiated update of the same type", seed 001).
    pub user_initiated: u8,
    /// Automatic installation of software updates.
    pub automatic: u8,
    /// Rapid Security Responses.
    pub rsr: u8,
}

impl BatteryThresholds {
    pub const APPLE_SILICON: BatteryThresholds = BatteryThresholds {
        user_initiated: 20,
        automatic: 50,
        rsr: 10,
    };
    pub const INTEL: BatteryThresholds = BatteryThresholds {
        user_initiated: 50,
        automatic: 50,
        rsr: 20,
    };
}

impl Config {
    pub fn log_timeout(&self) -> Duration {
        Duration::from_secs(self.log_timeout_secs)
    }

    pub fn probe_timeout(&self) -> Duration {
        Duration::from_secs(self.probe_timeout_secs)
    }

    pub fn state_path(&self) -> PathBuf {
        self.state_path
            .clone()
            .unwrap_or_else(|| self.status_dir.join("state.json"))
    }
}
