"""ESC/POS rendering on bytes (escpos-tickets.md §1, §6)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer import commands as c
from drivers.printer.layout import Qr, Receipt, Text, Ticket, render
from drivers.printer.model import PrinterModel
from drivers.printer.text import TextEncoder, render_line

H = bytes.fromhex
GBK = PrinterModel(charset="gbk")
GB18030 = PrinterModel(charset="gb18030")
URL = "https://zwfw.example.gov.cn/q?t=A023&d=20240501"
SPEC_QR = H(
    "1D 28 6B 04 00 31 41 32 00 1D 28 6B 03 00 31 43 06 1D 28 6B 03 00 31 45 31"
    " 1D 28 6B 32 00 31 50 30 68 74 74 70 73 3A 2F 2F 7A 77 66 77 2E 65 78 61 6D 70 6C 65 2E 67 6F 76"
    " 2E 63 6E 2F 71 3F 74 3D 41 30 32 33 26 64 3D 32 30 32 34 30 35 30 31 1D 28 6B 03 00 31 51 30"
)


def without_rasters(data: bytes) -> bytes:
    """The stream with every GS v 0 image removed (image bits may be any byte)."""
    out, i = bytearray(), 0
    while (j := data.find(b"\x1dv0", i)) >= 0:
        out += data[i:j]
        width, rows = int.from_bytes(data[j + 4 : j + 6], "little"), int.from_bytes(data[j + 6 : j + 8], "little")
        i = j + 8 + width * rows
    return bytes(out + data[i:])


def ticket(**kw) -> Ticket:
    base = dict(hall="某某市政务服务中心", service="不动产登记", number="A023", waiting=12,
                issued_at=dt.datetime(2024, 5, 1, 9, 31, 5), qr_url=URL, footer=("请留意叫号，过号作废",))
    return Ticket(**(base | kw))


def test_reference_ticket_parts():
    data = render(ticket().blocks(), GBK)
    assert data.startswith(H("1B 40 1C 26 1B 61 01 1D 21 11 1B 45 01 C4 B3 C4 B3 CA D0 D5 FE CE F1 B7 FE CE F1 D6 D0 D0 C4 0A"))
    assert H("1D 21 33 1B 45 01") + b"A023\n" in data  # 4x4 with GS !, which enlarges Chinese too
    assert H("D2 B5 CE F1 A3 BA B2 BB B6 AF B2 FA B5 C7 BC C7 0A") in data  # 业务：不动产登记
    assert H("32 30 32 34 2D 30 35 2D 30 31 20 30 39 3A 33 31 3A 30 35 0A") in data
    assert SPEC_QR in data
    assert H("C7 EB C1 F4 D2 E2 BD D0 BA C5 A3 AC B9 FD BA C5 D7 F7 B7 CF 0A") in data
    assert data.endswith(H("1B 61 00 1D 56 42 00"))
    assert b"\x1b!" not in data  # ESC ! would leave Chinese small
    assert len(data) <= 600


def test_no_code_page_bytes_in_chinese_mode():
    """ESC t / FS . never appear: every byte >= 0x80 is part of a GB character."""
    data = render(ticket(service="Café 张三").blocks(), GBK)
    assert b"\x1bt" not in data and c.CHINESE_OFF not in data
    assert "Café 张三".encode("gbk") in data and b"\x82" not in data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("（）：，。", "A3 A8 A3 A9 A3 BA A3 AC A1 A3"),
        ("１２３", "A3 B1 A3 B2 A3 B3"),
        ("〇", "A9 96"),
        ("臺灣", "C5 5F 9E B3"),
        ("排队号", "C5 C5 B6 D3 BA C5"),
    ],
)
def test_gbk_text(text, expected):
    data = render([Text(text)], GBK)
    assert H(expected) + b"\n" in data and b"?" not in data


@pytest.mark.parametrize("text", ["王䶮", "鿏", "𠀀", "€ 10"])
def test_characters_gbk_cannot_hold_become_a_raster_line(text):
    data = render([Text(text)], GBK)
    assert b"\x1dv0" in data  # GS v 0
    assert without_rasters(data) == c.INIT + c.CHINESE_ON + c.align(c.Align.CENTER) + c.align(c.Align.LEFT) + H("1D 56 42 00")


def test_gb18030_printer_gets_four_byte_sequences():
    data = render([Text("鿏")], GB18030)
    assert H("82 35 93 34 0A") in data and b"\x1dv0" not in data
    assert H("FE 9F") in render([Text("王䶮")], GB18030)


def test_glyphs_the_font_lacks_are_rastered_per_profile():
    no_emoji = PrinterModel(charset="gb18030", font_missing=((0x1F000, 0x1FAFF),))
    assert b"\x1dv0" in render([Text("谢谢 😀")], no_emoji)
    assert b"\x1dv0" not in render([Text("谢谢")], no_emoji)


def test_gb2312_printer_rasters_traditional_characters():
    assert b"\x1dv0" in render([Text("臺灣")], PrinterModel(charset="gb2312"))


def test_cut_only_with_a_cutter():
    with_cutter = render([Text("x")], GBK)
    cutterless = PrinterModel(cutter=False, cut_command=H("1B 64 05"))
    without = render([Text("x")], cutterless)
    assert with_cutter.endswith(H("1D 56 42 00"))
    assert b"\x1dV" not in without and without.endswith(H("1B 64 05"))


def test_raster_qr_for_printers_without_native_qr():
    data = render([Qr(URL)], PrinterModel(qr_native=False))
    assert b"\x1d(k" not in data and b"\x1dv0" in data


def test_native_qr_is_far_smaller_than_raster():
    native = render(ticket().blocks(), GBK)
    raster = render(ticket().blocks(), PrinterModel(qr_native=False))
    assert len(raster) > 10 * len(native)


def test_priority_and_test_marks():
    assert "【优先】".encode("gbk") in render(ticket(priority=True).blocks(), GBK)
    assert "测试".encode("gbk") in render(ticket(test=True).blocks(), GBK)
    assert "测试".encode("gbk") not in render(ticket().blocks(), GBK)


def test_receipt_reuses_the_engine():
    r = Receipt("某某市政务服务中心", "自助申报回执", [("事项", "不动产登记"), ("材料", "3 份")], dt.datetime(2024, 5, 1, 9, 31, 5), qr=URL)
    data = render(r.blocks(), GBK)
    assert data.startswith(c.INIT + c.CHINESE_ON) and SPEC_QR in data and "材料：3 份".encode("gbk") in data


def test_raster_bands():
    bits = bytes(72 * 300)
    data = c.raster(bits, 72, 300, band_rows=100)
    assert data.count(b"\x1dv0\x00") == 3 and len(data) == 3 * 8 + len(bits)
    with pytest.raises(ValueError):
        c.raster(bits, 72, 301)


def test_rendered_line_has_ink_at_the_right_size():
    bits, width_bytes, rows = render_line("王䶮", 576, scale=2)
    assert width_bytes == 72 and rows >= 48 and any(bits)


@pytest.mark.parametrize(("w", "h", "n"), [(1, 1, 0x00), (2, 2, 0x11), (4, 4, 0x33), (2, 1, 0x10), (1, 2, 0x01), (8, 8, 0x77)])
def test_sizes(w, h, n):
    assert c.size(w, h) == bytes([0x1D, 0x21, n])


def test_status_and_recovery_commands():
    assert c.realtime_status(1) == H("10 04 01") and c.realtime_status(4) == H("10 04 04")
    assert c.BARRIER == H("1D 72 01") and c.recover(True) == H("10 05 02") and c.recover(False) == H("10 05 01")
    assert c.CLEAR_BUFFERS == H("10 14 08 01 03 14 01 06 02 08")


@given(st.text(max_size=30))
def test_any_text_prints_without_question_marks(text):
    data = TextEncoder("gbk").encode(text)
    if data is not None:
        assert data.decode("gbk") == text
