//! What the softwareupdated log says: scans, download/prepare/apply progress with its explicit
//! `stalled:YES|NO` field, enforced-update scheduling, and the DDM "Reporting status" blocks (kept
//! as raw text; parsed by `ddm_status`).
//!
//! Every shape is a pattern of `log_patterns` with its provenance. Real progress lines
//! (Macjutsu/super's example logs, macOS 12.3–13.x) read
//! `[SUMacControllerProgressManager] Reported progress (inter): phase:PREPARING_UPDATE stalled:NO portionComplete:0.720266 estimatedTimeRemaining:-1.000000`
//! and `[Progress] Scan reported progress (start): phase:COMPLETE stalled:NO portionComplete:100.000000`.
//! Failure words are deliberately not classified: ordinary softwareupdated logs are full of
//! "Failed…"/"error…" lines (bridge-device lookups, package checks, catalog retries), so only
//! explicit states count (`stalled:YES`, a failure reason in a status block, progress that stops).

use chrono::{DateTime, FixedOffset};
use std::collections::VecDeque;
use std::io::Read;

use super::log_ndjson::LogEntry;
use super::log_patterns::{self, LogStream, Pattern};
use super::log_summary::{self, clip, Classified, Event, LogSummary};

/// Status reports kept (the newest).
pub(crate) const MAX_STATUS_REPORTS: usize = 20;
/// Relevant events kept (the newest).
pub const MAX_EVENTS: usize = 200;
/// A status block larger than this is kept cut (and then fails to parse downstream, as it should).
pub(crate) const MAX_STATUS_CHARS: usize = 64 * 1024;

/// The message of an entry containing a `Reporting status {` block, verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusReport {
    pub timestamp: String,
    pub time: Option<DateTime<FixedOffset>>,
    pub process: String,
    pub text: String,
}

/// What a progress phase means for heal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhaseClass {
    /// A job in flight: accepted, preflight, downloading, preparing, applying.
    Installing,
    /// Prepared and waiting (for the apply job, a restart, a deadline or the user): nothing to
    /// stall, but the prepared update must not be disturbed.
    Prepared,
    /// A job or a scan finished (`COMPLETED` ends one job of an update, not the update; a scan
    /// ends with `COMPLETE`).
    Complete,
    /// A phase the job does not report progress past, so silence after it is not a stall:
    /// `APPLYING` (the Mac restarts into the installer right after it: real update logs,
    /// Macjutsu/super example logs 44a5e1a/ad1495a, macOS 12.x-13.x), `READY` and
    /// `DOWNLOADED_UPDATE` (a job that ends mid-phase). An `(end)` line of any install phase is
    /// read the same way by `checks::liveness` ([`Progress::end`]). Covers macOS 14, 15, 26 and 27
    /// (the progress line has kept this shape; no later wording is published).
    Terminal,
    /// No phase printed.
    Other,
}

/// Classifies a phase name as printed. Real phases (Macjutsu/super example logs, 12.x–13.x):
/// ACCEPTED, RELOADING_*, DOWNLOADING_UPDATE_BRAIN, PREFLIGHT_*, DOWNLOADING_SFR,
/// DOWNLOADING_UPDATE, DOWNLOADED_UPDATE, PREPARING_UPDATE, PREPARED, COMPLETED,
/// PREPARED_COMMITTING_STASH, APPLYING, READY. A name not seen yet counts as a job in flight,
/// which can only withhold heal or, after the stall time, call it stalled.
pub(crate) fn phase_class(phase: &str) -> PhaseClass {
    match phase.to_ascii_uppercase().as_str() {
        "" => PhaseClass::Other,
        "PREPARED" => PhaseClass::Prepared,
        "COMPLETE" | "COMPLETED" => PhaseClass::Complete,
        "APPLYING" | "READY" | "DOWNLOADED_UPDATE" => PhaseClass::Terminal,
        _ => PhaseClass::Installing,
    }
}

/// One `Reported progress` / `Scan reported progress` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub phase: String,
    /// The explicit field; `None` when the line did not print it.
    pub stalled: Option<bool>,
    /// `portionComplete` as printed (0–1 for installs, 0–100 for scans in the real lines).
    pub portion: Option<f64>,
    /// The line is `Reported progress (end): ...`: the job says the phase is over.
    pub end: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SuEventKind {
    /// Update progress (download/prepare/apply).
    Progress(Progress),
    /// Scan progress; phase COMPLETE is a finished scan.
    ScanProgress(Progress),
    /// A scan started, or the catalog is being fetched: softwareupdated is working.
    Activity,
    /// Prepare progress without a phase field (`| PrepareUpdate | PROGRESS`, `Cryptex patch
    /// progress: 17%`): an install is in flight.
    PrepareProgress { percent: Option<u8> },
    /// Enforced (DDM) update scheduling or enforcement.
    Enforcement,
    /// A `Reporting status {` block; `install_state` is `softwareupdate.install-state` if present.
    StatusReport { install_state: Option<String> },
}

pub(crate) type SuEvent = Event<SuEventKind>;

/// The softwareupdated log: the generic summary plus the status blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuLog {
    pub summary: LogSummary<SuEventKind>,
    /// Newest last; bounded.
    pub status_reports: Vec<StatusReport>,
}

impl SuLog {
    pub fn events(&self) -> &[SuEvent] {
        &self.summary.events
    }
}

/// The fields of a progress line, each read from its own position right after the needle:
/// ` (<stage>): phase:<P> stalled:<YES|NO> portionComplete:<F> …` (the real lines, Macjutsu/super
/// example logs, macOS 12–13; the format is unchanged in the 15 era reports). A field not where
/// it belongs is absent: text elsewhere in the line (a label a user chose) is never read.
fn progress_at(msg: &str, end: usize) -> Progress {
    let none = Progress {
        phase: String::new(),
        stalled: None,
        portion: None,
        end: false,
    };
    let Some(rest) = msg[end..].strip_prefix(" (") else {
        return none;
    };
    let Some(close) = rest.find("):") else {
        return none;
    };
    let stage = &rest[..close];
    if stage.is_empty() || !stage.bytes().all(|b| b.is_ascii_alphabetic()) {
        return none;
    }
    let mut tokens = rest[close + 2..].split(' ').filter(|t| !t.is_empty());
    let Some(phase) = tokens.next().and_then(|t| t.strip_prefix("phase:")) else {
        return none;
    };
    let stalled_tok = tokens.next().and_then(|t| t.strip_prefix("stalled:"));
    let portion = match stalled_tok {
        Some(_) => tokens
            .next()
            .and_then(|t| t.strip_prefix("portionComplete:"))
            .and_then(|v| v.parse::<f64>().ok()),
        None => None,
    };
    Progress {
        phase: phase.to_string(),
        stalled: match stalled_tok {
            Some("YES") => Some(true),
            Some("NO") => Some(false),
            _ => None,
        },
        portion,
        end: stage == "end",
    }
}

/// `: NN%` right after the needle (`Cryptex patch progress: 17%`).
fn percent_at(msg: &str, end: usize) -> Option<u8> {
    let rest = msg[end..].strip_prefix(':')?.trim_start_matches(' ');
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 3 || !rest[n..].starts_with('%') {
        return None;
    }
    rest[..n].parse::<u8>().ok().filter(|p| *p <= 100)
}

/// `"softwareupdate.install-state" = installing;` (also `= { ... = installing; }` and quoted values).
pub fn install_state(text: &str) -> Option<String> {
    const KEY: &str = "softwareupdate.install-state";
    let i = text.find(KEY)?;
    let rest = &text[i + KEY.len()..];
    let rest = rest.trim_start_matches('"').trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = match rest.strip_prefix('{') {
        // A nested dictionary: take its first `key = value;`.
        Some(inner) => {
            let eq = inner.find('=')?;
            inner[eq + 1..].trim_start()
        }
        None => rest,
    };
    let end = rest.find([';', '}', '\n']).unwrap_or(rest.len());
    let v = rest[..end].trim().trim_matches('"').trim();
    (!v.is_empty()).then(|| v.to_string())
}

const P_STATUS: &Pattern = log_patterns::by_id("su.status_report");
const P_SCAN_PROGRESS: &Pattern = log_patterns::by_id("su.scan_progress");
const P_PROGRESS: &Pattern = log_patterns::by_id("su.progress");
const P_PREPARE: &Pattern = log_patterns::by_id("su.prepare_progress");
const P_CRYPTEX: &Pattern = log_patterns::by_id("su.cryptex_progress");
const P_DDM_SCHEDULED: &Pattern = log_patterns::by_id("su.ddm_scheduled");
const P_DDM_ENFORCING: &Pattern = log_patterns::by_id("su.ddm_enforcing");
const ACTIVITY: [&Pattern; 7] = [
    log_patterns::by_id("su.scan_started"),
    log_patterns::by_id("su.catalog_download"),
    log_patterns::by_id("su.catalog_fsm"),
    log_patterns::by_id("su.scan_catalog"),
    log_patterns::by_id("su.client_added"),
    log_patterns::by_id("su.background_checkin"),
    log_patterns::by_id("su.product_deferred"),
];
/// softwareupdated evaluating its DDM declarations (macOS 14-26 wording, see the table): signs
/// of life and of DDM driving an update, like the scheduling and enforcement lines.
const DDM_EVALUATION: [&Pattern; 5] = [
    log_patterns::by_id("su.ddm_applicable"),
    log_patterns::by_id("su.ddm_declaration"),
    log_patterns::by_id("su.ddm_padded"),
    log_patterns::by_id("su.ddm_invalid_removed"),
    log_patterns::by_id("su.ddm_nothing_to_enforce"),
];

/// What one message is, and by which pattern, if it matters to the software-update checks.
/// The first shape found in this order wins; each is its pattern's needle where the table's
/// `Format` says it stands (`[SUMacControllerProgressManager] Reported progress (inter): …`
/// begins the message after the daemon's tag), and fields are read from their own position.
pub(crate) fn classify(msg: &str) -> Option<Classified<SuEventKind>> {
    use SuEventKind as K;
    if P_STATUS
        .find(msg)
        .is_some_and(|end| msg[end..].trim_start().starts_with('{'))
    {
        return Some(Classified::of(
            K::StatusReport {
                install_state: install_state(msg),
            },
            P_STATUS,
        ));
    }
    if let Some(end) = P_SCAN_PROGRESS.find(msg) {
        return Some(Classified::of(
            K::ScanProgress(progress_at(msg, end)),
            P_SCAN_PROGRESS,
        ));
    }
    if let Some(end) = P_PROGRESS.find(msg) {
        return Some(Classified::of(
            K::Progress(progress_at(msg, end)),
            P_PROGRESS,
        ));
    }
    if P_PREPARE.find(msg).is_some() {
        return Some(Classified::of(
            K::PrepareProgress { percent: None },
            P_PREPARE,
        ));
    }
    if let Some(end) = P_CRYPTEX.find(msg) {
        return Some(Classified::of(
            K::PrepareProgress {
                percent: percent_at(msg, end),
            },
            P_CRYPTEX,
        ));
    }
    if P_DDM_SCHEDULED.find(msg).is_some() {
        return Some(Classified::of(K::Enforcement, P_DDM_SCHEDULED));
    }
    if P_DDM_ENFORCING.find(msg).is_some() {
        return Some(Classified::of(K::Enforcement, P_DDM_ENFORCING));
    }
    if let Some(&p) = DDM_EVALUATION.iter().find(|p| p.find(msg).is_some()) {
        return Some(Classified::of(K::Enforcement, p));
    }
    ACTIVITY
        .iter()
        .find(|p| p.find(msg).is_some())
        .map(|&p| Classified::of(K::Activity, p))
}

/// The needles of the softwareupdated patterns (the predicate).
pub fn markers() -> Vec<&'static str> {
    log_patterns::needles(LogStream::SoftwareUpdate)
}

/// Streams the log and folds it into a [`SuLog`].
pub fn summarize<R: Read>(reader: R) -> Result<SuLog, String> {
    summarize_bounded(reader, MAX_EVENTS)
}

/// [`summarize`] with another bound on the kept events (the property tests use small ones).
#[doc(hidden)]
pub(crate) fn summarize_bounded<R: Read>(reader: R, max_events: usize) -> Result<SuLog, String> {
    let mut reports: VecDeque<StatusReport> = VecDeque::new();
    // softwareupdated and its subscriber run as root or a role account (`log_patterns::SOURCES`):
    // the same binary run by a local user proves nothing about the system's updates.
    let summary = log_summary::summarize(
        reader,
        max_events,
        LogStream::SoftwareUpdate,
        |e: &LogEntry<'_>| classify(e.message),
        |e, c| keep_report(&mut reports, e, c),
    )?;
    Ok(SuLog {
        summary,
        status_reports: reports.into(),
    })
}

/// The `on_kept` of the fold: status blocks, verbatim, the newest [`MAX_STATUS_REPORTS`].
pub(crate) fn keep_report(
    reports: &mut VecDeque<StatusReport>,
    e: &LogEntry<'_>,
    c: &Classified<SuEventKind>,
) {
    if matches!(c.kind, SuEventKind::StatusReport { .. }) {
        if reports.len() == MAX_STATUS_REPORTS {
            reports.pop_front();
        }
        reports.push_back(StatusReport {
            timestamp: e.timestamp.to_string(),
            time: e.time,
            process: e.process.to_string(),
            text: clip(e.message, MAX_STATUS_CHARS),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(msg: &str) -> Option<(SuEventKind, &'static str)> {
        classify(msg).map(|c| (c.kind, c.pattern.id))
    }

    fn progress(phase: &str, stalled: Option<bool>, portion: Option<f64>) -> Progress {
        Progress {
            phase: phase.into(),
            stalled,
            portion,
            end: false,
        }
    }

    #[test]
    fn classify_shapes() {
        use SuEventKind as K;
        let cases: Vec<(&str, Option<(SuEventKind, &str)>)> = vec![
            // Verbatim shapes (Macjutsu/super example logs).
            ("[SUMacControllerProgressManager] Reported progress (inter): phase:PREPARING_UPDATE stalled:NO portionComplete:0.720266 estimatedTimeRemaining:-1.000000",
             Some((K::Progress(progress("PREPARING_UPDATE", Some(false), Some(0.720266))), "su.progress"))),
            ("[Progress] Scan reported progress (start): phase:COMPLETE stalled:NO portionComplete:100.000000",
             Some((K::ScanProgress(progress("COMPLETE", Some(false), Some(100.0))), "su.scan_progress"))),
            ("Reported progress (inter): phase:DOWNLOADING_UPDATE stalled:YES portionComplete:0.1 totalWrittenBytes:1 totalExpectedBytes:9",
             Some((K::Progress(progress("DOWNLOADING_UPDATE", Some(true), Some(0.1))), "su.progress"))),
            ("Reported progress (inter): phase:", Some((K::Progress(progress("", None, None)), "su.progress"))),
            // Addigy's talk (macOS 13.5), re-joined onto one line as ndjson carries them.
            ("[FSM(SUMacControllerScanManager)] >S> ScanReadyToBegin >E> ScanForSUUpdates >N> ScanningForSoftwareUpdates >A> ScanForSoftwareUpdates info:[>>> Version(scanUUID:0BD2448F|scanFailed:NO)", Some((K::Activity, "su.scan_started"))),
            ("[FSM(scan[0BD2448F])] >S> Idle >E> CheckForAvailableUpdate >N> DownloadingSUCatalog >A> DownloadSUCatalog", Some((K::Activity, "su.catalog_fsm"))),
            ("[scan]startCatalogDownload... (su)", Some((K::Activity, "su.catalog_download"))),
            ("[SPI] perform_prepare_command | PrepareUpdate | PROGRESS (Continue) | state:<private>", Some((K::PrepareProgress { percent: None }, "su.prepare_progress"))),
            ("6d41b000 : Cryptex patch progress: 17%", Some((K::PrepareProgress { percent: Some(17) }, "su.cryptex_progress"))),
            ("-[SUOSUManagedServiceDaemon scheduleEnforcedManagedUpdateWithVersion:forDate:withOptions:completion:]_block_invoke: Posted DDM notification with success: YES", Some((K::Enforcement, "su.ddm_scheduled"))),
            ("SUScan: Using catalog https://swscan.apple.com/content/catalogs/others/index-10.15.merged-1.sucatalog.gz", Some((K::Activity, "su.scan_catalog"))),
            // install.log text (openzfsonosx/zfs#810, chris1111/Wireless-USB-Big-Sur-Adapter#13).
            ("Adding client SUUpdateServiceClient pid=1049, uid=501, installAuth=NO rights=(), transactions=0 (/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Versions/A/Resources/SoftwareUpdateNotificationManager.app/Contents/MacOS/SoftwareUpdateNotificationManager)", Some((K::Activity, "su.client_added"))),
            ("BackgroundActivity: Activity check-in with Interval 21600 ", Some((K::Activity, "su.background_checkin"))),
            // install.log text of a 14-era scan (yorevs/homesetup's taylor-tool output, 2023-12-28).
            ("Product 052-14528 is deferred until 2024-03-10 08:00:00 +0000", Some((K::Activity, "su.product_deferred"))),
            // DDM evaluation wording of 15-26 (needles from admins' parsers).
            ("declarationFromKeys]: Found currently applicable declaration |EnforcedInstallDate:2026-11-18T17:00:00|VersionString:27.1|BuildVersionString:(null)|", Some((K::Enforcement, "su.ddm_applicable"))),
            (concat!("setPastDuePaddedEnforcementDate is set", ": Thu Nov 19 08:59:56 2026"), Some((K::Enforcement, "su.ddm_padded"))),
            // A user's label inside another message is not the daemon's line.
            ("Adding product label Adding client SUUpdateServiceClient", None),
            // Failure words are not evidence.
            ("[FSM(SUMacControllerScanManager)] >S> ScanningForSoftwareUpdates >E> ScanFailed >N> ScanReadyToBegin", None),
            ("Error Domain=SUErrorDomain Code=1", None),
            ("QueryNeRDUpdate completed with updateAttributes: (null) required:NO error:(null)", None),
            ("Reporting status {\n    \"softwareupdate.install-state\" = installing;\n}", Some((K::StatusReport { install_state: Some("installing".into()) }, "su.status_report"))),
            ("", None),
        ];
        for (msg, want) in cases {
            assert_eq!(kind(msg), want, "{msg}");
        }
    }

    #[test]
    fn phases() {
        for (p, want) in [
            ("PREPARING_UPDATE", PhaseClass::Installing),
            ("DOWNLOADING_UPDATE", PhaseClass::Installing),
            ("APPLYING", PhaseClass::Terminal),
            ("READY", PhaseClass::Terminal),
            ("DOWNLOADED_UPDATE", PhaseClass::Terminal),
            ("PREPARED_COMMITTING_STASH", PhaseClass::Installing),
            ("ACCEPTED", PhaseClass::Installing),
            ("PREFLIGHT_PREREQUISITE", PhaseClass::Installing),
            ("PREPARED", PhaseClass::Prepared),
            ("COMPLETE", PhaseClass::Complete),
            ("COMPLETED", PhaseClass::Complete),
            ("", PhaseClass::Other),
        ] {
            assert_eq!(phase_class(p), want, "{p}");
        }
    }

    #[test]
    fn install_state_variants() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "\"softwareupdate.install-state\" = installing;",
                Some("installing"),
            ),
            (
                "\"softwareupdate.install-state\" = \"downloading\";",
                Some("downloading"),
            ),
            (
                "\"softwareupdate.install-state\" = { state = waiting; };",
                Some("waiting"),
            ),
            ("\"softwareupdate.install-state\" = ;", None),
            ("\"softwareupdate.install-state\"", None),
            ("nothing", None),
        ];
        for (text, want) in cases {
            assert_eq!(install_state(text).as_deref(), *want, "{text}");
        }
    }

    fn line(ts: &str, path: &str, uid: i64, msg: &str) -> String {
        let msg = serde_json::to_string(msg).expect("string");
        let path = path.replace('/', "\\/");
        format!("{{\"timestamp\":\"{ts}\",\"eventMessage\":{msg},\"processImagePath\":\"{path}\",\"userID\":{uid},\"messageType\":\"Default\"}}\n")
    }

    const SUBSCRIBER: &str = "/System/Library/PrivateFrameworks/RemoteManagement.framework/XPCServices/SoftwareUpdateSubscriber.xpc/Contents/MacOS/SoftwareUpdateSubscriber";
    const SOFTWAREUPDATED: &str =
        "/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated";

    #[test]
    fn status_reports_are_kept_verbatim_and_bounded() {
        let mut input = String::from("Filtering the log data using \"x\"\n");
        for i in 0..(MAX_STATUS_REPORTS + 5) {
            input.push_str(&line(
                &format!("2026-11-20 09:{i:02}:00.000000-0500"),
                SUBSCRIBER,
                0,
                &format!("Reporting status {{\n    \"softwareupdate.install-state\" = installing; n = {i};\n}}"),
            ));
        }
        input.push_str(&line(
            "2026-11-20 09:59:00.000000-0500",
            SOFTWAREUPDATED,
            0,
            "[scan]startCatalogDownload... (su)",
        ));
        input.push_str("{\"count\":26,\"finished\":1}\n");
        let log = summarize(input.as_bytes()).expect("parses");
        assert_eq!(log.status_reports.len(), MAX_STATUS_REPORTS);
        assert_eq!(log.summary.count("su.status_report"), 25);
        let last = log.status_reports.last().expect("one");
        assert!(last.text.contains("n = 24;"), "newest last");
        assert!(last.text.contains('\n'), "verbatim, newlines kept");
        assert_eq!(last.process, "SoftwareUpdateSubscriber");
        assert_eq!(log.events().len(), 26);
    }

    #[test]
    fn forged_status_and_progress_are_rejected() {
        let input = [
            line(
                "2026-11-20 09:00:00.000000-0500",
                "/Users/eve/bin/softwareupdated",
                501,
                "Reporting status {\n \"softwareupdate.install-state\" = installing;\n}",
            ),
            line(
                "2026-11-20 09:01:00.000000-0500",
                "/Users/eve/bin/softwareupdated",
                0,
                "Reported progress (inter): phase:APPLYING stalled:YES portionComplete:0.5",
            ),
            line(
                "2026-11-20 09:02:00.000000-0500",
                SOFTWAREUPDATED,
                501,
                "Reported progress (inter): phase:APPLYING stalled:YES portionComplete:0.5",
            ),
        ]
        .concat();
        let log = summarize(input.as_bytes()).expect("parses");
        assert!(log.events().is_empty());
        assert!(log.status_reports.is_empty());
        assert_eq!(log.summary.rejected.count, 3);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = summarize(&bytes[..]);
        }

        #[test]
        fn any_message_never_panics(msg in "\\PC{0,200}") {
            let _ = classify(&msg);
            let _ = classify(&format!("Reported progress (inter): phase:{msg}"));
            let _ = classify(&format!("Scan reported progress {msg} stalled:{msg} portionComplete:{msg}"));
            let _ = classify(&format!("Reporting status {{ \"softwareupdate.install-state\"{msg}"));
            let _ = install_state(&format!("softwareupdate.install-state\" = {{{msg}"));
            let _ = phase_class(&msg);
        }
    }

    proptest::proptest! {
        #[test]
        fn classified_messages_contain_their_needle(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "Reported progress", "Scan reported progress", " phase:APPLYING", " stalled:YES",
                ">A> ScanForSoftwareUpdates", "| PrepareUpdate | PROGRESS", "Cryptex patch progress: 5%",
                "Reporting status", " {", "Posted DDM notification", "Enforcing past-due OS update",
                "startCatalogDownload", ">A> DownloadSUCatalog", "SUScan: Using catalog", "x", " ", "|",
            ]), 0..6)
        ) {
            let msg: String = parts.concat();
            if let Some(c) = classify(&msg) {
                proptest::prop_assert!(msg.contains(c.pattern.needle), "{} / {}", msg, c.pattern.id);
            }
        }
    }

    #[test]
    fn rejects_non_ndjson() {
        let quotes = include_str!(
            "../../tests/fixtures/samples/install_log__softwareupdated_lines__blog_quotes.txt"
        );
        assert!(summarize(quotes.as_bytes()).is_err());
        assert!(summarize(&b""[..]).is_err());
    }
}
