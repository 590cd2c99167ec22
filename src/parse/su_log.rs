//! What the softwareupdated / SoftwareUpdateSubscriber log says: scans, downloads, installs, and
//! the DDM "Reporting status" blocks (raw text; parsed by `ddm_status`).
//! STUB: owned by the log/liveness work.

use std::io::BufRead;

use chrono::{DateTime, FixedOffset};

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
    pub stats: super::log_ndjson::StreamStats,
    /// Newest last; bounded (the most recent few are kept).
    pub status_reports: Vec<StatusReport>,
}

pub fn summarize<R: BufRead>(_reader: R) -> Result<SuLog, String> {
    Err("not implemented".into())
}
