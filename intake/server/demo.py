"""Demo data for a new data directory: appointments for today and locker cases.

So that a kiosk pointed at a fresh reference server has something to check in and deposit:
appointment codes YY0001–YY0005 and cases BJ2026-0001–BJ2026-0005. Recipient hashes stand in
for HMAC-SHA256(hall key, ID number) of demo people; no real ID number is behind them.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from devicecfg import KioskConfig
from devicecfg.schema import ServiceKind
from intake.server.business_day import BusinessDays
from intake.server.db import Database
from intake.server.lockers import PENDING

DEMO_APPOINTMENTS = ("YY0001", "YY0002", "YY0003", "YY0004", "YY0005")
_MASKED_NAMES = ("张*", "李*", "王*", "刘*", "陈*")
DEMO_CASES = ("BJ2026-0001", "BJ2026-0002", "BJ2026-0003", "BJ2026-0004", "BJ2026-0005")


def demo_recipient_hash(case_number: str) -> str:
    """The id_hash a kiosk would send for the demo recipient of ``case_number``."""
    return hashlib.sha256(f"demo recipient of {case_number}".encode()).hexdigest()


def seed_demo(db: Database, catalogue: KioskConfig, days: BusinessDays, now: float) -> None:
    """Insert the demo appointments (today's business day, half-hour slots from 09:00) and cases.

    Appointments go to the catalogue's queue services (not to 帮办 help requests). Existing rows
    are left alone, so seeding twice changes nothing. ``create_app`` calls this once per data
    directory (the ``meta`` table remembers).
    """
    services = catalogue.services()
    queue = [s.code for s in services if s.kind is ServiceKind.QUEUE] or [s.code for s in services]
    day = days.of(now)
    with db.transaction() as c:
        for i, code in enumerate(DEMO_APPOINTMENTS):
            start = days.at(day, (dt.datetime(2000, 1, 1, 9) + dt.timedelta(minutes=30 * i)).time())
            c.execute(
                "INSERT OR IGNORE INTO appointments (code, service_code, starts_at, ends_at, status, name_masked) "
                "VALUES (?, ?, ?, ?, 'booked', ?)",
                (code, queue[i % len(queue)], start, start + 30 * 60, _MASKED_NAMES[i]),
            )
        for case_number in DEMO_CASES:
            c.execute("INSERT OR IGNORE INTO cases (case_number, recipient_hash, status, updated_at) VALUES (?,?,?,?)",
                      (case_number, demo_recipient_hash(case_number), PENDING, now))
        c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo_seeded', ?)", (days.of(now),))
