"""Status bytes (escpos-tickets.md §2.1 table) and their classification."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.device import DeviceState
from drivers.printer.status import Cover, Cutter, Online, Paper, PrinterStatus, RawStatus, classify, valid_gs_r, valid_realtime


@pytest.mark.parametrize(
    ("eot", "online", "paper", "cover", "cutter", "state"),
    [
        ((0x12, 0x12, 0x12, 0x12), Online.ONLINE, Paper.OK, Cover.CLOSED, Cutter.OK, DeviceState.ONLINE),
        ((0x12, 0x12, 0x12, 0x1E), Online.ONLINE, Paper.NEAR_END, Cover.CLOSED, Cutter.OK, DeviceState.ONLINE),
        ((0x1A, 0x32, 0x12, 0x7E), Online.OFFLINE, Paper.OUT, Cover.CLOSED, Cutter.OK, DeviceState.USER_ERROR),
        ((0x1A, 0x16, 0x12, 0x12), Online.OFFLINE, Paper.OK, Cover.OPEN, Cutter.OK, DeviceState.USER_ERROR),
        ((0x1A, 0x12, 0x12, 0x12), Online.OFFLINE, Paper.OK, Cover.CLOSED, Cutter.OK, DeviceState.OFFLINE),
        ((0x1A, 0x52, 0x1A, 0x12), Online.OFFLINE, Paper.OK, Cover.CLOSED, Cutter.ERROR, DeviceState.HARDWARE_ERROR),
    ],
)
def test_typical_replies(eot, online, paper, cover, cutter, state):
    assert all(valid_realtime(b) for b in eot)
    s = classify(RawStatus(*eot))
    assert (s.online, s.paper, s.cover, s.cutter, s.state()) == (online, paper, cover, cutter, state)
    assert s.ready is (state is DeviceState.ONLINE)


def test_no_reply_is_unknown_never_adequate():
    s = classify(RawStatus())
    assert (s.online, s.paper, s.cover, s.cutter) == (Online.UNKNOWN, Paper.UNKNOWN, Cover.UNKNOWN, Cutter.UNKNOWN)
    assert not s.ready and s.reason()[1] == "printer status unknown"
    partial = classify(RawStatus(0x12, None, None, None))
    assert partial.paper is Paper.UNKNOWN and partial.ready is False


def test_patterns():
    assert valid_realtime(0x12) and not valid_realtime(0x00) and not valid_realtime(0x10)  # 0x10 = ASB byte 1
    assert valid_gs_r(0x00) and valid_gs_r(0x03) and not valid_gs_r(0x12)
    assert not valid_realtime(0x11) and not valid_realtime(0x13)  # XON / XOFF are never status


def test_reasons_in_both_languages():
    assert PrinterStatus(Online.OFFLINE, Paper.OUT, Cover.CLOSED, Cutter.OK).reason() == ("打印纸用完", "out of paper")
    assert PrinterStatus(Online.OFFLINE, Paper.OK, Cover.OPEN, Cutter.OK).reason()[1] == "cover open"


VALID = st.integers(0, 255).map(lambda b: (b & ~0x93) | 0x12)  # any byte forced into 0xx1xx10


@given(st.tuples(*[st.one_of(st.none(), VALID)] * 4))
def test_classify_any_valid_bytes(raw):
    s = classify(RawStatus(*raw))
    assert s.state() in DeviceState
    if raw[0] is None:
        assert not s.ready
