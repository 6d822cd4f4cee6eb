"""The header (hall name, date and time) and the footer (help line, 大字模式 and language
toggles) that every citizen screen shares."""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.lang import Builder
from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout

import ui.widgets.common  # noqa: F401  (kv rules for Text, KioskButton)

KV_NAME = "ui/widgets/bars.kv"
KV = """
#:import T ui.theme

<HeaderBar>:
    orientation: 'horizontal'
    size_hint_y: None
    padding: dp(T.PAD), dp(16)
    spacing: dp(32)
    height: max(dp(T.HEADER_MIN_H), clock_box.height + dp(40), hall.height + dp(40))
    canvas.before:
        Color:
            rgba: T.ACCENT
        Rectangle:
            pos: self.pos
            size: self.size
    Text:
        id: hall
        role: 'hall'
        color: T.ON_ACCENT
        pos_hint: {'center_y': .5}
        text: app.pick(app.hall_name, app.hall_name_en, app.lang)
    BoxLayout:
        id: clock_box
        orientation: 'vertical'
        size_hint: None, None
        width: max(time.width, date.width)
        height: self.minimum_height
        pos_hint: {'center_y': .5}
        Text:
            id: time
            role: 'clock'
            wrap: False
            color: T.ON_ACCENT
            size_hint_x: None
            width: self.texture_size[0]
            pos_hint: {'right': 1}
            text: app.now_time
        Text:
            id: date
            role: 'date'
            wrap: False
            color: T.ON_ACCENT
            size_hint_x: None
            width: self.texture_size[0]
            pos_hint: {'right': 1}
            text: app.now_date

<FooterBar>:
    # Narrow screens (portrait, or 大字模式 on a small one) put the help line above the buttons.
    narrow: self.width < dp(1200) * app.ui_scale
    orientation: 'vertical'
    size_hint_y: None
    padding: dp(T.PAD), dp(16) if self.narrow else dp(20), dp(T.PAD), dp(20)
    spacing: dp(12)
    height: self.minimum_height
    canvas.before:
        Color:
            rgba: T.BORDER
        Rectangle:
            pos: self.x, self.top - dp(2)
            size: self.width, dp(2)
    Text:
        id: help_above
        color: T.TEXT_MUTED
        text: app.tr('home.help', app.lang) if root.narrow else ''
    BoxLayout:
        id: row
        orientation: 'horizontal'
        size_hint_y: None
        height: elder_button.height
        spacing: dp(24)
        Text:
            id: help
            color: T.TEXT_MUTED
            pos_hint: {'center_y': .5}
            text: '' if root.narrow else app.tr('home.help', app.lang)
        KioskButton:
            id: elder_button
            size_hint_x: None
            width: (root.width - dp(2 * T.PAD + 24)) * 0.6 if root.narrow else dp(380) * app.ui_scale
            pos_hint: {'center_y': .5}
            style: 'primary' if app.elder else 'secondary'
            text: app.tr('elder.on' if app.elder else 'elder.off', app.lang)
            on_release: app.toggle_elder()
        KioskButton:
            id: lang_button
            size_hint_x: None
            width: (root.width - dp(2 * T.PAD + 24)) * 0.4 if root.narrow else dp(240) * app.ui_scale
            pos_hint: {'center_y': .5}
            text: app.tr('lang.switch', app.lang)
            on_release: app.toggle_lang()
"""


class HeaderBar(BoxLayout):
    pass


class FooterBar(BoxLayout):
    narrow = BooleanProperty(False)

    _row = None
    _help = None

    def on_kv_post(self, _base) -> None:
        # strong references: ids hold weak proxies, and the help line is taken out of the row
        self._row = self.ids.row.__self__
        self._help = self.ids.help.__self__
        self.on_narrow(self, self.narrow)

    def on_narrow(self, _bar, narrow: bool) -> None:
        if self._help is None:
            return  # still being built: on_kv_post comes back
        in_row = self._help.parent is self._row
        if narrow and in_row:
            self._row.remove_widget(self._help)  # its spacing would push the buttons off the margin
        elif not narrow and not in_row:
            self._row.add_widget(self._help, index=len(self._row.children))


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
