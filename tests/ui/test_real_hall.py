"""The UI on the real simulated hall: the composition root, the supervisor and the simulators,
with no fake in between."""

from __future__ import annotations

import pytest

from drivers.device import DeviceState
from drivers.sim import registry
from kiosk.services.availability import Journey
from tests.ui.kivyhelp import pump_until, settle, tap

pytestmark = pytest.mark.ui


def test_tiles_follow_the_real_devices(hall_app):
    app, kiosk = hall_app
    printer = kiosk.supervisor.devices["printer"]
    home = app.sm.get_screen("home")
    assert pump_until(lambda: printer.state is DeviceState.ONLINE and home.tiles[Journey.TAKE_NUMBER].available, 10)
    assert pump_until(lambda: home.tiles[Journey.SELF_SUBMIT].available, 10)  # the camera streams

    # the camera's cable is pulled: self-submission goes off, in words, and comes back
    camera = registry.simulator_for("camera", {})
    camera.unplug()
    assert pump_until(lambda: not home.tiles[Journey.SELF_SUBMIT].available, 10)
    assert home.tiles[Journey.SELF_SUBMIT].ids.reason.text.startswith("高拍仪")
    camera.plug_in()
    assert pump_until(lambda: home.tiles[Journey.SELF_SUBMIT].available, 15)

    # the printer runs out of paper: the next status poll takes 取号 off, in words
    registry.simulator_for("printer", {}).set_paper("out")
    assert pump_until(lambda: not home.tiles[Journey.TAKE_NUMBER].available, 10)
    assert home.tiles[Journey.TAKE_NUMBER].ids.reason.text.startswith("打印机需要处理")

    registry.simulator_for("printer", {}).set_paper("ok")
    assert pump_until(lambda: home.tiles[Journey.TAKE_NUMBER].available, 10)
    settle(app)
    tap(home.tiles[Journey.TAKE_NUMBER])
    assert pump_until(lambda: app.sm.current == "services", 3)
