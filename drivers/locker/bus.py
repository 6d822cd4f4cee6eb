"""The lock-board bus driver: several boards on one half-duplex RS-485 line (spec §1).

One command in flight at a time (the device's io_lock, taken per exchange, so a status sweep
of every board never starves an unlock); input flushed before each command; a board that stops
answering is marked offline without holding up the others; door and item changes published as
events.

Which request a reply answers. The frames carry no sequence number, so a reply is matched on
what the spec does give: the board it comes from and the shape the command asks for (8A/80: an
unlock is answered by `8A bb ll ss` for that lock, a query-all by the 7-byte `80` bitmap; Kerong:
0x30 and 0x31 are both answered by a 0x35 status frame, 0x32 by 0x36). Anything else heard
while a request waits (another board, another shape, a bad checksum, a cut-off frame) is counted
and logged and the wait goes on. Shape cannot tell a Kerong unlock reply from a status reply, so
time must: a board that has not answered within the command timeout (§1.3) may still answer
until the late window (`BusTimings.late`) has passed, and until then the bus asks that board for
nothing that expects the same shape. It keeps listening instead (a late reply is counted and is
the answer to its own request, the only one of that shape outstanding), or, for a board already
offline, it leaves that board alone until the window has passed. A reply later than the window
is stale: flushed before the next command (§1.2), or counted and discarded when it comes during
another request's wait. Only a reply both later than the window and of the same shape as the next
request to that board can be mistaken, so the window must cover the slowest board on the line.
Query retries follow garbled replies only: a board silent through its whole window has had its
chance, and the next sweep asks again.

When an unlock may be re-sent: never within one `unlock()` call. §1.6 allows a re-send when the
lock still reads locked, but that reading is not the evidence a re-send needs, which is that the
board did not act on the first frame, and the protocol cannot give it: boards ignore corrupt
commands silently (§1.8), a lost reply looks like a lost command, the Kerong unlock reply may
show the lock as it was before the pulse (§3.3), and a "closed" reading after the unlock is also
what a slow spring, a jammed latch or a door opened and already shut again (§1.6) look like. So
the frame goes out once and the bus then only watches (§1.7): the door is reported open only
from a status reply to a query sent after the unlock, never from the unlock's own reply. A
further unlock is the caller's decision, as a new command after the watch has ended (the ledger
journals it as one). Readings of the lock open may still be on their way when it is unlocked
again (a late or duplicated reply), so an unlock of a lock seen open within the late window waits
for that window to pass first: such a stale reading must not be taken for the door opening.

Nothing a board sends reaches the caller as an exception: a frame that does not decode is a
counted, logged protocol error and the bus goes on.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from drivers.device import (
    ActionHint,
    Device,
    DeviceFault,
    DeviceInfo,
    DeviceKind,
    DeviceStatus,
    HealthLevel,
    HealthResult,
)
from drivers.errors import PortTimeout
from drivers.locker import bcc8a, kerong
from drivers.locker.types import BoardStatus, DecodeError, Door, FramingError, Item, Polarity, bits_le
from drivers.transport import SerialSettings, Transport

log = logging.getLogger(__name__)


class Protocol(enum.StrEnum):
    KERONG_CU = "kerong-cu"
    BCC_8A = "bcc-8a"

    @property
    def default_baud(self) -> int:
        return 19200 if self is Protocol.KERONG_CU else 9600


@dataclass(frozen=True)
class BoardSpec:
    address: int
    locks: int = 16
    polarity: Polarity = Polarity()
    item_sensor: bool = True


@dataclass(frozen=True)
class BusTimings:
    command: float = 0.5  # query and single unlock (§1.3)
    gap: float = 0.01  # inter-frame gap for auto-direction adapters (§1.4)
    retries: int = 2  # queries only, after a garbled reply
    offline_after: int = 2  # consecutive unanswered sweeps before a board is offline
    confirm: float = 3.0  # poll after an unlock until the door reads open (§1.7)
    confirm_poll: float = 0.25
    # How long after the command timeout a slow board's reply may still come (None: 4 command
    # timeouts, 2 s at the spec's 0.5 s; boards 0.9-1.5 s late were seen in the field).
    late: float | None = None

    @property
    def window(self) -> float:
        """From a command to the moment its reply, however late, can no longer come."""
        return self.command + (4 * self.command if self.late is None else self.late)


class BusHealth(enum.Enum):
    ALL_ONLINE = "all_online"
    SOME_OFFLINE = "some_offline"
    ALL_OFFLINE = "all_offline"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LockerStatus(DeviceStatus):
    boards: BusHealth = BusHealth.UNKNOWN


@dataclass(frozen=True)
class DoorChanged:
    board: int
    lock: int
    door: Door
    forced: bool = False  # opened with no unlock of ours pending: an alarm for the ledger


@dataclass(frozen=True)
class ItemChanged:
    board: int
    lock: int
    item: Item


@dataclass(frozen=True)
class BoardOnline:
    board: int
    online: bool


@dataclass(frozen=True)
class UnlockResult:
    opened: bool
    door: Door
    detail: str  # for staff and logs: board, lock and what was seen
    sent: bool = True  # the unlock frame went out (once: it is never re-sent)
    answered: bool = True  # the board acknowledged it (late or not); False: silent, or garbled


class Shape(enum.Enum):
    """The kinds of reply a board sends, as far as the bytes tell them apart."""

    KERONG_STATUS = "0x35"  # answers 0x30 (status) and 0x31 (unlock) alike
    KERONG_ALL = "0x36"  # answers the 0x32 broadcast
    BCC_BITMAP = "80 bitmap"  # answers query-all
    BCC_UNLOCK = "8A"  # answers an unlock of one lock (the lock is in the frame)


@dataclass(frozen=True)
class _Request:
    board: int
    frame: bytes
    shape: Shape
    lock: int = 0  # BCC_UNLOCK: the lock the reply must name
    query: bool = True  # queries may be retried; an unlock never

    def answered_by(self, event: object) -> bool:
        if isinstance(event, kerong.KFrame):
            return event.board == self.board and _kerong_shape(event) is self.shape
        if isinstance(event, bcc8a.BitmapFrame):
            return self.shape is Shape.BCC_BITMAP and event.board == self.board and event.head == bcc8a.Head.QUERY
        if isinstance(event, bcc8a.LockFrame):
            return (self.shape is Shape.BCC_UNLOCK and event.head == bcc8a.Head.UNLOCK
                    and (event.board, event.lock) == (self.board, self.lock))
        return False


def _kerong_shape(f: kerong.KFrame) -> Shape | None:
    return {kerong.Cmd.BOARD_DATA: Shape.KERONG_STATUS, kerong.Cmd.ALL_DATA: Shape.KERONG_ALL}.get(f.cmd)  # type: ignore[call-overload]


@dataclass
class _Board:
    spec: BoardSpec
    status: BoardStatus | None = None
    misses: int = 0
    online: bool | None = None
    expected_open: set[int] = field(default_factory=set)  # locks we unlocked and await opening
    owed: dict[Shape, float] = field(default_factory=dict)  # a reply of this shape may come until then
    seen_open: dict[int, float] = field(default_factory=dict)  # lock → when a frame last showed it open


class LockerBus(Device):
    kind = DeviceKind.LOCKER
    status_type = LockerStatus
    # late_replies: answered after the command timeout, within the late window (used);
    # stale_replies: frames of a known shape that answer no waiting request (discarded);
    # protocol_errors: bad checksums, cut-off frames, frames that do not decode (discarded).
    counters = ("unlocks", "doors_opened", "unlock_failures", "forced_openings", "status_sweeps",
                "unanswered_unlocks", "late_replies", "stale_replies", "protocol_errors")

    def __init__(
        self,
        device_id: str,
        port: str,
        *,
        protocol: Protocol,
        boards: Sequence[BoardSpec],
        model: str = "",
        serial: SerialSettings | None = None,
        timings: BusTimings = BusTimings(),
        listener=None,
    ) -> None:
        super().__init__(device_id, port, model=model or str(protocol),
                         serial=serial or SerialSettings(baudrate=protocol.default_baud), listener=listener)
        self.protocol = protocol
        self.timings = timings
        self._boards = {spec.address: _Board(spec) for spec in boards}
        self.info = DeviceInfo(self.kind, self.model, capabilities=frozenset(
            {str(protocol), *(f"board:{a}:{b.spec.locks}" for a, b in self._boards.items())}))

    # -- what the ledger and the technician use ---------------------------------------------------
    @property
    def boards(self) -> list[int]:
        return sorted(self._boards)

    def locks_of(self, board: int) -> int:
        return self._boards[board].spec.locks

    def board_online(self, board: int) -> bool:
        return bool(self._boards[board].online)

    def door(self, board: int, lock: int) -> Door:
        b = self._boards[board]
        return b.status.door(lock) if b.status is not None and b.online else Door.UNKNOWN

    def item(self, board: int, lock: int) -> Item:
        b = self._boards[board]
        if not b.spec.item_sensor or b.status is None or not b.online:
            return Item.UNKNOWN
        return b.status.item(lock)

    def refresh(self) -> None:
        """Poll every board now."""
        self.poll()

    def unlock(self, board: int, lock: int) -> UnlockResult:
        """Release one lock once and watch for the door to open (§1.6, §1.7; the module docstring
        says why the frame is never re-sent)."""
        if self._transport is None:
            return UnlockResult(False, Door.UNKNOWN, f"{self.port}: bus not open", sent=False, answered=False)
        b = self._boards[board]
        where = f"board {board} lock {lock}"
        # A reading of this lock open may still be on its way: let it come (or pass) first.
        self._wait_until(b.seen_open.get(lock, 0.0) + self.timings.window)
        self.stats.incr("unlocks")
        b.expected_open.add(lock)
        answered = self._exchange(self._unlock_request(board, lock)) is not None
        if not answered:
            self.stats.incr("unanswered_unlocks")
        heard = False
        deadline = time.monotonic() + self.timings.confirm
        while True:
            status = self._query_board(board)
            if status is not None:
                heard = True
                if status.door(lock) is Door.OPEN:
                    self.stats.incr("doors_opened")
                    return UnlockResult(True, Door.OPEN, f"{where}: door open", answered=answered)
            if time.monotonic() >= deadline or not (answered or heard):
                break  # silent to the unlock and to the first query after it: the board is gone
            time.sleep(self.timings.confirm_poll)
        seen = self.door(board, lock)
        self._failed_unlock(b, lock)
        sent = "unlock sent once" + ("" if answered else ", not answered")
        if not heard:
            return UnlockResult(False, Door.UNKNOWN, f"{where}: board does not answer ({sent})", answered=answered)
        return UnlockResult(False, seen, f"{where}: door still reads {seen.value} {self.timings.confirm:g} s after the unlock ({sent})",
                            answered=answered)

    def _failed_unlock(self, b: _Board, lock: int) -> None:
        b.expected_open.discard(lock)
        self.stats.incr("unlock_failures")
        self.raise_fault(DeviceFault(
            "lock_not_opened", ActionHint.MAINTENANCE, f"{b.spec.address}号锁控板{lock}号锁未能打开，请联系工作人员",
            f"board {b.spec.address} lock {lock} did not open"))

    # -- Device ----------------------------------------------------------------------------------
    def _identify(self, t: Transport) -> None:
        self._sweep()
        if not any(b.online for b in self._boards.values()):
            raise PortTimeout(self.port, f"no lock board answers ({', '.join(map(str, self.boards))})")

    def poll(self) -> None:
        # No outer io_lock: each exchange takes it, so an unlock can slip in between boards.
        if self._transport is None:
            raise RuntimeError(f"{self.device_id}: poll() before open()")
        self._sweep()
        if not any(b.online for b in self._boards.values()):
            raise PortTimeout(self.port, "no lock board answers any more")

    def check_health(self, level: HealthLevel) -> HealthResult:
        """The internal check also names each board that does not answer: the line still serves
        through the others, but a technician must hear which address is silent."""
        result = super().check_health(level)
        if level is not HealthLevel.INTERNAL or not result.ok:
            return result
        silent = [a for a in self.boards if not self.board_online(a)]
        if not silent:
            return result
        names = ", ".join(map(str, silent))
        return HealthResult(level, False, f"锁控板 {names} 无应答：请检查该板电源、RS-485 接线和地址拨码",
                            f"lock board {names} does not answer: check its power, RS-485 wiring and address switch",
                            (*result.details, ("silent_boards", names)))

    def _poll(self, t: Transport) -> None:  # pragma: no cover - poll() is overridden
        self._sweep()

    def _sweep(self) -> None:
        pending = list(self.boards)
        if self.protocol is Protocol.KERONG_CU and len(pending) > 1:
            # 0x32 to F0: every board answers in turn; one command instead of one per board
            for frame in self._broadcast_status(set(pending)):
                b = self._boards[frame.board]
                if (status := self._decode(frame, b.spec)) is not None:
                    self._record(b, status)
                    pending.remove(frame.board)
        for address in pending:  # not heard in the broadcast: ask it directly before calling it offline
            self._query_board(address)
        self.stats.incr("status_sweeps")
        online = [b.online for b in self._boards.values()]
        health = BusHealth.ALL_ONLINE if all(online) else BusHealth.ALL_OFFLINE if not any(online) else BusHealth.SOME_OFFLINE
        self.set_status(LockerStatus(health))  # one board offline: the others still serve

    # -- protocol --------------------------------------------------------------------------------
    def _unlock_request(self, board: int, lock: int) -> _Request:
        if self.protocol is Protocol.KERONG_CU:
            return _Request(board, kerong.encode_unlock(board, lock), Shape.KERONG_STATUS, query=False)
        return _Request(board, bcc8a.encode_unlock(board, lock), Shape.BCC_UNLOCK, lock, query=False)

    def _status_request(self, board: int) -> _Request:
        if self.protocol is Protocol.KERONG_CU:
            return _Request(board, kerong.encode_status(board), Shape.KERONG_STATUS)
        return _Request(board, bcc8a.encode_query_all(board), Shape.BCC_BITMAP)

    def _query_board(self, address: int) -> BoardStatus | None:
        b = self._boards[address]
        reply = self._exchange(self._status_request(address))
        status = None if reply is None else self._decode(reply, b.spec)
        if status is None:
            b.misses += 1
            if b.misses >= self.timings.offline_after and b.online is not False:
                b.online = False
                self.notify("locker.board", BoardOnline(address, False))
                self.raise_fault(DeviceFault("board_offline", ActionHint.MAINTENANCE,
                                             f"{address}号锁控板无应答", f"lock board {address} does not answer"))
            return None
        return self._record(b, status)

    def _record(self, b: _Board, status: BoardStatus) -> BoardStatus:
        b.misses = 0
        if b.online is not True:
            b.online = True
            self.notify("locker.board", BoardOnline(b.spec.address, True))
        self._publish_changes(b, status)
        b.status = status
        return status

    def _broadcast_status(self, expected: set[int]) -> list[kerong.KFrame]:
        """Collect the 0x36 frames until every expected board has answered or time runs out.

        The wait is the command timeout only (a board that does not know 0x32 must not cost a
        late window every sweep); a board missing here owes a 0x36 frame for the late window,
        which a 0x30 query cannot be confused with, and is asked directly."""
        self._wait_until(max(self._boards[a].owed.get(Shape.KERONG_ALL, 0.0) for a in expected))
        got: dict[int, kerong.KFrame] = {}
        with self.io_lock:
            t = self._transport
            if t is None:
                return []
            t.reset_input()
            t.write(kerong.encode_status_all())
            sent = time.monotonic()
            framer = kerong.Framer()
            deadline = sent + self.timings.command
            while set(got) < expected and (remaining := deadline - time.monotonic()) > 0:
                try:
                    chunk = t.read(256, remaining)
                except PortTimeout:
                    break
                for event in framer.feed(chunk):
                    if isinstance(event, kerong.KFrame) and event.cmd == kerong.Cmd.ALL_DATA and event.board in expected:
                        got[event.board] = event
                    else:
                        self._unexpected(event, "while collecting the 0x32 replies")
            time.sleep(self.timings.gap)
        for address in expected - set(got):
            self._boards[address].owed[Shape.KERONG_ALL] = sent + self.timings.window
        if missing := len(expected - set(got)):
            self.stats.incr("communication_errors", missing)
        return list(got.values())

    def _decode(self, reply: object, spec: BoardSpec) -> BoardStatus | None:
        """A status reply → the board's doors (and items); None, counted and logged, if it is not one."""
        try:
            if isinstance(reply, kerong.KFrame):
                return kerong.decode_status(reply, spec.polarity, spec.locks)
            if isinstance(reply, bcc8a.BitmapFrame):
                status = bcc8a.decode_reply(reply, spec.polarity)
                if isinstance(status, BoardStatus):
                    return BoardStatus(status.board, status.locks[: spec.locks])
            raise DecodeError(f"{reply!r} is not a status reply")
        except (DecodeError, ValueError) as e:
            self._protocol_error(spec.address, str(e))
            return None

    def _publish_changes(self, b: _Board, new: BoardStatus) -> None:
        old = b.status
        if old is None:
            return  # the first reading is a baseline, not a change
        for lock in range(1, len(new.locks) + 1):
            door = new.door(lock)
            if old.door(lock) != door:
                forced = door is Door.OPEN and lock not in b.expected_open
                if door is Door.OPEN:
                    b.expected_open.discard(lock)
                    if forced:
                        self.stats.incr("forced_openings")
                self.notify("locker.door", DoorChanged(b.spec.address, lock, door, forced))
            if b.spec.item_sensor and new.items is not None and old.items is not None and old.item(lock) != new.item(lock):
                self.notify("locker.item", ItemChanged(b.spec.address, lock, new.item(lock)))

    def _exchange(self, req: _Request) -> object | None:
        """One command and the reply that answers it, or None: silent through the late window
        (or the command timeout, for a board already offline), or garbled after the retries."""
        b = self._boards[req.board]
        for _ in range(1 + (self.timings.retries if req.query else 0)):
            self._wait_until(b.owed.get(req.shape, 0.0))  # its earlier reply of this shape may still come
            with self.io_lock:
                t = self._transport
                if t is None:
                    return None
                t.reset_input()
                t.write(req.frame)
                sent = time.monotonic()
                reply, garbled = self._await(t, req, sent)
                time.sleep(self.timings.gap)
            if reply is not None:
                b.owed.pop(req.shape, None)
                return reply
            b.owed[req.shape] = sent + self.timings.window
            self.stats.incr("communication_errors")
            if not garbled:
                break
        return None

    def _await(self, t: Transport, req: _Request, sent: float) -> tuple[object | None, bool]:
        """Listen for the reply to `req`: (the reply or None, whether anything garbled came)."""
        framer = kerong.Framer() if self.protocol is Protocol.KERONG_CU else bcc8a.Framer(bitmap_replies=req.shape is Shape.BCC_BITMAP)
        on_time = sent + self.timings.command
        offline = self._boards[req.board].online is False
        deadline = on_time if offline else sent + self.timings.window
        garbled = False
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                chunk = t.read(256, remaining)
            except PortTimeout:
                break
            for event in framer.feed(chunk):
                if req.answered_by(event):
                    if time.monotonic() > on_time:
                        self.stats.incr("late_replies")
                        log.debug("%s: board %d answered %.2f s after the command", self.port, req.board, time.monotonic() - sent)
                    self._note_open(event)
                    return event, garbled
                garbled |= isinstance(event, FramingError)
                self._unexpected(event, f"while waiting for board {req.board}'s {req.shape.value} reply")
        if framer.partial:
            garbled = True
            self._protocol_error(req.board, f"{framer.drop_partial()} bytes of a frame, then silence")
        return None, garbled

    def _unexpected(self, event: object, when: str) -> None:
        """A frame that answers no waiting request: a late reply past its window, a copy, another
        board's, noise. Counted and logged; it never becomes an answer."""
        if isinstance(event, FramingError):
            self._protocol_error(None, f"{event.kind.value}: {event.detail} ({when})")
            return
        if isinstance(event, bcc8a.LockFrame) and event.head == bcc8a.Head.REPORT:
            return  # an unsolicited report (§2.3): not a reply to anything
        self._note_open(event)
        self.stats.incr("stale_replies")
        log.info("%s: discarded %s %s", self.port, event, when)

    def _protocol_error(self, board: int | None, what: str) -> None:
        self.stats.incr("protocol_errors")
        log.warning("%s: %sprotocol error: %s", self.port, "" if board is None else f"board {board}: ", what)

    def _note_open(self, event: object) -> None:
        """Remember when a frame last showed a lock open (see `unlock`)."""
        now = time.monotonic()
        b = self._boards.get(getattr(event, "board", -1))
        if b is None:
            return
        if isinstance(event, kerong.KFrame) and _kerong_shape(event) is not None:
            locks = tuple(b.spec.polarity.door_of(bit) for bit in bits_le(event.data[:2], 16))
        elif isinstance(event, bcc8a.BitmapFrame) and event.head == bcc8a.Head.QUERY:
            locks = tuple(b.spec.polarity.door_of(bit) for bit in event.locks)
        else:
            return
        for lock, door in enumerate(locks, start=1):
            if door is Door.OPEN:
                b.seen_open[lock] = now

    @staticmethod
    def _wait_until(moment: float) -> None:
        if (wait := moment - time.monotonic()) > 0:
            time.sleep(wait)
