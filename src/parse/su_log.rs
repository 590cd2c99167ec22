//! What the softwareupdated / SoftwareUpdateSubscriber log says: scans, downloads, installs, and
//! the DDM "Reporting status" blocks (raw text; parsed by `ddm_status`).
//!
//! Folded while streaming `log show --style ndjson` (see `log_ndjson`) into counts and a bounded
//! list of events, newest last; the checks apply time windows. The line shapes come from the
//! default-style softwareupdated lines in seed 004 (Addigy's talk), re-expressed as ndjson
//! messages: the scan-manager FSM transition `[FSM(SUMacControllerScanManager)] >S> ... >A>
//! ScanForSoftwareUpdates`, `[scan]startCatalogDownload... (su)`, `[SPI] perform_prepare_command
//! | PrepareUpdate | PROGRESS (Continue)`, `Cryptex patch progress: 17%`; and install.log quotes
//! (`install_log__softwareupdated_lines__blog_quotes.txt`). Shapes marked "inferred" below (scan
//! completion, prepare completion/failure) have no public capture; the checks therefore never call
//! softwareupdated stuck on the *absence* of one of them alone. This module only classifies; it
//! does not judge, and it never parses the status blocks (that is `ddm_status`'s job).

use std::collections::VecDeque;
use std::io::Read;

use chrono::{DateTime, FixedOffset};

use super::log_ndjson::{self, LogEntry, StreamStats};
use super::mdm_log::{clip, LogLine, MAX_MESSAGE_CHARS};

/// Status reports kept (the newest).
pub const MAX_STATUS_REPORTS: usize = 20;
/// Relevant events kept (the newest).
pub const MAX_EVENTS: usize = 200;
/// A status block larger than this is kept cut (and then fails to parse downstream, as it should).
pub const MAX_STATUS_CHARS: usize = 64 * 1024;

/// The message of an entry containing a `Reporting status {` block, verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusReport {
    pub timestamp: String,
    pub time: Option<DateTime<FixedOffset>>,
    pub process: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuLog {
    pub stats: StreamStats,
    /// Newest last; bounded (the most recent few are kept).
    pub status_reports: Vec<StatusReport>,
    /// Scans, progress, completions, failures; newest last, at most [`MAX_EVENTS`].
    pub events: Vec<SuEvent>,
    pub events_dropped: u64,
    pub counts: SuCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuCounts {
    pub scans: u64,
    pub progress: u64,
    pub completions: u64,
    pub failures: u64,
    pub status_reports: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuEventKind {
    /// `>A> ScanForSoftwareUpdates` (seed 004).
    ScanStarted,
    /// Other scan/catalog work: `[scan]startCatalogDownload`, `>A> DownloadSUCatalog`,
    /// `SUScan: Using catalog` (seed 004, install.log quotes).
    Activity,
    /// `| PrepareUpdate | PROGRESS`, `Cryptex patch progress: 17%` (seed 004); `| ApplyUpdate |`
    /// is inferred by analogy.
    Progress { percent: Option<u8> },
    /// Inferred: an FSM event or SPI status naming success/completion, e.g.
    /// `>E> ScanComplete`, `| PrepareUpdate | SUCCESS`.
    Completed,
    /// `scanFailed:YES`, an FSM event or SPI status naming a failure, `Error Domain=`.
    Failed,
    /// `Posted DDM notification with success: YES` and other enforced-update scheduling lines.
    Enforcement,
    /// A `Reporting status {` block; `install_state` is `softwareupdate.install-state` if present.
    StatusReport { install_state: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuEvent {
    pub line: LogLine,
    pub process: String,
    pub kind: SuEventKind,
}

/// The `>E>` event name of an FSM transition line, if any.
fn fsm_event(msg: &str) -> Option<&str> {
    if !msg.contains("[FSM(") {
        return None;
    }
    let i = msg.find(">E>")?;
    msg[i + 3..].split_whitespace().next()
}

/// `NN%` after "progress:".
fn percent(msg: &str) -> Option<u8> {
    let lower_at = msg.to_ascii_lowercase().find("progress:")?;
    let digits: String = msg[lower_at + "progress:".len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse::<u8>().ok().filter(|p| *p <= 100)
}

/// The `| Phase | EVENT` part of an SPI line (`perform_prepare_command | PrepareUpdate | PROGRESS (Continue) |`).
fn spi_status(msg: &str) -> Option<(&str, &str)> {
    if !msg.contains("[SPI]") {
        return None;
    }
    let mut parts = msg.split('|').map(str::trim);
    parts.next()?;
    let phase = parts.next()?;
    let event = parts.next()?;
    Some((phase, event))
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

/// What one message is, if it matters to the software-update checks.
pub fn classify(msg: &str) -> Option<SuEventKind> {
    if msg.contains("Reporting status") && msg.contains('{') {
        return Some(SuEventKind::StatusReport {
            install_state: install_state(msg),
        });
    }
    if msg.contains("scanFailed:YES") || msg.contains("Error Domain=") {
        return Some(SuEventKind::Failed);
    }
    if let Some(ev) = fsm_event(msg) {
        let lower = ev.to_ascii_lowercase();
        if lower.contains("fail") || lower.contains("error") {
            return Some(SuEventKind::Failed);
        }
        // Inferred completion names; no public capture shows the end of a scan.
        if lower.contains("success") || lower.contains("complete") || lower.contains("finished") {
            return Some(SuEventKind::Completed);
        }
    }
    if msg.contains(">A> ScanForSoftwareUpdates") {
        return Some(SuEventKind::ScanStarted);
    }
    if let Some((phase, event)) = spi_status(msg) {
        if phase.ends_with("Update") {
            let upper = event.to_ascii_uppercase();
            if upper.starts_with("PROGRESS") {
                return Some(SuEventKind::Progress {
                    percent: percent(msg),
                });
            }
            if upper.contains("FAIL") || upper.contains("ERROR") {
                return Some(SuEventKind::Failed);
            }
            if upper.contains("SUCCESS") || upper.contains("COMPLETE") || upper.contains("FINISH") {
                return Some(SuEventKind::Completed);
            }
        }
    }
    if msg.contains("Cryptex patch progress") {
        return Some(SuEventKind::Progress {
            percent: percent(msg),
        });
    }
    if msg.contains("scheduleEnforcedManagedUpdate") || msg.contains("Posted DDM notification") {
        return Some(SuEventKind::Enforcement);
    }
    if msg.contains("startCatalogDownload")
        || msg.contains(">A> DownloadSUCatalog")
        || msg.contains("SUScan: Using catalog")
    {
        return Some(SuEventKind::Activity);
    }
    None
}

fn line_of(e: &LogEntry) -> LogLine {
    LogLine {
        timestamp: e.timestamp.to_string(),
        time: e.time,
        message: clip(e.message, MAX_MESSAGE_CHARS),
    }
}

/// Substrings one of which every message [`classify`] keeps contains: the `eventMessage CONTAINS`
/// part of the `log show` predicate. A new shape in `classify` needs its marker here (the tests
/// check).
pub const MARKERS: &[&str] = &[
    "Reporting status",
    "scanFailed:YES",
    "Error Domain=",
    "[FSM(",
    ">A> ScanForSoftwareUpdates",
    ">A> DownloadSUCatalog",
    "[SPI]",
    "Cryptex patch progress",
    "scheduleEnforcedManagedUpdate",
    "Posted DDM notification",
    "startCatalogDownload",
    "SUScan: Using catalog",
];

/// Streams the log and folds it into a [`SuLog`].
pub fn summarize<R: Read>(reader: R) -> Result<SuLog, String> {
    let mut log = SuLog::default();
    let mut reports: VecDeque<StatusReport> = VecDeque::new();
    let mut events: VecDeque<SuEvent> = VecDeque::new();
    let stats = log_ndjson::for_each_entry(reader, |e| {
        let Some(kind) = classify(e.message) else {
            return;
        };
        let c = &mut log.counts;
        match &kind {
            SuEventKind::ScanStarted => c.scans += 1,
            SuEventKind::Progress { .. } => c.progress += 1,
            SuEventKind::Completed => c.completions += 1,
            SuEventKind::Failed => c.failures += 1,
            SuEventKind::StatusReport { .. } => {
                c.status_reports += 1;
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
            SuEventKind::Activity | SuEventKind::Enforcement => {}
        }
        if events.len() == MAX_EVENTS {
            events.pop_front();
            log.events_dropped += 1;
        }
        events.push_back(SuEvent {
            line: line_of(e),
            process: e.process.to_string(),
            kind,
        });
    })?;
    log_ndjson::require_log_output(&stats)?;
    log.stats = stats;
    log.status_reports = reports.into();
    log.events = events.into();
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_shapes() {
        use SuEventKind as K;
        let cases: Vec<(&str, Option<SuEventKind>)> = vec![
            // seed 004, re-joined onto one line as ndjson carries them.
            ("[FSM(SUMacControllerScanManager)] >S> ScanReadyToBegin >E> ScanForSUUpdates >N> ScanningForSoftwareUpdates >A> ScanForSoftwareUpdates info:[>>> Version(scanUUID:0BD2448F|scanFailed:NO)", Some(K::ScanStarted)),
            ("[FSM(SUMacControllerScanManager)] >S> ScanningForSoftwareUpdates >E> ScanFailed >N> ScanReadyToBegin", Some(K::Failed)),
            ("[FSM(SUMacControllerScanManager)] >S> ScanningForSoftwareUpdates >E> ScanComplete >N> ScanReadyToBegin", Some(K::Completed)),
            ("Version(scanUUID:X|scanFailed:YES)", Some(K::Failed)),
            ("[FSM(scan[0BD2448F])] >S> Idle >E> CheckForAvailableUpdate >N> DownloadingSUCatalog >A> DownloadSUCatalog", Some(K::Activity)),
            ("[scan]startCatalogDownload... (su)", Some(K::Activity)),
            ("[SPI] perform_prepare_command | PrepareUpdate | PROGRESS (Continue) | state:<private>", Some(K::Progress { percent: None })),
            ("6d41b000 : Cryptex patch progress: 17%", Some(K::Progress { percent: Some(17) })),
            ("[SPI] perform_prepare_command | PrepareUpdate | SUCCESS | state:<private>", Some(K::Completed)),
            ("[SPI] perform_prepare_command | PrepareUpdate | FAILURE | error:<private>", Some(K::Failed)),
            ("-[SUOSUManagedServiceDaemon scheduleEnforcedManagedUpdateWithVersion:forDate:withOptions:completion:]_block_invoke: Posted DDM notification with success: YES", Some(K::Enforcement)),
            ("QueryNeRDUpdate completed with updateAttributes: (null) required:NO error:(null)", None),
            ("Reporting status {\n    \"softwareupdate.install-state\" = installing;\n}", Some(K::StatusReport { install_state: Some("installing".into()) })),
            ("Reporting status { \"softwareupdate.pending-version\" = { \"os-version\" = \"26.2\"; }; }", Some(K::StatusReport { install_state: None })),
            ("", None),
        ];
        for (msg, want) in cases {
            assert_eq!(classify(msg), want, "{msg}");
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

    fn line(ts: &str, process: &str, msg: &str) -> String {
        let msg = serde_json::to_string(msg).expect("string");
        format!("{{\"timestamp\":\"{ts}\",\"eventMessage\":{msg},\"processImagePath\":\"\\/usr\\/libexec\\/{process}\",\"messageType\":\"Default\"}}\n")
    }

    #[test]
    fn status_reports_are_kept_verbatim_and_bounded() {
        let mut input = String::from("Filtering the log data using \"x\"\n");
        for i in 0..(MAX_STATUS_REPORTS + 5) {
            input.push_str(&line(
                &format!("2026-11-20 09:{i:02}:00.000000-0500"),
                "SoftwareUpdateSubscriber",
                &format!("Reporting status {{\n    \"softwareupdate.install-state\" = installing; n = {i};\n}}"),
            ));
        }
        input.push_str(&line(
            "2026-11-20 09:59:00.000000-0500",
            "softwareupdated",
            "[scan]startCatalogDownload... (su)",
        ));
        input.push_str("{\"count\":26,\"finished\":1}\n");
        let log = summarize(input.as_bytes()).expect("parses");
        assert_eq!(log.status_reports.len(), MAX_STATUS_REPORTS);
        assert_eq!(log.counts.status_reports, 25);
        let last = log.status_reports.last().expect("one");
        assert!(last.text.contains("n = 24;"), "newest last");
        assert!(last.text.contains('\n'), "verbatim, newlines kept");
        assert_eq!(last.process, "SoftwareUpdateSubscriber");
        assert_eq!(log.events.len(), 26);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = summarize(&bytes[..]);
        }

        #[test]
        fn any_message_never_panics(msg in "\\PC{0,200}") {
            let _ = classify(&msg);
            let _ = classify(&format!("[SPI] x | {msg}"));
            let _ = classify(&format!("[FSM(x)] >E>{msg}"));
            let _ = classify(&format!("Reporting status {{ \"softwareupdate.install-state\"{msg}"));
            let _ = install_state(&format!("softwareupdate.install-state\" = {{{msg}"));
        }
    }

    proptest::proptest! {
        #[test]
        fn classified_messages_contain_a_marker(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "[FSM(x)] ", ">E> ", "ScanFailed", "Complete", ">A> ScanForSoftwareUpdates",
                "[SPI] a ", "| PrepareUpdate ", "| PROGRESS ", "| FAILURE", "Cryptex patch progress: 5%",
                "scanFailed:YES", "Error Domain=", "Reporting status", " {", "Posted DDM notification",
                "scheduleEnforcedManagedUpdate", "startCatalogDownload", ">A> DownloadSUCatalog",
                "SUScan: Using catalog", "progress: 50%", "x", " ", "|",
            ]), 0..6)
        ) {
            let msg: String = parts.concat();
            if classify(&msg).is_some() {
                proptest::prop_assert!(MARKERS.iter().any(|m| msg.contains(m)), "{}", msg);
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
