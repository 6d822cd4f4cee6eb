"""In-process transport to a simulator: the simulator is just another endpoint."""

from __future__ import annotations

from drivers.errors import BadPortUrl, PortClosed, PortNotFound, PortTimeout
from drivers.sim.base import Simulator, SimulatorUnplugged
from drivers.sim.registry import known_kinds, simulator_for
from drivers.transport.base import DEFAULT_WRITE_TIMEOUT, Transport
from drivers.transport.url import PortUrl


class SimTransport(Transport):
    def __init__(self, port: PortUrl) -> None:
        super().__init__(port.raw)
        try:
            sim = simulator_for(port.host, port.options)
        except ValueError as e:  # the simulator refused its options
            raise BadPortUrl(port.raw, str(e)) from None
        if sim is None:
            raise PortNotFound(port.raw, f"no simulator {port.host!r}; known: {', '.join(known_kinds()) or 'none'}")
        if not sim.plugged_in:
            raise PortNotFound(port.raw, "simulated device is unplugged")
        self._sim: Simulator | None = sim

    @property
    def is_open(self) -> bool:
        return self._sim is not None

    def _require(self) -> Simulator:
        if self._sim is None:
            raise PortClosed(self.url, "port is closed")
        if not self._sim.plugged_in:
            self._sim = None
            raise PortClosed(self.url, "simulated device was unplugged")
        return self._sim

    def read(self, max_bytes: int, timeout: float) -> bytes:
        try:
            data = self._require().take_output(max_bytes, timeout)
        except SimulatorUnplugged:
            self._sim = None
            raise PortClosed(self.url, "simulated device was unplugged") from None
        if not data:
            raise PortTimeout(self.url, f"no data within {timeout:.3g} s")
        return data

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        self._require().receive(bytes(data))

    def reset_input(self) -> None:
        sim = self._require()
        while True:
            try:
                if not sim.take_output(4096, 0):
                    return
            except SimulatorUnplugged:
                self._sim = None
                raise PortClosed(self.url, "simulated device was unplugged") from None

    def close(self) -> None:
        if self._sim is not None:
            self._sim.host_disconnected()
        self._sim = None
