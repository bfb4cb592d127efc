"""What `python -m fastnats serve` loads before ``Server is ready`` (issue #16): nothing the run
does not need. typing, dataclasses (and inspect, ast), logging, re, enum, socket, json,
hashlib (OpenSSL), asyncio, queue and signal's Python wrappers stay out of a server's
start-up, with or without a config file, as do fastnats.options (its TypedDicts),
fastnats.hooks, the monitoring package and (without -c) the config package. With monitoring
(-m) none of these either but the monitoring package's core, nor the stdlib's HTTP server
(http.client: ssl, OpenSSL; email; urllib.parse).

No timing is asserted: the modules are what the start-up cost was made of (benches/README.md,
"Start-up"). The CLI's own lines skip logging while only fastnats runs; these tests also check
that logging takes over, in the same format, once something uses it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import fastnats
import pytest

pytestmark = pytest.mark.timeout(60)


def logged(lines: list[str], level: str, message: str) -> bool:
    """Whether ``lines`` has ``message`` at ``level`` in nats-server's format."""
    pattern = re.compile(
        r"^\[\d+\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} " + re.escape(f"[{level}] {message}") + "$"
    )
    return any(pattern.match(line) for line in lines)


NOT_ON_THE_SERVE_PATH = {
    "typing",
    "dataclasses",
    "inspect",
    "ast",
    "logging",
    "re",
    "enum",
    "socket",
    "json",
    "hashlib",
    "asyncio",
    "queue",
    "signal",
    "fastnats.options",
    "fastnats.hooks",
    "fastnats.conf",
    "fastnats.monitor",
}


def _env() -> dict[str, str]:
    """fastnats found where this test imported it from, also by ``python -S`` (without site,
    whose .pth files may import any of the modules above)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(fastnats.__file__).parent.parent)
    env.pop("PYTHONSTARTUP", None)
    return env


def _until_ready(args: list[str], env: dict[str, str], cwd: str | None = None) -> list[str]:
    """Starts ``args``, returns its standard error lines up to ``Server is ready``."""
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if "Server is ready" in line:
                return lines
        raise AssertionError(f"exited before ready: {lines}")
    finally:
        proc.kill()
        proc.wait(timeout=10)


CONFIG = """
server_name: "s1"
max_payload: 2MB
ping_interval: "2m"
authorization {
  users = [
    {user: alice, password: pw, permissions: {publish: ["a.>"], subscribe: ["a.>"]}}
  ]
}
"""


# With monitoring (-m) the listener is fastnats.monitor.http's own HTTP server: not the stdlib's
# (http.server brings http.client, which loads ssl/OpenSSL, email, html, mimetypes,
# socketserver, urllib.parse), nor socket (_socket is enough), nor the endpoint modules
# (imported at the first request).
NOT_ON_THE_MONITOR_PATH = (NOT_ON_THE_SERVE_PATH - {"fastnats.monitor"}) | {
    "http",
    "http.server",
    "http.client",
    "ssl",
    "email",
    "html",
    "mimetypes",
    "socketserver",
    "urllib.parse",
    "fastnats.monitor.varz",
    "fastnats.monitor.connz",
    "fastnats.monitor.metrics",
}


@pytest.mark.parametrize(
    ("with_config", "monitoring"),
    [(False, False), (True, False), (False, True)],
    ids=["flags", "config-file", "monitoring"],
)
def test_serve_imports_only_what_it_needs(
    tmp_path: Path, with_config: bool, monitoring: bool
) -> None:
    args = ["-a", "127.0.0.1", "-p", "-1"]
    if with_config:
        (tmp_path / "s.conf").write_text(CONFIG)
        args += ["-c", str(tmp_path / "s.conf")]
    if monitoring:
        args += ["-m", "-1"]
    lines = _until_ready(
        [sys.executable, "-S", "-X", "importtime", "-m", "fastnats", "serve", *args],
        env=_env(),
    )
    imported = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    imported.discard("imported package")
    assert {"fastnats.runner", "fastnats.server", "fastnats.system"} <= imported, imported
    assert ("fastnats.conf.parser" in imported) == with_config
    assert ("fastnats.monitor.http" in imported) == monitoring
    not_needed = NOT_ON_THE_MONITOR_PATH if monitoring else NOT_ON_THE_SERVE_PATH
    not_needed = not_needed - ({"fastnats.conf"} if with_config else set())
    loaded = not_needed & imported
    assert not loaded, f"imported on the way to ready: {sorted(loaded)}"
    assert logged(lines, "INF", "Server is ready"), lines
    if monitoring:
        assert any(
            re.search(r"\[INF\] Starting http monitor on 127\.0\.0\.1:\d+$", line) for line in lines
        )
    if with_config:  # the digest without hashlib (OpenSSL) is the same
        digest = hashlib.sha256(CONFIG.encode()).hexdigest()
        assert logged(
            lines, "INF", f"Using configuration file: {tmp_path / 's.conf'} (sha256:{digest})"
        )


def test_cli_lines_go_straight_to_the_writer_then_through_logging() -> None:
    """``configure(direct=True)``: lines go to the writer without importing logging; the
    first fastnats logger (``logs.logger``) installs the CLI handler, and from then on
    everything under ``fastnats`` is written in the same format."""
    code = """if True:
        import sys
        from fastnats import logs
        logs.configure({}, direct=True)
        logs.info("one")
        logs.debug("hidden")
        assert "logging" not in sys.modules
        logs.logger("fastnats.system").error("two")
        import logging
        root = logging.getLogger("fastnats")
        assert [type(h).__name__ for h in root.handlers] == ["NativeHandler"], root.handlers
        assert not root.propagate
        assert logging.getLevelName(5) == "TRACE"
        logging.getLogger("fastnats.auth").warning("three")
        logging.getLogger("fastnats.hooks").debug("hidden")
        logs.info("four")
        logs.flush()
        sys.stderr.write("Server is ready\\n")
    """
    lines = _until_ready([sys.executable, "-S", "-c", code], env=_env())
    lines = [line for line in lines if "Server is ready" not in line]
    expected = [("INF", "one"), ("ERR", "two"), ("WRN", "three"), ("INF", "four")]
    assert len(lines) == len(expected), lines
    for line, (level, message) in zip(lines, expected, strict=True):
        assert logged([line], level, message), line


def test_an_auth_hook_logging_under_fastnats_gets_the_cli_format(tmp_path: Path) -> None:
    """With user code in the process the CLI's lines go through logging from the start, so
    what a hook logs on a ``fastnats`` logger, even at import, is written as the CLI's own."""
    (tmp_path / "loud_hook.py").write_text(
        "import logging\n"
        'logging.getLogger("fastnats.hooks").warning("hook module loaded")\n'
        "def hook(info):\n"
        "    return True\n"
    )
    lines = _until_ready(
        [sys.executable, "-m", "fastnats", "serve", "-a", "127.0.0.1", "-p", "-1"]
        + ["--auth_hook", "loud_hook:hook"],
        env=_env(),
        cwd=str(tmp_path),
    )
    assert logged(lines, "WRN", "hook module loaded"), lines
    assert logged(lines, "INF", "Starting nats-server"), lines
