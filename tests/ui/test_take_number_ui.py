"""取号 through the touch UI on the real simulated hall: taps, the printer and ID card simulators,
the in-process intake server. Screenshots of each stage land in tests/ui/screenshots/."""

from __future__ import annotations

import pytest

from drivers.sim import registry
from kiosk.services.availability import Journey
from tests.ui.kivyhelp import pump_until, screenshot, settle, tap

pytestmark = pytest.mark.ui


def _choose_first_service(app):
    home = app.sm.get_screen("home")
    assert pump_until(lambda: home.tiles[Journey.TAKE_NUMBER].available, 10)
    settle(app)
    tap(home.tiles[Journey.TAKE_NUMBER])
    assert pump_until(lambda: app.sm.current == "services", 3)
    settle(app)
    services = app.sm.get_screen("services")
    code = app.kiosk.config.service_groups[0].services[0].code
    tap(services.buttons[code])
    assert pump_until(lambda: app.sm.current == "ticket", 3)
    settle(app)
    return app.sm.get_screen("ticket")


def test_number_without_a_card_printed_and_shown(hall_app):
    app, kiosk = hall_app
    ticket = _choose_first_service(app)
    assert ticket.stage == "choose"
    screenshot("ticket_choose")
    tap(ticket.ids.first)  # 直接取号
    assert pump_until(lambda: ticket.stage == "done", 15)
    settle(app)
    screenshot("ticket_done")
    printer = registry.simulator_for("printer", {})
    assert pump_until(lambda: printer.tickets, 5)
    assert any(ticket.number in line for line in printer.tickets[-1].lines)  # what the screen shows is on the slip
    assert "前面还有" in ticket.detail
    tap(ticket.ids.first)  # 完成
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert ticket.number == "" and ticket.detail == ""  # nothing left for the next person


def test_elder_card_priority_then_reprint_instead_of_a_second_number(hall_app):
    app, kiosk = hall_app
    reader = registry.simulator_for("idcard", {})
    ticket = _choose_first_service(app)
    tap(ticket.ids.second)  # 刷身份证取号
    assert pump_until(lambda: ticket.stage == "card", 3)
    settle(app)
    screenshot("ticket_card")
    reader.place(0)  # 张三, born 1949
    assert pump_until(lambda: ticket.stage == "done", 20)
    first_number = ticket.number
    assert "优先" in ticket.message
    reader.lift()
    tap(ticket.ids.first)  # 完成
    assert pump_until(lambda: app.sm.current == "home", 3)

    ticket = _choose_first_service(app)
    tap(ticket.ids.second)
    assert pump_until(lambda: ticket.stage == "card", 3)
    reader.place(0)
    assert pump_until(lambda: ticket.stage == "already", 20)
    settle(app)
    screenshot("ticket_already")
    assert ticket.number == first_number
    tap(ticket.ids.first)  # 补打号票
    assert pump_until(lambda: ticket.stage == "done", 15)
    assert ticket.number == first_number
    reader.lift()
    # the person's name never reaches the screen's text
    assert "张三" not in ticket.message + ticket.detail + ticket.number


def test_paper_out_says_so_and_what_to_do(hall_app):
    app, kiosk = hall_app
    ticket = _choose_first_service(app)
    registry.simulator_for("printer", {}).set_paper("out")
    tap(ticket.ids.first)
    assert pump_until(lambda: ticket.stage == "failed", 15)
    settle(app)
    screenshot("ticket_failed")
    assert ticket.number == "" and "纸" in ticket.detail and "咨询台" in ticket.detail
    tap(ticket.ids.first)  # 完成: never a dead end
    assert pump_until(lambda: app.sm.current == "home", 3)
