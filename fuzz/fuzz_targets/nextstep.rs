//! Fuzz target: the old-style (NeXTSTEP) pre-pass and plist reading, and the any-form plist
//! loader. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mdmwatch::parse::nextstep;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(v) = nextstep::parse(&text) {
        let _ = nextstep::leaves(&v);
        let _ = nextstep::find(&v, "softwareupdate.install-state");
    }
    if let Some(open) = text.find('{') {
        if let Some(end) = nextstep::block_end(&text, open) {
            assert!(end <= text.len() && end > open, "block_end out of range");
        }
    }
    let _ = nextstep::unquote(&text);
    let _ = nextstep::load_any_plist(data);
});
