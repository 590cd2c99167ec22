//! `/var/log/install.log`, the tail read by probe `install_log`: softwareupdated's DDM and scan
//! lines where admins have seen them (macOS 14-26; 27 assumed to keep 26's wording).
//!
//! Lines look like `2023-11-07 19:44:39-05 testdevice softwareupdated[455]: <message>` (sudoade.com,
//! 2023; macmule.com, 2020; openzfsonosx/zfs#810, 2024). Only lines of `softwareupdated` and
//! `SoftwareUpdateSubscriber` inside the liveness window are kept, and only when their message
//! matches a softwareupdated pattern of `log_patterns` (the same table the unified-log classifier
//! and the `log show` predicate use). install.log is written by syslogd from messages any local
//! process can send under any name, so nothing read here decides a cause or makes heal act: it
//! shows signs of life and names causes as unconfirmed (`checks::ddm::Unconfirmed`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use super::log_patterns::{self, LogStream, Pattern};

/// Most kept events (newest kept): the tail is bounded, and the rules need only the newest.
pub const MAX_EVENTS: usize = 200;

/// Processes whose install.log lines count.
const PROCESSES: &[&str] = &["softwareupdated", "SoftwareUpdateSubscriber"];

#[derive(Debug, Clone, PartialEq)]
pub struct InstallLogLine {
    pub time: DateTime<FixedOffset>,
    /// The line's timestamp as printed.
    pub timestamp: String,
    pub process: String,
    pub message: String,
    pub pattern: &'static str,
}

/// A declaration as softwareupdated logged it: `|EnforcedInstallDate:…|VersionString:…|BuildVersionString:…|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedDeclaration {
    pub version: Option<String>,
    /// `None` for `(null)`.
    pub build: Option<String>,
    pub enforced_install_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstallLog {
    /// Kept lines in the window, oldest first.
    pub events: Vec<InstallLogLine>,
    /// softwareupdated lines in the window that match no pattern.
    pub other_lines: u64,
    /// Lines outside the window.
    pub skipped: u64,
    /// Lines with an install.log timestamp (any process, any time).
    pub lines: u64,
}

impl InstallLog {
    /// The newest line of a pattern.
    pub fn last(&self, id: &str) -> Option<&InstallLogLine> {
        self.events.iter().rev().find(|e| e.pattern == id)
    }

    /// The newest declaration softwareupdated logged (applicable or enforced).
    pub fn last_declaration(&self) -> Option<(&InstallLogLine, LoggedDeclaration)> {
        self.events
            .iter()
            .rev()
            .filter(|e| e.pattern == "su.ddm_applicable" || e.pattern == "su.ddm_declaration")
            .find_map(|e| declaration(&e.message).map(|d| (e, d)))
    }

    /// The newest padded past-due enforcement date softwareupdated set (device-local time).
    pub fn padded_date(&self) -> Option<(&InstallLogLine, NaiveDateTime)> {
        let e = self.last("su.ddm_padded")?;
        padded_date_of(&e.message).map(|d| (e, d))
    }

    /// `Removed N invalid declarations`: the newest such line and N.
    pub fn removed_invalid(&self) -> Option<(&InstallLogLine, u32)> {
        let e = self.last("su.ddm_invalid_removed")?;
        removed_invalid_of(&e.message).map(|n| (e, n))
    }

    /// The newest line that shows softwareupdated working (any kept pattern).
    pub(crate) fn last_activity(&self) -> Option<&InstallLogLine> {
        self.events.last()
    }
}

/// [`parse`] over every time (fuzzing, and readers with no window).
pub fn parse_any_time(bytes: &[u8]) -> Result<InstallLog, String> {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    parse(
        bytes,
        DateTime::<chrono::Utc>::MIN_UTC.with_timezone(&utc),
        DateTime::<chrono::Utc>::MAX_UTC.with_timezone(&utc),
    )
}

/// The date of `setPastDuePaddedEnforcementDate is set: Thu Nov 13 08:59:56 2025` (device-local
/// time; the format admins' parsers read with `date -jf "%a %b %d %H:%M:%S %Y"`).
pub fn padded_date_of(message: &str) -> Option<NaiveDateTime> {
    let raw = message
        .split("setPastDuePaddedEnforcementDate is set: ")
        .nth(1)?;
    NaiveDateTime::parse_from_str(raw.trim(), "%a %b %d %H:%M:%S %Y").ok()
}

/// N of `Removed N invalid declarations`.
pub fn removed_invalid_of(message: &str) -> Option<u32> {
    let before = message.split("invalid declarations").next()?;
    before.split_whitespace().last()?.parse::<u32>().ok()
}

/// `|Key:value|` fields of a declaration line.
pub fn declaration(msg: &str) -> Option<LoggedDeclaration> {
    let field = |key: &str| -> Option<String> {
        let i = msg.find(&format!("|{key}:"))?;
        let rest = &msg[i + key.len() + 2..];
        let v = rest.split('|').next()?.trim();
        (!v.is_empty() && v != "(null)").then(|| v.to_string())
    };
    let d = LoggedDeclaration {
        version: field("VersionString"),
        build: field("BuildVersionString"),
        enforced_install_date: field("EnforcedInstallDate"),
    };
    (d.version.is_some() || d.enforced_install_date.is_some()).then_some(d)
}

/// `2023-11-07 19:44:39-05`, `2020-11-14 21:11:26+00`, `... +05:30`, `... +0530`.
fn timestamp(date: &str, time_zone: &str) -> Option<DateTime<FixedOffset>> {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let split = time_zone.find(['+', '-'])?;
    let (t, z) = time_zone.split_at(split);
    let t = NaiveTime::parse_from_str(t, "%H:%M:%S").ok()?;
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let digits: String = z[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    let off = FixedOffset::east_opt(sign * (h * 3600 + m * 60))?;
    off.from_local_datetime(&d.and_time(t)).single()
}

fn patterns() -> impl Iterator<Item = &'static Pattern> {
    log_patterns::PATTERNS
        .iter()
        .filter(|p| p.stream == LogStream::SoftwareUpdate)
}

/// One line: `(time, timestamp text, process, message)`.
fn split_line(line: &str) -> Option<(DateTime<FixedOffset>, &str, &str, &str)> {
    let mut it = line.splitn(4, ' ');
    let date = it.next()?;
    let tz = it.next()?;
    let _host = it.next()?;
    let rest = it.next()?;
    let time = timestamp(date, tz)?;
    let colon = rest.find(": ")?;
    let proc_pid = &rest[..colon];
    let process = proc_pid.split('[').next()?;
    let ts = &line[..date.len() + 1 + tz.len()];
    Some((time, ts, process, &rest[colon + 2..]))
}

/// Parses the tail of install.log, keeping the lines from `since` to `until` (plus a minute of
/// clock skew). A first line cut by the tail is skipped like any line that does not parse; output
/// with no install.log line at all is refused (it is not install.log).
pub fn parse(
    bytes: &[u8],
    since: DateTime<FixedOffset>,
    until: DateTime<FixedOffset>,
) -> Result<InstallLog, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = InstallLog::default();
    let until = until
        .checked_add_signed(chrono::Duration::minutes(1))
        .unwrap_or(until);
    // The newest lines, bounded: a ring while reading (no shifting per line), a Vec after.
    let mut events = std::collections::VecDeque::with_capacity(MAX_EVENTS);
    for line in text.lines() {
        let Some((time, ts, process, msg)) = split_line(line) else {
            continue;
        };
        out.lines += 1;
        if time < since || time > until {
            out.skipped += 1;
            continue;
        }
        if !PROCESSES.contains(&process) {
            continue;
        }
        match patterns().find(|p| msg.contains(p.needle)) {
            Some(p) => {
                if events.len() == MAX_EVENTS {
                    events.pop_front();
                }
                events.push_back(InstallLogLine {
                    time,
                    timestamp: ts.to_string(),
                    process: process.to_string(),
                    message: crate::parse::clip_marked(msg, 2000),
                    pattern: p.id,
                });
            }
            None => out.other_lines += 1,
        }
    }
    out.events = events.into();
    if out.lines == 0 && !text.trim().is_empty() {
        return Err(format!(
            "no install.log line (timestamp host process: message) in {} bytes",
            bytes.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    const REAL: &str = include_str!(
        "../../tests/fixtures/logs-real/verbatim/install-log-softwareupdated-lines.log"
    );

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn real_lines_are_kept_in_their_window() {
        let log = parse(
            REAL.as_bytes(),
            at("2000-01-01T00:00:00Z"),
            at("2030-01-01T00:00:00Z"),
        )
        .unwrap();
        let got: Vec<String> = log
            .events
            .iter()
            .map(|e| format!("{} {} {}", e.timestamp, e.process, e.pattern))
            .collect();
        expect![[r#"
            [
                "2020-11-14 21:11:26+00 softwareupdated su.scan_catalog",
                "2021-12-16 16:24:28+00 softwareupdated su.client_added",
                "2023-11-07 19:44:39-05 softwareupdated su.ddm_scheduled",
                "2024-09-06 14:41:24+08 softwareupdated su.client_added",
                "2023-12-28 16:30:15-03 softwareupdated su.product_deferred",
            ]
        "#]]
        .assert_debug_eq(&got);
        // The window: only 2024.
        let log = parse(
            REAL.as_bytes(),
            at("2024-09-06T06:00:00Z"),
            at("2024-09-06T07:00:00Z"),
        )
        .unwrap();
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.events[0].time, at("2024-09-06T14:41:24+08:00"));
    }

    #[test]
    fn declarations_padded_dates_and_removals() {
        // Field shapes as the admins' parsers read them (DDM-OS-Reminder); the lines are
        // constructed around those fields.
        let text = "2026-11-20 08:00:00-05 mac softwareupdated[557]: declarationFromKeys]: Found currently applicable declaration |EnforcedInstallDate:2026-11-18T17:00:00|VersionString:27.1|BuildVersionString:(null)|\n\
2026-11-20 08:01:00-05 mac softwareupdated[557]: setPastDuePaddedEnforcementDate is set: Fri Nov 20 12:59:56 2026\n\
2026-11-20 08:02:00-05 mac softwareupdated[557]: Removed 2 invalid declarations\n\
2026-11-20 08:03:00-05 mac logger[900]: setPastDuePaddedEnforcementDate is set: Sat Nov 21 12:59:56 2026\n";
        let log = parse(
            text.as_bytes(),
            at("2026-11-20T07:00:00-05:00"),
            at("2026-11-20T09:00:00-05:00"),
        )
        .unwrap();
        let (_, d) = log.last_declaration().unwrap();
        assert_eq!(d.version.as_deref(), Some("27.1"));
        assert_eq!(d.build, None);
        assert_eq!(
            d.enforced_install_date.as_deref(),
            Some("2026-11-18T17:00:00")
        );
        // The logger line (another process) is not counted.
        assert_eq!(
            log.padded_date().unwrap().1.to_string(),
            "2026-11-20 12:59:56"
        );
        assert_eq!(log.removed_invalid().unwrap().1, 2);
    }

    #[test]
    fn any_bytes_never_panic() {
        for s in [
            "",
            "\n",
            "2026-11-20",
            "2026-11-20 08:00:00-05",
            "2026-11-20 08:00:00-5 h p: m",
            "2026-11-20 08:00:00+0530 h softwareupdated[1]: Adding client SUUpdateServiceClient",
            "x y z softwareupdated: |VersionString:",
        ] {
            let _ = parse(
                s.as_bytes(),
                at("2000-01-01T00:00:00Z"),
                at("2030-01-01T00:00:00Z"),
            );
            let _ = declaration(s);
        }
        assert!(parse(
            b"\x00\xff garbage",
            at("2000-01-01T00:00:00Z"),
            at("2030-01-01T00:00:00Z")
        )
        .is_err());
        assert!(parse(b"", at("2000-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z")).is_ok());
        let all = parse_any_time(REAL.as_bytes()).unwrap();
        assert_eq!(all.events.len(), 5);
    }
}
