"""The TOML line indexer: key paths → line numbers, checked against tomllib's own parse."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicecfg import SITES_DIR
from devicecfg.lines import KeyPath, LineIndex, dotted

PROFILES_DIR = Path(__file__).parents[2] / "devicecfg" / "profiles"
BUNDLED = sorted(SITES_DIR.glob("*.toml")) + sorted(PROFILES_DIR.glob("*.toml"))


def paths(node: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield prefix + (n,)
            yield from paths(value, prefix + (n,))


@pytest.mark.parametrize("file", BUNDLED, ids=lambda p: p.name)
def test_every_key_of_the_bundled_files_is_indexed_on_its_own_line(file: Path) -> None:
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = LineIndex(text)
    for path in paths(tomllib.loads(text)):
        line = index.lines.get(path)
        assert line is not None, dotted(path)
        if isinstance(path[-1], str):
            assert path[-1] in lines[line - 1], (dotted(path), line)


TRICKY = '''\
# [not] = "a table"
title = "a [bracket] and a # hash"   # comment [x]
"quoted key" = 1
a.b.c = 2
multi = """
[fake]
x = 1
"""
after = 3
points = [
  { x = 1, y = { z = 2 } },   # one
  { x = 3 },
]
nested = [[1, 2], [3,
  4]]

[[cabinets]]
id = "c1"

[[cabinets.boards]]
device = 'lit[eral]'

[[cabinets.boards]]
device = "b"

[cabinets.meta]
note = "x"

[[cabinets]]
id = "c2"

[[cabinets.boards]]
device = "c"
'''


def test_tricky_toml() -> None:
    tomllib.loads(TRICKY)  # it is valid TOML
    lines = LineIndex(TRICKY).lines
    assert lines[("title",)] == 2
    assert lines[("quoted key",)] == 3
    assert lines[("a",)] == lines[("a", "b")] == lines[("a", "b", "c")] == 4
    assert ("fake",) not in lines and ("x",) not in lines
    assert lines[("after",)] == 9
    assert lines[("points", 0)] == lines[("points", 0, "y", "z")] == 11
    assert lines[("points", 1, "x")] == 12
    assert lines[("nested", 1, 1)] == 15
    assert lines[("cabinets", 0)] == 17
    assert lines[("cabinets", 0, "boards", 0, "device")] == 21
    assert lines[("cabinets", 0, "boards", 1)] == 23
    assert lines[("cabinets", 0, "meta", "note")] == 27
    assert lines[("cabinets", 1, "id")] == 30
    assert lines[("cabinets", 1, "boards", 0, "device")] == 33


def test_line_of_falls_back_to_the_enclosing_entry() -> None:
    index = LineIndex(TRICKY)
    assert index.line_of(("cabinets", 1, "boards", 0, "address")) == 32
    assert index.line_of(("nowhere",)) is None


def test_path_at() -> None:
    index = LineIndex(TRICKY)
    assert index.path_at(4) == ("a", "b", "c")
    assert index.path_at(19) == ("cabinets", 0)  # a blank line inside the entry
    assert index.path_at(1) == ()


def test_dotted() -> None:
    assert dotted(("devices", 2, "port")) == "devices[2].port"
    assert dotted(("kiosk", "hall name")) == 'kiosk."hall name"'
    assert dotted((0,)) == "[0]"
    assert dotted(()) == ""


# -- property: on generated valid TOML, the index agrees with where each key was written ------

Node = tuple  # ("scalar", v) | ("array", [Node], multiline) | ("inline", {k: Node}) | ("table", {k: Node}) | ("aot", [{k: Node}])

_keys = st.text(max_size=4)
_scalars = st.one_of(st.integers(-(10**6), 10**6), st.booleans(), st.text(max_size=6))


def _values(depth: int) -> st.SearchStrategy[Node]:
    scalar = _scalars.map(lambda v: ("scalar", v))
    if depth == 0:
        return scalar
    inner = _values(depth - 1)
    return st.one_of(
        scalar,
        st.tuples(st.just("array"), st.lists(inner, max_size=3), st.booleans()),
        st.tuples(st.just("inline"), st.dictionaries(_keys, inner, max_size=3)),
    )


def _body(depth: int) -> st.SearchStrategy[dict[str, Node]]:
    node = _values(2)
    if depth > 0:
        node = st.one_of(
            node,
            _body(depth - 1).map(lambda b: ("table", b)),
            st.lists(_body(depth - 1), min_size=1, max_size=3).map(lambda bs: ("aot", bs)),
        )
    return st.dictionaries(_keys, node, max_size=4)


def _string(s: str) -> str:
    escaped = "".join(
        "\\" + c if c in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in s
    )
    return f'"{escaped}"'


def _key(k: str, quote: bool) -> str:
    return k if (re.fullmatch(r"[A-Za-z0-9_-]+", k) and not quote) else _string(k)


class _Emitter:
    """Writes a generated tree as TOML and records the line of every key path it writes."""

    def __init__(self, quote: bool) -> None:
        self.out: list[str] = []
        self.where: dict[KeyPath, int] = {}
        self.quote = quote

    def value(self, node: Node, path: KeyPath, line: int, top: bool = False) -> str:
        """The text of a value; for a multi-line array (only directly after a key), "[" after
        writing its elements on the lines below."""
        self.where.setdefault(path, line)
        match node:
            case ("scalar", v):
                return ("true" if v else "false") if isinstance(v, bool) else _string(v) if isinstance(v, str) else str(v)
            case ("array", items, multiline) if multiline and items and top:
                for n, item in enumerate(items):
                    self.out.append("  " + self.value(item, path + (n,), len(self.out) + 1) + ",")
                self.out.append("]")
                return "["
            case ("array", items, _):
                return "[" + ", ".join(self.value(item, path + (n,), line) for n, item in enumerate(items)) + "]"
            case ("inline", table):
                parts = [f"{_key(k, self.quote)} = {self.value(v, path + (k,), line)}" for k, v in table.items()]
                return "{ " + ", ".join(parts) + " }" if parts else "{}"
        raise AssertionError(node)

    def keyval(self, key: str, node: Node, path: KeyPath) -> None:
        at = len(self.out)
        self.out.append("")
        self.out[at] = f"{_key(key, self.quote)} = {self.value(node, path, at + 1, top=True)}"

    def body(self, body: dict[str, Node], path: KeyPath) -> None:
        for key, node in body.items():
            if node[0] not in ("table", "aot"):
                self.keyval(key, node, path + (key,))
        for key, node in body.items():
            header = ".".join(_key(p, self.quote) for p in path + (key,) if isinstance(p, str))
            if node[0] == "table":
                self.where.setdefault(path + (key,), len(self.out) + 1)
                self.out.append(f"[{header}]")
                self.body(node[1], path + (key,))
            elif node[0] == "aot":
                for n, entry in enumerate(node[1]):
                    self.where.setdefault(path + (key,), len(self.out) + 1)
                    self.where[path + (key, n)] = len(self.out) + 1
                    self.out.append(f"[[{header}]]")
                    self.body(entry, path + (key, n))


@settings(deadline=None, max_examples=300)
@given(body=_body(2), quote=st.booleans())
def test_index_agrees_with_generated_toml(body: dict[str, Node], quote: bool) -> None:
    emitter = _Emitter(quote)
    emitter.body(body, ())
    text = "\n".join(emitter.out) + "\n"
    data = tomllib.loads(text)  # the emitter writes valid TOML
    index = LineIndex(text)
    assert set(paths(data)) <= set(emitter.where)
    for path in paths(data):
        assert index.lines.get(path) == emitter.where[path], (dotted(path), text)
