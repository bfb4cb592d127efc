"""A real browser speaking NATS over WebSocket (issue 15): headless Chromium.

The test serves a page over HTTP (a ``http.server`` thread on 127.0.0.1). The page's script
opens a WebSocket to the server and speaks the NATS protocol by hand: it reads the INFO,
sends CONNECT, subscribes, reports ``ready`` (a POST back to the test's HTTP server), answers
each message on ``browser.in`` with ``echo:<payload>`` on ``browser.out``, publishes 200 KB
to itself and checks what comes back, then reports its results (POST ``/result``). The test
publishes on ``browser.in`` from a TCP client and waits for the echo there.

With ``compression: true`` Chromium negotiates permessage-deflate by itself; the page
reports ``ws.extensions``. Chromium is ``chromium --headless=new --no-sandbox`` with a fresh
profile, killed (its process group, by PID) at the end. Without Chromium the test skips,
unless ``FASTNATS_REQUIRE_BROWSER`` is set (CI sets it): then it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nats
import pytest

from .conftest import HOST, WsServers

pytestmark = pytest.mark.timeout(120)

BROWSER_TIMEOUT = 60.0
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BIG = 200_000

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>fastnats websocket</title></head>
<body><pre id="log"></pre>
<script>
const WS_URL = __WS_URL__;
const BIG = __BIG__;
const enc = new TextEncoder();
const dec = new TextDecoder();
const result = {errors: [], echoed: 0};
const log = (s) => { document.getElementById("log").textContent += s + "\\n"; };
const post = (path, body) =>
  fetch(path, {method: "POST", body: JSON.stringify(body)}).catch((e) => log("post " + e));

let buf = new Uint8Array(0);
let connected = false;
let bigSent = false;
let finished = false;
const pattern = "0123456789abcdef".repeat(BIG / 16);

const ws = new WebSocket(WS_URL);
ws.binaryType = "arraybuffer";
const send = (s) => ws.send(enc.encode(s));

function finish() {
  if (finished) return;
  finished = true;
  result.extensions = ws.extensions;
  post("/result", result);
}

function onLine(line) {
  if (line.startsWith("INFO ")) {
    result.info = JSON.parse(line.slice(5));
    send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"chromium"}\\r\\n' +
         "SUB browser.in 1\\r\\nSUB browser.big 2\\r\\nPING\\r\\n");
    return 0;
  }
  if (line === "PING") { send("PONG\\r\\n"); return 0; }
  if (line === "PONG") {
    if (!connected) {
      connected = true;
      send("PUB browser.big " + pattern.length + "\\r\\n" + pattern + "\\r\\n");
      bigSent = true;
      post("/ready", {});
    }
    return 0;
  }
  if (line.startsWith("-ERR")) { result.errors.push(line); return 0; }
  const m = /^MSG (\\S+) (\\d+) (?:(\\S+) )?(\\d+)$/.exec(line);
  if (m) return {subject: m[1], sid: m[2], size: parseInt(m[4], 10)};
  result.errors.push("unexpected: " + line);
  return 0;
}

function onMsg(msg, payload) {
  const text = dec.decode(payload);
  if (msg.subject === "browser.in") {
    const echo = "echo:" + text;
    send("PUB browser.out " + enc.encode(echo).length + "\\r\\n" + echo + "\\r\\n");
    result.echoed += 1;
    result.last_in = text;
  } else if (msg.subject === "browser.big") {
    result.big_ok = bigSent && text === pattern;
    result.big_len = payload.length;
  }
  if (result.echoed > 0 && "big_ok" in result) finish();
}

let pending = null;
ws.onmessage = (ev) => {
  const data = new Uint8Array(ev.data);
  const joined = new Uint8Array(buf.length + data.length);
  joined.set(buf); joined.set(data, buf.length);
  buf = joined;
  result.frames = (result.frames || 0) + 1;
  for (;;) {
    if (pending) {
      if (buf.length < pending.size + 2) return;
      const payload = buf.slice(0, pending.size);
      buf = buf.slice(pending.size + 2);
      const msg = pending;
      pending = null;
      onMsg(msg, payload);
      continue;
    }
    let i = 0;
    while (i + 1 < buf.length && !(buf[i] === 13 && buf[i + 1] === 10)) i++;
    if (i + 1 >= buf.length) return;
    const line = dec.decode(buf.slice(0, i));
    buf = buf.slice(i + 2);
    const r = onLine(line);
    if (r) pending = r;
  }
};
ws.onerror = () => { result.errors.push("websocket error"); };
ws.onclose = (ev) => {
  result.close = {code: ev.code, reason: ev.reason};
  if (!finished) { result.errors.push("closed early"); finish(); }
};
</script></body></html>
"""


def browser_path() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class Reports:
    """The page's server: GET / serves the page, POST /<name> queues (name, JSON body)."""

    def __init__(self, page: str) -> None:
        self.page = page.encode()
        self.posts: queue.Queue[tuple[str, Any]] = queue.Queue()
        reports = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = reports.page if self.path == "/" else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                reports.posts.put((self.path.lstrip("/"), json.loads(data or b"null")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def expect(self, name: str, timeout: float = BROWSER_TIMEOUT) -> Any:
        got, body = self.posts.get(timeout=timeout)
        assert got == name, (got, body)
        return body

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def browser() -> str:
    path = browser_path()
    if path is None:
        if os.environ.get("FASTNATS_REQUIRE_BROWSER"):
            pytest.fail("FASTNATS_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("chromium is not installed (make browser)")
    return path


@pytest.fixture
def launch(browser: str, tmp_path: Path) -> Iterator[Any]:
    """``launch(url)`` starts headless Chromium on ``url``; killed at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(url: str) -> subprocess.Popen[bytes]:
        profile = tmp_path / f"profile{len(procs)}"
        proc = subprocess.Popen(
            [
                browser,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                url,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"chromium{len(procs)}.log").open("wb"),
            start_new_session=True,  # its own process group: its children go with it
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "deflate"])
async def test_browser_speaks_nats(
    ws_kind: str, start_ws: WsServers, launch: Any, compression: bool
) -> None:
    server = start_ws(ws_kind, compression=compression)
    page = PAGE.replace("__WS_URL__", json.dumps(server.ws_url)).replace("__BIG__", str(BIG))
    reports = Reports(page)
    tcp = await nats.connect(server.url, connect_timeout=5, allow_reconnect=False)
    try:
        out = await tcp.subscribe("browser.out")
        await tcp.flush()
        loop = asyncio.get_running_loop()
        launch(reports.url)
        await loop.run_in_executor(None, reports.expect, "ready")
        await tcp.publish("browser.in", b"hello browser")
        msg = await out.next_msg(timeout=10)
        assert msg.data == b"echo:hello browser"
        result = await loop.run_in_executor(None, reports.expect, "result")
    finally:
        await tcp.close()
        reports.close()
    assert result["errors"] == [], result
    assert result["info"]["max_payload"] == 1024 * 1024
    assert result["echoed"] == 1 and result["last_in"] == "hello browser"
    assert result["big_ok"] is True and result["big_len"] == BIG
    expected = (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        if compression
        else ""
    )
    assert result["extensions"] == expected
