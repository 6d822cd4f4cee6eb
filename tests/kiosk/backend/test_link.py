"""The link in a whole kiosk and against the reference server: queue numbers from both sides,
the simulated hall's loop out of the box, and no personal data in what the link logs or raises."""

from __future__ import annotations

import json

import pytest

from drivers.sim import registry
from intake.contract import EventClass, TicketSource
from kiosk.backend.client import BackendClient, BackendRejected
from kiosk.backend.outbox import Outbox
from kiosk.backend.sender import Backoff, Sender
from kiosk.backend.tickets import TicketDesk, TicketPolicy
from kiosk.composition import build_kiosk
from kiosk.store import Store

from tests.kiosk.backend.conftest import KIOSK
from tests.support import wait_for

def test_backend_and_offline_numbers_interleave_without_duplicates(tmp_path, server, secret):
    server.start()
    store = Store(tmp_path / "k.sqlite3")
    outbox = Outbox(store)
    client = BackendClient(server.url, KIOSK, secret, timeout=2)
    settings = client.settings()  # the server's catalogue (the simulated hall's)
    first = settings.services[0]
    desk = TicketDesk(store, outbox, client, {s.code: s.prefix for s in settings.services}, TicketPolicy("K1"))
    sender = Sender(outbox, client, backoff=Backoff(base=0.05, cap=0.3))
    issued = [desk.issue(first.code) for _ in range(2)]  # the backend numbers
    server.stop()
    issued += [desk.issue(first.code) for _ in range(2)]  # the link is down: the kiosk's block
    server.start()
    issued += [desk.issue(first.code) for _ in range(2)]  # back to the backend
    numbers = [t.number for t in issued]
    p = first.prefix
    assert numbers == [f"{p}001", f"{p}002", f"{p}-K1-001", f"{p}-K1-002", f"{p}003", f"{p}004"]
    assert [t.source for t in issued] == [TicketSource.BACKEND] * 2 + [TicketSource.KIOSK] * 2 + [TicketSource.BACKEND] * 2
    sender.start()
    assert wait_for(lambda: outbox.stats().pending == 0, 30)
    sender.stop()
    at_server = [n for (n,) in server.query("SELECT number FROM tickets ORDER BY id")]
    assert sorted(at_server) == sorted(numbers) and len(at_server) == len(set(at_server))
    assert server.query("SELECT COUNT(*) FROM alarms") == [(0,)]  # no number was seen twice
    client.close()
    store.close()


def test_simulated_hall_delivers_to_its_in_process_server(tmp_path):
    kiosk = build_kiosk(data=tmp_path)
    try:
        kiosk.start()
        link = kiosk.backend
        assert link is not None and link.client.base_url.startswith("http://127.0.0.1:")
        assert link.client.health()
        # device events of the simulated devices reach the backend, and so does the inventory
        server_db = tmp_path / "intake-server" / "intake.sqlite3"
        import sqlite3

        def delivered() -> set[str]:
            db = sqlite3.connect(server_db)
            try:
                return {t for (t,) in db.execute("SELECT DISTINCT type FROM events")}
            finally:
                db.close()

        assert wait_for(lambda: "device.state" in delivered(), 20)
        ticket = link.tickets.issue(next(iter(link.tickets.prefixes)))
        assert ticket.source is TicketSource.BACKEND
        assert wait_for(lambda: "ticket.issued" in delivered(), 10)
        def inventory_row():
            db = sqlite3.connect(server_db)
            try:
                return db.execute("SELECT inventory FROM kiosks WHERE kiosk_id = ?", (kiosk.config.kiosk.id,)).fetchone()[0]
            finally:
                db.close()

        assert wait_for(lambda: inventory_row() is not None, 10)  # sent by the heartbeat thread
        inventory = json.loads(inventory_row())
        assert {d["kind"] for d in inventory["devices"]} == {"printer", "idcard", "camera", "locker"}
    finally:
        kiosk.stop()
        registry.forget_instances()


CANARY_NAME = "张三丰"
CANARY_ID = "11010519491231002X"


def test_rejected_delivery_leaks_no_payload(tmp_path, server, json_log):
    server.start()
    store = Store(tmp_path / "k.sqlite3")
    outbox = Outbox(store)
    wrong = BackendClient(server.url, KIOSK, "22" * 32, timeout=2)  # credentials the backend refuses
    sender = Sender(outbox, wrong, backoff=Backoff(base=0.01, cap=0.02))
    # a careless payload: the link must not echo it into an exception or a log line
    outbox.record_now("test.event", EventClass.BUSINESS, {"note": f"{CANARY_NAME} {CANARY_ID}"})
    with pytest.raises(BackendRejected) as info:
        sender.deliver_once()
    assert CANARY_NAME not in str(info.value) and CANARY_ID not in str(info.value)
    sender._failed(info.value)  # the retry path logs the failure
    logged = json_log.getvalue()
    assert "backend delivery failed" in logged
    assert CANARY_NAME not in logged and CANARY_ID not in logged and "22" * 32 not in logged
    assert "22" * 32 not in repr(wrong)
    wrong.close()
    store.close()


def test_statistics_and_health_results_are_reported(tmp_path, server, secret):
    from drivers.device import HealthLevel, HealthResult
    from intake import contract as c
    from kiosk.backend.link import BackendLink
    from kiosk.backend.tickets import TicketDesk, TicketPolicy

    server.start()
    store = Store(tmp_path / "k.sqlite3")
    outbox = Outbox(store)
    client = BackendClient(server.url, KIOSK, secret, timeout=2)
    link = BackendLink(client, outbox, Sender(outbox, client, backoff=Backoff(base=0.05, cap=0.2)),
                       TicketDesk(store, outbox, client, {}, TicketPolicy("K1")),
                       lambda: c.Inventory(hall_name="测试大厅", software_version="t", devices=[]), "t",
                       statistics=lambda: {"printer": {"opens": 3, "communication_errors": 1}},
                       heartbeat_s=0.05, statistics_s=0.0)
    link.start()
    link.report_health("printer", HealthResult(HealthLevel.INTERNAL, True, "通信正常", details=(("round_trip_ms", "12"),)))
    try:
        def types():
            return {t for (t,) in server.query("SELECT type FROM events WHERE kiosk_id = ?", (KIOSK,))}
        assert wait_for(lambda: {"device.statistics", "device.health"} <= types(), 10)
        (payload,) = server.query("SELECT payload FROM events WHERE type = 'device.health'")[0]
        assert json.loads(payload) == {"device": "printer", "level": "internal", "ok": True, "text": "通信正常",
                                       "details": {"round_trip_ms": "12"}}
        def beat():  # the heartbeat thread and the sender run apart: wait for the beat too
            return server.query("SELECT heartbeat FROM kiosks WHERE kiosk_id = ?", (KIOSK,))[0][0]
        assert wait_for(lambda: beat() is not None, 10)
        assert json.loads(beat())["software_version"] == "t"
    finally:
        link.stop()
        store.close()
