"""Limits on a config file, checked on its raw text before tomllib sees it.

tomllib recurses once per nested array or inline table (RecursionError at a few hundred levels),
and Python refuses to turn an integer of more than 4,300 digits into an int (ValueError): neither
may reach the parser. A real site config is a few KiB, nests 3 deep at most
(`cabinets = [{boards = [{disabled = [3]}]}]`) and its largest number has 5 digits, so the limits
are far from anything a site needs. Each problem found is located: key path and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devicecfg.lines import KeyPath, LineIndex

MAX_FILE_BYTES = 1 << 20  # 1 MiB
MAX_DEPTH = 32  # arrays and inline tables inside one another
MAX_DIGITS = 40  # of an integer; 2^64 has 20

# What the scan must see: strings and comments (skipped whole, so the brackets and digits inside
# them do not count), brackets, line breaks and over-long integers (not part of a key, a float or
# a date: no word character or '.' on either side).
_TOKEN = re.compile(
    r'"""(?:\\.|[^\\])*?"""|\'\'\'.*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*'
    rf"|(?P<open>[\[{{])|(?P<close>[\]}}])|(?P<newline>\n)|(?P<long>(?<![\w.])[0-9][0-9_]{{{MAX_DIGITS},}}(?![\w.]))",
    re.DOTALL,
)


@dataclass(frozen=True)
class Limit:
    """A limit the text passes: where (key path and line, as far as known) and what."""

    path: KeyPath
    line: int | None
    message: str


TOO_LARGE = "larger than a kiosk config may be: at most 1 MiB (a real site's is a few KiB)"


def text_problem(text: str) -> Limit | None:
    """The first limit `text` passes, else None. Iterative: safe on any input."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return Limit((), None, TOO_LARGE)
    depth, line, outer, outer_line = 0, 1, 0, 1
    for m in _TOKEN.finditer(text):
        if m["newline"]:
            line += 1
        elif m["open"]:
            if depth == 0:
                outer, outer_line = m.start(), line
            depth += 1
            if depth > MAX_DEPTH:
                where = f" (level {MAX_DEPTH + 1} opens on line {line})" if line != outer_line else ""
                return _at(text, outer, f"arrays and inline tables nested more than {MAX_DEPTH} deep{where}; "
                                        "a kiosk config needs 3 at most")
        elif m["close"]:
            depth = max(0, depth - 1)
        elif m["long"]:
            return _at(text, m.start(), f"a number of {len(m['long'].replace('_', ''))} digits; "
                                        f"no setting takes one of more than {MAX_DIGITS}")
        else:
            line += m.group().count("\n")  # a multi-line string
    return None


def _at(text: str, pos: int, message: str) -> Limit:
    """A problem about the value starting at `pos`: the key it is assigned to comes from the text
    before it, with a placeholder value in its place (that prefix is within every limit)."""
    line = text.count("\n", 0, pos) + 1
    return Limit(LineIndex(text[:pos] + "0").path_at(line), line, message)
