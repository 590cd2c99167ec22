//! `log show --style ndjson`: a streaming reader of unified-log entries.
//!
//! The output is a non-JSON header line (`Filtering the log data using "..."`), one JSON object
//! per line, and a trailer `{"count":N,"finished":1}` (FIELD-NOTES "log show"; key format from the
//! real line `tests/fixtures/samples/log_show_ndjson__coreaudiod_real_line.ndjson`). This module
//! reads it line by line with a hard cap per line, so memory stays bounded whatever the size of
//! the output; it never buffers the whole stream, never panics on garbage (invalid UTF-8,
//! truncated JSON, over-long lines are counted in [`StreamStats::skipped`]) and does no I/O of its
//! own beyond the reader it is handed.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset};
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;

/// Longest line kept; longer lines are drained and counted as skipped (a single 10 MB message
/// must not make a root daemon allocate 10 MB).
pub const MAX_LINE: usize = 1024 * 1024;

/// One unified-log entry, with only the fields the checks use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogEntry {
    /// As printed: "2026-10-07 10:19:55.713745+0800".
    pub timestamp: String,
    pub time: Option<DateTime<FixedOffset>>,
    /// Last path component of `processImagePath` (or the `process` key some tools print).
    pub process: String,
    /// `processImagePath` in full: where the logging process's binary lives. Any process can
    /// choose its own name and subsystem; only this path says it is the system's binary.
    pub process_image_path: String,
    /// `senderImagePath`: the binary (library or executable) that made the log call.
    pub sender_image_path: String,
    pub subsystem: String,
    pub category: String,
    /// "Default", "Info", "Debug", "Error", "Fault" (integers are mapped to these names).
    pub message_type: String,
    pub message: String,
    pub pid: Option<i64>,
    /// `userID` (printed by `--style json`, see the WindowServer sample; absent in the trimmed
    /// coreaudiod line): 0 for root daemons such as the device-channel mdmclient.
    pub user_id: Option<i64>,
}

/// Counters of a read, for the report and for deciding whether the evidence is complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Every line seen, including header, trailer and skipped ones.
    pub lines: u64,
    /// Lines that are log entries: handed to the callback, or (with a [`Prefilter`]) long lines
    /// framed as a JSON object (`{` ... `}`) that contain no marker and were only counted.
    pub entries: u64,
    /// Lines that were neither an entry, the header/preamble, the trailer nor blank.
    pub skipped: u64,
    pub bytes: u64,
    /// Lines longer than [`MAX_LINE`] (also counted in `skipped`).
    pub overlong: u64,
    /// The trailer `{"count":N,"finished":1}` was seen: `log show` ran to its end.
    pub finished: bool,
    /// The trailer's `count`, when present.
    pub trailer_count: Option<u64>,
    /// The last line had no newline and was not a valid entry: the output was cut mid-line.
    pub cut_last_line: bool,
}

/// What one line was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Entry,
    /// `{"count":N,"finished":1}`.
    Trailer(Option<u64>),
    /// The `Filtering the log data using ...` header and similar text `log` prints first.
    Preamble,
    Blank,
    Garbage,
}

/// A string field borrowed from the line when it has no escapes (the common case), owned
/// otherwise (`\/` in paths). Numbers are accepted as text so an integer `messageType` parses.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The keys we read; every other key (backtrace, formatString, ...) is skipped without allocating.
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow, rename = "eventMessage", default)]
    event_message: Option<Text<'a>>,
    #[serde(borrow, default)]
    subsystem: Option<Text<'a>>,
    #[serde(borrow, default)]
    category: Option<Text<'a>>,
    #[serde(borrow, rename = "processImagePath", default)]
    process_image_path: Option<Text<'a>>,
    #[serde(borrow, rename = "senderImagePath", default)]
    sender_image_path: Option<Text<'a>>,
    #[serde(borrow, default)]
    process: Option<Text<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Text<'a>>,
    #[serde(borrow, rename = "messageType", default)]
    message_type: Option<Text<'a>>,
    #[serde(rename = "processID", default)]
    process_id: Option<i64>,
    #[serde(rename = "userID", default)]
    user_id: Option<i64>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    finished: Option<IgnoredAny>,
}

/// `os_log_type_t` values (OS_LOG_TYPE_DEFAULT 0x00, INFO 0x01, DEBUG 0x02, ERROR 0x10,
/// FAULT 0x11) for tools that print `messageType` as an integer.
fn message_type_name(raw: &str) -> Cow<'_, str> {
    match raw {
        "0" => Cow::Borrowed("Default"),
        "1" => Cow::Borrowed("Info"),
        "2" => Cow::Borrowed("Debug"),
        "16" => Cow::Borrowed("Error"),
        "17" => Cow::Borrowed("Fault"),
        other => Cow::Borrowed(other),
    }
}

/// Parses `YYYY-MM-DD HH:MM:SS.ffffff±HHMM` as `log show` prints it.
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    // The exact shape `log show` prints is read by hand (chrono's format interpreter costs about
    // a microsecond per entry); anything else goes through chrono, which defines the semantics.
    fast_timestamp(s.as_bytes())
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%z").ok())
}

/// `YYYY-MM-DD HH:MM:SS.ffffff±HHMM` with exactly six fraction digits, else `None`.
fn fast_timestamp(b: &[u8]) -> Option<DateTime<FixedOffset>> {
    use chrono::{NaiveDate, TimeZone};
    if b.len() != 31 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b' '),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ];
    if !seps.iter().all(|&(i, c)| b[i] == c) {
        return None;
    }
    let sign = match b[26] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (num(27..29)?, num(29..31)?);
    if om >= 60 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (oh * 3600 + om * 60) as i32)?;
    let naive = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?
        .and_hms_micro_opt(num(11..13)?, num(14..16)?, num(17..19)?, num(20..26)?)?;
    offset.from_local_datetime(&naive).single()
}

fn set(dst: &mut String, src: Option<&Text<'_>>) {
    dst.clear();
    if let Some(t) = src {
        dst.push_str(&t.0);
    }
}

/// Classifies one line and, for an entry, fills `entry` (its strings are reused, not reallocated).
pub fn parse_line(line: &[u8], entry: &mut LogEntry) -> LineKind {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return LineKind::Blank;
    }
    if trimmed[0] != b'{' {
        // `log` prints these before the entries (cleat_rs test; default style adds the others).
        const PREAMBLES: [&[u8]; 3] = [b"Filtering the log data", b"Skipping ", b"Timestamp "];
        return if PREAMBLES.iter().any(|p| trimmed.starts_with(p)) {
            LineKind::Preamble
        } else {
            LineKind::Garbage
        };
    }
    // from_slice validates UTF-8 and rejects truncated objects: both become Garbage.
    let raw: Raw<'_> = match serde_json::from_slice(trimmed) {
        Ok(r) => r,
        Err(_) => return LineKind::Garbage,
    };
    if raw.event_message.is_none() && raw.timestamp.is_none() {
        return if raw.finished.is_some() {
            LineKind::Trailer(raw.count)
        } else {
            LineKind::Garbage
        };
    }
    set(&mut entry.timestamp, raw.timestamp.as_ref());
    entry.time = parse_timestamp(&entry.timestamp);
    set(&mut entry.subsystem, raw.subsystem.as_ref());
    set(&mut entry.category, raw.category.as_ref());
    set(&mut entry.message, raw.event_message.as_ref());
    entry.message_type.clear();
    if let Some(t) = &raw.message_type {
        entry.message_type.push_str(&message_type_name(&t.0));
    }
    set(
        &mut entry.process_image_path,
        raw.process_image_path.as_ref(),
    );
    set(&mut entry.sender_image_path, raw.sender_image_path.as_ref());
    entry.process.clear();
    match (&raw.process_image_path, &raw.process) {
        (Some(path), _) if !path.0.is_empty() => {
            let name = path.0.rsplit('/').next().unwrap_or("");
            entry.process.push_str(name);
        }
        (_, Some(p)) => entry.process.push_str(&p.0),
        _ => {}
    }
    entry.pid = raw.process_id;
    entry.user_id = raw.user_id;
    LineKind::Entry
}

/// Bytes read from the input at a time. A line longer than this grows the buffer, up to the
/// line cap (+1 byte to tell "exactly the cap" from "over it").
pub const BLOCK: usize = 256 * 1024;

/// Lines shorter than this are always deserialised (the trailer, truncated objects and the
/// small garbage cases are all short): the pre-filter only skips long, well-framed entries.
pub const SHORT_LINE: usize = 256;

/// A raw-byte pre-filter: a line that contains none of the markers (and no `\u` escape) cannot
/// matter to a summariser and is only counted, not deserialised.
///
/// Exactness: the summarisers match ASCII substrings of the *decoded* message. A JSON string
/// holds such a substring verbatim in its raw bytes unless one of its characters was written as
/// a `\uXXXX` escape (the other escapes, `\"` `\\` `\/` `\n` ..., decode to characters no marker
/// contains), so every line with a `\u` escape is deserialised too. A marker found outside the
/// message (in the process path, say) only costs a deserialisation; it never drops a line.
pub struct Prefilter {
    markers: aho_corasick::AhoCorasick,
    unicode_escape: memchr::memmem::Finder<'static>,
}

impl Prefilter {
    /// `markers` must be non-empty ASCII without `"`, `\`, `/` or control characters (checked
    /// in debug builds and by the summarisers' tests).
    pub fn new(markers: &[&str]) -> Prefilter {
        debug_assert!(markers.iter().all(|m| !m.is_empty()
            && m.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
            && !m.contains(['"', '\\', '/'])));
        let markers = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(markers)
            .expect("a few short literal markers always build");
        Prefilter {
            markers,
            unicode_escape: memchr::memmem::Finder::new(b"\\u"),
        }
    }
}

/// Per-read state: the counters, the reused entry, the callback.
struct Sink<'a, F: FnMut(&LogEntry)> {
    cap: usize,
    filter: Option<&'a Prefilter>,
    stats: StreamStats,
    entry: LogEntry,
    f: F,
}

impl<F: FnMut(&LogEntry)> Sink<'_, F> {
    /// One line (without its newline). `interesting`: the pre-filter found a marker in it.
    fn line(&mut self, line: &[u8], newline: bool, interesting: bool) {
        let stats = &mut self.stats;
        stats.lines += 1;
        stats.bytes += line.len() as u64 + u64::from(newline);
        if line.len() > self.cap {
            stats.overlong += 1;
            stats.skipped += 1;
            return;
        }
        // Fast path: a long, complete line framed as a JSON object without any marker. It is
        // counted as an entry by its framing; nothing in it can change a summary.
        if self.filter.is_some() && !interesting && newline && line.len() >= SHORT_LINE {
            let t = line.trim_ascii();
            if t.first() == Some(&b'{') && t.last() == Some(&b'}') {
                stats.entries += 1;
                return;
            }
        }
        match parse_line(line, &mut self.entry) {
            LineKind::Entry => {
                stats.entries += 1;
                (self.f)(&self.entry);
            }
            LineKind::Trailer(count) => {
                stats.finished = true;
                stats.trailer_count = count;
            }
            LineKind::Preamble | LineKind::Blank => {}
            LineKind::Garbage => {
                stats.skipped += 1;
                if !newline {
                    stats.cut_last_line = true;
                }
            }
        }
    }

    /// Every complete line of `region` (which ends with a newline), with the pre-filter run once
    /// over the whole region rather than per line.
    fn lines(&mut self, region: &[u8]) {
        let filter = self.filter;
        let mut hits = filter.map(|p| p.markers.find_iter(region).map(|m| m.start()).peekable());
        let mut escapes = filter.map(|p| p.unicode_escape.find_iter(region).peekable());
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', region) {
            let mut interesting = false;
            if let Some(h) = hits.as_mut() {
                while h.next_if(|&p| p < start).is_some() {}
                interesting = h.peek().is_some_and(|&p| p < nl);
            }
            if let (false, Some(u)) = (interesting, escapes.as_mut()) {
                while u.next_if(|&p| p < start).is_some() {}
                interesting = u.peek().is_some_and(|&p| p < nl);
            }
            self.line(&region[start..nl], true, interesting);
            start = nl + 1;
        }
    }
}

fn read_some<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Calls `f` for every entry, in order, holding at most one block plus one line (at most
/// `MAX_LINE`) in memory. Fails only when the reader fails; bad lines are counted, never fatal.
pub fn for_each_entry<R: Read>(reader: R, f: impl FnMut(&LogEntry)) -> Result<StreamStats, String> {
    for_each_entry_capped(reader, MAX_LINE, f)
}

/// [`for_each_entry`] with an explicit line cap (tests use a small one).
pub fn for_each_entry_capped<R: Read>(
    reader: R,
    cap: usize,
    f: impl FnMut(&LogEntry),
) -> Result<StreamStats, String> {
    for_each_entry_filtered(reader, cap, None, f)
}

/// [`for_each_entry_capped`] with a pre-filter: long, well-framed lines without a marker are
/// counted in `entries` but not deserialised nor handed to `f`.
pub fn for_each_entry_filtered<R: Read>(
    mut reader: R,
    cap: usize,
    filter: Option<&Prefilter>,
    f: impl FnMut(&LogEntry),
) -> Result<StreamStats, String> {
    let mut sink = Sink {
        cap,
        filter,
        stats: StreamStats::default(),
        entry: LogEntry::default(),
        f,
    };
    let mut buf = vec![0u8; BLOCK.min(cap.saturating_add(1)).max(4096)];
    // Valid bytes are buf[..len]; all complete lines are consumed after each read.
    let mut len = 0usize;
    // Bytes of an over-long line being drained (nothing of it is kept).
    let mut draining: Option<u64> = None;
    loop {
        let n = read_some(&mut reader, &mut buf[len..]).map_err(|e| format!("read error: {e}"))?;
        if n == 0 {
            break;
        }
        let fresh = len;
        len += n;
        let mut from = 0;
        if let Some(done) = draining {
            match memchr::memchr(b'\n', &buf[fresh..len]) {
                Some(i) => {
                    let stats = &mut sink.stats;
                    stats.lines += 1;
                    stats.bytes += done + i as u64 + 1;
                    stats.overlong += 1;
                    stats.skipped += 1;
                    draining = None;
                    from = fresh + i + 1;
                }
                None => {
                    draining = Some(done + n as u64);
                    len = 0;
                    continue;
                }
            }
        }
        // Only bytes past `fresh` can hold the newline ending the partial line.
        if let Some(last) = memchr::memrchr(b'\n', &buf[from.max(fresh)..len]) {
            let end = from.max(fresh) + last + 1;
            sink.lines(&buf[from..end]);
            from = end;
        }
        buf.copy_within(from..len, 0);
        len -= from;
        if len == buf.len() {
            // A full buffer with no newline: grow up to the cap, then drain.
            if len > cap {
                draining = Some(len as u64);
                len = 0;
            } else {
                let grown = (buf.len() * 2).min(cap.saturating_add(1));
                buf.resize(grown, 0);
            }
        }
    }
    if let Some(done) = draining {
        let stats = &mut sink.stats;
        stats.lines += 1;
        stats.bytes += done;
        stats.overlong += 1;
        stats.skipped += 1;
    } else if len > 0 {
        sink.line(&buf[..len], false, true);
    }
    Ok(sink.stats)
}

/// Whether a read was `log show --style ndjson` output at all: nothing printed, or only lines
/// that are not log entries (garbage, another style), is an error, not an empty log. A header
/// plus trailer with no entries (a quiet window) is fine.
pub fn require_log_output(stats: &StreamStats) -> Result<(), String> {
    if stats.lines == 0 {
        return Err("no output".into());
    }
    if stats.entries == 0 && !stats.finished && stats.skipped > 0 {
        return Err(format!(
            "no log entry in {} lines: not `log show --style ndjson` output",
            stats.lines
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> (Vec<LogEntry>, StreamStats) {
        read_cap(input, MAX_LINE)
    }

    fn read_cap(input: &[u8], cap: usize) -> (Vec<LogEntry>, StreamStats) {
        let mut out = Vec::new();
        let stats = for_each_entry_capped(input, cap, |e| out.push(e.clone())).expect("reads");
        (out, stats)
    }

    const COREAUDIOD: &[u8] =
        include_bytes!("../../tests/fixtures/samples/log_show_ndjson__coreaudiod_real_line.ndjson");
    const WINDOWSERVER: &[u8] = include_bytes!(
        "../../tests/fixtures/samples/log_show_json__windowserver_entry_with_backtrace.json"
    );

    #[test]
    fn real_coreaudiod_line() {
        let (e, s) = read(COREAUDIOD);
        assert_eq!(s.entries, 1);
        assert_eq!(s.skipped, 0);
        let e = &e[0];
        assert_eq!(e.process, "coreaudiod");
        assert_eq!(e.subsystem, "com.apple.bluetooth");
        assert_eq!(e.category, "BTAudio");
        assert_eq!(e.message_type, "Default");
        assert_eq!(e.pid, Some(342));
        assert_eq!(e.user_id, None);
        assert_eq!(e.timestamp, "2026-10-07 10:19:55.713745+0800");
        assert_eq!(
            e.time.map(|t| t.to_rfc3339()),
            Some("2026-10-07T10:19:55.713745+08:00".to_string())
        );
        assert!(e.message.starts_with("Volume update from PID = 8484"));
    }

    #[test]
    fn real_windowserver_json_entry_fields() {
        // A pretty-printed `--style json` element; JSON whitespace includes newlines, so the
        // object parses whole and the nested backtrace is skipped.
        let mut e = LogEntry::default();
        assert_eq!(parse_line(WINDOWSERVER, &mut e), LineKind::Entry);
        assert_eq!(e.process, "WindowServer");
        assert_eq!(e.subsystem, "com.apple.Multitouch");
        assert_eq!(e.category, "Plugin");
        assert_eq!(e.pid, Some(453));
        assert_eq!(e.user_id, Some(88));
        assert_eq!(
            e.time.map(|t| t.to_rfc3339()),
            Some("2026-05-07T19:48:34.701580-05:00".to_string())
        );
        assert!(e.message.starts_with("[TP] Dispatching digitizer event"));
    }

    #[test]
    fn header_trailer_and_entries() {
        let input = b"Filtering the log data using \"process == \\\"mdmclient\\\"\"\n\
{\"timestamp\":\"2026-11-20 09:00:00.000000-0500\",\"eventMessage\":\"a\",\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"messageType\":\"Info\"}\n\
{\"count\":1,\"finished\":1}\n";
        let (e, s) = read(input);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].process, "mdmclient", "escaped slashes are unescaped");
        assert_eq!(e[0].message_type, "Info");
        assert_eq!(
            s,
            StreamStats {
                lines: 3,
                entries: 1,
                skipped: 0,
                bytes: input.len() as u64,
                overlong: 0,
                finished: true,
                trailer_count: Some(1),
                cut_last_line: false,
            }
        );
    }

    #[test]
    fn integer_message_type_and_process_key() {
        let cases: &[(&str, &str)] = &[
            ("0", "Default"),
            ("1", "Info"),
            ("2", "Debug"),
            ("16", "Error"),
            ("17", "Fault"),
            ("99", "99"),
            ("\"Fault\"", "Fault"),
        ];
        for (raw, want) in cases {
            let line = format!(
                "{{\"timestamp\":\"2026-11-20 09:00:00.000000-0500\",\"eventMessage\":\"m\",\"process\":\"softwareupdated\",\"messageType\":{raw}}}"
            );
            let mut e = LogEntry::default();
            assert_eq!(
                parse_line(line.as_bytes(), &mut e),
                LineKind::Entry,
                "{raw}"
            );
            assert_eq!(e.message_type, *want, "{raw}");
            assert_eq!(e.process, "softwareupdated");
        }
    }

    #[test]
    fn garbage_lines_are_counted_not_fatal() {
        let cases: &[(&[u8], u64, u64)] = &[
            // (input, entries, skipped)
            (b"", 0, 0),
            (b"\n\n  \n", 0, 0),
            (b"not json at all\n", 0, 1),
            (b"{\"timestamp\": \"2026-11-20 09:00\n", 0, 1),
            (b"{\"eventMessage\":\"\xff\xfe bad utf8\"}\n", 0, 1),
            (b"[1,2,3]\n", 0, 1),
            (b"{}\n", 0, 1),
            (b"{\"eventMessage\":42}\n", 1, 0),
            (b"{\"eventMessage\":{\"nested\":1}}\n", 0, 1),
            (b"\x00\x01\x02\n{\"eventMessage\":\"ok\"}\n", 1, 1),
        ];
        for (input, entries, skipped) in cases {
            let (_, s) = read(input);
            assert_eq!(
                (s.entries, s.skipped),
                (*entries, *skipped),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn truncated_last_line_is_flagged() {
        let input = b"{\"eventMessage\":\"one\",\"timestamp\":\"2026-11-20 09:00:00.0-0500\"}\n{\"eventMessage\":\"tw";
        let (e, s) = read(input);
        assert_eq!(e.len(), 1);
        assert_eq!(s.skipped, 1);
        assert!(s.cut_last_line);
        assert!(!s.finished);
        assert!(e[0].time.is_some());
    }

    #[test]
    fn complete_last_line_without_newline_is_an_entry() {
        let (e, s) = read(b"{\"eventMessage\":\"one\"}");
        assert_eq!(e.len(), 1);
        assert!(!s.cut_last_line);
    }

    #[test]
    fn over_long_line_is_skipped_with_bounded_memory() {
        let mut input = b"{\"eventMessage\":\"before\"}\n{\"eventMessage\":\"".to_vec();
        input.extend(vec![b'x'; 10 * 1024 * 1024]);
        input.extend_from_slice(b"\"}\n{\"eventMessage\":\"after\"}\n");
        let (e, s) = read(&input);
        let msgs: Vec<&str> = e.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, ["before", "after"]);
        assert_eq!((s.overlong, s.skipped, s.lines), (1, 1, 3));
        assert_eq!(s.bytes, input.len() as u64);
    }

    #[test]
    fn lines_longer_than_a_block_grow_the_buffer() {
        let big = "y".repeat(BLOCK * 2 + 17);
        let input = format!(
            "{{\"eventMessage\":\"a\"}}\n{{\"eventMessage\":\"{big}\"}}\n{{\"eventMessage\":\"b\"}}"
        );
        let (e, s) = read(input.as_bytes());
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].message.len(), big.len());
        assert_eq!(s.bytes, input.len() as u64);
        assert_eq!((s.lines, s.skipped, s.overlong), (3, 0, 0));
    }

    #[test]
    fn prefilter_counts_unmarked_entries_without_parsing() {
        let filter = Prefilter::new(&["Received HTTP response"]);
        let pad = "z".repeat(SHORT_LINE);
        let input = format!(
            "Filtering the log data\n{{\"eventMessage\":\"chatter\",\"pad\":\"{pad}\"}}\n{{\"eventMessage\":\"Received HTTP response (200)\",\"pad\":\"{pad}\"}}\n{{\"eventMessage\":\"short\"}}\n{{\"eventMessage\":\"\\u0041\",\"pad\":\"{pad}\"}}\n{{\"count\":4,\"finished\":1}}\n"
        );
        let mut seen = Vec::new();
        let s = for_each_entry_filtered(input.as_bytes(), MAX_LINE, Some(&filter), |e| {
            seen.push(e.message.clone())
        })
        .expect("reads");
        assert_eq!(seen, ["Received HTTP response (200)", "short", "A"]);
        assert_eq!((s.entries, s.skipped, s.lines), (4, 0, 6));
        assert!(s.finished);
        assert_eq!(s.bytes, input.len() as u64);
    }

    proptest::proptest! {
        /// Any chunking of the input (reads of any size) gives the same result.
        #[test]
        fn short_reads_change_nothing(
            bytes in proptest::collection::vec(proptest::sample::select(b"{}\"ab\n x:".to_vec()), 0..600),
            chunk in 1usize..17,
        ) {
            struct Dribble<'a>(&'a [u8], usize);
            impl Read for Dribble<'_> {
                fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                    let n = self.1.min(buf.len()).min(self.0.len());
                    buf[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let whole = read_cap(&bytes, 8);
            let mut out = Vec::new();
            let s = for_each_entry_capped(Dribble(&bytes, chunk), 8, |e| out.push(e.clone())).expect("reads");
            proptest::prop_assert_eq!(whole, (out, s));
        }
    }

    #[test]
    fn small_cap_applies_exactly() {
        let line = b"{\"eventMessage\":\"12345\"}\n";
        let len = line.len() - 1;
        assert_eq!(read_cap(line, len).1.entries, 1);
        assert_eq!(read_cap(line, len - 1).1.overlong, 1);
    }

    #[test]
    fn trailer_without_count_and_other_preambles() {
        let input = b"Skipping debug messages, pass --debug to include.\nTimestamp Thread Type\n{\"finished\":1}\n";
        let (_, s) = read(input);
        assert!(s.finished);
        assert_eq!(s.trailer_count, None);
        assert_eq!(s.skipped, 0);
    }

    #[test]
    fn entry_strings_are_reset_between_lines() {
        let input = b"{\"eventMessage\":\"a\",\"subsystem\":\"s\",\"category\":\"c\",\"processID\":7,\"userID\":0}\n{\"eventMessage\":\"b\"}\n";
        let (e, _) = read(input);
        assert_eq!(e[1].subsystem, "");
        assert_eq!(e[1].category, "");
        assert_eq!(e[1].pid, None);
        assert_eq!(e[1].user_id, None);
        assert_eq!(e[1].time, None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic_and_bytes_add_up(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096),
            cap in 1usize..64,
        ) {
            let stats = for_each_entry_capped(&bytes[..], cap, |_| {}).expect("memory never fails");
            proptest::prop_assert_eq!(stats.bytes, bytes.len() as u64);
            proptest::prop_assert!(stats.entries + stats.skipped <= stats.lines);
        }
    }

    proptest::proptest! {
        /// The hand-written reader agrees with chrono's on every string of the printed shape.
        #[test]
        fn fast_timestamps_agree_with_chrono(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62,
            s in 0u32..62, us in 0u32..1_000_000, sign in proptest::sample::select(vec!['+', '-']),
            oh in 0u32..100, om in 0u32..100,
        ) {
            let text = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}{sign}{oh:02}{om:02}");
            let chrono = DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%z").ok();
            proptest::prop_assert_eq!(parse_timestamp(&text), chrono, "{}", text);
        }
    }

    #[test]
    fn timestamps() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "2026-11-20 08:30:00.123456-0500",
                Some("2026-11-20T08:30:00.123456-05:00"),
            ),
            (
                "2026-11-20 08:30:00-0500",
                Some("2026-11-20T08:30:00-05:00"),
            ),
            ("2026-11-20T08:30:00-0500", None),
            ("yesterday", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(
                parse_timestamp(s).map(|t| t.to_rfc3339()).as_deref(),
                *want,
                "{s}"
            );
        }
    }
}
