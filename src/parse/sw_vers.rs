//! `sw_vers`: ProductName, ProductVersion, ProductVersionExtra (Rapid Security Response), BuildVersion.
//!
//! The separator is a colon followed by one or two tabs depending on the version (fixture
//! `sw_vers__macos15.7.2_24G325__single_tab_as_quoted.txt`), so lines are split on the first
//! colon and trimmed. `ProductVersionExtra: (a)` appears only with a Rapid Security Response, and
//! then `BuildVersion` carries the long RSR suffix (fixture `sw_vers__RSR_13.3.1_a_22E772610a`).
//! Unknown lines (a runner's `uname -m` appended, fixture `sw_vers_plus_uname_m`) are ignored.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwVers {
    pub product_name: Option<String>,
    pub product_version: String,
    /// "(a)" with a Rapid Security Response installed.
    pub product_version_extra: Option<String>,
    pub build_version: String,
}

impl SwVers {
    /// "13.3.1 (a)" with an RSR, else "13.3.1".
    pub fn full_version(&self) -> String {
        match &self.product_version_extra {
            Some(x) if !x.is_empty() => format!("{} {}", self.product_version, x),
            _ => self.product_version.clone(),
        }
    }

    /// The RSR letter ("a") when one is installed.
    pub(crate) fn rsr_letter(&self) -> Option<String> {
        let x = self.product_version_extra.as_deref()?;
        let l = x
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim();
        (!l.is_empty()).then(|| l.to_string())
    }
}

pub fn parse(text: &str) -> Result<SwVers, String> {
    let mut v = SwVers::default();
    for line in text.lines() {
        let Some((k, val)) = line.split_once(':') else {
            continue;
        };
        let val = val.trim().to_string();
        match k.trim() {
            "ProductName" => v.product_name = Some(val),
            "ProductVersion" => v.product_version = val,
            "ProductVersionExtra" if !val.is_empty() => v.product_version_extra = Some(val),
            "BuildVersion" => v.build_version = val,
            _ => {}
        }
    }
    if v.product_version.is_empty() {
        return Err("no ProductVersion line".into());
    }
    // These values are printed as "the OS version" and compared as versions: text that is not one
    // (a 4 MB line in a forged capture) is refused rather than shown as this Mac's macOS.
    if !is_version(&v.product_version) {
        return Err(format!(
            "ProductVersion {:?} is not a version (digits and dots)",
            super::clip_marked(&v.product_version, 40)
        ));
    }
    if !v.build_version.is_empty() && !is_token(&v.build_version, 32) {
        return Err(format!(
            "BuildVersion {:?} is not a build number",
            super::clip_marked(&v.build_version, 40)
        ));
    }
    if v.product_version_extra
        .as_deref()
        .is_some_and(|x| !is_extra(x))
    {
        v.product_version_extra = None;
    }
    if v.product_name
        .as_deref()
        .is_some_and(|n| n.chars().count() > 64)
    {
        v.product_name = None;
    }
    Ok(v)
}

/// "15", "15.2", "13.3.1": one to four numeric parts, at most 32 characters.
fn is_version(s: &str) -> bool {
    s.len() <= 32
        && s.split('.').count() <= 4
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_token(s: &str, max: usize) -> bool {
    s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A Rapid Security Response marker: "(a)", "(b)".
fn is_extra(s: &str) -> bool {
    s.len() <= 8
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'(' || b == b')')
}

/// A dotted version as numbers ("15.2" -> [15, 2]); non-numeric parts end it. Empty when the text
/// has no leading number.
pub(crate) fn version_parts(v: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in v.trim().split('.') {
        let digits: String = part.chars().take_while(|c| c.is_ascii_digit()).collect();
        match digits.parse::<u32>() {
            Ok(n) => out.push(n),
            Err(_) => break,
        }
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

/// Compares dotted versions numerically, missing parts counting as 0 ("15" == "15.0").
pub(crate) fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let (x, y) = (version_parts(a), version_parts(b));
    let n = x.len().max(y.len());
    for i in 0..n {
        let (p, q) = (
            x.get(i).copied().unwrap_or(0),
            y.get(i).copied().unwrap_or(0),
        );
        match p.cmp(&q) {
            std::cmp::Ordering::Equal => {}
            o => return o,
        }
    }
    std::cmp::Ordering::Equal
}

/// Orders two builds of one train (`25D2128` < `25D771280a`, the BSI; `24B83` < `24B2091`, a
/// device-scoped build): major number, train letter, build number, then the patch letter. `None`
/// when either is not of that shape (compare by equality then).
pub(crate) fn compare_builds(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    fn key(s: &str) -> Option<(u32, char, u64, String)> {
        let major_end = s.find(|c: char| !c.is_ascii_digit())?;
        let major = s[..major_end].parse().ok()?;
        let mut rest = s[major_end..].chars();
        let train = rest.next().filter(char::is_ascii_uppercase)?;
        let rest = rest.as_str();
        let num_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number = rest[..num_end].parse().ok()?;
        let suffix = &rest[num_end..];
        suffix
            .chars()
            .all(|c| c.is_ascii_lowercase())
            .then(|| (major, train, number, suffix.to_string()))
    }
    Some(key(a)?.cmp(&key(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_order_within_a_train() {
        use std::cmp::Ordering::*;
        for (a, b, want) in [
            ("25D2128", "25D771280a", Some(Less)),
            ("22E772610a", "22E261", Some(Greater)),
            ("24B83", "24B2091", Some(Less)),
            ("26B84", "26B84", Some(Equal)),
            ("25D125", "25E246", Some(Less)),
            ("garbage", "25E246", None),
            ("25e246", "25E246", None),
        ] {
            assert_eq!(compare_builds(a, b), want, "{a} {b}");
        }
    }
    use std::cmp::Ordering;

    use crate::test_support::sample_text as sample;

    #[test]
    fn text_that_is_not_a_version_is_refused_and_clipped() {
        let huge = "9".repeat(10) + &"x".repeat(4 * 1024 * 1024);
        let e = parse(&format!("ProductVersion:\t{huge}\nBuildVersion:\t24B83\n")).unwrap_err();
        assert!(
            e.len() < 200 && e.contains("[clipped"),
            "{}",
            &e[..e.len().min(300)]
        );
        for bad in ["15..1", "15.1 beta", "1.2.3.4.5", "", "ver"] {
            assert!(
                parse(&format!("ProductVersion: {bad}\n")).is_err(),
                "{bad:?}"
            );
        }
        assert!(parse("ProductVersion: 15.1\nBuildVersion: 24B83; rm\n").is_err());
        let v =
            parse("ProductVersion: 15.1\nProductVersionExtra: (a)\nBuildVersion: 24B83\n").unwrap();
        assert_eq!(v.full_version(), "15.1 (a)");
    }

    #[test]
    fn every_real_sample() {
        let cases = [
            ("sw_vers__macos13.2.1_22D68.txt", "13.2.1", "22D68", None),
            ("sw_vers__macos14.0_23A344.txt", "14.0", "23A344", None),
            (
                "sw_vers__macos14.1.1_23B2082.txt",
                "14.1.1",
                "23B2082",
                None,
            ),
            (
                "sw_vers__macos15.7.2_24G325__single_tab_as_quoted.txt",
                "15.7.2",
                "24G325",
                None,
            ),
            ("sw_vers__macos26.3_25D125.txt", "26.3", "25D125", None),
            (
                "sw_vers_plus_uname_m__github_runner_macos26.6.2_25G83.txt",
                "26.6.2",
                "25G83",
                None,
            ),
            (
                "sw_vers__RSR_13.3.1_a_22E772610a__intel.txt",
                "13.3.1",
                "22E772610a",
                Some("(a)"),
            ),
        ];
        for (file, ver, build, extra) in cases {
            let v = parse(&sample(file)).unwrap();
            assert_eq!(v.product_name.as_deref(), Some("macOS"), "{file}");
            assert_eq!(v.product_version, ver, "{file}");
            assert_eq!(v.build_version, build, "{file}");
            assert_eq!(v.product_version_extra.as_deref(), extra, "{file}");
        }
        let rsr = parse(&sample("sw_vers__RSR_13.3.1_a_22E772610a__intel.txt")).unwrap();
        assert_eq!(rsr.full_version(), "13.3.1 (a)");
        assert_eq!(rsr.rsr_letter().as_deref(), Some("a"));
    }

    #[test]
    fn rejects_output_without_version() {
        assert!(parse("").is_err());
        assert!(parse("sw_vers: command not found").is_err());
    }

    #[test]
    fn compares_versions_numerically() {
        assert_eq!(compare_versions("15.10", "15.9"), Ordering::Greater);
        assert_eq!(compare_versions("15", "15.0"), Ordering::Equal);
        assert_eq!(compare_versions("14.7.1", "15.0"), Ordering::Less);
        assert_eq!(version_parts("13.3.1 (a)"), vec![13, 3, 1]);
    }
}
