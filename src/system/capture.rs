//! Writing a capture: every probe's raw result into a fresh directory, in the format replay reads.
//!
//! Refuses a non-empty directory. Files are created new (never through an existing file or link).

use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, FixedOffset, SecondsFormat};

use super::{Payload, ProbeResult};

/// Checks that `dir` is absent or an empty directory, and creates it.
pub fn prepare_dir(dir: &Path) -> Result<(), String> {
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
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            if entries.next().is_some() {
                return Err(format!(
                    "{} is not empty; a capture needs an empty directory",
                    dir.display()
                ));
            }
        }
        // Created 0755 whatever the umask (and never through a symlink).
        Err(_) => super::files::ensure_dir(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
    }
    Ok(())
}

fn create_new(path: &Path) -> io::Result<std::fs::File> {
    super::files::create_new(path, 0o644)
}

fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create_new(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub fn write_meta(
    dir: &Path,
    captured_at: DateTime<FixedOffset>,
    root: bool,
) -> Result<(), String> {
    let meta = serde_json::json!({
        "captured_at": captured_at.to_rfc3339_opts(SecondsFormat::Micros, false),
        "mdmwatch_version": env!("CARGO_PKG_VERSION"),
        "root": root,
    });
    let text = serde_json::to_vec_pretty(&meta).map_err(|e| e.to_string())?;
    write_bytes(&dir.join("meta.json"), &text).map_err(|e| format!("cannot write meta.json: {e}"))
}

/// Writes `<id>.args` (a JSON array: program, then arguments) for a command probe, so a replay
/// knows which `log show` predicate produced the output (whether the absence of HTTP lines is
/// evidence depends on it).
pub fn write_args(dir: &Path, id: &str, argv: &[String]) -> Result<(), String> {
    let text = serde_json::to_vec(argv).map_err(|e| e.to_string())?;
    write_bytes(&dir.join(format!("{id}.args")), &text)
        .map_err(|e| format!("cannot write {id}.args: {e}"))
}

/// Writes one probe's files. An unavailable probe writes nothing (that is how replay knows).
pub fn write_result(dir: &Path, result: &ProbeResult) -> Result<(), String> {
    if !result.available {
        return Ok(());
    }
    let id = &result.id;
    let err = |e: io::Error| format!("cannot write {id} into {}: {e}", dir.display());
    let mut out = create_new(&dir.join(format!("{id}.stdout"))).map_err(err)?;
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
        write_bytes(&dir.join(format!("{id}.stderr")), &result.stderr).map_err(err)?;
    }
    match result.exit_status {
        Some(0) => {}
        Some(n) => write_bytes(&dir.join(format!("{id}.exit")), format!("{n}\n").as_bytes())
            .map_err(err)?,
        // Killed by a signal without timing out: record a conventional 128+9.
        None if !result.timed_out => {
            write_bytes(&dir.join(format!("{id}.exit")), b"137\n").map_err(err)?
        }
        None => {}
    }
    // Replay shows it ("timed out after 15000 ms"); unknown when this result is itself a replay
    // of an older capture.
    if !result.duration_unknown {
        let ms = format!("{}\n", result.duration.as_millis());
        write_bytes(&dir.join(format!("{id}.duration_ms")), ms.as_bytes()).map_err(err)?;
    }
    if result.timed_out {
        write_bytes(&dir.join(format!("{id}.timeout")), b"").map_err(err)?;
    }
    if result.truncated {
        write_bytes(&dir.join(format!("{id}.truncated")), b"").map_err(err)?;
    }
    Ok(())
}
