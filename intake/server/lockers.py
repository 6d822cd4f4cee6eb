"""Locker cases: may a document be deposited for a case, may someone collect it.

Deliberately simple (the hall's case system is the real authority). A case moves
``pending`` → ``validated`` (a kiosk asked before depositing) → ``deposited`` (the kiosk's
``locker.deposit`` event named it) → ``picked_up`` (its ``locker.pickup`` event). A pickup is
authorised for a validated or deposited case, and only for the recipient when an id_hash is
given (the keyed hash of the ID card read at the kiosk, compared with the case's).
"""

from __future__ import annotations

import hmac
import sqlite3
from typing import Any

from intake.contract import DepositCheck, DepositValidation, PickupAuthorisation, PickupRequest
from intake.server.db import Database
from intake.server.tickets import CODE

PENDING, VALIDATED, DEPOSITED, PICKED_UP = "pending", "validated", "deposited", "picked_up"


def validate_deposit(db: Database, kiosk_id: str, check: DepositCheck, now: float) -> DepositValidation:
    with db.transaction() as c:
        row = c.execute("SELECT * FROM cases WHERE case_number = ?", (check.case_number,)).fetchone()
        if row is None:
            return DepositValidation(case_number=check.case_number, valid=False, reason="unknown case")
        if row["status"] == PICKED_UP:
            return DepositValidation(case_number=check.case_number, valid=False, reason="already collected")
        if row["status"] == DEPOSITED:
            return DepositValidation(case_number=check.case_number, valid=False, reason="already in a locker")
        c.execute("UPDATE cases SET status = ?, updated_at = ?, updated_by = ? WHERE case_number = ?",
                  (VALIDATED, now, kiosk_id, check.case_number))
    return DepositValidation(case_number=check.case_number, valid=True, recipient_hash=row["recipient_hash"])


def authorise_pickup(db: Database, request: PickupRequest) -> PickupAuthorisation:
    rows = db.query("SELECT * FROM cases WHERE case_number = ?", (request.case_number,))

    def refuse(reason: str) -> PickupAuthorisation:
        return PickupAuthorisation(case_number=request.case_number, authorised=False, reason=reason)

    if not rows:
        return refuse("unknown case")
    row = rows[0]
    if row["status"] == PICKED_UP:
        return refuse("already collected")
    if row["status"] not in (VALIDATED, DEPOSITED):
        return refuse("not deposited")
    if request.id_hash is not None and not (
        row["recipient_hash"] and hmac.compare_digest(row["recipient_hash"], request.id_hash)
    ):
        return refuse("ID card does not match the recipient")
    return PickupAuthorisation(case_number=request.case_number, authorised=True)


def apply_event(c: sqlite3.Connection, kiosk_id: str, event_type: str, payload: dict[str, Any], now: float) -> None:
    case_number = payload.get("case_number")
    if not (isinstance(case_number, str) and CODE.match(case_number)):
        return  # the kiosk's deposit events carry no case number unless its backend link adds it
    status = DEPOSITED if event_type == "locker.deposit" else PICKED_UP
    c.execute("UPDATE cases SET status = ?, updated_at = ?, updated_by = ? WHERE case_number = ?",
              (status, now, kiosk_id, case_number))
