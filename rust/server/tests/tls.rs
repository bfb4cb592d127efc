//! TLS timers in virtual time: a client that never starts TLS is closed silently after the
//! TLS timeout (INFO first, or nothing at all with `handshake_first`); after a handshake the
//! auth timer starts. A throwaway self-signed certificate is generated per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use fastnats_server::auth::AuthConfig;
use fastnats_server::tls::TlsConfig;
use fastnats_server::Config;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

const SLACK: Duration = Duration::from_millis(50);

/// A certificate for `localhost` and its key, written to a fresh directory.
struct Cert {
    dir: PathBuf,
    pem: String,
}

impl Cert {
    fn new() -> Cert {
        static N: AtomicUsize = AtomicUsize::new(0);
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "fastnats-etests-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = ck.cert.pem();
        std::fs::write(dir.join("cert.pem"), &pem).unwrap();
        std::fs::write(dir.join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
        Cert { dir, pem }
    }

    fn tls(&self, timeout: Duration, handshake_first: bool) -> TlsConfig {
        TlsConfig {
            cert_file: self.dir.join("cert.pem"),
            key_file: self.dir.join("key.pem"),
            timeout,
            handshake_first,
            ..TlsConfig::default()
        }
    }

    /// A TLS client trusting this certificate.
    fn connector(&self) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

impl Drop for Cert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_starts_tls_is_closed_silently_after_the_timeout() {
    let cert = Cert::new();
    let engine = start(Config {
        tls: Some(cert.tls(Duration::from_millis(500), false)),
        ..config()
    })
    .await;
    let mut c = Client::new(&engine).await;
    assert_eq!(c.info["tls_required"], true);
    assert!(c.info.get("tls_verify").is_none());
    c.expect_silence(Duration::from_millis(500) - SLACK).await;
    c.expect_closed_within(2 * SLACK).await;
    assert_eq!(
        closed_conn(&engine, c.cid()).await.reason,
        Some("TLS Handshake Failure")
    );
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn handshake_first_sends_nothing_in_clear_and_closes_after_the_timeout() {
    let cert = Cert::new();
    let engine = start(Config {
        tls: Some(cert.tls(Duration::from_millis(500), true)),
        ..config()
    })
    .await;
    let mut c = Client::dial(engine.local_addr()).await;
    c.expect_silence(Duration::from_millis(500) - SLACK).await;
    c.expect_closed_within(2 * SLACK).await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_default_tls_timeout_is_two_seconds() {
    let cert = Cert::new();
    let engine = start(Config {
        tls: Some(TlsConfig {
            timeout: TlsConfig::default().timeout,
            ..cert.tls(Duration::ZERO, false)
        }),
        ..config()
    })
    .await;
    let mut c = Client::new(&engine).await;
    c.expect_silence(Duration::from_secs(2) - SLACK).await;
    c.expect_closed_within(2 * SLACK).await;
    engine.shutdown().await;
}

/// Connects, reads INFO in clear, and upgrades to TLS.
async fn tls_client(
    engine: &fastnats_server::Engine,
    cert: &Cert,
) -> Client<tokio_rustls::client::TlsStream<TcpStream>> {
    let plain = Client::new(engine).await;
    assert_eq!(plain.info["tls_required"], true);
    let info = plain.info.clone();
    let stream = cert
        .connector()
        .connect(ServerName::try_from("localhost").unwrap(), plain.stream)
        .await
        .expect("TLS handshake");
    let mut c = Client::over(stream);
    c.info = info;
    c
}

#[tokio::test(start_paused = true)]
async fn a_tls_client_is_served() {
    let cert = Cert::new();
    let engine = start(Config {
        tls: Some(cert.tls(Duration::from_millis(500), false)),
        ..config()
    })
    .await;
    let mut c = tls_client(&engine, &cert).await;
    c.connect(CONNECT).await;
    c.send(b"SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n").await;
    c.expect(b"MSG foo 1 2\r\nhi\r\nPONG\r\n").await;
    // Well past the TLS timeout: the handshake is done, nothing closes the client (the
    // keep-alive's first PING comes).
    c.answer_first_ping().await;
    c.expect_silence(Duration::from_secs(3)).await;
    c.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_auth_timer_runs_after_the_tls_handshake() {
    let cert = Cert::new();
    let engine = start(Config {
        tls: Some(cert.tls(Duration::from_millis(500), false)),
        auth: AuthConfig {
            token: Some("t0k3n".into()),
            timeout: Duration::from_millis(1500),
            ..AuthConfig::default()
        },
        ..config()
    })
    .await;
    let mut c = tls_client(&engine, &cert).await;
    assert_eq!(c.info["auth_required"], true);
    c.expect_silence(Duration::from_millis(1500) - SLACK).await;
    c.expect_within(2 * SLACK, &err("Authentication Timeout"))
        .await;
    c.expect_closed().await;

    let mut ok = tls_client(&engine, &cert).await;
    ok.connect(r#"{"verbose":false,"auth_token":"t0k3n"}"#)
        .await;
    ok.answer_first_ping().await;
    ok.expect_silence(Duration::from_secs(3)).await;
    ok.sync().await;
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn plain_text_on_a_tls_port_is_closed_at_once() {
    let cert = Cert::new();
    let engine = start(Config {
        tls: Some(cert.tls(Duration::from_millis(500), false)),
        ..config()
    })
    .await;
    let mut c = Client::new(&engine).await;
    c.send(b"CONNECT {\"verbose\":false}\r\nPING\r\n").await;
    // Well before the TLS timeout: the handshake fails on the first bytes.
    let got = tokio::time::timeout(SLACK, c.until_closed())
        .await
        .expect("closed before the TLS timeout");
    // At most a TLS alert record (0x15), never a protocol reply in clear.
    assert!(got.is_empty() || got[0] == 0x15, "{got:?}");
    assert_eq!(
        closed_conn(&engine, c.cid()).await.reason,
        Some("TLS Handshake Failure")
    );
    engine.shutdown().await;
}
