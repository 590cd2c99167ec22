//! Fuzz target: `security find-identity` listings. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ids) = mdmwatch::parse::find_identity::parse(&String::from_utf8_lossy(data)) {
        let _ = ids.has("C5C24BD24B3B70071604AEEFC997E8E580A20818");
    }
});
