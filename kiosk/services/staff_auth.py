"""PINs and ID cards of staff and technicians: salted scrypt hashes in the config, a lockout
after wrong PINs, and the sign-in both entries share (AccountGate).

The config holds only ``scrypt$<salt hex>$<hash hex>`` (devicecfg.schema.SECRET_HASH_PATTERN),
written by ``kiosk staff-pin``. scrypt rather than a plain keyed hash: a staff PIN has a few
million values at most, so each guess against a stolen config must cost real memory and time;
a per-entry salt makes every account a separate search. Comparison is constant-time.

Wrong PINs are counted in the audit trail (they are audited anyway), so a restart of the kiosk
does not lift a lockout; no new table is needed.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devicecfg.schema import SignInSection, StaffAccount
from intake import contract as c
from kiosk.logs import SENSITIVE
from kiosk.store import Store

SCHEME = "scrypt"
# 16 MiB and ~50 ms per check on the kiosk's CPU: trying every account's hash at each entry
# stays well under a second for a hall's handful of staff.
_N, _R, _P, _LEN = 2**14, 8, 1, 32
PIN_MIN, PIN_MAX = 4, 12
WRONG_PIN = "staff.pin.wrong"  # the audit action the staff entry's lockout counts


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt>$<hash>`` of a PIN or an ID number (stripped, upper case: x and X alike)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(_normal(secret), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN)
    return f"{SCHEME}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Does ``secret`` hash to ``encoded``? False for anything malformed; constant-time compare."""
    try:
        scheme, salt_hex, hash_hex = encoded.split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except ValueError:
        return False
    if scheme != SCHEME or len(expected) != _LEN:
        return False
    digest = hashlib.scrypt(_normal(secret), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN)
    return hmac.compare_digest(digest, expected)


def _normal(secret: str) -> bytes:
    return secret.strip().upper().encode()


def valid_pin(pin: str) -> bool:
    return PIN_MIN <= len(pin) <= PIN_MAX and pin.isascii() and pin.isdigit()


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window_s: float = 300.0
    lockout_s: float = 300.0


class PinLockout:
    """``max_failures`` wrong PINs within ``window_s`` close an entry for ``lockout_s`` after the
    last of them (the same rule as the pickup keypad's, kiosk.lockers). Each entry counts its own
    audit action (``wrong_action``), so a staff lockout does not close the technician entry."""

    def __init__(self, store: Store, policy: LockoutPolicy, clock: Callable[[], float] = time.time, *,
                 wrong_action: str = WRONG_PIN, actor: str = "staff-entry", outbox=None) -> None:
        self.store = store
        self.policy = policy
        self._clock = clock
        self.wrong_action = wrong_action
        self.actor = actor
        self.outbox = outbox  # kiosk.backend.outbox.Outbox: the backend hears of wrong PINs too

    def remaining(self) -> float:
        """Seconds until the entry opens again: the lockout runs ``lockout_s`` from the failure that
        made ``max_failures`` within ``window_s`` (not until the first of them leaves the window)."""
        now, p = self._clock(), self.policy
        ts = [r[0] for r in self.store.query("SELECT ts FROM audit WHERE action = ? AND ts >= ? ORDER BY ts",
                                             (self.wrong_action, now - p.window_s - p.lockout_s))]
        n = p.max_failures
        until = max((ts[i] + p.lockout_s for i in range(n - 1, len(ts)) if ts[i] - ts[i - n + 1] <= p.window_s),
                    default=0.0)
        return max(0.0, until - now)

    def record_failure(self, method: str) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)",
                       (self._clock(), self.actor, self.wrong_action, method))
            if self.outbox is not None:
                self.outbox.record(db, self.wrong_action, c.EventClass.BUSINESS, {"method": method})


class SignInStatus(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"  # no account has this PIN / card
    LOCKED_OUT = "locked_out"  # too many wrong PINs: see retry_after_s
    NO_ACCOUNTS = "no_accounts"  # this kiosk has no accounts for this entry


@dataclass(frozen=True)
class Admission:
    status: SignInStatus
    account: StaffAccount | None = None
    method: str = ""  # "pin" or "card"
    retry_after_s: float = 0.0


class AccountGate:
    """The sign-in of one entry (staff or technician) over its section's accounts."""

    def __init__(self, settings: SignInSection, store: Store, *, wrong_action: str, actor: str, outbox=None,
                 clock: Callable[[], float] = time.time) -> None:
        self.accounts: Sequence[StaffAccount] = settings.accounts
        self.lockout = PinLockout(store, LockoutPolicy(settings.max_pin_failures, settings.failure_window_s,
                                                       settings.lockout_s), clock,
                                  wrong_action=wrong_action, actor=actor, outbox=outbox)

    @property
    def has_accounts(self) -> bool:
        return bool(self.accounts)

    @property
    def has_cards(self) -> bool:
        return any(a.card_hash for a in self.accounts)

    def pin(self, pin: str) -> Admission:
        refused = self._refused()
        if refused is not None:
            return refused
        # every account is tried, matched or not: the time taken does not tell how far it got
        matches = [a for a in self.accounts if verify_secret(pin, a.pin_hash)] if valid_pin(pin) else []
        return self._admit(matches[0] if matches else None, "pin")

    def card(self, id_number: str) -> Admission:
        refused = self._refused()
        if refused is not None:
            return refused
        with SENSITIVE.holding(id_number):
            found = next((a for a in self.accounts if a.card_hash and verify_secret(id_number, a.card_hash)), None)
        return self._admit(found, "card")

    def _refused(self) -> Admission | None:
        if not self.accounts:
            return Admission(SignInStatus.NO_ACCOUNTS)
        wait = self.lockout.remaining()
        return Admission(SignInStatus.LOCKED_OUT, retry_after_s=wait) if wait > 0 else None

    def _admit(self, account: StaffAccount | None, method: str) -> Admission:
        if account is not None:
            return Admission(SignInStatus.OK, account, method)
        self.lockout.record_failure(method)
        wait = self.lockout.remaining()
        return Admission(SignInStatus.LOCKED_OUT, method=method, retry_after_s=wait) if wait else \
            Admission(SignInStatus.WRONG, method=method)


class SignInDesk:
    """What the staff and technician desks share: an AccountGate (``self.gate``) whose admissions
    each desk turns into its own session in ``_enter``."""

    gate: AccountGate

    @property
    def has_accounts(self) -> bool:
        return self.gate.has_accounts

    @property
    def has_cards(self) -> bool:
        return self.gate.has_cards

    def sign_in_pin(self, pin: str):
        return self._enter(self.gate.pin(pin))

    def sign_in_card(self, id_number: str):
        return self._enter(self.gate.card(id_number))

    def _enter(self, admission: Admission):
        raise NotImplementedError
