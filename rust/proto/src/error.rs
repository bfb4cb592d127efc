//! The one error type of the client protocol, and the reasons a connection closes.
//!
//! Clients lower-case and prefix-match `-ERR` texts (`authorization violation`,
//! `stale connection`, `permissions violation`, ...) and nats.go / nats.c drop the connection
//! on a text they do not know. So every text here is nats-server's, byte for byte, and where
//! nats-server closes without a word, [`ProtoError::text`] is `None` and fastnats is silent too.

use std::fmt;

/// A protocol error: what to send (if anything), and whether the connection closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoError {
    /// Unknown op, bad payload terminator, lying size field.
    UnknownProtocolOperation,
    /// Failed authentication, op before CONNECT when auth is required.
    AuthorizationViolation,
    /// No CONNECT within the auth timeout.
    AuthenticationTimeout,
    /// `max_connections` reached (sent after INFO).
    MaxConnectionsExceeded,
    /// TLS handshake did not complete in time.
    SecureConnectionTlsRequired,
    /// Control line arguments longer than `max_control_line`.
    MaxControlLineExceeded,
    /// `PUB`/`HPUB` size over `max_payload`.
    MaxPayloadViolation,
    /// CONNECT `protocol` not 0 or 1.
    InvalidClientProtocol,
    /// CONNECT `no_responders` without `headers`.
    NoRespondersRequiresHeaders,
    /// `ping_max` server PINGs went unanswered.
    StaleConnection,
    /// `max_subscriptions` reached; the connection stays open.
    MaxSubscriptionsExceeded,
    /// SUB with a malformed subject; the connection stays open.
    InvalidSubject,
    /// Pedantic PUB with a non-literal subject; the message is still delivered.
    InvalidPublishSubject,
    /// Wrong argument count, bad size, HPUB without negotiated headers, header size over total:
    /// nats-server closes without an `-ERR`.
    ProtocolViolation,
    /// CONNECT (or INFO) whose JSON does not decode: closed without an `-ERR`.
    MalformedJson,
    /// The client sent `-ERR`: nats-server logs it and closes.
    ClientError,
    /// Operator mode: the account's `conn` limit is reached (sent after CONNECT).
    MaxAccountConnectionsExceeded,
    /// Operator mode: the user JWT expired (or its connect window closed) while connected.
    AuthenticationExpired,
}

impl ProtoError {
    /// The exact `-ERR` text nats-server sends, or `None` where it closes silently.
    #[must_use]
    pub const fn text(self) -> Option<&'static str> {
        use ProtoError::*;
        Some(match self {
            UnknownProtocolOperation => "Unknown Protocol Operation",
            AuthorizationViolation => "Authorization Violation",
            AuthenticationTimeout => "Authentication Timeout",
            MaxConnectionsExceeded => "maximum connections exceeded",
            SecureConnectionTlsRequired => "Secure Connection - TLS Required",
            MaxControlLineExceeded => "maximum control line exceeded",
            MaxPayloadViolation => "Maximum Payload Violation",
            InvalidClientProtocol => "invalid client protocol",
            NoRespondersRequiresHeaders => "no responders requires headers support",
            StaleConnection => "Stale Connection",
            MaxSubscriptionsExceeded => "maximum subscriptions exceeded",
            InvalidSubject => "Invalid Subject",
            InvalidPublishSubject => "Invalid Publish Subject",
            MaxAccountConnectionsExceeded => "maximum account active connections exceeded",
            AuthenticationExpired => "User Authentication Expired",
            ProtocolViolation | MalformedJson | ClientError => return None,
        })
    }

    /// Whether nats-server closes the connection after this error.
    #[must_use]
    pub const fn closes(self) -> bool {
        use ProtoError::*;
        !matches!(
            self,
            MaxSubscriptionsExceeded | InvalidSubject | InvalidPublishSubject
        )
    }

    /// The close reason recorded when this error closes the connection.
    #[must_use]
    pub const fn close_reason(self) -> CloseReason {
        use ProtoError::*;
        match self {
            // nats-server reports its parser errors as "Protocol Violation" in /connz.
            UnknownProtocolOperation => CloseReason::ProtocolViolation,
            AuthorizationViolation => CloseReason::AuthenticationViolation,
            AuthenticationTimeout => CloseReason::AuthenticationTimeout,
            MaxConnectionsExceeded => CloseReason::MaxConnectionsExceeded,
            SecureConnectionTlsRequired => CloseReason::TlsHandshakeError,
            MaxControlLineExceeded => CloseReason::MaxControlLineExceeded,
            MaxPayloadViolation => CloseReason::MaxPayloadExceeded,
            InvalidClientProtocol => CloseReason::BadClientProtocolVersion,
            NoRespondersRequiresHeaders => CloseReason::ProtocolViolation,
            StaleConnection => CloseReason::StaleConnection,
            MaxSubscriptionsExceeded => CloseReason::MaxSubscriptionsExceeded,
            InvalidSubject | InvalidPublishSubject | ProtocolViolation | MalformedJson => {
                CloseReason::ProtocolViolation
            }
            ClientError => CloseReason::ClientClosed,
            MaxAccountConnectionsExceeded => CloseReason::MaxAccountConnectionsExceeded,
            AuthenticationExpired => CloseReason::AuthenticationExpired,
        }
    }
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(t) => f.write_str(t),
            None => write!(f, "{self:?} (closed without -ERR)"),
        }
    }
}

impl std::error::Error for ProtoError {}

/// Why a connection closed: nats-server's closed-state strings, shown in logs and monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed its side (or sent `-ERR`).
    ClientClosed,
    /// No CONNECT within the auth timeout.
    AuthenticationTimeout,
    /// Authentication failed, or an op came before CONNECT when it is required.
    AuthenticationViolation,
    /// The TLS handshake failed or did not finish within the TLS timeout.
    TlsHandshakeError,
    /// The client's unsent bytes passed `max_pending`.
    SlowConsumerPendingBytes,
    /// A write to the client did not finish within `write_deadline`.
    SlowConsumerWriteDeadline,
    /// Writing to the socket failed.
    WriteError,
    /// Reading from the socket failed.
    ReadError,
    /// Input the parser could not read (nats-server names parser errors `Protocol Violation`).
    ParseError,
    /// The client left `ping_max` server PINGs unanswered.
    StaleConnection,
    /// An op nats-server refuses and closes for (see [`ProtoError::close_reason`]).
    ProtocolViolation,
    /// CONNECT `protocol` was neither 0 nor 1.
    BadClientProtocolVersion,
    /// The server already had `max_connections` clients.
    MaxConnectionsExceeded,
    /// A PUB or HPUB announced more than `max_payload` bytes.
    MaxPayloadExceeded,
    /// A control line was longer than `max_control_line`.
    MaxControlLineExceeded,
    /// `max_subscriptions` reached; that error does not close, so this only names it.
    MaxSubscriptionsExceeded,
    /// The server stopped, or lame duck mode closed the client.
    ServerShutdown,
    /// Operator mode: the account's `conn` limit was reached.
    MaxAccountConnectionsExceeded,
    /// Operator mode: the user JWT expired while connected.
    AuthenticationExpired,
    /// A route to a server already connected by another route, or to this server itself.
    DuplicateRoute,
    /// A route whose peer is in another cluster.
    ClusterNameConflict,
    /// A route whose peer has this server's name.
    DuplicateServerName,
    /// A client connected to the cluster port (its CONNECT had `lang`).
    WrongPort,
    /// A leaf node of the hub's own cluster.
    ClusterNamesIdentical,
    /// A leaf connection bound to an account this server does not have.
    MissingAccount,
}

impl CloseReason {
    /// nats-server's string for this reason (`/connz` `reason`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        use CloseReason::*;
        match self {
            ClientClosed => "Client Closed",
            AuthenticationTimeout => "Authentication Timeout",
            AuthenticationViolation => "Authentication Failure",
            TlsHandshakeError => "TLS Handshake Failure",
            SlowConsumerPendingBytes => "Slow Consumer (Pending Bytes)",
            SlowConsumerWriteDeadline => "Slow Consumer (Write Deadline)",
            WriteError => "Write Error",
            ReadError => "Read Error",
            ParseError => "Parse Error",
            StaleConnection => "Stale Connection",
            ProtocolViolation => "Protocol Violation",
            BadClientProtocolVersion => "Bad Client Protocol Version",
            MaxConnectionsExceeded => "Maximum Connections Exceeded",
            MaxPayloadExceeded => "Maximum Message Payload Exceeded",
            MaxControlLineExceeded => "Maximum Control Line Exceeded",
            MaxSubscriptionsExceeded => "Maximum Subscriptions Exceeded",
            ServerShutdown => "Server Shutdown",
            MaxAccountConnectionsExceeded => "Maximum Account Connections Exceeded",
            AuthenticationExpired => "Authentication Expired",
            DuplicateRoute => "Duplicate Route",
            ClusterNameConflict => "Cluster Name Conflict",
            DuplicateServerName => "Duplicate Server Name",
            WrongPort => "Incorrect Port",
            ClusterNamesIdentical => "Cluster Names Identical",
            MissingAccount => "Missing Account",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permissions violation: the only `-ERR` texts that carry a subject. The subject is
/// double-quoted (Go's `%q`), which nats.go and nats.js parse with regexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionViolation<'a> {
    /// `Permissions Violation for Publish to "<subject>"`
    Publish(&'a [u8]),
    /// `Permissions Violation for Publish with Reply of "<reply>"`
    PublishReply(&'a [u8]),
    /// `Permissions Violation for Subscription to "<subject>"` (with ` using queue "<q>"`)
    Subscribe(&'a [u8], Option<&'a [u8]>),
    /// `Permissions Violation for Subscription to "<subject>", too many tokens`
    TooManyTokens(&'a [u8]),
    /// `Permissions Violation for Subscription to "<subject>" (sid "<sid>")` (with
    /// ` using queue "<q>"` before the sid): a reload took the permission away and the
    /// subscription was removed.
    SubscriptionRevoked(&'a [u8], Option<&'a [u8]>, &'a [u8]),
}

impl PermissionViolation<'_> {
    /// Appends the whole `-ERR '...'\r\n` line.
    pub fn write_err(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"-ERR 'Permissions Violation for ");
        match *self {
            PermissionViolation::Publish(s) => {
                out.extend_from_slice(b"Publish to ");
                quote(out, s);
            }
            PermissionViolation::PublishReply(r) => {
                out.extend_from_slice(b"Publish with Reply of ");
                quote(out, r);
            }
            PermissionViolation::Subscribe(s, q) => {
                out.extend_from_slice(b"Subscription to ");
                quote(out, s);
                if let Some(q) = q {
                    out.extend_from_slice(b" using queue ");
                    quote(out, q);
                }
            }
            PermissionViolation::SubscriptionRevoked(s, q, sid) => {
                out.extend_from_slice(b"Subscription to ");
                quote(out, s);
                if let Some(q) = q {
                    out.extend_from_slice(b" using queue ");
                    quote(out, q);
                }
                out.extend_from_slice(b" (sid ");
                quote(out, sid);
                out.push(b')');
            }
            PermissionViolation::TooManyTokens(s) => {
                out.extend_from_slice(b"Subscription to ");
                quote(out, s);
                out.extend_from_slice(b", too many tokens");
            }
        }
        out.extend_from_slice(b"'\r\n");
    }
}

/// Go's `%q` for the subjects clients send: double quotes, with `"` and `\` escaped.
fn quote(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_open_errors_are_exactly_three() {
        assert!(!ProtoError::InvalidSubject.closes());
        assert!(!ProtoError::InvalidPublishSubject.closes());
        assert!(!ProtoError::MaxSubscriptionsExceeded.closes());
        assert!(ProtoError::MaxPayloadViolation.closes());
        assert!(ProtoError::ProtocolViolation.closes());
        assert_eq!(ProtoError::ProtocolViolation.text(), None);
    }

    #[test]
    fn permission_texts() {
        let mut out = Vec::new();
        PermissionViolation::Subscribe(b"foo.>", Some(b"q")).write_err(&mut out);
        assert_eq!(
            out,
            b"-ERR 'Permissions Violation for Subscription to \"foo.>\" using queue \"q\"'\r\n"
        );
        out.clear();
        PermissionViolation::SubscriptionRevoked(b"foo", None, b"7").write_err(&mut out);
        assert_eq!(
            out,
            b"-ERR 'Permissions Violation for Subscription to \"foo\" (sid \"7\")'\r\n"
        );
        out.clear();
        PermissionViolation::Publish(b"a").write_err(&mut out);
        assert_eq!(
            out,
            b"-ERR 'Permissions Violation for Publish to \"a\"'\r\n"
        );
    }
}
