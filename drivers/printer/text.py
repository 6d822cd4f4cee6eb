"""Text for Chinese printers: GB encoding per the printer's font, raster where it cannot print.

Policy (escpos-tickets.md §1.3): encode each line strictly with the font's codec; a line with a
character the codec cannot represent, or that the font lacks (per profile), is rendered as a
1-bit image with a CJK font instead. Nothing is ever sent as `?`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

CODECS = {"gb2312": "gb2312", "gbk": "gbk", "gb18030": "gb18030"}
BASE_DOTS = 24  # font A is 12 x 24 dots; a CJK glyph is 24 x 24


@dataclass(frozen=True)
class TextEncoder:
    charset: str  # gb2312 | gbk | gb18030: what the printer's font covers
    missing: Sequence[tuple[int, int]] = ()  # code point ranges the font has no glyph for

    def encode(self, text: str) -> bytes | None:
        """The line's bytes for Chinese mode, or None when it must be printed as an image."""
        if any(lo <= ord(ch) <= hi for ch in text for lo, hi in self.missing):
            return None
        try:
            data = text.encode(CODECS[self.charset], errors="strict")
        except UnicodeEncodeError:
            return None
        if self.charset == "gbk" and _has_user_defined(data):
            return None  # e.g. 䶮 lands in a GBK user-defined slot the font leaves empty
        return data


def _has_user_defined(data: bytes) -> bool:
    """GBK user-defined areas: AAA1–AFFE, F8A1–FEFE, A140–A7A0 (blank in printer fonts)."""
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            i += 1
            continue
        lead, trail = b, data[i + 1]
        if (0xAA <= lead <= 0xAF and trail >= 0xA1) or (0xF8 <= lead <= 0xFE and trail >= 0xA1) or (
            0xA1 <= lead <= 0xA7 and trail < 0xA1
        ):
            return True
        i += 2
    return False


@functools.cache
def _font(px: int):
    from PIL import ImageFont

    try:
        import pylopdf_fonts_zh_cn

        return ImageFont.truetype(str(pylopdf_fonts_zh_cn.sans_path()), px)
    except (ImportError, OSError):
        for path in ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
            try:
                return ImageFont.truetype(path, px, index=2 if "Noto" in path else 0)
            except OSError:
                continue
        raise


def render_line(text: str, width_dots: int, scale: int = 1, bold: bool = False, align: int = 1) -> tuple[bytes, int, int]:
    """Render one line to 1-bit raster data for GS v 0: (bits, width_bytes, rows).

    The glyph height matches the printer's font at this scale (24 dots × scale), so a raster
    line sits among text lines at the same size.
    """
    from PIL import Image, ImageDraw

    px = BASE_DOTS * scale
    font = _font(px)
    left, top, right, bottom = font.getbbox(text)
    text_w = min(right - left, width_dots)
    rows = max(px, bottom - top) + 2 * scale
    img = Image.new("1", (width_dots, rows), 1)
    x = {0: 0, 1: (width_dots - text_w) // 2, 2: width_dots - text_w}[align] - left
    draw = ImageDraw.Draw(img)
    draw.text((x, (rows - (bottom - top)) // 2 - top), text, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0)
    # PIL mode "1": 1 = white. ESC/POS: 1 = black dot, MSB leftmost.
    inverted = bytes(b ^ 0xFF for b in img.tobytes())
    return inverted, width_dots // 8, rows
