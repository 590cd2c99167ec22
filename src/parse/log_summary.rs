//! One bounded summariser for every log probe: stream `log show --style ndjson`, keep only
//! entries that come from a system binary, classify each with the caller's function, and keep the
//! newest events (bounded) plus per-pattern counts. `mdm_log`, `su_log` and `apsd_log` are this
//! with their own `classify`.
//!
//! Provenance first: any process can log under a process name or subsystem it chooses, and the
//! `log show` predicate selects by those. Root acts on these lines, so an entry is used only when
//! its `processImagePath` is a SIP-protected system path and its `userID` (where the entry has
//! one) is not a local user's. Everything else is counted (`rejected`) and a few are kept as
//! examples for the report, never as evidence.

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;

use chrono::{DateTime, FixedOffset};

use super::log_ndjson::{self, LogEntry, StreamStats};
use super::log_patterns::{self, Pattern};

/// Longest message kept as evidence, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Rejected entries kept as examples.
pub const MAX_REJECTED_EXAMPLES: usize = 3;
/// Local user accounts on macOS start at 501; below 500 are root and system role accounts
/// (`_softwareupdate` is 200), which only root can run as.
pub const FIRST_LOCAL_UID: i64 = 500;

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
}

/// Cuts `s` to at most `max` characters (on a char boundary), marking the cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Who logged an entry, as far as the entry proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A system binary, run by root or a system role account.
    System,
    /// A system binary run by a local user (mdmclient's per-user agent: the user channel).
    SystemAsUser,
    /// Not provably a system binary: a user's own program, or no `processImagePath`.
    Untrusted,
}

/// True for a path under `/System/` or `/usr/` (not `/usr/local/`), with no `.` or `..`
/// component: the locations System Integrity Protection keeps read-only.
pub fn is_system_path(path: &str) -> bool {
    let protected = (path.starts_with("/System/") || path.starts_with("/usr/"))
        && !path.starts_with("/usr/local/");
    protected && !path.split('/').any(|c| c == "." || c == "..")
}

pub fn origin(e: &LogEntry<'_>) -> Origin {
    if !is_system_path(e.process_image_path) {
        return Origin::Untrusted;
    }
    match e.user_id {
        Some(uid) if !(0..FIRST_LOCAL_UID).contains(&uid) => Origin::SystemAsUser,
        _ => Origin::System,
    }
}

/// What a classifier says about one entry.
pub struct Classified<K> {
    pub kind: K,
    pub pattern: &'static Pattern,
}

impl<K> Classified<K> {
    pub fn new(kind: K, pattern_id: &str) -> Classified<K> {
        Classified {
            kind,
            pattern: log_patterns::pattern(pattern_id),
        }
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

/// How one stream treats a system binary run by a local user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserLines {
    /// Counted as [`LogSummary::user_channel`] (mdmclient's per-user agent).
    UserChannel,
    /// Rejected like an untrusted entry (softwareupdated and apsd run as root).
    Reject,
}

/// Streams the log and folds it. `classify` sees every entry; `on_kept` sees every classified
/// entry from a system binary (for side collections such as status blocks), before it is
/// bounded into `events`.
pub fn summarize<R: Read, K>(
    reader: R,
    max_events: usize,
    user_lines: UserLines,
    mut classify: impl FnMut(&LogEntry<'_>) -> Option<Classified<K>>,
    mut on_kept: impl FnMut(&LogEntry<'_>, &Classified<K>),
) -> Result<LogSummary<K>, String> {
    let mut out: LogSummary<K> = LogSummary::default();
    let mut events: VecDeque<Event<K>> = VecDeque::new();
    let mut examples: VecDeque<(String, LogLine)> = VecDeque::new();
    let stats = log_ndjson::for_each_entry(reader, |e| {
        let Some(c) = classify(e) else {
            return;
        };
        let rejected = match (origin(e), user_lines) {
            (Origin::System, _) => false,
            (Origin::SystemAsUser, UserLines::UserChannel) => {
                out.user_channel += 1;
                return;
            }
            (Origin::SystemAsUser, UserLines::Reject) | (Origin::Untrusted, _) => true,
        };
        if rejected {
            out.rejected.count += 1;
            if examples.len() == MAX_REJECTED_EXAMPLES {
                examples.pop_front();
            }
            let who = if e.process_image_path.is_empty() {
                "no processImagePath".to_string()
            } else {
                format!(
                    "{} (userID {})",
                    clip(e.process_image_path, 200),
                    e.user_id.map_or("absent".into(), |u| u.to_string())
                )
            };
            examples.push_back((who, LogLine::from_entry(e)));
            return;
        }
        on_kept(e, &c);
        let line = LogLine::from_entry(e);
        let pc = out.per_pattern.entry(c.pattern.id).or_default();
        pc.count += 1;
        pc.last = line.clone();
        if events.len() == max_events {
            events.pop_front();
            out.events_dropped += 1;
        }
        events.push_back(Event {
            line,
            kind: c.kind,
            pattern: c.pattern,
        });
    })?;
    log_ndjson::require_log_output(&stats)?;
    out.stats = stats;
    out.events = events.into();
    out.rejected.examples = examples.into();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_paths() {
        for (p, want) in [
            ("/usr/libexec/mdmclient", true),
            (
                "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd",
                true,
            ),
            ("/usr/local/bin/softwareupdated", false),
            ("/Users/eve/softwareupdated", false),
            ("/usr/../Users/eve/mdmclient", false),
            ("/System/./x", false),
            ("/private/tmp/mdmclient", false),
            ("usr/libexec/mdmclient", false),
            ("", false),
            ("/Library/Apple/usr/libexec/x", false),
        ] {
            assert_eq!(is_system_path(p), want, "{p}");
        }
    }

    fn entry(path: &str, uid: Option<i64>) -> LogEntry<'_> {
        LogEntry {
            process_image_path: path,
            user_id: uid,
            ..LogEntry::default()
        }
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin(&entry("/usr/libexec/mdmclient", Some(0))),
            Origin::System
        );
        assert_eq!(
            origin(&entry("/usr/libexec/mdmclient", None)),
            Origin::System
        );
        assert_eq!(
            origin(&entry("/usr/libexec/mdmclient", Some(200))),
            Origin::System
        );
        assert_eq!(
            origin(&entry("/usr/libexec/mdmclient", Some(501))),
            Origin::SystemAsUser
        );
        assert_eq!(
            origin(&entry("/usr/libexec/mdmclient", Some(-2))),
            Origin::SystemAsUser
        );
        assert_eq!(
            origin(&entry("/Users/eve/mdmclient", Some(0))),
            Origin::Untrusted
        );
        assert_eq!(origin(&entry("", Some(0))), Origin::Untrusted);
    }
}
