//! Fuzz target: the settings plist (config::from_bytes, the pure layer under config::load).
//! Never panics, and whatever it accepts stays inside the documented bounds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mdmwatch::config;

fuzz_target!(|data: &[u8]| {
    let l = config::from_bytes(data);
    let c = &l.config;
    assert!(c.restart_spacing_hours >= 24, "spacing below 24 h");
    for t in [c.battery_apple_silicon, c.battery_intel] {
        assert!(t.user_initiated <= 100 && t.automatic <= 100 && t.rsr <= 100);
    }
    let dir = c.status_dir.to_str().expect("status dir is UTF-8");
    assert!(
        config::validate_status_dir(dir).is_ok(),
        "accepted status dir {dir:?}"
    );
    let _ = mdmwatch::report::config_section(&l);
});
