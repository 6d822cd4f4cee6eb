"""Appointments (预约) as booked elsewhere; a kiosk looks one up by its code to check in."""

from __future__ import annotations

from intake.contract import Appointment, AppointmentStatus
from intake.server.business_day import BusinessDays
from intake.server.db import Database
from intake.server.problems import ProblemError


def lookup(db: Database, days: BusinessDays, code: str, now: float) -> Appointment:
    rows = db.query("SELECT * FROM appointments WHERE code = ?", (code,))
    if not rows:
        raise ProblemError(404, "unknown appointment", "no appointment has this code")
    row = rows[0]
    status = AppointmentStatus(row["status"])
    # A booking not checked in by the end of its business day has lapsed; within the day the
    # kiosk decides about lateness (it sees starts_at and ends_at).
    if status is AppointmentStatus.BOOKED and days.of(row["starts_at"]) < days.of(now):
        status = AppointmentStatus.EXPIRED
    return Appointment(code=row["code"], service_code=row["service_code"], starts_at=row["starts_at"],
                       ends_at=row["ends_at"], status=status, name_masked=row["name_masked"])
