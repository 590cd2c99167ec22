//! One bounded summariser for every log probe: stream `log show --style ndjson`, keep only
//! entries of the stream's own daemons (the evidence rule below), classify each with the caller's function, and keep the
//! newest events (bounded) plus per-pattern counts. `mdm_log`, `su_log` and `apsd_log` are this
//! with their own `classify`.
//!
//! Provenance first: any process can log under a process name or subsystem it chooses, and a
//! system binary that is not the daemon (ManagedClient, `sudo`, `logger`) logs text a user chose.
//! Root acts on these lines, so an entry is used only when its `processImagePath` is exactly the
//! daemon's own (`log_patterns::SOURCES`, per stream) and its `userID` is one the daemon runs as;
//! classifiers match a message format where it begins (`log_patterns::Format`). Everything else
//! is counted (`rejected`) and a few are kept as examples for the report, never as evidence.

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;

use chrono::{DateTime, FixedOffset};

use super::log_ndjson::{self, LogEntry, StreamStats};
use super::log_patterns::{self, LogStream, Pattern};

/// Longest message kept as evidence, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Rejected entries kept as examples.
pub const MAX_REJECTED_EXAMPLES: usize = 3;

/// One log entry kept as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogLine {
    /// As printed by `log show`.
    pub timestamp: String,
    pub time: Option<DateTime<FixedOffset>>,
    pub message: String,
    /// Last path component of the process image (`mdmclient`, `softwareupdated`).
    pub process: String,
    /// The `log` level: Default, Info, Debug, Error, Fault (empty when not printed).
    pub level: String,
}

impl LogLine {
    pub fn from_entry(e: &LogEntry<'_>) -> LogLine {
        LogLine {
            timestamp: e.timestamp.to_string(),
            time: e.time,
            message: clip(e.message, MAX_MESSAGE_CHARS),
            process: e.process.to_string(),
            level: e.message_type.to_string(),
        }
    }

    /// [`LogLine::from_entry`] into this line's buffers (kept allocations are reused).
    pub fn fill_from(&mut self, e: &LogEntry<'_>) {
        self.timestamp.clear();
        self.timestamp.push_str(e.timestamp);
        self.time = e.time;
        clip_into(&mut self.message, e.message, MAX_MESSAGE_CHARS);
        self.process.clear();
        self.process.push_str(e.process);
        self.level.clear();
        self.level.push_str(e.message_type);
    }
}

/// Cuts `s` to at most `max` characters (on a char boundary), marking the cut.
pub fn clip(s: &str, max: usize) -> String {
    let mut out = String::new();
    clip_into(&mut out, s, max);
    out
}

/// [`clip`] into `out` (cleared first).
pub fn clip_into(out: &mut String, s: &str, max: usize) {
    out.clear();
    push_clipped(out, s, max);
}

/// [`clip`] appended to `out`.
fn push_clipped(out: &mut String, s: &str, max: usize) {
    // At most `max` bytes is at most `max` characters: no need to count them.
    if s.len() <= max {
        out.push_str(s);
        return;
    }
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            out.push_str(&s[..i]);
            out.push('…');
        }
        None => out.push_str(s),
    }
}

/// Who logged an entry, as far as the entry proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The stream's daemon (its exact image path), run by a uid it runs as.
    System,
    /// The daemon's binary run by a local user (mdmclient's per-user agent: the user channel).
    SystemAsUser,
    /// Not provably the daemon: another binary (a user's own program, a system tool), a uid the
    /// daemon does not run as, or no `processImagePath` or `userID`.
    Untrusted,
}

/// Who logged an entry of `stream`, as far as the entry proves it: its image path must be exactly
/// one of the stream's daemons and its uid one that daemon runs as. An entry without
/// `processImagePath` or without `userID` is not evidence: `log show --style json` on macOS 15,
/// 26 and 27 prints `userID` on every entry (public output of 2025 and 2026, e.g. `"userID" : 0`
/// for `/usr/bin/sudo`). It is not among the 27 fields eclecticlight.co listed for 10.14 and 10.15
/// (<https://eclecticlight.co/2019/10/16/inside-catalinas-unified-log-how-has-it-changed/>) and a
/// 2018 sample (10.13) lacks it: those versions, which mdmwatch does not support, get no log
/// evidence rather than unproven evidence.
pub fn origin(e: &LogEntry<'_>, stream: LogStream) -> Origin {
    let Some(src) = log_patterns::sources(stream).find(|s| s.image_path == e.process_image_path)
    else {
        return Origin::Untrusted;
    };
    match e.user_id {
        Some(uid) if src.uids.contains(&uid) => Origin::System,
        Some(uid) if src.user_channel && uid >= log_patterns::FIRST_LOCAL_USER_UID => {
            Origin::SystemAsUser
        }
        _ => Origin::Untrusted,
    }
}

/// What a classifier says about one entry.
pub struct Classified<K> {
    pub kind: K,
    pub pattern: &'static Pattern,
}

impl<K> Classified<K> {
    /// By pattern id (a lookup in the table; classifiers on the hot path use [`Classified::of`]).
    pub fn new(kind: K, pattern_id: &str) -> Classified<K> {
        Classified {
            kind,
            pattern: log_patterns::pattern(pattern_id),
        }
    }

    /// With the pattern itself (`log_patterns::by_id` in a `const`).
    pub fn of(kind: K, pattern: &'static Pattern) -> Classified<K> {
        Classified { kind, pattern }
    }
}

/// An event kept as evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<K> {
    pub line: LogLine,
    pub kind: K,
    pub pattern: &'static Pattern,
}

impl<K> Event<K> {
    pub fn verified(&self) -> bool {
        self.pattern.provenance.is_verified()
    }
}

/// Per-pattern count and the newest line, over the whole output (not only the kept events).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternCount {
    pub count: u64,
    pub last: LogLine,
}

/// Entries left out because their origin is not proven.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rejected {
    /// Entries a classifier would have kept, from a binary outside the system paths (or a
    /// system binary run by a local user, where that is not a channel of its own).
    pub count: u64,
    /// The newest few, with the image path that disqualified them.
    pub examples: Vec<(String, LogLine)>,
}

/// The summary of one log probe.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSummary<K> {
    pub stats: StreamStats,
    /// Classified events from system binaries, newest last, at most the caller's bound.
    pub events: Vec<Event<K>>,
    /// Events older than the kept ones.
    pub events_dropped: u64,
    /// Keyed by pattern id.
    pub per_pattern: BTreeMap<&'static str, PatternCount>,
    pub rejected: Rejected,
    /// Classified lines from a system binary run by a local user, counted apart (for mdmclient,
    /// the per-user agent's channel; its successes say nothing about the device channel).
    pub user_channel: u64,
}

impl<K> Default for LogSummary<K> {
    fn default() -> Self {
        LogSummary {
            stats: StreamStats::default(),
            events: Vec::new(),
            events_dropped: 0,
            per_pattern: BTreeMap::new(),
            rejected: Rejected::default(),
            user_channel: 0,
        }
    }
}

impl<K> LogSummary<K> {
    pub fn count(&self, pattern_id: &str) -> u64 {
        self.per_pattern.get(pattern_id).map_or(0, |c| c.count)
    }
}

/// Per-pattern state while streaming: the count, the sequence number of the newest event, and
/// that event's line once it has left the bounded ring (its buffers are moved here, not copied).
struct Slot {
    pattern: &'static Pattern,
    count: u64,
    last_seq: u64,
    saved: LogLine,
}

/// The provenance rule, one place for both folds: true when the entry may be used as evidence.
/// A system binary run by a local user is the user channel (counted) or rejected, per stream;
/// anything not provably a system binary is rejected: counted, a few kept as examples, never used.
pub(crate) fn admit<K>(
    origin: Origin,
    pattern: &Pattern,
    e: &LogEntry<'_>,
    out: &mut LogSummary<K>,
    examples: &mut VecDeque<(String, LogLine)>,
) -> bool {
    // The daemon's own entry, but in a category real lines of this pattern never carry: not
    // the daemon's format. (The daemon's logging handle sets the category, never a user's text;
    // an entry that names none, as hand-written samples, is judged by path, uid and format.)
    let origin = match origin {
        Origin::System
            if !pattern.categories.is_empty()
                && !e.category.is_empty()
                && !pattern.categories.contains(&e.category) =>
        {
            Origin::Untrusted
        }
        o => o,
    };
    match origin {
        Origin::System => true,
        Origin::SystemAsUser => {
            out.user_channel += 1;
            false
        }
        Origin::Untrusted => {
            out.rejected.count += 1;
            // Once the ring is full, the oldest example's buffers take the newest: a log of
            // many rejected entries formats into kept allocations, never allocates per entry.
            if examples.len() == MAX_REJECTED_EXAMPLES {
                if let Some((mut who, mut line)) = examples.pop_front() {
                    rejected_who_into(&mut who, e);
                    line.fill_from(e);
                    examples.push_back((who, line));
                    return false;
                }
            }
            let mut who = String::new();
            rejected_who_into(&mut who, e);
            examples.push_back((who, LogLine::from_entry(e)));
            false
        }
    }
}

/// Streams the log and folds it. `classify` sees every entry; `on_kept` sees every classified
/// entry from a system binary (for side collections such as status blocks), before it is
/// bounded into `events`.
///
/// Per kept event this copies the entry's fields into the buffers of the event it evicts (no
/// allocation once the ring is full, beyond what `classify` puts in the kind); a pattern's newest
/// line is taken from the ring at the end, or moved out of an evicted event when it was its
/// pattern's newest. `parse::reference::summarize` is the straightforward fold it must equal (tested).
pub fn summarize<R: Read, K>(
    reader: R,
    max_events: usize,
    stream: LogStream,
    mut classify: impl FnMut(&LogEntry<'_>) -> Option<Classified<K>>,
    mut on_kept: impl FnMut(&LogEntry<'_>, &Classified<K>),
) -> Result<LogSummary<K>, String> {
    let mut out: LogSummary<K> = LogSummary::default();
    let mut events: VecDeque<Event<K>> = VecDeque::with_capacity(max_events.min(1024));
    // Beside each kept event: its sequence number among kept events and its pattern's slot.
    let mut meta: VecDeque<(u64, usize)> = VecDeque::with_capacity(max_events.min(1024));
    let mut slots: Vec<Slot> = Vec::new();
    let mut seq: u64 = 0;
    let mut examples: VecDeque<(String, LogLine)> = VecDeque::new();
    let stats = log_ndjson::for_each_entry(reader, |e| {
        let Some(c) = classify(e) else {
            return;
        };
        if !admit(origin(e, stream), c.pattern, e, &mut out, &mut examples) {
            return;
        }
        on_kept(e, &c);
        let slot = match slots
            .iter()
            .position(|s| std::ptr::eq(s.pattern, c.pattern) || s.pattern.id == c.pattern.id)
        {
            Some(i) => i,
            None => {
                slots.push(Slot {
                    pattern: c.pattern,
                    count: 0,
                    last_seq: 0,
                    saved: LogLine::default(),
                });
                slots.len() - 1
            }
        };
        // The evicted event's buffers become the new event's (or, when the evicted event was
        // its pattern's newest, they are kept as that pattern's `last` and the slot's previous
        // buffers are reused instead).
        let mut line = LogLine::default();
        if events.len() == max_events {
            if let (Some(old), Some((old_seq, old_slot))) = (events.pop_front(), meta.pop_front()) {
                line = old.line;
                let s = &mut slots[old_slot];
                if s.last_seq == old_seq {
                    std::mem::swap(&mut s.saved, &mut line);
                }
            }
            out.events_dropped += 1;
        }
        line.fill_from(e);
        let s = &mut slots[slot];
        s.count += 1;
        s.last_seq = seq;
        meta.push_back((seq, slot));
        events.push_back(Event {
            line,
            kind: c.kind,
            pattern: c.pattern,
        });
        seq += 1;
    })?;
    log_ndjson::require_log_output(&stats)?;
    let front_seq = meta.front().map_or(seq, |m| m.0);
    for s in slots {
        let last = if s.last_seq >= front_seq {
            events[(s.last_seq - front_seq) as usize].line.clone()
        } else {
            s.saved
        };
        out.per_pattern.insert(
            s.pattern.id,
            PatternCount {
                count: s.count,
                last,
            },
        );
    }
    out.stats = stats;
    out.events = events.into();
    out.rejected.examples = examples.into();
    Ok(out)
}

/// Why an entry was rejected, for the report, into `out` (cleared first).
fn rejected_who_into(out: &mut String, e: &LogEntry<'_>) {
    use std::fmt::Write;
    out.clear();
    if e.process_image_path.is_empty() {
        out.push_str("no processImagePath");
        return;
    }
    push_clipped(out, e.process_image_path, 200);
    out.push_str(" (userID ");
    match e.user_id {
        // Writing to a String cannot fail.
        Some(u) => {
            let _ = write!(out, "{u}");
        }
        None => out.push_str("absent"),
    }
    out.push_str(", category ");
    push_clipped(out, e.category, 60);
    out.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, uid: Option<i64>) -> LogEntry<'_> {
        LogEntry {
            process_image_path: path,
            user_id: uid,
            ..LogEntry::default()
        }
    }

    /// The reason is written into a reused buffer; it reads as the plain formatting would,
    /// whatever the buffer held before.
    #[test]
    fn rejected_who_into_a_reused_buffer() {
        let long_path = format!("/Users/eve/{}", "é".repeat(300));
        let long_category = "c".repeat(100);
        let cases: &[(LogEntry<'_>, String)] = &[
            (entry("", Some(0)), "no processImagePath".to_string()),
            (
                LogEntry {
                    category: "MCProfiles",
                    ..entry("/Users/eve/mdmclient", Some(501))
                },
                "/Users/eve/mdmclient (userID 501, category MCProfiles)".to_string(),
            ),
            (
                entry("/tmp/x", None),
                "/tmp/x (userID absent, category )".to_string(),
            ),
            (
                LogEntry {
                    category: &long_category,
                    ..entry(&long_path, Some(-3))
                },
                format!(
                    "{} (userID -3, category {})",
                    clip(&long_path, 200),
                    clip(&long_category, 60)
                ),
            ),
        ];
        let mut buf = "left over from an earlier entry".repeat(20);
        for (e, want) in cases {
            rejected_who_into(&mut buf, e);
            assert_eq!(&buf, want);
        }
        assert!(clip(&long_path, 200).ends_with('…'));
    }

    #[test]
    fn origins() {
        use LogStream::*;
        const SUD: &str =
            "/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated";
        const APSD: &str = "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd";
        let cases: &[(&str, Option<i64>, LogStream, Origin)] = &[
            ("/usr/libexec/mdmclient", Some(0), Mdmclient, Origin::System),
            // The agent of a local user: the user channel.
            ("/usr/libexec/mdmclient", Some(501), Mdmclient, Origin::SystemAsUser),
            // No userID, a role account mdmclient does not run as, a negative uid: not evidence.
            ("/usr/libexec/mdmclient", None, Mdmclient, Origin::Untrusted),
            ("/usr/libexec/mdmclient", Some(200), Mdmclient, Origin::Untrusted),
            ("/usr/libexec/mdmclient", Some(-2), Mdmclient, Origin::Untrusted),
            // Another system binary, root, under the stream's subsystem: not the daemon.
            (
                "/System/Library/CoreServices/ManagedClient.app/Contents/MacOS/ManagedClient",
                Some(0),
                Mdmclient,
                Origin::Untrusted,
            ),
            ("/usr/bin/sudo", Some(0), Mdmclient, Origin::Untrusted),
            // The right daemon for another stream.
            ("/usr/libexec/mdmclient", Some(0), SoftwareUpdate, Origin::Untrusted),
            (SUD, Some(200), SoftwareUpdate, Origin::System),
            (SUD, Some(0), SoftwareUpdate, Origin::System),
            (SUD, Some(501), SoftwareUpdate, Origin::Untrusted),
            (SUD, None, SoftwareUpdate, Origin::Untrusted),
            (
                "/System/Volumes/Data/System/Library/CoreServices/Software Update.app/Contents/Resources/softwareupdated",
                Some(0),
                SoftwareUpdate,
                Origin::Untrusted,
            ),
            (APSD, Some(0), Apsd, Origin::System),
            (APSD, Some(501), Apsd, Origin::Untrusted),
            ("/Users/eve/mdmclient", Some(0), Mdmclient, Origin::Untrusted),
            ("", Some(0), Mdmclient, Origin::Untrusted),
        ];
        for (path, uid, stream, want) in cases {
            assert_eq!(
                origin(&entry(path, *uid), *stream),
                *want,
                "{path} {uid:?} {stream:?}"
            );
        }
    }
}

/// The optimised fold (`summarize`, the byte-wise path check) equals the straightforward one
/// (`parse::reference`) on random mixes of real fixture lines, forged and user-channel lines
/// included; and the anchored classifiers keep every needle where its `Format` says.
#[cfg(test)]
mod equivalence {
    use super::*;
    use crate::parse::{apsd_log, mdm_log, reference, su_log};
    use proptest::prelude::*;

    /// Every line of every ndjson fixture (entries, headers, trailers), deduplicated.
    fn fixture_lines() -> Vec<String> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut lines = Vec::new();
        for dir in ["tests/fixtures/logs-real", "tests/fixtures/logs"] {
            let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .expect("fixture dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
                .collect();
            paths.sort();
            for p in paths {
                let text = std::fs::read_to_string(&p).expect("fixture");
                lines.extend(text.lines().map(str::to_string));
            }
        }
        lines.sort();
        lines.dedup();
        lines
    }

    static LINES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(fixture_lines);

    #[test]
    fn the_fixtures_hold_every_kind_of_line() {
        let all = LINES.join("\n");
        assert!(LINES.len() > 100, "{}", LINES.len());
        // Forged (user-writable image), user-channel and apsd lines are among them.
        assert!(all.contains("\"userID\":501"));
        assert!(all.contains("\\/Users\\/"));
        assert!(all.contains("Connected to courier"));
        assert!(all.contains("Reporting status"));
    }

    fn input(picks: &[usize], header: bool, trailer: bool) -> String {
        let mut s = String::new();
        if header {
            s.push_str("Filtering the log data using \"x\"\n");
        }
        for &i in picks {
            s.push_str(&LINES[i % LINES.len()]);
            s.push('\n');
        }
        if trailer {
            s.push_str("{\"count\":1,\"finished\":1}\n");
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn optimised_summaries_equal_the_reference(
            picks in proptest::collection::vec(0usize..10_000, 0..400),
            max_events in prop_oneof![0usize..6, Just(200usize)],
            header in any::<bool>(),
            trailer in any::<bool>(),
        ) {
            let text = input(&picks, header, trailer);
            let b = text.as_bytes();
            prop_assert_eq!(
                mdm_log::summarize_bounded(b, max_events),
                reference::mdm_summarize(b, max_events)
            );
            prop_assert_eq!(
                su_log::summarize_bounded(b, max_events),
                reference::su_summarize(b, max_events)
            );
            prop_assert_eq!(
                apsd_log::summarize_bounded(b, max_events),
                reference::apsd_summarize(b, max_events)
            );
        }

        #[test]
        fn classified_needles_stand_where_their_format_says(
            lead in proptest::sample::select(vec![
                "", "[*] [0:MDMDaemon:<0x4d0d>] ", "[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< ",
                "[SUMacControllerProgressManager] ", "[Progress] ", "6d41b000 : ", "[FSM(x)] ",
                "[SPI] ", "-[A b:]_block_invoke: ", "Profile display name: ", "no product matches label '",
                "x ", "'", "é",
            ]),
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "Received HTTP response", "Processing server request: ", "Processing server request",
                "Sending HTTP request", " (200) ", "(503)", "(99999)", "(00200)", " [Idle]",
                "[Acknowledged(InstallProfile):1]", "[NotNow]", "[Error(X):0]", "Unable to create MDM identity",
                "dentity", "MDM identity", "fail", "Rejecting MDM push dictionary", "NSURLErrorDomain",
                "[ERROR]", "Reporting status", "{", "\"softwareupdate.install-state\" = installing;",
                "Scan reported progress", "Reported progress", " (inter): ", " phase:APPLYING", " stalled:YES",
                " portionComplete:0.5", "| PrepareUpdate | PROGRESS", "Cryptex patch progress: 17%",
                "Posted DDM notification", "Enforcing past-due OS update", ">A> ScanForSoftwareUpdates",
                "startCatalogDownload", ">A> DownloadSUCatalog", "SUScan: Using catalog",
                "Connected to courier", "Disconnected from courier", "failed to obtain a BAA cert",
                "x", " ", "é", "(", "…", "'",
            ]), 0..8)
        ) {
            let msg = format!("{lead}{}", parts.concat());
            let kinds = [
                mdm_log::classify(&msg).map(|c| c.pattern),
                su_log::classify(&msg).map(|c| c.pattern),
                apsd_log::classify(&msg).map(|c| c.pattern),
            ];
            for p in kinds.into_iter().flatten() {
                let end = p.find(&msg);
                prop_assert!(end.is_some(), "{} / {}", msg, p.id);
                let start = end.unwrap() - p.needle.len();
                prop_assert_eq!(&msg[start..start + p.needle.len()], p.needle);
                // A user's words before the needle are never the daemon's format.
                if lead.starts_with("Profile") || lead.starts_with("no product") || lead == "x " {
                    prop_assert!(
                        matches!(p.format, log_patterns::Format::Anywhere),
                        "{} matched {} after a user's text",
                        msg,
                        p.id
                    );
                }
            }
        }

        #[test]
        fn status_reader_equals_the_reference(msg in "[ (0-9a-z]{0,12}") {
            prop_assert_eq!(mdm_log::status_after(&msg, 0), reference::status_after(&msg, 0));
        }

        #[test]
        fn clip_into_equals_clip_by_format(s in "\\PC{0,40}", max in 0usize..30) {
            let want = match s.char_indices().nth(max) {
                Some((i, _)) => format!("{}…", &s[..i]),
                None => s.clone(),
            };
            let mut out = String::from("stale");
            clip_into(&mut out, &s, max);
            prop_assert_eq!(&out, &want);
            prop_assert_eq!(clip(&s, max), want);
        }
    }
}
