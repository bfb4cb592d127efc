"""Certificates for the TLS tests, made with ``trustme`` once per session.

* ``ca`` signs the server certificate (``localhost`` and ``127.0.0.1``) and a client
  certificate (``client@example.com``);
* ``other_ca`` signs a second server certificate (to swap certificates on reload) and a
  client certificate the first CA does not vouch for;
* ``ca`` also signs the client certificates ``verify_and_map`` tests map to users
  (:attr:`Certs.mapped`): ``dns`` (SAN ``alice.example.com``, subject
  ``CN=alice,OU=Eng,O=Acme``), ``dc`` (no SAN; subject with domain components,
  ``CN=carol,O=Acme,DC=example,DC=com``) and ``mail`` (no SAN; subject ``CN=dave,O=Acme``
  plus an ``emailAddress`` attribute). Keys are generated here, never stored in the
  repository.

:class:`Certs` also builds the ``tls`` option (``certs.tls(verify=True, ...)``, with string
paths so the same dict configures fastnats and, written as JSON, nats-server) and client
``ssl.SSLContext`` objects.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

trustme = pytest.importorskip("trustme", reason="the TLS tests generate certificates with trustme")


@dataclass(frozen=True)
class Certs:
    dir: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    other_server_cert: Path
    other_server_key: Path
    other_client_cert: Path
    other_client_key: Path
    mapped: dict[str, tuple[Path, Path]]
    """Name -> (certificate, key) of the certificates above that ``verify_and_map`` maps."""

    def tls(self, **extra: Any) -> dict[str, Any]:
        """The ``tls`` option with the server certificate; ``verify=True`` adds the CA."""
        out: dict[str, Any] = {"cert_file": str(self.server_cert), "key_file": str(self.server_key)}
        if extra.get("verify"):
            out["ca_file"] = str(self.ca)
        out.update(extra)
        return out

    def client(self, *, trust: Path | None = None, cert: str | None = None) -> ssl.SSLContext:
        """A client context trusting ``trust`` (default: ``ca``); ``cert`` is ``"client"``
        (signed by ``ca``), ``"other"`` (signed by ``other_ca``), a name of :attr:`mapped`,
        or None (no certificate)."""
        ctx = ssl.create_default_context(cafile=str(trust or self.ca))
        if cert in self.mapped:
            ctx.load_cert_chain(*(str(p) for p in self.mapped[cert]))
        elif cert == "client":
            ctx.load_cert_chain(str(self.client_cert), str(self.client_key))
        elif cert == "other":
            ctx.load_cert_chain(str(self.other_client_cert), str(self.other_client_key))
        return ctx


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    d = tmp_path_factory.mktemp("tls-certs")
    ca, other = trustme.CA(), trustme.CA()

    def write(name: str, blob: Any) -> Path:
        path = d / name
        blob.write_to_path(str(path))
        return path

    mapped = {
        "dns": write_pair(
            d,
            "dns",
            ca.issue_cert(
                "alice.example.com",
                common_name="alice",
                organization_name="Acme",
                organization_unit_name="Eng",
            ),
        ),
        "dc": _signed_by(
            ca, d, "dc", [("DC", "com"), ("DC", "example"), ("O", "Acme"), ("CN", "carol")]
        ),
        "mail": _signed_by(
            ca, d, "mail", [("O", "Acme"), ("CN", "dave"), ("emailAddress", "dave@acme.test")]
        ),
    }
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("client@example.com")
    other_server = other.issue_cert("localhost", "127.0.0.1")
    other_client = other.issue_cert("intruder@example.com")
    return Certs(
        dir=d,
        ca=write("ca.pem", ca.cert_pem),
        server_cert=write("server-cert.pem", server.cert_chain_pems[0]),
        server_key=write("server-key.pem", server.private_key_pem),
        client_cert=write("client-cert.pem", client.cert_chain_pems[0]),
        client_key=write("client-key.pem", client.private_key_pem),
        other_ca=write("other-ca.pem", other.cert_pem),
        other_server_cert=write("other-server-cert.pem", other_server.cert_chain_pems[0]),
        other_server_key=write("other-server-key.pem", other_server.private_key_pem),
        other_client_cert=write("other-client-cert.pem", other_client.cert_chain_pems[0]),
        other_client_key=write("other-client-key.pem", other_client.private_key_pem),
        mapped=mapped,
    )


def write_pair(d: Path, name: str, leaf: Any) -> tuple[Path, Path]:
    cert, key = d / f"{name}-cert.pem", d / f"{name}-key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    return cert, key


def _signed_by(ca: Any, d: Path, name: str, subject: list[tuple[str, str]]) -> tuple[Path, Path]:
    """A client certificate with exactly ``subject`` (RDNs in this order, first is the
    outermost) and no SAN, signed by the trustme ``ca``: trustme can not write domain
    components or e-mail attributes."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    oids = {
        "DC": NameOID.DOMAIN_COMPONENT,
        "O": NameOID.ORGANIZATION_NAME,
        "CN": NameOID.COMMON_NAME,
        "emailAddress": NameOID.EMAIL_ADDRESS,
    }
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(oids[t], v) for t, v in subject]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_path, key_path = d / f"{name}-cert.pem", d / f"{name}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
