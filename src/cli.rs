//! Commands and flags, and the normalisation of Addigy's single-dash flags.
//!
//! clap has no single-dash long flags: `-heal` would be read as `-h` (help) and `-diagnose` would
//! be an error. So exactly the legacy tokens are rewritten before clap sees them, and nothing
//! after `--`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub(crate) const OUTPUT_DETAILS: &str = "\
Output Details (compatible with Addigy's MDM Watchdog):
  MDMEnrolled - Tells us if the device is enrolled with an MDM.
  MDMIdentityError - The MDM identity certificate is missing, expired, or mdmclient logged that it
    could not create the MDM identity. Remediation: review the certificates and re-enroll.
  MDMClientStuck - mdmclient tried to talk to its MDM server in the window (default 90 minutes) and
    did not succeed. A Mac the server simply did not contact is quiet, not stuck. The heal option
    restarts mdmclient (at most once every 24 hours, never during an install) only when a restart
    can help: a command received and never answered. For a server error, a refused identity or a
    network fault it restarts nothing and says what to do instead; -diagnose shows its decision.
  MDMSoftwareUpdatesStuck - mdmclient is stuck and the last command was a software-update one, or
    the softwareupdated log shows no progress. The heal option restarts softwareupdated at most
    once every 24 hours when the log shows a stalled job, never during an install.
  MDMClientRestarted - The heal operation restarted mdmclient in this run.
  SoftwareUpdateDaemonRestarted - The heal operation restarted softwareupdated in this run.
  LastMDMKickstart - When mdmclient was last restarted.
  LastSoftwareUpdateDaemonKickstart - When softwareupdated was last restarted.
Exit status: 0 no problem found (the first line says whether some checks were incomplete), 1
  problems found (a check failed or warned), 2 usage or internal error (or an error that stopped
  heal), 3 could not determine anything (not macOS, or every probe failed; the first line says
  why).";

/// `--version`: the version, the commit it was built from, the build date and the target
/// (set by build.rs; "unknown" when built outside a git checkout).
pub(crate) const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("MDMWATCH_GIT_COMMIT"),
    "\nbuilt: ",
    env!("MDMWATCH_BUILD_DATE"),
    "\ntarget: ",
    env!("MDMWATCH_TARGET"),
);

#[derive(Debug, Parser)]
#[command(
    name = "mdmwatch",
    version,
    long_version = LONG_VERSION,
    about = "mdmwatch identifies and remediates the problems that stop a managed Mac from taking the updates its MDM wants.",
    after_help = OUTPUT_DETAILS
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

    /// Directory for status.json and status.plist written by `run` (default /Library/Application
    /// Support/mdmwatch); heal's state.json is found there too unless --state names it.
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
        /// Mask serial numbers, UDIDs, tokens and server host names (docs/PRIVACY.md); the
        /// same value always gets the same mask, so the capture still replays.
        #[arg(long)]
        redact: bool,
        /// Capture even where it cannot work (not macOS): refused otherwise.
        #[arg(long)]
        force: bool,
    },
    /// The LaunchDaemon entry point: diagnose, heal when enabled, write status files, log, exit.
    Run,
}

/// Addigy's single-dash flags (and `-json`), as typed.
pub(crate) const LEGACY_FLAGS: &[&str] = &["-diagnose", "-heal", "-help", "-version", "-json"];

/// A mistyped legacy flag (`-diagnos`, `-heall`, `-diag`): the message suggesting the right one.
/// clap would otherwise read `-diagnos` as the short flags `-d -i ...` and answer with something
/// unrelated. Stops at `--`; `argv[0]` is skipped.
pub(crate) fn mistyped_legacy(args: &[OsString]) -> Option<String> {
    // Addigy's flags first (a near miss prefers them), then every other long flag, one dash.
    let mut candidates: Vec<String> = LEGACY_FLAGS.iter().map(|f| f.to_string()).collect();
    for l in long_flags() {
        let f = format!("-{l}");
        if !candidates.contains(&f) {
            candidates.push(f);
        }
    }
    for arg in args.iter().skip(1) {
        let Some(a) = arg.to_str() else { continue };
        if a == "--" {
            return None;
        }
        let name = a.split('=').next().unwrap_or(a);
        let known = |n: &str| candidates.iter().any(|c| c == n);
        if !a.starts_with('-') || a.starts_with("--") || a.len() <= 2 || known(name) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        // A prefix (`-diag`) first, then the nearest spelling within two edits.
        let prefix = candidates
            .iter()
            .find(|f| lower.len() >= 4 && f.starts_with(&lower));
        let near = candidates
            .iter()
            .map(|f| (edit_distance(&lower, f), f))
            .min()
            .filter(|(d, _)| *d <= 2)
            .map(|(_, f)| f);
        if let Some(f) = prefix.or(near) {
            let modern = f.trim_start_matches('-');
            let modern = match modern {
                "diagnose" | "heal" => modern.to_string(),
                other => format!("--{other}"),
            };
            return Some(format!(
                "unknown flag {a}: did you mean {f}? (or: mdmwatch {modern})"
            ));
        }
    }
    None
}

/// Levenshtein distance (the strings are a few characters long).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The global flags (clap ids and spellings) each command would silently ignore: refused when
/// given (`ignored_flags`) and left out of that command's help (`command_for_help`).
pub(crate) fn refused_flags(command: &str) -> &'static [(&'static str, &'static str)] {
    match command {
        "diagnose" => &[("dry_run", "--dry-run")],
        "heal" | "run" => &[("catalog", "--catalog")],
        "capture" => &[
            ("json", "--json"),
            ("verbose", "--verbose"),
            ("state", "--state"),
            ("status_dir", "--status-dir"),
            ("dry_run", "--dry-run"),
            ("catalog", "--catalog"),
        ],
        _ => &[],
    }
}

/// The clap command whose per-command help lists only the flags that command accepts.
pub fn command_for_help() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // Global flags are copied into each subcommand when the command is built: hide them there.
    cmd.build();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        for (id, _) in refused_flags(&name) {
            cmd = cmd.mut_subcommand(&name, |sc| sc.mut_arg(*id, |a| a.hide(true)));
        }
    }
    cmd
}

/// The subcommand whose help was asked for (`capture --help`, `help capture`, `-heal -help`).
pub(crate) fn help_for(args: &[OsString]) -> Option<String> {
    let args: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let names = ["diagnose", "heal", "run", "capture"];
    let command = args.iter().find(|a| names.contains(a))?;
    let asks = args.iter().any(|a| matches!(*a, "--help" | "-h")) || args.first() == Some(&"help");
    asks.then(|| command.to_string())
}

/// Flags the chosen command would silently ignore are refused instead (an admin who types
/// `capture DIR --json` must not believe it did something).
pub(crate) fn ignored_flags(cli: &Cli) -> Option<String> {
    let command = cli.command.as_ref()?;
    let name = match command {
        Command::Diagnose => "diagnose",
        Command::Heal => "heal",
        Command::Run => "run",
        Command::Capture { .. } => "capture",
    };
    let given: Vec<&str> = refused_flags(name)
        .iter()
        .filter(|(id, _)| match *id {
            "json" => cli.json,
            "verbose" => cli.verbose,
            "state" => cli.state.is_some(),
            "status_dir" => cli.status_dir.is_some(),
            "dry_run" => cli.dry_run,
            "catalog" => cli.catalog.is_some(),
            _ => false,
        })
        .map(|(_, flag)| *flag)
        .collect();
    (!given.is_empty()).then(|| {
        format!(
            "{} has no effect on {name}; refused (mdmwatch {name} --help lists what it accepts)",
            given.join(", ")
        )
    })
}

/// Every long flag (`json`, `dry-run`, `status-dir`, ...) of every command, for the
/// single-dash spellings (`-json`, `-dry-run`): Addigy's tool takes Go's flags, which accept
/// one dash or two.
pub(crate) fn long_flags() -> Vec<String> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out: Vec<String> = Vec::new();
    let sub_args = cmd.get_subcommands().flat_map(|c| c.get_arguments());
    for a in cmd.get_arguments().chain(sub_args) {
        if let Some(l) = a.get_long() {
            if !out.iter().any(|o| o == l) {
                out.push(l.to_string());
            }
        }
    }
    for l in ["help", "version"] {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    out
}

/// `--diagnose`, `--heal`, `--run`, `--capture`: commands typed as flags. The hint names the
/// command (clap alone says only "unexpected argument").
pub(crate) fn command_as_flag(args: &[OsString]) -> Option<String> {
    for arg in args.iter().skip(1) {
        let Some(a) = arg.to_str() else { continue };
        if a == "--" {
            return None;
        }
        if let Some(name) = a.strip_prefix("--") {
            if ["diagnose", "heal", "run", "capture"].contains(&name) {
                return Some(format!(
                    "unknown flag {a}: {name} is a command: mdmwatch {name} (or Addigy's -{name})"
                ));
            }
        }
    }
    None
}

/// Rewrites Addigy's single-dash flags to what clap understands; stops at `--`.
pub(crate) fn normalize_legacy(args: Vec<OsString>) -> Vec<OsString> {
    let long = long_flags();
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
            Some("-diagnose") => Some("diagnose".to_string()),
            Some("-heal") => Some("heal".to_string()),
            // Addigy's `-version` prints the version alone (scripts compare it); `--version`
            // adds the commit, build date and target.
            Some("-version") => Some("-V".to_string()),
            // `-verbose`, `-dry-run`, `-replay DIR`, `-replay=DIR`: any long flag, one dash.
            Some(a) if a.len() > 2 && a.starts_with('-') && !a.starts_with("--") => {
                let name = a[1..].split('=').next().unwrap_or("");
                long.iter().any(|l| l == name).then(|| format!("-{a}"))
            }
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
            (&["mdmwatch", "-version"], &["mdmwatch", "-V"]),
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
    fn every_long_flag_has_its_single_dash_form() {
        let cli = parse(&[
            "mdmwatch",
            "-diagnose",
            "-verbose",
            "-replay",
            "/tmp/cap",
            "-json",
            "-status-dir=/tmp/s",
        ])
        .unwrap();
        assert_eq!(cli.command, Some(Command::Diagnose));
        assert!(cli.verbose && cli.json);
        assert_eq!(cli.replay, Some(PathBuf::from("/tmp/cap")));
        assert_eq!(cli.status_dir, Some(PathBuf::from("/tmp/s")));
        let cli = parse(&["mdmwatch", "-heal", "-dry-run", "-state", "/tmp/x.json"]).unwrap();
        assert_eq!(cli.command, Some(Command::Heal));
        assert!(cli.dry_run);
        let cli = parse(&["mdmwatch", "capture", "/tmp/c", "-redact", "-force"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Capture {
                dir: PathBuf::from("/tmp/c"),
                redact: true,
                force: true
            })
        );
        // Every long flag is in the list, so none is left to clap's short-flag reading.
        for f in [
            "json",
            "replay",
            "config",
            "verbose",
            "state",
            "status-dir",
            "dry-run",
        ] {
            assert!(long_flags().iter().any(|l| l == f), "{f}");
        }
        // A near miss of any of them gets a suggestion.
        let m = |a: &[&str]| mistyped_legacy(&a.iter().map(OsString::from).collect::<Vec<_>>());
        let msg = m(&["mdmwatch", "-diagnose", "-dryrun"]).unwrap();
        assert!(msg.contains("did you mean -dry-run?"), "{msg}");
    }

    #[test]
    fn a_command_typed_as_a_flag_gets_a_hint() {
        let a = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let msg = command_as_flag(&a(&["mdmwatch", "--diagnose"])).unwrap();
        assert!(msg.contains("mdmwatch diagnose"), "{msg}");
        assert_eq!(
            command_as_flag(&a(&["mdmwatch", "diagnose", "--json"])),
            None
        );
    }

    #[test]
    fn per_command_help_lists_only_what_the_command_accepts() {
        let mut cmd = command_for_help();
        let help = |cmd: &mut clap::Command, name: &str| {
            cmd.find_subcommand_mut(name)
                .unwrap()
                .render_help()
                .to_string()
        };
        let capture = help(&mut cmd, "capture");
        for refused in [
            "--json",
            "--verbose",
            "--status-dir",
            "--dry-run",
            "--catalog",
        ] {
            assert!(
                !capture.contains(refused),
                "capture help lists {refused}\n{capture}"
            );
        }
        assert!(
            capture.contains("--redact") && capture.contains("--replay"),
            "{capture}"
        );
        let diagnose = help(&mut cmd, "diagnose");
        assert!(!diagnose.contains("--dry-run"), "{diagnose}");
        assert!(diagnose.contains("--catalog"), "{diagnose}");
        let heal = help(&mut cmd, "heal");
        assert!(
            heal.contains("--dry-run") && !heal.contains("--catalog"),
            "{heal}"
        );
        let a = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            help_for(&a(&["mdmwatch", "capture", "--help"])).as_deref(),
            Some("capture")
        );
        assert_eq!(
            help_for(&a(&["mdmwatch", "help", "heal"])).as_deref(),
            Some("heal")
        );
        assert_eq!(help_for(&a(&["mdmwatch", "--help"])), None);
    }

    #[test]
    fn version_names_commit_date_and_target() {
        let e = parse(&["mdmwatch", "--version"]).unwrap_err();
        let text = e.to_string();
        for want in ["commit: ", "built: ", "target: "] {
            assert!(text.contains(want), "{text}");
        }
        assert!(LONG_VERSION.starts_with(env!("CARGO_PKG_VERSION")));
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
    fn mistyped_legacy_flags_get_a_suggestion() {
        let m = |a: &[&str]| mistyped_legacy(&a.iter().map(OsString::from).collect::<Vec<_>>());
        for (typed, want) in [
            ("-diagnos", "-diagnose"),
            ("-diagnoze", "-diagnose"),
            ("-Diagnose", "-diagnose"),
            ("-diag", "-diagnose"),
            ("-heall", "-heal"),
            ("-hlep", "-help"),
            ("-verison", "-version"),
            ("-jsno", "-json"),
        ] {
            let msg = m(&["mdmwatch", typed]).unwrap_or_else(|| panic!("{typed}"));
            assert!(msg.contains(&format!("did you mean {want}?")), "{msg}");
        }
        for fine in [
            &["mdmwatch", "-diagnose"][..],
            &["mdmwatch", "-v", "diagnose"],
            &["mdmwatch", "--json"],
            &["mdmwatch", "capture", "/tmp/x"],
            &["mdmwatch", "diagnose", "--", "-diagnos"],
            &["mdmwatch", "-xyzzyplugh"],
        ] {
            assert_eq!(m(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn flags_a_command_ignores_are_refused() {
        let refused = [
            &["mdmwatch", "diagnose", "--dry-run"][..],
            &["mdmwatch", "capture", "/tmp/c", "--json"],
            &["mdmwatch", "capture", "/tmp/c", "--status-dir", "/tmp/s"],
            &["mdmwatch", "heal", "--catalog", "/tmp/f.json"],
            &["mdmwatch", "run", "--catalog", "/tmp/f.json"],
        ];
        for args in refused {
            let cli = parse(args).unwrap();
            assert!(ignored_flags(&cli).is_some(), "{args:?}");
        }
        let accepted = [
            &["mdmwatch", "diagnose", "--status-dir", "/tmp/s"][..],
            &["mdmwatch", "diagnose", "--catalog", "/tmp/f.json", "--json"],
            &["mdmwatch", "heal", "--dry-run", "--state", "/tmp/s.json"],
            &["mdmwatch", "run", "--status-dir", "/tmp/s", "--dry-run"],
            &["mdmwatch", "capture", "/tmp/c", "--replay", "/tmp/r"],
        ];
        for args in accepted {
            let cli = parse(args).unwrap();
            assert_eq!(ignored_flags(&cli), None, "{args:?}");
        }
    }

    #[test]
    fn help_subcommand_is_help() {
        let e = parse(&["mdmwatch", "help"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
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
                dir: PathBuf::from("/tmp/cap"),
                redact: false,
                force: false
            })
        );
    }
}
