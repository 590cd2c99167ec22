//! PEM certificates from `security find-certificate -a -p -c <CN> System.keychain`: subject,
//! issuer, validity, serial.
//!
//! The command prints zero or more `-----BEGIN CERTIFICATE-----` blocks back to back. Blocks are
//! found by their armour lines, so text between them is ignored; each block is decoded and parsed
//! by x509-parser. A block that does not parse is skipped when another one parses (one bad
//! keychain item must not hide the good identity) and is the error only when nothing parsed.
//! Test certificates: `tests/fixtures/certs/` (generated with fixed dates, README there).

use chrono::{DateTime, Utc};
use x509_parser::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// RFC 4514 string (most significant RDN last, as the RFC orders it): `O=Example Corp,CN=...`.
    pub subject: String,
    pub issuer: String,
    /// First CN of the subject, for messages and for matching the name that was searched.
    pub subject_common_name: Option<String>,
    pub issuer_common_name: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Upper-case hex of the serial's DER bytes, no separators (`1001`).
    pub serial: String,
    /// Upper-case hex SHA-1 of the DER certificate: the name `security find-identity` prints.
    pub sha1: String,
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// All certificates in a PEM bundle. Empty input (or input without any block) is `Ok(vec![])`:
/// the caller decides what "no certificate" means.
pub fn parse_pem_bundle(bytes: &[u8]) -> Result<Vec<CertInfo>, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut certs = Vec::new();
    let mut errors = Vec::new();
    let mut rest: &str = &text;
    let mut index = 0;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start..];
        let Some(end) = after.find(END) else {
            errors.push(format!("block {index}: no END line"));
            break;
        };
        let block = &after[..end + END.len()];
        rest = &after[end + END.len()..];
        match parse_block(block) {
            Ok(c) => certs.push(c),
            Err(e) => errors.push(format!("block {index}: {e}")),
        }
        index += 1;
    }
    if index == 0 && !text.trim().is_empty() {
        // Output that holds no PEM block at all is not "no certificate": it is not security's
        // answer (garbage, a cut stream). An empty list only comes from exit 44 (observe.rs).
        return Err(format!(
            "no PEM certificate block in {} bytes of output",
            bytes.len()
        ));
    }
    if certs.is_empty() && !errors.is_empty() {
        return Err(format!(
            "no certificate could be parsed ({})",
            errors.join("; ")
        ));
    }
    Ok(certs)
}

fn parse_block(block: &str) -> Result<CertInfo, String> {
    // Pem::read wants the armour at line starts; a block cut out of a line is normalised here.
    let normalised = format!("{block}\n");
    let (_, pem) =
        parse_x509_pem(normalised.as_bytes()).map_err(|e| format!("bad PEM armour: {e}"))?;
    let x509 = pem
        .parse_x509()
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let validity = x509.validity();
    let ts = |t: &ASN1Time| {
        DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
            .ok_or_else(|| format!("time out of range: {t}"))
    };
    Ok(CertInfo {
        subject: rfc4514(x509.subject()),
        issuer: rfc4514(x509.issuer()),
        subject_common_name: common_name(x509.subject()),
        issuer_common_name: common_name(x509.issuer()),
        not_before: ts(&validity.not_before)?,
        not_after: ts(&validity.not_after)?,
        serial: x509
            .raw_serial()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
        sha1: {
            use sha1::{Digest, Sha1};
            Sha1::digest(&pem.contents)
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect()
        },
    })
}

fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_string)
}

/// RFC 4514: RDNs in reverse order of the encoding, `,` between RDNs, `+` inside one.
fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = short_name(&oid).map(str::to_string).unwrap_or(oid);
                    match atv.as_str() {
                        Ok(v) => format!("{key}={}", escape(v)),
                        // Non-string values: the RFC's `#` + hex of the DER value.
                        Err(_) => format!(
                            "{key}=#{}",
                            atv.as_slice()
                                .iter()
                                .map(|b| format!("{b:02x}"))
                                .collect::<String>()
                        ),
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs");

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{CERTS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn single_valid_certificate() {
        let certs = parse_pem_bundle(&read("identity_valid.pem")).unwrap();
        assert_eq!(certs.len(), 1);
        let c = &certs[0];
        // Encoded CN first, O second (openssl ca policy order): RFC 4514 prints them reversed.
        assert_eq!(c.subject, "O=Example Corp,CN=mdm-identity-C02ZK1ABMD6M");
        assert_eq!(c.issuer, "O=Example Corp,CN=Example MDM CA");
        assert_eq!(
            c.subject_common_name.as_deref(),
            Some("mdm-identity-C02ZK1ABMD6M")
        );
        assert_eq!(c.issuer_common_name.as_deref(), Some("Example MDM CA"));
        // `python3 -c 'hashlib.sha1(<DER>)'` of the same file, as find-identity prints it.
        assert_eq!(c.sha1, "C5C24BD24B3B70071604AEEFC997E8E580A20818");
        assert_eq!(c.not_before, utc(2026, 1, 15, 12));
        assert_eq!(c.not_after, utc(2028, 1, 15, 12));
        assert_eq!(c.serial, "1001");
    }

    #[test]
    fn every_certificate_fixture_parses_with_its_dates() {
        for (name, not_after, serial) in [
            ("identity_expiring.pem", utc(2026, 11, 30, 15), "1002"),
            ("identity_expired.pem", utc(2026, 10, 1, 12), "1003"),
            ("identity_older.pem", utc(2027, 3, 1, 12), "1004"),
            ("ca.pem", utc(2035, 1, 1, 0), "1000"),
        ] {
            let certs = parse_pem_bundle(&read(name)).unwrap();
            assert_eq!(certs.len(), 1, "{name}");
            assert_eq!(certs[0].not_after, not_after, "{name}");
            assert_eq!(certs[0].serial, serial, "{name}");
        }
    }

    #[test]
    fn bundle_keeps_order() {
        let certs = parse_pem_bundle(&read("bundle_two_matches.pem")).unwrap();
        let serials: Vec<&str> = certs.iter().map(|c| c.serial.as_str()).collect();
        assert_eq!(serials, ["1004", "1001"]);
    }

    #[test]
    fn garbage_and_a_broken_block_between_good_ones_are_skipped() {
        let certs = parse_pem_bundle(&read("bundle_with_garbage.pem")).unwrap();
        let serials: Vec<&str> = certs.iter().map(|c| c.serial.as_str()).collect();
        assert_eq!(serials, ["1003", "1001"]);
    }

    #[test]
    fn only_broken_blocks_is_an_error_naming_the_block() {
        let e = parse_pem_bundle(&read("only_broken_block.pem")).unwrap_err();
        assert!(e.contains("block 0"), "{e}");
    }

    #[test]
    fn blank_output_is_an_empty_list_but_garbage_is_an_error() {
        assert_eq!(parse_pem_bundle(b"").unwrap(), vec![]);
        assert_eq!(parse_pem_bundle(b"\n").unwrap(), vec![]);
        // Not security's answer: unknown, never "no certificate" (fault matrix).
        let e = parse_pem_bundle(b"random text\x00\xff").unwrap_err();
        assert!(e.contains("no PEM certificate block"), "{e}");
    }

    #[test]
    fn unterminated_block_alone_is_an_error() {
        assert!(parse_pem_bundle(b"-----BEGIN CERTIFICATE-----\nMIIB").is_err());
        // ...but not after a good certificate.
        let mut b = read("identity_valid.pem");
        b.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nMIIB");
        assert_eq!(parse_pem_bundle(&b).unwrap().len(), 1);
    }

    #[test]
    fn crlf_line_endings() {
        let text = String::from_utf8(read("identity_valid.pem"))
            .unwrap()
            .replace('\n', "\r\n");
        assert_eq!(parse_pem_bundle(text.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a,b"), "a\\,b");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape("plain"), "plain");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_pem_bundle(&bytes);
            let mut armoured = b"-----BEGIN CERTIFICATE-----\n".to_vec();
            armoured.extend_from_slice(&bytes);
            armoured.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
            let _ = parse_pem_bundle(&armoured);
        }

        #[test]
        fn truncated_certificate_never_panics(cut in 0usize..2000) {
            let full = read("identity_valid.pem");
            let _ = parse_pem_bundle(&full[..cut.min(full.len())]);
        }
    }
}
