"""Request signing between a kiosk and the intake backend: HMAC-SHA256, per-kiosk secret.

Chosen over mutual TLS because it survives the TLS-terminating proxies township networks put in
front of the backend, needs no per-kiosk certificate authority, and binds each request to its
body and moment. Every request (except the health check) carries::

    X-Kiosk-Id:        k-0101
    X-Timestamp:       1795334400            (Unix seconds)
    X-Nonce:           32 hex digits, fresh per request
    X-Content-SHA256:  hex SHA-256 of the body (of b"" when there is none)
    Authorization:     KIOSK-HMAC-SHA256 <hex HMAC-SHA256(secret, string_to_sign)>

    string_to_sign = "KIOSK-HMAC-SHA256\\n" METHOD "\\n" PATH[?QUERY] "\\n" KIOSK_ID "\\n"
                     TIMESTAMP "\\n" NONCE "\\n" CONTENT_SHA256

The backend rejects (401): a missing header or unknown kiosk; a body whose digest differs
(altered in transit); a signature that does not verify (forged, or any signed part altered); a
timestamp more than :data:`MAX_SKEW` seconds from its clock (stale); a nonce it has already seen
within that window (replayed). Secrets are 32 random bytes, shown as 64 hex digits, never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

SCHEME = "KIOSK-HMAC-SHA256"
MAX_SKEW = 300  # seconds; also how long a nonce is remembered
HEADERS = ("x-kiosk-id", "x-timestamp", "x-nonce", "x-content-sha256", "authorization")
_NONCE_RE = re.compile(r"[0-9a-f]{32}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also takes "²", which int() refuses


class SignatureError(Exception):
    """Why a request was refused (safe to return to the caller: no secret in it)."""


def new_secret() -> str:
    return secrets.token_hex(32)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, kiosk_id: str, timestamp: str, nonce: str, digest: str) -> bytes:
    return "\n".join((SCHEME, method.upper(), path, kiosk_id, timestamp, nonce, digest)).encode("utf-8")


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()


def sign(method: str, path: str, body: bytes, kiosk_id: str, secret: str, *,
         now: float | None = None, nonce: str | None = None, digest: str | None = None) -> dict[str, str]:
    """The headers that authenticate one request. ``path`` includes the query string, if any.
    ``digest``: the body's SHA-256 when the caller already has it (computed ahead for a large body)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    digest = digest or body_digest(body)
    mac = _mac(secret, string_to_sign(method, path, kiosk_id, timestamp, nonce, digest))
    return {"X-Kiosk-Id": kiosk_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Content-SHA256": digest, "Authorization": f"{SCHEME} {mac}"}


@dataclass(frozen=True)
class Signed:
    kiosk_id: str
    timestamp: int
    nonce: str


def verify(method: str, path: str, body: bytes, headers, secret_for, *, now: float | None = None) -> Signed:
    """Check one request's signature; ``headers`` is any case-insensitive mapping.

    ``secret_for(kiosk_id)`` returns the kiosk's secret or None. Raises SignatureError. The
    caller must still check the nonce against the ones it has seen (:class:`Signed.nonce`).
    """
    values = {name: headers.get(name) for name in HEADERS}
    missing = [name for name, v in values.items() if not v]
    if missing:
        raise SignatureError(f"missing {', '.join(missing)}")
    kiosk_id, ts, nonce, digest, auth = (values[n] for n in HEADERS)
    scheme, _, mac = auth.partition(" ")
    if scheme != SCHEME or not _HEX64_RE.fullmatch(mac):
        raise SignatureError(f"authorization must be '{SCHEME} <64 hex digits>'")
    if not _TIMESTAMP_RE.fullmatch(ts):
        raise SignatureError("bad timestamp")
    if not _NONCE_RE.fullmatch(nonce):
        raise SignatureError("nonce must be 32 lowercase hex digits")
    if not _HEX64_RE.fullmatch(digest):  # also keeps non-ASCII from compare_digest (TypeError)
        raise SignatureError("x-content-sha256 must be 64 lowercase hex digits")
    secret = secret_for(kiosk_id)
    if not secret:
        raise SignatureError("unknown kiosk")
    if not hmac.compare_digest(body_digest(body), digest):
        raise SignatureError("body does not match its digest")
    expected = _mac(secret, string_to_sign(method, path, kiosk_id, ts, nonce, digest))
    if not hmac.compare_digest(expected, mac):
        raise SignatureError("bad signature")
    clock = time.time() if now is None else now
    if abs(clock - int(ts)) > MAX_SKEW:
        raise SignatureError(f"timestamp more than {MAX_SKEW} s from the server's clock")
    return Signed(kiosk_id, int(ts), nonce)
