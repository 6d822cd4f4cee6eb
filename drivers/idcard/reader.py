"""The ID card reader driver: SAM status and ID at open, armed card reads, lift-card tracking.

Like UnifiedPOS AutoDisable, a flow arms the reader for one read; the reader polls find only
while armed, and is quiet otherwise (one SAM status check every `status_period`).
"""

from __future__ import annotations

import dataclasses
import enum
import time
from dataclasses import dataclass

from drivers.device import ActionHint, Device, DeviceFault, DeviceInfo, DeviceKind, DeviceState, DeviceStatus
from drivers.errors import PortTimeout, ProtocolError
from drivers.idcard.decode import BaseInfo, DamagedCard, DecodeError, decode_address, decode_base_info, decode_sam_id
from drivers.idcard.frames import (
    BAUD_PROBE_ORDER,
    Command,
    Framer,
    FramingError,
    RawFrame,
    ResponseFrame,
    encode_command,
    parse_response,
)
from drivers.idcard.identity import Identity
from drivers.idcard.reply import ReplyLimits, ReplyTooSlow
from drivers.idcard.status import Reaction, Sw3, describe, reaction
from drivers.transport import SerialSettings, Transport

# Expected answer sizes (bytes) for the timeout rule: base + 1.5 × wire time (spec §11.2).
ANSWER_BYTES = {
    Command.RESET_SAM: 11, Command.SAM_STATUS: 11, Command.SAM_ID: 27, Command.FIND: 15, Command.SELECT: 19,
    Command.READ_BASE: 1295, Command.READ_BASE_FP: 2321, Command.READ_ADDRESS: 81, Command.SET_BAUD: 11,
    Command.SET_RF_FRAME: 11,
}
MAX_RETRY_FROM_FIND = 3


@dataclass(frozen=True)
class ReaderTimings:
    """Reply time = base + wire_factor × wire time of the expected answer (spec §11.2); then the
    deadline follows the bytes up to cap_factor × the reply time (reply.py)."""

    base: float = 0.3  # 11, 12, 20 xx, 60, 61
    read: float = 1.5  # 30 01, 30 03
    read_fp: float = 2.5  # 30 10
    wire_factor: float = 1.5
    inter_byte: float = 0.1  # at 115200, scaled with the rate (spec §3)
    cap_factor: float = 20.0  # a whole answer within this many reply times, while its bytes keep coming
    retries: int = 1  # after a timeout or a bad frame; never after a too-slow answer

    def base_for(self, command: Command) -> float:
        if command is Command.READ_BASE_FP:
            return self.read_fp
        if command in (Command.READ_BASE, Command.READ_ADDRESS):
            return self.read
        return self.base


class CardPresence(enum.Enum):
    ABSENT = "absent"  # or not known to be there: find answers 80
    READ_AWAITING_REMOVAL = "read_awaiting_removal"
    UNKNOWN = "unknown"


class SamState(enum.Enum):
    OK = "ok"
    FAULT = "fault"
    UNKNOWN = "unknown"


class Arming(enum.Enum):
    DISARMED = "disarmed"
    ARMED = "armed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IdReaderStatus(DeviceStatus):
    sam: SamState = SamState.UNKNOWN
    card: CardPresence = CardPresence.UNKNOWN
    arming: Arming = Arming.UNKNOWN


@dataclass(frozen=True, repr=False)
class CardRead:
    """What a read produced. Fingerprint data is never kept, only how many bytes there were."""

    identity: Identity
    fingerprint_length: int
    _appended_address: str | None = None

    def newest_address(self) -> str | None:
        return self._appended_address

    def __repr__(self) -> str:
        return f"CardRead({self.identity!r}, fingerprints={self.fingerprint_length}, address={'yes' if self._appended_address else 'no'})"


class ProblemCode(enum.Enum):
    CARD_REJECTED = "card_rejected"  # the SAM refused the card, or its data has an unknown layout
    READ_FAILED = "read_failed"  # moved card, poor coupling: the reader stays armed
    CARD_DAMAGED = "card_damaged"  # the card answered with text no sound card holds: lay it again


# The citizen's words for a damaged card (the UI has them as idcard.card_damaged too).
DAMAGED_WORDS = ("请重新放置身份证；如果多次出现，证件可能已损坏", "Please lay the card again; if this repeats, the card may be damaged")


@dataclass(frozen=True)
class CardProblem:
    sw3: int
    text: str
    text_en: str
    code: ProblemCode = ProblemCode.CARD_REJECTED
    detail: str = ""  # for technicians: what was wrong (a field and its fault, never a value)


class ReaderError(Exception):
    """The reader answered with a status that ends the operation (no personal data inside)."""

    def __init__(self, command: Command, sw3: int) -> None:
        self.command, self.sw3 = command, sw3
        zh, en = describe(sw3)
        super().__init__(f"{command.name}: SW3 {sw3:02X} {en} ({zh})")


class IdCardReader(Device):
    kind = DeviceKind.IDCARD
    status_type = IdReaderStatus
    counters = ("reads_ok", "reads_failed", "cards_rejected", "cards_damaged")

    def __init__(
        self,
        device_id: str,
        port: str,
        *,
        model: str = "sam-generic",
        serial: SerialSettings | None = None,
        baud: int | None = None,
        probe_order: tuple[int, ...] = BAUD_PROBE_ORDER,
        timings: ReaderTimings = ReaderTimings(),
        find_period: float = 0.3,
        status_period: float = 3.0,
        read_fingerprints: bool = False,
        read_address: bool = True,
        removal_probe: bool = True,
        listener=None,
    ) -> None:
        super().__init__(device_id, port, model=model, serial=serial or SerialSettings(baudrate=baud or 115200), listener=listener)
        self.configured_baud = baud  # None: probe, starting with the rate that answered last
        self.baud = baud
        self.probe_order = probe_order
        self.timings = timings
        self.find_period = find_period
        self.status_period = status_period
        self.read_fingerprints = read_fingerprints
        self.read_address = read_address
        self.removal_probe = removal_probe
        self.sam_id: str | None = None
        self._armed = False
        self._awaiting_removal = False
        self._failures = 0
        self._last_status = 0.0

    # -- what flows call ---------------------------------------------------------------------
    def arm(self) -> None:
        """Read the next card placed (one read, then disarm)."""
        self._armed = True
        self._failures = 0
        self._update(arming=Arming.ARMED)
        self.wake.set()

    def disarm(self) -> None:
        self._armed = False
        self._update(arming=Arming.DISARMED)

    @property
    def armed(self) -> bool:
        return self._armed

    def poll_interval(self, configured: float) -> float:
        return self.find_period if (self._armed or self._awaiting_removal) else min(configured, self.status_period)

    # -- Device ----------------------------------------------------------------------------
    def _identify(self, t: Transport) -> None:
        if self.configured_baud is None:
            self.baud = self._probe(t)
        else:
            self.baud = self.configured_baud
            t.set_baud(self.baud)
        self._check_sam(t)
        answer = self.exchange(t, Command.SAM_ID)
        if answer.sw3 == Sw3.OK:
            self.sam_id = decode_sam_id(answer)
        self.info = DeviceInfo(
            kind=self.kind, model=self.model, serial_number=self.sam_id,
            capabilities=frozenset({"fingerprints"} if self.read_fingerprints else set()) | {f"baud:{self.baud}"},
        )
        self._awaiting_removal = False
        self._update(card=CardPresence.ABSENT, arming=Arming.ARMED if self._armed else Arming.DISARMED)

    def _poll(self, t: Transport) -> None:
        if self._awaiting_removal:
            self._probe_removal(t)
        elif self._armed:
            self._card_cycle(t)
        elif time.monotonic() - self._last_status >= self.status_period:
            self._check_sam(t)

    # -- protocol --------------------------------------------------------------------------
    def timeout_for(self, command: Command) -> float:
        """The reply time: base + wire_factor × wire time of the expected answer (spec §11.2)."""
        wire = ANSWER_BYTES.get(command, 11) * 10 / (self.baud or 115200)
        return self.timings.base_for(command) + self.timings.wire_factor * wire

    def limits_for(self, command: Command) -> ReplyLimits:
        reply = self.timeout_for(command)
        gap = self.timings.inter_byte * max(1.0, 115200 / (self.baud or 115200))
        return ReplyLimits(reply, gap, max(1.0, self.timings.cap_factor) * reply)

    def exchange(self, t: Transport, command: Command, data: bytes = b"", para: int | None = None, retry: bool = True) -> ResponseFrame:
        """Send one command, return its answer. A timeout or bad frame is retried once; an
        answer too slow for its cap is not."""
        frame = encode_command(command, data, para)
        attempts = 1 + (self.timings.retries if retry else 0)
        for attempt in range(attempts):
            t.reset_input()  # request/response, never pipelined: drop stale bytes first
            t.write(frame)
            try:
                answer = self._await(t, command)
            except ReplyTooSlow:
                self.stats.incr("communication_errors")
                raise  # asking again would be as slow
            except (PortTimeout, ProtocolError):
                self.stats.incr("communication_errors")
                if attempt == attempts - 1:
                    raise
                continue
            if answer.sw3 in (Sw3.HOST_CHECKSUM, Sw3.HOST_LENGTH) and attempt < attempts - 1:
                continue  # the reader got a damaged frame from us: send it once more
            self.stats.incr(f"sw3_{answer.sw3:02x}")
            return answer
        return answer

    def _await(self, t: Transport, command: Command) -> ResponseFrame:
        """The answer's first frame. The deadline follows the bytes (reply.py): NoReply,
        ReplyStopped or ReplyTooSlow when it ends, ProtocolError for a frame that fails its checks."""
        limits = self.limits_for(command)
        framer = Framer(min_len=4)
        sent = time.monotonic()
        last: float | None = None  # when the last byte of the answer came; None before it starts
        while True:
            now = time.monotonic()
            quiet = None if last is None else now - last
            wait = limits.wait(now - sent, quiet)
            if wait <= 0:
                expected = framer.expected
                raise limits.give_up(t.url, command.name, now - sent, quiet, framer.received,
                                     expected or ANSWER_BYTES.get(command, 11), expected is not None)
            try:
                chunk = t.read(4096, wait)
            except PortTimeout:
                continue  # the limits above say which deadline passed
            events = framer.feed(chunk)
            if framer.partial or events:  # bytes that could be the answer, not line noise
                last = time.monotonic()
            for event in events:
                if isinstance(event, RawFrame):
                    return parse_response(event)
                if isinstance(event, FramingError):
                    raise ProtocolError(t.url, f"bad answer to {command.name}: {event.detail}")

    def _probe(self, t: Transport) -> int:
        remembered = [self.baud] if self.baud else []
        for rate in dict.fromkeys(remembered + list(self.probe_order)):
            t.set_baud(rate)
            self.baud = rate
            try:
                self.exchange(t, Command.SAM_STATUS, retry=False)
                return rate
            except (PortTimeout, ProtocolError):
                continue
        self.baud = None
        raise PortTimeout(t.url, f"no answer to SAM status at {', '.join(map(str, self.probe_order))} bit/s")

    def _check_sam(self, t: Transport) -> None:
        self._last_status = time.monotonic()
        answer = self.exchange(t, Command.SAM_STATUS)
        if answer.sw3 == Sw3.OK:
            self._update(sam=SamState.OK)
            if self.state is DeviceState.HARDWARE_ERROR:
                self.set_state(DeviceState.ONLINE, "SAM answers again")
        else:
            self._reader_fault(Command.SAM_STATUS, answer.sw3)

    def _reader_fault(self, command: Command, sw3: int) -> None:
        zh, en = describe(sw3)
        self._update(sam=SamState.FAULT)
        self.set_state(DeviceState.HARDWARE_ERROR, f"{command.name}: SW3 {sw3:02X} {en}")
        self.raise_fault(DeviceFault(f"sw3_{sw3:02x}", ActionHint.MAINTENANCE, f"身份证阅读器故障：{zh}，请联系工作人员", en))

    def _card_cycle(self, t: Transport) -> None:
        found = self.exchange(t, Command.FIND)
        if found.sw3 == Sw3.FIND_FAILED:
            return  # no card yet
        if found.sw3 != Sw3.FOUND:
            self._problem(Command.FIND, found.sw3)
            return
        selected = self.exchange(t, Command.SELECT)
        if selected.sw3 != Sw3.OK:
            self._problem(Command.SELECT, selected.sw3)
            return
        command = Command.READ_BASE_FP if self.read_fingerprints else Command.READ_BASE
        answer = self.exchange(t, command)
        if answer.sw3 != Sw3.OK:
            self._problem(command, answer.sw3)
            return
        try:
            info: BaseInfo = decode_base_info(answer, command)
            address = self._appended_address(t) if self.read_address else None
        except DamagedCard as e:
            # never a good read; the citizen lifts the card and lays it again, so stay armed
            self.stats.incr("reads_failed")
            self.stats.incr("cards_damaged")
            self._finish_with("idcard.card_rejected", CardProblem(answer.sw3, *DAMAGED_WORDS, ProblemCode.CARD_DAMAGED, str(e)),
                              stay_armed=True)
            return
        except DecodeError as e:
            self.stats.incr("reads_failed")
            self.stats.incr("cards_rejected")
            self._finish_with("idcard.card_rejected", CardProblem(answer.sw3, "证件信息无法识别", f"card data not understood: {e}"))
            return
        self.stats.incr("reads_ok")
        self.stats.incr("operations_ok")
        self._finish_with("idcard.card_read", CardRead(info.identity, info.fingerprint_length, address))

    def _appended_address(self, t: Transport) -> str | None:
        """The newest appended address; a damaged one spoils the read (DamagedCard), an answer
        that is no address at all is taken as none."""
        extra = self.exchange(t, Command.READ_ADDRESS)
        if extra.sw3 not in (Sw3.OK, Sw3.NO_CONTENT):
            return None
        try:
            return decode_address(extra)
        except DamagedCard:
            raise
        except DecodeError:
            return None

    def _finish_with(self, name: str, payload: object, stay_armed: bool = False) -> None:
        """End the transaction: ask for the card to be lifted, and watch for that. Disarm,
        unless the card is to be laid again (then the next one placed is read)."""
        self._armed = stay_armed
        self._failures = 0
        self._awaiting_removal = True
        self._update(card=CardPresence.READ_AWAITING_REMOVAL, arming=Arming.ARMED if stay_armed else Arming.DISARMED)
        self.notify(name, payload)
        self.notify("idcard.remove_card")

    def _problem(self, command: Command, sw3: int) -> None:
        match reaction(sw3):
            case Reaction.READER_FAULT:
                self._reader_fault(command, sw3)
            case Reaction.CARD_REJECTED:
                self.stats.incr("reads_failed")
                self.stats.incr("cards_rejected")
                zh, en = describe(sw3)
                self._finish_with("idcard.card_rejected", CardProblem(sw3, f"证件无法识别（{zh}）", en))
            case Reaction.HOST_FRAMING:
                self.stats.incr("communication_errors")
                raise ProtocolError(self.port, f"reader reports a damaged frame twice ({describe(sw3)[1]})")
            case _:  # moved card, poor coupling, sequence error: start again from find
                self._failures += 1
                if self._failures >= MAX_RETRY_FROM_FIND:
                    self._failures = 0
                    self.stats.incr("reads_failed")
                    self.stats.incr("operations_failed")
                    zh, en = describe(sw3)
                    self.notify("idcard.read_failed", CardProblem(sw3, f"读卡失败（{zh}），请重新放置证件", en, ProblemCode.READ_FAILED))

    def _probe_removal(self, t: Transport) -> None:
        """After a read, find answers 80 whether or not the card is still there (spec §10), so
        presence is asked with a read of the appended address: it answers 90/91 while the card
        is on the antenna and 41 once it has gone."""
        if not self.removal_probe:
            return
        answer = self.exchange(t, Command.READ_ADDRESS)
        if answer.sw3 in (Sw3.OK, Sw3.NO_CONTENT):
            return
        if reaction(answer.sw3) is Reaction.READER_FAULT:
            self._reader_fault(Command.READ_ADDRESS, answer.sw3)
            return
        self._awaiting_removal = False
        self._update(card=CardPresence.ABSENT)
        self.notify("idcard.card_removed")

    def _update(self, **changes: enum.Enum) -> None:
        self.set_status(dataclasses.replace(self.status, **changes))
