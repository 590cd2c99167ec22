//! `seedutil current` (Seeding.framework): the Mac's beta/seed program enrollment.
//!
//! Real output (fioneragh.github.io, 2018-06-27, macOS 10.14; fixture
//! `seedutil_current__public_seed__macos10.14.txt`): `Currently enrolled in: PublicSeed`, then
//! `Program: 3`, `Build is seed: YES`, `CatalogURL: …`, `NSShowFeedbackMenu`, `DisableSeedOptOut`.
//! Admins' extension attributes read the first line and treat `Currently enrolled in: (null)` as
//! "not enrolled in a beta channel". The 26 and 27 output is not published: the parser keys on
//! those `Key: value` lines only, and output without the enrollment line is an error (unknown),
//! never "not enrolled".

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedEnrollment {
    /// The program name (`PublicSeed`, `DeveloperSeed`, `CustomerSeed`); `None` for `(null)`.
    pub program: Option<String>,
    /// `Build is seed`: the running build is itself a beta.
    pub build_is_seed: Option<bool>,
    pub catalog_url: Option<String>,
    /// The enrollment line as printed (evidence).
    pub line: String,
}

impl SeedEnrollment {
    pub fn enrolled(&self) -> bool {
        self.program.is_some()
    }
}

fn value(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v != "(null)").then(|| v.to_string())
}

pub fn parse(text: &str) -> Result<SeedEnrollment, String> {
    let mut s = SeedEnrollment::default();
    let mut seen = false;
    for line in text.lines().map(str::trim) {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k.trim() {
            "Currently enrolled in" => {
                seen = true;
                s.program = value(v);
                s.line = line.chars().take(200).collect();
            }
            "Build is seed" => {
                s.build_is_seed = match v.trim() {
                    "YES" => Some(true),
                    "NO" => Some(false),
                    _ => None,
                }
            }
            "CatalogURL" => s.catalog_url = value(v),
            _ => {}
        }
    }
    if !seen {
        return Err("no 'Currently enrolled in:' line".into());
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_public_seed_output() {
        let s = parse(include_str!(
            "../../tests/fixtures/samples/seedutil_current__public_seed__macos10.14.txt"
        ))
        .unwrap();
        assert!(s.enrolled());
        assert_eq!(s.program.as_deref(), Some("PublicSeed"));
        assert_eq!(s.build_is_seed, Some(true));
        assert!(s.catalog_url.unwrap().contains("10.14beta"));
    }

    #[test]
    fn null_is_not_enrolled_and_garbage_is_unknown() {
        let s = parse(
            "Currently enrolled in: (null)\n\nProgram: 0\nBuild is seed: NO\nCatalogURL: (null)\n",
        )
        .unwrap();
        assert!(!s.enrolled());
        assert_eq!(s.catalog_url, None);
        assert!(parse("").is_err());
        assert!(parse("seedutil: must be run as root\n").is_err());
    }

    #[test]
    fn never_panics() {
        for t in [
            "Currently enrolled in:",
            ":::",
            "Currently enrolled in: \u{0}\u{ffff}",
            "Build is seed",
        ] {
            let _ = parse(t);
        }
    }
}
