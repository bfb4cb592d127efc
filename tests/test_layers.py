"""The Python package's structure: its modules import one another without cycles, the
command line starts without the heavy modules, and its exceptions share one root.

Imports are read from the source (``ast``), so an import under ``TYPE_CHECKING`` or inside a
function counts as much as one at the top: a cycle hidden there is still a cycle.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import fastnats
import pytest
from fastnats.errors import ConfigError, FastNatsError

PACKAGE = Path(fastnats.__file__).parent


def _modules() -> dict[str, tuple[Path, list[str]]]:
    """Module name -> (file, the package its relative imports start from)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            package = parts
        else:
            package = parts[:-1]
        found[".".join(parts)] = (path, package)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (not counting its own parent packages, which
    Python imports first whatever the module says)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, package) in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = [f"{target}.{a.name}" for a in node.names]
                found = [s for s in subs if s in modules]
                candidates = found + ([target] if len(found) < len(subs) else [])
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            for dep in candidates:
                if dep in modules and dep != name and not name.startswith(dep + "."):
                    deps.add(dep)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_imports() -> None:
    graph = import_graph()
    assert "fastnats.settings" in graph["fastnats.cli"]
    assert "fastnats.monitor.state" in graph["fastnats.monitor.varz"]
    assert "fastnats.gocompat" in graph["fastnats.conf.units"]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_gocompat_and_errors_depend_on_nothing_of_ours() -> None:
    graph = import_graph()
    assert graph["fastnats.gocompat"] == set()
    assert graph["fastnats.errors"] == set()


def test_the_command_line_starts_lean() -> None:
    """``fastnats --help`` imports neither asyncio nor the monitor, the config loader or the
    runner (harnesses give a server about two seconds to start)."""
    code = (
        "import sys, fastnats.cli; "
        "print(sorted(m for m in sys.modules if m == 'asyncio' or m.startswith(("
        "'fastnats.monitor', 'fastnats.conf', 'fastnats.runner'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# Exceptions outside the root, each with the reason.
NOT_UNDER_THE_ROOT = {
    # Go's strconv error, internal: its callers turn it into UsageError or BadRequest.
    "fastnats.gocompat.NumError",
}


def test_every_exception_is_a_fastnats_error() -> None:
    outside = []
    for name in sorted(_modules()):
        if name == "fastnats.__main__":
            continue  # runs the command line when imported
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == name
                and not issubclass(obj, FastNatsError)
            ):
                outside.append(f"{name}.{attr}")
    assert set(outside) <= NOT_UNDER_THE_ROOT


@pytest.mark.parametrize(
    ("path", "bases"),
    [
        ("fastnats.conf.errors.ConfigError", (ConfigError, ValueError)),
        ("fastnats.settings.SettingsError", (ConfigError, ValueError)),
        ("fastnats.cli.UsageError", (FastNatsError,)),
        ("fastnats.signals.SignalError", (FastNatsError,)),
        ("fastnats.monitor.params.BadRequest", (FastNatsError, ValueError)),
    ],
)
def test_error_parents(path: str, bases: tuple[type[BaseException], ...]) -> None:
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    for base in bases:
        assert issubclass(cls, base)


def test_config_error_keeps_its_position() -> None:
    from fastnats.conf import ConfigError as FileError
    from fastnats.conf import Position

    e = FileError("unknown field", Position("a.conf", 3, 5))
    assert isinstance(e, ConfigError)
    assert str(e) == "a.conf:3:5: unknown field"
    assert (e.file, e.line, e.column, e.errors) == ("a.conf", 3, 5, [e])
