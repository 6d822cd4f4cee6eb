"""SAM frames, sans-IO: building, and a framer that finds frames in arbitrary byte chunks.

    AA AA AA 96 69 | LEN_H LEN_L | body … | CHK
LEN (big-endian) counts every byte after it including CHK; CHK is the XOR of LEN_H … the byte
before CHK. A command body is CMD PARA DATA; a response body is SW1 SW2 SW3 DATA.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import reduce

from drivers.framing import BufferedFramer

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
MAX_LEN = 4096  # the largest known response has LEN 2314 (30 10 with two fingerprints)


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def _frame(body: bytes) -> bytes:
    core = (len(body) + 1).to_bytes(2, "big") + body
    return PREAMBLE + core + bytes([xor(core)])


class Command(enum.Enum):
    """(CMD, PARA) of every command the spec lists."""

    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND = (0x20, 0x01)
    SELECT = (0x20, 0x02)
    READ_BASE = (0x30, 0x01)  # text + photo
    READ_ADDRESS = (0x30, 0x03)  # newest appended address
    READ_MID = (0x30, 0x05)  # meaning unknown
    READ_BASE_FP = (0x30, 0x10)  # text + photo + fingerprints
    SET_BAUD = (0x60, 0x00)  # PARA is the rate code, see BAUD_CODES
    SET_RF_FRAME = (0x61, 0xFF)  # DATA: one byte, max bytes per RF frame

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]


BAUD_CODES: dict[int, int] = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}
BAUD_PROBE_ORDER = (115200, 57600, 38400, 19200, 9600)


def encode_command(command: Command, data: bytes = b"", para: int | None = None) -> bytes:
    return _frame(bytes([command.cmd, command.para if para is None else para]) + data)


def encode_set_baud(baud: int) -> bytes:
    return encode_command(Command.SET_BAUD, para=BAUD_CODES[baud])


def encode_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class RawFrame:
    """A frame with a valid length and checksum; `body` is everything between LEN and CHK."""

    body: bytes


@dataclass(frozen=True)
class CommandFrame:
    cmd: int
    para: int
    data: bytes


@dataclass(frozen=True)
class ResponseFrame:
    sw1: int
    sw2: int
    sw3: int
    data: bytes


class FramingErrorKind(enum.Enum):
    BAD_CHECKSUM = "bad_checksum"
    BAD_LENGTH = "bad_length"


@dataclass(frozen=True)
class FramingError:
    kind: FramingErrorKind
    detail: str


FramerEvent = RawFrame | FramingError


class Framer(BufferedFramer):
    """Hunts for the preamble, reads LEN, checks CHK. Feed it bytes; it returns events.

    No clocks: the owner calls `drop_partial()` when the line has been quiet for longer than
    the inter-byte timeout, so a truncated frame cannot wedge the framer.
    """

    def __init__(self, min_len: int = 3, max_len: int = MAX_LEN) -> None:
        self.min_len = min_len
        self.max_len = max_len
        super().__init__()

    @property
    def received(self) -> int:
        """Bytes of the frame under way (0 while hunting)."""
        return len(self._buf)

    @property
    def expected(self) -> int | None:
        """The size of the frame under way once its LEN has arrived."""
        if len(self._buf) < 7 or not self._buf.startswith(PREAMBLE):
            return None
        return 7 + int.from_bytes(self._buf[5:7], "big")

    def feed(self, data: bytes) -> list[FramerEvent]:
        self._buf += data
        events: list[FramerEvent] = []
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # keep a tail that could be the start of a preamble split across chunks
                keep = _preamble_prefix_len(self._buf)
                self.discarded += len(self._buf) - keep
                del self._buf[: len(self._buf) - keep]
                return events
            if start:
                self.discarded += start
                del self._buf[:start]
            if len(self._buf) < 7:
                return events
            length = int.from_bytes(self._buf[5:7], "big")
            if not self.min_len <= length <= self.max_len:
                events.append(FramingError(FramingErrorKind.BAD_LENGTH, f"LEN {length} outside {self.min_len}..{self.max_len}"))
                del self._buf[:5]  # resynchronise on the next preamble
                continue
            if len(self._buf) < 7 + length:
                return events
            frame = bytes(self._buf[: 7 + length])
            if xor(frame[5:-1]) != frame[-1]:
                events.append(FramingError(FramingErrorKind.BAD_CHECKSUM, f"CHK {frame[-1]:02X}, computed {xor(frame[5:-1]):02X}"))
                del self._buf[:5]
                continue
            del self._buf[: 7 + length]
            events.append(RawFrame(frame[7:-1]))


def _preamble_prefix_len(buf: bytearray) -> int:
    for n in range(min(len(buf), len(PREAMBLE) - 1), 0, -1):
        if buf.endswith(PREAMBLE[:n]):
            return n
    return 0


def parse_command(frame: RawFrame) -> CommandFrame:
    return CommandFrame(frame.body[0], frame.body[1], frame.body[2:])


def parse_response(frame: RawFrame) -> ResponseFrame:
    return ResponseFrame(frame.body[0], frame.body[1], frame.body[2], frame.body[3:])
