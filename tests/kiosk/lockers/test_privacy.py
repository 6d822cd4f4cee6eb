"""Canary: the pickup code, the case number and the ID number reach no log line (raw record or
formatted) and no event payload, whatever the journey does."""

from __future__ import annotations

import io
import logging

import pytest

from kiosk.lockers import OpKind, Step
from kiosk.logs import setup_logging
from tests.kiosk.lockers.conftest import cut_power_at

CASE = "ZW2024110500731"
ID_NUMBER = "11010519491231002X"


class RawRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage() + repr(record.args) + repr(getattr(record, 'extra', '')))


@pytest.fixture
def logs():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buf, raw = io.StringIO(), RawRecords()
    setup_logging("DEBUG", stream=buf)
    root.addHandler(raw)
    yield buf, raw
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_no_personal_value_in_logs_or_events(env, logs):
    buf, raw = logs
    codes: list[str] = []
    lk = env.lockers()
    res = lk.deposit("staff-7", CASE, "S", recipient_id=ID_NUMBER)
    codes.append(res.code)
    lk.pickup_by_code("000000" if res.code != "000000" else "111111")
    env.person.mode = "pickup"
    lk.pickup_by_id(ID_NUMBER)
    env.person.mode = "deposit"
    res2 = lk.deposit("staff-7", CASE + "B", "S", recipient_id=ID_NUMBER)
    codes.append(res2.code)
    env.sim.jam(0, res2.number)
    lk.pickup_by_code(res2.code)
    env.sim.jam(0, res2.number, False)
    lk.restore("staff-7", "A", res2.number)
    codes.append(lk.reissue_code("staff-7", res2.deposit_id).code)
    lk.recover("staff-7", res2.deposit_id)
    lk = env.lockers(after_step=cut_power_at(OpKind.PICKUP, Step.DOOR_OPENED))
    res3 = lk.deposit("staff-7", CASE + "C", "S", recipient_id=ID_NUMBER)
    codes.append(res3.code)
    with pytest.raises(SystemExit):
        lk.pickup_by_code(res3.code)
    env.lockers().reconcile()
    for r in (res, res2, res3):
        r.forget()

    logging.getLogger("kiosk.lockers.test").info("end of journey")
    texts = [buf.getvalue(), *raw.texts, *(repr(e.payload) for e in env.events)]
    assert len(env.events) >= 6 and raw.texts
    for canary in [CASE, ID_NUMBER, ID_NUMBER.lower(), *codes]:
        assert canary and all(canary not in t for t in texts), canary
