//! Old-style (NeXTSTEP / OpenStep) property lists: what `defaults read`, `mdmclient
//! QueryDeviceInformation` and the DDM `Reporting status { ... }` log blocks print.
//!
//! Grammar handled: dictionaries `{ key = value; ... }`, arrays `( a, b, )`, quoted strings with
//! backslash escapes (`\"`, `\\`, `\n`, `\t`, `\UXXXX`, octal), unquoted strings (letters, digits
//! and `_ $ + / : . - ,`-free punctuation as Apple prints them) and data `<0fa1 ...>` (kept as its
//! hex text). Every value is a string at the leaves: old-style plists have no integer or boolean
//! type (`count = 2;` is the string "2"). The parser never panics: nesting is capped, every index
//! is checked, and errors are returned as text. [`block_end`] finds where a block closes by
//! brace depth, skipping quoted strings (FIELD-NOTES: quoted reasons may contain braces).

/// A parsed old-style value. Dictionaries keep their order (the order Apple printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    String(String),
    Array(Vec<Value>),
    Dict(Vec<(String, Value)>),
}

/// Deeper nesting than this is refused (no real output comes close; it keeps recursion bounded).
const MAX_DEPTH: usize = 64;

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The value of `key` in this dictionary (first match).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_dict()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The first value of `key` at any depth (breadth-first, so the shallowest wins).
    pub fn find(&self, key: &str) -> Option<&Value> {
        let mut queue: std::collections::VecDeque<&Value> = std::collections::VecDeque::new();
        queue.push_back(self);
        while let Some(v) = queue.pop_front() {
            match v {
                Value::Dict(d) => {
                    for (k, child) in d {
                        if k == key {
                            return Some(child);
                        }
                    }
                    queue.extend(d.iter().map(|(_, c)| c));
                }
                Value::Array(a) => queue.extend(a.iter()),
                Value::String(_) => {}
            }
        }
        None
    }

    /// Every `key = <string>` pair at any depth, in document order (for key/value scraping).
    pub fn leaves(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        fn walk(v: &Value, out: &mut Vec<(String, String)>) {
            match v {
                Value::Dict(d) => {
                    for (k, c) in d {
                        match c {
                            Value::String(s) => out.push((k.clone(), s.clone())),
                            other => walk(other, out),
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
                Value::String(_) => {}
            }
        }
        walk(self, &mut out);
        out
    }

    /// Converts to a `plist::Value` (all leaves strings) so one extraction path serves XML,
    /// binary and old-style text (e.g. `defaults read` output of the DDM state file).
    pub fn to_plist(&self) -> plist::Value {
        match self {
            Value::String(s) => plist::Value::String(s.clone()),
            Value::Array(a) => plist::Value::Array(a.iter().map(Value::to_plist).collect()),
            Value::Dict(d) => {
                let mut dict = plist::Dictionary::new();
                for (k, v) in d {
                    dict.insert(k.clone(), v.to_plist());
                }
                plist::Value::Dictionary(dict)
            }
        }
    }
}

/// Parses exactly one value; trailing whitespace (and a trailing `;`) is allowed, anything else
/// after the value is an error.
pub fn parse(text: &str) -> Result<Value, String> {
    let (v, end) = parse_prefix(text)?;
    let mut p = Parser {
        s: text.as_bytes(),
        i: end,
    };
    p.skip_ws();
    if p.peek() == Some(b';') {
        p.i += 1;
        p.skip_ws();
    }
    if p.i < p.s.len() {
        return Err(format!("unexpected text after the value at byte {}", p.i));
    }
    Ok(v)
}

/// Parses one value at the start of `text` (after whitespace); returns it and the byte offset
/// just past it.
pub fn parse_prefix(text: &str) -> Result<(Value, usize), String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.skip_ws();
    let v = p.value(0)?;
    Ok((v, p.i))
}

/// Given `text` and the byte offset of an opening `{`, the offset just past its matching `}`,
/// counting depth and skipping quoted strings (with escapes) and comments. `None` when the block
/// is not closed (cut-off log message).
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
                i += 1;
                while i < s.len() && s[i] != b'"' {
                    if s[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
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
/// quotes and escapes.
pub fn unquote(raw: &str) -> String {
    let t = raw.trim().trim_end_matches(';').trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        let mut p = Parser {
            s: t.as_bytes(),
            i: 0,
        };
        if let Ok(s) = p.quoted() {
            return s;
        }
    }
    t.to_string()
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_unquoted(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'_' | b'$' | b'+' | b'/' | b':' | b'.' | b'-')
        || b >= 0x80
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while let Some(b) = self.peek() {
                        if b == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    self.i += 2;
                    while self.i < self.s.len()
                        && !(self.s[self.i] == b'*' && self.s.get(self.i + 1) == Some(&b'/'))
                    {
                        self.i += 1;
                    }
                    self.i = (self.i + 2).min(self.s.len());
                }
                _ => return,
            }
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!(
                "expected {:?} at byte {}, found {}",
                b as char,
                self.i,
                self.peek()
                    .map(|c| format!("{:?}", c as char))
                    .unwrap_or_else(|| "end of text".into())
            ))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        self.skip_ws();
        match self.peek() {
            None => Err("unexpected end of text".into()),
            Some(b'{') => self.dict(depth),
            Some(b'(') => self.array(depth),
            Some(b'"') => self.quoted().map(Value::String),
            Some(b'<') => self.data().map(Value::String),
            Some(b) if is_unquoted(b) => Ok(Value::String(self.unquoted())),
            Some(b) => Err(format!("unexpected {:?} at byte {}", b as char, self.i)),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        self.expect(b'{')?;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Dict(items));
                }
                None => return Err("dictionary not closed".into()),
                _ => {}
            }
            let key = match self.value(depth + 1)? {
                Value::String(k) => k,
                _ => return Err(format!("dictionary key is not a string at byte {}", self.i)),
            };
            self.expect(b'=')?;
            let v = self.value(depth + 1)?;
            items.push((key, v));
            self.skip_ws();
            // Apple always prints `;`, but be lenient about the last one before `}`.
            match self.peek() {
                Some(b';') => self.i += 1,
                Some(b'}') => {}
                _ => self.expect(b';')?,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.expect(b'(')?;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b')') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err("array not closed".into()),
                _ => {}
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {}
                _ => self.expect(b',')?,
            }
        }
    }

    fn unquoted(&mut self) -> String {
        let start = self.i;
        while let Some(b) = self.peek() {
            if !is_unquoted(b) {
                break;
            }
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn data(&mut self) -> Result<String, String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            self.i += 1;
            if b == b'>' {
                return Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
            }
        }
        Err("data not closed".into())
    }

    fn quoted(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err("quoted string not closed".into());
            };
            self.i += 1;
            match b {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err("quoted string not closed".into());
                    };
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'a' => out.push(0x07),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'v' => out.push(0x0b),
                        b'U' | b'u' => {
                            let mut code = 0u32;
                            let mut n = 0;
                            while n < 4 {
                                match self.peek().and_then(|c| (c as char).to_digit(16)) {
                                    Some(d) => {
                                        code = code * 16 + d;
                                        self.i += 1;
                                        n += 1;
                                    }
                                    None => break,
                                }
                            }
                            let c = char::from_u32(code).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        b'0'..=b'7' => {
                            let mut code = u32::from(e - b'0');
                            let mut n = 1;
                            while n < 3 {
                                match self.peek() {
                                    Some(c @ b'0'..=b'7') => {
                                        code = code * 8 + u32::from(c - b'0');
                                        self.i += 1;
                                        n += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((code & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
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
            v.get("SUCorePersistedStateCoreVersion")
                .and_then(Value::as_str),
            Some("2.1.0")
        );
        let decl = v.find("Declarations").unwrap();
        assert_eq!(decl.as_dict().map(|d| d.len()), Some(0));
    }

    #[test]
    fn parses_quoted_values_escapes_and_nested_dicts() {
        let text = r#"{ "softwareupdate.failure-reason" = { count = 2; reason = "bad \"x\" {brace}"; timestamp = "2026-01-01T00:00:00Z"; }; list = ( a, "b c", ); }"#;
        let v = parse(text).unwrap();
        let fr = v.get("softwareupdate.failure-reason").unwrap();
        assert_eq!(fr.get("count").and_then(Value::as_str), Some("2"));
        assert_eq!(
            fr.get("reason").and_then(Value::as_str),
            Some("bad \"x\" {brace}")
        );
        assert_eq!(
            v.get("list").and_then(Value::as_array).map(|a| a.len()),
            Some(2)
        );
        assert_eq!(
            v.find("timestamp").and_then(Value::as_str),
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
    }

    #[test]
    fn unquote_scalars() {
        assert_eq!(unquote("\"EFI password exists\";"), "EFI password exists");
        assert_eq!(unquote(" success; "), "success");
    }
}

/// Reads a property list in any of the forms a probe or an admin's capture may hold: binary
/// (`bplist00`), XML, or old-style text (`defaults read` output). Old-style leaves are strings.
pub fn load_any_plist(bytes: &[u8]) -> Result<plist::Value, String> {
    let trimmed = {
        let mut i = 0;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        &bytes[i..]
    };
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    if trimmed.starts_with(b"bplist")
        || trimmed.starts_with(b"<?xml")
        || trimmed.starts_with(b"<plist")
    {
        return plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string());
    }
    let text = String::from_utf8_lossy(trimmed);
    parse(&text).map(|v| v.to_plist())
}

/// Helpers over `plist::Value` that accept the old-style string forms too.
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

    pub fn uint(v: Option<&Value>) -> Option<u64> {
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

    pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
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
            let _ = crate::parse::mdmclient_qdi::parse(&s);
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
            let _ = crate::parse::mdmclient_qdi::parse(&s);
        }
    }
}
