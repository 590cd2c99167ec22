//! Fuzz target: software-update settings plists (binary or XML). Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = mdmwatch::parse::update_settings::parse(data) {
        let _ = p.bool("AutomaticCheckEnabled");
        let _ = p.int("enforcedSoftwareUpdateDelay");
    }
});
