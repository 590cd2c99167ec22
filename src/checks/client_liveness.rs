//! `mdm.client_liveness`: is mdmclient's channel to the MDM server working, and if not, why.
//!
//! Pure: reads `obs.mdm_log` (system-binary entries only, see `parse::log_summary`), the probe
//! summary (to know whether the output was cut), the push reading and `obs.now`. The rules live in
//! `liveness::read_client`: an exchange is a (200) response or a command receipt; failures are
//! non-200 responses and transport errors only, named by the cause that dominates them; the
//! `[ERROR]` tag is context; a receipt never answered while the window holds HTTP lines, or while
//! the log came from mdmwatch's own predicate (which returns them), means the client stopped.
//! Two steps: `decide` (a typed [`ClientSituation`]) and [`judge`] (the words). The same rules
//! on macOS 15, 26 and 27: the HTTPUtil and receipt lines they read have one format there. A Mac the server simply
//! did not contact is *quiet* and `ok` (Addigy's rule calls it stuck; `StrictAddigyLiveness`
//! follows it), because a restart cannot make a silent server send anything.

use super::liveness::{self, ClientState, FailureCause, PushState, Window};
use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::mdm_log::{MdmEvent, MdmEventKind};
use crate::probes;

/// Evidence lines per finding: a handful, not hundreds.
pub const MAX_EVIDENCE: usize = 6;

const REMEDIATION_GENERAL: &str = "check the network path from the Mac to the MDM server (HTTPS 443) and to APNs (TCP 5223, fallback 443); \
mdmwatch -heal restarts mdmclient (at most once per 24 h) only when it received a command and never answered it";

/// True when the probe's output was cut by its byte cap (the newest entries are missing,
/// since `log show` prints oldest first).
pub(crate) fn probe_truncated(obs: &Observations, id: &str) -> bool {
    obs.probes.iter().any(|p| p.id == id && p.truncated)
}

pub(crate) fn evidence_of(source: &str, e: &crate::parse::mdm_log::LogLine) -> Evidence {
    Evidence::log(source, e.timestamp.clone(), e.message.clone())
}

/// mdmclient's channel in the window and the log figures behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientLivenessAssessment {
    pub judgement: Judgement,
    pub state: ClientState,
    /// The deciding evidence rests on verified log patterns only (docs/LOG-PATTERNS.md).
    pub verified: bool,
    pub window_minutes: u32,
    pub strict_addigy: bool,
    /// Under `StrictAddigyLiveness`: the ordinary rules' state and whether it is verified, on the
    /// same window and with the same guards (a cut log is unknown). The channel verdict reads it
    /// (a heal setting never changes that verdict); a verified failure is also `state` (the
    /// strict rule never hides it). `None` without the setting (`state` is the ordinary
    /// reading then).
    pub ordinary: Option<(ClientState, bool)>,
    /// `None` when the log is unknown.
    pub log: Option<ClientLogReading>,
}

impl ClientLivenessAssessment {
    /// Addigy's `MDMClientStuck`: communication failing on verified evidence, whatever the cause.
    pub(crate) fn addigy_stuck(&self) -> Option<bool> {
        match self.state {
            ClientState::Failing(_) => Some(self.verified),
            ClientState::Alive | ClientState::Quiet => Some(false),
            ClientState::Unknown => None,
        }
    }
}

/// What the window of the mdmclient log showed. Timestamps are as the log printed them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientLogReading {
    pub last_exchange: Option<String>,
    pub last_success: Option<String>,
    pub last_failure: Option<String>,
    pub last_failure_text: Option<String>,
    /// The HTTP status of the newest non-200 response.
    pub last_failure_status: Option<u16>,
    pub last_command: Option<String>,
    pub last_command_at: Option<String>,
    /// A receipt never answered while the window holds HTTP lines (the client stopped).
    pub unanswered_command: Option<String>,
    pub unanswered_command_at: Option<String>,
    /// A receipt with no HTTP line at all in the window: whether it was answered cannot be told.
    pub unjudged_command: Option<String>,
    pub last_error_tag_text: Option<String>,
    pub successes: usize,
    pub receipts: usize,
    pub failures: usize,
    pub http_lines: usize,
    pub error_tags: usize,
    pub entries: u64,
    pub skipped_lines: u64,
    pub user_channel_lines: u64,
    /// Entries from binaries outside the system paths (or a local user's copy), never used.
    pub rejected_entries: u64,
    pub future_entries: usize,
    pub truncated: bool,
}

fn ts(e: Option<&MdmEvent>) -> Option<String> {
    e.map(|e| e.line.timestamp.clone())
}

fn cause_summary(cause: FailureCause, r: &liveness::ClientReading<'_>, window: &str) -> String {
    let since = match r.last_exchange {
        Some(e) => format!("since the last exchange at {}", e.line.timestamp),
        None => format!("and no successful exchange in {window}"),
    };
    let n = r.failures_since_exchange.len();
    match cause {
        FailureCause::ClientWedged => format!(
            "failing (client_wedged): command {} received at {} was never answered (no HTTP request or response after it, while {})",
            r.unanswered.and_then(|e| e.command()).unwrap_or("?"),
            r.unanswered.map(|e| e.line.timestamp.as_str()).unwrap_or("?"),
            if r.http_lines > 0 {
                format!("the window holds {} HTTP lines", r.http_lines)
            } else {
                "the log was taken with mdmwatch's own predicate, which returns every HTTP line".to_string()
            }
        ),
        FailureCause::ServerError => format!(
            "failing (server_error): {n} exchanges got an HTTP error from the server {since} (last status {}{})",
            r.last_failure
                .and_then(|e| e.http_failure())
                .map_or("?".to_string(), |s| s.to_string()),
            others(r, cause)
        ),
        FailureCause::AuthRejected => format!(
            "failing (auth_rejected): the server refused {n} exchanges with HTTP 401/403 {since}: it does not accept this Mac's identity or enrollment"
        ),
        FailureCause::TransportFailure => {
            if n == 0 {
                format!("failing (transport_failure, unverified): mdmclient sent requests in {window} and logged no response at all")
            } else {
                format!("failing (transport_failure, unverified): {n} network errors {since}")
            }
        }
        FailureCause::StrictNo200 => format!(
            "stuck (strict Addigy rule): no HTTP 200 response from the MDM server in {window}"
        ),
        FailureCause::Channel(b) => format!("failing ({}): see mdm.channel", b.code()),
        FailureCause::Ddm(b) => format!("failing ({}): see softwareupdate.ddm", b.code()),
    }
}

/// The failures of other causes beside the dominant one, as evidence, in words: "; also 1 HTTP
/// 401/403 refusal among them" (the cause codes stay in the facts).
fn others(r: &liveness::ClientReading<'_>, dominant: FailureCause) -> String {
    let rest: Vec<String> = r
        .failure_counts
        .iter()
        .filter(|(c, _)| *c != dominant)
        .map(|(c, n)| {
            let (one, many) = match c {
                FailureCause::ServerError => ("server error", "server errors"),
                FailureCause::AuthRejected => ("HTTP 401/403 refusal", "HTTP 401/403 refusals"),
                FailureCause::TransportFailure => ("network error", "network errors"),
                FailureCause::ClientWedged => ("unanswered command", "unanswered commands"),
                FailureCause::StrictNo200 | FailureCause::Channel(_) | FailureCause::Ddm(_) => {
                    return format!("{n} {}", c.code().replace('_', " "));
                }
            };
            format!("{n} {}", if *n == 1 { one } else { many })
        })
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!(
            "; also {} among them, not the dominant cause",
            rest.join(", ")
        )
    }
}

/// Something the window showed beside the verdict, said in the summary's parenthesis.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// Entries later than now (clock skew or a replayed capture), counted as recent.
    Future {
        count: usize,
        now: String,
    },
    Untimed(usize),
    Skipped(u64),
    /// Entries from binaries that are not the system's mdmclient, never used.
    Rejected(u64),
    /// `[ERROR]` lines: context, not failures.
    ErrorTags(usize),
    /// A receipt with nothing after it whose answer could not have been seen (foreign predicate).
    UnjudgedReceipt {
        command: String,
        at: String,
    },
    /// The output was cut but already shows an exchange.
    CutButAlive,
}

/// What the mdmclient log shows in the window, decided before any wording.
#[derive(Debug, Clone)]
pub struct ClientSituation<'a> {
    pub state: ClientState,
    pub verified: bool,
    pub reading: liveness::ClientReading<'a>,
    pub notes: Vec<Note>,
    /// The output was cut and the window shows no exchange: the state it would have read.
    pub truncated_would_read: Option<ClientState>,
    pub truncated: bool,
    pub window_minutes: u32,
}

/// The window's situation. Pure: no wording.
pub(crate) fn decide<'a>(
    obs: &Observations,
    log: &'a crate::parse::mdm_log::MdmLog,
    cfg: &Config,
) -> ClientSituation<'a> {
    let w = Window::new(obs.now, cfg.liveness_window_minutes);
    let r = liveness::read_client_with(log, &w, cfg.strict_addigy, obs.mdm_log_own_predicate);
    let truncated = probe_truncated(obs, probes::LOG_MDMCLIENT) || log.stats.cut_last_line;
    let mut notes = Vec::new();
    if r.future > 0 {
        notes.push(Note::Future {
            count: r.future,
            now: crate::state::format_time(obs.now),
        });
    }
    if r.untimed > 0 {
        notes.push(Note::Untimed(r.untimed));
    }
    if log.stats.skipped > 0 {
        notes.push(Note::Skipped(log.stats.skipped));
    }
    if log.rejected.count > 0 {
        notes.push(Note::Rejected(log.rejected.count));
    }
    if r.error_tags > 0 {
        notes.push(Note::ErrorTags(r.error_tags));
    }
    if let Some(rc) = r.unjudgeable_receipt {
        notes.push(Note::UnjudgedReceipt {
            command: rc.command().unwrap_or("?").to_string(),
            at: rc.line.timestamp.clone(),
        });
    }
    let mut state = r.state;
    let mut truncated_would_read = None;
    if truncated {
        if state == ClientState::Alive {
            notes.push(Note::CutButAlive);
        } else {
            // `log show` prints oldest first: a cut output lacks the newest entries, which could
            // hold the exchange or the answer. Never judge on half the evidence.
            truncated_would_read = Some(state);
            state = ClientState::Unknown;
        }
    }
    ClientSituation {
        state,
        verified: r.verified,
        notes,
        truncated_would_read,
        truncated,
        window_minutes: w.minutes,
        reading: r,
    }
}

fn note_text(n: &Note) -> String {
    match n {
        Note::Future { count, now } => format!(
            "{count} entries are later than now ({now}): clock skew or a replayed capture; they were counted as recent"
        ),
        Note::Untimed(n) => format!("{n} entries had no readable timestamp and were ignored"),
        Note::Skipped(n) => format!("{n} unreadable lines skipped"),
        Note::Rejected(n) => format!(
            "{n} entries not from the system's mdmclient (another binary, or a uid, category or format it does not log with) were ignored (any process can log under that name)"
        ),
        Note::ErrorTags(n) => format!(
            "{n} [ERROR] lines: mdmclient's generic error tag for app installs, SCEP and profiles, not failed exchanges"
        ),
        Note::UnjudgedReceipt { command, at } => format!(
            "command {command} at {at} has no HTTP line after it, but the window holds no HTTP line at all and the log was not taken with mdmwatch's own predicate (someone else's query, or a capture that did not record its command line), so whether it was answered cannot be told"
        ),
        Note::CutButAlive => {
            "the log output was cut, but it already shows a successful exchange".to_string()
        }
    }
}

/// The words for a situation: status, one summary, the deciding lines, remediation.
pub fn judge(s: &ClientSituation<'_>, push: PushState) -> Judgement {
    let r = &s.reading;
    let state = s.state;
    let source = probes::LOG_MDMCLIENT;
    let window_text = format!("the last {} min", s.window_minutes);
    let summary = match state {
        ClientState::Unknown => String::new(),
        ClientState::Quiet => {
            let mut t = format!(
                "quiet: no MDM traffic in {window_text} (no command, check-in or failure); the server did not contact this Mac, which is not a fault (Addigy's rule would call it stuck: set StrictAddigyLiveness to follow it)"
            );
            if push == PushState::Disconnected {
                t.push_str("; the Mac has no push connection to APNs (see mdm.push), so the server's pushes cannot reach it: that is the cause, not mdmclient");
            }
            t
        }
        ClientState::Alive => match (r.last_success, r.last_exchange) {
            (Some(x), _) => format!(
                "alive: {} successful exchanges and {} command receipts in {window_text}, last at {}",
                r.successes,
                r.receipts,
                r.last_exchange.map_or(x.line.timestamp.as_str(), |e| e.line.timestamp.as_str())
            ),
            (None, Some(e)) => format!(
                "alive: {} command receipts in {window_text} (the server delivered commands over a working connection), last at {}",
                r.receipts, e.line.timestamp
            ),
            (None, None) => format!("alive in {window_text}"),
        },
        ClientState::Failing(cause) => cause_summary(cause, r, &window_text),
    };
    let status = match state {
        ClientState::Unknown => Status::Unknown,
        ClientState::Failing(_) if s.verified => Status::Failed,
        // Unverified evidence may warn; it never fails the finding.
        ClientState::Failing(_) => Status::Warning,
        ClientState::Alive | ClientState::Quiet => Status::Ok,
    };
    let mut judgement = match state {
        ClientState::Unknown => Judgement::unknown(match s.truncated_would_read {
            Some(would) => format!(
                "probe {source} output was truncated (the newest entries are missing), so the evidence is incomplete; without the cut it would read {}",
                would.code()
            ),
            None => "no verdict".into(),
        }),
        _ => Judgement::new(status, summary),
    };
    if !s.notes.is_empty() {
        let notes: Vec<String> = s.notes.iter().map(note_text).collect();
        let (sep, end) = if state == ClientState::Unknown {
            ("; ", "")
        } else {
            (" (", ")")
        };
        judgement.summary = format!("{}{sep}{}{end}", judgement.summary, notes.join("; "));
    }

    // A handful of lines: the ones that decided, in time order.
    let mut picked: Vec<&MdmEvent> = Vec::new();
    let candidates = [r.unanswered, r.unjudgeable_receipt, r.last_exchange]
        .into_iter()
        .chain(
            r.failures_since_exchange
                .iter()
                .rev()
                .take(3)
                .map(|e| Some(*e)),
        )
        .chain([r.last_success, r.last_error_tag]);
    for e in candidates.flatten() {
        if !picked.iter().any(|p| std::ptr::eq(*p, e)) && picked.len() < MAX_EVIDENCE {
            picked.push(e);
        }
    }
    picked.sort_by_key(|e| e.line.time);
    for e in picked {
        judgement = judgement.evidence(evidence_of(source, &e.line));
    }
    judgement.remediation(match state.cause() {
        Some(c) => c.remedy(),
        None => REMEDIATION_GENERAL,
    })
}

pub fn assess(obs: &Observations, cfg: &Config, push: PushState) -> ClientLivenessAssessment {
    let log = match &obs.mdm_log {
        Ok(l) => l,
        Err(u) => {
            return ClientLivenessAssessment {
                judgement: Judgement::unknown(format!("mdmclient log unknown: {u}")),
                state: ClientState::Unknown,
                verified: true,
                window_minutes: cfg.liveness_window_minutes,
                strict_addigy: cfg.strict_addigy,
                ordinary: None,
                log: None,
            }
        }
    };
    // Under the strict rule the ordinary reading is kept beside Addigy's (same window, same
    // guards): the channel reads it, and a verified failure stays what the check says (the
    // strict rule adds Addigy's ground, it never hides the ordinary one: a (200) earlier in the
    // window answers neither a command received after it nor the 5xx that followed).
    let plain = Config {
        strict_addigy: false,
        ..cfg.clone()
    };
    let ordinary_situation = cfg.strict_addigy.then(|| decide(obs, log, &plain));
    let ordinary = ordinary_situation.as_ref().map(|s| (s.state, s.verified));
    // A failure the ordinary rules see (a wedged client, a failing server, a refusal; verified
    // or only in unverified text) is what the check says: Addigy's rule only adds "no (200) in
    // the window" to a quiet window, so unverified text never becomes a strict restart.
    let situation = match ordinary_situation {
        Some(o) if matches!(o.state, ClientState::Failing(_)) => o,
        _ => decide(obs, log, cfg),
    };
    let judgement = judge(&situation, push);
    let r = &situation.reading;
    let reading = ClientLogReading {
        last_exchange: ts(r.last_exchange),
        last_success: ts(r.last_success),
        last_failure: ts(r.last_failure),
        last_failure_text: r.last_failure.map(|e| e.line.message.clone()),
        last_failure_status: r.last_failure.and_then(|e| e.http_failure()),
        last_command: r.last_command.and_then(|e| e.command()).map(str::to_string),
        last_command_at: ts(r.last_command),
        unanswered_command: r.unanswered.and_then(|e| e.command()).map(str::to_string),
        unanswered_command_at: ts(r.unanswered),
        unjudged_command: r
            .unjudgeable_receipt
            .and_then(|e| e.command())
            .map(str::to_string),
        last_error_tag_text: r.last_error_tag.map(|e| e.line.message.clone()),
        successes: r.successes,
        receipts: r.receipts,
        failures: r.failures,
        http_lines: r.http_lines,
        error_tags: r.error_tags,
        entries: log.stats.entries,
        skipped_lines: log.stats.skipped,
        user_channel_lines: log.user_channel,
        rejected_entries: log.rejected.count,
        future_entries: r.future,
        truncated: situation.truncated,
    };
    ClientLivenessAssessment {
        judgement,
        state: situation.state,
        verified: situation.verified,
        window_minutes: cfg.liveness_window_minutes,
        strict_addigy: cfg.strict_addigy,
        ordinary,
        log: Some(reading),
    }
}

/// The newest command receipt in the window and whether it is one of Apple's software-update
/// commands (Addigy's rule needs it).
pub fn last_command<'a>(obs: &'a Observations, w: &Window) -> Option<&'a MdmEvent> {
    let log = obs.mdm_log.as_ref().ok()?;
    log.events
        .iter()
        .rev()
        .filter(|e| w.admits(e.line.time))
        .find(|e| matches!(e.kind, MdmEventKind::Command { .. }))
}

#[cfg(test)]
mod tests {
    //! `decide` on real mdmclient text (tests/fixtures/logs-real), one line per case with
    //! expect-test; `judge` wording checked separately.
    use super::*;
    use crate::checks::readiness::support::{obs, ok};
    use expect_test::{expect, Expect};

    fn show(s: &ClientSituation<'_>) -> String {
        let notes: Vec<String> = s
            .notes
            .iter()
            .map(|n| match n {
                Note::Future { count, .. } => format!("future:{count}"),
                Note::Untimed(n) => format!("untimed:{n}"),
                Note::Skipped(n) => format!("skipped:{n}"),
                Note::Rejected(n) => format!("rejected:{n}"),
                Note::ErrorTags(n) => format!("error_tags:{n}"),
                Note::UnjudgedReceipt { command, .. } => format!("unjudged:{command}"),
                Note::CutButAlive => "cut_but_alive".into(),
            })
            .collect();
        format!(
            "{} cause={} verified={} http_lines={} notes=[{}]",
            s.state.code(),
            s.state.cause().map_or("-", |c| c.code()),
            s.verified,
            s.reading.http_lines,
            notes.join(",")
        )
    }

    fn check(fixture: &str, want: Expect) {
        let path = format!(
            "{}/tests/fixtures/logs-real/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let o = obs(vec![ok("log_mdmclient", &std::fs::read(&path).unwrap())]);
        let log = o.mdm_log.as_ref().unwrap();
        want.assert_eq(&show(&decide(&o, log, &Config::default())));
    }

    #[test]
    fn decide_on_real_text() {
        check(
            "mdmclient_real_healthy_exchange.ndjson",
            expect!["alive cause=- verified=true http_lines=14 notes=[]"],
        );
        check(
            "mdmclient_real_app_install_error.ndjson",
            expect!["alive cause=- verified=true http_lines=10 notes=[error_tags:1]"],
        );
        check(
            "mdmclient_real_receipts_no_http.ndjson",
            expect!["alive cause=- verified=true http_lines=0 notes=[]"],
        );
        check(
            "mdmclient_real_healthy_with_forged.ndjson",
            expect!["alive cause=- verified=true http_lines=14 notes=[rejected:5]"],
        );
        check(
            "mdmclient_real_receipt_unanswered.ndjson",
            expect!["failing cause=client_wedged verified=true http_lines=6 notes=[]"],
        );
    }

    #[test]
    fn judge_says_unknown_with_the_truncation_and_keeps_notes() {
        let path = format!(
            "{}/tests/fixtures/logs-real/mdmclient_real_receipt_unanswered.ndjson",
            env!("CARGO_MANIFEST_DIR")
        );
        let o = obs(vec![ok("log_mdmclient", &std::fs::read(&path).unwrap())]);
        let log = o.mdm_log.as_ref().unwrap();
        let mut s = decide(&o, log, &Config::default());
        s.truncated_would_read = Some(s.state);
        s.state = ClientState::Unknown;
        let j = judge(&s, PushState::Unknown);
        assert_eq!(j.status, Status::Unknown);
        assert!(j
            .reason
            .as_deref()
            .unwrap()
            .contains("without the cut it would read failing"));
    }
}
