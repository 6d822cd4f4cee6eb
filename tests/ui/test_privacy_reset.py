"""The privacy reset: after a journey ends, and after the idle timeout, nothing the UI can reach
holds the previous person's name, ID number or pickup code (issue 8 acceptance)."""

from __future__ import annotations

import pytest

from drivers.idcard.cards import DECK
from drivers.sim import registry
from kiosk.logs import redact
from tests.ui.kivyhelp import pump_until, settle, tap
from tests.ui.test_pickup_ui import _deposit, _open_pickup
from tests.ui.test_take_number_ui import _choose_first_service

pytestmark = pytest.mark.ui

CARD = DECK[0]
NAME, ID_NUMBER = CARD.fields["name"], CARD.fields["id_number"]


def reachable_strings(app) -> list[str]:
    """Every string a widget of the app shows or keeps: Kivy properties and plain attributes,
    one level into containers, and the repr of any other object a widget holds."""
    found: list[str] = []

    def collect(value, depth: int = 0) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (bytes, bytearray)):
            found.append(bytes(value).decode("utf-8", "replace"))
        elif isinstance(value, (list, tuple, set)) and depth < 2:
            for v in value:
                collect(v, depth + 1)
        elif isinstance(value, dict) and depth < 2:
            for k, v in value.items():
                collect(k, depth + 1)
                collect(v, depth + 1)
        elif value is not None and not isinstance(value, (int, float, bool)) and depth < 1:
            if type(value).__name__ in ("Identity", "CardRead"):
                found.append(f"<{type(value).__name__} still held>")
            found.append(repr(value))

    def walk(widget) -> None:
        for name in widget.properties():
            collect(getattr(widget, name, None))
        for value in vars(widget).values():
            collect(value)
        for child in widget.children:
            walk(child)

    for screen in app.sm.screens:  # screens not on show are still reachable
        walk(screen)
    return found


def leaks(app, *secrets: str) -> list[str]:
    return [s for s in reachable_strings(app) for secret in secrets if secret and secret in s] + \
        [s for s in reachable_strings(app) if s.endswith("still held>")]


def test_after_a_card_journey_nothing_of_the_person_remains(hall_app):
    app, kiosk = hall_app
    reader = registry.simulator_for("idcard", {})
    ticket = _choose_first_service(app)
    tap(ticket.ids.second)  # 刷身份证取号
    assert pump_until(lambda: ticket.stage == "card", 3)
    reader.place(0)
    assert pump_until(lambda: ticket.stage == "done", 20)
    reader.lift()
    tap(ticket.ids.first)  # 完成
    assert pump_until(lambda: app.sm.current == "home", 3)
    settle(app)
    assert leaks(app, NAME, ID_NUMBER) == []
    assert NAME in redact(f"x {NAME}")  # and the redactor let go of it with the journey


def test_after_the_idle_timeout_mid_code_nothing_remains(hall_app, stop):
    app, kiosk = hall_app
    code, _number = _deposit(kiosk, stop)
    screen = _open_pickup(app)
    for d in code[:5]:  # typing, then walking away
        tap(screen.keys[d])
    assert screen._code == code[:5]
    assert leaks(app, code[:5])  # the scan does see what a screen holds
    app.idle_timeout = 0.4
    assert pump_until(lambda: app.sm.current == "home", 5)
    settle(app)
    assert screen._code == "" and screen.big == ""
    assert leaks(app, code, code[:5]) == []


def test_after_a_staff_deposit_whose_slip_failed_the_code_and_case_are_gone(hall_app, stop):
    from tests.ui.test_staff_ui import deposit

    app, kiosk = hall_app
    registry.simulator_for("printer", {}).set_paper("out")
    screen, number = deposit(app, stop, "BJ2026-0002")
    code = screen.big
    assert len(code) == 6 and code.isdigit() and "未能打印" in screen.message  # shown once, to write down
    assert kiosk.lockers.compartment_state("cabinet1", number).value == "occupied"  # the deposit stands
    assert leaks(app, code)
    assert redact(f"x {code}") != f"x {code}"  # masked in logs while on show
    tap(screen.ids.third)  # 退出
    assert pump_until(lambda: app.sm.current == "home", 3)
    settle(app)
    assert leaks(app, code, "BJ2026-0002") == []
    assert redact(f"x {code} BJ2026-0002") == f"x {code} BJ2026-0002"  # the redactor let go of both


def test_after_the_idle_timeout_on_the_staff_screens_nothing_remains(hall_app, stop):
    from tests.ui.test_staff_ui import sign_in

    app, kiosk = hall_app
    sim = registry.simulator_for("locker", {})
    from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors

    person_closes_doors(sim, stop)
    kiosk.lockers.deposit("staff-demo", "BJ2026-0005", "M").forget()
    stop.set()
    with kiosk.store.transaction() as db:
        db.execute("UPDATE locker_deposits SET created_at = created_at - 9 * 86400")
    screen = sign_in(app)
    tap(screen.ids.second)  # 逾期取回: the list shows the case number
    assert pump_until(lambda: screen.stage == "overdue", 10)
    assert leaks(app, "BJ2026-0005")
    tap(screen.ids.second)  # back to the menu, then type a case number and walk away
    tap(screen.ids.first)
    assert pump_until(lambda: screen.stage == "case", 3)
    for ch in "BJ2026-00":
        tap(screen.case_keys[ch])
    assert leaks(app, "BJ2026-00")
    app.idle_timeout = 0.4
    assert pump_until(lambda: app.sm.current == "home", 5)
    settle(app)
    assert leaks(app, "BJ2026-0005", "BJ2026-00", "演示工作人员") == []
    assert screen._session is None and screen._case == ""
    ended = kiosk.store.query("SELECT detail FROM audit WHERE action = 'staff.session.end'")
    assert ended == [("left",)]
