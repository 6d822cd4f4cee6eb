"""External checks on the simulated hall (kiosk/diagnostics/external.py): a test ticket that is
never counted, a test frame with the outline and masked codes, doors opened only when empty and
kept true in the ledger; every action leaves a tech.* audit row."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest

from drivers.device import DeviceState
from drivers.locker.types import Door
from drivers.sim import registry
from kiosk.diagnostics.audit import TechAudit
from kiosk.diagnostics.external import (
    DoorOutcome,
    camera_test_frame,
    cycle_empty,
    mask_code,
    open_compartment,
    print_test_ticket,
    restore_compartment,
    restore_tested,
)
from kiosk.lockers import CompartmentState
from tests.support import wait_for

ACTOR = "tech-demo"
TICKET_COUNTERS = ("tickets_printed", "jobs_failed", "jobs_expired")
CAB = "cabinet1"


def audit_of(kiosk) -> TechAudit:
    return TechAudit(kiosk.store, kiosk.backend.outbox if kiosk.backend else None)


def actions(kiosk, name: str) -> list[dict]:
    """The detail of every audit row ``name``, oldest first."""
    return [json.loads(detail) for _, actor, action, detail in reversed(audit_of(kiosk).recent(500))
            if action == name and actor == ACTOR]


def outbox_types(kiosk) -> list[str]:
    return [r[0] for r in kiosk.store.query("SELECT type FROM outbox ORDER BY seq")]


# -- printer -----------------------------------------------------------------------------------
def test_test_ticket_is_printed_marked_and_never_counted_and_paper_out_fails_clearly(hall):
    printer = hall.supervisor.devices["printer"]
    sim = registry.simulator_for("printer", {})
    before, printed = printer.stats.snapshot(), len(sim.tickets)

    result = print_test_ticket(printer, audit_of(hall), ACTOR)
    assert result.ok, result.text_en
    assert "测试" in result.text and "not counted" in result.text_en
    sim.wait_idle(2.0)
    assert len(sim.tickets) == printed + 1 and any("测试" in line for line in sim.tickets[-1].lines)
    after = printer.stats.snapshot()
    assert {k: after[k] for k in TICKET_COUNTERS} == {k: before[k] for k in TICKET_COUNTERS}
    assert after["test_tickets"] == before["test_tickets"] + 1

    sim.set_paper("out")
    failed = print_test_ticket(printer, audit_of(hall), ACTOR)
    assert not failed.ok
    assert "打印纸用完" in failed.text and "out of paper" in failed.text_en
    sim.wait_idle(2.0)
    assert len(sim.tickets) == printed + 1  # nothing came out
    final = printer.stats.snapshot()
    assert {k: final[k] for k in TICKET_COUNTERS} == {k: before[k] for k in TICKET_COUNTERS}
    assert final["test_tickets_failed"] == before.get("test_tickets_failed", 0) + 1

    rows = actions(hall, "tech.printer.test_ticket")
    assert [(r["ok"], r["outcome"], r["device"]) for r in rows] == [(True, "confirmed", "printer"), (False, "failed", "printer")]
    assert outbox_types(hall).count("tech.printer.test_ticket") == 2  # reported to the backend too
    assert not print_test_ticket(None, audit_of(hall), ACTOR).ok


# -- camera ------------------------------------------------------------------------------------
def _fresh_frames(camera, n: int = 2) -> None:
    """Wait until frames rendered after the last scene change arrive."""
    seq = camera.frame(5.0).seq
    camera.frame(5.0, newer_than=seq + n - 1)


def test_camera_test_frame_outline_preview_masked_codes_and_no_picture(hall):
    camera = hall.supervisor.devices["camera"]
    assert wait_for(lambda: camera.state is DeviceState.ONLINE, 10)
    sim = registry.simulator_for("camera", {})
    captures = camera.stats.snapshot()["captures"]

    scene = sim.place("a4", seed=1, settle=0)
    _fresh_frames(camera)
    frame = camera_test_frame(camera, audit_of(hall), ACTOR)
    assert frame.ok and frame.found and frame.kind == "a4", frame.text_en
    assert (frame.width, frame.height) == sim.size
    err = np.abs(np.array(frame.corners) - np.array(scene.corners)).max()
    assert err < 0.01 * frame.width, (frame.corners, scene.corners)
    image = cv2.imdecode(np.frombuffer(frame.preview_png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[1] <= 960
    b, g, r = (image[..., i].astype(int) for i in range(3))
    assert ((g > 150) & (r < 80) & (b < 80)).sum() > 1000, "the outline is drawn in green"
    assert "preview_png" not in repr(frame)
    assert camera.stats.snapshot()["captures"] == captures  # a test frame is not a capture

    payload = "https://zwfw.example.gov.cn/yy?code=YY0001&tel=13800138000"
    sim.show_phone(payload)
    _fresh_frames(camera)
    frame = camera_test_frame(camera, audit_of(hall), ACTOR)
    assert frame.ok and frame.codes, frame.text_en
    fmt, text = frame.codes[0]
    assert fmt == "QRCode" and text.startswith("http") and text.endswith("00") and "*" in text
    assert "13800138000" not in text and "YY0001" not in text

    sim.stall()
    try:
        stalled = camera_test_frame(camera, audit_of(hall), ACTOR, timeout=0.5)
    finally:
        sim.stall(False)
    assert not stalled.ok and stalled.preview_png is None and "高拍仪" in stalled.text and "camera" in stalled.text_en
    missing = camera_test_frame(None, audit_of(hall), ACTOR)
    assert not missing.ok and "未配置高拍仪" in missing.text

    rows = actions(hall, "tech.camera.test_frame")
    assert [(r["ok"], r["outcome"]) for r in rows] == [(True, "found"), (True, "no_document"), (False, "no_frame"),
                                                       (False, "no_device")]
    assert rows[1]["codes"] >= 1 and payload not in json.dumps(rows, ensure_ascii=False)
    assert not any(payload in str(p) for p in hall.store.query("SELECT payload FROM outbox"))


@pytest.mark.parametrize("text, shown", [("YY0001", "YY***1"), ("", ""), ("ab", "**"),
                                         ("https://example.gov.cn/x?id=1234", "http" + "*" * 12 + "34")])
def test_mask_code_keeps_at_most_the_first_4_and_last_2_and_a_third(text, shown):
    assert mask_code(text) == shown


# -- lockers -----------------------------------------------------------------------------------
def _lockers_ready(hall):
    locker = hall.supervisor.devices["locker0"]
    assert wait_for(lambda: locker.state is DeviceState.ONLINE, 10)
    hall.lockers.reconcile()  # what the kiosk does once the line is up; done here so it is over
    return registry.simulator_for("locker", {})


def _occupy(hall, sim, numbers) -> None:
    """A certificate in each of ``numbers``: in the box (and seen by the board), then in the ledger."""
    for n in numbers:
        sim.put_item(*_where(n))
    hall.lockers.refresh_all()  # the patrol reads the last polled sensors: they must see the items first
    with hall.store.transaction() as db:
        for n in numbers:
            hall.lockers.ledger.set_compartment(db, (CAB, n), CompartmentState.OCCUPIED, time.time())


def _where(number: int) -> tuple[int, int]:
    return (0, number) if number <= 16 else (1, number - 16)


def test_occupied_refused_empty_opened_kept_true_in_the_ledger_and_restored_when_closed(hall):
    sim = _lockers_ready(hall)
    lockers, audit = hall.lockers, audit_of(hall)
    _occupy(hall, sim, [1])  # a citizen's certificate is in 1

    refused = open_compartment(lockers, CAB, 1, audit, ACTOR)
    assert not refused.opened and refused.outcome is DoorOutcome.REFUSED and "证件" in refused.text
    assert sim.unlocks(0, 1) == [] and lockers.compartment_state(CAB, 1) is CompartmentState.OCCUPIED
    assert open_compartment(lockers, CAB, 99, audit, ACTOR).outcome is DoorOutcome.REFUSED

    test = open_compartment(lockers, CAB, 2, audit, ACTOR)
    assert test.opened and test.outcome is DoorOutcome.OPENED, test.text_en
    assert sim.door(0, 2) is Door.OPEN and len(sim.unlocks(0, 2)) == 1
    # the door stands open: the ledger says so, and the patrol does not take it for a forced opening
    assert lockers.compartment_state(CAB, 2) is CompartmentState.OUT_OF_SERVICE
    lockers.patrol()
    assert lockers.alarms.open_alarms() == []  # no forced opening (nor anything else)
    assert lockers.compartment_state(CAB, 2) is CompartmentState.OUT_OF_SERVICE
    assert "locker.alarm" not in outbox_types(hall)

    still_open = restore_tested(lockers, audit, ACTOR)
    assert [(r.number, r.restored) for r in still_open] == [(2, False)] and "开着" in still_open[0].text
    again = open_compartment(lockers, CAB, 2, audit, ACTOR)
    assert not again.opened and "关好" in again.text and len(sim.unlocks(0, 2)) == 1
    sim.close_door(0, 2)
    back = restore_tested(lockers, audit, ACTOR)
    assert [(r.number, r.restored) for r in back] == [(2, True)]
    assert lockers.compartment_state(CAB, 2) is CompartmentState.EMPTY
    assert restore_tested(lockers, audit, ACTOR) == []
    not_ours = restore_compartment(lockers, CAB, 1, audit, ACTOR)  # occupied, never tested: not for us to touch
    assert not not_ours.restored and lockers.compartment_state(CAB, 1) is CompartmentState.OCCUPIED

    opens = actions(hall, "tech.locker.open")
    assert [(r["number"], r["outcome"]) for r in opens] == [(1, "refused"), (99, "refused"), (2, "opened"), (2, "refused")]
    assert [r["restored"] for r in actions(hall, "tech.locker.restore")] == [False, True, False]


def test_cycle_opens_every_empty_compartment_records_each_and_can_be_stopped(hall):
    sim = _lockers_ready(hall)
    lockers, audit = hall.lockers, audit_of(hall)
    empty = [3, 4, 20]
    _occupy(hall, sim, [n for n in range(1, 33) if n not in empty])
    seen = []

    results = cycle_empty(lockers, audit, ACTOR, on_progress=seen.append)
    assert [(r.number, r.opened) for r in results] == [(3, True), (4, True), (20, True)]
    assert seen == results
    assert all(sim.door(*_where(n)) is Door.OPEN for n in empty)
    assert all(sim.unlocks(*_where(n)) == [] for n in range(1, 33) if n not in empty)
    opens = actions(hall, "tech.locker.open")
    assert [(r["number"], r["opened"], r["cycle"]) for r in opens] == [(n, True, True) for n in empty]
    summary = actions(hall, "tech.locker.cycle")[-1]
    assert (summary["tried"], summary["opened"], summary["stopped"]) == (3, 3, False)

    for n in empty:
        sim.close_door(*_where(n))
    assert all(r.restored for r in restore_tested(lockers, audit, ACTOR))
    one = cycle_empty(lockers, audit, ACTOR, should_stop=lambda: bool(sim.unlocks(0, 3)[1:]))
    assert [r.number for r in one] == [3]
    assert actions(hall, "tech.locker.cycle")[-1]["stopped"] is True


def test_a_board_offline_gives_opened_false_and_leaves_the_compartment_empty(hall):
    sim = _lockers_ready(hall)
    sim.set_board_offline(1)
    try:
        test = open_compartment(hall.lockers, CAB, 20, audit_of(hall), ACTOR)
    finally:
        sim.set_board_offline(1, False)
    assert not test.opened and test.outcome is DoorOutcome.BOARD_OFFLINE
    assert "锁控板" in test.text and "does not answer" in test.text_en
    assert hall.lockers.compartment_state(CAB, 20) is CompartmentState.EMPTY
    assert actions(hall, "tech.locker.open")[-1] == {
        "board": 1, "cabinet": CAB, "cycle": False, "device": "locker0", "lock": 4, "number": 20, "opened": False,
        "outcome": "board_offline"}


def test_out_of_service_compartments_are_listed_with_why_and_restored_only_when_safe(hall):
    """Without 恢复使用 a jammed lock, a forced door or a door tested before a restart would stay
    out of service for good: nothing else in the kiosk brings them back."""
    import threading

    from kiosk.diagnostics import external
    from kiosk.lockers import AlarmKind
    from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors

    sim = _lockers_ready(hall)
    lockers, audit = hall.lockers, audit_of(hall)
    stop = threading.Event()
    person_closes_doors(sim, stop)
    try:
        deposit = lockers.deposit("staff-demo", "BJ2026-0042", "M")
    finally:
        stop.set()
    deposit.forget()
    held = deposit.number
    assert held is not None and lockers.compartment_state(CAB, held) is CompartmentState.OCCUPIED
    sim.open_door(*_where(held))  # forced: the patrol takes it out of service with an alarm
    lockers.refresh_all()
    lockers.patrol()
    jammed, tested, cluttered = [n for n in (5, 6, 7, 8) if n != held][:3]
    sim.jam(*_where(jammed))
    assert open_compartment(lockers, CAB, jammed, audit, ACTOR).outcome is DoorOutcome.JAMMED
    assert open_compartment(lockers, CAB, tested, audit, ACTOR).opened
    external._tested_keys(lockers).clear()  # what a restart forgets: the door was opened for a test
    with hall.store.transaction() as db:
        lockers.ledger.set_compartment(db, (CAB, cluttered), CompartmentState.OUT_OF_SERVICE, time.time())
    sim.put_item(*_where(cluttered))

    stopped = {s.number: s for s in external.stopped_compartments(lockers, "locker0")}
    assert set(stopped) == {held, jammed, tested, cluttered}
    assert stopped[held].alarms == (AlarmKind.FORCED_OPEN,) and stopped[held].holds_deposit
    assert stopped[jammed].alarms == (AlarmKind.LOCK_JAMMED,) and not stopped[jammed].holds_deposit
    assert "被异常打开" in stopped[held].text() and "存有证件" in stopped[held].text()
    assert "did not open" in stopped[jammed].text(english=True)
    assert external.stopped_compartments(lockers, "no-such-line") == []

    # doors still open stay out of service, with what to do
    for n in (held, tested):
        r = restore_compartment(lockers, CAB, n, audit, ACTOR)
        assert not r.restored and "开着" in r.text
    r = restore_compartment(lockers, CAB, cluttered, audit, ACTOR)
    assert not r.restored and "有物品" in r.text  # perhaps a citizen's document: staff first
    sim.close_door(*_where(held))
    sim.close_door(*_where(tested))
    sim.jam(*_where(jammed), False)

    back = {n: restore_compartment(lockers, CAB, n, audit, ACTOR) for n in (held, jammed, tested)}
    assert all(r.restored for r in back.values()), [r.text_en for r in back.values()]
    assert "待领取" in back[held].text
    assert lockers.compartment_state(CAB, held) is CompartmentState.OCCUPIED  # the certificate still waits
    assert lockers.compartment_state(CAB, jammed) is CompartmentState.EMPTY
    assert lockers.compartment_state(CAB, tested) is CompartmentState.EMPTY
    assert lockers.alarms.open_alarms() == []
    assert [s.number for s in external.stopped_compartments(lockers)] == [cluttered]
    again = restore_compartment(lockers, CAB, jammed, audit, ACTOR)
    assert not again.restored and "未停用" in again.text

    rows = [(r["number"], r["restored"], r["alarms"]) for r in actions(hall, "tech.locker.restore")]
    assert rows == [(held, False, ["forced_open"]), (tested, False, []), (cluttered, False, []),
                    (held, True, ["forced_open"]), (jammed, True, ["lock_jammed"]), (tested, True, []),
                    (jammed, False, [])]
    assert outbox_types(hall).count("tech.locker.restore") == len(rows)
    assert "BJ2026-0042" not in json.dumps(rows) and deposit.code is None
