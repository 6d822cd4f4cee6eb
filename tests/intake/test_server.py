"""The reference intake server's behaviour, over HTTP against a real server on loopback."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import httpx
import img2pdf
import pytest
from PIL import Image

from intake.server import ServerHandle, provision, run_in_thread
from intake.server.business_day import BusinessDays, parse_day_start
from intake.server.demo import DEMO_CASES, demo_recipient_hash
from tests.intake.conftest import KIOSK_ID, OTHER_KIOSK, STAFF_TOKEN, FakeClock, signed_client
from tests.intake.support import sha256

MAY_5 = dt.datetime(2026, 5, 5, 9, 0)  # a Tuesday; mid-May: no DST change near it anywhere


def ticket(c: httpx.Client, key: str, service: str = "intake", **extra) -> httpx.Response:
    return c.post("/api/v1/tickets", json={"request_key": key, "service_code": service, **extra})


def event(key: str, seq: int, type_: str, payload: dict, time: float = 1795334400.0) -> dict:
    return {"key": key, "seq": seq, "type": type_, "event_class": "business", "time": time, "payload": payload}


def post_events(c: httpx.Client, *events: dict) -> httpx.Response:
    return c.post("/api/v1/events", json={"events": list(events)})


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"title", "detail"}
    return body


# -- tickets ---------------------------------------------------------------------------------------


def test_tickets_are_numbered_per_prefix_from_001(client):
    numbers = [ticket(client, f"r{i}").json()["number"] for i in range(3)]
    assert numbers == ["A001", "A002", "A003"]
    sb = ticket(client, "s1", "social-insurance").json()
    assert sb["number"] == "SB001" and sb["source"] == "backend" and sb["waiting"] == 0
    fourth = ticket(client, "r3").json()
    assert fourth["number"] == "A004"
    assert fourth["waiting"] == 3  # issued today for this service before it


def test_a_retry_gets_the_same_ticket(client, server):
    first = ticket(client, "retry-1").json()
    again = ticket(client, "retry-1")
    assert again.status_code == 200 and again.json() == first
    assert ticket(client, "retry-2").json()["number"] == "A002"  # the retry used no number
    # the key is the kiosk's: another kiosk's same key is another request
    with signed_client(server, OTHER_KIOSK) as other:
        assert ticket(other, "retry-1").json()["number"] == "A003"
    assert problem(ticket(client, "retry-1", "collect"), 409)["title"] == "request_key already used"


def test_unknown_service_is_404(client):
    assert problem(ticket(client, "x", "no-such-service"), 404)["title"] == "unknown service"


def test_numbers_restart_when_the_business_day_starts(make_server):
    clock = FakeClock(MAY_5.replace(hour=3, minute=59))
    server = make_server(clock=clock)
    with signed_client(server, clock=clock) as c:
        before = ticket(c, "t1").json()
        assert (before["number"], before["business_day"]) == ("A001", "2026-05-04")  # before 04:00: yesterday
        clock.set(MAY_5.replace(hour=4, minute=0))
        first = ticket(c, "t2").json()
        assert (first["number"], first["business_day"], first["waiting"]) == ("A001", "2026-05-05", 0)
        clock.set(MAY_5.replace(hour=23, minute=59))
        assert ticket(c, "t3").json()["number"] == "A002"
        clock.set(MAY_5.replace(hour=3, minute=59) + dt.timedelta(days=1))  # after midnight, same business day
        late = ticket(c, "t4").json()
        assert (late["number"], late["business_day"]) == ("A003", "2026-05-05")
        assert late["issued_at"] == clock.now


def test_the_day_start_is_configurable(make_server):
    clock = FakeClock(MAY_5.replace(hour=6, minute=29))
    server = make_server(clock=clock, day_starts_at="06:30")
    with signed_client(server, clock=clock) as c:
        assert ticket(c, "a").json()["business_day"] == "2026-05-04"
        clock.set(MAY_5.replace(hour=6, minute=30))
        assert ticket(c, "b").json() | {"issued_at": 0} == {
            "number": "A001", "service_code": "intake", "waiting": 0, "issued_at": 0,
            "business_day": "2026-05-05", "source": "backend"}


def test_business_days_in_a_fixed_zone():
    china = dt.timezone(dt.timedelta(hours=8))
    days = BusinessDays(parse_day_start("04:00"), china)
    at = lambda *a: dt.datetime(*a, tzinfo=china).timestamp()  # noqa: E731
    assert days.of(at(2026, 1, 1, 3, 59, 59)) == "2025-12-31"
    assert days.of(at(2026, 1, 1, 4, 0)) == "2026-01-01"
    assert days.of(at(2026, 1, 1, 23, 59)) == "2026-01-01"
    assert days.at("2026-01-01", dt.time(9)) == at(2026, 1, 1, 9, 0)
    for bad in ("4:00", "24:00", "12:60", "noon"):
        with pytest.raises(ValueError):
            parse_day_start(bad)


# -- events ----------------------------------------------------------------------------------------


def test_events_are_stored_once_and_acked_again(client, server):
    batch = [event("e1", 1, "device.state", {"id": "printer"}), event("e2", 2, "submission.made", {"n": 1})]
    assert post_events(client, *batch).json() == {"acked": ["e1", "e2"]}
    assert post_events(client, *batch, event("e3", 3, "x.y", {})).json() == {"acked": ["e1", "e2", "e3"]}
    rows = server.backend.db.query("SELECT kiosk_id, key, seq, type, class, payload FROM events ORDER BY seq")
    assert [tuple(r) for r in rows] == [
        (KIOSK_ID, "e1", 1, "device.state", "business", '{"id": "printer"}'),
        (KIOSK_ID, "e2", 2, "submission.made", "business", '{"n": 1}'),
        (KIOSK_ID, "e3", 3, "x.y", "business", "{}"),
    ]
    # keys are per kiosk: another kiosk's e1 is its own event
    with signed_client(server, OTHER_KIOSK) as other:
        assert post_events(other, batch[0]).json() == {"acked": ["e1"]}
    assert server.backend.db.query("SELECT COUNT(*) FROM events")[0][0] == 4


def test_a_kiosk_issued_ticket_is_recorded_and_not_reused(client, server):
    today = ticket(client, "probe", "collect").json()["business_day"]
    post_events(client, event("t-1", 1, "ticket.issued",
                              {"number": "A001", "service_code": "intake", "business_day": today, "source": "kiosk"}))
    row = server.backend.db.query("SELECT source, kiosk_id, event_key FROM tickets WHERE number = 'A001'")
    assert tuple(row[0]) == ("kiosk", KIOSK_ID, "t-1")
    assert ticket(client, "next").json()["number"] == "A002"  # the backend skips the kiosk's number
    assert server.backend.db.query("SELECT COUNT(*) FROM alarms")[0][0] == 0


def test_a_conflicting_ticket_number_raises_an_alarm_and_overwrites_nothing(client, server):
    mine = ticket(client, "r1").json()
    clash = {"number": mine["number"], "service_code": "intake", "business_day": mine["business_day"]}
    with signed_client(server, OTHER_KIOSK) as other:
        post_events(other, event("offline-7", 7, "ticket.issued", clash))
        post_events(other, event("offline-7", 7, "ticket.issued", clash))  # resent: one alarm, not two
    alarms = server.backend.db.query("SELECT kind, kiosk_id, detail FROM alarms")
    assert [(a["kind"], a["kiosk_id"]) for a in alarms] == [("ticket.number_conflict", OTHER_KIOSK)]
    detail = json.loads(alarms[0]["detail"])
    assert detail["number"] == "A001" and detail["held_by"] == KIOSK_ID and detail["held_source"] == "backend"
    kept = server.backend.db.query("SELECT source, kiosk_id FROM tickets WHERE number = 'A001'")
    assert [tuple(r) for r in kept] == [("backend", KIOSK_ID)]


def test_the_kiosk_reporting_a_ticket_we_numbered_is_no_conflict(client, server):
    """The kiosk puts every ticket it printed in its outbox, ours included."""
    mine = ticket(client, "r1").json()
    echo = {"number": mine["number"], "service_code": "intake", "business_day": mine["business_day"],
            "source": "backend", "request_key": "r1"}
    post_events(client, event("echo-1", 1, "ticket.issued", echo))
    assert server.backend.db.query("SELECT COUNT(*) FROM alarms")[0][0] == 0
    # but the same claim from another kiosk is a clash
    with signed_client(server, OTHER_KIOSK) as other:
        post_events(other, event("echo-1", 1, "ticket.issued", echo))
    assert server.backend.db.query("SELECT kind FROM alarms")[0][0] == "ticket.number_conflict"


# -- materials -------------------------------------------------------------------------------------


def start(c: httpx.Client, content: bytes, key: str = "m1", address: str | None = None) -> httpx.Response:
    return c.put(f"/api/v1/materials/{address or sha256(content)}", json={
        "size": len(content), "kind": "id_card_copy", "pages": 1, "verification": "self_service_unverified",
        "key": key})


def patch(c: httpx.Client, address: str, offset: int, chunk: bytes) -> httpx.Response:
    return c.patch(f"/api/v1/materials/{address}", params={"offset": offset}, content=chunk,
                   headers={"Content-Type": "application/octet-stream"})


def test_upload_in_three_chunks_resyncs_on_a_wrong_offset(client, server):
    content = bytes(range(256)) * 1000  # 256000 bytes
    address = sha256(content)
    parts = [content[:100_000], content[100_000:200_000], content[200_000:]]
    assert start(client, content).json() == {"sha256": address, "size": 256000, "offset": 0, "complete": False}
    assert patch(client, address, 0, parts[0]).json()["offset"] == 100_000
    # a resent first chunk (its reply was lost): 409 and the state to resume from
    resent = patch(client, address, 0, parts[0])
    assert resent.status_code == 409
    assert resent.json() == {"sha256": address, "size": 256000, "offset": 100_000, "complete": False}
    assert client.get(f"/api/v1/materials/{address}").json()["offset"] == 100_000
    assert patch(client, address, 100_000, parts[1]).json()["offset"] == 200_000
    # completing early: the bytes held are kept, the kiosk resumes
    assert problem(client.post(f"/api/v1/materials/{address}/complete"), 409)["title"] == "upload incomplete"
    # the chunk that makes the content whole verifies and completes it; `complete` agrees after
    last = patch(client, address, 200_000, parts[2])
    assert last.json() == {"sha256": address, "size": 256000, "offset": 256000, "complete": True}
    done = client.post(f"/api/v1/materials/{address}/complete")
    assert done.json() == {"sha256": address, "size": 256000, "offset": 256000, "complete": True}
    stored = server.data_dir / "materials" / address
    assert stored.read_bytes() == content
    assert not (server.data_dir / "materials" / f"{address}.partial").exists()
    assert client.get(f"/api/v1/materials/{address}").json()["complete"] is True
    # a PATCH after completion is a resync too
    assert patch(client, address, 0, b"x").status_code == 409


def test_bytes_beyond_the_declared_size_are_422(client):
    content = b"0123456789"
    address = sha256(content)
    start(client, content)
    assert patch(client, address, 0, content[:6]).status_code == 200
    assert problem(patch(client, address, 6, b"456789!"), 422)["title"] == "beyond the declared size"
    assert client.get(f"/api/v1/materials/{address}").json()["offset"] == 6


def test_the_last_chunk_verifies_the_sha256_and_a_corrupt_upload_is_discarded(client):
    content = b"the real content " * 100
    corrupt = bytearray(content)
    corrupt[500] ^= 0xFF
    address = sha256(content)
    start(client, content)
    assert patch(client, address, 0, bytes(corrupt[:1000])).json()["complete"] is False
    refused = problem(patch(client, address, 1000, bytes(corrupt[1000:])), 422)
    assert "discarded" in refused["detail"]
    assert client.get(f"/api/v1/materials/{address}").json() == {
        "sha256": address, "size": len(content), "offset": 0, "complete": False}
    assert patch(client, address, 0, content).json()["complete"] is True  # again from 0
    assert client.post(f"/api/v1/materials/{address}/complete").json()["complete"] is True


@pytest.mark.parametrize("tail", [b"0123456789", b"X" * 10], ids=["intact", "torn"])
def test_complete_after_a_restart_hashes_the_file(tmp_path, tail):
    # every byte on the server's disk, but it stopped before verifying them (the last PATCH's
    # write landed, its reply never left): no running hash survives a restart, so `complete`
    # hashes the file, keeps it if it matches and discards a torn one
    content = b"held before the restart " * 200 + b"0123456789"
    address = sha256(content)
    first = run_in_thread(tmp_path / "intake")
    secret = provision(first.data_dir, KIOSK_ID)
    with signed_client(first, KIOSK_ID, secret) as client:
        start(client, content)
        assert patch(client, address, 0, content[:-10]).status_code == 200
    first.stop()
    with open(first.data_dir / "materials" / f"{address}.partial", "ab") as f:
        f.write(tail)  # the last chunk as the write left it
    second = run_in_thread(first.data_dir)
    try:
        with signed_client(second, KIOSK_ID, secret) as client:
            if tail == content[-10:]:
                assert client.post(f"/api/v1/materials/{address}/complete").json()["complete"] is True
                assert (second.data_dir / "materials" / address).read_bytes() == content
            else:
                assert "discarded" in problem(client.post(f"/api/v1/materials/{address}/complete"), 422)["detail"]
                assert client.get(f"/api/v1/materials/{address}").json()["offset"] == 0
    finally:
        second.stop()


def test_content_already_held_is_complete_at_once(client, server):
    content = b"same scan, twice"
    address = sha256(content)
    start(client, content)
    patch(client, address, 0, content)
    client.post(f"/api/v1/materials/{address}/complete")
    with signed_client(server, OTHER_KIOSK) as other:
        again = start(other, content, key="theirs")
        assert again.json() == {"sha256": address, "size": len(content), "offset": len(content), "complete": True}
        assert problem(other.put(f"/api/v1/materials/{address}", json={
            "size": 3, "kind": "form", "pages": 1, "verification": "self_service_unverified", "key": "k2"}),
            409)["title"] == "size mismatch"
    subs = server.backend.db.query("SELECT kiosk_id, key FROM submissions ORDER BY id")
    assert [tuple(s) for s in subs] == [(KIOSK_ID, "m1"), (OTHER_KIOSK, "theirs")]


def test_restarting_an_upload_keeps_its_bytes(client):
    content = b"a" * 1000
    address = sha256(content)
    start(client, content)
    patch(client, address, 0, content[:400])
    assert start(client, content).json()["offset"] == 400  # the same PUT again: where to resume


def test_material_errors(client):
    assert problem(client.get(f"/api/v1/materials/{'1' * 64}"), 404)["title"] == "unknown material"
    assert client.get("/api/v1/materials/NOT-A-SHA").status_code == 422
    assert problem(patch(client, "2" * 64, 0, b"x"), 404)["title"] == "unknown material"
    too_big = patch(client, "2" * 64, 0, b"\0" * (8 * 1024 * 1024 + 1))
    assert problem(too_big, 413)["title"] == "body too large"


# -- inventory, heartbeat, config ------------------------------------------------------------------

INVENTORY = {"hall_name": "模拟大厅", "software_version": "1.2.3", "devices": [
    {"id": "printer", "kind": "printer", "model": "simulated", "state": "online"},
    {"id": "locker0", "kind": "locker", "model": "kerong-cu16", "capabilities": ["item_sensor"], "state": "online"}]}


def test_inventory_only_for_the_signing_kiosk(client, server):
    ok = client.put(f"/api/v1/kiosks/{KIOSK_ID}/inventory", json=INVENTORY)
    assert ok.json() == {"kiosk_id": KIOSK_ID, "devices": 2}
    stored = json.loads(server.backend.db.query("SELECT inventory FROM kiosks WHERE kiosk_id = ?", (KIOSK_ID,))[0][0])
    assert stored["hall_name"] == "模拟大厅" and len(stored["devices"]) == 2
    other = client.put(f"/api/v1/kiosks/{OTHER_KIOSK}/inventory", json=INVENTORY)
    assert problem(other, 403)["title"] == "not this kiosk"


def test_heartbeat_is_recorded(client, server):
    reply = client.post("/api/v1/heartbeat", json={"software_version": "1.2.3", "uptime_s": 12.5, "outbox_pending": 3})
    assert reply.status_code == 200
    row = server.backend.db.query("SELECT heartbeat, heartbeat_at FROM kiosks WHERE kiosk_id = ?", (KIOSK_ID,))[0]
    assert json.loads(row["heartbeat"])["outbox_pending"] == 3
    assert row["heartbeat_at"] == reply.json()["server_time"]


def test_json_numbers_only(client):
    """A boolean or a numeric string is not a number (pydantic's lax mode would take them)."""
    for bad in ({"uptime_s": True}, {"outbox_pending": "3"}):
        body = {"software_version": "1", "uptime_s": 1, "outbox_pending": 0, **bad}
        assert problem(client.post("/api/v1/heartbeat", json=body), 422)["title"] == "invalid request"
    assert client.post("/api/v1/heartbeat", json={"software_version": "1", "uptime_s": 1,
                                                  "outbox_pending": 3.0}).status_code == 200


def test_config_serves_the_catalogue(client):
    settings = client.get("/api/v1/config").json()
    by_code = {s["code"]: s for s in settings["services"]}
    assert by_code["intake"] == {"code": "intake", "name": "综合受理", "name_en": "Application intake",
                                 "prefix": "A", "group": "general"}
    assert by_code["tax"]["group"] == "sector" and by_code["assist"]["prefix"] == "BB"
    assert settings["ticket_footer"][0] == "请留意叫号，过号需重新取号"


# -- appointments and lockers (demo data) ----------------------------------------------------------


def test_demo_appointments(make_server):
    clock = FakeClock(MAY_5.replace(hour=8))
    server = make_server(clock=clock)
    with signed_client(server, clock=clock) as c:
        first = c.get("/api/v1/appointments/YY0001").json()
        assert first["name_masked"] == "张*" and first["status"] == "booked"
        assert first["starts_at"] == MAY_5.timestamp() and first["ends_at"] == first["starts_at"] + 1800
        services = {s["code"] for s in c.get("/api/v1/config").json()["services"]}
        assert all(c.get(f"/api/v1/appointments/YY000{i}").json()["service_code"] in services for i in range(1, 6))
        assert problem(c.get("/api/v1/appointments/YY9999"), 404)["title"] == "unknown appointment"
        # checking in with a ticket
        assert ticket(c, "appt", "intake", appointment_code="YY0001").status_code == 200
        assert c.get("/api/v1/appointments/YY0001").json()["status"] == "checked_in"
        assert problem(ticket(c, "appt2", "intake", appointment_code="NOPE1"), 404)["title"] == "unknown appointment"
        # one not used by the end of its business day has lapsed
        clock.set(MAY_5.replace(hour=4) + dt.timedelta(days=1))
        assert c.get("/api/v1/appointments/YY0002").json()["status"] == "expired"


def test_demo_data_is_seeded_once_even_when_a_kiosk_was_provisioned_first(tmp_path, make_server):
    provision(tmp_path / "intake0", KIOSK_ID)  # as the kiosk's composition does before starting it
    server = make_server()
    assert server.backend.db.query("SELECT COUNT(*) FROM appointments")[0][0] == 5
    assert server.backend.db.query("SELECT COUNT(*) FROM cases")[0][0] == len(DEMO_CASES)


def validate(c: httpx.Client, case: str) -> dict:
    return c.post("/api/v1/lockers/deposits/validate", json={"case_number": case}).json()


def pickup(c: httpx.Client, case: str, id_hash: str | None = None) -> dict:
    body = {"case_number": case} | ({"id_hash": id_hash} if id_hash else {})
    return c.post("/api/v1/lockers/pickups/authorise", json=body).json()


def test_locker_cases(client):
    case = DEMO_CASES[0]
    recipient = demo_recipient_hash(case)
    assert pickup(client, case) == {"case_number": case, "authorised": False, "reason": "not deposited"}
    assert validate(client, case) == {"case_number": case, "valid": True, "reason": "", "recipient_hash": recipient}
    assert len(recipient) == 64
    assert pickup(client, case, recipient)["authorised"] is True
    assert pickup(client, case)["authorised"] is True  # no ID card read: the kiosk's pickup code decides
    assert pickup(client, case, "0" * 64) == {"case_number": case, "authorised": False,
                                              "reason": "ID card does not match the recipient"}
    # the kiosk's deposit and pickup events move the case on
    post_events(client, event("d1", 1, "locker.deposit", {"case_number": case, "cabinet": "cabinet1", "number": 3}))
    assert validate(client, case) | {"recipient_hash": None} == {
        "case_number": case, "valid": False, "reason": "already in a locker", "recipient_hash": None}
    assert pickup(client, case, recipient)["authorised"] is True
    post_events(client, event("p1", 2, "locker.pickup", {"case_number": case}))
    assert pickup(client, case, recipient) == {"case_number": case, "authorised": False, "reason": "already collected"}
    assert validate(client, "BJ1999-9999") == {"case_number": "BJ1999-9999", "valid": False,
                                               "reason": "unknown case", "recipient_hash": None}
    assert pickup(client, "BJ1999-9999")["reason"] == "unknown case"


# -- the staff page --------------------------------------------------------------------------------


def staff(server: ServerHandle, **kwargs) -> httpx.Response:
    return httpx.get(server.url + "/staff", timeout=10, **kwargs)


def test_staff_page_needs_the_token(server):
    for response in (staff(server), staff(server, params={"token": "wrong"}), staff(server, auth=("duty", "wrong"))):
        assert problem(response, 401)["title"] == "staff token required"
        assert response.headers["www-authenticate"].startswith("Basic ")
    assert staff(server, params={"token": STAFF_TOKEN}).status_code == 200
    assert staff(server, auth=("duty", STAFF_TOKEN)).status_code == 200


def test_staff_page_lists_tickets_and_escapes_what_kiosks_sent(client, server):
    numbers = [ticket(client, f"r{i}").json()["number"] for i in range(2)]
    hostile = "<script>alert(1)</script>"
    id_hash = "ab" * 32
    post_events(client,
                event("f1", 1, "device.fault", {"device": "printer", "detail": hostile, "id_hash": id_hash}),
                event("a1", 2, "locker.alarm", {"kind": "door_left_open"}),
                event("d1", 3, "locker.deposit", {"cabinet": "cabinet1", "number": 3}),
                event("t1", 4, "ticket.issued", {"number": numbers[0], "service_code": "intake",
                                                 "business_day": ticket(client, "r0").json()["business_day"]}))
    page = staff(server, params={"token": STAFF_TOKEN})
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert all(f"<strong>{n}</strong>" in text for n in numbers)
    assert "今日取号" in text and "综合受理" in text
    assert hostile not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert id_hash not in text and "abababab…" in text  # hashes: the first 8 hex digits only
    assert "door_left_open" in text and "cabinet1" in text
    # the kiosk reported our A001 as its own (no source "backend"): the server's own alarm
    assert "ticket.number_conflict" in text and "后台告警" in text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def _pdf_with_a_page(color: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (1240, 1754), color)  # A4 at 150 dpi
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=85, dpi=(150, 150))
    return img2pdf.convert(jpeg.getvalue())


def test_staff_page_shows_submissions_with_a_page_1_thumbnail(client, server):
    pdf = _pdf_with_a_page((200, 30, 30))
    address = hashlib.sha256(pdf).hexdigest()
    start(client, pdf)
    patch(client, address, 0, pdf)
    client.post(f"/api/v1/materials/{address}/complete")
    pending = b"half a scan"
    start(client, pending, key="m2")
    text = staff(server, params={"token": STAFF_TOKEN}).text
    thumb_url = f"/staff/materials/{address}/thumb.jpg?token={STAFF_TOKEN}"
    assert f'src="{thumb_url}"' in text
    assert "id_card_copy" in text and address[:8] in text and address not in text.replace(thumb_url, "")
    assert f"0/{len(pending)}" in text  # the unfinished one, with its progress
    thumb = httpx.get(server.url + thumb_url, timeout=10)
    assert thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert max(im.size) <= 240 and im.size == (170, 240)
        r, g, b = im.convert("RGB").getpixel((85, 120))
        assert r > 150 and g < 80 and b < 80  # it is that page
    assert httpx.get(server.url + f"/staff/materials/{address}/thumb.jpg", timeout=10).status_code == 401
    missing = httpx.get(server.url + f"/staff/materials/{'3' * 64}/thumb.jpg?token={STAFF_TOKEN}", timeout=10)
    assert missing.status_code == 404


def test_staff_page_is_not_in_the_openapi_document(server):
    paths = httpx.get(server.url + "/openapi.json").json()["paths"]
    assert not any(p.startswith("/staff") for p in paths)

