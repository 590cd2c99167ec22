//! Root-safe file writes: the only place mdmwatch writes files other than captures.
//!
//! Rules: never follow a symlink at the destination (refused, not replaced), atomic replacement
//! (temp file in the same directory, fsync, rename, fsync the directory) so a reader or a crash
//! sees the old or the new complete file, explicit modes, and directories created 0755 and
//! checked (a directory that is a symlink, or when root one not owned by root, is refused).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

fn refuse(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, msg)
}

/// Creates `dir` (and parents) with mode 0755 if absent; refuses a symlink or a non-directory,
/// and, when running as root, a directory not owned by root or writable by others.
pub(crate) fn ensure_dir(dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(refuse(format!(
                "{} is a symbolic link; refusing to use it",
                dir.display()
            )))
        }
        Ok(m) if !m.is_dir() => {
            return Err(refuse(format!(
                "{} exists and is not a directory",
                dir.display()
            )))
        }
        Ok(m) => check_target_dir(dir, &m)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                if !parent.as_os_str().is_empty() && !parent.exists() {
                    ensure_dir(parent)?;
                }
            }
            match fs::create_dir(dir) {
                Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            let m = fs::symlink_metadata(dir)?;
            if m.file_type().is_symlink() || !m.is_dir() {
                return Err(refuse(format!(
                    "{} changed while being created",
                    dir.display()
                )));
            }
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// As root, the directory mdmwatch writes into must be root's alone: root-owned and writable by
/// neither its group nor others. A sticky world-writable directory is no exception here: anyone
/// may create files in it (a `state.json.lock` flocked for ever stops heal; a planted
/// `state.json` would be trusted), and a group member may replace `status.plist`.
fn check_target_dir(dir: &Path, m: &fs::Metadata) -> io::Result<()> {
    check_dir_owner(dir, m)?;
    if nix::unistd::geteuid().is_root() && m.mode() & 0o022 != 0 {
        return Err(refuse(format!(
            "{} is writable by {} (mode {:o}); refusing to keep root's files there",
            dir.display(),
            if m.mode() & 0o002 != 0 {
                "everyone"
            } else {
                "its group"
            },
            m.mode() & 0o7777
        )));
    }
    Ok(())
}

fn check_dir_owner(dir: &Path, m: &fs::Metadata) -> io::Result<()> {
    if nix::unistd::geteuid().is_root() {
        if m.uid() != 0 {
            return Err(refuse(format!(
                "{} is owned by uid {}, not root; refusing to write there as root",
                dir.display(),
                m.uid()
            )));
        }
        // Group- or world-writable and not sticky: a member could rename our subdirectory away
        // and put a symlink in its place.
        if m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0 {
            return Err(refuse(format!(
                "{} is writable by {}; refusing",
                dir.display(),
                if m.mode() & 0o002 != 0 {
                    "everyone"
                } else {
                    "its group"
                }
            )));
        }
    }
    Ok(())
}

/// As root, every existing ancestor of `dir` must be root-owned and not writable by everyone
/// (sticky directories such as `/tmp` excepted), and a symlinked ancestor (`/var` on macOS) must
/// be root's: otherwise its owner could swap a component for a symlink between our checks and
/// the write, and root would write wherever that points.
fn check_ancestors(dir: &Path) -> io::Result<()> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    for a in dir.ancestors().skip(1) {
        if a.as_os_str().is_empty() {
            continue;
        }
        let Ok(lm) = fs::symlink_metadata(a) else {
            continue;
        };
        if lm.file_type().is_symlink() {
            if lm.uid() != 0 {
                return Err(refuse(format!(
                    "{} is a symbolic link owned by uid {}, not root; refusing to write below it",
                    a.display(),
                    lm.uid()
                )));
            }
            check_dir_owner(a, &fs::metadata(a)?)?;
        } else {
            check_dir_owner(a, &lm)?;
        }
    }
    Ok(())
}

/// Command-line paths that would let another user steer root, refused before anything runs
/// (`app.rs` calls this once). As root: `--sysroot` (a test seam that makes root run binaries
/// from a directory) only in debug builds and only on a tree root alone can write; `--state` and
/// `--status-dir` only where root alone can write (existing ancestors as for every write), and an
/// existing `--state` file only when it is recognisably mdmwatch's state, so heal never moves
/// another file (`/etc/sudoers`) aside to write JSON in its place. In release builds `--sysroot`
/// is refused for everyone.
pub(crate) fn check_root_arguments(
    sysroot: Option<&Path>,
    state: Option<&Path>,
    status_dir: Option<&Path>,
) -> Result<(), String> {
    if sysroot.is_some() && !cfg!(debug_assertions) {
        return Err("--sysroot exists only in test builds".to_string());
    }
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let err = |e: io::Error| e.to_string();
    if let Some(root) = sysroot {
        let m =
            fs::symlink_metadata(root).map_err(|e| format!("--sysroot {}: {e}", root.display()))?;
        if !m.is_dir() {
            return Err(format!("--sysroot {} is not a directory", root.display()));
        }
        check_ancestors(root).map_err(err)?;
        check_target_dir(root, &m).map_err(err)?;
        // The directories binaries are run from, below it.
        for sub in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/libexec"] {
            let d = root.join(sub);
            if let Ok(m) = fs::symlink_metadata(&d) {
                if m.file_type().is_symlink() {
                    return Err(format!("{} is a symbolic link; refusing", d.display()));
                }
                check_target_dir(&d, &m).map_err(err)?;
            }
        }
    }
    if let Some(dir) = status_dir {
        check_ancestors(dir).map_err(err)?;
        if let Ok(m) = fs::symlink_metadata(dir) {
            if !m.is_dir() {
                return Err(format!("--status-dir {} is not a directory", dir.display()));
            }
            check_target_dir(dir, &m).map_err(err)?;
        }
    }
    if let Some(path) = state {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        check_ancestors(dir).map_err(err)?;
        if let Ok(m) = fs::symlink_metadata(dir) {
            check_target_dir(dir, &m).map_err(err)?;
        }
        if let Ok(m) = fs::symlink_metadata(path) {
            if !m.is_file() {
                return Err(format!(
                    "--state {} is not a regular file; refusing",
                    path.display()
                ));
            }
            let bytes = read_bounded(path, STATE_RECOGNISE_BYTES + 1).map_err(err)?;
            if !recognisably_state(&bytes) {
                return Err(format!(
                    "--state {} exists and is not mdmwatch's state file; refusing to replace it",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// Larger than any state file mdmwatch writes (`state::STATE_MAX_BYTES`, 1 MiB).
const STATE_RECOGNISE_BYTES: u64 = 1024 * 1024;

/// Keys that make a JSON object a state file: mdmwatch's `version` and `services`, and the
/// top-level keys of Addigy MDM Watchdog's file, which mdmwatch reads and keeps compatible.
const STATE_KEYS: [&str; 4] = [
    "version",
    "services",
    "last_mdm_kickstart",
    "last_software_update_kickstart",
];

/// Whether `bytes` is recognisably a state file: empty (a write cut short), a JSON object that is
/// empty or holds one of `STATE_KEYS`, or the start of such an object cut short (`{` then one
/// of the keys). Anything else (`/etc/sudoers`, a plist, a script) is not mdmwatch's to replace.
pub fn recognisably_state(bytes: &[u8]) -> bool {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    if bytes.len() as u64 > STATE_RECOGNISE_BYTES {
        return false;
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return v
            .as_object()
            .is_some_and(|o| o.is_empty() || STATE_KEYS.iter().any(|k| o.contains_key(*k)));
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let Some(rest) = text.trim_start().strip_prefix('{') else {
        return false;
    };
    let rest = rest.trim_start();
    STATE_KEYS
        .iter()
        .any(|k| rest.starts_with(&format!("\"{k}\"")))
}

/// Atomically replaces `path` with `bytes`, mode `mode`. A symlink at `path` is refused.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| refuse(format!("{} has no file name", path.display())))?;
    check_ancestors(dir)?;
    ensure_dir(dir)?;
    if let Ok(m) = fs::symlink_metadata(path) {
        if m.file_type().is_symlink() {
            return Err(refuse(format!(
                "{} is a symbolic link; refusing to write through it",
                path.display()
            )));
        }
        if !m.is_file() {
            return Err(refuse(format!("{} is not a regular file", path.display())));
        }
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// fsync a directory so a rename in it survives power loss.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads at most `max` bytes of a regular file without following a symlink at `path`.
pub(crate) fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)?;
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Modification time of `path` itself (a symlink is not followed).
pub(crate) fn modified(path: &Path) -> io::Result<std::time::SystemTime> {
    fs::symlink_metadata(path)?.modified()
}

/// Renames `from` to `to` in the same directory without replacing an existing `to`, then fsyncs
/// the directory. Used to keep a bad state file aside for inspection; a link is moved, not followed.
/// The "does not exist" test is the rename's own (an existing `to` is `AlreadyExists`), so a file
/// created at `to` meanwhile is never replaced.
pub(crate) fn rename_aside(from: &Path, to: &Path) -> io::Result<()> {
    rename_noreplace(from, to).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            io::Error::new(e.kind(), format!("{} already exists", to.display()))
        } else {
            e
        }
    })?;
    match to.parent() {
        Some(d) if !d.as_os_str().is_empty() => sync_dir(d),
        _ => sync_dir(Path::new(".")),
    }
}

/// Linux: `renameat2(RENAME_NOREPLACE)` (https://man7.org/linux/man-pages/man2/rename.2.html).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use nix::fcntl::{renameat2, RenameFlags, AT_FDCWD};
    match renameat2(AT_FDCWD, from, AT_FDCWD, to, RenameFlags::RENAME_NOREPLACE) {
        Ok(()) => Ok(()),
        // A file system without the flag: link + unlink cannot clobber either.
        Err(nix::errno::Errno::EINVAL) => link_then_unlink(from, to),
        Err(e) => Err(io::Error::from(e)),
    }
}

/// macOS: `renamex_np(RENAME_EXCL)` (rename(2) man page, macOS 10.12 and later).
#[cfg(target_os = "macos")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
    };
    let (f, t) = (c(from)?, c(to)?);
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    let rc = unsafe { nix::libc::renamex_np(f.as_ptr(), t.as_ptr(), nix::libc::RENAME_EXCL) };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        // A volume without exclusive rename: link + unlink cannot clobber either.
        Some(nix::libc::ENOTSUP) | Some(nix::libc::EINVAL) => link_then_unlink(from, to),
        _ => Err(e),
    }
}

#[cfg(not(any(all(target_os = "linux", target_env = "gnu"), target_os = "macos")))]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    link_then_unlink(from, to)
}

/// `link` fails with `EEXIST` when `to` exists, atomically; then the old name is removed.
fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

/// Outcome of [`try_lock`].
pub enum TryLock {
    /// The exclusive lock, released when dropped (or when the process dies: flock is per open file).
    Held(nix::fcntl::Flock<File>),
    /// Another process (or another open of the file) holds it.
    Busy,
}

/// Opens (creating with `mode` if needed, never through a symlink) `path` and takes an exclusive,
/// non-blocking `flock` on it. The kernel drops the lock when the holder exits, even by SIGKILL,
/// so a crashed run never wedges later ones.
pub fn try_lock(path: &Path, mode: u32) -> io::Result<TryLock> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            ensure_dir(dir)?;
        }
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(mode)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(refuse(format!("{} is not a regular file", path.display())));
    }
    match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(TryLock::Held(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(TryLock::Busy),
        Err((_, e)) => Err(io::Error::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_with_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/status.json");
        write_atomic(&p, b"one", 0o644).unwrap();
        write_atomic(&p, b"two", 0o644).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o644);
        assert_eq!(
            fs::metadata(dir.path().join("sub")).unwrap().mode() & 0o777,
            0o755
        );
        // No temp files left behind.
        assert_eq!(fs::read_dir(dir.path().join("sub")).unwrap().count(), 1);
    }

    #[test]
    fn refuses_symlink_at_destination_and_leaves_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        fs::write(&target, b"precious").unwrap();
        let link = dir.path().join("status.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write_atomic(&link, b"evil", 0o644).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn refuses_symlinked_directory() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = dir.path().join("linkdir");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(write_atomic(&link.join("x.json"), b"x", 0o644).is_err());
        assert!(!real.join("x.json").exists());
    }

    #[test]
    fn lock_is_exclusive_between_opens_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json.lock");
        let first = try_lock(&p, 0o600).unwrap();
        assert!(matches!(first, TryLock::Held(_)));
        assert!(matches!(try_lock(&p, 0o600).unwrap(), TryLock::Busy));
        drop(first);
        assert!(matches!(try_lock(&p, 0o600).unwrap(), TryLock::Held(_)));
    }

    /// A file that appears at the destination while the bad state is being moved aside is never
    /// replaced: either the move fails or the other creator does. (A check-then-rename lost the
    /// other file whenever it was created between the check and the rename.)
    #[test]
    fn rename_aside_never_clobbers_a_file_created_concurrently() {
        use std::sync::{Arc, Barrier};
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("state.json");
        let to = dir.path().join("state.json.corrupt");
        let mut clobbered = 0;
        for _ in 0..300 {
            let _ = fs::remove_file(&to);
            fs::write(&from, b"bad").unwrap();
            let start = Arc::new(Barrier::new(2));
            let (t, go) = (to.clone(), start.clone());
            // The other creator: makes the destination at about the same moment.
            let other = std::thread::spawn(move || {
                go.wait();
                match OpenOptions::new().write(true).create_new(true).open(&t) {
                    Ok(mut f) => {
                        f.write_all(b"other").unwrap();
                        true
                    }
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => panic!("{e}"),
                }
            });
            start.wait();
            let moved = rename_aside(&from, &to).is_ok();
            let created = other.join().unwrap();
            if moved && created {
                clobbered += 1;
            }
        }
        assert_eq!(
            clobbered, 0,
            "the destination was replaced {clobbered} times"
        );
    }

    #[test]
    fn the_link_fallback_never_clobbers_either() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::write(&a, b"bad").unwrap();
        fs::write(&b, b"other").unwrap();
        let e = link_then_unlink(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&b).unwrap(), b"other");
        fs::remove_file(&b).unwrap();
        link_then_unlink(&a, &b).unwrap();
        assert_eq!(fs::read(&b).unwrap(), b"bad");
        assert!(!a.exists());
    }

    #[test]
    fn rename_aside_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, b"bad").unwrap();
        fs::write(&b, b"other").unwrap();
        assert!(rename_aside(&a, &b).is_err());
        assert_eq!(fs::read(&b).unwrap(), b"other");
        fs::remove_file(&b).unwrap();
        rename_aside(&a, &b).unwrap();
        assert_eq!(fs::read(&b).unwrap(), b"bad");
        assert!(!a.exists());
    }
}
