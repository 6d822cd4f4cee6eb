"""The technician's overview: every device at a glance, the backend link, the machine.

`collect_overview(kiosk)` only reads what the kiosk already knows (device states, the outbox
table, the last heartbeat, /proc): it never talks to a device or to the backend, so a screen can
refresh it every second. Nothing in it is personal data: device ids and models, counts, sizes,
times, and problem texts from the drivers (URL credentials stripped).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from devicecfg.schema import KioskConfig
from drivers.device import ActionHint, Device, DeviceKind, DeviceState
from drivers.locker.bus import BusHealth, LockerBus
from drivers.printer.printer import EscPosPrinter
from drivers.printer.status import Paper
from kiosk.diagnostics.faults import FaultHistory, main_problem, state_problem
from kiosk.supervisor import Unbuilt


@dataclass(frozen=True)
class DeviceGlance:
    device_id: str
    kind: DeviceKind
    model: str
    state: DeviceState
    usable: bool  # serves citizens now (a usable device may still carry a warning in `problem`)
    problem: str  # Chinese; "" when nothing is wrong
    problem_en: str
    hint: ActionHint | None
    problem_code: str = ""  # the driver's fault code, a state's value, "not_built", "" for none


@dataclass(frozen=True)
class Overview:
    devices: tuple[DeviceGlance, ...]
    unbuilt: tuple[DeviceGlance, ...]  # configured devices this version has no driver for
    outbox_pending: int
    outbox_pending_bytes: int
    oldest_pending_age_s: float | None
    last_delivery_at: float | None  # wall clock; None: nothing delivered within the retention period
    backend_reachable: bool | None  # the last heartbeat's outcome; None: not yet tried
    backend_checked_at: float | None
    backend_error: str
    disk_free_bytes: int  # of the data directory's file system, as the kiosk's user may use it
    disk_total_bytes: int
    memory_available_bytes: int  # 0 where /proc is not there
    memory_total_bytes: int
    process_rss_bytes: int
    software_version: str
    config_checksum: str
    # additions
    kiosk_id: str = ""
    collected_at: float = 0.0
    outbox_shed: int = 0  # telemetry events dropped over the disk budget, ever
    outbox_over_budget: bool = False

    @property
    def problems(self) -> tuple[DeviceGlance, ...]:
        """The devices (built or not) that do not serve, then those with a warning."""
        every = (*self.devices, *self.unbuilt)
        return tuple(g for g in every if not g.usable) + tuple(g for g in every if g.usable and g.problem)


def config_checksum(config: KioskConfig) -> str:
    """The first 12 hex digits of the SHA-256 of the parsed config as canonical JSON (sorted keys,
    no spaces, UTF-8): equal for equal configs whatever the file's comments, order and layout.
    The diagnostics bundle's manifest carries the same value."""
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def collect_overview(kiosk, faults: FaultHistory | None = None) -> Overview:
    """What the overview screen shows, read from a running (or merely built) kiosk.Kiosk; the
    device problems from `faults`, by default the kiosk's own history (``kiosk.faults``)."""
    from kiosk.composition import software_version

    if faults is None:
        faults = getattr(kiosk, "faults", None)
    supervisor = kiosk.supervisor
    models = {d.id: d.model for d in kiosk.config.devices}
    devices = tuple(glance(d, faults) for d in supervisor.devices.values())
    unbuilt = tuple(unbuilt_glance(u, models.get(u.device_id, "")) for u in supervisor.unbuilt)

    pending = pending_bytes = shed = 0
    oldest: float | None = None
    over = False
    last_delivery: float | None = None
    reachable: bool | None = None
    checked_at: float | None = None
    error = ""
    link = kiosk.backend
    if link is not None:
        stats = link.outbox.stats()
        pending, pending_bytes, shed, oldest, over = (stats.pending, stats.pending_bytes, stats.shed,
                                                      stats.oldest_pending_age, stats.over_budget)
        last_delivery = last_delivery_at(link.outbox.store)
        beat = link.last_heartbeat
        if beat is not None:
            reachable, checked_at, error = beat.ok, beat.at, beat.error

    data_dir = Path(kiosk.store.path).parent
    disk = shutil.disk_usage(data_dir)
    mem_total, mem_available = memory()
    return Overview(
        devices=devices, unbuilt=unbuilt,
        outbox_pending=pending, outbox_pending_bytes=pending_bytes, oldest_pending_age_s=oldest,
        last_delivery_at=last_delivery,
        backend_reachable=reachable, backend_checked_at=checked_at, backend_error=error,
        disk_free_bytes=disk.free, disk_total_bytes=disk.total,
        memory_available_bytes=mem_available, memory_total_bytes=mem_total, process_rss_bytes=process_rss(),
        software_version=software_version(), config_checksum=config_checksum(kiosk.config),
        kiosk_id=kiosk.config.kiosk.id, collected_at=time.time(), outbox_shed=shed, outbox_over_budget=over,
    )


# -- devices ----------------------------------------------------------------------------------
def glance(device: Device, faults: FaultHistory | None = None) -> DeviceGlance:
    """One device's line: its state, and when it does not serve, why and what to do. The reason
    is the driver's own fault from the history when there is one (paper out, SAM fault), else
    the state's meaning; a device that serves may still carry a warning read from its live
    status (a board of the line offline, paper near its end)."""
    state = device.state
    model = device.info.model or device.model
    if state.usable:
        warning = live_warning(device)
        if warning is None:
            return DeviceGlance(device.device_id, device.kind, model, state, True, "", "", None)
        code, hint, text, text_en = warning
        return DeviceGlance(device.device_id, device.kind, model, state, True, text, text_en, hint, code)
    recorded = main_problem(faults.since_usable(device.device_id), state) if faults is not None else None
    if recorded is None:
        recorded = state_problem(device.device_id, state)
    assert recorded is not None  # the state is not usable
    return DeviceGlance(device.device_id, device.kind, model, state, False, recorded.text, recorded.text_en,
                        recorded.hint, recorded.code)


def unbuilt_glance(u: Unbuilt, model: str = "") -> DeviceGlance:
    return DeviceGlance(u.device_id, u.kind, model, DeviceState.NO_DEVICE, False, f"配置的设备无法使用：{u.reason}",
                        u.reason, ActionHint.CONFIGURATION, "not_built")


def live_warning(device: Device) -> tuple[str, ActionHint, str, str] | None:
    """(code, hint, text, text_en) of what a serving device's live status says is wearing thin."""
    status = device.status
    if isinstance(device, LockerBus) and getattr(status, "boards", None) is BusHealth.SOME_OFFLINE:
        down = [str(b) for b in device.boards if not device.board_online(b)]
        if down:
            return ("board_offline", ActionHint.MAINTENANCE, f"{'、'.join(down)}号锁控板无应答，其余锁控板照常服务",
                    f"lock board {', '.join(down)} does not answer; the other boards serve")
    if isinstance(device, EscPosPrinter) and getattr(status, "paper", None) is Paper.NEAR_END:
        return ("paper_near_end", ActionHint.MAINTENANCE, "打印纸即将用完，请准备更换", "paper near end: have a new roll ready")
    return None


# -- the outbox -------------------------------------------------------------------------------
def last_delivery_at(store) -> float | None:
    """When the backend last acknowledged an event (delivered rows are purged after the retention
    period, so None means "none within it")."""
    row = store.query("SELECT MAX(delivered_at) FROM outbox")
    return None if not row or row[0][0] is None else float(row[0][0])


# -- the machine ------------------------------------------------------------------------------
def _proc_kib(path: str, field: str) -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field + ":"):
                    parts = line.split()
                    return int(parts[1]) * 1024 if len(parts) >= 2 and parts[1].isdigit() else None
    except OSError:
        return None
    return None


def memory() -> tuple[int, int]:
    """(total, available) bytes from /proc/meminfo; (0, 0) where there is none."""
    total = _proc_kib("/proc/meminfo", "MemTotal") or 0
    available = _proc_kib("/proc/meminfo", "MemAvailable")
    if available is None:  # kernels before 3.14
        available = (_proc_kib("/proc/meminfo", "MemFree") or 0) + (_proc_kib("/proc/meminfo", "Cached") or 0)
    return total, available


def process_rss() -> int:
    """This process's resident set (VmRSS) in bytes; 0 where /proc is not there."""
    return _proc_kib("/proc/self/status", "VmRSS") or 0
