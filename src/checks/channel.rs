//! `mdm.channel`: "MDM says On, but is this Mac reachable?" One verdict over days, not one log
//! window: `connected`, `degraded` or `disconnected` (or `unknown`, with why), with one primary
//! cause and its remedy.
//!
//! Two steps, as the rest of the checks are moving to: [`decide`] turns typed inputs (the other
//! assessments, `apsctl status`, the channel history of earlier runs) into a [`Situation`];
//! [`judge`] words it. Heal reads the situation (through `checks::diagnose`) to stand down on a
//! cause a restart cannot fix; readiness leads with it.
//!
//! Why history: on a DDM-era Mac the MDM channel is idle most of the time (status arrives through
//! DDM; with no declaration change there is no push), so 90 minutes of silence says nothing, and a
//! Mac cut off for a week looks like a healthy idle one (fleetdm/fleet#49350, #51931). A Mac that
//! has not exchanged anything with its server for `NoExchangeDays` while its push connection is up
//! is cut off. Why the topic: after an APNs certificate with a new topic is uploaded, Macs keep
//! the old topic and no push reaches them (fleetdm/fleet#53252, #52469); apsd lists the topics it
//! registered (`apsctl status`, read by MLBZ521/MacAdmin `Verify-APNSCertTopic.sh`).
//! Covers macOS 15, 26 and 27 alike: every input is one the other checks already read there, and
//! `apsctl status` fails soft (unknown) where its output differs.
//!
//! ABM/ASM migration (macOS 26) and re-enrolment in progress: no local file or command is known to
//! show them (the DDM status items `mdm.is-awaiting-configuration` and `migration-assistant.state`
//! are reported to the server, not stored where a root process can read them), so they are not
//! detected; heal already stands down on every cause such a state produces (not enrolled, identity
//! unusable, refused), see docs/INTEGRATIONS.md.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

use super::client_liveness::ClientLivenessAssessment;
use super::identity::{CertificateReading, IdentityAssessment, PrivateKey};
use super::liveness::{self, ChannelBlock, ClientState, FailureCause, PushState, Window};
use super::push::PushAssessment;
use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::apsctl::ApsctlStatus;
use crate::probes;
use crate::state::{ChannelHistory, HistoryInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Connected,
    Degraded,
    Disconnected,
    Unknown,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Connected => "connected",
            Verdict::Degraded => "degraded",
            Verdict::Disconnected => "disconnected",
            Verdict::Unknown => "unknown",
        }
    }
}

/// The identity is there but cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityFault {
    Missing,
    Expired,
    /// The certificate without its private key: Migration Assistant or a restore copied the
    /// certificate but not the key (fleetdm/fleet#38354, #45411).
    NoPrivateKey,
    /// mdmclient logs `Unable to create MDM identity` (the text Jamf's PI108400 extension
    /// attribute greps for).
    CannotCreate,
}

/// The one primary cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    NotEnrolled,
    IdentityUnusable(IdentityFault),
    PushNotConnected,
    /// The MDM profile's topic is not among the topics apsd registered for mdmclient.
    TopicNotRegistered {
        topic: String,
        listed: Vec<String>,
    },
    /// The server answers with errors (5xx dominate).
    ServerErrors,
    /// The server refuses the identity (401/403 dominate).
    IdentityRefused,
    /// Network errors (unverified text: it warns at most).
    Network,
    /// mdmclient received a command and never answered it.
    ClientWedged,
    /// No exchange for this many days (at least) while push is not known to be down.
    NoExchange {
        days: i64,
        at_least: bool,
    },
    /// Why nothing can be said.
    Unknown(String),
}

impl Cause {
    pub fn code(&self) -> &'static str {
        match self {
            Cause::NotEnrolled => "not_enrolled",
            Cause::IdentityUnusable(_) => "identity_unusable",
            Cause::PushNotConnected => "push_not_connected",
            Cause::TopicNotRegistered { .. } => "push_topic_not_registered",
            Cause::ServerErrors => "server_errors",
            Cause::IdentityRefused => "identity_refused",
            Cause::Network => "network",
            Cause::ClientWedged => "client_wedged",
            Cause::NoExchange { .. } => "no_exchange",
            Cause::Unknown(_) => "unknown",
        }
    }

    /// Heal stands down on these: a restart of mdmclient cannot fix them.
    pub fn blocks_restart(&self) -> Option<FailureCause> {
        Some(match self {
            Cause::NotEnrolled => FailureCause::Channel(ChannelBlock::NotEnrolled),
            Cause::IdentityUnusable(_) => FailureCause::Channel(ChannelBlock::IdentityUnusable),
            Cause::PushNotConnected => FailureCause::Channel(ChannelBlock::PushNotConnected),
            Cause::TopicNotRegistered { .. } => {
                FailureCause::Channel(ChannelBlock::TopicNotRegistered)
            }
            Cause::ServerErrors => FailureCause::ServerError,
            Cause::IdentityRefused => FailureCause::AuthRejected,
            _ => return None,
        })
    }
}

/// Where a time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// This run's log window.
    ThisRun,
    /// The channel history, recorded since this time.
    History(DateTime<FixedOffset>),
    /// The first run's look-back over this many days.
    LookBack(u32),
    /// `apsctl status`.
    Apsctl,
}

impl Source {
    pub fn text(self) -> String {
        match self {
            Source::ThisRun => "this run's log".into(),
            Source::History(since) => {
                format!("history since {}", crate::state::format_time(since))
            }
            Source::LookBack(d) => format!("first-run look-back over {d} days of log"),
            Source::Apsctl => "apsctl status".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub at: DateTime<FixedOffset>,
    pub source: Source,
}

fn newest(a: Option<Seen>, b: Option<Seen>) -> Option<Seen> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.at > a.at { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// What [`decide`] established.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    pub verdict: Verdict,
    pub cause: Option<Cause>,
    pub last_exchange: Option<Seen>,
    /// Whole days since the last exchange; with `None` for `last_exchange`, a lower bound.
    pub days_since_last_exchange: Option<i64>,
    /// The last push apsd received on the MDM topic.
    pub last_mdm_push: Option<Seen>,
    pub push_topic: Option<String>,
    /// `None`: apsd's topics unknown (no `apsctl status`, or no topic in the profile).
    pub topic_registered: Option<bool>,
    pub push: PushState,
    pub history_since: Option<DateTime<FixedOffset>>,
    /// The client verdict rests on verified log patterns (unverified: warn at most).
    pub verified: bool,
}

/// The typed inputs [`decide`] reads: nothing else.
#[derive(Debug, Clone)]
pub(crate) struct Inputs<'a> {
    pub now: DateTime<FixedOffset>,
    pub enrolled: Option<bool>,
    pub identity: Option<IdentityFault>,
    pub client: ClientState,
    pub client_verified: bool,
    pub push: PushState,
    pub push_verified: bool,
    pub topic: Option<&'a str>,
    pub apsctl: Option<&'a ApsctlStatus>,
    pub history: Option<&'a ChannelHistory>,
    /// This run's newest exchange (a (200) response or a receipt).
    pub run_exchange: Option<DateTime<FixedOffset>>,
    /// The look-back's newest exchange and its days, when it ran.
    pub lookback: Option<(Option<DateTime<FixedOffset>>, u32)>,
    pub no_exchange_days: u32,
}

/// A time printed by apsd (local, no zone) placed in the Mac's offset at `now`.
fn local(now: DateTime<FixedOffset>, t: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    now.offset().from_local_datetime(&t).single()
}

pub(crate) fn decide(i: &Inputs<'_>) -> Situation {
    let port = i.apsctl.and_then(|a| a.mdm_device_port());
    let topic_registered = match (i.topic, i.apsctl) {
        (Some(t), Some(a)) if !a.ports.is_empty() => Some(port.is_some_and(|p| p.has_topic(t))),
        _ => None,
    };
    let last_mdm_push = port
        .filter(|p| match (i.topic, &p.last_push_topic) {
            (Some(t), Some(lt)) => t == lt,
            _ => true,
        })
        .and_then(|p| p.last_push)
        .and_then(|t| local(i.now, t))
        .filter(|t| *t <= i.now)
        .map(|at| Seen {
            at,
            source: Source::Apsctl,
        });
    let history_since = i.history.and_then(|h| h.since);
    let from_history = i.history.and_then(|h| {
        h.last_any_exchange().map(|at| Seen {
            at,
            source: Source::History(h.since.unwrap_or(at)),
        })
    });
    let from_run = i.run_exchange.map(|at| Seen {
        at,
        source: Source::ThisRun,
    });
    let from_lookback = i.lookback.and_then(|(t, d)| {
        t.map(|at| Seen {
            at,
            source: Source::LookBack(d),
        })
    });
    let last_exchange =
        newest(newest(from_run, from_history), from_lookback).filter(|s| s.at <= i.now);
    // Without any exchange on record, the span the record covers is a lower bound.
    let (days, at_least) = match last_exchange {
        Some(s) => (Some((i.now - s.at).num_days()), false),
        None => {
            let covered = [
                history_since.map(|s| (i.now - s).num_days()),
                i.lookback.map(|(_, d)| i64::from(d)),
            ]
            .into_iter()
            .flatten()
            .max();
            (covered, true)
        }
    };
    let push_down = i.push == PushState::Disconnected && i.push_verified
        || port.and_then(|p| p.connected()) == Some(false);

    let (verdict, cause) = verdict_of(
        i,
        &Gathered {
            port,
            topic_registered,
            push_down,
            days,
            at_least,
            exchanged: last_exchange.is_some(),
        },
    );
    Situation {
        verdict,
        cause,
        last_exchange,
        days_since_last_exchange: days,
        last_mdm_push,
        push_topic: i.topic.map(str::to_string),
        topic_registered,
        push: i.push,
        history_since,
        verified: i.client_verified,
    }
}

/// What `decide` derived from the inputs before choosing the verdict.
struct Gathered<'a> {
    port: Option<&'a crate::parse::apsctl::PortStatus>,
    topic_registered: Option<bool>,
    push_down: bool,
    days: Option<i64>,
    at_least: bool,
    exchanged: bool,
}

/// The verdict and its cause: the first matching situation, most decisive first.
fn verdict_of(i: &Inputs<'_>, g: &Gathered<'_>) -> (Verdict, Option<Cause>) {
    let mut s = (Verdict::Unknown, None);
    let set = |s: &mut (Verdict, Option<Cause>), v: Verdict, c: Option<Cause>| {
        *s = (v, c);
    };
    let (port, topic_registered, push_down, days, at_least) =
        (g.port, g.topic_registered, g.push_down, g.days, g.at_least);
    let failing = |c: FailureCause| i.client == ClientState::Failing(c) && i.client_verified;
    if i.enrolled == Some(false) {
        set(&mut s, Verdict::Disconnected, Some(Cause::NotEnrolled));
    } else if let Some(f) = i.identity {
        set(
            &mut s,
            Verdict::Disconnected,
            Some(Cause::IdentityUnusable(f)),
        );
    } else if failing(FailureCause::AuthRejected) {
        set(&mut s, Verdict::Disconnected, Some(Cause::IdentityRefused));
    } else if push_down {
        set(&mut s, Verdict::Disconnected, Some(Cause::PushNotConnected));
    } else if topic_registered == Some(false) {
        let listed = port.map(|p| p.topics.clone()).unwrap_or_default();
        let topic = i.topic.unwrap_or_default().to_string();
        set(
            &mut s,
            Verdict::Disconnected,
            Some(Cause::TopicNotRegistered { topic, listed }),
        );
    } else if failing(FailureCause::ClientWedged) {
        set(&mut s, Verdict::Degraded, Some(Cause::ClientWedged));
    } else if failing(FailureCause::ServerError) {
        set(&mut s, Verdict::Degraded, Some(Cause::ServerErrors));
    } else if matches!(
        i.client,
        ClientState::Failing(FailureCause::TransportFailure)
    ) {
        set(&mut s, Verdict::Degraded, Some(Cause::Network));
    } else if i.client == ClientState::Alive {
        set(&mut s, Verdict::Connected, None);
    } else if let Some(d) = days.filter(|d| *d >= i64::from(i.no_exchange_days)) {
        set(
            &mut s,
            Verdict::Disconnected,
            Some(Cause::NoExchange { days: d, at_least }),
        );
    } else if g.exchanged && i.enrolled == Some(true) {
        set(&mut s, Verdict::Connected, None);
    } else {
        let why = if i.enrolled.is_none() {
            "whether the Mac is enrolled is unknown".to_string()
        } else if i.client == ClientState::Unknown {
            "the mdmclient log could not be read, and no earlier run recorded an exchange"
                .to_string()
        } else {
            "no exchange in this run's log and no history of earlier runs yet (the next runs record it)".to_string()
        };
        set(&mut s, Verdict::Unknown, Some(Cause::Unknown(why)));
    }
    s
}

fn when(s: &Seen) -> String {
    format!("{} ({})", crate::state::format_time(s.at), s.source.text())
}

/// The words: one sentence of verdict and cause, then remediation.
pub(crate) fn judge(s: &Situation, no_exchange_days: u32) -> Judgement {
    let last = s
        .last_exchange
        .as_ref()
        .map(|e| format!("; last exchange {}", when(e)))
        .unwrap_or_default();
    let (status, cause_text, remedy): (Status, String, &str) = match &s.cause {
        None => (
            Status::Ok,
            "the MDM server and this Mac exchange messages".into(),
            "nothing to do",
        ),
        Some(Cause::NotEnrolled) => (
            Status::Failed,
            "the Mac is not enrolled in MDM".into(),
            "enroll the Mac (ADE: sudo profiles renew -type enrollment; otherwise the MDM's enrollment profile)",
        ),
        Some(Cause::IdentityUnusable(f)) => (
            Status::Failed,
            match f {
                IdentityFault::Missing => "the MDM identity certificate is missing".into(),
                IdentityFault::Expired => "the MDM identity certificate has expired".into(),
                IdentityFault::NoPrivateKey => "the MDM identity certificate has no private key (a Migration Assistant or restore leftover)".into(),
                IdentityFault::CannotCreate => "mdmclient cannot create its MDM identity (Unable to create MDM identity)".into(),
            },
            "re-enroll the Mac (the identity cannot be repaired in place); renew the identity before it expires (see mdm.identity)",
        ),
        Some(Cause::IdentityRefused) => (
            Status::Failed,
            "the server refuses this Mac's identity (HTTP 401/403 dominate)".into(),
            "re-enroll the Mac; if many Macs show this, contact the MDM vendor",
        ),
        Some(Cause::PushNotConnected) => (
            Status::Failed,
            "apsd has no push connection to APNs, so the server cannot wake the Mac".into(),
            "check the network to APNs (TCP 5223, fallback 443, *.push.apple.com, no TLS inspection); if apsd cannot obtain its identity, re-enroll",
        ),
        Some(Cause::TopicNotRegistered { topic, listed }) => (
            Status::Failed,
            format!(
                "the MDM profile's push topic {topic} is not registered with apsd ({}), so no MDM push reaches this Mac",
                if listed.is_empty() {
                    "apsd lists no mdmclient topic".to_string()
                } else {
                    format!("apsd lists {}", listed.join(", "))
                }
            ),
            "the server's APNs certificate topic changed: re-push the MDM profile or re-enroll the Mac; check the MDM's push certificate (fleetdm/fleet#53252)",
        ),
        Some(Cause::ClientWedged) => (
            Status::Warning,
            "mdmclient received a command and never answered it".into(),
            "mdmwatch -heal restarts mdmclient (at most once per 24 h)",
        ),
        Some(Cause::ServerErrors) => (
            Status::Warning,
            "the MDM server answers with errors (HTTP 5xx dominate)".into(),
            "contact the MDM vendor or check the MDM service; a restart of mdmclient cannot fix the server",
        ),
        Some(Cause::Network) => (
            Status::Warning,
            "mdmclient logs network errors on the way to the server (unverified text)".into(),
            "check DNS, proxy and firewall from the Mac to the MDM server (HTTPS 443)",
        ),
        Some(Cause::NoExchange { days, at_least }) => (
            Status::Failed,
            format!(
                "no exchange with the MDM server for {}{days} days (NoExchangeDays {no_exchange_days}) while push is not known to be down",
                if *at_least { "at least " } else { "" }
            ),
            "the server no longer reaches this Mac: check the device record in the MDM console (deleted, re-assigned, push certificate renewed with a new topic), then re-push the MDM profile or re-enroll",
        ),
        Some(Cause::Unknown(why)) => {
            return Judgement::unknown(format!("channel verdict unknown: {why}"));
        }
    };
    Judgement::new(status, format!("{}: {cause_text}{last}", s.verdict.code())).remediation(remedy)
}

/// The channel check's result: the situation, its words, and the history to record.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelAssessment {
    pub judgement: Judgement,
    pub situation: Situation,
    /// The history after this run (the caller writes it when it may write the state file).
    pub next_history: ChannelHistory,
}

fn identity_fault(id: &IdentityAssessment) -> Option<IdentityFault> {
    let d = id.details.as_ref()?;
    match &d.certificate {
        CertificateReading::NotFound => Some(IdentityFault::Missing),
        CertificateReading::Found { days_left, .. } if *days_left < 0 => {
            Some(IdentityFault::Expired)
        }
        CertificateReading::Found { .. } if d.private_key == Some(PrivateKey::Missing) => {
            Some(IdentityFault::NoPrivateKey)
        }
        _ if d.identity_errors.is_some_and(|n| n > 0) => Some(IdentityFault::CannotCreate),
        _ => None,
    }
}

fn at_or_before(
    t: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    t.filter(|t| *t <= now)
}

pub(crate) fn assess(
    obs: &Observations,
    cfg: &Config,
    enrolled: Option<bool>,
    identity: &IdentityAssessment,
    client: &ClientLivenessAssessment,
    push: &PushAssessment,
) -> ChannelAssessment {
    let now = obs.now;
    let w = Window::new(now, cfg.liveness_window_minutes);
    let run = obs
        .mdm_log
        .as_ref()
        .ok()
        .map(|l| liveness::read_client_with(l, &w, false, obs.mdm_log_own_predicate));
    let run_exchange = run
        .as_ref()
        .and_then(|r| r.last_exchange)
        .and_then(|e| e.line.time);
    let lookback_summary = obs.mdm_lookback.as_ref().map(|f| {
        let t = f.as_ref().ok().and_then(|l| {
            l.events
                .iter()
                .filter(|e| e.is_exchange())
                .filter_map(|e| e.line.time)
                .filter(|t| *t <= now)
                .max()
        });
        (t, cfg.look_back_days)
    });
    let topic = obs
        .mdm_profile
        .as_ref()
        .ok()
        .and_then(|p| p.as_ref())
        .and_then(|p| p.topic.as_deref());
    let history = obs.channel_history.history();
    let apsctl_truncated = super::client_liveness::probe_truncated(obs, probes::APSCTL_STATUS)
        || obs.apsctl.as_ref().is_ok_and(|a| a.cut);
    // The channel is judged by the evidence, never by a heal setting: under StrictAddigyLiveness
    // the client check may say Addigy's "no (200) in the window" where the ordinary rules see a
    // server answering only 5xx; the ordinary reading of the same window (with the same guards)
    // says what the channel is.
    let (client_state, client_verified) =
        client.ordinary.unwrap_or((client.state, client.verified));
    let inputs = Inputs {
        now,
        enrolled,
        identity: if enrolled == Some(true) {
            identity_fault(identity)
        } else {
            None
        },
        client: client_state,
        client_verified,
        push: push.state,
        push_verified: push.verified,
        topic,
        // A cut listing may lack the very topic: never judge the topic on half the output.
        apsctl: obs.apsctl.as_ref().ok().filter(|_| !apsctl_truncated),
        history,
        run_exchange,
        lookback: lookback_summary,
        no_exchange_days: cfg.no_exchange_days,
    };
    let situation = decide(&inputs);
    let mut judgement = judge(&situation, cfg.no_exchange_days);
    // Unknown because the log is: say which probe and why (the client check's reason names it).
    if situation.verdict == Verdict::Unknown && client.state == ClientState::Unknown {
        if let Some(why) = &client.judgement.reason {
            judgement = Judgement::unknown(format!(
                "channel verdict unknown: {why}; no earlier run recorded an exchange"
            ));
        }
    }
    if apsctl_truncated {
        judgement = judgement.evidence(Evidence::line(
            probes::APSCTL_STATUS,
            "the apsctl_status output was truncated: the push topics were not judged",
        ));
    }
    if let Err(u) = &obs.apsctl {
        judgement = judgement.evidence(Evidence::line(
            probes::APSCTL_STATUS,
            format!("the push topics apsd registered are unknown: {u}"),
        ));
    }

    judgement = decided_by(judgement, &situation, &obs.channel_history);
    let next = next_history(obs, history, run.as_ref(), &situation, &w);
    ChannelAssessment {
        judgement,
        situation,
        next_history: next,
    }
}

/// Evidence: the times that decided, each with its source, and the history's state.
fn decided_by(mut judgement: Judgement, situation: &Situation, h: &HistoryInput) -> Judgement {
    if let Some(e) = &situation.last_exchange {
        judgement = judgement.evidence(Evidence::line(
            probes::LOG_MDMCLIENT,
            format!("last exchange with the MDM server: {}", when(e)),
        ));
    }
    if let Some(p) = &situation.last_mdm_push {
        judgement = judgement.evidence(Evidence::line(
            probes::APSCTL_STATUS,
            format!("last push on the MDM topic: {}", when(p)),
        ));
    }
    if let (Some(t), Some(reg)) = (&situation.push_topic, situation.topic_registered) {
        judgement = judgement.evidence(Evidence::line(
            probes::APSCTL_STATUS,
            format!(
                "MDM topic {t} {} apsd's mdmclient port",
                if reg {
                    "registered with"
                } else {
                    "not listed by"
                }
            ),
        ));
    }
    match h {
        HistoryInput::Unreadable(why) => {
            judgement = judgement.evidence(Evidence::line(
                "state",
                format!("channel history unreadable, starting over: {why}"),
            ));
        }
        HistoryInput::Found(h) => {
            if let Some(since) = h.since {
                judgement = judgement.evidence(Evidence::line(
                    "state",
                    format!("channel history since {}", crate::state::format_time(since)),
                ));
            }
        }
        _ => {}
    }

    judgement
}

/// The history after this run: the newest of what it had and what this run saw.
fn next_history(
    obs: &Observations,
    history: Option<&ChannelHistory>,
    run: Option<&liveness::ClientReading<'_>>,
    situation: &Situation,
    w: &Window,
) -> ChannelHistory {
    let now = obs.now;
    let mut next = history.cloned().unwrap_or_default();
    let n = ChannelHistory::newest;
    next.since = Some(next.since.map_or(now, |s| s.min(now)));
    next.last_run_end = Some(now);
    if let Some(r) = run {
        next.last_exchange = n(
            next.last_exchange,
            at_or_before(r.last_success.and_then(|e| e.line.time), now),
        );
        next.last_receipt = n(
            next.last_receipt,
            at_or_before(r.last_command.and_then(|e| e.line.time), now),
        );
        for e in &r.failures_since_exchange {
            if let (Some(c), Some(t)) = (failure_code(e), at_or_before(e.line.time, now)) {
                let key = c.to_string();
                let newer = match next
                    .last_failure
                    .get(&key)
                    .and_then(|v| crate::state::parse_time(v).ok().flatten())
                {
                    Some(old) => t > old,
                    None => true,
                };
                if newer {
                    next.last_failure.insert(key, crate::state::format_time(t));
                }
            }
        }
    }
    if let Some(Ok(l)) = obs.mdm_lookback.as_ref() {
        for e in &l.events {
            let t = at_or_before(e.line.time, now);
            if e.is_success() {
                next.last_exchange = n(next.last_exchange, t);
            } else if e.command().is_some() {
                next.last_receipt = n(next.last_receipt, t);
            }
        }
    }
    if let Ok(l) = &obs.apsd_log {
        let p = liveness::read_push(l, w);
        next.last_push_connected = n(
            next.last_push_connected,
            at_or_before(p.last_connected.and_then(|e| e.line.time), now),
        );
    }
    next.last_mdm_push = n(next.last_mdm_push, situation.last_mdm_push.map(|s| s.at));
    if let Ok(l) = &obs.mdm_log {
        let t = l
            .events
            .iter()
            .filter(|e| e.kind == crate::parse::mdm_log::MdmEventKind::IdentityError)
            .filter_map(|e| at_or_before(e.line.time, now))
            .max();
        next.last_identity_error = n(next.last_identity_error, t);
    }
    next
}

fn failure_code(e: &crate::parse::mdm_log::MdmEvent) -> Option<&'static str> {
    use crate::parse::mdm_log::MdmEventKind;
    match e.kind {
        MdmEventKind::Response { status, .. } if status == 401 || status == 403 => {
            Some(FailureCause::AuthRejected.code())
        }
        MdmEventKind::Response { status, .. } if status != 200 => {
            Some(FailureCause::ServerError.code())
        }
        MdmEventKind::TransportError => Some(FailureCause::TransportFailure.code()),
        _ => None,
    }
}

/// The log window of this run: from the end of the previous run (recorded in the history) to
/// now, so consecutive scheduled runs cover the time without gaps (the LaunchDaemon runs every
/// 95 minutes, the default window is 90); at least `min` (the configured window), at most `cap`
/// (a Mac that slept a day does not read a day of log). A previous end in the future (the clock
/// went back) or none at all gives `min`. One minute of overlap covers entries logged while the
/// previous run was reading.
pub(crate) fn log_window_minutes(
    previous_end: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    min: u32,
    cap: u32,
) -> u32 {
    let cap = cap.max(min);
    match previous_end {
        Some(p) if p <= now => {
            let gap = (now - p).num_seconds();
            let minutes = (gap + 59) / 60 + 1;
            u32::try_from(minutes).unwrap_or(cap).clamp(min, cap)
        }
        _ => min,
    }
}

#[cfg(test)]
mod tests {
    //! `decide` on typed inputs, one line per case (expect-test), then the window over a
    //! simulated day of scheduled runs.
    use super::*;
    use crate::parse::apsctl;
    use expect_test::{expect, Expect};

    const NOW: &str = "2026-11-20T10:00:00-05:00";

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn base<'a>() -> Inputs<'a> {
        Inputs {
            now: t(NOW),
            enrolled: Some(true),
            identity: None,
            client: ClientState::Quiet,
            client_verified: true,
            push: PushState::Unknown,
            push_verified: true,
            topic: Some("com.apple.mgmt.External.new"),
            apsctl: None,
            history: None,
            run_exchange: None,
            lookback: None,
            no_exchange_days: 3,
        }
    }

    fn show(s: &Situation) -> String {
        format!(
            "{} {} days={:?} topic_registered={:?}",
            s.verdict.code(),
            s.cause.as_ref().map_or("-", |c| c.code()),
            s.days_since_last_exchange,
            s.topic_registered
        )
    }

    fn check(i: Inputs<'_>, want: Expect) {
        want.assert_eq(&show(&decide(&i)));
    }

    fn hist(since: &str, exchange: Option<&str>) -> ChannelHistory {
        ChannelHistory {
            since: Some(t(since)),
            last_exchange: exchange.map(t),
            ..ChannelHistory::default()
        }
    }

    #[test]
    fn verdicts() {
        let idle = hist(
            "2026-11-15T10:00:00-05:00",
            Some("2026-11-19T08:00:00-05:00"),
        );
        let cut = hist(
            "2026-11-10T10:00:00-05:00",
            Some("2026-11-16T09:00:00-05:00"),
        );
        let nothing = hist("2026-11-15T10:00:00-05:00", None);
        let new_topic = apsctl::parse(
            "  application port name: com.apple.aps.mdmclient.daemon.push.production\n    persistent connection status: Ok\n    topic: com.apple.mgmt.External.old\n",
        )
        .unwrap();
        let same_topic = apsctl::parse(
            "  application port name: com.apple.aps.mdmclient.daemon.push.production\n    persistent connection status: Ok\n    topic: com.apple.mgmt.External.new\n",
        )
        .unwrap();
        let cases: Vec<(Inputs<'_>, Expect)> = vec![
            (
                Inputs { enrolled: Some(false), ..base() },
                expect!["disconnected not_enrolled days=None topic_registered=None"],
            ),
            (
                Inputs { identity: Some(IdentityFault::NoPrivateKey), client: ClientState::Alive, ..base() },
                expect!["disconnected identity_unusable days=None topic_registered=None"],
            ),
            (
                Inputs { client: ClientState::Failing(FailureCause::AuthRejected), ..base() },
                expect!["disconnected identity_refused days=None topic_registered=None"],
            ),
            // Unverified refusals do not decide.
            (
                Inputs { client: ClientState::Failing(FailureCause::AuthRejected), client_verified: false, ..base() },
                expect!["unknown unknown days=None topic_registered=None"],
            ),
            (
                Inputs { push: PushState::Disconnected, ..base() },
                expect!["disconnected push_not_connected days=None topic_registered=None"],
            ),
            (
                Inputs { apsctl: Some(&new_topic), push: PushState::Connected, history: Some(&idle), ..base() },
                expect!["disconnected push_topic_not_registered days=Some(1) topic_registered=Some(false)"],
            ),
            (
                Inputs { client: ClientState::Failing(FailureCause::ServerError), history: Some(&idle), ..base() },
                expect!["degraded server_errors days=Some(1) topic_registered=None"],
            ),
            (
                Inputs { client: ClientState::Failing(FailureCause::ClientWedged), run_exchange: Some(t("2026-11-20T08:40:00-05:00")), ..base() },
                expect!["degraded client_wedged days=Some(0) topic_registered=None"],
            ),
            // Idle for this window, an exchange yesterday on record: connected.
            (
                Inputs { apsctl: Some(&same_topic), push: PushState::Connected, history: Some(&idle), ..base() },
                expect!["connected - days=Some(1) topic_registered=Some(true)"],
            ),
            // Push up, nothing for 4 days: cut off.
            (
                Inputs { push: PushState::Connected, history: Some(&cut), ..base() },
                expect!["disconnected no_exchange days=Some(4) topic_registered=None"],
            ),
            // Nothing on record since a history that began 5 days ago: at least 5 days.
            (
                Inputs { history: Some(&nothing), ..base() },
                expect!["disconnected no_exchange days=Some(5) topic_registered=None"],
            ),
            // The look-back found an exchange 2 days ago.
            (
                Inputs { lookback: Some((Some(t("2026-11-18T09:00:00-05:00")), 7)), ..base() },
                expect!["connected - days=Some(2) topic_registered=None"],
            ),
            // First run, no look-back, nothing in the window.
            (base(), expect!["unknown unknown days=None topic_registered=None"]),
            (
                Inputs { client: ClientState::Alive, run_exchange: Some(t("2026-11-20T09:30:00-05:00")), ..base() },
                expect!["connected - days=Some(0) topic_registered=None"],
            ),
        ];
        for (i, want) in cases {
            check(i, want);
        }
    }

    #[test]
    fn wording_is_one_sentence_with_verdict_and_cause() {
        let cut = hist(
            "2026-11-10T10:00:00-05:00",
            Some("2026-11-16T09:00:00-05:00"),
        );
        let s = decide(&Inputs {
            push: PushState::Connected,
            history: Some(&cut),
            ..base()
        });
        expect!["disconnected: no exchange with the MDM server for 4 days (NoExchangeDays 3) while push is not known to be down; last exchange 2026-11-16T09:00:00-05:00 (history since 2026-11-10T10:00:00-05:00)"]
            .assert_eq(&judge(&s, 3).summary);
        assert_eq!(judge(&s, 3).status, Status::Failed);
    }

    /// A simulated day of runs every 95 minutes (launchd's StartInterval, with a few minutes of
    /// jitter and one sleep of 5 hours): each window starts at or before the previous run's end,
    /// never more than 2 minutes before it unless the minimum forces it, and never beyond the cap.
    #[test]
    fn windows_follow_the_schedule_over_a_day() {
        let start = t("2026-11-20T00:00:00-05:00");
        let offsets_min: Vec<i64> = {
            let mut v = Vec::new();
            let mut m = 0;
            for k in 0..16 {
                m += 95 + (k % 3) as i64; // jitter: 95, 96, 97 minutes
                if k == 8 {
                    m += 300; // asleep for five hours
                }
                v.push(m);
            }
            v
        };
        let (min, cap) = (90, 360);
        let mut prev: Option<DateTime<FixedOffset>> = None;
        for m in offsets_min {
            let now = start + chrono::Duration::minutes(m);
            let w = log_window_minutes(prev, now, min, cap);
            assert!((min..=cap).contains(&w), "{w}");
            if let Some(p) = prev {
                let window_start = now - chrono::Duration::minutes(i64::from(w));
                let gap = (now - p).num_minutes();
                if gap <= i64::from(cap) {
                    assert!(
                        window_start <= p,
                        "gap before {now}: window {w} min, previous end {p}"
                    );
                    let overlap = (p - window_start).num_minutes();
                    assert!(overlap <= 2 || w == min, "overlap {overlap} min at {now}");
                } else {
                    assert_eq!(w, cap, "after a long sleep the window is capped");
                }
            }
            prev = Some(now);
        }
        // No history, or a previous end in the future: the configured minimum.
        assert_eq!(log_window_minutes(None, start, min, cap), 90);
        assert_eq!(
            log_window_minutes(Some(start + chrono::Duration::hours(1)), start, min, cap),
            90
        );
        // A day asleep: the cap, not a day of log.
        assert_eq!(
            log_window_minutes(Some(start - chrono::Duration::hours(24)), start, min, cap),
            360
        );
    }
}
