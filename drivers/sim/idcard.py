"""The ID card reader, device side (spec idcard-sam.md §12): frame receiver, card/RF state
machine, a deck of fictitious cards, runtime control and declarative faults.

Options (sim:// query or `kiosk sim idcard` flags): `baud`, `delay_scale`, `gap_ms`; `pace_ms`, a
reader that sends its answers one byte every N ms (one that forwards the card's data as the RF
link brings it); `damage`, text fields served damaged, `FIELD:KIND[,FIELD:KIND…]` (cards.TextDamage).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from drivers.idcard.cards import DECK, SimCard, TextDamage, parse_damage
from drivers.idcard.frames import (
    BAUD_CODES,
    Command,
    Framer,
    FramingError,
    FramingErrorKind,
    RawFrame,
    encode_response,
    parse_command,
)
from drivers.idcard.status import Sw3
from drivers.sim.base import Simulator
from drivers.sim.registry import register

SAM_ID = bytes.fromhex("05000100A868320115CD5B07D2029649")  # 05.01-20080808-0123456789-1234567890
RATE_OF_CODE = {code: baud for baud, code in BAUD_CODES.items()}

# Processing time per command before the answer starts (spec §12.2 defaults), seconds.
PROCESSING = {
    Command.SAM_STATUS: 0.010, Command.RESET_SAM: 0.010, Command.SAM_ID: 0.020, Command.FIND: 0.030,
    Command.SELECT: 0.040, Command.READ_BASE: 0.300, Command.READ_BASE_FP: 0.500, Command.READ_ADDRESS: 0.100,
}


class CardState(enum.Enum):
    NO_CARD = "no_card"
    PRESENT = "present"
    FOUND = "found"
    SELECTED = "selected"
    READ_DONE = "read_done"


class Fault(enum.Enum):
    BAD_CHECKSUM = "bad_checksum"  # the answer's CHK is corrupted
    SILENCE = "silence"  # no answer at all
    GARBAGE = "garbage"  # noise before the answer's preamble
    TRUNCATED = "truncated"  # the answer stops half way
    LIFT_MID_READ = "lift_mid_read"  # the card leaves during a read: SW3 41
    SAM_SELF_TEST = "sam_self_test"  # SW3 60 to every command
    SAM_UNAUTHORISED = "sam_unauthorised"  # SW3 66 to every command
    CARD_REJECTED = "card_rejected"  # SW3 32 on select/read (e.g. a forged card)


@dataclass
class _Armed:
    fault: Fault
    persistent: bool


class IdCardSimulator(Simulator):
    kind = "idcard"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        options = dict(options or {})
        options.setdefault("baud", "115200")
        super().__init__(options)
        self.baud = int(self.options["baud"])
        self.delay_scale = float(self.options.get("delay_scale", "1"))
        self.gap_timeout = float(self.options.get("gap_ms", "100")) / 1000
        self.pace = float(self.options.get("pace_ms", "0")) / 1000
        self.damage: list[tuple[str, TextDamage]] = [
            parse_damage(d) for d in self.options.get("damage", "").split(",") if d.strip()
        ]
        self.state = CardState.NO_CARD
        self.card: SimCard | None = None
        self.reads = 0
        self.commands: list[Command | tuple[int, int]] = []
        self._framer = Framer(min_len=3)
        self._last_rx = 0.0
        self._faults: list[_Armed] = []
        self._ctl = threading.RLock()

    # -- runtime control ---------------------------------------------------------------------
    def place(self, card: SimCard | int = 0) -> None:
        with self._ctl:
            self.card = DECK[card] if isinstance(card, int) else card
            self.state = CardState.PRESENT

    def lift(self) -> None:
        with self._ctl:
            self.card = None
            self.state = CardState.NO_CARD

    def inject(self, fault: Fault, persistent: bool = False) -> None:
        with self._ctl:
            self._faults.append(_Armed(fault, persistent))

    def clear_faults(self) -> None:
        with self._ctl:
            self._faults.clear()

    def set_pace(self, ms: float) -> None:
        """Send each answer one byte every `ms` milliseconds (0: as fast as the line goes)."""
        with self._ctl:
            self.pace = ms / 1000

    def set_damage(self, damage: list[tuple[str, TextDamage]]) -> None:
        """Serve these text fields damaged on every read, whichever card lies there ([] : none)."""
        with self._ctl:
            self.damage = list(damage)

    def _take_fault(self, *wanted: Fault) -> Fault | None:
        for armed in self._faults:
            if armed.fault in wanted:
                if not armed.persistent:
                    self._faults.remove(armed)
                return armed.fault
        return None

    # -- wire --------------------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        with self._ctl:
            now = time.monotonic()
            if self._framer.partial and now - self._last_rx > self.gap_timeout:
                self._framer.drop_partial()  # the host paused mid-frame: drop it, no answer
            self._last_rx = now
            for event in self._framer.feed(data):
                if isinstance(event, FramingError):
                    code = Sw3.HOST_CHECKSUM if event.kind is FramingErrorKind.BAD_CHECKSUM else Sw3.HOST_LENGTH
                    self._answer(None, code)
                elif isinstance(event, RawFrame):
                    self._dispatch(event)

    def _answer(self, command: Command | None, sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> None:
        frame = encode_response(sw3, data, sw1, sw2)
        delay = PROCESSING.get(command, 0.010) * self.delay_scale if command else 0.0
        fault = self._take_fault(Fault.BAD_CHECKSUM, Fault.SILENCE, Fault.GARBAGE, Fault.TRUNCATED)
        if fault is Fault.SILENCE:
            return
        if fault is Fault.BAD_CHECKSUM:
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        elif fault is Fault.GARBAGE:
            frame = b"\x00\xff\xaa\x13\x96\xaa\xaa" + frame
        elif fault is Fault.TRUNCATED:
            frame = frame[: max(8, len(frame) // 2)]
        if self.pace:
            for i in range(len(frame)):
                self.emit(frame[i : i + 1], delay + i * self.pace)
        else:
            self.emit(frame, delay)

    def _dispatch(self, raw: RawFrame) -> None:
        frame = parse_command(raw)
        try:
            command = next(
                c for c in Command if c.cmd == frame.cmd and (c.para == frame.para or c is Command.SET_BAUD)
            )
        except StopIteration:
            self.commands.append((frame.cmd, frame.para))
            self._answer(None, Sw3.BAD_COMMAND)
            return
        self.commands.append(command)
        reader_fault = self._take_fault(Fault.SAM_SELF_TEST, Fault.SAM_UNAUTHORISED)
        if reader_fault:
            self._answer(command, Sw3.SAM_SELF_TEST_FAILED if reader_fault is Fault.SAM_SELF_TEST else Sw3.SAM_NOT_AUTHORISED)
            return
        match command:
            case Command.SAM_STATUS | Command.SET_RF_FRAME:
                self._answer(command, Sw3.OK)
            case Command.RESET_SAM:
                if self.state in (CardState.FOUND, CardState.SELECTED):
                    self.state = CardState.PRESENT
                self._answer(command, Sw3.OK)
            case Command.SAM_ID:
                self._answer(command, Sw3.OK, SAM_ID)
            case Command.SET_BAUD:
                self._set_baud(frame.para)
            case Command.FIND:
                self._find()
            case Command.SELECT:
                self._select()
            case Command.READ_BASE | Command.READ_BASE_FP:
                self._read(command)
            case Command.READ_ADDRESS:
                self._read_address()
            case _:
                self._answer(command, Sw3.BAD_COMMAND)  # 30 05 "MID": meaning unknown

    def _set_baud(self, code: int) -> None:
        if code not in RATE_OF_CODE:
            self._answer(Command.SET_BAUD, Sw3.BAD_COMMAND)
            return
        self._answer(Command.SET_BAUD, Sw3.OK)  # acknowledged at the old rate…
        self.baud = RATE_OF_CODE[code]  # …then the reader switches (spec §13 #1)
        self.set_baud(self.baud)

    def _find(self) -> None:
        if self.state in (CardState.PRESENT, CardState.FOUND, CardState.SELECTED):
            self.state = CardState.FOUND
            self._answer(Command.FIND, Sw3.FOUND, bytes(4))
        else:  # NO_CARD, and READ_DONE: the card must be lifted first (spec §10)
            self._answer(Command.FIND, Sw3.FIND_FAILED)

    def _select(self) -> None:
        if self.state in (CardState.FOUND, CardState.SELECTED):
            if self._take_fault(Fault.CARD_REJECTED):
                self._answer(Command.SELECT, Sw3.SAM_AUTH_CARD_FAILED)
                return
            self.state = CardState.SELECTED
            self._answer(Command.SELECT, Sw3.OK, bytes(8))
        else:
            self._answer(Command.SELECT, Sw3.SELECT_FAILED)

    def _read(self, command: Command) -> None:
        if self.state is CardState.NO_CARD or self.state is CardState.PRESENT:
            self._answer(command, Sw3.READ_FAILED)
            return
        if self.state is CardState.FOUND:
            self._answer(command, Sw3.BAD_COMMAND)  # read before select
            return
        if self._take_fault(Fault.LIFT_MID_READ):
            self.lift()
            self._answer(command, Sw3.READ_FAILED)
            return
        if self._take_fault(Fault.CARD_REJECTED):
            self._answer(command, Sw3.SAM_AUTH_CARD_FAILED)
            return
        assert self.card is not None
        text, photo = self.card.text_block(self.damage), self.card.photo
        if command is Command.READ_BASE:
            data = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo
        else:
            fp = self.card.fingerprints
            data = (
                len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + len(fp).to_bytes(2, "big") + text + photo + fp
            )
        self.state = CardState.READ_DONE
        self.reads += 1
        self._answer(command, Sw3.OK, data)

    def _read_address(self) -> None:
        if self.state not in (CardState.SELECTED, CardState.READ_DONE) or self.card is None:
            self._answer(Command.READ_ADDRESS, Sw3.READ_FAILED if self.state is CardState.NO_CARD else Sw3.BAD_COMMAND)
            return
        address = self.card.address_block(self.damage)
        if address is None:
            self._answer(Command.READ_ADDRESS, Sw3.NO_CONTENT)
        else:
            self._answer(Command.READ_ADDRESS, Sw3.OK, address)


register("idcard", IdCardSimulator)
