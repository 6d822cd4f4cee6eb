"""What every journey screen shares: its words (message, detail), up to three step buttons at
the bottom, ``busy`` (the idle reset waits while it is set), and the app's words in its language.

A screen's kv puts ``StepRow: screen: root`` where its buttons go; the buttons show the screen's
``first_action`` … ``third_action`` (hidden while empty) and call its ``on_first`` … ``on_third``.
They are also the screen's own ``ids.first`` … ``ids.third``.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import logging
import threading
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

import ui.widgets.common  # noqa: F401  (StepButton)

STEPS = ("first", "second", "third")
log = logging.getLogger(__name__)

KV_NAME = "ui/screens/journey.kv"
KV = """
#:import T ui.theme

# the journey's name at the top, and the step's words under it (what the voice says)
<PageTitle@Text>:
    role: 'page_title'
    bold: True
    color: T.ACCENT
    halign: 'center'

<StepMessage@Text>:
    role: 'dialog_title'
    halign: 'center'

<StepRow>:
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(T.GAP)
    StepButton:
        id: first
        style: 'primary'
        text: root.screen.first_action if root.screen else ''
        on_release: root.screen.on_first()
    StepButton:
        id: second
        text: root.screen.second_action if root.screen else ''
        on_release: root.screen.on_second()
    StepButton:
        id: third
        text: root.screen.third_action if root.screen else ''
        on_release: root.screen.on_third()
"""


class StepRow(BoxLayout):
    screen = ObjectProperty(None, allownone=True, rebind=True)  # rebind: the kv chain root.screen.x follows it


class JourneyScreen(Screen):
    message = StringProperty("")
    detail = StringProperty("")
    first_action = StringProperty("")
    second_action = StringProperty("")
    third_action = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:
        row = next((w for w in self.walk(restrict=True) if isinstance(w, StepRow)), None)
        if row is not None:
            self.ids.update({name: row.ids[name] for name in STEPS})

    # Bumped by a screen's clear() (the journey reset or left): what comes back for an earlier
    # generation (a device callback, a finished background job) is dropped, never shown.
    _generation = 0

    def _current(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """``fn`` to be called from any thread: it runs on the Kivy thread, and only if the
        journey has not been reset since."""
        generation = self._generation

        def call(*args: Any) -> None:
            Clock.schedule_once(lambda _dt: generation == self._generation and fn(*args))

        return call

    def _background(self, work: Callable[[], Any], done: Callable[[Any], Any], name: str,
                    on_error: Callable[[Exception], Any] = lambda _e: None) -> None:
        """``work()`` off the Kivy thread, then ``done(result)`` on it (see ``_current``). A bug in
        the work is logged and handed to ``done`` as ``on_error(e)`` (None by default): never a
        screen left on "please wait"."""
        finish = self._current(done)

        def job() -> None:
            try:
                result = work()
            except Exception as e:
                log.exception("%s failed", name)
                result = on_error(e)
            finish(result)

        threading.Thread(target=job, name=name, daemon=True).start()

    def _buttons(self, first: str = "", second: str = "", third: str = "") -> None:
        """The step buttons' words; an empty one is hidden."""
        self.first_action, self.second_action, self.third_action = first, second, third

    def _tr(self, key: str, **fmt) -> str:
        app = App.get_running_app()
        return app.tr(key, app.lang, **fmt)

    def _pick(self, zh: str, en: str) -> str:
        app = App.get_running_app()
        return app.pick(zh, en, app.lang)

    def on_first(self) -> None:
        pass

    def on_second(self) -> None:
        pass

    def on_third(self) -> None:
        pass


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
