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

/// The `tls { ... }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// CA bundle for verifying client certificates.
    pub ca_file: Option<PathBuf>,
    /// Require and verify a client certificate.
    pub verify: bool,
    /// Handshake timeout (nats-server: 2 s).
    pub timeout: Duration,
    /// Handshake before INFO (clients must be told to expect it).
    pub handshake_first: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            ca_file: None,
            verify: false,
            timeout: Duration::from_secs(2),
            handshake_first: false,
        }
    }
}

fn open(what: &str, path: &Path) -> Result<BufReader<File>, String> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| format!("error opening {what} file {}: {e}", path.display()))
}

fn certs(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_reader_iter(open(what, path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("error parsing {what} file {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "no certificate found in {what} file {}",
            path.display()
        ));
    }
    Ok(certs)
}

/// Builds the rustls acceptor config; every error names the file.
pub fn server_config(cfg: &TlsConfig) -> Result<Arc<ServerConfig>, String> {
    let chain = certs("certificate", &cfg.cert_file)?;
    let key = PrivateKeyDer::from_pem_reader(open("key", &cfg.key_file)?)
        .map_err(|e| format!("error parsing key file {}: {e}", cfg.key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = if cfg.verify {
        let ca = cfg
            .ca_file
            .as_deref()
            .ok_or("tls verify requires a ca_file to verify client certificates")?;
        let mut roots = RootCertStore::empty();
        for c in certs("CA", ca)? {
            roots
                .add(c)
                .map_err(|e| format!("error loading CA file {}: {e}", ca.display()))?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("TLS client verification: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(chain, key).map_err(|e| {
        format!(
            "certificate {} and key {} do not form a usable pair: {e}",
            cfg.cert_file.display(),
            cfg.key_file.display()
        )
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
