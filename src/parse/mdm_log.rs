//! What the mdmclient / com.apple.ManagedClient log says: exchanges with the server, command
//! receipts, identity failures, and context (the generic `[ERROR]` tag).
//!
//! Every shape here is a pattern of `log_patterns` with its provenance. Real lines (Macjutsu/super's
//! example logs, Der Flounder 2024) look like
//! `[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (200) [Idle] <<<<<`,
//! `>>>>> Sending HTTP request (PUT) [Acknowledged(ScheduleOSUpdateScan):1923527f-…] >>>>>` and
//! `[*] [0:MDMDaemon:<0x4d0d>] Processing server request: DeclarativeManagement for: <Device> (…) PowerNap: no`,
//! so a pattern matches its message format where it begins, after at most the bracketed markers
//! and the one owner token those prefixes carry (`log_patterns::Format::Leading`), never text a
//! user put later in a line. This module classifies; the checks judge against `obs.now`.

use super::log_ndjson::LogEntry;
use super::log_patterns::{self, LogStream, Pattern};
use super::log_summary::{self, Classified, Event, LogSummary};
use std::io::Read;

pub use super::log_summary::{clip, LogLine, MAX_MESSAGE_CHARS};

/// Relevant events kept (the newest); older ones are counted in `events_dropped`.
pub const MAX_EVENTS: usize = 200;

/// The status mdmclient reported in an exchange: the bracket in
/// `Received HTTP response (200) [Acknowledged(InstallProfile):700]`. It repeats what the Mac
/// sent in that request; it does not say whether a command is pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportedStatus {
    /// `[Idle]`.
    Idle,
    /// `[Acknowledged(<RequestType>):<uuid>]`.
    Acknowledged(String),
    /// `[NotNow...]` (the request type, when printed).
    NotNow(String),
    /// `[Error(<RequestType>):<uuid>]` or `[CommandFormatError(...)]`: the Mac reports that a
    /// command failed on the device. The exchange itself worked.
    Error(String),
    /// A bracket of another shape: a check-in message (`[MDM_GetBootstrapToken]`) or `<private>`.
    Other(String),
    /// No bracket.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdmEventKind {
    /// `Processing server request: <RequestType> for: <Device> (...)`: a command arrived, so the
    /// server answered over a working connection.
    Command { request_type: String },
    /// `Received HTTP response (<status>) [<reported>]`: one exchange finished.
    Response {
        status: u16,
        reported: ReportedStatus,
    },
    /// `Sending HTTP request (<method>) [<reported>]`: an attempt (and a command's answer).
    Request { reported: ReportedStatus },
    /// `Unable to create MDM identity` (verified in form) or another identity failure
    /// (unverified): the event's pattern says which.
    IdentityError,
    /// `Rejecting MDM push dictionary because it does not have the right magic string.`
    PushRejected,
    /// A network error on the way to the server (unverified shape).
    TransportError,
    /// The generic `[ERROR]` tag: context, never a failed exchange.
    ErrorTag,
}

pub(crate) type MdmEvent = Event<MdmEventKind>;
pub type MdmLog = LogSummary<MdmEventKind>;

impl Event<MdmEventKind> {
    /// A finished exchange with a (200) answer.
    pub(crate) fn is_success(&self) -> bool {
        matches!(self.kind, MdmEventKind::Response { status: 200, .. })
    }

    /// Proof the channel to the server works: a (200) response or a command receipt.
    pub(crate) fn is_exchange(&self) -> bool {
        self.is_success() || self.command().is_some()
    }

    /// An HTTP line (request or response): proof the level these lines are logged at was
    /// collected.
    pub(crate) fn is_http(&self) -> bool {
        matches!(
            self.kind,
            MdmEventKind::Response { .. } | MdmEventKind::Request { .. }
        )
    }

    /// A non-200 response.
    pub(crate) fn http_failure(&self) -> Option<u16> {
        match self.kind {
            MdmEventKind::Response { status, .. } if status != 200 => Some(status),
            _ => None,
        }
    }

    pub fn command(&self) -> Option<&str> {
        match &self.kind {
            MdmEventKind::Command { request_type } => Some(request_type),
            _ => None,
        }
    }
}

impl LogSummary<MdmEventKind> {
    /// Identity failures of a verified pattern (`Unable to create MDM identity`), oldest first.
    /// Unverified variants are kept as events but never make the identity check fail.
    pub fn identity_errors(&self) -> impl Iterator<Item = &LogLine> {
        self.events
            .iter()
            .filter(|e| e.kind == MdmEventKind::IdentityError && e.verified())
            .map(|e| &e.line)
    }
}

/// Identity lines that are not the verified sentence: the message names the MDM identity (it
/// holds `dentity`, tested first) and a failure word.
fn other_identity_words(msg: &str) -> bool {
    let lower = msg.to_ascii_lowercase();
    let about_identity = lower.contains("mdm identity")
        || lower.contains("identity certificate")
        || lower.contains("secidentity");
    about_identity
        && ["unable", "fail", "could not", "cannot", "invalid", "error"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Reads `[Name(Arg):n]` after `from` in `msg`.
fn reported_after(msg: &str, from: usize) -> ReportedStatus {
    let rest = &msg[from..];
    let Some(open) = rest.find('[') else {
        return ReportedStatus::None;
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
        "Idle" => ReportedStatus::Idle,
        "Acknowledged" => ReportedStatus::Acknowledged(arg),
        // "NotNow" has been printed both bare and with the request type.
        n if n.starts_with("NotNow") => ReportedStatus::NotNow(arg),
        "Error" | "CommandFormatError" => ReportedStatus::Error(arg),
        other => ReportedStatus::Other(other.to_string()),
    }
}

/// `(<digits>)` right after `from` (0 when absent, garbled or over `u16`), without collecting the
/// digits: spaces, then `(`s, then the digits.
pub(crate) fn status_after(msg: &str, from: usize) -> u16 {
    let mut b = msg.as_bytes()[from..].iter().peekable();
    while b.next_if_eq(&&b' ').is_some() {}
    while b.next_if_eq(&&b'(').is_some() {}
    let mut value: u16 = 0;
    let mut any = false;
    for d in b.take_while(|c| c.is_ascii_digit()) {
        any = true;
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u16::from(d - b'0')))
        {
            Some(v) => value = v,
            None => return 0,
        }
    }
    if any {
        value
    } else {
        0
    }
}

const P_COMMAND: &Pattern = log_patterns::by_id("mdm.command_receipt");
const P_RESPONSE: &Pattern = log_patterns::by_id("mdm.http_response");
const P_REQUEST: &Pattern = log_patterns::by_id("mdm.http_request");
const P_IDENTITY: &Pattern = log_patterns::by_id("mdm.identity_error");
const P_IDENTITY_OTHER: &Pattern = log_patterns::by_id("mdm.identity_error_other");
const P_PUSH_REJECTED: &Pattern = log_patterns::by_id("mdm.push_rejected");
const P_TRANSPORT: &Pattern = log_patterns::by_id("mdm.transport_error");
const P_ERROR_TAG: &Pattern = log_patterns::by_id("mdm.error_tag");

/// What one message is, and by which pattern, if it matters to the rules.
///
/// The first shape found in this order wins (a command receipt, then a response, a request, the
/// identity failures, a rejected push, a transport error, the `[ERROR]` tag). Each shape is its
/// pattern's needle where the table's `Format` says it stands (a receipt, a response and a request
/// begin the message after mdmclient's own `[*] [0:MDMDaemon…] ` / `<<<<< ` leader), and its
/// fields are read from the position right after it.
pub(crate) fn classify(msg: &str) -> Option<Classified<MdmEventKind>> {
    use MdmEventKind as K;
    if let Some(end) = P_COMMAND.find(msg) {
        // `Processing server request: <RequestType> for: …`
        let rest = msg[end..].strip_prefix(':').unwrap_or(&msg[end..]);
        let request_type = rest.split_whitespace().next().unwrap_or("").to_string();
        return Some(Classified::of(K::Command { request_type }, P_COMMAND));
    }
    if let Some(end) = P_RESPONSE.find(msg) {
        return Some(Classified::of(
            K::Response {
                status: status_after(msg, end),
                reported: reported_after(msg, end),
            },
            P_RESPONSE,
        ));
    }
    if let Some(end) = P_REQUEST.find(msg) {
        return Some(Classified::of(
            K::Request {
                reported: reported_after(msg, end),
            },
            P_REQUEST,
        ));
    }
    if P_IDENTITY.find(msg).is_some() {
        return Some(Classified::of(K::IdentityError, P_IDENTITY));
    }
    if P_IDENTITY_OTHER.find(msg).is_some() && other_identity_words(msg) {
        return Some(Classified::of(K::IdentityError, P_IDENTITY_OTHER));
    }
    if P_PUSH_REJECTED.find(msg).is_some() {
        return Some(Classified::of(K::PushRejected, P_PUSH_REJECTED));
    }
    if P_TRANSPORT.find(msg).is_some() {
        return Some(Classified::of(K::TransportError, P_TRANSPORT));
    }
    if P_ERROR_TAG.find(msg).is_some() {
        return Some(Classified::of(K::ErrorTag, P_ERROR_TAG));
    }
    None
}

/// [`summarize`] with another bound on the kept events (the property tests use small ones).
#[doc(hidden)]
pub fn summarize_bounded<R: Read>(reader: R, max_events: usize) -> Result<MdmLog, String> {
    log_summary::summarize(
        reader,
        max_events,
        LogStream::Mdmclient,
        |e: &LogEntry<'_>| classify(e.message),
        |_, _| {},
    )
}

/// The needles of the mdmclient patterns: the `eventMessage CONTAINS` part of the predicate.
/// Every message `classify` keeps contains one (tested).
pub fn markers() -> Vec<&'static str> {
    log_patterns::needles(LogStream::Mdmclient)
}

/// Streams the log and folds it into an [`MdmLog`].
pub fn summarize<R: Read>(reader: R) -> Result<MdmLog, String> {
    log_summary::summarize(
        reader,
        MAX_EVENTS,
        // The predicate also matches `mdmclient agent`, which runs per user and talks to the
        // server on the user channel (`[501:MDMAgent…]` lines); its successes say nothing about
        // the device channel that heal and Addigy's rule are about.
        LogStream::Mdmclient,
        |e: &LogEntry<'_>| classify(e.message),
        |_, _| {},
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(msg: &str) -> Option<(MdmEventKind, &'static str)> {
        classify(msg).map(|c| (c.kind, c.pattern.id))
    }

    #[test]
    fn classify_message_shapes() {
        use MdmEventKind as K;
        use ReportedStatus as R;
        let resp = |status, reported| Some((K::Response { status, reported }, "mdm.http_response"));
        let cases: Vec<(&str, Option<(MdmEventKind, &str)>)> = vec![
            // Verbatim (Der Flounder 2024, macOS 15).
            ("[*] [0:MDMDaemon:<0x4d0d>] Processing server request: DeclarativeManagement for: <Device> (3fb48527-9aaa-492d-94fc-efd999d812a3) PowerNap: no",
             Some((K::Command { request_type: "DeclarativeManagement".into() }, "mdm.command_receipt"))),
            // Verbatim shapes (Macjutsu/super example logs).
            ("[0:MDMDaemon:HTTPUtil:<0x6c0d>] <<<<< Received HTTP response (200) [Idle] <<<<<", resp(200, R::Idle)),
            (">>>>> Sending HTTP request (PUT) [Acknowledged(ScheduleOSUpdateScan):1923527f-2d8c-4d0f-9a53-3f5b1e0c2a11] >>>>>",
             Some((K::Request { reported: R::Acknowledged("ScheduleOSUpdateScan".into()) }, "mdm.http_request"))),
            ("Received HTTP response (200) [MDM_GetBootstrapToken]", resp(200, R::Other("MDM_GetBootstrapToken".into()))),
            ("Received HTTP response (200) [NotNow]", resp(200, R::NotNow(String::new()))),
            ("Received HTTP response (200) [Error(InstallProfile):0]", resp(200, R::Error("InstallProfile".into()))),
            ("Received HTTP response (503) [Idle]", resp(503, R::Idle)),
            ("Received HTTP response (401)", resp(401, R::None)),
            ("Received HTTP response (abc) [Idle]", resp(0, R::Idle)),
            ("Received HTTP response (", resp(0, R::None)),
            ("Unable to create MDM identity", Some((K::IdentityError, "mdm.identity_error"))),
            ("Failed to copy MDM identity: -25300", Some((K::IdentityError, "mdm.identity_error_other"))),
            ("Rejecting MDM push dictionary because it does not have the right magic string.", Some((K::PushRejected, "mdm.push_rejected"))),
            ("[ERROR] [0:MDMDaemon:<0x3>] [ErrorChain.0] (ActivationLockBypassCode) [MCMDMErrorDomain:12085] The operation couldn’t be completed.>", Some((K::ErrorTag, "mdm.error_tag"))),
            ("[ERROR] [0:MDMDaemon:<0x3>] [ErrorChain.0] [NSURLErrorDomain:-1009] The Internet connection appears to be offline.", Some((K::TransportError, "mdm.transport_error"))),
            ("UCRTsmb5: DEP registered according to UCRT: UCRTDEPStateUnavailable", None),
            ("=== OS Update Item ===", None),
            ("", None),
        ];
        for (msg, want) in cases {
            assert_eq!(kind(msg), want, "{msg}");
        }
    }

    fn line(ts: &str, msg: &str, path: &str, uid: i64) -> String {
        format!(
            "{{\"timestamp\":\"{ts}\",\"eventMessage\":\"{msg}\",\"processImagePath\":\"{}\",\"subsystem\":\"com.apple.ManagedClient\",\"category\":\"HTTPUtil\",\"messageType\":\"Default\",\"processID\":1,\"userID\":{uid}}}\n",
            path.replace('/', "\\/")
        )
    }

    const MDMCLIENT: &str = "/usr/libexec/mdmclient";

    /// The exact path and uid, but a category real receipts never carry, or the receipt text
    /// after a user's words (a profile's display name): neither is a receipt.
    #[test]
    fn receipts_need_their_category_and_their_format_where_it_begins() {
        let entry = |category: &str, msg: &str| {
            format!(
                "{{\"timestamp\":\"2026-11-20 09:00:00.000000-0500\",\"eventMessage\":{},\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"subsystem\":\"com.apple.ManagedClient\",\"category\":\"{category}\",\"userID\":0}}\n",
                serde_json::to_string(msg).unwrap()
            )
        };
        let real = "[*] [0:MDMDaemon:<0x4d0d>] Processing server request: DeclarativeManagement for: <Device> (x) PowerNap: no";
        let input = [
            entry("MDMDaemon", real),
            entry("MCProfiles", real),
            entry(
                "MDMDaemon",
                "Profile display name: Processing server request: Anything",
            ),
            entry(
                "MDMDaemon",
                "[*] [0:MDMDaemon:<0x1>] Installing 'Processing server request: X'",
            ),
        ]
        .concat();
        let log = summarize(input.as_bytes()).expect("parses");
        assert_eq!(log.count("mdm.command_receipt"), 1);
        assert_eq!(
            log.rejected.count, 1,
            "the wrong category is counted as rejected"
        );
        assert!(log.rejected.examples[0].0.contains("category MCProfiles"));
    }

    #[test]
    fn summarize_counts_and_bounds() {
        let mut input = String::from("Filtering the log data using \"x\"\n");
        for i in 0..(MAX_EVENTS + 10) {
            input.push_str(&line(
                &format!("2026-11-20 09:{:02}:00.000000-0500", i % 60),
                "Received HTTP response (200) [Idle]",
                MDMCLIENT,
                0,
            ));
        }
        for _ in 0..3 {
            input.push_str(&line(
                "2026-11-20 09:59:00.000000-0500",
                "Unable to create MDM identity",
                MDMCLIENT,
                0,
            ));
        }
        input.push_str("{\"count\":213,\"finished\":1}\n");
        let log = summarize(input.as_bytes()).expect("parses");
        assert_eq!(log.events.len(), MAX_EVENTS);
        assert_eq!(log.events_dropped, 13);
        assert_eq!(log.count("mdm.http_response"), 210);
        assert_eq!(log.count("mdm.identity_error"), 3);
        assert!(log.stats.finished);
        assert_eq!(
            log.events.last().map(|e| e.pattern.id),
            Some("mdm.identity_error")
        );
    }

    #[test]
    fn user_channel_and_forged_lines_are_counted_not_used() {
        let input = [
            line(
                "2026-11-20 09:00:00.0-0500",
                "Received HTTP response (503) [Idle]",
                MDMCLIENT,
                0,
            ),
            line(
                "2026-11-20 09:01:00.0-0500",
                "Received HTTP response (200) [Idle]",
                MDMCLIENT,
                501,
            ),
            line(
                "2026-11-20 09:02:00.0-0500",
                "Received HTTP response (200) [Idle]",
                "/Users/eve/mdmclient",
                0,
            ),
            line(
                "2026-11-20 09:03:00.0-0500",
                "Received HTTP response (200) [Idle]",
                "/usr/local/bin/mdmclient",
                0,
            ),
        ]
        .concat();
        let log = summarize(input.as_bytes()).expect("ok");
        assert_eq!(log.user_channel, 1);
        assert_eq!(log.rejected.count, 2);
        assert_eq!(log.rejected.examples.len(), 2);
        assert!(log.rejected.examples[0].0.contains("/Users/eve/mdmclient"));
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.events[0].http_failure(), Some(503));
    }

    #[test]
    fn summarize_rejects_non_ndjson_and_empty() {
        let default_style = include_str!(
            "../../tests/fixtures/samples/log_show_default__mdmclient_DeclarativeManagement_single_line__macos15.txt"
        );
        assert!(summarize(default_style.as_bytes()).is_err());
        assert!(summarize(&b""[..]).is_err());
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
        /// Every message `classify` keeps contains one of the markers.
        #[test]
        fn classified_messages_contain_a_marker(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "Received HTTP response", "Processing server request: ", "Sending HTTP request",
                "identity", "IDENTITY", "Identity", "mdm ", "MDM ", "certificate", "unable ", "fail",
                "[ERROR]", " [ERROR]", "Rejecting MDM push dictionary", "(200) ", "[Idle]", "x", " ",
                "SecIdentity", "error", "NSURLErrorDomain",
            ]), 0..6)
        ) {
            let msg: String = parts.concat();
            if let Some(c) = classify(&msg) {
                proptest::prop_assert!(msg.contains(c.pattern.needle), "{} / {}", msg, c.pattern.id);
            }
        }
    }

    #[test]
    fn long_messages_are_clipped() {
        let long = "Received HTTP response (200) [Idle] ".to_string() + &"x".repeat(5000);
        let log = summarize(line("2026-11-20 09:00:00.0-0500", &long, MDMCLIENT, 0).as_bytes())
            .expect("ok");
        assert_eq!(
            log.events[0].line.message.chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }
}
