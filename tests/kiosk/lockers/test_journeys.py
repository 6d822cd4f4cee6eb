"""Deposit, pickup (code, ID card), overdue recovery and the wrong-code lockout."""

from __future__ import annotations

from kiosk.lockers import CompartmentState, DepositState, Status
from tests.kiosk.lockers.conftest import SETTINGS
from tests.kiosk.lockers.support import assert_ledger_matches_boards

ID_NUMBER = "11010519491231002X"  # synthetic, valid check digit


def deposit_state(lk, deposit_id):
    return lk.ledger.deposit(deposit_id).state


def test_deposit_then_pickup_by_code(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-2024-0001", "S")
    assert res.status is Status.OK and (res.cabinet, res.number) == ("A", 1)
    code = res.code
    assert code is not None and len(code) == 6 and code.isdigit()
    assert code not in repr(res)
    assert lk.compartment_state("A", 1) is CompartmentState.OCCUPIED
    assert len(env.sim.unlocks(0, 1)) == 1
    assert_ledger_matches_boards(lk, env.hw)
    # neither the code nor its hash input is stored in clear
    assert not env.store.query("SELECT 1 FROM locker_deposits WHERE code_hash = ? OR code_hash LIKE ?", (code, f"%{code}%"))

    env.person.mode = "pickup"
    out = lk.pickup_by_code(code)
    assert out.status is Status.OK and out.deposit_id == res.deposit_id
    assert deposit_state(lk, res.deposit_id) is DepositState.PICKED_UP
    assert lk.compartment_state("A", 1) is CompartmentState.EMPTY
    assert lk.pickup_by_code(code).status is Status.WRONG_CODE  # single use
    assert len(env.sim.unlocks(0, 1)) == 2
    assert env.names() == ["locker.deposit", "locker.pickup"]
    assert_ledger_matches_boards(lk, env.hw)
    res.forget()
    assert res.code is None


def test_size_falls_back_to_a_larger_compartment_and_skips_disabled(env):
    lk = env.lockers()
    numbers = [lk.deposit("s", f"C{i}", "S").number for i in range(7)]
    assert numbers == [1, 2, 3, 4, 5, 6, 7]  # 8 is disabled in the config
    assert lk.deposit("s", "C8", "S").status is Status.NO_COMPARTMENT
    assert lk.deposit("s", "C9", "L").status is Status.NO_COMPARTMENT


def test_pickup_by_id_card_uses_a_keyed_hash(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-9", "S", recipient_id=ID_NUMBER)
    stored = env.store.query("SELECT recipient_hash FROM locker_deposits WHERE id = ?", (res.deposit_id,))[0][0]
    assert ID_NUMBER not in stored and len(stored) == 64
    env.person.mode = "pickup"
    assert lk.pickup_by_id("110105194912310021").status is Status.NOT_FOUND
    out = lk.pickup_by_id(ID_NUMBER.lower())  # the check character may come as x
    assert out.status is Status.OK and out.deposit_id == res.deposit_id
    assert lk.pickup_by_id(ID_NUMBER).status is Status.NOT_FOUND  # never released twice
    assert lk.pickup_by_code(res.code).status is Status.WRONG_CODE


def test_overdue_listing_and_recovery(env):
    lk = env.lockers()
    old = lk.deposit("staff-7", "CASE-OLD", "S")
    env.clock.advance(6 * 86400)
    new = lk.deposit("staff-8", "CASE-NEW", "S")
    overdue = lk.overdue(SETTINGS.hold_s)
    assert [d.id for d in overdue] == [old.deposit_id]
    assert overdue[0].case_number == "CASE-OLD" and "CASE-OLD" not in repr(overdue[0])
    assert lk.overdue(SETTINGS.hold_s, staff_id="staff-8") == []
    env.person.mode = "pickup"
    out = lk.recover("staff-7", old.deposit_id)
    assert out.status is Status.OK
    assert deposit_state(lk, old.deposit_id) is DepositState.RECOVERED
    assert lk.pickup_by_code(old.code).status is Status.WRONG_CODE
    assert lk.recover("staff-7", old.deposit_id).status is Status.NOT_FOUND
    assert lk.pickup_by_code(new.code).status is Status.OK  # an overdue-free code still works
    assert "locker.recovery" in env.names()
    assert_ledger_matches_boards(lk, env.hw)


def test_overdue_code_stays_valid_until_recovered(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.clock.advance(30 * 86400)
    env.person.mode = "pickup"
    assert lk.pickup_by_code(res.code).status is Status.OK


def test_wrong_codes_lock_the_keypad_then_cool_down(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    wrong = "000000" if res.code != "000000" else "111111"
    statuses = [lk.pickup_by_code(wrong).status for _ in range(SETTINGS.max_failures)]
    assert statuses == [Status.WRONG_CODE] * (SETTINGS.max_failures - 1) + [Status.LOCKED_OUT]
    locked = lk.pickup_by_code(res.code)  # even the right code waits
    assert locked.status is Status.LOCKED_OUT and 0 < locked.retry_after_s <= SETTINGS.cooldown_s
    assert len(env.sim.unlocks(0, 1)) == 1
    env.clock.advance(SETTINGS.cooldown_s)
    env.person.mode = "pickup"
    assert lk.pickup_by_code(res.code).status is Status.OK
    # attempts older than the window no longer count
    env.clock.advance(SETTINGS.failure_window_s)
    assert lk.pickup_by_code(wrong).status is Status.WRONG_CODE


def test_garbage_codes_count_too(env):
    lk = env.lockers()
    for text in ["", "12", "abcdef", "1234567", "12345"]:
        assert lk.pickup_by_code(text).status in (Status.WRONG_CODE, Status.LOCKED_OUT)
    assert lk.lockout_remaining() > 0


def test_reissue_code_replaces_the_old_one(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    new = lk.reissue_code("staff-7", res.deposit_id)
    assert new.status is Status.OK and new.code
    env.person.mode = "pickup"
    if new.code != res.code:
        assert lk.pickup_by_code(res.code).status is Status.WRONG_CODE
    assert lk.pickup_by_code(new.code).status is Status.OK
