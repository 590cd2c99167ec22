//! Writing a capture: every probe's raw result into a fresh directory, in the format replay reads.
//!
//! Refuses a non-empty directory. The directory is opened once (`O_DIRECTORY | O_NOFOLLOW`) and
//! every file is created relative to that handle (`openat` with `O_CREAT | O_EXCL | O_NOFOLLOW`),
//! so swapping the path for a symlink during the probe run redirects nothing. As root the
//! directory must be created by mdmwatch or already be root's alone (owned by root, writable by
//! neither group nor others): a user's directory (`sudo mdmwatch capture ~/Desktop/x` with `x`
//! existing) is refused.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat};
use nix::fcntl::{open, openat, OFlag};
use nix::sys::stat::{fchmod, fstat, Mode};

use super::{Payload, ProbeResult};

/// An open capture directory: files are created relative to `fd`, never by path.
#[derive(Debug)]
pub(crate) struct CaptureDir {
    path: PathBuf,
    fd: OwnedFd,
}

impl CaptureDir {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Checks that `dir` is absent or an empty directory (as root: root's alone), creates it when
/// absent, and opens it.
pub(crate) fn prepare_dir(dir: &Path) -> Result<CaptureDir, String> {
    let root = nix::unistd::geteuid().is_root();
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(format!(
                "{} is a symbolic link; refusing to write a capture there",
                dir.display()
            ))
        }
        Ok(m) if !m.is_dir() => {
            return Err(format!("{} exists and is not a directory", dir.display()))
        }
        Ok(m) => {
            let mut entries = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            if entries.next().is_some() {
                return Err(format!(
                    "{} is not empty; a capture needs an empty directory",
                    dir.display()
                ));
            }
            if root && (m.uid() != 0 || m.mode() & 0o022 != 0) {
                return Err(not_roots(dir, m.uid(), m.mode()));
            }
        }
        // Created 0755 whatever the umask (and never through a symlink).
        Err(_) => super::files::ensure_dir(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
    }
    let fd = open(
        dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    // The directory we hold, whatever happened to the path since the checks above.
    let st = fstat(&fd).map_err(|e| format!("cannot stat {}: {e}", dir.display()))?;
    // `mode_t` is u16 on macOS, u32 on Linux.
    #[allow(clippy::useless_conversion)]
    let mode = u32::from(st.st_mode);
    if root && (st.st_uid != 0 || mode & 0o022 != 0) {
        return Err(not_roots(dir, st.st_uid, mode));
    }
    Ok(CaptureDir {
        path: dir.to_path_buf(),
        fd,
    })
}

fn not_roots(dir: &Path, uid: u32, mode: u32) -> String {
    format!(
        "{} is owned by uid {uid} (mode {:o}); as root, capture into a new directory (mdmwatch \
         creates it) or one only root can write, e.g. `sudo mdmwatch capture \
         /var/root/mdmwatch-capture`, then copy it and `chown -R` the copy",
        dir.display(),
        mode & 0o7777
    )
}

/// Creates `name` in the capture directory: new only, never through a link, mode 0644 whatever
/// the umask.
fn create_new(dir: &CaptureDir, name: &str) -> io::Result<File> {
    let fd = openat(
        &dir.fd,
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o644),
    )
    .map_err(io::Error::from)?;
    fchmod(&fd, Mode::from_bits_truncate(0o644)).map_err(io::Error::from)?;
    Ok(File::from(fd))
}

fn write_bytes(dir: &CaptureDir, name: &str, bytes: &[u8]) -> io::Result<()> {
    let mut f = create_new(dir, name)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub(crate) fn write_meta(
    dir: &CaptureDir,
    captured_at: DateTime<FixedOffset>,
    root: bool,
) -> Result<(), String> {
    let meta = serde_json::json!({
        "captured_at": captured_at.to_rfc3339_opts(SecondsFormat::Micros, false),
        "mdmwatch_version": env!("CARGO_PKG_VERSION"),
        "root": root,
    });
    let text = serde_json::to_vec_pretty(&meta).map_err(|e| e.to_string())?;
    write_bytes(dir, "meta.json", &text).map_err(|e| format!("cannot write meta.json: {e}"))
}

/// Writes `<id>.args` (a JSON array: program, then arguments) for a command probe, so a replay
/// knows which `log show` predicate produced the output (whether the absence of HTTP lines is
/// evidence depends on it).
pub(crate) fn write_args(dir: &CaptureDir, id: &str, argv: &[String]) -> Result<(), String> {
    let text = serde_json::to_vec(argv).map_err(|e| e.to_string())?;
    write_bytes(dir, &format!("{id}.args"), &text)
        .map_err(|e| format!("cannot write {id}.args: {e}"))
}

/// Writes one probe's files. An unavailable probe writes nothing (that is how replay knows).
pub(crate) fn write_result(dir: &CaptureDir, result: &ProbeResult) -> Result<(), String> {
    if !result.available {
        return Ok(());
    }
    let id = &result.id;
    let err = |e: io::Error| format!("cannot write {id} into {}: {e}", dir.path().display());
    let mut out = create_new(dir, &format!("{id}.stdout")).map_err(err)?;
    match &result.stdout {
        Payload::Empty => {}
        Payload::Memory(v) => out.write_all(v).map_err(err)?,
        p => {
            let mut r = p.open().map_err(err)?;
            io::copy(&mut r, &mut out).map_err(err)?;
        }
    }
    out.sync_all().map_err(err)?;
    if !result.stderr.is_empty() {
        write_bytes(dir, &format!("{id}.stderr"), &result.stderr).map_err(err)?;
    }
    match result.exit_status {
        Some(0) => {}
        Some(n) => {
            write_bytes(dir, &format!("{id}.exit"), format!("{n}\n").as_bytes()).map_err(err)?
        }
        // Killed by a signal without timing out: record a conventional 128+9.
        None if !result.timed_out => {
            write_bytes(dir, &format!("{id}.exit"), b"137\n").map_err(err)?
        }
        None => {}
    }
    // Replay shows it ("timed out after 15000 ms"); unknown when this result is itself a replay
    // of an older capture.
    if !result.duration_unknown {
        let ms = format!("{}\n", result.duration.as_millis());
        write_bytes(dir, &format!("{id}.duration_ms"), ms.as_bytes()).map_err(err)?;
    }
    if result.timed_out {
        write_bytes(dir, &format!("{id}.timeout"), b"").map_err(err)?;
    }
    if result.truncated {
        write_bytes(dir, &format!("{id}.truncated"), b"").map_err(err)?;
    }
    Ok(())
}
