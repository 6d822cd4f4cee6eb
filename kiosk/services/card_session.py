"""One ID-card read for a journey: arm the reader, hand back the identity or the problem, disarm.

The identity's personal values are registered with the log redactor from the moment the card is
read until :meth:`CardSession.close` (the journey's end, or the idle reset), so no log line in
between can carry them unmasked. Callbacks run on the bus publisher's thread (the reader's): a UI
hands them over to its own thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.bus import Envelope, EventBus
from kiosk.logs import SENSITIVE

log = logging.getLogger(__name__)


class CardSession:
    def __init__(self, bus: EventBus, reader: Any) -> None:
        self._bus = bus
        self._reader = reader  # an armable ID card reader (drivers.idcard.reader.IdCardReader)
        self._unsubscribe: list[Callable[[], None]] = []
        self._held: tuple[str, ...] = ()
        self.identity = None

    def start(self, on_read: Callable[[Any], None], on_problem: Callable[[str, str], None]) -> None:
        """Arm the reader; ``on_read(identity)`` once a card is read, ``on_problem(zh, en)`` when a
        card cannot be read (the reader stays armed for another try after a failed read)."""
        def read(env: Envelope) -> None:
            identity = env.payload.identity
            self._held = identity.personal_values()
            SENSITIVE.add(*self._held)
            self.identity = identity
            on_read(identity)

        def problem(env: Envelope) -> None:
            on_problem(env.payload.text, env.payload.text_en)

        self._unsubscribe = [
            self._bus.subscribe("idcard.card_read", read),
            self._bus.subscribe("idcard.card_rejected", problem),
            self._bus.subscribe("idcard.read_failed", problem),
        ]
        self._reader.arm()

    def close(self) -> None:
        """Disarm, stop listening, forget the identity (and let the redactor forget it too)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        try:
            self._reader.disarm()
        except Exception:  # the reader may be gone: the session ends all the same
            log.debug("reader disarm failed", exc_info=True)
        if self._held:
            SENSITIVE.discard(*self._held)
        self._held = ()
        self.identity = None
