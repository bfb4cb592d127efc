"""The ``tls`` option of the Python API: start-up errors, reload, and what /varz shows (the
last one next to nats-server)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import fastnats
import pytest

from ..wire.proto import PONG, dial
from .tlswire import CONNECT_PING, handshake_fails, tls_dial

pytestmark = pytest.mark.timeout(60)


def start(**options: Any) -> fastnats.Server:
    return fastnats.Server(host="127.0.0.1", port=0, **options).start()


def address(srv: fastnats.Server) -> tuple[str, int]:
    return ("127.0.0.1", srv.port)


# --------------------------------------------------------------------------------------
# Start-up errors name the file
# --------------------------------------------------------------------------------------


def bad_options(certs: Any, tmp_path: Path) -> list[tuple[str, dict[str, Any], str]]:
    missing = str(tmp_path / "missing.pem")
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    tls = certs.tls()
    return [
        ("missing-cert", {**tls, "cert_file": missing}, f"certificate file {missing}"),
        ("missing-key", {**tls, "key_file": missing}, f"key file {missing}"),
        ("cert-is-a-key", {**tls, "cert_file": tls["key_file"]}, tls["key_file"]),
        ("key-is-a-cert", {**tls, "key_file": tls["cert_file"]}, tls["cert_file"]),
        ("empty-cert", {**tls, "cert_file": str(empty)}, str(empty)),
        (
            "mismatched-pair",
            {**tls, "key_file": str(certs.client_key)},
            "do not form a usable pair",
        ),
        ("missing-ca", {**tls, "verify": True, "ca_file": missing}, f"CA file {missing}"),
        ("ca-is-a-key", {**tls, "verify": True, "ca_file": tls["key_file"]}, tls["key_file"]),
        # nats-server reads the CA file even without verify, and fails on a bad one
        ("missing-ca-no-verify", {**tls, "ca_file": missing}, f"CA file {missing}"),
        ("verify-without-ca", {**tls, "verify": True}, "ca_file"),
        ("negative-timeout", {**tls, "timeout": -1}, "negative"),
        ("no-key", {"cert_file": tls["cert_file"]}, "key_file"),
    ]


@pytest.mark.parametrize(
    "case",
    [
        "missing-cert",
        "missing-key",
        "cert-is-a-key",
        "key-is-a-cert",
        "empty-cert",
        "mismatched-pair",
        "missing-ca",
        "ca-is-a-key",
        "missing-ca-no-verify",
        "verify-without-ca",
        "negative-timeout",
        "no-key",
    ],
)
def test_unusable_settings_raise_value_error_naming_the_file(certs, tmp_path, case):
    cases = {name: (tls, text) for name, tls, text in bad_options(certs, tmp_path)}
    tls, text = cases[case]
    with pytest.raises(ValueError) as info:
        fastnats.Server(host="127.0.0.1", port=0, tls=tls)
    assert text in str(info.value)
    assert "\n" not in str(info.value)


def test_tls_must_be_a_dict():
    with pytest.raises(fastnats.ConfigError, match="^tls: must be a dict .* not 'cert.pem'$"):
        fastnats.Server(port=0, tls="cert.pem")


def test_paths_and_durations_in_python_form(certs, fastnats_server_factory):
    tls = {
        "cert_file": certs.server_cert,  # a Path
        "key_file": certs.server_key,
        "timeout": "750ms",  # a Go duration string, as in config files
    }
    srv = fastnats_server_factory(tls=tls)
    assert srv._native.config()["tls"]["timeout"] == 0.75
    with tls_dial(address(srv), certs.client()) as c:
        c.send(CONNECT_PING)
        c.expect(PONG)


def test_timeout_zero_means_the_default(certs, fastnats_server_factory):
    srv = fastnats_server_factory(tls=certs.tls(timeout=0))
    assert srv._native.config()["tls"]["timeout"] == 2.0


def test_explicit_auth_timeout_is_kept(certs, fastnats_server_factory):
    srv = fastnats_server_factory(tls=certs.tls(), authorization={"token": "t", "timeout": 5})
    assert srv._native.config()["authorization"]["timeout"] == 5.0


# --------------------------------------------------------------------------------------
# Reload
# --------------------------------------------------------------------------------------


def test_reload_swaps_the_certificate_for_new_connections(certs):
    srv = start(tls=certs.tls())
    try:
        old = tls_dial(address(srv), certs.client())
        old.send(CONNECT_PING)
        old.expect(PONG)
        srv.reload(
            host="127.0.0.1",
            port=0,
            tls={
                "cert_file": str(certs.other_server_cert),
                "key_file": str(certs.other_server_key),
            },
        )
        # new connections get the new certificate ...
        with tls_dial(address(srv), certs.client(trust=certs.other_ca)) as c:
            c.send(CONNECT_PING)
            c.expect(PONG)
        with dial(address(srv)) as c:
            c.read_line()
            handshake_fails(c, certs.client())
        # ... and the connection made before the reload goes on
        old.ping_pong()
        old.close()
    finally:
        srv.stop()


def test_reload_turns_tls_on_and_off(certs):
    srv = start()
    try:
        plain = dial(address(srv))
        assert "tls_required" not in plain.read_info()
        plain.send(CONNECT_PING)
        plain.expect(PONG)
        srv.reload(host="127.0.0.1", port=0, tls=certs.tls(verify=True))
        with dial(address(srv)) as c:
            info = c.read_info()
            assert info["tls_required"] is True and info["tls_verify"] is True
        with tls_dial(address(srv), certs.client(cert="client")) as c:
            c.send(CONNECT_PING)
            c.expect(PONG)
        plain.ping_pong()  # existing plain clients stay
        srv.reload(tls=None)
        with dial(address(srv)) as c:
            assert "tls_required" not in c.read_info()
            c.send(CONNECT_PING)
            c.expect(PONG)
        plain.close()
    finally:
        srv.stop()


def test_a_failed_reload_keeps_the_old_certificate(certs, tmp_path):
    srv = start(tls=certs.tls())
    try:
        with pytest.raises(ValueError, match="missing.pem"):
            srv.reload(
                host="127.0.0.1", port=0, tls=certs.tls(cert_file=str(tmp_path / "missing.pem"))
            )
        with dial(address(srv)) as c:
            assert c.read_info()["tls_required"] is True
        with tls_dial(address(srv), certs.client()) as c:
            c.send(CONNECT_PING)
            c.expect(PONG)
    finally:
        srv.stop()


# --------------------------------------------------------------------------------------
# /varz
# --------------------------------------------------------------------------------------

_VARZ_TLS_FIELDS = ("tls_required", "tls_verify", "tls_timeout", "auth_timeout")


@pytest.mark.parametrize(
    "tls",
    [None, {"timeout": 0.5}, {"verify": True}],
    ids=["off", "timeout", "verify"],
)
def test_varz_tls_fields(start_server, certs, tls):
    options: dict[str, Any] = {"http_port": -1}
    if tls is not None:
        options["tls"] = certs.tls(**tls)
    srv = start_server(**options)
    url = f"http://127.0.0.1:{srv.http_port}/varz"
    with urllib.request.urlopen(url, timeout=5) as r:
        text = r.read().decode()
    varz = json.loads(text)
    got = {k: varz[k] for k in _VARZ_TLS_FIELDS if k in varz}
    expected: dict[str, Any] = {"tls_timeout": 2, "auth_timeout": 2}
    if tls is not None:
        expected["tls_required"] = True
        expected["tls_timeout"] = tls.get("timeout", 2)
        expected["auth_timeout"] = expected["tls_timeout"] + 1
        if tls.get("verify"):
            expected["tls_verify"] = True
    assert got == expected
    keys = list(varz)
    if tls is not None:
        assert keys.index("tls_required") == keys.index("port") + 1
