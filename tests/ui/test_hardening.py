"""Kiosk hardening (kivy-notes §6): Esc, F1 and window close are swallowed."""

from __future__ import annotations

import pytest
from kivy.app import App
from kivy.config import Config
from kivy.core.window import WindowBase
from kivy.uix.label import Label
from kivy.uix.settings import Settings

from tests.ui.kivyhelp import pump, walk

pytestmark = pytest.mark.ui

ESC, F1 = 27, 282


def test_escape_is_swallowed(app, window):
    assert Config.getint("kivy", "exit_on_escape") == 0
    assert not WindowBase.on_keyboard.exit_on_escape
    assert window.dispatch("on_keyboard", ESC, 41, None, []) is True
    pump(2)
    assert App.get_running_app() is app
    assert app.root in window.children


def test_f1_does_not_open_settings(app, window):
    window.dispatch("on_keyboard", F1, 58, None, [])
    pump(2)
    assert app.open_settings() is False
    assert app._app_settings is None
    assert not any(isinstance(w, Settings) for child in window.children for w in walk(child))


def test_window_close_and_alt_f4_are_refused(app, window):
    assert window.dispatch("on_request_close") is True
    assert window.dispatch("on_request_close", source="keyboard") is True
    pump(2)
    assert app.root in window.children


def test_without_the_override_f1_would_open_settings(window):
    """The negative check: a plain Kivy App opens its settings panel on F1."""

    class PlainApp(App):
        def build(self):
            return Label(text="plain")

    plain = PlainApp()
    plain._run_prepare()
    try:
        window.dispatch("on_keyboard", F1, 58, None, [])
        pump(2)
        assert isinstance(plain._app_settings, Settings)
        assert any(isinstance(child, Settings) for child in window.children)
    finally:
        plain.close_settings()
        plain.dispatch("on_stop")
        window.unbind(on_keyboard=plain._on_keyboard_settings)
        for child in list(window.children):
            window.remove_widget(child)
        App._running_app = None
        pump(1)
