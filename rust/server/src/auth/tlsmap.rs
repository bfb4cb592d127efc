//! `verify_and_map`: which configured user a client certificate stands for, with
//! nats-server's rules (`checkClientTLSCertSubject` and the lookup of
//! `processClientOrLeafAuthentication`).
//!
//! The candidates, in order, each looked up as a user name:
//!
//! 1. the certificate's e-mail addresses (SAN `rfc822Name`), then its DNS names (SAN
//!    `dNSName`), then its URIs (SAN `uniformResourceIdentifier`);
//! 2. its subject as a distinguished name, compared with every user name that parses as
//!    one: first RDN by RDN in order, then in any order ([`Dn`]; attribute types compare
//!    without case, values exactly). Only subjects made of the attribute types nats-server
//!    names (`CN`, `SERIALNUMBER`, `C`, `L`, `ST`, `STREET`, `O`, `OU`, `POSTALCODE`, `DC`)
//!    take part: one with an `emailAddress` or `UID` attribute, say, goes on to 3;
//! 3. Go's string form of the subject (`CN=alice,OU=Eng,O=Acme,C=US`: the standard
//!    attributes in Go's fixed order, last first; values of one type in one RDN joined by
//!    `+`), followed by `,DC=..` for each domain component when there are any;
//! 4. that string form alone.
//!
//! A user whose `allowed_connection_types` leave out the connection's type is skipped.

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// The names of a client certificate that [`map_user`] tries (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertNames {
    /// SAN e-mail addresses.
    pub emails: Vec<String>,
    /// SAN DNS names.
    pub dns_names: Vec<String>,
    /// SAN URIs, as written in the certificate.
    pub uris: Vec<String>,
    /// The subject as a [`Dn`] in RFC 2253 order; `None` when it holds an attribute type or
    /// value kind nats-server's DN matching does not take.
    pub dn: Option<Dn>,
    /// Go's `pkix.Name.ToRDNSequence().String()` of the subject.
    pub subject: String,
    /// `DC=a,DC=b` for the subject's domain components (empty without any).
    pub dcs: String,
    /// Whether the subject has any attribute at all.
    pub has_subject: bool,
}

/// One attribute of a distinguished name: its type as written (`CN`, `cn`, ...) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attr {
    kind: String,
    value: String,
}

impl Attr {
    fn same(&self, other: &Attr) -> bool {
        self.kind.eq_ignore_ascii_case(&other.kind) && self.value == other.value
    }
}

/// A distinguished name: its RDNs, each a set of attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dn {
    rdns: Vec<Vec<Attr>>,
}

fn rdn_equal(a: &[Attr], b: &[Attr]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| b.iter().any(|y| x.same(y)))
        && b.iter().all(|x| a.iter().any(|y| x.same(y)))
}

impl Dn {
    /// Parses a DN written as text (`CN=alice, O=Acme`), as nats-server's `ldap.ParseDN`
    /// reads it: `\` escapes a special character or two hex digits, spaces before a type or
    /// value and unescaped trailing spaces are dropped, `+` joins attributes of one RDN.
    /// `None` when it is not a DN (no `=`, `#` BER values, a bad escape).
    pub fn parse(text: &str) -> Option<Dn> {
        let bytes = text.as_bytes();
        let mut dn = Dn::default();
        let mut rdn: Vec<Attr> = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut kind: Option<String> = None;
        let mut trailing = 0usize;
        let take = |buf: &mut Vec<u8>, trailing: &mut usize| {
            buf.truncate(buf.len() - *trailing);
            *trailing = 0;
            String::from_utf8_lossy(&std::mem::take(buf)).into_owned()
        };
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'\\' => {
                    trailing = 0;
                    // A `\` at the very end is dropped, as ldap.ParseDN does.
                    let Some(&next) = bytes.get(i + 1) else {
                        break;
                    };
                    if b" \"#+,;<=>\\".contains(&next) {
                        buf.push(next);
                        i += 2;
                        continue;
                    }
                    let pair = bytes.get(i + 1..i + 3)?;
                    if !pair.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    buf.push(u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?);
                    i += 3;
                    continue;
                }
                b'=' => {
                    kind = Some(take(&mut buf, &mut trailing));
                    if bytes.get(i + 1) == Some(&b'#') {
                        return None;
                    }
                }
                b',' | b'+' => {
                    let k = kind.take().filter(|k| !k.is_empty())?;
                    rdn.push(Attr {
                        kind: k,
                        value: take(&mut buf, &mut trailing),
                    });
                    if c == b',' {
                        dn.rdns.push(std::mem::take(&mut rdn));
                    }
                }
                b' ' if buf.is_empty() => {}
                _ => {
                    if c == b' ' {
                        trailing += 1;
                    } else {
                        trailing = 0;
                    }
                    buf.push(c);
                }
            }
            i += 1;
        }
        if !buf.is_empty() {
            let k = kind.take().filter(|k| !k.is_empty())?;
            rdn.push(Attr {
                kind: k,
                value: take(&mut buf, &mut trailing),
            });
            dn.rdns.push(rdn);
        }
        Some(dn)
    }

    /// The same RDNs in the same order.
    pub fn equal(&self, other: &Dn) -> bool {
        self.rdns.len() == other.rdns.len()
            && self
                .rdns
                .iter()
                .zip(&other.rdns)
                .all(|(a, b)| rdn_equal(a, b))
    }

    /// The same RDNs in any order.
    pub fn rdns_match(&self, other: &Dn) -> bool {
        if self.rdns.len() != other.rdns.len() {
            return false;
        }
        let mut used = vec![false; other.rdns.len()];
        self.rdns.iter().all(|a| {
            let hit = other
                .rdns
                .iter()
                .enumerate()
                .find(|(j, b)| !used[*j] && rdn_equal(a, b));
            match hit {
                Some((j, _)) => {
                    used[j] = true;
                    true
                }
                None => false,
            }
        })
    }
}

/// The short names nats-server's DN matching knows, by OID.
fn ldap_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.17" => "POSTALCODE",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

const DC_OID: &str = "0.9.2342.19200300.100.1.25";

/// An attribute's value when it is one of the string kinds Go reads as a string.
fn attr_string(atv: &AttributeTypeAndValue<'_>) -> Option<String> {
    if let Ok(s) = atv.as_str() {
        return Some(s.to_string());
    }
    let any = atv.attr_value();
    match any.tag() {
        Tag::T61String | Tag::GeneralString | Tag::VisibleString => {
            Some(String::from_utf8_lossy(any.data).into_owned())
        }
        Tag::BmpString => {
            let units: Vec<u16> = any
                .data
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// Go's `RDNSequence.String()` escaping of one value.
fn go_escape(value: &str, out: &mut String) {
    let last = value.len().saturating_sub(1);
    for (k, c) in value.char_indices() {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k == last,
            '#' => k == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Go's string form of a parsed subject (see the module docs, 3).
fn go_subject(name: &X509Name<'_>) -> String {
    // Go keeps the last CN and the last SERIALNUMBER; the others in order.
    const ORDER: [(&str, &str); 9] = [
        ("2.5.4.6", "C"),
        ("2.5.4.8", "ST"),
        ("2.5.4.7", "L"),
        ("2.5.4.9", "STREET"),
        ("2.5.4.17", "POSTALCODE"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
        ("2.5.4.3", "CN"),
        ("2.5.4.5", "SERIALNUMBER"),
    ];
    let mut values: [Vec<String>; 9] = Default::default();
    for atv in name.iter_attributes() {
        let oid = atv.attr_type().to_id_string();
        let Some(slot) = ORDER.iter().position(|(o, _)| *o == oid) else {
            continue;
        };
        let Some(v) = attr_string(atv) else {
            continue;
        };
        if slot >= 7 {
            values[slot] = vec![v];
        } else {
            values[slot].push(v);
        }
    }
    let mut out = String::new();
    for (slot, (_, short)) in ORDER.iter().enumerate().rev() {
        if values[slot].is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        for (j, v) in values[slot].iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(short);
            out.push('=');
            go_escape(v, &mut out);
        }
    }
    out
}

/// The subject as a [`Dn`], last RDN first (see the module docs, 2).
fn subject_dn(name: &X509Name<'_>) -> Option<Dn> {
    let mut rdns = Vec::new();
    for rdn in name.iter_rdn() {
        let atvs: Vec<_> = rdn.iter().collect();
        if atvs.is_empty() {
            continue;
        }
        let mut attrs = Vec::with_capacity(atvs.len());
        for atv in atvs.iter().rev() {
            let kind = ldap_name(&atv.attr_type().to_id_string())?;
            attrs.push(Attr {
                kind: kind.to_string(),
                value: attr_string(atv)?,
            });
        }
        rdns.push(attrs);
    }
    rdns.reverse();
    Some(Dn { rdns })
}

impl CertNames {
    /// The names of a DER certificate; `None` when it does not parse.
    pub fn from_der(der: &[u8]) -> Option<CertNames> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut names = CertNames::default();
        for ext in cert.extensions() {
            if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
                for n in &san.general_names {
                    match n {
                        GeneralName::RFC822Name(s) => names.emails.push(s.to_string()),
                        GeneralName::DNSName(s) => names.dns_names.push(s.to_string()),
                        GeneralName::URI(s) => names.uris.push(s.to_string()),
                        _ => {}
                    }
                }
            }
        }
        let subject = cert.subject();
        names.has_subject = subject.iter_attributes().next().is_some();
        names.dn = subject_dn(subject);
        names.subject = go_subject(subject);
        names.dcs = subject
            .iter_attributes()
            .filter(|a| a.attr_type().to_id_string() == DC_OID)
            .filter_map(attr_string)
            .map(|v| format!("DC={v}"))
            .collect::<Vec<_>>()
            .join(",");
        Some(names)
    }
}

/// The user `names` maps to: `find` looks a name up (exactly) among the users whose
/// connection type is allowed; `users` lists those users' names by index, for the DN
/// comparison.
pub fn map_user<'u>(
    names: &CertNames,
    find: impl Fn(&str) -> Option<usize>,
    users: impl Iterator<Item = (usize, &'u str)>,
) -> Option<usize> {
    if names.emails.is_empty()
        && names.dns_names.is_empty()
        && names.uris.is_empty()
        && !names.has_subject
    {
        return None;
    }
    let sans = names
        .emails
        .iter()
        .chain(&names.dns_names)
        .chain(&names.uris);
    if let Some(i) = sans.filter_map(|n| find(n)).next() {
        return Some(i);
    }
    if let Some(cert_dn) = &names.dn {
        let mut parsed = Vec::new();
        for (i, name) in users {
            let Some(dn) = Dn::parse(name) else {
                continue;
            };
            if dn.equal(cert_dn) {
                return Some(i);
            }
            parsed.push((i, dn));
        }
        if let Some((i, _)) = parsed.iter().find(|(_, dn)| dn.rdns_match(cert_dn)) {
            return Some(*i);
        }
    }
    if !names.dcs.is_empty() {
        if let Some(i) = find(&format!("{},{}", names.subject, names.dcs)) {
            return Some(i);
        }
    }
    find(&names.subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dn(text: &str) -> Dn {
        Dn::parse(text).unwrap()
    }

    #[test]
    fn parses_dns_as_ldap_does() {
        let d = dn("CN=alice, OU=Eng ,O=Acme");
        assert!(d.equal(&dn("cn=alice,ou=Eng,o=Acme")));
        assert!(
            !d.equal(&dn("CN=Alice,OU=Eng,O=Acme")),
            "values keep their case"
        );
        assert!(!d.equal(&dn("O=Acme,OU=Eng,CN=alice")));
        assert!(d.rdns_match(&dn("O=Acme,OU=Eng,CN=alice")));
        assert!(!d.rdns_match(&dn("O=Acme,CN=alice")));
        assert!(dn(r"CN=a\,b,O=x").equal(&dn(r"CN=a\2cb,O=x")));
        assert!(dn("CN=a+UID=b,O=x").equal(&dn("UID=b+CN=a,O=x")));
        assert_eq!(Dn::parse("alice"), None);
        assert_eq!(Dn::parse("CN=#04"), None);
        assert_eq!(dn(r"CN=a\").rdns[0][0].value, "a");
        assert_eq!(Dn::parse(r"CN=a\1g"), None);
        assert_eq!(dn(r"CN=a\+1").rdns[0][0].value, "a+1");
        assert_eq!(Dn::parse(r"CN=a\zz"), None);
        assert_eq!(Dn::parse(",O=x"), None);
        assert_eq!(dn("CN=a\\ ").rdns[0][0].value, "a ");
        assert_eq!(dn("CN=a  ").rdns[0][0].value, "a");
    }

    #[test]
    fn go_escaping() {
        let mut s = String::new();
        go_escape(" #a,b+c #", &mut s);
        assert_eq!(s, r"\ #a\,b\+c #");
        let mut s = String::new();
        go_escape("#x;", &mut s);
        assert_eq!(s, r"\#x\;");
        let mut s = String::new();
        go_escape("x ", &mut s);
        assert_eq!(s, r"x\ ");
    }

    #[test]
    fn names_of_a_certificate() {
        use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        // (rcgen keeps one value per attribute type.)
        name.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 25]),
            "example",
        );
        name.push(DnType::OrganizationName, "Acme, Inc");
        name.push(DnType::CommonName, "carol");
        params.distinguished_name = name;
        params.subject_alt_names = vec![
            SanType::Rfc822Name("carol@example.com".try_into().unwrap()),
            SanType::DnsName("carol.example.com".try_into().unwrap()),
            SanType::URI("spiffe://example.com/carol".try_into().unwrap()),
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let names = CertNames::from_der(cert.der()).unwrap();
        assert_eq!(names.emails, ["carol@example.com"]);
        assert_eq!(names.dns_names, ["carol.example.com"]);
        assert_eq!(names.uris, ["spiffe://example.com/carol"]);
        assert_eq!(names.subject, r"CN=carol,O=Acme\, Inc");
        assert_eq!(names.dcs, "DC=example");
        assert!(names.has_subject);
        let dn = names.dn.as_ref().unwrap();
        assert!(dn.equal(&Dn::parse(r"CN=carol,O=Acme\, Inc,DC=example").unwrap()));
        // An attribute type nats-server's DN matching does not know: no DN.
        let mut params = CertificateParams::default();
        params.distinguished_name.push(
            DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            "a@b",
        );
        params.distinguished_name.push(DnType::CommonName, "dave");
        let cert = params.self_signed(&key).unwrap();
        let names = CertNames::from_der(cert.der()).unwrap();
        assert_eq!((names.dn, names.subject.as_str()), (None, "CN=dave"));
    }

    #[test]
    fn candidates_in_order() {
        let names = CertNames {
            emails: vec!["a@x".into()],
            dns_names: vec!["host".into()],
            uris: vec!["spiffe://x/y".into()],
            dn: Some(dn("CN=alice,O=Acme")),
            subject: "CN=alice,O=Acme".into(),
            dcs: String::new(),
            has_subject: true,
        };
        let users = ["O=Acme,CN=alice", "host", "a@x", "spiffe://x/y"];
        let find = |n: &str| users.iter().position(|u| *u == n);
        let all = || users.iter().enumerate().map(|(i, u)| (i, *u));
        assert_eq!(map_user(&names, find, all()), Some(2));
        let users2 = ["O=Acme,CN=alice", "CN=alice,O=Acme"];
        let find2 = |n: &str| users2.iter().position(|u| *u == n);
        let all2 = || users2.iter().enumerate().map(|(i, u)| (i, *u));
        assert_eq!(
            map_user(&names, find2, all2()),
            Some(1),
            "exact order first"
        );
        let users3 = ["O=Acme,CN=alice"];
        let find3 = |n: &str| users3.iter().position(|u| *u == n);
        let all3 = || users3.iter().enumerate().map(|(i, u)| (i, *u));
        assert_eq!(map_user(&names, find3, all3()), Some(0), "reordered");
        let nobody = |_: &str| None;
        assert_eq!(map_user(&names, nobody, std::iter::empty()), None);
        assert_eq!(
            map_user(&CertNames::default(), |_| Some(0), std::iter::empty()),
            None
        );
    }
}
