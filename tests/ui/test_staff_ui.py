"""工作人员 through the touch UI on the real simulated hall: the demo PIN, the case keypad, the
reference backend's validation, the lock-board simulator with door physics, the printer
simulator's slips, and the citizen pickup screen using the code the slip carries."""

from __future__ import annotations

import re

import pytest

from drivers.locker.types import Door
from drivers.sim import registry
from kiosk.lockers import Status
from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors
from tests.ui.kivyhelp import enter_pin, pump_until, screenshot, settle, tap, texts
from tests.ui.test_pickup_ui import _open_pickup, _type

pytestmark = pytest.mark.ui

PIN = "246810"  # the simulated hall's demo account (README)


def board_lock(number: int) -> tuple[int, int]:
    return (0, number) if number <= 16 else (1, number - 16)


def open_staff(app):
    home = app.sm.get_screen("home")
    settle(app)
    tap(home.staff_button)
    assert pump_until(lambda: app.sm.current == "staff", 3)
    settle(app)
    return app.sm.get_screen("staff")


def sign_in(app):
    screen = open_staff(app)
    enter_pin(screen, PIN)
    assert screen.stage == "menu", screen.detail
    return screen


def type_case(screen, case: str) -> None:
    tap(screen.ids.first)  # 存件
    assert pump_until(lambda: screen.stage == "case", 3)
    for ch in case:
        tap(screen.case_keys[ch])
    assert screen.big == case
    tap(screen.case_keys["ok"])
    assert pump_until(lambda: screen.stage not in ("case", "checking") or screen.detail, 10)


def deposit(app, stop, case: str) -> tuple:
    """Sign in, deposit ``case`` into a medium compartment; staff put it in and close the door."""
    screen = sign_in(app)
    type_case(screen, case)
    assert screen.stage == "size", screen.detail
    sim = registry.simulator_for("locker", {})
    person_closes_doors(sim, stop)
    tap(screen.ids.choices.children[-1])  # the first choice: medium
    assert pump_until(lambda: screen.stage == "open", 15)
    number = int(screen.big)
    assert f"{number} 号柜门已打开" in screen.message and "放入证件" in screen.detail
    assert pump_until(lambda: screen.stage == "result", 20)
    stop.set()
    return screen, number


def test_the_right_pin_enters_and_the_session_is_audited(hall_app):
    app, kiosk = hall_app
    screen = open_staff(app)
    assert screen.stage == "pin" and "工作人员密码" in screen.message
    screenshot("staff_pin")
    enter_pin(screen, PIN)
    assert screen.stage == "menu" and "演示工作人员" in screen.message
    settle(app)
    screenshot("staff_menu")
    tap(screen.ids.third)  # 退出
    assert pump_until(lambda: app.sm.current == "home", 3)
    audit = kiosk.store.query("SELECT actor, action, detail FROM audit WHERE action LIKE 'staff.%' ORDER BY rowid")
    assert audit == [("staff-demo", "staff.session.start", "pin"), ("staff-demo", "staff.session.end", "logout")]
    events = [r[0] for r in kiosk.store.query("SELECT type FROM outbox WHERE type LIKE 'staff.%' ORDER BY seq")]
    assert events == ["staff.session.start", "staff.session.end"]


def test_wrong_pins_lock_the_staff_entry_with_words(hall_app):
    app, kiosk = hall_app
    screen = open_staff(app)
    enter_pin(screen, "111111")
    assert screen.stage == "pin" and "密码不正确" in screen.detail
    for _ in range(4):
        enter_pin(screen, "111111")
    assert "输错次数过多" in screen.detail and "5 分钟" in screen.detail
    settle(app)
    screenshot("staff_locked")
    enter_pin(screen, PIN)  # even the right PIN waits the lockout out
    assert screen.stage == "pin" and "输错次数过多" in screen.detail
    assert kiosk.store.query("SELECT COUNT(*) FROM audit WHERE action = 'staff.session.start'") == [(0,)]


def test_staff_deposit_produces_a_code_that_then_works_once(hall_app, stop):
    app, kiosk = hall_app
    printer = registry.simulator_for("printer", {})
    before = len(printer.tickets)
    screen, number = deposit(app, stop, "BJ2026-0001")
    settle(app)
    screenshot("staff_deposited")
    assert "存件完成" in screen.message and screen.big == f"{number} 号柜"
    assert pump_until(lambda: len(printer.tickets) > before, 5)
    lines = [line.strip() for line in printer.tickets[-1].lines]
    assert f"柜门：{number} 号" in lines and "办件编号：BJ2026-0001" in lines
    code = next(line for line in lines if re.fullmatch(r"\d{6}", line))
    assert not any(code in t for t in texts(app.root))  # printed, not on screen
    tap(screen.ids.third)  # 退出
    assert pump_until(lambda: app.sm.current == "home", 3)
    sim = registry.simulator_for("locker", {})
    board, lock = board_lock(number)
    assert len(sim.unlocks(board, lock)) == 1

    # the citizen, with the code from the slip
    pickup = _open_pickup(app)
    _type(pickup, code)
    assert pump_until(lambda: pickup.stage == "open", 15)
    assert pickup.big == str(number) and sim.door(board, lock) is Door.OPEN
    assert len(sim.unlocks(board, lock)) == 2  # opened once for the pickup
    sim.take_item(board, lock)
    sim.close_door(board, lock)
    assert pump_until(lambda: pickup.stage == "result", 15)
    assert "取件完成" in pickup.message
    tap(pickup.ids.first)
    assert pump_until(lambda: app.sm.current == "home", 3)
    # and only once
    pickup = _open_pickup(app)
    _type(pickup, code)
    assert pump_until(lambda: "不正确" in pickup.detail, 10)
    assert len(sim.unlocks(board, lock)) == 2


def test_the_backend_refusing_an_unknown_case_opens_no_door(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    type_case(screen, "BJ2099-0001")
    assert screen.stage == "case" and "后台没有此办件编号" in screen.detail
    settle(app)
    screenshot("staff_unknown_case")
    sim = registry.simulator_for("locker", {})
    assert all(not sim.unlocks(b, n) for b in sim.boards for n in range(1, sim.locks_per_board + 1))
    assert kiosk.store.query("SELECT COUNT(*) FROM locker_deposits") == [(0,)]


def test_overdue_recovery_opens_the_right_door(hall_app, stop):
    app, kiosk = hall_app
    sim = registry.simulator_for("locker", {})
    person_closes_doors(sim, stop)
    result = kiosk.lockers.deposit("staff-demo", "BJ2026-0004", "L")
    assert result.status is Status.OK
    result.forget()
    stop.set()
    with kiosk.store.transaction() as db:  # six days ago
        db.execute("UPDATE locker_deposits SET created_at = created_at - 6 * 86400")
    screen = sign_in(app)
    tap(screen.ids.second)  # 逾期取回
    assert pump_until(lambda: screen.stage == "overdue", 10)
    rows = [b.text for b in screen.ids.choices.children]
    assert rows == [f"{result.number} 号柜  BJ2026-0004  已存 6 天"]
    settle(app)
    screenshot("staff_overdue")
    board, lock = board_lock(result.number)
    tap(screen.ids.choices.children[0])
    assert pump_until(lambda: screen.stage == "open", 15)
    assert screen.big == str(result.number) and "取出证件" in screen.detail
    assert sim.door(board, lock) is Door.OPEN and len(sim.unlocks(board, lock)) == 2
    settle(app)
    screenshot("staff_open")
    sim.take_item(board, lock)
    sim.close_door(board, lock)
    assert pump_until(lambda: screen.stage == "result", 15)
    assert "已取回" in screen.message
    assert kiosk.store.query("SELECT state FROM locker_deposits WHERE id = ?", (result.deposit_id,)) == [("recovered",)]


def test_the_session_ends_by_itself_after_session_s(hall_app):
    app, kiosk = hall_app
    kiosk.staff.settings = kiosk.staff.settings.model_copy(update={"session_s": 1.0})
    screen = sign_in(app)
    assert pump_until(lambda: app.sm.current == "home", 5)
    settle(app)
    assert screen._session is None and screen.message == ""
    ended = kiosk.store.query("SELECT detail FROM audit WHERE action = 'staff.session.end'")
    assert ended == [("timeout",)]


def test_a_stopped_apps_session_timer_never_moves_the_next_app(hall_app, window):
    # a staff screen of an app that stopped with a session open (a test's app, or a restart in
    # process) kept its session timer: when the session expired it sent the *next* app home
    from tests.ui.conftest import forget_app
    from tests.ui.fakes import make_kiosk
    from tests.ui.kivyhelp import pump
    from ui.app import KioskApp

    app, kiosk = hall_app
    kiosk.staff.settings = kiosk.staff.settings.model_copy(update={"session_s": 0.5})
    old = sign_in(app)
    forget_app(app, window)  # stopped, the staff screen still on show, its session open
    nxt = KioskApp(make_kiosk())
    nxt._run_prepare()
    try:
        nxt.sm.current = "services"
        pump_until(lambda: False, 2.0)  # the old session expires meanwhile
        assert nxt.sm.current == "services"
        assert old._timer is None  # the old screen's timer ended itself
    finally:
        forget_app(nxt, window)
        pump(1)
