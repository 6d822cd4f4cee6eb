"""预约签到: the booking QR on a phone under the camera, or the booking number on a keypad.

Stages: ``scan`` (the camera looks for a QR code while the keypad takes a number) → ``looking``
→ on time: the number, shown on the ticket screen; too early: when to come back; late or no
answer from the backend: a normal number offered; unknown or used: try again. Leaving clears
the typed number and stops the camera scan.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)


from kivy.app import App
from kivy.lang import Builder
from kivy.properties import OptionProperty, StringProperty

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
import ui.widgets.keypad  # noqa: F401  (Keypad)

from ui.screens.journey import JourneyScreen, StepRow  # noqa: F401  (StepRow: a kv class)


KV_NAME = "ui/screens/checkin.kv"
KV = """
#:import T ui.theme
#:import Keypad ui.widgets.keypad.Keypad

<CheckInScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
        BoxLayout:
            orientation: 'horizontal' if root.width >= root.height else 'vertical'
            padding: dp(T.PAD), dp(28)
            spacing: dp(T.GAP) * 2
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(24)
                PageTitle:
                    text: app.tr('check_in', app.lang)
                StepMessage:
                    id: message
                    text: root.message
                Text:
                    id: typed
                    role: 'code'
                    bold: True
                    halign: 'center'
                    color: T.ACCENT
                    text: root.typed or ' '
                Widget:
                StepRow:
                    screen: root
            AnchorLayout:
                size_hint_x: None if root.width >= root.height else 1
                size_hint_y: 1 if root.width >= root.height else None
                width: keypad.width if root.stage == 'scan' else 0
                height: keypad.height if root.stage == 'scan' else 0
                opacity: 1 if root.stage == 'scan' else 0
                disabled: root.stage != 'scan'
                Keypad:
                    id: keypad
                    on_key: root.press(args[1])
        FooterBar:
"""

MAX_CODE = 12


class CheckInScreen(JourneyScreen):
    stage = OptionProperty("scan", options=["scan", "looking", "message", "offer"])
    typed = StringProperty("")

    def __init__(self, **kwargs) -> None:
        self._scanner = None
        self._lookup = None
        super().__init__(**kwargs)

    def on_stage(self, _screen, stage: str) -> None:
        self.busy = stage == "looking"

    @property
    def keys(self):
        return self.ids.keypad.keys

    # -- entry and exit ----------------------------------------------------------------------
    def on_pre_enter(self, *_args) -> None:
        self.clear()
        self._show_scan()

    def on_leave(self, *_args) -> None:
        self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._stop_scan()
        self._lookup = None
        self.typed = self.message = self.first_action = self.second_action = ""

    def _show_scan(self, message: str = "") -> None:
        self.stage = "scan"
        self.message = message or self._tr("checkin.scan")
        self.first_action, self.second_action = "", self._tr("back")
        app = App.get_running_app()
        self._scanner = app.kiosk.qr_scanner()
        if self._scanner is not None:
            self._scanner.start(self._current(self._scanned))

    def _stop_scan(self) -> None:
        if self._scanner is not None:
            self._scanner.stop()
            self._scanner = None

    def _scanned(self, text: str) -> None:
        if self.stage == "scan":
            self._look_up(text)

    # -- keypad and buttons --------------------------------------------------------------------
    def press(self, key: str) -> None:
        if self.stage != "scan":
            return
        if key == "del":
            self.typed = self.typed[:-1]
        elif key == "ok":
            if self.typed:
                prefix = App.get_running_app().kiosk.config.kiosk.check_in_code_prefix
                self._look_up(prefix + self.typed)
        elif len(self.typed) < MAX_CODE:
            self.typed += key

    def on_first(self) -> None:
        if self.stage == "offer":
            self._run(lambda ci: ci.normal_number(self._lookup, self._fallback_service()))
        elif self.stage == "message":
            self.typed = ""
            self._show_scan()

    def on_second(self) -> None:
        App.get_running_app().go_home()

    def _fallback_service(self) -> str:
        return App.get_running_app().kiosk.config.service_groups[0].services[0].code

    # -- the look-up and the number, off the Kivy thread ----------------------------------------
    def _look_up(self, code: str) -> None:
        from kiosk.services.check_in import Booking, Lookup

        self._stop_scan()
        check_in = App.get_running_app().kiosk.check_in
        self.stage = "looking"
        self.message, self.typed = self._tr("checkin.looking"), ""
        self.first_action = self.second_action = ""

        def work():
            lookup = check_in.look_up(code)
            return lookup, (check_in.check_in(lookup) if lookup.booking is Booking.ON_TIME else None)

        # a bug is taken as no answer from the backend: a normal number is offered, no dead end
        self._background(work, lambda found: self._looked_up(*found), "check-in",
                         on_error=lambda _e: (Lookup(Booking.OFFLINE), None))

    def _looked_up(self, lookup, result) -> None:
        from kiosk.services.check_in import Booking

        self._lookup = lookup
        if result is not None:
            self._show_number(lookup.appointment.service_code, result)
            return
        if lookup.booking in (Booking.LATE, Booking.OFFLINE):
            self.stage = "offer"
            self.message = self._tr("checkin.late" if lookup.booking is Booking.LATE else "checkin.offline")
            self.first_action, self.second_action = self._tr("checkin.normal"), self._tr("ticket.done")
            return
        self.stage = "message"
        self.message = {Booking.TOO_EARLY: self._tr("checkin.early", t=lookup.come_back_at),
                        Booking.USED: self._tr("checkin.used")}.get(lookup.booking, self._tr("checkin.not_found"))
        self.first_action, self.second_action = self._tr("checkin.retry"), self._tr("ticket.done")

    def _run(self, work) -> None:
        check_in = App.get_running_app().kiosk.check_in
        self.stage = "looking"
        self.message = self._tr("ticket.printing")
        self.first_action = self.second_action = ""
        lookup = self._lookup
        service = lookup.appointment.service_code if lookup and lookup.appointment else self._fallback_service()
        self._background(lambda: work(check_in), lambda result: self._show_number(service, result), "check-in-number")

    def _show_number(self, service_code: str, result) -> None:
        app = App.get_running_app()
        service = next((s for g in app.kiosk.config.service_groups for s in g.services if s.code == service_code), None)
        name = app.pick(service.name, service.name_en, app.lang) if service else service_code
        ticket = app.sm.get_screen("ticket")
        app.go("ticket")
        ticket.show_result(name, result)


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
