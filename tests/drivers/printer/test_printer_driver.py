"""The ESC/POS driver against the printer simulator: status, confirmed printing, every fault,
and stale jobs that must never come out unmarked. In-process (sim://) and through a real pty."""

import datetime as dt
import itertools
import threading
import time

import pytest
import zxingcpp

from drivers.device import DeviceState, FaultRaised
from drivers.errors import PortClosed, PortTimeout
from drivers.printer.layout import Ticket, render
from drivers.printer.model import PrinterModel
from drivers.printer.printer import EscPosPrinter, Outcome, PrintJob
from drivers.printer.status import Cover, Cutter, Paper
from drivers.sim import registry
from drivers.sim.printer import PrinterSimulator
from drivers.sim.serve import PtyServer
from tests.support import silent_pty

_ids = itertools.count()
URL = "https://zwfw.example.gov.cn/q?t=A023&d=20240501"
MODEL = PrinterModel(name="simulated", charset="gb18030", font_missing=((0x1F000, 0x1FAFF),), clear_dle_dc4=True, speed_mm_s=1000)


def ticket(number="A023", **kw) -> Ticket:
    base = dict(hall="某某市政务服务中心", service="不动产登记", number=number, waiting=12,
                issued_at=dt.datetime(2024, 5, 1, 9, 31, 5), qr_url=URL)
    return Ticket(**(base | kw))


class Rig:
    def __init__(self, how: str, tmp_path, model: PrinterModel = MODEL, **options: str) -> None:
        opts = {"speed": "0", "cut_ms": "0", "out": str(tmp_path / f"out{next(_ids)}")} | options
        if how == "sim":
            sid = f"p{next(_ids)}"
            self.sim = registry.simulator_for("printer", opts | {"id": sid})
            port = "sim://printer?" + "&".join(f"{k}={v}" for k, v in (opts | {"id": sid}).items())
            self.server = None
        else:
            self.sim = PrinterSimulator(opts)
            self.server = PtyServer(self.sim)
            port = self.server.path
        self.events = []
        self.printer = EscPosPrinter("printer", port, model=model, listener=self.events.append)
        self.model = model

    def job(self, t: Ticket | None = None, **kw) -> PrintJob:
        return PrintJob(render((t or ticket()).blocks(), self.model), **kw)

    def printed(self):
        """The tickets, once the simulator has written every one it cut."""
        self.sim.wait_idle(2.0)  # False while offline data stays held: that is fine here
        return self.sim.tickets

    def faults(self) -> list[str]:
        return [e.fault.code for e in self.events if isinstance(e, FaultRaised)]

    def close(self) -> None:
        self.printer.close()
        if self.server:
            self.server.close()
        self.sim.close()


@pytest.fixture(params=["sim", "pty"])
def rig(request, tmp_path):
    r = Rig(request.param, tmp_path)
    yield r
    r.close()
    registry.forget_instances()


def test_open_reads_status(rig):
    rig.printer.open()
    s = rig.printer.status
    assert rig.printer.state is DeviceState.ONLINE
    assert (s.paper, s.cover, s.cutter) == (Paper.OK, Cover.CLOSED, Cutter.OK)


def test_confirmed_ticket_round_trip(rig):
    rig.printer.open()
    t = ticket()
    result = rig.printer.print(rig.job(t))
    assert result.outcome is Outcome.CONFIRMED and result.printed
    (printed,) = rig.printed()
    # the transcript is the ticket's text, besides its QR line and the dashed rule
    text = [line for line in printed.lines if line and not line.startswith("[QR]") and set(line) != {"-"}]
    assert printed.complete and text == t.text_lines()
    assert list(printed.qr_payloads) == [URL]
    decoded = [r.text for r in zxingcpp.read_barcodes(_png(printed.png))]
    assert decoded == [URL]
    assert rig.printer.stats.snapshot()["tickets_printed"] == 1


def _png(path):
    from PIL import Image

    return Image.open(path).convert("L")


def test_rare_name_characters_print_as_images_never_boxes(rig, tmp_path):
    gbk = PrinterModel(charset="gbk", clear_dle_dc4=True)
    r = Rig("sim", tmp_path, model=gbk, charset="gbk")
    try:
        r.printer.open()
        result = r.printer.print(r.job(ticket(service="王䶮 鿏")))
        assert result.printed
        (printed,) = r.printed()
        assert not printed.missing  # the printer was never asked to print a glyph it lacks
        assert any(line.startswith("[IMAGE ") for line in printed.lines)
    finally:
        r.close()


@pytest.mark.parametrize(
    ("fault", "field", "value", "state", "code"),
    [
        (lambda s: s.set_paper("near_end"), "paper", Paper.NEAR_END, DeviceState.ONLINE, "paper_near_end"),
        (lambda s: s.set_paper("out"), "paper", Paper.OUT, DeviceState.USER_ERROR, "paper_out"),
        (lambda s: s.set_cover(True), "cover", Cover.OPEN, DeviceState.USER_ERROR, "cover_open"),
        (lambda s: s.set_cutter_error(True), "cutter", Cutter.ERROR, DeviceState.HARDWARE_ERROR, "cutter_error"),
        (lambda s: s.set_offline(True), "paper", Paper.OK, DeviceState.OFFLINE, None),
    ],
)
def test_status_for_each_fault(rig, fault, field, value, state, code):
    rig.printer.open()
    fault(rig.sim)
    rig.printer.poll()
    assert getattr(rig.printer.status, field) is value and rig.printer.state is state
    assert rig.faults() == ([code] if code else [])


def test_near_end_still_prints(rig):
    rig.printer.open()
    rig.sim.set_paper("near_end")
    assert rig.printer.print(rig.job()).printed


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (lambda s: s.set_paper("out"), "out of paper"),
        (lambda s: s.set_cover(True), "cover open"),
        (lambda s: s.set_offline(True), "printer offline"),
        (lambda s: s.set_cutter_error(True), "cutter error"),
    ],
)
def test_not_ready_before_the_job_sends_nothing(rig, fault, reason):
    rig.printer.open()
    fault(rig.sim)
    result = rig.printer.print(rig.job())
    assert result.outcome is Outcome.FAILED and result.reason_en == reason and result.reason
    assert rig.printed() == []
    fault_undo = {"out of paper": lambda s: s.set_paper("ok"), "cover open": lambda s: s.set_cover(False),
                  "printer offline": lambda s: s.set_offline(False), "cutter error": lambda s: s.set_cutter_error(False)}
    fault_undo[reason](rig.sim)
    rig.sim.wait_idle()
    assert rig.printed() == []  # and nothing prints after recovery


def test_paper_out_during_the_job_and_no_stale_ticket_after_reload(rig):
    """DLE DC4 8 clears the held remainder: reloading paper prints nothing."""
    rig.printer.open()
    rig.sim.set_paper_left(20)  # the roll ends 20 mm into the ticket
    result = rig.printer.print(rig.job())
    assert result.outcome is Outcome.FAILED and result.reason_en == "out of paper"
    assert not rig.printer.stale_pending
    rig.sim.set_paper("ok")
    rig.sim.wait_idle()
    rig.printer.poll()
    assert [t.complete for t in rig.printed()] == [False]  # only the torn partial piece
    assert rig.printer.print(rig.job(ticket("A024"))).printed  # the next ticket is fine
    assert rig.printed()[-1].complete and "A024" in rig.printed()[-1].lines


def test_without_buffer_clear_a_stale_ticket_is_voided(tmp_path):
    """A printer without DLE DC4 8 prints the held remainder on reload: a void slip follows it."""
    model = PrinterModel(name="no-dc4", charset="gb18030", clear_dle_dc4=False, speed_mm_s=1000)
    r = Rig("pty", tmp_path, model=model, dc4="no")
    try:
        r.printer.open()
        r.sim.set_paper("out")
        r.sim.set_paper("ok")
        r.sim.set_paper_left(20)
        result = r.printer.print(r.job())
        assert result.outcome is Outcome.FAILED and r.printer.stale_pending
        r.sim.set_paper("ok")  # reloaded: the held remainder comes out…
        r.sim.wait_idle()
        r.printer.poll()  # …and the driver follows it with a void slip
        r.sim.wait_idle()
        assert not r.printer.stale_pending and r.printer.stats.snapshot()["void_slips"] == 1
        assert "以上票据作废" in r.printed()[-1].lines
    finally:
        r.close()


def test_cover_opened_mid_job(tmp_path):
    r = Rig("pty", tmp_path, speed="100")  # a 100 mm/s mechanism: the ticket takes about a second
    try:
        r.printer.open()
        threading.Timer(0.3, r.sim.set_cover, args=(True,)).start()
        result = r.printer.print(r.job())
        assert result.outcome is Outcome.FAILED and result.reason_en == "cover open"
        r.sim.set_cover(False)
        r.sim.wait_idle()
        assert all(not t.complete for t in r.printed())  # DLE DC4 8 dropped the rest
    finally:
        r.close()


def test_cutter_jam_is_reported_and_recovered(rig):
    rig.printer.open()
    rig.sim.jam_next_cut()
    result = rig.printer.print(rig.job())
    assert result.outcome is Outcome.FAILED and result.reason_en == "cutter error"
    rig.printer.poll()  # DLE DC4 8 / DLE ENQ 2 were sent; the printer is usable again
    assert rig.printer.print(rig.job(ticket("A024"))).printed


def test_stale_job_is_dropped_not_printed(rig):
    rig.printer.open()
    old = rig.job(created_at=time.monotonic() - 61)
    result = rig.printer.print(old)
    assert result.outcome is Outcome.EXPIRED and "not printed" in result.reason_en
    assert rig.printed() == [] and rig.printer.stats.snapshot()["jobs_expired"] == 1


def test_test_tickets_are_not_counted_as_issued(rig):
    rig.printer.open()
    assert rig.printer.print(rig.job(ticket(test=True), test=True)).printed
    stats = rig.printer.stats.snapshot()
    assert stats["test_tickets"] == 1 and stats["tickets_printed"] == 0
    assert "*** 测试 TEST ***" in rig.printed()[0].lines


def test_silent_printer_is_unknown_and_offline(rig):
    rig.printer.open()
    rig.sim.unplug()
    with pytest.raises((PortTimeout, PortClosed)):
        rig.printer.poll()
    assert rig.printer.status.paper is Paper.UNKNOWN or rig.printer.status.paper is Paper.OK


def test_nothing_on_the_port_never_looks_like_paper_ok():
    with silent_pty() as path:
        printer = EscPosPrinter("printer", path, model=MODEL)
        with pytest.raises(PortTimeout, match="DLE EOT 1"):
            printer.open()
        assert printer.status.paper is Paper.UNKNOWN and not printer.status.ready
