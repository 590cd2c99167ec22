//! `log show --style ndjson`: a streaming reader of entries.
//! STUB: owned by the log/liveness work.

use std::io::BufRead;

use chrono::{DateTime, FixedOffset};

/// One unified-log entry, with only the fields the checks use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogEntry {
    /// As printed: "2026-10-07 10:19:55.713745+0800".
    pub timestamp: String,
    pub time: Option<DateTime<FixedOffset>>,
    pub process: String,
    pub subsystem: String,
    pub category: String,
    pub message_type: String,
    pub message: String,
}

/// Counters of a read, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamStats {
    pub lines: u64,
    pub entries: u64,
    pub skipped: u64,
    pub bytes: u64,
}

/// Calls `f` for every entry, in order, holding one line in memory at a time.
pub fn for_each_entry<R: BufRead>(
    _reader: R,
    _f: impl FnMut(&LogEntry),
) -> Result<StreamStats, String> {
    Err("not implemented".into())
}
