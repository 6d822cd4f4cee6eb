"""Device pages of the simulated hall (the real composition root and its simulators), and the
audited, persisted reset of a device's counters."""

from __future__ import annotations

import json

import pytest

from drivers.device import ActionHint, DeviceKind, DeviceState, HealthLevel
from drivers.idcard.cards import SimCard, synthetic_id
from drivers.idcard.identity import CardType
from drivers.sim import registry
from kiosk.composition import build_kiosk
from kiosk.diagnostics.audit import TechAudit
from kiosk.diagnostics.device_page import UNKNOWN, UnknownDevice, device_page, reset_statistics
from kiosk.diagnostics.faults import FaultHistory
from kiosk.supervisor import Unbuilt
from tests.kiosk.conftest import read_card
from tests.support import wait_for


def rows(rows_) -> dict[str, str]:
    return {r.label_en: r.value for r in rows_}


def test_id_reader_page_carries_its_sam_id_and_no_card_data(hall):
    name, id_number = "页面甲", synthetic_id("11010519800101123")
    address = "北京市朝阳区页面测试路一号"
    card = SimCard(CardType.RESIDENT, {
        "name": name, "sex": "1", "nation": "01", "birth": "19800101", "address": address, "id_number": id_number,
        "issuer": "北京市公安局朝阳分局", "valid_from": "20200101", "valid_to": "20400101"}, label="page")
    identity = read_card(hall, card)
    assert identity.reveal()["id_number"] == id_number  # the card really went over the wire

    page = device_page(hall, "idcard")
    info = rows(page.info)
    assert page.kind is DeviceKind.IDCARD and page.state is DeviceState.ONLINE and page.usable
    assert info["SAM ID"] == "05.01-20080808-0123456789-1234567890"  # as the simulated SAM module tells it
    assert info["SAM ID"] == hall.supervisor.devices["idcard"].sam_id
    assert info["port"] == "sim://idcard" and info["baud rate"].isdigit()
    assert set(rows(page.status)) == {"sam", "card", "arming"} and rows(page.status)["sam"] == "ok"
    stats = dict(page.statistics)
    assert stats["reads_ok"] >= 1 and "communication_errors" in stats
    assert any(c.startswith("baud:") for c in page.capabilities)
    for p in (device_page(hall, d) for d in hall.supervisor.devices):
        text = repr(p)
        for canary in (name, id_number, address, id_number[-6:]):
            assert canary not in text, (p.device_id, canary)


def test_locker_page_lists_its_boards(hall):
    locker = hall.supervisor.devices["locker0"]
    assert wait_for(lambda: locker.state is DeviceState.ONLINE, 10)
    page = device_page(hall, "locker0")
    info = rows(page.info)
    assert page.kind is DeviceKind.LOCKER
    assert info["board addresses"] == "0, 1" and info["protocol"] == "kerong-cu" and info["locks in all"] == "32"
    assert info["board 0 locks"] == "16" and info["board 1 locks"] == "16"
    assert info["board 0 compartments"] == "cabinet1 1–16" and info["board 1 compartments"] == "cabinet1 17–32"
    status = rows(page.status)
    assert status["boards"] == "all_online" and status["board 0"] == "online" and status["board 1"] == "online"
    assert "board:0:16" in page.capabilities


def test_printer_page_shows_the_paper_problem_and_its_history(hall):
    faults = FaultHistory(hall.bus)
    try:
        printer = hall.supervisor.devices["printer"]
        registry.simulator_for("printer", {}).set_paper("out")
        printer.wake.set()
        assert wait_for(lambda: device_page(hall, "printer", faults).problem_code == "paper_out", 10)
        page = device_page(hall, "printer", faults)
        assert not page.usable and page.hint is ActionHint.CLEAR and page.state is DeviceState.USER_ERROR
        assert rows(page.status)["paper"] == "out" and rows(page.status)["cover"] == "closed"
        assert page.faults[0].code == "paper_out" and page.faults[0].hint is ActionHint.CLEAR
        info = rows(page.info)
        assert info["print width (dots)"].isdigit() and info["firmware"] == UNKNOWN and info["cutter"] in ("yes", "no")
    finally:
        faults.close()


def test_camera_page_tells_resolution_and_frame_rate(hall):
    camera = hall.supervisor.devices["camera"]
    assert wait_for(lambda: camera.state is DeviceState.ONLINE, 15)
    info = rows(device_page(hall, "camera").info)
    assert "x" in info["resolution delivered"] and info["resolution delivered"] != UNKNOWN
    assert info["frame rate"].endswith("fps") and info["output resolution"].endswith("dpi")
    assert rows(device_page(hall, "camera").status)["stream"] == "flowing"


def test_unknown_and_unbuilt_devices(hall):
    with pytest.raises(UnknownDevice):
        device_page(hall, "nonesuch")
    hall.supervisor.unbuilt.append(Unbuilt("scanner", DeviceKind.CAMERA, "no driver for this model"))
    page = device_page(hall, "scanner")
    assert not page.built and not page.usable and page.hint is ActionHint.CONFIGURATION
    assert page.status == () and page.statistics == ()
    with pytest.raises(UnknownDevice):
        reset_statistics(hall, "scanner", TechAudit(hall.store), "tech-01")


def test_reset_statistics_is_persisted_audited_and_reported(tmp_path):
    kiosk = build_kiosk(data=tmp_path)
    kiosk.start()
    try:
        printer = kiosk.supervisor.devices["printer"]
        assert wait_for(lambda: printer.state is DeviceState.ONLINE, 10)
        registry.simulator_for("printer", {}).speed = 0  # the test ticket prints at once
        assert printer.check_health(HealthLevel.EXTERNAL).ok  # a test ticket: counted as one
    finally:
        kiosk.stop()  # persists the counters
        registry.forget_instances()

    kiosk = build_kiosk(data=tmp_path)  # restarted: the counters come back from the store
    printer = kiosk.supervisor.devices["printer"]
    opened = printer.stats.snapshot()["opens"]
    kiosk.start()
    try:
        # online is set inside open(), which counts the open just after: wait for both
        assert wait_for(lambda: printer.state is DeviceState.ONLINE and printer.stats.snapshot()["opens"] > opened, 10)
        before = dict(device_page(kiosk, "printer").statistics)
        assert before["test_tickets"] == 1 and before["operations_ok"] >= 1

        audit = TechAudit(kiosk.store, kiosk.backend.outbox)
        reset_statistics(kiosk, "printer", audit, "tech-07")
        after = dict(device_page(kiosk, "printer").statistics)
        assert set(after) == set(before) and all(v == 0 for v in after.values()), after
        stored = kiosk.store.load_statistics("printer")  # at once, not at the next save or the stop
        assert stored["test_tickets"] == 0 and all(v == 0 for v in stored.values())

        (ts, actor, action, detail), *_ = audit.recent()
        assert actor == "tech-07" and action == "tech.statistics.reset"
        detail = json.loads(detail)
        assert detail["device"] == "printer" and detail["before"]["test_tickets"] == 1
        events = kiosk.store.query("SELECT type, class, payload FROM outbox WHERE type = 'tech.statistics.reset'")
        assert len(events) == 1 and events[0][1] == "business"
        payload = json.loads(events[0][2])
        assert payload["technician"] == "tech-07" and payload["device"] == "printer"
        assert payload["before"]["test_tickets"] == 1
    finally:
        kiosk.stop()
        registry.forget_instances()

    again = build_kiosk(data=tmp_path)  # and after another restart the old counts stay gone
    try:
        counts = again.supervisor.devices["printer"].stats.snapshot()
        assert counts["test_tickets"] == 0 and counts["operations_ok"] == 0
        # only the seconds it stayed powered between the reset and the stop may have been added
        assert all(v == 0 for k, v in counts.items() if k != "powered_seconds"), counts
    finally:
        again.stop()
