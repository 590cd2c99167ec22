//! `capture --redact`: masks what identifies a Mac or its MDM in a capture (serial numbers,
//! UDIDs and other UUIDs, push and unlock tokens, server host names) before it is written, so a
//! capture can be shared in an issue. A pure transform over the probes' bytes: first every
//! output is scanned for values to mask, then every occurrence of each value in every output is
//! replaced by the same mask. One value, one mask, across all probes: the MDM server host in the
//! profile and in mdmclient's log stay the same host, so a replay of a redacted capture reaches
//! the same verdicts. Masks keep the shape parsers rely on (a UUID stays a UUID, a serial or a
//! token keeps its length and stays alphanumeric). What is not masked is listed in
//! docs/PRIVACY.md (the identity certificate: its hash ties it to `security find-identity`).
//! Same on macOS 15, 26 and 27: the values are found by their keys and shapes, not by version.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use memchr::memmem;

use crate::system::{Payload, ProbeResult};

/// Apple's own hosts name no customer: kept, so push and catalog evidence still reads.
const PUBLIC_HOST_SUFFIXES: &[&str] = &[".apple.com", ".icloud.com", "apple.com"];

/// Apple's partition-type GUIDs (APFS, ...) are constants, not identifiers of this Mac.
const PUBLIC_GUID_SUFFIX: &[u8] = b"-0000-11AA-AA11-00306543ECAC";

/// Keys whose value (on the same line, or the next plist `<string>`/`<data>` line) is private.
const PRIVATE_KEYS: &[&str] = &[
    "serialnumber",
    "serial number",
    "serial_number",
    "udid",
    "token",
    "pushmagic",
    "enrollmentid",
];

/// What a value is, for the shape of its mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Uuid,
    Host,
    Value,
}

/// The values found so far and their masks.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    masks: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The masked values, longest first (so a value inside a longer one is masked after it),
    /// ties in byte order: kept on `add`, not sorted again for every line `apply` masks.
    longest_first: Vec<Vec<u8>>,
    counter: u64,
    /// The previous line named a private key whose value is on the next line (plist).
    pending_key: bool,
}

impl Redactor {
    pub(crate) fn new() -> Redactor {
        Redactor::default()
    }

    fn add(&mut self, value: &[u8], kind: Kind) {
        if value.is_empty() || self.masks.contains_key(value) {
            return;
        }
        self.counter += 1;
        let n = self.counter;
        let mask = match kind {
            Kind::Uuid => {
                let m = format!("{:08X}-0000-4000-8000-{n:012X}", 0xDEAD_0000u32);
                if value.iter().any(u8::is_ascii_lowercase) {
                    m.to_ascii_lowercase().into_bytes()
                } else {
                    m.into_bytes()
                }
            }
            Kind::Host => format!("host{n}.redacted.invalid").into_bytes(),
            Kind::Value => {
                // Same length, alphanumeric, ends with the counter: "REDACTED0003".
                let tail = n.to_string();
                let len = value.len().max(tail.len());
                let fill = len - tail.len();
                let mut m: Vec<u8> = b"REDACTED"[..fill.min(8)].to_vec();
                m.resize(fill, b'0');
                m.extend_from_slice(tail.as_bytes());
                m
            }
        };
        self.masks.insert(value.to_vec(), mask);
        let at = self.longest_first.partition_point(|v| {
            (std::cmp::Reverse(v.len()), v.as_slice()) < (std::cmp::Reverse(value.len()), value)
        });
        self.longest_first.insert(at, value.to_vec());
    }

    /// First pass: finds the private values in one line of output.
    pub(crate) fn learn(&mut self, line: &[u8]) {
        for u in uuids(line) {
            if !u.to_ascii_uppercase().ends_with(PUBLIC_GUID_SUFFIX) {
                self.add(u, Kind::Uuid);
            }
        }
        for h in url_hosts(line) {
            let lower = String::from_utf8_lossy(h).to_ascii_lowercase();
            if !PUBLIC_HOST_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
                self.add(h, Kind::Host);
            }
        }
        let lower = line.to_ascii_lowercase();
        if self.pending_key {
            self.pending_key = false;
            if let Some(v) = plist_value(line) {
                if private_value(v) {
                    self.add(v, Kind::Value);
                }
            }
        }
        for key in PRIVATE_KEYS {
            let Some(at) = memmem::find(&lower, key.as_bytes()) else {
                continue;
            };
            let rest = &line[at + key.len()..];
            if rest.windows(6).any(|w| w == b"</key>") {
                self.pending_key = true;
                continue;
            }
            if let Some(v) = value_after_separator(rest) {
                if private_value(v) {
                    self.add(v, Kind::Value);
                }
            }
        }
    }

    /// Second pass: every known value in `line` replaced by its mask (longest values first, so
    /// a value inside another is never half-masked).
    pub(crate) fn apply(&self, line: &[u8]) -> Vec<u8> {
        let mut out = line.to_vec();
        for value in &self.longest_first {
            let mask = &self.masks[value];
            if memmem::find(&out, value).is_none() {
                continue;
            }
            let mut next = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = memmem::find(rest, value) {
                next.extend_from_slice(&rest[..i]);
                next.extend_from_slice(mask);
                rest = &rest[i + value.len()..];
            }
            next.extend_from_slice(rest);
            out = next;
        }
        out
    }

    /// How many distinct values are masked.
    pub(crate) fn len(&self) -> usize {
        self.masks.len()
    }
}

/// A value worth masking: at least 8 characters of letters, digits and base64 punctuation, with
/// a digit in it (so "YES", "success" or a key name are left alone).
fn private_value(v: &[u8]) -> bool {
    v.len() >= 8
        && v.iter().any(u8::is_ascii_digit)
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// The value after `: `, ` = `, `=` or `" = "` (quotes and `;` stripped).
fn value_after_separator(rest: &[u8]) -> Option<&[u8]> {
    let i = rest.iter().position(|b| *b == b':' || *b == b'=')?;
    // The separator must follow the key closely (`SerialNumber" = `, `Serial Number (system): `).
    if i > 12 {
        return None;
    }
    let v = &rest[i + 1..];
    let v = trim(v);
    let v = v.strip_prefix(b"\"").unwrap_or(v);
    let end = v
        .iter()
        .position(|b| matches!(b, b'"' | b';' | b',' | b' ' | b'\t' | b'<'))
        .unwrap_or(v.len());
    Some(&v[..end])
}

/// `<string>VALUE</string>` or `<data>VALUE</data>` on a line.
fn plist_value(line: &[u8]) -> Option<&[u8]> {
    let t = trim(line);
    for (open, close) in [
        (&b"<string>"[..], &b"</string>"[..]),
        (b"<data>", b"</data>"),
    ] {
        if let Some(inner) = t.strip_prefix(open) {
            let end = memmem::find(inner, close).unwrap_or(inner.len());
            return Some(trim(&inner[..end]));
        }
    }
    None
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

/// Every 8-4-4-4-12 hexadecimal UUID in `line`.
fn uuids(line: &[u8]) -> Vec<&[u8]> {
    const SHAPE: &[u8] = b"hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";
    let mut out = Vec::new();
    let mut i = 0;
    while i + SHAPE.len() <= line.len() {
        let w = &line[i..i + SHAPE.len()];
        let fits = w.iter().zip(SHAPE).all(|(b, s)| match s {
            b'h' => b.is_ascii_hexdigit(),
            _ => b == s,
        });
        let before_ok = i == 0 || !line[i - 1].is_ascii_alphanumeric();
        let after_ok = line
            .get(i + SHAPE.len())
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        if fits && before_ok && after_ok {
            out.push(w);
            i += SHAPE.len();
        } else {
            i += 1;
        }
    }
    out
}

/// The host of every `http://` or `https://` URL in `line`.
fn url_hosts(line: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for scheme in [&b"https://"[..], b"http://"] {
        let mut from = 0;
        while let Some(i) = memmem::find(&line[from..], scheme) {
            let start = from + i + scheme.len();
            let end = line[start..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')))
                .map_or(line.len(), |e| start + e);
            let host = &line[start..end];
            if host.contains(&b'.') {
                out.push(host);
            }
            from = end.max(start);
        }
    }
    out
}

/// Redacts whole outputs in memory (the pure form, for tests and small inputs).
#[cfg(test)]
pub(crate) fn redact_all(outputs: &[&[u8]]) -> (Vec<Vec<u8>>, usize) {
    let mut r = Redactor::new();
    for o in outputs {
        for line in o.split_inclusive(|b| *b == b'\n') {
            r.learn(line);
        }
    }
    let out = outputs
        .iter()
        .map(|o| {
            o.split_inclusive(|b| *b == b'\n')
                .flat_map(|l| r.apply(l))
                .collect()
        })
        .collect();
    (out, r.len())
}

/// Calls `f` with each line of a payload (the last one may lack its newline).
fn each_line(p: &Payload, f: &mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
    let mut reader = p.open().map_err(|e| e.to_string())?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        f(&line)?;
    }
}

/// Redacts every probe result's stdout, stderr and recorded command line in place, streaming (log outputs can be large:
/// each is read line by line twice and rewritten to a spooled file). Returns how many distinct
/// values were masked.
pub(crate) fn redact_results(results: &mut [ProbeResult]) -> Result<usize, String> {
    let mut r = Redactor::new();
    for res in results.iter() {
        each_line(&res.stdout, &mut |l| {
            r.learn(l);
            Ok(())
        })
        .map_err(|e| format!("redact: cannot read {}: {e}", res.id))?;
        for l in res.stderr.split_inclusive(|b| *b == b'\n') {
            r.learn(l);
        }
    }
    for res in results.iter_mut() {
        let new_stdout = match &res.stdout {
            Payload::Empty => Payload::Empty,
            Payload::Memory(v) => Payload::Memory(
                v.split_inclusive(|b| *b == b'\n')
                    .flat_map(|l| r.apply(l))
                    .collect(),
            ),
            p => {
                let mut tmp = tempfile::NamedTempFile::new()
                    .map_err(|e| format!("redact: cannot spool {}: {e}", res.id))?;
                {
                    let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                    each_line(p, &mut |l| {
                        w.write_all(&r.apply(l)).map_err(|e| e.to_string())
                    })
                    .map_err(|e| format!("redact: cannot rewrite {}: {e}", res.id))?;
                    w.flush()
                        .map_err(|e| format!("redact: cannot rewrite {}: {e}", res.id))?;
                }
                Payload::Spooled(tmp.into_temp_path())
            }
        };
        res.stdout = new_stdout;
        res.stderr = res
            .stderr
            .split_inclusive(|b| *b == b'\n')
            .flat_map(|l| r.apply(l))
            .collect();
        // A command line can name a found value (the identity's common name): masked the same
        // way. Nothing is learned from it: a log predicate is not this Mac's data.
        if let Some(argv) = res.recorded_args.as_mut() {
            for a in argv.iter_mut() {
                *a = String::from_utf8_lossy(&r.apply(a.as_bytes())).into_owned();
            }
        }
    }
    Ok(r.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> String {
        String::from_utf8(redact_all(&[s.as_bytes()]).0.remove(0)).unwrap()
    }

    #[test]
    fn serials_udids_tokens_and_hosts_are_masked_consistently() {
        let profile = "ServerURL = \"https://mdm.corp.example.net/mdm/server\";\n\
                       Topic = \"com.apple.mgmt.External.3f1b8e2c-8d4a-4f7e-9c61-2a5b7d9e0c13\";\n\
                       \"IOPlatformSerialNumber\" = \"C02XK0AAJGH5\"\n\
                       <key>PushMagic</key>\n\t<string>9B2C7E1A4D3F4A8B</string>\n\
                       UDID: 00008103-001A2B3C4D5E001E\n";
        let log = "POST https://mdm.corp.example.net/mdm/server for 3f1b8e2c-8d4a-4f7e-9c61-2a5b7d9e0c13 serial C02XK0AAJGH5\n";
        let (out, n) = redact_all(&[profile.as_bytes(), log.as_bytes()]);
        let (p, l) = (
            String::from_utf8(out[0].clone()).unwrap(),
            String::from_utf8(out[1].clone()).unwrap(),
        );
        for secret in [
            "mdm.corp.example.net",
            "3f1b8e2c-8d4a-4f7e-9c61-2a5b7d9e0c13",
            "C02XK0AAJGH5",
            "9B2C7E1A4D3F4A8B",
            "00008103-001A2B3C4D5E001E",
        ] {
            assert!(
                !p.contains(secret) && !l.contains(secret),
                "{secret}\n{p}\n{l}"
            );
        }
        assert!(n >= 5, "{n}");
        // The same value, the same mask, in both outputs; shapes kept.
        assert!(
            p.contains("https://host1.redacted.invalid/mdm/server"),
            "{p}"
        );
        assert!(
            l.contains("https://host1.redacted.invalid/mdm/server"),
            "{l}"
        );
        assert!(
            p.contains("External.dead0000-0000-4000-8000-000000000002"),
            "{p}"
        );
        assert!(l.contains("dead0000-0000-4000-8000-000000000002"), "{l}");
        let serial_mask = "REDACTED0003";
        assert_eq!(serial_mask.len(), "C02XK0AAJGH5".len());
        assert!(
            p.contains(serial_mask) && l.contains(serial_mask),
            "{p}\n{l}"
        );
    }

    /// A value inside a longer one is masked after it (the longer keeps its own mask), whatever
    /// order the values were learned in; the order is kept on `add`.
    #[test]
    fn longer_values_are_masked_first() {
        let mut r = Redactor::new();
        r.add(b"C02XK1ABCD", Kind::Value);
        r.add(b"C02XK1ABCD99", Kind::Value);
        r.add(b"AAAA1111", Kind::Value);
        assert_eq!(
            r.longest_first,
            [
                b"C02XK1ABCD99".to_vec(),
                b"C02XK1ABCD".to_vec(),
                b"AAAA1111".to_vec()
            ]
        );
        let out =
            String::from_utf8(r.apply(b"serial C02XK1ABCD99 and C02XK1ABCD, AAAA1111")).unwrap();
        assert_eq!(out, "serial REDACTED0002 and REDACTED01, REDACTE3");
    }

    #[test]
    fn public_and_harmless_values_are_kept() {
        for s in [
            "profiles: Bootstrap Token escrowed to server: YES\n",
            "Connected to courier 18-courier.push.apple.com (17.57.144.12)\n",
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
            "Partition type 41504653-0000-11AA-AA11-00306543ECAC\n",
            "Received HTTP response (200) [Idle]\n",
        ] {
            assert_eq!(one(s), s);
        }
    }
}
