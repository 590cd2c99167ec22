//! `power.battery`: does the charge allow each kind of update without power connected.
//!
//! Apple's table (Apple, *Managing software updates for IT*, "Power requirements"): Apple silicon 20 % user-initiated update or
//! upgrade, 50 % automatic install, 10 % Rapid Security Response; Intel 50/50/20. To download
//! and prepare an *automatic* update the Mac must be connected to power. On AC the battery never
//! blocks. Thresholds are `Config::battery_*`. With the architecture unknown, a charge that meets
//! both tables meets, one below both blocks, and anything between is unknown.

use super::{Evidence, Judgement, Prerequisite, Status};
use crate::config::{BatteryThresholds, Config};
use crate::observe::Observations;
use crate::parse::sysctl::Arch;
use crate::probes;

/// Picks one kind's threshold from a table.
type Pick = fn(&BatteryThresholds) -> u8;

/// The battery against Apple's table, per kind of update.
#[derive(Debug, Clone, PartialEq)]
pub struct BatteryAssessment {
    pub judgement: Judgement,
    pub situation: BatterySituation,
    /// `None` when `pmset` is unknown.
    pub reading: Option<BatteryReading>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatteryReading {
    pub on_ac: Option<bool>,
    /// pmset's "Now drawing from" source, as printed.
    pub source: Option<String>,
    /// `None` on a Mac without a built-in battery (every kind then meets).
    pub internal: Option<InternalBattery>,
    /// User-initiated update or upgrade.
    pub user_initiated: Prerequisite,
    /// Automatic install.
    pub automatic: Prerequisite,
    /// Rapid Security Response.
    pub rsr: Prerequisite,
    /// Automatic downloads need power connected.
    pub automatic_download: Prerequisite,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InternalBattery {
    pub percent: u8,
    pub state: String,
    pub remaining: Option<String>,
    pub architecture: Option<Arch>,
    /// The table for this architecture; `None` when the architecture is unknown.
    pub thresholds: Option<BatteryThresholds>,
    /// The percentage each kind was judged against.
    pub needed: BatteryThresholds,
}

/// One kind's prerequisite from the charge and the table of the architecture (both tables when it
/// is unknown), with the percentage it was judged against.
fn judge_charge(pct: u8, arch: Option<Arch>, cfg: &Config, pick: Pick) -> (Prerequisite, u8) {
    let against = |t: u8| {
        (
            if pct >= t {
                Prerequisite::Meets
            } else {
                Prerequisite::Blocks
            },
            t,
        )
    };
    match arch {
        Some(Arch::AppleSilicon) => against(pick(&cfg.battery_apple_silicon)),
        Some(Arch::Intel) => against(pick(&cfg.battery_intel)),
        None => {
            let a = pick(&cfg.battery_apple_silicon);
            let i = pick(&cfg.battery_intel);
            let (lo, hi) = (a.min(i), a.max(i));
            if pct >= hi {
                (Prerequisite::Meets, hi)
            } else if pct < lo {
                (Prerequisite::Blocks, lo)
            } else {
                (Prerequisite::Unknown, hi)
            }
        }
    }
}

/// The kinds of update the battery table covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatteryKind {
    /// A user-initiated update or upgrade.
    UserInitiated,
    /// An automatic install.
    Automatic,
    /// A Rapid Security Response.
    Rsr,
}

impl BatteryKind {
    pub const ALL: [BatteryKind; 3] = [
        BatteryKind::UserInitiated,
        BatteryKind::Automatic,
        BatteryKind::Rsr,
    ];

    fn pick(self) -> Pick {
        match self {
            BatteryKind::UserInitiated => |t| t.user_initiated,
            BatteryKind::Automatic => |t| t.automatic,
            BatteryKind::Rsr => |t| t.rsr,
        }
    }

    fn label(self) -> &'static str {
        match self {
            BatteryKind::UserInitiated => "update/upgrade",
            BatteryKind::Automatic => "automatic install",
            BatteryKind::Rsr => "Rapid Security Response",
        }
    }
}

/// Where a built-in battery's power comes from, when not from AC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Battery,
    /// pmset did not print the source.
    Unknown,
}

/// The situations of `power.battery`: what `decide` found, before any wording.
#[derive(Debug, Clone, PartialEq)]
pub enum BatterySituation {
    /// pmset gave no reading (the probe and its fault).
    Unknown { why: String },
    /// No built-in battery (a desktop, or a UPS only): power never blocks.
    NoBattery { source: Option<String> },
    /// A built-in battery on AC: the battery never blocks.
    OnAc { percent: u8, state: String },
    /// The charge blocks these kinds (each with the percentage it needs).
    Blocks {
        percent: u8,
        power: Power,
        arch: Option<Arch>,
        blocked: Vec<(BatteryKind, u8)>,
    },
    /// Nothing blocked, but these kinds are undecided: the architecture (`arch_unknown`, why)
    /// or the power source is unknown.
    Undecided {
        percent: u8,
        power: Power,
        undecided: Vec<BatteryKind>,
        arch_unknown: Option<String>,
    },
    /// Enough charge for every kind; automatic downloads still wait for power.
    Enough { percent: u8, power: Power },
}

pub(crate) fn assess(obs: &Observations, cfg: &Config) -> BatteryAssessment {
    let (situation, reading) = decide(obs, cfg);
    let mut judgement = judge(&situation);
    if let Ok(p) = &obs.power {
        judgement = judgement.evidence(Evidence::line(
            probes::PMSET_BATT,
            p.text.replace('\n', " | "),
        ));
    }
    BatteryAssessment {
        judgement,
        situation,
        reading,
    }
}

/// The situation and the per-kind reading readiness and the facts use; no wording.
pub(crate) fn decide(
    obs: &Observations,
    cfg: &Config,
) -> (BatterySituation, Option<BatteryReading>) {
    let p = match &obs.power {
        Ok(p) => p,
        Err(u) => return (BatterySituation::Unknown { why: u.to_string() }, None),
    };
    let arch = obs.arch.as_ref().ok().copied();
    let table = match arch {
        Some(Arch::AppleSilicon) => Some(cfg.battery_apple_silicon),
        Some(Arch::Intel) => Some(cfg.battery_intel),
        None => None,
    };
    let source = p.source.as_ref().map(|s| s.as_str().to_string());
    let Some(b) = p.internal() else {
        // Desktop (fixture desktop_no_battery prints only the source line), or a UPS only.
        let reading = BatteryReading {
            on_ac: p.on_ac(),
            source: source.clone(),
            internal: None,
            user_initiated: Prerequisite::Meets,
            automatic: Prerequisite::Meets,
            rsr: Prerequisite::Meets,
            automatic_download: Prerequisite::Meets,
        };
        return (BatterySituation::NoBattery { source }, Some(reading));
    };
    let on_ac = p.on_ac();
    let results = BatteryKind::ALL.map(|kind| per_kind(kind, b.percent, on_ac, arch, table, cfg));
    let with = |want: Prerequisite| {
        BatteryKind::ALL
            .into_iter()
            .zip(results)
            .filter(move |(_, (m, _))| *m == want)
    };
    let blocked: Vec<(BatteryKind, u8)> = with(Prerequisite::Blocks)
        .map(|(k, (_, t))| (k, t))
        .collect();
    let undecided: Vec<BatteryKind> = with(Prerequisite::Unknown).map(|(k, _)| k).collect();
    let power = if on_ac == Some(false) {
        Power::Battery
    } else {
        Power::Unknown
    };
    let percent = b.percent;
    let situation = if on_ac == Some(true) {
        BatterySituation::OnAc {
            percent,
            state: b.state.clone(),
        }
    } else if !blocked.is_empty() {
        BatterySituation::Blocks {
            percent,
            power,
            arch,
            blocked,
        }
    } else if !undecided.is_empty() {
        BatterySituation::Undecided {
            percent,
            power,
            undecided,
            arch_unknown: obs.arch.as_ref().err().map(|u| u.to_string()),
        }
    } else {
        BatterySituation::Enough { percent, power }
    };
    let reading = BatteryReading {
        on_ac,
        source,
        internal: Some(InternalBattery {
            percent,
            state: b.state.clone(),
            remaining: b.remaining.clone(),
            architecture: arch,
            thresholds: table,
            needed: BatteryThresholds {
                user_initiated: results[0].1,
                automatic: results[1].1,
                rsr: results[2].1,
            },
        }),
        user_initiated: results[0].0,
        automatic: results[1].0,
        rsr: results[2].0,
        automatic_download: match on_ac {
            Some(true) => Prerequisite::Meets,
            Some(false) => Prerequisite::Blocks,
            None => Prerequisite::Unknown,
        },
    };
    (situation, Some(reading))
}

/// One kind's prerequisite and the percentage it was judged against: on AC it meets; on battery
/// the charge decides; with the power state unknown a charge that meets still meets and anything
/// else is unknown.
fn per_kind(
    kind: BatteryKind,
    percent: u8,
    on_ac: Option<bool>,
    arch: Option<Arch>,
    table: Option<BatteryThresholds>,
    cfg: &Config,
) -> (Prerequisite, u8) {
    let pick = kind.pick();
    match on_ac {
        Some(true) => (
            Prerequisite::Meets,
            pick(&table.unwrap_or(cfg.battery_intel)),
        ),
        Some(false) => judge_charge(percent, arch, cfg, pick),
        None => {
            let (m, t) = judge_charge(percent, arch, cfg, pick);
            (
                if m == Prerequisite::Meets {
                    m
                } else {
                    Prerequisite::Unknown
                },
                t,
            )
        }
    }
}

/// Every sentence of `power.battery`.
pub(crate) fn judge(s: &BatterySituation) -> Judgement {
    let power = |p: &Power| match p {
        Power::Battery => "on battery",
        Power::Unknown => "power source unknown",
    };
    let (status, summary) = match s {
        BatterySituation::Unknown { why } => return Judgement::unknown(why.clone()),
        BatterySituation::NoBattery { source } => {
            return Judgement::new(
                Status::NotApplicable,
                format!(
                    "no built-in battery ({}): power never blocks an update",
                    source.as_deref().unwrap_or("source not printed")
                ),
            )
        }
        BatterySituation::OnAc { percent, state } => (
            Status::Ok,
            format!("{percent}% ({state}), on AC power: the battery does not block updates"),
        ),
        BatterySituation::Blocks {
            percent,
            power: p,
            arch,
            blocked,
        } => (
            Status::Warning,
            format!(
                "{percent}% {}{}: blocks {}; automatic downloads wait for power",
                power(p),
                arch.map(|a| format!(" ({})", a.label()))
                    .unwrap_or_default(),
                blocked
                    .iter()
                    .map(|(k, t)| format!("{} (needs {t}%)", k.label()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        BatterySituation::Undecided {
            percent,
            power: p,
            undecided,
            arch_unknown,
        } => (
            Status::Unknown,
            format!(
                "{percent}% {}: {} undecided ({})",
                power(p),
                undecided
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                arch_unknown.as_deref().unwrap_or("power source not printed")
            ),
        ),
        BatterySituation::Enough { percent, power: p } => (
            Status::Ok,
            format!(
                "{percent}% {}: enough for every kind of update; automatic downloads wait for power",
                power(p)
            ),
        ),
    };
    let mut j = Judgement::new(status, summary)
        .remediation("connect the Mac to power (on AC the battery never blocks an update)");
    if status == Status::Unknown {
        j.reason = Some(j.summary.clone());
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::ProbeResult;
    use crate::test_support::*;
    use expect_test::{expect, Expect};

    /// `decide` on one pmset output (Apple silicon unless `arch` says otherwise): the situation
    /// and the per-kind prerequisites, one line each.
    fn check(pmset: &str, hw_arm64: ProbeResult, expected: Expect) {
        let b = with(base(), ok("pmset_batt", pmset.as_bytes()));
        let b = with(b, hw_arm64);
        let (situation, reading) = decide(&obs(b), &Config::default());
        let kinds = reading.map(|r| {
            format!(
                "user_initiated {:?}, automatic {:?}, rsr {:?}, download {:?}",
                r.user_initiated, r.automatic, r.rsr, r.automatic_download
            )
        });
        expected.assert_eq(&format!("{situation:?}\n{}", kinds.unwrap_or_default()));
    }

    fn apple() -> ProbeResult {
        ok("hw_arm64", b"1\n")
    }

    /// Intel Macs do not know the oid (tests/fixtures/samples, sysctl on x86_64).
    fn intel() -> ProbeResult {
        failed("hw_arm64", 1, "sysctl: unknown oid 'hw.optional.arm64'")
    }

    fn arch_unknown() -> ProbeResult {
        failed("hw_arm64", 1, "sysctl: permission denied")
    }

    #[test]
    fn decide_situations() {
        check(
            "Now drawing from 'AC Power'\n -InternalBattery-0 (id=1)\t5%; charging; 3:00 remaining present: true\n",
            apple(),
            expect![[r#"
                OnAc { percent: 5, state: "charging" }
                user_initiated Meets, automatic Meets, rsr Meets, download Meets"#]],
        );
        check(
            "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t30%; discharging; 2:10 remaining present: true\n",
            apple(),
            expect![[r#"
                Blocks { percent: 30, power: Battery, arch: Some(AppleSilicon), blocked: [(Automatic, 50)] }
                user_initiated Meets, automatic Blocks, rsr Meets, download Blocks"#]],
        );
        check(
            "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t60%; discharging; 5:10 remaining present: true\n",
            apple(),
            expect![[r#"
                Enough { percent: 60, power: Battery }
                user_initiated Meets, automatic Meets, rsr Meets, download Blocks"#]],
        );
        // Intel's table is stricter: 45 % blocks user-initiated (50) and automatic (50).
        check(
            "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t45%; discharging; 2:10 remaining present: true\n",
            intel(),
            expect![[r#"
                Blocks { percent: 45, power: Battery, arch: Some(Intel), blocked: [(UserInitiated, 50), (Automatic, 50)] }
                user_initiated Blocks, automatic Blocks, rsr Meets, download Blocks"#]],
        );
        // Architecture unknown: 60 % meets both tables; 35 % is between them for user-initiated.
        check(
            "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t60%; discharging; 2:10 remaining present: true\n",
            arch_unknown(),
            expect![[r#"
                Enough { percent: 60, power: Battery }
                user_initiated Meets, automatic Meets, rsr Meets, download Blocks"#]],
        );
        check(
            "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t35%; discharging; 2:10 remaining present: true\n",
            arch_unknown(),
            expect![[r#"
                Blocks { percent: 35, power: Battery, arch: None, blocked: [(Automatic, 50)] }
                user_initiated Unknown, automatic Blocks, rsr Meets, download Blocks"#]],
        );
        // A source pmset names but mdmwatch does not know: a charge that meets still meets, the
        // rest is undecided.
        check(
            "Now drawing from 'Generator Power'\n -InternalBattery-0 (id=1)\t30%; discharging; 2:10 remaining present: true\n",
            apple(),
            expect![[r#"
                Undecided { percent: 30, power: Unknown, undecided: [Automatic], arch_unknown: None }
                user_initiated Meets, automatic Unknown, rsr Meets, download Unknown"#]],
        );
        check(
            "Now drawing from 'AC Power'\n",
            apple(),
            expect![[r#"
                NoBattery { source: Some("AC Power") }
                user_initiated Meets, automatic Meets, rsr Meets, download Meets"#]],
        );
    }

    #[test]
    fn judge_wording() {
        let j = judge(&BatterySituation::Blocks {
            percent: 30,
            power: Power::Battery,
            arch: Some(Arch::AppleSilicon),
            blocked: vec![(BatteryKind::Automatic, 50)],
        });
        assert_eq!(j.status, Status::Warning);
        expect![[r#"30% on battery (Apple silicon): blocks automatic install (needs 50%); automatic downloads wait for power"#]]
            .assert_eq(&j.summary);
        let j = judge(&BatterySituation::Undecided {
            percent: 30,
            power: Power::Unknown,
            undecided: vec![BatteryKind::Automatic],
            arch_unknown: None,
        });
        assert_eq!(j.status, Status::Unknown);
        assert_eq!(j.reason.as_deref(), Some(j.summary.as_str()));
        expect![[
            r#"30% power source unknown: automatic install undecided (power source not printed)"#
        ]]
        .assert_eq(&j.summary);
        let j = judge(&BatterySituation::NoBattery { source: None });
        assert_eq!(j.status, Status::NotApplicable);
        expect![[r#"no built-in battery (source not printed): power never blocks an update"#]]
            .assert_eq(&j.summary);
        let j = judge(&BatterySituation::OnAc {
            percent: 80,
            state: "AC attached".into(),
        });
        expect![[r#"80% (AC attached), on AC power: the battery does not block updates"#]]
            .assert_eq(&j.summary);
        assert!(j.remediation.unwrap().contains("connect the Mac to power"));
    }

    const BATT_30: &[u8] =
        b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t30%; discharging; 2:10 remaining present: true\n";

    #[test]
    fn apple_silicon_table() {
        let o = obs(with(base(), ok("pmset_batt", BATT_30)));
        let a = assess(&o, &Config::default());
        assert_eq!(a.judgement.status, Status::Warning);
        let r = a.reading.unwrap();
        assert_eq!(r.user_initiated, Prerequisite::Meets);
        assert_eq!(r.automatic, Prerequisite::Blocks);
        assert_eq!(r.rsr, Prerequisite::Meets);
        assert_eq!(r.automatic_download, Prerequisite::Blocks);
        assert_eq!(r.internal.unwrap().needed.automatic, 50);
    }

    #[test]
    fn config_overrides_thresholds() {
        let o = obs(with(base(), ok("pmset_batt", BATT_30)));
        let cfg = Config {
            battery_apple_silicon: BatteryThresholds {
                user_initiated: 40,
                automatic: 20,
                rsr: 35,
            },
            ..Config::default()
        };
        let r = assess(&o, &cfg).reading.unwrap();
        assert_eq!(r.user_initiated, Prerequisite::Blocks);
        assert_eq!(r.automatic, Prerequisite::Meets);
        assert_eq!(r.rsr, Prerequisite::Blocks);
    }

    #[test]
    fn unknown_architecture_uses_both_tables() {
        let b = with(base(), ok("pmset_batt", BATT_30));
        let b = with(b, failed("hw_arm64", 1, "sysctl: permission denied"));
        let a = assess(&obs(b), &Config::default());
        // 30 %: below Intel's 50 but above Apple silicon's 20: undecided; RSR 30 >= 20 meets.
        let r = a.reading.unwrap();
        assert_eq!(r.user_initiated, Prerequisite::Unknown);
        assert_eq!(r.rsr, Prerequisite::Meets);
        assert_eq!(
            a.judgement.status,
            Status::Warning,
            "automatic blocks under both tables"
        );
        let b = with(base(), ok("pmset_batt", b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t60%; discharging; 2:10 remaining present: true\n"));
        let b = with(b, failed("hw_arm64", 1, "sysctl: permission denied"));
        let a = assess(&obs(b), &Config::default());
        assert_eq!(a.judgement.status, Status::Ok);
    }

    #[test]
    fn probe_failure_is_unknown_with_probe_and_fault() {
        let o = obs(with(base(), failed("pmset_batt", 1, "pmset: error")));
        let a = assess(&o, &Config::default());
        assert_eq!(a.judgement.status, Status::Unknown);
        assert!(a.reading.is_none());
        let r = a.judgement.reason.unwrap();
        assert!(r.contains("pmset_batt") && r.contains("failed"), "{r}");
    }
}
