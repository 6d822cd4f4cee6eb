"""Tickets and receipts as blocks, and the one layout engine that turns blocks into ESC/POS.

The queue ticket (排队号票), self-submission and locker receipts all reuse `render`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from drivers.printer import commands as c
from drivers.printer.commands import Align, QrLevel
from drivers.printer.model import PrinterModel
from drivers.printer.text import TextEncoder, render_line


@dataclass(frozen=True)
class Text:
    text: str
    scale: int = 1  # GS ! width = height = scale
    bold: bool = False
    align: Align = Align.CENTER


@dataclass(frozen=True)
class Qr:
    data: str  # ASCII link or UTF-8 text
    module: int = 6
    caption: str = ""


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Rule:
    """A thin separating line across the paper."""


Block = Text | Qr | Feed | Rule


@dataclass(frozen=True)
class Ticket:
    hall: str
    service: str
    number: str  # e.g. "A023"
    waiting: int
    issued_at: dt.datetime
    qr_url: str = ""
    priority: bool = False
    footer: Sequence[str] = ("请留意叫号，过号需重新取号",)
    second_qr: str = ""  # e.g. service evaluation (好差评)
    second_qr_caption: str = "扫码评价服务"
    test: bool = False  # 测试票: marked, never counted as issued

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        if self.test:
            out.append(Text("*** 测试 TEST ***", scale=2, bold=True))
        out += [
            Text(self.hall, scale=2, bold=True),
            Rule(),
            Text(self.number, scale=4, bold=True),
        ]
        if self.priority:
            out.append(Text("【优先】", scale=2, bold=True))
        out += [
            Text(f"业务：{self.service}"),
            Text(f"您前面还有 {self.waiting} 人等候"),
            Text(self.issued_at.strftime("%Y-%m-%d %H:%M:%S")),
        ]
        if self.qr_url:
            out += [Feed(), Qr(self.qr_url)]
        out += [Feed()] + [Text(line) for line in self.footer]
        if self.second_qr:
            out += [Feed(), Qr(self.second_qr, module=4, caption=self.second_qr_caption)]
        return out

    def text_lines(self) -> list[str]:
        """The ticket's text as a person reads it (what the simulator's transcript must show)."""
        return [b.text for b in self.blocks() if isinstance(b, Text)]


@dataclass(frozen=True)
class Receipt:
    """Self-submission and locker receipts: a title, label/value lines, a footer, an optional QR."""

    hall: str
    title: str
    lines: Sequence[tuple[str, str]]
    issued_at: dt.datetime
    footer: Sequence[str] = ()
    qr: str = ""
    test: bool = False

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        if self.test:
            out.append(Text("*** 测试 TEST ***", scale=2, bold=True))
        out += [Text(self.hall, scale=2, bold=True), Text(self.title, scale=2), Rule()]
        out += [Text(f"{label}：{value}", align=Align.LEFT) for label, value in self.lines]
        out.append(Text(self.issued_at.strftime("%Y-%m-%d %H:%M:%S"), align=Align.LEFT))
        if self.qr:
            out += [Feed(), Qr(self.qr)]
        out += [Text(line) for line in self.footer]
        return out


@dataclass
class _Writer:
    """Emits a mode command only when the mode changes (ESC @ leaves left, 1x, not bold)."""

    model: PrinterModel
    encoder: TextEncoder
    out: bytearray = field(default_factory=bytearray)
    raster_lines: int = 0
    _align: Align = Align.LEFT
    _scale: int = 1
    _bold: bool = False

    def set(self, align: Align | None = None, scale: int | None = None, bold: bool | None = None) -> None:
        if align is not None and align != self._align:
            self.out += c.align(align)
            self._align = align
        if scale is not None and scale != self._scale:
            self.out += c.size(scale, scale)
            self._scale = scale
        if bold is not None and bold != self._bold:
            self.out += c.bold(bold)
            self._bold = bold

    def text(self, block: Text) -> None:
        data = self.encoder.encode(block.text)
        self.set(align=block.align)
        if data is None:
            # The font cannot show it: print the line as an image, never as "?"
            bits, width_bytes, rows = render_line(block.text, self.model.dots, block.scale, block.bold, block.align)
            self.out += c.raster(bits, width_bytes, rows, self.model.raster_band_rows)
            self.raster_lines += 1
            return
        self.set(scale=block.scale, bold=block.bold)
        self.out += data + c.LF

    def qr(self, block: Qr) -> None:
        data = block.data.encode("utf-8")
        self.set(align=Align.CENTER)
        if self.model.qr_native:
            self.out += c.qr_native(data, block.module, QrLevel.M) + c.LF
        else:
            bits, width_bytes, rows = _qr_raster(data, block.module, self.model.dots)
            self.out += c.raster(bits, width_bytes, rows, self.model.raster_band_rows)
        if block.caption:
            self.text(Text(block.caption))

    def rule(self) -> None:
        self.set(align=Align.LEFT, scale=1, bold=False)
        self.out += b"-" * (self.model.dots // 12) + c.LF


def render(blocks: Sequence[Block], model: PrinterModel, encoder: TextEncoder | None = None) -> bytes:
    """ESC @, Chinese mode, the blocks, then feed-and-cut per the model (§6 of the spec)."""
    w = _Writer(model, encoder or TextEncoder(model.charset, model.font_missing))
    w.out += c.INIT + c.CHINESE_ON
    for block in blocks:
        match block:
            case Text():
                w.text(block)
            case Qr():
                w.qr(block)
            case Feed():
                w.out += c.LF * block.lines
            case Rule():
                w.rule()
    w.set(align=Align.LEFT, scale=1, bold=False)
    w.out += model.cut_command
    return bytes(w.out)


def _qr_raster(data: bytes, module: int, width_dots: int) -> tuple[bytes, int, int]:
    """QR as an image for printers without GS ( k: tight width, centred by ESC a 1."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix) * module
    width_bytes = (min(size, width_dots) + 7) // 8
    rows = bytearray()
    for row in matrix:
        line = bytearray(width_bytes)
        for x, dark in enumerate(row):
            if dark:
                for dx in range(module):
                    px = x * module + dx
                    if px < width_bytes * 8:
                        line[px // 8] |= 0x80 >> (px % 8)
        rows += bytes(line) * module
    return bytes(rows), width_bytes, len(matrix) * module
