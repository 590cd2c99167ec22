//! The live system: runs probes as subprocesses and reads files, with every safety rule applied.
//!
//! Rules (ARCHITECTURE.md, invariants): binaries by absolute path only, no shell, a fixed minimal
//! environment (`LANG=C` so parsers see stable formats), a timeout per probe that kills the whole
//! process group (grandchildren cannot hold a pipe open), stdout and stderr drained concurrently
//! with a byte cap (the pipe keeps draining past the cap so the child never blocks), and `wait()`
//! after every kill. File reads and the volume query run on the blocking pool under the same
//! per-probe timeout. `sysroot` prefixes every absolute path: tests run fake binaries and files
//! placed under a directory; on a Mac it is unset.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use chrono::{DateTime, FixedOffset};
use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{
    LineRouter, LogUnion, LogUnionResults, Payload, Probe, ProbeResult, Source, System, STDERR_CAP,
};

/// Fixed environment of every subprocess.
pub(crate) const FIXED_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

#[derive(Debug, Clone, Default)]
pub struct LiveSystem {
    sysroot: Option<PathBuf>,
}

impl LiveSystem {
    pub fn new() -> LiveSystem {
        LiveSystem { sysroot: None }
    }

    /// Resolve every absolute path under `root` (tests and demonstrations with fake binaries).
    pub fn with_sysroot(root: impl Into<PathBuf>) -> LiveSystem {
        LiveSystem {
            sysroot: Some(root.into()),
        }
    }

    pub fn resolve(&self, path: &str) -> PathBuf {
        match &self.sysroot {
            Some(root) => root.join(path.trim_start_matches('/')),
            None => PathBuf::from(path),
        }
    }
}

impl System for LiveSystem {
    fn run<'a>(&'a self, probe: &'a Probe) -> BoxFuture<'a, ProbeResult> {
        Box::pin(async move {
            match &probe.source {
                Source::Command { program, args } => {
                    run_command(probe, &self.resolve(program), program, args).await
                }
                Source::File { path } => {
                    let path = self.resolve(path);
                    let p = probe.clone();
                    blocking(probe, move || read_file(&p, &path)).await
                }
                Source::AvailableSpace { mount } => {
                    let mount = self.resolve(mount);
                    let p = probe.clone();
                    blocking(probe, move || available_space(&p, &mount)).await
                }
            }
        })
    }

    fn now(&self) -> DateTime<FixedOffset> {
        super::local_now()
    }

    fn is_live(&self) -> bool {
        true
    }

    fn is_root(&self) -> bool {
        nix::unistd::geteuid().is_root()
    }

    fn is_this_host(&self) -> bool {
        self.sysroot.is_none()
    }

    fn describe(&self) -> String {
        match &self.sysroot {
            Some(r) => format!("live (sysroot {})", r.display()),
            None => "live".to_string(),
        }
    }

    /// One process for every stream: `log show` reads (decompresses, filters) the log store once
    /// per run instead of once per stream. Its output is sorted into the streams line by line as
    /// it arrives, each stream spooled and capped on its own.
    fn run_log_union<'a>(&'a self, logs: &'a LogUnion) -> BoxFuture<'a, LogUnionResults> {
        Box::pin(async move {
            let Source::Command { program, args } = &logs.union.source else {
                let runs = logs.streams.iter().map(|p| self.run(p));
                return LogUnionResults {
                    results: futures::future::join_all(runs).await,
                    combined: false,
                };
            };
            let sink = Sink::Split(Split::new((logs.router)(), &logs.streams));
            let (union, sink) =
                run_command_into(&logs.union, &self.resolve(program), program, args, sink).await;
            let parts = match sink {
                Sink::Split(split) => split.finish(),
                _ => Vec::new(),
            };
            let results = logs
                .streams
                .iter()
                .zip(parts)
                .map(|(p, (stdout, cut))| ProbeResult {
                    id: p.id.clone(),
                    available: union.available,
                    error: union.error.clone(),
                    exit_status: union.exit_status,
                    timed_out: union.timed_out,
                    truncated: union.truncated || cut,
                    duration: union.duration,
                    duration_unknown: false,
                    stdout,
                    stderr: union.stderr.clone(),
                    recorded_args: None,
                })
                .collect();
            LogUnionResults {
                results,
                combined: true,
            }
        })
    }
}

/// Where stdout goes: memory or a temporary file, both capped, or split into the streams of a
/// [`LogUnion`].
enum Sink {
    Memory(Vec<u8>),
    File(std::io::BufWriter<tempfile::NamedTempFile>, u64),
    Split(Split),
}

/// A line longer than this is not held for routing: it goes to every stream as it arrives (each
/// stream's reader counts it as over-long and skips it), so memory stays bounded.
const SPLIT_LINE_MAX: usize = 1024 * 1024 + 1;

/// The output of one `log show` for several streams: each complete line goes to the streams its
/// router names; each stream is a sink of its own under its probe's cap.
struct Split {
    router: LineRouter,
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Inside an over-long line: its bytes go to every stream until its newline.
    spilling: bool,
    /// Per stream, under its probe's cap: the oldest bytes, or the newest (`keep_newest`).
    parts: Vec<Part>,
    total: u64,
    ok: bool,
}

impl Split {
    fn new(router: LineRouter, streams: &[Probe]) -> Split {
        Split {
            router,
            partial: Vec::new(),
            spilling: false,
            parts: streams
                .iter()
                .map(|p| {
                    if p.keep_newest {
                        Part::Newest(Newest::new(p.spool, p.max_bytes))
                    } else {
                        Part::Oldest(Sink::new(p.spool), p.max_bytes, false)
                    }
                })
                .collect(),
            total: 0,
            ok: true,
        }
    }

    /// Writes `bytes` to the streams of `mask` (every stream for `u64::MAX`), each under its cap.
    fn send(&mut self, mask: u64, bytes: &[u8]) {
        for (i, part) in self.parts.iter_mut().enumerate() {
            if i >= 64 || mask & (1 << i) == 0 {
                continue;
            }
            match part {
                Part::Oldest(sink, cap, cut) => {
                    let room = cap.saturating_sub(sink.len()) as usize;
                    let keep = bytes.len().min(room);
                    if keep < bytes.len() {
                        *cut = true;
                    }
                    if keep > 0 && !sink.write(&bytes[..keep]) {
                        *cut = true;
                    }
                }
                Part::Newest(newest) => newest.write(bytes),
            }
        }
    }

    /// Routes one complete line (with its newline, if it had one).
    fn line(&mut self, line: &[u8]) {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let mask = (self.router)(body);
        self.send(mask, line);
    }

    fn write(&mut self, mut bytes: &[u8]) -> bool {
        self.total += bytes.len() as u64;
        while !bytes.is_empty() {
            let nl = memchr::memchr(b'\n', bytes);
            if self.spilling {
                let end = nl.map_or(bytes.len(), |i| i + 1);
                self.send(u64::MAX, &bytes[..end]);
                self.spilling = nl.is_none();
                bytes = &bytes[end..];
                continue;
            }
            match nl {
                Some(i) if self.partial.is_empty() => self.line(&bytes[..=i]),
                Some(i) => {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&bytes[..=i]);
                    self.line(&line);
                    line.clear();
                    self.partial = line;
                }
                None => {
                    self.partial.extend_from_slice(bytes);
                    if self.partial.len() > SPLIT_LINE_MAX {
                        let held = std::mem::take(&mut self.partial);
                        self.send(u64::MAX, &held);
                        self.spilling = true;
                    }
                    return self.ok;
                }
            }
            bytes = &bytes[nl.map_or(bytes.len(), |i| i + 1)..];
        }
        self.ok
    }

    /// The last line (cut, without a newline) is routed too; then each stream's payload and
    /// whether its cap cut it.
    fn finish(mut self) -> Vec<(Payload, bool)> {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.line(&last);
        }
        self.parts
            .into_iter()
            .map(|part| match part {
                Part::Oldest(sink, _, cut) => (sink.into_payload(), cut),
                Part::Newest(newest) => {
                    let (sink, cut) = newest.finish();
                    (sink.into_payload(), cut)
                }
            })
            .collect()
    }
}

/// One stream of a [`Split`]: its first `cap` bytes (sink, cap, whether the cap cut it), or its
/// newest (the stream's probe keeps the newest, as the same probe run alone would).
enum Part {
    Oldest(Sink, u64, bool),
    Newest(Newest),
}

/// Keeps the newest bytes written to it under a cap: two halves of `cap / 2` bytes, the older
/// dropped whenever the newer fills, so at the end at least the newest `cap / 2` and at most
/// `cap` bytes remain, starting at a line boundary (the partial first line is dropped).
struct Newest {
    spool: bool,
    half: u64,
    halves: [Sink; 2],
    cur: usize,
    dropped: bool,
    failed: bool,
}

impl Newest {
    fn new(spool: bool, cap: u64) -> Newest {
        Newest {
            spool,
            half: (cap / 2).max(1),
            halves: [Sink::new(spool), Sink::new(spool)],
            cur: 0,
            dropped: false,
            failed: false,
        }
    }

    fn write(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            let room = self.half.saturating_sub(self.halves[self.cur].len()) as usize;
            if room == 0 {
                self.cur = 1 - self.cur;
                self.halves[self.cur] = Sink::new(self.spool);
                self.dropped = true;
                continue;
            }
            let take = chunk.len().min(room);
            if !self.halves[self.cur].write(&chunk[..take]) {
                self.failed = true;
            }
            chunk = &chunk[take..];
        }
    }

    /// The kept bytes, oldest first, and whether anything was dropped (or failed to be written).
    fn finish(self) -> (Sink, bool) {
        let Newest {
            spool,
            halves: [a, b],
            cur,
            dropped,
            mut failed,
            ..
        } = self;
        let (older, newer) = if cur == 0 { (b, a) } else { (a, b) };
        if !dropped && older.len() == 0 {
            return (newer, failed);
        }
        let mut out = Sink::new(spool);
        let mut first = true;
        for part in [older, newer] {
            let payload = part.into_payload();
            let Ok(mut r) = payload.open() else {
                failed = true;
                continue;
            };
            loop {
                let chunk = match std::io::BufRead::fill_buf(&mut r) {
                    Ok([]) => break,
                    Ok(c) => c,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                };
                let mut bytes = chunk;
                if first && dropped {
                    // Skip the partial line the cut left at the front.
                    match memchr::memchr(b'\n', bytes) {
                        Some(i) => {
                            bytes = &bytes[i + 1..];
                            first = false;
                        }
                        None => bytes = &[],
                    }
                } else {
                    first = false;
                }
                if !bytes.is_empty() && !out.write(bytes) {
                    failed = true;
                }
                let used = chunk.len();
                std::io::BufRead::consume(&mut r, used);
            }
        }
        (out, dropped || failed)
    }
}

impl Sink {
    fn new(spool: bool) -> Sink {
        if spool {
            match tempfile::NamedTempFile::new() {
                Ok(f) => return Sink::File(std::io::BufWriter::with_capacity(64 * 1024, f), 0),
                // No writable temp dir (full disk): fall back to memory under the same cap.
                Err(e) => tracing::warn!("cannot spool probe output: {e}"),
            }
        }
        Sink::Memory(Vec::new())
    }

    fn len(&self) -> u64 {
        match self {
            Sink::Memory(v) => v.len() as u64,
            Sink::File(_, n) => *n,
            Sink::Split(s) => s.total,
        }
    }

    /// Returns false when writing failed (the rest is dropped, as if truncated).
    fn write(&mut self, bytes: &[u8]) -> bool {
        match self {
            Sink::Memory(v) => {
                v.extend_from_slice(bytes);
                true
            }
            Sink::File(w, n) => {
                *n += bytes.len() as u64;
                w.write_all(bytes).is_ok()
            }
            Sink::Split(s) => s.write(bytes),
        }
    }

    fn into_payload(self) -> Payload {
        match self {
            Sink::Memory(v) if v.is_empty() => Payload::Empty,
            Sink::Memory(v) => Payload::Memory(v),
            Sink::File(w, _) => match w.into_inner() {
                Ok(f) => Payload::Spooled(f.into_temp_path()),
                Err(_) => Payload::Empty,
            },
            // Split output has no single payload: its streams are taken with `Split::finish`.
            Sink::Split(_) => Payload::Empty,
        }
    }
}

/// Reads `reader` to its end, keeping at most `cap` bytes; returns whether anything was dropped.
async fn drain_capped<R: AsyncRead + Unpin>(mut reader: R, sink: &mut Sink, cap: u64) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    let mut truncated = false;
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return truncated,
            Ok(n) => n,
        };
        let room = cap.saturating_sub(sink.len()) as usize;
        let keep = n.min(room);
        if keep < n {
            truncated = true;
        }
        if keep > 0 && !sink.write(&buf[..keep]) {
            truncated = true;
        }
    }
}

/// Reads `reader` to its end keeping its newest bytes under `cap` ([`Newest`]); returns the sink
/// and whether anything was dropped.
async fn drain_newest<R: AsyncRead + Unpin>(mut reader: R, spool: bool, cap: u64) -> (Sink, bool) {
    let mut newest = Newest::new(spool, cap);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => newest.write(&buf[..n]),
        }
    }
    newest.finish()
}

async fn run_command(
    probe: &Probe,
    resolved: &Path,
    program: &str,
    args: &[String],
) -> ProbeResult {
    let (mut result, sink) =
        run_command_into(probe, resolved, program, args, Sink::new(probe.spool)).await;
    result.stdout = sink.into_payload();
    result
}

/// Runs a command with stdout drained into `out_sink` (returned, with the result, for the caller
/// to turn into payloads).
async fn run_command_into(
    probe: &Probe,
    resolved: &Path,
    program: &str,
    args: &[String],
    mut out_sink: Sink,
) -> (ProbeResult, Sink) {
    let started = Instant::now();
    let mut result = ProbeResult {
        id: probe.id.clone(),
        ..ProbeResult::default()
    };
    if !program.starts_with('/') {
        result.error = Some(format!("refused: {program} is not an absolute path"));
        return (result, out_sink);
    }
    #[allow(clippy::disallowed_methods)] // the one place allowed to spawn processes
    let mut cmd = tokio::process::Command::new(resolved);
    cmd.args(args)
        .env_clear()
        .env("PATH", FIXED_PATH)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            result.duration = started.elapsed();
            result.error = Some(if e.kind() == std::io::ErrorKind::NotFound {
                format!("{program} not found")
            } else {
                format!("{program} could not start: {e}")
            });
            return (result, out_sink);
        }
    };
    result.available = true;
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut err_sink = Sink::Memory(Vec::new());
    let mut out_truncated = false;
    let mut status = None;
    let finished = {
        let work = async {
            let out = async {
                if let Some(s) = stdout {
                    if probe.keep_newest {
                        (out_sink, out_truncated) =
                            drain_newest(s, probe.spool, probe.max_bytes).await;
                    } else {
                        out_truncated = drain_capped(s, &mut out_sink, probe.max_bytes).await;
                    }
                }
            };
            let err = async {
                if let Some(s) = stderr {
                    drain_capped(s, &mut err_sink, STDERR_CAP as u64).await;
                }
            };
            let ((), (), st) = tokio::join!(out, err, child.wait());
            status = st.ok();
        };
        tokio::time::timeout(probe.timeout, work).await.is_ok()
    };
    if !finished {
        result.timed_out = true;
        if let Some(pid) = pid {
            // The child leads its own process group: kill the group so no grandchild survives.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = child.kill().await;
        status = child.wait().await.ok();
    }
    result.exit_status = status.and_then(|s| s.code());
    result.truncated = out_truncated;
    if let Sink::Memory(v) = err_sink {
        result.stderr = v;
    }
    result.duration = started.elapsed();
    (result, out_sink)
}

/// Runs a probe that blocks in the OS (a file read, a volume query) on tokio's blocking pool,
/// under the probe's timeout like every command: a read from a hung network volume, or a
/// purgeable-space query that never answers, must not hold the concurrent probe set. The call
/// itself cannot be cancelled: on timeout its thread is left behind and the run goes on (the
/// binary shuts its runtime down without waiting for such threads, `app::main_with_args`).
async fn blocking<F>(probe: &Probe, work: F) -> ProbeResult
where
    F: FnOnce() -> ProbeResult + Send + 'static,
{
    let started = Instant::now();
    let lost = |error: Option<String>, timed_out: bool| ProbeResult {
        id: probe.id.clone(),
        available: true,
        timed_out,
        error,
        duration: started.elapsed(),
        ..ProbeResult::default()
    };
    match tokio::time::timeout(probe.timeout, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(result)) => result,
        // The closure panicked or the runtime is shutting down: no answer, said so.
        Ok(Err(e)) => lost(Some(format!("probe task failed: {e}")), false),
        Err(_) => lost(None, true),
    }
}

/// Free space of the volume mounted exactly at `mount`, via sysinfo (statfs on Linux,
/// `volumeAvailableCapacityForImportantUsage` on macOS). Not mounted: unavailable.
fn available_space(probe: &Probe, mount: &Path) -> ProbeResult {
    let started = Instant::now();
    let mut result = ProbeResult {
        id: probe.id.clone(),
        ..ProbeResult::default()
    };
    match sysinfo::Disks::new_with_refreshed_list() {
        Err(e) => result.error = Some(format!("cannot list volumes: {e}")),
        Ok(disks) => match disks.iter().find(|d| d.mount_point() == mount) {
            Some(d) => {
                result.available = true;
                result.exit_status = Some(0);
                result.stdout = Payload::Memory(format!("{}\n", d.available_space()).into_bytes());
            }
            None => result.error = Some(format!("no volume is mounted at {}", mount.display())),
        },
    }
    result.duration = started.elapsed();
    result
}

fn read_file(probe: &Probe, path: &Path) -> ProbeResult {
    use std::io::Read;
    let started = Instant::now();
    let mut result = ProbeResult {
        id: probe.id.clone(),
        ..ProbeResult::default()
    };
    match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            result.error = Some(format!("{} does not exist", path.display()));
        }
        Err(e) => {
            // Present but unreadable (not root): a failed read, not a missing file.
            result.available = true;
            result.exit_status = Some(1);
            result.stderr = format!("cannot read {}: {e}", path.display()).into_bytes();
        }
        Ok(f) => {
            result.available = true;
            let mut buf = Vec::new();
            match f.take(probe.max_bytes + 1).read_to_end(&mut buf) {
                Ok(_) => {
                    if buf.len() as u64 > probe.max_bytes {
                        buf.truncate(probe.max_bytes as usize);
                        result.truncated = true;
                    }
                    result.exit_status = Some(0);
                    result.stdout = if buf.is_empty() {
                        Payload::Empty
                    } else {
                        Payload::Memory(buf)
                    };
                }
                Err(e) => {
                    result.exit_status = Some(1);
                    result.stderr = format!("cannot read {}: {e}", path.display()).into_bytes();
                }
            }
        }
    }
    result.duration = started.elapsed();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn split_of(caps: &[u64]) -> Split {
        // Lines starting with 'a' go to stream 0, 'b' to stream 1, anything else to every stream.
        let router: LineRouter = Box::new(|line: &[u8]| match line.first() {
            Some(b'a') => 1,
            Some(b'b') => 2,
            _ => u64::MAX,
        });
        let streams: Vec<Probe> = caps
            .iter()
            .enumerate()
            .map(|(i, &cap)| Probe::command(&format!("s{i}"), "/x", &[]).with_max_bytes(cap))
            .collect();
        Split::new(router, &streams)
    }

    fn parts(split: Split) -> Vec<(Vec<u8>, bool)> {
        split
            .finish()
            .into_iter()
            .map(|(p, cut)| (p.read_capped(u64::MAX).unwrap(), cut))
            .collect()
    }

    /// Lines reach their streams whole however the pipe cuts the bytes; lines no stream claims
    /// alone (header, trailer, a cut last line) reach every stream.
    #[test]
    fn split_routes_whole_lines_whatever_the_chunking() {
        let input = b"H\na1\nb1\na2 long line\nT\nb-cut";
        for chunk in 1..input.len() {
            let mut split = split_of(&[1 << 20, 1 << 20]);
            for c in input.chunks(chunk) {
                assert!(split.write(c));
            }
            let got = parts(split);
            assert_eq!(got[0].0, b"H\na1\na2 long line\nT\n", "chunk {chunk}");
            assert_eq!(got[1].0, b"H\nb1\nT\nb-cut", "chunk {chunk}");
            assert!(!got[0].1 && !got[1].1);
        }
    }

    /// Each stream keeps its own cap (cut and marked), and a line longer than the routing bound
    /// goes to every stream as it arrives instead of being held.
    #[test]
    fn split_caps_each_stream_and_never_holds_an_overlong_line() {
        let mut split = split_of(&[8, 1 << 30]);
        assert!(split.write(b"a123456789\nb1\n"));
        let long = vec![b'b'; SPLIT_LINE_MAX + 10];
        for c in long.chunks(4096) {
            assert!(split.write(c));
            assert!(split.partial.len() <= SPLIT_LINE_MAX + 4096);
        }
        assert!(split.write(b"\nb2\n"));
        let got = parts(split);
        assert_eq!(got[0].0, b"a1234567", "stream 0 cut at its cap");
        assert!(got[0].1, "and marked truncated");
        let s1 = &got[1].0;
        assert!(s1.starts_with(b"b1\nbbbb") && s1.ends_with(b"bbb\nb2\n"));
        assert_eq!(s1.len(), 3 + long.len() + 1 + 3);
        assert!(!got[1].1);
    }

    /// A stream whose probe keeps the newest output keeps its newest lines under its own cap in
    /// the union too (a flood of early lines cannot push out the latest), whole lines only;
    /// the other stream is untouched.
    #[test]
    fn split_keeps_the_newest_lines_of_a_stream_that_keeps_newest() {
        let router: LineRouter = Box::new(|line: &[u8]| match line.first() {
            Some(b'a') => 1,
            _ => 2,
        });
        let streams = [
            Probe::command("s0", "/x", &[])
                .with_max_bytes(40)
                .keeping_newest(),
            Probe::command("s1", "/x", &[]).with_max_bytes(1 << 20),
        ];
        let mut split = Split::new(router, &streams);
        for k in 0..100 {
            assert!(split.write(format!("a{k:03}\nb{k:03}\n").as_bytes()));
        }
        let got = parts(split);
        let s0 = String::from_utf8(got[0].0.clone()).unwrap();
        assert!(s0.ends_with("a098\na099\n"), "{s0}");
        assert!(
            s0.starts_with('a') && s0.len() >= 20 && s0.len() <= 40,
            "{s0}"
        );
        assert!(s0.lines().all(|l| l.len() == 4), "whole lines: {s0}");
        assert!(got[0].1, "marked cut");
        assert_eq!(got[1].0.len(), 500);
        assert!(!got[1].1);
    }

    /// The volume query runs through the same wrapper as file reads: a call that does not return
    /// ends at the probe's timeout (the real query cannot be made to hang in a test).
    #[test]
    fn a_blocking_probe_that_never_answers_times_out() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let probe = Probe::available_space("available_space_root", "/")
            .with_timeout(Duration::from_millis(100));
        let started = Instant::now();
        let r = rt.block_on(blocking(&probe, || {
            std::thread::sleep(Duration::from_secs(3));
            ProbeResult::default()
        }));
        assert!(r.timed_out && r.available, "{r:?}");
        assert_eq!(r.id, "available_space_root");
        assert!(started.elapsed() < Duration::from_secs(2));
        rt.shutdown_background();
    }
}
