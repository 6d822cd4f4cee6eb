"""Staff at the locker (投递员, domain.md §5, §7): sign in with a PIN or a staff card, deposit a
finished result for a case, list and recover overdue items; plain Python, the screen stays thin.

* A session starts with a PIN (or a staff ID card) that matches an account of ``[staff]`` and ends
  on 退出, on the idle reset, or ``session_s`` after it began. Start and end are audited and sent
  to the backend (``staff.session.start`` / ``staff.session.end``).
* Before a door opens for a deposit, the backend must say the case may be deposited
  (``POST /lockers/deposits/validate``). With the backend unreachable the deposit is refused:
  the backend sends the pickup SMS and knows the case, and a deposit it never heard of would
  leave a citizen without a message and a case in the wrong state.
* After the door closes on the item, a slip with the door number and the pickup code is printed
  for the staff to hand over or put in the SMS. If it does not print, the deposit stands and the
  code is handed to the screen once (``DepositOutcome.code``) so staff can write it down; it is
  forgotten (``forget()``) when the screen clears. The code never reaches a log line: the ledger
  registers it with ``kiosk.logs.SENSITIVE`` until forgotten.
* Case numbers are shown to staff on screen and printed on the slip, never logged (registered
  with SENSITIVE while a call holds one).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devicecfg.schema import StaffSection
from drivers.printer import layout
from drivers.printer.printer import PrintJob
from intake import contract as c
from kiosk.backend.client import BackendClient, BackendError, BackendUnavailable
from kiosk.backend.outbox import Outbox
from kiosk.lockers import DepositInfo, DepositResult, Lockers, ReleaseResult, Size, Status
from kiosk.logs import SENSITIVE
from kiosk.services.staff_auth import AccountGate, Admission, SignInDesk, SignInStatus
from kiosk.store import Store

log = logging.getLogger(__name__)

DoorOpened = Callable[[str, int], None]  # (cabinet, compartment number)
CASE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")  # within intake.contract.Code
DAY_S = 86400.0


class CaseCheck(enum.StrEnum):
    VALID = "valid"
    BAD_FORMAT = "bad_format"  # not letters, digits and '-'
    UNKNOWN = "unknown"  # the backend knows no such case
    COLLECTED = "collected"
    IN_LOCKER = "in_locker"
    REFUSED = "refused"  # another reason of the backend's
    OFFLINE = "offline"  # no answer: deposits wait for the backend (see the module doc)
    BACKEND_ERROR = "backend_error"  # credentials, clock or contract: a technician's matter


_REASONS = {"unknown case": CaseCheck.UNKNOWN, "already collected": CaseCheck.COLLECTED,
            "already in a locker": CaseCheck.IN_LOCKER}


@dataclass(frozen=True)
class StaffSession:
    staff_id: str
    name: str
    method: str  # "pin" or "card"
    started_at: float
    expires_at: float
    token: str = field(default_factory=lambda: secrets.token_hex(8), repr=False)

    def remaining(self, now: float) -> float:
        return max(0.0, self.expires_at - now)


@dataclass(frozen=True)
class SignIn:
    status: SignInStatus
    session: StaffSession | None = None
    retry_after_s: float = 0.0


@dataclass(frozen=True)
class SizeChoice:
    size: Size
    free: int  # empty, enabled compartments of exactly this size


@dataclass
class DepositOutcome:
    status: Status
    number: int | None = None
    cabinet: str | None = None
    printed: bool = False
    print_reason: str = ""  # why the slip did not print, Chinese and English
    print_reason_en: str = ""
    # Only when the deposit stands but the slip did not print: shown once, then forget().
    code: str | None = field(default=None, repr=False)
    _result: DepositResult | None = field(default=None, repr=False)

    def forget(self) -> None:
        if self._result is not None:
            self._result.forget()
            self._result = None
        self.code = None


@dataclass(frozen=True)
class OverdueItem:
    deposit_id: int
    cabinet: str
    number: int
    days: int
    case_number: str = field(repr=False)  # on screen for staff, never logged


class SessionEnded(Exception):
    """The staff session is over (退出, timeout, or never started): sign in again."""


def validate_case(client: BackendClient | None, case: str) -> CaseCheck:
    """Ask the backend whether a document for this case (upper case, stripped) may go into a
    locker: the staff screen and `kiosk lockers deposit` both ask here."""
    if not CASE_RE.match(case):
        return CaseCheck.BAD_FORMAT
    if client is None:
        return CaseCheck.OFFLINE
    with SENSITIVE.holding(case):
        try:
            answer = client.validate_deposit(c.DepositCheck(case_number=case))
        except BackendUnavailable as e:
            log.warning("deposit validation: backend unavailable", extra={"error": str(e)})
            return CaseCheck.OFFLINE
        except BackendError as e:
            log.warning("deposit validation failed", extra={"error": str(e)})
            return CaseCheck.BACKEND_ERROR
    return CaseCheck.VALID if answer.valid else _REASONS.get(answer.reason, CaseCheck.REFUSED)


class StaffDesk(SignInDesk):
    def __init__(self, settings: StaffSection, store: Store, lockers: Lockers | None, *,
                 outbox: Outbox | None = None, client: BackendClient | None = None, printer: Any = None,
                 hall_name: str = "", clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.lockers = lockers
        self.outbox = outbox
        self.client = client
        self.printer = printer  # drivers.printer.printer.EscPosPrinter, or None
        self.hall_name = hall_name
        self._clock = clock
        self.gate = AccountGate(settings, store, wrong_action="staff.pin.wrong", actor="staff-entry", clock=clock)
        self._active: dict[str, StaffSession] = {}
        self._validated: dict[str, str] = {}  # session token -> the case the backend accepted

    def __repr__(self) -> str:
        return f"<StaffDesk {len(self.settings.accounts)} accounts>"

    # -- entry and exit (sign_in_pin / sign_in_card: SignInDesk) ------------------------------
    def _enter(self, admission: Admission) -> SignIn:
        account = admission.account
        if admission.status is not SignInStatus.OK or account is None:
            log.info("staff entry refused (%s): %s", admission.method or "-", admission.status.value)
            return SignIn(admission.status, retry_after_s=admission.retry_after_s)
        now = self._clock()
        session = StaffSession(account.id, account.name, admission.method, now, now + self.settings.session_s)
        self._active[session.token] = session
        self._audit(session.staff_id, "staff.session.start", admission.method,
                    {"staff_id": account.id, "method": admission.method})
        log.info("staff session started", extra={"staff_id": account.id, "method": admission.method})
        return SignIn(SignInStatus.OK, session)

    def end(self, session: StaffSession | None, reason: str) -> None:
        """End a session (退出, timeout, left the screen); ending an ended one does nothing."""
        if session is None or self._active.pop(session.token, None) is None:
            return
        self._validated.pop(session.token, None)
        seconds = round(self._clock() - session.started_at)
        self._audit(session.staff_id, "staff.session.end", reason,
                    {"staff_id": session.staff_id, "reason": reason, "seconds": seconds})
        log.info("staff session ended", extra={"staff_id": session.staff_id, "reason": reason})

    def active(self, session: StaffSession | None) -> bool:
        return session is not None and session.token in self._active and session.remaining(self._clock()) > 0

    def _require(self, session: StaffSession) -> None:
        if not self.active(session):
            raise SessionEnded("the staff session has ended: sign in again")

    def _audit(self, actor: str, action: str, detail: str, payload: dict[str, object]) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)",
                       (self._clock(), actor, action, detail))
            if self.outbox is not None:
                self.outbox.record(db, action, c.EventClass.BUSINESS, payload)

    # -- deposit ------------------------------------------------------------------------------
    def check_case(self, session: StaffSession, case_number: str) -> CaseCheck:
        """Ask the backend whether a document for this case may go into a locker."""
        self._require(session)
        self._validated.pop(session.token, None)
        case = case_number.strip().upper()
        check = validate_case(self.client, case)
        if check is CaseCheck.VALID:
            self._validated[session.token] = case
        return check

    def sizes(self) -> list[SizeChoice]:
        """The sizes this kiosk's compartments come in, smallest first, with how many are free."""
        if self.lockers is None:
            return []
        from kiosk.lockers import CompartmentState

        states = self.lockers.ledger.compartment_states()
        out: dict[Size, int] = {}
        for comp in sorted(self.lockers.compartments.values(), key=lambda x: x.size_rank()):
            free = comp.enabled and states.get(comp.key) is CompartmentState.EMPTY
            out[comp.size] = out.get(comp.size, 0) + int(free)
        return [SizeChoice(s, n) for s, n in out.items()]

    def deposit(self, session: StaffSession, case_number: str, size: Size | str,
                on_open: DoorOpened | None = None) -> DepositOutcome:
        """Open a free compartment for a case the backend accepted (check_case first), wait for
        the door to close on the item, then print the pickup slip."""
        self._require(session)
        case = case_number.strip().upper()
        if self.lockers is None or self._validated.get(session.token) != case:
            raise ValueError("deposit needs a case the backend accepted in this session (check_case)")
        with SENSITIVE.holding(case):
            result = self.lockers.deposit(session.staff_id, case, size, on_open=on_open)
            self._validated.pop(session.token, None)  # one deposit per validation
            if result.status is not Status.OK:
                return DepositOutcome(result.status, result.number, result.cabinet)
            printed, reason, reason_en = self._print_slip(session, case, result)
        if printed:
            result.forget()
            return DepositOutcome(Status.OK, result.number, result.cabinet, printed=True)
        return DepositOutcome(Status.OK, result.number, result.cabinet, False, reason, reason_en,
                              code=result.code, _result=result)

    def _print_slip(self, session: StaffSession, case: str, result: DepositResult) -> tuple[bool, str, str]:
        if self.printer is None:
            return False, "本机没有打印机", "this terminal has no printer"
        blocks = slip_blocks(self.hall_name, result.number or 0, result.code or "", case, session.name,
                             dt.datetime.fromtimestamp(self._clock()))
        try:
            outcome = self.printer.print(PrintJob(layout.render(blocks, self.printer.printer_model)))
        except Exception:
            log.exception("pickup slip: printing failed")
            return False, "打印机故障", "the printer failed"
        if outcome.printed:
            return True, "", ""
        log.warning("pickup slip not printed", extra={"reason": outcome.reason_en})
        return False, outcome.reason or "打印失败", outcome.reason_en or "the slip did not print"

    # -- overdue and recovery -----------------------------------------------------------------
    def overdue(self, session: StaffSession) -> list[OverdueItem]:
        """Every deposit older than ``overdue_days``, oldest first (any staff may recover any)."""
        self._require(session)
        if self.lockers is None:
            return []
        now = self.lockers.clock.time()
        found: list[DepositInfo] = self.lockers.overdue(self.settings.overdue_days * DAY_S)
        return [OverdueItem(d.id, d.cabinet, d.number, int((now - d.created_at) // DAY_S), d.case_number)
                for d in found]

    def recover(self, session: StaffSession, deposit_id: int, on_open: DoorOpened | None = None) -> ReleaseResult:
        self._require(session)
        if self.lockers is None:
            return ReleaseResult(Status.NOT_FOUND, deposit_id=deposit_id)
        return self.lockers.recover(session.staff_id, deposit_id, on_open=on_open)


def slip_blocks(hall: str, number: int, code: str, case: str, staff_name: str, when: dt.datetime) -> list:
    """The pickup slip: the door and the code in large type (the code unmasked: it is the point of
    the slip), the case for the staff's records."""
    T = layout.Text
    return [
        T(hall, scale=2, bold=True),
        T("证照存件回执", scale=2),
        layout.Rule(),
        T(f"柜门：{number} 号", scale=2, bold=True),
        T("取件码"),
        T(code, scale=3, bold=True),
        T(f"办件编号：{case}", align=layout.Align.LEFT),
        T(f"存件人：{staff_name}", align=layout.Align.LEFT),
        T(when.strftime("%Y-%m-%d %H:%M:%S"), align=layout.Align.LEFT),
        layout.Feed(),
        T("请将取件码交给办事人或随短信发送"),
        T("凭取件码到本机“证照领取”取件"),
    ]
