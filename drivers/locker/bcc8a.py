"""Family A, the generic "8A / 80" boards with a BCC (XOR) checksum (spec §2), sans-IO.

    HEAD BOARD LOCK FUNC|STATUS BCC      5 bytes (most frames)
    90 BOARD S1 S2 S3 BCC                6 bytes (open several)
    80 BOARD S1 S2 S3 33 BCC             7 bytes (query-all reply)
BCC is the XOR of every byte before it. Bitmaps are S1 = locks 17–24, S2 = 9–16, S3 = 1–8.
Commands and replies share heads and shapes, so a framer is told whose bytes it reads.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from drivers.framing import BufferedFramer
from drivers.locker.types import (
    BoardStatus,
    Door,
    FramingError,
    FramingErrorKind,
    Polarity,
    bits_le,
    pack_bits_le,
)

BAUD = 9600
BITMAP_LOCKS = 24
MAX_BOARD = 32


class Head(enum.IntEnum):
    UNLOCK = 0x8A
    QUERY = 0x80
    REPORT = 0x82  # unsolicited status report (and an unverified firmware query from the host)
    OPEN_SEVERAL = 0x90
    POWER_ON = 0x9A  # long power on (electromagnetic locks)
    POWER_OFF = 0x9B


FUNC_UNLOCK = 0x11
FUNC_QUERY = 0x33
FUNC_FIRMWARE = 0x22  # unverified (spec §2.3 "extras")
# Feedback status byte: the switch is shorted (11) or open circuit (00); polarity says which is "closed".
SHORTED = 0x11
OPEN_CIRCUIT = 0x00


def bcc(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def frame(*body: int) -> bytes:
    raw = bytes(body)
    return raw + bytes([bcc(raw)])


def _check(board: int, lock: int | None = None) -> None:
    if not 0 <= board <= 0xFF:
        raise ValueError(f"board address {board} outside 0..255 (DIP switch, normally 1..{MAX_BOARD})")
    if lock is not None and not 1 <= lock <= 0xFF:
        raise ValueError(f"lock {lock} outside 1..255 (0 means all: use the *_all encoder)")


def bitmap_bytes(bits: Iterable[bool]) -> bytes:
    """Lock 1 first → S1 S2 S3 (the reversed byte order of §2.3)."""
    bits = list(bits)
    if len(bits) > BITMAP_LOCKS:
        raise ValueError(f"{len(bits)} locks: the 3-byte bitmap holds {BITMAP_LOCKS}; query bigger boards lock by lock")
    return pack_bits_le(bits, 3)[::-1]


def bitmap_bits(s1s2s3: bytes) -> tuple[bool, ...]:
    return bits_le(bytes(s1s2s3[::-1]), BITMAP_LOCKS)


# -- host → board ------------------------------------------------------------------------------
def encode_unlock(board: int, lock: int) -> bytes:
    _check(board, lock)
    return frame(Head.UNLOCK, board, lock, FUNC_UNLOCK)


def encode_unlock_all(board: int) -> bytes:
    _check(board)
    return frame(Head.UNLOCK, board, 0, FUNC_UNLOCK)


def encode_query(board: int, lock: int) -> bytes:
    _check(board, lock)
    return frame(Head.QUERY, board, lock, FUNC_QUERY)


def encode_query_all(board: int) -> bytes:
    _check(board)
    return frame(Head.QUERY, board, 0, FUNC_QUERY)


def encode_open_several(board: int, locks: Iterable[int]) -> bytes:
    _check(board)
    wanted = set(locks)
    if not wanted or not wanted <= set(range(1, BITMAP_LOCKS + 1)):
        raise ValueError(f"open-several takes locks 1..{BITMAP_LOCKS}, got {sorted(wanted)}")
    return frame(Head.OPEN_SEVERAL, board, *bitmap_bytes(n in wanted for n in range(1, BITMAP_LOCKS + 1)))


def encode_power_on(board: int, lock: int) -> bytes:
    _check(board, lock)
    return frame(Head.POWER_ON, board, lock, FUNC_UNLOCK)


def encode_power_off(board: int, lock: int) -> bytes:
    _check(board, lock)
    return frame(Head.POWER_OFF, board, lock, FUNC_UNLOCK)


def encode_firmware_query(board: int) -> bytes:
    """Unverified in the wild (§2.3); its reply is undocumented."""
    _check(board)
    return frame(Head.REPORT, board, 0, FUNC_FIRMWARE)


# -- board → host (simulators) ------------------------------------------------------------------
def status_byte(door: Door, polarity: Polarity) -> int:
    return SHORTED if polarity.door_bit(door) else OPEN_CIRCUIT


def encode_lock_reply(head: Head, board: int, lock: int, door: Door, polarity: Polarity = Polarity()) -> bytes:
    """`head` UNLOCK, QUERY, REPORT (unsolicited), POWER_ON or POWER_OFF; lock 0 for unlock-all."""
    return frame(head, board, lock, status_byte(door, polarity))


def encode_query_all_reply(board: int, doors: Iterable[Door], polarity: Polarity = Polarity()) -> bytes:
    return frame(Head.QUERY, board, *bitmap_bytes(polarity.door_bit(d) for d in doors), FUNC_QUERY)


# -- frames and framing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LockFrame:
    """A 5-byte frame: a command (code = FUNC) or a reply/report (code = status byte)."""

    head: int
    board: int
    lock: int
    code: int


@dataclass(frozen=True)
class BitmapFrame:
    """Open-several (head 90) or query-all reply (head 80); `locks[0]` is lock 1's bit."""

    head: int
    board: int
    locks: tuple[bool, ...]


Frame = LockFrame | BitmapFrame
FramerEvent = LockFrame | BitmapFrame | FramingError


class Source(enum.Enum):
    HOST = "host"  # commands: a board's (or simulator's) view of the bus
    BOARD = "board"  # replies and reports: the host's view


class Framer(BufferedFramer):
    """Finds frames in arbitrary chunks; skips unknown bytes; reports bad BCCs and resyncs.

    Head 80 from a board is 5 bytes (one lock) or 7 (query all) and nothing in the bytes tells
    which, so the owner sets `bitmap_replies` while a query-all is in flight. No clocks: call
    `drop_partial()` after an inter-byte gap.
    """

    def __init__(self, source: Source = Source.BOARD, bitmap_replies: bool = False) -> None:
        self.source = source
        self.bitmap_replies = bitmap_replies
        super().__init__()

    def _length(self, head: int) -> int:
        if head == Head.OPEN_SEVERAL:
            return 6
        if head == Head.QUERY and self.source is Source.BOARD and self.bitmap_replies:
            return 7
        return 5

    def feed(self, data: bytes) -> list[FramerEvent]:
        self._buf += data
        events: list[FramerEvent] = []
        while self._buf:
            head = self._buf[0]
            if head not in _HEADS:
                self.discarded += 1
                del self._buf[0]
                continue
            n = self._length(head)
            if len(self._buf) < n:
                break
            raw = bytes(self._buf[:n])
            if bcc(raw[:-1]) != raw[-1]:
                events.append(FramingError(FramingErrorKind.BAD_CHECKSUM, f"{raw.hex(' ')}: BCC {raw[-1]:02X}, computed {bcc(raw[:-1]):02X}"))
                del self._buf[0]
                continue
            if n == 7 and raw[5] != FUNC_QUERY:
                events.append(FramingError(FramingErrorKind.BAD_LENGTH, f"{raw.hex(' ')}: a query-all reply has 33 at byte 5"))
                del self._buf[0]
                continue
            del self._buf[:n]
            if n == 5:
                events.append(LockFrame(raw[0], raw[1], raw[2], raw[3]))
            else:
                events.append(BitmapFrame(raw[0], raw[1], bitmap_bits(raw[2:5])))
        return events


_HEADS = frozenset(int(h) for h in Head)


# -- interpretation ----------------------------------------------------------------------------------
class ReplyKind(enum.Enum):
    UNLOCK = "unlock"
    QUERY = "query"
    REPORT = "report"  # unsolicited: route to the event path, never to a pending request
    POWER_ON = "power_on"
    POWER_OFF = "power_off"


_KIND_OF_HEAD = {Head.UNLOCK: ReplyKind.UNLOCK, Head.QUERY: ReplyKind.QUERY, Head.REPORT: ReplyKind.REPORT,
                 Head.POWER_ON: ReplyKind.POWER_ON, Head.POWER_OFF: ReplyKind.POWER_OFF}


@dataclass(frozen=True)
class LockReport:
    kind: ReplyKind
    board: int
    lock: int  # 0: the unlock-all reply
    door: Door

    @property
    def unsolicited(self) -> bool:
        return self.kind is ReplyKind.REPORT


@dataclass(frozen=True)
class OpenSeveralReply:
    """Layout undocumented (§2.3 [U]); read as an echo of the command's bitmap."""

    board: int
    locks: tuple[int, ...]


def decode_reply(frame: Frame, polarity: Polarity = Polarity()) -> LockReport | BoardStatus | OpenSeveralReply:
    if isinstance(frame, BitmapFrame):
        if frame.head == Head.QUERY:
            return BoardStatus(frame.board, tuple(polarity.door_of(b) for b in frame.locks))
        return OpenSeveralReply(frame.board, tuple(i + 1 for i, b in enumerate(frame.locks) if b))
    if frame.code == SHORTED:
        door = polarity.door_of(True)
    elif frame.code == OPEN_CIRCUIT:
        door = polarity.door_of(False)
    else:
        door = Door.UNKNOWN
    return LockReport(_KIND_OF_HEAD[Head(frame.head)], frame.board, frame.lock, door)
