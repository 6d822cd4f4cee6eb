from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devicecfg.schema import Cabinet, LockerBoard
from drivers.sim.locker import LockerBusSimulator
from kiosk.backend.outbox import Outbox
from kiosk.bus import Envelope, EventBus
from kiosk.lockers import LockerSettings, Lockers, compartments_from_config
from kiosk.lockers.operations import StepHook
from kiosk.store import Store
from drivers.locker.bus import BoardSpec, BusTimings, LockerBus, Protocol
from drivers.sim.serve import PtyServer
from tests.kiosk.lockers.support import FakeClock, Person

SECRET = b"k" * 32
FAST_BUS = BusTimings(command=0.1, gap=0.001, retries=1, confirm=0.1, confirm_poll=0.005)
SETTINGS = LockerSettings(close_timeout_s=30, door_alarm_s=10, poll_s=1, hold_s=5 * 86400)
CABINETS = [
    Cabinet(id="A", boards=[
        LockerBoard(device="bus1", address=0, locks=4, first_compartment=1, size="S"),
        LockerBoard(device="bus1", address=1, locks=4, first_compartment=5, size="M", item_sensor=False, disabled=[8]),
    ]),
]


@dataclass
class Env:
    path: Path
    sim: LockerBusSimulator
    clock: FakeClock
    person: Person
    bus: EventBus
    events: list[Envelope] = field(default_factory=list)
    store: Store | None = None
    hw: LockerBus | None = None
    server: PtyServer | None = None
    outbox: Outbox | None = None

    def lockers(self, after_step: StepHook | None = None) -> Lockers:
        """A fresh ledger on the same database and the same (still running) boards: a reboot."""
        if self.store is not None:
            self.store.close()
        self.store = Store(self.path)
        self.outbox = Outbox(self.store)
        if self.hw is not None:
            self.hw.close()
        # the real bus driver, through a real pty, as the kiosk runs it
        self.server = self.server or PtyServer(self.sim)
        self.hw = LockerBus("bus1", self.server.path, protocol=Protocol.KERONG_CU, timings=FAST_BUS,
                            boards=[BoardSpec(0, 4), BoardSpec(1, 4, item_sensor=False)])
        self.hw.open()
        return Lockers(self.store, {"bus1": self.hw}, compartments_from_config(CABINETS), SECRET, bus=self.bus,
                       settings=SETTINGS, clock=self.clock, after_step=after_step, outbox=self.outbox)

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def business_events(self, type: str) -> list[dict]:
        """Payloads of the outbox's events of this type, in order."""
        assert self.outbox is not None
        return [e.payload for e in self.outbox.pending(10_000) if e.type == type]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    sim = LockerBusSimulator({"protocol": "kerong-cu", "boards": "2", "locks": "4", "first": "0",
                              "open_delay_ms": "0", "reply_ms": "0", "baud": "0"})
    clock = FakeClock()
    bus = EventBus()
    e = Env(tmp_path / "kiosk.sqlite3", sim, clock, Person(sim, clock), bus)
    bus.subscribe("locker", e.events.append)
    yield e
    if e.store is not None:
        e.store.close()
    if e.hw is not None:
        e.hw.close()
    if e.server is not None:
        e.server.close()


def cut_power_at(kind, step) -> Callable:
    def hook(k, s) -> None:
        if (k, s) == (kind, step):
            raise SystemExit(f"power cut after {k.value} {s.value}")
    return hook
