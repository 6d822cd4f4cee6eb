"""证照领取 through the touch UI on the real simulated hall: keypad taps, the lock-board simulator
with door physics, the ledger. Screenshots land in tests/ui/screenshots/."""

from __future__ import annotations


import pytest

from drivers.locker.types import Door
from drivers.sim import registry
from kiosk.lockers import Status
from kiosk.services.availability import Journey
from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors
from tests.ui.kivyhelp import pump, pump_until, screenshot, settle, tap

pytestmark = pytest.mark.ui


def _deposit(kiosk, stop) -> tuple[str, int]:
    sim = registry.simulator_for("locker", {})
    person_closes_doors(sim, stop)  # staff put the item in and shut the door
    result = kiosk.lockers.deposit("staff-01", "BJ2026-0001", "M")
    assert result.status is Status.OK, result.message
    stop.set()  # from here on the test plays the citizen at the door
    return result.code, result.number


def _open_pickup(app):
    home = app.sm.get_screen("home")
    assert pump_until(lambda: home.tiles[Journey.PICKUP].available, 10)
    settle(app)
    tap(home.tiles[Journey.PICKUP])
    assert pump_until(lambda: app.sm.current == "pickup", 3)
    settle(app)
    return app.sm.get_screen("pickup")


def _type(screen, digits: str) -> None:
    for d in digits:
        tap(screen.keys[d])
    tap(screen.keys["ok"])


def test_pickup_by_code_opens_the_right_door_once(hall_app, stop):
    app, kiosk = hall_app
    code, number = _deposit(kiosk, stop)
    screen = _open_pickup(app)
    assert screen.stage == "entry"
    for d in code[:3]:
        tap(screen.keys[d])
    assert screen.big == "●●●" and code not in screen.big  # the code shows as dots
    screenshot("pickup_entry")
    for d in code[3:]:
        tap(screen.keys[d])
    tap(screen.keys["ok"])
    assert pump_until(lambda: screen.stage == "open", 15)
    settle(app)
    screenshot("pickup_open")
    assert screen.big == str(number) and str(number) in screen.message
    assert kiosk.voice.last == f"{number} 号柜门已打开"  # announced as well as shown
    sim = registry.simulator_for("locker", {})
    board, lock = (0, number) if number <= 16 else (1, number - 16)
    assert sim.door(board, lock) is Door.OPEN
    assert len(sim.unlocks(board, lock)) == 2  # the deposit's and this one: opened once for the pickup
    sim.take_item(board, lock)
    sim.close_door(board, lock)
    assert pump_until(lambda: screen.stage == "result", 15)
    settle(app)
    screenshot("pickup_done")
    assert "取件完成" in screen.message and kiosk.voice.last == screen.message
    tap(screen.ids.first)  # 完成
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert screen.big == "" and screen._code == ""


def test_wrong_codes_lead_to_lockout_with_words(hall_app, stop):
    app, kiosk = hall_app
    code, _number = _deposit(kiosk, stop)
    wrong = "000000" if code != "000000" else "111111"
    screen = _open_pickup(app)
    _type(screen, wrong)
    assert pump_until(lambda: screen.stage == "entry" and "不正确" in screen.detail, 10)
    settle(app)
    screenshot("pickup_wrong")
    for _ in range(10):
        if screen.stage == "result":
            break
        _type(screen, wrong)
        assert pump_until(lambda: screen.stage in ("entry", "result") and screen.detail != "" or screen.stage == "result", 10)
        pump(2)
    assert screen.stage == "result" and "输错次数过多" in screen.message
    settle(app)
    screenshot("pickup_locked")
    # even the right code waits out the lockout
    tap(screen.ids.first)
    assert pump_until(lambda: app.sm.current == "home", 3)
    screen = _open_pickup(app)
    _type(screen, code)
    assert pump_until(lambda: screen.stage == "result", 10)
    assert "输错次数过多" in screen.message
