"""A bus of locker lock-control boards, device side (spec locker-boards.md §5): N boards of one
family on one line, door physics (an unlock pulse opens a door after a delay unless the latch is
jammed; it stays open until closed), IR item sensors (Kerong), runtime control and faults.

Options (sim://locker?…): protocol=kerong-cu|bcc-8a, boards, locks, first, baud, door_polarity,
item_polarity, reply_ms, open_delay_ms, fire_ms (per lock of an unlock-all), gap_ms,
reply_reflects=before|after (what an unlock reply shows), active_reports=0|1 (Family A `82`).

Reply faults (a slow board, a noisy line), per board: late_ms=LO-HI (every reply comes LO..HI ms
after its command), dup, lost, truncated (probability that a reply is sent twice, never, or cut
short), fault_boards=A,B (which boards; default all), seed. Tests can also script the fate of
each next reply (`script`). Every frame heard and sent is recorded with its time (`frames`).
"""

from __future__ import annotations

import enum
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from drivers.locker import bcc8a, kerong
from drivers.locker.types import Door, FramingError, Item, Polarity
from drivers.sim.base import Simulator
from drivers.sim.registry import register


class Protocol(enum.Enum):
    KERONG_CU = "kerong-cu"
    BCC_8A = "bcc-8a"


# Per family: locks per board, first address, baud, unlock reply shows the door before/after the pulse.
_DEFAULTS = {
    Protocol.KERONG_CU: {"locks": "16", "first": "0", "baud": str(kerong.BAUD), "reply_reflects": "before", "fire_ms": "100"},
    Protocol.BCC_8A: {"locks": "24", "first": "1", "baud": str(bcc8a.BAUD), "reply_reflects": "after", "fire_ms": "200"},
}
_ADDRESS_RANGE = {Protocol.KERONG_CU: (0, kerong.MAX_BOARD), Protocol.BCC_8A: (1, bcc8a.MAX_BOARD)}
_MAX_LOCKS = {Protocol.KERONG_CU: 16, Protocol.BCC_8A: 255}
_RATE_OF_CODE = {code: baud for baud, code in kerong.BAUD_CODES.items()}


@dataclass
class _Lock:
    open: bool = False  # door open (latch released); closed means latched
    opens_at: float | None = None  # a pulse is on its way
    jammed: bool = False
    item: bool = False
    stuck_door: Door | None = None
    stuck_item: Item | None = None


@dataclass(frozen=True)
class ReplyFate:
    """What becomes of one reply: when it leaves (seconds after the command; None = the usual
    reply time), whether it is lost, sent again `duplicate` seconds after the first copy, or cut
    to its first `truncate` bytes."""

    delay: float | None = None
    lost: bool = False
    duplicate: float | None = None
    truncate: int | None = None


@dataclass(frozen=True)
class ReplyFaults:
    """A board's standing faults, drawn for each reply. `late`: (low, high) seconds after the command."""

    late: tuple[float, float] | None = None
    duplicate: float = 0.0
    lost: float = 0.0
    truncated: float = 0.0

    @classmethod
    def parse(cls, late_ms: str = "", dup: str = "0", lost: str = "0", truncated: str = "0") -> ReplyFaults:
        """From option strings: late_ms `LO-HI` (or one value), the others probabilities 0..1."""
        late = None
        if late_ms.strip() not in ("", "off"):
            lo, _, hi = late_ms.partition("-")
            late = (_number("late_ms", lo, "LO-HI in ms") / 1000, _number("late_ms", hi or lo, "LO-HI in ms") / 1000)
            if not 0 <= late[0] <= late[1] <= 60:
                raise ValueError(f"late_ms={late_ms}: expected LO-HI in ms with 0 <= LO <= HI <= 60000, or off")
        probs = {name: _number(name, text, "a probability, 0..1") for name, text in (("dup", dup), ("lost", lost), ("truncated", truncated))}
        for name, p in probs.items():
            if not 0 <= p <= 1:
                raise ValueError(f"{name}={p:g}: expected a probability, 0..1")
        return cls(late, probs["dup"], probs["lost"], probs["truncated"])

    def __str__(self) -> str:
        late = f"replies {self.late[0] * 1000:g}-{self.late[1] * 1000:g} ms after the command" if self.late else "replies on time"
        return f"{late}; duplicated {self.duplicate:.0%}, lost {self.lost:.0%}, truncated {self.truncated:.0%}"

    def draw(self, rng: random.Random, usual: float) -> ReplyFate:
        delay = rng.uniform(*self.late) if self.late else None
        spread = self.late[1] if self.late else usual
        return ReplyFate(
            delay,
            lost=rng.random() < self.lost,
            duplicate=rng.uniform(0, spread) if rng.random() < self.duplicate else None,
            truncate=rng.randint(1, 4) if rng.random() < self.truncated else None,
        )


@dataclass
class _Board:
    locks: list[_Lock]
    offline: bool = False
    pulse_ms: int = 500
    unlocks: dict[int, list[float]] = field(default_factory=dict)
    faults: ReplyFaults = ReplyFaults()
    script: deque[ReplyFate] = field(default_factory=deque)


class LockerBusSimulator(Simulator):
    kind = "locker"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        options = dict(options or {})
        try:
            self.protocol = Protocol(options.get("protocol", Protocol.KERONG_CU.value))
        except ValueError:
            raise ValueError(f"locker simulator: protocol {options['protocol']!r}, expected kerong-cu or bcc-8a") from None
        for key, value in _DEFAULTS[self.protocol].items():
            options.setdefault(key, value)
        super().__init__(options)
        opt = self.options
        n_boards, n_locks, first = int(opt.get("boards", "2")), int(opt["locks"]), int(opt["first"])
        low, high = _ADDRESS_RANGE[self.protocol]
        if n_boards < 1 or first < low or first + n_boards - 1 > high:
            raise ValueError(f"locker simulator: boards {first}..{first + n_boards - 1} outside {low}..{high} for {self.protocol.value}")
        if not 1 <= n_locks <= _MAX_LOCKS[self.protocol]:
            raise ValueError(f"locker simulator: locks={n_locks} outside 1..{_MAX_LOCKS[self.protocol]}")
        self.polarity = Polarity.parse(opt.get("door_polarity", "lock_shorted"), opt.get("item_polarity", "normal"))
        self.reply_delay = float(opt.get("reply_ms", "20")) / 1000
        self.open_delay = float(opt.get("open_delay_ms", "100")) / 1000
        self.fire_interval = float(opt["fire_ms"]) / 1000
        self.gap_timeout = float(opt.get("gap_ms", "20")) / 1000
        self.reply_after = opt["reply_reflects"] == "after"
        self.active_reports = opt.get("active_reports", "0") in ("1", "true", "yes")
        self.locks_per_board = n_locks
        self.boards: dict[int, _Board] = {a: _Board([_Lock() for _ in range(n_locks)]) for a in range(first, first + n_boards)}
        faults = ReplyFaults.parse(opt.get("late_ms", ""), opt.get("dup", "0"), opt.get("lost", "0"), opt.get("truncated", "0"))
        faulty = [int(a) for a in opt["fault_boards"].split(",")] if opt.get("fault_boards") else list(self.boards)
        for address in faulty:
            if address not in self.boards:
                raise ValueError(f"locker simulator: fault_boards names board {address}, not one of {sorted(self.boards)}")
            self.boards[address].faults = faults
        self._rng = random.Random(opt.get("seed"))
        # Every frame heard ("rx", as decoded) and sent ("tx", as it leaves: duplicated or cut
        # short by a fault; a lost reply is not sent): (monotonic time, direction, bytes).
        self.wire_log: deque[tuple[float, str, bytes]] = deque(maxlen=10_000)
        self.ignored_frames = 0  # corrupt or unknown frames heard and not answered
        self._corrupt_next = False
        self._framer: bcc8a.Framer | kerong.Framer = (
            kerong.Framer() if self.protocol is Protocol.KERONG_CU else bcc8a.Framer(bcc8a.Source.HOST)
        )
        self._last_rx = 0.0
        self._ctl = threading.RLock()

    # -- runtime control (tests, `kiosk sim locker`) -------------------------------------------
    def _cell(self, board: int, lock: int) -> _Lock:
        if board not in self.boards or not 1 <= lock <= self.locks_per_board:
            raise KeyError(f"no lock {lock} on board {board}: boards {sorted(self.boards)}, locks 1..{self.locks_per_board}")
        return self.boards[board].locks[lock - 1]

    def close_door(self, board: int, lock: int) -> None:
        with self._ctl:
            st = self._cell(board, lock)
            self._settle(time.monotonic())
            st.opens_at = None
            if st.open:
                st.open = False
                self._report(board, lock)

    def open_door(self, board: int, lock: int) -> None:
        """The door opens without a command (tamper, or a latch that failed)."""
        with self._ctl:
            st = self._cell(board, lock)
            st.opens_at = None
            if not st.open:
                st.open = True
                self._report(board, lock)

    def put_item(self, board: int, lock: int) -> None:
        with self._ctl:
            self._cell(board, lock).item = True

    def take_item(self, board: int, lock: int) -> None:
        with self._ctl:
            self._cell(board, lock).item = False

    def jam(self, board: int, lock: int, jammed: bool = True) -> None:
        with self._ctl:
            self._cell(board, lock).jammed = jammed

    def stick_sensor(self, board: int, lock: int, value: Door | None) -> None:
        """The door feedback reads `value` whatever the door does; None frees it."""
        with self._ctl:
            self._cell(board, lock).stuck_door = value

    def stick_item_sensor(self, board: int, lock: int, value: Item | None) -> None:
        with self._ctl:
            self._cell(board, lock).stuck_item = value

    def set_board_offline(self, board: int, offline: bool = True) -> None:
        with self._ctl:
            self._cell(board, 1)
            self.boards[board].offline = offline

    def set_faults(self, board: int, faults: ReplyFaults) -> None:
        """The board's replies from now on: late, duplicated, lost or truncated at these odds."""
        with self._ctl:
            self._cell(board, 1)
            self.boards[board].faults = faults

    def faults(self, board: int) -> ReplyFaults:
        with self._ctl:
            self._cell(board, 1)
            return self.boards[board].faults

    def script(self, board: int, fates: Iterable[ReplyFate]) -> None:
        """The fates of the board's next replies, in order; then its standing faults again."""
        with self._ctl:
            self._cell(board, 1)
            self.boards[board].script.extend(fates)

    def frames(self, direction: str = "rx") -> list[tuple[float, bytes]]:
        """Frames heard from the host ("rx") or sent to it ("tx"), with their times."""
        with self._ctl:
            return [(t, f) for t, d, f in self.wire_log if d == direction]

    def corrupt_next_reply(self) -> None:
        """The next frame a board sends has a wrong checksum."""
        with self._ctl:
            self._corrupt_next = True

    def door(self, board: int, lock: int) -> Door:
        """The physical door (not what a stuck sensor reports)."""
        with self._ctl:
            self._settle(time.monotonic())
            return Door.OPEN if self._cell(board, lock).open else Door.CLOSED

    def unlocks(self, board: int, lock: int) -> list[float]:
        """Monotonic times of every unlock pulse commanded for this lock (single, all, several, delayed)."""
        with self._ctl:
            self._cell(board, lock)
            return list(self.boards[board].unlocks.get(lock, []))

    def pulse_ms(self, board: int) -> int:
        with self._ctl:
            self._cell(board, 1)
            return self.boards[board].pulse_ms

    # -- physics ---------------------------------------------------------------------------------
    def _settle(self, now: float) -> None:
        for b in self.boards.values():
            for st in b.locks:
                if st.opens_at is not None and st.opens_at <= now:
                    st.opens_at = None
                    st.open = True

    def _pulse(self, board: int, lock: int, extra: float = 0.0) -> None:
        now = time.monotonic()
        self.boards[board].unlocks.setdefault(lock, []).append(now)
        st = self.boards[board].locks[lock - 1]
        if st.jammed or st.open or st.opens_at is not None:
            return
        st.opens_at = now + self.open_delay + extra
        self._report(board, lock, delay=self.open_delay + extra, door=Door.OPEN)

    def _sensed(self, st: _Lock, predicted: bool = False) -> Door:
        if st.stuck_door is not None:
            return st.stuck_door
        return Door.OPEN if st.open or (predicted and st.opens_at is not None) else Door.CLOSED

    def _sensed_item(self, st: _Lock) -> Item:
        if st.stuck_item is not None:
            return st.stuck_item
        return Item.PRESENT if st.item else Item.ABSENT

    def _report(self, board: int, lock: int, delay: float = 0.0, door: Door | None = None) -> None:
        if self.protocol is Protocol.BCC_8A and self.active_reports and not self.boards[board].offline:
            sensed = self._sensed(self.boards[board].locks[lock - 1]) if door is None else door
            self._send(bcc8a.encode_lock_reply(bcc8a.Head.REPORT, board, lock, sensed, self.polarity), delay)

    # -- wire --------------------------------------------------------------------------------------
    def _send(self, frame: bytes, delay: float) -> None:
        if self._corrupt_next:
            self._corrupt_next = False
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        self.wire_log.append((time.monotonic() + delay, "tx", frame))
        self.emit(frame, delay)

    def _reply(self, board: int, frame: bytes, delay: float) -> None:
        """A board answers a command, subject to its faults (`delay` is the usual reply time)."""
        b = self.boards[board]
        fate = b.script.popleft() if b.script else b.faults.draw(self._rng, self.reply_delay)
        if fate == ReplyFate():
            self._send(frame, delay)
            return
        if fate.lost:
            return
        if fate.delay is not None:
            delay += fate.delay - self.reply_delay
        frame = frame if fate.truncate is None else frame[: fate.truncate]
        for extra in (0.0,) if fate.duplicate is None else (0.0, fate.duplicate):
            # Off the line's queue: a late reply must not hold back the replies to later
            # commands, or nothing could ever arrive out of order.
            due = time.monotonic() + delay + extra + len(frame) * self.byte_time
            self.wire_log.append((due, "tx", frame))
            self._out.put(frame, due)

    def receive(self, data: bytes) -> None:
        with self._ctl:
            now = time.monotonic()
            if self._framer.partial and now - self._last_rx > self.gap_timeout:
                self._framer.drop_partial()  # a truncated command: real boards stay silent
            self._last_rx = now
            self._settle(now)
            for event in self._framer.feed(data):
                if isinstance(event, FramingError):
                    self.ignored_frames += 1
                    continue
                self.wire_log.append((now, "rx", _raw(event)))
                if isinstance(event, kerong.KFrame):
                    self._kerong(event)
                else:
                    self._bcc8a(event)

    def _online(self, board: int) -> _Board | None:
        b = self.boards.get(board)
        return None if b is None or b.offline else b

    # -- Family A ------------------------------------------------------------------------------------
    def _bcc8a(self, f: bcc8a.LockFrame | bcc8a.BitmapFrame) -> None:
        b = self._online(f.board)
        if b is None:
            return
        n = self.locks_per_board
        if isinstance(f, bcc8a.BitmapFrame):  # open several
            wanted = [i + 1 for i, bit in enumerate(f.locks) if bit and i < n]
            for k, lock in enumerate(wanted):
                self._pulse(f.board, lock, k * self.fire_interval)
            self._reply(f.board, bcc8a.frame(bcc8a.Head.OPEN_SEVERAL, f.board, *bcc8a.bitmap_bytes(f.locks)), self.reply_delay)
            return
        head, lock = f.head, f.lock
        if head in (bcc8a.Head.UNLOCK, bcc8a.Head.POWER_ON, bcc8a.Head.POWER_OFF) and f.code == bcc8a.FUNC_UNLOCK:
            if lock == 0 and head == bcc8a.Head.UNLOCK:
                for k in range(n):
                    self._pulse(f.board, k + 1, k * self.fire_interval)
                opened = all(self._sensed(st, predicted=True) is Door.OPEN for st in b.locks)
                reply = bcc8a.encode_lock_reply(bcc8a.Head.UNLOCK, f.board, 0, Door.OPEN if opened else Door.CLOSED, self.polarity)
                self._reply(f.board, reply, self.reply_delay + n * self.fire_interval)
            elif 1 <= lock <= n:
                st = b.locks[lock - 1]
                before = self._sensed(st)
                if head != bcc8a.Head.POWER_OFF:
                    self._pulse(f.board, lock)
                door = self._sensed(st, predicted=True) if self.reply_after else before
                self._reply(f.board, bcc8a.encode_lock_reply(bcc8a.Head(head), f.board, lock, door, self.polarity), self.reply_delay)
        elif head == bcc8a.Head.QUERY and f.code == bcc8a.FUNC_QUERY:
            if lock == 0:
                doors = [self._sensed(st) for st in b.locks[: bcc8a.BITMAP_LOCKS]]
                self._reply(f.board, bcc8a.encode_query_all_reply(f.board, doors, self.polarity), self.reply_delay)
            elif 1 <= lock <= n:
                door = self._sensed(b.locks[lock - 1])
                self._reply(f.board, bcc8a.encode_lock_reply(bcc8a.Head.QUERY, f.board, lock, door, self.polarity), self.reply_delay)
        else:
            self.ignored_frames += 1  # firmware query and other undocumented frames: no known answer

    # -- Family B ------------------------------------------------------------------------------------
    def _status(self, board: int, broadcast: bool = False, predicted: bool = False) -> bytes:
        b = self.boards[board]
        doors = [self._sensed(st, predicted) for st in b.locks]
        items = [self._sensed_item(st) for st in b.locks]
        return kerong.encode_status_reply(board, doors, items, self.polarity, broadcast)

    def _kerong(self, f: kerong.KFrame) -> None:
        if f.cmd == kerong.Cmd.STATUS_ALL:
            if f.addr == kerong.BROADCAST:
                online = [a for a in sorted(self.boards) if not self.boards[a].offline]
                for k, addr in enumerate(online):
                    self._reply(addr, self._status(addr, broadcast=True), self.reply_delay * (k + 1))
            return
        board, lock = f.board, f.lock
        b = self._online(board)
        if b is None:
            return
        n = self.locks_per_board
        match f.cmd:
            case kerong.Cmd.STATUS:
                self._reply(board, self._status(board), self.reply_delay)
            case kerong.Cmd.UNLOCK | kerong.Cmd.DELAYED_UNLOCK if lock <= n:
                extra = f.data[0] if f.data else 0
                self._pulse(board, lock, float(extra))
                self._reply(board, self._status(board, predicted=self.reply_after), self.reply_delay)
            case kerong.Cmd.UNLOCK_ALL:
                for k in range(n):
                    self._pulse(board, k + 1, k * self.fire_interval)
                self._reply(board, self._status(board, predicted=self.reply_after), self.reply_delay)
            case kerong.Cmd.UNLOCK_TIME | kerong.Cmd.RETURN_UNLOCK_TIME:
                if f.cmd == kerong.Cmd.UNLOCK_TIME and f.data:
                    b.pulse_ms = kerong.decode_unlock_time(f) or 0
                units = b.pulse_ms // kerong.UNLOCK_TIME_UNIT_MS
                self._reply(board, kerong.frame(kerong.pack_addr(board), kerong.Cmd.RETURN_UNLOCK_TIME, units.to_bytes(2, "big")), self.reply_delay)
            case kerong.Cmd.SET_BAUD if f.data[0] in _RATE_OF_CODE:
                self.set_baud(_RATE_OF_CODE[f.data[0]])
            case _:
                self.ignored_frames += 1  # replies heard on the bus, 0x81, locks beyond the board


def _number(key: str, text: str, expected: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{key}={text}: expected {expected}") from None


def _raw(f: kerong.KFrame | bcc8a.LockFrame | bcc8a.BitmapFrame) -> bytes:
    """A decoded frame's bytes again, for the record."""
    if isinstance(f, kerong.KFrame):
        return kerong.frame(f.addr, f.cmd, f.data)
    if isinstance(f, bcc8a.LockFrame):
        return bcc8a.frame(f.head, f.board, f.lock, f.code)
    return bcc8a.frame(f.head, f.board, *bcc8a.bitmap_bytes(f.locks))


register("locker", LockerBusSimulator)
