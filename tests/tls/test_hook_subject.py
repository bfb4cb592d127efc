"""The Python auth hook sees the TLS client certificate's subject (fastnats only: nats-server
has no Python hooks)."""

from __future__ import annotations

from typing import Any

import nats
import pytest
from fastnats.pytest_plugin import ServerFactory

from .conftest import Certs

pytestmark = pytest.mark.asyncio


async def test_auth_hook_gets_the_client_certificate_subject(
    certs: Certs, fastnats_server_factory: ServerFactory
) -> None:
    seen: list[Any] = []

    def hook(info: dict[str, Any]) -> bool:
        seen.append(info["tls_subject"])
        return info["tls_subject"] is not None

    server = fastnats_server_factory(tls=certs.tls(verify=True), auth=hook)
    nc = await nats.connect(
        f"tls://127.0.0.1:{server.port}", tls=certs.client(cert="client"), connect_timeout=5
    )
    await nc.flush()
    await nc.close()
    assert len(seen) == 1 and seen[0]
    # The same attributes the certificate's subject holds (order aside: RFC 4514 text lists
    # them in reverse).
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(certs.client_cert.read_bytes())
    expected = {a.rfc4514_string() for a in cert.subject}
    assert {part.strip() for part in seen[0].split(",")} == expected


async def test_auth_hook_gets_no_subject_without_a_client_certificate(
    certs: Certs, fastnats_server_factory: ServerFactory
) -> None:
    seen: list[Any] = []

    def hook(info: dict[str, Any]) -> bool:
        seen.append(info["tls_subject"])
        return True

    server = fastnats_server_factory(tls=certs.tls(), auth=hook)
    nc = await nats.connect(f"tls://127.0.0.1:{server.port}", tls=certs.client(), connect_timeout=5)
    await nc.flush()
    await nc.close()
    assert seen == [None]
