//! `--tls`: every connection of the run does the TLS handshake after the server's INFO, as a
//! NATS client does with nats-server's default (INFO in the clear, `tls_required` in it, then
//! the handshake, then CONNECT over TLS). The client side is rustls with the ring provider.
//!
//! `--tls-ca FILE` verifies the server's certificate against that CA for the host of `--addr`
//! (an IP address is matched against the certificate's IP SANs); `--tls` alone skips the
//! chain and name checks (a loopback bench against any certificate) but still checks the
//! handshake signatures, so both servers pay the same handshake work.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// The run's TLS client configuration, when `--tls`/`--tls-ca` was given (set once by main).
static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// Accepts any certificate chain and name, checks the handshake signatures.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Turn TLS on for every connection of the run: verified against the PEM CA file `ca`, or
/// (None) without verification.
pub fn enable(ca: Option<&str>) -> Result<(), String> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match ca {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            let certs =
                CertificateDer::pem_file_iter(path).map_err(|e| format!("--tls-ca {path}: {e}"))?;
            for c in certs {
                let c = c.map_err(|e| format!("--tls-ca {path}: {e}"))?;
                roots.add(c).map_err(|e| format!("--tls-ca {path}: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!("--tls-ca {path}: no certificate in the file"));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth(),
    };
    CONFIG
        .set(Arc::new(config))
        .map_err(|_| "TLS enabled twice".to_string())
}

/// Whether the run's connections use TLS.
pub fn enabled() -> bool {
    CONFIG.get().is_some()
}

/// One client connection: plain TCP, or TLS over it.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    /// The TCP socket under the connection.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(t) => &t.sock,
        }
    }

    /// Read timeout of the socket (a TLS read that times out leaves the session intact).
    pub fn set_read_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(t)
    }

    /// With TLS on: read the server's INFO line in the clear (handed back, so the caller can
    /// parse it), check the server offers TLS, and do the handshake on `sock`. Plain otherwise
    /// (the INFO is then read with the rest of the stream).
    pub fn open(mut sock: TcpStream, addr: &str) -> Result<(Conn, Vec<u8>), String> {
        let Some(config) = CONFIG.get() else {
            return Ok((Conn::Plain(sock), Vec::new()));
        };
        // The server sends nothing after INFO until our ClientHello: read up to its newline.
        let mut info = Vec::with_capacity(1024);
        let mut chunk = [0u8; 4096];
        while !info.ends_with(b"\n") {
            let n = sock
                .read(&mut chunk)
                .map_err(|e| format!("read INFO from {addr}: {e}"))?;
            if n == 0 {
                return Err(format!("{addr} closed before its INFO"));
            }
            info.extend_from_slice(&chunk[..n]);
            if info.len() > 1 << 20 {
                return Err(format!("{addr}: INFO line longer than 1 MiB"));
            }
        }
        let text = String::from_utf8_lossy(&info);
        if !text.starts_with("INFO ")
            || !(text.contains("\"tls_required\":true") || text.contains("\"tls_available\":true"))
        {
            return Err(format!(
                "--tls: {addr} does not offer TLS: {}",
                text.trim_end()
            ));
        }
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("TLS server name {host:?}: {e}"))?;
        let mut conn = ClientConnection::new(config.clone(), name)
            .map_err(|e| format!("TLS to {addr}: {e}"))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)
                .map_err(|e| format!("TLS handshake with {addr}: {e}"))?;
        }
        Ok((
            Conn::Tls(Box::new(rustls::StreamOwned::new(conn, sock))),
            info,
        ))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(t) => t.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(t) => t.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.write_all(buf),
            Conn::Tls(t) => {
                t.write_all(buf)?;
                // rustls holds records it could not send yet: push them out now, so a
                // PING written by a caller that then waits for its PONG is on the wire.
                t.flush()
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(t) => t.flush(),
        }
    }
}
