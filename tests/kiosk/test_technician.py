"""维护模式 sign-in, lockout, session end and the audit trail (kiosk.services.technician)."""

from __future__ import annotations

import json

import pytest

from devicecfg.schema import StaffAccount, StaffSection, TechnicianSection
from kiosk.backend.outbox import Outbox
from kiosk.services.staff import StaffDesk
from kiosk.services.staff_auth import SignInStatus, hash_secret
from kiosk.services.technician import NoSession, TechnicianDesk
from kiosk.store import Store

PIN, CARD = "135790", "440304198507120019"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts(tmp_path):
    store = Store(tmp_path / "k.sqlite3")
    outbox = Outbox(store)
    clock = Clock()
    section = TechnicianSection(session_s=1800, max_pin_failures=3, failure_window_s=60, lockout_s=120, accounts=[
        StaffAccount(id="t1", name="赵工", pin_hash=hash_secret(PIN), card_hash=hash_secret(CARD))])
    return TechnicianDesk(section, store, outbox, clock), store, outbox, clock


def actions(store: Store) -> list[str]:
    return [r[0] for r in store.query("SELECT action FROM audit ORDER BY id")]


def events(outbox: Outbox) -> list[tuple[str, dict]]:
    return [(e.type, json.loads(e.payload) if isinstance(e.payload, str) else e.payload) for e in outbox.pending()]


def test_right_pin_enters_and_puts_the_kiosk_out_of_service(parts):
    desk, store, outbox, _ = parts
    assert not desk.out_of_service
    result = desk.sign_in_pin(PIN)
    assert result.status is SignInStatus.OK and result.session.technician_id == "t1"
    assert desk.out_of_service
    desk.record(result.session, "check.internal", {"device": "printer", "ok": True})
    desk.end(result.session, "logout")
    assert not desk.out_of_service
    assert actions(store) == ["tech.mode.enter", "tech.check.internal", "tech.mode.exit"]
    sent = events(outbox)
    assert [t for t, _ in sent] == ["tech.mode.enter", "tech.check.internal", "tech.mode.exit"]
    assert sent[0][1] == {"technician": "t1", "method": "pin"} and sent[2][1]["reason"] == "logout"
    with pytest.raises(NoSession):
        desk.record(result.session, "check.internal")


def test_the_card_enters_and_its_number_is_nowhere(parts):
    desk, store, outbox, _ = parts
    assert desk.sign_in_card(CARD).status is SignInStatus.OK
    assert desk.sign_in_card("440304198507120027").status is SignInStatus.WRONG
    stored = json.dumps(store.query("SELECT * FROM audit")) + json.dumps([p for _, p in events(outbox)])
    assert CARD not in stored and "440304198507120027" not in stored


def test_wrong_pins_lock_the_entry_and_are_reported(parts):
    desk, store, outbox, clock = parts
    for _ in range(2):
        assert desk.sign_in_pin("000000").status is SignInStatus.WRONG
    locked = desk.sign_in_pin("000000")
    assert locked.status is SignInStatus.LOCKED_OUT and locked.retry_after_s == pytest.approx(120)
    assert desk.sign_in_pin(PIN).status is SignInStatus.LOCKED_OUT  # even the right one, until it lifts
    assert [t for t, _ in events(outbox)] == ["tech.pin.wrong"] * 3
    clock.now += 121
    assert desk.sign_in_pin(PIN).status is SignInStatus.OK


def test_the_technician_lockout_is_its_own(parts, tmp_path):
    desk, store, _, _ = parts
    staff = StaffDesk(StaffSection(max_pin_failures=1, accounts=[
        StaffAccount(id="s1", name="王老师", pin_hash=hash_secret("246810"))]), store, None)
    assert staff.sign_in_pin("000000").status is SignInStatus.LOCKED_OUT
    assert desk.sign_in_pin(PIN).status is SignInStatus.OK  # a locked staff entry leaves this one open


def test_the_session_ends_by_itself(parts):
    desk, store, _, clock = parts
    session = desk.sign_in_pin(PIN).session
    clock.now += 1799
    assert desk.session() == session
    clock.now += 2
    assert desk.session() is None and not desk.out_of_service
    assert actions(store)[-1] == "tech.mode.exit"
    assert json.loads(store.query("SELECT detail FROM audit ORDER BY id DESC LIMIT 1")[0][0])["reason"] == "timeout"


def test_no_accounts_means_no_entry(tmp_path):
    desk = TechnicianDesk(TechnicianSection(), Store(tmp_path / "k.sqlite3"))
    assert desk.sign_in_pin(PIN).status is SignInStatus.NO_ACCOUNTS
    assert not desk.has_accounts
