"""Which business day a moment belongs to.

A hall's day does not end at midnight: a ticket printed at 01:30 by a kiosk left on overnight
belongs to the previous day's queue, whose numbers restart only when the hall's day starts
(``day_starts_at``, 04:00 by default). Dates are local (the hall's clock), never UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]  # Unix seconds; injectable so tests can cross a day boundary

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_day_start(text: str) -> dt.time:
    m = _HHMM.fullmatch(text)
    if not m:
        raise ValueError(f"day_starts_at must be HH:MM (00:00–23:59), got {text!r}")
    return dt.time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class BusinessDays:
    starts_at: dt.time
    tz: dt.tzinfo | None = None  # None: the server's local time zone

    def local(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, self.tz)

    def of(self, ts: float) -> str:
        """ISO date of the business day containing ``ts``."""
        moment = self.local(ts)
        day = moment.date()
        if moment.time().replace(tzinfo=None) < self.starts_at:
            day -= dt.timedelta(days=1)
        return day.isoformat()

    def at(self, day: str, clock_time: dt.time) -> float:
        """Unix seconds of a wall-clock time on a (calendar) date, e.g. an appointment slot."""
        naive = dt.datetime.combine(dt.date.fromisoformat(day), clock_time)
        return (naive.replace(tzinfo=self.tz) if self.tz else naive).timestamp()
