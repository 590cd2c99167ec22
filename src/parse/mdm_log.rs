//! What the mdmclient / com.apple.ManagedClient log says: exchanges, commands, errors.
//!
//! Folded while streaming `log show --style ndjson` (see `log_ndjson`): counts over the whole
//! output plus a bounded list of the relevant events, newest last. It knows message shapes, not
//! time windows: the checks decide what "recent" means against `obs.now`. No verbatim ndjson
//! capture of mdmclient is public; the shapes come from real default-style lines and the strings
//! admins' scripts match (`tests/fixtures/samples/mdmclient_log_message_patterns__EVIDENCE_NOT_VERBATIM_LOGS.md`,
//! `log_show_default__mdmclient_DeclarativeManagement_*`), so every matcher here is a substring
//! match on the message, tolerant of prefixes such as `[0:MDMDaemon:<0x4d0d>]`.

use std::collections::VecDeque;
use std::io::Read;

use super::log_ndjson::{self, LogEntry, StreamStats};

/// Relevant events kept (the newest); older ones are counted in `events_dropped`.
pub const MAX_EVENTS: usize = 200;
/// Identity failures kept (the newest).
pub const MAX_IDENTITY_ERRORS: usize = 20;
/// Longest message kept as evidence, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdmLog {
    pub stats: StreamStats,
    /// "Unable to create MDM identity" and similar identity failures, newest last (bounded).
    pub identity_errors: Vec<LogLine>,
    /// Commands, exchanges and errors, newest last (at most [`MAX_EVENTS`]).
    pub events: Vec<MdmEvent>,
    /// Events older than the kept ones.
    pub events_dropped: u64,
    /// Counts over the whole output (not only the kept events).
    pub counts: MdmCounts,
}

/// One log entry kept as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogLine {
    /// As printed by `log show`.
    pub timestamp: String,
    pub time: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub message: String,
}

impl LogLine {
    fn from_entry(e: &LogEntry) -> LogLine {
        LogLine {
            timestamp: e.timestamp.to_string(),
            time: e.time,
            message: clip(e.message, MAX_MESSAGE_CHARS),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdmCounts {
    pub commands: u64,
    pub successes: u64,
    /// Non-200 responses, `[Error(...)]` reports, `[ERROR]` lines, push rejections, identity errors.
    pub errors: u64,
    pub requests: u64,
    pub identity_errors: u64,
    pub push_rejected: u64,
    /// Relevant lines from a non-root mdmclient (the user channel), left out of everything else.
    pub user_channel: u64,
}

/// The status mdmclient reported in an exchange: the bracket in
/// `Received HTTP response (200) [Acknowledged(InstallProfile):700]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `[Idle]`: no command pending.
    Idle,
    /// `[Acknowledged(<RequestType>):<n>]`.
    Acknowledged(String),
    /// `[NotNow...]` (the request type, when printed).
    NotNow(String),
    /// `[Error(<RequestType>):<n>]` or `[CommandFormatError(...)]`.
    Error(String),
    /// A bracket of another shape (e.g. `<private>`).
    Other(String),
    /// No bracket.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdmEventKind {
    /// `Processing server request: <RequestType> for: <Device> (...)`: a command arrived.
    Command { request_type: String },
    /// `Received HTTP response (<status>) [<outcome>]`: one exchange with the server finished.
    Response { status: u16, outcome: Outcome },
    /// `Sending HTTP request (<method>) [<outcome>]`: an attempt.
    Request { outcome: Outcome },
    /// `Unable to create MDM identity` and similar.
    IdentityError,
    /// `Rejecting MDM push dictionary because it does not have the right magic string.`
    PushRejected,
    /// `[ERROR] ... [ErrorChain.0] ...`.
    ErrorLine,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdmEvent {
    pub line: LogLine,
    pub kind: MdmEventKind,
}

impl MdmEvent {
    /// A finished exchange the server accepted: `(200)` with `[Idle]`, `[Acknowledged`, `[NotNow`
    /// (Mann Consulting's "Verify APNs" EA) or a bracket we cannot read (`<private>`).
    pub fn is_success(&self) -> bool {
        matches!(
            &self.kind,
            MdmEventKind::Response { status: 200, outcome }
                if !matches!(outcome, Outcome::Error(_))
        )
    }

    /// Any `(200)` response, including one carrying an `[Error(...)]` report: Addigy's rule
    /// ("checking the logs for HTTP 200 entries").
    pub fn is_http_200(&self) -> bool {
        matches!(self.kind, MdmEventKind::Response { status: 200, .. })
    }

    pub fn is_error(&self) -> bool {
        match &self.kind {
            MdmEventKind::Response { status, outcome } => {
                *status != 200 || matches!(outcome, Outcome::Error(_))
            }
            MdmEventKind::IdentityError | MdmEventKind::PushRejected | MdmEventKind::ErrorLine => {
                true
            }
            MdmEventKind::Command { .. } | MdmEventKind::Request { .. } => false,
        }
    }

    pub fn command(&self) -> Option<&str> {
        match &self.kind {
            MdmEventKind::Command { request_type } => Some(request_type),
            _ => None,
        }
    }
}

/// Cuts `s` to at most `max` characters (on a char boundary).
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Reads `[Name(Arg):n]` after `from` in `msg`.
fn outcome_after(msg: &str, from: usize) -> Outcome {
    let rest = &msg[from..];
    let Some(open) = rest.find('[') else {
        return Outcome::None;
    };
    let inner = &rest[open + 1..];
    let inner = match inner.find(']') {
        Some(close) => &inner[..close],
        None => inner,
    };
    let name_end = inner.find(['(', ':']).unwrap_or(inner.len());
    let name = inner[..name_end].trim();
    let arg = if inner[name_end..].starts_with('(') {
        let a = &inner[name_end + 1..];
        a[..a.find(')').unwrap_or(a.len())].trim().to_string()
    } else {
        String::new()
    };
    match name {
        "Idle" => Outcome::Idle,
        "Acknowledged" => Outcome::Acknowledged(arg),
        // "NotNow" has been printed both bare and with the request type.
        n if n.starts_with("NotNow") => Outcome::NotNow(arg),
        "Error" | "CommandFormatError" => Outcome::Error(arg),
        other => Outcome::Other(other.to_string()),
    }
}

/// `(<digits>)` right after `from`.
fn status_after(msg: &str, from: usize) -> u16 {
    let digits: String = msg[from..]
        .chars()
        .skip_while(|c| *c == ' ')
        .skip_while(|c| *c == '(')
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap_or(0)
}

/// Identity failures admins' EAs grep for ("Unable to create MDM identity") and close variants.
fn is_identity_error(msg: &str) -> bool {
    if msg.contains("Unable to create MDM identity") {
        return true;
    }
    // Cheap filter first: this runs on every mdmclient line, and lowercasing allocates.
    if !msg.contains("dentity") && !msg.contains("DENTITY") {
        return false;
    }
    let lower = msg.to_ascii_lowercase();
    let about_identity = lower.contains("mdm identity")
        || lower.contains("identity certificate")
        || lower.contains("secidentity");
    about_identity
        && ["unable", "fail", "could not", "cannot", "invalid", "error"]
            .iter()
            .any(|w| lower.contains(w))
}

/// What one message is, if it matters to liveness.
pub fn classify(msg: &str) -> Option<MdmEventKind> {
    const COMMAND: &str = "Processing server request: ";
    const RESPONSE: &str = "Received HTTP response";
    const REQUEST: &str = "Sending HTTP request";
    if let Some(i) = msg.find(COMMAND) {
        let rest = &msg[i + COMMAND.len()..];
        let request_type = rest.split_whitespace().next().unwrap_or("").to_string();
        return Some(MdmEventKind::Command { request_type });
    }
    if let Some(i) = msg.find(RESPONSE) {
        let after = i + RESPONSE.len();
        return Some(MdmEventKind::Response {
            status: status_after(msg, after),
            outcome: outcome_after(msg, after),
        });
    }
    if let Some(i) = msg.find(REQUEST) {
        return Some(MdmEventKind::Request {
            outcome: outcome_after(msg, i + REQUEST.len()),
        });
    }
    if is_identity_error(msg) {
        return Some(MdmEventKind::IdentityError);
    }
    if msg.contains("Rejecting MDM push dictionary") {
        return Some(MdmEventKind::PushRejected);
    }
    if msg.trim_start().starts_with("[ERROR]") {
        return Some(MdmEventKind::ErrorLine);
    }
    None
}

/// Substrings one of which every message [`classify`] keeps contains (identity errors need
/// "dentity" or "DENTITY", see [`is_identity_error`]). Pushed into the `log show` predicate (as
/// `eventMessage CONTAINS`), so the OS returns only these lines. A new shape in `classify` needs
/// its marker here (the tests check).
pub const MARKERS: &[&str] = &[
    "Processing server request",
    "Received HTTP response",
    "Sending HTTP request",
    "dentity",
    "DENTITY",
    "Rejecting MDM push dictionary",
    "[ERROR]",
];

/// Streams the log and folds it into an [`MdmLog`].
pub fn summarize<R: Read>(reader: R) -> Result<MdmLog, String> {
    let mut events: VecDeque<MdmEvent> = VecDeque::new();
    let mut identity: VecDeque<LogLine> = VecDeque::new();
    let mut log = MdmLog::default();
    let stats = log_ndjson::for_each_entry(reader, |e| {
        let Some(kind) = classify(e.message) else {
            return;
        };
        // The predicate also matches `mdmclient agent`, which runs per user and talks to the
        // server on the user channel; its successes say nothing about the device channel that
        // Addigy's rule and heal are about. Only entries that name a non-zero user are dropped:
        // when `userID` is absent the entry is kept.
        if e.user_id.is_some_and(|u| u != 0) {
            log.counts.user_channel += 1;
            return;
        }
        let event = MdmEvent {
            line: LogLine::from_entry(e),
            kind,
        };
        let c = &mut log.counts;
        match &event.kind {
            MdmEventKind::Command { .. } => c.commands += 1,
            MdmEventKind::Request { .. } => c.requests += 1,
            MdmEventKind::IdentityError => {
                c.identity_errors += 1;
                if identity.len() == MAX_IDENTITY_ERRORS {
                    identity.pop_front();
                }
                identity.push_back(event.line.clone());
            }
            MdmEventKind::PushRejected => c.push_rejected += 1,
            _ => {}
        }
        if event.is_success() {
            c.successes += 1;
        }
        if event.is_error() {
            c.errors += 1;
        }
        if events.len() == MAX_EVENTS {
            events.pop_front();
            log.events_dropped += 1;
        }
        events.push_back(event);
    })?;
    log_ndjson::require_log_output(&stats)?;
    log.stats = stats;
    log.events = events.into();
    log.identity_errors = identity.into();
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_message_shapes() {
        use MdmEventKind as K;
        let cmd = |t: &str| {
            Some(K::Command {
                request_type: t.into(),
            })
        };
        let resp = |status, outcome| Some(K::Response { status, outcome });
        let cases: Vec<(&str, Option<MdmEventKind>)> = vec![
            // Verbatim receipt line (log_show_default__mdmclient_DeclarativeManagement_single_line__macos15.txt).
            ("[*] [0:MDMDaemon:<0x4d0d>] Processing server request: DeclarativeManagement for: <Device> (3fb48527-9aaa-492d-94fc-efd999d812a3) PowerNap: no", cmd("DeclarativeManagement")),
            ("Processing server request: ScheduleOSUpdate for: <Device> (12804726)", cmd("ScheduleOSUpdate")),
            ("Received HTTP response (200) [Idle]", resp(200, Outcome::Idle)),
            ("Received HTTP response (200) [Acknowledged(InstallProfile):700]", resp(200, Outcome::Acknowledged("InstallProfile".into()))),
            ("Received HTTP response (200) [NotNow(ScheduleOSUpdate):0]", resp(200, Outcome::NotNow("ScheduleOSUpdate".into()))),
            ("Received HTTP response (200) [NotNow]", resp(200, Outcome::NotNow(String::new()))),
            ("Received HTTP response (200) [Error(InstallProfile):0]", resp(200, Outcome::Error("InstallProfile".into()))),
            ("Received HTTP response (503) [Idle]", resp(503, Outcome::Idle)),
            ("Received HTTP response (401)", resp(401, Outcome::None)),
            ("Received HTTP response (200) [<private>]", resp(200, Outcome::Other("<private>".into()))),
            ("Received HTTP response (abc) [Idle]", resp(0, Outcome::Idle)),
            (">>>>> Sending HTTP request (PUT) [Error(ActivationLockBypassCode):800] >>>>>", Some(K::Request { outcome: Outcome::Error("ActivationLockBypassCode".into()) })),
            ("Unable to create MDM identity", Some(K::IdentityError)),
            ("Failed to copy MDM identity: -25300", Some(K::IdentityError)),
            ("Rejecting MDM push dictionary because it does not have the right magic string.", Some(K::PushRejected)),
            ("[ERROR] [0:MDMDaemon:<0x3>] [ErrorChain.0] (ActivationLockBypassCode) [MCMDMErrorDomain:12085] The operation couldn’t be completed.>", Some(K::ErrorLine)),
            ("UCRTsmb5: DEP registered according to UCRT: UCRTDEPStateUnavailable", None),
            ("=== OS Update Item ===", None),
            ("Received HTTP response (", resp(0, Outcome::None)),
            ("Received HTTP response (200) [Acknowledged(", resp(200, Outcome::Acknowledged(String::new()))),
            ("", None),
        ];
        for (msg, want) in cases {
            assert_eq!(classify(msg), want, "{msg}");
        }
    }

    #[test]
    fn success_and_error_rules() {
        let ev = |status, outcome| MdmEvent {
            line: LogLine::default(),
            kind: MdmEventKind::Response { status, outcome },
        };
        assert!(ev(200, Outcome::Idle).is_success());
        assert!(ev(200, Outcome::NotNow(String::new())).is_success());
        assert!(!ev(200, Outcome::Error("X".into())).is_success());
        assert!(ev(200, Outcome::Error("X".into())).is_error());
        assert!(ev(200, Outcome::Error("X".into())).is_http_200());
        assert!(!ev(500, Outcome::Idle).is_success());
        assert!(ev(500, Outcome::Idle).is_error());
    }

    fn line(ts: &str, msg: &str) -> String {
        format!(
            "{{\"timestamp\":\"{ts}\",\"eventMessage\":\"{msg}\",\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"subsystem\":\"com.apple.ManagedClient\",\"category\":\"HTTPUtil\",\"messageType\":\"Default\",\"processID\":1}}\n"
        )
    }

    #[test]
    fn summarize_counts_and_bounds() {
        let mut input = String::from("Filtering the log data using \"x\"\n");
        for i in 0..(MAX_EVENTS + 10) {
            input.push_str(&line(
                &format!("2026-11-20 09:{:02}:00.000000-0500", i % 60),
                "Received HTTP response (200) [Idle]",
            ));
        }
        for _ in 0..(MAX_IDENTITY_ERRORS + 3) {
            input.push_str(&line(
                "2026-11-20 09:59:00.000000-0500",
                "Unable to create MDM identity",
            ));
        }
        input.push_str("{\"count\":233,\"finished\":1}\n");
        let log = summarize(input.as_bytes()).expect("parses");
        assert_eq!(log.events.len(), MAX_EVENTS);
        assert_eq!(log.events_dropped, 33);
        assert_eq!(log.counts.successes, 210);
        assert_eq!(log.counts.identity_errors, 23);
        assert_eq!(log.counts.errors, 23);
        assert_eq!(log.identity_errors.len(), MAX_IDENTITY_ERRORS);
        assert!(log.stats.finished);
        assert!(log
            .events
            .last()
            .is_some_and(|e| e.kind == MdmEventKind::IdentityError));
    }

    #[test]
    fn user_channel_lines_are_counted_not_used() {
        let root = line(
            "2026-11-20 09:00:00.0-0500",
            "Received HTTP response (503) [Idle]",
        )
        .replace("\"processID\":1", "\"processID\":1,\"userID\":0");
        let user = line(
            "2026-11-20 09:01:00.0-0500",
            "Received HTTP response (200) [Idle]",
        )
        .replace("\"processID\":1", "\"processID\":2,\"userID\":501");
        let absent = line(
            "2026-11-20 09:02:00.0-0500",
            "Unable to create MDM identity",
        );
        let log = summarize(format!("{root}{user}{absent}").as_bytes()).expect("ok");
        assert_eq!(log.counts.user_channel, 1);
        assert_eq!(log.counts.successes, 0);
        assert_eq!(log.events.len(), 2);
        assert_eq!(log.identity_errors.len(), 1);
    }

    #[test]
    fn summarize_rejects_non_ndjson_and_empty() {
        let default_style = include_str!(
            "../../tests/fixtures/samples/log_show_default__mdmclient_DeclarativeManagement_single_line__macos15.txt"
        );
        assert!(summarize(default_style.as_bytes()).is_err());
        assert!(summarize(&b""[..]).is_err());
        // Header and trailer only: read fine, nothing happened.
        let quiet =
            summarize(&b"Filtering the log data using \"x\"\n{\"count\":0,\"finished\":1}\n"[..])
                .expect("quiet is valid");
        assert!(quiet.events.is_empty());
        assert!(quiet.stats.finished);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = summarize(&bytes[..]);
        }

        #[test]
        fn any_message_never_panics(msg in "\\PC{0,200}") {
            let _ = classify(&msg);
            let _ = classify(&format!("Received HTTP response ({msg}"));
            let _ = classify(&format!("Sending HTTP request (PUT) [{msg}"));
            let _ = clip(&msg, 7);
        }
    }

    proptest::proptest! {
        /// Every message `classify` keeps contains one of the markers (the predicate relies on
        /// it).
        #[test]
        fn classified_messages_contain_a_marker(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "Received HTTP response", "Processing server request: ", "Sending HTTP request",
                "identity", "IDENTITY", "Identity", "mdm ", "MDM ", "certificate", "unable ", "fail",
                "[ERROR]", " [ERROR]", "Rejecting MDM push dictionary", "(200) ", "[Idle]", "x", " ",
                "SecIdentity", "error",
            ]), 0..6)
        ) {
            let msg: String = parts.concat();
            if classify(&msg).is_some() {
                proptest::prop_assert!(MARKERS.iter().any(|m| msg.contains(m)), "{}", msg);
            }
        }
    }

    #[test]
    fn long_messages_are_clipped() {
        let long = "Received HTTP response (200) [Idle] ".to_string() + &"x".repeat(5000);
        let log = summarize(line("2026-11-20 09:00:00.0-0500", &long).as_bytes()).expect("ok");
        assert_eq!(
            log.events[0].line.message.chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }
}
