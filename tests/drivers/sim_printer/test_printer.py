"""The printer's state machine: real-time status, held jobs, stale GS r, buffer clears, faults."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.sim import registry
from drivers.sim.printer import Paper, PrinterSimulator
from drivers.sim.ticket_render import TicketEnd
from drivers.transport import open_transport
from tests.drivers.sim_printer.vectors import (
    BARRIER,
    DC4_CLEAR,
    ENQ1,
    ENQ2,
    EOT,
    REFERENCE_LINES,
    REFERENCE_TICKET,
    job,
)
from tests.support import wait_for

ALL_EOT = EOT[1] + EOT[2] + EOT[3] + EOT[4]


def replies(sim: PrinterSimulator, n: int, timeout: float = 2.0) -> bytes:
    out, deadline = b"", time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        out += sim.take_output(n - len(out), 0.05)
    return out


def no_more_output(sim: PrinterSimulator) -> bool:
    return sim.take_output(16, 0.05) == b""


def held(sim: PrinterSimulator, ops: int) -> bool:
    return wait_for(lambda: sim.status().buffered_ops >= ops, 2)


# §2.1's table of typical replies, plus the cutter error of §2.1 n = 2, 3.
@pytest.mark.parametrize("fault, eot", [
    (lambda s: None, "12 12 12 12"),
    (lambda s: s.set_paper("near_end"), "12 12 12 1E"),
    (lambda s: s.set_paper("out"), "1A 32 12 7E"),
    (lambda s: s.set_cover(True), "1A 16 12 12"),
    (lambda s: s.set_offline(True), "1A 12 12 12"),
    (lambda s: s.set_cutter_error(True), "1A 52 1A 12"),
])
def test_dle_eot_replies_per_state(printer, fault, eot):
    fault(printer)
    printer.receive(ALL_EOT)
    got = replies(printer, 4)
    assert got == bytes.fromhex(eot)
    assert all(b & 0x93 == 0x12 for b in got)  # every reply fits 0xx1xx10


def test_dle_eot_is_answered_at_once_even_with_a_job_in_progress(make_printer):
    sim = make_printer(speed="20", cut_ms="0")  # a slow 58 mm unit: the job takes seconds
    sim.receive(REFERENCE_TICKET + EOT[1])
    assert replies(sim, 1) == b"\x12"
    status = sim.status()
    assert (status.busy or status.buffered_ops) and not sim.tickets


def test_dle_eot_inside_image_data_is_answered_too(printer):
    image = bytes.fromhex("1D 76 30 00 03 00 01 00 10 04 02")
    printer.receive(image)
    assert replies(printer, 1) == b"\x12"


def test_gs_r_answers_when_processing_reaches_it(printer):
    printer.receive(REFERENCE_TICKET + BARRIER)
    assert replies(printer, 1) == b"\x00"
    assert wait_for(lambda: len(printer.tickets) == 1)  # the PNG is written after the reply
    printer.set_paper(Paper.NEAR_END)
    printer.receive(BARRIER)
    got = replies(printer, 1)
    assert got == b"\x03" and got[0] & 0x90 == 0  # 0xx0xxxx


def test_a_job_sent_while_out_of_paper_prints_after_reload(printer):
    printer.set_paper("out")
    printer.receive(REFERENCE_TICKET)
    assert held(printer, 20)
    assert not printer.tickets and not printer.status().online
    printer.set_paper("ok")
    assert wait_for(lambda: len(printer.tickets) == 1)
    [ticket] = printer.tickets
    assert ticket.held and ticket.complete and list(ticket.lines) == REFERENCE_LINES


def test_stale_gs_r_reply_arrives_after_recovery_before_the_next_status(printer):
    printer.set_cover(True)
    printer.receive(BARRIER + EOT[1])
    assert replies(printer, 1) == b"\x1a"  # only the real-time reply: GS r waits
    assert held(printer, 1) and no_more_output(printer)
    printer.set_cover(False)
    assert printer.wait_idle()
    printer.receive(EOT[1])
    assert replies(printer, 2) == bytes.fromhex("00 12")  # §2.2: the stale 00 comes first


def test_dle_dc4_8_clears_held_data(printer):
    printer.set_paper("out")
    printer.receive(job("作废的票") + BARRIER)
    assert held(printer, 4)
    printer.receive(DC4_CLEAR)
    assert replies(printer, 3) == bytes.fromhex("37 25 00")
    assert printer.status().buffered_ops == 0
    printer.set_paper("ok")
    printer.receive(EOT[1])
    assert printer.wait_idle() and replies(printer, 1) == b"\x12"
    assert no_more_output(printer) and not printer.tickets  # no ticket, no GS r reply


def test_without_dc4_the_clear_is_silent_and_the_job_survives(make_printer):
    sim = make_printer(dc4="no")
    sim.set_paper("out")
    sim.receive(job("过期的票") + DC4_CLEAR)
    assert held(sim, 4) and no_more_output(sim)
    sim.set_paper("ok")
    assert wait_for(lambda: len(sim.tickets) == 1)
    assert sim.tickets[0].lines == ("过期的票",)


def test_dle_dc4_8_in_the_same_write_keeps_what_follows(printer):
    printer.set_cover(True)
    printer.receive(job("旧") + DC4_CLEAR + job("新"))
    assert replies(printer, 3) == bytes.fromhex("37 25 00")
    printer.set_cover(False)
    assert wait_for(lambda: len(printer.tickets) == 1)
    assert printer.tickets[0].lines == ("新",)


def test_cutter_jam_then_dle_enq_1_resumes_with_the_cut(printer):
    printer.jam_next_cut()
    printer.receive(job("第一张") + BARRIER)
    assert wait_for(lambda: printer.status().cutter_error)
    printer.receive(ALL_EOT)
    assert replies(printer, 4) == bytes.fromhex("1A 52 1A 12")
    assert not printer.tickets
    printer.receive(ENQ1)
    assert replies(printer, 1) == b"\x00"  # the barrier, once the retried cut is done
    assert wait_for(lambda: len(printer.tickets) == 1)
    [ticket] = printer.tickets
    assert ticket.complete and ticket.cut.value == "partial" and ticket.lines == ("第一张",)


def test_dle_enq_2_recovers_after_discarding_the_held_data(printer):
    printer.set_cutter_error(True)
    printer.receive(job("不该出的票") + BARRIER)
    assert held(printer, 4)
    printer.receive(ENQ2 + EOT[1] + EOT[3])
    assert replies(printer, 2) == bytes.fromhex("12 12")
    assert printer.wait_idle() and no_more_output(printer) and not printer.tickets


def test_dle_enq_does_not_clear_a_paper_end(printer):
    # §2.4: DLE ENQ 1/2 recover recoverable errors only; the job stays held.
    printer.set_paper("out")
    printer.receive(job("票") + ENQ2 + EOT[1])
    assert replies(printer, 1) == b"\x1a"
    assert printer.status().buffered_ops > 0


def test_paper_end_mid_job_leaves_a_partial_ticket_and_holds_the_rest(printer):
    printer.set_paper_left(40)  # mm: the roll ends inside the QR code
    printer.receive(REFERENCE_TICKET + BARRIER)
    assert wait_for(lambda: printer.status().paper is Paper.OUT)
    assert printer.wait_idle(0.2) is False  # held, not idle
    assert wait_for(lambda: len(printer.tickets) == 1)
    [partial] = printer.tickets
    assert partial.end is TicketEnd.PAPER_OUT and not partial.complete and partial.cut is None
    assert partial.lines == tuple(REFERENCE_LINES[: len(partial.lines)]) and 0 < len(partial.lines) < 8
    printer.receive(EOT[1])
    assert replies(printer, 1) == b"\x1a"  # and no GS r reply: still offline
    printer.set_paper("ok")
    assert replies(printer, 1) == b"\x00"
    assert wait_for(lambda: len(printer.tickets) == 2)
    rest = printer.tickets[1]
    assert rest.cut is not None and not rest.complete  # cut, but the tail of a broken job
    assert [line for line in partial.lines + rest.lines if line] == [line for line in REFERENCE_LINES if line]


def test_automatic_status_back_frames(printer):
    printer.receive(bytes.fromhex("1D 61 0F"))
    assert replies(printer, 4) == bytes.fromhex("10 00 00 00")
    printer.set_paper("near_end")
    assert replies(printer, 4) == bytes.fromhex("10 00 03 00")
    printer.set_paper("out")
    assert replies(printer, 4) == bytes.fromhex("18 00 0F 00")
    printer.set_paper("ok")
    printer.set_cover(True)
    assert replies(printer, 8) == bytes.fromhex("10 00 00 00 38 00 00 00")
    printer.receive(bytes.fromhex("1D 61 00"))  # waits in the buffer while the cover is open
    printer.set_cover(False)
    assert replies(printer, 4) == bytes.fromhex("10 00 00 00")
    assert printer.wait_idle()
    printer.set_paper("near_end")
    assert no_more_output(printer)


def test_a_printer_without_cutter_ignores_gs_v_and_paper_accumulates(make_printer):
    sim = make_printer(cutter="no")
    sim.receive(job("一号") + job("二号", cut=bytes.fromhex("1B 64 05 1D 56 01")) + BARRIER)
    assert replies(sim, 1) == b"\x00"
    assert not sim.tickets and sim.status().cuts == 0
    ticket = sim.tear_off()
    assert ticket is not None and ticket.lines == ("一号", "二号") and ticket.end is TicketEnd.TORN_OFF
    assert sim.tickets == [ticket]


def test_panel_buttons_disabled_ignore_the_feed_button(make_printer):
    heights = []
    for disable in (b"", bytes.fromhex("1B 63 35 01")):
        sim = make_printer()
        sim.receive(disable)
        assert sim.wait_idle()
        sim.press_feed()
        sim.receive(job("票"))
        assert sim.wait_idle()
        heights.append(sim.tickets[0].height)
    assert heights[0] == heights[1] + 30  # one line of feed, only while the button works


def test_print_time_follows_paper_length_and_cuts(make_printer):
    sim = make_printer(speed="4000", cut_ms="5")
    sim.receive(REFERENCE_TICKET)
    assert sim.wait_idle()
    [ticket] = sim.tickets
    assert sim.status().print_seconds == pytest.approx(ticket.height / 8 / 4000 + 0.005)


def test_at_paper_speed_the_barrier_reply_waits_for_the_ticket(make_printer):
    sim = make_printer(speed="500", cut_ms="100")
    start = time.monotonic()
    sim.receive(REFERENCE_TICKET + BARRIER)
    assert replies(sim, 1, timeout=5) == b"\x00"
    replied = time.monotonic() - start
    assert sim.wait_idle()
    assert replied >= sim.tickets[0].height / 8 / 500 + 0.1


def test_the_registry_serves_it_as_sim_printer(tmp_path):
    port = f"sim://printer?id=reg&speed=0&cut_ms=0&out={tmp_path}"
    transport = open_transport(port)
    try:
        transport.write(REFERENCE_TICKET + BARRIER)
        assert transport.read(1, 2.0) == b"\x00"
        sim = registry.simulator_for("printer", {"id": "reg"})
        assert isinstance(sim, PrinterSimulator) and sim.wait_idle() and sim.tickets[0].png.parent == tmp_path
    finally:
        transport.close()
        sim.close()
        registry.forget_instances()


def test_bad_options_say_what_is_expected():
    with pytest.raises(ValueError, match="charset='big5'.*gb18030"):
        PrinterSimulator({"charset": "big5"})
    with pytest.raises(ValueError, match="cutter='maybe'.*yes or no"):
        PrinterSimulator({"cutter": "maybe"})
    with pytest.raises(ValueError, match="speed='fast'.*number"):
        PrinterSimulator({"speed": "fast"})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=60), st.sampled_from(
    [REFERENCE_TICKET, b"\x1c&", b"\x1c.", b"\x1d!\x77", b"\x1d(k\x03\x001C\x10", b"\x1d(k\x03\x001Q0", b"\x1dv0\x00\x50\x00\x02\x00",
     b"\x1dV\x01", b"\x1b@", b"\n"])), max_size=10))
def test_whatever_the_host_sends_the_printer_keeps_working(printer, chunks):
    for chunk in chunks:
        printer.receive(chunk)
    assert printer.wait_idle()
    assert not any("internal error" in note for note in printer.notes)
    printer.receive(b"\x1b@" + EOT[1])
    assert replies(printer, 1)


def test_a_power_cycle_discards_held_data_and_resets_modes(make_printer):
    sim = make_printer(dc4="no")
    sim.set_paper("out")
    sim.receive(bytes.fromhex("1D 61 0F") + job("陈旧的票") + BARRIER)
    assert held(sim, 5)
    sim.power_cycle()
    assert sim.status().buffered_ops == 0
    sim.set_paper("ok")
    assert sim.wait_idle() and no_more_output(sim) and not sim.tickets  # no ticket, no ASB, no GS r reply
