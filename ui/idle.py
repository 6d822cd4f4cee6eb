"""Return home after a while without touches, so nothing of one citizen's visit stays on screen
for the next (architecture.md, "Privacy by construction"; kivy-notes §6).

Every touch anywhere resets the timer (a handler on the Window's on_touch_down that never
consumes the touch); a 0.25 s Clock interval checks whether the time is up. Real monotonic time,
as Kivy's Clock cannot be faked: tests set a small timeout and pump frames until it fires.
The warning with a 继续 button (≥ 20 s before the reset, domain.md §10) belongs to the journey
screens and comes with them.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import time
from collections.abc import Callable

from kivy.clock import Clock

CHECK_INTERVAL_S = 0.25


class IdleWatcher:
    def __init__(
        self,
        timeout: Callable[[], float],
        wanted: Callable[[], bool],
        on_idle: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`timeout()` gives the current limit in seconds; `wanted()` says whether there is
        anything to reset (e.g. not already on a clean home screen); `on_idle()` resets."""
        self._timeout = timeout
        self._wanted = wanted
        self._on_idle = on_idle
        self._clock = clock
        self.last_activity = clock()
        self._window = None
        self._event = None

    def start(self, window) -> None:
        self._window = window
        window.bind(on_touch_down=self._on_touch)
        self.poke()
        self._event = Clock.schedule_interval(self._check, CHECK_INTERVAL_S)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if self._window is not None:
            self._window.unbind(on_touch_down=self._on_touch)
            self._window = None

    def poke(self) -> None:
        """Count now as activity."""
        self.last_activity = self._clock()

    def idle_for(self) -> float:
        return self._clock() - self.last_activity

    def _on_touch(self, *_args) -> bool:
        self.poke()
        return False  # never consume the touch

    def _check(self, _dt: float) -> None:
        if not self._wanted():
            self.poke()  # the countdown starts when there is something to reset
            return
        if self.idle_for() >= self._timeout():
            self.poke()
            self._on_idle()
