"""工作人员: staff deposit results into the locker and take overdue ones back out.

Stages: ``pin`` (keypad, the PIN as dots; or ``card``: lay the staff ID card) → ``menu`` (存件,
逾期取回, 退出) → deposit: ``case`` (type the case number on a letter keypad, or show its QR code
to the document camera) → ``checking`` (the backend's word) → ``size`` → ``opening`` → ``open``
(the door number in large type: put the document in, close the door) → ``result`` (slip printed;
or the code shown once when it did not print; or what went wrong, in words). Overdue: ``overdue``
(a list: door, case number, days) → ``opening`` → ``open`` → ``result``.

The logic is kiosk.services.staff.StaffDesk; this screen only shows it. The session ends on 退出,
on leaving the screen (the idle reset goes home), and after ``[staff] session_s``; leaving clears
every field, the list, the case number and any code on show.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)


from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, OptionProperty, StringProperty

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
import ui.widgets.keypad  # noqa: F401  (Keypad, CaseKeypad)
from ui.widgets.common import KioskButton

from ui.screens.journey import JourneyScreen, StepRow  # noqa: F401  (StepRow: a kv class)
from ui.screens.sign_in import SignInSteps

MAX_CASE = 32
SESSION_CHECK_S = 1.0

KV_NAME = "ui/screens/staff.kv"
KV = """
#:import T ui.theme
#:import Keypad ui.widgets.keypad.Keypad
#:import CaseKeypad ui.widgets.keypad.CaseKeypad

<StaffEntryButton>:
    # on the home screen's header: discreet, never a citizen tile, still a ≥ 60 dp target
    role: 'date'
    size_hint: None, None
    width: dp(180)  # fixed: a width from the texture would feed back through text_size
    height: dp(72)
    pos_hint: {'center_y': .5}

<StaffScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
        BoxLayout:
            # landscape: words on the left, a keypad on the right; portrait stacks them
            orientation: 'horizontal' if root.width >= root.height else 'vertical'
            padding: dp(T.PAD), dp(28)
            spacing: dp(T.GAP) * 2 if root.stage in ('pin', 'case') else 0
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(20)
                PageTitle:
                    text: app.tr('staff', app.lang)
                StepMessage:
                    id: message
                    text: root.message
                Text:
                    id: big
                    role: {'pin': 'code', 'case': 'dialog_title', 'open': 'ticket_number'}.get(root.stage, 'code')
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
                ScrollView:
                    id: scroll
                    do_scroll_x: False
                    size_hint_y: 1 if root.stage in ('size', 'overdue') else None
                    height: 0
                    opacity: 1 if root.stage in ('size', 'overdue') else 0
                    GridLayout:
                        id: choices
                        cols: 1
                        size_hint_y: None
                        height: self.minimum_height
                        spacing: dp(16)
                Widget:
                    # the free space, unless a list takes it
                    size_hint_y: None if root.stage in ('size', 'overdue') else 1
                    height: 0
                StepRow:
                    screen: root
            AnchorLayout:
                # the PIN keypad, or the case keypad (which takes 60 % of a landscape screen); only
                # the one in use is in the tree (a disabled widget still swallows touches)
                id: pads
                size_hint_x: (1.5 if root.stage == 'case' else None) if root.width >= root.height else 1
                size_hint_y: 1 if root.width >= root.height else None
                width: keypad.width if root.stage == 'pin' else 0
                height: (keypad.height if root.stage == 'pin' else casepad.height) if root.stage in ('pin', 'case') else 0
                opacity: 1 if root.stage in ('pin', 'case') else 0
                disabled: root.stage not in ('pin', 'case')
                anchor_x: 'center'
                anchor_y: 'center'
                Keypad:
                    id: keypad
                    on_key: root.press_pin(args[1])
                CaseKeypad:
                    id: casepad
                    on_key: root.press_case(args[1])
        FooterBar:
"""

STAGES = ["pin", "card", "checking_pin", "menu", "case", "checking", "size", "opening", "open", "result", "overdue"]


class StaffEntryButton(KioskButton):
    pass


class StaffScreen(SignInSteps, JourneyScreen):
    WORDS = "staff"

    stage = OptionProperty("pin", options=STAGES)
    big = StringProperty("")  # PIN dots, the typed case number, the door number, or a code on show
    warn = BooleanProperty(False)  # the detail line says what went wrong (the words carry it; red helps)

    def __init__(self, **kwargs) -> None:
        self._pin = ""
        self._case = ""
        self._session = None  # kiosk.services.staff.StaffSession
        self._outcome = None  # a DepositOutcome whose code is on show
        self._scanner = None  # the document camera looking for a case QR code
        self._after = "menu"  # what the result's 'again' button does: "case" after a deposit
        self._timer = None
        super().__init__(**kwargs)

    def on_kv_post(self, _base) -> None:
        super().on_kv_post(_base)
        # strong references: ids hold weak proxies, and one of the two is always out of the tree
        self._pads = {"pin": self.ids.keypad.__self__, "case": self.ids.casepad.__self__}
        self.on_stage(self, self.stage)

    def on_stage(self, _screen, stage: str) -> None:
        self.busy = stage in ("checking_pin", "checking", "opening", "open")
        pads = getattr(self, "_pads", None)
        if pads is not None:
            wanted = pads["case" if stage == "case" else "pin"]
            if wanted.parent is not self.ids.pads:
                self.ids.pads.clear_widgets()
                self.ids.pads.add_widget(wanted)

    @property
    def desk(self):
        return App.get_running_app().kiosk.staff

    @property
    def keys(self):
        return self.ids.keypad.keys

    @property
    def case_keys(self):
        return self.ids.casepad.keys

    # -- entry and exit ------------------------------------------------------------------------
    def on_pre_enter(self, *_args) -> None:
        self.clear()
        self._show_pin()
        self._timer = Clock.schedule_interval(self._check_session, SESSION_CHECK_S)

    def on_leave(self, *_args) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._end("left")
        self.clear()

    def clear(self) -> None:
        """Forget the PIN, the case number, the list and any code on show (the privacy reset)."""
        self._generation += 1
        self._pin = self._case = ""
        self._stop_devices()
        if self._outcome is not None:
            self._outcome.forget()
            self._outcome = None
        self.ids.choices.clear_widgets()
        self.big = self.detail = self.message = ""
        self.first_action = self.second_action = self.third_action = ""

    def _end(self, reason: str) -> None:
        if self._session is not None and self.desk is not None:
            self.desk.end(self._session, reason)
        self._session = None

    def _check_session(self, _dt) -> bool | None:
        """The session's own time limit; never while a door is open (it waits for the close) nor
        while a code that did not print is on show (the idle reset still clears it)."""
        app = App.get_running_app()
        if app is None or app.sm is not self.manager or self.manager.current != self.name:
            # not on show, or its app has stopped (a test's next app): never act on another
            # app's screens; returning False ends the interval
            self._timer = None
            return False
        waiting = self.busy or self._outcome is not None
        if self._session is not None and not waiting and not self.desk.active(self._session):
            self._end("timeout")
            App.get_running_app().go_home()

    def _stop_devices(self) -> None:
        for attr in ("_card", "_scanner"):
            device = getattr(self, attr)
            if device is not None:
                (device.close if attr == "_card" else device.stop)()
                setattr(self, attr, None)

    # -- sign-in (ui/screens/sign_in.py) -------------------------------------------------------
    def _admitted(self, session) -> None:
        self._session = session
        self._show_menu()

    # -- the menu and its buttons --------------------------------------------------------------
    def _show_menu(self) -> None:
        self._case = ""
        self.ids.choices.clear_widgets()
        self.stage = "menu"
        self.message, self.big, self.detail = self._tr("staff.hello", name=self._session.name), " ", ""
        self._buttons(self._tr("staff.deposit"), self._tr("staff.overdue"), self._tr("staff.logout"))

    def on_first(self) -> None:
        if self.stage == "pin":
            self._read_card()
        elif self.stage == "card":
            self._stop_devices()
            self._show_pin()
        elif self.stage == "menu" or (self.stage == "result" and self._after == "case"):
            self._show_case()

    def on_second(self) -> None:
        if self.stage in ("pin", "card"):
            App.get_running_app().go_home()
        elif self.stage == "menu":
            self._show_overdue()
        elif self.stage in ("case", "size", "result", "overdue"):
            self._stop_devices()
            self._show_menu()

    def on_third(self) -> None:
        if self.stage in ("menu", "result"):
            self._end("logout")
            App.get_running_app().go_home()

    # -- deposit -------------------------------------------------------------------------------
    def _show_case(self, detail: str = "") -> None:
        if self._outcome is not None:  # a code on show goes with the next deposit
            self._outcome.forget()
            self._outcome = None
        self.stage = "case"
        self.message, self.big, self.detail = self._tr("staff.case"), self._case or " ", detail
        self.warn = bool(detail)
        self._buttons("", self._tr("staff.menu"))
        self._scanner = App.get_running_app().kiosk.qr_scanner()
        if self._scanner is not None:
            self._scanner.start(self._current(lambda text: self.stage == "case" and self._check(text)))

    def press_case(self, key: str) -> None:
        if self.stage != "case":
            return
        if key == "del":
            self._case = self._case[:-1]
        elif key == "ok":
            if self._case:
                self._check(self._case)
            return
        elif len(self._case) < MAX_CASE:
            self._case += key
        self.big = self._case or " "

    def _check(self, case: str) -> None:
        self._stop_devices()
        self._case = case.strip().upper()
        session = self._session
        self._run(lambda: self.desk.check_case(session, self._case), self._checked, "checking", self._tr("staff.checking"))

    def _checked(self, check) -> None:
        from kiosk.services.staff import CaseCheck

        if check is CaseCheck.VALID:
            self._show_sizes()
            return
        key = {CaseCheck.BAD_FORMAT: "staff.bad_format", CaseCheck.UNKNOWN: "staff.unknown",
               CaseCheck.COLLECTED: "staff.collected", CaseCheck.IN_LOCKER: "staff.in_locker",
               CaseCheck.REFUSED: "staff.refused", CaseCheck.OFFLINE: "staff.offline",
               CaseCheck.BACKEND_ERROR: "staff.backend_error"}.get(check, "staff.failed")
        self._show_case(self._tr(key))

    def _show_sizes(self) -> None:
        self.stage = "size"
        self.message = self._tr("staff.size")
        self._buttons("", self._tr("staff.menu"))
        choices = [(self._tr("staff.free", size=self._tr(f"staff.size.{c.size.value}"), n=c.free), c.size, c.free > 0)
                   for c in self.desk.sizes()]
        self._fill(choices, self._deposit)

    def _fill(self, choices, action) -> None:
        self.big = self.detail = ""  # the list gets their room
        grid = self.ids.choices
        grid.clear_widgets()
        for text, value, enabled in choices:
            button = KioskButton(text=text, disabled=not enabled)
            button.bind(on_release=lambda _b, v=value: action(v))
            grid.add_widget(button)

    def _deposit(self, size) -> None:
        session, case = self._session, self._case
        self._open_door(lambda opened: self.desk.deposit(session, case, size, on_open=opened), "staff.put_in",
                        self._deposited)

    def _open_door(self, work, todo: str, done) -> None:
        """``work(opened)`` opens a door off the Kivy thread; the door number shows once it is open."""
        self.ids.choices.clear_widgets()
        opened = self._current(lambda _cabinet, number: self._opened(number, todo))
        self._run(lambda: work(opened), done, "opening", self._tr("staff.opening"))

    def _opened(self, number: int, todo: str) -> None:
        self.stage = "open"
        self.message, self.big, self.detail = self._tr("pickup.open", n=number), str(number), self._tr(todo)

    def _deposited(self, outcome) -> None:
        from kiosk.lockers import Status

        self._case = ""
        self.stage = "result"
        self._after = "case"
        self._buttons(self._tr("staff.again"), self._tr("staff.menu"), self._tr("staff.logout"))
        status = None if outcome is None else outcome.status
        if status is Status.OK and outcome.printed:
            self.message, self.detail = self._tr("staff.deposited"), self._tr("staff.slip")
            self.big = self._tr("staff.door", n=outcome.number)
        elif status is Status.OK:  # the deposit stands; the code is on screen this once
            self._outcome, self.warn = outcome, True
            reason = App.get_running_app().pick(outcome.print_reason, outcome.print_reason_en)
            self.message = self._tr("staff.no_slip", reason=reason)
            self.big, self.detail = outcome.code or " ", self._tr("staff.write_code")
        else:
            self.big = " "
            self.message, self.detail = self._tr(_DEPOSIT_PROBLEMS.get(status, "staff.failed")), ""

    # -- overdue and recovery ------------------------------------------------------------------
    def _show_overdue(self) -> None:
        session = self._session
        self._run(lambda: self.desk.overdue(session), self._listed, "checking", self._tr("staff.checking_pin"))

    def _listed(self, items) -> None:
        self.stage = "overdue"
        self._buttons("", self._tr("staff.menu"))
        items = items or []
        self.message = self._tr("staff.overdue_list" if items else "staff.none_overdue")
        self._fill([(self._tr("staff.overdue_row", n=i.number, case=i.case_number, d=i.days), i.deposit_id, True)
                    for i in items], self._recover)

    def _recover(self, deposit_id: int) -> None:
        session = self._session
        self._open_door(lambda opened: self.desk.recover(session, deposit_id, on_open=opened), "staff.take_out",
                        self._recovered)

    def _recovered(self, result) -> None:
        from kiosk.lockers import Status

        self.stage = "result"
        self._after = "menu"
        self._buttons("", self._tr("staff.menu"), self._tr("staff.logout"))
        status = None if result is None else result.status
        self.big = " "
        key = {Status.OK: "staff.recovered", Status.ITEM_LEFT: "staff.item_left"}.get(
            status, _DEPOSIT_PROBLEMS.get(status, "staff.failed"))
        self.message, self.detail = self._tr(key), ""


def _problems():
    from kiosk.lockers import Status

    return {Status.NO_COMPARTMENT: "staff.no_compartment", Status.LOCK_JAMMED: "staff.jammed",
            Status.BOARD_OFFLINE: "staff.jammed", Status.DOOR_LEFT_OPEN: "staff.left_open",
            Status.NO_ITEM: "staff.no_item"}


_DEPOSIT_PROBLEMS = _problems()

Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
