"""Degraded start: the kiosk comes up with no device attached and the backend unreachable, shows
a usable home screen with each journey that needs a missing device marked unavailable in
words, and takes a device in when it appears — a printer simulator that starts serving on a
pty behind the configured udev-style link only after the kiosk is up — without a restart."""

from __future__ import annotations

import socket

import pytest

from devicecfg import load_config
from drivers.device import DeviceKind, DeviceState
from drivers.sim import registry
from drivers.sim.printer import PrinterSimulator
from drivers.sim.serve import PtyServer
from kiosk.composition import build_kiosk
from kiosk.services.availability import Journey
from kiosk.services.voice import Voice
from tests.ui.conftest import forget_app
from tests.ui.kivyhelp import pump, pump_until, settle, tap

pytestmark = pytest.mark.ui


def closed_port() -> int:
    with socket.socket() as s:  # bound, never listening, closed: nothing answers there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def absent_hall(tmp_path):
    """The simulated hall's config with every device behind a name that does not exist yet
    (as /dev/kiosk/* before udev made the link) and the backend on a port nobody serves."""
    config = load_config()
    ports = {DeviceKind.PRINTER: str(tmp_path / "kiosk-printer"), DeviceKind.IDCARD: str(tmp_path / "kiosk-idcard"),
             DeviceKind.LOCKER: str(tmp_path / "kiosk-locker0"), DeviceKind.CAMERA: f"tcp://127.0.0.1:{closed_port()}"}
    devices = [d.model_copy(update={"port": ports[d.kind]}) for d in config.devices]
    backend = config.backend.model_copy(update={"url": f"http://127.0.0.1:{closed_port()}/", "start_reference_server": False,
                                                "timeout_s": 1})
    return config.model_copy(update={"devices": devices, "backend": backend})


@pytest.fixture
def degraded(window, tmp_path):
    from ui.app import KioskApp

    config = absent_hall(tmp_path)
    kiosk = build_kiosk(config=config, data=tmp_path / "state")
    kiosk.voice = Voice(enabled=False)
    kiosk.start()
    app = KioskApp(kiosk)
    app._run_prepare()
    pump(3)
    servers = []
    yield app, kiosk, config, servers
    forget_app(app, window)
    kiosk.stop()
    for server in servers:
        server.close()
    registry.forget_instances()


def test_home_screen_without_devices_or_backend_then_a_printer_appears(degraded, tmp_path):
    app, kiosk, config, servers = degraded
    home = app.sm.get_screen("home")
    devices = kiosk.supervisor.devices
    assert pump_until(lambda: all(d.state in (DeviceState.NO_DEVICE, DeviceState.OFFLINE) for d in devices.values()), 15)
    settle(app)
    assert app.sm.current == "home"
    assert pump_until(lambda: not any(home.tiles[j].available for j in Journey), 5)
    assert home.tiles[Journey.TAKE_NUMBER].ids.reason.text.startswith("打印机未连接")
    assert home.tiles[Journey.PICKUP].ids.reason.text.startswith("智能柜未连接")

    # the home screen is usable: an unavailable journey says so again, in words
    tap(home.tiles[Journey.TAKE_NUMBER])
    assert pump_until(lambda: app.notice is not None, 3)
    app.close_notice()

    # the printer is plugged in: udev makes its link, the supervisor's next try finds it
    printer_cfg = config.device("printer")
    servers.append(PtyServer(PrinterSimulator({}), link=printer_cfg.port))
    assert pump_until(lambda: devices["printer"].state is DeviceState.ONLINE, 40)
    assert pump_until(lambda: home.tiles[Journey.TAKE_NUMBER].available and home.tiles[Journey.CHECK_IN].available, 5)
    assert not home.tiles[Journey.PICKUP].available and not home.tiles[Journey.SELF_SUBMIT].available
    assert kiosk.backend is not None  # the backend is still down: 取号 works offline all the same
    settle(app)
    tap(home.tiles[Journey.TAKE_NUMBER])
    assert pump_until(lambda: app.sm.current == "services", 3)
