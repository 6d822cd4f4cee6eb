"""Nothing is cut off: every text fits its widget, tile texts stay inside their tile, and no
English word is broken across lines, in all four modes (中文/English × normal/大字模式)."""

from __future__ import annotations

import pytest
from kivy.core.window import Window

from drivers.device import DeviceKind, DeviceState
from kiosk.services.availability import Journey
from tests.ui.kivyhelp import has_cjk, labels, settle, tap
from ui.widgets.common import Badge, KioskButton

pytestmark = pytest.mark.ui

MODES = [("zh", False), ("zh", True), ("en", False), ("en", True)]


def rect(widget) -> tuple[float, float, float, float]:
    if widget is Window:
        return 0, 0, Window.width, Window.height
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, widget.width, widget.height


def inside(inner, outer, slack: float = 1.0) -> bool:
    ix, iy, iw, ih = rect(inner)
    ox, oy, ow, oh = rect(outer)
    return ix >= ox - slack and iy >= oy - slack and ix + iw <= ox + ow + slack and iy + ih <= oy + oh + slack


def overlap(a, b) -> bool:
    ax, ay = a.to_window(a.x, a.y)
    bx, by = b.to_window(b.x, b.y)
    return ax < bx + b.width - 1 and bx < ax + a.width - 1 and ay < by + b.height - 1 and by < ay + a.height - 1


def text_problems(root) -> list[str]:
    problems = []
    for lbl in labels(root):
        tw, th = lbl.texture_size
        if tw > lbl.width + 1 or th > lbl.height + 1:
            problems.append(f"{lbl.text!r}: text {tw:.0f}x{th:.0f} in a {lbl.width:.0f}x{lbl.height:.0f} widget")
        if not inside(lbl, Window):
            problems.append(f"{lbl.text!r}: off the screen")
        if lbl.text_size[0] and " " in lbl.text:
            width = lbl.text_size[0] - lbl.padding[0] - lbl.padding[2]
            for word in lbl.text.split():
                if has_cjk(word):
                    continue  # Chinese breaks between characters (ui.textwrap_zh): no word to keep whole
                if lbl._label.get_extents(word)[0] > width:
                    problems.append(f"{lbl.text!r}: the word {word!r} is wider than the line")
    return problems


def set_mode(app, lang: str, elder: bool) -> None:
    app.lang = lang
    app.elder = elder
    settle(app)


def home_problems(home) -> list[str]:
    problems = text_problems(home)
    for journey, tile in home.tiles.items():
        ids = tile.ids
        shown = [w for w in (ids.title, ids.desc, ids.desc_wide, ids.status, ids.reason, ids.todo) if w.text]
        for widget in shown:
            if not inside(widget, tile):
                problems.append(f"{journey}: {widget.text!r} sticks out of its tile")
        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                if overlap(a, b):
                    problems.append(f"{journey}: {a.text!r} overlaps {b.text!r}")
    for button in (w for w in home.walk() if isinstance(w, KioskButton | Badge)):
        if not inside(button, Window):
            problems.append(f"{button.text!r} is off the screen")
    return problems


def test_home_fits(app, home):
    for lang, elder in MODES:
        set_mode(app, lang, elder)
        assert home_problems(home) == [], (lang, elder)


def test_home_with_every_tile_unavailable_fits(app, home, kiosk):
    # the longest words the core has: "the document camera needs attention (e.g. paper out, ...)"
    for kind in DeviceKind:
        kiosk.supervisor.set_state(kind, DeviceState.USER_ERROR)
    app.refresh_availability()
    for lang, elder in MODES:
        set_mode(app, lang, elder)
        assert not any(t.available for t in home.tiles.values())
        assert home_problems(home) == [], (lang, elder)


def test_services_fit(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    screen = app.sm.current_screen
    assert screen.name == "services"
    catalogue = screen.ids.catalogue
    for lang, elder in MODES:
        set_mode(app, lang, elder)
        for lbl in labels(catalogue):
            tw, th = lbl.texture_size
            assert tw <= lbl.width + 1 and th <= lbl.height + 1, f"{lbl.text!r} does not fit ({lang}, {elder})"
            assert inside(lbl, catalogue)
        for part in (screen.ids.title_bar, screen.ids.footer, screen.ids.header):
            assert text_problems(part) == [], (lang, elder)


def test_notice_fits(app, home):
    for lang, elder in MODES:
        set_mode(app, lang, elder)
        tap(home.tiles[Journey.PICKUP])
        settle(app)
        assert app.notice is not None
        assert text_problems(app.notice) == [], (lang, elder)
        for lbl in labels(app.notice):
            assert inside(lbl, app.notice.ids.box), (lang, elder, lbl.text)
        app.close_notice()
