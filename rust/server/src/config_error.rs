//! [`ConfigError`]: every way a configuration can be refused, one variant each, and
//! [`deserialize`], which reads a config type from any serde source (a Python dict through
//! the bindings, JSON in tests) and names the path of whatever is wrong.
//!
//! The messages are a contract: the Python layer shows them as they are, and tests compare
//! nats-server's texts (authorization rules, `config reload not supported for ...`) byte for
//! byte.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

/// A configuration the server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key the option does not have: a typo is refused, never ignored (an ignored
    /// `authorization` key can leave a server open). `path` is where the key was found,
    /// e.g. `authorization.users[0].permissions`.
    #[error("{}unknown key {key:?}", At(path))]
    UnknownKey {
        /// Where the key was found (empty at the top level).
        path: String,
        /// The key.
        key: String,
    },
    /// A key the option needs (`tls` without `key_file`).
    #[error("{}missing key {key:?}", At(path))]
    MissingKey {
        /// Where the key is missing (empty at the top level).
        path: String,
        /// The key.
        key: String,
    },
    /// A value of the wrong type or out of range, with serde's description of it.
    #[error("{}{message}", At(path))]
    Invalid {
        /// The key with the bad value.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A limit that must be positive is 0.
    #[error("{key} must be greater than 0")]
    NotPositive {
        /// The option.
        key: &'static str,
    },
    /// nats-server refuses a payload limit above the slow-consumer limit.
    #[error("max_payload ({max_payload}) can not be higher than max_pending ({max_pending})")]
    PayloadOverPending {
        /// The configured payload limit.
        max_payload: usize,
        /// The configured slow-consumer limit.
        max_pending: usize,
    },
    /// One of nats-server's consistency rules for `authorization`, with its exact text
    /// (`Duplicate user "a" detected`, `Can not have a token and a users array`, ...).
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthRuleError),
    /// One of nats-server's rules for `accounts`, with its text (`"X" account not defined
    /// for stream import`, `Error adding stream import "x": stream import not authorized`).
    #[error(transparent)]
    Account(#[from] crate::account::AccountError),
    /// A TLS file that can not be opened.
    #[error("error opening {what} file {}: {reason}", path.display())]
    TlsOpen {
        /// Which file (`certificate`, `key`, `CA`).
        what: &'static str,
        /// The file's path.
        path: PathBuf,
        /// The operating system's or the parser's reason.
        reason: String,
    },
    /// A TLS file that does not parse (or a CA certificate rustls refuses).
    #[error("error parsing {what} file {}: {reason}", path.display())]
    TlsParse {
        /// Which file (`certificate`, `key`, `CA`).
        what: &'static str,
        /// The file's path.
        path: PathBuf,
        /// The operating system's or the parser's reason.
        reason: String,
    },
    /// A certificate file without a certificate in it.
    #[error("no certificate found in {what} file {}", path.display())]
    TlsNoCertificate {
        /// Which file (`certificate`, `CA`).
        what: &'static str,
        /// The file's path.
        path: PathBuf,
    },
    /// A certificate and a key that are not one pair.
    #[error(
        "certificate {} and key {} do not form a usable pair: {reason}",
        cert.display(),
        key.display()
    )]
    TlsKeyPair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        reason: String,
    },
    /// Any other TLS setting rustls can not use.
    #[error("{0}")]
    Tls(String),
    /// One of nats-server's rules for operator mode (`operator`, `trusted_keys`,
    /// `resolver`, `resolver_preload`), with its text (`operators require an account
    /// resolver to be configured`, ...).
    #[error("{0}")]
    Operator(String),
    /// One of nats-server's rules for the `jetstream` option, with its text (`invalid domain
    /// name: may not contain ., * or >`).
    #[error("{0}")]
    JetStream(String),
    /// JetStream is configured but the embedder gave no way to start it (an engine used
    /// without the `fastnats-jetstream` crate): refused rather than run without it.
    #[error("JetStream is configured but this embedding of the engine can not start it (no JetStream starter)")]
    JetStreamUnavailable,
    /// A reload that changes an option fixed at start (nats-server's text; `old` and `new`
    /// are the values as they print).
    #[error("config reload not supported for {name}: old={old}, new={new}")]
    NotReloadable {
        /// nats-server's name of the option (`Port`, `Host`, ...).
        name: &'static str,
        /// The running value.
        old: String,
        /// The refused value.
        new: String,
    },
}

/// `path: ` before a message, or nothing at the root.
struct At<'a>(&'a str);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}

impl ConfigError {
    /// Turns serde's message into the variant it describes: `unknown field `x`, expected one
    /// of ...` (whose list of keys would be noise next to a typo) becomes
    /// [`ConfigError::UnknownKey`], `missing field `x`` [`ConfigError::MissingKey`], anything
    /// else [`ConfigError::Invalid`].
    pub fn from_serde(path: String, message: &str) -> ConfigError {
        let quoted = |prefix: &str| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split_once('`'))
                .map(|(key, _)| key.to_string())
        };
        if let Some(key) = quoted("unknown field `") {
            // The path tracker has already stepped into the key: name its map instead.
            let path = match path.strip_suffix(key.as_str()) {
                Some(map) if map.is_empty() || map.ends_with('.') => {
                    map.trim_end_matches('.').to_string()
                }
                _ => path,
            };
            ConfigError::UnknownKey { path, key }
        } else if let Some(key) = quoted("missing field `") {
            ConfigError::MissingKey { path, key }
        } else {
            ConfigError::Invalid {
                path,
                message: message.to_string(),
            }
        }
    }
}

/// Deserializes a `T` from `source`; an error names its path below `root` (`""` for a whole
/// [`crate::Config`], `"permissions"` for an auth hook's permissions).
pub fn deserialize<'de, T, D>(root: &str, source: D) -> Result<T, ConfigError>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
    D::Error: fmt::Display,
{
    serde_path_to_error::deserialize(source).map_err(|e| {
        let below = e.path().to_string();
        let path = match (root.is_empty(), below == ".") {
            (_, true) => root.to_string(),
            (true, false) => below,
            (false, false) => format!("{root}.{below}"),
        };
        ConfigError::from_serde(path, &e.inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_variants() {
        let e = ConfigError::from_serde(
            "authorization.users[0].permissions".into(),
            "unknown field `publsh`, expected one of `publish`, `subscribe`",
        );
        assert_eq!(
            e.to_string(),
            r#"authorization.users[0].permissions: unknown key "publsh""#
        );
        let e = ConfigError::from_serde("tls".into(), "missing field `key_file`");
        assert_eq!(e.to_string(), r#"tls: missing key "key_file""#);
        let e = ConfigError::from_serde("port".into(), "invalid type: string \"x\"");
        assert_eq!(e.to_string(), r#"port: invalid type: string "x""#);
        let e = ConfigError::from_serde("x".into(), "unknown field `x`, there are none");
        assert_eq!(e.to_string(), r#"unknown key "x""#);
        let e = ConfigError::from_serde("tls.verfy".into(), "unknown field `verfy`, expected");
        assert_eq!(e.to_string(), r#"tls: unknown key "verfy""#);
    }

    #[test]
    fn reload_text_is_nats_servers() {
        let e = ConfigError::NotReloadable {
            name: "Port",
            old: "0".into(),
            new: "1".into(),
        };
        assert_eq!(
            e.to_string(),
            "config reload not supported for Port: old=0, new=1"
        );
    }
}
