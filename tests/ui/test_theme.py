"""Plain checks without a window: contrast, type scale, words in both languages, line breaking."""

from __future__ import annotations

import datetime as dt

import pytest

from ui import i18n
from ui import theme as T
from ui.textwrap_zh import NO_END, NO_START, wrap


def luminance(hex_code: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = T.hex_rgba(hex_code)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((luminance(T.HEX[fg]), luminance(T.HEX[bg])), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(("fg", "bg"), T.TEXT_PAIRS)
def test_text_contrast_at_least_4_5(fg, bg):
    assert contrast(fg, bg) >= 4.5, f"{fg} on {bg}: {contrast(fg, bg):.2f}:1"


def test_type_scale():
    for role, (normal, elder) in T.FONT.items():
        assert normal >= 28, f"{role}: {normal} sp is below the 28 sp minimum"
        assert elder >= normal, role
    for role in ("body", "button", "tile_title", "service", "group", "notice"):
        assert T.FONT[role][1] > T.FONT[role][0], f"{role} must grow in elder mode"
    for role, (normal, elder) in T.FONT_EN.items():
        assert 28 <= normal <= elder, role
    assert T.BUTTON_H >= 60 and T.SERVICE_H >= 60


def test_every_string_in_both_languages():
    for key, (zh, en) in i18n.STRINGS.items():
        assert zh and en, key
        assert not i18n.CJK_RE.search(en) or key == "lang.switch", f"{key}: Chinese in the English text"


def test_dates():
    day = dt.datetime(2025, 10, 1, 9, 5)
    assert i18n.format_date(day, "zh") == "2025年10月1日 星期三"
    assert i18n.format_date(day, "en") == "Wednesday, 1 October 2025"
    assert i18n.format_time(day) == "09:05"


def test_sentence():
    assert i18n.sentence("the printer is not answering", "en") == "The printer is not answering."
    assert i18n.sentence("打印机无应答", "zh") == "打印机无应答"


def one_per_char(text: str) -> float:
    return float(len(text))


@pytest.mark.parametrize("width", range(3, 16))
def test_chinese_line_breaking_keeps_punctuation_in_place(width):
    text = "打印机需要处理（如缺纸、舱门未关）。请到咨询台或人工窗口取号"
    lines = wrap(text, width, one_per_char).split("\n")
    assert "".join(lines) == text
    for line in lines:
        assert len(line) <= width or len(line) <= 3  # a glued token may exceed a tiny width
        assert line[0] not in NO_START, lines
        assert line[-1] not in NO_END, lines


def test_no_lone_last_character():
    assert wrap("请到咨询台或人工窗口取号", 11, one_per_char) == "请到咨询台或人工窗口\n取号"


def test_latin_words_stay_whole():
    lines = wrap("原因：the ID card reader 未连接", 9, one_per_char).split("\n")
    assert "reader" in " ".join(lines).split()
    assert all(not line.startswith(" ") for line in lines)


def test_elder_mode_text_is_at_least_one_and_a_half_times_normal():
    for table in (T.FONT, T.FONT_EN):
        for role, (normal, elder) in table.items():
            if role in T.HEADER_ROLES:
                continue  # the header keeps its size so the page keeps its frame
            assert elder >= 1.5 * normal - 1e-9, role
            assert elder >= 18, role  # domain.md §10: main text ≥ 18 dp
