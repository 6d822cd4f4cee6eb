"""Line breaking for Chinese text with the basic 禁则 (kinsoku) rules. No Kivy import.

Kivy wraps at spaces only and splits a space-less run wherever it overflows, so Chinese lines can
start with 、 or ） and end with （, and a last line can hold a single orphaned character. `wrap`
breaks greedily between characters instead, keeping closing punctuation with the character
before it, opening punctuation with the character after it, Latin words and numbers whole, and
pulling one more character down when the last line would be a lone character.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# may not start a line
NO_START = set("，。、；：！？）】》」』〉”’…—·%,.;:!?)]}")
# may not end a line
NO_END = set("（【《「『〈“‘([{")


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def _tokens(paragraph: str) -> list[str]:
    """Unbreakable pieces: one CJK character, or one Latin word with its trailing spaces."""
    raw: list[str] = []
    for ch in paragraph:
        if ch == " ":
            if raw:
                raw[-1] += ch
            else:
                raw.append(ch)
        elif CJK.match(ch) or ch in NO_START or ch in NO_END or not raw:
            raw.append(ch)
        elif raw[-1] and not raw[-1].endswith(" ") and not CJK.match(raw[-1][-1]) and raw[-1][-1] not in NO_START | NO_END:
            raw[-1] += ch  # continue a Latin word or number
        else:
            raw.append(ch)
    tokens: list[str] = []
    glue_next = False
    for tok in raw:
        if tokens and (glue_next or tok[0] in NO_START):
            tokens[-1] += tok
        else:
            tokens.append(tok)
        glue_next = tok.rstrip()[-1:] in NO_END if tok.strip() else glue_next
    return tokens


def _wrap_paragraph(paragraph: str, width: float, measure: Callable[[str], float]) -> list[str]:
    tokens = _tokens(paragraph)
    lines: list[list[str]] = []
    line: list[str] = []
    for tok in tokens:
        if line and measure("".join(line + [tok]).rstrip()) > width:
            lines.append(line)
            line = [tok.lstrip()] if tok.strip() else []
        else:
            line.append(tok)
    if line:
        lines.append(line)
    # no lone character on the last line
    if len(lines) >= 2 and len(lines[-1]) == 1 and len(lines[-1][0].strip()) == 1 and len(lines[-2]) > 2:
        moved = lines[-2].pop()
        candidate = [moved, *lines[-1]]
        if measure("".join(candidate).rstrip()) <= width:
            lines[-1] = candidate
        else:
            lines[-2].append(moved)
    return ["".join(words).rstrip() for words in lines]


def wrap(text: str, width: float, measure: Callable[[str], float]) -> str:
    """`text` with line breaks inserted so no line is wider than `width` (as `measure` says)."""
    if width <= 0:
        return text
    return "\n".join(line for paragraph in text.split("\n") for line in _wrap_paragraph(paragraph, width, measure))
