//! Fuzz target: seedutil current. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::seedutil::parse(&String::from_utf8_lossy(data));
});
