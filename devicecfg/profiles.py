"""Model profiles: what a device model can do, bundled as TOML in devicecfg/profiles/<kind>.toml.

A site config names a model (`model = "generic-80mm"`); the driver reads the facts it needs
(paper width, cutter, lock count, baud probe order, …) from the profile instead of branching
on model names.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from typing import Literal, overload

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devicecfg.schema import Polarity
from drivers.device import DeviceKind

Baud = Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]
_HEX_BYTES = re.compile(r"^[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*$")
_CODEPOINT_RANGE = re.compile(r"^U\+([0-9A-Fa-f]{4,6})-U\+([0-9A-Fa-f]{4,6})$")


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # the table name in the profile file
    description: str = ""


class PrinterProfile(Profile):
    """ESC/POS ticket printer (escpos-tickets.md §1, §2, §4.2, §5)."""

    paper_width_mm: Literal[58, 80]
    dpi: int = Field(default=203, ge=100, le=600)
    dots: int = Field(ge=128, le=1024)  # printable dots per line
    columns: int = Field(ge=16, le=80)  # font A characters per line
    font_charset: Literal["gb2312", "gbk", "gb18030"]
    # Ranges the font has no glyphs for even where the codec encodes them, "U+XXXX-U+YYYY".
    font_missing: list[str] = []
    cutter: Literal["none", "full", "partial"]
    cut_command: str  # hex bytes, e.g. "1D 56 42 00"
    qr_mode: Literal["native", "raster"] = "native"
    status_dle_eot: bool = True  # real-time status DLE EOT n
    barrier_gs_r: bool = True  # GS r 1 as the end-of-job barrier
    asb: bool = False  # automatic status back, GS a n
    clear_dle_dc4: bool = False  # DLE DC4 8 buffer clear
    recover_dle_enq: bool = True  # DLE ENQ 1/2
    raster_band_rows: int = Field(default=255, ge=8, le=255)
    transport: Literal["usb", "serial", "tcp"] = "usb"
    baudrate: Baud | None = None  # serial default when transport = "serial"
    handshake: Literal["none", "xonxoff", "rtscts", "dsrdtr"] = "none"
    speed_mm_s: int | None = Field(default=None, ge=1)

    @field_validator("cut_command")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _HEX_BYTES.match(v):
            raise ValueError("expected hex bytes separated by single spaces, e.g. '1D 56 42 00'")
        return v

    @field_validator("font_missing")
    @classmethod
    def _ranges(cls, v: list[str]) -> list[str]:
        for r in v:
            m = _CODEPOINT_RANGE.match(r)
            if not m or int(m[1], 16) > int(m[2], 16):
                raise ValueError(f"{r!r}: expected a code point range 'U+XXXX-U+YYYY', low to high")
        return v

    @property
    def cut_bytes(self) -> bytes:
        return bytes.fromhex(self.cut_command)

    @property
    def missing_ranges(self) -> tuple[tuple[int, int], ...]:
        pairs = (_CODEPOINT_RANGE.match(r) for r in self.font_missing)
        return tuple((int(m[1], 16), int(m[2], 16)) for m in pairs if m)


class LockerProfile(Profile):
    """A lock-control board family on an RS-485 line (locker-boards.md §2–§4)."""

    protocol: Literal["8a80", "kerong_cu"]
    locks: int = Field(ge=1, le=48)  # locks per board
    baudrate: Baud
    address_min: int = Field(ge=0, le=255)
    address_max: int = Field(ge=0, le=255)
    feedback_polarity: Polarity = Polarity.NORMAL
    item_sensor: bool  # the protocol reports an infrared item sensor per box
    item_polarity: Polarity | None = None
    command_timeout_ms: int = Field(default=500, ge=10)
    retries: int = Field(default=2, ge=0, le=5)  # queries only; never blind unlock retries
    inter_frame_gap_ms: int = Field(default=10, ge=0)
    unlock_all_timeout_ms: int = Field(ge=100)
    broadcast_collect_ms: int | None = None
    open_confirm_ms: int = Field(default=3000, ge=100)
    confirm_poll_ms: int = Field(default=250, ge=10)
    door_alarm_s: int = Field(default=60, ge=1)
    door_alarm_escalate_s: int = Field(default=180, ge=1)
    pulse_ms: int | None = None
    active_reports: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> LockerProfile:
        if self.address_min > self.address_max:
            raise ValueError("address_min is above address_max")
        if self.item_sensor != (self.item_polarity is not None):
            raise ValueError("item_polarity must be set exactly when item_sensor is true")
        return self


class IdCardProfile(Profile):
    """A SAM_V ID card reader on a serial line (idcard-sam.md §2, §3, §11)."""

    baudrate: Baud = 115200
    baud_probe: list[Baud] = Field(min_length=1)  # tried in order with `11 FF`
    timeout_base_ms: int = Field(ge=10)  # 11, 12, 20 xx, 60, 61
    timeout_read_ms: int = Field(ge=10)  # 30 01, 30 03
    timeout_read_fp_ms: int = Field(ge=10)  # 30 10
    wire_time_factor: float = Field(default=1.5, ge=1)
    inter_byte_timeout_ms: int = Field(default=100, ge=1)  # at 115200; scaled with the rate
    find_poll_ms: int = Field(default=400, ge=50)
    retries: int = Field(default=1, ge=0, le=3)
    max_frame_len: int = Field(default=4096, ge=2321)
    read_fingerprints: bool = False

    @model_validator(mode="after")
    def _default_probed(self) -> IdCardProfile:
        if self.baudrate not in self.baud_probe:
            raise ValueError("baudrate must be one of baud_probe")
        return self


class CameraProfile(Profile):
    """A document camera, 高拍仪 (document-camera.md §0–§2)."""

    width: int = Field(ge=160)
    height: int = Field(ge=120)
    pixel_format: Literal["mjpeg", "yuyv"] = "mjpeg"
    fps: int = Field(ge=1, le=60)
    preview_reduction: Literal[1, 2, 4, 8]  # IMREAD_REDUCED_COLOR_n for the preview decode
    detect_hz: float = Field(default=8, gt=0, le=30)
    autocapture_stable_s: float = Field(default=0.5, gt=0)
    output_dpi: int = Field(default=200, ge=72, le=600)
    jpeg_quality: int = Field(default=85, ge=30, le=100)

    @property
    def preview_width(self) -> int:
        return -(-self.width // self.preview_reduction)


AnyProfile = PrinterProfile | LockerProfile | IdCardProfile | CameraProfile

PROFILE_TYPES: dict[DeviceKind, type[Profile]] = {
    DeviceKind.PRINTER: PrinterProfile,
    DeviceKind.LOCKER: LockerProfile,
    DeviceKind.IDCARD: IdCardProfile,
    DeviceKind.CAMERA: CameraProfile,
}


class UnknownProfile(KeyError):
    """No profile of that name for that device kind."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def profile_text(kind: DeviceKind | str) -> str:
    """The bundled TOML text of one kind's profiles."""
    kind = DeviceKind(kind)
    return resources.files("devicecfg").joinpath("profiles", f"{kind.value}.toml").read_text("utf-8")


@functools.cache
def _profiles(kind: DeviceKind) -> dict[str, Profile]:
    model = PROFILE_TYPES[kind]
    tables = tomllib.loads(profile_text(kind))
    return {name: model.model_validate({**body, "name": name}) for name, body in tables.items()}


def profile_names(kind: DeviceKind | str) -> list[str]:
    return sorted(_profiles(DeviceKind(kind)))


@overload
def profile_for(kind: Literal[DeviceKind.PRINTER], model: str) -> PrinterProfile: ...
@overload
def profile_for(kind: Literal[DeviceKind.LOCKER], model: str) -> LockerProfile: ...
@overload
def profile_for(kind: Literal[DeviceKind.IDCARD], model: str) -> IdCardProfile: ...
@overload
def profile_for(kind: Literal[DeviceKind.CAMERA], model: str) -> CameraProfile: ...
@overload
def profile_for(kind: DeviceKind | str, model: str) -> AnyProfile: ...
def profile_for(kind: DeviceKind | str, model: str) -> AnyProfile:
    """The profile `model` of device kind `kind`; UnknownProfile names the known models."""
    kind = DeviceKind(kind)
    found = _profiles(kind).get(model)
    if found is None:
        known = ", ".join(profile_names(kind))
        raise UnknownProfile(f"unknown {kind.value} model {model!r}; known models: {known}")
    return found  # type: ignore[return-value]
