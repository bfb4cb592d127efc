"""``include``: paths relative to the including file, merging, scoping, errors, cycles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastnats.conf import ConfigError, Position, load, loads, positions


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_include_merges_at_that_point(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "port: 1\ninclude sub/a.conf\ndebug: false\n")
    write(tmp_path, "sub/a.conf", "debug: true\nmax_payload: 1MB\nport: 2\n")
    assert load(main) == {"port": 2, "debug": False, "max_payload": 1024 * 1024}


def test_paths_are_relative_to_the_including_file(tmp_path: Path) -> None:
    main = write(tmp_path, "etc/main.conf", "include sub/a.conf\n")
    write(tmp_path, "etc/sub/a.conf", "include b.conf\nx: 1\n")  # sub/b.conf, not etc/b.conf
    write(tmp_path, "etc/sub/b.conf", "y: 2\n")
    write(tmp_path, "etc/b.conf", "y: wrong\n")
    assert load(main) == {"y": 2, "x": 1}
    # also when the main file is given relative to the current directory
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert load("etc/main.conf") == {"y": 2, "x": 1}
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(
    "line",
    [
        "include ./a.conf",
        "include a.conf",
        'include "a.conf"',
        "include 'a.conf'",
        "INCLUDE a.conf",
        "Include\ta.conf",
        "include a.conf;",
        "include a.conf # comment",
        "include a.conf // comment",
        "include ../dir/a.conf",
    ],
)
def test_include_spellings(tmp_path: Path, line: str) -> None:
    main = write(tmp_path, "dir/main.conf", f"{line}\nz: 0\n")
    write(tmp_path, "dir/a.conf", "a: 1\n")
    assert load(main) == {"a": 1, "z": 0}


def test_include_inside_a_map(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "m {\n  x: 0\n  include a.conf\n  y: 2\n}\n")
    write(tmp_path, "a.conf", "a: 1\nb { c: 2 }\n")
    assert load(main) == {"m": {"x": 0, "a": 1, "b": {"c": 2}, "y": 2}}
    main = write(tmp_path, "main2.conf", "m { include a.conf }")
    assert load(main) == {"m": {"a": 1, "b": {"c": 2}}}


def test_positions_name_the_included_file(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "port: 1\ninclude a.conf\n")
    inc = write(tmp_path, "a.conf", "\n  debug: true\n")
    cfg = load(main)
    assert positions(cfg) == {
        "port": Position(str(main), 1, 1),
        "debug": Position(str(inc), 2, 3),
    }


def test_the_includer_sees_included_keys_not_the_reverse(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "include a.conf\nport: $P\n")
    write(tmp_path, "a.conf", "P: 4222\n")
    cfg = load(main, env={})
    assert cfg == {"P": 4222, "port": 4222}
    assert cfg.used == {"P"}

    main = write(tmp_path, "main2.conf", "Q: 1\ninclude b.conf\n")
    inc = write(tmp_path, "b.conf", "\nx: $Q\n")
    with pytest.raises(ConfigError) as info:
        load(main, env={})
    assert str(info.value) == f"{inc}:2:4: variable reference for 'Q' on line 2 can not be found"


def test_used_marks_survive_the_merge(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "include a.conf\n")
    write(tmp_path, "a.conf", "P: 1\nport: $P\n")
    assert load(main, env={}).used == {"P"}


def test_a_leading_slash_is_still_relative(tmp_path: Path) -> None:
    # nats-server joins the include path onto the directory (Go's filepath.Join), so an
    # absolute-looking path is taken relative to it.
    main = write(tmp_path, "main.conf", "include /sub/a.conf\n")
    write(tmp_path, "sub/a.conf", "a: 1\n")
    assert load(main) == {"a": 1}


def test_missing_include(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "port: 1\n  include nope.conf\n")
    with pytest.raises(ConfigError) as info:
        load(main)
    missing = tmp_path / "nope.conf"
    assert str(info.value) == (
        f"{main}:2:11: error parsing include file '{missing}': No such file or directory"
    )


def test_a_nul_ends_a_bare_include_path(tmp_path: Path) -> None:
    # Found by the config fuzz target (a ValueError from os.path.realpath before). nats-server's
    # lexer reads NUL as the end of the text: "include ./\0x" includes "./", a directory
    # (nats-server 2.15.1: "error parsing include file './', read .: is a directory").
    main = write(tmp_path, "main.conf", "port: 1\ninclude ./\0rox1\n")
    with pytest.raises(ConfigError) as info:
        load(main)
    assert str(info.value) == (
        f"{main}:2:9: error parsing include file '{tmp_path}': Is a directory"
    )


@pytest.mark.parametrize(("quote", "kind"), [('"', "double quoted"), ("'", "quoted")])
def test_a_nul_ends_a_quoted_include_path(tmp_path: Path, quote: str, kind: str) -> None:
    # nats-server 2.15.1: "Unexpected EOF in double quoted include" ("... in quoted include").
    write(tmp_path, "a.conf", "a: 1\n")
    main = write(tmp_path, "main.conf", f"include {quote}a.conf\0x{quote}\n")
    with pytest.raises(ConfigError) as info:
        load(main)
    assert str(info.value) == f"{main}:1:16: unexpected NUL character in {kind} include"


@pytest.mark.parametrize("operand", ["a.conf", '"a.conf"'])
def test_a_nul_after_an_include_ends_it(tmp_path: Path, operand: str) -> None:
    # As after any top-level value (nats-server 2.15.1 reads zz, yy and xx here). The included
    # file goes through the same lexer: its NUL ends a value too.
    write(tmp_path, "a.conf", "zz: 1\0yy: 2\n")
    main = write(tmp_path, "main.conf", f"include {operand}\0xx: 3\n")
    assert load(main) == {"zz": 1, "yy": 2, "xx": 3}


def test_a_nul_after_an_include_in_a_map(tmp_path: Path) -> None:
    # nats-server 2.15.1: "Expected a map value terminator ... but got '\0' instead."
    write(tmp_path, "a.conf", "zz: 1\n")
    main = write(tmp_path, "main.conf", "m { include a.conf\0 }\n")
    with pytest.raises(ConfigError) as info:
        load(main)
    assert str(info.value) == (
        f"{main}:1:19: expected a map value terminator ',' or a map terminator '}}', "
        "but got '\\0' instead"
    )


def test_a_nul_inside_an_included_file(tmp_path: Path) -> None:
    # nats-server 2.15.1: "error parsing include file 'bad.conf', Parse error on line 2:
    # 'Unexpected EOF.'"
    bad = write(tmp_path, "bad.conf", 'zz: 1\nyy: "x\0"\n')
    main = write(tmp_path, "main.conf", "include bad.conf\n")
    with pytest.raises(ConfigError) as info:
        load(main)
    assert str(info.value) == f"{bad}:2:7: unexpected NUL character in quoted string"


def test_errors_inside_an_included_file_name_it(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "port: 1\ninclude sub/bad.conf\n")
    bad = write(tmp_path, "sub/bad.conf", "a: 1\nb: [1,,2]\n")
    with pytest.raises(ConfigError) as info:
        load(main)
    assert str(info.value) == f"{bad}:2:7: unexpected ',' in array (missing value)"
    assert info.value.file == str(bad)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"main.conf": "include main.conf\n"}, "main.conf:1:9: include cycle"),
        (
            {
                "main.conf": "include a.conf\n",
                "a.conf": "x: 1\ninclude b.conf\n",
                "b.conf": "include ./a.conf\n",
            },
            "b.conf:1:9: include cycle",
        ),
        (
            {"main.conf": "m { include a.conf }\n", "a.conf": "n { include main.conf }\n"},
            "a.conf:1:13: include cycle",
        ),
    ],
)
def test_include_cycles(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "main.conf")
    assert str(info.value).startswith(f"{tmp_path}/{message}")


def test_the_same_file_twice_is_not_a_cycle(tmp_path: Path) -> None:
    main = write(tmp_path, "main.conf", "a { include x.conf }\nb { include x.conf }\n")
    write(tmp_path, "x.conf", "v: 1\n")
    assert load(main) == {"a": {"v": 1}, "b": {"v": 1}}


def test_include_from_a_string(tmp_path: Path) -> None:
    write(tmp_path, "a.conf", "a: 1\n")
    assert loads("include a.conf", base_dir=str(tmp_path)) == {"a": 1}
    assert loads("include a.conf", str(tmp_path / "virtual.conf")) == {"a": 1}


def test_unreadable_main_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "nope.conf")
    assert (
        str(info.value)
        == f"{tmp_path}/nope.conf: can not read config file: No such file or directory"
    )
    assert info.value.line is None


def test_a_utf8_bom_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.conf"
    path.write_bytes(b"\xef\xbb\xbfport: 1\n")
    assert load(path) == {"port": 1}
