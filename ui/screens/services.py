"""取号, step 1: the service catalogue as the site config groups it, one big button per service.

Choosing a service dispatches `on_service(code)`; the ticket flow that handles it comes with its
own screen. The screen shows no personal data.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
from ui.widgets.common import KioskButton, Text

KV_NAME = "ui/screens/services.kv"
KV = """
#:import T ui.theme

<GroupHeader>:
    role: 'group'
    bold: True
    color: T.TEXT
    padding: dp(24), dp(4), 0, dp(4)
    text: app.pick(self.name_zh, self.name_en, app.lang)
    canvas.before:
        Color:
            rgba: T.ACCENT
        Rectangle:
            pos: self.x, self.y + dp(6)
            size: dp(8), self.height - dp(12)

<ServiceButton>:
    role: 'service'
    height: max(dp(T.SERVICE_H) * app.ui_scale, self.texture_size[1] + dp(28))
    text: app.pick(self.name_zh, self.name_en, app.lang)

<ServiceGroupView>:
    orientation: 'vertical'
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(16)
    GroupHeader:
        id: header
        name_zh: root.name_zh
        name_en: root.name_en
    GridLayout:
        id: grid
        cols: root.cols
        size_hint_y: None
        height: self.minimum_height
        spacing: dp(20)

<ServicesScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
            id: header
        BoxLayout:
            id: title_bar
            size_hint_y: None
            height: max(back_button.height, titles.height) + dp(56)
            padding: dp(T.PAD), dp(28)
            spacing: dp(40)
            KioskButton:
                id: back_button
                style: 'primary'
                size_hint_x: None
                width: dp(200) * app.ui_scale
                pos_hint: {'center_y': .5}
                text: app.tr('back', app.lang)
                on_release: app.go_home()
            BoxLayout:
                id: titles
                orientation: 'vertical'
                size_hint_y: None
                height: self.minimum_height
                pos_hint: {'center_y': .5}
                Text:
                    id: title
                    role: 'page_title'
                    bold: True
                    color: T.ACCENT
                    text: app.tr('take_number', app.lang)
                Text:
                    id: hint
                    color: T.TEXT_MUTED
                    text: app.tr('services.hint_more' if root.overflows else 'services.hint', app.lang)
        ScrollView:
            id: scroll
            do_scroll_x: False
            bar_width: dp(14)
            bar_color: T.ACCENT
            bar_inactive_color: T.BORDER
            scroll_type: ['bars', 'content']
            GridLayout:
                id: catalogue
                cols: 1
                size_hint_y: None
                height: self.minimum_height
                padding: dp(T.PAD), 0, dp(T.PAD), dp(32)
                spacing: dp(36)
        FooterBar:
            id: footer
"""


class GroupHeader(Text):
    name_zh = StringProperty("")
    name_en = StringProperty("")


class ServiceButton(KioskButton):
    code = StringProperty("")
    name_zh = StringProperty("")
    name_en = StringProperty("")


class _Filler(Widget):
    """Keeps the last row's columns as wide as the others (GridLayout gives empty columns no width)."""


class ServiceGroupView(BoxLayout):
    group_id = StringProperty("")
    name_zh = StringProperty("")
    name_en = StringProperty("")
    cols = NumericProperty(3)

    def __init__(self, **kwargs) -> None:
        self.buttons: list[ServiceButton] = []
        super().__init__(**kwargs)

    def add_service(self, button: ServiceButton) -> None:
        self.buttons.append(button)
        self._refill()

    def on_cols(self, *_args) -> None:
        self._refill()

    def _refill(self) -> None:
        if "grid" not in self.ids:
            return  # still being built
        grid = self.ids.grid
        grid.clear_widgets()
        for button in self.buttons:
            grid.add_widget(button)
        cols = max(1, int(self.cols))
        for _ in range(-len(self.buttons) % cols):
            grid.add_widget(_Filler())


class ServicesScreen(Screen):
    service_cols = NumericProperty(3)
    overflows = BooleanProperty(False)  # more services than fit: the hint says to scroll
    __events__ = ("on_service",)

    def __init__(self, **kwargs) -> None:
        self.groups: list[ServiceGroupView] = []
        self.buttons: dict[str, ServiceButton] = {}
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget) -> None:
        app = App.get_running_app()
        for group in app.kiosk.config.service_groups:
            view = ServiceGroupView(group_id=group.id, name_zh=group.name, name_en=group.name_en)
            for service in group.services:
                button = ServiceButton(code=service.code, name_zh=service.name, name_en=service.name_en)
                button.bind(on_release=self._on_button)
                view.add_service(button)
                self.buttons[service.code] = button
            self.groups.append(view)
            self.ids.catalogue.add_widget(view)
        self.bind(size=self._layout)
        app.bind(elder=self._layout)
        self.ids.catalogue.bind(height=self._check_overflow)
        self.ids.scroll.bind(height=self._check_overflow)
        self._layout()

    def _check_overflow(self, *_args) -> None:
        self.overflows = self.ids.catalogue.height > self.ids.scroll.height + 1

    def _layout(self, *_args) -> None:
        elder = App.get_running_app().elder
        if self.height > self.width:
            self.service_cols = 1 if elder else 2
        else:
            self.service_cols = 2 if elder else 3
        for view in self.groups:
            view.cols = self.service_cols

    def on_pre_enter(self, *_args) -> None:
        self.ids.scroll.scroll_y = 1  # every visit starts at the top

    def _on_button(self, button: ServiceButton) -> None:
        self.dispatch("on_service", button.code)

    def on_service(self, code: str) -> None:
        """A service was chosen. The ticket flow binds here (a later issue)."""


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
