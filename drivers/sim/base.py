"""What every simulator shares: bytes in from the host, timed bytes out, unplug/replug control."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar


class SimulatorUnplugged(Exception):
    """Raised to the in-process transport while the simulated device is unplugged."""


class TimedBytes:
    """A thread-safe queue of byte chunks that become readable at a due time (wire pacing, delays)."""

    def __init__(self) -> None:
        self._chunks: list[tuple[float, bytes]] = []
        self._cond = threading.Condition()

    def put(self, data: bytes, due: float) -> None:
        with self._cond:
            self._chunks.append((due, data))
            self._chunks.sort(key=lambda c: c[0])
            self._cond.notify_all()

    def take(self, max_bytes: int, timeout: float) -> bytes:
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            while True:
                now = time.monotonic()
                if self._chunks and self._chunks[0][0] <= now:
                    out = bytearray()
                    while self._chunks and self._chunks[0][0] <= now and len(out) < max_bytes:
                        due, chunk = self._chunks.pop(0)
                        room = max_bytes - len(out)
                        out += chunk[:room]
                        if len(chunk) > room:
                            self._chunks.insert(0, (due, chunk[room:]))
                    return bytes(out)
                if now >= deadline:
                    return b""
                wait = deadline - now
                if self._chunks:
                    wait = min(wait, self._chunks[0][0] - now)
                self._cond.wait(wait)

    def clear(self) -> None:
        with self._cond:
            self._chunks.clear()

    @property
    def pending(self) -> int:
        """Bytes queued and not yet taken (a streaming device holds back while the host lags)."""
        with self._cond:
            return sum(len(c) for _, c in self._chunks)


class Simulator(ABC):
    """The device side of a protocol. Subclasses implement `receive` and call `emit`.

    A simulator holds device state only; it shares nothing with the driver, which reaches it
    through a transport exactly as it would reach the real device.
    """

    kind: ClassVar[str]

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        self.options = dict(options or {})
        # Wire time per byte (start + 8 data + stop bits); 0 means unpaced.
        baud = int(self.options.get("baud", "0") or 0)
        self.line_baud: int | None = baud or None  # the device's UART rate, if it has one
        self._byte_time = 10.0 / baud if baud > 0 else 0.0
        self._out = TimedBytes()
        self._line_free_at = 0.0
        self._lock = threading.RLock()
        self.plugged_in = True

    @abstractmethod
    def receive(self, data: bytes) -> None:
        """Bytes the host wrote. Called from the transport's thread."""

    def receive_at(self, data: bytes, host_baud: int | None) -> None:
        """Bytes from a host UART set to `host_baud` (known on a pty). At the wrong rate a real
        UART sees only framing errors, so the device hears nothing it can answer."""
        if host_baud and self.line_baud and host_baud != self.line_baud:
            return
        self.receive(data)

    @property
    def byte_time(self) -> float:
        """Seconds one byte takes on the device's line (0 when unpaced)."""
        return self._byte_time

    def set_baud(self, baud: int) -> None:
        """The device switches its UART rate (bytes already scheduled keep their timing)."""
        with self._lock:
            self.line_baud = baud
            self._byte_time = 10.0 / baud

    def emit(self, data: bytes, delay: float = 0.0) -> None:
        """Send bytes to the host after `delay` seconds, paced at the configured baud rate."""
        with self._lock:
            start = max(time.monotonic() + delay, self._line_free_at)
            self._line_free_at = start + len(data) * self._byte_time
            self._out.put(data, self._line_free_at)

    def take_output(self, max_bytes: int, timeout: float) -> bytes:
        if not self.plugged_in:
            raise SimulatorUnplugged
        data = self._out.take(max_bytes, timeout)
        if not self.plugged_in:  # unplugged while we waited: those bytes never left the device
            raise SimulatorUnplugged
        return data

    def host_disconnected(self) -> None:
        """The host closed its connection (TCP peer gone, in-process port closed). Most devices
        do not notice; a streaming device stops sending."""

    def unplug(self) -> None:
        """Runtime fault: the device vanishes (cable pulled). Pending output is lost."""
        self.plugged_in = False
        self._out.clear()

    def plug_in(self) -> None:
        self.plugged_in = True
