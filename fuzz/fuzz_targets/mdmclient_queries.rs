//! Fuzz target: mdmclient QueryDeviceInformation. Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = mdmwatch::parse::mdmclient_queries::parse(&String::from_utf8_lossy(data)) {
        let _ = d.eacs_preflight();
        let _ = d.available_device_capacity_gb();
        let _ = d.device_capacity_gb();
    }
});
