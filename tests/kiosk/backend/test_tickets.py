"""Queue numbers: offline blocks per kiosk, the business day, and the outbox record of each ticket."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from intake.contract import TicketSource
from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import Outbox
from kiosk.backend.tickets import TicketDesk, TicketPolicy, UnknownService, business_day, default_offline_code
from kiosk.store import Store

PREFIXES = {"intake": "A", "tax": "B"}


def _dead_url() -> str:
    with socket.socket() as s:  # a port nobody listens on: the backend is down
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.t = when.timestamp()

    def __call__(self) -> float:
        return self.t


def _desk(tmp_path, name, code, clock, client=None):
    store = Store(tmp_path / f"{name}.sqlite3")
    return TicketDesk(store, Outbox(store), client, PREFIXES, TicketPolicy(code, "04:00"), clock=clock)


def test_business_day_starts_at_the_configured_time():
    at = dt.datetime(2026, 11, 22, 3, 59).timestamp()
    assert business_day(at, "04:00") == "2026-11-21"
    assert business_day(at + 60, "04:00") == "2026-11-22"
    assert business_day(at, "00:00") == "2026-11-22"


def test_offline_numbers_come_from_the_kiosks_block_and_restart_each_day(tmp_path):
    clock = Clock(dt.datetime(2026, 11, 22, 9, 0))
    desk = _desk(tmp_path, "k1", "K1", clock, BackendClient(_dead_url(), "k1", "00" * 32, timeout=0.5))
    first = desk.issue("intake")
    assert (first.number, first.source, first.business_day) == ("A-K1-001", TicketSource.KIOSK, "2026-11-22")
    assert [desk.issue("intake").number for _ in range(2)] == ["A-K1-002", "A-K1-003"]
    assert desk.issue("tax").number == "B-K1-001"  # each prefix counts on its own
    assert desk.issue("intake").waiting == 3
    clock.t = dt.datetime(2026, 11, 23, 3, 0).timestamp()  # still the 22nd's business day
    assert desk.issue("intake").number == "A-K1-005"
    clock.t = dt.datetime(2026, 11, 23, 4, 0).timestamp()  # a new day: numbering restarts
    assert desk.issue("intake").number == "A-K1-001"
    with pytest.raises(UnknownService):
        desk.issue("nope")


def test_each_ticket_is_in_the_outbox_with_its_record(tmp_path):
    clock = Clock(dt.datetime(2026, 11, 22, 9, 0))
    desk = _desk(tmp_path, "k1", "K1", clock)
    numbers = [desk.issue("intake").number for _ in range(3)]
    events = desk.outbox.pending()
    assert [e.type for e in events] == ["ticket.issued"] * 3
    assert [e.payload["number"] for e in events] == numbers == desk.issued("2026-11-22")
    assert all(e.payload["source"] == "kiosk" for e in events)


def test_two_kiosks_offline_never_collide(tmp_path):
    clock = Clock(dt.datetime(2026, 11, 22, 9, 0))
    a = _desk(tmp_path, "k1", "K1", clock)
    b = _desk(tmp_path, "k2", "K2", clock)
    issued = [d.issue("intake").number for _ in range(50) for d in (a, b)]
    assert len(issued) == len(set(issued)) == 100


def test_offline_code_rules():
    assert default_offline_code("sim-01") == "M01"
    assert default_offline_code("hall-k2") == "LK2"
    with pytest.raises(ValueError):
        TicketDesk(None, None, None, PREFIXES, TicketPolicy("k-1"))
