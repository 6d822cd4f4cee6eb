"""The one sender: delivers the outbox in sequence order, uploading each material before its event.

Events go in batches up to the next material entry; a material is uploaded resumably (below) and
only then its event is sent, so the backend never hears "submitted" before it holds every byte.
A row is delivered when the backend acks its key. Failures back off exponentially with full jitter
(so a hall's kiosks do not all retry in step after an outage); 401/403 raise an alarm (wrong
credentials or clock) and retry slowly. Nothing is skipped: order is the contract.

Upload: ``PUT /materials/{sha256}`` says how many bytes the backend already holds (after a cut
link or a restart, the offset it acknowledged), chunks follow from there, a 409 resynchronises to
the backend's offset, and the chunk that makes the content whole has the backend verify its
SHA-256 (``complete`` does the same when every byte was held before a restart).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from intake import contract as c
from kiosk.backend.client import BackendClient, BackendError, BackendRejected, BackendUnavailable, UploadConflict
from kiosk.backend.outbox import Entry, Outbox

log = logging.getLogger(__name__)

CHUNK = 8 * 1024 * 1024  # the reference server's largest PATCH; fewer round trips and fsyncs


@dataclass
class Backoff:
    """Exponential back-off with full jitter: a delay drawn from [0, min(cap, base·2^n)]."""

    base: float = 0.5
    cap: float = 60.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next(self) -> float:
        self.failures += 1
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** min(self.failures, 30)))

    def reset(self) -> None:
        self.failures = 0


class Sender:
    def __init__(self, outbox: Outbox, client: BackendClient, materials=None, *, batch: int = 200,
                 chunk: int = CHUNK, backoff: Backoff | None = None,
                 on_alarm: Callable[[str, dict], None] | None = None, material_retention_s: float = 24 * 3600) -> None:
        self.outbox = outbox
        self.client = client
        self.materials = materials
        self.batch = batch
        self.chunk = chunk
        self.backoff = backoff or Backoff()
        self._on_alarm = on_alarm
        self.material_retention_s = material_retention_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.last_error = ""
        self._rejected = False

    # -- the thread ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="backend-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 0.5) -> None:
        """Stop delivering. A request in flight cannot be cut: it is waited for `timeout` (part of
        the 5 s a graceful stop has), then left to the daemon thread; an entry whose ack has not
        been recorded stays in the outbox and is sent again at the next start (the backend keeps
        one copy per key)."""
        self._stop.set()
        self.outbox.recorded.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        last_housekeeping = 0.0
        while not self._stop.is_set():
            try:
                n = self.deliver_once()
            except Exception as e:
                if self._stop.is_set():  # failed because the kiosk is stopping (the store may be closed)
                    log.info("outbox delivery stopped; undelivered entries stay queued", extra={"error": str(e)})
                    return
                if isinstance(e, BackendError):
                    self._failed(e)
                    continue
                log.exception("outbox sender failed")  # a bug must not end delivery for good: retry later
                self._stop.wait(self.backoff.next())
                continue
            self.backoff.reset()
            if self._rejected:
                self._rejected = False
                self._alarm("backend.credentials_ok", {})
            if time.monotonic() - last_housekeeping > 600:
                last_housekeeping = time.monotonic()
                self.housekeeping()
            if n == 0:
                self.outbox.recorded.wait(1.0)
                self.outbox.recorded.clear()

    def _failed(self, e: BackendError) -> None:
        self.last_error = str(e)
        delay = self.backoff.next()
        if isinstance(e, BackendRejected):
            delay = max(delay, min(self.backoff.cap, 30.0))
            if not self._rejected:
                self._rejected = True
                self._alarm("backend.credentials_rejected", {"status": e.status or 0})
        log.warning("backend delivery failed; retrying", extra={"error": str(e), "retry_in_s": round(delay, 2)})
        self._stop.wait(delay)

    def _alarm(self, name: str, detail: dict) -> None:
        if self._on_alarm is not None:
            self._on_alarm(name, detail)

    # -- one pass -----------------------------------------------------------------------------
    def deliver_once(self) -> int:
        """Deliver what is at the head of the outbox: a batch of events, or one material and its
        event. Returns how many entries were delivered (0: nothing pending). Raises BackendError."""
        entries = self.outbox.pending(self.batch)
        if not entries:
            return 0
        if entries[0].material_id is not None:
            head = [self._with_material(entries[0])]
        else:
            head = []
            for entry in entries:
                if entry.material_id is not None:
                    break
                head.append(entry)
        try:
            ack = self.client.send_events(c.EventBatch(events=[e.to_event() for e in head]))
        except BackendError as e:
            self.outbox.mark_failed([e_.key for e_ in head], str(e))
            raise
        acked = set(ack.acked)
        done = [e.key for e in head if e.key in acked]
        self.outbox.mark_delivered(done)
        self.delivered += len(done)
        if len(done) < len(head):  # the backend did not take all: keep order, retry the rest
            raise BackendUnavailable("events", f"backend acked {len(done)} of {len(head)}")
        return len(done)

    def _with_material(self, entry: Entry) -> Entry:
        """Upload the entry's material; the event goes after (marked if the content was lost)."""
        from kiosk.materials import MaterialError, MaterialState

        assert entry.material_id is not None and self.materials is not None
        try:
            material = self.materials.get(entry.material_id)
            if material.state not in (MaterialState.UPLOADED, MaterialState.PURGED):
                self.upload(material)
                self.materials.mark_uploaded(material.id)
        except MaterialError as e:
            # the files are gone or damaged: the window must hear of it rather than wait forever
            log.error("material cannot be uploaded", extra={"material": entry.material_id, "error": str(e)})
            self._alarm("material.lost", {"material": entry.material_id})
            return Entry(entry.seq, entry.key, entry.type, entry.event_class, entry.created_at,
                         {**entry.payload, "content_lost": True}, entry.material_id, entry.attempts)
        return entry

    def upload(self, material) -> c.UploadState:
        """Resumable, content-addressed upload of one material's PDF; verified by the backend."""
        size = self.materials.pdf_size(material)
        sha = material.sha256
        start = c.MaterialStart(size=size, kind=material.kind.value, pages=len(material.pages),
                                verification=material.verification.value, key=material.id)
        state = self.client.start_upload(sha, start)
        with ThreadPoolExecutor(1, thread_name_prefix="upload-read") as pool:
            while not state.complete:
                if state.offset >= size:  # every byte held before a restart: have them verified
                    state = self.client.complete_upload(sha)
                    if not state.complete:  # the backend discarded a bad copy: send it again
                        raise BackendUnavailable("upload complete", "backend did not verify the content")
                    break
                before = state.offset
                state = self._send_from(pool, material, state)
                if not state.complete and state.offset == before:  # never spin on a backend that takes nothing
                    raise BackendUnavailable("upload", f"backend stays at offset {before}")
        log.info("material uploaded", extra={"material": material.id, "bytes": size})
        return state

    def _send_from(self, pool: ThreadPoolExecutor, material, state: c.UploadState) -> c.UploadState:
        """Send the PDF from the backend's offset until it is whole or the backend holds another
        offset. The next piece is read, decrypted and hashed for its signature on the other core
        while this one is on the wire (OpenSSL and hashlib release the GIL)."""
        pieces = self.materials.pdf_pieces(material, state.offset, self.chunk)

        def prepare() -> tuple[bytes, str] | None:
            piece = next(pieces, None)
            return None if piece is None else (piece, hashlib.sha256(piece).hexdigest())

        offset = state.offset
        ahead = pool.submit(prepare)
        try:
            while (prepared := ahead.result()) is not None:
                ahead = pool.submit(prepare)
                piece, digest = prepared
                try:
                    state = self.client.upload_chunk(material.sha256, offset, piece, digest)
                except UploadConflict as conflict:  # the backend holds another offset: go on from there
                    return conflict.state
                offset += len(piece)
                if state.complete or state.offset != offset:
                    return state
            return state
        finally:
            ahead.cancel()
            try:  # the generator may still be running on the pool's thread: let it finish first
                ahead.result()
            except Exception:  # noqa: BLE001 - what it raised no longer matters: this pass is over
                pass
            pieces.close()

    def housekeeping(self) -> None:
        """Purge delivered events and uploaded materials after their retention."""
        self.outbox.purge_delivered(self.material_retention_s)
        if self.materials is not None:
            self.materials.purge_uploaded(self.material_retention_s)
