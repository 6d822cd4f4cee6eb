"""自助申报: a person's materials for one matter, kept whole, queued for upload, and a receipt.

The citizen never waits on the upload: :meth:`Submissions.submit` writes the materials (sealed at
rest), records them, the submission and its ``submission.made`` event in **one** transaction, then
prints the receipt. The outbox uploads each material before its event and sends the submission's
event after all of them (order is the sender's contract), so the window hears "submitted" only
when it holds every page. If the receipt does not print, the submission stands and the screen
shows its reference number to write down.

The reference number is the kiosk's own (``S``, the business day, the kiosk's code, a sequence):
it needs no backend and cannot collide with another kiosk's. The person is kept only as the keyed
hash of the ID number; the receipt shows the masked name.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devicecfg.schema import Matter, MaterialType, RequiredMaterial
from drivers.camera.output import id_card_copy
from drivers.printer.layout import Receipt, render
from drivers.printer.printer import EscPosPrinter, PrintJob
from intake.contract import EventClass
from kiosk.backend.outbox import Outbox
from kiosk.backend.tickets import business_day
from kiosk.materials import MaterialError, MaterialKind, Materials, PageImage
from kiosk.services.take_number import keyed_id_hash
from kiosk.store import Store

log = logging.getLogger(__name__)

ID_COPY_DPI = 200


class SubmitStatus(enum.StrEnum):
    DONE = "done"  # kept, queued, receipt printed
    RECEIPT_NOT_PRINTED = "receipt_not_printed"  # kept and queued; show the reference to write down
    FAILED = "failed"  # nothing was kept (the disk): go to a window


@dataclass(frozen=True)
class SubmitResult:
    status: SubmitStatus
    reference: str = ""
    reason: str = ""
    reason_en: str = ""


@dataclass(frozen=True)
class Captured:
    """The pages captured for one required material, in the order the person left them."""

    requirement: RequiredMaterial
    pages: tuple[PageImage, ...]


def material_pages(item: Captured) -> list[PageImage]:
    """The pages as the window receives them: an ID card's two sides become one A4 copy."""
    pages = list(item.pages)
    if item.requirement.kind is MaterialType.ID_CARD_COPY and len(pages) == 2:
        front, back = pages
        return [PageImage(id_card_copy(front.image, back.image, dpi=ID_COPY_DPI), ID_COPY_DPI)]
    return pages


class Submissions:
    def __init__(self, store: Store, materials: Materials, outbox: Outbox, printer: EscPosPrinter | None, *,
                 hall_name: str, kiosk_code: str, day_starts_at: str, id_key: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.materials = materials
        self.outbox = outbox
        self.printer = printer
        self.hall_name = hall_name
        self.kiosk_code = kiosk_code
        self.day_starts_at = day_starts_at
        self._id_key = id_key
        self._clock = clock

    def submit(self, matter: Matter, identity, captured: Sequence[Captured]) -> SubmitResult:
        """``identity``: the drivers.idcard Identity read at the start (required: a submission has
        an applicant). Materials without pages (optional ones skipped) are left out."""
        items = [(MaterialKind(c.requirement.kind.value), material_pages(c), c.requirement)
                 for c in captured if c.pages]
        id_hash = keyed_id_hash(self._id_key, identity.reveal()["id_number"])
        now = self._clock()
        reference = ""

        def record(db: sqlite3.Connection, saved) -> None:
            nonlocal reference
            reference = self._next_reference(db, now)
            listed = [{"material": m.id, "name": req.name, "kind": m.kind.value, "pages": len(m.pages)}
                      for m, (_, _, req) in zip(saved, items)]
            db.execute("INSERT INTO submissions (reference, matter, id_hash, materials, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", (reference, matter.code, id_hash, json.dumps(listed), now))
            self.outbox.record(db, "submission.made", EventClass.BUSINESS,
                               {"reference": reference, "matter": matter.code, "id_hash": id_hash,
                                "materials": listed, "verification": "self_service_unverified"})

        try:
            self.materials.save_many([(kind, pages) for kind, pages, _ in items], also=record)
        except MaterialError as e:
            log.error("submission not kept", extra={"matter": matter.code, "error": str(e)})
            return SubmitResult(SubmitStatus.FAILED, "", "材料未能保存", "The materials could not be saved")
        log.info("submission made", extra={"reference": reference, "matter": matter.code, "materials": len(items)})
        printed, why, why_en = self._print_receipt(reference, matter, identity, items, now)
        if printed:
            with self.store.transaction() as db:
                db.execute("UPDATE submissions SET printed = 1 WHERE reference = ?", (reference,))
            return SubmitResult(SubmitStatus.DONE, reference)
        return SubmitResult(SubmitStatus.RECEIPT_NOT_PRINTED, reference, why, why_en)

    def _next_reference(self, db: sqlite3.Connection, now: float) -> str:
        day = business_day(now, self.day_starts_at)
        (n,) = db.execute("SELECT COUNT(*) FROM submissions WHERE reference LIKE ?",
                          (f"S{day.replace('-', '')}-{self.kiosk_code}-%",)).fetchone()
        return f"S{day.replace('-', '')}-{self.kiosk_code}-{n + 1:03d}"

    def _print_receipt(self, reference: str, matter: Matter, identity, items, now: float) -> tuple[bool, str, str]:
        if self.printer is None:
            return False, "本机没有打印机", "This terminal has no printer"
        lines = [("受理编号", reference), ("事项", matter.name), ("申请人", identity.shown_name())]
        lines += [(req.name, f"{len(pages)} 页") for _, pages, req in items]
        receipt = Receipt(hall=self.hall_name, title="自助申报回执", lines=lines,
                          issued_at=dt.datetime.fromtimestamp(now), qr=reference,
                          footer=("材料为自助采集，须经窗口核验原件", "请携带原件到综合窗口办理"))
        result = self.printer.print(PrintJob(render(receipt.blocks(), self.printer.printer_model)))
        if not result.printed:
            log.warning("receipt not printed", extra={"reference": reference, "reason": result.reason_en})
        return result.printed, result.reason or "回执未能打印", result.reason_en or "the receipt did not print"
