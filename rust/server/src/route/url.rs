//! Route and leaf URLs (`nats-route://user:pw@host:6222`, `nats://host:6222`, `host:6222`):
//! the address to dial and the credentials to present. Parsed with the `url` crate, which
//! also undoes percent-encoding in the user and password.

/// One URL to dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteUrl {
    /// `host:port` (IPv6 hosts in brackets), for dialing and for display.
    pub host_port: String,
    /// The host as written (no brackets).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The user from the URL, if any (decoded).
    pub user: Option<String>,
    /// The password from the URL, if any (decoded).
    pub password: Option<String>,
    /// Whether the scheme asks for TLS (`tls://`).
    pub tls: bool,
}

impl RouteUrl {
    /// Reads `text`; a URL without a scheme is read as `nats-route://`. `default_port`
    /// fills in a missing port.
    pub fn parse_with_port(text: &str, default_port: u16) -> Result<RouteUrl, String> {
        let full = if text.contains("://") {
            text.to_string()
        } else {
            format!("nats-route://{text}")
        };
        let url = url::Url::parse(&full).map_err(|e| format!("error parsing url {text:?}: {e}"))?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => return Err(format!("error parsing url {text:?}: no host")),
        };
        let port = url.port().unwrap_or(default_port);
        let host_port = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(decode);
        Ok(RouteUrl {
            host_port,
            host,
            port,
            user,
            password,
            tls: url.scheme() == "tls",
        })
    }

    /// [`RouteUrl::parse_with_port`] with nats-server's route port (6222) as the default.
    pub fn parse(text: &str) -> Result<RouteUrl, String> {
        Self::parse_with_port(text, 6222)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let u = RouteUrl::parse("nats-route://ruser:p%40ss@127.0.0.1:7244").unwrap();
        assert_eq!(u.host_port, "127.0.0.1:7244");
        assert_eq!(u.user.as_deref(), Some("ruser"));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        let u = RouteUrl::parse("localhost:1234").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.user), ("localhost", 1234, None));
        let u = RouteUrl::parse("nats://[::1]").unwrap();
        assert_eq!(u.host_port, "[::1]:6222");
        assert!(RouteUrl::parse("nats-route://").is_err());
    }
}
