//! Fuzz target: the staged update's SystemVersion.plist, the Update volume's Update.plist, the
//! snapshot listing, the volume group from diskutil's plist and the stat mtime line. Must never
//! panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdmwatch::parse::staged_update::parse(data);
    let _ = mdmwatch::parse::staged_update::parse_update_plist(data);
    let _ = mdmwatch::parse::staged_update::parse_snapshots(data);
    let _ = mdmwatch::parse::staged_update::volume_group(data);
    let _ = mdmwatch::parse::staged_update::mtime(data);
});
