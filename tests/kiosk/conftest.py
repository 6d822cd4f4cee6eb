"""The simulated hall for service tests: the real composition root, its simulators and the
in-process reference intake server."""

from __future__ import annotations

import queue

import pytest

from drivers.device import DeviceState
from drivers.sim import registry
from kiosk.composition import build_kiosk
from tests.support import wait_for


@pytest.fixture
def hall(tmp_path):
    kiosk = build_kiosk(data=tmp_path)
    kiosk.start()
    devices = kiosk.supervisor.devices
    assert wait_for(lambda: devices["printer"].state is DeviceState.ONLINE and devices["idcard"].state is DeviceState.ONLINE, 15)
    yield kiosk
    kiosk.stop()
    registry.forget_instances()


def read_card(kiosk, card: int):
    """Lay card `card` of the deck on the simulated reader and read it as a journey would."""
    reads: queue.Queue = queue.Queue()
    unsubscribe = kiosk.bus.subscribe("idcard.card_read", lambda env: reads.put(env.payload))
    try:
        registry.simulator_for("idcard", {}).place(card)
        kiosk.supervisor.devices["idcard"].arm()
        return reads.get(timeout=15).identity
    finally:
        unsubscribe()
        registry.simulator_for("idcard", {}).lift()
