"""维护模式 entry: the technician PIN on a keypad (shown as dots), or the technician's ID card.

Reached only by the hidden corner gesture (ui/corner_taps.py) while no citizen journey is on
screen (ui.app.KioskApp.request_maintenance). The logic is kiosk.services.technician; wrong PINs
lock the entry out for a while, and the screen says for how long. Leaving clears the PIN.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import logging
import math
import threading

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar)
import ui.widgets.keypad  # noqa: F401  (Keypad)
from ui.screens.journey import JourneyScreen

log = logging.getLogger(__name__)
MAX_PIN = 12

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
                    text: root.dots
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
                    on_key: root.press(args[1])
"""


class TechEntryScreen(JourneyScreen):
    stage = StringProperty("pin")  # pin, card, checking
    dots = StringProperty(" ")
    warn = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        self._pin = ""
        self._card = None
        self._generation = 0
        super().__init__(**kwargs)

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
        self._stop_card()
        self.stage = "pin"
        self.dots, self.message, self.detail, self.warn = " ", "", "", False
        self.first_action = self.second_action = self.third_action = ""

    def _stop_card(self) -> None:
        if self._card is not None:
            self._card.close()
            self._card = None

    def _show_pin(self, detail: str = "") -> None:
        self.stage = "pin"
        desk = self.desk
        if desk is None or not desk.has_accounts:
            self.message, self.detail = self._tr("tech.no_accounts"), ""
            self.first_action, self.second_action = "", self._tr("back")
            return
        self.message = self._tr("tech.enter")
        self.dots = "●" * len(self._pin) if self._pin else " "
        self.detail, self.warn = detail, bool(detail)
        card = desk.has_cards and App.get_running_app().kiosk.has_card_reader
        self.first_action, self.second_action = (self._tr("tech.or_card") if card else ""), self._tr("back")

    def press(self, key: str) -> None:
        if self.stage != "pin" or self.desk is None or not self.desk.has_accounts:
            return
        if key == "del":
            self._pin = self._pin[:-1]
        elif key == "ok":
            if self._pin:
                pin, self._pin = self._pin, ""
                self._check(lambda: self.desk.sign_in_pin(pin), "pin")
            return
        elif len(self._pin) < MAX_PIN:
            self._pin += key
        self.dots = "●" * len(self._pin) if self._pin else " "

    def on_first(self) -> None:
        if self.stage == "pin" and self.first_action:
            self._read_card()

    def on_second(self) -> None:
        if self.stage == "card":
            self._stop_card()
            self._show_pin()
        else:
            App.get_running_app().go_home()

    def _read_card(self) -> None:
        app = App.get_running_app()
        session = app.kiosk.card_session()
        if session is None:
            return
        self._card, generation = session, self._generation
        self.stage = "card"
        self.message, self.dots, self.detail, self.warn = self._tr("tech.lay_card"), " ", "", False
        self.first_action, self.second_action = "", self._tr("back")

        def read(identity) -> None:
            number = identity.reveal()["id_number"]
            Clock.schedule_once(lambda _dt: generation == self._generation and self.stage == "card" and self._check(
                lambda: self.desk.sign_in_card(number), "card"))

        session.start(on_read=read, on_problem=lambda zh, en: Clock.schedule_once(
            lambda _dt: generation == self._generation and setattr(self, "detail", app.pick(zh, en, app.lang))))

    def _check(self, work, method: str) -> None:
        """Hashing a PIN takes a moment (scrypt): off the Kivy thread, the keypad closed meanwhile."""
        generation = self._generation
        self._stop_card()
        self.stage = "checking"
        self.message, self.dots, self.detail, self.warn = self._tr("tech.checking"), " ", "", False
        self.first_action = self.second_action = ""

        def job() -> None:
            try:
                result = work()
            except Exception:
                log.exception("technician sign-in failed")
                result = None
            Clock.schedule_once(lambda _dt: generation == self._generation and self._done(result, method))

        threading.Thread(target=job, name="tech-sign-in", daemon=True).start()

    def _done(self, result, method: str) -> None:
        from kiosk.services.staff_auth import SignInStatus

        status = None if result is None else result.status
        if status is SignInStatus.OK:
            App.get_running_app().enter_maintenance(result.session)
        elif status is SignInStatus.LOCKED_OUT:
            self._show_pin(self._tr("tech.locked", m=max(1, math.ceil(result.retry_after_s / 60))))
        elif status is SignInStatus.WRONG:
            self._show_pin(self._tr("tech.wrong_card" if method == "card" else "tech.wrong_pin"))
        else:
            self._show_pin(self._tr("staff.failed"))


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
