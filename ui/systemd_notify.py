"""The UI's side of `Type=notify` (kivy-notes §9): READY=1 once the first frame is on the screen,
then the watchdog ticked from Kivy's clock, so the pings stop when the UI thread stops.

READY waits for `Window.on_flip` (after the first buffer swap), not for `on_start` or a
`Clock.schedule_once(…, 0)`, which both run before anything is drawn: systemd, and anyone
reading `systemctl status`, then knows the citizen sees the home screen.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.watchdog import Watchdog


def arm(window, clock, watchdog: Watchdog) -> Callable[[], None]:
    """Wire `watchdog` to `window` and `clock`; returns the function that undoes it (on_stop)."""
    state: dict[str, object] = {"event": None, "bound": True}

    def first_frame(*_args) -> None:
        window.unbind(on_flip=first_frame)
        state["bound"] = False
        watchdog.ready()
        if watchdog.interval:
            watchdog.tick()
            state["event"] = clock.schedule_interval(lambda _dt: watchdog.tick(), watchdog.interval)

    window.bind(on_flip=first_frame)

    def disarm() -> None:
        if state["bound"]:
            window.unbind(on_flip=first_frame)
            state["bound"] = False
        if state["event"] is not None:
            state["event"].cancel()
            state["event"] = None

    return disarm
