//! `mdm.identity`: the MDM identity certificate exists, issuer, expiry, identity errors in the log.
//! STUB: owned by the MDM-health work.

use super::IDENTITY;
use crate::config::Config;
use crate::observe::Observations;
use crate::report::Finding;

pub fn check(_obs: &Observations, _cfg: &Config) -> Finding {
    Finding::unknown(IDENTITY, "not implemented")
}
