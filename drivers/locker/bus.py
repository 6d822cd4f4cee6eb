"""The lock-board bus driver: several boards on one half-duplex RS-485 line (spec §1).

One command in flight at a time (the device's io_lock, taken per exchange, so a status sweep
of every board never starves an unlock); input flushed before each command; per-command
timeout; queries retried, unlocks never blindly retried; a board that stops answering is
marked offline without holding up the others; door and item changes published as events.
"""

from __future__ import annotations

import enum
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
from drivers.locker.types import BoardStatus, Door, FramingError, Item, Polarity
from drivers.transport import SerialSettings, Transport


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
    retries: int = 2  # queries only
    offline_after: int = 2  # consecutive unanswered sweeps before a board is offline
    confirm: float = 3.0  # poll after an unlock until the door reads open (§1.7)
    confirm_poll: float = 0.25


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


@dataclass
class _Board:
    spec: BoardSpec
    status: BoardStatus | None = None
    misses: int = 0
    online: bool | None = None
    expected_open: set[int] = field(default_factory=set)  # locks we unlocked and await opening


class LockerBus(Device):
    kind = DeviceKind.LOCKER
    status_type = LockerStatus
    counters = ("unlocks", "doors_opened", "unlock_failures", "forced_openings", "status_sweeps")

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
        """Release one lock and watch for the door to open (§1.6, §1.7)."""
        if self._transport is None:
            return UnlockResult(False, Door.UNKNOWN, f"{self.port}: bus not open")
        b = self._boards[board]
        where = f"board {board} lock {lock}"
        self.stats.incr("unlocks")
        b.expected_open.add(lock)
        answered = self._exchange(self._unlock_frame(board, lock), board, bitmap=False, retries=0) is not None
        if not answered:
            # Never blindly re-send: read the lock first, re-send only if it still reads closed.
            if self._query_board(board) is None:
                self._failed_unlock(b, lock)
                return UnlockResult(False, Door.UNKNOWN, f"{where}: board does not answer")
            if self.door(board, lock) is Door.CLOSED:
                self._exchange(self._unlock_frame(board, lock), board, bitmap=False, retries=0)
        deadline = time.monotonic() + self.timings.confirm
        while True:
            if self._query_board(board) is not None and self.door(board, lock) is Door.OPEN:
                self.stats.incr("doors_opened")
                return UnlockResult(True, Door.OPEN, f"{where}: door open")
            if time.monotonic() >= deadline:
                break
            time.sleep(self.timings.confirm_poll)
        seen = self.door(board, lock)
        self._failed_unlock(b, lock)
        return UnlockResult(False, seen, f"{where}: door still reads {seen.value} {self.timings.confirm:g} s after the unlock")

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
                self._record(b, self._decode(frame, b.spec))
                pending.remove(frame.board)
        for address in pending:  # not heard in the broadcast: ask it directly before calling it offline
            self._query_board(address)
        self.stats.incr("status_sweeps")
        online = [b.online for b in self._boards.values()]
        health = BusHealth.ALL_ONLINE if all(online) else BusHealth.ALL_OFFLINE if not any(online) else BusHealth.SOME_OFFLINE
        self.set_status(LockerStatus(health))  # one board offline: the others still serve

    # -- protocol --------------------------------------------------------------------------------
    def _unlock_frame(self, board: int, lock: int) -> bytes:
        if self.protocol is Protocol.KERONG_CU:
            return kerong.encode_unlock(board, lock)
        return bcc8a.encode_unlock(board, lock)

    def _query_board(self, address: int) -> BoardStatus | None:
        b = self._boards[address]
        if self.protocol is Protocol.KERONG_CU:
            frame = kerong.encode_status(address)
        else:
            frame = bcc8a.encode_query_all(address)
        reply = self._exchange(frame, address, bitmap=True, retries=self.timings.retries)
        if reply is None:
            b.misses += 1
            if b.misses >= self.timings.offline_after and b.online is not False:
                b.online = False
                self.notify("locker.board", BoardOnline(address, False))
                self.raise_fault(DeviceFault("board_offline", ActionHint.MAINTENANCE,
                                             f"{address}号锁控板无应答", f"lock board {address} does not answer"))
            return None
        return self._record(b, self._decode(reply, b.spec))

    def _record(self, b: _Board, status: BoardStatus) -> BoardStatus:
        b.misses = 0
        if b.online is not True:
            b.online = True
            self.notify("locker.board", BoardOnline(b.spec.address, True))
        self._publish_changes(b, status)
        b.status = status
        return status

    def _broadcast_status(self, expected: set[int]) -> list[kerong.KFrame]:
        """Collect the 0x36 frames until every expected board has answered or time runs out."""
        got: dict[int, kerong.KFrame] = {}
        with self.io_lock:
            t = self._transport
            if t is None:
                return []
            t.reset_input()
            t.write(kerong.encode_status_all())
            framer = kerong.Framer()
            deadline = time.monotonic() + self.timings.command
            while set(got) < expected and (remaining := deadline - time.monotonic()) > 0:
                try:
                    chunk = t.read(256, remaining)
                except PortTimeout:
                    break
                for event in framer.feed(chunk):
                    if isinstance(event, kerong.KFrame) and event.cmd == 0x36 and event.board in expected:
                        got[event.board] = event
            time.sleep(self.timings.gap)
        if missing := len(expected - set(got)):
            self.stats.incr("communication_errors", missing)
        return list(got.values())

    def _decode(self, reply: object, spec: BoardSpec) -> BoardStatus:
        if self.protocol is Protocol.KERONG_CU:
            return kerong.decode_status(reply, spec.polarity, spec.locks)  # type: ignore[arg-type]
        status = bcc8a.decode_reply(reply, spec.polarity)  # type: ignore[arg-type]
        assert isinstance(status, BoardStatus)
        return BoardStatus(status.board, status.locks[: spec.locks])

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

    def _exchange(self, frame: bytes, board: int, *, bitmap: bool, retries: int) -> object | None:
        """One command, one reply from that board (or None after the timeout and retries)."""
        for _ in range(retries + 1):
            with self.io_lock:
                t = self._transport
                if t is None:
                    return None
                t.reset_input()
                t.write(frame)
                reply = self._await(t, board, bitmap)
                time.sleep(self.timings.gap)
            if reply is not None:
                return reply
            self.stats.incr("communication_errors")
        return None

    def _await(self, t: Transport, board: int, bitmap: bool) -> object | None:
        framer = kerong.Framer() if self.protocol is Protocol.KERONG_CU else bcc8a.Framer(bitmap_replies=bitmap)
        deadline = time.monotonic() + self.timings.command
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                chunk = t.read(256, remaining)
            except PortTimeout:
                return None
            for event in framer.feed(chunk):
                if isinstance(event, FramingError):
                    continue  # a corrupt reply counts as no reply (§1.8)
                if self._reply_matches(event, board):
                    return event
        return None

    def _reply_matches(self, event: object, board: int) -> bool:
        if self.protocol is Protocol.KERONG_CU:
            return isinstance(event, kerong.KFrame) and event.board == board and event.cmd in (0x35, 0x36)
        if isinstance(event, bcc8a.BitmapFrame | bcc8a.LockFrame) and event.board == board:
            return not (isinstance(event, bcc8a.LockFrame) and event.head == bcc8a.Head.REPORT)
        return False
