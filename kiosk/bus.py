"""In-process publish/subscribe with one envelope for everything (after XFS4IoT's message model).

Delivery is synchronous in the publisher's thread; a subscriber that needs another thread
(the Kivy UI) hands the envelope over itself (ui/ uses Clock.schedule_once). A subscriber that
raises is logged and does not stop delivery to the others.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


class MessageType(enum.StrEnum):
    COMMAND = "command"
    ACKNOWLEDGE = "acknowledge"
    EVENT = "event"
    COMPLETION = "completion"
    UNSOLICITED = "unsolicited"


@dataclass(frozen=True)
class Envelope:
    name: str  # dotted, e.g. "device.state", "device.status", "ticket.issued"
    type: MessageType
    payload: Any
    seq: int
    timestamp: float  # wall clock, seconds since the epoch
    request_id: str | None = None
    source: str = ""  # e.g. the device id


Handler = Callable[[Envelope], None]


@dataclass
class _Subscription:
    prefix: str
    handler: Handler
    active: bool = field(default=True)


class EventBus:
    def __init__(self) -> None:
        self._subs: list[_Subscription] = []
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    def subscribe(self, prefix: str, handler: Handler) -> Callable[[], None]:
        """Receive every envelope whose name is `prefix` or starts with `prefix.` ("" for all).

        Returns a function that unsubscribes.
        """
        sub = _Subscription(prefix, handler)
        with self._lock:
            self._subs.append(sub)

        def unsubscribe() -> None:
            sub.active = False
            with self._lock:
                if sub in self._subs:
                    self._subs.remove(sub)

        return unsubscribe

    def publish(
        self,
        name: str,
        payload: Any = None,
        *,
        type: MessageType = MessageType.EVENT,
        source: str = "",
        request_id: str | None = None,
    ) -> Envelope:
        with self._lock:
            env = Envelope(name, type, payload, next(self._seq), time.time(), request_id, source)
            subs = [s for s in self._subs if _matches(s.prefix, name)]
        for sub in subs:
            if not sub.active:
                continue
            try:
                sub.handler(env)
            except Exception:
                log.exception("bus subscriber failed", extra={"event": name, "seq": env.seq})
        return env


def _matches(prefix: str, name: str) -> bool:
    return not prefix or name == prefix or name.startswith(prefix + ".")
