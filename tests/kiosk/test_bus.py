import logging

from kiosk.bus import EventBus, MessageType


def test_prefix_subscription_and_sequence():
    bus = EventBus()
    got, everything = [], []
    bus.subscribe("device", got.append)
    bus.subscribe("", everything.append)
    bus.publish("device.state", {"s": 1}, source="printer")
    bus.publish("devices.other", 2)  # "device" is not a prefix of "devices"
    bus.publish("ticket.issued", 3, type=MessageType.COMPLETION, request_id="r1")
    assert [e.name for e in got] == ["device.state"]
    assert got[0].source == "printer" and got[0].type is MessageType.EVENT
    assert [e.seq for e in everything] == [1, 2, 3]
    assert everything[2].request_id == "r1" and everything[2].type is MessageType.COMPLETION


def test_failing_subscriber_does_not_stop_delivery(caplog):
    bus = EventBus()
    got = []

    def broken(env):
        raise ValueError("subscriber bug")

    bus.subscribe("x", broken)
    bus.subscribe("x", got.append)
    with caplog.at_level(logging.ERROR):
        bus.publish("x", 1)
    assert [e.payload for e in got] == [1]
    assert "bus subscriber failed" in caplog.text


def test_unsubscribe():
    bus = EventBus()
    got = []
    off = bus.subscribe("x", got.append)
    bus.publish("x", 1)
    off()
    bus.publish("x", 2)
    assert [e.payload for e in got] == [1]
