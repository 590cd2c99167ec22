//! `/var/db/softwareupdate/SoftwareUpdateDDMStatePersistence.plist`: the MDM's software-update
//! declarations as softwareupdated persisted them (SupportCompanion reads the same file).
//!
//! Shape (fixtures `SoftwareUpdateDDMStatePersistence__*`, XML on 26.2 and `defaults read` text on
//! 14.2): `SUCorePersistedStatePolicyFields.Declarations.<key>.{TargetOSVersion,
//! TargetBuildVersion, TargetLocalDateTime, DetailsURL}` and
//! `SUCorePersistedStatePolicyFields.SUCoreDDMDeclarationGlobalSettings.*`. No real file with a
//! declaration is public (SOURCES.md section 6): the declaration keys are Apple's enforcement
//! schema (`ddm_schema__softwareupdate.enforcement.specific`). `TargetLocalDateTime` is
//! `yyyy-mm-ddThh:mm:ss` in the device's local time, without a zone.

use chrono::NaiveDateTime;

use super::nextstep::{self, pv};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declaration {
    pub key: String,
    pub target_os_version: Option<String>,
    pub target_build_version: Option<String>,
    /// As written.
    pub target_local_date_time_raw: Option<String>,
    pub target_local_date_time: Option<NaiveDateTime>,
    pub details_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DdmState {
    pub declarations: Vec<Declaration>,
    /// `SUCoreDDMDeclarationGlobalSettings` scalars (`automaticallyInstallOSUpdates` = "1", ...).
    pub global_settings: Vec<(String, String)>,
    /// False when the file has no `SUCorePersistedStatePolicyFields` at all.
    pub has_policy_fields: bool,
}

pub(crate) fn parse_local_date_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()
}

pub fn parse(bytes: &[u8]) -> Result<DdmState, String> {
    let v = nextstep::load_any_plist(bytes)?;
    if v.as_dictionary().is_none() {
        return Err("the plist is not a dictionary".into());
    }
    let mut st = DdmState::default();
    let Some(policy) = pv::path(&v, &["SUCorePersistedStatePolicyFields"]) else {
        return Ok(st);
    };
    st.has_policy_fields = true;
    if let Some(decls) = pv::path(policy, &["Declarations"]).and_then(|d| d.as_dictionary()) {
        for (key, d) in decls {
            let s = |k: &str| pv::string(pv::path(d, &[k])).filter(|s| !s.is_empty());
            let raw = s("TargetLocalDateTime");
            st.declarations.push(Declaration {
                key: key.clone(),
                target_os_version: s("TargetOSVersion"),
                target_build_version: s("TargetBuildVersion"),
                target_local_date_time: raw.as_deref().and_then(parse_local_date_time),
                target_local_date_time_raw: raw,
                details_url: s("DetailsURL"),
            });
        }
    }
    if let Some(g) =
        pv::path(policy, &["SUCoreDDMDeclarationGlobalSettings"]).and_then(|d| d.as_dictionary())
    {
        for (k, val) in g {
            if let Some(s) = pv::string(Some(val)) {
                st.global_settings.push((k.clone(), s));
            }
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::sample;

    #[test]
    fn global_settings_xml_fixture() {
        let st = parse(&sample(
            "SoftwareUpdateDDMStatePersistence__global_settings__macos26.2.plist",
        ))
        .unwrap();
        assert!(st.has_policy_fields);
        assert!(st.declarations.is_empty());
        let get = |k: &str| {
            st.global_settings
                .iter()
                .find(|(x, _)| x == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("automaticallyInstallOSUpdates"), Some("1"));
        assert_eq!(get("enableRapidSecurityResponse"), Some("true"));
    }

    #[test]
    fn no_update_defaults_read_fixture() {
        let st = parse(&sample(
            "SoftwareUpdateDDMStatePersistence__no_update_available__defaults_read__macos14.2.txt",
        ))
        .unwrap();
        assert!(st.has_policy_fields);
        assert!(st.declarations.is_empty());
    }

    /// Constructed: the 14.2 fixture's shape with one declaration in Apple's enforcement keys,
    /// as XML and as binary.
    #[test]
    fn constructed_declaration_xml_and_binary() {
        let xml = include_str!("../../tests/fixtures/readiness/ddm_state_declaration_15.2.plist");
        let st = parse(xml.as_bytes()).unwrap();
        assert_eq!(st.declarations.len(), 1);
        let d = &st.declarations[0];
        assert_eq!(d.target_os_version.as_deref(), Some("15.2"));
        assert_eq!(d.target_build_version.as_deref(), Some("24C101"));
        assert_eq!(
            d.target_local_date_time.map(|t| t.to_string()).as_deref(),
            Some("2026-11-18 17:00:00")
        );
        let v = plist::Value::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
        let mut bin = Vec::new();
        v.to_writer_binary(&mut bin).unwrap();
        assert_eq!(parse(&bin).unwrap(), st);
        assert!(parse(b"").is_err());
        assert!(parse(b"<?xml version=\"1.0\"?><plist><array/></plist>").is_err());
    }
}
