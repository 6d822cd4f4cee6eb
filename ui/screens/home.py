"""The home screen (首页): hall name, date and time, the four journey tiles, and the 大字模式 and
language toggles."""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.screenmanager import Screen

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
from kiosk.services.availability import Availability, Journey
from ui.i18n import STRINGS, sentence, tr
from ui.widgets.tile import JourneyTile
from ui.screens.staff import StaffEntryButton

KV_NAME = "ui/screens/home.kv"
KV = """
#:import T ui.theme

<HomeScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
            id: header
        BoxLayout:
            orientation: 'vertical'
            padding: dp(T.PAD), dp(28) if app.elder else dp(36)
            spacing: 0 if app.elder else dp(32)
            Text:
                id: welcome
                role: 'welcome'
                # 大字模式 gives the line's room to the bigger tiles
                text: '' if app.elder else app.tr('home.welcome', app.lang)
            GridLayout:
                id: grid
                cols: root.tile_cols
                spacing: dp(T.GAP)
        FooterBar:
            id: footer
"""

# Home tiles, in screen order; Journey values double as i18n keys.
TILE_ORDER = (Journey.TAKE_NUMBER, Journey.CHECK_IN, Journey.SELF_SUBMIT, Journey.PICKUP)
# Journeys that have a screen in this version; the others say so when tapped.
SCREENS = {Journey.TAKE_NUMBER: "services", Journey.PICKUP: "pickup", Journey.CHECK_IN: "checkin",
           Journey.SELF_SUBMIT: "submit"}


class HomeScreen(Screen):
    tile_cols = NumericProperty(4)

    def __init__(self, **kwargs) -> None:
        self.tiles: dict[Journey, JourneyTile] = {}
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget) -> None:
        app = App.get_running_app()
        for journey in TILE_ORDER:
            zh, en = STRINGS[journey.value]
            desc_zh, desc_en = STRINGS[f"{journey.value}.desc"]
            tile = JourneyTile(journey=journey.value, title_zh=zh, title_en=en, desc_zh=desc_zh, desc_en=desc_en)
            tile.bind(on_release=self._on_tile)
            self.tiles[journey] = tile
            self.ids.grid.add_widget(tile)
        # 工作人员: staff deposit and recovery, on the header, apart from the citizen tiles
        staff = StaffEntryButton(text=app.tr("staff", app.lang))
        app.bind(lang=lambda _app, lang: setattr(staff, "text", app.tr("staff", lang)))
        staff.bind(on_release=lambda _button: app.go("staff"))
        self.ids.header.add_widget(staff, index=1)
        self.staff_button = staff
        self.bind(size=self._layout)
        app.bind(elder=self._layout)
        self._layout()

    def _layout(self, *_args) -> None:
        elder = App.get_running_app().elder
        portrait = self.height > self.width
        if portrait:
            self.tile_cols = 1 if elder else 2
        else:
            self.tile_cols = 2 if elder else 4

    def apply_availability(self, availability: dict[Journey, Availability]) -> None:
        for journey, tile in self.tiles.items():
            if journey in availability:
                tile.set_availability(availability[journey])

    def _on_tile(self, tile: JourneyTile) -> None:
        app = App.get_running_app()
        lang = app.lang
        name = app.pick(tile.title_zh, tile.title_en, lang)
        journey = Journey(tile.journey)
        if not tile.available:
            app.show_notice(
                title=tr("notice.off_title", lang, name=name),
                message=sentence(app.pick(tile.reason_zh, tile.reason_en, lang), lang),
                todo=sentence(app.pick(tile.todo_zh, tile.todo_en, lang), lang),
            )
        elif journey in SCREENS and (journey is not Journey.SELF_SUBMIT or app.kiosk.config.matters):
            app.go(SCREENS[journey])  # (自助申报 is offered where the site lists its matters)
        else:
            app.show_notice(
                title=tr("notice.not_offered_title", lang, name=name),
                message=tr("notice.not_offered", lang),
                todo=tr("notice.not_offered_todo", lang),
            )


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
