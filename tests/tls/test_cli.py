"""TLS from config files and ``--tls*`` flags, ``fastnats`` and ``nats-server`` run side by
side as processes with the same arguments: clients (nats-py and raw), start-up errors, log
lines and reloads."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from ..dropin.procs import Proc, run, served
from ..wire.proto import PONG, dial
from .test_nats_py import fails, works
from .tlswire import CONNECT_PING, closed_after, handshake_fails, tls_dial

pytestmark = pytest.mark.timeout(60)

LISTEN = ["-a", "127.0.0.1", "-p", "-1"]


class Address:
    """What the nats-py helpers need of a server."""

    def __init__(self, proc: Proc) -> None:
        self.host, self.port = proc.address


def tls_block(**values: Any) -> str:
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = str(value)
        else:
            text = f'"{value}"'
        lines.append(f"  {key}: {text}")
    return "tls {\n" + "\n".join(lines) + "\n}\n"


def write_conf(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def server_files(certs: Any) -> dict[str, str]:
    return {"cert_file": str(certs.server_cert), "key_file": str(certs.server_key)}


# --------------------------------------------------------------------------------------
# Config files
# --------------------------------------------------------------------------------------


async def test_config_file_tls_block(server_kind, certs, tmp_path):
    conf = write_conf(tmp_path / "tls.conf", tls_block(**server_files(certs), timeout="1s"))
    with served(*LISTEN, "-c", conf, kind=server_kind) as s:
        await works(Address(s), certs.client())


async def test_config_file_verify(server_kind, certs, tmp_path):
    block = tls_block(**server_files(certs), ca_file=str(certs.ca), verify=True)
    conf = write_conf(tmp_path / "verify.conf", block)
    with served(*LISTEN, "-c", conf, kind=server_kind) as s:
        await works(Address(s), certs.client(cert="client"))
        await fails(Address(s), certs.client())
        await fails(Address(s), certs.client(cert="other"))


async def test_config_file_handshake_first(server_kind, certs, tmp_path):
    block = tls_block(**server_files(certs), handshake_first=True)
    conf = write_conf(tmp_path / "first.conf", block)
    with served(*LISTEN, "-c", conf, kind=server_kind) as s:
        await works(Address(s), certs.client(), tls_handshake_first=True)


async def test_relative_paths_are_relative_to_the_working_directory(server_kind, certs, tmp_path):
    block = tls_block(cert_file="server-cert.pem", key_file="server-key.pem")
    conf = write_conf(tmp_path / "relative.conf", block)
    with served(*LISTEN, "-c", conf, kind=server_kind, cwd=certs.dir) as s:
        await works(Address(s), certs.client())
    # ... not to the config file's directory
    beside = write_conf(certs.dir / f"beside-{server_kind}.conf", block)
    r = run(*LISTEN, "-c", beside, kind=server_kind, cwd=tmp_path)
    assert r.returncode == 1
    assert "server-cert.pem" in r.stderr


@pytest.mark.parametrize("timeout", ["500ms", "0.5"], ids=["duration", "seconds"])
def test_tls_timeout_from_the_file(server_kind, certs, tmp_path, timeout):
    value: Any = float(timeout) if timeout == "0.5" else timeout
    conf = write_conf(tmp_path / "t.conf", tls_block(**server_files(certs), timeout=value))
    with served(*LISTEN, "-c", conf, kind=server_kind) as s:
        with dial(s.address) as c:
            c.read_info()
            # Closed by the TLS timeout; when, is the Rust test
            # tls::a_client_that_never_starts_tls_is_closed_silently_after_the_timeout (the
            # file's value is parsed in tests/tls/test_config.py).
            assert closed_after(c)[0] == b""


def test_user_and_password_with_tls_from_the_file(server_kind, certs, tmp_path):
    text = tls_block(**server_files(certs)) + "authorization { user: alice, password: s3cr3t }\n"
    conf = write_conf(tmp_path / "auth.conf", text)
    with served(*LISTEN, "-c", conf, kind=server_kind) as s:
        with tls_dial(s.address, certs.client()) as c:
            assert c.info_line.startswith(b"INFO ")
            c.send(b'CONNECT {"verbose":false,"user":"alice","pass":"s3cr3t"}\r\nPING\r\n')
            c.expect(PONG)
        with tls_dial(s.address, certs.client()) as c:
            c.send(b'CONNECT {"verbose":false,"user":"alice","pass":"x"}\r\nPING\r\n')
            c.expect_err_and_close("Authorization Violation")


# --------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------


async def test_tls_flags(server_kind, certs):
    files = ["--tlscert", str(certs.server_cert), "--tlskey", str(certs.server_key)]
    with served(*LISTEN, "--tls", *files, kind=server_kind) as s:
        await works(Address(s), certs.client())


async def test_tlsverify_flags(server_kind, certs):
    files = ["--tlscert", str(certs.server_cert), "--tlskey", str(certs.server_key)]
    args = [*LISTEN, "--tlsverify", *files, "--tlscacert", str(certs.ca)]
    with served(*args, kind=server_kind) as s:
        with dial(s.address) as c:
            assert c.read_info()["tls_verify"] is True
        await works(Address(s), certs.client(cert="client"))
        await fails(Address(s), certs.client())


async def test_tlscacert_without_tlsverify_does_not_ask_for_client_certificates(server_kind, certs):
    files = ["--tlscert", str(certs.server_cert), "--tlskey", str(certs.server_key)]
    with served(*LISTEN, *files, "--tlscacert", str(certs.ca), kind=server_kind) as s:
        with dial(s.address) as c:
            assert "tls_verify" not in c.read_info()
        await works(Address(s), certs.client())


def test_flags_replace_the_file_but_keep_its_timeout_and_handshake_first(
    server_kind, certs, tmp_path
):
    """The file names the client's pair (a server certificate clients would not accept) and
    verify; the flags name the server's pair. nats-server then uses the flags' files, no
    verify, and the file's ``timeout`` and ``handshake_first``."""
    block = tls_block(
        cert_file=str(certs.client_cert),
        key_file=str(certs.client_key),
        ca_file=str(certs.ca),
        verify=True,
        timeout=0.5,
        handshake_first=True,
    )
    conf = write_conf(tmp_path / "over.conf", block)
    files = ["--tlscert", str(certs.server_cert), "--tlskey", str(certs.server_key)]
    with served(*LISTEN, "-c", conf, *files, kind=server_kind) as s:
        with tls_dial(s.address, certs.client(), handshake_first=True) as c:
            assert "tls_verify" not in (c.info or {})
            c.send(CONNECT_PING)
            c.expect(PONG)
        with dial(s.address) as c:
            # Nothing in clear, then closed by the TLS timeout; when, is the Rust test
            # tls::handshake_first_sends_nothing_in_clear_and_closes_after_the_timeout.
            assert closed_after(c)[0] == b""


def test_tls_false_switches_off_the_files_tls(server_kind, certs, tmp_path):
    conf = write_conf(tmp_path / "off.conf", tls_block(**server_files(certs)))
    with served(*LISTEN, "-c", conf, "--tls=false", kind=server_kind) as s:
        with dial(s.address) as c:
            assert "tls_required" not in c.read_info()
            c.send(CONNECT_PING)
            c.expect(PONG)


def test_tlsverify_without_a_ca_is_refused_by_fastnats(certs):
    """nats-server would check client certificates against the system's roots; fastnats
    only verifies against a CA file and says so."""
    files = ["--tlscert", str(certs.server_cert), "--tlskey", str(certs.server_key)]
    r = run(*LISTEN, "--tlsverify", *files)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "fastnats: --tlsverify needs --tlscacert in fastnats "
        "(client certificates are not checked against the system's roots)"
    ]


# --------------------------------------------------------------------------------------
# Start-up errors: exit 1, one line; fastnats names the file
# --------------------------------------------------------------------------------------


def _startup_cases(certs: Any, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    missing = str(tmp_path / "missing.pem")
    mismatched = tls_block(cert_file=str(certs.server_cert), key_file=str(certs.client_key))
    return {
        "file-missing-cert": (
            ["-c", write_conf(tmp_path / "a.conf", tls_block(cert_file=missing, key_file="k"))],
            missing,
        ),
        "file-mismatched-pair": (
            ["-c", write_conf(tmp_path / "b.conf", mismatched)],
            str(certs.client_key),
        ),
        "file-missing-ca": (
            [
                "-c",
                write_conf(
                    tmp_path / "c.conf",
                    tls_block(**server_files(certs), ca_file=missing, verify=True),
                ),
            ],
            missing,
        ),
        "flags-missing-key": (
            ["--tlscert", str(certs.server_cert), "--tlskey", missing],
            missing,
        ),
        "flags-mismatched-pair": (
            ["--tlscert", str(certs.server_cert), "--tlskey", str(certs.client_key)],
            str(certs.client_key),
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "file-missing-cert",
        "file-mismatched-pair",
        "file-missing-ca",
        "flags-missing-key",
        "flags-mismatched-pair",
    ],
)
@pytest.mark.parametrize("check", [False, True], ids=["serve", "check-config"])
def test_unusable_certificates_fail_start_up(server_kind, certs, tmp_path, case, check):
    args, named = _startup_cases(certs, tmp_path)[case]
    if check and args[0] != "-c":
        pytest.skip("-t checks config files")
    r = run(*LISTEN, *(["-t"] if check else []), *args, kind=server_kind)
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stderr.splitlines() if line]  # nats-server adds a blank one
    assert len(lines) == 1, r.stderr
    if server_kind == "fastnats":
        assert lines[0].startswith("fastnats: ")
        assert named in lines[0] or Path(named).name in lines[0]


# --------------------------------------------------------------------------------------
# Log lines
# --------------------------------------------------------------------------------------


def _messages(proc: Proc) -> list[str]:
    return [re.sub(r"^\[\d+\] \S+ \S+ ", "", line) for line in proc.log.lines]


@pytest.mark.parametrize("handshake_first", [False, True])
def test_start_up_log_lines(server_kind, certs, tmp_path, handshake_first):
    block = tls_block(**server_files(certs), handshake_first=handshake_first)
    conf = write_conf(tmp_path / "log.conf", block)
    with served(*LISTEN, "-c", conf, kind=server_kind) as s:
        lines = _messages(s)
    at = next(i for i, line in enumerate(lines) if "Listening for client connections" in line)
    expected = ["[INF] TLS required for client connections"]
    if handshake_first:
        expected.append(
            '[WRN] Clients that are not using "TLS Handshake First" option will fail to connect'
        )
    assert lines[at + 1 : at + 1 + len(expected)] == expected


# --------------------------------------------------------------------------------------
# Reload (SIGHUP)
# --------------------------------------------------------------------------------------


def _reload(proc: Proc) -> list[str]:
    """SIGHUP; the ``Reloaded: ...`` TLS lines (or the failure line) it logs."""
    start = proc.log.cursor
    proc.send_signal(signal.SIGHUP)
    proc.log.expect(r"Reloaded server configuration|Failed to reload server configuration")
    lines = [
        re.sub(r"^\[\d+\] \S+ \S+ ", "", line) for line in proc.log.lines[start : proc.log.cursor]
    ]
    return [line for line in lines if "tls" in line.lower() or "Failed" in line]


def test_reload_lines(server_kind, certs, tmp_path):
    conf = tmp_path / "r.conf"
    files = server_files(certs)
    conf.write_text(tls_block(**files, timeout=0.5))
    with served(*LISTEN, "-c", str(conf), kind=server_kind) as s:
        assert _reload(s) == []  # nothing changed
        conf.write_text(tls_block(**files, timeout=1, handshake_first=True))
        assert _reload(s) == [
            "[INF] Reloaded: tls timeout = 1",
            "[INF] Reloaded: Client TLS handshake first: true",
        ]
        conf.write_text("debug: false\n")
        assert _reload(s) == [
            "[INF] Reloaded: tls timeout = 2",
            "[INF] Reloaded: tls = disabled",
            "[INF] Reloaded: Client TLS handshake first: false",
        ]
        with dial(s.address) as c:
            assert "tls_required" not in c.read_info()
        conf.write_text(tls_block(**files, ca_file=str(certs.ca), verify=True))
        assert _reload(s) == ["[INF] Reloaded: tls = enabled"]
        with dial(s.address) as c:
            info = c.read_info()
            assert info["tls_required"] is True and info["tls_verify"] is True


def test_reload_swaps_the_certificate(server_kind, certs, tmp_path):
    conf = tmp_path / "swap.conf"
    conf.write_text(tls_block(**server_files(certs)))
    with served(*LISTEN, "-c", str(conf), kind=server_kind) as s:
        before = tls_dial(s.address, certs.client())
        before.send(CONNECT_PING)
        before.expect(PONG)
        other = {"cert_file": str(certs.other_server_cert), "key_file": str(certs.other_server_key)}
        conf.write_text(tls_block(**other))
        assert _reload(s) == ["[INF] Reloaded: tls = enabled"]
        with tls_dial(s.address, certs.client(trust=certs.other_ca)) as c:
            c.send(CONNECT_PING)
            c.expect(PONG)
        with dial(s.address) as c:
            c.read_line()
            handshake_fails(c, certs.client())
        before.ping_pong()  # connections made before stay
        before.close()


def test_a_reload_with_a_missing_certificate_fails_and_keeps_tls(server_kind, certs, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(tls_block(**server_files(certs)))
    missing = tmp_path / "missing.pem"
    with served(*LISTEN, "-c", str(conf), kind=server_kind) as s:
        conf.write_text(tls_block(cert_file=str(missing), key_file=str(certs.server_key)))
        lines = _reload(s)
        assert len(lines) == 1 and lines[0].startswith(
            "[ERR] Failed to reload server configuration: "
        )
        assert str(missing) in lines[0]
        time.sleep(0.1)
        with tls_dial(s.address, certs.client()) as c:
            c.send(CONNECT_PING)
            c.expect(PONG)


# --------------------------------------------------------------------------------------
# What fastnats refuses (nats-server accepts these)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
            '"cipher_suites" in tls is not supported by fastnats (cipher suite selection)',
        ),
        ('  min_version: "1.3"\n', '"min_version" in tls is not supported by fastnats'),
        ("  connection_rate_limit: 10\n", '"connection_rate_limit" in tls is not supported'),
        ('  handshake_first: "auto"\n', '"handshake_first: auto" is not supported by fastnats'),
        ('  handshake_first: "300ms"\n', '"handshake_first: 300ms" is not supported'),
    ],
)
def test_unsupported_tls_keys_name_the_key_and_line(certs, tmp_path, extra, message):
    files = server_files(certs)
    text = f'tls {{\n  cert_file: "{files["cert_file"]}"\n  key_file: "{files["key_file"]}"\n'
    conf = write_conf(tmp_path / "u.conf", text + extra + "}\n")
    r = run("-t", "-c", conf)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"fastnats: {conf}:4:3: {message}"), lines


@pytest.mark.parametrize("block", ["cluster", "leafnodes"])
def test_verify_and_map_is_refused_on_routes_and_leaf_nodes(certs, tmp_path, block):
    """nats-server maps route and leaf node certificates to their own users: fastnats
    refuses it there (it maps client and WebSocket certificates only)."""
    files = server_files(certs)
    text = (
        f"{block} {{\n  port: -1\n  tls {{\n"
        f'    cert_file: "{files["cert_file"]}"\n    key_file: "{files["key_file"]}"\n'
        f'    ca_file: "{certs.ca}"\n    verify_and_map: true\n  }}\n}}\n'
    )
    conf = write_conf(tmp_path / "map.conf", text)
    r = run("-t", "-c", conf)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f'fastnats: {conf}:7:5: "verify_and_map" in this tls block is not supported by '
        "fastnats (certificates map to users on the client and websocket listeners only)"
    ]


def test_connz_shows_the_tls_version_and_cipher_suite(server_kind, certs, tmp_path):
    """``/connz`` names a TLS client's protocol version and cipher suite (Go's names, which
    are the IANA names the client's OpenSSL reports for TLS 1.3)."""
    import json
    import urllib.request

    conf = write_conf(tmp_path / "c.conf", tls_block(**server_files(certs)))
    with served(*LISTEN, "-m", "-1", "-c", conf, kind=server_kind) as s:
        http = int(s.log.find(r"\[INF\] Starting http monitor on 127\.0\.0\.1:(\d+)$")[1])
        conn = tls_dial(s.address, certs.client())
        conn.send(CONNECT_PING)
        conn.expect(PONG)
        version, suite = conn.sock.version(), conn.sock.cipher()[0]  # type: ignore[attr-defined]
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/connz", timeout=5) as r:
            (entry,) = json.load(r)["connections"]
        assert version == "TLSv1.3"
        assert entry["tls_version"] == "1.3"
        assert entry["tls_cipher_suite"] == suite
        conn.close()
        # /varz: when the server's certificate expires (nats-server 2.11+).
        import ssl
        import time as _time

        with urllib.request.urlopen(f"http://127.0.0.1:{http}/varz", timeout=5) as r:
            varz = json.load(r)
        not_after = ssl._ssl._test_decode_cert(str(certs.server_cert))["notAfter"]  # type: ignore[attr-defined]
        want = _time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", _time.gmtime(ssl.cert_time_to_seconds(not_after))
        )
        assert varz["tls_cert_not_after"] == want
