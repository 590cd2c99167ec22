//! `apsctl status` (`/System/Library/PrivateFrameworks/ApplePushService.framework/apsctl`): what
//! the Apple push daemon knows per client ("application port"): its persistent connection
//! status, the topics it registered, and when it last received a push and on which topic.
//!
//! No full real output is public. The format here is the one admins' extension attributes parse
//! (MLBZ521/MacAdmin, `Jamf Pro/Extension Attributes/Get-LastMDMPush.sh`, `Verify-APNSCertTopic.sh`,
//! `Get-APNSMDMClientHealth.sh`, 2023, macOS 13-14): a section per port beginning with an indented
//! `application port name:   com.apple.aps.mdmclient.daemon.push.production` line, then indented
//! `key: value` lines: `persistent connection status: Ok`, `topic: com.apple.mgmt.External.…`
//! (enabled and opportunistic topics), `last push notification: Nov 20, 2026 at 9:12:03 AM (…)`
//! (newer builds: `last full wake incoming push:` / `last incoming push:`) and `last push
//! notification topic: …`. Quirks the scripts work around and this parser does too: the date is
//! local time without a zone and may hold non-breaking spaces (`fixup_space_in_string`), and a
//! parenthesised tail follows it (`awk -F ' \\('`). Unverified on macOS 15, 26 and 27: a section
//! or key that is not there reads as "not listed", never as an error.
//! Pure: text in, typed values out.

use chrono::NaiveDateTime;

/// The device channel's port (mdmclient's daemon); `.production` or `.development`.
pub(crate) const MDM_DEVICE_PORT_PREFIX: &str = "com.apple.aps.mdmclient.daemon.push";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApsctlStatus {
    pub ports: Vec<PortStatus>,
    /// The output does not end with a newline: it was cut, and a missing topic may be in the
    /// part that was lost.
    pub cut: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortStatus {
    pub name: String,
    /// `persistent connection status:` (`Ok` when connected).
    pub persistent_connection: Option<String>,
    /// Every `topic:` the section lists (enabled and opportunistic), in order, without repeats.
    pub topics: Vec<String>,
    /// The last push's date as printed (before the parenthesised tail).
    pub last_push_text: Option<String>,
    /// The same, parsed: local time of the Mac, no zone.
    pub last_push: Option<NaiveDateTime>,
    pub last_push_topic: Option<String>,
}

impl ApsctlStatus {
    /// mdmclient's device-channel port, when apsd lists it.
    pub(crate) fn mdm_device_port(&self) -> Option<&PortStatus> {
        self.ports
            .iter()
            .find(|p| p.name.starts_with(MDM_DEVICE_PORT_PREFIX))
    }
}

impl PortStatus {
    /// The port lists this topic (enabled, opportunistic, or as the last push's topic).
    pub(crate) fn has_topic(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| t == topic) || self.last_push_topic.as_deref() == Some(topic)
    }

    pub fn connected(&self) -> Option<bool> {
        self.persistent_connection
            .as_deref()
            .map(|s| s.eq_ignore_ascii_case("ok") || s.eq_ignore_ascii_case("connected"))
    }
}

/// Spaces of any kind (macOS 13+ prints U+202F before AM/PM) become one ASCII space.
fn normalise_spaces(s: &str) -> String {
    s.split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Nov 20, 2026 at 9:12:03 AM` (the scripts' `%b %d, %Y at %H:%M:%S %p`), also 24-hour.
pub(crate) fn parse_push_date(text: &str) -> Option<NaiveDateTime> {
    let t = normalise_spaces(text);
    ["%b %d, %Y at %I:%M:%S %p", "%b %d, %Y at %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
}

const DATE_KEYS: &[&str] = &[
    "last push notification",
    "last full wake incoming push",
    "last incoming push",
];

pub fn parse(text: &str) -> Result<ApsctlStatus, String> {
    let mut out = ApsctlStatus {
        cut: !text.is_empty() && !text.ends_with('\n'),
        ..ApsctlStatus::default()
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = normalise_spaces(key).to_ascii_lowercase();
        let value = value.trim();
        if key == "application port name" {
            out.ports.push(PortStatus {
                name: value.to_string(),
                ..PortStatus::default()
            });
            continue;
        }
        let Some(port) = out.ports.last_mut() else {
            continue;
        };
        match key.as_str() {
            "persistent connection status" => {
                port.persistent_connection = Some(value.to_string());
            }
            "topic" if !value.is_empty() && !port.topics.iter().any(|t| t == value) => {
                port.topics.push(value.to_string());
            }
            "last push notification topic" if !value.is_empty() => {
                port.last_push_topic = Some(value.to_string());
            }
            k if DATE_KEYS.contains(&k) && port.last_push_text.is_none() => {
                let date = value.split(" (").next().unwrap_or(value).trim();
                if !date.is_empty() {
                    port.last_push = parse_push_date(date);
                    port.last_push_text = Some(normalise_spaces(date));
                }
            }
            _ => {}
        }
    }
    if out.ports.is_empty() && !text.trim().is_empty() {
        return Err(format!(
            "no \"application port name:\" section in {:?}",
            super::first_line(text, 80)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn sample(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/samples/apsctl/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn show(s: &ApsctlStatus) -> String {
        s.ports
            .iter()
            .map(|p| {
                format!(
                    "{} conn={:?} topics={:?} last={:?} topic={:?}\n",
                    p.name, p.persistent_connection, p.topics, p.last_push, p.last_push_topic
                )
            })
            .collect()
    }

    #[test]
    fn constructed_samples() {
        let cases = [
            (
                "status_mdm_connected.txt",
                expect![[r#"
                    com.apple.aps.mdmclient.daemon.push.production conn=Some("Ok") topics=["com.apple.mgmt.External.2b4e7c1d-5a6f-4e2b-9c3d-8f1a0b2c3d4e"] last=Some(2026-11-19T16:42:07) topic=Some("com.apple.mgmt.External.2b4e7c1d-5a6f-4e2b-9c3d-8f1a0b2c3d4e")
                    com.apple.aps.mdmclient.agent.push.production conn=Some("Ok") topics=["com.apple.mgmt.External.2b4e7c1d-5a6f-4e2b-9c3d-8f1a0b2c3d4e"] last=None topic=None
                    com.apple.icloud-container.clouddocs conn=Some("Ok") topics=["com.apple.icloud-container.clouddocs"] last=None topic=None
                "#]],
            ),
            (
                "status_old_topic.txt",
                expect![[r#"
                    com.apple.aps.mdmclient.daemon.push.production conn=Some("Ok") topics=["com.apple.mgmt.External.0d9e8f7a-1111-4c2b-8a3d-aaaaaaaaaaaa"] last=Some(2026-10-02T08:15:44) topic=Some("com.apple.mgmt.External.0d9e8f7a-1111-4c2b-8a3d-aaaaaaaaaaaa")
                "#]],
            ),
        ];
        for (name, want) in cases {
            want.assert_eq(&show(&parse(&sample(name)).expect(name)));
        }
    }

    #[test]
    fn dates_with_narrow_spaces_and_tails() {
        assert_eq!(
            parse_push_date("Nov 20, 2026 at 9:12:03\u{202f}PM").map(|d| d.to_string()),
            Some("2026-11-20 21:12:03".to_string())
        );
        let s = parse(
            "    application port name:   com.apple.aps.mdmclient.daemon.push.production\n        last full wake incoming push:  Jan 2, 2026 at 12:00:01 AM (123 seconds ago)\n",
        )
        .unwrap();
        assert_eq!(
            s.ports[0].last_push.map(|d| d.to_string()),
            Some("2026-01-02 00:00:01".to_string())
        );
        assert_eq!(s.ports[0].connected(), None);
    }

    #[test]
    fn garbage_is_an_error_and_empty_is_nothing() {
        assert!(parse("usage: apsctl <command>\n").is_err());
        assert!(
            parse("  application port name: com.apple.aps.mdmclient.daemon.push.production\n    topic: com.apple.mg")
                .unwrap()
                .cut
        );
        assert_eq!(parse("").unwrap().ports.len(), 0);
        assert!(
            parse("application port name:\n topic: \n").unwrap().ports[0]
                .topics
                .is_empty()
        );
    }

    proptest::proptest! {
        /// Any text, including fragments of the real shape, parses or errs: never a panic.
        #[test]
        fn never_panics(text in "(application port name:|topic:|last push notification:| |\\n|[a-zA-Z0-9,.:()\u{202f}]){0,200}") {
            let _ = parse(&text);
        }
    }
}
