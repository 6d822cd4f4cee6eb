"""自助申报 through the touch UI on the real simulated hall: the ID card on the simulated reader,
documents laid under the simulated camera (auto-capture when they lie still), review, submit,
the receipt on the simulated printer, the pages at the in-process reference server."""

from __future__ import annotations

import json
import sqlite3

import pytest

from drivers.sim import registry
from drivers.sim.idcard import Fault
from kiosk.services.availability import Journey
from tests.support import wait_for
from tests.ui.kivyhelp import pump_until, screenshot, settle, tap, walk

pytestmark = pytest.mark.ui


def _open(app, kiosk):
    home = app.sm.get_screen("home")
    assert pump_until(lambda: home.tiles[Journey.SELF_SUBMIT].available, 20)
    settle(app)
    tap(home.tiles[Journey.SELF_SUBMIT])
    assert pump_until(lambda: app.sm.current == "submit", 3)
    screen = app.sm.get_screen("submit")
    assert pump_until(lambda: screen.stage == "card", 3)
    return screen


def _pages(screen) -> list[int]:
    return [len(p) for p in screen._pages]


def _lay(camera, screen, kind: str, seed: int, expect: list[int]) -> None:
    """Take away what lies there, lay a document, and wait for its auto-capture."""
    camera.clear(seed)
    assert pump_until(lambda: screen.ids.preview.outline == [], 10)
    camera.place(kind, seed)
    assert pump_until(lambda: _pages(screen) == expect, 20), (_pages(screen), screen.detail)


def _to_review(app, kiosk):
    """Card read (after one lifted mid-read), first matter, its materials captured: at review."""
    camera = registry.simulator_for("camera", {})
    reader = registry.simulator_for("idcard", {})
    screen = _open(app, kiosk)
    settle(app)
    screenshot("submit_card")
    # the card leaves the reader during the read: the reader starts again from "find" (after
    # three such reads it asks for the card to be laid again: tests/drivers/idcard), and the
    # journey keeps waiting for the card, holding nothing
    reader.inject(Fault.LIFT_MID_READ)
    reader.place(0)
    assert pump_until(lambda: reader.card is None, 10)  # read from, then gone
    pump_until(lambda: False, 0.5)
    assert screen.stage == "card" and screen._identity is None
    reader.clear_faults()
    reader.lift()
    reader.place(0)
    assert pump_until(lambda: screen.stage == "matter", 20)
    reader.lift()
    assert "张*" in screen.message and "张三" not in screen.message
    tap(screen.ids.matters.children[-1])  # 医保零星报销
    assert screen.stage == "list" and "医疗费用发票" in screen.detail and "（如有）" in screen.detail
    tap(screen.ids.first)  # 开始拍摄材料
    assert pump_until(lambda: screen.stage == "capture" and screen.ids.preview.texture is not None, 10)
    _lay(camera, screen, "id1", 3, [1, 0, 0])
    assert "国徽面" in screen.detail
    _lay(camera, screen, "id1", 4, [2, 0, 0])  # both sides: on to the invoices by itself
    assert "第 2 项" in screen.message
    _lay(camera, screen, "a4", 1, [2, 1, 0])
    settle(app)
    screenshot("submit_capture")
    _lay(camera, screen, "a4", 2, [2, 2, 0])
    tap(screen.ids.second)  # 下一项
    assert "第 3 项" in screen.message
    tap(screen.ids.second)  # 没有此材料，跳过 (optional)
    assert screen.stage == "review"
    return screen, camera


def _server(kiosk):
    return sqlite3.connect(kiosk.store.path.parent / "intake-server" / "intake.sqlite3")


def test_self_submission_end_to_end(hall_app):
    app, kiosk = hall_app
    screen, camera = _to_review(app, kiosk)
    settle(app)
    screenshot("submit_review")
    tiles = list(reversed(screen.ids.pages.children))
    assert len(tiles) == 4
    # reorder the invoices, then retake the (new) first one
    first, second = screen._pages[1]
    tap(tiles[2].ids.right)
    assert screen._pages[1] == [second, first]
    tiles = list(reversed(screen.ids.pages.children))
    tap(tiles[2].ids.retake)
    assert screen.stage == "capture" and screen._retake == (1, 0)
    camera.clear(5)
    assert pump_until(lambda: screen.ids.preview.outline == [], 10)
    camera.place("a4", 5)
    assert pump_until(lambda: screen.stage == "review", 20)
    assert screen._pages[1][1] is first and screen._pages[1][0] is not second and screen._pages[1][0] is not first
    tap(screen.ids.first)  # 确认提交
    assert pump_until(lambda: screen.stage == "done", 20)
    reference = screen.big
    assert reference.startswith("S") and "回执" in screen.message
    settle(app)
    screenshot("submit_done")
    printer = registry.simulator_for("printer", {})
    assert wait_for(lambda: printer.tickets, 5)
    assert any(reference in line for line in printer.tickets[-1].lines)
    assert screen._pages == [] and screen._identity is None  # kept and queued: gone from the screen

    assert pump_until(lambda: kiosk.backend.outbox.stats().pending == 0, 30), kiosk.backend.sender.last_error
    with _server(kiosk) as db:
        (payload,) = db.execute("SELECT payload FROM events WHERE type = 'submission.made'").fetchone()
        complete = dict(db.execute("SELECT sha256, complete FROM materials"))
    made = json.loads(payload)
    assert made["reference"] == reference and made["matter"] == "medical-reimburse"
    assert [m["pages"] for m in made["materials"]] == [1, 2]
    assert all(complete[kiosk.materials.get(m["material"]).sha256] == 1 for m in made["materials"])

    tap(screen.ids.first)  # 完成
    assert pump_until(lambda: app.sm.current == "home", 3)
    texts = " ".join(getattr(w, "text", "") for w in walk(screen))
    assert reference not in texts and "张" not in texts


def test_backend_down_during_submission_completes_and_catches_up(hall_app):
    app, kiosk = hall_app
    url = kiosk.backend.client.base_url
    kiosk.backend.client.set_base_url("http://127.0.0.1:9")  # the backend is down
    # retries at most 2 s apart: the default cap (60 s) would leave the test waiting out a back-off
    kiosk.backend.sender.backoff.cap = 2.0
    screen, _ = _to_review(app, kiosk)
    tap(screen.ids.first)  # 确认提交
    assert pump_until(lambda: screen.stage == "done", 20)  # the journey does not wait for the link
    assert "后台上传" in screen.detail
    assert pump_until(lambda: "no connection" in kiosk.backend.sender.last_error, 15)
    assert kiosk.backend.outbox.stats().pending >= 3
    tap(screen.ids.first)
    kiosk.backend.client.set_base_url(url)  # the link comes back: the upload catches up
    assert pump_until(lambda: kiosk.backend.outbox.stats().pending == 0, 60), kiosk.backend.sender.last_error
    with _server(kiosk) as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE type = 'submission.made'").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM materials WHERE complete = 1").fetchone() == (2,)


def test_cancel_at_review_keeps_nothing(hall_app):
    app, kiosk = hall_app
    screen, _ = _to_review(app, kiosk)
    tap(screen.ids.third)  # 取消申报
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert screen._pages == [] and screen._identity is None and screen.ids.preview.texture is None
    assert kiosk.store.query("SELECT COUNT(*) FROM materials")[0][0] == 0


def test_idle_reset_mid_review_forgets_the_person_and_the_pages(hall_app):
    from drivers.idcard.cards import DECK
    from kiosk.logs import SENSITIVE
    from tests.ui.test_privacy_reset import leaks

    app, kiosk = hall_app
    screen, _ = _to_review(app, kiosk)
    name, id_number = DECK[0].fields["name"], DECK[0].fields["id_number"]
    assert screen._identity is not None and any(screen._pages)
    app.reset_session()  # what the idle timeout does once its countdown has run out
    assert pump_until(lambda: app.sm.current == "home", 3)
    assert leaks(app, name, id_number) == []
    assert screen._pages == [] and screen._identity is None and screen._card is None
    assert screen.ids.preview.texture is None and screen.ids.pages.children == []
    assert id_number not in SENSITIVE.snapshot()  # the card session was closed
    assert kiosk.store.query("SELECT COUNT(*) FROM materials")[0][0] == 0  # nothing was kept
