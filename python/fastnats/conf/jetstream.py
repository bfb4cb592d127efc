"""nats-server's JetStream settings in a config file -> fastnats' ``jetstream`` option.

Forms, as nats-server reads them (``parseJetStream``)::

    jetstream: enabled            # also true/false, "enable", "disabled", "disable"
    jetstream {                   # a block enables JetStream unless it says enabled: false
        store_dir: /data          # also store, storedir; the data lives in /data/jetstream
        max_memory_store: 1G      # also max_mem_store, max_mem
        max_file_store: 10GB      # also max_file
        domain: hub
        sync_interval: always     # also sync; or a duration ("2m")
    }
    store_dir: /data              # top level: the same directory, without enabling anything

The result has canonical keys only: ``store_dir`` (a path string), ``max_memory_store`` and
``max_file_store`` (bytes; ``-1`` for nats-server's default, which any negative value also
means: 75% of the memory / of the disk space available, resolved when JetStream starts; an
explicit 0 is a limit of 0), ``domain`` and ``sync_interval`` (``"always"`` or float
seconds). fastnats' default without ``sync_interval`` is ``always``: every PubAck waits for
its message to be on disk; nats-server's default is a sync every 2 minutes, which
``sync_interval: 0`` (nats-server's "the default") asks for.

Sizes: an integer (the config grammar's suffixes, ``1G`` = 10^9, ``1GB`` = 2^30, are applied
by the parser), or a string as nats-server's ``getStorageSize`` reads it: a decimal number
and one of ``K M G T`` (powers of 1024), ``""`` for 0; its error texts are nats-server's
(``max_mem_store sizes defined as strings must end in K, M, G, T``).

``store_dir`` may be given once: at the top level or in the block (nats-server's ``Duplicate
'store_dir' configuration``). Keys of the block that fastnats does not support (encryption
``key``/``cipher``, ``limits``, ``tpm``, clustering's ``unique_tag`` and
``max_outstanding_catchup``, the queue and buffer limits, ``strict: true``) are refused by
name; ``strict: false`` is accepted, as fastnats' JetStream API follows nats-server 2.10, which
does not reject unknown fields. Other keys are ``unknown field``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..gocompat import NumError, parse_int
from .nodes import used_as_variable
from .units import go_quote, go_type, parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["JetStreamParser", "UNSUPPORTED_JETSTREAM", "NATS_SYNC_INTERVAL"]

if TYPE_CHECKING:
    Report = Callable[[Any, "str | int", str], None]
else:  # the same alias without importing typing for Any
    Report = Callable[[object, "str | int", str], None]
"""``report(container, key, message)``: an error (or a warning) at ``container[key]``."""

NATS_SYNC_INTERVAL = 120.0
"""nats-server's default ``sync_interval`` (seconds), which ``sync_interval: 0`` asks for."""

_ENCRYPTION = "encryption at rest"
_CLUSTERING = "clustered JetStream"
UNSUPPORTED_JETSTREAM: dict[str, str] = {
    "key": _ENCRYPTION,
    "ek": _ENCRYPTION,
    "encryption_key": _ENCRYPTION,
    "prev_key": _ENCRYPTION,
    "prev_ek": _ENCRYPTION,
    "prev_encryption_key": _ENCRYPTION,
    "cipher": _ENCRYPTION,
    "tpm": "TPM-protected encryption keys",
    "limits": "JetStream server limits",
    "extension_hint": "extending JetStream domains over leaf nodes",
    "unique_tag": _CLUSTERING,
    "max_outstanding_catchup": _CLUSTERING,
    "meta_compact": _CLUSTERING,
    "meta_compact_size": _CLUSTERING,
    "meta_compact_sync": _CLUSTERING,
    "max_buffered_msgs": "stream ingest buffer limits",
    "max_buffered_size": "stream ingest buffer limits",
    "request_queue_limit": "JetStream API queue limits",
    "info_queue_limit": "JetStream API queue limits",
    "max_concurrent_io": "disk I/O concurrency limits",
}
"""Keys of nats-server's ``jetstream`` block fastnats does not have -> the missing feature."""

_STORE_DIR = ("store", "store_dir", "storedir")
_SYNC = ("sync", "sync_interval")
# alias -> (canonical key, the name nats-server's size errors use)
_SIZES = {
    "max_memory_store": ("max_memory_store", "max_mem_store"),
    "max_mem_store": ("max_memory_store", "max_mem_store"),
    "max_mem": ("max_memory_store", "max_mem_store"),
    "max_file_store": ("max_file_store", "max_file_store"),
    "max_file": ("max_file_store", "max_file_store"),
}
_STRING_SIZE_UNITS = {"K": 10, "M": 20, "G": 30, "T": 40}
_INT64 = (-(1 << 63), (1 << 63) - 1)


class JetStreamParser:
    """Collects a config file's JetStream settings (the ``jetstream`` key, the top-level
    ``store_dir``) in file order; :meth:`result` says what they come to."""

    def __init__(self, report: Report, warn: Report) -> None:
        self.report = report
        self.warn = warn
        self.enabled: bool | None = None  # None: no jetstream key
        self.options: dict[str, Any] = {}
        self.given = False  # some JetStream setting was written

    # the top-level keys ------------------------------------------------------------------
    def store_dir(self, config: Any, key: str) -> None:
        """The top-level ``store_dir`` (``storedir``)."""
        self.set_store_dir(config, key, config[key])

    def jetstream(self, config: Any, key: str) -> None:
        value = config[key]
        self.given = True
        if isinstance(value, bool):
            self.enabled = value
        elif isinstance(value, str):
            word = value.lower()
            if word in ("enabled", "enable"):
                self.enabled = True
            elif word in ("disabled", "disable"):
                self.enabled = False
            else:
                self.report(
                    config,
                    key,
                    f"Expected 'enabled' or 'disabled' for string value, got '{value}'",
                )
        elif isinstance(value, dict):
            self.enabled = self.block(value)
        else:
            self.report(
                config,
                key,
                f"Expected map, bool or string to define JetStream, got {go_type(value)}",
            )

    def result(self) -> tuple[bool, dict[str, Any]] | None:
        """``(enabled, options)``, or None when the file says nothing about JetStream."""
        if not self.given:
            return None
        options = dict(self.options)
        if not options.get("store_dir"):
            options.pop("store_dir", None)
        if not options.get("domain"):
            options.pop("domain", None)
        return bool(self.enabled), options

    # the block ---------------------------------------------------------------------------
    def block(self, block: dict[str, Any]) -> bool:
        """Reads ``jetstream { }``; returns whether it enables JetStream."""
        enabled = True
        for key, value in block.items():
            name = key.lower()
            if name in _STORE_DIR:
                self.set_store_dir(block, key, value)
            elif name in _SIZES:
                canonical, what = _SIZES[name]
                size = self.size(block, key, value, what)
                if size is not None:
                    self.options[canonical] = max(size, -1)
            elif name in _SYNC:
                sync = self.sync(block, key, value)
                if sync is not None:
                    self.options["sync_interval"] = sync
            elif name == "domain":
                if isinstance(value, str):
                    self.options["domain"] = value
                else:
                    self.expected(block, key, "a string", value)
            elif name in ("enable", "enabled"):
                if isinstance(value, bool):
                    enabled = value
                else:
                    self.expected(block, key, "a boolean (true/false)", value)
            elif name == "strict":
                self.strict(block, key, value)
            elif name in UNSUPPORTED_JETSTREAM:
                self.report(
                    block,
                    key,
                    f'"{key}" in jetstream is not supported by fastnats '
                    f"({UNSUPPORTED_JETSTREAM[name]})",
                )
            elif not used_as_variable(block, key):
                self.report(block, key, f"unknown field {go_quote(key)}")
        return enabled

    def set_store_dir(self, container: Any, key: str, value: Any) -> None:
        self.given = True
        if not isinstance(value, str):
            self.expected(container, key, "a string", value)
            return
        if self.options.get("store_dir"):  # nats-server: the first one must be empty
            self.report(container, key, "Duplicate 'store_dir' configuration")
            return
        self.options["store_dir"] = value

    def size(self, block: Any, key: str, value: Any, what: str) -> int | None:
        """nats-server's ``getStorageSize`` (see the module docstring)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if not isinstance(value, str):
            self.report(block, key, f"{what} must be int64 or string")
            return None
        if value == "":
            return 0
        number, unit = value[:-1], value[-1]
        try:
            n = parse_int(number, 10, 64)
        except NumError as e:
            self.report(block, key, f"{what} {e}")
            return None
        if unit not in _STRING_SIZE_UNITS:
            self.report(block, key, f"{what} sizes defined as strings must end in K, M, G, T")
            return None
        n <<= _STRING_SIZE_UNITS[unit]
        if not _INT64[0] <= n <= _INT64[1]:  # nats-server would wrap around
            self.report(block, key, f"{what} {go_quote(value)} is out of range")
            return None
        return n

    def sync(self, block: Any, key: str, value: Any) -> str | float | None:
        """``"always"``, or the interval in seconds (0: nats-server's default interval)."""
        if isinstance(value, str) and value.lower() == "always":
            return "always"
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.report(block, key, f"error parsing {key}: {e}")
                return None
        elif isinstance(value, int) and not isinstance(value, bool):
            self.warn(
                block,
                key,
                f'invalid use of field "{key}": {key} should be converted to a duration '
                f'(read as {value} seconds; write "{value}s")',
            )
            seconds = float(value)
        else:
            self.expected(block, key, 'a duration like "2m", or "always"', value)
            return None
        if seconds < 0:
            # nats-server accepts it and then fails when a stream starts syncing.
            self.report(block, key, f"invalid value for {go_quote(key)}: negative duration")
            return None
        return seconds or NATS_SYNC_INTERVAL

    def strict(self, block: Any, key: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.report(block, key, f"Expected 'true' or 'false' for bool value, got '{value}'")
        elif value:
            self.report(
                block,
                key,
                f'"{key}: true" in jetstream is not supported by fastnats (strict JetStream '
                "API checks: fastnats follows nats-server 2.10, which ignores unknown fields)",
            )

    def expected(self, container: Any, key: str, what: str, value: Any) -> None:
        self.report(
            container,
            key,
            f"invalid value for {go_quote(key)}: expected {what}, got {go_type(value)}",
        )
