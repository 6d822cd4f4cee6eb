"""The locker bus simulator, driven with raw frames from the codecs: in-process over sim://locker
and over a real pty. Observations are made by polling status, as the controller does (§1.7)."""

from __future__ import annotations

import time

import pytest
import serial

from drivers.errors import PortTimeout
from drivers.locker import bcc8a, kerong
from drivers.locker.types import BoardStatus, Door, DoorPolarity, FramingError, Item, ItemPolarity, Polarity
from drivers.sim import registry
from drivers.sim.locker import LockerBusSimulator, ReplyFate, ReplyFaults
from drivers.sim.serve import PtyServer
from drivers.transport import open_transport
from tests.support import wait_for

FAST = "reply_ms=2&open_delay_ms=20&fire_ms=5"


@pytest.fixture(autouse=True)
def _fresh_instances():
    yield
    registry.forget_instances()


class KerongHost:
    """Just enough host to send a frame and collect the replies (no driver yet)."""

    def __init__(self, url: str, polarity: Polarity = Polarity()) -> None:
        self.port = open_transport(url)
        self.polarity = polarity

    def exchange(self, frame: bytes, window: float = 0.3, expect: int = 1) -> list[kerong.KFrame | FramingError]:
        self.port.reset_input()
        self.port.write(frame)
        framer, events, deadline = kerong.Framer(), [], time.monotonic() + window
        while len(events) < expect and (left := deadline - time.monotonic()) > 0:
            try:
                events += framer.feed(self.port.read(64, left))
            except PortTimeout:
                break
        return events

    def status(self, board: int) -> BoardStatus | None:
        replies = self.exchange(kerong.encode_status(board), window=0.15)
        return kerong.decode_status(replies[0], self.polarity) if replies else None


class BccHost:
    def __init__(self, url: str, polarity: Polarity = Polarity()) -> None:
        self.port = open_transport(url)
        self.polarity = polarity

    def exchange(self, frame: bytes, bitmap: bool = False, window: float = 0.3, expect: int = 1):
        self.port.reset_input()
        self.port.write(frame)
        framer, events, deadline = bcc8a.Framer(bitmap_replies=bitmap), [], time.monotonic() + window
        while len(events) < expect and (left := deadline - time.monotonic()) > 0:
            try:
                events += framer.feed(self.port.read(64, left))
            except PortTimeout:
                break
        return [bcc8a.decode_reply(e, self.polarity) if not isinstance(e, FramingError) else e for e in events]


def sim_of(host: "KerongHost | BccHost") -> LockerBusSimulator:
    """The instance behind the host's sim:// URL, for the control API."""
    from urllib.parse import parse_qsl, urlsplit

    from drivers.sim import registry

    sim = registry.simulator_for("locker", dict(parse_qsl(urlsplit(host.port.url).query)))
    assert isinstance(sim, LockerBusSimulator)
    return sim


# -- Kerong ----------------------------------------------------------------------------------------
def test_status_of_several_boards():
    host = KerongHost(f"sim://locker?id=k1&boards=3&{FAST}")
    for board in (0, 1, 2):
        status = host.status(board)
        assert status.board == board
        assert status.locks == (Door.CLOSED,) * 16 and status.items == (Item.ABSENT,) * 16
    assert host.status(3) is None  # no such board: silence


def test_unlock_opens_the_door_seen_by_polling():
    host = KerongHost(f"sim://locker?id=k2&{FAST}")
    sim = sim_of(host)
    (reply,) = host.exchange(kerong.encode_unlock(1, 4))
    assert reply.cmd == kerong.Cmd.BOARD_DATA and reply.board == 1
    assert wait_for(lambda: host.status(1).door(4) is Door.OPEN, timeout=3)
    assert host.status(1).door(3) is Door.CLOSED and host.status(0).door(4) is Door.CLOSED
    assert len(sim.unlocks(1, 4)) == 1 and sim.unlocks(1, 3) == []
    sim.close_door(1, 4)
    assert host.status(1).door(4) is Door.CLOSED


def test_jammed_lock_stays_closed():
    host = KerongHost(f"sim://locker?id=k3&{FAST}")
    sim = sim_of(host)
    sim.jam(0, 1)
    host.exchange(kerong.encode_unlock(0, 1))  # pulsed first: it would open first
    host.exchange(kerong.encode_unlock(0, 2))
    assert wait_for(lambda: host.status(0).door(2) is Door.OPEN, timeout=3)
    assert host.status(0).door(1) is Door.CLOSED and sim.door(0, 1) is Door.CLOSED
    assert len(sim.unlocks(0, 1)) == 1


def test_offline_board_is_silent_and_corrupt_frames_get_no_answer():
    host = KerongHost(f"sim://locker?id=k4&{FAST}")
    sim = sim_of(host)
    sim.set_board_offline(1)
    assert host.exchange(kerong.encode_status(1), window=0.1) == []
    assert host.exchange(kerong.encode_unlock(1, 1), window=0.1) == []
    assert sim.unlocks(1, 1) == []
    sim.set_board_offline(1, False)
    assert host.status(1) is not None
    for wrong in ("02 10 30 03 3E", "02 0F 31 03 49"):  # §7's published wrong frames
        assert host.exchange(bytes.fromhex(wrong), window=0.1) == []
    assert sim.unlocks(0, 16) == [] and sim.ignored_frames == 2


def test_corrupted_reply_fails_the_checksum():
    host = KerongHost(f"sim://locker?id=k5&{FAST}")
    sim_of(host).corrupt_next_reply()
    (event,) = host.exchange(kerong.encode_status(0))
    assert isinstance(event, FramingError)
    assert host.status(0) is not None  # only the next reply


def test_forced_opening_items_and_stuck_sensor_show_in_status():
    host = KerongHost(f"sim://locker?id=k6&{FAST}")
    sim = sim_of(host)
    sim.open_door(0, 5)
    sim.put_item(0, 6)
    sim.stick_sensor(0, 7, Door.OPEN)
    status = host.status(0)
    assert status.door(5) is Door.OPEN and status.item(6) is Item.PRESENT and status.door(7) is Door.OPEN
    assert sim.door(0, 7) is Door.CLOSED and sim.unlocks(0, 5) == []
    sim.take_item(0, 6)
    sim.stick_sensor(0, 7, None)
    status = host.status(0)
    assert status.item(6) is Item.ABSENT and status.door(7) is Door.CLOSED


def test_polarity_respected():
    url = f"sim://locker?id=k7&door_polarity=unlock_shorted&item_polarity=inverted&locks=12&{FAST}"
    host = KerongHost(url)
    sim = sim_of(host)
    sim.put_item(0, 1)
    (raw,) = host.exchange(kerong.encode_status(0))
    assert raw.data == bytes.fromhex("00 00 FE 0F")  # all closed: hook bits 0; box 1 full: IR bit 0
    status = kerong.decode_status(raw, Polarity(DoorPolarity.UNLOCK_SHORTED, ItemPolarity.PRESENT_IS_0), locks=12)
    assert status.locks == (Door.CLOSED,) * 12 and status.item(1) is Item.PRESENT and status.item(2) is Item.ABSENT


def test_broadcast_status_returns_one_frame_per_board_in_address_order():
    host = KerongHost(f"sim://locker?id=k8&boards=3&first=2&{FAST}")
    sim_of(host).set_board_offline(3)
    events = host.exchange(kerong.encode_status_all(), window=0.2, expect=3)  # collection window
    assert [(e.cmd, e.board) for e in events] == [(kerong.Cmd.ALL_DATA, 2), (kerong.Cmd.ALL_DATA, 4)]
    assert host.exchange(kerong.frame(0x00, kerong.Cmd.STATUS_ALL), window=0.1) == []  # not to F0: silence


def test_unlock_all_and_unlock_time():
    host = KerongHost(f"sim://locker?id=k9&locks=12&{FAST}")
    sim = sim_of(host)
    host.exchange(kerong.encode_unlock_all(0))
    assert wait_for(lambda: host.status(0).locks[:12] == (Door.OPEN,) * 12, timeout=3)
    (reply,) = host.exchange(kerong.encode_set_unlock_time(1, 800))
    assert kerong.decode_unlock_time(reply) == 800 and sim.pulse_ms(1) == 800
    (reply,) = host.exchange(kerong.encode_query_unlock_time(0))
    assert kerong.decode_unlock_time(reply) == 500


def test_truncated_command_after_a_gap_is_dropped():
    host = KerongHost(f"sim://locker?id=k10&{FAST}&gap_ms=5")
    host.port.write(bytes.fromhex("02 00 31"))
    time.sleep(0.02)  # longer than the board's inter-byte timeout
    events = host.exchange(kerong.encode_status(0))
    assert [e.cmd for e in events] == [kerong.Cmd.BOARD_DATA] and sim_of(host).unlocks(0, 1) == []


def test_over_a_pty_with_pyserial():
    sim = LockerBusSimulator({"boards": "2", "reply_ms": "2", "open_delay_ms": "20"})
    with PtyServer(sim) as server, serial.Serial(server.path, 19200, timeout=0.3) as port:
        def status(board: int) -> BoardStatus:
            port.reset_input_buffer()
            port.write(kerong.encode_status(board))
            (event,) = kerong.Framer().feed(port.read(9))
            return kerong.decode_status(event)

        assert status(1).locks == (Door.CLOSED,) * 16
        port.write(kerong.encode_unlock(1, 2))
        assert len(port.read(9)) == 9
        assert wait_for(lambda: status(1).door(2) is Door.OPEN, timeout=3)
        port.write(kerong.encode_status_all())
        frames = kerong.Framer().feed(port.read(18))
        assert [(f.cmd, f.board) for f in frames] == [(kerong.Cmd.ALL_DATA, 0), (kerong.Cmd.ALL_DATA, 1)]


# -- Family A ---------------------------------------------------------------------------------------
def test_bcc_status_unlock_and_jam():
    host = BccHost(f"sim://locker?id=a1&protocol=bcc-8a&boards=2&{FAST}")
    sim = sim_of(host)
    sim.jam(2, 3)
    (report,) = host.exchange(bcc8a.encode_unlock(2, 1))
    assert report == bcc8a.LockReport(bcc8a.ReplyKind.UNLOCK, 2, 1, Door.OPEN)  # the board reports the outcome
    (report,) = host.exchange(bcc8a.encode_unlock(2, 3))
    assert report.door is Door.CLOSED  # jammed: "11" after the unlock
    assert wait_for(lambda: host.exchange(bcc8a.encode_query(2, 1))[0].door is Door.OPEN, timeout=3)
    (status,) = host.exchange(bcc8a.encode_query_all(2), bitmap=True)
    assert status.board == 2 and status.door(1) is Door.OPEN and status.door(3) is Door.CLOSED
    assert status.locks.count(Door.OPEN) == 1 and len(status.locks) == 24
    assert host.exchange(bcc8a.encode_query(3, 1), window=0.1) == []  # no board 3
    assert host.exchange(bytes.fromhex("8A 01 01 11 9C"), window=0.1) == []  # bad BCC: silence
    assert sim.unlocks(1, 1) == []


def test_bcc_polarity_and_open_several():
    host = BccHost(f"sim://locker?id=a2&protocol=bcc-8a&door_polarity=unlock_shorted&{FAST}", Polarity(DoorPolarity.UNLOCK_SHORTED))
    host.port.reset_input()
    host.port.write(bcc8a.encode_query(1, 1))
    assert host.port.read(5, 0.5) == bytes.fromhex("80 01 01 00 80")  # closed reads 00 on 开锁短路 locks
    (reply,) = host.exchange(bcc8a.encode_open_several(1, [2, 10, 18]))
    assert reply == bcc8a.OpenSeveralReply(1, (2, 10, 18))
    assert wait_for(lambda: host.exchange(bcc8a.encode_query_all(1), bitmap=True)[0].door(18) is Door.OPEN, timeout=3)
    status = host.exchange(bcc8a.encode_query_all(1), bitmap=True)[0]
    assert {n for n in range(1, 25) if status.door(n) is Door.OPEN} == {2, 10, 18}


def test_bcc_active_reports_on_door_changes():
    host = BccHost(f"sim://locker?id=a3&protocol=bcc-8a&active_reports=1&{FAST}")
    sim = sim_of(host)
    sim.open_door(1, 7)
    framer = bcc8a.Framer()
    (event,) = framer.feed(host.port.read(5, 0.5))
    assert bcc8a.decode_reply(event) == bcc8a.LockReport(bcc8a.ReplyKind.REPORT, 1, 7, Door.OPEN)
    sim.close_door(1, 7)
    (event,) = framer.feed(host.port.read(5, 0.5))
    assert bcc8a.decode_reply(event).door is Door.CLOSED


def test_unlock_all_fires_every_lock_once():
    host = BccHost(f"sim://locker?id=a4&protocol=bcc-8a&locks=8&{FAST}")
    sim = sim_of(host)
    (reply,) = host.exchange(bcc8a.encode_unlock_all(1), window=1.0)
    assert reply.lock == 0 and reply.door is Door.OPEN
    assert wait_for(lambda: all(sim.door(1, n) is Door.OPEN for n in range(1, 9)), timeout=3)
    assert all(len(sim.unlocks(1, n)) == 1 for n in range(1, 9))


def test_bad_options_are_explained():
    with pytest.raises(ValueError, match="protocol"):
        LockerBusSimulator({"protocol": "wkly"})
    with pytest.raises(ValueError, match="outside 0..14"):
        LockerBusSimulator({"boards": "3", "first": "13"})


# -- reply faults ------------------------------------------------------------------------------------
def _replies_over(port, seconds: float) -> list[tuple[float, bytes]]:
    """Every chunk that arrives within `seconds`, with its arrival time."""
    got, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append((time.monotonic(), port.read(64, left)))
        except PortTimeout:
            break
    return got


def test_scripted_fates_late_duplicated_lost_and_truncated():
    host = KerongHost(f"sim://locker?id=f1&{FAST}")
    sim = sim_of(host)
    sim.script(0, [ReplyFate(delay=0.05), ReplyFate(lost=True), ReplyFate(duplicate=0.02), ReplyFate(truncate=4)])
    status = kerong.encode_status_reply(0, [Door.CLOSED] * 16, [Item.ABSENT] * 16)
    host.port.write(kerong.encode_status(0))
    host.port.write(kerong.encode_status(0))  # lost
    host.port.write(kerong.encode_status(0))  # twice, 20 ms apart
    host.port.write(kerong.encode_status(0))  # cut to 4 bytes
    host.port.write(kerong.encode_status(0))  # the script is done: on time again
    chunks = _replies_over(host.port, 0.2)
    data = b"".join(c for _, c in chunks)
    assert len(data) == 4 * 9 + 4 and data.count(status) == 4
    # The late reply comes last: a late reply does not hold back the replies to later commands.
    assert data.endswith(status) and chunks[-1][1] == status
    assert [f for _, f in sim.frames("rx")] == [kerong.encode_status(0)] * 5
    assert sorted(len(f) for _, f in sim.frames("tx")) == [4, 9, 9, 9, 9]


def test_standing_faults_per_board_from_the_url():
    host = KerongHost(f"sim://locker?id=f2&{FAST}&late_ms=40-60&fault_boards=1")
    assert host.exchange(kerong.encode_status(0), window=0.03)  # board 0 has no faults
    assert host.exchange(kerong.encode_status(1), window=0.03) == []
    assert len(_replies_over(host.port, 0.1)) == 1  # late, not lost
    sim = sim_of(host)
    sim.set_faults(1, ReplyFaults(lost=1.0))
    assert host.exchange(kerong.encode_status(1), window=0.2) == []
    with pytest.raises(ValueError, match="late_ms"):
        LockerBusSimulator({"late_ms": "900-100"})
    with pytest.raises(ValueError, match="fault_boards names board 7"):
        LockerBusSimulator({"fault_boards": "7"})


def test_bcc_late_duplicate_over_a_pty():
    sim = LockerBusSimulator({"protocol": "bcc-8a", "boards": "1", "reply_ms": "2", "open_delay_ms": "20"})
    sim.script(1, [ReplyFate(delay=0.08, duplicate=0.03)])
    with PtyServer(sim) as server:
        host = BccHost(server.path)
        assert host.exchange(bcc8a.encode_unlock(1, 2), window=0.04) == []  # not yet
        reply = bcc8a.encode_lock_reply(bcc8a.Head.UNLOCK, 1, 2, Door.OPEN)
        assert b"".join(c for _, c in _replies_over(host.port, 0.3)) == reply * 2
        assert len(sim.unlocks(1, 2)) == 1 and [f for _, f in sim.frames("rx")] == [bcc8a.encode_unlock(1, 2)]
