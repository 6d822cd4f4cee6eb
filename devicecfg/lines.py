"""Where each key of a TOML document sits: key path → 1-based line number.

tomllib returns plain dicts with no positions, so problems found later (by pydantic or the
cross-checks) would have no line to point at. This walks the text once with a tolerant scanner:
it understands tables, arrays of tables (also nested, `[[cabinets.boards]]`), dotted and quoted
keys, inline tables and arrays (also spanning lines), and strings of all four kinds. It never
raises: on text it does not understand it skips to the next line.
"""

from __future__ import annotations

import bisect
import json
import re

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\", "e": "\x1b"}


def dotted(path: KeyPath) -> str:
    """('devices', 2, 'port') → "devices[2].port"; keys that are not bare TOML keys are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{key}" if out else key
    return out


class LineIndex:
    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}  # first occurrence of each path
        self.written: dict[int, list[KeyPath]] = {}  # every path written on a line
        self.tables: list[tuple[int, KeyPath]] = []  # (line, path) of each table header
        _Scanner(text, self).run()

    def mark(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)
        self.written.setdefault(line, []).append(path)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, else of its nearest enclosing key, table or array entry."""
        for n in range(len(path), 0, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return None

    def path_at(self, line: int) -> KeyPath:
        """The most specific key written on `line`, else the table that line belongs to."""
        on_line = self.written.get(line)
        if on_line:
            return max(on_line, key=len)
        before = [p for n, p in self.tables if n <= line]
        return before[-1] if before else ()


class _Scanner:
    def __init__(self, text: str, index: LineIndex) -> None:
        self.s = text
        self.i = 0
        self.index = index
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.aot_counts: dict[KeyPath, int] = {}  # entries seen so far per array of tables
        self.table: KeyPath = ()

    # -- helpers -----------------------------------------------------------------------
    def line(self) -> int:
        return bisect.bisect_left(self.newlines, self.i) + 1

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def skip_blank(self, newlines: bool = False) -> None:
        """Skip spaces and tabs; with `newlines`, also line breaks and comments."""
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif newlines and c == "#":
                self.skip_line(keep_newline=True)
            else:
                return

    def skip_line(self, keep_newline: bool = False) -> None:
        end = self.s.find("\n", self.i)
        if end < 0:
            self.i = len(self.s)
        else:
            self.i = end if keep_newline else end + 1

    # -- document ----------------------------------------------------------------------
    def run(self) -> None:
        while self.i < len(self.s):
            start = self.i
            self.statement()
            if self.i <= start:  # guarantee progress on anything unexpected
                self.skip_line()

    def statement(self) -> None:
        self.skip_blank()
        c = self.peek()
        if c in ("\n", "\r", "#", ""):
            self.skip_line()
        elif c == "[":
            self.header()
            self.skip_line()
        else:
            self.keyval(self.table)
            self.skip_line()

    def header(self) -> None:
        line = self.line()
        aot = self.peek(2) == "[["
        self.i += 2 if aot else 1
        keys = self.key()
        if not keys:
            return
        path: KeyPath = ()
        for k in keys[:-1]:
            path += (k,)
            self.index.mark(path, line)
            if path in self.aot_counts:
                path += (self.aot_counts[path] - 1,)
        path += (keys[-1],)
        self.index.mark(path, line)
        if aot:
            n = self.aot_counts.get(path, 0)
            self.aot_counts[path] = n + 1
            path += (n,)
            self.index.mark(path, line)
        self.table = path
        self.index.tables.append((line, path))

    def keyval(self, base: KeyPath) -> None:
        line = self.line()
        keys = self.key()
        if not keys:
            return
        self.skip_blank()
        if self.peek() != "=":
            return
        self.i += 1
        for n in range(1, len(keys) + 1):
            self.index.mark(base + tuple(keys[:n]), line)
        self.skip_blank()
        self.value(base + tuple(keys))

    def key(self) -> list[str]:
        """A dotted key, as its parts; [] if there is none here."""
        parts: list[str] = []
        while True:
            self.skip_blank()
            c = self.peek()
            if c == '"':
                part = self.basic_string()
            elif c == "'":
                part = self.literal_string()
            else:
                m = _BARE.match(self.s, self.i)
                if not m:  # no key here, or a trailing dot
                    return []
                self.i = m.end()
                part = m.group()
            if part is None:
                return []
            parts.append(part)
            self.skip_blank()
            if self.peek() != ".":
                return parts
            self.i += 1

    # -- values ------------------------------------------------------------------------
    def value(self, path: KeyPath) -> None:
        c = self.peek()
        if c == "{":
            self.inline_table(path)
        elif c == "[":
            self.array(path)
        elif c in "\"'" and c:
            if self.peek(3) in ('"""', "'''"):
                self.multiline_string(self.peek(3))
            elif c == '"':
                self.basic_string()
            else:
                self.literal_string()
        else:
            while self.i < len(self.s) and self.s[self.i] not in ",]}\n#":
                self.i += 1

    def inline_table(self, path: KeyPath) -> None:
        self.i += 1
        while self.i < len(self.s):
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.i += 1
                return
            self.keyval(path)
            self.skip_blank(newlines=True)
            if self.peek() != ",":
                if self.peek() == "}":
                    self.i += 1
                return
            self.i += 1

    def array(self, path: KeyPath) -> None:
        self.i += 1
        n = 0
        while self.i < len(self.s):
            self.skip_blank(newlines=True)
            c = self.peek()
            if c == "]":
                self.i += 1
                return
            if c in ("", ",", "}"):
                return
            self.index.mark(path + (n,), self.line())
            start = self.i
            self.value(path + (n,))
            if self.i == start:
                return
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.i += 1
                n += 1
            elif self.peek() == "]":
                self.i += 1
                return
            else:
                return

    def basic_string(self) -> str | None:
        """A "…" string on one line, decoded; None if it is not closed on this line."""
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "\n":
                return None
            if c == "\\" and self.i + 1 < len(self.s):
                e = self.s[self.i + 1]
                width = {"u": 4, "U": 8}.get(e, 0)
                if width:
                    digits = self.s[self.i + 2 : self.i + 2 + width]
                    try:
                        out.append(chr(int(digits, 16)))
                    except (ValueError, OverflowError):
                        out.append(digits)
                    self.i += 2 + width
                else:
                    out.append(_ESCAPES.get(e, e))
                    self.i += 2
                continue
            out.append(c)
            self.i += 1
        return None

    def literal_string(self) -> str | None:
        end = self.s.find("'", self.i + 1)
        nl = self.s.find("\n", self.i + 1)
        if end < 0 or 0 <= nl < end:
            self.i = nl if nl >= 0 else len(self.s)
            return None
        text = self.s[self.i + 1 : end]
        self.i = end + 1
        return text

    def multiline_string(self, quote: str) -> None:
        self.i += 3
        while self.i < len(self.s):
            if quote == '"""' and self.s[self.i] == "\\":
                self.i += 2
                continue
            if self.s.startswith(quote, self.i):
                self.i += 3
                # Up to two more quotes belong to the content ("""a"""" is 'a"').
                for _ in range(2):
                    if self.peek() == quote[0]:
                        self.i += 1
                return
            self.i += 1
