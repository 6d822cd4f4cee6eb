"""Queue numbers: from the backend when it answers, from this kiosk's own block when it does not.

* Backend numbers are the prefix and a daily sequence (``A001``), allocated by the backend for the
  whole hall. A retry of the same request (same key) gets the same number.
* Offline numbers carry the kiosk's code between hyphens (``A-K1-001``): no backend number has a
  hyphen and no two kiosks of a hall share a code, so they can never collide with each other or
  with the backend's, and the kiosk's own counter (in the store, per business day and prefix)
  never repeats one.
* The business day starts at ``day_starts_at`` (local time): a ticket at 02:00 belongs to the day
  before when the day starts at 04:00, and every counter restarts with the new day.
* Every ticket is written to the local ``tickets`` table and the outbox (``ticket.issued``) in one
  transaction, so offline tickets reach the backend when the link returns, in order.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from intake import contract as c
from kiosk.backend.client import BackendClient, BackendError
from kiosk.backend.outbox import Outbox
from kiosk.store import Store

log = logging.getLogger(__name__)


class UnknownService(ValueError):
    pass


def business_day(now: float, day_starts_at: str) -> str:
    """The local date a moment belongs to, when the day starts at ``day_starts_at`` (HH:MM)."""
    hours, minutes = (int(x) for x in day_starts_at.split(":"))
    local = dt.datetime.fromtimestamp(now) - dt.timedelta(hours=hours, minutes=minutes)
    return local.date().isoformat()


def default_offline_code(kiosk_id: str) -> str:
    """The last three letters or digits of the kiosk id, upper case (set one per kiosk in a hall)."""
    return (re.sub(r"[^A-Za-z0-9]", "", kiosk_id)[-3:] or "K").upper()


@dataclass(frozen=True)
class TicketPolicy:
    offline_code: str
    day_starts_at: str = "04:00"


class TicketDesk:
    def __init__(self, store: Store, outbox: Outbox, client: BackendClient | None, prefixes: dict[str, str],
                 policy: TicketPolicy, clock: Callable[[], float] = time.time) -> None:
        if not re.fullmatch(r"[A-Z0-9]{1,3}", policy.offline_code):
            raise ValueError("offline ticket code must be 1-3 capital letters or digits")
        self.store = store
        self.outbox = outbox
        self.client = client
        self.prefixes = prefixes  # service code -> number prefix
        self.policy = policy
        self._clock = clock

    def issue(self, service_code: str, priority: c.Priority = c.Priority.NORMAL, *,
              id_hash: str | None = None, appointment_code: str | None = None) -> c.Ticket:
        if service_code not in self.prefixes:
            raise UnknownService(f"no service {service_code!r}")
        request = c.TicketRequest(request_key=uuid.uuid4().hex, service_code=service_code, priority=priority,
                                  id_hash=id_hash, appointment_code=appointment_code)
        if self.client is not None:
            try:
                ticket = self.client.request_ticket(request)
            except BackendError as e:
                log.warning("backend did not allocate a ticket; numbering offline", extra={"error": str(e)})
            else:
                self._record(ticket, request)
                return ticket
        return self._issue_offline(request)

    def _issue_offline(self, request: c.TicketRequest) -> c.Ticket:
        now = self._clock()
        day = business_day(now, self.policy.day_starts_at)
        prefix = self.prefixes[request.service_code]
        with self.store.transaction() as db:
            row = db.execute("SELECT last FROM ticket_blocks WHERE business_day = ? AND prefix = ?", (day, prefix)).fetchone()
            n = (row[0] if row else 0) + 1
            if n > 999:
                raise RuntimeError(f"offline block {prefix}-{self.policy.offline_code} is used up for {day}")
            db.execute("INSERT INTO ticket_blocks (business_day, prefix, last) VALUES (?, ?, ?) "
                       "ON CONFLICT (business_day, prefix) DO UPDATE SET last = excluded.last", (day, prefix, n))
            waiting = db.execute("SELECT COUNT(*) FROM tickets WHERE business_day = ? AND service_code = ?",
                                 (day, request.service_code)).fetchone()[0]
            ticket = c.Ticket(number=f"{prefix}-{self.policy.offline_code}-{n:03d}", service_code=request.service_code,
                              waiting=waiting, issued_at=now, business_day=day, source=c.TicketSource.KIOSK)
            self._insert(db, ticket, request)
        return ticket

    def _record(self, ticket: c.Ticket, request: c.TicketRequest) -> None:
        with self.store.transaction() as db:
            self._insert(db, ticket, request)

    def _insert(self, db, ticket: c.Ticket, request: c.TicketRequest) -> None:
        db.execute("INSERT INTO tickets (number, business_day, service_code, source, request_key, waiting, issued_at, "
                   "id_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (ticket.number, ticket.business_day, ticket.service_code, ticket.source.value,
                    request.request_key, ticket.waiting, ticket.issued_at, request.id_hash))
        payload = {"number": ticket.number, "service_code": ticket.service_code, "business_day": ticket.business_day,
                   "source": ticket.source.value, "priority": request.priority.value, "request_key": request.request_key}
        if request.appointment_code:
            payload["appointment_code"] = request.appointment_code
        self.outbox.record(db, "ticket.issued", c.EventClass.BUSINESS, payload)

    def mark_printed(self, ticket: c.Ticket) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE tickets SET printed = 1 WHERE business_day = ? AND number = ?",
                       (ticket.business_day, ticket.number))

    def void(self, ticket: c.Ticket, reason: str) -> None:
        """The number was allocated but never reached the citizen (the print failed): tell the backend."""
        with self.store.transaction() as db:
            self.outbox.record(db, "ticket.voided", c.EventClass.BUSINESS,
                               {"number": ticket.number, "business_day": ticket.business_day,
                                "service_code": ticket.service_code, "reason": reason[:120]})

    def waiting_ticket(self, id_hash: str, service_code: str) -> c.Ticket | None:
        """Today's printed ticket of this person for this service, if any (one waiting number each)."""
        day = business_day(self._clock(), self.policy.day_starts_at)
        rows = self.store.query(
            "SELECT number, service_code, waiting, issued_at, business_day, source FROM tickets "
            "WHERE business_day = ? AND service_code = ? AND id_hash = ? AND printed = 1 ORDER BY issued_at DESC LIMIT 1",
            (day, service_code, id_hash))
        if not rows:
            return None
        number, service, waiting, issued_at, day, source = rows[0]
        return c.Ticket(number=number, service_code=service, waiting=waiting, issued_at=issued_at,
                        business_day=day, source=c.TicketSource(source))

    def issued(self, day: str | None = None) -> list[str]:
        day = day or business_day(self._clock(), self.policy.day_starts_at)
        return [r[0] for r in self.store.query("SELECT number FROM tickets WHERE business_day = ? ORDER BY issued_at", (day,))]
