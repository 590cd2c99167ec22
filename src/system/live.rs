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

use super::{Payload, Probe, ProbeResult, Source, System, STDERR_CAP};

/// Fixed environment of every subprocess.
pub const FIXED_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

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

    fn describe(&self) -> String {
        match &self.sysroot {
            Some(r) => format!("live (sysroot {})", r.display()),
            None => "live".to_string(),
        }
    }
}

/// Where stdout goes: memory or a temporary file, both capped.
enum Sink {
    Memory(Vec<u8>),
    File(std::io::BufWriter<tempfile::NamedTempFile>, u64),
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

/// Reads `reader` to its end keeping its newest bytes: two halves of `cap / 2` bytes, the older
/// dropped whenever the newer fills, so at the end at least the newest `cap / 2` and at most
/// `cap` bytes remain, starting at a line boundary (the partial first line is dropped). Returns
/// the sink and whether anything was dropped.
async fn drain_newest<R: AsyncRead + Unpin>(mut reader: R, spool: bool, cap: u64) -> (Sink, bool) {
    let half = (cap / 2).max(1);
    let mut halves = [Sink::new(spool), Sink::new(spool)];
    let mut cur = 0usize;
    let mut dropped = false;
    let mut failed = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        while !chunk.is_empty() {
            let room = half.saturating_sub(halves[cur].len()) as usize;
            if room == 0 {
                cur = 1 - cur;
                halves[cur] = Sink::new(spool);
                dropped = true;
                continue;
            }
            let take = chunk.len().min(room);
            if !halves[cur].write(&chunk[..take]) {
                failed = true;
            }
            chunk = &chunk[take..];
        }
    }
    let [a, b] = halves;
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

async fn run_command(
    probe: &Probe,
    resolved: &Path,
    program: &str,
    args: &[String],
) -> ProbeResult {
    let started = Instant::now();
    let mut result = ProbeResult {
        id: probe.id.clone(),
        ..ProbeResult::default()
    };
    if !program.starts_with('/') {
        result.error = Some(format!("refused: {program} is not an absolute path"));
        return result;
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
            return result;
        }
    };
    result.available = true;
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut out_sink = Sink::new(probe.spool);
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
    result.stdout = out_sink.into_payload();
    if let Sink::Memory(v) = err_sink {
        result.stderr = v;
    }
    result.duration = started.elapsed();
    result
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
