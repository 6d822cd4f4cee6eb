"""预约签到 through the touch UI on the real simulated hall: a phone QR under the camera simulator,
or the booking number on the keypad; the reference server's demo bookings."""

from __future__ import annotations

import pytest

from drivers.sim import registry
from kiosk.services.availability import Journey
from kiosk.services.check_in import CheckIn
from tests.ui.kivyhelp import pump_until, screenshot, settle, tap

pytestmark = pytest.mark.ui


def _clock_at(kiosk, offset_s: float) -> None:
    """Fix the kiosk's check-in clock `offset_s` from YY0001's slot (the demo books it today)."""
    booking = kiosk.backend.client.appointment("YY0001")
    base = kiosk.check_in
    kiosk.check_in = CheckIn(base.client, base.take_number, base.service_names, 30, 15,
                             clock=lambda: booking.starts_at + offset_s)


def _open(app):
    home = app.sm.get_screen("home")
    assert pump_until(lambda: home.tiles[Journey.CHECK_IN].available, 10)
    settle(app)
    tap(home.tiles[Journey.CHECK_IN])
    assert pump_until(lambda: app.sm.current == "checkin", 3)
    settle(app)
    return app.sm.get_screen("checkin")


def test_phone_qr_under_the_camera_checks_in(hall_app):
    app, kiosk = hall_app
    _clock_at(kiosk, -5 * 60)
    assert pump_until(lambda: kiosk.supervisor.devices["camera"].state.value == "online", 15)
    screen = _open(app)
    screenshot("checkin_scan")
    registry.simulator_for("camera", {}).show_phone("YY0001")
    assert pump_until(lambda: app.sm.current == "ticket", 20)
    ticket = app.sm.get_screen("ticket")
    assert pump_until(lambda: ticket.stage == "done", 15)
    assert "优先" in ticket.message and ticket.number
    settle(app)
    screenshot("checkin_done")
    assert screen.typed == ""


def test_typed_number_and_late_arrival_gets_a_normal_number(hall_app):
    app, kiosk = hall_app
    _clock_at(kiosk, 60 * 60)  # an hour after the slot began
    screen = _open(app)
    for d in "0001":
        tap(screen.keys[d])
    assert screen.typed == "0001"
    tap(screen.keys["ok"])
    assert pump_until(lambda: screen.stage == "offer", 15)
    settle(app)
    screenshot("checkin_late")
    assert "普通号" in screen.message
    tap(screen.ids.first)  # 取普通号
    ticket = app.sm.get_screen("ticket")
    assert pump_until(lambda: app.sm.current == "ticket" and ticket.stage == "done", 15)
    assert "优先" not in ticket.message


def test_unknown_booking_says_so_and_lets_you_retry(hall_app):
    app, kiosk = hall_app
    _clock_at(kiosk, 0)
    screen = _open(app)
    for d in "9999":
        tap(screen.keys[d])
    tap(screen.keys["ok"])
    assert pump_until(lambda: screen.stage == "message", 15)
    assert "未找到" in screen.message
    tap(screen.ids.first)  # 重新输入
    assert screen.stage == "scan" and screen.typed == ""
