//! `mdm.push`: can the Mac receive MDM pushes, from what the Apple push daemon (`apsd`) logs about
//! its connection to APNs ("courier").
//!
//! The MDM server asks a Mac to check in through APNs; without a push connection mdmclient is
//! never asked, so a quiet mdmclient is not mdmclient's fault. apsd logs `Connected to courier …`
//! when it connects (Der Flounder, 2026: the only device-side proof of push connectivity) and,
//! when it cannot get its device identity, `… failed to obtain a BAA cert …` repeatedly and never
//! connects. A connection is long-lived, so a window without a courier line says nothing: that is
//! `unknown`, not `disconnected`.

use super::liveness::{self, PushState, Window};
use super::{Evidence, Judgement, Status};
use crate::config::Config;
use crate::observe::Observations;
use crate::parse::apsd_log::{ApsdEvent, ApsdEventKind};
use crate::probes;

#[derive(Debug, Clone, PartialEq)]
pub struct PushAssessment {
    pub judgement: Judgement,
    pub state: PushState,
    /// The deciding line is a verified pattern.
    pub verified: bool,
    pub window_minutes: u32,
    /// `None` when the log is unknown.
    pub log: Option<PushLogReading>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushLogReading {
    pub last_connected: Option<String>,
    pub last_connected_text: Option<String>,
    pub last_disconnected: Option<String>,
    pub identity_failures: u64,
    pub rejected_entries: u64,
}

const REMEDIATION: &str = "the Mac must reach APNs: outbound TCP 5223 (fallback 443) to *.push.apple.com, no TLS inspection of that traffic; \
if apsd cannot obtain its device identity (BAA certificate), the enrollment or activation is incomplete: re-enroll the Mac";

fn ev(e: &ApsdEvent) -> Evidence {
    Evidence::log(
        probes::LOG_APSD,
        e.line.timestamp.clone(),
        e.line.message.clone(),
    )
}

/// What the apsd log shows, decided before any wording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PushSituation {
    /// The log could not be read (why).
    LogUnknown(String),
    /// No courier line in the window: a connection can be hours old.
    NoCourierLine,
    /// The newest courier line is a connection at this time.
    Connected { at: String, line: Evidence },
    Disconnected {
        /// apsd cannot obtain its device identity (BAA certificate).
        identity: bool,
        last_connected: Option<String>,
        newest: Option<Evidence>,
        /// The deciding line is a verified pattern (unverified: a warning at most).
        verified: bool,
    },
}

impl PushSituation {
    pub(crate) fn state(&self) -> PushState {
        match self {
            PushSituation::LogUnknown(_) | PushSituation::NoCourierLine => PushState::Unknown,
            PushSituation::Connected { .. } => PushState::Connected,
            PushSituation::Disconnected { .. } => PushState::Disconnected,
        }
    }
}

/// The situation of the apsd log in the window. Pure: no wording.
pub(crate) fn decide(r: &liveness::PushReading<'_>) -> PushSituation {
    match r.state {
        PushState::Connected => PushSituation::Connected {
            at: r
                .last_connected
                .map_or("?".to_string(), |c| c.line.timestamp.clone()),
            line: r
                .last_connected
                .map_or_else(|| Evidence::line(probes::LOG_APSD, "?"), ev),
        },
        PushState::Disconnected => PushSituation::Disconnected {
            identity: r
                .newest
                .is_some_and(|e| e.kind == ApsdEventKind::IdentityFailure),
            last_connected: r.last_connected.map(|c| c.line.timestamp.clone()),
            newest: r.newest.map(ev),
            verified: r.verified,
        },
        PushState::Unknown => PushSituation::NoCourierLine,
    }
}

/// The words for a situation: status, one summary, evidence, remediation.
pub(crate) fn judge(s: &PushSituation, window_text: &str) -> Judgement {
    let j = match s {
        PushSituation::LogUnknown(why) => Judgement::unknown(format!("apsd log unknown: {why}")),
        PushSituation::Connected { at, line } => Judgement::new(
            Status::Ok,
            format!("connected: apsd connected to APNs at {at}"),
        )
        .evidence(line.clone()),
        PushSituation::Disconnected {
            identity,
            last_connected,
            newest,
            verified,
        } => {
            let what = if *identity {
                "apsd cannot obtain its device identity (BAA certificate), so it cannot connect to APNs"
            } else {
                "apsd's newest courier line is a disconnection (a message shape no real Mac has been seen to print)"
            };
            let since = match last_connected {
                Some(c) => format!("; last connection at {c}"),
                None => format!("; no connection in {window_text}"),
            };
            // Unverified evidence may warn; it never fails the finding.
            let status = if *verified {
                Status::Failed
            } else {
                Status::Warning
            };
            let mut j = Judgement::new(
                status,
                format!("disconnected: {what}{since}: MDM pushes cannot reach this Mac"),
            );
            if let Some(e) = newest {
                j = j.evidence(e.clone());
            }
            j
        }
        PushSituation::NoCourierLine => Judgement::unknown(format!(
            "no courier connection line in {window_text}: apsd logs its connection when it connects, and a connection can be hours old"
        )),
    };
    j.remediation(REMEDIATION)
}

pub(crate) fn assess(obs: &Observations, cfg: &Config) -> PushAssessment {
    let log = match &obs.apsd_log {
        Ok(l) => l,
        Err(u) => {
            let mut judgement = judge(&PushSituation::LogUnknown(u.to_string()), "");
            judgement.remediation = None;
            return PushAssessment {
                judgement,
                state: PushState::Unknown,
                verified: true,
                window_minutes: cfg.liveness_window_minutes,
                log: None,
            };
        }
    };
    let w = Window::new(obs.now, cfg.liveness_window_minutes);
    let r = liveness::read_push(log, &w);
    let situation = decide(&r);
    let mut judgement = judge(&situation, &format!("the last {} min", w.minutes));
    if log.rejected.count > 0 {
        judgement.summary = format!(
            "{} ({} entries not from the system's apsd (another binary, or a uid, category or format it does not log with) were ignored)",
            judgement.summary, log.rejected.count
        );
    }
    PushAssessment {
        judgement,
        state: situation.state(),
        verified: r.verified,
        window_minutes: cfg.liveness_window_minutes,
        log: Some(PushLogReading {
            last_connected: r.last_connected.map(|e| e.line.timestamp.clone()),
            last_connected_text: r.last_connected.map(|e| e.line.message.clone()),
            last_disconnected: r
                .last_disconnected
                .or(r.last_identity_failure)
                .map(|e| e.line.timestamp.clone()),
            identity_failures: log.count("apsd.identity_failure"),
            rejected_entries: log.rejected.count,
        }),
    }
}

#[cfg(test)]
mod tests {
    //! `decide` on real apsd text (tests/fixtures/logs-real), one line per case; `judge` wording
    //! separately.
    use super::*;
    use crate::parse::apsd_log;
    use chrono::DateTime;
    use expect_test::expect;

    fn situation(name: &str) -> PushSituation {
        let path = format!(
            "{}/tests/fixtures/logs-real/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap();
        let log = apsd_log::summarize(&bytes[..]).unwrap();
        let w = Window::new(
            DateTime::parse_from_rfc3339("2026-11-20T10:00:00-05:00").unwrap(),
            90,
        );
        decide(&liveness::read_push(&log, &w))
    }

    fn show(s: &PushSituation) -> String {
        match s {
            PushSituation::Connected { at, .. } => format!("connected at {at}"),
            PushSituation::Disconnected {
                identity,
                last_connected,
                verified,
                ..
            } => format!(
                "disconnected identity={identity} last_connected={last_connected:?} verified={verified}"
            ),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn decide_on_real_text() {
        expect!["connected at 2026-11-20 09:12:39.340000-0500"]
            .assert_eq(&show(&situation("apsd_real_connected.ndjson")));
        expect!["disconnected identity=true last_connected=None verified=true"]
            .assert_eq(&show(&situation("apsd_real_no_courier.ndjson")));
    }

    #[test]
    fn judge_words_each_situation() {
        let j = judge(&PushSituation::NoCourierLine, "the last 90 min");
        assert_eq!(j.status, Status::Unknown);
        expect!["unknown: no courier connection line in the last 90 min: apsd logs its connection when it connects, and a connection can be hours old"]
            .assert_eq(&j.summary);
        let j = judge(
            &PushSituation::Disconnected {
                identity: false,
                last_connected: None,
                newest: None,
                verified: false,
            },
            "the last 90 min",
        );
        assert_eq!(j.status, Status::Warning, "unverified evidence only warns");
    }
}
