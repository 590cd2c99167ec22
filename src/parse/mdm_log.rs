//! What the mdmclient / com.apple.ManagedClient log says: exchanges, commands, errors.
//! STUB: owned by the log/liveness work.

use std::io::BufRead;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdmLog {
    pub stats: super::log_ndjson::StreamStats,
    /// "Unable to create MDM identity" and similar identity failures, newest last (bounded).
    pub identity_errors: Vec<LogLine>,
}

/// One log entry kept as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogLine {
    /// As printed by `log show`.
    pub timestamp: String,
    pub time: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub message: String,
}

pub fn summarize<R: BufRead>(_reader: R) -> Result<MdmLog, String> {
    Err("not implemented".into())
}
