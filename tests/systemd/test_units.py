"""`systemd-analyze verify` on every unit in systemd/, unprivileged, without systemd as PID 1.

verify checks that each Exec*= binary exists and is executable, so it runs against a temporary
root (`--root=`): the distribution's own units copied in (for the targets ours name), ours in
its /etc/systemd/system, and an executable stub only where the install provides the binary —
the venv's entry points, and programs of the Debian packages that `systemd/install` installs.
A unit naming anything else (a typo, a path the install does not create) fails. verify reports
unknown keys and unparsable values only as warnings with exit 0, so any output fails too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT_DIR = ROOT / "systemd"
INSTALL = UNIT_DIR / "install"
UNITS = sorted(p.name for p in UNIT_DIR.iterdir() if p.suffix in (".service", ".timer"))
SYSTEM_UNITS = Path("/usr/lib/systemd/system")

# Programs the units run from Debian packages: path -> package (checked against the install)
DEBIAN_PROGRAMS = {
    "/usr/lib/xorg/Xorg": "xserver-xorg-core",
    "/usr/bin/xauth": "xauth",
    "/usr/bin/mcookie": "util-linux",
    "/bin/sh": "dash",
}
ESSENTIAL = {"util-linux", "dash"}  # always there on Debian



@pytest.fixture(autouse=True)
def _systemd_analyze():
    # no skip: ./dev installs the systemd package, so a missing tool is a broken setup
    assert shutil.which("systemd-analyze") and SYSTEM_UNITS.is_dir(), "systemd-analyze missing: ./dev setup installs it"


def install_venv() -> str:
    match = re.search(r'^VENV=\$\{VENV:-(/\S+?)\}$', INSTALL.read_text(), re.M)
    assert match, "systemd/install defines no VENV"
    return match.group(1)


def exec_paths(text: str) -> set[str]:
    """Every program an Exec*= line runs, and absolute paths inside a `/bin/sh -c '…'`."""
    paths = set()
    for line in text.splitlines():
        m = re.match(r"\s*Exec\w+=\s*[-@:+!]*(\S+)(.*)", line)
        if m:
            paths.add(m.group(1))
            paths.update(re.findall(r"(?<![\w/])(/(?:usr/)?(?:s?bin|lib)/[\w./-]+)", m.group(2)))
    return paths


def verify(tmp_path: Path, units: dict[str, str]) -> str:
    """Run verify on `units` (name -> text) in a fresh root; the whole output, '' when clean."""
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    provided = {p for p in DEBIAN_PROGRAMS}
    venv = install_venv()
    for name, text in units.items():
        (root / "etc/systemd/system" / name).write_text(text)
        for path in exec_paths(text):
            if path in provided or path.startswith(venv + "/bin/"):
                stub = root / path.lstrip("/")
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.write_text("#!/bin/sh\nexit 0\n")
                stub.chmod(0o755)
    proc = subprocess.run(["systemd-analyze", "verify", f"--root={root}", *units], capture_output=True, text=True,
                          timeout=60)
    out = (proc.stdout + proc.stderr).strip()
    return out or ("" if proc.returncode == 0 else f"exit {proc.returncode}")


def ours() -> dict[str, str]:
    return {name: (UNIT_DIR / name).read_text() for name in UNITS}


def test_every_unit_verifies(tmp_path):
    assert {"kiosk.service", "kiosk-xorg.service", "kiosk-maintenance.service", "kiosk-maintenance.timer"} <= set(UNITS)
    assert verify(tmp_path, ours()) == ""


@pytest.mark.parametrize(("broken", "expected"), [
    (("WatchdogSec=30", "WatchdogSecs=30"), "Unknown key 'WatchdogSecs'"),
    (("Restart=always", "Restart=alwayz"), "restart specifier"),
    (("Requires=kiosk-xorg.service", "Requires=kiosk-xorgg.service"), "kiosk-xorgg.service not found"),
    (("/opt/kiosk/venv/bin/kiosk run", "/opt/kiosk/ven/bin/kiosk run"), "/opt/kiosk/ven/bin/kiosk is not executable"),
    (("[Service]", "[Servce]"), "Servce"),
])
def test_a_broken_unit_fails(tmp_path, broken, expected):
    units = ours()
    old, new = broken
    assert old in units["kiosk.service"]
    units["kiosk.service"] = units["kiosk.service"].replace(old, new, 1)
    assert expected in verify(tmp_path, units)


def test_the_units_name_what_the_install_provides():
    text = INSTALL.read_text()
    for path, package in DEBIAN_PROGRAMS.items():
        assert any(path in exec_paths(t) for t in ours().values()), f"{path} is no longer used: drop it here"
        assert package in ESSENTIAL or re.search(rf"\b{re.escape(package)}\b", text), f"install lacks {package}"
    for name in UNITS:
        assert name in text, f"systemd/install does not install {name}"


def test_the_kiosk_unit_keeps_its_promises():
    """What the README and kivy-notes §9 promise, where verify cannot see it."""
    unit = (UNIT_DIR / "kiosk.service").read_text()
    for line in ("Type=notify", "WatchdogSec=30", "Restart=always", "User=kiosk", "StateDirectory=kiosk",
                 "ExecStartPre=/opt/kiosk/venv/bin/kiosk config check /etc/kiosk/kiosk.toml",
                 "BindsTo=kiosk-xorg.service", "NoNewPrivileges=yes"):
        assert re.search(rf"^{re.escape(line)}$", unit, re.M), line
    # settings that would hide the devices from the kiosk must not creep in
    for forbidden in ("PrivateDevices=yes", "DevicePolicy=", "MemoryDenyWriteExecute=yes", "User=root"):
        assert not re.search(rf"^{re.escape(forbidden)}", unit, re.M), forbidden
    # the stop: longer than the 5 s `kiosk run` takes (tests/ui/test_graceful_stop.py), not so long
    # that a stuck kiosk holds a restart or an upgrade for long (it was 20 s of a SIGTERM ignored)
    from kiosk.core import STOP_S

    stop_s = re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M)
    assert stop_s and STOP_S < int(stop_s.group(1)) <= 3 * STOP_S, "TimeoutStopSec must match kiosk.core.STOP_S"
    xorg = (UNIT_DIR / "kiosk-xorg.service").read_text()
    assert all(flag in xorg for flag in ("-nocursor", "-s 0", "-dpms", "-novtswitch", "-nolisten tcp"))
