"""Queue tickets: numbered by the backend, or reported by a kiosk that numbered one offline.

One numbering for the whole hall: a number is unique per business day (the ``tickets`` table's
UNIQUE constraint). The backend numbers each prefix 001, 002, … per business day, skipping a
number a kiosk already reported. A kiosk-reported number that is already taken is never
overwritten: it becomes an alarm row for staff (two people may hold the same number).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

from intake.contract import Ticket, TicketRequest, TicketSource
from intake.server.business_day import BusinessDays
from intake.server.catalogue import Catalogue
from intake.server.db import Database
from intake.server.kiosks import as_json
from intake.server.problems import ProblemError

log = logging.getLogger(__name__)

MAX_SEQ = 9999  # the contract's number pattern allows 3 or 4 digits
# What a kiosk may have printed: ours (A001), or from its offline block (A-K01-001). Recorded
# as printed, not re-parsed: only its uniqueness matters here.
_REPORTED_NUMBER = re.compile(r"^[A-Z][A-Z0-9-]{2,15}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # contract.Code


def _ticket(row: sqlite3.Row) -> Ticket:
    return Ticket(number=row["number"], service_code=row["service_code"], waiting=row["waiting"],
                  issued_at=row["issued_at"], business_day=row["business_day"], source=TicketSource(row["source"]))


def issue(db: Database, catalogue: Catalogue, days: BusinessDays, kiosk_id: str, request: TicketRequest,
          now: float) -> Ticket:
    """Number a ticket; the same (kiosk, request_key) gets the same ticket back (a retry)."""
    service = catalogue.service(request.service_code)
    if service is None:
        raise ProblemError(404, "unknown service", "the catalogue (GET /config) has no such service code")
    with db.transaction() as c:
        held = c.execute("SELECT * FROM tickets WHERE kiosk_id = ? AND request_key = ?",
                         (kiosk_id, request.request_key)).fetchone()
        if held is not None:
            if held["service_code"] != request.service_code:
                raise ProblemError(409, "request_key already used", "a retry must repeat the same service_code")
            return _ticket(held)
        if request.appointment_code is not None:
            updated = c.execute("UPDATE appointments SET status = 'checked_in' WHERE code = ? AND status = 'booked'",
                                (request.appointment_code,))
            if updated.rowcount == 0 and c.execute("SELECT 1 FROM appointments WHERE code = ?",
                                                   (request.appointment_code,)).fetchone() is None:
                raise ProblemError(404, "unknown appointment", "no appointment has this code")
        day = days.of(now)
        seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM tickets WHERE business_day = ? AND prefix = ?",
                        (day, service.prefix)).fetchone()[0]
        while True:  # skip numbers kiosks reported while offline
            seq += 1
            if seq > MAX_SEQ:
                raise ProblemError(409, "ticket numbers exhausted", f"{service.prefix} reached {MAX_SEQ} today")
            number = f"{service.prefix}{seq:03d}"
            if c.execute("SELECT 1 FROM tickets WHERE business_day = ? AND number = ?", (day, number)).fetchone() is None:
                break
        waiting = _waiting(c, day, request.service_code)
        c.execute(
            "INSERT INTO tickets (business_day, number, prefix, seq, service_code, priority, source, kiosk_id, "
            "request_key, id_hash, appointment_code, waiting, issued_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (day, number, service.prefix, seq, request.service_code, request.priority.value, TicketSource.BACKEND.value,
             kiosk_id, request.request_key, request.id_hash, request.appointment_code, waiting, now),
        )
        row = c.execute("SELECT * FROM tickets WHERE business_day = ? AND number = ?", (day, number)).fetchone()
    return _ticket(row)


def _waiting(c: sqlite3.Connection, day: str, service_code: str) -> int:
    # Tickets issued before this one for the same service today. The reference backend does
    # not see the calling system, so served tickets still count: an upper bound, as printed.
    return int(c.execute("SELECT COUNT(*) FROM tickets WHERE business_day = ? AND service_code = ?",
                         (day, service_code)).fetchone()[0])


def record_kiosk_ticket(c: sqlite3.Connection, kiosk_id: str, event_key: str, time: float,
                        payload: dict[str, Any], now: float) -> None:
    """A ``ticket.issued`` event: keep the kiosk's ticket, or raise an alarm if its number is taken.

    The kiosk reports every ticket it printed, those we numbered for it too (payload ``source``
    "backend" with its ``request_key``): such an echo of our own row is not a conflict.
    Payloads without a well-formed number, service_code and business_day are kept only as
    events; nothing is guessed.
    """
    number, service_code, day = payload.get("number"), payload.get("service_code"), payload.get("business_day")
    if not (isinstance(number, str) and _REPORTED_NUMBER.match(number) and isinstance(service_code, str)
            and CODE.match(service_code) and isinstance(day, str) and _DAY.match(day)):
        return
    priority = payload.get("priority") if payload.get("priority") in ("normal", "priority") else "normal"
    existing = c.execute("SELECT * FROM tickets WHERE business_day = ? AND number = ?", (day, number)).fetchone()
    if existing is not None and _is_echo(existing, kiosk_id, service_code, payload):
        return
    if existing is not None:
        raise_alarm(c, "ticket.number_conflict", kiosk_id, now, {
            "number": number, "business_day": day, "service_code": service_code, "event_key": event_key,
            "held_by": existing["kiosk_id"], "held_source": existing["source"],
            "held_service_code": existing["service_code"],
        })
        return
    c.execute(
        "INSERT INTO tickets (business_day, number, service_code, priority, source, kiosk_id, event_key, waiting, "
        "issued_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (day, number, service_code, priority, TicketSource.KIOSK.value, kiosk_id, event_key,
         _waiting(c, day, service_code), time),
    )


def _is_echo(existing: sqlite3.Row, kiosk_id: str, service_code: str, payload: dict[str, Any]) -> bool:
    return (existing["source"] == TicketSource.BACKEND.value and payload.get("source") == TicketSource.BACKEND.value
            and existing["kiosk_id"] == kiosk_id and existing["service_code"] == service_code
            and payload.get("request_key", existing["request_key"]) == existing["request_key"])


def raise_alarm(c: sqlite3.Connection, kind: str, kiosk_id: str | None, now: float, detail: dict[str, Any]) -> None:
    c.execute("INSERT INTO alarms (kind, kiosk_id, detail, created_at) VALUES (?, ?, ?, ?)",
              (kind, kiosk_id, as_json(detail), now))
    log.warning("alarm: %s", kind, extra={"kiosk_id": kiosk_id, "detail": detail})
