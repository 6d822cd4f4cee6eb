"""Byte vectors from shared/specs/locker-boards.md §2 (Family A, "8A / 80" with BCC)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.locker.bcc8a import (
    BitmapFrame,
    Framer,
    Head,
    LockFrame,
    LockReport,
    OpenSeveralReply,
    ReplyKind,
    Source,
    bitmap_bits,
    bitmap_bytes,
    decode_reply,
    encode_firmware_query,
    encode_lock_reply,
    encode_open_several,
    encode_power_off,
    encode_power_on,
    encode_query,
    encode_query_all,
    encode_query_all_reply,
    encode_unlock,
    encode_unlock_all,
)
from drivers.locker.types import BoardStatus, Door, DoorPolarity, FramingError, FramingErrorKind, Polarity
from tests.support import split_at

H = bytes.fromhex
INVERTED = Polarity(DoorPolarity.UNLOCK_SHORTED)
C, O = Door.CLOSED, Door.OPEN


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (encode_unlock(1, 1), "8A 01 01 11 9B"),
        (encode_unlock(1, 24), "8A 01 18 11 82"),
        (encode_unlock(2, 1), "8A 02 01 11 98"),
        (encode_unlock(32, 24), "8A 20 18 11 A3"),
        (encode_unlock_all(1), "8A 01 00 11 9A"),
        (encode_unlock_all(2), "8A 02 00 11 99"),
        (encode_query(1, 1), "80 01 01 33 B3"),
        (encode_query(1, 24), "80 01 18 33 AA"),
        (encode_query(2, 5), "80 02 05 33 B4"),
        (encode_query_all(1), "80 01 00 33 B2"),
        (encode_query_all(2), "80 02 00 33 B1"),
        (encode_open_several(1, [2, 10, 18]), "90 01 02 02 02 93"),
        (encode_open_several(1, [1]), "90 01 00 00 01 90"),
        (encode_open_several(1, range(1, 9)), "90 01 00 00 FF 6E"),
        (encode_power_on(1, 1), "9A 01 01 11 8B"),
        (encode_power_off(1, 1), "9B 01 01 11 8A"),
        (encode_firmware_query(1), "82 01 00 22 A1"),
    ],
)
def test_commands(frame, expected):
    assert frame == H(expected)


def test_commands_parse_back_on_the_board_side():
    framer = Framer(Source.HOST)
    events = framer.feed(H("8A 01 01 11 9B 80 02 00 33 B1 90 01 02 02 02 93 9B 01 01 11 8A"))
    assert events == [
        LockFrame(0x8A, 1, 1, 0x11),
        LockFrame(0x80, 2, 0, 0x33),
        BitmapFrame(0x90, 1, tuple(i in (1, 9, 17) for i in range(24))),
        LockFrame(0x9B, 1, 1, 0x11),
    ]


@pytest.mark.parametrize(
    ("frame", "polarity", "expected"),
    [
        ("8A 01 01 00 8A", Polarity(), LockReport(ReplyKind.UNLOCK, 1, 1, O)),
        ("8A 01 01 11 9B", Polarity(), LockReport(ReplyKind.UNLOCK, 1, 1, C)),
        # 开锁短路: "收到指令8A0101119B代表开锁成功"
        ("8A 01 01 11 9B", INVERTED, LockReport(ReplyKind.UNLOCK, 1, 1, O)),
        ("80 01 01 11 91", Polarity(), LockReport(ReplyKind.QUERY, 1, 1, C)),
        ("80 01 01 00 80", Polarity(), LockReport(ReplyKind.QUERY, 1, 1, O)),
        ("80 01 01 00 80", INVERTED, LockReport(ReplyKind.QUERY, 1, 1, C)),
        ("82 01 01 11 93", Polarity(), LockReport(ReplyKind.REPORT, 1, 1, C)),
        ("82 01 01 00 82", Polarity(), LockReport(ReplyKind.REPORT, 1, 1, O)),
        ("9A 01 01 00 9A", Polarity(), LockReport(ReplyKind.POWER_ON, 1, 1, O)),
    ],
)
def test_lock_replies(frame, polarity, expected):
    (event,) = Framer().feed(H(frame))
    report = decode_reply(event, polarity)
    assert report == expected
    assert report.unsolicited == (expected.kind is ReplyKind.REPORT)
    assert encode_lock_reply(Head(event.head), expected.board, expected.lock, expected.door, polarity) == H(frame)


def test_unexpected_status_byte_reads_unknown():
    assert decode_reply(LockFrame(0x80, 1, 1, 0x22)).door is Door.UNKNOWN


@pytest.mark.parametrize(
    ("frame", "closed_locks"),
    [
        ("80 01 01 01 01 33 B3", {1, 9, 17}),
        ("80 01 FF FF FF 33 4D", set(range(1, 25))),
        ("80 01 FF FF FE 33 4C", set(range(2, 25))),
        ("80 01 00 00 00 33 B2", set()),
    ],
)
def test_query_all_replies(frame, closed_locks):
    (event,) = Framer(bitmap_replies=True).feed(H(frame))
    expected = tuple(C if n in closed_locks else O for n in range(1, 25))
    assert decode_reply(event) == BoardStatus(1, expected)
    assert encode_query_all_reply(1, expected) == H(frame)
    inverted = decode_reply(event, INVERTED)
    assert inverted.locks == tuple(O if d is C else C for d in expected)
    assert inverted.items is None and inverted.door(1) is inverted.locks[0]


def test_open_several_reply_read_as_an_echo():
    (event,) = Framer().feed(H("90 01 02 02 02 93"))
    assert decode_reply(event) == OpenSeveralReply(1, (2, 10, 18))


def test_bitmap_byte_order_is_reversed():
    assert bitmap_bytes([True] + [False] * 23) == H("00 00 01")
    assert bitmap_bytes([False] * 23 + [True]) == H("80 00 00")
    assert bitmap_bits(H("80 00 01")) == tuple(n in (1, 24) for n in range(1, 25))


def test_a_7_byte_reply_needs_33_at_byte_5():
    bad = H("80 01 00 00 00 44")
    bad += bytes([0x80 ^ 0x01 ^ 0x44])
    (event,) = Framer(bitmap_replies=True).feed(bad)
    assert isinstance(event, FramingError) and event.kind is FramingErrorKind.BAD_LENGTH


@pytest.mark.parametrize("frame", ["8A 01 01 11 9C", "80 01 01 11 90", "82 01 01 00 83", "90 01 02 02 02 92"])
def test_wrong_bcc_is_rejected(frame):
    events = Framer().feed(H(frame))
    assert events and all(isinstance(e, FramingError) for e in events)
    assert events[0].kind is FramingErrorKind.BAD_CHECKSUM


def test_resync_after_garbage_and_splitsplit_at():
    framer = Framer()
    stream = H("00 FF 13 8A 01 01 00 8A 55 82 01 01 11 93")
    events = [e for i in range(len(stream)) for e in framer.feed(stream[i : i + 1])]
    assert [decode_reply(e) for e in events] == [
        LockReport(ReplyKind.UNLOCK, 1, 1, O),
        LockReport(ReplyKind.REPORT, 1, 1, C),
    ]
    assert framer.discarded == 4 and not framer.partial


def test_a_bad_frame_does_not_hide_the_frame_behind_it():
    events = Framer().feed(H("80 8A 01 01 00 8A"))
    assert isinstance(events[0], FramingError)
    assert events[-1] == LockFrame(0x8A, 1, 1, 0)


def test_drop_partial_after_a_gap():
    framer = Framer()
    assert framer.feed(H("8A 01 01")) == [] and framer.partial
    assert framer.drop_partial() == 3
    assert framer.feed(H("80 01 01 11 91")) == [LockFrame(0x80, 1, 1, 0x11)]


@pytest.mark.parametrize("bad", [lambda: encode_unlock(1, 0), lambda: encode_query(256, 1), lambda: encode_open_several(1, [25])])
def test_out_of_range_arguments_raise(bad):
    with pytest.raises(ValueError):
        bad()


# -- fuzzing -----------------------------------------------------------------------------------------
VALID = [H(f) for f in ("8A 01 01 00 8A", "80 01 01 11 91", "82 01 01 00 82", "90 01 02 02 02 93", "9B 01 01 11 8A")]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(0, 400), max_size=20), st.booleans(), st.sampled_from(list(Source)))
def test_arbitrary_bytes_give_frames_or_typed_errors(data, cuts, bitmap, source):
    framer = Framer(source, bitmap_replies=bitmap)
    for chunk in split_at(data, cuts):
        for event in framer.feed(chunk):
            assert isinstance(event, LockFrame | BitmapFrame | FramingError)
    assert len(framer._buf) < 7  # never holds more than one incomplete frame


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(VALID), min_size=1, max_size=6),
    st.integers(0, 60), st.integers(0, 255), st.lists(st.integers(0, 400), max_size=10),
)
def test_mutated_frames_never_pass_silently(frames, pos, value, cuts):
    stream = bytearray(b"".join(frames))
    pos %= len(stream)
    mutated = stream[pos] != value
    stream[pos] = value
    framer = Framer()
    events = [e for chunk in split_at(bytes(stream), cuts) for e in framer.feed(chunk)]
    good = [e for e in events if not isinstance(e, FramingError)]
    if not mutated:
        assert len(good) == len(frames)
    else:
        # one byte flip changes the BCC of its frame: at most that frame is lost, none invented
        assert len(good) <= len(frames)
        assert good != [e for f in frames for e in Framer().feed(f)]
