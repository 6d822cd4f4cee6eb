"""A large numeric keypad (1–9, 删除, 0, 确认): keys of KEY_W × KEY_H dp, scaled in 大字模式.

Dispatches ``on_key(key)`` with "0"–"9", "del" or "ok"; the screen keeps what was typed.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout

import ui.widgets.common  # noqa: F401  (kv rule for KioskButton)
from ui import theme as T
from ui.widgets.common import KioskButton

KV_NAME = "ui/widgets/keypad.kv"
KV = """
#:import T ui.theme

<Keypad>:
    cols: 3
    size_hint: None, None
    width: dp(T.KEY_W) * 3 * app.ui_scale + dp(20) * 2
    height: self.minimum_height
    spacing: dp(20)
"""

LAYOUT = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok")


class Keypad(GridLayout):
    __events__ = ("on_key",)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys: dict[str, KioskButton] = {}
        for label in LAYOUT:
            key = KioskButton(style="primary" if label == "ok" else "secondary", role="keypad", size_hint_x=None)
            key.bind(on_release=lambda _button, k=label: self.dispatch("on_key", k))
            self.add_widget(key)
            self.keys[label] = key
        app = App.get_running_app()
        app.bind(lang=self._label, ui_scale=self._size)
        self._label()
        self._size()

    def _label(self, *_args) -> None:
        app = App.get_running_app()
        names = {"del": app.tr("pickup.delete", app.lang), "ok": app.tr("pickup.confirm", app.lang)}
        for label, key in self.keys.items():
            key.text = names.get(label, label)

    def _size(self, *_args) -> None:
        scale = App.get_running_app().ui_scale
        for key in self.keys.values():
            key.width = dp(T.KEY_W) * scale
            key.height = dp(T.KEY_H) * scale

    def on_key(self, key: str) -> None:
        """A key was pressed."""


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
