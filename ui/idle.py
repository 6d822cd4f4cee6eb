"""Return home after a while without touches, so nothing of one citizen's visit stays on screen
for the next (architecture.md, "Privacy by construction"; kivy-notes §6).

Every touch anywhere resets the timer (a handler on the Window's on_touch_down that consumes
the touch only when it ends a warning); a 0.25 s Clock interval checks whether the time is up. Real monotonic time,
as Kivy's Clock cannot be faked: tests set a small timeout and pump frames until it fires.
``warn_before`` seconds before the reset (≥ 20, domain.md §10) ``on_warn(seconds_left)`` is
called on every check, so the app can show a countdown with a 继续 button; any touch ends the
warning (``on_unwarn``) and starts the wait again.
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
        warn_before: float = 20.0,
        on_warn: Callable[[int], None] = lambda _left: None,
        on_unwarn: Callable[[], None] = lambda: None,
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
        self.warn_before = warn_before
        self._on_warn = on_warn
        self._on_unwarn = on_unwarn
        self.warning = False

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
        """Count now as activity (and end a warning on screen)."""
        self.last_activity = self._clock()
        if self.warning:
            self.warning = False
            self._on_unwarn()

    def idle_for(self) -> float:
        return self._clock() - self.last_activity

    def _on_touch(self, *_args) -> bool:
        warned = self.warning
        self.poke()
        # a touch that ends a warning only ends it: it must not also press whatever lay under it
        return warned

    def _check(self, _dt: float) -> None:
        if not self._wanted():
            self.poke()  # the countdown starts when there is something to reset
            return
        left = self._timeout() - self.idle_for()
        if left <= 0:
            self.poke()
            self._on_idle()
        elif left <= self.warn_before:
            self.warning = True
            self._on_warn(int(left + 0.999))
