"""Start-up reconciliation: read every board, then finish or undo each operation a power cut
left mid-way; it never unlocks. Two rules dominate, both from the unlock journaled before its
frame (step `unlocking`): a pickup whose door may have opened counts as released, its code spent,
and is never reopened; a deposit is kept whenever the item may be inside (no deposit lost) —
without an item sensor, whenever its unlock may have gone out. A release counted as done sends
its one business event here, as it would have when its door closed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.lockers.alarms import AlarmKind
from kiosk.lockers.events import release_event
from kiosk.lockers.ledger import OperationRow
from kiosk.lockers.model import Compartment, CompartmentState, DepositState, Door, Item, OpKind, Step

if TYPE_CHECKING:
    from kiosk.lockers.operations import Lockers

log = logging.getLogger(__name__)

_ORDER = [Step.PLANNED, Step.UNLOCKING, Step.UNLOCK_SENT, Step.DOOR_OPENED, Step.DOOR_CLOSED, Step.VERIFIED]


@dataclass
class ReconcileReport:
    kept: list[int] = field(default_factory=list)  # deposit ids now active (no code issued: reissue_code)
    rolled_back: list[int] = field(default_factory=list)  # deposit ids cancelled: nothing went in
    released: list[int] = field(default_factory=list)  # pickups/recoveries counted as done
    not_released: list[int] = field(default_factory=list)  # the unlock never went out: still active
    skipped: list[int] = field(default_factory=list)  # operation ids left for later (board offline)


def reconcile(lk: Lockers) -> ReconcileReport:
    lk.refresh_all()
    report = ReconcileReport()
    raised: list[tuple[Compartment, AlarmKind, str]] = []
    ops = lk.ledger.unfinished_operations()
    with lk.ledger.store.transaction() as db:
        for op in ops:
            c = lk.compartments.get((op.cabinet, op.number))
            if c is None:  # removed from the config mid-operation: staff must look
                report.skipped.append(op.id)
                continue
            door, item = lk.read(c, refresh=False)
            if door is Door.UNKNOWN:
                lk._alarm(db, c, AlarmKind.BOARD_OFFLINE, f"board {c.board} on {c.device} silent at start-up", raised)
                report.skipped.append(op.id)
                continue
            if op.kind is OpKind.DEPOSIT:
                _deposit(lk, db, op, c, door, item, report, raised)
            else:
                _release(lk, db, op, c, door, item, report, raised)
    lk._announce(raised)
    for op in ops:
        if op.id not in report.skipped:
            lk._publish("locker.reconciled", {"operation_id": op.id, "deposit_id": op.deposit_id, "kind": op.kind.value,
                                              "step": op.step.value, "cabinet": op.cabinet, "number": op.number})
    lk.patrol(refresh=False)  # doors open with no operation: forced open
    log.info("locker reconcile: %d kept, %d rolled back, %d released, %d not released, %d skipped", len(report.kept),
             len(report.rolled_back), len(report.released), len(report.not_released), len(report.skipped))
    return report


def _settle_door(lk: Lockers, db, c: Compartment, door: Door, item: Item, good: CompartmentState, raised,
                 item_left: bool = False) -> None:
    now = lk.clock.time()
    if door is Door.OPEN:
        lk.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, now, "open")
        lk._alarm(db, c, AlarmKind.DOOR_LEFT_OPEN, "door open at start-up after an interrupted operation", raised)
    elif item_left and item is Item.PRESENT:
        lk.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, now, "closed")
        lk._alarm(db, c, AlarmKind.ITEM_LEFT, "item still present after an interrupted release", raised)
    else:
        lk.ledger.set_compartment(db, c.key, good, now, "closed")


def _deposit(lk: Lockers, db, op: OperationRow, c: Compartment, door: Door, item: Item, report, raised) -> None:
    now = lk.clock.time()
    if c.has_sensor and item is not Item.UNKNOWN:
        went_in = item is Item.PRESENT
    else:
        # Without a sensor only the step tells; a door still closed at `planned` never opened.
        went_in = not (op.step is Step.PLANNED and door is Door.CLOSED)
        if went_in and _ORDER.index(op.step) < _ORDER.index(Step.DOOR_CLOSED):
            lk._alarm(db, c, AlarmKind.DEPOSIT_UNVERIFIED, "deposit interrupted before the door closed; check the cell", raised)
    if went_in:
        lk.ledger.set_deposit(db, op.deposit_id, DepositState.ACTIVE)
        lk.ledger.set_step(db, op.id, Step.DONE, now, f"reconciled at {op.step.value}: kept, no code issued")
        _settle_door(lk, db, c, door, item, CompartmentState.OCCUPIED, raised)
        report.kept.append(op.deposit_id)
    else:
        lk.ledger.set_deposit(db, op.deposit_id, DepositState.CANCELLED, now)
        lk.ledger.set_step(db, op.id, Step.FAILED, now, f"reconciled at {op.step.value}: rolled back, no item")
        _settle_door(lk, db, c, door, item, CompartmentState.EMPTY, raised)
        report.rolled_back.append(op.deposit_id)


def _release(lk: Lockers, db, op: OperationRow, c: Compartment, door: Door, item: Item, report, raised) -> None:
    now = lk.clock.time()
    released = op.step is not Step.PLANNED or door is Door.OPEN or (c.has_sensor and item is Item.ABSENT)
    if not released:
        lk.ledger.set_step(db, op.id, Step.FAILED, now, "reconciled at planned: unlock never sent")
        lk.ledger.set_compartment(db, c.key, CompartmentState.OCCUPIED, now, "closed")
        report.not_released.append(op.deposit_id)
        return
    spent = DepositState.PICKED_UP if op.kind is OpKind.PICKUP else DepositState.RECOVERED
    d = lk.ledger.deposit(op.deposit_id)
    if d is not None and d.state is DepositState.ACTIVE:
        lk.ledger.set_deposit(db, op.deposit_id, spent, now)
    lk.ledger.set_step(db, op.id, Step.DONE, now, f"reconciled at {op.step.value}: released")
    _settle_door(lk, db, c, door, item, CompartmentState.EMPTY, raised, item_left=True)
    # an unfinished release has sent no event yet (it goes with `done` or a door left open)
    lk._record(db, *release_event(lk.ledger, op.kind, op.deposit_id, c, op.actor, item, reconciled=True))
    report.released.append(op.deposit_id)
