"""Colours and sizes of the kiosk UI: one light background, dark text, one accent colour.

Plain data (no Kivy import), so tests can check contrast without a window. Font sizes are in sp
and sizes in dp at the normal scale; elder mode (大字模式) multiplies both by ELDER_SCALE.
Every text is at least 28 sp at the normal scale (domain.md §10 asks ≥ 18 dp for elder mode on a
phone; a kiosk is read at arm's length).
"""

from __future__ import annotations

Rgba = tuple[float, float, float, float]


def hex_rgba(code: str, alpha: float = 1.0) -> Rgba:
    code = code.lstrip("#")
    r, g, b = (int(code[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


# -- colours (hex kept next to the tuple so the contrast test can name them) ----------------------
HEX = {
    "bg": "#F4F6F9",  # window clear colour
    "surface": "#FFFFFF",  # cards, dialogs
    "accent": "#1D4E89",  # the one accent: government blue (header, titles, primary buttons)
    "accent_pressed": "#163C69",
    "accent_soft": "#E6EEF8",  # pressed card, selected toggle background
    "on_accent": "#FFFFFF",
    "text": "#1F2329",
    "text_muted": "#4E5969",
    "border": "#C9D2DE",
    "off_bg": "#ECEEF1",  # an unavailable tile
    "off_strip": "#8A94A3",
    "warn_text": "#A8071A",  # "暂停服务" badge: the words carry the meaning, the colour only helps
    "warn_bg": "#FFF1F0",
    "warn_border": "#E8A2A8",
    "scrim": "#000000",
}

BG = hex_rgba(HEX["bg"])
SURFACE = hex_rgba(HEX["surface"])
ACCENT = hex_rgba(HEX["accent"])
ACCENT_PRESSED = hex_rgba(HEX["accent_pressed"])
ACCENT_SOFT = hex_rgba(HEX["accent_soft"])
ON_ACCENT = hex_rgba(HEX["on_accent"])
TEXT = hex_rgba(HEX["text"])
TEXT_MUTED = hex_rgba(HEX["text_muted"])
BORDER = hex_rgba(HEX["border"])
OFF_BG = hex_rgba(HEX["off_bg"])
OFF_STRIP = hex_rgba(HEX["off_strip"])
WARN_TEXT = hex_rgba(HEX["warn_text"])
WARN_BG = hex_rgba(HEX["warn_bg"])
WARN_BORDER = hex_rgba(HEX["warn_border"])
SCRIM = hex_rgba(HEX["scrim"], 0.45)
TRANSPARENT: Rgba = (0.0, 0.0, 0.0, 0.0)

# Text/background pairs the UI uses; tests/ui/test_theme.py checks each against 4.5:1.
TEXT_PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("text_muted", "bg"),
    ("text_muted", "surface"),
    ("text_muted", "off_bg"),
    ("text", "off_bg"),
    ("accent", "surface"),
    ("accent", "bg"),
    ("accent", "accent_soft"),
    ("on_accent", "accent"),
    ("on_accent", "accent_pressed"),
    ("warn_text", "warn_bg"),
]

# -- type scale: sp per role, (normal, 大字模式) ----------------------------------------------------
# Noto Sans SC's own line box is 1.45 em, so single line spacing already meets domain.md §10's
# "line spacing ≥ 1.3"; LINE_HEIGHT adds no more.
FONT: dict[str, tuple[float, float]] = {
    # 大字模式 is 1.5 × the normal size for everything a citizen reads (issue 8; domain.md §10
    # asks ≥ 18 dp); the header's hall name, time and date stay put so the page keeps its frame
    "body": (28, 42),  # the smallest text anywhere on a citizen screen
    "button": (32, 48),
    "hall": (44, 44),
    "clock": (44, 44),
    "date": (28, 28),
    "welcome": (40, 60),
    "tile_title": (60, 90),
    "page_title": (44, 66),
    "group": (36, 54),
    "service": (34, 51),
    "dialog_title": (44, 66),
    "notice": (32, 48),
    "ticket_number": (120, 180),  # the queue or door number, readable from a step back
    "keypad": (44, 66),
    "code": (72, 108),  # the dots of a code being typed
}
HEADER_ROLES = frozenset({"hall", "clock", "date"})
# English words are long and must not break inside a word: the biggest roles are smaller in English.
FONT_EN: dict[str, tuple[float, float]] = {"tile_title": (38, 57)}
LINE_HEIGHT = 1.0

KEY_W, KEY_H = 200, 96  # numeric keypad keys (dp), well over the 60 dp minimum in every mode
ELDER_SCALE = 1.4  # 大字模式: touch targets (dp sizes) × 1.4
ELDER_IDLE_FACTOR = 2.0  # and twice the time before the idle return home


def font_sp(role: str, elder: bool, lang: str) -> float:
    sizes = FONT_EN.get(role, FONT[role]) if lang == "en" else FONT[role]
    return sizes[1 if elder else 0]


# -- sizes (dp at the normal scale) ----------------------------------------------------------------
PAD = 48  # page margin
GAP = 32  # between tiles
RADIUS = 16
BUTTON_H = 84  # ≥ 60 dp touch targets even before elder mode
SERVICE_H = 116
HEADER_MIN_H = 128
