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

fn judge(pct: u8, arch: Option<Arch>, cfg: &Config, pick: Pick) -> (Prerequisite, u8) {
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

pub fn assess(obs: &Observations, cfg: &Config) -> BatteryAssessment {
    let p = match &obs.power {
        Ok(p) => p,
        Err(u) => {
            return BatteryAssessment {
                judgement: Judgement::unknown(u.to_string()),
                reading: None,
            }
        }
    };
    let arch = obs.arch.as_ref().ok().copied();
    let evidence = Evidence::line(probes::PMSET_BATT, p.text.replace('\n', " | "));
    let table = match arch {
        Some(Arch::AppleSilicon) => Some(cfg.battery_apple_silicon),
        Some(Arch::Intel) => Some(cfg.battery_intel),
        None => None,
    };
    let source = p.source.as_ref().map(|s| s.as_str().to_string());
    let Some(b) = p.internal() else {
        // Desktop (fixture desktop_no_battery prints only the source line), or a UPS only.
        return BatteryAssessment {
            judgement: Judgement::new(
                Status::NotApplicable,
                format!(
                    "no built-in battery ({}): power never blocks an update",
                    source.as_deref().unwrap_or("source not printed")
                ),
            )
            .evidence(evidence),
            reading: Some(BatteryReading {
                on_ac: p.on_ac(),
                source,
                internal: None,
                user_initiated: Prerequisite::Meets,
                automatic: Prerequisite::Meets,
                rsr: Prerequisite::Meets,
                automatic_download: Prerequisite::Meets,
            }),
        };
    };
    let on_ac = p.on_ac();
    let kinds: [(&str, Pick); 3] = [
        ("update/upgrade", |t| t.user_initiated),
        ("automatic install", |t| t.automatic),
        ("Rapid Security Response", |t| t.rsr),
    ];
    let mut blocked = Vec::new();
    let mut unknown = Vec::new();
    let mut results = [(Prerequisite::Unknown, 0u8); 3];
    for (i, (label, pick)) in kinds.into_iter().enumerate() {
        let (m, t) = match on_ac {
            Some(true) => (
                Prerequisite::Meets,
                pick(&table.unwrap_or(cfg.battery_intel)),
            ),
            Some(false) => judge(b.percent, arch, cfg, pick),
            None => {
                let (m, t) = judge(b.percent, arch, cfg, pick);
                // Power state unknown: a charge that meets still meets.
                (
                    if m == Prerequisite::Meets {
                        m
                    } else {
                        Prerequisite::Unknown
                    },
                    t,
                )
            }
        };
        results[i] = (m, t);
        match m {
            Prerequisite::Blocks => blocked.push(format!("{label} (needs {t}%)")),
            Prerequisite::Unknown => unknown.push(label),
            Prerequisite::Meets => {}
        }
    }
    let download = match on_ac {
        Some(true) => Prerequisite::Meets,
        Some(false) => Prerequisite::Blocks,
        None => Prerequisite::Unknown,
    };
    let power = match on_ac {
        Some(true) => "on AC power",
        Some(false) => "on battery",
        None => "power source unknown",
    };
    let (status, summary) = if on_ac == Some(true) {
        (
            Status::Ok,
            format!(
                "{}% ({}), {power}: the battery does not block updates",
                b.percent, b.state
            ),
        )
    } else if !blocked.is_empty() {
        (
            Status::Warning,
            format!(
                "{}% {power}{}: blocks {}; automatic downloads wait for power",
                b.percent,
                arch.map(|a| format!(" ({})", a.label()))
                    .unwrap_or_default(),
                blocked.join(", ")
            ),
        )
    } else if !unknown.is_empty() {
        (
            Status::Unknown,
            format!(
                "{}% {power}: {} undecided ({})",
                b.percent,
                unknown.join(", "),
                obs.arch
                    .as_ref()
                    .err()
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| "power source not printed".into())
            ),
        )
    } else {
        (
            Status::Ok,
            format!(
                "{}% {power}: enough for every kind of update; automatic downloads wait for power",
                b.percent
            ),
        )
    };
    let mut j = Judgement::new(status, summary)
        .evidence(evidence)
        .remediation("connect the Mac to power (on AC the battery never blocks an update)");
    if status == Status::Unknown {
        j.reason = Some(j.summary.clone());
    }
    BatteryAssessment {
        judgement: j,
        reading: Some(BatteryReading {
            on_ac,
            source,
            internal: Some(InternalBattery {
                percent: b.percent,
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
            automatic_download: download,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::readiness::support::*;

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
