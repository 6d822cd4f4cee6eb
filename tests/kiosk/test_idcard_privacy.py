"""A whole card read through the supervisor, with logging at DEBUG: no personal value reaches a log."""

import io
import logging

from drivers.idcard.cards import DECK
from drivers.idcard.reader import IdCardReader
from drivers.sim import registry
from kiosk.bus import EventBus
from kiosk.logs import setup_logging
from kiosk.supervisor import Backoff, Supervisor
from tests.support import wait_for


def test_no_decoded_field_reaches_the_log():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    setup_logging("DEBUG", stream=out)
    bus = EventBus()
    seen = []
    bus.subscribe("", seen.append)
    reader = IdCardReader("idcard", "sim://idcard?id=privacy&delay_scale=0.02", baud=115200, find_period=0.01)
    sup = Supervisor([reader], bus, poll_intervals={"idcard": 0.05}, backoff=Backoff(0.02, 2, 0.1))
    sup.start()
    try:
        assert wait_for(lambda: reader.state.usable)
        reader.arm()
        sim = registry.simulator_for("idcard", {"id": "privacy"})
        sim.place(0)
        assert wait_for(lambda: any(e.name == "idcard.card_read" for e in seen))
        read = next(e.payload for e in seen if e.name == "idcard.card_read")
        logging.getLogger("kiosk.test").info("bus said %s / %r", read, read.identity)  # a careless line
    finally:
        sup.stop()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        registry.forget_instances()
    text = out.getvalue()
    assert "张*" in text  # the careless line is there, masked
    for value in DECK[0].fields.values():
        if len(value) > 2 and value not in ("长期", "20150601", "19491231"):
            assert value not in text, value
    assert DECK[0].appended_address not in text
