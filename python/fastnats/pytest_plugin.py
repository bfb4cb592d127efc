"""pytest fixtures that run fastnats servers inside the test process.

Installed as the ``pytest11`` entry point ``fastnats``, so pytest loads it in every project
where fastnats is installed (``-p no:fastnats`` turns it off). Without the entry point
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, or a source tree on ``PYTHONPATH``) name the module:
``-p fastnats.pytest_plugin`` or ``pytest_plugins = ["fastnats.pytest_plugin"]``. Do not
name it when the entry point is installed and autoloading is on: pytest refuses one module
registered under two names ("Plugin already registered under a different name").

Fixtures (function scope, plain sync fixtures: they serve sync and asyncio tests alike):

* ``fastnats_server`` -- a started :class:`fastnats.Server` on ``127.0.0.1``, port 0 (a
  free port: read ``.port`` or ``.url``), stopped at teardown.
* ``fastnats_server_factory`` -- ``fastnats_server_factory(**options)`` starts another
  server with any :class:`fastnats.Server` keyword (``authorization=``, ``tls=``,
  ``http_port=``, ``auth=``, ...; ``host`` defaults to ``127.0.0.1`` and ``port`` to 0) and
  returns it. Every server it started is stopped at teardown, the last first, whether the
  test passed or failed; a server that fails to stop does not keep the others running.
  ``jetstream=True`` (or a ``jetstream`` dict without ``store_dir``) stores in a directory
  of the test's own (under pytest's ``tmp_path_factory``), never in the shared
  ``<temp dir>/nats``; pass ``store_dir`` to restart a server on the same data.
* ``fastnats_jetstream_server`` -- a started server with JetStream, stored in the test's
  own directory.

Teardown calls :meth:`fastnats.Server.stop`, which closes the clients still connected
(flushing what is queued to them, for at most the ``shutdown_grace`` option, 5 s). In an
asyncio test the fixtures are torn down after the test coroutine has returned, so the
blocking stop holds up no running event loop; a client the test left open sees the server go
away like any client does.

Importing this module costs pytest nothing beyond the ``fastnats`` package itself: the
server is imported in the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "ServerFactory",
    "fastnats_jetstream_server",
    "fastnats_server",
    "fastnats_server_factory",
]

#: The address the fixtures bind unless told otherwise: loopback only.
HOST = "127.0.0.1"


class ServerFactory(Protocol):
    """The type of ``fastnats_server_factory``, for annotating tests."""

    def __call__(self, **options: Any) -> Server: ...


@pytest.fixture
def fastnats_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerFactory]:
    """Starts fastnats servers with the given options; stops them all at teardown."""
    from .server import Server

    with ExitStack() as started:

        def start(**options: Any) -> Server:
            options.setdefault("host", HOST)
            options.setdefault("port", 0)
            js = options.get("jetstream")
            if js is True or (isinstance(js, dict) and "store_dir" not in js):
                store = tmp_path_factory.mktemp("jetstream")
                options["jetstream"] = {**(js if isinstance(js, dict) else {}), "store_dir": store}
            server = Server(**options)
            server.start()  # raises (BindError, ...) before anything needs stopping
            started.callback(server.stop)
            return server

        yield start
    # ExitStack runs every callback, last first, even when one raises; the failure is
    # raised (a later one with the earlier as its context) as the test's teardown error.


@pytest.fixture
def fastnats_server(fastnats_server_factory: ServerFactory) -> Server:
    """A started fastnats server on 127.0.0.1 and a free port; stopped at teardown."""
    return fastnats_server_factory()


@pytest.fixture
def fastnats_jetstream_server(fastnats_server_factory: ServerFactory) -> Server:
    """A started fastnats server with JetStream, storing in the test's own directory."""
    return fastnats_server_factory(jetstream=True)
