"""ESC/POS as a printer hears it (escpos-tickets.md §1, §2): a sans-IO parser, bytes in and typed
ops out, and the scanner for real-time commands, which firmware acts on as the bytes arrive.

The parser is incremental: a command split across chunks is emitted once its last byte arrives,
and any chunking of a stream yields the same ops. A text run is emitted when the next non-text
byte arrives, so chunk boundaries never split it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
LF, CR, HT, NUL = 0x0A, 0x0D, 0x09, 0x00
EOT, ENQ, DC4 = 0x04, 0x05, 0x14
DC4_CLEAR = bytes.fromhex("10140801031401060208")  # DLE DC4 8: clear the buffers (§2.4)
_CP437 = bytes(range(0x80, 0x100)).decode("cp437")


class Align(enum.IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


class CutKind(enum.Enum):
    FULL = "full"
    PARTIAL = "partial"


# -- ops ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Init:
    """ESC @: modes to power-on defaults, print buffer cleared (not the receive buffer)."""


@dataclass(frozen=True, slots=True)
class ChineseMode:
    on: bool  # FS & / FS .


@dataclass(frozen=True, slots=True)
class CharSize:
    width: int  # GS !: 1–8, for every character
    height: int


@dataclass(frozen=True, slots=True)
class PrintMode:
    """ESC ! n: on Epson-style firmware it sizes only 1-byte characters (§1.4)."""

    n: int

    @property
    def font_b(self) -> bool:
        return bool(self.n & 0x01)

    @property
    def bold(self) -> bool:
        return bool(self.n & 0x08)

    @property
    def double_height(self) -> bool:
        return bool(self.n & 0x10)

    @property
    def double_width(self) -> bool:
        return bool(self.n & 0x20)

    @property
    def underline(self) -> bool:
        return bool(self.n & 0x80)


@dataclass(frozen=True, slots=True)
class KanjiMode:
    """FS ! n: double width (bit 2) / height (bit 3) of 2-byte characters only."""

    n: int


@dataclass(frozen=True, slots=True)
class SetAlign:
    align: Align


@dataclass(frozen=True, slots=True)
class Bold:
    on: bool


@dataclass(frozen=True, slots=True)
class Underline:
    dots: int


@dataclass(frozen=True, slots=True)
class Reverse:
    on: bool


@dataclass(frozen=True, slots=True)
class SelectFont:
    font: int  # 0 = A (12×24), 1 = B (9×17)


@dataclass(frozen=True, slots=True)
class LineSpacing:
    dots: int | None  # None: the default (ESC 2)


@dataclass(frozen=True, slots=True)
class LineFeed:
    pass


@dataclass(frozen=True, slots=True)
class FeedLines:
    n: int  # ESC d n


@dataclass(frozen=True, slots=True)
class FeedDots:
    n: int  # ESC J n


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    chinese: bool  # parsed in Chinese mode: its non-ASCII characters are 2/4-byte GB characters


@dataclass(frozen=True, slots=True)
class QrModel:
    model: int  # 1, 2, 3 = micro


@dataclass(frozen=True, slots=True)
class QrModuleSize:
    dots: int


@dataclass(frozen=True, slots=True)
class QrErrorLevel:
    level: str  # L M Q H


@dataclass(frozen=True, slots=True)
class QrStore:
    data: bytes


@dataclass(frozen=True, slots=True)
class QrPrint:
    pass


@dataclass(frozen=True, slots=True)
class Raster:
    mode: int  # 0 normal, 1 double width, 2 double height, 3 quadruple
    width_bytes: int
    height: int
    data: bytes

    @property
    def scale_x(self) -> int:
        return 2 if self.mode & 1 else 1

    @property
    def scale_y(self) -> int:
        return 2 if self.mode & 2 else 1


@dataclass(frozen=True, slots=True)
class Barcode:
    symbology: int
    data: bytes


@dataclass(frozen=True, slots=True)
class BarcodeHeight:
    dots: int


@dataclass(frozen=True, slots=True)
class Cut:
    kind: CutKind
    feed: int | None  # None: cut where the paper is; n: feed to the cutter + n dots first


@dataclass(frozen=True, slots=True)
class StatusRequest:
    n: int  # GS r n


@dataclass(frozen=True, slots=True)
class AutoStatusBack:
    mask: int  # GS a n


@dataclass(frozen=True, slots=True)
class PanelButtons:
    disabled: bool  # ESC c 5 n


@dataclass(frozen=True, slots=True)
class CodeTable:
    n: int  # ESC t n


@dataclass(frozen=True, slots=True)
class RealTime:
    """A real-time command met in the processed stream; firmware already acted on it on receipt."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed command the simulator does not model (drawer kick, margins, …)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Unknown:
    """An unknown sequence or stray control byte, skipped."""

    data: bytes


Op = (
    Init | ChineseMode | CharSize | PrintMode | KanjiMode | SetAlign | Bold | Underline | Reverse | SelectFont
    | LineSpacing | LineFeed | FeedLines | FeedDots | Text | QrModel | QrModuleSize | QrErrorLevel | QrStore
    | QrPrint | Raster | Barcode | BarcodeHeight | Cut | StatusRequest | AutoStatusBack | PanelButtons
    | CodeTable | RealTime | Ignored | Unknown
)

# Commands of fixed length: parameter byte counts after the 2-byte introducer.
_ESC_FIXED = {
    b"@": 0, b"!": 1, b"-": 1, b"2": 0, b"3": 1, b"E": 1, b"G": 1, b"M": 1, b"a": 1, b"d": 1, b"J": 1,
    b"t": 1, b"i": 0, b"m": 0, b"p": 3, b" ": 1, b"$": 2, b"\\": 2, b"R": 1, b"V": 1, b"{": 1, b"=": 1,
    b"e": 1, b"L": 0, b"S": 0, b"T": 1, b"W": 8, b"U": 1, b"%": 1, b"?": 1, b"r": 1, b"K": 1, b"<": 0, b"c": 2,
}
_FS_FIXED = {b"&": 0, b".": 0, b"!": 1, b"-": 1, b"W": 1, b"S": 2, b"C": 1, b"p": 2}
_GS_FIXED = {
    b"!": 1, b"B": 1, b"r": 1, b"a": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"L": 2, b"W": 2, b"P": 2,
    b"b": 1, b"I": 1, b"/": 1, b"$": 2, b"\\": 2, b"T": 1, b"^": 3, b":": 0, b"E": 1, b"j": 1,
}
_FIXED = {ESC: {k[0]: v for k, v in _ESC_FIXED.items()}, FS: {k[0]: v for k, v in _FS_FIXED.items()},
          GS: {k[0]: v for k, v in _GS_FIXED.items()}}
_BARCODE_A_MAX = 255
_TABS_MAX = 32

Parsed = tuple[Op, int] | None  # (op, bytes consumed), or None: wait for more bytes


class EscPosParser:
    """Bytes in, ops out. `chinese` is the mode at power-on and after ESC @."""

    def __init__(self, chinese: bool = False) -> None:
        self.chinese_default = chinese
        self.chinese = chinese
        self.unknown = 0
        self._buf = bytearray()
        self._text: list[str] = []
        self._text_bytes = 0
        self._text_chinese = chinese

    @property
    def pending_bytes(self) -> int:
        """Bytes received but not yet emitted as ops (a partial command, an unterminated text run)."""
        return len(self._buf) + self._text_bytes

    def reset(self, chinese: bool) -> None:
        """Drop everything pending (a buffer clear), resuming in the given Chinese mode."""
        self._buf.clear()
        self._text.clear()
        self._text_bytes = 0
        self.chinese = chinese

    def feed(self, data: bytes) -> list[Op]:
        self._buf += data
        buf, ops, i = self._buf, [], 0
        while i < len(buf):
            b = buf[i]
            if b >= 0x20 and b != 0x7F or b == HT:
                got = self._char(buf, i)
                if got is None:
                    break
                ch, size = got
                self._text_chinese = self.chinese  # only an op changes the mode, and ops flush text
                self._text.append(ch)
                self._text_bytes += size
                i += size
                continue
            if b == CR:  # ignored, as by most thermal firmware
                i += 1
                continue
            parsed = self._command(buf, i)
            if parsed is None:
                break
            op, size = parsed
            self._flush_text(ops)
            if isinstance(op, Unknown):
                self.unknown += 1
            elif isinstance(op, Init):
                self.chinese = self.chinese_default
            elif isinstance(op, ChineseMode):
                self.chinese = op.on
            ops.append(op)
            i += size
        del buf[:i]
        return ops

    def _flush_text(self, ops: list[Op]) -> None:
        if self._text:
            ops.append(Text("".join(self._text), self._text_chinese))
            self._text.clear()
            self._text_bytes = 0

    def _char(self, buf: bytearray, i: int) -> tuple[str, int] | None:
        b = buf[i]
        if b < 0x80:
            return chr(b), 1
        if not self.chinese:
            return _CP437[b - 0x80], 1
        if b in (0x80, 0xFF):
            return "\ufffd", 1
        if i + 1 >= len(buf):
            return None
        # A lead byte swallows the next byte whatever it is, even an LF (§1.2 hazard).
        size = 4 if 0x30 <= buf[i + 1] <= 0x39 else 2
        if i + size > len(buf):
            return None
        try:
            return bytes(buf[i : i + size]).decode("gb18030"), size
        except UnicodeDecodeError:
            return "\ufffd", size

    def _command(self, buf: bytearray, i: int) -> Parsed:
        b = buf[i]
        if b == LF:
            return LineFeed(), 1
        if b == DLE:
            return _dle(buf, i)
        if b not in (ESC, FS, GS):
            return Unknown(bytes([b])), 1
        if i + 1 >= len(buf):
            return None
        c = buf[i + 1]
        fixed = _FIXED[b].get(c)
        if fixed is not None:
            end = i + 2 + fixed
            if end > len(buf):
                return None
            return _fixed_op(b, c, bytes(buf[i + 2 : end]), bytes(buf[i:end])), end - i
        if b == ESC and c == ord("*"):
            return _esc_bit_image(buf, i)
        if b == ESC and c == ord("D"):
            return _until_nul(buf, i, 2, _TABS_MAX + 1)
        if b == GS and c == ord("V"):
            return _cut(buf, i)
        if b == GS and c == ord("v"):
            return _raster(buf, i)
        if b == GS and c == ord("k"):
            return _barcode(buf, i)
        if b == GS and c == ord("("):
            return _gs_paren(buf, i)
        return Unknown(bytes(buf[i : i + 2])), 2


def _fixed_op(intro: int, c: int, p: bytes, raw: bytes) -> Op:
    n = p[0] if p else 0
    if intro == ESC:
        match chr(c):
            case "@":
                return Init()
            case "!":
                return PrintMode(n)
            case "-" if n in (0, 1, 2, 48, 49, 50):
                return Underline(n % 48)
            case "2":
                return LineSpacing(None)
            case "3":
                return LineSpacing(n)
            case "E":
                return Bold(bool(n & 1))
            case "M" if n in (0, 1, 48, 49):
                return SelectFont(n % 48)
            case "a" if n in (0, 1, 2, 48, 49, 50):
                return SetAlign(Align(n % 48))
            case "d":
                return FeedLines(n)
            case "J":
                return FeedDots(n)
            case "t":
                return CodeTable(n)
            case "i":  # legacy cuts many clones still accept
                return Cut(CutKind.FULL, None)
            case "m":
                return Cut(CutKind.PARTIAL, None)
            case "c" if p[0] == ord("5"):
                return PanelButtons(bool(p[1] & 1))
    elif intro == FS:
        match chr(c):
            case "&":
                return ChineseMode(True)
            case ".":
                return ChineseMode(False)
            case "!":
                return KanjiMode(n)
    else:
        match chr(c):
            case "!" if (n >> 4) < 8 and (n & 0x0F) < 8:
                return CharSize((n >> 4) + 1, (n & 0x0F) + 1)
            case "B":
                return Reverse(bool(n & 1))
            case "r":
                return StatusRequest(n)
            case "a":
                return AutoStatusBack(n)
            case "h" if n >= 1:
                return BarcodeHeight(n)
    return Ignored(raw)


def _dle(buf: bytearray, i: int) -> Parsed:
    if i + 1 >= len(buf):
        return None
    c = buf[i + 1]
    if c in (EOT, ENQ):
        size = 3
    elif c == DC4:
        if i + 2 >= len(buf):
            return None
        size = 10 if buf[i + 2] == 8 else 5
    else:
        return Unknown(bytes([DLE])), 1
    if i + size > len(buf):
        return None
    return RealTime(bytes(buf[i : i + size])), size


def _until_nul(buf: bytearray, i: int, head: int, limit: int) -> Parsed:
    """A NUL-terminated parameter list of at most `limit` bytes (the NUL included)."""
    for j in range(i + head, min(len(buf), i + head + limit)):
        if buf[j] == NUL:
            return Ignored(bytes(buf[i : j + 1])), j + 1 - i
    if len(buf) >= i + head + limit:
        return Ignored(bytes(buf[i : i + head + limit - 1])), head + limit - 1
    return None


def _esc_bit_image(buf: bytearray, i: int) -> Parsed:
    if i + 5 > len(buf):
        return None
    m, count = buf[i + 2], buf[i + 3] | buf[i + 4] << 8
    if m in (0, 1):
        size = 5 + count
    elif m in (32, 33):
        size = 5 + 3 * count
    else:
        return Ignored(bytes(buf[i : i + 3])), 3
    if i + size > len(buf):
        return None
    return Ignored(bytes(buf[i : i + size])), size


def _cut(buf: bytearray, i: int) -> Parsed:
    if i + 2 >= len(buf):
        return None
    m = buf[i + 2]
    if m in (0, 48):
        return Cut(CutKind.FULL, None), 3
    if m in (1, 49):
        return Cut(CutKind.PARTIAL, None), 3
    if m in (65, 66, 97, 98, 103, 104):
        if i + 3 >= len(buf):
            return None
        if m in (65, 66):
            return Cut(CutKind.FULL if m == 65 else CutKind.PARTIAL, buf[i + 3]), 4
        return Ignored(bytes(buf[i : i + 4])), 4
    return Ignored(bytes(buf[i : i + 3])), 3


def _raster(buf: bytearray, i: int) -> Parsed:
    if i + 2 >= len(buf):
        return None
    if buf[i + 2] != ord("0"):
        return Unknown(bytes(buf[i : i + 2])), 2
    if i + 8 > len(buf):
        return None
    m, xl, xh, yl, yh = buf[i + 3 : i + 8]
    width, height = xl | xh << 8, yl | yh << 8
    size = 8 + width * height
    if m not in (0, 1, 2, 3, 48, 49, 50, 51):
        return Ignored(bytes(buf[i : i + 8])), 8
    if i + size > len(buf):
        return None
    if width == 0 or height == 0:
        return Ignored(bytes(buf[i : i + 8])), 8
    return Raster(m % 48, width, height, bytes(buf[i + 8 : i + size])), size


def _barcode(buf: bytearray, i: int) -> Parsed:
    if i + 2 >= len(buf):
        return None
    m = buf[i + 2]
    if m <= 6:  # function A: printable data up to a NUL
        for j in range(i + 3, min(len(buf), i + 3 + _BARCODE_A_MAX + 1)):
            if buf[j] == NUL:
                return Barcode(m, bytes(buf[i + 3 : j])), j + 1 - i
            if not 0x20 <= buf[j] <= 0x7E:  # firmware drops the command, the byte prints as data
                return Ignored(bytes(buf[i:j])), j - i
        if len(buf) > i + 3 + _BARCODE_A_MAX:
            return Ignored(bytes(buf[i : i + 3 + _BARCODE_A_MAX])), 3 + _BARCODE_A_MAX
        return None
    if 65 <= m <= 78:  # function B: counted data
        if i + 3 >= len(buf):
            return None
        size = 4 + buf[i + 3]
        if i + size > len(buf):
            return None
        return Barcode(m, bytes(buf[i + 4 : i + size])), size
    return Ignored(bytes(buf[i : i + 3])), 3


def _gs_paren(buf: bytearray, i: int) -> Parsed:
    if i + 5 > len(buf):
        return None
    length = buf[i + 3] | buf[i + 4] << 8
    size = 5 + length
    if i + size > len(buf):
        return None
    raw = bytes(buf[i : i + size])
    if buf[i + 2] != ord("k"):
        return Ignored(raw), size
    return _qr(raw[5:], raw), size


def _qr(body: bytes, raw: bytes) -> Op:
    if len(body) < 2 or body[0] != 0x31:  # cn 49 = QR; PDF417 and others are not modelled
        return Ignored(raw)
    fn, p = body[1], body[2:]
    if fn == 0x41 and p and p[0] in (0x31, 0x32, 0x33):
        return QrModel(p[0] - 0x30)
    if fn == 0x43 and p and 1 <= p[0] <= 16:
        return QrModuleSize(p[0])
    if fn == 0x45 and p and 0x30 <= p[0] <= 0x33:
        return QrErrorLevel("LMQH"[p[0] - 0x30])
    if fn == 0x50 and p and p[0] == 0x30:
        return QrStore(p[1:])
    if fn == 0x51:
        return QrPrint()
    return Ignored(raw)


# -- real-time commands -------------------------------------------------------------------------
class RealTimeKind(enum.Enum):
    STATUS = "status"  # DLE EOT n
    RECOVER = "recover"  # DLE ENQ n
    CLEAR = "clear"  # DLE DC4 8


@dataclass(frozen=True, slots=True)
class RealTimeRequest:
    kind: RealTimeKind
    n: int = 0


class RealTimeScanner:
    """Finds real-time commands in the raw byte stream, wherever they occur (even inside image
    data, as firmware does: §2.1). `feed` returns (end offset in the chunk, request) pairs."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, data: bytes) -> list[tuple[int, RealTimeRequest]]:
        buf = self._tail + data
        base, i, found = len(self._tail), 0, []
        self._tail = b""
        while i < len(buf):
            if buf[i] != DLE:
                i += 1
                continue
            if i + 1 >= len(buf):
                self._tail = buf[i:]
                break
            c = buf[i + 1]
            if c in (EOT, ENQ):
                if i + 2 >= len(buf):
                    self._tail = buf[i:]
                    break
                n = buf[i + 2]
                if (c == EOT and 1 <= n <= 4) or (c == ENQ and n in (1, 2)):
                    kind = RealTimeKind.STATUS if c == EOT else RealTimeKind.RECOVER
                    found.append((i + 3 - base, RealTimeRequest(kind, n)))
                    i += 3
                    continue
            elif c == DC4:
                have = buf[i : i + len(DC4_CLEAR)]
                if DC4_CLEAR.startswith(have):
                    if len(have) < len(DC4_CLEAR):
                        self._tail = have
                        break
                    found.append((i + len(DC4_CLEAR) - base, RealTimeRequest(RealTimeKind.CLEAR, 8)))
                    i += len(DC4_CLEAR)
                    continue
            i += 1
        return found
