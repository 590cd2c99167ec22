//! Runs the probes (concurrently, through the boundary) and parses them into [`Observations`].
//!
//! Two phases: every independent probe at once, then the probes that need an answer from the
//! first phase (the identity certificate is looked up by the name the MDM profile gives). A run
//! therefore takes about as long as its slowest probe plus the certificate lookup.
//! `from_results` is pure: parsing only, so captures and fakes exercise exactly the live path.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::parse::{self, Fact, Fault, Unknown};
use crate::probes;
use crate::system::{Probe, ProbeResult, System};

/// Everything the checks may look at. Each fact is either parsed or unknown with a reason.
#[derive(Debug)]
pub struct Observations {
    pub now: DateTime<FixedOffset>,
    pub root: bool,
    pub live: bool,
    pub probes: Vec<ProbeRun>,
    pub sw_vers: Fact<parse::sw_vers::SwVers>,
    pub hw_model: Fact<String>,
    pub arch: Fact<parse::sysctl::Arch>,
    pub enrollment: Fact<parse::profiles::Enrollment>,
    /// `Ok(None)`: profiles listed, no MDM payload among them.
    pub mdm_profile: Fact<Option<parse::profiles::MdmProfile>>,
    pub identity_cert: Fact<Vec<parse::cert::CertInfo>>,
    pub mdm_log: Fact<parse::mdm_log::MdmLog>,
    pub su_log: Fact<parse::su_log::SuLog>,
    pub apsd_log: Fact<parse::apsd_log::ApsdLog>,
    pub mdmclient_service: Fact<parse::launchctl::ServiceInfo>,
    pub softwareupdated_service: Fact<parse::launchctl::ServiceInfo>,
    pub power: Fact<parse::pmset::PowerStatus>,
    pub disk: Fact<parse::diskutil::DiskInfo>,
    pub su_prefs: Fact<parse::su_prefs::SoftwareUpdatePrefs>,
    pub ddm_state: Fact<parse::ddm_state::DdmState>,
    /// When the declaration store file was last written (`None`: unknown).
    pub ddm_state_since: Option<DateTime<FixedOffset>>,
    pub device_info: Fact<parse::mdmclient_queries::DeviceInformation>,
    pub bootstrap_token: Fact<parse::bootstrap_token::BootstrapToken>,
    /// Bytes free on `/` as the OS reports it to apps ("available for important usage" on macOS).
    pub available_space: Fact<u64>,
    /// `softwareupdate --list --no-scan`: the updates already found, with download sizes.
    pub su_list: Fact<parse::softwareupdate_list::SoftwareUpdateList>,
    /// `security find-identity -v -p ssl-client` on the System keychain.
    pub identity_keys: Fact<parse::find_identity::Identities>,
    /// `mdmclient QuerySecurityInfo` (root): every scalar, `ManagementStatus` among them.
    pub security_info: Fact<parse::mdmclient_queries::DeviceInformation>,
    /// The automatic-update keys of the local SoftwareUpdate preferences (same file as
    /// `su_prefs`).
    pub local_su_settings: Fact<parse::update_settings::PrefValues>,
    pub managed_su_settings: Fact<parse::update_settings::PrefValues>,
    /// The restrictions payload (`com.apple.applicationaccess`): deferrals.
    pub managed_restrictions: Fact<parse::update_settings::PrefValues>,
    /// softwareupdated's lines of `/var/log/install.log` in the liveness window.
    pub install_log: Fact<parse::install_log::InstallLog>,
    /// The update staged in the Preboot volume; `Missing` means nothing is staged.
    pub staged_update: Fact<StagedUpdate>,
    /// The prepared update the Update volume records (`Update.plist`); `Missing`: none.
    pub update_volume: Fact<StagedUpdate>,
    /// `tmutil listlocalsnapshots /`: a prepared update's snapshot (a sign only).
    pub update_snapshots: Fact<parse::staged_update::UpdateSnapshots>,
    /// `--catalog FILE`, when given: the file as shown and its parsed feed (or why not).
    pub catalog: Option<CatalogInput>,
    /// `apsctl status`: apsd's client ports, their topics and last pushes.
    pub apsctl: Fact<parse::apsctl::ApsctlStatus>,
    /// `seedutil current`: the beta/seed program enrollment.
    pub seed_enrollment: Fact<parse::seedutil::SeedEnrollment>,
    /// The mdmclient log was produced by mdmwatch's own predicate, which returns the HTTP lines:
    /// live always; on replay only when the capture recorded that command line (`<id>.args`).
    /// Otherwise the absence of HTTP lines is not evidence.
    pub mdm_log_own_predicate: bool,
    /// The first run's look-back over days of mdmclient log; `None` when it was not run.
    pub mdm_lookback: Option<Fact<parse::mdm_log::MdmLog>>,
    /// The channel history of earlier runs (set by the caller that read the state file).
    pub channel_history: crate::state::HistoryInput,
}

/// The admin's `--catalog` feed, read through the boundary's bounded reader by `app`.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogInput {
    pub shown: String,
    pub parsed: Result<parse::catalog::Catalog, String>,
}

impl CatalogInput {
    /// Parses bytes read from `shown` (or says why they could not be read).
    pub(crate) fn from_read(shown: String, read: std::io::Result<Vec<u8>>) -> CatalogInput {
        let parsed = match read {
            Ok(bytes) => parse::catalog::parse(&bytes).map_err(|e| format!("{shown}: {e}")),
            Err(e) => Err(format!("cannot read {shown}: {e}")),
        };
        CatalogInput { shown, parsed }
    }
}

/// An update prepared on disk, waiting for its restart.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedUpdate {
    pub version: parse::staged_update::StagedVersion,
    /// When its version file was written (`None`: the stat probe failed).
    pub since: Option<DateTime<FixedOffset>>,
    pub source: StagedSource,
}

/// Which version file named the prepared update (see `parse::staged_update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagedSource {
    /// The Preboot volume's `cryptex1/proposed/SystemVersion.plist`.
    ProposedCryptex,
    /// `/System/Volumes/Update/Update.plist`'s `update-asset-attributes`.
    UpdateVolume,
}

impl StagedSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StagedSource::ProposedCryptex => "preboot_cryptex_proposed",
            StagedSource::UpdateVolume => "update_volume",
        }
    }
}

/// Runs probes concurrently; results in the same order.
pub async fn run_all(sys: &dyn System, probes: &[Probe]) -> Vec<ProbeResult> {
    futures::future::join_all(probes.iter().map(|p| sys.run(p))).await
}

/// Runs the first phase: the log streams as one `log show` where the system can
/// ([`System::run_log_union`]), everything else concurrently beside it. Results in plan order;
/// a log stream answered by the union shows the union's command in the plan.
async fn run_first_phase(sys: &dyn System, plan: &mut [Probe]) -> Vec<ProbeResult> {
    let is_log = |p: &Probe| probes::LOG_STREAMS.contains(&p.id.as_str());
    let logs: Vec<Probe> = plan.iter().filter(|p| is_log(p)).cloned().collect();
    let union = if logs.len() > 1 {
        probes::log_union(&logs)
    } else {
        None
    };
    let Some(union) = union else {
        return run_all(sys, plan).await;
    };
    let others: Vec<Probe> = plan.iter().filter(|p| !is_log(p)).cloned().collect();
    let (other_results, log_results) =
        futures::future::join(run_all(sys, &others), sys.run_log_union(&union)).await;
    let mut by_id: HashMap<String, ProbeResult> = other_results
        .into_iter()
        .chain(log_results.results)
        .map(|r| (r.id.clone(), r))
        .collect();
    if log_results.combined {
        for p in plan.iter_mut().filter(|p| is_log(p)) {
            p.source = union.union.source.clone();
        }
    }
    plan.iter()
        .map(|p| {
            by_id
                .remove(&p.id)
                .unwrap_or_else(|| ProbeResult::unavailable(&p.id, "not run"))
        })
        .collect()
}

/// Runs every probe of a diagnosis (both phases) and returns the raw results.
pub async fn collect(sys: &dyn System, cfg: &Config) -> (Vec<Probe>, Vec<ProbeResult>) {
    collect_with(sys, cfg, Vec::new()).await
}

/// [`collect`] with `extra` probes run in the first phase beside the others (the look-back).
async fn collect_with(
    sys: &dyn System,
    cfg: &Config,
    extra: Vec<Probe>,
) -> (Vec<Probe>, Vec<ProbeResult>) {
    let mut plan = probes::independent(cfg);
    plan.extend(extra);
    let mut results = run_first_phase(sys, &mut plan).await;
    let second: Vec<Probe> = dependent_probes(&results, cfg);
    if !second.is_empty() {
        results.extend(run_all(sys, &second).await);
        plan.extend(second);
    }
    (plan, results)
}

/// Probes that need first-phase answers.
fn dependent_probes(results: &[ProbeResult], cfg: &Config) -> Vec<Probe> {
    let mut out = identity_probes(results, cfg);
    out.extend(staged_probes(results, cfg));
    out
}

/// The staged-update probes, when `diskutil_root` names the booted volume group.
fn staged_probes(results: &[ProbeResult], cfg: &Config) -> Vec<Probe> {
    let Some(disk) = results.iter().find(|r| r.id == probes::DISKUTIL_ROOT) else {
        return Vec::new();
    };
    match parse::output_bytes(disk, cfg.probe_max_bytes)
        .ok()
        .and_then(|b| parse::staged_update::volume_group(&b))
    {
        Some(group) => probes::staged_update(&group, cfg),
        None => Vec::new(),
    }
}

fn identity_probes(results: &[ProbeResult], cfg: &Config) -> Vec<Probe> {
    let Some(profiles) = results.iter().find(|r| r.id == probes::PROFILES_MDM) else {
        return Vec::new();
    };
    match mdm_profile(profiles, cfg) {
        Ok(Some(p)) => match p.identity_common_name {
            Some(cn) if !cn.is_empty() => vec![probes::identity_cert(&cn, cfg)],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// "Now" is taken before the probes run: the log window ends there (`log show --last` counts
/// back from its start), so the checks' window is the one `log show` read and the next run's
/// window reaches back to it (`checks::channel::log_window_minutes`), however long this run takes.
pub async fn observe(sys: &dyn System, cfg: &Config) -> Observations {
    let now = sys.now();
    let (plan, results) = collect(sys, cfg).await;
    from_results(now, sys.is_root(), sys.is_live(), &plan, results, cfg)
}

/// [`observe`] with the channel history of earlier runs; when it is missing or unreadable, the
/// one bounded look-back (`LookBackDays`, its own narrow predicate) runs in the first phase beside
/// the other probes: a second `log show` on that run only (on replay it is read from the capture
/// when recorded there).
pub(crate) async fn observe_with_history(
    sys: &dyn System,
    cfg: &Config,
    history: crate::state::HistoryInput,
) -> Observations {
    let now = sys.now();
    // Only where the history can then be recorded (as root live, or a replay): otherwise a
    // user's diagnose would read days of log on every call.
    let recordable = !sys.is_live() || sys.is_root();
    let missing = matches!(
        history,
        crate::state::HistoryInput::Missing | crate::state::HistoryInput::Unreadable(_)
    );
    let extra = if recordable && missing {
        vec![probes::mdmclient_lookback(cfg.look_back_days, cfg)]
    } else {
        Vec::new()
    };
    let (plan, results) = collect_with(sys, cfg, extra).await;
    let mut obs = from_results(now, sys.is_root(), sys.is_live(), &plan, results, cfg);
    obs.channel_history = history;
    obs
}

/// Whether a `log show` result came from mdmwatch's own predicate, which selects the HTTP lines.
/// Live the plan's probe is the command that ran; a replay knows only what the capture recorded.
fn own_log_predicate(live: bool, probe: Option<&Probe>, r: Option<&ProbeResult>) -> bool {
    let args: Vec<String> = if live {
        match probe.map(|p| &p.source) {
            Some(crate::system::Source::Command { program, args }) => {
                std::iter::once(program.clone())
                    .chain(args.iter().cloned())
                    .collect()
            }
            _ => return false,
        }
    } else {
        match r.and_then(|r| r.recorded_args.clone()) {
            Some(a) => a,
            None => return false,
        }
    };
    args.first().is_some_and(|p| p == "/usr/bin/log")
        && args
            .windows(2)
            .any(|w| w[0] == "--predicate" && w[1].contains("Received HTTP response"))
}

/// What happened to one probe: the report's `probes` section is made from these.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRun {
    pub id: String,
    pub command: String,
    pub available: bool,
    pub exit_status: Option<i32>,
    pub duration_ms: u64,
    pub timed_out: bool,
    pub truncated: bool,
    pub stdout_bytes: u64,
    pub error: Option<String>,
}

fn summary(probe: Option<&Probe>, r: &ProbeResult) -> ProbeRun {
    ProbeRun {
        id: r.id.clone(),
        command: probe.map(|p| p.display()).unwrap_or_default(),
        available: r.available,
        exit_status: r.exit_status,
        duration_ms: r.duration.as_millis() as u64,
        timed_out: r.timed_out,
        truncated: r.truncated,
        stdout_bytes: r.stdout.len(),
        error: r.error.clone(),
    }
}

fn mdm_profile(r: &ProbeResult, cfg: &Config) -> Fact<Option<parse::profiles::MdmProfile>> {
    let bytes = parse::output_bytes(r, cfg.probe_max_bytes)?;
    parse::profiles::parse_mdm_profile(&bytes).map_err(|e| Unknown::unparseable(&r.id, e))
}

fn text_fact<T>(r: &ProbeResult, f: impl FnOnce(&str) -> Result<T, String>) -> Fact<T> {
    let text = parse::output_text(r, 16 * 1024 * 1024)?;
    f(&text).map_err(|e| Unknown::unparseable(&r.id, e))
}

/// Binary-capable outputs (plists read raw by file probes).
fn bytes_fact<T>(
    r: &ProbeResult,
    cfg: &Config,
    f: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Fact<T> {
    let bytes = parse::output_bytes(r, cfg.probe_max_bytes)?;
    f(&bytes).map_err(|e| Unknown::unparseable(&r.id, e))
}

/// `softwareupdate --list` prints "No new software available." to stderr, leaving only the
/// banner (or nothing) on stdout: read both.
fn su_list_fact(r: &ProbeResult) -> Fact<parse::softwareupdate_list::SoftwareUpdateList> {
    let stderr = r.stderr_text();
    if r.available && !r.timed_out && r.exit_status == Some(0) && r.stdout.is_empty() {
        return parse::softwareupdate_list::parse("", &stderr)
            .map_err(|_| Unknown::new(&r.id, Fault::Empty, "printed nothing"));
    }
    text_fact(r, |t| parse::softwareupdate_list::parse(t, &stderr))
}

fn stream_fact<T>(
    r: &ProbeResult,
    f: impl FnOnce(Box<dyn std::io::BufRead + Send + '_>) -> Result<T, String>,
) -> Fact<T> {
    let payload = parse::output(r)?;
    let reader = payload
        .open()
        .map_err(|e| Unknown::new(&r.id, Fault::Failed, format!("cannot read output: {e}")))?;
    f(reader).map_err(|e| Unknown::unparseable(&r.id, e))
}

fn service_fact(r: &ProbeResult) -> Fact<parse::launchctl::ServiceInfo> {
    if r.available && !r.timed_out && r.exit_status != Some(0) {
        let all = format!(
            "{}\n{}",
            r.stderr_text(),
            String::from_utf8_lossy(&r.stdout.read_capped(4096).unwrap_or_default())
        );
        if parse::launchctl::is_not_found(&all) {
            return Err(Unknown::new(
                &r.id,
                Fault::Failed,
                "service is not loaded in the system domain",
            ));
        }
    }
    text_fact(r, parse::launchctl::parse_print)
}

/// The identity certificate: the PEM bundle, or why it was not looked up.
///
/// `security find-certificate` exits 44 with "The specified item could not be found in the
/// keychain." when nothing matches: that is an answer (no certificate), not an unknown.
fn identity_fact(
    r: Option<&ProbeResult>,
    profile: &Fact<Option<parse::profiles::MdmProfile>>,
    cfg: &Config,
) -> Fact<Vec<parse::cert::CertInfo>> {
    // No result at all: the second phase did not run the lookup; say why from the profile.
    let Some(r) = r else {
        return Err(match profile {
            Ok(Some(p)) if p.identity_common_name.is_none() => {
                let why = match (&p.identity_certificate_uuid, &p.identity_payload_type) {
                    (None, _) => "the MDM payload has no IdentityCertificateUUID".to_string(),
                    (Some(u), None) => {
                        format!("no listed payload has the IdentityCertificateUUID {u}")
                    }
                    (Some(_), Some(t)) if t == "com.apple.security.pkcs12" => {
                        "the identity is a PKCS#12 payload, whose subject the profile listing does not show".to_string()
                    }
                    (Some(_), Some(t)) => {
                        format!("the identity payload ({t}) names no subject common name")
                    }
                };
                Unknown::new(probes::IDENTITY_CERT, Fault::NotRun, why)
            }
            Ok(Some(_)) => Unknown::new(
                probes::IDENTITY_CERT,
                Fault::NotRun,
                "the certificate lookup was not run",
            ),
            Ok(None) => Unknown::new(
                probes::IDENTITY_CERT,
                Fault::NotRun,
                "no MDM profile installed",
            ),
            // Carry "not root" through: the certificate is unknown for the same reason.
            Err(u) if u.fault == Fault::NotRoot => Unknown::new(
                probes::IDENTITY_CERT,
                Fault::NotRoot,
                format!("needs root (MDM profile unknown: {u})"),
            ),
            Err(u) => Unknown::new(
                probes::IDENTITY_CERT,
                Fault::NotRun,
                format!("MDM profile unknown ({u})"),
            ),
        });
    };
    let not_found = r.available
        && !r.timed_out
        && (r.exit_status == Some(44)
            || (r.exit_status != Some(0)
                && r.stderr_text()
                    .contains("could not be found in the keychain")));
    // `security` says "could not be found" with exit 44 when nothing matches. Exit 0 with no
    // output is not that answer: it stays unknown (fault matrix: identity_cert x Empty).
    if not_found {
        return Ok(Vec::new());
    }
    parse::output_bytes(r, cfg.probe_max_bytes)
        .and_then(|b| parse::cert::parse_pem_bundle(&b).map_err(|e| Unknown::unparseable(&r.id, e)))
}

/// A stream parsed on its own thread; a panic (parsers are fuzzed never to) is an unknown.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, Fact<T>>, id: &str) -> Fact<T> {
    h.join()
        .unwrap_or_else(|_| Err(Unknown::new(id, Fault::Failed, "the log reader panicked")))
}

/// The logs are most of a run's parsing: the three streams are read concurrently (each reader
/// holds one block at a time), so a run lasts its slowest probe plus the slowest stream's parse,
/// not the sum.
fn read_logs(
    mdm_r: &ProbeResult,
    su_r: &ProbeResult,
    apsd_r: &ProbeResult,
) -> (
    Fact<parse::mdm_log::MdmLog>,
    Fact<parse::su_log::SuLog>,
    Fact<parse::apsd_log::ApsdLog>,
) {
    std::thread::scope(|scope| {
        let su = scope.spawn(|| stream_fact(su_r, |r| parse::su_log::summarize(r)));
        let apsd = scope.spawn(|| stream_fact(apsd_r, |r| parse::apsd_log::summarize(r)));
        let mdm = stream_fact(mdm_r, |r| parse::mdm_log::summarize(r));
        (
            mdm,
            joined(su, probes::LOG_SOFTWAREUPDATE),
            joined(apsd, probes::LOG_APSD),
        )
    })
}

/// Parses raw results into observations. Pure: no I/O beyond reading the payloads handed in.
#[allow(
    clippy::too_many_lines,
    reason = "one table: each observation beside the probe and parser it comes from"
)]
pub fn from_results(
    now: DateTime<FixedOffset>,
    root: bool,
    live: bool,
    plan: &[Probe],
    results: Vec<ProbeResult>,
    cfg: &Config,
) -> Observations {
    let by_probe: HashMap<&str, &Probe> = plan.iter().map(|p| (p.id.as_str(), p)).collect();
    let probes_summary = results
        .iter()
        .map(|r| summary(by_probe.get(r.id.as_str()).copied(), r))
        .collect();
    let mut map: HashMap<String, ProbeResult> =
        results.into_iter().map(|r| (r.id.clone(), r)).collect();
    // Absent, not "unavailable": the lookup only runs when the profile names a subject.
    let identity = map.remove(probes::IDENTITY_CERT);
    // Likewise: the staged-update probes run only when the volume group is known.
    let staged_update = match map.remove(probes::STAGED_UPDATE) {
        Some(file) => staged_fact(
            &file,
            map.remove(probes::STAGED_UPDATE_MTIME),
            cfg,
            StagedSource::ProposedCryptex,
        ),
        None => Err(Unknown::new(
            probes::STAGED_UPDATE,
            Fault::NotRun,
            "the booted volume group is unknown (diskutil_root gave no APFSVolumeGroupID)",
        )),
    };
    let update_volume = staged_fact(
        &map.remove(probes::UPDATE_VOLUME)
            .unwrap_or_else(|| ProbeResult::unavailable(probes::UPDATE_VOLUME, "not run")),
        map.remove(probes::UPDATE_VOLUME_MTIME),
        cfg,
        StagedSource::UpdateVolume,
    );
    let mdm_log_own_predicate = own_log_predicate(
        live,
        by_probe.get(probes::LOG_MDMCLIENT).copied(),
        map.get(probes::LOG_MDMCLIENT),
    );
    // Only when this run planned it (the history was missing): otherwise it is not evidence.
    let mdm_lookback = by_probe
        .contains_key(probes::LOG_MDMCLIENT_LOOKBACK)
        .then(|| map.remove(probes::LOG_MDMCLIENT_LOOKBACK))
        .flatten()
        .filter(|r| r.available)
        .map(|r| stream_fact(&r, |rd| parse::mdm_log::summarize(rd)));
    let mut take = |id: &str| {
        map.remove(id)
            .unwrap_or_else(|| ProbeResult::unavailable(id, "not run"))
    };
    let profiles_mdm = take(probes::PROFILES_MDM);
    let mdm_profile = match mdm_profile(&profiles_mdm, cfg) {
        // Without root `profiles -L` lists the user's profiles only, so "no MDM payload" would be
        // a false negative (the MDM profile is device-channel only: schema userchannel false).
        Ok(None) if !root => Err(Unknown::new(
            probes::PROFILES_MDM,
            Fault::NotRoot,
            "needs root: device profiles are listed only to root",
        )),
        other => other,
    };
    let identity_cert = identity_fact(identity.as_ref(), &mdm_profile, cfg);
    let su_prefs = take(probes::SU_PREFS);
    let (mdm_r, su_r, apsd_r) = (
        take(probes::LOG_MDMCLIENT),
        take(probes::LOG_SOFTWAREUPDATE),
        take(probes::LOG_APSD),
    );
    let (mdm_log, su_log, apsd_log) = read_logs(&mdm_r, &su_r, &apsd_r);
    let window_start = now - chrono::Duration::minutes(i64::from(cfg.liveness_window_minutes));
    let install_log = bytes_fact(&take(probes::INSTALL_LOG), cfg, |b| {
        parse::install_log::parse(b, window_start, now)
    });

    Observations {
        now,
        root,
        live,
        probes: probes_summary,
        sw_vers: text_fact(&take(probes::SW_VERS), parse::sw_vers::parse),
        hw_model: parse::sysctl::model(&take(probes::HW_MODEL)),
        arch: parse::sysctl::arch(&take(probes::HW_ARM64)),
        enrollment: text_fact(
            &take(probes::PROFILES_ENROLLMENT),
            parse::profiles::parse_enrollment,
        ),
        mdm_profile,
        identity_cert,
        mdm_log,
        apsd_log,
        su_log,
        mdmclient_service: service_fact(&take(probes::LAUNCHCTL_MDMCLIENT)),
        softwareupdated_service: service_fact(&take(probes::LAUNCHCTL_SOFTWAREUPDATED)),
        power: text_fact(&take(probes::PMSET_BATT), parse::pmset::parse),
        disk: bytes_fact(&take(probes::DISKUTIL_ROOT), cfg, parse::diskutil::parse),
        su_prefs: bytes_fact(&su_prefs, cfg, parse::su_prefs::parse),
        local_su_settings: bytes_fact(&su_prefs, cfg, parse::update_settings::parse),
        managed_su_settings: bytes_fact(
            &take(probes::MANAGED_SU_PREFS),
            cfg,
            parse::update_settings::parse,
        ),
        managed_restrictions: bytes_fact(
            &take(probes::MANAGED_RESTRICTIONS),
            cfg,
            parse::update_settings::parse,
        ),
        ddm_state: bytes_fact(&take(probes::DDM_STATE), cfg, parse::ddm_state::parse),
        ddm_state_since: mtime_of(Some(take(probes::DDM_STATE_MTIME))),
        device_info: text_fact(
            &take(probes::MDMCLIENT_QDI),
            parse::mdmclient_queries::parse,
        ),
        bootstrap_token: text_fact(
            &take(probes::PROFILES_BOOTSTRAPTOKEN),
            parse::bootstrap_token::parse,
        ),
        available_space: text_fact(&take(probes::AVAILABLE_SPACE_ROOT), |t| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| format!("not a byte count: {:?}", parse::first_line(t, 40)))
        }),
        su_list: su_list_fact(&take(probes::SOFTWAREUPDATE_LIST)),
        identity_keys: text_fact(&take(probes::IDENTITY_KEYS), parse::find_identity::parse),
        security_info: text_fact(
            &take(probes::MDMCLIENT_QSI),
            parse::mdmclient_queries::parse,
        ),
        install_log,
        staged_update,
        update_volume,
        update_snapshots: snapshots_fact(&take(probes::UPDATE_SNAPSHOTS)),
        catalog: None,
        apsctl: text_fact(&take(probes::APSCTL_STATUS), parse::apsctl::parse),
        seed_enrollment: text_fact(&take(probes::SEEDUTIL), parse::seedutil::parse),
        mdm_log_own_predicate,
        mdm_lookback,
        channel_history: crate::state::HistoryInput::NotRead,
    }
}

/// A prepared update's version file (a missing file is `Missing`: nothing staged) and the
/// file's write time.
fn staged_fact(
    file: &ProbeResult,
    stat: Option<ProbeResult>,
    cfg: &Config,
    source: StagedSource,
) -> Fact<StagedUpdate> {
    let version = bytes_fact(
        file,
        cfg,
        match source {
            StagedSource::ProposedCryptex => parse::staged_update::parse,
            StagedSource::UpdateVolume => parse::staged_update::parse_update_plist,
        },
    )?;
    let since = mtime_of(stat);
    Ok(StagedUpdate {
        version,
        since,
        source,
    })
}

/// The snapshot listing; a cut one may lack the very snapshot, so it is unknown, never "none".
fn snapshots_fact(r: &ProbeResult) -> Fact<parse::staged_update::UpdateSnapshots> {
    if r.truncated {
        return Err(Unknown::new(
            &r.id,
            Fault::Unparseable,
            "the listing was cut at its byte cap",
        ));
    }
    text_fact(r, |t| parse::staged_update::parse_snapshots(t.as_bytes()))
}

/// `stat -f %m`'s answer as a time (`None`: the stat failed or printed something else).
fn mtime_of(stat: Option<ProbeResult>) -> Option<DateTime<FixedOffset>> {
    stat.filter(|r| r.exit_status == Some(0))
        .and_then(|r| parse::output_bytes(&r, 4096).ok())
        .and_then(|b| parse::staged_update::mtime(&b))
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .map(|t| t.fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cut snapshot listing may lack the prepared update's snapshot: unknown, never "none".
    #[test]
    fn a_cut_snapshot_listing_is_unknown() {
        use crate::test_support::ok;
        let listing = b"Snapshots for volume group containing disk /:\ncom.apple.os.update-ABC\n";
        let whole = ok(probes::UPDATE_SNAPSHOTS, listing);
        assert_eq!(snapshots_fact(&whole).unwrap().prepare, 0);
        let mut cut = ok(probes::UPDATE_SNAPSHOTS, listing);
        cut.truncated = true;
        assert!(snapshots_fact(&cut).is_err());
    }

    /// A version file whose stat fails keeps its version and loses only its time; a failed
    /// version file is unknown whatever the stat says (every fault of `update_volume_mtime`).
    #[test]
    fn a_failed_stat_loses_only_the_time() {
        use crate::test_support::{failed, ok};
        let cfg = Config::default();
        let plist = b"<plist version=\"1.0\"><dict><key>update-asset-attributes</key><dict><key>OSVersion</key><string>27.1</string><key>Build</key><string>26B84</string></dict></dict></plist>";
        let file = ok(probes::UPDATE_VOLUME, plist);
        let good = staged_fact(
            &file,
            Some(ok(probes::UPDATE_VOLUME_MTIME, b"1795176000\n")),
            &cfg,
            StagedSource::UpdateVolume,
        )
        .unwrap();
        assert_eq!(good.since.map(|t| t.timestamp()), Some(1_795_176_000));
        assert_eq!(good.source, StagedSource::UpdateVolume);
        let stats = [
            None,
            Some(failed(probes::UPDATE_VOLUME_MTIME, 1, "stat: No such file")),
            Some(ok(probes::UPDATE_VOLUME_MTIME, b"")),
            Some(ok(probes::UPDATE_VOLUME_MTIME, b"\xff\xfe garbage")),
            Some(ProbeResult::unavailable(
                probes::UPDATE_VOLUME_MTIME,
                "timed out",
            )),
        ];
        for stat in stats {
            let s = staged_fact(&file, stat, &cfg, StagedSource::UpdateVolume).unwrap();
            assert_eq!(s.version, good.version);
            assert_eq!(s.since, None);
        }
        let bad = staged_fact(
            &ok(probes::UPDATE_VOLUME, b"garbage"),
            Some(ok(probes::UPDATE_VOLUME_MTIME, b"1795176000\n")),
            &cfg,
            StagedSource::UpdateVolume,
        );
        assert_eq!(bad.unwrap_err().fault, Fault::Unparseable);
    }

    /// Whose predicate the mdmclient log came from decides whether missing HTTP lines are
    /// evidence: mdmwatch's own (live, or recorded with a capture) returns them.
    #[test]
    fn own_predicate_live_or_recorded_only() {
        let cfg = Config::default();
        let probe = probes::log_probe(probes::LOG_MDMCLIENT, &probes::mdmclient_predicate(), &cfg);
        assert!(own_log_predicate(true, Some(&probe), None));
        let argv = |pred: &str| -> Vec<String> {
            [
                "/usr/bin/log",
                "show",
                "--style",
                "ndjson",
                "--last",
                "90m",
                "--predicate",
                pred,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let recorded = |args: Option<Vec<String>>| ProbeResult {
            id: probes::LOG_MDMCLIENT.into(),
            available: true,
            recorded_args: args,
            ..ProbeResult::default()
        };
        // A replay: the plan's probe is this build's, not the capture's; only the record counts.
        assert!(!own_log_predicate(
            false,
            Some(&probe),
            Some(&recorded(None))
        ));
        assert!(own_log_predicate(
            false,
            None,
            Some(&recorded(Some(argv(&probes::mdmclient_predicate()))))
        ));
        assert!(!own_log_predicate(
            false,
            None,
            Some(&recorded(Some(argv(
                r#"process == "mdmclient" AND eventMessage CONTAINS "Processing server request""#
            ))))
        ));
        // Not `log` at all.
        let mut other = argv(&probes::mdmclient_predicate());
        other[0] = "/tmp/log".into();
        assert!(!own_log_predicate(
            false,
            None,
            Some(&recorded(Some(other)))
        ));
    }
}
