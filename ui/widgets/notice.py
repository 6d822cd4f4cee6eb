"""A plain dialog that says something in words, with one big 知道了 button.

Used for an unavailable journey (the reason and what to do instead); closes on the button, on a
tap outside, and on the idle return home.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

import ui.widgets.common  # noqa: F401  (kv rules for Text, KioskButton)

KV_NAME = "ui/widgets/notice.kv"
KV = """
#:import T ui.theme

<NoticeView>:
    size_hint: None, None
    width: min(dp(1100) * app.ui_scale, (self._window.width if self._window else dp(1200)) - dp(96))
    height: box.height
    background_color: T.TRANSPARENT
    overlay_color: T.SCRIM
    BoxLayout:
        id: box
        orientation: 'vertical'
        size_hint_y: None
        height: self.minimum_height
        padding: dp(56), dp(48)
        spacing: dp(28)
        canvas.before:
            Color:
                rgba: T.SURFACE
            RoundedRectangle:
                pos: self.pos
                size: self.size
                radius: [dp(T.RADIUS)]
            Color:
                rgba: T.ACCENT
            RoundedRectangle:
                pos: self.x, self.top - dp(14)
                size: self.width, dp(14)
                radius: [dp(T.RADIUS), dp(T.RADIUS), 0, 0]
        Text:
            id: title
            role: 'dialog_title'
            bold: True
            color: T.TEXT
            text: root.title
        Text:
            id: message
            role: 'notice'
            color: T.TEXT
            text: app.tr('notice.reason', text=root.message) if root.message else ''
        Text:
            id: todo
            role: 'notice'
            color: T.TEXT
            text: app.tr('notice.todo', text=root.todo) if root.todo else ''
        Widget:
            size_hint_y: None
            height: dp(8)
        KioskButton:
            id: ok_button
            style: 'primary'
            size_hint_x: None
            width: dp(320) * app.ui_scale
            pos_hint: {'center_x': .5}
            text: app.tr('notice.ok', app.lang)
            on_release: root.dismiss()
"""


class NoticeView(ModalView):
    title = StringProperty("")
    message = StringProperty("")
    todo = StringProperty("")


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
