"""自助申报 on the simulated hall: materials kept whole, the receipt on the simulated printer, the
upload through the outbox to the in-process reference server, and the backend down meanwhile."""

from __future__ import annotations

import json
import sqlite3

import pytest

from drivers.camera.cleanup import whiten
from drivers.camera.warp import warp_document
from drivers.sim import registry
from drivers.sim.camera_scene import render_scene
from kiosk.materials import MaterialKind, PageImage
from kiosk.services.submission import Captured, SubmitStatus
from tests.kiosk.conftest import read_card
from tests.support import wait_for


def page(seed: int, kind: str = "a4") -> PageImage:
    scene = render_scene(seed, (1920, 1080), kind=kind)
    dpi = 200 if kind == "a4" else 300
    return PageImage(whiten(warp_document(scene.image, scene.corners, kind, dpi), "color"), dpi)


@pytest.fixture(scope="module")
def pages():
    return {"card_front": page(3, "id1"), "card_back": page(4, "id1"), "invoice": page(1), "bill": page(2)}


def captured(matter, pages, skip_optional: bool = False) -> list[Captured]:
    """医保零星报销's materials: the card's two sides, two invoices, the itemised bill (optional)."""
    laid = [(pages["card_front"], pages["card_back"]), (pages["invoice"], pages["bill"]), (pages["bill"],)]
    return [Captured(req, () if (skip_optional and not req.required) else got)
            for req, got in zip(matter.materials, laid)]


def server_db(kiosk) -> sqlite3.Connection:
    return sqlite3.connect(kiosk.store.path.parent / "intake-server" / "intake.sqlite3")


def test_submission_kept_whole_receipt_printed_and_received_with_its_pages(hall, pages):
    matter = hall.config.matters[0]  # 医保零星报销: ID card, invoices, an optional itemised bill
    identity = read_card(hall, 0)
    result = hall.submissions.submit(matter, identity, captured(matter, pages, skip_optional=True))
    assert result.status is SubmitStatus.DONE and result.reference.startswith("S") and result.reference.endswith("-001")

    sim = registry.simulator_for("printer", {})
    assert wait_for(lambda: sim.tickets, 5)
    receipt = "\n".join(sim.tickets[-1].lines)
    assert result.reference in receipt and "医保零星报销" in receipt and "须经窗口核验原件" in receipt
    assert "张*" in receipt and "张三" not in receipt  # the name masked, even on paper
    assert "居民身份证：1 页" in receipt and "医疗费用发票：2 页" in receipt and "费用明细清单" not in receipt

    # the window holds every page before it hears of the submission
    assert wait_for(lambda: hall.backend.outbox.stats().pending == 0, 30), hall.backend.sender.last_error
    with server_db(hall) as db:
        events = [(t, json.loads(p)) for t, p in db.execute("SELECT type, payload FROM events ORDER BY id")]
        held = dict(db.execute("SELECT sha256, complete FROM materials"))
    types = [t for t, _ in events if t in ("material.submitted", "submission.made")]
    assert types == ["material.submitted", "material.submitted", "submission.made"]
    made = next(p for t, p in events if t == "submission.made")
    assert made["reference"] == result.reference and made["matter"] == matter.code
    assert [m["pages"] for m in made["materials"]] == [1, 2]  # the card's two sides: one A4 copy
    for listed in made["materials"]:
        material = hall.materials.get(listed["material"])
        assert held[material.sha256] == 1
    kinds = [hall.materials.get(m["material"]).kind for m in made["materials"]]
    assert kinds == [MaterialKind.ID_CARD_COPY, MaterialKind.OTHER]
    assert identity.reveal()["id_number"] not in json.dumps(made)  # a keyed hash only


def test_backend_down_the_journey_completes_and_the_upload_catches_up(hall, pages):
    url = hall.backend.client.base_url
    hall.backend.client.set_base_url("http://127.0.0.1:9")  # nothing listens: the backend is down
    matter = hall.config.matters[0]
    result = hall.submissions.submit(matter, read_card(hall, 1), captured(matter, pages))
    assert result.status is SubmitStatus.DONE  # kept and receipted without the backend
    assert wait_for(lambda: "no connection" in hall.backend.sender.last_error, 15)
    assert hall.backend.outbox.stats().pending >= 4  # three materials and the submission wait
    hall.backend.client.set_base_url(url)  # the link comes back
    assert wait_for(lambda: hall.backend.outbox.stats().pending == 0, 60), hall.backend.sender.last_error
    with server_db(hall) as db:
        (payload,) = db.execute("SELECT payload FROM events WHERE type = 'submission.made'").fetchone()
        held = dict(db.execute("SELECT sha256, complete FROM materials"))
    assert json.loads(payload)["reference"] == result.reference
    assert len(held) == 3 and set(held.values()) == {1}


def test_receipt_not_printed_keeps_the_submission_and_numbers_go_on(hall, pages):
    matter = hall.config.matters[0]
    identity = read_card(hall, 0)
    registry.simulator_for("printer", {}).set_paper("out")
    first = hall.submissions.submit(matter, identity, captured(matter, pages, skip_optional=True))
    assert first.status is SubmitStatus.RECEIPT_NOT_PRINTED and first.reference.endswith("-001")
    assert "纸" in first.reason
    registry.simulator_for("printer", {}).set_paper("ok")
    second = hall.submissions.submit(matter, identity, captured(matter, pages, skip_optional=True))
    assert second.status is SubmitStatus.DONE and second.reference.endswith("-002")
    rows = hall.store.query("SELECT reference, printed FROM submissions ORDER BY reference")
    assert [tuple(r) for r in rows] == [(first.reference, 0), (second.reference, 1)]


def test_nothing_is_kept_when_the_materials_cannot_be_written(hall, pages, monkeypatch):
    matter = hall.config.matters[0]
    identity = read_card(hall, 0)
    import kiosk.materials as m

    calls = {"n": 0}
    real = m._write_private

    def fail_on_the_second_material(path, data):
        calls["n"] += 1
        if calls["n"] > 2:  # the first material's page and PDF are written, then the disk fails
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(m, "_write_private", fail_on_the_second_material)
    result = hall.submissions.submit(matter, identity, captured(matter, pages))
    assert result.status is SubmitStatus.FAILED and result.reference == ""
    assert hall.store.query("SELECT COUNT(*) FROM submissions")[0][0] == 0
    assert hall.store.query("SELECT COUNT(*) FROM materials")[0][0] == 0
    assert [p for p in hall.materials.root.iterdir()] == []  # no files left behind
