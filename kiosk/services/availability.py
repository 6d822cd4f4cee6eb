"""Which citizen journeys can run now, given the devices' states: the home screen shows a
journey whose device is unusable as unavailable, with the reason and what to do instead."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.device import DeviceKind, DeviceState


class Journey(enum.StrEnum):
    TAKE_NUMBER = "take_number"
    CHECK_IN = "check_in"
    SELF_SUBMIT = "self_submit"
    PICKUP = "pickup"


# The device kinds a journey cannot run without. Optional devices (the camera for check-in,
# which has a keypad alternative; the ID reader for pickup, which takes a code) are not listed.
REQUIRED: dict[Journey, tuple[DeviceKind, ...]] = {
    Journey.TAKE_NUMBER: (DeviceKind.PRINTER,),
    Journey.CHECK_IN: (DeviceKind.PRINTER,),
    Journey.SELF_SUBMIT: (DeviceKind.CAMERA, DeviceKind.IDCARD),
    Journey.PICKUP: (DeviceKind.LOCKER,),
}

KIND_NAMES = {
    DeviceKind.PRINTER: ("打印机", "printer"),
    DeviceKind.IDCARD: ("身份证阅读器", "ID card reader"),
    DeviceKind.CAMERA: ("高拍仪", "document camera"),
    DeviceKind.LOCKER: ("智能柜", "pickup locker"),
}

_STATE_TEXT = {
    DeviceState.STARTING: ("正在启动", "is starting"),
    DeviceState.OFFLINE: ("无应答", "is not answering"),
    DeviceState.NO_DEVICE: ("未连接", "is not connected"),
    DeviceState.USER_ERROR: ("需要处理（如缺纸、舱门未关）", "needs attention (e.g. paper out, cover open)"),
    DeviceState.HARDWARE_ERROR: ("故障", "has a fault"),
    DeviceState.POWER_OFF: ("未通电", "is powered off"),
}

_FALLBACK = {
    Journey.TAKE_NUMBER: ("请到咨询台或人工窗口取号", "Please take a number at the help desk"),
    Journey.CHECK_IN: ("请到咨询台出示预约信息", "Please show your booking at the help desk"),
    Journey.SELF_SUBMIT: ("请到综合窗口提交材料", "Please hand in materials at a service window"),
    Journey.PICKUP: ("请在办公时间到综合窗口领取", "Please collect at a service window in opening hours"),
}


@dataclass(frozen=True)
class DeviceSnapshot:
    device_id: str
    kind: DeviceKind
    state: DeviceState


@dataclass(frozen=True)
class Availability:
    journey: Journey
    available: bool
    reason: str = ""
    reason_en: str = ""
    todo: str = ""
    todo_en: str = ""


def availability(journey: Journey, devices: Iterable[DeviceSnapshot]) -> Availability:
    devices = list(devices)
    for kind in REQUIRED[journey]:
        name, name_en = KIND_NAMES[kind]
        todo, todo_en = _FALLBACK[journey]
        of_kind = [d for d in devices if d.kind is kind]
        if not of_kind:
            return Availability(journey, False, f"本机未配置{name}", f"no {name_en} is configured", todo, todo_en)
        if not any(d.state.usable for d in of_kind):
            text, text_en = _STATE_TEXT.get(of_kind[0].state, ("不可用", "is unavailable"))
            return Availability(journey, False, f"{name}{text}", f"the {name_en} {text_en}", todo, todo_en)
    return Availability(journey, True)


def all_availability(devices: Iterable[DeviceSnapshot]) -> dict[Journey, Availability]:
    devices = list(devices)
    return {j: availability(j, devices) for j in Journey}
