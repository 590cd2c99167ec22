//! The integration tests, one binary (as ripgrep's `tests/integration`): the crate is linked once,
//! and one area runs with `cargo test --test it heal::`. `common` runs the built binary (a failed
//! assertion prints the command line, exit status, stdout and stderr) and holds the fake-launchd
//! sandbox that the heal tests share.

// Tests read fixtures, build sandboxes and run the built binary: clippy.toml's file and process
// bans are the library's boundary, not the tests'.
#![allow(clippy::disallowed_methods)]

mod common;

mod admin;
mod capture_replay;
mod config;
mod contract;
mod crash_safety;
mod deploy;
mod fault_matrix;
mod heal;
mod heal_props;
mod layering;
mod live_runner;
mod liveness;
mod log_union;
mod readiness;
mod recipes;
mod root_safety;
mod scenarios;
mod schema;
mod status;
mod validate_report;
