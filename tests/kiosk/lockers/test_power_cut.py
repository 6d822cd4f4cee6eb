"""A power cut after every step of deposit and pickup: a new ledger on the same database and the
same (still powered) boards reconciles; no deposit is lost and nothing is released twice."""

from __future__ import annotations

import pytest

from kiosk.lockers import AlarmKind, CompartmentState, DepositState, OpKind, Status, Step
from tests.kiosk.lockers.conftest import cut_power_at
from tests.kiosk.lockers.support import assert_ledger_matches_boards

STEPS = [Step.PLANNED, Step.UNLOCK_SENT, Step.DOOR_OPENED, Step.DOOR_CLOSED, Step.VERIFIED, Step.DONE]


@pytest.mark.parametrize("step", STEPS, ids=[s.value for s in STEPS])
def test_power_cut_during_deposit(env, step):
    lk = env.lockers(after_step=cut_power_at(OpKind.DEPOSIT, step))
    with pytest.raises(SystemExit):
        lk.deposit("staff-7", "CASE-1", "S")
    env.person.act()  # the staff member finishes: item in, door shut
    lk = env.lockers()
    report = lk.reconcile()
    assert_ledger_matches_boards(lk, env.hw)
    assert len(env.sim.unlocks(0, 1)) == (0 if step is Step.PLANNED else 1)
    state = lk.ledger.deposit(1).state
    if step is Step.PLANNED:
        assert state is DepositState.CANCELLED and report.rolled_back == [1]
        return
    assert state is DepositState.ACTIVE  # the item is in: kept
    assert report.kept == ([] if step is Step.DONE else [1])
    code = lk.reissue_code("staff-7", 1).code  # the code died with the power: staff issue a new one
    env.person.mode = "pickup"
    assert lk.pickup_by_code(code).status is Status.OK
    assert len(env.sim.unlocks(0, 1)) == 2
    assert_ledger_matches_boards(lk, env.hw)


@pytest.mark.parametrize("step", [Step.UNLOCK_SENT, Step.DOOR_OPENED], ids=["unlock_sent", "door_opened"])
def test_power_cut_during_deposit_then_staff_walks_away(env, step):
    lk = env.lockers(after_step=cut_power_at(OpKind.DEPOSIT, step))
    with pytest.raises(SystemExit):
        lk.deposit("staff-7", "CASE-1", "S")
    lk = env.lockers()
    assert lk.reconcile().rolled_back == [1]
    assert [a.kind for a in lk.alarms.open_alarms()] == [AlarmKind.DOOR_LEFT_OPEN]
    assert_ledger_matches_boards(lk, env.hw)


@pytest.mark.parametrize("step", STEPS, ids=[s.value for s in STEPS])
def test_power_cut_during_pickup(env, step):
    lk = env.lockers(after_step=cut_power_at(OpKind.PICKUP, step))
    code = lk.deposit("staff-7", "CASE-1", "S").code
    env.person.mode = "pickup"
    with pytest.raises(SystemExit):
        lk.pickup_by_code(code)
    env.person.act()  # the citizen takes the certificate from an open door and shuts it
    lk = env.lockers()
    report = lk.reconcile()
    assert_ledger_matches_boards(lk, env.hw)
    if step is Step.PLANNED:  # the unlock never went out: the code still works, once
        assert report.not_released == [1]
        assert len(env.sim.unlocks(0, 1)) == 1
        assert lk.pickup_by_code(code).status is Status.OK
    else:
        assert report.released == ([] if step is Step.DONE else [1])
        assert lk.ledger.deposit(1).state is DepositState.PICKED_UP
        assert lk.pickup_by_code(code).status is Status.WRONG_CODE
    assert len(env.sim.unlocks(0, 1)) == 2  # one for the deposit, one for the pickup: never two releases
    assert lk.compartment_state("A", 1) is CompartmentState.EMPTY
    assert_ledger_matches_boards(lk, env.hw)


@pytest.mark.parametrize("step", [Step.UNLOCK_SENT, Step.DOOR_OPENED], ids=["unlock_sent", "door_opened"])
def test_power_cut_during_pickup_with_the_door_still_open(env, step):
    lk = env.lockers(after_step=cut_power_at(OpKind.PICKUP, step))
    code = lk.deposit("staff-7", "CASE-1", "S").code
    with pytest.raises(SystemExit):
        lk.pickup_by_code(code)
    lk = env.lockers()
    assert lk.reconcile().released == [1]  # counted as released, never reopened
    assert lk.compartment_state("A", 1) is CompartmentState.OUT_OF_SERVICE
    assert len(env.sim.unlocks(0, 1)) == 2
    assert_ledger_matches_boards(lk, env.hw)


def test_power_cut_during_recovery_counts_as_recovered(env):
    lk = env.lockers(after_step=cut_power_at(OpKind.RECOVERY, Step.UNLOCK_SENT))
    res = lk.deposit("staff-7", "CASE-1", "S")
    with pytest.raises(SystemExit):
        lk.recover("staff-7", res.deposit_id)
    env.person.mode = "pickup"
    env.person.act()
    lk = env.lockers()
    lk.reconcile()
    assert lk.ledger.deposit(res.deposit_id).state is DepositState.RECOVERED
    assert_ledger_matches_boards(lk, env.hw)


def test_deposit_without_a_sensor_interrupted_is_kept_and_flagged(env):
    lk = env.lockers()
    for i in range(4):  # fill the sensored S cells so that the next deposit lands in M (no sensor)
        lk.deposit("s", f"C{i}", "S")
    lk = env.lockers(after_step=cut_power_at(OpKind.DEPOSIT, Step.DOOR_OPENED))
    with pytest.raises(SystemExit):
        lk.deposit("s", "C5", "M")
    env.person.act()
    lk = env.lockers()
    assert lk.reconcile().kept == [5]
    assert lk.compartment_state("A", 5) is CompartmentState.OCCUPIED
    assert [a.kind for a in lk.alarms.open_alarms()] == [AlarmKind.DEPOSIT_UNVERIFIED]


def test_open_door_without_an_operation_at_start_up_is_forced_open(env):
    lk = env.lockers()
    lk.deposit("staff-7", "CASE-1", "S")
    env.sim.open_door(0, 1)
    lk = env.lockers()
    lk.reconcile()
    assert [(a.number, a.kind) for a in lk.alarms.open_alarms()] == [(1, AlarmKind.FORCED_OPEN)]


def test_offline_board_at_start_up_leaves_the_operation_for_later(env):
    lk = env.lockers(after_step=cut_power_at(OpKind.PICKUP, Step.UNLOCK_SENT))
    code = lk.deposit("staff-7", "CASE-1", "S").code
    with pytest.raises(SystemExit):
        lk.pickup_by_code(code)
    env.sim.set_board_offline(0)
    lk = env.lockers()
    report = lk.reconcile()
    assert report.skipped and [op.step for op in lk.ledger.unfinished_operations()] == [Step.UNLOCK_SENT]
    env.sim.set_board_offline(0, False)
    env.person.mode = "pickup"
    env.person.act()
    assert lk.reconcile().released == [1]
    assert len(env.sim.unlocks(0, 1)) == 2
