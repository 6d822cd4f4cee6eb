"""Sending the diagnostics bundle (kiosk/diagnostics/export.py): to a USB stick when one is
mounted, else through the outbox to the reference server, which keeps it for the staff."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import zipfile
from pathlib import Path

import httpx
import pytest

from intake import contract as c
from intake.server import provision, run_in_thread
from kiosk.backend.client import BackendClient
from kiosk.diagnostics.audit import TechAudit
from kiosk.diagnostics.export import ExportTarget, export_bundle, usb_targets
from tests.support import wait_for

ACTOR = "tech-demo"
CANARY = "金丝雀乙 110101199003074518"


def audit_of(kiosk) -> TechAudit:
    return TechAudit(kiosk.store, kiosk.backend.outbox)


def exports(kiosk) -> list[dict]:
    return [json.loads(d) for _, actor, action, d in reversed(audit_of(kiosk).recent(100))
            if action == "tech.bundle.export" and actor == ACTOR]


@pytest.fixture
def roots(tmp_path):
    base = tmp_path / "mounts"
    found = tuple(base / r for r in ("media", "run/media", "mnt"))
    for r in found:
        r.mkdir(parents=True)
    return found


def mounted(monkeypatch, *points: Path) -> None:
    points_ = {p.resolve() for p in points}
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p).resolve() in points_)


def test_usb_targets_are_writable_mounts_up_to_two_levels_below_each_root(roots, monkeypatch):
    media, run_media, mnt = roots
    user_stick, plain_dir, stick_folder = media / "kiosk" / "STICK", media / "kiosk" / "notmounted", mnt / "usb" / "DATA"
    for d in (user_stick, plain_dir, run_media / "kiosk" / "B", run_media / "kiosk" / "A", stick_folder,
              media / "x" / "y" / "too-deep"):
        d.mkdir(parents=True)
    mounted(monkeypatch, user_stick, run_media / "kiosk" / "B", run_media / "kiosk" / "A", mnt / "usb",
            stick_folder, media / "x" / "y" / "too-deep")
    assert usb_targets(roots) == [user_stick, run_media / "kiosk" / "A", run_media / "kiosk" / "B", mnt / "usb"]
    assert usb_targets((roots[0] / "missing",)) == []


def test_export_to_a_usb_stick_writes_a_complete_redacted_zip(hall, roots, tmp_path, monkeypatch):
    stick = roots[0] / "kiosk" / "STICK"
    stick.mkdir(parents=True)
    mounted(monkeypatch, stick)
    log = tmp_path / "kiosk.log"
    log.write_text(f"a plain line\npickup for {CANARY.split()[1]}\n")

    result = export_bundle(hall, audit_of(hall), ACTOR, usb_roots=roots, log_file=log)
    assert result.ok and result.where is ExportTarget.USB, result.text_en
    assert result.path is not None and result.path.parent == stick and result.path.name.startswith("kiosk-diag-sim-01-")
    assert result.path.suffix == ".zip" and "U盘" in result.text
    assert [p.name for p in stick.iterdir()] == [result.path.name]  # no temporary file left behind
    data = result.path.read_bytes()
    assert len(data) == result.size and hashlib.sha256(data).hexdigest() == result.sha256
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert {"manifest.json", "config.json", "devices.json", "statistics.json", "events.json", "logs.txt"} <= set(z.namelist())
        assert json.loads(z.read("manifest.json"))["kiosk_id"] == "sim-01"
        assert CANARY.split()[1] not in z.read("logs.txt").decode()
    assert exports(hall) == [{"where": "usb", "ok": True, "size": result.size, "sha256": result.sha256,
                              "name": result.path.name}]
    assert "tech.bundle.export" in [r[0] for r in hall.store.query("SELECT type FROM outbox")]
    assert c.BUNDLE_EVENT not in [r[0] for r in hall.store.query("SELECT type FROM outbox")]


def test_without_a_stick_the_bundle_reaches_the_reference_server(hall, roots, tmp_path, monkeypatch):
    result = export_bundle(hall, audit_of(hall), ACTOR, usb_roots=roots, log_file=tmp_path / "none.log")
    assert result.ok and result.where is ExportTarget.OUTBOX and result.path is None, result.text_en
    again = export_bundle(hall, audit_of(hall), ACTOR, usb_roots=roots, log_file=tmp_path / "none.log")
    if not again.ok:  # the first may still be waiting: one bundle at a time in the outbox
        assert "waiting" in again.text_en

    server_db = Path(hall.store.path.parent) / "intake-server" / "intake.sqlite3"

    def held() -> list[sqlite3.Row]:
        con = sqlite3.connect(f"file:{server_db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT kiosk_id, name, size, sha256, technician FROM bundles ORDER BY id").fetchall()
        finally:
            con.close()

    assert wait_for(lambda: bool(held()), 15), "the sender delivered the bundle"
    kiosk_id, name, size, sha, technician = held()[0]
    assert (kiosk_id, name, size, sha, technician) == ("sim-01", result.name, result.size, result.sha256, ACTOR)
    stored = server_db.parent / "bundles" / f"{sha}.zip"
    with zipfile.ZipFile(stored) as z:
        assert z.testzip() is None and "manifest.json" in z.namelist()
    con = sqlite3.connect(f"file:{server_db}?mode=ro", uri=True, timeout=5)
    try:
        (payload,), = con.execute("SELECT payload FROM events WHERE type = ?", (c.BUNDLE_EVENT,)).fetchmany(1)
    finally:
        con.close()
    assert "content_base64" not in json.loads(payload) and json.loads(payload)["stored"] is True
    assert exports(hall)[0] == {"where": "outbox", "ok": True, "size": result.size, "sha256": result.sha256,
                                "name": result.name}


def test_a_bundle_over_the_cap_is_refused_with_a_clear_reason(hall, roots, tmp_path, monkeypatch):
    monkeypatch.setattr(c, "MAX_BUNDLE_BYTES", 100)
    result = export_bundle(hall, audit_of(hall), ACTOR, usb_roots=roots, log_file=tmp_path / "none.log")
    assert not result.ok and result.where is ExportTarget.OUTBOX and result.size > 100
    assert "太大" in result.text and "USB stick" in result.text_en
    assert c.BUNDLE_EVENT not in [r[0] for r in hall.store.query("SELECT type FROM outbox")]
    assert exports(hall)[0]["ok"] is False


def test_reference_server_keeps_good_bundles_for_staff_and_acks_bad_ones(tmp_path):
    token = "staff-token-for-tests"
    server = run_in_thread(tmp_path / "intake", staff_token=token)
    try:
        client = BackendClient(server.url, "k-0101", provision(server.data_dir, "k-0101"))
        zip_bytes = b"PK\x05\x06" + bytes(18)  # the smallest valid zip: an empty one
        good = c.DiagnosticsBundle(name="kiosk-diag-k-0101-20260101-090000.zip", size=len(zip_bytes),
                                   sha256=hashlib.sha256(zip_bytes).hexdigest(), technician=ACTOR,
                                   content_base64=base64.b64encode(zip_bytes).decode())
        bad = good.model_copy(update={"sha256": "0" * 64}).model_dump()
        events = [c.Event(key=f"k{i}", seq=i + 1, type=c.BUNDLE_EVENT, event_class=c.EventClass.TELEMETRY, time=1.0,
                          payload=p) for i, p in enumerate([good.model_dump(), bad, {"name": "x"}])]
        ack = client.send_events(c.EventBatch(events=events))
        assert ack.acked == ["k0", "k1", "k2"]  # bad ones too: they must not hold up the outbox
        assert client.send_events(c.EventBatch(events=events[:1])).acked == ["k0"]  # a repeat: acked, kept once

        rows = server.app.state.intake.db.query("SELECT id, name FROM bundles")
        assert [r["name"] for r in rows] == [good.name]
        alarms = server.app.state.intake.db.query("SELECT kind FROM alarms")
        assert [a["kind"] for a in alarms] == ["bundle_rejected", "bundle_rejected"]
        page = httpx.get(f"{server.url}/staff", params={"token": token})
        assert page.status_code == 200 and good.name in page.text
        download = httpx.get(f"{server.url}/staff/bundles/{rows[0]['id']}", params={"token": token})
        assert download.status_code == 200 and download.content == zip_bytes
        assert download.headers["content-type"] == "application/zip"
        assert httpx.get(f"{server.url}/staff/bundles/{rows[0]['id']}").status_code == 401
        assert httpx.get(f"{server.url}/staff/bundles/999", params={"token": token}).status_code == 404
    finally:
        server.stop()
