"""Materials: resumable uploads, addressed by the SHA-256 of the whole content.

The bytes live in files, not in SQLite: ``materials/<sha256>.partial`` while uploading (each
chunk appended and fsynced before it is acknowledged), renamed to ``materials/<sha256>`` once
the whole content hashes to its address. The bytes held are the partial file's length: that is
the truth a kiosk resumes from after either side restarts. A torn tail after a crash is caught
by the final hash check, which then discards the partial so the kiosk starts again from 0.

Content-addressing gives dedupe for free: a second kiosk (or a retry after a lost reply)
starting an upload of content already held is told it is complete.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from intake.contract import MaterialStart, UploadState
from intake.server.db import Database
from intake.server.problems import ProblemError

log = logging.getLogger(__name__)

MAX_CHUNK = 8 * 1024 * 1024


class MaterialStore:
    def __init__(self, db: Database, directory: Path) -> None:
        self.db = db
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One lock for the files: two PATCHes of one upload must not interleave their appends.
        self._lock = threading.Lock()
        self._running: dict[str, tuple[int, "hashlib._Hash"]] = {}  # sha256 -> (bytes hashed, hash so far)
        self._hasher = ThreadPoolExecutor(1, thread_name_prefix="material-hash")

    def partial_path(self, sha256: str) -> Path:
        return self.dir / f"{sha256}.partial"

    def content_path(self, sha256: str) -> Path:
        """Where complete content is kept (for the staff page's thumbnails)."""
        return self.dir / sha256

    def _held(self, sha256: str) -> int:
        try:
            return self.partial_path(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def _state(self, row: sqlite3.Row) -> UploadState:
        if row["complete"]:
            return UploadState(sha256=row["sha256"], size=row["size"], offset=row["size"], complete=True)
        return UploadState(sha256=row["sha256"], size=row["size"], offset=self._held(row["sha256"]), complete=False)

    def _row(self, sha256: str) -> sqlite3.Row | None:
        rows = self.db.query("SELECT * FROM materials WHERE sha256 = ?", (sha256,))
        return rows[0] if rows else None

    def state(self, sha256: str) -> UploadState:
        row = self._row(sha256)
        if row is None:
            raise ProblemError(404, "unknown material", "no upload with this SHA-256")
        return self._state(row)

    def start(self, kiosk_id: str, sha256: str, start: MaterialStart, now: float) -> UploadState:
        with self._lock, self.db.transaction() as c:
            row = c.execute("SELECT * FROM materials WHERE sha256 = ?", (sha256,)).fetchone()
            if row is not None and row["size"] != start.size:
                raise ProblemError(409, "size mismatch", f"this content is {row['size']} bytes")
            submitted = c.execute("SELECT sha256 FROM submissions WHERE kiosk_id = ? AND key = ?",
                                  (kiosk_id, start.key)).fetchone()
            if submitted is not None and submitted["sha256"] != sha256:
                raise ProblemError(409, "key already used", "this key named other content")
            if row is None:
                c.execute("INSERT INTO materials (sha256, size, created_at) VALUES (?, ?, ?)", (sha256, start.size, now))
                _create_empty(self.partial_path(sha256))
                row = c.execute("SELECT * FROM materials WHERE sha256 = ?", (sha256,)).fetchone()
            elif not row["complete"] and not self.partial_path(sha256).exists():
                _create_empty(self.partial_path(sha256))  # removed by hand: start again from 0
            if submitted is None:
                c.execute("INSERT INTO submissions (kiosk_id, key, sha256, kind, pages, verification, created_at) "
                          "VALUES (?,?,?,?,?,?,?)",
                          (kiosk_id, start.key, sha256, start.kind, start.pages, start.verification, now))
            return self._state(row)

    def append(self, sha256: str, offset: int, chunk: bytes, now: float) -> UploadState:
        """Append a chunk; the chunk that fills the declared size also verifies and completes the
        content (one round trip fewer; ``complete`` remains for a kiosk resuming after a crash)."""
        if len(chunk) > MAX_CHUNK:
            raise ProblemError(413, "chunk too large", f"at most {MAX_CHUNK} bytes per PATCH")
        with self._lock:
            state = self.state(sha256)
            if state.complete or offset != state.offset:
                # Not an error to report but a state to resync from: the body is the UploadState.
                raise ProblemError(409, "offset mismatch", body=state.model_dump())
            if offset + len(chunk) > state.size:
                raise ProblemError(422, "beyond the declared size", f"the content is {state.size} bytes")
            if chunk:
                self._write(sha256, offset, chunk)
            state = state.model_copy(update={"offset": offset + len(chunk)})
            return self._finish(state, now) if state.offset == state.size else state

    def _write(self, sha256: str, offset: int, chunk: bytes) -> None:
        """Append and fsync, while the running hash takes the chunk on another core (both release
        the GIL), so that ``complete`` need not read the content again. After a restart there is
        no running hash for this offset and ``complete`` hashes the file instead."""
        running = self._running.pop(sha256, None)
        if offset == 0:
            running = (0, hashlib.sha256())
        hashing = None
        if running is not None and running[0] == offset:
            hashing = self._hasher.submit(running[1].update, chunk)
        with open(self.partial_path(sha256), "ab") as f:
            f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if hashing is not None:
            hashing.result()
            self._running[sha256] = (offset + len(chunk), running[1])

    def complete(self, sha256: str, now: float) -> UploadState:
        with self._lock:
            state = self.state(sha256)
            if state.complete:
                return state
            if state.offset != state.size:
                # A state conflict, not bad content: nothing is discarded, the kiosk resumes
                # from the offset (GET gives it).
                raise ProblemError(409, "upload incomplete", f"holding {state.offset} of {state.size} bytes")
            return self._finish(state, now)

    def _finish(self, state: UploadState, now: float) -> UploadState:
        """All bytes are held: keep the content if it hashes to its address, else discard it."""
        sha256 = state.sha256
        partial = self.partial_path(sha256)
        running = self._running.pop(sha256, None)
        digest = running[1].hexdigest() if running is not None and running[0] == state.size else _sha256_of(partial)
        if digest != sha256:
            with open(partial, "wb") as f:  # discard: some byte is wrong, and we cannot tell which
                os.fsync(f.fileno())
            log.warning("material discarded: content does not match its SHA-256", extra={"sha256": sha256})
            raise ProblemError(422, "content does not match its SHA-256",
                               "the partial upload was discarded; upload again from offset 0")
        os.replace(partial, self.content_path(sha256))
        _fsync_dir(self.dir)
        with self.db.transaction() as c:
            c.execute("UPDATE materials SET complete = 1, completed_at = ? WHERE sha256 = ?", (now, sha256))
        log.info("material complete", extra={"sha256": sha256, "size": state.size})
        return state.model_copy(update={"complete": True})


def _create_empty(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()
