//! The probe table: every command and file mdmwatch reads, by public id.
//!
//! Probe ids are a public contract (captures, the JSON report, admins' scripts): add new ones
//! freely, never rename one. README.md's probe table mirrors this file.

use crate::config::Config;
use crate::parse::log_patterns::LogStream;
use crate::system::Probe;

pub const SW_VERS: &str = "sw_vers";
pub const HW_MODEL: &str = "hw_model";
pub const HW_ARM64: &str = "hw_arm64";
pub const PROFILES_ENROLLMENT: &str = "profiles_enrollment";
pub const PROFILES_MDM: &str = "profiles_mdm";
pub const IDENTITY_CERT: &str = "identity_cert";
pub const LOG_MDMCLIENT: &str = LogStream::Mdmclient.probe_id();
pub const LOG_SOFTWAREUPDATE: &str = LogStream::SoftwareUpdate.probe_id();
pub const LOG_APSD: &str = LogStream::Apsd.probe_id();
pub const LAUNCHCTL_MDMCLIENT: &str = "launchctl_mdmclient";
pub const LAUNCHCTL_SOFTWAREUPDATED: &str = "launchctl_softwareupdated";
pub const PMSET_BATT: &str = "pmset_batt";
pub const DISKUTIL_ROOT: &str = "diskutil_root";
pub const SU_PREFS: &str = "su_prefs";
pub const DDM_STATE: &str = "ddm_state";
pub const MDMCLIENT_QDI: &str = "mdmclient_qdi";
pub const PROFILES_BOOTSTRAPTOKEN: &str = "profiles_bootstraptoken";
pub const AVAILABLE_SPACE_ROOT: &str = "available_space_root";
pub const SOFTWAREUPDATE_LIST: &str = "softwareupdate_list";
pub const IDENTITY_KEYS: &str = "identity_keys";
pub const MDMCLIENT_QSI: &str = "mdmclient_qsi";
pub const MANAGED_SU_PREFS: &str = "managed_su_prefs";
pub const MANAGED_RESTRICTIONS: &str = "managed_restrictions";
pub const INSTALL_LOG: &str = "install_log";
pub const STAGED_UPDATE: &str = "staged_update";
pub const STAGED_UPDATE_MTIME: &str = "staged_update_mtime";
pub const APSCTL_STATUS: &str = "apsctl_status";
pub const SEEDUTIL: &str = "seedutil";
/// The first run's look-back over days of mdmclient log (successful responses and receipts only).
pub const LOG_MDMCLIENT_LOOKBACK: &str = "log_mdmclient_lookback";

/// apsd's control tool: per client port, the connection, topics and last push (admins' Jamf
/// extension attributes call it by this path: MLBZ521/MacAdmin `Get-LastMDMPush.sh`).
pub const APSCTL_PATH: &str = "/System/Library/PrivateFrameworks/ApplePushService.framework/apsctl";

pub const MDMCLIENT_LABEL: &str = "com.apple.mdmclient.daemon";
pub const SOFTWAREUPDATED_LABEL: &str = "com.apple.softwareupdated";

pub const SU_PREFS_PATH: &str = "/Library/Preferences/com.apple.SoftwareUpdate.plist";
pub const DDM_STATE_PATH: &str = "/var/db/softwareupdate/SoftwareUpdateDDMStatePersistence.plist";
pub const SYSTEM_KEYCHAIN: &str = "/Library/Keychains/System.keychain";
pub const MANAGED_SU_PREFS_PATH: &str =
    "/Library/Managed Preferences/com.apple.SoftwareUpdate.plist";
pub const MANAGED_RESTRICTIONS_PATH: &str =
    "/Library/Managed Preferences/com.apple.applicationaccess.plist";
pub const INSTALL_LOG_PATH: &str = "/var/log/install.log";
/// The seeding enrollment tool, by the path admins' extension attributes call it.
pub const SEEDUTIL_PATH: &str =
    "/System/Library/PrivateFrameworks/Seeding.framework/Resources/seedutil";
/// Bytes of install.log's tail read by `install_log` (its newest lines; the file itself can be
/// tens of megabytes, sudoade.com 2023).
pub const INSTALL_LOG_TAIL_BYTES: u64 = 2 * 1024 * 1024;

/// mdmclient's own binary (the daemon, and the per-user agent counted apart): only its entries
/// are evidence (`parse::log_patterns::SOURCES`; a test keeps these equal to the table).
pub const MDMCLIENT_PREDICATE: &str = r#"processImagePath == "/usr/libexec/mdmclient""#;

/// softwareupdated, the DDM status reporter SoftwareUpdateSubscriber (admins' scripts extract
/// "Reporting status" blocks from it; a sysdiagnose showed them under softwareupdated: it depends
/// on the build) and remotemanagementd, each by its exact image path. UpdateBrainService is not
/// selected: it runs from a downloaded asset whose path a user can create.
pub const SOFTWAREUPDATE_PREDICATE: &str = r#"processImagePath == "/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated" OR processImagePath == "/System/Library/PrivateFrameworks/RemoteManagement.framework/XPCServices/SoftwareUpdateSubscriber.xpc/Contents/MacOS/SoftwareUpdateSubscriber" OR processImagePath == "/usr/libexec/remotemanagementd""#;

/// The Apple push daemon: its courier (APNs) connection lines.
pub const APSD_PREDICATE: &str =
    r#"processImagePath == "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd""#;

/// `processImagePath == "…" OR …` over a stream's evidence sources (the table the reader checks).
pub fn sources_clause(stream: LogStream) -> String {
    crate::parse::log_patterns::sources(stream)
        .map(|s| format!("processImagePath == \"{}\"", s.image_path))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `(<sources>) AND (eventMessage CONTAINS "<m1>" OR ...)`: the OS returns only the lines whose
/// message holds one of the summariser's markers, which are exactly the lines it can keep
/// (the needles of `parse::log_patterns`; CONTAINS is case-sensitive, as the needles are).
fn with_messages(sources: &str, markers: &[&str]) -> String {
    let messages: Vec<String> = markers
        .iter()
        .map(|m| format!("eventMessage CONTAINS \"{m}\""))
        .collect();
    format!("({sources}) AND ({})", messages.join(" OR "))
}

/// The `log show` predicate of `log_mdmclient`.
pub fn mdmclient_predicate() -> String {
    with_messages(MDMCLIENT_PREDICATE, &crate::parse::mdm_log::markers())
}

/// The `log show` predicate of `log_softwareupdate`.
pub fn softwareupdate_predicate() -> String {
    with_messages(SOFTWAREUPDATE_PREDICATE, &crate::parse::su_log::markers())
}

/// The `log show` predicate of `log_apsd`.
pub fn apsd_predicate() -> String {
    with_messages(APSD_PREDICATE, &crate::parse::apsd_log::markers())
}

/// The look-back's predicate: mdmclient's successful responses and command receipts only, so days
/// of log stay small (the exchanges the channel history needs, nothing else).
pub fn mdmclient_lookback_predicate() -> String {
    with_messages(
        MDMCLIENT_PREDICATE,
        &["Received HTTP response (200)", "Processing server request"],
    )
}

/// One bounded look-back over `days` of mdmclient log, run when the channel history is missing
/// (the first run, or a state file that could not be read): it fills the history once.
pub fn mdmclient_lookback(days: u32, cfg: &Config) -> Probe {
    log_probe_last(
        LOG_MDMCLIENT_LOOKBACK,
        &mdmclient_lookback_predicate(),
        &format!("{days}d"),
        cfg,
    )
}

/// `log show` over the last `minutes` with a predicate, as newline-delimited JSON.
pub fn log_probe(id: &str, predicate: &str, cfg: &Config) -> Probe {
    log_probe_last(
        id,
        predicate,
        &format!("{}m", cfg.liveness_window_minutes),
        cfg,
    )
}

/// `log show --last <last>` (`90m`, `7d`) with a predicate, as newline-delimited JSON.
pub fn log_probe_last(id: &str, predicate: &str, last: &str, cfg: &Config) -> Probe {
    Probe::command(
        id,
        "/usr/bin/log",
        &[
            "show",
            "--style",
            "ndjson",
            "--info",
            "--last",
            last,
            "--predicate",
            predicate,
        ],
    )
    .with_timeout(cfg.log_timeout())
    .with_max_bytes(cfg.log_max_bytes)
    .spooled()
    .keeping_newest()
}

fn cmd(id: &str, program: &str, args: &[&str], cfg: &Config) -> Probe {
    Probe::command(id, program, args)
        .with_timeout(cfg.probe_timeout())
        .with_max_bytes(cfg.probe_max_bytes)
}

fn file(id: &str, path: &str, cfg: &Config) -> Probe {
    Probe::file(id, path)
        .with_timeout(cfg.probe_timeout())
        .with_max_bytes(cfg.probe_max_bytes)
}

/// `launchctl print system/<label>`: state, pid, runs, last exit code.
pub fn launchctl_print(id: &str, label: &str, cfg: &Config) -> Probe {
    cmd(
        id,
        "/bin/launchctl",
        &["print", &format!("system/{label}")],
        cfg,
    )
}

/// Probes that depend on nothing else; run concurrently in the first phase.
pub fn independent(cfg: &Config) -> Vec<Probe> {
    vec![
        cmd(SW_VERS, "/usr/bin/sw_vers", &[], cfg),
        cmd(HW_MODEL, "/usr/sbin/sysctl", &["-n", "hw.model"], cfg),
        cmd(
            HW_ARM64,
            "/usr/sbin/sysctl",
            &["-n", "hw.optional.arm64"],
            cfg,
        ),
        // Never `profiles show -type enrollment`: rate-limited since macOS 12.3.
        cmd(
            PROFILES_ENROLLMENT,
            "/usr/bin/profiles",
            &["status", "-type", "enrollment"],
            cfg,
        ),
        cmd(
            PROFILES_MDM,
            "/usr/bin/profiles",
            &["-L", "-o", "stdout-xml"],
            cfg,
        ),
        log_probe(LOG_MDMCLIENT, &mdmclient_predicate(), cfg),
        log_probe(LOG_SOFTWAREUPDATE, &softwareupdate_predicate(), cfg),
        log_probe(LOG_APSD, &apsd_predicate(), cfg),
        launchctl_print(LAUNCHCTL_MDMCLIENT, MDMCLIENT_LABEL, cfg),
        launchctl_print(LAUNCHCTL_SOFTWAREUPDATED, SOFTWAREUPDATED_LABEL, cfg),
        cmd(PMSET_BATT, "/usr/bin/pmset", &["-g", "batt"], cfg),
        cmd(
            DISKUTIL_ROOT,
            "/usr/sbin/diskutil",
            &["info", "-plist", "/"],
            cfg,
        ),
        file(SU_PREFS, SU_PREFS_PATH, cfg),
        file(DDM_STATE, DDM_STATE_PATH, cfg),
        cmd(
            MDMCLIENT_QDI,
            "/usr/libexec/mdmclient",
            &["QueryDeviceInformation"],
            cfg,
        ),
        cmd(
            PROFILES_BOOTSTRAPTOKEN,
            "/usr/bin/profiles",
            &["status", "-type", "bootstraptoken"],
            cfg,
        ),
        Probe::available_space(AVAILABLE_SPACE_ROOT, "/"),
        // Identities (certificate + private key) valid for TLS client authentication: the MDM
        // identity must be among them, matched by the certificate's SHA-1.
        cmd(
            IDENTITY_KEYS,
            "/usr/bin/security",
            &["find-identity", "-v", "-p", "ssl-client", SYSTEM_KEYCHAIN],
            cfg,
        ),
        // SecurityInfo.ManagementStatus: how the Mac was enrolled, as mdmclient reports it.
        cmd(
            MDMCLIENT_QSI,
            "/usr/libexec/mdmclient",
            &["QuerySecurityInfo"],
            cfg,
        ),
        // Managed software-update settings and the restrictions payload (deferrals); absent
        // files mean "not managed".
        file(MANAGED_SU_PREFS, MANAGED_SU_PREFS_PATH, cfg),
        file(MANAGED_RESTRICTIONS, MANAGED_RESTRICTIONS_PATH, cfg),
        // The cached listing with download sizes; `--no-scan` keeps it off the network.
        cmd(
            SOFTWAREUPDATE_LIST,
            "/usr/sbin/softwareupdate",
            &["--list", "--no-scan"],
            cfg,
        ),
        // softwareupdated's DDM lines where admins found them (macOS 14-26): the tail only,
        // the window's lines are kept by the parser.
        cmd(
            INSTALL_LOG,
            "/usr/bin/tail",
            &["-c", &INSTALL_LOG_TAIL_BYTES.to_string(), INSTALL_LOG_PATH],
            cfg,
        ),
        // apsd's view of the push topics: the MDM topic registered, and its last push.
        cmd(APSCTL_STATUS, APSCTL_PATH, &["status"], cfg),
        // The beta/seed program enrollment: on 26+ a source of the beta catalog beside DDM's
        // setting (the OSUpdateSettings query is deprecated in 26, removed in 27).
        cmd(SEEDUTIL, SEEDUTIL_PATH, &["current"], cfg),
    ]
}

/// The proposed cryptex's version file of an update staged in the Preboot volume of the booted
/// volume group (`APFSVolumeGroupID` of `diskutil_root`; see `parse::staged_update`).
pub fn staged_update_path(volume_group: &str) -> String {
    format!("/System/Volumes/Preboot/{volume_group}/cryptex1/proposed/SystemVersion.plist")
}

/// The staged update's version file (absent: nothing staged) and when it was written
/// (`stat -f %m`, seconds since the epoch). macOS 14-27.
pub fn staged_update(volume_group: &str, cfg: &Config) -> Vec<Probe> {
    let path = staged_update_path(volume_group);
    vec![
        file(STAGED_UPDATE, &path, cfg),
        cmd(
            STAGED_UPDATE_MTIME,
            "/usr/bin/stat",
            &["-f", "%m", &path],
            cfg,
        ),
    ]
}

/// The identity certificate, by the common name the MDM profile's identity payload names.
pub fn identity_cert(common_name: &str, cfg: &Config) -> Probe {
    cmd(
        IDENTITY_CERT,
        "/usr/bin/security",
        &[
            "find-certificate",
            "-a",
            "-p",
            "-c",
            common_name,
            SYSTEM_KEYCHAIN,
        ],
        cfg,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live run's `log show` returns only the lines whose message holds a needle: every
    /// softwareupdated pattern (the 14-26 DDM, client-scan and check-in wordings included) must be
    /// in the predicate, or the live run would see quiet where a replay sees activity.
    #[test]
    fn the_softwareupdate_predicate_carries_every_needle() {
        let p = softwareupdate_predicate();
        for needle in crate::parse::log_patterns::needles(LogStream::SoftwareUpdate) {
            assert!(
                p.contains(&format!("eventMessage CONTAINS \"{needle}\"")),
                "{needle:?} missing from {p}"
            );
        }
        for modern in [
            "Found currently applicable declaration",
            "setPastDuePaddedEnforcementDate is set: ",
            "No updates found for DDM to enforce",
            "Adding client SUUpdateServiceClient",
            "BackgroundActivity: Activity check-in",
        ] {
            assert!(p.contains(modern), "{modern:?} missing from {p}");
        }
    }
}
