//! Pure parsers: bytes of one tool's output -> typed values. No I/O, no clock, no panics on any
//! input (fuzzed). Each file handles one tool and is tested on the real samples in
//! `tests/fixtures/samples/` (copied from ../shared/fixtures with their provenance).

pub mod bootstrap_token;
pub mod cert;
pub mod ddm_state;
pub mod ddm_status;
pub mod diskutil;
pub mod find_identity;
pub mod launchctl;
pub mod log_ndjson;
pub mod mdm_log;
pub mod mdmclient_qdi;
pub mod nextstep;
pub mod pmset;
pub mod profiles;
pub mod softwareupdate_list;
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
    pub fn new(probe: &str, fault: Fault, detail: impl Into<String>) -> Unknown {
        Unknown {
            probe: probe.to_string(),
            fault,
            detail: detail.into(),
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

pub type Fact<T> = Result<T, Unknown>;

/// The standard reading of a probe: its stdout when it ran, exited 0 and printed something.
/// Probes with special meanings for exit codes (hw_arm64, profiles) check those first.
pub fn output(r: &ProbeResult) -> Result<&Payload, Unknown> {
    if !r.available {
        let why = r.error.clone().unwrap_or_else(|| "not available".into());
        return Err(Unknown::new(&r.id, Fault::Missing, why));
    }
    if r.timed_out {
        return Err(Unknown::new(
            &r.id,
            Fault::Timeout,
            format!("timed out after {} ms", r.duration.as_millis()),
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
        None => return Err(Unknown::new(&r.id, Fault::Failed, "killed by a signal")),
    }
    if r.stdout.is_empty() {
        return Err(Unknown::new(&r.id, Fault::Empty, "printed nothing"));
    }
    Ok(&r.stdout)
}

/// Small outputs taken whole (capped) as text; invalid UTF-8 is replaced, not an error.
pub fn output_text(r: &ProbeResult, max: u64) -> Result<String, Unknown> {
    let payload = output(r)?;
    let bytes = payload
        .read_capped(max)
        .map_err(|e| Unknown::new(&r.id, Fault::Failed, format!("cannot read output: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Small outputs taken whole (capped) as bytes (binary plists).
pub fn output_bytes(r: &ProbeResult, max: u64) -> Result<Vec<u8>, Unknown> {
    let payload = output(r)?;
    payload
        .read_capped(max)
        .map_err(|e| Unknown::new(&r.id, Fault::Failed, format!("cannot read output: {e}")))
}

/// The first line of `s`, at most `max` characters (for messages).
pub fn first_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    line.chars().take(max).collect()
}
