//! The device's own DDM software-update status, from the `Reporting status { ... }` blocks
//! softwareupdated / SoftwareUpdateSubscriber / remotemanagementd log (the processes seen logging
//! it in public logs, e.g. Macjutsu/super's `Example-Logs/`). The block is
//! an old-style plist; its end is found by brace depth (quoted strings may contain braces).
//!
//! Keys and enums follow Apple's schema (fixtures `ddm_schema__softwareupdate.*.yaml`):
//! `softwareupdate.install-state` is `none|downloading|prepared|installing|failed`, and Apple's
//! own prose (the same yaml's description; Apple, "Software update enforcement with
//! declarative device management") also uses `waiting`, accepted here;
//! `softwareupdate.pending-version` is `{os-version; build-version; target-local-date-time?}`;
//! `softwareupdate.failure-reason` is `{count; reason?; timestamp?}`. Keys are looked up at any
//! depth because the wrapper around the status items is not documented.

use plist::Value;

use super::nextstep::{self, pv};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallState {
    None,
    Waiting,
    Downloading,
    Prepared,
    Installing,
    Failed,
    Other(String),
}

impl InstallState {
    pub fn parse(s: &str) -> InstallState {
        match s.trim() {
            "none" => InstallState::None,
            "waiting" => InstallState::Waiting,
            "downloading" => InstallState::Downloading,
            "prepared" => InstallState::Prepared,
            "installing" => InstallState::Installing,
            "failed" => InstallState::Failed,
            other => InstallState::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            InstallState::None => "none",
            InstallState::Waiting => "waiting",
            InstallState::Downloading => "downloading",
            InstallState::Prepared => "prepared",
            InstallState::Installing => "installing",
            InstallState::Failed => "failed",
            InstallState::Other(s) => s,
        }
    }
}

/// `softwareupdate.failure-reason`, also the shape of `DDMPersistedErrorKey` in the
/// SoftwareUpdate preferences (SOURCES.md section 6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureReason {
    pub count: i64,
    pub reason: Option<String>,
    pub timestamp: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingVersion {
    pub os_version: String,
    pub build_version: String,
    pub target_local_date_time: Option<String>,
}

/// One parsed status block. Every item is optional: a report carries only what changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DdmStatus {
    pub install_state: Option<InstallState>,
    pub pending_version: Option<PendingVersion>,
    pub failure_reason: Option<FailureReason>,
    /// `softwareupdate.install-reason.reason` values.
    pub install_reason: Vec<String>,
    pub declaration_id: Option<String>,
}

impl DdmStatus {
    pub fn is_empty(&self) -> bool {
        self.install_state.is_none()
            && self.pending_version.is_none()
            && self.failure_reason.is_none()
            && self.install_reason.is_empty()
    }
}

/// The old-style block after `Reporting status` in a log message, as text.
pub fn block(text: &str) -> Option<&str> {
    let at = text.find("Reporting status")?;
    let open = at + text[at..].find('{')?;
    let end = nextstep::block_end(text, open)?;
    text.get(open..end)
}

pub fn failure_reason(v: &Value) -> Option<FailureReason> {
    let d = v.as_dictionary()?;
    Some(FailureReason {
        count: pv::int(d.get("count")).unwrap_or(0),
        reason: pv::string(d.get("reason")),
        timestamp: pv::string(d.get("timestamp")),
    })
}

/// Parses one log message holding a `Reporting status { ... }` block.
pub fn parse(text: &str) -> Result<DdmStatus, String> {
    let b = block(text).ok_or("no complete 'Reporting status { ... }' block")?;
    let v = nextstep::parse(b)?;
    let mut st = DdmStatus::default();
    if let Some(s) = pv::string(nextstep::find(&v, "softwareupdate.install-state")) {
        st.install_state = Some(InstallState::parse(&s));
    }
    if let Some(p) =
        nextstep::find(&v, "softwareupdate.pending-version").and_then(Value::as_dictionary)
    {
        let s = |k: &str| pv::string(p.get(k));
        st.pending_version = Some(PendingVersion {
            os_version: s("os-version").unwrap_or_default(),
            build_version: s("build-version").unwrap_or_default(),
            target_local_date_time: s("target-local-date-time"),
        });
    }
    if let Some(f) = nextstep::find(&v, "softwareupdate.failure-reason") {
        st.failure_reason = failure_reason(f);
    }
    if let Some(r) =
        nextstep::find(&v, "softwareupdate.install-reason").and_then(Value::as_dictionary)
    {
        match r.get("reason") {
            Some(Value::Array(a)) => {
                st.install_reason = a.iter().filter_map(|x| pv::string(Some(x))).collect()
            }
            scalar => st.install_reason = pv::string(scalar).into_iter().collect(),
        }
        st.declaration_id = pv::string(r.get("declaration-id"));
    }
    if st.is_empty() {
        return Err("the status block has no softwareupdate.* item".into());
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Constructed from Apple's schema (apple/device-management, the `ddm_schema__*.yaml`
    // fixtures; no verbatim block is public): a log message with text before and after the block,
    // braces inside a quoted reason.
    const FAILED: &str = r#"Reporting status {
    "softwareupdate.failure-reason" =     {
        count = 2;
        reason = "Install failed {code 75}: not enough space";
        timestamp = "2026-11-19T03:00:12Z";
    };
    "softwareupdate.install-reason" =     {
        reason =         (
            declaration
        );
        "declaration-id" = "com.example.enforce.15.2";
    };
    "softwareupdate.install-state" = failed;
    "softwareupdate.pending-version" =     {
        "build-version" = 24C101;
        "os-version" = "15.2";
        "target-local-date-time" = "2026-11-18T17:00:00";
    };
} to server"#;

    #[test]
    fn failed_block() {
        let st = parse(FAILED).unwrap();
        assert_eq!(st.install_state, Some(InstallState::Failed));
        let p = st.pending_version.unwrap();
        assert_eq!(
            (p.os_version.as_str(), p.build_version.as_str()),
            ("15.2", "24C101")
        );
        assert_eq!(
            p.target_local_date_time.as_deref(),
            Some("2026-11-18T17:00:00")
        );
        let f = st.failure_reason.unwrap();
        assert_eq!(f.count, 2);
        assert_eq!(
            f.reason.as_deref(),
            Some("Install failed {code 75}: not enough space")
        );
        assert_eq!(st.install_reason, vec!["declaration"]);
        assert_eq!(
            st.declaration_id.as_deref(),
            Some("com.example.enforce.15.2")
        );
    }

    #[test]
    fn every_schema_state_and_waiting() {
        for s in [
            "none",
            "waiting",
            "downloading",
            "prepared",
            "installing",
            "failed",
        ] {
            let text = format!("Reporting status {{ \"softwareupdate.install-state\" = {s}; }}");
            let st = parse(&text).unwrap();
            assert_eq!(st.install_state.as_ref().map(InstallState::as_str), Some(s));
            assert!(!matches!(st.install_state, Some(InstallState::Other(_))));
        }
    }

    #[test]
    fn nested_wrapper_and_cut_blocks() {
        let st = parse(r#"Reporting status { StatusItems = { "softwareupdate.install-state" = installing; }; }"#).unwrap();
        assert_eq!(st.install_state, Some(InstallState::Installing));
        assert!(parse("Reporting status { \"softwareupdate.install-state\" = install").is_err());
        assert!(parse("Reporting status { other = 1; }").is_err());
        assert!(parse("no block here").is_err());
    }
}
