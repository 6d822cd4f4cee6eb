"""Helpers for the locker ledger tests: a fake clock whose sleep lets a scripted person act on
the simulated doors, and ledger-vs-boards checks. The hardware is the real bus driver."""

from __future__ import annotations

from collections.abc import Callable

from drivers.locker.types import Door, Item
from drivers.sim.locker import LockerBusSimulator
from kiosk.lockers import CompartmentState, DepositState, Lockers, Step


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0
        self.m = 0.0
        self.on_sleep: list[Callable[[], None]] = []

    def time(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.m

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.m += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        for act in list(self.on_sleep):
            act()


class Person:
    """Whoever stands at the cabinet: on each sleep of the ledger, after `patience` sleeps, acts
    on every open door. deposit: puts the item in and shuts it; pickup: takes it and shuts it;
    shut: only shuts it; leave: puts the item in and walks off; away: does nothing."""

    def __init__(self, sim: LockerBusSimulator, clock: FakeClock) -> None:
        self.sim = sim
        self.mode = "deposit"
        self.patience = 0
        self._waited = 0
        clock.on_sleep.append(self._tick)

    def _tick(self) -> None:
        self._waited += 1
        if self._waited > self.patience:
            self.act()

    def act(self) -> None:
        for board in self.sim.boards:
            for lock in range(1, self.sim.locks_per_board + 1):
                if self.sim.door(board, lock) is not Door.OPEN or self.mode == "away":
                    continue
                if self.mode in ("deposit", "leave"):
                    self.sim.put_item(board, lock)
                    if self.mode == "leave":
                        continue
                elif self.mode == "pickup":
                    self.sim.take_item(board, lock)
                self.sim.close_door(board, lock)
                self._waited = 0


def assert_ledger_matches_boards(lk: Lockers, hw) -> None:
    assert lk.ledger.unfinished_operations() == []
    hw.refresh()
    for c in lk.compartments.values():
        state = lk.compartment_state(c.cabinet, c.number)
        active = lk.ledger.store.query(
            "SELECT count(*) FROM locker_deposits WHERE cabinet = ? AND number = ? AND state IN (?, ?)",
            (c.cabinet, c.number, DepositState.ACTIVE.value, DepositState.PENDING.value))[0][0]
        assert state not in (CompartmentState.RESERVED, CompartmentState.RELEASING), c
        assert active <= 1, c
        if hw.door(c.board, c.lock) is Door.OPEN:
            assert state is CompartmentState.OUT_OF_SERVICE, c
        if c.has_sensor and hw.item(c.board, c.lock) is Item.PRESENT:  # no deposit lost
            assert active == 1 or state is CompartmentState.OUT_OF_SERVICE, c
        if state is CompartmentState.OCCUPIED:
            assert active == 1, c
            if c.has_sensor:
                assert hw.item(c.board, c.lock) is Item.PRESENT, c
        if state is CompartmentState.EMPTY:
            assert active == 0, c


def unfinished_steps(lk: Lockers) -> list[Step]:
    return [op.step for op in lk.ledger.unfinished_operations()]
