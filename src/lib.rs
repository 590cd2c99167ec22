//! mdmwatch: an on-device agent and watchdog for managed Macs.
//!
//! Data flow: probe (`system`, the only I/O) -> observation (`observe`, `parse`) -> check
//! (`checks`, pure) -> finding -> report (`report`) and heal. See ARCHITECTURE.md.

pub mod app;
pub mod checks;
pub mod cli;
pub mod config;
pub mod heal;
pub mod observe;
pub mod parse;
pub mod probes;
pub mod redact;
pub mod report;
pub mod state;
pub mod status;
pub mod system;

#[cfg(test)]
pub(crate) mod test_support;
