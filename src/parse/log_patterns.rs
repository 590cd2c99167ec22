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
    pub(crate) fn is_verified(self) -> bool {
        !matches!(self, Provenance::Unverified { .. })
    }
}

/// One message pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// Stable name, used in evidence and the report (`mdm.http_response`).
    pub id: &'static str,
    pub stream: LogStream,
    /// The case-sensitive text the classifier and the `log show` predicate look for.
    pub needle: &'static str,
    /// Where in the message the needle must stand.
    pub format: Format,
    /// The `category` real lines of this pattern carry; an entry of another category is not
    /// evidence. Empty where no real line shows one.
    pub categories: &'static [&'static str],
    /// What a line of this pattern means to the rules.
    pub meaning: &'static str,
    /// The `log` level (Type column) the real lines were logged at, or "unknown".
    pub level: &'static str,
    pub provenance: Provenance,
}

/// Where a pattern's needle must stand in a message. Root acts on these lines, and a daemon may
/// log text a user chose (a profile's display name, a `softwareupdate` label argument) inside its
/// own messages: a needle found anywhere is not the daemon's own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The needle begins the message, after the daemon's own leader as real lines show it
    /// (see `leader_ends`): markers `[*] `/`[ERROR] `, then at most one owner token
    /// (`[0:MDMDaemon:HTTPUtil:<0x6c0d>] `, `[SUMacControllerProgressManager] `,
    /// `-[Class selector:]_block_invoke: `, `<APSCourierConnectionManager: 0x…; production>: `,
    /// `6d41b000 : `), then at most one arrow `>>>>> `/`<<<<< `. Text after the owner token is the
    /// message proper: a user's `[a] Processing server request` there is never a receipt.
    Leading,
    /// The message begins with `prefix` (the daemon's own format, such as `[FSM(`) and the needle
    /// follows somewhere after it: for state-machine lines whose needle stands mid-line.
    Within { prefix: &'static str },
    /// Anywhere in the message: no real line shows where it stands. Such a pattern is unverified
    /// or context only and never grounds heal (see `heal::plan`).
    Anywhere,
}

/// Markers skipped before the owner token (`[*] [0:MDMDaemon…]`, `[ERROR] [0:MDMDaemon…]`).
const MAX_MARKERS: usize = 2;

/// Every offset in `msg` where a [`Format::Leading`] needle may begin: 0, after each marker,
/// after the owner token, and after one arrow.
pub(crate) fn leader_ends(msg: &str) -> impl Iterator<Item = usize> + '_ {
    // A fixed array, not a Vec: this runs for every Leading pattern tried on every message.
    let mut out = [None; MAX_MARKERS + 3];
    out[0] = Some(0);
    let mut n = 1;
    let mut rest = msg;
    let at = |rest: &str| msg.len() - rest.len();
    for _ in 0..MAX_MARKERS {
        match strip_marker(rest) {
            Some(r) => {
                rest = r;
                out[n] = Some(at(rest));
                n += 1;
            }
            None => break,
        }
    }
    // A third marker is not an owner token: real lines carry at most two.
    if let Some(r) = strip_marker(rest).map_or_else(|| strip_owner(rest), |_| None) {
        rest = r;
        out[n] = Some(at(rest));
        n += 1;
    }
    if let Some(r) = strip_arrow(rest) {
        out[n] = Some(at(r));
    }
    out.into_iter().flatten()
}

/// `[*] ` or `[ERROR] `, and the spaces after it.
fn strip_marker(msg: &str) -> Option<&str> {
    ["[*]", "[ERROR]"]
        .iter()
        .find_map(|m| msg.strip_prefix(m))
        .filter(|r| r.starts_with(' '))
        .map(|r| r.trim_start_matches(' '))
}

/// `>>>>>`/`<<<<<` (three or more), and the spaces after it.
fn strip_arrow(msg: &str) -> Option<&str> {
    let c = *msg.as_bytes().first()?;
    if c != b'>' && c != b'<' {
        return None;
    }
    let n = msg.bytes().take_while(|x| *x == c).count();
    (n >= 3).then(|| msg[n..].trim_start_matches(' '))
}

/// The rest of `msg` after the daemon's owner token (and the spaces after it), or `None` when
/// `msg` does not begin with one. Tokens, as real lines show them
/// (tests/fixtures/logs-real/LINES.md): a bracket group `[...]` (nested brackets allowed, as in
/// `[FSM(scan[0BD2448F])]`); an Objective-C method `-[...]`/`+[...]` with an optional
/// `_block_invoke` and `:`; an object description `<...>` with an optional `:`; a hexadecimal
/// id followed by ` :`.
fn strip_owner(msg: &str) -> Option<&str> {
    let b = msg.as_bytes();
    let end = match b.first()? {
        b'[' => bracket_end(b, 0)?,
        b'-' | b'+' if b.get(1) == Some(&b'[') => {
            let mut e = bracket_end(b, 1)?;
            if msg[e..].starts_with("_block_invoke") {
                e += "_block_invoke".len();
                while b.get(e).is_some_and(u8::is_ascii_digit) {
                    e += 1;
                }
            }
            if b.get(e) == Some(&b':') {
                e += 1;
            }
            e
        }
        // `<APSCourierConnectionManager: 0x1036e3710; production>: ` (apsd, Der Flounder 2026),
        // `<private>: `: an object description, then an optional `:`.
        b'<' if b.get(1) != Some(&b'<') => {
            let mut e = memchr::memchr(b'>', b)? + 1;
            if b.get(e) == Some(&b':') {
                e += 1;
            }
            e
        }
        c if c.is_ascii_hexdigit() => {
            let n = b.iter().take_while(|x| x.is_ascii_hexdigit()).count();
            if !msg[n..].starts_with(" :") {
                return None;
            }
            n + 2
        }
        _ => return None,
    };
    Some(msg[end..].trim_start_matches(' '))
}

/// The index after the `]` that closes the `[` at `open` (nesting counted), if any.
fn bracket_end(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in b.iter().enumerate().skip(open) {
        match c {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

impl Pattern {
    /// Where this pattern's needle ends in `msg` when `msg` is of this pattern's [`Format`]; the
    /// classifiers parse the fields from there.
    pub fn find(&self, msg: &str) -> Option<usize> {
        match self.format {
            Format::Leading => leader_ends(msg)
                .find(|&i| msg[i..].starts_with(self.needle))
                .map(|i| i + self.needle.len()),
            Format::Within { prefix } => {
                if !msg.starts_with(prefix) {
                    return None;
                }
                memchr::memmem::find(&msg.as_bytes()[prefix.len()..], self.needle.as_bytes())
                    .map(|i| prefix.len() + i + self.needle.len())
            }
            Format::Anywhere => memchr::memmem::find(msg.as_bytes(), self.needle.as_bytes())
                .map(|i| i + self.needle.len()),
        }
    }
}

/// A daemon whose entries are evidence for a stream: its exact image path and the uids it runs
/// as. Any process can log under a process name or subsystem it chooses, and a system binary that
/// is not the daemon (ManagedClient, `sudo`, `logger`) logs text a user chose; so an entry is
/// used only when its `processImagePath` is exactly one of these and its `userID` is one of the
/// listed uids (root, or the daemon's own role account, which only root can run as).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub stream: LogStream,
    pub image_path: &'static str,
    pub uids: &'static [i64],
    /// A local user's (uid >= 501) entries from this binary are the user channel (mdmclient's
    /// per-user agent), counted apart, never evidence of the device channel.
    pub user_channel: bool,
    /// Where the path (and the uid) was seen in public text.
    pub seen: &'static str,
}

/// First uid of a local user account on macOS (501); lower ones are root and role accounts.
pub(crate) const FIRST_LOCAL_USER_UID: i64 = 501;

/// Every daemon whose entries are evidence, per stream (macOS 15, 26, 27). The `log show`
/// predicates select exactly these paths (`processImagePath == "…"`), so other entries never
/// reach the reader or its output budget. Not listed, so never evidence: UpdateBrainService (it
/// runs from a downloaded asset; public osquery rules show it under `/tmp/UpdateBrain-*/`, a
/// path a user can create).
pub const SOURCES: &[Source] = &[
    Source {
        stream: LogStream::Mdmclient,
        image_path: "/usr/libexec/mdmclient",
        uids: &[0],
        user_channel: true,
        seen: "tests/fixtures/logs-real/LINES.md: Macjutsu/super example logs (uid 0, `[0:MDMDaemon…]`), jamf-protect PR 91 (agent, uid 501, `[501:MDMAgent…]`); Der Flounder 2024 (macOS 15)",
    },
    Source {
        stream: LogStream::SoftwareUpdate,
        image_path: "/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated",
        // `_softwareupdate` (200); root kept for builds that run it as root.
        uids: &[0, 200],
        user_channel: false,
        seen: "`ps` listings in public repositories (user `_softwareupdate`); install.log `PackageKit: Adding client PKInstallDaemonClient pid=536, uid=200 (/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated)`; blacktop/ipsw-diffs entitlements of this path",
    },
    Source {
        stream: LogStream::SoftwareUpdate,
        image_path: "/System/Library/PrivateFrameworks/RemoteManagement.framework/XPCServices/SoftwareUpdateSubscriber.xpc/Contents/MacOS/SoftwareUpdateSubscriber",
        // `_rmd` (277, /etc/passwd "Remote Management Daemon").
        uids: &[0, 277],
        user_channel: false,
        seen: "a public `pstree` listing (`_rmd …/RemoteManagement.framework/XPCServices/SoftwareUpdateSubscriber.xpc/Contents/MacOS/SoftwareUpdateSubscriber`) and blacktop/ipsw-diffs (macOS); `_rmd:*:277` in public /etc/passwd copies",
    },
    Source {
        stream: LogStream::SoftwareUpdate,
        image_path: "/usr/libexec/remotemanagementd",
        // The device's DDM daemon; `_rmd` (277) or root. Its per-user instance (a local user's
        // uid) is not evidence.
        uids: &[0, 277],
        user_channel: false,
        seen: "the path in public hash-check scripts of macOS system binaries; FIELD-NOTES: status blocks are logged under subsystem com.apple.remotemanagement on some builds",
    },
    Source {
        stream: LogStream::Apsd,
        image_path: "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd",
        uids: &[0],
        user_channel: false,
        seen: "`ps` listings and blacktop/ipsw-diffs; Der Flounder 2026 (category com.apple.apsd:courier, macOS 26)",
    },
];

/// The evidence sources of one stream.
pub fn sources(stream: LogStream) -> impl Iterator<Item = &'static Source> {
    SOURCES.iter().filter(move |s| s.stream == stream)
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
        format: Format::Leading,
        categories: &["HTTPUtil"],
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
        format: Format::Leading,
        categories: &["HTTPUtil"],
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
        format: Format::Leading,
        categories: &["MDMDaemon"],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Leading,
        categories: &["SU"],
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
        format: Format::Leading,
        categories: &["ScanManager"],
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
        format: Format::Within { prefix: "[FSM(" },
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Within { prefix: "[FSM(" },
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Within { prefix: "[SPI] " },
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Anywhere,
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
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
        format: Format::Within { prefix: "Product " },
        categories: &[],
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
        format: Format::Leading,
        categories: &[],
        meaning: "a DDM status block (softwareupdate.install-state, pending-version, failure-reason)",
        level: "unknown",
        provenance: Provenance::Unverified {
            why: "no public line; admins' scripts extract `Reporting status {` blocks of SoftwareUpdateSubscriber, and the keys are Apple's DDM schema (apple/device-management). From the daemon's exact path and uid, matched where it begins: its items may withhold heal and decide causes heal stands down for (a failure reason, a missing or stale declaration) and MDMSoftwareUpdatesStuck, never a restart ground",
        },
    },
    // ---- apsd (Apple push)
    Pattern {
        id: "apsd.connected",
        stream: LogStream::Apsd,
        needle: "Connected to courier",
        format: Format::Leading,
        categories: &["courier"],
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
        needle: "APSBAAClientIdentityProvider failed to obtain a BAA cert",
        format: Format::Leading,
        categories: &["courier", "stream"],
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
        format: Format::Leading,
        categories: &[],
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
pub(crate) fn needles(stream: LogStream) -> Vec<&'static str> {
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
         ## The evidence rule\n\n\
         Any process can log under a process name or subsystem it chooses, and a system binary\n\
         that is not the daemon (ManagedClient, `sudo`, `logger`) logs text a user chose. So an\n\
         entry is evidence only when all of these hold (macOS 15, 26, 27):\n\n\
         1. its `processImagePath` is **exactly** one of the stream's daemons below (not a prefix,\n\
            not `/System/Volumes/…`);\n\
         2. it has a `userID` and that uid is one the daemon runs as (root or its own role\n\
            account). `log show --style json` prints `userID` on every entry on these versions\n\
            (public output of 2025 and 2026; not among the fields of 10.13-10.15); an entry\n\
            without one is not evidence. mdmclient lines of a local user (uid >= 501)\n\
            are the user channel, counted apart;\n\
         3. its `category`, when it names one, is the pattern's where real lines show one\n\
            (`HTTPUtil`, `MDMDaemon`, `SU`, `ScanManager`, `courier`);\n\
         4. its message is the pattern's format **where it begins**: `leading` means the needle\n\
            starts the message after the daemon's own leader: markers, one owner token, an arrow (`[*] `,\n\
            `[0:MDMDaemon:HTTPUtil:<0x6c0d>] `, `<<<<< `, `[SUMacControllerProgressManager] `,\n\
            `-[Class selector:]_block_invoke: `, `<APSCourierConnectionManager: …>: `,\n\
            `6d41b000 : `); `within PREFIX` means the message\n\
            begins with PREFIX and the needle follows; `anywhere` patterns are unverified or\n\
            context only and never ground heal. After the daemon's owner token only an\n\
            arrow may stand before the needle. Fields (`phase:`, `stalled:`, the HTTP status)\n\
            are read from their own position after the needle, never from elsewhere in the line.\n\n\
         The `log show` predicate of each probe selects the same image paths\n\
         (`processImagePath == \"…\"`), so other entries never reach the reader nor its output\n\
         budget. Every other entry that reaches it is counted as rejected and never used.\n\n\
         | stream | image path | uids | seen |\n|---|---|---|---|\n",
    );
    for src in SOURCES {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            src.stream.probe_id(),
            src.image_path,
            src.uids
                .iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
                .join(", ")
                + if src.user_channel {
                    " (local users: user channel)"
                } else {
                    ""
                },
            src.seen.replace('|', "\\|")
        ));
    }
    for (stream, title) in [
        (LogStream::Mdmclient, "mdmclient"),
        (LogStream::SoftwareUpdate, "softwareupdated"),
        (LogStream::Apsd, "apsd (Apple push)"),
    ] {
        let probe = stream.probe_id();
        out.push_str(&format!(
            "
## {title} (probe `{probe}`)\n\n| id | needle | format | category | meaning | level | provenance |\n|---|---|---|---|---|---|---|\n"
        ));
        for p in PATTERNS.iter().filter(|p| p.stream == stream) {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} | {} | {} |\n",
                p.id,
                p.needle.replace('|', "\\|"),
                match p.format {
                    Format::Leading => "leading".to_string(),
                    Format::Within { prefix } => format!("within `{prefix}`"),
                    Format::Anywhere => "anywhere".to_string(),
                },
                if p.categories.is_empty() {
                    "any".to_string()
                } else {
                    p.categories
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
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
| `Reporting status` blocks (install-state, failure reason, pending version with its deadline) | 14+ | yes | yes |

softwareupdated's DDM lines were seen by admins in `/var/log/install.log`; mdmwatch reads them
there (probe `install_log`, the window's lines only) and also asks the unified log for the same
needles. That text counts as activity and names causes, but never decides one: install.log is
written by any process that can send to syslogd, and the DDM needles are matched anywhere in a
message (no whole line is published, and a daemon may echo a user's label), so a declaration they
show, `Removed N invalid declarations` (unverified wording) and `No updates found for DDM to
enforce` are listed under `softwareupdate.ddm`'s `facts.unconfirmed` and in its summary; they
never fail the check, set `MDMSoftwareUpdatesStuck` or change what heal may do. A missing or
stale declaration is decided from the device's own DDM status (the pending version with its
deadline). A padded retry date delays the stuck verdict only when logged after the deadline, at
most 24 h ahead of its own line and at most 72 h after the deadline.
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

    /// Real leaders are skipped; a user's words, or a second bracket after the daemon's owner
    /// token, are not.
    #[test]
    fn leading_needles_stand_after_the_daemons_own_leader() {
        let receipt = by_id("mdm.command_receipt");
        let response = by_id("mdm.http_response");
        let progress = by_id("su.progress");
        let connected = by_id("apsd.connected");
        let cases: &[(&Pattern, &str, bool)] = &[
            (receipt, "[*] [0:MDMDaemon:<0x4d0d>] Processing server request: X for: <Device>", true),
            (receipt, "Processing server request: InstallApplication for: <Device>", true),
            (receipt, "[0:MDMDaemon:<0x1>] [a] Processing server request: X", false),
            (receipt, "[*] [0:MDMDaemon:<0x1>] Profile: Processing server request: X", false),
            (receipt, "Profile display name: Processing server request: Anything", false),
            (receipt, "[*] [*] [*] Processing server request: X", false),
            (response, "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (200) [Idle] <<<<<", true),
            (response, "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< <<<<< Received HTTP response (200)", false),
            (progress, "[SUMacControllerProgressManager] Reported progress (inter): phase:X stalled:NO", true),
            (progress, "no product matches label 'x Reported progress phase:Y stalled:YES '", false),
            (progress, "[SUMacControllerProgressManager] [x] Reported progress (inter): phase:X", false),
            (connected, "<APSCourierConnectionManager: 0x1036e3710; production>: Connected to courier 18-courier.push.apple.com", true),
            (connected, "<private>: user said Connected to courier x", false),
        ];
        for (p, msg, want) in cases {
            assert_eq!(p.find(msg).is_some(), *want, "{} / {msg}", p.id);
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
