"""Nightly maintenance (`kiosk maintenance`, run by kiosk-maintenance.timer): what the running
kiosk's sender also does every 10 minutes (kiosk/backend/sender.py `housekeeping`), for a kiosk
that was down or restarting all day, plus a WAL checkpoint so the database file does not carry
a day's journal. Safe next to a running kiosk: SQLite WAL, each purge one short transaction.

Not here: the start-up sweep of half-written materials (Materials.sweep), which would delete a
capture the running kiosk is writing; log rotation, which is journald's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from devicecfg.schema import KioskConfig
from kiosk.backend.outbox import Outbox
from kiosk.materials import Materials
from kiosk.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MaintenanceReport:
    events_purged: int
    materials_purged: int
    retention_h: float

    def __str__(self) -> str:
        return (f"maintenance: {self.events_purged} delivered event(s) and {self.materials_purged} uploaded "
                f"material(s) older than {self.retention_h:g} h purged; database checkpointed")


def run_maintenance(config: KioskConfig, directory: Path) -> MaintenanceReport:
    retention_s = config.backend.retention_h * 3600
    store = Store(directory / "kiosk.sqlite3")
    try:
        events = Outbox(store, config.backend.outbox_budget_mb * 1024 * 1024).purge_delivered(retention_s)
        materials = 0
        if (directory / "materials").is_dir():  # a site that removed its camera may still hold files
            materials = Materials(store, directory).purge_uploaded(retention_s)
        store.query("PRAGMA wal_checkpoint(TRUNCATE)")
        store.query("PRAGMA optimize")
    finally:
        store.close()
    report = MaintenanceReport(events, materials, config.backend.retention_h)
    log.info("maintenance done", extra={"events_purged": events, "materials_purged": materials})
    return report
