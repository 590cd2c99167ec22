//! Settings: built-in defaults, overridden by layered sources (see [`load`]).
//!
//! Sources, lowest precedence first: built-in defaults, `--config FILE`, `/Library/Preferences/
//! io.mdmwatch.plist`, then `/Library/Managed Preferences/io.mdmwatch.plist` (what an MDM's
//! configuration profile for the domain `io.mdmwatch` becomes on disk); the command-line flags
//! `--status-dir` and `--state` override all. Every effective value remembers which source set it,
//! for the report's `config` section. Loading never fails: an unreadable source is a warning, a
//! refused value is an error for that key only, and the next lower source's value stands. Every
//! tunable threshold lives here with its default and where that default comes from, so checks
//! stay pure functions of (observations, config, now). The only I/O is `files::read_bounded`.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::system::files;

/// Default status directory; `status.json`, `status.plist` and `state.json` live here.
pub const DEFAULT_STATUS_DIR: &str = "/Library/Application Support/mdmwatch";

/// The preference domain: plist file names, LaunchDaemon label and profile payload all use it.
pub const DOMAIN: &str = "io.mdmwatch";

/// Written by macOS from configuration profiles (any MDM); root-owned, highest precedence.
pub const MANAGED_PREFERENCES_PATH: &str = "/Library/Managed Preferences/io.mdmwatch.plist";

/// Local settings an admin (or a script) writes with `defaults write`.
pub const LOCAL_PREFERENCES_PATH: &str = "/Library/Preferences/io.mdmwatch.plist";

/// Larger settings files are refused: ours has a dozen keys.
pub(crate) const MAX_SOURCE_BYTES: u64 = 1024 * 1024;

/// A status directory must live under one of these (a profile must not make root write in
/// `/etc` or a user's home). `files::ensure_dir` additionally refuses a directory not owned by root.
pub(crate) const ALLOWED_STATUS_ROOTS: &[&str] = &[
    "/Library/Application Support/",
    "/usr/local/",
    "/var/",
    "/private/var/",
];

/// Minimum battery charge (percent) to download, prepare and install without power connected.
/// Source: Apple, "Managing software updates for IT" (June 2024), power requirements table. On
/// AC power the battery never blocks; automatic downloads need power connected whatever the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryThresholds {
    /// User-initiated updates and upgrades (also enforced installs: "the same requirements as
    /// for a user-initiated update of the same type", Apple, "Managing software updates for IT").
    pub user_initiated: u8,
    /// Automatic installation of software updates.
    pub automatic: u8,
    /// Rapid Security Responses.
    pub rsr: u8,
}

impl BatteryThresholds {
    pub(crate) const APPLE_SILICON: BatteryThresholds = BatteryThresholds {
        user_initiated: 20,
        automatic: 50,
        rsr: 10,
    };
    pub(crate) const INTEL: BatteryThresholds = BatteryThresholds {
        user_initiated: 50,
        automatic: 50,
        rsr: 20,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Window of unified log the liveness checks read (Addigy: 90 minutes).
    pub liveness_window_minutes: u32,
    /// Addigy's rule: no `Received HTTP response (200)` in the window means stuck, even when quiet.
    pub strict_addigy: bool,
    /// An update job with no progress line for this long is stalled. Real prepare phases went a
    /// few minutes without a line (Macjutsu/super example logs), so the default is an hour.
    pub stall_minutes: u32,
    /// Hours after a DDM enforcement deadline before an overdue declaration with no reported
    /// failure counts as stuck: macOS enforces at or after the declared time and reschedules its
    /// own retry (one Mac showed its notice 61 minutes late, avogel-mac/Update_macOS_DDM#16; a
    /// Mac that was off installs after it wakes). macOS 14-27.
    pub ddm_grace_hours: u32,
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
    /// Two plausible free-space figures further apart than this factor are both reported and
    /// the smaller one decides.
    pub disk_source_max_ratio: u32,
    /// Days a release fixing an actively exploited CVE may be missing before compliance fails
    /// (Nudge's default: 14).
    pub compliance_exploited_days: u32,
    /// Days any other security release may be missing (Nudge's default: 21).
    pub compliance_days: u32,
    /// Days without a successful Software Update scan before a warning.
    pub su_scan_stale_days: u32,
    /// Minimum battery % per update kind on Apple silicon (Apple's table in "Managing software updates for IT": 20/50/10).
    pub battery_apple_silicon: BatteryThresholds,
    /// Minimum battery % per update kind on Intel (Apple's table in "Managing software updates for IT": 50/50/20).
    pub battery_intel: BatteryThresholds,
    pub status_dir: PathBuf,
    /// State file; default `<status_dir>/state.json`.
    pub state_path: Option<PathBuf>,
    /// Days without any exchange with the MDM server, while push is connected, after which the
    /// channel is `disconnected` (`NoExchangeDays`, default 3).
    pub no_exchange_days: u32,
    /// The first run's one look-back over the mdmclient log, in days (`LookBackDays`, default 7).
    pub look_back_days: u32,
    /// The longest log window a run reads when it reaches back to the previous run
    /// (`LogWindowMaxMinutes`, default 360): a Mac that slept a day does not read a day of log.
    pub log_window_max_minutes: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            liveness_window_minutes: 90,
            strict_addigy: false,
            stall_minutes: 60,
            ddm_grace_hours: 4,
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
            disk_source_max_ratio: 4,
            compliance_exploited_days: 14,
            compliance_days: 21,
            su_scan_stale_days: 7,
            battery_apple_silicon: BatteryThresholds::APPLE_SILICON,
            battery_intel: BatteryThresholds::INTEL,
            status_dir: PathBuf::from(DEFAULT_STATUS_DIR),
            state_path: None,
            no_exchange_days: 3,
            look_back_days: 7,
            log_window_max_minutes: 360,
        }
    }
}

impl Config {
    pub(crate) fn log_timeout(&self) -> Duration {
        Duration::from_secs(self.log_timeout_secs)
    }

    pub(crate) fn probe_timeout(&self) -> Duration {
        Duration::from_secs(self.probe_timeout_secs)
    }

    pub fn state_path(&self) -> PathBuf {
        self.state_path
            .clone()
            .unwrap_or_else(|| self.status_dir.join("state.json"))
    }
}

/// What a preference key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// An integer within inclusive bounds.
    Int {
        min: i64,
        max: i64,
    },
    /// An absolute directory under one of `ALLOWED_STATUS_ROOTS`.
    Directory,
    /// `{AppleSilicon: {User, Automatic, RSR}, Intel: {...}}`, percentages 0 to 100.
    Battery,
}

/// One preference key of the `io.mdmwatch` domain. The Jamf schema and the example profile in
/// `pkg/` are tested against this table.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub key: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

/// Every preference key mdmwatch reads, in report order.
pub const KEYS: &[KeySpec] = &[
    KeySpec {
        key: "HealMDMClient",
        kind: Kind::Bool,
        help: "Restart mdmclient when it is stuck (at most once per RestartSpacingHours).",
    },
    KeySpec {
        key: "HealSoftwareUpdated",
        kind: Kind::Bool,
        help: "Restart softwareupdated when it is stuck (never during an install).",
    },
    KeySpec {
        key: "LivenessWindowMinutes",
        kind: Kind::Int { min: 15, max: 1440 },
        help: "Minutes of unified log the liveness checks read (Addigy: 90).",
    },
    KeySpec {
        key: "StrictAddigyLiveness",
        kind: Kind::Bool,
        help: "Addigy's rule: no successful exchange in the window means stuck, even when the server sent nothing.",
    },
    KeySpec {
        key: "SoftwareUpdateStallMinutes",
        kind: Kind::Int { min: 20, max: 1440 },
        help: "Minutes without a progress line after which a software-update job counts as stalled (at least 20: real prepare phases go minutes without one).",
    },
    KeySpec {
        key: "DDMEnforcementGraceHours",
        kind: Kind::Int { min: 1, max: 168 },
        help: "Hours after a DDM enforcement deadline before an overdue update with no reported failure counts as stuck (macOS enforces at or after the deadline and retries on its own; default 4).",
    },
    KeySpec {
        key: "RestartSpacingHours",
        kind: Kind::Int { min: 24, max: 720 },
        help: "Minimum hours between two restarts of one service (at least 24).",
    },
    KeySpec {
        key: "DiskHeadroomUpdateGB",
        kind: Kind::Int { min: 0, max: 500 },
        help: "Free space (GB) needed on top of the download for a minor update (SUPER: 15).",
    },
    KeySpec {
        key: "DiskHeadroomUpgradeGB",
        kind: Kind::Int { min: 0, max: 500 },
        help: "Free space (GB) needed on top of the download for a major upgrade (SUPER: 25).",
    },
    KeySpec {
        key: "ComplianceExploitedDays",
        kind: Kind::Int { min: 1, max: 365 },
        help: "With --catalog: days a release fixing an actively exploited CVE may be missing before softwareupdate.compliance fails (Nudge: 14).",
    },
    KeySpec {
        key: "ComplianceDays",
        kind: Kind::Int { min: 1, max: 365 },
        help: "With --catalog: days any other security release may be missing before softwareupdate.compliance fails (Nudge: 21).",
    },
    KeySpec {
        key: "DiskSourceMaxRatio",
        kind: Kind::Int { min: 2, max: 1000 },
        help: "Two plausible free-space figures (mdmclient, diskutil, available for important usage) further apart than this factor are both reported and the smaller decides.",
    },
    KeySpec {
        key: "BatteryThresholds",
        kind: Kind::Battery,
        help: "Minimum battery percent per architecture (AppleSilicon, Intel) and update kind (User, Automatic, RSR); Apple's defaults 20/50/10 and 50/50/20.",
    },
    KeySpec {
        key: "ProbeTimeoutSeconds",
        kind: Kind::Int { min: 1, max: 300 },
        help: "Timeout of every probe except log show.",
    },
    KeySpec {
        key: "LogTimeoutSeconds",
        kind: Kind::Int { min: 5, max: 900 },
        help: "Timeout of each log show.",
    },
    KeySpec {
        key: "LogMaxMB",
        kind: Kind::Int { min: 1, max: 1024 },
        help: "Cap on each log show's captured output, in MiB (256); the rest is dropped and the truncation reported.",
    },
    KeySpec {
        key: "ProbeMaxMB",
        kind: Kind::Int { min: 1, max: 64 },
        help: "Cap on every other probe's captured output, in MiB (4).",
    },
    KeySpec {
        key: "StatusDirectory",
        kind: Kind::Directory,
        help: "Directory for status.json, status.plist and state.json (under /Library/Application Support, /usr/local or /var).",
    },
    KeySpec {
        key: "IdentityWarningDays",
        kind: Kind::Int { min: 1, max: 365 },
        help: "Warn when the MDM identity certificate expires within this many days.",
    },
    KeySpec {
        key: "VerifyWaitSeconds",
        kind: Kind::Int { min: 0, max: 300 },
        help: "Seconds to wait after a restart before checking the service again.",
    },
    KeySpec {
        key: "SoftwareUpdateScanStaleDays",
        kind: Kind::Int { min: 1, max: 365 },
        help: "Warn when Software Update has not scanned successfully for this many days.",
    },
    KeySpec {
        key: "NoExchangeDays",
        kind: Kind::Int { min: 1, max: 90 },
        help: "Days without any exchange with the MDM server, while push is connected, after which mdm.channel is disconnected.",
    },
    KeySpec {
        key: "LookBackDays",
        kind: Kind::Int { min: 1, max: 30 },
        help: "Days of mdmclient log the first run reads once (successful responses and receipts only) to start the channel history.",
    },
    KeySpec {
        key: "LogWindowMaxMinutes",
        kind: Kind::Int { min: 15, max: 1440 },
        help: "Longest log window a run reads when it reaches back to the end of the previous run (at least LivenessWindowMinutes).",
    },
];

/// Output caps are set in MiB.
const MIB: u64 = 1024 * 1024;

/// Architectures and update kinds inside `BatteryThresholds`.
pub const BATTERY_ARCHES: &[&str] = &["AppleSilicon", "Intel"];
pub const BATTERY_KINDS: &[&str] = &["User", "Automatic", "RSR"];

/// The spec of a top-level key.
pub fn key_spec(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.key == key)
}

/// Where a value came from, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Default,
    ConfigFile,
    LocalPreferences,
    ManagedPreferences,
    CommandLine,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::ConfigFile => "config_file",
            Source::LocalPreferences => "local_preferences",
            Source::ManagedPreferences => "managed_preferences",
            Source::CommandLine => "command_line",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Source::Default => "built-in default",
            Source::ConfigFile => "--config file",
            Source::LocalPreferences => "local preferences",
            Source::ManagedPreferences => "managed preferences",
            Source::CommandLine => "command line",
        }
    }
}

/// Command-line flags that override every source.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub status_dir: Option<PathBuf>,
    pub state_path: Option<PathBuf>,
}

/// The effective settings and how they were arrived at.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Source of each leaf key (dotted for nested keys); absent means default.
    origins: HashMap<String, Source>,
    pub sources: Vec<SourceState>,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

impl Loaded {
    /// Built-in defaults, nothing read yet.
    fn defaults() -> Loaded {
        Loaded {
            config: Config::default(),
            origins: HashMap::new(),
            sources: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Which source set `key` (a leaf key, dotted for `BatteryThresholds.<Arch>.<Kind>`).
    pub fn source_of(&self, key: &str) -> Source {
        self.origins.get(key).copied().unwrap_or(Source::Default)
    }
}

/// One settings source that was consulted.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceState {
    /// config_file, local_preferences or managed_preferences.
    pub source: String,
    pub path: String,
    /// read, absent, unreadable or invalid.
    pub state: String,
}

/// Every leaf key and its value in `cfg`, in [`KEYS`] order.
pub fn leaf_values(cfg: &Config) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for spec in KEYS {
        let k = spec.key.to_string();
        match spec.key {
            "HealMDMClient" => out.push((k, json!(cfg.heal_mdmclient))),
            "HealSoftwareUpdated" => out.push((k, json!(cfg.heal_softwareupdated))),
            "LivenessWindowMinutes" => out.push((k, json!(cfg.liveness_window_minutes))),
            "StrictAddigyLiveness" => out.push((k, json!(cfg.strict_addigy))),
            "SoftwareUpdateStallMinutes" => out.push((k, json!(cfg.stall_minutes))),
            "DDMEnforcementGraceHours" => out.push((k, json!(cfg.ddm_grace_hours))),
            "RestartSpacingHours" => out.push((k, json!(cfg.restart_spacing_hours))),
            "DiskHeadroomUpdateGB" => out.push((k, json!(cfg.disk_headroom_update_gb))),
            "DiskHeadroomUpgradeGB" => out.push((k, json!(cfg.disk_headroom_upgrade_gb))),
            "DiskSourceMaxRatio" => out.push((k, json!(cfg.disk_source_max_ratio))),
            "ComplianceExploitedDays" => out.push((k, json!(cfg.compliance_exploited_days))),
            "ComplianceDays" => out.push((k, json!(cfg.compliance_days))),
            "BatteryThresholds" => {
                for arch in BATTERY_ARCHES {
                    for kind in BATTERY_KINDS {
                        out.push((
                            format!("BatteryThresholds.{arch}.{kind}"),
                            json!(battery_value(cfg, arch, kind)),
                        ));
                    }
                }
            }
            "ProbeTimeoutSeconds" => out.push((k, json!(cfg.probe_timeout_secs))),
            "LogTimeoutSeconds" => out.push((k, json!(cfg.log_timeout_secs))),
            "LogMaxMB" => out.push((k, json!(cfg.log_max_bytes / MIB))),
            "ProbeMaxMB" => out.push((k, json!(cfg.probe_max_bytes / MIB))),
            "StatusDirectory" => out.push((k, json!(cfg.status_dir.display().to_string()))),
            "IdentityWarningDays" => out.push((k, json!(cfg.identity_warning_days))),
            "VerifyWaitSeconds" => out.push((k, json!(cfg.verify_wait_secs))),
            "SoftwareUpdateScanStaleDays" => out.push((k, json!(cfg.su_scan_stale_days))),
            "NoExchangeDays" => out.push((k, json!(cfg.no_exchange_days))),
            "LookBackDays" => out.push((k, json!(cfg.look_back_days))),
            "LogWindowMaxMinutes" => out.push((k, json!(cfg.log_window_max_minutes))),
            _ => {}
        }
    }
    out
}

fn battery_value(cfg: &Config, arch: &str, kind: &str) -> u8 {
    let t = if arch == "Intel" {
        &cfg.battery_intel
    } else {
        &cfg.battery_apple_silicon
    };
    match kind {
        "User" => t.user_initiated,
        "Automatic" => t.automatic,
        _ => t.rsr,
    }
}

/// The threshold `BatteryThresholds.<arch>.<kind>` addresses (arch and kind already validated).
fn battery_slot<'a>(cfg: &'a mut Config, arch: &str, kind: &str) -> &'a mut u8 {
    let t = if arch == "Intel" {
        &mut cfg.battery_intel
    } else {
        &mut cfg.battery_apple_silicon
    };
    match kind {
        "User" => &mut t.user_initiated,
        "Automatic" => &mut t.automatic,
        _ => &mut t.rsr,
    }
}

/// `path` (absolute, as on a Mac) under `sysroot` when one is given (tests), else unchanged.
pub fn resolve(sysroot: Option<&Path>, path: &str) -> PathBuf {
    match sysroot {
        Some(root) => root.join(path.trim_start_matches('/')),
        None => PathBuf::from(path),
    }
}

/// Loads the settings: defaults, then `config_file`, local preferences, managed preferences
/// (each overriding the one before), then `flags`. The two system paths are resolved under
/// `sysroot` when given, and so is the status directory unless `--status-dir` set it.
pub fn load(sysroot: Option<&Path>, config_file: Option<&Path>, flags: &Flags) -> Loaded {
    let mut loaded = Loaded::defaults();
    let mut layers: Vec<(Source, PathBuf)> = Vec::new();
    if let Some(f) = config_file {
        layers.push((Source::ConfigFile, f.to_path_buf()));
    }
    layers.push((
        Source::LocalPreferences,
        resolve(sysroot, LOCAL_PREFERENCES_PATH),
    ));
    layers.push((
        Source::ManagedPreferences,
        resolve(sysroot, MANAGED_PREFERENCES_PATH),
    ));
    for (source, path) in layers {
        let state = match read_source(&path) {
            Ok(Some(dict)) => {
                apply_dict(&mut loaded, source, &path, &dict);
                "read"
            }
            Ok(None) => {
                // An explicit --config that is missing is the admin's mistake; an absent
                // preferences file is the normal case (no profile installed).
                if source == Source::ConfigFile {
                    loaded.errors.push(format!(
                        "{} {}: file not found; built-in defaults and other sources used",
                        source.describe(),
                        path.display()
                    ));
                }
                "absent"
            }
            Err((state, why)) => {
                loaded.warnings.push(format!(
                    "{} {}: {why}; ignored, other sources and defaults used",
                    source.describe(),
                    path.display()
                ));
                state
            }
        };
        loaded.sources.push(SourceState {
            source: source.as_str().to_string(),
            path: path.display().to_string(),
            state: state.to_string(),
        });
    }
    match &flags.status_dir {
        Some(dir) => {
            loaded.config.status_dir = dir.clone();
            loaded
                .origins
                .insert("StatusDirectory".to_string(), Source::CommandLine);
        }
        None => {
            if let Some(root) = sysroot {
                let device = loaded.config.status_dir.display().to_string();
                loaded.config.status_dir = resolve(Some(root), &device);
            }
        }
    }
    if let Some(state) = &flags.state_path {
        loaded.config.state_path = Some(state.clone());
        loaded
            .origins
            .insert("StatePath".to_string(), Source::CommandLine);
    } else if loaded.source_of("StatusDirectory") != Source::Default {
        // The state file follows the status directory; say so rather than claim "default".
        let s = loaded.source_of("StatusDirectory");
        loaded.origins.insert("StatePath".to_string(), s);
    }
    loaded
}

/// Reads one source. `Ok(None)`: the file does not exist. `Err((state, why))` otherwise.
fn read_source(path: &Path) -> Result<Option<plist::Dictionary>, (&'static str, String)> {
    // A FIFO or device would block or never end; only regular files (or symlinks, refused below
    // by O_NOFOLLOW with a clear message) are opened.
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if !m.is_file() && !m.file_type().is_symlink() {
            return Err(("unreadable", "is not a regular file".to_string()));
        }
    }
    let bytes = match files::read_bounded(path, MAX_SOURCE_BYTES + 1) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW: a symlink at the path fails with ELOOP; say so plainly.
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
            return Err(("unreadable", "is a symbolic link; not followed".to_string()))
        }
        Err(e) => return Err(("unreadable", format!("cannot read: {e}"))),
    };
    parse_source(&bytes).map(Some)
}

/// The pure layer under `read_source`: one source's bytes to its dictionary.
pub(crate) fn parse_source(bytes: &[u8]) -> Result<plist::Dictionary, (&'static str, String)> {
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(("invalid", format!("larger than {MAX_SOURCE_BYTES} bytes")));
    }
    match plist::Value::from_reader(Cursor::new(bytes)) {
        Ok(plist::Value::Dictionary(d)) => Ok(d),
        Ok(_) => Err((
            "invalid",
            "is a property list but not a dictionary".to_string(),
        )),
        Err(e) => Err(("invalid", format!("is not a valid property list: {e}"))),
    }
}

/// [`load`] without I/O: the defaults with `bytes` applied as the `--config` file (no flags,
/// no other source). What `load` does with a file's bytes, exposed for the fuzzer and tests.
pub fn from_bytes(bytes: &[u8]) -> Loaded {
    let mut loaded = Loaded::defaults();
    let path = Path::new("<bytes>");
    match parse_source(bytes) {
        Ok(dict) => apply_dict(&mut loaded, Source::ConfigFile, path, &dict),
        Err((_, why)) => loaded.warnings.push(format!("<bytes>: {why}")),
    }
    loaded
}

fn apply_dict(loaded: &mut Loaded, source: Source, path: &Path, dict: &plist::Dictionary) {
    let place = format!("{} {}", source.describe(), path.display());
    for (key, value) in dict {
        // Payload* keys are profile bookkeeping that can travel into the preferences file.
        if key.starts_with("Payload") {
            continue;
        }
        let Some(spec) = key_spec(key) else {
            loaded.warnings.push(format!(
                "{place}: unknown key {key:?} ignored (known keys: {})",
                KEYS.iter().map(|k| k.key).collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        if spec.kind == Kind::Battery {
            apply_battery(loaded, source, &place, value);
            continue;
        }
        match apply_key(&mut loaded.config, spec, value) {
            Ok(()) => {
                loaded.origins.insert(spec.key.to_string(), source);
            }
            Err(why) => {
                let current = leaf_values(&loaded.config)
                    .into_iter()
                    .find(|(k, _)| k == spec.key)
                    .map(|(_, v)| v)
                    .unwrap_or(Value::Null);
                loaded.errors.push(format!(
                    "{place}: {key} refused: {why}; keeping {current} from {}",
                    loaded.source_of(spec.key).describe()
                ));
            }
        }
    }
}

fn apply_battery(loaded: &mut Loaded, source: Source, place: &str, value: &plist::Value) {
    let Some(archs) = value.as_dictionary() else {
        loaded.errors.push(format!(
            "{place}: BatteryThresholds refused: expected a dictionary of AppleSilicon and Intel, found {}",
            type_name(value)
        ));
        return;
    };
    for (arch, rules) in archs {
        if !BATTERY_ARCHES.contains(&arch.as_str()) {
            loaded.warnings.push(format!(
                "{place}: unknown key BatteryThresholds.{arch} ignored (known: AppleSilicon, Intel)"
            ));
            continue;
        }
        let Some(rules) = rules.as_dictionary() else {
            loaded.errors.push(format!(
                "{place}: BatteryThresholds.{arch} refused: expected a dictionary of User, Automatic and RSR, found {}",
                type_name(rules)
            ));
            continue;
        };
        for (kind, v) in rules {
            let leaf = format!("BatteryThresholds.{arch}.{kind}");
            if !BATTERY_KINDS.contains(&kind.as_str()) {
                loaded.warnings.push(format!(
                    "{place}: unknown key {leaf} ignored (known: User, Automatic, RSR)"
                ));
                continue;
            }
            match integer(v, 0, 100) {
                Ok(n) => {
                    *battery_slot(&mut loaded.config, arch, kind) = n as u8;
                    loaded.origins.insert(leaf, source);
                }
                Err(why) => {
                    let current = *battery_slot(&mut loaded.config, arch, kind);
                    loaded.errors.push(format!(
                        "{place}: {leaf} refused: {why}; keeping {current} from {}",
                        loaded.source_of(&leaf).describe()
                    ));
                }
            }
        }
    }
}

fn type_name(v: &plist::Value) -> &'static str {
    match v {
        plist::Value::Array(_) => "an array",
        plist::Value::Dictionary(_) => "a dictionary",
        plist::Value::Boolean(_) => "a boolean",
        plist::Value::Data(_) => "data",
        plist::Value::Date(_) => "a date",
        plist::Value::Real(_) => "a real number",
        plist::Value::Integer(_) => "an integer",
        plist::Value::String(_) => "a string",
        _ => "an unsupported value",
    }
}

/// An integer within bounds. A real with no fractional part is accepted (some profile editors
/// write `<real>90</real>`); strings are not, so a typo is reported rather than guessed at.
fn integer(v: &plist::Value, min: i64, max: i64) -> Result<i64, String> {
    let n = match v {
        plist::Value::Integer(i) => i
            .as_signed()
            .ok_or_else(|| "integer out of range".to_string())?,
        plist::Value::Real(r) if r.fract() == 0.0 && r.abs() < 1e15 => *r as i64,
        other => return Err(format!("expected an integer, found {}", type_name(other))),
    };
    if n < min || n > max {
        return Err(format!("{n} is outside {min} to {max}"));
    }
    Ok(n)
}

fn boolean(v: &plist::Value) -> Result<bool, String> {
    match v {
        plist::Value::Boolean(b) => Ok(*b),
        other => Err(format!("expected a boolean, found {}", type_name(other))),
    }
}

/// Checks a status directory: absolute, no `.`/`..`, strictly below an allowed root.
pub fn validate_status_dir(s: &str) -> Result<PathBuf, String> {
    let p = Path::new(s);
    if !p.is_absolute() {
        return Err(format!("{s:?} is not an absolute path"));
    }
    // Checked on the text: `Path::components` silently drops inner `.` components. Hidden
    // components are refused too, so the Jamf schema's pattern can say the same thing.
    if s.trim_end_matches('/')
        .split('/')
        .skip(1)
        .any(|c| c.is_empty() || c.starts_with('.'))
    {
        return Err(format!(
            "{s:?} contains empty, . or .. components (or a hidden directory)"
        ));
    }
    let under = ALLOWED_STATUS_ROOTS.iter().any(|root| {
        let root = Path::new(root);
        p.starts_with(root) && p != root
    });
    if !under {
        return Err(format!(
            "{s:?} is not under an allowed directory ({})",
            ALLOWED_STATUS_ROOTS.join(", ")
        ));
    }
    Ok(p.to_path_buf())
}

fn apply_key(cfg: &mut Config, spec: &KeySpec, v: &plist::Value) -> Result<(), String> {
    let int = |v: &plist::Value| match spec.kind {
        Kind::Int { min, max } => integer(v, min, max),
        _ => Err("not an integer key".to_string()),
    };
    match spec.key {
        "HealMDMClient" => cfg.heal_mdmclient = boolean(v)?,
        "HealSoftwareUpdated" => cfg.heal_softwareupdated = boolean(v)?,
        "StrictAddigyLiveness" => cfg.strict_addigy = boolean(v)?,
        "LivenessWindowMinutes" => cfg.liveness_window_minutes = int(v)? as u32,
        "SoftwareUpdateStallMinutes" => cfg.stall_minutes = int(v)? as u32,
        "DDMEnforcementGraceHours" => cfg.ddm_grace_hours = int(v)? as u32,
        "RestartSpacingHours" => {
            // Restarting system daemons more often than daily broke Software Update for Fleet's
            // users (fleetdm/fleet#11777): the floor is not negotiable.
            cfg.restart_spacing_hours = int(v).map_err(|e| {
                format!("{e} (restarts of a service must be at least 24 hours apart)")
            })? as u32
        }
        "DiskHeadroomUpdateGB" => cfg.disk_headroom_update_gb = int(v)? as u64,
        "DiskHeadroomUpgradeGB" => cfg.disk_headroom_upgrade_gb = int(v)? as u64,
        "DiskSourceMaxRatio" => cfg.disk_source_max_ratio = int(v)? as u32,
        "ComplianceExploitedDays" => cfg.compliance_exploited_days = int(v)? as u32,
        "ComplianceDays" => cfg.compliance_days = int(v)? as u32,
        "ProbeTimeoutSeconds" => cfg.probe_timeout_secs = int(v)? as u64,
        "LogTimeoutSeconds" => cfg.log_timeout_secs = int(v)? as u64,
        "LogMaxMB" => cfg.log_max_bytes = int(v)? as u64 * MIB,
        "ProbeMaxMB" => cfg.probe_max_bytes = int(v)? as u64 * MIB,
        "IdentityWarningDays" => cfg.identity_warning_days = int(v)? as u32,
        "VerifyWaitSeconds" => cfg.verify_wait_secs = int(v)? as u64,
        "SoftwareUpdateScanStaleDays" => cfg.su_scan_stale_days = int(v)? as u32,
        "NoExchangeDays" => cfg.no_exchange_days = int(v)? as u32,
        "LookBackDays" => cfg.look_back_days = int(v)? as u32,
        "LogWindowMaxMinutes" => cfg.log_window_max_minutes = int(v)? as u32,
        "StatusDirectory" => match v {
            plist::Value::String(s) => cfg.status_dir = validate_status_dir(s)?,
            other => return Err(format!("expected a string, found {}", type_name(other))),
        },
        other => return Err(format!("{other} is not a scalar key")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_report_every_key_as_default() {
        let l = load(
            Some(Path::new("/nonexistent-sysroot")),
            None,
            &Flags::default(),
        );
        let s = crate::report::config_section(&l);
        assert!(s.settings.iter().all(|x| x.source == "default"), "{s:?}");
        assert!(l.warnings.is_empty() && l.errors.is_empty());
        assert_eq!(
            l.config.battery_apple_silicon,
            BatteryThresholds::APPLE_SILICON
        );
        assert_eq!(l.config.battery_intel, BatteryThresholds::INTEL);
    }

    #[test]
    fn status_dir_bounds() {
        let cases: &[(&str, bool)] = &[
            ("/Library/Application Support/acme", true),
            ("/usr/local/mdmwatch/status", true),
            ("/private/var/db/mdmwatch", true),
            ("/etc/mdmwatch", false),
            ("/Library/Application Support/", false),
            ("/Library/Application Support/../../etc", false),
            ("relative/dir", false),
            ("/var/./db", false),
            ("/var//db", false),
            ("/var/db/.hidden", false),
            ("/var/db/mdmwatch/", true),
            ("/Users/alice/status", false),
        ];
        for (path, ok) in cases {
            assert_eq!(validate_status_dir(path).is_ok(), *ok, "{path}");
        }
    }

    #[test]
    fn integer_bounds_and_types() {
        use plist::Value as V;
        assert_eq!(integer(&V::Integer(24.into()), 24, 720), Ok(24));
        assert!(integer(&V::Integer(12.into()), 24, 720).is_err());
        assert!(integer(&V::Integer((-5).into()), 0, 10).is_err());
        assert_eq!(integer(&V::Real(90.0), 15, 1440), Ok(90));
        assert!(integer(&V::Real(90.5), 15, 1440).is_err());
        assert!(integer(&V::String("90".into()), 15, 1440).is_err());
    }
}
