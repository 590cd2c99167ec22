//! `softwareupdate --list --no-scan`: the updates Software Update already found (no network
//! scan), with their download sizes.
//!
//! Shapes (tests/fixtures/samples, kolide/launcher `ee/tables/execparsers/softwareupdate/test-data`):
//! `* Label: <label>` then an indented `Title: <t>, Version: <v>, Size: <n>KiB, Recommended: YES,
//! Action: restart,` (a tab on a Mac; sizes `K` on Monterey and older for macOS items, `KiB`
//! otherwise; a trailing space after the last comma on some versions); the OS X 10.9 form
//! `   * <label>` then `\t<title> (<version>), <n>K [recommended]`. `No new software available.`
//! goes to stderr (stdout then holds only the banner); `Scan finished with error: ...` reports a
//! failed scan; NSLog lines (`2024-09-09 11:07:46.969 softwareupdate[...] XType: ...`) can be
//! interleaved and are ignored. Sizes are KiB (1024 bytes), as `softwareupdate` prints them.

/// The listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareUpdateList {
    pub items: Vec<ListedUpdate>,
    /// `Scan finished with error: ...`, when printed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedUpdate {
    pub label: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub size_bytes: Option<u64>,
    pub recommended: Option<bool>,
    /// `Action: restart`.
    pub restart: bool,
}

impl ListedUpdate {
    /// A macOS update or upgrade (not Safari, Command Line Tools, ...).
    pub fn is_macos(&self) -> bool {
        let t = self.title.as_deref().unwrap_or(&self.label);
        t.starts_with("macOS ") || self.label.starts_with("macOS ")
    }
}

const NONE_AVAILABLE: &str = "No new software available";
const SCAN_ERROR: &str = "Scan finished with error:";

/// `1765616K`, `868648KiB` (also `M`/`MiB`, `G`/`GiB`) as bytes.
pub fn size_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().ok()?;
    let unit = s[digits.len()..].trim();
    let mult: u64 = match unit {
        "K" | "KiB" | "KB" => 1024,
        "M" | "MiB" | "MB" => 1024 * 1024,
        "G" | "GiB" | "GB" => 1024 * 1024 * 1024,
        "" | "B" => 1,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// `Title: a, Version: b, Size: c, Recommended: YES, Action: restart,` into the item.
fn fields(item: &mut ListedUpdate, line: &str) {
    const KEYS: [&str; 5] = ["Title", "Version", "Size", "Recommended", "Action"];
    let mut current: Option<(&str, String)> = None;
    let mut done: Vec<(&str, String)> = Vec::new();
    for part in line.split(',') {
        let p = part.trim();
        match p.split_once(": ") {
            Some((k, v)) if KEYS.contains(&k) => {
                done.extend(current.take());
                current = Some((
                    KEYS[KEYS.iter().position(|x| *x == k).unwrap_or(0)],
                    v.into(),
                ));
            }
            // A comma inside a value (a title): keep it with that value.
            _ => {
                if let Some((_, v)) = current.as_mut() {
                    if !p.is_empty() {
                        v.push_str(", ");
                        v.push_str(p);
                    }
                }
            }
        }
    }
    done.extend(current);
    for (k, v) in done {
        match k {
            "Title" => item.title = Some(v),
            "Version" => item.version = Some(v),
            "Size" => item.size_bytes = size_bytes(&v),
            "Recommended" => item.recommended = Some(v.eq_ignore_ascii_case("YES")),
            "Action" => item.restart = v.eq_ignore_ascii_case("restart"),
            _ => {}
        }
    }
}

/// The OS X 10.9 line: `<title> (<version>), <n>K [recommended]`.
fn old_fields(item: &mut ListedUpdate, line: &str) {
    let (head, tail) = line.rsplit_once(", ").unwrap_or((line, ""));
    if let (Some(open), true) = (head.rfind(" ("), head.ends_with(')')) {
        item.title = Some(head[..open].to_string());
        item.version = Some(head[open + 2..head.len() - 1].to_string());
    } else {
        item.title = Some(head.to_string());
    }
    let size = tail.split_whitespace().next().unwrap_or("");
    item.size_bytes = size_bytes(size);
    item.recommended = Some(tail.contains("[recommended]"));
    item.restart = tail.contains("[restart]");
}

/// Parses stdout (and stderr, where `No new software available.` goes).
pub fn parse(stdout: &str, stderr: &str) -> Result<SoftwareUpdateList, String> {
    let mut out = SoftwareUpdateList::default();
    let mut none = stderr.contains(NONE_AVAILABLE);
    let mut banner = false;
    for raw in stdout.lines() {
        let line = raw.trim();
        if line.starts_with("Software Update Tool") || line.starts_with("Finding available") {
            banner = true;
        } else if line.contains(NONE_AVAILABLE) {
            none = true;
        } else if let Some(e) = line.strip_prefix(SCAN_ERROR) {
            out.error = Some(e.trim().chars().take(500).collect());
        } else if let Some(label) = line.strip_prefix("* Label: ") {
            out.items.push(ListedUpdate {
                label: label.to_string(),
                ..ListedUpdate::default()
            });
        } else if let Some(label) = line.strip_prefix("* ") {
            out.items.push(ListedUpdate {
                label: label.to_string(),
                ..ListedUpdate::default()
            });
        } else if line.starts_with("Title: ") {
            if let Some(item) = out.items.last_mut() {
                fields(item, line);
            }
        } else if raw.starts_with('\t') && !line.is_empty() {
            // The old form's detail line follows its label.
            if let Some(item) = out.items.last_mut().filter(|i| i.title.is_none()) {
                old_fields(item, line);
            }
        }
    }
    if out.items.is_empty() && out.error.is_none() && !none {
        return Err(if banner {
            "neither an update listing nor \"No new software available.\"".into()
        } else {
            "not softwareupdate --list output".into()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample;

    fn listed(name: &str) -> SoftwareUpdateList {
        parse(&String::from_utf8(sample(name)).unwrap(), "").unwrap()
    }

    #[test]
    fn sonoma_host_with_sequoia_offer() {
        let l = listed("softwareupdate_list__sonoma_host_with_sequoia_offer__4space_indent.txt");
        assert_eq!(l.items.len(), 4);
        let seq = &l.items[3];
        assert_eq!(seq.label, "macOS Sequoia 15.2-24C101");
        assert_eq!(seq.title.as_deref(), Some("macOS Sequoia 15.2"));
        assert_eq!(seq.version.as_deref(), Some("15.2"));
        assert_eq!(seq.size_bytes, Some(7_300_295 * 1024));
        assert!(seq.restart && seq.is_macos());
        assert!(!l.items[0].restart && !l.items[0].is_macos(), "Safari");
    }

    #[test]
    fn monterey_k_sizes_and_nslog_noise() {
        let l = listed(
            "softwareupdate_list__monterey_host_with_NSLog_noise_and_K_sizes__2024-09-09.txt",
        );
        let v: Vec<(&str, Option<u64>)> = l
            .items
            .iter()
            .map(|i| (i.version.as_deref().unwrap(), i.size_bytes))
            .collect();
        assert_eq!(
            v,
            [
                ("17.6", Some(152_370 * 1024)),
                ("12.7.6", Some(1_765_616 * 1024)),
                ("14.6.1", Some(6_327_722 * 1024))
            ]
        );
    }

    #[test]
    fn mavericks_old_format() {
        let l = listed("softwareupdate_list__old_format_mavericks__comment.txt");
        assert_eq!(l.items.len(), 1);
        let i = &l.items[0];
        assert_eq!(i.label, "031-4751-5.1.0.0");
        assert_eq!(
            i.title.as_deref(),
            Some("Command Line Developer Tools for OS X Mavericks")
        );
        assert_eq!(i.version.as_deref(), Some("5.1.0.0"));
        assert_eq!(i.size_bytes, Some(122_107 * 1024));
        assert_eq!(i.recommended, Some(true));
    }

    #[test]
    fn kolide_noscan_outputs() {
        let l = listed("softwareupdate_list_no_scan__update_available__kolide.txt");
        assert_eq!(l.items[0].version.as_deref(), Some("13.3.1"));
        assert_eq!(l.items[0].size_bytes, Some(868_648 * 1024));
        let l = listed("softwareupdate_list_no_scan__multiple_updates_beta__kolide.txt");
        assert_eq!(l.items.len(), 2);
        assert_eq!(l.items[1].size_bytes, Some(11_487_824 * 1024));
        assert!(l.items[1].is_macos() && !l.items[0].is_macos());
        let l = listed("softwareupdate_list_no_scan__no_update_available__kolide.txt");
        assert!(l.items.is_empty() && l.error.is_none());
        let l = listed("softwareupdate_list__scan_error__kolide.txt");
        assert!(l.items.is_empty());
        assert!(l.error.unwrap().contains("The network connection was lost"));
    }

    #[test]
    fn none_on_stderr_banner_only_and_garbage() {
        let banner = "Software Update Tool\n\n";
        assert_eq!(
            parse(banner, "No new software available.\n").unwrap(),
            SoftwareUpdateList::default()
        );
        assert!(parse(banner, "").is_err(), "no answer is not an empty list");
        assert!(parse("garbage\n", "").is_err());
        assert_eq!(size_bytes("12X"), None);
        assert_eq!(size_bytes("99999999999999999999K"), None);
    }

    #[test]
    fn never_panics_on_odd_lines() {
        for s in [
            "* Label: x\n\tTitle: , Version: , Size: K, Recommended: , Action: ,\n",
            "* Label: x\n\tTitle: a, b, c, Version: 1\n",
            "\t(\n* \n\t) ,\n",
            "* Label: \u{0}\n\tTitle: é, Size: 1GiB,\n",
        ] {
            let _ = parse(s, "");
        }
        let l = parse("* Label: x\n\tTitle: a, b, Version: 1, Size: 1GiB,\n", "").unwrap();
        assert_eq!(l.items[0].title.as_deref(), Some("a, b"));
        assert_eq!(l.items[0].size_bytes, Some(1 << 30));
    }
}
