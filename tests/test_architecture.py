"""The layering rules (architecture.md) are enforced by import-linter contracts in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "drivers", "devicecfg", "ui")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


def test_contracts_are_kept():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout


def test_contracts_catch_a_ui_module_importing_a_driver(tmp_path):
    """The contracts can fail: a copy of the tree with one bad import breaks them."""
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "ui" / "sneaky.py").write_text("from drivers.transport import open_transport\n")
    (tmp_path / "drivers" / "upward.py").write_text("import kiosk.bus\n")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "ui.sneaky -> drivers.transport" in proc.stdout
    assert "drivers.upward -> kiosk.bus" in proc.stdout
