"""`run_ui()` end to end in separate processes (a real App.run(), which must not run in the test
process), in portrait 1080x1920: the screen builds, the exit and screenshot hooks work, and the
portrait layout does not break (nothing sticks out, checked by pixels here and by eye)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.ui.kivyhelp import SCREENSHOTS
from ui import theme as T

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


def test_run_ui_portrait_exits_and_saves_screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    runs = {"portrait": [], "portrait_elder": ["--elder"]}
    procs = {}
    for name, extra in runs.items():
        target = SCREENSHOTS / f"{name}.png"
        target.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "tests.ui.run_smoke", "--size", "1080x1920", "--exit-after", "1.5",
               "--screenshot", str(target), *extra]
        procs[name] = (target, subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    bg = tuple(round(c * 255) for c in T.BG[:3])
    for name, (target, proc) in procs.items():
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out[-3000:]
        print(f"screenshot: {target}")
        img = Image.open(target).convert("RGB")
        assert img.size == (1080, 1920)
        assert all(abs(a - b) <= 2 for a, b in zip(img.getpixel((2, 1915)), bg, strict=True)), name
        hall_area = [img.getpixel((x, y)) for x in range(40, 540, 3) for y in range(20, 130, 3)]
        assert sum(1 for c in hall_area if min(c) > 230) > 50, f"{name}: no hall name in the header"
