"""Registered kiosks: their signing secrets, last inventory and heartbeat."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

from intake import signing
from intake.contract import Heartbeat, Inventory
from intake.server.db import Database, open_database

log = logging.getLogger(__name__)

_KIOSK_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # contract.Code: kiosk ids appear in paths
_SECRET = re.compile(r"[0-9a-f]{64}")


def register(db: Database, kiosk_id: str, secret: str | None = None, now: float | None = None) -> str:
    """Register ``kiosk_id`` (or replace its secret) and return the secret."""
    if not _KIOSK_ID.fullmatch(kiosk_id):
        raise ValueError("kiosk id must be 1–32 of A–Z a–z 0–9 _ -")
    secret = secret or signing.new_secret()
    if not _SECRET.fullmatch(secret):
        raise ValueError("a secret is 64 lowercase hex digits (32 bytes)")
    with db.transaction() as c:
        c.execute(
            "INSERT INTO kiosks (kiosk_id, secret, provisioned_at) VALUES (?, ?, ?) "
            "ON CONFLICT (kiosk_id) DO UPDATE SET secret = excluded.secret, provisioned_at = excluded.provisioned_at",
            (kiosk_id, secret, time.time() if now is None else now),
        )
        # The old secret's nonces mean nothing any more; a fresh start for the new one.
        c.execute("DELETE FROM nonces WHERE kiosk_id = ?", (kiosk_id,))
    log.info("kiosk provisioned", extra={"kiosk_id": kiosk_id})
    return secret


def provision(data_dir: Path, kiosk_id: str, secret: str | None = None) -> str:
    """Register a kiosk in ``data_dir`` (a running server sees it at once) and return its secret.

    Re-provisioning replaces the secret: the way to revoke a lost or leaked one.
    """
    db = open_database(data_dir)
    try:
        return register(db, kiosk_id, secret)
    finally:
        db.close()


def secret_for(db: Database, kiosk_id: str) -> str | None:
    rows = db.query("SELECT secret FROM kiosks WHERE kiosk_id = ?", (kiosk_id,))
    return rows[0]["secret"] if rows else None


def as_json(value: object) -> str:
    """JSON for a TEXT column. ASCII-escaped: JSON may carry lone surrogates (\\ud800), which are
    valid in a JSON string but cannot be encoded as the UTF-8 SQLite stores."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True)


def record_inventory(db: Database, kiosk_id: str, inventory: Inventory, now: float) -> None:
    with db.transaction() as c:
        c.execute("UPDATE kiosks SET inventory = ?, inventory_at = ? WHERE kiosk_id = ?",
                  (as_json(inventory.model_dump(mode="json")), now, kiosk_id))


def record_heartbeat(db: Database, kiosk_id: str, beat: Heartbeat, now: float) -> None:
    with db.transaction() as c:
        c.execute("UPDATE kiosks SET heartbeat = ?, heartbeat_at = ? WHERE kiosk_id = ?",
                  (as_json(beat.model_dump(mode="json")), now, kiosk_id))
