"""Interactive (guided) health checks on the simulated hall: the real composition root, its
simulators, the audit and the outbox. Short step timeouts keep every test quick."""

from __future__ import annotations

import json
import threading

import pytest

from drivers.device import DeviceState
from drivers.locker.types import Door
from drivers.sim import registry
from kiosk.diagnostics.audit import TechAudit
from kiosk.diagnostics.external import restore_tested
from kiosk.diagnostics.guided import GuidedSnapshot, Refused, StepKind, Verdict, guided_checks
from kiosk.lockers import CompartmentState, Status
from tests.kiosk.diagnostics.test_privacy import ADDRESS, CANARY_CARD, ID_NUMBER, NAME
from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors
from tests.support import wait_for

TECH = "tech-07"


@pytest.fixture
def audit(hall):
    return TechAudit(hall.store, hall.backend.outbox)


def spec(hall, device_id: str, key: str):
    return next(s for s in guided_checks(hall, device_id) if s.key == key)


def audited(hall) -> list[dict]:
    rows = hall.store.query("SELECT actor, action, detail FROM audit WHERE action = 'tech.check.interactive' ORDER BY id")
    assert all(actor == TECH for actor, _, _ in rows)
    return [json.loads(detail) for _, _, detail in rows]


def reported(hall) -> list[dict]:
    return [json.loads(p) for (p,) in hall.store.query(
        "SELECT payload FROM outbox WHERE type = 'tech.check.interactive' ORDER BY seq")]


def finished(check, timeout: float = 10.0) -> GuidedSnapshot:
    assert check.wait(timeout), check.snapshot()
    snap = check.snapshot()
    assert snap.finished and snap.remaining_s == 0.0
    return snap


def test_the_checks_each_device_offers(hall):
    assert [s.key for s in guided_checks(hall, "idcard")] == ["idcard.read"]
    assert [s.key for s in guided_checks(hall, "printer")] == ["printer.print"]
    assert [s.key for s in guided_checks(hall, "camera")] == ["camera.page"]
    (door,) = guided_checks(hall, "locker0")
    assert door.key == "locker.door" and door.parameter == "number"
    assert [c.number for c in door.choices] == list(range(1, 33))  # the simulated hall's empty compartments
    assert guided_checks(hall, "no-such-device") == []


# -- ID card reader ---------------------------------------------------------------------------------
def test_card_check_passes_with_a_masked_note_and_no_canary_anywhere(hall, audit):
    sim = registry.simulator_for("idcard", {})
    reader = hall.supervisor.devices["idcard"]
    check = spec(hall, "idcard", "idcard.read").build(hall, audit, TECH, timeouts={"lay_card": 10, "lift_card": 10})
    assert [s.kind for s in check.steps] == [StepKind.WAIT, StepKind.WAIT]
    snapshots: list[GuidedSnapshot] = [check.snapshot()]
    check.start()
    assert wait_for(lambda: reader.armed, 5)
    sim.place(CANARY_CARD)
    assert wait_for(lambda: check.snapshot().index == 1, 10), check.snapshot()
    read = check.snapshot()
    snapshots.append(read)
    assert read.outcomes == (Verdict.PASS, Verdict.PENDING) and not read.finished
    assert read.note.startswith("读卡成功：姓名 金***，号码 370") and read.note.endswith(ID_NUMBER[-4:])
    assert "金***" in read.note_en
    sim.lift()
    snap = finished(check)
    snapshots.append(snap)
    assert snap.verdict is Verdict.PASS and snap.outcomes == (Verdict.PASS, Verdict.PASS)
    assert not reader.armed

    (row,) = audited(hall)
    assert row["device"] == "idcard" and row["check"] == "idcard.read" and row["verdict"] == "pass"
    assert [(s["key"], s["outcome"]) for s in row["steps"]] == [("lay_card", "pass"), ("lift_card", "pass")]
    assert reported(hall)[0]["technician"] == TECH and reported(hall)[0]["verdict"] == "pass"

    # no canary in what the screen showed, the audit trail or anything bound for the backend
    texts = [repr(s) for s in snapshots]
    texts += [detail for (detail,) in hall.store.query("SELECT detail FROM audit")]
    texts += [payload for (payload,) in hall.store.query("SELECT payload FROM outbox")]
    for canary in (NAME, ID_NUMBER, ADDRESS, "金丝"):
        for text in texts:
            assert canary not in text, canary
    assert "金" not in json.dumps(audited(hall), ensure_ascii=False)  # the audit has not even the masked name


def test_card_check_times_out_clearly_without_a_card(hall, audit):
    reader = hall.supervisor.devices["idcard"]
    check = spec(hall, "idcard", "idcard.read").build(hall, audit, TECH, timeouts={"lay_card": 0.8})
    snap = finished(check.start())
    assert snap.verdict is Verdict.FAIL and snap.index == 0
    assert snap.outcomes == (Verdict.FAIL, Verdict.PENDING)
    assert "no card read within 0.8 s" in snap.note_en and "未读到证件" in snap.note
    assert not reader.armed  # the reader is quiet again
    (row,) = audited(hall)
    assert row["verdict"] == "fail"
    assert row["steps"][0]["outcome"] == "fail" and "no card" in row["steps"][0]["note"]
    assert row["steps"][1]["outcome"] == "not_run"


def test_cancel_mid_step_ends_cleanly_and_is_audited(hall, audit):
    reader = hall.supervisor.devices["idcard"]
    check = spec(hall, "idcard", "idcard.read").build(hall, audit, TECH, timeouts={"lay_card": 30})
    check.start()
    assert wait_for(lambda: reader.armed and check.snapshot().remaining_s > 0, 5)
    assert not check.judge(True)  # not a VERDICT step: ignored
    check.cancel()
    snap = finished(check, 5)
    assert snap.verdict is Verdict.CANCELLED and snap.outcomes[0] is Verdict.CANCELLED
    assert snap.note_en == "check cancelled"
    assert not reader.armed
    check.cancel()  # once finished: nothing more happens
    (row,) = audited(hall)
    assert row["verdict"] == "cancelled" and row["steps"][0]["outcome"] == "cancelled"
    assert len(reported(hall)) == 1


# -- printer ----------------------------------------------------------------------------------------
def test_print_check_fails_with_the_out_of_paper_reason(hall, audit):
    registry.simulator_for("printer", {}).set_paper("out")
    check = spec(hall, "printer", "printer.print").build(hall, audit, TECH)
    snap = finished(check.start())
    assert snap.verdict is Verdict.FAIL and snap.outcomes == (Verdict.FAIL, Verdict.PENDING)
    assert "out of paper" in snap.note_en and "打印纸用完" in snap.note
    (row,) = audited(hall)
    assert row["verdict"] == "fail" and "out of paper" in row["steps"][0]["note"]


def test_print_check_records_the_technicians_pass(hall, audit):
    sim = registry.simulator_for("printer", {})
    before = len(sim.tickets)
    check = spec(hall, "printer", "printer.print").build(hall, audit, TECH, timeouts={"check_print": 10})
    assert [s.kind for s in check.steps] == [StepKind.AUTO, StepKind.VERDICT]
    check.start()
    assert wait_for(lambda: check.snapshot().awaiting_verdict, 10), check.snapshot()
    assert check.snapshot().outcomes[0] is Verdict.PASS
    assert check.judge(True)
    assert not check.judge(False)  # a second tap changes nothing
    snap = finished(check)
    assert snap.verdict is Verdict.PASS and snap.outcomes == (Verdict.PASS, Verdict.PASS)
    assert sim.wait_idle(5)
    page = sim.tickets[before]
    assert any("测试" in line for line in page.lines) and page.complete and not page.missing
    assert hall.supervisor.devices["printer"].stats.snapshot().get("tickets_printed", 0) == 0  # a test page is never counted
    (row,) = audited(hall)
    assert row["verdict"] == "pass" and [s["outcome"] for s in row["steps"]] == ["pass", "pass"]
    assert row["steps"][1]["kind"] == "verdict"


def test_cancel_at_the_verdict_step(hall, audit):
    check = spec(hall, "printer", "printer.print").build(hall, audit, TECH)
    check.start()
    assert wait_for(lambda: check.snapshot().awaiting_verdict, 10), check.snapshot()
    check.cancel()
    snap = finished(check, 5)
    assert snap.verdict is Verdict.CANCELLED and snap.outcomes == (Verdict.PASS, Verdict.CANCELLED)
    assert not check.judge(True)
    (row,) = audited(hall)
    assert row["verdict"] == "cancelled" and [s["outcome"] for s in row["steps"]] == ["pass", "cancelled"]


# -- locker line ------------------------------------------------------------------------------------
def test_door_check_opens_the_chosen_empty_door_and_passes_when_it_closes(hall, audit):
    sim = registry.simulator_for("locker", {})
    assert wait_for(lambda: hall.supervisor.devices["locker0"].state is DeviceState.ONLINE, 10)
    check = spec(hall, "locker0", "locker.door").build(hall, audit, TECH, number=20, timeouts={"close_door": 10})
    assert check.steps[1].text == "请关上20号柜柜门" and check.steps[1].text_en == "Close door 20"
    check.start()
    assert wait_for(lambda: check.snapshot().index == 1, 10), check.snapshot()
    assert sim.door(1, 4) is Door.OPEN and len(sim.unlocks(1, 4)) == 1  # compartment 20 is board 1, lock 4
    assert sim.door(0, 4) is Door.CLOSED  # nothing else opened
    assert hall.lockers.compartment_state("cabinet1", 20) is CompartmentState.OUT_OF_SERVICE  # while it stands open
    sim.close_door(1, 4)
    snap = finished(check)
    assert snap.verdict is Verdict.PASS, snap.note_en
    assert "back in service" in snap.note_en
    # the ledger did not take the test for a forced opening, and has the compartment back
    hall.lockers.patrol()
    assert hall.lockers.compartment_state("cabinet1", 20) is CompartmentState.EMPTY
    assert hall.lockers.alarms.open_alarms(("cabinet1", 20)) == []
    (row,) = audited(hall)
    assert row["verdict"] == "pass" and row["number"] == 20 and row["cabinet"] == "cabinet1"


def test_door_check_refuses_an_occupied_compartment(hall, audit):
    sim = registry.simulator_for("locker", {})
    assert wait_for(lambda: hall.supervisor.devices["locker0"].state is DeviceState.ONLINE, 10)
    stop = threading.Event()
    person_closes_doors(sim, stop)
    try:
        deposit = hall.lockers.deposit("staff-01", "CASE-GUIDED-1", "M")
    finally:
        stop.set()
    assert deposit.status is Status.OK, deposit.message
    number, lock = deposit.number, deposit.number  # M compartments 1–16: board 0, lock = number
    unlocks = len(sim.unlocks(0, lock))
    door = spec(hall, "locker0", "locker.door")
    assert number not in [c.number for c in door.choices]
    with pytest.raises(Refused) as refused:
        door.build(hall, audit, TECH, number=number)
    assert "不是空柜" in refused.value.text and "occupied" in refused.value.text_en
    with pytest.raises(Refused):
        door.build(hall, audit, TECH, number=99)
    assert len(sim.unlocks(0, lock)) == unlocks and sim.door(0, lock) is Door.CLOSED
    assert audited(hall) == []


def test_door_check_that_nobody_closes_fails_clearly(hall, audit):
    sim = registry.simulator_for("locker", {})
    assert wait_for(lambda: hall.supervisor.devices["locker0"].state is DeviceState.ONLINE, 10)
    check = spec(hall, "locker0", "locker.door").build(hall, audit, TECH, number=5, timeouts={"close_door": 0.8})
    snap = finished(check.start())
    assert snap.verdict is Verdict.FAIL and snap.outcomes == (Verdict.PASS, Verdict.FAIL)
    assert "not seen closed within 0.8 s" in snap.note_en and "the door still reads open" in snap.note_en
    assert "out of service" in snap.note_en
    # left open: out of service in the ledger (no deposit chooses it), not a forced opening
    hall.lockers.patrol()
    assert hall.lockers.compartment_state("cabinet1", 5) is CompartmentState.OUT_OF_SERVICE
    assert hall.lockers.alarms.open_alarms(("cabinet1", 5)) == []
    sim.close_door(0, 5)
    assert [(r.number, r.restored) for r in restore_tested(hall.lockers, audit, TECH)] == [(5, True)]
    assert hall.lockers.compartment_state("cabinet1", 5) is CompartmentState.EMPTY
    (row,) = audited(hall)
    assert row["verdict"] == "fail" and row["number"] == 5


# -- document camera --------------------------------------------------------------------------------
def test_page_check_sees_the_page_laid_then_taken_away(hall, audit):
    sim = registry.simulator_for("camera", {})
    assert wait_for(lambda: hall.supervisor.devices["camera"].state is DeviceState.ONLINE, 10)
    check = spec(hall, "camera", "camera.page").build(hall, audit, TECH, timeouts={"lay_page": 10, "take_page": 10})
    check.start()
    sim.place("a4", seed=1)
    assert wait_for(lambda: check.snapshot().index == 1, 10), check.snapshot()
    assert check.snapshot().outcomes[0] is Verdict.PASS
    sim.clear()
    snap = finished(check)
    assert snap.verdict is Verdict.PASS, snap.note_en
    (row,) = audited(hall)
    assert row["check"] == "camera.page" and row["verdict"] == "pass"
    # what the first step saw, from the record: the live note moves on with the next step at once
    assert "A4" in row["steps"][0]["note"]


def test_page_check_with_a_blank_desk_times_out_saying_what_it_saw(hall, audit):
    assert wait_for(lambda: hall.supervisor.devices["camera"].state is DeviceState.ONLINE, 10)
    check = spec(hall, "camera", "camera.page").build(hall, audit, TECH, timeouts={"lay_page": 1.0})
    snap = finished(check.start())
    assert snap.verdict is Verdict.FAIL and snap.outcomes == (Verdict.FAIL, Verdict.PENDING)
    assert "no steady A4 page within 1 s (no page detected)" in snap.note_en
