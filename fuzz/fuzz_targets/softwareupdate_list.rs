//! Fuzz target: `softwareupdate --list --no-scan` output (stdout, then stderr after the first NUL
//! byte). Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (out, err) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[..0]),
    };
    let out = String::from_utf8_lossy(out);
    let err = String::from_utf8_lossy(err);
    if let Ok(l) = mdmwatch::parse::softwareupdate_list::parse(&out, &err) {
        for i in &l.items {
            let _ = i.is_macos();
        }
    }
    let _ = mdmwatch::parse::softwareupdate_list::size_bytes(&out);
});
