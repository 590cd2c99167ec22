//! Fuzz target: install.log tails and the staged update's SystemVersion.plist. Must never panic
//! on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(log) = mdmwatch::parse::install_log::parse_any_time(data) {
        let _ = log.last_declaration();
        let _ = log.padded_date();
        let _ = log.removed_invalid();
    }
    let _ = mdmwatch::parse::staged_update::parse(data);
    let _ = mdmwatch::parse::staged_update::volume_group(data);
});
