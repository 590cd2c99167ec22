//! Fuzz target: diskutil info -plist / (binary or XML plist bytes). Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = mdmwatch::parse::diskutil::parse(data) {
        let _ = d.free_bytes();
    }
});
