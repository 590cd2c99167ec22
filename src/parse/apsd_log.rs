//! What the Apple push daemon (`apsd`) logs about its connection to APNs ("courier"). A Mac that
//! cannot reach APNs receives no MDM push, so mdmclient is never asked to check in: that is the
//! cause to report, not mdmclient. The shapes are patterns of `log_patterns` with provenance.

use super::log_ndjson::LogEntry;
use super::log_patterns::{self, LogStream, Pattern};
use super::log_summary::{self, Classified, Event, LogSummary};
use std::io::Read;

/// Relevant events kept (the newest).
pub const MAX_EVENTS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApsdEventKind {
    /// `Connected to courier <host> (<ip>) …`.
    Connected,
    /// The connection dropped (unverified shape).
    Disconnected,
    /// apsd cannot obtain its identity certificate, so it cannot connect.
    IdentityFailure,
}

pub(crate) type ApsdEvent = Event<ApsdEventKind>;
pub(crate) type ApsdLog = LogSummary<ApsdEventKind>;

const SHAPES: [(&Pattern, ApsdEventKind); 3] = [
    (
        log_patterns::by_id("apsd.connected"),
        ApsdEventKind::Connected,
    ),
    (
        log_patterns::by_id("apsd.disconnected"),
        ApsdEventKind::Disconnected,
    ),
    (
        log_patterns::by_id("apsd.identity_failure"),
        ApsdEventKind::IdentityFailure,
    ),
];

/// The first shape whose pattern the message is (the needle where its `Format` says it stands).
pub(crate) fn classify(msg: &str) -> Option<Classified<ApsdEventKind>> {
    SHAPES
        .iter()
        .find(|(p, _)| p.find(msg).is_some())
        .map(|&(p, kind)| Classified::of(kind, p))
}

/// The needles of the apsd patterns (the predicate).
pub fn markers() -> Vec<&'static str> {
    log_patterns::needles(LogStream::Apsd)
}

pub fn summarize<R: Read>(reader: R) -> Result<ApsdLog, String> {
    summarize_bounded(reader, MAX_EVENTS)
}

/// [`summarize`] with another bound on the kept events (the property tests use small ones).
#[doc(hidden)]
pub(crate) fn summarize_bounded<R: Read>(reader: R, max_events: usize) -> Result<ApsdLog, String> {
    log_summary::summarize(
        reader,
        max_events,
        // apsd is a system daemon; a per-user copy proves nothing about the device's connection.
        LogStream::Apsd,
        |e: &LogEntry<'_>| classify(e.message),
        |_, _| {},
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let c = |m: &str| classify(m).map(|c| (c.kind, c.pattern.id));
        assert_eq!(
            c("Connected to courier 18-courier.push.apple.com (17.57.144.12) port 5223"),
            Some((ApsdEventKind::Connected, "apsd.connected"))
        );
        assert_eq!(
            c("Disconnected from courier 18-courier.push.apple.com"),
            Some((ApsdEventKind::Disconnected, "apsd.disconnected"))
        );
        // Verbatim (Der Flounder 2026-09-15, macOS 27 VM).
        assert_eq!(
            c("APSBAAClientIdentityProvider failed to obtain a BAA cert, error: Error Domain=com.apple.MobileActivation.ErrorDomain Code=-1 UserInfo={...}"),
            Some((ApsdEventKind::IdentityFailure, "apsd.identity_failure"))
        );
        assert_eq!(c("Received message for enabled topic"), None);
    }

    #[test]
    fn forged_connection_lines_are_rejected() {
        let input = "{\"timestamp\":\"2026-11-20 09:00:00.000000-0500\",\"eventMessage\":\"Connected to courier x\",\"processImagePath\":\"\\/Users\\/eve\\/apsd\",\"userID\":501}\n\
{\"timestamp\":\"2026-11-20 09:01:00.000000-0500\",\"eventMessage\":\"Connected to courier y\",\"processImagePath\":\"\\/System\\/Library\\/PrivateFrameworks\\/ApplePushService.framework\\/apsd\",\"userID\":0}\n";
        let log = summarize(input.as_bytes()).expect("parses");
        assert_eq!(log.rejected.count, 1);
        assert_eq!(log.events.len(), 1);
        assert!(log.events[0].line.message.ends_with('y'));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = summarize(&bytes[..]);
        }
    }
}
