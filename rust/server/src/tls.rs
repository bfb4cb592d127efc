//! TLS for client connections (rustls), as nats-server offers it: a certificate and key,
//! optionally a CA to verify client certificates (`verify`), a handshake timeout, and
//! `handshake_first` (TLS before INFO) or the default (INFO in clear, then the client starts
//! TLS). Certificates are read at start (and on reload) so errors show up at once, with the
//! file named.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::forms::{seconds, strict_bool};

/// The `tls { ... }` block: `cert_file` and `key_file` are required, every other key has a
/// default; unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server certificate chain (PEM).
    pub cert_file: PathBuf,
    /// The server's private key (PEM).
    pub key_file: PathBuf,
    /// CA bundle for verifying client certificates.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Require and verify a client certificate.
    #[serde(default, deserialize_with = "strict_bool")]
    pub verify: bool,
    /// Handshake timeout (nats-server: 2 s).
    #[serde(default = "default_timeout", with = "seconds")]
    pub timeout: Duration,
    /// Handshake before INFO (clients must be told to expect it).
    #[serde(default, deserialize_with = "strict_bool")]
    pub handshake_first: bool,
    /// `verify_and_map`: require and verify a client certificate (as `verify`) and make
    /// the client the configured user its certificate names ([`crate::auth::tlsmap`]).
    /// Client and WebSocket listeners only.
    #[serde(default, deserialize_with = "strict_bool")]
    pub verify_and_map: bool,
}

fn default_timeout() -> Duration {
    Duration::from_secs(2)
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            ca_file: None,
            verify: false,
            timeout: default_timeout(),
            handshake_first: false,
            verify_and_map: false,
        }
    }
}

impl TlsConfig {
    /// Whether client certificates are required and verified (`verify`, or
    /// `verify_and_map`, which implies it as in nats-server).
    pub fn verifies(&self) -> bool {
        self.verify || self.verify_and_map
    }
}

fn open(what: &'static str, path: &Path) -> Result<BufReader<File>, ConfigError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| ConfigError::TlsOpen {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

fn certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_reader_iter(open(what, path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::TlsParse {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(ConfigError::TlsNoCertificate {
            what,
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// Builds the rustls acceptor config, reading the files; every error names the file. Called
/// once per start and once per reload (by [`crate::Config::compile`]).
pub fn server_config(cfg: &TlsConfig) -> Result<Arc<ServerConfig>, ConfigError> {
    let chain = certs("certificate", &cfg.cert_file)?;
    let key = PrivateKeyDer::from_pem_reader(open("key", &cfg.key_file)?).map_err(|e| {
        ConfigError::TlsParse {
            what: "key",
            path: cfg.key_file.clone(),
            reason: e.to_string(),
        }
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Tls(format!("TLS setup: {e}")))?;
    let builder = if cfg.verifies() {
        let ca = cfg.ca_file.as_deref().ok_or_else(|| {
            ConfigError::Tls(
                "tls verify requires a ca_file to verify client certificates".to_string(),
            )
        })?;
        let mut roots = RootCertStore::empty();
        for c in certs("CA", ca)? {
            roots.add(c).map_err(|e| ConfigError::TlsParse {
                what: "CA",
                path: ca.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| ConfigError::Tls(format!("TLS client verification: {e}")))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|e| ConfigError::TlsKeyPair {
            cert: cfg.cert_file.clone(),
            key: cfg.key_file.clone(),
            reason: e.to_string(),
        })?;
    Ok(Arc::new(config))
}

/// The subject of the client's certificate (RFC 4514 form, e.g. `CN=alice,O=Acme`), when it
/// sent one: auth hooks get it as `tls_subject`.
pub fn peer_subject(conn: &rustls::ServerConnection) -> Option<String> {
    let cert = conn.peer_certificates()?.first()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    Some(parsed.subject().to_string())
}

/// When the first certificate of `cert_file` expires, in RFC 3339 (`/varz`
/// `tls_cert_not_after`, as nats-server shows its certificate's `NotAfter`); `None` when
/// the file does not hold a certificate.
pub fn cert_not_after(cert_file: &Path) -> Option<String> {
    let first = certs("certificate", cert_file).ok()?.into_iter().next()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(first.as_ref()).ok()?;
    parsed
        .validity()
        .not_after
        .to_datetime()
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// What a client's TLS session is, for auth hooks and `/connz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSession {
    /// The client certificate's subject (see [`peer_subject`]).
    pub subject: Option<String>,
    /// The names `verify_and_map` tries, when the client sent a certificate.
    pub cert: Option<Arc<crate::auth::tlsmap::CertNames>>,
    /// The protocol version as nats-server's `/connz` writes it (`1.2`, `1.3`).
    pub version: &'static str,
    /// The cipher suite under Go's name (`TLS_AES_128_GCM_SHA256`,
    /// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`).
    pub cipher_suite: &'static str,
}

impl TlsSession {
    /// The session of an established server-side connection.
    pub fn of(conn: &rustls::ServerConnection) -> Box<TlsSession> {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "1.2",
            _ => "",
        };
        let cipher_suite = conn
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            // rustls names the TLS 1.3 suites TLS13_*, Go TLS_*.
            .map_or("", |name| {
                name.strip_prefix("TLS13_").map_or(name, go_tls13_name)
            });
        let cert = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| crate::auth::tlsmap::CertNames::from_der(c.as_ref()))
            .map(Arc::new);
        Box::new(TlsSession {
            subject: peer_subject(conn),
            cert,
            version,
            cipher_suite,
        })
    }
}

/// Go's name of a TLS 1.3 suite from the part after rustls' `TLS13_`.
fn go_tls13_name(rest: &str) -> &'static str {
    match rest {
        "AES_128_GCM_SHA256" => "TLS_AES_128_GCM_SHA256",
        "AES_256_GCM_SHA384" => "TLS_AES_256_GCM_SHA384",
        "CHACHA20_POLY1305_SHA256" => "TLS_CHACHA20_POLY1305_SHA256",
        _ => "",
    }
}

/// The rustls config of the dialling side of a route: the peer's certificate is verified
/// against `ca_file`, or the system's trusted roots without one (as Go's TLS does for
/// nats-server), and the route URL's host; `cert_file`/`key_file` are presented as this
/// server's certificate (a peer with `verify` asks for it). Read once per start, like
/// [`server_config`].
pub fn client_config(cfg: &TlsConfig) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    dialer_config(
        cfg.ca_file.as_deref(),
        Some((&cfg.cert_file, &cfg.key_file)),
    )
}

/// The rustls config of a dialling side: the peer verified against `ca` (the system's
/// roots without one), and `cert` (certificate chain and key files) presented when given.
pub fn dialer_config(
    ca: Option<&Path>,
    cert: Option<(&Path, &Path)>,
) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(ca) => {
            for c in certs("CA", ca)? {
                roots.add(c).map_err(|e| ConfigError::TlsParse {
                    what: "CA",
                    path: ca.to_path_buf(),
                    reason: e.to_string(),
                })?;
            }
        }
        None => {
            // Certificates the system store holds but rustls can not use are skipped.
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Tls(format!("TLS setup: {e}")))?
        .with_root_certificates(roots);
    let Some((cert_file, key_file)) = cert else {
        return Ok(Arc::new(builder.with_no_client_auth()));
    };
    let chain = certs("certificate", cert_file)?;
    let key = PrivateKeyDer::from_pem_reader(open("key", key_file)?).map_err(|e| {
        ConfigError::TlsParse {
            what: "key",
            path: key_file.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    let config =
        builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| ConfigError::TlsKeyPair {
                cert: cert_file.to_path_buf(),
                key: key_file.to_path_buf(),
                reason: e.to_string(),
            })?;
    Ok(Arc::new(config))
}
