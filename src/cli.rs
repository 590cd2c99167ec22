//! Commands and flags, and the normalisation of Addigy's single-dash flags.
//!
//! clap has no single-dash long flags: `-heal` would be read as `-h` (help) and `-diagnose` would
//! be an error. So exactly the legacy tokens are rewritten before clap sees them, and nothing
//! after `--`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub const OUTPUT_DETAILS: &str = "\
Output Details (compatible with Addigy's MDM Watchdog):
  MDMEnrolled - Tells us if the device is enrolled with an MDM.
  MDMIdentityError - The MDM identity certificate is missing, expired, or mdmclient logged that it
    could not create the MDM identity. Remediation: review the certificates and re-enroll.
  MDMClientStuck - mdmclient tried to talk to its MDM server in the window (default 90 minutes) and
    did not succeed. A Mac the server simply did not contact is quiet, not stuck. The heal option
    restarts mdmclient at most once every 24 hours when this is true.
  MDMSoftwareUpdatesStuck - mdmclient is stuck and the last command was a software-update one, or
    the softwareupdated log shows no progress. The heal option restarts softwareupdated at most
    once every 24 hours when this is true, never during an install.
  MDMClientRestarted - The heal operation restarted mdmclient in this run.
  SoftwareUpdateDaemonRestarted - The heal operation restarted softwareupdated in this run.
  LastMDMKickstart - When mdmclient was last restarted.
  LastSoftwareUpdateDaemonKickstart - When softwareupdated was last restarted.
Exit status: 0 healthy, 1 problems found (a check failed or warned), 2 usage or internal error
  (or an error that stopped heal), 3 could not determine anything (not macOS, or every probe
  failed; the first line says why).";

#[derive(Debug, Parser)]
#[command(
    name = "mdmwatch",
    version,
    about = "mdmwatch identifies and remediates the problems that stop a managed Mac from taking the updates its MDM wants.",
    after_help = OUTPUT_DETAILS,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Print the report as one JSON document (the versioned contract) instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Run against a capture directory instead of the live system ("now" is its captured_at).
    #[arg(long, global = true, value_name = "DIR")]
    pub replay: Option<PathBuf>,

    /// Read settings from this plist (after managed preferences and /Library/Preferences).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Show each finding's evidence and remediation.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// State file (default /Library/Application Support/mdmwatch/state.json).
    #[arg(long, global = true, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// Directory for status.json and status.plist (default /Library/Application Support/mdmwatch).
    #[arg(long, global = true, value_name = "DIR")]
    pub status_dir: Option<PathBuf>,

    /// Heal: decide and report, execute nothing, write no state.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// A GDMF (gdmf.apple.com/v2/pmv) or SOFA macOS feed JSON downloaded by the admin: lists newer
    /// releases for this Mac (finding softwareupdate.catalog). Never fetched from the network.
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,

    /// Testing aid: resolve every absolute path (binaries, files) under DIR.
    #[arg(long, global = true, value_name = "DIR", hide = true)]
    pub sysroot: Option<PathBuf>,
}

#[derive(Debug, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Checks for known MDM and update problems and prints the results (also: -diagnose).
    Diagnose,
    /// Checks, restarts stuck services safely (at most once per 24 h each), prints the results (also: -heal).
    Heal,
    /// Records every probe's raw output into an empty directory, for --replay anywhere.
    Capture {
        /// Directory to create (must be absent or empty).
        dir: PathBuf,
    },
    /// The LaunchDaemon entry point: diagnose, heal when enabled, write status files, log, exit.
    Run,
}

/// Rewrites Addigy's single-dash flags to what clap understands; stops at `--`.
pub fn normalize_legacy(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut passthrough = false;
    for (i, arg) in args.into_iter().enumerate() {
        if i == 0 || passthrough {
            out.push(arg);
            continue;
        }
        if arg == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        let replaced = match arg.to_str() {
            Some("-diagnose") => Some("diagnose"),
            Some("-heal") => Some("heal"),
            Some("-help") => Some("--help"),
            Some("-version") => Some("--version"),
            Some("-json") => Some("--json"),
            _ => None,
        };
        out.push(replaced.map(OsString::from).unwrap_or(arg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize_legacy(args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(normalize_legacy(args.iter().map(OsString::from).collect()))
    }

    #[test]
    fn legacy_tokens_are_rewritten() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["mdmwatch", "-diagnose"], &["mdmwatch", "diagnose"]),
            (&["mdmwatch", "-heal"], &["mdmwatch", "heal"]),
            (&["mdmwatch", "-help"], &["mdmwatch", "--help"]),
            (&["mdmwatch", "-version"], &["mdmwatch", "--version"]),
            (
                &["mdmwatch", "-diagnose", "-json"],
                &["mdmwatch", "diagnose", "--json"],
            ),
            // Only exact tokens: prefixes and other spellings are left for clap to judge.
            (&["mdmwatch", "-diag"], &["mdmwatch", "-diag"]),
            (&["mdmwatch", "-Heal"], &["mdmwatch", "-Heal"]),
            // Nothing after `--`, and never argv[0].
            (
                &["-heal", "diagnose", "--", "-heal"],
                &["-heal", "diagnose", "--", "-heal"],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(norm(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn legacy_heal_is_heal_not_help() {
        let cli = parse(&["mdmwatch", "-heal"]).unwrap();
        assert_eq!(cli.command, Some(Command::Heal));
        let cli = parse(&["mdmwatch", "-diagnose", "--replay", "/tmp/x", "-json"]).unwrap();
        assert_eq!(cli.command, Some(Command::Diagnose));
        assert!(cli.json);
        assert_eq!(cli.replay, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn legacy_help_and_version_are_displayed_not_errors() {
        let e = parse(&["mdmwatch", "-help"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
        let e = parse(&["mdmwatch", "-version"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion);
    }

    #[test]
    fn modern_spellings_work() {
        let cli = parse(&["mdmwatch", "heal", "--dry-run", "--state", "/tmp/s.json"]).unwrap();
        assert_eq!(cli.command, Some(Command::Heal));
        assert!(cli.dry_run);
        let cli = parse(&["mdmwatch", "capture", "/tmp/cap"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Capture {
                dir: PathBuf::from("/tmp/cap")
            })
        );
    }
}
