"""维护模式 entry: the technician PIN on a keypad (shown as dots), or the technician's ID card.

Reached only by the hidden corner gesture (ui/corner_taps.py) while no citizen journey is on
screen (ui.app.KioskApp.request_maintenance). The logic is kiosk.services.technician; wrong PINs
lock the entry out for a while, and the screen says for how long. Leaving clears the PIN.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar)
import ui.widgets.keypad  # noqa: F401  (Keypad)
from ui.screens.journey import JourneyScreen
from ui.screens.sign_in import SignInSteps


KV_NAME = "ui/screens/tech_entry.kv"
KV = """
#:import T ui.theme
#:import Keypad ui.widgets.keypad.Keypad

<TechEntryScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
        BoxLayout:
            orientation: 'horizontal' if root.width >= root.height else 'vertical'
            padding: dp(T.PAD), dp(28)
            spacing: dp(T.GAP) * 2
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(20)
                PageTitle:
                    text: app.tr('tech', app.lang)
                StepMessage:
                    id: message
                    text: root.message
                Text:
                    id: dots
                    role: 'code'
                    bold: True
                    halign: 'center'
                    color: T.ACCENT
                    text: root.big
                Text:
                    id: detail
                    role: 'notice'
                    halign: 'center'
                    color: T.WARN_TEXT if root.warn else T.TEXT
                    text: root.detail
                Widget:
                StepRow:
                    screen: root
            AnchorLayout:
                size_hint_x: None if root.width >= root.height else 1
                width: keypad.width
                size_hint_y: 1 if root.width >= root.height else None
                height: keypad.height
                Keypad:
                    id: keypad
                    disabled: root.stage != 'pin'
                    on_key: root.press_pin(args[1])
"""


class TechEntryScreen(SignInSteps, JourneyScreen):
    WORDS = "tech"
    stage = StringProperty("pin")  # pin, card, checking_pin
    big = StringProperty(" ")  # the PIN as dots
    warn = BooleanProperty(False)

    @property
    def desk(self):
        return App.get_running_app().kiosk.technician

    @property
    def keys(self):
        return self.ids.keypad.keys

    def on_pre_enter(self, *_args) -> None:
        self.clear()
        self._show_pin()

    def on_leave(self, *_args) -> None:
        self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._pin = ""
        self._stop_devices()
        self.stage = "pin"
        self.big, self.message, self.detail, self.warn = " ", "", "", False
        self._buttons()

    def _stop_devices(self) -> None:
        if self._card is not None:
            self._card.close()
            self._card = None

    def on_first(self) -> None:
        if self.stage == "pin" and self.first_action:
            self._read_card()
        elif self.stage == "card":
            self._stop_devices()
            self._show_pin()

    def on_second(self) -> None:
        if self.stage == "pin":
            App.get_running_app().go_home()

    def _admitted(self, session) -> None:
        App.get_running_app().enter_maintenance(session)


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
