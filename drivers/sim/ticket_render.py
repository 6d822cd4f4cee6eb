"""Paper as the print head sees it: ops become dots on a strip of paper; a cut (or a tear, or the
end of the roll) turns the paper above the cutter into a ticket, saved as a PNG and a transcript
(escpos-tickets.md §1, §6).

Geometry is in dots (8 per mm at 203 dpi). Characters sit in fixed cells like a printer's
bitmap font (font A 12×24, font B 9×17, Chinese 24×24) and are enlarged by dot multiplication,
as GS ! does on the real device. The cutter sits `cut_gap` dots above the head, so a cut without
a feed leaves the last lines inside the printer: they come out on the next ticket (§1.9).
"""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from drivers.sim.escpos_parse import (
    Align,
    Barcode,
    BarcodeHeight,
    Bold,
    CharSize,
    ChineseMode,
    Cut,
    CutKind,
    FeedDots,
    FeedLines,
    Init,
    KanjiMode,
    LineFeed,
    LineSpacing,
    Op,
    PrintMode,
    QrErrorLevel,
    QrModel,
    QrModuleSize,
    QrPrint,
    QrStore,
    Raster,
    Reverse,
    SelectFont,
    SetAlign,
    Text,
    Underline,
)

DOTS_PER_MM = 8
DEFAULT_SPACING = 30  # ≈ 3.75 mm (§1.5)
DEFAULT_CUT_GAP = 96  # print head to cutter, 12 mm (§1.9: 10–15 mm)
FONT_A, FONT_B, KANJI = (12, 24), (9, 17), (24, 24)  # cell (width, height) in dots
BOX = "□"  # a missing glyph, in transcripts
_EMOJI = range(0x1F000, 0x1FB00)  # GB18030 codes them, but printer fonts lack them (§1.3)
_FREETYPE = threading.Lock()  # one FreeType face serves every simulator's worker thread


class Charset(enum.Enum):
    """The printer font's repertoire: what it can print, not how bytes decode."""

    GB18030 = "gb18030"
    GBK = "gbk"
    GB2312 = "gb2312"


def has_glyph(ch: str, charset: Charset) -> bool:
    if ord(ch) < 0x80:
        return True
    if ch == "\ufffd":  # an invalid GB sequence
        return False
    if charset is Charset.GB18030:
        return ord(ch) not in _EMOJI
    try:
        return len(ch.encode(charset.value)) == 2  # Python's gbk maps € to 0x80: not a font glyph
    except UnicodeEncodeError:
        return False


# -- glyphs -------------------------------------------------------------------------------------
@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    import pylopdf_fonts_zh_cn

    return ImageFont.truetype(str(pylopdf_fonts_zh_cn.sans_path()), size)


@functools.lru_cache(maxsize=4096)
def glyph(ch: str, cell: tuple[int, int], missing: bool = False) -> np.ndarray:
    """The 1-bit bitmap (rows × columns, True = black) of one character in its base cell."""
    w, h = cell
    if missing:
        box = np.zeros((h, w), bool)
        m = max(1, w // 8)
        box[m + 1 : h - m, m] = box[m + 1 : h - m, w - 1 - m] = True
        box[m + 1, m : w - m] = box[h - m - 1, m : w - m] = True
        box.setflags(write=False)
        return box
    wide = w == KANJI[0]
    size, baseline = (h, round(h * 0.88)) if wide else (round(h * 0.9), round(h * 0.8))
    canvas = Image.new("L", (3 * w, h), 0)
    with _FREETYPE:
        ImageDraw.Draw(canvas).text((1.5 * w, baseline), ch, font=_font(size), fill=255, anchor="ms")
    ink = canvas.getbbox()
    if ink and ink[2] - ink[0] > w:  # wider than the cell (W, M, @): squeeze, as bitmap fonts do
        canvas = canvas.crop((ink[0], 0, ink[2], h)).resize((w, h), Image.Resampling.LANCZOS)
    else:
        left = round(1.5 * w - w / 2)
        canvas = canvas.crop((left, 0, left + w, h))
    bitmap = np.asarray(canvas) >= 112
    bitmap.setflags(write=False)  # shared through the cache
    return bitmap


def _scale(bitmap: np.ndarray, sx: int, sy: int) -> np.ndarray:
    if sx == sy == 1:
        return bitmap
    return np.repeat(np.repeat(bitmap, sy, axis=0), sx, axis=1)


# -- paper --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Strip:
    """Something printed: its top `y` on the current piece of paper and its dots, full width."""

    y: int
    bitmap: np.ndarray
    text: str | None = None  # its transcript line; None for feeds
    qr: str | None = None
    image: tuple[int, int] | None = None
    missing: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return self.bitmap.shape[0]


class TicketEnd(enum.Enum):
    FULL_CUT = "full_cut"
    PARTIAL_CUT = "partial_cut"
    TORN_OFF = "torn_off"  # by hand at the tear bar (printers without a cutter)
    PAPER_OUT = "paper_out"  # the roll ended under the head: what was printed so far


@dataclass(frozen=True)
class TicketDraft:
    """A piece of paper that left the printer, before it is saved."""

    strips: tuple[Strip, ...]
    height: int
    width: int
    end: TicketEnd
    interrupted: bool  # a paper end or a buffer clear broke the job it holds
    held: bool  # it printed data received while the printer was offline

    def _own(self) -> list[Strip]:
        # A strip belongs to the piece that holds its top; the ones above 0 are the tail of a
        # line cut through by the previous cut.
        return sorted((s for s in self.strips if s.y >= 0), key=lambda s: s.y)

    def image(self) -> Image.Image:
        canvas = np.zeros((self.height, self.width), bool)
        for s in self.strips:
            y0, y1 = max(0, s.y), min(self.height, s.y + s.rows)
            if y1 > y0:
                canvas[y0:y1] |= s.bitmap[y0 - s.y : y1 - s.y]
        return Image.fromarray(np.where(canvas, 0, 255).astype(np.uint8), "L").convert("1", dither=Image.Dither.NONE)

    def lines(self) -> list[str]:
        lines = [s.text for s in self._own() if s.text is not None]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def qr_payloads(self) -> list[str]:
        return [s.qr for s in self._own() if s.qr is not None]

    def images(self) -> list[tuple[int, int]]:
        return [s.image for s in self._own() if s.image is not None]

    def missing(self) -> list[str]:
        return [ch for s in self._own() for ch in s.missing]


@dataclass(frozen=True)
class Ticket:
    """A saved ticket: `NNNN.png` and `NNNN.txt` in the output directory."""

    number: int
    png: Path
    txt: Path
    lines: tuple[str, ...]
    qr_payloads: tuple[str, ...]
    images: tuple[tuple[int, int], ...]  # raster images, printed size in dots
    missing: tuple[str, ...]  # characters printed as a hollow box (not in the font)
    end: TicketEnd
    complete: bool  # cut (or torn off) with no paper end or buffer clear in between
    held: bool
    height: int  # dots

    @property
    def cut(self) -> CutKind | None:
        return {TicketEnd.FULL_CUT: CutKind.FULL, TicketEnd.PARTIAL_CUT: CutKind.PARTIAL}.get(self.end)


def save_ticket(draft: TicketDraft, out: Path, number: int) -> Ticket:
    out.mkdir(parents=True, exist_ok=True)
    png, txt = out / f"{number:04d}.png", out / f"{number:04d}.txt"
    draft.image().save(png)
    lines = draft.lines()
    txt.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    complete = draft.end is not TicketEnd.PAPER_OUT and not draft.interrupted
    return Ticket(number, png, txt, tuple(lines), tuple(draft.qr_payloads()), tuple(draft.images()),
                  tuple(draft.missing()), draft.end, complete, draft.held, draft.height)


# -- the print engine ---------------------------------------------------------------------------
@dataclass
class Modes:
    """Everything ESC @ resets."""

    chinese: bool = False
    ascii_size: tuple[int, int] = (1, 1)
    kanji_size: tuple[int, int] = (1, 1)
    font_b: bool = False
    bold: bool = False
    underline: int = 0
    reverse: bool = False
    align: Align = Align.LEFT
    spacing: int = DEFAULT_SPACING
    qr_model: int = 2
    qr_module: int = 3
    qr_level: str = "L"
    qr_data: bytes | None = None
    barcode_height: int = 162


@dataclass
class _Cell:
    bitmap: np.ndarray
    text: str
    missing: str | None = None


@dataclass
class _Piece:
    strips: list[Strip] = field(default_factory=list)
    y: int = DEFAULT_CUT_GAP
    interrupted: bool = False
    held: bool = False


class PrintEngine:
    """Applies printing ops to the paper. Not thread-safe: the simulator serialises calls.

    `apply` and `cut` return the paper advance in dots, which sets the print time."""

    def __init__(self, width: int = 576, charset: Charset = Charset.GB18030, chinese: bool = False,
                 cut_gap: int = DEFAULT_CUT_GAP, note: Callable[[str], None] | None = None) -> None:
        self.width = width
        self.charset = charset
        self.chinese_default = chinese
        self.cut_gap = cut_gap
        self.modes = Modes(chinese=chinese)
        self._note = note or (lambda _msg: None)
        self._cells: list[_Cell] = []
        self._line_width = 0
        self._piece = _Piece(y=cut_gap)

    # -- state --------------------------------------------------------------------------------
    @property
    def line_pending(self) -> bool:
        """The print buffer holds characters not yet printed (no LF yet)."""
        return bool(self._cells)

    @property
    def has_print(self) -> bool:
        return any(s.y >= 0 and (s.bitmap.any() or s.text) for s in self._piece.strips)

    def mark_held(self) -> None:
        self._piece.held = True

    def clear_print_buffer(self) -> None:
        """DLE ENQ 2 / DLE DC4 8: the unprinted line is dropped; a job on the paper is broken."""
        self._cells.clear()
        self._line_width = 0
        # A piece with print on it holds a broken job; a blank one (e.g. a new roll after a
        # paper end) starts clean, since the broken job's remainder is gone.
        self._piece.interrupted = self.has_print

    # -- ops ----------------------------------------------------------------------------------
    def apply(self, op: Op) -> int:
        m = self.modes
        match op:
            case Text():
                return self._text(op)
            case LineFeed():
                return self._line_feed()
            case FeedLines(n=0):
                return self._print_line(content_only=True) if self._cells else 0
            case FeedLines(n=n):
                return sum(self._line_feed() for _ in range(n))
            case FeedDots(n=n):
                if self._cells:
                    return self._print_line(advance=n)
                self._piece.y += n
                return n
            case Init():
                self._cells.clear()
                self._line_width = 0
                self.modes = Modes(chinese=self.chinese_default)
            case ChineseMode(on=on):
                m.chinese = on
            case CharSize(width=w, height=h):
                m.ascii_size = m.kanji_size = (w, h)
            case PrintMode():
                m.font_b, m.bold = op.font_b, op.bold
                m.underline = 1 if op.underline else 0
                m.ascii_size = (2 if op.double_width else 1, 2 if op.double_height else 1)
            case KanjiMode(n=n):
                m.kanji_size = (2 if n & 0x04 else 1, 2 if n & 0x08 else 1)
            case SetAlign(align=align):
                if self._cells:
                    self._note("ESC a ignored: not at the start of a line")
                else:
                    m.align = align
            case Bold(on=on):
                m.bold = on
            case Underline(dots=dots):
                m.underline = dots
            case Reverse(on=on):
                m.reverse = on
            case SelectFont(font=font):
                m.font_b = font == 1
            case LineSpacing(dots=dots):
                m.spacing = DEFAULT_SPACING if dots is None else dots
            case QrModel(model=model):
                m.qr_model = model
            case QrModuleSize(dots=dots):
                m.qr_module = dots
            case QrErrorLevel(level=level):
                m.qr_level = level
            case QrStore(data=data):
                m.qr_data = data
            case QrPrint():
                return self._qr()
            case Raster():
                return self._raster(op)
            case BarcodeHeight(dots=dots):
                m.barcode_height = dots
            case Barcode():
                return self._barcode(op)
        return 0

    def cut(self, op: Cut) -> tuple[int, TicketDraft | None]:
        if self._cells:
            self._note("GS V ignored: not at the start of a line (send LF first)")
            return 0, None
        advance = 0
        if op.feed is not None:
            advance = self.cut_gap + op.feed
            self._piece.y += advance
        end = TicketEnd.FULL_CUT if op.kind is CutKind.FULL else TicketEnd.PARTIAL_CUT
        return advance, self._split(self._piece.y - self.cut_gap, end)

    def tear(self) -> TicketDraft | None:
        """Someone tears the paper off at the tear bar, where the cutter would be."""
        if not self.has_print:
            return None
        return self._split(self._piece.y - self.cut_gap, TicketEnd.TORN_OFF)

    def end_roll(self) -> TicketDraft | None:
        """The roll ended: what was printed leaves as it is; the job goes on on the next roll."""
        draft = None
        if self.has_print:
            piece = self._piece
            draft = TicketDraft(tuple(piece.strips), piece.y, self.width, TicketEnd.PAPER_OUT,
                                piece.interrupted, piece.held)
        self._piece = _Piece(y=self.cut_gap, interrupted=draft is not None)
        return draft

    def _split(self, at: int, end: TicketEnd) -> TicketDraft | None:
        if at <= 0:  # a second cut at the same place: nothing comes out
            return None
        piece = self._piece
        draft = TicketDraft(tuple(s for s in piece.strips if s.y < at), at, self.width, end,
                            piece.interrupted, piece.held)
        rest = [replace(s, y=s.y - at) for s in piece.strips if s.y + s.rows > at]
        self._piece = _Piece(strips=rest, y=piece.y - at)
        return draft

    # -- printing -----------------------------------------------------------------------------
    def _add(self, strip: Strip, advance: int) -> int:
        self._piece.strips.append(strip)
        self._piece.y += advance
        return advance

    def _offset(self, width: int) -> int:
        room = max(0, self.width - width)
        return {Align.LEFT: 0, Align.CENTER: room // 2, Align.RIGHT: room}[self.modes.align]

    def _text(self, op: Text) -> int:
        m, advance = self.modes, 0
        for ch in op.text:
            if ch == "\t":
                step = FONT_A[0] * 8
                width = min(self.width, (self._line_width // step + 1) * step) - self._line_width
                if width > 0:
                    self._append(_Cell(np.zeros((1, width), bool), " " * max(1, width // FONT_A[0])))
                continue
            wide = op.chinese and ord(ch) >= 0x80
            missing = wide and not has_glyph(ch, self.charset)
            cell = KANJI if wide else FONT_B if m.font_b else FONT_A
            bitmap = glyph(ch, cell, missing)
            if m.bold:
                bitmap = bitmap.copy()
                bitmap[:, 1:] |= bitmap[:, :-1]
            sx, sy = m.kanji_size if wide else m.ascii_size
            bitmap = _scale(bitmap, sx, sy)
            if m.underline:
                bitmap = bitmap.copy()
                bitmap[-m.underline :] = True
            if m.reverse:
                bitmap = ~bitmap
            if self._cells and self._line_width + bitmap.shape[1] > self.width:
                advance += self._print_line()  # the line is full: the printer wraps
            self._append(_Cell(bitmap, BOX if missing else ch, ch if missing else None))
        return advance

    def _append(self, cell: _Cell) -> None:
        self._cells.append(cell)
        self._line_width += cell.bitmap.shape[1]

    def _line_feed(self) -> int:
        if self._cells:
            return self._print_line()
        return self._add(Strip(self._piece.y, np.zeros((0, self.width), bool), text=""), self.modes.spacing)

    def _print_line(self, advance: int | None = None, content_only: bool = False) -> int:
        height = max(c.bitmap.shape[0] for c in self._cells)
        if advance is None:
            advance = height if content_only else max(self.modes.spacing, height)
        bitmap = np.zeros((height, self.width), bool)
        x = self._offset(self._line_width)
        for c in self._cells:
            h, w = c.bitmap.shape
            w = min(w, self.width - x)
            if w > 0:
                bitmap[height - h :, x : x + w] = c.bitmap[:, :w]
            x += c.bitmap.shape[1]
        text = "".join(c.text for c in self._cells).rstrip()
        missing = tuple(c.missing for c in self._cells if c.missing)
        self._cells.clear()
        self._line_width = 0
        return self._add(Strip(self._piece.y, bitmap, text=text, missing=missing), advance)

    def _block(self, block: np.ndarray, **what: object) -> int:
        """A QR code, image or barcode, placed by the current alignment."""
        h, w = block.shape
        w = min(w, self.width)
        bitmap = np.zeros((h, self.width), bool)
        x = self._offset(w)
        bitmap[:, x : x + w] = block[:, :w]
        return self._add(Strip(self._piece.y, bitmap, **what), h)  # type: ignore[arg-type]

    def _qr(self) -> int:
        advance = self._print_line() if self._cells else 0
        m = self.modes
        if not m.qr_data:
            self._note("QR print ignored: no data stored")
            return advance
        if m.qr_model != 2:
            self._note(f"QR model {m.qr_model} printed as model 2")
        # zxing-cpp's encoder: ~0.2 ms where the pure-Python qrcode package takes ~10 ms, which
        # would show up as printer processing time in every timing measured against the simulator.
        try:
            data = bytes(m.qr_data)
            try:  # text as text, so readers get the UTF-8 a phone would guess; else raw bytes
                content: str | bytes = data.decode("utf-8")
            except UnicodeDecodeError:
                content = data
            code = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level=m.qr_level)
        except (ValueError, RuntimeError):
            self._note(f"QR print ignored: {len(m.qr_data)} bytes do not fit at level {m.qr_level}")
            return advance
        matrix = np.asarray(code.to_image(scale=1, add_quiet_zones=False)) == 0  # black modules
        symbol = _scale(matrix, m.qr_module, m.qr_module)
        if symbol.shape[1] > self.width:
            self._note(f"QR print ignored: {symbol.shape[1]} dots wider than the paper")
            return advance
        return advance + self._block(symbol, text=f"[QR] {m.qr_data.decode('utf-8', 'replace')}",
                                     qr=m.qr_data.decode("utf-8", "replace"))

    def _raster(self, op: Raster) -> int:
        if self._cells:
            self._note("GS v 0 ignored: the print buffer is not empty (send LF first)")
            return 0
        bits = np.unpackbits(np.frombuffer(op.data, np.uint8)).reshape(op.height, op.width_bytes * 8)
        image = _scale(bits.astype(bool), op.scale_x, op.scale_y)
        h, w = image.shape
        return self._block(image, text=f"[IMAGE {w}x{h}]", image=(w, h))

    def _barcode(self, op: Barcode) -> int:
        advance = self._print_line() if self._cells else 0
        height, width = self.modes.barcode_height, min(self.width, 6 * (11 * len(op.data) + 35))
        block = np.zeros((height, width), bool)
        block[:, ::6] = block[:, 1::6] = True  # a placeholder: the bars are not encoded
        data = op.data.decode("latin-1")
        return advance + self._block(block, text=f"[BARCODE {op.symbology} {data}]")
