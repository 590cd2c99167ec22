//! The live runner with real subprocesses on Linux: timeouts kill the process group, missing
//! binaries are unavailable, output is capped while the pipe keeps draining, the environment is
//! fixed, and probes run concurrently. Fake binaries live under a temporary sysroot.

use crate::common::script;
use std::time::{Duration, Instant};

use mdmwatch::system::live::LiveSystem;
use mdmwatch::system::{Probe, System};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn timeout_kills_the_process_group_including_grandchildren() {
    let root = tempfile::tempdir().unwrap();
    let marker = root.path().join("grandchild-survived");
    // The child spawns a grandchild that would hold stdout open and write a marker later.
    script(
        root.path(),
        "/usr/bin/slow",
        &format!(
            "echo started\n(sleep 2; touch '{}') &\nsleep 30",
            marker.display()
        ),
    );
    let sys = LiveSystem::with_sysroot(root.path());
    let probe =
        Probe::command("slow", "/usr/bin/slow", &[]).with_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let r = rt().block_on(sys.run(&probe));
    assert!(r.timed_out, "{r:?}");
    assert!(r.available);
    assert_eq!(r.exit_status, None, "killed by a signal");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // Output produced before the timeout is kept.
    assert_eq!(r.stdout.read_capped(100).unwrap(), b"started\n");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!marker.exists(), "the grandchild outlived the timeout");
}

#[test]
fn missing_binary_is_unavailable_not_an_error_exit() {
    let root = tempfile::tempdir().unwrap();
    let sys = LiveSystem::with_sysroot(root.path());
    let r = rt().block_on(sys.run(&Probe::command("x", "/usr/bin/nope", &[])));
    assert!(!r.available);
    assert_eq!(r.exit_status, None);
    assert!(
        r.error.as_deref().unwrap().contains("not found"),
        "{:?}",
        r.error
    );
}

#[test]
fn relative_program_is_refused() {
    let sys = LiveSystem::new();
    let r = rt().block_on(sys.run(&Probe::command("x", "sh", &["-c", "true"])));
    assert!(!r.available);
    assert!(
        r.error.as_deref().unwrap().contains("absolute"),
        "{:?}",
        r.error
    );
}

#[test]
fn huge_output_is_capped_and_the_child_is_not_blocked() {
    let root = tempfile::tempdir().unwrap();
    // 8 MiB of output against a 64 KiB cap: the runner must keep draining or the child blocks.
    script(
        root.path(),
        "/usr/bin/flood",
        "head -c 8388608 /dev/zero; echo done >&2",
    );
    let sys = LiveSystem::with_sysroot(root.path());
    for spool in [false, true] {
        let mut probe = Probe::command("flood", "/usr/bin/flood", &[])
            .with_max_bytes(64 * 1024)
            .with_timeout(Duration::from_secs(20));
        probe.spool = spool;
        let r = rt().block_on(sys.run(&probe));
        assert!(!r.timed_out, "spool={spool}");
        assert_eq!(r.exit_status, Some(0));
        assert!(r.truncated);
        assert_eq!(r.stdout.len(), 64 * 1024, "spool={spool}");
        assert_eq!(r.stderr_text(), "done");
    }
}

#[test]
fn exit_status_and_stderr_are_recorded() {
    let root = tempfile::tempdir().unwrap();
    // The real Intel answer of `sysctl -n hw.optional.arm64` (fixture sysctl_hw.optional.arm64__intel__stderr_exit1.txt).
    script(
        root.path(),
        "/usr/sbin/sysctl",
        "echo \"sysctl: unknown oid 'hw.optional.arm64'\" >&2; exit 1",
    );
    let sys = LiveSystem::with_sysroot(root.path());
    let r = rt().block_on(sys.run(&Probe::command(
        "hw_arm64",
        "/usr/sbin/sysctl",
        &["-n", "hw.optional.arm64"],
    )));
    assert!(r.available);
    assert_eq!(r.exit_status, Some(1));
    assert_eq!(r.stderr_text(), "sysctl: unknown oid 'hw.optional.arm64'");
    assert!(r.stdout.is_empty());
}

#[test]
fn environment_is_fixed_and_arguments_are_not_shell_interpreted() {
    let root = tempfile::tempdir().unwrap();
    script(
        root.path(),
        "/usr/bin/envdump",
        "env | sort; for a in \"$@\"; do echo \"arg=$a\"; done",
    );
    let sys = LiveSystem::with_sysroot(root.path());
    let r = rt().block_on(sys.run(&Probe::command(
        "e",
        "/usr/bin/envdump",
        &["$(touch /tmp/pwned)", "a b"],
    )));
    let out = String::from_utf8(r.stdout.read_capped(1 << 20).unwrap()).unwrap();
    assert!(out.contains("PATH=/usr/bin:/bin:/usr/sbin:/sbin"), "{out}");
    assert!(out.contains("LANG=C") && out.contains("LC_ALL=C"), "{out}");
    assert!(!out.contains("HOME="), "environment not cleared: {out}");
    assert!(out.contains("arg=$(touch /tmp/pwned)"), "{out}");
    assert!(out.contains("arg=a b"), "{out}");
}

#[test]
fn probes_run_concurrently() {
    // A rendezvous, not a stopwatch: each fake waits until all four have started. Run one after
    // another, the first would wait alone and give up (exit 3).
    let root = tempfile::tempdir().unwrap();
    let meet = root.path().join("meet");
    std::fs::create_dir(&meet).unwrap();
    script(
        root.path(),
        "/usr/bin/rendezvous",
        &format!(
            "touch '{m}/'\"$1\"\ni=0\nwhile [ \"$(ls '{m}' | wc -l)\" -lt 4 ]; do sleep 0.05; i=$((i+1)); [ $i -gt 100 ] && exit 3; done\necho met",
            m = meet.display()
        ),
    );
    let sys = LiveSystem::with_sysroot(root.path());
    let probes: Vec<Probe> = (0..4)
        .map(|i| Probe::command(&format!("p{i}"), "/usr/bin/rendezvous", &[&format!("p{i}")]))
        .collect();
    let results = rt().block_on(mdmwatch::observe::run_all(&sys, &probes));
    for r in &results {
        assert_eq!(
            r.exit_status,
            Some(0),
            "{} did not meet the others: {}",
            r.id,
            r.stderr_text()
        );
        assert_eq!(r.stdout.read_capped(100).unwrap(), b"met\n");
    }
}

#[test]
fn file_probes_read_raw_bytes_and_report_missing_files() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path().join("Library/Preferences");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("x.plist"), b"bplist00\x00\xff").unwrap();
    let sys = LiveSystem::with_sysroot(root.path());
    let r = rt().block_on(sys.run(&Probe::file("x", "/Library/Preferences/x.plist")));
    assert_eq!(r.exit_status, Some(0));
    assert_eq!(r.stdout.read_capped(100).unwrap(), b"bplist00\x00\xff");
    let r = rt().block_on(sys.run(&Probe::file("y", "/Library/Preferences/none.plist")));
    assert!(!r.available);
    let r =
        rt().block_on(sys.run(&Probe::file("x", "/Library/Preferences/x.plist").with_max_bytes(4)));
    assert!(r.truncated);
    assert_eq!(r.stdout.len(), 4);
}

#[test]
fn available_space_reads_the_root_volume_and_reports_unmounted_paths() {
    let sys = LiveSystem::new();
    let r = rt().block_on(sys.run(&Probe::available_space("available_space_root", "/")));
    assert!(r.available, "{:?}", r.error);
    let text = String::from_utf8(r.stdout.read_capped(64).unwrap()).unwrap();
    assert!(text.trim().parse::<u64>().unwrap() > 0, "{text:?}");
    // Under a sysroot "/" resolves to a plain directory, which is no mount point: unavailable.
    let root = tempfile::tempdir().unwrap();
    let sys = LiveSystem::with_sysroot(root.path());
    let r = rt().block_on(sys.run(&Probe::available_space("available_space_root", "/")));
    assert!(!r.available);
    assert!(r.error.unwrap().contains("no volume is mounted"));
}

/// A file probe whose read blocks (a FIFO nobody writes; on a Mac, a hung network volume) ends at
/// the probe's timeout like a command would, instead of holding the whole run.
#[test]
fn a_file_read_that_blocks_times_out() {
    let root = tempfile::tempdir().unwrap();
    let fifo = root.path().join("etc/blocked");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let sys = LiveSystem::with_sysroot(root.path());
    let probe = Probe::file("blocked", "/etc/blocked").with_timeout(Duration::from_millis(300));
    // Run on a thread with a deadline of our own, so the test fails rather than hangs.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = rt();
        let r = rt.block_on(sys.run(&probe));
        let _ = tx.send((r.timed_out, r.available, r.exit_status));
        // The read is still blocked on its thread: leave it behind, as the binary does.
        rt.shutdown_background();
    });
    let got = rx.recv_timeout(Duration::from_secs(10));
    // Release the blocked reader (opening the write end completes its open).
    let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    assert_eq!(
        got.expect("the file probe did not return within 10 s"),
        (true, true, None)
    );
}
