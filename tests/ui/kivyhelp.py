"""Frame pumping, taps, screenshots and widget walks for the UI tests (kivy-notes §4.1)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ui import kivyenv  # noqa: F401, I001  (first, in case this module is imported on its own)

from kivy.base import EventLoop
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label
from kivy.uix.widget import Widget

SIZE = (1920, 1080)
SCREENSHOTS = Path(os.environ.get("KIOSK_UI_SCREENSHOTS", Path(__file__).with_name("screenshots")))
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def pump(frames: int = 1) -> None:
    for _ in range(frames):
        EventLoop.idle()


def pump_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        EventLoop.idle()
    return condition()


def settle(app) -> None:
    """Let a screen change and the layout catch up."""
    assert pump_until(lambda: not app.sm.transition.is_active, 3.0), "screen transition did not finish"
    pump(3)


def tap(widget: Widget) -> None:
    touch = UnitTestTouch(*widget.to_window(*widget.center))
    touch.touch_down()
    pump(1)
    touch.touch_up()
    pump(1)


def enter_pin(screen, pin: str) -> None:
    """Type ``pin`` on a sign-in keypad (staff, technician) and wait for its check."""
    for d in pin:
        tap(screen.keys[d])
    assert screen.big == "●" * len(pin)  # dots, never the digits
    tap(screen.keys["ok"])
    assert pump_until(lambda: screen.stage != "checking_pin", 10)


def screenshot(name: str) -> Path:
    """Save the window as SCREENSHOTS/<name>.png after buttons have released (min_state_time)."""
    from ui.app import save_screenshot

    time.sleep(0.05)
    pump(3)
    path = save_screenshot(SCREENSHOTS / f"{name}.png")
    print(f"screenshot: {path}")
    return path


def walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        yield from walk(child)


def walk_shown(widget: Widget) -> Iterator[Widget]:
    """Like walk, but not into what a person cannot see (opacity 0: a keypad put away)."""
    if widget.opacity == 0:
        return
    yield widget
    for child in widget.children:
        yield from walk_shown(child)


def labels(widget: Widget) -> list[Label]:
    return [w for w in walk_shown(widget) if isinstance(w, Label) and w.text]


def texts(widget: Widget) -> list[str]:
    return [lbl.text for lbl in labels(widget)]


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))
