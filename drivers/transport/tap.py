"""A transport that reports every byte it moves to an observer: the seam for live byte traces
(like pyserial's spy://, but on any of our transports and switchable while the port is open).

The observer gets raw bytes; whoever shows them must mask personal data (kiosk/diagnostics/trace.py).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from drivers.transport.base import DEFAULT_WRITE_TIMEOUT, Transport


class Direction(enum.StrEnum):
    TX = "tx"  # host → device
    RX = "rx"  # device → host


Tap = Callable[[Direction, bytes, float], None]  # direction, bytes, time.time() when moved


class TapTransport(Transport):
    """Wraps an open transport; `inner` keeps owning the port."""

    def __init__(self, inner: Transport, tap: Tap) -> None:
        super().__init__(inner.url)
        self.inner = inner
        self.tap = tap

    def read(self, max_bytes: int, timeout: float) -> bytes:
        data = self.inner.read(max_bytes, timeout)
        self._report(Direction.RX, data)
        return data

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        self._report(Direction.TX, bytes(data))  # before: a write that times out was still attempted
        self.inner.write(data, timeout)

    def _report(self, direction: Direction, data: bytes) -> None:
        if not data:
            return
        try:
            self.tap(direction, data, time.time())
        except Exception:  # a broken trace viewer must never break the device
            pass

    def reset_input(self) -> None:
        self.inner.reset_input()

    def set_baud(self, baud: int) -> None:
        self.inner.set_baud(baud)

    def close(self) -> None:
        self.inner.close()

    @property
    def is_open(self) -> bool:
        return self.inner.is_open
