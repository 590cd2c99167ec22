//! `mdm.enrollment`: enrolled or not, via ADE (DEP) or not, user approved or not, server URL.
//! STUB: owned by the MDM-health work.

use super::ENROLLMENT;
use crate::config::Config;
use crate::observe::Observations;
use crate::report::Finding;

pub fn check(_obs: &Observations, _cfg: &Config) -> Finding {
    Finding::unknown(ENROLLMENT, "not implemented")
}
