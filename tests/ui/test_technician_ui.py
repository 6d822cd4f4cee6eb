"""维护模式 through the touch UI on the real simulated hall: the hidden corner gesture, the
technician PIN and its lockout, entry deferred during a citizen journey, the out-of-service
banner, and each device page's checks against the simulators, failing devices included."""

from __future__ import annotations

import json

import pytest

from drivers.sim import registry
from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors
from tests.ui.test_degraded_start import degraded  # noqa: F401  (a fixture: no device, no backend)
from tests.ui.kivyhelp import enter_pin, pump, pump_until, screenshot, settle, tap, texts

pytestmark = pytest.mark.ui

PIN = "135790"  # the simulated hall's demo technician (devicecfg/sites/simulated-hall.toml)


def corner_taps(app, n: int = 5) -> None:
    """Five taps on the top-left corner (the hall name), as a technician does."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    for _ in range(n):
        touch = UnitTestTouch(20, Window.height - 20)
        touch.touch_down()
        touch.touch_up()
        pump(1)
    pump(2)


def audit(kiosk) -> list[tuple[str, dict]]:
    return [(a, json.loads(d) if d.startswith("{") else d)
            for a, d in kiosk.store.query("SELECT action, detail FROM audit WHERE action LIKE 'tech.%' ORDER BY id")]


def sign_in(app):
    settle(app)
    corner_taps(app)
    assert pump_until(lambda: app.sm.current == "tech_entry", 3)
    settle(app)
    enter_pin(app.sm.get_screen("tech_entry"), PIN)
    assert pump_until(lambda: app.sm.current == "tech", 3), app.sm.get_screen("tech_entry").detail
    settle(app)
    return app.sm.get_screen("tech")


def act(screen, label: str, timeout: float = 20.0) -> None:
    """Press the page's action button whose text starts with ``label`` and wait for its result."""
    buttons = list(reversed(screen.ids.actions.children))
    button = next((b for b in buttons if b.text == label), None) or next(b for b in buttons if b.text.startswith(label))
    tap(button)
    assert pump_until(lambda: not screen.working, timeout), f"{label}: still working"
    pump(2)


def open_first_empty_door(screen) -> int:
    """开指定空柜门, then the first door offered; its number."""
    tap(next(b for b in screen.ids.actions.children if b.text.startswith("开指定空柜门")))
    pump(2)
    door = next(b for b in reversed(screen.ids.actions.children) if b.text.endswith("号"))
    act(screen, door.text)
    assert not screen.warn, screen.result
    return int(door.text.split()[0])


def board_lock(number: int) -> tuple[int, int]:
    return (0, number) if number <= 16 else (1, number - 16)


def nav(screen, device_id: str) -> None:
    tap(next(b for b in screen.ids.nav.children if b.text.endswith(device_id)))
    pump(2)
    assert screen.page == "device" and screen.device_id == device_id


def test_gesture_and_pin_enter_the_mode_out_of_service_and_exit_is_audited(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    assert kiosk.technician.out_of_service
    shown = " ".join(texts(app.root))
    assert "暂停为市民服务" in shown  # the notice anyone walking up reads
    for device in ("printer", "idcard", "camera", "locker0"):
        assert any(device in t for t in texts(screen.ids.rows)), device
    assert any(t.startswith("后台连接") for t in texts(screen.ids.rows))
    assert any("配置校验码" in t for t in texts(screen.ids.rows))
    screenshot("tech_overview")
    tap(screen.ids.exit)
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert not kiosk.technician.out_of_service
    actions = [a for a, _ in audit(kiosk)]
    assert actions == ["tech.mode.enter", "tech.mode.exit"]
    assert audit(kiosk)[-1][1]["reason"] == "logout"
    sent = [t for (t,) in kiosk.store.query("SELECT type FROM outbox WHERE type LIKE 'tech.%' ORDER BY seq")]
    assert sent == ["tech.mode.enter", "tech.mode.exit"]  # reported to the backend too


def test_four_taps_or_taps_elsewhere_do_nothing(hall_app):
    app, _ = hall_app
    settle(app)
    corner_taps(app, 4)
    assert app.sm.current == "home"


def test_wrong_pins_lock_the_entry(hall_app):
    app, kiosk = hall_app
    settle(app)
    corner_taps(app)
    assert pump_until(lambda: app.sm.current == "tech_entry", 3)
    screen = app.sm.get_screen("tech_entry")
    for n in range(4):
        enter_pin(screen, "000000")
        assert screen.detail == "密码不正确", n
    enter_pin(screen, "000000")
    assert "请 5 分钟后再试" in screen.detail
    enter_pin(screen, PIN)  # the right PIN, while locked out
    assert app.sm.current == "tech_entry" and "分钟后再试" in screen.detail
    screenshot("tech_locked")
    assert [a for a, _ in audit(kiosk)] == ["tech.pin.wrong"] * 5  # refused unchecked while locked
    assert not kiosk.technician.out_of_service


def test_entry_waits_for_the_citizen_journey_to_end(hall_app):
    app, kiosk = hall_app
    settle(app)
    app.go("services")  # a citizen is choosing a service
    settle(app)
    corner_taps(app)
    assert app.notice is not None and "市民正在办理业务" in " ".join(texts(app.notice))
    screenshot("tech_defer")
    tap(app.notice.buttons["wait"])
    assert app.sm.current == "services" and app.maintenance_pending  # the citizen goes on
    app.go_home()  # their journey ends
    assert pump_until(lambda: app.sm.current == "tech_entry", 3)
    assert not kiosk.technician.out_of_service  # not before the PIN


def test_entry_can_end_the_journey_but_never_under_an_open_door(hall_app):
    app, _ = hall_app
    settle(app)
    app.go("services")
    settle(app)
    app.sm.current_screen.busy = True  # as a screen is while a door is open or a ticket prints
    corner_taps(app)
    assert app.notice.buttons["abort"].disabled
    assert "柜门打开或正在打印" in " ".join(texts(app.notice))
    tap(app.notice.buttons["cancel"])
    assert app.notice is None and app.sm.current == "services" and not app.maintenance_pending
    app.sm.current_screen.busy = False
    corner_taps(app)
    tap(app.notice.buttons["abort"])
    assert pump_until(lambda: app.sm.current == "tech_entry", 3)


def test_printer_page_checks_pass_then_fail_out_of_paper(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "printer")
    assert any(t.startswith("状态：正常") for t in texts(screen.ids.rows))
    act(screen, "内部检测")
    assert not screen.warn and "通信正常" in screen.result
    printed_before = len(registry.simulator_for("printer", {}).tickets)
    act(screen, "打印测试票")
    assert not screen.warn, screen.result
    assert len(registry.simulator_for("printer", {}).tickets) == printed_before + 1
    registry.simulator_for("printer", {}).set_paper("out")
    assert pump_until(lambda: any("需人工处理" in t for t in texts(screen.ids.rows)), 10)
    act(screen, "内部检测")
    assert screen.warn and "纸" in screen.result, screen.result
    assert any("纸" in t for t in texts(screen.ids.rows)[1:]), "the fault is listed with its hint"
    screenshot("tech_printer_paper_out")
    act(screen, "打印测试票")
    assert screen.warn
    checks = [d for a, d in audit(kiosk) if a == "tech.check.internal"]
    assert [c["ok"] for c in checks] == [True, False]


def test_locker_page_opens_an_empty_door_and_reports_a_board_offline(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "locker0")
    act(screen, "内部检测")
    assert not screen.warn, screen.result
    number = open_first_empty_door(screen)
    sim = registry.simulator_for("locker", {})
    board, lock = board_lock(number)
    assert sim.unlocks(board, lock), "the board was told to open the chosen door"
    sim.close_door(board, lock)
    tap(next(b for b in screen.ids.actions.children if b.text == "返回"))
    pump(2)
    sim.set_board_offline(0)
    bus = kiosk.supervisor.devices["locker0"]
    # a few missed polls, as on a real line; each silent query also waits out its late window
    # (drivers/locker/bus.py), so this takes some seconds: the wait is generous, not a timing
    assert pump_until(lambda: not bus.board_online(0), 60)
    act(screen, "内部检测")
    assert screen.warn and "锁控板 0 无应答" in screen.result, screen.result
    screenshot("tech_locker_offline")
    opened = [d for a, d in audit(kiosk) if a == "tech.locker.open"]
    assert len(opened) == 1 and opened[0]["number"] == number


def test_a_jammed_door_is_listed_out_of_service_and_restored_once_repaired(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "locker0")
    sim = registry.simulator_for("locker", {})
    sim.jam(0, 1)  # the first empty door's lock does not move
    tap(next(b for b in screen.ids.actions.children if b.text.startswith("开指定空柜门")))
    pump(2)
    act(screen, "1 号")
    assert screen.warn and "未能打开" in screen.result, screen.result
    tap(next(b for b in screen.ids.actions.children if b.text == "返回"))
    pump(2)
    act(screen, "停用柜格（1）")  # the device page counts them
    assert any("1号柜" in t and "锁未能打开" in t for t in texts(screen.ids.rows)), texts(screen.ids.rows)
    screenshot("tech_locker_stopped")
    sim.jam(0, 1, False)  # repaired
    act(screen, "恢复 1 号")
    assert not screen.warn and "恢复使用" in screen.result, screen.result
    assert "没有停用的柜格" not in screen.result and texts(screen.ids.rows) == []
    assert kiosk.lockers.compartment_state("cabinet1", 1).value == "empty" and kiosk.lockers.alarms.open_alarms() == []
    restored = [d for a, d in audit(kiosk) if a == "tech.locker.restore"]
    assert restored[-1] == {"cabinet": "cabinet1", "number": 1, "restored": True, "alarms": ["lock_jammed"]}


def test_camera_page_shows_a_test_frame(hall_app):
    app, _ = hall_app
    screen = sign_in(app)
    nav(screen, "camera")
    act(screen, "拍摄测试画面", 30)
    assert screen.has_preview and screen.ids.preview.texture is not None, screen.result
    screenshot("tech_camera")


def test_live_trace_shows_decoded_bytes(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "printer")
    tap(next(b for b in screen.ids.actions.children if b.text == "实时报文"))
    assert screen.page == "trace"
    assert pump_until(lambda: len(screen.ids.rows.children) > 2, 15), "the printer's status polls show up"
    assert any("DLE EOT" in t or "→" in t for t in texts(screen.ids.rows))
    screenshot("tech_trace")
    tap(screen.ids.exit)
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert kiosk.supervisor.devices["printer"]._tap is None  # the trace stopped with the mode


def test_idle_technician_is_signed_out(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    kiosk.technician.settings = kiosk.technician.settings.model_copy(update={"idle_s": 0.5})
    app.idle.warn_before = 0.1
    assert pump_until(lambda: app.sm.current == "home", 10)
    assert screen.session is None and not kiosk.technician.out_of_service
    assert audit(kiosk)[-1][0] == "tech.mode.exit" and audit(kiosk)[-1][1]["reason"] == "idle"


def test_guided_print_check_records_the_technicians_verdict(hall_app):
    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "printer")
    tap(next(b for b in screen.ids.actions.children if b.text.startswith("引导检测")))
    assert screen.page == "guided"
    assert pump_until(lambda: any(b.text == "合格" for b in screen.ids.actions.children), 20), screen.result
    screenshot("tech_guided_print")
    tap(next(b for b in screen.ids.actions.children if b.text == "合格"))
    assert pump_until(lambda: "检测通过" in screen.result, 10), screen.result
    checks = [d for a, d in audit(kiosk) if a == "tech.check.interactive"]
    assert len(checks) == 1 and checks[0]["verdict"] == "pass" and checks[0]["device"] == "printer"


def test_guided_door_check_passes_when_the_door_is_closed(hall_app, stop):
    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "locker0")
    tap(next(b for b in screen.ids.actions.children if b.text.startswith("引导检测")))
    door = next(b for b in reversed(screen.ids.actions.children) if b.text != "返回")
    number = int("".join(ch for ch in door.text if ch.isdigit()))
    tap(door)
    sim = registry.simulator_for("locker", {})
    person_closes_doors(sim, stop)  # the technician closes the door once it has swung open
    board, lock = board_lock(number)
    assert pump_until(lambda: "检测通过" in screen.result, 20), screen.result
    assert sim.unlocks(board, lock)
    checks = [d for a, d in audit(kiosk) if a == "tech.check.interactive"]
    assert checks[-1]["verdict"] == "pass"


def test_a_tested_door_left_open_is_said_before_leaving_and_serves_again_once_closed(hall_app):
    from kiosk.lockers import CompartmentState

    app, kiosk = hall_app
    screen = sign_in(app)
    nav(screen, "locker0")
    number = open_first_empty_door(screen)
    key = next(c.key for c in kiosk.lockers.compartments.values() if c.number == number)
    assert kiosk.lockers.ledger.compartment_states()[key] is not CompartmentState.EMPTY  # not for citizens while open
    tap(screen.ids.exit)
    assert app.sm.current == "tech" and screen.warn and str(number) in screen.result  # said, not left behind
    sim = registry.simulator_for("locker", {})
    sim.close_door(*board_lock(number))
    bus = kiosk.supervisor.devices["locker0"]
    from drivers.locker.types import Door
    assert pump_until(lambda: bus.door(*board_lock(number)) is Door.CLOSED, 10)
    tap(screen.ids.exit)
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert kiosk.lockers.ledger.compartment_states()[key] is CompartmentState.EMPTY  # back in service


def test_export_without_a_stick_goes_through_the_outbox(hall_app, monkeypatch):
    app, kiosk = hall_app
    monkeypatch.setattr("os.path.ismount", lambda _path: False)  # whatever this machine has mounted
    screen = sign_in(app)
    tap(screen.ids.export)
    assert pump_until(lambda: not screen.working, 30)
    assert not screen.warn, screen.result
    exported = [d for a, d in audit(kiosk) if a == "tech.bundle.export"]
    assert len(exported) == 1 and exported[0]["ok"] and exported[0]["where"] == "outbox"
    assert kiosk.store.query("SELECT COUNT(*) FROM outbox WHERE type = 'diagnostics.bundle'")[0][0] == 1


def test_with_nothing_plugged_in_every_page_says_what_is_wrong(degraded):
    """No device present and the backend down: the overview names each problem, the camera's
    test frame fails in words (no picture, no crash), 全部内部检测 lists every device."""
    app, kiosk, _config, _servers = degraded
    screen = sign_in(app)
    rows = lambda: " ".join(texts(screen.ids.rows))  # noqa: E731
    assert pump_until(lambda: "后台连接：无法连接" in rows(), 20), rows()
    for device in ("printer", "idcard", "camera", "locker0"):
        line = next(t for t in texts(screen.ids.rows) if f" {device}（" in t)
        assert "正常" not in line, line
    act(screen, "全部内部检测", 60)
    assert screen.warn and all(d in screen.result for d in ("printer", "idcard", "camera", "locker0")), screen.result
    screenshot("tech_overview_nothing_plugged")
    nav(screen, "camera")
    act(screen, "拍摄测试画面", 30)
    assert screen.warn and not screen.has_preview and ("摄像头" in screen.result or "画面" in screen.result), screen.result
