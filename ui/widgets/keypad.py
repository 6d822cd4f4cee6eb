"""A large numeric keypad (1–9, 删除, 0, 确认): keys of KEY_W × KEY_H dp, scaled in 大字模式;
and a case-number keypad (digits, A–Z and '-') whose keys share the width it is given.

Both dispatch ``on_key(key)`` with the key ("0"–"9", "A"–"Z", "-"), "del" or "ok"; the screen
keeps what was typed.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
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

<CaseKeypad>:
    orientation: 'vertical'
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(12)
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


# QWERTY rows, as on the keyboards staff know. 删除 fills the fourth row and 确认 a row of its
# own: their words ("Delete" at 大字模式 size) do not fit a letter key's width on a portrait screen.
CASE_ROWS: tuple[tuple[tuple[str, float], ...], ...] = (
    *(tuple((k, 1.0) for k in row) for row in ("1234567890", "QWERTYUIOP", "ASDFGHJKL-")),
    (*((k, 1.0) for k in "ZXCVBNM"), ("del", 3.0)),
    (("ok", 10.0),),
)


class CaseKeypad(BoxLayout):
    """Letters, digits and '-' for a case number (e.g. BJ2026-0001): ten keys a row sharing the
    width it is given (≥ 60 dp each even on a 1080-wide portrait screen); each row is as tall as
    its keys, which are KioskButtons (BUTTON_H dp, × ui_scale in 大字模式)."""

    __events__ = ("on_key",)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys: dict[str, KioskButton] = {}
        for row_keys in CASE_ROWS:
            row = BoxLayout(orientation="horizontal", spacing=dp(10), size_hint_y=None)
            for label, weight in row_keys:
                key = KioskButton(style="primary" if label == "ok" else "secondary",
                                  role="button" if weight > 1 else "keypad", size_hint_x=weight)
                key.bind(on_release=lambda _button, k=label: self.dispatch("on_key", k))
                row.add_widget(key)
                self.keys[label] = key
            first = row.children[-1]
            first.bind(height=lambda _key, h, r=row: setattr(r, "height", h))
            row.height = first.height
            self.add_widget(row)
        App.get_running_app().bind(lang=self._label)
        self._label()

    _label = Keypad._label  # the same words for 删除 and 确认

    def on_key(self, key: str) -> None:
        """A key was pressed."""


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
