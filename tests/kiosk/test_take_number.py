"""取号 on the simulated hall, end to end: the real printer and ID card simulators, the real
composition, the in-process reference intake server."""

from __future__ import annotations

import datetime as dt

from drivers.sim import registry
from kiosk.services.take_number import TakeStatus, age_on
from tests.kiosk.conftest import read_card
from tests.support import wait_for


def _service(kiosk):
    group = kiosk.config.service_groups[0]
    return group.services[0].code, group.services[0].name


def test_number_printed_without_a_card(hall):
    code, name = _service(hall)
    result = hall.take_number.take(code, name)
    assert result.status is TakeStatus.PRINTED and not result.priority
    sim = registry.simulator_for("printer", {})
    assert wait_for(lambda: sim.tickets, 5)  # the simulator saves what it cut, then lists it
    printed = sim.tickets
    assert printed[-1].complete
    assert any(result.ticket.number in line for line in printed[-1].lines)  # the number on the paper
    assert result.ticket.source.value == "backend"


def test_elder_gets_priority_and_one_waiting_number_per_service(hall):
    code, name = _service(hall)
    elder = read_card(hall, 0)  # born 1949
    assert age_on(elder.birth_date, dt.date.today()) >= 60
    first = hall.take_number.take(code, name, elder)
    assert first.status is TakeStatus.PRINTED and first.priority
    again = hall.take_number.take(code, name, elder)
    assert again.status is TakeStatus.ALREADY_WAITING and again.ticket.number == first.ticket.number
    assert "补打" in again.todo or "reprint" in again.todo_en
    reprint = hall.take_number.reprint(again.ticket, name)
    assert reprint.status is TakeStatus.PRINTED
    younger = read_card(hall, 1)  # born 1985: a normal number, and a new one
    other = hall.take_number.take(code, name, younger)
    assert other.status is TakeStatus.PRINTED and not other.priority and other.ticket.number != first.ticket.number


def test_paper_out_voids_the_number_and_says_what_to_do(hall):
    code, name = _service(hall)
    registry.simulator_for("printer", {}).set_paper("out")
    result = hall.take_number.take(code, name)
    assert result.status is TakeStatus.PRINT_FAILED and result.ticket is None
    assert "纸" in result.reason and result.todo
    # the backend hears that the number never reached anyone
    assert hall.store.query("SELECT COUNT(*) FROM outbox WHERE type = 'ticket.voided'") == [(1,)]
