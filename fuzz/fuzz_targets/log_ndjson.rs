//! Fuzz target: the ndjson log stream reader. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::log_ndjson::for_each_entry(data, |_| {});
});
