"""The home screen: tiles, unavailable journeys, device events, 大字模式, language."""

from __future__ import annotations

import threading

import pytest
from kivy.metrics import dp

from drivers.device import DeviceKind, DeviceState
from kiosk.services.availability import Journey
from tests.ui.kivyhelp import has_cjk, labels, pump_until, settle, tap, texts
from ui.widgets.common import KioskButton
from ui.widgets.tile import JourneyTile

pytestmark = pytest.mark.ui


def test_home_shows_hall_clock_and_four_tiles(app, home):
    assert app.sm.current == "home"
    assert home.ids.header.ids.hall.text == "示例市政务服务中心"
    assert "年" in home.ids.header.ids.date.text and "星期" in home.ids.header.ids.date.text
    assert ":" in home.ids.header.ids.time.text
    titles = [home.tiles[j].ids.title.text for j in (Journey.TAKE_NUMBER, Journey.CHECK_IN, Journey.SELF_SUBMIT, Journey.PICKUP)]
    assert titles == ["取号", "预约签到", "自助申报", "证照领取"]
    assert [t.journey for t in home.ids.grid.children[::-1]] == [j.value for j in Journey]
    assert home.ids.footer.ids.elder_button.text == "大字模式：已关闭"
    assert home.ids.footer.ids.lang_button.text == "English"


def test_unavailable_tile_says_why_in_words_and_explains_on_tap(app, home):
    tile = home.tiles[Journey.PICKUP]
    assert not tile.available
    # drawn as unavailable in words, not only in grey
    assert tile.ids.status.text == "暂停服务"
    assert tile.ids.reason.text == "智能柜无应答"
    assert tile.ids.todo.text == "请在办公时间到综合窗口领取"
    assert home.tiles[Journey.TAKE_NUMBER].ids.status.text == "点击进入"

    tap(tile)
    notice = app.notice
    assert notice is not None, "tapping an unavailable tile must say why, not do nothing"
    assert notice.ids.title.text == "证照领取暂停服务"
    assert notice.ids.message.text == "原因：智能柜无应答"
    assert notice.ids.todo.text == "建议：请在办公时间到综合窗口领取"
    assert app.sm.current == "home"

    tap(notice.ids.ok_button)
    assert app.notice is None
    assert pump_until(lambda: notice.parent is None, 2.0)


def test_self_submission_without_matters_in_the_config_says_it_is_not_offered(app, home):
    assert not app.kiosk.config.matters  # this site lists no matters to apply for
    assert home.tiles[Journey.SELF_SUBMIT].available
    tap(home.tiles[Journey.SELF_SUBMIT])
    assert app.notice is not None
    assert app.notice.ids.title.text == "自助申报暂未开通"
    assert app.sm.current == "home"


def test_device_event_from_another_thread_refreshes_tiles(app, home, kiosk):
    tile = home.tiles[Journey.TAKE_NUMBER]
    assert tile.available
    kiosk.supervisor.set_state(DeviceKind.PRINTER, DeviceState.USER_ERROR)
    publisher = threading.Thread(target=kiosk.bus.publish, args=("device.state", {"device": "printer-1"}))
    publisher.start()
    publisher.join()
    assert pump_until(lambda: not tile.available, 2.0)
    assert tile.ids.reason.text.startswith("打印机需要处理")
    assert tile.ids.todo.text == "请到咨询台或人工窗口取号"
    assert not home.tiles[Journey.CHECK_IN].available  # check-in needs the printer too

    tap(tile)
    assert app.sm.current == "home", "an unavailable 取号 must not open the services screen"
    assert "打印机" in app.notice.ids.message.text

    app.close_notice()
    kiosk.supervisor.set_state(DeviceKind.PRINTER, DeviceState.ONLINE)
    kiosk.bus.publish("device.state", {"device": "printer-1"})
    assert pump_until(lambda: tile.available, 2.0)
    assert tile.ids.reason.text == ""


def test_elder_mode_makes_text_and_targets_larger(app, home):
    tile = home.tiles[Journey.TAKE_NUMBER]
    footer = home.ids.footer.ids
    before = {
        "title": tile.ids.title.font_size,
        "desc": tile.ids.desc.font_size or tile.ids.desc_wide.font_size,
        "help": footer.help.font_size,
        "button_text": footer.lang_button.font_size,
        "button_height": footer.lang_button.height,
        "tile_area": tile.width * tile.height,
    }
    assert min(lbl.font_size for lbl in labels(home)) >= dp(28), "normal text is at least 28 sp"

    tap(footer.elder_button)
    settle(app)
    assert app.elder
    assert footer.elder_button.text == "大字模式：已开启"  # the state in words, not only the fill colour
    after = {
        "title": tile.ids.title.font_size,
        "desc": tile.ids.desc_wide.font_size,
        "help": footer.help.font_size,
        "button_text": footer.lang_button.font_size,
        "button_height": footer.lang_button.height,
        "tile_area": tile.width * tile.height,
    }
    for key, value in before.items():
        assert after[key] > value, f"{key} did not grow in elder mode: {value} -> {after[key]}"
    assert home.tile_cols == 2
    # every touch target ≥ 60 dp (domain.md §10), every body text bigger than the normal minimum
    for widget in [*home.tiles.values(), *[w for w in home.walk() if isinstance(w, KioskButton)]]:
        assert widget.height >= dp(60) and widget.width >= dp(60)
    assert min(lbl.font_size for lbl in labels(home.ids.grid)) >= dp(38)

    tap(footer.elder_button)
    settle(app)
    assert not app.elder and home.tile_cols == 4
    assert tile.ids.title.font_size == before["title"]


def test_language_toggle_switches_every_label_to_english(app, home):
    tap(home.ids.footer.ids.lang_button)
    settle(app)
    assert app.lang == "en"
    assert home.ids.header.ids.hall.text == "Example City Government Service Centre"
    assert home.tiles[Journey.TAKE_NUMBER].ids.title.text == "Take a Number"
    assert home.tiles[Journey.PICKUP].ids.status.text == "Unavailable"
    assert home.tiles[Journey.PICKUP].ids.reason.text == "The pickup locker is not answering."
    assert home.ids.footer.ids.elder_button.text == "Large text: Off"
    lang_button = home.ids.footer.ids.lang_button
    assert lang_button.text == "中文"  # names the language to switch back to, in that language
    leftovers = [t for t in texts(home) if has_cjk(t) and t != lang_button.text]
    assert leftovers == [], f"Chinese left on the English screen: {leftovers}"

    tap(home.tiles[Journey.PICKUP])
    assert app.notice.ids.title.text == "Certificate Pickup is temporarily unavailable"
    assert not [t for t in texts(app.notice) if has_cjk(t)]
    app.close_notice()

    tap(lang_button)
    settle(app)
    assert app.lang == "zh"
    assert home.tiles[Journey.TAKE_NUMBER].ids.title.text == "取号"


def test_tiles_are_tiles(home):
    assert all(isinstance(t, JourneyTile) for t in home.ids.grid.children)
