//! Replay of a capture directory: diagnose a Mac's recorded outputs anywhere.
//!
//! Format (README.md, "Capture format"): `meta.json` with `captured_at` (RFC 3339 with offset) and
//! `mdmwatch_version`, then per probe `<id>.stdout` (raw bytes), `<id>.stderr`, `<id>.exit`
//! (decimal; absent means 0), an empty `<id>.timeout` when it timed out and an empty
//! `<id>.truncated` when output was capped. A probe with none of these files was not available.
//! Replay only reads; it never writes into the capture.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Payload, Probe, ProbeResult, System, STDERR_CAP};

#[derive(Debug, Clone)]
pub struct ReplaySystem {
    dir: PathBuf,
    meta: Meta,
}

/// `meta.json`. Unknown keys are ignored so older and newer captures replay.
#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub captured_at: String,
    #[serde(default)]
    pub mdmwatch_version: Option<String>,
    /// Whether the capture ran as root (absent: assumed true, as captures are taken with sudo).
    #[serde(default)]
    pub root: Option<bool>,
    #[serde(skip)]
    pub captured_at_parsed: Option<DateTime<FixedOffset>>,
}

impl ReplaySystem {
    pub fn open(dir: &Path) -> Result<ReplaySystem, String> {
        let meta_path = dir.join("meta.json");
        let text = std::fs::read(&meta_path)
            .map_err(|e| format!("cannot read {}: {e}", meta_path.display()))?;
        if text.len() > 64 * 1024 {
            return Err(format!("{} is larger than 64 KiB", meta_path.display()));
        }
        let mut meta: Meta = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is not valid capture metadata: {e}", meta_path.display()))?;
        let at = DateTime::parse_from_rfc3339(meta.captured_at.trim()).map_err(|e| {
            format!(
                "{}: captured_at {:?} is not RFC 3339 with a UTC offset: {e}",
                meta_path.display(),
                meta.captured_at
            )
        })?;
        meta.captured_at_parsed = Some(at);
        Ok(ReplaySystem {
            dir: dir.to_path_buf(),
            meta,
        })
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, id: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{id}.{ext}"))
    }

    /// Reads a probe's recorded result, applying the probe's output cap as the live run would.
    pub fn load(&self, probe: &Probe) -> ProbeResult {
        let id = probe.id.as_str();
        let mut result = ProbeResult {
            id: id.to_string(),
            ..ProbeResult::default()
        };
        // Ids are ours and contain no separators, but a hand-written capture must not escape DIR.
        if id.contains('/') || id.contains("..") {
            result.error = Some(format!("invalid probe id {id:?}"));
            return result;
        }
        let stdout = self.file(id, "stdout");
        let stderr = self.file(id, "stderr");
        let exit = self.file(id, "exit");
        let timeout = self.file(id, "timeout");
        let truncated = self.file(id, "truncated");
        let any = [&stdout, &stderr, &exit, &timeout]
            .iter()
            .any(|p| p.exists());
        if !any {
            result.error = Some(format!("not available (no {id}.* files in the capture)"));
            return result;
        }
        result.available = true;
        result.timed_out = timeout.exists();
        result.truncated = truncated.exists();
        if let Ok(m) = std::fs::metadata(&stdout) {
            if m.len() > probe.max_bytes {
                result.truncated = true;
            }
            result.stdout = Payload::OnDisk(stdout, probe.max_bytes);
        }
        if let Ok(bytes) = std::fs::read(&stderr) {
            result.stderr = bytes[..bytes.len().min(STDERR_CAP)].to_vec();
        }
        result.exit_status = match std::fs::read_to_string(&exit) {
            Err(_) if result.timed_out => None,
            Err(_) => Some(0),
            Ok(text) => match text.trim().parse::<i32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    result.error = Some(format!(
                        "{id}.exit holds {:?}, not a decimal exit status",
                        text.trim()
                    ));
                    None
                }
            },
        };
        result.duration = Duration::ZERO;
        result
    }
}

impl System for ReplaySystem {
    fn run<'a>(&'a self, probe: &'a Probe) -> BoxFuture<'a, ProbeResult> {
        Box::pin(async move { self.load(probe) })
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.meta.captured_at_parsed.expect("parsed in open")
    }

    fn is_live(&self) -> bool {
        false
    }

    fn is_root(&self) -> bool {
        self.meta.root.unwrap_or(true)
    }

    fn describe(&self) -> String {
        format!("replay of {}", self.dir.display())
    }
}
