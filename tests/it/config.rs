//! Settings sources: precedence (managed > local preferences > --config > defaults, flags over
//! all), the source recorded per key, and refusal of bad values without losing the others.

use std::fs;
use std::path::{Path, PathBuf};

use mdmwatch::config::{self, Flags, Source};

/// A sysroot with optional managed and local preference files.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn new() -> Root {
        Root {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn put(&self, device_path: &str, body: &str) -> PathBuf {
        let p = config::resolve(Some(self.path()), device_path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, plist_xml(body)).unwrap();
        p
    }

    fn managed(&self, body: &str) -> PathBuf {
        self.put(config::MANAGED_PREFERENCES_PATH, body)
    }

    fn local(&self, body: &str) -> PathBuf {
        self.put(config::LOCAL_PREFERENCES_PATH, body)
    }

    fn file(&self, body: &str) -> PathBuf {
        let p = self.path().join("given.plist");
        fs::write(&p, plist_xml(body)).unwrap();
        p
    }

    fn load(&self, config_file: Option<&Path>, flags: &Flags) -> config::Loaded {
        config::load(Some(self.path()), config_file, flags)
    }
}

fn plist_xml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>{body}</dict></plist>"#
    )
}

fn setting(l: &config::Loaded, key: &str) -> (serde_json::Value, String) {
    let s = mdmwatch::report::config_section(l);
    let x = s
        .settings
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no setting {key}"));
    (x.value.clone(), x.source.clone())
}

#[test]
fn precedence_managed_over_local_over_file_over_default() {
    let root = Root::new();
    let file = root.file(
        "<key>LivenessWindowMinutes</key><integer>60</integer>\
         <key>IdentityWarningDays</key><integer>10</integer>\
         <key>ProbeTimeoutSeconds</key><integer>20</integer>",
    );
    root.local(
        "<key>LivenessWindowMinutes</key><integer>120</integer>\
         <key>IdentityWarningDays</key><integer>14</integer>",
    );
    root.managed("<key>LivenessWindowMinutes</key><integer>180</integer>");
    let l = root.load(Some(&file), &Flags::default());
    assert!(l.errors.is_empty() && l.warnings.is_empty(), "{l:?}");
    let cases: &[(&str, serde_json::Value, &str)] = &[
        ("LivenessWindowMinutes", 180.into(), "managed_preferences"),
        ("IdentityWarningDays", 14.into(), "local_preferences"),
        ("ProbeTimeoutSeconds", 20.into(), "config_file"),
        ("LogTimeoutSeconds", 60.into(), "default"),
    ];
    for (key, value, source) in cases {
        assert_eq!(
            setting(&l, key),
            (value.clone(), source.to_string()),
            "{key}"
        );
    }
    assert_eq!(l.config.liveness_window_minutes, 180);
    assert_eq!(l.config.identity_warning_days, 14);
    assert_eq!(l.config.probe_timeout_secs, 20);
    let states: Vec<_> = mdmwatch::report::config_section(&l)
        .sources
        .iter()
        .map(|s| (s.source.clone(), s.state.clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("config_file".to_string(), "read".to_string()),
            ("local_preferences".to_string(), "read".to_string()),
            ("managed_preferences".to_string(), "read".to_string()),
        ]
    );
}

#[test]
fn command_line_flags_override_managed_preferences() {
    let root = Root::new();
    root.managed("<key>StatusDirectory</key><string>/Library/Application Support/acme</string>");
    let flags = Flags {
        status_dir: Some(PathBuf::from("/tmp/flag-status")),
        state_path: Some(PathBuf::from("/tmp/flag-state.json")),
    };
    let l = root.load(None, &flags);
    assert_eq!(l.config.status_dir, PathBuf::from("/tmp/flag-status"));
    assert_eq!(l.config.state_path(), PathBuf::from("/tmp/flag-state.json"));
    assert_eq!(l.source_of("StatusDirectory"), Source::CommandLine);
    assert_eq!(setting(&l, "StatePath").1, "command_line");
}

#[test]
fn managed_status_directory_is_resolved_under_sysroot_and_state_follows() {
    let root = Root::new();
    root.managed("<key>StatusDirectory</key><string>/Library/Application Support/acme</string>");
    let l = root.load(None, &Flags::default());
    let expected = root.path().join("Library/Application Support/acme");
    assert_eq!(l.config.status_dir, expected);
    assert_eq!(l.config.state_path(), expected.join("state.json"));
    assert_eq!(setting(&l, "StatePath").1, "managed_preferences");
}

#[test]
fn restart_spacing_below_24_is_refused_and_the_lower_source_stands() {
    let root = Root::new();
    root.local("<key>RestartSpacingHours</key><integer>48</integer>");
    root.managed(
        "<key>RestartSpacingHours</key><integer>12</integer>\
         <key>HealMDMClient</key><false/>",
    );
    let l = root.load(None, &Flags::default());
    assert_eq!(l.config.restart_spacing_hours, 48);
    assert_eq!(setting(&l, "RestartSpacingHours").1, "local_preferences");
    // The other key of the same source still applies.
    assert!(!l.config.heal_mdmclient);
    assert_eq!(setting(&l, "HealMDMClient").1, "managed_preferences");
    assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
    let e = &l.errors[0];
    assert!(
        e.contains("RestartSpacingHours") && e.contains("at least 24 hours"),
        "{e}"
    );
    assert!(e.contains("keeping 48 from local preferences"), "{e}");
}

#[test]
fn wrong_types_and_bounds_are_errors_for_that_key_only() {
    let root = Root::new();
    root.managed(
        "<key>LivenessWindowMinutes</key><string>90</string>\
         <key>ProbeTimeoutSeconds</key><integer>0</integer>\
         <key>LogTimeoutSeconds</key><integer>-5</integer>\
         <key>HealSoftwareUpdated</key><integer>1</integer>\
         <key>StatusDirectory</key><string>/etc/evil</string>\
         <key>DiskHeadroomUpdateGB</key><integer>30</integer>",
    );
    let l = root.load(None, &Flags::default());
    assert_eq!(l.errors.len(), 5, "{:#?}", l.errors);
    for key in [
        "LivenessWindowMinutes",
        "ProbeTimeoutSeconds",
        "LogTimeoutSeconds",
        "HealSoftwareUpdated",
        "StatusDirectory",
    ] {
        assert!(
            l.errors.iter().any(|e| e.contains(key)),
            "{key}: {:?}",
            l.errors
        );
        assert_eq!(setting(&l, key).1, "default", "{key}");
    }
    assert!(l
        .errors
        .iter()
        .any(|e| e.contains("expected an integer, found a string")));
    assert!(l
        .errors
        .iter()
        .any(|e| e.contains("not under an allowed directory")));
    assert_eq!(l.config.disk_headroom_update_gb, 30);
    assert_eq!(
        l.config.status_dir,
        root.path().join("Library/Application Support/mdmwatch")
    );
}

#[test]
fn battery_thresholds_override_per_leaf() {
    let root = Root::new();
    root.managed(
        "<key>BatteryThresholds</key><dict>\
           <key>AppleSilicon</key><dict><key>User</key><integer>30</integer>\
             <key>RSR</key><integer>150</integer></dict>\
           <key>Intel</key><dict><key>Automatic</key><integer>60</integer>\
             <key>Bogus</key><integer>1</integer></dict>\
           <key>Vision</key><dict/>\
         </dict>",
    );
    let l = root.load(None, &Flags::default());
    let (a, i) = (l.config.battery_apple_silicon, l.config.battery_intel);
    assert_eq!((a.user_initiated, a.automatic, a.rsr), (30, 50, 10));
    assert_eq!((i.user_initiated, i.automatic, i.rsr), (50, 60, 20));
    assert_eq!(
        setting(&l, "BatteryThresholds.AppleSilicon.User").1,
        "managed_preferences"
    );
    assert_eq!(
        setting(&l, "BatteryThresholds.AppleSilicon.RSR").1,
        "default"
    );
    assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
    assert!(l.errors[0].contains("BatteryThresholds.AppleSilicon.RSR"));
    assert_eq!(l.warnings.len(), 2, "{:?}", l.warnings);
}

#[test]
fn unknown_keys_warn_and_payload_keys_are_ignored() {
    let root = Root::new();
    root.managed(
        "<key>HealMDMclient</key><false/>\
         <key>PayloadUUID</key><string>x</string>\
         <key>IdentityWarningDays</key><integer>45</integer>",
    );
    let l = root.load(None, &Flags::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(l.warnings[0].contains("unknown key \"HealMDMclient\""));
    // The misspelt key did not switch healing off.
    assert!(l.config.heal_mdmclient);
    assert_eq!(l.config.identity_warning_days, 45);
}

#[test]
fn corrupt_unreadable_and_symlinked_sources_warn_and_defaults_apply() {
    let root = Root::new();
    let managed = config::resolve(Some(root.path()), config::MANAGED_PREFERENCES_PATH);
    fs::create_dir_all(managed.parent().unwrap()).unwrap();
    fs::write(&managed, b"<plist><dict><key>Oops").unwrap();
    // A symlink at the local preferences path is not followed.
    let target = root.path().join("elsewhere.plist");
    fs::write(
        &target,
        plist_xml("<key>LivenessWindowMinutes</key><integer>30</integer>"),
    )
    .unwrap();
    let local = config::resolve(Some(root.path()), config::LOCAL_PREFERENCES_PATH);
    fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &local).unwrap();
    let l = root.load(None, &Flags::default());
    assert_eq!(l.config.liveness_window_minutes, 90);
    assert_eq!(l.warnings.len(), 2, "{:?}", l.warnings);
    assert!(l
        .warnings
        .iter()
        .any(|w| w.contains("not a valid property list")));
    assert!(l.warnings.iter().any(|w| w.contains("symbolic link")));
    let states: Vec<_> = l.sources.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(states, vec!["unreadable", "invalid"]);
    // A non-dictionary plist is invalid too.
    fs::write(&managed, plist_xml("").replace("<dict></dict>", "<array/>")).unwrap();
    let l = root.load(None, &Flags::default());
    assert!(
        l.warnings.iter().any(|w| w.contains("not a dictionary")),
        "{:?}",
        l.warnings
    );
}

#[test]
fn a_fifo_or_directory_at_a_source_path_is_not_opened() {
    let root = Root::new();
    let managed = config::resolve(Some(root.path()), config::MANAGED_PREFERENCES_PATH);
    fs::create_dir_all(&managed).unwrap();
    let fifo = root.path().join("fifo.plist");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    // Opening the FIFO would block forever; the test finishing is the assertion.
    let l = root.load(Some(&fifo), &Flags::default());
    assert_eq!(l.warnings.len(), 2, "{:?}", l.warnings);
    assert!(l.warnings.iter().all(|w| w.contains("not a regular file")));
}

#[test]
fn binary_plist_is_read() {
    let root = Root::new();
    let mut d = plist::Dictionary::new();
    d.insert("VerifyWaitSeconds".into(), plist::Value::Integer(45.into()));
    let p = config::resolve(Some(root.path()), config::LOCAL_PREFERENCES_PATH);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    plist::Value::Dictionary(d).to_file_binary(&p).unwrap();
    let l = root.load(None, &Flags::default());
    assert_eq!(l.config.verify_wait_secs, 45);
    assert_eq!(l.source_of("VerifyWaitSeconds"), Source::LocalPreferences);
}

#[test]
fn missing_config_file_is_an_error_but_absent_preferences_are_normal() {
    let root = Root::new();
    let l = root.load(Some(&root.path().join("nope.plist")), &Flags::default());
    assert_eq!(l.errors.len(), 1);
    assert!(l.errors[0].contains("file not found"));
    assert!(l.warnings.is_empty());
    assert!(l.sources.iter().all(|s| s.state == "absent"));
    assert_eq!(
        l.config,
        config::Config {
            status_dir: root.path().join("Library/Application Support/mdmwatch"),
            ..config::Config::default()
        }
    );
}

#[test]
fn output_caps_are_set_in_mib_and_bounded() {
    let root = Root::new();
    root.managed(
        "<key>LogMaxMB</key><integer>64</integer><key>ProbeMaxMB</key><integer>0</integer>",
    );
    let l = root.load(None, &Flags::default());
    assert_eq!(l.config.log_max_bytes, 64 * 1024 * 1024);
    assert_eq!(setting(&l, "LogMaxMB").1, "managed_preferences");
    // 0 MiB would drop every output: refused, the default 4 MiB stands.
    assert!(
        l.errors.iter().any(|e| e.contains("ProbeMaxMB")),
        "{:?}",
        l.errors
    );
    assert_eq!(l.config.probe_max_bytes, 4 * 1024 * 1024);
    // The probe table uses them.
    let probes = mdmwatch::probes::independent(&l.config);
    let log = probes.iter().find(|p| p.id == "log_mdmclient").unwrap();
    assert_eq!(log.max_bytes, 64 * 1024 * 1024);
}
