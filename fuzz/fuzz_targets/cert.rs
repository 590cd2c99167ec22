//! Fuzz target: PEM certificate bundles. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::cert::parse_pem_bundle(data);
});
