//! The persistent state file (`state.json`): when each service was last restarted, how, and with
//! what outcome. Heal reads it to space restarts (at most one per service per 24 h) and writes it
//! before acting (the intent) and after (the outcome), so a crash in between never allows a second
//! restart inside the spacing.
//!
//! Format (version 1), a JSON object:
//! - `version`: 1. A file without it is Addigy MDM Watchdog's and is read the same way.
//! - `last_mdm_kickstart`, `last_software_update_kickstart`: Addigy-compatible top-level keys,
//!   RFC 3339; Go's zero time `0001-01-01T00:00:00Z` (or null, or absent) means never. munkireport's
//!   `mdm_status` module and Jamf extension attributes read these. mdmwatch sets them when it
//!   records the intent to restart, so they mean "last restart attempt".
//! - `services`: per service key (`mdmclient`, `softwareupdated`) a [`ServiceRecord`].
//! - any other key (another tool's, a newer mdmwatch's) is preserved verbatim in
//!   [`State::extra`]; unknown keys inside a service record likewise.
//!
//! Reading never panics: a file that is not this format is reported as [`Loaded::Bad`] with its
//! modification time, and heal decides what to do with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::probes;
use crate::system::files;

pub(crate) const STATE_VERSION: u32 = 1;
/// The key mdmwatch 0.1 kept its log cursor under; read and dropped.
pub(crate) const RETIRED_LOG_CURSOR_KEY: &str = "log_cursor";
/// A state file is a few hundred bytes; anything past this is not ours.
pub(crate) const STATE_MAX_BYTES: u64 = 1024 * 1024;
/// World-readable: nothing secret, and `-diagnose` run by any user reads the restart times.
pub(crate) const STATE_MODE: u32 = 0o644;
/// Go's zero `time.Time` as `encoding/json` writes it: Addigy's "never".
pub(crate) const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// A service heal may restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Mdmclient,
    Softwareupdated,
}

impl Service {
    pub const ALL: [Service; 2] = [Service::Mdmclient, Service::Softwareupdated];

    /// Key in `services` and in the report.
    pub fn key(self) -> &'static str {
        match self {
            Service::Mdmclient => "mdmclient",
            Service::Softwareupdated => "softwareupdated",
        }
    }

    /// launchd label in the system domain.
    pub fn label(self) -> &'static str {
        match self {
            Service::Mdmclient => probes::MDMCLIENT_LABEL,
            Service::Softwareupdated => probes::SOFTWAREUPDATED_LABEL,
        }
    }
}

/// How a restart attempt ended. `Pending` is an intent whose outcome was never written (the
/// process died in between); it counts as an attempt like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pending,
    Restarted,
    FallbackSignal,
    RefusedByOs,
    Failed,
    /// Not known (carried over from an unreadable file, or written by a newer version).
    #[serde(other)]
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Restarted => "restarted",
            Outcome::FallbackSignal => "fallback_signal",
            Outcome::RefusedByOs => "refused_by_os",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The last restart attempt of one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// When the restart was decided and durably recorded, before any command ran.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub attempted_at: Option<DateTime<FixedOffset>>,
    /// "kickstart" (launchctl kickstart -k), "signal" (`kill -TERM <pid>`) or "unknown".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Clock guard: the first time a run saw this service's last attempt lying in the future
    /// (the clock went backwards, or a bogus time was recorded). Spacing is then counted from
    /// here, so a bogus far-future time blocks for 24 h, not forever.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub future_seen_at: Option<DateTime<FixedOffset>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// 0 when absent (a file written by Addigy's MDM Watchdog).
    #[serde(default)]
    pub version: u32,
    #[serde(default, with = "go_time")]
    pub last_mdm_kickstart: Option<DateTime<FixedOffset>>,
    #[serde(default, with = "go_time")]
    pub last_software_update_kickstart: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceRecord>,
    /// Keys this version does not know, kept as they were (other modules add their own here).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for State {
    fn default() -> State {
        State {
            version: STATE_VERSION,
            last_mdm_kickstart: None,
            last_software_update_kickstart: None,
            services: BTreeMap::new(),
            extra: Map::new(),
        }
    }
}

impl State {
    /// The Addigy-compatible "last kickstart" of a service.
    pub(crate) fn addigy_last(&self, s: Service) -> Option<DateTime<FixedOffset>> {
        match s {
            Service::Mdmclient => self.last_mdm_kickstart,
            Service::Softwareupdated => self.last_software_update_kickstart,
        }
    }

    fn addigy_last_mut(&mut self, s: Service) -> &mut Option<DateTime<FixedOffset>> {
        match s {
            Service::Mdmclient => &mut self.last_mdm_kickstart,
            Service::Softwareupdated => &mut self.last_software_update_kickstart,
        }
    }

    pub fn record(&self, s: Service) -> Option<&ServiceRecord> {
        self.services.get(s.key())
    }

    pub(crate) fn record_mut(&mut self, s: Service) -> &mut ServiceRecord {
        self.services.entry(s.key().to_string()).or_default()
    }

    /// The latest recorded restart attempt of `s`: the max of the Addigy key and our record, so
    /// a file written by either tool, or both, is honoured.
    pub fn last_attempt(&self, s: Service) -> Option<DateTime<FixedOffset>> {
        let ours = self.record(s).and_then(|r| r.attempted_at);
        match (self.addigy_last(s), ours) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Records the intent to restart `s` at `at` (outcome pending). Written before acting.
    pub fn record_intent(&mut self, s: Service, at: DateTime<FixedOffset>, method: &str) {
        *self.addigy_last_mut(s) = Some(at);
        let extra = std::mem::take(&mut self.record_mut(s).extra);
        *self.record_mut(s) = ServiceRecord {
            attempted_at: Some(at),
            method: Some(method.to_string()),
            outcome: Some(Outcome::Pending),
            extra,
            ..ServiceRecord::default()
        };
    }

    /// Records how the attempt recorded by [`State::record_intent`] ended.
    pub fn record_outcome(
        &mut self,
        s: Service,
        at: DateTime<FixedOffset>,
        method: &str,
        outcome: Outcome,
        detail: Option<String>,
    ) {
        let r = self.record_mut(s);
        r.method = Some(method.to_string());
        r.outcome = Some(outcome);
        r.finished_at = Some(at);
        r.detail = detail;
    }

    /// Serialised as written to disk (pretty, trailing newline). An error, never a substitute
    /// document: writing anything else would erase the restart history.
    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut out = State {
            version: self.version.max(STATE_VERSION),
            ..self.clone()
        };
        // A field of ours must not also sit in `extra` (it would be written twice).
        for k in [
            "version",
            "last_mdm_kickstart",
            "last_software_update_kickstart",
            "services",
        ] {
            out.extra.remove(k);
        }
        encode(&out)
    }

    /// Parses a state file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<State, String> {
        let mut st = serde_json::from_slice::<State>(bytes)
            .map_err(|e| format!("not a valid state file: {e}"))?;
        // Written by mdmwatch 0.1's incremental log cursor, since removed (it never saved work
        // at the scheduled interval): dropped on read so the next write forgets it.
        st.extra.remove(RETIRED_LOG_CURSOR_KEY);
        Ok(st)
    }
}

/// What was found at the state path.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// No file: no restart was ever recorded.
    Missing,
    Found(State),
    /// Present but unreadable or not this format. `modified` is the file's own mtime, used to
    /// judge whether a restart it may have recorded could still be inside the spacing.
    Bad {
        reason: String,
        modified: Option<DateTime<FixedOffset>>,
    },
}

/// Reads the state file (never follows a symlink, never reads more than `STATE_MAX_BYTES`).
pub fn load(path: &Path) -> Loaded {
    let modified = || {
        files::modified(path)
            .ok()
            .map(|t| DateTime::<Utc>::from(t).fixed_offset())
    };
    match files::read_bounded(path, STATE_MAX_BYTES + 1) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::Missing,
        Err(e) => Loaded::Bad {
            reason: format!("cannot read {}: {e}", path.display()),
            modified: modified(),
        },
        Ok(bytes) if bytes.len() as u64 > STATE_MAX_BYTES => Loaded::Bad {
            reason: format!("{} is larger than {STATE_MAX_BYTES} bytes", path.display()),
            modified: modified(),
        },
        Ok(bytes) => match State::from_bytes(&bytes) {
            Ok(s) => Loaded::Found(s),
            Err(e) => Loaded::Bad {
                reason: format!("{}: {e}", path.display()),
                modified: modified(),
            },
        },
    }
}

/// Writes the state atomically (temp file, fsync, rename, fsync dir); returns only once durable.
/// A value that cannot be serialised is an error and the file is left as it was; heal then
/// records nothing and so restarts nothing.
pub fn save(path: &Path, state: &State) -> std::io::Result<()> {
    files::write_atomic(path, &state.to_bytes()?, STATE_MODE)
}

/// Pretty JSON with a trailing newline, as the state file is written.
fn encode<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("cannot serialise the state: {e}"),
        )
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes any serialisable value as a state file would be written.
#[cfg(test)]
fn save_value<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    files::write_atomic(path, &encode(value)?, STATE_MODE)
}

/// The lock file guarding decide-and-act: next to the state file.
pub fn lock_path(state_path: &Path) -> PathBuf {
    let mut name = state_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "state.json".into());
    name.push(".lock");
    state_path.with_file_name(name)
}

/// Where a bad state file is moved: `state.json.corrupt-<UTC timestamp>`.
pub(crate) fn corrupt_path(state_path: &Path, now: DateTime<FixedOffset>) -> PathBuf {
    let mut name = state_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "state.json".into());
    name.push(format!(
        ".corrupt-{}",
        now.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ")
    ));
    state_path.with_file_name(name)
}

// ---------------------------------------------------------------------------------------------
// The MDM channel's history across runs (its own key; heal's records are untouched)

/// The key of [`ChannelHistory`] in `state.json`.
pub(crate) const CHANNEL_HISTORY_KEY: &str = "channel_history";

/// What earlier runs saw of the MDM channel, so a verdict can look further back than one log
/// window: on a DDM-era Mac the channel is idle most of the time, and a Mac cut off for a week
/// looks like a healthy idle one in 90 minutes of log. Every time is the newest sighting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelHistory {
    /// The first run that recorded history: "no exchange since" can be said back to here.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<FixedOffset>>,
    /// The end ("now") of the last run that recorded: the next run's log window starts here.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_run_end: Option<DateTime<FixedOffset>>,
    /// A successful exchange: a (200) response.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_exchange: Option<DateTime<FixedOffset>>,
    /// A command receipt (`Processing server request`).
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_receipt: Option<DateTime<FixedOffset>>,
    /// apsd's courier connection.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_push_connected: Option<DateTime<FixedOffset>>,
    /// A push received on the MDM profile's topic (`apsctl status`).
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_mdm_push: Option<DateTime<FixedOffset>>,
    /// `Unable to create MDM identity`.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_identity_error: Option<DateTime<FixedOffset>>,
    /// Per failure cause code (`server_error`, `auth_rejected`, ...), the newest failure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_failure: BTreeMap<String, String>,
    /// Keys a newer version wrote, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelHistory {
    /// The newer of two optional times.
    pub fn newest(
        a: Option<DateTime<FixedOffset>>,
        b: Option<DateTime<FixedOffset>>,
    ) -> Option<DateTime<FixedOffset>> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The newest exchange of either kind (a (200) response or a receipt).
    pub(crate) fn last_any_exchange(&self) -> Option<DateTime<FixedOffset>> {
        Self::newest(self.last_exchange, self.last_receipt)
    }
}

/// What was found of the history when this run started.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum HistoryInput {
    /// Not read: a replay without `--state`, or a check run in a test.
    #[default]
    NotRead,
    /// No state file, or one without the key: the first run.
    Missing,
    /// The state file or the key cannot be read (the reason); this run starts over.
    Unreadable(String),
    Found(ChannelHistory),
}

impl HistoryInput {
    pub fn history(&self) -> Option<&ChannelHistory> {
        match self {
            HistoryInput::Found(h) => Some(h),
            _ => None,
        }
    }
}

impl State {
    /// The channel history, tolerant: a value that is not a history is `Unreadable`, never a
    /// failure of the whole state file (heal's records stay usable).
    pub fn channel_history(&self) -> HistoryInput {
        match self.extra.get(CHANNEL_HISTORY_KEY) {
            None => HistoryInput::Missing,
            Some(v) => match serde_json::from_value::<ChannelHistory>(v.clone()) {
                Ok(h) => HistoryInput::Found(h),
                Err(e) => HistoryInput::Unreadable(format!("{CHANNEL_HISTORY_KEY}: {e}")),
            },
        }
    }

    pub(crate) fn set_channel_history(&mut self, h: &ChannelHistory) -> std::io::Result<()> {
        let v = serde_json::to_value(h)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{e}")))?;
        self.extra.insert(CHANNEL_HISTORY_KEY.to_string(), v);
        Ok(())
    }
}

/// Reads the channel history from the state file at `path`.
pub(crate) fn load_history(path: &Path) -> HistoryInput {
    match load(path) {
        Loaded::Missing => HistoryInput::Missing,
        Loaded::Found(s) => s.channel_history(),
        Loaded::Bad { reason, .. } => HistoryInput::Unreadable(reason),
    }
}

/// Writes the channel history into the state file at `path`, keeping every other key (heal's
/// records above all), under the same lock heal takes. A state file that cannot be read is left
/// for heal to set aside, unless it is older than a day (then heal would not count it either):
/// moving a fresher one aside here could erase a restart heal must still count.
pub(crate) fn save_history(
    path: &Path,
    h: &ChannelHistory,
    now: DateTime<FixedOffset>,
) -> Result<(), String> {
    let lock = lock_path(path);
    let _held = match files::try_lock(&lock, STATE_MODE) {
        Ok(files::TryLock::Held(l)) => l,
        Ok(files::TryLock::Busy) => {
            return Err("another run holds the state lock; channel history not recorded".into())
        }
        Err(e) => return Err(format!("cannot lock {}: {e}", lock.display())),
    };
    let mut st = match load(path) {
        Loaded::Missing => State::default(),
        Loaded::Found(s) => s,
        Loaded::Bad { reason, modified } => {
            let old = modified.is_some_and(|m| now - m > chrono::Duration::hours(24));
            if !old {
                return Err(format!(
                    "{reason}: left for heal to set aside; channel history not recorded"
                ));
            }
            files::rename_aside(path, &corrupt_path(path, now))
                .map_err(|e| format!("cannot set aside {}: {e}", path.display()))?;
            State::default()
        }
    };
    st.set_channel_history(h).map_err(|e| e.to_string())?;
    save(path, &st).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// RFC 3339 with the time's own offset, whole seconds: the one time format of reports, status
/// files and the state file. The offset is the Mac's local one: live times come from its clock
/// and logged times carry it (a replay keeps the captured Mac's).
pub(crate) fn format_time(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A time from elsewhere (a certificate's UTC validity, a tool's own format) in the one format,
/// at the Mac's local offset (`local`: the run's clock, `Observations::now`).
pub(crate) fn format_time_in<Tz: chrono::TimeZone>(
    t: &DateTime<Tz>,
    local: &FixedOffset,
) -> String {
    format_time(t.with_timezone(local))
}

/// A time as another tool printed it (RFC 3339, or `profiles`' `2026-03-02 14:05:11 +0000`), in
/// the one format at the local offset; kept as printed when it is neither.
pub(crate) fn reformat_time(s: &str, local: &FixedOffset) -> String {
    let t = s.trim();
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S %z"))
        .map(|t| format_time_in(&t, local))
        .unwrap_or_else(|_| s.to_string())
}

/// The Addigy keys in the state file (`last_mdm_kickstart`, `last_software_update_kickstart`):
/// RFC 3339 with the local offset and microseconds, as MDM Watchdog (Go) writes them, because
/// munkireport's `mdm_status` parses them with `%Y-%m-%dT%H:%M:%S.%f%z`, which needs the
/// fraction and an offset.
pub(crate) fn format_addigy_time(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Parses a recorded time: RFC 3339 (Go writes nanoseconds and a local offset); empty strings
/// and Go's zero time (year 1) mean never.
pub(crate) fn parse_time(s: &str) -> Result<Option<DateTime<FixedOffset>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let t = DateTime::parse_from_rfc3339(s).map_err(|e| format!("{s:?} is not RFC 3339: {e}"))?;
    // Go's zero time; nothing real happened in year 1 (or before, which an offset can reach).
    let year = t.with_timezone(&Utc).year();
    if year <= 1 {
        return Ok(None);
    }
    // Written back in UTC, a time past 9999 would be `+10000-...`, which is not RFC 3339: a
    // state file accepted here must stay readable once rewritten.
    if year > 9999 {
        return Err(format!("{s:?} is after the year 9999"));
    }
    Ok(Some(t))
}

fn deserialize_time<'de, D>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => parse_time(&s).map_err(serde::de::Error::custom),
    }
}

/// The Addigy keys: never is written as Go's zero time, as MDM Watchdog writes it.
mod go_time {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_addigy_time(*t)),
            None => s.serialize_str(GO_ZERO_TIME),
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        deserialize_time(d)
    }
}

/// Our own optional times (omitted when absent).
mod opt_time {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_time(*t)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        deserialize_time(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn addigy_file_with_zero_times_is_never() {
        let s = State::from_bytes(
            br#"{"last_mdm_kickstart":"0001-01-01T00:00:00Z","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(s.version, 0);
        assert_eq!(s.last_attempt(Service::Mdmclient), None);
        assert_eq!(s.last_attempt(Service::Softwareupdated), None);
    }

    #[test]
    fn addigy_file_with_go_nanosecond_local_times_is_read() {
        let s = State::from_bytes(
            br#"{"last_mdm_kickstart":"2023-06-19T19:43:13.938293-04:00","last_software_update_kickstart":"0001-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(
            s.last_attempt(Service::Mdmclient),
            Some(t("2023-06-19T23:43:13.938293Z"))
        );
    }

    #[test]
    fn the_retired_log_cursor_of_0_1_is_read_and_dropped() {
        let s = State::from_bytes(
            br#"{"version":1,"log_cursor":{"version":1,"log_mdmclient":{"read_to":"2026-01-01T00:00:00Z"}},"last_mdm_kickstart":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert!(s.extra.is_empty(), "{:?}", s.extra);
        assert_eq!(
            s.last_attempt(Service::Mdmclient),
            Some(t("2026-01-01T00:00:00Z"))
        );
        let v: Value = serde_json::from_slice(&s.to_bytes().unwrap()).unwrap();
        assert!(v.get(RETIRED_LOG_CURSOR_KEY).is_none());
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let s = State::from_bytes(
            br#"{"version":1,"other_tool":{"mdmclient":"2026-01-01T00:00:00Z"},"services":{"mdmclient":{"attempted_at":"2026-01-01T00:00:00Z","outcome":"restarted","future_key":7},"other":{}}}"#,
        )
        .unwrap();
        let back = State::from_bytes(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(back, s);
        let v: Value = serde_json::from_slice(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(v["other_tool"]["mdmclient"], "2026-01-01T00:00:00Z");
        assert_eq!(v["services"]["mdmclient"]["future_key"], 7);
        assert!(v["services"]["other"].is_object());
    }

    #[test]
    fn never_is_written_as_go_zero_time() {
        let v: Value = serde_json::from_slice(&State::default().to_bytes().unwrap()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["last_mdm_kickstart"], GO_ZERO_TIME);
        assert_eq!(v["last_software_update_kickstart"], GO_ZERO_TIME);
    }

    #[test]
    fn intent_then_outcome() {
        let mut s = State::default();
        let at = t("2026-11-23T10:00:00+01:00");
        s.record_intent(Service::Softwareupdated, at, "kickstart");
        let r = s.record(Service::Softwareupdated).unwrap();
        assert_eq!(r.outcome, Some(Outcome::Pending));
        assert_eq!(s.last_software_update_kickstart, Some(at));
        assert_eq!(s.last_attempt(Service::Softwareupdated), Some(at));
        s.record_outcome(
            Service::Softwareupdated,
            at,
            "signal",
            Outcome::FallbackSignal,
            None,
        );
        let v: Value = serde_json::from_slice(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(
            v["services"]["softwareupdated"]["outcome"],
            "fallback_signal"
        );
        assert_eq!(
            v["last_software_update_kickstart"], "2026-11-23T10:00:00.000000+01:00",
            "written with the local offset and microseconds, as MDM Watchdog writes it"
        );
    }

    #[test]
    fn last_attempt_is_the_max_of_both_sources() {
        let mut s = State {
            last_mdm_kickstart: Some(t("2026-01-02T00:00:00Z")),
            ..State::default()
        };
        s.record_mut(Service::Mdmclient).attempted_at = Some(t("2026-01-01T00:00:00Z"));
        assert_eq!(
            s.last_attempt(Service::Mdmclient),
            Some(t("2026-01-02T00:00:00Z"))
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"null",
            b"[]",
            b"{\"last_mdm_kickstart\": 5}",
            b"{\"last_mdm_kickstart\": \"yesterday\"}",
            b"\xff\xfe",
            b"{\"services\": []}",
        ] {
            assert!(State::from_bytes(bad).is_err(), "{bad:?}");
        }
        // Null and empty times are "never", not errors.
        let s = State::from_bytes(
            br#"{"last_mdm_kickstart":null,"last_software_update_kickstart":""}"#,
        )
        .unwrap();
        assert_eq!(s.last_attempt(Service::Mdmclient), None);
    }

    #[test]
    fn unknown_outcome_from_a_newer_version_is_read() {
        let s = State::from_bytes(
            br#"{"version":2,"services":{"mdmclient":{"attempted_at":"2026-01-01T00:00:00Z","outcome":"rebooted"}}}"#,
        )
        .unwrap();
        assert_eq!(
            s.record(Service::Mdmclient).unwrap().outcome,
            Some(Outcome::Unknown)
        );
        // The newer version number is not downgraded on write.
        let v: Value = serde_json::from_slice(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(v["version"], 2);
    }

    #[test]
    fn load_missing_bad_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        assert_eq!(load(&p), Loaded::Missing);
        std::fs::write(&p, b"{not json").unwrap();
        assert!(matches!(
            load(&p),
            Loaded::Bad {
                modified: Some(_),
                ..
            }
        ));
        save(&p, &State::default()).unwrap();
        assert_eq!(load(&p), Loaded::Found(State::default()));
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(matches!(load(&link), Loaded::Bad { .. }), "symlink refused");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = State::from_bytes(&bytes);
        }

        #[test]
        fn arbitrary_time_strings_never_panic(s in "\\PC{0,40}") {
            let _ = parse_time(&s);
            let doc = serde_json::json!({"last_mdm_kickstart": s}).to_string();
            let _ = State::from_bytes(doc.as_bytes());
        }
    }

    /// A value whose serialisation fails, standing in for any future field that can.
    struct Unserialisable;

    impl Serialize for Unserialisable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("cannot be serialised"))
        }
    }

    /// A failed serialisation is an error and leaves the file as it was: writing `{}` instead
    /// would erase the restart history and open the rate limit.
    #[test]
    fn failed_serialisation_is_an_error_and_keeps_the_history() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let mut st = State::default();
        st.record_intent(Service::Mdmclient, t("2026-11-23T10:00:00Z"), "kickstart");
        save(&p, &st).unwrap();
        let before = std::fs::read(&p).unwrap();
        assert!(save_value(&p, &Unserialisable).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), before);
        assert_eq!(load(&p), Loaded::Found(st));
    }

    #[test]
    fn paths_next_to_the_state() {
        let p = Path::new("/Library/Application Support/mdmwatch/state.json");
        assert_eq!(
            lock_path(p),
            Path::new("/Library/Application Support/mdmwatch/state.json.lock")
        );
        assert_eq!(
            corrupt_path(p, t("2026-11-23T15:04:05+01:00")),
            Path::new("/Library/Application Support/mdmwatch/state.json.corrupt-20261123T140405Z")
        );
    }

    #[test]
    fn channel_history_has_its_own_key_and_keeps_heals_records() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let mut st = State::default();
        st.record_intent(Service::Mdmclient, t("2026-11-19T10:00:00Z"), "kickstart");
        st.extra
            .insert("other_tool".into(), serde_json::json!({"k": 1}));
        save(&p, &st).unwrap();
        assert_eq!(load_history(&p), HistoryInput::Missing);
        let h = ChannelHistory {
            since: Some(t("2026-11-15T10:00:00Z")),
            last_run_end: Some(t("2026-11-20T10:00:00Z")),
            last_exchange: Some(t("2026-11-19T09:00:00Z")),
            last_failure: [(
                "server_error".to_string(),
                "2026-11-20T09:00:00Z".to_string(),
            )]
            .into_iter()
            .collect(),
            ..ChannelHistory::default()
        };
        save_history(&p, &h, t("2026-11-20T10:00:00Z")).unwrap();
        assert_eq!(load_history(&p), HistoryInput::Found(h.clone()));
        let Loaded::Found(back) = load(&p) else {
            panic!("state unreadable")
        };
        assert_eq!(
            back.record(Service::Mdmclient),
            st.record(Service::Mdmclient)
        );
        assert_eq!(back.last_mdm_kickstart, st.last_mdm_kickstart);
        assert_eq!(back.extra["other_tool"], serde_json::json!({"k": 1}));
        // Heal's own write (from the state it loaded) keeps the history.
        let mut healed = back.clone();
        healed.record_intent(
            Service::Softwareupdated,
            t("2026-11-20T10:05:00Z"),
            "kickstart",
        );
        save(&p, &healed).unwrap();
        assert_eq!(load_history(&p), HistoryInput::Found(h));
    }

    #[test]
    fn a_bad_history_value_or_file_is_unreadable_never_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        std::fs::write(
            &p,
            br#"{"version":1,"channel_history":{"since":"yesterday"}}"#,
        )
        .unwrap();
        assert!(matches!(load_history(&p), HistoryInput::Unreadable(_)));
        // The file itself is fine: heal reads it.
        assert!(matches!(load(&p), Loaded::Found(_)));
        // Rewriting the history replaces the bad value.
        let h = ChannelHistory {
            since: Some(t("2026-11-20T10:00:00Z")),
            ..ChannelHistory::default()
        };
        save_history(&p, &h, t("2026-11-20T10:00:00Z")).unwrap();
        assert_eq!(load_history(&p), HistoryInput::Found(h.clone()));
        // A corrupt file younger than a day is left for heal (it may hold a recent restart).
        std::fs::write(&p, b"{ not json").unwrap();
        let now = DateTime::<Utc>::from(std::time::SystemTime::now()).fixed_offset();
        assert!(save_history(&p, &h, now).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"{ not json");
        // Older than a day (by this run's clock): set aside like heal does, history written.
        let later = now + chrono::Duration::hours(25);
        save_history(&p, &h, later).unwrap();
        assert_eq!(load_history(&p), HistoryInput::Found(h));
        assert!(corrupt_path(&p, later).exists());
    }
}
