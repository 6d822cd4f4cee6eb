"""Captured materials: what a citizen laid under the document camera, kept until it is uploaded.

A material is one document as the window will receive it: its pages as JPEG files (each with
its dpi in the JFIF header), one PDF of all pages (img2pdf, no second lossy encoding), the PDF's
SHA-256, its kind, and a verification tag that says it is a **self-service capture not yet checked
by a clerk** (自助采集，未经窗口核验). The backend link (a later issue) uploads it and then calls
:meth:`Materials.purge`.

Nothing is lost and nothing leaks:

* files are written under ``<data>/materials/<id>.partial/`` (directory 0700, files 0600), fsynced,
  and the directory renamed to ``<id>/`` before its row is committed; :meth:`Materials.sweep`
  (run at start) removes partial directories and directories without a row, and marks rows whose
  files are gone as ``lost`` (it says so in the log, by id only);
* images never go to a log line, an exception message or a ``repr``: those name the material id,
  kind and page count only;
* with a key (the kiosk's: :func:`material_key` derives it from the backend credentials), every
  file is sealed with AES-256-GCM until it is delivered and purged: ``KMAT1`` + 12-byte nonce +
  ciphertext and tag, the material id and file name as associated data (a file moved to another
  material does not open). The SHA-256 is of the plain PDF, which is what the backend verifies.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drivers.camera.output import encode_jpeg, id_card_copy, make_pdf
from intake.contract import EventClass
from kiosk.backend.outbox import Outbox
from kiosk.keys import MATERIALS_AT_REST, derived_key
from kiosk.store import Store

log = logging.getLogger(__name__)

PDF_NAME = "material.pdf"
SEALED_MAGIC = b"KMAT1"
_NONCE = 12
_TAG = 16


def material_key(secret_hex: str) -> bytes:
    """The at-rest key for materials, derived from the kiosk's backend secret."""
    return derived_key(secret_hex, MATERIALS_AT_REST)


class MaterialKind(enum.StrEnum):
    ID_CARD_COPY = "id_card_copy"  # 身份证复印件: front and back on one A4 page
    FORM = "form"  # 申请表 and other forms
    CERTIFICATE = "certificate"  # 证照, certificates with seals
    OTHER = "other"


class Verification(enum.StrEnum):
    SELF_SERVICE_UNVERIFIED = "self_service_unverified"  # 自助采集，未经窗口核验
    CLERK_VERIFIED = "clerk_verified"  # set by the backend once a clerk checked the original


class MaterialState(enum.StrEnum):
    KEPT = "kept"  # files in the data directory, waiting for upload
    UPLOADED = "uploaded"  # the backend has it; files may still be here until purged
    PURGED = "purged"  # files deleted
    LOST = "lost"  # files vanished from the data directory (disk fault, manual deletion)


class MaterialError(Exception):
    """A material cannot be saved or found (the message names ids and paths, never content)."""


@dataclass(frozen=True)
class PageImage:
    """One straightened page to keep: the pixels and the resolution they were made at."""

    image: np.ndarray
    dpi: int

    def __repr__(self) -> str:
        return f"PageImage({self.image.shape[1]}x{self.image.shape[0]} @ {self.dpi} dpi)"


@dataclass(frozen=True)
class MaterialPage:
    file: str  # name inside the material's directory
    width: int
    height: int
    dpi: int
    sha256: str


@dataclass(frozen=True)
class Material:
    id: str
    kind: MaterialKind
    verification: Verification
    state: MaterialState
    sha256: str  # of the PDF
    pages: tuple[MaterialPage, ...]
    created_at: float

    @property
    def pdf_file(self) -> str:
        return PDF_NAME


class Materials:
    def __init__(self, store: Store, directory: Path, jpeg_quality: int = 85, key: bytes | None = None,
                 outbox: Outbox | None = None) -> None:
        self.store = store
        self.outbox = outbox  # with one, a saved material is queued for upload in the same transaction
        self._aead = None
        self._key = key
        if key is not None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead = AESGCM(key)
        self.root = Path(directory) / "materials"
        self.jpeg_quality = jpeg_quality
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def directory_of(self, material: Material | str) -> Path:
        return self.root / (material if isinstance(material, str) else material.id)

    # -- saving -----------------------------------------------------------------------------
    def save(self, kind: MaterialKind, pages: Sequence[PageImage]) -> Material:
        """Encode, write and record one material. Raises MaterialError; leaves nothing behind on failure."""
        return self.save_many([(kind, pages)])[0]

    def save_many(self, items: Sequence[tuple[MaterialKind, Sequence[PageImage]]],
                  also: Callable[[sqlite3.Connection, list[Material]], None] | None = None) -> list[Material]:
        """Write every material's files, then record them all, with ``also``'s rows (a submission
        that names them), in one transaction: kept whole or not at all. Raises MaterialError."""
        written: list[tuple[Material, int]] = []
        try:
            for kind, pages in items:
                written.append(self._write(kind, pages))
            materials = [m for m, _ in written]
            try:
                with self.store.transaction() as db:
                    for material, size in written:
                        self._insert(db, material, size)
                    if also is not None:
                        also(db, materials)
            except Exception as e:
                raise MaterialError(f"material {written[0][0].id}: cannot record it ({type(e).__name__})") from None
        except MaterialError:
            for material, _ in written:
                shutil.rmtree(self.root / material.id, ignore_errors=True)
            raise
        for m in materials:
            log.info("material saved", extra={"material": m.id, "kind": m.kind.value, "pages": len(m.pages)})
        return materials

    def _write(self, kind: MaterialKind, pages: Sequence[PageImage]) -> tuple[Material, int]:
        """The material's files, sealed, fsynced and renamed into place; its PDF's length."""
        if not pages:
            raise MaterialError("a material needs at least one page")
        material_id = uuid.uuid4().hex
        partial = self.root / f"{material_id}.partial"
        try:
            partial.mkdir(mode=0o700)
            records, jpegs = [], []
            for n, page in enumerate(pages, start=1):
                data = encode_jpeg(page.image, self.jpeg_quality, page.dpi)
                name = f"page-{n:02d}.jpg"
                _write_private(partial / name, self._seal(material_id, name, data))
                jpegs.append(data)
                records.append(MaterialPage(name, page.image.shape[1], page.image.shape[0], page.dpi,
                                            hashlib.sha256(data).hexdigest()))
            pdf = make_pdf(jpegs, [p.dpi for p in pages])
            _write_private(partial / PDF_NAME, self._seal(material_id, PDF_NAME, pdf))
            _fsync_dir(partial)
            partial.rename(self.root / material_id)
            _fsync_dir(self.root)
        except Exception as e:  # OSError, or a page that does not encode (cv2.error, ValueError)
            shutil.rmtree(partial, ignore_errors=True)
            reason = (isinstance(e, OSError) and e.strerror) or type(e).__name__
            raise MaterialError(f"material {material_id}: cannot write files ({reason})") from None
        material = Material(material_id, kind, Verification.SELF_SERVICE_UNVERIFIED, MaterialState.KEPT,
                            hashlib.sha256(pdf).hexdigest(), tuple(records), time.time())
        return material, len(pdf)

    def _insert(self, db: sqlite3.Connection, material: Material, pdf_size: int) -> None:
        db.execute(
            "INSERT INTO materials (id, kind, verification, state, sha256, pages, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (material.id, material.kind.value, material.verification.value, material.state.value, material.sha256,
             json.dumps([p.__dict__ for p in material.pages]), material.created_at, material.created_at),
        )
        if self.outbox is not None:
            self.outbox.record(db, "material.submitted", EventClass.BUSINESS,
                               {"material": material.id, "sha256": material.sha256, "kind": material.kind.value,
                                "pages": len(material.pages), "size": pdf_size,
                                "verification": material.verification.value},
                               material_id=material.id, material_bytes=pdf_size)

    def save_id_card_copy(self, front: PageImage, back: PageImage) -> Material:
        """身份证复印件: both sides at true size on one A4 page at 200 dpi."""
        return self.save(MaterialKind.ID_CARD_COPY, [PageImage(id_card_copy(front.image, back.image, dpi=200), 200)])

    # -- reading and the life cycle ---------------------------------------------------------
    def get(self, material_id: str) -> Material:
        rows = self.store.query(
            "SELECT id, kind, verification, state, sha256, pages, created_at FROM materials WHERE id = ?", (material_id,))
        if not rows:
            raise MaterialError(f"no material {material_id!r}")
        return _material(rows[0])

    def list(self, state: MaterialState | None = None) -> list[Material]:
        sql = "SELECT id, kind, verification, state, sha256, pages, created_at FROM materials"
        rows = self.store.query(sql + " WHERE state = ? ORDER BY created_at", (state.value,)) if state else \
            self.store.query(sql + " ORDER BY created_at")
        return [_material(r) for r in rows]

    def pdf_bytes(self, material: Material) -> bytes:
        """The PDF, authenticated (a changed file is an error, not an upload)."""
        return b"".join(self.pdf_pieces(material))

    def pdf_size(self, material: Material) -> int:
        """The plain PDF's length, from the file's (no decryption)."""
        path = self.directory_of(material) / PDF_NAME
        try:
            with open(path, "rb") as f:
                sealed = f.read(len(SEALED_MAGIC)) == SEALED_MAGIC
                size = os.fstat(f.fileno()).st_size
        except OSError as e:
            raise MaterialError(f"material {material.id}: PDF unreadable ({e.strerror or type(e).__name__})") from None
        if not sealed:
            return size
        if size < len(SEALED_MAGIC) + _NONCE + _TAG:
            raise MaterialError(f"material {material.id}: {PDF_NAME} is cut short")
        return size - len(SEALED_MAGIC) - _NONCE - _TAG

    def pdf_pieces(self, material: Material, start: int = 0, piece: int = 8 * 1024 * 1024) -> Iterator[bytes]:
        """The PDF from byte ``start`` on, in pieces of ``piece`` bytes, read and decrypted as they
        are asked for: an upload sends one piece while the next is opened, and the whole plain
        document is never in memory at once. The last piece comes only once the whole file is
        authenticated (its AES-GCM tag, or the SHA-256 of a plain file), so a changed file raises
        MaterialError before its end leaves the kiosk."""
        path = self.directory_of(material) / PDF_NAME
        try:
            f = open(path, "rb")
        except OSError as e:
            raise MaterialError(f"material {material.id}: PDF unreadable ({e.strerror or type(e).__name__})") from None
        with f:
            head = f.read(len(SEALED_MAGIC) + _NONCE)
            total = os.fstat(f.fileno()).st_size
            if head.startswith(SEALED_MAGIC):
                opening = self._opening(material.id, PDF_NAME, f, head[len(SEALED_MAGIC):], total)
                length = total - len(head) - _TAG
            else:  # written without a key (development, or before a key was configured)
                f.seek(0)
                opening = _Checked(material)
                length = total
            if length == 0:
                opening.finish()
            done = 0
            while done < length:
                # what lies before ``start`` is read and opened too: the tag covers all of it
                end = min(length, done + piece, start if done < start else length)
                data = opening.update(f.read(end - done))
                if end == length:
                    opening.finish()
                if done >= start:
                    yield data
                done = end

    def _opening(self, material_id: str, name: str, f, nonce: bytes, total: int) -> "_Opening":
        if self._key is None:
            raise MaterialError(f"material {material_id}: {name} is sealed and this kiosk has no key")
        if total < len(SEALED_MAGIC) + _NONCE + _TAG:
            raise MaterialError(f"material {material_id}: {name} is cut short")
        return _Opening(self._key, nonce, _read_tag(f, total), f"{material_id}/{name}".encode(), material_id, name)

    def _seal(self, material_id: str, name: str, data: bytes) -> bytes:
        if self._aead is None:
            return data
        nonce = os.urandom(12)
        return SEALED_MAGIC + nonce + self._aead.encrypt(nonce, data, f"{material_id}/{name}".encode())

    def mark_uploaded(self, material_id: str) -> None:
        self._set_state(material_id, MaterialState.UPLOADED)

    def purge(self, material_id: str) -> None:
        """Delete the files (after upload, or when the citizen cancels); the row stays as a record."""
        shutil.rmtree(self.directory_of(material_id), ignore_errors=True)
        self._set_state(material_id, MaterialState.PURGED)
        log.info("material purged", extra={"material": material_id})

    def purge_uploaded(self, older_than_s: float) -> int:
        """Delete the files of materials the backend has held for longer than the retention."""
        rows = self.store.query("SELECT id FROM materials WHERE state = ? AND updated_at < ?",
                                (MaterialState.UPLOADED.value, time.time() - older_than_s))
        for (material_id,) in rows:
            self.purge(material_id)
        return len(rows)

    def sweep(self) -> None:
        """Start-up clean-up after a crash: partial writes and unrecorded directories go; rows whose
        files are gone are marked lost."""
        known = {m.id: m for m in self.list()}
        for entry in self.root.iterdir():
            name = entry.name
            if entry.is_dir() and (name.endswith(".partial") or name not in known):
                shutil.rmtree(entry, ignore_errors=True)
                log.warning("removed unfinished material files", extra={"entry": name})
        for m in known.values():
            if m.state in (MaterialState.KEPT, MaterialState.UPLOADED) and not (self.directory_of(m) / PDF_NAME).is_file():
                self._set_state(m.id, MaterialState.LOST)
                log.error("material files missing", extra={"material": m.id})

    def _set_state(self, material_id: str, state: MaterialState) -> None:
        with self.store.transaction() as db:
            n = db.execute("UPDATE materials SET state = ?, updated_at = ? WHERE id = ?",
                           (state.value, time.time(), material_id)).rowcount
        if n != 1:
            raise MaterialError(f"no material {material_id!r}")


def _material(row: tuple) -> Material:
    mid, kind, verification, state, sha, pages, created = row
    return Material(mid, MaterialKind(kind), Verification(verification), MaterialState(state), sha,
                    tuple(MaterialPage(**p) for p in json.loads(pages)), created)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_tag(f, total: int) -> bytes:
    here = f.tell()
    f.seek(total - _TAG)
    tag = f.read(_TAG)
    f.seek(here)
    return tag


class _Opening:
    """AES-256-GCM decryption a piece at a time; :meth:`finish` checks the tag."""

    def __init__(self, key: bytes, nonce: bytes, tag: bytes, aad: bytes, material_id: str, name: str) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        self._what = f"material {material_id}: {name}"
        self._decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
        self._decryptor.authenticate_additional_data(aad)

    def update(self, data: bytes) -> bytes:
        return self._decryptor.update(data)

    def finish(self) -> None:
        from cryptography.exceptions import InvalidTag

        try:
            self._decryptor.finalize()
        except InvalidTag:
            raise MaterialError(f"{self._what} does not open with this kiosk's key") from None


class _Checked:
    """A plain file, checked against the material's SHA-256 once read to the end."""

    def __init__(self, material: Material) -> None:
        self._material = material
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> bytes:
        self._hash.update(data)
        return data

    def finish(self) -> None:
        if self._hash.hexdigest() != self._material.sha256:
            raise MaterialError(f"material {self._material.id}: PDF does not match its SHA-256")
