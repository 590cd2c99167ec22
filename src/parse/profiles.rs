//! `profiles status -type enrollment` and `profiles -L -o stdout-xml` (the MDM payload).
//! STUB: owned by the MDM-health work.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrollment {
    /// "Enrolled via DEP: Yes|No".
    pub dep: Option<bool>,
    pub mdm_enrolled: bool,
    pub user_approved: bool,
    /// "MDM server: <url>" (newer macOS).
    pub server: Option<String>,
    /// The lines as printed, for evidence.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdmProfile {
    pub profile_identifier: Option<String>,
    pub install_date: Option<String>,
    pub server_url: Option<String>,
    pub check_in_url: Option<String>,
    pub topic: Option<String>,
    pub identity_certificate_uuid: Option<String>,
    /// Common name of the identity the IdentityCertificateUUID payload requests (SCEP/ACME subject CN).
    pub identity_common_name: Option<String>,
    pub server_capabilities: Vec<String>,
}

pub fn parse_enrollment(_text: &str) -> Result<Enrollment, String> {
    Err("not implemented".into())
}

/// `Ok(None)`: the XML parsed and holds no com.apple.mdm payload.
pub fn parse_mdm_profile(_bytes: &[u8]) -> Result<Option<MdmProfile>, String> {
    Err("not implemented".into())
}
