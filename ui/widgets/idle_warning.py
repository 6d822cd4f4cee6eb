"""The idle warning: at least 20 s before the return home, a big countdown and a big 继续 button.

No timeout comes unannounced (domain.md §10): a person who reads slowly, or stepped aside to
find a document, sees how long is left and keeps their place with one touch anywhere.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView

import ui.widgets.common  # noqa: F401  (kv rules for Text, KioskButton)

KV_NAME = "ui/widgets/idle_warning.kv"
KV = """
#:import T ui.theme

<IdleWarning>:
    size_hint: None, None
    width: min(dp(1100) * app.ui_scale, (self._window.width if self._window else dp(1200)) - dp(96))
    height: box.height
    auto_dismiss: False
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
        Text:
            id: title
            role: 'dialog_title'
            bold: True
            halign: 'center'
            text: app.tr('idle.title', app.lang)
        Text:
            id: countdown
            role: 'notice'
            halign: 'center'
            text: app.tr('idle.countdown', app.lang, n=root.seconds_left)
        KioskButton:
            id: keep
            style: 'primary'
            role: 'keypad'
            height: dp(T.KEY_H) * app.ui_scale
            text: app.tr('idle.continue', app.lang)
            on_release: root.dismiss(animation=False)
"""


class IdleWarning(ModalView):
    seconds_left = NumericProperty(20)


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
