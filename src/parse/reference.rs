//! The reference implementations: straightforward versions of the optimised readers, kept only
//! for the property tests, the fuzz targets (built with `--cfg fuzzing`) and the `reference`
//! feature (examples/logscan's `mdm-reference` mode). Nothing here runs in a release build.
//! (The ndjson decoder's own reference, `log_ndjson::parse_line_reference`, lives beside it.)

use std::collections::VecDeque;
use std::io::Read;

use super::log_ndjson::{self, LogEntry};
use super::log_patterns::LogStream;
use super::log_summary::{admit, origin, Classified, Event, LogLine, LogSummary};
use super::{apsd_log, mdm_log, su_log};

/// The straightforward fold [`log_summary::summarize`] must equal: a fresh [`LogLine`] per kept event, cloned
/// into its pattern's count, and a bounded deque that drops the oldest. Kept for the property
/// tests (and as the reading of what `summarize` means); not used by the probes.
pub fn summarize<R: Read, K>(
    reader: R,
    max_events: usize,
    stream: LogStream,
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
        if !admit(origin(e, stream), c.pattern, e, &mut out, &mut examples) {
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

/// `mdm_log::summarize_bounded` through [`summarize`].
pub fn mdm_summarize<R: Read>(reader: R, max_events: usize) -> Result<mdm_log::MdmLog, String> {
    summarize(
        reader,
        max_events,
        LogStream::Mdmclient,
        |e: &LogEntry<'_>| mdm_log::classify(e.message),
        |_, _| {},
    )
}

/// `su_log::summarize_bounded` through [`summarize`].
pub fn su_summarize<R: Read>(reader: R, max_events: usize) -> Result<su_log::SuLog, String> {
    let mut reports = VecDeque::new();
    let summary = summarize(
        reader,
        max_events,
        LogStream::SoftwareUpdate,
        |e: &LogEntry<'_>| su_log::classify(e.message),
        |e, c| su_log::keep_report(&mut reports, e, c),
    )?;
    Ok(su_log::SuLog {
        summary,
        status_reports: reports.into(),
    })
}

/// `apsd_log::summarize_bounded` through [`summarize`].
pub fn apsd_summarize<R: Read>(reader: R, max_events: usize) -> Result<apsd_log::ApsdLog, String> {
    summarize(
        reader,
        max_events,
        LogStream::Apsd,
        |e: &LogEntry<'_>| apsd_log::classify(e.message),
        |_, _| {},
    )
}

/// `mdm_log`'s status reader by collecting the digits.
pub fn status_after(msg: &str, from: usize) -> u16 {
    let digits: String = msg[from..]
        .chars()
        .skip_while(|c| *c == ' ')
        .skip_while(|c| *c == '(')
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap_or(0)
}
