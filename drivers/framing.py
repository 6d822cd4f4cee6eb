"""What every byte-stream framer shares: a receive buffer it owns, and no clock.

The owner (a driver, a simulator) calls `drop_partial()` when the line has been quiet for longer
than the protocol's inter-byte timeout, so a truncated frame can never wedge the framer.
"""

from __future__ import annotations


class BufferedFramer:
    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded = 0  # garbage bytes skipped while hunting, for statistics

    @property
    def partial(self) -> bool:
        """True while part of a frame (or what may start one) is buffered."""
        return bool(self._buf)

    def drop_partial(self) -> int:
        n = len(self._buf)
        self._buf.clear()
        return n
