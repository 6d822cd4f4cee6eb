"""ui.kivyenv: the CJK font renders real glyphs (no tofu), and production config is hardened."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kivy.config import Config
from kivy.core.text import Label as CoreLabel
from kivy.uix.label import Label

from ui import kivyenv

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


def glyph_pixels(text: str) -> bytes:
    label = CoreLabel(text=text, font_size=48)
    label.refresh()
    return bytes(label.texture.pixels)


def test_default_font_is_the_cjk_face(window):
    assert kivyenv.FONT_PATH.is_file()
    assert str(kivyenv.FONT_PATH) in Config.get("kivy", "default_font")
    assert Label(text="取号").font_name == kivyenv.FONT_NAME


def test_chinese_glyphs_are_not_tofu(window):
    """Tofu boxes look alike: real glyphs differ from each other and from the missing-glyph box."""
    take, number, missing = glyph_pixels("取"), glyph_pixels("号"), glyph_pixels("\ue000")
    assert take != number
    assert take != missing and number != missing
    assert any(b > 0 for b in take)


def test_production_config_is_hardened():
    """A fresh process importing ui.kivyenv, as `kiosk run` does (not this test process, whose
    config is the test one)."""
    code = (
        "import json, ui.kivyenv\n"
        "from kivy.config import Config\n"
        "print(json.dumps({'input': Config.items('input'), 'esc': Config.get('kivy', 'exit_on_escape'),"
        " 'full': Config.get('graphics', 'fullscreen'), 'fps': Config.get('graphics', 'maxfps'),"
        " 'cursor': Config.get('graphics', 'show_cursor'), 'font': Config.get('kivy', 'default_font')}))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "KIOSK_TOUCH_INPUT"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cfg = json.loads(out.stdout.strip().splitlines()[-1])
    assert cfg["input"] == [["mouse", "mouse,disable_multitouch"]]  # one touch source: no double taps
    assert cfg["esc"] == "0"
    assert cfg["full"] == "auto" and cfg["cursor"] == "0" and cfg["fps"] == "30"
    assert "NotoSansSC" in cfg["font"] or "wqy" in cfg["font"]
