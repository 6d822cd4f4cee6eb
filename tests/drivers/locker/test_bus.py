"""The lock-board bus driver against the bus simulator, in-process and over a real pty, both families."""

import itertools
import threading

import pytest

from drivers.device import FaultRaised, Unsolicited
from drivers.errors import PortTimeout
from drivers.locker.bus import BoardOnline, BoardSpec, BusHealth, BusTimings, DoorChanged, LockerBus, Protocol
from drivers.locker.types import Door, Item
from drivers.sim import registry
from drivers.sim.locker import LockerBusSimulator, ReplyFaults
from drivers.sim.serve import PtyServer

_ids = itertools.count()
FAST = BusTimings(command=0.15, gap=0.002, retries=1, offline_after=2, confirm=1.0, confirm_poll=0.03)
SIM = {"reply_ms": "3", "open_delay_ms": "30", "fire_ms": "10"}


class Rig:
    def __init__(self, how: str, protocol: Protocol, boards: int = 2) -> None:
        opts = SIM | {"protocol": protocol.value, "boards": str(boards)}
        if how == "sim":
            sid = f"b{next(_ids)}"
            self.sim = registry.simulator_for("locker", opts | {"id": sid})
            port = "sim://locker?" + "&".join(f"{k}={v}" for k, v in (opts | {"id": sid}).items())
            self.server = None
        else:
            self.sim = LockerBusSimulator(opts)
            self.server = PtyServer(self.sim)
            port = self.server.path
        self.addresses = sorted(self.sim.boards)
        locks = self.sim.locks_per_board
        sensor = protocol is Protocol.KERONG_CU
        self.events = []
        self.bus = LockerBus("locker0", port, protocol=protocol, timings=FAST, listener=self.events.append,
                             boards=[BoardSpec(a, locks, item_sensor=sensor) for a in self.addresses])

    def payloads(self, name):
        return [e.payload for e in self.events if isinstance(e, Unsolicited) and e.name == name]

    def close(self):
        self.bus.close()
        if self.server:
            self.server.close()


@pytest.fixture(params=[("sim", Protocol.KERONG_CU), ("pty", Protocol.KERONG_CU), ("sim", Protocol.BCC_8A), ("pty", Protocol.BCC_8A)],
                ids=["sim-kerong", "pty-kerong", "sim-bcc", "pty-bcc"])
def rig(request):
    r = Rig(*request.param)
    yield r
    r.close()
    registry.forget_instances()


def test_multi_board_polling(rig):
    rig.bus.open()
    assert rig.bus.status.boards is BusHealth.ALL_ONLINE
    for a in rig.addresses:
        assert rig.bus.board_online(a) and rig.bus.door(a, 1) is Door.CLOSED


def test_unlock_is_observed_open_then_closed(rig):
    rig.bus.open()
    board = rig.addresses[1]
    result = rig.bus.unlock(board, 3)
    assert result.opened and result.door is Door.OPEN and f"board {board} lock 3" in result.detail
    assert len(rig.sim.unlocks(board, 3)) == 1
    rig.sim.close_door(board, 3)
    rig.bus.poll()
    assert rig.bus.door(board, 3) is Door.CLOSED
    assert [(c.lock, c.door, c.forced) for c in rig.payloads("locker.door")] == [(3, Door.OPEN, False), (3, Door.CLOSED, False)]


def test_jammed_lock_is_not_reported_open(rig):
    rig.bus.open()
    board = rig.addresses[0]
    rig.sim.jam(board, 7, True)
    result = rig.bus.unlock(board, 7)
    assert not result.opened and result.door is Door.CLOSED and "still reads closed" in result.detail
    faults = [e.fault.code for e in rig.events if isinstance(e, FaultRaised)]
    assert faults == ["lock_not_opened"]


def test_forced_opening_is_flagged(rig):
    rig.bus.open()
    board = rig.addresses[0]
    rig.sim.open_door(board, 2)
    rig.bus.poll()
    assert rig.payloads("locker.door") == [DoorChanged(board, 2, Door.OPEN, forced=True)]


def test_a_board_going_offline_and_coming_back(rig):
    rig.bus.open()
    gone, other = rig.addresses
    rig.sim.set_board_offline(gone, True)
    rig.bus.poll()
    rig.bus.poll()
    assert not rig.bus.board_online(gone) and rig.bus.board_online(other)
    assert rig.bus.door(gone, 1) is Door.UNKNOWN and rig.bus.door(other, 1) is Door.CLOSED
    assert rig.bus.status.boards is BusHealth.SOME_OFFLINE
    assert rig.bus.unlock(other, 1).opened  # the others still serve
    rig.sim.set_board_offline(gone, False)
    rig.bus.poll()
    assert rig.bus.board_online(gone)
    assert rig.payloads("locker.board")[-2:] == [BoardOnline(gone, False), BoardOnline(gone, True)]


def test_every_board_silent_is_a_transport_failure(rig):
    rig.bus.open()
    for a in rig.addresses:
        rig.sim.set_board_offline(a, True)
    rig.bus.poll()
    with pytest.raises(PortTimeout, match="no lock board answers"):
        rig.bus.poll()


def test_corrupted_reply_is_retried(rig):
    rig.bus.open()
    rig.sim.corrupt_next_reply()
    rig.bus.poll()
    assert all(rig.bus.board_online(a) for a in rig.addresses)
    assert rig.bus.stats.snapshot()["communication_errors"] >= 1


def test_lost_unlock_reply_never_releases_twice(rig):
    """The reply to the unlock is corrupted: the driver reads the lock before any re-send."""
    rig.bus.open()
    board = rig.addresses[0]
    rig.sim.corrupt_next_reply()
    assert rig.bus.unlock(board, 4).opened
    assert len(rig.sim.unlocks(board, 4)) == 1


def test_polling_never_starves_an_unlock(rig):
    rig.bus.open()
    stop = threading.Event()

    def sweep():
        while not stop.is_set():
            rig.bus.poll()

    poller = threading.Thread(target=sweep)
    poller.start()
    try:
        results = [rig.bus.unlock(rig.addresses[-1], n) for n in (1, 2, 3)]
    finally:
        stop.set()
        poller.join(5)
    assert all(r.opened for r in results)


def test_item_sensors(request):
    r = Rig("sim", Protocol.KERONG_CU)
    try:
        r.bus.open()
        r.sim.put_item(0, 5)
        r.bus.poll()
        assert r.bus.item(0, 5) is Item.PRESENT and r.bus.item(0, 6) is Item.ABSENT
        assert r.payloads("locker.item")[-1].item is Item.PRESENT
    finally:
        r.close()
        registry.forget_instances()


def test_late_and_duplicated_replies_one_unlock_frame(rig):
    """Both ways (sim:// and a pty): replies 2-4 command timeouts late, some sent twice."""
    rig.bus.open()
    board = rig.addresses[0]
    rig.sim.set_faults(board, ReplyFaults(late=(0.3, 0.6), duplicate=0.5))
    result = rig.bus.unlock(board, 6)
    assert result.opened and result.answered and len(rig.sim.unlocks(board, 6)) == 1
    assert rig.bus.stats.snapshot()["late_replies"] >= 2
