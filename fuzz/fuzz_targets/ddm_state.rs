//! Fuzz target: SoftwareUpdateDDMStatePersistence.plist (binary, XML or old-style). Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::ddm_state::parse(data);
});
