"""sim://KIND → a simulator instance. One instance per (kind, id), so a driver that re-opens
finds the same device state, as it would with real hardware."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping

from drivers.sim.base import Simulator

SimulatorFactory = Callable[[Mapping[str, str]], Simulator]

# Simulator modules register themselves on import; imported lazily so that opening a
# printer does not import the camera's scene generator.
_MODULES: dict[str, str] = {
    "idcard": "drivers.sim.idcard", "printer": "drivers.sim.printer", "locker": "drivers.sim.locker",
    "camera": "drivers.sim.camera",
}
_factories: dict[str, SimulatorFactory] = {}
_instances: dict[tuple[str, str], Simulator] = {}
_lock = threading.Lock()


def register(kind: str, factory: SimulatorFactory) -> None:
    _factories[kind] = factory


def known_kinds() -> list[str]:
    return sorted(set(_MODULES) | set(_factories))


def _factory(kind: str) -> SimulatorFactory | None:
    if kind not in _factories and kind in _MODULES:
        importlib.import_module(_MODULES[kind])
    return _factories.get(kind)


def simulator_for(kind: str, options: Mapping[str, str]) -> Simulator | None:
    """The simulator for sim://KIND?id=…, created on first use; None if KIND is unknown."""
    factory = _factory(kind)
    if factory is None:
        return None
    key = (kind, options.get("id", "0"))
    with _lock:
        sim = _instances.get(key)
        if sim is None:
            sim = _instances[key] = factory(options)
        return sim


def forget_instances() -> None:
    """Drop every simulator instance (tests, and `kiosk sim` restarts), ending the worker
    threads of those that have one."""
    with _lock:
        dropped = list(_instances.values())
        _instances.clear()
    for sim in dropped:
        close = getattr(sim, "close", None)
        if close is not None:
            close()
