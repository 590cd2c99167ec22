//! The boundary to the operating system: the only place that spawns processes or reads system files.
//!
//! A [`Probe`] is one command run or one file read, identified by a public id. A [`System`] executes
//! probes and tells the time. Three implementations exist: [`live::LiveSystem`] (the real Mac),
//! [`replay::ReplaySystem`] (a capture directory written by `mdmwatch capture` or by hand) and
//! [`fake::FakeSystem`] (in-memory, for tests; it panics on anything it was not given).
//! Nothing above this module does I/O on the system; everything above is pure and tested on Linux.

pub(crate) mod capture;
pub mod fake;
pub mod files;
pub mod live;
pub mod replay;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use futures::future::BoxFuture;

/// What a probe reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An absolute path to a binary and its arguments; run directly, never through a shell.
    Command { program: String, args: Vec<String> },
    /// An absolute path to a file, read raw.
    File { path: String },
    /// Free space of the volume mounted at `mount` as the OS reports it to apps (sysinfo's
    /// `available_space`; on macOS CoreFoundation's "available for important usage", which
    /// counts purgeable space). Recorded as decimal bytes on stdout, so captures hold it too.
    AvailableSpace { mount: String },
}

/// One command run or one file read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Public contract: ids are added, never renamed.
    pub id: String,
    pub source: Source,
    pub timeout: Duration,
    /// Bytes of stdout kept; the rest is drained and dropped, and `truncated` is set.
    pub max_bytes: u64,
    /// Spool stdout to a temporary file instead of memory (large outputs such as `log show`).
    pub spool: bool,
    /// When the output exceeds `max_bytes`, keep its newest bytes (from a line start) instead of
    /// the oldest: `log show` prints oldest first, and the newest entries are the ones a decision
    /// needs, so a flood of early lines cannot push them out.
    pub keep_newest: bool,
}

impl Probe {
    pub fn command(id: &str, program: &str, args: &[&str]) -> Probe {
        Probe {
            id: id.to_string(),
            source: Source::Command {
                program: program.to_string(),
                args: args.iter().map(|a| a.to_string()).collect(),
            },
            timeout: Duration::from_secs(15),
            max_bytes: 4 * 1024 * 1024,
            spool: false,
            keep_newest: false,
        }
    }

    pub fn file(id: &str, path: &str) -> Probe {
        Probe {
            id: id.to_string(),
            source: Source::File {
                path: path.to_string(),
            },
            timeout: Duration::from_secs(15),
            max_bytes: 4 * 1024 * 1024,
            spool: false,
            keep_newest: false,
        }
    }

    pub fn available_space(id: &str, mount: &str) -> Probe {
        Probe {
            id: id.to_string(),
            source: Source::AvailableSpace {
                mount: mount.to_string(),
            },
            timeout: Duration::from_secs(15),
            max_bytes: 4096,
            spool: false,
            keep_newest: false,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Probe {
        self.timeout = timeout;
        self
    }

    pub fn with_max_bytes(mut self, max_bytes: u64) -> Probe {
        self.max_bytes = max_bytes;
        self
    }

    pub(crate) fn spooled(mut self) -> Probe {
        self.spool = true;
        self
    }

    /// Program then arguments, for a command probe (what a capture records in `<id>.args`).
    pub fn argv(&self) -> Option<Vec<String>> {
        match &self.source {
            Source::Command { program, args } => {
                Some(std::iter::once(program).chain(args).cloned().collect())
            }
            _ => None,
        }
    }

    /// Keep the newest output when capped (see [`Probe::keep_newest`]).
    pub(crate) fn keeping_newest(mut self) -> Probe {
        self.keep_newest = true;
        self
    }

    /// The command line as an admin would type it, for evidence and documentation.
    pub fn display(&self) -> String {
        match &self.source {
            Source::Command { program, args } => {
                let mut s = program.clone();
                for a in args {
                    s.push(' ');
                    if a.contains(' ') || a.contains('"') || a.is_empty() {
                        s.push('\'');
                        s.push_str(a);
                        s.push('\'');
                    } else {
                        s.push_str(a);
                    }
                }
                s
            }
            Source::File { path } => format!("read {path}"),
            Source::AvailableSpace { mount } => {
                format!("available space of the volume at {mount} (sysinfo)")
            }
        }
    }
}

/// Captured stdout: in memory, spooled to a temporary file, or a file of a capture on disk.
#[derive(Debug, Default)]
pub enum Payload {
    #[default]
    Empty,
    Memory(Vec<u8>),
    /// Deleted when dropped.
    Spooled(tempfile::TempPath),
    /// A file owned by someone else (a capture directory), read up to a cap; never deleted.
    OnDisk(PathBuf, u64),
}

impl Payload {
    /// A buffered reader over the whole payload; large payloads are streamed, never loaded whole.
    pub fn open(&self) -> io::Result<Box<dyn BufRead + Send + '_>> {
        Ok(match self {
            Payload::Empty => Box::new(Cursor::new(&[][..])),
            Payload::Memory(v) => Box::new(Cursor::new(v.as_slice())),
            Payload::Spooled(p) => Box::new(BufReader::with_capacity(64 * 1024, File::open(p)?)),
            // A capture's file: regular files only, never through a symlink, never blocking.
            Payload::OnDisk(p, cap) => Box::new(BufReader::with_capacity(
                64 * 1024,
                replay::open_regular(p)?
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "capture file gone"))?
                    .take(*cap),
            )),
        })
    }

    /// Reads at most `max` bytes into memory (for small outputs that parsers take whole).
    pub fn read_capped(&self, max: u64) -> io::Result<Vec<u8>> {
        match self {
            Payload::Empty => Ok(Vec::new()),
            Payload::Memory(v) => Ok(v[..v.len().min(max as usize)].to_vec()),
            _ => {
                let mut out = Vec::new();
                self.open()?.take(max).read_to_end(&mut out)?;
                Ok(out)
            }
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Payload::Empty => 0,
            Payload::Memory(v) => v.len() as u64,
            Payload::Spooled(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Payload::OnDisk(p, cap) => std::fs::symlink_metadata(p)
                .map(|m| m.len().min(*cap))
                .unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything one probe produced. A probe that could not start is `available == false`.
#[derive(Debug, Default)]
pub struct ProbeResult {
    pub id: String,
    /// False when the binary or file does not exist (or, in a capture, no file was recorded).
    pub available: bool,
    /// Why the probe produced nothing, when it could not run (missing binary, permission denied).
    pub error: Option<String>,
    /// Exit status of a command; `None` when killed by a signal or not run. Files read are `Some(0)`.
    pub exit_status: Option<i32>,
    pub timed_out: bool,
    /// Output exceeded the probe's cap and was cut.
    pub truncated: bool,
    pub duration: Duration,
    /// True when `duration` was not recorded (a capture written before `<id>.duration_ms`).
    pub duration_unknown: bool,
    pub stdout: Payload,
    /// Capped at 64 KiB.
    pub stderr: Vec<u8>,
    /// The command line a replayed output was produced with (a capture's `<id>.args`: program
    /// then arguments), so a rule can tell mdmwatch's own `log show` predicate from someone
    /// else's. `None` live (the probe itself says it) and in captures written before it existed.
    pub recorded_args: Option<Vec<String>>,
}

impl ProbeResult {
    pub fn unavailable(id: &str, why: impl Into<String>) -> ProbeResult {
        ProbeResult {
            id: id.to_string(),
            available: false,
            error: Some(why.into()),
            ..ProbeResult::default()
        }
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).trim().to_string()
    }
}

/// Sorts one output line of a [`LogUnion`] into its streams: bit `i` set sends the line to
/// `streams[i]`. Stateful (it may reuse buffers), so each run makes its own with [`LogUnion::router`].
pub(crate) type LineRouter = Box<dyn FnMut(&[u8]) -> u64 + Send>;

/// Several `log show` probes answered by one process: `union` runs once, with a predicate that is
/// the union of the streams' predicates, and each line of its output goes to the streams whose
/// predicate it answers, as it is read. Each stream's result keeps its own probe id, so captures,
/// replay and the report see three probes as before.
#[derive(Clone)]
pub struct LogUnion {
    /// The one command run; its own cap is unbounded (`u64::MAX`): each stream keeps its own cap
    /// (and its newest lines) as the output is split, so the union never stops the reading.
    pub union: Probe,
    /// The per-stream probes (ids, caps), in bit order of the router (at most 64).
    pub streams: Vec<Probe>,
    /// Makes a router for one run.
    pub router: Arc<dyn Fn() -> LineRouter + Send + Sync>,
}

impl std::fmt::Debug for LogUnion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogUnion")
            .field("union", &self.union)
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

/// The results of the streams of a [`LogUnion`], in stream order, and whether one process
/// answered them all (live) or each stream was read on its own (a capture, a fake).
#[derive(Debug)]
pub struct LogUnionResults {
    pub results: Vec<ProbeResult>,
    pub combined: bool,
}

/// Maximum stderr kept per probe.
pub(crate) const STDERR_CAP: usize = 64 * 1024;

/// The OS as mdmwatch sees it.
pub trait System: Send + Sync {
    /// Runs one probe. Never fails: every fault is described in the result.
    fn run<'a>(&'a self, probe: &'a Probe) -> BoxFuture<'a, ProbeResult>;
    /// "Now": the wall clock live, `captured_at` under replay. Carries the device's UTC offset.
    fn now(&self) -> DateTime<FixedOffset>;
    /// True only for the real system: heal executes nothing unless this holds.
    fn is_live(&self) -> bool;
    /// Effective user id 0 (live), or what the capture recorded.
    fn is_root(&self) -> bool;
    /// Free-form description for reports ("live", "replay of DIR").
    fn describe(&self) -> String;
    /// This machine's own files, unredirected (the live system without `--sysroot`): where
    /// `/Library/...` is a system path. False for replays and for fakes that play a Mac.
    fn is_this_host(&self) -> bool {
        false
    }
    /// Runs the streams of a [`LogUnion`]. By default each stream is its own probe (a capture
    /// holds one file per stream, a fake one answer per id); the live system runs the union once.
    fn run_log_union<'a>(&'a self, logs: &'a LogUnion) -> BoxFuture<'a, LogUnionResults> {
        Box::pin(async move {
            LogUnionResults {
                results: futures::future::join_all(logs.streams.iter().map(|p| self.run(p))).await,
                combined: false,
            }
        })
    }
}

/// Local "now" with the machine's UTC offset.
pub(crate) fn local_now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}
