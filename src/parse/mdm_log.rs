//! What the mdmclient / com.apple.ManagedClient log says: exchanges, commands, errors.
//! STUB: owned by the log/liveness work.

use std::io::BufRead;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdmLog {
    pub stats: super::log_ndjson::StreamStats,
}

pub fn summarize<R: BufRead>(_reader: R) -> Result<MdmLog, String> {
    Err("not implemented".into())
}
