//! Fuzz target: the softwareupdated log summary (incl. Reporting status collection). Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::su_log::summarize(data);
});
