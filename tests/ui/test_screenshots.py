"""Screenshots of the main screens, with pixel checks as a second line behind the widget asserts.

The PNGs land in tests/ui/screenshots/ (gitignored; KIOSK_UI_SCREENSHOTS overrides) for a person
to look at: Chinese glyphs (no tofu boxes), nothing cut off, 大字模式 visibly larger.
"""

from __future__ import annotations

import pytest
from PIL import Image

from drivers.device import DeviceKind, DeviceState
from kiosk.services.availability import Journey
from tests.ui.kivyhelp import SIZE, screenshot, settle, tap
from ui import theme as T

pytestmark = pytest.mark.ui


def rgb(colour) -> tuple[int, int, int]:
    return tuple(round(c * 255) for c in colour[:3])


def close(a, b, tol=2) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def widget_box(widget) -> tuple[int, int, int, int]:
    """The widget's rectangle in image coordinates (origin top left)."""
    x, y = widget.to_window(widget.x, widget.y)
    return int(x), int(SIZE[1] - (y + widget.height)), int(x + widget.width), int(SIZE[1] - y)


def test_home_screenshot(app, home):
    path = screenshot("home")
    img = Image.open(path).convert("RGB")
    assert img.size == SIZE
    # a background corner shows the clear colour (a black mock screenshot would fail here)
    assert close(img.getpixel((2, SIZE[1] - 3)), rgb(T.BG))
    # the hall name is drawn: its box has header blue and white text pixels
    hall = home.ids.header.ids.hall
    box = widget_box(hall)
    colours = [img.getpixel((x, y)) for x in range(box[0], box[2], 2) for y in range(box[1], box[3], 2)]
    assert any(close(c, rgb(T.ACCENT)) for c in colours)
    assert sum(1 for c in colours if min(c) > 230) > 50, "no white text pixels where the hall name is"


def test_elder_screenshot(app, home):
    tap(home.ids.footer.ids.elder_button)
    settle(app)
    screenshot("home_elder")


def test_english_screenshot(app, home):
    tap(home.ids.footer.ids.lang_button)
    settle(app)
    screenshot("home_en")
    tap(home.ids.footer.ids.elder_button)
    settle(app)
    screenshot("home_en_elder")


def test_services_screenshot(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    screenshot("services")
    services = app.sm.get_screen("services")
    tap(services.ids.footer.ids.elder_button)
    settle(app)
    screenshot("services_elder")


def test_notice_screenshot(app, home):
    tap(home.tiles[Journey.PICKUP])
    settle(app)
    screenshot("notice_unavailable")


def test_all_unavailable_screenshots(app, home, kiosk):
    for kind in DeviceKind:
        kiosk.supervisor.set_state(kind, DeviceState.USER_ERROR)
    app.refresh_availability()
    settle(app)
    screenshot("home_all_unavailable")
    app.elder = True
    settle(app)
    screenshot("home_all_unavailable_elder")
    app.lang = "en"
    settle(app)
    screenshot("home_all_unavailable_en_elder")
    app.elder = False
    settle(app)
    screenshot("home_all_unavailable_en")
