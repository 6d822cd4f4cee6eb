"""维护模式: the technician's exclusive session at the kiosk (issue 9, kiosk-side logic).

* Entered by a hidden gesture on the kiosk screen (ui), then a technician PIN or a technician ID
  card from ``[technician]``; wrong PINs lock the entry out (its own lockout, apart from the
  staff entry's: kiosk.services.staff_auth.AccountGate).
* While a session is open the kiosk is out of service for citizens. One session at a time: the
  terminal has one screen.
* Entry, exit and every action are audited and reported to the backend (kiosk.diagnostics.audit:
  ``tech.mode.enter``, ``tech.mode.exit``, ``tech.<action>``); wrong PINs as ``tech.pin.wrong``.
* The session ends on 退出, when the technician has not touched the screen for ``idle_s`` (the
  ui's idle watcher calls ``end(…, "idle")``), or ``session_s`` after it began.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from devicecfg.schema import TechnicianSection
from kiosk.diagnostics.audit import TechAudit
from kiosk.services.staff_auth import AccountGate, Admission, SignInDesk, SignInStatus
from kiosk.store import Store

log = logging.getLogger(__name__)

WRONG_PIN = "tech.pin.wrong"


@dataclass(frozen=True)
class TechSession:
    technician_id: str
    name: str
    method: str  # "pin" or "card"
    started_at: float
    expires_at: float
    token: str = field(default_factory=lambda: secrets.token_hex(8), repr=False)


@dataclass(frozen=True)
class TechSignIn:
    status: SignInStatus
    session: TechSession | None = None
    retry_after_s: float = 0.0


class NoSession(Exception):
    """No technician session is open (it ended, or never began): sign in again."""


class TechnicianDesk(SignInDesk):
    def __init__(self, settings: TechnicianSection, store: Store, outbox=None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self.audit = TechAudit(store, outbox, clock)
        self.gate = AccountGate(settings, store, wrong_action=WRONG_PIN, actor="tech-entry", outbox=outbox,
                                clock=clock)
        self._session: TechSession | None = None

    def __repr__(self) -> str:
        return f"<TechnicianDesk {len(self.settings.accounts)} accounts, {'in' if self._session else 'no'} session>"

    # -- entry and exit (sign_in_pin / sign_in_card: SignInDesk) ------------------------------
    def _enter(self, admission: Admission) -> TechSignIn:
        account, method = admission.account, admission.method
        if admission.status is not SignInStatus.OK or account is None:
            log.info("technician entry refused (%s): %s", method or "-", admission.status.value)
            return TechSignIn(admission.status, retry_after_s=admission.retry_after_s)
        if self._session is not None:  # a forgotten session of someone else's ends here
            self.end(self._session, "replaced")
        now = self._clock()
        self._session = TechSession(account.id, account.name, method, now, now + self.settings.session_s)
        self.audit.record(account.id, "mode.enter", {"method": method})
        log.info("maintenance mode entered", extra={"technician": account.id, "method": method})
        return TechSignIn(SignInStatus.OK, self._session)

    def end(self, session: TechSession | None, reason: str) -> None:
        """Leave maintenance mode (退出, idle, timeout); ending an ended session does nothing."""
        if session is None or self._session is None or session.token != self._session.token:
            return
        self._session = None
        seconds = round(self._clock() - session.started_at)
        self.audit.record(session.technician_id, "mode.exit", {"reason": reason, "seconds": seconds})
        log.info("maintenance mode left", extra={"technician": session.technician_id, "reason": reason})

    def session(self) -> TechSession | None:
        """The open session; one past ``session_s`` is ended here (audited as ``timeout``)."""
        s = self._session
        if s is not None and self._clock() >= s.expires_at:
            self.end(s, "timeout")
            return None
        return s

    @property
    def out_of_service(self) -> bool:
        """Citizens are not served while a technician works at the kiosk."""
        return self.session() is not None

    def record(self, session: TechSession, action: str, detail: Mapping[str, object] | None = None) -> None:
        """Audit one action of the open session; raises NoSession when it is over."""
        if self.session() is None or session.token != self._session.token:
            raise NoSession("the maintenance session has ended: sign in again")
        self.audit.record(session.technician_id, action, detail)
