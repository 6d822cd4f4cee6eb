"""The graceful stop's hold on door and print operations (kiosk.core.Drain; README "Stopping"):
the lockers and the printer as the services see them once the composition root has wrapped them."""

from __future__ import annotations

import logging
import threading

from drivers.printer.printer import EscPosPrinter, Outcome, PrintJob, PrintResult
from kiosk.core import Drain, KioskStopping
from kiosk.lockers import DepositResult, Lockers, ReleaseResult, Status, SystemClock

log = logging.getLogger(__name__)

STOPPING = "终端正在停止服务 (the kiosk is stopping)"


class StoppableClock(SystemClock):
    """The lockers' clock: once `cut` is set, a door-close wait ends by raising KioskStopping.
    The ledger then holds the operation at "door opened" (the pickup counted, its code spent),
    as after a power cut, and the start-up reconcile finishes it."""

    def __init__(self, cut: threading.Event) -> None:
        self._cut = cut

    def sleep(self, seconds: float) -> None:
        if self._cut.wait(seconds):
            raise KioskStopping("the wait for the door to close was cut short by the stop")


class DrainedLockers(Lockers):
    """Lockers whose deposits, pickups and recoveries a stop waits for until the door is seen
    open; refused once the stop has begun (nothing unlocked, nothing recorded)."""

    def __init__(self, *args, drain: Drain, **kwargs) -> None:
        super().__init__(*args, clock=StoppableClock(drain.cut), **kwargs)
        self.drain = drain

    def deposit(self, *args, on_open=None, **kwargs) -> DepositResult:
        return self._drained(super().deposit, DepositResult, args, kwargs, on_open)

    def pickup_by_code(self, *args, on_open=None, **kwargs) -> ReleaseResult:
        return self._drained(super().pickup_by_code, ReleaseResult, args, kwargs, on_open)

    def pickup_by_id(self, *args, on_open=None, **kwargs) -> ReleaseResult:
        return self._drained(super().pickup_by_id, ReleaseResult, args, kwargs, on_open)

    def recover(self, *args, on_open=None, **kwargs) -> ReleaseResult:
        return self._drained(super().recover, ReleaseResult, args, kwargs, on_open)

    def _drained(self, call, result, args, kwargs, on_open):
        door: list[tuple[str, int]] = []

        def opened(cabinet: str, number: int) -> None:
            door.append((cabinet, number))
            settle()
            if on_open is not None:
                on_open(cabinet, number)

        try:
            with self.drain.operation() as settle:
                return call(*args, on_open=opened, **kwargs)
        except KioskStopping as e:
            if not door:  # refused before anything was done
                return result(Status.BOARD_OFFLINE, message=STOPPING)
            cabinet, number = door[0]
            log.info("locker operation stopped while its door was open",
                     extra={"cabinet": cabinet, "number": number, "why": str(e)})
            return result(Status.DOOR_LEFT_OPEN, cabinet=cabinet, number=number, message=STOPPING)


class DrainedPrinter:
    """The printer as the services see it: the stop waits for a job being printed; a job asked
    for once the stop has begun is not printed and fails (the services void its ticket)."""

    def __init__(self, printer: EscPosPrinter, drain: Drain) -> None:
        self._printer, self._drain = printer, drain

    def __getattr__(self, name: str):
        return getattr(self._printer, name)

    def print(self, job: PrintJob) -> PrintResult:
        try:
            with self._drain.operation():
                return self._printer.print(job)
        except KioskStopping:
            return PrintResult(job.job_id, Outcome.FAILED, "终端正在停止服务，票据未打印", "the kiosk is stopping: not printed")
