"""The ESC/POS ticket printer driver: status polling and confirmed printing (spec §2, §3).

A ticket counts as issued only when the printer was ready before the job, processed all of it
(the GS r barrier answered) and reports no error after it. A job that fails is reported with
its reason and the printer's buffers are cleared, or the next ticket printed after recovery is
a void slip, so a stale ticket can never come out unmarked later.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import time
from dataclasses import dataclass, field

from drivers.device import ActionHint, Device, DeviceFault, DeviceInfo, DeviceKind, HealthLevel, HealthResult
from drivers.errors import PortTimeout, TransportError
from drivers.printer import commands as c
from drivers.printer.model import PrinterModel
from drivers.printer.status import Cover, Cutter, Paper, PrinterStatus, RawStatus, classify, valid_gs_r, valid_realtime
from drivers.transport import SerialSettings, Transport

_job_ids = itertools.count(1)


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    FAILED = "failed"  # not printed, or possibly partly: the ticket is not issued
    EXPIRED = "expired"  # too old when its turn came: dropped, never printed late


@dataclass(frozen=True)
class PrintJob:
    data: bytes
    created_at: float = field(default_factory=time.monotonic)
    max_age: float = 60.0
    test: bool = False  # 测试 tickets are never counted as issued
    job_id: int = field(default_factory=lambda: next(_job_ids))

    def expired(self, now: float) -> bool:
        return now - self.created_at > self.max_age


@dataclass(frozen=True)
class PrintResult:
    job_id: int
    outcome: Outcome
    reason: str = ""  # Chinese, for the citizen and staff
    reason_en: str = ""
    status: PrinterStatus = field(default_factory=PrinterStatus)
    seconds: float = 0.0

    @property
    def printed(self) -> bool:
        return self.outcome is Outcome.CONFIRMED


_FAULTS = {
    "paper_out": ("打印纸用完，请工作人员更换纸卷", "paper out: replace the roll", ActionHint.CLEAR),
    "cover_open": ("打印机舱盖打开，请关好舱盖", "cover open: close it", ActionHint.CLEAR),
    "cutter_error": ("打印机切刀故障，请联系工作人员", "cutter error: call maintenance", ActionHint.MAINTENANCE),
    "paper_near_end": ("打印纸即将用完，请准备更换", "paper near end", ActionHint.MAINTENANCE),
}


class EscPosPrinter(Device):
    kind = DeviceKind.PRINTER
    status_type = PrinterStatus
    # Ticket counters (tickets_printed, jobs_failed, jobs_expired) count citizens' tickets only; a test
    # job (PrintJob.test) counts as test_tickets or test_tickets_failed, never as one of those.
    counters = ("tickets_printed", "test_tickets", "test_tickets_failed", "jobs_failed", "jobs_expired", "cuts",
                "void_slips")

    def __init__(
        self,
        device_id: str,
        port: str,
        *,
        model: PrinterModel = PrinterModel(),
        serial: SerialSettings | None = None,
        status_timeout: float = 0.5,
        write_timeout: float = 5.0,
        listener=None,
    ) -> None:
        super().__init__(device_id, port, model=model.name, serial=serial, listener=listener)
        self.printer_model = model
        self.status_timeout = status_timeout
        self.write_timeout = write_timeout
        self.stale_pending = False  # a failed job may still be in the printer's buffer
        self.info = DeviceInfo(kind=self.kind, model=model.name, capabilities=self._capabilities())

    def _capabilities(self) -> frozenset[str]:
        m = self.printer_model
        caps = {f"charset:{m.charset}", f"dots:{m.dots}", "qr:native" if m.qr_native else "qr:raster"}
        if m.cutter:
            caps.add("cutter")
        return frozenset(caps)

    # -- Device ----------------------------------------------------------------------------
    def _identify(self, t: Transport) -> None:
        # After any transport error the printer may sit inside a half-received command.
        t.write(c.INIT + c.PANEL_BUTTONS_OFF, self.write_timeout)
        self._refresh(t)

    def _poll(self, t: Transport) -> None:
        status = self._refresh(t)
        if self.stale_pending and status.ready:
            self._void_slip(t)

    def check_health(self, level: HealthLevel) -> HealthResult:
        if level is HealthLevel.EXTERNAL:
            from drivers.printer.layout import Text, render

            result = self.print(PrintJob(render([Text("*** 测试 TEST ***", 2, True), Text("打印机自检正常")], self.printer_model), test=True))
            details = (("job_id", str(result.job_id)), ("outcome", result.outcome.value), ("seconds", f"{result.seconds:.2f}"))
            if result.printed:
                return HealthResult(level, True, "测试票打印成功（标有“测试”，不计入票数）",
                                    "test ticket printed (marked 测试, not counted as a ticket)", details)
            return HealthResult(level, False, f"测试票未打印：{result.reason}",
                                f"test ticket not printed: {result.reason_en or result.outcome.value}", details)
        return super().check_health(level)

    # -- status ----------------------------------------------------------------------------
    def query_status(self, t: Transport) -> PrinterStatus:
        """DLE EOT as the spec classifies (§2.1): EOT 1; online → EOT 4 for the paper sensor;
        offline → EOT 2 for the cause, EOT 3 when it reports an error, EOT 4. Every reply is
        validated; a missing first reply raises PortTimeout."""
        printer = self._realtime(t, 1)
        if printer is None:
            raise PortTimeout(t.url, "no valid reply to DLE EOT 1 (printer off, unplugged or not ESC/POS?)")
        if not printer & 0x08:
            # online: a cover opened or a cutter jam would have taken it offline
            return classify(RawStatus(printer, 0x12, 0x12, self._realtime(t, 4)))
        cause = self._realtime(t, 2)
        error = self._realtime(t, 3) if cause is None or cause & 0x40 else 0x12
        return classify(RawStatus(printer, cause, error, self._realtime(t, 4)))

    def _realtime(self, t: Transport, n: int) -> int | None:
        for _ in range(3):  # an invalid byte (stale GS r, ASB, noise) is discarded and asked again
            t.reset_input()
            t.write(c.realtime_status(n), self.write_timeout)
            try:
                byte = t.read(1, self.status_timeout)[0]
            except PortTimeout:
                return None
            if valid_realtime(byte):
                return byte
            self.stats.incr("communication_errors")
        return None

    def _refresh(self, t: Transport) -> PrinterStatus:
        try:
            status = self.query_status(t)
        except PortTimeout:
            self.set_status(PrinterStatus())  # unknown, never "paper adequate"
            raise
        previous = self.status
        self.set_status(status)
        self.set_state(status.state(), " ".join(status.reason()[1:]) or "ready")
        self._raise_new_faults(previous, status)
        return status

    def _raise_new_faults(self, before, now: PrinterStatus) -> None:
        checks = (
            ("paper_out", now.paper is Paper.OUT, getattr(before, "paper", None) is Paper.OUT),
            ("paper_near_end", now.paper is Paper.NEAR_END, getattr(before, "paper", None) is Paper.NEAR_END),
            ("cover_open", now.cover is Cover.OPEN, getattr(before, "cover", None) is Cover.OPEN),
            ("cutter_error", now.cutter is Cutter.ERROR, getattr(before, "cutter", None) is Cutter.ERROR),
        )
        for code, is_now, was in checks:
            if is_now and not was:
                text, text_en, hint = _FAULTS[code]
                self.raise_fault(DeviceFault(code, hint, text, text_en))

    # -- printing --------------------------------------------------------------------------
    def print(self, job: PrintJob) -> PrintResult:
        """Print one job with confirmation. Blocks (bounded) until the outcome is known."""
        with self.io_lock:
            started = time.monotonic()
            result = self._print(job)
            result = dataclasses.replace(result, seconds=time.monotonic() - started)
            if job.test:  # a technician's test: never in the ticket counters, printed or not
                self.stats.incr("test_tickets" if result.printed else "test_tickets_failed")
            else:
                self.stats.incr({Outcome.EXPIRED: "jobs_expired", Outcome.FAILED: "jobs_failed"}.get(
                    result.outcome, "tickets_printed"))
            self.stats.incr("operations_ok" if result.printed else "operations_failed")
            self.notify("printer.job", result)
            return result

    def _print(self, job: PrintJob) -> PrintResult:
        if job.expired(time.monotonic()):
            return PrintResult(job.job_id, Outcome.EXPIRED, "取号超时，票据未打印", "job too old: dropped, not printed")
        if self._transport is None:
            return PrintResult(job.job_id, Outcome.FAILED, "打印机未连接", f"{self.port}: printer not connected")
        t = self._transport
        try:
            before = self._refresh(t)
        except TransportError as e:
            return PrintResult(job.job_id, Outcome.FAILED, "打印机无应答", str(e))
        if not before.ready:
            zh, en = before.reason()
            return PrintResult(job.job_id, Outcome.FAILED, zh, en, before)  # nothing sent
        try:
            t.write(job.data, self.write_timeout + len(job.data) * 10 / 9600)
            barrier_ok = self._barrier(t, job.data)
            after = self._refresh(t)
        except TransportError as e:
            self.stale_pending = True
            return PrintResult(job.job_id, Outcome.FAILED, "打印过程中通信中断", str(e))
        if barrier_ok and after.ready:
            if self.printer_model.cutter:
                self.stats.incr("cuts")
            return PrintResult(job.job_id, Outcome.CONFIRMED, status=after)
        zh, en = after.reason() if not after.ready else ("打印未完成", "the printer did not finish the job")
        self._discard_buffered(t, after)
        return PrintResult(job.job_id, Outcome.FAILED, zh, en, after)

    def _barrier(self, t: Transport, data: bytes, check_every: float = 0.25) -> bool:
        """GS r 1 after the job: its reply means every byte before it was processed.

        While waiting, DLE EOT 1 asks every `check_every` s whether the printer went offline
        (paper end, cover opened, cutter jam): then the job has failed and waiting longer only
        keeps the citizen standing there. The two replies differ by bit pattern (§2.3).
        """
        if not self.printer_model.barrier_gs_r:
            return True
        t.write(c.BARRIER, self.write_timeout)
        deadline = time.monotonic() + self.printer_model.print_seconds(data) + 3.0
        next_check = time.monotonic() + check_every
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                byte = t.read(1, min(remaining, max(0.0, next_check - time.monotonic())) or 1e-3)[0]
            except PortTimeout:
                if time.monotonic() >= next_check:
                    t.write(c.realtime_status(1), self.write_timeout)
                    next_check = time.monotonic() + check_every
                continue
            if valid_gs_r(byte):
                return True
            if valid_realtime(byte) and byte & 0x08:
                return False  # offline mid-job
        return False

    def _discard_buffered(self, t: Transport, status: PrinterStatus) -> None:
        """Make sure the failed job cannot print later (spec §3 step 6)."""
        m = self.printer_model
        try:
            if status.cutter is Cutter.ERROR and m.recover_dle_enq:
                # recovers the cutter after clearing the receive and print buffers (§2.4)
                t.write(c.recover(clear_buffers=True), self.write_timeout)
                return
            if m.clear_dle_dc4:
                t.write(c.CLEAR_BUFFERS, self.write_timeout)
                try:
                    if t.read_exactly(3, self.status_timeout) == c.CLEAR_BUFFERS_REPLY:
                        return
                except PortTimeout:
                    pass
        except TransportError:
            pass
        self.stale_pending = True  # a void slip goes out as soon as the printer is ready

    def _void_slip(self, t: Transport) -> None:
        from drivers.printer.layout import Text, render

        slip = render([Text("以上票据作废", 2, True), Text("VOID / 请勿使用", 1, True)], self.printer_model)
        t.write(slip, self.write_timeout)
        if self._barrier(t, slip):
            self.stale_pending = False
            self.stats.incr("void_slips")
