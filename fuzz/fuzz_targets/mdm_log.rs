//! Fuzz target: the mdmclient log summary. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::mdm_log::summarize(data);
});
