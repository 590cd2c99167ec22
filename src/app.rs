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

pub const EXIT_OK: i32 = 0;
pub const EXIT_PROBLEMS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_UNDETERMINED: i32 = report::EXIT_UNDETERMINED;

/// Entry point for the binary: parses argv, runs the command, returns the exit code.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    if let Some(msg) = cli::mistyped_legacy(&args) {
        eprintln!("mdmwatch: {msg}");
        return EXIT_ERROR;
    }
    let cli = match Cli::try_parse_from(cli::normalize_legacy(args)) {
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
pub fn stderr_colour() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// The system a command runs against.
pub fn open_system(cli: &Cli) -> Result<Box<dyn System>, String> {
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
pub fn load_config(cli: &Cli) -> config::Loaded {
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
        Command::Capture { dir } => capture_command(sys.as_ref(), &cfg, dir).await,
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
/// live as root (never under `--dry-run`); on a replay only by `diagnose` with `--state` naming
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
        sys.is_root() && !cli.dry_run
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
        generated_at: obs.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
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
    }
}

/// Exit status 3 is said on stderr too (launchd and Jamf policy logs keep stderr), and recorded
/// in the report's `errors` (JSON, status files).
/// `stderr`: whether stdout will not carry the human report (whose first line says it already).
pub fn note_undetermined(report: &mut Report, stderr: bool) {
    if let Some(why) = report.undetermined_reason() {
        if stderr {
            eprintln!("mdmwatch: {why}");
        }
        report.errors.insert(0, why);
    }
}

/// Prints the report to stdout in one write (never half a document).
pub fn emit(report: &Report, json: bool, verbose: bool) {
    let text = if json {
        let mut t = report.to_json();
        t.push('\n');
        t
    } else {
        report::render_human(report, verbose)
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// `--catalog FILE`: the admin's downloaded GDMF/SOFA JSON, read through the boundary's bounded,
/// no-follow reader (64 MiB); parsed in `parse::catalog` and assessed in `checks::diagnose`.
pub fn read_catalog(path: &std::path::Path) -> observe::CatalogInput {
    observe::CatalogInput::from_read(
        path.display().to_string(),
        crate::system::files::read_bounded(path, 64 * 1024 * 1024),
    )
}

/// Whether a command reads heal's state file: live, or when `--state` names one. A replay is
/// another Mac: the state at the configured path is this machine's, never the capture's.
pub fn reads_state(cli: &Cli, sys: &dyn System) -> bool {
    // Live, the state file is this Mac's (at `--state`, or in `--status-dir`, or the default).
    // A replay is another Mac: only a state file named with `--state` is read, never one that
    // happens to sit in the status directory the replay writes its status files to.
    sys.is_live() || cli.state.is_some()
}

async fn diagnose(cli: &Cli, sys: &dyn System, cfg: &Config, loaded: &config::Loaded) -> i32 {
    let (obs, diag) = observe_and_diagnose_with_history(cli, sys, cfg).await;
    let mut report = build_report(&obs, &diag, "diagnose", sys.describe());
    report.config = loaded.section();
    // The restart times come from heal's state file, read-only (any user may diagnose). A
    // replay reads a state file only when one is named: this Mac's state is not the capture's.
    if reads_state(cli, sys) {
        if let Some(e) = heal::fill_watchdog_from_state(cfg, &mut report.watchdog) {
            report.errors.push(e);
        }
    }
    record_channel_history(cli, sys, cfg, (&obs, &diag), true, &mut report);
    note_undetermined(&mut report, cli.json);
    emit(&report, cli.json, cli.verbose);
    report.exit_code()
}

/// Message for `-heal` run live without root (exit 2, nothing done).
pub const HEAL_NEEDS_ROOT: &str = "mdmwatch: heal restarts system services and must run as root \
(sudo mdmwatch -heal); nothing was done. Use --dry-run to see what it would do, or -diagnose.";

/// `-heal`: diagnose, then restart what is stuck (see `heal`), then report.
async fn heal_command(cli: &Cli, sys: &dyn System, cfg: &Config, loaded: &config::Loaded) -> i32 {
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
    let mut report = build_report(&obs, &diag, "heal", sys.describe());
    report.config = loaded.section();
    outcome.apply_to_report(&mut report);
    record_channel_history(cli, sys, cfg, (&obs, &diag), false, &mut report);
    note_undetermined(&mut report, cli.json);
    emit(&report, cli.json, cli.verbose);
    if outcome.not_root {
        eprintln!("{HEAL_NEEDS_ROOT}");
        return EXIT_ERROR;
    }
    if let Some(e) = &outcome.stopped {
        eprintln!("mdmwatch: {e}");
        return EXIT_ERROR;
    }
    report.exit_code()
}

/// `--replay` is someone else's Mac: `run` writes status files only where the user said.
pub fn check_run_args(cli: &Cli) -> Result<(), String> {
    if cli.replay.is_some() && cli.status_dir.is_none() {
        return Err("run --replay needs --status-dir DIR: status files of a replay are written only where you say, never into the system status directory".to_string());
    }
    Ok(())
}

/// The LaunchDaemon entry point: diagnose, heal when enabled, write status.json and status.plist,
/// log the Addigy summary line to the unified log, exit 0 healthy, 1 problems, 2 error, 3 undetermined. stdout
/// stays empty (launchd discards it) unless `--json` or `--verbose` asks for the report.
async fn run(cli: &Cli, sys: &dyn System, cfg: &Config, loaded: &config::Loaded) -> i32 {
    if let Err(e) = check_run_args(cli) {
        eprintln!("mdmwatch: {e}");
        return EXIT_ERROR;
    }
    let (obs, diag) = observe_and_diagnose_with_history(cli, sys, cfg).await;
    let mut report = build_report(&obs, &diag, "run", sys.describe());
    report.config = loaded.section();
    for e in &loaded.errors {
        report.errors.push(format!("settings: {e}"));
    }

    // Heal when enabled by configuration. It executes nothing unless the system is live (a
    // replay is always a dry run) and records every decision; the restart keys come from state.
    let heal_enabled = cfg.heal_mdmclient || cfg.heal_softwareupdated;
    let mut heal_stopped = None;
    if heal_enabled && (!sys.is_live() || sys.is_root()) {
        let opts = HealOptions {
            dry_run: cli.dry_run,
            read_state: reads_state(cli, sys),
            ..HealOptions::default()
        };
        let outcome = heal::heal(sys, cfg, &diag, &opts).await;
        outcome.apply_to_report(&mut report);
        heal_stopped = outcome.stopped.clone();
    } else {
        if reads_state(cli, sys) {
            if let Some(e) = heal::fill_watchdog_from_state(cfg, &mut report.watchdog) {
                report.errors.push(e);
            }
        }
        if heal_enabled {
            report
                .errors
                .push("heal skipped: run needs root to restart services".to_string());
        }
    }

    record_channel_history(cli, sys, cfg, (&obs, &diag), false, &mut report);
    note_undetermined(&mut report, cli.json || !cli.verbose);
    let mut code = report.exit_code();
    if let Some(e) = &heal_stopped {
        eprintln!("mdmwatch: {e}");
        code = EXIT_ERROR;
    }
    match crate::status::write(&cfg.status_dir, &report) {
        Ok(_) => {}
        Err(e) => {
            // The status files are the product for MDMs: failing to write them is an error run.
            tracing::error!("status files not written: {e}");
            report.errors.push(format!("status files not written: {e}"));
            code = EXIT_ERROR;
        }
    }
    // The one line Addigy's watchdog logs per run; Jamf EAs and munkireport parse it. Only from
    // a live run as root: a user's `run --replay` of their own capture must not log it.
    if sys.is_live() && sys.is_root() {
        tracing::info!("{}", report::watchdog_summary_line(&report.watchdog));
    }
    if cli.json || cli.verbose {
        emit(&report, cli.json, cli.verbose);
    }
    code
}

async fn capture_command(sys: &dyn System, cfg: &Config, dir: &std::path::Path) -> i32 {
    let handle = match capture::prepare_dir(dir) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("mdmwatch: {e}");
            return EXIT_ERROR;
        }
    };
    // The capture's "now" is when its log window ends, as in a live run (`observe::observe`).
    let now = sys.now();
    let (plan, results) = observe::collect(sys, cfg).await;
    if let Err(e) = capture::write_meta(&handle, now, sys.is_root()) {
        eprintln!("mdmwatch: {e}");
        return EXIT_ERROR;
    }
    let mut failed = false;
    // The command line of each recorded probe (the log predicate decides what absence means).
    for p in plan
        .iter()
        .filter(|p| results.iter().any(|r| r.id == p.id && r.available))
    {
        if let Err(e) = capture::write_args(&handle, p) {
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
