"""Byte vectors from shared/specs/idcard-sam.md §4, §5, §14."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard.frames import (
    Command,
    Framer,
    FramingError,
    FramingErrorKind,
    RawFrame,
    encode_command,
    encode_response,
    encode_set_baud,
    parse_command,
    parse_response,
)
from drivers.idcard.status import Reaction, Sw3, describe, reaction

H = bytes.fromhex


@pytest.mark.parametrize(
    ("command", "data", "frame"),
    [
        (Command.RESET_SAM, b"", "AA AA AA 96 69 00 03 10 FF EC"),
        (Command.SAM_STATUS, b"", "AA AA AA 96 69 00 03 11 FF ED"),
        (Command.SAM_ID, b"", "AA AA AA 96 69 00 03 12 FF EE"),
        (Command.FIND, b"", "AA AA AA 96 69 00 03 20 01 22"),
        (Command.SELECT, b"", "AA AA AA 96 69 00 03 20 02 21"),
        (Command.READ_BASE, b"", "AA AA AA 96 69 00 03 30 01 32"),
        (Command.READ_ADDRESS, b"", "AA AA AA 96 69 00 03 30 03 30"),
        (Command.READ_BASE_FP, b"", "AA AA AA 96 69 00 03 30 10 23"),
        (Command.READ_MID, b"", "AA AA AA 96 69 00 03 30 05 36"),
        (Command.SET_RF_FRAME, b"\x50", "AA AA AA 96 69 00 04 61 FF 50 CA"),
    ],
)
def test_command_frames(command, data, frame):
    assert encode_command(command, data) == H(frame)


@pytest.mark.parametrize(
    ("baud", "frame"),
    [
        (115200, "AA AA AA 96 69 00 03 60 00 63"),
        (57600, "AA AA AA 96 69 00 03 60 01 62"),
        (38400, "AA AA AA 96 69 00 03 60 02 61"),
        (19200, "AA AA AA 96 69 00 03 60 03 60"),
        (9600, "AA AA AA 96 69 00 03 60 04 67"),
    ],
)
def test_set_baud_frames(baud, frame):
    assert encode_set_baud(baud) == H(frame)


STATUS_FRAMES = {
    0x90: "94", 0x91: "95", 0x10: "14", 0x11: "15", 0x21: "25", 0x23: "27", 0x24: "20", 0x31: "35",
    0x32: "36", 0x33: "37", 0x40: "44", 0x41: "45", 0x47: "43", 0x60: "64", 0x66: "62", 0x80: "84", 0x81: "85",
}


@pytest.mark.parametrize(("sw3", "chk"), sorted(STATUS_FRAMES.items()))
def test_every_bare_status_frame(sw3, chk):
    frame = H(f"AA AA AA 96 69 00 04 00 00 {sw3:02X} {chk}")
    assert encode_response(sw3) == frame
    (event,) = Framer(min_len=4).feed(frame)
    assert parse_response(event).sw3 == sw3


def test_every_table_code_has_text_and_a_reaction():
    assert {int(c) for c in Sw3} == set(STATUS_FRAMES) | {0x9F}
    for code in Sw3:
        assert code.zh and code.en and isinstance(code.reaction, Reaction)
    assert describe(0x41) == ("读证/卡操作失败", "read failed (card moved away?)")
    assert reaction(0x80) is Reaction.NO_CARD and reaction(0x66) is Reaction.READER_FAULT
    assert describe(0x55)[1] == "unknown status 55" and reaction(0x55) is Reaction.READER_FAULT


def test_sw1_sw2_reported_verbatim():
    frame = H("AA AA AA 96 69 00 04 6A 82 41 AD")
    assert encode_response(0x41, sw1=0x6A, sw2=0x82) == frame
    (event,) = Framer(min_len=4).feed(frame)
    r = parse_response(event)
    assert (r.sw1, r.sw2, r.sw3, r.data) == (0x6A, 0x82, 0x41, b"")


def test_find_and_select_and_sam_id_answers():
    find = H("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    select = H("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C")
    assert encode_response(0x9F, bytes(4)) == find and encode_response(0x90, bytes(8)) == select
    sam = H("AA AA AA 96 69 00 14 00 00 90 05 00 01 00 A8 68 32 01 15 CD 5B 07 D2 02 96 49 F8")
    (event,) = Framer(min_len=4).feed(sam)
    assert parse_response(event).data == sam[10:26]


def test_command_parse_round_trip():
    (event,) = Framer().feed(encode_command(Command.SET_RF_FRAME, b"\x50"))
    c = parse_command(event)
    assert (c.cmd, c.para, c.data) == (0x61, 0xFF, b"\x50")


# -- framing --------------------------------------------------------------------------------
FIND_OK = H("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
NO_CARD = H("AA AA AA 96 69 00 04 00 00 80 84")


def test_frames_across_arbitrary_chunks_and_garbage():
    stream = b"\x00\x13\xaa\xaa" + FIND_OK + b"\xaa\x96" + NO_CARD
    framer = Framer(min_len=4)
    events = []
    for i in range(len(stream)):  # one byte at a time
        events += framer.feed(stream[i : i + 1])
    assert [parse_response(e).sw3 for e in events] == [0x9F, 0x80]
    assert framer.discarded == 6 and not framer.partial


def test_bad_checksum_is_typed_and_resyncs():
    bad = FIND_OK[:-1] + b"\x00"
    events = Framer(min_len=4).feed(bad + NO_CARD)
    assert isinstance(events[0], FramingError) and events[0].kind is FramingErrorKind.BAD_CHECKSUM
    assert parse_response(events[1]).sw3 == 0x80


@pytest.mark.parametrize("length", [b"\x00\x02", b"\x00\x03", b"\x10\x01", b"\xff\xff"])
def test_bad_length_is_typed_and_resyncs(length):
    events = Framer(min_len=4).feed(b"\xaa\xaa\xaa\x96\x69" + length + NO_CARD)
    assert isinstance(events[0], FramingError) and events[0].kind is FramingErrorKind.BAD_LENGTH
    assert parse_response(events[-1]).sw3 == 0x80


def test_truncated_frame_is_dropped_by_its_owner():
    framer = Framer(min_len=4)
    assert framer.feed(FIND_OK[:9]) == [] and framer.partial
    assert framer.drop_partial() == 9
    assert [parse_response(e).sw3 for e in framer.feed(NO_CARD)] == [0x80]


# -- fuzzing: frames or typed errors, never another exception, never a hang -----------------
@settings(max_examples=300)
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_fuzz_arbitrary_chunks(chunks):
    framer = Framer(min_len=4)
    for chunk in chunks:
        for event in framer.feed(chunk):
            assert isinstance(event, RawFrame | FramingError)
            if isinstance(event, RawFrame):
                assert len(parse_response(event).data) >= 0


@settings(max_examples=300)
@given(
    st.sampled_from([FIND_OK, NO_CARD, encode_response(0x90, bytes(70))]),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=4),
    # junk without a preamble (junk that spells one with a plausible LEN can swallow a frame,
    # as on the real wire; the inter-byte timeout recovers from that)
    st.binary(max_size=8).map(lambda b: b.replace(b"\x96", b"\x00")),
    st.integers(1, 16),
)
def test_fuzz_mutated_valid_frames(frame, mutations, prefix, chunk):
    data = bytearray(prefix + frame)
    for pos, value in mutations:
        data[pos % len(data)] = value
    framer = Framer(min_len=4)
    events = []
    for i in range(0, len(data), chunk):
        events += framer.feed(bytes(data[i : i + chunk]))
    framer.drop_partial()  # what the driver does when the line goes quiet mid-frame
    events += framer.feed(NO_CARD)  # a good frame after any damage is still found
    assert all(isinstance(e, RawFrame | FramingError) for e in events)
    frames = [parse_response(e).sw3 for e in events if isinstance(e, RawFrame)]
    assert frames[-1] == 0x80  # resynchronised
    if not mutations:
        assert frame[9] in frames  # junk before a good frame never hides it


def test_framer_says_how_much_of_a_frame_it_holds():
    framer = Framer(min_len=4)
    assert framer.feed(bytes.fromhex("00 FF AA AA AA 96")) == [] and (framer.received, framer.expected) == (4, None)
    framer.feed(bytes.fromhex("69 05 08 00 00"))
    assert (framer.received, framer.expected) == (9, 1295)
    framer.drop_partial()
    assert (framer.received, framer.expected) == (0, None)
