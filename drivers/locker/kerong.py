"""Family B, Kerong KR-CU16 / KR-CU12 (spec §3), sans-IO.

    STX ADDR CMD [DATA …] ETX SUM     STX 02, ETX 03, SUM = (every byte before it) & 0xFF
ADDR = (board << 4) | (lock − 1); F0 is the broadcast address of 0x32. The data length follows
from CMD, which is how the framer knows where ETX must be.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.framing import BufferedFramer
from drivers.locker.types import (
    BoardStatus,
    DecodeError,
    Door,
    FramingError,
    FramingErrorKind,
    Item,
    Polarity,
    bits_le,
    pack_bits_le,
)

STX, ETX = 0x02, 0x03
BROADCAST = 0xF0
BAUD = 19200
MAX_BOARD = 14  # 15 would answer the broadcast address F0 as its own
UNLOCK_TIME_UNIT_MS = 10  # [U]
BAUD_CODES = {9600: 0x00, 19200: 0x01, 57600: 0x02, 115200: 0x03}


class Cmd(enum.IntEnum):
    STATUS = 0x30
    UNLOCK = 0x31
    STATUS_ALL = 0x32
    UNLOCK_ALL = 0x33
    BOARD_DATA = 0x35  # reply: one board's status
    ALL_DATA = 0x36  # reply: one board's status, answering the broadcast 0x32
    UNLOCK_TIME = 0x37  # set (2 data bytes) or query (none)
    RETURN_UNLOCK_TIME = 0x38  # sent to clear "busy"; presumably also the reply carrying the time [U]
    DELAYED_UNLOCK = 0x39
    SET_BAUD = 0x40
    SET_ADDRESS = 0x81


# Allowed DATA lengths per CMD, shortest first: a frame is taken at the first length that checks.
DATA_LENGTHS: dict[int, tuple[int, ...]] = {
    Cmd.STATUS: (0,), Cmd.UNLOCK: (0,), Cmd.STATUS_ALL: (0,), Cmd.UNLOCK_ALL: (0,),
    Cmd.BOARD_DATA: (4,), Cmd.ALL_DATA: (4,), Cmd.UNLOCK_TIME: (0, 2), Cmd.RETURN_UNLOCK_TIME: (0, 2),
    Cmd.DELAYED_UNLOCK: (1,), Cmd.SET_BAUD: (1,), Cmd.SET_ADDRESS: (4,),
}
MAX_FRAME = 5 + max(max(v) for v in DATA_LENGTHS.values())


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(addr: int, cmd: int, data: bytes = b"") -> bytes:
    raw = bytes([STX, addr, cmd]) + data + bytes([ETX])
    return raw + bytes([checksum(raw)])


def pack_addr(board: int, lock: int = 1) -> int:
    if not 0 <= board <= 0x0F:
        raise ValueError(f"board {board} outside 0..15 (normally 0..{MAX_BOARD}; F0 is the broadcast)")
    if not 1 <= lock <= 16:
        raise ValueError(f"lock {lock} outside 1..16")
    return board << 4 | (lock - 1)


def unpack_addr(addr: int) -> tuple[int, int]:
    """(board, lock 1-based). Match replies on the board only: the low nibble is unreliable [U]."""
    return addr >> 4, (addr & 0x0F) + 1


# -- host → board ------------------------------------------------------------------------------
def encode_status(board: int) -> bytes:
    return frame(pack_addr(board), Cmd.STATUS)


def encode_unlock(board: int, lock: int) -> bytes:
    return frame(pack_addr(board, lock), Cmd.UNLOCK)


def encode_status_all() -> bytes:
    return frame(BROADCAST, Cmd.STATUS_ALL)


def encode_unlock_all(board: int) -> bytes:
    return frame(pack_addr(board), Cmd.UNLOCK_ALL)


def encode_set_unlock_time(board: int, ms: int) -> bytes:
    units, rest = divmod(ms, UNLOCK_TIME_UNIT_MS)
    if rest or not 0 <= units <= 0xFFFF:
        raise ValueError(f"unlock time {ms} ms: must be a multiple of {UNLOCK_TIME_UNIT_MS} ms up to 655350")
    return frame(pack_addr(board), Cmd.UNLOCK_TIME, units.to_bytes(2, "big"))


def encode_query_unlock_time(board: int) -> bytes:
    return frame(pack_addr(board), Cmd.UNLOCK_TIME)


def encode_return_unlock_time(board: int) -> bytes:
    return frame(pack_addr(board), Cmd.RETURN_UNLOCK_TIME)


def encode_delayed_unlock(board: int, lock: int, seconds: int) -> bytes:
    if not 0 <= seconds <= 250:
        raise ValueError(f"delayed unlock of {seconds} s outside 0..250")
    return frame(pack_addr(board, lock), Cmd.DELAYED_UNLOCK, bytes([seconds]))


def encode_set_baud(board: int, baud: int) -> bytes:
    if baud not in BAUD_CODES:
        raise ValueError(f"baud {baud} not one of {sorted(BAUD_CODES)}")
    return frame(pack_addr(board), Cmd.SET_BAUD, bytes([BAUD_CODES[baud]]))


def encode_set_address(board: int, new_address: int) -> bytes:
    """NEW is sent as given (spec example: new address 1 → byte 01)."""
    if not 0 <= new_address <= 0xFF:
        raise ValueError(f"new address {new_address} outside 0..255")
    return frame(pack_addr(board), Cmd.SET_ADDRESS, bytes([new_address, 0, 0, 0]))


def encode_firmware_query(addr: int = 0) -> bytes:
    """OTA frame `F5 B6 ADDR 00 5F SUM` (its ≥ 8-byte reply is not decoded here)."""
    raw = bytes([0xF5, 0xB6, addr, 0x00, 0x5F])
    return raw + bytes([checksum(raw)])


def f5_checksum_ok(raw: bytes) -> bool:
    """SUM rule of the F5 frames (OTA, and the §6 SCU boards): sum of the bytes before the SUM at [-1]."""
    return len(raw) >= 2 and checksum(raw[:-1]) == raw[-1]


# -- board → host (simulators) ------------------------------------------------------------------
def status_data(doors: Iterable[Door], items: Iterable[Item], polarity: Polarity = Polarity()) -> bytes:
    """D1 D2 D3 D4; bits beyond the board's locks stay 0 (the CU12 vector `FF 0F`)."""
    return pack_bits_le([polarity.door_bit(d) for d in doors], 2) + pack_bits_le([polarity.item_bit(i) for i in items], 2)


def encode_status_reply(board: int, doors: Iterable[Door], items: Iterable[Item], polarity: Polarity = Polarity(),
                        broadcast: bool = False) -> bytes:
    return frame(pack_addr(board), Cmd.ALL_DATA if broadcast else Cmd.BOARD_DATA, status_data(doors, items, polarity))


# -- frames and framing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class KFrame:
    addr: int
    cmd: int
    data: bytes

    @property
    def board(self) -> int:
        return self.addr >> 4

    @property
    def lock(self) -> int:
        return (self.addr & 0x0F) + 1


FramerEvent = KFrame | FramingError


class Framer(BufferedFramer):
    """Hunts for STX, reads CMD, checks ETX at the position CMD implies and the SUM; resyncs one
    byte past a bad start. Serves both directions (command and reply codes do not overlap).
    No clocks: call `drop_partial()` after an inter-byte gap."""

    def feed(self, data: bytes) -> list[FramerEvent]:
        self._buf += data
        events: list[FramerEvent] = []
        while self._buf:
            if self._buf[0] != STX:
                start = self._buf.find(STX)
                skip = len(self._buf) if start < 0 else start
                self.discarded += skip
                del self._buf[:skip]
                continue
            if len(self._buf) < 3:
                break
            cmd = self._buf[2]
            lengths = DATA_LENGTHS.get(cmd)
            if lengths is None:
                events.append(FramingError(FramingErrorKind.UNKNOWN_CODE, f"CMD {cmd:02X} after STX at ADDR {self._buf[1]:02X}"))
                del self._buf[0]
                continue
            outcome = self._match(lengths)
            if outcome is None:
                break  # need more bytes
            if isinstance(outcome, FramingError):
                events.append(outcome)
                del self._buf[0]
                continue
            events.append(outcome)
        return events

    def _match(self, lengths: tuple[int, ...]) -> KFrame | FramingError | None:
        bad_sum: bytes | None = None
        for n in lengths:
            size = 5 + n
            if len(self._buf) < size:
                return None
            raw = bytes(self._buf[:size])
            if raw[-2] != ETX:
                continue
            if checksum(raw[:-1]) != raw[-1]:
                bad_sum = bad_sum or raw
                continue
            del self._buf[:size]
            return KFrame(raw[1], raw[2], raw[3:-2])
        if bad_sum is not None:
            return FramingError(FramingErrorKind.BAD_CHECKSUM, f"{bad_sum.hex(' ')}: SUM {bad_sum[-1]:02X}, computed {checksum(bad_sum[:-1]):02X}")
        return FramingError(FramingErrorKind.BAD_LENGTH, f"CMD {self._buf[2]:02X}: no ETX after {'/'.join(map(str, lengths))} data bytes")


# -- interpretation ----------------------------------------------------------------------------------
def decode_status(frame: KFrame, polarity: Polarity = Polarity(), locks: int = 16) -> BoardStatus:
    """A 0x35 or 0x36 frame → doors (D1 D2) and items (D3 D4) of locks 1..`locks` (12 on a CU12)."""
    if frame.cmd not in (Cmd.BOARD_DATA, Cmd.ALL_DATA) or len(frame.data) != 4:
        raise DecodeError(f"CMD {frame.cmd:02X} with {len(frame.data)} data bytes is not a status frame (35/36)")
    if not 1 <= locks <= 16:
        raise ValueError(f"{locks} locks: a Kerong board has 1..16")
    doors = tuple(polarity.door_of(b) for b in bits_le(frame.data[:2], locks))
    items = tuple(polarity.item_of(b) for b in bits_le(frame.data[2:], locks))
    return BoardStatus(frame.board, doors, items)


def decode_unlock_time(frame: KFrame) -> int | None:
    """Milliseconds carried by a 0x37/0x38 frame with two data bytes; None without data."""
    if frame.cmd not in (Cmd.UNLOCK_TIME, Cmd.RETURN_UNLOCK_TIME):
        raise DecodeError(f"CMD {frame.cmd:02X} carries no unlock time")
    return int.from_bytes(frame.data, "big") * UNLOCK_TIME_UNIT_MS if frame.data else None
