"""取号, step 2: optional ID card, then the number on screen while it prints.

Stages: ``choose`` (card or not) → ``card`` (lay the card) → ``printing`` → ``done`` (the number,
the people ahead, take the slip) | ``already`` (this person holds a number: reprint it) |
``failed`` (why, and what to do instead). The work runs off the Kivy thread (printing blocks for
seconds); results come back through the Clock. Leaving the screen, by 完成 or the idle reset,
clears the number, the identity and the card session: the next person finds nothing.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)


from kivy.app import App
from kivy.lang import Builder
from kivy.properties import OptionProperty, StringProperty

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
from ui.widgets.common import KioskButton, Text  # noqa: F401  (kv classes)
from ui.screens.journey import JourneyScreen, StepRow  # noqa: F401  (StepRow: a kv class)

KV_NAME = "ui/screens/ticket.kv"
KV = """
#:import T ui.theme

<TicketScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
        BoxLayout:
            # landscape: the number on the left, what to do on the right; portrait: stacked
            orientation: 'horizontal' if root.width >= root.height else 'vertical'
            padding: dp(T.PAD), dp(28)
            spacing: dp(T.GAP) * 2
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(20)
                Widget:
                PageTitle:
                    id: title
                    text: root.service_name
                StepMessage:
                    id: message
                    text: root.message
                Text:
                    id: number
                    role: 'ticket_number'
                    bold: True
                    halign: 'center'
                    color: T.ACCENT
                    opacity: 1 if root.number else 0
                    text: root.number
                Widget:
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(24)
                Widget:
                Text:
                    id: detail
                    role: 'notice'
                    halign: 'center'
                    text: root.detail
                Widget:
                StepRow:
                    screen: root
        FooterBar:
"""


class TicketScreen(JourneyScreen):
    stage = OptionProperty("choose", options=["choose", "card", "printing", "done", "already", "failed"])
    service_code = StringProperty("")
    service_name = StringProperty("")
    number = StringProperty("")

    def on_stage(self, _screen, stage: str) -> None:
        self.busy = stage == "printing"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._session = None
        self._result = None  # the last TakeResult (for a reprint)

    # -- entry and exit ----------------------------------------------------------------------
    def start(self, code: str, name: str) -> None:
        self.clear()
        self.service_code, self.service_name = code, name
        self._show("choose")

    def on_leave(self, *_args) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything of the person served (the privacy reset)."""
        self._generation += 1
        if self._session is not None:
            self._session.close()
            self._session = None
        self._result = None
        self.number = self.detail = self.message = self.service_name = self.service_code = ""
        self.first_action = self.second_action = ""

    def show_result(self, service_name: str, result) -> None:
        """A number another journey obtained (预约签到): shown here like any other."""
        self.clear()
        self.service_name = service_name
        self._finished(result)

    # -- stages ------------------------------------------------------------------------------
    def _show(self, stage: str) -> None:
        app = App.get_running_app()
        tr = lambda key, **f: app.tr(key, app.lang, **f)  # noqa: E731
        self.stage = stage
        r = self._result
        if stage == "choose":
            self.message, self.number, self.detail = tr("ticket.choose", age=app.kiosk.config.kiosk.elder_age), "", ""
            self.first_action, self.second_action = tr("ticket.without_card"), tr("ticket.with_card")
        elif stage == "card":
            self.message, self.detail = tr("ticket.lay_card"), ""
            self.first_action, self.second_action = tr("ticket.without_card"), tr("back")
        elif stage == "printing":
            self.message, self.detail = tr("ticket.printing"), ""
            self.first_action = self.second_action = ""
        elif stage == "done":
            self.message = tr("ticket.your_number") + (f" · {tr('ticket.priority')}" if r.priority else "")
            self.number = r.ticket.number
            lines = [tr("ticket.waiting", n=r.ticket.waiting), tr("ticket.take_slip")]
            if r.ticket.source.value == "kiosk":
                lines.append(tr("ticket.offline"))
            self.detail = "\n".join(lines)
            self.first_action, self.second_action = tr("ticket.done"), ""
        elif stage == "already":
            self.message, self.number = tr("ticket.already"), r.ticket.number
            self.detail = app.pick(f"{r.reason}。{r.todo}", f"{r.reason_en}. {r.todo_en}", app.lang)
            self.first_action, self.second_action = tr("ticket.reprint"), tr("ticket.done")
        elif stage == "failed":
            self.message, self.number = tr("ticket.failed"), ""
            self.detail = app.pick(f"{r.reason}。{r.todo}", f"{r.reason_en}. {r.todo_en}", app.lang)
            self.first_action, self.second_action = tr("ticket.done"), ""

    def on_first(self) -> None:
        if self.stage in ("choose", "card"):
            self._take(None)
        elif self.stage == "already":
            self._run(lambda tn: tn.reprint(self._result.ticket, self.service_name))
        else:
            App.get_running_app().go_home()

    def on_second(self) -> None:
        if self.stage == "choose":
            self._read_card()
        elif self.stage == "card":
            self._close_session()
            self._show("choose")
        elif self.stage == "already":
            App.get_running_app().go_home()

    # -- work off the Kivy thread ---------------------------------------------------------------
    def _read_card(self) -> None:
        app = App.get_running_app()
        self._session = app.kiosk.card_session()
        if self._session is None:  # no reader: numbers without a card still work
            self._take(None)
            return
        self._show("card")
        self._session.start(on_read=self._current(self._card_read), on_problem=self._current(self._card_problem))

    def _card_read(self, identity) -> None:
        if self.stage == "card":
            self._take(identity)

    def _card_problem(self, zh: str, en: str) -> None:
        if self.stage == "card":
            self.detail = App.get_running_app().pick(zh, en, App.get_running_app().lang)

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _take(self, identity) -> None:
        code, name = self.service_code, self.service_name
        self._run(lambda tn: tn.take(code, name, identity))

    def _run(self, work) -> None:
        take_number = App.get_running_app().kiosk.take_number
        self._show("printing")
        self._background(lambda: work(take_number), self._finished, "take-number")

    def _finished(self, result) -> None:
        self._close_session()  # the identity is no longer needed
        from kiosk.services.take_number import TakeResult, TakeStatus

        if result is None:
            result = TakeResult(TakeStatus.PRINT_FAILED, None, False, "系统暂时无法出票", "the terminal cannot issue a number",
                                "请到咨询台取号", "Please take a number at the help desk")
        if result.status is TakeStatus.ALREADY_WAITING:
            self._result = result
            self._show("already")
        elif result.status is TakeStatus.PRINTED:
            self._result = result
            self._show("done")
        else:
            self._result = result
            self._show("failed")


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
