"""证照领取: a pickup code on a large keypad (or the ID card), the door number in large type while
the door is open, then what happened, in words.

Stages: ``entry`` (keypad; the code shows as dots) → ``card`` (lay the ID card) → ``opening`` →
``open`` (door N is open: take the item, close the door) → ``result`` (done, or wrong code,
locked out, door did not open, door left open, item left: each says what to do). The code and
the identity live only until the attempt is made; leaving the screen clears everything.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import logging
import math

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import OptionProperty, StringProperty

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
from ui.widgets.common import KioskButton, Text  # noqa: F401  (kv classes)

from ui.screens.journey import JourneyScreen, StepRow  # noqa: F401  (StepRow: a kv class)

log = logging.getLogger(__name__)
MAX_CODE = 8

KV_NAME = "ui/screens/pickup.kv"
KV = """
#:import T ui.theme
#:import Keypad ui.widgets.keypad.Keypad

<PickupScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
        BoxLayout:
            # landscape: words on the left, keypad on the right; portrait kiosks stack them
            orientation: 'horizontal' if root.width >= root.height else 'vertical'
            padding: dp(T.PAD), dp(28)
            spacing: dp(T.GAP) * 2
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(24)
                PageTitle:
                    text: app.tr('pickup', app.lang)
                StepMessage:
                    id: message
                    text: root.message
                Text:
                    id: big
                    role: 'code' if root.stage == 'entry' else 'ticket_number'
                    bold: True
                    halign: 'center'
                    color: T.ACCENT
                    text: root.big
                Text:
                    id: detail
                    role: 'notice'
                    halign: 'center'
                    color: T.WARN_TEXT if root.stage == 'entry' else T.TEXT
                    text: root.detail
                Widget:
                StepRow:
                    screen: root
            AnchorLayout:
                size_hint_x: None if root.width >= root.height else 1
                size_hint_y: 1 if root.width >= root.height else None
                # out of the way once the code is in: the door number gets the whole width
                width: keypad.width if root.stage == 'entry' else 0
                height: keypad.height if root.stage == 'entry' else 0
                anchor_x: 'center'
                anchor_y: 'center'
                opacity: 1 if root.stage == 'entry' else 0
                disabled: root.stage != 'entry'
                Keypad:
                    id: keypad
                    on_key: root.press(args[1])
        FooterBar:
"""


class PickupScreen(JourneyScreen):
    stage = OptionProperty("entry", options=["entry", "card", "opening", "open", "result"])
    big = StringProperty("")  # the dots of the code being typed, or the door number

    def on_stage(self, _screen, stage: str) -> None:
        self.busy = stage in ("opening", "open")

    def __init__(self, **kwargs) -> None:
        self._code = ""
        self._session = None
        super().__init__(**kwargs)

    @property
    def keys(self):
        return self.ids.keypad.keys

    def on_kv_post(self, base_widget) -> None:
        super().on_kv_post(base_widget)
        App.get_running_app().bind(lang=self._relabel)

    def _relabel(self, *_args) -> None:
        if self.stage == "entry" and self.manager is not None and self.manager.current == self.name:
            self._show_entry(self.detail)  # a language switch while typing

    # -- entry and exit ----------------------------------------------------------------------
    def start(self) -> None:
        self.clear()
        self._show_entry()

    def on_pre_enter(self, *_args) -> None:
        self.start()

    def on_leave(self, *_args) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the code, the identity and the door (the privacy reset)."""
        self._generation += 1
        self._code = ""
        if self._session is not None:
            self._session.close()
            self._session = None
        self.big = self.detail = self.message = self.first_action = self.second_action = ""

    def _show_entry(self, detail: str = "") -> None:
        self.stage = "entry"
        self.message = self._tr("pickup.enter")
        self.big = "●" * len(self._code) if self._code else " "
        self.detail = detail
        card = App.get_running_app().kiosk.has_card_reader
        self.first_action, self.second_action = (self._tr("pickup.or_card") if card else ""), self._tr("back")

    # -- the keypad ----------------------------------------------------------------------------
    def press(self, key: str) -> None:
        if self.stage != "entry":
            return
        if key == "del":
            self._code = self._code[:-1]
        elif key == "ok":
            if self._code:
                code, self._code = self._code, ""
                self._attempt(lambda lockers, on_open: lockers.pickup_by_code(code, on_open=on_open))
            return
        elif len(self._code) < MAX_CODE:
            self._code += key
        self.big = "●" * len(self._code) if self._code else " "

    def on_first(self) -> None:
        if self.stage == "entry":
            self._read_card()
        elif self.stage == "card":
            self._close_session()
            self._show_entry()
        elif self.stage == "result":
            App.get_running_app().go_home()

    def on_second(self) -> None:
        if self.stage in ("entry", "card"):
            App.get_running_app().go_home()
        elif self.stage == "result":
            self._show_entry()

    # -- the ID card -------------------------------------------------------------------------
    def _read_card(self) -> None:
        session = App.get_running_app().kiosk.card_session()
        if session is None:
            return
        self._session = session
        self.stage = "card"
        self.message, self.big, self.detail = self._tr("ticket.lay_card"), " ", ""
        self.first_action, self.second_action = self._tr("back"), ""
        attempt = self._current(self._attempt)

        def read(identity) -> None:
            number = identity.reveal()["id_number"]
            attempt(lambda lockers, on_open: lockers.pickup_by_id(number, on_open=on_open))

        session.start(on_read=read, on_problem=self._current(lambda zh, en: setattr(self, "detail", self._pick(zh, en))))

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- the attempt, off the Kivy thread ------------------------------------------------------
    def _attempt(self, work) -> None:
        lockers = App.get_running_app().kiosk.lockers
        self.stage = "opening"
        self.message, self.big, self.detail = self._tr("pickup.opening"), " ", ""
        self.first_action = self.second_action = ""
        opened = self._current(lambda _cabinet, number: self._opened(number))
        self._background(lambda: work(lockers, opened), self._finished, "pickup")

    def _opened(self, number: int) -> None:
        self._close_session()
        self.stage = "open"
        self.message, self.big, self.detail = self._tr("pickup.open", n=number), str(number), self._tr("pickup.take")

    def _finished(self, result) -> None:
        self._close_session()
        from kiosk.lockers.model import Status

        self.stage = "result"
        self.big = " "
        status = None if result is None else result.status
        if status is Status.OK:
            self.message, self.detail = self._tr("pickup.done"), ""
            self.first_action, self.second_action = self._tr("ticket.done"), ""
            return
        if status is Status.WRONG_CODE:
            self._show_entry(self._tr("pickup.wrong"))
            return
        if status is Status.LOCKED_OUT:
            text = self._tr("pickup.locked", m=max(1, math.ceil(result.retry_after_s / 60)))
        elif status is Status.DOOR_LEFT_OPEN:
            text = self._tr("pickup.left_open")
        elif status is Status.ITEM_LEFT:
            text = self._tr("pickup.item_left")
        elif status is Status.NOT_FOUND:
            text = self._tr("pickup.not_found")
        else:  # jammed, board offline, or a failure of ours: staff can open it by hand
            text = self._tr("pickup.jammed")
        self.message, self.detail = text, ""
        self.first_action, self.second_action = self._tr("ticket.done"), ""


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
