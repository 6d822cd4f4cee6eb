"""The kiosk's outbox, received: each event stored once, and the few the backend acts on.

An event is unique on (kiosk_id, key): the kiosk resends until acked, so a repeat is acked
again but neither stored nor acted on twice. Acting on an event happens in the same
transaction as storing it, so an ack always means both.

Events acted on:
  * ``ticket.issued`` {number, service_code, business_day}: the hall's ticket table
    (:func:`intake.server.tickets.record_kiosk_ticket`);
  * ``locker.deposit`` / ``locker.pickup`` carrying a ``case_number``: the case's state
    (:mod:`intake.server.lockers`);
  * ``diagnostics.bundle`` (contract.DiagnosticsBundle): the zip is kept for the staff and the
    event stored without its content (:mod:`intake.server.bundles`).
"""

from __future__ import annotations

from intake.contract import BUNDLE_EVENT, EventBatch
from intake.server import bundles, lockers, tickets
from intake.server.db import Database
from intake.server.kiosks import as_json


def receive(db: Database, kiosk_id: str, batch: EventBatch, now: float) -> list[str]:
    with db.transaction() as c:
        for event in batch.events:
            payload, bundle, content, refused = event.payload, None, None, ""
            if event.type == BUNDLE_EVENT:
                payload, bundle, content, refused = bundles.unpack(event.payload)
            inserted = c.execute(
                "INSERT INTO events (kiosk_id, key, seq, type, class, time, payload, received_at) "
                "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (kiosk_id, key) DO NOTHING",
                (kiosk_id, event.key, event.seq, event.type, event.event_class.value, event.time,
                 as_json(payload), now),
            ).rowcount
            if not inserted:
                continue
            if event.type == BUNDLE_EVENT:
                if bundle is not None and content is not None:
                    bundles.keep(c, db, kiosk_id, event.key, event.time, bundle, content, now)
                else:
                    bundles.reject(c, kiosk_id, event.key, refused, now)
            elif event.type == "ticket.issued":
                tickets.record_kiosk_ticket(c, kiosk_id, event.key, event.time, event.payload, now)
            elif event.type in ("locker.deposit", "locker.pickup"):
                lockers.apply_event(c, kiosk_id, event.type, event.payload, now)
    return [event.key for event in batch.events]
