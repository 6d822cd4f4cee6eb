"""The running kiosk as the UI sees it: config, event bus, store, supervised devices, services;
and its graceful stop (Drain).

Built only by kiosk.composition.build_kiosk (the one composition root).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from devicecfg.schema import KioskConfig
from drivers.device import DeviceKind, DeviceState
from kiosk.bus import Envelope, EventBus
from kiosk.services.availability import Availability, DeviceSnapshot, Journey, all_availability

if TYPE_CHECKING:
    from kiosk.backend.link import BackendLink
    from kiosk.diagnostics.faults import FaultHistory
    from kiosk.lockers import Lockers
    from kiosk.materials import Materials
    from kiosk.services.check_in import CheckIn
    from kiosk.services.staff import StaffDesk
    from kiosk.services.submission import Submissions
    from kiosk.services.technician import TechnicianDesk
    from kiosk.services.voice import Voice
    from kiosk.services.take_number import TakeNumber
    from kiosk.store import Store
    from kiosk.supervisor import Supervisor

log = logging.getLogger(__name__)

# A stop (SIGTERM, SIGINT) ends `kiosk run` within STOP_S (README "Stopping"; TimeoutStopSec in
# systemd/kiosk.service is twice that): DRAIN_S at most for a door being opened (an unlock, its
# checked retry and the open confirmation) or a ticket being printed, UNWIND_S for the operations
# cut short to unwind, then devices, outbox sender, heartbeat and database close, each wait
# bounded to half a second.
STOP_S = 5.0
DRAIN_S = 3.0
UNWIND_S = 0.5
TEARDOWN_JOIN_S = 0.5  # for a device worker to finish its poll (it closes its device when it does)


class KioskStopping(Exception):
    """The kiosk is stopping: a door or print operation was refused, or its wait for a door to
    close was cut short (the ledger holds the opening; the start-up reconcile finishes it)."""


class Drain:
    """What a graceful stop waits for, and where it stands.

    A door operation is *unsettled* from its call until the door is seen open (the ledger has
    recorded the opening) or it ends; a print job until its outcome is known. Once a stop is
    requested no new operation starts; the stop waits for the unsettled ones (DRAIN_S at most),
    then cuts short the waits for doors to close (`cut`). A second signal stops waiting at once.
    """

    def __init__(self) -> None:
        self.signals: list[str] = []  # appended by the signal handler, and nothing else is done there
        self.reason = ""
        self.requested_at: float | None = None
        self.cut = threading.Event()  # set: door-close waits end (stopping.StoppableClock)
        self._cond = threading.Condition()
        self._closed = False
        self._unsettled = 0
        self._running = 0

    # -- signals (main thread) ----------------------------------------------------------------------
    def listen(self, signums: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> Callable[[], None]:
        """Take SIGTERM and SIGINT from their default (and from SDL, which turns them into a window
        close request the kiosk refuses); returns what puts the previous handlers back.

        The handler runs on the main thread between two bytecodes, possibly inside a lock the
        interrupted code holds: it only appends to a list, which `poll` reads from the UI's clock."""

        def handler(signum: int, _frame: object) -> None:
            self.signals.append(signal.Signals(signum).name)

        previous = {s: signal.getsignal(s) for s in signums}
        for s in signums:
            signal.signal(s, handler)

        def restore() -> None:
            for s, h in previous.items():
                if h is not None:  # None: a handler not set from Python (SDL's): cannot be put back
                    signal.signal(s, h)

        return restore

    def poll(self) -> bool:
        """Called every ~0.1 s from the UI's clock: begins the stop once a signal has come; True
        when the UI should stop now (nothing unsettled, DRAIN_S over, or a second signal)."""
        if not self.signals:
            return False
        if self.requested_at is None:
            self.begin(self.signals[0])
        if len(self.signals) > 1:
            if not self.cut.is_set():
                log.info("second signal: stopping without waiting for doors or tickets", extra={"signal": self.signals[1]})
                self.cut.set()
            return True
        return self.settled() or time.monotonic() - self.requested_at >= DRAIN_S

    # -- the stop -----------------------------------------------------------------------------------
    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def begin(self, reason: str) -> None:
        """No new door or print operation from now on."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            unsettled = self._unsettled
        self.reason, self.requested_at = reason, time.monotonic()
        log.info("stopping: no new journey; waiting for doors being opened and tickets being printed",
                 extra={"reason": reason, "unsettled": unsettled, "drain_s": DRAIN_S})

    def settled(self) -> bool:
        with self._cond:
            return self._unsettled == 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no operation runs at all (those cut short have unwound); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._running == 0, timeout)

    @contextmanager
    def operation(self) -> Iterator[Callable[[], None]]:
        """One door or print operation: raises KioskStopping at once when a stop has begun; yields
        the function that settles it early (the door was seen open)."""
        with self._cond:
            if self._closed:
                raise KioskStopping("the kiosk is stopping: no new door or print operation")
            self._unsettled += 1
            self._running += 1
        done = False

        def settle() -> None:
            nonlocal done
            with self._cond:
                if not done:
                    done = True
                    self._unsettled -= 1
                    self._cond.notify_all()

        try:
            yield settle
        finally:
            settle()
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


@dataclass
class Kiosk:
    config: KioskConfig
    bus: EventBus
    store: Store
    supervisor: Supervisor

    def _device(self, kind: DeviceKind):
        return next((d for d in self.supervisor.devices.values() if d.kind is kind), None)

    @property
    def has_card_reader(self) -> bool:
        return self._device(DeviceKind.IDCARD) is not None

    def card_session(self):
        """A one-read session on this kiosk's ID card reader, or None when it has none."""
        from kiosk.services.card_session import CardSession

        reader = self._device(DeviceKind.IDCARD)
        return None if reader is None else CardSession(self.bus, reader)

    def qr_scanner(self):
        """A phone-QR scanner on this kiosk's document camera, or None when it has none."""
        from kiosk.services.qr_scan import QrScanner

        camera = self._device(DeviceKind.CAMERA)
        return None if camera is None else QrScanner(camera)

    def capture_session(self):
        """A material-capture session on this kiosk's document camera, or None when it has none."""
        from kiosk.services.capture import CaptureSession

        camera = self._device(DeviceKind.CAMERA)
        return None if camera is None else CaptureSession(camera)

    def device_snapshots(self) -> list[DeviceSnapshot]:
        return self.supervisor.snapshot()

    def availability(self) -> dict[Journey, Availability]:
        return all_availability(self.device_snapshots())

    def liveness_checks(self):
        """What must be alive besides the UI thread for the systemd watchdog to be fed
        (kiosk/watchdog.py): the device supervisor's workers."""
        return {"supervisor": self.supervisor.stuck}

    lockers: Lockers | None = None
    materials: Materials | None = None  # captured pages waiting for upload (kiosk/materials.py)
    backend: BackendLink | None = None  # outbox sender, ticket desk, heartbeat (kiosk/backend)
    take_number: TakeNumber | None = None  # 取号 (kiosk/services/take_number.py)
    check_in: CheckIn | None = None  # 预约签到 (kiosk/services/check_in.py)
    staff: StaffDesk | None = None  # staff deposit and recovery (kiosk/services/staff.py)
    submissions: Submissions | None = None  # 自助申报 (kiosk/services/submission.py)
    voice: Voice | None = None  # 语音提示 (kiosk/services/voice.py)
    technician: TechnicianDesk | None = None  # 维护模式 (kiosk/services/technician.py)
    faults: FaultHistory | None = None  # recent device faults for the technician's pages
    # Locker housekeeping runs off the device threads: one worker, in order.
    _locker_work: ThreadPoolExecutor | None = field(default=None, repr=False)
    _reconciled: set[str] = field(default_factory=set, repr=False)
    drain: Drain = field(default_factory=Drain)  # the graceful stop (README "Stopping")

    def start(self) -> None:
        if self.materials is not None:
            self.materials.sweep()  # a crash mid-save leaves partial files: remove them first
        if self.lockers is not None:
            self._locker_work = ThreadPoolExecutor(1, thread_name_prefix="lockers")
            self.bus.subscribe("device.state", self._on_device_state)
            self.bus.subscribe("locker", self._on_locker_event)
        self.supervisor.start()
        if self.backend is not None:
            self.backend.start()

    def stop(self) -> None:
        """The end of a stop (the UI has already drained, see Drain): door-close waits cut short,
        devices closed, outbox sender stopped (what is undelivered stays queued), database
        checkpointed and closed, each after the transaction in progress."""
        drain = self.drain
        drain.begin(drain.reason or "stop")
        drain.cut.set()
        hurried = len(drain.signals) > 1  # a second signal: do not wait for operations to unwind
        unwound = drain.wait_idle(0 if hurried else UNWIND_S)
        if not unwound:
            log.warning("stopping with a door or print operation still running: the ledger finishes it at start-up")
        if self._locker_work is not None:  # before the boards close: a patrol under way still reads them
            self._locker_work.shutdown(wait=True, cancel_futures=True)
        if self.faults is not None:
            self.faults.close()
        self.supervisor.stop(timeout=TEARDOWN_JOIN_S)
        if self.backend is not None:
            self.backend.stop()
        self.store.close()
        since = time.monotonic() - drain.requested_at if drain.requested_at is not None else 0.0
        log.info("kiosk stopped cleanly", extra={"reason": drain.reason, "seconds": round(since, 2),
                                                 "unwound": unwound})

    def _on_device_state(self, env: Envelope) -> None:
        # Reconcile the ledger with the boards the first time a locker line comes up (start-up,
        # or after a power cut); never before, since a silent board proves nothing.
        lockers, change = self.lockers, env.payload
        if lockers is None or change.device_id not in lockers.hardware or change.state is not DeviceState.ONLINE:
            return
        if change.device_id not in self._reconciled:
            self._reconciled.add(change.device_id)
            self._locker_task(lockers.reconcile)

    def _on_locker_event(self, env: Envelope) -> None:
        if self.lockers is not None and env.name in ("locker.door", "locker.item"):
            self._locker_task(lambda: self.lockers.patrol(refresh=False))  # forced opening, sensor disagreement

    def _locker_task(self, fn) -> None:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("locker housekeeping failed")

        if self._locker_work is not None and not self.drain.requested:  # stopping: the next start reconciles
            self._locker_work.submit(run)
