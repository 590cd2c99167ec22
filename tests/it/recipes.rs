//! The integration recipes in docs/recipes, run against a real status.plist written by
//! `mdmwatch run --replay`: the Jamf extension attributes as shell scripts (macOS's `defaults read`
//! and `stat -f %m` replaced by the stand-ins in tests/fixtures/recipes, the only emulated part),
//! and the osquery SQL against an emulation of osquery's `plist` table shape in SQLite.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{captures_dir, copy_capture, mdmwatch, root};

/// Tests run the recipes as Jamf would run them (outside the probe boundary clippy guards).
#[allow(clippy::disallowed_methods)]
fn command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    std::process::Command::new(program)
}

const STATUS_PLIST: &str = "/Library/Application Support/mdmwatch/status.plist";

/// The `defaults`/osquery stand-ins run on python3 (on every machine of this kind). Without it
/// the recipes' tests fail rather than pass without running anything.
fn python3() -> bool {
    let ok = command("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "python3 not found: the recipes' tests run the defaults/osquery stand-ins on it"
    );
    ok
}

/// `mdmwatch run --replay CAPTURE --status-dir DIR`: the status.plist the recipes read.
fn status_from(capture: &Path, dir: &Path) -> PathBuf {
    let o = mdmwatch(&[
        "run",
        "--replay",
        capture.to_str().unwrap(),
        "--status-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    dir.join("status.plist")
}

/// Runs a recipe with its absolute tool paths pointed at the stand-ins and its status path at
/// `plist`; `key` replaces the KEY setting when given. Returns what is inside `<result>`.
fn run_recipe(name: &str, plist: &Path, key: Option<&str>) -> String {
    let fakes = root().join("tests/fixtures/recipes");
    let original = fs::read_to_string(root().join("docs/recipes").join(name)).unwrap();
    assert!(original.contains(STATUS_PLIST), "{name} reads another path");
    let mut text = original.replace(STATUS_PLIST, plist.to_str().unwrap());
    for tool in ["defaults", "stat"] {
        text = text.replace(
            &format!("/usr/bin/{tool}"),
            fakes.join(tool).to_str().unwrap(),
        );
    }
    if let Some(k) = key {
        assert!(text.contains("KEY=\"MDMClientStuck\""), "{name} has no KEY");
        text = text.replace("KEY=\"MDMClientStuck\"", &format!("KEY=\"{k}\""));
    }
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join(name);
    fs::write(&script, text).unwrap();
    let o = command("sh").arg(&script).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{name}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let inner = out
        .trim()
        .strip_prefix("<result>")
        .and_then(|s| s.strip_suffix("</result>"))
        .unwrap_or_else(|| panic!("{name} printed {out:?}, not one <result> line"));
    inner.to_string()
}

#[test]
fn jamf_status_key_ea_shows_a_value_on_a_healthy_mac() {
    if !python3() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let plist = status_from(&captures_dir().join("healthy"), &tmp.path().join("s"));
    let ea = "jamf-ea-status-key.sh";
    assert_eq!(run_recipe(ea, &plist, None), "false");
    assert_eq!(run_recipe(ea, &plist, Some("Healthy")), "true");
    // Problems is empty when healthy: a value, not "unknown".
    assert_eq!(run_recipe(ea, &plist, Some("Problems")), "none");
    assert_eq!(
        run_recipe(ea, &plist, Some("Check_mdm.identity_Status")),
        "ok"
    );
    assert_eq!(run_recipe(ea, &plist, Some("NoSuchKey")), "unknown");

    let bad = status_from(
        &captures_dir().join("readiness-disk-9gb"),
        &tmp.path().join("b"),
    );
    assert_eq!(
        run_recipe(ea, &bad, Some("Problems")),
        "disk.free_space, readiness"
    );
    assert_eq!(run_recipe(ea, &bad, Some("Healthy")), "false");

    assert_eq!(
        run_recipe(ea, &tmp.path().join("absent/status.plist"), None),
        "not installed"
    );
}

/// A root run with nothing failed but some checks unknown (the bootstrap-token probe not
/// captured): every recipe that shows health says `unknown`, never `true`, from the status.plist
/// `run --replay` wrote (the exit status stays 0: "no problem found", as README says).
#[test]
fn recipes_never_show_a_root_run_with_unknowns_as_healthy() {
    if !python3() {
        return;
    }
    let (tmp, cap) = copy_capture("healthy");
    for e in fs::read_dir(&cap).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("profiles_bootstraptoken.")
        {
            fs::remove_file(p).unwrap();
        }
    }
    let plist = status_from(&cap, &tmp.path().join("s"));
    let ea = "jamf-ea-status-key.sh";
    assert_eq!(run_recipe(ea, &plist, Some("Healthy")), "unknown");
    assert_eq!(run_recipe(ea, &plist, Some("Problems")), "none");
    assert_ne!(run_recipe(ea, &plist, Some("UnknownCount")), "0");
    let overall = &osquery(&plist)[3];
    let healthy: Vec<&serde_json::Value> = overall
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["key"] == "Healthy")
        .collect();
    assert_eq!(healthy[0]["value"], "unknown");
}

/// The channel EA: the verdict and its cause from the flat keys, on a connected Mac, a server
/// failing with 5xx and a Mac whose identity lost its key.
#[test]
fn jamf_channel_ea_shows_the_verdict_and_its_cause() {
    if !python3() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ea = "jamf-ea-channel.sh";
    for (capture, want) in [
        ("healthy", "connected"),
        ("channel-server-503", "degraded (server_errors)"),
        (
            "identity-no-private-key",
            "disconnected (identity_unusable)",
        ),
    ] {
        let plist = status_from(&captures_dir().join(capture), &tmp.path().join(capture));
        assert_eq!(run_recipe(ea, &plist, None), want, "{capture}");
    }
    assert_eq!(
        run_recipe(ea, &tmp.path().join("absent/status.plist"), None),
        "not installed"
    );
}

/// Every shell and SQL block of docs/INTEGRATIONS.md is a piece of a tested recipe (its lines,
/// in order, inside one file of docs/recipes), so an admin who copies a block from the page gets
/// what the tests ran; `log show` command lines (typed, not deployed) are the exception.
#[test]
fn integrations_doc_blocks_are_pieces_of_tested_recipes() {
    let doc = fs::read_to_string(root().join("docs/INTEGRATIONS.md")).unwrap();
    let recipes: Vec<(String, Vec<String>)> = fs::read_dir(root().join("docs/recipes"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let lines = fs::read_to_string(&p)
                .unwrap()
                .lines()
                .map(|l| l.trim_end().to_string())
                .collect();
            (p.file_name().unwrap().to_string_lossy().into_owned(), lines)
        })
        .collect();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l == "```sh" || l == "```sql" => current = Some(Vec::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), _) => b.push(line.trim_end().to_string()),
            (None, _) => {}
        }
    }
    assert!(blocks.len() >= 6, "{} blocks found", blocks.len());
    for block in blocks {
        if block.iter().all(|l| l.starts_with("log show ")) {
            continue;
        }
        let found = recipes.iter().any(|(_, lines)| {
            lines
                .windows(block.len())
                .any(|w| w.iter().zip(&block).all(|(a, b)| a == b))
        });
        assert!(
            found,
            "this block of docs/INTEGRATIONS.md is in no docs/recipes file:\n{}",
            block.join("\n")
        );
    }
}

#[test]
fn jamf_readiness_ea_shows_each_kind_and_the_first_reason() {
    if !python3() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ea = "jamf-ea-readiness.sh";
    let healthy = status_from(&captures_dir().join("healthy"), &tmp.path().join("h"));
    let v = run_recipe(ea, &healthy, None);
    assert!(v.starts_with("update "), "{v}");
    assert!(v.contains("; upgrade ") && v.contains("; rsr ready"), "{v}");
    assert!(!v.contains("blocked"), "{v}");

    let disk = status_from(
        &captures_dir().join("readiness-disk-9gb"),
        &tmp.path().join("d"),
    );
    assert_eq!(
        run_recipe(ea, &disk, None),
        "update 15.2 blocked: disk.free_space: 9.1 GB free, 15 GB needed; \
         upgrade 26.1 blocked: disk.free_space: 9.1 GB free, 25 GB needed; rsr ready; \
         mdm_initiated 15.2 blocked: disk.free_space: 9.1 GB free, 15 GB needed"
    );
    // Every kind status.plist carries is in the EA's line: none is left out.
    let d = plist::Value::from_file(&disk).unwrap();
    let line = run_recipe(ea, &disk, None);
    for k in d.as_dictionary().unwrap().keys() {
        if let Some(kind) = k.strip_prefix("Readiness_") {
            assert!(
                line.contains(&format!("{kind} ")),
                "{kind} missing from {line}"
            );
        }
    }
    // An MDM-initiated install blocked while the user's is ready is said (it was dropped).
    let token = status_from(
        &captures_dir().join("readiness-token-not-escrowed"),
        &tmp.path().join("k"),
    );
    let v = run_recipe(ea, &token, None);
    let d = plist::Value::from_file(&token).unwrap();
    for (k, val) in d.as_dictionary().unwrap() {
        if let Some(kind) = k.strip_prefix("Readiness_") {
            let want = format!("{kind} {}", val.as_string().unwrap());
            assert!(v.contains(&want), "{want} not in {v}");
        }
    }
    // A declared DDM target adds its kind.
    let ddm = status_from(
        &captures_dir().join("readiness-ddm-deadline-failed"),
        &tmp.path().join("t"),
    );
    assert!(run_recipe(ea, &ddm, None).contains("; ddm_target "));
    assert_eq!(
        run_recipe(ea, &tmp.path().join("absent/status.plist"), None),
        "not installed"
    );
}

#[test]
fn jamf_minutes_since_run_ea_counts_from_the_last_write() {
    let tmp = tempfile::tempdir().unwrap();
    let plist = status_from(&captures_dir().join("healthy"), &tmp.path().join("s"));
    let ea = "jamf-ea-minutes-since-run.sh";
    assert_eq!(run_recipe(ea, &plist, None), "0");
    // Written 3 hours ago.
    let three_h = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 3600 + 30);
    fs::File::options()
        .write(true)
        .open(&plist)
        .unwrap()
        .set_modified(three_h)
        .unwrap();
    assert_eq!(run_recipe(ea, &plist, None), "180");
    assert_eq!(
        run_recipe(ea, &tmp.path().join("absent/status.plist"), None),
        ""
    );
}

/// Each statement's rows from the osquery recipe, against `plist` read as osquery would.
fn osquery(plist: &Path) -> Vec<serde_json::Value> {
    let o = command("python3")
        .arg(root().join("tests/fixtures/recipes/osquery_plist.py"))
        .arg(plist)
        .arg(STATUS_PLIST)
        .arg(root().join("docs/recipes/osquery.sql"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn osquery_recipe_reads_the_status_plist() {
    if !python3() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let plist = status_from(
        &captures_dir().join("readiness-disk-9gb"),
        &tmp.path().join("s"),
    );
    let results = osquery(&plist);
    assert_eq!(results.len(), 6, "six statements in osquery.sql");
    let pairs = |i: usize, k: &str, v: &str| -> Vec<(String, String)> {
        results[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[k].as_str().unwrap().to_string(),
                    r[v].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let keys = pairs(0, "key", "value");
    let get = |k: &str| keys.iter().find(|(a, _)| a == k).map(|(_, b)| b.as_str());
    assert_eq!(get("Healthy"), Some("false"));
    assert_eq!(get("MDMClientStuck"), Some("false"));
    assert_eq!(get("Problems"), Some("disk.free_space, readiness"));
    assert_eq!(keys.len(), 7, "{keys:?}");

    let checks = pairs(1, "check_id", "status");
    assert!(
        checks.contains(&("disk.free_space".into(), "failed".into())),
        "{checks:?}"
    );
    assert!(
        checks.contains(&("mdm.identity".into(), "ok".into())),
        "{checks:?}"
    );
    assert!(checks.iter().all(|(id, _)| !id.contains("Status")));

    let kinds = pairs(2, "kind", "readiness");
    assert!(
        kinds.contains(&(
            "upgrade".into(),
            "26.1 blocked: disk.free_space: 9.1 GB free, 25 GB needed".into()
        )),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("rsr".into(), "ready".into())), "{kinds:?}");

    // The overall block: not healthy, with the incomplete check named.
    let overall = pairs(3, "key", "value");
    let get = |k: &str| {
        overall
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("{k} missing: {overall:?}"))
    };
    assert_eq!(get("Healthy"), "false");
    assert_eq!(get("ExitCode"), "1");
    assert_eq!(get("UnknownCount"), "1");
    assert_eq!(get("Unknowns"), "bootstrap_token");
    let verdict = get("Verdict");
    assert!(
        verdict.starts_with("MDM channel: connected: ")
            && verdict.ends_with("; 2 problems, 1 check incomplete"),
        "{verdict}"
    );
    // The channel statement: status, summary and the verdict fact.
    let channel: Vec<(String, String)> = results[4]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let k = r["key"].as_str().unwrap();
            let name = if k == "Checks" {
                r["subkey"].as_str().unwrap()
            } else {
                k
            };
            (name.to_string(), r["value"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        channel.contains(&("Check_mdm.channel_Status".into(), "ok".into())),
        "{channel:?}"
    );
    assert!(
        channel.contains(&("mdm.channel/Facts/verdict".into(), "connected".into())),
        "{channel:?}"
    );
    assert!(
        channel
            .iter()
            .any(|(k, v)| k == "Check_mdm.channel_Summary" && v.starts_with("connected: ")),
        "{channel:?}"
    );

    // A disconnected channel: the verdict and its cause, as the recipe's statement reads them.
    let cut = status_from(
        &captures_dir().join("identity-no-private-key"),
        &tmp.path().join("c"),
    );
    let cut_rows = osquery(&cut);
    let rows = &cut_rows[4];
    let fact = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["subkey"] == name)
            .map(|r| r["value"].as_str().unwrap().to_string())
    };
    assert_eq!(
        fact("mdm.channel/Facts/verdict").as_deref(),
        Some("disconnected")
    );
    assert_eq!(
        fact("mdm.channel/Facts/cause").as_deref(),
        Some("identity_unusable")
    );
    // The flat channel keys: the same verdict and cause, no nested path.
    let flat: Vec<(String, String)> = cut_rows[5]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        flat.contains(&("MDMChannel".into(), "disconnected".into())),
        "{flat:?}"
    );
    assert!(
        flat.contains(&("MDMChannelCause".into(), "identity_unusable".into())),
        "{flat:?}"
    );

    // A non-root capture: Healthy is 'unknown', never 'true'.
    let nonroot = status_from(
        &captures_dir().join("probe-failures"),
        &tmp.path().join("n"),
    );
    let r = osquery(&nonroot);
    let healthy: Vec<&serde_json::Value> = r[3]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["key"] == "Healthy")
        .collect();
    assert_eq!(healthy[0]["value"], "unknown");
}

/// The man page and completions shipped in the package (pkg/docs) are what the generator
/// (examples/gen_docs.rs) makes from the CLI definition now: regenerate with
/// `cargo run --example gen_docs -- pkg/docs` when the CLI changes.
#[test]
fn shipped_man_pages_and_completions_match_the_cli() {
    #[allow(dead_code)]
    #[path = "../../examples/gen_docs.rs"]
    mod gen_docs;
    let files = gen_docs::render().unwrap();
    assert!(files.len() >= 8);
    let dir = root().join("pkg/docs");
    for (name, bytes) in &files {
        let shipped = fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            shipped == *bytes,
            "pkg/docs/{name} is stale: cargo run --example gen_docs -- pkg/docs"
        );
    }
    let shipped = fs::read_dir(&dir).unwrap().count();
    assert_eq!(shipped, files.len(), "stray files in pkg/docs");
    let man = String::from_utf8(fs::read(dir.join("mdmwatch-capture.1")).unwrap()).unwrap();
    assert!(
        man.contains("redact") && !man.contains("dry\\-run"),
        "{man}"
    );
}

/// docs/INTEGRATIONS.md shows what we write: its ReadinessSummary and Readiness_<kind> examples are
/// the values `run --replay` writes for readiness-disk-9gb, and it names every kind we write.
#[test]
fn integrations_doc_examples_are_what_we_write() {
    let tmp = tempfile::tempdir().unwrap();
    let plist = status_from(
        &captures_dir().join("readiness-disk-9gb"),
        &tmp.path().join("s"),
    );
    let doc = fs::read_to_string(root().join("docs/INTEGRATIONS.md")).unwrap();
    let d = plist::Value::from_file(&plist).unwrap();
    let d = d.as_dictionary().unwrap();
    let summary = d["ReadinessSummary"].as_string().unwrap();
    assert!(doc.contains(&format!("`{summary}`")), "{summary}");
    for (k, v) in d {
        if let Some(kind) = k.strip_prefix("Readiness_") {
            assert!(
                doc.contains(&format!("`{kind}`")),
                "kind {kind} not in the doc"
            );
            let example = format!("`{k}` = `{}`", v.as_string().unwrap());
            if kind != "upgrade" {
                assert!(doc.contains(&example), "{example}");
            }
        }
    }
    // The overall keys are documented.
    for key in [
        "UnknownCount",
        "Unknowns",
        "NotApplicable",
        "Verdict",
        "Healthy",
    ] {
        assert!(d.contains_key(key), "{key} not written");
        assert!(doc.contains(&format!("`{key}`")), "{key} not documented");
    }
    let verdict = d["Verdict"].as_string().unwrap();
    assert!(doc.contains(&format!("`{verdict}`")), "{verdict}");
}

/// munkireport's mdm_status parser (`%Y-%m-%dT%H:%M:%S.%f%z`) reads the Addigy keys of the state
/// file our heal writes (microseconds, local offset), as docs/INTEGRATIONS.md says; never is
/// Go's zero time, which the module treats as never before parsing.
#[test]
fn munkireport_reads_the_state_file_we_write() {
    if !python3() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    // A state written by our own code, with a restart recorded.
    let st = mdmwatch::state::State {
        last_mdm_kickstart: Some(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T06:00:00-05:00").unwrap(),
        ),
        ..Default::default()
    };
    mdmwatch::state::save(&state, &st).unwrap();
    let doc = fs::read_to_string(root().join("docs/INTEGRATIONS.md")).unwrap();
    assert!(doc.contains("mdmwatch's state file parses there"));
    let py = format!(
        r#"
import datetime, json
state = json.load(open({path:?}))
for key in ("last_mdm_kickstart", "last_software_update_kickstart"):
    t = state[key]
    if t.startswith("0001-01-01"):
        print(key, "never")
    else:
        print(key, datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f%z").isoformat())
"#,
        path = state.to_str().unwrap()
    );
    let o = command("python3").args(["-c", &py]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "last_mdm_kickstart 2026-11-23T06:00:00-05:00",
            "last_software_update_kickstart never"
        ]
    );
}
