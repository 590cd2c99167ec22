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

pub fn assess(obs: &Observations, cfg: &Config) -> PushAssessment {
    let log = match &obs.apsd_log {
        Ok(l) => l,
        Err(u) => {
            return PushAssessment {
                judgement: Judgement::unknown(format!("apsd log unknown: {u}")),
                state: PushState::Unknown,
                verified: true,
                window_minutes: cfg.liveness_window_minutes,
                log: None,
            }
        }
    };
    let w = Window::new(obs.now, cfg.liveness_window_minutes);
    let r = liveness::read_push(log, &w);
    let window_text = format!("the last {} min", w.minutes);
    let mut judgement = match r.state {
        PushState::Connected => {
            let mut j = Judgement::new(
                Status::Ok,
                format!(
                    "connected: apsd connected to APNs at {}",
                    r.last_connected.map_or("?", |c| c.line.timestamp.as_str())
                ),
            );
            if let Some(c) = r.last_connected {
                j = j.evidence(ev(c));
            }
            j
        }
        PushState::Disconnected => {
            let identity = r
                .newest
                .is_some_and(|e| e.kind == ApsdEventKind::IdentityFailure);
            let what = if identity {
                "apsd cannot obtain its device identity (BAA certificate), so it cannot connect to APNs"
            } else {
                "apsd's newest courier line is a disconnection (a message shape no real Mac has been seen to print)"
            };
            let since = match r.last_connected {
                Some(c) => format!("; last connection at {}", c.line.timestamp),
                None => format!("; no connection in {window_text}"),
            };
            // Unverified evidence may warn; it never fails the finding.
            let status = if r.verified {
                Status::Failed
            } else {
                Status::Warning
            };
            let mut j = Judgement::new(
                status,
                format!("disconnected: {what}{since}: MDM pushes cannot reach this Mac"),
            );
            if let Some(e) = r.newest {
                j = j.evidence(ev(e));
            }
            j
        }
        PushState::Unknown => Judgement::unknown(format!(
            "no courier connection line in {window_text}: apsd logs its connection when it connects, and a connection can be hours old"
        )),
    };
    if log.rejected.count > 0 {
        judgement.summary = format!(
            "{} ({} entries from binaries that are not the system's apsd were ignored)",
            judgement.summary, log.rejected.count
        );
    }
    judgement = judgement.remediation(REMEDIATION);
    PushAssessment {
        judgement,
        state: r.state,
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
