"""Real-time status (DLE EOT 1..4) and GS r replies: validation and classification (§2.1, §2.2).

A byte that does not match its fixed pattern is not a status: it is discarded, never guessed.
No reply means UNKNOWN, never "paper adequate" (python-escpos 3.1's paper_status() bug).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drivers.device import DeviceState, DeviceStatus


class Paper(enum.Enum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


class Cover(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    UNKNOWN = "unknown"


class Cutter(enum.Enum):
    OK = "ok"
    ERROR = "error"
    UNKNOWN = "unknown"


class Online(enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus(DeviceStatus):
    online: Online = Online.UNKNOWN
    paper: Paper = Paper.UNKNOWN
    cover: Cover = Cover.UNKNOWN
    cutter: Cutter = Cutter.UNKNOWN
    error: bool | None = None  # any error bit (EOT 2 bit 6), None when unknown

    def state(self) -> DeviceState:
        if self.cutter is Cutter.ERROR or self.error:
            return DeviceState.HARDWARE_ERROR if self.cover is not Cover.OPEN else DeviceState.USER_ERROR
        if self.paper is Paper.OUT or self.cover is Cover.OPEN:
            return DeviceState.USER_ERROR
        if self.online is Online.OFFLINE:
            return DeviceState.OFFLINE
        if self.online is Online.ONLINE:
            return DeviceState.ONLINE
        return DeviceState.OFFLINE

    @property
    def ready(self) -> bool:
        """Online, paper present, nothing wrong: a job may be sent."""
        return self.state() is DeviceState.ONLINE and self.paper in (Paper.OK, Paper.NEAR_END)

    def reason(self) -> tuple[str, str]:
        """Why the printer is not ready, in Chinese and English."""
        if self.paper is Paper.OUT:
            return "打印纸用完", "out of paper"
        if self.cover is Cover.OPEN:
            return "打印机舱盖打开", "cover open"
        if self.cutter is Cutter.ERROR:
            return "切刀故障", "cutter error"
        if self.error:
            return "打印机故障", "printer error"
        if self.online is Online.OFFLINE:
            return "打印机离线", "printer offline"
        if self.online is Online.UNKNOWN:
            return "打印机状态未知", "printer status unknown"
        return "", ""


def valid_realtime(b: int) -> bool:
    return b & 0x93 == 0x12  # 0xx1xx10


def valid_gs_r(b: int) -> bool:
    return b & 0x90 == 0x00  # 0xx0xxxx


@dataclass(frozen=True)
class RawStatus:
    """The four DLE EOT replies as received; None where a reply was missing or invalid."""

    printer: int | None = None
    offline_cause: int | None = None
    error_cause: int | None = None
    paper_sensor: int | None = None


def classify(raw: RawStatus) -> PrinterStatus:
    if raw.printer is None:
        return PrinterStatus()  # all unknown
    offline = bool(raw.printer & 0x08)
    cover, paper_end, error = Cover.UNKNOWN, None, None
    if raw.offline_cause is not None:
        cover = Cover.OPEN if raw.offline_cause & 0x04 else Cover.CLOSED
        paper_end = bool(raw.offline_cause & 0x20)
        error = bool(raw.offline_cause & 0x40)
    cutter = Cutter.UNKNOWN
    if raw.error_cause is not None:
        cutter = Cutter.ERROR if raw.error_cause & 0x08 else Cutter.OK
        error = bool(error) or bool(raw.error_cause & 0x64)  # mechanical, unrecoverable, auto-recoverable
    paper = Paper.UNKNOWN
    if raw.paper_sensor is not None:
        if raw.paper_sensor & 0x60 == 0x60:
            paper = Paper.OUT
        elif raw.paper_sensor & 0x0C == 0x0C:
            paper = Paper.NEAR_END
        else:
            paper = Paper.OK
    if paper_end:
        paper = Paper.OUT
    return PrinterStatus(
        online=Online.OFFLINE if offline else Online.ONLINE, paper=paper, cover=cover, cutter=cutter, error=error
    )
