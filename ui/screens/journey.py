"""What every journey screen shares: its words (message, detail), up to three step buttons at
the bottom, ``busy`` (the idle reset waits while it is set), and the app's words in its language.

A screen's kv puts ``StepRow: screen: root`` where its buttons go; the buttons show the screen's
``first_action`` … ``third_action`` (hidden while empty) and call its ``on_first`` … ``on_third``.
They are also the screen's own ``ids.first`` … ``ids.third``.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

import ui.widgets.common  # noqa: F401  (StepButton)

STEPS = ("first", "second", "third")

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
