//! mdmwatch: an on-device agent and watchdog for managed Macs.
//!
//! Data flow: probe (`system`, the only I/O) -> observation (`observe`, `parse`) -> check
//! (`checks`, pure) -> finding -> report (`report`) and heal. See ARCHITECTURE.md.

// Unit tests read fixtures and write temporary files directly; the file and process bans of
// clippy.toml hold for the library itself (the non-test build).
#![cfg_attr(test, allow(clippy::disallowed_methods))]
// A function over 100 lines (clippy.toml) mixes steps a reader must hold at once: split it, or
// write the reason beside an `#[allow]`.
#![warn(clippy::too_many_lines)]
// `pub` is for what the integration tests, examples and the fuzz crate use; everything else is
// `pub(crate)`, so the dead-code lint sees what nothing uses. Held for the library build: the
// unit tests' helpers are `pub` inside private test modules.
#![cfg_attr(not(test), warn(unreachable_pub))]

pub mod app;
pub mod checks;
pub mod cli;
pub mod config;
pub mod heal;
pub mod observe;
pub mod parse;
pub mod probes;
pub(crate) mod redact;
pub mod report;
pub mod state;
pub mod status_files;
// The I/O boundary: the one module that spawns processes and opens, reads and writes files.
#[allow(clippy::disallowed_methods)]
pub mod system;

// The one test kit, for the unit tests and (feature `test-support`, on for every test build) the
// integration tests. It reads fixtures directly, as tests may.
#[cfg(any(test, feature = "test-support"))]
#[allow(clippy::disallowed_methods)]
#[doc(hidden)]
pub mod test_support;
