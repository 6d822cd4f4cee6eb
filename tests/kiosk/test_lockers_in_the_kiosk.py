"""The simulated hall's lockers through the composition root: supervisor, bus driver, ledger."""

import threading
import time

from drivers.device import DeviceState
from drivers.locker.types import Door
from drivers.sim import registry
from kiosk.composition import build_kiosk
from kiosk.lockers import Status
from tests.support import wait_for


def person_closes_doors(sim, stop: threading.Event) -> threading.Thread:
    """Whoever stands at the locker: puts in or takes out the item, then shuts the door."""

    def watch() -> None:
        opened_at: dict[tuple[int, int], float] = {}
        filled: set[tuple[int, int]] = set()
        while not stop.wait(0.05):
            now = time.monotonic()
            for board in sim.boards:
                for lock in range(1, sim.locks_per_board + 1):
                    if sim.door(board, lock) is not Door.OPEN:
                        opened_at.pop((board, lock), None)
                    elif now - opened_at.setdefault((board, lock), now) > 0.8:  # a person takes a moment
                        # staff put the certificate in an empty box; the citizen takes it out
                        (sim.take_item if (board, lock) in filled else sim.put_item)(board, lock)
                        filled.symmetric_difference_update({(board, lock)})
                        sim.close_door(board, lock)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def test_deposit_then_pickup_in_the_simulated_hall(tmp_path):
    kiosk = build_kiosk(data=tmp_path)
    events = []
    kiosk.bus.subscribe("locker", events.append)
    kiosk.start()
    stop = threading.Event()
    try:
        locker = kiosk.supervisor.devices["locker0"]
        assert wait_for(lambda: locker.state is DeviceState.ONLINE, 10)
        sim = registry.simulator_for("locker", {})
        person_closes_doors(sim, stop)
        deposit = kiosk.lockers.deposit("staff-01", "CASE-2026-000123", "L")
        assert deposit.status is Status.OK, deposit.message
        assert deposit.number >= 17  # the L compartments of the simulated hall
        code = deposit.code
        wrong = kiosk.lockers.pickup_by_code("000000" if code != "000000" else "111111")
        assert wrong.status is not Status.OK
        pickup = kiosk.lockers.pickup_by_code(code)
        assert pickup.status is Status.OK and pickup.number == deposit.number
        assert kiosk.lockers.pickup_by_code(code).status is not Status.OK  # spent
        board, lock = (1, deposit.number - 16)
        assert len(sim.unlocks(board, lock)) == 2  # once for the deposit, once for the pickup
        names = [e.name for e in events]
        assert "locker.deposit" in names and "locker.pickup" in names
        assert all(code not in repr(e.payload) and "CASE-2026-000123" not in repr(e.payload) for e in events)
    finally:
        stop.set()
        kiosk.stop()
        registry.forget_instances()
