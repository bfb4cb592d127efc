"""The pid file (``-P``/``pid_file``) and the ports file (``--ports_file_dir``), as nats-server
writes them, so harnesses that wait for them work unchanged.

* pid file: the decimal pid, no newline, mode 0660. Written before the listener opens.
  nats-server leaves it behind at exit; fastnats removes it (when it still holds our pid), so
  a stale file never points ``--signal`` at an unrelated process.
* ports file: ``<dir>/<executable name>_<pid>.ports``, compact JSON
  ``{"nats":["nats://127.0.0.1:4222"],"monitoring":["http://127.0.0.1:8222"]}`` (``tls://``
  when TLS is required; ``monitoring`` only with ``-m``), written once the server is ready
  and removed at exit (as nats-server does). For a listener on all interfaces (``0.0.0.0``)
  it lists every local IPv4 address, as nats-server lists the addresses of its interfaces.
  The executable name is ``basename(argv[0])``: ``fastnats`` for the console script and for
  ``python -m fastnats``.
"""

from __future__ import annotations

import os
import sys

# json (the ports file) and socket (the interface list) are imported where they are used:
# most runs write no ports file.

__all__ = [
    "executable_name",
    "ports_file_path",
    "remove_file",
    "write_pid_file",
    "write_ports_file",
    "client_urls",
]


def executable_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if not name or name in ("__main__.py", "-c", "-m"):
        return "fastnats"
    return name


def _write_atomically(path: str, data: bytes, mode: int) -> None:
    """Writes via a temporary file and a rename: a reader never sees half a file.

    Raises OSError whose ``str`` reads as Go's (``open /x/y.pid: no such file or directory``).
    """
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            remove_file(tmp)
            raise
    except OSError as e:
        reason = (e.strerror or str(e)).lower()
        raise OSError(f"open {path}: {reason}") from e


def write_pid_file(path: str) -> None:
    """Writes this process' pid to ``path``; raises OSError."""
    _write_atomically(path, str(os.getpid()).encode(), 0o660)


def remove_pid_file(path: str) -> None:
    """Removes ``path`` if it still names this process (another server may have taken it)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            if f.read().strip() != str(os.getpid()):
                return
    except OSError:
        return
    remove_file(path)


def remove_file(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def ports_file_path(directory: str) -> str:
    return os.path.join(directory, f"{executable_name()}_{os.getpid()}.ports")


def _ipv4_addresses() -> list[str]:
    """The IPv4 address of each network interface (Linux ioctl), loopback included."""
    import fcntl  # POSIX only; imported here to keep the module importable everywhere
    import socket
    import struct

    siocgifaddr = 0x8915
    found: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = struct.pack("256s", name.encode()[:15])
                data = fcntl.ioctl(s.fileno(), siocgifaddr, packed)
            except OSError:
                continue  # no IPv4 address on this interface
            address = socket.inet_ntoa(data[20:24])
            if address not in found:
                found.append(address)
    return found


def _ipv6_addresses() -> list[str]:
    import socket

    found: list[str] = []
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as f:
            for line in f:
                raw = line.split()[0]
                packed = bytes.fromhex(raw)
                address = socket.inet_ntop(socket.AF_INET6, packed)
                if address not in found:
                    found.append(address)
    except (OSError, ValueError, IndexError):
        pass
    return found


def _url(scheme: str, host: str, port: int) -> str:
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def client_urls(host: str, port: int, scheme: str = "nats") -> list[str]:
    """The URLs a client can use for a listener on ``host:port``."""
    hosts: list[str] = []
    if host in ("", "0.0.0.0", "::", "[::]"):
        try:
            hosts = _ipv4_addresses()
        except (OSError, ImportError):
            hosts = []
        if host not in ("", "0.0.0.0"):
            hosts += _ipv6_addresses()
        if not hosts:
            hosts = ["127.0.0.1"]
    else:
        hosts = [host.strip("[]")]
    return [_url(scheme, h, port) for h in hosts]


def write_ports_file(directory: str, ports: dict[str, list[str]]) -> str:
    """Writes the ports file (``{"nats": [urls], "monitoring": [urls], "cluster": [urls]}``,
    as nats-server's, which leaves out what does not listen) into ``directory``;
    returns its path. Raises OSError."""
    import json

    path = ports_file_path(directory)
    data = json.dumps(ports, separators=(",", ":")).encode()
    _write_atomically(path, data, 0o666)
    return path
