"""取号 → the service catalogue grouped as the config groups it → 返回."""

from __future__ import annotations

import pytest

from kiosk.services.availability import Journey
from tests.ui.fakes import load_test_config
from tests.ui.kivyhelp import has_cjk, settle, tap, texts

pytestmark = pytest.mark.ui


def test_take_number_lists_the_configured_groups_and_back_returns_home(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    assert app.sm.current == "services"
    screen = app.sm.current_screen
    assert screen.ids.title.text == "取号"
    assert screen.overflows  # four groups do not fit on one 1080 p screen
    assert screen.ids.hint.text == "请选择您要办理的业务，上下滑动可查看更多"
    assert screen.ids.back_button.text == "返回"

    config = load_test_config()
    assert [g.ids.header.text for g in screen.groups] == [g.name for g in config.service_groups]
    assert [g.ids.header.text for g in screen.groups] == ["社保医保", "不动产登记", "企业开办", "帮办服务"]
    for view, group in zip(screen.groups, config.service_groups, strict=True):
        assert [b.text for b in view.buttons] == [s.name for s in group.services]
        assert [b.code for b in view.buttons] == [s.code for s in group.services]
    shown = texts(screen)
    assert "社会保障卡申领" in shown and "办不成事反映" in shown

    tap(screen.ids.back_button)
    settle(app)
    assert app.sm.current == "home"
    assert app.sm.current_screen.ids.welcome.text == "您好，请选择要办理的业务"


def test_choosing_a_service_dispatches_its_code(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    screen = app.sm.current_screen
    chosen = []
    screen.bind(on_service=lambda _screen, code: chosen.append(code))
    tap(screen.buttons["si-card"])
    assert chosen == ["si-card"]
    assert app.sm.current == "ticket"  # the ticket flow takes the chosen service from here
    assert app.sm.current_screen.service_name == "社会保障卡申领"
    assert app.sm.current_screen.stage == "choose"


def test_services_in_english(app, home):
    tap(home.ids.footer.ids.lang_button)
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    screen = app.sm.current_screen
    assert screen.ids.back_button.text == "Back"
    assert screen.groups[0].ids.header.text == "Social Security and Medical Insurance"
    assert screen.buttons["mortgage"].text == "Mortgage Registration"
    leftovers = [t for t in texts(screen) if has_cjk(t) and t != screen.ids.footer.ids.lang_button.text]
    assert leftovers == []


def test_last_row_keeps_column_width(app, home):
    tap(home.tiles[Journey.TAKE_NUMBER])
    settle(app)
    screen = app.sm.current_screen
    widths = {round(b.width) for b in screen.buttons.values()}
    assert len(widths) == 1, f"service buttons differ in width: {widths}"
