//! The probe table: every command and file mdmwatch reads, by public id.
//!
//! Probe ids are a public contract (captures, the JSON report, admins' scripts): add new ones
//! freely, never rename one. README.md's probe table mirrors this file.

use crate::config::Config;
use crate::parse::log_patterns::LogStream;
use crate::system::{LogUnion, Probe};

pub const SW_VERS: &str = "sw_vers";
pub(crate) const HW_MODEL: &str = "hw_model";
pub(crate) const HW_ARM64: &str = "hw_arm64";
pub(crate) const PROFILES_ENROLLMENT: &str = "profiles_enrollment";
pub(crate) const PROFILES_MDM: &str = "profiles_mdm";
pub const IDENTITY_CERT: &str = "identity_cert";
pub const LOG_MDMCLIENT: &str = LogStream::Mdmclient.probe_id();
pub const LOG_SOFTWAREUPDATE: &str = LogStream::SoftwareUpdate.probe_id();
pub(crate) const LOG_APSD: &str = LogStream::Apsd.probe_id();
pub const LAUNCHCTL_MDMCLIENT: &str = "launchctl_mdmclient";
pub const LAUNCHCTL_SOFTWAREUPDATED: &str = "launchctl_softwareupdated";
pub(crate) const PMSET_BATT: &str = "pmset_batt";
pub(crate) const DISKUTIL_ROOT: &str = "diskutil_root";
pub(crate) const SU_PREFS: &str = "su_prefs";
pub(crate) const DDM_STATE: &str = "ddm_state";
pub(crate) const DDM_STATE_MTIME: &str = "ddm_state_mtime";
pub(crate) const MDMCLIENT_QDI: &str = "mdmclient_qdi";
pub(crate) const PROFILES_BOOTSTRAPTOKEN: &str = "profiles_bootstraptoken";
pub(crate) const AVAILABLE_SPACE_ROOT: &str = "available_space_root";
pub(crate) const SOFTWAREUPDATE_LIST: &str = "softwareupdate_list";
pub(crate) const IDENTITY_KEYS: &str = "identity_keys";
pub(crate) const MDMCLIENT_QSI: &str = "mdmclient_qsi";
pub(crate) const MANAGED_SU_PREFS: &str = "managed_su_prefs";
pub(crate) const MANAGED_RESTRICTIONS: &str = "managed_restrictions";
pub(crate) const INSTALL_LOG: &str = "install_log";
pub(crate) const STAGED_UPDATE: &str = "staged_update";
pub(crate) const STAGED_UPDATE_MTIME: &str = "staged_update_mtime";
pub(crate) const UPDATE_VOLUME: &str = "update_volume";
pub(crate) const UPDATE_VOLUME_MTIME: &str = "update_volume_mtime";
pub(crate) const UPDATE_SNAPSHOTS: &str = "update_snapshots";
/// The Update volume's record of the prepared update (see `parse::staged_update`).
pub(crate) const UPDATE_VOLUME_PATH: &str = "/System/Volumes/Update/Update.plist";
pub(crate) const APSCTL_STATUS: &str = "apsctl_status";
pub(crate) const SEEDUTIL: &str = "seedutil";
/// The first run's look-back over days of mdmclient log (successful responses and receipts only).
pub const LOG_MDMCLIENT_LOOKBACK: &str = "log_mdmclient_lookback";

/// apsd's control tool: per client port, the connection, topics and last push (admins' Jamf
/// extension attributes call it by this path: MLBZ521/MacAdmin `Get-LastMDMPush.sh`).
pub(crate) const APSCTL_PATH: &str =
    "/System/Library/PrivateFrameworks/ApplePushService.framework/apsctl";

pub(crate) const MDMCLIENT_LABEL: &str = "com.apple.mdmclient.daemon";
pub(crate) const SOFTWAREUPDATED_LABEL: &str = "com.apple.softwareupdated";

pub(crate) const SU_PREFS_PATH: &str = "/Library/Preferences/com.apple.SoftwareUpdate.plist";
pub(crate) const DDM_STATE_PATH: &str =
    "/var/db/softwareupdate/SoftwareUpdateDDMStatePersistence.plist";
pub(crate) const SYSTEM_KEYCHAIN: &str = "/Library/Keychains/System.keychain";
pub(crate) const MANAGED_SU_PREFS_PATH: &str =
    "/Library/Managed Preferences/com.apple.SoftwareUpdate.plist";
pub(crate) const MANAGED_RESTRICTIONS_PATH: &str =
    "/Library/Managed Preferences/com.apple.applicationaccess.plist";
pub(crate) const INSTALL_LOG_PATH: &str = "/var/log/install.log";
/// The seeding enrollment tool, by the path admins' extension attributes call it.
pub(crate) const SEEDUTIL_PATH: &str =
    "/System/Library/PrivateFrameworks/Seeding.framework/Resources/seedutil";
/// Bytes of install.log's tail read by `install_log` (its newest lines; the file itself can be
/// tens of megabytes, sudoade.com 2023).
pub(crate) const INSTALL_LOG_TAIL_BYTES: u64 = 2 * 1024 * 1024;

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
pub(crate) fn log_probe_last(id: &str, predicate: &str, last: &str, cfg: &Config) -> Probe {
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
pub(crate) fn launchctl_print(id: &str, label: &str, cfg: &Config) -> Probe {
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
        // When the declaration store last changed: a DDM status older than that is history.
        cmd(
            DDM_STATE_MTIME,
            "/usr/bin/stat",
            &["-f", "%m", DDM_STATE_PATH],
            cfg,
        ),
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
        // A prepared update as the Update volume records it, and when that was written.
        file(UPDATE_VOLUME, UPDATE_VOLUME_PATH, cfg),
        cmd(
            UPDATE_VOLUME_MTIME,
            "/usr/bin/stat",
            &["-f", "%m", UPDATE_VOLUME_PATH],
            cfg,
        ),
        // The APFS snapshots of the booted volume group: a prepared update's snapshot (a sign,
        // never evidence on its own).
        cmd(
            UPDATE_SNAPSHOTS,
            "/usr/bin/tmutil",
            &["listlocalsnapshots", "/"],
            cfg,
        ),
    ]
}

/// The proposed cryptex's version file of an update staged in the Preboot volume of the booted
/// volume group (`APFSVolumeGroupID` of `diskutil_root`; see `parse::staged_update`).
pub(crate) fn staged_update_path(volume_group: &str) -> String {
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

/// The log streams, in the order of a [`LogUnion`]'s router bits.
pub const LOG_STREAMS: [&str; 3] = [LOG_MDMCLIENT, LOG_SOFTWAREUPDATE, LOG_APSD];

/// One predicate for several streams: `(p1) OR (p2) OR ...`, each stream's predicate whole (its
/// sources AND its message markers), so `log show` returns exactly the entries some stream's own
/// query would have returned.
pub(crate) fn union_predicate(predicates: &[&str]) -> String {
    predicates
        .iter()
        .map(|p| format!("({p})"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The `--predicate` argument of a log probe.
fn predicate_of(probe: &Probe) -> Option<&str> {
    let crate::system::Source::Command { args, .. } = &probe.source else {
        return None;
    };
    let at = args.iter().position(|a| a == "--predicate")?;
    args.get(at + 1).map(String::as_str)
}

/// What a stream's predicate selects, read back from its text: the literals compared with
/// `process ==`, `processImagePath ==` (or `BEGINSWITH`), `subsystem ==` and `eventMessage
/// CONTAINS`. Reading them from the predicate (not from a second table) keeps the routing of the
/// union's output equal to the predicates whatever they become.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StreamSelector {
    pub processes: Vec<String>,
    pub image_paths: Vec<String>,
    pub image_prefixes: Vec<String>,
    pub subsystems: Vec<String>,
    pub needles: Vec<String>,
}

impl StreamSelector {
    /// Reads the literals of a predicate (NSPredicate syntax as `log show` takes it).
    pub(crate) fn of(predicate: &str) -> StreamSelector {
        let mut sel = StreamSelector::default();
        let b = predicate.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let word_start = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            let key = ["processImagePath", "process", "subsystem", "eventMessage"]
                .into_iter()
                .find(|k| word_start && predicate[i..].starts_with(k));
            let Some(key) = key else {
                i += 1;
                continue;
            };
            let mut j = i + key.len();
            if b.get(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
                i += 1;
                continue;
            }
            while b.get(j) == Some(&b' ') {
                j += 1;
            }
            let op_start = j;
            while b
                .get(j)
                .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'"')
            {
                j += 1;
            }
            let op = predicate[op_start..j].to_ascii_uppercase();
            while b.get(j) == Some(&b' ') {
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                i = j.max(i + 1);
                continue;
            }
            let mut lit = String::new();
            j += 1;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => break,
                    b'\\' if j + 1 < b.len() => {
                        lit.push(b[j + 1] as char);
                        j += 2;
                        continue;
                    }
                    _ => {}
                }
                let ch = predicate[j..].chars().next().unwrap_or('\u{fffd}');
                lit.push(ch);
                j += ch.len_utf8();
            }
            match (key, op.as_str()) {
                ("process", "==") => sel.processes.push(lit),
                ("processImagePath", "==") => sel.image_paths.push(lit),
                ("processImagePath", "BEGINSWITH") => sel.image_prefixes.push(lit),
                ("subsystem", "==") => sel.subsystems.push(lit),
                ("eventMessage", "CONTAINS") => sel.needles.push(lit),
                _ => {}
            }
            i = j + 1;
        }
        sel
    }

    /// Whether `entry` is one this stream's query returns: one of its sources (process name,
    /// image path, subsystem) and, when it names markers, one of them in the message.
    pub(crate) fn claims(&self, entry: &crate::parse::log_ndjson::LogEntry<'_>) -> bool {
        self.claims_source(entry)
            && (self.needles.is_empty()
                || self
                    .needles
                    .iter()
                    .any(|n| entry.message.contains(n.as_str())))
    }

    /// Whether `entry` comes from one of this stream's sources, whatever its message.
    pub(crate) fn claims_source(&self, entry: &crate::parse::log_ndjson::LogEntry<'_>) -> bool {
        let no_source = self.processes.is_empty()
            && self.image_paths.is_empty()
            && self.image_prefixes.is_empty()
            && self.subsystems.is_empty();
        let source = no_source
            || self.processes.iter().any(|p| p == entry.process)
            || self
                .image_paths
                .iter()
                .any(|p| p == entry.process_image_path)
            || self
                .image_prefixes
                .iter()
                .any(|p| entry.process_image_path.starts_with(p.as_str()))
            || self.subsystems.iter().any(|s| s == entry.subsystem);
        source
    }

    /// Whether `entry`'s process has the name of one of this stream's binaries (a process name
    /// the predicate compares, or the last component of one of its image paths), whatever path
    /// it runs from.
    pub(crate) fn claims_name(&self, entry: &crate::parse::log_ndjson::LogEntry<'_>) -> bool {
        !entry.process.is_empty()
            && (self.processes.iter().any(|p| p == entry.process)
                || self
                    .image_paths
                    .iter()
                    .any(|p| p.rsplit('/').next() == Some(entry.process)))
    }
}

/// The streams an output line of the union belongs to (bit `i`: `selectors[i]`). A line that is
/// not an entry (the header, the trailer, garbage, a cut last line) goes to every stream, so each
/// stream's reader sees what it would have seen alone. An entry no stream's whole predicate
/// claims (none should come from `log show`, which returns only entries some stream selects;
/// output from elsewhere may hold them) goes to the streams of its source, else to the streams
/// whose binary it is named after (a forged binary elsewhere: that stream's reader rejects it and
/// says so), else to all.
pub(crate) fn route_line(
    selectors: &[StreamSelector],
    line: &[u8],
    scratch: &mut crate::parse::log_ndjson::Scratch,
) -> u64 {
    use crate::parse::log_ndjson::{parse_line, Line};
    match parse_line(line, scratch) {
        Line::Entry(e) => {
            let mask_of = |claims: &dyn Fn(&StreamSelector) -> bool| {
                selectors
                    .iter()
                    .enumerate()
                    .take(64)
                    .filter(|(_, s)| claims(s))
                    .fold(0u64, |m, (i, _)| m | 1 << i)
            };
            // A whole predicate claims only entries its source claims: when one stream claims the
            // source, the answer is that stream whatever the message says, so the per-line
            // needle scan is needed only where streams share a source.
            let source = mask_of(&|s| s.claims_source(&e));
            if source.count_ones() == 1 {
                return source;
            }
            let whole = mask_of(&|s| s.claims(&e));
            if whole != 0 {
                return whole;
            }
            if source != 0 {
                return source;
            }
            match mask_of(&|s| s.claims_name(&e)) {
                0 => u64::MAX,
                m => m,
            }
        }
        _ => u64::MAX,
    }
}

/// One `log show` for every stream of `streams` (log probes that differ only in their predicate:
/// the same binary, window and flags), or `None` when they cannot share one.
pub fn log_union(streams: &[Probe]) -> Option<LogUnion> {
    let first = streams.first()?;
    let crate::system::Source::Command { program, args } = &first.source else {
        return None;
    };
    let mut predicates = Vec::new();
    for p in streams {
        let crate::system::Source::Command {
            program: prog,
            args: a,
        } = &p.source
        else {
            return None;
        };
        let at = a.iter().position(|x| x == "--predicate")?;
        let same = prog == program
            && a.len() == args.len()
            && a.iter()
                .zip(args)
                .enumerate()
                .all(|(k, (x, y))| k == at + 1 || x == y);
        if !same || streams.len() > 64 {
            return None;
        }
        predicates.push(predicate_of(p)?);
    }
    let at = args.iter().position(|x| x == "--predicate")?;
    let mut union_args: Vec<String> = args.clone();
    union_args[at + 1] = union_predicate(&predicates);
    let arg_refs: Vec<&str> = union_args.iter().map(String::as_str).collect();
    // Each stream keeps its own cap as it would alone (the newest entries, for log probes); the
    // union's output is not cut as a whole, which would drop the newest entries of every stream.
    let union = Probe::command("log_union", program, &arg_refs)
        .with_timeout(streams.iter().map(|p| p.timeout).max()?)
        .with_max_bytes(u64::MAX)
        .spooled();
    let selectors: std::sync::Arc<Vec<StreamSelector>> =
        std::sync::Arc::new(predicates.iter().map(|p| StreamSelector::of(p)).collect());
    Some(LogUnion {
        union,
        streams: streams.to_vec(),
        router: std::sync::Arc::new(move || {
            let selectors = selectors.clone();
            let mut scratch = crate::parse::log_ndjson::Scratch::default();
            Box::new(move |line: &[u8]| route_line(&selectors, line, &mut scratch))
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::log_ndjson::Scratch;

    fn entry(image: &str, subsystem: &str, message: &str) -> String {
        serde_json::json!({
            "processImagePath": image,
            "subsystem": subsystem,
            "eventMessage": message,
            "timestamp": "2026-11-20 09:00:00.000000-0500",
        })
        .to_string()
    }

    fn route(line: &str) -> u64 {
        let sel: Vec<StreamSelector> = [
            mdmclient_predicate(),
            softwareupdate_predicate(),
            apsd_predicate(),
        ]
        .iter()
        .map(|p| StreamSelector::of(p))
        .collect();
        route_line(&sel, line.as_bytes(), &mut Scratch::default())
    }

    fn image_paths(stream: LogStream) -> Vec<String> {
        crate::parse::log_patterns::sources(stream)
            .map(|s| s.image_path.to_string())
            .collect()
    }

    #[test]
    fn selectors_read_the_literals_of_the_shipped_predicates() {
        // Each stream is its daemons' exact image paths and its markers, nothing else.
        for (pred, stream) in [
            (mdmclient_predicate(), LogStream::Mdmclient),
            (softwareupdate_predicate(), LogStream::SoftwareUpdate),
            (apsd_predicate(), LogStream::Apsd),
        ] {
            let sel = StreamSelector::of(&pred);
            assert_eq!(sel.image_paths, image_paths(stream), "{pred}");
            assert!(
                sel.processes.is_empty() && sel.subsystems.is_empty(),
                "{sel:?}"
            );
            assert!(sel.image_prefixes.is_empty(), "{sel:?}");
            assert!(!sel.needles.is_empty(), "{sel:?}");
        }
        assert!(StreamSelector::of(&mdmclient_predicate())
            .needles
            .contains(&"Received HTTP response".to_string()));
        let p = StreamSelector::of(
            r#"processImagePath == "/usr/libexec/mdmclient" AND eventMessage CONTAINS "a \"q\"""#,
        );
        assert_eq!(p.image_paths, vec!["/usr/libexec/mdmclient".to_string()]);
        assert_eq!(p.needles, vec!["a \"q\"".to_string()]);
    }

    #[test]
    fn union_output_lines_go_to_the_streams_whose_predicate_they_answer() {
        let http = "Received HTTP response (200) [Idle]";
        assert_eq!(
            route(&entry(
                "/usr/libexec/mdmclient",
                "com.apple.ManagedClient",
                http
            )),
            1
        );
        let su_needle = StreamSelector::of(&softwareupdate_predicate()).needles[0].clone();
        for path in image_paths(LogStream::SoftwareUpdate) {
            assert_eq!(
                route(&entry(&path, "com.apple.SoftwareUpdate", &su_needle)),
                2
            );
        }
        let apsd = StreamSelector::of(&apsd_predicate()).needles[0].clone();
        assert_eq!(
            route(&entry(
                &image_paths(LogStream::Apsd)[0],
                "com.apple.apsd",
                &apsd
            )),
            4
        );
        // An entry from a stream's binary without its markers (not returned by the union, but
        // output from elsewhere may hold it) goes to that stream, to be judged there.
        assert_eq!(route(&entry("/usr/libexec/mdmclient", "", "chatter")), 1);
        // A binary of another path (never returned by the union; output from elsewhere may hold
        // it) goes to the stream of the daemon it is named after, to be rejected there.
        assert_eq!(route(&entry("/tmp/mdmclient", "", http)), 1);
        assert_eq!(route(&entry("/tmp/softwareupdated", "", &su_needle)), 2);
        // Named after no stream's binary: every stream sees it.
        assert_eq!(route(&entry("/tmp/other", "", http)), u64::MAX);
        // Header, trailer and garbage reach every stream.
        assert_eq!(route("Filtering the log data using \"...\""), u64::MAX);
        assert_eq!(route(r#"{"count":3,"finished":1}"#), u64::MAX);
        assert_eq!(route("{\"eventMessage\": "), u64::MAX);
    }

    #[test]
    fn the_union_runs_once_for_probes_that_differ_only_in_their_predicate() {
        let cfg = Config::default();
        let logs: Vec<Probe> = independent(&cfg)
            .into_iter()
            .filter(|p| LOG_STREAMS.contains(&p.id.as_str()))
            .collect();
        assert_eq!(logs.len(), 3);
        let u = log_union(&logs).expect("one union");
        let pred = predicate_of(&u.union).unwrap().to_string();
        assert_eq!(
            pred,
            union_predicate(&[
                &mdmclient_predicate(),
                &softwareupdate_predicate(),
                &apsd_predicate()
            ])
        );
        // Each stream keeps its own newest bytes; the union is not cut as a whole.
        assert_eq!(u.union.max_bytes, u64::MAX);
        assert!(u.streams.iter().all(|p| p.keep_newest));
        assert!(u.union.spool);
        // A stream with another window cannot share the process.
        let mut other = logs.clone();
        other[1] = log_probe(LOG_SOFTWAREUPDATE, &softwareupdate_predicate(), &{
            let mut c = Config::default();
            c.liveness_window_minutes += 1;
            c
        });
        assert!(log_union(&other).is_none());
    }

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
