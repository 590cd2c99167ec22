//! Fuzz target: /Library/Preferences/com.apple.SoftwareUpdate.plist (any plist form). Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = mdmwatch::parse::su_prefs::parse(data) {
        for u in &p.recommended_updates {
            let _ = u.is_os();
        }
    }
});
