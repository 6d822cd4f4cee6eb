"""Every technician entry, exit and action is audited here and reported to the backend.

One transaction writes the local audit row and the outbox event, so the backend hears of
exactly what the kiosk keeps (BUSINESS class: never shed under a full disk). The detail holds
device ids, counter names, compartment numbers and outcomes, never personal data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

from intake import contract as c
from kiosk.backend.outbox import Outbox
from kiosk.store import Store

PREFIX = "tech."  # every technician event type starts with it


class TechAudit:
    def __init__(self, store: Store, outbox: Outbox | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.outbox = outbox
        self._clock = clock

    def record(self, actor: str, action: str, detail: Mapping[str, object] | None = None) -> None:
        """``action`` without the prefix, e.g. ``"mode.enter"`` or ``"check.external"``."""
        name = action if action.startswith(PREFIX) else PREFIX + action
        payload = {"technician": actor, **(detail or {})}
        with self.store.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)",
                       (self._clock(), actor, name, json.dumps(detail or {}, sort_keys=True, ensure_ascii=False)))
            if self.outbox is not None:
                self.outbox.record(db, name, c.EventClass.BUSINESS, payload)

    def recent(self, limit: int = 50) -> list[tuple[float, str, str, str]]:
        """(ts, actor, action, detail) of the latest technician actions, newest first."""
        return [tuple(r) for r in self.store.query(
            "SELECT ts, actor, action, detail FROM audit WHERE action LIKE ? ORDER BY id DESC LIMIT ?",
            (PREFIX + "%", limit))]
