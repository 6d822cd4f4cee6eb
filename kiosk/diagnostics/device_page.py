"""One device as the technician's device page shows it: what it is, what it reports, what it has
counted, what went wrong lately; and the reset of its counters.

Everything here is read from the driver's cache (info, status, statistics) and from the fault
history, never from the device itself, so a page can be refreshed while the device works. Nothing
on a page is personal data: identities, ports (credentials stripped), status enums, counters and
the drivers' fault texts. A card's contents never reach a driver's status or info.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.camera.camera import DocumentCamera
from drivers.device import ActionHint, Device, DeviceKind, DeviceState
from drivers.idcard.reader import IdCardReader
from drivers.locker.bus import LockerBus
from drivers.printer.printer import EscPosPrinter
from kiosk.diagnostics.audit import TechAudit
from kiosk.diagnostics.faults import FaultHistory, RecordedFault, scrub
from kiosk.diagnostics.overview import glance, unbuilt_glance

UNKNOWN = "—"  # a value the device has not told (yet)


@dataclass(frozen=True)
class Row:
    label: str  # Chinese
    label_en: str
    value: str  # numbers, identifiers and enum values: the same in both languages


@dataclass(frozen=True)
class DevicePage:
    device_id: str
    kind: DeviceKind
    model: str
    state: DeviceState
    info: tuple[Row, ...]
    status: tuple[Row, ...]
    capabilities: tuple[str, ...]
    statistics: tuple[tuple[str, int], ...]
    faults: tuple[RecordedFault, ...]  # newest first
    # additions: the same verdict as the overview's line for this device
    usable: bool = False
    problem: str = ""
    problem_en: str = ""
    hint: ActionHint | None = None
    problem_code: str = ""
    built: bool = True  # False: configured, but this version has no driver for it (no status, no counters)


class UnknownDevice(KeyError):
    """No configured device has this id."""


def device_page(kiosk, device_id: str, faults: FaultHistory | None = None) -> DevicePage:
    """The page of a configured device (built or not); its faults from `faults`, by default the
    kiosk's own history (``kiosk.faults``). Raises UnknownDevice for any other id."""
    if faults is None:
        faults = getattr(kiosk, "faults", None)
    device = kiosk.supervisor.devices.get(device_id)
    recent = tuple(faults.recent(device_id)) if faults is not None else ()
    if device is None:
        unbuilt = next((u for u in kiosk.supervisor.unbuilt if u.device_id == device_id), None)
        if unbuilt is None:
            raise UnknownDevice(device_id)
        cfg = next((d for d in kiosk.config.devices if d.id == device_id), None)
        model = cfg.model if cfg is not None else ""
        g = unbuilt_glance(unbuilt, model)
        info = (Row("端口", "port", scrub(cfg.port) if cfg is not None else UNKNOWN), Row("型号", "model", model or UNKNOWN))
        return DevicePage(device_id, unbuilt.kind, model, g.state, info, (), (), (), recent, g.usable, g.problem,
                          g.problem_en, g.hint, g.problem_code, built=False)
    g = glance(device, faults)
    return DevicePage(
        device_id=device_id, kind=device.kind, model=g.model, state=device.state,
        info=tuple(info_rows(device, kiosk.config)), status=tuple(status_rows(device)),
        capabilities=tuple(sorted(device.info.capabilities)),
        statistics=tuple(device.stats.snapshot().items()),  # the driver's order: common counters, then its own
        faults=recent, usable=g.usable, problem=g.problem, problem_en=g.problem_en, hint=g.hint,
        problem_code=g.problem_code,
    )


def reset_statistics(kiosk, device_id: str, audit: TechAudit, actor: str) -> None:
    """Zero the device's counters, persist the zeros (a restart must not bring the old values
    back) and audit it with the values it had (one audit row and one ``tech.statistics.reset``
    event for the backend). Raises UnknownDevice for an id without a driver."""
    device = kiosk.supervisor.devices.get(device_id)
    if device is None:
        raise UnknownDevice(device_id)
    before = kiosk.supervisor.reset_statistics(device)
    audit.record(actor, "statistics.reset", {"device": device_id, "before": before})


# -- device information -----------------------------------------------------------------------
def info_rows(device: Device, config=None) -> list[Row]:
    info = device.info
    rows = [Row("端口", "port", scrub(device.port)), Row("型号", "model", info.model or device.model or UNKNOWN),
            Row("固件版本", "firmware", info.firmware or UNKNOWN)]
    if isinstance(device, IdCardReader):
        rows += [Row("SAM 编号", "SAM ID", device.sam_id or info.serial_number or UNKNOWN),
                 Row("波特率", "baud rate", str(device.baud) if device.baud else UNKNOWN),
                 Row("读取指纹", "reads fingerprints", _yes(device.read_fingerprints)),
                 Row("读取追加住址", "reads the appended address", _yes(device.read_address))]
        return rows
    rows.append(Row("序列号", "serial number", info.serial_number or UNKNOWN))
    if isinstance(device, EscPosPrinter):
        m = device.printer_model
        rows += [Row("打印宽度（点）", "print width (dots)", str(m.dots)), Row("分辨率", "resolution", f"{m.dpi} dpi"),
                 Row("字符集", "charset", m.charset), Row("切刀", "cutter", _yes(m.cutter)),
                 Row("二维码", "QR codes", "native" if m.qr_native else "raster")]
    elif isinstance(device, LockerBus):
        rows += _locker_rows(device, config)
    elif isinstance(device, DocumentCamera):
        s, o = device.settings, device.output
        delivered = next((c.split(":", 1)[1] for c in info.capabilities if c.startswith("resolution:")), UNKNOWN)
        rows += [Row("实际分辨率", "resolution delivered", delivered),
                 Row("请求分辨率", "resolution requested", f"{s.width}x{s.height}"),
                 Row("帧率", "frame rate", f"{s.fps:g} fps"),
                 Row("无画面判定", "stalled after", f"{s.stall_timeout:g} s"),
                 Row("输出分辨率", "output resolution", f"{o.dpi} dpi"),
                 Row("JPEG 质量", "JPEG quality", str(o.jpeg_quality))]
    return rows


def _locker_rows(device: LockerBus, config) -> list[Row]:
    rows = [Row("协议", "protocol", str(device.protocol)),
            Row("控制板地址", "board addresses", ", ".join(str(b) for b in device.boards) or UNKNOWN),
            Row("锁总数", "locks in all", str(sum(device.locks_of(b) for b in device.boards)))]
    numbers = _compartments_by_board(device.device_id, config)
    for b in device.boards:
        rows.append(Row(f"{b}号控制板锁数", f"board {b} locks", str(device.locks_of(b))))
        if numbers.get(b):
            rows.append(Row(f"{b}号控制板柜格", f"board {b} compartments", numbers[b]))
    return rows


def _compartments_by_board(device_id: str, config) -> dict[int, str]:
    """Board address → its compartment numbers as the site config maps them ("cabinet1 1–16")."""
    if config is None or not getattr(config, "cabinets", None):
        return {}
    from kiosk.lockers.model import compartments_from_config

    spans: dict[int, list[tuple[str, int]]] = {}
    for c in compartments_from_config(config.cabinets):
        if c.device == device_id:
            spans.setdefault(c.board, []).append((c.cabinet, c.number))
    out = {}
    for board, items in spans.items():
        parts = []
        for cabinet in dict.fromkeys(cab for cab, _ in items):
            ns = sorted(n for cab, n in items if cab == cabinet)
            parts.append(f"{cabinet} {_ranges(ns)}")
        out[board] = "; ".join(parts)
    return out


def _ranges(numbers: Iterable[int]) -> str:
    out: list[str] = []
    run: list[int] = []
    for n in numbers:
        if run and n != run[-1] + 1:
            out.append(_span(run))
            run = []
        run.append(n)
    if run:
        out.append(_span(run))
    return ", ".join(out)


def _span(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}"


# -- live status ------------------------------------------------------------------------------
_STATUS_LABELS: dict[str, str] = {
    "online": "联机", "paper": "纸张", "cover": "舱盖", "cutter": "切刀", "error": "错误位",
    "sam": "SAM 模块", "card": "证件", "arming": "读卡准备",
    "boards": "控制板", "stream": "视频流",
}


def status_rows(device: Device) -> list[Row]:
    """Each field of the device's status (the enum's value); for a locker line, each board too."""
    status = device.status
    rows = [Row(_STATUS_LABELS.get(f.name, f.name), f.name.replace("_", " "), _value(getattr(status, f.name)))
            for f in dataclasses.fields(status)]
    if isinstance(device, LockerBus):
        known = device.state is not DeviceState.STARTING and device.is_open
        for b in device.boards:
            value = ("online" if device.board_online(b) else "offline") if known else "unknown"
            rows.append(Row(f"{b}号控制板", f"board {b}", value))
    return rows


def _value(v: object) -> str:
    if isinstance(v, enum.Enum):
        return str(v.value)
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
