"""Deposit, pickup, recovery and patrol: plain Python over the ledger and the lock boards.

Each operation is recorded (step `planned`) and advanced after every physical step, each in one
transaction, so that `reconcile()` can finish or undo whatever a power cut or a SIGKILL
interrupted. The unlock is journaled (step `unlocking`, committed) before its frame goes out:
from that commit on the door may have opened, and a restart counts it so (a deposit kept, a
pickup spent) even where no item sensor can tell. A pickup's code is spent in the same
transaction that records the door opened.

One unlock per operation, never a second: after the driver's ~3 s of watching (§1.7) a door
that still reads closed may have opened and been shut between two polls, or may open late, and
§1.6 allows a re-send only on a reading that proves the lock never released; none does. The
compartment goes out of service (lock_jammed) and staff look, as for a jammed latch.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence

from intake.contract import EventClass
from kiosk.backend.outbox import Outbox
from kiosk.bus import EventBus
from kiosk.lockers.alarms import AlarmKind, Alarms
from kiosk.lockers.clock import Clock, LockerSettings, SystemClock
from kiosk.lockers.codes import Hasher, looks_like_code, new_code, new_salt
from kiosk.lockers.events import deposit_event, release_event
from kiosk.lockers.ledger import DepositRow, Ledger
from kiosk.lockers.reconcile import ReconcileReport, reconcile
from kiosk.lockers.model import (
    Compartment,
    CompartmentState,
    DepositInfo,
    DepositResult,
    DepositState,
    Door,
    Item,
    LockHardware,
    OpKind,
    ReleaseResult,
    Size,
    Status,
    Step,
)
from kiosk.logs import SENSITIVE

DoorOpened = Callable[[str, int], None]  # (cabinet, compartment number)
from kiosk.store import Store

log = logging.getLogger(__name__)

StepHook = Callable[[OpKind, Step], None]  # called after each step's commit (tests: power cut)

CONTACT_STAFF = "柜门未能打开，请联系工作人员 (the door did not open: please contact staff)"
CLOSE_DOOR = "请关好柜门 (please close the door); the compartment is out of service until staff check it"


class _Opened(enum.Enum):
    OPENED = "opened"
    JAMMED = "jammed"
    OFFLINE = "offline"


class Lockers:
    def __init__(
        self,
        store: Store,
        hardware: Mapping[str, LockHardware],
        compartments: Sequence[Compartment],
        secret: bytes,
        *,
        bus: EventBus | None = None,
        settings: LockerSettings = LockerSettings(),
        clock: Clock | None = None,
        after_step: StepHook | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        missing = sorted({c.device for c in compartments} - set(hardware))
        if missing:
            raise ValueError(f"lockers: no lock hardware for device(s) {missing}: check [[cabinets.boards]] device ids")
        self.ledger = Ledger(store)
        self.alarms = Alarms(store, bus, outbox=outbox)
        self.outbox = outbox  # business events for the backend, in the ledger's own transactions
        self.hardware = dict(hardware)
        self.compartments = {c.key: c for c in compartments}
        self.bus = bus
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.after_step = after_step
        self._hasher = Hasher(secret)
        self._lock = threading.RLock()  # one physical operation at a time per kiosk
        self.ledger.sync_compartments(compartments, self.clock.time())

    # -- hardware ---------------------------------------------------------------------------------
    def _hw(self, c: Compartment) -> LockHardware:
        return self.hardware[c.device]

    def read(self, c: Compartment, refresh: bool = True) -> tuple[Door, Item]:
        hw = self._hw(c)
        if refresh:
            hw.refresh()
        return hw.door(c.board, c.lock), (hw.item(c.board, c.lock) if c.has_sensor else Item.UNKNOWN)

    def refresh_all(self) -> None:
        for hw in self.hardware.values():
            hw.refresh()

    # -- ledger helpers ---------------------------------------------------------------------------
    def _step(self, op_id: int, kind: OpKind, step: Step, detail: str | None = None,
              extra: Callable[[sqlite3.Connection], None] | None = None,
              business: tuple[str, dict] | None = None) -> None:
        with self.ledger.store.transaction() as db:
            self.ledger.set_step(db, op_id, step, self.clock.time(), detail)
            if extra is not None:
                extra(db)
            if business is not None:
                self._record(db, *business)
        if self.after_step is not None:
            self.after_step(kind, step)

    def _record(self, db: sqlite3.Connection, type: str, payload: dict) -> None:
        if self.outbox is not None:
            self.outbox.record(db, type, EventClass.BUSINESS, payload)

    def _alarm(self, db: sqlite3.Connection, c: Compartment, kind: AlarmKind, detail: str,
               raised: list[tuple[Compartment, AlarmKind, str]]) -> None:
        if self.alarms.raise_(db, c.key, kind, detail, self.clock.time()) is not None:
            raised.append((c, kind, detail))

    def _announce(self, raised: list[tuple[Compartment, AlarmKind, str]]) -> None:
        for c, kind, detail in raised:
            self.alarms.announce(c.key, kind, detail)

    def _publish(self, name: str, payload: dict[str, object]) -> None:
        if self.bus is not None:
            self.bus.publish(name, payload, source="lockers")

    # -- opening and waiting ----------------------------------------------------------------------
    def _open(self, op_id: int, kind: OpKind, c: Compartment, on_open: Callable[[sqlite3.Connection], None]) -> _Opened:
        hw = self._hw(c)
        self._step(op_id, kind, Step.UNLOCKING)  # the intent, committed before the frame
        result = hw.unlock(c.board, c.lock)
        self._step(op_id, kind, Step.UNLOCK_SENT, detail=result.detail)
        if not result.opened:
            hw.refresh()
            door = hw.door(c.board, c.lock)
            if door is Door.UNKNOWN:
                return _Opened.OFFLINE
            if door is not Door.OPEN:  # not opened after the driver stopped looking either
                return _Opened.JAMMED
        self._step(op_id, kind, Step.DOOR_OPENED, extra=on_open)
        return _Opened.OPENED

    def _fail_open(self, op_id: int, kind: OpKind, c: Compartment, how: _Opened,
                   extra: Callable[[sqlite3.Connection], None] | None = None) -> Status:
        raised: list[tuple[Compartment, AlarmKind, str]] = []
        alarm = AlarmKind.LOCK_JAMMED if how is _Opened.JAMMED else AlarmKind.BOARD_OFFLINE
        with self.ledger.store.transaction() as db:
            self.ledger.set_step(db, op_id, Step.FAILED, self.clock.time(), f"{kind.value}: {alarm.value}")
            self.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, self.clock.time())
            self._alarm(db, c, alarm, f"board {c.board} lock {c.lock} did not read open after its unlock"
                        if how is _Opened.JAMMED else f"board {c.board} on {c.device} did not answer", raised)
            if extra is not None:
                extra(db)
        self._announce(raised)
        return Status.LOCK_JAMMED if how is _Opened.JAMMED else Status.BOARD_OFFLINE

    def _await_close(self, c: Compartment) -> Door:
        hw, s = self._hw(c), self.settings
        start, alarmed = self.clock.monotonic(), False
        while True:
            hw.refresh()
            door = hw.door(c.board, c.lock)
            if door is Door.CLOSED:
                break
            elapsed = self.clock.monotonic() - start
            if elapsed >= s.door_alarm_s and not alarmed:
                raised: list[tuple[Compartment, AlarmKind, str]] = []
                with self.ledger.store.transaction() as db:
                    self._alarm(db, c, AlarmKind.DOOR_LEFT_OPEN, f"open for {elapsed:.0f} s during an operation", raised)
                self._announce(raised)
                alarmed = True
            if elapsed >= s.close_timeout_s:
                return door
            self.clock.sleep(s.poll_s)
        if alarmed:
            with self.ledger.store.transaction() as db:
                cleared = self.alarms.clear(db, c.key, (AlarmKind.DOOR_LEFT_OPEN,), self.clock.time())
            if cleared:
                self.alarms.announce(c.key, AlarmKind.DOOR_LEFT_OPEN, "door closed", raised=False)
        return Door.CLOSED

    # -- deposit ----------------------------------------------------------------------------------
    def deposit(self, staff_id: str, case_number: str, size: Size | str, recipient_id: str | None = None,
                on_open: DoorOpened | None = None) -> DepositResult:
        """``on_open(cabinet, number)`` is called once the door is seen open, before the wait for
        it to close: the staff screen shows which door to fill."""
        personal = [v for v in (case_number, recipient_id) if v]
        with self._lock, SENSITIVE.holding(*personal):
            c = self._choose(Size(size))
            if c is None:
                return DepositResult(Status.NO_COMPARTMENT, message=f"no free {Size(size).value} (or larger) compartment")
            now = self.clock.time()
            recipient = self._hasher.recipient(recipient_id) if recipient_id else None
            with self.ledger.store.transaction() as db:
                dep = self.ledger.insert_deposit(db, case_number, c.key, staff_id, recipient, now, now + self.settings.hold_s)
                self.ledger.set_compartment(db, c.key, CompartmentState.RESERVED, now)
                op = self.ledger.insert_operation(db, OpKind.DEPOSIT, dep, c.key, staff_id, now)
                self.ledger.audit(db, now, staff_id, "locker.deposit.start", f"deposit {dep} in {c.cabinet}/{c.number}")
            if self.after_step:
                self.after_step(OpKind.DEPOSIT, Step.PLANNED)
            base = {"deposit_id": dep, "cabinet": c.cabinet, "number": c.number}

            how = self._open(op, OpKind.DEPOSIT, c, on_open=lambda db: None)
            if how is not _Opened.OPENED:
                status = self._fail_open(op, OpKind.DEPOSIT, c, how,
                                         lambda db: self.ledger.set_deposit(db, dep, DepositState.CANCELLED, self.clock.time()))
                return DepositResult(status, **base, message="the compartment did not open: deposit again, another one will be chosen")
            if on_open is not None:
                on_open(c.cabinet, c.number)

            if self._await_close(c) is not Door.CLOSED:
                _, item = self.read(c, refresh=False)
                kept = item is not Item.ABSENT  # no sensor, or the item is in: never lose it
                with self.ledger.store.transaction() as db:
                    t = self.clock.time()
                    self.ledger.set_step(db, op, Step.FAILED, t, "deposit: door not closed in time")
                    self.ledger.set_deposit(db, dep, DepositState.ACTIVE if kept else DepositState.CANCELLED, t)
                    self.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, t, Door.OPEN.value)
                return DepositResult(Status.DOOR_LEFT_OPEN, **base, message=CLOSE_DOOR)
            self._step(op, OpKind.DEPOSIT, Step.DOOR_CLOSED,
                       extra=lambda db: self.ledger.set_compartment(db, c.key, CompartmentState.RESERVED, self.clock.time(), "closed"))

            _, item = self.read(c)
            if item is Item.ABSENT:
                raised: list[tuple[Compartment, AlarmKind, str]] = []
                with self.ledger.store.transaction() as db:
                    t = self.clock.time()
                    self.ledger.set_step(db, op, Step.FAILED, t, "deposit: sensor saw no item after the door closed")
                    self.ledger.set_deposit(db, dep, DepositState.CANCELLED, t)
                    self.ledger.set_compartment(db, c.key, CompartmentState.EMPTY, t)
                    self._alarm(db, c, AlarmKind.ITEM_MISSING, "no item after deposit", raised)
                self._announce(raised)
                return DepositResult(Status.NO_ITEM, **base, message="the sensor saw no item: deposit again")
            self._step(op, OpKind.DEPOSIT, Step.VERIFIED)

            code = self._issue_code(dep, extra=lambda db: (
                self.ledger.set_deposit(db, dep, DepositState.ACTIVE),
                self.ledger.set_compartment(db, c.key, CompartmentState.OCCUPIED, self.clock.time()),
                self.ledger.set_step(db, op, Step.DONE, self.clock.time()),
                self._record(db, *deposit_event(dep, c, case_number, staff_id)),
            ))
            try:
                if self.after_step:
                    self.after_step(OpKind.DEPOSIT, Step.DONE)
            except BaseException:
                SENSITIVE.discard(code)
                raise
            log.info("locker deposit %d in %s/%d", dep, c.cabinet, c.number)
            self._publish("locker.deposit", {**base, "size": c.size.value, "staff_id": staff_id, "item": item.value})
            return DepositResult(Status.OK, **base, code=code)

    def _choose(self, size: Size) -> Compartment | None:
        for c in self.ledger.empty_compartments(size, self.compartments.values()):
            door, item = self.read(c)
            if door is Door.CLOSED and item is not Item.PRESENT:
                return c
        return None

    def _code_in_use(self, code: str) -> bool:
        return any(d.code_salt and d.code_hash and self._hasher.code_matches(code, d.code_salt, d.code_hash)
                   for d in self.ledger.active_deposits())

    def _issue_code(self, deposit_id: int, extra: Callable[[sqlite3.Connection], object]) -> str:
        code = new_code(self._code_in_use)
        SENSITIVE.add(code)
        salt = new_salt()
        try:
            with self.ledger.store.transaction() as db:
                self.ledger.set_code(db, deposit_id, salt, self._hasher.code(code, salt))
                extra(db)
        except BaseException:
            SENSITIVE.discard(code)
            raise
        return code

    def reissue_code(self, staff_id: str, deposit_id: int) -> DepositResult:
        """A new code for an active deposit (the old one stops working), e.g. after a power cut
        lost the code between the door closing and the SMS."""
        with self._lock:
            d = self.ledger.deposit(deposit_id)
            if d is None or d.state is not DepositState.ACTIVE:
                return DepositResult(Status.NOT_FOUND, deposit_id=deposit_id)
            first = d.code_hash is None  # kept by a reconcile: the backend has not heard of it yet
            c = self.compartments[(d.cabinet, d.number)]

            def record(db: sqlite3.Connection) -> None:
                self.ledger.audit(db, self.clock.time(), staff_id, "locker.code.reissue", f"deposit {d.id}")
                if first:
                    self._record(db, *deposit_event(d.id, c, self.ledger.case_number(d.id), d.staff_id))

            code = self._issue_code(d.id, extra=record)
            return DepositResult(Status.OK, d.id, d.cabinet, d.number, code=code)

    # -- pickup and recovery ----------------------------------------------------------------------
    def lockout_remaining(self) -> float:
        s, now = self.settings, self.clock.time()
        failures = self.ledger.failures_since(now - s.failure_window_s)
        if len(failures) >= s.max_failures:
            return max(0.0, failures[-1] + s.cooldown_s - now)
        return 0.0

    def pickup_by_code(self, code: str, on_open: DoorOpened | None = None) -> ReleaseResult:
        """``on_open(cabinet, number)`` is called once the door is seen open, before the wait for
        it to close: the screen can show which door while the citizen takes the item."""
        with self._lock, SENSITIVE.holding(code):
            wait = self.lockout_remaining()
            if wait > 0:
                return ReleaseResult(Status.LOCKED_OUT, retry_after_s=wait, message="too many wrong codes: try again later")
            code = code.strip()
            match: DepositRow | None = None
            if looks_like_code(code):
                match = next((d for d in self.ledger.active_deposits()
                              if d.code_salt and d.code_hash and self._hasher.code_matches(code, d.code_salt, d.code_hash)), None)
            self.ledger.record_attempt("code", match is not None, self.clock.time())
            if match is None:
                wait = self.lockout_remaining()
                log.info("locker pickup: wrong code%s", " (keypad cooling down)" if wait else "")
                if wait > 0:
                    return ReleaseResult(Status.LOCKED_OUT, retry_after_s=wait, message="too many wrong codes: try again later")
                return ReleaseResult(Status.WRONG_CODE, message="wrong pickup code")
            return self._release(match, OpKind.PICKUP, "citizen:code", "code", on_open)

    def pickup_by_id(self, id_number: str, on_open: DoorOpened | None = None) -> ReleaseResult:
        """The ID number read from the card, matched by keyed hash; the oldest active deposit first."""
        with self._lock, SENSITIVE.holding(id_number):
            found = self.ledger.active_deposits(self._hasher.recipient(id_number))
            if not found:
                return ReleaseResult(Status.NOT_FOUND, message="no item waiting for this ID card")
            return self._release(found[0], OpKind.PICKUP, "citizen:id_card", "id_card", on_open)

    def overdue(self, older_than: float, staff_id: str | None = None) -> list[DepositInfo]:
        """Active deposits made more than `older_than` seconds ago (their codes remain valid)."""
        where, params = "state = ? AND created_at <= ?", (DepositState.ACTIVE.value, self.clock.time() - older_than)
        if staff_id is not None:
            where, params = where + " AND staff_id = ?", (*params, staff_id)
        return self.ledger.deposit_infos(where, params)

    def recover(self, staff_id: str, deposit_id: int, on_open: DoorOpened | None = None) -> ReleaseResult:
        with self._lock:
            d = self.ledger.deposit(deposit_id)
            if d is None or d.state is not DepositState.ACTIVE:
                return ReleaseResult(Status.NOT_FOUND, deposit_id=deposit_id, message="no active deposit with this id")
            return self._release(d, OpKind.RECOVERY, staff_id, "staff", on_open)

    def _release(self, d: DepositRow, kind: OpKind, actor: str, method: str,
                 on_open: DoorOpened | None = None) -> ReleaseResult:
        c = self.compartments[(d.cabinet, d.number)]
        base = {"deposit_id": d.id, "cabinet": c.cabinet, "number": c.number}
        state = self.ledger.compartment_states()[c.key]
        if state is CompartmentState.OUT_OF_SERVICE and kind is OpKind.PICKUP:
            return ReleaseResult(Status.LOCK_JAMMED, **base, message=CONTACT_STAFF)
        now = self.clock.time()
        with self.ledger.store.transaction() as db:
            op = self.ledger.insert_operation(db, kind, d.id, c.key, actor, now)
            self.ledger.set_compartment(db, c.key, CompartmentState.RELEASING, now)
            self.ledger.audit(db, now, actor, f"locker.{kind.value}.start", f"deposit {d.id} in {c.cabinet}/{c.number}")
        if self.after_step:
            self.after_step(kind, Step.PLANNED)

        spent = DepositState.PICKED_UP if kind is OpKind.PICKUP else DepositState.RECOVERED
        how = self._open(op, kind, c, on_open=lambda db: self.ledger.set_deposit(db, d.id, spent, self.clock.time()))
        if how is not _Opened.OPENED:
            # the deposit stays active (its code too): staff open the cell by hand and recover it
            status = self._fail_open(op, kind, c, how)
            return ReleaseResult(status, **base, message=CONTACT_STAFF)
        if on_open is not None:
            on_open(c.cabinet, c.number)

        if self._await_close(c) is not Door.CLOSED:  # released all the same: the event goes
            with self.ledger.store.transaction() as db:
                t = self.clock.time()
                self.ledger.set_step(db, op, Step.FAILED, t, f"{kind.value}: door not closed in time")
                self.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, t, Door.OPEN.value)
                self._record(db, *release_event(self.ledger, kind, d.id, c, actor, Item.UNKNOWN))
            self._published_release(kind, base, method, actor, Item.UNKNOWN)
            return ReleaseResult(Status.DOOR_LEFT_OPEN, **base, message=CLOSE_DOOR)
        self._step(op, kind, Step.DOOR_CLOSED)

        _, item = self.read(c)
        raised: list[tuple[Compartment, AlarmKind, str]] = []
        cleared: list[AlarmKind] = []

        def settle(db: sqlite3.Connection) -> None:
            if item is Item.PRESENT:
                self.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, self.clock.time(), "closed")
                self._alarm(db, c, AlarmKind.ITEM_LEFT, f"item still present after {kind.value}", raised)
            else:
                self.ledger.set_compartment(db, c.key, CompartmentState.EMPTY, self.clock.time(), "closed")
                for moot in (AlarmKind.DEPOSIT_UNVERIFIED, AlarmKind.ITEM_MISSING):  # about the deposit taken out
                    if self.alarms.clear(db, c.key, (moot,), self.clock.time()):
                        cleared.append(moot)

        self._step(op, kind, Step.VERIFIED, extra=settle)
        self._announce(raised)
        for moot in cleared:
            self.alarms.announce(c.key, moot, f"deposit {d.id} taken out", raised=False)
        self._step(op, kind, Step.DONE, business=release_event(self.ledger, kind, d.id, c, actor, item))
        self._published_release(kind, base, method, actor, item)
        if item is Item.PRESENT:
            return ReleaseResult(Status.ITEM_LEFT, **base, message="请取走证件 (please take your item): staff have been called")
        return ReleaseResult(Status.OK, **base)

    def _published_release(self, kind: OpKind, base: dict[str, object], method: str, actor: str, item: Item) -> None:
        log.info("locker %s of deposit %s from %s/%s", kind.value, base["deposit_id"], base["cabinet"], base["number"])
        payload: dict[str, object] = {**base, "method": method, "item_after": item.value}
        if kind is OpKind.RECOVERY:
            payload["staff_id"] = actor
        self._publish("locker.pickup" if kind is OpKind.PICKUP else "locker.recovery", payload)

    # -- patrol, staff repair, reconciliation -----------------------------------------------------
    def patrol(self, refresh: bool = True) -> None:
        """Doors open without a command, and sensors that disagree with the ledger (call periodically)."""
        with self._lock:
            if refresh:
                self.refresh_all()
            states = self.ledger.compartment_states()
            raised: list[tuple[Compartment, AlarmKind, str]] = []
            with self.ledger.store.transaction() as db:
                for c in self.compartments.values():
                    state = states.get(c.key)
                    if state not in (CompartmentState.EMPTY, CompartmentState.OCCUPIED):
                        continue  # an operation is under way, or staff already have it
                    door, item = self.read(c, refresh=False)
                    if door is Door.OPEN:
                        self.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, self.clock.time(), "open")
                        self._alarm(db, c, AlarmKind.FORCED_OPEN, f"door open without a command ({state.value})", raised)
                    elif state is CompartmentState.OCCUPIED and item is Item.ABSENT:
                        self._alarm(db, c, AlarmKind.ITEM_MISSING, "occupied but the sensor sees no item", raised)
                    elif state is CompartmentState.EMPTY and item is Item.PRESENT:
                        self._alarm(db, c, AlarmKind.ITEM_LEFT, "empty but the sensor sees an item", raised)
            self._announce(raised)

    def restore(self, staff_id: str, cabinet: str, number: int) -> CompartmentState | None:
        """Staff put a compartment back in service once its door is closed; its alarms are cleared.
        None if the door is not closed."""
        with self._lock:
            c = self.compartments[(cabinet, number)]
            door, _ = self.read(c)
            if door is not Door.CLOSED:
                return None
            active = self.ledger.store.query("SELECT 1 FROM locker_deposits WHERE cabinet = ? AND number = ? AND state = ?",
                                             (cabinet, number, DepositState.ACTIVE.value))
            state = CompartmentState.OCCUPIED if active else CompartmentState.EMPTY
            with self.ledger.store.transaction() as db:
                t = self.clock.time()
                self.ledger.set_compartment(db, c.key, state, t, "closed")
                self.alarms.clear(db, c.key, tuple(AlarmKind), t)
                self.ledger.audit(db, t, staff_id, "locker.restore", f"{cabinet}/{number} -> {state.value}")
            return state

    def reconcile(self) -> ReconcileReport:
        """Once at start-up, before the first journey: see kiosk.lockers.reconcile."""
        with self._lock:
            return reconcile(self)

    def compartment_state(self, cabinet: str, number: int) -> CompartmentState:
        return self.ledger.compartment_states()[(cabinet, number)]
