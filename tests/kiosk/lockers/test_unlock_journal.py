"""The unlock is journaled before its frame goes out (issue 15, fault 7): a process that dies
while the driver waits to see the door open leaves a record that the door may have opened, so
the restart keeps the deposit and spends the pickup, on boards without item sensors too; every
pickup and recovery, also one finished at start-up, sends exactly one business event; and one
operation never unlocks its compartment twice (locker-boards.md §1.6, §1.7)."""

from __future__ import annotations

import pytest

from kiosk.lockers import AlarmKind, CompartmentState, DepositState, OpKind, Status, Step
from tests.kiosk.lockers.conftest import cut_power_at
from tests.kiosk.lockers.support import assert_ledger_matches_boards

NO_SENSOR = 5  # compartment 5: board 1, lock 1, size M, no item sensor (conftest.CABINETS)


class DiesDuringUnlock:
    """The real bus, but the process dies once the unlock frame went out and the driver is
    still waiting to see the door open (SIGKILL, power cut): nothing after it runs."""

    def __init__(self, hw) -> None:
        self.hw = hw

    def unlock(self, board: int, lock: int):
        self.hw.unlock(board, lock)
        raise SystemExit("killed while the driver waited for the door")

    def __getattr__(self, name: str):
        return getattr(self.hw, name)


def dying(lk, env):
    lk.hardware["bus1"] = DiesDuringUnlock(env.hw)
    return lk


def test_deposit_without_a_sensor_killed_during_the_unlock_is_kept(env):
    lk = dying(env.lockers(), env)
    with pytest.raises(SystemExit):
        lk.deposit("staff-7", "CASE-1", "M")
    assert len(env.sim.unlocks(1, 1)) == 1
    env.person.act()  # the staff member puts the envelope in and shuts the door
    lk = env.lockers()
    report = lk.reconcile()
    assert report.kept == [1]  # the envelope is inside: the ledger must not say empty
    assert lk.ledger.deposit(1).state is DepositState.ACTIVE
    assert lk.compartment_state("A", NO_SENSOR) is CompartmentState.OCCUPIED
    assert [a.kind for a in lk.alarms.open_alarms()] == [AlarmKind.DEPOSIT_UNVERIFIED]
    assert len(env.sim.unlocks(1, 1)) == 1  # the reconcile never unlocks
    env.person.mode = "pickup"
    assert lk.recover("staff-7", 1).status is Status.OK  # staff clear it
    assert lk.alarms.open_alarms() == []  # nothing left to check once it is out
    assert [e["deposit_id"] for e in env.business_events("locker.recovery")] == [1]
    assert_ledger_matches_boards(lk, env.hw)


def test_pickup_without_a_sensor_killed_during_the_unlock_is_spent(env):
    lk = env.lockers()
    code = lk.deposit("staff-7", "CASE-1", "M").code
    env.person.mode = "pickup"
    lk = dying(lk, env)
    with pytest.raises(SystemExit):
        lk.pickup_by_code(code)
    env.person.act()  # the citizen takes the certificate and shuts the door
    lk = env.lockers()
    assert lk.reconcile().released == [1]
    assert lk.ledger.deposit(1).state is DepositState.PICKED_UP
    assert lk.pickup_by_code(code).status is Status.WRONG_CODE  # the code is spent
    assert len(env.sim.unlocks(1, 1)) == 2  # one for the deposit, one for the pickup
    assert [e["deposit_id"] for e in env.business_events("locker.pickup")] == [1]
    assert_ledger_matches_boards(lk, env.hw)


STEPS = [Step.UNLOCK_SENT, Step.DOOR_OPENED, Step.DOOR_CLOSED, Step.VERIFIED, Step.DONE]


@pytest.mark.parametrize("kind", [OpKind.PICKUP, OpKind.RECOVERY], ids=["pickup", "recovery"])
@pytest.mark.parametrize("step", STEPS, ids=[s.value for s in STEPS])
def test_a_release_finished_at_start_up_sends_its_event_once(env, kind, step):
    lk = env.lockers(after_step=cut_power_at(kind, step))
    res = lk.deposit("staff-7", "CASE-1", "S")
    env.person.mode = "pickup"
    with pytest.raises(SystemExit):
        lk.pickup_by_code(res.code) if kind is OpKind.PICKUP else lk.recover("staff-7", res.deposit_id)
    env.person.act()
    lk = env.lockers()
    lk.reconcile()
    lk.reconcile()  # a second start-up finds nothing left to finish
    events = env.business_events(f"locker.{kind.value}")
    assert [e["deposit_id"] for e in events] == [res.deposit_id]
    assert events[0]["case_number"] == "CASE-1"
    assert_ledger_matches_boards(lk, env.hw)


def test_a_pickup_whose_door_is_left_open_sends_its_event(env):
    lk = env.lockers()
    code = lk.deposit("staff-7", "CASE-1", "S").code
    env.person.mode = "away"  # takes nothing, shuts nothing
    assert lk.pickup_by_code(code).status is Status.DOOR_LEFT_OPEN
    assert [e["deposit_id"] for e in env.business_events("locker.pickup")] == [1]


def test_a_kept_deposit_sends_its_deposit_event_when_it_gets_a_code(env):
    lk = env.lockers(after_step=cut_power_at(OpKind.DEPOSIT, Step.DOOR_CLOSED))
    with pytest.raises(SystemExit):
        lk.deposit("staff-7", "CASE-1", "S")
    lk = env.lockers()
    assert lk.reconcile().kept == [1]
    assert env.business_events("locker.deposit") == []  # no code yet: the backend cannot tell the citizen
    lk.reissue_code("staff-7", 1)
    lk.reissue_code("staff-7", 1)  # a second code for the same deposit is no second deposit
    assert [e["deposit_id"] for e in env.business_events("locker.deposit")] == [1]


def test_a_door_that_opens_after_the_confirm_window_is_not_unlocked_again(env):
    lk = env.lockers()
    env.sim.open_delay = 0.4  # the latch lets go only after the driver stopped looking (0.1 s)
    res = lk.deposit("staff-7", "CASE-1", "S")
    assert res.status is Status.LOCK_JAMMED
    assert len(env.sim.unlocks(0, 1)) == 1  # §1.6: no second frame on a reading that proves nothing
    assert lk.compartment_state("A", 1) is CompartmentState.OUT_OF_SERVICE
    assert [a.kind for a in lk.alarms.open_alarms()] == [AlarmKind.LOCK_JAMMED]


def test_killed_between_the_journal_and_the_frame_errs_on_the_safe_side(env):
    """The intent is committed and the frame never left: the restart cannot tell, so the rules
    hold anyway. A deposit without a sensor is kept (staff recover the empty box, nothing is
    lost); a pickup is spent, and a sensor that still sees the item calls staff."""
    lk = env.lockers(after_step=cut_power_at(OpKind.DEPOSIT, Step.UNLOCKING))
    with pytest.raises(SystemExit):
        lk.deposit("staff-7", "CASE-1", "M")
    lk = env.lockers()
    assert lk.reconcile().kept == [1]
    assert lk.compartment_state("A", NO_SENSOR) is CompartmentState.OCCUPIED
    assert env.sim.unlocks(1, 1) == []

    code = lk.deposit("staff-7", "CASE-2", "S").code
    lk = env.lockers(after_step=cut_power_at(OpKind.PICKUP, Step.UNLOCKING))
    with pytest.raises(SystemExit):
        lk.pickup_by_code(code)
    lk = env.lockers()
    assert lk.reconcile().released == [2]
    assert lk.pickup_by_code(code).status is Status.WRONG_CODE
    assert len(env.sim.unlocks(0, 1)) == 1  # the deposit's only
    assert lk.compartment_state("A", 1) is CompartmentState.OUT_OF_SERVICE
    assert AlarmKind.ITEM_LEFT in [a.kind for a in lk.alarms.open_alarms(("A", 1))]
    assert [e["deposit_id"] for e in env.business_events("locker.pickup")] == [2]
