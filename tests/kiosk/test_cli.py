"""The `kiosk` command as a process."""

import subprocess
import sys
from pathlib import Path

from devicecfg import DEFAULT_CONFIG

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_subcommands():
    done = kiosk("--help")
    assert done.returncode == 0
    for command in ("run", "config", "diag", "sim"):
        assert f"    {command} " in done.stdout


def test_config_check_on_the_bundled_config():
    done = kiosk("config", "check")
    assert done.returncode == 0 and done.stdout.strip() == f"{DEFAULT_CONFIG}: OK"


def test_config_check_prints_every_problem(tmp_path):
    broken = DEFAULT_CONFIG.read_text(encoding="utf-8")
    broken = broken.replace('hall_name = "', 'hall_nam = "', 1).replace('port = "sim://printer"', 'port = "tcp://printer"')
    broken = broken.replace('model = "sam-generic"', 'model = "no-such-reader"')
    path = tmp_path / "kiosk.toml"
    path.write_text(broken, encoding="utf-8")
    done = kiosk("config", "check", str(path))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line]
    text = done.stdout
    assert any(line.startswith(f"{path}:") and "kiosk.hall_nam" in line for line in lines)
    assert any("devices[0].port" in line and "tcp://HOST:PORT" in line for line in lines)
    assert any("devices[1].model" in line and "no-such-reader" in line for line in lines)
    assert "3 problem(s)" in done.stderr or len(lines) >= 3, text


def test_run_refuses_a_broken_config_before_starting(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[kiosk]\nid = 'x'\n", encoding="utf-8")
    done = kiosk("run", "--config", str(path), "--data-dir", str(tmp_path))
    assert done.returncode == 1 and f"{path}:" in done.stderr and "backend" in done.stderr
