"""The locker ledger in SQLite (migration 2). Pure records, no hardware: every write here runs
inside one Store transaction, so a power cut leaves either the step before or the step after."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.lockers.model import (
    Compartment,
    CompartmentState,
    DepositInfo,
    DepositState,
    OpKind,
    Size,
    Step,
    TERMINAL_STEPS,
)
from kiosk.store import Store


@dataclass(frozen=True)
class OperationRow:
    id: int
    kind: OpKind
    deposit_id: int
    cabinet: str
    number: int
    actor: str
    step: Step
    unlocks: int
    detail: str


@dataclass(frozen=True)
class DepositRow:
    id: int
    cabinet: str
    number: int
    staff_id: str
    state: DepositState
    code_salt: bytes | None
    code_hash: bytes | None
    created_at: float
    expires_at: float


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- compartments -----------------------------------------------------------------------------
    def sync_compartments(self, compartments: Iterable[Compartment], now: float) -> None:
        """Adds compartments new in the config and refreshes wiring/size/enabled of known ones;
        their state is history and stays."""
        with self.store.transaction() as db:
            for c in compartments:
                db.execute(
                    "INSERT INTO locker_compartments (cabinet, number, device, board, lock, size, has_sensor, enabled, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cabinet, number) DO UPDATE SET "
                    "device = excluded.device, board = excluded.board, lock = excluded.lock, size = excluded.size, "
                    "has_sensor = excluded.has_sensor, enabled = excluded.enabled",
                    (c.cabinet, c.number, c.device, c.board, c.lock, c.size.value, int(c.has_sensor), int(c.enabled), now),
                )

    def compartment_states(self) -> dict[tuple[str, int], CompartmentState]:
        rows = self.store.query("SELECT cabinet, number, state FROM locker_compartments")
        return {(cab, num): CompartmentState(state) for cab, num, state in rows}

    def empty_compartments(self, wanted: Size, compartments: Iterable[Compartment]) -> list[Compartment]:
        """Enabled, empty and large enough; the smallest size first, then by number."""
        states = self.compartment_states()
        fit = [c for c in compartments if c.enabled and c.fits(wanted) and states.get(c.key) is CompartmentState.EMPTY]
        return sorted(fit, key=lambda c: (c.size_rank(), c.cabinet, c.number))

    @staticmethod
    def set_compartment(db: sqlite3.Connection, key: tuple[str, int], state: CompartmentState, now: float,
                        door: str | None = None) -> None:
        db.execute(
            "UPDATE locker_compartments SET state = ?, door = COALESCE(?, door), updated_at = ? WHERE cabinet = ? AND number = ?",
            (state.value, door, now, *key),
        )

    # -- deposits ---------------------------------------------------------------------------------
    @staticmethod
    def insert_deposit(db: sqlite3.Connection, case_number: str, key: tuple[str, int], staff_id: str,
                       recipient_hash: str | None, now: float, expires_at: float) -> int:
        cur = db.execute(
            "INSERT INTO locker_deposits (case_number, cabinet, number, staff_id, recipient_hash, state, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (case_number, *key, staff_id, recipient_hash, DepositState.PENDING.value, now, expires_at),
        )
        return int(cur.lastrowid or 0)

    @staticmethod
    def set_deposit(db: sqlite3.Connection, deposit_id: int, state: DepositState, now: float | None = None) -> None:
        closed = now if state in (DepositState.PICKED_UP, DepositState.RECOVERED, DepositState.CANCELLED) else None
        db.execute("UPDATE locker_deposits SET state = ?, closed_at = COALESCE(?, closed_at) WHERE id = ?",
                   (state.value, closed, deposit_id))

    @staticmethod
    def set_code(db: sqlite3.Connection, deposit_id: int, salt: bytes, digest: bytes) -> None:
        db.execute("UPDATE locker_deposits SET code_salt = ?, code_hash = ? WHERE id = ?", (salt, digest, deposit_id))

    _DEPOSIT_COLS = "id, cabinet, number, staff_id, state, code_salt, code_hash, created_at, expires_at"

    def deposit(self, deposit_id: int) -> DepositRow | None:
        rows = self.store.query(f"SELECT {self._DEPOSIT_COLS} FROM locker_deposits WHERE id = ?", (deposit_id,))
        return _deposit(rows[0]) if rows else None

    def case_number(self, deposit_id: int) -> str:
        rows = self.store.query("SELECT case_number FROM locker_deposits WHERE id = ?", (deposit_id,))
        return rows[0][0] if rows else ""

    def active_deposits(self, recipient_hash: str | None = None) -> list[DepositRow]:
        sql = f"SELECT {self._DEPOSIT_COLS} FROM locker_deposits WHERE state = ?"
        params: tuple[object, ...] = (DepositState.ACTIVE.value,)
        if recipient_hash is not None:
            sql += " AND recipient_hash = ?"
            params += (recipient_hash,)
        return [_deposit(r) for r in self.store.query(sql + " ORDER BY created_at, id", params)]

    def deposit_infos(self, where: str, params: tuple[object, ...]) -> list[DepositInfo]:
        rows = self.store.query(
            "SELECT id, cabinet, number, staff_id, state, created_at, expires_at, case_number FROM locker_deposits "
            f"WHERE {where} ORDER BY created_at, id", params)
        return [DepositInfo(i, cab, num, staff, DepositState(st), ca, ea, case) for i, cab, num, staff, st, ca, ea, case in rows]

    # -- operations -------------------------------------------------------------------------------
    @staticmethod
    def insert_operation(db: sqlite3.Connection, kind: OpKind, deposit_id: int, key: tuple[str, int], actor: str,
                         now: float) -> int:
        cur = db.execute(
            "INSERT INTO locker_operations (kind, deposit_id, cabinet, number, actor, step, unlocks, started_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (kind.value, deposit_id, *key, actor, Step.PLANNED.value, now, now),
        )
        return int(cur.lastrowid or 0)

    @staticmethod
    def set_step(db: sqlite3.Connection, op_id: int, step: Step, now: float, detail: str | None = None) -> None:
        db.execute("UPDATE locker_operations SET step = ?, detail = COALESCE(?, detail), updated_at = ? WHERE id = ?",
                   (step.value, detail, now, op_id))

    def unfinished_operations(self) -> list[OperationRow]:
        marks = ",".join("?" * len(TERMINAL_STEPS))
        rows = self.store.query(
            "SELECT id, kind, deposit_id, cabinet, number, actor, step, unlocks, detail FROM locker_operations "
            f"WHERE step NOT IN ({marks}) ORDER BY id", tuple(s.value for s in TERMINAL_STEPS))
        return [OperationRow(i, OpKind(k), d, cab, num, a, Step(s), u, det) for i, k, d, cab, num, a, s, u, det in rows]

    def operation(self, op_id: int) -> OperationRow | None:
        rows = self.store.query(
            "SELECT id, kind, deposit_id, cabinet, number, actor, step, unlocks, detail FROM locker_operations WHERE id = ?",
            (op_id,))
        if not rows:
            return None
        i, k, d, cab, num, a, s, u, det = rows[0]
        return OperationRow(i, OpKind(k), d, cab, num, a, Step(s), u, det)

    # -- wrong-code attempts ----------------------------------------------------------------------
    def record_attempt(self, method: str, ok: bool, now: float) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO locker_attempts (ts, method, ok) VALUES (?, ?, ?)", (now, method, int(ok)))

    def failures_since(self, since: float) -> list[float]:
        return [r[0] for r in self.store.query("SELECT ts FROM locker_attempts WHERE ok = 0 AND ts >= ? ORDER BY ts", (since,))]

    @staticmethod
    def audit(db: sqlite3.Connection, now: float, actor: str, action: str, detail: str) -> None:
        db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)", (now, actor, action, detail))


def _deposit(row: tuple) -> DepositRow:
    i, cab, num, staff, state, salt, digest, created, expires = row
    return DepositRow(i, cab, num, staff, DepositState(state), salt, digest, created, expires)
