"""Staff sign-in, lockout, config and the deposit/recovery service (kiosk/services/staff.py) on
the real simulated hall where hardware or the backend is involved."""

from __future__ import annotations

import logging
import threading

import pytest

from devicecfg import check_text
from devicecfg.schema import StaffAccount, StaffSection
from kiosk.backend.client import BackendClient
from kiosk.services.staff import CaseCheck, SessionEnded, SignInStatus, StaffDesk
from kiosk.services.staff_auth import hash_secret, verify_secret
from kiosk.store import Store

PIN = "246810"
CARD = "110105194912310029"  # deck card 5, the simulated hall's staff card


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


def desk(tmp_path, clock=None, **section) -> StaffDesk:
    accounts = [StaffAccount(id="s1", name="王老师", pin_hash=hash_secret(PIN), card_hash=hash_secret(CARD)),
                StaffAccount(id="s2", name="李老师", pin_hash=hash_secret("135790"))]
    settings = StaffSection(accounts=accounts, **section)
    return StaffDesk(settings, Store(tmp_path / "k.sqlite3"), None, clock=clock or Clock())


# -- hashing --------------------------------------------------------------------------------------
def test_pin_hash_is_salted_and_verifies_only_the_pin():
    a, b = hash_secret(PIN), hash_secret(PIN)
    assert a != b and a.startswith("scrypt$") and PIN not in a  # a salt of its own each time
    assert verify_secret(PIN, a) and verify_secret(f" {PIN}\n", b)
    assert not verify_secret("246811", a)
    assert not verify_secret(PIN, "scrypt$zz$00") and not verify_secret(PIN, "md5$" + a[7:])
    assert verify_secret("11010519491231002x", hash_secret("11010519491231002X"))  # x and X alike


def test_the_cli_prints_a_hash_that_verifies(monkeypatch, capsys):
    import io

    from kiosk.cli import build_parser

    def run(stdin: str, *argv: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        args = build_parser().parse_args(["staff-pin", *argv])
        return args.handler(args)

    assert run(PIN + "\n") == 0
    out = capsys.readouterr().out.strip()
    assert verify_secret(PIN, out) and PIN not in out
    assert run("12\n") == 2 and capsys.readouterr().out == ""
    assert run(CARD + "\n", "--card") == 0
    assert verify_secret(CARD, capsys.readouterr().out.strip())


# -- sign-in and lockout ---------------------------------------------------------------------------
def test_right_pin_opens_a_session_for_its_account_and_is_audited(tmp_path):
    d = desk(tmp_path)
    result = d.sign_in_pin("135790")
    assert result.status is SignInStatus.OK and result.session.staff_id == "s2"
    assert d.active(result.session)
    d.end(result.session, "logout")
    d.end(result.session, "logout")  # twice: nothing more
    assert not d.active(result.session)
    actions = [r[0] for r in d.store.query("SELECT action FROM audit ORDER BY ts, rowid")]
    assert actions == ["staff.session.start", "staff.session.end"]
    with pytest.raises(SessionEnded):
        d.check_case(result.session, "BJ2026-0001")


def test_card_signs_in_its_account_and_a_stranger_card_does_not(tmp_path):
    d = desk(tmp_path)
    assert d.sign_in_card(CARD).session.staff_id == "s1"
    assert d.sign_in_card("440304198507120010").status is SignInStatus.WRONG


def test_five_wrong_pins_in_five_minutes_lock_for_five_minutes(tmp_path):
    clock = Clock()
    d = desk(tmp_path, clock)
    for n in range(4):
        assert d.sign_in_pin("000000").status is SignInStatus.WRONG, n
        clock.t += 30
    locked = d.sign_in_pin("111111")
    assert locked.status is SignInStatus.LOCKED_OUT and locked.retry_after_s == pytest.approx(300)
    clock.t += 200
    still = d.sign_in_pin(PIN)  # even the right PIN waits
    assert still.status is SignInStatus.LOCKED_OUT and still.retry_after_s == pytest.approx(100)
    # the lockout is in the store: a restarted kiosk keeps it
    again = StaffDesk(d.settings, d.store, None, clock=clock)
    assert again.sign_in_pin(PIN).status is SignInStatus.LOCKED_OUT
    clock.t += 101
    assert d.sign_in_pin(PIN).status is SignInStatus.OK


def test_wrong_pins_spread_over_more_than_the_window_do_not_lock(tmp_path):
    clock = Clock()
    d = desk(tmp_path, clock)
    for _ in range(8):
        assert d.sign_in_pin("000000").status is SignInStatus.WRONG
        clock.t += 80


def test_session_ends_by_itself_after_session_s(tmp_path):
    clock = Clock()
    d = desk(tmp_path, clock, session_s=60)
    session = d.sign_in_pin(PIN).session
    clock.t += 61
    assert not d.active(session)
    with pytest.raises(SessionEnded):
        d.overdue(session)


def test_no_accounts_no_entry(tmp_path):
    d = StaffDesk(StaffSection(), Store(tmp_path / "k.sqlite3"), None)
    assert d.sign_in_pin(PIN).status is SignInStatus.NO_ACCOUNTS


def test_the_pin_and_card_never_reach_a_log_line(tmp_path, caplog):
    from kiosk.logs import redact

    caplog.set_level(logging.DEBUG)
    d = desk(tmp_path)
    d.sign_in_pin(PIN)
    d.sign_in_pin("999999")
    d.sign_in_card(CARD)
    text = "\n".join(redact(r.getMessage()) + repr(r.__dict__) for r in caplog.records)
    assert PIN not in text and "999999" not in text and CARD not in text
    assert "staff session started" in text


# -- config ---------------------------------------------------------------------------------------
BASE = """
[kiosk]
id = "k1"
hall_name = "测试大厅"

[backend]
url = "http://127.0.0.1:1/"

[[service_groups]]
id = "g"
name = "综合"
services = [{ code = "a", name = "受理", prefix = "A" }]
"""


def test_a_pin_in_clear_is_a_config_error_naming_key_and_line_without_echoing_it():
    text = BASE + '\n[staff]\n\n[[staff.accounts]]\nid = "s1"\nname = "王"\npin_hash = "246810"\n'
    problems = check_text(text, "site.toml")
    assert [(p.path, p.line) for p in problems] == [("staff.accounts[0].pin_hash", text.splitlines().index('pin_hash = "246810"') + 1)]
    assert "kiosk staff-pin" in problems[0].message and "246810" not in str(problems[0])


def test_unknown_staff_key_and_duplicate_ids_are_reported_with_lines():
    h = hash_secret(PIN)
    text = BASE + (f'\n[staff]\nsession_minutes = 5\n\n[[staff.accounts]]\nid = "s1"\nname = "王"\npin_hash = "{h}"\n'
                   f'\n[[staff.accounts]]\nid = "s1"\nname = "李"\npin_hash = "{h}"\n')
    problems = {p.path: p for p in check_text(text, "site.toml")}
    assert set(problems) == {"staff.session_minutes", "staff.accounts[1].id"}
    assert "session_s" in problems["staff.session_minutes"].message  # did you mean
    assert problems["staff.session_minutes"].line == text.splitlines().index("session_minutes = 5") + 1
    assert "staff.accounts[0]" in problems["staff.accounts[1].id"].message
    assert problems["staff.accounts[1].id"].line > problems["staff.session_minutes"].line


def test_the_simulated_hall_has_the_documented_demo_account():
    from devicecfg import load_config

    staff = load_config().staff
    assert [a.id for a in staff.accounts] == ["staff-demo"]
    assert verify_secret(PIN, staff.accounts[0].pin_hash) and verify_secret(CARD, staff.accounts[0].card_hash)


# -- the backend's word on a case ------------------------------------------------------------------
def test_backend_unreachable_refuses_the_deposit(tmp_path):
    d = desk(tmp_path)
    d.client = BackendClient("http://127.0.0.1:9/", "k1", "00" * 32, timeout=1)  # nothing listens there
    session = d.sign_in_pin(PIN).session
    assert d.check_case(session, "BJ2026-0001") is CaseCheck.OFFLINE
    assert d.check_case(session, "BJ 2026") is CaseCheck.BAD_FORMAT
    with pytest.raises(ValueError):
        d.deposit(session, "BJ2026-0001", "M")  # no door opens for an unvalidated case


@pytest.fixture
def hall(tmp_path):
    from drivers.device import DeviceState
    from drivers.sim import registry
    from kiosk.composition import build_kiosk

    kiosk = build_kiosk(data=tmp_path)
    kiosk.start()
    try:
        devices = kiosk.supervisor.devices
        for _ in range(150):
            if all(devices[d].state is DeviceState.ONLINE for d in ("printer", "locker0")):
                break
            threading.Event().wait(0.1)
        yield kiosk
    finally:
        kiosk.stop()
        registry.forget_instances()


def test_deposit_prints_the_slip_and_recovery_opens_the_door(hall, caplog):
    from drivers.sim import registry
    from tests.kiosk.test_lockers_in_the_kiosk import person_closes_doors

    caplog.set_level(logging.DEBUG)
    d = hall.staff
    session = d.sign_in_pin(PIN).session
    assert d.check_case(session, "BJ2026-9999") is CaseCheck.UNKNOWN
    assert d.check_case(session, "bj2026-0002") is CaseCheck.VALID
    assert [(s.size.value, s.free) for s in d.sizes()] == [("M", 16), ("L", 16)]
    sim, stop = registry.simulator_for("locker", {}), threading.Event()
    person_closes_doors(sim, stop)
    opened = []
    try:
        outcome = d.deposit(session, "BJ2026-0002", "M", on_open=lambda cab, n: opened.append(n))
        assert outcome.printed and outcome.code is None, outcome
        assert opened == [outcome.number]
        printer = registry.simulator_for("printer", {})
        assert printer.wait_idle(5) and printer.tickets
        lines = printer.tickets[-1].lines
        assert any(f"{outcome.number} 号" in line for line in lines) and any("BJ2026-0002" in line for line in lines)
        code = next(line.strip() for line in lines if line.strip().isdigit() and len(line.strip()) == 6)
        # overdue: nothing yet; five days on, it is listed
        assert d.overdue(session) == []
        _backdate(hall.store)
        items = d.overdue(session)
        assert [(i.number, i.days, i.case_number) for i in items] == [(outcome.number, 6, "BJ2026-0002")]
        assert "BJ2026-0002" not in repr(items)
        result = d.recover(session, items[0].deposit_id, on_open=lambda cab, n: opened.append(-n))
        assert result.status.value in ("ok", "item_left") and opened[-1] == -outcome.number
    finally:
        stop.set()
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)  # before any redaction
    assert "locker deposit" in logged and code not in logged and "BJ2026-0002" not in logged


def _backdate(store) -> None:
    with store.transaction() as db:
        db.execute("UPDATE locker_deposits SET created_at = created_at - 6 * 86400")
