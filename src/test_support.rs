//! The one test kit: fixture readers, probe-result builders, observations built
//! through the real parsers (`obs`, `base`, `with`), the shared `NOW` and time parsing, and
//! `Diagnosis` constructors. The integration tests use it too (feature `test-support`, on for
//! every test build); what only they need (running the binary, the fake-launchd sandbox) is in
//! `tests/it/common`.

use chrono::{DateTime, FixedOffset};

use crate::checks::liveness::{Condition, Ground};
use crate::checks::{Diagnosis, InstallActivity};
use crate::config::Config;
use crate::observe::{self, Observations};
use crate::system::{Payload, ProbeResult};

/// The bytes of `tests/fixtures/<dir>/<name>`; panics with the path when missing.
pub fn fixture(dir: &str, name: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A real sample from `tests/fixtures/samples` (provenance in its SOURCES.md), as bytes.
pub fn sample(name: &str) -> Vec<u8> {
    fixture("samples", name)
}

/// A real sample as text (invalid UTF-8 is a test failure: these are text captures).
pub fn sample_text(name: &str) -> String {
    String::from_utf8(sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---- Observations for check tests, built through `observe::from_results` so they go through
// the same parsers as a live run (and survive new fields in `Observations`).

/// "Now" of the check tests (the captures' `captured_at`).
pub const NOW: &str = "2026-11-20T10:00:00-05:00";

/// An RFC 3339 time; panics on a typo.
pub fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// [`NOW`] as a time.
pub fn now() -> DateTime<FixedOffset> {
    t(NOW)
}

/// A probe that answered with exit 0 and this stdout.
pub fn ok(id: &str, out: &[u8]) -> ProbeResult {
    ok_out(id, out)
}

/// [`ok`] for any stdout: text, bytes or a fixture read into a `Vec`.
pub fn ok_out(id: &str, out: impl AsRef<[u8]>) -> ProbeResult {
    ProbeResult {
        id: id.into(),
        available: true,
        exit_status: Some(0),
        stdout: Payload::Memory(out.as_ref().to_vec()),
        ..ProbeResult::default()
    }
}

/// A probe that exited non-zero with this stderr.
pub fn failed(id: &str, exit: i32, stderr: &str) -> ProbeResult {
    ProbeResult {
        id: id.into(),
        available: true,
        exit_status: Some(exit),
        stderr: stderr.as_bytes().to_vec(),
        ..ProbeResult::default()
    }
}

/// Observations from these results, every other probe of the plan absent (fault `not_run`).
pub fn obs(results: Vec<ProbeResult>) -> Observations {
    observe::from_results(now(), true, false, &[], results, &Config::default())
}

/// Apple silicon laptop, macOS 15.1, on AC, plenty of space, token escrowed.
pub fn base() -> Vec<ProbeResult> {
    vec![
        ok("sw_vers", b"ProductName:\t\tmacOS\nProductVersion:\t\t15.1\nBuildVersion:\t\t24B83\n"),
        ok("hw_model", b"Mac15,3\n"),
        ok("hw_arm64", b"1\n"),
        ok("pmset_batt", b"Now drawing from 'AC Power'\n -InternalBattery-0 (id=1)\t80%; AC attached; not charging present: true\n"),
        ok("diskutil_root", include_bytes!("../tests/fixtures/samples/diskutil_info_plist__root_system_volume_disk1s5__catalina_FreeSpace0.plist")),
        ok("profiles_bootstraptoken", b"profiles: Bootstrap Token supported on server: YES\nprofiles: Bootstrap Token escrowed to server: YES\n"),
        ok("mdmclient_qdi", b"{\n    EACSPreflight = success;\n}\n"),
        ok("ddm_state", include_bytes!("../tests/fixtures/samples/SoftwareUpdateDDMStatePersistence__global_settings__macos26.2.plist")),
        // A healthy MDM path, so the verdicts turn on the device prerequisites.
        ok("profiles_enrollment", b"Enrolled via DEP: Yes\nMDM enrollment: Yes (User Approved)\n"),
        ok("profiles_mdm", include_bytes!("../tests/fixtures/profiles/enrolled_scep_identity.xml")),
        ok("identity_cert", include_bytes!("../tests/fixtures/certs/identity_valid.pem")),
        ok("log_mdmclient", include_bytes!("../tests/fixtures/logs/mdmclient_healthy.ndjson")),
        ok("log_softwareupdate", include_bytes!("../tests/fixtures/logs/softwareupdate_healthy.ndjson")),
    ]
}

pub fn with(mut base: Vec<ProbeResult>, r: ProbeResult) -> Vec<ProbeResult> {
    base.retain(|x| x.id != r.id);
    base.push(r);
    base
}

/// Observations from only these results, as a partial capture leaves them: the plan (the
/// independent probes and the identity lookup for the test certificates' CN) is given, so a
/// probe not answered is "not run"; `root` as the capture recorded it.
pub fn obs_only(results: Vec<ProbeResult>, root: bool) -> Observations {
    let cfg = Config::default();
    let mut plan = crate::probes::independent(&cfg);
    plan.push(crate::probes::identity_cert(
        "mdm-identity-C02ZK1ABMD6M",
        &cfg,
    ));
    observe::from_results(now(), root, false, &plan, results, &cfg)
}

// ---- Heal's inputs.

/// The heal tests' shorthand: `Stuck` is the ground a restart can fix for each service (a wedged
/// mdmclient, a stalled softwareupdated); the decision table covers every other condition.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // the full set, so a test can name any of them
pub enum Liveness {
    Alive,
    Quiet,
    Stuck,
    Unknown,
}

/// The condition `l` stands for, `ground` being the one a restart of that service fixes.
pub fn cond(l: Liveness, ground: Ground) -> Condition {
    match l {
        Liveness::Alive => Condition::Alive,
        Liveness::Quiet => Condition::Quiet,
        Liveness::Stuck => Condition::Fixable(ground),
        Liveness::Unknown => Condition::Unknown,
    }
}

/// A diagnosis for heal: mdmclient and softwareupdated as `m` and `s`, installs as `install`.
pub fn heal_diag(m: Liveness, s: Liveness, install: InstallActivity) -> Diagnosis {
    Diagnosis::for_heal(
        cond(m, Ground::ClientWedged),
        cond(s, Ground::Stalled),
        install,
    )
}
