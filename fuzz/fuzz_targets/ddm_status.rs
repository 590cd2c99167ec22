//! Fuzz target: a log message with a `Reporting status { ... }` block. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mdmwatch::parse::ddm_status::block(&text);
    if let Ok(s) = mdmwatch::parse::ddm_status::parse(&text) {
        let _ = s.is_empty();
        let _ = s.install_state.as_ref().map(|i| i.as_str().len());
    }
});
