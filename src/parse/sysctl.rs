//! `sysctl -n hw.model` and `sysctl -n hw.optional.arm64`.
//!
//! On Apple silicon `hw.optional.arm64` prints `1` (also under Rosetta, which is why it is used
//! rather than `uname -m`). On Intel Macs the OID does not exist: sysctl exits 1 with
//! `sysctl: unknown oid 'hw.optional.arm64'` on stderr (fixtures
//! `sysctl_hw.optional.arm64__intel__stderr_exit1.txt`, `flutter_verbose__...intel_exit1.txt`):
//! that is the Intel answer, not a failure. Some Intel releases define it as `0`.

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

    pub fn label(self) -> &'static str {
        match self {
            Arch::AppleSilicon => "Apple silicon",
            Arch::Intel => "Intel",
        }
    }
}

/// True when sysctl's complaint is the missing OID that means "Intel".
pub fn is_unknown_oid(stderr: &str) -> bool {
    stderr.contains("unknown oid") && stderr.contains("hw.optional.arm64")
}

pub fn arch(r: &ProbeResult) -> Fact<Arch> {
    if r.available && !r.timed_out && r.exit_status.is_some_and(|c| c != 0) {
        let err = r.stderr_text();
        let out =
            String::from_utf8_lossy(&r.stdout.read_capped(4096).unwrap_or_default()).into_owned();
        if is_unknown_oid(&err) || is_unknown_oid(&out) {
            return Ok(Arch::Intel);
        }
    }
    let text = super::output_text(r, 4096)?;
    parse_arm64(&text).map_err(|e| Unknown::unparseable(&r.id, e))
}

/// The stdout of `sysctl -n hw.optional.arm64` (or `sysctl hw.optional.arm64`).
pub fn parse_arm64(text: &str) -> Result<Arch, String> {
    let t = text.trim();
    let v = t.rsplit(':').next().unwrap_or(t).trim();
    match v {
        "1" => Ok(Arch::AppleSilicon),
        "0" => Ok(Arch::Intel),
        other => Err(format!("unexpected {:?}", super::first_line(other, 80))),
    }
}

pub fn model(r: &ProbeResult) -> Fact<String> {
    let text = super::output_text(r, 4096)?;
    parse_model(&text).map_err(|e| Unknown::unparseable(&r.id, e))
}

/// `Mac14,7`, `MacBookPro18,2`, `VirtualMac2,1`; accepts `hw.model: X` too.
pub fn parse_model(text: &str) -> Result<String, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or("printed nothing")?;
    let v = line.strip_prefix("hw.model:").unwrap_or(line).trim();
    // Model identifiers are letters, digits and one comma (`MacBookPro18,2`); anything else is
    // not sysctl's answer (fault matrix: hw_model x RandomBinary).
    let well_formed = !v.is_empty()
        && v.len() <= 64
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == ',')
        && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !well_formed {
        return Err(format!("unexpected {:?}", super::first_line(v, 80)));
    }
    Ok(v.to_string())
}

/// Portable by model name, where the name says so (Intel identifiers do; Apple silicon
/// `MacNN,N` identifiers do not, so `None`).
pub fn portable_from_model(model: &str) -> Option<bool> {
    if model.starts_with("MacBook") {
        Some(true)
    } else if ["iMac", "Macmini", "MacPro", "VirtualMac", "Xserve"]
        .iter()
        .any(|p| model.starts_with(p))
    {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Payload;

    use crate::test_support::sample_text as sample;

    fn result(stdout: &str, stderr: &str, exit: i32) -> ProbeResult {
        ProbeResult {
            id: "hw_arm64".into(),
            available: true,
            exit_status: Some(exit),
            stdout: Payload::Memory(stdout.as_bytes().to_vec()),
            stderr: stderr.as_bytes().to_vec(),
            ..ProbeResult::default()
        }
    }

    #[test]
    fn intel_unknown_oid_is_intel() {
        let err = sample("sysctl_hw.optional.arm64__intel__stderr_exit1.txt");
        assert_eq!(arch(&result("", &err, 1)), Ok(Arch::Intel));
        let flutter = sample("flutter_verbose__sysctl_hw.optional.arm64__intel_exit1.txt");
        assert!(is_unknown_oid(&flutter));
    }

    #[test]
    fn apple_silicon_and_failures() {
        assert_eq!(arch(&result("1\n", "", 0)), Ok(Arch::AppleSilicon));
        assert_eq!(arch(&result("0\n", "", 0)), Ok(Arch::Intel));
        assert!(arch(&result("", "sysctl: permission denied", 1)).is_err());
        assert!(arch(&result("banana", "", 0)).is_err());
        // `sysctl hw.optional.arm64` (no -n) form from the Mac14,7 sample.
        let cap = sample("sysctl_host_capability__Mac14,7_M2.txt");
        let line = cap
            .lines()
            .find(|l| l.starts_with("hw.optional.arm64"))
            .unwrap();
        assert_eq!(parse_arm64(line), Ok(Arch::AppleSilicon));
    }

    #[test]
    fn models() {
        for (file, want) in [
            ("sysctl_host_capability__Mac14,7_M2.txt", "Mac14,7"),
            (
                "sysctl__VirtualMac2,1__github_runner_macos26.6.2.txt",
                "VirtualMac2,1",
            ),
        ] {
            let text = sample(file);
            let line = text.lines().find(|l| l.starts_with("hw.model")).unwrap();
            assert_eq!(parse_model(line).unwrap(), want);
        }
        assert_eq!(parse_model("MacBookPro18,2\n").unwrap(), "MacBookPro18,2");
        assert!(parse_model("").is_err());
        assert_eq!(portable_from_model("MacBookAir10,1"), Some(true));
        assert_eq!(portable_from_model("Macmini9,1"), Some(false));
        assert_eq!(portable_from_model("Mac14,7"), None);
    }
}
