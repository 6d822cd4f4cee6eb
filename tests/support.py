"""Test doubles of *devices* (never of our own code): a line-protocol simulator and its driver.

The foundation has no real device kind yet; these exercise the transport, simulator-serving and
supervision machinery through real bytes on real ptys, sockets and the sim:// transport.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import time
import tty
from collections.abc import Iterator

from drivers.device import Device, DeviceKind, DeviceState, DeviceStatus
from drivers.errors import PortTimeout
from drivers.sim.base import Simulator
from drivers.transport import Transport


class EchoSimulator(Simulator):
    """Answers each `PING\\n` line with `PONG\\n`; `fail_polls` makes it stay silent."""

    kind = "echo"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self._line = bytearray()
        self.silent = False
        self.received = bytearray()

    def receive(self, data: bytes) -> None:
        self.received += data
        self._line += data
        while b"\n" in self._line:
            line, _, rest = bytes(self._line).partition(b"\n")
            self._line = bytearray(rest)
            if line == b"PING" and not self.silent:
                self.emit(b"PONG\n")


class Link(enum.Enum):
    UP = "up"
    UNKNOWN = "unknown"


@dataclasses.dataclass(frozen=True)
class PingStatus(DeviceStatus):
    link: Link = Link.UNKNOWN


class PingDevice(Device):
    """A minimal driver: one PING/PONG round trip to open and at each poll."""

    kind = DeviceKind.PRINTER
    status_type = PingStatus

    def _round_trip(self, transport: Transport) -> None:
        transport.reset_input()
        transport.write(b"PING\n")
        deadline = time.monotonic() + 0.5
        buf = b""
        while not buf.endswith(b"PONG\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PortTimeout(transport.url, "no PONG")
            buf += transport.read(16, remaining)
        self.stats.incr("operations_ok")

    def _identify(self, transport: Transport) -> None:
        self._round_trip(transport)
        self.set_status(PingStatus(Link.UP))
        self.set_state(DeviceState.ONLINE, "answered")

    def _poll(self, transport: Transport) -> None:
        self._round_trip(transport)


class Boom(Exception):
    pass


class BuggyDevice(PingDevice):
    """A driver with a bug: poll raises something that is not a TransportError."""

    def _poll(self, transport: Transport) -> None:
        raise Boom("driver bug")


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@contextlib.contextmanager
def silent_pty() -> Iterator[str]:
    """A serial line with nothing on the other end: the path of a raw pty nobody answers on."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        yield os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at arbitrary points (taken modulo its length): chunks as a serial line delivers them."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]
