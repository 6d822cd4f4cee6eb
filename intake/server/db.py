"""The backend's one SQLite database: schema and a serialised connection.

One connection behind a lock, like the kiosk's store: the reference server is small, and
serialising every write means no "database is locked" retries and no torn read-modify-write
(ticket numbering reads the last number and inserts the next in one transaction). WAL with
synchronous=FULL, because an acknowledged event or ticket must survive a power cut: the kiosk
deletes its outbox copy once we ack it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DB_NAME = "intake.sqlite3"

# Applied in order; PRAGMA user_version counts how many have run.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE kiosks (
        kiosk_id TEXT PRIMARY KEY,
        secret TEXT NOT NULL,               -- 64 hex digits; the HMAC key, so it is stored as is
        provisioned_at REAL NOT NULL,
        inventory TEXT,                     -- JSON of the last Inventory
        inventory_at REAL,
        heartbeat TEXT,                     -- JSON of the last Heartbeat
        heartbeat_at REAL
    );
    -- Replay protection: a (kiosk, nonce) pair is accepted once. Rows are purged by the
    -- request's signed timestamp once it is older than MAX_SKEW: such a request is refused as
    -- stale anyway, so its nonce no longer needs remembering.
    CREATE TABLE nonces (
        kiosk_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        signed_at INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, nonce)
    );
    CREATE INDEX nonces_signed_at ON nonces (signed_at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        class TEXT NOT NULL,
        time REAL NOT NULL,
        payload TEXT NOT NULL,
        received_at REAL NOT NULL,
        UNIQUE (kiosk_id, key)
    );
    CREATE INDEX events_type ON events (type, id);
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        business_day TEXT NOT NULL,
        number TEXT NOT NULL,
        prefix TEXT,                        -- backend-issued only
        seq INTEGER,                        -- backend-issued only
        service_code TEXT NOT NULL,
        priority TEXT NOT NULL,
        source TEXT NOT NULL,               -- 'backend' | 'kiosk'
        kiosk_id TEXT NOT NULL,
        request_key TEXT,                   -- TicketRequest.request_key (backend-issued)
        event_key TEXT,                     -- the ticket.issued event (kiosk-issued)
        id_hash TEXT,
        appointment_code TEXT,
        waiting INTEGER NOT NULL,
        issued_at REAL NOT NULL,
        UNIQUE (business_day, number)       -- one hall, one number per day: a clash is an alarm
    );
    CREATE UNIQUE INDEX tickets_request ON tickets (kiosk_id, request_key) WHERE request_key IS NOT NULL;
    CREATE INDEX tickets_prefix ON tickets (business_day, prefix, seq);
    CREATE TABLE alarms (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        kiosk_id TEXT,
        detail TEXT NOT NULL,               -- JSON
        created_at REAL NOT NULL
    );
    CREATE TABLE appointments (
        code TEXT PRIMARY KEY,
        service_code TEXT NOT NULL,
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        status TEXT NOT NULL,
        name_masked TEXT NOT NULL
    );
    CREATE TABLE cases (
        case_number TEXT PRIMARY KEY,
        recipient_hash TEXT,
        status TEXT NOT NULL,               -- pending | validated | deposited | picked_up
        updated_at REAL NOT NULL,
        updated_by TEXT
    );
    CREATE TABLE materials (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        completed_at REAL
    );
    -- What each kiosk submitted: several submissions may share one stored content (dedupe).
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        key TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES materials (sha256),
        kind TEXT NOT NULL,
        pages INTEGER NOT NULL,
        verification TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (kiosk_id, key)
    );
    """,
    """
    -- Diagnostics bundles kiosks sent (event diagnostics.bundle): the zip is a file,
    -- bundles/<sha256>.zip next to this database; the row says whose it is.
    CREATE TABLE bundles (
        id INTEGER PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        event_key TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        technician TEXT,
        sent_at REAL NOT NULL,              -- the event's time (the kiosk's clock)
        received_at REAL NOT NULL,
        UNIQUE (kiosk_id, event_key)
    );
    """,
)


class Database:
    """The connection, its lock and the schema. Row access by name (sqlite3.Row)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fresh = not path.exists()
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        if fresh:
            os.chmod(path, 0o600)  # holds the kiosks' HMAC secrets
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(f"{self.path}: schema {version} is newer than this server ({len(MIGRATIONS)})")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the lock; rolled back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _statements(script: str) -> list[str]:
    """Split a migration script on ';' (no statement here contains one in a string literal)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def open_database(data_dir: Path) -> Database:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Database(data_dir / DB_NAME)
