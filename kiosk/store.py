"""The kiosk's one SQLite database (WAL), with schema migrations.

Used from the supervisor's threads and the UI thread: one connection guarded by a lock keeps
writes serialised without "database is locked" retries.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.migrations import MIGRATIONS


class StoreError(Exception):
    pass


class Store:
    def __init__(self, path: str | Path, migrations: tuple[str, ...] = MIGRATIONS) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a power cut must not lose a committed record
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate(migrations)

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self, migrations: tuple[str, ...]) -> None:
        version = self.schema_version
        if version > len(migrations):
            raise StoreError(
                f"{self.path}: database schema {version} is newer than this software knows ({len(migrations)}); "
                "install the newer kiosk version or restore the database"
            )
        for number, script in enumerate(migrations[version:], start=version + 1):
            with self.transaction() as db:
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- statistics -------------------------------------------------------------------------
    def load_statistics(self, device_id: str) -> dict[str, int]:
        rows = self.query("SELECT counter, value FROM device_statistics WHERE device_id = ?", (device_id,))
        return dict(rows)

    def save_statistics(self, device_id: str, counts: dict[str, int]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO device_statistics (device_id, counter, value) VALUES (?, ?, ?) "
                "ON CONFLICT (device_id, counter) DO UPDATE SET value = excluded.value",
                [(device_id, k, v) for k, v in counts.items()],
            )

    # -- audit ------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, detail: str = "") -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)", (time.time(), actor, action, detail))

    def close(self) -> None:
        """After the transaction in progress (the lock): the WAL copied into the database file and
        truncated, so a stop leaves one self-contained file (a backup or an upgrade may copy it)."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:  # busy (another connection reads): the WAL stays, replayed at the next open
                pass
            self._db.close()


def _statements(script: str) -> list[str]:
    # sqlite3.executescript would COMMIT our transaction; split at each ";" that really ends
    # a statement (not one inside a string literal) instead.
    parts, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n\t;"):
                parts.append(current.strip())
            current = ""
    if current.strip(" \n\t;"):
        raise StoreError(f"incomplete SQL statement in migration: {current.strip()[:60]}")
    return parts
