"""Canary: a card with canary values is read and a pickup runs while the ID reader and the lock
board are traced; neither the trace nor any file of the bundle holds a canary."""

from __future__ import annotations

import queue
import threading
import zipfile

from drivers.idcard.cards import SimCard, synthetic_id
from drivers.idcard.identity import CardType
from drivers.sim import registry
from kiosk.diagnostics.bundle import build_bundle
from kiosk.diagnostics.health import check_devices
from kiosk.diagnostics.trace import format_record, record_dict, tracing
from kiosk.lockers import Status
from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors

NAME = "金丝雀甲"
ID_NUMBER = synthetic_id("37010219770401123")
ADDRESS = "山东省济南市历下区金丝雀路九十九号"
CASE = "ZW2099CANARY0001"
CANARY_CARD = SimCard(CardType.RESIDENT, {
    "name": NAME, "sex": "1", "nation": "01", "birth": "19770401", "address": ADDRESS, "id_number": ID_NUMBER,
    "issuer": "济南市公安局历下分局", "valid_from": "20200101", "valid_to": "20400101"}, label="canary")


def test_trace_and_bundle_hold_no_canary(hall, tmp_path):
    reader, board = hall.supervisor.devices["idcard"], hall.supervisor.devices["locker0"]
    reads: queue.Queue = queue.Queue()
    unsubscribe = hall.bus.subscribe("idcard.card_read", lambda env: reads.put(env.payload))
    stop = threading.Event()
    with tracing(reader) as id_trace, tracing(board) as board_trace:
        registry.simulator_for("idcard", {}).place(CANARY_CARD)
        reader.arm()
        identity = reads.get(timeout=15).identity
        registry.simulator_for("idcard", {}).lift()
        person_closes_doors(registry.simulator_for("locker", {}), stop)
        deposit = hall.lockers.deposit("staff-01", CASE, "M", recipient_id=ID_NUMBER)
        assert deposit.status is Status.OK, deposit.message
        code = deposit.code
        pickup = hall.lockers.pickup_by_code(code)
        assert pickup.status is Status.OK, pickup.message
    stop.set()
    unsubscribe()
    assert identity.reveal()["id_number"] == ID_NUMBER and identity.reveal()["name"] == NAME  # the canary really went over the wire

    # the read reply went through the trace, as its length only
    id_records = id_trace.records()
    assert any("READ_BASE" in r.decoded for r in id_records)
    assert any("personal data withheld" in r.decoded for r in id_records)
    assert any("UNLOCK" in r.decoded for r in board_trace.records())

    report = check_devices(hall.supervisor.devices.values())
    log = tmp_path / "kiosk.log"
    log.write_text("\n".join([f"pickup for {ID_NUMBER}", f"code {code}", "a plain line"]))
    from kiosk.diagnostics.bundle import recent_log_lines
    out = build_bundle(tmp_path / "diag.zip", hall.config, hall.store.path.parent,
                       devices=list(hall.supervisor.devices.values()), health=report, log_lines=recent_log_lines(log))
    texts = [format_record(r) for r in [*id_records, *board_trace.records()]]
    texts += [str(record_dict(r)) for r in id_records]
    with zipfile.ZipFile(out.path) as z:
        names = z.namelist()
        assert {"manifest.json", "config.json", "devices.json", "statistics.json", "health.json", "events.json",
                "logs.txt"} <= set(names)
        bundle_texts = [z.read(n).decode() for n in names]
    assert any('"locker.' in t for t in bundle_texts)  # events made it in (types and times)
    assert "pin_hash" not in "".join(bundle_texts) and "card_hash" not in "".join(bundle_texts)
    for canary in (NAME, ID_NUMBER, ADDRESS, CASE, code, ID_NUMBER.encode("utf-16-le").hex(" ")[:40],
                   NAME.encode("utf-16-le").hex(" ")):
        for text in [*texts, *bundle_texts]:
            assert canary not in text, canary
