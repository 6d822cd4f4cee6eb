"""Bundled model profiles: every table of every profile file is a valid, typed profile."""

from __future__ import annotations

import tomllib

import pytest

from devicecfg.profiles import (
    PROFILE_TYPES,
    CameraProfile,
    IdCardProfile,
    LockerProfile,
    PrinterProfile,
    UnknownProfile,
    profile_for,
    profile_names,
    profile_text,
)
from devicecfg.schema import Polarity
from drivers.device import DeviceKind

ALL = [(kind, name) for kind in DeviceKind for name in tomllib.loads(profile_text(kind))]


def test_every_kind_has_a_profile_file() -> None:
    assert set(PROFILE_TYPES) == set(DeviceKind)
    for kind in DeviceKind:
        assert profile_names(kind), kind


@pytest.mark.parametrize(("kind", "name"), ALL, ids=[f"{k.value}:{n}" for k, n in ALL])
def test_every_profile_loads(kind: DeviceKind, name: str) -> None:
    raw = tomllib.loads(profile_text(kind))[name]
    direct = PROFILE_TYPES[kind].model_validate({**raw, "name": name})
    profile = profile_for(kind, name)
    assert profile == direct
    assert isinstance(profile, PROFILE_TYPES[kind])
    assert profile.name == name and profile.description


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(UnknownProfile) as caught:
        profile_for(DeviceKind.PRINTER, "epson-9000")
    assert "epson-9000" in str(caught.value) and "generic-80mm" in str(caught.value)
    with pytest.raises(KeyError):
        profile_for("locker", "generic-80mm")  # a printer model is not a locker model


def test_printer_facts() -> None:
    p80 = profile_for(DeviceKind.PRINTER, "generic-80mm")
    assert isinstance(p80, PrinterProfile)
    assert (p80.paper_width_mm, p80.dots, p80.columns) == (80, 576, 48)
    assert p80.cut_bytes == b"\x1d\x56\x42\x00"
    p58 = profile_for(DeviceKind.PRINTER, "generic-58mm")
    assert (p58.dots, p58.columns, p58.font_charset) == (384, 32, "gb2312")
    assert p58.cut_bytes == b"\x1b\x64\x05\x1d\x56\x01"
    assert profile_for(DeviceKind.PRINTER, "pos-5890k").cutter == "none"
    sim = profile_for(DeviceKind.PRINTER, "simulated")
    assert sim.font_charset == "gb18030" and sim.missing_ranges == ((0x1F000, 0x1FAFF),)


def test_locker_facts() -> None:
    cu16 = profile_for(DeviceKind.LOCKER, "kerong-cu16")
    assert isinstance(cu16, LockerProfile)
    assert (cu16.protocol, cu16.locks, cu16.baudrate, cu16.address_max) == ("kerong_cu", 16, 19200, 14)
    assert cu16.item_sensor and cu16.item_polarity is Polarity.NORMAL
    assert profile_for(DeviceKind.LOCKER, "kerong-cu12").locks == 12
    bcc = profile_for(DeviceKind.LOCKER, "bcc-8a80")
    assert (bcc.protocol, bcc.locks, bcc.baudrate, bcc.address_min, bcc.address_max) == ("8a80", 24, 9600, 1, 32)
    assert not bcc.item_sensor and bcc.unlock_all_timeout_ms == 10000


def test_idcard_facts() -> None:
    sam = profile_for(DeviceKind.IDCARD, "sam-generic")
    assert isinstance(sam, IdCardProfile)
    assert sam.baud_probe == [115200, 57600, 38400, 19200, 9600]
    assert (sam.timeout_base_ms, sam.timeout_read_ms, sam.timeout_read_fp_ms) == (300, 1500, 2500)


def test_camera_facts() -> None:
    uvc = profile_for(DeviceKind.CAMERA, "uvc-generic")
    assert isinstance(uvc, CameraProfile)
    assert (uvc.width, uvc.height, uvc.preview_width) == (2592, 1944, 648)
    assert profile_for(DeviceKind.CAMERA, "sim-scene").preview_reduction in (1, 2, 4, 8)


def test_profile_models_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        PrinterProfile.model_validate(
            {"name": "x", "paper_width_mm": 80, "dots": 576, "columns": 48, "font_charset": "gbk",
             "cutter": "full", "cut_command": "1D5600"}
        )
    with pytest.raises(ValueError):
        IdCardProfile.model_validate(
            {"name": "x", "baudrate": 9600, "baud_probe": [115200], "timeout_base_ms": 300,
             "timeout_read_ms": 1500, "timeout_read_fp_ms": 2500}
        )
