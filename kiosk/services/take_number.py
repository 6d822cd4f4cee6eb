"""取号: a queue number for a service, printed, with the elderly served first and one waiting
number per person and service.

* Reading an ID card is optional. With one, a person at or over ``elder_age`` gets a priority
  number, and a person who already holds a printed number for this service today is offered a
  reprint of it instead of a second one. The card's number is kept only as a keyed hash.
* The number is allocated (backend, or the kiosk's own block offline), then printed with
  confirmation. A failed print voids the number (reported to the backend) and says what to do.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.printer.layout import Ticket as TicketSlip
from drivers.printer.layout import render
from drivers.printer.printer import EscPosPrinter, PrintJob
from intake import contract as c
from kiosk.backend.tickets import TicketDesk

log = logging.getLogger(__name__)


class TakeStatus(enum.StrEnum):
    PRINTED = "printed"
    PRINT_FAILED = "print_failed"  # the number is void; see the reason and what to do
    ALREADY_WAITING = "already_waiting"  # this person holds a number for this service: offer a reprint
    NO_PRINTER = "no_printer"


@dataclass(frozen=True)
class TakeResult:
    status: TakeStatus
    ticket: c.Ticket | None
    priority: bool = False
    reason: str = ""
    reason_en: str = ""
    todo: str = ""
    todo_en: str = ""


def keyed_id_hash(key: bytes, id_number: str) -> str:
    """HMAC-SHA256 of an ID number: the only form in which a person's number is kept or sent."""
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def age_on(birth_date: str, today: dt.date) -> int | None:
    try:
        born = dt.date.fromisoformat(birth_date)
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class TakeNumber:
    def __init__(self, desk: TicketDesk, printer: EscPosPrinter | None, *, hall_name: str, elder_age: int,
                 id_key: bytes, clock: Callable[[], float] = time.time) -> None:
        self.desk = desk
        self.printer = printer
        self.hall_name = hall_name
        self.elder_age = elder_age
        self._id_key = id_key
        self._clock = clock

    def take(self, service_code: str, service_name: str, identity=None, *, appointment_code: str | None = None) -> TakeResult:
        """``identity``: a drivers.idcard Identity read from the card, or None. With
        ``appointment_code`` (预约签到) the number is a priority one, sent with the booking."""
        id_hash, priority = None, appointment_code is not None
        if identity is not None:
            id_hash = keyed_id_hash(self._id_key, identity.reveal()["id_number"])
            age = age_on(identity.birth_date, dt.date.fromtimestamp(self._clock()))
            priority = priority or (age is not None and age >= self.elder_age)
            held = self.desk.waiting_ticket(id_hash, service_code)
            if held is not None:
                return TakeResult(TakeStatus.ALREADY_WAITING, held, priority,
                                  "您今天已取过此项业务的号", "You already have a number for this service today",
                                  "可以补打原号码，无需重新排队", "You can reprint it; there is no need to queue again")
        if self.printer is None:
            return TakeResult(TakeStatus.NO_PRINTER, None, priority, "本机没有打印机", "This terminal has no printer",
                              "请到咨询台取号", "Please take a number at the help desk")
        ticket = self.desk.issue(service_code, c.Priority.PRIORITY if priority else c.Priority.NORMAL, id_hash=id_hash,
                                 appointment_code=appointment_code)
        return self._print(ticket, service_name, priority, first=True)

    def reprint(self, ticket: c.Ticket, service_name: str) -> TakeResult:
        return self._print(ticket, service_name, False, first=False)

    def _print(self, ticket: c.Ticket, service_name: str, priority: bool, first: bool) -> TakeResult:
        assert self.printer is not None
        slip = TicketSlip(hall=self.hall_name, service=service_name, number=ticket.number, waiting=ticket.waiting,
                          issued_at=dt.datetime.fromtimestamp(ticket.issued_at), priority=priority,
                          footer=("请留意叫号，过号需重新取号",) if first else ("补打 · 请留意叫号",))
        result = self.printer.print(PrintJob(render(slip.blocks(), self.printer.printer_model)))
        if result.printed:
            if first:
                self.desk.mark_printed(ticket)
            return TakeResult(TakeStatus.PRINTED, ticket, priority)
        log.warning("ticket not printed", extra={"number": ticket.number, "reason": result.reason_en})
        if first:
            self.desk.void(ticket, result.reason_en or result.outcome.value)
        return TakeResult(TakeStatus.PRINT_FAILED, ticket if not first else None, priority,
                          result.reason or "打印失败", result.reason_en or "the ticket did not print",
                          "请到咨询台取号，或稍后再试", "Please take a number at the help desk, or try again later")
