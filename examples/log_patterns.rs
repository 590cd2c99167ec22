//! Prints docs/LOG-PATTERNS.md from the pattern table (`src/parse/log_patterns.rs`):
//! `cargo run --example log_patterns > docs/LOG-PATTERNS.md`.

fn main() {
    print!("{}", mdmwatch::parse::log_patterns::markdown());
}
