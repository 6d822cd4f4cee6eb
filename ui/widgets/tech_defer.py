"""Asked when the maintenance gesture comes during a citizen journey: wait for it to end, end it
now (not while a door is open or a ticket prints), or cancel. A NoticeView with three choices
in place of its 知道了 button; dispatches ``on_choice("wait" | "abort" | "cancel")``."""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from ui.widgets.common import KioskButton
from ui.widgets.notice import NoticeView


class TechDeferView(NoticeView):
    __events__ = ("on_choice",)

    def __init__(self, busy: bool, **kwargs) -> None:
        app = App.get_running_app()
        super().__init__(title=app.tr("tech.busy_title", app.lang), todo=app.tr("tech.busy_text", app.lang),
                         message=app.tr("tech.abort_busy", app.lang) if busy else "", **kwargs)
        self.ids.box.remove_widget(self.ids.ok_button)
        row = BoxLayout(size_hint_y=None, spacing=dp(16))
        self.buttons = {}
        for choice, key, style in (("wait", "tech.wait", "primary"), ("abort", "tech.abort", "secondary"),
                                   ("cancel", "tech.cancel", "secondary")):
            button = KioskButton(text=app.tr(key, app.lang), style=style, disabled=busy and choice == "abort")
            button.bind(on_release=lambda _b, c=choice: self.dispatch("on_choice", c))
            row.add_widget(button)
            self.buttons[choice] = button
        row.bind(minimum_height=row.setter("height"))
        row.height = max(b.height for b in self.buttons.values())
        self.ids.box.add_widget(row)

    def on_choice(self, choice: str) -> None:
        if choice == "cancel":
            self.dismiss(animation=False)
