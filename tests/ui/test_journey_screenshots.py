"""Each journey screen in landscape 1920×1080 and portrait 1080×1920, normal and 大字模式, Chinese
and English: screenshots land in tests/ui/screenshots/journeys/ for a person to look at, and each
run checks that no text is cut off, off the screen, or broken inside a word."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from tests.ui.kivyhelp import SCREENSHOTS
from tests.ui.run_smoke import SCREENS

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]
SIZES = ("1920x1080", "1080x1920")
MODES = {"zh": [], "zh_elder": ["--elder"], "en_elder": ["--english", "--elder"]}


def _run(screen: str, size: str, mode: str) -> tuple[str, Path, list[str]]:
    out = SCREENSHOTS / "journeys" / f"{screen}_{'landscape' if size == SIZES[0] else 'portrait'}_{mode}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "tests.ui.run_smoke", "--size", size, "--exit-after", "10",
           "--screenshot", str(out), "--screen", screen, *MODES[mode]]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    layout = [line for line in proc.stdout.splitlines() if line.startswith("LAYOUT ")]
    assert layout, proc.stdout[-2000:]
    return f"{screen} {size} {mode}", out, json.loads(layout[-1][len("LAYOUT "):])


def test_every_journey_screen_fits_in_every_mode_and_orientation():
    runs = [(s, z, m) for s in SCREENS for z in SIZES for m in MODES]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda r: _run(*r), runs))
    problems = {name: p for name, _, p in results if p}
    assert problems == {}
    for name, path, _ in results:
        w, h = Image.open(path).size
        assert (f"{w}x{h}" in name), name
        print(f"screenshot: {path}")
