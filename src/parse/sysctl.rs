//! `sysctl -n hw.model` and `sysctl -n hw.optional.arm64`.
//! STUB: owned by the readiness work (issue 4).

use super::{Fact, Unknown};
use crate::system::ProbeResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    AppleSilicon,
    Intel,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::AppleSilicon => "arm64",
            Arch::Intel => "x86_64",
        }
    }
}

pub fn arch(r: &ProbeResult) -> Fact<Arch> {
    let text = super::output_text(r, 4096)?;
    match text.trim() {
        "1" => Ok(Arch::AppleSilicon),
        "0" => Ok(Arch::Intel),
        other => Err(Unknown::unparseable(&r.id, format!("unexpected {other:?}"))),
    }
}

pub fn model(r: &ProbeResult) -> Fact<String> {
    let text = super::output_text(r, 4096)?;
    Ok(text.trim().to_string())
}
