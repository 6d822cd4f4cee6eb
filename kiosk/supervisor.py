"""Device supervision: open each device, poll it, re-open it after a disconnect with back-off.

One worker thread per device, so a device that hangs until its timeout, or a driver that
raises something unexpected, never holds up another device or the UI thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.device import (
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceState,
    FaultRaised,
    StateChanged,
    StatusChanged,
    Unsolicited,
)
from drivers.errors import PortNotFound, TransportError
from kiosk.bus import EventBus, MessageType
from kiosk.services.availability import DeviceSnapshot
from kiosk.store import Store

log = logging.getLogger(__name__)

_DOWN = (DeviceState.OFFLINE, DeviceState.NO_DEVICE)


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0

    def delays(self) -> Iterable[float]:
        delay = self.initial
        while True:
            # ±20 % jitter so that devices on one USB hub do not retry in lock-step
            yield delay * random.uniform(0.8, 1.2)
            delay = min(delay * self.factor, self.maximum)


@dataclass(frozen=True)
class Unbuilt:
    """A configured device the kiosk could not build (no driver for its kind yet, bad profile)."""

    device_id: str
    kind: DeviceKind
    reason: str


class Supervisor:
    STATS_SAVE_INTERVAL = 60.0

    def __init__(
        self,
        devices: Iterable[Device],
        bus: EventBus,
        store: Store | None = None,
        *,
        poll_intervals: dict[str, float] | None = None,
        backoff: Backoff = Backoff(),
        unbuilt: Iterable[Unbuilt] = (),
        stuck_after: float | None = None,
    ) -> None:
        self.devices = {d.device_id: d for d in devices}
        self.unbuilt = list(unbuilt)
        self.bus = bus
        self.store = store
        self.poll_intervals = poll_intervals or {}
        self.backoff = backoff
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stats_lock = threading.Lock()  # a snapshot and its save, apart from a reset and its save
        # Each worker stamps its loop; a worker silent for longer than any wait it makes (back-off,
        # poll interval) plus generous time for a bounded device call is stuck (a driver call
        # without a timeout) or dead, and the systemd watchdog stops (kiosk/watchdog.py).
        longest_wait = max([2 * backoff.maximum, *self.poll_intervals.values()])
        self.stuck_after = stuck_after if stuck_after is not None else longest_wait + 60.0
        self._turns: dict[str, float] = {}
        for device in self.devices.values():
            device.set_listener(self._forward)
            if store is not None:
                device.stats.load(store.load_statistics(device.device_id))

    # -- what others read -------------------------------------------------------------------
    def snapshot(self) -> list[DeviceSnapshot]:
        built = [DeviceSnapshot(d.device_id, d.kind, d.state) for d in self.devices.values()]
        return built + [DeviceSnapshot(u.device_id, u.kind, DeviceState.NO_DEVICE) for u in self.unbuilt]

    def stuck(self) -> str | None:
        """A watchdog liveness check: None while every worker turns, else which ones do not."""
        now = time.monotonic()
        late = sorted(d for d, t in self._turns.items() if now - t > self.stuck_after)
        return f"device workers stuck for > {self.stuck_after:.0f} s: {', '.join(late)}" if late else None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        for u in self.unbuilt:
            log.warning("device not built", extra={"device": u.device_id, "reason": u.reason})
        for device in self.devices.values():
            self._turns[device.device_id] = time.monotonic()
            t = threading.Thread(target=self._run, args=(device,), name=f"dev-{device.device_id}", daemon=True)
            self._threads.append(t)
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for device in self.devices.values():
            device.wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        self._turns.clear()
        for device in self.devices.values():
            self._save_stats(device)

    # -- the per-device loop ----------------------------------------------------------------
    def _run(self, device: Device) -> None:
        delays = iter(self.backoff.delays())
        last_save = time.monotonic()
        while not self._stop.is_set():
            self._turns[device.device_id] = time.monotonic()
            try:
                device.open()
            except TransportError as e:
                self._link_down(device, e)
                self._pause(device, next(delays))
                continue
            except Exception:
                log.exception("driver failed to open", extra={"device": device.device_id})
                device.set_state(DeviceState.HARDWARE_ERROR, "driver error while opening")
                self._pause(device, next(delays))
                continue
            if device.state is DeviceState.STARTING:
                device.set_state(DeviceState.ONLINE, "opened")
            delays = iter(self.backoff.delays())
            online_since = time.monotonic()
            configured = self.poll_intervals.get(device.device_id, 2.0)
            while True:
                self._turns[device.device_id] = time.monotonic()
                device.wake.wait(device.poll_interval(configured))
                device.wake.clear()
                if self._stop.is_set():
                    break
                try:
                    device.poll()
                except TransportError as e:
                    self._link_down(device, e)
                    break
                except Exception:
                    log.exception("driver failed to poll", extra={"device": device.device_id})
                    device.set_state(DeviceState.OFFLINE, "driver error while polling")
                    break
                if time.monotonic() - last_save > self.STATS_SAVE_INTERVAL:
                    device.stats.incr("powered_seconds", int(time.monotonic() - online_since))
                    online_since, last_save = time.monotonic(), time.monotonic()
                    self._save_stats(device)
            device.stats.incr("powered_seconds", int(time.monotonic() - online_since))
            device.close()
        device.close()

    def _link_down(self, device: Device, e: TransportError) -> None:
        """A port failure (unplugged, powered off, not answering) is the device's state, not a bug:
        one WARNING line when the link goes, none for each retry while it stays down, and no
        traceback (a driver bug, anything else raised, is logged with one in _run)."""
        state = DeviceState.NO_DEVICE if isinstance(e, PortNotFound) else DeviceState.OFFLINE
        if device.state not in _DOWN:
            log.warning("device link down", extra={"device": device.device_id, "state": str(state), "reason": str(e)})
        device.set_state(state, str(e))

    def _pause(self, device: Device, seconds: float) -> None:
        device.wake.wait(seconds)  # stop() sets every device's wake event
        device.wake.clear()

    def _save_stats(self, device: Device) -> None:
        if self.store is None:
            return
        try:
            with self._stats_lock:
                self.store.save_statistics(device.device_id, device.stats.snapshot())
        except Exception:
            log.exception("could not save statistics", extra={"device": device.device_id})

    def reset_statistics(self, device: Device) -> dict[str, int]:
        """Zero the device's counters and persist the zeros, so that neither a restart nor a
        periodic save taken just before brings the old values back; the values it had."""
        with self._stats_lock:
            before = device.stats.snapshot()
            device.stats.reset()
            if self.store is not None:
                self.store.save_statistics(device.device_id, device.stats.snapshot())
        return before

    def _forward(self, event: DeviceEvent) -> None:
        match event:
            case StateChanged():
                log.info(
                    "device state",
                    extra={"device": event.device_id, "state": str(event.state), "previous": str(event.previous), "reason": event.reason},
                )
                self.bus.publish("device.state", event, source=event.device_id)
            case StatusChanged():
                self.bus.publish("device.status", event, source=event.device_id)
            case FaultRaised():
                log.warning(
                    "device fault",
                    extra={"device": event.device_id, "fault_code": event.fault.code, "hint": str(event.fault.hint)},
                )
                self.bus.publish("device.fault", event, source=event.device_id)
            case Unsolicited():
                # payloads may hold personal data (an Identity masks itself); never logged here
                self.bus.publish(event.name, event.payload, type=MessageType.UNSOLICITED, source=event.device_id)
