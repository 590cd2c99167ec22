//! Incremental log queries for the scheduled run: a cursor per log probe, kept in the state file.
//!
//! `mdmwatch run` runs every 95 minutes and `log show` is its most expensive input. The cursor
//! lets a run ask `log show --start <t>` for what is new only, then rebuild the window the
//! checks judge from the relevant events carried over from earlier runs plus the new ones, so the
//! checks see the same evidence as a full-window read.
//!
//! Stored under the state file's top-level key `log_cursor` (kept verbatim by `state::State`):
//!
//! ```json
//! "log_cursor": {
//!   "version": 1,
//!   "log_mdmclient": {
//!     "until": "2026-11-20T09:55:00.000000-05:00",
//!     "window_minutes": 90,
//!     "events": [{"t": "2026-11-20 09:31:00.000000-0500", "m": "Received HTTP response (200) [Idle]"}],
//!     "identity_errors": []
//!   },
//!   "log_softwareupdate": { "until": "...", "window_minutes": 90, "events": [{"t": "...", "m": "...",
//!     "p": "softwareupdated", "k": "progress", "pct": 17}], "status_reports": [{"t": "...", "m": "<block>", "p": "..."}] }
//! }
//! ```
//!
//! - `until`: RFC 3339 (microseconds): every relevant entry before it has been read. It is the
//!   observation time of a complete read (trailer seen, not cut), else the newest relevant entry
//!   read; it never moves backwards (unless it was in the future, which is ignored).
//! - `events`: the summariser's relevant events in the window (at most `MAX_EVENTS`), as printed
//!   (`t`) and as kept (`m`, clipped); mdmclient events are re-classified from their text on
//!   load, softwareupdated events carry their kind (`k`, `pct`, `st`: a status report's clipped
//!   text would lose its install state). `identity_errors` and `status_reports` (the newest few,
//!   enough for the newest parseable report and the newest one with an install state) likewise.
//!
//! The next query starts at `until - OVERLAP_MINUTES` (whole seconds: `log --start` takes
//! seconds), never before `now - window`; carried items at or after that start are dropped
//! (the new read covers them, including entries flushed late), carried items before the window
//! are dropped. No cursor, a corrupt one, one from another window length, one in the future or
//! one older than the window: the full window is read. Only `run` on a live Mac uses and writes
//! the cursor; diagnose, heal, capture and every replay read the full window.
//!
//! Not carried (counts over what this run read): `stats` (entries, skipped lines, finished,
//! cut), the user-channel count.

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::observe::Observations;
use crate::parse::log_ndjson::parse_timestamp;
use crate::parse::mdm_log::{self, LogLine, MdmEvent, MdmEventKind, MdmLog};
use crate::parse::su_log::{self, StatusReport, SuEvent, SuEventKind, SuLog};
use crate::parse::{ddm_status, Fact};
use crate::probes;

/// The state file's key.
pub const STATE_KEY: &str = "log_cursor";
pub const VERSION: u32 = 1;
/// Re-read this much before `until`: entries flushed to the log store late, clock jitter.
pub const OVERLAP_MINUTES: i64 = 5;
/// Status reports carried (each up to 64 KiB of text).
pub const MAX_CARRIED_REPORTS: usize = 3;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogCursor {
    #[serde(default)]
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_mdmclient: Option<ProbeCursor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_softwareupdate: Option<ProbeCursor>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeCursor {
    pub until: String,
    pub window_minutes: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Carried>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_errors: Vec<Carried>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_reports: Vec<Carried>,
}

/// One carried log line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    /// The timestamp as `log show` printed it.
    pub t: String,
    /// The message as kept (clipped for events, the whole block for status reports).
    pub m: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub p: String,
    /// softwareupdated event kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub st: Option<String>,
}

/// What to ask `log show` for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// `--last <window>m`.
    Full,
    /// `--start <t>` (whole seconds, at or after `now - window`).
    Since(DateTime<FixedOffset>),
}

/// Per log probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queries {
    pub mdmclient: Query,
    pub softwareupdate: Query,
}

impl Default for Queries {
    fn default() -> Queries {
        Queries {
            mdmclient: Query::Full,
            softwareupdate: Query::Full,
        }
    }
}

impl LogCursor {
    /// The cursor in a state file's unknown keys; `None` when absent, corrupt or of another
    /// version (all mean: read the full window).
    pub fn from_extra(extra: &Map<String, Value>) -> Option<LogCursor> {
        let v = extra.get(STATE_KEY).filter(|v| v.is_object())?;
        let c: LogCursor = serde_json::from_value(v.clone()).ok()?;
        (c.version == VERSION).then_some(c)
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// What to ask for, per probe.
    pub fn plan(&self, now: DateTime<FixedOffset>, window_minutes: u32) -> Queries {
        Queries {
            mdmclient: plan(self.log_mdmclient.as_ref(), now, window_minutes),
            softwareupdate: plan(self.log_softwareupdate.as_ref(), now, window_minutes),
        }
    }
}

fn parse_until(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s.trim()).ok()
}

fn format_until(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// The query for one probe given its cursor.
pub fn plan(c: Option<&ProbeCursor>, now: DateTime<FixedOffset>, window_minutes: u32) -> Query {
    let Some(c) = c else { return Query::Full };
    if c.window_minutes != window_minutes {
        return Query::Full;
    }
    let Some(until) = parse_until(&c.until) else {
        return Query::Full;
    };
    let window_start = now - Duration::minutes(i64::from(window_minutes));
    if until > now || until < window_start {
        return Query::Full;
    }
    let start = (until - Duration::minutes(OVERLAP_MINUTES)).max(window_start);
    // `log --start` takes whole seconds: round down, so nothing between is missed.
    Query::Since(start.with_nanosecond(0).unwrap_or(start))
}

/// `log show --start` argument: `YYYY-MM-DD HH:MM:SS±HH:MM` (log(1): "YYYY-MM-DD HH:MM:SSZZZZZ").
pub fn start_arg(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%:z").to_string()
}

fn carried_line(l: &LogLine) -> Carried {
    Carried {
        t: l.timestamp.clone(),
        m: l.message.clone(),
        ..Carried::default()
    }
}

fn line_of(c: &Carried) -> LogLine {
    LogLine {
        timestamp: c.t.clone(),
        time: parse_timestamp(&c.t),
        message: c.m.clone(),
    }
}

/// Carried items to use: inside the window and before the new read's start.
fn keep(
    t: Option<DateTime<FixedOffset>>,
    window_start: DateTime<FixedOffset>,
    start: DateTime<FixedOffset>,
) -> bool {
    t.is_some_and(|t| t >= window_start && t < start)
}

fn count_mdm(c: &mut mdm_log::MdmCounts, e: &MdmEvent) {
    match &e.kind {
        MdmEventKind::Command { .. } => c.commands += 1,
        MdmEventKind::Request { .. } => c.requests += 1,
        MdmEventKind::IdentityError => c.identity_errors += 1,
        MdmEventKind::PushRejected => c.push_rejected += 1,
        _ => {}
    }
    if e.is_success() {
        c.successes += 1;
    }
    if e.is_error() {
        c.errors += 1;
    }
}

/// Carried mdmclient events before `start`, then the new read.
pub fn merge_mdm(
    carried: &ProbeCursor,
    new: MdmLog,
    window_start: DateTime<FixedOffset>,
    start: DateTime<FixedOffset>,
) -> MdmLog {
    let mut out = MdmLog {
        stats: new.stats,
        events_dropped: new.events_dropped,
        counts: new.counts,
        ..MdmLog::default()
    };
    let old: Vec<MdmEvent> = carried
        .events
        .iter()
        .map(line_of)
        .filter(|l| keep(l.time, window_start, start))
        .filter_map(|line| mdm_log::classify(&line.message).map(|kind| MdmEvent { line, kind }))
        .collect();
    for e in &old {
        count_mdm(&mut out.counts, e);
    }
    let mut events = old;
    events.extend(new.events);
    let over = events.len().saturating_sub(mdm_log::MAX_EVENTS);
    out.events_dropped += over as u64;
    out.events = events.split_off(over);
    let mut ids: Vec<LogLine> = carried
        .identity_errors
        .iter()
        .map(line_of)
        .filter(|l| keep(l.time, window_start, start))
        .collect();
    ids.extend(new.identity_errors);
    let over = ids.len().saturating_sub(mdm_log::MAX_IDENTITY_ERRORS);
    out.identity_errors = ids.split_off(over);
    out
}

fn su_kind_tag(k: &SuEventKind) -> (&'static str, Option<u8>, Option<String>) {
    match k {
        SuEventKind::ScanStarted => ("scan_started", None, None),
        SuEventKind::Activity => ("activity", None, None),
        SuEventKind::Progress { percent } => ("progress", *percent, None),
        SuEventKind::Completed => ("completed", None, None),
        SuEventKind::Failed => ("failed", None, None),
        SuEventKind::Enforcement => ("enforcement", None, None),
        SuEventKind::StatusReport { install_state } => {
            ("status_report", None, install_state.clone())
        }
    }
}

fn su_kind_of(c: &Carried) -> Option<SuEventKind> {
    Some(match c.k.as_deref()? {
        "scan_started" => SuEventKind::ScanStarted,
        "activity" => SuEventKind::Activity,
        "progress" => SuEventKind::Progress { percent: c.pct },
        "completed" => SuEventKind::Completed,
        "failed" => SuEventKind::Failed,
        "enforcement" => SuEventKind::Enforcement,
        "status_report" => SuEventKind::StatusReport {
            install_state: c.st.clone(),
        },
        _ => return None,
    })
}

/// Carried softwareupdated events and status reports before `start`, then the new read.
pub fn merge_su(
    carried: &ProbeCursor,
    new: SuLog,
    window_start: DateTime<FixedOffset>,
    start: DateTime<FixedOffset>,
) -> SuLog {
    let mut out = SuLog {
        stats: new.stats,
        events_dropped: new.events_dropped,
        counts: new.counts,
        ..SuLog::default()
    };
    let old: Vec<SuEvent> = carried
        .events
        .iter()
        .filter_map(|c| {
            let line = line_of(c);
            if !keep(line.time, window_start, start) {
                return None;
            }
            Some(SuEvent {
                line,
                process: c.p.clone(),
                kind: su_kind_of(c)?,
            })
        })
        .collect();
    for e in &old {
        let c = &mut out.counts;
        match &e.kind {
            SuEventKind::ScanStarted => c.scans += 1,
            SuEventKind::Progress { .. } => c.progress += 1,
            SuEventKind::Completed => c.completions += 1,
            SuEventKind::Failed => c.failures += 1,
            SuEventKind::StatusReport { .. } => c.status_reports += 1,
            SuEventKind::Activity | SuEventKind::Enforcement => {}
        }
    }
    let mut events = old;
    events.extend(new.events);
    let over = events.len().saturating_sub(su_log::MAX_EVENTS);
    out.events_dropped += over as u64;
    out.events = events.split_off(over);
    let mut reports: Vec<StatusReport> = carried
        .status_reports
        .iter()
        .map(|c| StatusReport {
            timestamp: c.t.clone(),
            time: parse_timestamp(&c.t),
            process: c.p.clone(),
            text: c.m.clone(),
        })
        .filter(|r| keep(r.time, window_start, start))
        .collect();
    reports.extend(new.status_reports);
    let over = reports.len().saturating_sub(su_log::MAX_STATUS_REPORTS);
    out.status_reports = reports.split_off(over);
    out
}

fn in_window(t: Option<DateTime<FixedOffset>>, window_start: DateTime<FixedOffset>) -> bool {
    t.is_some_and(|t| t >= window_start)
}

/// The status reports the DDM checks can still need: newest first until both the newest that
/// parses and the newest with an install state are in (at most [`MAX_CARRIED_REPORTS`]).
fn reports_to_carry(reports: &[StatusReport], window_start: DateTime<FixedOffset>) -> Vec<Carried> {
    let mut out = Vec::new();
    let (mut parsed, mut with_state) = (false, false);
    for r in reports.iter().rev() {
        if out.len() == MAX_CARRIED_REPORTS || (parsed && with_state) {
            break;
        }
        if !in_window(r.time, window_start) {
            continue;
        }
        if let Ok(s) = ddm_status::parse(&r.text) {
            parsed = true;
            with_state |= s.install_state.is_some();
        }
        out.push(Carried {
            t: r.timestamp.clone(),
            m: r.text.clone(),
            p: r.process.clone(),
            ..Carried::default()
        });
    }
    out.reverse();
    out
}

fn truncated(obs: &Observations, id: &str) -> bool {
    obs.probes.iter().any(|p| p.id == id && p.truncated)
}

/// The next `until`: the read's time when it is complete, else its newest relevant entry; never
/// earlier than a valid previous one.
fn next_until(
    old: Option<&ProbeCursor>,
    complete: bool,
    newest: Option<DateTime<FixedOffset>>,
    read_at: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    let candidate = if complete {
        Some(read_at)
    } else {
        newest.filter(|t| *t <= read_at)
    };
    let previous = old
        .and_then(|c| parse_until(&c.until))
        .filter(|t| *t <= read_at);
    match (previous, candidate) {
        (Some(p), Some(c)) => Some(p.max(c)),
        (p, c) => c.or(p),
    }
}

fn merged<T>(
    fact: &mut Fact<T>,
    query: Query,
    carried: Option<&ProbeCursor>,
    window_start: DateTime<FixedOffset>,
    merge: impl FnOnce(&ProbeCursor, T, DateTime<FixedOffset>, DateTime<FixedOffset>) -> T,
) where
    T: Default,
{
    if let (Query::Since(start), Some(c), Ok(log)) = (query, carried, fact.as_mut()) {
        let new = std::mem::take(log);
        *log = merge(c, new, window_start, start);
    }
}

/// Merges the carried evidence into `obs` (for the probes read incrementally) and returns the
/// cursor to store. `read_at`: the time just before the probes ran.
pub fn apply(
    obs: &mut Observations,
    cursor: &LogCursor,
    queries: &Queries,
    window_minutes: u32,
    read_at: DateTime<FixedOffset>,
) -> LogCursor {
    let window_start = read_at - Duration::minutes(i64::from(window_minutes));
    merged(
        &mut obs.mdm_log,
        queries.mdmclient,
        cursor.log_mdmclient.as_ref(),
        window_start,
        merge_mdm,
    );
    merged(
        &mut obs.su_log,
        queries.softwareupdate,
        cursor.log_softwareupdate.as_ref(),
        window_start,
        merge_su,
    );
    let mut next = LogCursor {
        version: VERSION,
        ..LogCursor::default()
    };
    next.log_mdmclient = match &obs.mdm_log {
        Ok(log) => {
            let complete = log.stats.finished
                && !log.stats.cut_last_line
                && !truncated(obs, probes::LOG_MDMCLIENT);
            let newest = log.events.iter().filter_map(|e| e.line.time).max();
            next_until(cursor.log_mdmclient.as_ref(), complete, newest, read_at).map(|until| {
                ProbeCursor {
                    until: format_until(until),
                    window_minutes,
                    events: log
                        .events
                        .iter()
                        .filter(|e| in_window(e.line.time, window_start))
                        .map(|e| carried_line(&e.line))
                        .collect(),
                    identity_errors: log
                        .identity_errors
                        .iter()
                        .filter(|l| in_window(l.time, window_start))
                        .map(carried_line)
                        .collect(),
                    status_reports: Vec::new(),
                }
            })
        }
        // Nothing read: the old cursor stays (its carried items age out of the window).
        Err(_) => cursor.log_mdmclient.clone(),
    };
    next.log_softwareupdate = match &obs.su_log {
        Ok(log) => {
            let complete = log.stats.finished
                && !log.stats.cut_last_line
                && !truncated(obs, probes::LOG_SOFTWAREUPDATE);
            let newest = log.events.iter().filter_map(|e| e.line.time).max();
            next_until(
                cursor.log_softwareupdate.as_ref(),
                complete,
                newest,
                read_at,
            )
            .map(|until| ProbeCursor {
                until: format_until(until),
                window_minutes,
                events: log
                    .events
                    .iter()
                    .filter(|e| in_window(e.line.time, window_start))
                    .map(|e| {
                        let (k, pct, st) = su_kind_tag(&e.kind);
                        Carried {
                            t: e.line.timestamp.clone(),
                            m: e.line.message.clone(),
                            p: e.process.clone(),
                            k: Some(k.to_string()),
                            pct,
                            st,
                        }
                    })
                    .collect(),
                identity_errors: Vec::new(),
                status_reports: reports_to_carry(&log.status_reports, window_start),
            })
        }
        Err(_) => cursor.log_softwareupdate.clone(),
    };
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn cur(until: &str, window: u32) -> ProbeCursor {
        ProbeCursor {
            until: until.into(),
            window_minutes: window,
            ..ProbeCursor::default()
        }
    }

    #[test]
    fn plan_reads_the_full_window_unless_the_cursor_is_usable() {
        let now = t("2026-11-20T10:00:00-05:00");
        let cases: &[(Option<ProbeCursor>, Query)] = &[
            (None, Query::Full),
            (Some(cur("garbage", 90)), Query::Full),
            (Some(cur("", 90)), Query::Full),
            // In the future (the clock went back): full window.
            (Some(cur("2026-11-20T10:00:01-05:00", 90)), Query::Full),
            // Older than the window (the default 95-min schedule with a 90-min window).
            (Some(cur("2026-11-20T08:25:00-05:00", 90)), Query::Full),
            // Written for another window length.
            (Some(cur("2026-11-20T09:20:00-05:00", 60)), Query::Full),
            (
                Some(cur("2026-11-20T09:20:30.5-05:00", 90)),
                Query::Since(t("2026-11-20T09:15:30-05:00")),
            ),
            // Never before the window start; same instant in another offset.
            (
                Some(cur("2026-11-20T13:32:00Z", 90)),
                Query::Since(t("2026-11-20T08:30:00-05:00")),
            ),
            (
                Some(cur("2026-11-20T10:00:00-05:00", 90)),
                Query::Since(t("2026-11-20T09:55:00-05:00")),
            ),
        ];
        for (c, want) in cases {
            assert_eq!(plan(c.as_ref(), now, 90), *want, "{c:?}");
        }
    }

    #[test]
    fn corrupt_or_foreign_cursors_are_ignored() {
        for v in [
            serde_json::json!("x"),
            serde_json::json!({"version": 2}),
            serde_json::json!({"version": 1, "log_mdmclient": {"until": 5}}),
            serde_json::json!([1]),
        ] {
            let mut m = Map::new();
            m.insert(STATE_KEY.into(), v.clone());
            assert_eq!(LogCursor::from_extra(&m), None, "{v}");
        }
        assert_eq!(LogCursor::from_extra(&Map::new()), None);
    }

    #[test]
    fn start_argument_has_the_documented_shape() {
        assert_eq!(
            start_arg(t("2026-11-20T09:15:00-05:00")),
            "2026-11-20 09:15:00-05:00"
        );
    }

    #[test]
    fn until_never_moves_backwards() {
        let read_at = t("2026-11-20T10:00:00-05:00");
        let old = cur("2026-11-20T09:50:00-05:00", 90);
        // An incomplete read whose newest entry is older than the cursor keeps the cursor.
        assert_eq!(
            next_until(
                Some(&old),
                false,
                Some(t("2026-11-20T09:40:00-05:00")),
                read_at
            ),
            Some(t("2026-11-20T09:50:00-05:00"))
        );
        assert_eq!(
            next_until(Some(&old), false, None, read_at),
            Some(t("2026-11-20T09:50:00-05:00"))
        );
        assert_eq!(next_until(Some(&old), true, None, read_at), Some(read_at));
        // A future cursor is not kept; entries after the read's time do not move it there.
        let future = cur("2026-11-21T00:00:00-05:00", 90);
        assert_eq!(
            next_until(
                Some(&future),
                false,
                Some(t("2026-11-20T11:00:00-05:00")),
                read_at
            ),
            None
        );
        assert_eq!(next_until(None, false, None, read_at), None);
    }

    #[test]
    fn carried_reports_stop_at_the_newest_parseable_with_a_state() {
        let report = |min: u32, body: &str| StatusReport {
            timestamp: format!("2026-11-20 09:{min:02}:00.000000-0500"),
            time: parse_timestamp(&format!("2026-11-20 09:{min:02}:00.000000-0500")),
            process: "SoftwareUpdateSubscriber".into(),
            text: body.into(),
        };
        let with_state =
            "Reporting status {\n    \"softwareupdate.install-state\" = installing;\n}";
        let reports = vec![
            report(1, with_state),
            report(2, with_state),
            report(3, with_state),
        ];
        let kept = reports_to_carry(&reports, t("2026-11-20T08:30:00-05:00"));
        assert_eq!(kept.len(), 1);
        assert!(kept[0].t.contains("09:03"));
        // Out of the window: nothing carried.
        assert!(reports_to_carry(&reports, t("2026-11-20T09:30:00-05:00")).is_empty());
    }
}
