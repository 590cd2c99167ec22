//! `launchctl print system/<label>`: state, pid, runs, last exit code.
//!
//! Format reference: tests/fixtures/samples/launchctl_print_system__running_daemon__nix-daemon__macos26.6.2.txt
//! (no public print of com.apple.mdmclient.daemon exists; the schema is launchd's, the same for
//! every service). A missing service prints "Bad request." / `Could not find service ...` and
//! exits non-zero (113 seen elsewhere). Only the top-level `key = value` lines (one tab deep) are
//! read; nested blocks (`environment = { ... }`) are skipped by brace depth.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    pub label: String,
    /// "running", "not running", "waiting", ...
    pub state: Option<String>,
    pub pid: Option<u32>,
    pub runs: Option<u64>,
    /// As printed: "(never exited)", "0", "78: EX_CONFIG".
    pub last_exit_code: Option<String>,
    /// The relevant lines verbatim, for evidence.
    pub lines: Vec<String>,
}

/// Parses the output of a successful `launchctl print`.
pub fn parse_print(text: &str) -> Result<ServiceInfo, String> {
    let mut info = ServiceInfo::default();
    let mut depth: i32 = 0;
    let mut saw_header = false;
    for raw in text.lines() {
        let line = raw.trim();
        if !saw_header {
            // "system/com.apple.mdmclient.daemon = {"
            if let Some(head) = line.strip_suffix('{') {
                let label = head.trim().trim_end_matches('=').trim();
                info.label = label.rsplit('/').next().unwrap_or(label).to_string();
                saw_header = true;
                depth = 1;
            }
            continue;
        }
        if line.ends_with('{') {
            depth += 1;
            continue;
        }
        if line == "}" {
            depth -= 1;
            continue;
        }
        if depth != 1 {
            continue;
        }
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "state" => {
                info.state = Some(value.to_string());
                info.lines.push(line.to_string());
            }
            "pid" => {
                info.pid = value.parse().ok();
                info.lines.push(line.to_string());
            }
            "runs" => {
                info.runs = value.parse().ok();
                info.lines.push(line.to_string());
            }
            "last exit code" => {
                info.last_exit_code = Some(value.to_string());
                info.lines.push(line.to_string());
            }
            _ => {}
        }
    }
    if !saw_header {
        return Err(format!(
            "no service block in launchctl output (first line: {:?})",
            super::first_line(text, 120)
        ));
    }
    Ok(info)
}

/// True when stderr/stdout says the service is not loaded.
pub(crate) fn is_not_found(text: &str) -> bool {
    text.contains("Could not find service")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: &str =
        include_str!("../../tests/fixtures/samples/launchctl_print_system__running_daemon__nix-daemon__macos26.6.2.txt");
    const NOT_FOUND: &str = include_str!(
        "../../tests/fixtures/samples/launchctl_print_system__service_not_found__macos26.6.2.txt"
    );

    #[test]
    fn running_daemon_reads_top_level_keys_only() {
        let info = parse_print(RUNNING).unwrap();
        assert_eq!(info.label, "org.nixos.nix-daemon");
        // The nested coalition blocks also have "state = active": only the top-level one counts.
        assert_eq!(info.state.as_deref(), Some("running"));
        assert_eq!(info.pid, Some(383));
        assert_eq!(info.runs, Some(1));
        assert_eq!(info.last_exit_code.as_deref(), Some("(never exited)"));
    }

    #[test]
    fn not_found_is_recognised_and_not_parsed() {
        assert!(is_not_found(NOT_FOUND));
        assert!(parse_print(NOT_FOUND).is_err());
    }

    #[test]
    fn not_running_service_has_no_pid() {
        let text = "system/com.apple.softwareupdated = {\n\tstate = not running\n\truns = 4\n\tlast exit code = 0\n}\n";
        let info = parse_print(text).unwrap();
        assert_eq!(info.state.as_deref(), Some("not running"));
        assert_eq!(info.pid, None);
        assert_eq!(info.runs, Some(4));
    }
}
