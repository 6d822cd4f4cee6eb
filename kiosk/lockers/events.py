"""The ledger's business events for the backend (locker-boards.md §9.4), one per deposit that got
a code and one per release, built here so that the live operation and the start-up reconcile
send the same shape."""

from __future__ import annotations

from kiosk.lockers.ledger import Ledger
from kiosk.lockers.model import Compartment, Item, OpKind


def deposit_event(deposit_id: int, c: Compartment, case_number: str, staff_id: str) -> tuple[str, dict]:
    """The one `locker.deposit` of a deposit, recorded with its (first) pickup code."""
    return "locker.deposit", {"deposit_id": deposit_id, "cabinet": c.cabinet, "number": c.number,
                              "case_number": case_number, "size": c.size.value, "staff_id": staff_id}


def release_event(ledger: Ledger, kind: OpKind, deposit_id: int, c: Compartment, actor: str, item: Item,
                  reconciled: bool = False) -> tuple[str, dict]:
    """The one `locker.pickup` / `locker.recovery` of a release: when its door closed, when it was
    left open, or when the start-up reconcile counted it as done."""
    method = actor.split(":", 1)[1] if actor.startswith("citizen:") else "staff"
    payload: dict[str, object] = {"deposit_id": deposit_id, "cabinet": c.cabinet, "number": c.number,
                                  "case_number": ledger.case_number(deposit_id), "method": method,
                                  "item_after": item.value}
    if kind is OpKind.RECOVERY:
        payload["staff_id"] = actor
    if reconciled:
        payload["reconciled"] = True
    return f"locker.{kind.value}", payload
