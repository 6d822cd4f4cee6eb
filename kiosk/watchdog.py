"""systemd's watchdog, fed only while the whole kiosk is alive.

The UI calls `tick()` from its own clock (ui/systemd_notify.py), so a blocked UI thread sends
nothing; before each ping `tick()` asks every liveness check (the device supervisor's: no
worker thread stuck), so a stuck supervisor stops the pings too. systemd then kills the kiosk
after `WatchdogSec=` and `Restart=always` starts it again. A ping thread of its own would keep
pinging for a frozen screen: that is the failure this exists to catch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from kiosk.sdnotify import Notifier

log = logging.getLogger(__name__)

# A check returns None when its part is alive, else what is wrong (for the log and STATUS=).
LivenessCheck = Callable[[], "str | None"]


class Watchdog:
    def __init__(self, notifier: Notifier, checks: Mapping[str, LivenessCheck] | None = None) -> None:
        self.notifier = notifier
        self.checks = dict(checks or {})
        self._failing: list[str] = []

    @property
    def interval(self) -> float | None:
        """How often `tick()` should run, or None when systemd asked for no watchdog."""
        return self.notifier.watchdog_interval

    def ready(self, status: str = "home screen shown") -> None:
        if self.notifier.watchdog_for_another_pid:
            log.info("watchdog: WATCHDOG_PID is another process; pinging anyway (the unit needs NotifyAccess=all)")
        self.notifier.notify("READY=1", f"STATUS={status}")

    def problems(self) -> list[str]:
        found = []
        for name, check in self.checks.items():
            try:
                reason = check()
            except Exception as e:  # a broken check is a failing one, never a silent pass
                reason = f"check failed: {e!r}"
            if reason:
                found.append(f"{name}: {reason}")
        return found

    def tick(self) -> bool:
        """Ping systemd if every check passes; True when a ping was sent."""
        problems = self.problems()
        if problems:
            if problems != self._failing:
                log.error("watchdog: not pinging systemd; the service will be restarted", extra={"problems": problems})
                self.notifier.notify("STATUS=not alive: " + "; ".join(problems))
            self._failing = problems
            return False
        if self._failing:
            log.warning("watchdog: alive again", extra={"problems": self._failing})
            self._failing = []
            self.notifier.notify("STATUS=home screen shown")
        return self.notifier.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notifier.notify("STOPPING=1")
