"""What `kiosk run` loads on a terminal (issue 15, memory): the reference intake server and the
simulated hall's control page (FastAPI, Starlette, uvicorn) run only on the simulated hall; a
terminal's kiosk process must not carry them (about 9 MB of the 250 MB budget; bench/memory.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import devicecfg

SERVER_PACKAGES = ("fastapi", "starlette", "uvicorn", "intake.server")

# `kiosk run` up to the point where it hands over to the UI, which imports the screens as the
# launcher does and writes down what is loaded (in a file: the log shares stdout) instead of
# opening the window.
PROBE = """
import json, sys
from pathlib import Path
from kiosk.cli import main

def run_ui(kiosk, options):
    import ui.app  # the screens, as ui/launcher.py would
    loaded = sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[3].split(","))))
    Path(sys.argv[4]).write_text(json.dumps(loaded))
    return 0

sys.exit(main(["run", "--config", sys.argv[1], "--data-dir", sys.argv[2]], run_ui=run_ui))
"""


def terminal_config(tmp_path: Path) -> Path:
    """The township example (devices on /dev/kiosk/*, absent here) with its backend on a local
    port nothing listens on: a terminal's shape, started degraded."""
    text = (Path(devicecfg.DEFAULT_CONFIG).parent / "township-example.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^url = "https://.*"$', 'url = "http://127.0.0.1:9/"', text)
    text = re.sub(r"(?m)^ca_bundle = .*$", "", text)
    path = tmp_path / "terminal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def loaded_by_run(tmp_path: Path, config: Path | None) -> list[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_WINDOW": "sdl2", "KIVY_NO_ARGS": "1",
           "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(tmp_path / "kivy")}
    report = tmp_path / "loaded.json"
    args = [str(config or devicecfg.DEFAULT_CONFIG), str(tmp_path / "data"), ",".join(SERVER_PACKAGES), str(report)]
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0 and report.exists(), out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(report.read_text())


def test_a_terminal_run_does_not_load_the_intake_server(tmp_path):
    assert loaded_by_run(tmp_path, terminal_config(tmp_path)) == []


def test_the_simulated_hall_still_serves_its_backend_and_control_page(tmp_path):
    loaded = loaded_by_run(tmp_path, None)  # the probe sees what a terminal's run would not
    assert "fastapi" in loaded and "uvicorn" in loaded and "intake.server" in loaded
