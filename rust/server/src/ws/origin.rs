//! The `Origin` checks of the upgrade (`same_origin`, `allowed_origins`), as nats-server
//! makes them: an origin is compared by scheme, lower-cased host and port (80 or 443 when
//! the origin leaves it out), and a request without an `Origin` header is accepted.

use std::collections::HashMap;

/// A parsed `scheme://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https` (any scheme for a request's origin).
    pub scheme: String,
    /// The host, lower-cased.
    pub host: String,
    /// The port, defaulted from the scheme.
    pub port: String,
}

/// Splits `host[:port]` (IPv6 in brackets), defaulting the port for `tls`.
fn host_and_port(tls: bool, hostport: &str) -> Result<(String, String), String> {
    let default = if tls { "443" } else { "80" };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("address {hostport}: missing ']' in address"))?;
        match after.strip_prefix(':') {
            Some(p) => (h, p),
            None if after.is_empty() => (h, default),
            None => return Err(format!("address {hostport}: unexpected characters")),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err(format!("address {hostport}: too many colons in address"))
            }
            Some((h, p)) => (h, p),
            None => (hostport, default),
        }
    };
    Ok((host.to_ascii_lowercase(), port.to_string()))
}

impl Origin {
    /// An origin as a request sends it (any scheme; `Err` when it is not a URL).
    pub fn parse(origin: &str) -> Result<Origin, String> {
        let url = url::Url::parse(origin).map_err(|e| format!("parse {origin:?}: {e}"))?;
        let scheme = url.scheme().to_string();
        let authority = url.authority();
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = host_and_port(scheme.eq_ignore_ascii_case("https"), hostport)?;
        Ok(Origin { scheme, host, port })
    }

    /// An entry of `allowed_origins`, with nats-server's start-up messages.
    pub fn parse_allowed(origin: &str) -> Result<Origin, String> {
        let url = url::Url::parse(origin)
            .map_err(|e| format!("unable to parse allowed origin: parse {origin:?}: {e}"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!(
                "unable to parse allowed origin {origin:?}: allowed origins must be absolute URLs with http or https scheme"
            ));
        }
        if url.host_str().unwrap_or("").is_empty() {
            return Err(format!(
                "unable to parse allowed origin {origin:?}: host is required"
            ));
        }
        Origin::parse(origin).map_err(|e| format!("unable to parse allowed origin: {e}"))
    }
}

/// The compiled origin policy of a listener.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    same_origin: bool,
    /// Allowed origins by host: (scheme, port) pairs.
    allowed: HashMap<String, Vec<(String, String)>>,
}

impl OriginPolicy {
    /// Builds the policy (the entries were checked at start).
    pub fn new(same_origin: bool, allowed_origins: &[String]) -> OriginPolicy {
        let mut allowed: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for o in allowed_origins {
            if let Ok(o) = Origin::parse_allowed(o) {
                allowed.entry(o.host).or_default().push((o.scheme, o.port));
            }
        }
        OriginPolicy {
            same_origin,
            allowed,
        }
    }

    /// Checks a request's `Origin` (`None`: absent, accepted) against the policy; `host`
    /// is the request's `Host` header and `tls` whether it came over TLS. The error is
    /// nats-server's reason.
    pub fn check(&self, origin: Option<&str>, host: &str, tls: bool) -> Result<(), String> {
        if !self.same_origin && self.allowed.is_empty() {
            return Ok(());
        }
        let Some(origin) = origin.filter(|o| !o.is_empty()) else {
            return Ok(());
        };
        let o = Origin::parse(origin)?;
        if self.same_origin {
            let (rh, rp) = host_and_port(tls, host)?;
            let scheme = if tls { "https" } else { "http" };
            if o.host != rh || o.port != rp || !o.scheme.eq_ignore_ascii_case(scheme) {
                return Err("not same origin".into());
            }
        }
        if !self.allowed.is_empty() {
            let ok = self
                .allowed
                .get(&o.host)
                .is_some_and(|v| v.iter().any(|(s, p)| *s == o.scheme && *p == o.port));
            if !ok {
                return Err("not in the allowed list".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let any = OriginPolicy::new(false, &[]);
        assert!(any.check(Some("http://evil"), "h", false).is_ok());
        let same = OriginPolicy::new(true, &[]);
        assert!(same.check(None, "h:1", false).is_ok());
        assert!(same.check(Some("http://H:1"), "h:1", false).is_ok());
        assert!(same.check(Some("http://h"), "h:80", false).is_ok());
        assert_eq!(
            same.check(Some("https://h:1"), "h:1", false),
            Err("not same origin".into())
        );
        let list = OriginPolicy::new(false, &["https://app.example.com".to_string()]);
        assert!(list
            .check(Some("https://app.example.com:443"), "x", false)
            .is_ok());
        assert_eq!(
            list.check(Some("http://app.example.com"), "x", false),
            Err("not in the allowed list".into())
        );
        assert!(Origin::parse_allowed("ftp://x")
            .unwrap_err()
            .contains("http or https"));
        assert!(Origin::parse_allowed("x").is_err());
    }
}
