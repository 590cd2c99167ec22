//! PEM certificates from `security find-certificate -a -p`: subject, issuer, validity.
//! STUB: owned by the MDM-health work.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub serial: String,
}

pub fn parse_pem_bundle(_bytes: &[u8]) -> Result<Vec<CertInfo>, String> {
    Err("not implemented".into())
}
