"""Small building blocks: text that wraps and sizes itself, big flat buttons, a word badge.

Font sizes follow the running app's `ui_scale` (1.0, or theme.ELDER_SCALE in 大字模式), so
every text grows together when elder mode is switched on.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from ui import theme as T
from ui.textwrap_zh import has_cjk
from ui.textwrap_zh import wrap as wrap_zh

KV_NAME = "ui/widgets/common.kv"
KV = """
#:import T ui.theme

<Text>:
    font_size: sp(T.font_sp(self.role, app.elder, app.lang)) * self.fit
    color: T.TEXT
    line_height: T.LINE_HEIGHT if self.wrap else 1.0
    halign: 'left'
    valign: 'middle'
    size_hint_y: None
    text_size: (self.width, None) if self.wrap else (None, None)
    height: self.texture_size[1]

<Badge>:
    wrap: False
    line_height: 1.0
    size_hint_x: None
    width: self.texture_size[0]
    padding: dp(16) * app.ui_scale, dp(6) * app.ui_scale
    canvas.before:
        Color:
            rgba: self.fill
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(8)]
        Color:
            rgba: self.stroke
        Line:
            rounded_rectangle: (self.x, self.y, self.width, self.height, dp(8))
            width: dp(1.5)

<StepButton>:
    # a journey screen's bottom buttons: one without a task (no text) is hidden and takes no
    # room; width is re-set on each change, as a hidden button keeps the width it last had
    size_hint_x: 1 if self.text else None
    width: 1 if self.text else 0
    opacity: 1 if self.text else 0
    disabled: not self.text

<KioskButton>:
    font_size: sp(T.font_sp(self.role, app.elder, app.lang))
    color: self.fg_colour(self.style)
    halign: 'center'
    valign: 'middle'
    line_height: 1.1
    text_size: self.width - dp(32), None
    size_hint_y: None
    height: max(dp(T.BUTTON_H) * app.ui_scale, self.texture_size[1] + dp(28))
    canvas.before:
        Color:
            rgba: self.bg_colour(self.style, self.state)
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(T.RADIUS)]
        Color:
            rgba: T.ACCENT if self.style != 'primary' else T.TRANSPARENT
        Line:
            rounded_rectangle: (self.x + dp(1), self.y + dp(1), self.width - dp(2), self.height - dp(2), dp(T.RADIUS))
            width: dp(2)
"""


class Text(Label):
    """Wrapping text as tall as its lines; `role` picks the size from theme.FONT.

    Chinese is broken with ui.textwrap_zh (no line starting with 、 or ）, no lone last
    character); Latin-only text keeps Kivy's own wrapping at spaces."""

    role = StringProperty("body")
    wrap = BooleanProperty(True)
    fit = NumericProperty(1.0)  # < 1 where a container shrinks its text to fit (see JourneyTile)

    def texture_update(self, *largs) -> None:
        if self.wrap and self.text and self.text_size[0] and has_cjk(self.text):
            width = self.text_size[0] - self.padding[0] - self.padding[2]
            core = self._label
            core.text = wrap_zh(self.text, width - 1, lambda s: core.get_extents(s)[0])
        super().texture_update(*largs)


class Badge(Text):
    """A short word on a tinted box, e.g. 暂停服务: the words say it, the colour only helps."""

    fill = ColorProperty(T.TRANSPARENT)
    stroke = ColorProperty(T.TRANSPARENT)


class KioskButton(ButtonBehavior, Label):
    """A flat, big button: `primary` (filled accent) or `secondary` (outlined)."""

    role = StringProperty("button")
    style = OptionProperty("secondary", options=["primary", "secondary"])

    @staticmethod
    def fg_colour(style: str):
        return T.ON_ACCENT if style == "primary" else T.ACCENT

    @staticmethod
    def bg_colour(style: str, state: str):
        if style == "primary":
            return T.ACCENT_PRESSED if state == "down" else T.ACCENT
        return T.ACCENT_SOFT if state == "down" else T.SURFACE


Builder.unload_file(KV_NAME)
class StepButton(KioskButton):
    """A journey screen's bottom button: hidden, and taking no room, while it has no text."""


Builder.load_string(KV, filename=KV_NAME)
