//! Fuzz target: the apsd log summary (courier connection lines). Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::apsd_log::summarize(data);
});
