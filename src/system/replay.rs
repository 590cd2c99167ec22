//! Replay of a capture directory: diagnose a Mac's recorded outputs anywhere.
//!
//! Format (README.md, "Capture format"): `meta.json` with `captured_at` (RFC 3339 with offset) and
//! `mdmwatch_version`, then per probe `<id>.stdout` (raw bytes), `<id>.stderr`, `<id>.exit`
//! (decimal; absent means 0), `<id>.duration_ms` (decimal; absent in captures written before it
//! existed), an empty `<id>.timeout` when it timed out and an empty `<id>.truncated` when output
//! was capped. A probe with none of these files was not available.
//! Replay only reads; it never writes into the capture.
//!
//! A capture can come from anyone (a support ticket, a forum post), so it is read defensively:
//! regular files only, opened with `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` on the open
//! descriptor (a symlink is never followed, a FIFO never blocks, nothing can be swapped in between
//! the check and the read), and every file read with a bound.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Payload, Probe, ProbeResult, System, STDERR_CAP};

/// `meta.json` is a few hundred bytes; anything larger is not capture metadata.
pub(crate) const META_MAX: u64 = 64 * 1024;
/// `.exit` and `.duration_ms` hold one decimal number.
pub(crate) const SMALL_MAX: u64 = 64;
/// `<id>.args` holds one command line (the longest is a `log show` predicate of a few KiB).
pub(crate) const ARGS_MAX: u64 = 64 * 1024;
/// No capture can be older than macOS: an earlier `captured_at` (Go's zero time, a clock at 1970)
/// would make every age negative or absurd.
pub(crate) const EARLIEST_CAPTURE: &str = "2001-01-01T00:00:00Z";

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

/// Opens a file of a capture for reading: `Ok(None)` when absent, an error naming what the path
/// is when it is not a regular file (a symlink is refused, not followed; a FIFO or device is
/// refused without blocking).
pub(crate) fn open_regular(path: &Path) -> io::Result<Option<File>> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW on a symlink fails with ELOOP (Linux, macOS; EMLINK on some BSDs).
        Err(e) if matches!(e.raw_os_error(), Some(nix::libc::ELOOP | nix::libc::EMLINK)) => {
            return Err(refused(path, "a symbolic link"))
        }
        Err(e) => return Err(e),
    };
    let m = file.metadata()?;
    let ft = m.file_type();
    if !ft.is_file() {
        return Err(refused(path, describe_type(&ft)));
    }
    if nix::unistd::geteuid().is_root() {
        check_root_may_read(path, &m)?;
    }
    Ok(Some(file))
}

/// As root, a capture file is read only when it has one link and its owner is the capture
/// directory's: a user who owns the directory could otherwise hard-link a root-only file into it
/// (`/etc/sudoers`, a key) and have its first line quoted in the report as "unparseable" evidence.
/// Checked on the open descriptor (`fstat`), so the file cannot be swapped after the check.
fn check_root_may_read(path: &Path, m: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if m.nlink() > 1 {
        return Err(refused(
            path,
            &format!("a file with {} hard links (read as root)", m.nlink()),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir_uid = std::fs::metadata(dir)?.uid();
    if m.uid() != dir_uid {
        return Err(refused(
            path,
            &format!(
                "owned by uid {}, not by the capture directory's owner (uid {dir_uid}) (read as root)",
                m.uid()
            ),
        ));
    }
    Ok(())
}

fn describe_type(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

fn refused(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}: refused (replay reads only regular files of a capture)",
            path.display()
        ),
    )
}

/// Reads at most `max` bytes of a regular capture file. `Ok(None)` when absent; the flag says
/// whether the file held more than `max` bytes.
pub(crate) fn read_regular(path: &Path, max: u64) -> io::Result<Option<(Vec<u8>, bool)>> {
    let Some(f) = open_regular(path)? else {
        return Ok(None);
    };
    let mut buf = Vec::new();
    f.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    let over = buf.len() as u64 > max;
    buf.truncate(max as usize);
    Ok(Some((buf, over)))
}

/// Whether a marker file (`.timeout`, `.truncated`) is present, without following a symlink.
fn present(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(true),
        Ok(m) => Err(refused(path, describe_type(&m.file_type()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// At most `max` characters of a file's text, for messages (the rest marked, never printed).
fn shown(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push_str("… [clipped]");
    }
    format!("{out:?}")
}

impl ReplaySystem {
    pub fn open(dir: &Path) -> Result<ReplaySystem, String> {
        let meta_path = dir.join("meta.json");
        let (text, over) = match read_regular(&meta_path, META_MAX) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(format!(
                    "cannot read {}: it does not exist (is {} a capture directory?)",
                    meta_path.display(),
                    dir.display()
                ))
            }
            Err(e) => return Err(format!("cannot read {}: {e}", meta_path.display())),
        };
        if over {
            return Err(format!(
                "{} is larger than {} KiB: not capture metadata",
                meta_path.display(),
                META_MAX / 1024
            ));
        }
        let mut meta: Meta = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is not valid capture metadata: {e}", meta_path.display()))?;
        let at = DateTime::parse_from_rfc3339(meta.captured_at.trim()).map_err(|e| {
            format!(
                "{}: captured_at {} is not RFC 3339 with a UTC offset: {e}",
                meta_path.display(),
                shown(meta.captured_at.as_bytes(), 80)
            )
        })?;
        let earliest = DateTime::parse_from_rfc3339(EARLIEST_CAPTURE).expect("constant parses");
        if at < earliest {
            return Err(format!(
                "{}: captured_at {} is impossible (before {EARLIEST_CAPTURE}, older than any macOS \
                 mdmwatch reads): fix the capture's clock time; every age would be wrong",
                meta_path.display(),
                meta.captured_at.trim()
            ));
        }
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
        let duration = self.file(id, "duration_ms");
        // Presence without following anything: a dangling or hostile symlink still counts as
        // "recorded" so that it is refused with a message below, not taken for "not available".
        let any = [&stdout, &stderr, &exit, &timeout]
            .iter()
            .any(|p| std::fs::symlink_metadata(p).is_ok());
        if !any {
            result.error = Some(format!("not available (no {id}.* files in the capture)"));
            return result;
        }
        result.available = true;
        // Any refused file makes the probe "failed" with the reason, never read through.
        let mut refusals: Vec<String> = Vec::new();
        match present(&timeout) {
            Ok(p) => result.timed_out = p,
            Err(e) => refusals.push(e.to_string()),
        }
        match present(&truncated) {
            Ok(p) => result.truncated = p,
            Err(e) => refusals.push(e.to_string()),
        }
        match open_regular(&stdout) {
            Ok(Some(f)) => {
                if f.metadata().map(|m| m.len()).unwrap_or(0) > probe.max_bytes {
                    result.truncated = true;
                }
                result.stdout = Payload::OnDisk(stdout, probe.max_bytes);
            }
            Ok(None) => {}
            Err(e) => refusals.push(e.to_string()),
        }
        match read_regular(&stderr, STDERR_CAP as u64) {
            Ok(Some((bytes, _))) => result.stderr = bytes,
            Ok(None) => {}
            Err(e) => refusals.push(e.to_string()),
        }
        result.duration_unknown = true;
        match read_regular(&duration, SMALL_MAX) {
            Ok(Some((bytes, false))) => {
                if let Ok(ms) = String::from_utf8_lossy(&bytes).trim().parse::<u64>() {
                    result.duration = Duration::from_millis(ms);
                    result.duration_unknown = false;
                }
            }
            // A bad duration only loses the duration: it is not evidence.
            Ok(_) => {}
            Err(e) => refusals.push(e.to_string()),
        }
        result.exit_status = match read_regular(&exit, SMALL_MAX) {
            Err(e) => {
                refusals.push(e.to_string());
                None
            }
            Ok(None) if result.timed_out => None,
            Ok(None) => Some(0),
            Ok(Some((bytes, over))) => {
                let text = String::from_utf8_lossy(&bytes);
                match text.trim().parse::<i32>() {
                    Ok(n) if !over => Some(n),
                    _ => {
                        result.error = Some(format!(
                            "{id}.exit in the capture holds {}{}, not a decimal exit status",
                            shown(&bytes, 40),
                            if over { " (and more)" } else { "" }
                        ));
                        None
                    }
                }
            }
        };
        // `<id>.args`: the recorded command line (JSON array of strings). Unreadable or absent:
        // not recorded, and a rule that needs it says "cannot be told".
        match read_regular(&self.file(id, "args"), ARGS_MAX) {
            Ok(Some((bytes, false))) => {
                result.recorded_args = serde_json::from_slice::<Vec<String>>(&bytes).ok();
            }
            Ok(_) => {}
            Err(e) => refusals.push(e.to_string()),
        }
        if !refusals.is_empty() {
            result.exit_status = None;
            result.timed_out = false;
            result.stdout = Payload::Empty;
            result.error = Some(refusals.join("; "));
        }
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
