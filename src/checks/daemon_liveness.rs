//! `softwareupdate.daemon_liveness`: Addigy's rule plus what the softwareupdated log shows.
//! STUB: owned by the log/liveness work.

use super::{Assessment, InstallActivity, Liveness, DAEMON_LIVENESS};
use crate::config::Config;
use crate::observe::Observations;
use crate::report::Finding;

pub fn assess(_obs: &Observations, _cfg: &Config, _mdmclient: Liveness) -> Assessment {
    Assessment {
        finding: Finding::unknown(DAEMON_LIVENESS, "not implemented"),
        state: Liveness::Unknown,
    }
}

/// Whether the softwareupdated log shows an install in progress.
pub fn install_activity(_obs: &Observations) -> InstallActivity {
    InstallActivity::Unknown("not implemented".into())
}
