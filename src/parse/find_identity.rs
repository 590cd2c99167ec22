//! `security find-identity -v -p ssl-client <keychain>`: the certificates in a keychain that
//! have their private key (an identity) and are valid for TLS client authentication.
//!
//! Shape (security(1); the lines tools such as Expo's CLI and signing scripts parse):
//! `  1) <40 hex: SHA-1 of the certificate> "<name>"`, optionally followed by a status in
//! parentheses (`(CSSMERR_TP_CERT_EXPIRED)`), then `     N valid identities found` (with `-v`;
//! `N identities found` without). A policy header (`Policy: SSL (client)`) and section titles
//! (`  Matching identities`, `  Valid identities only`) may precede the list. No complete public
//! capture of this command on the System keychain exists: the tests use constructed samples
//! of this line shape and say so.

/// One identity: certificate hash, name, and the trust status `security` appended, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Upper-case hex SHA-1 of the certificate.
    pub sha1: String,
    pub name: String,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identities {
    pub identities: Vec<Identity>,
    /// The count `security` printed last (`N valid identities found`).
    pub count: Option<u64>,
}

impl Identities {
    pub fn has(&self, sha1: &str) -> bool {
        self.identities
            .iter()
            .any(|i| i.sha1.eq_ignore_ascii_case(sha1))
    }
}

fn entry(line: &str) -> Option<Identity> {
    let (n, rest) = line.split_once(") ")?;
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (hash, rest) = rest.split_once(' ')?;
    if hash.len() != 40 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let rest = rest.trim();
    let body = rest.strip_prefix('"')?;
    // The name may contain quotes; the status, when present, is the last parenthesis after
    // the closing quote.
    let close = body.rfind('"')?;
    let name = &body[..close];
    let tail = body[close + 1..].trim();
    let status = tail
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .map(str::to_string);
    Some(Identity {
        sha1: hash.to_ascii_uppercase(),
        name: name.to_string(),
        status,
    })
}

pub fn parse(text: &str) -> Result<Identities, String> {
    let mut out = Identities::default();
    for line in text.lines() {
        let l = line.trim();
        if let Some(i) = entry(l) {
            out.identities.push(i);
        } else if let Some(n) = l
            .strip_suffix("valid identities found")
            .or_else(|| l.strip_suffix("identities found"))
            .or_else(|| l.strip_suffix("identity found"))
            .or_else(|| l.strip_suffix("valid identity found"))
        {
            out.count = n.trim().parse().ok();
        }
    }
    if out.count.is_none() && out.identities.is_empty() {
        return Err(format!(
            "no identity list and no \"identities found\" line: {:?}",
            super::first_line(text, 80)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Constructed in the line shape security(1) prints (see the module comment): the hash of
    // tests/fixtures/certs/identity_valid.pem and a second, expired identity.
    const LISTING: &str = "Policy: SSL (client)
  Matching identities
  1) C5C24BD24B3B70071604AEEFC997E8E580A20818 \"mdm-identity-C02ZK1ABMD6M\"
  2) 0123456789ABCDEF0123456789ABCDEF01234567 \"old \"quoted\" identity\" (CSSMERR_TP_CERT_EXPIRED)
     2 identities found

  Valid identities only
  1) c5c24bd24b3b70071604aeefc997e8e580a20818 \"mdm-identity-C02ZK1ABMD6M\"
     1 valid identities found
";

    #[test]
    fn entries_statuses_and_the_last_count() {
        let ids = parse(LISTING).unwrap();
        assert_eq!(ids.identities.len(), 3);
        assert_eq!(ids.identities[1].name, "old \"quoted\" identity");
        assert_eq!(
            ids.identities[1].status.as_deref(),
            Some("CSSMERR_TP_CERT_EXPIRED")
        );
        assert_eq!(ids.count, Some(1));
        assert!(ids.has("C5C24BD24B3B70071604AEEFC997E8E580A20818"));
        assert!(!ids.has("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
    }

    #[test]
    fn none_found_is_an_empty_answer_and_garbage_is_not() {
        let ids = parse("     0 valid identities found\n").unwrap();
        assert!(ids.identities.is_empty());
        assert_eq!(ids.count, Some(0));
        assert!(parse("security: SecKeychainOpen: bad\n").is_err());
        assert!(parse("").is_err());
        for odd in [
            "1) x \"",
            "1) ZZZZ \"a\"",
            ") \"",
            "12) 0123456789ABCDEF0123456789ABCDEF01234567 noquote",
        ] {
            assert!(entry(odd).is_none(), "{odd}");
        }
    }
}
