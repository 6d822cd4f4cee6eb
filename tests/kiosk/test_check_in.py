"""预约签到 against the in-process reference server's demo bookings, on the simulated hall."""

from __future__ import annotations

from kiosk.services.check_in import Booking, CheckIn
from kiosk.services.take_number import TakeStatus


def _at(kiosk, offset_s: float, code: str = "YY0001") -> CheckIn:
    """The kiosk's check-in with its clock set `offset_s` from the booking's start."""
    booking = kiosk.backend.client.appointment(code)
    assert booking is not None
    base = kiosk.check_in
    return CheckIn(base.client, base.take_number, base.service_names, 30, 15, clock=lambda: booking.starts_at + offset_s)


def test_on_time_booking_gets_a_priority_number_for_its_service(hall):
    check_in = _at(hall, -10 * 60)
    found = check_in.look_up("yy0001")  # case does not matter
    assert found.booking is Booking.ON_TIME and found.appointment.name_masked.endswith("*")
    result = check_in.check_in(found)
    assert result.status is TakeStatus.PRINTED and result.priority
    assert result.ticket.service_code == found.appointment.service_code
    sent = hall.store.query("SELECT payload FROM outbox WHERE type = 'ticket.issued'")
    assert '"appointment_code":"YY0001"' in sent[-1][0]


def test_early_late_unknown_and_offline(hall):
    early = _at(hall, -2 * 3600).look_up("YY0001")
    assert early.booking is Booking.TOO_EARLY and len(early.come_back_at) == 5
    late_check_in = _at(hall, 40 * 60)
    late = late_check_in.look_up("YY0001")
    assert late.booking is Booking.LATE
    normal = late_check_in.normal_number(late, "unused")
    assert normal.status is TakeStatus.PRINTED and not normal.priority  # a normal number instead
    assert _at(hall, 0).look_up("YY9999").booking is Booking.NOT_FOUND
    hall.backend.client.set_base_url("http://127.0.0.1:9")  # the link is down
    assert hall.check_in.look_up("YY0001").booking is Booking.OFFLINE
