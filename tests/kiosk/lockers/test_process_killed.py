"""The real thing: the kiosk process is killed (os._exit, no clean-up) in the middle of a deposit
while the boards live on in another process; a new process reconciles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drivers.locker.bus import BoardSpec, BusTimings, LockerBus, Protocol
from kiosk.lockers import AlarmKind, DepositState, Lockers, compartments_from_config
from kiosk.store import Store
from tests.kiosk.lockers.conftest import CABINETS, SECRET

KIOSK = str(Path(sys.executable).with_name("kiosk"))
TIMINGS = BusTimings(command=0.2, gap=0.002, retries=1, confirm=1.0, confirm_poll=0.02)
CHILD = """
import os, sys
from drivers.locker.bus import BoardSpec, BusTimings, LockerBus, Protocol
from kiosk.lockers import Lockers, compartments_from_config
from kiosk.store import Store
from tests.kiosk.lockers.conftest import CABINETS, SECRET
pty, db, step = sys.argv[1:4]
bus = LockerBus("bus1", pty, protocol=Protocol.KERONG_CU, boards=[BoardSpec(0, 4), BoardSpec(1, 4, item_sensor=False)],
                timings=BusTimings(command=0.2, gap=0.002, retries=1, confirm=1.0, confirm_poll=0.02))
bus.open()
def kill(kind, s):
    if (kind.value, s.value) == ("deposit", step):
        os._exit(9)  # the power goes: no finally, no commit, no close
lk = Lockers(Store(db), {"bus1": bus}, compartments_from_config(CABINETS), SECRET, after_step=kill)
lk.deposit("staff-7", "CASE-1", "S")
"""


@pytest.fixture
def boards():
    proc = subprocess.Popen([KIOSK, "sim", "locker", "--protocol", "kerong-cu", "--boards", "2", "--locks", "4",
                             "--reply-ms", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pty = proc.stdout.readline().split()[1]

    def say(line: str) -> str:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    yield pty, say
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("step", ["unlock_sent", "door_opened"])
def test_killed_mid_deposit_then_restarted(tmp_path, boards, step):
    pty, say = boards
    db = tmp_path / "kiosk.sqlite3"
    child = subprocess.run([sys.executable, "-c", CHILD, pty, str(db), step], capture_output=True, text=True, timeout=60,
                           cwd=Path(__file__).resolve().parents[3])
    assert child.returncode == 9, child.stderr
    assert say("state") == "open doors: 0/1"  # the door the dead process opened
    say("put 0 1")  # the staff member finishes by hand: certificate in, door shut
    say("close 0 1")
    bus = LockerBus("bus1", pty, protocol=Protocol.KERONG_CU, timings=TIMINGS,
                    boards=[BoardSpec(0, 4), BoardSpec(1, 4, item_sensor=False)])
    bus.open()
    try:
        lk = Lockers(Store(db), {"bus1": bus}, compartments_from_config(CABINETS), SECRET)
        report = lk.reconcile()
        assert report.kept == [1] and lk.ledger.deposit(1).state is DepositState.ACTIVE  # nothing lost
        assert lk.ledger.unfinished_operations() == []
        code = lk.reissue_code("staff-7", 1).code  # the code died with the process
        assert code and len(code) == 6
        assert lk.alarms.open_alarms() == []  # the sensor saw the item: nothing for staff to check
    finally:
        bus.close()


def test_killed_mid_deposit_and_nobody_finishes(tmp_path, boards):
    pty, say = boards
    db = tmp_path / "kiosk.sqlite3"
    child = subprocess.run([sys.executable, "-c", CHILD, pty, str(db), "unlock_sent"], capture_output=True, text=True,
                           timeout=60, cwd=Path(__file__).resolve().parents[3])
    assert child.returncode == 9, child.stderr
    bus = LockerBus("bus1", pty, protocol=Protocol.KERONG_CU, timings=TIMINGS,
                    boards=[BoardSpec(0, 4), BoardSpec(1, 4, item_sensor=False)])
    bus.open()
    try:
        lk = Lockers(Store(db), {"bus1": bus}, compartments_from_config(CABINETS), SECRET)
        report = lk.reconcile()
        assert report.rolled_back == [1]  # empty box: the deposit never happened
        assert [a.kind for a in lk.alarms.open_alarms()] == [AlarmKind.DOOR_LEFT_OPEN]
    finally:
        bus.close()
