//! Status files: what the last run found, for MDMs, Jamf extension attributes, osquery and
//! munkireport, written by `mdmwatch run` into the status directory.
//!
//! `status.json` is the full JSON report (the versioned contract). `status.plist` carries the same
//! facts flattened so `defaults read "<dir>/status.plist" MDMClientStuck` and osquery's `plist`
//! table read them without a JSON parser: the eight Addigy keys at the top level as the strings
//! "true"/"false"/"unknown" (as Addigy's log line prints them; a plist has no null), one
//! `Check_<id>_Status`/`Check_<id>_Summary` pair per check, the overall block (`Healthy`,
//! `ExitCode`, `ProblemCount`/`Problems`, `UnknownCount`/`Unknowns`, `NotApplicable`, `Verdict`,
//! `Root`,
//! the same as status.json's `overall`), the MDM channel's `MDMChannel`/`MDMChannelCause`/
//! `MDMLastExchange`, `ReadinessSummary` and one
//! `Readiness_<kind>` line per update kind, and nested `Checks`, `Config`,
//! `Readiness` and `Heal` dictionaries. Both are written with `files::write_atomic` (mode 0644,
//! a symlink at the destination is refused), so a reader never sees half a file. This module
//! renders and writes; it decides nothing.

use std::path::{Path, PathBuf};

use plist::{Dictionary, Value as P};
use serde_json::Value as J;

use crate::report::{tri, Report, Watchdog};
use crate::system::files;

pub(crate) const STATUS_JSON: &str = "status.json";
pub const STATUS_PLIST: &str = "status.plist";

/// Version of the status.plist layout (keys are added, never renamed).
pub(crate) const PLIST_LAYOUT_VERSION: u64 = 1;

/// Paths written by [`write()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub json: PathBuf,
    pub plist: PathBuf,
}

/// Writes `status.json` then `status.plist` into `dir` (created 0755 if absent), each atomically
/// with mode 0644. Refuses a symlinked directory or a symlink at either file.
pub fn write(dir: &Path, report: &Report) -> Result<Written, String> {
    let json_path = dir.join(STATUS_JSON);
    let plist_path = dir.join(STATUS_PLIST);
    let mut json = report.to_json();
    json.push('\n');
    files::write_atomic(&json_path, json.as_bytes(), 0o644)
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    let bytes = plist_bytes(report)?;
    files::write_atomic(&plist_path, &bytes, 0o644)
        .map_err(|e| format!("cannot write {}: {e}", plist_path.display()))?;
    Ok(Written {
        json: json_path,
        plist: plist_path,
    })
}

/// The status.plist document as XML bytes (XML so admins can read and diff it).
pub(crate) fn plist_bytes(report: &Report) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut doc = P::Dictionary(to_plist(report));
    xml_safe_value(&mut doc);
    doc.to_writer_xml(&mut out)
        .map_err(|e| format!("cannot render status.plist: {e}"))?;
    out.push(b'\n');
    Ok(out)
}

/// A string XML 1.0 can carry, as status.plist writes it: every character XML forbids or a
/// reader may choke on (C0 controls but tab, newline and carriage return; DEL; C1 controls;
/// U+FFFE and U+FFFF) is written as the six characters `\u` and four hex digits (ESC becomes
/// `\u001B`). Probe stderr and log lines reach the plist verbatim, and one such character made
/// the whole document invalid XML (<https://www.w3.org/TR/xml/#charsets>). `<`, `>` and `&` are
/// escaped by the plist writer as XML entities.
pub(crate) fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`xml_safe`] over every string and dictionary key of a plist value.
fn xml_safe_value(v: &mut P) {
    match v {
        P::String(s) => {
            if let std::borrow::Cow::Owned(o) = xml_safe(s) {
                *s = o;
            }
        }
        P::Array(a) => a.iter_mut().for_each(xml_safe_value),
        P::Dictionary(d) => {
            let entries: Vec<(String, P)> = std::mem::take(d).into_iter().collect();
            for (k, mut val) in entries {
                xml_safe_value(&mut val);
                d.insert(xml_safe(&k).into_owned(), val);
            }
        }
        _ => {}
    }
}

/// The MDM channel's answer as flat strings, stable from run to run (unlike `Verdict`, which
/// quotes times): `MDMChannel` (connected, degraded, disconnected, unknown), `MDMChannelCause`
/// (the cause's code, empty when connected) and `MDMLastExchange` (RFC 3339, empty when none is
/// known). A smart group or an osquery `key =` reads them without nested subkeys. Absent when the
/// report has no channel check (a command that does not run it).
fn channel_keys(d: &mut Dictionary, report: &Report) {
    let Some(f) = report.checks.get(crate::report::CHANNEL) else {
        return;
    };
    let fact = |k: &str| f.facts.get(k).and_then(J::as_str).unwrap_or("").to_string();
    let verdict = match fact("verdict") {
        v if v.is_empty() => "unknown".to_string(),
        v => v,
    };
    d.insert("MDMChannel".into(), P::String(verdict));
    d.insert("MDMChannelCause".into(), P::String(fact("cause")));
    d.insert("MDMLastExchange".into(), P::String(fact("last_exchange")));
}

fn watchdog_keys(d: &mut Dictionary, w: &Watchdog) {
    let s = |v: &str| P::String(v.to_string());
    d.insert("MDMEnrolled".into(), s(tri(w.mdm_enrolled)));
    d.insert("MDMIdentityError".into(), s(tri(w.mdm_identity_error)));
    d.insert("MDMClientStuck".into(), s(tri(w.mdm_client_stuck)));
    d.insert(
        "MDMSoftwareUpdatesStuck".into(),
        s(tri(w.mdm_software_updates_stuck)),
    );
    d.insert(
        "MDMClientRestarted".into(),
        s(tri(Some(w.mdm_client_restarted))),
    );
    d.insert(
        "SoftwareUpdateDaemonRestarted".into(),
        s(tri(Some(w.software_update_daemon_restarted))),
    );
    // Never restarted: the key is absent (Addigy's Go zero time is not a date anyone should parse).
    if let Some(t) = &w.last_mdm_kickstart {
        d.insert("LastMDMKickstart".into(), s(t));
    }
    if let Some(t) = &w.last_software_update_daemon_kickstart {
        d.insert("LastSoftwareUpdateDaemonKickstart".into(), s(t));
    }
}

/// `[<target> ]ready`, `[<target> ]blocked: <check>: <detail>` (the first blocker) or
/// `[<target> ]unknown: <first reason>`: one line an extension attribute can show as is.
pub(crate) fn readiness_brief(v: &crate::report::KindVerdict) -> String {
    // Target first, as in the summary line: "15.2 blocked: ...".
    let mut out = match &v.target {
        Some(t) => format!("{t} {}", v.verdict),
        None => v.verdict.clone(),
    };
    if let Some(b) = v.blocked_by.first() {
        out.push_str(&format!(": {}: {}", b.check, b.detail));
    } else if v.verdict != "ready" {
        if let Some(u) = v.unknown.first() {
            out.push_str(&format!(": {u}"));
        }
    }
    out
}

/// JSON to plist: nulls are dropped (a plist has none), integers stay integers.
pub(crate) fn json_to_plist(v: &J) -> Option<P> {
    Some(match v {
        J::Null => return None,
        J::Bool(b) => P::Boolean(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => P::Integer(i.into()),
            (_, Some(u), _) => P::Integer(u.into()),
            (_, _, Some(f)) => P::Real(f),
            _ => return None,
        },
        J::String(s) => P::String(s.clone()),
        J::Array(a) => P::Array(a.iter().filter_map(json_to_plist).collect()),
        J::Object(o) => {
            let mut d = Dictionary::new();
            for (k, v) in o {
                if let Some(p) = json_to_plist(v) {
                    d.insert(k.clone(), p);
                }
            }
            P::Dictionary(d)
        }
    })
}

/// The flattened status document.
pub(crate) fn to_plist(report: &Report) -> Dictionary {
    let mut d = Dictionary::new();
    let s = |v: &str| P::String(v.to_string());
    d.insert(
        "StatusLayoutVersion".into(),
        P::Integer(PLIST_LAYOUT_VERSION.into()),
    );
    d.insert(
        "SchemaVersion".into(),
        P::Integer(u64::from(report.schema_version).into()),
    );
    d.insert("MdmwatchVersion".into(), s(&report.mdmwatch_version));
    d.insert("GeneratedAt".into(), s(&report.generated_at));
    d.insert("Mode".into(), s(&report.mode));
    d.insert("Source".into(), s(&report.source));
    watchdog_keys(&mut d, &report.watchdog);

    // The overall block, as in status.json's `overall`: Healthy is "true" only when every
    // applicable check was determined and none failed or warned; "unknown" when no problem was
    // found but some check could not be determined (a non-root run, a timed-out log), so a smart
    // group on Healthy never counts a Mac nobody could look at as fine.
    let overall = report.overall();
    d.insert("Healthy".into(), s(tri(overall.healthy)));
    d.insert(
        "ExitCode".into(),
        P::Integer(i64::from(overall.exit_code).into()),
    );
    d.insert(
        "ProblemCount".into(),
        P::Integer((overall.problem_count as u64).into()),
    );
    // One string: Jamf EAs and munkireport show it as is.
    d.insert("Problems".into(), s(&overall.problems.join(", ")));
    d.insert(
        "UnknownCount".into(),
        P::Integer((overall.unknown_count as u64).into()),
    );
    d.insert("Unknowns".into(), s(&overall.unknowns.join(", ")));
    d.insert(
        "NotApplicable".into(),
        s(&overall.not_applicable.join(", ")),
    );
    d.insert("Verdict".into(), s(&overall.verdict));
    d.insert("Root".into(), s(tri(Some(overall.root))));
    channel_keys(&mut d, report);

    let host = &report.host;
    for (key, value) in [
        ("OSVersion", &host.os_version),
        ("OSBuild", &host.os_build),
        ("OSVersionExtra", &host.os_version_extra),
        ("Model", &host.model),
        ("Architecture", &host.architecture),
    ] {
        if let Some(v) = value {
            d.insert(key.into(), s(v));
        }
    }

    for (id, f) in &report.checks {
        d.insert(format!("Check_{id}_Status"), s(f.status.as_str()));
        d.insert(format!("Check_{id}_Summary"), s(&f.summary));
    }
    // Readiness flat too, for extension attributes: per kind the verdict and the first reason.
    if let Some(r) = &report.readiness {
        d.insert("ReadinessSummary".into(), s(&r.summary));
        for (kind, v) in &r.kinds {
            d.insert(format!("Readiness_{kind}"), s(&readiness_brief(v)));
        }
    }

    let mut checks = Dictionary::new();
    for (id, f) in &report.checks {
        let mut c = Dictionary::new();
        c.insert("Status".into(), s(f.status.as_str()));
        c.insert("Summary".into(), s(&f.summary));
        if let Some(r) = &f.reason {
            c.insert("Reason".into(), s(r));
        }
        if let Some(r) = &f.remediation {
            c.insert("Remediation".into(), s(r));
        }
        if let Some(facts) = json_to_plist(&J::Object(f.facts.clone())) {
            c.insert("Facts".into(), facts);
        }
        checks.insert(id.clone(), P::Dictionary(c));
    }
    d.insert("Checks".into(), P::Dictionary(checks));

    // Sections other engineers add (readiness, heal) are carried generically from the JSON
    // contract, so status.plist follows status.json without this module knowing their shape.
    if let Ok(J::Object(full)) = serde_json::to_value(report) {
        for (json_key, plist_key) in [("readiness", "Readiness"), ("heal", "Heal")] {
            if let Some(p) = full.get(json_key).and_then(json_to_plist) {
                d.insert(plist_key.into(), p);
            }
        }
    }

    let mut config = Dictionary::new();
    let mut config_sources = Dictionary::new();
    for setting in &report.config.settings {
        if let Some(p) = json_to_plist(&setting.value) {
            config.insert(setting.key.clone(), p);
        }
        config_sources.insert(setting.key.clone(), s(&setting.source));
    }
    d.insert("Config".into(), P::Dictionary(config));
    d.insert("ConfigSources".into(), P::Dictionary(config_sources));
    let strings = |v: &[String]| P::Array(v.iter().map(|x| s(x)).collect());
    d.insert("ConfigWarnings".into(), strings(&report.config.warnings));
    d.insert("ConfigErrors".into(), strings(&report.config.errors));
    d.insert("Errors".into(), strings(&report.errors));
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plist_strings_are_xml_safe() {
        assert_eq!(
            xml_safe("plain <ok> & fine\ttab\nline"),
            "plain <ok> & fine\ttab\nline"
        );
        assert_eq!(xml_safe("\u{1b}[31mred"), "\\u001B[31mred");
        assert_eq!(
            xml_safe("a\u{1}b\u{7f}\u{85}\u{ffff}"),
            "a\\u0001b\\u007F\\u0085\\uFFFF"
        );
        // A whole document with control characters in values and keys parses back.
        let mut doc = P::Dictionary(Dictionary::from_iter([
            (
                "Stderr\u{1b}".to_string(),
                P::String("\u{1b}[0m probe said \u{1}".into()),
            ),
            (
                "Errors".to_string(),
                P::Array(vec![P::String("</string></dict><key>x</key>\u{0}".into())]),
            ),
        ]));
        xml_safe_value(&mut doc);
        let mut out = Vec::new();
        doc.to_writer_xml(&mut out).unwrap();
        assert!(out
            .iter()
            .all(|b| *b >= b' ' || matches!(b, b'\t' | b'\n' | b'\r')));
        let back: P = plist::from_bytes(&out).expect("valid XML plist");
        let d = back.as_dictionary().unwrap();
        assert_eq!(
            d.get("Stderr\\u001B").and_then(P::as_string),
            Some("\\u001B[0m probe said \\u0001")
        );
        assert_eq!(
            d.get("Errors").unwrap().as_array().unwrap()[0].as_string(),
            Some("</string></dict><key>x</key>\\u0000")
        );
    }

    #[test]
    fn json_to_plist_drops_nulls_and_keeps_types() {
        let cases: &[(J, Option<P>)] = &[
            (json!(null), None),
            (json!(true), Some(P::Boolean(true))),
            (json!(-3), Some(P::Integer((-3).into()))),
            (json!(u64::MAX), Some(P::Integer(u64::MAX.into()))),
            (json!(1.5), Some(P::Real(1.5))),
            (json!("x"), Some(P::String("x".into()))),
            (
                json!([1, null, "a"]),
                Some(P::Array(vec![P::Integer(1.into()), P::String("a".into())])),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(json_to_plist(input), *expected, "{input}");
        }
        let d = json_to_plist(&json!({"a": null, "b": {"c": 1}})).unwrap();
        let d = d.as_dictionary().unwrap();
        assert!(d.get("a").is_none());
        assert_eq!(
            d.get("b").unwrap().as_dictionary().unwrap().get("c"),
            Some(&P::Integer(1.into()))
        );
    }
}
