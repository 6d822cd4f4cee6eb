"""Health checks over every configured device, with a problem and an action hint for each
device that is not fit to serve.

The checks themselves are the drivers' `check_health(level)`; this module adds what a technician
needs around them: a device that cannot even be opened is a result, not a traceback; a check
that passes on a device in `user_error` (the link answers, the paper is out) is still a problem;
a level the device has no check for is reported as not supported, not as a failure.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from devicecfg.schema import KioskConfig
from drivers.device import (
    UNSUPPORTED_LEVEL_EN,
    ActionHint,
    Device,
    DeviceEvent,
    DeviceFault,
    DeviceKind,
    DeviceState,
    FaultRaised,
    HealthLevel,
    HealthResult,
    StateChanged,
)
from drivers.errors import BadPortUrl, PortNotFound, TransportError
from kiosk.supervisor import Unbuilt


class Outcome(enum.StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    NOT_SUPPORTED = "not_supported"  # the device has no check at this level: not counted as a problem


@dataclass(frozen=True)
class Problem:
    """What is wrong and what to do: `hint` is the drivers' action hint vocabulary."""

    code: str
    hint: ActionHint
    text: str  # Chinese, for the technician; never personal data
    text_en: str


@dataclass(frozen=True)
class DeviceHealth:
    device_id: str
    kind: DeviceKind
    model: str
    state: DeviceState
    level: HealthLevel
    outcome: Outcome
    text: str
    text_en: str
    details: tuple[tuple[str, str], ...] = ()
    problem: Problem | None = None
    faults: tuple[DeviceFault, ...] = ()  # raised during the check (a near-end paper warning, too)

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.PROBLEM


@dataclass(frozen=True)
class HealthReport:
    level: HealthLevel
    devices: tuple[DeviceHealth, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.devices)

    @property
    def problems(self) -> tuple[DeviceHealth, ...]:
        return tuple(d for d in self.devices if not d.ok)


# A state that keeps a device from serving, and what a technician does about it when the
# driver raised no fault of its own (a device already in that state raises none again).
_STATE_PROBLEMS: dict[DeviceState, tuple[ActionHint, str, str]] = {
    DeviceState.NO_DEVICE: (ActionHint.MAINTENANCE, "设备未连接：请检查电源和数据线", "device not present: check power and cable"),
    DeviceState.OFFLINE: (ActionHint.RESET, "设备无应答：请检查电源、数据线，然后重启设备", "device does not answer: check power and cable, then reset it"),
    DeviceState.POWER_OFF: (ActionHint.MAINTENANCE, "设备未通电：请打开电源", "device powered off: switch it on"),
    DeviceState.USER_ERROR: (ActionHint.CLEAR, "设备需要人工处理", "device needs a person to clear it"),
    DeviceState.HARDWARE_ERROR: (ActionHint.MAINTENANCE, "设备硬件故障：请联系维修", "hardware error: call maintenance"),
    DeviceState.STARTING: (ActionHint.RESET, "设备未完成启动", "device did not finish starting"),
}
# Faults after which the device still serves (shown, not counted as a problem).
_WARNINGS = frozenset({"paper_near_end"})
_SEVERITY = {ActionHint.CLEAR: 1, ActionHint.RESET: 2, ActionHint.MAINTENANCE: 3, ActionHint.CONFIGURATION: 4}


def check_device(device: Device, level: HealthLevel = HealthLevel.INTERNAL) -> DeviceHealth:
    """Run one device's check. Opens the device if it is closed (and closes it again after), so
    the same call serves the CLI (fresh drivers) and the technician screens (supervised ones)."""
    faults: list[DeviceFault] = []
    reasons: list[str] = []
    previous = device.listener

    def listen(event: DeviceEvent) -> None:
        if previous is not None:
            previous(event)
        if isinstance(event, FaultRaised):
            faults.append(event.fault)
        elif isinstance(event, StateChanged) and event.reason:
            reasons.append(event.reason)

    device.set_listener(listen)
    opened_here = not device.is_open
    try:
        if opened_here:
            try:
                device.open()
            except TransportError as e:
                return _unopenable(device, level, e, faults)
        if device.state is DeviceState.STARTING:  # what the supervisor does after a quiet open
            device.set_state(DeviceState.ONLINE, "opened")
        # A higher level includes the internal one: an offline board is found before a door cycle.
        result = device.check_health(HealthLevel.INTERNAL)
        if level is not HealthLevel.INTERNAL and result.ok and device.state.usable:
            result = device.check_health(level)
            if result.text_en == UNSUPPORTED_LEVEL_EN:
                return _result(device, level, Outcome.NOT_SUPPORTED, result, None, faults)
        serious = [f for f in faults if f.code not in _WARNINGS]
        problem = None if result.ok and device.state.usable and not serious else _problem(device, result, serious, reasons)
        return _result(device, level, Outcome.OK if problem is None else Outcome.PROBLEM, result, problem, faults)
    finally:
        device.set_listener(previous)
        if opened_here:
            device.close()


def check_devices(devices: Iterable[Device], level: HealthLevel = HealthLevel.INTERNAL,
                  unbuilt: Iterable[Unbuilt] = ()) -> HealthReport:
    """Every device in turn (one at a time: an external check acts physically, and a technician
    follows one thing at a time); a configured device without a driver is a problem too."""
    results = [check_device(d, level) for d in devices]
    for u in unbuilt:
        results.append(DeviceHealth(
            u.device_id, u.kind, "", DeviceState.NO_DEVICE, level, Outcome.PROBLEM, "无法创建设备驱动", u.reason,
            problem=Problem("not_built", ActionHint.CONFIGURATION, f"配置的设备无法使用：{u.reason}", u.reason)))
    return HealthReport(level, tuple(results))


def configured_devices(config: KioskConfig) -> tuple[list[Device], list[Unbuilt]]:
    """Fresh drivers for every enabled device of a site config, built by the composition root."""
    from kiosk.composition import build_devices

    return build_devices(config)


def _unopenable(device: Device, level: HealthLevel, error: TransportError, faults: list[DeviceFault]) -> DeviceHealth:
    if isinstance(error, BadPortUrl):
        state, problem = DeviceState.NO_DEVICE, Problem(
            "bad_port", ActionHint.CONFIGURATION, f"端口配置有误：{error}，请检查配置文件", f"{error}: fix the port in the site config")
    elif isinstance(error, PortNotFound):
        state, problem = DeviceState.NO_DEVICE, Problem(
            "not_present", ActionHint.MAINTENANCE, f"找不到设备：{error}。请检查设备电源和数据线（USB/串口）",
            f"{error}: check the device's power and its USB/serial cable")
    else:
        state, problem = DeviceState.OFFLINE, Problem(
            "no_answer", ActionHint.RESET, f"设备无应答：{error}。请检查电源和数据线，然后重启设备",
            f"{error}: check power and cable, then reset the device")
    text, text_en = problem.text, problem.text_en
    return DeviceHealth(device.device_id, device.kind, device.info.model or device.model, state, level,
                        Outcome.PROBLEM, text, text_en, problem=problem, faults=tuple(faults))


def _problem(device: Device, result: HealthResult, faults: list[DeviceFault], reasons: list[str]) -> Problem:
    if faults:  # the driver's own words and hint; the most serious first
        f = max(faults, key=lambda f: _SEVERITY.get(f.hint, 0))
        return Problem(f.code, f.hint, f.text, f.text_en)
    if not result.ok:
        return Problem("check_failed", ActionHint.RESET if device.state.usable else _STATE_PROBLEMS.get(
            device.state, (ActionHint.MAINTENANCE, "", ""))[0], result.text, result.text_en)
    hint, text, text_en = _STATE_PROBLEMS.get(device.state, (ActionHint.MAINTENANCE, "设备不可用", "device not usable"))
    reason = reasons[-1] if reasons else ""
    return Problem(device.state.value, hint, f"{text}（{reason}）" if reason else text,
                   f"{text_en} ({reason})" if reason else text_en)


def _result(device: Device, level: HealthLevel, outcome: Outcome, result: HealthResult, problem: Problem | None,
            faults: list[DeviceFault]) -> DeviceHealth:
    return DeviceHealth(device.device_id, device.kind, device.info.model or device.model, device.state, level, outcome,
                        result.text, result.text_en, result.details, problem, tuple(faults))


# -- the stable JSON shape (documented in README "Diagnostics from the command line") ---------
JSON_VERSION = 1


def device_dict(d: DeviceHealth) -> dict:
    return {
        "id": d.device_id, "kind": d.kind.value, "model": d.model, "state": d.state.value, "level": d.level.value,
        "outcome": d.outcome.value, "ok": d.ok, "text": d.text, "text_en": d.text_en, "details": dict(d.details),
        "problem": None if d.problem is None else {
            "code": d.problem.code, "hint": d.problem.hint.value, "text": d.problem.text, "text_en": d.problem.text_en},
        "faults": [{"code": f.code, "hint": f.hint.value, "text": f.text, "text_en": f.text_en} for f in d.faults],
    }


def report_dict(report: HealthReport) -> dict:
    return {"version": JSON_VERSION, "level": report.level.value, "ok": report.ok,
            "devices": [device_dict(d) for d in report.devices]}
