//! `readiness`: one verdict per update kind (minor update, major upgrade, Rapid Security Response,
//! and the declared DDM target when one is active): `ready`, `blocked` with the blocking
//! findings, or `unknown` with why. Built from the other readiness findings' facts, so it adds no
//! rule of its own beyond which finding matters for which kind:
//! - update: `power.battery` user-initiated, `disk.free_space` update headroom;
//! - upgrade: `power.battery` user-initiated, `disk.free_space` upgrade headroom;
//! - rsr: `power.battery` RSR threshold (no public space figure for RSRs: disk not assessed);
//! - ddm_target: the rules of the target's kind (enforced installs have "the same requirements as
//!   a user-initiated update of the same type", seed 001), plus `bootstrap_token` on Apple silicon
//!   (without it the install waits for a user's credentials) and a failed enforcement.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    BATTERY, BOOTSTRAP, CLIENT_LIVENESS, DAEMON_LIVENESS, DDM, DISK, ENROLLMENT, IDENTITY,
    READINESS, SU_PENDING,
};
use crate::report::{Blocker, Finding, Readiness, Status, Verdict};

fn find<'a>(findings: &'a [Finding], id: &str) -> Option<&'a Finding> {
    findings.iter().find(|f| f.id == id)
}

fn fact_str<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    f.facts.get(key).and_then(Value::as_str)
}

#[derive(Default)]
struct Acc {
    blocked: Vec<Blocker>,
    unknown: Vec<String>,
}

impl Acc {
    fn unknown_of(&mut self, f: Option<&Finding>, id: &str) {
        let why = f
            .and_then(|f| f.reason.clone())
            .unwrap_or_else(|| "not checked".into());
        self.unknown.push(format!("{id}: {why}"));
    }

    fn battery(&mut self, f: Option<&Finding>, key: &str) {
        let Some(b) = f else {
            return self.unknown_of(f, BATTERY);
        };
        match fact_str(b, key) {
            Some("meets") => {}
            Some("blocks") => {
                let pct = b.facts.get("percent").and_then(Value::as_u64);
                let need = b
                    .facts
                    .get("needed_percent")
                    .and_then(|n| n.get(key))
                    .and_then(Value::as_u64);
                self.blocked.push(Blocker {
                    check: BATTERY.into(),
                    detail: match (pct, need) {
                        (Some(p), Some(n)) => format!("{p}% on battery, {n}% needed"),
                        _ => b.summary.clone(),
                    },
                });
            }
            _ => self.unknown_of(Some(b), BATTERY),
        }
    }

    fn disk(&mut self, f: Option<&Finding>, key: &str) {
        let Some(d) = f else {
            return self.unknown_of(f, DISK);
        };
        match fact_str(d, key) {
            Some("meets") => {}
            Some("blocks") => {
                let free = d.facts.get("free_gb").and_then(Value::as_f64);
                let need = d
                    .facts
                    .get(&format!("headroom_{key}_gb"))
                    .and_then(Value::as_u64);
                self.blocked.push(Blocker {
                    check: DISK.into(),
                    detail: match (free, need) {
                        (Some(fr), Some(n)) => format!("{fr:.1} GB free, {n} GB needed"),
                        _ => d.summary.clone(),
                    },
                });
            }
            _ => self.unknown_of(Some(d), DISK),
        }
    }

    fn verdict(self, target: Option<String>) -> Verdict {
        let v = if !self.blocked.is_empty() {
            "blocked"
        } else if !self.unknown.is_empty() {
            "unknown"
        } else {
            "ready"
        };
        Verdict {
            verdict: v.into(),
            target,
            blocked_by: self.blocked,
            unknown: self.unknown,
        }
    }
}

/// The MDM path: an update the MDM wants reaches the Mac through an enrolled mdmclient with a
/// valid identity, and softwareupdated installs it. A failed MDM-health finding blocks every
/// kind; an unknown one makes the verdict unknown unless something else already blocks it.
/// Findings absent from the slice (unit tests of the device prerequisites alone) are skipped.
fn mdm_path(acc: &mut Acc, findings: &[Finding]) {
    for id in [ENROLLMENT, IDENTITY, CLIENT_LIVENESS, DAEMON_LIVENESS] {
        let Some(f) = find(findings, id) else {
            continue;
        };
        match f.status {
            Status::Failed => acc.blocked.push(Blocker {
                check: id.into(),
                detail: f.summary.clone(),
            }),
            Status::Unknown => acc.unknown_of(Some(f), id),
            _ => {}
        }
    }
}

fn kind_rules(acc: &mut Acc, findings: &[Finding], kind: &str) {
    mdm_path(acc, findings);
    let battery = find(findings, BATTERY);
    let disk = find(findings, DISK);
    match kind {
        "upgrade" => {
            acc.battery(battery, "user_initiated");
            acc.disk(disk, "upgrade");
        }
        "rsr" => acc.battery(battery, "rsr"),
        _ => {
            acc.battery(battery, "user_initiated");
            acc.disk(disk, "update");
        }
    }
}

fn line(kind: &str, v: &Verdict) -> String {
    let label = if kind == "ddm_target" {
        match &v.target {
            Some(t) => format!("declared target {t}"),
            None => "declared target".into(),
        }
    } else {
        match &v.target {
            Some(t) => format!("{kind} {t}"),
            None => kind.to_string(),
        }
    };
    match v.verdict.as_str() {
        "blocked" => format!(
            "{label} blocked ({})",
            v.blocked_by
                .iter()
                .map(|b| format!("{}: {}", b.check, b.detail))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => format!("{label} {other}"),
    }
}

/// The verdicts and the `readiness` finding, from the findings already made.
pub fn assess(findings: &[Finding]) -> (Finding, Readiness) {
    let pending = find(findings, SU_PENDING);
    let pending_target = |key: &str| {
        pending
            .and_then(|p| p.facts.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut kinds: BTreeMap<String, Verdict> = BTreeMap::new();
    let mut order = vec!["update", "upgrade", "rsr"];
    for kind in ["update", "upgrade", "rsr"] {
        let mut acc = Acc::default();
        kind_rules(&mut acc, findings, kind);
        let target = match kind {
            "update" => pending_target("pending_os_update_version"),
            "upgrade" => pending_target("pending_os_upgrade_version"),
            _ => None,
        };
        kinds.insert(kind.into(), acc.verdict(target));
    }
    // The declared target, when a declaration is active.
    let ddm = find(findings, DDM);
    if let Some(t) = ddm
        .and_then(|d| d.facts.get("target"))
        .filter(|t| t.is_object())
    {
        let mut acc = Acc::default();
        let kind = t.get("kind").and_then(Value::as_str).unwrap_or("update");
        kind_rules(&mut acc, findings, kind);
        match find(findings, BOOTSTRAP) {
            Some(b) if matches!(b.status, Status::Warning | Status::Failed) => {
                acc.blocked.push(Blocker {
                    check: BOOTSTRAP.into(),
                    detail: b
                        .summary
                        .split(':')
                        .next()
                        .unwrap_or(&b.summary)
                        .trim()
                        .to_string(),
                })
            }
            Some(b) if b.status == Status::Unknown => acc.unknown_of(Some(b), BOOTSTRAP),
            None => acc.unknown_of(None, BOOTSTRAP),
            _ => {}
        }
        if let Some(d) = ddm.filter(|d| d.status == Status::Failed) {
            acc.blocked.push(Blocker {
                check: DDM.into(),
                detail: fact_str(d, "blocker").unwrap_or(&d.summary).to_string(),
            });
        }
        let target = format!(
            "{}{}",
            t.get("os_version").and_then(Value::as_str).unwrap_or("?"),
            t.get("build_version")
                .and_then(Value::as_str)
                .map(|b| format!(" ({b})"))
                .unwrap_or_default()
        );
        kinds.insert("ddm_target".into(), acc.verdict(Some(target)));
        order.push("ddm_target");
    }
    let summary = order
        .iter()
        .filter_map(|k| kinds.get(*k).map(|v| line(k, v)))
        .collect::<Vec<_>>()
        .join("; ");
    let status = if kinds.values().any(|v| v.verdict == "blocked") {
        Status::Warning
    } else if kinds.values().any(|v| v.verdict == "unknown") {
        Status::Unknown
    } else {
        Status::Ok
    };
    let mut f = Finding::new(READINESS, status, summary.clone())
        .remediation("fix the blocking findings listed for each update kind");
    if status == Status::Unknown {
        let why: Vec<String> = kinds
            .values()
            .flat_map(|v| v.unknown.iter().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        f.reason = Some(why.join("; "));
    }
    for (k, v) in &kinds {
        f = f.fact(
            k,
            json!({
                "verdict": v.verdict,
                "target": v.target,
                "blocked_by": v.blocked_by.iter().map(|b| json!({"check": b.check, "detail": b.detail})).collect::<Vec<_>>(),
                "unknown": v.unknown,
            }),
        );
    }
    (f, Readiness { summary, kinds })
}

/// Observations for check tests, built through `observe::from_results` so they go through the
/// same parsers as a live run (and survive new fields in `Observations`).
#[cfg(test)]
pub(crate) mod support {
    use crate::config::Config;
    use crate::observe::{self, Observations};
    use crate::system::{Payload, ProbeResult};

    pub const NOW: &str = "2026-11-20T10:00:00-05:00";

    pub fn ok(id: &str, out: &[u8]) -> ProbeResult {
        ProbeResult {
            id: id.into(),
            available: true,
            exit_status: Some(0),
            stdout: Payload::Memory(out.to_vec()),
            ..ProbeResult::default()
        }
    }

    pub fn failed(id: &str, exit: i32, stderr: &str) -> ProbeResult {
        ProbeResult {
            id: id.into(),
            available: true,
            exit_status: Some(exit),
            stderr: stderr.as_bytes().to_vec(),
            ..ProbeResult::default()
        }
    }

    pub fn obs(results: Vec<ProbeResult>) -> Observations {
        let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
        observe::from_results(now, true, false, &[], results, &Config::default())
    }

    /// Apple silicon laptop, macOS 15.1, on AC, plenty of space, token escrowed.
    pub fn base() -> Vec<ProbeResult> {
        vec![
            ok("sw_vers", b"ProductName:\t\tmacOS\nProductVersion:\t\t15.1\nBuildVersion:\t\t24B83\n"),
            ok("hw_model", b"Mac15,3\n"),
            ok("hw_arm64", b"1\n"),
            ok("pmset_batt", b"Now drawing from 'AC Power'\n -InternalBattery-0 (id=1)\t80%; AC attached; not charging present: true\n"),
            ok("diskutil_root", include_bytes!("../../tests/fixtures/samples/diskutil_info_plist__root_system_volume_disk1s5__catalina_FreeSpace0.plist")),
            ok("profiles_bootstraptoken", b"profiles: Bootstrap Token supported on server: YES\nprofiles: Bootstrap Token escrowed to server: YES\n"),
            ok("mdmclient_qdi", b"{\n    EACSPreflight = success;\n}\n"),
            ok("ddm_state", include_bytes!("../../tests/fixtures/samples/SoftwareUpdateDDMStatePersistence__global_settings__macos26.2.plist")),
            // A healthy MDM path, so the verdicts turn on the device prerequisites.
            ok("profiles_enrollment", b"Enrolled via DEP: Yes\nMDM enrollment: Yes (User Approved)\n"),
            ok("profiles_mdm", include_bytes!("../../tests/fixtures/profiles/enrolled_scep_identity.xml")),
            ok("identity_cert", include_bytes!("../../tests/fixtures/certs/identity_valid.pem")),
            ok("log_mdmclient", include_bytes!("../../tests/fixtures/logs/mdmclient_healthy.ndjson")),
            ok("log_softwareupdate", include_bytes!("../../tests/fixtures/logs/softwareupdate_healthy.ndjson")),
        ]
    }

    pub fn with(mut base: Vec<ProbeResult>, r: ProbeResult) -> Vec<ProbeResult> {
        base.retain(|x| x.id != r.id);
        base.push(r);
        base
    }
}

#[cfg(test)]
mod tests {
    use super::support::*;
    use super::*;
    use crate::checks::diagnose;
    use crate::config::Config;

    #[test]
    fn all_ready_then_unknown_when_probes_fail() {
        let d = diagnose(&obs(base()), &Config::default());
        let r = d.readiness.clone().unwrap();
        assert_eq!(r.summary, "update ready; upgrade ready; rsr ready");
        // pmset missing: battery unknown, so every kind is unknown with the probe named.
        let mut b = base();
        b.retain(|x| x.id != "pmset_batt");
        let d = diagnose(&obs(b), &Config::default());
        let r = d.readiness.clone().unwrap();
        assert_eq!(r.kinds["update"].verdict, "unknown");
        assert!(
            r.kinds["update"].unknown[0].contains("pmset_batt"),
            "{:?}",
            r.kinds["update"]
        );
        let f = d.finding(READINESS).unwrap();
        assert_eq!(f.status, Status::Unknown);
        assert!(f.reason.as_deref().unwrap().contains("pmset_batt"));
    }

    #[test]
    fn a_stuck_or_absent_mdm_path_blocks_every_kind() {
        let stuck = with(
            base(),
            ok(
                "log_mdmclient",
                include_bytes!("../../tests/fixtures/logs/mdmclient_stuck_errors.ndjson"),
            ),
        );
        let r = diagnose(&obs(stuck), &Config::default()).readiness.unwrap();
        for kind in ["update", "upgrade", "rsr"] {
            assert_eq!(r.kinds[kind].verdict, "blocked", "{kind}");
            assert_eq!(r.kinds[kind].blocked_by[0].check, CLIENT_LIVENESS);
        }
        let not_enrolled = with(
            with(
                base(),
                ok(
                    "profiles_enrollment",
                    b"Enrolled via DEP: No\nMDM enrollment: No\n",
                ),
            ),
            ok(
                "profiles_mdm",
                include_bytes!("../../tests/fixtures/profiles/no_mdm_payload.xml"),
            ),
        );
        let r = diagnose(&obs(not_enrolled), &Config::default())
            .readiness
            .unwrap();
        assert!(
            r.kinds["update"]
                .blocked_by
                .iter()
                .any(|b| b.check == ENROLLMENT),
            "{r:?}"
        );
        let mut no_log = base();
        no_log.retain(|x| x.id != "log_mdmclient");
        let r = diagnose(&obs(no_log), &Config::default())
            .readiness
            .unwrap();
        assert_eq!(r.kinds["update"].verdict, "unknown");
        assert!(
            r.kinds["update"]
                .unknown
                .iter()
                .any(|u| u.contains("log_mdmclient")),
            "{r:?}"
        );
    }

    #[test]
    fn a_blocker_wins_over_unknowns() {
        let b = with(base(), ok("pmset_batt", b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t12%; discharging; (no estimate) present: true\n"));
        let mut b = b;
        b.retain(|x| x.id != "diskutil_root" && x.id != "mdmclient_qdi");
        let d = diagnose(&obs(b), &Config::default());
        let r = d.readiness.unwrap();
        assert_eq!(r.kinds["update"].verdict, "blocked");
        assert_eq!(
            r.kinds["update"].unknown.len(),
            1,
            "disk unknown is listed too"
        );
        assert_eq!(r.kinds["rsr"].verdict, "ready");
    }
}
