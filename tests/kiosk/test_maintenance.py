"""`kiosk maintenance` (the nightly timer's command) on a real state directory: what is past the
retention goes, what is not delivered or not uploaded, or still fresh, stays."""

from __future__ import annotations

import time

import numpy as np

from intake.contract import EventClass
from kiosk.backend.outbox import Outbox
from kiosk.cli import main
from kiosk.materials import Materials, MaterialKind, MaterialState, PageImage
from kiosk.store import Store

DAY = 24 * 3600


def page() -> PageImage:
    return PageImage(np.full((200, 150, 3), 240, np.uint8), 100)


def test_maintenance_purges_only_what_the_backend_holds_past_retention(tmp_path, capsys):
    store = Store(tmp_path / "kiosk.sqlite3")
    old = Outbox(store, clock=lambda: time.time() - 2 * DAY)  # the simulated hall keeps 24 h
    delivered_old = old.record_now("ticket.issued", EventClass.BUSINESS, {"n": 1})
    pending_old = old.record_now("ticket.issued", EventClass.BUSINESS, {"n": 2})
    old.mark_delivered([delivered_old.key])
    fresh = Outbox(store)
    delivered_new = fresh.record_now("ticket.issued", EventClass.BUSINESS, {"n": 3})
    fresh.mark_delivered([delivered_new.key])

    materials = Materials(store, tmp_path)
    uploaded_old, uploaded_new, kept = (materials.save(MaterialKind.FORM, [page()]) for _ in range(3))
    materials.mark_uploaded(uploaded_old.id)
    materials.mark_uploaded(uploaded_new.id)
    with store.transaction() as db:  # uploaded two days ago
        db.execute("UPDATE materials SET updated_at = ? WHERE id = ?", (time.time() - 2 * DAY, uploaded_old.id))
    store.close()

    assert main(["maintenance", "--data-dir", str(tmp_path)]) == 0
    assert "1 delivered event(s) and 1 uploaded material(s) older than 24 h purged" in capsys.readouterr().out

    store = Store(tmp_path / "kiosk.sqlite3")
    keys = {k for (k,) in store.query("SELECT key FROM outbox")}
    assert keys == {pending_old.key, delivered_new.key}
    materials = Materials(store, tmp_path)
    assert materials.get(uploaded_old.id).state is MaterialState.PURGED
    assert not materials.directory_of(uploaded_old).exists()
    assert materials.get(uploaded_new.id).state is MaterialState.UPLOADED
    assert materials.get(kept.id).state is MaterialState.KEPT
    assert (materials.directory_of(kept) / kept.pdf_file).is_file()
    store.close()


def test_maintenance_with_a_bad_config_says_why(tmp_path, capsys):
    bad = tmp_path / "kiosk.toml"
    bad.write_text("[kiosk]\nid = 5\n")
    assert main(["maintenance", "--config", str(bad), "--data-dir", str(tmp_path)]) == 1
    assert "kiosk.id" in capsys.readouterr().err
