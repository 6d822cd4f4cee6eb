"""`kiosk diag health` on the simulated hall: real simulators, the real CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devicecfg import DEFAULT_CONFIG
from drivers.sim import registry
from kiosk.cli import main

KIOSK = str(Path(sys.executable).with_name("kiosk"))


@pytest.fixture(autouse=True)
def fresh_simulators():
    registry.forget_instances()
    yield
    registry.forget_instances()


def test_subprocess_all_devices_ok():
    done = subprocess.run([KIOSK, "diag", "health", "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["level"] == "internal"
    assert {d["id"] for d in report["devices"]} == {"printer", "idcard", "camera", "locker0"}
    for d in report["devices"]:
        assert d["ok"] and d["outcome"] == "ok" and d["state"] == "online" and d["text"] and d["problem"] is None


def test_subprocess_unplugged_printer_is_reported_with_hint(tmp_path):
    # the printer's port is not there at all: a pulled USB cable
    site = DEFAULT_CONFIG.read_text().replace('port = "sim://printer"', f'port = "{tmp_path}/no-such-printer"')
    config = tmp_path / "site.toml"
    config.write_text(site)
    done = subprocess.run([KIOSK, "diag", "health", "--json", "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    devices = {d["id"]: d for d in json.loads(done.stdout)["devices"]}
    printer = devices["printer"]
    assert printer["ok"] is False and printer["state"] == "no_device"
    assert printer["problem"]["hint"] == "maintenance" and "no-such-printer" in printer["problem"]["text_en"]
    assert all(devices[i]["ok"] for i in ("idcard", "camera", "locker0"))


def _health(capsys, *args) -> tuple[int, dict]:
    rc = main(["diag", "health", "--json", *args])
    return rc, {d["id"]: d for d in json.loads(capsys.readouterr().out)["devices"]}


def test_printer_out_of_paper(capsys):
    registry.simulator_for("printer", {}).set_paper("out")
    rc, devices = _health(capsys)
    assert rc == 3
    p = devices["printer"]
    assert p["state"] == "user_error" and p["problem"]["code"] == "paper_out" and p["problem"]["hint"] == "clear"
    assert "打印纸" in p["problem"]["text"]


def test_camera_unplugged_and_board_offline(capsys):
    registry.simulator_for("camera", {}).unplug()
    registry.simulator_for("locker", {"protocol": "kerong-cu", "boards": "2"}).set_board_offline(1)
    rc, devices = _health(capsys)
    assert rc == 3
    assert devices["camera"]["state"] == "no_device" and devices["camera"]["problem"]["hint"] == "maintenance"
    locker = devices["locker0"]
    assert locker["problem"]["code"] == "board_offline" and "1" in locker["problem"]["text"]
    assert devices["printer"]["ok"] and devices["idcard"]["ok"]


def test_external_prints_a_test_ticket_never_counted(capsys):
    printer_sim = registry.simulator_for("printer", {"speed": "0"})
    rc, devices = _health(capsys, "--level", "external")
    assert rc == 0
    assert devices["printer"]["outcome"] == "ok" and devices["printer"]["level"] == "external"
    assert devices["idcard"]["outcome"] == "not_supported" and devices["idcard"]["ok"]  # no external check: not a failure
    tickets = printer_sim.tickets
    assert len(tickets) == 1 and any("测试" in line for line in tickets[0].lines)


def test_external_with_paper_out_fails(capsys):
    registry.simulator_for("printer", {}).set_paper("out")
    rc, devices = _health(capsys, "--level", "external")
    assert rc == 3 and devices["printer"]["problem"]["hint"] == "clear"
