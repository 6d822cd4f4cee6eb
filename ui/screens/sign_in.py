"""The sign-in both the staff and the technician entry take: a PIN on the keypad (shown as dots)
or the person's ID card, checked off the Kivy thread by the screen's desk (kiosk.services:
StaffDesk or TechnicianDesk), with wrong PINs and the lockout said in words.

A JourneyScreen mixin. The screen gives ``WORDS`` (its i18n prefix: ``staff`` or ``tech``), the
properties ``stage`` (with ``pin``, ``card`` and ``checking_pin``), ``big`` and ``warn``,
``desk``, ``_stop_devices()`` (at least the card session), and ``_admitted(session)``.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import math

from kivy.app import App

MAX_PIN = 12


class SignInSteps:
    WORDS = ""
    _pin = ""
    _card = None  # an ID-card session while the person's card is awaited

    def _words(self, key: str, **fmt) -> str:
        return self._tr(f"{self.WORDS}.{key}", **fmt)

    def _run(self, work, done, busy_stage: str, message: str) -> None:
        """``work()`` off the Kivy thread behind a busy stage and its message, then ``done(result)``."""
        self.warn = False
        self.stage = busy_stage
        self.message, self.big, self.detail = message, " ", ""
        self._buttons()
        self._background(work, done, f"{self.WORDS}-{busy_stage}")

    def _show_pin(self, detail: str = "") -> None:
        self.stage = "pin"
        desk = self.desk
        if desk is None or not desk.has_accounts:
            self.message, self.big, self.detail = self._words("no_accounts"), " ", ""
            self._buttons("", self._tr("back"))
            return
        self.message = self._words("enter")
        self.big = "●" * len(self._pin) if self._pin else " "
        self.detail, self.warn = detail, bool(detail)
        card = desk.has_cards and App.get_running_app().kiosk.has_card_reader
        self._buttons(self._words("or_card") if card else "", self._tr("back"))

    def press_pin(self, key: str) -> None:
        if self.stage != "pin" or self.desk is None or not self.desk.has_accounts:
            return
        if key == "del":
            self._pin = self._pin[:-1]
        elif key == "ok":
            if self._pin:
                pin, self._pin = self._pin, ""
                # scrypt takes a moment: off the Kivy thread, the keypad closed meanwhile
                self._run(lambda: self.desk.sign_in_pin(pin), self._signed_in, "checking_pin",
                          self._words("checking_pin"))
            return
        elif len(self._pin) < MAX_PIN:
            self._pin += key
        self.big = "●" * len(self._pin) if self._pin else " "

    def _read_card(self) -> None:
        session = App.get_running_app().kiosk.card_session()
        if session is None:
            return
        self._card = session
        self.stage = "card"
        self.message, self.big, self.detail = self._words("lay_card"), " ", ""
        self._buttons(self._tr("back"))
        check = self._current(lambda number: self.stage == "card" and self._run(
            lambda: self.desk.sign_in_card(number), self._signed_in, "checking_pin", self._words("checking_pin")))
        session.start(on_read=lambda identity: check(identity.reveal()["id_number"]),
                      on_problem=self._current(lambda zh, en: setattr(self, "detail", self._pick(zh, en))))

    def _signed_in(self, result) -> None:
        from kiosk.services.staff_auth import SignInStatus

        method = "card" if self._card is not None else "pin"
        self._stop_devices()
        status = None if result is None else result.status
        if status is SignInStatus.OK:
            self._admitted(result.session)
        elif status is SignInStatus.LOCKED_OUT:
            self._show_pin(self._words("locked", m=max(1, math.ceil(result.retry_after_s / 60))))
        elif status is SignInStatus.WRONG:
            self._show_pin(self._words("wrong_card" if method == "card" else "wrong_pin"))
        else:
            self._show_pin(self._words("failed"))
