"""The byte transport every driver owns. Bounded in time on every call; failures are typed."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from drivers.errors import PortTimeout

DEFAULT_WRITE_TIMEOUT = 5.0


class Transport(ABC):
    """Moves bytes; never parses, decides or sleep-polls (architecture.md)."""

    def __init__(self, url: str) -> None:
        self.url = url

    @abstractmethod
    def read(self, max_bytes: int, timeout: float) -> bytes:
        """Return 1..max_bytes bytes as soon as any arrive.

        Raises PortTimeout when none arrive within `timeout` seconds, PortClosed when the
        peer is gone.
        """

    @abstractmethod
    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        """Write all of `data` or raise PortTimeout/PortClosed; never blocks without bound."""

    @abstractmethod
    def reset_input(self) -> None:
        """Drop whatever was received and not read yet (stale replies, line noise)."""

    def set_baud(self, baud: int) -> None:
        """Change the line rate. Only serial lines have one; elsewhere this does nothing."""

    @abstractmethod
    def close(self) -> None:
        """Release the port; idempotent."""

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    def read_exactly(self, size: int, timeout: float) -> bytes:
        """Read exactly `size` bytes within one overall deadline."""
        deadline = time.monotonic() + timeout
        buf = bytearray()
        while len(buf) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PortTimeout(self.url, f"read {len(buf)} of {size} bytes in {timeout:.3g} s")
            try:
                buf += self.read(size - len(buf), remaining)
            except PortTimeout:
                raise PortTimeout(self.url, f"read {len(buf)} of {size} bytes in {timeout:.3g} s") from None
        return bytes(buf)

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} {'open' if self.is_open else 'closed'}>"
