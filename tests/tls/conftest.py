"""Certificates for the TLS tests, made with ``trustme`` once per session.

* ``ca`` signs the server certificate (``localhost`` and ``127.0.0.1``) and a client
  certificate (``client@example.com``);
* ``other_ca`` signs a second server certificate (to swap certificates on reload) and a
  client certificate the first CA does not vouch for.

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

    def tls(self, **extra: Any) -> dict[str, Any]:
        """The ``tls`` option with the server certificate; ``verify=True`` adds the CA."""
        out: dict[str, Any] = {"cert_file": str(self.server_cert), "key_file": str(self.server_key)}
        if extra.get("verify"):
            out["ca_file"] = str(self.ca)
        out.update(extra)
        return out

    def client(self, *, trust: Path | None = None, cert: str | None = None) -> ssl.SSLContext:
        """A client context trusting ``trust`` (default: ``ca``); ``cert`` is ``"client"``
        (signed by ``ca``), ``"other"`` (signed by ``other_ca``) or None (no certificate)."""
        ctx = ssl.create_default_context(cafile=str(trust or self.ca))
        if cert == "client":
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
    )
