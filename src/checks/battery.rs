//! `power.battery`: does the charge allow each kind of update without power connected.
//!
//! Apple's table (seed 001, "Power requirements"): Apple silicon 20 % user-initiated update or
//! upgrade, 50 % automatic install, 10 % Rapid Security Response; Intel 50/50/20. To download
//! and prepare an *automatic* update the Mac must be connected to power. On AC the battery never
//! blocks. Thresholds are `Config::battery_*`. With the architecture unknown, a charge that meets
//! both tables meets, one below both blocks, and anything between is unknown.

use serde_json::{json, Map, Value};

use super::BATTERY;
use crate::config::{BatteryThresholds, Config};
use crate::observe::Observations;
use crate::parse::sysctl::Arch;
use crate::probes;
use crate::report::{Evidence, Finding, Status};

/// Picks one kind's threshold from a table.
type Pick = fn(&BatteryThresholds) -> u8;

/// Per-kind verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meets {
    Meets,
    Blocks,
    Unknown,
}

impl Meets {
    pub fn as_str(self) -> &'static str {
        match self {
            Meets::Meets => "meets",
            Meets::Blocks => "blocks",
            Meets::Unknown => "unknown",
        }
    }
}

fn judge(
    pct: u8,
    arch: Option<Arch>,
    cfg: &Config,
    pick: fn(&BatteryThresholds) -> u8,
) -> (Meets, u8) {
    match arch {
        Some(Arch::AppleSilicon) => {
            let t = pick(&cfg.battery_apple_silicon);
            (
                if pct >= t {
                    Meets::Meets
                } else {
                    Meets::Blocks
                },
                t,
            )
        }
        Some(Arch::Intel) => {
            let t = pick(&cfg.battery_intel);
            (
                if pct >= t {
                    Meets::Meets
                } else {
                    Meets::Blocks
                },
                t,
            )
        }
        None => {
            let a = pick(&cfg.battery_apple_silicon);
            let i = pick(&cfg.battery_intel);
            let (lo, hi) = (a.min(i), a.max(i));
            if pct >= hi {
                (Meets::Meets, hi)
            } else if pct < lo {
                (Meets::Blocks, lo)
            } else {
                (Meets::Unknown, hi)
            }
        }
    }
}

pub fn check(obs: &Observations, cfg: &Config) -> Finding {
    let p = match &obs.power {
        Ok(p) => p,
        Err(u) => return Finding::unknown(BATTERY, u.to_string()),
    };
    let arch = obs.arch.as_ref().ok().copied();
    let evidence = Evidence::line(probes::PMSET_BATT, p.text.replace('\n', " | "));
    let table = match arch {
        Some(Arch::AppleSilicon) => Some(cfg.battery_apple_silicon),
        Some(Arch::Intel) => Some(cfg.battery_intel),
        None => None,
    };
    let table_fact = table.map(
        |t| json!({"user_initiated": t.user_initiated, "automatic": t.automatic, "rsr": t.rsr}),
    );
    let Some(b) = p.internal() else {
        // Desktop (fixture desktop_no_battery prints only the source line), or a UPS only.
        let mut f = Finding::new(
            BATTERY,
            Status::NotApplicable,
            format!(
                "no built-in battery ({}): power never blocks an update",
                p.source
                    .as_ref()
                    .map(|s| s.as_str())
                    .unwrap_or("source not printed")
            ),
        )
        .evidence(evidence)
        .fact("internal_battery", false)
        .fact("on_ac", json!(p.on_ac()))
        .fact(
            "source",
            json!(p.source.as_ref().map(|s| s.as_str().to_string())),
        );
        for k in ["user_initiated", "automatic", "rsr", "automatic_download"] {
            f = f.fact(k, "meets");
        }
        return f;
    };
    let on_ac = p.on_ac();
    let mut facts = Map::new();
    facts.insert("internal_battery".into(), true.into());
    facts.insert("on_ac".into(), json!(on_ac));
    facts.insert(
        "source".into(),
        json!(p.source.as_ref().map(|s| s.as_str().to_string())),
    );
    facts.insert("percent".into(), b.percent.into());
    facts.insert("state".into(), b.state.clone().into());
    facts.insert("remaining".into(), json!(b.remaining));
    facts.insert("architecture".into(), json!(arch.map(|a| a.as_str())));
    facts.insert("thresholds".into(), json!(table_fact));
    facts.insert(
        "threshold_source".into(),
        "Apple, Managing software updates for IT (power requirements table)".into(),
    );
    let kinds: [(&str, &str, Pick); 3] = [
        ("user_initiated", "update/upgrade", |t| t.user_initiated),
        ("automatic", "automatic install", |t| t.automatic),
        ("rsr", "Rapid Security Response", |t| t.rsr),
    ];
    let mut blocked = Vec::new();
    let mut unknown = Vec::new();
    let mut needed = Map::new();
    for (key, label, pick) in kinds {
        let (m, t) = match on_ac {
            Some(true) => (Meets::Meets, pick(&table.unwrap_or(cfg.battery_intel))),
            Some(false) => judge(b.percent, arch, cfg, pick),
            None => {
                let (m, t) = judge(b.percent, arch, cfg, pick);
                // Power state unknown: a charge that meets still meets.
                (if m == Meets::Meets { m } else { Meets::Unknown }, t)
            }
        };
        facts.insert(key.into(), m.as_str().into());
        needed.insert(key.into(), t.into());
        match m {
            Meets::Blocks => blocked.push(format!("{label} (needs {t}%)")),
            Meets::Unknown => unknown.push(label),
            Meets::Meets => {}
        }
    }
    facts.insert("needed_percent".into(), Value::Object(needed));
    let download = match on_ac {
        Some(true) => Meets::Meets,
        Some(false) => Meets::Blocks,
        None => Meets::Unknown,
    };
    facts.insert("automatic_download".into(), download.as_str().into());
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
    let mut f = Finding::new(BATTERY, status, summary)
        .evidence(evidence)
        .remediation("connect the Mac to power (on AC the battery never blocks an update)");
    if status == Status::Unknown {
        f.reason = Some(f.summary.clone());
    }
    f.facts = facts;
    f
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
        let f = check(&o, &Config::default());
        assert_eq!(f.status, Status::Warning);
        assert_eq!(f.facts["user_initiated"], "meets");
        assert_eq!(f.facts["automatic"], "blocks");
        assert_eq!(f.facts["rsr"], "meets");
        assert_eq!(f.facts["automatic_download"], "blocks");
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
        let f = check(&o, &cfg);
        assert_eq!(f.facts["user_initiated"], "blocks");
        assert_eq!(f.facts["automatic"], "meets");
        assert_eq!(f.facts["rsr"], "blocks");
    }

    #[test]
    fn unknown_architecture_uses_both_tables() {
        let b = with(base(), ok("pmset_batt", BATT_30));
        let b = with(b, failed("hw_arm64", 1, "sysctl: permission denied"));
        let f = check(&obs(b), &Config::default());
        // 30 %: below Intel's 50 but above Apple silicon's 20: undecided; RSR 30 >= 20 meets.
        assert_eq!(f.facts["user_initiated"], "unknown");
        assert_eq!(f.facts["rsr"], "meets");
        assert_eq!(
            f.status,
            Status::Warning,
            "automatic blocks under both tables"
        );
        let b = with(base(), ok("pmset_batt", b"Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t60%; discharging; 2:10 remaining present: true\n"));
        let b = with(b, failed("hw_arm64", 1, "sysctl: permission denied"));
        let f = check(&obs(b), &Config::default());
        assert_eq!(f.status, Status::Ok);
    }

    #[test]
    fn probe_failure_is_unknown_with_probe_and_fault() {
        let o = obs(with(base(), failed("pmset_batt", 1, "pmset: error")));
        let f = check(&o, &Config::default());
        assert_eq!(f.status, Status::Unknown);
        let r = f.reason.unwrap();
        assert!(r.contains("pmset_batt") && r.contains("failed"), "{r}");
    }
}
