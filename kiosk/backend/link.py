"""The backend link as the kiosk runs it: client, outbox, sender, ticket desk, and what feeds them.

* Device events from the bus become outbox events: state changes and status deltas as telemetry,
  faults (with their action hints) as business events, since a technician must hear of every one.
  Only these three kinds are bridged: card reads and other unsolicited device events can carry
  personal data and never leave the kiosk this way.
* A heartbeat every ``heartbeat_s`` (with the outbox backlog), and the device inventory whenever
  it changed since the backend last acknowledged it.
* Device statistics (the persisted counters) every ``statistics_s``, and health results whenever
  a check runs (:meth:`BackendLink.report_health`), as telemetry.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from intake import contract as c
from kiosk.backend.client import BackendClient, BackendError
from kiosk.backend.outbox import Outbox
from kiosk.backend.sender import Sender
from kiosk.backend.tickets import TicketDesk
from kiosk.bus import Envelope, EventBus

log = logging.getLogger(__name__)


def load_or_create_secret(path: Path) -> str:
    """The kiosk's backend secret (64 hex digits) from ``path``; created (0600) if absent."""
    from intake.signing import new_secret

    if path.exists():
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) != 64 or any(ch not in "0123456789abcdef" for ch in secret):
            raise ValueError(f"{path}: expected 64 lowercase hex digits (from `kiosk intake-server --provision`)")
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    fd = path.open("x", encoding="ascii")
    path.chmod(0o600)
    with fd:
        fd.write(secret + "\n")
    return secret


@dataclass(frozen=True)
class HeartbeatOutcome:
    """How the last heartbeat went (the technician's "is the backend reachable?")."""

    at: float  # wall clock, seconds since the epoch
    ok: bool
    error: str = ""  # short, what failed; never a URL's credentials nor a request body


_URL_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def _short_error(e: BaseException) -> str:
    if not isinstance(e, BackendError):  # a bug, not the link: its message may hold anything
        return f"internal error ({type(e).__name__})"
    return _URL_USERINFO.sub(r"\1***@", str(e))[:200]


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass
class BackendLink:
    client: BackendClient
    outbox: Outbox
    sender: Sender
    tickets: TicketDesk
    inventory: Callable[[], c.Inventory]
    software_version: str
    statistics: Callable[[], dict[str, dict[str, int]]] = dict
    heartbeat_s: float = 60.0
    statistics_s: float = 3600.0
    # the in-process reference server: started with the link, returns (url, stop)
    start_server: Callable[[], tuple[str, Callable[[], None]]] | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sent_inventory: c.Inventory | None = None
        self._started = time.monotonic()
        self._unsubscribe: list[Callable[[], None]] = []
        self._stop_server: Callable[[], None] | None = None
        self._heartbeat: HeartbeatOutcome | None = None  # None: not tried yet

    # -- the last heartbeat, for the technician's overview ---------------------------------------
    @property
    def last_heartbeat(self) -> HeartbeatOutcome | None:
        """The last heartbeat's outcome as one record (read it once: the fields belong together)."""
        return self._heartbeat

    @property
    def last_heartbeat_at(self) -> float | None:
        beat = self._heartbeat
        return None if beat is None else beat.at

    @property
    def last_heartbeat_ok(self) -> bool | None:
        beat = self._heartbeat
        return None if beat is None else beat.ok

    @property
    def last_heartbeat_error(self) -> str:
        beat = self._heartbeat
        return "" if beat is None else beat.error

    def attach(self, bus: EventBus) -> None:
        for prefix in ("device.state", "device.status", "device.fault"):
            self._unsubscribe.append(bus.subscribe(prefix, self._on_device_event))

    def _on_device_event(self, env: Envelope) -> None:
        e = env.payload
        if env.name == "device.state":
            self.outbox.record_now("device.state", c.EventClass.TELEMETRY, {
                "device": e.device_id, "state": _plain(e.state), "previous": _plain(e.previous), "reason": e.reason})
        elif env.name == "device.status":
            self.outbox.record_now("device.status", c.EventClass.TELEMETRY,
                                   {"device": e.device_id, "changes": _plain(e.delta)})
        elif env.name == "device.fault":
            f = e.fault
            self.outbox.record_now("device.fault", c.EventClass.BUSINESS, {
                "device": e.device_id, "code": f.code, "hint": _plain(f.hint), "text": f.text, "text_en": f.text_en})

    def report_health(self, device_id: str, result) -> None:
        """A health check's result (drivers.device.HealthResult) for the backend."""
        self.outbox.record_now("device.health", c.EventClass.TELEMETRY, {
            "device": device_id, "level": _plain(result.level), "ok": result.ok, "text": result.text,
            "details": dict(result.details)})

    def start(self) -> None:
        if self.start_server is not None:
            url, self._stop_server = self.start_server()
            self.client.set_base_url(url)
            log.info("reference intake server started", extra={"url": url})
        self.sender.start()
        self._thread = threading.Thread(target=self._beat, name="backend-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._stop.set()
        self.sender.stop()
        if self._thread is not None:  # a heartbeat in flight is left to its daemon thread (the 5 s stop)
            self._thread.join(timeout=0.5)
        self.client.close()
        if self._stop_server is not None:
            self._stop_server()

    def _beat(self) -> None:
        last_statistics = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - last_statistics >= self.statistics_s:
                last_statistics = time.monotonic()
                self.outbox.record_now("device.statistics", c.EventClass.TELEMETRY, {"devices": self.statistics()})
            try:
                inventory = self.inventory()
                if inventory != self._sent_inventory:
                    self.client.put_inventory(inventory)
                    self._sent_inventory = inventory
                self.client.heartbeat(c.Heartbeat(software_version=self.software_version,
                                                  uptime_s=time.monotonic() - self._started,
                                                  outbox_pending=self.outbox.stats().pending))
                self._heartbeat = HeartbeatOutcome(time.time(), True)
            except BackendError as e:
                self._heartbeat = HeartbeatOutcome(time.time(), False, _short_error(e))
                log.info("backend heartbeat failed", extra={"error": str(e)})
            except Exception as e:
                self._heartbeat = HeartbeatOutcome(time.time(), False, _short_error(e))
                log.exception("backend heartbeat failed")
            self._stop.wait(self.heartbeat_s)
