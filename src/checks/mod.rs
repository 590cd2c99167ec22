//! Checks: pure functions from (observations, config) to findings. No I/O, no clock but `obs.now`.
//!
//! Each check returns a [`Finding`] with a status, a one-line summary, its evidence and a
//! remediation hint; `unknown` always says why. [`diagnose`] runs them all in report order and
//! derives the states heal acts on and the eight Addigy keys.

pub mod battery;
pub mod bootstrap;
pub mod client_liveness;
pub mod daemon_liveness;
pub mod ddm;
pub mod disk;
pub mod enrollment;
pub mod identity;
pub mod os_version;
pub mod readiness;
pub mod su_pending;

use crate::config::Config;
use crate::observe::Observations;
use crate::report::{Evidence, Finding, Status, Watchdog};

pub const ENROLLMENT: &str = "mdm.enrollment";
pub const IDENTITY: &str = "mdm.identity";
pub const CLIENT_LIVENESS: &str = "mdm.client_liveness";
pub const DAEMON_LIVENESS: &str = "softwareupdate.daemon_liveness";
pub const OS_VERSION: &str = "os.version";
pub const SU_PENDING: &str = "softwareupdate.pending";
pub const DDM: &str = "softwareupdate.ddm";
pub const BATTERY: &str = "power.battery";
pub const DISK: &str = "disk.free_space";
pub const BOOTSTRAP: &str = "bootstrap_token";
pub const READINESS: &str = "readiness";

/// What the log evidence says about a daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Successful exchanges / progress in the window.
    Alive,
    /// Nothing happened in the window: no push, no request, no error. Not a fault.
    Quiet,
    /// Attempts or errors without success, or commands never answered.
    Stuck,
    /// The evidence could not be read.
    Unknown,
}

impl Liveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Alive => "alive",
            Liveness::Quiet => "quiet",
            Liveness::Stuck => "stuck",
            Liveness::Unknown => "unknown",
        }
    }
}

/// Whether a software update is being installed right now.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallActivity {
    Installing(Evidence),
    Idle,
    Unknown(String),
}

impl InstallActivity {
    /// Installing if either source says so; idle if either knows it is idle; else unknown.
    pub fn combine(a: InstallActivity, b: InstallActivity) -> InstallActivity {
        match (a, b) {
            (i @ InstallActivity::Installing(_), _) | (_, i @ InstallActivity::Installing(_)) => i,
            (InstallActivity::Idle, _) | (_, InstallActivity::Idle) => InstallActivity::Idle,
            (InstallActivity::Unknown(x), InstallActivity::Unknown(y)) => {
                InstallActivity::Unknown(format!("{x}; {y}"))
            }
        }
    }
}

/// All findings plus the derived states heal and the Addigy keys need.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub findings: Vec<Finding>,
    pub mdmclient: Liveness,
    pub softwareupdated: Liveness,
    pub install: InstallActivity,
    pub enrolled: Option<bool>,
    pub identity_error: Option<bool>,
    /// Per-update-kind verdicts (the report's `readiness` section).
    pub readiness: Option<crate::report::Readiness>,
}

impl Diagnosis {
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// The four diagnostic Addigy keys; the restart keys are filled by heal from its state.
    pub fn watchdog(&self) -> Watchdog {
        let stuck = |l: Liveness| match l {
            Liveness::Stuck => Some(true),
            Liveness::Alive | Liveness::Quiet => Some(false),
            Liveness::Unknown => None,
        };
        Watchdog {
            mdm_enrolled: self.enrolled,
            mdm_identity_error: self.identity_error,
            mdm_client_stuck: stuck(self.mdmclient),
            mdm_software_updates_stuck: stuck(self.softwareupdated),
            ..Watchdog::default()
        }
    }
}

pub fn diagnose(obs: &Observations, cfg: &Config) -> Diagnosis {
    let enrollment = enrollment::check(obs, cfg);
    let enrolled = match enrollment.status {
        Status::Unknown => None,
        _ => enrollment.facts.get("enrolled").and_then(|v| v.as_bool()),
    };
    let identity = identity::check(obs, cfg);
    let identity_error = match identity.status {
        Status::Unknown => None,
        Status::Failed => Some(true),
        _ => Some(false),
    };
    let client = client_liveness::assess(obs, cfg);
    let daemon = daemon_liveness::assess(obs, cfg, client.state);
    let install = InstallActivity::combine(
        daemon_liveness::install_activity(obs),
        ddm::install_activity(obs),
    );
    let mut findings = vec![enrollment, identity, client.finding, daemon.finding];
    // Update readiness (issue 4): the facts first, then the verdict built from them.
    let readiness_inputs = vec![
        os_version::check(obs, cfg),
        su_pending::check(obs, cfg),
        ddm::check(obs, cfg),
        battery::check(obs, cfg),
        disk::check(obs, cfg),
        bootstrap::check(obs, cfg),
    ];
    findings.extend(readiness_inputs);
    // The verdict weighs the MDM path too: the update an MDM wants arrives through mdmclient and
    // is installed by softwareupdated.
    let (readiness_finding, readiness) = readiness::assess(&findings);
    findings.push(readiness_finding);
    Diagnosis {
        findings,
        mdmclient: client.state,
        softwareupdated: daemon.state,
        install,
        enrolled,
        identity_error,
        readiness: Some(readiness),
    }
}

/// A liveness check's result: the finding and the state heal acts on.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub finding: Finding,
    pub state: Liveness,
}
