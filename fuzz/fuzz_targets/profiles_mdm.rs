//! Fuzz target: profiles -L -o stdout-xml (the MDM payload). Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::profiles::parse_mdm_profile(data);
});
