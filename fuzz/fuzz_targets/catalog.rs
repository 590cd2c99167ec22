//! Fuzz target: the --catalog JSON (GDMF or SOFA). Must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = mdmwatch::checks::catalog::parse(data) {
        let model = c
            .model_majors
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "Mac14,2".to_string());
        let running = c
            .releases
            .first()
            .map(|r| r.version.clone())
            .unwrap_or_else(|| "14.0".to_string());
        let _ = mdmwatch::checks::catalog::newer_for(&c, &model, &running);
    }
});
