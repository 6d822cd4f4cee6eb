"""Staff PINs and staff cards: salted scrypt hashes in the config, a lockout after wrong PINs.

The config holds only ``scrypt$<salt hex>$<hash hex>`` (devicecfg.schema.SECRET_HASH_PATTERN),
written by ``kiosk staff-pin``. scrypt rather than a plain keyed hash: a staff PIN has a few
million values at most, so each guess against a stolen config must cost real memory and time;
a per-entry salt makes every account a separate search. Comparison is constant-time.

Wrong PINs are counted in the audit trail (they are audited anyway), so a restart of the kiosk
does not lift a lockout; no new table is needed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.store import Store

SCHEME = "scrypt"
# 16 MiB and ~50 ms per check on the kiosk's CPU: trying every account's hash at each entry
# stays well under a second for a hall's handful of staff.
_N, _R, _P, _LEN = 2**14, 8, 1, 32
PIN_MIN, PIN_MAX = 4, 12
WRONG_PIN = "staff.pin.wrong"  # the audit action counted by the lockout


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
    """``max_failures`` wrong PINs within ``window_s`` close the staff entry for ``lockout_s``
    after the last of them (the same rule as the pickup keypad's, kiosk.lockers)."""

    def __init__(self, store: Store, policy: LockoutPolicy, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.policy = policy
        self._clock = clock

    def remaining(self) -> float:
        """Seconds until the entry opens again: the lockout runs ``lockout_s`` from the failure that
        made ``max_failures`` within ``window_s`` (not until the first of them leaves the window)."""
        now, p = self._clock(), self.policy
        ts = [r[0] for r in self.store.query("SELECT ts FROM audit WHERE action = ? AND ts >= ? ORDER BY ts",
                                             (WRONG_PIN, now - p.window_s - p.lockout_s))]
        n = p.max_failures
        until = max((ts[i] + p.lockout_s for i in range(n - 1, len(ts)) if ts[i] - ts[i - n + 1] <= p.window_s),
                    default=0.0)
        return max(0.0, until - now)

    def record_failure(self, method: str) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)",
                       (self._clock(), "staff-entry", WRONG_PIN, method))
