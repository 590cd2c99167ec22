//! Orchestration: picks the system (live or replay), loads settings, observes, checks, heals,
//! renders. Each command is one function; `main.rs` only maps the returned code to the exit.

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::checks::{self, Diagnosis};
use crate::cli::{self, Cli, Command};
use crate::config::{self, Config};
use crate::heal::{self, HealOptions};
use crate::observe::{self, Observations};
use crate::report::{self, Host, Report};
use crate::system::live::LiveSystem;
use crate::system::replay::ReplaySystem;
use crate::system::{capture, System};

pub(crate) const EXIT_OK: i32 = 0;
#[allow(
    dead_code,
    reason = "the exit-code table: report computes 1 from the findings"
)]
pub(crate) const EXIT_PROBLEMS: i32 = 1;
pub(crate) const EXIT_ERROR: i32 = 2;
pub(crate) const EXIT_UNDETERMINED: i32 = report::EXIT_UNDETERMINED;

/// Set when the binary runs as `mdm-watchdog` (the compatibility link): the human report keeps
/// Addigy's layout, the eight keys first, for scripts that read it by line number.
static ADDIGY_LAYOUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The name of the compatibility link the package installs (docs/DEPLOY.md).
pub(crate) const ADDIGY_LINK_NAME: &str = "mdm-watchdog";

/// Entry point for the binary: parses argv, runs the command, returns the exit code.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    let as_link = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|n| n == ADDIGY_LINK_NAME);
    ADDIGY_LAYOUT.store(as_link, std::sync::atomic::Ordering::Relaxed);
    if let Some(msg) = cli::mistyped_legacy(&args).or_else(|| cli::command_as_flag(&args)) {
        eprintln!("mdmwatch: {msg}");
        return EXIT_ERROR;
    }
    let args = cli::normalize_legacy(args);
    // Per-command help lists only the flags that command accepts.
    if let Some(name) = cli::help_for(&args) {
        let mut cmd = cli::command_for_help();
        if let Some(sc) = cmd.find_subcommand_mut(&name) {
            let _ = sc.print_help();
            return EXIT_OK;
        }
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    if let Some(msg) = cli::ignored_flags(&cli) {
        eprintln!("mdmwatch: {msg}");
        return EXIT_ERROR;
    }
    if let Err(msg) = crate::system::files::check_root_arguments(
        cli.sysroot.as_deref(),
        cli.state.as_deref(),
        cli.status_dir.as_deref(),
    ) {
        eprintln!("mdmwatch: {msg}");
        return EXIT_ERROR;
    }
    init_logging(cli.verbose);
    // One thread is enough: the probes are polled together from one task (`join_all`) and
    // nothing is spawned onto the runtime.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mdmwatch: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    let code = runtime.block_on(run_command(cli));
    // A probe that timed out inside a blocking call (a hung file read or volume query) still
    // holds a thread; dropping the runtime would wait for it for ever.
    runtime.shutdown_background();
    code
}

/// Logging: stderr (for people; `--verbose` or `MDMWATCH_LOG` raise the level) and, on macOS, the
/// unified log under subsystem `io.mdmwatch` at info and above. The filters are per layer: with
/// one global `warn` filter the run's info-level summary line would never reach the unified log
/// when launchd runs us without `--verbose`. tracing-oslog maps info to the Default log type,
/// which `log show` prints without `--info` and which is persisted.
fn init_logging(verbose: bool) {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("MDMWATCH_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if verbose { "info" } else { "warn" })
    });
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(stderr_colour())
        .with_filter(filter);
    let registry = tracing_subscriber::registry().with(fmt);
    #[cfg(target_os = "macos")]
    let registry = registry.with(
        tracing_oslog::OsLogger::new(crate::config::DOMAIN, "default")
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
    );
    let _ = registry.try_init();
}

/// Colour on stderr only for a person at a terminal: Jamf policy logs and launchd keep stderr
/// as text, and NO_COLOR (no-color.org: set and not empty) turns it off everywhere.
pub(crate) fn stderr_colour() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// The system a command runs against.
pub(crate) fn open_system(cli: &Cli) -> Result<Box<dyn System>, String> {
    if let Some(dir) = &cli.replay {
        return Ok(Box::new(ReplaySystem::open(dir)?));
    }
    Ok(match &cli.sysroot {
        Some(root) => Box::new(LiveSystem::with_sysroot(root)),
        None => Box::new(LiveSystem::new()),
    })
}

/// Settings from their sources (managed preferences, local preferences, `--config`, defaults);
/// `--status-dir` and `--state` win. Never fails: refused values and unreadable sources are
/// recorded in the result (and the report's `config` section).
pub(crate) fn load_config(cli: &Cli) -> config::Loaded {
    let flags = config::Flags {
        status_dir: cli.status_dir.clone(),
        state_path: cli.state.clone(),
    };
    config::load(cli.sysroot.as_deref(), cli.config.as_deref(), &flags)
}

async fn run_command(cli: Cli) -> i32 {
    let Some(command) = &cli.command else {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        let _ = cmd.print_help();
        return EXIT_ERROR;
    };
    let sys = match open_system(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mdmwatch: {e}");
            return EXIT_ERROR;
        }
    };
    let loaded = load_config(&cli);
    for w in &loaded.warnings {
        tracing::warn!("settings: {w}");
    }
    for e in &loaded.errors {
        tracing::warn!("settings: {e}");
    }
    let cfg = loaded.config.clone();
    match command {
        Command::Diagnose => diagnose(&cli, sys.as_ref(), &cfg, &loaded).await,
        Command::Heal => heal_command(&cli, sys.as_ref(), &cfg, &loaded).await,
        Command::Run => run(&cli, sys.as_ref(), &cfg, &loaded).await,
        Command::Capture { dir, redact, force } => {
            let off_macos = live_off_macos(&cli, sys.as_ref());
            capture_command(sys.as_ref(), &cfg, dir, *redact, *force, off_macos).await
        }
    }
}

/// Observes and checks.
pub async fn observe_and_diagnose(sys: &dyn System, cfg: &Config) -> (Observations, Diagnosis) {
    let obs = observe::observe(sys, cfg).await;
    let diag = checks::diagnose(&obs, cfg);
    (obs, diag)
}

/// The channel history of earlier runs, read where heal's state file is read (live, or a replay
/// with `--state`): a replay without it never reads this Mac's history.
pub fn channel_history(cli: &Cli, sys: &dyn System, cfg: &Config) -> crate::state::HistoryInput {
    if reads_state(cli, sys) {
        crate::state::load_history(&cfg.state_path())
    } else {
        crate::state::HistoryInput::NotRead
    }
}

/// Observe and diagnose with the channel history: the log window reaches back to the previous
/// run's end (bounded by `LogWindowMaxMinutes`), and a missing history adds the look-back.
pub async fn observe_and_diagnose_with_history(
    cli: &Cli,
    sys: &dyn System,
    cfg: &Config,
) -> (Observations, Diagnosis) {
    let history = channel_history(cli, sys, cfg);
    let mut windowed = cfg.clone();
    windowed.liveness_window_minutes = checks::channel::log_window_minutes(
        history.history().and_then(|h| h.last_run_end),
        sys.now(),
        cfg.liveness_window_minutes,
        cfg.log_window_max_minutes,
    );
    let mut obs = observe::observe_with_history(sys, &windowed, history).await;
    // Only `diagnose` accepts --catalog (the CLI refuses it elsewhere).
    obs.catalog = cli.catalog.as_deref().map(read_catalog);
    let diag = checks::diagnose(&obs, &windowed);
    (obs, diag)
}

/// Records this run's channel history in the state file, where the state file may be written:
/// live as root on macOS (never under `--dry-run`); on a replay only by `diagnose` with `--state` naming
/// the file (`replay_ok`), since heal and run under replay are dry runs that write no state.
pub fn record_channel_history(
    cli: &Cli,
    sys: &dyn System,
    cfg: &Config,
    (obs, diag): (&Observations, &Diagnosis),
    replay_ok: bool,
    report: &mut Report,
) {
    let allowed = if sys.is_live() {
        // Off macOS the state file's path is a system path: nothing is written there.
        sys.is_root() && !cli.dry_run && !live_off_macos(cli, sys)
    } else {
        replay_ok && cli.state.is_some()
    };
    if !allowed {
        return;
    }
    if let Some(c) = diag.channel() {
        if let Err(e) = crate::state::save_history(&cfg.state_path(), &c.next_history, obs.now) {
            report.errors.push(format!("channel history: {e}"));
        }
    }
}

pub fn build_report(obs: &Observations, diag: &Diagnosis, mode: &str, source: String) -> Report {
    let findings = report::findings(diag);
    let host = Host {
        os_version: obs.sw_vers.as_ref().ok().map(|v| v.product_version.clone()),
        os_build: obs.sw_vers.as_ref().ok().map(|v| v.build_version.clone()),
        os_version_extra: obs
            .sw_vers
            .as_ref()
            .ok()
            .and_then(|v| v.product_version_extra.clone()),
        model: obs.hw_model.as_ref().ok().cloned(),
        architecture: obs.arch.as_ref().ok().map(|a| a.as_str().to_string()),
    };
    Report {
        schema_version: report::SCHEMA_VERSION,
        mdmwatch_version: env!("CARGO_PKG_VERSION").to_string(),
        generated_at: crate::state::format_time(obs.now),
        mode: mode.to_string(),
        source,
        host,
        // Filled by the command from the loaded settings (see `load_config`).
        config: report::ConfigSection::default(),
        watchdog: report::watchdog(diag),
        readiness: diag.readiness().map(report::readiness_section),
        order: findings.iter().map(|f| f.id.clone()).collect(),
        checks: findings.into_iter().map(|f| (f.id.clone(), f)).collect(),
        heal: None,
        probes: obs.probes.iter().map(report::ProbeSummary::from).collect(),
        errors: Vec::new(),
        root: obs.root,
    }
}

/// Exit status 3 is said on stderr too (launchd and Jamf policy logs keep stderr), and recorded
/// in the report's `errors` (JSON, status files).
/// `stderr`: whether stdout will not carry the human report (whose first line says it already).
pub(crate) fn note_undetermined(report: &mut Report, stderr: bool) {
    if let Some(why) = report.undetermined_reason() {
        if stderr {
            eprintln!("mdmwatch: {why}");
        }
        report.errors.insert(0, why);
    }
}

/// The human report in the layout this binary was invoked for.
fn human_text(report: &Report, verbose: bool) -> String {
    report::render_human_layout(
        report,
        verbose,
        ADDIGY_LAYOUT.load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// One write to stdout (never half a document).
fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints the report to stdout in one write (never half a document).
pub(crate) fn emit(report: &Report, json: bool, verbose: bool) {
    let text = if json {
        let mut t = report.to_json();
        t.push('\n');
        t
    } else {
        human_text(report, verbose)
    };
    write_stdout(&text);
}

/// `--catalog FILE`: the admin's downloaded GDMF/SOFA JSON, read through the boundary's bounded,
/// no-follow reader (64 MiB); parsed in `parse::catalog` and assessed in `checks::diagnose`.
pub(crate) fn read_catalog(path: &std::path::Path) -> observe::CatalogInput {
    observe::CatalogInput::from_read(
        path.display().to_string(),
        crate::system::files::read_bounded(path, 64 * 1024 * 1024),
    )
}

/// Whether a command reads heal's state file: live, or when `--state` names one. A replay is
/// another Mac: the state at the configured path is this machine's, never the capture's.
pub(crate) fn reads_state(cli: &Cli, sys: &dyn System) -> bool {
    // Live, the state file is this Mac's (at `--state`, or in `--status-dir`, or the default).
    // A replay is another Mac: only a state file named with `--state` is read, never one that
    // happens to sit in the status directory the replay writes its status files to.
    sys.is_live() || cli.state.is_some()
}

/// One report path for every command: the report from the findings, the settings section and
/// the settings' refused values, heal's outcome when heal ran (else the restart keys read from
/// the state file, when this command reads one), not-applicable checks marked, and exit
/// status 3 said (on stderr when `stderr`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_report(
    cli: &Cli,
    sys: &dyn System,
    cfg: &Config,
    loaded: &config::Loaded,
    obs: &Observations,
    diag: &Diagnosis,
    mode: &str,
    heal: Option<&heal::HealOutcome>,
    stderr: bool,
) -> Report {
    let mut report = build_report(obs, diag, mode, sys.describe());
    report.config = report::config_section(loaded);
    for e in &loaded.errors {
        report.errors.push(format!("settings: {e}"));
    }
    match heal {
        Some(o) => report::apply_heal(&mut report, o),
        // The restart times come from heal's state file, read-only (any user may diagnose). A
        // replay reads a state file only when one is named: this Mac's state is not the
        // capture's.
        None if reads_state(cli, sys) => {
            if let Some(e) = report::watchdog_from_state(&cfg.state_path(), &mut report.watchdog) {
                report.errors.push(e);
            }
        }
        None => {}
    }
    report::mark_not_applicable(&mut report);
    report::normalize_times(&mut report);
    // Only diagnose records the history under a replay (with `--state`): heal and run under
    // replay are dry runs that write no state.
    record_channel_history(cli, sys, cfg, (obs, diag), mode == "diagnose", &mut report);
    note_undetermined(&mut report, stderr);
    report
}

async fn diagnose(cli: &Cli, sys: &dyn System, cfg: &Config, loaded: &config::Loaded) -> i32 {
    let (obs, diag) = observe_and_diagnose_with_history(cli, sys, cfg).await;
    let report = finish_report(
        cli, sys, cfg, loaded, &obs, &diag, "diagnose", None, cli.json,
    );
    if cli.json {
        emit(&report, true, cli.verbose);
    } else {
        // What `-heal` would do now, per service, so the fix lines and heal never disagree
        // unseen. A dry run: no lock, nothing executed, nothing written.
        let opts = HealOptions {
            dry_run: true,
            read_state: reads_state(cli, sys),
            ..HealOptions::default()
        };
        let preview = heal::heal(sys, cfg, &diag, &opts).await;
        write_stdout(&report::render_human_full(
            &report,
            cli.verbose,
            ADDIGY_LAYOUT.load(std::sync::atomic::Ordering::Relaxed),
            Some(&report::heal_section(&preview)),
        ));
    }
    report.exit_code()
}

/// Message for `-heal` run live without root (exit 2, nothing done).
pub(crate) const HEAL_NEEDS_ROOT: &str =
    "mdmwatch: heal restarts system services and must run as root \
(sudo mdmwatch -heal); nothing was done. Use --dry-run to see what it would do, or -diagnose.";

/// Message for a live `-heal` off macOS (exit 3, nothing done, nothing written).
pub(crate) const HEAL_NOT_MACOS: &str =
    "mdmwatch: heal acts on a Mac's services: this is not macOS, so \
nothing was determined and nothing was done (no state or lock file written); use --replay DIR \
with --dry-run to see what heal would decide for a capture";

/// Whether this is a live run on a system that is not macOS: nothing may be written to system
/// paths there (heal's state and lock, the default status directory).
/// `--sysroot` (a testing aid) resolves every path under a directory: not a system path; a fake
/// system playing a Mac is not this machine either.
pub(crate) fn live_off_macos(cli: &Cli, sys: &dyn System) -> bool {
    sys.is_live() && sys.is_this_host() && cli.sysroot.is_none() && !cfg!(target_os = "macos")
}

/// `-heal`: diagnose, then restart what is stuck (see `heal`), then report.
async fn heal_command(cli: &Cli, sys: &dyn System, cfg: &Config, loaded: &config::Loaded) -> i32 {
    // Off macOS nothing can be determined; heal would still take its lock under
    // /Library/Application Support: refuse before touching anything.
    if live_off_macos(cli, sys) {
        eprintln!("{HEAL_NOT_MACOS}");
        return EXIT_UNDETERMINED;
    }
    // Refuse before observing: a non-root heal must not look as if it did something.
    if sys.is_live() && !cli.dry_run && !sys.is_root() {
        eprintln!("{HEAL_NEEDS_ROOT}");
        return EXIT_ERROR;
    }
    let (obs, diag) = observe_and_diagnose_with_history(cli, sys, cfg).await;
    let opts = HealOptions {
        dry_run: cli.dry_run,
        read_state: reads_state(cli, sys),
        ..HealOptions::default()
    };
    let outcome = heal::heal(sys, cfg, &diag, &opts).await;
    let report = finish_report(
        cli,
        sys,
        cfg,
        loaded,
        &obs,
        &diag,
        "heal",
        Some(&outcome),
        cli.json,
    );
    emit(&report, cli.json, cli.verbose);
    if outcome.not_root {
        eprintln!("{HEAL_NEEDS_ROOT}");
        return EXIT_ERROR;
    }
    if let Some(e) = report::heal_error(&outcome) {
        eprintln!("mdmwatch: {e}");
        return EXIT_ERROR;
    }
    report.exit_code()
}

/// `--replay` is someone else's Mac: `run` writes status files only where the user said.
pub(crate) fn check_run_args(cli: &Cli) -> Result<(), String> {
    if cli.replay.is_some() && cli.status_dir.is_none() {
        return Err("run --replay needs --status-dir DIR: status files of a replay are written only where you say, never into the system status directory".to_string());
    }
    Ok(())
}

/// The LaunchDaemon entry point: diagnose, heal when enabled, write status.json and status.plist,
/// log the Addigy summary line to the unified log, exit 0 healthy, 1 problems, 2 error, 3
/// undetermined. stdout stays empty for launchd unless `--json` or `--verbose` asks for the
/// report; at a terminal it prints the verdict line (a person who typed `run` sees the answer).
async fn run(cli: &Cli, sys: &dyn System, cfg: &Config, loaded: &config::Loaded) -> i32 {
    if let Err(e) = check_run_args(cli) {
        eprintln!("mdmwatch: {e}");
        return EXIT_ERROR;
    }
    let (obs, diag) = observe_and_diagnose_with_history(cli, sys, cfg).await;

    // Heal when enabled by configuration. It executes nothing unless the system is live (a
    // replay is always a dry run) and records every decision; the restart keys come from state.
    // Off macOS a live run determines nothing and writes nothing under system paths.
    let heal_enabled = cfg.heal_mdmclient || cfg.heal_softwareupdated;
    let can_heal = heal_enabled && (!sys.is_live() || sys.is_root()) && !live_off_macos(cli, sys);
    let outcome = if can_heal {
        let opts = HealOptions {
            dry_run: cli.dry_run,
            read_state: reads_state(cli, sys),
            ..HealOptions::default()
        };
        Some(heal::heal(sys, cfg, &diag, &opts).await)
    } else {
        None
    };
    let mut report = finish_report(
        cli,
        sys,
        cfg,
        loaded,
        &obs,
        &diag,
        "run",
        outcome.as_ref(),
        cli.json || !cli.verbose,
    );
    if heal_enabled && outcome.is_none() && !live_off_macos(cli, sys) {
        report
            .errors
            .push("heal skipped: run needs root to restart services".to_string());
    }
    let mut code = report.exit_code();
    if let Some(e) = outcome.as_ref().and_then(report::heal_error) {
        eprintln!("mdmwatch: {e}");
        code = EXIT_ERROR;
    }
    if live_off_macos(cli, sys) && cli.status_dir.is_none() {
        // The default status directory is a system path: not written off macOS.
        eprintln!(
            "mdmwatch: not macOS: status files not written (the default status directory is a \
             system path; --status-dir DIR writes them elsewhere)"
        );
    } else if let Err(e) = crate::status_files::write(&cfg.status_dir, &report) {
        // The status files are the product for MDMs: failing to write them is an error run.
        tracing::error!("status files not written: {e}");
        report.errors.push(format!("status files not written: {e}"));
        code = EXIT_ERROR;
    }
    // The one line Addigy's watchdog logs per run; Jamf EAs and munkireport parse it. Only from
    // a live run as root: a user's `run --replay` of their own capture must not log it.
    if sys.is_live() && sys.is_root() {
        tracing::info!("{}", report::watchdog_summary_line(&report.watchdog));
    }
    if cli.json || cli.verbose {
        emit(&report, cli.json, cli.verbose);
    } else if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        println!("mdmwatch: {} (exit {code})", report.overall().verdict);
    }
    code
}

/// Message for `capture` on a live system that is not macOS (exit 2 unless `--force`).
pub(crate) const CAPTURE_NOT_MACOS: &str =
    "mdmwatch: capture records a Mac's own tools; this is not \
macOS, so almost every probe would be missing and the capture would describe nothing. Refused \
(nothing written); run it on the Mac, or add --force to record what this system has";

async fn capture_command(
    sys: &dyn System,
    cfg: &Config,
    dir: &std::path::Path,
    redact: bool,
    force: bool,
    off_macos: bool,
) -> i32 {
    // Off macOS a live capture holds 3 of 22 probes: refused before anything is written
    // unless forced, and said loudly then.
    if off_macos {
        if !force {
            eprintln!("{CAPTURE_NOT_MACOS}");
            return EXIT_ERROR;
        }
        eprintln!(
            "mdmwatch: warning: not macOS: capturing anyway (--force); most probes will be missing"
        );
    }
    let handle = match capture::prepare_dir(dir) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("mdmwatch: {e}");
            return EXIT_ERROR;
        }
    };
    // The capture's "now" is when its log window ends, as in a live run (`observe::observe`).
    let now = sys.now();
    let (plan, mut results) = observe::collect(sys, cfg).await;
    // The command line each output came from: a replay's recorded one (a capture of a replay
    // keeps the predicate the output was produced with), else this run's.
    for r in results
        .iter_mut()
        .filter(|r| r.available && r.recorded_args.is_none())
    {
        r.recorded_args = plan.iter().find(|p| p.id == r.id).and_then(|p| p.argv());
    }
    if redact {
        match crate::redact::redact_results(&mut results) {
            Ok(n) => eprintln!(
                "mdmwatch: redacted {}",
                report::plural(n, "value", "values")
            ),
            Err(e) => {
                eprintln!("mdmwatch: {e}; nothing more written");
                return EXIT_ERROR;
            }
        }
    }
    if let Err(e) = capture::write_meta(&handle, now, sys.is_root()) {
        eprintln!("mdmwatch: {e}");
        return EXIT_ERROR;
    }
    let mut failed = false;
    // The command line of each recorded probe (the log predicate decides what absence means).
    for (r, argv) in results
        .iter()
        .filter(|r| r.available)
        .filter_map(|r| Some((r, r.recorded_args.as_ref()?)))
    {
        if let Err(e) = capture::write_args(&handle, &r.id, argv) {
            eprintln!("mdmwatch: {e}");
            failed = true;
        }
    }
    for r in &results {
        if let Err(e) = capture::write_result(&handle, r) {
            eprintln!("mdmwatch: {e}");
            failed = true;
        }
    }
    let recorded = results.iter().filter(|r| r.available).count();
    eprintln!(
        "mdmwatch: captured {recorded} of {} probes into {}{}",
        results.len(),
        dir.display(),
        if sys.is_root() {
            ""
        } else {
            " (not root: some probes could not read everything)"
        }
    );
    if failed {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}
