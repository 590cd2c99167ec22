//! `profiles status -type bootstraptoken`.
//! STUB: owned by the readiness work (issue 4).

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootstrapToken {
    pub supported_on_server: Option<bool>,
    pub escrowed: Option<bool>,
    pub lines: Vec<String>,
}

pub fn parse(_text: &str) -> Result<BootstrapToken, String> {
    Err("not implemented".into())
}
