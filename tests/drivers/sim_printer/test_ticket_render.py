"""Tickets as paper: PNG + transcript, Chinese glyphs, sizes, QR, raster images, cuts."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from drivers.sim.ticket_render import BOX, KANJI, TicketEnd, glyph
from tests.drivers.sim_printer.vectors import REFERENCE_LINES, REFERENCE_TICKET, URL, gb, job, qr, raster

WHITE_TOP = 96  # the paper between the print head and the cutter: every ticket's top margin


def pixels(ticket) -> np.ndarray:
    """True = black."""
    return np.asarray(Image.open(ticket.png).convert("L")) < 128


def decode_qr(ticket) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(ticket.png).convert("L"))]


def print_job(sim, data: bytes):
    sim.receive(data)
    assert sim.wait_idle()
    return sim.tickets


def test_reference_ticket_renders_with_its_qr_code_and_transcript(printer):
    [ticket] = print_job(printer, REFERENCE_TICKET)
    assert list(ticket.lines) == REFERENCE_LINES
    assert ticket.txt.read_text(encoding="utf-8") == "\n".join(REFERENCE_LINES) + "\n"
    assert ticket.qr_payloads == (URL,)
    assert decode_qr(ticket) == [URL]
    assert ticket.end is TicketEnd.PARTIAL_CUT and ticket.complete and not ticket.held and not ticket.missing
    img = Image.open(ticket.png)
    assert img.size[0] == 576 and img.mode == "1"
    assert 57 <= ticket.height / 8 <= 80  # mm: the spec's estimate for this ticket is 70–80 (§5)
    # The 4×4 number is 96 dots high: its rows are the tallest run of inked rows.
    dots = pixels(ticket)
    assert not dots[:WHITE_TOP].any()
    assert dots[:, :].any(axis=1).sum() > 300


def test_qr_module_size_and_level_are_the_stored_ones(printer):
    data = "https://zwfw.example.gov.cn/预约?id=42".encode()  # Chinese payloads go as UTF-8 (§1.6)
    [ticket] = print_job(printer, b"\x1b@\x1ba\x01" + qr(data, module=4, level=0x33) + b"\n" + job(cut=b"\x1dVB\x00")[4:])
    assert decode_qr(ticket) == [data.decode()]
    dots = pixels(ticket)
    rows = np.flatnonzero(dots.any(axis=1))
    cols = np.flatnonzero(dots.any(axis=0))
    side = cols[-1] - cols[0] + 1
    assert side == rows[-1] - rows[0] + 1 and side % 4 == 0  # square, whole 4-dot modules
    assert (side // 4 - 17) % 4 == 0  # 17 + 4·version modules
    assert cols[0] == (576 - side) // 2  # centred by ESC a 1


def test_chinese_text_big_number_qr_and_raster_on_one_ticket(printer):
    logo = ["#" * 40, "#" + "." * 38 + "#", "#" + ".#" * 19 + "#", "#" * 40]
    data = (bytes.fromhex("1B 40 1C 26 1B 61 01") + raster(logo) + b"\n"
            + bytes.fromhex("1D 21 11") + gb("不动产登记中心") + b"\n"
            + bytes.fromhex("1D 21 33") + b"B105\n"
            + bytes.fromhex("1D 21 00") + gb("请到 ３ 号窗口办理") + b"\n"
            + qr(URL.encode()) + b"\n"
            + bytes.fromhex("1B 61 00") + b"2024-05-01 09:31:05\n"
            + bytes.fromhex("1D 56 41 10"))
    [ticket] = print_job(printer, data)
    assert list(ticket.lines) == ["[IMAGE 40x4]", "", "不动产登记中心", "B105", "请到 ３ 号窗口办理", f"[QR] {URL}", "",
                                  "2024-05-01 09:31:05"]
    assert ticket.images == ((40, 4),) and ticket.cut.value == "full"
    assert decode_qr(ticket) == [URL]


def test_raster_image_is_drawn_bit_exact(printer):
    rows = ["#..#.##.#", ".#####...", "#########", "........#"]
    [ticket] = print_job(printer, b"\x1b@" + raster(rows) + raster(rows, mode=3) + b"\x1dVB\x00")
    want = np.array([[c == "#" for c in r.ljust(16, ".")] for r in rows])
    dots = pixels(ticket)
    assert np.array_equal(dots[WHITE_TOP : WHITE_TOP + 4, :16], want)
    assert np.array_equal(dots[WHITE_TOP + 4 : WHITE_TOP + 12, :32], want.repeat(2, 0).repeat(2, 1))
    dots[WHITE_TOP : WHITE_TOP + 12, :32] = False
    assert not dots.any()
    assert list(ticket.lines) == ["[IMAGE 16x4]", "[IMAGE 32x8]"]


def test_characters_sit_in_printer_cells_and_gs_size_multiplies_them(printer):
    [ticket] = print_job(printer, bytes.fromhex("1B 40 1C 26") + gb("中") + bytes.fromhex("1D 21 11") + gb("中")
                         + bytes.fromhex("1D 21 00") + b"\n\x1dVB\x00")
    dots = pixels(ticket)
    base = glyph("中", KANJI)
    # Cells share the bottom line: the 24-dot character sits low in the 48-dot line.
    assert np.array_equal(dots[WHITE_TOP + 24 : WHITE_TOP + 48, 0:24], base)
    assert np.array_equal(dots[WHITE_TOP : WHITE_TOP + 48, 24:72], base.repeat(2, 0).repeat(2, 1))


def test_esc_bang_does_not_enlarge_chinese(printer):
    # §1.4: ESC ! double size affects 1-byte characters only (python-escpos #328).
    [ticket] = print_job(printer, bytes.fromhex("1B 40 1C 26 1B 21 30") + gb("中A") + b"\n\x1dVB\x00")
    dots = pixels(ticket)
    assert np.array_equal(dots[WHITE_TOP + 24 : WHITE_TOP + 48, 0:24], glyph("中", KANJI))
    assert dots[WHITE_TOP : WHITE_TOP + 48, 24:48].any() and not dots[:, 48:].any()


@pytest.mark.parametrize("charset, missing", [("gb18030", ()), ("gbk", ("鿏", "䶮")), ("gb2312", ("鿏", "䶮", "臺"))])
def test_characters_outside_the_font_print_as_a_hollow_box(make_printer, charset, missing):
    sim = make_printer(charset=charset)
    [ticket] = print_job(sim, job("王鿏䶮臺"))  # 4-byte, GBK-less 2-byte, GBK-only
    assert ticket.missing == missing
    assert ticket.lines[0] == "".join(BOX if c in missing else c for c in "王鿏䶮臺")
    cell = pixels(ticket)[WHITE_TOP : WHITE_TOP + 24, 24:48]
    assert np.array_equal(cell, glyph("鿏", KANJI, missing=True)) == ("鿏" in missing)


def test_text_wraps_at_the_paper_width(make_printer):
    sim = make_printer(width="384")  # 58 mm: 16 Chinese characters a line
    [ticket] = print_job(sim, job("一二三四五六七八九十一二三四五六七八"))
    assert ticket.lines == ("一二三四五六七八九十一二三四五六", "七八")
    assert Image.open(ticket.png).size[0] == 384


def test_a_cut_without_feed_leaves_the_last_lines_for_the_next_ticket(printer):
    # §1.9: the cutter is 10–15 mm above the head; GS V 1 alone cuts above the last lines.
    first = job("第一张", "一", "二", "三", "四", cut=bytes.fromhex("1D 56 01"))
    tickets = print_job(printer, first + job("第二张"))
    assert [t.lines for t in tickets] == [("第一张", "一"), ("二", "三", "四", "第二张")]


def test_alignment_and_print_position_at_line_start_only(printer):
    data = bytes.fromhex("1B 40 1C 26 1B 61 02") + b"R\n" + b"x" + bytes.fromhex("1B 61 00") + b"y\n\x1dVB\x00"
    [ticket] = print_job(printer, data)
    dots = pixels(ticket)
    assert dots[:, 560:].any() and not dots[:, :540].any()  # "xy" stays right: ESC a mid-line is ignored
    assert "ESC a ignored" in printer.notes[0]
