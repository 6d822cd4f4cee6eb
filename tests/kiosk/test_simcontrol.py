"""The simulated hall's control page drives the real simulators, and only with this run's token."""

from __future__ import annotations

import httpx
import pytest

from drivers.idcard.cards import DECK
from drivers.sim import registry
from kiosk.simcontrol import ControlServer


@pytest.fixture
def control():
    server = ControlServer(port=0)
    server.app.state.token = "tok"
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client
    server.stop()
    registry.forget_instances()


def test_page_lists_the_deck_and_the_printer(control):
    page = control.get("/").text
    assert "模拟大厅控制台" in page and DECK[0].label in page
    assert DECK[0].fields["name"] not in page  # labels only: not even a synthetic name on the page


def test_actions_drive_the_simulators(control):
    r = control.post("/do/card_place", data={"t": "tok", "card": "1"}, follow_redirects=False)
    assert r.status_code == 303
    assert registry.simulator_for("idcard", {}).card is DECK[1]
    control.post("/do/paper", data={"t": "tok", "state": "out"})
    assert registry.simulator_for("printer", {}).status().paper.value == "out"
    control.post("/do/camera_place", data={"t": "tok", "kind": "id1", "seed": "2"})
    assert registry.simulator_for("camera", {}).scene.kind == "id1"
    control.post("/do/camera_phone", data={"t": "tok", "text": "YY0001"})
    assert registry.simulator_for("camera", {}).scene.flags["payload"] == "YY0001"


def test_wrong_token_unknown_action_and_bad_values(control):
    assert control.post("/do/card_place", data={"t": "nope", "card": "0"}).status_code == 403
    assert control.post("/do/format_disk", data={"t": "tok"}).status_code == 404
    assert control.post("/do/card_place", data={"t": "tok", "card": "x"}).status_code == 422
    assert control.get("/tickets/99.png").status_code == 404


def test_served_on_loopback_only(control):
    assert str(control.base_url).startswith("http://127.0.0.1:")
