"""The durable outbox: recorded with its business row or not at all; order; the disk budget."""

from __future__ import annotations

import pytest

from intake.contract import EventClass
from kiosk.backend.outbox import Outbox
from kiosk.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    yield s
    s.close()


def test_recorded_in_the_same_transaction_as_the_business_row(store):
    outbox = Outbox(store)
    with store.transaction() as db:
        db.execute("INSERT INTO audit (ts, actor, action) VALUES (1, 'kiosk', 'ticket')")
        entry = outbox.record(db, "ticket.issued", EventClass.BUSINESS, {"number": "A001"})
    assert entry is not None and entry.seq == 1 and len(entry.key) == 32
    # the business step fails after recording: neither the row nor its event survives
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action) VALUES (2, 'kiosk', 'ticket')")
            outbox.record(db, "ticket.issued", EventClass.BUSINESS, {"number": "A002"})
            raise RuntimeError("power cut")
    assert [e.payload["number"] for e in outbox.pending()] == ["A001"]
    assert store.query("SELECT COUNT(*) FROM audit WHERE action = 'ticket'") == [(1,)]


def test_order_keys_and_delivery(store):
    outbox = Outbox(store)
    entries = [outbox.record_now("device.status", EventClass.TELEMETRY, {"n": n}) for n in range(5)]
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert len({e.key for e in entries}) == 5
    assert [e.payload["n"] for e in outbox.pending(3)] == [0, 1, 2]
    outbox.mark_delivered([entries[0].key, entries[1].key])
    assert [e.payload["n"] for e in outbox.pending()] == [2, 3, 4]
    stats = outbox.stats()
    assert (stats.pending, stats.delivered) == (3, 2)
    assert outbox.purge_delivered(older_than_s=-1) == 2  # retention over: delivered rows go
    assert outbox.stats().delivered == 0 and outbox.stats().pending == 3


def test_survives_reopening_the_store(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    keys = [Outbox(s).record_now("x.y", EventClass.BUSINESS, {"n": n}).key for n in range(3)]
    s.close()
    s = Store(tmp_path / "k.sqlite3")
    outbox = Outbox(s)
    assert [e.key for e in outbox.pending()] == keys
    assert outbox.stats().pending_bytes > 0  # the budget counts what was pending before the restart
    s.close()


def test_over_budget_sheds_telemetry_keeps_business_and_raises_one_alarm(store):
    alarms = []
    outbox = Outbox(store, budget_bytes=2000, on_alarm=lambda name, detail: alarms.append(name))
    for n in range(20):
        outbox.record_now("device.status", EventClass.TELEMETRY, {"n": n})
    for n in range(10):
        assert outbox.record_now("ticket.issued", EventClass.BUSINESS, {"n": n}) is not None
    stats = outbox.stats()
    assert stats.over_budget and stats.shed > 0
    assert alarms == ["backend.outbox_full"]  # once per crossing, not once per event
    business = [e for e in outbox.pending(1000) if e.type == "ticket.issued"]
    assert [e.payload["n"] for e in business] == list(range(10))  # every business event kept
    outbox.mark_delivered([e.key for e in outbox.pending(1000)])
    assert alarms == ["backend.outbox_full", "backend.outbox_ok"]
    assert not outbox.stats().over_budget


def test_recording_and_delivering_from_many_threads_does_not_deadlock(store):
    """Device threads record (store lock, then the outbox's) while the sender marks deliveries and
    an alarm fires: a lock taken in the other order once hung a whole kiosk's shutdown."""
    import threading

    alarms = []
    outbox = Outbox(store, budget_bytes=2_000, on_alarm=lambda name, detail: alarms.append(name))
    stop = threading.Event()

    def device(n: int) -> None:
        for i in range(150):
            outbox.record_now("device.status", EventClass.TELEMETRY if i % 2 else EventClass.BUSINESS, {"d": n, "i": i})

    def sender() -> None:
        while not stop.is_set():
            outbox.mark_delivered([e.key for e in outbox.pending(20)])

    threads = [threading.Thread(target=device, args=(n,), daemon=True) for n in range(4)]
    threads.append(threading.Thread(target=sender, daemon=True))
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join(15)
    stop.set()
    threads[-1].join(15)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert "backend.outbox_full" in alarms  # the budget was crossed while all this went on
    audited = {a for (a,) in store.query("SELECT action FROM audit WHERE actor = 'backend'")}
    assert "backend.outbox_full" in audited
