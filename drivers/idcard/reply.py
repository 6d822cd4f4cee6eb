"""How long the host waits for a reader's answer, and the typed errors when it stops waiting.

Clock-free: the driver passes the elapsed times. Three limits, from the spec:

* reply: the answer must start within the §11.2 timeout, base + wire_factor × the wire time of
  the expected answer at the configured rate;
* gap: once it has started, the line may go quiet for at most the §3 inter-byte timeout (100 ms at
  115200, scaled with the rate), so the deadline follows the bytes while they keep coming;
* cap: the whole answer within cap_factor × the reply time, however steadily it trickles. Some
  readers pass the card's data on as the RF link brings it (a byte every 20 ms has been seen); the
  default factor, 20, lets such a reader through (`30 01` at 115200: 33 s for its 26 s), while a
  line that never stops babbling still ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import PortTimeout


class NoReply(PortTimeout):
    """Nothing that could start an answer arrived within the reply time."""


class ReplyStopped(PortTimeout):
    """The answer began, then the line went quiet for longer than the inter-byte limit."""

    def __init__(self, port: str, message: str, received: int, expected: int) -> None:
        self.received, self.expected = received, expected
        super().__init__(port, message)


class ReplyTooSlow(PortTimeout):
    """The answer kept coming, but not all of it within the cap."""

    def __init__(self, port: str, message: str, received: int, expected: int) -> None:
        self.received, self.expected = received, expected
        super().__init__(port, message)


@dataclass(frozen=True)
class ReplyLimits:
    reply: float  # seconds from the command to the answer's first byte
    gap: float  # longest silence inside an answer
    cap: float  # seconds from the command to the answer's last byte

    def wait(self, elapsed: float, quiet: float | None) -> float:
        """Seconds to wait for more bytes; zero or less: stop waiting. `elapsed` runs from the
        command; `quiet` from the answer's last byte, None while no answer has started."""
        if quiet is None:
            return self.reply - elapsed
        return min(self.gap - quiet, self.cap - elapsed)

    def give_up(self, port: str, what: str, elapsed: float, quiet: float | None, received: int, expected: int,
                expected_known: bool) -> PortTimeout:
        """The error that says what happened: no reply, stopped after N of M bytes, or too slow."""
        of = f"{received} of {expected}" + ("" if expected_known else " expected")
        if quiet is None:
            return NoReply(port, f"no reply to {what} within {self.reply:.2f} s")
        if quiet >= self.gap:
            return ReplyStopped(port, f"reply to {what} stopped after {of} bytes (quiet for {self.gap * 1000:.0f} ms)",
                                received, expected)
        return ReplyTooSlow(port, f"reply to {what} too slow: {of} bytes in {elapsed:.1f} s (cap {self.cap:.1f} s)",
                            received, expected)
