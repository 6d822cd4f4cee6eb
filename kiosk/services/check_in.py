"""预约签到: a booking code (scanned from a phone, or typed) becomes a priority queue number.

The backend knows the booking (``GET /appointments/{code}``); the kiosk judges the window: from
``early`` minutes before the slot to ``late`` minutes after its start a person checks in and gets
a number for the booked service (sent with the booking code, so the backend marks it). Earlier,
they are told when to come back; later, they are offered a normal number instead. With the
backend unreachable the kiosk cannot know the booking: it says so and offers a normal number.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from intake import contract as c
from kiosk.backend.client import BackendClient, BackendError
from kiosk.services.take_number import TakeNumber, TakeResult


class Booking(enum.StrEnum):
    ON_TIME = "on_time"
    TOO_EARLY = "too_early"
    LATE = "late"  # offer a normal number
    NOT_FOUND = "not_found"
    USED = "used"  # already checked in, or expired
    OFFLINE = "offline"  # the backend did not answer: offer a normal number


@dataclass(frozen=True)
class Lookup:
    booking: Booking
    appointment: c.Appointment | None = None
    come_back_at: str = ""  # HH:MM, for TOO_EARLY


class CheckIn:
    def __init__(self, client: BackendClient | None, take_number: TakeNumber, service_names: dict[str, str],
                 early_min: int = 30, late_min: int = 15, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.take_number = take_number
        self.service_names = service_names
        self.early_s, self.late_s = early_min * 60, late_min * 60
        self._clock = clock

    def look_up(self, code: str) -> Lookup:
        code = code.strip().upper()
        if self.client is None:
            return Lookup(Booking.OFFLINE)
        try:
            appointment = self.client.appointment(code)
        except BackendError:
            return Lookup(Booking.OFFLINE)
        if appointment is None:
            return Lookup(Booking.NOT_FOUND)
        if appointment.status is not c.AppointmentStatus.BOOKED:
            return Lookup(Booking.USED, appointment)
        now = self._clock()
        if now < appointment.starts_at - self.early_s:
            back = dt.datetime.fromtimestamp(appointment.starts_at - self.early_s)
            return Lookup(Booking.TOO_EARLY, appointment, f"{back:%H:%M}")
        if now > appointment.starts_at + self.late_s:
            return Lookup(Booking.LATE, appointment)
        return Lookup(Booking.ON_TIME, appointment)

    def check_in(self, lookup: Lookup) -> TakeResult:
        """The booked service's number, sent with the booking code (ON_TIME lookups only)."""
        if lookup.booking is not Booking.ON_TIME or lookup.appointment is None:
            raise ValueError("check_in needs an on-time booking")
        a = lookup.appointment
        return self.take_number.take(a.service_code, self.service_names.get(a.service_code, a.service_code),
                                     appointment_code=a.code)

    def normal_number(self, lookup: Lookup, fallback_service: str) -> TakeResult:
        """For a late arrival (or with the backend down): an ordinary number for the service."""
        service = lookup.appointment.service_code if lookup.appointment else fallback_service
        return self.take_number.take(service, self.service_names.get(service, service))
