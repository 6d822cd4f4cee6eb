"""The device model every kind shares (vocabulary from XFS4IoT and UnifiedPOS, architecture.md).

A driver owns one transport and one codec, keeps a typed status, and reports what changes
through a listener callback: it knows nothing of the event bus, the UI or the backend.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from drivers.errors import TransportError
from drivers.transport import SerialSettings, Transport, open_transport
from drivers.transport.tap import Tap, TapTransport


class DeviceKind(enum.StrEnum):
    PRINTER = "printer"
    IDCARD = "idcard"
    CAMERA = "camera"
    LOCKER = "locker"


class DeviceState(enum.StrEnum):
    STARTING = "starting"
    ONLINE = "online"
    OFFLINE = "offline"  # configured and known, but not answering
    NO_DEVICE = "no_device"  # the port is not there at all
    BUSY = "busy"
    USER_ERROR = "user_error"  # a person can fix it (paper out, cover open)
    HARDWARE_ERROR = "hardware_error"  # needs maintenance (cutter jam)
    POWER_OFF = "power_off"

    @property
    def usable(self) -> bool:
        return self in (DeviceState.ONLINE, DeviceState.BUSY)


class ActionHint(enum.StrEnum):
    RESET = "reset"
    MAINTENANCE = "maintenance"  # call staff
    CLEAR = "clear"  # e.g. remove a card, close a cover
    CONFIGURATION = "configuration"


# The answer of a device to a health level it has no check for; not a fault of the device.
UNSUPPORTED_LEVEL_EN = "this level is not supported by the device"


class HealthLevel(enum.StrEnum):
    INTERNAL = "internal"  # no physical effect; at start-up and periodically
    EXTERNAL = "external"  # acts: test ticket, test frame, door cycle (technician mode only)
    INTERACTIVE = "interactive"  # a person follows steps


@dataclass(frozen=True)
class HealthResult:
    level: HealthLevel
    ok: bool
    text: str  # plain language for the technician, Chinese first
    text_en: str = ""
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeviceInfo:
    """Capabilities and identity, as far as the device tells them."""

    kind: DeviceKind
    model: str
    firmware: str | None = None
    serial_number: str | None = None
    capabilities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DeviceFault:
    """An error with what to do about it. `text` is for people and carries no personal data."""

    code: str
    hint: ActionHint
    text: str
    text_en: str = ""


@dataclass(frozen=True)
class DeviceStatus:
    """Base of each kind's status: every field is a small enum that includes UNKNOWN, and
    defaults to it."""

    def delta(self, previous: DeviceStatus | None) -> dict[str, enum.Enum]:
        """The fields that differ from `previous` (all fields when there is none)."""
        mine = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if previous is None:
            return mine
        return {k: v for k, v in mine.items() if getattr(previous, k) != v}

    @classmethod
    def unknown(cls) -> DeviceStatus:
        """What we know of a device that does not answer. By convention every field's default
        is its unknown value (an enum's UNKNOWN, or None)."""
        return cls()


# What a driver tells its listener.
@dataclass(frozen=True)
class StateChanged:
    device_id: str
    state: DeviceState
    previous: DeviceState
    reason: str = ""


@dataclass(frozen=True)
class StatusChanged:
    device_id: str
    delta: dict[str, enum.Enum]


@dataclass(frozen=True)
class FaultRaised:
    device_id: str
    fault: DeviceFault


@dataclass(frozen=True)
class Unsolicited:
    """A kind-specific event (XFS4IoT's unsolicited events), e.g. "idcard.card_read"."""

    device_id: str
    name: str
    payload: Any = None


DeviceEvent = StateChanged | StatusChanged | FaultRaised | Unsolicited
Listener = Callable[[DeviceEvent], None]


class Statistics:
    """Named counters. The driver counts; the kiosk persists them across restarts."""

    COMMON = ("communication_errors", "operations_ok", "operations_failed", "opens")

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {n: 0 for n in (*self.COMMON, *names)}

    def incr(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + by

    def load(self, counts: dict[str, int]) -> None:
        with self._lock:
            self._counts.update(counts)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts = dict.fromkeys(self._counts, 0)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.snapshot().items())


class Device(ABC):
    """One device on one port. The supervisor calls open/poll/close from one worker thread.

    Subclasses implement `_identify` (after the port opens: read model/firmware, first status)
    and `_poll` (refresh status); both raise TransportError when the link is gone.
    """

    kind: ClassVar[DeviceKind]
    status_type: ClassVar[type[DeviceStatus]]
    counters: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        device_id: str,
        port: str,
        *,
        model: str = "",
        serial: SerialSettings | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.device_id = device_id
        self.port = port
        self.model = model
        self._serial = serial
        self._listener = listener
        self._transport: Transport | None = None
        self._state = DeviceState.STARTING
        self._status: DeviceStatus = self.status_type.unknown()
        self.info = DeviceInfo(kind=self.kind, model=model)
        self.stats = Statistics(self.counters)
        self.io_lock = threading.RLock()  # one command in flight
        self.wake = threading.Event()  # set to make the supervisor poll now (e.g. on arming)
        self._tap: Tap | None = None

    # -- what the rest of the kiosk reads -------------------------------------------------
    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def status(self) -> DeviceStatus:
        return self._status

    @property
    def is_open(self) -> bool:
        return self._transport is not None and self._transport.is_open

    def poll_interval(self, configured: float) -> float:
        """Seconds until the next poll; a driver may poll faster while a flow waits on it."""
        return configured

    def set_listener(self, listener: Listener | None) -> None:
        self._listener = listener

    @property
    def listener(self) -> Listener | None:
        return self._listener

    def set_tap(self, tap: Tap | None) -> None:
        """Report every byte on this device's transport to `tap` (a live trace), or stop.
        Takes effect at once if the port is open, and on every later open."""
        with self.io_lock:
            self._tap = tap
            if self._transport is not None:
                inner = self._transport.inner if isinstance(self._transport, TapTransport) else self._transport
                self._transport = TapTransport(inner, tap) if tap is not None else inner

    # -- lifecycle --------------------------------------------------------------------------
    def open(self) -> None:
        with self.io_lock:
            self.close()
            try:
                self._transport = open_transport(self.port, self._serial)
                if self._tap is not None:
                    self._transport = TapTransport(self._transport, self._tap)
                # STARTING until _identify says otherwise (a driver that reports nothing is
                # taken as online by the supervisor once open() returns)
                self.set_state(DeviceState.STARTING, "port open")
                self._identify(self._transport)
            except TransportError:
                self.stats.incr("communication_errors")
                self.close()
                raise
            self.stats.incr("opens")

    def poll(self) -> None:
        with self.io_lock:
            if self._transport is None:
                raise RuntimeError(f"{self.device_id}: poll() before open()")
            try:
                self._poll(self._transport)
            except TransportError:
                self.stats.incr("communication_errors")
                raise

    def close(self) -> None:
        with self.io_lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None

    def check_health(self, level: HealthLevel) -> HealthResult:
        """Default internal check: a status round-trip. Kinds add external and interactive checks."""
        if level is not HealthLevel.INTERNAL:
            return HealthResult(level, False, "此设备暂不支持该级别的检测", UNSUPPORTED_LEVEL_EN)
        started = time.monotonic()
        try:
            if not self.is_open:
                self.open()
            self.poll()
        except TransportError as e:
            return HealthResult(level, False, f"设备无应答：{e}", f"no answer: {e}")
        ms = (time.monotonic() - started) * 1000
        return HealthResult(
            level, True, f"通信正常，往返 {ms:.0f} 毫秒", f"link ok, round trip {ms:.0f} ms", (("round_trip_ms", f"{ms:.0f}"),)
        )

    # -- for subclasses ---------------------------------------------------------------------
    @abstractmethod
    def _identify(self, transport: Transport) -> None: ...

    @abstractmethod
    def _poll(self, transport: Transport) -> None: ...

    def set_state(self, state: DeviceState, reason: str = "") -> None:
        previous, self._state = self._state, state
        if previous != state:
            self._emit(StateChanged(self.device_id, state, previous, reason))

    def set_status(self, status: DeviceStatus) -> None:
        delta = status.delta(self._status)
        self._status = status
        if delta:
            self._emit(StatusChanged(self.device_id, delta))

    def raise_fault(self, fault: DeviceFault) -> None:
        self._emit(FaultRaised(self.device_id, fault))

    def notify(self, name: str, payload: Any = None) -> None:
        self._emit(Unsolicited(self.device_id, name, payload))

    def _emit(self, event: DeviceEvent) -> None:
        if self._listener is not None:
            self._listener(event)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.device_id} {self.port} {self._state}>"


