//! Fuzz target: the ndjson log stream reader. Must never panic on any input, and on every line
//! the scanner must decode what the serde_json reference decodes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::log_ndjson::for_each_entry(data, |_| {});
    for line in data.split(|&b| b == b'\n') {
        assert!(mdmwatch::parse::log_ndjson::decoders_agree(line));
    }
});
