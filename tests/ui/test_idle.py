"""The idle return home: after idle_timeout seconds without a touch away from a clean home."""

from __future__ import annotations

import time

import pytest

from kiosk.services.availability import Journey
from tests.ui.kivyhelp import pump, pump_until, settle, tap

pytestmark = pytest.mark.ui


def test_timeout_comes_from_the_config(app, kiosk):
    assert app.idle_timeout == kiosk.config.kiosk.idle_timeout_s == 90


def test_idle_returns_home_from_services(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    assert app.sm.current == "services"
    # the short limit is set only now: under load the tap and settle can outlast it
    app.idle_timeout = 0.3
    app.idle.poke()
    left_home = time.monotonic()
    assert pump_until(lambda: app.sm.current == "home", 5.0), "idle timeout did not return home"
    assert time.monotonic() - left_home >= 0.3 - 0.05


def test_idle_resets_language_elder_mode_and_dialogs(app, home):
    tap(home.ids.footer.ids.lang_button)
    tap(home.ids.footer.ids.elder_button)
    tap(home.tiles[Journey.PICKUP])
    app.idle_timeout = 0.3  # set after the taps: its warning would take the first of them
    assert app.lang == "en" and app.elder and app.notice is not None
    # elder mode doubles the wait
    assert app.effective_idle_timeout() == pytest.approx(0.6)
    assert pump_until(lambda: app.lang == "zh", 5.0)
    assert not app.elder and app.notice is None and app.sm.current == "home"


def test_a_clean_home_screen_is_left_alone(app, home):
    app.idle_timeout = 0.2
    resets = []
    app.bind(lang=lambda *_: resets.append("lang"))
    deadline = time.monotonic() + 0.4
    while time.monotonic() < deadline:
        pump(1)
    assert app.sm.current == "home" and resets == []


def test_a_countdown_with_a_continue_button_comes_before_the_reset(app, home):
    from ui.app import IDLE_WARNING_S

    assert app.idle.warn_before == IDLE_WARNING_S >= 20  # domain.md §10: at least 20 s of warning
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    assert app.sm.current == "services"
    app.idle_timeout = 2.0  # set after the tap and settle, which can outlast it under load
    app.idle.warn_before = 1.6
    app.idle.poke()
    assert pump_until(lambda: app.idle_warning is not None, 3)
    warning = app.idle_warning
    assert 1 <= warning.seconds_left <= 2 and "秒后将返回首页" in warning.ids.countdown.text
    tap(warning.ids.keep)  # 继续办理: the visit goes on
    assert app.idle_warning is None and app.sm.current == "services"
    pump_until(lambda: False, 0.6)  # past the first deadline: nothing happened
    assert app.sm.current == "services"
    assert pump_until(lambda: app.sm.current == "home", 10)  # left alone again: warned, then reset
    assert app.idle_warning is None


def test_no_reset_while_a_screen_is_busy(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    services = app.sm.current_screen
    assert app.sm.current == "services"
    services.busy = True  # e.g. a door stands open, a ticket is printing
    # the short limit only once busy: under load the tap and settle outlasted 0.3 s (failed in CI)
    app.idle_timeout = 0.3
    pump_until(lambda: False, 0.8)
    assert app.sm.current == "services" and app.idle_warning is None
    services.busy = False
    assert pump_until(lambda: app.sm.current == "home", 3)
