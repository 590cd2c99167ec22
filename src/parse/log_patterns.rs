//! The one table of every message pattern the log rules match, with what it means, the level it
//! is logged at and where real text for it was seen (source, macOS version) — or `unverified`.
//!
//! The classifiers (`mdm_log`, `su_log`, `apsd_log`) name the pattern of every event they keep,
//! the `log show` predicates are built from the needles here, and `docs/LOG-PATTERNS.md` is
//! generated from this table (a test keeps them equal). A rule whose only evidence is an
//! unverified pattern may warn, but never fails a finding, sets an Addigy key or restarts a
//! service (see `checks` and `heal::plan`).

/// Which log probe a pattern belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    Mdmclient,
    SoftwareUpdate,
    Apsd,
}

impl LogStream {
    /// The id of the probe that reads this stream (`probes.rs` takes its constants from here, so
    /// the dependency runs one way: probes → parse).
    pub const fn probe_id(self) -> &'static str {
        match self {
            LogStream::Mdmclient => "log_mdmclient",
            LogStream::SoftwareUpdate => "log_softwareupdate",
            LogStream::Apsd => "log_apsd",
        }
    }
}

/// Where real text for a pattern was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// The text itself was published from a real Mac.
    Seen {
        source: &'static str,
        macos: &'static str,
    },
    /// Real text of this shape was published with other values (another status code, another
    /// command): the form is verified, the particular value is not.
    SeenInForm {
        source: &'static str,
        macos: &'static str,
        note: &'static str,
    },
    /// No real text was found: the rule is a guess and must not make root act on its own.
    Unverified { why: &'static str },
}

impl Provenance {
    pub fn is_verified(self) -> bool {
        !matches!(self, Provenance::Unverified { .. })
    }
}

/// One message pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// Stable name, used in evidence and the report (`mdm.http_response`).
    pub id: &'static str,
    pub stream: LogStream,
    /// The case-sensitive substring the classifier and the `log show` predicate look for.
    pub needle: &'static str,
    /// What a line of this pattern means to the rules.
    pub meaning: &'static str,
    /// The `log` level (Type column) the real lines were logged at, or "unknown".
    pub level: &'static str,
    pub provenance: Provenance,
}

const SUPER_LOGS: &str = "Macjutsu/super git history, Example-Logs/ (commits ad1495a 2022-08, 44a5e1a 2023-03, 45fdb21 2023-05), Jamf Pro; Macjutsu/super#107";
const ADDIGY_TALK: &str = "Addigy, \"A Deep Dive Into Apple OS Updates via MDM\" (talk, log excerpts of a macOS 13.5 VM, 2023-08-15)";

/// Every pattern, grouped by stream. Order matters only for reading: classifiers test the
/// specific shapes before the generic ones.
pub const PATTERNS: &[Pattern] = &[
    // ---- mdmclient (device channel `[0:MDMDaemon…]`; the user agent `[501:MDMAgent…]` is kept apart)
    Pattern {
        id: "mdm.http_response",
        stream: LogStream::Mdmclient,
        needle: "Received HTTP response",
        meaning: "one exchange with the MDM server finished with this HTTP status; (200) is success. The bracket repeats the status the Mac sent ([Idle], [Acknowledged(X):uuid]), not whether a command is pending",
        level: "Default",
        provenance: Provenance::SeenInForm {
            source: SUPER_LOGS,
            macos: "12.x–13.4.1",
            note: "seen only with (200); other status codes are the same format with another value (no public line shows one)",
        },
    },
    Pattern {
        id: "mdm.http_request",
        stream: LogStream::Mdmclient,
        needle: "Sending HTTP request",
        meaning: "mdmclient sends a check-in or a command result ([Acknowledged(X):uuid], [Idle], [MDM_GetBootstrapToken]): an attempt, and the answer to a received command",
        level: "Default",
        provenance: Provenance::Seen {
            source: SUPER_LOGS,
            macos: "12.x–13.4.1; elliotjordan.com FileVault escrow post (2023, Jamf)",
        },
    },
    Pattern {
        id: "mdm.command_receipt",
        stream: LogStream::Mdmclient,
        needle: "Processing server request",
        meaning: "the server just delivered a command over a working connection (a push round trip worked)",
        level: "Default",
        provenance: Provenance::Seen {
            source: "Der Flounder, \"Detecting successful MDM command execution on macOS Sequoia\" (2024-12-21), https://derflounder.wordpress.com/2024/12/21/detecting-successful-mdm-command-execution-on-macos-sequoia/; older form without the prefix: macadmins/installapplications#39 (2018, Mosyle)",
            macos: "15; 2018 (10.13 era)",
        },
    },
    Pattern {
        id: "mdm.identity_error",
        stream: LogStream::Mdmclient,
        needle: "Unable to create MDM identity",
        meaning: "mdmclient cannot use its MDM identity: check-ins cannot authenticate",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "Jamf extension attribute for product issue PI108400 (several public copies) greps exactly this text",
            macos: "unknown",
            note: "a vendor's support tooling matches it; the surrounding wording is not public",
        },
    },
    Pattern {
        id: "mdm.identity_error_other",
        stream: LogStream::Mdmclient,
        needle: "dentity",
        meaning: "another message naming the MDM identity with a failure word (\"failed to copy MDM identity\")",
        level: "unknown",
        provenance: Provenance::Unverified {
            why: "no public line; a guess at variants of the identity failure",
        },
    },
    Pattern {
        id: "mdm.push_rejected",
        stream: LogStream::Mdmclient,
        needle: "Rejecting MDM push dictionary",
        meaning: "a push arrived but mdmclient rejected its payload",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "Apple Developer Forums, quoted by Apple DTS",
            macos: "unknown",
            note: "the sentence is quoted verbatim; level and version are not given",
        },
    },
    Pattern {
        id: "mdm.error_tag",
        stream: LogStream::Mdmclient,
        needle: "[ERROR]",
        meaning: "mdmclient's generic error tag (app installs, SCEP, assertions, profile installs): context only, never a failed exchange",
        level: "Error",
        provenance: Provenance::Seen {
            source: "fleetdm/fleet#8815 (2022-11, `[ERROR] Aborting app install: Package signature cannot be verified`, category ManagedApps, the exchanges around it fine); micromdm/micromdm#436 (SCEP, 2018)",
            macos: "13 era; 10.12.6",
        },
    },
    Pattern {
        id: "mdm.transport_error",
        stream: LogStream::Mdmclient,
        needle: "NSURLErrorDomain",
        meaning: "a network error on the way to the MDM server (NSURLErrorDomain codes)",
        level: "unknown",
        provenance: Provenance::Unverified {
            why: "no public mdmclient line shows a network error; NSURLErrorDomain is Apple's error domain for URL loading",
        },
    },
    // ---- softwareupdated and friends
    Pattern {
        id: "su.progress",
        stream: LogStream::SoftwareUpdate,
        needle: "Reported progress",
        meaning: "an update job's progress: phase (ACCEPTED, PREFLIGHT_*, DOWNLOADING_UPDATE, PREPARING_UPDATE, PREPARED, COMPLETED = end of a job, PREPARED_COMMITTING_STASH, APPLYING), stalled:YES|NO, portionComplete 0–1",
        level: "Default",
        provenance: Provenance::SeenInForm {
            source: SUPER_LOGS,
            macos: "12.x–13.4.1",
            note: "every real line says stalled:NO; stalled:YES is the field's other value, not seen in a real line",
        },
    },
    Pattern {
        id: "su.scan_progress",
        stream: LogStream::SoftwareUpdate,
        needle: "Scan reported progress",
        meaning: "a scan's progress (portionComplete 0–100); phase:COMPLETE is a finished scan (not COMPLETED, the end of an update job)",
        level: "Default",
        provenance: Provenance::Seen {
            source: SUPER_LOGS,
            macos: "12.x",
        },
    },
    Pattern {
        id: "su.scan_started",
        stream: LogStream::SoftwareUpdate,
        needle: ">A> ScanForSoftwareUpdates",
        meaning: "the scan manager started a scan",
        level: "Default",
        provenance: Provenance::Seen {
            source: ADDIGY_TALK,
            macos: "13.5",
        },
    },
    Pattern {
        id: "su.catalog_download",
        stream: LogStream::SoftwareUpdate,
        needle: "startCatalogDownload",
        meaning: "softwareupdated is fetching the update catalog (working)",
        level: "Default",
        provenance: Provenance::Seen {
            source: ADDIGY_TALK,
            macos: "13.5",
        },
    },
    Pattern {
        id: "su.catalog_fsm",
        stream: LogStream::SoftwareUpdate,
        needle: ">A> DownloadSUCatalog",
        meaning: "the scan state machine moved to downloading the catalog (working)",
        level: "Default",
        provenance: Provenance::Seen {
            source: ADDIGY_TALK,
            macos: "13.5",
        },
    },
    Pattern {
        id: "su.scan_catalog",
        stream: LogStream::SoftwareUpdate,
        needle: "SUScan: Using catalog",
        meaning: "a scan read the update catalog (working)",
        level: "unknown",
        provenance: Provenance::Seen {
            source: "/var/log/install.log line quoted on macmule.com (2020)",
            macos: "10.15.7",
        },
    },
    Pattern {
        id: "su.prepare_progress",
        stream: LogStream::SoftwareUpdate,
        needle: "| PrepareUpdate | PROGRESS",
        meaning: "an update is being prepared (install in progress)",
        level: "Default",
        provenance: Provenance::Seen {
            source: ADDIGY_TALK,
            macos: "13.5",
        },
    },
    Pattern {
        id: "su.cryptex_progress",
        stream: LogStream::SoftwareUpdate,
        needle: "Cryptex patch progress",
        meaning: "UpdateBrainService patching (install in progress)",
        level: "Info",
        provenance: Provenance::Seen {
            source: ADDIGY_TALK,
            macos: "13.5",
        },
    },
    Pattern {
        id: "su.ddm_scheduled",
        stream: LogStream::SoftwareUpdate,
        needle: "Posted DDM notification",
        meaning: "an enforced (DDM) update was scheduled",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "/var/log/install.log line quoted on sudoade.com (2023)",
            macos: "14",
            note: "seen in install.log; the same text in the unified log is assumed, not seen",
        },
    },
    Pattern {
        id: "su.ddm_enforcing",
        stream: LogStream::SoftwareUpdate,
        needle: "Enforcing past-due OS update",
        meaning: "softwareupdated enforces an update whose deadline passed",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "/var/log/install.log line in dan-snelson's Jamf extension attribute comment (2025)",
            macos: "15 era",
            note: "seen in install.log; the same text in the unified log is assumed, not seen",
        },
    },
    // softwareupdated's DDM and scan wording of macOS 14-26, as install.log shows it (the same
    // messages are assumed in the unified log; `install_log` reads install.log as its own probe
    // because that is where they were seen). macOS 27: no published text yet; the wording of 26
    // is assumed.
    Pattern {
        id: "su.ddm_applicable",
        stream: LogStream::SoftwareUpdate,
        needle: "Found currently applicable declaration",
        meaning: "softwareupdated evaluated its DDM declarations and found one in force (26.x wording; the line carries |EnforcedInstallDate:…|VersionString:…|BuildVersionString:…|)",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "dan-snelson/DDM-OS-Reminder PR #88 (2026-03-30, `declarationFromKeys]: Found currently applicable declaration` in install.log) and its Jamf EAs",
            macos: "26.3.1",
            note: "the needle and the pipe-delimited fields are what the admins' scripts match; no whole line is published",
        },
    },
    Pattern {
        id: "su.ddm_declaration",
        stream: LogStream::SoftwareUpdate,
        needle: "EnforcedInstallDate:",
        meaning: "a DDM enforcement declaration as softwareupdated logs it: |EnforcedInstallDate:<date>|VersionString:<v>|BuildVersionString:<b or (null)>|",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "dan-snelson/DDM-OS-Reminder Resources/JamfEA-Pending_OS_Update_Version.zsh and Mac-Health-Check `grep EnforcedInstallDate /var/log/install.log`",
            macos: "14-26",
            note: "field names from the admins' parsers; no whole line is published",
        },
    },
    Pattern {
        id: "su.ddm_padded",
        stream: LogStream::SoftwareUpdate,
        needle: "setPastDuePaddedEnforcementDate is set: ",
        meaning: "the deadline passed and softwareupdated scheduled its own retry at this date (`Thu Nov 13 08:59:56 2025` format); enforcement is pending, not failed",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "dan-snelson/DDM-OS-Reminder (rgbpixel's find, CHANGELOG) and admins' parsers of install.log; date format from their `date -jf \"%a %b %d %H:%M:%S %Y\"`",
            macos: "15-26",
            note: "needle and date format from the scripts that parse it",
        },
    },
    Pattern {
        id: "su.ddm_invalid_removed",
        stream: LogStream::SoftwareUpdate,
        needle: "invalid declarations",
        meaning: "softwareupdated dropped declarations it found invalid (`Removed N invalid declarations`): the declaration the MDM sent is not in force",
        level: "unknown",
        provenance: Provenance::Unverified {
            why: "quoted as `Removed N invalid declarations` in dan-snelson/DDM-OS-Reminder#99 (15.7.7); the whole line is not published. Names a cause only, never acts",
        },
    },
    Pattern {
        id: "su.ddm_nothing_to_enforce",
        stream: LogStream::SoftwareUpdate,
        needle: "No updates found for DDM to enforce",
        meaning: "softwareupdated evaluated a declaration but no available update matches it (Apple's staged roll-out, or a version not offered to this Mac)",
        level: "unknown",
        provenance: Provenance::SeenInForm {
            source: "dan-snelson/DDM-OS-Reminder Resources/JamfEA-Pending_OS_Update_Date.zsh (matches this text in install.log)",
            macos: "15-26",
            note: "needle from the admins' parser; no whole line is published",
        },
    },
    Pattern {
        id: "su.client_added",
        stream: LogStream::SoftwareUpdate,
        needle: "Adding client SUUpdateServiceClient",
        meaning: "softwareupdated accepted a client (System Settings, the softwareupdate tool, the notification agent): it is running and answering",
        level: "unknown",
        provenance: Provenance::Seen {
            source: "install.log lines in openzfsonosx/zfs#810 (2024-09-06, Apple silicon) and munki/munki#1124 (2021-12-16)",
            macos: "12-14",
        },
    },
    Pattern {
        id: "su.background_checkin",
        stream: LogStream::SoftwareUpdate,
        needle: "BackgroundActivity: Activity check-in",
        meaning: "softwareupdated's scheduled background check ran (`Activity check-in with Interval 21600`)",
        level: "unknown",
        provenance: Provenance::Seen {
            source: "install.log lines in chris1111/Wireless-USB-Big-Sur-Adapter#13 (2021)",
            macos: "11",
        },
    },
    Pattern {
        id: "su.product_deferred",
        stream: LogStream::SoftwareUpdate,
        needle: "is deferred until",
        meaning: "a scan evaluated an available product against the managed deferral (`Product 052-14528 is deferred until <date>`): softwareupdated is working; the product stays hidden from users until that date",
        level: "unknown",
        provenance: Provenance::Seen {
            source: "install.log output in yorevs/homesetup docs/handbook/pages/functions/std-tools/taylor-tool.md (2023-12-28, four such lines)",
            macos: "14 era",
        },
    },
    Pattern {
        id: "su.status_report",
        stream: LogStream::SoftwareUpdate,
        needle: "Reporting status",
        meaning: "a DDM status block (softwareupdate.install-state, pending-version, failure-reason)",
        level: "unknown",
        provenance: Provenance::Unverified {
            why: "no public line; admins' scripts extract `Reporting status {` blocks of SoftwareUpdateSubscriber, and the keys are Apple's DDM schema (apple/device-management). Used only to withhold heal, never to act",
        },
    },
    // ---- apsd (Apple push)
    Pattern {
        id: "apsd.connected",
        stream: LogStream::Apsd,
        needle: "Connected to courier",
        meaning: "the Mac connected to Apple's push service (APNs): MDM pushes can arrive",
        level: "Default",
        provenance: Provenance::Seen {
            source: "Der Flounder, checking APNs communication on macOS Tahoe (2026-08-29), gist rtrouton/39e5671595b6177948550fa77821c960 (category com.apple.apsd:courier)",
            macos: "26",
        },
    },
    Pattern {
        id: "apsd.identity_failure",
        stream: LogStream::Apsd,
        needle: "failed to obtain a BAA cert",
        meaning: "apsd cannot get its device identity certificate, so it cannot connect to APNs at all",
        level: "Default",
        provenance: Provenance::Seen {
            source: "Der Flounder (2026-09-15), a macOS 27 VM with an incomplete MDM enrollment (`APSBAAClientIdentityProvider failed to obtain a BAA cert, error: …`, repeated)",
            macos: "27.0",
        },
    },
    Pattern {
        id: "apsd.disconnected",
        stream: LogStream::Apsd,
        needle: "Disconnected from courier",
        meaning: "the push connection dropped",
        level: "unknown",
        provenance: Provenance::Unverified {
            why: "no public line; the wording mirrors the connected line",
        },
    },
];

/// The pattern named `id`. Panics on an unknown id: ids are compile-time constants of the
/// classifiers, and a typo must fail the tests, not a user's run.
pub fn pattern(id: &str) -> &'static Pattern {
    PATTERNS
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no log pattern {id}"))
}

/// [`pattern`] at compile time: `const P: &Pattern = by_id("mdm.http_response");` fails the build
/// on an unknown id, and a classifier names its patterns without a lookup per event.
pub const fn by_id(id: &str) -> &'static Pattern {
    let patterns: &'static [Pattern] = PATTERNS;
    let mut i = 0;
    while i < patterns.len() {
        if const_str_eq(patterns[i].id, id) {
            return &patterns[i];
        }
        i += 1;
    }
    panic!("no log pattern with this id")
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The needles of one stream (the `eventMessage CONTAINS` part of its predicate and the
/// parser's pre-filter).
pub fn needles(stream: LogStream) -> Vec<&'static str> {
    PATTERNS
        .iter()
        .filter(|p| p.stream == stream)
        .map(|p| p.needle)
        .collect()
}

fn provenance_cell(p: Provenance) -> String {
    match p {
        Provenance::Seen { source, macos } => format!("seen: {source}; macOS {macos}"),
        Provenance::SeenInForm {
            source,
            macos,
            note,
        } => format!("seen in form: {source}; macOS {macos}; {note}"),
        Provenance::Unverified { why } => format!("**unverified**: {why}"),
    }
}

/// `docs/LOG-PATTERNS.md`, generated.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Log patterns\n\n\
         Generated from `src/parse/log_patterns.rs` (`cargo run --example log_patterns > docs/LOG-PATTERNS.md`);\n\
         a test fails when this file and the table differ. Every message pattern the log rules match,\n\
         what it means, the level it is logged at, and where real text for it was seen. A rule whose\n\
         only evidence is an **unverified** pattern may make a finding a warning with its evidence,\n\
         but never makes it failed, sets an Addigy key or restarts a service.\n\n\
         Entries are used only when `processImagePath` is a system binary (under `/System/` or\n\
         `/usr/`, not `/usr/local/`) and `userID`, where present, is below 500 (root or a system\n\
         role account; local users start at 501); mdmclient lines of a local user are the user\n\
         channel, counted apart. Every other entry is counted as rejected and never used: any\n\
         process can log under a name or subsystem it chooses.\n",
    );
    for (stream, title) in [
        (LogStream::Mdmclient, "mdmclient"),
        (LogStream::SoftwareUpdate, "softwareupdated"),
        (LogStream::Apsd, "apsd (Apple push)"),
    ] {
        let probe = stream.probe_id();
        out.push_str(&format!(
            "
## {title} (probe `{probe}`)\n\n| id | needle | meaning | level | provenance |\n|---|---|---|---|---|\n"
        ));
        for p in PATTERNS.iter().filter(|p| p.stream == stream) {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} |\n",
                p.id,
                p.needle.replace('|', "\\|"),
                p.meaning.replace('|', "\\|"),
                p.level,
                provenance_cell(p.provenance).replace('|', "\\|")
            ));
        }
    }
    out.push_str(VERSIONS);
    out
}

/// Which macOS versions the rules built on these patterns cover, and how 27 differs.
const VERSIONS: &str = "
## The rules by macOS version (15, 26, 27)

| rule | 15 | 26 | 27 |
|---|---|---|---|
| mdmclient liveness (`mdm.*`: exchanges, receipts, wedged client) | yes | yes | yes (same text assumed; the commands it carries change, not the channel) |
| Addigy's software-update rule (mdmclient stuck on ScheduleOSUpdate and kin) | yes | yes (commands deprecated) | never fires: the commands are removed (`addigy_command_rule` says so) |
| softwareupdated progress and stall (`su.progress`; `APPLYING`, `READY`, `DOWNLOADED_UPDATE`, `(end)` terminal) | yes | yes | yes |
| softwareupdated signs of life (`su.scan_*`, `su.client_added`, `su.background_checkin`, `su.ddm_*`) | yes | yes (26.x DDM wording `Found currently applicable declaration`) | yes (26's wording assumed) |
| DDM stuck rule (`softwareupdate.ddm`: deadline + grace, failure reason, declaration missing or invalid, not offered, stalled) | 14+ | yes | yes: the only source of `MDMSoftwareUpdatesStuck` beside a stalled install |
| `Reporting status` blocks (install-state, failure reason) | 14+ | yes | yes |

softwareupdated's DDM lines were seen by admins in `/var/log/install.log`; mdmwatch reads them
there (probe `install_log`, the window's lines only) and also asks the unified log for the same
needles. install.log text names causes and counts as activity; it never makes heal act (any
process that can write the file could forge it).
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_named_by_stream() {
        for (i, p) in PATTERNS.iter().enumerate() {
            assert!(
                PATTERNS[i + 1..].iter().all(|q| q.id != p.id),
                "duplicate {}",
                p.id
            );
            let prefix = match p.stream {
                LogStream::Mdmclient => "mdm.",
                LogStream::SoftwareUpdate => "su.",
                LogStream::Apsd => "apsd.",
            };
            assert!(p.id.starts_with(prefix), "{}", p.id);
            assert!(!p.needle.is_empty() && !p.needle.contains('"'), "{}", p.id);
        }
    }

    #[test]
    fn the_document_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/LOG-PATTERNS.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            doc == markdown(),
            "docs/LOG-PATTERNS.md is out of date: run `cargo run --example log_patterns > docs/LOG-PATTERNS.md`"
        );
    }
}
