//! Test-only helpers shared by the unit tests: reading the fixtures under `tests/fixtures`.

/// The bytes of `tests/fixtures/<dir>/<name>`; panics with the path when missing.
pub fn fixture(dir: &str, name: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A real sample from `tests/fixtures/samples` (provenance in its SOURCES.md), as bytes.
pub fn sample(name: &str) -> Vec<u8> {
    fixture("samples", name)
}

/// A real sample as text (invalid UTF-8 is a test failure: these are text captures).
pub fn sample_text(name: &str) -> String {
    String::from_utf8(sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}
