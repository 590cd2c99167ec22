//! Old-style (NeXTSTEP / OpenStep) property lists: what `defaults read`, `mdmclient
//! QueryDeviceInformation` and the DDM `Reporting status { ... }` log blocks print. The `plist`
//! crate reads the grammar (`plist::Value::from_reader_ascii`); this module keeps only a pre-pass
//! for the forms that crate (1.10) does not read as Apple prints them, plus lookups the callers
//! share. It never panics: nesting is capped before the crate sees the text.
//!
//! The pre-pass ([`clean`]), outside quoted strings:
//! - puts a space before `{ } ( = ` and newlines: the crate ends an unquoted string only at a
//!   space, tab, CR, `)`, `;` or `,`, so the last item of an array printed as `declaration\n)`
//!   would keep its newline, and `b}` would swallow the brace;
//! - quotes NSData's description `{length = 32, bytes = 0x068b4535 ... 61731ac3}` (PushToken in
//!   QueryDeviceInformation, as kolide/launcher's testdata shows:
//!   <https://github.com/kolide/launcher/tree/main/ee/tables/mdmclient>): commas and a truncated
//!   hex run are not a dictionary, so the value is kept as its text;
//! - quotes the classic data form `<0fa1 2b3c>` (kept as its hex text, as before);
//! - refuses nesting deeper than `MAX_DEPTH` (the crate builds values iteratively but dropping
//!   a nested value recurses).
//!
//! What the crate reads differently from Apple's own parser, and callers allow for: an unquoted
//! run of digits is an integer (`count = 2;`), so scalars are read with [`pv::string`] /
//! [`pv::int`], which accept both; a key made only of digits is refused (no output we read has
//! one). Wrapper text around a block (`Daemon response: {`, a log message's `Reporting status`)
//! is cut by the caller with [`block_end`], which finds a block's end by brace depth, skipping
//! quoted strings: quoted failure reasons may contain braces.

use std::collections::VecDeque;

use plist::Value;

/// Deeper nesting than this is refused (no real output comes close; it keeps drops bounded).
pub(crate) const MAX_DEPTH: usize = 64;

/// Parses exactly one old-style value (a trailing `;` is allowed, other trailing text is not).
pub fn parse(text: &str) -> Result<Value, String> {
    let cleaned = clean(text)?;
    Value::from_reader_ascii(cleaned.as_bytes()).map_err(|e| e.to_string())
}

/// The pre-pass described in the module doc: returns text the crate reads as Apple meant it.
pub fn clean(text: &str) -> Result<String, String> {
    let s = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(s.len() + s.len() / 8 + 2);
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        match b {
            b'"' => {
                let end = quoted_end(s, i);
                out.extend_from_slice(&s[i..end]);
                i = end;
                continue;
            }
            b'{' => {
                if let Some(end) = data_description_end(s, i) {
                    quote_into(&mut out, &s[i..end]);
                    i = end;
                    continue;
                }
            }
            b'<' => {
                if let Some(end) = hex_data_end(s, i) {
                    quote_into(&mut out, &s[i..end]);
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        match b {
            b'{' | b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err("nested too deeply".into());
                }
            }
            b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if matches!(b, b'{' | b'}' | b'(' | b'=' | b'\n') {
            out.push(b' ');
        }
        out.push(b);
        i += 1;
    }
    // Only ASCII bytes were inserted, next to ASCII bytes: the text is still UTF-8.
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// The offset just past the quoted string opening at `open` (or the end of the text).
fn quoted_end(s: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < s.len() && s[i] != b'"' {
        if s[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    (i + 1).min(s.len())
}

fn quote_into(out: &mut Vec<u8>, raw: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(raw);
    out.push(b'"');
}

/// `{length = N, bytes = 0x<hex, spaces, "...">}` at `open`: the offset just past its `}`.
fn data_description_end(s: &[u8], open: usize) -> Option<usize> {
    let rest = &s[open..];
    let close = rest.iter().position(|&c| c == b'}')?;
    let inner = std::str::from_utf8(&rest[1..close]).ok()?.trim();
    let after_length = inner.strip_prefix("length = ")?;
    let (n, bytes) = after_length.split_once(", bytes = 0x")?;
    let ok = !n.is_empty()
        && n.bytes().all(|c| c.is_ascii_digit())
        && bytes
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || c == b'.' || c == b' ');
    ok.then_some(open + close + 1)
}

/// `<0fa1 2b3c>` at `open` (hex digits and whitespace only): the offset just past its `>`.
fn hex_data_end(s: &[u8], open: usize) -> Option<usize> {
    let rest = &s[open + 1..];
    let close = rest.iter().position(|&c| c == b'>')?;
    rest[..close]
        .iter()
        .all(|c| c.is_ascii_hexdigit() || c.is_ascii_whitespace())
        .then_some(open + 1 + close + 1)
}

/// Given `text` and the byte offset of an opening `{`, the offset just past its matching `}`,
/// counting depth and skipping quoted strings (with escapes). `None` when the block is not
/// closed (a cut-off log message).
pub fn block_end(text: &str, open: usize) -> Option<usize> {
    let s = text.as_bytes();
    if s.get(open) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut i = open;
    while i < s.len() {
        match s[i] {
            b'"' => {
                i = quoted_end(s, i);
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Unquotes a scalar as printed on a `key = value;` line: strips the trailing `;`, surrounding
/// quotes and escapes (decoded by the crate).
pub fn unquote(raw: &str) -> String {
    let t = raw.trim().trim_end_matches(';').trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        if let Ok(Value::String(s)) = Value::from_reader_ascii(t.as_bytes()) {
            return s;
        }
    }
    t.to_string()
}

/// The first value of `key` at any depth (breadth-first, so the shallowest wins).
pub fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let mut queue: VecDeque<&Value> = VecDeque::from([v]);
    while let Some(v) = queue.pop_front() {
        match v {
            Value::Dictionary(d) => {
                if let Some(child) = d.get(key) {
                    return Some(child);
                }
                queue.extend(d.values());
            }
            Value::Array(a) => queue.extend(a.iter()),
            _ => {}
        }
    }
    None
}

/// Every `key = <scalar>` pair at any depth, in document order, scalars as text.
pub fn leaves(v: &Value) -> Vec<(String, String)> {
    fn walk(v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Dictionary(d) => {
                for (k, c) in d {
                    match pv::string(Some(c)) {
                        Some(s) => out.push((k.clone(), s)),
                        None => walk(c, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out
}

/// Reads a property list in any of the forms a probe or an admin's capture may hold: binary
/// (`bplist00`), XML, or old-style text (`defaults read` output).
pub fn load_any_plist(bytes: &[u8]) -> Result<Value, String> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let trimmed = &bytes[start..];
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    if trimmed.starts_with(b"bplist")
        || trimmed.starts_with(b"<?xml")
        || trimmed.starts_with(b"<plist")
    {
        return Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string());
    }
    parse(&String::from_utf8_lossy(trimmed))
}

/// Helpers over `plist::Value` that accept the old-style forms too (numbers and booleans as
/// integers or text, dates as text).
pub mod pv {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use plist::Value;

    pub fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
        let mut cur = v;
        for k in keys {
            cur = cur.as_dictionary()?.get(k)?;
        }
        Some(cur)
    }

    pub fn string(v: Option<&Value>) -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Real(r) => Some(r.to_string()),
            Value::Boolean(b) => Some(b.to_string()),
            Value::Date(d) => Some(d.to_xml_format()),
            _ => None,
        }
    }

    pub fn int(v: Option<&Value>) -> Option<i64> {
        match v? {
            Value::Integer(i) => i.as_signed().or_else(|| i.as_unsigned().map(|u| u as i64)),
            Value::Real(r) => Some(*r as i64),
            Value::Boolean(b) => Some(i64::from(*b)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn uint(v: Option<&Value>) -> Option<u64> {
        match v? {
            Value::Integer(i) => i.as_unsigned(),
            Value::String(s) => s.trim().parse().ok(),
            Value::Real(r) if *r >= 0.0 => Some(*r as u64),
            _ => None,
        }
    }

    pub fn boolean(v: Option<&Value>) -> Option<bool> {
        match v? {
            Value::Boolean(b) => Some(*b),
            Value::Integer(i) => i.as_signed().map(|n| n != 0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "yes" | "true" => Some(true),
                "0" | "no" | "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A date: plist `<date>`, or text as RFC 3339 or `defaults read`'s `2026-09-01 13:06:48 +0000`.
    pub fn date(v: Option<&Value>) -> Option<DateTime<Utc>> {
        match v? {
            Value::Date(d) => Some(DateTime::<Utc>::from(std::time::SystemTime::from(*d))),
            Value::String(s) => parse_date(s),
            _ => None,
        }
    }

    pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z") {
            return Some(t.with_timezone(&Utc));
        }
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
            .ok()
            .map(|n| n.and_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults_read_of_the_ddm_state_file() {
        // Real `defaults read` output (fixture, macOS 14.2).
        let text = include_str!(
            "../../tests/fixtures/samples/SoftwareUpdateDDMStatePersistence__no_update_available__defaults_read__macos14.2.txt"
        );
        let v = parse(text).unwrap();
        assert_eq!(
            pv::string(pv::path(&v, &["SUCorePersistedStateCoreVersion"])).as_deref(),
            Some("2.1.0")
        );
        let decl = find(&v, "Declarations").unwrap();
        assert_eq!(decl.as_dictionary().map(|d| d.len()), Some(0));
    }

    #[test]
    fn parses_quoted_values_escapes_and_nested_dicts() {
        let text = r#"{ "softwareupdate.failure-reason" = { count = 2; reason = "bad \"x\" {brace}"; timestamp = "2026-01-01T00:00:00Z"; }; list = ( a, "b c", ); }"#;
        let v = parse(text).unwrap();
        let fr = pv::path(&v, &["softwareupdate.failure-reason"]).unwrap();
        assert_eq!(pv::string(pv::path(fr, &["count"])).as_deref(), Some("2"));
        assert_eq!(
            pv::string(pv::path(fr, &["reason"])).as_deref(),
            Some("bad \"x\" {brace}")
        );
        assert_eq!(
            pv::path(&v, &["list"])
                .and_then(Value::as_array)
                .map(|a| a.len()),
            Some(2)
        );
        assert_eq!(
            pv::string(find(&v, "timestamp")).as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn block_end_skips_braces_in_quotes() {
        let text = r#"Reporting status { a = "}{"; b = { c = d; }; } trailing"#;
        let open = text.find('{').unwrap();
        let end = block_end(text, open).unwrap();
        assert_eq!(&text[end..], " trailing");
        assert_eq!(block_end("{ a = b;", 0), None);
    }

    #[test]
    fn never_panics_on_garbage() {
        for s in [
            "",
            "{",
            "(",
            "\"",
            "\\",
            "{ a = ",
            "{ a = \"\\",
            "<",
            "{{{{",
            "((((",
            "{ = ; }",
            "\"\\U12",
            "\"\\777\"",
            "{ a = b c; }",
            "/*",
            "// x",
            "\u{ff}\u{fe}",
        ] {
            let _ = parse(s);
            let _ = block_end(s, 0);
            let _ = unquote(s);
        }
        let deep = "(".repeat(10_000);
        assert!(parse(&deep).is_err());
        let closed = format!("{}{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&closed).is_err());
    }

    #[test]
    fn unquote_scalars() {
        assert_eq!(unquote("\"EFI password exists\";"), "EFI password exists");
        assert_eq!(unquote(" success; "), "success");
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        // No parser of this work panics on any input (parse/mod.rs contract).
        #[test]
        fn readiness_parsers_never_panic(s in "\\PC{0,300}", b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = super::parse(&s);
            let _ = super::block_end(&s, s.find('{').unwrap_or(0));
            let _ = crate::parse::pmset::parse(&s);
            let _ = crate::parse::sw_vers::parse(&s);
            let _ = crate::parse::bootstrap_token::parse(&s);
            let _ = crate::parse::mdmclient_queries::parse(&s);
            let _ = crate::parse::ddm_status::parse(&format!("Reporting status {s}"));
            let _ = crate::parse::diskutil::parse(&b);
            let _ = crate::parse::su_prefs::parse(&b);
            let _ = crate::parse::ddm_state::parse(&b);
            let _ = crate::parse::diskutil::parse(s.as_bytes());
            let _ = crate::parse::ddm_state::parse(s.as_bytes());
        }

        #[test]
        fn structured_old_style_text_never_panics(s in "[{}();=\" a-z0-9\\\\<>,]{0,200}") {
            let _ = super::parse(&s);
            let _ = crate::parse::ddm_status::parse(&format!("Reporting status {s}"));
            let _ = crate::parse::su_prefs::parse(s.as_bytes());
            let _ = crate::parse::mdmclient_queries::parse(&s);
        }
    }
}
