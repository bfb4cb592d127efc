"""The ``tls { }`` block of config files -> the ``tls`` option, and the same file checked by
``nats-server -t``: both accept it, or both refuse it with the same message (positions
aside), or fastnats refuses what it can not honour, naming the key and its line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastnats.conf import ConfigError, load_config

from ..conftest import reference_server

CERT = "server-cert.pem"
KEY = "server-key.pem"
CA = "ca.pem"
FILES = f"cert_file: {CERT}, key_file: {KEY}"
BASE = {"cert_file": CERT, "key_file": KEY}

# (block contents, the tls option fastnats makes of it)
VALID: list[tuple[str, dict[str, Any]]] = [
    (FILES, BASE),
    (f'{FILES}, timeout: "1s"', {**BASE, "timeout": 1.0}),
    (f'{FILES}, timeout: "1m30s"', {**BASE, "timeout": 90.0}),
    (f"{FILES}, timeout: 2", {**BASE, "timeout": 2.0}),
    (f"{FILES}, timeout: 0.25", {**BASE, "timeout": 0.25}),
    (f"{FILES}, timeout: 0", BASE),  # the default
    (f'{FILES}, timeout: "0s"', BASE),
    (f"{FILES}, ca_file: {CA}, verify: true", {**BASE, "ca_file": CA, "verify": True}),
    (f"{FILES}, ca_file: {CA}", {**BASE, "ca_file": CA}),
    (
        f"{FILES}, ca_file: {CA}, verify_and_map: true",
        {**BASE, "ca_file": CA, "verify_and_map": True},
    ),
    (f'{FILES}, ca_file: ""', BASE),
    (f"{FILES}, verify: false", {**BASE, "verify": False}),
    (f"{FILES}, handshake_first: true", {**BASE, "handshake_first": True}),
    (f"{FILES}, handshake_first: false", {**BASE, "handshake_first": False}),
    (f"{FILES}, first: on", {**BASE, "handshake_first": True}),
    (f"{FILES}, immediate: yes", {**BASE, "handshake_first": True}),
    (f'{FILES}, handshake_first: "0s"', {**BASE, "handshake_first": True}),  # no fallback
    (f'{FILES}, handshake_first: "off"', {**BASE, "handshake_first": False}),
    (f"Cert_File: {CERT}, KEY_FILE: {KEY}, Timeout: 1", {**BASE, "timeout": 1.0}),
    (f"cert_file: {CA}, {FILES}", BASE),  # the later key wins
    # settings that switch an unsupported feature off are harmless
    (f"{FILES}, insecure: false, verify_and_map: false, pinned_certs: []", BASE),
    (f'{FILES}, min_version: "1.2", connection_rate_limit: 0, ocsp_peer: false', BASE),
    (f"{FILES}, certs: [], ca_certs_match: [], ocsp_peer: {{}}", BASE),
]

# (block contents, the message both servers give)
INVALID_ON_BOTH: list[tuple[str, str]] = [
    (
        f'{FILES}, timeout: "abc"',
        "error parsing tls config, 'timeout' time: invalid duration \"abc\"",
    ),
    (f"{FILES}, timeout: true", "error parsing tls config, 'timeout' wrong type"),
    (f'{FILES}, verify: "yes"', "error parsing tls config, expected 'verify' to be a boolean"),
    (f"{FILES}, verify: 1", "error parsing tls config, expected 'verify' to be a boolean"),
    (
        f"{FILES}, verify_and_map: 1",
        "error parsing tls config, expected 'verify_and_map' to be a boolean",
    ),
    (f"{FILES}, foo: 1", 'error parsing tls config, unknown field "foo"'),
    (
        f"{FILES}, handshake_first_fallback: 1s",
        'error parsing tls config, unknown field "handshake_first_fallback"',
    ),
    (f"cert_file: {CERT}", "missing 'key_file' in TLS configuration"),
    (f"key_file: {KEY}", "missing 'cert_file' in TLS configuration"),
    (f'{FILES}, cert_file: ""', "missing 'cert_file' in TLS configuration"),
    (
        f"cert_file: 5, key_file: {KEY}",
        "error parsing tls config, expected 'cert_file' to be filename",
    ),
    (f'{FILES}, handshake_first: "abc"', 'field "handshake_first"\'s value "abc" is invalid'),
    (f"{FILES}, first: 3", 'field "first" should be a boolean or a string, got int64'),
    (f"{FILES}, cipher_suites: []", "error parsing tls config, 'cipher_suites' cannot be empty"),
    (
        f"{FILES}, curve_preferences: []",
        "error parsing tls config, 'curve_preferences' cannot be empty",
    ),
    (
        f"{FILES}, verify_cert_and_check_known_urls: true",
        "verify_cert_and_check_known_urls not supported in this context",
    ),
]

# (block contents, fastnats' message; nats-server accepts these)
REFUSED_BY_FASTNATS: list[tuple[str, str]] = [
    ("", "missing 'cert_file' and 'key_file' in TLS configuration"),
    (f"{FILES}, timeout: -1", "error parsing tls config, 'timeout' -1 is negative"),
    (f"{FILES}, verify: true", "tls verify needs a ca_file in fastnats"),
    (f'{FILES}, handshake_first: "auto"', '"handshake_first: auto" is not supported by fastnats'),
    (f'{FILES}, first: "300ms"', '"first: 300ms" is not supported by fastnats'),
    (
        f"{FILES}, cipher_suites: [TLS_AES_128_GCM_SHA256]",
        '"cipher_suites" in tls is not supported',
    ),
    (f"{FILES}, curve_preferences: [X25519]", '"curve_preferences" in tls is not supported'),
    (f'{FILES}, min_version: "1.3"', '"min_version" in tls is not supported'),
    (f"{FILES}, verify_and_map: true", "tls verify needs a ca_file in fastnats"),
    (f"{FILES}, insecure: true", '"insecure" in tls is not supported'),
    (f"{FILES}, ocsp_peer: true", '"ocsp_peer" in tls is not supported'),
    (f"{FILES}, connection_rate_limit: 5", '"connection_rate_limit" in tls is not supported'),
    (f'{FILES}, cert_match_by: "Subject"', '"cert_match_by" in tls is not supported'),
]

POSITION = re.compile(r"^(?:nats-server: )?(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")


@pytest.fixture
def conf_dir(certs: Any, tmp_path: Path) -> Path:
    """A directory with the certificates under their plain names (relative paths)."""
    for name, path in ((CERT, certs.server_cert), (KEY, certs.server_key), (CA, certs.ca)):
        (tmp_path / name).write_bytes(path.read_bytes())
    return tmp_path


def write(conf_dir: Path, contents: str, name: str = "t.conf") -> Path:
    path = conf_dir / name
    path.write_text(f"port: -1\ntls {{ {contents} }}\n")
    return path


def reference_check(conf: Path) -> subprocess.CompletedProcess[str]:
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server")
    return subprocess.run(
        [ref[0], "-t", "-c", conf.name],
        cwd=conf.parent,
        capture_output=True,
        text=True,
        timeout=20,
    )


@pytest.mark.parametrize(("contents", "expected"), VALID, ids=[c for c, _ in VALID])
def test_valid_blocks(conf_dir, contents, expected):
    conf = write(conf_dir, contents)
    assert load_config(conf).server["tls"] == expected


@pytest.mark.parametrize(("contents", "expected"), VALID, ids=[c for c, _ in VALID])
def test_valid_blocks_are_valid_for_nats_server(conf_dir, contents, expected):
    r = reference_check(write(conf_dir, contents))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    ("contents", "message"), INVALID_ON_BOTH, ids=[c for c, _ in INVALID_ON_BOTH]
)
def test_invalid_blocks(conf_dir, contents, message):
    conf = write(conf_dir, contents)
    with pytest.raises(ConfigError) as info:
        load_config(conf)
    assert info.value.message == message
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("contents", "message"), INVALID_ON_BOTH, ids=[c for c, _ in INVALID_ON_BOTH]
)
def test_invalid_blocks_are_invalid_for_nats_server_with_the_same_message(
    conf_dir, contents, message
):
    r = reference_check(write(conf_dir, contents))
    assert r.returncode == 1
    m = POSITION.match(r.stderr.strip().splitlines()[0])
    assert m is not None, r.stderr
    assert m["msg"] == message and m["line"] == "2"


@pytest.mark.parametrize(
    ("contents", "message"), REFUSED_BY_FASTNATS, ids=[c or "empty" for c, _ in REFUSED_BY_FASTNATS]
)
def test_what_fastnats_refuses(conf_dir, contents, message):
    conf = write(conf_dir, contents)
    with pytest.raises(ConfigError) as info:
        load_config(conf)
    assert info.value.message.startswith(message)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{conf}:2:")


@pytest.mark.parametrize(
    ("contents", "message"), REFUSED_BY_FASTNATS, ids=[c or "empty" for c, _ in REFUSED_BY_FASTNATS]
)
def test_what_fastnats_refuses_nats_server_accepts(conf_dir, contents, message):
    r = reference_check(write(conf_dir, contents))
    assert r.returncode == 0, r.stderr


def test_every_problem_is_reported(conf_dir):
    conf = write(conf_dir, f"{FILES}, verify: 1, timeout: x, cipher_suites: [a]")
    with pytest.raises(ConfigError) as info:
        load_config(conf)
    assert [e.message.split(",")[0] for e in info.value.errors] == [
        "error parsing tls config",
        "error parsing tls config",
        '"cipher_suites" in tls is not supported by fastnats (cipher suite selection)',
    ]


@pytest.mark.parametrize("value", ["1", "true", '"x"', "[a]"])
def test_tls_must_be_a_map(conf_dir, value):
    conf = conf_dir / "m.conf"
    conf.write_text(f"tls: {value}\n")
    with pytest.raises(ConfigError, match='invalid value for "tls": expected a map'):
        load_config(conf)


def test_variables_inside_the_block(conf_dir):
    conf = conf_dir / "v.conf"
    conf.write_text(f'CERT: "{CERT}"\ntls {{\n  cert_file: $CERT\n  key_file: {KEY}\n}}\n')
    assert load_config(conf).server["tls"] == BASE


@pytest.mark.parametrize("value", ["false", "no"])
def test_allow_non_tls_off_is_harmless(conf_dir, value):
    conf = conf_dir / "a.conf"
    conf.write_text(f"tls {{ {FILES} }}\nallow_non_tls: {value}\n")
    assert load_config(conf).server["tls"] == BASE
