//! `pmset -g batt`: the power source and each battery's charge.
//!
//! Shapes (fixtures `pmset_g_batt__*`): a first line `Now drawing from 'AC Power'` (or
//! `'Battery Power'`, `'UPS Power'`), then one line per battery:
//! ` -InternalBattery-0 (id=23265379)<TAB>80%; AC attached; not charging present: true`. The
//! separator before the percentage is a tab or spaces; states are `charging`, `discharging`,
//! `finishing charge`, `AC attached; not charging`, `charged`; the time is `(no estimate)`,
//! `1:02 remaining` or absent. A desktop prints only the first line
//! (`desktop_no_battery__FIXTURE_unverified`). Some samples were copied with their newlines
//! collapsed into spaces (`...__newline_collapsed.txt`): batteries are therefore found by their
//! `(id=N)` marker rather than by line. A UPS adds its own entry (not `InternalBattery`);
//! the shape `-Back-UPS ES 700 (id=1234)\t87%; discharging` is from test fixtures, not a capture.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PowerSource {
    Ac,
    Battery,
    Ups,
    Other(String),
}

impl PowerSource {
    pub fn as_str(&self) -> &str {
        match self {
            PowerSource::Ac => "AC Power",
            PowerSource::Battery => "Battery Power",
            PowerSource::Ups => "UPS Power",
            PowerSource::Other(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Battery {
    /// `InternalBattery-0`, or a UPS's name.
    pub name: String,
    pub id: Option<String>,
    pub percent: u8,
    /// `charging`, `discharging`, `finishing charge`, `AC attached; not charging`, `charged`.
    pub state: String,
    /// `(no estimate)` or `1:02 remaining`.
    pub remaining: Option<String>,
    pub present: Option<bool>,
}

impl Battery {
    pub(crate) fn is_internal(&self) -> bool {
        self.name.starts_with("InternalBattery")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerStatus {
    /// `None` when the `Now drawing from` line is absent (line-only samples).
    pub source: Option<PowerSource>,
    pub batteries: Vec<Battery>,
    /// The output, trimmed, for evidence (newlines kept).
    pub text: String,
}

impl PowerStatus {
    /// The built-in battery (present), if any: absent on desktops.
    pub fn internal(&self) -> Option<&Battery> {
        self.batteries
            .iter()
            .find(|b| b.is_internal() && b.present != Some(false))
    }

    /// On external power: the source line says AC, or (no source line) the internal battery's
    /// state implies a charger (`AC attached`, `charging`, `charged`, `finishing charge`).
    pub fn on_ac(&self) -> Option<bool> {
        match &self.source {
            Some(PowerSource::Ac) => Some(true),
            Some(PowerSource::Battery) | Some(PowerSource::Ups) => Some(false),
            Some(PowerSource::Other(_)) => None,
            None => {
                let b = self.internal()?;
                let s = b.state.to_ascii_lowercase();
                if s.contains("discharging") {
                    Some(false)
                } else if s.contains("ac attached") || s.contains("charg") {
                    Some(true)
                } else {
                    None
                }
            }
        }
    }
}

pub fn parse(text: &str) -> Result<PowerStatus, String> {
    let mut st = PowerStatus {
        text: text.trim().to_string(),
        ..PowerStatus::default()
    };
    if let Some(pos) = text.find("drawing from '") {
        let rest = &text[pos + "drawing from '".len()..];
        if let Some(end) = rest.find('\'') {
            st.source = Some(match &rest[..end] {
                "AC Power" => PowerSource::Ac,
                "Battery Power" => PowerSource::Battery,
                "UPS Power" => PowerSource::Ups,
                other => PowerSource::Other(other.to_string()),
            });
        }
    }
    // Each battery entry: ` -NAME (id=N)<ws>P%; state[; time] present: bool`.
    let mut search = 0;
    while let Some(rel) = text[search..].find("(id=") {
        let at = search + rel;
        search = at + 4;
        let before = &text[..at];
        let name_start = before
            .rfind(" -")
            .map(|i| i + 2)
            .or_else(|| before.strip_prefix('-').map(|_| 1))
            .or_else(|| before.rfind("\n-").map(|i| i + 2))
            .unwrap_or(0);
        let name = before.get(name_start..).unwrap_or("").trim().to_string();
        let after = &text[at + 4..];
        let Some(close) = after.find(')') else {
            continue;
        };
        let id = after[..close].trim().to_string();
        let tail = &after[close + 1..];
        // The entry ends at the end of its line, or at the next entry when newlines collapsed.
        let mut end = tail.find('\n').unwrap_or(tail.len());
        if let Some(next) = tail.find("(id=") {
            if next < end {
                end = tail[..next].rfind(" -").unwrap_or(next);
            }
        }
        let body = tail[..end].trim();
        let Some(pct_at) = body.find('%') else {
            continue;
        };
        let Ok(percent) = body[..pct_at].trim().parse::<u8>() else {
            continue;
        };
        let mut rest = body[pct_at + 1..].trim().trim_start_matches(';').trim();
        let mut present = None;
        if let Some(p) = rest.find("present:") {
            present = match rest[p + "present:".len()..].trim() {
                v if v.starts_with("true") => Some(true),
                v if v.starts_with("false") => Some(false),
                _ => None,
            };
            rest = rest[..p].trim();
        }
        let mut parts: Vec<&str> = rest
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut remaining = None;
        if let Some(last) = parts.last() {
            if last.contains("remaining") || last.contains("estimate") {
                remaining = Some(last.to_string());
                parts.pop();
            }
        }
        st.batteries.push(Battery {
            name,
            id: (!id.is_empty()).then_some(id),
            percent,
            state: parts.join("; "),
            remaining,
            present,
        });
    }
    // An entry line (` -InternalBattery-0 (id=...)...`) that did not parse means the output was
    // cut or garbled: reading it as "no battery" would call a laptop a desktop (fault matrix:
    // pmset_batt x Truncated). Every ` -NAME` line must have become a battery.
    let entry_lines = text
        .lines()
        .filter(|l| l.trim_start().starts_with('-') && l.trim().len() > 1)
        .count();
    if entry_lines > st.batteries.len() {
        return Err(format!(
            "{} power-source entr(y/ies) could not be read (cut or garbled output): {:?}",
            entry_lines - st.batteries.len(),
            text.lines()
                .rfind(|l| l.trim_start().starts_with('-'))
                .unwrap_or("")
        ));
    }
    if st.source.is_none() && st.batteries.is_empty() {
        return Err(format!(
            "neither a 'Now drawing from' line nor a battery line: {:?}",
            super::first_line(text, 120)
        ));
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_battery_line_is_an_error_not_a_desktop() {
        for cut in [
            "Now drawing from 'AC Power'\n -InternalBattery-0 (id",
            "Now drawing from 'AC Power'\n -InternalBattery-0 (id=23265379)\t9",
            "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=23265379)\t",
        ] {
            assert!(parse(cut).is_err(), "{cut:?}");
        }
    }

    use crate::test_support::sample_text as sample;

    fn one(text: &str) -> (PowerStatus, Battery) {
        let st = parse(text).unwrap();
        assert_eq!(st.batteries.len(), 1, "{text:?}");
        let b = st.batteries[0].clone();
        (st, b)
    }

    #[test]
    fn ac_attached_not_charging() {
        let (st, b) = one(&sample(
            "pmset_g_batt__ac_attached_not_charging_80pct__capture_2026.txt",
        ));
        assert_eq!(st.source, Some(PowerSource::Ac));
        assert_eq!(b.name, "InternalBattery-0");
        assert_eq!(b.id.as_deref(), Some("23265379"));
        assert_eq!(b.percent, 80);
        assert_eq!(b.state, "AC attached; not charging");
        assert_eq!(b.remaining, None);
        assert_eq!(b.present, Some(true));
        assert_eq!(st.on_ac(), Some(true));
    }

    #[test]
    fn newline_collapsed_samples() {
        let (st, b) = one(&sample(
            "pmset_g_batt__ac_finishing_charge_99pct__macos26.6.2__newline_collapsed.txt",
        ));
        assert_eq!(st.source, Some(PowerSource::Ac));
        assert_eq!((b.percent, b.state.as_str()), (99, "finishing charge"));
        assert_eq!(b.remaining.as_deref(), Some("0:00 remaining"));
        let (st, b) = one(&sample(
            "pmset_g_batt__battery_discharging_no_estimate__macos27.0_26A5368g__newline_collapsed.txt",
        ));
        assert_eq!(st.source, Some(PowerSource::Battery));
        assert_eq!(st.on_ac(), Some(false));
        assert_eq!((b.percent, b.state.as_str()), (93, "discharging"));
        assert_eq!(b.remaining.as_deref(), Some("(no estimate)"));
        assert_eq!(b.name, "InternalBattery-0");
    }

    #[test]
    fn benchmark_notes_three_runs_on_separate_lines() {
        // Each line is a whole collapsed output; parse them one by one.
        let text = sample("pmset_g_batt__power_observations__benchmark_notes.txt");
        let got: Vec<(bool, u8, String)> = text
            .lines()
            .map(|l| {
                let st = parse(l).unwrap();
                let b = st.internal().unwrap().clone();
                (st.on_ac().unwrap(), b.percent, b.state)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (true, 100, "charged".to_string()),
                (false, 72, "discharging".to_string()),
                (false, 84, "discharging".to_string()),
            ]
        );
    }

    #[test]
    fn line_only_samples() {
        let (st, b) = one(&sample(
            "pmset_g_batt__line_only__ac_attached_not_charging_90pct__2026-09-29.txt",
        ));
        assert_eq!(st.source, None);
        assert_eq!(b.percent, 90);
        assert_eq!(st.on_ac(), Some(true));
        let (_, b) = one(&sample(
            "pmset_g_batt__line_only__finishing_charge_no_estimate__macos26.txt",
        ));
        assert_eq!((b.percent, b.state.as_str()), (99, "finishing charge"));
        // Four author-listed lines parse as four batteries (same id).
        let st = parse(&sample("pmset_g_batt__line_variants__author_comment.txt")).unwrap();
        let states: Vec<(u8, &str, Option<&str>)> = st
            .batteries
            .iter()
            .map(|b| (b.percent, b.state.as_str(), b.remaining.as_deref()))
            .collect();
        assert_eq!(
            states,
            vec![
                (34, "charging", Some("5:58 remaining")),
                (43, "discharging", Some("(no estimate)")),
                (100, "charged", Some("(no estimate)")),
                (100, "finishing charge", Some("(no estimate)")),
            ]
        );
    }

    #[test]
    fn desktop_and_ups() {
        let st = parse(&sample(
            "pmset_g_batt__desktop_no_battery__FIXTURE_unverified.txt",
        ))
        .unwrap();
        assert_eq!(st.source, Some(PowerSource::Ac));
        assert!(st.batteries.is_empty());
        assert!(st.internal().is_none());
        // Shape from SOURCES.md section 3 (test fixture, not a capture).
        let st = parse("Now drawing from 'UPS Power'\n -Back-UPS ES 700 (id=1234)\t87%; discharging; (no estimate)\n").unwrap();
        assert_eq!(st.source, Some(PowerSource::Ups));
        assert_eq!(st.batteries[0].name, "Back-UPS ES 700");
        assert!(st.internal().is_none());
    }

    #[test]
    fn garbage() {
        assert!(parse("").is_err());
        assert!(parse("pmset: error").is_err());
        for s in [
            "(id=",
            " -X (id=1) %",
            " -X (id=1) 999%;",
            "(id=(id=(id=",
            "Now drawing from '",
        ] {
            let _ = parse(s);
        }
    }
}
