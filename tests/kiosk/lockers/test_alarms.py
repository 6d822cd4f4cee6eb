"""Jammed locks, doors left open, forced doors and sensor disagreement."""

from __future__ import annotations

from kiosk.lockers import AlarmKind, CompartmentState, DepositState, Status
from tests.kiosk.lockers.support import assert_ledger_matches_boards


def kinds(lk, key=None):
    return [a.kind for a in lk.alarms.open_alarms(key)]


def test_jammed_lock_on_deposit_is_unlocked_once_then_goes_out_of_service(env):
    lk = env.lockers()
    env.sim.jam(0, 1)
    res = lk.deposit("staff-7", "CASE-1", "S")
    assert res.status is Status.LOCK_JAMMED and res.code is None
    assert len(env.sim.unlocks(0, 1)) == 1  # never a second frame for one operation (§1.6)
    assert lk.compartment_state("A", 1) is CompartmentState.OUT_OF_SERVICE
    assert kinds(lk) == [AlarmKind.LOCK_JAMMED]
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.CANCELLED
    assert lk.deposit("staff-7", "CASE-1", "S").number == 2  # the next deposit avoids it
    assert "locker.alarm" in env.names()


def test_jammed_lock_on_pickup_tells_the_citizen_to_contact_staff(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.sim.jam(0, 1)
    out = lk.pickup_by_code(res.code)
    assert out.status is Status.LOCK_JAMMED and "staff" in out.message
    assert len(env.sim.unlocks(0, 1)) == 2  # the deposit's and the pickup's
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.ACTIVE  # code not spent
    assert lk.pickup_by_code(res.code).status is Status.LOCK_JAMMED  # out of service: no new unlock
    assert len(env.sim.unlocks(0, 1)) == 2
    env.sim.jam(0, 1, False)  # the technician fixes the latch
    assert lk.restore("tech-1", "A", 1) is CompartmentState.OCCUPIED
    assert kinds(lk) == []
    env.person.mode = "pickup"
    assert lk.pickup_by_code(res.code).status is Status.OK


def test_a_door_seen_open_after_a_missed_confirmation_is_not_unlocked_again(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    real_unlock = env.hw.unlock

    def unlock_missing_the_open(board, lock):  # the driver stopped polling just before the door opened
        r = real_unlock(board, lock)
        return type(r)(False, r.door, "no open seen")

    env.hw.unlock = unlock_missing_the_open
    env.person.mode = "pickup"
    assert lk.pickup_by_code(res.code).status is Status.OK
    assert len(env.sim.unlocks(0, 1)) == 2  # deposit + pickup: no retry


def test_an_offline_board_is_never_unlocked_blindly(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.sim.set_board_offline(0)
    out = lk.pickup_by_code(res.code)
    assert out.status is Status.BOARD_OFFLINE and "staff" in out.message
    assert len(env.sim.unlocks(0, 1)) == 1  # the silent board never heard an unlock
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.ACTIVE
    assert kinds(lk) == [AlarmKind.BOARD_OFFLINE]


def test_door_left_open_raises_then_clears_when_closed(env):
    lk = env.lockers()
    env.person.patience = 12  # the staff member takes 12 s (alarm after 10 s)
    res = lk.deposit("staff-7", "CASE-1", "S")
    assert res.status is Status.OK
    raised = [e for e in env.events if e.name == "locker.alarm"]
    cleared = [e for e in env.events if e.name == "locker.alarm_cleared"]
    assert [e.payload["kind"] for e in raised] == ["door_left_open"]
    assert [e.payload["kind"] for e in cleared] == ["door_left_open"]
    assert kinds(lk) == []


def test_pickup_door_never_closed_goes_out_of_service(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.person.mode = "away"
    out = lk.pickup_by_code(res.code)
    assert out.status is Status.DOOR_LEFT_OPEN
    assert kinds(lk) == [AlarmKind.DOOR_LEFT_OPEN]
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.PICKED_UP  # released at door open
    assert lk.compartment_state("A", 1) is CompartmentState.OUT_OF_SERVICE
    assert lk.pickup_by_code(res.code).status is Status.WRONG_CODE
    assert lk.restore("staff-7", "A", 1) is None  # still open
    env.sim.take_item(0, 1)
    env.sim.close_door(0, 1)
    assert lk.restore("staff-7", "A", 1) is CompartmentState.EMPTY
    assert_ledger_matches_boards(lk, env.hw)


def test_deposit_door_never_closed_keeps_an_item_that_went_in(env):
    lk = env.lockers()
    env.person.mode = "leave"  # the item goes in, the door stays open
    res = lk.deposit("staff-7", "CASE-1", "S")
    assert res.status is Status.DOOR_LEFT_OPEN and res.code is None
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.ACTIVE  # not lost: staff recover or reissue
    assert lk.compartment_state("A", 1) is CompartmentState.OUT_OF_SERVICE
    assert kinds(lk) == [AlarmKind.DOOR_LEFT_OPEN]
    assert_ledger_matches_boards(lk, env.hw)
    env.sim.close_door(0, 1)
    assert lk.restore("staff-7", "A", 1) is CompartmentState.OCCUPIED


def test_deposit_door_never_closed_and_empty_is_cancelled(env):
    lk = env.lockers()
    env.person.mode = "away"
    res = lk.deposit("staff-7", "CASE-1", "S")
    assert res.status is Status.DOOR_LEFT_OPEN
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.CANCELLED
    assert_ledger_matches_boards(lk, env.hw)


def test_forced_door_raises_a_tamper_alarm(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.sim.open_door(0, 1)
    env.sim.open_door(0, 3)
    lk.patrol()
    assert {(a.number, a.kind) for a in lk.alarms.open_alarms()} == {(1, AlarmKind.FORCED_OPEN), (3, AlarmKind.FORCED_OPEN)}
    assert lk.pickup_by_code(res.code).status is Status.LOCK_JAMMED  # staff must check first
    lk.patrol()
    assert len(lk.alarms.open_alarms()) == 2  # raised once
    env.sim.close_door(0, 1)
    env.sim.close_door(0, 3)
    assert lk.restore("staff-7", "A", 1) is CompartmentState.OCCUPIED
    assert lk.restore("staff-7", "A", 3) is CompartmentState.EMPTY
    assert_ledger_matches_boards(lk, env.hw)


def test_sensor_disagreement_after_deposit_and_after_pickup(env):
    lk = env.lockers()
    env.person.mode = "shut"  # the staff member shuts the door with nothing inside
    res = lk.deposit("staff-7", "CASE-1", "S")
    assert res.status is Status.NO_ITEM and res.code is None
    assert kinds(lk) == [AlarmKind.ITEM_MISSING]
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.CANCELLED
    assert lk.compartment_state("A", 1) is CompartmentState.EMPTY

    env.person.mode = "deposit"
    res = lk.deposit("staff-7", "CASE-2", "S")
    env.person.mode = "shut"  # the citizen shuts the door on their certificate
    out = lk.pickup_by_code(res.code)
    assert out.status is Status.ITEM_LEFT
    assert AlarmKind.ITEM_LEFT in kinds(lk)
    assert lk.pickup_by_code(res.code).status is Status.WRONG_CODE  # released once only
    assert_ledger_matches_boards(lk, env.hw)


def test_item_vanishing_from_an_occupied_cell_is_reported(env):
    lk = env.lockers()
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.sim.take_item(0, res.number)
    lk.patrol()
    assert kinds(lk) == [AlarmKind.ITEM_MISSING]
