//! For the macOS CI job: validates reports produced live on a hosted Mac against
//! schema/report.schema.json. `MDMWATCH_VALIDATE_REPORTS` lists the files (separated by `:`);
//! without it (Linux, a developer's machine) the test has nothing to check and says so.

use crate::common;

#[test]
fn reports_named_in_the_environment_validate_against_the_schema() {
    let Some(list) = std::env::var_os("MDMWATCH_VALIDATE_REPORTS") else {
        println!(
            "MDMWATCH_VALIDATE_REPORTS not set: nothing to validate (the macOS workflow sets it)"
        );
        return;
    };
    let list = list.into_string().expect("UTF-8 paths");
    let mut n = 0;
    for path in list.split(':').filter(|p| !p.is_empty()) {
        let text = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let report: serde_json::Value =
            serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
        common::assert_valid(&report);
        assert_eq!(report["schema_version"], 1, "{path}");
        println!(
            "{path}: valid ({} checks)",
            report["checks"].as_object().map_or(0, |c| c.len())
        );
        n += 1;
    }
    assert!(n > 0, "MDMWATCH_VALIDATE_REPORTS names no file");
}
