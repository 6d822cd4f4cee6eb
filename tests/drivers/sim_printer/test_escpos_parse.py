"""The ESC/POS parser and real-time scanner, on byte literals from escpos-tickets.md and fuzzed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sim.escpos_parse import (
    Align,
    AutoStatusBack,
    Barcode,
    BarcodeHeight,
    Bold,
    CharSize,
    ChineseMode,
    CodeTable,
    Cut,
    CutKind,
    EscPosParser,
    FeedLines,
    Ignored,
    Init,
    LineFeed,
    LineSpacing,
    PanelButtons,
    PrintMode,
    QrErrorLevel,
    QrModel,
    QrModuleSize,
    QrPrint,
    QrStore,
    Raster,
    RealTime,
    RealTimeKind,
    RealTimeRequest,
    RealTimeScanner,
    Reverse,
    SelectFont,
    SetAlign,
    StatusRequest,
    Text,
    Underline,
    Unknown,
)
from tests.drivers.sim_printer.vectors import DC4_CLEAR, QR_EXAMPLE, REFERENCE_TICKET, URL, raster


def parse(data: bytes, chinese: bool = False) -> list:
    return EscPosParser(chinese).feed(data)


def parse_chunked(data: bytes, cuts: list[int], chinese: bool = False) -> list:
    parser, ops, start = EscPosParser(chinese), [], 0
    for cut in sorted(cuts) + [len(data)]:
        ops += parser.feed(data[start:cut])
        start = max(start, cut)
    return ops


QR_OPS = [QrModel(2), QrModuleSize(6), QrErrorLevel("M"), QrStore(URL.encode()), QrPrint()]


def test_reference_ticket_parses_to_its_commands():
    assert len(REFERENCE_TICKET) == 219
    assert parse(REFERENCE_TICKET) == [
        Init(), ChineseMode(True), SetAlign(Align.CENTER), CharSize(2, 2), Bold(True),
        Text("某某市政务服务中心", True), LineFeed(),
        CharSize(4, 4), Text("A023", True), LineFeed(),
        CharSize(1, 1), Bold(False),
        Text("业务：不动产登记", True), LineFeed(),
        Text("前面还有 12 人等候", True), LineFeed(),
        Text("2024-05-01 09:31:05", True), LineFeed(),
        *QR_OPS, LineFeed(),
        Text("请留意叫号，过号作废", True), LineFeed(),
        SetAlign(Align.LEFT), Cut(CutKind.PARTIAL, 0),
    ]


def test_qr_example_keeps_model_module_level_and_data():
    assert len(QR_EXAMPLE) == 88
    assert parse(QR_EXAMPLE) == QR_OPS


def test_a_command_split_anywhere_parses_once_complete():
    parser, ops = EscPosParser(), []
    for i in range(len(REFERENCE_TICKET)):
        ops += parser.feed(REFERENCE_TICKET[i : i + 1])
    assert ops == parse(REFERENCE_TICKET)
    assert parser.pending_bytes == 0


def test_text_and_commands_wait_for_their_last_byte():
    parser = EscPosParser(chinese=True)
    assert parser.feed(bytes.fromhex("C5 C5 B6")) == []  # 排 + half of 队
    assert parser.feed(bytes.fromhex("D3")) == []  # a text run may go on
    assert parser.pending_bytes == 4
    assert parser.feed(bytes.fromhex("1D 21")) == []
    assert parser.feed(bytes.fromhex("11")) == [Text("排队", True), CharSize(2, 2)]


def test_chinese_mode_decodes_gb18030_two_and_four_byte_characters():
    data = bytes.fromhex("1C 26 C5 C5 B6 D3 BA C5 20 82 35 93 34 95 32 82 36 FE 9F 0A")
    assert parse(data) == [ChineseMode(True), Text("排队号 鿏𠀀䶮", True), LineFeed()]


def test_outside_chinese_mode_high_bytes_are_cp437():
    assert parse(bytes.fromhex("43 61 66 82 0A")) == [Text("Café", False), LineFeed()]
    assert parse(bytes.fromhex("1C 26 1C 2E 82 0A")) == [ChineseMode(True), ChineseMode(False), Text("é", False), LineFeed()]


def test_in_chinese_mode_a_stray_code_page_byte_swallows_the_line_feed():
    # §1.2 hazard: CP437 é (82) is a lead byte in Chinese mode and eats the LF after it.
    assert parse(bytes.fromhex("1C 26 43 61 66 82 0A 41 0A")) == [ChineseMode(True), Text("Caf\ufffdA", True), LineFeed()]


def test_esc_at_restores_the_power_on_chinese_mode():
    assert parse(bytes.fromhex("1C 26 1B 40 C5 C5 0A"), chinese=False)[2] == Text("┼┼", False)  # CP437 C5
    assert parse(bytes.fromhex("1C 2E 1B 40 C5 C5 0A"), chinese=True)[2] == Text("排", True)


def test_character_size_and_print_mode():
    assert parse(bytes.fromhex("1D 21 00 1D 21 11 1D 21 33 1D 21 10 1D 21 01 1D 21 77")) == [
        CharSize(1, 1), CharSize(2, 2), CharSize(4, 4), CharSize(2, 1), CharSize(1, 2), CharSize(8, 8)]
    assert parse(bytes.fromhex("1D 21 88")) == [Ignored(bytes.fromhex("1D 21 88"))]
    mode = parse(bytes.fromhex("1B 21 B9"))[0]
    assert mode == PrintMode(0xB9)
    assert (mode.font_b, mode.bold, mode.double_height, mode.double_width, mode.underline) == (True, True, True, True, True)


def test_alignment_bold_underline_reverse_font_spacing_feed():
    data = bytes.fromhex("1B 61 00 1B 61 31 1B 61 02 1B 61 05 1B 45 01 1B 45 00 1B 2D 02 1B 2D 30 1D 42 01"
                         "1B 4D 01 1B 4D 30 1B 32 1B 33 40 1B 64 05 1B 74 00 0D")
    assert parse(data) == [
        SetAlign(Align.LEFT), SetAlign(Align.CENTER), SetAlign(Align.RIGHT), Ignored(bytes.fromhex("1B 61 05")),
        Bold(True), Bold(False), Underline(2), Underline(0), Reverse(True), SelectFont(1), SelectFont(0),
        LineSpacing(None), LineSpacing(0x40), FeedLines(5), CodeTable(0),
    ]


def test_the_four_cut_forms():
    data = bytes.fromhex("1D 56 00 1D 56 30 1D 56 01 1D 56 31 1D 56 41 05 1D 56 42 00")
    assert parse(data) == [
        Cut(CutKind.FULL, None), Cut(CutKind.FULL, None), Cut(CutKind.PARTIAL, None), Cut(CutKind.PARTIAL, None),
        Cut(CutKind.FULL, 5), Cut(CutKind.PARTIAL, 0),
    ]


def test_status_asb_panel_buttons():
    assert parse(bytes.fromhex("1D 72 01 1D 72 31 1D 61 0F 1B 63 35 01 1B 63 35 00")) == [
        StatusRequest(1), StatusRequest(0x31), AutoStatusBack(0x0F), PanelButtons(True), PanelButtons(False)]


def test_raster_image_keeps_its_bits():
    data = raster(["#.#.#.#.#", "#########"], mode=3)
    assert data[:8] == bytes.fromhex("1D 76 30 03 02 00 02 00")
    assert parse(data) == [Raster(3, 2, 2, bytes.fromhex("AA 80 FF 80"))]


def test_raster_data_is_data_even_when_it_looks_like_commands():
    body = bytes.fromhex("1B 40 10 04 01 0A")  # an image that happens to hold ESC @, DLE EOT 1, LF
    data = bytes.fromhex("1D 76 30 00 06 00 01 00") + body
    assert parse(data) == [Raster(0, 6, 1, body)]


def test_barcode_example_of_the_spec():
    data = bytes.fromhex("1D 68 50 1D 77 02 1D 48 02 1D 6B 49 06 7B 42 41 30 32 33")
    assert parse(data) == [BarcodeHeight(80), Ignored(bytes.fromhex("1D 77 02")), Ignored(bytes.fromhex("1D 48 02")),
                           Barcode(73, b"{BA023")]
    assert parse(b"\x1dk\x04A023\x00") == [Barcode(4, b"A023")]


def test_real_time_commands_in_the_stream_are_ops_already_acted_on():
    data = bytes.fromhex("10 04 01 10 05 02") + DC4_CLEAR
    assert parse(data) == [RealTime(bytes.fromhex("10 04 01")), RealTime(bytes.fromhex("10 05 02")), RealTime(DC4_CLEAR)]


def test_unknown_sequences_skip_two_bytes_and_are_counted():
    parser = EscPosParser()
    assert parser.feed(bytes.fromhex("1B 7F 41 1D 99 42 1C 00 43 00 0A")) == [
        Unknown(bytes.fromhex("1B 7F")), Text("A", False), Unknown(bytes.fromhex("1D 99")), Text("B", False),
        Unknown(bytes.fromhex("1C 00")), Text("C", False), Unknown(b"\x00"), LineFeed()]
    assert parser.unknown == 4


def test_reset_drops_a_half_received_command():
    parser = EscPosParser()
    assert parser.feed(bytes.fromhex("1D 76 30 00 01 00 05 00 FF")) == []
    parser.reset(chinese=True)
    assert parser.pending_bytes == 0
    assert parser.feed(bytes.fromhex("C5 C5 0A")) == [Text("排", True), LineFeed()]


# -- real-time scanner --------------------------------------------------------------------------
def test_scanner_finds_real_time_commands_anywhere():
    image = bytes.fromhex("1D 76 30 00 03 00 01 00 10 04 01")
    found = RealTimeScanner().feed(b"A" + image + DC4_CLEAR + bytes.fromhex("10 05 01 10 04 09"))
    assert found == [
        (12, RealTimeRequest(RealTimeKind.STATUS, 1)),
        (22, RealTimeRequest(RealTimeKind.CLEAR, 8)),
        (25, RealTimeRequest(RealTimeKind.RECOVER, 1)),
    ]


def test_scanner_completes_a_command_split_across_chunks():
    scanner = RealTimeScanner()
    assert scanner.feed(DC4_CLEAR[:4]) == []
    assert scanner.feed(DC4_CLEAR[4:] + b"x") == [(6, RealTimeRequest(RealTimeKind.CLEAR, 8))]
    assert scanner.feed(b"\x10") == []
    assert scanner.feed(b"\x04") == []
    assert scanner.feed(b"\x04") == [(1, RealTimeRequest(RealTimeKind.STATUS, 4))]


# -- fuzzing ------------------------------------------------------------------------------------
_PIECES = [
    (bytes.fromhex("1B 40"), [Init()]),
    (bytes.fromhex("1D 21 33"), [CharSize(4, 4)]),
    (bytes.fromhex("1B 61 01"), [SetAlign(Align.CENTER)]),
    (bytes.fromhex("1B 45 01"), [Bold(True)]),
    (bytes.fromhex("1D 56 42 00"), [Cut(CutKind.PARTIAL, 0)]),
    (bytes.fromhex("1D 56 00"), [Cut(CutKind.FULL, None)]),
    (bytes.fromhex("1D 72 01"), [StatusRequest(1)]),
    (bytes.fromhex("10 04 01"), [RealTime(bytes.fromhex("10 04 01"))]),
    (DC4_CLEAR, [RealTime(DC4_CLEAR)]),
    (QR_EXAMPLE, QR_OPS),
    (b"\n", [LineFeed()]),
]
_gb_text = st.text(st.characters(codec="gb18030", exclude_categories=("Cc", "Cs", "Co"), exclude_characters="\ufffd"),
                   min_size=1, max_size=12)


@st.composite
def valid_pieces(draw) -> tuple[bytes, list]:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.sampled_from(_PIECES))
    if kind == 1:
        text = draw(_gb_text)
        return b"\x1c&" + text.encode("gb18030") + b"\n", [ChineseMode(True), Text(text, True), LineFeed()]
    if kind == 2:
        raw = draw(st.binary(min_size=1, max_size=12).map(lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F) or b"x"))
        return b"\x1c." + raw + b"\n", [ChineseMode(False), Text(raw.decode("cp437"), False), LineFeed()]
    if kind == 3:
        w, h = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        data = draw(st.binary(min_size=w * h, max_size=w * h))
        return bytes([0x1D, 0x76, 0x30, 0, w, 0, h, 0]) + data, [Raster(0, w, h, data)]
    data = draw(st.binary(min_size=1, max_size=40))
    k = len(data) + 3
    return bytes([0x1D, 0x28, 0x6B, k, 0, 0x31, 0x50, 0x30]) + data, [QrStore(data)]


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_pieces(), max_size=12), st.lists(st.integers(0, 2000), max_size=10))
def test_valid_streams_parse_to_their_ops_however_chunked(pieces, cuts):
    data = b"".join(p for p, _ in pieces)
    expected = [op for _, ops in pieces for op in ops]
    assert parse(data) == expected
    assert parse_chunked(data, [c % (len(data) + 1) for c in cuts]) == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=12), st.booleans())
def test_arbitrary_bytes_never_crash_and_chunking_never_matters(data, cuts, chinese):
    whole = EscPosParser(chinese)
    ops = whole.feed(data)
    assert parse_chunked(data, cuts, chinese) == ops
    assert whole.pending_bytes <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\x10", b"\x04", b"\x05", b"\x14", b"\x08", b"\x01", b"\x03", b"\x02", b"\x06", b"A"]),
                max_size=60),
       st.lists(st.integers(0, 60), max_size=8))
def test_scanner_finds_the_same_commands_however_chunked(parts, cuts):
    data = b"".join(parts)
    whole = [(end, r) for end, r in RealTimeScanner().feed(data)]
    scanner, found, start = RealTimeScanner(), [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts) + [len(data)]:
        found += [(start + end, r) for end, r in scanner.feed(data[start:cut])]
        start = max(start, cut)
    assert found == whole
