//! Deployment artefacts, checked on Linux: the LaunchDaemon plist, the example configuration
//! profile and the Jamf schema against the settings table, the shell scripts (shellcheck and
//! `sh -n`), and the package payload layout built by `build-pkg.sh --dry-run`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use mdmwatch::config::{self, Flags, Kind, KEYS};
use serde_json::Value as J;

/// Tests run the scripts and the binary as an admin would; they are outside the probe boundary
/// that clippy.toml protects, so this one helper is allowed to spawn processes.
#[allow(clippy::disallowed_methods)]
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    Command::new(program)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dict(v: &plist::Value) -> &plist::Dictionary {
    v.as_dictionary().expect("a dictionary")
}

#[test]
fn launch_daemon_plist_has_the_required_keys() {
    let v = plist::Value::from_file(repo().join("launchd/io.mdmwatch.plist")).unwrap();
    let d = dict(&v);
    assert_eq!(d.get("Label").unwrap().as_string(), Some("io.mdmwatch"));
    let args: Vec<&str> = d
        .get("ProgramArguments")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_string().unwrap())
        .collect();
    assert_eq!(args, ["/usr/local/mdmwatch/mdmwatch", "run"]);
    assert!(Path::new(args[0]).is_absolute());
    // 95 minutes, as Addigy's MDM Watchdog.
    assert_eq!(
        d.get("StartInterval").unwrap().as_unsigned_integer(),
        Some(95 * 60)
    );
    assert_eq!(d.get("RunAtLoad").unwrap().as_boolean(), Some(true));
    assert_eq!(
        d.get("ProcessType").unwrap().as_string(),
        Some("Background")
    );
    assert_eq!(d.get("LowPriorityIO").unwrap().as_boolean(), Some(true));
    for absent in [
        "KeepAlive",
        "StandardOutPath",
        "StandardErrorPath",
        "Program",
        "UserName",
    ] {
        assert!(d.get(absent).is_none(), "{absent} must not be set");
    }
}

/// The `mcx_preference_settings` of the example profile's Custom Settings payload for io.mdmwatch.
fn profile_settings() -> plist::Dictionary {
    let v = plist::Value::from_file(repo().join("pkg/profiles/io.mdmwatch.mobileconfig")).unwrap();
    let top = dict(&v);
    assert_eq!(
        top.get("PayloadType").unwrap().as_string(),
        Some("Configuration")
    );
    assert_eq!(top.get("PayloadScope").unwrap().as_string(), Some("System"));
    let payloads = top.get("PayloadContent").unwrap().as_array().unwrap();
    let prefs: Vec<_> = payloads
        .iter()
        .map(dict)
        .filter(|p| {
            p.get("PayloadType").and_then(|t| t.as_string())
                == Some("com.apple.ManagedClient.preferences")
        })
        .collect();
    assert_eq!(prefs.len(), 1);
    for p in payloads.iter().map(dict).chain([top]) {
        for k in ["PayloadIdentifier", "PayloadUUID", "PayloadVersion"] {
            assert!(p.get(k).is_some(), "{k} missing");
        }
    }
    let domain = dict(
        dict(prefs[0].get("PayloadContent").unwrap())
            .get(config::DOMAIN)
            .expect("payload for the io.mdmwatch domain"),
    );
    let forced = domain.get("Forced").unwrap().as_array().unwrap();
    dict(dict(&forced[0]).get("mcx_preference_settings").unwrap()).clone()
}

#[test]
fn example_profile_keys_are_known_and_accepted_by_load() {
    let settings = profile_settings();
    for key in settings.keys() {
        assert!(
            config::key_spec(key).is_some(),
            "unknown key {key} in the profile"
        );
    }
    // Installed as macOS would: the settings become the managed preferences file.
    let root = tempfile::tempdir().unwrap();
    let managed = config::resolve(Some(root.path()), config::MANAGED_PREFERENCES_PATH);
    fs::create_dir_all(managed.parent().unwrap()).unwrap();
    plist::Value::Dictionary(settings.clone())
        .to_file_xml(&managed)
        .unwrap();
    let l = config::load(Some(root.path()), None, &Flags::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    for key in settings.keys() {
        let leaf = if key == "BatteryThresholds" {
            "BatteryThresholds.AppleSilicon.User"
        } else {
            key.as_str()
        };
        assert_eq!(
            l.source_of(leaf),
            config::Source::ManagedPreferences,
            "{leaf}"
        );
    }
}

fn jamf_schema() -> J {
    serde_json::from_slice(&fs::read(repo().join("pkg/jamf/io.mdmwatch.json")).unwrap()).unwrap()
}

#[test]
fn jamf_schema_covers_exactly_the_known_keys_with_the_same_defaults_and_bounds() {
    let schema = jamf_schema();
    assert!(schema["title"].is_string() && schema["description"].is_string());
    let props = schema["properties"].as_object().unwrap();
    for key in props.keys() {
        assert!(
            config::key_spec(key).is_some(),
            "schema key {key} is unknown"
        );
    }
    let defaults: std::collections::HashMap<String, J> =
        config::leaf_values(&config::Config::default())
            .into_iter()
            .collect();
    for spec in KEYS {
        let p = props
            .get(spec.key)
            .unwrap_or_else(|| panic!("{} missing from the Jamf schema", spec.key));
        assert!(
            p["title"].is_string() && p["description"].is_string(),
            "{}",
            spec.key
        );
        match spec.kind {
            Kind::Bool => {
                assert_eq!(p["type"], "boolean", "{}", spec.key);
                assert_eq!(p["default"], defaults[spec.key], "{}", spec.key);
            }
            Kind::Int { min, max } => {
                assert_eq!(p["type"], "integer", "{}", spec.key);
                assert_eq!(p["minimum"], min, "{}", spec.key);
                assert_eq!(p["maximum"], max, "{}", spec.key);
                assert_eq!(p["default"], defaults[spec.key], "{}", spec.key);
            }
            Kind::Directory => {
                assert_eq!(p["type"], "string");
                assert_eq!(p["default"], config::DEFAULT_STATUS_DIR);
            }
            Kind::Battery => {
                assert_eq!(p["type"], "object");
                let archs = p["properties"].as_object().unwrap();
                assert_eq!(archs.len(), config::BATTERY_ARCHES.len());
                for arch in config::BATTERY_ARCHES {
                    let kinds = archs[*arch]["properties"].as_object().unwrap();
                    assert_eq!(kinds.len(), config::BATTERY_KINDS.len());
                    for kind in config::BATTERY_KINDS {
                        let leaf = format!("BatteryThresholds.{arch}.{kind}");
                        assert_eq!(kinds[*kind]["default"], defaults[&leaf], "{leaf}");
                        assert_eq!(kinds[*kind]["minimum"], 0);
                        assert_eq!(kinds[*kind]["maximum"], 100);
                    }
                }
            }
        }
    }
}

/// JSON of plist settings, to validate the profile against the Jamf schema.
fn to_json(v: &plist::Value) -> J {
    match v {
        plist::Value::Boolean(b) => J::Bool(*b),
        plist::Value::Integer(i) => J::from(i.as_signed().unwrap()),
        plist::Value::String(s) => J::String(s.clone()),
        plist::Value::Dictionary(d) => {
            J::Object(d.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
        other => panic!("unexpected value in profile: {other:?}"),
    }
}

#[test]
fn example_profile_validates_against_the_jamf_schema_and_bad_values_do_not() {
    let validator = jamf_schema();
    let validator = jsonschema::validator_for(&validator).unwrap();
    let settings = to_json(&plist::Value::Dictionary(profile_settings()));
    assert!(validator.is_valid(&settings));
    let bad: &[(&str, J)] = &[
        ("RestartSpacingHours", J::from(12)),
        ("LivenessWindowMinutes", J::from("90")),
        ("StatusDirectory", J::from("/etc/mdmwatch")),
    ];
    for (key, value) in bad {
        let mut s = settings.clone();
        s[*key] = value.clone();
        assert!(!validator.is_valid(&s), "{key} = {value} should be refused");
    }
}

#[test]
fn jamf_status_directory_pattern_agrees_with_load() {
    let schema = jamf_schema();
    let validator = jsonschema::validator_for(&schema["properties"]["StatusDirectory"]).unwrap();
    for path in [
        "/Library/Application Support/mdmwatch",
        "/Library/Application Support/acme/mdmwatch",
        "/usr/local/mdmwatch/status",
        "/private/var/db/mdmwatch",
        "/var/db/mdmwatch",
        "/etc/mdmwatch",
        "/Library/Application Support/",
        "/Library/Application Support/../../etc",
        "/usr/local/a/../../etc",
        "/var/./db",
        "relative/dir",
        "/Users/alice/status",
    ] {
        assert_eq!(
            validator.is_valid(&J::from(path)),
            config::validate_status_dir(path).is_ok(),
            "{path}"
        );
    }
}

fn scripts() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scripts", "pkg/scripts", "docs/recipes"] {
        for e in fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() && p.extension().is_none_or(|x| x == "sh") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 7, "{out:?}");
    out
}

#[test]
fn scripts_are_executable_posix_sh_and_parse() {
    for s in scripts() {
        let mode = fs::metadata(&s).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{} is not executable", s.display());
        let text = fs::read_to_string(&s).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{}", s.display());
        assert!(text.contains("set -eu"), "{}", s.display());
        let o = command("sh").arg("-n").arg(&s).output().unwrap();
        assert!(
            o.status.success(),
            "{}: {}",
            s.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn scripts_pass_shellcheck() {
    let Ok(version) = command("shellcheck").arg("--version").output() else {
        println!("shellcheck not installed: skipping (CI installs it)");
        return;
    };
    assert!(version.status.success());
    let o = command("shellcheck")
        .args(["--shell=sh", "--severity=style"])
        .args(scripts())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn pkg_scripts_exit_early_unless_installing_to_the_booted_volume() {
    // With a target other than "/", neither script may reach launchctl (absent on Linux: any
    // call would fail the script).
    for s in ["preinstall", "postinstall"] {
        let o = command(repo().join("pkg/scripts").join(s))
            .args(["/tmp/pkg", "/", "/Volumes/Other", "/Volumes/Other"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{s}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.stdout.is_empty() && o.stderr.is_empty(),
            "{s} did something"
        );
    }
}

fn dry_run(out: &Path, binary: &Path) -> PathBuf {
    let o = command(repo().join("scripts/build-pkg.sh"))
        .arg("--dry-run")
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
}

#[test]
fn build_pkg_dry_run_stages_the_payload_and_uninstall_removes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let binary = tmp.path().join("mdmwatch-universal");
    fs::write(&binary, b"#!/bin/sh\necho mdmwatch 0.1.0\n").unwrap();
    let out = tmp.path().join("dist");
    let stage = dry_run(&out, &binary);
    assert_eq!(stage, out.canonicalize().unwrap().join("payload"));
    let root = stage.join("root");

    let bin = root.join("usr/local/mdmwatch/mdmwatch");
    assert_eq!(fs::read(&bin).unwrap(), fs::read(&binary).unwrap());
    assert_eq!(
        fs::metadata(&bin).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let link = root.join("usr/local/bin/mdmwatch");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(&link).unwrap(),
        PathBuf::from("/usr/local/mdmwatch/mdmwatch")
    );
    let daemon = root.join("Library/LaunchDaemons/io.mdmwatch.plist");
    assert_eq!(
        fs::read(&daemon).unwrap(),
        fs::read(repo().join("launchd/io.mdmwatch.plist")).unwrap()
    );
    assert_eq!(
        fs::metadata(&daemon).unwrap().permissions().mode() & 0o777,
        0o644
    );
    for s in ["preinstall", "postinstall"] {
        let p = stage.join("scripts").join(s);
        assert_eq!(
            fs::read(&p).unwrap(),
            fs::read(repo().join("pkg/scripts").join(s)).unwrap()
        );
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }
    // Exactly these files in the payload: nothing stray gets installed on every Mac.
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p);
            } else {
                files.push(p.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    assert_eq!(
        files,
        [
            "Library/LaunchDaemons/io.mdmwatch.plist",
            "usr/local/bin/mdmwatch",
            "usr/local/mdmwatch/mdmwatch",
            "usr/local/mdmwatch/share/completions/_mdmwatch",
            "usr/local/mdmwatch/share/completions/mdmwatch.bash",
            "usr/local/mdmwatch/share/completions/mdmwatch.fish",
            "usr/local/mdmwatch/share/man/man1/mdmwatch-capture.1",
            "usr/local/mdmwatch/share/man/man1/mdmwatch-diagnose.1",
            "usr/local/mdmwatch/share/man/man1/mdmwatch-heal.1",
            "usr/local/mdmwatch/share/man/man1/mdmwatch-run.1",
            "usr/local/mdmwatch/share/man/man1/mdmwatch.1",
            "usr/local/mdmwatch/uninstall.sh"
        ]
    );
    // The uninstaller ships in the package, executable, and forgets the receipt.
    let uninstaller = root.join("usr/local/mdmwatch/uninstall.sh");
    assert_eq!(
        fs::read(&uninstaller).unwrap(),
        fs::read(repo().join("scripts/uninstall.sh")).unwrap()
    );
    assert_eq!(
        fs::metadata(&uninstaller).unwrap().permissions().mode() & 0o777,
        0o755
    );
    assert!(fs::read_to_string(&uninstaller)
        .unwrap()
        .contains("/usr/sbin/pkgutil --forget io.mdmwatch.pkg"));

    // A second dry run replaces its own staging directory...
    assert_eq!(dry_run(&out, &binary), stage);
    // ...but never a directory it did not make.
    let foreign = tmp.path().join("foreign");
    fs::create_dir_all(foreign.join("payload")).unwrap();
    fs::write(foreign.join("payload/keep"), b"x").unwrap();
    let o = command(repo().join("scripts/build-pkg.sh"))
        .args(["--dry-run", "--binary"])
        .arg(&binary)
        .arg("--out")
        .arg(&foreign)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(foreign.join("payload/keep").exists());

    // Uninstall against the staged root, with status files and local preferences present.
    let support = root.join("Library/Application Support/mdmwatch");
    fs::create_dir_all(&support).unwrap();
    fs::write(support.join("status.json"), b"{}").unwrap();
    fs::create_dir_all(root.join("Library/Preferences")).unwrap();
    fs::write(root.join("Library/Preferences/io.mdmwatch.plist"), b"x").unwrap();
    let managed = root.join("Library/Managed Preferences/io.mdmwatch.plist");
    fs::create_dir_all(managed.parent().unwrap()).unwrap();
    fs::write(&managed, b"x").unwrap();
    // The compatibility link, as postinstall makes it, is removed too; run the installed copy.
    std::os::unix::fs::symlink(
        "/usr/local/mdmwatch/mdmwatch",
        root.join("usr/local/bin/mdm-watchdog"),
    )
    .unwrap();
    let o = command("sh")
        .arg(root.join("usr/local/mdmwatch/uninstall.sh"))
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for gone in [
        "usr/local/mdmwatch",
        "usr/local/bin/mdmwatch",
        "usr/local/bin/mdm-watchdog",
        "Library/LaunchDaemons/io.mdmwatch.plist",
        "Library/Application Support/mdmwatch",
        "Library/Preferences/io.mdmwatch.plist",
    ] {
        assert!(
            fs::symlink_metadata(root.join(gone)).is_err(),
            "{gone} remains"
        );
    }
    // The profile's file belongs to the MDM.
    assert!(managed.exists());
}

#[test]
fn build_pkg_without_dry_run_refuses_off_macos() {
    if cfg!(target_os = "macos") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let binary = tmp.path().join("bin");
    fs::write(&binary, b"x").unwrap();
    let o = command(repo().join("scripts/build-pkg.sh"))
        .arg("--binary")
        .arg(&binary)
        .arg("--out")
        .arg(tmp.path().join("dist"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs macOS"));
}

/// postinstall on a target volume (`$3`): the `mdm-watchdog` link.
fn postinstall(target: &Path) -> std::process::Output {
    command(repo().join("pkg/scripts/postinstall"))
        .arg("/tmp/mdmwatch.pkg")
        .arg("/")
        .arg(target)
        .arg(target)
        .output()
        .unwrap()
}

#[test]
fn compat_link_is_made_only_where_addigy_mdm_watchdog_is_absent_and_removed_only_if_ours() {
    // Absent: postinstall links mdm-watchdog to mdmwatch (on the target volume; launchctl is
    // reached only for "/", so this runs on Linux).
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("usr/local/bin");
    fs::create_dir_all(&bin).unwrap();
    let o = postinstall(tmp.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        fs::read_link(bin.join("mdm-watchdog")).unwrap(),
        PathBuf::from("/usr/local/mdmwatch/mdmwatch")
    );
    // Again: unchanged, no error.
    assert!(postinstall(tmp.path()).status.success());

    // Addigy's own binary (a regular file) and someone else's link are never replaced.
    for existing in ["file", "link", "dangling"] {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("usr/local/bin");
        fs::create_dir_all(&bin).unwrap();
        let path = bin.join("mdm-watchdog");
        match existing {
            "file" => fs::write(&path, b"addigy binary").unwrap(),
            "link" => std::os::unix::fs::symlink("/opt/addigy/mdm-watchdog", &path).unwrap(),
            _ => std::os::unix::fs::symlink(tmp.path().join("gone"), &path).unwrap(),
        }
        let before = fs::symlink_metadata(&path).unwrap();
        let o = postinstall(tmp.path());
        assert!(o.status.success(), "{existing}");
        let after = fs::symlink_metadata(&path).unwrap();
        assert_eq!(before.file_type(), after.file_type(), "{existing}");
        if existing == "file" {
            assert_eq!(fs::read(&path).unwrap(), b"addigy binary");
        } else {
            assert_ne!(
                fs::read_link(&path).unwrap(),
                PathBuf::from("/usr/local/mdmwatch/mdmwatch")
            );
        }
        // And the uninstaller leaves it alone.
        let o = command(repo().join("scripts/uninstall.sh"))
            .arg("--root")
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(fs::symlink_metadata(&path).is_ok(), "{existing} removed");
    }
}

#[test]
fn mdm_watchdog_link_accepts_addigys_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let link = tmp.path().join("mdm-watchdog");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mdmwatch"), &link).unwrap();
    let healthy = repo().join("tests/fixtures/captures/healthy");
    let keys = [
        "MDMEnrolled:",
        "MDMIdentityError:",
        "MDMClientStuck:",
        "MDMSoftwareUpdatesStuck:",
        "MDMClientRestarted:",
        "SoftwareUpdateDaemonRestarted:",
        "LastMDMKickstart:",
        "LastSoftwareUpdateDaemonKickstart:",
    ];
    for flag in ["-diagnose", "-heal"] {
        let o = command(&link)
            .arg(flag)
            .arg("--replay")
            .arg(&healthy)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{flag}: {o:?}");
        let out = String::from_utf8(o.stdout).unwrap();
        let first: Vec<&str> = out.lines().take(8).collect();
        for (line, key) in first.iter().zip(keys) {
            assert!(line.starts_with(key), "{flag}: {line:?} is not {key}");
        }
    }
    for flag in ["-help", "-version"] {
        let o = command(&link).arg(flag).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{flag}");
        assert!(!o.stdout.is_empty(), "{flag}");
    }
    let help = command(&link).arg("-help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Output Details"));
}

/// The extension-attribute recipes neutralise markup: a value that quotes probe output or a log
/// line holding `</result>` cannot end Jamf's result early or inject another one.
#[test]
fn jamf_recipes_neutralise_markup_in_values() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("defaults");
    fs::write(
        &fake,
        "#!/bin/sh\nprintf '%s\\n' 'blocked: x</result><result>forged' 'second line'\n",
    )
    .unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let plist = tmp.path().join("status.plist");
    fs::write(&plist, b"").unwrap();
    for name in ["jamf-ea-status-key.sh", "jamf-ea-readiness.sh"] {
        let text = fs::read_to_string(repo().join("docs/recipes").join(name))
            .unwrap()
            .replace(
                "/Library/Application Support/mdmwatch/status.plist",
                plist.to_str().unwrap(),
            )
            .replace("/usr/bin/defaults", fake.to_str().unwrap());
        let script = tmp.path().join(name);
        fs::write(&script, text).unwrap();
        let o = command("sh").arg(&script).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{name}: {out}");
        assert_eq!(out.matches("<result>").count(), 1, "{name}: {out}");
        assert_eq!(out.matches("</result>").count(), 1, "{name}: {out}");
        assert_eq!(out.trim_end().lines().count(), 1, "{name}: {out}");
        assert!(out.contains("[/result][result]forged"), "{name}: {out}");
    }
}

/// postinstall makes everything it installs root's (root:wheel, fixed modes) and refuses to
/// finish, loading nothing, when a parent directory of the binary is not root's alone (a user-
/// writable `/usr/local` after old Homebrew installs).
#[test]
fn postinstall_enforces_root_ownership_of_the_install_and_its_parents() {
    use std::os::unix::fs::MetadataExt;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root (chown)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("usr/local/mdmwatch");
    fs::create_dir_all(&dir).unwrap();
    fs::create_dir_all(tmp.path().join("Library/LaunchDaemons")).unwrap();
    let bin = dir.join("mdmwatch");
    fs::write(&bin, b"binary").unwrap();
    let plist = tmp.path().join("Library/LaunchDaemons/io.mdmwatch.plist");
    fs::write(&plist, b"<plist/>").unwrap();
    for (p, mode) in [(&bin, 0o777), (&plist, 0o666), (&dir, 0o777)] {
        std::os::unix::fs::chown(p, Some(501), Some(20)).unwrap();
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }
    let o = postinstall(tmp.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (p, mode) in [(&bin, 0o755), (&plist, 0o644), (&dir, 0o755)] {
        let m = fs::metadata(p).unwrap();
        assert_eq!(
            (m.uid(), m.gid(), m.mode() & 0o7777),
            (0, 0, mode),
            "{}",
            p.display()
        );
    }
    // A user-owned /usr/local, then a group-writable one: refused.
    let local = tmp.path().join("usr/local");
    std::os::unix::fs::chown(&local, Some(501), Some(20)).unwrap();
    let o = postinstall(tmp.path());
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not root's alone"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::os::unix::fs::chown(&local, Some(0), Some(0)).unwrap();
    fs::set_permissions(&local, fs::Permissions::from_mode(0o775)).unwrap();
    assert!(!postinstall(tmp.path()).status.success());
    fs::set_permissions(&local, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(postinstall(tmp.path()).status.success());
}
