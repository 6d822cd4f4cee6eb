"""The durable outbox: what the kiosk owes the backend, in order, in the kiosk's one SQLite store.

An event (or a material to upload) gets its sequence number and idempotency key **when it is
recorded, inside the same transaction as the business record it belongs to** (``record(db, …)``
takes the caller's open transaction): a power cut leaves both or neither. The sender
(``sender.py``) delivers in sequence order and marks rows delivered only when the backend acks
their keys, so delivery is at-least-once and the backend's key dedupe makes it exactly-once.

The outbox is bounded by a disk budget (pending rows plus pending material bytes). Over budget,
business events (tickets, submissions, deposits, pickups, alarms) are still recorded — the kiosk
never drops them — while telemetry (status deltas, statistics, health) is shed and counted; either
way the alarm fires once per crossing (audit trail, log, and the ``on_alarm`` callback, which
must not touch the store: it may run inside a transaction), so a technician hears of it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from intake.contract import Event, EventClass
from kiosk.store import Store

log = logging.getLogger(__name__)

SHED_COUNTER = "telemetry_shed"


@dataclass(frozen=True)
class Entry:
    seq: int
    key: str
    type: str
    event_class: EventClass
    created_at: float
    payload: dict
    material_id: str | None
    attempts: int

    def to_event(self) -> Event:
        return Event(key=self.key, seq=self.seq, type=self.type, event_class=self.event_class,
                     time=self.created_at, payload=self.payload)


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    pending_bytes: int
    delivered: int
    shed: int
    oldest_pending_age: float | None
    over_budget: bool


class Outbox:
    def __init__(self, store: Store, budget_bytes: int = 512 * 1024 * 1024,
                 on_alarm: Callable[[str, dict], None] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.budget_bytes = budget_bytes
        self._on_alarm = on_alarm
        self._clock = clock
        self._over = False
        self._lock = threading.Lock()
        self.recorded = threading.Event()  # set on every record: wakes the sender
        self._pending_bytes = self._sum_pending()

    def _sum_pending(self) -> int:
        return int(self.store.query("SELECT COALESCE(SUM(size), 0) FROM outbox WHERE delivered_at IS NULL")[0][0])

    # -- recording (inside the caller's transaction) -------------------------------------------
    # Lock order: the store's lock (an open transaction) before the outbox's, never the reverse;
    # nothing under the outbox's lock touches the store or calls out.
    def record(self, db: sqlite3.Connection, type: str, event_class: EventClass, payload: dict, *,
               material_id: str | None = None, material_bytes: int = 0) -> Entry | None:
        """Add one event to the outbox within the open transaction ``db``.

        Returns the entry, or None when telemetry was shed over the disk budget. ``payload`` must
        be JSON and free of personal data (keyed hashes only). A material entry names the
        material to upload before the event goes; ``material_bytes`` counts against the budget.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        size = len(body.encode()) + 200 + material_bytes  # row overhead, roughly
        key, now, entry = uuid.uuid4().hex, self._clock(), None
        with self._lock:
            over = self._pending_bytes + size > self.budget_bytes
            shed = over and event_class is EventClass.TELEMETRY
            if not shed:
                self._pending_bytes += size
            alarm = self._cross(True) if over else None
        if shed:
            db.execute("INSERT INTO outbox_counters (name, value) VALUES (?, 1) "
                       "ON CONFLICT (name) DO UPDATE SET value = value + 1", (SHED_COUNTER,))
        else:
            cur = db.execute(
                "INSERT INTO outbox (key, type, class, created_at, payload, material_id, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, type, event_class.value, now, body, material_id, size))
            entry = Entry(int(cur.lastrowid), key, type, event_class, now, payload, material_id, 0)
        if alarm is not None:
            self._audit(db, alarm)
            self._notify(alarm)
        if entry is not None:
            self.recorded.set()
        return entry

    def record_now(self, type: str, event_class: EventClass, payload: dict) -> Entry | None:
        """Record an event that has no business row of its own (telemetry, alarms)."""
        with self.store.transaction() as db:
            return self.record(db, type, event_class, payload)

    def _cross(self, over: bool) -> tuple[str, dict] | None:
        """Called under the lock: the alarm to raise when the budget line is crossed, else None."""
        if over == self._over:
            return None
        self._over = over
        detail = {"pending_bytes": self._pending_bytes, "budget_bytes": self.budget_bytes}
        return ("backend.outbox_full" if over else "backend.outbox_ok"), detail

    def _audit(self, db: sqlite3.Connection, alarm: tuple[str, dict]) -> None:
        name, detail = alarm
        db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, 'backend', ?, ?)",
                   (self._clock(), name, json.dumps(detail, sort_keys=True)))

    def _notify(self, alarm: tuple[str, dict]) -> None:
        name, detail = alarm
        if name == "backend.outbox_full":
            log.error("outbox over its disk budget: telemetry is shed, business events are kept", extra=detail)
        else:
            log.warning("outbox back under its disk budget", extra=detail)
        if self._on_alarm is not None:
            self._on_alarm(name, detail)

    # -- the sender's side ---------------------------------------------------------------------
    def pending(self, limit: int = 200) -> list[Entry]:
        rows = self.store.query(
            "SELECT seq, key, type, class, created_at, payload, material_id, attempts FROM outbox "
            "WHERE delivered_at IS NULL ORDER BY seq LIMIT ?", (limit,))
        return [Entry(seq, key, t, EventClass(cls), created, json.loads(payload), mid, attempts)
                for seq, key, t, cls, created, payload, mid, attempts in rows]

    def mark_delivered(self, keys: list[str]) -> None:
        if not keys:
            return
        now = self._clock()
        with self.store.transaction() as db:
            db.executemany("UPDATE outbox SET delivered_at = ? WHERE key = ? AND delivered_at IS NULL",
                           [(now, k) for k in keys])
            pending = int(db.execute("SELECT COALESCE(SUM(size), 0) FROM outbox WHERE delivered_at IS NULL").fetchone()[0])
            with self._lock:
                self._pending_bytes = pending
                alarm = self._cross(False) if pending <= 0.9 * self.budget_bytes else None
            if alarm is not None:
                self._audit(db, alarm)
        if alarm is not None:
            self._notify(alarm)

    def mark_failed(self, keys: list[str], reason: str) -> None:
        with self.store.transaction() as db:
            db.executemany("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                           [(reason[:200], k) for k in keys])

    def purge_delivered(self, older_than_s: float) -> int:
        """Forget delivered events after the retention period (the backend holds them)."""
        with self.store.transaction() as db:
            return db.execute("DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
                              (self._clock() - older_than_s,)).rowcount

    def stats(self) -> OutboxStats:
        pending, oldest = self.store.query(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE delivered_at IS NULL")[0]
        delivered = self.store.query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL")[0][0]
        shed = self.store.query("SELECT value FROM outbox_counters WHERE name = ?", (SHED_COUNTER,))
        return OutboxStats(int(pending), self._pending_bytes, int(delivered), int(shed[0][0]) if shed else 0,
                           None if oldest is None else self._clock() - oldest, self._over)
