"""Time for the ledger: wall clock for records, monotonic for waits, and an injectable sleep so
that tests drive door waits without waiting."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float: ...
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class LockerSettings:
    close_timeout_s: float = 180.0  # give up waiting for a door to close (then: out of service)
    door_alarm_s: float = 60.0  # door open this long during an operation: alarm (prompt 请关好柜门)
    poll_s: float = 1.0  # door-closed polling (locker-boards.md §1.7: every 1 s)
    hold_s: float = 5 * 86400.0  # a deposit is overdue after this (its code stays valid)
    max_failures: int = 5  # wrong codes per window before the keypad cools down
    failure_window_s: float = 600.0
    cooldown_s: float = 60.0
