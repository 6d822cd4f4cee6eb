"""The recent problems of each device, as a technician's screen shows them.

`FaultHistory` listens on the kiosk's event bus from the composition root on: every fault a driver
raises ("device.fault", with the driver's own words and action hint) and every change into a state
that keeps a device from serving ("device.state": offline, no_device, hardware_error, user_error,
power_off; worded as the health checks word them, `_STATE_PROBLEMS` in health.py). It keeps the
last `keep` per device in memory; a problem that repeats right after itself (a device that stays
unplugged while the supervisor retries) is one entry with a count, not twenty.

Fault texts come from the drivers and carry no personal data; state reasons (transport errors)
can name a port or a URL, so any credentials in a URL are stripped before they are kept.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from drivers.device import ActionHint, DeviceState, FaultRaised, StateChanged
from kiosk.bus import Envelope, EventBus
from kiosk.diagnostics.health import _STATE_PROBLEMS
from kiosk.logs import redact

# States recorded as problems (STARTING and BUSY are passing states, not problems).
RECORDED_STATES = frozenset({DeviceState.OFFLINE, DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR,
                             DeviceState.USER_ERROR, DeviceState.POWER_OFF})
# Faults after which the device still serves (a near-end paper roll): shown, never the main problem.
WARNINGS = frozenset({"paper_near_end"})
SEVERITY = {ActionHint.CLEAR: 1, ActionHint.RESET: 2, ActionHint.MAINTENANCE: 3, ActionHint.CONFIGURATION: 4}


@dataclass(frozen=True)
class RecordedFault:
    ts: float  # wall clock of the latest occurrence
    device_id: str
    code: str  # the driver's fault code, or the state's value for a state record ("offline")
    hint: ActionHint
    text: str  # Chinese, for the technician; never personal data
    text_en: str
    repeats: int = 1  # occurrences in a row (the same problem again, with nothing else between)
    from_state: bool = False  # a state record rather than a fault the driver raised

    @property
    def warning(self) -> bool:
        return self.code in WARNINGS


_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")
_URL_SECRET_PARAM = re.compile(r"(?i)([?&](?:token|key|secret|password|passwd|pwd|auth|signature|sig)=)[^&\s#]*")


def scrub(text: str, limit: int = 300) -> str:
    """A driver's or transport's message made fit for a technician's screen: credentials in URLs
    (``rtsp://user:pass@…``, ``?token=…``) removed, personal data masked (the log redactor), bounded."""
    text = _URL_USERINFO.sub(r"\g<scheme>***@", text)
    text = _URL_SECRET_PARAM.sub(r"\1***", text)
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_problem(device_id: str, state: DeviceState, reason: str = "", ts: float = 0.0) -> RecordedFault | None:
    """The problem a state is (None for a state that serves), worded as the health checks word it."""
    if state.usable:
        return None
    hint, text, text_en = _STATE_PROBLEMS.get(state, (ActionHint.MAINTENANCE, "设备不可用", "device not usable"))
    reason = scrub(reason, 160) if reason else ""
    return RecordedFault(ts, device_id, state.value, hint, f"{text}（{reason}）" if reason else text,
                         f"{text_en} ({reason})" if reason else text_en, from_state=True)


def main_problem(faults: list[RecordedFault], state: DeviceState) -> RecordedFault | None:
    """Of the problems recorded since a device last served (newest first), the one that explains
    its present `state`: a lost link (offline, no device, power off) is itself the problem; for a
    user or hardware error the driver's own fault says more (the most serious, then the newest)
    than the state does. None when the history holds nothing that fits."""
    if state.usable:
        return None
    if state in (DeviceState.OFFLINE, DeviceState.NO_DEVICE, DeviceState.POWER_OFF, DeviceState.STARTING):
        return next((f for f in faults if f.from_state and f.code == state.value), None)
    raised = [f for f in faults if not f.from_state and not f.warning]
    if raised:
        best = max(SEVERITY.get(f.hint, 0) for f in raised)
        return next(f for f in raised if SEVERITY.get(f.hint, 0) == best)
    return next((f for f in faults if f.from_state and f.code == state.value), None)


class FaultHistory:
    """The last `keep` problems of each device, newest first; thread-safe (the bus delivers in the
    device workers' threads, the screens read from the UI thread)."""

    def __init__(self, bus: EventBus, keep: int = 20) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.keep = keep
        self._lock = threading.Lock()
        self._seq = 0
        self._faults: dict[str, deque[tuple[int, RecordedFault]]] = {}
        self._usable_seq: dict[str, int] = {}  # when each device last came into a serving state
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe("device.fault", self._on_fault),
            bus.subscribe("device.state", self._on_state),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    # -- what the screens read ----------------------------------------------------------------
    def recent(self, device_id: str) -> list[RecordedFault]:
        """The device's recorded problems, newest first."""
        with self._lock:
            return [f for _, f in reversed(self._faults.get(device_id, ()))]

    def since_usable(self, device_id: str) -> list[RecordedFault]:
        """Newest first, what was recorded since the device last came into a serving state (all of
        it when it has not served since the history began): what may still be wrong."""
        with self._lock:
            since = self._usable_seq.get(device_id, 0)
            return [f for seq, f in reversed(self._faults.get(device_id, ())) if seq > since]

    def device_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._faults)

    # -- the bus ------------------------------------------------------------------------------
    def _on_fault(self, env: Envelope) -> None:
        event = env.payload
        if not isinstance(event, FaultRaised):
            return
        f = event.fault
        self._add(RecordedFault(env.timestamp, event.device_id, f.code, f.hint, scrub(f.text), scrub(f.text_en)))

    def _on_state(self, env: Envelope) -> None:
        event = env.payload
        if not isinstance(event, StateChanged):
            return
        if event.state.usable:
            with self._lock:
                self._seq += 1
                self._usable_seq[event.device_id] = self._seq
            return
        if event.state in RECORDED_STATES:
            problem = state_problem(event.device_id, event.state, event.reason, env.timestamp)
            if problem is not None:
                self._add(problem)

    def _add(self, fault: RecordedFault) -> None:
        with self._lock:
            self._seq += 1
            faults = self._faults.setdefault(fault.device_id, deque(maxlen=self.keep))
            if faults and _same(faults[-1][1], fault):
                _, last = faults.pop()
                fault = dataclasses.replace(fault, repeats=last.repeats + 1)
            faults.append((self._seq, fault))


def _same(a: RecordedFault, b: RecordedFault) -> bool:
    return (a.code, a.hint, a.text, a.text_en, a.from_state) == (b.code, b.hint, b.text, b.text_en, b.from_state)
