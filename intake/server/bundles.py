"""Diagnostics bundles from the kiosks (event ``diagnostics.bundle``, contract.DiagnosticsBundle).

The zip is kept as a file, ``bundles/<sha256>.zip`` beside the database (written and fsynced
before the event is acknowledged), its row in ``bundles``; the event itself is stored without
the content. A bundle that does not check out (payload off the contract, base64 that does not
decode, size or SHA-256 that do not match) is still acknowledged, or the kiosk would resend it
forever and hold up every event behind it: it is stored as an event without content, and a
``bundle_rejected`` alarm says why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import sqlite3
from pathlib import Path

from pydantic import ValidationError

from intake.contract import DiagnosticsBundle
from intake.server.db import Database

log = logging.getLogger(__name__)

DIRECTORY = "bundles"


def directory(db: Database) -> Path:
    return db.path.parent / DIRECTORY


def path_of(db: Database, sha256: str) -> Path:
    return directory(db) / f"{sha256}.zip"


def unpack(payload: dict) -> tuple[dict, DiagnosticsBundle | None, bytes | None, str]:
    """(the payload to store: no content, the bundle, its bytes, why it was refused or "")."""
    stored = {k: v for k, v in payload.items() if k != "content_base64"}
    try:
        bundle = DiagnosticsBundle.model_validate(payload)
    except ValidationError as e:
        return {**stored, "stored": False}, None, None, f"payload off the contract: {e.error_count()} error(s)"
    try:
        content = base64.b64decode(bundle.content_base64, validate=True)
    except (binascii.Error, ValueError):
        return {**stored, "stored": False}, None, None, "content is not base64"
    if len(content) != bundle.size:
        return {**stored, "stored": False}, None, None, f"content is {len(content)} bytes, not {bundle.size}"
    if hashlib.sha256(content).hexdigest() != bundle.sha256:
        return {**stored, "stored": False}, None, None, "content does not match its SHA-256"
    return {**stored, "stored": True}, bundle, content, ""


def keep(c: sqlite3.Connection, db: Database, kiosk_id: str, event_key: str, sent_at: float,
         bundle: DiagnosticsBundle, content: bytes, now: float) -> None:
    """Inside the events transaction: the file (content-addressed, so a repeat writes the same
    bytes), then its row."""
    target = path_of(db, bundle.sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_suffix(".partial")
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    c.execute("INSERT INTO bundles (kiosk_id, event_key, name, size, sha256, technician, sent_at, received_at) "
              "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (kiosk_id, event_key) DO NOTHING",
              (kiosk_id, event_key, bundle.name, bundle.size, bundle.sha256, bundle.technician, sent_at, now))
    log.info("diagnostics bundle kept", extra={"kiosk_id": kiosk_id, "bytes": bundle.size})


def reject(c: sqlite3.Connection, kiosk_id: str, event_key: str, reason: str, now: float) -> None:
    from intake.server.kiosks import as_json

    c.execute("INSERT INTO alarms (kind, kiosk_id, detail, created_at) VALUES (?, ?, ?, ?)",
              ("bundle_rejected", kiosk_id, as_json({"event_key": event_key, "reason": reason}), now))
    log.warning("diagnostics bundle rejected", extra={"kiosk_id": kiosk_id, "reason": reason})


def recent(db: Database, limit: int = 30) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM bundles ORDER BY id DESC LIMIT ?", (limit,))


def row(db: Database, bundle_id: int) -> sqlite3.Row | None:
    rows = db.query("SELECT * FROM bundles WHERE id = ?", (bundle_id,))
    return rows[0] if rows else None
