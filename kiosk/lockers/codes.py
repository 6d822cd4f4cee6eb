"""Keyed hashes for recipient IDs and pickup codes (domain.md §12: keep ID numbers only as keyed
hashes). A 6-digit code has only 10⁶ values, so a plain salted hash is brute-forced in a second
from a stolen database: both hashes are keyed with a per-kiosk secret that lives outside it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path

CODE_DIGITS = 6
SECRET_BYTES = 32


class Hasher:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError(f"locker secret is {len(secret)} bytes; use at least 16 (load_or_create_secret makes 32)")
        self._secret = secret

    def __repr__(self) -> str:
        return "Hasher(<secret>)"

    def recipient(self, id_number: str) -> str:
        normalized = id_number.strip().upper()  # the check character may be read as x or X
        return hmac.new(self._secret, b"id:" + normalized.encode(), hashlib.sha256).hexdigest()

    def code(self, code: str, salt: bytes) -> bytes:
        return hmac.new(self._secret, b"code:" + salt + code.encode(), hashlib.sha256).digest()

    def code_matches(self, code: str, salt: bytes, digest: bytes) -> bool:
        return hmac.compare_digest(self.code(code, salt), digest)


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def new_code(in_use: Callable[[str], bool], attempts: int = 100) -> str:
    """A random 6-digit code that `in_use` reports as free among active deposits."""
    for _ in range(attempts):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not in_use(code):
            return code
    raise RuntimeError(f"no free pickup code after {attempts} draws: are there ~10^{CODE_DIGITS} active deposits?")


def looks_like_code(text: str) -> bool:
    return len(text) == CODE_DIGITS and text.isdigit()


def load_or_create_secret(path: str | Path) -> bytes:
    """The per-kiosk key, created once (mode 0600). Losing it makes stored codes and ID hashes
    unusable: staff then recover the items by deposit id."""
    path = Path(path)
    if path.exists():
        data = path.read_bytes()
        if len(data) < 16:
            raise ValueError(f"{path}: locker secret is {len(data)} bytes, expected {SECRET_BYTES}; restore it from backup")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(SECRET_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return data
