"""A home-screen tile for one citizen journey (取号, 预约签到, 自助申报, 证照领取).

An unavailable tile stays tappable: it is drawn greyed *and* says 暂停服务 with the reason and
what to do instead, in words; the home screen shows the same message in a dialog on a tap.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.metrics import sp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

import ui.widgets.common  # noqa: F401  (kv rules for Text, Badge)
import ui.widgets.icons  # noqa: F401  (JourneyIcon, used in the kv rule)
from ui import theme as T
from ui.textwrap_zh import has_cjk
from ui.textwrap_zh import wrap as wrap_zh

KV_NAME = "ui/widgets/tile.kv"
KV = """
#:import T ui.theme
#:import sentence ui.i18n.sentence

<JourneyTile>:
    # Tall tiles (four in a row) stack everything. Wide tiles (大字模式, 2 x 2) keep the title
    # and the status word on the left and put the description, or the reason and what to do,
    # on the right, so the bigger text fits without scrolling.
    wide: self.width > 1.6 * self.height
    orientation: 'horizontal' if self.wide else 'vertical'
    padding: (dp(36), dp(40), dp(36), dp(28)) if self.wide else (dp(32), dp(44), dp(32), dp(32))
    spacing: dp(40) if self.wide else dp(16)
    canvas.before:
        Color:
            rgba: (T.ACCENT_SOFT if self.state == 'down' else T.SURFACE) if self.available else T.OFF_BG
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(T.RADIUS)]
        Color:
            rgba: T.BORDER
        Line:
            rounded_rectangle: (self.x, self.y, self.width, self.height, dp(T.RADIUS))
            width: dp(1.2)
        Color:
            rgba: T.ACCENT if self.available else T.OFF_STRIP
        RoundedRectangle:
            pos: self.x, self.top - dp(12)
            size: self.width, dp(12)
            radius: [dp(T.RADIUS), dp(T.RADIUS), 0, 0]
    BoxLayout:
        id: head
        orientation: 'vertical'
        spacing: dp(16)
        size_hint_x: 0.5 if root.wide else 1
        JourneyIcon:
            id: icon
            kind: root.journey
            size_hint: None, None
            # decoration: only where there is room (tall tiles of an available journey)
            size: (dp(112), dp(112)) if (root.available and not root.wide) else (0, 0)
            opacity: 1 if (root.available and not root.wide) else 0
        Text:
            id: title
            role: 'tile_title'
            color: T.ACCENT if root.available else T.TEXT
            text: app.pick(root.title_zh, root.title_en, app.lang)
        Text:
            id: desc
            color: T.TEXT_MUTED
            text: app.pick(root.desc_zh, root.desc_en, app.lang) if (root.available and not root.wide) else ''
        Widget:
        Badge:
            id: status
            color: T.ACCENT if root.available else T.WARN_TEXT
            fill: T.ACCENT_SOFT if root.available else T.WARN_BG
            stroke: T.ACCENT if root.available else T.WARN_BORDER
            text: app.tr('tile.start' if root.available else 'tile.off', app.lang)
    BoxLayout:
        id: body
        orientation: 'vertical'
        spacing: dp(12)
        size_hint_x: 0.5 if root.wide else (0 if root.available else 1)
        size_hint_y: None
        height: self.minimum_height
        pos_hint: {'center_y': .5}
        Text:
            id: desc_wide
            fit: root.body_fit
            color: T.TEXT_MUTED
            text: app.pick(root.desc_zh, root.desc_en, app.lang) if (root.available and root.wide) else ''
        Text:
            id: reason
            fit: root.body_fit
            color: T.TEXT
            text: '' if root.available else sentence(app.pick(root.reason_zh, root.reason_en, app.lang), app.lang)
        Text:
            id: todo
            fit: root.body_fit
            color: T.TEXT_MUTED
            text: '' if root.available else sentence(app.pick(root.todo_zh, root.todo_en, app.lang), app.lang)
"""


def wrapped_height(label, text: str, font_size: float, width: float) -> float:
    """How tall `text` would be in `label`'s font at `font_size`, wrapped to `width`."""
    core = CoreLabel(
        text=text, font_size=font_size, font_name=label.font_name, text_size=(width, None),
        line_height=label.line_height, halign=label.halign,
    )
    if has_cjk(text):  # as Text.texture_update breaks it
        core.text = wrap_zh(text, width - 1, lambda s: core.get_extents(s)[0])
    core.resolve_font_name()
    return core.render()[1]  # layout only, no pixels


class JourneyTile(ButtonBehavior, BoxLayout):
    journey = StringProperty("")
    title_zh = StringProperty("")
    title_en = StringProperty("")
    desc_zh = StringProperty("")
    desc_en = StringProperty("")
    available = BooleanProperty(True)
    wide = BooleanProperty(False)
    reason_zh = StringProperty("")
    reason_en = StringProperty("")
    todo_zh = StringProperty("")
    todo_en = StringProperty("")
    # A wide tile (大字模式) shrinks its right-hand text when a long reason would not fit,
    # never below the normal-mode size.
    body_fit = NumericProperty(1.0)
    MIN_BODY_FIT = T.FONT["body"][0] / T.FONT["body"][1]
    FIT_STEP = 0.04

    def on_kv_post(self, _base) -> None:
        self._fit_trigger = Clock.create_trigger(self.fit_body, -1)
        self.bind(size=self._fit_trigger, wide=self._fit_trigger, available=self._fit_trigger)
        for name in ("reason_zh", "reason_en", "todo_zh", "todo_en", "desc_zh", "desc_en"):
            self.bind(**{name: self._fit_trigger})
        App.get_running_app().bind(lang=self._fit_trigger, elder=self._fit_trigger)

    def fit_body(self, *_args) -> None:
        if not self.wide:
            self.body_fit = 1.0  # tall tiles have the room (tests/ui/test_layout.py checks)
            return
        app = App.get_running_app()
        body = self.ids.body
        labels = [lbl for lbl in (self.ids.desc_wide, self.ids.reason, self.ids.todo) if lbl.text]
        left, top, right, bottom = self.padding
        width = (self.width - left - right - self.spacing) * body.size_hint_x
        room = self.height - top - bottom
        fit = 1.0
        while fit > self.MIN_BODY_FIT:
            need = sum(
                wrapped_height(lbl, lbl.text, sp(T.font_sp(lbl.role, app.elder, app.lang)) * fit, width) for lbl in labels
            ) + body.spacing * max(0, len(labels) - 1)
            if need <= room:
                break
            fit = max(self.MIN_BODY_FIT, fit - self.FIT_STEP)
        self.body_fit = fit

    def set_availability(self, availability) -> None:
        """Take a kiosk.services.availability.Availability."""
        self.available = bool(availability.available)
        self.reason_zh = availability.reason
        self.reason_en = availability.reason_en
        self.todo_zh = availability.todo
        self.todo_en = availability.todo_en


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
