//! Fuzz target: sysctl -n hw.model and hw.optional.arm64 text. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mdmwatch::parse::sysctl;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = sysctl::parse_model(&text) {
        let _ = sysctl::portable_from_model(&m);
    }
    let _ = sysctl::parse_arm64(&text);
    let _ = sysctl::is_unknown_oid(&text);
});
