//! Root safety: mdmwatch runs as root every 95 minutes and must never be a way into the machine.
//! Covered elsewhere: fixed subprocess environment and absolute binaries (`live_runner.rs`),
//! symlink-refusing atomic writes (`system/files.rs`, `status_files.rs`), settings bounds (`config.rs`).
//! Here:
//! - no shell anywhere, and processes are spawned only in `src/system/live.rs` (source scan);
//! - `--replay` writes nothing outside `--status-dir` / `--state`: not into the capture, the
//!   current directory, `$HOME` or `$TMPDIR`, whichever command runs;
//! - directories are created 0755 and files 0644 whatever the umask (explicit modes);
//! - an existing directory on the way to the status directory that another user controls is
//!   refused when running as root;
//! - status directory bounds, more cases.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn src_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            src_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Source lines outside comments (good enough for a lint: `//` to end of line is dropped).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
}

#[test]
fn no_shell_and_no_process_spawning_outside_system_live() {
    let root = common::root();
    let mut files = Vec::new();
    src_files(&root.join("src"), &mut files);
    assert!(files.len() > 20, "scanned {} files", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let text = fs::read_to_string(f).unwrap();
        let live = rel == "src/system/live.rs";
        for (n, line) in code_lines(&text) {
            let compact: String = line.split_whitespace().collect();
            let shell = [
                "\"/bin/sh\"",
                "\"/bin/bash\"",
                "\"/bin/zsh\"",
                "\"sh\"",
                "\"bash\"",
                "\"zsh\"",
            ]
            .iter()
            .any(|s| compact.contains(s))
                || compact.contains("\"sh\",\"-c\"")
                || compact.contains("\"/usr/bin/env\"")
                || compact.contains("\"osascript\"")
                || compact.contains("/usr/bin/osascript");
            if shell {
                bad.push(format!("{rel}:{n}: shell: {}", line.trim()));
            }
            let spawn = compact.contains("Command::new")
                || compact.contains("process::Command")
                || compact.contains("libc::exec")
                || compact.contains("libc::system")
                || compact.contains("libc::posix_spawn")
                || compact.contains("unistd::exec")
                || compact.contains("unistd::fork");
            if spawn && !live {
                bad.push(format!(
                    "{rel}:{n}: spawns outside system/live.rs: {}",
                    line.trim()
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Heal's commands (the only ones run as root that change anything) name absolute binaries.
/// (Probe commands: `live_runner.rs` and the probe table test.)
#[test]
fn every_heal_command_is_an_absolute_path() {
    let text = fs::read_to_string(common::root().join("src/heal/mod.rs")).unwrap();
    for prog in [
        "\"/bin/launchctl\"",
        "\"/bin/kill\"",
        "\"/usr/bin/dscacheutil\"",
    ] {
        assert!(text.contains(prog), "{prog}");
    }
    let joined: String = text.split_whitespace().collect();
    let mut checked = 0;
    for (i, _) in joined.match_indices("action_probe(") {
        let args = &joined[i..];
        // action_probe(ID, "PROGRAM", ...): the second argument.
        let Some(prog) = args.split(',').nth(1) else {
            continue;
        };
        if prog.starts_with('"') {
            assert!(prog.starts_with("\"/"), "relative program {prog}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} literal programs found");
}

/// Path -> (size, mode, mtime ns, content hash) of every entry under `dir`. A directory that
/// cannot be read fails the test with its path: skipping it would hide what was written there.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, u32, i64, u64)> {
    fn walk(d: &Path, out: &mut BTreeMap<PathBuf, (u64, u32, i64, u64)>) {
        let rd = fs::read_dir(d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for e in rd {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let hash = if m.is_file() {
                fs::read(&p)
                    .unwrap()
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ *b as u64).wrapping_mul(0x100_0000_01b3)
                    })
            } else {
                0
            };
            out.insert(
                p.clone(),
                (
                    m.size(),
                    m.mode(),
                    m.mtime() * 1_000_000_000 + m.mtime_nsec(),
                    hash,
                ),
            );
            if m.is_dir() {
                walk(&p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

struct Jail {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Jail {
    /// A tmp tree: a read-only copy of a capture, an empty HOME, cwd and TMPDIR, and `out/`.
    fn new(capture: &str) -> Jail {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let cap = root.join("capture");
        copy_dir(&common::captures_dir().join(capture), &cap);
        for f in fs::read_dir(&cap).unwrap() {
            fs::set_permissions(f.unwrap().path(), fs::Permissions::from_mode(0o444)).unwrap();
        }
        fs::set_permissions(&cap, fs::Permissions::from_mode(0o555)).unwrap();
        for d in ["home", "cwd", "tmp", "out"] {
            fs::create_dir(root.join(d)).unwrap();
            // Explicit mode: the process umask is shared by every test thread, and
            // `state_and_lock_modes_whatever_the_umask` sets it to 000 for a moment. A jail
            // created in that window had a world-writable `out/`, which a run as root rightly
            // refuses to write below (files::write_atomic), so nothing was written at all.
            fs::set_permissions(root.join(d), fs::Permissions::from_mode(0o755)).unwrap();
        }
        Jail { _dir: dir, root }
    }

    fn p(&self, rel: &str) -> String {
        self.root.join(rel).display().to_string()
    }

    #[allow(clippy::disallowed_methods)] // tests run the built binary
    fn run(&self, args: &[&str], umask: Option<u16>) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mdmwatch"));
        c.args(args)
            .current_dir(self.root.join("cwd"))
            .env("HOME", self.root.join("home"))
            .env("TMPDIR", self.root.join("tmp"))
            .env_remove("MDMWATCH_LOG");
        if let Some(mask) = umask {
            // SAFETY: umask is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                c.pre_exec(move || {
                    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask.into()));
                    Ok(())
                });
            }
        }
        c.output().unwrap()
    }
}

#[test]
fn replay_writes_nothing_outside_status_dir_and_state() {
    for capture in ["mdmclient-stuck", "softwareupdate-stuck", "healthy"] {
        let j = Jail::new(capture);
        let cap = j.p("capture");
        let status = j.p("out/status");
        let state = j.p("out/state/state.json");
        let before = snapshot(&j.root);
        let commands: Vec<Vec<&str>> = vec![
            vec!["-diagnose", "--replay", &cap],
            vec!["diagnose", "--json", "--verbose", "--replay", &cap],
            vec!["-heal", "--replay", &cap],
            vec![
                "heal",
                "--dry-run",
                "--json",
                "--replay",
                &cap,
                "--state",
                &state,
            ],
            vec![
                "run",
                "--replay",
                &cap,
                "--status-dir",
                &status,
                "--state",
                &state,
            ],
            vec!["run", "--json", "--replay", &cap, "--status-dir", &status],
            // A capture into the capture itself (not empty) is refused.
            vec!["capture", &cap, "--replay", &cap],
        ];
        // Every command's exit status and stderr, for the failure message: a run that wrote
        // nothing says why here.
        let mut ran = Vec::new();
        for args in &commands {
            let o = j.run(args, None);
            assert!(o.status.code().is_some(), "{args:?} was killed");
            ran.push(format!(
                "{args:?} -> {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        let out_mode = fs::metadata(j.root.join("out")).unwrap().mode() & 0o7777;
        let after = snapshot(&j.root);
        let mut changed: Vec<String> = Vec::new();
        for (p, meta) in &after {
            if before.get(p) != Some(meta) {
                changed.push(p.strip_prefix(&j.root).unwrap().display().to_string());
            }
        }
        for p in before.keys() {
            if !after.contains_key(p) {
                changed.push(format!("removed {}", p.display()));
            }
        }
        changed.retain(|p| p != "out");
        changed.sort();
        assert_eq!(
            changed,
            vec![
                "out/status",
                "out/status/status.json",
                "out/status/status.plist"
            ],
            "{capture}: the replays must write the status files and nothing else (the state is \
             never written on replay); out/ is {out_mode:o}; commands:\n{}",
            ran.join("\n")
        );
    }
}

#[test]
fn created_directories_are_0755_and_files_0644_whatever_the_umask() {
    for umask in [0o000u16, 0o077, 0o022] {
        let j = Jail::new("healthy");
        let cap = j.p("capture");
        let status = j.p("out/a/b/status");
        let o = j.run(
            &["run", "--replay", &cap, "--status-dir", &status],
            Some(umask),
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        for d in ["out/a", "out/a/b", "out/a/b/status"] {
            let m = fs::metadata(j.root.join(d)).unwrap().mode() & 0o7777;
            assert_eq!(m, 0o755, "umask {umask:03o}: {d} is {m:o}");
        }
        for f in ["status.json", "status.plist"] {
            let m = fs::metadata(Path::new(&status).join(f)).unwrap().mode() & 0o7777;
            assert_eq!(m, 0o644, "umask {umask:03o}: {f} is {m:o}");
        }
        // A capture (replayed into a new directory) too.
        let dst = j.p("out/cap/new");
        let o = j.run(&["capture", &dst, "--replay", &cap], Some(umask));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        for d in ["out/cap", "out/cap/new"] {
            let m = fs::metadata(j.root.join(d)).unwrap().mode() & 0o7777;
            assert_eq!(m, 0o755, "umask {umask:03o}: capture dir {d} is {m:o}");
        }
        for e in fs::read_dir(&dst).unwrap() {
            let p = e.unwrap().path();
            let m = fs::metadata(&p).unwrap().mode() & 0o7777;
            assert_eq!(m, 0o644, "umask {umask:03o}: {} is {m:o}", p.display());
        }
    }
}

#[test]
fn state_and_lock_modes_whatever_the_umask() {
    use mdmwatch::state::{self, State};
    use mdmwatch::system::files;
    let dir = tempfile::tempdir().unwrap();
    // The umask is per process: other test threads creating files meanwhile get 000 too
    // (see `Jail::new`, which sets its modes explicitly for that reason).
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::empty());
    let p = dir.path().join("x/state.json");
    let saved = state::save(&p, &State::default());
    let lock = files::try_lock(&state::lock_path(&p), 0o600);
    nix::sys::stat::umask(old);
    saved.unwrap();
    drop(lock.unwrap());
    assert_eq!(fs::metadata(&p).unwrap().mode() & 0o7777, 0o644);
    assert_eq!(
        fs::metadata(p.parent().unwrap()).unwrap().mode() & 0o7777,
        0o755
    );
    assert_eq!(
        fs::metadata(state::lock_path(&p)).unwrap().mode() & 0o7777,
        0o600
    );
}

/// As root, a status directory below an existing directory another user owns is refused: that
/// user could swap the path for a symlink between the check and the write.
#[test]
fn status_dir_below_a_directory_another_user_owns_is_refused_as_root() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("user");
    fs::create_dir(&user).unwrap();
    std::os::unix::fs::chown(&user, Some(501), Some(20)).unwrap();
    let target = user.join("mdmwatch/status.json");
    let r = mdmwatch::system::files::write_atomic(&target, b"{}", 0o644);
    assert!(r.is_err(), "wrote below a directory owned by uid 501");
    assert!(!target.exists());
    // Group- or world-writable (not sticky) ancestors likewise.
    let open = dir.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    assert!(mdmwatch::system::files::write_atomic(&open.join("a/s.json"), b"{}", 0o644).is_err());
    // A root-owned sticky world-writable directory (like /tmp, /var/tmp) is fine to pass through.
    let sticky = dir.path().join("sticky");
    fs::create_dir(&sticky).unwrap();
    fs::set_permissions(&sticky, fs::Permissions::from_mode(0o1777)).unwrap();
    mdmwatch::system::files::write_atomic(&sticky.join("a/s.json"), b"{}", 0o644).unwrap();
}

#[test]
fn status_directory_bounds_more_cases() {
    use mdmwatch::config::validate_status_dir;
    let cases: &[(&str, bool)] = &[
        ("/usr/localevil/status", false),
        ("/usr/local", false),
        ("/usr/local/", false),
        ("/var", false),
        ("/private/var/", false),
        ("/variable/x", false),
        ("/var/db/mdmwatch/../../../etc", false),
        ("/Library/Application Support/mdmwatch/./x", false),
        ("//var/db", false),
        ("/var/db/…/x", true),
        ("/var/db/mdmwatch", true),
        ("/Library/Application Support", false),
        ("/Library/Application Supportx/y", false),
        ("/library/application support/x", false),
        ("/System/Library/x", false),
        ("/etc/../var/db", false),
        ("", false),
        ("/", false),
    ];
    for (path, ok) in cases {
        assert_eq!(validate_status_dir(path).is_ok(), *ok, "{path:?}");
    }
    // Through the settings plist too: a refused directory keeps the default.
    let plist = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>StatusDirectory</key><string>/var/db/../../etc</string></dict></plist>"#;
    let l = mdmwatch::config::from_bytes(plist);
    assert_eq!(
        l.config.status_dir,
        PathBuf::from(mdmwatch::config::DEFAULT_STATUS_DIR)
    );
    assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
}

/// The `log show` predicates select only the daemons' exact image paths (the reader's evidence
/// sources), so entries of other processes never reach the reader nor spend its output budget.
#[test]
fn log_predicates_select_only_the_daemons_image_paths() {
    use mdmwatch::parse::log_patterns::LogStream;
    use mdmwatch::probes;
    for (stream, constant, built) in [
        (
            LogStream::Mdmclient,
            probes::MDMCLIENT_PREDICATE,
            probes::mdmclient_predicate(),
        ),
        (
            LogStream::SoftwareUpdate,
            probes::SOFTWAREUPDATE_PREDICATE,
            probes::softwareupdate_predicate(),
        ),
        (
            LogStream::Apsd,
            probes::APSD_PREDICATE,
            probes::apsd_predicate(),
        ),
    ] {
        assert_eq!(constant, probes::sources_clause(stream), "{stream:?}");
        assert!(built.starts_with(&format!("({constant}) AND (")), "{built}");
        for loose in [
            "process ==",
            "subsystem ==",
            "BEGINSWITH",
            "processImagePath CONTAINS",
        ] {
            assert!(!constant.contains(loose), "{stream:?}: {constant}");
        }
        for src in mdmwatch::parse::log_patterns::sources(stream) {
            assert!(constant.contains(&format!("processImagePath == \"{}\"", src.image_path)));
        }
    }
    // The first run's look-back keeps mdmclient's restriction too.
    let lookback = probes::mdmclient_lookback_predicate();
    assert!(
        lookback.starts_with(&format!("({}) AND (", probes::MDMCLIENT_PREDICATE)),
        "{lookback}"
    );
}

fn needs_root() -> bool {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return false;
    }
    true
}

/// As root, `--sysroot` naming a tree a user owns is refused before anything runs: the user's
/// `usr/bin/sw_vers` would otherwise run as uid 0.
#[test]
fn a_sysroot_a_user_owns_is_refused_as_root() {
    if !needs_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let marker = dir.path().join("ran-as-root");
    common::script(
        &root,
        "/usr/bin/sw_vers",
        &format!("touch {}", marker.display()),
    );
    for d in ["", "usr", "usr/bin"] {
        std::os::unix::fs::chown(root.join(d), Some(501), Some(20)).unwrap();
    }
    let o = common::mdmwatch(&["diagnose", "--json", "--sysroot", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr_text());
    assert!(o.stderr_text().contains("uid 501"), "{}", o.stderr_text());
    assert!(!marker.exists(), "the user's sw_vers ran as root");
    // A group-writable bin directory below a root-owned sysroot likewise.
    for d in ["", "usr", "usr/bin"] {
        std::os::unix::fs::chown(root.join(d), Some(0), Some(0)).unwrap();
    }
    fs::set_permissions(root.join("usr/bin"), fs::Permissions::from_mode(0o775)).unwrap();
    let o = common::mdmwatch(&["diagnose", "--json", "--sysroot", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr_text());
    assert!(!marker.exists());
}

/// As root, `--state` naming a file that is not mdmwatch's state (a copy of sudoers) is refused:
/// heal would move it aside and write JSON in its place.
#[test]
fn state_naming_a_file_that_is_not_a_state_file_is_refused_as_root() {
    if !needs_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sudoers = dir.path().join("sudoers");
    let text = b"# sudoers file.\nroot ALL=(ALL) ALL\n%admin ALL=(ALL) ALL\n";
    fs::write(&sudoers, text).unwrap();
    let o = common::mdmwatch(&[
        "heal",
        "--json",
        "--replay",
        common::captures_dir().join("healthy").to_str().unwrap(),
        "--state",
        sudoers.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr_text());
    assert!(
        o.stderr_text().contains("not mdmwatch's state"),
        "{}",
        o.stderr_text()
    );
    assert_eq!(fs::read(&sudoers).unwrap(), text);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    for (bytes, ok) in [
        (&b""[..], true),
        (b"{}", true),
        (b"{\"version\":1}", true),
        (b"{\"last_mdm_kickstart\":\"0001-01-01T00:00:00Z\"}", true),
        (b"{\"version\": 1, \"serv", true),
        (b"{not json", false),
        (b"[1]", false),
        (b"{\"Defaults\":1}", false),
        (b"# sudoers", false),
    ] {
        assert_eq!(
            mdmwatch::system::files::recognisably_state(bytes),
            ok,
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// As root, a status directory others can write is refused: a root-owned sticky 1777 directory
/// (anyone may create and flock `state.json.lock`, stopping heal, or plant a `state.json`) and a
/// group-writable one (a member may replace status.plist).
#[test]
fn status_directories_others_can_write_are_refused_as_root() {
    if !needs_root() {
        return;
    }
    let capture = common::captures_dir().join("healthy");
    for mode in [0o1777, 0o775, 0o777] {
        let dir = tempfile::tempdir().unwrap();
        let status = dir.path().join("status");
        fs::create_dir(&status).unwrap();
        fs::set_permissions(&status, fs::Permissions::from_mode(mode)).unwrap();
        let o = common::mdmwatch(&[
            "run",
            "--dry-run",
            "--replay",
            capture.to_str().unwrap(),
            "--status-dir",
            status.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "mode {mode:o}: {}",
            o.stderr_text()
        );
        assert!(
            fs::read_dir(&status).unwrap().next().is_none(),
            "mode {mode:o}: wrote into it"
        );
        // Through the library too (every status write goes through write_atomic).
        assert!(
            mdmwatch::system::files::write_atomic(&status.join("status.json"), b"{}", 0o644)
                .is_err(),
            "mode {mode:o}"
        );
    }
    // A 0755 root-owned one is fine.
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status");
    fs::create_dir(&status).unwrap();
    fs::set_permissions(&status, fs::Permissions::from_mode(0o755)).unwrap();
    mdmwatch::system::files::write_atomic(&status.join("status.json"), b"{}", 0o644).unwrap();
}

/// As root, replay refuses a capture file with more than one link or owned by someone other than
/// the capture directory's owner: a user's capture could otherwise hard-link a root-only file and
/// have its first line quoted in "unparseable" evidence.
#[test]
fn replay_as_root_refuses_hard_links_and_foreign_owners() {
    if !needs_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    fs::write(&secret, b"SECRET-FIRST-LINE root only\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    let cap = dir.path().join("capture");
    copy_dir(&common::captures_dir().join("healthy"), &cap);
    for f in fs::read_dir(&cap).unwrap() {
        std::os::unix::fs::chown(f.unwrap().path(), Some(501), Some(20)).unwrap();
    }
    std::os::unix::fs::chown(&cap, Some(501), Some(20)).unwrap();
    fs::remove_file(cap.join("sw_vers.stdout")).unwrap();
    fs::hard_link(&secret, cap.join("sw_vers.stdout")).unwrap();
    let o = common::mdmwatch(&["diagnose", "--json", "--replay", cap.to_str().unwrap()]);
    let out = o.stdout_text();
    assert!(!out.contains("SECRET-FIRST-LINE"), "{out}");
    assert!(out.contains("hard links"), "{out}");
    // A root-owned single-link file in a user's capture: not the directory owner's.
    fs::remove_file(cap.join("sw_vers.stdout")).unwrap();
    fs::copy(&secret, cap.join("sw_vers.stdout")).unwrap();
    let o = common::mdmwatch(&["diagnose", "--json", "--replay", cap.to_str().unwrap()]);
    let out = o.stdout_text();
    assert!(!out.contains("SECRET-FIRST-LINE"), "{out}");
    assert!(out.contains("capture directory's owner"), "{out}");
}

/// `capture` as root: a directory a user owns is refused (they could swap it for a symlink during
/// the run), and a directory mdmwatch creates is written through its open handle, so swapping the
/// path for a symlink mid-run redirects nothing.
#[test]
fn capture_as_root_writes_only_into_its_own_directory() {
    if !needs_root() {
        return;
    }
    let sysroot = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let user_dir = tmp.path().join("user");
    fs::create_dir(&user_dir).unwrap();
    std::os::unix::fs::chown(&user_dir, Some(501), Some(20)).unwrap();
    common::script(
        sysroot.path(),
        "/usr/bin/sw_vers",
        "echo ProductVersion: 26.1",
    );
    let o = common::mdmwatch(&[
        "capture",
        user_dir.to_str().unwrap(),
        "--sysroot",
        sysroot.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr_text());
    assert!(o.stderr_text().contains("uid 501"), "{}", o.stderr_text());
    assert!(fs::read_dir(&user_dir).unwrap().next().is_none());

    // The path is swapped for a symlink to a root-owned directory while the probes run (the
    // fake sw_vers does what the directory's owner would).
    let cap = user_dir.join("cap");
    let target = tmp.path().join("root-only");
    fs::create_dir(&target).unwrap();
    common::script(
        sysroot.path(),
        "/usr/bin/sw_vers",
        &format!(
            "mv {c} {c}.moved && ln -s {t} {c}; echo ProductVersion: 26.1",
            c = cap.display(),
            t = target.display()
        ),
    );
    let o = common::mdmwatch(&[
        "capture",
        cap.to_str().unwrap(),
        "--sysroot",
        sysroot.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", o.stderr_text());
    assert!(
        fs::read_dir(&target).unwrap().next().is_none(),
        "root wrote through the swapped path"
    );
    let moved = user_dir.join("cap.moved");
    assert!(moved.join("meta.json").is_file());
    assert!(moved.join("sw_vers.stdout").is_file());
}

/// The unified-log summary line (what extension attributes read) comes only from a live run as
/// root: a replay of a capture anyone can write never logs it.
#[test]
fn the_summary_log_line_is_not_logged_from_a_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let o = common::mdmwatch(&[
        "run",
        "--dry-run",
        "--verbose",
        "--replay",
        common::captures_dir().join("healthy").to_str().unwrap(),
        "--status-dir",
        tmp.path().join("s").to_str().unwrap(),
    ]);
    assert!(
        o.status.code().is_some_and(|c| c != 2),
        "{}",
        o.stderr_text()
    );
    assert!(
        !o.stderr_text().contains("MDMIdentityError:"),
        "{}",
        o.stderr_text()
    );
}

/// status.plist stays valid XML when probe output carries control characters (an ESC in a
/// probe's stderr, a \u0001 in a log line): they are written as `\uXXXX`.
#[test]
fn status_plist_is_valid_xml_whatever_the_probes_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let cap = tmp.path().join("capture");
    copy_dir(&common::captures_dir().join("healthy"), &cap);
    fs::write(
        cap.join("sw_vers.stdout"),
        b"ProductName:\tmacOS\n\x1b[31mgarbage\x01\n",
    )
    .unwrap();
    fs::write(
        cap.join("sw_vers.stderr"),
        b"\x1b[31merror\x1b[0m \x07 bell\n",
    )
    .unwrap();
    fs::write(cap.join("sw_vers.exit"), b"1\n").unwrap();
    let status = tmp.path().join("status");
    let o = common::mdmwatch(&[
        "run",
        "--dry-run",
        "--replay",
        cap.to_str().unwrap(),
        "--status-dir",
        status.to_str().unwrap(),
    ]);
    assert_ne!(o.status.code(), Some(2), "{}", o.stderr_text());
    let bytes = fs::read(status.join("status.plist")).unwrap();
    assert!(
        bytes
            .iter()
            .all(|b| *b >= b' ' || matches!(b, b'\t' | b'\n' | b'\r')),
        "a control character reached status.plist"
    );
    let v: plist::Value = plist::from_bytes(&bytes).expect("status.plist parses");
    assert!(v.as_dictionary().is_some());
    assert!(String::from_utf8_lossy(&bytes).contains("\\u001B"));
}
