"""Byte vectors from shared/specs/locker-boards.md §3 and §7 (Family B, Kerong KR-CU16/CU12)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.locker.kerong import (
    Cmd,
    Framer,
    KFrame,
    decode_status,
    decode_unlock_time,
    encode_delayed_unlock,
    encode_firmware_query,
    encode_query_unlock_time,
    encode_return_unlock_time,
    encode_set_address,
    encode_set_baud,
    encode_set_unlock_time,
    encode_status,
    encode_status_all,
    encode_status_reply,
    encode_unlock,
    encode_unlock_all,
    f5_checksum_ok,
    pack_addr,
    unpack_addr,
)
from drivers.locker.types import (
    BoardStatus,
    DecodeError,
    Door,
    DoorPolarity,
    FramingError,
    FramingErrorKind,
    Item,
    ItemPolarity,
    Polarity,
)
from tests.support import split_at

H = bytes.fromhex
C, O, P, A = Door.CLOSED, Door.OPEN, Item.PRESENT, Item.ABSENT


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (encode_status(0), "02 00 30 03 35"),
        (encode_status(1), "02 10 30 03 45"),
        (encode_status(2), "02 20 30 03 55"),
        (encode_unlock(0, 1), "02 00 31 03 36"),
        (encode_unlock(0, 2), "02 01 31 03 37"),
        (encode_unlock(0, 16), "02 0F 31 03 45"),
        (encode_unlock(1, 1), "02 10 31 03 46"),
        (encode_unlock(1, 4), "02 13 31 03 49"),
        (encode_unlock(1, 16), "02 1F 31 03 55"),
        (encode_unlock(2, 12), "02 2B 31 03 61"),
        (encode_status_all(), "02 F0 32 03 27"),
        (encode_unlock_all(0), "02 00 33 03 38"),
        (encode_unlock_all(1), "02 10 33 03 48"),
        (encode_set_unlock_time(0, 500), "02 00 37 00 32 03 6E"),
        (encode_query_unlock_time(0), "02 00 37 03 3C"),
        (encode_return_unlock_time(0), "02 00 38 03 3D"),
        (encode_delayed_unlock(0, 1, 5), "02 00 39 05 03 43"),
        (encode_set_baud(0, 19200), "02 00 40 01 03 46"),
        (encode_set_baud(0, 9600), "02 00 40 00 03 45"),
        (encode_set_address(0, 1), "02 00 81 01 00 00 00 03 87"),
        (encode_firmware_query(0), "F5 B6 00 00 5F 0A"),
    ],
)
def test_commands(frame, expected):
    assert frame == H(expected)


def test_commands_parse_back():
    stream = b"".join(H(f) for f in ("02 13 31 03 49", "02 00 37 00 32 03 6E", "02 00 37 03 3C", "02 00 39 05 03 43"))
    assert Framer().feed(stream) == [
        KFrame(0x13, 0x31, b""), KFrame(0x00, 0x37, H("00 32")), KFrame(0x00, 0x37, b""), KFrame(0x00, 0x39, b"\x05"),
    ]
    assert KFrame(0x13, 0x31, b"").board == 1 and KFrame(0x13, 0x31, b"").lock == 4


def test_addr_packing():
    assert (pack_addr(0, 1), pack_addr(0, 16), pack_addr(1, 1)) == (0x00, 0x0F, 0x10)
    assert unpack_addr(0x2B) == (2, 12)
    with pytest.raises(ValueError):
        pack_addr(16)
    with pytest.raises(ValueError):
        pack_addr(0, 17)


def _doors(closed: set[int], n: int = 16) -> tuple[Door, ...]:
    return tuple(C if i in closed else O for i in range(1, n + 1))


def _items(present: set[int], n: int = 16) -> tuple[Item, ...]:
    return tuple(P if i in present else A for i in range(1, n + 1))


ALL16 = set(range(1, 17))


@pytest.mark.parametrize(
    ("frame", "locks", "status"),
    [
        ("02 00 35 01 00 00 00 03 3B", 16, BoardStatus(0, _doors({1}), _items(set()))),
        ("02 00 35 FF FF 00 00 03 38", 16, BoardStatus(0, _doors(ALL16), _items(set()))),
        ("02 00 35 FE FF 01 00 03 38", 16, BoardStatus(0, _doors(ALL16 - {1}), _items({1}))),
        ("02 00 35 00 00 00 00 03 3A", 16, BoardStatus(0, _doors(set()), _items(set()))),
        ("02 10 35 FF FF 00 00 03 48", 16, BoardStatus(1, _doors(ALL16), _items(set()))),
        ("02 00 35 FF 0F 00 00 03 48", 12, BoardStatus(0, _doors(set(range(1, 13)), 12), _items(set(), 12))),
        ("02 00 36 00 00 00 00 03 3B", 16, BoardStatus(0, _doors(set()), _items(set()))),
        ("02 10 36 00 00 00 00 03 4B", 16, BoardStatus(1, _doors(set()), _items(set()))),
    ],
)
def test_status_replies(frame, locks, status):
    (event,) = Framer().feed(H(frame))
    assert decode_status(event, locks=locks) == status
    assert encode_status_reply(status.board, status.locks, status.items, broadcast=event.cmd == Cmd.ALL_DATA) == H(frame)


def test_hook_and_ir_polarity_are_separate():
    (event,) = Framer().feed(H("02 00 35 FE FF 01 00 03 38"))
    doors_inverted = decode_status(event, Polarity(DoorPolarity.UNLOCK_SHORTED))
    assert doors_inverted.door(1) is C and doors_inverted.door(2) is O and doors_inverted.item(1) is P
    items_inverted = decode_status(event, Polarity(item=ItemPolarity.PRESENT_IS_0))
    assert items_inverted.door(1) is O and items_inverted.item(1) is A and items_inverted.item(2) is P
    assert Polarity.parse("inverted", "inverted") == Polarity(DoorPolarity.UNLOCK_SHORTED, ItemPolarity.PRESENT_IS_0)
    with pytest.raises(ValueError, match="unknown polarity"):
        Polarity.parse("sideways")


def test_decode_refuses_non_status_frames():
    with pytest.raises(DecodeError):
        decode_status(KFrame(0x00, 0x31, b""))
    assert decode_unlock_time(KFrame(0x00, 0x38, H("00 32"))) == 500
    assert decode_unlock_time(KFrame(0x00, 0x37, b"")) is None


@pytest.mark.parametrize("frame", ["02 10 30 03 3E", "02 0F 31 03 49"])  # §7: published in the wild
def test_published_wrong_frames_are_rejected(frame):
    events = Framer().feed(H(frame))
    assert [type(e) for e in events] == [FramingError]
    assert events[0].kind is FramingErrorKind.BAD_CHECKSUM


def test_published_wrong_scu_frame_fails_its_own_rule():
    assert not f5_checksum_ok(H("F5 64 70 00 00 5F C4"))
    assert f5_checksum_ok(H("F5 64 70 00 00 5F 28")) and f5_checksum_ok(H("F5 B6 00 00 5F 0A"))


def test_missing_etx_and_unknown_code_are_typed_errors():
    (bad_len,) = Framer().feed(H("02 00 30 04 36"))
    assert bad_len.kind is FramingErrorKind.BAD_LENGTH
    events = Framer().feed(H("02 00 99 03 9E"))
    assert events[0].kind is FramingErrorKind.UNKNOWN_CODE


def test_broadcast_replies_are_collected_from_one_stream_in_any_chunking():
    stream = H("FF 00 02 00 36 00 00 00 00 03 3B 02 10 36 00 00 00 00 03 4B")
    framer = Framer()
    events = [e for i in range(0, len(stream), 3) for e in framer.feed(stream[i : i + 3])]
    assert [decode_status(e).board for e in events] == [0, 1]
    assert framer.discarded == 2


# -- fuzzing -----------------------------------------------------------------------------------------
VALID = [H(f) for f in (
    "02 00 35 FE FF 01 00 03 38", "02 10 36 00 00 00 00 03 4B", "02 13 31 03 49",
    "02 00 37 00 32 03 6E", "02 00 37 03 3C", "02 00 81 01 00 00 00 03 87",
)]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(0, 400), max_size=20))
def test_arbitrary_bytes_give_frames_or_typed_errors(data, cuts):
    framer = Framer()
    for chunk in split_at(data, cuts):
        for event in framer.feed(chunk):
            assert isinstance(event, KFrame | FramingError)
    assert len(framer._buf) < 10


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
    good = [e for e in events if isinstance(e, KFrame)]
    original = [e for f in frames for e in Framer().feed(f)]
    if mutated:
        assert good != original
    else:
        assert good == original
