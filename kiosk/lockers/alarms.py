"""Locker alarms (locker-boards.md §9.4 faults): one open row per (compartment, kind) until it
is cleared; each raise and clear is published on the bus for the UI, technician mode and outbox."""

from __future__ import annotations

import enum
import logging
import sqlite3
from dataclasses import dataclass

from intake.contract import EventClass
from kiosk.backend.outbox import Outbox
from kiosk.bus import EventBus
from kiosk.store import Store

log = logging.getLogger(__name__)


class AlarmKind(enum.StrEnum):
    LOCK_JAMMED = "lock_jammed"  # the door did not read open after its one unlock
    DOOR_LEFT_OPEN = "door_left_open"
    FORCED_OPEN = "forced_open"  # door open with no command (tamper)
    ITEM_LEFT = "item_left"  # sensor: item still present after pickup / recovery
    ITEM_MISSING = "item_missing"  # sensor: nothing present after a deposit, or gone from an occupied cell
    DEPOSIT_UNVERIFIED = "deposit_unverified"  # reconciled without a sensor: staff should look
    BOARD_OFFLINE = "board_offline"


@dataclass(frozen=True)
class Alarm:
    id: int
    cabinet: str
    number: int
    kind: AlarmKind
    detail: str
    raised_at: float
    cleared_at: float | None


class Alarms:
    def __init__(self, store: Store, bus: EventBus | None = None, source: str = "lockers",
                 outbox: Outbox | None = None) -> None:
        self.store = store
        self.bus = bus
        self.source = source
        self.outbox = outbox

    def raise_(self, db: sqlite3.Connection, key: tuple[str, int], kind: AlarmKind, detail: str, now: float) -> int | None:
        """Inside the caller's transaction; None if the same alarm is already open."""
        if db.execute("SELECT 1 FROM locker_alarms WHERE cabinet = ? AND number = ? AND kind = ? AND cleared_at IS NULL",
                      (*key, kind.value)).fetchone():
            return None
        cur = db.execute("INSERT INTO locker_alarms (cabinet, number, kind, detail, raised_at) VALUES (?, ?, ?, ?, ?)",
                         (*key, kind.value, detail, now))
        if self.outbox is not None:  # the window hears of it, even if the kiosk dies right after
            self.outbox.record(db, "locker.alarm", EventClass.BUSINESS,
                               {"cabinet": key[0], "compartment": key[1], "kind": kind.value, "detail": detail})
        return int(cur.lastrowid or 0)

    def clear(self, db: sqlite3.Connection, key: tuple[str, int], kinds: tuple[AlarmKind, ...], now: float) -> list[int]:
        marks = ",".join("?" * len(kinds))
        rows = db.execute(
            f"SELECT id FROM locker_alarms WHERE cabinet = ? AND number = ? AND kind IN ({marks}) AND cleared_at IS NULL",
            (*key, *(k.value for k in kinds))).fetchall()
        ids = [r[0] for r in rows]
        for i in ids:
            db.execute("UPDATE locker_alarms SET cleared_at = ? WHERE id = ?", (now, i))
        return ids

    def announce(self, key: tuple[str, int], kind: AlarmKind, detail: str, raised: bool = True) -> None:
        """After the transaction committed: log and publish (no personal data in `detail`)."""
        name = "locker.alarm" if raised else "locker.alarm_cleared"
        log.warning("locker alarm %s %s at %s/%s: %s", "raised" if raised else "cleared", kind.value, key[0], key[1], detail)
        if self.bus is not None:
            self.bus.publish(name, {"cabinet": key[0], "compartment": key[1], "kind": kind.value, "detail": detail},
                             source=self.source)

    def open_alarms(self, key: tuple[str, int] | None = None) -> list[Alarm]:
        sql = "SELECT id, cabinet, number, kind, detail, raised_at, cleared_at FROM locker_alarms WHERE cleared_at IS NULL"
        params: tuple[object, ...] = ()
        if key is not None:
            sql += " AND cabinet = ? AND number = ?"
            params = key
        return [Alarm(i, c, n, AlarmKind(k), d, r, cl) for i, c, n, k, d, r, cl in self.store.query(sql + " ORDER BY id", params)]
