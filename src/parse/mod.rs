//! Pure parsers: bytes of one tool's output -> typed values. No I/O, no clock, no panics on any
//! input (fuzzed). Each file handles one tool and is tested on the real samples in
//! `tests/fixtures/samples/` (provenance of each in its `SOURCES.md`).

pub mod apsctl;
pub mod apsd_log;
pub mod bootstrap_token;
pub(crate) mod catalog;
pub mod cert;
pub mod ddm_state;
pub mod ddm_status;
pub mod diskutil;
pub mod find_identity;
pub mod install_log;
pub mod launchctl;
// The scanner's line reader is one state machine on the hot path, tuned and measured in
// bench/RESULTS.md: splitting it is a performance change, to be measured there.
#[allow(
    clippy::too_many_lines,
    reason = "the ndjson scanner's line reader: one hot-path state machine (bench/RESULTS.md)"
)]
pub mod log_ndjson;
pub mod log_patterns;
pub mod log_summary;
pub mod mdm_log;
pub mod mdmclient_queries;
pub mod nextstep;
pub mod pmset;
pub mod profiles;
#[cfg(any(test, fuzzing, feature = "reference"))]
pub mod reference;
pub mod seedutil;
pub mod softwareupdate_list;
pub mod staged_update;
pub mod su_log;
pub mod su_prefs;
pub mod sw_vers;
pub mod sysctl;
pub mod update_settings;

use std::fmt;

use crate::system::{Payload, ProbeResult};

/// Why a fact could not be established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Binary or file missing (or absent from a capture).
    Missing,
    Timeout,
    /// Non-zero exit status.
    Failed,
    /// Ran fine but printed nothing.
    Empty,
    /// Output present but not in the expected format.
    Unparseable,
    /// Could not be read without root.
    NotRoot,
    /// Not run because something it depends on is unknown.
    NotRun,
}

impl Fault {
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Missing => "missing",
            Fault::Timeout => "timeout",
            Fault::Failed => "failed",
            Fault::Empty => "empty",
            Fault::Unparseable => "unparseable",
            Fault::NotRoot => "not_root",
            Fault::NotRun => "not_run",
        }
    }
}

/// A fact that is unknown, with the probe and the fault that made it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub probe: String,
    pub fault: Fault,
    pub detail: String,
}

impl Unknown {
    /// The detail is clipped (and marked so) at `DETAIL_MAX` characters: it may quote output
    /// from a capture anyone wrote.
    pub fn new(probe: &str, fault: Fault, detail: impl Into<String>) -> Unknown {
        Unknown {
            probe: probe.to_string(),
            fault,
            detail: clip_marked(&detail.into(), DETAIL_MAX),
        }
    }

    pub fn unparseable(probe: &str, detail: impl Into<String>) -> Unknown {
        Unknown::new(probe, Fault::Unparseable, detail)
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "probe {} {}: {}",
            self.probe,
            self.fault.as_str(),
            self.detail
        )
    }
}

pub(crate) type Fact<T> = Result<T, Unknown>;

/// The standard reading of a probe: its stdout when it ran, exited 0 and printed something.
/// Probes with special meanings for exit codes (hw_arm64, profiles) check those first.
pub fn output(r: &ProbeResult) -> Result<&Payload, Unknown> {
    if !r.available {
        let why = r.error.clone().unwrap_or_else(|| "not available".into());
        return Err(Unknown::new(&r.id, Fault::Missing, why));
    }
    if r.timed_out {
        let after = if r.duration_unknown {
            "(duration not recorded in this capture)".to_string()
        } else {
            format!("after {} ms", r.duration.as_millis())
        };
        return Err(Unknown::new(
            &r.id,
            Fault::Timeout,
            format!("timed out {after}"),
        ));
    }
    match r.exit_status {
        Some(0) => {}
        Some(n) => {
            let err = r.stderr_text();
            let lower = err.to_ascii_lowercase();
            let fault = if lower.contains("must be running as root")
                || lower.contains("must be run as root")
                || lower.contains("permission denied")
                || lower.contains("operation not permitted")
            {
                Fault::NotRoot
            } else {
                Fault::Failed
            };
            return Err(Unknown::new(
                &r.id,
                fault,
                format!("exit status {n}: {}", first_line(&err, 300)),
            ));
        }
        // No status: killed by a signal, unless the system said why (a capture's `.exit` that
        // holds no number, a capture file refused).
        None => {
            let why = r
                .error
                .clone()
                .unwrap_or_else(|| "killed by a signal".into());
            return Err(Unknown::new(&r.id, Fault::Failed, why));
        }
    }
    if r.stdout.is_empty() {
        return Err(Unknown::new(&r.id, Fault::Empty, "printed nothing"));
    }
    Ok(&r.stdout)
}

/// Small outputs taken whole (capped) as text; invalid UTF-8 is replaced, not an error.
pub(crate) fn output_text(r: &ProbeResult, max: u64) -> Result<String, Unknown> {
    let payload = output(r)?;
    let bytes = payload
        .read_capped(max)
        .map_err(|e| Unknown::new(&r.id, Fault::Failed, format!("cannot read output: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Small outputs taken whole (capped) as bytes (binary plists).
pub(crate) fn output_bytes(r: &ProbeResult, max: u64) -> Result<Vec<u8>, Unknown> {
    let payload = output(r)?;
    payload
        .read_capped(max)
        .map_err(|e| Unknown::new(&r.id, Fault::Failed, format!("cannot read output: {e}")))
}

/// The first line of `s`, at most `max` characters (for messages), marked when clipped.
pub(crate) fn first_line(s: &str, max: usize) -> String {
    clip_marked(s.lines().next().unwrap_or(""), max)
}

/// Longest reason text kept in an [`Unknown`].
pub(crate) const DETAIL_MAX: usize = 600;

/// At most `max` characters of `s`; a longer text is cut on a character boundary and marked with
/// how much was left out, so a reader never takes a clipped quote for the whole output.
pub(crate) fn clip_marked(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            let rest = s[i..].chars().count();
            format!("{}… [clipped: {rest} more characters]", &s[..i])
        }
        None => s.to_string(),
    }
}
