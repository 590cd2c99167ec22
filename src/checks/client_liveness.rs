//! `mdm.client_liveness`: has mdmclient talked to its server in the window: alive, quiet or stuck.
//! STUB: owned by the log/liveness work.

use super::{Assessment, Liveness, CLIENT_LIVENESS};
use crate::config::Config;
use crate::observe::Observations;
use crate::report::Finding;

pub fn assess(_obs: &Observations, _cfg: &Config) -> Assessment {
    Assessment {
        finding: Finding::unknown(CLIENT_LIVENESS, "not implemented"),
        state: Liveness::Unknown,
    }
}
