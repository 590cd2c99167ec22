//! Fuzz target: pmset -g batt. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = mdmwatch::parse::pmset::parse(&String::from_utf8_lossy(data)) {
        let _ = p.internal();
        let _ = p.on_ac();
    }
});
