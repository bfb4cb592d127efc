//! The HTTP upgrade (RFC 6455 §4.2): the request is read and checked in nats-server's order
//! (`wsUpgrade`), and answered with `101 Switching Protocols` or with the HTTP error
//! nats-server's Go HTTP server writes for the same request.

use base64::Engine as _;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Websocket;

/// The GUID every accept key is derived with (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Largest request read (Go's default `MaxHeaderBytes`, 1 MiB; beyond it Go answers `431`).
const MAX_REQUEST: usize = 1 << 20;
/// Most headers parsed.
const MAX_HEADERS: usize = 64;

/// An accepted upgrade: what the connection needs from the request.
#[derive(Debug, Default)]
pub struct Upgraded {
    /// The `101` answer to write.
    pub response: Vec<u8>,
    /// `permessage-deflate` was negotiated.
    pub compression: bool,
    /// The client asked not to mask its frames (`Nats-No-Masking: true`).
    pub no_masking: bool,
    /// A browser (`User-Agent: Mozilla/...`): frames of at most 4 KiB.
    pub browser: bool,
    /// Safari with compression: compressed messages are not split into frames.
    pub no_compressed_fragments: bool,
    /// `X-Forwarded-For`, when it is an IP address: the client's address for monitoring.
    pub forwarded_for: Option<std::net::IpAddr>,
    /// The configured cookies' values: jwt, user, pass, token.
    pub cookies: Cookies,
}

/// Credentials taken from cookies (the `*_cookie` options), used when CONNECT has none.
#[derive(Debug, Default, Clone)]
pub struct Cookies {
    /// `jwt_cookie`'s value.
    pub jwt: Option<String>,
    /// `user_cookie`'s value.
    pub user: Option<String>,
    /// `pass_cookie`'s value.
    pub pass: Option<String>,
    /// `token_cookie`'s value.
    pub token: Option<String>,
}

/// A refused request: the HTTP answer and the reason for the log.
#[derive(Debug)]
pub struct Refused {
    /// What to write back (may be empty: close silently).
    pub response: Vec<u8>,
    /// nats-server's log reason (`websocket handshake error: <reason>`).
    pub reason: String,
}

/// Reads one HTTP request from `stream` (whatever came with it beyond the request is
/// returned too).
pub async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> std::io::Result<(Vec<u8>, usize)> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() >= MAX_REQUEST {
            return Ok((buf, 0));
        }
        buf.reserve(4096);
        let n = stream.read_buf(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => return Ok((buf, len)),
            Ok(httparse::Status::Partial) => {}
            // Malformed: decided by `check` below.
            Err(_) => return Ok((buf, 0)),
        }
    }
}

/// Go's `http.Error` answer for `code`, in the request's HTTP version (`minor`: 0 or 1).
fn http_error(minor: u8, code: u16, text: &str) -> Vec<u8> {
    let body = format!("{text}\n");
    let date = httpdate(std::time::SystemTime::now());
    format!(
        "HTTP/1.{minor} {code} {text}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Sec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\n\
         Date: {date}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Go's answer to a request its HTTP server refuses before any handler: `status` (`400 Bad
/// Request`), then `detail` after it in the body (as `: missing required Host header`).
fn go_refusal(status: &str, detail: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n{status}{detail}"
    )
    .into_bytes()
}

/// An RFC 7231 date (`Fri, 04 Dec 2026 22:00:00 GMT`).
fn httpdate(t: std::time::SystemTime) -> String {
    let dt: time::OffsetDateTime = t.into();
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[dt.weekday().number_days_from_monday() as usize],
        dt.day(),
        MONTHS[dt.month() as usize - 1],
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Whether header `name` has `value` among its comma-separated tokens (any case).
fn has_token(headers: &[httparse::Header<'_>], name: &str, value: &str) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case(value))
}

/// The first value of header `name`.
fn header<'a>(headers: &'a [httparse::Header<'_>], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.value).ok())
}

/// Whether the client offers `permessage-deflate` (parameters are not looked at: the
/// server always answers with no context takeover either way, as nats-server does).
fn offers_deflate(headers: &[httparse::Header<'_>]) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .flat_map(|v| v.split(','))
        .flat_map(|ext| ext.split(';'))
        .any(|p| {
            p.trim_matches([' ', '\t'])
                .eq_ignore_ascii_case("permessage-deflate")
        })
}

/// The accept key for `key`.
pub fn accept_key(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.as_bytes());
    h.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// Checks the request in `buf[..len]` (`len` 0: not a valid request) and builds the
/// answer. `tls` is whether it came over TLS; `extra` whether bytes followed it.
pub fn check(
    ws: &Websocket,
    buf: &[u8],
    len: usize,
    tls: bool,
    extra: bool,
) -> Result<Upgraded, Refused> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let parsed = len > 0 && matches!(req.parse(&buf[..len]), Ok(httparse::Status::Complete(_)));
    if !parsed {
        // Go's HTTP server: 431 past its header limit, 400 for what does not parse.
        let (response, reason) = if buf.len() >= MAX_REQUEST {
            (
                go_refusal("431 Request Header Fields Too Large", ""),
                "request too large",
            )
        } else {
            (go_refusal("400 Bad Request", ""), "malformed HTTP request")
        };
        return Err(Refused {
            response,
            reason: reason.into(),
        });
    }
    let minor = req.version.unwrap_or(1);
    let refuse = |code: u16, text: &str, reason: &str| Refused {
        response: http_error(minor, code, text),
        reason: reason.to_string(),
    };
    let headers = req.headers;
    if minor >= 1 && header(headers, "Host").is_none() {
        // Go's HTTP server answers this itself, before nats-server's handler runs.
        return Err(Refused {
            response: go_refusal("400 Bad Request", ": missing required Host header"),
            reason: "missing required Host header".into(),
        });
    }
    let path = req.path.unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    if path.ends_with("/leafnode") {
        // nats-server without leaf nodes over WebSocket closes silently.
        return Err(Refused {
            response: Vec::new(),
            reason: "Not configured to accept leaf node connections".into(),
        });
    }
    if path.ends_with("/mqtt") {
        return Err(refuse(
            404,
            "Not Found",
            "mqtt websocket endpoint not enabled",
        ));
    }
    if req.method != Some("GET") {
        return Err(refuse(
            405,
            "Method Not Allowed",
            "request method must be GET",
        ));
    }
    let host = header(headers, "Host").unwrap_or("");
    if host.is_empty() {
        return Err(refuse(400, "Bad Request", "'Host' missing in request"));
    }
    if !has_token(headers, "Upgrade", "websocket") {
        return Err(refuse(
            400,
            "Bad Request",
            "invalid value for header 'Upgrade'",
        ));
    }
    if !has_token(headers, "Connection", "Upgrade") {
        return Err(refuse(
            400,
            "Bad Request",
            "invalid value for header 'Connection'",
        ));
    }
    let key = header(headers, "Sec-WebSocket-Key").unwrap_or("");
    if key.is_empty() {
        return Err(refuse(400, "Bad Request", "key missing"));
    }
    match base64::engine::general_purpose::STANDARD.decode(key) {
        Ok(k) if k.len() == 16 => {}
        _ => return Err(refuse(400, "Bad Request", "invalid websocket key")),
    }
    if !has_token(headers, "Sec-WebSocket-Version", "13") {
        return Err(refuse(400, "Bad Request", "invalid version"));
    }
    let origin = header(headers, "Origin").or_else(|| header(headers, "Sec-WebSocket-Origin"));
    if let Err(e) = ws.origins.check(origin, host, tls) {
        return Err(refuse(
            403,
            "Forbidden",
            &format!("origin not allowed: {e}"),
        ));
    }
    let compression = ws.config.compression && offers_deflate(headers);
    let no_masking = header(headers, "Nats-No-Masking") == Some("true");
    if extra {
        return Err(refuse(
            400,
            "Bad Request",
            "client sent data before handshake is complete",
        ));
    }
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    if compression {
        response.push_str("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n");
    }
    if no_masking {
        response.push_str("Nats-No-Masking: true\r\n");
    }
    response.push_str(&ws.raw_headers);
    response.push_str("\r\n");
    let forwarded_for = header(headers, "X-Forwarded-For").and_then(|v| v.parse().ok());
    let ua = header(headers, "User-Agent").unwrap_or("");
    let browser = ua.starts_with("Mozilla/");
    let no_compressed_fragments =
        browser && compression && ua.contains("Version/") && ua.contains("Safari/");
    let cookies = cookies(ws, headers);
    Ok(Upgraded {
        response: response.into_bytes(),
        compression,
        no_masking,
        browser,
        no_compressed_fragments,
        forwarded_for,
        cookies,
    })
}

/// The configured cookies' values from the `Cookie` headers.
fn cookies(ws: &Websocket, headers: &[httparse::Header<'_>]) -> Cookies {
    let c = &ws.config;
    let mut out = Cookies::default();
    let wanted = [
        &c.jwt_cookie,
        &c.user_cookie,
        &c.pass_cookie,
        &c.token_cookie,
    ];
    if wanted.iter().all(|w| w.as_deref().unwrap_or("").is_empty()) {
        return out;
    }
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("Cookie"))
    {
        let Ok(v) = std::str::from_utf8(h.value) else {
            continue;
        };
        for pair in v.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else {
                continue;
            };
            let value = value.trim_matches('"').to_string();
            let is = |w: &Option<String>| w.as_deref().is_some_and(|w| !w.is_empty() && w == name);
            if is(&c.jwt_cookie) {
                out.jwt = Some(value);
            } else if is(&c.user_cookie) {
                out.user = Some(value);
            } else if is(&c.pass_cookie) {
                out.pass = Some(value);
            } else if is(&c.token_cookie) {
                out.token = Some(value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_of_the_rfc() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    fn ws(compression: bool) -> Websocket {
        Websocket::new(
            crate::ws::WebsocketConfig {
                compression,
                no_tls: true,
                user_cookie: Some("u".into()),
                ..Default::default()
            },
            None,
        )
    }

    fn request(extra: &str) -> String {
        format!(
            "GET / HTTP/1.1\r\nHost: h:1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
        )
    }

    #[test]
    fn upgrades_and_refusals() {
        let r = request("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nCookie: a=1; u=bob\r\nUser-Agent: Mozilla/5.0\r\n");
        let up = check(&ws(true), r.as_bytes(), r.len(), false, false).unwrap();
        let text = String::from_utf8(up.response).unwrap();
        assert!(text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(text.contains(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        ));
        assert!(up.compression && up.browser);
        assert_eq!(up.cookies.user.as_deref(), Some("bob"));
        let up = check(&ws(false), r.as_bytes(), r.len(), false, false).unwrap();
        assert!(!up.compression);

        let refused = |req: &str| {
            let e = check(&ws(false), req.as_bytes(), req.len(), false, false).unwrap_err();
            (String::from_utf8(e.response).unwrap(), e.reason)
        };
        let (resp, reason) = refused(&request("").replace("GET", "POST"));
        assert!(resp.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert_eq!(reason, "request method must be GET");
        assert_eq!(
            refused(&request("").replace("13", "12")).1,
            "invalid version"
        );
        assert_eq!(
            refused(&request("").replace("dGhlIHNhbXBsZSBub25jZQ==", "abc")).1,
            "invalid websocket key"
        );
        assert_eq!(
            refused(&request("").replace("Upgrade: websocket", "Upgrade: h2c")).1,
            "invalid value for header 'Upgrade'"
        );
        assert!(refused("garbage\r\n\r\n")
            .0
            .starts_with("HTTP/1.1 400 Bad Request"));
        // Past Go's header limit: its 431 (read_request stops there without a parse).
        let big = vec![b'a'; MAX_REQUEST];
        let e = check(&ws(false), &big, 0, false, false).unwrap_err();
        assert!(e
            .response
            .starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    }
}
